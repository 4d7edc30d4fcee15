/*
 * bind.c - accepting a connection through the proxy: SOCKS BIND.
 *
 * Which bind() is a BIND: bindrule.c (config "bind", SOCKSIFY_BIND).  The
 * BIND request goes out at bind() for an address socksify reported,
 * otherwise at listen(): the socket connects to the proxy and sends BIND;
 * the first reply's address is what getsockname() returns (what a program
 * puts in FTP's PORT or EPRT), in the socket's family.  A refusal fails
 * that bind() or listen() with the errno of the SOCKS reply.  The peer
 * announced in the request is the destination of the most recent
 * connection through the proxy, in this thread if it made one, else in
 * the process (port 0: any port).
 *
 * accept() completes when the second reply arrives: the socket is readable
 * then, so poll/epoll work as for any listener.  The second reply must come
 * within bind_timeout of the first: a blocking accept() waits no longer
 * (nor past the listener's SO_RCVTIMEO: EAGAIN, as the kernel's), and an
 * accept() after it fails with ETIMEDOUT and a log line.
 *
 * The accepted descriptor takes the listener's connection to the proxy,
 * with the file status flags accept4() asks for; its getpeername() is the
 * peer from the second reply, its getsockname() the BIND's address.  The
 * listening descriptor gets a fresh socket of its family (same status and
 * descriptor flags): a listen() on it again sends a fresh BIND; an accept()
 * before that fails with EINVAL.
 *
 * getsockname() on a socket connected through the proxy returns the
 * proxy's BND.ADDR/PORT from the CONNECT reply: the address the
 * destination sees, which is what FTP clients advertise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "socksify/client.h"
#include "socksify/runtime.h"
#include "bind_int.h"

enum { L_BOUND, L_WAITING };

struct listener {
	struct listener *next;
	int fd;
	dev_t dev;
	ino_t ino;
	int state;
	int family;                     /* the socket's */
	int64_t deadline;               /* L_WAITING: for the second reply */
	struct sockaddr_storage bnd;    /* getsockname() */
	socklen_t bndlen;
	struct sx_conn conn;
};

static struct listener *list;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void prepare(void) { pthread_mutex_lock(&lock); }
static void release(void) { pthread_mutex_unlock(&lock); }
static void atfork_register(void) { pthread_atfork(prepare, release, release); }

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

static struct listener *lookup(int fd)
{
	struct listener *l;

	pthread_mutex_lock(&lock);
	l = find(fd);
	pthread_mutex_unlock(&lock);
	return l;
}

/* Track fd (of family) as a listener at the proxy, forgetting what was
 * tracked for it before. */
static struct listener *listener_add(int fd, int family)
{
	struct listener *l;
	struct stat st;

	sx_bind_forget(fd);
	if (fstat(fd, &st) < 0 || !(l = calloc(1, sizeof(*l))))
		return NULL;
	pthread_once(&atfork_once, atfork_register);
	l->fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->family = family;
	pthread_mutex_lock(&lock);
	l->next = list;
	list = l;
	sx_fd_flags_set(fd, SX_FD_BIND, 0);
	pthread_mutex_unlock(&lock);
	return l;
}

/* The BIND's address in the socket's family: BND.ADDR, or the proxy's own
 * address when BND.ADDR is 0.0.0.0 (RFC 1928) or of the other family. */
static void bnd_address(struct listener *l)
{
	const struct sx_proxy_addr *pa = l->conn.exit;   /* the route's last hop */
	const struct sockaddr_storage *own;
	struct sx_addr a = l->conn.bound;

	if (sx_addr_to_sockaddr(&a, l->family, &l->bnd, &l->bndlen) == 0)
		return;
	own = l->family == AF_INET6 && pa->v6.ss_family ? &pa->v6 :
	      pa->v4.ss_family ? &pa->v4 : &pa->v6;
	l->bndlen = 0;
	if (own->ss_family &&
	    sx_addr_from_sockaddr(&a, (const struct sockaddr *)own) == 0) {
		a.port = l->conn.bound.port;
		if (sx_addr_to_sockaddr(&a, l->family, &l->bnd, &l->bndlen) < 0)
			l->bndlen = 0;
	}
}

/* Send BIND on l's socket.  0, or -1 with errno and the one log line (the
 * socket is disconnected again). */
