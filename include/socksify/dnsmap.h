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

/* ---- the shared table (one per socksify run) ----------------------------
 *
 * The same mapping in memory that every process of one socksify run maps
 * (MAP_SHARED), so that a name resolved in one process is known in all:
 * Chromium resolves in its network service and connects from another
 * process, a shell pipeline passes an address from `getent` to `curl`.
 *
 *  - bounded: capacity slots of 280 bytes, fixed at creation;
 *  - readers never block: address -> name is a seqlock read of one slot
 *    (bounded retries), name -> address first probes the hash chain the
 *    same way; only adding a name takes the lock;
 *  - the lock is a robust, process-shared mutex: a process that dies
 *    holding it (SIGKILL mid-insert) leaves a slot marked "being
 *    written"; the next process to take the lock gets EOWNERDEAD, empties
 *    that slot, rebuilds the hash chains and goes on;
 *  - full: the least recently used name (CLOCK approximation) gives up its
 *    slot, and the slot's generation moves on, so the recycled slot gets a
 *    different address: an old address of the evicted name then means
 *    "unknown" (EHOSTUNREACH), never the newer name, until the slot has
 *    been recycled "generations" times (63 with the defaults).
 *
 * A "key" is the offset of an address in the ranges: address = base + 1 +
 * key; key = generation * capacity + slot.
 *
 * This part is I/O-free: the caller provides the memory.  sx_dnsshm_open
 * (src/core/names_shm.c) creates or joins the file that holds it.
 */
struct sx_dnsshm;

/* Bytes of memory a table of capacity names needs (0 if too many). */
size_t sx_dnsshm_bytes(uint32_t capacity);

/* Lay out a new table in zeroed memory of at least sx_dnsshm_bytes(capacity)
 * bytes.  Returns the table (== mem), or NULL if the ranges cannot hold
 * capacity names or len is too small. */
struct sx_dnsshm *sx_dnsshm_format(void *mem, size_t len, const struct sx_net *v4,
				   const struct sx_net *v6, uint32_t capacity);

/* A table another process formatted: NULL unless it is one (magic, version,
 * layout of this build) with exactly these ranges and capacity. */
struct sx_dnsshm *sx_dnsshm_join(void *mem, size_t len, const struct sx_net *v4,
				 const struct sx_net *v6, uint32_t capacity);

/* name -> its mapped address in family (AF_INET or AF_INET6), adding the
 * name if needed.  Returns 0, or -1 with errno EINVAL (bad name) or
 * EAGAIN (the lock is unusable). */
int sx_dnsshm_map(struct sx_dnsshm *t, const char *name, int family, void *addr);

/* address -> name.  Returns false if addr is outside the mapped ranges;
 * true otherwise, with the name in buf, or "" if the address stands for
 * no name (now).  Never blocks. */
bool sx_dnsshm_lookup(struct sx_dnsshm *t, int family, const void *addr,
		      char *buf, size_t len);

/* Counters, for tests and benchmarks. */
struct sx_dnsshm_stats {
	uint32_t capacity, used, generations;
	uint64_t recycled, recoveries;
};
void sx_dnsshm_stats(const struct sx_dnsshm *t, struct sx_dnsshm_stats *st);

/* The file behind a run's table (src/core/names_shm.c): open path, or
 * create it (mode 0600, atomically, fully formatted before anyone can see
 * it).  The file must be a regular file of ours with no access for others.
 * Returns NULL (errno set) when there is no usable table at path. */
struct sx_dnsshm *sx_dnsshm_open(const char *path, const struct sx_net *v4,
				 const struct sx_net *v6, uint32_t capacity);

/* The table of this socksify run: sx_dnsshm_open on the path in
 * SOCKSIFY_NAMES with the ranges and size (dns_map_size, capped to what the
 * ranges hold) of config c, as every process of the run opens it.  NULL if
 * SOCKSIFY_NAMES is unset or empty (no shared table: a table per process),
 * or, after one log line, if the table cannot be used.
 *
 * A supervisor for static programs (which the library cannot reach) shares
 * the run's table the same way: make sure SOCKSIFY_NAMES is set (as the
 * socksify command does) in its own environment and the program's, open
 * it with this, answer the program's DNS query for a name with
 * sx_dnsshm_map(t, name, AF_INET or AF_INET6, addr), and at connect turn
 * the address back with sx_dnsshm_lookup: a name is sent to the proxy as
 * address type 3, "" is a mapped address nobody knows (EHOSTUNREACH), and
 * false means an ordinary address. */
struct sx_dnsshm *sx_dnsshm_open_run(const struct sx_conf *c);

/* Does this run have a shared table (SOCKSIFY_NAMES) and is addr in the
 * mapped ranges of config c?  Then addr may stand for a name another
 * process mapped, even in a process that mapped none itself. */
bool sx_dnsshm_run_covers(const struct sx_conf *c, int family, const void *addr);

#endif
