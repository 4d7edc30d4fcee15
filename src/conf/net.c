/*
 * net.c - networks that bypass the proxy ("direct"):
 *   ADDR[/PREFIX][:PORT[-PORT]], comma-separated lists of them, and the
 *   lookup of a socket address in the list.
 */
#include "socksify/conf.h"
#include "setters.h"

#include <ctype.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NET_ECHO_MAX 80 /* longest spec quoted back in a message */

#define net_error(err, errlen, spec, ...) \
	sx_conf_bad(err, errlen, "network", spec, NET_ECHO_MAX, __VA_ARGS__)

/* Decimal number of at most 5 digits; *end set past it.  -1 if none. */
static long parse_num(const char *s, const char **end)
{
	long v = 0;
	size_t n = 0;

	while (is_digit(s[n])) {
		if (n < 6)
			v = v * 10 + (s[n] - '0');
		n++;
	}
	*end = s + n;
	if (n == 0 || n > 5)
		return n == 0 ? -1 : 1000000;
	return v;
}

/* Parse s[0..n) as an address of the given family into addr. */
static int parse_addr(int family, const char *s, size_t n, uint8_t addr[16])
{
	char buf[64];

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(family, buf, addr) == 1 ? 0 : -1;
}

static int parse_ports(const char *s, struct sx_net *t,
		       char *err, size_t errlen, const char *spec)
{
	const char *e;
	long lo = parse_num(s, &e), hi = lo;

	if (lo >= 1 && *e == '-')
		hi = parse_num(e + 1, &e);
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535 || *e != '\0') {
		net_error(err, errlen, spec,
			  "invalid port '%.16s' (PORT or LOW-HIGH, each 1-65535)", s);
		return -1;
	}
	if (lo > hi) {
		net_error(err, errlen, spec, "port range %ld-%ld is reversed", lo, hi);
		return -1;
	}
	t->port_lo = (uint16_t)lo;
	t->port_hi = (uint16_t)hi;
	return 0;
}

static void mask_host_bits(struct sx_net *t)
{
	size_t bytes = t->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < bytes; i++) {
		size_t bit = i * 8;

		if (bit >= t->prefix)
			t->addr[i] = 0;
		else if (bit + 8 > t->prefix)
			t->addr[i] &= (uint8_t)(0xff << (8 - (t->prefix - bit)));
	}
}

int sx_net_parse(const char *spec, struct sx_net *n, char *err, size_t errlen)
{
	struct sx_net t;
	const char *s, *addr_end;
	unsigned maxprefix;
	bool bracket = false, is_localhost = false;

	if (err && errlen)
		err[0] = '\0';
	if (!spec || !n) {
		net_error(err, errlen, "", "no network");
		return -1;
	}
	if (spec[0] == '\0') {
		net_error(err, errlen, spec, "empty");
		return -1;
	}
	memset(&t, 0, sizeof t);
	t.port_lo = 0;
	t.port_hi = 65535;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close) {
			net_error(err, errlen, spec, "missing ']'");
			return -1;
		}
		if (parse_addr(AF_INET6, spec + 1, (size_t)(close - spec - 1), t.addr) < 0) {
			net_error(err, errlen, spec, "invalid IPv6 address");
			return -1;
		}
		t.family = AF_INET6;
		bracket = true;
		s = close + 1;
	} else {
		size_t colons = 0;

		for (s = spec; *s; s++)
			colons += *s == ':';
		if (colons >= 2) {
			/* bare IPv6: no port possible */
			addr_end = spec + strcspn(spec, "/");
			if (parse_addr(AF_INET6, spec, (size_t)(addr_end - spec), t.addr) < 0) {
				net_error(err, errlen, spec, "invalid IPv6 address%s",
					  strchr(spec, '/') ? "" :
					  " (write [ADDR]:PORT to give a port)");
				return -1;
			}
			t.family = AF_INET6;
		} else {
			addr_end = spec + strcspn(spec, "/:");
			if ((size_t)(addr_end - spec) == 9 &&
			    strncasecmp(spec, "localhost", 9) == 0) {
				is_localhost = true;
				t.addr[0] = 127;
			} else if (parse_addr(AF_INET, spec, (size_t)(addr_end - spec),
					      t.addr) < 0) {
				net_error(err, errlen, spec,
					  "not an IPv4 address, [IPv6] address or 'localhost'");
				return -1;
			}
			t.family = AF_INET;
		}
		s = addr_end;
	}

	maxprefix = t.family == AF_INET ? 32 : 128;
	t.prefix = is_localhost ? 8 : (uint8_t)maxprefix;
	if (*s == '/') {
		const char *e;
		long v = parse_num(s + 1, &e);

		if (is_localhost) {
			net_error(err, errlen, spec, "'localhost' takes no prefix");
			return -1;
		}
		if (v < 0 || v > (long)maxprefix || (*e != '\0' && *e != ':')) {
			net_error(err, errlen, spec, "invalid prefix (must be 0-%u)",
				  maxprefix);
			return -1;
		}
		t.prefix = (uint8_t)v;
		s = e;
	}
	if (*s == ':') {
		if (t.family == AF_INET6 && !bracket) {
			net_error(err, errlen, spec,
				  "put the IPv6 address in brackets to give a port: [ADDR]/PREFIX:PORT");
			return -1;
		}
		if (parse_ports(s + 1, &t, err, errlen, spec) < 0)
			return -1;
	} else if (*s != '\0') {
		net_error(err, errlen, spec, "unexpected '%.16s'", s);
		return -1;
	}
	mask_host_bits(&t);
	*n = t;
	return 0;
}