static int bind_at_proxy(struct listener *l)
{
	struct sockaddr_storage peer;
	char d[300], b[INET6_ADDRSTRLEN + 16];
	int rc;

	if (!sx_last_destination(&peer)) {
		memset(&peer, 0, sizeof(peer));
		peer.ss_family = (sa_family_t)l->family;
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
	if (rc < 0)
		return sx_conn_report(&l->conn, rc);
	bnd_address(l);
	pthread_mutex_lock(&lock);
	l->state = L_WAITING;
	l->deadline = sx_now_ms() + sx_runtime()->conf.bind_timeout_ms;
	pthread_mutex_unlock(&lock);
	sx_log(SX_LOG_INFO, "listening through %s at %s for %s (BIND)",
	       l->conn.via, l->bndlen ? sx_sockaddr_str((struct sockaddr *)
							&l->bnd, b, sizeof(b)) :
	       "?", sx_conn_dtext(&l->conn, d, sizeof(d)));
	return 0;
}

SX_EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	enum sx_bind_where w;
	struct listener *l;
	int r, saved, family = 0;

	sx_real_init();
	if (sx_guard)
		return sx_real.bind(fd, sa, len);
	saved = errno;
	sx_guard++;
	w = sx_bind_rule(fd, sa, len, &family);
	if (w == SX_BIND_NOW) {
		/* The proxy's address: the kernel never sees it. */
		r = -1;
		errno = ENOMEM;
		if ((l = listener_add(fd, family)) && (r = bind_at_proxy(l)) < 0) {
			int e = errno;

			sx_bind_forget(fd);
			errno = e;
		}
	} else {
		errno = saved;
		r = sx_real.bind(fd, sa, len);
		if (r == 0 && w == SX_BIND_AT_LISTEN)
			listener_add(fd, family);
	}
	sx_guard--;
	if (r == 0)
		errno = saved;
	return r;
}

