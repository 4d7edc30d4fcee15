/*
 * udp.c - the UDP ASSOCIATE control connection.
 *
 * The control connection is a TCP socket the library opens itself, so it
 * must not collide with the program's descriptors: it is moved high
 * (F_DUPFD_CLOEXEC from the upper part of RLIMIT_NOFILE) and is
 * close-on-exec.  A program that closes every descriptor (closefrom)
 * closes it too; the association then dies and later sends say so.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "socksify/gssapi.h"
#include "socksify/udp.h"

static int fail(struct sx_failure *f, int err, const char *why)
{
	f->err = err;
	snprintf(f->why, sizeof(f->why), "%s", why);
	return -1;
}

/* Move fd out of the way of the program's low descriptors. */
static int move_high(int fd)
{
	struct rlimit rl;
	int base = 0, nfd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur > 64)
		base = (int)(rl.rlim_cur - rl.rlim_cur / 4);
	else if (rl.rlim_cur == RLIM_INFINITY)
		base = 4096;
	if (base <= fd)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, base);
	if (nfd < 0)
		return fd;      /* a low descriptor still works */
	sx_real.close(fd);
	return nfd;
}

static int sock_family(int fd)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return -1;
	return domain;
}

/* Bind an unbound socket to the wildcard address, so its port is known. */
static int ensure_bound(int fd, int family, struct sockaddr_storage *local,
			socklen_t *llen)
{
	*llen = sizeof(*local);
	if (getsockname(fd, (struct sockaddr *)local, llen) < 0)
		return -1;
	if ((family == AF_INET && ((struct sockaddr_in *)local)->sin_port) ||
	    (family == AF_INET6 && ((struct sockaddr_in6 *)local)->sin6_port))
		return 0;
	memset(local, 0, sizeof(*local));
	local->ss_family = (sa_family_t)family;
	*llen = family == AF_INET ? sizeof(struct sockaddr_in) :
				    sizeof(struct sockaddr_in6);
	if (bind(fd, (struct sockaddr *)local, *llen) < 0 && errno != EINVAL)
		return -1;      /* EINVAL: another thread bound it meanwhile */
	*llen = sizeof(*local);
	return getsockname(fd, (struct sockaddr *)local, llen);
}

/*
 * DST.ADDR of the request: where our datagrams will come from.  A
 * wildcard address is sent as the wildcard of the control connection's
 * family, with the port: the server then accepts any address it sees
 * (Dante, and RFC 1928: "If the client is not in possession of the
 * information at the time of the UDP ASSOCIATE, the client MUST use a
 * port number and address of all zeros").
 */
static void request_addr(const struct sockaddr_storage *local, int ctl_family,
			 struct sx_addr *dst)
{
	sx_addr_from_sockaddr(dst, (const struct sockaddr *)local);
	if ((dst->atyp == SX_ATYP_IPV4 && !memcmp(dst->u.v4, "\0\0\0\0", 4)) ||
	    (dst->atyp == SX_ATYP_IPV6 &&
	     IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)dst->u.v6))) {
		uint16_t port = dst->port;

		memset(dst, 0, sizeof(*dst));
		dst->atyp = ctl_family == AF_INET6 ? SX_ATYP_IPV6 : SX_ATYP_IPV4;
		dst->port = port;
	}
}

