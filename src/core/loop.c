/*
 * loop.c - one event-loop thread per process that runs the handshakes of
 * non-blocking connects as fibers (async_handshake thread; pending.c),
 * instead of a thread per connection.
 *
 * A fiber's wait (sx_fiber_wait, fiber.c) registers the descriptor in the
 * loop's epoll set and switches back to the loop; the loop resumes the
 * fiber when the descriptor is ready (0) or its deadline passed
 * (ETIMEDOUT).  The loop thread starts on the first spawn, with every
 * signal blocked, and ends once idle for IDLE_MS; its epoll instance and
 * wake-up eventfd live at high descriptor numbers, close-on-exec.  What
 * program threads share with it (the queue of new fibers, how many it
 * runs, whether it runs) is under the registry lock, which fork() holds:
 * a fork child closes the loop's descriptors and starts its own loop when
 * it needs one.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "socksify/fiber.h"
#include "socksify/real.h"
#include "socksify/registry.h"
#include "fiber_int.h"

#define STACK_SIZE (256 * 1024)         /* of a thread */
#define MAXEV 64
#define IDLE_MS 2000            /* an idle loop ends after this */

/* Shared with program threads: registry lock held. */
static struct {
	bool running;
	int epfd, wakefd;
	struct sx_fiber *queue;
	int count;                      /* its fibers not ended */
} L = { .epfd = -1, .wakefd = -1 };

/* The loop thread's own (thread-local: a loop that ends may still be
 * finishing while the next one starts). */
static __thread struct sx_fiber *waiting;
static __thread int loop_epfd;
static __thread bool loop_broken;       /* its descriptors are gone */

/* Loop: start (new) or resume f; count it out when it ends (gone). */
static void run(struct sx_fiber *f, bool new)
{
	if (new ? sx_fiberi_start(f) : sx_fiberi_resume(f)) {
		sx_reg_lock();
		L.count--;
		sx_reg_unlock();
	}
}

