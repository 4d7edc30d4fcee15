/*
 * dns_int.h - what the two name tables (dnsmap.c, per process; dnsshm.c,
 * shared) have in common.
 */
#ifndef SX_DNS_INT_H
#define SX_DNS_INT_H

#include <stdint.h>

/* Lower case, one trailing dot dropped, into out[256]; 1..255 bytes.
 * Returns 0, or -1 for an empty or overlong name. */
int sx_dnsname_normalise(const char *name, char *out);

/* FNV-1a of a normalised name. */
uint32_t sx_dnsname_hash(const char *s);

#endif
