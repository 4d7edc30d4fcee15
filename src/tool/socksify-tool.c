/*
 * socksify-tool.c - `socksify-tool show-config` and `socksify-tool check
 * [DEST]`, run by `socksify --show-config` and `socksify --check`.
 *
 * It prints to stdout (it is a program of its own, not the preloaded
 * library), and never shows a password.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "socksify/conf.h"
#include "cmd.h"
#include "tool.h"

#ifndef SX_VERSION
#define SX_VERSION "development"
#endif

static const char usage_text[] =
	"Usage: socksify-tool show-config\n"
	"       socksify-tool check [HOST:PORT]\n"
	"       socksify-tool route HOST:PORT [tcp|udp]\n"
	"\n"
	"show-config  print the settings a program started now would use, where\n"
	"             each one comes from (FILE:LINE, a variable or the default),\n"
	"             passwords masked\n"
	"check        test the setup: the configuration, the proxy, the\n"
	"             authentication, remote DNS and, with HOST:PORT, a CONNECT\n"
	"             through the proxy; exit status 0 only if all is well\n"
	"route        which route rule HOST:PORT takes, where it goes and why\n"
	"\n"
	"Usually run as `socksify --show-config` and `socksify --check [DEST]`,\n"
	"which apply socksify's options first.  See socksify(1).\n";

void sx_tool_proxy_url(const struct sx_proxy *p, char *buf, size_t len)
{
	const char *scheme = "socks5";
	char creds[300];

	if (p->type == SX_PROXY_SOCKS5 && p->remote_dns)
		scheme = "socks5h";
	else if (p->type == SX_PROXY_SOCKS4)
		scheme = "socks4";
	else if (p->type == SX_PROXY_SOCKS4A)
		scheme = "socks4a";
	else if (p->type == SX_PROXY_HTTP)
		scheme = "http";
	/* credentials written in this URL: the user, and a masked password */
	snprintf(creds, sizeof creds, "%s%s%s", p->url_creds ? p->user : "",
		 p->url_creds && p->pass[0] ? ":********" : "",
		 p->url_creds ? "@" : "");
	if (strchr(p->host, ':'))
		snprintf(buf, len, "%s://%s[%s]:%u", scheme, creds, p->host, p->port);
	else
		snprintf(buf, len, "%s://%s%s:%u", scheme, creds, p->host, p->port);
}

void sx_tool_net_str(const struct sx_net *n, char *buf, size_t len)
{
	sx_conf_net_str(n, buf, len);
}

void sx_tool_proxy_only_str(const struct sx_conf *c, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nproxy_only && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? ", " : "", c->proxy_only_domains[i]);
}

const char *sx_tool_origin(const struct sx_conf *c, const char *kw)
{
	const char *o = sx_conf_origin(c, kw);

	return o && o[0] ? o : "default";
}

void sx_tool_files(const struct sx_conf *c, char *buf, size_t len)
{
	char list[sizeof c->sources];
	size_t used = 0;

	buf[0] = '\0';
	snprintf(list, sizeof list, "%s", c->sources);
	for (char *save = NULL, *f = strtok_r(list, ",", &save); f;
	     f = strtok_r(NULL, ",", &save)) {
		while (*f == ' ')
			f++;
		if (strcmp(f, "env") == 0 || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? ", " : "", f);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* ---- show-config ------------------------------------------------------ */

static void show(const struct sx_conf *c, const char *kw, const char *val)
{
	printf("%-22s %-34s # %s\n", kw, val, sx_tool_origin(c, kw));
}

static void show_direct(const struct sx_conf *c)
{
	char buf[SX_CONF_MAX_DIRECT * 56 + SX_CONF_MAX_DOMAINS * 256];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->ndirect && used < sizeof buf; i++) {
		char net[80];

		sx_tool_net_str(&c->direct[i], net, sizeof net);
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s",
					 used ? ", " : "", net);
	}
	for (size_t i = 0; i < c->ndomains && used < sizeof buf; i++)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s",
					 used ? ", " : "", c->direct_domains[i]);
	show(c, "direct", buf[0] ? buf : "none");
}

/* A route: its hops separated by blanks, as written in "proxy". */
static void route_str(const struct sx_route *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t h = 0; h < r->nhops && used < len; h++) {
		char url[600];

		sx_tool_proxy_url(&r->hops[h], url, sizeof url);
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 h ? " " : "", url);
	}
}

