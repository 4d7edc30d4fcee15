/*
 * connect.c - connect(): TCP connections over IPv4 and IPv6 whose
 * destination routes through the proxy are connected to the proxy, on the
 * program's own socket, and the SOCKS handshake is done before returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>

#include "socksify/async.h"
#include "socksify/runtime.h"

/* Is fd a TCP socket of AF_INET or AF_INET6?  *domain gets which. */
static bool tcp_inet_domain(int fd, int *domain)
{
	int type = 0, proto = 0;
	socklen_t len = sizeof(int);

	*domain = 0;
	/* SO_TYPE first: a UDP or Unix socket costs one call. */
	if (sx_real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return false;
	len = sizeof(int);
	if (sx_real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, domain, &len) < 0 ||
	    (*domain != AF_INET && *domain != AF_INET6))
		return false;
	len = sizeof(int);
	return sx_real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	       proto == IPPROTO_TCP;
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

static bool is_connected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int saved = errno;
	bool r = sx_real.getpeername(fd, (struct sockaddr *)&ss, &len) == 0;

	errno = saved;
	return r;
}

/*
 * Does a connect to sa on fd go through the proxy?  Shared with the
 * MSG_FASTOPEN path of sendto()/sendmsg().
 */
bool sx_should_proxy(int fd, const struct sockaddr *sa, socklen_t len)
{
	int saved = errno, domain;
	bool r = false;

	if (sx_guard || !sa || (sa->sa_family != AF_INET &&
				sa->sa_family != AF_INET6) ||
	    !tcp_inet_domain(fd, &domain) || !inet_dest(domain, sa, len))
		goto out;
	if (sx_route_decide(sx_runtime(), sa, IPPROTO_TCP, NULL, NULL) ==
	    SX_ROUTE_DIRECT)
		goto out;
	r = !is_connected(fd);  /* else the kernel answers EISCONN */
out:
	errno = saved;
	return r;
}

SX_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int ret, fl;

	sx_real_init();
	if (!sx_guard && (sx_fd_flags(fd) & (SX_FD_PENDING | SX_FD_ASYNCERR)) &&
	    sx_async_reconnect(fd, &ret))
		return ret;
	if (sx_udp_wants_connect(fd, addr, len))
		return sx_udp_connect(fd, addr, len);
	if (!sx_should_proxy(fd, addr, len))
		return sx_real.connect(fd, addr, len);
	fl = sx_real.fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		return sx_async_connect(fd, addr, len);
	return sx_proxy_connect(fd, addr, len);
}
