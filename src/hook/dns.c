/*
 * dns.c - the resolver calls.  With remote DNS on, a name that should be
 * resolved by the proxy is answered here with a mapped address (see
 * src/core/names.c), and no query leaves the machine; the name goes to the
 * proxy when the program connects to that address.  Names under .onion
 * and each proxy_only_domain are answered so whatever the dns setting
 * (or refused with EAI_NONAME when no route can carry a name).
 * Everything else goes to libc's own resolver.
 *
 *   getaddrinfo (freeaddrinfo stays libc's: the results are libc's own),
 *   gethostbyname, gethostbyname2, gethostbyname_r, gethostbyname2_r,
 *   gethostbyaddr, gethostbyaddr_r, getnameinfo.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/runtime.h"

static bool want_map(const char *name)
{
	bool r;
	int saved = errno;

	if (sx_guard || !name)
		return false;
	sx_guard++;
	r = sx_names_should_map(name);
	sx_guard--;
	errno = saved;
	return r;
}

/* The mapped address of node in one family, as libc's own result list. */
static int map_ai(const char *node, const char *service,
		  const struct addrinfo *hints, int family, struct addrinfo **res)
{
	struct addrinfo h = *hints;
	unsigned char addr[16];
	char num[INET6_ADDRSTRLEN];
	int rc = sx_names_map(node, family, addr);

	if (rc)
		return rc;
	inet_ntop(family, addr, num, sizeof(num));
	h.ai_family = family;
	h.ai_flags = (hints->ai_flags & (AI_PASSIVE | AI_NUMERICSERV)) |
		     AI_NUMERICHOST;
	h.ai_addrlen = 0;
	h.ai_addr = NULL;
	h.ai_canonname = NULL;
	h.ai_next = NULL;
	sx_log(SX_LOG_DEBUG, "%s is %s here; the proxy resolves it", node, num);
	return sx_real.getaddrinfo(num, service, &h, res);
}

SX_EXPORT int getaddrinfo(const char *node, const char *service,
			  const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo h = { .ai_family = AF_UNSPEC }, *v6 = NULL, **tail;
	int rc;

	sx_real_init();
	if (hints)
		h = *hints;
	if ((h.ai_flags & AI_NUMERICHOST) ||
	    (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET &&
	     h.ai_family != AF_INET6) || !want_map(node))
		return sx_real.getaddrinfo(node, service, hints, res);

	/*
	 * IPv4 first.  For AF_UNSPEC the IPv6 address follows, as a dual-stack
	 * name would have: some programs ask for AF_UNSPEC and keep only the
	 * IPv6 results (curl -6).  libc's freeaddrinfo frees node by node, so
	 * two of its lists chained are still one list to it.
	 */
	sx_guard++;
	rc = map_ai(node, service, &h,
		    h.ai_family == AF_INET6 ? AF_INET6 : AF_INET, res);
	if (rc == 0 && h.ai_family == AF_UNSPEC &&
	    map_ai(node, service, &h, AF_INET6, &v6) == 0) {
		for (tail = res; *tail; tail = &(*tail)->ai_next)
			;
		*tail = v6;
	}
	if (rc == 0 && (h.ai_flags & AI_CANONNAME)) {
		free((*res)->ai_canonname);
		(*res)->ai_canonname = strdup(node);
	}
	sx_guard--;
	return rc;
}

/* ---- struct hostent -------------------------------------------------- */

/*
 * Lay out a hostent for (name, one address) in buf:
 * [addr pointers][alias pointer][address][name].
 */
static int hostent_fill(struct hostent *he, char *buf, size_t len,
			const char *name, int family, const void *addr)
{
	size_t alen = family == AF_INET6 ? 16 : 4, nlen = strlen(name) + 1;
	uintptr_t p = ((uintptr_t)buf + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	size_t pad = p - (uintptr_t)buf;
	char **list;

	if (len < pad + 3 * sizeof(char *) + alen + nlen)
		return ERANGE;
	list = (char **)p;
	list[0] = (char *)(list + 3);
	list[1] = NULL;
	list[2] = NULL;                  /* the (empty) alias list */
	memcpy(list[0], addr, alen);
	he->h_name = list[0] + alen;
	memcpy(he->h_name, name, nlen);
	he->h_aliases = &list[2];
	he->h_addrtype = family;
	he->h_length = (int)alen;
	he->h_addr_list = list;
	return 0;
}

/* For the non-reentrant calls: one result per thread. */
static __thread struct {
	struct hostent he;
	char buf[3 * sizeof(char *) + 16 + 256 + sizeof(char *)];
} tls_host;

static int map_hostent(const char *name, int af, struct hostent *he, char *buf,
		       size_t len, struct hostent **result, int *herr)
{
	unsigned char addr[16];
	int rc;

	*result = NULL;
	if (af != AF_INET && af != AF_INET6) {
		*herr = NO_RECOVERY;
		return EAFNOSUPPORT;
	}
	sx_guard++;
	rc = sx_names_map(name, af, addr);
	sx_guard--;
	if (rc != 0) {
		*herr = HOST_NOT_FOUND;
		return rc == EAI_MEMORY ? ENOMEM : ENOENT;
	}
	rc = hostent_fill(he, buf, len, name, af, addr);
	if (rc) {
		*herr = NETDB_INTERNAL;
		return rc;
	}
	*result = he;
	return 0;
}

SX_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret,
			       char *buf, size_t buflen,
			       struct hostent **result, int *h_errnop)
{
	sx_real_init();
	if (!want_map(name))
		return sx_real.gethostbyname2_r(name, af, ret, buf, buflen,
						result, h_errnop);
	return map_hostent(name, af, ret, buf, buflen, result, h_errnop);
}

