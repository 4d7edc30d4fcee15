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
#include <string.h>
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
	/* Tor's extended errors (SocksPort flag ExtendedErrors; Tor's
	 * socks-extensions, proposal 304): onion service failures. */
	SX_S5_REP_TOR_HS_DESC_NOT_FOUND = 0xf0,
	SX_S5_REP_TOR_HS_DESC_INVALID = 0xf1,
	SX_S5_REP_TOR_HS_INTRO_FAILED = 0xf2,
	SX_S5_REP_TOR_HS_REND_FAILED = 0xf3,
	SX_S5_REP_TOR_HS_MISSING_CLIENT_AUTH = 0xf4,
	SX_S5_REP_TOR_HS_BAD_CLIENT_AUTH = 0xf5,
	SX_S5_REP_TOR_HS_BAD_ADDRESS = 0xf6,
	SX_S5_REP_TOR_HS_INTRO_TIMEDOUT = 0xf7,
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

/* *to = *from, copying only the part of the union in use (a name: namelen
 * bytes and a NUL), not all 260 bytes: on every connect's path. */
static inline void sx_addr_copy(struct sx_addr *to, const struct sx_addr *from)
{
	to->atyp = from->atyp;
	to->namelen = from->namelen;
	to->port = from->port;
	if (from->atyp == SX_ATYP_NAME) {
		memcpy(to->u.name, from->u.name, from->namelen);
		to->u.name[from->namelen] = '\0';
	} else {
		memcpy(to->u.v6, from->u.v6, from->atyp == SX_ATYP_IPV4 ? 4 : 16);
	}
}

/*
 * The SOCKS 5 address (ATYP, DST/BND.ADDR, port) that ends a reply or a UDP
 * header, starting at buf + off: a parser as above for the whole message
 * (its total length, 0 with *need, or a negative enum sx_perr); fills *a,
 * if not NULL, once complete.
 */
ssize_t sx_s5_addr_parse(const uint8_t *buf, size_t len, size_t off,
			 struct sx_addr *a, size_t *need);

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
/* Is rep one of Tor's extended codes 0xF0-0xF7 (about the onion service,
 * the destination, not about the proxy)? */
int sx_s5_rep_is_tor(uint8_t rep);

/*
 * `isolate process` (src/proto/isolate.c): the RFC 1929 pair of one
 * process, from n random bytes (SX_ISOLATE_RANDOM_MIN..MAX) and its PID:
 * user "sx-" + hex of the bytes, password the PID in decimal.  Returns the
 * user's length, or -SX_PERR_ARG / -SX_PERR_NOSPACE.
 */
#define SX_ISOLATE_RANDOM_MIN 8
#define SX_ISOLATE_RANDOM_MAX 64
ssize_t sx_isolate_creds(const uint8_t *rnd, size_t n, uint64_t pid,
			 char *user, size_t ulen, char *pass, size_t plen);

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

/*
 * UDP ASSOCIATE datagrams (RFC 1928 section 7; src/proto/socks5_udp.c):
 *   |RSV 2|FRAG 1|ATYP|DST.ADDR|DST.PORT|DATA|
 * The encoder writes the header only (RSV 0); the data follows it.
 * The parser reads a received datagram's header: > 0 its length (the data
 * starts there), 0 with *need if the datagram is shorter than its header
 * (a datagram never grows: callers drop it), or -sx_perr.  *frag and *src
 * (the peer, as the relay names it) are filled when the header is complete.
 */
#define SX_UDP_HEADER_MAX (4 + 1 + 255 + 2)
ssize_t sx_udp_header_encode(uint8_t *buf, size_t cap, uint8_t frag,
			     const struct sx_addr *dst);
ssize_t sx_udp_header_parse(const uint8_t *buf, size_t len, uint8_t *frag,
			    struct sx_addr *src, size_t *need);

/*
 * RFC 1961: the GSS-API method.  Every message after method selection is
 *
 *   +------+------+------+.......................+
 *   | ver  | mtyp | len  |       token           |
 *   | 0x01 | 1    | 2    | up to 2^16 - 1 octets |
 *
 * mtyp 1: context establishment, 2: protection level, 3: a protected data
 * message; an abort is the two bytes 01 FF alone.  Protection levels as
 * Dante numbers them (RFC 1961 has 1 and 2; Dante adds 0 for "clear", the
 * data then flows unprotected after authentication).
 */
