/*
 * setters.c - the setters of the core keywords (proxy, routes, credentials,
 * logging, direct, timeouts), shared by the config file and the
 * environment.  A setter validates first and changes the struct only when
 * the value is good.  No message ever contains a password.
 */
#include "socksify/conf.h"
#include "setters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TIMEOUT_MAX_MS 3600000          /* one hour */
#define seterr sx_conf_seterr

/*
 * After every setter: the settings of their own (pipelining, GSS-API),
 * which their setters write into c->proxy, go to every hop; then c->proxy
 * is the primary route's exit hop again.
 */
void sync_hops(struct sx_conf *c)
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
int set_proxy(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	return add_routes(c, val, true, err, errlen);
}

/* "fallback": one more route (or several, '|'), tried after the others. */
int add_fallback(struct sx_conf *c, const char *val, char *err,
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

int set_user(struct sx_conf *c, const char *val, char *err, size_t errlen)
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

int set_password(struct sx_conf *c, const char *val, char *err, size_t errlen)
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

int set_log_level(struct sx_conf *c, const char *val, char *err, size_t errlen)
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
int set_quiet(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (val[0] != '\0' && strcmp(val, "0") != 0)
		c->log_level = SX_LOG_QUIET;
	return 0;
}

int set_log_file(struct sx_conf *c, const char *val, char *err, size_t errlen)
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

int set_direct_list(struct sx_conf *c, const char *val, char *err, size_t errlen)
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
int add_direct(struct sx_conf *c, const char *val, char *err, size_t errlen)
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

int set_connect_timeout(struct sx_conf *c, const char *val,
			       char *err, size_t errlen)
{
	return parse_timeout(val, &c->connect_timeout_ms, err, errlen);
}

/* "0": never skip a route that failed */
int set_failover_downtime(struct sx_conf *c, const char *val,
				 char *err, size_t errlen)
{
	if (strcmp(val, "0") == 0) {
		c->failover_downtime_ms = 0;
		return 0;
	}
	return parse_timeout(val, &c->failover_downtime_ms, err, errlen);
}

int set_handshake_timeout(struct sx_conf *c, const char *val,
				 char *err, size_t errlen)
{
	return parse_timeout(val, &c->handshake_timeout_ms, err, errlen);
}

int set_bind_timeout(struct sx_conf *c, const char *val, char *err,
		     size_t errlen)
{
	return parse_timeout(val, &c->bind_timeout_ms, err, errlen);
}
