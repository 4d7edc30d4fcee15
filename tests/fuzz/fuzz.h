/*
 * fuzz.h - shared helpers for the libFuzzer targets in tests/fuzz/.
 *
 * Parsers are always handed a heap block of exactly the bytes they may
 * look at, so that AddressSanitizer reports any read past len.  A broken
 * invariant aborts with a message (libFuzzer then saves the input).
 */
#ifndef SX_FUZZ_H
#define SX_FUZZ_H

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s: ",	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* A heap copy of exactly n bytes (one byte allocated for n == 0). */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

/* A NUL-terminated heap copy of p[0..n): exactly n + 1 bytes. */
static inline char *fuzz_str(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Operations decoded from the input, one byte at a time (-1 at the end). */
struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static inline int fuzz_next(struct fuzz_input *in)
{
	if (in->n == 0)
		return -1;
	in->n--;
	return *in->p++;
}

/* The name tables' model of a name: lower case, one trailing dot gone,
 * 1..255 bytes, into out[256]; false if there is no such name. */
static inline bool fuzz_dns_normalise(const char *name, char *out)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[n] = '\0';
	return true;
}

/* One signature for every incremental parser. */
typedef ssize_t (*fuzz_parse_fn)(const uint8_t *buf, size_t len, size_t *need);

static inline ssize_t fuzz_parse_exact(fuzz_parse_fn fn, const uint8_t *p,
				       size_t len, size_t *need)
{
	uint8_t *b = fuzz_dup(p, len);
	ssize_t r = fn(b, len, need);

	free(b);
	return r;
}

/*
 * The contract of proto.h, checked on the stream data[0..size):
 *   - every prefix: 0 means need > len, > 0 means a length <= len that
 *     parses again to itself from exactly that many bytes (and stays the
 *     answer for every longer prefix), < 0 is final (no longer prefix
 *     turns it into a message);
 *   - a caller that reads exactly (need - len) more bytes each time ends
 *     exactly at the end of the message, never past it.
 * Prefixes up to maxlen bytes are all checked (the sweep is quadratic);
 * longer ones at the lengths the client reads.  Returns the message length
 * (> 0), 0 if the stream ended first, or the error.
 */
static inline ssize_t fuzz_check_stream(fuzz_parse_fn fn, const uint8_t *data,
					size_t size, size_t maxlen)
{
	ssize_t first = 0, r;
	size_t len, need, lim = size < maxlen ? size : maxlen;

	for (len = 0; len <= lim; len++) {
		need = (size_t)-1;
		r = fuzz_parse_exact(fn, data, len, &need);
		if (r == 0) {
			FUZZ_ASSERT(first == 0, "len %zu incomplete after %zd", len, first);
			FUZZ_ASSERT(need > len && need != (size_t)-1,
				    "len %zu need %zu", len, need);
			continue;
		}
		if (first == 0)
			first = r;
		FUZZ_ASSERT(first > 0 ? r == first : r < 0,
			    "len %zu: %zd, before %zd", len, r, first);
		if (r > 0) {
			size_t n2 = 777;

			FUZZ_ASSERT((size_t)r <= len, "len %zu returned %zd", len, r);
			FUZZ_ASSERT(fuzz_parse_exact(fn, data, (size_t)r, &n2) == r,
				    "message of %zd bytes does not parse alone", r);
			FUZZ_ASSERT(n2 == 777, "need written on success");
		}
	}

	/* The reading client. */
	len = 0;
	for (;;) {
		r = fuzz_parse_exact(fn, data, len, &need);
		if (r != 0)
			break;
		FUZZ_ASSERT(need > len, "need %zu len %zu", need, len);
		if (need > size)
			return 0;
		len = need;
	}
	if (r > 0) {
		FUZZ_ASSERT((size_t)r == len, "client read %zu bytes, message is %zd",
			    len, r);
		/* one byte short: incomplete, and the byte missing is the last */
		FUZZ_ASSERT(fuzz_parse_exact(fn, data, len - 1, &need) == 0 &&
			    need == len, "at %zu bytes: need %zu", len - 1, need);
	}
	if (len <= lim)
		FUZZ_ASSERT(first > 0 ? r == first : r < 0,
			    "client got %zd, prefixes %zd", r, first);
	/* Past the swept prefixes: the whole stream gives the same answer. */
	if (size > lim) {
		ssize_t all = fuzz_parse_exact(fn, data, size, &need);

		FUZZ_ASSERT(r > 0 ? all == r : all < 0, "stream %zd, client %zd", all, r);
	}
	return r;
}

#endif