SX_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf,
			      size_t buflen, struct hostent **result,
			      int *h_errnop)
{
	sx_real_init();
	if (!want_map(name))
		return sx_real.gethostbyname_r(name, ret, buf, buflen, result,
					       h_errnop);
	return map_hostent(name, AF_INET, ret, buf, buflen, result, h_errnop);
}

SX_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *res;
	int herr = 0;

	sx_real_init();
	if (!want_map(name))
		return sx_real.gethostbyname2(name, af);
	map_hostent(name, af, &tls_host.he, tls_host.buf, sizeof(tls_host.buf),
		    &res, &herr);
	if (!res)
		h_errno = herr;
	return res;
}

SX_EXPORT struct hostent *gethostbyname(const char *name)
{
	sx_real_init();
	if (!want_map(name))
		return sx_real.gethostbyname(name);
	return gethostbyname2(name, AF_INET);
}

/* ---- reverse: a mapped address gives back its name -------------------- */

static bool mapped_name(const void *addr, socklen_t len, int type, char *name,
			size_t nlen)
{
	bool r;
	int saved = errno;

	if (sx_guard || !addr || !((type == AF_INET && len == 4) ||
				   (type == AF_INET6 && len == 16)))
		return false;
	sx_guard++;
	r = sx_names_lookup(type, addr, name, nlen);
	sx_guard--;
	errno = saved;
	return r;
}

SX_EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int type,
			      struct hostent *ret, char *buf, size_t buflen,
			      struct hostent **result, int *h_errnop)
{
	char name[256];
	int rc;

	sx_real_init();
	if (!mapped_name(addr, len, type, name, sizeof(name)))
		return sx_real.gethostbyaddr_r(addr, len, type, ret, buf, buflen,
					       result, h_errnop);
	*result = NULL;
	if (!name[0]) {
		*h_errnop = HOST_NOT_FOUND;
		return ENOENT;
	}
	rc = hostent_fill(ret, buf, buflen, name, type, addr);
	if (rc) {
		*h_errnop = NETDB_INTERNAL;
		return rc;
	}
	*result = ret;
	return 0;
}

SX_EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len,
					int type)
{
	struct hostent *res = NULL;
	int herr = 0;

	sx_real_init();
	if (!mapped_name(addr, len, type, tls_host.buf, 1))
		return sx_real.gethostbyaddr(addr, len, type);
	gethostbyaddr_r(addr, len, type, &tls_host.he, tls_host.buf,
			sizeof(tls_host.buf), &res, &herr);
	if (!res)
		h_errno = herr;
	return res;
}

SX_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen,
			  char *host, socklen_t hostlen, char *serv,
			  socklen_t servlen, int flags)
{
	const void *addr = NULL;
	socklen_t alen = 0;
	char name[256];
	int rc = 0;

	sx_real_init();
	if (sa && sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		alen = 4;
	} else if (sa && sa->sa_family == AF_INET6 &&
		   salen >= sizeof(struct sockaddr_in6)) {
		addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		alen = 16;
	}
	if (!host || !hostlen || (flags & NI_NUMERICHOST) ||
	    !mapped_name(addr, alen, sa ? sa->sa_family : 0, name, sizeof(name)))
		return sx_real.getnameinfo(sa, salen, host, hostlen, serv,
					   servlen, flags);
	/* Never a reverse query for a mapped address. */
	if (!name[0]) {
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
		return sx_real.getnameinfo(sa, salen, host, hostlen, serv,
					   servlen, flags | NI_NUMERICHOST);
	}
	if (strlen(name) >= hostlen)
		return EAI_OVERFLOW;
	if (serv && servlen)
		rc = sx_real.getnameinfo(sa, salen, NULL, 0, serv, servlen, flags);
	if (rc == 0)
		strcpy(host, name);
	return rc;
}
