/*
 * udp_int.h - what src/hook/udpstate.c (the association table),
 * src/hook/udp.c (addresses, connect) and src/hook/udpio.c (set-up, send,
 * receive) share.  Not a public API.
 */
#ifndef SOCKSIFY_HOOK_UDP_INT_H
#define SOCKSIFY_HOOK_UDP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "socksify/udp.h"

#define NNAMES 4                /* recent ATYP 3 destinations per socket */
#define SX_UDP_SCRATCH (65536 + SX_UDP_HEADER_MAX)  /* per-thread buffer */

enum state { AS_NONE, AS_UP, AS_DEAD, AS_DIRECT };

struct named {
	struct sx_addr wire;            /* the name and port */
	struct sockaddr_storage sa;     /* the mapped address the program used */
	socklen_t len;
};

struct assoc {
	int refs;                       /* descriptors naming the socket */
	dev_t dev;
	ino_t ino;
	int family;
	enum state state;
	int err;                        /* AS_DEAD: errno for sends */
	int ctl;
	dev_t cdev;
	ino_t cino;
	struct sockaddr_storage relay;
	socklen_t relaylen;
	struct sx_gss_udp *gss;         /* a reference while AS_UP, or NULL */
	bool gss_prot;                  /* the relay speaks 01 03 (even once dead) */
	bool connected;                 /* connect() recorded a proxied peer */
	bool kconnected;                /* the kernel socket is connected (direct) */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct named names[NNAMES];
	unsigned nnext;
};

/* ---- the association table (udpstate.c) ---------------------------- */

/* A per-thread buffer of SX_UDP_SCRATCH bytes, or NULL. */
uint8_t *sx_udpi_scratch(void);
int sx_udpi_identity(int fd, dev_t *dev, ino_t *ino);
/* A copy of fd's association; false (and the flag cleared) if none. */
bool sx_udpi_snapshot(int fd, struct assoc *out);
/* fd's association, created in AS_NONE (and SX_FD_UDP set) if needed. */
struct assoc *sx_udpi_create(int fd, int family);
/* Run fn(a, arg) on fd's association under the table lock. */
void sx_udpi_update(int fd, void (*fn)(struct assoc *, const void *),
		    const void *arg);
void sx_udpi_setup_lock(void);
void sx_udpi_setup_unlock(void);

/* The route cannot carry UDP (why): refuse or go direct, with a log line.
 * 0 (direct from now on) or an errno value. (udpio.c) */
int sx_udpi_policy(int fd, const struct assoc *a, const char *why,
		   const char *dtext);

/* ---- addresses (udp.c) ---------------------------------------------- */

/* sa (IPv4 or IPv6) as an address of a socket of family: an IPv4 address
 * on an IPv6 socket becomes v4-mapped.  false if it cannot be. */
bool sx_udpi_normalize(int family, const struct sockaddr *sa, socklen_t len,
		       struct sockaddr_storage *out, socklen_t *olen);

bool sx_udpi_same_endpoint(const struct sockaddr *x, const struct sockaddr *y);
/* dst as sent to the relay (a mapped address becomes its name): 0 or errno */
int sx_udpi_dest_wire(const struct sockaddr *dst, struct sx_addr *wire);
/* The address the program sees for a datagram the relay says is from src. */
bool sx_udpi_peer_view(const struct assoc *a, const struct sx_addr *src,
		       struct sockaddr_storage *out, socklen_t *len);
/* arg: a struct named */
void sx_udpi_remember_name(struct assoc *a, const void *arg);

#endif
