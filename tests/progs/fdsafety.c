/*
 * fdsafety SCENARIO ADDR PORT - what a program may do with its descriptors
 * while (or after) the library runs a handshake on them (issue 21).  The
 * proxy is slow (about a second per handshake) unless the scenario says
 * otherwise; ADDR:PORT is a line echo server reachable only through it.
 * Exit 0 when the program sees what it would see without the library.
 *
 *   fork_epoll_ctl       a thread in epoll_ctl, the main thread forks: no hang
 *   dup_pending          a dup of a pending socket waits like the original
 *   vfork_close          a vfork child's close() leaves the parent's state
 *   epoll_exclusive      EPOLLOUT|EPOLLET|EPOLLEXCLUSIVE: one event, when done
 *   close_pending_epoll  closed while pending (the proxy resets): no event
 *                        carrying the closed descriptor's data
 *   dup2_over_pending    a Unix socket dup2'd over a pending one is itself
 *   fork_child_copy      a child forked during a handshake holds no socket
 *                        or eventfd of the library's after closing its own
 *   low_fds              stdin closed: the program's next file gets 0, and a
 *                        dup2 onto 0 does not break the handshake
 *   signal_close         close() in a signal handler that interrupts
 *                        getpeername() on a proxied socket: no deadlock
 *   signal_getpeername   getpeername() in a signal handler that interrupts
 *                        dup()/close() of a proxied socket: no deadlock
 *   signal_close_epoll   close() of an epoll-registered descriptor in a
 *                        signal handler that interrupts epoll_ctl
 *   gss_epoll_et         (GSS-API proxy at integrity) data the library holds
 *                        decoded gives an EPOLLET registration at most one
 *                        event, not one per epoll_wait, nor one per thread
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in dst = { .sin_family = AF_INET };

#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); \
		       fprintf(stderr, "\n"); exit(1); } while (0)

static int nbconn(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		FAIL("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0 ||
	    errno != EINPROGRESS)
		FAIL("connect: expected EINPROGRESS, got %s", strerror(errno));
	return fd;
}

static int blkconn(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		FAIL("blocking connect: %s", strerror(errno));
	return fd;
}

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err;
}

static bool writable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLOUT);
}

/* The handshake is over and the socket talks to the destination. */
static void echo_ok(int fd, const char *who)
{
	char buf[64];
	size_t got = 0;
	int err;

	if (!writable(fd, 8000))
		FAIL("%s: never writable", who);
	if ((err = so_error(fd)) != 0)
		FAIL("%s: SO_ERROR %s", who, strerror(err));
	if (write(fd, "ping\n", 5) != 5)
		FAIL("%s: write: %s", who, strerror(errno));
	while (got < 5) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) != 1)
			FAIL("%s: no echo", who);
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			FAIL("%s: read: %s", who, n ? strerror(errno) : "EOF");
		got += (size_t)n;
	}
	if (memcmp(buf, "ping\n", 5) != 0)
		FAIL("%s: wrong echo", who);
}

/* Still connecting as the program sees it: not writable, EAGAIN, no peer. */
static void still_pending(int fd, const char *who)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (writable(fd, 0))
		FAIL("%s: writable during the handshake", who);
	if (write(fd, "x", 1) != -1 || errno != EAGAIN)
		FAIL("%s: write during the handshake did not give EAGAIN", who);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		FAIL("%s: getpeername succeeded during the handshake", who);
}

static void peer_is_dst(int fd, const char *who)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getpeername(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    sin.sin_family != AF_INET || sin.sin_port != dst.sin_port ||
	    sin.sin_addr.s_addr != dst.sin_addr.s_addr)
		FAIL("%s: getpeername is not the destination", who);
}

/* ---- fork while another thread is in epoll_ctl ----------------------- */

static atomic_bool stop;

static void *ctl_loop(void *arg)
{
	int ep = epoll_create1(0), s = *(int *)arg;
	struct epoll_event ev = { .events = EPOLLIN };

	while (!atomic_load(&stop)) {
		epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
		epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
	}
	close(ep);
	return NULL;
}

static int fork_epoll_ctl(void)
{
	pthread_t t[2];
	int s = socket(AF_INET, SOCK_STREAM, 0), i, st;

	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, ctl_loop, &s);
	for (i = 0; i < 300; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(s);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
			FAIL("fork %d", i);
	}
	atomic_store(&stop, true);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* ---- descriptors of a pending socket --------------------------------- */

static int dup_pending(void)
{
	int fd = nbconn(), d = dup(fd), d2 = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	still_pending(d, "dup");
	still_pending(d2, "F_DUPFD_CLOEXEC");
	echo_ok(d, "dup");
	peer_is_dst(d, "dup");
	peer_is_dst(d2, "F_DUPFD_CLOEXEC");
	peer_is_dst(fd, "original");
	return 0;
}

