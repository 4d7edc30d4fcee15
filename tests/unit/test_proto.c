/*
 * test_proto.c - unit tests for the pure SOCKS protocol layer (proto.h):
 * SOCKS 5 replies and SOCKS 4/4a (the greeting, username/password, the
 * request and the error texts: test_socks5.c).
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

/* ---- SOCKS 5 reply ----------------------------------------------------- */

START_TEST(reply_ipv4)
{
	const uint8_t msg[] = { 0x05, 0x00, 0x00, 0x01,
				203, 0, 113, 9, 0xc3, 0x50 };
	struct sx_s5_reply r;
	size_t need;

	feed(p_s5reply, msg, sizeof(msg), 2);
	memset(&r, 0xaa, sizeof(r));
	ck_assert_int_eq(sx_s5_reply_parse(msg, sizeof(msg), &r, &need), 10);
	ck_assert_uint_eq(r.rep, SX_S5_REP_SUCCEEDED);
	ck_assert_uint_eq(r.bound.atyp, SX_ATYP_IPV4);
	ck_assert_uint_eq(r.bound.port, 50000);
	ck_assert_uint_eq(r.bound.u.v4[0], 203);
	ck_assert_uint_eq(r.bound.u.v4[1], 0);
	ck_assert_uint_eq(r.bound.u.v4[2], 113);
	ck_assert_uint_eq(r.bound.u.v4[3], 9);
}
END_TEST

START_TEST(reply_ipv6)
{
	uint8_t msg[22] = { 0x05, 0x00, 0x00, 0x04 };
	struct sx_s5_reply r;
	size_t need, i;

	for (i = 0; i < 16; i++)
		msg[4 + i] = (uint8_t)(0xf0 + i);
	msg[20] = 0x04;
	msg[21] = 0x38;   /* 1080 */
	feed(p_s5reply, msg, sizeof(msg), 2);
	ck_assert_int_eq(sx_s5_reply_parse(msg, sizeof(msg), &r, &need), 22);
	ck_assert_uint_eq(r.rep, 0);
	ck_assert_uint_eq(r.bound.atyp, SX_ATYP_IPV6);
	ck_assert_mem_eq(r.bound.u.v6, msg + 4, 16);
	ck_assert_uint_eq(r.bound.port, 1080);
}
END_TEST

START_TEST(reply_name)
{
	const uint8_t msg[] = { 0x05, 0x00, 0x00, 0x03, 9,
				'p', 'r', 'o', 'x', 'y', '.', 'l', 'a', 'n',
				0x00, 0x16 };
	struct sx_s5_reply r;
	size_t need;

	feed(p_s5reply, msg, sizeof(msg), 2);
	memset(&r, 0xaa, sizeof(r));
	ck_assert_int_eq(sx_s5_reply_parse(msg, sizeof(msg), &r, &need), 16);
	ck_assert_uint_eq(r.bound.atyp, SX_ATYP_NAME);
	ck_assert_uint_eq(r.bound.namelen, 9);
	ck_assert_str_eq(r.bound.u.name, "proxy.lan");
	ck_assert_uint_eq(r.bound.port, 22);
}
END_TEST

START_TEST(reply_name_one_char)
{
	const uint8_t msg[] = { 0x05, 0x00, 0x00, 0x03, 1, 'x', 0x00, 0x01 };
	struct sx_s5_reply r;
	size_t need;

	/* the shortest possible reply: the initial "need 5" must fit in it */
	feed(p_s5reply, msg, sizeof(msg), 2);
	ck_assert_int_eq(sx_s5_reply_parse(msg, sizeof(msg), &r, &need), 8);
	ck_assert_uint_eq(r.bound.namelen, 1);
	ck_assert_str_eq(r.bound.u.name, "x");
	ck_assert_uint_eq(r.bound.port, 1);
}
END_TEST

START_TEST(reply_name_255)
{
	uint8_t msg[4 + 1 + 255 + 2] = { 0x05, 0x00, 0x00, 0x03, 255 };
	char n[256];
	struct sx_s5_reply r;
	size_t need;

	long_name(n);
	memcpy(msg + 5, n, 255);
	msg[260] = 0xff;
	msg[261] = 0xfe;
	feed(p_s5reply, msg, sizeof(msg), 2);
	memset(&r, 0xaa, sizeof(r));
	ck_assert_int_eq(sx_s5_reply_parse(msg, sizeof(msg), &r, &need), 262);
	ck_assert_uint_eq(r.bound.namelen, 255);
	ck_assert_uint_eq(r.bound.u.name[255], '\0');
	ck_assert_str_eq(r.bound.u.name, n);
	ck_assert_uint_eq(r.bound.port, 65534);
}
END_TEST