static int ctl_connect(int fd, const struct sockaddr *sa, socklen_t len,
		       int64_t deadline, struct sx_failure *f)
{
	socklen_t elen = sizeof(int);
	int err = 0;

	if (sx_real.connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		err = errno;
	else if (!(err = sx_io_wait(fd, POLLOUT, deadline)) &&
		 getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (!err)
		return 0;
	f->err = err;
	snprintf(f->why, sizeof(f->why), "cannot reach the proxy: %s",
		 err == ETIMEDOUT ? "connect timed out" : strerror(err));
	return -1;
}

/*
 * The relay from BND.ADDR/BND.PORT, in the UDP socket's family.  An
 * unspecified BND.ADDR (0.0.0.0, ::) means the proxy's own address.  An
 * IPv6 socket reaches an IPv4 relay through its v4-mapped address.
 */
static int relay_addr(int udpfd, int family, int ctl, const struct sx_addr *bnd,
		      struct sx_udp_relay *out, struct sx_failure *f)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer), olen = sizeof(int);
	struct sx_addr a = *bnd;
	struct sockaddr_in *in = (void *)&out->relay;
	struct sockaddr_in6 *in6 = (void *)&out->relay;
	int v6only = 0;

	if (a.atyp == SX_ATYP_NAME) {
		/* Only a numeric name can be used without a DNS query. */
		if (inet_pton(AF_INET, bnd->u.name, a.u.v4) == 1)
			a.atyp = SX_ATYP_IPV4;
		else if (inet_pton(AF_INET6, bnd->u.name, a.u.v6) == 1)
			a.atyp = SX_ATYP_IPV6;
		else
			return fail(f, EPROTO, "the proxy named its UDP relay by "
				    "a host name, which would need a DNS query");
	}
	if ((a.atyp == SX_ATYP_IPV4 && !memcmp(a.u.v4, "\0\0\0\0", 4)) ||
	    (a.atyp == SX_ATYP_IPV6 &&
	     IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)a.u.v6))) {
		uint16_t port = a.port;

		if (sx_real.getpeername(ctl, (struct sockaddr *)&peer, &plen) < 0 ||
		    sx_addr_from_sockaddr(&a, (struct sockaddr *)&peer) < 0)
			return fail(f, EPROTO, "cannot tell the proxy's address "
				    "for its UDP relay");
		a.port = port;
	}
	memset(&out->relay, 0, sizeof(out->relay));
	if (family == AF_INET) {
		if (a.atyp != SX_ATYP_IPV4)
			return fail(f, EAFNOSUPPORT, "the proxy's UDP relay is "
				    "IPv6 and this socket is IPv4");
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a.u.v4, 4);
		in->sin_port = htons(a.port);
		out->relaylen = sizeof(*in);
		return 0;
	}
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(a.port);
	out->relaylen = sizeof(*in6);
	if (a.atyp == SX_ATYP_IPV6) {
		memcpy(&in6->sin6_addr, a.u.v6, 16);
		return 0;
	}
	getsockopt(udpfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
	if (v6only)
		return fail(f, EAFNOSUPPORT, "the proxy's UDP relay is IPv4 "
			    "and this socket is IPv6-only");
	in6->sin6_addr.s6_addr[10] = 0xff;
	in6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&in6->sin6_addr.s6_addr[12], a.u.v4, 4);
	return 0;
}

static int associate(int udpfd, int family, int ctl, const struct sx_runtime *rt,
		     const struct sockaddr_storage *psa, socklen_t plen,
		     struct sx_udp_relay *out, struct sx_failure *f)
{
	const struct sx_conf *c = &rt->conf;
	struct sockaddr_storage local;
	socklen_t llen;
	struct sx_s5_reply reply;
	struct sx_proxy iso;
	struct sx_addr dst;
	int one = 1;

	if (ensure_bound(udpfd, family, &local, &llen) < 0)
		return fail(f, errno, "cannot bind the UDP socket");
	if (ctl_connect(ctl, (const struct sockaddr *)psa, plen,
			sx_now_ms() + c->connect_timeout_ms, f) < 0)
		return -1;
	setsockopt(ctl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	request_addr(&local, psa->ss_family, &dst);
	memset(&reply, 0, sizeof(reply));
	reply.rep = 0xff;
	if (sx_socks5_handshake(ctl, sx_isolate_hop(c, &c->proxy, &iso),
				SX_S5_CMD_UDP_ASSOCIATE, &dst,
				&reply, sx_now_ms() + c->handshake_timeout_ms,
				f) < 0) {
		out->rep = reply.rep;
		return -1;
	}
	out->rep = reply.rep;
	/* Right away: ctl must not keep carrying the context (gss_io.c). */
	if (c->proxy.gss.enabled && sx_gss_udp_take(ctl, &out->gss, f) < 0)
		return -1;
	return relay_addr(udpfd, family, ctl, &reply.bound, out, f);
}

int sx_udp_associate(int udpfd, const struct sx_runtime *rt,
		     struct sx_udp_relay *out, struct sx_failure *f)
{
	const struct sx_proxy_addr *pa = &rt->proxy;
	const struct sockaddr_storage *psa = pa->v4.ss_family ? &pa->v4 : &pa->v6;
	socklen_t plen = pa->v4.ss_family ? pa->v4len : pa->v6len;
	int family = sock_family(udpfd), ctl;

	out->ctl = -1;
	out->rep = 0xff;
	out->gss = NULL;
	if (family != AF_INET && family != AF_INET6)
		return fail(f, EAFNOSUPPORT, "not an IPv4 or IPv6 socket");
	ctl = socket(psa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		     IPPROTO_TCP);
	if (ctl < 0)
		return fail(f, errno, "cannot create the control connection");
	ctl = move_high(ctl);
	if (associate(udpfd, family, ctl, rt, psa, plen, out, f) < 0) {
		sx_gss_udp_unref(out->gss);
		out->gss = NULL;
		sx_real.close(ctl);
		return -1;
	}
	out->ctl = ctl;
	return 0;
}
