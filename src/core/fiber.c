/*
 * fiber.c - the fibers that run the handshakes of non-blocking connects
 * (src/core/pending.c): driven by the program's own calls (drive.c), or
 * by one event-loop thread (loop.c).
 *
 * A fiber is a context (on x86-64 a stack pointer and the callee-saved
 * registers, switched here without a system call; elsewhere a ucontext
 * and swapcontext) on its own mmap'd stack
 * (256 KiB, MAP_NORESERVE, a guard page below it; the record lives at its
 * top; a few free stacks are kept for reuse).  The handshake code stays
 * the blocking, deadline-bound one: its one wait, sx_wire_wait, calls
 * sx_fiber_wait, which inside a fiber notes what it waits for and
 * switches back to whoever resumed it (a driver's thread, or the loop,
 * which registers it in its epoll set); it is resumed with 0 (ready) or
 * an errno value (ETIMEDOUT: its deadline passed).  Outside a fiber
 * nothing changes.  What a fiber yields to is kept in the fiber, so a
 * driven one may run on another thread next time.  The stack cache and the list of live fibers are under
 * the registry lock, which fork() holds: a fork child unmaps the parent's
 * fibers.  A fiber never switches while it holds a lock.
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
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "socksify/fiber.h"
#include "socksify/real.h"
#include "socksify/registry.h"
#include "fiber_int.h"

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
#include <sanitizer/asan_interface.h>
#endif
#if !defined(__x86_64__) && defined(SX_ASAN)
#include <dlfcn.h>
/* libc's swapcontext, not AddressSanitizer's interceptor: that one writes
 * a warning (a report, and a descriptor kept open) in every process, and
 * the switches are annotated here anyway. */
static int (*swap_fn)(ucontext_t *, const ucontext_t *);
#define SWAP(from, to) swap_fn(from, to)
#elif !defined(__x86_64__)
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

#ifdef __x86_64__
/*
 * The switch itself, on x86-64: the callee-saved registers, the x87
 * control word and MXCSR pushed on the old stack, its pointer saved, the
 * new one loaded and popped.  swapcontext would also set the signal mask,
 * a system call each way; a fiber runs with its driver's mask, as the
 * handshake of a blocking connect does.
 */
void sx_ctx_swap(sx_ctx *save, sx_ctx *load);
__asm__(".text\n"
	".globl sx_ctx_swap\n"
	".hidden sx_ctx_swap\n"
	".type sx_ctx_swap, @function\n"
	"sx_ctx_swap:\n"
	"\tpushq %rbp\n\tpushq %rbx\n\tpushq %r12\n"
	"\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
	"\tsubq $16, %rsp\n"
	"\tfnstcw (%rsp)\n\tstmxcsr 8(%rsp)\n"
	"\tmovq %rsp, (%rdi)\n"
	"\tmovq (%rsi), %rsp\n"
	"\tfldcw (%rsp)\n\tldmxcsr 8(%rsp)\n"
	"\taddq $16, %rsp\n"
	"\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n"
	"\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n"
	"\tret\n"
	".size sx_ctx_swap, .-sx_ctx_swap\n");
#define SWAP(from, to) sx_ctx_swap(from, to)

/* A stack whose first switch "returns" into fn, aligned as after a call
 * (fn never returns), with the default FPU control word and MXCSR. */
static void ctx_make(sx_ctx *c, char *stack, size_t size, void (*fn)(void))
{
	uint64_t *sp = (uint64_t *)(((uintptr_t)stack + size) & ~(uintptr_t)15);

	*--sp = 0;                              /* fn's return address */
	*--sp = (uint64_t)(uintptr_t)fn;        /* where the switch returns */
	for (int i = 0; i < 6; i++)
		*--sp = 0;                      /* rbp rbx r12 r13 r14 r15 */
	sp -= 2;
	sp[0] = 0x037f;                         /* x87 control word */
	sp[1] = 0x1f80;                         /* MXCSR */
	*c = sp;
}
#endif


/* Stacks to reuse, and every live fiber (a fork child unmaps them):
 * registry lock held. */
static struct {
	struct sx_fiber *cache, *all;
	int ncache;
} F;

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
void sx_fiberi_put(struct sx_fiber *f)
{
	if (F.ncache >= CACHE_MAX) {
		stack_unmap(f);
		return;
	}
	f->next = F.cache;
	F.cache = f;
	F.ncache++;
}

