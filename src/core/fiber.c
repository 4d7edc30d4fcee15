/*
 * fiber.c - one event-loop thread per process that runs the handshakes of
 * non-blocking connects (src/core/pending.c) as fibers, instead of a
 * thread per connection.
 *
 * A fiber is a ucontext (makecontext/swapcontext) on its own mmap'd stack
 * (256 KiB, MAP_NORESERVE, a guard page below it; the record lives at its
 * top; a few free stacks are kept for reuse).  The handshake code stays
 * the blocking, deadline-bound one: its one wait, sx_wire_wait, calls
 * sx_fiber_wait, which inside a fiber registers the descriptor in the
 * loop's epoll set and switches back to the loop; the loop resumes the
 * fiber when the descriptor is ready (0) or its deadline passed
 * (ETIMEDOUT).  Outside a fiber nothing changes.
 *
 * The loop thread starts on the first spawn, with every signal blocked;
 * its epoll instance and wake-up eventfd live at high descriptor numbers,
 * close-on-exec.  What program threads share with it (the queue of new
 * fibers, the stack cache, the list of live fibers, whether it runs) is
 * under the registry lock, which fork() holds: a fork child closes the
 * loop's descriptors, unmaps the parent's fibers and starts its own loop
 * when it needs one.  A fiber never switches while it holds a lock.
 *
 * Sanitizers are told of every switch (AddressSanitizer, ThreadSanitizer),
 * and valgrind of every stack.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "socksify/fiber.h"
#include "socksify/real.h"
#include "socksify/registry.h"

#if defined(__SANITIZE_ADDRESS__)
#define SX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SX_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SX_TSAN 1
#endif
#endif
#ifdef SX_ASAN
#include <dlfcn.h>
#include <sanitizer/asan_interface.h>
/* libc's swapcontext, not AddressSanitizer's interceptor: that one writes
 * a warning (a report, and a descriptor kept open) in every process, and
 * the switches are annotated here anyway. */
static int (*swap_fn)(ucontext_t *, const ucontext_t *);
#define SWAP(from, to) swap_fn(from, to)
#else
#define SWAP(from, to) swapcontext(from, to)
#endif
#ifdef SX_TSAN
#include <sanitizer/tsan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SX_VALGRIND 1
#endif
#endif

#define STACK_SIZE (256 * 1024)
#define CACHE_MAX 16
#define MAXEV 64
#define IDLE_MS 2000            /* an idle loop ends after this */

struct sx_fiber {
	struct sx_fiber *next;          /* queue or cache */
	struct sx_fiber *anext, *aprev; /* all live fibers */
	struct sx_fiber *wnext, *wprev; /* waiting (loop thread only) */
	ucontext_t ctx;
	ucontext_t *back;               /* where it yields to: its driver's */
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

/* Shared with program threads: registry lock held. */
static struct {
	bool running;
	int epfd, wakefd;
	struct sx_fiber *queue, *cache, *all;
	int ncache;
} L = { .epfd = -1, .wakefd = -1 };

/* The loop thread's own (thread-local: a loop that ends may still be
 * finishing while the next one starts). */
static __thread struct sx_fiber *waiting;
static __thread int loop_epfd;
static __thread bool loop_broken;       /* its descriptors are gone */
/* read by every wait of every handshake, blocking ones too: initial-exec
 * (no __tls_get_addr call; the library is preloaded); fiber.h */
__thread struct sx_fiber *sx_fiber_current
	__attribute__((tls_model("initial-exec")));

int64_t sx_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- stacks --------------------------------------------------------- */

static struct sx_fiber *stack_map(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t guard = pg > 0 ? (size_t)pg : 4096, len = STACK_SIZE + guard;
	size_t rec = (sizeof(struct sx_fiber) + 63) & ~(size_t)63;
	struct sx_fiber *f;
	char *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m, guard, PROT_NONE) < 0) {
		munmap(m, len);
		return NULL;
	}
	f = (struct sx_fiber *)(m + len - rec);
	memset(f, 0, sizeof(*f));
	f->map = m;
	f->maplen = len;
	f->stack = m + guard;
	f->stack_size = (size_t)((char *)f - f->stack);
