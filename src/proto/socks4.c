/*
 * socks4.c - SOCKS 4 and SOCKS 4a messages.
 *
 * Pure code: no I/O, no allocation, no global state.  See proto.h for the
 * return conventions of encoders and parsers.
 */
#include <errno.h>
#include <string.h>

#include "socksify/proto.h"

#define S4_USERID_MAX 255       /* our limit; the protocol has none */

/*
 * Request (client -> server):
 *
 *   SOCKS 4:
 *   +----+----+----+----+----+----+----+----+----+----+....+----+
 *   | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
 *   +----+----+----+----+----+----+----+----+----+----+....+----+
 *      1    1      2              4           variable       1
 *
 *   SOCKS 4a: DSTIP is 0.0.0.x (x != 0; we send 0.0.0.1) and the host
 *   name follows the USERID's NUL:
 *   | VN | CD | DSTPORT | 0.0.0.1 | USERID |NULL| NAME |NULL|
 *
 * VN is 4, CD is 1 (CONNECT) or 2 (BIND), DSTPORT is in network order.
 * dst->atyp SX_ATYP_IPV4 gives SOCKS 4, SX_ATYP_NAME gives SOCKS 4a;
 * IPv6 cannot be expressed.  userid NULL means an empty user id.
 */
ssize_t sx_s4_request_encode(uint8_t *buf, size_t cap, uint8_t cmd,
			     const struct sx_addr *dst, const char *userid)
{
	static const uint8_t v4a_ip[4] = { 0, 0, 0, 1 };
	size_t ulen = 0, total;
	uint8_t *p = buf;

	if (!buf || !dst)
		return -SX_PERR_ARG;
	if (cmd != SX_S4_CMD_CONNECT && cmd != SX_S4_CMD_BIND)
		return -SX_PERR_ARG;
	if (userid) {
		ulen = strnlen(userid, S4_USERID_MAX + 1);
		if (ulen > S4_USERID_MAX)
			return -SX_PERR_USERID;
	}
	total = 8 + ulen + 1;
	if (dst->atyp == SX_ATYP_NAME) {
		/* namelen is authoritative; the name is NUL-terminated on
		 * the wire, so it cannot contain a NUL itself */
		if (dst->namelen == 0 ||
		    memchr(dst->u.name, '\0', dst->namelen))
			return -SX_PERR_NAMELEN;
		total += (size_t)dst->namelen + 1;
	} else if (dst->atyp != SX_ATYP_IPV4) {
		return -SX_PERR_ATYP;
	}
	if (cap < total)
		return -SX_PERR_NOSPACE;

	*p++ = SX_S4_VERSION;
	*p++ = cmd;
	*p++ = (uint8_t)(dst->port >> 8);
	*p++ = (uint8_t)(dst->port & 0xff);
	memcpy(p, dst->atyp == SX_ATYP_IPV4 ? dst->u.v4 : v4a_ip, 4);
	p += 4;
	if (ulen)
		memcpy(p, userid, ulen);
	p += ulen;
	*p++ = '\0';
	if (dst->atyp == SX_ATYP_NAME) {
		memcpy(p, dst->u.name, dst->namelen);
		p += dst->namelen;
		*p = '\0';
	}
	return (ssize_t)total;
}

/*
 * Reply (server -> client), always 8 bytes:
 *
 *   +----+----+----+----+----+----+----+----+
 *   | VN | CD | DSTPORT |      DSTIP        |
 *   +----+----+----+----+----+----+----+----+
 *      1    1      2              4
 *
 * VN must be 0.  CD is returned as sent (X'5A' = granted).  The bound
 * address is stored as SX_ATYP_IPV4 with the port in host order.
 * code and bound may be NULL.
 */
ssize_t sx_s4_reply_parse(const uint8_t *buf, size_t len,
			  uint8_t *code, struct sx_addr *bound, size_t *need)
{
	if (!buf && len)
		return -SX_PERR_ARG;
	if (len >= 1 && buf[0] != 0x00)
		return -SX_PERR_VERSION;
	if (len < 8) {
		if (need)
			*need = 8;
		return 0;
	}
	if (code)
		*code = buf[1];
	if (bound) {
		memset(bound, 0, sizeof(*bound));
		bound->atyp = SX_ATYP_IPV4;
		bound->port = (uint16_t)(buf[2] << 8 | buf[3]);
		memcpy(bound->u.v4, buf + 4, 4);
	}
	return 8;
}

/*
 * Reply codes (see the errno table in socks5.c for the SOCKS 5 side):
 *
 *   CD    text                                 errno
 *   0x5A  request granted                      0
 *   0x5B  request rejected or failed           ECONNREFUSED
 *   0x5C  proxy could not reach our identd     EACCES
 *   0x5D  user id does not match identd's      EACCES
 *   other unknown reply code                   EPROTO
 */
const char *sx_s4_rep_str(uint8_t code)
{
	switch (code) {
	case SX_S4_REP_GRANTED:        return "request granted";
	case SX_S4_REP_REJECTED:       return "request rejected or failed";
	case SX_S4_REP_NO_IDENTD:      return "proxy could not reach our identd";
	case SX_S4_REP_IDENT_MISMATCH: return "user id does not match identd's";
	default:                       return "unknown reply code";
	}
}

int sx_s4_rep_errno(uint8_t code)
{
	switch (code) {
	case SX_S4_REP_GRANTED:        return 0;
	case SX_S4_REP_REJECTED:       return ECONNREFUSED;
	case SX_S4_REP_NO_IDENTD:      return EACCES;
	case SX_S4_REP_IDENT_MISMATCH: return EACCES;
	default:                       return EPROTO;
	}
}
