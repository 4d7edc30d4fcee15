/*
 * test_gss.c - RFC 1961 framing and the protected-stream decoder
 * (src/proto/gss.c), with a mock unwrap: a token is a tag byte 0xA5
 * followed by the plaintext XOR 0x5A, so a wrong boundary or a corrupted
 * byte shows.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/proto.h"

#define TAG 0xA5
#define MASK 0x5A

static int unwrap_calls;

static int mock_unwrap(void *arg, const uint8_t *tok, size_t len, uint8_t *out,
		       size_t cap, size_t *outlen)
{
	(void)arg;
	unwrap_calls++;
	if (len < 1 || tok[0] != TAG || len - 1 > cap)
		return -1;
	for (size_t i = 1; i < len; i++)
		out[i - 1] = tok[i] ^ MASK;
	*outlen = len - 1;
	return 0;
}

/* Append one 01 03 frame carrying plain[0..n) to buf at *pos. */
static void put_frame(uint8_t *buf, size_t *pos, const uint8_t *plain, size_t n)
{
	ck_assert_int_eq(sx_gss_header_encode(buf + *pos, 4, SX_GSS_MTYP_DATA, n + 1), 4);
	*pos += 4;
	buf[(*pos)++] = TAG;
	for (size_t i = 0; i < n; i++)
		buf[(*pos)++] = plain[i] ^ MASK;
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 8) * 7 + 3);
}

/* A stream of frames of the given plaintext sizes; *plainlen = total plaintext. */
static uint8_t *make_stream(const size_t *sizes, size_t nsizes, size_t *len,
			    size_t *plainlen)
{
	size_t total = 0, pos = 0, off = 0;
	uint8_t *buf, *tmp;

	for (size_t i = 0; i < nsizes; i++)
		total += 5 + sizes[i];
	buf = malloc(total ? total : 1);
	tmp = malloc(SX_GSS_MAXTOKEN);
	ck_assert(buf && tmp);
	for (size_t i = 0; i < nsizes; i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			tmp[j] = pattern(off + j);
		put_frame(buf, &pos, tmp, sizes[i]);
		off += sizes[i];
	}
	free(tmp);
	*len = pos;
	*plainlen = off;
	return buf;
}

/* Decode everything available; append to out at *got. */
static void drain(struct sx_gss_dec *d, uint8_t *out, size_t *got, size_t cap)
{
	int r;

	for (;;) {
		*got += sx_gss_dec_take(d, out + *got, cap - *got, 0);
		r = sx_gss_dec_step(d, mock_unwrap, NULL);
		ck_assert_int_ge(r, 0);
		if (r == 0 && sx_gss_dec_avail(d) == 0)
			return;
	}
}

/* Feed in[0..len) in pieces of the sizes cut[] (cyclic), decode all. */
static void feed(struct sx_gss_dec *d, const uint8_t *in, size_t len,
		 size_t piece, uint8_t *out, size_t *got, size_t cap)
{
	size_t pos = 0;

	while (pos < len) {
		size_t room, n = len - pos < piece ? len - pos : piece;
		uint8_t *sp = sx_gss_dec_space(d, &room);

		ck_assert_uint_gt(room, 0);
		if (n > room)
			n = room;
		memcpy(sp, in + pos, n);
		sx_gss_dec_commit(d, n);
		pos += n;
		drain(d, out, got, cap);
	}
}

static void check_plain(const uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (out[i] != pattern(i))
			ck_abort_msg("plaintext byte %zu wrong", i);
}

/* ---- framing ----------------------------------------------------------- */

START_TEST(frame_parse_prefixes)
{
	uint8_t buf[4 + 3] = { 1, 1, 0, 3, 'a', 'b', 'c' };
	struct sx_gss_frame f;
	size_t need = 0;

	for (size_t n = 0; n < sizeof(buf); n++) {
		uint8_t *b = malloc(n ? n : 1);

		memcpy(b, buf, n);
		ck_assert_int_eq(sx_gss_frame_parse(b, n, &f, &need), 0);
		ck_assert_uint_gt(need, n);
		ck_assert_uint_le(need, sizeof(buf));
		free(b);
	}
	ck_assert_int_eq(sx_gss_frame_parse(buf, sizeof(buf), &f, &need), 7);
	ck_assert_uint_eq(f.mtyp, 1);
	ck_assert_uint_eq(f.len, 3);
	ck_assert(memcmp(f.token, "abc", 3) == 0);
}
END_TEST

