/*
 * proxy.c - connect the program's own socket to the proxy and run the
 * handshake on it, then hand the socket back as a successful connect()
 * would.  The socket's O_NONBLOCK flag is restored;
 * on failure the socket is disconnected again, so it looks like a socket
 * whose connect() failed, and nothing ever goes direct.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "socksify/client.h"
#include "socksify/runtime.h"

/*
 * What we change on the program's socket, to put it back afterwards: only
 * O_NONBLOCK.  TCP_NODELAY is left as the program set it: each message of
 * a handshake is one send(), made after the proxy's answer to the one
 * before (which acknowledges it), or all in one (pipelined), so Nagle's
 * algorithm, which holds back a small segment only while data is
 * unacknowledged, never delays one.
 */

/* O_NONBLOCK on or off, and nothing else (FIONBIO: a third of the
 * instructions of glibc's fcntl(), on every connect, twice). */
static void set_nonblock(int fd, int on)
{
	ioctl(fd, FIONBIO, &on);
}

/* Non-blocking for the handshake (flags: the program's, F_GETFL). */
static void sock_prepare(int fd, int flags)
{
	if (flags >= 0 && !(flags & O_NONBLOCK))
		set_nonblock(fd, 1);
}

static void sock_restore(int fd, int flags)
{
	if (flags >= 0 && !(flags & O_NONBLOCK))
		set_nonblock(fd, 0);
}

/* A timeout set on a blocking socket bounds our waits too. */
static int sock_timeout_ms(int fd, int opt, int conf_ms)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	int64_t ms;

	if (sx_real.getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0)
		return conf_ms;
	ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if (ms > 0 && ms < conf_ms)
		return (int)ms;
	return conf_ms;
}

/*
 * What goes on the wire: the destination's address, or for a mapped
 * address (remote DNS) the name it stands for (ch: the route choice).
 */
static int dest_wire(const struct sockaddr *dst,
		     const struct sx_route_choice *ch, struct sx_addr *wire,
		     struct sx_failure *f)
{
	char text[64];

	sx_addr_from_sockaddr(wire, dst);
	if (!ch->mapped)
		return 0;
	if (!ch->name[0]) {
		inet_ntop(wire->atyp == SX_ATYP_IPV4 ? AF_INET : AF_INET6,
			  wire->atyp == SX_ATYP_IPV4 ? (void *)wire->u.v4 :
			  (void *)wire->u.v6, text, sizeof(text));
		f->err = EHOSTUNREACH;
		snprintf(f->why, sizeof(f->why), "%s is a socksify mapped address "
			 "whose name is unknown here (recycled, or handed out by "
			 "another process); not connecting", text);
		return -1;
	}
	sx_addr_set_name(wire, ch->name, wire->port);
	return 0;
}

/* The route rules' word on this destination (ch): a route set, direct
 * (for a mapped name), or a refusal. */
static int route_pick(struct sx_conn *c, const struct sx_runtime *rt,
		      const struct sx_route_choice *ch)
{
	enum sx_route_kind k = ch->kind;
	char text[400];

	c->set = ch->set;
	c->rule = ch->rule;
	/* a BIND follows the peer's route; for a peer sent direct (bind.c
	 * saw it connected through a proxy earlier), the proxy line's */
	if (k == SX_ROUTE_PROXY || (c->bind && k != SX_ROUTE_BLOCK))
		return 0;
	text[0] = '\0';
	if (c->rule >= 0)
		sx_conf_rule_text(&rt->conf, (size_t)c->rule, text, sizeof(text));
	c->blocked = true;      /* its one line names no proxy */
	if (k == SX_ROUTE_BLOCK)
		return sx_fail(&c->f, EACCES, "blocked by rule %d '%s'",
			       c->rule + 1, text);
	c->direct = true;
	return 0;
}

