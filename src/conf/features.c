/*
 * features.c - the setters of the keywords for remote DNS, pipelining,
 * UDP, round robin, GSS-API and BIND.  The keyword table is in conf.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "setters.h"

#define seterr sx_conf_seterr

int set_dns(struct sx_conf *c, const char *val, char *err, size_t errlen)
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
		seterr(err, errlen, "bad %s '%.*s': need an %s network "
		       "without ports", family == AF_INET ? "dns_map_v4" :
		       "dns_map_v6", ECHO_MAX, val,
		       family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	if ((family == AF_INET ? 32 : 128) - n.prefix < maxhost / 2 ||
	    (family == AF_INET6 && n.prefix > 96)) {
		seterr(err, errlen, "bad %s '%.*s': too small (at least /%d)",
		       family == AF_INET ? "dns_map_v4" : "dns_map_v6",
		       ECHO_MAX, val, family == AF_INET ? 24 : 96);
		return -1;
	}
	*out = n;
	return 0;
}

int set_dns_map_v4(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	return set_dns_range(&c->dns_map_v4, AF_INET, val, err, errlen);
}

int set_dns_map_v6(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	return set_dns_range(&c->dns_map_v6, AF_INET6, val, err, errlen);
}

int set_dns_map_size(struct sx_conf *c, const char *val, char *err, size_t errlen)
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

int set_dns_hosts(struct sx_conf *c, const char *val, char *err, size_t errlen)
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

int set_pipelining(struct sx_conf *c, const char *val, char *err,
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

int set_udp(struct sx_conf *c, const char *val, char *err, size_t errlen)
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

/* ---- GSS-API ---------------------------------------------------------- */

static int parse_bool(const char *val, bool *out)
{
	if (!strcasecmp(val, "on") || !strcasecmp(val, "yes") ||
	    !strcasecmp(val, "true") || !strcmp(val, "1"))
		*out = true;
	else if (!strcasecmp(val, "off") || !strcasecmp(val, "no") ||
		 !strcasecmp(val, "false") || !strcmp(val, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static int set_gss_bool(bool *field, const char *kw, const char *val,
			char *err, size_t errlen)
{
	if (parse_bool(val, field) < 0) {
		seterr(err, errlen, "bad %s '%.*s' (use on or off)", kw, ECHO_MAX, val);
		return -1;
	}
	return 0;
}

int set_async_handshake(struct sx_conf *c, const char *val, char *err,
			size_t errlen)
{
	if (strcasecmp(val, "inline") == 0)
		c->async = SX_ASYNC_INLINE;
	else if (strcasecmp(val, "thread") == 0)
		c->async = SX_ASYNC_THREAD;
	else {
		seterr(err, errlen, "bad async_handshake '%.*s' (use inline or "
		       "thread)", ECHO_MAX, val);
		return -1;
	}
	return 0;
}

int set_round_robin(struct sx_conf *c, const char *val, char *err,
			   size_t errlen)
{
	if (parse_bool(val, &c->round_robin) < 0) {
		seterr(err, errlen, "bad round_robin '%.*s' (use yes or no)",
		       ECHO_MAX, val);
		return -1;
	}
	return 0;
}

/* engine auto|preload|seccomp|ptrace and strict yes|no: how the socksify
 * command runs a program (the library itself ignores both). */
int set_engine(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	static const char *const names[] = {
		[SX_ENGINE_AUTO] = "auto", [SX_ENGINE_PRELOAD] = "preload",
		[SX_ENGINE_SECCOMP] = "seccomp", [SX_ENGINE_PTRACE] = "ptrace",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(val, names[i]) == 0) {
			c->engine = (enum sx_engine)i;
			return 0;
		}
	}
	seterr(err, errlen, "bad engine '%.*s' (use auto, preload, seccomp or "
	       "ptrace)", ECHO_MAX, val);
	return -1;
}

int set_strict(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	if (parse_bool(val, &c->strict) < 0) {
		seterr(err, errlen, "bad strict '%.*s' (use yes or no)", ECHO_MAX, val);
		return -1;
	}
	return 0;
}

int set_gssapi(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	return set_gss_bool(&c->proxy.gss.enabled, "gssapi", val, err, errlen);
}

int set_gssapi_delegate(struct sx_conf *c, const char *val, char *err,
			       size_t errlen)
{
	return set_gss_bool(&c->proxy.gss.delegate, "gssapi_delegate", val, err,
			    errlen);
}

/* A name without blanks or control characters, 1..cap-1 bytes. */
static int set_gss_name(char *field, size_t cap, const char *kw, const char *val,
			char *err, size_t errlen)
{
	size_t n = strlen(val);

	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)val[i] <= ' ' || val[i] == 0x7f) {
			seterr(err, errlen, "bad %s '%.*s': no blanks or control "
			       "characters", kw, ECHO_MAX, val);
			return -1;
		}
	}
	if (n == 0 || n >= cap) {
		seterr(err, errlen, "bad %s: 1 to %zu bytes", kw, cap - 1);
		return -1;
	}
	memcpy(field, val, n + 1);
	return 0;
}