START_TEST(frame_abort_and_errors)
{
	const uint8_t abort_msg[] = { 1, 0xff, 9, 9 };
	const uint8_t badver[] = { 5, 1, 0, 0 };
	const uint8_t badtyp[] = { 1, 4, 0, 0 };
	struct sx_gss_frame f;
	size_t need;

	ck_assert_int_eq(sx_gss_frame_parse(abort_msg, 2, &f, &need), 2);
	ck_assert_uint_eq(f.mtyp, SX_GSS_MTYP_ABORT);
	ck_assert_int_eq(sx_gss_frame_parse(abort_msg, 4, &f, &need), 2);
	ck_assert_int_eq(sx_gss_frame_parse(badver, 1, &f, &need), -SX_PERR_VERSION);
	ck_assert_int_eq(sx_gss_frame_parse(badtyp, 2, &f, &need), -SX_PERR_GSS_MTYP);
	ck_assert_str_ne(sx_perr_str(SX_PERR_GSS_MTYP), "unknown error");
	ck_assert_str_ne(sx_perr_str(-SX_PERR_GSS_ABORT), "unknown error");
	ck_assert_str_ne(sx_perr_str(SX_PERR_GSS_UNWRAP), "unknown error");
}
END_TEST

START_TEST(frame_encode)
{
	uint8_t buf[8], *big = calloc(1, 4 + 65536);
	struct sx_gss_frame f;
	size_t need;

	ck_assert_int_eq(sx_gss_frame_encode(buf, sizeof(buf), 2, (const uint8_t *)"xy", 2), 6);
	ck_assert(memcmp(buf, "\x01\x02\x00\x02xy", 6) == 0);
	ck_assert_int_eq(sx_gss_frame_encode(buf, 5, 2, (const uint8_t *)"xy", 2), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_gss_header_encode(buf, 3, 3, 1), -SX_PERR_NOSPACE);
	ck_assert_int_eq(sx_gss_header_encode(buf, 4, 3, 65536), -SX_PERR_ARG);
	ck_assert_int_eq(sx_gss_header_encode(buf, 4, 0xff, 0), -SX_PERR_ARG);
	ck_assert_int_eq(sx_gss_frame_encode(big, 4 + 65535, 3, big + 4, 65535), 4 + 65535);
	ck_assert(memcmp(big, "\x01\x03\xff\xff", 4) == 0);
	ck_assert_int_eq(sx_gss_frame_parse(big, 4 + 65535, &f, &need), 4 + 65535);
	ck_assert_uint_eq(f.len, 65535);
	free(big);
}
END_TEST

/* ---- datagrams (UDP through the relay) -------------------------------- */

START_TEST(dgram_exact_message)
{
	const uint8_t dg[] = { 1, 3, 0, 3, 'a', 'b', 'c' };
	const uint8_t empty[] = { 1, 3, 0, 0 };
	const uint8_t *tok = NULL;
	uint8_t *big = calloc(1, 4 + 65535);

	ck_assert_int_eq(sx_gss_dgram_parse(dg, sizeof(dg), &tok), 3);
	ck_assert_ptr_eq(tok, dg + 4);
	ck_assert_int_eq(sx_gss_dgram_parse(empty, sizeof(empty), &tok), 0);
	ck_assert_ptr_eq(tok, empty + 4);
	/* the largest token LEN can name */
	ck_assert_int_eq(sx_gss_frame_encode(big, 4 + 65535, 3, big + 4, 65535), 4 + 65535);
	ck_assert_int_eq(sx_gss_dgram_parse(big, 4 + 65535, &tok), 65535);
	free(big);
}
END_TEST

