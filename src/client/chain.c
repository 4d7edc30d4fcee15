/*
 * chain.c - routes of proxies: chains and failover.
 *
 * A route is one proxy or a chain: the program's socket is connected to
 * the first hop, each hop is asked to CONNECT to the next one (by the
 * address resolved at load time), and the last hop gets the real request
 * (CONNECT or BIND, with the name for remote DNS).  Each hop is
 * authenticated with its own method and credentials.
 *
 * Routes are tried in order (from the next one each time with
 * round_robin).  A route whose first hop cannot be reached, or one of
 * whose hops refuses us (authentication, ruleset, general failure, a
 * broken or silent handshake), is marked down for failover_downtime, for
 * every thread of the process, and the same socket goes on to the next
 * route.  A refusal that is about the destination (SOCKS 5 replies 3-6,
 * SOCKS 4 0x5B at the last hop) ends the connection: another proxy would
 * not reach it better.  Routes marked down are still tried, last, when
 * all the others fail: a mark is a hint, never a ban.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "socksify/client.h"
#include "socksify/runtime.h"

enum outcome {
	OUT_DEST,       /* the destination's fault: stop here */
	OUT_DOWN,       /* the route is down: mark it, try the next */
	OUT_SKIP,       /* this route cannot carry it: try the next */
	OUT_STATE,      /* the socket's own state refuses: stop, quietly */
};

static _Atomic int64_t down_until[SX_ROUTE_SETS][SX_CONF_MAX_ROUTES];
static atomic_uint rr_next;

void sx_sock_disconnect(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	sx_real.connect(fd, &sa, sizeof(sa));
}

/* Rewrite f->why as "A" + sep + "B: " + the old text (naming hops). */
static void why_prefix(struct sx_failure *f, const char *a, const char *sep,
		       const char *b)
{
	char old[sizeof(f->why)];
	int n;

	memcpy(old, f->why, sizeof(old));
	n = snprintf(f->why, sizeof(f->why), "%s%s%s: %s", a, sep, b, old);
	if (n >= (int)sizeof(f->why))   /* cut short: say so */
		memcpy(f->why + sizeof(f->why) - 4, "...", 4);
}

/* The order for this connection: routes that are up first (from the
 * next one with round_robin), then those marked down. */
static void route_order(struct sx_conn *c, const struct sx_conf *conf,
			int64_t now)
{
	size_t n, start = 0;

	sx_route_set(conf, c->set, &n);
	c->pos = 0;
	if (n == 1) {           /* one route: tried, down or not */
		c->order[0] = 0;
		c->norder = 1;
		return;
	}
	if (conf->round_robin && n > 1)
		start = atomic_fetch_add(&rr_next, 1) % n;
	c->norder = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			size_t r = (start + i) % n;
			bool down = atomic_load(&down_until[c->set][r]) > now;

			if (down == (pass == 1))
				c->order[c->norder++] = (int)r;
		}
	}
	c->pos = 0;
}

static void mark_down(const struct sx_conn *c)
{
	const struct sx_conf *conf = &sx_runtime()->conf;
	int64_t now = sx_now_ms(), was;
	size_t n;

	sx_route_set(conf, c->set, &n);
	if (conf->failover_downtime_ms <= 0 || n < 2)
		return;
	was = atomic_exchange(&down_until[c->set][c->route],
			      now + conf->failover_downtime_ms);
	if (was <= now)
		sx_log(SX_LOG_ERROR, "route via %s is down (%s); skipping it "
		       "for %d.%03d s", c->via, c->f.why,
		       conf->failover_downtime_ms / 1000,
		       conf->failover_downtime_ms % 1000);
}

/* "via A: why" for the first route, "; next route B: why" after. */
static void note_failure(struct sx_conn *c)
{
	size_t used = strnlen(c->trail, sizeof(c->trail));

	if (used + 1 >= sizeof(c->trail))
		return;
	snprintf(c->trail + used, sizeof(c->trail) - used, "%s %s: %s",
		 c->tried ? "; next route" : "via", c->via, c->f.why);
	c->tried = true;
}

