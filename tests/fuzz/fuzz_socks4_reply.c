/*
 * fuzz_socks4_reply.c - the SOCKS 4/4a reply parser (sx_s4_reply_parse),
 * fed as a client reads it (see fuzz_check_stream in fuzz.h).
 */
#include "fuzz.h"

#include "socksify/proto.h"

static ssize_t p_s4(const uint8_t *buf, size_t len, size_t *need)
{
	struct sx_addr a;
	uint8_t code = 0xAA;
	ssize_t r;

	memset(&a, 0xAA, sizeof a);
	r = sx_s4_reply_parse(buf, len, &code, &a, need);
	if (r <= 0) {
		FUZZ_ASSERT(code == 0xAA, "code written without a reply");
		return r;
	}
	FUZZ_ASSERT(r == 8 && buf[0] == 0, "reply of %zd bytes", r);
	FUZZ_ASSERT(code == buf[1] && a.atyp == SX_ATYP_IPV4, "code/atyp");
	FUZZ_ASSERT(a.port == (buf[2] << 8 | buf[3]), "port");
	FUZZ_ASSERT(memcmp(a.u.v4, buf + 4, 4) == 0, "address");
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fuzz_dup(data, size);
	size_t need;

	fuzz_check_stream(p_s4, data, size, 32);
	FUZZ_ASSERT(sx_s4_reply_parse(b, size, NULL, NULL, NULL) ==
		    p_s4(b, size, &need), "NULL outputs");
	free(b);
	/* Text and errno tables are total functions. */
	if (size >= 2) {
		FUZZ_ASSERT(sx_s4_rep_str(data[1]) != NULL, "rep_str");
		FUZZ_ASSERT((sx_s4_rep_errno(data[1]) == 0) ==
			    (data[1] == SX_S4_REP_GRANTED), "rep_errno");
	}
	return 0;
}