START_TEST(dgram_rejects)
{
	const uint8_t dg[] = { 1, 3, 0, 3, 'a', 'b', 'c', 'X' };
	const uint8_t auth[] = { 1, 1, 0, 1, 'a' };
	const uint8_t prot[] = { 1, 2, 0, 1, 'a' };
	const uint8_t abort_msg[] = { 1, 0xff };
	const uint8_t badver[] = { 5, 3, 0, 1, 'a' };
	const uint8_t badtyp[] = { 1, 9, 0, 1, 'a' };
	const uint8_t *tok = NULL;

	/* shorter than LEN says, at every length; a bare prefix of a header */
	for (size_t n = 0; n < 7; n++)
		ck_assert_int_eq(sx_gss_dgram_parse(dg, n, &tok), -SX_PERR_GSS_DGRAM);
	/* bytes after the message: they would be unprotected */
	ck_assert_int_eq(sx_gss_dgram_parse(dg, 8, &tok), -SX_PERR_GSS_DGRAM);
	ck_assert_int_eq(sx_gss_dgram_parse(auth, sizeof(auth), &tok), -SX_PERR_GSS_MTYP);
	ck_assert_int_eq(sx_gss_dgram_parse(prot, sizeof(prot), &tok), -SX_PERR_GSS_MTYP);
	ck_assert_int_eq(sx_gss_dgram_parse(abort_msg, 2, &tok), -SX_PERR_GSS_MTYP);
	ck_assert_int_eq(sx_gss_dgram_parse(badver, sizeof(badver), &tok), -SX_PERR_VERSION);
	ck_assert_int_eq(sx_gss_dgram_parse(badtyp, sizeof(badtyp), &tok), -SX_PERR_GSS_MTYP);
	ck_assert_int_eq(sx_gss_dgram_parse(NULL, 0, &tok), -SX_PERR_GSS_DGRAM);
	ck_assert_int_eq(sx_gss_dgram_parse(NULL, 4, &tok), -SX_PERR_ARG);
	ck_assert_int_eq(sx_gss_dgram_parse(dg, 7, NULL), -SX_PERR_ARG);
	ck_assert_ptr_null(tok);
	ck_assert_str_ne(sx_perr_str(-SX_PERR_GSS_DGRAM), "unknown error");
}
END_TEST

START_TEST(krb5_wrap_seq)
{
	uint8_t tok[16] = { 0x05, 0x04, 0x01, 0xff, 0, 12, 0, 0,
			    0, 0, 0, 0, 0x26, 0x34, 0x66, 0x84 };
	uint64_t seq = 7;

	ck_assert_int_eq(sx_gss_krb5_wrap_seq(tok, sizeof(tok), &seq), 0);
	ck_assert(seq == 0x26346684u);
	tok[8] = 0x80;
	ck_assert_int_eq(sx_gss_krb5_wrap_seq(tok, sizeof(tok), &seq), 0);
	ck_assert(seq == (0x80ull << 56 | 0x26346684u));
	seq = 7;
	ck_assert_int_eq(sx_gss_krb5_wrap_seq(tok, 15, &seq), -1);
	tok[1] = 0x05;          /* a MIC token, not a wrap token */
	ck_assert_int_eq(sx_gss_krb5_wrap_seq(tok, sizeof(tok), &seq), -1);
	tok[0] = 0x60;          /* RFC 1964 (ASN.1 framed) tokens: no */
	tok[1] = 0x04;
	ck_assert_int_eq(sx_gss_krb5_wrap_seq(tok, sizeof(tok), &seq), -1);
	ck_assert(seq == 7);
	ck_assert_int_eq(sx_gss_krb5_wrap_seq(NULL, 16, &seq), -1);
}
END_TEST

START_TEST(replay_window)
{
	struct sx_replay w;

	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(sx_replay_check(&w, 1000), 1);    /* any start */
	ck_assert_int_eq(sx_replay_check(&w, 1000), 0);    /* repeated */
	ck_assert_int_eq(sx_replay_check(&w, 1001), 1);
	ck_assert_int_eq(sx_replay_check(&w, 1005), 1);    /* a gap: fine */
	ck_assert_int_eq(sx_replay_check(&w, 1003), 1);    /* late: fine */
	ck_assert_int_eq(sx_replay_check(&w, 1003), 0);
	ck_assert_int_eq(sx_replay_check(&w, 1002), 1);
	ck_assert_int_eq(sx_replay_check(&w, 1004), 1);
	for (uint64_t s = 1000; s <= 1005; s++)
		ck_assert_int_eq(sx_replay_check(&w, s), 0);
	ck_assert_int_eq(sx_replay_check(&w, 999), 1);     /* before the start, in the window */
	/* the window: 64 numbers up to the highest */
	ck_assert_int_eq(sx_replay_check(&w, 1005 + 63), 1);
	ck_assert_int_eq(sx_replay_check(&w, 1005), 0);    /* still remembered */
	ck_assert_int_eq(sx_replay_check(&w, 1006), 1);    /* never seen, in the window */
	ck_assert_int_eq(sx_replay_check(&w, 1004), 0);    /* fell out: too old */
	/* a jump past the window forgets everything before it */
	ck_assert_int_eq(sx_replay_check(&w, 5000), 1);
	ck_assert_int_eq(sx_replay_check(&w, 5000 - 63), 1);
	ck_assert_int_eq(sx_replay_check(&w, 5000 - 64), 0);
	ck_assert_int_eq(sx_replay_check(&w, 1068), 0);
	/* exactly 64 ahead: the old top falls out */
	ck_assert_int_eq(sx_replay_check(&w, 5064), 1);
	ck_assert_int_eq(sx_replay_check(&w, 5000), 0);
	ck_assert_int_eq(sx_replay_check(&w, 5001), 1);
	/* the largest numbers */
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(sx_replay_check(&w, UINT64_MAX), 1);
	ck_assert_int_eq(sx_replay_check(&w, UINT64_MAX), 0);
	ck_assert_int_eq(sx_replay_check(&w, 0), 0);
}
END_TEST

