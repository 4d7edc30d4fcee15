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

/* Fault injection for the unit tests (tests/unit/test_dnsshm.c): when set,
 * called by a writer holding the shared table's lock, with the slot it
 * took (SX_DNSSHM_TAKEN) and in the middle of writing it
 * (SX_DNSSHM_MIDWRITE: sequence odd, half the name written). */
enum { SX_DNSSHM_TAKEN = 1, SX_DNSSHM_MIDWRITE = 2 };
extern void (*sx_dnsshm_fault)(int where);

#endif
