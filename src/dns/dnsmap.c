/*
 * dnsmap.c - names <-> mapped addresses, O(1) both ways, LRU-bounded.
 * See include/socksify/dnsmap.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/dnsmap.h"
#include "dns_int.h"

struct sx_dnsmap_entry {
	char *name;             /* normalised; NULL = unused */
	uint32_t hash;
	uint32_t hnext;         /* next in the bucket chain, index + 1 */
	uint32_t prev, next;    /* LRU list, index + 1 (0 = none) */
};

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;

void sx_dnsmap_lock(void) { pthread_mutex_lock(&map_lock); }
void sx_dnsmap_unlock(void) { pthread_mutex_unlock(&map_lock); }

static uint32_t range_size(const struct sx_net *n)
{
	int hostbits = (n->family == AF_INET ? 32 : 128) - n->prefix;

	return hostbits >= 32 ? UINT32_MAX : (uint32_t)1 << hostbits;
}

uint32_t sx_dnsmap_max_capacity(const struct sx_net *v4, const struct sx_net *v6)
{
	uint32_t a = range_size(v4), b = range_size(v6);
	uint32_t n = a < b ? a : b;

	/* Skip the first address of each range, and leave the last alone. */
	return n > 2 ? n - 2 : 0;
}

int sx_dnsmap_init(struct sx_dnsmap *m, const struct sx_net *v4,
		   const struct sx_net *v6, uint32_t capacity)
{
	memset(m, 0, sizeof(*m));
	if (v4->family != AF_INET || v6->family != AF_INET6 || capacity == 0 ||
	    capacity > sx_dnsmap_max_capacity(v4, v6))
		return -1;
	m->v4 = *v4;
	m->v6 = *v6;
	m->capacity = capacity;
	return 0;
}

void sx_dnsmap_free(struct sx_dnsmap *m)
{
	uint32_t i;

	for (i = 0; i < m->count; i++)
		free(m->e[i].name);
	free(m->e);
	free(m->buckets);
	m->e = NULL;
	m->buckets = NULL;
	m->count = m->nalloc = m->nbuckets = 0;
	m->lru_head = m->lru_tail = 0;
}

int sx_dnsname_normalise(const char *name, char *out)
{
	size_t n = strnlen(name, 257), i;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 255)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[n] = '\0';
	return 0;
}

uint32_t sx_dnsname_hash(const char *s)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 16777619u;
	}
	return h;
}

static void lru_unlink(struct sx_dnsmap *m, uint32_t i)
{
	struct sx_dnsmap_entry *e = &m->e[i];

	if (e->prev)
		m->e[e->prev - 1].next = e->next;
	else
		m->lru_head = e->next;
	if (e->next)
		m->e[e->next - 1].prev = e->prev;
	else
		m->lru_tail = e->prev;
	e->prev = e->next = 0;
}

static void lru_push_front(struct sx_dnsmap *m, uint32_t i)
{
	struct sx_dnsmap_entry *e = &m->e[i];

	e->prev = 0;
	e->next = m->lru_head;
	if (m->lru_head)
		m->e[m->lru_head - 1].prev = i + 1;
	m->lru_head = i + 1;
	if (!m->lru_tail)
		m->lru_tail = i + 1;
}

static void lru_touch(struct sx_dnsmap *m, uint32_t i)
{
	if (m->lru_head != i + 1) {
		lru_unlink(m, i);
		lru_push_front(m, i);
	}
}

static void bucket_insert(struct sx_dnsmap *m, uint32_t i)
{
	uint32_t b = m->e[i].hash & (m->nbuckets - 1);

	m->e[i].hnext = m->buckets[b];
	m->buckets[b] = i + 1;
}

static void bucket_remove(struct sx_dnsmap *m, uint32_t i)
{
	uint32_t *p = &m->buckets[m->e[i].hash & (m->nbuckets - 1)];

	while (*p && *p != i + 1)
		p = &m->e[*p - 1].hnext;
	if (*p)
		*p = m->e[i].hnext;
}

