/*
 * test_dnsmap_fork.c - the remote-DNS table (dnsmap.h) under threads and
 * fork: consistent for every thread, and in a child forked at any time.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socksify/dnsmap.h"

#include "dnsmap_util.h"

/* ---- threads ---------------------------------------------------------- */

struct worker {
	struct sx_dnsmap *m;
	unsigned id, n;
	int bad;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char name[64], back[256];
	unsigned i;

	for (i = 0; i < w->n; i++) {
		uint32_t idx;

		/* Half the names shared between threads, half private. */
		if (i % 2)
			snprintf(name, sizeof(name), "t%u-%u.example", w->id, i);
		else
			snprintf(name, sizeof(name), "shared-%u.example", i);
		if (sx_dnsmap_put(w->m, name, &idx) != 0 ||
		    !sx_dnsmap_name(w->m, idx, back, sizeof(back)) ||
		    strcmp(back, name) != 0)
			w->bad++;
	}
	return NULL;
}

START_TEST(threads_consistent)
{
	struct sx_dnsmap m;
	struct worker w[4];
	pthread_t t[4];
	unsigned i;

	/* Capacity above the names: nothing is recycled under the readers. */
	init_default(&m, 1u << 16);
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .m = &m, .id = i, .n = 20000 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].bad, 0);
	}
	/* 10000 shared + 4 x 10000 private */
	ck_assert_uint_eq(m.count, 50000);
	for (i = 0; i < m.count; i++) {
		char back[256];
		uint32_t idx;

		ck_assert(sx_dnsmap_name(&m, i, back, sizeof(back)));
		ck_assert_int_eq(sx_dnsmap_put(&m, back, &idx), 0);
		ck_assert_uint_eq(idx, i);
	}
	sx_dnsmap_free(&m);
}
END_TEST

/* ---- fork ------------------------------------------------------------- */

/* Run fn in a child; its exit status is the number of failures. */
static int in_child(int (*fn)(struct sx_dnsmap *), struct sx_dnsmap *m)
{
	int st = -1;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(m));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "child died (status %d)", st);
	return WEXITSTATUS(st);
}

static int child_checks(struct sx_dnsmap *m)
{
	char name[64], back[256];
	int bad = 0;
	uint32_t i, idx;

	/* The parent's names, at the parent's indices. */
	for (i = 0; i < 500; i++) {
		name_n(name, sizeof(name), "f", i);
		if (!sx_dnsmap_name(m, i, back, sizeof(back)) || strcmp(back, name))
			bad++;
	}
	/* Names of its own keep working (and recycle: capacity 1000). */
	for (i = 0; i < 2000; i++) {
		name_n(name, sizeof(name), "child", i);
		if (sx_dnsmap_put(m, name, &idx) != 0 ||
		    !sx_dnsmap_name(m, idx, back, sizeof(back)) || strcmp(back, name))
			bad++;
	}
	sx_dnsmap_free(m);
	return bad > 100 ? 100 : bad;
}

START_TEST(fork_child_consistent)
{
	struct sx_dnsmap m;
	char name[64];
	uint32_t i;

	init_default(&m, 1000);
	for (i = 0; i < 500; i++) {
		name_n(name, sizeof(name), "f", i);
		put(&m, name);
	}
	ck_assert_int_eq(in_child(child_checks, &m), 0);
	/* The child's names stayed in the child. */
	ck_assert_uint_eq(m.count, 500);
	ck_assert_uint_eq(m.recycled, 0);
	for (i = 0; i < 500; i++) {
		name_n(name, sizeof(name), "f", i);
		ck_assert_str_eq(name_of(&m, i), name);
	}
	sx_dnsmap_free(&m);
}
END_TEST

/* fork() while other threads hold and take the lock: with the lock held
 * across fork (as src/core/names.c does with pthread_atfork) the child
 * never inherits a locked mutex or a half-updated table. */
static volatile int hammer_stop;

static void *hammer(void *arg)
{
	struct sx_dnsmap *m = arg;
	char name[64];
	unsigned i = 0;
	uint32_t idx;

	while (!hammer_stop) {
		snprintf(name, sizeof(name), "hammer%u.example", i++ % 5000);
		sx_dnsmap_put(m, name, &idx);
	}
	return NULL;
}

