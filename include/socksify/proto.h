/*
 * proto.h - pure encode/decode of SOCKS messages.
 *
 * Nothing here does I/O, allocates memory or touches global state, so every
 * function can be unit-tested and fuzzed on plain byte buffers.
 *
 * Conventions
 *   Encoders write into (buf, cap) and return the number of bytes written,
 *   or a negative enum sx_perr on failure (nothing useful is written then).
 *
 *   Parsers look at the bytes received so far, (buf, len), and return:
 *     > 0  the message is complete; the value is its exact length in bytes.
 *          Bytes after it belong to whoever comes next (the program's data)
 *          and are never looked at.
 *     = 0  incomplete; *need is set to the total length known to be needed
 *          so far (always > len).  A caller that reads exactly
 *          (*need - len) more bytes never reads past the message.
 *     < 0  a negative enum sx_perr: the bytes can never form a valid message.
 */
#ifndef SOCKSIFY_PROTO_H
#define SOCKSIFY_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum sx_perr {
	SX_PERR_OK = 0,
	SX_PERR_NOSPACE = 1,       /* output buffer too small */
	SX_PERR_VERSION = 2,       /* wrong version byte in a reply */
	SX_PERR_ATYP = 3,          /* unknown address type */
	SX_PERR_NAMELEN = 4,       /* domain name empty or longer than 255 */
	SX_PERR_USERLEN = 5,       /* user name empty or longer than 255 */
	SX_PERR_PASSLEN = 6,       /* password empty or longer than 255 */
	SX_PERR_NOMETHODS = 7,     /* greeting with 0 or more than 255 methods */
	SX_PERR_ARG = 8,           /* invalid argument (bad command, NULL, ...) */
	SX_PERR_USERID = 9,        /* SOCKS 4 user id contains NUL or is too long */
};

/* Human-readable text for an enum sx_perr (positive or negative value). */
const char *sx_perr_str(int err);

/* SOCKS 5 constants, RFC 1928. */
enum {
	SX_S5_VERSION = 0x05,
	SX_S5_METHOD_NONE = 0x00,
	SX_S5_METHOD_GSSAPI = 0x01,
	SX_S5_METHOD_USERPASS = 0x02,
	SX_S5_METHOD_REJECT = 0xff,
	SX_S5_CMD_CONNECT = 0x01,
	SX_S5_CMD_BIND = 0x02,
	SX_S5_CMD_UDP_ASSOCIATE = 0x03,
	SX_ATYP_IPV4 = 0x01,
	SX_ATYP_NAME = 0x03,
	SX_ATYP_IPV6 = 0x04,
};

/* SOCKS 5 reply codes (the REP field). */
enum {
	SX_S5_REP_SUCCEEDED = 0x00,
	SX_S5_REP_GENERAL_FAILURE = 0x01,
	SX_S5_REP_NOT_ALLOWED = 0x02,
	SX_S5_REP_NET_UNREACHABLE = 0x03,
	SX_S5_REP_HOST_UNREACHABLE = 0x04,
	SX_S5_REP_CONN_REFUSED = 0x05,
	SX_S5_REP_TTL_EXPIRED = 0x06,
	SX_S5_REP_CMD_UNSUPPORTED = 0x07,
	SX_S5_REP_ATYP_UNSUPPORTED = 0x08,
};

/* An address as carried on the wire: IPv4, IPv6 or a domain name. */
struct sx_addr {
	uint8_t atyp;          /* SX_ATYP_IPV4, SX_ATYP_IPV6 or SX_ATYP_NAME */
	uint8_t namelen;       /* for SX_ATYP_NAME: 1..255 */
	uint16_t port;         /* host byte order */
	union {
		uint8_t v4[4];
		uint8_t v6[16];
		char name[256];    /* NUL-terminated copy; namelen bytes on the wire */
	} u;
};

