/*
 * test_pipeauto.c - unit tests for include/socksify/pipeauto.h
 * (src/conf/pipecache.c): the cache file's parsing and formatting, and the
 * decisions of pipelining auto.
 */
#include "socksify/pipeauto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR "socksify-pipelining 1\n"
#define MAXE SX_PIPE_MAX_ENTRIES

static int parse(const char *text, struct sx_pipe_entry *e)
{
	return sx_pipecache_parse(text, strlen(text), e, MAXE);
}

static struct sx_pipe_entry entry(const char *addr, unsigned port,
				  unsigned method, enum sx_pipe_state s,
				  long long when)
{
	struct sx_pipe_entry x;

	memset(&x, 0, sizeof x);
	snprintf(x.addr, sizeof x.addr, "%s", addr);
	x.port = (uint16_t)port;
	x.method = (uint8_t)method;
	x.state = s;
	x.when = when;
	return x;
}

START_TEST(parse_good)
{
	struct sx_pipe_entry e[MAXE];
	int n = parse(HDR "127.0.0.1 1080 0 yes 1700000000\n"
		      "::1 1081 2 no 1700000001\n"
		      "10.0.0.1 9050 0 unknown 5\n", e);

	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(e[0].addr, "127.0.0.1");
	ck_assert_uint_eq(e[0].port, 1080);
	ck_assert_uint_eq(e[0].method, 0);
	ck_assert_int_eq(e[0].state, SX_PIPE_YES);
	ck_assert_int_eq(e[0].when, 1700000000);
	ck_assert_str_eq(e[1].addr, "::1");
	ck_assert_uint_eq(e[1].method, 2);
	ck_assert_int_eq(e[1].state, SX_PIPE_NO);
	ck_assert_int_eq(e[2].state, SX_PIPE_UNKNOWN);
	ck_assert_int_eq(parse(HDR, e), 0);
}
END_TEST

static const char *const corrupt[] = {
	"",
	"socksify-pipelining 2\n",
	"socksify-pipelining 1",                        /* no newline */
	HDR "127.0.0.1 1080 0 yes 1700000000",          /* cut off */
	HDR "127.0.0.1 1080 0 maybe 1\n",               /* state */
	HDR "127.0.0.1 1080 1 yes 1\n",                 /* method */
	HDR "127.0.0.1 0 0 yes 1\n",                    /* port */
	HDR "127.0.0.1 65536 0 yes 1\n",
	HDR "127.0.0.1 1080 0 yes -1\n",                /* time */
	HDR "127.0.0.1 1080 0 yes 1 extra\n",
	HDR "127.0.0.1 1080 0 yes\n",
	HDR "host.example 1080 0 yes 1\n",              /* not numeric */
	HDR "\n",
	HDR "127.0.0.1 1080 0 yes 1\n\001\n",
};

START_TEST(parse_corrupt)
{
	struct sx_pipe_entry e[MAXE];

	ck_assert_msg(parse(corrupt[_i], e) == -1, "case %d parsed", _i);
}
END_TEST

/* Lines written by hand, not in sx_pipecache_format's form, read as
 * before (sscanf's rules); the plain form the same way. */
START_TEST(parse_other_forms)
{
	struct sx_pipe_entry e[MAXE];
	int n = parse(HDR "  127.0.0.1\t1080  0 yes +5\n"
		      "::1 01081 2 no 0000000000000000000000012\n"
		      "10.0.0.1 9050 0 unknown 7 \n"
		      "10.0.0.2 99999 0 yes 1\n", e);

	ck_assert_int_eq(n, -1);        /* the last line: port */
	n = parse(HDR "  127.0.0.1\t1080  0 yes +5\n"
		  "::1 01081 2 no 0000000000000000000000012\n"
		  "10.0.0.1 9050 0 unknown 7 \n", e);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(e[0].addr, "127.0.0.1");
	ck_assert_uint_eq(e[0].port, 1080);
	ck_assert_int_eq(e[0].when, 5);
	ck_assert_uint_eq(e[1].port, 1081);
	ck_assert_int_eq(e[1].when, 12);
	ck_assert_int_eq(e[1].state, SX_PIPE_NO);
	ck_assert_int_eq(e[2].when, 7);
	ck_assert_int_eq(e[2].state, SX_PIPE_UNKNOWN);
	ck_assert_int_eq(parse(HDR "127.0.0.1 1080 0 yes 999999999999999999\n",
			       e), 1);
	ck_assert_int_eq(e[0].when, 999999999999999999LL);
}
END_TEST

