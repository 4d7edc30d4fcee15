/*
 * dnsmsg.h - building DNS answers for the engines' DNS answerer
 * (src/proto/dnsmsg.c; pure, unit-tested).
 */
#ifndef SOCKSIFY_DNSMSG_H
#define SOCKSIFY_DNSMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* map(name, family, addr): 0 and the mapped address in addr (4 or 16
 * bytes), 1 when the name is not ours, -1 on failure. */
typedef int (*sx_dns_map_fn)(const char *name, int family, void *addr);

/*
 * The answer to query q (qlen bytes) into out (cap bytes): its length, or
 * -1 when q is not one standard query with one question (then no answer is
 * sent), or the answer does not fit.
 */
ssize_t sx_dns_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
		      sx_dns_map_fn map);

/* The 16-bit big-endian fields of a message. */
static inline unsigned sx_dns_get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static inline void sx_dns_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif
