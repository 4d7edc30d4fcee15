/*
 * test_dnsshm.c - unit tests for the shared name table (dnsmap.h, "the
 * shared table"): names to mapped addresses and back in memory that
 * several processes map, recycling with generations, processes inserting
 * at once, readers while a writer works, and writers killed (SIGKILL)
 * while they hold the lock.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "socksify/dnsmap.h"
#include "../../src/dns/dns_int.h"

/* ---- helpers ---------------------------------------------------------- */

static struct sx_net net(const char *spec)
{
	struct sx_net n;
	char err[256];

	ck_assert_msg(sx_net_parse(spec, &n, err, sizeof(err)) == 0, "%s: %s",
		      spec, err);
	return n;
}

static void *mem;
static size_t mem_len;

/* A table over the default ranges in fresh shared anonymous memory:
 * forked children share it, as processes share the file's mapping. */
static struct sx_dnsshm *table(uint32_t capacity)
{
	struct sx_net v4 = net("127.192.0.0/10"), v6 = net("100::/64");
	struct sx_dnsshm *t;

	mem_len = sx_dnsshm_bytes(capacity);
	ck_assert_uint_gt(mem_len, 0);
	mem = mmap(NULL, mem_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	t = sx_dnsshm_format(mem, mem_len, &v4, &v6, capacity);
	ck_assert_ptr_nonnull(t);
	return t;
}

static void table_free(void)
{
	munmap(mem, mem_len);
}

/* Forked children use only the raw helpers: a Check assertion, even one
 * that passes, writes to Check's channel, and a child killed in the middle
 * of that would garble the report. */

/* name -> "127.192.x.y" in buf; NULL if the table said no. */
static const char *raw_map4(struct sx_dnsshm *t, const char *name, char *buf)
{
	struct in_addr a;

	if (sx_dnsshm_map(t, name, AF_INET, &a) != 0)
		return NULL;
	return inet_ntop(AF_INET, &a, buf, INET6_ADDRSTRLEN);
}

/* "127.192.x.y" or "100::x" -> name ("" unknown; "-" outside the ranges) */
static const char *name_of(struct sx_dnsshm *t, const char *addr, char *buf, size_t len)
{
	unsigned char a[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(fam, addr, a) != 1)
		strcpy(buf, "?");
	else if (!sx_dnsshm_lookup(t, fam, a, buf, len))
		strcpy(buf, "-");
	return buf;
}

static const char *map4(struct sx_dnsshm *t, const char *name, char *buf)
{
	ck_assert_msg(raw_map4(t, name, buf), "map %s", name);
	return buf;
}

/* In a child: map name and read it back, or _exit(code). */
static const char *child_map(struct sx_dnsshm *t, const char *name, char *buf, int code)
{
	char n[256];

	if (!raw_map4(t, name, buf) || strcmp(name_of(t, buf, n, sizeof n), name) != 0)
		_exit(code);
	return buf;
}

static int wait_child(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static void expect_exit0(pid_t pid)
{
	int st = wait_child(pid);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}

/* ---- one process ------------------------------------------------------- */

START_TEST(map_both_ways)
{
	struct sx_dnsshm *t = table(1024);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], n[256];
	struct in6_addr a6;

	ck_assert_str_eq(map4(t, "one.example", a), "127.192.0.1");
	ck_assert_str_eq(map4(t, "two.example", b), "127.192.0.2");
	ck_assert_str_eq(map4(t, "ONE.example.", a), "127.192.0.1");
	ck_assert_str_eq(name_of(t, "127.192.0.1", n, sizeof n), "one.example");
	ck_assert_str_eq(name_of(t, "127.192.0.2", n, sizeof n), "two.example");
	ck_assert_int_eq(sx_dnsshm_map(t, "two.example", AF_INET6, &a6), 0);
	inet_ntop(AF_INET6, &a6, b, sizeof b);
	ck_assert_str_eq(b, "100::2");
	ck_assert_str_eq(name_of(t, "100::2", n, sizeof n), "two.example");
	/* In the range but no name; outside; a buffer too small for the name. */
	ck_assert_str_eq(name_of(t, "127.192.0.3", n, sizeof n), "");
	ck_assert_str_eq(name_of(t, "127.192.0.0", n, sizeof n), "");
	ck_assert_str_eq(name_of(t, "127.255.255.255", n, sizeof n), "");
	ck_assert_str_eq(name_of(t, "100::1:0:0:1", n, sizeof n), "");
	ck_assert_str_eq(name_of(t, "127.0.0.1", n, sizeof n), "-");
	ck_assert_str_eq(name_of(t, "2001:db8::1", n, sizeof n), "-");
	ck_assert_str_eq(name_of(t, "127.192.0.1", n, 5), "");
	table_free();
}
END_TEST

START_TEST(map_bad_names)
{
	struct sx_dnsshm *t = table(16);
	char longname[300];
	struct in_addr a;

	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	errno = 0;
	ck_assert_int_eq(sx_dnsshm_map(t, "", AF_INET, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(sx_dnsshm_map(t, ".", AF_INET, &a), -1);
	ck_assert_int_eq(sx_dnsshm_map(t, longname, AF_INET, &a), -1);
	longname[255] = '\0';                   /* 255 bytes: the longest */
	ck_assert_int_eq(sx_dnsshm_map(t, longname, AF_INET, &a), 0);
	table_free();
}
END_TEST

START_TEST(join_checks)
{
	struct sx_net v4 = net("127.192.0.0/10"), v6 = net("100::/64");
	struct sx_net o4 = net("10.99.0.0/16");
	struct sx_dnsshm *t = table(64);
	struct sx_dnsshm_stats st;
	char a[INET6_ADDRSTRLEN], n[256];

	map4(t, "kept.example", a);
	ck_assert_ptr_eq(sx_dnsshm_join(mem, mem_len, &v4, &v6, 64), t);
	ck_assert_str_eq(name_of(sx_dnsshm_join(mem, mem_len, &v4, &v6, 64), a, n,
				 sizeof n), "kept.example");
	ck_assert_ptr_null(sx_dnsshm_join(mem, mem_len, &v4, &v6, 65));
	ck_assert_ptr_null(sx_dnsshm_join(mem, mem_len, &o4, &v6, 64));
	ck_assert_ptr_null(sx_dnsshm_join(mem, mem_len - 1, &v4, &v6, 64));
	sx_dnsshm_stats(t, &st);
	ck_assert_uint_eq(st.capacity, 64);
	ck_assert_uint_eq(st.used, 1);
	ck_assert_uint_eq(st.generations, 4194302 / 64);
	memset(mem, 0x5a, 64);                  /* not a table any more */
	ck_assert_ptr_null(sx_dnsshm_join(mem, mem_len, &v4, &v6, 64));
	ck_assert_ptr_null(sx_dnsshm_format(mem, 100, &v4, &v6, 64));
	ck_assert_ptr_null(sx_dnsshm_format(mem, mem_len, &v4, &v6, 0));
	ck_assert_uint_eq(sx_dnsshm_bytes(0), 0);
	table_free();
}
END_TEST

/* ---- recycling --------------------------------------------------------- */

START_TEST(recycle_generation)
{
	struct sx_dnsshm *t = table(4);
	char a[4][INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], n[256], name[32];
	struct sx_dnsshm_stats st;
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "n%d.example", i);
		map4(t, name, a[i]);
	}
	ck_assert_str_eq(a[0], "127.192.0.1");
	/* Full: the least recently used name, n0, gives up its slot, but not
	 * its address: the new name gets 127.192.0.5 (slot 0, generation 1),
	 * and 127.192.0.1 now means nothing, never the newer name. */
	map4(t, "new1.example", b);
	ck_assert_str_eq(b, "127.192.0.5");
	ck_assert_str_eq(name_of(t, "127.192.0.5", n, sizeof n), "new1.example");
	ck_assert_str_eq(name_of(t, a[0], n, sizeof n), "");
	sx_dnsshm_stats(t, &st);
	ck_assert_uint_eq(st.recycled, 1);
	/* n1 is used again, so n2 is the one to go next (slot 2, generation 1). */
	ck_assert_str_eq(name_of(t, a[1], n, sizeof n), "n1.example");
	map4(t, "new2.example", b);
	ck_assert_str_eq(b, "127.192.0.7");
	ck_assert_str_eq(name_of(t, a[2], n, sizeof n), "");
	ck_assert_str_eq(name_of(t, a[1], n, sizeof n), "n1.example");
	ck_assert_str_eq(name_of(t, a[3], n, sizeof n), "n3.example");
	/* n0 comes back with an address of its own. */
	map4(t, "n0.example", b);
	ck_assert_str_ne(b, a[0]);
	ck_assert_str_eq(name_of(t, b, n, sizeof n), "n0.example");
	table_free();
}
END_TEST

START_TEST(recycle_bounded)
{
	struct sx_dnsshm *t = table(64);
	char a[INET6_ADDRSTRLEN], n[256], name[32];
	struct sx_dnsshm_stats st;
	int i;

	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof name, "churn-%d.example", i);
		map4(t, name, a);
		ck_assert_str_eq(name_of(t, a, n, sizeof n), name);
	}
	sx_dnsshm_stats(t, &st);
	ck_assert_uint_eq(st.used, 64);
	ck_assert_uint_eq(st.recycled, 20000 - 64);
	table_free();
}
END_TEST

