/*
 * dnsmap.h - the table of names answered with mapped addresses (remote
 * DNS).  A name gets an index; index i stands for address base4 + 1 + i in
 * the IPv4 range and base6 + 1 + i in the IPv6 range.  Both directions are
 * O(1): a hash table by name, an array by index.  The table is bounded:
 * when it is full, the least recently used name gives up its index.
 *
 * Thread-safe (one mutex, held across fork()); per process, so a child
 * keeps its copy and works on after its parent exits.
 */
#ifndef SOCKSIFY_DNSMAP_H
#define SOCKSIFY_DNSMAP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "socksify/conf.h"

struct sx_dnsmap_entry;

struct sx_dnsmap {
	struct sx_net v4, v6;            /* the ranges (prefix, base) */
	uint32_t capacity;               /* most names held at once */
	uint32_t count;                  /* entries in use (== allocated) */
	uint32_t nalloc;                 /* entries array size */
	struct sx_dnsmap_entry *e;       /* by index */
	uint32_t *buckets;               /* hash -> index + 1, 0 = empty */
	uint32_t nbuckets;               /* power of two */
	uint32_t lru_head, lru_tail;     /* most / least recently used, +1 */
	uint64_t recycled;               /* names evicted so far */
};

/* Largest capacity the two ranges allow (each needs 1 + capacity addresses). */
uint32_t sx_dnsmap_max_capacity(const struct sx_net *v4, const struct sx_net *v6);

/* Set up an empty table; nothing is allocated until the first name.
 * Returns 0, or -1 if the ranges cannot hold capacity names. */
int sx_dnsmap_init(struct sx_dnsmap *m, const struct sx_net *v4,
		   const struct sx_net *v6, uint32_t capacity);
void sx_dnsmap_free(struct sx_dnsmap *m);

/* The index for name (1..255 bytes, compared without case and without a
 * trailing dot), adding it if needed.  Returns 0, or -1 (errno ENOMEM or
 * EINVAL for a bad name). */
int sx_dnsmap_put(struct sx_dnsmap *m, const char *name, uint32_t *idx);

/* Fill the address of an index, in one family (port untouched). */
void sx_dnsmap_addr4(const struct sx_dnsmap *m, uint32_t idx, struct in_addr *a);
void sx_dnsmap_addr6(const struct sx_dnsmap *m, uint32_t idx, struct in6_addr *a);

/* Does this address fall in a mapped range?  If so *idx is its index
 * (which may be unused: check with sx_dnsmap_name). */
bool sx_dnsmap_in_range(const struct sx_dnsmap *m, int family,
			const void *addr, uint32_t *idx);

/* Copy the name at idx into buf and mark it recently used.
 * Returns false if no name holds that index. */
bool sx_dnsmap_name(struct sx_dnsmap *m, uint32_t idx, char *buf, size_t len);

/* Lock and unlock around fork(), and reinitialise in the child. */
void sx_dnsmap_lock(void);
void sx_dnsmap_unlock(void);

#endif