/* The proxy's address in the socket's own family. */
static int proxy_sockaddr(int fd, int family, const struct sx_proxy_addr *pa,
			  struct sockaddr_storage *out, socklen_t *len,
			  struct sx_failure *f)
{
	const struct sockaddr_in *v4 = (const void *)&pa->v4;
	struct sockaddr_in6 *m = (void *)out;
	int v6only = 0;
	socklen_t olen = sizeof(v6only);

	if (family == AF_INET) {
		if (!pa->v4.ss_family) {
			f->err = EAFNOSUPPORT;
			snprintf(f->why, sizeof(f->why), "the proxy has no "
				 "IPv4 address for this IPv4 socket");
			return -1;
		}
		memcpy(out, &pa->v4, pa->v4len);
		*len = pa->v4len;
		return 0;
	}
	if (pa->v6.ss_family) {
		memcpy(out, &pa->v6, pa->v6len);
		*len = pa->v6len;
		return 0;
	}
	/* An IPv6 socket reaches an IPv4 proxy through a v4-mapped address. */
	sx_real.getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
	if (v6only) {
		f->err = EAFNOSUPPORT;
		snprintf(f->why, sizeof(f->why), "the proxy has only an IPv4 "
			 "address and this socket is IPv6-only");
		return -1;
	}
	memset(m, 0, sizeof(*m));
	m->sin6_family = AF_INET6;
	m->sin6_port = v4->sin_port;
	m->sin6_addr.s6_addr[10] = 0xff;
	m->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&m->sin6_addr.s6_addr[12], &v4->sin_addr, 4);
	*len = sizeof(*m);
	return 0;
}

/* The route in use, and its hops as resolved. */
static const struct sx_route *cur_route(const struct sx_conn *c,
					const struct sx_runtime *rt)
{
	size_t n;

	return &sx_route_set(&rt->conf, c->set, &n)[c->route];
}

static const struct sx_proxy_addr *cur_hops(const struct sx_conn *c,
					    const struct sx_runtime *rt)
{
	return rt->hops[c->set][c->route];
}

/* Can the route be used at all (resolved, no GSS-API inside a chain)? */
static int route_usable(struct sx_conn *c, const struct sx_runtime *rt)
{
	const struct sx_route *route = cur_route(c, rt);
	const struct sx_proxy_addr *pa = cur_hops(c, rt);

	for (size_t h = 0; h < route->nhops; h++) {
		if (pa[h].resolve_err) {
			c->f.err = pa[h].resolve_err;
			snprintf(c->f.why, sizeof(c->f.why), "%s",
				 pa[h].resolve_msg);
			return -1;
		}
		/* A protected GSS-API stream would have to carry the next
		 * hop's handshake: not supported. */
		if (h + 1 < route->nhops && route->hops[h].gss.enabled) {
			c->f.err = EOPNOTSUPP;
			snprintf(c->f.why, sizeof(c->f.why), "GSS-API "
				 "authentication works with a single proxy, not "
				 "in a chain");
			return -1;
		}
	}
	return 0;
}

/* pipelining auto: what is known of the first hop, or a probe of it */
static void start_probe(struct sx_conn *c, const struct sx_runtime *rt)
{
	struct sx_proxy iso;

	sx_pipe_begin(c, sx_isolate(&rt->conf, &cur_route(c, rt)->hops[0],
				    &iso));
}

