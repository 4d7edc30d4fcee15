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

/* Refuse the query?  Logs why.  whole: a ready-made query (res_send),
 * refused whenever remote DNS is on, and for a proxy-only name (.onion)
 * whatever the dns setting. */
static bool refuse_query(const char *call, const char *name, bool whole)
{
	bool r;
	int saved = errno;

	if (sx_guard)
		return false;
	sx_real_init();
	sx_guard++;
	if (whole)
		r = sx_conf_remote_dns(&sx_runtime()->conf) ||
		    sx_conf_name_is_proxy_only(&sx_runtime()->conf, name);
	else if (name)
		r = sx_names_should_map(name);
	else
		r = sx_conf_remote_dns(&sx_runtime()->conf);
	if (r)
		sx_log(SX_LOG_INFO, "%s(%s) refused: the proxy resolves names, "
		       "and a DNS query would leave the machine", call,
		       name && name[0] ? name : "...");
	sx_guard--;
	errno = r ? ECONNREFUSED : saved;
	if (r)
		h_errno = NO_RECOVERY;
	return r;
}

static bool refuse(const char *call, const char *name)
{
	return refuse_query(call, name, false);
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

/* A ready-made query: refused with remote DNS, or when its question is a
 * proxy-only name (.onion). */
static bool refuse_msg(const char *call, const unsigned char *msg, int len)
{
	char name[1025];

	if (!msg || len < 12 + 1 || (msg[4] == 0 && msg[5] == 0) ||
	    dn_expand(msg, msg + len, msg + 12, name, sizeof(name)) < 0)
		name[0] = '\0';
	return refuse_query(call, name, true);
}

SX_EXPORT int res_send(const unsigned char *msg, int msglen,
		       unsigned char *answer, int anslen)
{
	if (refuse_msg("res_send", msg, msglen))
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
	if (refuse_msg("res_nsend", msg, msglen))
		return -1;
	return sx_real.res_nsend(st, msg, msglen, answer, anslen);
}
ALIAS(res_nsend)