int sx_loopi_wait(struct sx_fiber *f, int fd, short events, int64_t deadline)
{
	struct epoll_event ev = { .events = (uint32_t)(uint16_t)events };

	if (loop_broken)
		return EBADF;
	ev.data.ptr = f;
	if (sx_real.epoll_ctl(loop_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return errno;
	f->fd = fd;
	f->deadline = deadline;
	f->waiting = true;
	f->wprev = NULL;
	f->wnext = waiting;
	if (waiting)
		waiting->wprev = f;
	waiting = f;
	sx_fiberi_yield(f);
	return f->result;
}

/* Loop: f's wait is over with result. */
static void wake(struct sx_fiber *f, int result)
{
	if (!loop_broken)
		sx_real.epoll_ctl(loop_epfd, EPOLL_CTL_DEL, f->fd, NULL);
	if (f->wprev)
		f->wprev->wnext = f->wnext;
	else
		waiting = f->wnext;
	if (f->wnext)
		f->wnext->wprev = f->wprev;
	f->waiting = false;
	f->result = result;
	run(f, false);
}

/* Milliseconds to the nearest deadline, -1 for none. */
static int next_timeout(void)
{
	int64_t first = INT64_MAX, left;

	for (struct sx_fiber *f = waiting; f; f = f->wnext)
		if (f->deadline < first)
			first = f->deadline;
	if (first == INT64_MAX)
		return IDLE_MS;
	left = first - sx_mono_ms();
	return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

static void expire(void)
{
	int64_t now = sx_mono_ms();
	struct sx_fiber *f, *next;

	/* Only the resumed fiber changes the list (it may wait again, at
	 * its head), so the saved next stays valid. */
	for (f = waiting; f; f = next) {
		next = f->wnext;
		if (f->deadline <= now)
			wake(f, ETIMEDOUT);
	}
}

/* Start the fibers of queue q, in the order they came. */
static void start_list(struct sx_fiber *q)
{
	struct sx_fiber *f, *next, *fifo = NULL;

	for (f = q; f; f = next) {
		next = f->next;
		f->next = fifo;
		fifo = f;
	}
	for (f = fifo; f; f = next) {
		next = f->next;
		run(f, true);
	}
}

static void start_queued(int wakefd)
{
	struct sx_fiber *q;
	uint64_t n;

	if (sx_real.read(wakefd, &n, sizeof(n)) < 0) {
		/* nothing written since the last time: EAGAIN */
	}
	sx_reg_lock();
	q = L.queue;
	L.queue = NULL;
	sx_reg_unlock();
	start_list(q);
}

/* Idle, nothing queued: the loop ends (its descriptors go). */
static bool retire(void)
{
	bool idle;

	sx_reg_lock();
	idle = !L.count && !L.queue;
	if (idle) {
		sx_real.close(L.epfd);
		sx_real.close(L.wakefd);
		L.epfd = L.wakefd = -1;
		L.running = false;
	}
	sx_reg_unlock();
	return idle;
}

/* The program closed the loop's descriptors (closefrom, close_range):
 * every handshake of the loop fails (EBADF), the next spawn starts a new
 * loop.  The numbers are the program's now: never touched again. */
static void broken(void)
{
	struct sx_fiber *q;

	sx_reg_lock();
	q = L.queue;
	L.queue = NULL;
	L.epfd = L.wakefd = -1;
	L.running = false;
	sx_reg_unlock();
	loop_broken = true;
	while (waiting)
		wake(waiting, EBADF);
	start_list(q);
}

static void *loop_main(void *arg)
{
	struct epoll_event ev[MAXEV];
	int wakefd;

	(void)arg;
	SX_GUARD_SCOPE();
	sx_reg_lock();          /* set by loop_start before it let go */
	loop_epfd = L.epfd;
	wakefd = L.wakefd;
	sx_reg_unlock();
	for (;;) {
		int n = sx_real.epoll_wait(loop_epfd, ev, MAXEV, next_timeout());

		if (n < 0 && errno != EINTR) {
			broken();
			return NULL;
		}
		if (n == 0 && !waiting && retire())
			return NULL;
		for (int i = 0; i < n; i++) {
			struct sx_fiber *f = ev[i].data.ptr;

			if (!f)
				start_queued(wakefd);
			else if (f->waiting)
				wake(f, 0);
		}
		expire();
	}
	return NULL;
}

int sx_thread_start(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

/* Lock held: the loop thread, its epoll set and wake-up eventfd. */
static int loop_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int ep, wk, rc;

	ep = epoll_create1(EPOLL_CLOEXEC);
	wk = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ep >= 0)
		ep = sx_fd_high(ep);
	if (wk >= 0)
		wk = sx_fd_high(wk);
	if (ep < 0 || wk < 0 ||
	    sx_real.epoll_ctl(ep, EPOLL_CTL_ADD, wk, &ev) < 0) {
		rc = errno;
		goto fail;
	}
	if ((rc = sx_thread_start(loop_main, NULL)) == 0) {
		L.epfd = ep;
		L.wakefd = wk;
		L.running = true;
		return 0;
	}
fail:
	if (ep >= 0)
		sx_real.close(ep);
	if (wk >= 0)
		sx_real.close(wk);
	return rc ? rc : ENOMEM;
}


int sx_fiber_spawn(void *(*fn)(void *), void *arg)
{
	struct sx_fiber *f;
	uint64_t one = 1;
	int rc = 0, wk;

	if (!(f = sx_fiberi_take(fn, arg, &rc)))
		return rc;
	if (!L.running && (rc = loop_start()) != 0) {
		sx_fiberi_put(f);
		sx_reg_unlock();
		return rc;
	}
	f->next = L.queue;
	L.queue = f;
	sx_fiberi_link(f);
	L.count++;
	wk = L.wakefd;
	sx_reg_unlock();
	if (sx_real.write(wk, &one, sizeof(one)) < 0) {
		/* the counter is far from full: cannot happen */
	}
	return 0;
}

void sx_loopi_child(void)
{
	if (L.epfd >= 0)
		sx_real.close(L.epfd);
	if (L.wakefd >= 0)
		sx_real.close(L.wakefd);
	memset(&L, 0, sizeof(L));
	L.epfd = L.wakefd = -1;
	waiting = NULL;
}