/* ---- decoder ----------------------------------------------------------- */

static const size_t small_sizes[] = { 0, 1, 2, 17, 3, 0, 100, 5 };

/* Every way of cutting the stream in two, and every piece size. */
START_TEST(dec_split_at_every_byte)
{
	size_t len, plainlen, got;
	uint8_t *in = make_stream(small_sizes, sizeof(small_sizes) / sizeof(small_sizes[0]),
				  &len, &plainlen);
	uint8_t out[256];
	struct sx_gss_dec *d = malloc(sizeof(*d));

	for (size_t cut = 0; cut <= len; cut++) {
		sx_gss_dec_init(d);
		got = 0;
		feed(d, in, cut, len + 1, out, &got, sizeof(out));
		feed(d, in + cut, len - cut, len + 1, out, &got, sizeof(out));
		ck_assert_uint_eq(got, plainlen);
		check_plain(out, got);
		ck_assert_uint_eq(sx_gss_dec_partial(d), 0);
	}
	for (size_t piece = 1; piece <= len; piece++) {
		sx_gss_dec_init(d);
		got = 0;
		feed(d, in, len, piece, out, &got, sizeof(out));
		ck_assert_uint_eq(got, plainlen);
		check_plain(out, got);
	}
	free(d);
	free(in);
}
END_TEST

START_TEST(dec_several_frames_one_read)
{
	size_t len, plainlen, got = 0;
	uint8_t *in = make_stream(small_sizes, sizeof(small_sizes) / sizeof(small_sizes[0]),
				  &len, &plainlen);
	uint8_t out[256];
	struct sx_gss_dec *d = malloc(sizeof(*d));

	sx_gss_dec_init(d);
	unwrap_calls = 0;
	feed(d, in, len, len, out, &got, sizeof(out));
	ck_assert_uint_eq(got, plainlen);
	ck_assert_int_eq(unwrap_calls, (int)(sizeof(small_sizes) / sizeof(small_sizes[0])));
	check_plain(out, got);
	free(d);
	free(in);
}
END_TEST

/* Frames of 65535-byte tokens, fed one byte at a time, then all at once. */
START_TEST(dec_max_size_frames)
{
	const size_t sizes[] = { SX_GSS_MAXTOKEN - 1, 7, SX_GSS_MAXTOKEN - 1,
				 SX_GSS_MAXTOKEN - 1 };
	size_t len, plainlen, got = 0, cap = 4 * SX_GSS_MAXTOKEN;
	uint8_t *in = make_stream(sizes, 4, &len, &plainlen);
	uint8_t *out = malloc(cap);
	struct sx_gss_dec *d = malloc(sizeof(*d));

	sx_gss_dec_init(d);
	feed(d, in, len, 1, out, &got, cap);
	ck_assert_uint_eq(got, plainlen);
	check_plain(out, got);

	sx_gss_dec_init(d);
	got = 0;
	feed(d, in, len, len, out, &got, cap);
	ck_assert_uint_eq(got, plainlen);
	check_plain(out, got);

	/* Odd piece sizes straddle the compaction of the raw buffer. */
	sx_gss_dec_init(d);
	got = 0;
	feed(d, in, len, 40000, out, &got, cap);
	ck_assert_uint_eq(got, plainlen);
	check_plain(out, got);
	free(out);
	free(d);
	free(in);
}
END_TEST

