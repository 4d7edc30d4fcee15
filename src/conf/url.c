/*
 * url.c - the proxy URL:  [scheme://][user[:password]@]host[:port][/]
 *
 * Pure string parsing; no I/O, no name resolution (the host is kept as
 * text and resolved by the runtime).  Error messages quote the URL with
 * the password replaced by "***" and never contain the password.
 */
#include "socksify/conf.h"
#include "setters.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define URL_ECHO_MAX 160        /* longest URL quoted back in a message */
#define DEFAULT_PORT 1080

static const struct scheme {
	const char *name;
	enum sx_proxy_type type;
	bool remote_dns;
	uint16_t port;
} schemes[] = {
	{ "socks5", SX_PROXY_SOCKS5, false, DEFAULT_PORT },
	{ "socks5h", SX_PROXY_SOCKS5, true, DEFAULT_PORT },
	{ "socks4", SX_PROXY_SOCKS4, false, DEFAULT_PORT },
	{ "socks4a", SX_PROXY_SOCKS4A, true, DEFAULT_PORT },
	{ "http", SX_PROXY_HTTP, false, 80 },   /* RFC 9110 CONNECT */
};

static bool is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * A scheme is a run of letters and digits followed by "://".  Returns a
 * pointer just past "://" (and the scheme's length in *slen), or url itself
 * when there is no scheme (*has_scheme false).
 */
static const char *skip_scheme(const char *url, size_t *slen, bool *has_scheme)
{
	size_t n = 0;

	while (is_alnum(url[n]))
		n++;
	if (strncmp(url + n, "://", 3) == 0) {
		*slen = n;
		*has_scheme = true;
		return url + n + 3;
	}
	*slen = 0;
	*has_scheme = false;
	return url;
}

/* Append s[0..n) to out, replacing control characters by '?'. */
static void echo_append(char *out, size_t outlen, size_t *pos,
			const char *s, size_t n)
{
	for (size_t i = 0; i < n && *pos + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[(*pos)++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	out[*pos] = '\0';
}

/*
 * The URL as it may be shown in a message: the password (between the first
 * ':' of the userinfo and the last '@') becomes "***"; long URLs are cut.
 */
static void mask_url(const char *url, char *out, size_t outlen)
{
	size_t slen, pos = 0, len = strlen(url);
	bool has_scheme;
	const char *auth = skip_scheme(url, &slen, &has_scheme);
	const char *at = strrchr(auth, '@');
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;

	out[0] = '\0';
	if (colon) {
		echo_append(out, outlen, &pos, url, (size_t)(colon + 1 - url));
		echo_append(out, outlen, &pos, "***", 3);
		echo_append(out, outlen, &pos, at, strlen(at));
	} else {
		echo_append(out, outlen, &pos, url, len);
	}
	if (pos > URL_ECHO_MAX && outlen >= URL_ECHO_MAX + 4)
		memcpy(out + URL_ECHO_MAX, "...", 4);
}

/* shown is already cut and its password masked (mask_url) */
#define url_error(err, errlen, shown, ...) \
	sx_conf_bad(err, errlen, "proxy URL", shown, URL_ECHO_MAX + 8, __VA_ARGS__)

/*
 * Percent-decode s[0..n) into out (capacity 256 including the NUL).
 * Returns 0, or -1 with a problem in why (never quoting the input).
 */
static int pct_decode(const char *s, size_t n, char out[256], const char **why)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				*why = "bad %-escape";
				return -1;
			}
			ch = hi * 16 + lo;
			if (ch == 0) {
				*why = "%00 is not allowed";
				return -1;
			}
			i += 2;
		}
		if (o >= 255) {
			*why = "too long (max 255 bytes)";
			return -1;
		}
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

static int parse_userinfo(const char *ui, size_t n, struct sx_proxy *t,
			  char *err, size_t errlen, const char *shown)
{
	const char *colon = memchr(ui, ':', n);
	size_t ulen = colon ? (size_t)(colon - ui) : n;
	const char *why = NULL;

	if (pct_decode(ui, ulen, t->user, &why) < 0) {
		url_error(err, errlen, shown, "user name: %s", why);
		return -1;
	}
	if (t->user[0] == '\0') {
		url_error(err, errlen, shown, "empty user name before '@'");
		return -1;
	}
	t->user_set = true;
	if (colon) {
		if (pct_decode(colon + 1, n - ulen - 1, t->pass, &why) < 0) {
			url_error(err, errlen, shown, "password: %s", why);
			return -1;
		}
		t->pass_set = t->pass[0] != '\0';
	}
	return 0;
}

/* host = [ipv6] | name | ipv4.  Sets *rest just past the host. */
static int parse_host(const char *hp, struct sx_proxy *t, const char **rest,
		      char *err, size_t errlen, const char *shown)
{
	if (hp[0] == '[') {
		const char *close = strchr(hp, ']');
		size_t n;
		unsigned char bin[16];

		if (!close) {
			url_error(err, errlen, shown, "missing ']' after the IPv6 address");
			return -1;
		}
		n = (size_t)(close - hp - 1);
		if (n == 0) {
			url_error(err, errlen, shown, "empty host");
			return -1;
		}
		if (memchr(hp + 1, '%', n)) {
			url_error(err, errlen, shown,
				  "IPv6 zone ids ('%%' in the address) are not supported");
			return -1;
		}
		if (n >= 64) {
			url_error(err, errlen, shown, "invalid IPv6 address");
			return -1;
		}
		memcpy(t->host, hp + 1, n);
		t->host[n] = '\0';
		if (inet_pton(AF_INET6, t->host, bin) != 1) {
			url_error(err, errlen, shown, "invalid IPv6 address '%s'", t->host);
			return -1;
		}
		*rest = close + 1;
		return 0;
	}

	size_t n = strcspn(hp, ":/");
	size_t colons = 0;

	for (const char *q = hp; *q && *q != '/'; q++)
		colons += *q == ':';
	if (colons >= 2) {
		url_error(err, errlen, shown,
			  "IPv6 addresses must be in brackets, e.g. socks5://[::1]:1080");
		return -1;
	}
	if (n == 0) {
		url_error(err, errlen, shown, "empty host");
		return -1;
	}
	if (n > 255) {
		url_error(err, errlen, shown, "host name too long (%zu bytes, max 255)", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = hp[i];

		if (!is_alnum(ch) && ch != '.' && ch != '-' && ch != '_') {
			url_error(err, errlen, shown,
				  "invalid character in host name '%.*s'", (int)n, hp);
			return -1;
		}
	}
	memcpy(t->host, hp, n);
	t->host[n] = '\0';
	*rest = hp + n;
	return 0;
}

/* [:port][/] and nothing else */
static int parse_tail(const char *s, struct sx_proxy *t,
		      char *err, size_t errlen, const char *shown)
{
	if (*s == ':') {
		size_t n = 0;
		unsigned long v = 0;

		s++;
		while (is_digit(s[n])) {
			if (v <= 65535)
				v = v * 10 + (unsigned long)(s[n] - '0');
			n++;
		}
		if (n == 0 && (*s == '\0' || *s == '/')) {
			url_error(err, errlen, shown, "missing port number after ':'");
			return -1;
		}
		if (n == 0 || v == 0 || v > 65535 ||
		    (s[n] != '\0' && s[n] != '/')) {
			size_t shown_len = strcspn(s, "/");

			url_error(err, errlen, shown,
				  "invalid port '%.*s' (must be 1-65535)",
				  (int)(shown_len > 16 ? 16 : shown_len), s);
			return -1;
		}
		t->port = (uint16_t)v;
		s += n;
	}
	if (*s == '/')
		s++;
	if (*s != '\0') {
		url_error(err, errlen, shown,
			  "unexpected '%.32s' after the host (paths and queries are not allowed)",
			  s);
		return -1;
	}
	return 0;
}

int sx_proxy_url_parse(const char *url, struct sx_proxy *p,
		       char *err, size_t errlen)
{
	char shown[URL_ECHO_MAX + 8];
	struct sx_proxy t;
	const struct scheme *sc = &schemes[0];
	const char *auth, *at, *hp, *rest;
	size_t slen;
	bool has_scheme;
	int rc = -1;

	if (err && errlen)
		err[0] = '\0';
	if (!url || !p) {
		url_error(err, errlen, "", "no URL");
		return -1;
	}
	mask_url(url, shown, sizeof shown);
	if (url[0] == '\0') {
		url_error(err, errlen, shown, "empty URL");
		return -1;
	}
	memset(&t, 0, sizeof t);
	t.port = DEFAULT_PORT;

	auth = skip_scheme(url, &slen, &has_scheme);
	if (has_scheme) {
		sc = NULL;
		if (slen == 0) {
			url_error(err, errlen, shown, "missing scheme before '://'");
			return -1;
		}
		for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
			if (strlen(schemes[i].name) == slen &&
			    strncasecmp(schemes[i].name, url, slen) == 0)
				sc = &schemes[i];
		}
		if (!sc) {
			url_error(err, errlen, shown,
				  "unknown scheme '%.*s' (use socks5, socks5h, socks4, socks4a or http)",
				  (int)(slen > 32 ? 32 : slen), url);
			return -1;
		}
	}
	t.type = sc->type;
	t.remote_dns = sc->remote_dns;
	t.port = sc->port;

	at = strrchr(auth, '@');
	hp = auth;
	if (at) {
		if (parse_userinfo(auth, (size_t)(at - auth), &t, err, errlen, shown) < 0)
			goto out;
		hp = at + 1;
	}
	if (parse_host(hp, &t, &rest, err, errlen, shown) < 0)
		goto out;
	if (parse_tail(rest, &t, err, errlen, shown) < 0)
		goto out;
	*p = t;
	rc = 0;
out:
	explicit_bzero(&t, sizeof t);
	return rc;
}
