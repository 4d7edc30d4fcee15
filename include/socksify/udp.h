/*
 * udp.h - UDP through a SOCKS 5 proxy (UDP ASSOCIATE, RFC 1928 section 7).
 *
 *   src/client/udp_assoc.c  the association: control connection and relay
 *   src/hook/udp*.c         per-socket state, the send and receive paths
 *   src/hook/io.c           the data-call hooks that dispatch to them
 */
#ifndef SOCKSIFY_UDP_H
#define SOCKSIFY_UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "socksify/client.h"
#include "socksify/runtime.h"

/* ---- the association (src/client/udp_assoc.c) ------------------------ */

struct sx_gss_udp;

struct sx_udp_relay {
	int ctl;                          /* control connection (O_CLOEXEC) */
	struct sockaddr_storage relay;    /* in the UDP socket's family */
	socklen_t relaylen;
	uint8_t rep;                      /* the server's reply code, 0xff if none */
	struct sx_gss_udp *gss;           /* GSS-API protection, or NULL */
};

/*
 * For the UDP socket udpfd (AF_INET or AF_INET6): bind it if it is not
 * bound yet, open a control connection to the proxy, authenticate, send
 * UDP ASSOCIATE with udpfd's local address (the wildcard address when it
 * is bound to any), and learn the relay address.  With GSS-API at level
 * integrity or confidentiality, out->gss is the context for the datagrams
 * (src/client/gss_udp.c; the caller drops the reference).
 * Returns 0, or -1 with *f filled (out->rep tells a refusal from the
 * server apart from other failures).  Runs with sx_guard raised.
 */
int sx_udp_associate(int udpfd, const struct sx_runtime *rt,
		     struct sx_udp_relay *out, struct sx_failure *f);

/* ---- per-socket state (src/hook/udp*.c) ------------------------------ */

/* Does a send to sa on this descriptor (not flagged yet) need an
 * association?  (A UDP socket of sa's family, a route through the proxy.) */
bool sx_udp_wants_send(int fd, const struct sockaddr *sa, socklen_t len);

/* Send and receive on a descriptor with SX_FD_UDP (or one that
 * sx_udp_wants_send accepted): the program's view, payload only. */
ssize_t sx_udp_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t sx_udp_recvmsg(int fd, struct msghdr *msg, int flags);

/* Is fd (flagged SX_FD_UDP) still the socket of its association?  If not,
 * the stale flag is cleared. */
bool sx_udp_owns(int fd);

/* The peer recorded by connect() on such a socket, for getpeername(). */
bool sx_udp_get_peer(int fd, struct sockaddr_storage *out, socklen_t *len);

/* close(fd) or dup2/dup3 over it: drop fd's share of the association;
 * the last descriptor of the socket closes the control connection. */
void sx_udp_forget(int fd);
/* dup: newfd names the same socket as oldfd. */
void sx_udp_dup(int oldfd, int newfd);

/* ---- the data-call dispatch (src/hook/io.c) -------------------------- */

/* The layers that take over data calls; 0 for almost every descriptor. */
#define SX_FD_LAYERED (SX_FD_UDP | SX_FD_GSS | SX_FD_PENDING)

/* sendmsg() on a descriptor with a SX_FD_LAYERED flag (send.c uses it). */
ssize_t sx_io_sendmsg(int fd, unsigned flags, const struct msghdr *msg,
		      int mflags);

#endif
