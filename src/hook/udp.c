/*
 * udp.c - UDP through the proxy (UDP ASSOCIATE, RFC 1928 section 7).
 *
 * Design
 *   - A UDP socket (AF_INET or AF_INET6) gets an association on its first
 *     send to a destination that routes through a SOCKS 5 proxy.  From then
 *     on SX_FD_UDP is set in its descriptor flags, and the data calls
 *     (src/hook/io.c, send.c) come here; every other descriptor pays one
 *     load.  The state lives in a table by descriptor, under a lock
 *     (udpstate.c); a socket shared by dup() shares one refcounted
 *     association, and the last descriptor closed (close, dup2/dup3 over
 *     it) closes the control connection.  exit() closes it through the
 *     kernel.  Set-up, send and receive: udpio.c; here: addresses and
 *     connect().
 *   - The program's own socket carries the datagrams, to and from the
 *     relay, and is never connected by us: connect() to a proxied peer
 *     only records the peer (and binds the socket, as a real connect
 *     would), so one socket can still send to several destinations and
 *     the relay's replies reach it.  poll/epoll readiness therefore work
 *     unhooked.  We filter instead of the kernel: a datagram that does not
 *     come from the relay (unless its source is direct by the config and
 *     the socket is not connected), has FRAG != 0, a bad header, or (on a
 *     connected socket) another peer, is dropped.  A blocking receive then
 *     waits for the next one; a non-blocking one returns EAGAIN.
 *   - Outgoing: header + the program's iovecs in one sendmsg to the relay
 *     (no copy).  Incoming: one recvmsg into a per-thread buffer, then
 *     the payload is copied out, so MSG_PEEK and MSG_TRUNC report the
 *     payload's length, and recvfrom/recvmsg report the real peer.
 *   - Remote DNS: a mapped destination goes out as ATYP 3 (its name).  A
 *     reply naming it, or naming an address with the same port when the
 *     socket is connected to it or recently sent to that name, is reported
 *     as the mapped address the program used.
 *   - The control connection is checked (poll, no wait) before each send.
 *     If it died (the proxy closed it, or the program closed its
 *     descriptor, e.g. closefrom()), the association is over: this and
 *     later sends fail with ECONNRESET, after one log line.
 *   - GSS-API at level integrity or confidentiality (RFC 1961): each
 *     datagram to and from the relay, header and data, is one gss_wrap'ed
 *     01 03 message, with the control connection's context, which the
 *     association keeps until it ends (src/client/gss_udp.c).  One too large
 *     to wrap fails with EMSGSIZE; one from the relay that does not unwrap,
 *     or a replay, is dropped.
 *   - A route that cannot carry UDP (SOCKS 4 proxy, reply 0x07): the
 *     `udp` policy.  refuse (default): sends (and connect()) fail with
 *     EOPNOTSUPP and a log line; direct: the socket is used directly from
 *     then on, with a log line.  Never silently.
 *   - Other errors: the association cannot be set up -> the handshake's
 *     errno (ECONNREFUSED, EACCES, ETIMEDOUT...) with a log line, and the
 *     next send tries again; send()/write() on a socket with no peer ->
 *     EDESTADDRREQ; a mapped address whose name is unknown -> EHOSTUNREACH.
 *   - An IPv4 destination on an IPv6 socket is handled as its v4-mapped
 *     address (the kernel would send it over IPv4); the relay of an IPv6
 *     socket may be IPv4 (v4-mapped).
 *   - The association starts on the first send; connect() only records
 *     the peer (a SOCKS 4 proxy is refused, or made direct, at once).
 *   - Limits: MSG_MORE / UDP_CORK would put a header on each piece;
 *     FIONREAD counts the header; UDP-Lite and ICMP datagram sockets are
 *     not carried (they are not IPPROTO_UDP); calls glibc makes internally
 *     (its own resolver) cannot be hooked.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "socksify/udp.h"
#include "hook.h"
#include "udp_int.h"

/* ---- addresses ------------------------------------------------------ */

