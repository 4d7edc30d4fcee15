/*
 * resolv.c - glibc's res_* calls, which build and send DNS queries
 * themselves.  With remote DNS on they would leak every name, so they
 * fail cleanly (h_errno NO_RECOVERY, errno ECONNREFUSED) for names that
 * are not local; res_send and res_nsend, which carry a ready-made query,
 * always fail then.  Each is exported under its plain name and the
 * __res_ name that <resolv.h> maps it to.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>

#include "socksify/runtime.h"

/* Refuse the query?  Logs why. */
static bool refuse(const char *call, const char *name)
{
	bool r;
	int saved = errno;

	if (sx_guard)
		return false;
	sx_real_init();
	SX_GUARD_SCOPE();
	if (name)
		r = sx_names_should_map(name);
	else
		r = sx_conf_remote_dns(&sx_runtime()->conf);
	if (r)
		sx_log(SX_LOG_INFO, "%s(%s) refused: the proxy resolves names, "
		       "and a DNS query would leave the machine", call,
		       name ? name : "...");
	errno = r ? ECONNREFUSED : saved;
	if (r)
		h_errno = NO_RECOVERY;
	return r;
}

/* "name.domain" for res_querydomain, or name alone */
static const char *joined(char *buf, size_t len, const char *name,
			  const char *domain)
{
	if (!domain || !*domain)
		return name;
	snprintf(buf, len, "%s.%s", name ? name : "", domain);
	return buf;
}

/* copy() (gcc 9+) carries the target's attributes; clang lacks it. */
#if defined(__has_attribute) && __has_attribute(copy)
#define SX_COPY(name) copy(name),
#else
#define SX_COPY(name)
#endif
#define ALIAS(name) \
	extern __typeof(name) __##name __attribute__((alias(#name), SX_COPY(name) \
						     visibility("default")));

SX_EXPORT int res_query(const char *dname, int class, int type,
			unsigned char *answer, int anslen)
{
	if (refuse("res_query", dname))
		return -1;
	return sx_real.res_query(dname, class, type, answer, anslen);
}
ALIAS(res_query)

SX_EXPORT int res_search(const char *dname, int class, int type,
			 unsigned char *answer, int anslen)
{
	if (refuse("res_search", dname))
		return -1;
	return sx_real.res_search(dname, class, type, answer, anslen);
}
ALIAS(res_search)

SX_EXPORT int res_querydomain(const char *name, const char *domain, int class,
			      int type, unsigned char *answer, int anslen)
{
	char buf[1100];

	if (refuse("res_querydomain", joined(buf, sizeof(buf), name, domain)))
		return -1;
	return sx_real.res_querydomain(name, domain, class, type, answer, anslen);
}
ALIAS(res_querydomain)

SX_EXPORT int res_send(const unsigned char *msg, int msglen,
		       unsigned char *answer, int anslen)
{
	if (refuse("res_send", NULL))
		return -1;
	return sx_real.res_send(msg, msglen, answer, anslen);
}
ALIAS(res_send)

SX_EXPORT int res_nquery(res_state st, const char *dname, int class, int type,
			 unsigned char *answer, int anslen)
{
	if (refuse("res_nquery", dname))
		return -1;
	return sx_real.res_nquery(st, dname, class, type, answer, anslen);
}
ALIAS(res_nquery)

SX_EXPORT int res_nsearch(res_state st, const char *dname, int class, int type,
			  unsigned char *answer, int anslen)
{
	if (refuse("res_nsearch", dname))
		return -1;
	return sx_real.res_nsearch(st, dname, class, type, answer, anslen);
}
ALIAS(res_nsearch)

SX_EXPORT int res_nquerydomain(res_state st, const char *name,
			       const char *domain, int class, int type,
			       unsigned char *answer, int anslen)
{
	char buf[1100];

	if (refuse("res_nquerydomain", joined(buf, sizeof(buf), name, domain)))
		return -1;
	return sx_real.res_nquerydomain(st, name, domain, class, type, answer,
					anslen);
}
ALIAS(res_nquerydomain)

SX_EXPORT int res_nsend(res_state st, const unsigned char *msg, int msglen,
			unsigned char *answer, int anslen)
{
	if (refuse("res_nsend", NULL))
		return -1;
	return sx_real.res_nsend(st, msg, msglen, answer, anslen);
}
ALIAS(res_nsend)
