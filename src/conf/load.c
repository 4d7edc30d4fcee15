/*
 * load.c - read the config files and the environment, in order:
 *   SX_SYSCONFDIR/socksify.conf, $HOME/.socksify.conf, $SOCKSIFY_CONF,
 *   then the SOCKSIFY_* variables.
 *
 * Runs inside arbitrary programs: plain open/read/close (O_CLOEXEC), no
 * stdio streams, no output, no exit; every problem ends up in c->error.
 */
#include "socksify/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (1024 * 1024)          /* larger config files are refused */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void append_source(struct sx_conf *c, const char *what)
{
	size_t used = strnlen(c->sources, sizeof c->sources);

	if (used >= sizeof c->sources - 1)
		return;
	snprintf(c->sources + used, sizeof c->sources - used, "%s%s",
		 used ? ", " : "", what);
}

/* Grow *buf to hold at least want bytes; the old copy is wiped. */
static int grow(char **buf, size_t *cap, size_t len, size_t want)
{
	char *nbuf = malloc(want);

	if (!nbuf)
		return -1;
	if (*buf) {
		memcpy(nbuf, *buf, len);
		explicit_bzero(*buf, len);
		free(*buf);
	}
	*buf = nbuf;
	*cap = want;
	return 0;
}

/*
 * Read a whole file.  Returns 0 with *out (malloc'd) and *outlen, -1 with
 * *errnum, or -2 when it is larger than FILE_MAX.
 */
static int read_file(const char *path, char **out, size_t *outlen, int *errnum)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, rc = -1;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		*errnum = errno;
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*errnum = errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		*errnum = EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > FILE_MAX) {
		rc = -2;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t want = cap ? cap * 2 : (S_ISREG(st.st_mode) ?
							(size_t)st.st_size + 1 : 4096);

			if (want > FILE_MAX + 1)
				want = FILE_MAX + 1;
			if (len >= want) {
				rc = -2;
				goto out;
			}
			if (grow(&buf, &cap, len, want) < 0) {
				*errnum = ENOMEM;
				goto out;
			}
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*errnum = errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FILE_MAX) {
		rc = -2;
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
	return rc;
}

/* Returns 0 (read and parsed, or missing and optional) or -1 (c->error). */
static int load_file(struct sx_conf *c, const char *path, bool must_exist)
{
	char *buf = NULL;
	size_t len = 0;
	int errnum = 0, rc;

	rc = read_file(path, &buf, &len, &errnum);
	if (rc == -1) {
		char ebuf[128];

		if (!must_exist && (errnum == ENOENT || errnum == ENOTDIR))
			return 0;
		seterr(c->error, sizeof c->error, "%s: %s", path,
		       strerror_r(errnum, ebuf, sizeof ebuf));
		return -1;
	}
	if (rc == -2) {
		seterr(c->error, sizeof c->error,
		       "%s: file too large (max 1 MiB)", path);
		return -1;
	}
	append_source(c, path);
	rc = sx_conf_parse_text(c, path, buf, len);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

void sx_conf_load_from(struct sx_conf *c, const char *sysconf_path,
		       const char *(*getenv_fn)(const char *))
{
	const char *home, *named;

	sx_conf_defaults(c);
	if (sysconf_path && sysconf_path[0] && load_file(c, sysconf_path, false) < 0)
		return;

	home = getenv_fn ? getenv_fn("HOME") : NULL;
	if (home && home[0]) {
		char path[4096];
		size_t n = strlen(home);

		while (n > 1 && home[n - 1] == '/')
			n--;
		if (n == 1 && home[0] == '/')
			n = 0;
		if (n + sizeof "/.socksify.conf" > sizeof path) {
			seterr(c->error, sizeof c->error,
			       "HOME: path too long for ~/.socksify.conf");
			return;
		}
		memcpy(path, home, n);
		memcpy(path + n, "/.socksify.conf", sizeof "/.socksify.conf");
		if (load_file(c, path, false) < 0)
			return;
	}

	named = getenv_fn ? getenv_fn("SOCKSIFY_CONF") : NULL;
	if (named && named[0] && load_file(c, named, true) < 0)
		return;

	sx_conf_apply_env(c, getenv_fn);
}

static const char *secure_getenv_fn(const char *name)
{
	return secure_getenv(name);
}

void sx_conf_load(struct sx_conf *c)
{
	sx_conf_load_from(c, SX_SYSCONFDIR "/socksify.conf", secure_getenv_fn);
}