enum {
	SX_GSS_VERSION = 0x01,
	SX_GSS_MTYP_AUTH = 0x01,
	SX_GSS_MTYP_PROT = 0x02,
	SX_GSS_MTYP_DATA = 0x03,
	SX_GSS_MTYP_ABORT = 0xff,
	SX_GSS_HLEN = 4,
	SX_GSS_MAXTOKEN = 65535,
	SX_GSS_PROT_CLEAR = 0,
	SX_GSS_PROT_INTEGRITY = 1,
	SX_GSS_PROT_CONFIDENTIALITY = 2,
};

/* More enum sx_perr values, for the GSS-API framing. */
enum {
	SX_PERR_GSS_MTYP = 20,     /* unknown or unexpected message type */
	SX_PERR_GSS_ABORT = 21,    /* the peer sent 01 FF */
	SX_PERR_GSS_UNWRAP = 22,   /* the unwrap function refused a token */
	SX_PERR_GSS_DGRAM = 23,    /* a datagram is not exactly one message */
};

struct sx_gss_frame {
	uint8_t mtyp;
	size_t len;                /* token length; 0 for an abort */
	const uint8_t *token;      /* points into the parsed buffer */
};

/* The 4-byte header for a token of toklen bytes (<= SX_GSS_MAXTOKEN). */
ssize_t sx_gss_header_encode(uint8_t *buf, size_t cap, uint8_t mtyp,
			     size_t toklen);
/* Header and token. */
ssize_t sx_gss_frame_encode(uint8_t *buf, size_t cap, uint8_t mtyp,
			    const uint8_t *token, size_t toklen);
/*
 * One message (parser convention above).  An abort parses as a complete
 * 2-byte message with out->mtyp == SX_GSS_MTYP_ABORT.  Version other than
 * 1: SX_PERR_VERSION; mtyp not 1, 2, 3 or 0xff: SX_PERR_GSS_MTYP.
 */
ssize_t sx_gss_frame_parse(const uint8_t *buf, size_t len,
			   struct sx_gss_frame *out, size_t *need);

/*
 * A UDP datagram to or from a relay at level integrity or confidentiality:
 * one 01 03 message that fills the datagram exactly (RFC 1961 section 5).
 * Returns the token's length with *token pointing into buf, or -SX_PERR_VERSION,
 * -SX_PERR_GSS_MTYP (another type, an abort), -SX_PERR_GSS_DGRAM (shorter
 * or longer than its LEN says).
 */
ssize_t sx_gss_dgram_parse(const uint8_t *buf, size_t len,
			   const uint8_t **token);

/*
 * The sequence number of a Kerberos wrap token (RFC 4121 section 4.2.6.2:
 * TOK_ID 05 04, SND_SEQ at bytes 8-15).  0, or -1 for another format.  Only
 * worth trusting once gss_unwrap has accepted the token.
 */
int sx_gss_krb5_wrap_seq(const uint8_t *token, size_t len, uint64_t *seq);

/*
 * Replay protection for datagrams, on authenticated sequence numbers: the
 * 64 numbers up to the highest seen, as IPsec keeps them (RFC 4303 section
 * 3.4.3).  Loss and reordering within the window are fine.  Zeroed = empty.
 */
struct sx_replay {
	uint64_t top;           /* the highest number seen */
	uint64_t seen;          /* bit i: top - i was seen */
	int started;
};
/* 1: new, now recorded; 0: seen before, or older than the window. */
int sx_replay_check(struct sx_replay *w, uint64_t seq);

/*
 * Decoding a stream of 01 03 frames.  The caller reads raw bytes from the
 * socket straight into sx_gss_dec_space() and commits them; each
 * sx_gss_dec_step() turns one complete frame into plaintext through the
 * unwrap function, once the previous plaintext has been taken.  Pure: the
 * struct holds all the state and storage (about 192 KiB; allocate it).
 *
 * unwrap: write the plaintext of token into out (cap >= toklen bytes),
 * set *outlen; return 0, or -1 to refuse the token.
 */
typedef int (*sx_gss_unwrap_fn)(void *arg, const uint8_t *token, size_t toklen,
				uint8_t *out, size_t cap, size_t *outlen);