#ifdef SX_VALGRIND
	f->vg_id = VALGRIND_STACK_REGISTER(f->stack, (char *)f);
#endif
	return f;
}

static void stack_unmap(struct sx_fiber *f)
{
#ifdef SX_VALGRIND
	VALGRIND_STACK_DEREGISTER(f->vg_id);
#endif
	munmap(f->map, f->maplen);
}

/* Lock held. */
static void stack_put(struct sx_fiber *f)
{
	if (L.ncache >= CACHE_MAX) {
		stack_unmap(f);
		return;
	}
	f->next = L.cache;
	L.cache = f;
	L.ncache++;
}

static void all_unlink(struct sx_fiber *f)
{
	if (f->aprev)
		f->aprev->anext = f->anext;
	else
		L.all = f->anext;
	if (f->anext)
		f->anext->aprev = f->aprev;
}

/* ---- switches ------------------------------------------------------- */

/*
 * From this thread (the loop's, or a driver's) into f, until f waits or
 * ends; true when it ended (its stack is gone).  What the fiber yields to
 * is kept in the fiber, not the thread: a driven fiber may be resumed by
 * another thread next time.
 */
static bool resume(struct sx_fiber *f)
{
	ucontext_t here;
#ifdef SX_ASAN
	void *fake = NULL;

	__sanitizer_start_switch_fiber(&fake, f->stack, f->stack_size);
#endif
#ifdef SX_TSAN
	f->back_tsan = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(f->tsan, 0);
#endif
	f->back = &here;
	sx_fiber_current = f;
	SWAP(&here, &f->ctx);
	sx_fiber_current = NULL;
#ifdef SX_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	if (!f->done)
		return false;
#ifdef SX_TSAN
	__tsan_destroy_fiber(f->tsan);
#endif
	sx_reg_lock();
	all_unlink(f);
	stack_put(f);
	sx_reg_unlock();
	return true;
}

/* From fiber f back to whoever resumed it (for good when f->done). */
static void yield(struct sx_fiber *f)
{
#ifdef SX_ASAN
	__sanitizer_start_switch_fiber(f->done ? NULL : &f->asan_fake,
				       f->back_bottom, f->back_size);
#endif
#ifdef SX_TSAN
	__tsan_switch_to_fiber(f->back_tsan, 0);
#endif
	SWAP(&f->ctx, f->back);
#ifdef SX_ASAN
	__sanitizer_finish_switch_fiber(f->asan_fake, &f->back_bottom,
					&f->back_size);
#endif
}

static void entry(void)
{
	struct sx_fiber *f = sx_fiber_current;

#ifdef SX_ASAN
	__sanitizer_finish_switch_fiber(NULL, &f->back_bottom, &f->back_size);
#endif
	f->fn(f->arg);
	f->done = true;
	yield(f);
	abort();        /* a finished fiber is never resumed */
}

/* f's context, to run fn from its first resume, every signal blocked
 * while it runs (a driver's signals wait until it yields: a handler
 * never runs on, or jumps out of, a fiber's stack). */
static void prepare(struct sx_fiber *f)
{
#ifdef SX_ASAN
	if (!swap_fn)
		*(void **)&swap_fn = dlsym(RTLD_NEXT, "swapcontext");
	if (!swap_fn)
		swap_fn = swapcontext;
#endif
	getcontext(&f->ctx);
	f->ctx.uc_stack.ss_sp = f->stack;
	f->ctx.uc_stack.ss_size = f->stack_size;
	f->ctx.uc_link = NULL;
	sigfillset(&f->ctx.uc_sigmask);
	makecontext(&f->ctx, entry, 0);
#ifdef SX_ASAN
	ASAN_UNPOISON_MEMORY_REGION(f->stack, f->stack_size);
#endif
#ifdef SX_TSAN
	f->tsan = __tsan_create_fiber(0);
#endif
}

static void start(struct sx_fiber *f)
{
	prepare(f);
	resume(f);
}

