/*
 * dnsshm.c - the name table shared by every process of one socksify run.
 * See include/socksify/dnsmap.h ("the shared table") and doc/remote-dns.txt.
 *
 * Memory layout (one mapping, every offset fixed by the capacity):
 *
 *   struct sx_dnsshm   header: magic, layout, ranges, the robust lock,
 *                      counters
 *   uint32_t[nbuckets] hash chains by name: slot + 1, 0 = end
 *   struct slot[cap]   one name each
 *
 * Every field another process may read without the lock is an atomic.
 * A slot is written under the lock as a seqlock (seq odd while it
 * changes); a reader copies it and tries again if seq moved, at most
 * READ_TRIES times, so it never waits for a writer (and never hangs on a
 * writer that died mid-write: it sees "unknown" until the next writer
 * repairs the slot).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "socksify/dnsmap.h"
#include "dns_int.h"

#define SHM_MAGIC    0x4d4e5853u       /* "SXNM" */
#define SHM_VERSION  1u
#define NAME_WORDS   32                /* 256 bytes: a name and its NUL */
#define READ_TRIES   64
#define PROBE_STEPS  32                /* chain steps without the lock */

struct slot {
	_Atomic uint32_t seq;           /* even: stable; odd: being written */
	_Atomic uint32_t hnext;         /* next in the hash chain, slot + 1 */
	_Atomic uint32_t hash;
	_Atomic uint32_t gen;           /* generation of the name held */
	_Atomic uint32_t len;           /* name length, 0 = empty */
	_Atomic uint32_t ref;           /* CLOCK: used since the hand passed */
	_Atomic uint64_t name[NAME_WORDS];
};

struct sx_dnsshm {
	_Atomic uint32_t magic;         /* stored last, with release */
	uint32_t version, layout;       /* layout: sizes of this build */
	uint32_t capacity, nbuckets, generations;
	uint64_t bytes;
	struct sx_net v4, v6;
	pthread_mutex_t lock;           /* robust, process-shared */
	_Atomic uint32_t used;          /* slots handed out so far */
	_Atomic uint32_t hand;          /* CLOCK hand */
	_Atomic uint64_t recycled;      /* names evicted */
	_Atomic uint64_t recoveries;    /* EOWNERDEAD repairs */
};

void (*sx_dnsshm_fault)(int where);

#define HEADER_BYTES ((sizeof(struct sx_dnsshm) + 63) & ~(size_t)63)
#define LAYOUT (uint32_t)(sizeof(struct sx_dnsshm) << 16 | sizeof(struct slot))

static uint32_t buckets_for(uint32_t capacity)
{
	uint32_t nb = 64;

	while (nb < capacity * 2 && nb < (1u << 31))
		nb *= 2;
	return nb;
}

size_t sx_dnsshm_bytes(uint32_t capacity)
{
	if (capacity == 0 || capacity > (1u << 24))
		return 0;
	return HEADER_BYTES + (size_t)buckets_for(capacity) * sizeof(uint32_t) +
	       (size_t)capacity * sizeof(struct slot);
}

static _Atomic uint32_t *buckets(const struct sx_dnsshm *t)
{
	return (_Atomic uint32_t *)((char *)t + HEADER_BYTES);
}

static struct slot *slots(const struct sx_dnsshm *t)
{
	return (struct slot *)((char *)buckets(t) + (size_t)t->nbuckets * sizeof(uint32_t));
}

