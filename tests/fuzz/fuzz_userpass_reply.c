/*
 * fuzz_userpass_reply.c - the RFC 1929 reply parser
 * (sx_userpass_reply_parse), fed as a client reads it, and then the
 * SOCKS 5 reply that follows it in the stream.
 */
#include "fuzz.h"

#include "socksify/proto.h"

static ssize_t p_up(const uint8_t *buf, size_t len, size_t *need)
{
	uint8_t st = 0xAA;
	ssize_t r = sx_userpass_reply_parse(buf, len, &st, need);

	if (r <= 0) {
		FUZZ_ASSERT(st == 0xAA, "status written without a reply");
		return r;
	}
	FUZZ_ASSERT(r == 2 && buf[0] == 0x01 && st == buf[1], "reply %zd", r);
	return r;
}

static ssize_t p_reply(const uint8_t *buf, size_t len, size_t *need)
{
	struct sx_s5_reply rep;

	return sx_s5_reply_parse(buf, len, &rep, need);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ssize_t r = fuzz_check_stream(p_up, data, size, 16);

	if (r > 0)
		fuzz_check_stream(p_reply, data + r, size - (size_t)r, 40);
	return 0;
}