bool sx_udpi_same_endpoint(const struct sockaddr *x, const struct sockaddr *y)
{
	struct sx_addr a, b;

	if (sx_addr_from_sockaddr(&a, x) || sx_addr_from_sockaddr(&b, y))
		return false;
	if (a.atyp != b.atyp || a.port != b.port)
		return false;
	return memcmp(a.u.v6, b.u.v6, a.atyp == SX_ATYP_IPV4 ? 4 : 16) == 0;
}

static int sock_type_family(int fd, int *family)
{
	int type = 0, proto = 0;
	socklen_t len = sizeof(int);

	/* SO_TYPE first: a TCP socket costs one call */
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_DGRAM)
		return -1;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, family, &len) < 0)
		return -1;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0 ||
	    proto != IPPROTO_UDP)
		return -1;
	return 0;
}

static bool inet_sa(const struct sockaddr *sa, socklen_t len)
{
	return sa && ((sa->sa_family == AF_INET &&
		       len >= sizeof(struct sockaddr_in)) ||
		      (sa->sa_family == AF_INET6 &&
		       len >= sizeof(struct sockaddr_in6)));
}

bool sx_udpi_normalize(int family, const struct sockaddr *sa, socklen_t len,
		       struct sockaddr_storage *out, socklen_t *olen)
{
	const struct sockaddr_in *in = (const void *)sa;
	struct sockaddr_in6 *m = (void *)out;

	if (!inet_sa(sa, len))
		return false;
	if (sa->sa_family == family) {
		*olen = family == AF_INET ? sizeof(struct sockaddr_in) :
					    sizeof(struct sockaddr_in6);
		memcpy(out, sa, *olen);
		return true;
	}
	if (family != AF_INET6)
		return false;
	/* IPv4 on an IPv6 socket: the kernel would send it over IPv4 */
	memset(m, 0, sizeof(*m));
	m->sin6_family = AF_INET6;
	m->sin6_port = in->sin_port;
	m->sin6_addr.s6_addr[10] = 0xff;
	m->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&m->sin6_addr.s6_addr[12], &in->sin_addr, 4);
	*olen = sizeof(*m);
	return true;
}

/* A proxied destination on a UDP socket of a family that can carry it. */
static bool wants(int fd, const struct sockaddr *sa, socklen_t len)
{
	int family = 0, saved = errno;
	bool r = false;

	if (sx_guard || !inet_sa(sa, len))
		return false;
	SX_GUARD_SCOPE();
	/* The socket's type first: for the TCP sockets of every connect()
	 * that costs one getsockopt, not a routing decision. */
	if (sock_type_family(fd, &family) == 0 &&
	    (family == sa->sa_family ||
	     (family == AF_INET6 && sa->sa_family == AF_INET)) &&
	    sx_route_proxied(sx_runtime(), sa))
		r = true;
	errno = saved;
	return r;
}

bool sx_udp_wants_send(int fd, const struct sockaddr *sa, socklen_t len)
{
	return wants(fd, sa, len);
}

bool sx_udp_wants_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (sx_guard || !sa)
		return false;
	if (sx_fd_flags(fd) & SX_FD_UDP)
		return true;    /* every connect on an associated socket */
	return wants(fd, sa, len);
}

/*
 * What goes on the wire for dst: its address, or for a mapped address
 * its name.  Returns 0, or an errno value for a mapped address whose name
 * is unknown here.
 */
int sx_udpi_dest_wire(const struct sockaddr *dst, struct sx_addr *wire)
{
	struct sx_addr a;
	char name[256];

	sx_addr_from_sockaddr(&a, dst);
	*wire = a;
	if (!sx_names_lookup(a.atyp == SX_ATYP_IPV4 ? AF_INET : AF_INET6,
			     a.u.v6, name, sizeof(name)))
		return 0;
	if (!name[0])
		return EHOSTUNREACH;
	sx_addr_set_name(wire, name, a.port);
	return 0;
}