/* ---- waits ---------------------------------------------------------- */

int sx_fiber_wait(int fd, short events, int64_t deadline)
{
	struct sx_fiber *f = sx_fiber_current;
	struct epoll_event ev = { .events = (uint32_t)(uint16_t)events };

	if (!f)
		return -1;
	if (deadline - sx_mono_ms() <= 0)
		return ETIMEDOUT;
	if (f->driven) {
		f->fd = fd;
		f->events = events;
		f->deadline = deadline;
		f->waiting = true;
		yield(f);
		f->waiting = false;
		return f->result;
	}
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
	yield(f);
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
	resume(f);
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
		start(f);
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
	idle = !L.all && !L.queue;
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

/* A stack for fn(arg), from the cache or new; the lock is held on
 * return (NULL: not held, *err set). */
static struct sx_fiber *stack_take(void *(*fn)(void *), void *arg, int *err)
{
	struct sx_fiber *f;

	/* A child of a raw fork system call (no fork handler ran: the loop
	 * looks alive, its thread is the parent's) or of vfork (the parent's
	 * memory): not ours to use; the caller starts a thread. */
	if (sx_reg_foreign()) {
		*err = ECHILD;
		return NULL;
	}
	sx_reg_lock();
	if ((f = L.cache) != NULL) {
		L.cache = f->next;
		L.ncache--;
	} else {                /* mmap without the lock */
		sx_reg_unlock();
		if (!(f = stack_map())) {
			*err = errno ? errno : ENOMEM;
			return NULL;
		}
		sx_reg_lock();
	}
	f->fn = fn;
	f->arg = arg;
	f->done = f->waiting = f->driven = false;
	f->asan_fake = NULL;
	return f;
}

static void all_link(struct sx_fiber *f)
{
	f->aprev = NULL;
	f->anext = L.all;
	if (L.all)
		L.all->aprev = f;
	L.all = f;
}

struct sx_fiber *sx_fiber_new(void *(*fn)(void *), void *arg)
{
	struct sx_fiber *f;
	int err;

	if (!(f = stack_take(fn, arg, &err))) {
		errno = err;
		return NULL;
	}
	f->driven = true;
	all_link(f);
	sx_reg_unlock();
	prepare(f);
	return f;
}

void sx_fiber_drop(struct sx_fiber *f)
{
#ifdef SX_TSAN
	__tsan_destroy_fiber(f->tsan);
#endif
	sx_reg_lock();
	all_unlink(f);
	stack_put(f);
	sx_reg_unlock();
}

bool sx_fiber_drive(struct sx_fiber *f, int result)
{
	f->result = result;
	return resume(f);
}

void sx_fiber_waits(const struct sx_fiber *f, int *fd, short *events,
		    int64_t *deadline)
{
	*fd = f->fd;
	*events = f->events;
	*deadline = f->deadline;
}

int sx_fiber_spawn(void *(*fn)(void *), void *arg)
{
	struct sx_fiber *f;
	uint64_t one = 1;
	int rc = 0, wk;

	if (!(f = stack_take(fn, arg, &rc)))
		return rc;
	if (!L.running && (rc = loop_start()) != 0) {
		stack_put(f);
		sx_reg_unlock();
		return rc;
	}
	f->next = L.queue;
	L.queue = f;
	all_link(f);
	wk = L.wakefd;
	sx_reg_unlock();
	if (sx_real.write(wk, &one, sizeof(one)) < 0) {
		/* the counter is far from full: cannot happen */
	}
	return 0;
}

void sx_fiber_child(void)
{
	struct sx_fiber *f, *next;

	if (L.epfd >= 0)
		sx_real.close(L.epfd);
	if (L.wakefd >= 0)
		sx_real.close(L.wakefd);
	for (f = L.all; f; f = next) {
		next = f->anext;
		stack_unmap(f);
	}
	for (f = L.cache; f; f = next) {
		next = f->next;
		stack_unmap(f);
	}
	memset(&L, 0, sizeof(L));
	L.epfd = L.wakefd = -1;
	waiting = NULL;
	sx_fiber_current = NULL;
}
