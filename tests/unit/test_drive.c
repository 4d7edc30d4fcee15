/*
 * test_drive.c - handshakes driven by the program's own calls
 * (src/core/drive.c, async_handshake inline), over loopback TCP, without
 * hooks: the test calls what the hooks call.  The handshake here waits
 * (sx_fiber_wait) for one byte from the peer.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socksify/fiber.h"
#include "socksify/registry.h"
#include "../progs/fdcount.h"
#include "pend_util.h"

static atomic_int g_done = -1, g_wfd = -1, g_steps, g_discarded, g_released;
static int g_peer = -1, g_wait_ms = 5000;

static int run(void *job, int wfd)
{
	int err;
	char c;

	(void)job;
	atomic_store(&g_wfd, wfd);
	for (;;) {
		atomic_fetch_add(&g_steps, 1);
		err = sx_fiber_wait(wfd, POLLIN, sx_mono_ms() + g_wait_ms);
		if (err)
			return err;
		if (recv(wfd, &c, 1, 0) == 1)
			return 0;
		if (errno != EAGAIN)
			return ECONNRESET;
	}
}

static void attach(void *job, int wfd, int fd, int nth)
{
	(void)job;
	(void)wfd;
	(void)fd;
	(void)nth;
}

static void cancel(void *job)
{
	(void)job;
}

static void done(void *job, int wfd, int err)
{
	(void)job;
	(void)wfd;
	atomic_store(&g_done, err);
}

static void discard(void *job)
{
	(void)job;
	atomic_fetch_add(&g_discarded, 1);
}

static void release(void *job)
{
	(void)job;
	atomic_fetch_add(&g_released, 1);
}

static const struct sx_pend_ops ops = {
	.run = run, .cancel = cancel, .attach = attach, .done = done,
	.abort = stub_abort, .discard = discard, .release = release,
};

static int threads(void)
{
	return count_entries("/proc/self/task");
}

/* A connected non-blocking loopback socket (peer in g_peer), its
 * handshake started, driven: no thread, the fiber waits. */
static int pending(void)
{
	int t = threads(), fd = loopback_pair(&g_peer);

	ck_assert_int_eq(sx_pend_start(fd, &ops, NULL, 1000, true), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	ck_assert_int_eq(atomic_load(&g_steps), 1);     /* its first step ran */
	ck_assert_int_eq(threads(), t);                 /* on this thread */
	ck_assert(sx_pend_any_driven());
	return fd;
}

START_TEST(a_call_on_the_socket_runs_the_next_step)
{
	int fd = pending();

	ck_assert(sx_pend_running(fd));         /* nothing there yet */
	ck_assert_int_eq(atomic_load(&g_steps), 1);
	ck_assert_int_eq(send(g_peer, "x", 1, 0), 1);
	usleep(20000);
	ck_assert(!sx_pend_running(fd));        /* ran it to the end */
	ck_assert_int_eq(atomic_load(&g_done), 0);
	ck_assert(!sx_pend_any_driven());
}
END_TEST

START_TEST(a_poll_waits_for_what_the_fiber_waits_for)
{
	int fd = pending(), n;
	void *ref = sx_pend_ref(fd);
	struct pollfd pf[2];
	int64_t wake = -1;

	ck_assert_ptr_nonnull(ref);
	n = sx_pend_pollfds(ref, pf, &wake);
	ck_assert_int_eq(n, 1);                 /* no eventfd when driven */
	ck_assert_int_eq(pf[0].fd, atomic_load(&g_wfd));
	ck_assert_int_eq(pf[0].events, POLLIN);
	ck_assert(wake > sx_mono_ms() + 4000);  /* its deadline */
	ck_assert_int_eq(poll(pf, 1, 0), 0);
	ck_assert(sx_pend_polled(ref, 0));      /* not due: no step */
	ck_assert_int_eq(atomic_load(&g_steps), 1);
	ck_assert_int_eq(send(g_peer, "x", 1, 0), 1);
	ck_assert_int_eq(poll(pf, 1, 1000), 1);
	ck_assert(!sx_pend_polled(ref, pf[0].revents));
	sx_pend_unref(ref);
	ck_assert_int_eq(atomic_load(&g_done), 0);
}
END_TEST

START_TEST(a_deadline_passed_unwatched_ends_it_at_the_next_look)
{
	int fd;

	g_wait_ms = 100;
	fd = pending();
	usleep(200000);
	ck_assert_int_eq(atomic_load(&g_done), -1);     /* nobody looked */
	ck_assert(!sx_pend_running(fd));
	ck_assert_int_eq(atomic_load(&g_done), ETIMEDOUT);
}
END_TEST

START_TEST(epoll_gets_a_tagged_registration_the_program_never_sees)
{
	int fd = pending(), ep = epoll_create1(0), n;
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 42 }, got[4];

	ck_assert_int_eq(sx_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	ck_assert_int_eq(epoll_wait(ep, got, 4, 0), 0); /* masked; not due */
	ck_assert_int_eq(send(g_peer, "x", 1, 0), 1);
	n = epoll_wait(ep, got, 4, 1000);
	ck_assert_int_eq(n, 1);
	ck_assert(sx_pend_tagged_data(got[0].data.u64));
	ck_assert_int_eq(sx_pend_epoll_filter(got, n), 0);  /* ran, dropped */
	ck_assert_int_eq(atomic_load(&g_done), 0);
	/* restored: the program's registration, its data */
	n = epoll_wait(ep, got, 4, 1000);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(got[0].data.u64, 42);
	ck_assert(got[0].events & EPOLLOUT);
	close(ep);
}
END_TEST

/* close() runs no step (a signal handler may call it): the parked fiber is
 * dropped, its duplicate closed at once, the job released later. */
START_TEST(a_closed_socket_s_handshake_is_dropped_at_once)
{
	int before = count_fds(), fd = pending(), wfd = atomic_load(&g_wfd);

	ck_assert_int_ge(fcntl(wfd, F_GETFD), 0);
	sx_reg_close(fd);
	close(fd);
	ck_assert_int_lt(fcntl(wfd, F_GETFD), 0);       /* closed */
	ck_assert_int_eq(atomic_load(&g_steps), 1);     /* no step ran */
	ck_assert_int_eq(atomic_load(&g_done), -1);
	ck_assert_int_eq(atomic_load(&g_discarded), 1);
	ck_assert(!sx_pend_any_orphans());
	ck_assert(!sx_pend_any_driven());
	close(g_peer);
	ck_assert_int_eq(count_fds(), before);
	atomic_store(&g_steps, 0);
	pending();                              /* the next one buries it */
	ck_assert_int_eq(atomic_load(&g_released), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drive");
	TCase *t = tcase_create("drive");
	SRunner *r;
	int failed;

	tcase_set_timeout(t, 20);
	tcase_add_test(t, a_call_on_the_socket_runs_the_next_step);
	tcase_add_test(t, a_poll_waits_for_what_the_fiber_waits_for);
	tcase_add_test(t, a_deadline_passed_unwatched_ends_it_at_the_next_look);
	tcase_add_test(t, epoll_gets_a_tagged_registration_the_program_never_sees);
	tcase_add_test(t, a_closed_socket_s_handshake_is_dropped_at_once);
	suite_add_tcase(s, t);
	r = srunner_create(s);
	srunner_set_fork_status(r, CK_FORK);    /* per-process state */
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