/* With a range that only just holds the table there is one generation:
 * a recycled slot keeps its address (the per-process table's behaviour). */
START_TEST(recycle_one_generation)
{
	struct sx_net v4 = net("10.9.9.0/29"), v6 = net("100::/64");
	struct sx_dnsshm *t;
	struct sx_dnsshm_stats st;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], n[256];
	int i;

	mem_len = sx_dnsshm_bytes(6);
	mem = mmap(NULL, mem_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_null(sx_dnsshm_format(mem, mem_len, &v4, &v6, 7));
	t = sx_dnsshm_format(mem, mem_len, &v4, &v6, 6);
	ck_assert_ptr_nonnull(t);
	sx_dnsshm_stats(t, &st);
	ck_assert_uint_eq(st.generations, 1);
	map4(t, "first.example", a);
	ck_assert_str_eq(a, "10.9.9.1");
	for (i = 0; i < 6; i++) {
		snprintf(n, sizeof n, "x%d.example", i);
		map4(t, n, b);
	}
	ck_assert_str_eq(b, "10.9.9.1");
	ck_assert_str_eq(name_of(t, a, n, sizeof n), "x5.example");
	table_free();
}
END_TEST

/* ---- several processes -------------------------------------------------- */

#define NPROC 4
#define NNAMES 500

