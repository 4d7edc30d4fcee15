/*
 * script_peer.h - a scripted SOCKS proxy for the unit tests of the
 * handshake, chains and failover (test_handshake.c, test_routes.c): a
 * thread on one end of a socketpair, or on a loopback listener, that
 * expects exact bytes, sends bytes, closes or stalls, step by step.
 * No root, no real server.
 */
#ifndef SCRIPT_PEER_H
#define SCRIPT_PEER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum step_kind { STEP_END = 0, STEP_EXPECT, STEP_SEND, STEP_CLOSE, STEP_STALL };

struct step {
	enum step_kind kind;
	const uint8_t *data;
	size_t len;
};

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ })
/* Read exactly these bytes (a mismatch fails the script). */
#define EXPECT(...) { STEP_EXPECT, BYTES(__VA_ARGS__) }
/* Write these bytes. */
#define SEND(...)   { STEP_SEND, BYTES(__VA_ARGS__) }
/* The same for a buffer built at run time. */
#define EXPECT_BUF(p, n) { STEP_EXPECT, (p), (n) }
#define SEND_BUF(p, n)   { STEP_SEND, (p), (n) }
/* Close the connection. */
#define CLOSE()     { STEP_CLOSE, NULL, 0 }
/* Answer nothing more: wait until the client closes (a silent proxy). */
#define STALL()     { STEP_STALL, NULL, 0 }
#define END()       { STEP_END, NULL, 0 }

struct peer {
	int fd;                 /* the connection (accepted, or given) */
	int lfd;                /* >= 0: accept one connection from it first */
	const struct step *steps;
	pthread_t th;
	int failed;             /* the index of the step that failed, or -1 */
	char why[256];
};

/* Play steps on fd (one end of a socketpair); the peer owns fd. */
void peer_start(struct peer *p, int fd, const struct step *steps);
/* Accept one connection from lfd (within 5 s), then play steps. */
void peer_accept(struct peer *p, int lfd, const struct step *steps);
/* Wait for the script to end, close the connection; -1 if every step
 * passed, else the failing step's index (p->why says why). */
int peer_join(struct peer *p);

/* A socketpair: sv[0] non-blocking for the client, sv[1] for the peer. */
void peer_socketpair(int sv[2]);
/* A listening TCP socket on 127.0.0.1, its port in *port. */
int peer_listener(uint16_t *port);
/* Is a connection waiting on the listener (nobody accepted it)? */
int peer_pending(int lfd);

#endif
