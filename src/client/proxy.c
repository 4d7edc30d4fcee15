/*
 * proxy.c - connect the program's own socket to the proxy and run the
 * handshake on it, then hand the socket back as a successful connect()
 * would.  The socket's file status flags and TCP_NODELAY are restored;
 * on failure the socket is disconnected again, so it looks like a socket
 * whose connect() failed, and nothing ever goes direct.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "socksify/client.h"
#include "socksify/runtime.h"

/* What we change on the program's socket, to put it back afterwards. */
struct saved_sock {
	int flags;
	int nodelay;
	bool nodelay_known;
};

static void sock_prepare(int fd, struct saved_sock *s)
{
	socklen_t len = sizeof(s->nodelay);
	int one = 1;

	s->flags = fcntl(fd, F_GETFL);
	if (s->flags >= 0 && !(s->flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, s->flags | O_NONBLOCK);
	s->nodelay_known = getsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
				      &s->nodelay, &len) == 0;
	/* The handshake is a few small messages: send each at once. */
	if (s->nodelay_known && !s->nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void sock_restore(int fd, const struct saved_sock *s)
{
	if (s->nodelay_known && !s->nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &s->nodelay,
			   sizeof(s->nodelay));
	if (s->flags >= 0 && !(s->flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, s->flags);
}

/* Undo a connection so the socket can be connected again (RFC-less but
 * Linux-documented: connect() with AF_UNSPEC). */
static void sock_disconnect(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	sx_real.connect(fd, &sa, sizeof(sa));
}

/* A timeout set on a blocking socket bounds our waits too. */
static int sock_timeout_ms(int fd, int opt, int conf_ms)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	int64_t ms;

	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0)
		return conf_ms;
	ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if (ms > 0 && ms < conf_ms)
		return (int)ms;
	return conf_ms;
}

/* The proxy's address in the socket's own family. */
static int proxy_sockaddr(int fd, int family, const struct sx_proxy_addr *pa,
			  struct sockaddr_storage *out, socklen_t *len,
			  struct sx_failure *f)
{
	const struct sockaddr_in *v4 = (const void *)&pa->v4;
	struct sockaddr_in6 *m = (void *)out;
	int v6only = 0;
	socklen_t olen = sizeof(v6only);

	if (family == AF_INET) {
		if (!pa->v4.ss_family) {
			f->err = EAFNOSUPPORT;
			snprintf(f->why, sizeof(f->why), "the proxy has no "
				 "IPv4 address for this IPv4 socket");
			return -1;
		}
		memcpy(out, &pa->v4, pa->v4len);
		*len = pa->v4len;
		return 0;
	}
	if (pa->v6.ss_family) {
		memcpy(out, &pa->v6, pa->v6len);
		*len = pa->v6len;
		return 0;
	}
	/* An IPv6 socket reaches an IPv4 proxy through a v4-mapped address. */
	getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
	if (v6only) {
		f->err = EAFNOSUPPORT;
		snprintf(f->why, sizeof(f->why), "the proxy has only an IPv4 "
			 "address and this socket is IPv6-only");
		return -1;
	}
	memset(m, 0, sizeof(*m));
	m->sin6_family = AF_INET6;
	m->sin6_port = v4->sin_port;
	m->sin6_addr.s6_addr[10] = 0xff;
	m->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&m->sin6_addr.s6_addr[12], &v4->sin_addr, 4);
	*len = sizeof(*m);
	return 0;
}

/* The non-blocking TCP connect to the proxy, finished. */
static int wait_connected(int fd, int64_t deadline, struct sx_failure *f)
{
	socklen_t elen = sizeof(int);
	int err = sx_io_wait(fd, POLLOUT, deadline);

	if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (!err)
		return 0;
	f->err = err;
	snprintf(f->why, sizeof(f->why), "cannot reach the proxy: %s",
		 err == ETIMEDOUT ? "connect timed out" : strerror(err));
	return -1;
}

/*
 * What goes on the wire: the destination's address, or for a mapped
 * address (remote DNS) the name it stands for.
 */
static int dest_wire(const struct sockaddr *dst, struct sx_addr *wire,
		     struct sx_failure *f)
{
	struct sx_addr a;
	char name[256], text[64];
	int family;

	sx_addr_from_sockaddr(&a, dst);
	*wire = a;
	family = a.atyp == SX_ATYP_IPV4 ? AF_INET : AF_INET6;
	if (!sx_names_lookup(family, a.atyp == SX_ATYP_IPV4 ? (void *)a.u.v4 :
			     (void *)a.u.v6, name, sizeof(name)))
		return 0;
	if (!name[0]) {
		inet_ntop(family, a.atyp == SX_ATYP_IPV4 ? (void *)a.u.v4 :
			  (void *)a.u.v6, text, sizeof(text));
		f->err = EHOSTUNREACH;
		snprintf(f->why, sizeof(f->why), "%s is a socksify mapped address "
			 "whose name is unknown here (recycled, or handed out by "
			 "another process); not connecting", text);
		return -1;
	}
	memset(wire, 0, sizeof(*wire));
	wire->atyp = SX_ATYP_NAME;
	wire->namelen = (uint8_t)strlen(name);
	memcpy(wire->u.name, name, wire->namelen + 1);
	wire->port = a.port;
	return 0;
}

