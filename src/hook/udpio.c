/*
 * udpio.c - the association's set-up, and the send and receive paths of a
 * UDP socket that goes through the proxy.  See the design notes at the top
 * of udp.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "socksify/gssapi.h"
#include "socksify/udp.h"
#include "hook.h"
#include "udp_int.h"

#define IOV_STACK 64

/* ---- set-up and policy --------------------------------------------- */

struct up_arg {
	const struct sx_udp_relay *r;
	dev_t cdev;
	ino_t cino;
	bool taken;             /* out: the association took ctl and gss */
};

static void set_up(struct assoc *a, const void *arg)
{
	struct up_arg *u = (struct up_arg *)arg;

	u->taken = true;
	a->gss = u->r->gss;
	a->gss_prot = u->r->gss != NULL;
	a->state = AS_UP;
	a->ctl = u->r->ctl;
	a->cdev = u->cdev;
	a->cino = u->cino;
	a->relay = u->r->relay;
	a->relaylen = u->r->relaylen;
}

struct dead_arg {
	int err;
	bool was_up;            /* out: this call ended a working association */
	int ctl;                /* out: the control descriptor to close, or -1 */
	dev_t cdev;             /* out: what ctl must still be to be ours */
	ino_t cino;
	struct sx_gss_udp *gss; /* out: the association's reference */
};

static void set_dead(struct assoc *a, const void *arg)
{
	struct dead_arg *d = (struct dead_arg *)arg;

	d->was_up = a->state == AS_UP;
	d->ctl = a->ctl;
	d->cdev = a->cdev;
	d->cino = a->cino;
	d->gss = a->gss;
	a->gss = NULL;
	a->ctl = -1;
	a->state = AS_DEAD;
	a->err = d->err;
}

static void set_direct(struct assoc *a, const void *arg)
{
	(void)arg;
	a->state = AS_DIRECT;
}

/* Mark fd's association dead; true if this call is the one that did. */
static bool mark_dead(int fd, int err, bool close_ctl)
{
	struct dead_arg d = { .err = err, .was_up = false, .ctl = -1 };
	dev_t dev;
	ino_t ino;

	sx_udpi_update(fd, set_dead, &d);
	sx_gss_udp_unref(d.gss);
	/* The program may have closed ctl and got its number back since. */
	if (close_ctl && d.ctl >= 0 && sx_udpi_identity(d.ctl, &dev, &ino) == 0 &&
	    dev == d.cdev && ino == d.cino)
		sx_real.close(d.ctl);
	return d.was_up;
}

/*
 * The route cannot carry UDP (why): refuse, or go direct from now on.
 * Both say so in the log.  Returns 0 (direct) or an errno value.
 */
int sx_udpi_policy(int fd, const struct assoc *a, const char *why,
		   const char *dtext)
{
	const struct sx_runtime *rt = sx_runtime();

	if (rt->conf.udp == SX_UDP_REFUSE) {
		sx_log(SX_LOG_ERROR, "UDP %s via %s refused: %s (the `udp "
		       "direct` setting would send it directly)", dtext,
		       rt->proxy.text, why);
		mark_dead(fd, EOPNOTSUPP, true);
		return EOPNOTSUPP;
	}
	sx_log(SX_LOG_ERROR, "UDP %s: sending directly, not via %s: %s "
	       "(udp direct)", dtext, rt->proxy.text, why);
	if (a->connected) {
		struct sx_addr w;

		if (sx_udpi_dest_wire((const void *)&a->peer, &w) == 0 &&
		    w.atyp == SX_ATYP_NAME) {
			sx_log(SX_LOG_ERROR, "UDP %s: a remote-DNS name cannot "
			       "be reached directly", dtext);
			mark_dead(fd, EHOSTUNREACH, true);
			return EHOSTUNREACH;
		}
		if (sx_real.connect(fd, (const void *)&a->peer, a->peerlen) < 0) {
			int err = errno;

			mark_dead(fd, err, true);
			return err;
		}
	}
	sx_udpi_update(fd, set_direct, NULL);
	return 0;
}

