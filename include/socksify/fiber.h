/*
 * fiber.h - the one event-loop thread that runs the handshakes of
 * non-blocking connects as fibers (src/core/fiber.c), and the seam through
 * which the handshake's one wait (sx_wire_wait, src/client/wire.c) yields
 * to it.
 */
#ifndef SOCKSIFY_FIBER_H
#define SOCKSIFY_FIBER_H

#include <stdbool.h>
#include <stdint.h>

/* Run fn(arg) as a fiber of the event loop (started on first use); 0, or
 * an errno value if it cannot (no memory for a stack, no loop thread): the
 * caller runs fn some other way. */
int sx_fiber_spawn(void *(*fn)(void *), void *arg);

/* A fiber that runs fn(arg) on whichever thread drives it (no loop, no
 * thread: the program's own poll/epoll/connect calls drive it,
 * src/core/pending.c); NULL with errno if none can be had (ECHILD in a
 * raw-fork or vfork child). */
struct sx_fiber *sx_fiber_new(void *(*fn)(void *), void *arg);
/* A fiber from sx_fiber_new that ended, or was never driven (or is
 * dropped unfinished): its stack goes back. */
void sx_fiber_drop(struct sx_fiber *f);
/* Run f on this thread until it waits (false) or ends (true: the caller
 * then drops it with sx_fiber_drop);
 * result is what its pending wait returns (0 ready, or an errno value).
 * One thread at a time: the caller makes sure (src/core/pending.c). */
bool sx_fiber_drive(struct sx_fiber *f, int result);
/* What a driven fiber that did not end waits for. */
void sx_fiber_waits(const struct sx_fiber *f, int *fd, short *events,
		    int64_t *deadline);

/* Inside a fiber: wait until fd shows one of events (POLLIN/POLLOUT) or an
 * error or hang-up (0), or until deadline (sx_mono_ms) passes (ETIMEDOUT),
 * or an errno value; the loop runs other fibers meanwhile.  Outside a
 * fiber: -1, and the caller waits itself. */
int sx_fiber_wait(int fd, short events, int64_t deadline);

/* The fiber running on this thread, if any (src/core/fiber.c): read by
 * every wait of every handshake, so checked inline. */
struct sx_fiber;
extern __thread struct sx_fiber *sx_fiber_current
	__attribute__((tls_model("initial-exec")));

/* sx_fiber_wait, asked only inside a fiber: -1 at once outside one. */
static inline int sx_fiber_wait_if(int fd, short events, int64_t deadline)
{
	return sx_fiber_current ? sx_fiber_wait(fd, events, deadline) : -1;
}

/* A detached thread running fn(arg), 256 KiB of stack, every signal
 * blocked: 0 or pthread_create's error. */
int sx_thread_start(void *(*fn)(void *), void *arg);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t sx_mono_ms(void);

/* In a fork child, registry lock held (src/core/pending.c): no loop runs
 * here; forget the parent's and start afresh on the next spawn. */
void sx_fiber_child(void);

#endif