/* ch: the route choice for dst; flags: the socket's (F_GETFL). */
static int conn_begin(struct sx_conn *c, int fd, const struct sockaddr *dst,
		      socklen_t dstlen, bool bind,
		      const struct sx_route_choice *ch, int flags)
{
	const struct sx_runtime *rt = sx_runtime();
	const struct sx_conf *conf = &rt->conf;
	int cto = conf->connect_timeout_ms;

	/* Every connect comes here: clear the small fields, not 4 KiB. */
	memset(c, 0, offsetof(struct sx_conn, dst));
	c->psa.ss_family = AF_UNSPEC;
	c->wire.atyp = 0;
	c->bound.atyp = 0;
	c->f.err = 0;
	c->f.why[0] = '\0';
	c->trail[0] = '\0';
	c->fd = fd;
	c->bind = bind;
	sx_sa_copy(&c->dst, dst, dstlen);
	c->dstlen = dstlen;
	c->hto = conf->handshake_timeout_ms;
	if (conf->error[0]) {
		c->f.err = ENETUNREACH;
		snprintf(c->f.why, sizeof(c->f.why), "not connecting: the "
			 "configuration is broken (%s)", conf->error);
		return -1;
	}
	if (dest_wire(dst, ch, &c->wire, &c->f) < 0 || route_pick(c, rt, ch) < 0)
		return -1;

	sock_prepare(fd, flags);
	c->flags = flags;
	c->prepared = true;
	if (!(flags & O_NONBLOCK)) {
		cto = sock_timeout_ms(fd, SO_SNDTIMEO, cto);
		c->hto = sock_timeout_ms(fd, SO_RCVTIMEO, c->hto);
	}
	c->cto = cto;
	if (sx_route_start(c, fd) == 0)
		return 0;
	sx_conn_end(c, -1, fd);
	return -1;
}

/* The route choice and flags for a caller that knows neither. */
static int conn_begin_asking(struct sx_conn *c, int fd,
			     const struct sockaddr *dst, socklen_t dstlen,
			     bool bind)
{
	struct sx_route_choice ch;

	sx_route_choose(sx_runtime(), dst, IPPROTO_TCP, &ch);
	return conn_begin(c, fd, dst, dstlen, bind, &ch,
			  sx_real.fcntl(fd, F_GETFL));
}

int sx_conn_begin(struct sx_conn *c, int fd, const struct sockaddr *dst,
		  socklen_t dstlen)
{
	return conn_begin_asking(c, fd, dst, dstlen, false);
}

int sx_conn_begin_chosen(struct sx_conn *c, int fd, const struct sockaddr *dst,
			 socklen_t dstlen, const struct sx_route_choice *ch,
			 int flags)
{
	return conn_begin(c, fd, dst, dstlen, false, ch, flags);
}

int sx_conn_begin_bind(struct sx_conn *c, int fd, const struct sockaddr *dst,
		       socklen_t dstlen)
{
	return conn_begin_asking(c, fd, dst, dstlen, true);
}

int sx_conn_finish(struct sx_conn *c, int workfd)
{
	int rc = sx_route_finish(c, workfd);

	sx_conn_end(c, rc, workfd);
	return rc;
}

void sx_conn_end(struct sx_conn *c, int rc, int workfd)
{
	sx_pipe_probe_drop(c);          /* normally done: chain.c */
	if (!c->prepared)
		return;
	/* (not when the socket's own state refused the connect: EISCONN) */
	if (rc < 0 && !c->sock_state)
		sx_sock_disconnect(workfd);
	sock_restore(workfd, c->flags);
	c->prepared = false;
}

/* The most recent destination connected through the proxy, per thread
 * and per process (kept by the registry, in the step that records the
 * socket's peer): the peer a BIND announces (src/hook/bind.c). */
static __thread struct sockaddr_storage last_thread
	__attribute__((tls_model("initial-exec")));

bool sx_last_destination(struct sockaddr_storage *out)
{
	if (last_thread.ss_family) {
		*out = last_thread;
		return true;
	}
	return sx_reg_last_peer(out) && out->ss_family != 0;
}

