/*
 * dnsd.c - the DNS answerer of the seccomp and ptrace engines.  A program
 * with its own resolver (Go, static glibc, busybox, dig) that sends a query
 * to port 53 while remote DNS is on has its socket pointed here (call.c):
 *
 *   A, AAAA    the mapped address of the name (src/core/names.c, the
 *              library's table), TTL 60; the proxy resolves the name when
 *              the program connects to that address
 *   other types, class other than IN
 *              NOERROR with no answer (NODATA): resolvers take it as "no
 *              such record" and go on with A/AAAA
 *   names that resolve locally (localhost, /etc/hosts, direct domains)
 *              REFUSED: resolvers read /etc/hosts themselves first; a
 *              direct domain does not resolve under these engines
 *
 * UDP and TCP (two-byte length prefix) on 127.0.0.1, one thread with poll.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "socksify/dnsmsg.h"
#include "socksify/runtime.h"
#include "super.h"

#define TCP_MAX 16
#define MSG_MAX 1232

static struct sockaddr_in udp_sa, tcp_sa;
static int udp_fd = -1, tcp_fd = -1;

static int names_map(const char *name, int family, void *addr)
{
	if (!sx_names_should_map(name))
		return 1;
	if (sx_names_map(name, family, addr) != 0)
		return -1;
	sx_log(SX_LOG_DEBUG, "%s is answered with a mapped address (%s "
	       "engine); the proxy resolves it", name, sx_engine_name);
	return 0;
}

struct tconn {
	int fd;
	size_t have;
	uint8_t buf[2 + MSG_MAX];
};

static struct tconn conns[TCP_MAX];

static void udp_serve(void)
{
	uint8_t q[MSG_MAX], a[MSG_MAX];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n = sx_real.recvfrom(udp_fd, q, sizeof(q), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);

	if (n > 0 && (n = sx_dns_answer(q, (size_t)n, a, sizeof(a), names_map)) > 0)
		sx_real.sendto(udp_fd, a, (size_t)n, MSG_DONTWAIT,
		       (struct sockaddr *)&from, flen);
}

static void tcp_close(struct tconn *t)
{
	sx_real.close(t->fd);
	t->fd = -1;
}

static void tcp_serve(struct tconn *t)
{
	uint8_t a[2 + MSG_MAX];
	ssize_t n = sx_real.recv(t->fd, t->buf + t->have, sizeof(t->buf) - t->have,
			 MSG_DONTWAIT);
	size_t need;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			tcp_close(t);
		return;
	}
	t->have += (size_t)n;
	while (t->have >= 2 && t->have >= 2 + (need = sx_dns_get16(t->buf))) {
		n = sx_dns_answer(t->buf + 2, need, a + 2, sizeof(a) - 2,
				  names_map);
		if (n <= 0) {
			tcp_close(t);
			return;
		}
		sx_dns_put16(a, (unsigned)n);
		if (sx_real.send(t->fd, a, (size_t)n + 2, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			tcp_close(t);
			return;
		}
		memmove(t->buf, t->buf + 2 + need, t->have - 2 - need);
		t->have -= 2 + need;
	}
	if (t->have == sizeof(t->buf))
		tcp_close(t);
}

static void tcp_accept(void)
{
	int fd = sx_real.accept4(tcp_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < TCP_MAX; i++)
		if (conns[i].fd < 0) {
			conns[i].fd = fd;
			conns[i].have = 0;
			return;
		}
	sx_real.close(fd);              /* too many at once: the resolver retries */
}

static void *serve(void *unused)
{
	struct pollfd p[2 + TCP_MAX];

	(void)unused;
	for (;;) {
		p[0] = (struct pollfd){ .fd = udp_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = tcp_fd, .events = POLLIN };
		for (int i = 0; i < TCP_MAX; i++)
			p[2 + i] = (struct pollfd){ .fd = conns[i].fd,
						    .events = POLLIN };
		if (sx_real.poll(p, 2 + TCP_MAX, -1) < 0)
			continue;
		if (p[0].revents)
			udp_serve();
		if (p[1].revents)
			tcp_accept();
		for (int i = 0; i < TCP_MAX; i++)
			if (conns[i].fd >= 0 && p[2 + i].revents)
				tcp_serve(&conns[i]);
	}
	return NULL;
}

static int listen_on(int type, struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || sx_real.bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    (type == SOCK_STREAM && sx_real.listen(fd, 64) < 0) ||
	    sx_real.getsockname(fd, (struct sockaddr *)sa, &len) < 0) {
		if (fd >= 0)
			sx_real.close(fd);
		return -1;
	}
	return fd;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Started by the first query (the engine loop's thread). */
static void dnsd_start(void)
{
	pthread_t t;

	for (int i = 0; i < TCP_MAX; i++)
		conns[i].fd = -1;
	if ((udp_fd = listen_on(SOCK_DGRAM, &udp_sa)) < 0 ||
	    (tcp_fd = listen_on(SOCK_STREAM, &tcp_sa)) < 0 ||
	    pthread_create(&t, NULL, serve, NULL) != 0) {
		sx_log(SX_LOG_ERROR, "cannot start the DNS answerer of the %s "
		       "engine: %s; the program's own DNS queries fail",
		       sx_engine_name, strerror(errno));
		return;
	}
	pthread_detach(t);
}

bool sx_dnsd_addr(int family, int type, struct sockaddr_storage *sa,
		  socklen_t *len)
{
	const struct sockaddr_in *in = type == SOCK_DGRAM ? &udp_sa : &tcp_sa;

	pthread_once(&once, dnsd_start);
	if ((type == SOCK_DGRAM ? udp_fd : tcp_fd) < 0)
		return false;
	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		memcpy(sa, in, sizeof(*in));
		*len = sizeof(*in);
		return true;
	}
	/* an AF_INET6 socket: the v4-mapped address */
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = in->sin_port;
	s6->sin6_addr.s6_addr[10] = 0xff;
	s6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&s6->sin6_addr.s6_addr[12], &in->sin_addr, 4);
	*len = sizeof(*s6);
	return true;
}
