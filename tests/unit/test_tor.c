/*
 * test_tor.c - unit tests for the Tor features (issue 20): Tor's extended
 * SOCKS 5 reply codes (src/proto/socks5.c), the isolation credentials
 * (src/proto/isolate.c) and the keywords isolate and proxy_only_domain
 * (src/conf/tor.c).
 */
#include "socksify/conf.h"
#include "socksify/proto.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reply codes 0xF0-0xF7 ------------------------------------------- */

static const struct {
	uint8_t rep;
	const char *words;      /* must appear in the text */
	int err;
} tor_codes[] = {
	{ 0xf0, "onion service descriptor can not be found", EHOSTUNREACH },
	{ 0xf1, "onion service descriptor is invalid", EHOSTUNREACH },
	{ 0xf2, "onion service introduction failed", ECONNREFUSED },
	{ 0xf3, "onion service rendezvous failed", ECONNABORTED },
	{ 0xf4, "needs client authorization", EACCES },
	{ 0xf5, "client authorization is wrong", EACCES },
	{ 0xf6, "invalid onion address", EINVAL },
	{ 0xf7, "onion service introduction timed out", ETIMEDOUT },
};

START_TEST(tor_reply_text_errno)
{
	const char *t = sx_s5_rep_str(tor_codes[_i].rep);

	ck_assert_msg(strstr(t, tor_codes[_i].words) != NULL,
		      "0x%02x: '%s' lacks '%s'", tor_codes[_i].rep, t,
		      tor_codes[_i].words);
	ck_assert_msg(strncmp(t, "Tor: ", 5) == 0, "0x%02x: '%s' does not "
		      "name Tor", tor_codes[_i].rep, t);
	ck_assert_int_eq(sx_s5_rep_errno(tor_codes[_i].rep), tor_codes[_i].err);
	ck_assert(sx_s5_rep_is_tor(tor_codes[_i].rep));
}
END_TEST

START_TEST(tor_reply_neighbours_unknown)
{
	const uint8_t others[] = { 0x00, 0x08, 0x09, 0xef, 0xf8, 0xff };

	for (size_t i = 0; i < sizeof others; i++) {
		ck_assert(!sx_s5_rep_is_tor(others[i]));
		ck_assert_ptr_null(strstr(sx_s5_rep_str(others[i]), "Tor"));
	}
	ck_assert_int_eq(sx_s5_rep_errno(0xef), EPROTO);
	ck_assert_int_eq(sx_s5_rep_errno(0xf8), EPROTO);
	ck_assert_str_eq(sx_s5_rep_str(0xf8), "unknown reply code");
}
END_TEST

/* Each code has a text of its own. */
START_TEST(tor_reply_texts_distinct)
{
	for (size_t i = 0; i < NELEM(tor_codes); i++)
		for (size_t j = i + 1; j < NELEM(tor_codes); j++)
			ck_assert_str_ne(sx_s5_rep_str(tor_codes[i].rep),
					 sx_s5_rep_str(tor_codes[j].rep));
}
END_TEST

