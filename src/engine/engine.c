/*
 * engine.c - starting a program under the seccomp or ptrace engine
 * (include/socksify/engine.h), and probing whether an engine can run here.
 *
 * The calling process becomes the program, so it keeps its PID and stays
 * the process the shell waits for.  The supervisor is forked first (twice,
 * so that it is nobody's child: the program never reaps it or sees it in
 * wait()), in its own session (a terminal's ^C reaches the program, not
 * the supervisor), with the program's descriptors closed but stderr:
 *
 *   program P                           supervisor S
 *   fork, fork ----------------------->  setsid; sends its PID
 *   PR_SET_PTRACER(S)  (Yama)
 *   seccomp: install the filter with a listener, send its number
 *                                        pidfd_getfd(P, listener)
 *   ptrace:  ask to be seized            PTRACE_SEIZE(P)
 *                                        configuration, workers, DNS
 *            <------------------------- "ready"
 *   ptrace:  install the filter
 *   execvp                               serve until P's tree is gone
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socksify/runtime.h"
#include "super.h"

#ifndef PR_SET_PTRACER
# define PR_SET_PTRACER 0x59616d61
#endif
#define SX_POOL_THREADS 4

static const char *ename(enum sx_engine e)
{
	return e == SX_ENGINE_PTRACE ? "ptrace" : "seccomp";
}

/* ---- probing ------------------------------------------------------------ */

/* In a child: install the engine's filter and say how it went. */
static int probe_child(enum sx_engine e)
{
	int r = sx_filter_install(e == SX_ENGINE_SECCOMP);

	if (r < 0)
		return errno;
	if (sx_real.syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == ENOSYS)
		return 200;
	return 0;
}

static int probe_ptrace(void)
{
	pid_t c = fork();
	int st, err = 0;

	if (c < 0)
		return errno;
	if (c == 0) {
		pause();
		_exit(0);
	}
	if (sx_ptrace_seize(c) < 0)
		err = errno;
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	return err;
}

/* Is this process traced (TracerPid in /proc/self/status)? */
static bool traced(void)
{
	char line[128];
	bool r = false;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "TracerPid:", 10) == 0) {
			r = atoi(line + 10) != 0;
			break;
		}
	if (f)
		fclose(f);
	return r;
}

bool sx_engine_available(enum sx_engine e, char *why, size_t len)
{
	pid_t c;
	int st, err;

	sx_real_init();     /* libc's own calls, not the library's hooks */

	if (e == SX_ENGINE_PRELOAD)
		return true;
	if (e != SX_ENGINE_SECCOMP && e != SX_ENGINE_PTRACE) {
		snprintf(why, len, "no such engine");
		return false;
	}
#if !defined(__x86_64__)
	if (e == SX_ENGINE_PTRACE) {
		snprintf(why, len, "the ptrace engine is built for x86_64 only");
		return false;
	}
#endif
	if ((c = fork()) < 0) {
		snprintf(why, len, "cannot fork to probe the %s engine: %s",
			 ename(e), strerror(errno));
		return false;
	}
	if (c == 0)
		_exit(probe_child(e));
	if (waitpid(c, &st, 0) < 0 || !WIFEXITED(st)) {
		snprintf(why, len, "the %s engine probe crashed", ename(e));
		return false;
	}
	err = WEXITSTATUS(st);
	if (err == 200) {
		snprintf(why, len, "the %s engine needs pidfd_getfd (Linux 5.6 "
			 "or later)", ename(e));
		return false;
	}
	if (err == EINVAL && e == SX_ENGINE_SECCOMP) {
		snprintf(why, len, "this kernel has no seccomp user notification "
			 "(Linux 5.5 or later; not in gVisor): try --engine ptrace");
		return false;
	}
	if (err == EBUSY && e == SX_ENGINE_SECCOMP) {
		snprintf(why, len, "this process already runs under a seccomp "
			 "supervisor (the kernel allows one listener in a filter "
			 "chain): try --engine ptrace");
		return false;
	}
	if (err) {
		snprintf(why, len, "cannot install a seccomp filter for the %s "
			 "engine: %s", ename(e), strerror(err));
		return false;
	}
	if (e == SX_ENGINE_PTRACE && (err = probe_ptrace())) {
		snprintf(why, len, "ptrace is not permitted here (%s): %s", strerror(err),
			 traced() ? "this process is already traced (a debugger, "
			 "another ptrace supervisor): try --engine seccomp" :
			 "check kernel.yama.ptrace_scope or the container's "
			 "seccomp profile");
		return false;
	}
	return true;
}

/* ---- the supervisor's side ---------------------------------------------- */

static bool xwrite(int fd, const void *b, size_t n)
{
	return sx_real.write(fd, b, n) == (ssize_t)n;
}

static bool xread(int fd, void *b, size_t n)
{
	ssize_t r;

	do
		r = sx_real.read(fd, b, n);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)n;
}

/* Keep stderr and keep fd (the channel); /dev/null on 0 and 1. */
static void detach_fds(int keep)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		sx_real.dup2(null, 0);
		sx_real.dup2(null, 1);
	}
	for (int fd = 3; fd < 1024; fd++)
		if (fd != keep)
			sx_real.close(fd);
}