/* Each of NPROC processes maps the same NNAMES names (in its own order) and
 * NNAMES of its own, and checks each answer both ways. */
START_TEST(processes_insert_concurrently)
{
	struct sx_dnsshm *t = table(8192);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], n[256], name[64];
	struct sx_dnsshm_stats st;
	pid_t pid[NPROC];
	int p, i;

	for (p = 0; p < NPROC; p++) {
		pid[p] = fork();
		ck_assert_int_ge(pid[p], 0);
		if (pid[p] == 0) {
			for (i = 0; i < NNAMES; i++) {
				int k = p & 1 ? NNAMES - 1 - i : i;

				snprintf(name, sizeof name, "common-%d.example", k);
				child_map(t, name, a, 1);
				snprintf(name, sizeof name, "own-%d-%d.example", p, i);
				child_map(t, name, a, 2);
			}
			_exit(0);
		}
	}
	for (p = 0; p < NPROC; p++)
		expect_exit0(pid[p]);
	sx_dnsshm_stats(t, &st);
	ck_assert_uint_eq(st.used, NNAMES + NPROC * NNAMES);
	ck_assert_uint_eq(st.recycled, 0);
	/* Every name once, every address distinct, both ways. */
	for (i = 0; i < NNAMES; i++) {
		snprintf(name, sizeof name, "common-%d.example", i);
		map4(t, name, a);
		ck_assert_str_eq(name_of(t, a, n, sizeof n), name);
		snprintf(name, sizeof name, "own-3-%d.example", i);
		map4(t, name, b);
		ck_assert_str_ne(a, b);
	}
	sx_dnsshm_stats(t, &st);
	ck_assert_uint_eq(st.used, NNAMES + NPROC * NNAMES);
	table_free();
}
END_TEST

