/*
 * fiber_int.h - what fiber.c (fibers, their stacks and switches) and
 * loop.c (the event-loop thread that runs some of them) share.  Not an
 * API.
 */
#ifndef SOCKSIFY_CORE_FIBER_INT_H
#define SOCKSIFY_CORE_FIBER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

/* A saved context: a stack pointer (x86-64, fiber.c's switch), else a
 * ucontext. */
#ifdef __x86_64__
typedef void *sx_ctx;
#else
typedef ucontext_t sx_ctx;
#endif

struct sx_fiber {
	struct sx_fiber *next;          /* queue or cache */
	struct sx_fiber *anext, *aprev; /* all live fibers */
	struct sx_fiber *wnext, *wprev; /* waiting (loop thread only) */
	sx_ctx ctx;
	sx_ctx *back;                   /* where it yields to: its driver's */
	void *(*fn)(void *);
	void *arg;
	char *map, *stack;
	size_t maplen, stack_size;
	int fd, result;
	int64_t deadline;
	short events;                   /* driven: what it waits for */
	bool waiting, done, driven;
	unsigned vg_id;
	void *asan_fake;
	const void *back_bottom;        /* the driver's stack (ASan) */
	size_t back_size;
	void *tsan, *back_tsan;
};

/* fiber.c.  A stack for fn(arg), from the cache or new: the registry lock
 * is held on return (NULL: not held, *err set). */
struct sx_fiber *sx_fiberi_take(void *(*fn)(void *), void *arg, int *err);
/* Lock held: f joins the live fibers; f's stack goes back to the cache. */
void sx_fiberi_link(struct sx_fiber *f);
void sx_fiberi_put(struct sx_fiber *f);
/* From this thread into f until it waits or ends (true: gone); start
 * prepares a new one first. */
bool sx_fiberi_resume(struct sx_fiber *f);
/* From fiber f back to whoever resumed it. */
void sx_fiberi_yield(struct sx_fiber *f);
bool sx_fiberi_start(struct sx_fiber *f);

/* loop.c.  Inside a loop fiber: sx_fiber_wait's work. */
int sx_loopi_wait(struct sx_fiber *f, int fd, short events, int64_t deadline);
/* In a fork child, lock held: the parent's loop is not ours. */
void sx_loopi_child(void);

#endif
