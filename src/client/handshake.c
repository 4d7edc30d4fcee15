/*
 * handshake.c - the client side of SOCKS 5 (RFC 1928, with RFC 1929
 * username/password) and SOCKS 4/4a, over a connected socket.
 *
 * Every reply is read by its own length (proto.h parsers), so a byte of
 * the program's data that follows a reply is never consumed here.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "socksify/client.h"
#include "socksify/gssapi.h"

int sx_fail(struct sx_failure *f, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	f->err = err;
	return -1;
}

#define fail sx_fail

/* Turn a wire result (wire.c) into a failure. */
static int io_fail(struct sx_failure *f, struct sx_wire_res r, const char *step)
{
	int rc = r.err;

	f->stalled = rc == ETIMEDOUT;   /* silence, not a reply saying so */
	if (r.perr)
		return fail(f, EPROTO, "malformed %s from proxy: %s (is it a "
			    "SOCKS server of the version the URL says?)", step,
			    sx_perr_str(r.perr));
	if (rc == SX_WIRE_EOF)
		return fail(f, ECONNABORTED,
			    "proxy closed the connection during the %s", step);
	/* A reset is a close too: one errno for both (README "Errors"). */
	if (rc == ECONNRESET || rc == EPIPE)
		return fail(f, ECONNABORTED,
			    "proxy reset the connection during the %s", step);
	if (rc == ETIMEDOUT)
		return fail(f, ETIMEDOUT, "handshake timed out (%s): no answer "
			    "within handshake_timeout", step);
	return fail(f, rc, "%s failed: %s", step, strerror(rc));
}

static bool have_credentials(const struct sx_proxy *p)
{
	return p->user[0] != '\0';
}

/*
 * The method the server chose: fine, or a failure with a clear reason.
 * only_userpass: we offered username/password alone (pipelining).
 */
static int check_method(uint8_t method, bool offered_userpass,
			bool only_userpass, struct sx_failure *f)
{
	if (method == SX_S5_METHOD_NONE && !only_userpass)
		return 0;
	if (method == SX_S5_METHOD_USERPASS && offered_userpass)
		return 0;
	if (method == SX_S5_METHOD_REJECT && only_userpass)
		return fail(f, EACCES, "proxy does not accept username/password "
			    "authentication (with pipelining on, it is the only "
			    "method offered; set pipelining off for this proxy if "
			    "it needs no authentication)");
	if (method == SX_S5_METHOD_USERPASS || (method == SX_S5_METHOD_REJECT &&
						!offered_userpass))
		return fail(f, EACCES, "proxy requires authentication and no "
			    "user name and password are configured (set user "
			    "and password in socksify.conf, or run socksify -u "
			    "USER)");
	if (method == SX_S5_METHOD_REJECT)
		return fail(f, EACCES, "proxy accepted none of our "
			    "authentication methods (none, username/password; "
			    "for Kerberos set gssapi on)");
	return fail(f, EPROTO, "proxy chose authentication method 0x%02x, "
		    "which we did not offer%s", method,
		    method == SX_S5_METHOD_GSSAPI ? " (for GSS-API, set gssapi "
		    "on)" : "");
}

/* RFC 1929 request into buf; returns its length or -1 with *f. */
static ssize_t userpass_encode(uint8_t *buf, size_t cap,
			       const struct sx_proxy *p, struct sx_failure *f)
{
	ssize_t n = sx_userpass_encode(buf, cap, p->user, strlen(p->user),
				       p->pass, strlen(p->pass));

	if (n < 0)
		return fail(f, EINVAL, "cannot send credentials: %s",
			    sx_perr_str((int)n));
	return n;
}

static int userpass_reply(int fd, const struct sx_proxy *p, int64_t deadline,
			  struct sx_failure *f)
{
	uint8_t buf[2], status = 0;
	struct sx_wire_res r;

	r = sx_wire_recv(fd, buf, sizeof(buf), sx_parse_userpass, &status,
			 deadline);
	if (r.err)
		return io_fail(f, r, "authentication reply");
	if (status != 0)
		return fail(f, EACCES, "authentication failed: user name or "
			    "password rejected by the proxy (user '%s')",
			    p->user);
	return 0;
}

static int userpass_auth(int fd, const struct sx_proxy *p, int64_t deadline,
			 struct sx_failure *f)
{
	uint8_t buf[3 + 255 + 255];
	ssize_t n;
	struct sx_wire_res r;

	n = userpass_encode(buf, sizeof(buf), p, f);
	if (n < 0)
		return -1;
	r = sx_wire_send(fd, buf, (size_t)n, deadline);
	explicit_bzero(buf, sizeof(buf));
	if (r.err)
		return io_fail(f, r, "authentication");
	return userpass_reply(fd, p, deadline, f);
}

/* Read the reply to the request, by its ATYP, and judge it. */
static int request_reply(int fd, struct sx_s5_reply *reply, int64_t deadline,
			 struct sx_failure *f)
{
	uint8_t buf[4 + 1 + 255 + 2];
	struct sx_wire_res r;

	r = sx_wire_recv(fd, buf, sizeof(buf), sx_parse_s5_reply, reply,
			 deadline);
	if (r.err)
		return io_fail(f, r, "reply");
	/* Tor's extended codes are known by their hex value (X'F0') */
	if (sx_s5_rep_is_tor(reply->rep))
		return fail(f, sx_s5_rep_errno(reply->rep), "%s (SOCKS reply "
			    "0x%02X)", sx_s5_rep_str(reply->rep), reply->rep);
	if (reply->rep != SX_S5_REP_SUCCEEDED)
		return fail(f, sx_s5_rep_errno(reply->rep), "%s (SOCKS reply %u)",
			    sx_s5_rep_str(reply->rep), reply->rep);
	return 0;
}

static ssize_t request_encode(uint8_t *buf, size_t cap, uint8_t cmd,
			      const struct sx_addr *dst, struct sx_failure *f)
{
	ssize_t n = sx_s5_request_encode(buf, cap, cmd, dst);

	if (n < 0)
		return fail(f, EINVAL, "request: %s", sx_perr_str((int)n));
	return n;
}

static bool method_only_userpass(const struct sx_proxy *p)
{
	return have_credentials(p);
}

/*
 * One write, one round trip: the greeting offers exactly one method, so
 * the server's choice is known in advance and what follows it can be sent
 * at once: 0x00 (no credentials) + request, or 0x02 + credentials +
 * request.  The replies are still read one by one, by their lengths, so
 * a refusal is reported by the message that refuses (0xFF, auth status),
 * even when the proxy then closes on our unread request.
 */
static int socks5_pipelined(int fd, const struct sx_proxy *p, uint8_t cmd,
			    const struct sx_addr *dst, struct sx_s5_reply *reply,
			    int64_t deadline, struct sx_failure *f)
{
	uint8_t buf[3 + (3 + 255 + 255) + (4 + 1 + 255 + 2)];
	uint8_t method = have_credentials(p) ? SX_S5_METHOD_USERPASS :
					       SX_S5_METHOD_NONE;
	size_t len;
	ssize_t n;
	struct sx_wire_res r = { 0 };

	f->stalled = false;
	n = sx_s5_greeting_encode(buf, sizeof(buf), &method, 1);
	if (n < 0)
		return fail(f, EINVAL, "greeting: %s", sx_perr_str((int)n));
	len = (size_t)n;
	if (method == SX_S5_METHOD_USERPASS) {
		n = userpass_encode(buf + len, sizeof(buf) - len, p, f);
		if (n < 0)
			return -1;
		len += (size_t)n;
	}
	n = request_encode(buf + len, sizeof(buf) - len, cmd, dst, f);
	if (n >= 0)
		r = sx_wire_send(fd, buf, len + (size_t)n, deadline);
	if (method == SX_S5_METHOD_USERPASS)    /* the password: gone */
		explicit_bzero(buf, sizeof(buf));
	if (n < 0)
		return -1;
	if (r.err)
		return io_fail(f, r, "greeting");
	r = sx_wire_recv(fd, buf, sizeof(buf), sx_parse_method, &method,
			 deadline);
	/* ssh -D closes without a 0xFF when it does not like the methods */
	if (r.err == SX_WIRE_EOF && method_only_userpass(p))
		return fail(f, ECONNABORTED, "proxy closed the connection "
			    "during the method selection (with pipelining on, "
			    "username/password is the only method offered; set "
			    "pipelining off for this proxy if it needs no "
			    "authentication)");
	if (r.err) {
		io_fail(f, r, "method selection");
		f->stalled = false;     /* silent from the start: not a stall */
		return -1;
	}
	if (check_method(method, have_credentials(p), have_credentials(p),
			 f) < 0)
		return -1;
	/* From here a timeout (f->stalled, set by io_fail) is silence after
	 * the method reply: the proxy may have dropped what followed the
	 * greeting (microsocks).  A reply with a timeout code is not. */
	if (method == SX_S5_METHOD_USERPASS &&
	    userpass_reply(fd, p, deadline, f) < 0)
		return -1;
	return request_reply(fd, reply, deadline, f);
}

/*
 * auto is decided by src/client/chain.c (the first hop, from what a probe
 * has shown: src/client/pipeauto.c), which asks for it (pipe); else auto
 * is off here.  See bench/PIPELINING.txt.
 */
