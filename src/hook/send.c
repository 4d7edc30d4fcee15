/*
 * send.c - sendto() and sendmsg() with MSG_FASTOPEN on an unconnected TCP
 * socket are a connect in disguise (TCP Fast Open, e.g. curl
 * --tcp-fastopen): connect through the proxy, then send the data.
 */
#include <errno.h>

#include "socksify/runtime.h"


SX_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *addr, socklen_t alen)
{
	sx_real_init();
	if (!(flags & MSG_FASTOPEN) || !sx_should_proxy(fd, addr, alen))
		return sx_real.sendto(fd, buf, n, flags, addr, alen);
	if (sx_proxy_connect(fd, addr, alen) < 0)
		return -1;
	return sx_real.sendto(fd, buf, n, flags & ~MSG_FASTOPEN, NULL, 0);
}

SX_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;

	sx_real_init();
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
