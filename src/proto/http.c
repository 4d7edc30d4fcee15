/*
 * http.c - HTTP CONNECT (RFC 9110 section 9.3.6) with Basic
 * authentication (RFC 7617): the request, and the reply parsed with
 * limits on line length, header count and total size.
 *
 * Pure code: no I/O, no allocation, no global state.  See proto.h for the
 * return conventions of encoders and parsers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "socksify/proto.h"

static bool is_alnum(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

/* RFC 3986 reg-name: unreserved / pct-encoded / sub-delims */
static bool is_regname(unsigned char ch)
{
	return is_alnum(ch) || (ch && strchr("-._~%!$&'()*+,;=", ch));
}

static bool is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* "host:port" for the request line and Host; -1 for a bad destination. */
static int authority(char *out, size_t cap, const struct sx_addr *dst)
{
	char ip[INET6_ADDRSTRLEN];

	switch (dst->atyp) {
	case SX_ATYP_IPV4:
		inet_ntop(AF_INET, dst->u.v4, ip, sizeof(ip));
		return snprintf(out, cap, "%s:%u", ip, dst->port);
	case SX_ATYP_IPV6:
		inet_ntop(AF_INET6, dst->u.v6, ip, sizeof(ip));
		return snprintf(out, cap, "[%s]:%u", ip, dst->port);
	case SX_ATYP_NAME:
		if (dst->namelen == 0)
			return -SX_PERR_NAMELEN;
		for (size_t i = 0; i < dst->namelen; i++)
			if (!is_regname((unsigned char)dst->u.name[i]))
				return -SX_PERR_NAMELEN;
		return snprintf(out, cap, "%.*s:%u", (int)dst->namelen,
				dst->u.name, dst->port);
	default:
		return -SX_PERR_ATYP;
	}
}

/* Base64 (RFC 4648 section 4) of in[0..n) into out; returns its length. */
static size_t base64(char *out, const uint8_t *in, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

/* "Proxy-Authorization: Basic ...\r\n" into out (cap >= 720). */
static ssize_t basic_credentials(char *out, size_t cap, const char *user,
				 const char *pass)
{
	static const char head[] = "Proxy-Authorization: Basic ";
	uint8_t raw[255 + 1 + 255];
	size_t ulen = strnlen(user, 256), plen = pass ? strnlen(pass, 256) : 0;
	size_t n;

	if (ulen > 255 || strchr(user, ':'))
		return -SX_PERR_USERLEN;
	if (plen > 255)
		return -SX_PERR_PASSLEN;
	for (size_t i = 0; i < ulen; i++)
		if (is_ctl((unsigned char)user[i]))
			return -SX_PERR_USERLEN;
	for (size_t i = 0; i < plen; i++)
		if (is_ctl((unsigned char)pass[i]))
			return -SX_PERR_PASSLEN;
	if (cap < sizeof(head) + (ulen + 1 + plen + 2) / 3 * 4 + 2)
		return -SX_PERR_NOSPACE;
	memcpy(raw, user, ulen);
	raw[ulen] = ':';
	if (plen)
		memcpy(raw + ulen + 1, pass, plen);
	memcpy(out, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	n += base64(out + n, raw, ulen + 1 + plen);
	explicit_bzero(raw, sizeof(raw));
	memcpy(out + n, "\r\n", 3);
	return (ssize_t)(n + 2);
}

ssize_t sx_http_connect_encode(char *buf, size_t cap, const struct sx_addr *dst,
			       const char *user, const char *pass)
{
	char host[300], auth[720];
	ssize_t alen = 0;
	int hlen, n;

	if (!buf || !dst)
		return -SX_PERR_ARG;
	hlen = authority(host, sizeof(host), dst);
	if (hlen < 0)
		return hlen;
	auth[0] = '\0';
	if (user && user[0]) {
		alen = basic_credentials(auth, sizeof(auth), user, pass);
		if (alen < 0)
			return alen;
	}
	n = snprintf(buf, cap, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
		     host, host, auth);
	explicit_bzero(auth, sizeof(auth));
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			explicit_bzero(buf, cap);
		return -SX_PERR_NOSPACE;
	}
	return n;
}

/*
 * The status line, complete in line[0..n) (its line ending excluded):
 *   HTTP/1.x SP 3DIGIT [SP reason-phrase]
 */
static int status_line(const uint8_t *line, size_t n, struct sx_http_reply *r)
{
	size_t i, o = 0;

	if (n < 12 || line[5] != '1' || line[6] != '.' ||
	    line[7] < '0' || line[7] > '9' || line[8] != ' ')
		return -SX_PERR_HTTP_STATUS;
	for (i = 9; i < 12; i++)
		if (line[i] < '0' || line[i] > '9')
			return -SX_PERR_HTTP_STATUS;
	if (line[9] == '0' || (n > 12 && line[12] != ' '))
		return -SX_PERR_HTTP_STATUS;
	r->minor = (uint8_t)(line[7] - '0');
	r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
		    (line[11] - '0');
	for (i = 13; i < n && o + 1 < sizeof(r->reason); i++)
		r->reason[o++] = is_ctl(line[i]) ? '?' : (char)line[i];
	r->reason[o] = '\0';
	return 0;
}

/* Does a Proxy-Authenticate value offer the Basic scheme? */
static bool offers_basic(const uint8_t *v, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		bool start = i == 0 || v[i - 1] == ' ' || v[i - 1] == '\t' ||
			     v[i - 1] == ',';
		bool end = i + 5 == n || v[i + 5] == ' ' || v[i + 5] == '\t' ||
			   v[i + 5] == ',';

		if (start && end && strncasecmp((const char *)v + i, "basic", 5) == 0)
			return true;
	}
	return false;
}

