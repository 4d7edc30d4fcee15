/*
 * test_socks5.c - unit tests for the SOCKS 5 greeting, method selection,
 * RFC 1929 username/password and request of the pure protocol layer
 * (proto.h), and the error texts (replies and SOCKS 4/4a: test_proto.c).
 *
 * Parsers are always given a heap copy of exactly the bytes they may look
 * at, so that AddressSanitizer catches any read beyond len.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proto_util.h"

/* ---- SOCKS 5 greeting -------------------------------------------------- */

START_TEST(greeting_one_method)
{
	uint8_t buf[16];
	const uint8_t m[] = { SX_S5_METHOD_NONE };
	const uint8_t want[] = { 0x05, 0x01, 0x00 };

	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(sx_s5_greeting_encode(buf, sizeof(buf), m, 1), 3);
	ck_assert_mem_eq(buf, want, 3);
	ck_assert_uint_eq(buf[3], 0xee);
}
END_TEST

START_TEST(greeting_two_methods)
{
	uint8_t buf[4];
	const uint8_t m[] = { SX_S5_METHOD_NONE, SX_S5_METHOD_USERPASS };
	const uint8_t want[] = { 0x05, 0x02, 0x00, 0x02 };

	/* exact capacity is enough */
	ck_assert_int_eq(sx_s5_greeting_encode(buf, sizeof(buf), m, 2), 4);
	ck_assert_mem_eq(buf, want, 4);
}
END_TEST

START_TEST(greeting_method_count)
{
	uint8_t buf[300], m[256];

	memset(m, SX_S5_METHOD_NONE, sizeof(m));
	ck_assert_int_eq(sx_s5_greeting_encode(buf, sizeof(buf), m, 0),
			 -SX_PERR_NOMETHODS);
	ck_assert_int_eq(sx_s5_greeting_encode(buf, sizeof(buf), m, 256),
			 -SX_PERR_NOMETHODS);
	ck_assert_int_eq(sx_s5_greeting_encode(buf, sizeof(buf), m,
					       (size_t)-1), -SX_PERR_NOMETHODS);
	ck_assert_int_eq(sx_s5_greeting_encode(buf, sizeof(buf), m, 255), 257);
	ck_assert_uint_eq(buf[0], 0x05);
	ck_assert_uint_eq(buf[1], 0xff);
}
END_TEST

START_TEST(greeting_short_buffer)
{
	uint8_t buf[4];
	const uint8_t m[] = { 0x00, 0x02 };

	ck_assert_int_eq(sx_s5_greeting_encode(buf, 3, m, 2), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_s5_greeting_encode(buf, 0, m, 1), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_s5_greeting_encode(buf, 2, m, 1), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_s5_greeting_encode(NULL, 4, m, 1), -SX_PERR_ARG);
	ck_assert_int_eq(sx_s5_greeting_encode(buf, 4, NULL, 1), -SX_PERR_ARG);
}
END_TEST

/* ---- SOCKS 5 method selection ----------------------------------------- */

START_TEST(method_parse_ok)
{
	const uint8_t msg[] = { 0x05, 0x02, 0x05, 0x00 }; /* + trailing data */
	uint8_t m = 0x77;
	size_t need = 0;

	ck_assert_int_eq(sx_s5_method_parse(msg, sizeof(msg), &m, &need), 2);
	ck_assert_uint_eq(m, SX_S5_METHOD_USERPASS);
	with_trailer(p_method, msg, 2);
}
END_TEST

START_TEST(method_parse_byte_at_a_time)
{
	const uint8_t msg[] = { 0x05, 0x00 };
	uint8_t m = 0x77;
	size_t need = 0;

	feed(p_method, msg, sizeof(msg), 1);
	ck_assert_int_eq(sx_s5_method_parse(msg, 1, &m, &need), 0);
	ck_assert_uint_eq(need, 2);
	ck_assert_uint_eq(m, 0x77);   /* not written while incomplete */
	ck_assert_int_eq(sx_s5_method_parse(msg, 0, &m, &need), 0);
	ck_assert_uint_eq(need, 2);
	ck_assert_int_eq(sx_s5_method_parse(msg, 2, &m, &need), 2);
	ck_assert_uint_eq(m, SX_S5_METHOD_NONE);
}
END_TEST

START_TEST(method_parse_reject_returned)
{
	const uint8_t msg[] = { 0x05, 0xff };
	uint8_t m = 0;
	size_t need = 0;

	ck_assert_int_eq(sx_s5_method_parse(msg, 2, &m, &need), 2);
	ck_assert_uint_eq(m, SX_S5_METHOD_REJECT);
}
END_TEST

