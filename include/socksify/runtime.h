/*
 * runtime.h - what the hooks share above the registry: the lazily loaded
 * configuration and resolved proxies, address helpers, routing and remote
 * DNS.  It includes the layers below it, each its own header:
 *
 *   socksify/real.h      the real-symbol table and the re-entrancy guard
 *   socksify/log.h       logging
 *   socksify/registry.h  the registry of the sockets the library manages
 */
#ifndef SOCKSIFY_RUNTIME_H
#define SOCKSIFY_RUNTIME_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "socksify/conf.h"
#include "socksify/log.h"
#include "socksify/proto.h"
#include "socksify/real.h"
#include "socksify/registry.h"

/* The proxy as resolved at load time. */
struct sx_proxy_addr {
	struct sockaddr_storage v4, v6;   /* ss_family 0 when absent */
	socklen_t v4len, v6len;
	char text[300];                   /* "127.0.0.1:1080" for messages */
	int resolve_err;                  /* errno-like; 0 when resolved */
	char resolve_msg[400];
};

#define SX_ROUTE_TEXT 1100   /* "10.0.0.1:1080 -> 10.0.0.2:1080" */

/* Route sets: 0 is the proxy line with its fallbacks, n the named route
 * conf.named[n - 1] ("route NAME = URL ..."). */
#define SX_ROUTE_SETS (1 + SX_CONF_MAX_NAMED)

struct sx_runtime {
	struct sx_conf conf;
	struct sx_proxy_addr proxy;     /* = hops[0][0][last]: the primary exit */
	/* Every hop of every route of every set, resolved at load time. */
	struct sx_proxy_addr hops[SX_ROUTE_SETS][SX_CONF_MAX_ROUTES][SX_CONF_MAX_HOPS];
	char route_text[SX_ROUTE_SETS][SX_CONF_MAX_ROUTES][SX_ROUTE_TEXT];
};

/* The routes of set s (see above) and how many there are. */
static inline const struct sx_route *sx_route_set(const struct sx_conf *c,
						  int s, size_t *n)
{
	if (s > 0 && (size_t)s <= c->nnamed) {
		*n = c->named[s - 1].nroutes;
		return c->named[s - 1].routes;
	}
	*n = c->nroutes;
	return c->routes;
}

/*
 * Where a connection to sa (proto IPPROTO_TCP or IPPROTO_UDP) goes: the
 * route rules first (on the name when sa is a mapped address), then the
 * direct list.  *set: the route set when proxied; *rule: the rule that
 * decided it, -1 for the default route.  Either may be NULL.
 */
enum sx_route_kind {
	SX_ROUTE_DIRECT,
	SX_ROUTE_PROXY,
	SX_ROUTE_BLOCK,
	SX_ROUTE_DIRECT_NAME,   /* direct, for a mapped address: the name is
				 * resolved here when connecting */
};
enum sx_route_kind sx_route_decide(const struct sx_runtime *rt,
				   const struct sockaddr *sa, int proto,
				   int *set, int *rule);
/* The same, with what the connection needs next: for a mapped address
 * (mapped) its name (empty when unknown here).  Asked once per connect,
 * by the hook, and handed down (sx_proxy_connect_chosen). */
struct sx_route_choice {
	enum sx_route_kind kind;
	int set, rule;
	bool mapped;
	char name[256];
};
enum sx_route_kind sx_route_choose(const struct sx_runtime *rt,
				   const struct sockaddr *sa, int proto,
				   struct sx_route_choice *ch);

/* Resolve the proxy host once, keeping one IPv4 and one IPv6 address
 * (resolve_err and resolve_msg set when it cannot). */
void sx_proxy_resolve(struct sx_proxy_addr *pa, const struct sx_proxy *p);

/* The configuration and proxy address, loaded on first use. */
const struct sx_runtime *sx_runtime(void);

/* "1.2.3.4:80", "[2001:db8::1]:443"; "?" for other families. */
const char *sx_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len);
/* Fill a wire address from a sockaddr (a v4-mapped IPv6 becomes IPv4). */
int sx_addr_from_sockaddr(struct sx_addr *a, const struct sockaddr *sa);
/* A name address (ATYP 3) for name (at most 255 bytes) and port (network
 * order), as the proxy is asked for a mapped address's name. */
void sx_addr_set_name(struct sx_addr *a, const char *name, uint16_t port);
/* And back, in family (an IPv4 address in an AF_INET6 socket becomes
 * v4-mapped).  -1 for a name or an unspecified (all-zero) address. */
int sx_addr_to_sockaddr(const struct sx_addr *a, int family,
			struct sockaddr_storage *out, socklen_t *len);
/* Is this the proxy's own address? */
bool sx_is_proxy_addr(const struct sx_proxy_addr *p, const struct sockaddr *sa);

/*
 * Connect the program's socket fd to dst through the configured proxy.
 * Returns 0, or -1 with errno set and one log line written.
 */
int sx_proxy_connect(int fd, const struct sockaddr *dst, socklen_t dstlen);
/* The same with the route choice for dst and the socket's flags (F_GETFL)
 * known (the connect hook has asked both). */
int sx_proxy_connect_chosen(int fd, const struct sockaddr *dst,
			    socklen_t dstlen, const struct sx_route_choice *ch,
			    int flags);

/* UDP to sa that a route rule blocks: one log line, errno EACCES, true.
 * (Other UDP goes direct or through the proxy line's exit.) */
bool sx_udp_blocked(const struct sx_runtime *rt, const struct sockaddr *sa);

/* Why the primary exit cannot carry UDP: "a SOCKS 4 proxy cannot carry
 * UDP" or "an HTTP proxy cannot carry UDP". */
const char *sx_udp_unsupported(const struct sx_conf *c);

/* Should UDP to this address go through the proxy? (sx_route_decide for
 * UDP: not direct) */
bool sx_route_proxied(const struct sx_runtime *rt, const struct sockaddr *sa);

/*
 * Remote DNS (src/core/names.c).
 *
 * sx_names_should_map: does a lookup of this name get a mapped address?
 * (Remote DNS is on, and the name is not numeric, not localhost, not in
 * /etc/hosts when that is local, and not below a direct domain.)
 */
bool sx_names_should_map(const char *name);
/* The mapped address of name in family (AF_INET or AF_INET6): 0, or an
 * EAI_* error. */
int sx_names_map(const char *name, int family, void *addr);
/* Is addr (family AF_INET/AF_INET6) a mapped address?  If it is, copy its
 * name into buf (empty string if its name is unknown) and return true. */
bool sx_names_lookup(int family, const void *addr, char *buf, size_t len);
/* Is addr inside c's ranges of mapped addresses?  (The cheap first
 * question: no table, no lock.  Only an address inside may be mapped.) */
static inline bool sx_names_in_range(const struct sx_conf *c, int family,
				     const void *addr)
{
	const struct sx_net *n = family == AF_INET ? &c->dns_map_v4 :
				 family == AF_INET6 ? &c->dns_map_v6 : NULL;

	return n && n->family == family && sx_net_prefix_has(n, addr);
}

#endif