static int socks5_handshake(int fd, const struct sx_proxy *p, bool pipe,
			    uint8_t cmd, const struct sx_addr *dst,
			    struct sx_s5_reply *reply, int64_t deadline,
			    struct sx_failure *f)
{
	uint8_t buf[4 + 1 + 255 + 2];
	uint8_t methods[2] = { SX_S5_METHOD_NONE, SX_S5_METHOD_USERPASS };
	bool userpass = have_credentials(p);
	uint8_t method = 0;
	ssize_t n;
	struct sx_wire_res r;

	if (p->gss.enabled)     /* method 0x01 alone: src/client/gssapi.c */
		return sx_gss_socks5(fd, p, cmd, dst, reply, deadline, f);
	if (pipe || p->pipelining == SX_PIPE_ON)
		return socks5_pipelined(fd, p, cmd, dst, reply, deadline, f);
	n = sx_s5_greeting_encode(buf, sizeof(buf), methods, userpass ? 2 : 1);
	if (n < 0)
		return fail(f, EINVAL, "greeting: %s", sx_perr_str((int)n));
	r = sx_wire_send(fd, buf, (size_t)n, deadline);
	if (r.err)
		return io_fail(f, r, "greeting");
	r = sx_wire_recv(fd, buf, sizeof(buf), sx_parse_method, &method,
			 deadline);
	if (r.err)
		return io_fail(f, r, "method selection");
	if (check_method(method, userpass, false, f) < 0)
		return -1;
	if (method == SX_S5_METHOD_USERPASS &&
	    userpass_auth(fd, p, deadline, f) < 0)
		return -1;

	n = request_encode(buf, sizeof(buf), cmd, dst, f);
	if (n < 0)
		return -1;
	r = sx_wire_send(fd, buf, (size_t)n, deadline);
	if (r.err)
		return io_fail(f, r, "request");
	return request_reply(fd, reply, deadline, f);
}

int sx_socks5_handshake(int fd, const struct sx_proxy *p, uint8_t cmd,
			const struct sx_addr *dst, struct sx_s5_reply *reply,
			int64_t deadline, struct sx_failure *f)
{
	return socks5_handshake(fd, p, false, cmd, dst, reply, deadline, f);
}

int sx_socks5_handshake_piped(int fd, const struct sx_proxy *p, uint8_t cmd,
			      const struct sx_addr *dst,
			      struct sx_s5_reply *reply, int64_t deadline,
			      struct sx_failure *f)
{
	return socks5_handshake(fd, p, true, cmd, dst, reply, deadline, f);
}

/* The SOCKS 4 user id: configured, or the login name identd would report. */
static void socks4_userid(const struct sx_proxy *p, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (p->user[0]) {
		snprintf(out, len, "%s", p->user);
		return;
	}
	out[0] = '\0';
	if (getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(out, len, "%s", res->pw_name);
}

struct s4_reply {
	uint8_t code;
	struct sx_addr bound;
};

static ssize_t parse_s4_reply(const uint8_t *b, size_t n, void *out,
			      size_t *need)
{
	struct s4_reply *r = out;

	return sx_s4_reply_parse(b, n, &r->code, &r->bound, need);
}

int sx_socks4_handshake(int fd, const struct sx_proxy *p, uint8_t cmd,
			const struct sx_addr *dst, struct sx_addr *bound,
			int64_t deadline, struct sx_failure *f)
{
	uint8_t buf[8 + 256 + 256];
	struct s4_reply reply;
	char userid[256];
	ssize_t n;
	struct sx_wire_res r;

	if (dst->atyp == SX_ATYP_IPV6)
		return fail(f, EAFNOSUPPORT, "SOCKS 4 carries IPv4 destinations "
			    "only; use a SOCKS 5 proxy for IPv6");
	if (dst->atyp == SX_ATYP_NAME && p->type != SX_PROXY_SOCKS4A)
		return fail(f, EAFNOSUPPORT, "SOCKS 4 cannot carry a host name; "
			    "use socks4a:// or SOCKS 5");
	socks4_userid(p, userid, sizeof(userid));
	n = sx_s4_request_encode(buf, sizeof(buf), cmd, dst, userid);
	if (n < 0)
		return fail(f, EINVAL, "request: %s", sx_perr_str((int)n));
	r = sx_wire_send(fd, buf, (size_t)n, deadline);
	if (r.err)
		return io_fail(f, r, "request");
	r = sx_wire_recv(fd, buf, sizeof(buf), parse_s4_reply, &reply,
			 deadline);
	if (r.err)
		return io_fail(f, r, "reply");
	if (reply.code != SX_S4_REP_GRANTED)
		return fail(f, sx_s4_rep_errno(reply.code), "%s (SOCKS 4 reply "
			    "0x%02x)", sx_s4_rep_str(reply.code), reply.code);
	if (bound)
		*bound = reply.bound;
	return 0;
}
