/*
 * load.c - read the config files and the environment, in order:
 *   SX_SYSCONFDIR/socksify.conf, $HOME/.socksify.conf, $SOCKSIFY_CONF,
 *   then the SOCKSIFY_* variables.
 *
 * Runs inside arbitrary programs: plain open/read/close (O_CLOEXEC; read
 * and close from the real-symbol table, never the library's own hooks), no
 * stdio streams, no output, no exit; every problem ends up in c->error.
 */
#include "socksify/conf.h"
#include "socksify/runtime.h"

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
 * Read a whole file.  Returns 0 with *out (malloc'd), *outlen and *mode, -1
 * with *errnum, or -2 when it is larger than FILE_MAX.
 */
static int read_file(const char *path, char **out, size_t *outlen,
		     mode_t *mode, int *errnum)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, rc = -1;

	sx_real_init();
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
		n = sx_real.read(fd, buf + len, cap - len);
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
	*mode = st.st_mode;
	buf = NULL;
	rc = 0;
out:
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
	sx_real.close(fd);
	return rc;
}

/* Does this file text set a password (user:password@ in a URL counts)? */
static bool holds_password(const char *path, const char *buf, size_t len)
{
	struct sx_conf *t = malloc(sizeof(*t));
	bool r = true;          /* cannot tell: assume it does */

	if (t) {
		sx_conf_defaults(t);
		sx_conf_parse_text(t, path, buf, len);
		r = t->proxy.pass_set || t->proxy.pass[0];
		explicit_bzero(t, sizeof(*t));
		free(t);
	}
	return r;
}

/*
 * A password in a file others can read is no secret: refuse it, as ssh
 * refuses a private key readable by others, so that the mistake shows at
 * once rather than after the password has leaked.
 */
static int check_private(struct sx_conf *c, const char *path, mode_t mode,
			 const char *buf, size_t len)
{
	if (!(mode & (S_IRGRP | S_IROTH)) || !holds_password(path, buf, len))
		return 0;
	seterr(c->error, sizeof c->error, "%s: holds a password but is readable "
	       "by group or others (mode %04o); refused: make it private "
	       "(chmod 600 %s)", path, (unsigned)(mode & 07777), path);
	return -1;
}

/* Returns 0 (read and parsed, or missing and optional) or -1 (c->error). */
static int load_file(struct sx_conf *c, const char *path, bool must_exist)
{
	char *buf = NULL;
	size_t len = 0;
	mode_t mode = 0;
	int errnum = 0, rc;

	rc = read_file(path, &buf, &len, &mode, &errnum);
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
	if (rc == 0)
		rc = check_private(c, path, mode, buf, len);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

/*
 * After an error, the later sources are still read (their direct networks
 * and log settings apply), but the first error is the one kept: with any
 * error, every connection that would go through the proxy fails.
 */
static void keep_first_error(struct sx_conf *c, char *first, size_t len)
{
	if (!first[0] && c->error[0])
		snprintf(first, len, "%s", c->error);
}

void sx_conf_load_from(struct sx_conf *c, const char *sysconf_path,
		       const char *(*getenv_fn)(const char *))
{
	char first[SX_CONF_ERRLEN] = "";
	const char *home, *named;

	sx_conf_defaults(c);
	if (sysconf_path && sysconf_path[0])
		load_file(c, sysconf_path, false);
	keep_first_error(c, first, sizeof first);

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
		} else {
			memcpy(path, home, n);
			memcpy(path + n, "/.socksify.conf", sizeof "/.socksify.conf");
			load_file(c, path, false);
		}
		keep_first_error(c, first, sizeof first);
	}

	named = getenv_fn ? getenv_fn("SOCKSIFY_CONF") : NULL;
	if (named && named[0])
		load_file(c, named, true);
	keep_first_error(c, first, sizeof first);

	sx_conf_apply_env(c, getenv_fn);
	keep_first_error(c, first, sizeof first);
	if (first[0])
		snprintf(c->error, sizeof c->error, "%s", first);
}

static const char *secure_getenv_fn(const char *name)
{
	return secure_getenv(name);
}

void sx_conf_load(struct sx_conf *c)
{
	sx_conf_load_from(c, SX_SYSCONFDIR "/socksify.conf", secure_getenv_fn);
}
