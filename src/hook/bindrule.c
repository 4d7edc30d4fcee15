/*
 * bindrule.c - which bind() is a SOCKS BIND (config "bind", SOCKSIFY_BIND;
 * socksify.conf(5) says the same).
 *
 * For a TCP socket (AF_INET, AF_INET6) binding an address of its family:
 *   local                 never.
 *   auto (default), proxy:
 *     1. an address getsockname() reported for a socket connected through
 *        the proxy (the proxy's BND.ADDR: what an FTP client puts in PORT
 *        or EPRT) or for a BIND listener, any port (on loopback: port 0 or
 *        a port reported for a BIND listener; a local server keeps its
 *        fixed port): BIND now; the kernel never sees the bind (the
 *        address is the proxy's).
 *     2. loopback: local.
 *     3. proxy: BIND at listen().
 *     4. auto, in a process that has connected through the proxy: the
 *        wildcard or a local address on port 0, or on the port
 *        getsockname() reported for an earlier BIND listener (a program
 *        listening again on "its" port): BIND at listen().
 *     5. otherwise (a server on a fixed port): local.
 * The decision and its reason go into one debug line.
 *
 * The addresses reported are remembered per process, the last 16.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "socksify/client.h"
#include "socksify/runtime.h"
#include "bind_int.h"

#define NREPORTED 16

struct reported {
	struct sx_addr a;       /* port 0 for a connection's */
	bool listener;
};

static struct reported reported[NREPORTED];
static unsigned nreported, next_slot;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void prepare(void) { pthread_mutex_lock(&lock); }
static void release(void) { pthread_mutex_unlock(&lock); }
static void atfork_register(void) { pthread_atfork(prepare, release, release); }

static bool same_ip(const struct sx_addr *x, const struct sx_addr *y)
{
	if (x->atyp != y->atyp)
		return false;
	if (x->atyp == SX_ATYP_IPV4)
		return memcmp(x->u.v4, y->u.v4, 4) == 0;
	return memcmp(x->u.v6, y->u.v6, 16) == 0;
}

void sx_bind_reported(const struct sockaddr *sa, bool listener)
{
	struct sx_addr a;
	unsigned i;

	if (sx_addr_from_sockaddr(&a, sa) < 0)
		return;
	if (!listener)
		a.port = 0;
	pthread_once(&atfork_once, atfork_register);
	pthread_mutex_lock(&lock);
	for (i = 0; i < nreported; i++)
		if (reported[i].listener == listener && reported[i].a.port == a.port &&
		    same_ip(&reported[i].a, &a))
			break;
	if (i == nreported) {
		reported[next_slot].a = a;
		reported[next_slot].listener = listener;
		next_slot = (next_slot + 1) % NREPORTED;
		if (nreported < NREPORTED)
			nreported++;
	}
	pthread_mutex_unlock(&lock);
}

/* Rule 1 (by_port false: the address, any port) or the port of rule 4. */
static const char *was_reported(const struct sx_addr *a, bool by_port)
{
	const char *why = NULL;

	pthread_once(&atfork_once, atfork_register);
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < nreported && !why; i++) {
		const struct reported *r = &reported[i];

		if (by_port && r->listener && r->a.port == a->port)
			why = "the port getsockname() reported for an earlier "
			      "BIND listener";
		else if (!by_port && same_ip(&r->a, a))
			why = r->listener ? "the address getsockname() reported "
					    "for a BIND listener" :
			      "the address getsockname() reported for a "
			      "connection through the proxy";
	}
	pthread_mutex_unlock(&lock);
	return why;
}

static bool loopback(const struct sx_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	if (a->atyp == SX_ATYP_IPV4)
		return a->u.v4[0] == 127;
	return memcmp(a->u.v6, one, 16) == 0;
}

enum sx_bind_where sx_bind_rule(int fd, const struct sockaddr *sa,
				socklen_t len, int *family)
{
	const struct sx_conf *c = &sx_runtime()->conf;
	static const char *const what[] = {
		[SX_BIND_HERE] = "a local listener",
		[SX_BIND_AT_LISTEN] = "BIND at the proxy at listen()",
		[SX_BIND_NOW] = "BIND at the proxy now",
	};
	struct sockaddr_storage last;
	enum sx_bind_where w;
	struct sx_addr a;
	const char *why;
	socklen_t dl = sizeof(*family);
	bool proxied;
	char buf[INET6_ADDRSTRLEN + 16];

	if (c->bind == SX_BIND_LOCAL || !sa || len < sizeof(sa_family_t) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    len < (sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
		   sizeof(struct sockaddr_in6)) || !sx_is_tcp_inet(fd) ||
	    sx_real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, family, &dl) < 0 ||
	    *family != sa->sa_family || sx_addr_from_sockaddr(&a, sa) < 0)
		return SX_BIND_HERE;
	proxied = sx_last_destination(&last);
	if ((why = was_reported(&a, false)) &&
	    (!loopback(&a) || a.port == 0 || was_reported(&a, true)))
		w = SX_BIND_NOW;
	else if (loopback(&a))
		w = SX_BIND_HERE, why = "loopback";
	else if (c->bind == SX_BIND_PROXY)
		w = SX_BIND_AT_LISTEN, why = "bind proxy: any listener off loopback";
	else if (!proxied)
		w = SX_BIND_HERE, why = "no connection through the proxy yet";
	else if (a.port == 0)
		w = SX_BIND_AT_LISTEN, why = "an ephemeral port, after a "
					     "connection through the proxy";
	else if ((why = was_reported(&a, true)))
		w = SX_BIND_AT_LISTEN;
	else
		w = SX_BIND_HERE, why = "a fixed port";
	if (proxied || w != SX_BIND_HERE)
		sx_log(SX_LOG_DEBUG, "bind to %s: %s (%s)",
		       sx_sockaddr_str(sa, buf, sizeof(buf)), what[w], why);
	return w;
}