START_TEST(parse_nul_and_size)
{
	struct sx_pipe_entry e[MAXE];
	static char big[SX_PIPE_CACHE_MAX + 100];
	const char nul[] = HDR "127.0.0.1 1080 0 yes 1\n\0";
	size_t len = strlen(HDR);

	ck_assert_int_eq(sx_pipecache_parse(nul, sizeof nul - 1, e, MAXE), -1);
	memcpy(big, HDR, len);
	while (len + 30 < sizeof big)
		len += (size_t)sprintf(big + len, "127.0.0.1 1080 0 yes 1\n");
	ck_assert_int_eq(sx_pipecache_parse(big, len, e, MAXE), -1);
}
END_TEST

START_TEST(format_round_trip)
{
	struct sx_pipe_entry e[3], back[MAXE];
	char buf[512];
	size_t len;

	e[0] = entry("192.0.2.1", 1080, 0, SX_PIPE_YES, 1700000000);
	e[1] = entry("2001:db8::1", 443, 2, SX_PIPE_NO, 42);
	e[2] = entry("127.0.0.1", 9050, 0, SX_PIPE_UNKNOWN, 7);
	len = sx_pipecache_format(buf, sizeof buf, e, 3);
	ck_assert_str_eq(buf, HDR "192.0.2.1 1080 0 yes 1700000000\n"
			 "2001:db8::1 443 2 no 42\n127.0.0.1 9050 0 unknown 7\n");
	ck_assert_uint_eq(len, strlen(buf));
	ck_assert_int_eq(sx_pipecache_parse(buf, len, back, MAXE), 3);
	ck_assert_mem_eq(&back[1], &e[1], sizeof e[1]);
	/* too small a buffer: 0, never a cut-off file */
	ck_assert_uint_eq(sx_pipecache_format(buf, 40, e, 3), 0);
	ck_assert_uint_eq(sx_pipecache_format(buf, 10, e, 0), 0);
}
END_TEST

START_TEST(put_and_find)
{
	struct sx_pipe_entry e[2], x, big[MAXE];
	int n = 0;

	x = entry("127.0.0.1", 1080, 0, SX_PIPE_YES, 100);
	n = sx_pipecache_put(e, n, 2, &x);
	/* the same address and port with another method is another key */
	x = entry("127.0.0.1", 1080, 2, SX_PIPE_NO, 50);
	n = sx_pipecache_put(e, n, 2, &x);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(sx_pipecache_find(e, n, "127.0.0.1", 1080, 0), 0);
	ck_assert_int_eq(sx_pipecache_find(e, n, "127.0.0.1", 1080, 2), 1);
	ck_assert_int_eq(sx_pipecache_find(e, n, "127.0.0.1", 1081, 0), -1);
	/* replaced in place */
	x = entry("127.0.0.1", 1080, 0, SX_PIPE_NO, 200);
	n = sx_pipecache_put(e, n, 2, &x);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(e[0].state, SX_PIPE_NO);
	/* full: the oldest (when 50) goes */
	x = entry("10.0.0.1", 1080, 0, SX_PIPE_YES, 300);
	n = sx_pipecache_put(e, n, 2, &x);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(sx_pipecache_find(e, n, "127.0.0.1", 1080, 2), -1);
	ck_assert_int_eq(sx_pipecache_find(e, n, "10.0.0.1", 1080, 0), 1);
	/* a duplicate key in a file: the last line wins */
	ck_assert_int_eq(parse(HDR "::1 1 0 yes 1\n::1 1 0 no 2\n", big), 1);
	ck_assert_int_eq(big[0].state, SX_PIPE_NO);
}
END_TEST

