/*
 * hook.h - what the files of src/hook share with each other; nothing below
 * the hook layer includes it.
 */
#ifndef SOCKSIFY_HOOK_H
#define SOCKSIFY_HOOK_H

#include <stdbool.h>
#include <sys/socket.h>

/*
 * UDP (src/hook/udp.c): connect() on a UDP socket whose peer routes
 * through the proxy is handled there.
 */
bool sx_udp_wants_connect(int fd, const struct sockaddr *sa, socklen_t len);
int sx_udp_connect(int fd, const struct sockaddr *sa, socklen_t len);

/* Is fd a TCP socket of family AF_INET or AF_INET6? */
bool sx_is_tcp_inet(int fd);

/*
 * Does a connect to sa on fd go through the proxy?  (An unconnected TCP
 * socket, a destination in its family, not direct by the config.)
 */
bool sx_should_proxy(int fd, const struct sockaddr *sa, socklen_t len);

#endif