/* Room for one more entry: grow the array and, at 3/4 load, the buckets. */
static int grow(struct sx_dnsmap *m)
{
	uint32_t i;

	if (m->count == m->nalloc) {
		uint32_t n = m->nalloc ? m->nalloc * 2 : 64;
		struct sx_dnsmap_entry *e;

		if (n > m->capacity)
			n = m->capacity;
		e = realloc(m->e, (size_t)n * sizeof(*e));
		if (!e)
			return -1;
		m->e = e;
		m->nalloc = n;
	}
	if ((uint64_t)(m->count + 1) * 4 > (uint64_t)m->nbuckets * 3) {
		uint32_t nb = m->nbuckets ? m->nbuckets * 2 : 128;
		uint32_t *b = calloc(nb, sizeof(*b));

		if (!b)
			return -1;
		free(m->buckets);
		m->buckets = b;
		m->nbuckets = nb;
		for (i = 0; i < m->count; i++)
			bucket_insert(m, i);
	}
	return 0;
}

static int find(const struct sx_dnsmap *m, const char *key, uint32_t h)
{
	uint32_t i;

	if (!m->nbuckets)
		return -1;
	for (i = m->buckets[h & (m->nbuckets - 1)]; i; i = m->e[i - 1].hnext)
		if (m->e[i - 1].hash == h && strcmp(m->e[i - 1].name, key) == 0)
			return (int)(i - 1);
	return -1;
}

static int put_locked(struct sx_dnsmap *m, const char *key, uint32_t *idx)
{
	uint32_t h = sx_dnsname_hash(key), i;
	char *copy;
	int found = find(m, key, h);

	if (found >= 0) {
		lru_touch(m, (uint32_t)found);
		*idx = (uint32_t)found;
		return 0;
	}
	copy = strdup(key);
	if (!copy)
		return -1;
	if (m->count < m->capacity) {
		if (grow(m) < 0) {
			free(copy);
			return -1;
		}
		i = m->count++;
	} else {
		/* Full: the least recently used name gives up its address. */
		i = m->lru_tail - 1;
		lru_unlink(m, i);
		bucket_remove(m, i);
		free(m->e[i].name);
		m->recycled++;
	}
	m->e[i].name = copy;
	m->e[i].hash = h;
	bucket_insert(m, i);
	lru_push_front(m, i);
	*idx = i;
	return 0;
}

int sx_dnsmap_put(struct sx_dnsmap *m, const char *name, uint32_t *idx)
{
	char key[256];
	int rc;

	if (sx_dnsname_normalise(name, key) < 0) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&map_lock);
	rc = put_locked(m, key, idx);
	pthread_mutex_unlock(&map_lock);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

void sx_dnsmap_addr4(const struct sx_dnsmap *m, uint32_t idx, struct in_addr *a)
{
	uint32_t base;

	memcpy(&base, m->v4.addr, 4);
	a->s_addr = htonl(ntohl(base) + 1 + idx);
}

void sx_dnsmap_addr6(const struct sx_dnsmap *m, uint32_t idx, struct in6_addr *a)
{
	uint32_t low;

	memcpy(a->s6_addr, m->v6.addr, 16);
	memcpy(&low, &a->s6_addr[12], 4);
	low = htonl(ntohl(low) + 1 + idx);
	memcpy(&a->s6_addr[12], &low, 4);
}

bool sx_dnsmap_in_range(const struct sx_dnsmap *m, int family,
			const void *addr, uint32_t *idx)
{
	const struct sx_net *n = family == AF_INET ? &m->v4 : &m->v6;
	const uint8_t *a = addr;
	uint32_t off, base;
	size_t len = family == AF_INET ? 4 : 16;
	size_t i;

	if ((family != AF_INET && family != AF_INET6) || !n->family ||
	    !sx_net_prefix_has(n, a))
		return false;
	*idx = UINT32_MAX;      /* in the range, but no index we hand out */
	for (i = (size_t)n->prefix / 8; i < len - 4; i++)
		if (a[i] != n->addr[i])
			return true;
	memcpy(&off, a + len - 4, 4);
	memcpy(&base, n->addr + len - 4, 4);
	off = ntohl(off) - ntohl(base);
	if (off >= 1)
		*idx = off - 1;
	return true;
}

bool sx_dnsmap_name(struct sx_dnsmap *m, uint32_t idx, char *buf, size_t len)
{
	bool ok = false;

	pthread_mutex_lock(&map_lock);
	if (idx < m->count && m->e[idx].name && strlen(m->e[idx].name) < len) {
		strcpy(buf, m->e[idx].name);
		lru_touch(m, idx);
		ok = true;
	}
	pthread_mutex_unlock(&map_lock);
	return ok;
}
