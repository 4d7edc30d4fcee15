/*
 * bench/dnsmap.c - the remote-DNS table (src/dns/dnsmap.c) under 1 M names.
 *
 *   make bench-dnsmap                  (or: build/bench/dnsmap [NAMES] [CAPACITY])
 *
 * Run 1: NAMES distinct names (default 1000000) put into a table that holds
 * them all, then each looked back up from its IPv4 and its IPv6 address in
 * a shuffled order (address -> index -> name, as connect() does), then put
 * again (a program resolving a name it already has).
 * Run 2: the same names through a table of CAPACITY (default 65536, the
 * config's default dns_map_size), so almost every put recycles the least
 * recently used name.
 * Run 3: the same names through the shared table (one socksify run's) of
 * CAPACITY, then the last CAPACITY names looked up and mapped again.
 *
 * Reported: wall time per operation (CLOCK_MONOTONIC), the heap the table
 * holds (mallinfo2, so the benchmark's own name list is not counted), and
 * the process's resident and peak memory (/proc/self/statm, getrusage).
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "socksify/dnsmap.h"

#define MAX_NAME 40

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static double rss_mib(void)
{
	long pages = 0, size;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &pages) != 2)
			pages = 0;
		fclose(f);
	}
	return (double)pages * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static double peak_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;       /* KiB on Linux */
}

static void die(const char *what)
{
	fprintf(stderr, "bench-dnsmap: FAILED: %s\n", what);
	exit(1);
}

static void net(const char *spec, struct sx_net *n)
{
	char err[256];

	if (sx_net_parse(spec, n, err, sizeof(err)) < 0)
		die(err);
}

/* Names like real host names, of varied length: "h123456.node7.example.com". */
static char *make_names(uint32_t n)
{
	char *names = malloc((size_t)n * MAX_NAME);
	uint32_t i;

	if (!names)
		die("out of memory for the name list");
	for (i = 0; i < n; i++)
		snprintf(names + (size_t)i * MAX_NAME, MAX_NAME, "h%u.node%u.%s",
			 i, i % 97, i % 3 ? "example.com" : "cdn.example.net");
	return names;
}

