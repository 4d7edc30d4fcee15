/*
 * fuzz_gss_frame.c - RFC 1961 framing: sx_gss_frame_parse fed as a client
 * reads it, then the whole input as a stream of protected-data frames
 * through the decoder (sx_gss_dec_*), arriving in pieces whose sizes come
 * from the input, with an unwrap that refuses some tokens and returns
 * plaintext of varying length.  Invariants: the decoder never writes
 * past its buffers, plaintext comes out in order and only from complete
 * frames, errors are sticky.  Also the UDP side (RFC 1961 datagrams):
 * sx_gss_dgram_parse on the whole input, the wrap-token sequence number,
 * and the replay window fed 8-byte numbers from the input (a number it
 * accepted is never accepted again).
 */
#include "fuzz.h"

#include <stdbool.h>

#include "socksify/proto.h"

static ssize_t p_frame(const uint8_t *buf, size_t len, size_t *need)
{
	struct sx_gss_frame fr;
	ssize_t r = sx_gss_frame_parse(buf, len, &fr, need);

	if (r > 0 && fr.mtyp != SX_GSS_MTYP_ABORT)
		FUZZ_ASSERT((size_t)r == SX_GSS_HLEN + fr.len &&
			    fr.token == buf + SX_GSS_HLEN, "frame %zd", r);
	return r;
}

/* Plaintext = the token with its first byte dropped; a token starting
 * with 0xEE is refused. */
static int unwrap(void *arg, const uint8_t *tok, size_t len, uint8_t *out,
		  size_t cap, size_t *outlen)
{
	(void)arg;
	FUZZ_ASSERT(len <= cap, "token %zu > cap %zu", len, cap);
	if (len > 0 && tok[0] == 0xEE)
		return -1;
	*outlen = len ? len - 1 : 0;
	if (*outlen)
		memcpy(out, tok + 1, *outlen);
	return 0;
}

static void fuzz_dgram(const uint8_t *data, size_t size)
{
	const uint8_t *tok = NULL;
	ssize_t n = sx_gss_dgram_parse(data, size, &tok);
	struct sx_replay w = { 0 };
	bool accepted[256] = { false };
	uint64_t seq;

	if (n >= 0)
		FUZZ_ASSERT(tok == data + SX_GSS_HLEN &&
			    (size_t)n + SX_GSS_HLEN == size, "dgram %zd", n);
	if (sx_gss_krb5_wrap_seq(data, size, &seq) == 0)
		FUZZ_ASSERT(size >= 16, "seq from %zu bytes", size);
	for (size_t i = 0; i + 8 <= size && i < 8 * 256; i += 8) {
		memcpy(&seq, data + i, 8);
		seq %= 256;             /* small numbers: repeats happen */
		if (sx_replay_check(&w, seq) == 1) {
			FUZZ_ASSERT(!accepted[seq], "seq %u accepted twice",
				    (unsigned)seq);
			accepted[seq] = true;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sx_gss_dec *d;
	uint8_t out[512];
	size_t pos = 0, i = 0;
	int err = 0;

	fuzz_check_stream(p_frame, data, size, 16);
	fuzz_dgram(data, size);

	d = malloc(sizeof(*d));
	if (!d)
		abort();
	sx_gss_dec_init(d);
	while (pos < size && i++ < 4096) {
		size_t room, chunk = 1 + data[pos] % 97;
		uint8_t *space = sx_gss_dec_space(d, &room);
		int r;

		if (chunk > size - pos)
			chunk = size - pos;
		if (room && space) {
			if (chunk > room)
				chunk = room;
			memcpy(space, data + pos, chunk);
			sx_gss_dec_commit(d, chunk);
			pos += chunk;
		}
		while ((r = sx_gss_dec_step(d, unwrap, NULL)) == 1 ||
		       sx_gss_dec_avail(d) > 0) {
			size_t n = sx_gss_dec_take(d, out, sizeof(out), pos & 1);

			FUZZ_ASSERT(n <= sizeof(out), "took %zu", n);
			if (pos & 1)
				sx_gss_dec_take(d, out, sizeof(out), 0);
			if (r != 1 && sx_gss_dec_avail(d) == 0)
				break;
		}
		if (r < 0) {
			FUZZ_ASSERT(!err || r == err, "error changed %d -> %d", err, r);
			err = r;
			FUZZ_ASSERT(sx_gss_dec_step(d, unwrap, NULL) == r,
				    "error not sticky");
			break;
		}
		if (!room)
			break;
	}
	free(d);
	return 0;
}
