/*
 * log.c - one line per event, "socksify: ...", on stderr or the log file.
 * Never touches stdout, never changes errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "socksify/runtime.h"

bool sx_log_enabled(enum sx_log_level level)
{
	const struct sx_runtime *rt = sx_runtime();

	return rt->conf.log_level != SX_LOG_QUIET && level <= rt->conf.log_level;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = sx_real.write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void sx_vlog(enum sx_log_level level, const char *fmt, va_list ap)
{
	const struct sx_runtime *rt;
	char line[1024];
	int saved = errno, n, fd = 2;

	sx_real_init();
	SX_GUARD_SCOPE();
	rt = sx_runtime();
	if (rt->conf.log_level == SX_LOG_QUIET || level > rt->conf.log_level)
		goto out;
	n = snprintf(line, sizeof(line), "socksify: ");
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* Opened per line: a program may close any descriptor we kept. */
	if (rt->conf.log_file[0])
		fd = open(rt->conf.log_file,
			  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = 2;
	write_all(fd, line, (size_t)n);
	if (fd != 2)
		sx_real.close(fd);
out:
	errno = saved;
}

void sx_log(enum sx_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sx_vlog(level, fmt, ap);
	va_end(ap);
}