/* A Tor reply parses like any other: REP kept as sent. */
START_TEST(tor_reply_parsed)
{
	const uint8_t r[] = { 5, 0xf6, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct sx_s5_reply out;
	size_t need = 0;

	ck_assert_int_eq(sx_s5_reply_parse(r, sizeof r, &out, &need), 10);
	ck_assert_uint_eq(out.rep, 0xf6);
}
END_TEST

/* ---- isolation credentials --------------------------------------------- */

START_TEST(creds_format)
{
	const uint8_t rnd[16] = { 0x00, 0x01, 0xab, 0xff, 0x10, 0x20, 0x30, 0x40,
				  0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0 };
	char user[64], pass[24];

	ck_assert_int_eq(sx_isolate_creds(rnd, sizeof rnd, 4242, user,
					  sizeof user, pass, sizeof pass), 35);
	ck_assert_str_eq(user, "sx-0001abff102030405060708090a0b0c0");
	ck_assert_str_eq(pass, "4242");
	/* fits RFC 1929's 1..255 bytes; never Tor's "<torS0X>" prefix */
	ck_assert_int_eq(sx_userpass_encode((uint8_t[600]){ 0 }, 600, user,
					    strlen(user), pass, strlen(pass)),
			 3 + 35 + 4);
}
END_TEST

/* Same random bytes, two PIDs (two processes alive at once): two pairs.
 * Same PID, other bytes (a PID reused later): two pairs. */
START_TEST(creds_unique)
{
	uint8_t a[16] = { 1 }, b[16] = { 2 };
	char u1[64], p1[24], u2[64], p2[24];

	sx_isolate_creds(a, 16, 100, u1, sizeof u1, p1, sizeof p1);
	sx_isolate_creds(a, 16, 101, u2, sizeof u2, p2, sizeof p2);
	ck_assert(strcmp(u1, u2) != 0 || strcmp(p1, p2) != 0);
	sx_isolate_creds(b, 16, 100, u2, sizeof u2, p2, sizeof p2);
	ck_assert(strcmp(u1, u2) != 0 || strcmp(p1, p2) != 0);
	/* the largest PID type fits */
	ck_assert_int_gt(sx_isolate_creds(a, 16, UINT64_MAX, u1, sizeof u1, p1,
					  sizeof p1), 0);
	ck_assert_str_eq(p1, "18446744073709551615");
}
END_TEST

START_TEST(creds_bad_args)
{
	uint8_t rnd[SX_ISOLATE_RANDOM_MAX + 1] = { 0 };
	char user[200], pass[24];

	ck_assert_int_eq(sx_isolate_creds(NULL, 16, 1, user, sizeof user, pass,
					  sizeof pass), -SX_PERR_ARG);
	ck_assert_int_eq(sx_isolate_creds(rnd, SX_ISOLATE_RANDOM_MIN - 1, 1,
					  user, sizeof user, pass, sizeof pass),
			 -SX_PERR_ARG);
	ck_assert_int_eq(sx_isolate_creds(rnd, SX_ISOLATE_RANDOM_MAX + 1, 1,
					  user, sizeof user, pass, sizeof pass),
			 -SX_PERR_ARG);
	/* "sx-" + 32 hex + NUL = 36 bytes */
	ck_assert_int_eq(sx_isolate_creds(rnd, 16, 1, user, 35, pass,
					  sizeof pass), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_isolate_creds(rnd, 16, 1, user, 36, pass,
					  sizeof pass), 35);
	ck_assert_int_eq(sx_isolate_creds(rnd, 16, 123456, user, 36, pass, 6),
			 -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_isolate_creds(rnd, 16, 123456, user, 36, pass, 7),
			 35);
}
END_TEST

/* ---- keywords ------------------------------------------------------------ */

static void parse_ok(struct sx_conf *c, const char *text)
{
	int rc = sx_conf_parse_text(c, "t.conf", text, strlen(text));

	ck_assert_msg(rc == 0, "'%s' should parse: %s", text, c->error);
}

static void parse_bad(const char *text, const char *words)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_parse_text(&c, "t.conf", text, strlen(text)), -1);
	ck_assert_msg(strstr(c.error, words) != NULL, "'%s': message '%s' "
		      "lacks '%s'", text, c.error, words);
}

START_TEST(isolate_keyword)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert_int_eq(c.isolate, SX_ISOLATE_NONE);
	ck_assert_str_eq(sx_conf_origin(&c, "isolate"), "");
	parse_ok(&c, "isolate process\n");
	ck_assert_int_eq(c.isolate, SX_ISOLATE_PROCESS);
	ck_assert_str_eq(sx_conf_origin(&c, "isolate"), "t.conf:1");
	parse_ok(&c, "# comment\nisolate NONE\n");
	ck_assert_int_eq(c.isolate, SX_ISOLATE_NONE);
	parse_bad("isolate pid\n", "t.conf:1: bad isolate 'pid' (use none or process)");
	parse_bad("isolate\n", "missing value for 'isolate'");
}
END_TEST

static const char *env_iso(const char *name)
{
	return strcmp(name, "SOCKSIFY_ISOLATE") == 0 ? "process" : NULL;
}

static const char *env_iso_bad(const char *name)
{
	return strcmp(name, "SOCKSIFY_ISOLATE") == 0 ? "thread" : NULL;
}