int set_gssapi_service(struct sx_conf *c, const char *val, char *err,
			      size_t errlen)
{
	if (strchr(val, '@') || strchr(val, '/')) {
		seterr(err, errlen, "bad gssapi_service '%.*s': a service name "
		       "such as rcmd (for a full principal use gssapi_principal)",
		       ECHO_MAX, val);
		return -1;
	}
	return set_gss_name(c->proxy.gss.service, sizeof c->proxy.gss.service,
			    "gssapi_service", val, err, errlen);
}

int set_gssapi_principal(struct sx_conf *c, const char *val, char *err,
				size_t errlen)
{
	if (!strcasecmp(val, "none")) {
		c->proxy.gss.principal[0] = '\0';
		return 0;
	}
	return set_gss_name(c->proxy.gss.principal, sizeof c->proxy.gss.principal,
			    "gssapi_principal", val, err, errlen);
}

static int parse_protection(const char *val)
{
	if (!strcasecmp(val, "clear") || !strcasecmp(val, "none"))
		return 0;
	if (!strcasecmp(val, "integrity"))
		return 1;
	if (!strcasecmp(val, "confidentiality"))
		return 2;
	return -1;
}

static const char *protection_name(int level)
{
	return level == 0 ? "clear" : level == 1 ? "integrity" : "confidentiality";
}

int set_gssapi_protection(struct sx_conf *c, const char *val, char *err,
				 size_t errlen)
{
	int level = parse_protection(val);

	if (level < 0) {
		seterr(err, errlen, "bad gssapi_protection '%.*s' (use clear, "
		       "integrity or confidentiality)", ECHO_MAX, val);
		return -1;
	}
	if (c->proxy.gss.min_protection > level) {
		seterr(err, errlen, "gssapi_protection %s is below "
		       "gssapi_min_protection %s", protection_name(level),
		       protection_name(c->proxy.gss.min_protection));
		return -1;
	}
	c->proxy.gss.protection = (uint8_t)level;
	return 0;
}

int set_gssapi_min_protection(struct sx_conf *c, const char *val,
				     char *err, size_t errlen)
{
	int level = parse_protection(val);

	if (level < 0) {
		seterr(err, errlen, "bad gssapi_min_protection '%.*s' (use clear, "
		       "integrity or confidentiality)", ECHO_MAX, val);
		return -1;
	}
	if (level > c->proxy.gss.protection) {
		seterr(err, errlen, "gssapi_min_protection %s is above "
		       "gssapi_protection %s", protection_name(level),
		       protection_name(c->proxy.gss.protection));
		return -1;
	}
	c->proxy.gss.min_protection = (int8_t)level;
	return 0;
}

int set_bind(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	if (strcasecmp(val, "auto") == 0)
		c->bind = SX_BIND_AUTO;
	else if (strcasecmp(val, "proxy") == 0)
		c->bind = SX_BIND_PROXY;
	else if (strcasecmp(val, "local") == 0)
		c->bind = SX_BIND_LOCAL;
	else {
		seterr(err, errlen, "bad bind mode '%.*s' (use auto, proxy or local)",
		       ECHO_MAX, val);
		return -1;
	}
	return 0;
}

/* ---- the file ------------------------------------------------------- */