START_TEST(dec_partial_reads_and_peek)
{
	const size_t sizes[] = { 10, 10 };
	size_t len, plainlen, room;
	uint8_t *in = make_stream(sizes, 2, &len, &plainlen), out[32];
	struct sx_gss_dec *d = malloc(sizeof(*d));
	uint8_t *sp;

	sx_gss_dec_init(d);
	sp = sx_gss_dec_space(d, &room);
	memcpy(sp, in, len - 3);                /* the second frame incomplete */
	sx_gss_dec_commit(d, len - 3);
	ck_assert_int_eq(sx_gss_dec_step(d, mock_unwrap, NULL), 1);
	ck_assert_uint_eq(sx_gss_dec_avail(d), 10);
	ck_assert_uint_eq(sx_gss_dec_take(d, out, 4, 1), 4);     /* peek */
	ck_assert_uint_eq(sx_gss_dec_avail(d), 10);
	ck_assert_uint_eq(sx_gss_dec_take(d, out, 4, 0), 4);
	check_plain(out, 4);
	ck_assert_int_eq(sx_gss_dec_step(d, mock_unwrap, NULL), 0);  /* not taken yet */
	ck_assert_uint_eq(sx_gss_dec_take(d, out + 4, 100, 0), 6);
	ck_assert_int_eq(sx_gss_dec_step(d, mock_unwrap, NULL), 0);  /* incomplete */
	ck_assert_uint_eq(sx_gss_dec_partial(d), len - 3 - 15);
	sp = sx_gss_dec_space(d, &room);
	memcpy(sp, in + len - 3, 3);
	sx_gss_dec_commit(d, 3);
	ck_assert_int_eq(sx_gss_dec_step(d, mock_unwrap, NULL), 1);
	ck_assert_uint_eq(sx_gss_dec_take(d, out + 10, 100, 0), 10);
	check_plain(out, 20);
	ck_assert_uint_eq(sx_gss_dec_partial(d), 0);
	free(d);
	free(in);
}
END_TEST

static int dec_one(const uint8_t *bytes, size_t n)
{
	struct sx_gss_dec *d = malloc(sizeof(*d));
	size_t room;
	int r;

	sx_gss_dec_init(d);
	memcpy(sx_gss_dec_space(d, &room), bytes, n);
	sx_gss_dec_commit(d, n);
	r = sx_gss_dec_step(d, mock_unwrap, NULL);
	/* Errors are sticky. */
	if (r < 0)
		ck_assert_int_eq(sx_gss_dec_step(d, mock_unwrap, NULL), r);
	free(d);
	return r;
}

START_TEST(dec_errors)
{
	const uint8_t abort_msg[] = { 1, 0xff };
	const uint8_t badtag[] = { 1, 3, 0, 2, 0x00, 0x11 };
	const uint8_t auth_msg[] = { 1, 1, 0, 1, TAG };
	const uint8_t badver[] = { 2, 3, 0, 1, TAG };

	ck_assert_int_eq(dec_one(abort_msg, 2), -SX_PERR_GSS_ABORT);
	ck_assert_int_eq(dec_one(badtag, 6), -SX_PERR_GSS_UNWRAP);
	ck_assert_int_eq(dec_one(auth_msg, 5), -SX_PERR_GSS_MTYP);
	ck_assert_int_eq(dec_one(badver, 5), -SX_PERR_VERSION);
}
END_TEST

static Suite *gss_suite(void)
{
	Suite *s = suite_create("gss");
	TCase *tc = tcase_create("framing");

	tcase_add_test(tc, frame_parse_prefixes);
	tcase_add_test(tc, frame_abort_and_errors);
	tcase_add_test(tc, frame_encode);
	tcase_add_test(tc, dgram_exact_message);
	tcase_add_test(tc, dgram_rejects);
	tcase_add_test(tc, krb5_wrap_seq);
	tcase_add_test(tc, replay_window);
	suite_add_tcase(s, tc);
	tc = tcase_create("decoder");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, dec_split_at_every_byte);
	tcase_add_test(tc, dec_several_frames_one_read);
	tcase_add_test(tc, dec_max_size_frames);
	tcase_add_test(tc, dec_partial_reads_and_peek);
	tcase_add_test(tc, dec_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gss_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