/* The program's view of a wire address, in the socket's family. */
static bool to_sockaddr(const struct sx_addr *a, int family,
			struct sockaddr_storage *out, socklen_t *len)
{
	struct sockaddr_in *in = (void *)out;
	struct sockaddr_in6 *in6 = (void *)out;

	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		if (a->atyp != SX_ATYP_IPV4)
			return false;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->u.v4, 4);
		in->sin_port = htons(a->port);
		*len = sizeof(*in);
		return true;
	}
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(a->port);
	*len = sizeof(*in6);
	if (a->atyp == SX_ATYP_IPV6) {
		memcpy(&in6->sin6_addr, a->u.v6, 16);
	} else {
		in6->sin6_addr.s6_addr[10] = 0xff;
		in6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&in6->sin6_addr.s6_addr[12], a->u.v4, 4);
	}
	return true;
}

void sx_udpi_remember_name(struct assoc *a, const void *arg)
{
	const struct named *n = arg;

	for (unsigned i = 0; i < NNAMES; i++)
		if (a->names[i].len && a->names[i].wire.port == n->wire.port &&
		    !strcasecmp(a->names[i].wire.u.name, n->wire.u.name))
			return;
	a->names[a->nnext++ % NNAMES] = *n;
}

/*
 * The address the program should see for a datagram from src (as the
 * relay named it).  Names come back as the mapped address the program
 * sent to; an address with the port of the connected (mapped) peer, or
 * of a name sent to recently, is taken as that name's reply.
 */
bool sx_udpi_peer_view(const struct assoc *a, const struct sx_addr *src,
		      struct sockaddr_storage *out, socklen_t *len)
{
	const struct sockaddr *peer = (const void *)&a->peer;
	struct sx_addr pw;
	unsigned i;

	if (src->atyp == SX_ATYP_NAME) {
		for (i = 0; i < NNAMES; i++)
			if (a->names[i].len && a->names[i].wire.port == src->port &&
			    !strcasecmp(a->names[i].wire.u.name, src->u.name))
				break;
		if (i < NNAMES) {
			memcpy(out, &a->names[i].sa, a->names[i].len);
			*len = a->names[i].len;
			return true;
		}
		if (!sx_conf_remote_dns(&sx_runtime()->conf))
			return false;
		memset(out, 0, sizeof(*out));
		if (sx_names_map(src->u.name, a->family, a->family == AF_INET ?
				 (void *)&((struct sockaddr_in *)out)->sin_addr :
				 (void *)&((struct sockaddr_in6 *)out)->sin6_addr))
			return false;
		out->ss_family = (sa_family_t)a->family;
		((struct sockaddr_in *)out)->sin_port = htons(src->port);
		*len = a->family == AF_INET ? sizeof(struct sockaddr_in) :
					      sizeof(struct sockaddr_in6);
		return true;
	}
	if (a->connected && sx_udpi_dest_wire(peer, &pw) == 0 &&
	    pw.atyp == SX_ATYP_NAME && pw.port == src->port) {
		memcpy(out, &a->peer, a->peerlen);
		*len = a->peerlen;
		return true;
	}
	for (i = 0; !a->connected && i < NNAMES; i++) {
		unsigned k = (a->nnext + NNAMES - 1 - i) % NNAMES;

		if (a->names[k].len && a->names[k].wire.port == src->port) {
			memcpy(out, &a->names[k].sa, a->names[k].len);
			*len = a->names[k].len;
			return true;
		}
	}
	return to_sockaddr(src, a->family, out, len);
}

/* ---- connect() and getpeername() ------------------------------------- */

static void set_peer(struct assoc *a, const void *arg)
{
	const struct named *p = arg;

	a->connected = p->len != 0;
	a->kconnected = false;
	memcpy(&a->peer, &p->sa, p->len);
	a->peerlen = p->len;
}

static void set_kconnected(struct assoc *a, const void *arg)
{
	a->connected = false;
	a->kconnected = arg != NULL;
}

/* Bind an unbound socket to the wildcard address, as connect() would. */
static void bind_if_unbound(int fd, int family)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (family == AF_INET && ((struct sockaddr_in *)&ss)->sin_port) ||
	    (family == AF_INET6 && ((struct sockaddr_in6 *)&ss)->sin6_port))
		return;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	bind(fd, (struct sockaddr *)&ss, family == AF_INET ?
	     sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
}

