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
	size_t total;

	if (!buf && len)
		return -SX_PERR_ARG;
	if (len < 5) {
		if (need)
			*need = 5;
		return 0;
	}
	switch (buf[3]) {
	case SX_ATYP_IPV4:
		total = 4 + 4 + 2;
		break;
	case SX_ATYP_IPV6:
		total = 4 + 16 + 2;
		break;
	case SX_ATYP_NAME:
		if (buf[4] == 0)
			return -SX_PERR_NAMELEN;
		total = 4 + 1 + (size_t)buf[4] + 2;
		break;
	default:
		return -SX_PERR_ATYP;
	}
	if (len < total) {
		if (need)
			*need = total;
		return 0;
	}
	/* RSV is tolerated as in replies: servers are lax about it. */
	if (frag)
		*frag = buf[2];
	if (src) {
		memset(src, 0, sizeof(*src));
		src->atyp = buf[3];
		if (buf[3] == SX_ATYP_NAME) {
			src->namelen = buf[4];
			memcpy(src->u.name, buf + 5, buf[4]);
			src->u.name[buf[4]] = '\0';
		} else {
			memcpy(src->u.v6, buf + 4, buf[3] == SX_ATYP_IPV4 ? 4 : 16);
		}
		src->port = (uint16_t)(buf[total - 2] << 8 | buf[total - 1]);
	}
	return (ssize_t)total;
}
