/*
 * libdir.c - where the library is.  `make install` compiles this file with
 * SX_LIBDIR (the installed layout's LIBDIR); build/socksify, without it,
 * uses the library built next to it (build/libsocksify.so), so the source
 * tree works without installing.  SOCKSIFY_LIBRARY wins over both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

void sx_cmd_library(char *buf, size_t len)
{
	const char *env = getenv("SOCKSIFY_LIBRARY");
#ifndef SX_LIBDIR
	char self[4096];
	ssize_t n;
	char *slash;
#endif

	if (env && env[0]) {
		snprintf(buf, len, "%s", env);
		return;
	}
#ifdef SX_LIBDIR
	snprintf(buf, len, "%s/libsocksify.so", SX_LIBDIR);
#else
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%s/libsocksify.so", slash ? self : ".");
#endif
}
