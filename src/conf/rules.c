/*
 * rules.c - routes by destination: the "route" keyword and the matching.
 *
 *   route NAME = URL [URL ...] [| URL [URL ...] ...]
 *       a named route: a proxy, a chain, or alternatives (as "proxy")
 *   route [tcp|udp] MATCH[,MATCH...] [tcp|udp] TARGET
 *       MATCH   *                     anything
 *               corp.example          that name and every name below it
 *               .corp.example, *.corp.example   the same
 *               =host.example         that name only
 *               NAME:PORT[-PORT]      a name (either form) on those ports
 *               10.0.0.0/8, [2001:db8::]/32:443, 192.0.2.1:22
 *                                     a network (and ports), as "direct"
 *               :PORT[-PORT]          any destination on those ports
 *       TARGET  direct | block | proxy (the proxy line) | NAME
 *
 * Pure string parsing and matching, no I/O.  A rule is tried in O(1), so
 * matching is O(number of rules) per connection; nothing is prepared
 * beforehand.
 */
#include "socksify/conf.h"
#include "setters.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VALUE_MAX 4096

static const char *const fixed[] = { "block", "direct", "proxy" };

const char *sx_conf_target_name(const struct sx_conf *c, int target)
{
	if (target >= SX_TARGET_BLOCK && target <= SX_TARGET_PROXY)
		return fixed[target - SX_TARGET_BLOCK];
	if (target > 0 && (size_t)target <= c->nnamed)
		return c->named[target - 1].name;
	return "?";
}

static int target_parse(const struct sx_conf *c, const char *w)
{
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcasecmp(w, fixed[i]) == 0)
			return (int)i + SX_TARGET_BLOCK;
	for (size_t i = 0; i < c->nnamed; i++)
		if (strcmp(w, c->named[i].name) == 0)
			return (int)i + 1;
	return -100;
}

static bool valid_name(const char *w)
{
	size_t n = strlen(w);

	if (n == 0 || n >= SX_CONF_ROUTE_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(w[i]) && !(w[i] >= 'a' && w[i] <= 'z') &&
		    !(w[i] >= 'A' && w[i] <= 'Z') && w[i] != '_' && w[i] != '-')
			return false;
	return true;
}

/* "NAME = URL ...": a named route. */
static int define_named(struct sx_conf *c, const char *name, const char *urls,
			char *err, size_t errlen)
{
	struct sx_named_route *nr;
	struct sx_proxy tmpl;
	size_t n = 0;
	int rc;

	if (!valid_name(name) || target_parse(c, name) != -100) {
		sx_conf_seterr(err, errlen, "bad route name '%.*s' (letters, "
			       "digits, '_' and '-', at most %d; not direct, "
			       "block, proxy or a name already defined)",
			       ECHO_MAX, name, SX_CONF_ROUTE_NAME - 1);
		return -1;
	}
	if (c->nnamed >= SX_CONF_MAX_NAMED) {
		sx_conf_seterr(err, errlen, "too many named routes (max %d)",
			       SX_CONF_MAX_NAMED);
		return -1;
	}
	nr = &c->named[c->nnamed];
	memset(&tmpl, 0, sizeof(tmpl));
	memcpy(tmpl.user, c->user, sizeof(tmpl.user));
	memcpy(tmpl.pass, c->pass, sizeof(tmpl.pass));
	tmpl.user_set = c->user_set;
	tmpl.pass_set = c->pass_set;
	tmpl.pipelining = c->proxy.pipelining;
	rc = sx_routes_parse(urls, nr->routes, SX_CONF_MAX_ROUTES, &n, &tmpl,
			     err, errlen);
	explicit_bzero(&tmpl, sizeof(tmpl));
	if (rc < 0)
		return -1;
	snprintf(nr->name, sizeof(nr->name), "%s", name);
	nr->nroutes = n;
	c->nnamed++;
	return 0;
}

/* ":LO[-HI]" at s (just past the ':'); 0 or -1. */
static int ports_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (!is_digit(*s))
		return -1;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (!is_digit(end[1]))
			return -1;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || a > 65535 || b > 65535 || a > b)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* Is this word a network rather than a name?  Numbers, '/', '[', "::". */
