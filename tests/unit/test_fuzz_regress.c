/*
 * test_fuzz_regress.c - inputs found by the fuzzers (tests/fuzz/), kept
 * as unit tests so that the bugs they found stay fixed.  Each test names
 * the target that found it and what went wrong.
 *
 * Run under `make check-sanitize` too: some of these only show as a
 * sanitizer report (an overflow by a few bytes of a stack array).
 */
#include "socksify/conf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "d0.example,d1.example,...": n domains, comma-separated. */
static char *domain_list(size_t n)
{
	size_t cap = n * 16 + 1, pos = 0;
	char *s = malloc(cap);

	ck_assert_ptr_nonnull(s);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		pos += (size_t)snprintf(s + pos, cap - pos, "%sd%zu.example",
					i ? "," : "", i);
	return s;
}

/*
 * fuzz_conf: "direct" with 33 domain names.  sx_direct_list_parse() wrote
 * the 33rd name into domains[32] of its stack array domains[32][254]
 * before checking the count (AddressSanitizer: stack-buffer-overflow in
 * domain_parse, src/conf/net.c).  Now the count is checked first.
 */
START_TEST(direct_list_33_domains)
{
	static struct sx_conf c;
	char err[SX_CONF_ERRLEN] = "";
	char *list = domain_list(SX_CONF_MAX_DOMAINS + 1);

	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_direct_list_parse(&c, list, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "too many direct domains"), "message: %s", err);
	ck_assert_uint_eq(c.ndomains, 0);       /* unchanged on error */
	ck_assert_uint_eq(c.ndirect, 2);
	free(list);

	/* 32 are fine, and all of them match */
	list = domain_list(SX_CONF_MAX_DOMAINS);
	ck_assert_int_eq(sx_direct_list_parse(&c, list, err, sizeof err), 0);
	ck_assert_uint_eq(c.ndomains, SX_CONF_MAX_DOMAINS);
	ck_assert(sx_conf_name_is_direct(&c, "www.d31.example"));
	free(list);
}
END_TEST

/* The same through a config file, on one line and over two lines. */
START_TEST(conf_direct_33_domains)
{
	static struct sx_conf c;
	char *list = domain_list(SX_CONF_MAX_DOMAINS + 1);
	size_t n = strlen(list) + 64;
	char *text = malloc(n);

	ck_assert_ptr_nonnull(text);
	snprintf(text, n, "direct %s\n", list);
	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_parse_text(&c, "t.conf", text, strlen(text)), -1);
	ck_assert_msg(strstr(c.error, "t.conf:1: too many direct domains"),
		      "error: %s", c.error);
	free(list);

	list = domain_list(SX_CONF_MAX_DOMAINS);
	snprintf(text, n, "direct %s\ndirect one.more.example\n", list);
	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_parse_text(&c, "t.conf", text, strlen(text)), -1);
	ck_assert_msg(strstr(c.error, "t.conf:2: too many direct domains"),
		      "error: %s", c.error);
	ck_assert_uint_eq(c.ndomains, SX_CONF_MAX_DOMAINS);
	free(list);
	free(text);
}
END_TEST

/*
 * fuzz_conf: "direct d7.." stored the domain "d7." (one trailing dot is
 * dropped), which no name can match: sx_conf_name_is_direct() drops the
 * name's trailing dot too.  A domain with an empty label is now rejected
 * like any other bad entry.
 */
START_TEST(direct_domain_empty_label)
{
	static struct sx_conf c;
	static const char *const bad[] = {
		"d7..", "a..example", "..example", "*..example", "example.com..",
	};
	char err[SX_CONF_ERRLEN];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sx_conf_defaults(&c);
		err[0] = '\0';
		ck_assert_msg(sx_direct_list_parse(&c, bad[i], err, sizeof err) == -1,
			      "'%s' accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "'%s': no message", bad[i]);
	}
	/* one trailing dot, a leading dot or "*." are still fine */
	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_direct_list_parse(&c, "corp.example.,.lan,*.test", err,
					      sizeof err), 0);
	ck_assert_uint_eq(c.ndomains, 3);
	ck_assert(sx_conf_name_is_direct(&c, "host.corp.example."));
	ck_assert(sx_conf_name_is_direct(&c, "lan"));
	ck_assert(sx_conf_name_is_direct(&c, "a.b.test"));
}
END_TEST

static Suite *regress_suite(void)
{
	Suite *s = suite_create("fuzz_regress");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, direct_list_33_domains);
	tcase_add_test(tc, conf_direct_33_domains);
	tcase_add_test(tc, direct_domain_empty_label);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(regress_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