/* A parsed SOCKS 5 reply (to CONNECT, BIND or UDP ASSOCIATE). */
struct sx_s5_reply {
	uint8_t rep;           /* SX_S5_REP_* or any other value the server sent */
	struct sx_addr bound;  /* BND.ADDR / BND.PORT */
};

/*
 * Greeting:  +----+----------+----------+
 *            |VER | NMETHODS | METHODS  |
 *            | 1  |    1     | 1 to 255 |
 */
ssize_t sx_s5_greeting_encode(uint8_t *buf, size_t cap,
			      const uint8_t *methods, size_t nmethods);

/* Method selection:  |VER 1|METHOD 1|  -> *method */
ssize_t sx_s5_method_parse(const uint8_t *buf, size_t len,
			   uint8_t *method, size_t *need);

/*
 * RFC 1929 request:  |VER=1|ULEN|UNAME 1-255|PLEN|PASSWD 1-255|
 * ulen/plen outside 1..255 give SX_PERR_USERLEN / SX_PERR_PASSLEN.
 */
ssize_t sx_userpass_encode(uint8_t *buf, size_t cap,
			   const char *user, size_t ulen,
			   const char *pass, size_t plen);

/*
 * RFC 1929 reply:  |VER 1|STATUS 1|  -> *status (0 = success).
 * VER must be 0x01 (SX_PERR_VERSION otherwise).
 */
ssize_t sx_userpass_reply_parse(const uint8_t *buf, size_t len,
				uint8_t *status, size_t *need);

/*
 * Request:  |VER|CMD|RSV=0|ATYP|DST.ADDR|DST.PORT|
 */
ssize_t sx_s5_request_encode(uint8_t *buf, size_t cap, uint8_t cmd,
			     const struct sx_addr *dst);

/*
 * Reply:  |VER|REP|RSV|ATYP|BND.ADDR|BND.PORT|
 * The length comes from the reply's own ATYP: 4 + (4 | 16 | 1+n) + 2.
 * A non-zero RSV is tolerated.  Any REP value is returned as parsed;
 * interpreting it is the caller's job (sx_s5_rep_str, sx_s5_rep_errno).
 */
ssize_t sx_s5_reply_parse(const uint8_t *buf, size_t len,
			  struct sx_s5_reply *out, size_t *need);

/* "connection refused by destination" etc.; "unknown reply code" otherwise */
const char *sx_s5_rep_str(uint8_t rep);
/* errno a program would see for the same failure without a proxy */
int sx_s5_rep_errno(uint8_t rep);

/* SOCKS 4 / 4a. */
enum {
	SX_S4_VERSION = 0x04,
	SX_S4_CMD_CONNECT = 0x01,
	SX_S4_CMD_BIND = 0x02,
	SX_S4_REP_GRANTED = 0x5a,
	SX_S4_REP_REJECTED = 0x5b,
	SX_S4_REP_NO_IDENTD = 0x5c,
	SX_S4_REP_IDENT_MISMATCH = 0x5d,
};

/*
 * |VN=4|CD|DSTPORT 2|DSTIP 4|USERID...|NUL|            (SOCKS 4)
 * |VN=4|CD|DSTPORT 2|0.0.0.x|USERID...|NUL|NAME...|NUL| (SOCKS 4a)
 * dst must be SX_ATYP_IPV4 (SOCKS 4) or SX_ATYP_NAME (4a, x = 1).
 * userid may be NULL (empty).
 */
ssize_t sx_s4_request_encode(uint8_t *buf, size_t cap, uint8_t cmd,
			     const struct sx_addr *dst, const char *userid);

/* Reply: |VN=0|CD|DSTPORT 2|DSTIP 4|  (8 bytes). VN must be 0. */
ssize_t sx_s4_reply_parse(const uint8_t *buf, size_t len,
			  uint8_t *code, struct sx_addr *bound, size_t *need);

const char *sx_s4_rep_str(uint8_t code);
int sx_s4_rep_errno(uint8_t code);

#endif
