/*
 * connect.c - connect(): TCP connections over IPv4 and IPv6 whose
 * destination routes through the proxy are connected to the proxy, on the
 * program's own socket, and the SOCKS handshake is done before returning;
 * on a non-blocking socket it runs in the background (src/core/pending.c),
 * with the handshake given to it as struct sx_pend_ops below.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "socksify/client.h"
#include "socksify/gssapi.h"
#include "socksify/runtime.h"
#include "hook.h"

/* fd's SO_TYPE, or -1. */
static int sock_type(int fd)
{
	int type = 0;
	socklen_t len = sizeof(int);

	return sx_real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ?
	       -1 : type;
}

/* Is the stream socket fd TCP over AF_INET or AF_INET6?  *domain gets
 * which. */
static bool stream_tcp_inet(int fd, int *domain)
{
	int proto = 0;
	socklen_t len = sizeof(int);

	*domain = 0;
	if (sx_real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, domain, &len) < 0 ||
	    (*domain != AF_INET && *domain != AF_INET6))
		return false;
	len = sizeof(int);
	return sx_real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	       proto == IPPROTO_TCP;
}

/* Is fd a TCP socket of AF_INET or AF_INET6?  *domain gets which. */
static bool tcp_inet_domain(int fd, int *domain)
{
	*domain = 0;
	/* SO_TYPE first: a UDP or Unix socket costs one call. */
	return sock_type(fd) == SOCK_STREAM && stream_tcp_inet(fd, domain);
}

bool sx_is_tcp_inet(int fd)
{
	int domain;

	return tcp_inet_domain(fd, &domain);
}

/* A destination we can carry: a full address in the socket's family. */
static bool inet_dest(int domain, const struct sockaddr *sa, socklen_t len)
{
	if (!sa || sa->sa_family != domain)
		return false;
	if (sa->sa_family == AF_INET)
		return len >= sizeof(struct sockaddr_in);
	return sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6);
}

/* Does a connect to sa on a TCP socket of family domain go through a
 * proxy?  *ch: the route choice, handed on to the connection. */
static bool proxied(int domain, const struct sockaddr *sa, socklen_t len,
		    struct sx_route_choice *ch)
{
	return inet_dest(domain, sa, len) &&
	       sx_route_choose(sx_runtime(), sa, IPPROTO_TCP, ch) !=
	       SX_ROUTE_DIRECT;
}

static bool is_connected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return sx_real.getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

/*
 * Does a connect to sa on fd go through the proxy?  For the MSG_FASTOPEN
 * path of sendto()/sendmsg() (connect() itself asks as it goes, below).
 */
bool sx_should_proxy(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct sx_route_choice ch;
	int saved = errno, domain;
	bool r;

	r = !sx_guard && sa && (sa->sa_family == AF_INET ||
				 sa->sa_family == AF_INET6) &&
	    tcp_inet_domain(fd, &domain) && proxied(domain, sa, len, &ch) &&
	    !is_connected(fd);  /* else the kernel answers EISCONN */
	errno = saved;
	return r;
}

/* ---- the background handshake, for src/core/pending.c -------------- */

static int job_run(void *job, int wfd)
{
	struct sx_conn *c = job;

	if (sx_conn_finish(c, wfd) == 0)
		return 0;
	return c->f.err ? c->f.err : ECONNREFUSED;
}

/* Success: each of the program's descriptors of the socket gets the
 * destination and, from the worker's duplicate, the GSS-API layer (before
 * it is readable; job_done drops the duplicate's share). */
static void job_attach(void *job, int wfd, int fd, int nth)
{
	(void)nth;
	sx_conn_record(job, fd);
	if (sx_fd_flags(wfd) & SX_FD_GSS)
		sx_gss_dup(wfd, fd);
}

static void job_cancel(void *job)
{
	atomic_store(&((struct sx_conn *)job)->abandoned, true);
}

static void job_done(void *job, int wfd, int err)
{
	sx_conn_report(job, err ? -1 : 0);
	if (sx_fd_flags(wfd) & SX_FD_GSS)
		sx_gss_close(wfd);
	free(job);
}

static int job_abort(void *job, int fd, int err)
{
	struct sx_conn *c = job;
	int rc;

	c->f.err = err;
	snprintf(c->f.why, sizeof(c->f.why), "cannot start the handshake: %s",
		 strerror(err));
	sx_conn_end(c, -1, fd);
	rc = sx_conn_report(c, -1);
	free(c);
	return rc;
}

/* Dropped unfinished (the program closed the socket): the probe beside it
 * (pipelining auto) closes now, async-signal-safely; the job goes later. */
static void job_discard(void *job)
{
	sx_pipe_probe_drop(job);
}

static void job_release(void *job)
{
	free(job);
}

/* GSS-API may block on the KDC: a thread, not a fiber of the loop. */
static bool job_needs_thread(void *job)
{
	return sx_gss_may_run(job);
}

static const struct sx_pend_ops conn_ops = {
	.run = job_run, .cancel = job_cancel, .attach = job_attach,
	.done = job_done, .abort = job_abort, .needs_thread = job_needs_thread,
	.discard = job_discard, .release = job_release,
};

static int async_connect(int fd, const struct sockaddr *dst, socklen_t len,
			 const struct sx_route_choice *ch, int flags)
{
	struct sx_conn *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		errno = ENOBUFS;
		return -1;
	}
	if (sx_conn_begin_chosen(c, fd, dst, len, ch, flags) < 0) {
		rc = sx_conn_report(c, -1);
		free(c);
		return rc;
	}
	return sx_pend_start(fd, &conn_ops, c, c->hto,
			     sx_runtime()->conf.async == SX_ASYNC_INLINE);
}

/*
 * The questions of every connect(), each asked once, cheapest first: our
 * own state of fd (no system call), the address's family (a Unix socket's
 * connect costs nothing more), the socket's type, then for TCP its family
 * and protocol, the route (handed on), and the file status flags.  Whether
 * the socket is connected already is left to the connect to the proxy
 * (EISCONN: src/client/chain.c).
 */
SX_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sx_route_choice ch;
	int ret, saved, type, domain, fl;
	unsigned flags;

	sx_real_init();
	if (sx_guard)
		return sx_real.connect(fd, addr, len);
	flags = sx_fd_flags(fd);
	if ((flags & (SX_FD_PENDING | SX_FD_ASYNCERR)) &&
	    sx_pend_reconnect(fd, &ret))
		return ret;
	if (addr && (flags & SX_FD_UDP))
		return sx_udp_connect(fd, addr, len);   /* associated: every one */
	if (!addr || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
		return sx_real.connect(fd, addr, len);
	saved = errno;
	type = sock_type(fd);
	if (type == SOCK_DGRAM) {
		errno = saved;
		if (sx_udp_wants_connect(fd, addr, len))
			return sx_udp_connect(fd, addr, len);
		return sx_real.connect(fd, addr, len);
	}
	if (type != SOCK_STREAM || !stream_tcp_inet(fd, &domain) ||
	    !proxied(domain, addr, len, &ch)) {
		errno = saved;
		return sx_real.connect(fd, addr, len);
	}
	/* F_GETFL by the system call: glibc's fcntl() (varargs, its 64-bit
	 * lock commands) costs three times as much */
	fl = (int)sx_real.syscall(SYS_fcntl, fd, F_GETFL);
	errno = saved;
	if (fl >= 0 && (fl & O_NONBLOCK)) {
		SX_GUARD_SCOPE();

		return async_connect(fd, addr, len, &ch, fl);
	}
	return sx_proxy_connect_chosen(fd, addr, len, &ch, fl);
}
