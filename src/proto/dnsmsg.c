/*
 * dnsmsg.c - the DNS answers of the seccomp and ptrace engines' answerer
 * (src/engine/dnsd.c), as pure message code: a query in, an answer out,
 * no I/O (RFC 1035 section 4).
 *
 *   A, AAAA (class IN)    map(name) gives an address: one answer, TTL 60;
 *                         map says the name is not ours: REFUSED; map
 *                         fails: SERVFAIL
 *   other types/classes   NOERROR with no answer (NODATA)
 *
 * The answer repeats the header and the question; anything after the
 * question (an EDNS OPT record) is dropped.
 */
#include <string.h>
#include <sys/socket.h>

#include "socksify/dnsmsg.h"

enum { RC_OK = 0, RC_SERVFAIL = 2, RC_REFUSED = 5 };

/* The question's name as text (labels joined by dots); the offset just
 * past it, or 0 when malformed (compression, a label over 63 bytes or
 * with a NUL or a dot in it, a name over 253 characters, truncated). */
static size_t qname(const uint8_t *q, size_t qlen, char *name, size_t cap)
{
	size_t at = 12, n = 0;

	while (at < qlen) {
		unsigned l = q[at++];

		if (l == 0) {
			name[n] = '\0';
			return n > 0 && n <= 253 ? at : 0;     /* RFC 1035 2.3.4 */
		}
		if (l > 63 || at + l > qlen || n + l + 2 > cap)
			return 0;
		/* a NUL or a dot inside a label would name another host */
		if (memchr(q + at, '\0', l) || memchr(q + at, '.', l))
			return 0;
		if (n)
			name[n++] = '.';
		memcpy(name + n, q + at, l);
		n += l;
		at += l;
	}
	return 0;
}

ssize_t sx_dns_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
		      sx_dns_map_fn map)
{
	char name[256];
	uint8_t addr[16];
	size_t end, n;
	unsigned type, klass, rcode = RC_OK, alen = 0;
	int r;

	if (qlen < 12 || (q[2] & 0x80) || (q[2] & 0x78) || sx_dns_get16(q + 4) != 1)
		return -1;      /* a reply, not QUERY, or not one question */
	if (!(end = qname(q, qlen, name, sizeof(name))) || end + 4 > qlen)
		return -1;
	type = sx_dns_get16(q + end);
	klass = sx_dns_get16(q + end + 2);
	end += 4;
	if (klass == 1 && (type == 1 || type == 28)) {
		r = map(name, type == 1 ? AF_INET : AF_INET6, addr);
		if (r == 0)
			alen = type == 1 ? 4 : 16;
		else
			rcode = r > 0 ? RC_REFUSED : RC_SERVFAIL;
	}
	n = end + (alen ? 12 + alen : 0);
	if (n > cap)
		return -1;
	memcpy(out, q, end);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x01));       /* QR, RD kept */
	out[3] = (uint8_t)(0x80 | rcode);               /* RA */
	sx_dns_put16(out + 6, alen ? 1 : 0);
	sx_dns_put16(out + 8, 0);
	sx_dns_put16(out + 10, 0);
	if (alen) {
		uint8_t *a = out + end;

		sx_dns_put16(a, 0xc00c);               /* the question's name */
		sx_dns_put16(a + 2, type);
		sx_dns_put16(a + 4, 1);
		sx_dns_put16(a + 6, 0);
		sx_dns_put16(a + 8, 60);               /* TTL */
		sx_dns_put16(a + 10, alen);
		memcpy(a + 12, addr, alen);
	}
	return (ssize_t)n;
}