START_TEST(isolate_variable)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_apply_env(&c, env_iso), 0);
	ck_assert_int_eq(c.isolate, SX_ISOLATE_PROCESS);
	ck_assert_str_eq(sx_conf_origin(&c, "isolate"), "SOCKSIFY_ISOLATE");
	ck_assert_ptr_nonnull(strstr(c.env_vars, "SOCKSIFY_ISOLATE"));
	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_apply_env(&c, env_iso_bad), -1);
	ck_assert_ptr_nonnull(strstr(c.error, "SOCKSIFY_ISOLATE: bad isolate 'thread'"));
}
END_TEST

START_TEST(proxy_only_default_onion)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert(sx_conf_name_is_proxy_only(&c, "onion"));
	ck_assert(sx_conf_name_is_proxy_only(&c, "abc.onion"));
	ck_assert(sx_conf_name_is_proxy_only(&c, "www.ABC.Onion."));
	ck_assert(!sx_conf_name_is_proxy_only(&c, "onion.example"));
	ck_assert(!sx_conf_name_is_proxy_only(&c, "xonion"));
	ck_assert(!sx_conf_name_is_proxy_only(&c, "a.xonion"));
	ck_assert(!sx_conf_name_is_proxy_only(&c, ""));
	ck_assert(!sx_conf_name_is_proxy_only(&c, NULL));
	ck_assert(!sx_conf_name_is_proxy_only(&c, "i2p.example.i2p.net"));
}
END_TEST

START_TEST(proxy_only_keyword)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	parse_ok(&c, "proxy_only_domain i2p, .Exit\nproxy_only_domain *.corp.test onion\n");
	ck_assert_uint_eq(c.nproxy_only, 4);
	ck_assert_str_eq(c.proxy_only_domains[1], "i2p");
	ck_assert_str_eq(c.proxy_only_domains[2], "exit");
	ck_assert_str_eq(c.proxy_only_domains[3], "corp.test");
	ck_assert_str_eq(sx_conf_origin(&c, "proxy_only_domain"), "t.conf:2");
	ck_assert(sx_conf_name_is_proxy_only(&c, "site.i2p"));
	ck_assert(sx_conf_name_is_proxy_only(&c, "a.b.exit"));
	ck_assert(sx_conf_name_is_proxy_only(&c, "x.corp.test"));
	ck_assert(sx_conf_name_is_proxy_only(&c, "abc.onion"));
	ck_assert(!sx_conf_name_is_proxy_only(&c, "corp.test.example"));
}
END_TEST

START_TEST(proxy_only_bad)
{
	struct sx_conf c;
	char text[64 * 20] = "";

	parse_bad("proxy_only_domain 10.0.0.0/8\n", "bad proxy_only_domain '10.0.0.0/8'");
	parse_bad("proxy_only_domain a..b\n", "bad proxy_only_domain 'a..b'");
	parse_bad("proxy_only_domain localhost\n", "bad proxy_only_domain");
	/* a bad item changes nothing: all or none of a line */
	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_parse_text(&c, "t.conf", "proxy_only_domain "
					    "i2p, 1.2.3.4\n", 34), -1);
	ck_assert_uint_eq(c.nproxy_only, 1);
	ck_assert(!sx_conf_name_is_proxy_only(&c, "site.i2p"));
	/* 15 more fit next to onion; the 16th does not */
	for (int i = 0; i < 16; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text),
			 "proxy_only_domain d%d.test\n", i);
	parse_bad(text, "too many proxy_only_domain entries (max 16");
}
END_TEST

static Suite *tor_suite(void)
{
	Suite *s = suite_create("tor");
	TCase *tc = tcase_create("reply_codes");

	tcase_add_loop_test(tc, tor_reply_text_errno, 0, NELEM(tor_codes));
	tcase_add_test(tc, tor_reply_neighbours_unknown);
	tcase_add_test(tc, tor_reply_texts_distinct);
	tcase_add_test(tc, tor_reply_parsed);
	suite_add_tcase(s, tc);

	tc = tcase_create("isolate_creds");
	tcase_add_test(tc, creds_format);
	tcase_add_test(tc, creds_unique);
	tcase_add_test(tc, creds_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("keywords");
	tcase_add_test(tc, isolate_keyword);
	tcase_add_test(tc, isolate_variable);
	tcase_add_test(tc, proxy_only_default_onion);
	tcase_add_test(tc, proxy_only_keyword);
	tcase_add_test(tc, proxy_only_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tor_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
