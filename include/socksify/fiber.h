/*
 * fiber.h - the one event-loop thread that runs the handshakes of
 * non-blocking connects as fibers (src/core/fiber.c), and the seam through
 * which the handshake's one wait (sx_wire_wait, src/client/wire.c) yields
 * to it.
 */
#ifndef SOCKSIFY_FIBER_H
#define SOCKSIFY_FIBER_H

#include <stdint.h>

/* Run fn(arg) as a fiber of the event loop (started on first use); 0, or
 * an errno value if it cannot (no memory for a stack, no loop thread): the
 * caller runs fn some other way. */
int sx_fiber_spawn(void *(*fn)(void *), void *arg);

/* Inside a fiber: wait until fd shows one of events (POLLIN/POLLOUT) or an
 * error or hang-up (0), or until deadline (sx_mono_ms) passes (ETIMEDOUT),
 * or an errno value; the loop runs other fibers meanwhile.  Outside a
 * fiber: -1, and the caller waits itself. */
int sx_fiber_wait(int fd, short events, int64_t deadline);

/* A detached thread running fn(arg), 256 KiB of stack, every signal
 * blocked: 0 or pthread_create's error. */
int sx_thread_start(void *(*fn)(void *), void *arg);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t sx_mono_ms(void);

/* In a fork child, registry lock held (src/core/pending.c): no loop runs
 * here; forget the parent's and start afresh on the next spawn. */
void sx_fiber_child(void);

#endif