START_TEST(method_parse_wrong_version)
{
	const uint8_t v4[] = { 0x04, 0x00 };
	const uint8_t v1[] = { 0x01, 0x00 };
	uint8_t m;
	size_t need;

	ck_assert_int_eq(parse_exact(p_method, v4, 2, &need), -SX_PERR_VERSION);
	/* detected as soon as the first byte is there */
	ck_assert_int_eq(parse_exact(p_method, v4, 1, &need), -SX_PERR_VERSION);
	ck_assert_int_eq(sx_s5_method_parse(v1, 2, &m, &need), -SX_PERR_VERSION);
}
END_TEST

/* ---- RFC 1929 ---------------------------------------------------------- */

START_TEST(userpass_encode_one_byte)
{
	uint8_t buf[5];
	const uint8_t want[] = { 0x01, 0x01, 'u', 0x01, 'p' };

	ck_assert_int_eq(sx_userpass_encode(buf, sizeof(buf), "u", 1, "p", 1), 5);
	ck_assert_mem_eq(buf, want, 5);
}
END_TEST

START_TEST(userpass_encode_typical)
{
	uint8_t buf[64];
	const uint8_t want[] = { 0x01, 0x03, 'b', 'o', 'b',
				 0x06, 's', 'e', 'c', 'r', 'e', 't' };

	ck_assert_int_eq(sx_userpass_encode(buf, sizeof(buf), "bob", 3,
					    "secret", 6), 12);
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(userpass_encode_255)
{
	char user[255], pass[255];
	uint8_t buf[3 + 255 + 255];

	memset(user, 'U', sizeof(user));
	memset(pass, 'P', sizeof(pass));
	user[0] = 'u';
	pass[254] = 'p';
	ck_assert_int_eq(sx_userpass_encode(buf, sizeof(buf), user, 255,
					    pass, 255), 513);
	ck_assert_uint_eq(buf[0], 0x01);
	ck_assert_uint_eq(buf[1], 255);
	ck_assert_mem_eq(buf + 2, user, 255);
	ck_assert_uint_eq(buf[257], 255);
	ck_assert_mem_eq(buf + 258, pass, 255);
	/* one byte short */
	ck_assert_int_eq(sx_userpass_encode(buf, sizeof(buf) - 1, user, 255,
					    pass, 255), -SX_PERR_NOSPACE);
}
END_TEST

START_TEST(userpass_encode_bad_user)
{
	char s[256];
	uint8_t buf[600];

	memset(s, 'x', sizeof(s));
	ck_assert_int_eq(sx_userpass_encode(buf, sizeof(buf), s, 0, "p", 1),
			 -SX_PERR_USERLEN);
	ck_assert_int_eq(sx_userpass_encode(buf, sizeof(buf), s, 256, "p", 1),
			 -SX_PERR_USERLEN);
}
END_TEST

START_TEST(userpass_encode_bad_pass)
{
	char s[256];
	uint8_t buf[600];

	memset(s, 'x', sizeof(s));
	ck_assert_int_eq(sx_userpass_encode(buf, sizeof(buf), "u", 1, s, 0),
			 -SX_PERR_PASSLEN);
	ck_assert_int_eq(sx_userpass_encode(buf, sizeof(buf), "u", 1, s, 256),
			 -SX_PERR_PASSLEN);
}
END_TEST

START_TEST(userpass_encode_short_buffer)
{
	uint8_t buf[16];

	ck_assert_int_eq(sx_userpass_encode(buf, 11, "bob", 3, "secret", 6),
			 -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_userpass_encode(buf, 0, "u", 1, "p", 1),
			 -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_userpass_encode(buf, 16, NULL, 1, "p", 1),
			 -SX_PERR_ARG);
	ck_assert_int_eq(sx_userpass_encode(buf, 16, "u", 1, NULL, 1),
			 -SX_PERR_ARG);
}
END_TEST

START_TEST(userpass_reply_ok)
{
	const uint8_t msg[] = { 0x01, 0x00 };
	uint8_t st = 0x77;
	size_t need;

	ck_assert_int_eq(sx_userpass_reply_parse(msg, 2, &st, &need), 2);
	ck_assert_uint_eq(st, 0);
	feed(p_userpass, msg, 2, 1);
	with_trailer(p_userpass, msg, 2);
}
END_TEST

START_TEST(userpass_reply_failure)
{
	const uint8_t msg[] = { 0x01, 0x01 };
	const uint8_t msg2[] = { 0x01, 0xff };
	uint8_t st = 0;
	size_t need;

	ck_assert_int_eq(sx_userpass_reply_parse(msg, 2, &st, &need), 2);
	ck_assert_uint_eq(st, 1);
	ck_assert_int_eq(sx_userpass_reply_parse(msg2, 2, &st, &need), 2);
	ck_assert_uint_eq(st, 0xff);
}
END_TEST

START_TEST(userpass_reply_wrong_version)
{
	/* some servers wrongly answer with 0x05; RFC 1929 says 0x01 */
	const uint8_t v5[] = { 0x05, 0x00 };
	const uint8_t v0[] = { 0x00, 0x00 };
	size_t need;

	ck_assert_int_eq(parse_exact(p_userpass, v5, 2, &need), -SX_PERR_VERSION);
	ck_assert_int_eq(parse_exact(p_userpass, v5, 1, &need), -SX_PERR_VERSION);
	ck_assert_int_eq(parse_exact(p_userpass, v0, 2, &need), -SX_PERR_VERSION);
}
END_TEST

/* ---- SOCKS 5 request --------------------------------------------------- */

START_TEST(request_ipv4)
{
	struct sx_addr a;
	uint8_t buf[32];
	const uint8_t want[] = { 0x05, 0x01, 0x00, 0x01,
				 192, 0, 2, 7, 0x1f, 0x90 };

	v4_addr(&a, 192, 0, 2, 7, 8080);
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_CONNECT, &a), 10);
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(request_ipv6)
{
	struct sx_addr a;
	uint8_t buf[22];
	const uint8_t ip[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				 0, 0, 0, 0, 0, 0, 0, 0x01 };
	uint8_t want[22] = { 0x05, 0x01, 0x00, 0x04 };

	memcpy(want + 4, ip, 16);
	want[20] = 0x01;   /* 443 */
	want[21] = 0xbb;
	memset(&a, 0, sizeof(a));
	a.atyp = SX_ATYP_IPV6;
	memcpy(a.u.v6, ip, 16);
	a.port = 443;
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_CONNECT, &a), 22);
	ck_assert_mem_eq(buf, want, 22);
}
END_TEST

