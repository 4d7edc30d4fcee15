/*
 * conf.c - defaults, the config-file syntax and the environment.
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
#define TIMEOUT_MAX_MS 3600000          /* one hour */

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

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
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
}

bool sx_conf_remote_dns(const struct sx_conf *c)
{
	if (c->dns == SX_DNS_AUTO)
		return c->proxy.remote_dns;
	return c->dns == SX_DNS_REMOTE;
}

/* ---- setters shared by the file and the environment ---------------- */

/*
 * After every setter: the settings of their own (pipelining, GSS-API),
 * which their setters write into c->proxy, go to every hop; then c->proxy
 * is the primary route's exit hop again.
 */
static void sync_hops(struct sx_conf *c)
{
	for (size_t r = 0; r < c->nroutes; r++) {
		for (size_t h = 0; h < c->routes[r].nhops; h++) {
			c->routes[r].hops[h].pipelining = c->proxy.pipelining;
			c->routes[r].hops[h].gss = c->proxy.gss;
		}
	}
	c->proxy = c->routes[0].hops[c->routes[0].nhops - 1];
}

/* One proxy and no fallback: credentials work as they always did, the
 * last of URL, user and password wins. */
static bool single_proxy(const struct sx_conf *c)
{
	return c->nroutes == 1 && c->routes[0].nhops == 1;
}

/* What a hop without credentials in its URL gets. */
static void hop_template(const struct sx_conf *c, struct sx_proxy *t)
{
	memset(t, 0, sizeof *t);
	memcpy(t->user, c->user, sizeof t->user);
	memcpy(t->pass, c->pass, sizeof t->pass);
	t->user_set = c->user_set;
	t->pass_set = c->pass_set;
	t->pipelining = c->proxy.pipelining;
	t->gss = c->proxy.gss;
}

static int add_routes(struct sx_conf *c, const char *val, bool replace,
		      char *err, size_t errlen)
{
	struct sx_proxy tmpl;
	size_t n = replace ? 0 : c->nroutes;
	int rc;

	hop_template(c, &tmpl);
	rc = sx_routes_parse(val, c->routes, SX_CONF_MAX_ROUTES, &n, &tmpl,
			     err, errlen);
	explicit_bzero(&tmpl, sizeof tmpl);
	if (rc < 0)
		return -1;
	c->nroutes = n;
	if (single_proxy(c) && c->routes[0].hops[0].url_creds) {
		/* as before: the URL's credentials replace user and password */
		const struct sx_proxy *h = &c->routes[0].hops[0];

		memcpy(c->user, h->user, sizeof c->user);
		memcpy(c->pass, h->pass, sizeof c->pass);
		c->user_set = h->user_set;
		c->pass_set = h->pass_set;
	}
	sync_hops(c);
	return 0;
}

/* "proxy": the primary route (and '|' alternatives); clears fallbacks. */
static int set_proxy(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	return add_routes(c, val, true, err, errlen);
}

/* "fallback": one more route (or several, '|'), tried after the others. */
static int add_fallback(struct sx_conf *c, const char *val, char *err,
			size_t errlen)
{
	return add_routes(c, val, false, err, errlen);
}

/* user/password go to every hop whose URL has no credentials (with a
 * single proxy, to it in any case). */
static void set_hop_creds(struct sx_conf *c, const char *val, bool pass)
{
	for (size_t r = 0; r < c->nroutes; r++) {
		for (size_t h = 0; h < c->routes[r].nhops; h++) {
			struct sx_proxy *p = &c->routes[r].hops[h];

			if (p->url_creds && !single_proxy(c))
				continue;
			snprintf(pass ? p->pass : p->user, sizeof p->user, "%s", val);
			if (pass)
				p->pass_set = true;
			else
				p->user_set = true;
		}
	}
	sync_hops(c);
}

static int set_user(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (n == 0 || n > 255) {
		seterr(err, errlen, "user name must be 1-255 bytes (got %zu)", n);
		return -1;
	}
	memcpy(c->user, val, n + 1);
	c->user_set = true;
	set_hop_creds(c, val, false);
	return 0;
}

static int set_password(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (n == 0 || n > 255) {
		seterr(err, errlen, "password must be 1-255 bytes");
		return -1;
	}
	memcpy(c->pass, val, n + 1);
	c->pass_set = true;
	set_hop_creds(c, val, true);
	return 0;
}

