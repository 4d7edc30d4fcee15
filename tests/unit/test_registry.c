/*
 * test_registry.c - unit tests of the socket registry (src/core/registry.c,
 * pending.c, epreg.c) without root or a proxy: a TCP connection on
 * loopback stands for the program's socket, and the "handshake" the
 * pending machinery runs (struct sx_pend_ops) waits for one byte from the
 * peer (success) or the end of the connection (failure).  The tests call
 * the registry's close and dup paths themselves, as the hooks do; libc
 * stays libc.  The event loop that runs handshakes as fibers
 * (src/core/fiber.c) has its own tests (the "fiber" case): many waits at
 * once on one loop thread, each ending when its socket (a socket pair) is
 * ready (0) or its deadline passes (ETIMEDOUT), -1 outside a fiber, an
 * idle loop ending.  Linked with the src/core objects only
 * (mk/unit-registry.mk).
 * Each test runs in its own process: main() sets Check's fork mode itself,
 * over CK_FORK=no (the valgrind run's), as the registry, its worker threads
 * and the globals below are per process.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "socksify/fiber.h"
#include "socksify/registry.h"
#include "../progs/fdcount.h"
#include "pend_util.h"

static atomic_int g_wfd = -1, g_done = -1, g_attached;
static int g_peer = -1;

static int run(void *job, int wfd)
{
	struct pollfd p = { .fd = wfd, .events = POLLIN };
	char c;

	(void)job;
	atomic_store(&g_wfd, wfd);
	poll(&p, 1, 5000);              /* the socket is non-blocking */
	return recv(wfd, &c, 1, 0) == 1 ? 0 : ECONNRESET;
}

static void attach(void *job, int wfd, int fd, int nth)
{
	(void)job;
	(void)wfd;
	(void)fd;
	atomic_fetch_or(&g_attached, 1 << nth);
}

static atomic_bool g_cancelled;

static void cancel(void *job)
{
	(void)job;
	atomic_store(&g_cancelled, true);
}

static void done(void *job, int wfd, int err)
{
	(void)job;
	(void)wfd;
	atomic_store(&g_done, err);
}

static const struct sx_pend_ops ops = {
	.run = run, .cancel = cancel, .attach = attach, .done = done,
	.abort = stub_abort,
};

/* A connected loopback TCP socket (its peer in g_peer), non-blocking. */
static int tcp_pair(void)
{
	return loopback_pair(&g_peer);
}

/* fd with a handshake running (the worker waiting in run()). */
static int pending(void)
{
	int fd = tcp_pair();

	ck_assert_int_eq(sx_pend_start(fd, &ops, NULL, 1000, false), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	for (int i = 0; i < 200 && atomic_load(&g_wfd) < 0; i++)
		usleep(5000);
	ck_assert_int_ge(atomic_load(&g_wfd), 0);
	return fd;
}

static int wait_done(void)
{
	for (int i = 0; i < 400 && atomic_load(&g_done) < 0; i++)
		usleep(5000);
	return atomic_load(&g_done);
}

static void finish(void)
{
	ck_assert_int_eq(send(g_peer, "x", 1, 0), 1);
	ck_assert_int_eq(wait_done(), 0);
}

START_TEST(dup_pending_waits_like_the_original)
{
	int fd = pending(), d = dup(fd);

	sx_reg_dup(fd, d);
	ck_assert(sx_fd_flags(d) & SX_FD_PENDING);
	ck_assert(sx_pend_running(d));
	finish();
	ck_assert_int_eq(atomic_load(&g_attached), 3);  /* both descriptors */
	ck_assert(!(sx_fd_flags(fd) & SX_FD_PENDING));
	ck_assert(!(sx_fd_flags(d) & SX_FD_PENDING));
}
END_TEST

START_TEST(close_of_last_descriptor_ends_the_handshake)
{
	int fd = pending();
	struct pollfd p;

	sx_reg_close(fd);
	close(fd);
	ck_assert_int_eq(wait_done(), ECONNRESET);
	ck_assert(atomic_load(&g_cancelled));
	p = (struct pollfd){ .fd = g_peer, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 2000), 1);     /* the "proxy" sees EOF */
	ck_assert_int_eq(atomic_load(&g_attached), 0);
}
END_TEST

