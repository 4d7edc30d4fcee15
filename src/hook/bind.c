/*
 * bind.c - accepting a connection through the proxy: SOCKS BIND.
 *
 * The rule (config "bind", SOCKSIFY_BIND):
 *   auto (default)  a TCP listener goes to the proxy when it binds a
 *                   non-loopback address (or the wildcard) on an ephemeral
 *                   port (0), in a process that has connected through the
 *                   proxy: what an FTP client in active mode does.  A
 *                   server binding a fixed port, or anything on loopback,
 *                   listens locally as usual.
 *   proxy           every non-loopback TCP listener goes to the proxy.
 *   local           none does.
 * The peer announced in the BIND request is the destination of the most
 * recent connection through the proxy, in this thread if it made one,
 * else in the process (port 0: any port).
 *
 * listen() then connects the socket to the proxy and sends BIND; the
 * first reply's address is what getsockname() returns (what a program
 * puts in FTP's PORT or EPRT).  accept() completes when the second reply
 * arrives: the socket is readable then, so poll/epoll work as for any
 * listener.  The accepted descriptor is a duplicate of the listening one
 * (they share file status flags such as O_NONBLOCK), its getpeername() is
 * the peer from the second reply, and data flows on it.  A BIND accepts
 * one connection; a second accept() fails with EINVAL.
 *
 * getsockname() on a socket connected through the proxy returns the
 * proxy's BND.ADDR/PORT from the CONNECT reply: the address the
 * destination sees, which is what FTP clients advertise.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socksify/client.h"
#include "socksify/runtime.h"
#include "hook.h"

enum { L_BOUND, L_WAITING, L_DONE };

struct listener {
	struct listener *next;
	int fd;
	dev_t dev;
	ino_t ino;
	int state;
	struct sockaddr_storage bnd;    /* getsockname() */
	socklen_t bndlen;
	struct sx_conn conn;
};

static struct listener *list;           /* under the registry lock */

static void bind_forget(int fd);
static const struct sx_reg_module bind_module = {
	.flag = SX_FD_BIND, .forget = bind_forget,
};

/* Lock held. */
static struct listener *find(int fd)
{
	struct listener *l;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return NULL;
	for (l = list; l; l = l->next)
		if (l->fd == fd && l->dev == st.st_dev && l->ino == st.st_ino)
			return l;
	return NULL;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)
			      ->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)
				      (const void *)sa)->sin6_addr);
}

static bool wants_proxy(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct sx_conf *c = &sx_runtime()->conf;
	struct sockaddr_storage last;
	uint16_t port;

	if (c->bind == SX_BIND_LOCAL || !sa ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    len < (sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
		   sizeof(struct sockaddr_in6)) ||
	    is_loopback(sa) || !sx_is_tcp_inet(fd))
		return false;
	if (c->bind == SX_BIND_PROXY)
		return true;
	port = sa->sa_family == AF_INET ?
	       ((const struct sockaddr_in *)(const void *)sa)->sin_port :
	       ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port;
	return port == 0 && sx_last_destination(&last);
}

SX_EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct listener *l;
	struct stat st;
	int r, saved;

	sx_real_init();
	r = sx_real.bind(fd, sa, len);
	if (r < 0 || sx_guard)
		return r;
	saved = errno;
	SX_GUARD_SCOPE();
	if (wants_proxy(fd, sa, len) && fstat(fd, &st) == 0 &&
	    (l = calloc(1, sizeof(*l)))) {
		sx_reg_module(&bind_module);
		l->fd = fd;
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		sx_reg_lock();
		l->next = list;
		list = l;
		sx_fd_flags_set(fd, SX_FD_BIND, 0);
		sx_reg_unlock();
	}
	errno = saved;
	return r;
}

/* The proxy's address when a reply says 0.0.0.0 (RFC 1928: use the
 * proxy's own). */
