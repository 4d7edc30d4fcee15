/*
 * socks5.c - SOCKS 5 (RFC 1928) and username/password (RFC 1929) messages.
 *
 * Pure code: no I/O, no allocation, no global state.  See proto.h for the
 * return conventions of encoders and parsers.
 *
 * Output pointers of the parsers (method, status, out, need) may be NULL;
 * they are only written when non-NULL.  A parser's result is only stored
 * when the message is complete.
 */
#include <errno.h>
#include <string.h>

#include "socksify/proto.h"

#define S5_UP_VERSION 0x01      /* RFC 1929 subnegotiation version */

/* Report "incomplete, `total` bytes needed so far". */
static ssize_t need_more(size_t *need, size_t total)
{
	if (need)
		*need = total;
	return 0;
}

/*
 * Greeting (client -> server):
 *
 *   +----+----------+----------+
 *   |VER | NMETHODS | METHODS  |
 *   +----+----------+----------+
 *   | 1  |    1     | 1 to 255 |
 *   +----+----------+----------+
 */
ssize_t sx_s5_greeting_encode(uint8_t *buf, size_t cap,
			      const uint8_t *methods, size_t nmethods)
{
	size_t total = 2 + nmethods;

	if (nmethods < 1 || nmethods > 255)
		return -SX_PERR_NOMETHODS;
	if (!buf || !methods)
		return -SX_PERR_ARG;
	if (cap < total)
		return -SX_PERR_NOSPACE;
	buf[0] = SX_S5_VERSION;
	buf[1] = (uint8_t)nmethods;
	for (size_t i = 0; i < nmethods; i++)  /* one or two: no memcpy() */
		buf[2 + i] = methods[i];
	return (ssize_t)total;
}

/*
 * Method selection (server -> client):
 *
 *   +----+--------+
 *   |VER | METHOD |
 *   +----+--------+
 *   | 1  |   1    |
 *   +----+--------+
 *
 * METHOD is returned as sent, X'FF' (no acceptable method) included.
 */
ssize_t sx_s5_method_parse(const uint8_t *buf, size_t len,
			   uint8_t *method, size_t *need)
{
	if (!buf && len)
		return -SX_PERR_ARG;
	if (len >= 1 && buf[0] != SX_S5_VERSION)
		return -SX_PERR_VERSION;
	if (len < 2)
		return need_more(need, 2);
	if (method)
		*method = buf[1];
	return 2;
}

/*
 * Username/password request (RFC 1929, client -> server):
 *
 *   +----+------+----------+------+----------+
 *   |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
 *   +----+------+----------+------+----------+
 *   | 1  |  1   | 1 to 255 |  1   | 1 to 255 |
 *   +----+------+----------+------+----------+
 *
 * VER is X'01', the version of the subnegotiation.
 */
ssize_t sx_userpass_encode(uint8_t *buf, size_t cap,
			   const char *user, size_t ulen,
			   const char *pass, size_t plen)
{
	size_t total = 3 + ulen + plen;
	uint8_t *p = buf;

	if (ulen < 1 || ulen > 255)
		return -SX_PERR_USERLEN;
	if (plen < 1 || plen > 255)
		return -SX_PERR_PASSLEN;
	if (!buf || !user || !pass)
		return -SX_PERR_ARG;
	if (cap < total)
		return -SX_PERR_NOSPACE;
	*p++ = S5_UP_VERSION;
	*p++ = (uint8_t)ulen;
	memcpy(p, user, ulen);
	p += ulen;
	*p++ = (uint8_t)plen;
	memcpy(p, pass, plen);
	return (ssize_t)total;
}

/*
 * Username/password reply (RFC 1929, server -> client):
 *
 *   +----+--------+
 *   |VER | STATUS |
 *   +----+--------+
 *   | 1  |   1    |
 *   +----+--------+
 *
 * STATUS X'00' is success; anything else is a failure, returned as sent.
 */
ssize_t sx_userpass_reply_parse(const uint8_t *buf, size_t len,
				uint8_t *status, size_t *need)
{
	if (!buf && len)
		return -SX_PERR_ARG;
	if (len >= 1 && buf[0] != S5_UP_VERSION)
		return -SX_PERR_VERSION;
	if (len < 2)
		return need_more(need, 2);
	if (status)
		*status = buf[1];
	return 2;
}

/* Wire length of an address body (without ATYP and port), or -sx_perr. */
static ssize_t addr_wire_len(const struct sx_addr *a)
{
	switch (a->atyp) {
	case SX_ATYP_IPV4:
		return 4;
	case SX_ATYP_IPV6:
		return 16;
	case SX_ATYP_NAME:
		/* namelen is authoritative; a NUL inside it is not a name */
		if (a->namelen == 0 || memchr(a->u.name, '\0', a->namelen))
			return -SX_PERR_NAMELEN;
		return 1 + a->namelen;
	default:
		return -SX_PERR_ATYP;
	}
}