void sx_conn_record(const struct sx_conn *c, int fd)
{
	struct sockaddr_storage local;
	socklen_t llen;
	bool bound;

	if (c->direct) {        /* not through a proxy: no BIND peer */
		sx_fd_set_peer(fd, (const struct sockaddr *)&c->dst, c->dstlen,
			       NULL, 0);
		return;
	}
	bound = sx_addr_to_sockaddr(&c->bound, c->dst.ss_family, &local,
				    &llen) == 0;
	sx_fd_set_proxied(fd, (const struct sockaddr *)&c->dst, c->dstlen,
			  bound ? (struct sockaddr *)&local : NULL,
			  bound ? llen : 0);
	sx_sa_copy(&last_thread, &c->dst, c->dstlen);
}

/* "host:port" of the destination for messages: its name when remote DNS
 * mapped it.  Made only when a message is written. */
const char *sx_conn_dtext(const struct sx_conn *c, char *buf, size_t len)
{
	if (c->wire.atyp == SX_ATYP_NAME)
		snprintf(buf, len, "%s:%u", c->wire.u.name, c->wire.port);
	else
		sx_sockaddr_str((const struct sockaddr *)&c->dst, buf, len);
	return buf;
}

int sx_conn_report(const struct sx_conn *c, int rc)
{
	char d[300];

	/* success, the common case: a line only when it is logged */
	if (rc == 0 && !sx_log_enabled(SX_LOG_INFO))
		return 0;
	if (rc < 0 && c->sock_state) {  /* as the kernel answers it: no line */
		errno = c->f.err;
		return -1;
	}
	if (rc < 0 && atomic_load(&c->abandoned))
		sx_log(SX_LOG_DEBUG, "%s: the program closed the socket during "
		       "the handshake", sx_conn_dtext(c, d, sizeof(d)));
	/* every route tried, and why each failed: c->trail */
	else if (rc < 0 && c->blocked)
		sx_log(SX_LOG_ERROR, "%s: %s", sx_conn_dtext(c, d, sizeof(d)),
		       c->f.why);
	else if (rc < 0 && c->tried)
		sx_log(SX_LOG_ERROR, "%s %s", sx_conn_dtext(c, d, sizeof(d)),
		       c->trail);
	else if (rc < 0)
		sx_log(SX_LOG_ERROR, "%s via %s: %s", sx_conn_dtext(c, d, sizeof(d)),
		       sx_runtime()->proxy.text, c->f.why);
	if (rc < 0) {
		errno = c->f.err ? c->f.err : ECONNREFUSED;
		return -1;
	}
	if (c->tried)
		sx_log(SX_LOG_INFO, "%s via %s: connected (after %s)",
		       sx_conn_dtext(c, d, sizeof(d)), c->via, c->trail);
	else
		sx_log(SX_LOG_INFO, "%s via %s: connected",
		       sx_conn_dtext(c, d, sizeof(d)), c->via);
	return 0;
}

int sx_proxy_connect_chosen(int fd, const struct sockaddr *dst,
			    socklen_t dstlen, const struct sx_route_choice *ch,
			    int flags)
{
	struct sx_conn c;
	int saved_errno = errno, rc;

	SX_GUARD_SCOPE();
	rc = sx_conn_begin_chosen(&c, fd, dst, dstlen, ch, flags);
	if (rc == 0)
		rc = sx_conn_finish(&c, fd);
	if (rc == 0)
		sx_conn_record(&c, fd);
	rc = sx_conn_report(&c, rc);
	if (rc == 0)
		errno = saved_errno;
	return rc;
}

int sx_proxy_connect(int fd, const struct sockaddr *dst, socklen_t dstlen)
{
	struct sx_route_choice ch;
	int flags;

	sx_route_choose(sx_runtime(), dst, IPPROTO_TCP, &ch);
	flags = sx_real.fcntl(fd, F_GETFL);
	return sx_proxy_connect_chosen(fd, dst, dstlen, &ch, flags);
}