START_TEST(reply_need_values)
{
	/* exact *need values, per the header's contract */
	const uint8_t v4[] = { 0x05, 0x00, 0x00, 0x01, 1, 2, 3, 4, 0, 80 };
	const uint8_t nm[] = { 0x05, 0x00, 0x00, 0x03, 3, 'a', 'b', 'c', 0, 80 };
	size_t need, len;

	for (len = 0; len < 4; len++) {
		ck_assert_int_eq(parse_exact(p_s5reply, v4, len, &need), 0);
		ck_assert_uint_eq(need, 5);
	}
	for (len = 4; len < 10; len++) {
		ck_assert_int_eq(parse_exact(p_s5reply, v4, len, &need), 0);
		ck_assert_uint_eq(need, 10);
	}
	ck_assert_int_eq(parse_exact(p_s5reply, nm, 4, &need), 0);
	ck_assert_uint_eq(need, 5);
	for (len = 5; len < 10; len++) {
		ck_assert_int_eq(parse_exact(p_s5reply, nm, len, &need), 0);
		ck_assert_uint_eq(need, 10);
	}
	ck_assert_int_eq(parse_exact(p_s5reply, nm, 10, &need), 10);
}
END_TEST

START_TEST(reply_followed_by_data)
{
	const uint8_t v4[] = { 0x05, 0x00, 0x00, 0x01, 1, 2, 3, 4, 0, 80 };
	const uint8_t nm[] = { 0x05, 0x00, 0x00, 0x03, 3, 'a', 'b', 'c', 0, 80 };
	uint8_t v6[22] = { 0x05, 0x00, 0x00, 0x04 };
	uint8_t buf[64];
	const char http[] = "HTTP/1.1 200 OK\r\n";
	struct sx_s5_reply r;
	size_t need;

	with_trailer(p_s5reply, v4, sizeof(v4));
	with_trailer(p_s5reply, v6, sizeof(v6));
	with_trailer(p_s5reply, nm, sizeof(nm));

	/* the server's reply and the first bytes from the destination
	 * arrive in one read */
	memcpy(buf, nm, sizeof(nm));
	memcpy(buf + sizeof(nm), http, sizeof(http) - 1);
	ck_assert_int_eq(sx_s5_reply_parse(buf, sizeof(nm) + sizeof(http) - 1,
					   &r, &need), (ssize_t)sizeof(nm));
	ck_assert_str_eq(r.bound.u.name, "abc");
	ck_assert_uint_eq(r.bound.port, 80);
}
END_TEST

START_TEST(reply_code_parsed)
{
	uint8_t msg[] = { 0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0 };
	struct sx_s5_reply r;
	size_t need;
	unsigned int rep;

	/* every REP value is returned as sent, not turned into an error */
	for (rep = 0; rep <= 0xff; rep++) {
		msg[1] = (uint8_t)rep;
		ck_assert_int_eq(sx_s5_reply_parse(msg, sizeof(msg), &r, &need),
				 10);
		ck_assert_uint_eq(r.rep, rep);
	}
}
END_TEST

static const struct {
	uint8_t rep;
	const char *text;
	int err;
} s5_codes[] = {
	{ 0x00, "succeeded", 0 },
	{ 0x01, "general SOCKS server failure", ECONNREFUSED },
	{ 0x02, "connection not allowed by ruleset", EACCES },
	{ 0x03, "network unreachable", ENETUNREACH },
	{ 0x04, "host unreachable", EHOSTUNREACH },
	{ 0x05, "connection refused by destination", ECONNREFUSED },
	{ 0x06, "TTL expired", ETIMEDOUT },
	{ 0x07, "command not supported", EOPNOTSUPP },
	{ 0x08, "address type not supported", EAFNOSUPPORT },
	{ 0x09, "unknown reply code", EPROTO },
	{ 0x5a, "unknown reply code", EPROTO },
	{ 0xff, "unknown reply code", EPROTO },
};

START_TEST(reply_code_text_errno)
{
	ck_assert_str_eq(sx_s5_rep_str(s5_codes[_i].rep), s5_codes[_i].text);
	ck_assert_int_eq(sx_s5_rep_errno(s5_codes[_i].rep), s5_codes[_i].err);
}
END_TEST

