/*
 * conf_util.h - helpers of the unit tests of src/conf (conf_util.c).
 */
#ifndef CONF_UTIL_H
#define CONF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "socksify/conf.h"

#define SECRET "TOPSECRETpw"

/* A URL that must parse; one that must fail (its message, static buffer). */
struct sx_proxy url_ok(const char *url);
const char *url_bad(const char *url);
/* The same for a network. */
struct sx_net net_ok(const char *spec);
const char *net_bad(const char *spec);
void ck_addr(const struct sx_net *n, int family, const char *text);
/* Parse text into a fresh default config: the rc; must pass; must fail
 * with a message containing want. */
int parse(struct sx_conf *c, const char *text);
void parse_ok(struct sx_conf *c, const char *text);
void parse_err(struct sx_conf *c, const char *text, const char *want);
struct sockaddr_storage sa_make(const char *ip, uint16_t port);
bool direct(const struct sx_conf *c, const char *ip, uint16_t port);

/* A stub environment for sx_conf_apply_env / sx_conf_load_from. */
struct env_kv { const char *k, *v; };
extern struct env_kv env_tab[16];
extern size_t env_n;
void env_reset(void);
void env_set(const char *k, const char *v);
const char *stub_getenv(const char *name);

/* A temporary directory of files (tmp_write: full path, static buffer). */
extern char tmpdir[64];
void tmp_setup(void);
void tmp_cleanup(void);
const char *tmp_write(const char *name, const char *text);
/* Check fixture of the env and load cases: empty environment, no tmpdir. */
void env_fixture(void);

#endif
