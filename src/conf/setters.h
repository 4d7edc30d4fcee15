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

/* src/conf/features.c: dns*, pipelining, udp, round_robin, gssapi*, bind */
int set_dns(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_dns_map_v4(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_dns_map_v6(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_dns_map_size(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_dns_hosts(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_pipelining(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_udp(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_round_robin(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_delegate(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_service(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_principal(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_protection(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_gssapi_min_protection(struct sx_conf *c, const char *val, char *err, size_t errlen);
int set_bind(struct sx_conf *c, const char *val, char *err, size_t errlen);

#endif