static bool same_net(const struct sx_net *a, const struct sx_net *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

struct sx_dnsshm *sx_dnsshm_format(void *mem, size_t len, const struct sx_net *v4,
				   const struct sx_net *v6, uint32_t capacity)
{
	struct sx_dnsshm *t = mem;
	uint32_t max = sx_dnsmap_max_capacity(v4, v6);
	size_t bytes = sx_dnsshm_bytes(capacity);
	pthread_mutexattr_t ma;

	if (v4->family != AF_INET || v6->family != AF_INET6 || !bytes ||
	    len < bytes || capacity > max)
		return NULL;
	t->version = SHM_VERSION;
	t->layout = LAYOUT;
	t->capacity = capacity;
	t->nbuckets = buckets_for(capacity);
	t->generations = max / capacity;
	t->bytes = bytes;
	t->v4 = *v4;
	t->v6 = *v6;
	if (pthread_mutexattr_init(&ma) != 0)
		return NULL;
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	if (pthread_mutex_init(&t->lock, &ma) != 0) {
		pthread_mutexattr_destroy(&ma);
		return NULL;
	}
	pthread_mutexattr_destroy(&ma);
	atomic_store_explicit(&t->magic, SHM_MAGIC, memory_order_release);
	return t;
}

struct sx_dnsshm *sx_dnsshm_join(void *mem, size_t len, const struct sx_net *v4,
				 const struct sx_net *v6, uint32_t capacity)
{
	struct sx_dnsshm *t = mem;

	if (len < HEADER_BYTES ||
	    atomic_load_explicit(&t->magic, memory_order_acquire) != SHM_MAGIC ||
	    t->version != SHM_VERSION || t->layout != LAYOUT ||
	    t->capacity != capacity || t->bytes != sx_dnsshm_bytes(capacity) ||
	    len < t->bytes || t->nbuckets != buckets_for(capacity) ||
	    t->generations != sx_dnsmap_max_capacity(v4, v6) / capacity ||
	    !same_net(&t->v4, v4) || !same_net(&t->v6, v6))
		return NULL;
	return t;
}

/* ---- reading without the lock ------------------------------------------ */

/* A stable copy of a slot, if one could be taken in READ_TRIES tries. */
struct snap {
	uint32_t hnext, hash, gen, len;
	uint64_t name[NAME_WORDS];
};

static bool slot_read(struct slot *s, struct snap *o)
{
	int tries, i;

	for (tries = 0; tries < READ_TRIES; tries++) {
		uint32_t s1 = atomic_load_explicit(&s->seq, memory_order_acquire);

		if (s1 & 1) {
			sched_yield();
			continue;
		}
		/* Acquire loads: if one of them sees a writer's (release) store,
		 * the second look at seq sees that writer's odd number. */
		o->hnext = atomic_load_explicit(&s->hnext, memory_order_acquire);
		o->hash = atomic_load_explicit(&s->hash, memory_order_acquire);
		o->gen = atomic_load_explicit(&s->gen, memory_order_acquire);
		o->len = atomic_load_explicit(&s->len, memory_order_acquire);
		if (o->len > 255)
			o->len = 0;
		for (i = 0; i < (int)(o->len + 8) / 8; i++)
			o->name[i] = atomic_load_explicit(&s->name[i], memory_order_acquire);
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) == s1)
			return true;
	}
	return false;
}

static void slot_touch(struct slot *s)
{
	if (!atomic_load_explicit(&s->ref, memory_order_relaxed))
		atomic_store_explicit(&s->ref, 1, memory_order_relaxed);
}

/* The key as the table stores it: words, zero-padded after the NUL. */
static uint32_t key_words(const char *key, uint64_t *w)
{
	size_t n = strlen(key);

	memset(w, 0, NAME_WORDS * sizeof(*w));
	memcpy(w, key, n);
	return (uint32_t)n;
}

/* Walk the chain of hash h for the name in w/n, at most steps slots.
 * True with *slot and *gen if found.  Without the lock a miss may be
 * false (a chain changing under us): the caller then asks under it. */
static bool chain_find(struct sx_dnsshm *t, const uint64_t *w, uint32_t n,
		       uint32_t h, uint32_t steps, uint32_t *slot, uint32_t *gen)
{
	uint32_t j = atomic_load_explicit(&buckets(t)[h & (t->nbuckets - 1)],
					  memory_order_acquire);
	struct snap o;

	for (; j && steps; steps--) {
		if (j > t->capacity || !slot_read(&slots(t)[j - 1], &o))
			return false;
		if (o.len == n && o.hash == h &&
		    memcmp(o.name, w, (n + 8) / 8 * sizeof(*w)) == 0) {
			slot_touch(&slots(t)[j - 1]);
			*slot = j - 1;
			*gen = o.gen;
			return true;
		}
		j = o.hnext;
	}
	return false;
}

/* ---- writing, under the lock ------------------------------------------- */

