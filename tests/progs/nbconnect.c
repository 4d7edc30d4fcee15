/*
 * nbconnect - N concurrent non-blocking connects, the way event loops do
 * them, then one echo round trip on each.
 *
 *   nbconnect MODE N ADDR PORT [EXPECTED_ERRNO]
 *
 * MODE: poll, select, epoll (level-triggered, registered after connect),
 * epollet (edge-triggered, after connect), epollpre (edge-triggered,
 * registered before connect, as nginx does).
 *
 * Checks what a program relies on: connect() returns EINPROGRESS (or 0)
 * at once, a second connect() says EALREADY (or EISCONN), the socket is
 * reported writable only when usable, SO_ERROR is 0 then, getpeername()
 * is the destination, and a line sent comes back.  With EXPECTED_ERRNO
 * (a number), every connect must fail with it, through SO_ERROR.
 *
 * Prints one line: ok=N failed=N errno=E connect_us_p50=.. p99=.. max=..
 * ready_ms=.. (all connected) total_ms=.. (and echoed, one after the
 * other); exits 0 when every socket did what was expected.
 *
 * NBCONNECT_THREADS set: first prints "threads_pending=T", the threads of
 * the process (/proc/self/task) once every connect() has returned, while
 * the handshakes run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fdcount.h"

#define MAXN 1000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Wait until every socket is writable (or failed), by MODE. */
static int wait_all(const char *mode, int *fds, int n, int epfd, int *ready)
{
	int left = 0, i;
	double give_up = now_us() + 30e6;

	for (i = 0; i < n; i++)
		left += !ready[i];

	while (left > 0 && now_us() < give_up) {
		if (!strcmp(mode, "poll")) {
			struct pollfd p[MAXN];
			int m = 0, map[MAXN];

			for (i = 0; i < n; i++)
				if (!ready[i]) {
					p[m].fd = fds[i];
					p[m].events = POLLOUT;
					map[m++] = i;
				}
			if (poll(p, (nfds_t)m, 20000) <= 0)
				return -1;
			for (i = 0; i < m; i++)
				if (p[i].revents) {
					ready[map[i]] = 1;
					left--;
				}
		} else if (!strcmp(mode, "select")) {
			fd_set w;
			int maxfd = 0;
			struct timeval tv = { 20, 0 };

			FD_ZERO(&w);
			for (i = 0; i < n; i++)
				if (!ready[i]) {
					FD_SET(fds[i], &w);
					if (fds[i] > maxfd)
						maxfd = fds[i];
				}
			if (select(maxfd + 1, NULL, &w, NULL, &tv) <= 0)
				return -1;
			for (i = 0; i < n; i++)
				if (!ready[i] && FD_ISSET(fds[i], &w)) {
					ready[i] = 1;
					left--;
				}
		} else {
			struct epoll_event ev[64];
			int k = epoll_wait(epfd, ev, 64, 20000);

			if (k <= 0)
				return -1;
			for (i = 0; i < k; i++) {
				int idx = ev[i].data.u32;

				if (!ready[idx] && (ev[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
					ready[idx] = 1;
					left--;
					/* level-triggered would report it again */
					epoll_ctl(epfd, EPOLL_CTL_DEL, fds[idx], NULL);
				}
			}
		}
	}
	return left == 0 ? 0 : -1;
}

static int echo(int fd, int i)
{
	char line[64], got[64];
	size_t n = (size_t)snprintf(line, sizeof(line), "line-%d\n", i), have = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (write(fd, line, n) != (ssize_t)n)
		return -1;
	while (have < n) {
		ssize_t r;

		if (poll(&p, 1, 10000) <= 0)
			return -1;
		r = read(fd, got + have, n - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	return memcmp(line, got, n) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static int fds[MAXN], ready[MAXN], early[MAXN];
	static double dur[MAXN];
	struct sockaddr_in dst = { .sin_family = AF_INET }, peer;
	socklen_t plen;
	const char *mode;
	int n, i, epfd = -1, ok = 0, failed = 0, bad = 0, lasterr = 0, expect;
	double t0, t_ready;

	if (argc < 5) {
		fprintf(stderr, "usage: nbconnect MODE N ADDR PORT [ERRNO]\n");
		return 2;
	}
	mode = argv[1];
	n = atoi(argv[2]);
	expect = argc > 5 ? atoi(argv[5]) : 0;
	if (n < 1 || n > MAXN || inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1)
		return 2;
	dst.sin_port = htons((uint16_t)atoi(argv[4]));
	if (!strncmp(mode, "epoll", 5))
		epfd = epoll_create1(0);

	/* NBCONNECT_WARMUP: one connect first, so that the library's one-time
	 * setup (configuration, first thread) is not in the figures. */
	if (getenv("NBCONNECT_WARMUP")) {
		int w = socket(AF_INET, SOCK_STREAM, 0);

		if (w >= 0 && connect(w, (struct sockaddr *)&dst, sizeof(dst)) < 0)
			perror("warm-up connect");
		if (w >= 0)
			close(w);
	}
	t0 = now_us();
	for (i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
		double s;
		int r, e;

		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0)
			return 3;
		if (!strcmp(mode, "epollet") || !strcmp(mode, "epollpre"))
			ev.events |= EPOLLET | EPOLLIN;
		if (!strcmp(mode, "epollpre"))
			epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev);
		s = now_us();
		r = connect(fds[i], (struct sockaddr *)&dst, sizeof(dst));
		e = errno;
		dur[i] = now_us() - s;
		if (r < 0 && e != EINPROGRESS) {
			fprintf(stderr, "connect %d: %s\n", i, strerror(e));
			bad++;
		}
		/* Linux: EALREADY while connecting; once done, 0 (the first
		 * time) or EISCONN; after a failure, that failure's errno. */
		r = connect(fds[i], (struct sockaddr *)&dst, sizeof(dst));
		if (r < 0 && expect && errno == expect) {
			/* Already failed: the failure is reported once, here. */
			early[i] = 1;
			ready[i] = 1;
		} else if (r < 0 && errno != EALREADY && errno != EISCONN) {
			fprintf(stderr, "second connect %d: %s\n", i,
				strerror(errno));
			bad++;
		}
		if (epfd >= 0 && strcmp(mode, "epollpre") && !early[i])
			epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev);
		else if (epfd >= 0 && early[i])
			epoll_ctl(epfd, EPOLL_CTL_DEL, fds[i], NULL);
	}
	if (getenv("NBCONNECT_THREADS"))
		printf("threads_pending=%d\n", count_entries("/proc/self/task"));
	if (wait_all(mode, fds, n, epfd, ready) < 0) {
		fprintf(stderr, "timed out waiting for the sockets\n");
		bad++;
	}
	t_ready = now_us();
	for (i = 0; i < n; i++) {
		int err = 0;
		socklen_t elen = sizeof(err);

		if (!ready[i])
			continue;
		if (early[i]) {
			failed++;
			lasterr = expect;
			continue;
		}
		getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			failed++;
			lasterr = err;
			continue;
		}
		plen = sizeof(peer);
		if (getpeername(fds[i], (struct sockaddr *)&peer, &plen) < 0 ||
		    peer.sin_port != dst.sin_port ||
		    peer.sin_addr.s_addr != dst.sin_addr.s_addr) {
			fprintf(stderr, "getpeername %d is not the destination\n", i);
			bad++;
		}
		if (echo(fds[i], i) == 0)
			ok++;
		else {
			fprintf(stderr, "echo %d failed\n", i);
			bad++;
		}
	}
	qsort(dur, (size_t)n, sizeof(dur[0]), cmp);
	printf("ok=%d failed=%d errno=%d connect_us_p50=%.0f p99=%.0f max=%.0f "
	       "ready_ms=%.1f total_ms=%.1f\n", ok, failed, lasterr, dur[n / 2],
	       dur[n > 1 ? (n * 99 - 1) / 100 : 0], dur[n - 1],
	       (t_ready - t0) / 1000, (now_us() - t0) / 1000);
	if (bad)
		return 1;
	if (expect)
		return failed == n && lasterr == expect ? 0 : 1;
	return ok == n ? 0 : 1;
}
