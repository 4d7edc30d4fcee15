/*
 * call.c - what the supervisor does with one intercepted system call, the
 * same under seccomp user notification and under ptrace.
 *
 *   connect, TCP, destination through the proxy: a worker takes the
 *       program's socket (pidfd_getfd), runs the library's handshake on it
 *       (src/client: routes, chains, failover, SOCKS 5/4/4a) and answers 0
 *       or the library's errno, with the library's log line.  A
 *       non-blocking socket gets the same answer once the handshake is
 *       done: 0, a connected socket, never EINPROGRESS (the program would
 *       otherwise write into the handshake).
 *   connect or send to port 53, remote DNS on: the socket is pointed at
 *       the supervisor's DNS answerer (dnsd.c); no query leaves.
 *   UDP to a destination through the proxy: the `udp` setting (refused by
 *       default, with a log line; `udp direct` lets it through).
 *   getpeername of a proxied socket: its destination (peers.c).
 *   sendto, sendmsg, sendmmsg with a destination: sendcall.c.
 *   everything else: the kernel runs the call unchanged.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "socksify/runtime.h"
#include "super.h"
#include "target.h"

void (*sx_call_done)(const struct sx_call *c, const struct sx_answer *a,
		     bool cont);
const char *sx_engine_name = "seccomp";

struct hjob {
	struct sx_call call;
	struct target t;
	uint8_t *data;                  /* TCP Fast Open: sent after the */
	size_t len;                     /* handshake, the answer its count */
};

static bool sa_fits(const struct sockaddr_storage *sa, socklen_t len)
{
	if (sa->ss_family == AF_INET)
		return len >= sizeof(struct sockaddr_in);
	return sa->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6);
}

static socklen_t sa_len(int family)
{
	return family == AF_INET ? sizeof(struct sockaddr_in) :
				   sizeof(struct sockaddr_in6);
}

unsigned sx_target_port(const struct sockaddr_storage *sa)
{
	return ntohs(sa->ss_family == AF_INET ?
		     ((const struct sockaddr_in *)sa)->sin_port :
		     ((const struct sockaddr_in6 *)sa)->sin6_port);
}

/*
 * Read the destination at addr and take the socket fd.  1: t is ready (an
 * AF_INET/AF_INET6 TCP or UDP socket, a destination in its family); 0: the
 * call is none of our business, or fails in the kernel the same way (a bad
 * pointer, a bad descriptor): let it through; -errno: the socket cannot be
 * looked at (the call is refused, never let through unseen).
 */
int sx_target_get(const struct sx_call *c, int fd, uint64_t addr,
		      uint64_t len, struct target *t)
{
	socklen_t ol = sizeof(int);
	int e;

	t->copy = -1;
	if (!addr || len < sizeof(sa_family_t))
		return 0;
	if (len > sizeof(t->dst))
		len = sizeof(t->dst);
	memset(&t->dst, 0, sizeof(t->dst));
	if (sx_mem_read(c->tid, addr, &t->dst, len) < 0 ||
	    !sa_fits(&t->dst, (socklen_t)len))
		return 0;
	t->dstlen = sa_len(t->dst.ss_family);
	/* The thread may have gone (and its number been reused) meanwhile. */
	if (c->still_valid && !c->still_valid(c))
		return 0;
	if ((t->copy = sx_mem_takefd(c->tid, fd)) < 0) {
		if ((e = errno) == EBADF)
			return 0;
		sx_log(SX_LOG_ERROR, "cannot take socket %d of thread %d to look "
		       "at its connection (%s engine): %s; refused", fd,
		       (int)c->tid, sx_engine_name, strerror(e));
		return -e;
	}
	if (sx_real.getsockopt(t->copy, SOL_SOCKET, SO_TYPE, &t->type, &ol) < 0 ||
	    sx_real.getsockopt(t->copy, SOL_SOCKET, SO_DOMAIN, &t->family,
		       &(socklen_t){ sizeof(int) }) < 0 ||
	    (t->family != AF_INET && t->family != AF_INET6) ||
	    t->family != t->dst.ss_family ||
	    (t->type != SOCK_STREAM && t->type != SOCK_DGRAM)) {
		sx_real.close(t->copy);
		t->copy = -1;
		return 0;
	}
	return 1;
}

/* target_get's answer as a verdict, when it is not 1. */
enum sx_verdict sx_target_not_ready(int r, struct sx_answer *a)
{
	if (r == 0)
		return SX_CONTINUE;
	a->ret = r;
	return SX_ANSWER;
}

enum sx_verdict sx_target_answer(struct sx_answer *a, struct target *t,
			      int64_t ret)
{
	if (t && t->copy >= 0)
		sx_real.close(t->copy);
	a->ret = ret;
	return SX_ANSWER;
}