static void chain_insert(struct sx_dnsshm *t, uint32_t i, uint32_t h)
{
	_Atomic uint32_t *b = &buckets(t)[h & (t->nbuckets - 1)];

	atomic_store_explicit(&slots(t)[i].hnext,
			      atomic_load_explicit(b, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(b, i + 1, memory_order_release);
}

static void chain_remove(struct sx_dnsshm *t, uint32_t i, uint32_t h)
{
	_Atomic uint32_t *p = &buckets(t)[h & (t->nbuckets - 1)];
	uint32_t j, steps = t->capacity;

	while ((j = atomic_load_explicit(p, memory_order_relaxed)) && j != i + 1 &&
	       j <= t->capacity && steps--)
		p = &slots(t)[j - 1].hnext;
	if (j == i + 1)
		atomic_store_explicit(p, atomic_load_explicit(&slots(t)[i].hnext,
							      memory_order_relaxed),
				      memory_order_release);
}

/* Seqlock write of a slot's name: n bytes in w, zero-padded words. */
static void slot_write(struct slot *s, const uint64_t *w, uint32_t n, uint32_t h,
		       uint32_t gen)
{
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
	int i;

	/* Release stores after the odd number: a reader that sees any of them
	 * sees the odd number too (see slot_read). */
	atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
	atomic_store_explicit(&s->hash, h, memory_order_release);
	atomic_store_explicit(&s->gen, gen, memory_order_release);
	atomic_store_explicit(&s->len, n, memory_order_release);
	/* The words a reader compares: the name and its NUL, zero-padded. */
	for (i = 0; i < (int)(n + 8) / 8; i++) {
		if (i == 1 && sx_dnsshm_fault)
			sx_dnsshm_fault(SX_DNSSHM_MIDWRITE);
		atomic_store_explicit(&s->name[i], w[i], memory_order_release);
	}
	atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

/* After a writer died holding the lock: empty any slot it left half
 * written, and rebuild every chain from the slots (a chain may have been
 * half updated).  O(capacity), only after a death. */
static void repair(struct sx_dnsshm *t)
{
	uint32_t used = atomic_load_explicit(&t->used, memory_order_relaxed), i;

	if (used > t->capacity)
		used = t->capacity;
	for (i = 0; i < used; i++) {
		struct slot *s = &slots(t)[i];
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

		if (seq & 1) {
			atomic_store_explicit(&s->len, 0, memory_order_relaxed);
			atomic_store_explicit(&s->seq, seq + 1, memory_order_release);
		}
	}
	for (i = 0; i < t->nbuckets; i++)
		atomic_store_explicit(&buckets(t)[i], 0, memory_order_relaxed);
	for (i = 0; i < used; i++)
		if (atomic_load_explicit(&slots(t)[i].len, memory_order_relaxed))
			chain_insert(t, i, atomic_load_explicit(&slots(t)[i].hash,
								memory_order_relaxed));
	if (atomic_load_explicit(&t->hand, memory_order_relaxed) >= t->capacity)
		atomic_store_explicit(&t->hand, 0, memory_order_relaxed);
	atomic_store_explicit(&t->used, used, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->recoveries, 1, memory_order_relaxed);
}

static int table_lock(struct sx_dnsshm *t)
{
	int rc = pthread_mutex_lock(&t->lock);

	if (rc == EOWNERDEAD) {
		repair(t);
		pthread_mutex_consistent(&t->lock);
		rc = 0;
	}
	return rc;
}

/* A slot for a new name: a fresh one (*fresh) while there are any, else
 * CLOCK: the first slot not used since the hand last passed it. */
static uint32_t slot_take(struct sx_dnsshm *t, bool *fresh)
{
	uint32_t used = atomic_load_explicit(&t->used, memory_order_relaxed);
	uint32_t h, n;

	*fresh = used < t->capacity;
	if (*fresh) {
		atomic_store_explicit(&t->used, used + 1, memory_order_relaxed);
		return used;
	}
	for (n = 0;; n++) {
		h = atomic_load_explicit(&t->hand, memory_order_relaxed) % t->capacity;
		atomic_store_explicit(&t->hand, (h + 1) % t->capacity, memory_order_relaxed);
		/* After one full turn every bit is clear: at most capacity + 1 steps. */
		if (n > t->capacity ||
		    !atomic_exchange_explicit(&slots(t)[h].ref, 0, memory_order_relaxed))
			return h;
	}
}

static int put_locked(struct sx_dnsshm *t, const uint64_t *w, uint32_t n, uint32_t h,
		      uint32_t *slot, uint32_t *gen)
{
	struct slot *s;
	uint32_t i;
	bool fresh;

	if (chain_find(t, w, n, h, t->capacity, slot, gen))
		return 0;
	i = slot_take(t, &fresh);
	s = &slots(t)[i];
	*gen = 0;
	if (!fresh)     /* even a slot emptied by a repair: its last name had
			 * an address out there, the new name gets another */
		*gen = (atomic_load_explicit(&s->gen, memory_order_relaxed) + 1) %
		       t->generations;
	if (atomic_load_explicit(&s->len, memory_order_relaxed)) {
		chain_remove(t, i, atomic_load_explicit(&s->hash, memory_order_relaxed));
		atomic_fetch_add_explicit(&t->recycled, 1, memory_order_relaxed);
	}
	if (sx_dnsshm_fault)
		sx_dnsshm_fault(SX_DNSSHM_TAKEN);
	slot_write(s, w, n, h, *gen);
	chain_insert(t, i, h);
	atomic_store_explicit(&s->ref, 1, memory_order_relaxed);
	*slot = i;
	return 0;
}

/* ---- the interface ----------------------------------------------------- */

static void key_addr(const struct sx_dnsshm *t, uint32_t key, int family, void *addr)
{
	struct sx_dnsmap r = { .v4 = t->v4, .v6 = t->v6 };

	if (family == AF_INET6)
		sx_dnsmap_addr6(&r, key, addr);
	else
		sx_dnsmap_addr4(&r, key, addr);
}

int sx_dnsshm_map(struct sx_dnsshm *t, const char *name, int family, void *addr)
{
	char key[256];
	uint64_t w[NAME_WORDS];
	uint32_t n, h, slot, gen;

	if (sx_dnsname_normalise(name, key) < 0) {
		errno = EINVAL;
		return -1;
	}
	n = key_words(key, w);
	h = sx_dnsname_hash(key);
	if (!chain_find(t, w, n, h, PROBE_STEPS, &slot, &gen)) {
		if (table_lock(t) != 0) {
			errno = EAGAIN;
			return -1;
		}
		put_locked(t, w, n, h, &slot, &gen);
		pthread_mutex_unlock(&t->lock);
	}
	key_addr(t, gen % t->generations * t->capacity + slot, family, addr);
	return 0;
}

/* A reader that found a slot being written READ_TRIES times: if its writer
 * died, repair now (trylock never waits). */
static void repair_if_orphaned(struct sx_dnsshm *t)
{
	int rc = pthread_mutex_trylock(&t->lock);

	if (rc == EOWNERDEAD) {
		repair(t);
		pthread_mutex_consistent(&t->lock);
	}
	if (rc == 0 || rc == EOWNERDEAD)
		pthread_mutex_unlock(&t->lock);
}

bool sx_dnsshm_lookup(struct sx_dnsshm *t, int family, const void *addr,
		      char *buf, size_t len)
{
	struct sx_dnsmap r = { .v4 = t->v4, .v6 = t->v6 };
	struct snap o;
	uint32_t key, slot;

	if (!sx_dnsmap_in_range(&r, family, addr, &key))
		return false;
	buf[0] = '\0';
	if (key >= t->generations * t->capacity)
		return true;
	slot = key % t->capacity;
	if (!slot_read(&slots(t)[slot], &o)) {
		repair_if_orphaned(t);
		if (!slot_read(&slots(t)[slot], &o))
			return true;
	}
	if (o.len && o.gen == key / t->capacity && o.len < len) {
		memcpy(buf, o.name, o.len);
		buf[o.len] = '\0';
		slot_touch(&slots(t)[slot]);
	}
	return true;
}

void sx_dnsshm_stats(const struct sx_dnsshm *t, struct sx_dnsshm_stats *st)
{
	struct sx_dnsshm *m = (struct sx_dnsshm *)t;

	st->capacity = t->capacity;
	st->generations = t->generations;
	st->used = atomic_load_explicit(&m->used, memory_order_relaxed);
	st->recycled = atomic_load_explicit(&m->recycled, memory_order_relaxed);
	st->recoveries = atomic_load_explicit(&m->recoveries, memory_order_relaxed);
}
