/* gss_server_io.c - the connection of the fake GSS-API SOCKS 5 server
 * (tests/progs/gss_server.c): see gss_server_io.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gss_server_io.h"

int logfd = 2;

/* gss_wrap and gss_unwrap from the two threads of a relay. */
static pthread_mutex_t glock = PTHREAD_MUTEX_INITIALIZER;

void logmsg(const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = n > (int)sizeof(b) - 2 ? (int)sizeof(b) - 2 : n;
	b[n++] = '\n';
	if (write(logfd, b, (size_t)n) < 0)     /* one write: lines stay whole */
		return;
}

long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void log_gss(const char *what, OM_uint32 major, OM_uint32 minor)
{
	OM_uint32 m, c1 = 0, c2 = 0;
	gss_buffer_desc a = GSS_C_EMPTY_BUFFER, b = GSS_C_EMPTY_BUFFER;

	gss_display_status(&m, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &c1, &a);
	gss_display_status(&m, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &c2, &b);
	logmsg("error %s: %.*s; %.*s", what, (int)a.length, (char *)a.value,
	       (int)b.length, (char *)b.value);
	gss_release_buffer(&m, &a);
	gss_release_buffer(&m, &b);
}

/* ---- frames ---------------------------------------------------------------- */

int write_all(int fd, const void *p, size_t len)
{
	for (const uint8_t *b = p; len > 0;) {
		ssize_t k = send(fd, b, len, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		len -= (size_t)k;
	}
	return 0;
}

int need(struct conn *c, size_t n)
{
	if (c->e - c->s >= n)
		return 0;
	if (c->s + n > INCAP) {
		memmove(c->in, c->in + c->s, c->e - c->s);
		c->e -= c->s;
		c->s = 0;
	}
	while (c->e - c->s < n) {
		ssize_t k = recv(c->fd, c->in + c->e, INCAP - c->e, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c->e += (size_t)k;
	}
	return 0;
}

int get_frame(struct conn *c, int mtyp, const char *what, uint8_t **tok,
	      size_t *len)
{
	const char *why = "EOF";
	uint8_t *h;

	if (need(c, 2) == 0) {
		h = c->in + c->s;
		why = h[0] != 1 ? "a bad version" : h[1] == 0xff ? "01 ff" :
		      h[1] != mtyp ? "another message type" : NULL;
		if (!why && need(c, HLEN) == 0) {
			h = c->in + c->s;
			*len = (size_t)h[2] << 8 | h[3];
			if (need(c, HLEN + *len) == 0) {
				*tok = c->in + c->s + HLEN;
				c->s += HLEN + *len;
				return 0;
			}
		}
	}
	logmsg("error %s: the client sent %s", what, why ? why : "EOF");
	return -1;
}

/* A whole frame is buffered: the next get_frame does not block. */
static int frame_ready(const struct conn *c)
{
	const uint8_t *h = c->in + c->s;

	return c->e - c->s >= HLEN && c->e - c->s >= HLEN + (size_t)(h[2] << 8 | h[3]);
}

int flush_out(struct conn *c)
{
	int rc = c->n ? write_all(c->fd, c->out, c->n) : 0;

	c->n = 0;
	return rc;
}

int put_frame(struct conn *c, int ver, int mtyp, const void *tok, size_t len)
{
	if (c->n + HLEN + len > OUTCAP && flush_out(c) < 0)
		return -1;
	c->out[c->n++] = (uint8_t)ver;
	c->out[c->n++] = (uint8_t)mtyp;
	c->out[c->n++] = (uint8_t)(len >> 8);
	c->out[c->n++] = (uint8_t)len;
	memcpy(c->out + c->n, tok, len);
	c->n += len;
	return 0;
}

int send_frame(struct conn *c, int ver, int mtyp, const void *tok, size_t len)
{
	return put_frame(c, ver, mtyp, tok, len) < 0 ? -1 : flush_out(c);
}

int gss(struct conn *c, int wrap, int conf, const void *p, size_t len,
	gss_buffer_desc *out)
{
	gss_buffer_desc in = { len, (void *)p };
	OM_uint32 major, minor;

	pthread_mutex_lock(&glock);
	major = wrap ? gss_wrap(&minor, c->ctx, conf, GSS_C_QOP_DEFAULT, &in, NULL, out) :
		gss_unwrap(&minor, c->ctx, &in, out, NULL, NULL);
	pthread_mutex_unlock(&glock);
	if (GSS_ERROR(major))
		log_gss(wrap ? "gss_wrap" : "gss_unwrap", major, minor);
	return GSS_ERROR(major) ? -1 : 0;
}

int put_wrapped(struct conn *c, const uint8_t *p, size_t len)
{
	for (size_t k; len > 0; p += k, len -= k) {
		gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
		OM_uint32 minor;
		int rc;

		k = len < c->maxin ? len : c->maxin;
		if (gss(c, 1, c->level == 2, p, k, &out) < 0)
			return -1;
		rc = put_frame(c, 1, 3, out.value, out.length);
		gss_release_buffer(&minor, &out);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- data ------------------------------------------------------------------ */

/* From the client until EOF: to dest (-1: nowhere), or back (echo).
 * Returns the plaintext bytes, -1 on an error. */
static long long from_client(struct conn *c, int dest, int echo)
{
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor;
	long long total = 0;
	uint8_t *tok;
	size_t len;
	int rc;

	while (c->level == 0) {
		ssize_t k = c->e - c->s;

		if (k == 0 && (k = recv(c->fd, c->in, INCAP, 0)) < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k == 0 ? total : -1;
		if (c->e == c->s) {
			c->s = 0;
			c->e = (size_t)k;
		}
		if ((dest >= 0 && write_all(dest, c->in + c->s, (size_t)k) < 0) ||
		    (echo && write_all(c->fd, c->in + c->s, (size_t)k) < 0))
			return -1;
		c->s = c->e;
		total += k;
	}
	while (need(c, 1) == 0) {
		if (get_frame(c, 3, "data", &tok, &len) < 0 ||
		    gss(c, 0, 0, tok, len, &out) < 0)
			return -1;
		total += (long long)out.length;
		rc = dest >= 0 ? write_all(dest, out.value, out.length) :
		     echo ? put_wrapped(c, out.value, out.length) : 0;
		gss_release_buffer(&minor, &out);
		if (rc < 0 || (echo && !frame_ready(c) && flush_out(c) < 0))
			return -1;
	}
	return total;
}

struct relay {
	struct conn c;                  /* a copy, with its own output buffer */
	int dest;
};

/* Destination -> client: the second thread of a relay. */
static void *to_client(void *arg)
{
	struct relay *r = arg;
	uint8_t *b = malloc(OUTCAP / 2);
	ssize_t k;

	while (b && ((k = recv(r->dest, b, OUTCAP / 2, 0)) > 0 ||
		     (k < 0 && errno == EINTR))) {
		if (k > 0 && (r->c.level == 0 ? write_all(r->c.fd, b, (size_t)k) :
			      put_wrapped(&r->c, b, (size_t)k) || flush_out(&r->c)))
			break;
	}
	shutdown(r->c.fd, SHUT_WR);
	free(b);
	return NULL;
}

void relay(struct conn *c, int dest)
{
	struct relay r = { *c, dest };
	pthread_t t;

	r.c.out = malloc(OUTCAP);
	if (r.c.out && pthread_create(&t, NULL, to_client, &r) == 0) {
		from_client(c, dest, 0);
		shutdown(dest, SHUT_WR);
		pthread_join(t, NULL);
	}
	close(dest);
	free(r.c.out);
}

void serve(struct conn *c, const char *mode, long long bytes)
{
	long long t0 = now_ms(), n = 0;
	static uint8_t pat[MAXTOK + 26];

	if (strcmp(mode, "source") != 0) {
		n = from_client(c, -1, strcmp(mode, "echo") == 0);
		logmsg("serve %s bytes=%lld ms=%lld", mode, n, now_ms() - t0);
		return;
	}
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)('a' + i % 26);
	while (n < bytes) {
		size_t k = c->level ? c->maxin : MAXTOK;

		k = bytes - n < (long long)k ? (size_t)(bytes - n) : k;
		if (c->level == 0 ? write_all(c->fd, pat + n % 26, k) :
		    put_wrapped(c, pat + n % 26, k))
			break;
		n += (long long)k;
	}
	flush_out(c);
	shutdown(c->fd, SHUT_WR);
	logmsg("serve source bytes=%lld ms=%lld", n, now_ms() - t0);
	from_client(c, -1, 0);          /* until the client closes */
}
