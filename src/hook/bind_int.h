/*
 * bind_int.h - between bind.c (the BIND hooks and their state) and
 * bindrule.c (which bind() is a BIND, and the addresses getsockname()
 * reported that decide it).
 */
#ifndef SOCKSIFY_BIND_INT_H
#define SOCKSIFY_BIND_INT_H

#include <stdbool.h>
#include <sys/socket.h>

enum sx_bind_where {
	SX_BIND_HERE,           /* an ordinary bind in the kernel */
	SX_BIND_AT_LISTEN,      /* bind in the kernel; BIND at listen() */
	SX_BIND_NOW,            /* no kernel bind: BIND at the proxy now */
};

/*
 * Where bind(fd, sa) goes (the `bind` setting; socksify.conf(5)).  Writes
 * one debug line for a TCP socket of family AF_INET/AF_INET6 in a process
 * that connected through the proxy, and sets *family to the socket's.
 */
enum sx_bind_where sx_bind_rule(int fd, const struct sockaddr *sa,
				socklen_t len, int *family);

/*
 * getsockname() answered sa for a socket connected through the proxy (the
 * proxy's BND.ADDR; its port does not matter) or for a BIND listener
 * (listener: its port counts too).
 */
void sx_bind_reported(const struct sockaddr *sa, bool listener);

#endif