START_TEST(reply_wrong_version)
{
	const uint8_t v4[] = { 0x04, 0x00, 0x00, 0x01, 1, 2, 3, 4, 0, 80 };
	const uint8_t v0[] = { 0x00, 0x5a, 0x00, 0x50, 1, 2, 3, 4 };
	size_t need;

	ck_assert_int_eq(parse_exact(p_s5reply, v4, sizeof(v4), &need),
			 -SX_PERR_VERSION);
	ck_assert_int_eq(parse_exact(p_s5reply, v4, 1, &need),
			 -SX_PERR_VERSION);
	/* a SOCKS 4 reply to a SOCKS 5 request */
	ck_assert_int_eq(parse_exact(p_s5reply, v0, sizeof(v0), &need),
			 -SX_PERR_VERSION);
}
END_TEST

START_TEST(reply_unknown_atyp)
{
	uint8_t msg[] = { 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 0, 80 };
	const uint8_t bad[] = { 0x00, 0x02, 0x05, 0x06, 0xff };
	size_t need, i;

	for (i = 0; i < sizeof(bad); i++) {
		msg[3] = bad[i];
		ck_assert_int_eq(parse_exact(p_s5reply, msg, sizeof(msg), &need),
				 -SX_PERR_ATYP);
		/* known as soon as ATYP is there */
		ck_assert_int_eq(parse_exact(p_s5reply, msg, 4, &need),
				 -SX_PERR_ATYP);
	}
}
END_TEST

START_TEST(reply_zero_namelen)
{
	const uint8_t msg[] = { 0x05, 0x00, 0x00, 0x03, 0, 0, 80, 0, 0, 0 };
	size_t need;

	ck_assert_int_eq(parse_exact(p_s5reply, msg, 5, &need),
			 -SX_PERR_NAMELEN);
	ck_assert_int_eq(parse_exact(p_s5reply, msg, sizeof(msg), &need),
			 -SX_PERR_NAMELEN);
}
END_TEST

START_TEST(reply_rsv_tolerated)
{
	const uint8_t msg[] = { 0x05, 0x00, 0x7f, 0x01, 1, 2, 3, 4, 0, 80 };
	struct sx_s5_reply r;
	size_t need;

	ck_assert_int_eq(sx_s5_reply_parse(msg, sizeof(msg), &r, &need), 10);
	ck_assert_uint_eq(r.bound.port, 80);
}
END_TEST

START_TEST(reply_random_bytes)
{
	/* random input: never crash or over-read; results are consistent */
	uint32_t x = 0x12345678u;
	uint8_t msg[300];
	size_t need, len, i;
	int round;
	ssize_t r;

	for (round = 0; round < 3000; round++) {
		for (i = 0; i < sizeof(msg); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			msg[i] = (uint8_t)x;
		}
		msg[0] = 0x05;
		msg[3] = (uint8_t)((const uint8_t[]){ 1, 3, 4, 2 })[x % 4];
		len = (x >> 8) % sizeof(msg);
		need = 0;
		r = parse_exact(p_s5reply, msg, len, &need);
		if (r > 0)
			ck_assert_uint_le((size_t)r, len);
		else if (r == 0)
			ck_assert_uint_gt(need, len);
		else
			ck_assert(r == -SX_PERR_ATYP || r == -SX_PERR_NAMELEN);
	}
}
END_TEST

/* ---- SOCKS 4 / 4a ------------------------------------------------------ */

START_TEST(s4_encode_ipv4)
{
	struct sx_addr a;
	uint8_t buf[32];
	const uint8_t want[] = { 0x04, 0x01, 0x00, 0x50, 198, 51, 100, 23,
				 'b', 'o', 'b', 0x00 };

	v4_addr(&a, 198, 51, 100, 23, 80);
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, "bob"), 12);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(buf[12], 0xee);
}
END_TEST