/* "corp.example", ".corp.example" or "*.corp.example" -> "corp.example" */
int sx_conf_domain_parse(const char *item, char *out, size_t outlen)
{
	bool letter = false;
	size_t n;

	if (strncmp(item, "*.", 2) == 0)
		item += 2;
	else if (item[0] == '.')
		item++;
	n = strlen(item);
	if (n > 0 && item[n - 1] == '.')
		n--;
	if (n == 0 || n >= outlen)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = item[i];

		if (isalpha((unsigned char)ch))
			letter = true;
		else if (ch == '.' && (i == 0 || i == n - 1 || item[i - 1] == '.'))
			return -1;      /* an empty label: no name could match */
		else if (!isdigit((unsigned char)ch) && ch != '-' && ch != '.' &&
			 ch != '_')
			return -1;
		out[i] = (char)tolower((unsigned char)ch);
	}
	out[n] = '\0';
	return letter && strcmp(out, "localhost") != 0 &&
	       strcmp(out, "none") != 0 ? 0 : -1;
}

int sx_direct_list_parse(struct sx_conf *c, const char *list,
			 char *err, size_t errlen)
{
	struct sx_net nets[SX_CONF_MAX_DIRECT];
	char domains[SX_CONF_MAX_DOMAINS][254];
	size_t count = 0, ndom = 0;
	const char *s = list ? list : "";

	if (err && errlen)
		err[0] = '\0';
	while (*s) {
		const char *end = s + strcspn(s, ",");
		const char *b = s, *e = end;
		char item[256], dom[sizeof domains[0]];

		while (b < e && is_blank(*b))
			b++;
		while (e > b && is_blank(e[-1]))
			e--;
		s = *end ? end + 1 : end;
		if (b == e)
			continue;               /* empty item: "a,,b", trailing ',' */
		if ((size_t)(e - b) == 4 && strncasecmp(b, "none", 4) == 0 &&
		    count == 0 && ndom == 0 && *s == '\0')
			break;                  /* the whole list is "none" */
		if ((size_t)(e - b) >= sizeof item) {
			net_error(err, errlen, b, "too long");
			return -1;
		}
		memcpy(item, b, (size_t)(e - b));
		item[e - b] = '\0';
		/* parse into dom first: domains[ndom] does not exist when full */
		if (!strpbrk(item, "/:[") &&
		    sx_conf_domain_parse(item, dom, sizeof dom) == 0) {
			if (ndom >= SX_CONF_MAX_DOMAINS) {
				if (err && errlen)
					snprintf(err, errlen, "too many direct domains "
						 "(max %d)", SX_CONF_MAX_DOMAINS);
				return -1;
			}
			memcpy(domains[ndom++], dom, sizeof dom);
			continue;
		}
		if (count >= SX_CONF_MAX_DIRECT) {
			if (err && errlen)
				snprintf(err, errlen, "too many direct entries (max %d)",
					 SX_CONF_MAX_DIRECT);
			return -1;
		}
		if (sx_net_parse(item, &nets[count], err, errlen) < 0)
			return -1;
		count++;
	}
	memcpy(c->direct, nets, count * sizeof nets[0]);
	c->ndirect = count;
	memcpy(c->direct_domains, domains, ndom * sizeof domains[0]);
	c->ndomains = ndom;
	return 0;
}