/* routes[0] is "proxy"; the others come from "fallback" (or from '|' in
 * "proxy", whose origin is then the proxy line's). */
static void show_routes(const struct sx_conf *c)
{
	const char *fb = sx_conf_origin(c, "fallback");
	char buf[SX_CONF_MAX_HOPS * 600];

	for (size_t r = 0; r < c->nroutes; r++) {
		route_str(&c->routes[r], buf, sizeof buf);
		if (r == 0)
			show(c, "proxy", buf);
		else
			printf("%-22s %-34s # %s\n", "fallback", buf, fb && fb[0] ?
			       fb : sx_tool_origin(c, "proxy"));
	}
}

/* "route NAME = ..." lines, then the rules in order (origin: the last
 * route line). */
static void show_route_rules(const struct sx_conf *c)
{
	char buf[SX_CONF_MAX_ROUTES * SX_CONF_MAX_HOPS * 600], rule[400];

	for (size_t n = 0; n < c->nnamed; n++) {
		size_t used = (size_t)snprintf(buf, sizeof buf, "%s =",
					       c->named[n].name);

		for (size_t r = 0; r < c->named[n].nroutes && used < sizeof buf; r++) {
			used += (size_t)snprintf(buf + used, sizeof buf - used,
						 "%s ", r ? " |" : "");
			route_str(&c->named[n].routes[r], buf + used,
				  sizeof buf - used);
			used += strlen(buf + used);
		}
		show(c, "route", buf);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		sx_conf_rule_text(c, i, rule, sizeof rule);
		show(c, "route", rule + strlen("route "));
	}
	if (!c->nnamed && !c->nrules)
		show(c, "route", "(none)");
}

static void show_timeout(const struct sx_conf *c, const char *kw, int ms)
{
	char buf[32];

	if (ms == 0)
		snprintf(buf, sizeof buf, "0");
	else if (ms % 1000 == 0)
		snprintf(buf, sizeof buf, "%d", ms / 1000);
	else
		snprintf(buf, sizeof buf, "%dms", ms);
	show(c, kw, buf);
}

static const char *level_name(enum sx_log_level l)
{
	switch (l) {
	case SX_LOG_QUIET: return "quiet";
	case SX_LOG_INFO: return "info";
	case SX_LOG_DEBUG: return "debug";
	default: return "error";
	}
}

static const char *prot_name(int level)
{
	return level == 0 ? "clear" : level == 1 ? "integrity" : "confidentiality";
}

static void show_dns(const struct sx_conf *c)
{
	char buf[64], net[SX_CONF_MAX_PROXY_ONLY * 256];

	if (c->dns == SX_DNS_AUTO)
		snprintf(buf, sizeof buf, "auto (now: %s)",
			 sx_conf_remote_dns(c) ? "remote" : "local");
	else
		snprintf(buf, sizeof buf, "%s",
			 c->dns == SX_DNS_REMOTE ? "remote" : "local");
	show(c, "dns", buf);
	sx_tool_net_str(&c->dns_map_v4, net, sizeof net);
	show(c, "dns_map_v4", net);
	sx_tool_net_str(&c->dns_map_v6, net, sizeof net);
	show(c, "dns_map_v6", net);
	snprintf(buf, sizeof buf, "%u", (unsigned)c->dns_map_size);
	show(c, "dns_map_size", buf);
	show(c, "dns_hosts", c->dns_hosts_local ? "local" : "remote");
	sx_tool_proxy_only_str(c, net, sizeof net);
	show(c, "proxy_only_domain", net);
}

static void show_gss(const struct sx_conf *c)
{
	const struct sx_gss_conf *g = &c->proxy.gss;

	show(c, "gssapi", g->enabled ? "on" : "off");
	show(c, "gssapi_service", g->service);
	show(c, "gssapi_principal", g->principal[0] ? g->principal : "none");
	show(c, "gssapi_protection", prot_name(g->protection));
	show(c, "gssapi_min_protection", prot_name(g->min_protection < 0 ?
						    g->protection :
						    g->min_protection));
	show(c, "gssapi_delegate", g->delegate ? "yes" : "no");
}