/* One header line, complete in line[0..n) (line ending excluded). */
static int header_line(const uint8_t *line, size_t n, struct sx_http_reply *r)
{
	static const char pa[] = "proxy-authenticate";
	const uint8_t *colon;

	if (line[0] == ' ' || line[0] == '\t')  /* obs-fold: a continuation */
		return 0;
	colon = memchr(line, ':', n);
	if (!colon || colon == line)
		return -SX_PERR_HTTP_HEADER;
	for (const uint8_t *p = line; p < colon; p++)
		if (!is_alnum(*p) && !strchr("!#$%&'*+-.^_`|~", *p))
			return -SX_PERR_HTTP_HEADER;
	if ((size_t)(colon - line) == sizeof(pa) - 1 &&
	    strncasecmp((const char *)line, pa, sizeof(pa) - 1) == 0 &&
	    offers_basic(colon + 1, n - (size_t)(colon + 1 - line)))
		r->auth_basic = 1;
	return 0;
}

/*
 * One byte at a time, so that every prefix gets the answer the whole
 * reply would give: a bad byte is refused where it is, a long line when
 * it passes the limit.
 */
ssize_t sx_http_reply_parse(const uint8_t *buf, size_t len,
			    struct sx_http_reply *out, size_t *need)
{
	static const char magic[] = "HTTP/";
	struct sx_http_reply r;
	size_t start = 0, i;
	int rc;

	if (!buf && len)
		return -SX_PERR_ARG;
	memset(&r, 0, sizeof(r));
	for (i = 0; i < len; i++) {
		uint8_t ch = buf[i];
		size_t end = i;         /* the line ends before its CR or LF */

		if (i < 5 && ch != (uint8_t)magic[i])
			return -SX_PERR_HTTP_STATUS;
		if (i >= SX_HTTP_REPLY_MAX)
			return -SX_PERR_HTTP_SIZE;
		if (ch == '\0')
			return start ? -SX_PERR_HTTP_HEADER : -SX_PERR_HTTP_STATUS;
		if (ch == '\r') {
			if (i + 1 == len)
				break;
			if (buf[i + 1] != '\n')
				return start ? -SX_PERR_HTTP_HEADER :
					       -SX_PERR_HTTP_STATUS;
			i++;
		} else if (ch != '\n') {
			if (i + 1 - start >= SX_HTTP_LINE_MAX - 1)
				return -SX_PERR_HTTP_LINE;
			continue;
		}
		/* a complete line: buf[start..end), ending at i */
		if (start == 0) {
			rc = status_line(buf, end, &r);
		} else if (end == start) {
			if (out)
				*out = r;
			return (ssize_t)(i + 1);
		} else if (++r.nheaders > SX_HTTP_HEADERS_MAX) {
			rc = -SX_PERR_HTTP_COUNT;
		} else {
			rc = header_line(buf + start, end - start, &r);
		}
		if (rc < 0)
			return rc;
		start = i + 1;
	}
	if (need)
		*need = len + 1;
	return 0;
}

const char *sx_http_status_str(int status)
{
	switch (status) {
	case 400: return "the HTTP proxy calls our CONNECT request bad";
	case 401: return "the HTTP proxy refused our credentials";
	case 403: return "connection not allowed by the HTTP proxy's rules";
	case 404: return "the HTTP proxy does not know the destination host";
	case 405: return "the HTTP proxy does not allow CONNECT";
	case 407: return "the HTTP proxy requires authentication";
	case 500: return "the HTTP proxy failed (internal error)";
	case 501: return "the HTTP proxy does not implement CONNECT";
	case 502: return "the HTTP proxy could not connect to the destination";
	case 503: return "the HTTP proxy cannot serve the request now";
	case 504: return "the destination did not answer the HTTP proxy in time";
	default:
		if (status >= 200 && status < 300)
			return "tunnel established";
		if (status >= 400 && status < 500)
			return "refused by the HTTP proxy";
		if (status >= 500 && status < 600)
			return "the HTTP proxy failed";
		return "unexpected reply from the HTTP proxy";
	}
}

int sx_http_status_errno(int status)
{
	switch (status) {
	case 401: case 403: case 407: return EACCES;
	case 404: return EHOSTUNREACH;
	case 405: case 501: return EOPNOTSUPP;
	case 502: return ECONNREFUSED;
	case 503: return ENETUNREACH;
	case 504: return ETIMEDOUT;
	default:
		if (status >= 200 && status < 300)
			return 0;
		if (status >= 400 && status < 600)
			return ECONNREFUSED;
		return EPROTO;
	}
}
