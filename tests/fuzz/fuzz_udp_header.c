/*
 * fuzz_udp_header.c - the RFC 1928 UDP request header parser on whole
 * datagrams (a datagram never grows: a short one is 0 and dropped), and
 * encode(parse(x)) == the header bytes for every header that parses
 * (but for a name with a NUL in it, which the encoder refuses).
 */
#include "fuzz.h"

#include "socksify/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fuzz_dup(data, size), enc[SX_UDP_HEADER_MAX];
	struct sx_addr src;
	uint8_t frag = 0;
	size_t need = 0;
	ssize_t r = sx_udp_header_parse(b, size, &frag, &src, &need);

	if (r == 0)
		FUZZ_ASSERT(need > size, "need %zu <= len %zu", need, size);
	if (r > 0) {
		ssize_t e;

		FUZZ_ASSERT((size_t)r <= size && r <= SX_UDP_HEADER_MAX,
			    "header %zd of %zu", r, size);
		e = sx_udp_header_encode(enc, sizeof(enc), frag, &src);
		/* A name with a NUL in it parses (it is only reported) but
		 * is never sent. */
		if (src.atyp == SX_ATYP_NAME &&
		    memchr(src.u.name, 0, src.namelen)) {
			FUZZ_ASSERT(e == -SX_PERR_NAMELEN, "NUL name encoded");
			free(b);
			return 0;
		}
		FUZZ_ASSERT(e == r, "re-encoded %zd, parsed %zd", e, r);
		/* RSV is written as 0; everything after it must match. */
		FUZZ_ASSERT(memcmp(enc + 2, b + 2, (size_t)r - 2) == 0,
			    "re-encoding differs");
	}
	free(b);
	return 0;
}
