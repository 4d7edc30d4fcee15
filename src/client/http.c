/*
 * http.c - the client side of HTTP CONNECT (RFC 9110 section 9.3.6),
 * with Basic authentication (RFC 7617), over a connected socket.
 *
 * The reply has no length field: it ends with an empty line.  It is read
 * exactly all the same: what is there is peeked at, and only the bytes up
 * to the end of the reply are taken; bytes after it (the program's data,
 * sent by a server that speaks first) stay in the socket.  While the reply
 * is incomplete every peeked byte belongs to it, so those are taken too
 * and the next wait is for new bytes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "socksify/client.h"
#include "socksify/runtime.h"

/* Take exactly len bytes that a peek showed are there. */
static int take(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = sx_real.recv(fd, buf, len, 0);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n == 0) {
			return SX_WIRE_EOF;
		} else if (errno != EINTR) {
			return errno;
		}
	}
	return 0;
}

/*
 * The reply into buf (cap > SX_HTTP_REPLY_MAX): err 0, SX_WIRE_EOF, an
 * errno value, or EPROTO with perr set.
 */
static struct sx_wire_res recv_reply(int fd, uint8_t *buf, size_t cap,
				     struct sx_http_reply *r, int64_t deadline)
{
	struct sx_wire_res res = { 0, SX_PERR_OK };
	size_t have = 0, need;

	for (;;) {
		ssize_t n = sx_real.recv(fd, buf + have, cap - have, MSG_PEEK);
		ssize_t p;

		if (n == 0) {
			res.err = SX_WIRE_EOF;
			return res;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			res.err = errno;
			return res;
		}
		if (n < 0) {
			res.err = sx_wire_wait(fd, POLLIN, deadline);
			if (res.err)
				return res;
			continue;
		}
		p = sx_http_reply_parse(buf, have + (size_t)n, r, &need);
		if (p < 0) {
			res.err = EPROTO;
			res.perr = (enum sx_perr)-p;
			return res;
		}
		res.err = take(fd, buf + have, p > 0 ? (size_t)p - have : (size_t)n);
		if (res.err || p > 0)
			return res;
		have += (size_t)n;
		if (have >= cap) {
			res.err = EPROTO;
			res.perr = (enum sx_perr)SX_PERR_HTTP_SIZE;
			return res;
		}
	}
}

static int reply_fail(struct sx_failure *f, int rc, enum sx_perr perr)
{
	if (rc == SX_WIRE_EOF)
		return sx_fail(f, ECONNABORTED, "HTTP proxy closed the "
			       "connection before its reply to CONNECT");
	if (rc == ECONNRESET || rc == EPIPE)
		return sx_fail(f, ECONNABORTED, "HTTP proxy reset the "
			       "connection before its reply to CONNECT");
	if (perr)
		return sx_fail(f, EPROTO, "malformed reply from HTTP proxy: %s "
			       "(is it an HTTP proxy?)", sx_perr_str(perr));
	if (rc == ETIMEDOUT)
		return sx_fail(f, ETIMEDOUT, "handshake timed out (HTTP CONNECT):"
			       " no answer within handshake_timeout");
	return sx_fail(f, rc, "HTTP CONNECT failed: %s", strerror(rc));
}

/* A non-2xx reply, as the one line says it. */
static int status_fail(const struct sx_proxy *p, const struct sx_http_reply *r,
		       struct sx_failure *f)
{
	int err = sx_http_status_errno(r->status);

	if (r->status == 407 && !p->user[0])
		return sx_fail(f, EACCES, "the HTTP proxy requires "
			       "authentication (407%s%s) and no user name and "
			       "password are configured (set user and password, or "
			       "http://USER:PASSWORD@HOST:PORT)", r->reason[0] ?
			       " " : "", r->reason);
	/* tinyproxy says 401 to wrong credentials */
	if (r->status == 407 || (r->status == 401 && p->user[0]))
		return sx_fail(f, EACCES, "authentication failed: user name or "
			       "password rejected by the HTTP proxy (user '%s'; "
			       "%d%s%s%s)", p->user, r->status, r->reason[0] ?
			       " " : "", r->reason, r->auth_basic || r->status != 407 ?
			       "" : ", and it does not offer Basic authentication");
	return sx_fail(f, err, "%s (HTTP %d%s%s)", sx_http_status_str(r->status),
		       r->status, r->reason[0] ? " " : "", r->reason);
}

int sx_http_handshake(int fd, const struct sx_proxy *p,
		      const struct sx_addr *dst, int64_t deadline,
		      struct sx_failure *f, int *status)
{
	uint8_t buf[SX_HTTP_REPLY_MAX + 1];
	struct sx_http_reply r;
	struct sx_wire_res res;
	ssize_t n;

	*status = 0;
	sx_real_init();
	n = sx_http_connect_encode((char *)buf, sizeof(buf), dst, p->user,
				   p->pass);
	if (n < 0)
		return sx_fail(f, EINVAL,
			       "HTTP CONNECT request: %s", sx_perr_str((int)n));
	res = sx_wire_send(fd, buf, (size_t)n, deadline);
	explicit_bzero(buf, (size_t)n);
	if (res.err)
		return reply_fail(f, res.err, SX_PERR_OK);
	res = recv_reply(fd, buf, sizeof(buf), &r, deadline);
	if (res.err)
		return reply_fail(f, res.err, res.perr);
	*status = r.status;
	if (r.status < 200 || r.status > 299)
		return status_fail(p, &r, f);
	return 0;
}