static int handshake(int fd, const struct sx_proxy *p, const struct sx_addr *dst,
		     int64_t deadline, struct sx_failure *f)
{
	struct sx_s5_reply reply;

	if (p->type == SX_PROXY_SOCKS5)
		return sx_socks5_handshake(fd, p, SX_S5_CMD_CONNECT, dst, &reply,
					   deadline, f);
	return sx_socks4_handshake(fd, p, SX_S4_CMD_CONNECT, dst, NULL,
				   deadline, f);
}

int sx_conn_begin(struct sx_conn *c, int fd, const struct sockaddr *dst,
		  socklen_t dstlen)
{
	const struct sx_runtime *rt = sx_runtime();
	const struct sx_conf *conf = &rt->conf;
	int cto = conf->connect_timeout_ms;
	struct saved_sock saved;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	memcpy(&c->dst, dst, dstlen);
	c->dstlen = dstlen;
	c->hto = conf->handshake_timeout_ms;
	sx_sockaddr_str(dst, c->dtext, sizeof(c->dtext));
	if (conf->error[0]) {
		c->f.err = ENETUNREACH;
		snprintf(c->f.why, sizeof(c->f.why), "not connecting: the "
			 "configuration is broken (%s)", conf->error);
		return -1;
	}
	if (rt->proxy.resolve_err) {
		c->f.err = rt->proxy.resolve_err;
		snprintf(c->f.why, sizeof(c->f.why), "%s", rt->proxy.resolve_msg);
		return -1;
	}
	if (dest_wire(dst, &c->wire, &c->f) < 0)
		return -1;
	if (c->wire.atyp == SX_ATYP_NAME)
		snprintf(c->dtext, sizeof(c->dtext), "%s:%u", c->wire.u.name,
			 c->wire.port);
	if (proxy_sockaddr(fd, dst->sa_family, &rt->proxy, &c->psa, &c->plen,
			   &c->f) < 0)
		return -1;

	sock_prepare(fd, &saved);
	c->flags = saved.flags;
	c->nodelay = saved.nodelay;
	c->nodelay_known = saved.nodelay_known;
	c->prepared = true;
	if (!(saved.flags & O_NONBLOCK)) {
		cto = sock_timeout_ms(fd, SO_SNDTIMEO, cto);
		c->hto = sock_timeout_ms(fd, SO_RCVTIMEO, c->hto);
	}
	c->connect_deadline = sx_now_ms() + cto;
	if (sx_real.connect(fd, (struct sockaddr *)&c->psa, c->plen) == 0)
		return 0;
	if (errno == EINPROGRESS) {
		c->in_progress = true;
		return 0;
	}
	c->f.err = errno;
	snprintf(c->f.why, sizeof(c->f.why), "cannot reach the proxy: %s",
		 strerror(errno));
	sx_conn_end(c, -1, fd);
	return -1;
}

int sx_conn_finish(struct sx_conn *c, int workfd)
{
	const struct sx_conf *conf = &sx_runtime()->conf;
	int rc = 0;

	if (c->in_progress)
		rc = wait_connected(workfd, c->connect_deadline, &c->f);
	if (rc == 0)
		rc = handshake(workfd, &conf->proxy, &c->wire,
			       sx_now_ms() + c->hto, &c->f);
	sx_conn_end(c, rc, workfd);
	return rc;
}

void sx_conn_end(struct sx_conn *c, int rc, int workfd)
{
	struct saved_sock saved = {
		.flags = c->flags, .nodelay = c->nodelay,
		.nodelay_known = c->nodelay_known,
	};

	if (!c->prepared)
		return;
	if (rc < 0)
		sock_disconnect(workfd);
	sock_restore(workfd, &saved);
	c->prepared = false;
}

int sx_conn_report(const struct sx_conn *c, int rc)
{
	const struct sx_runtime *rt = sx_runtime();

	if (rc < 0) {
		sx_log(SX_LOG_ERROR, "%s via %s: %s", c->dtext, rt->proxy.text,
		       c->f.why);
		errno = c->f.err ? c->f.err : ECONNREFUSED;
		return -1;
	}
	sx_log(SX_LOG_INFO, "%s via %s: connected", c->dtext, rt->proxy.text);
	return 0;
}

int sx_proxy_connect(int fd, const struct sockaddr *dst, socklen_t dstlen)
{
	struct sx_conn c;
	int saved_errno = errno, rc;

	sx_guard++;
	rc = sx_conn_begin(&c, fd, dst, dstlen);
	if (rc == 0)
		rc = sx_conn_finish(&c, fd);
	if (rc == 0)
		sx_fd_set_peer(fd, dst, dstlen);
	rc = sx_conn_report(&c, rc);
	sx_guard--;
	if (rc == 0)
		errno = saved_errno;
	return rc;
}