static int vfork_close(void)
{
	int fd = nbconn(), ep = epoll_create1(0), st;
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 42 };
	pid_t pid;

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	pid = vfork();
	if (pid == 0) {
		close(fd);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	still_pending(fd, "after vfork");
	if (epoll_wait(ep, &ev, 1, 8000) != 1 || ev.data.u64 != 42)
		FAIL("epoll_wait never reported the socket");
	echo_ok(fd, "after vfork");
	peer_is_dst(fd, "after vfork");
	return 0;
}

static int epoll_exclusive(void)
{
	int fd = nbconn(), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE,
				  .data.u64 = 7 };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		FAIL("epoll_ctl: %s", strerror(errno));
	if (epoll_wait(ep, &ev, 1, 0) != 0)
		FAIL("an event during the handshake");
	if (epoll_wait(ep, &ev, 1, 8000) != 1 || ev.data.u64 != 7 ||
	    !(ev.events & EPOLLOUT))
		FAIL("no event when the handshake ended");
	if (so_error(fd) != 0 || write(fd, "ping\n", 5) != 5)
		FAIL("not connected after the event");
	if (epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL) < 0)
		FAIL("EPOLL_CTL_DEL: %s", strerror(errno));
	return 0;
}

/* Forty rounds: the event, when there is one, races with the worker's
 * own close of its duplicate. */
static int close_pending_epoll(void)
{
	int ep = epoll_create1(0), n, round;
	struct epoll_event ev;

	for (round = 0; round < 40; round++) {
		int fd = nbconn();

		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.u64 = 0xdead0000u + (unsigned)round;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		close(fd);
		n = epoll_wait(ep, &ev, 1, 200);
		if (n != 0)
			FAIL("round %d: epoll_wait gave an event for a closed "
			     "descriptor (data %llx)", round,
			     (unsigned long long)ev.data.u64);
	}
	return 0;
}

static int dup2_over_pending(void)
{
	int fd = nbconn(), u[2], ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 5 };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[8];

	socketpair(AF_UNIX, SOCK_STREAM, 0, u);
	if (write(u[1], "hello", 5) != 5 || dup2(u[0], fd) != fd)
		FAIL("socketpair/dup2");
	if (read(fd, buf, sizeof(buf)) != 5 || memcmp(buf, "hello", 5) != 0)
		FAIL("read of the Unix socket: %s", strerror(errno));
	if (write(u[1], "again", 5) != 5 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ||
	    epoll_wait(ep, &ev, 1, 2000) != 1)
		FAIL("epoll_wait did not report the Unix socket");
	sleep(2);               /* the old handshake ends meanwhile */
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		FAIL("getpeername: %s", strerror(errno));
	if (ss.ss_family != AF_UNIX)
		FAIL("getpeername of the Unix socket gave family %d", ss.ss_family);
	return 0;
}

/* Sockets and eventfds open in this process. */
static int count_sockets(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], target[300];
	int n = 0;

	while (d && (e = readdir(d))) {
		ssize_t l;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		l = readlink(path, target, sizeof(target) - 1);
		if (l <= 0)
			continue;
		target[l] = '\0';
		if (strncmp(target, "socket:", 7) == 0 || strstr(target, "eventfd"))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Fork at once, and again 300 ms into the handshake (the proxy answers
 * after 1 s): by then the handshake has every descriptor it opens (the
 * pipelining auto probe's too). */
static int fork_child_copy(void)
{
	int fd = nbconn(), st;

	for (int round = 0; round < 2; round++) {
		pid_t pid;

		if (round)
			usleep(300000);
		pid = fork();
		if (pid == 0) {
			close(fd);
			_exit(count_sockets() == 0 ? 0 : 3);
		}
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			FAIL("the child forked %s kept the library's descriptors "
			     "after closing its socket", round ? "300 ms into the "
			     "handshake" : "at once");
	}
	echo_ok(fd, "parent");
	return 0;
}

static int low_fds(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), f;

	close(0);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0 ||
	    errno != EINPROGRESS)
		FAIL("connect: %s", strerror(errno));
	f = open("/dev/null", O_RDONLY);
	if (f != 0)
		FAIL("open after close(0) gave %d, not 0", f);
	f = open("/dev/null", O_RDONLY);
	if (dup2(f, 0) != 0)
		FAIL("dup2");
	echo_ok(fd, "daemon");
	return 0;
}

/* ---- signal handlers calling hooks ------------------------------------ */

static int sig_fd;
static atomic_int sig_calls;

static void h_close(int s)
{
	int d = dup(sig_fd);

	(void)s;
	if (d >= 0)
		close(d);
	atomic_fetch_add(&sig_calls, 1);
}

static void h_getpeername(int s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	(void)s;
	getpeername(sig_fd, (struct sockaddr *)&ss, &len);
	atomic_fetch_add(&sig_calls, 1);
}

