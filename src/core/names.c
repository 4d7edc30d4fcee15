/*
 * names.c - remote DNS: which names get a mapped address, the mapping
 * itself (the run's shared table, src/dns/dnsshm.c, or one per process,
 * src/dns/dnsmap.c), and the names in /etc/hosts, which resolve locally.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socksify/dnsmap.h"
#include "socksify/runtime.h"

#define HOSTS_FILE "/etc/hosts"
#define HOSTS_MAX (1 << 20)

static struct sx_dnsmap map;
static struct sx_dnsshm *shared;        /* the run's table, if there is one */
static pthread_once_t map_once = PTHREAD_ONCE_INIT;
static bool map_ok;
static pthread_mutex_t hosts_lock = PTHREAD_MUTEX_INITIALIZER;

/* Both locks are held across fork(), so the child gets consistent tables. */
static void prepare(void)
{
	sx_dnsmap_lock();
	pthread_mutex_lock(&hosts_lock);
}

static void release(void)
{
	pthread_mutex_unlock(&hosts_lock);
	sx_dnsmap_unlock();
}

static void map_init(void)
{
	const struct sx_conf *c = &sx_runtime()->conf;
	uint32_t size = c->dns_map_size;
	uint32_t max = sx_dnsmap_max_capacity(&c->dns_map_v4, &c->dns_map_v6);

	if (size > max)
		size = max;
	shared = sx_dnsshm_open_run(c);
	map_ok = shared || sx_dnsmap_init(&map, &c->dns_map_v4, &c->dns_map_v6, size) == 0;
	pthread_atfork(prepare, release, release);
}

static struct sx_dnsmap *map_get(void)
{
	pthread_once(&map_once, map_init);
	return map_ok ? &map : NULL;
}

/* ---- /etc/hosts: re-read when it changes ----------------------------- */

static char *hosts_text;
static struct timespec hosts_mtime;
static ino_t hosts_ino;
static off_t hosts_size;

static void hosts_reload(void)
{
	struct stat st;
	char *text = NULL;
	int fd;

	if (stat(HOSTS_FILE, &st) < 0) {
		free(hosts_text);
		hosts_text = NULL;
		hosts_ino = 0;
		return;
	}
	if (hosts_text && st.st_ino == hosts_ino && st.st_size == hosts_size &&
	    st.st_mtim.tv_sec == hosts_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == hosts_mtime.tv_nsec)
		return;
	fd = open(HOSTS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && st.st_size < HOSTS_MAX &&
	    (text = malloc((size_t)st.st_size + 1))) {
		ssize_t n = sx_real.read(fd, text, (size_t)st.st_size);

		text[n > 0 ? n : 0] = '\0';
	}
	if (fd >= 0)
		sx_real.close(fd);
	free(hosts_text);
	hosts_text = text;
	hosts_ino = st.st_ino;
	hosts_size = st.st_size;
	hosts_mtime = st.st_mtim;
}

/* Is name one of the host names (not the address) on some line? */
static bool hosts_has(const char *text, const char *name, size_t n)
{
	const char *s = text;

	while (*s) {
		const char *eol = s + strcspn(s, "\n");
		const char *hash = memchr(s, '#', (size_t)(eol - s));
		const char *end = hash ? hash : eol;
		int field = 0;

		while (s < end) {
			const char *w;

			while (s < end && isspace((unsigned char)*s))
				s++;
			w = s;
			while (s < end && !isspace((unsigned char)*s))
				s++;
			if (s > w && field++ > 0 && (size_t)(s - w) == n &&
			    strncasecmp(w, name, n) == 0)
				return true;
		}
		s = *eol ? eol + 1 : eol;
	}
	return false;
}

static bool in_hosts_file(const char *name)
{
	size_t n = strlen(name);
	bool r;

	if (n > 0 && name[n - 1] == '.')
		n--;
	pthread_mutex_lock(&hosts_lock);
	hosts_reload();
	r = hosts_text && hosts_has(hosts_text, name, n);
	pthread_mutex_unlock(&hosts_lock);
	return r;
}

/* ---- decisions --------------------------------------------------------- */

static bool is_numeric(const char *name)
{
	unsigned char buf[16];
	char tmp[64];
	const char *pct = strchr(name, '%');

	if (inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1)
		return true;
	/* fe80::1%eth0 */
	if (pct && (size_t)(pct - name) < sizeof(tmp)) {
		memcpy(tmp, name, (size_t)(pct - name));
		tmp[pct - name] = '\0';
		if (inet_pton(AF_INET6, tmp, buf) == 1)
			return true;
	}
	/* The legacy forms inet_aton accepts: "127.1", "0x7f.1", "2130706433". */
	return inet_aton(name, (struct in_addr *)buf) != 0;
}