START_TEST(s4_encode_empty_userid)
{
	struct sx_addr a;
	uint8_t buf[9];
	const uint8_t want[] = { 0x04, 0x02, 0x1f, 0x90, 10, 1, 2, 3, 0x00 };

	v4_addr(&a, 10, 1, 2, 3, 8080);
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_BIND, &a, NULL), 9);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_BIND, &a, ""), 9);
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(s4a_encode_name)
{
	struct sx_addr a;
	uint8_t buf[64];
	const uint8_t want[] = { 0x04, 0x01, 0x01, 0xbb, 0, 0, 0, 1,
				 'u', 0x00,
				 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o',
				 'r', 'g', 0x00 };

	name_addr(&a, "example.org", 443);
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, "u"),
			 (ssize_t)sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(s4a_encode_name_no_userid)
{
	struct sx_addr a;
	uint8_t buf[64];
	const uint8_t want[] = { 0x04, 0x01, 0x00, 0x15, 0, 0, 0, 1, 0x00,
				 'f', 't', 'p', 0x00 };

	name_addr(&a, "ftp.example", 21);
	a.namelen = 3;   /* namelen is authoritative */
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, NULL), 13);
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(s4a_encode_name_255)
{
	struct sx_addr a;
	uint8_t buf[8 + 1 + 255 + 1];
	char n[256];

	long_name(n);
	name_addr(&a, n, 80);
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, NULL), 265);
	ck_assert_mem_eq(buf + 9, n, 256);   /* name and its NUL */
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf) - 1,
					      SX_S4_CMD_CONNECT, &a, NULL),
			 -SX_PERR_NOSPACE);
}
END_TEST

START_TEST(s4_encode_bad_addr)
{
	struct sx_addr a;
	uint8_t buf[64];

	memset(&a, 0, sizeof(a));
	a.atyp = SX_ATYP_IPV6;
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, NULL),
			 -SX_PERR_ATYP);
	a.atyp = 0;
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, NULL),
			 -SX_PERR_ATYP);
	name_addr(&a, "", 80);
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, NULL),
			 -SX_PERR_NAMELEN);
	name_addr(&a, "ab", 80);
	a.namelen = 4;   /* would put a NUL inside the name */
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, NULL),
			 -SX_PERR_NAMELEN);
}
END_TEST

START_TEST(s4_encode_userid_len)
{
	struct sx_addr a;
	uint8_t buf[300];
	char u[257];

	v4_addr(&a, 1, 2, 3, 4, 5);
	memset(u, 'i', 255);
	u[255] = '\0';
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, u), 264);
	ck_assert_mem_eq(buf + 8, u, 256);
	u[255] = 'i';
	u[256] = '\0';
	ck_assert_int_eq(sx_s4_request_encode(buf, sizeof(buf),
					      SX_S4_CMD_CONNECT, &a, u),
			 -SX_PERR_USERID);
}
END_TEST

START_TEST(s4_encode_short_buffer_and_args)
{
	struct sx_addr a;
	uint8_t buf[32];

	v4_addr(&a, 1, 2, 3, 4, 5);
	ck_assert_int_eq(sx_s4_request_encode(buf, 11, SX_S4_CMD_CONNECT, &a,
					      "bob"), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_s4_request_encode(buf, 8, SX_S4_CMD_CONNECT, &a,
					      NULL), -SX_PERR_NOSPACE);
	name_addr(&a, "abc", 5);
	ck_assert_int_eq(sx_s4_request_encode(buf, 12, SX_S4_CMD_CONNECT, &a,
					      NULL), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_s4_request_encode(buf, 13, SX_S4_CMD_CONNECT, &a,
					      NULL), 13);
	ck_assert_int_eq(sx_s4_request_encode(buf, 32, 0, &a, NULL),
			 -SX_PERR_ARG);
	ck_assert_int_eq(sx_s4_request_encode(buf, 32, 3, &a, NULL),
			 -SX_PERR_ARG);
	ck_assert_int_eq(sx_s4_request_encode(buf, 32, SX_S4_CMD_CONNECT, NULL,
					      NULL), -SX_PERR_ARG);
	ck_assert_int_eq(sx_s4_request_encode(NULL, 32, SX_S4_CMD_CONNECT, &a,
					      NULL), -SX_PERR_ARG);
}
END_TEST

START_TEST(s4_reply_parse)
{
	const uint8_t msg[] = { 0x00, 0x5a, 0x04, 0x38, 127, 0, 0, 1 };
	uint8_t code = 0;
	struct sx_addr a;
	size_t need;

	memset(&a, 0xaa, sizeof(a));
	ck_assert_int_eq(sx_s4_reply_parse(msg, sizeof(msg), &code, &a, &need),
			 8);
	ck_assert_uint_eq(code, SX_S4_REP_GRANTED);
	ck_assert_uint_eq(a.atyp, SX_ATYP_IPV4);
	ck_assert_uint_eq(a.port, 1080);
	ck_assert_uint_eq(a.u.v4[0], 127);
	ck_assert_uint_eq(a.u.v4[1], 0);
	ck_assert_uint_eq(a.u.v4[2], 0);
	ck_assert_uint_eq(a.u.v4[3], 1);
	with_trailer(p_s4reply, msg, sizeof(msg));
}
END_TEST