static int parse_level(const char *val, enum sx_log_level *lvl)
{
	static const struct { const char *name; enum sx_log_level lvl; } levels[] = {
		{ "quiet", SX_LOG_QUIET }, { "error", SX_LOG_ERROR },
		{ "info", SX_LOG_INFO }, { "debug", SX_LOG_DEBUG },
		{ "0", SX_LOG_ERROR }, { "1", SX_LOG_INFO }, { "2", SX_LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (strcasecmp(val, levels[i].name) == 0) {
			*lvl = levels[i].lvl;
			return 0;
		}
	}
	return -1;
}

static int set_log_level(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	enum sx_log_level lvl;

	if (parse_level(val, &lvl) < 0) {
		seterr(err, errlen,
		       "bad log level '%.*s' (use quiet, error, info or debug; or 0, 1, 2)",
		       ECHO_MAX, val);
		return -1;
	}
	c->log_level = lvl;
	return 0;
}

/* SOCKSIFY_QUIET: anything but "" and "0" means quiet */
static int set_quiet(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (val[0] != '\0' && strcmp(val, "0") != 0)
		c->log_level = SX_LOG_QUIET;
	return 0;
}

static int set_log_file(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (strcmp(val, "stderr") == 0) {
		c->log_file[0] = '\0';
		return 0;
	}
	if (val[0] != '/') {
		seterr(err, errlen, "log file '%.*s' is not an absolute path (or \"stderr\")",
		       ECHO_MAX, val);
		return -1;
	}
	if (n >= sizeof c->log_file) {
		seterr(err, errlen, "log file path too long (%zu bytes, max %zu)",
		       n, sizeof c->log_file - 1);
		return -1;
	}
	memcpy(c->log_file, val, n + 1);
	return 0;
}

static int set_direct_list(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	return sx_direct_list_parse(c, val, err, errlen);
}

static int add_direct_from(struct sx_conf *c, const struct sx_conf *tmp,
			   char *err, size_t errlen)
{
	if (tmp->ndirect == 0 && tmp->ndomains == 0) {
		seterr(err, errlen, "missing network after 'direct'");
		return -1;
	}
	if (c->ndirect + tmp->ndirect > SX_CONF_MAX_DIRECT) {
		seterr(err, errlen, "too many direct entries (max %d)", SX_CONF_MAX_DIRECT);
		return -1;
	}
	if (c->ndomains + tmp->ndomains > SX_CONF_MAX_DOMAINS) {
		seterr(err, errlen, "too many direct domains (max %d)", SX_CONF_MAX_DOMAINS);
		return -1;
	}
	memcpy(&c->direct[c->ndirect], tmp->direct, tmp->ndirect * sizeof tmp->direct[0]);
	c->ndirect += tmp->ndirect;
	memcpy(&c->direct_domains[c->ndomains], tmp->direct_domains,
	       tmp->ndomains * sizeof tmp->direct_domains[0]);
	c->ndomains += tmp->ndomains;
	return 0;
}

/*
 * "direct" in a file: "none" clears, anything else is added to the list.
 * The list is parsed into a heap temporary: struct sx_conf is too large
 * for the stack of an arbitrary program's thread.
 */
static int add_direct(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	struct sx_conf *tmp;
	int rc;

	if (strcasecmp(val, "none") == 0) {
		c->ndirect = 0;
		c->ndomains = 0;
		return 0;
	}
	tmp = calloc(1, sizeof *tmp);
	if (!tmp) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	rc = sx_direct_list_parse(tmp, val, err, errlen);
	if (rc == 0)
		rc = add_direct_from(c, tmp, err, errlen);
	free(tmp);
	return rc;
}

/*
 * Timeout: seconds with optional decimals ("2.5"), or with a unit "s" or
 * "ms" ("1500ms", "3 s").  Sub-millisecond remainders round up, so every
 * value > 0 gives at least 1 ms.  Must be > 0 and <= 3600 s.
 */
static int parse_timeout(const char *val, int *ms, char *err, size_t errlen)
{
	unsigned long long ipart = 0, fnum = 0, fden = 1, mult, total;
	bool frest = false, big = false;
	size_t ndig = 0;
	const char *s = val;

	for (; is_digit(*s); s++, ndig++) {
		if (ipart > 100000000ULL)
			big = true;
		else
			ipart = ipart * 10 + (unsigned)(*s - '0');
	}
	if (*s == '.') {
		for (s++; is_digit(*s); s++, ndig++) {
			if (fden < 1000000000ULL) {
				fnum = fnum * 10 + (unsigned)(*s - '0');
				fden *= 10;
			} else if (*s != '0') {
				frest = true;
			}
		}
	}
	while (is_blank(*s))
		s++;
	if (ndig == 0) {
		seterr(err, errlen, "bad timeout '%.*s': not a number", ECHO_MAX, val);
		return -1;
	}
	if (*s == '\0' || strcmp(s, "s") == 0) {
		mult = 1000;
	} else if (strcmp(s, "ms") == 0) {
		mult = 1;
	} else {
		seterr(err, errlen, "bad timeout '%.*s': unit must be s or ms",
		       ECHO_MAX, val);
		return -1;
	}
	total = ipart * mult + (fnum * mult + fden - 1 + (frest ? 1 : 0)) / fden;
	if (big || total == 0 || total > TIMEOUT_MAX_MS) {
		seterr(err, errlen, "bad timeout '%.*s': must be > 0 and at most 3600 s",
		       ECHO_MAX, val);
		return -1;
	}
	*ms = (int)total;
	return 0;
}

static int set_connect_timeout(struct sx_conf *c, const char *val,
			       char *err, size_t errlen)
{
	return parse_timeout(val, &c->connect_timeout_ms, err, errlen);
}

/* "0": never skip a route that failed */
static int set_failover_downtime(struct sx_conf *c, const char *val,
				 char *err, size_t errlen)
{
	if (strcmp(val, "0") == 0) {
		c->failover_downtime_ms = 0;
		return 0;
	}
	return parse_timeout(val, &c->failover_downtime_ms, err, errlen);
}

static int set_handshake_timeout(struct sx_conf *c, const char *val,
				 char *err, size_t errlen)
{
	return parse_timeout(val, &c->handshake_timeout_ms, err, errlen);
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
	{ "connect_timeout", set_connect_timeout },
	{ "handshake_timeout", set_handshake_timeout },
	{ "log_level", set_log_level },
	{ "log_file", set_log_file },
	{ "bind", set_bind },
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
