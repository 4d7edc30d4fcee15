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
	for (size_t r = 0; r < rt.conf.nroutes; r++) {
		const struct sx_route *route = &rt.conf.routes[r];
		size_t used = 0;

		for (size_t h = 0; h < route->nhops; h++) {
			sx_proxy_resolve(&rt.hops[r][h], &route->hops[h]);
			used += (size_t)snprintf(rt.route_text[r] + used,
						 sizeof(rt.route_text[r]) - used,
						 "%s%s", h ? " -> " : "",
						 rt.hops[r][h].text);
			if (used >= sizeof(rt.route_text[r]))
				used = sizeof(rt.route_text[r]) - 1;
		}
	}
	rt.proxy = rt.hops[0][rt.conf.routes[0].nhops - 1];
}

static void runtime_load(void)
{
	int saved = errno;

	SX_GUARD_SCOPE();
	sx_real_init();
	sx_conf_load(&rt.conf);
	routes_resolve();
	errno = saved;
}

const struct sx_runtime *sx_runtime(void)
{
	static atomic_bool reported;

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

bool sx_route_proxied(const struct sx_runtime *r, const struct sockaddr *sa)
{
	struct sx_addr a;
	char name[256];

	/* A mapped address always goes to the proxy, whatever its range
	 * (with local DNS too: .onion names are mapped). */
	if (sx_addr_from_sockaddr(&a, sa) == 0 &&
	    sx_names_lookup(a.atyp == SX_ATYP_IPV4 ? AF_INET : AF_INET6,
			    a.atyp == SX_ATYP_IPV4 ? (void *)a.u.v4 : (void *)a.u.v6,
			    name, sizeof(name)))
		return true;
	if (sx_conf_is_direct(&r->conf, sa))
		return false;
	/* A connection to the proxy itself never goes through the proxy. */
	for (size_t i = 0; i < r->conf.nroutes; i++)
		for (size_t h = 0; h < r->conf.routes[i].nhops; h++)
			if (sx_is_proxy_addr(&r->hops[i][h], sa))
				return false;
	return true;
}