START_TEST(known_expiry)
{
	const int64_t now = 1700000000;
	struct sx_pipe_entry x = entry("::1", 1, 0, SX_PIPE_YES, now - 10);
	bool probed;

	ck_assert_int_eq(sx_pipe_known(&x, now, &probed), SX_PIPE_YES);
	ck_assert(probed);
	x.when = now - SX_PIPE_TTL_YES;
	ck_assert_int_eq(sx_pipe_known(&x, now, &probed), SX_PIPE_UNKNOWN);
	ck_assert(!probed);
	x.state = SX_PIPE_NO;
	x.when = now - SX_PIPE_TTL_NO + 1;
	ck_assert_int_eq(sx_pipe_known(&x, now, &probed), SX_PIPE_NO);
	x.when = now - SX_PIPE_TTL_NO;
	ck_assert_int_eq(sx_pipe_known(&x, now, &probed), SX_PIPE_UNKNOWN);
	/* unknown (probed, no answer): no new probe for a while */
	x.state = SX_PIPE_UNKNOWN;
	x.when = now - 1;
	ck_assert_int_eq(sx_pipe_known(&x, now, &probed), SX_PIPE_UNKNOWN);
	ck_assert(probed);
	x.when = now - SX_PIPE_TTL_UNKNOWN;
	sx_pipe_known(&x, now, &probed);
	ck_assert(!probed);
	/* learned in the future: not trusted */
	x.state = SX_PIPE_YES;
	x.when = now + 3600;
	ck_assert_int_eq(sx_pipe_known(&x, now, &probed), SX_PIPE_UNKNOWN);
	ck_assert(!probed);
}
END_TEST

START_TEST(decide)
{
	/* on and off keep their meaning whatever is known */
	ck_assert_int_eq(sx_pipe_decide(SX_PIPE_ON, false, SX_PIPE_NO, true),
			 SX_PIPE_USE_ON);
	ck_assert_int_eq(sx_pipe_decide(SX_PIPE_OFF, true, SX_PIPE_YES, true),
			 SX_PIPE_USE_OFF);
	/* auto */
	ck_assert_int_eq(sx_pipe_decide(SX_PIPE_AUTO, true, SX_PIPE_YES, true),
			 SX_PIPE_USE_ON);
	ck_assert_int_eq(sx_pipe_decide(SX_PIPE_AUTO, true, SX_PIPE_NO, true),
			 SX_PIPE_USE_OFF);
	ck_assert_int_eq(sx_pipe_decide(SX_PIPE_AUTO, true, SX_PIPE_UNKNOWN,
					false), SX_PIPE_USE_PROBE);
	ck_assert_int_eq(sx_pipe_decide(SX_PIPE_AUTO, true, SX_PIPE_UNKNOWN,
					true), SX_PIPE_USE_OFF);
	/* not eligible (SOCKS 4, GSS-API, a later hop): never pipelined */
	ck_assert_int_eq(sx_pipe_decide(SX_PIPE_AUTO, false, SX_PIPE_YES, true),
			 SX_PIPE_USE_OFF);
	ck_assert_int_eq(sx_pipe_decide(SX_PIPE_AUTO, false, SX_PIPE_UNKNOWN,
					false), SX_PIPE_USE_OFF);
}
END_TEST

START_TEST(judge)
{
	ck_assert_int_eq(sx_pipe_judge(2, 2, false), SX_PIPE_YES);
	ck_assert_int_eq(sx_pipe_judge(3, 3, false), SX_PIPE_YES);
	/* the method reply, then silence (microsocks) */
	ck_assert_int_eq(sx_pipe_judge(2, 1, false), SX_PIPE_NO);
	ck_assert_int_eq(sx_pipe_judge(3, 1, false), SX_PIPE_NO);
	ck_assert_int_eq(sx_pipe_judge(3, 2, false), SX_PIPE_NO);
	/* refused: another method, a closed greeting, a rejected password */
	ck_assert_int_eq(sx_pipe_judge(2, 0, true), SX_PIPE_NO);
	ck_assert_int_eq(sx_pipe_judge(3, 2, true), SX_PIPE_NO);
	/* nothing at all in time: unknown */
	ck_assert_int_eq(sx_pipe_judge(2, 0, false), SX_PIPE_UNKNOWN);
	ck_assert_int_eq(sx_pipe_judge(0, 0, false), SX_PIPE_UNKNOWN);
}
END_TEST

static Suite *pipeauto_suite(void)
{
	Suite *s = suite_create("pipeauto");
	TCase *tc = tcase_create("cache_file");

	tcase_add_test(tc, parse_good);
	tcase_add_loop_test(tc, parse_corrupt, 0,
			    (int)(sizeof corrupt / sizeof corrupt[0]));
	tcase_add_test(tc, parse_other_forms);
	tcase_add_test(tc, parse_nul_and_size);
	tcase_add_test(tc, format_round_trip);
	tcase_add_test(tc, put_and_find);
	suite_add_tcase(s, tc);

	tc = tcase_create("decisions");
	tcase_add_test(tc, known_expiry);
	tcase_add_test(tc, decide);
	tcase_add_test(tc, judge);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pipeauto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