static void all_unlink(struct sx_fiber *f)
{
	if (f->aprev)
		f->aprev->anext = f->anext;
	else
		F.all = f->anext;
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
bool sx_fiberi_resume(struct sx_fiber *f)
{
	sx_ctx here;
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
	if (!f->driven)
		sx_fiber_drop(f);
	return true;            /* a driven one: its driver drops it */
}

/* From fiber f back to whoever resumed it (for good when f->done). */
void sx_fiberi_yield(struct sx_fiber *f)
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
	sx_fiberi_yield(f);
	abort();        /* a finished fiber is never resumed */
}

/* f's context, to run fn from its first resume. */
static void prepare(struct sx_fiber *f)
{
#ifdef __x86_64__
	ctx_make(&f->ctx, f->stack, f->stack_size, entry);
#else
#ifdef SX_ASAN
	if (!swap_fn)
		*(void **)&swap_fn = dlsym(RTLD_NEXT, "swapcontext");
	if (!swap_fn)
		swap_fn = swapcontext;
#endif
	/* every signal blocked while it runs, as its driver's would be
	 * restored by every switch anyway */
	getcontext(&f->ctx);
	f->ctx.uc_stack.ss_sp = f->stack;
	f->ctx.uc_stack.ss_size = f->stack_size;
	f->ctx.uc_link = NULL;
	sigfillset(&f->ctx.uc_sigmask);
	makecontext(&f->ctx, entry, 0);
#endif
#ifdef SX_ASAN
	ASAN_UNPOISON_MEMORY_REGION(f->stack, f->stack_size);
#endif
#ifdef SX_TSAN
	f->tsan = __tsan_create_fiber(0);
#endif
}

bool sx_fiberi_start(struct sx_fiber *f)
{
	prepare(f);
	return sx_fiberi_resume(f);
}

/* ---- waits ---------------------------------------------------------- */

int sx_fiber_wait(int fd, short events, int64_t deadline)
{
	struct sx_fiber *f = sx_fiber_current;

	if (!f)
		return -1;
	if (deadline - sx_mono_ms() <= 0)
		return ETIMEDOUT;
	if (f->driven) {
		f->fd = fd;
		f->events = events;
		f->deadline = deadline;
		f->waiting = true;
		sx_fiberi_yield(f);
		f->waiting = false;
		return f->result;
	}
	return sx_loopi_wait(f, fd, events, deadline);
}

/* A stack for fn(arg), from the cache or new; the lock is held on
 * return (NULL: not held, *err set). */
struct sx_fiber *sx_fiberi_take(void *(*fn)(void *), void *arg, int *err)
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
	if ((f = F.cache) != NULL) {
		F.cache = f->next;
		F.ncache--;
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

void sx_fiberi_link(struct sx_fiber *f)
{
	f->aprev = NULL;
	f->anext = F.all;
	if (F.all)
		F.all->aprev = f;
	F.all = f;
}

struct sx_fiber *sx_fiber_new(void *(*fn)(void *), void *arg)
{
	struct sx_fiber *f;
	int err;

	if (!(f = sx_fiberi_take(fn, arg, &err))) {
		errno = err;
		return NULL;
	}
	f->driven = true;
	sx_fiberi_link(f);
	sx_reg_unlock();
	prepare(f);
	return f;
}

void sx_fiber_drop(struct sx_fiber *f)
{
#ifdef SX_TSAN
	__tsan_destroy_fiber(f->tsan);
#endif
	sx_reg_lock();          /* recursive: free when the caller holds it */
	all_unlink(f);
	sx_fiberi_put(f);
	sx_reg_unlock();
}

bool sx_fiber_drive(struct sx_fiber *f, int result)
{
	f->result = result;
	return sx_fiberi_resume(f);
}

void sx_fiber_waits(const struct sx_fiber *f, int *fd, short *events,
		    int64_t *deadline)
{
	*fd = f->fd;
	*events = f->events;
	*deadline = f->deadline;
}

void sx_fiber_child(void)
{
	struct sx_fiber *f, *next;

	sx_loopi_child();
	for (f = F.all; f; f = next) {
		next = f->anext;
		stack_unmap(f);
	}
	for (f = F.cache; f; f = next) {
		next = f->next;
		stack_unmap(f);
	}
	memset(&F, 0, sizeof(F));
	sx_fiber_current = NULL;
}
