/*
 * conf.c - defaults, the keyword table, the config-file syntax and the
 * environment (the setters are in setters.c and features.c).
 *
 * Both the file keywords and the SOCKSIFY_* variables go through the same
 * setters, so a value means the same thing wherever it is written.  A
 * setter validates first and changes the struct only when the value is
 * good, so the struct stays usable after any error.  No message ever
 * contains a password.
 */
#include "socksify/conf.h"
#include "setters.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES 4095

typedef int (*setter_fn)(struct sx_conf *c, const char *val,
			 char *err, size_t errlen);

#define seterr sx_conf_seterr

void sx_conf_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void sx_conf_bad(char *err, size_t errlen, const char *what, const char *shown,
		 int max, const char *fmt, ...)
{
	char problem[256];
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(problem, sizeof problem, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "bad %s '%.*s%s': %s", what, max, shown,
		 strlen(shown) > (size_t)max ? "..." : "", problem);
}

void sx_conf_defaults(struct sx_conf *c)
{
	memset(c, 0, sizeof *c);
	c->proxy.type = SX_PROXY_SOCKS5;
	c->proxy.remote_dns = false;
	memcpy(c->proxy.host, "127.0.0.1", sizeof "127.0.0.1");
	c->proxy.port = 1080;
	c->proxy.gss.protection = 2;            /* confidentiality */
	c->proxy.gss.min_protection = -1;       /* = what is requested */
	memcpy(c->proxy.gss.service, "rcmd", sizeof "rcmd");
	c->routes[0].hops[0] = c->proxy;
	c->routes[0].nhops = 1;
	c->nroutes = 1;
	c->failover_downtime_ms = 60000;

	c->direct[0].family = AF_INET;
	c->direct[0].addr[0] = 127;
	c->direct[0].prefix = 8;
	c->direct[0].port_lo = 0;
	c->direct[0].port_hi = 65535;
	c->direct[1].family = AF_INET6;
	c->direct[1].addr[15] = 1;
	c->direct[1].prefix = 128;
	c->direct[1].port_lo = 0;
	c->direct[1].port_hi = 65535;
	c->ndirect = 2;

	c->connect_timeout_ms = 10000;
	c->handshake_timeout_ms = 10000;
	c->bind_timeout_ms = 60000;
	c->log_level = SX_LOG_ERROR;

	c->dns = SX_DNS_AUTO;
	c->dns_map_v4.family = AF_INET;         /* 127.192.0.0/10, as Tor */
	c->dns_map_v4.addr[0] = 127;
	c->dns_map_v4.addr[1] = 192;
	c->dns_map_v4.prefix = 10;
	c->dns_map_v4.port_hi = 65535;
	c->dns_map_v6.family = AF_INET6;        /* 100::/64, RFC 6666 */
	c->dns_map_v6.addr[0] = 0x01;
	c->dns_map_v6.prefix = 64;
	c->dns_map_v6.port_hi = 65535;
	c->dns_map_size = 65536;
	c->dns_hosts_local = true;
	memcpy(c->proxy_only_domains[0], "onion", sizeof "onion");
	c->nproxy_only = 1;
}

bool sx_conf_remote_dns(const struct sx_conf *c)
{
	if (c->dns == SX_DNS_AUTO)
		return c->proxy.remote_dns;
	return c->dns == SX_DNS_REMOTE;
}


static const struct keyword {
	const char *name;
	setter_fn set;
} keywords[] = {
	{ "proxy", set_proxy },
	{ "fallback", add_fallback },
	{ "failover_downtime", set_failover_downtime },
	{ "round_robin", set_round_robin },
	{ "user", set_user },
	{ "password", set_password },
	{ "direct", add_direct },
	{ "route", add_route },
	{ "connect_timeout", set_connect_timeout },
	{ "handshake_timeout", set_handshake_timeout },
	{ "log_level", set_log_level },
	{ "log_file", set_log_file },
	{ "bind", set_bind },
	{ "bind_timeout", set_bind_timeout },
	{ "dns", set_dns },
	{ "dns_map_v4", set_dns_map_v4 },
	{ "dns_map_v6", set_dns_map_v6 },
	{ "dns_map_size", set_dns_map_size },
	{ "dns_hosts", set_dns_hosts },
	{ "gssapi", set_gssapi },
	{ "gssapi_service", set_gssapi_service },
	{ "gssapi_principal", set_gssapi_principal },
	{ "gssapi_protection", set_gssapi_protection },
	{ "gssapi_min_protection", set_gssapi_min_protection },
	{ "gssapi_delegate", set_gssapi_delegate },
	{ "udp", set_udp },
	{ "pipelining", set_pipelining },
	{ "async_handshake", set_async_handshake },
	{ "engine", set_engine },
	{ "strict", set_strict },
	{ "isolate", set_isolate },
	{ "proxy_only_domain", add_proxy_only_domain },
};
#define NKEYWORDS (sizeof keywords / sizeof keywords[0])
_Static_assert(NKEYWORDS <= SX_CONF_ORIGIN_MAX, "raise SX_CONF_ORIGIN_MAX");

