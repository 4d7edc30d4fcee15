/*
 * pipecache.c - the pure half of `pipelining auto`: the cache file's
 * format and the decisions (include/socksify/pipeauto.h).  No I/O.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/pipeauto.h"

static const char header[] = "socksify-pipelining 1\n";
static const char *const state_names[] = { "unknown", "yes", "no" };

static int64_t ttl(enum sx_pipe_state s)
{
	return s == SX_PIPE_YES ? SX_PIPE_TTL_YES :
	       s == SX_PIPE_NO ? SX_PIPE_TTL_NO : SX_PIPE_TTL_UNKNOWN;
}

static bool addr_ok(const char *a)
{
	if (!*a || strlen(a) >= sizeof(((struct sx_pipe_entry *)0)->addr))
		return false;
	return strspn(a, "0123456789abcdefABCDEF.:%") == strlen(a);
}

/* A word of a line as sx_pipecache_format writes it, ended by end: false
 * (nothing read) for anything else. */
static bool plain_word(const char **p, char *out, size_t cap, char end)
{
	const char *s = *p;
	size_t n = 0;

	while (s[n] && !isspace((unsigned char)s[n]))
		n++;
	if (!n || n >= cap || s[n] != end)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = s + n + 1;
	return true;
}

/* Plain digits (at most max of them), ended by end. */
static bool plain_num(const char **p, unsigned long long *v, size_t max,
		      char end)
{
	const char *s = *p;
	unsigned long long x = 0;
	size_t n = 0;

	while (n < max && s[n] >= '0' && s[n] <= '9')
		x = x * 10 + (unsigned)(s[n++] - '0');
	if (!n || s[n] != end)
		return false;
	*v = x;
	*p = s + n + 1;
	return true;
}

/* The fields of a line in the form sx_pipecache_format writes (one space
 * between fields, plain digits that fit), without sscanf's cost (a
 * process reads the file at its first connect): false for any other form,
 * which sscanf then reads, as it would read this one. */
static bool plain_fields(const char *line, char addr[64], unsigned *port,
			 unsigned *method, char state[16], long long *when)
{
	unsigned long long a, b, c;

	if (!plain_word(&line, addr, 64, ' ') || !plain_num(&line, &a, 5, ' ') ||
	    !plain_num(&line, &b, 5, ' ') || !plain_word(&line, state, 16, ' ') ||
	    !plain_num(&line, &c, 18, '\0'))
		return false;
	*port = (unsigned)a;
	*method = (unsigned)b;
	*when = (long long)c;
	return true;
}

/* One line "ADDR PORT METHOD STATE WHEN" (NUL-terminated, no newline). */
static bool parse_line(const char *line, struct sx_pipe_entry *e)
{
	char addr[64], state[16], tail;
	unsigned port, method;
	long long when;

	if (!plain_fields(line, addr, &port, &method, state, &when) &&
	    sscanf(line, "%63s %u %u %15s %lld %c", addr, &port, &method,
		   state, &when, &tail) != 5)
		return false;
	if (!addr_ok(addr) || port == 0 || port > 65535 ||
	    (method != 0 && method != 2) || when < 0)
		return false;
	memset(e, 0, sizeof(*e));
	for (int s = 0; s < 3; s++)
		if (strcmp(state, state_names[s]) == 0)
			e->state = (enum sx_pipe_state)s;
	if (e->state == SX_PIPE_UNKNOWN && strcmp(state, "unknown") != 0)
		return false;
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->port = (uint16_t)port;
	e->method = (uint8_t)method;
	e->when = when;
	return true;
}

int sx_pipecache_parse(const char *text, size_t len, struct sx_pipe_entry *out,
		       int max)
{
	size_t hl = sizeof(header) - 1, pos;
	int n = 0;

	if (len > SX_PIPE_CACHE_MAX || len < hl || memcmp(text, header, hl))
		return -1;
	if (memchr(text, '\0', len))
		return -1;
	for (pos = hl; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		char line[128];
		size_t ll;
		struct sx_pipe_entry e;

		if (!nl)
			return -1;      /* a cut-off last line: corrupt */
		ll = (size_t)(nl - (text + pos));
		if (ll >= sizeof(line))
			return -1;
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + 1;
		if (!parse_line(line, &e))
			return -1;
		n = sx_pipecache_put(out, n, max, &e);
	}
	return n;
}

size_t sx_pipecache_format(char *buf, size_t cap, const struct sx_pipe_entry *e,
			   int n)
{
	size_t len = 0;
	int w = snprintf(buf, cap, "%s", header);

	if (w < 0 || (size_t)w >= cap)
		return 0;
	len = (size_t)w;
	for (int i = 0; i < n; i++) {
		w = snprintf(buf + len, cap - len, "%s %u %u %s %lld\n",
			     e[i].addr, e[i].port, e[i].method,
			     state_names[e[i].state % 3], (long long)e[i].when);
		if (w < 0 || (size_t)w >= cap - len)
			return 0;
		len += (size_t)w;
	}
	return len;
}

int sx_pipecache_find(const struct sx_pipe_entry *e, int n, const char *addr,
		      uint16_t port, uint8_t method)
{
	for (int i = 0; i < n; i++)
		if (e[i].port == port && e[i].method == method &&
		    strcmp(e[i].addr, addr) == 0)
			return i;
	return -1;
}

int sx_pipecache_put(struct sx_pipe_entry *e, int n, int max,
		     const struct sx_pipe_entry *x)
{
	int i = sx_pipecache_find(e, n, x->addr, x->port, x->method);

	if (i < 0 && n < max)
		i = n++;
	if (i < 0) {
		i = 0;
		for (int j = 1; j < n; j++)
			if (e[j].when < e[i].when)
				i = j;
	}
	if (i >= 0)
		e[i] = *x;
	return n;
}

enum sx_pipe_state sx_pipe_known(const struct sx_pipe_entry *e, int64_t now,
				 bool *probed)
{
	/* a date in the future (clock set back, a forged file) is not trusted */
	bool holds = e->when <= now + 300 && now - e->when < ttl(e->state);

	*probed = holds;
	return holds ? e->state : SX_PIPE_UNKNOWN;
}

enum sx_pipe_use sx_pipe_decide(enum sx_pipelining setting, bool eligible,
				enum sx_pipe_state known, bool probed)
{
	if (setting == SX_PIPE_ON)
		return SX_PIPE_USE_ON;
	if (setting == SX_PIPE_OFF || !eligible)
		return SX_PIPE_USE_OFF;
	if (known == SX_PIPE_YES)
		return SX_PIPE_USE_ON;
	if (known == SX_PIPE_NO || probed)
		return SX_PIPE_USE_OFF;
	return SX_PIPE_USE_PROBE;
}

enum sx_pipe_state sx_pipe_judge(int need, int got, bool refused)
{
	if (refused || (got >= 1 && got < need))
		return SX_PIPE_NO;
	return got >= need && need > 0 ? SX_PIPE_YES : SX_PIPE_UNKNOWN;
}