/* "localhost" itself resolves locally.  Names below it ("a.localhost")
 * are not special to glibc, which would ask DNS: they go to the proxy. */
static bool is_localhost(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n == 9 && strncasecmp(name, "localhost", 9) == 0;
}

/* A name under .onion or a proxy_only_domain was mapped in this process:
 * with local DNS, mapped addresses then mean something too. */
static atomic_bool proxy_only_mapped;

bool sx_names_should_map(const char *name)
{
	const struct sx_conf *c = &sx_runtime()->conf;

	if (!name || !*name)
		return false;
	/* Never to the local resolver, whatever the dns setting, direct
	 * domains or /etc/hosts say: the proxy alone resolves these. */
	if (sx_conf_name_is_proxy_only(c, name)) {
		map_get();
		return true;
	}
	if (!sx_conf_remote_dns(c))
		return false;
	if (is_numeric(name) || is_localhost(name))
		return false;
	if (sx_conf_name_is_direct(c, name))
		return false;
	map_get();      /* sets up the fork handlers before any lock is used */
	if (c->dns_hosts_local && in_hosts_file(name))
		return false;
	return true;
}

/* Can some route carry a name to its last hop (SOCKS 5 or 4a)?  If none
 * can, a proxy-only name is refused here, with the reason in why. */
static bool routes_carry_names(const struct sx_runtime *rt, char *why,
			       size_t len)
{
	const struct sx_conf *c = &rt->conf;

	for (size_t r = 0; r < c->nroutes; r++) {
		const struct sx_route *route = &c->routes[r];

		if (route->hops[route->nhops - 1].type != SX_PROXY_SOCKS4)
			return true;
	}
	snprintf(why, len, "%s%s is SOCKS 4, which cannot carry a name; use "
		 "socks4a:// or SOCKS 5", c->nroutes > 1 ? "every route's last "
		 "hop, like " : "", rt->route_text[0][0]);
	return false;
}

int sx_names_map(const char *name, int family, void *addr)
{
	const struct sx_runtime *rt = sx_runtime();
	struct sx_dnsmap *m = map_get();
	bool proxy_only = sx_conf_name_is_proxy_only(&rt->conf, name);
	char why[SX_ROUTE_TEXT + 100];
	uint32_t idx;

	if (proxy_only && !routes_carry_names(rt, why, sizeof(why))) {
		sx_log(SX_LOG_ERROR, "%s: not resolved: names under this domain "
		       "go to the proxy only, never to a DNS server, and %s",
		       name, why);
		return EAI_NONAME;
	}
	if (!m)
		return EAI_SYSTEM;
	if (proxy_only)
		atomic_store(&proxy_only_mapped, true);
	if (shared)
		return sx_dnsshm_map(shared, name, family, addr) == 0 ? 0 :
		       errno == EINVAL ? EAI_NONAME : EAI_AGAIN;
	if (sx_dnsmap_put(m, name, &idx) < 0)
		return errno == ENOMEM ? EAI_MEMORY : EAI_NONAME;
	if (family == AF_INET6)
		sx_dnsmap_addr6(m, idx, addr);
	else
		sx_dnsmap_addr4(m, idx, addr);
	return 0;
}

bool sx_names_lookup(int family, const void *addr, char *buf, size_t len)
{
	const struct sx_conf *c = &sx_runtime()->conf;
	struct sx_dnsmap *m;
	uint32_t idx;

	/* Every table (this process's, the shared one) has the configured
	 * ranges: an address outside them is nobody's name, and a connect by
	 * address touches no table (nor the shared table's file). */
	if (!sx_names_in_range(c, family, addr))
		return false;
	/* With local DNS a mapped address (a proxy-only name) may come from
	 * this process, or from another process of the run (shared table). */
	if ((!sx_conf_remote_dns(c) && !atomic_load(&proxy_only_mapped) &&
	     !sx_dnsshm_run_covers(c, family, addr)) || !(m = map_get()))
		return false;
	if (shared)
		return sx_dnsshm_lookup(shared, family, addr, buf, len);
	if (!sx_dnsmap_in_range(m, family, addr, &idx))
		return false;
	if (!sx_dnsmap_name(m, idx, buf, len))
		buf[0] = '\0';
	return true;
}