static void bnd_address(struct listener *l)
{
	const struct sx_proxy_addr *pa = l->conn.exit;   /* the route's last hop */
	struct sx_addr a = l->conn.bound;
	int family = l->conn.dst.ss_family;

	if (sx_addr_to_sockaddr(&a, family, &l->bnd, &l->bndlen) == 0)
		return;
	sx_addr_from_sockaddr(&a, (const struct sockaddr *)(pa->v4.ss_family ?
							    &pa->v4 : &pa->v6));
	a.port = l->conn.bound.port;
	if (sx_addr_to_sockaddr(&a, family, &l->bnd, &l->bndlen) < 0)
		l->bndlen = 0;
}

static int bind_at_proxy(struct listener *l)
{
	struct sockaddr_storage peer;
	int rc;

	if (!sx_last_destination(&peer)) {
		memset(&peer, 0, sizeof(peer));
		peer.ss_family = l->conn.dst.ss_family ? l->conn.dst.ss_family :
				 AF_INET;
	}
	if (peer.ss_family == AF_INET)
		((struct sockaddr_in *)&peer)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&peer)->sin6_port = 0;
	rc = sx_conn_begin_bind(&l->conn, l->fd, (struct sockaddr *)&peer,
				peer.ss_family == AF_INET ?
				sizeof(struct sockaddr_in) :
				sizeof(struct sockaddr_in6));
	if (rc == 0)
		rc = sx_conn_finish(&l->conn, l->fd);
	if (rc == 0) {
		bnd_address(l);
		l->state = L_WAITING;
		char d[300];

		sx_log(SX_LOG_INFO, "listening through %s for %s (BIND)",
		       l->conn.via, sx_conn_dtext(&l->conn, d, sizeof(d)));
		return 0;
	}
	l->state = L_DONE;
	return sx_conn_report(&l->conn, rc);
}

SX_EXPORT int listen(int fd, int backlog)
{
	struct listener *l;
	int rc = 0, saved = errno;

	sx_real_init();
	if (sx_guard || !(sx_fd_flags(fd) & SX_FD_BIND))
		return sx_real.listen(fd, backlog);
	SX_GUARD_SCOPE();
	sx_reg_lock();
	l = find(fd);
	sx_reg_unlock();
	if (l && l->state == L_BOUND)
		rc = bind_at_proxy(l);
	else if (!l)
		rc = sx_real.listen(fd, backlog);
	if (rc == 0)
		errno = saved;
	return rc;
}

static ssize_t parse_s5(const uint8_t *b, size_t n, void *out, size_t *need)
{
	return sx_s5_reply_parse(b, n, out, need);
}

struct s4 {
	uint8_t code;
	struct sx_addr bound;
};

static ssize_t parse_s4(const uint8_t *b, size_t n, void *out, size_t *need)
{
	struct s4 *r = out;

	return sx_s4_reply_parse(b, n, &r->code, &r->bound, need);
}

/* The second reply: who connected.  0, or -1 with errno and a log line. */
static int second_reply(struct listener *l, struct sx_addr *peer)
{
	int64_t deadline = sx_now_ms() + l->conn.hto;
	uint8_t buf[4 + 1 + 255 + 2];
	struct sx_s5_reply r5;
	struct s4 r4;
	int fl = fcntl(l->fd, F_GETFL), rc;
	uint8_t code;

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(l->fd, F_SETFL, fl | O_NONBLOCK);
	if (l->conn.exit_type == SX_PROXY_SOCKS5) {
		rc = sx_io_recv_msg(l->fd, buf, sizeof(buf), parse_s5, &r5, deadline);
		code = r5.rep;
		*peer = r5.bound;
	} else {
		rc = sx_io_recv_msg(l->fd, buf, sizeof(buf), parse_s4, &r4, deadline);
		code = r4.code == SX_S4_REP_GRANTED ? 0 : r4.code;
		*peer = r4.bound;
	}
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(l->fd, F_SETFL, fl);
	if (rc != 0) {
		sx_log(SX_LOG_ERROR, "BIND via %s: the proxy's second reply did "
		       "not come (%s)", l->conn.via,
		       rc == SX_IO_EOF ? "connection closed" :
		       rc <= -1000 ? "malformed" : strerror(rc));
		errno = rc == ETIMEDOUT ? ETIMEDOUT : ECONNABORTED;
		return -1;
	}
	if (code != 0) {
		bool s5 = l->conn.exit_type == SX_PROXY_SOCKS5;

		sx_log(SX_LOG_ERROR, "BIND via %s: %s (SOCKS reply %u)",
		       l->conn.via, s5 ? sx_s5_rep_str(code) :
		       sx_s4_rep_str(code), code);
		errno = s5 ? sx_s5_rep_errno(code) : sx_s4_rep_errno(code);
		return -1;
	}
	return 0;
}

