/*
 * test_dnsmap.c - unit tests for the remote-DNS table (dnsmap.h): names to
 * mapped addresses and back, LRU recycling, capacity, threads and fork.
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

/* ---- helpers ---------------------------------------------------------- */

static struct sx_net net(const char *spec)
{
	struct sx_net n;
	char err[256];

	ck_assert_msg(sx_net_parse(spec, &n, err, sizeof(err)) == 0, "%s: %s",
		      spec, err);
	return n;
}

/* A table over the default ranges, 127.192.0.0/10 and 100::/64. */
static void init_default(struct sx_dnsmap *m, uint32_t capacity)
{
	struct sx_net v4 = net("127.192.0.0/10"), v6 = net("100::/64");

	ck_assert_int_eq(sx_dnsmap_init(m, &v4, &v6, capacity), 0);
}

static uint32_t put(struct sx_dnsmap *m, const char *name)
{
	uint32_t idx = UINT32_MAX;

	ck_assert_msg(sx_dnsmap_put(m, name, &idx) == 0, "put %s", name);
	ck_assert_uint_lt(idx, m->capacity);
	return idx;
}

static const char *addr4_text(const struct sx_dnsmap *m, uint32_t idx, char *buf)
{
	struct in_addr a;

	sx_dnsmap_addr4(m, idx, &a);
	return inet_ntop(AF_INET, &a, buf, INET6_ADDRSTRLEN);
}

static const char *addr6_text(const struct sx_dnsmap *m, uint32_t idx, char *buf)
{
	struct in6_addr a;

	sx_dnsmap_addr6(m, idx, &a);
	return inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN);
}