START_TEST(request_name)
{
	struct sx_addr a;
	uint8_t buf[64];
	const uint8_t want[] = { 0x05, 0x01, 0x00, 0x03, 11,
				 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c',
				 'o', 'm', 0x00, 0x50 };

	name_addr(&a, "example.com", 80);
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_CONNECT, &a), 18);
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(request_name_namelen_authoritative)
{
	/* only namelen bytes go on the wire, whatever follows in u.name */
	struct sx_addr a;
	uint8_t buf[64];
	const uint8_t want[] = { 0x05, 0x01, 0x00, 0x03, 4,
				 'h', 'o', 's', 't', 0xff, 0xff };

	name_addr(&a, "hostname", 65535);
	a.namelen = 4;
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_CONNECT, &a), 11);
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(request_name_255)
{
	struct sx_addr a;
	uint8_t buf[4 + 1 + 255 + 2];
	char n[256];

	long_name(n);
	name_addr(&a, n, 1);
	ck_assert_uint_eq(a.namelen, 255);
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_CONNECT, &a), 262);
	ck_assert_uint_eq(buf[3], 0x03);
	ck_assert_uint_eq(buf[4], 255);
	ck_assert_mem_eq(buf + 5, n, 255);
	ck_assert_uint_eq(buf[260], 0x00);
	ck_assert_uint_eq(buf[261], 0x01);
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf) - 1,
					      SX_S5_CMD_CONNECT, &a),
			 -SX_PERR_NOSPACE);
}
END_TEST

START_TEST(request_name_bad)
{
	struct sx_addr a;
	uint8_t buf[64];

	name_addr(&a, "", 80);
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_CONNECT, &a),
			 -SX_PERR_NAMELEN);
	/* a NUL inside the namelen bytes is not a host name */
	name_addr(&a, "ab", 80);
	a.namelen = 5;
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_CONNECT, &a),
			 -SX_PERR_NAMELEN);
}
END_TEST

START_TEST(request_bad_cmd)
{
	struct sx_addr a;
	uint8_t buf[32];
	const uint8_t bad[] = { 0, 4, 0x80, 0xff };
	size_t i;

	v4_addr(&a, 10, 0, 0, 1, 1080);
	for (i = 0; i < sizeof(bad); i++)
		ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf), bad[i],
						      &a), -SX_PERR_ARG);
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_BIND, &a), 10);
	ck_assert_uint_eq(buf[1], 0x02);
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_UDP_ASSOCIATE, &a), 10);
	ck_assert_uint_eq(buf[1], 0x03);
	ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
					      SX_S5_CMD_CONNECT, NULL),
			 -SX_PERR_ARG);
	ck_assert_int_eq(sx_s5_request_encode(NULL, 32, SX_S5_CMD_CONNECT, &a),
			 -SX_PERR_ARG);
}
END_TEST