/*
 * Request (client -> server):
 *
 *   +----+-----+-------+------+----------+----------+
 *   |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
 *   +----+-----+-------+------+----------+----------+
 *   | 1  |  1  | X'00' |  1   | Variable |    2     |
 *   +----+-----+-------+------+----------+----------+
 *
 * DST.ADDR is 4 bytes (IPv4), 16 bytes (IPv6) or a length byte followed
 * by 1..255 bytes of name (no NUL).  DST.PORT is in network order.
 */
ssize_t sx_s5_request_encode(uint8_t *buf, size_t cap, uint8_t cmd,
			     const struct sx_addr *dst)
{
	ssize_t alen;
	size_t total;
	uint8_t *p = buf;

	if (!buf || !dst)
		return -SX_PERR_ARG;
	if (cmd < SX_S5_CMD_CONNECT || cmd > SX_S5_CMD_UDP_ASSOCIATE)
		return -SX_PERR_ARG;
	alen = addr_wire_len(dst);
	if (alen < 0)
		return alen;
	total = 4 + (size_t)alen + 2;
	if (cap < total)
		return -SX_PERR_NOSPACE;
	*p++ = SX_S5_VERSION;
	*p++ = cmd;
	*p++ = 0x00;
	*p++ = dst->atyp;
	switch (dst->atyp) {
	case SX_ATYP_IPV4:
		memcpy(p, dst->u.v4, 4);
		p += 4;
		break;
	case SX_ATYP_IPV6:
		memcpy(p, dst->u.v6, 16);
		p += 16;
		break;
	default: /* SX_ATYP_NAME, checked by addr_wire_len() */
		*p++ = dst->namelen;
		memcpy(p, dst->u.name, dst->namelen);
		p += dst->namelen;
		break;
	}
	*p++ = (uint8_t)(dst->port >> 8);
	*p = (uint8_t)(dst->port & 0xff);
	return (ssize_t)total;
}

/*
 * Reply (server -> client):
 *
 *   +----+-----+-------+------+----------+----------+
 *   |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
 *   +----+-----+-------+------+----------+----------+
 *   | 1  |  1  | X'00' |  1   | Variable |    2     |
 *   +----+-----+-------+------+----------+----------+
 *
 * Total length: 4 + (4 | 16 | 1+n) + 2, i.e. 10, 22 or 7+n.
 * Until ATYP is known we ask for 5 bytes (ATYP plus the first address
 * byte, which is the name length for names): every reply is at least
 * 8 bytes long, so this never reads past the reply.
 */
/* sx_s5_addr_parse's body, inline in the reply's parser (each reply is
 * parsed three times as it arrives). */
static inline ssize_t addr_parse(const uint8_t *buf, size_t len, size_t off,
				 struct sx_addr *a, size_t *need)
{
	size_t total;

	if (len <= off)
		return need_more(need, off + 2);
	switch (buf[off]) {
	case SX_ATYP_IPV4:
		total = off + 1 + 4 + 2;
		break;
	case SX_ATYP_IPV6:
		total = off + 1 + 16 + 2;
		break;
	case SX_ATYP_NAME:
		if (len < off + 2)
			return need_more(need, off + 2);
		if (buf[off + 1] == 0)
			return -SX_PERR_NAMELEN;
		total = off + 2 + (size_t)buf[off + 1] + 2;
		break;
	default:
		return -SX_PERR_ATYP;
	}
	if (len < total)
		return need_more(need, total);
	if (a) {
		/* the fields and an address's 16 bytes, not all 260 */
		a->namelen = 0;
		memset(a->u.v6, 0, sizeof(a->u.v6));
		a->atyp = buf[off];
		if (a->atyp == SX_ATYP_NAME) {
			a->namelen = buf[off + 1];
			memcpy(a->u.name, buf + off + 2, a->namelen);
			a->u.name[a->namelen] = '\0';
		} else {
			memcpy(a->u.v6, buf + off + 1,
			       a->atyp == SX_ATYP_IPV4 ? 4 : 16);
		}
		a->port = (uint16_t)(buf[total - 2] << 8 | buf[total - 1]);
	}
	return (ssize_t)total;
}

ssize_t sx_s5_addr_parse(const uint8_t *buf, size_t len, size_t off,
			 struct sx_addr *a, size_t *need)
{
	return addr_parse(buf, len, off, a, need);
}

ssize_t sx_s5_reply_parse(const uint8_t *buf, size_t len,
			  struct sx_s5_reply *out, size_t *need)
{
	ssize_t total;

	if (!buf && len)
		return -SX_PERR_ARG;
	if (len >= 1 && buf[0] != SX_S5_VERSION)
		return -SX_PERR_VERSION;
	total = addr_parse(buf, len, 3, out ? &out->bound : NULL, need);
	if (total > 0 && out)
		out->rep = buf[1];
	return total;
}