START_TEST(close_of_one_duplicate_keeps_the_handshake)
{
	int fd = pending(), d = dup(fd);

	sx_reg_dup(fd, d);
	sx_reg_close(fd);
	close(fd);
	ck_assert(sx_pend_running(d));
	finish();
	ck_assert(!atomic_load(&g_cancelled));
	ck_assert_int_eq(atomic_load(&g_attached), 1);
}
END_TEST

START_TEST(library_descriptors_are_high)
{
	struct rlimit rl;
	int fd = pending();

	getrlimit(RLIMIT_NOFILE, &rl);
	ck_assert_int_ge(atomic_load(&g_wfd), rl.rlim_cur >= 8192 ? 4096 :
			 (int)rl.rlim_cur / 2);
	ck_assert_int_lt(fd, atomic_load(&g_wfd));
	finish();
}
END_TEST

START_TEST(fork_child_holds_no_library_descriptor)
{
	int fd = pending(), st, err = -1;
	pid_t pid = fork();

	if (pid == 0) {
		bool closed = fcntl(atomic_load(&g_wfd), F_GETFD) < 0;

		_exit(closed && sx_pend_take_error(fd, &err) &&
		      err == ECONNABORTED ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert(sx_pend_running(fd));
	finish();
}
END_TEST

START_TEST(vfork_child_close_leaves_parent_state)
{
	int fd = pending(), st;
	pid_t pid = vfork();

	if (pid == 0) {
		sx_reg_close(fd);
		close(fd);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ck_assert(sx_fd_flags(fd) & SX_FD_PENDING);
	ck_assert(sx_pend_running(fd));
	finish();
}
END_TEST

START_TEST(dup2_over_pending_drops_its_state)
{
	int fd = pending(), u[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, u), 0);
	sx_reg_close(fd);               /* what the dup2 hook does first */
	ck_assert_int_eq(dup2(u[0], fd), fd);
	sx_reg_dup(u[0], fd);
	ck_assert(!(sx_fd_flags(fd) & SX_FD_PENDING));
	ck_assert(!sx_pend_running(fd));
}
END_TEST

static void epoll_masked_until_done(uint32_t events)
{
	int fd = pending(), ep = epoll_create1(0);
	struct epoll_event ev = { .events = events, .data.u64 = 9 };

	ck_assert_int_eq(sx_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 100), 0);
	finish();
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 2000), 1);
	ck_assert(ev.data.u64 == 9 && (ev.events & EPOLLOUT));
	ck_assert_int_eq(sx_epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), 0);
}

START_TEST(epoll_registration_masked_until_done)
{
	epoll_masked_until_done(EPOLLOUT);
}
END_TEST

START_TEST(epoll_exclusive_masked_until_done)
{
	epoll_masked_until_done(EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE);
}
END_TEST

START_TEST(close_pending_leaves_epoll_sets)
{
	int fd = pending(), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u64 = 1 };

	ck_assert_int_eq(sx_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	sx_reg_close(fd);
	close(fd);
	shutdown(g_peer, SHUT_RDWR);    /* the proxy goes away too */
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 300), 0);
	wait_done();
}
END_TEST

/* ---- signals and fork ------------------------------------------------- */

static int sig_fd;
static atomic_int sig_n;

static void on_alarm(int s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int d = dup(sig_fd);

	(void)s;
	sx_fd_get_peer(sig_fd, &ss, &len);
	if (d >= 0) {
		sx_reg_dup(sig_fd, d);
		sx_reg_close(d);
		close(d);
	}
	atomic_fetch_add(&sig_n, 1);
}

