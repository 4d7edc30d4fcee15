/*
 * runtime.c - load the configuration and resolve the proxy, once, on the
 * first call that needs them.  Nothing happens at program start.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "socksify/runtime.h"

static struct sx_runtime rt;
static pthread_once_t rt_once = PTHREAD_ONCE_INIT;
static atomic_bool rt_ready;    /* loaded: no pthread_once() call */

static void proxy_text(struct sx_proxy_addr *pa, const struct sx_proxy *p)
{
	if (strchr(p->host, ':'))
		snprintf(pa->text, sizeof(pa->text), "[%s]:%u", p->host, p->port);
	else
		snprintf(pa->text, sizeof(pa->text), "%s:%u", p->host, p->port);
}

void sx_proxy_resolve(struct sx_proxy_addr *pa, const struct sx_proxy *p)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int rc;

	proxy_text(pa, p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", p->port);
	sx_real_init();
	rc = sx_real.getaddrinfo(p->host, port, &hints, &res);
	if (rc != 0) {
		pa->resolve_err = EHOSTUNREACH;
		snprintf(pa->resolve_msg, sizeof(pa->resolve_msg),
			 "cannot resolve proxy host '%s': %s", p->host,
			 gai_strerror(rc));
		return;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET && !pa->v4.ss_family) {
			memcpy(&pa->v4, ai->ai_addr, ai->ai_addrlen);
			pa->v4len = ai->ai_addrlen;
		} else if (ai->ai_family == AF_INET6 && !pa->v6.ss_family) {
			memcpy(&pa->v6, ai->ai_addr, ai->ai_addrlen);
			pa->v6len = ai->ai_addrlen;
		}
	}
	freeaddrinfo(res);
	if (!pa->v4.ss_family && !pa->v6.ss_family) {
		pa->resolve_err = EHOSTUNREACH;
		snprintf(pa->resolve_msg, sizeof(pa->resolve_msg),
			 "proxy host '%s' has no IPv4 or IPv6 address", p->host);
	}
}

/* Every hop of every route, and the texts of the routes for messages. */
static void routes_resolve(void)
{
	for (int s = 0; s < SX_ROUTE_SETS; s++) {
		size_t nr;
		const struct sx_route *routes = sx_route_set(&rt.conf, s, &nr);

		if (s > 0 && (size_t)s > rt.conf.nnamed)
			break;
		for (size_t r = 0; r < nr; r++) {
			char *text = rt.route_text[s][r];
			size_t used = 0;

			for (size_t h = 0; h < routes[r].nhops; h++) {
				sx_proxy_resolve(&rt.hops[s][r][h], &routes[r].hops[h]);
				used += (size_t)snprintf(text + used, SX_ROUTE_TEXT - used,
							 "%s%s", h ? " -> " : "",
							 rt.hops[s][r][h].text);
				if (used >= SX_ROUTE_TEXT)
					used = SX_ROUTE_TEXT - 1;
			}
		}
	}
	rt.proxy = rt.hops[0][0][rt.conf.routes[0].nhops - 1];
}

static void runtime_load(void)
{
	int saved = errno;

	SX_GUARD_SCOPE();
	sx_real_init();
	sx_conf_load(&rt.conf);
	routes_resolve();
	atomic_store_explicit(&rt_ready, true, memory_order_release);
	errno = saved;
}

const struct sx_runtime *sx_runtime(void)
{
	static atomic_bool reported;

	if (!atomic_load_explicit(&rt_ready, memory_order_acquire))
		pthread_once(&rt_once, runtime_load);
	/* Logged here, not in runtime_load: logging needs sx_runtime(). */
	if (rt.conf.error[0] && !atomic_load_explicit(&reported,
						       memory_order_relaxed) &&
	    !atomic_exchange(&reported, true))
		sx_log(SX_LOG_ERROR, "configuration error: %s; connections "
		       "that should go through the proxy will fail (socksify "
		       "--show-config shows the settings)", rt.conf.error);
	return &rt;
}

/* Is sa one of the proxies' own addresses (of any route)? */
static bool is_a_proxy(const struct sx_runtime *r, const struct sockaddr *sa)
{
	for (int s = 0; s < SX_ROUTE_SETS; s++) {
		size_t nr;
		const struct sx_route *routes = sx_route_set(&r->conf, s, &nr);

		if (s > 0 && (size_t)s > r->conf.nnamed)
			break;
		for (size_t i = 0; i < nr; i++)
			for (size_t h = 0; h < routes[i].nhops; h++)
				if (sx_is_proxy_addr(&r->hops[s][i][h], sa))
					return true;
	}
	return false;
}

/*
 * This thread's last decision for an address that is not mapped: the
 * process's runtime never changes once loaded, so the same destination
 * (family, address, port) and protocol gets the same answer - a program
 * connecting again asks again - without matching the rules anew.  A
 * mapped address is looked up every time (its name may change).
 */
struct route_memo {
	bool ok;
	int proto, family;      /* family: sa's (a v4-mapped IPv6 is AF_INET6) */
	uint8_t atyp;           /* the address's (IPv4 for a v4-mapped one) */
	uint16_t port;
	uint8_t addr[16];       /* 4 used for IPv4 */
	enum sx_route_kind kind;
	int set, rule;
};
static __thread struct route_memo route_last
	__attribute__((tls_model("initial-exec")));