/*
 * Reply codes: text and the errno a program would see for the same
 * failure on a direct connection.  This table is the project's decision.
 *
 *   REP   text                                 errno
 *   0x00  succeeded                            0
 *   0x01  general SOCKS server failure         ECONNREFUSED
 *   0x02  connection not allowed by ruleset    EACCES
 *   0x03  network unreachable                  ENETUNREACH
 *   0x04  host unreachable                     EHOSTUNREACH
 *   0x05  connection refused by destination    ECONNREFUSED
 *   0x06  TTL expired                          ETIMEDOUT
 *   0x07  command not supported                EOPNOTSUPP
 *   0x08  address type not supported           EAFNOSUPPORT
 *
 * Tor's extended codes (sent with the SocksPort flag ExtendedErrors; Tor's
 * socks-extensions, proposal 304), all about an onion service:
 *   0xF0  descriptor can not be found          EHOSTUNREACH
 *   0xF1  descriptor is invalid                EHOSTUNREACH
 *   0xF2  introduction failed                  ECONNREFUSED
 *   0xF3  rendezvous failed                    ECONNABORTED
 *   0xF4  missing client authorization         EACCES
 *   0xF5  wrong client authorization           EACCES
 *   0xF6  invalid onion address                EINVAL
 *   0xF7  introduction timed out               ETIMEDOUT
 *
 *   other unknown reply code                   EPROTO
 */
const char *sx_s5_rep_str(uint8_t rep)
{
	switch (rep) {
	case SX_S5_REP_SUCCEEDED:        return "succeeded";
	case SX_S5_REP_GENERAL_FAILURE:  return "general SOCKS server failure";
	case SX_S5_REP_NOT_ALLOWED:      return "connection not allowed by ruleset";
	case SX_S5_REP_NET_UNREACHABLE:  return "network unreachable";
	case SX_S5_REP_HOST_UNREACHABLE: return "host unreachable";
	case SX_S5_REP_CONN_REFUSED:     return "connection refused by destination";
	case SX_S5_REP_TTL_EXPIRED:      return "TTL expired";
	case SX_S5_REP_CMD_UNSUPPORTED:  return "command not supported";
	case SX_S5_REP_ATYP_UNSUPPORTED: return "address type not supported";
	case SX_S5_REP_TOR_HS_DESC_NOT_FOUND:
		return "Tor: onion service descriptor can not be found "
		       "(the service is unknown or offline)";
	case SX_S5_REP_TOR_HS_DESC_INVALID:
		return "Tor: onion service descriptor is invalid";
	case SX_S5_REP_TOR_HS_INTRO_FAILED:
		return "Tor: onion service introduction failed (the service is "
		       "not running or changed its descriptor)";
	case SX_S5_REP_TOR_HS_REND_FAILED:
		return "Tor: onion service rendezvous failed";
	case SX_S5_REP_TOR_HS_MISSING_CLIENT_AUTH:
		return "Tor: onion service needs client authorization, and "
		       "none is configured in Tor";
	case SX_S5_REP_TOR_HS_BAD_CLIENT_AUTH:
		return "Tor: onion service client authorization is wrong";
	case SX_S5_REP_TOR_HS_BAD_ADDRESS:
		return "Tor: invalid onion address (bad checksum, version or "
		       "length)";
	case SX_S5_REP_TOR_HS_INTRO_TIMEDOUT:
		return "Tor: onion service introduction timed out";
	default:                         return "unknown reply code";
	}
}

int sx_s5_rep_errno(uint8_t rep)
{
	switch (rep) {
	case SX_S5_REP_SUCCEEDED:        return 0;
	case SX_S5_REP_GENERAL_FAILURE:  return ECONNREFUSED;
	case SX_S5_REP_NOT_ALLOWED:      return EACCES;
	case SX_S5_REP_NET_UNREACHABLE:  return ENETUNREACH;
	case SX_S5_REP_HOST_UNREACHABLE: return EHOSTUNREACH;
	case SX_S5_REP_CONN_REFUSED:     return ECONNREFUSED;
	case SX_S5_REP_TTL_EXPIRED:      return ETIMEDOUT;
	case SX_S5_REP_CMD_UNSUPPORTED:  return EOPNOTSUPP;
	case SX_S5_REP_ATYP_UNSUPPORTED: return EAFNOSUPPORT;
	case SX_S5_REP_TOR_HS_DESC_NOT_FOUND:      return EHOSTUNREACH;
	case SX_S5_REP_TOR_HS_DESC_INVALID:        return EHOSTUNREACH;
	case SX_S5_REP_TOR_HS_INTRO_FAILED:        return ECONNREFUSED;
	case SX_S5_REP_TOR_HS_REND_FAILED:         return ECONNABORTED;
	case SX_S5_REP_TOR_HS_MISSING_CLIENT_AUTH: return EACCES;
	case SX_S5_REP_TOR_HS_BAD_CLIENT_AUTH:     return EACCES;
	case SX_S5_REP_TOR_HS_BAD_ADDRESS:         return EINVAL;
	case SX_S5_REP_TOR_HS_INTRO_TIMEDOUT:      return ETIMEDOUT;
	default:                         return EPROTO;
	}
}

int sx_s5_rep_is_tor(uint8_t rep)
{
	return rep >= SX_S5_REP_TOR_HS_DESC_NOT_FOUND &&
	       rep <= SX_S5_REP_TOR_HS_INTRO_TIMEDOUT;
}