/*
 * A connect the kernel does itself: AF_UNSPEC (disconnect) or a direct
 * peer, on an associated socket.
 */
static int kernel_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int r = sx_real.connect(fd, sa, len);
	int saved = errno;

	if (r == 0 || sa->sa_family == AF_UNSPEC)
		sx_udpi_update(fd, set_kconnected, sa->sa_family == AF_UNSPEC ||
			       r < 0 ? NULL : sa);
	errno = saved;
	return r;
}

int sx_udp_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct sx_runtime *rt = sx_runtime();
	struct sockaddr_storage norm, kpeer;
	socklen_t nlen, klen = sizeof(kpeer);
	struct named p = { .len = 0 };
	struct sx_addr wire;
	struct assoc snap;
	char text[300];
	int family = 0, err, saved = errno;
	bool have = sx_fd_flags(fd) & SX_FD_UDP;

	if (have && !sx_udpi_snapshot(fd, &snap))
		have = false;
	if (have && snap.state == AS_DIRECT)
		return sx_real.connect(fd, sa, len);
	if (!inet_sa(sa, len) || !sx_route_proxied(rt, sa) ||
	    sock_type_family(fd, &family) < 0 ||
	    !sx_udpi_normalize(family, sa, len, &norm, &nlen)) {
		if (have)
			return kernel_connect(fd, sa, len);
		return sx_real.connect(fd, sa, len);
	}
	if (sx_udp_blocked(rt, sa))
		return -1;
	sa = (const struct sockaddr *)&norm;
	SX_GUARD_SCOPE();
	sx_sockaddr_str(sa, text, sizeof(text));
	err = sx_udpi_dest_wire(sa, &wire);
	if (err) {
		sx_log(SX_LOG_ERROR, "UDP %s: a socksify mapped address whose "
		       "name is unknown here; not connecting", text);
		errno = err;
		return -1;
	}
	if (rt->conf.proxy.type != SX_PROXY_SOCKS5 &&
	    rt->conf.udp == SX_UDP_REFUSE) {
		sx_log(SX_LOG_ERROR, "UDP %s via %s refused: %s (the `udp "
		       "direct` setting would send it directly)", text,
		       rt->proxy.text, sx_udp_unsupported(&rt->conf));
		errno = EOPNOTSUPP;
		return -1;
	}
	if (!sx_udpi_create(fd, family)) {
		errno = ENOMEM;
		return -1;
	}
	/* The kernel socket stays unconnected: undo an earlier direct peer. */
	if (sx_real.getpeername(fd, (struct sockaddr *)&kpeer, &klen) == 0) {
		struct sockaddr un = { .sa_family = AF_UNSPEC };

		sx_real.connect(fd, &un, sizeof(un));
	}
	bind_if_unbound(fd, family);
	memcpy(&p.sa, sa, family == AF_INET ? sizeof(struct sockaddr_in) :
	       sizeof(struct sockaddr_in6));
	p.len = family == AF_INET ? sizeof(struct sockaddr_in) :
				    sizeof(struct sockaddr_in6);
	p.wire = wire;
	sx_udpi_update(fd, set_peer, &p);
	if (wire.atyp == SX_ATYP_NAME)
		sx_udpi_update(fd, sx_udpi_remember_name, &p);
	if (rt->conf.proxy.type != SX_PROXY_SOCKS5) {
		/* `udp direct`: say so and connect for real, now */
		err = sx_udpi_snapshot(fd, &snap) ? sx_udpi_policy(fd, &snap,
			sx_udp_unsupported(&rt->conf), text) : EBADF;
		errno = err ? err : saved;
		return err ? -1 : 0;
	}
	sx_log(SX_LOG_DEBUG, "UDP socket %d connected to %s (recorded; "
	       "datagrams go through the proxy)", fd, text);
	errno = saved;
	return 0;
}

bool sx_udp_get_peer(int fd, struct sockaddr_storage *out, socklen_t *len)
{
	struct assoc a;

	if (!sx_udpi_snapshot(fd, &a) || !a.connected)
		return false;
	memcpy(out, &a.peer, a.peerlen);
	*len = a.peerlen;
	return true;
}