START_TEST(s4_reply_byte_at_a_time)
{
	const uint8_t msg[] = { 0x00, 0x5b, 0, 0, 0, 0, 0, 0 };
	size_t need, len;

	feed(p_s4reply, msg, sizeof(msg), 1);
	for (len = 0; len < 8; len++) {
		ck_assert_int_eq(parse_exact(p_s4reply, msg, len, &need), 0);
		ck_assert_uint_eq(need, 8);
	}
}
END_TEST

START_TEST(s4_reply_wrong_version)
{
	uint8_t msg[] = { 0x04, 0x5a, 0, 0, 0, 0, 0, 0 };
	size_t need;

	ck_assert_int_eq(parse_exact(p_s4reply, msg, 8, &need),
			 -SX_PERR_VERSION);
	ck_assert_int_eq(parse_exact(p_s4reply, msg, 1, &need),
			 -SX_PERR_VERSION);
	msg[0] = 0x05;
	ck_assert_int_eq(parse_exact(p_s4reply, msg, 8, &need),
			 -SX_PERR_VERSION);
}
END_TEST

START_TEST(s4_reply_code_parsed)
{
	uint8_t msg[] = { 0x00, 0x00, 0, 0, 0, 0, 0, 0 };
	uint8_t code;
	size_t need;
	unsigned int c;

	for (c = 0; c <= 0xff; c++) {
		msg[1] = (uint8_t)c;
		ck_assert_int_eq(sx_s4_reply_parse(msg, 8, &code, NULL, &need),
				 8);
		ck_assert_uint_eq(code, c);
	}
}
END_TEST

static const struct {
	uint8_t code;
	const char *text;
	int err;
} s4_codes[] = {
	{ 0x5a, "request granted", 0 },
	{ 0x5b, "request rejected or failed", ECONNREFUSED },
	{ 0x5c, "proxy could not reach our identd", EACCES },
	{ 0x5d, "user id does not match identd's", EACCES },
	{ 0x00, "unknown reply code", EPROTO },
	{ 0x5e, "unknown reply code", EPROTO },
	{ 0xff, "unknown reply code", EPROTO },
};

START_TEST(s4_code_text_errno)
{
	ck_assert_str_eq(sx_s4_rep_str(s4_codes[_i].code), s4_codes[_i].text);
	ck_assert_int_eq(sx_s4_rep_errno(s4_codes[_i].code), s4_codes[_i].err);
}
END_TEST


static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("socks5_reply");
	tcase_add_test(tc, reply_ipv4);
	tcase_add_test(tc, reply_ipv6);
	tcase_add_test(tc, reply_name);
	tcase_add_test(tc, reply_name_one_char);
	tcase_add_test(tc, reply_name_255);
	tcase_add_test(tc, reply_need_values);
	tcase_add_test(tc, reply_followed_by_data);
	tcase_add_test(tc, reply_code_parsed);
	tcase_add_loop_test(tc, reply_code_text_errno, 0, NELEM(s5_codes));
	tcase_add_test(tc, reply_wrong_version);
	tcase_add_test(tc, reply_unknown_atyp);
	tcase_add_test(tc, reply_zero_namelen);
	tcase_add_test(tc, reply_rsv_tolerated);
	tcase_add_test(tc, reply_random_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("socks4");
	tcase_add_test(tc, s4_encode_ipv4);
	tcase_add_test(tc, s4_encode_empty_userid);
	tcase_add_test(tc, s4a_encode_name);
	tcase_add_test(tc, s4a_encode_name_no_userid);
	tcase_add_test(tc, s4a_encode_name_255);
	tcase_add_test(tc, s4_encode_bad_addr);
	tcase_add_test(tc, s4_encode_userid_len);
	tcase_add_test(tc, s4_encode_short_buffer_and_args);
	tcase_add_test(tc, s4_reply_parse);
	tcase_add_test(tc, s4_reply_byte_at_a_time);
	tcase_add_test(tc, s4_reply_wrong_version);
	tcase_add_test(tc, s4_reply_code_parsed);
	tcase_add_loop_test(tc, s4_code_text_errno, 0, NELEM(s4_codes));
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
