/*
 * setters.h - shared by the configuration's source files (not installed):
 * the keyword setters that live outside conf.c, and the small helpers
 * they use.
 */
#ifndef SOCKSIFY_CONF_SETTERS_H
#define SOCKSIFY_CONF_SETTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "socksify/conf.h"

#define ECHO_MAX 64                     /* longest value quoted in a message */

void sx_conf_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "bad WHAT 'SHOWN': problem", SHOWN cut at MAX bytes (with "...") */
void sx_conf_bad(char *err, size_t errlen, const char *what, const char *shown,
		 int max, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static inline bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static inline bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* src/conf/setters.c: proxy and routes, credentials, logging, direct, timeouts */
void sync_hops(struct sx_conf *c);
int set_proxy(struct sx_conf *c, const char *val, char *err, size_t errlen);
int add_fallback(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_user(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_password(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_log_level(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_quiet(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_log_file(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_direct_list(struct sx_conf *c, const char *val, char *err, size_t errlen);
int add_direct(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_connect_timeout(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_failover_downtime(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_handshake_timeout(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_bind_timeout(struct sx_conf *c, const char *val, char *err, size_t errlen);

/* src/conf/net.c: a domain item ("corp.example", ".corp.example",
 * "*.corp.example") in lower case without dots around it: 0, or -1 */
int sx_conf_domain_parse(const char *item, char *out, size_t outlen);

/* src/conf/tor.c: isolate, proxy_only_domain */
int set_isolate(struct sx_conf *c, const char *val, char *err, size_t errlen);
int add_proxy_only_domain(struct sx_conf *c, const char *val, char *err,
			  size_t errlen);

/* src/conf/rules.c: "route" */
int add_route(struct sx_conf *c, const char *val, char *err, size_t errlen);

/* src/conf/net.c: a direct-list domain ("*.a.b" -> "a.b"), 0 or -1; the
 * address and port of sa, taken apart once (false: not inet); does net n
 * hold them */
int sx_conf_domain_parse(const char *item, char *out, size_t outlen);
struct sx_addr_parts {
	const uint8_t *v4, *v6;         /* NULL when absent */
	uint16_t port;
};
bool sx_conf_addr_parts(const struct sockaddr *sa, struct sx_addr_parts *p);
bool sx_conf_net_has(const struct sx_net *n, const struct sx_addr_parts *p);

/* src/conf/features.c: dns*, pipelining, udp, round_robin, gssapi*, bind */
int set_dns(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_dns_map_v4(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_dns_map_v6(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_dns_map_size(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_dns_hosts(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_pipelining(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_udp(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_round_robin(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_async_handshake(struct sx_conf *c, const char *val, char *err,
			size_t errlen);
int set_gssapi(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_delegate(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_service(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_principal(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_protection(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_min_protection(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_bind(struct sx_conf *c, const char *val, char *err, size_t errlen);
/* engine and strict: read by the socksify command only (src/tool) */
int set_engine(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_strict(struct sx_conf *c, const char *val, char *err, size_t errlen);

#endif