bool sx_conf_name_under(const char *name, const char (*domains)[254],
			size_t ndomains)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < ndomains; i++) {
		const char *d = domains[i];
		size_t dl = strlen(d);

		if (n < dl || strncasecmp(name + n - dl, d, dl) != 0)
			continue;
		if (n == dl || name[n - dl - 1] == '.')
			return true;
	}
	return false;
}

bool sx_conf_name_is_direct(const struct sx_conf *c, const char *name)
{
	return sx_conf_name_under(name, c->direct_domains, c->ndomains);
}

static bool net_match(const struct sx_net *n, int family,
		      const uint8_t *addr, uint16_t port)
{
	return n->family == family && port >= n->port_lo && port <= n->port_hi &&
	       sx_net_prefix_has(n, addr);
}

/* The address and port of sa (v4 also for a v4-mapped IPv6); false for
 * another family. */
static bool sa_parts(const struct sockaddr *sa, const uint8_t **v4,
		     const uint8_t **v6, uint16_t *port)
{
	*v4 = *v6 = NULL;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		*v4 = (const uint8_t *)&sin->sin_addr;
		*port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		*v6 = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			*v4 = *v6 + 12;
		*port = ntohs(sin6->sin6_port);
	} else {
		return false;
	}
	return true;
}

bool sx_conf_addr_parts(const struct sockaddr *sa, struct sx_addr_parts *p)
{
	return sa_parts(sa, &p->v4, &p->v6, &p->port);
}

bool sx_conf_net_has(const struct sx_net *n, const struct sx_addr_parts *p)
{
	return (p->v4 && net_match(n, AF_INET, p->v4, p->port)) ||
	       (p->v6 && net_match(n, AF_INET6, p->v6, p->port));
}

void sx_conf_net_str(const struct sx_net *n, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN], ports[16] = "";
	bool v6 = n->family == AF_INET6;
	bool whole = n->prefix == (v6 ? 128 : 32);

	if (!inet_ntop(n->family, n->addr, addr, sizeof addr))
		snprintf(addr, sizeof addr, "?");
	if (n->port_lo == n->port_hi)
		snprintf(ports, sizeof ports, ":%u", n->port_lo);
	else if (n->port_lo > 1 || n->port_hi < 65535)
		snprintf(ports, sizeof ports, ":%u-%u", n->port_lo, n->port_hi);
	if (v6 && ports[0] && whole)
		snprintf(buf, len, "[%s]%s", addr, ports);
	else if (v6 && ports[0])
		snprintf(buf, len, "[%s]/%u%s", addr, n->prefix, ports);
	else if (whole)
		snprintf(buf, len, "%s%s", addr, ports);
	else
		snprintf(buf, len, "%s/%u%s", addr, n->prefix, ports);
}

bool sx_conf_is_direct(const struct sx_conf *c, const struct sockaddr *sa)
{
	const uint8_t *v6, *v4;
	uint16_t port;

	if (!c || !sa || !sa_parts(sa, &v4, &v6, &port))
		return false;
	for (size_t i = 0; i < c->ndirect && i < SX_CONF_MAX_DIRECT; i++) {
		if ((v4 && net_match(&c->direct[i], AF_INET, v4, port)) ||
		    (v6 && net_match(&c->direct[i], AF_INET6, v6, port)))
			return true;
	}
	return false;
}
