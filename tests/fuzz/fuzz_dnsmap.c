/*
 * fuzz_dnsmap.c - the remote-DNS name table (src/dns/dnsmap.c) driven by
 * a sequence of operations decoded from the input, against a simple model.
 *
 * Input: 3 header bytes (v4 prefix, v6 prefix, capacity), then operations:
 *   op % 5 == 0  put: a length byte, then that many name bytes
 *   op % 5 == 1  name(idx) with a buffer size from the next two bytes
 *   op % 5 == 2  in_range on an IPv4 address near the range
 *   op % 5 == 3  in_range on an IPv6 address near the range
 *   op % 5 == 4  put again a name that is in the model (a hit)
 * Checked after every step: count <= capacity; name(addr(put(x))) is the
 * normalised x in both families; the evicted name is the least recently
 * used one; addresses that in_range accepts map back to themselves.
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>

#include "socksify/dnsmap.h"

#define MAXCAP 48

/* The model: names by index ("" = unused), a use counter for LRU order. */
struct model {
	char name[MAXCAP][256];
	uint64_t used[MAXCAP];
	uint64_t clock;
	uint32_t count, cap;
};

static int model_find(const struct model *mo, const char *key)
{
	for (uint32_t i = 0; i < mo->cap; i++)
		if (mo->name[i][0] && strcmp(mo->name[i], key) == 0)
			return (int)i;
	return -1;
}

static uint32_t model_lru(const struct model *mo)
{
	uint32_t best = UINT32_MAX;

	for (uint32_t i = 0; i < mo->cap; i++)
		if (mo->name[i][0] && (best == UINT32_MAX || mo->used[i] < mo->used[best]))
			best = i;
	return best;
}

/* The name at idx, read back through both address families. */
static void check_roundtrip(struct sx_dnsmap *m, struct model *mo, uint32_t idx)
{
	struct in_addr a4;
	struct in6_addr a6;
	uint32_t i4 = 0, i6 = 0;
	char buf[256];

	sx_dnsmap_addr4(m, idx, &a4);
	sx_dnsmap_addr6(m, idx, &a6);
	FUZZ_ASSERT(sx_dnsmap_in_range(m, AF_INET, &a4, &i4) && i4 == idx,
		    "v4 of %u gives %u", idx, i4);
	FUZZ_ASSERT(sx_dnsmap_in_range(m, AF_INET6, &a6, &i6) && i6 == idx,
		    "v6 of %u gives %u", idx, i6);
	FUZZ_ASSERT(sx_dnsmap_name(m, idx, buf, sizeof buf), "no name at %u", idx);
	FUZZ_ASSERT(strcmp(buf, mo->name[idx]) == 0, "'%s' != '%s'", buf, mo->name[idx]);
	mo->used[idx] = ++mo->clock;
}

static void op_put(struct sx_dnsmap *m, struct model *mo, const char *name)
{
	char key[256];
	uint32_t idx = UINT32_MAX;
	int found, rc;

	errno = 0;
	rc = sx_dnsmap_put(m, name, &idx);
	if (!fuzz_dns_normalise(name, key)) {
		FUZZ_ASSERT(rc == -1 && errno == EINVAL, "bad name accepted");
		return;
	}
	FUZZ_ASSERT(rc == 0, "put failed: errno %d", errno);
	FUZZ_ASSERT(idx < mo->cap, "idx %u, capacity %u", idx, mo->cap);
	found = model_find(mo, key);
	if (found >= 0) {
		FUZZ_ASSERT(idx == (uint32_t)found, "'%s' moved %d -> %u", key, found, idx);
	} else if (mo->count < mo->cap) {
		FUZZ_ASSERT(mo->name[idx][0] == '\0', "new name on used index %u", idx);
		mo->count++;
	} else {
		uint32_t lru = model_lru(mo);

		FUZZ_ASSERT(idx == lru, "evicted %u, least recently used %u", idx, lru);
	}
	memcpy(mo->name[idx], key, strlen(key) + 1);
	mo->used[idx] = ++mo->clock;
	FUZZ_ASSERT(m->count == mo->count && m->count <= m->capacity,
		    "count %u model %u capacity %u", m->count, mo->count, m->capacity);
	check_roundtrip(m, mo, idx);
}

static void op_name(struct sx_dnsmap *m, struct model *mo, uint32_t idx, size_t len)
{
	char buf[300];
	bool ok;

	memset(buf, 0xAA, sizeof buf);
	ok = sx_dnsmap_name(m, idx, buf, len);
	if (idx >= mo->cap || !mo->name[idx][0] || strlen(mo->name[idx]) >= len) {
		FUZZ_ASSERT(!ok, "name at %u (count %u, len %zu)", idx, mo->count, len);
		FUZZ_ASSERT((uint8_t)buf[0] == 0xAA, "buffer written on failure");
		return;
	}
	FUZZ_ASSERT(ok && strcmp(buf, mo->name[idx]) == 0, "name %u", idx);
	FUZZ_ASSERT((uint8_t)buf[strlen(buf) + 1] == 0xAA, "wrote past the name");
	mo->used[idx] = ++mo->clock;
}