static int setup(int fd, struct assoc *a, const char *dtext)
{
	const struct sx_runtime *rt = sx_runtime();
	struct sx_failure f = { .err = 0 };
	struct sx_udp_relay r;
	struct up_arg u = { .r = &r };
	const char *prot;
	char relay[128];

	if (rt->conf.error[0]) {
		sx_log(SX_LOG_ERROR, "UDP %s: not sending: the configuration is "
		       "broken (%s)", dtext, rt->conf.error);
		return ENETUNREACH;
	}
	if (rt->proxy.resolve_err) {
		sx_log(SX_LOG_ERROR, "UDP %s: %s", dtext, rt->proxy.resolve_msg);
		return rt->proxy.resolve_err;
	}
	/* UDP ASSOCIATE would reach the last hop directly, around the
	 * others: a chain does not carry UDP. */
	if (rt->conf.routes[0].nhops > 1)
		return sx_udpi_policy(fd, a, "a chain of proxies cannot carry "
				      "UDP", dtext);
	if (rt->conf.proxy.type != SX_PROXY_SOCKS5)
		return sx_udpi_policy(fd, a, sx_udp_unsupported(&rt->conf),
				      dtext);
	if (sx_udp_associate(fd, rt, &r, &f) < 0) {
		if (r.rep == SX_S5_REP_CMD_UNSUPPORTED)
			return sx_udpi_policy(fd, a, "the proxy does not support "
					      "UDP ASSOCIATE (SOCKS reply 7)",
					      dtext);
		sx_log(SX_LOG_ERROR, "UDP %s via %s: UDP ASSOCIATE failed: %s",
		       dtext, rt->proxy.text, f.why);
		return f.err ? f.err : ECONNREFUSED;
	}
	sx_udpi_identity(r.ctl, &u.cdev, &u.cino);
	prot = r.gss ? sx_gss_udp_level(r.gss) : NULL;  /* r.gss is not ours after */
	sx_udpi_update(fd, set_up, &u);
	if (!u.taken) {         /* closed meanwhile */
		sx_gss_udp_unref(r.gss);
		sx_real.close(r.ctl);
		return EBADF;
	}
	sx_log(SX_LOG_INFO, "UDP %s via %s: associated, relay %s%s%s", dtext,
	       rt->proxy.text, sx_sockaddr_str((void *)&r.relay, relay,
					       sizeof(relay)),
	       prot ? ", datagrams protected by GSS-API: " : "",
	       prot ? prot : "");
	return 0;
}

/* fd's association, set up on first use.  0 or an errno value. */
static int ensure_up(int fd, struct assoc *a, const struct sockaddr *dst)
{
	char dtext[300];
	int err = 0;

	if (a->state != AS_NONE)
		return 0;
	sx_sockaddr_str(dst, dtext, sizeof(dtext));
	sx_udpi_setup_lock();
	if (!sx_udpi_snapshot(fd, a))
		err = EBADF;
	else if (a->state == AS_NONE)
		err = setup(fd, a, dtext);
	if (!err && !sx_udpi_snapshot(fd, a))
		err = EBADF;
	sx_udpi_setup_unlock();
	return err;
}

/* Is the control connection still there?  No wait. */
static bool ctl_alive(const struct assoc *a)
{
	struct pollfd p = { .fd = a->ctl, .events = POLLIN | POLLRDHUP };
	dev_t dev;
	ino_t ino;
	char c;

	if (poll(&p, 1, 0) == 0)
		return true;
	if (p.revents & POLLNVAL)
		return false;
	if (sx_udpi_identity(a->ctl, &dev, &ino) < 0 || dev != a->cdev ||
	    ino != a->cino)
		return false;
	if (p.revents & (POLLHUP | POLLERR | POLLRDHUP))
		return false;
	/* The proxy should not speak here; whatever it sent is dropped. */
	return recv(a->ctl, &c, 1, MSG_DONTWAIT) != 0;
}

static void gss_hold(struct assoc *a, const void *arg)
{
	*(struct sx_gss_udp **)arg = sx_gss_udp_ref(a->gss);
}

/* A reference to fd's GSS-API datagram context, or NULL (none, or ended). */
static struct sx_gss_udp *hold_gss(int fd)
{
	struct sx_gss_udp *g = NULL;

	sx_udpi_update(fd, gss_hold, &g);
	return g;
}

/* ---- sending ---------------------------------------------------------- */

/* Header and data into buf (SX_UDP_SCRATCH bytes); -1 if too large. */
static ssize_t gather(uint8_t *buf, const uint8_t *hdr, size_t hl,
		      const struct msghdr *msg)
{
	size_t n = hl;

	memcpy(buf, hdr, hl);
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		size_t l = msg->msg_iov[i].iov_len;

		if (l > SX_UDP_SCRATCH - n)
			return -1;
		memcpy(buf + n, msg->msg_iov[i].iov_base, l);
		n += l;
	}
	return (ssize_t)n;
}