const char *sx_conf_keyword(size_t i)
{
	return i < NKEYWORDS ? keywords[i].name : NULL;
}

static int keyword_index(const char *kw)
{
	for (size_t i = 0; i < NKEYWORDS; i++) {
		if (strcasecmp(kw, keywords[i].name) == 0)
			return (int)i;
	}
	return -1;
}

const char *sx_conf_origin(const struct sx_conf *c, const char *kw)
{
	int i = keyword_index(kw);

	return i < 0 ? NULL : c->origin[i];
}

/* Remember where kw got its value (for socksify --show-config).  A long
 * path keeps its end, which names the file. */
static void set_origin(struct sx_conf *c, const char *kw, const char *where,
		       unsigned line)
{
	char buf[SX_CONF_ORIGIN_LEN + 32];
	int i = keyword_index(kw);
	size_t n;

	if (i < 0)
		return;
	if (line)
		n = (size_t)snprintf(buf, sizeof buf, "%s:%u", where, line);
	else
		n = (size_t)snprintf(buf, sizeof buf, "%s", where);
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	if (n >= SX_CONF_ORIGIN_LEN)
		snprintf(c->origin[i], SX_CONF_ORIGIN_LEN, "...%s",
			 buf + n - (SX_CONF_ORIGIN_LEN - 4));
	else
		memcpy(c->origin[i], buf, n + 1);
}

/* A proxy URL with user@ sets the credentials too. */
static void note_set(struct sx_conf *c, const char *kw, const char *val,
		     const char *where, unsigned line)
{
	set_origin(c, kw, where, line);
	if (strcasecmp(kw, "proxy") == 0 && strchr(val, '@')) {
		set_origin(c, "user", where, line);
		set_origin(c, "password", where, line);
	}
}

/* One line, NUL-terminated and writable.  Returns 0 or -1 with msg set. */
static int parse_line(struct sx_conf *c, char *line, const char *name,
		      unsigned lineno, char *msg, size_t msglen)
{
	char *s = line, *kw, *val, *end;
	const struct keyword *k = NULL;

	for (size_t i = 0; line[i]; i++) {
		if (line[i] == '#' && (i == 0 || is_blank(line[i - 1]))) {
			line[i] = '\0';
			break;
		}
	}
	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	if (*s == '\0')
		return 0;

	kw = s;
	while (*s && !is_blank(*s))
		s++;
	val = s;
	if (*s) {
		*s = '\0';
		val = s + 1;
		while (is_blank(*val))
			val++;
	}
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
		if (strcasecmp(kw, keywords[i].name) == 0)
			k = &keywords[i];
	}
	if (!k) {
		seterr(msg, msglen, "unknown keyword '%.*s'", ECHO_MAX, kw);
		return -1;
	}
	if (*val == '\0') {
		seterr(msg, msglen, "missing value for '%s'", k->name);
		return -1;
	}
	if (k->set(c, val, msg, msglen) < 0)
		return -1;
	sync_hops(c);
	note_set(c, k->name, val, name, lineno);
	return 0;
}

int sx_conf_parse_text(struct sx_conf *c, const char *name,
		       const char *text, size_t len)
{
	char line[LINE_MAX_BYTES + 1];
	char msg[SX_CONF_ERRLEN];
	size_t pos = 0;
	unsigned lineno = 0;
	int rc = 0;

	if (!name)
		name = "(config)";
	if (!text)
		len = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;                        /* UTF-8 byte order mark */
	msg[0] = '\0';
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > LINE_MAX_BYTES) {
			seterr(msg, sizeof msg, "line too long (max %d bytes)", LINE_MAX_BYTES);
			rc = -1;
			break;
		}
		if (memchr(s, '\0', n)) {
			seterr(msg, sizeof msg, "NUL byte in line");
			rc = -1;
			break;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		if (parse_line(c, line, name, lineno, msg, sizeof msg) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc < 0)
		seterr(c->error, sizeof c->error, "%s:%u: %s", name, lineno, msg);
	explicit_bzero(line, sizeof line);
	return rc;
}

/* ---- the environment ------------------------------------------------ */