SX_EXPORT int listen(int fd, int backlog)
{
	struct listener *l;
	int rc = 0, saved = errno;

	sx_real_init();
	if (sx_guard || !(sx_fd_flags(fd) & SX_FD_BIND))
		return sx_real.listen(fd, backlog);
	sx_guard++;
	l = lookup(fd);
	if (!l)
		rc = sx_real.listen(fd, backlog);
	else if (l->state == L_BOUND)
		rc = bind_at_proxy(l);  /* the first, or a fresh one after accept */
	sx_guard--;
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

/*
 * The listening descriptor gets a fresh socket of its family, with the
 * same status and descriptor flags; the old one lives on in whatever other
 * descriptor holds it (the accepted one), or is closed.
 */
static int renew(struct listener *l)
{
	int fl = sx_real.fcntl(l->fd, F_GETFL), fdfl = sx_real.fcntl(l->fd, F_GETFD);
	int s = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0), e;
	struct stat st;

	pthread_mutex_lock(&lock);
	l->state = L_BOUND;
	pthread_mutex_unlock(&lock);
	if (s < 0)
		return -1;
	if (sx_real.dup3(s, l->fd, fdfl > 0 && (fdfl & FD_CLOEXEC) ?
			 O_CLOEXEC : 0) < 0) {
		e = errno;
		sx_real.close(s);
		errno = e;
		return -1;
	}
	sx_real.close(s);
	if (fl >= 0)
		sx_real.fcntl(l->fd, F_SETFL, fl);
	pthread_mutex_lock(&lock);
	if (fstat(l->fd, &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

/* Wait for the second reply as accept() waits for a connection: not at
 * all on a non-blocking socket, else up to SO_RCVTIMEO (EAGAIN); never
 * past the BIND's deadline (ETIMEDOUT, with a log line).  0: readable. */
static int wait_peer(struct listener *l, int fl)
{
	struct pollfd p = { .fd = l->fd, .events = POLLIN };
	int64_t left = l->deadline - sx_now_ms();
	struct timeval tv;
	socklen_t tl = sizeof(tv);
	int ms, r;
	bool by_deadline = true;

	if (left < 0)
		left = 0;
	ms = left > INT_MAX ? INT_MAX : (int)left;
	if (fl >= 0 && (fl & O_NONBLOCK)) {
		ms = 0;
		by_deadline = left == 0;
	} else if (sx_real.getsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				      &tl) == 0 && (tv.tv_sec || tv.tv_usec) &&
		   tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000 < ms) {
		ms = (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
		by_deadline = false;
	}
	r = sx_real.poll(&p, 1, ms);
	if (r > 0)
		return 0;
	if (r == 0 && by_deadline) {
		sx_log(SX_LOG_ERROR, "BIND via %s: nobody connected within "
		       "bind_timeout (%d ms): no second reply from the proxy",
		       l->conn.via, sx_runtime()->conf.bind_timeout_ms);
		errno = ETIMEDOUT;
	} else if (r == 0) {
		errno = EAGAIN;
	}
	return -1;                      /* or EINTR from poll */
}

/* The peer from the second reply, in the socket's family (a reply of
 * 0.0.0.0 or of the other family: the announced peer's address). */
static socklen_t peer_address(const struct listener *l,
			      const struct sx_addr *who,
			      struct sockaddr_storage *out)
{
	struct sx_addr a = *who;
	socklen_t len;

	if (sx_addr_to_sockaddr(&a, l->family, out, &len) == 0)
		return len;
	if (sx_addr_from_sockaddr(&a, (const struct sockaddr *)&l->conn.dst) == 0) {
		a.port = who->port;
		if (sx_addr_to_sockaddr(&a, l->family, out, &len) == 0)
			return len;
	}
	memset(out, 0, sizeof(*out));
	out->ss_family = (sa_family_t)l->family;
	return l->family == AF_INET ? sizeof(struct sockaddr_in) :
	       sizeof(struct sockaddr_in6);
}

static int accept_through_proxy(struct listener *l, struct sockaddr *addr,
				socklen_t *alen, int flags)
{
	struct sockaddr_storage peer;
	struct sx_addr who;
	socklen_t plen;
	int fl = sx_real.fcntl(l->fd, F_GETFL), nfd, e;

	if (wait_peer(l, fl) < 0) {
		if (errno == ETIMEDOUT)
			renew(l);
		return -1;
	}
	if (second_reply(l, &who) < 0) {
		e = errno;
		renew(l);
		errno = e;
		return -1;
	}
	/* The connection goes to a new descriptor of its own. */
	nfd = sx_real.fcntl(l->fd, (flags & SOCK_CLOEXEC) ? F_DUPFD_CLOEXEC :
			    F_DUPFD, 0);
	e = errno;
	if (nfd < 0 || renew(l) < 0) {
		e = errno;
		if (nfd >= 0)
			sx_real.close(nfd);
		renew(l);
		errno = e;
		return -1;
	}
	sx_real.fcntl(nfd, F_SETFL, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
	plen = peer_address(l, &who, &peer);
	sx_fd_set_peer(nfd, (struct sockaddr *)&peer, plen);
	if (l->bndlen)
		sx_fd_set_local(nfd, (struct sockaddr *)&l->bnd, l->bndlen);
	if (addr && alen) {
		memcpy(addr, &peer, plen < *alen ? plen : *alen);
		*alen = plen;
	}
	if (sx_log_enabled(SX_LOG_INFO)) {
		char b[INET6_ADDRSTRLEN + 16];

		sx_log(SX_LOG_INFO, "accepted a connection from %s through %s "
		       "(BIND)", sx_sockaddr_str((struct sockaddr *)&peer, b,
						 sizeof(b)), l->conn.via);
	}
	return nfd;
}

SX_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	struct listener *l;
	int r;

	sx_real_init();
	if (sx_guard || !(sx_fd_flags(fd) & SX_FD_BIND))
		return sx_real.accept4(fd, addr, alen, flags);
	l = lookup(fd);
	if (!l || l->state == L_BOUND)  /* not listening (any more): EINVAL */
		return sx_real.accept4(fd, addr, alen, flags);
	sx_guard++;
	r = accept_through_proxy(l, addr, alen, flags);
	sx_guard--;
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
	bool listener = false;
	int saved = errno;

	sx_real_init();
	flags = sx_fd_flags(fd);
	if (sx_guard || !addr || !len || !(flags & (SX_FD_BIND | SX_FD_PROXIED)))
		return sx_real.getsockname(fd, addr, len);
	if (flags & SX_FD_BIND) {
		pthread_mutex_lock(&lock);
		l = find(fd);
		if (l && l->state == L_WAITING && l->bndlen) {
			ss = l->bnd;
			sl = l->bndlen;
			listener = true;
		}
		pthread_mutex_unlock(&lock);
	}
	if (!sl && (flags & SX_FD_PROXIED) && !sx_fd_get_local(fd, &ss, &sl))
		sl = 0;
	if (sl)
		sx_bind_reported((struct sockaddr *)&ss, listener);
	errno = saved;
	if (!sl)
		return sx_real.getsockname(fd, addr, len);
	memcpy(addr, &ss, sl < *len ? sl : *len);
	*len = sl;
	return 0;
}

void sx_bind_forget(int fd)
{
	struct listener **pp, *l;

	pthread_mutex_lock(&lock);
	for (pp = &list; (l = *pp);) {
		if (l->fd == fd) {
			*pp = l->next;
			free(l);
		} else {
			pp = &l->next;
		}
	}
	sx_fd_flags_set(fd, 0, SX_FD_BIND);
	pthread_mutex_unlock(&lock);
}