/* GSS-API: header and data wrapped into one 01 03 message (gss_udp.c). */
static ssize_t send_gss(int fd, const uint8_t *hdr, size_t hl,
			const struct msghdr *msg, struct msghdr *m, int flags)
{
	struct sx_gss_udp *g = hold_gss(fd);
	struct sx_gss_udp_dgram d;
	struct iovec iov[2];
	uint8_t *buf = sx_udpi_scratch();
	ssize_t n = -1, r;
	int err;

	if (!g)                 /* the association ended meanwhile */
		return errno = ECONNRESET, -1;
	if (!buf)
		err = ENOBUFS;
	else if ((n = gather(buf, hdr, hl, msg)) < 0)
		err = EMSGSIZE;
	else
		err = sx_gss_udp_wrap(g, buf, (size_t)n, &d);
	if (err == EMSGSIZE)
		sx_log(SX_LOG_DEBUG, "UDP socket %d: a datagram too large to "
		       "protect with GSS-API: EMSGSIZE", fd);
	if (!err) {
		iov[0].iov_base = d.hdr;
		iov[0].iov_len = sizeof(d.hdr);
		iov[1].iov_base = d.token.value;
		iov[1].iov_len = d.token.length;
		m->msg_iov = iov;
		m->msg_iovlen = 2;
		r = sx_real.sendmsg(fd, m, flags & ~MSG_FASTOPEN);
		err = r < 0 ? errno : 0;
		sx_gss_udp_done(g, &d);
	}
	sx_gss_udp_unref(g);
	if (err)
		return errno = err, -1;
	return n - (ssize_t)hl;
}

static ssize_t send_wrapped(int fd, const struct assoc *a,
			    const struct sx_addr *wire, const struct msghdr *msg,
			    int flags)
{
	uint8_t hdr[SX_UDP_HEADER_MAX], *buf;
	struct iovec iov[IOV_STACK + 1];
	struct msghdr m = *msg;
	ssize_t hl = sx_udp_header_encode(hdr, sizeof(hdr), 0, wire), r, n;

	if (hl < 0)
		return errno = EINVAL, -1;
	m.msg_name = (void *)&a->relay;
	m.msg_namelen = a->relaylen;
	m.msg_flags = 0;
	if (a->gss_prot)
		return send_gss(fd, hdr, (size_t)hl, msg, &m, flags);
	if (msg->msg_iovlen <= IOV_STACK) {
		iov[0].iov_base = hdr;
		iov[0].iov_len = (size_t)hl;
		memcpy(iov + 1, msg->msg_iov, msg->msg_iovlen * sizeof(*iov));
		m.msg_iov = iov;
		m.msg_iovlen = msg->msg_iovlen + 1;
	} else {
		/* Many pieces: gather into one buffer (a datagram is < 64 KiB). */
		if (!(buf = sx_udpi_scratch()))
			return errno = ENOBUFS, -1;
		if ((n = gather(buf, hdr, (size_t)hl, msg)) < 0)
			return errno = EMSGSIZE, -1;
		iov[0].iov_base = buf;
		iov[0].iov_len = (size_t)n;
		m.msg_iov = iov;
		m.msg_iovlen = 1;
	}
	r = sx_real.sendmsg(fd, &m, flags & ~MSG_FASTOPEN);
	if (r < 0)
		return -1;
	return r >= hl ? r - hl : 0;
}