START_TEST(signal_handler_lookup_never_deadlocks)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct sockaddr_storage ss;
	socklen_t len;
	time_t end = time(NULL) + 1;

	sig_fd = tcp_pair();
	ck_assert_int_eq(sx_fd_set_peer(sig_fd, (struct sockaddr *)&a, sizeof(a), NULL, 0), 0);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	while (time(NULL) <= end) {
		int d = dup(sig_fd);

		sx_fd_get_peer(sig_fd, &ss, &len);
		sx_reg_dup(sig_fd, d);
		sx_reg_close(d);
		close(d);
	}
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_gt(atomic_load(&sig_n), 0);
	ck_assert(sx_fd_get_peer(sig_fd, &ss, &len));
}
END_TEST

static atomic_bool stop;

static void *ctl_loop(void *arg)
{
	int ep = epoll_create1(0), s = *(int *)arg;
	struct epoll_event ev = { .events = EPOLLIN };

	while (!atomic_load(&stop)) {
		sx_epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
		sx_epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
	}
	close(ep);
	return NULL;
}

START_TEST(fork_while_threads_in_epoll_ctl)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), st;
	pthread_t t[2];
	/* under valgrind (make check-valgrind-unit) a fork costs ~0.5 s */
	int rounds = getenv("SX_UNDER_VALGRIND") ? 20 : 200;

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, ctl_loop, &s);
	for (int i = 0; i < rounds; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			sx_reg_close(s);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_int_eq(st, 0);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}
END_TEST

START_TEST(stale_destination_not_inherited)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = tcp_pair(), again;

	ck_assert_int_eq(sx_fd_set_peer(fd, (struct sockaddr *)&a, sizeof(a), NULL, 0), 0);
	close(fd);                      /* behind the registry's back */
	again = socket(AF_INET, SOCK_STREAM, 0);
	if (again != fd) {              /* the same number, another socket */
		ck_assert_int_eq(dup2(again, fd), fd);
		close(again);
		again = fd;
	}
	ck_assert(!sx_fd_get_peer(again, &ss, &len));
	ck_assert(!(sx_fd_flags(again) & SX_FD_PROXIED));
}
END_TEST

/* ---- the event loop (src/core/fiber.c) ---------------------------- */

#define NF 20

struct fjob {
	int fd;
	int64_t deadline;
	int result;
	pthread_t thread;
};

static atomic_int f_done;

static void *fiber_job(void *arg)
{
	struct fjob *j = arg;

	j->thread = pthread_self();
	j->result = sx_fiber_wait(j->fd, POLLIN, j->deadline);
	atomic_fetch_add(&f_done, 1);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void fwait_done(int n, int ms)
{
	for (int i = 0; i < ms / 5 && atomic_load(&f_done) < n; i++)
		sleep_ms(5);
	ck_assert_int_eq(atomic_load(&f_done), n);
}

START_TEST(outside_a_fiber_the_caller_waits)
{
	ck_assert_int_eq(sx_fiber_wait(0, POLLIN, sx_mono_ms() + 1000), -1);
}
END_TEST

/* Even jobs get a byte, odd ones time out after 200 ms: all wait at once
 * on the same thread (20 timeouts in about 200 ms, not 4 s). */
START_TEST(many_waits_on_one_loop_thread)
{
	static struct fjob jobs[NF];
	int sp[NF][2];
	int64_t t0 = sx_mono_ms();
	/* under valgrind (make check-valgrind-unit) everything is slower:
	 * 1 s timeouts, and 10 in a row would take 10 s, not 5 */
	int k = getenv("SX_UNDER_VALGRIND") ? 5 : 1;

	for (int i = 0; i < NF; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]), 0);
		jobs[i].fd = sp[i][0];
		jobs[i].deadline = t0 + (i % 2 ? 200 : 10000) * k;
		jobs[i].result = -2;
		ck_assert_int_eq(sx_fiber_spawn(fiber_job, &jobs[i]), 0);
	}
	sleep_ms(50);
	if (sx_mono_ms() - t0 < 200 * k)        /* no deadline passed yet */
		ck_assert_int_eq(atomic_load(&f_done), 0);
	for (int i = 0; i < NF; i += 2)
		ck_assert_int_eq(write(sp[i][1], "x", 1), 1);
	fwait_done(NF, 5000 * k);
	ck_assert_int_lt(sx_mono_ms() - t0, 2000 * k);
	for (int i = 0; i < NF; i++) {
		ck_assert_int_eq(jobs[i].result, i % 2 ? ETIMEDOUT : 0);
		ck_assert(pthread_equal(jobs[i].thread, jobs[0].thread));
	}
	ck_assert(!pthread_equal(jobs[0].thread, pthread_self()));
	ck_assert_int_le(count_entries("/proc/self/task"), 2);
}
END_TEST