/* in_range of a text address: -1 outside, else the index (UINT32_MAX too). */
static int64_t range_of(const struct sx_dnsmap *m, const char *text)
{
	unsigned char a[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	uint32_t idx = 12345;

	ck_assert_int_eq(inet_pton(family, text, a), 1);
	if (!sx_dnsmap_in_range(m, family, a, &idx))
		return -1;
	return idx;
}

/* The name held by idx, or "" when none. */
static const char *name_of(struct sx_dnsmap *m, uint32_t idx)
{
	static char buf[256];

	if (!sx_dnsmap_name(m, idx, buf, sizeof(buf)))
		buf[0] = '\0';
	return buf;
}

static void name_n(char *buf, size_t len, const char *tag, unsigned i)
{
	snprintf(buf, len, "%s%u.example.com", tag, i);
}

/* ---- ranges and setup ------------------------------------------------- */

START_TEST(init_limits)
{
	struct sx_dnsmap m;
	struct sx_net v4 = net("127.192.0.0/10"), v6 = net("100::/64");
	struct sx_net small4 = net("198.18.0.0/24"), small6 = net("2001:db8::/120");

	/* Each range needs 1 + capacity addresses, and the last stays unused. */
	ck_assert_uint_eq(sx_dnsmap_max_capacity(&v4, &v6), (1u << 22) - 2);
	ck_assert_uint_eq(sx_dnsmap_max_capacity(&small4, &v6), 254);
	ck_assert_uint_eq(sx_dnsmap_max_capacity(&v4, &small6), 254);
	ck_assert_int_eq(sx_dnsmap_init(&m, &v4, &v6, (1u << 22) - 2), 0);
	sx_dnsmap_free(&m);
	ck_assert_int_eq(sx_dnsmap_init(&m, &v4, &v6, (1u << 22) - 1), -1);
	ck_assert_int_eq(sx_dnsmap_init(&m, &v4, &v6, 0), -1);
	ck_assert_int_eq(sx_dnsmap_init(&m, &small4, &v6, 255), -1);
	ck_assert_int_eq(sx_dnsmap_init(&m, &small4, &v6, 254), 0);
	sx_dnsmap_free(&m);
	/* Families swapped. */
	ck_assert_int_eq(sx_dnsmap_init(&m, &v6, &v4, 16), -1);
	/* Nothing is allocated before the first name. */
	ck_assert_int_eq(sx_dnsmap_init(&m, &v4, &v6, 65536), 0);
	ck_assert_ptr_null(m.e);
	ck_assert_ptr_null(m.buckets);
	ck_assert_uint_eq(m.count, 0);
	sx_dnsmap_free(&m);
	sx_dnsmap_free(&m);     /* twice is harmless */
}
END_TEST

/* ---- both ways -------------------------------------------------------- */

START_TEST(map_both_ways)
{
	struct sx_dnsmap m;
	char buf[INET6_ADDRSTRLEN];
	uint32_t a, b;

	init_default(&m, 65536);
	a = put(&m, "secret.sx.test");
	b = put(&m, "other.sx.test");
	ck_assert_uint_ne(a, b);
	/* The first index is the second address of each range. */
	ck_assert_uint_eq(a, 0);
	ck_assert_str_eq(addr4_text(&m, a, buf), "127.192.0.1");
	ck_assert_str_eq(addr6_text(&m, a, buf), "100::1");
	ck_assert_str_eq(addr4_text(&m, b, buf), "127.192.0.2");
	ck_assert_str_eq(addr6_text(&m, b, buf), "100::2");
	/* And back: address -> index -> name, in both families. */
	ck_assert_int_eq(range_of(&m, "127.192.0.1"), a);
	ck_assert_int_eq(range_of(&m, "100::1"), a);
	ck_assert_int_eq(range_of(&m, "127.192.0.2"), b);
	ck_assert_int_eq(range_of(&m, "100::2"), b);
	ck_assert_str_eq(name_of(&m, a), "secret.sx.test");
	ck_assert_str_eq(name_of(&m, b), "other.sx.test");
	/* The same name again: the same index, nothing added. */
	ck_assert_uint_eq(put(&m, "secret.sx.test"), a);
	ck_assert_uint_eq(m.count, 2);
	sx_dnsmap_free(&m);
}
END_TEST

START_TEST(map_case_and_dot)
{
	struct sx_dnsmap m;
	uint32_t a;

	init_default(&m, 64);
	a = put(&m, "Secret.SX.test.");
	ck_assert_uint_eq(put(&m, "secret.sx.test"), a);
	ck_assert_uint_eq(put(&m, "SECRET.SX.TEST"), a);
	ck_assert_uint_eq(put(&m, "secret.sx.test."), a);
	ck_assert_uint_eq(m.count, 1);
	/* Stored normalised: lower case, no trailing dot. */
	ck_assert_str_eq(name_of(&m, a), "secret.sx.test");
	/* Two dots is another name (only one is dropped). */
	ck_assert_uint_ne(put(&m, "secret.sx.test.."), a);
	sx_dnsmap_free(&m);
}
END_TEST

START_TEST(map_bad_names)
{
	struct sx_dnsmap m;
	char longname[300];
	uint32_t idx = 7;

	init_default(&m, 64);
	errno = 0;
	ck_assert_int_eq(sx_dnsmap_put(&m, "", &idx), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(sx_dnsmap_put(&m, ".", &idx), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* 255 bytes fit (SOCKS 5 carries at most 255), 256 do not... */
	memset(longname, 'a', sizeof(longname));
	longname[255] = '\0';
	ck_assert_int_eq(sx_dnsmap_put(&m, longname, &idx), 0);
	ck_assert_str_eq(name_of(&m, idx), longname);
	longname[255] = 'a';
	longname[256] = '\0';
	errno = 0;
	ck_assert_int_eq(sx_dnsmap_put(&m, longname, &idx), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* ...unless the 256th is the trailing dot. */
	longname[255] = '.';
	ck_assert_int_eq(sx_dnsmap_put(&m, longname, &idx), 0);
	longname[299] = '\0';
	memset(longname, 'b', 299);
	ck_assert_int_eq(sx_dnsmap_put(&m, longname, &idx), -1);
	ck_assert_uint_eq(m.count, 1);
	sx_dnsmap_free(&m);
}
END_TEST

START_TEST(map_in_range_edges)
{
	struct sx_dnsmap m;

	init_default(&m, 64);
	put(&m, "a.example");
	/* Outside the ranges. */
	ck_assert_int_eq(range_of(&m, "127.191.255.255"), -1);
	ck_assert_int_eq(range_of(&m, "127.0.0.1"), -1);
	ck_assert_int_eq(range_of(&m, "128.0.0.1"), -1);
	ck_assert_int_eq(range_of(&m, "10.192.0.1"), -1);
	ck_assert_int_eq(range_of(&m, "::1"), -1);
	ck_assert_int_eq(range_of(&m, "100:0:0:1::1"), -1);
	ck_assert_int_eq(range_of(&m, "2001:db8::1"), -1);
	/* The first address is in the range but never handed out. */
	ck_assert_int_eq(range_of(&m, "127.192.0.0"), UINT32_MAX);
	ck_assert_int_eq(range_of(&m, "100::"), UINT32_MAX);
	/* In the range, index never used: known as mapped, name unknown. */
	ck_assert_int_eq(range_of(&m, "127.255.255.255"), (1 << 22) - 2);
	ck_assert_int_eq(range_of(&m, "127.192.255.1"), 0xff00);
	ck_assert_str_eq(name_of(&m, 0xff00), "");
	ck_assert_str_eq(name_of(&m, UINT32_MAX), "");
	/* IPv6 beyond the 32 bits we index: in range, no index. */
	ck_assert_int_eq(range_of(&m, "100::1:0:0:1"), UINT32_MAX);
	ck_assert_int_eq(range_of(&m, "100::ffff:ffff"), 0xfffffffe);
	/* Other families are never mapped. */
	{
		uint32_t idx;
		unsigned char z[16] = { 0 };

		ck_assert(!sx_dnsmap_in_range(&m, AF_UNIX, z, &idx));
	}
	sx_dnsmap_free(&m);
}
END_TEST

START_TEST(map_other_ranges)
{
	struct sx_dnsmap m;
	struct sx_net v4 = net("198.18.0.0/15"), v6 = net("2001:db8:5::/96");
	char buf[INET6_ADDRSTRLEN];
	uint32_t i;

	ck_assert_int_eq(sx_dnsmap_init(&m, &v4, &v6, 1000), 0);
	for (i = 0; i < 300; i++) {
		char name[64];

		name_n(name, sizeof(name), "r", i);
		ck_assert_uint_eq(put(&m, name), i);
	}
	ck_assert_str_eq(addr4_text(&m, 255, buf), "198.18.1.0");
	ck_assert_str_eq(addr6_text(&m, 255, buf), "2001:db8:5::100");
	ck_assert_int_eq(range_of(&m, "198.18.1.0"), 255);
	ck_assert_int_eq(range_of(&m, "2001:db8:5::100"), 255);
	ck_assert_str_eq(name_of(&m, 255), "r255.example.com");
	ck_assert_int_eq(range_of(&m, "127.192.0.1"), -1);
	ck_assert_int_eq(range_of(&m, "100::1"), -1);
	sx_dnsmap_free(&m);
}
END_TEST

/* Every index handed out gives its own name back, in both families. */
START_TEST(map_many_round_trip)
{
	struct sx_dnsmap m;
	char name[64], text[INET6_ADDRSTRLEN];
	uint32_t i, n = 100000;

	init_default(&m, 1u << 20);
	for (i = 0; i < n; i++) {
		name_n(name, sizeof(name), "h", i);
		ck_assert_uint_eq(put(&m, name), i);
	}
	for (i = 0; i < n; i += 997) {
		name_n(name, sizeof(name), "h", i);
		ck_assert_int_eq(range_of(&m, addr4_text(&m, i, text)), i);
		ck_assert_int_eq(range_of(&m, addr6_text(&m, i, text)), i);
		ck_assert_str_eq(name_of(&m, i), name);
		ck_assert_uint_eq(put(&m, name), i);
	}
	ck_assert_uint_eq(m.count, n);
	ck_assert_uint_eq(m.recycled, 0);
	sx_dnsmap_free(&m);
}
END_TEST

/* ---- recycling and capacity ------------------------------------------- */

START_TEST(recycle_lru)
{
	struct sx_dnsmap m;
	char name[64];
	uint32_t idx[16], i, n0, n1, n17;

	init_default(&m, 16);
	for (i = 0; i < 16; i++) {
		name_n(name, sizeof(name), "n", i);
		idx[i] = put(&m, name);
	}
	ck_assert_uint_eq(m.count, 16);
	/* Use n0 (by address) and n1 (by name): n2 is now the oldest. */
	ck_assert_str_eq(name_of(&m, idx[0]), "n0.example.com");
	ck_assert_uint_eq(put(&m, "n1.example.com"), idx[1]);
	n17 = put(&m, "n17.example.com");
	ck_assert_uint_eq(n17, idx[2]);
	ck_assert_uint_eq(m.recycled, 1);
	ck_assert_uint_eq(m.count, 16);
	/* n2's address now stands for n17: the old name is gone. */
	ck_assert_str_eq(name_of(&m, idx[2]), "n17.example.com");
	n0 = put(&m, "n0.example.com");
	n1 = put(&m, "n1.example.com");
	ck_assert_uint_eq(n0, idx[0]);
	ck_assert_uint_eq(n1, idx[1]);
	ck_assert_uint_eq(m.recycled, 1);
	/* n2 comes back under the next oldest's index (n3). */
	ck_assert_uint_eq(put(&m, "n2.example.com"), idx[3]);
	ck_assert_str_eq(name_of(&m, idx[3]), "n2.example.com");
	ck_assert_uint_eq(m.recycled, 2);
	sx_dnsmap_free(&m);
}
END_TEST

START_TEST(recycle_capacity_bound)
{
	struct sx_dnsmap m;
	char name[64];
	uint32_t cap = 1000, i, j;

	init_default(&m, cap);
	for (i = 0; i < 10 * cap; i++) {
		name_n(name, sizeof(name), "c", i);
		put(&m, name);
		ck_assert_uint_le(m.count, cap);
		ck_assert_uint_le(m.nalloc, cap);
	}
	ck_assert_uint_eq(m.count, cap);
	ck_assert_uint_eq(m.recycled, 9 * cap);
	/* The last cap names are all there, each on its own index... */
	{
		unsigned char *seen = calloc(cap, 1);

		ck_assert_ptr_nonnull(seen);
		for (j = 9 * cap; j < 10 * cap; j++) {
			uint32_t idx;

			name_n(name, sizeof(name), "c", j);
			idx = put(&m, name);
			ck_assert(!seen[idx]);
			seen[idx] = 1;
			ck_assert_str_eq(name_of(&m, idx), name);
		}
		free(seen);
	}
	/* ...and nothing was recycled by looking them up. */
	ck_assert_uint_eq(m.recycled, 9 * cap);
	sx_dnsmap_free(&m);
}
END_TEST

/* A clamped table (the /24 range allows 254): the 255th name recycles. */
START_TEST(recycle_small_range)
{
	struct sx_dnsmap m;
	struct sx_net v4 = net("198.18.7.0/24"), v6 = net("100::/64");
	char name[64], text[INET6_ADDRSTRLEN];
	uint32_t i, idx;

	ck_assert_int_eq(sx_dnsmap_init(&m, &v4, &v6,
					 sx_dnsmap_max_capacity(&v4, &v6)), 0);
	for (i = 0; i < 254; i++) {
		name_n(name, sizeof(name), "s", i);
		idx = put(&m, name);
		addr4_text(&m, idx, text);
		ck_assert_str_ne(text, "198.18.7.0");
		ck_assert_str_ne(text, "198.18.7.255");
	}
	ck_assert_str_eq(addr4_text(&m, 253, text), "198.18.7.254");
	idx = put(&m, "s254.example.com");
	ck_assert_uint_eq(idx, 0);
	ck_assert_uint_eq(m.recycled, 1);
	sx_dnsmap_free(&m);
}
END_TEST

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

static Suite *dnsmap_suite(void)
{
	Suite *s = suite_create("dnsmap");
	TCase *tc;

	tc = tcase_create("map");
	tcase_add_test(tc, init_limits);
	tcase_add_test(tc, map_both_ways);
	tcase_add_test(tc, map_case_and_dot);
	tcase_add_test(tc, map_bad_names);
	tcase_add_test(tc, map_in_range_edges);
	tcase_add_test(tc, map_other_ranges);
	tcase_add_test(tc, map_many_round_trip);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("recycle");
	tcase_add_test(tc, recycle_lru);
	tcase_add_test(tc, recycle_capacity_bound);
	tcase_add_test(tc, recycle_small_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_test(tc, threads_consistent);
	tcase_add_test(tc, fork_child_consistent);
	tcase_add_test(tc, fork_while_threads_busy);
	tcase_add_test(tc, fork_parent_exits_first);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dnsmap_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