enum sx_verdict sx_target_pass(struct target *t)
{
	if (t->copy >= 0)
		sx_real.close(t->copy);
	return SX_CONTINUE;
}

static bool is_mapped(const struct sockaddr_storage *sa)
{
	char name[256];
	const void *ip = sa->ss_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)sa)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	return sx_names_lookup(sa->ss_family, ip, name, sizeof(name));
}

bool sx_target_dns(const struct target *t)
{
	return sx_target_port(&t->dst) == 53 && sx_conf_remote_dns(&sx_runtime()->conf);
}

/* Is sa on a host of some proxy hop of some route set (the library's UDP
 * relay, under --strict, is the proxy's address with another port)? */
static bool proxy_host(const struct sockaddr_storage *sa)
{
	const struct sx_runtime *rt = sx_runtime();
	struct sockaddr_storage a = *sa;

	for (size_t s = 0; s <= rt->conf.nnamed && s < SX_ROUTE_SETS; s++) {
		size_t nr;
		const struct sx_route *routes = sx_route_set(&rt->conf, (int)s, &nr);

		for (size_t i = 0; i < nr; i++) {
			for (size_t h = 0; h < routes[i].nhops; h++) {
				const struct sx_proxy_addr *p = &rt->hops[s][i][h];
				const struct sockaddr_storage *ref =
					a.ss_family == AF_INET ? &p->v4 : &p->v6;

				if (!ref->ss_family)
					continue;
				if (a.ss_family == AF_INET)
					((struct sockaddr_in *)&a)->sin_port =
						((const struct sockaddr_in *)ref)->sin_port;
				else
					((struct sockaddr_in6 *)&a)->sin6_port =
						((const struct sockaddr_in6 *)ref)->sin6_port;
				if (sx_is_proxy_addr(p, (struct sockaddr *)&a))
					return true;
			}
		}
	}
	return false;
}

/* Connect our copy to the DNS answerer (the same socket: the program's
 * later send/recv talk to it).  0 or -errno. */
int64_t sx_target_dns_redirect(struct target *t)
{
	struct sockaddr_storage sa;
	socklen_t len;
	struct pollfd p = { .fd = t->copy, .events = POLLOUT };
	int err = 0;

	if (!sx_dnsd_addr(t->family, t->type, &sa, &len))
		return -ECONNREFUSED;
	if (sx_real.connect(t->copy, (struct sockaddr *)&sa, len) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		/* loopback: done at once, or within a moment */
		if (sx_real.poll(&p, 1, 2000) != 1)
			return -ETIMEDOUT;
		sx_real.getsockopt(t->copy, SOL_SOCKET, SO_ERROR, &err,
			   &(socklen_t){ sizeof(err) });
		if (err)
			return -err;
	}
	sx_peers_set(t->copy, (struct sockaddr *)&t->dst, t->dstlen);
	return 0;
}

/* Say it once per destination in a row (a program sending a stream of
 * datagrams gets one line, not one per datagram). */
static bool first_time(const char *text)
{
	static char last[300];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	bool r;

	pthread_mutex_lock(&lock);
	r = strcmp(last, text) != 0;
	snprintf(last, sizeof(last), "%s", text);
	pthread_mutex_unlock(&lock);
	return r;
}

/*
 * UDP that goes where it is sent: to a direct destination, to a proxy's
 * host (the library's UDP relay under --strict), or to port 53 with remote
 * DNS off (the program resolves locally, as libc's resolver does under the
 * library).
 */
bool sx_target_udp_passes(const struct target *t)
{
	return !sx_route_proxied(sx_runtime(), (const struct sockaddr *)&t->dst) ||
	       proxy_host(&t->dst) ||
	       (sx_target_port(&t->dst) == 53 && !sx_target_dns(t));
}

/* UDP to a destination through the proxy: the `udp` setting. */
enum sx_verdict sx_target_udp(struct target *t, struct sx_answer *a)
{
	const struct sx_runtime *rt = sx_runtime();
	char text[300];
	bool direct = rt->conf.udp == SX_UDP_DIRECT;

	/* a route rule's block: never sent, whatever `udp` says */
	if (sx_udp_blocked(rt, (const struct sockaddr *)&t->dst))
		return sx_target_answer(a, t, -EACCES);
	if (sx_target_udp_passes(t))
		return sx_target_pass(t);
	sx_sockaddr_str((struct sockaddr *)&t->dst, text, sizeof(text));
	if (direct && first_time(text))
		sx_log(SX_LOG_ERROR, "UDP %s sent directly (`udp direct`): the "
		       "%s engine does not carry UDP through the proxy", text,
		       sx_engine_name);
	else if (!direct && first_time(text))
		sx_log(SX_LOG_ERROR, "UDP %s via %s refused: the %s engine does "
		       "not carry UDP through the proxy (the `udp direct` setting "
		       "would send it directly)", text, rt->proxy.text,
		       sx_engine_name);
	return direct ? sx_target_pass(t) : sx_target_answer(a, t, -EOPNOTSUPP);
}

