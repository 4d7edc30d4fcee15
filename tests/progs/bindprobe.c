/*
 * bindprobe - what a BIND listener and the socket it accepts look like to a
 * program (issue 19).
 *
 *   bindprobe HOST PORT FILE
 *
 * Connects to HOST:PORT (through the proxy: the peer a BIND announces),
 * then twice: a listener on the wildcard address, port 0, announced in FILE
 * as "ADDR PORT" (round 1 in FILE, round 2 in FILE.2); the test connects
 * there and sends a line.  Round 1: the listener is non-blocking, accepted
 * with accept4(SOCK_CLOEXEC).  Round 2: listen() again on the same socket
 * (a fresh BIND), made blocking with SO_RCVTIMEO 300 ms: accept() before
 * anyone connects fails with EAGAIN; then accept4(SOCK_NONBLOCK).
 * Checks: families and lengths of getsockname(), accept()'s address and
 * getpeername(); the accepted socket's own O_NONBLOCK and FD_CLOEXEC; the
 * listener's O_NONBLOCK untouched.  Prints one "roundN ok PEER LINE" each;
 * exits 1 with "FAIL: why" otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf(" (errno %d: %s)\n", errno, strerror(errno));
	va_end(ap);
	exit(1);
}

static socklen_t want_len(int family)
{
	return family == AF_INET ? sizeof(struct sockaddr_in) :
	       sizeof(struct sockaddr_in6);
}

static const char *text(const struct sockaddr_storage *ss, char *buf,
			size_t len, int *port)
{
	const void *a = ss->ss_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)ss)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	*port = ntohs(ss->ss_family == AF_INET ?
		      ((const struct sockaddr_in *)ss)->sin_port :
		      ((const struct sockaddr_in6 *)ss)->sin6_port);
	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		fail("inet_ntop of family %d", ss->ss_family);
	return buf;
}

static void check_addr(const char *what, const struct sockaddr_storage *ss,
		       socklen_t len, int family)
{
	if (ss->ss_family != family || len != want_len(family))
		fail("%s: family %d length %u, expected %d and %u", what,
		     ss->ss_family, (unsigned)len, family,
		     (unsigned)want_len(family));
}

static void announce(int l, int family, const char *file)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN], tmp[4096];
	int port;
	FILE *f;

	if (getsockname(l, (struct sockaddr *)&ss, &len) < 0)
		fail("getsockname of the listener");
	check_addr("getsockname of the listener", &ss, len, family);
	text(&ss, host, sizeof(host), &port);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if (!(f = fopen(tmp, "w")))
		fail("fopen %s", tmp);
	fprintf(f, "%s %d\n", host, port);
	fclose(f);
	rename(tmp, file);
}

/* Accept, check everything, print the round's line. */
static void take(int round, int l, int family, int flags)
{
	struct sockaddr_storage from, peer, self;
	socklen_t flen = sizeof(from), plen = sizeof(peer), slen = sizeof(self);
	char host[INET6_ADDRSTRLEN], line[200];
	int a, fl, fd, port;
	ssize_t n;

	a = accept4(l, (struct sockaddr *)&from, &flen, flags);
	if (a < 0)
		fail("round %d: accept4", round);
	check_addr("accept's address", &from, flen, family);
	if (getpeername(a, (struct sockaddr *)&peer, &plen) < 0)
		fail("getpeername");
	check_addr("getpeername", &peer, plen, family);
	if (memcmp(&peer, &from, plen) != 0)
		fail("getpeername differs from accept's address");
	if (getsockname(a, (struct sockaddr *)&self, &slen) < 0)
		fail("getsockname of the accepted socket");
	check_addr("getsockname of the accepted socket", &self, slen, family);
	fl = fcntl(a, F_GETFL);
	fd = fcntl(a, F_GETFD);
	if (!!(fl & O_NONBLOCK) != !!(flags & SOCK_NONBLOCK))
		fail("round %d: accepted socket O_NONBLOCK %d, asked %d", round,
		     !!(fl & O_NONBLOCK), !!(flags & SOCK_NONBLOCK));
	if (!!(fd & FD_CLOEXEC) != !!(flags & SOCK_CLOEXEC))
		fail("round %d: accepted socket FD_CLOEXEC %d, asked %d", round,
		     !!(fd & FD_CLOEXEC), !!(flags & SOCK_CLOEXEC));
	if (round == 1 && !(fcntl(l, F_GETFL) & O_NONBLOCK))
		fail("the listener lost O_NONBLOCK");
	if (fl & O_NONBLOCK) {
		struct pollfd p = { .fd = a, .events = POLLIN };

		if (poll(&p, 1, 10000) != 1)
			fail("round %d: no data", round);
	}
	n = read(a, line, sizeof(line) - 1);
	if (n <= 0)
		fail("round %d: read", round);
	line[n] = 0;
	line[strcspn(line, "\r\n")] = 0;
	printf("round%d ok %s %s\n", round, text(&from, host, sizeof(host), &port),
	       line);
	fflush(stdout);
	close(a);
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST }, *ai;
	struct sockaddr_storage any;
	struct timeval tv = { 0, 300000 };
	struct pollfd p;
	char file2[4096];
	int c, l, family;

	if (argc != 4) {
		fprintf(stderr, "usage: bindprobe HOST PORT FILE\n");
		return 2;
	}
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
		fail("getaddrinfo %s", argv[1]);
	family = ai->ai_family;
	c = socket(family, SOCK_STREAM, 0);
	if (c < 0 || connect(c, ai->ai_addr, ai->ai_addrlen) < 0)
		fail("connect %s:%s", argv[1], argv[2]);

	/* Round 1: non-blocking listener, accept4(SOCK_CLOEXEC). */
	l = socket(family, SOCK_STREAM, 0);
	memset(&any, 0, sizeof(any));
	any.ss_family = (sa_family_t)family;
	if (l < 0 || bind(l, (struct sockaddr *)&any, want_len(family)) < 0)
		fail("bind");
	fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK);
	if (listen(l, 1) < 0)
		fail("listen");
	announce(l, family, argv[3]);
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	if (poll(&p, 1, 20000) != 1)
		fail("round 1: the listener never became readable");
	take(1, l, family, SOCK_CLOEXEC);

	/* Round 2: listen again: a fresh BIND. */
	if (listen(l, 1) < 0)
		fail("listen again");
	fcntl(l, F_SETFL, fcntl(l, F_GETFL) & ~O_NONBLOCK);
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	errno = 0;
	if (accept(l, NULL, NULL) >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		fail("round 2: accept before anyone connected did not say EAGAIN");
	tv.tv_usec = 0;
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(file2, sizeof(file2), "%s.2", argv[3]);
	announce(l, family, file2);
	take(2, l, family, SOCK_NONBLOCK);
	close(l);
	close(c);
	freeaddrinfo(ai);
	return 0;
}
