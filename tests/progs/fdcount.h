/*
 * fdcount.h - the open descriptors of this process, for the leak checks of
 * tests/progs/stress.c and sxprobe.c (a header: each program is built from
 * its one .c file).
 */
#ifndef SX_TEST_FDCOUNT_H
#define SX_TEST_FDCOUNT_H

#include <dirent.h>

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;           /* the directory's own descriptor */
}

#endif