/* Start the route's TCP connect to its first hop (now: the time). */
static int start_route(struct sx_conn *c, int fd, const struct sx_runtime *rt,
		       int64_t now)
{
	const char *pre = cur_route(c, rt)->nhops > 1 ? ": " : "";

	if (route_usable(c, rt) < 0)
		return OUT_SKIP;
	if (proxy_sockaddr(fd, c->dst.ss_family, &cur_hops(c, rt)[0],
			   &c->psa, &c->plen, &c->f) < 0)
		return OUT_SKIP;
	c->connect_deadline = now + c->cto;
	c->in_progress = false;
	if (sx_real.connect(fd, (struct sockaddr *)&c->psa, c->plen) == 0)
		return 0;
	if (errno == EINPROGRESS) {
		c->in_progress = true;
		return 0;
	}
	/* Already connected (or listening), or connecting by itself: the
	 * kernel's answer to the program's own connect() too, whatever the
	 * address (it looks at the socket's state first).  Asked here, not
	 * by a getpeername() on every connect. */
	if (!c->tried && (errno == EISCONN || errno == EALREADY)) {
		c->f.err = errno;
		c->sock_state = true;
		return OUT_STATE;
	}
	c->f.err = errno;
	snprintf(c->f.why, sizeof(c->f.why), "%s%scannot reach the proxy: %s",
		 *pre ? cur_hops(c, rt)[0].text : "", pre, strerror(errno));
	return OUT_DOWN;
}

/* Start the next route in the order; -1 when none is left. */
static int start_next(struct sx_conn *c, int fd, const struct sx_runtime *rt,
		      int64_t now)
{
	while (c->pos < c->norder) {
		int out;

		c->route = c->order[c->pos++];
		c->via = rt->route_text[c->set][c->route];
		out = start_route(c, fd, rt, now);
		if (out == 0)
			return 0;
		if (out == OUT_STATE)
			return -1;
		if (out == OUT_DOWN)
			mark_down(c);
		note_failure(c);
		sx_sock_disconnect(fd);
		now = sx_now_ms();
	}
	return -1;
}

/*
 * A mapped name that a rule sends direct: resolved here, now, and the
 * socket connected to its first address in the socket's family.
 */
static int direct_start(struct sx_conn *c, int fd)
{
	struct addrinfo hints = { .ai_family = c->dst.ss_family,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_V4MAPPED };
	struct addrinfo *res = NULL;
	char port[8];
	int rc;

	c->via = "direct (by a route rule)";
	snprintf(port, sizeof(port), "%u", c->wire.port);
	rc = sx_real.getaddrinfo(c->wire.u.name, port, &hints, &res);
	if (rc != 0)
		return sx_fail(&c->f, EHOSTUNREACH, "a route rule sends it "
			       "direct, and its name does not resolve here: %s",
			       gai_strerror(rc));
	memcpy(&c->psa, res->ai_addr, res->ai_addrlen);
	c->plen = res->ai_addrlen;
	freeaddrinfo(res);
	c->connect_deadline = sx_now_ms() + c->cto;
	if (sx_real.connect(fd, (struct sockaddr *)&c->psa, c->plen) == 0)
		return 0;
	c->in_progress = errno == EINPROGRESS;
	if (c->in_progress)
		return 0;
	if (errno == EISCONN || errno == EALREADY) {    /* see start_route */
		c->f.err = errno;
		c->sock_state = true;
		return -1;
	}
	return sx_fail(&c->f, errno, "direct connection (by a route rule) "
		       "failed: %s", strerror(errno));
}

int sx_route_start(struct sx_conn *c, int fd)
{
	const struct sx_runtime *rt;
	int64_t now;

	if (c->direct)
		return direct_start(c, fd);
	rt = sx_runtime();
	now = sx_now_ms();
	route_order(c, &rt->conf, now);
	return start_next(c, fd, rt, now);
}

/*
 * The non-blocking TCP connect to the first hop, finished.  Once poll()
 * says it is done, connect() again answers as SO_ERROR would (0, or the
 * error, which it clears) and completes the socket's state as a blocking
 * connect would, so that the program's next connect() says EISCONN.
 */