static bool looks_like_net(const char *w)
{
	const char *colon = strchr(w, ':');
	bool letter = false;

	if (w[0] == '[' || strchr(w, '/') || (colon && strchr(colon + 1, ':')))
		return true;
	for (const char *p = w; *p && p != colon; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			letter = true;
	return !letter;
}

/* One MATCH word into r. */
static int match_parse(char *w, struct sx_rule *r, char *err, size_t errlen)
{
	char *colon;

	r->port_lo = 0;
	r->port_hi = 65535;
	if (strcmp(w, "*") == 0) {
		r->kind = SX_MATCH_ANY;
		return 0;
	}
	if (w[0] == ':') {
		r->kind = SX_MATCH_PORT;
		if (ports_parse(w + 1, &r->port_lo, &r->port_hi) == 0)
			return 0;
		sx_conf_seterr(err, errlen, "bad port range '%.*s' (PORT or "
			       "LOW-HIGH, 0-65535)", ECHO_MAX, w);
		return -1;
	}
	if (looks_like_net(w)) {
		r->kind = SX_MATCH_NET;
		if (sx_net_parse(w, &r->net, err, errlen) < 0)
			return -1;
		r->port_lo = r->net.port_lo;
		r->port_hi = r->net.port_hi;
		return 0;
	}
	r->kind = w[0] == '=' ? SX_MATCH_EXACT : SX_MATCH_DOMAIN;
	colon = strchr(w, ':');
	if (colon) {
		*colon = '\0';
		if (ports_parse(colon + 1, &r->port_lo, &r->port_hi) < 0) {
			sx_conf_seterr(err, errlen, "bad port range '%.*s' after "
				       "the name '%.*s'", ECHO_MAX, colon + 1,
				       ECHO_MAX, w);
			return -1;
		}
	}
	if (sx_conf_domain_parse(w + (r->kind == SX_MATCH_EXACT), r->domain,
				 sizeof(r->domain)) < 0 ||
	    (r->kind == SX_MATCH_EXACT && (w[1] == '.' || w[1] == '*'))) {
		sx_conf_seterr(err, errlen, "bad route match '%.*s' (a name, "
			       "=name, a network, :port or *)", ECHO_MAX, w);
		return -1;
	}
	return 0;
}

/* Split buf into words (at most max); returns how many. */
static size_t words(char *buf, char **w, size_t max)
{
	size_t n = 0;
	char *s = buf;

	while (*s && n < max) {
		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		w[n++] = s;
		while (*s && !is_blank(*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

/* "MATCH[,MATCH...] [tcp|udp] TARGET" into c->rules, all or nothing. */
static int add_rules(struct sx_conf *c, char **w, size_t nw, char *err,
		     size_t errlen)
{
	struct sx_rule r;
	size_t first = c->nrules;
	int target = target_parse(c, w[nw - 1]);
	char *item, *save = NULL;

	if (target == -100) {
		sx_conf_seterr(err, errlen, "unknown route target '%.*s' (direct, "
			       "block, proxy, or a name from a 'route NAME = URL' "
			       "line above)", ECHO_MAX, w[nw - 1]);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.target = (int8_t)target;
	/* the protocol before or after the matches */
	if (nw == 3 && (strcasecmp(w[0], "tcp") == 0 ||
			strcasecmp(w[0], "udp") == 0)) {
		char *t = w[0];

		w[0] = w[1];
		w[1] = t;
	}
	if (nw == 3 && strcasecmp(w[1], "tcp") == 0)
		r.proto = IPPROTO_TCP;
	else if (nw == 3 && strcasecmp(w[1], "udp") == 0)
		r.proto = IPPROTO_UDP;
	else if (nw != 2) {
		sx_conf_seterr(err, errlen, "route: expected MATCH[,MATCH...] "
			       "[tcp|udp] TARGET, got %zu words", nw);
		return -1;
	}
	for (item = strtok_r(w[0], ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		if (c->nrules >= SX_CONF_MAX_RULES) {
			sx_conf_seterr(err, errlen, "too many route rules (max %d)",
				       SX_CONF_MAX_RULES);
			goto undo;
		}
		if (match_parse(item, &r, err, errlen) < 0)
			goto undo;
		c->rules[c->nrules++] = r;
	}
	return 0;
undo:
	c->nrules = first;
	return -1;
}

int add_route(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	size_t len = strlen(val), nw;
	char *buf, *w[4], *eq;
	int rc = -1;

	if (len >= VALUE_MAX) {
		sx_conf_seterr(err, errlen, "route line too long (max %d bytes)",
			       VALUE_MAX - 1);
		return -1;
	}
	buf = malloc(len + 1);
	if (!buf) {
		sx_conf_seterr(err, errlen, "out of memory");
		return -1;
	}
	memcpy(buf, val, len + 1);
	eq = strchr(buf, '=');
	/* "NAME = URLS": an '=' after the first word, not "=host" */
	if (eq && eq > buf && !strpbrk(buf, ",") && (is_blank(eq[-1]) ||
	    eq == buf + strcspn(buf, " \t="))) {
		*eq = '\0';
		nw = words(buf, w, 2);
		if (nw == 1)
			rc = define_named(c, w[0], eq + 1, err, errlen);
		else
			sx_conf_seterr(err, errlen, "route: expected NAME = URL "
				       "[URL ...] [| URL ...]");
	} else {
		nw = words(buf, w, 4);
		if (nw < 2 || nw > 3)
			sx_conf_seterr(err, errlen, "route: expected MATCH[,MATCH"
				       "...] [tcp|udp] TARGET, or NAME = URL ...");
		else
			rc = add_rules(c, w, nw, err, errlen);
	}
	explicit_bzero(buf, len + 1);
	free(buf);
	return rc;
}

/* name (length n, no trailing dot) is d or below it */
static bool name_below(const char *name, size_t n, const char *d, bool exact)
{
	size_t dl = strlen(d);

	if (n < dl || strncasecmp(name + n - dl, d, dl) != 0)
		return false;
	return n == dl || (!exact && name[n - dl - 1] == '.');
}

static bool rule_matches(const struct sx_rule *r, const char *name, size_t n,
			 const struct sx_addr_parts *sa, uint16_t port, int proto)
{
	if ((r->proto && r->proto != proto) || port < r->port_lo ||
	    port > r->port_hi)
		return false;
	switch (r->kind) {
	case SX_MATCH_DOMAIN:
	case SX_MATCH_EXACT:
		return name && name_below(name, n, r->domain,
					  r->kind == SX_MATCH_EXACT);
	case SX_MATCH_NET:
		return sa && sx_conf_net_has(&r->net, sa);
	default:
		return true;
	}
}

int sx_conf_route_match(const struct sx_conf *c, const char *name,
			const struct sockaddr *sa, uint16_t port, int proto)
{
	size_t n = name ? strlen(name) : 0;
	struct sx_addr_parts parts;
	bool inet = sa && sx_conf_addr_parts(sa, &parts);

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < c->nrules && i < SX_CONF_MAX_RULES; i++)
		if (rule_matches(&c->rules[i], name, n, inet ? &parts : NULL,
				 port, proto))
			return (int)i;
	return -1;
}

void sx_conf_rule_text(const struct sx_conf *c, size_t i, char *buf,
		       size_t len)
{
	const struct sx_rule *r = &c->rules[i];
	char what[300], ports[16] = "";
	const char *proto = r->proto == IPPROTO_TCP ? " tcp" :
			    r->proto == IPPROTO_UDP ? " udp" : "";

	if (r->port_lo != 0 || r->port_hi != 65535)
		snprintf(ports, sizeof(ports), r->port_lo == r->port_hi ? ":%u" :
			 ":%u-%u", r->port_lo, r->port_hi);
	switch (r->kind) {
	case SX_MATCH_DOMAIN:
	case SX_MATCH_EXACT:
		snprintf(what, sizeof(what), "%s%s%s", r->kind == SX_MATCH_EXACT ?
			 "=" : "", r->domain, ports);
		break;
	case SX_MATCH_NET:
		sx_conf_net_str(&r->net, what, sizeof(what));
		break;
	case SX_MATCH_PORT:
		snprintf(what, sizeof(what), "%s", ports);
		break;
	default:
		snprintf(what, sizeof(what), "*%s", ports);
	}
	snprintf(buf, len, "route %s%s %s", what, proto,
		 sx_conf_target_name(c, r->target));
}
