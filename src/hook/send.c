/*
 * send.c - sendto() and sendmsg().
 *
 *   - On a descriptor with a layer flag (UDP association, GSS-API), the
 *     call goes to the layer through io.c's dispatch.
 *   - On a UDP socket, a datagram to a destination that routes through
 *     the proxy starts the UDP association (src/hook/udp*.c).
 *   - With MSG_FASTOPEN on an unconnected TCP socket it is a connect in
 *     disguise (TCP Fast Open, e.g. curl --tcp-fastopen): connect through
 *     the proxy, then send the data.
 *
 * Anything else costs one flag load (plus a route check when a
 * destination address is given) and goes to libc.
 */
#include <errno.h>
#include <sys/uio.h>

#include "socksify/udp.h"
#include "hook.h"

static ssize_t udp_sendto(int fd, unsigned fl, const void *buf, size_t n,
			  int flags, const struct sockaddr *addr, socklen_t alen)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };
	struct msghdr m = { .msg_name = (void *)addr, .msg_namelen = alen,
			    .msg_iov = &iov, .msg_iovlen = 1 };

	if (fl)
		return sx_io_sendmsg(fd, fl, &m, flags);
	return sx_udp_sendmsg(fd, &m, flags);
}

SX_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *addr, socklen_t alen)
{
	unsigned fl;

	sx_real_init();
	fl = sx_guard ? 0 : sx_fd_flags(fd) & SX_FD_LAYERED;
	if (fl || (addr && !(flags & MSG_FASTOPEN) &&
		   sx_udp_wants_send(fd, addr, alen)))
		return udp_sendto(fd, fl, buf, n, flags, addr, alen);
	if (!(flags & MSG_FASTOPEN) || !sx_should_proxy(fd, addr, alen))
		return sx_real.sendto(fd, buf, n, flags, addr, alen);
	if (sx_proxy_connect(fd, addr, alen) < 0)
		return -1;
	return sx_real.sendto(fd, buf, n, flags & ~MSG_FASTOPEN, NULL, 0);
}

SX_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;
	unsigned fl;

	sx_real_init();
	fl = sx_guard || !msg ? 0 : sx_fd_flags(fd) & SX_FD_LAYERED;
	if (fl)
		return sx_io_sendmsg(fd, fl, msg, flags);
	if (msg && msg->msg_name && !(flags & MSG_FASTOPEN) &&
	    sx_udp_wants_send(fd, msg->msg_name, msg->msg_namelen))
		return sx_udp_sendmsg(fd, msg, flags);
	if (!(flags & MSG_FASTOPEN) || !msg ||
	    !sx_should_proxy(fd, msg->msg_name, msg->msg_namelen))
		return sx_real.sendmsg(fd, msg, flags);
	if (sx_proxy_connect(fd, msg->msg_name, msg->msg_namelen) < 0)
		return -1;
	m = *msg;
	m.msg_name = NULL;
	m.msg_namelen = 0;
	return sx_real.sendmsg(fd, &m, flags & ~MSG_FASTOPEN);
}