START_TEST(request_bad_atyp)
{
	struct sx_addr a;
	uint8_t buf[32];
	const uint8_t bad[] = { 0, 2, 5, 0xff };
	size_t i;

	v4_addr(&a, 10, 0, 0, 1, 1080);
	for (i = 0; i < sizeof(bad); i++) {
		a.atyp = bad[i];
		ck_assert_int_eq(sx_s5_request_encode(buf, sizeof(buf),
						      SX_S5_CMD_CONNECT, &a),
				 -SX_PERR_ATYP);
	}
}
END_TEST

START_TEST(request_short_buffer)
{
	struct sx_addr a;
	uint8_t buf[32];

	v4_addr(&a, 10, 0, 0, 1, 1080);
	ck_assert_int_eq(sx_s5_request_encode(buf, 9, SX_S5_CMD_CONNECT, &a),
			 -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_s5_request_encode(buf, 0, SX_S5_CMD_CONNECT, &a),
			 -SX_PERR_NOSPACE);
	a.atyp = SX_ATYP_IPV6;
	ck_assert_int_eq(sx_s5_request_encode(buf, 21, SX_S5_CMD_CONNECT, &a),
			 -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_s5_request_encode(buf, 22, SX_S5_CMD_CONNECT, &a),
			 22);
	name_addr(&a, "a.b", 1);
	ck_assert_int_eq(sx_s5_request_encode(buf, 9, SX_S5_CMD_CONNECT, &a),
			 -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_s5_request_encode(buf, 10, SX_S5_CMD_CONNECT, &a),
			 10);
}
END_TEST

/* ---- sx_perr_str ------------------------------------------------------- */

START_TEST(perr_texts)
{
	const char *seen[SX_PERR_USERID + 1];
	int e, j;

	for (e = SX_PERR_OK; e <= SX_PERR_USERID; e++) {
		seen[e] = sx_perr_str(e);
		ck_assert_ptr_nonnull(seen[e]);
		ck_assert_str_ne(seen[e], "unknown error");
		ck_assert_str_eq(sx_perr_str(-e), seen[e]);
		for (j = 0; j < e; j++)
			ck_assert_str_ne(seen[j], seen[e]);
	}
	ck_assert_str_eq(sx_perr_str(-SX_PERR_NOSPACE), "output buffer too small");
	ck_assert_str_eq(sx_perr_str(SX_PERR_ARG), "invalid argument");
	ck_assert_str_eq(sx_perr_str(SX_PERR_USERID + 1), "unknown error");
	ck_assert_str_eq(sx_perr_str(-(SX_PERR_USERID + 1)), "unknown error");
	ck_assert_str_eq(sx_perr_str(INT_MAX), "unknown error");
	ck_assert_str_eq(sx_perr_str(INT_MIN), "unknown error");
}
END_TEST

static Suite *socks5_suite(void)
{
	Suite *s = suite_create("socks5");
	TCase *tc;

	tc = tcase_create("socks5_greeting");
	tcase_add_test(tc, greeting_one_method);
	tcase_add_test(tc, greeting_two_methods);
	tcase_add_test(tc, greeting_method_count);
	tcase_add_test(tc, greeting_short_buffer);
	tcase_add_test(tc, method_parse_ok);
	tcase_add_test(tc, method_parse_byte_at_a_time);
	tcase_add_test(tc, method_parse_reject_returned);
	tcase_add_test(tc, method_parse_wrong_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("userpass");
	tcase_add_test(tc, userpass_encode_one_byte);
	tcase_add_test(tc, userpass_encode_typical);
	tcase_add_test(tc, userpass_encode_255);
	tcase_add_test(tc, userpass_encode_bad_user);
	tcase_add_test(tc, userpass_encode_bad_pass);
	tcase_add_test(tc, userpass_encode_short_buffer);
	tcase_add_test(tc, userpass_reply_ok);
	tcase_add_test(tc, userpass_reply_failure);
	tcase_add_test(tc, userpass_reply_wrong_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("socks5_request");
	tcase_add_test(tc, request_ipv4);
	tcase_add_test(tc, request_ipv6);
	tcase_add_test(tc, request_name);
	tcase_add_test(tc, request_name_namelen_authoritative);
	tcase_add_test(tc, request_name_255);
	tcase_add_test(tc, request_name_bad);
	tcase_add_test(tc, request_bad_cmd);
	tcase_add_test(tc, request_bad_atyp);
	tcase_add_test(tc, request_short_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("perr");
	tcase_add_test(tc, perr_texts);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(socks5_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
