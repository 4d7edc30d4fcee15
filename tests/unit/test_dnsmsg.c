/*
 * test_dnsmsg.c - unit tests for the engines' DNS answers (dnsmsg.h): A and
 * AAAA get the mapped address, other types NODATA, names that are not ours
 * REFUSED, failures SERVFAIL; malformed queries get no answer.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "socksify/dnsmsg.h"

static int calls;
static char last_name[256];

/* secret.sx.test is ours; fail.sx.test fails; anything else is not ours */
static int map(const char *name, int family, void *addr)
{
	calls++;
	snprintf(last_name, sizeof(last_name), "%s", name);
	if (strcmp(name, "fail.sx.test") == 0)
		return -1;
	if (strcmp(name, "secret.sx.test") != 0)
		return 1;
	if (family == AF_INET)
		memcpy(addr, "\x7f\xc0\x00\x01", 4);
	else
		memcpy(addr, "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	return 0;
}

/* A query with id 0x1234, RD, for name (dotted), type, class IN. */
static size_t query(uint8_t *q, const char *name, unsigned type)
{
	size_t n = 12;
	const char *p = name;

	memset(q, 0, 12);
	q[0] = 0x12, q[1] = 0x34, q[2] = 0x01, q[5] = 1;
	while (*p) {
		size_t l = strcspn(p, ".");

		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (p[l] == '.');
	}
	q[n++] = 0;
	sx_dns_put16(q + n, type);
	sx_dns_put16(q + n + 2, 1);
	return n + 4;
}

START_TEST(a_record)
{
	uint8_t q[300], a[600];
	size_t ql = query(q, "secret.sx.test", 1);
	ssize_t n = sx_dns_answer(q, ql, a, sizeof(a), map);

	ck_assert_int_eq(n, (ssize_t)ql + 16);
	ck_assert_str_eq(last_name, "secret.sx.test");
	ck_assert_int_eq(sx_dns_get16(a), 0x1234);
	ck_assert_int_eq(a[2], 0x81);                   /* QR, RD */
	ck_assert_int_eq(a[3] & 0x0f, 0);               /* NOERROR */
	ck_assert_int_eq(sx_dns_get16(a + 6), 1);       /* one answer */
	ck_assert_mem_eq(a + 12, q + 12, ql - 12);      /* the question */
	ck_assert_int_eq(sx_dns_get16(a + ql), 0xc00c);
	ck_assert_int_eq(sx_dns_get16(a + ql + 2), 1);
	ck_assert_int_eq(sx_dns_get16(a + ql + 10), 4);
	ck_assert_mem_eq(a + ql + 12, "\x7f\xc0\x00\x01", 4);
}
END_TEST

START_TEST(aaaa_record)
{
	uint8_t q[300], a[600];
	size_t ql = query(q, "secret.sx.test", 28);
	ssize_t n = sx_dns_answer(q, ql, a, sizeof(a), map);

	ck_assert_int_eq(n, (ssize_t)ql + 28);
	ck_assert_int_eq(sx_dns_get16(a + ql + 2), 28);
	ck_assert_int_eq(sx_dns_get16(a + ql + 10), 16);
	ck_assert_int_eq(a[ql + 12], 1);
	ck_assert_int_eq(a[ql + 27], 1);
}
END_TEST

START_TEST(other_type_nodata)
{
	uint8_t q[300], a[600];
	size_t ql = query(q, "secret.sx.test", 15);     /* MX */

	calls = 0;
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), (ssize_t)ql);
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(a[3] & 0x0f, 0);
	ck_assert_int_eq(sx_dns_get16(a + 6), 0);
}
END_TEST

START_TEST(not_ours_refused_fail_servfail)
{
	uint8_t q[300], a[600];
	size_t ql = query(q, "localhost", 1);

	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), (ssize_t)ql);
	ck_assert_int_eq(a[3] & 0x0f, 5);
	ck_assert_int_eq(sx_dns_get16(a + 6), 0);
	ql = query(q, "fail.sx.test", 28);
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), (ssize_t)ql);
	ck_assert_int_eq(a[3] & 0x0f, 2);
}
END_TEST

START_TEST(malformed_no_answer)
{
	uint8_t q[300], a[600];
	size_t ql = query(q, "secret.sx.test", 1);

	ck_assert_int_eq(sx_dns_answer(q, 11, a, sizeof(a), map), -1);
	ck_assert_int_eq(sx_dns_answer(q, ql - 1, a, sizeof(a), map), -1);
	ck_assert_int_eq(sx_dns_answer(q, ql, a, ql + 15, map), -1);   /* no room */
	q[2] |= 0x80;                                   /* a reply */
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), -1);
	q[2] = 0x01;
	q[5] = 2;                                       /* two questions */
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), -1);
	q[5] = 1;
	q[12] = 0xc0;                                   /* compression */
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), -1);
	q[12] = 64;                                     /* label too long */
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), -1);
	q[12] = 6;
	q[13] = '\0';                                  /* a NUL in a label */
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), -1);
	q[13] = '.';                                    /* a dot in a label */
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), -1);
	q[12] = 0;                                      /* the root: no name */
	ck_assert_int_eq(sx_dns_answer(q, 17, a, sizeof(a), map), -1);
}
END_TEST

START_TEST(name_length_limit)
{
	uint8_t q[600], a[700];
	char name[300];
	size_t ql;

	/* 63.63.63.61: 253 characters, the most a name has */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	ql = query(q, name, 1);
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), (ssize_t)ql);
	ck_assert_int_eq(a[3] & 0x0f, 5);       /* not ours: REFUSED */
	name[253] = 'a';                        /* 254 characters */
	name[254] = '\0';
	ql = query(q, name, 1);
	ck_assert_int_eq(sx_dns_answer(q, ql, a, sizeof(a), map), -1);
}
END_TEST

START_TEST(random_input_bounded)
{
	uint8_t q[600], a[64];

	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)rand() % sizeof(q);

		for (size_t j = 0; j < n; j++)
			q[j] = (uint8_t)rand();
		if (n > 5)
			q[4] = 0, q[5] = 1, q[2] &= 0x07;
		ck_assert(sx_dns_answer(q, n, a, sizeof(a), map) <= (ssize_t)sizeof(a));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dnsmsg");
	TCase *tc = tcase_create("answers");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, a_record);
	tcase_add_test(tc, aaaa_record);
	tcase_add_test(tc, other_type_nodata);
	tcase_add_test(tc, not_ours_refused_fail_servfail);
	tcase_add_test(tc, malformed_no_answer);
	tcase_add_test(tc, name_length_limit);
	tcase_add_test(tc, random_input_bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
