/*
 * test_udp.c - unit tests for the SOCKS 5 UDP datagram header
 * (sx_udp_header_encode / sx_udp_header_parse, src/proto/socks5_udp.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/proto.h"

static struct sx_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
			 uint16_t port)
{
	struct sx_addr x;

	memset(&x, 0, sizeof(x));
	x.atyp = SX_ATYP_IPV4;
	x.u.v4[0] = a;
	x.u.v4[1] = b;
	x.u.v4[2] = c;
	x.u.v4[3] = d;
	x.port = port;
	return x;
}

static struct sx_addr name(const char *n, uint16_t port)
{
	struct sx_addr x;

	memset(&x, 0, sizeof(x));
	x.atyp = SX_ATYP_NAME;
	x.namelen = (uint8_t)strlen(n);
	memcpy(x.u.name, n, x.namelen);
	x.port = port;
	return x;
}

START_TEST(encode_ipv4)
{
	static const uint8_t want[] = { 0, 0, 0, 1, 10, 200, 1, 2, 0x30, 0x39 };
	struct sx_addr a = v4(10, 200, 1, 2, 12345);
	uint8_t buf[64];

	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(sx_udp_header_encode(buf, sizeof(buf), 0, &a), 10);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(buf[10], 0xee);
}
END_TEST

START_TEST(encode_ipv6_and_frag)
{
	struct sx_addr a;
	uint8_t buf[64];

	memset(&a, 0, sizeof(a));
	a.atyp = SX_ATYP_IPV6;
	a.u.v6[0] = 0x20;
	a.u.v6[1] = 0x01;
	a.u.v6[15] = 7;
	a.port = 53;
	ck_assert_int_eq(sx_udp_header_encode(buf, sizeof(buf), 3, &a), 22);
	ck_assert_int_eq(buf[0], 0);
	ck_assert_int_eq(buf[1], 0);
	ck_assert_int_eq(buf[2], 3);
	ck_assert_int_eq(buf[3], SX_ATYP_IPV6);
	ck_assert_mem_eq(buf + 4, a.u.v6, 16);
	ck_assert_int_eq(buf[20], 0);
	ck_assert_int_eq(buf[21], 53);
}
END_TEST

START_TEST(encode_name)
{
	struct sx_addr a = name("dns.example", 53);
	uint8_t buf[64];

	ck_assert_int_eq(sx_udp_header_encode(buf, sizeof(buf), 0, &a), 4 + 1 + 11 + 2);
	ck_assert_int_eq(buf[3], SX_ATYP_NAME);
	ck_assert_int_eq(buf[4], 11);
	ck_assert_mem_eq(buf + 5, "dns.example", 11);
	ck_assert_int_eq(buf[16], 0);
	ck_assert_int_eq(buf[17], 53);
}
END_TEST

START_TEST(encode_errors)
{
	struct sx_addr a = v4(1, 2, 3, 4, 5), n = name("x", 1);
	uint8_t buf[SX_UDP_HEADER_MAX];

	ck_assert_int_eq(sx_udp_header_encode(buf, 9, 0, &a), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_udp_header_encode(NULL, 64, 0, &a), -SX_PERR_ARG);
	ck_assert_int_eq(sx_udp_header_encode(buf, sizeof(buf), 0, NULL), -SX_PERR_ARG);
	a.atyp = 2;
	ck_assert_int_eq(sx_udp_header_encode(buf, sizeof(buf), 0, &a), -SX_PERR_ATYP);
	n.namelen = 0;
	ck_assert_int_eq(sx_udp_header_encode(buf, sizeof(buf), 0, &n), -SX_PERR_NAMELEN);
	/* the longest name fits the documented maximum exactly */
	memset(n.u.name, 'a', 255);
	n.namelen = 255;
	ck_assert_int_eq(sx_udp_header_encode(buf, sizeof(buf), 0, &n), SX_UDP_HEADER_MAX);
}
END_TEST

