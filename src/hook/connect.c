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

bool sx_is_tcp_inet(int fd)
{
	int domain = 0, type = 0, proto = 0;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    (domain != AF_INET && domain != AF_INET6))
		return false;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return false;
	len = sizeof(int);
	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	       proto == IPPROTO_TCP;
}

/* A destination we can carry: the socket's own family, a full address. */
static bool inet_dest(int fd, const struct sockaddr *sa, socklen_t len)
{
	int domain = 0;
	socklen_t dlen = sizeof(domain);

	if (!sa)
		return false;
	if (sa->sa_family == AF_INET && len < sizeof(struct sockaddr_in))
		return false;
	if (sa->sa_family == AF_INET6 && len < sizeof(struct sockaddr_in6))
		return false;
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return false;
	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
	       domain == sa->sa_family;
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
	int saved = errno;
	bool r = false;

	if (sx_guard || !inet_dest(fd, sa, len) || !sx_is_tcp_inet(fd))
		goto out;
	if (!sx_route_proxied(sx_runtime(), sa))
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
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		return sx_async_connect(fd, addr, len);
	return sx_proxy_connect(fd, addr, len);
}