static void op_range(struct sx_dnsmap *m, int family, struct fuzz_input *in)
{
	uint8_t a[16];
	size_t len = family == AF_INET ? 4 : 16;
	const struct sx_net *n = family == AF_INET ? &m->v4 : &m->v6;
	uint32_t idx = 12345;
	int b;

	/* The range's own address with some of the input mixed in. */
	memcpy(a, n->addr, len);
	while ((b = fuzz_next(in)) >= 0 && b != 0xff)
		a[(size_t)(b >> 4) % len] ^= (uint8_t)(b & 0x0f ? b & 0x0f : 0x80);
	if (!sx_dnsmap_in_range(m, family, a, &idx)) {
		FUZZ_ASSERT(idx == 12345, "idx written when out of range");
		return;
	}
	if (idx != UINT32_MAX) {
		uint8_t back[16];

		if (family == AF_INET)
			sx_dnsmap_addr4(m, idx, (struct in_addr *)(void *)back);
		else
			sx_dnsmap_addr6(m, idx, (struct in6_addr *)(void *)back);
		FUZZ_ASSERT(memcmp(back, a, len) == 0, "index %u is another address", idx);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model mo;
	struct fuzz_input in = { data, size };
	struct sx_net v4, v6;
	struct sx_dnsmap m;
	uint32_t maxcap;
	int b;

	if (size < 3)
		return 0;
	memset(&v4, 0, sizeof v4);
	memset(&v6, 0, sizeof v6);
	v4.family = AF_INET;            /* 127.192.0.0/10 and 100::/64 by default */
	v4.addr[0] = 127;
	v4.addr[1] = 192;
	v4.prefix = (uint8_t)(10 + fuzz_next(&in) % 21);     /* /10 .. /30 */
	v6.family = AF_INET6;
	v6.addr[0] = 0x01;
	b = fuzz_next(&in);
	v6.prefix = (uint8_t)(b < 128 ? 64 : 96 + b % 31);  /* /64 or /96 .. /126 */
	v4.port_hi = v6.port_hi = 65535;
	maxcap = sx_dnsmap_max_capacity(&v4, &v6);
	memset(&mo, 0, sizeof mo);
	mo.cap = 1 + (uint32_t)fuzz_next(&in) % MAXCAP;
	if (mo.cap > maxcap) {
		FUZZ_ASSERT(sx_dnsmap_init(&m, &v4, &v6, mo.cap) < 0, "too big accepted");
		mo.cap = maxcap;
		if (maxcap == 0)
			return 0;
	}
	FUZZ_ASSERT(sx_dnsmap_init(&m, &v4, &v6, mo.cap) == 0, "init %u", mo.cap);

	while ((b = fuzz_next(&in)) >= 0) {
		char name[300];
		int len, i;

		switch (b % 5) {
		case 0:
			len = fuzz_next(&in);
			len = len < 0 ? 0 : len + (b >= 250 ? 200 : 0);  /* up to 455 */
			for (i = 0; i < len && in.n; i++)
				if (i < (int)sizeof name - 1)
					name[i] = (char)fuzz_next(&in);
				else
					fuzz_next(&in);
			name[i < (int)sizeof name - 1 ? i : (int)sizeof name - 1] = '\0';
			op_put(&m, &mo, name);
			break;
		case 1:
			i = fuzz_next(&in);
			len = fuzz_next(&in);
			op_name(&m, &mo, i < 0 ? 0 : (uint32_t)i % (MAXCAP + 2),
				len < 0 ? 256 : (size_t)len % 260);
			break;
		case 2:
			op_range(&m, AF_INET, &in);
			break;
		case 3:
			op_range(&m, AF_INET6, &in);
			break;
		default:
			i = fuzz_next(&in);
			if (mo.name[(uint32_t)(i < 0 ? 0 : i) % mo.cap][0]) {
				/* the name in upper case, with a trailing dot */
				snprintf(name, sizeof name, "%s.", mo.name[(uint32_t)(i < 0 ? 0 : i) % mo.cap]);
				for (char *q = name; *q; q++)
					*q = (char)toupper((unsigned char)*q);
				if (strlen(name) <= 256)
					op_put(&m, &mo, name);
			}
			break;
		}
	}
	sx_dnsmap_free(&m);
	return 0;
}