static int wait_connected(struct sx_conn *c, int fd, const char *hop)
{
	int err;

	do {
		err = sx_wire_wait(fd, POLLOUT, c->connect_deadline);
		if (!err && sx_real.connect(fd, (struct sockaddr *)&c->psa,
					    c->plen) < 0)
			err = errno == EISCONN ? 0 : errno;
	} while (err == EALREADY || err == EINTR);      /* not done after all */
	if (!err)
		return 0;
	c->f.err = err;
	snprintf(c->f.why, sizeof(c->f.why), "%s%scannot reach the proxy: %s",
		 hop ? hop : "", hop ? ": " : "",
		 err == ETIMEDOUT ? "connect timed out" : strerror(err));
	return -1;
}

int sx_next_hop_addr(const struct sx_proxy_addr *next, const char *prev,
			 enum sx_proxy_type prev_type, struct sx_addr *out,
			 struct sx_failure *f)
{
	if (next->v4.ss_family)
		return sx_addr_from_sockaddr(out, (const void *)&next->v4);
	if (prev_type == SX_PROXY_SOCKS5 || prev_type == SX_PROXY_HTTP)
		return sx_addr_from_sockaddr(out, (const void *)&next->v6);
	f->err = EAFNOSUPPORT;
	snprintf(f->why, sizeof(f->why), "%s has no IPv4 address, which the "
		 "SOCKS 4 proxy %s needs", next->text, prev);
	return -1;
}

/*
 * One handshake with hop p.  *replied: the failure is the proxy's answer
 * to the request (SOCKS 5 REP in *rep; SOCKS 4: -1), not an earlier one.
 */
static int hop_handshake(struct sx_conn *c, const struct sx_conf *conf,
			 int fd, const struct sx_proxy *p,
			 bool bind, const struct sx_addr *dst,
			 struct sx_addr *bound, int64_t deadline,
			 struct sx_failure *f, bool *replied, int *rep)
{
	struct sx_s5_reply reply;
	struct sx_proxy iso;
	bool piped;
	int rc;

	*replied = false;
	*rep = -1;
	if (p->type == SX_PROXY_HTTP && bind)
		return sx_fail(f, EOPNOTSUPP, "an HTTP proxy cannot carry BIND "
			       "(listening sockets); use a SOCKS 5 proxy");
	if (p->type == SX_PROXY_HTTP) {
		rc = sx_http_handshake(fd, p, dst, deadline, f, rep);
		*replied = rc < 0 && *rep > 0;
		return rc;
	}
	p = sx_isolate(conf, p, &iso);
	/* pipelining auto: the first hop only (c), from what is known of it */
	piped = c && c->pipe_on && p->pipelining == SX_PIPE_AUTO;
	if (p->type == SX_PROXY_SOCKS5) {
		uint8_t s5cmd = bind ? SX_S5_CMD_BIND : SX_S5_CMD_CONNECT;

		reply.rep = 0xff;       /* no reply (the rest is read only on success) */
		rc = piped ? sx_socks5_handshake_piped(fd, p, s5cmd, dst, &reply,
						       deadline, f) :
			     sx_socks5_handshake(fd, p, s5cmd, dst, &reply,
						 deadline, f);
		if (rc < 0 && piped && f->stalled)
			sx_pipe_stalled(c, p, f);
		if (rc == 0 && bound)
			sx_addr_copy(bound, &reply.bound);
		if (rc < 0 && reply.rep != 0xff && reply.rep != 0 &&
		    f->err == sx_s5_rep_errno(reply.rep)) {
			*replied = true;
			*rep = reply.rep;
		}
		return rc;
	}
	rc = sx_socks4_handshake(fd, p, bind ? SX_S4_CMD_BIND :
				 SX_S4_CMD_CONNECT, dst, bound, deadline, f);
	/* io_fail() never gives these; only a reply (0x5B, 0x5C, 0x5D) does */
	*replied = rc < 0 && (f->err == ECONNREFUSED || f->err == EACCES);
	return rc;
}

