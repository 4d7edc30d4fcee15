/*
 * fuzz_dns_answer.c - the engines' DNS answers (src/proto/dnsmsg.c) on any
 * query: never a read past the query or a write past the answer buffer; an
 * answer repeats the query's ID and question, has QR set, at most one
 * answer record, and is as long as it says.
 */
#include <sys/socket.h>

#include "fuzz.h"

#include "socksify/dnsmsg.h"

static int map(const char *name, int family, void *addr)
{
	size_t n = strlen(name);

	if (n == 0 || n > 253)
		abort();                /* qname gives 1..253 characters */
	if (name[0] == 'x')
		return 1;
	if (name[0] == 'y')
		return -1;
	memset(addr, 0x7f, family == AF_INET ? 4 : 16);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *q = fuzz_dup(data, size);
	size_t cap = size % 7 == 0 ? 64 : 600;
	uint8_t *a = malloc(cap);
	ssize_t n = sx_dns_answer(q, size, a, cap, map);

	if (n >= 0) {
		size_t qend = (size_t)n;

		FUZZ_ASSERT(n >= 12 && (size_t)n <= cap, "length %zd", n);
		FUZZ_ASSERT(a[0] == q[0] && a[1] == q[1], "ID changed");
		FUZZ_ASSERT(a[2] & 0x80, "QR not set");
		FUZZ_ASSERT(sx_dns_get16(a + 6) <= 1, "%u answers",
			    sx_dns_get16(a + 6));
		if (sx_dns_get16(a + 6)) {
			/* the record at the end: 12 bytes and 4 or 16 of data */
			if (n >= 28 && sx_dns_get16(a + n - 6) == 4)
				qend = (size_t)n - 16;
			else
				qend = (size_t)n - 28;
			FUZZ_ASSERT(qend >= 12 && qend <= size, "record length");
			FUZZ_ASSERT(sx_dns_get16(a + qend) == 0xc00c, "owner");
		}
		FUZZ_ASSERT(memcmp(a + 12, q + 12, qend - 12) == 0,
			    "question differs");
	}
	free(a);
	free(q);
	return 0;
}
