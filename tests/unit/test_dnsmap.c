/*
 * test_dnsmap.c - unit tests for the remote-DNS table (dnsmap.h): names to
 * mapped addresses and back, LRU recycling, capacity (threads and fork:
 * test_dnsmap_fork.c).
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