START_TEST(roundtrip_all_types)
{
	struct sx_addr in[3], out;
	uint8_t buf[SX_UDP_HEADER_MAX + 5], frag = 9;
	size_t need = 0;

	in[0] = v4(127, 0, 0, 1, 7);
	memset(&in[1], 0, sizeof(in[1]));
	in[1].atyp = SX_ATYP_IPV6;
	in[1].u.v6[15] = 1;
	in[1].port = 65535;
	in[2] = name("a.b.c", 1);
	for (int i = 0; i < 3; i++) {
		ssize_t n = sx_udp_header_encode(buf, sizeof(buf), 0, &in[i]);

		ck_assert_int_gt(n, 0);
		memcpy(buf + n, "DATA!", 5);
		/* the payload after the header is never part of it */
		ck_assert_int_eq(sx_udp_header_parse(buf, (size_t)n + 5, &frag,
						     &out, &need), n);
		ck_assert_int_eq(frag, 0);
		ck_assert_int_eq(out.atyp, in[i].atyp);
		ck_assert_int_eq(out.port, in[i].port);
		if (in[i].atyp == SX_ATYP_NAME) {
			ck_assert_int_eq(out.namelen, in[i].namelen);
			ck_assert_str_eq(out.u.name, in[i].u.name);
		} else {
			ck_assert_mem_eq(out.u.v6, in[i].u.v6,
					 in[i].atyp == SX_ATYP_IPV4 ? 4 : 16);
		}
	}
}
END_TEST

START_TEST(parse_frag_reported)
{
	uint8_t buf[] = { 0, 0, 1, 1, 127, 0, 0, 1, 0, 80, 'x' };
	uint8_t frag = 0;
	struct sx_addr a;

	ck_assert_int_eq(sx_udp_header_parse(buf, sizeof(buf), &frag, &a, NULL), 10);
	ck_assert_int_eq(frag, 1);
	/* RSV is not checked (servers are lax) */
	buf[0] = 0xff;
	ck_assert_int_eq(sx_udp_header_parse(buf, sizeof(buf), NULL, NULL, NULL), 10);
}
END_TEST

START_TEST(parse_short_and_bad)
{
	uint8_t v4h[] = { 0, 0, 0, 1, 127, 0, 0, 1, 0, 80 };
	uint8_t v6h[22] = { 0, 0, 0, 4 };
	uint8_t nh[] = { 0, 0, 0, 3, 3, 'a', 'b', 'c', 0, 53 };
	size_t need = 0;

	for (size_t n = 0; n < sizeof(v4h); n++) {
		need = 0;
		ck_assert_int_eq(sx_udp_header_parse(v4h, n, NULL, NULL, &need), 0);
		ck_assert_uint_gt(need, n);
	}
	ck_assert_int_eq(sx_udp_header_parse(v6h, 21, NULL, NULL, &need), 0);
	ck_assert_uint_eq(need, 22);
	ck_assert_int_eq(sx_udp_header_parse(v6h, 22, NULL, NULL, &need), 22);
	ck_assert_int_eq(sx_udp_header_parse(nh, 9, NULL, NULL, &need), 0);
	ck_assert_uint_eq(need, 10);
	ck_assert_int_eq(sx_udp_header_parse(nh, 10, NULL, NULL, &need), 10);
	nh[4] = 0;
	ck_assert_int_eq(sx_udp_header_parse(nh, 10, NULL, NULL, &need), -SX_PERR_NAMELEN);
	v4h[3] = 5;
	ck_assert_int_eq(sx_udp_header_parse(v4h, 10, NULL, NULL, &need), -SX_PERR_ATYP);
	ck_assert_int_eq(sx_udp_header_parse(NULL, 3, NULL, NULL, &need), -SX_PERR_ARG);
}
END_TEST

/* Every byte string either parses within its length or is rejected. */
START_TEST(parse_random_never_overreads)
{
	uint8_t buf[300];
	struct sx_addr a;
	uint8_t frag;
	size_t need;

	srand(1928);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand() % sizeof(buf);
		ssize_t r;

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand();
		if (len > 3 && (i & 1))
			buf[3] = (uint8_t)(1 + rand() % 4);
		need = 0;
		r = sx_udp_header_parse(buf, len, &frag, &a, &need);
		if (r > 0)
			ck_assert_uint_le((size_t)r, len);
		else if (r == 0)
			ck_assert_uint_gt(need, len);
	}
}
END_TEST

static Suite *udp_suite(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("header");

	tcase_add_test(tc, encode_ipv4);
	tcase_add_test(tc, encode_ipv6_and_frag);
	tcase_add_test(tc, encode_name);
	tcase_add_test(tc, encode_errors);
	tcase_add_test(tc, roundtrip_all_types);
	tcase_add_test(tc, parse_frag_reported);
	tcase_add_test(tc, parse_short_and_bad);
	tcase_add_test(tc, parse_random_never_overreads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(udp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
