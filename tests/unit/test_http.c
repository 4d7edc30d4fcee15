/*
 * test_http.c - unit tests for HTTP CONNECT (src/proto/http.c): the
 * request with and without Basic credentials, and the reply parser's
 * exact length, limits and status mapping.
 *
 * Parsers get a heap copy of exactly the bytes they may look at, so that
 * AddressSanitizer catches a read past len.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/proto.h"

static ssize_t parse(const char *s, size_t len, struct sx_http_reply *r,
		     size_t *need)
{
	uint8_t *b = malloc(len ? len : 1);
	ssize_t n;

	ck_assert_ptr_nonnull(b);
	memcpy(b, s, len);
	n = sx_http_reply_parse(b, len, r, need);
	free(b);
	return n;
}

/* Every prefix is incomplete (need = len + 1), the whole is len bytes. */
static void parse_whole(const char *s, size_t len, struct sx_http_reply *r)
{
	size_t need;

	for (size_t i = 0; i < len; i++) {
		need = 0;
		ck_assert_int_eq(parse(s, i, r, &need), 0);
		ck_assert_uint_eq(need, i + 1);
	}
	ck_assert_int_eq(parse(s, len, r, &need), (ssize_t)len);
}

START_TEST(connect_name_no_auth)
{
	struct sx_addr a = { .atyp = SX_ATYP_NAME, .port = 443 };
	char buf[SX_HTTP_REQUEST_MAX];
	static const char want[] = "CONNECT example.com:443 HTTP/1.1\r\n"
				   "Host: example.com:443\r\n\r\n";

	a.namelen = 11;
	memcpy(a.u.name, "example.com", 12);
	ck_assert_int_eq(sx_http_connect_encode(buf, sizeof(buf), &a, NULL, NULL),
			 (ssize_t)strlen(want));
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(sx_http_connect_encode(buf, sizeof(buf), &a, "", "x"),
			 (ssize_t)strlen(want));
}
END_TEST

START_TEST(connect_ip_basic)
{
	struct sx_addr a = { .atyp = SX_ATYP_IPV4, .port = 80,
			     .u.v4 = { 10, 0, 0, 1 } };
	struct sx_addr b = { .atyp = SX_ATYP_IPV6, .port = 8080 };
	char buf[SX_HTTP_REQUEST_MAX];

	/* RFC 7617 section 2's example: Aladdin / open sesame */
	ck_assert_int_gt(sx_http_connect_encode(buf, sizeof(buf), &a, "Aladdin",
						"open sesame"), 0);
	ck_assert_str_eq(buf, "CONNECT 10.0.0.1:80 HTTP/1.1\r\nHost: 10.0.0.1:80"
			 "\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
			 "\r\n\r\n");
	b.u.v6[15] = 1;
	ck_assert_int_gt(sx_http_connect_encode(buf, sizeof(buf), &b, "u", ""), 0);
	ck_assert_str_eq(buf, "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080"
			 "\r\nProxy-Authorization: Basic dTo=\r\n\r\n");
}
END_TEST

START_TEST(connect_refuses_bad_input)
{
	struct sx_addr a = { .atyp = SX_ATYP_NAME, .port = 1, .namelen = 12 };
	char buf[SX_HTTP_REQUEST_MAX];

	memcpy(a.u.name, "a.b\r\nX: evil", 13);
	ck_assert_int_eq(sx_http_connect_encode(buf, sizeof(buf), &a, NULL, NULL),
			 -SX_PERR_NAMELEN);
	memcpy(a.u.name, "a b", 4);
	a.namelen = 3;
	ck_assert_int_eq(sx_http_connect_encode(buf, sizeof(buf), &a, NULL, NULL),
			 -SX_PERR_NAMELEN);
	memcpy(a.u.name, "ab", 3);
	a.namelen = 2;
	ck_assert_int_eq(sx_http_connect_encode(buf, sizeof(buf), &a, "a:b", "p"),
			 -SX_PERR_USERLEN);
	ck_assert_int_eq(sx_http_connect_encode(buf, sizeof(buf), &a, "a", "p\n"),
			 -SX_PERR_PASSLEN);
	ck_assert_int_eq(sx_http_connect_encode(buf, 20, &a, NULL, NULL),
			 -SX_PERR_NOSPACE);
	a.atyp = 9;
	ck_assert_int_eq(sx_http_connect_encode(buf, sizeof(buf), &a, NULL, NULL),
			 -SX_PERR_ATYP);
	ck_assert_int_eq(sx_http_connect_encode(NULL, 1, &a, NULL, NULL),
			 -SX_PERR_ARG);
}
END_TEST

