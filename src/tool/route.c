/*
 * route.c - `socksify-tool route HOST:PORT [tcp|udp]` (socksify --route)
 * and the route line of `socksify --check HOST:PORT`: which rule a
 * destination takes, where that sends it, and why.
 *
 * The same matching as a socksified program (sx_conf_route_match): a name
 * is matched by name when DNS is remote (the program connects to its
 * mapped address), else the program resolves it itself and the rules see
 * the address, as they do here.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "socksify/conf.h"
#include "socksify/proto.h"
#include "tool.h"

int sx_tool_parse_dest(const char *dest, struct sx_addr *a, char *host,
		       size_t hlen)
{
	const char *colon = strrchr(dest, ':'), *h = dest;
	size_t n = colon ? (size_t)(colon - dest) : 0;
	char *end;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;

	if (n >= 2 && dest[0] == '[' && dest[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (!colon || n == 0 || n >= hlen || n > 255 || !colon[1] || *end ||
	    port == 0 || port > 65535)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	memset(a, 0, sizeof *a);
	a->port = (uint16_t)port;
	if (inet_pton(AF_INET, host, a->u.v4) == 1) {
		a->atyp = SX_ATYP_IPV4;
	} else if (inet_pton(AF_INET6, host, a->u.v6) == 1) {
		a->atyp = SX_ATYP_IPV6;
	} else {
		a->atyp = SX_ATYP_NAME;
		a->namelen = (uint8_t)n;
		memcpy(a->u.name, host, n + 1);
	}
	return 0;
}

/* The routes of a target as "URL -> URL | URL". */
static void target_text(const struct sx_conf *c, int target, char *buf,
			size_t len)
{
	const struct sx_route *routes = c->routes;
	size_t n = c->nroutes, used = 0;
	char url[400];

	if (target > 0) {
		routes = c->named[target - 1].routes;
		n = c->named[target - 1].nroutes;
	}
	buf[0] = '\0';
	for (size_t r = 0; r < n; r++) {
		for (size_t h = 0; h < routes[r].nhops && used + 1 < len; h++) {
			sx_tool_proxy_url(&routes[r].hops[h], url, sizeof url);
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 h ? " -> " : r ? " | " : "", url);
		}
	}
}

void sx_tool_sockaddr(const struct sx_addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof *ss);
	if (a->atyp == SX_ATYP_IPV4) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->u.v4, 4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->u.v6, 16);
	}
}

int sx_tool_route_explain(const struct sx_conf *c, const struct sx_addr *a,
			  int proto, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	bool byname = a->atyp == SX_ATYP_NAME;
	const char *how = byname ? "by name (dns remote)" : "by address";
	char rule[400], routes[1200];
	int i, target;

	if (!byname)
		sx_tool_sockaddr(a, &ss);
	i = sx_conf_route_match(c, byname ? a->u.name : NULL,
				byname ? NULL : (struct sockaddr *)&ss, a->port,
				proto);
	if (i >= 0) {
		target = c->rules[i].target;
		sx_conf_rule_text(c, (size_t)i, rule, sizeof rule);
	} else if (!byname && sx_conf_is_direct(c, (struct sockaddr *)&ss)) {
		target = SX_TARGET_DIRECT;
	} else {
		target = SX_TARGET_PROXY;
	}
	if (target >= SX_TARGET_PROXY)
		target_text(c, target, routes, sizeof routes);
	snprintf(buf, len, "%s%s%s (%s%s%s)", sx_conf_target_name(c, target),
		 target >= SX_TARGET_PROXY ? " " : "",
		 target >= SX_TARGET_PROXY ? routes : "",
		 i >= 0 ? "rule '" : "default route: no rule matches ",
		 i >= 0 ? rule : how,
		 i >= 0 ? "'" : target == SX_TARGET_DIRECT ?
			  ", in the direct list" : "");
	if (i >= 0) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "; rule %d of %zu, matched %s",
			 i + 1, c->nrules, how);
	}
	return target;
}

int sx_tool_route(const struct sx_conf *c, const char *dest, const char *proto)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	struct sx_addr a;
	char host[256], line[2048];
	int p = IPPROTO_TCP, rc;

	if (proto && strcasecmp(proto, "udp") == 0)
		p = IPPROTO_UDP;
	else if (proto && strcasecmp(proto, "tcp") != 0) {
		fprintf(stderr, "socksify-tool: route: '%s' is not tcp or udp\n",
			proto);
		return 2;
	}
	if (sx_tool_parse_dest(dest, &a, host, sizeof host) < 0) {
		fprintf(stderr, "socksify-tool: route: bad destination '%s': use "
			"HOST:PORT, e.g. example.org:443 or [2001:db8::1]:443\n",
			dest);
		return 2;
	}
	if (c->error[0])
		printf("# ERROR: %s\n", c->error);
	if (a.atyp == SX_ATYP_NAME && (!sx_conf_remote_dns(c) ||
				       strcasecmp(host, "localhost") == 0 ||
				       sx_conf_name_is_direct(c, host))) {
		/* resolved by the program itself: the rules see the address */
		rc = getaddrinfo(host, NULL, &hints, &res);
		if (rc != 0) {
			printf("route: %s %s: cannot resolve '%s' here (dns local):"
			       " %s\n", dest, p == IPPROTO_UDP ? "udp" : "tcp",
			       host, gai_strerror(rc));
			return 1;
		}
		if (res->ai_family == AF_INET) {
			a.atyp = SX_ATYP_IPV4;
			memcpy(a.u.v4, &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr, 4);
		} else {
			a.atyp = SX_ATYP_IPV6;
			memcpy(a.u.v6, &((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr, 16);
		}
		freeaddrinfo(res);
	}
	sx_tool_route_explain(c, &a, p, line, sizeof line);
	printf("route: %s %s -> %s\n", dest, p == IPPROTO_UDP ? "udp" : "tcp",
	       line);
	return c->error[0] ? 1 : 0;
}