static void ticking(void (*h)(int))
{
	struct sigaction sa = { .sa_handler = h, .sa_flags = SA_RESTART };
	struct itimerval it = { { 0, 200 }, { 0, 200 } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void untick(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int signal_close(void)
{
	struct sockaddr_storage ss;
	double end;

	sig_fd = blkconn();
	ticking(h_close);
	for (end = now() + 2; now() < end;) {
		socklen_t len = sizeof(ss);

		getpeername(sig_fd, (struct sockaddr *)&ss, &len);
	}
	untick();
	printf("%d signals\n", atomic_load(&sig_calls));
	peer_is_dst(sig_fd, "after the signals");
	return 0;
}

static int signal_getpeername(void)
{
	double end;

	sig_fd = blkconn();
	ticking(h_getpeername);
	for (end = now() + 2; now() < end;) {
		int d = dup(sig_fd);

		close(d);
	}
	untick();
	printf("%d signals\n", atomic_load(&sig_calls));
	peer_is_dst(sig_fd, "after the signals");
	return 0;
}

static int reg_fd, reg_ep;

static void h_close_reg(int s)
{
	int p[2];

	(void)s;
	close(reg_fd);                  /* registered with epoll */
	if (pipe(p) == 0) {
		if (p[0] != reg_fd)
			close(p[0]);
		if (p[1] != reg_fd)
			close(p[1]);
	}
	atomic_fetch_add(&sig_calls, 1);
}

static int signal_close_epoll(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int s = socket(AF_INET, SOCK_STREAM, 0), p[2];
	double end;

	reg_ep = epoll_create1(0);
	if (pipe(p) < 0)
		FAIL("pipe");
	reg_fd = p[0];
	epoll_ctl(reg_ep, EPOLL_CTL_ADD, reg_fd, &ev);
	ticking(h_close_reg);
	for (end = now() + 2; now() < end;) {
		epoll_ctl(reg_ep, EPOLL_CTL_ADD, s, &ev);
		epoll_ctl(reg_ep, EPOLL_CTL_DEL, s, NULL);
		epoll_ctl(reg_ep, EPOLL_CTL_ADD, reg_fd, &ev);
	}
	untick();
	printf("%d signals\n", atomic_load(&sig_calls));
	return 0;
}

/* Four threads wait on one EPOLLET registration of a GSS-API socket
 * whose decoded plaintext the library holds (the program read 1 byte of
 * a 12-byte echo): at most one event in all, then the rest reads. */
static atomic_int et_events;
static int et_ep;

static void *et_wait(void *arg)
{
	struct epoll_event ev;

	(void)arg;
	for (int i = 0; i < 5; i++)
		if (epoll_wait(et_ep, &ev, 1, 100) == 1)
			atomic_fetch_add(&et_events, 1);
	return NULL;
}

static int gss_epoll_et(void)
{
	int fd = blkconn(), n;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 3 };
	char buf[64];
	pthread_t t[4];
	size_t got = 0;

	if (write(fd, "hello world\n", 12) != 12)
		FAIL("write: %s", strerror(errno));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	et_ep = epoll_create1(0);
	epoll_ctl(et_ep, EPOLL_CTL_ADD, fd, &ev);
	if (epoll_wait(et_ep, &ev, 1, 5000) != 1)
		FAIL("no echo");
	if (read(fd, buf, 1) != 1)
		FAIL("read: %s", strerror(errno));
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, et_wait, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("events after a partial read: %d\n", atomic_load(&et_events));
	if (atomic_load(&et_events) > 1)
		FAIL("%d events for one edge", atomic_load(&et_events));
	while (got < 11 && (n = (int)read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	if (got != 11 || memcmp(buf, "ello world\n", 11) != 0)
		FAIL("the rest of the echo did not read (%zu bytes)", got);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} t[] = {
		{ "fork_epoll_ctl", fork_epoll_ctl },
		{ "dup_pending", dup_pending },
		{ "vfork_close", vfork_close },
		{ "epoll_exclusive", epoll_exclusive },
		{ "close_pending_epoll", close_pending_epoll },
		{ "dup2_over_pending", dup2_over_pending },
		{ "fork_child_copy", fork_child_copy },
		{ "low_fds", low_fds },
		{ "signal_close", signal_close },
		{ "signal_getpeername", signal_getpeername },
		{ "signal_close_epoll", signal_close_epoll },
		{ "gss_epoll_et", gss_epoll_et },
	};

	if (argc >= 4) {
		inet_pton(AF_INET, argv[2], &dst.sin_addr);
		dst.sin_port = htons((uint16_t)atoi(argv[3]));
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(argv[1], t[i].name) == 0)
			return t[i].fn();
	fprintf(stderr, "usage: fdsafety SCENARIO [ADDR PORT]\n");
	return 2;
}
