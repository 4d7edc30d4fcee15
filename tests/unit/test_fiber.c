/*
 * test_fiber.c - unit tests of the event loop that runs non-blocking
 * connects' handshakes as fibers (src/core/fiber.c): many fibers wait at
 * once on one loop thread, each wait ends when its descriptor is ready (0)
 * or its deadline passes (ETIMEDOUT), outside a fiber the caller waits
 * itself (-1), and an idle loop ends.  Socket pairs stand for the sockets;
 * linked with the src/core objects only (mk/unit-registry.mk).  Each test
 * runs in its own process (the loop is per process).
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "socksify/fiber.h"
#include "../progs/fdcount.h"

#define N 20

struct job {
	int fd;
	int64_t deadline;
	int result;
	pthread_t thread;
};

static atomic_int g_done;

static void *wait_job(void *arg)
{
	struct job *j = arg;

	j->thread = pthread_self();
	j->result = sx_fiber_wait(j->fd, POLLIN, j->deadline);
	atomic_fetch_add(&g_done, 1);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void wait_done(int n, int ms)
{
	for (int i = 0; i < ms / 5 && atomic_load(&g_done) < n; i++)
		sleep_ms(5);
	ck_assert_int_eq(atomic_load(&g_done), n);
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
	static struct job jobs[N];
	int sp[N][2];
	int64_t t0 = sx_mono_ms();

	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]), 0);
		jobs[i].fd = sp[i][0];
		jobs[i].deadline = t0 + (i % 2 ? 200 : 10000);
		jobs[i].result = -2;
		ck_assert_int_eq(sx_fiber_spawn(wait_job, &jobs[i]), 0);
	}
	sleep_ms(50);
	ck_assert_int_eq(atomic_load(&g_done), 0);
	for (int i = 0; i < N; i += 2)
		ck_assert_int_eq(write(sp[i][1], "x", 1), 1);
	wait_done(N, 5000);
	ck_assert_int_lt(sx_mono_ms() - t0, 2000);
	for (int i = 0; i < N; i++) {
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
	static struct job j;
	int sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	j.fd = sp[0];
	j.deadline = sx_mono_ms() + 10000;
	j.result = -2;
	ck_assert_int_eq(sx_fiber_spawn(wait_job, &j), 0);
	sleep_ms(50);
	shutdown(sp[0], SHUT_RDWR);
	wait_done(1, 5000);
	ck_assert_int_eq(j.result, 0);
}
END_TEST

/* Idle, the loop ends: its thread and descriptors go; the next spawn
 * starts a new one. */
START_TEST(idle_loop_ends_and_restarts)
{
	static struct job j;
	int sp[2], fds;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fds = count_fds();
	j.fd = sp[0];
	j.deadline = sx_mono_ms() + 10;
	ck_assert_int_eq(sx_fiber_spawn(wait_job, &j), 0);
	wait_done(1, 5000);
	ck_assert_int_eq(count_entries("/proc/self/task"), 2);
	for (int i = 0; i < 100 && count_entries("/proc/self/task") > 1; i++)
		sleep_ms(50);
	ck_assert_int_eq(count_entries("/proc/self/task"), 1);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(write(sp[1], "y", 1), 1);
	j.deadline = sx_mono_ms() + 5000;
	ck_assert_int_eq(sx_fiber_spawn(wait_job, &j), 0);
	wait_done(2, 5000);
	ck_assert_int_eq(j.result, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fiber");
	TCase *t = tcase_create("fiber");
	SRunner *r;
	int failed;

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
