/*
 * dnsmap_util.h - helpers of the unit tests of the remote-DNS table
 * (dnsmap_util.c).
 */
#ifndef DNSMAP_UTIL_H
#define DNSMAP_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "socksify/conf.h"
#include "socksify/dnsmap.h"

struct sx_net net(const char *spec);
/* A table over the default ranges, 127.192.0.0/10 and 100::/64. */
void init_default(struct sx_dnsmap *m, uint32_t capacity);
uint32_t put(struct sx_dnsmap *m, const char *name);
const char *addr4_text(const struct sx_dnsmap *m, uint32_t idx, char *buf);
const char *addr6_text(const struct sx_dnsmap *m, uint32_t idx, char *buf);
/* in_range of a text address: -1 outside, else the index (UINT32_MAX too). */
int64_t range_of(const struct sx_dnsmap *m, const char *text);
/* The name held by idx, or "" when none. */
const char *name_of(struct sx_dnsmap *m, uint32_t idx);
void name_n(char *buf, size_t len, const char *tag, unsigned i);

#endif
