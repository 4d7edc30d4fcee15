/*
 * fuzz_socks5_reply.c - the SOCKS 5 method selection and reply parsers
 * (sx_s5_method_parse, sx_s5_reply_parse), fed as a client reads them.
 *
 * The input is what a server sends: a method selection, then a reply to
 * CONNECT.  Each parser is checked on every prefix of its stream and with
 * the reading loop of a client (fuzz_check_stream); a complete reply is
 * compared field by field with the bytes it came from.
 */
#include "fuzz.h"

#include "socksify/proto.h"

static ssize_t p_method(const uint8_t *buf, size_t len, size_t *need)
{
	uint8_t m = 0xAA;
	ssize_t r = sx_s5_method_parse(buf, len, &m, need);

	FUZZ_ASSERT(r > 0 ? m == buf[1] : m == 0xAA, "method %u", m);
	FUZZ_ASSERT(r <= 0 || r == 2, "method selection of %zd bytes", r);
	return r;
}

static ssize_t p_reply(const uint8_t *buf, size_t len, size_t *need)
{
	struct sx_s5_reply rep;
	ssize_t r;

	memset(&rep, 0xAA, sizeof rep);
	r = sx_s5_reply_parse(buf, len, &rep, need);
	if (r <= 0)
		return r;
	FUZZ_ASSERT(r >= 8 && r <= 4 + 1 + 255 + 2, "reply of %zd bytes", r);
	FUZZ_ASSERT(rep.rep == buf[1] && rep.bound.atyp == buf[3], "rep/atyp");
	FUZZ_ASSERT(rep.bound.port == (buf[r - 2] << 8 | buf[r - 1]), "port");
	switch (buf[3]) {
	case SX_ATYP_IPV4:
		FUZZ_ASSERT(r == 10 && memcmp(rep.bound.u.v4, buf + 4, 4) == 0, "v4");
		break;
	case SX_ATYP_IPV6:
		FUZZ_ASSERT(r == 22 && memcmp(rep.bound.u.v6, buf + 4, 16) == 0, "v6");
		break;
	case SX_ATYP_NAME:
		FUZZ_ASSERT(buf[4] > 0 && rep.bound.namelen == buf[4] &&
			    r == 7 + buf[4], "name length");
		FUZZ_ASSERT(memcmp(rep.bound.u.name, buf + 5, buf[4]) == 0 &&
			    rep.bound.u.name[buf[4]] == '\0', "name");
		break;
	default:
		FUZZ_ASSERT(0, "accepted ATYP %u", buf[3]);
	}
	return r;
}

/* The same parsers with NULL output pointers must agree. */
static void null_outputs(const uint8_t *data, size_t size)
{
	uint8_t *b = fuzz_dup(data, size);
	struct sx_s5_reply rep;
	uint8_t m;
	size_t need;

	FUZZ_ASSERT(sx_s5_method_parse(b, size, NULL, NULL) ==
		    sx_s5_method_parse(b, size, &m, &need), "method NULL");
	FUZZ_ASSERT(sx_s5_reply_parse(b, size, NULL, NULL) ==
		    sx_s5_reply_parse(b, size, &rep, &need), "reply NULL");
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ssize_t r;

	null_outputs(data, size);
	r = fuzz_check_stream(p_method, data, size, 16);
	/* After the method selection comes the reply (as in a real
	 * handshake without authentication), and also the reply alone. */
	if (r > 0)
		fuzz_check_stream(p_reply, data + r, size - (size_t)r, 40);
	fuzz_check_stream(p_reply, data, size, 40);
	return 0;
}
