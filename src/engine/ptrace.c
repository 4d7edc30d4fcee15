/*
 * ptrace.c - the ptrace engine's loop, where seccomp user notification is
 * missing (gVisor, some container profiles): the filter returns
 * SECCOMP_RET_TRACE for the same calls, the supervisor gets a seccomp stop,
 * decides (call.c) and either lets the call run, or skips it (system call
 * number -1) with its result in the return register.
 *
 * Every ptrace request comes from this thread (the tracer); a handshake
 * runs in a worker, which hands its result back through a queue and an
 * eventfd; the tracee thread stays stopped meanwhile, other threads run.
 * fork, vfork and clone children are traced from their first instruction
 * (PTRACE_O_TRACEFORK/VFORK/CLONE); the loop ends when no tracee is left.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socksify/runtime.h"
#include "super.h"

struct done {
	pid_t tid;
	int64_t ret;
	bool cont;
	struct done *next;
};

static struct done *done_head;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static int done_efd = -1;

#define OPTIONS (PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | \
		 PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)

int sx_ptrace_seize(pid_t prog)
{
	return ptrace(PTRACE_SEIZE, prog, 0, (void *)(long)OPTIONS) < 0 ? -1 : 0;
}

/* Skip the stopped call and give it ret. */
static void set_result(pid_t tid, int64_t ret)
{
#if defined(__x86_64__)
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
		return;
	r.orig_rax = (unsigned long long)-1;
	r.rax = (unsigned long long)ret;
	ptrace(PTRACE_SETREGS, tid, 0, &r);
#else
	(void)tid;
	(void)ret;
#endif
}

static void resume(pid_t tid, const struct sx_answer *a, bool cont)
{
	if (!cont)
		set_result(tid, a->ret);
	ptrace(PTRACE_CONT, tid, 0, 0);
}

static void ptrace_done(const struct sx_call *c, const struct sx_answer *a,
			bool cont)
{
	struct done *d = malloc(sizeof(*d));
	uint64_t one = 1;

	if (!d)
		return;         /* the thread stays stopped: cannot happen */
	d->tid = c->tid;
	d->ret = a ? a->ret : 0;
	d->cont = cont;
	pthread_mutex_lock(&done_lock);
	d->next = done_head;
	done_head = d;
	pthread_mutex_unlock(&done_lock);
	if (sx_real.write(done_efd, &one, sizeof(one)) < 0)
		return;
}

static void run_done(void)
{
	struct done *d;
	uint64_t v;

	if (sx_real.read(done_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&done_lock);
	d = done_head;
	done_head = NULL;
	pthread_mutex_unlock(&done_lock);
	while (d) {
		struct done *next = d->next;
		struct sx_answer a = { .ret = d->ret };

		resume(d->tid, &a, d->cont);
		free(d);
		d = next;
	}
}

static void on_seccomp_stop(pid_t tid)
{
	struct __ptrace_syscall_info info;
	struct sx_answer a;
	struct sx_call c;
	enum sx_verdict v;

	memset(&c, 0, sizeof(c));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(info), &info) <= 0 ||
	    info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
		ptrace(PTRACE_CONT, tid, 0, 0);
		return;
	}
	c.tid = tid;
	c.nr = (int)info.seccomp.nr;
	memcpy(c.args, info.seccomp.args, sizeof(c.args));
	c.listener = -1;
	v = sx_call_handle(&c, &a);
	if (v == SX_CONTINUE)
		resume(tid, NULL, true);
	else if (v == SX_ANSWER)
		resume(tid, &a, false);
}

static void on_status(pid_t tid, int st)
{
	int sig = WSTOPSIG(st), ev = st >> 16;

	if (!WIFSTOPPED(st))
		return;                 /* exited or killed */
	if (ev == PTRACE_EVENT_SECCOMP)
		on_seccomp_stop(tid);
	else if (ev == PTRACE_EVENT_STOP && (sig == SIGSTOP || sig == SIGTSTP ||
					     sig == SIGTTIN || sig == SIGTTOU))
		ptrace(PTRACE_LISTEN, tid, 0, 0);       /* group stop */
	else if (ev)
		ptrace(PTRACE_CONT, tid, 0, 0);         /* fork, exec, new child */
	else
		ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig);  /* a signal */
}

int sx_ptrace_loop(void)
{
	struct pollfd p[2];
	sigset_t chld;
	int sfd;

	sx_engine_name = "ptrace";
	sx_call_done = ptrace_done;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	done_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || done_efd < 0)
		return -1;
	p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = done_efd, .events = POLLIN };
	for (;;) {
		struct signalfd_siginfo si;
		pid_t tid;
		int st;

		while ((tid = waitpid(-1, &st, __WALL | WNOHANG)) > 0)
			on_status(tid, st);
		if (tid < 0 && errno == ECHILD)
			break;
		if (sx_real.poll(p, 2, 1000) < 0 && errno != EINTR)
			break;
		while (sx_real.read(sfd, &si, sizeof(si)) > 0)
			;
		if (p[1].revents & POLLIN)
			run_done();
	}
	sx_pool_drain();
	sx_real.close(sfd);
	return 0;
}
