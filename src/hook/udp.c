/*
 * udp.c - UDP through the proxy (UDP ASSOCIATE).  Not carried yet:
 * datagrams go out as the program sends them.
 */
#include "socksify/runtime.h"

bool sx_udp_wants_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)fd;
	(void)sa;
	(void)len;
	return false;
}

int sx_udp_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	return sx_real.connect(fd, sa, len);
}