static bool route_memo_hit(const struct route_memo *m, int proto, int family,
			   const struct sx_addr *a)
{
	uint64_t x[2], y[2];

	if (!m->ok || m->proto != proto || m->family != family ||
	    m->atyp != a->atyp || m->port != a->port)
		return false;
	if (a->atyp == SX_ATYP_IPV4)
		return !memcmp(m->addr, a->u.v4, 4);
	memcpy(x, m->addr, 16);
	memcpy(y, a->u.v6, 16);
	return x[0] == y[0] && x[1] == y[1];
}

/* What matching rule i says (direct: the kind a direct rule gives). */
static enum sx_route_kind rule_kind(const struct sx_runtime *r, int i,
				    enum sx_route_kind direct, int *set)
{
	if (r->conf.rules[i].target == SX_TARGET_DIRECT)
		return direct;
	if (r->conf.rules[i].target == SX_TARGET_BLOCK)
		return SX_ROUTE_BLOCK;
	*set = r->conf.rules[i].target;
	return SX_ROUTE_PROXY;
}

static enum sx_route_kind route_unmapped(const struct sx_runtime *r,
					 const struct sockaddr *sa,
					 uint16_t port, int proto, int *set,
					 int *rule)
{
	/* A connection to a proxy itself never goes through a proxy. */
	if (is_a_proxy(r, sa))
		return SX_ROUTE_DIRECT;
	if (r->conf.nrules)
		*rule = sx_conf_route_match(&r->conf, NULL, sa, port, proto);
	if (*rule >= 0)
		return rule_kind(r, *rule, SX_ROUTE_DIRECT, set);
	return sx_conf_is_direct(&r->conf, sa) ? SX_ROUTE_DIRECT :
						  SX_ROUTE_PROXY;
}

enum sx_route_kind sx_route_choose(const struct sx_runtime *r,
				   const struct sockaddr *sa, int proto,
				   struct sx_route_choice *ch)
{
	struct route_memo *m = &route_last;
	struct sx_addr a;
	int family;
	const void *ip;

	ch->set = 0;
	ch->rule = -1;
	ch->mapped = false;
	ch->kind = SX_ROUTE_DIRECT;
	if (sx_addr_from_sockaddr(&a, sa) < 0)
		return ch->kind;
	family = a.atyp == SX_ATYP_IPV4 ? AF_INET : AF_INET6;
	ip = a.atyp == SX_ATYP_IPV4 ? (const void *)a.u.v4 : (const void *)a.u.v6;
	/* with local DNS too: .onion names are mapped */
	if (sx_names_in_range(&r->conf, family, ip) &&
	    sx_names_lookup(family, ip, ch->name, sizeof(ch->name))) {
		ch->mapped = true;
		if (r->conf.nrules && ch->name[0])
			ch->rule = sx_conf_route_match(&r->conf, ch->name, NULL,
						       a.port, proto);
		/* The default route: a mapped address always goes to the
		 * proxy, whatever its range. */
		ch->kind = ch->rule >= 0 ? rule_kind(r, ch->rule,
						     SX_ROUTE_DIRECT_NAME,
						     &ch->set) : SX_ROUTE_PROXY;
		return ch->kind;
	}
	if (r == &rt && route_memo_hit(m, proto, sa->sa_family, &a)) {
		ch->set = m->set;
		ch->rule = m->rule;
		return ch->kind = m->kind;
	}
	ch->kind = route_unmapped(r, sa, a.port, proto, &ch->set, &ch->rule);
	if (r == &rt) {
		m->ok = true;
		m->proto = proto;
		m->family = sa->sa_family;
		m->atyp = a.atyp;
		m->port = a.port;
		memcpy(m->addr, ip, family == AF_INET ? 4 : 16);
		m->kind = ch->kind;
		m->set = ch->set;
		m->rule = ch->rule;
	}
	return ch->kind;
}

enum sx_route_kind sx_route_decide(const struct sx_runtime *r,
				   const struct sockaddr *sa, int proto,
				   int *set, int *rule)
{
	struct sx_route_choice ch;

	sx_route_choose(r, sa, proto, &ch);
	if (set)
		*set = ch.set;
	if (rule)
		*rule = ch.rule;
	return ch.kind;
}

bool sx_udp_blocked(const struct sx_runtime *r, const struct sockaddr *sa)
{
	char text[300], rule[400];
	int i;

	if (sx_route_decide(r, sa, IPPROTO_UDP, NULL, &i) != SX_ROUTE_BLOCK)
		return false;
	sx_guard++;
	sx_conf_rule_text(&r->conf, (size_t)i, rule, sizeof(rule));
	sx_log(SX_LOG_ERROR, "UDP %s: blocked by rule %d '%s'",
	       sx_sockaddr_str(sa, text, sizeof(text)), i + 1, rule);
	sx_guard--;
	errno = EACCES;
	return true;
}

const char *sx_udp_unsupported(const struct sx_conf *c)
{
	return c->proxy.type == SX_PROXY_HTTP ? "an HTTP proxy cannot carry UDP" :
						"a SOCKS 4 proxy cannot carry UDP";
}

bool sx_route_proxied(const struct sx_runtime *r, const struct sockaddr *sa)
{
	return sx_route_decide(r, sa, IPPROTO_UDP, NULL, NULL) !=
	       SX_ROUTE_DIRECT;
}