static uint32_t *shuffled(uint32_t n)
{
	uint32_t *p = malloc((size_t)n * sizeof(*p)), i;
	uint64_t x = 88172645463325252ull;      /* xorshift64: repeatable */

	if (!p)
		die("out of memory for the permutation");
	for (i = 0; i < n; i++)
		p[i] = i;
	for (i = n - 1; i > 0; i--) {
		uint32_t j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (uint32_t)(x % (i + 1));
		t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

static void report(const char *what, uint32_t ops, double secs)
{
	printf("  %-34s %8u ops %8.1f ns/op %7.3f s\n", what, ops,
	       secs * 1e9 / ops, secs);
}

/* Run 1: every name fits. */
static void run_full(const char *names, const uint32_t *order, uint32_t n)
{
	struct sx_dnsmap m;
	struct sx_net v4, v6;
	uint32_t *idx = malloc((size_t)n * sizeof(*idx)), i, k;
	char back[256];
	size_t heap0;
	double t;

	if (!idx)
		die("out of memory");
	net("127.192.0.0/10", &v4);
	net("100::/64", &v6);
	if (sx_dnsmap_init(&m, &v4, &v6, n) < 0)
		die("init (more names than the /10 holds?)");
	printf("run 1: %u distinct names, capacity %u (127.192.0.0/10, 100::/64)\n",
	       n, n);
	heap0 = heap_used();

	t = now_s();
	for (i = 0; i < n; i++)
		if (sx_dnsmap_put(&m, names + (size_t)i * MAX_NAME, &idx[i]) < 0)
			die("put");
	report("put, new name", n, now_s() - t);

	t = now_s();
	for (k = 0; k < n; k++) {
		struct in_addr a;
		uint32_t j;

		i = order[k];
		sx_dnsmap_addr4(&m, idx[i], &a);
		if (!sx_dnsmap_in_range(&m, AF_INET, &a, &j) ||
		    !sx_dnsmap_name(&m, j, back, sizeof(back)) ||
		    strcmp(back, names + (size_t)i * MAX_NAME) != 0)
			die("IPv4 address does not give its name back");
	}
	report("IPv4 address -> name, shuffled", n, now_s() - t);

	t = now_s();
	for (k = 0; k < n; k++) {
		struct in6_addr a;
		uint32_t j;

		i = order[k];
		sx_dnsmap_addr6(&m, idx[i], &a);
		if (!sx_dnsmap_in_range(&m, AF_INET6, &a, &j) ||
		    !sx_dnsmap_name(&m, j, back, sizeof(back)) ||
		    strcmp(back, names + (size_t)i * MAX_NAME) != 0)
			die("IPv6 address does not give its name back");
	}
	report("IPv6 address -> name, shuffled", n, now_s() - t);

	t = now_s();
	for (k = 0; k < n; k++) {
		uint32_t j;

		i = order[k];
		if (sx_dnsmap_put(&m, names + (size_t)i * MAX_NAME, &j) < 0 ||
		    j != idx[i])
			die("a known name moved");
	}
	report("put, known name, shuffled", n, now_s() - t);

	if (m.count != n || m.recycled != 0)
		die("count or recycled wrong");
	printf("  table heap: %.1f MiB (%.0f bytes per name: entry %zu, "
	       "buckets %u x 4, name copy)\n",
	       (double)(heap_used() - heap0) / 1048576.0,
	       (double)(heap_used() - heap0) / n,
	       sizeof(uint32_t) * 4 + sizeof(char *), m.nbuckets);
	printf("  process RSS %.1f MiB, peak %.1f MiB (getrusage; includes the "
	       "benchmark's name list, %.1f MiB)\n", rss_mib(), peak_mib(),
	       (double)n * MAX_NAME / 1048576.0);
	sx_dnsmap_free(&m);
	free(idx);
}

/* Run 2: the table is smaller than the name set, so puts recycle. */
static void run_recycle(const char *names, const uint32_t *order, uint32_t n,
			uint32_t cap)
{
	struct sx_dnsmap m;
	struct sx_net v4, v6;
	uint32_t i, k, idx, hits = 0;
	char back[256];
	size_t heap0;
	double t;

	net("127.192.0.0/10", &v4);
	net("100::/64", &v6);
	if (sx_dnsmap_init(&m, &v4, &v6, cap) < 0)
		die("init (recycling run)");
	printf("run 2: %u distinct names, capacity %u (recycling)\n", n, cap);
	heap0 = heap_used();

	t = now_s();
	for (i = 0; i < n; i++)
		if (sx_dnsmap_put(&m, names + (size_t)i * MAX_NAME, &idx) < 0)
			die("put");
	report("put, new name (recycles when full)", n, now_s() - t);
	if (m.count != cap || m.recycled != (uint64_t)n - cap)
		die("recycled count wrong");

	/* The last cap names are held; older ones gave their index away. */
	t = now_s();
	for (k = 0; k < n; k++) {
		struct in_addr a;
		uint32_t j;

		i = order[k];
		if (sx_dnsmap_put(&m, names + (size_t)i * MAX_NAME, &idx) < 0)
			die("put");
		sx_dnsmap_addr4(&m, idx, &a);
		if (!sx_dnsmap_in_range(&m, AF_INET, &a, &j) || j != idx ||
		    !sx_dnsmap_name(&m, j, back, sizeof(back)) ||
		    strcmp(back, names + (size_t)i * MAX_NAME) != 0)
			die("recycled index does not give the new name");
		hits++;
	}
	report("put + address -> name, shuffled", hits, now_s() - t);
	printf("  recycled %llu names; table heap %.1f MiB; process RSS %.1f MiB, "
	       "peak %.1f MiB\n", (unsigned long long)m.recycled,
	       (double)(heap_used() - heap0) / 1048576.0, rss_mib(), peak_mib());
	sx_dnsmap_free(&m);
}

/* Run 3: the shared table (src/dns/dnsshm.c) of capacity cap in shared
 * memory, as every process of a socksify run maps it. */
static void run_shared(const char *names, const uint32_t *order, uint32_t n,
		       uint32_t cap)
{
	struct sx_net v4, v6;
	struct sx_dnsshm *tb;
	struct sx_dnsshm_stats st;
	struct in_addr *a = malloc((size_t)n * sizeof(*a));
	size_t bytes = sx_dnsshm_bytes(cap);
	uint32_t i, k, m = 0, first = n > cap ? n - cap : 0;
	char back[256];
	void *mem;
	double t;

	net("127.192.0.0/10", &v4);
	net("100::/64", &v6);
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!a || mem == MAP_FAILED || !(tb = sx_dnsshm_format(mem, bytes, &v4, &v6, cap)))
		die("shared table");
	printf("run 3: %u distinct names, shared table of capacity %u (%.1f MiB mapped)\n",
	       n, cap, (double)bytes / 1048576.0);
	t = now_s();
	for (i = 0; i < n; i++)
		if (sx_dnsshm_map(tb, names + (size_t)i * MAX_NAME, AF_INET, &a[i]) < 0)
			die("map");
	report("map, new name (recycles when full)", n, now_s() - t);
	/* The last cap names are held (nothing else was used since). */
	t = now_s();
	for (k = 0; k < n; k++) {
		if ((i = order[k]) < first)
			continue;
		if (!sx_dnsshm_lookup(tb, AF_INET, &a[i], back, sizeof back) ||
		    strcmp(back, names + (size_t)i * MAX_NAME) != 0)
			die("IPv4 address does not give its name back");
		m++;
	}
	report("IPv4 address -> name, shuffled", m, now_s() - t);
	t = now_s();
	for (k = 0; k < n; k++) {
		struct in_addr b;

		if ((i = order[k]) < first)
			continue;
		if (sx_dnsshm_map(tb, names + (size_t)i * MAX_NAME, AF_INET, &b) < 0 ||
		    b.s_addr != a[i].s_addr)
			die("a known name moved");
	}
	report("map, known name (no lock), shuffled", m, now_s() - t);
	sx_dnsshm_stats(tb, &st);
	printf("  recycled %llu names; process RSS %.1f MiB, peak %.1f MiB\n",
	       (unsigned long long)st.recycled, rss_mib(), peak_mib());
	munmap(mem, bytes);
	free(a);
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	uint32_t cap = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 65536;
	char *names;
	uint32_t *order;

	if (n < 2 || cap < 1 || cap >= n) {
		fprintf(stderr, "usage: %s [NAMES (>1)] [CAPACITY (< NAMES)]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	names = make_names(n);
	order = shuffled(n);
	printf("bench-dnsmap: baseline RSS %.1f MiB (name list and permutation "
	       "built)\n", rss_mib());
	run_full(names, order, n);
	run_recycle(names, order, n, cap);
	run_shared(names, order, n, cap);
	free(order);
	free(names);
	return 0;
}
