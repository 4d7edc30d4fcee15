/*
 * target.h - the socket an intercepted call is about, and what call.c
 * offers the other call handlers (sendcall.c): taking the socket, the
 * answers, the DNS and UDP decisions, the handshake.
 */
#ifndef SX_ENGINE_TARGET_H
#define SX_ENGINE_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "super.h"

/* The socket a call is about, as the supervisor sees it. */
struct target {
	int copy;                       /* pidfd_getfd copy, or -1 */
	int type, family;
	struct sockaddr_storage dst;
	socklen_t dstlen;
};

/* Read the destination at addr and take socket fd of c's process: 1
 * (t ready), 0 (not ours: let the call through) or -errno (refuse it). */
int sx_target_get(const struct sx_call *c, int fd, uint64_t addr,
		  uint64_t len, struct target *t);
/* sx_target_get's answer as a verdict, when it is not 1. */
enum sx_verdict sx_target_not_ready(int r, struct sx_answer *a);
/* Answer ret (>= 0 or -errno), or let the call through; both close t. */
enum sx_verdict sx_target_answer(struct sx_answer *a, struct target *t,
				 int64_t ret);
enum sx_verdict sx_target_pass(struct target *t);
unsigned sx_target_port(const struct sockaddr_storage *sa);
/* Port 53 with remote DNS on: the supervisor answers. */
bool sx_target_dns(const struct target *t);
/* Point the socket at the DNS answerer: 0 or -errno. */
int64_t sx_target_dns_redirect(struct target *t);
/* UDP that goes where it is sent; else the `udp` setting decides. */
bool sx_target_udp_passes(const struct target *t);
enum sx_verdict sx_target_udp(struct target *t, struct sx_answer *a);
/* Queue the handshake on t, then send data (TCP Fast Open) if not NULL
 * (taken over, freed). */
enum sx_verdict sx_target_handshake(const struct sx_call *c, struct target *t,
				    uint8_t *data, size_t len,
				    struct sx_answer *a);
bool sx_target_connected(int fd);
/* Does a TCP connect to t's destination go to the handshake (a proxy, or
 * a route rule's block or direct-by-name), not straight to the kernel? */
bool sx_target_tcp_routed(const struct target *t);

/* sendcall.c */
enum sx_verdict sx_on_sendto(const struct sx_call *c, struct sx_answer *a);
enum sx_verdict sx_on_sendmsg(const struct sx_call *c, struct sx_answer *a);
enum sx_verdict sx_on_sendmmsg(const struct sx_call *c, struct sx_answer *a);

#endif
