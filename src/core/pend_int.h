/*
 * pend_int.h - what pending.c (the records of non-blocking connects'
 * handshakes) and drive.c (those driven by the program's own calls,
 * async_handshake inline) share.  Not an API; the registry lock guards
 * everything here unless it says not.
 */
#ifndef SOCKSIFY_CORE_PEND_INT_H
#define SOCKSIFY_CORE_PEND_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "socksify/registry.h"

enum { P_RUNNING, P_OK, P_FAILED };
#define MAXFDS 8                /* descriptors of one socket we follow */
#define MAXARM 4                /* epoll sets a driven handshake is in */

struct sx_fiber;

struct pending {
	struct pending *next;
	dev_t dev;
	ino_t ino;
	int fds[MAXFDS];        /* the program's descriptors of the socket */
	int nfds;
	int wfd;                /* the worker's duplicate */
	int efd;                /* eventfd, readable when done */
	int state;
	int err;                /* for SO_ERROR, when P_FAILED */
	int refs;               /* the worker, poll hooks and drivers */
	int timeout_ms;
	const struct sx_pend_ops *ops;
	void *job;
	/* Driven (drive.c): the handshake's fiber, parked between drives;
	 * what it waits for; which thread runs it now; its registrations
	 * of waitfd in the program's epoll sets. */
	struct sx_fiber *fib;
	bool inl, driving, orphan, discarded;
	int pollers;            /* poll hooks waiting on it (sx_pend_ref) */
	int waitfd;
	short wev;
	int64_t wdl;
	int armfd, narmed, armed[MAXARM];
};

extern struct pending *sx_pend_list;
/* How many driven handshakes are not over (drive.c; read lock-free). */
extern atomic_int sx_pend_live;
/* How many of them the program closed (sx_pend_service ends them). */
extern atomic_int sx_pend_orphans;

/* The record of fd's socket, if fd is one of its descriptors. */
struct pending *sx_pendi_find(int fd);
/* Unlink p if nobody needs it any more. */
void sx_pendi_maybe_free(struct pending *p);
/* The handshake, on whatever runs it (a thread, a fiber); lock not held. */
void *sx_pendi_worker(void *arg);

/* drive.c.  p (listed) is driven: f runs its handshake; claimed for the
 * first step. */
void sx_drivei_adopt(struct pending *p, struct sx_fiber *f);
/* Lock not held, p claimed: one step, result what its wait returns; true
 * while the handshake still runs (p may be gone when it does not). */
bool sx_drivei_step(struct pending *p, int result);
/* The program closed a driven handshake's last descriptor: if no thread
 * runs it, drop it now without running it (true; its job is released by
 * the next bury), with what is safe in a signal handler only. */
bool sx_drivei_discard(struct pending *p);
/* p's handshake ended: its registrations leave the epoll sets. */
void sx_drivei_disarm(struct pending *p);
/* Lock not held; the caller holds a reference: run p while what it waits
 * for is there (or its deadline passed). */
void sx_drivei_advance(struct pending *p);

#endif