static int child_quick(struct sx_dnsmap *m)
{
	char back[256];
	uint32_t idx, i;
	int bad = 0;

	for (i = 0; i < 1000; i++) {
		char name[64];

		name_n(name, sizeof(name), "q", i);
		if (sx_dnsmap_put(m, name, &idx) != 0 ||
		    !sx_dnsmap_name(m, idx, back, sizeof(back)) ||
		    strcmp(back, name) != 0)
			bad = 1;
	}
	/* Every entry the child sees is whole: its name maps back to it. */
	for (i = 0; i < m->count; i++) {
		if (!sx_dnsmap_name(m, i, back, sizeof(back)) ||
		    sx_dnsmap_put(m, back, &idx) != 0 || idx != i)
			bad = 1;
	}
	return bad;
}

static int atfork_done;

/*
 * Not under AddressSanitizer: GCC 12's ASan allocator takes no lock of its
 * own around fork(), so a child forked while a hammer thread is inside
 * malloc blocks for ever in malloc (gdb: SizeClassAllocator64::
 * GetFromAllocator in the child) - ASan's deadlock, not the table's.  The
 * plain build, valgrind and ThreadSanitizer run it.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SX_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SX_TEST_ASAN 1
#endif
#endif
#ifndef SX_TEST_ASAN
#define SX_TEST_ASAN 0
#endif

START_TEST(fork_while_threads_busy)
{
	struct sx_dnsmap m;
	pthread_t t[2];
	int i;

	/* Under valgrind this needs --fair-sched=yes (make check-valgrind has
	 * it): without it the spinning hammers starve the forking thread, one
	 * round can take 30 s, and the alarm below fires -- in Check's no-fork
	 * mode its SIGALRM handler then kills the whole process group. */
	if (!atfork_done++)
		pthread_atfork(sx_dnsmap_lock, sx_dnsmap_unlock, sx_dnsmap_unlock);
	init_default(&m, 4096);
	hammer_stop = 0;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &m), 0);
	for (i = 0; i < 50; i++) {
		alarm(10);      /* a deadlocked child is a failure, not a hang */
		ck_assert_int_eq(in_child(child_quick, &m), 0);
		alarm(0);
	}
	hammer_stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	sx_dnsmap_free(&m);
}
END_TEST

/* The parent exits first; the orphaned child still has its table. */
START_TEST(fork_parent_exits_first)
{
	struct sx_dnsmap m;
	int pfd[2], st;
	char verdict = '?';
	pid_t mid;

	init_default(&m, 64);
	put(&m, "orphan.sx.test");
	ck_assert_int_eq(pipe(pfd), 0);
	mid = fork();
	ck_assert_int_ge(mid, 0);
	if (mid == 0) {
		pid_t parent = getpid();        /* before fork: it may be gone at once */
		pid_t kid = fork();

		if (kid == 0) {
			char back[256];
			uint32_t idx;
			int n;

			/* Wait until the middle process is gone (reparented). */
			for (n = 0; n < 500 && getppid() == parent; n++)
				usleep(10000);
			verdict = sx_dnsmap_name(&m, 0, back, sizeof(back)) &&
				  !strcmp(back, "orphan.sx.test") &&
				  sx_dnsmap_put(&m, "new.sx.test", &idx) == 0 &&
				  idx == 1 ? 'y' : 'n';
			if (write(pfd[1], &verdict, 1) != 1)
				_exit(1);
			_exit(0);
		}
		sx_dnsmap_free(&m);
		_exit(kid > 0 ? 0 : 1);
	}
	close(pfd[1]);
	ck_assert_int_eq(waitpid(mid, &st, 0), mid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The middle process is reaped: the grandchild answers on its own. */
	alarm(10);
	ck_assert_int_eq(read(pfd[0], &verdict, 1), 1);
	alarm(0);
	close(pfd[0]);
	ck_assert_int_eq(verdict, 'y');
	sx_dnsmap_free(&m);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *dnsmap_fork_suite(void)
{
	Suite *s = suite_create("dnsmap_fork");
	TCase *tc;

	tc = tcase_create("concurrency");
	tcase_add_test(tc, threads_consistent);
	tcase_add_test(tc, fork_child_consistent);
	if (!SX_TEST_ASAN)
		tcase_add_test(tc, fork_while_threads_busy);
	tcase_add_test(tc, fork_parent_exits_first);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dnsmap_fork_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