static ssize_t send_via(int fd, struct assoc *a, const struct sockaddr *dst,
			const struct msghdr *msg, int flags)
{
	struct named nm;
	char text[300];
	int err;

	err = ensure_up(fd, a, dst);
	if (err)
		return errno = err, -1;
	if (a->state == AS_DIRECT)     /* a connected peer is the kernel's now */
		return sx_real.sendmsg(fd, msg, flags);
	if (a->state == AS_DEAD)
		return errno = a->err, -1;
	if (!ctl_alive(a)) {
		if (mark_dead(fd, ECONNRESET, true))
			sx_log(SX_LOG_ERROR, "UDP via %s: the control connection "
			       "of the association is gone (closed by the proxy "
			       "or by the program); sends on this socket fail "
			       "with ECONNRESET", sx_runtime()->proxy.text);
		return errno = ECONNRESET, -1;
	}
	err = sx_udpi_dest_wire(dst, &nm.wire);
	if (err) {
		sx_log(SX_LOG_ERROR, "UDP %s: a socksify mapped address whose "
		       "name is unknown here; not sending",
		       sx_sockaddr_str(dst, text, sizeof(text)));
		return errno = err, -1;
	}
	if (nm.wire.atyp == SX_ATYP_NAME) {
		nm.len = dst->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
						     sizeof(struct sockaddr_in6);
		memcpy(&nm.sa, dst, nm.len);
		sx_udpi_update(fd, sx_udpi_remember_name, &nm);
	}
	return send_wrapped(fd, a, &nm.wire, msg, flags);
}

ssize_t sx_udp_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	const struct sockaddr *dst = msg ? msg->msg_name : NULL;
	socklen_t dlen = msg ? msg->msg_namelen : 0;
	struct sockaddr_storage norm;
	struct assoc a;
	ssize_t r;
	int saved = errno, family = 0;
	socklen_t flen = sizeof(family);

	if (!msg || sx_guard)
		return sx_real.sendmsg(fd, msg, flags);
	if (!sx_udpi_snapshot(fd, &a)) {
		if (!dst || !sx_udp_wants_send(fd, dst, dlen) ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &flen) < 0)
			return sx_real.sendmsg(fd, msg, flags);
		if (!sx_udpi_create(fd, family) || !sx_udpi_snapshot(fd, &a))
			return errno = ENOMEM, -1;
		errno = saved;
	}
	if (a.state == AS_DIRECT)
		return sx_real.sendmsg(fd, msg, flags);
	if (!dst || !dlen) {
		if (a.kconnected)
			return sx_real.sendmsg(fd, msg, flags);
		if (!a.connected)
			return errno = EDESTADDRREQ, -1;
		dst = (const void *)&a.peer;
	} else if (!sx_udpi_normalize(a.family, dst, dlen, &norm, &dlen) ||
		   !sx_route_proxied(sx_runtime(), dst)) {
		return sx_real.sendmsg(fd, msg, flags);
	} else if (sx_udp_blocked(sx_runtime(), dst)) {
		return -1;
	} else {
		dst = (const struct sockaddr *)&norm;
	}
	SX_GUARD_SCOPE();
	errno = saved;
	r = send_via(fd, &a, dst, msg, flags);
	return r;
}

/* ---- receiving ------------------------------------------------------ */

