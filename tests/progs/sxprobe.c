/* sxprobe - one connect() to HOST PORT, reported with its errno name and how long
 * it took, for the hostile-server and deadline tests.
 *
 *   sxprobe [-n] [-r] [-F] [-s LINE] [-i USEC] [-R] [-w MS] HOST PORT
 *
 * Prints one line "OK peer=ADDR:PORT ms=N" or "ERR ENAME ms=N (strerror)", where
 * ms is the wall time from the connect() call to its outcome (for -n: until
 * SO_ERROR was read).  Exit 0 (connected), 1 (failed), 2 (usage or setup).
 *
 *   -n       non-blocking socket: connect, poll POLLOUT (at most -w MS, default
 *            30000), read SO_ERROR
 *   -s LINE  after connecting, send LINE + "\n" and print "GOT <first line>"
 *   -r       after a failure, connect() again on the same socket and print
 *            "RETRY OK ..." or "RETRY ERR ..." (a retry must not go direct either)
 *   -i USEC  SIGALRM every USEC microseconds while connecting, handler installed
 *            without SA_RESTART (with -R: with SA_RESTART).  On EINTR the program
 *            does what POSIX allows: it calls connect() again and waits (EALREADY,
 *            EINPROGRESS: poll; EISCONN: connected).  Prints "signals=N eintr=N".
 *   -F       count the descriptors in /proc/self/fd before socket() and after
 *            close() (waiting up to 3 s for a handshake worker to let go of its
 *            own), print "FDS before=N after=N"; exit 3 if they differ (a leak)
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fdcount.h"

static volatile sig_atomic_t nsignals;
static int neintr;

static void on_alarm(int sig)
{
	(void)sig;
	nsignals++;
}

static void timer_set(long usec, int restart)
{
	struct itimerval it;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = it.it_value.tv_usec = usec;
	setitimer(ITIMER_REAL, &it, NULL);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* After close(): the count settles once a handshake worker has let go (at once;
 * up to 10 s allowed on a loaded machine: a leak never settles). */
static int fds_settled(int before)
{
	long end = now_ms() + 10000;
	int n;

	while ((n = count_fds()) != before && now_ms() < end) {
		struct timespec ts = { 0, 20000000 };

		nanosleep(&ts, NULL);
	}
	return n;
}

static const char *ename(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "?";
}

/* Wait for POLLOUT until deadline; EINTR does not end the wait. */
static int wait_out(int fd, long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	for (;;) {
		long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno == EINTR) {
			neintr++;
			continue;
		}
		if (r < 0)
			return errno;
	}
}

/* One connect() to its outcome: 0 or an errno value. */
static int do_connect(int fd, const struct addrinfo *ai, int nonblock, long waitms)
{
	long deadline = now_ms() + waitms;
	socklen_t elen;
	int rc, err, tries = 0;

	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	err = rc < 0 ? errno : 0;
	/* Interrupted: connect again, as POSIX allows, until it settles. */
	while (err == EINTR || ((err == EALREADY || err == EINPROGRESS) && tries > 0 &&
				!nonblock)) {
		if (err == EINTR)
			neintr++;
		if (tries++ > 100000)
			return ETIMEDOUT;
		if (err != EINTR && wait_out(fd, deadline))
			return ETIMEDOUT;
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		err = rc < 0 ? errno : 0;
		if (err == EISCONN)
			return 0;
	}
	if (err != EINPROGRESS)
		return err;
	err = wait_out(fd, deadline);
	if (err)
		return err;
	elen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return errno;
	return err;
}

static int exchange(int fd, const char *line, int nonblock)
{
	char buf[512];
	size_t got = 0;
	ssize_t n;

	snprintf(buf, sizeof(buf), "%s\n", line);
	if (send(fd, buf, strlen(buf), MSG_NOSIGNAL) < 0) {
		printf("ERR %s in send\n", ename(errno));
		return 1;
	}
	while (got < sizeof(buf) - 1) {
		if (nonblock) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 10000) != 1) {
				printf("ERR ETIMEDOUT in recv\n");
				return 1;
			}
		}
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			printf("ERR %s in recv\n", ename(errno));
			return 1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			break;
	}
	buf[got] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("GOT %s\n", buf);
	return 0;
}

static void report(const char *prefix, int fd, int err, long ms)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char host[128], serv[16];

	if (err) {
		printf("%sERR %s ms=%ld (%s)\n", prefix, ename(err), ms, strerror(err));
		return;
	}
	strcpy(host, "?");
	strcpy(serv, "?");
	if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
		getnameinfo((struct sockaddr *)&peer, len, host, sizeof(host), serv,
			    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
	printf("%sOK peer=%s:%s ms=%ld\n", prefix, host, serv, ms);
}

int main(int argc, char **argv)
{
	const char *line = NULL;
	int nonblock = 0, retry = 0, restart = 0, fdcheck = 0, opt, fd, rc, err;
	int fds_before = 0, fds_after;
	long usec = 0, waitms = 30000, t0, ms;
	struct addrinfo hints, *ai;

	while ((opt = getopt(argc, argv, "nrFs:i:Rw:")) != -1) {
		switch (opt) {
		case 'n': nonblock = 1; break;
		case 'r': retry = 1; break;
		case 'F': fdcheck = 1; break;
		case 's': line = optarg; break;
		case 'i': usec = atol(optarg); break;
		case 'R': restart = 1; break;
		case 'w': waitms = atol(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || usec < 0 || usec > 999999) {
		fprintf(stderr, "usage: sxprobe [-n] [-r] [-F] [-s LINE] [-i USEC] [-R] "
			"[-w MS] HOST PORT\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai);
	if (rc) {
		printf("ERR getaddrinfo: %s\n", gai_strerror(rc));
		return 2;
	}
	if (fdcheck)
		fds_before = count_fds();
	fd = socket(ai->ai_family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		printf("ERR %s in socket\n", ename(errno));
		return 2;
	}
	if (usec)
		timer_set(usec, restart);
	t0 = now_ms();
	err = do_connect(fd, ai, nonblock, waitms);
	ms = now_ms() - t0;
	if (usec) {
		timer_set(0, restart);
		fprintf(stderr, "signals=%d eintr=%d\n", (int)nsignals, neintr);
	}
	report("", fd, err, ms);
	if (err && retry) {
		t0 = now_ms();
		rc = do_connect(fd, ai, nonblock, waitms);
		report("RETRY ", fd, rc, now_ms() - t0);
	}
	if (!err && line && exchange(fd, line, nonblock))
		err = EIO;
	close(fd);
	freeaddrinfo(ai);
	if (fdcheck) {
		fds_after = fds_settled(fds_before);
		printf("FDS before=%d after=%d\n", fds_before, fds_after);
		if (fds_after != fds_before)
			return 3;
	}
	return err ? 1 : 0;
}