/* A reader process asks for addresses while a writer churns a small table:
 * an answer is the right name or "" (recycled since), never another name. */
START_TEST(readers_while_writing)
{
	struct sx_dnsshm *t = table(32);
	char a[INET6_ADDRSTRLEN], n[256], name[64];
	pid_t writer, reader;
	int i;

	writer = fork();
	ck_assert_int_ge(writer, 0);
	if (writer == 0) {
		for (i = 0; i < 30000; i++) {
			snprintf(name, sizeof name, "w-%d.example", i);
			if (!raw_map4(t, name, a))
				_exit(3);
		}
		_exit(0);
	}
	reader = fork();
	ck_assert_int_ge(reader, 0);
	if (reader == 0) {
		int known = 0;

		for (i = 0; i < 20000; i++) {
			snprintf(name, sizeof name, "r-%d.example", i % 100);
			if (!raw_map4(t, name, a))
				_exit(3);
			name_of(t, a, n, sizeof n);
			if (n[0] && strcmp(n, name) != 0)
				_exit(1);       /* another name: the bug */
			known += n[0] != 0;
		}
		_exit(known > 0 ? 0 : 2);
	}
	expect_exit0(writer);
	expect_exit0(reader);
	table_free();
}
END_TEST

/* Threads of two processes at once (the lock and the seqlock serve
 * threads as they serve processes): every answer is right, every name has
 * one address in both processes. */
struct thread_arg {
	struct sx_dnsshm *t;
	int id, bad;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	char addr[INET6_ADDRSTRLEN], n[256], name[64];
	int i;

	for (i = 0; i < 400; i++) {
		snprintf(name, sizeof name, "t-%d.example", (i * 7 + a->id) % 300);
		if (!raw_map4(a->t, name, addr) ||
		    strcmp(name_of(a->t, addr, n, sizeof n), name) != 0)
			a->bad++;
	}
	return NULL;
}

static int run_threads(struct sx_dnsshm *t, int base)
{
	struct thread_arg a[4];
	pthread_t th[4];
	int i, bad = 0;

	for (i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){ t, base + i, 0 };
		if (pthread_create(&th[i], NULL, thread_main, &a[i]) != 0)
			return -1;
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += a[i].bad;
	}
	return bad;
}

START_TEST(threads_in_two_processes)
{
	struct sx_dnsshm *t = table(1024);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], name[64];
	struct sx_dnsshm_stats st;
	pid_t pid;
	int i;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(run_threads(t, 100) == 0 ? 0 : 1);
	ck_assert_int_eq(run_threads(t, 0), 0);
	expect_exit0(pid);
	sx_dnsshm_stats(t, &st);
	ck_assert_uint_eq(st.used, 300);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "t-%d.example", i);
		map4(t, name, a);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(raw_map4(t, name, b) && strcmp(a, b) == 0 ? 0 : 1);
		expect_exit0(pid);
	}
	table_free();
}
END_TEST

static void die_here(int where)
{
	static int target;

	if (!target)
		target = atoi(getenv("SX_TEST_DIE_AT"));
	if (where == target)
		raise(SIGKILL);
}

/* A writer killed while it holds the lock (having taken a slot, or in the
 * middle of writing it) leaves a table that works: readers do not hang,
 * the next writer repairs it, every earlier name is intact. */
