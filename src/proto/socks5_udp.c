/*
 * socks5_udp.c - the header of a UDP datagram relayed by a SOCKS 5 server
 * (RFC 1928, section 7).  Pure code, like socks5.c.
 *
 *   +----+------+------+----------+----------+----------+
 *   |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
 *   +----+------+------+----------+----------+----------+
 *   | 2  |  1   |  1   | Variable |    2     | Variable |
 *   +----+------+------+----------+----------+----------+
 *
 * The same header goes both ways: to the relay it names the destination,
 * from the relay the peer that sent the datagram.
 */
#include <string.h>

#include "socksify/proto.h"

ssize_t sx_udp_header_encode(uint8_t *buf, size_t cap, uint8_t frag,
			     const struct sx_addr *dst)
{
	ssize_t n;

	/* Laid out like a request whose first three bytes differ. */
	n = sx_s5_request_encode(buf, cap, SX_S5_CMD_CONNECT, dst);
	if (n < 0)
		return n;
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = frag;
	return n;
}

ssize_t sx_udp_header_parse(const uint8_t *buf, size_t len, uint8_t *frag,
			    struct sx_addr *src, size_t *need)
{
	ssize_t total;

	if (!buf && len)
		return -SX_PERR_ARG;
	if (len < 5) {
		if (need)
			*need = 5;
		return 0;
	}
	total = sx_s5_addr_parse(buf, len, 3, src, need);
	/* RSV is tolerated as in replies: servers are lax about it. */
	if (total > 0 && frag)
		*frag = buf[2];
	return total;
}
