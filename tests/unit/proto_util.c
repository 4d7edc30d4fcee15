/*
 * proto_util.c - helpers of the unit tests of the protocol layer
 * (test_proto.c, test_socks5.c): parsers fed exact heap copies, so that
 * AddressSanitizer catches any read beyond len, byte by byte.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto_util.h"

/* A heap copy of exactly n bytes (malloc(0) is fine: nothing may be read). */
uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(b);
	if (n)
		memcpy(b, p, n);
	return b;
}

ssize_t p_method(const uint8_t *buf, size_t len, size_t *need)
{
	uint8_t m;

	return sx_s5_method_parse(buf, len, &m, need);
}

ssize_t p_userpass(const uint8_t *buf, size_t len, size_t *need)
{
	uint8_t st;

	return sx_userpass_reply_parse(buf, len, &st, need);
}

ssize_t p_s5reply(const uint8_t *buf, size_t len, size_t *need)
{
	struct sx_s5_reply r;

	return sx_s5_reply_parse(buf, len, &r, need);
}

ssize_t p_s4reply(const uint8_t *buf, size_t len, size_t *need)
{
	uint8_t code;
	struct sx_addr a;

	return sx_s4_reply_parse(buf, len, &code, &a, need);
}

ssize_t parse_exact(parse_fn fn, const uint8_t *msg, size_t len,
			   size_t *need)
{
	uint8_t *b = dup_exact(msg, len);
	ssize_t r = fn(b, len, need);

	free(b);
	return r;
}

/*
 * Feed msg (a complete message of msg_len bytes) one byte at a time:
 * every proper prefix must be "incomplete" with len < need <= msg_len,
 * and the full message must parse to exactly msg_len.  Then act like a
 * real caller that reads exactly (need - len) bytes each time, and check
 * that it reaches the end in `steps` reads without overshooting.
 */
void feed(parse_fn fn, const uint8_t *msg, size_t msg_len,
		 size_t steps)
{
	size_t len, need, n;
	ssize_t r;

	for (len = 0; len < msg_len; len++) {
		need = (size_t)-1;
		r = parse_exact(fn, msg, len, &need);
		ck_assert_msg(r == 0, "len %zu: got %zd, want 0", len, r);
		ck_assert_msg(need > len && need <= msg_len,
			      "len %zu: need %zu, message is %zu bytes",
			      len, need, msg_len);
	}
	r = parse_exact(fn, msg, msg_len, &need);
	ck_assert_int_eq(r, (ssize_t)msg_len);

	for (len = 0, n = 0;; n++) {
		r = parse_exact(fn, msg, len, &need);
		if (r != 0)
			break;
		ck_assert_uint_gt(need, len);
		ck_assert_uint_le(need, msg_len);
		len = need;
	}
	ck_assert_int_eq(r, (ssize_t)msg_len);
	ck_assert_uint_eq(len, msg_len);
	ck_assert_uint_eq(n, steps);
}

/* msg followed by program data: only the message's length is returned. */
void with_trailer(parse_fn fn, const uint8_t *msg, size_t msg_len)
{
	uint8_t big[600];
	size_t need = 12345;

	ck_assert_uint_le(msg_len + 40, sizeof(big));
	memcpy(big, msg, msg_len);
	memset(big + msg_len, 0x05, 40);   /* looks like more SOCKS bytes */
	ck_assert_int_eq(parse_exact(fn, big, msg_len + 1, &need),
			 (ssize_t)msg_len);
	ck_assert_int_eq(parse_exact(fn, big, msg_len + 40, &need),
			 (ssize_t)msg_len);
	ck_assert_uint_eq(need, 12345);     /* untouched when complete */
}

void name_addr(struct sx_addr *a, const char *name, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->atyp = SX_ATYP_NAME;
	a->namelen = (uint8_t)strlen(name);
	memcpy(a->u.name, name, strlen(name) + 1);
	a->port = port;
}

void v4_addr(struct sx_addr *a, uint8_t b0, uint8_t b1, uint8_t b2,
		    uint8_t b3, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->atyp = SX_ATYP_IPV4;
	a->u.v4[0] = b0;
	a->u.v4[1] = b1;
	a->u.v4[2] = b2;
	a->u.v4[3] = b3;
	a->port = port;
}

/* A 255-character name "aaaa...a" ending in "z" (NUL-terminated). */
void long_name(char out[256])
{
	memset(out, 'a', 254);
	out[254] = 'z';
	out[255] = '\0';
}
