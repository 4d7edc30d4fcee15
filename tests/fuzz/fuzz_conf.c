/*
 * fuzz_conf.c - the config-file parser (sx_conf_parse_text) on arbitrary
 * text, then the lookups a connect() makes on the result
 * (sx_conf_is_direct, sx_conf_name_is_direct, sx_conf_remote_dns,
 * sx_conf_route_match, sx_conf_rule_text).
 *
 * Invariants: the struct stays within its bounds (counts, terminated
 * strings), an error always leaves a message, every direct network
 * matches its own address and every direct domain matches itself and the
 * names below it.
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <strings.h>

#include "socksify/conf.h"

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_struct(const struct sx_conf *c)
{
	FUZZ_ASSERT(c->ndirect <= SX_CONF_MAX_DIRECT, "ndirect %zu", c->ndirect);
	FUZZ_ASSERT(c->ndomains <= SX_CONF_MAX_DOMAINS, "ndomains %zu", c->ndomains);
	FUZZ_ASSERT(terminated(c->error, sizeof c->error), "error");
	FUZZ_ASSERT(terminated(c->sources, sizeof c->sources), "sources");
	FUZZ_ASSERT(terminated(c->log_file, sizeof c->log_file), "log_file");
	FUZZ_ASSERT(terminated(c->proxy.host, sizeof c->proxy.host), "host");
	FUZZ_ASSERT(terminated(c->proxy.user, sizeof c->proxy.user), "user");
	FUZZ_ASSERT(terminated(c->proxy.pass, sizeof c->proxy.pass), "pass");
	FUZZ_ASSERT(c->proxy.host[0] != '\0' && c->proxy.port != 0, "proxy");
	FUZZ_ASSERT(c->proxy.type <= SX_PROXY_HTTP, "type");
	FUZZ_ASSERT(c->nrules <= SX_CONF_MAX_RULES && c->nnamed <= SX_CONF_MAX_NAMED,
		    "rules %zu named %zu", c->nrules, c->nnamed);
	for (size_t i = 0; i < c->nnamed; i++)
		FUZZ_ASSERT(terminated(c->named[i].name, sizeof c->named[i].name) &&
			    c->named[i].nroutes >= 1 &&
			    c->named[i].nroutes <= SX_CONF_MAX_ROUTES, "named %zu", i);
	for (size_t i = 0; i < c->nrules; i++) {
		const struct sx_rule *r = &c->rules[i];

		FUZZ_ASSERT(r->target >= SX_TARGET_BLOCK && r->target <= (int)c->nnamed,
			    "rule %zu target %d", i, r->target);
		FUZZ_ASSERT(r->port_lo <= r->port_hi && r->kind <= SX_MATCH_PORT,
			    "rule %zu", i);
		FUZZ_ASSERT(terminated(r->domain, sizeof r->domain), "rule %zu", i);
	}
	FUZZ_ASSERT(c->connect_timeout_ms > 0 && c->handshake_timeout_ms > 0,
		    "timeouts %d %d", c->connect_timeout_ms, c->handshake_timeout_ms);
	FUZZ_ASSERT(c->log_level >= SX_LOG_QUIET && c->log_level <= SX_LOG_DEBUG,
		    "log level");
	FUZZ_ASSERT(c->dns_map_v4.family == AF_INET && c->dns_map_v4.prefix <= 32 &&
		    c->dns_map_v6.family == AF_INET6 && c->dns_map_v6.prefix <= 128,
		    "dns ranges");
	for (size_t i = 0; i < c->ndomains; i++)
		FUZZ_ASSERT(terminated(c->direct_domains[i], sizeof c->direct_domains[i]) &&
			    c->direct_domains[i][0] != '\0', "domain %zu", i);
	for (size_t i = 0; i < c->ndirect; i++) {
		const struct sx_net *n = &c->direct[i];

		FUZZ_ASSERT((n->family == AF_INET && n->prefix <= 32) ||
			    (n->family == AF_INET6 && n->prefix <= 128),
			    "net %zu family %d prefix %u", i, n->family, n->prefix);
		FUZZ_ASSERT(n->port_lo <= n->port_hi, "net %zu ports", i);
	}
}

static bool direct4(const struct sx_conf *c, const uint8_t a[4], uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, a, 4);
	sin.sin_port = htons(port);
	return sx_conf_is_direct(c, (const struct sockaddr *)&sin);
}

static bool direct6(const struct sx_conf *c, const uint8_t a[16], uint16_t port)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	memcpy(&sin6.sin6_addr, a, 16);
	sin6.sin6_port = htons(port);
	return sx_conf_is_direct(c, (const struct sockaddr *)&sin6);
}

static void check_lookups(const struct sx_conf *c, const uint8_t *data, size_t size)
{
	uint8_t a[16] = { 0 };
	char name[300];

	for (size_t i = 0; i < c->ndirect; i++) {
		const struct sx_net *n = &c->direct[i];
		uint8_t m[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (n->family == AF_INET) {
			FUZZ_ASSERT(direct4(c, n->addr, n->port_lo), "net %zu v4", i);
			FUZZ_ASSERT(direct4(c, n->addr, n->port_hi), "net %zu v4", i);
			memcpy(m + 12, n->addr, 4);     /* ::ffff:a.b.c.d */
			FUZZ_ASSERT(direct6(c, m, n->port_lo), "net %zu mapped", i);
		} else {
			FUZZ_ASSERT(direct6(c, n->addr, n->port_hi), "net %zu v6", i);
		}
	}
	for (size_t i = 0; i < c->ndomains; i++) {
		const char *d = c->direct_domains[i];

		FUZZ_ASSERT(sx_conf_name_is_direct(c, d), "domain %s", d);
		snprintf(name, sizeof name, "x.%s.", d);
		FUZZ_ASSERT(sx_conf_name_is_direct(c, name), "below %s", d);
	}
	/* Every name rule matches its own name on its ports (or an earlier
	 * rule does): first match wins, and never a later one. */
	for (size_t i = 0; i < c->nrules; i++) {
		const struct sx_rule *r = &c->rules[i];
		int proto = r->proto ? r->proto : IPPROTO_TCP, m;
		char text[400];

		sx_conf_rule_text(c, i, text, sizeof text);
		FUZZ_ASSERT(strncmp(text, "route ", 6) == 0, "'%s'", text);
		if (r->kind != SX_MATCH_DOMAIN && r->kind != SX_MATCH_EXACT)
			continue;
		m = sx_conf_route_match(c, r->domain, NULL, r->port_hi, proto);
		FUZZ_ASSERT(m >= 0 && m <= (int)i, "rule %zu '%s': match %d", i,
			    text, m);
	}
	/* Addresses and a name taken from the input itself. */
	memcpy(a, data, size < 16 ? size : 16);
	(void)direct4(c, a, size > 17 ? (uint16_t)(data[16] << 8 | data[17]) : 80);
	(void)direct6(c, a, 443);
	{
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons(80) };

		memcpy(&sin.sin_addr, a, 4);
		(void)sx_conf_route_match(c, NULL, (struct sockaddr *)&sin, 80,
					  IPPROTO_TCP);
	}
	if (size > 0) {
		size_t n = size < sizeof name - 1 ? size : sizeof name - 1;

		memcpy(name, data, n);
		name[n] = '\0';
		(void)sx_conf_name_is_direct(c, name);
		(void)sx_conf_route_match(c, name, NULL, 443, IPPROTO_UDP);
	}
	(void)sx_conf_remote_dns(c);
	{
		struct sockaddr sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_family = AF_UNIX;
		FUZZ_ASSERT(!sx_conf_is_direct(c, &sa), "AF_UNIX direct");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sx_conf c;        /* large; keep it off the stack */
	char *text = (char *)fuzz_dup(data, size);
	int rc;

	sx_conf_defaults(&c);
	rc = sx_conf_parse_text(&c, "fuzz.conf", text, size);
	FUZZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
	FUZZ_ASSERT((rc < 0) == (c.error[0] != '\0'), "rc %d error '%s'", rc, c.error);
	if (rc < 0)
		FUZZ_ASSERT(strncmp(c.error, "fuzz.conf:", 10) == 0, "'%s'", c.error);
	check_struct(&c);
	check_lookups(&c, data, size);
	free(text);
	return 0;
}