/* What a failure at the last hop means for the route. */
static int exit_outcome(const struct sx_proxy *p, const struct sx_failure *f,
			bool replied, int rep)
{
	if (p->type == SX_PROXY_HTTP) {
		if (replied && (rep == 404 || rep == 502 || rep == 504))
			return OUT_DEST;
		return replied && (rep == 405 || rep == 501) ? OUT_SKIP :
							       OUT_DOWN;
	}
	if (p->type == SX_PROXY_SOCKS5) {
		if (replied && ((rep >= SX_S5_REP_NET_UNREACHABLE &&
				 rep <= SX_S5_REP_TTL_EXPIRED) ||
				sx_s5_rep_is_tor((uint8_t)rep)))
			return OUT_DEST;        /* Tor's: the onion service's */
		if (replied && (rep == SX_S5_REP_CMD_UNSUPPORTED ||
				rep == SX_S5_REP_ATYP_UNSUPPORTED))
			return OUT_SKIP;
		return OUT_DOWN;
	}
	if (f->err == ECONNREFUSED)     /* 0x5B: rejected or failed */
		return OUT_DEST;
	if (f->err == EAFNOSUPPORT || f->err == EINVAL)
		return OUT_SKIP;        /* cannot carry this destination */
	return OUT_DOWN;
}

/* Walk the chain of the route in use: 0, or -1 and *out. */
static int run_route(struct sx_conn *c, const struct sx_runtime *rt, int fd,
		     int *out)
{
	const struct sx_route *route = cur_route(c, rt);
	const struct sx_proxy_addr *pa = cur_hops(c, rt);
	size_t last = route->nhops - 1;
	struct sx_addr next;
	bool replied;
	int rep;

	*out = OUT_DOWN;
	if (c->in_progress &&
	    wait_connected(c, fd, last ? pa[0].text : NULL) < 0)
		return -1;
	/* the first hop is reachable: what auto knows of it, or a probe */
	start_probe(c, rt);
	sx_pipe_probe_send(c);
	for (size_t i = 0; i < last; i++) {
		if (sx_next_hop_addr(&pa[i + 1], pa[i].text, route->hops[i].type,
				  &next, &c->f) < 0) {
			*out = OUT_SKIP;
			return -1;
		}
		if (hop_handshake(i ? NULL : c, &rt->conf, fd, &route->hops[i],
				  false,
				  &next, NULL,
				  sx_now_ms() + c->hto, &c->f, &replied,
				  &rep) == 0)
			continue;
		if (replied)
			why_prefix(&c->f, pa[i + 1].text, " refused by ",
				   pa[i].text);
		else
			why_prefix(&c->f, pa[i].text, "", "");
		return -1;
	}
	if (hop_handshake(last ? NULL : c, &rt->conf, fd, &route->hops[last],
			  c->bind,
			  &c->wire, &c->bound, sx_now_ms() + c->hto, &c->f,
			  &replied, &rep) < 0) {
		*out = exit_outcome(&route->hops[last], &c->f, replied, rep);
		if (last)
			why_prefix(&c->f, pa[last].text, "", "");
		return -1;
	}
	c->exit = &pa[last];
	c->exit_type = route->hops[last].type;
	return 0;
}

int sx_route_finish(struct sx_conn *c, int workfd)
{
	const struct sx_runtime *rt = sx_runtime();
	int out;

	if (c->direct) {
		if (!c->in_progress || wait_connected(c, workfd, NULL) == 0)
			return 0;
		return sx_fail(&c->f, c->f.err, "direct connection (by a route "
			       "rule) failed: %s", strerror(c->f.err));
	}
	for (;;) {
		int rc = run_route(c, rt, workfd, &out);

		/* the probe beside it (pipelining auto), if any: done now */
		if (c->probe.sent || rc == 0)
			sx_pipe_probe_finish(c);
		sx_pipe_probe_drop(c);
		if (rc == 0)
			return 0;
		if (atomic_load(&c->abandoned))
			return -1;      /* not the route's fault */
		if (out == OUT_DOWN)
			mark_down(c);
		note_failure(c);
		if (out == OUT_DEST || c->pos >= c->norder)
			return -1;
		sx_sock_disconnect(workfd);
		if (start_next(c, workfd, rt, sx_now_ms()) < 0)
			return -1;
	}
}