static void supervisor(int ch, pid_t prog, enum sx_engine e)
{
	int32_t msg[2] = { (int32_t)getpid(), 0 };
	int listener = -1, pidfd;
	char ok = 1;
	sigset_t chld;

	setsid();
	signal(SIGPIPE, SIG_IGN);
	/* Blocked before any thread starts: the ptrace loop reads SIGCHLD
	 * from a signalfd, and no worker may take it. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	detach_fds(ch);
	if (!xwrite(ch, msg, sizeof(msg)) || !xread(ch, msg, sizeof(msg)))
		_exit(1);
	if (e == SX_ENGINE_SECCOMP) {
		pidfd = (int)sx_real.syscall(SYS_pidfd_open, prog, 0);
		listener = pidfd < 0 ? -1 :
			(int)sx_real.syscall(SYS_pidfd_getfd, pidfd, msg[0], 0);
		if (listener < 0)
			ok = 0;
		if (pidfd >= 0)
			sx_real.close(pidfd);
	} else if (sx_ptrace_seize(prog) < 0) {
		ok = 0;
	}
	sx_runtime();
	if (ok && sx_pool_start(SX_POOL_THREADS) < 0)
		ok = 0;
	msg[0] = ok ? 0 : errno;
	if (!xwrite(ch, msg, sizeof(msg)) || !ok)
		_exit(1);
	sx_real.close(ch);
	_exit(e == SX_ENGINE_SECCOMP ? sx_notify_loop(listener) != 0 :
				       sx_ptrace_loop() != 0);
}

/* ---- the program's side -------------------------------------------------- */

/* A set-user-ID or set-group-ID file runs without its privileges under
 * no_new_privs (and ptrace): say so rather than leave a puzzle. */
static void note_setuid(const char *file)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	struct stat st;

	if (strchr(file, '/')) {
		snprintf(buf, sizeof(buf), "%s", file);
	} else {
		const char *p = path ? path : "/usr/bin:/bin";

		buf[0] = '\0';
		while (*p) {
			size_t n = strcspn(p, ":");

			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, file);
			if (access(buf, X_OK) == 0)
				break;
			buf[0] = '\0';
			p += n + (p[n] == ':');
		}
	}
	if (buf[0] && stat(buf, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)))
		sx_log(SX_LOG_ERROR, "%s is set-user-ID or set-group-ID: under the "
		       "seccomp and ptrace engines it runs without those privileges "
		       "(no_new_privs)", buf);
}

static int fail(char *why, size_t len, int err, const char *what)
{
	snprintf(why, len, "%s: %s", what, strerror(err));
	errno = err;
	return -1;
}

static int start_supervisor(enum sx_engine e, int sp[2], pid_t *spid)
{
	pid_t prog = getpid(), c;
	int32_t msg[2];
	int st;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	if ((c = fork()) < 0)
		return -1;
	if (c == 0) {
		sx_real.close(sp[0]);
		c = fork();
		if (c == 0)
			supervisor(sp[1], prog, e);
		_exit(c < 0);
	}
	sx_real.close(sp[1]);
	if (waitpid(c, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) ||
	    !xread(sp[0], msg, sizeof(msg))) {
		errno = ECHILD;
		return -1;
	}
	*spid = msg[0];
	/* Yama ptrace_scope 1: the supervisor may read us; EINVAL without Yama */
	prctl(PR_SET_PTRACER, (unsigned long)*spid, 0, 0, 0);
	return 0;
}

int sx_supervise_exec(const struct sx_engine_opts *o, const char *file,
		      char *const argv[], char *why, size_t len)
{
	bool notify = o->engine == SX_ENGINE_SECCOMP;
	int32_t msg[2] = { 0, 0 };
	int sp[2], lfd = -1;
	pid_t spid;

	sx_real_init();
	if (o->engine != SX_ENGINE_SECCOMP && o->engine != SX_ENGINE_PTRACE)
		return fail(why, len, EINVAL, "sx_supervise_exec");
	if (start_supervisor(o->engine, sp, &spid) < 0)
		return fail(why, len, errno, "cannot start the supervisor");
	if (notify && (lfd = sx_filter_install(true)) < 0) {
		int e = errno;

		sx_real.close(sp[0]);
		return fail(why, len, e, "cannot install the seccomp filter");
	}
	msg[0] = lfd;
	if (!xwrite(sp[0], msg, sizeof(msg)) || !xread(sp[0], msg, sizeof(msg)) ||
	    msg[0] != 0) {
		sx_real.close(sp[0]);
		return fail(why, len, msg[0] > 0 ? msg[0] : ECHILD,
			    notify ? "the supervisor could not take the listener" :
				     "the supervisor could not trace the program");
	}
	sx_real.close(sp[0]);
	if (lfd >= 0)
		sx_real.close(lfd);
	if (!notify && sx_filter_install(false) < 0)
		return fail(why, len, errno, "cannot install the seccomp filter");
	if (o->preload && o->preload[0]) {
		const char *old = getenv("LD_PRELOAD");
		char *v;

		if (old && old[0] && asprintf(&v, "%s:%s", o->preload, old) > 0)
			setenv("LD_PRELOAD", v, 1);
		else
			setenv("LD_PRELOAD", o->preload, 1);
	}
	note_setuid(file);
	execvp(file, argv);
	snprintf(why, len, "cannot run %s: %s", file, strerror(errno));
	return -1;
}