/* Append ", what" (or "what") to list, truncated to fit. */
static void append_to(char *list, size_t cap, const char *what)
{
	size_t used = strnlen(list, cap), n;

	if (used >= cap - 1)
		return;
	if (used) {
		n = cap - 1 - used < 2 ? cap - 1 - used : 2;
		memcpy(list + used, ", ", n);
		used += n;
	}
	n = strlen(what);
	if (n > cap - 1 - used)
		n = cap - 1 - used;
	memcpy(list + used, what, n);
	list[used + n] = '\0';
}

static void append_source(struct sx_conf *c, const char *what)
{
	append_to(c->sources, sizeof c->sources, what);
}

static bool is_socks_url(const char *url)
{
	static const char *const schemes[] = {
		"socks5://", "socks5h://", "socks4://", "socks4a://",
	};

	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
			return true;
	}
	return false;
}

/*
 * all_proxy / ALL_PROXY (curl's order: the lower-case one first), only
 * when SOCKSIFY_PROXY is unset or empty, and only a socks URL: other
 * tools read these too, and an http:// proxy is not ours to use.
 * Returns 1 (applied), 0 (nothing) or -1 (c->error set).
 */
static int apply_all_proxy(struct sx_conf *c,
			   const char *(*getenv_fn)(const char *))
{
	const char *name = "all_proxy", *val = getenv_fn(name);
	char msg[SX_CONF_ERRLEN];

	if (!val || !val[0]) {
		name = "ALL_PROXY";
		val = getenv_fn(name);
	}
	if (!val || !val[0])
		return 0;
	if (!is_socks_url(val)) {
		snprintf(msg, sizeof msg, "%s (ignored: not a socks URL)", name);
		append_to(c->env_vars, sizeof c->env_vars, msg);
		return 0;
	}
	append_to(c->env_vars, sizeof c->env_vars, name);
	if (set_proxy(c, val, msg, sizeof msg) < 0) {
		seterr(c->error, sizeof c->error, "%s: %s", name, msg);
		return -1;
	}
	note_set(c, "proxy", val, name, 0);
	return 1;
}

int sx_conf_apply_env(struct sx_conf *c, const char *(*getenv_fn)(const char *))
{
	/* Order matters: USER/PASSWORD override the proxy URL's credentials,
	 * QUIET wins over DEBUG. */
	static const struct envvar {
		const char *name;
		setter_fn set;
		bool empty_means_something;
		const char *kw;         /* the keyword it stands for */
	} vars[] = {
		{ "SOCKSIFY_PROXY", set_proxy, false, "proxy" },
		{ "SOCKSIFY_USER", set_user, false, "user" },
		{ "SOCKSIFY_PASSWORD", set_password, false, "password" },
		{ "SOCKSIFY_DIRECT", set_direct_list, true, "direct" },
		{ "SOCKSIFY_DEBUG", set_log_level, false, "log_level" },
		{ "SOCKSIFY_QUIET", set_quiet, false, "log_level" },
		{ "SOCKSIFY_LOG", set_log_file, false, "log_file" },
		{ "SOCKSIFY_DNS", set_dns, false, "dns" },
		{ "SOCKSIFY_BIND", set_bind, false, "bind" },
		{ "SOCKSIFY_PIPELINING", set_pipelining, false, "pipelining" },
		{ "SOCKSIFY_ASYNC_HANDSHAKE", set_async_handshake, false,
		  "async_handshake" },
		{ "SOCKSIFY_ENGINE", set_engine, false, "engine" },
		{ "SOCKSIFY_STRICT", set_strict, false, "strict" },
		{ "SOCKSIFY_ISOLATE", set_isolate, false, "isolate" },
	};
	char msg[SX_CONF_ERRLEN];
	bool used = false;
	int rc = 0;

	if (!getenv_fn)
		return 0;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *val = getenv_fn(vars[i].name);

		if (i == 0 && (!val || !val[0])) {
			rc = apply_all_proxy(c, getenv_fn);
			if (rc < 0)
				break;
			used = used || rc > 0;
			rc = 0;
		}
		if (!val || (val[0] == '\0' && !vars[i].empty_means_something))
			continue;
		used = true;
		append_to(c->env_vars, sizeof c->env_vars, vars[i].name);
		if (vars[i].set(c, val, msg, sizeof msg) < 0) {
			seterr(c->error, sizeof c->error, "%s: %s", vars[i].name, msg);
			rc = -1;
			break;
		}
		sync_hops(c);
		if (vars[i].set != set_quiet || c->log_level == SX_LOG_QUIET)
			note_set(c, vars[i].kw, val, vars[i].name, 0);
	}
	if (used)
		append_source(c, "env");
	return rc;
}
