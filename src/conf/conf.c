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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES 4095
#define TIMEOUT_MAX_MS 3600000          /* one hour */
#define ECHO_MAX 64                     /* longest value quoted in a message */

typedef int (*setter_fn)(struct sx_conf *c, const char *val,
			 char *err, size_t errlen);

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
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

static int set_proxy(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	struct sx_proxy p;

	if (sx_proxy_url_parse(val, &p, err, errlen) < 0)
		return -1;
	if (!p.user_set) {
		/* no credentials in the URL: keep those set earlier */
		memcpy(p.user, c->proxy.user, sizeof p.user);
		memcpy(p.pass, c->proxy.pass, sizeof p.pass);
		p.user_set = c->proxy.user_set;
		p.pass_set = c->proxy.pass_set;
	}
	p.pipelining = c->proxy.pipelining;     /* a setting of its own */
	c->proxy = p;
	explicit_bzero(&p, sizeof p);
	return 0;
}

static int set_user(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (n == 0 || n > 255) {
		seterr(err, errlen, "user name must be 1-255 bytes (got %zu)", n);
		return -1;
	}
	memcpy(c->proxy.user, val, n + 1);
	c->proxy.user_set = true;
	return 0;
}

static int set_password(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (n == 0 || n > 255) {
		seterr(err, errlen, "password must be 1-255 bytes");
		return -1;
	}
	memcpy(c->proxy.pass, val, n + 1);
	c->proxy.pass_set = true;
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

/* "direct" in a file: "none" clears, anything else is added to the list */
static int add_direct(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	struct sx_conf tmp;

	if (strcasecmp(val, "none") == 0) {
		c->ndirect = 0;
		c->ndomains = 0;
		return 0;
	}
	if (sx_direct_list_parse(&tmp, val, err, errlen) < 0)
		return -1;
	if (tmp.ndirect == 0 && tmp.ndomains == 0) {
		seterr(err, errlen, "missing network after 'direct'");
		return -1;
	}
	if (c->ndirect + tmp.ndirect > SX_CONF_MAX_DIRECT) {
		seterr(err, errlen, "too many direct entries (max %d)", SX_CONF_MAX_DIRECT);
		return -1;
	}
	if (c->ndomains + tmp.ndomains > SX_CONF_MAX_DOMAINS) {
		seterr(err, errlen, "too many direct domains (max %d)", SX_CONF_MAX_DOMAINS);
		return -1;
	}
	memcpy(&c->direct[c->ndirect], tmp.direct, tmp.ndirect * sizeof tmp.direct[0]);
	c->ndirect += tmp.ndirect;
	memcpy(&c->direct_domains[c->ndomains], tmp.direct_domains,
	       tmp.ndomains * sizeof tmp.direct_domains[0]);
	c->ndomains += tmp.ndomains;
	return 0;
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

static int set_handshake_timeout(struct sx_conf *c, const char *val,
				 char *err, size_t errlen)
{
	return parse_timeout(val, &c->handshake_timeout_ms, err, errlen);
}

static int set_dns(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	if (strcasecmp(val, "remote") == 0)
		c->dns = SX_DNS_REMOTE;
	else if (strcasecmp(val, "local") == 0)
		c->dns = SX_DNS_LOCAL;
	else if (strcasecmp(val, "auto") == 0)
		c->dns = SX_DNS_AUTO;
	else {
		seterr(err, errlen, "bad dns mode '%.*s' (use remote, local or auto)",
		       ECHO_MAX, val);
		return -1;
	}
	return 0;
}

static int set_dns_range(struct sx_net *out, int family, const char *val,
			 char *err, size_t errlen)
{
	struct sx_net n;
	int maxhost = family == AF_INET ? 16 : 32;   /* >= 2^16 addresses */

	if (sx_net_parse(val, &n, err, errlen) < 0)
		return -1;
	if (n.family != family || n.port_lo != 0 || n.port_hi != 65535) {
		seterr(err, errlen, "bad mapped range '%.*s': need an %s network "
		       "without ports", ECHO_MAX, val,
		       family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	if ((family == AF_INET ? 32 : 128) - n.prefix < maxhost / 2 ||
	    (family == AF_INET6 && n.prefix > 96)) {
		seterr(err, errlen, "bad mapped range '%.*s': too small (at "
		       "least /%d)", ECHO_MAX, val, family == AF_INET ? 24 : 96);
		return -1;
	}
	*out = n;
	return 0;
}

static int set_dns_map_v4(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	return set_dns_range(&c->dns_map_v4, AF_INET, val, err, errlen);
}

static int set_dns_map_v6(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	return set_dns_range(&c->dns_map_v6, AF_INET6, val, err, errlen);
}

static int set_dns_map_size(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	char *end;
	unsigned long long n = strtoull(val, &end, 10);

	if (!is_digit(val[0]) || *end || n < 16 || n > 4194302) {
		seterr(err, errlen, "bad dns_map_size '%.*s' (16 to 4194302)",
		       ECHO_MAX, val);
		return -1;
	}
	c->dns_map_size = (uint32_t)n;
	return 0;
}

static int set_dns_hosts(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	if (strcasecmp(val, "local") == 0 || strcasecmp(val, "yes") == 0)
		c->dns_hosts_local = true;
	else if (strcasecmp(val, "remote") == 0 || strcasecmp(val, "no") == 0)
		c->dns_hosts_local = false;
	else {
		seterr(err, errlen, "bad dns_hosts '%.*s' (use local or remote)",
		       ECHO_MAX, val);
		return -1;
	}
	return 0;
}

static int set_pipelining(struct sx_conf *c, const char *val, char *err,
			  size_t errlen)
{
	if (strcasecmp(val, "on") == 0 || strcasecmp(val, "yes") == 0)
		c->proxy.pipelining = SX_PIPE_ON;
	else if (strcasecmp(val, "off") == 0 || strcasecmp(val, "no") == 0)
		c->proxy.pipelining = SX_PIPE_OFF;
	else if (strcasecmp(val, "auto") == 0)
		c->proxy.pipelining = SX_PIPE_AUTO;
	else {
		seterr(err, errlen, "bad pipelining '%.*s' (use on, off or auto)",
		       ECHO_MAX, val);
		return -1;
	}
	return 0;
}

static int set_udp(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	if (strcasecmp(val, "refuse") == 0)
		c->udp = SX_UDP_REFUSE;
	else if (strcasecmp(val, "direct") == 0)
		c->udp = SX_UDP_DIRECT;
	else {
		seterr(err, errlen, "bad udp policy '%.*s' (use refuse or direct)",
		       ECHO_MAX, val);
		return -1;
	}
	return 0;
}

/* ---- the file ------------------------------------------------------- */

static const struct keyword {
	const char *name;
	setter_fn set;
} keywords[] = {
	{ "proxy", set_proxy },
	{ "user", set_user },
	{ "password", set_password },
	{ "direct", add_direct },
	{ "connect_timeout", set_connect_timeout },
	{ "handshake_timeout", set_handshake_timeout },
	{ "log_level", set_log_level },
	{ "log_file", set_log_file },
	{ "dns", set_dns },
	{ "dns_map_v4", set_dns_map_v4 },
	{ "dns_map_v6", set_dns_map_v6 },
	{ "dns_map_size", set_dns_map_size },
	{ "dns_hosts", set_dns_hosts },
	{ "udp", set_udp },
	{ "pipelining", set_pipelining },
};

/* One line, NUL-terminated and writable.  Returns 0 or -1 with msg set. */
static int parse_line(struct sx_conf *c, char *line, char *msg, size_t msglen)
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
	return k->set(c, val, msg, msglen);
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
		if (parse_line(c, line, msg, sizeof msg) < 0) {
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

static void append_source(struct sx_conf *c, const char *what)
{
	size_t used = strnlen(c->sources, sizeof c->sources);

	if (used >= sizeof c->sources - 1)
		return;
	snprintf(c->sources + used, sizeof c->sources - used, "%s%s",
		 used ? ", " : "", what);
}

int sx_conf_apply_env(struct sx_conf *c, const char *(*getenv_fn)(const char *))
{
	/* Order matters: USER/PASSWORD override the proxy URL's credentials,
	 * QUIET wins over DEBUG. */
	static const struct envvar {
		const char *name;
		setter_fn set;
		bool empty_means_something;
	} vars[] = {
		{ "SOCKSIFY_PROXY", set_proxy, false },
		{ "SOCKSIFY_USER", set_user, false },
		{ "SOCKSIFY_PASSWORD", set_password, false },
		{ "SOCKSIFY_DIRECT", set_direct_list, true },
		{ "SOCKSIFY_DEBUG", set_log_level, false },
		{ "SOCKSIFY_QUIET", set_quiet, false },
		{ "SOCKSIFY_LOG", set_log_file, false },
		{ "SOCKSIFY_DNS", set_dns, false },
		{ "SOCKSIFY_PIPELINING", set_pipelining, false },
	};
	char msg[SX_CONF_ERRLEN];
	bool used = false;
	int rc = 0;

	if (!getenv_fn)
		return 0;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *val = getenv_fn(vars[i].name);

		if (!val || (val[0] == '\0' && !vars[i].empty_means_something))
			continue;
		used = true;
		if (vars[i].set(c, val, msg, sizeof msg) < 0) {
			seterr(c->error, sizeof c->error, "%s: %s", vars[i].name, msg);
			rc = -1;
			break;
		}
	}
	if (used)
		append_source(c, "env");
	return rc;
}
