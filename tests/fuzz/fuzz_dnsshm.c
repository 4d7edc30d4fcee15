/*
 * fuzz_dnsshm.c - the shared name table (src/dns/dnsshm.c) driven by a
 * sequence of operations decoded from the input.
 *
 * Input: 1 header byte (capacity 1..32), then operations:
 *   op % 4 == 0  map: a family bit, a length byte, then that many name bytes
 *   op % 4 == 1  lookup of the IPv4 address base + 1 + next byte
 *   op % 4 == 2  lookup of the IPv6 address base + 1 + next byte
 *   op % 4 == 3  scribble: an offset (two bytes) and a byte written into the
 *                table's chains or slots, as a buggy process might
 * Until the first scribble, checked after every step: the name maps back
 * from its address; mapping it again gives the same address; a lookup
 * gives "" or a name whose address it is.  After a scribble only memory
 * safety is checked (ASan/UBSan): no read or write outside the table.
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>

#include "socksify/dnsmap.h"

/* Scribbles hit the hash chains and the slots, not the header (its lock
 * and layout are written once, at format time): for a capacity up to 32
 * there are 64 chains of 4 bytes and 280-byte slots after it. */
#define CHAINS_BYTES (64 * 4)
#define SLOT_BYTES 280

static int family_of(int bit)
{
	return bit ? AF_INET6 : AF_INET;
}

static void op_map(struct sx_dnsshm *t, struct fuzz_input *in, bool check)
{
	char name[300], key[256], back[256];
	uint8_t a[16], again[16];
	int fam = family_of(fuzz_next(in) & 1), len = fuzz_next(in), i, rc;

	if (len < 0)
		return;
	for (i = 0; i < len && in->n; i++)
		name[i] = (char)fuzz_next(in);
	name[i] = '\0';
	errno = 0;
	rc = sx_dnsshm_map(t, name, fam, a);
	if (!check)
		return;
	if (!fuzz_dns_normalise(name, key)) {
		FUZZ_ASSERT(rc == -1 && errno == EINVAL, "bad name accepted");
		return;
	}
	FUZZ_ASSERT(rc == 0, "map failed: errno %d", errno);
	FUZZ_ASSERT(sx_dnsshm_lookup(t, fam, a, back, sizeof back), "not in range");
	FUZZ_ASSERT(strcmp(back, key) == 0, "'%s' came back as '%s'", key, back);
	FUZZ_ASSERT(sx_dnsshm_map(t, name, fam, again) == 0 &&
		    memcmp(a, again, fam == AF_INET ? 4 : 16) == 0, "'%s' moved", key);
}

static void op_lookup(struct sx_dnsshm *t, const struct sx_net *n, int off, bool check)
{
	uint8_t a[16], again[16];
	char buf[257];
	size_t alen = n->family == AF_INET ? 4 : 16;
	uint32_t low;

	memcpy(a, n->addr, 16);
	memcpy(&low, a + alen - 4, 4);
	low = htonl(ntohl(low) + 1 + (uint32_t)off);
	memcpy(a + alen - 4, &low, 4);
	FUZZ_ASSERT(sx_dnsshm_lookup(t, n->family, a, buf, sizeof buf - 1), "not in range");
	if (!check || !buf[0])
		return;
	/* The stored name is normalised: it may end in a dot ("a.." was put),
	 * and normalising again drops exactly one. */
	strcat(buf, ".");
	FUZZ_ASSERT(sx_dnsshm_map(t, buf, n->family, again) == 0 &&
		    memcmp(a, again, alen) == 0, "'%s' is not at its address", buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct sx_net v4 = { .family = AF_INET, .addr = { 127, 192 }, .prefix = 10 };
	struct sx_net v6 = { .family = AF_INET6, .addr = { 0x01 }, .prefix = 64 };
	struct sx_dnsshm *t;
	struct sx_dnsshm_stats st;
	uint8_t *mem;
	size_t bytes;
	bool check = true;
	int cap = fuzz_next(&in), op;

	if (cap < 0)
		return 0;
	cap = cap % 32 + 1;
	bytes = sx_dnsshm_bytes((uint32_t)cap);
	mem = calloc(1, bytes);
	if (!mem)
		return 0;
	t = sx_dnsshm_format(mem, bytes, &v4, &v6, (uint32_t)cap);
	FUZZ_ASSERT(t, "format %d", cap);
	while ((op = fuzz_next(&in)) >= 0) {
		switch (op % 4) {
		case 0:
			op_map(t, &in, check);
			break;
		case 1:
		case 2: {
			int off = fuzz_next(&in);

			if (off >= 0)
				op_lookup(t, op % 4 == 1 ? &v4 : &v6, off, check);
			break;
		}
		case 3: {
			int hi = fuzz_next(&in), lo = fuzz_next(&in), val = fuzz_next(&in);

			if (val >= 0) {
				size_t body = CHAINS_BYTES + (size_t)cap * SLOT_BYTES;

				mem[bytes - body + (size_t)(hi << 8 | lo) % body] = (uint8_t)val;
				check = false;
			}
			break;
		}
		}
		sx_dnsshm_stats(t, &st);
		if (check)
			FUZZ_ASSERT(st.used <= st.capacity, "used %u > %u", st.used, st.capacity);
	}
	free(mem);
	return 0;
}