#define SX_GSS_RAWCAP (2 * (SX_GSS_HLEN + SX_GSS_MAXTOKEN))
struct sx_gss_dec {
	size_t rstart, rend;                    /* raw[rstart, rend) */
	size_t pstart, pend;                    /* plain[pstart, pend) */
	int err;                                /* sticky negative sx_perr */
	uint8_t raw[SX_GSS_RAWCAP];
	uint8_t plain[SX_GSS_MAXTOKEN];
};

void sx_gss_dec_init(struct sx_gss_dec *d);
/* Where to put raw bytes, and how many fit (> 0 whenever a step needs
 * more input). */
uint8_t *sx_gss_dec_space(struct sx_gss_dec *d, size_t *len);
void sx_gss_dec_commit(struct sx_gss_dec *d, size_t n);
/*
 * 1: a frame became plaintext (possibly empty); 0: nothing to do (plaintext
 * not yet taken, or the next frame is incomplete); < 0: a sticky error
 * (-SX_PERR_VERSION, -SX_PERR_GSS_MTYP, -SX_PERR_GSS_ABORT,
 * -SX_PERR_GSS_UNWRAP).
 */
int sx_gss_dec_step(struct sx_gss_dec *d, sx_gss_unwrap_fn unwrap, void *arg);
/* Plaintext ready to be taken. */
size_t sx_gss_dec_avail(const struct sx_gss_dec *d);
/* Copy up to len bytes of plaintext; consume them unless peek. */
size_t sx_gss_dec_take(struct sx_gss_dec *d, uint8_t *out, size_t len,
		       int peek);
/* Raw bytes of a frame not yet complete (non-zero at EOF = truncated). */
size_t sx_gss_dec_partial(const struct sx_gss_dec *d);

/*
 * HTTP CONNECT (RFC 9110 section 9.3.6; Basic authentication, RFC 7617;
 * src/proto/http.c).
 *
 *   CONNECT host:port HTTP/1.1
 *   Host: host:port
 *   [Proxy-Authorization: Basic base64(user ":" password)]
 *   (empty line)
 *
 * The reply is a status line and header lines up to an empty line; any
 * 2xx opens the tunnel and what follows the empty line is the program's.
 */
enum {
	SX_PERR_HTTP_STATUS = 30,  /* not an "HTTP/1.x NNN ..." status line */
	SX_PERR_HTTP_HEADER = 31,  /* a malformed header line (NUL, bare CR, no ':') */
	SX_PERR_HTTP_LINE = 32,    /* a line longer than SX_HTTP_LINE_MAX */
	SX_PERR_HTTP_COUNT = 33,   /* more than SX_HTTP_HEADERS_MAX header lines */
	SX_PERR_HTTP_SIZE = 34,    /* a reply longer than SX_HTTP_REPLY_MAX */
};

#define SX_HTTP_LINE_MAX 4096      /* bytes in one line, CRLF included */
#define SX_HTTP_HEADERS_MAX 64     /* header lines after the status line */
#define SX_HTTP_REPLY_MAX 8192     /* the whole reply, empty line included */
#define SX_HTTP_REQUEST_MAX (64 + 2 * 270 + 32 + 4 * 171)

struct sx_http_reply {
	int status;                /* 100-999 */
	uint8_t minor;             /* HTTP/1.minor */
	int nheaders;
	int auth_basic;            /* a Proxy-Authenticate header offers Basic */
	char reason[96];           /* the reason phrase, cut, controls as '?' */
};

/*
 * The CONNECT request for dst (IPv4, [IPv6] or a name made of RFC 3986
 * reg-name characters), with Basic credentials when user is non-NULL and
 * non-empty (user must not contain ':' or control characters: SX_PERR_USERLEN;
 * pass: no control characters, SX_PERR_PASSLEN).
 */
ssize_t sx_http_connect_encode(char *buf, size_t cap, const struct sx_addr *dst,
			       const char *user, const char *pass);

/*
 * The reply (parser convention above).  The length of a reply is known
 * only when its empty line is seen, so an incomplete reply asks for one
 * byte more (*need = len + 1); a caller may also peek at what is there and
 * take exactly the returned length.  Line endings are CRLF or a bare LF.
 * A non-"HTTP/" start is refused as soon as it is seen.
 */
ssize_t sx_http_reply_parse(const uint8_t *buf, size_t len,
			    struct sx_http_reply *out, size_t *need);

/* "proxy authentication required" etc. for a status code. */
const char *sx_http_status_str(int status);
/* errno a program sees for a non-2xx status (EACCES for 403/407, ...). */
int sx_http_status_errno(int status);

#endif
