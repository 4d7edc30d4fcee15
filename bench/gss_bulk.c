/*
 * gss_bulk - bulk transfers for the GSS-API benchmark (bench/gss.sh): a
 * client that socksify (LD_PRELOAD) carries through the proxy, and the
 * destination it talks to.
 *
 *   gss_bulk send HOST PORT BYTES [BUFSZ]   send BYTES with send(BUFSZ), then
 *                                           shutdown(SHUT_WR) and wait for the
 *                                           peer's EOF (so every byte arrived)
 *   gss_bulk recv HOST PORT BYTES [BUFSZ]   recv(BUFSZ) until BYTES arrived
 *   gss_bulk sink ADDR PORT                 destination: read each connection
 *                                           to EOF, then close it
 *   gss_bulk source ADDR PORT BYTES         destination: send BYTES on each
 *                                           connection, then close it
 *
 * The clients print "bytes B secs S MBps M cpu_s C cpu_MBps P" (MB = 10^6
 * bytes; the clock runs from the first byte to the last, after connect and
 * the proxy handshake; cpu_MBps = bytes per CPU-second of the client).
 * The servers serve one connection at a time and log one line per
 * connection to stderr ("sink: 536870912 bytes from 127.0.0.1:40404").
 * BUFSZ defaults to 128 KiB.  Every wait is bounded (SO_RCVTIMEO and
 * SO_SNDTIMEO 60 s).  Numeric addresses only (no name lookups).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "gss_bulk: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void timeouts(int fd)
{
	struct timeval tv = { .tv_sec = 60 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void addr(struct sockaddr_in *sa, const char *host, const char *port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "gss_bulk: %s: not an IPv4 address\n", host);
		exit(2);
	}
}

static uint8_t *buffer(size_t len)
{
	uint8_t *b = malloc(len);

	if (!b)
		die("malloc");
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 131u + 7);
	return b;
}

/* ---- clients ------------------------------------------------------------ */

static int dial(const char *host, const char *port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	addr(&sa, host, port);
	if (fd < 0)
		die("socket");
	timeouts(fd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	return fd;
}

/* CPU seconds this process used (user + system, all threads). */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* cpu_MBps: MB per CPU-second of this process, the cost of the path on
 * our side whatever the peer's speed. */
static void report(uint64_t bytes, double secs, double cpu)
{
	printf("bytes %llu secs %.3f MBps %.1f cpu_s %.3f cpu_MBps %.1f\n",
	       (unsigned long long)bytes, secs, (double)bytes / secs / 1e6, cpu,
	       cpu > 0 ? (double)bytes / cpu / 1e6 : 0);
}

static int client_send(int fd, uint64_t bytes, size_t bufsz)
{
	uint8_t *b = buffer(bufsz), c;
	uint64_t left = bytes;
	double t0 = now_s(), c0 = cpu_s();
	ssize_t n;

	while (left > 0) {
		size_t want = left < bufsz ? (size_t)left : bufsz;

		n = send(fd, b, want, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send");
		left -= (uint64_t)n;
	}
	if (shutdown(fd, SHUT_WR) < 0)
		die("shutdown");
	do
		n = recv(fd, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		fprintf(stderr, "gss_bulk: send: expected EOF from the peer (%zd, %s)\n",
			n, n < 0 ? strerror(errno) : "data");
		return 1;
	}
	report(bytes, now_s() - t0, cpu_s() - c0);
	free(b);
	return 0;
}

static int client_recv(int fd, uint64_t bytes, size_t bufsz)
{
	uint8_t *b = buffer(bufsz);
	uint64_t got = 0;
	double t0 = now_s(), c0 = cpu_s();

	while (got < bytes) {
		ssize_t n = recv(fd, b, bufsz, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "gss_bulk: recv: %s after %llu of %llu bytes\n",
				n < 0 ? strerror(errno) : "EOF",
				(unsigned long long)got, (unsigned long long)bytes);
			return 1;
		}
		got += (uint64_t)n;
	}
	report(got, now_s() - t0, cpu_s() - c0);
	free(b);
	return 0;
}

/* ---- destinations ------------------------------------------------------- */

static void serve_sink(int fd, const char *peer)
{
	static uint8_t b[1 << 18];
	uint64_t got = 0;
	ssize_t n;

	while ((n = recv(fd, b, sizeof(b), 0)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			got += (uint64_t)n;
	fprintf(stderr, "sink: %llu bytes from %s%s\n", (unsigned long long)got, peer,
		n < 0 ? " (error)" : "");
}

static void serve_source(int fd, const char *peer, uint64_t bytes)
{
	static uint8_t b[1 << 18];
	uint64_t left = bytes;
	ssize_t n;

	while (left > 0) {
		n = send(fd, b, left < sizeof(b) ? (size_t)left : sizeof(b), MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left -= (uint64_t)n;
	}
	shutdown(fd, SHUT_WR);
	while ((n = recv(fd, b, sizeof(b), 0)) > 0 || (n < 0 && errno == EINTR))
		;       /* until the client closes: no RST under unread data */
	fprintf(stderr, "source: %llu bytes to %s\n",
		(unsigned long long)(bytes - left), peer);
}

static _Noreturn void serve(const char *host, const char *port, int source, uint64_t bytes)
{
	struct sockaddr_in sa;
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	addr(&sa, host, port);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0)
		die("bind/listen");
	for (;;) {
		struct sockaddr_in p;
		socklen_t len = sizeof(p);
		char peer[64], a[INET_ADDRSTRLEN];
		int fd = accept(lfd, (struct sockaddr *)&p, &len);

		if (fd < 0)
			continue;
		timeouts(fd);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));    /* like gss_server */
		snprintf(peer, sizeof(peer), "%s:%u",
			 inet_ntop(AF_INET, &p.sin_addr, a, sizeof(a)), ntohs(p.sin_port));
		if (source)
			serve_source(fd, peer, bytes);
		else
			serve_sink(fd, peer);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	size_t bufsz = 128 << 10;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "sink") == 0)
		serve(argv[2], argv[3], 0, 0);
	if (argc >= 5 && strcmp(argv[1], "source") == 0)
		serve(argv[2], argv[3], 1, strtoull(argv[4], NULL, 10));
	if (argc >= 5 && (strcmp(argv[1], "send") == 0 || strcmp(argv[1], "recv") == 0)) {
		uint64_t bytes = strtoull(argv[4], NULL, 10);
		int fd;

		if (argc > 5)
			bufsz = strtoul(argv[5], NULL, 10);
		if (bytes == 0 || bufsz == 0)
			return 2;
		fd = dial(argv[2], argv[3]);
		return argv[1][0] == 's' ? client_send(fd, bytes, bufsz) :
					   client_recv(fd, bytes, bufsz);
	}
	fprintf(stderr, "usage: see the comment at the top of bench/gss_bulk.c\n");
	return 2;
}