static int accept_through_proxy(struct listener *l, struct sockaddr *addr,
				socklen_t *alen, int flags)
{
	struct sockaddr_storage peer;
	struct pollfd p = { .fd = l->fd, .events = POLLIN };
	struct sx_addr who;
	socklen_t plen = 0;
	int fl = fcntl(l->fd, F_GETFL), nfd;

	if (l->state != L_WAITING) {
		errno = EINVAL;         /* a BIND accepts one connection */
		return -1;
	}
	/* Wait as accept() would: not at all on a non-blocking socket. */
	if (sx_real.poll(&p, 1, (fl >= 0 && (fl & O_NONBLOCK)) ? 0 : -1) == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (p.revents == 0)
		return -1;              /* EINTR from poll */
	l->state = L_DONE;
	if (second_reply(l, &who) < 0)
		return -1;
	nfd = fcntl(l->fd, (flags & SOCK_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (nfd < 0)
		return -1;
	if ((flags & SOCK_NONBLOCK) && fl >= 0)
		fcntl(nfd, F_SETFL, fl | O_NONBLOCK);
	if (sx_addr_to_sockaddr(&who, l->conn.dst.ss_family, &peer, &plen) == 0) {
		sx_fd_set_peer(nfd, (struct sockaddr *)&peer, plen,
			       l->bndlen ? (struct sockaddr *)&l->bnd : NULL,
			       l->bndlen);
	}
	if (addr && alen) {
		memcpy(addr, &peer, plen < *alen ? plen : *alen);
		*alen = plen;
	}
	sx_log(SX_LOG_INFO, "accepted a connection through %s (BIND)",
	       l->conn.via);
	return nfd;
}

SX_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	struct listener *l;
	int r;

	sx_real_init();
	if (sx_guard || !(sx_fd_flags(fd) & SX_FD_BIND))
		return sx_real.accept4(fd, addr, alen, flags);
	sx_reg_lock();
	l = find(fd);
	sx_reg_unlock();
	if (!l || l->state == L_BOUND)
		return sx_real.accept4(fd, addr, alen, flags);
	SX_GUARD_SCOPE();
	r = accept_through_proxy(l, addr, alen, flags);
	return r;
}

SX_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
	return accept4(fd, addr, alen, 0);
}

SX_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_storage ss;
	struct listener *l;
	socklen_t sl = 0;
	unsigned flags;
	int saved = errno;

	sx_real_init();
	flags = sx_fd_flags(fd);
	if (sx_guard || !addr || !len || !(flags & (SX_FD_BIND | SX_FD_PROXIED)))
		return sx_real.getsockname(fd, addr, len);
	if (flags & SX_FD_BIND) {
		sx_reg_lock();
		l = find(fd);
		if (l && l->state != L_BOUND && l->bndlen) {
			ss = l->bnd;
			sl = l->bndlen;
		}
		sx_reg_unlock();
	}
	if (!sl && (flags & SX_FD_PROXIED) && !sx_fd_get_local(fd, &ss, &sl))
		sl = 0;
	errno = saved;
	if (!sl)
		return sx_real.getsockname(fd, addr, len);
	memcpy(addr, &ss, sl < *len ? sl : *len);
	*len = sl;
	return 0;
}

static void bind_forget(int fd)
{
	struct listener **pp, *l;

	sx_reg_lock();
	for (pp = &list; (l = *pp);) {
		if (l->fd == fd) {
			*pp = l->next;
			free(l);
		} else {
			pp = &l->next;
		}
	}
	sx_fd_flags_set(fd, 0, SX_FD_BIND);
	sx_reg_unlock();
}
