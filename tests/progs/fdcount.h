/*
 * fdcount.h - the open descriptors of this process, for the leak checks of
 * tests/progs/stress.c and sxprobe.c, and its threads, for nbconnect.c (a
 * header: each program is built from its one .c file).
 */
#ifndef SX_TEST_FDCOUNT_H
#define SX_TEST_FDCOUNT_H

#include <dirent.h>

/* Entries of directory path, less its own descriptor when it is fds. */
static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static inline int count_fds(void)
{
	return count_entries("/proc/self/fd") - 1;  /* the directory's own */
}

#endif