/* Keywords this function prints; any other (newer) one is listed too. */
static const char *const shown[] = {
	"proxy", "user", "password", "direct", "connect_timeout",
	"handshake_timeout", "log_level", "log_file", "bind", "bind_timeout", "dns",
	"dns_map_v4", "dns_map_v6", "dns_map_size", "dns_hosts", "gssapi",
	"gssapi_service", "gssapi_principal", "gssapi_protection",
	"gssapi_min_protection", "gssapi_delegate", "udp", "pipelining",
	"async_handshake",
	"fallback", "failover_downtime", "round_robin", "isolate",
	"proxy_only_domain", "engine", "strict", "route",
};

static void show_others(const struct sx_conf *c)
{
	const char *kw;

	for (size_t i = 0; (kw = sx_conf_keyword(i)) != NULL; i++) {
		bool known = false;

		for (size_t j = 0; j < sizeof shown / sizeof shown[0]; j++)
			known = known || strcmp(kw, shown[j]) == 0;
		if (!known)
			show(c, kw, "(value not shown by this socksify-tool)");
	}
}

int sx_tool_show_config(const struct sx_conf *c)
{
	const struct sx_proxy *p = &c->proxy;
	char buf[512];
	static const char *const bind_names[] = { "auto", "proxy", "local" };
	static const char *const pipe_names[] = { "auto", "off", "on" };
	static const char *const engine_names[] = {
		"auto", "preload", "seccomp", "ptrace",
	};

	printf("# socksify settings for a program started now (socksify %s)\n",
	       SX_VERSION);
	sx_tool_files(c, buf, sizeof buf);
	printf("# files read: %s\n", buf);
	printf("# variables read: %s\n", c->env_vars[0] ? c->env_vars : "none");
	if (c->error[0])
		printf("# ERROR: %s\n#   every connection that should go through "
		       "the proxy fails until this is fixed; the values below\n"
		       "#   are those read before the error\n", c->error);
	show_routes(c);
	show_timeout(c, "failover_downtime", c->failover_downtime_ms);
	show(c, "round_robin", c->round_robin ? "yes" : "no");
	show(c, "async_handshake", c->async == SX_ASYNC_THREAD ? "thread" :
	     "inline");
	show(c, "user", c->user[0] ? c->user : "(none)");
	show(c, "password", c->pass[0] ? "********" : "(none)");
	show_direct(c);
	show_route_rules(c);
	show_timeout(c, "connect_timeout", c->connect_timeout_ms);
	show_timeout(c, "handshake_timeout", c->handshake_timeout_ms);
	show(c, "log_level", level_name(c->log_level));
	show(c, "log_file", c->log_file[0] ? c->log_file : "stderr");
	show(c, "bind", bind_names[c->bind <= SX_BIND_LOCAL ? c->bind : 0]);
	show_timeout(c, "bind_timeout", c->bind_timeout_ms);
	show_dns(c);
	show_gss(c);
	show(c, "udp", c->udp == SX_UDP_DIRECT ? "direct" : "refuse");
	show(c, "pipelining", pipe_names[p->pipelining <= SX_PIPE_ON ?
					 p->pipelining : 0]);
	show(c, "isolate", c->isolate == SX_ISOLATE_PROCESS ? "process" : "none");
	show(c, "engine", engine_names[c->engine <= SX_ENGINE_PTRACE ? c->engine : 0]);
	show(c, "strict", c->strict ? "yes" : "no");
	show_others(c);
	if (c->error[0]) {
		fprintf(stderr, "socksify: configuration error: %s\n", c->error);
		return 1;
	}
	return 0;
}

int sx_tool_main(int argc, char **argv)
{
	struct sx_conf c;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "help"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("socksify-tool %s\n", SX_VERSION);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "show-config")) {
		sx_conf_load(&c);
		rc = sx_tool_show_config(&c);
	} else if ((argc == 2 || argc == 3) && !strcmp(argv[1], "check")) {
		sx_conf_load(&c);
		rc = sx_tool_check(&c, argc == 3 ? argv[2] : NULL);
	} else if ((argc == 3 || argc == 4) && !strcmp(argv[1], "route")) {
		sx_conf_load(&c);
		rc = sx_tool_route(&c, argv[2], argc == 4 ? argv[3] : NULL);
	} else {
		if (argc >= 2)
			fprintf(stderr, "socksify-tool: unknown command or extra "
				"arguments: '%s'\n", argv[1]);
		fputs(usage_text, stderr);
		return 2;
	}
	explicit_bzero(&c, sizeof c);
	if (fflush(stdout) != 0)
		return 1;
	return rc;
}