static size_t iov_total(const struct iovec *iov, size_t n)
{
	size_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

static size_t copy_out(const struct iovec *iov, size_t n, const uint8_t *p,
		       size_t len)
{
	size_t done = 0;

	for (size_t i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len < len - done ? iov[i].iov_len :
							  len - done;

		memcpy(iov[i].iov_base, p + done, l);
		done += l;
	}
	return done;
}

/* What to do with a received datagram. */
struct verdict {
	bool keep;
	size_t hl;                          /* header to strip */
	struct sockaddr_storage from;       /* what the program sees */
	socklen_t fromlen;
};

static void judge(const struct assoc *a, const uint8_t *buf, size_t have,
		  const struct sockaddr_storage *src, socklen_t srclen,
		  struct verdict *v)
{
	struct sx_addr peer;
	uint8_t frag = 0;
	ssize_t hl;

	v->keep = false;
	v->hl = 0;
	if (!a->relaylen || !sx_udpi_same_endpoint((const void *)src,
						   (const void *)&a->relay)) {
		/* Not from the relay: only a direct source on an unconnected
		 * socket is the program's business. */
		if (a->connected || sx_route_proxied(sx_runtime(),
						     (const void *)src))
			return;
		v->keep = true;
		memcpy(&v->from, src, srclen);
		v->fromlen = srclen;
		return;
	}
	hl = sx_udp_header_parse(buf, have, &frag, &peer, NULL);
	if (hl <= 0 || frag != 0)
		return;
	if (!sx_udpi_peer_view(a, &peer, &v->from, &v->fromlen))
		return;
	if (a->connected && !sx_udpi_same_endpoint((const void *)&v->from,
						   (const void *)&a->peer))
		return;
	v->keep = true;
	v->hl = (size_t)hl;
}

/* After a dropped datagram: may we wait for the next one? */
static bool may_block(int fd, int flags)
{
	int fl;

	if (flags & MSG_DONTWAIT)
		return false;
	fl = fcntl(fd, F_GETFL);
	return fl >= 0 && !(fl & O_NONBLOCK);
}

/*
 * A datagram from the relay of a GSS-API association: its plaintext
 * replaces it (*n, *have).  false: drop it.  Others are judge()'s business.
 */
static bool unprotect(const struct assoc *a, struct sx_gss_udp *g, int fd,
		      int flags, uint8_t *buf, ssize_t *n, size_t *have,
		      const struct sockaddr_storage *src)
{
	ssize_t pl;

	if (!a->gss_prot || !a->relaylen ||
	    !sx_udpi_same_endpoint((const void *)src, (const void *)&a->relay))
		return true;
	if (!g || (size_t)*n > *have)   /* ended; or a token cut short */
		return false;
	pl = sx_gss_udp_unwrap(g, fd, buf, *have, SX_UDP_SCRATCH,
			       flags & MSG_PEEK);
	if (pl < 0)
		return false;
	*n = pl;
	*have = (size_t)pl;
	return true;
}

static ssize_t recv_loop(int fd, const struct assoc *a, struct sx_gss_udp *g,
			 struct msghdr *msg, int flags, uint8_t *buf)
{
	size_t want = iov_total(msg->msg_iov, msg->msg_iovlen), cap;
	struct sockaddr_storage src;
	struct iovec iov;
	struct msghdr m;
	struct verdict v;
	ssize_t n;

	/* A protected datagram is unwrapped whole, whatever the program reads. */
	cap = want > SX_UDP_SCRATCH - SX_UDP_HEADER_MAX || a->gss_prot ?
	      SX_UDP_SCRATCH : want + SX_UDP_HEADER_MAX;
	for (;;) {
		size_t have, payload;

		memset(&m, 0, sizeof(m));
		m.msg_name = &src;
		m.msg_namelen = sizeof(src);
		iov.iov_base = buf;
		iov.iov_len = cap;
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = msg->msg_control;
		m.msg_controllen = msg->msg_controllen;
		n = sx_real.recvmsg(fd, &m, flags | MSG_TRUNC);
		if (n < 0)
			return -1;
		have = (size_t)n < cap ? (size_t)n : cap;
		v.keep = false;         /* unprotect() said why */
		if (unprotect(a, g, fd, flags, buf, &n, &have, &src)) {
			judge(a, buf, have, &src, m.msg_namelen, &v);
			if (!v.keep)
				sx_log(SX_LOG_DEBUG, "UDP socket %d: dropped a "
				       "datagram (not from the relay, fragment, "
				       "or another peer)", fd);
		}
		if (!v.keep) {
			if (flags & MSG_PEEK)   /* take it off the queue */
				sx_real.recv(fd, buf, 1, MSG_DONTWAIT);
			if (!may_block(fd, flags))
				flags |= MSG_DONTWAIT;
			continue;
		}
		payload = (size_t)n - v.hl;
		have -= v.hl;
		have = copy_out(msg->msg_iov, msg->msg_iovlen, buf + v.hl, have);
		if (msg->msg_name) {
			memcpy(msg->msg_name, &v.from, v.fromlen < msg->msg_namelen ?
			       v.fromlen : msg->msg_namelen);
			msg->msg_namelen = v.fromlen;
		}
		msg->msg_controllen = m.msg_controllen;
		msg->msg_flags = (m.msg_flags & ~MSG_TRUNC) |
				 (payload > want ? MSG_TRUNC : 0);
		return (ssize_t)((flags & MSG_TRUNC) ? payload : have);
	}
}

ssize_t sx_udp_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct sx_gss_udp *g = NULL;
	struct assoc a;
	uint8_t *buf;
	ssize_t r;
	int saved;

	if (sx_guard || (flags & MSG_ERRQUEUE) || !sx_udpi_snapshot(fd, &a) ||
	    a.state == AS_DIRECT || a.kconnected)
		return sx_real.recvmsg(fd, msg, flags);
	if (!(buf = sx_udpi_scratch()))
		return errno = ENOBUFS, -1;
	SX_GUARD_SCOPE();
	if (a.gss_prot)
		g = hold_gss(fd);
	r = recv_loop(fd, &a, g, msg, flags, buf);
	saved = errno;
	sx_gss_udp_unref(g);
	errno = saved;
	return r;
}