START_TEST(reply_200_exact)
{
	static const char msg[] = "HTTP/1.1 200 Connection established\r\n"
				  "Proxy-Agent: tinyproxy/1.11.1\r\n\r\n";
	char with_data[sizeof(msg) + 8];
	struct sx_http_reply r;
	size_t need;

	parse_whole(msg, strlen(msg), &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(r.nheaders, 1);
	ck_assert_str_eq(r.reason, "Connection established");
	/* the program's data after the empty line is not the reply's */
	memcpy(with_data, msg, strlen(msg));
	memcpy(with_data + strlen(msg), "SSH-2.0", 7);
	ck_assert_int_eq(parse(with_data, strlen(msg) + 7, &r, &need),
			 (ssize_t)strlen(msg));
}
END_TEST

START_TEST(reply_bare_lf_and_no_reason)
{
	static const char msg[] = "HTTP/1.0 200\n\n";
	struct sx_http_reply r;

	parse_whole(msg, strlen(msg), &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.minor, 0);
	ck_assert_str_eq(r.reason, "");
}
END_TEST

START_TEST(reply_407_basic)
{
	static const char msg[] = "HTTP/1.1 407 Proxy Authentication Required\r\n"
				  "Proxy-Authenticate: Basic realm=\"x\"\r\n"
				  "Content-Length: 0\r\n\r\n";
	struct sx_http_reply r;

	parse_whole(msg, strlen(msg), &r);
	ck_assert_int_eq(r.status, 407);
	ck_assert_int_eq(r.auth_basic, 1);
	ck_assert_int_eq(r.nheaders, 2);
	ck_assert_int_eq(sx_http_status_errno(407), EACCES);
}
END_TEST

START_TEST(reply_refused_early)
{
	struct sx_http_reply r;
	size_t need;

	/* a SOCKS 5 method selection: refused at its first byte */
	ck_assert_int_eq(parse("\x05\x00", 1, &r, &need), -SX_PERR_HTTP_STATUS);
	ck_assert_int_eq(parse("HTTX", 4, &r, &need), -SX_PERR_HTTP_STATUS);
	ck_assert_int_eq(parse("HTTP/2 200\r\n", 12, &r, &need),
			 -SX_PERR_HTTP_STATUS);
	ck_assert_int_eq(parse("HTTP/1.1 20x ok\r\n", 17, &r, &need),
			 -SX_PERR_HTTP_STATUS);
	ck_assert_int_eq(parse("HTTP/1.1 200 ok\r\nbad header\r\n", 29, &r,
			       &need), -SX_PERR_HTTP_HEADER);
	ck_assert_int_eq(parse("HTTP/1.1 200 ok\rX", 17, &r, &need),
			 -SX_PERR_HTTP_STATUS);
	ck_assert_int_eq(parse("HTTP/1.1 200 ok\r\nA: \0", 22, &r, &need),
			 -SX_PERR_HTTP_HEADER);
	/* a CR at the end of what is there: wait for the next byte */
	ck_assert_int_eq(parse("HTTP/1.1 200 ok\r", 16, &r, &need), 0);
}
END_TEST

START_TEST(reply_limits)
{
	size_t cap = 3 * SX_HTTP_REPLY_MAX, len, need;
	char *b = malloc(cap);
	struct sx_http_reply r;

	ck_assert_ptr_nonnull(b);
	/* a line one byte over the limit */
	memcpy(b, "HTTP/1.1 200 ", 13);
	memset(b + 13, 'a', SX_HTTP_LINE_MAX);
	ck_assert_int_eq(parse(b, SX_HTTP_LINE_MAX - 2, &r, &need), 0);
	ck_assert_int_eq(parse(b, SX_HTTP_LINE_MAX - 1, &r, &need),
			 -SX_PERR_HTTP_LINE);
	/* a line of exactly the limit, CRLF included, is fine */
	memcpy(b + SX_HTTP_LINE_MAX - 2, "\r\n\r\n", 4);
	ck_assert_int_eq(parse(b, SX_HTTP_LINE_MAX + 2, &r, &need),
			 SX_HTTP_LINE_MAX + 2);
	/* too many header lines */
	len = (size_t)sprintf(b, "HTTP/1.1 200 ok\r\n");
	for (int i = 0; i <= SX_HTTP_HEADERS_MAX; i++)
		len += (size_t)sprintf(b + len, "X: %d\r\n", i);
	ck_assert_int_eq(parse(b, len, &r, &need), -SX_PERR_HTTP_COUNT);
	/* the whole reply too long */
	len = (size_t)sprintf(b, "HTTP/1.1 200 ok\r\n");
	while (len < SX_HTTP_REPLY_MAX + 10)
		len += (size_t)sprintf(b + len, "X: %04000d\r\n", 1);
	ck_assert_int_eq(parse(b, len, &r, &need), -SX_PERR_HTTP_SIZE);
	free(b);
}
END_TEST

START_TEST(status_mapping)
{
	ck_assert_int_eq(sx_http_status_errno(200), 0);
	ck_assert_int_eq(sx_http_status_errno(403), EACCES);
	ck_assert_int_eq(sx_http_status_errno(401), EACCES);
	ck_assert_int_eq(sx_http_status_errno(502), ECONNREFUSED);
	ck_assert_int_eq(sx_http_status_errno(504), ETIMEDOUT);
	ck_assert_int_eq(sx_http_status_errno(405), EOPNOTSUPP);
	ck_assert_int_eq(sx_http_status_errno(418), ECONNREFUSED);
	ck_assert_int_eq(sx_http_status_errno(101), EPROTO);
	ck_assert_int_eq(sx_http_status_errno(302), EPROTO);
	ck_assert_str_eq(sx_http_status_str(407),
			 "the HTTP proxy requires authentication");
	ck_assert_str_eq(sx_perr_str(-SX_PERR_HTTP_LINE), "HTTP line too long");
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, connect_name_no_auth);
	tcase_add_test(tc, connect_ip_basic);
	tcase_add_test(tc, connect_refuses_bad_input);
	tcase_add_test(tc, reply_200_exact);
	tcase_add_test(tc, reply_bare_lf_and_no_reason);
	tcase_add_test(tc, reply_407_basic);
	tcase_add_test(tc, reply_refused_early);
	tcase_add_test(tc, reply_limits);
	tcase_add_test(tc, status_mapping);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