static void handshake_job(void *arg)
{
	struct hjob *j = arg;
	struct sx_answer a;
	struct sx_conn conn;
	int rc;

	rc = sx_conn_begin(&conn, j->t.copy, (struct sockaddr *)&j->t.dst,
			   j->t.dstlen);
	if (rc == 0)
		rc = sx_conn_finish(&conn, j->t.copy);
	if (rc == 0)
		sx_peers_set(j->t.copy, (struct sockaddr *)&j->t.dst,
			     j->t.dstlen);
	rc = sx_conn_report(&conn, rc);
	a.ret = rc == 0 ? 0 : -errno;
	if (rc == 0 && j->data) {
		ssize_t n = sx_real.send(j->t.copy, j->data, j->len, MSG_NOSIGNAL);

		a.ret = n < 0 ? -errno : n;
	}
	sx_real.close(j->t.copy);
	sx_call_done(&j->call, &a, false);
	free(j->data);
	free(j);
}

/* Queue the handshake for t (then send data, when not NULL). */
enum sx_verdict sx_target_handshake(const struct sx_call *c, struct target *t,
				       uint8_t *data, size_t len,
				       struct sx_answer *a)
{
	struct hjob *j = malloc(sizeof(*j));

	if (j) {
		j->call = *c;
		j->t = *t;
		j->data = data;
		j->len = len;
	}
	if (!j || sx_pool_submit(handshake_job, j) < 0) {
		free(j);
		free(data);
		return sx_target_answer(a, t, -ENOMEM);
	}
	return SX_QUEUED;
}

bool sx_target_connected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return sx_real.getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

bool sx_target_tcp_routed(const struct target *t)
{
	return sx_route_decide(sx_runtime(), (const struct sockaddr *)&t->dst,
			       IPPROTO_TCP, NULL, NULL) != SX_ROUTE_DIRECT;
}

static enum sx_verdict on_connect(const struct sx_call *c, struct sx_answer *a)
{
	struct target t;
	int r;

	if ((r = sx_target_get(c, (int)c->args[0], c->args[1], c->args[2], &t)) != 1)
		return sx_target_not_ready(r, a);
	if (t.type == SOCK_DGRAM) {
		if (sx_target_dns(&t))
			return sx_target_answer(a, &t, sx_target_dns_redirect(&t));
		/* getaddrinfo's address sorting connects UDP sockets to each
		 * candidate; a mapped address leads nowhere off this machine */
		if (is_mapped(&t.dst))
			return sx_target_pass(&t);
		return sx_target_udp(&t, a);
	}
	if (sx_target_connected(t.copy))
		return sx_target_pass(&t);        /* the kernel says EISCONN */
	if (sx_target_dns(&t))
		return sx_target_answer(a, &t, sx_target_dns_redirect(&t));
	if (!sx_target_tcp_routed(&t))
		return sx_target_pass(&t);
	return sx_target_handshake(c, &t, NULL, 0, a);
}

static enum sx_verdict on_getpeername(const struct sx_call *c,
				      struct sx_answer *a)
{
	struct sockaddr_storage dst;
	socklen_t len, have;
	int copy;
	bool ours;

	if (!c->args[1] || !c->args[2] ||
	    sx_mem_read(c->tid, c->args[2], &have, sizeof(have)) < 0)
		return SX_CONTINUE;
	if ((copy = sx_mem_takefd(c->tid, (int)c->args[0])) < 0)
		return SX_CONTINUE;
	ours = sx_peers_get(copy, &dst, &len);
	sx_real.close(copy);
	if (!ours)
		return SX_CONTINUE;
	if (sx_mem_write(c->tid, c->args[1], &dst, have < len ? have : len) < 0 ||
	    sx_mem_write(c->tid, c->args[2], &len, sizeof(len)) < 0)
		return sx_target_answer(a, NULL, -EFAULT);
	return sx_target_answer(a, NULL, 0);
}

enum sx_verdict sx_call_handle(const struct sx_call *c, struct sx_answer *a)
{
	int saved = errno;
	enum sx_verdict v = SX_CONTINUE;

	switch (c->nr) {
	case __NR_connect:
		v = on_connect(c, a);
		break;
	case __NR_sendto:
		v = sx_on_sendto(c, a);
		break;
	case __NR_sendmsg:
		v = sx_on_sendmsg(c, a);
		break;
	case __NR_sendmmsg:
		v = sx_on_sendmmsg(c, a);
		break;
	case __NR_getpeername:
		v = on_getpeername(c, a);
		break;
	}
	errno = saved;
	return v;
}