static void killed_writer(int where)
{
	struct sx_dnsshm *t = table(8);
	char a[8][INET6_ADDRSTRLEN], n[256], name[64], doomed[64], x[INET6_ADDRSTRLEN];
	struct sx_dnsshm_stats st;
	struct timespec t0, t1;
	pid_t pid;
	int i, status, recycle;

	for (recycle = 0; recycle < 2; recycle++) {
		/* First round: the writer dies filling a fresh slot; second: a full
		 * table, it dies recycling one. */
		for (i = 0; i < (recycle ? 8 : 7); i++) {
			snprintf(name, sizeof name, "keep-%d-%d.example", recycle, i);
			map4(t, name, a[i]);
		}
		snprintf(doomed, sizeof doomed, "doomed-%d.example", recycle);
		snprintf(name, sizeof name, "SX_TEST_DIE_AT=%d", where);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			putenv(strdup(name));
			sx_dnsshm_fault = die_here;
			raw_map4(t, doomed, x);
			_exit(3);
		}
		status = wait_child(pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "writer not killed where asked (%#x)", status);
		/* Readers: no wait, and every name not being replaced is there. */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < 7; i++) {
			snprintf(name, sizeof name, "keep-%d-%d.example", recycle, i);
			name_of(t, a[i], n, sizeof n);
			ck_assert(n[0] == '\0' || strcmp(n, name) == 0);
			if (!recycle)
				ck_assert_str_eq(n, name);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
		/* The next writer gets the lock, repairs, and goes on. */
		map4(t, "after.example", x);
		ck_assert_str_eq(name_of(t, x, n, sizeof n), "after.example");
		map4(t, doomed, x);
		ck_assert_str_eq(name_of(t, x, n, sizeof n), doomed);
		/* An address handed out before stands for its own name or none. */
		for (i = 0; i < (recycle ? 8 : 7); i++) {
			snprintf(name, sizeof name, "keep-%d-%d.example", recycle, i);
			name_of(t, a[i], n, sizeof n);
			ck_assert_msg(n[0] == '\0' || strcmp(n, name) == 0,
				      "%s stands for %s, not %s", a[i], n, name);
		}
		sx_dnsshm_stats(t, &st);
		ck_assert_uint_eq(st.recoveries, (uint64_t)recycle + 1);
		ck_assert_uint_le(st.used, 8);
		/* Each name maps to one address, both ways. */
		for (i = 0; i < 8; i++) {
			snprintf(name, sizeof name, "again-%d.example", i);
			map4(t, name, a[i]);
			ck_assert_str_eq(name_of(t, a[i], n, sizeof n), name);
			map4(t, name, x);
			ck_assert_str_eq(x, a[i]);
		}
	}
	table_free();
}

START_TEST(writer_killed_after_taking_slot)
{
	killed_writer(SX_DNSSHM_TAKEN);
}
END_TEST

START_TEST(writer_killed_mid_write)
{
	killed_writer(SX_DNSSHM_MIDWRITE);
}
END_TEST

/* Writers killed at random moments, again and again: the table stays whole. */
START_TEST(writers_killed_at_random)
{
	struct sx_dnsshm *t = table(64);
	char a[INET6_ADDRSTRLEN], n[256], name[64];
	pid_t pid;
	int round, i;

	for (round = 0; round < 40; round++) {
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			for (i = 0;; i++) {
				snprintf(name, sizeof name, "k-%d-%d.example", round, i);
				child_map(t, name, a, 1);
			}
		}
		usleep(200 + (unsigned)(rand() % 2000));
		kill(pid, SIGKILL);
		wait_child(pid);
		for (i = 0; i < 70; i++) {
			snprintf(name, sizeof name, "check-%d.example", i);
			map4(t, name, a);
			ck_assert_str_eq(name_of(t, a, n, sizeof n), name);
		}
	}
	table_free();
}
END_TEST

static Suite *dnsshm_suite(void)
{
	Suite *s = suite_create("dnsshm");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, map_both_ways);
	tcase_add_test(tc, map_bad_names);
	tcase_add_test(tc, join_checks);
	suite_add_tcase(s, tc);
	tc = tcase_create("recycle");
	tcase_add_test(tc, recycle_generation);
	tcase_add_test(tc, recycle_bounded);
	tcase_add_test(tc, recycle_one_generation);
	suite_add_tcase(s, tc);
	tc = tcase_create("processes");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, processes_insert_concurrently);
	tcase_add_test(tc, threads_in_two_processes);
	tcase_add_test(tc, readers_while_writing);
	tcase_add_test(tc, writer_killed_after_taking_slot);
	tcase_add_test(tc, writer_killed_mid_write);
	tcase_add_test(tc, writers_killed_at_random);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dnsshm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
