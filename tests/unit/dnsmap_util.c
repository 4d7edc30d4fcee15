/*
 * dnsmap_util.c - helpers of the unit tests of the remote-DNS table
 * (test_dnsmap.c, test_dnsmap_fork.c).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socksify/dnsmap.h"

#include "dnsmap_util.h"

struct sx_net net(const char *spec)
{
	struct sx_net n;
	char err[256];

	ck_assert_msg(sx_net_parse(spec, &n, err, sizeof(err)) == 0, "%s: %s",
		      spec, err);
	return n;
}

/* A table over the default ranges, 127.192.0.0/10 and 100::/64. */
void init_default(struct sx_dnsmap *m, uint32_t capacity)
{
	struct sx_net v4 = net("127.192.0.0/10"), v6 = net("100::/64");

	ck_assert_int_eq(sx_dnsmap_init(m, &v4, &v6, capacity), 0);
}

uint32_t put(struct sx_dnsmap *m, const char *name)
{
	uint32_t idx = UINT32_MAX;

	ck_assert_msg(sx_dnsmap_put(m, name, &idx) == 0, "put %s", name);
	ck_assert_uint_lt(idx, m->capacity);
	return idx;
}

const char *addr4_text(const struct sx_dnsmap *m, uint32_t idx, char *buf)
{
	struct in_addr a;

	sx_dnsmap_addr4(m, idx, &a);
	return inet_ntop(AF_INET, &a, buf, INET6_ADDRSTRLEN);
}

const char *addr6_text(const struct sx_dnsmap *m, uint32_t idx, char *buf)
{
	struct in6_addr a;

	sx_dnsmap_addr6(m, idx, &a);
	return inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN);
}

/* in_range of a text address: -1 outside, else the index (UINT32_MAX too). */
int64_t range_of(const struct sx_dnsmap *m, const char *text)
{
	unsigned char a[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	uint32_t idx = 12345;

	ck_assert_int_eq(inet_pton(family, text, a), 1);
	if (!sx_dnsmap_in_range(m, family, a, &idx))
		return -1;
	return idx;
}

/* The name held by idx, or "" when none. */
const char *name_of(struct sx_dnsmap *m, uint32_t idx)
{
	static char buf[256];

	if (!sx_dnsmap_name(m, idx, buf, sizeof(buf)))
		buf[0] = '\0';
	return buf;
}

void name_n(char *buf, size_t len, const char *tag, unsigned i)
{
	snprintf(buf, len, "%s%u.example.com", tag, i);
}
