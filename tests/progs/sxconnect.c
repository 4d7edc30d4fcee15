/* sxconnect - connect to HOST PORT and report the outcome, for socksify tests.
 *
 *   sxconnect [-n] [-t] [-i] [-s LINE] HOST PORT
 *
 * Prints "OK peer=ADDR:PORT" after a successful connect (the address getpeername()
 * reports), or "ERR ENAME (strerror)" and exits 1.  With -s, sends LINE + "\n" and
 * prints the first line received as "GOT LINE".  With -n, the connect is non-blocking:
 * poll for POLLOUT (10 s) and read SO_ERROR.  With -t, print on stderr how long the
 * connect() call itself took: "connect() took N ms" (for a non-blocking socket, the
 * time the program's event loop would have been blocked).  With -i, a SIGALRM handler
 * installed without SA_RESTART fires every 20 ms during connect(); on EINTR the program
 * does what POSIX allows: it calls connect() again (EALREADY/EINPROGRESS: wait for
 * POLLOUT and retry; EISCONN: connected).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void interval_timer(int on)
{
	struct itimerval it = { .it_interval = { 0, 20000 }, .it_value = { 0, 20000 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;          /* no SA_RESTART: connect() gets EINTR */
	sigaction(SIGALRM, &sa, NULL);
	if (!on)
		memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

static int fail(const char *what, int err)
{
	printf("ERR %s (%s) in %s\n", strerrorname_np(err) ? strerrorname_np(err) : "?",
	       strerror(err), what);
	return 1;
}

int main(int argc, char **argv)
{
	const char *line = NULL;
	int nonblock = 0, timing = 0, interrupt = 0, opt, fd, rc, err, tries = 0;
	struct timespec t0, t1;
	struct addrinfo hints, *ai;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char host[128], serv[16], buf[512];

	while ((opt = getopt(argc, argv, "ntis:")) != -1) {
		if (opt == 'n')
			nonblock = 1;
		else if (opt == 't')
			timing = 1;
		else if (opt == 'i')
			interrupt = 1;
		else if (opt == 's')
			line = optarg;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: sxconnect [-n] [-t] [-i] [-s LINE] HOST PORT\n");
		return 2;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai);
	if (rc) {
		printf("ERR getaddrinfo: %s\n", gai_strerror(rc));
		return 2;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return fail("socket", errno);
	if (interrupt)
		interval_timer(1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	err = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (timing)
		fprintf(stderr, "connect() took %ld ms\n",
			(long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	errno = err;
	if (interrupt) {
		while (rc < 0 && (errno == EINTR || errno == EALREADY || errno == EINPROGRESS) &&
		       tries++ < 1000) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, 100);
			rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		}
		if (rc < 0 && errno == EISCONN)
			rc = 0;
		err = errno;
		interval_timer(0);
		fprintf(stderr, "%d alarms, %d connect() retries\n", (int)alarms, tries);
		errno = err;
	}
	if (rc < 0 && nonblock && errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		socklen_t elen = sizeof(err);

		if (poll(&p, 1, 10000) != 1)
			return fail("poll", ETIMEDOUT);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return fail("getsockopt", errno);
		if (err)
			return fail("connect (SO_ERROR)", err);
		rc = 0;
	}
	if (rc < 0)
		return fail("connect", errno);
	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
		return fail("getpeername", errno);
	if (getnameinfo((struct sockaddr *)&peer, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV))
		strcpy(host, "?");
	printf("OK peer=%s:%s\n", host, serv);
	fflush(stdout);
	if (line) {
		size_t got = 0;
		ssize_t n;

		snprintf(buf, sizeof(buf), "%s\n", line);
		if (send(fd, buf, strlen(buf), MSG_NOSIGNAL) < 0)
			return fail("send", errno);
		while (got < sizeof(buf) - 1) {
			if (nonblock) {
				struct pollfd p = { .fd = fd, .events = POLLIN };
				if (poll(&p, 1, 10000) != 1)
					return fail("poll-read", ETIMEDOUT);
			}
			n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (n < 0)
				return fail("recv", errno);
			if (n == 0)
				break;
			got += (size_t)n;
			if (memchr(buf, '\n', got))
				break;
		}
		buf[got] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("GOT %s\n", buf);
	}
	close(fd);
	freeaddrinfo(ai);
	return 0;
}