/* A hang-up ends the wait too (the close path shuts the socket down). */
START_TEST(hangup_ends_the_wait)
{
	static struct fjob j;
	int sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	j.fd = sp[0];
	j.deadline = sx_mono_ms() + 10000;
	j.result = -2;
	ck_assert_int_eq(sx_fiber_spawn(fiber_job, &j), 0);
	sleep_ms(50);
	shutdown(sp[0], SHUT_RDWR);
	fwait_done(1, 5000);
	ck_assert_int_eq(j.result, 0);
}
END_TEST

/* Idle, the loop ends: its thread and descriptors go; the next spawn
 * starts a new one. */
START_TEST(idle_loop_ends_and_restarts)
{
	static struct fjob j;
	int sp[2], fds;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fds = count_fds();
	j.fd = sp[0];
	j.deadline = sx_mono_ms() + 10;
	ck_assert_int_eq(sx_fiber_spawn(fiber_job, &j), 0);
	fwait_done(1, 5000);
	ck_assert_int_eq(count_entries("/proc/self/task"), 2);
	for (int i = 0; i < 100 && count_entries("/proc/self/task") > 1; i++)
		sleep_ms(50);
	ck_assert_int_eq(count_entries("/proc/self/task"), 1);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(write(sp[1], "y", 1), 1);
	j.deadline = sx_mono_ms() + 5000;
	ck_assert_int_eq(sx_fiber_spawn(fiber_job, &j), 0);
	fwait_done(2, 5000);
	ck_assert_int_eq(j.result, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry");
	TCase *t = tcase_create("registry");
	SRunner *r;
	int failed;

	tcase_set_timeout(t, 20);
	tcase_add_test(t, dup_pending_waits_like_the_original);
	tcase_add_test(t, close_of_last_descriptor_ends_the_handshake);
	tcase_add_test(t, close_of_one_duplicate_keeps_the_handshake);
	tcase_add_test(t, library_descriptors_are_high);
	tcase_add_test(t, fork_child_holds_no_library_descriptor);
	tcase_add_test(t, vfork_child_close_leaves_parent_state);
	tcase_add_test(t, dup2_over_pending_drops_its_state);
	tcase_add_test(t, epoll_registration_masked_until_done);
	tcase_add_test(t, epoll_exclusive_masked_until_done);
	tcase_add_test(t, close_pending_leaves_epoll_sets);
	tcase_add_test(t, signal_handler_lookup_never_deadlocks);
	tcase_add_test(t, fork_while_threads_in_epoll_ctl);
	tcase_add_test(t, stale_destination_not_inherited);
	suite_add_tcase(s, t);
	t = tcase_create("fiber");
	tcase_set_timeout(t, 20);
	tcase_add_test(t, outside_a_fiber_the_caller_waits);
	tcase_add_test(t, many_waits_on_one_loop_thread);
	tcase_add_test(t, hangup_ends_the_wait);
	tcase_add_test(t, idle_loop_ends_and_restarts);
	suite_add_tcase(s, t);
	r = srunner_create(s);
	srunner_set_fork_status(r, CK_FORK);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
