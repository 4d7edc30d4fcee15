/* stress - many threads connecting through socksify at once, with fork+exec,
 * vfork+exec, posix_spawn, close() from other threads and signals mixed in.
 *
 *   stress -S PORTFILE          server: listen on 127.0.0.1 (port 0, written to
 *                               PORTFILE), answer every connection with "SXOK" and
 *                               close; on SIGTERM print "accepted N" and exit
 *   stress -c HOST PORT         one connect, read "SXOK": exit 0 (for children)
 *   stress [-t THREADS] [-n CONNECTS] [-R] [-q] [-d USEC] HOST PORT
 *                               the stress run (default 16 threads x 500 connects;
 *                               -d: the closer waits 0..USEC-1 us, default 1000)
 *
 * Each worker thread cycles through four kinds of connect: blocking (then read
 * SXOK), non-blocking (poll, SO_ERROR, read SXOK), non-blocking handed at once to a
 * closer thread that close()s it 0-1 ms later (while its handshake runs), and
 * blocking closed at once.  Meanwhile a spawner thread runs fork+exec of /bin/true,
 * vfork+exec and posix_spawn of "stress -c HOST PORT" (which must exit 0), and a
 * signaller sends SIGUSR1 to a random worker every millisecond and SIGALRM to the
 * process every 2 ms; the handlers are installed without SA_RESTART (-R: with it),
 * and every call handles EINTR as POSIX allows.  Before and after, the descriptors
 * in /proc/self/fd are counted: after the run (and the abandoned handshakes' end)
 * there must be as many as before.
 *
 * Issue 21's patterns run alongside: an epoll thread calls epoll_ctl ADD/MOD/DEL on
 * a TCP socket in a loop while the spawner forks; a duper thread makes non-blocking
 * connects, dup()s each during its handshake, dup2()s a fresh socket over the original
 * and closes it, and finishes the connect on the duplicate; the spawner also vfork()s a
 * child that close()s a pending socket (the parent then finishes that connect); and
 * the signal handler calls getpeername(), dup() and close() on a proxied socket,
 * interrupting whatever hook the thread was in.
 *
 * Prints one summary line (ending with how many children of each kind -- fork+exec
 * of /bin/true, vfork+exec and posix_spawn of a socksified "stress -c" -- exited 0,
 * then epctl=epoll_ctl loops, dupok=connects finished on a dup, vfork_close=vfork
 * children that closed a pending socket whose connect then worked in the parent);
 * exit 0 only if every connect that should work worked
 * (each read SXOK), every child exited 0 and no descriptor leaked.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "fdcount.h"

extern char **environ;

#define MAX_THREADS 64
#define MAGIC "SXOK"

static struct addrinfo *dst;
static const char *self_path, *host_arg, *port_arg;
static int nthreads = 16, nconnects = 500, quiet, close_us = 1000;
static atomic_int ok, failed, abandoned, children, child_failed, done_workers;
static atomic_int nsig;
static atomic_int kind_ok[4];           /* fork, vfork, spawn, vfork+close */
static atomic_int epctl, dupok;
static int sig_fd = -1;                 /* a proxied socket the handler uses */
static atomic_bool stop;
static pthread_t workers[MAX_THREADS];
static int errcount[256];
static pthread_mutex_t errlock = PTHREAD_MUTEX_INITIALIZER;

/* Hooks called from a handler (all async-signal-safe in POSIX), on top of
 * whatever hook the thread was in. */
static void on_signal(int sig)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int saved = errno, d;

	(void)sig;
	atomic_fetch_add_explicit(&nsig, 1, memory_order_relaxed);
	if (sig_fd >= 0) {
		getpeername(sig_fd, (struct sockaddr *)&ss, &len);
		if ((d = dup(sig_fd)) >= 0)
			close(d);
	}
	errno = saved;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void note_failure(int err, const char *what)
{
	atomic_fetch_add(&failed, 1);
	pthread_mutex_lock(&errlock);
	if (err >= 0 && err < 256 && errcount[err]++ < 3 && !quiet)
		fprintf(stderr, "stress: %s: %s\n", what, strerrorname_np(err) ?
			strerrorname_np(err) : "?");
	pthread_mutex_unlock(&errlock);
}

/* poll() one descriptor until it is ready or 15 s pass; EINTR continues. */
static int wait_fd(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	long end = now_ms() + 15000;

	for (;;) {
		long left = end - now_ms();
		int r;

		if (left <= 0)
			return ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return errno;
	}
}

/* connect() to its outcome (0 or errno), EINTR handled as POSIX allows. */
static int connect_done(int fd, int nonblock)
{
	socklen_t len = sizeof(int);
	int err, tries = 0;

	if (connect(fd, dst->ai_addr, dst->ai_addrlen) == 0)
		return 0;
	err = errno;
	while (err == EINTR || (err == EALREADY && tries > 0)) {
		if (tries++ > 100000)
			return ETIMEDOUT;
		if (err == EALREADY && (err = wait_fd(fd, POLLOUT)))
			return err;
		if (connect(fd, dst->ai_addr, dst->ai_addrlen) == 0)
			return 0;
		err = errno;
		if (err == EISCONN)
			return 0;
		if (err == EINPROGRESS && !nonblock)
			err = EALREADY;
	}
	if (err != EINPROGRESS)
		return err;
	if ((err = wait_fd(fd, POLLOUT)))
		return err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* A non-blocking connect already started: wait for its outcome. */
static int finish_pending(int fd)
{
	socklen_t len = sizeof(int);
	int err;

	if ((err = wait_fd(fd, POLLOUT)))
		return err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

static int read_magic(int fd)
{
	char buf[8];
	size_t got = 0;

	while (got < 4) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int err = wait_fd(fd, POLLIN);

			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return errno;
		if (n == 0)
			return ECONNRESET;
		got += (size_t)n;
	}
	return memcmp(buf, MAGIC, 4) == 0 ? 0 : EPROTO;
}

/* ---- the closer: close()s descriptors from another thread -------------- */
static int queue[4096];
static int qhead, qtail;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;

static void hand_to_closer(int fd)
{
	pthread_mutex_lock(&qlock);
	if ((qtail + 1) % 4096 == qhead) {
		pthread_mutex_unlock(&qlock);
		close(fd);
		return;
	}
	queue[qtail] = fd;
	qtail = (qtail + 1) % 4096;
	pthread_cond_signal(&qcond);
	pthread_mutex_unlock(&qlock);
}

static void *closer(void *arg)
{
	unsigned seed = 7;

	(void)arg;
	for (;;) {
		struct timespec ts = { 0, 0 };
		int fd;

		pthread_mutex_lock(&qlock);
		while (qhead == qtail && !atomic_load(&stop))
			pthread_cond_wait(&qcond, &qlock);
		if (qhead == qtail) {
			pthread_mutex_unlock(&qlock);
			return NULL;
		}
		fd = queue[qhead];
		qhead = (qhead + 1) % 4096;
		pthread_mutex_unlock(&qlock);
		ts.tv_nsec = (long)(rand_r(&seed) % (unsigned)close_us) * 1000;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
		}
		close(fd);
	}
}

/* ---- workers ------------------------------------------------------------ */
static void one_connect(int kind)
{
	int nonblock = kind == 1 || kind == 2;
	int fd = socket(dst->ai_family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	int err;

	if (fd < 0) {
		note_failure(errno, "socket");
		return;
	}
	if (kind == 2) {
		if (connect(fd, dst->ai_addr, dst->ai_addrlen) < 0 && errno != EINPROGRESS)
			note_failure(errno, "abandoned connect");
		else
			atomic_fetch_add(&abandoned, 1);
		hand_to_closer(fd);
		return;
	}
	err = connect_done(fd, nonblock);
	if (!err && kind != 3)
		err = read_magic(fd);
	if (err)
		note_failure(err, kind == 3 ? "connect+close" : nonblock ?
			     "non-blocking connect" : "blocking connect");
	else
		atomic_fetch_add(&ok, 1);
	close(fd);
}

static void *worker(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < nconnects; i++)
		one_connect((int)((i + id) % 4));
	atomic_fetch_add(&done_workers, 1);
	return NULL;
}

/* ---- processes ------------------------------------------------------------ */
static void reap(pid_t pid, int kind)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			atomic_fetch_add(&child_failed, 1);
			return;
		}
	}
	atomic_fetch_add(&children, 1);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		atomic_fetch_add(&kind_ok[kind], 1);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		atomic_fetch_add(&child_failed, 1);
		if (!quiet)
			fprintf(stderr, "stress: a child ended with status 0x%x\n", st);
	}
}

#include "stress_fd.h"

/* Its own function: nothing of the caller's frame is live across vfork(). */
static __attribute__((noinline)) pid_t vfork_exec(char **argv)
{
	pid_t pid = vfork();

	if (pid == 0) {
		execv(self_path, argv);
		_exit(127);
	}
	return pid;
}

static void *spawner(void *arg)
{
	char *const true_argv[] = { "true", NULL };
	char *child_argv[] = { "stress", "-c", (char *)host_arg, (char *)port_arg, NULL };
	int round = 0;

	(void)arg;
	/* every kind at least once, however short the run (a slow machine
	 * or a sanitizer: the SA_RESTART run's 2 s once saw three) */
	while (!atomic_load(&stop) || round < 4) {
		pid_t pid = -1;
		int kind = round++ % 4;

		switch (kind) {
		case 0:
			pid = fork();
			if (pid == 0) {
				execv("/bin/true", true_argv);
				_exit(127);
			}
			break;
		case 1:
			pid = vfork_exec(child_argv);
			break;
		case 2:
			if (posix_spawn(&pid, self_path, NULL, NULL, child_argv, environ))
				pid = -1;
			break;
		case 3:
			vfork_close_round();
			continue;
		}
		if (pid < 0) {
			atomic_fetch_add(&child_failed, 1);
			continue;
		}
		reap(pid, kind);
	}
	return NULL;
}

static void *signaller(void *arg)
{
	unsigned seed = 11;

	(void)arg;
	while (!atomic_load(&stop)) {
		struct timespec ts = { 0, 1000000 };

		pthread_kill(workers[rand_r(&seed) % (unsigned)nthreads], SIGUSR1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void handlers(int restart)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

/* ---- modes ---------------------------------------------------------------- */
static volatile sig_atomic_t term;
static void on_term(int sig) { (void)sig; term = 1; }

static int server(const char *portfile)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act;
	socklen_t len = sizeof(sa);
	long accepted = 0;
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FILE *f;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
		return perror("server"), 2;
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_term;       /* no SA_RESTART: accept() returns */
	sigaction(SIGTERM, &act, NULL);
	f = fopen(portfile, "w");
	if (!f)
		return perror(portfile), 2;
	fprintf(f, "%u\n", ntohs(sa.sin_port));
	fclose(f);
	while (!term) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		accepted++;
		if (write(fd, MAGIC, 4) != 4) {
			/* the client may be gone: abandoned connects */
		}
		close(fd);
	}
	printf("accepted %ld\n", accepted);
	return 0;
}

static int child(void)
{
	int fd = socket(dst->ai_family, SOCK_STREAM, 0);
	int err = fd < 0 ? errno : connect_done(fd, 0);

	if (!err)
		err = read_magic(fd);
	return err ? 3 : 0;
}

int main(int argc, char **argv)
{
	struct addrinfo hints;
	pthread_t tcl, tsp, tsg, tep, tdu;
	int opt, restart = 0, fds_before, fds_after, mode_child = 0, total;
	long t0, settle;

	while ((opt = getopt(argc, argv, "S:ct:n:Rqd:")) != -1) {
		switch (opt) {
		case 'S': return server(optarg);
		case 'c': mode_child = 1; break;
		case 't': nthreads = atoi(optarg); break;
		case 'n': nconnects = atoi(optarg); break;
		case 'R': restart = 1; break;
		case 'q': quiet = 1; break;
		case 'd': close_us = atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || nthreads < 1 || nthreads > MAX_THREADS || nconnects < 1 ||
	    close_us < 1 || close_us > 999999) {
		fprintf(stderr, "usage: stress [-t N] [-n N] [-R] [-q] [-d US] HOST PORT | -c HOST PORT"
			" | -S PORTFILE\n");
		return 2;
	}
	host_arg = argv[optind];
	port_arg = argv[optind + 1];
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host_arg, port_arg, &hints, &dst))
		return 2;
	if (mode_child)
		return child();
	self_path = "/proc/self/exe";
	{
		static char path[4096];
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

		if (n > 0) {
			path[n] = 0;
			self_path = path;
		}
	}
	sig_fd = socket(dst->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sig_fd >= 0 && connect_done(sig_fd, 0)) {
		close(sig_fd);
		sig_fd = -1;
	}
	fds_before = count_fds();
	t0 = now_ms();
	handlers(restart);
	pthread_create(&tcl, NULL, closer, NULL);
	for (long i = 0; i < nthreads; i++)
		pthread_create(&workers[i], NULL, worker, (void *)i);
	pthread_create(&tsp, NULL, spawner, NULL);
	pthread_create(&tsg, NULL, signaller, NULL);
	pthread_create(&tep, NULL, epoller, NULL);
	pthread_create(&tdu, NULL, duper, NULL);
	/* The signaller targets workers: stop it before any is joined. */
	while (atomic_load(&done_workers) < nthreads) {
		struct timespec ts = { 0, 10000000 };

		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, true);
	pthread_join(tsg, NULL);
	for (int i = 0; i < nthreads; i++)
		pthread_join(workers[i], NULL);
	pthread_join(tsp, NULL);
	pthread_join(tep, NULL);
	pthread_join(tdu, NULL);
	pthread_mutex_lock(&qlock);
	pthread_cond_broadcast(&qcond);
	pthread_mutex_unlock(&qlock);
	pthread_join(tcl, NULL);
	{
		struct itimerval off = { { 0, 0 }, { 0, 0 } };

		setitimer(ITIMER_REAL, &off, NULL);
	}
	/* Abandoned handshakes end on their own, within the handshake deadline. */
	settle = now_ms();
	while ((fds_after = count_fds()) != fds_before && now_ms() - settle < 12000) {
		struct timespec ts = { 0, 50000000 };

		nanosleep(&ts, NULL);
	}
	if (fds_after != fds_before) {
		/* what leaked, for the report: each descriptor and what it is */
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;
		char path[300], to[256];

		while (d && (e = readdir(d))) {
			ssize_t n;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
			n = readlink(path, to, sizeof(to) - 1);
			to[n > 0 ? n : 0] = 0;
			{
				struct sockaddr_in la = { 0 }, pa = { 0 };
				socklen_t ll = sizeof(la), pl = sizeof(pa);
				int fd = atoi(e->d_name);

				getsockname(fd, (struct sockaddr *)&la, &ll);
				getpeername(fd, (struct sockaddr *)&pa, &pl);
				fprintf(stderr, "fd %s -> %s (local port %d, peer port %d)\n",
					e->d_name, to, ntohs(la.sin_port), ntohs(pa.sin_port));
			}
		}
		if (d)
			closedir(d);
	}
	total = nthreads * nconnects;
	printf("connects=%d ok=%d abandoned=%d failed=%d children=%d child_failed=%d "
	       "signals=%d fds_before=%d fds_after=%d settle_ms=%ld ms=%ld "
	       "fork=%d vfork=%d spawn=%d epctl=%d dupok=%d vfork_close=%d\n", total,
	       atomic_load(&ok), atomic_load(&abandoned), atomic_load(&failed),
	       atomic_load(&children), atomic_load(&child_failed), atomic_load(&nsig),
	       fds_before, fds_after, now_ms() - settle, now_ms() - t0,
	       atomic_load(&kind_ok[0]), atomic_load(&kind_ok[1]), atomic_load(&kind_ok[2]),
	       atomic_load(&epctl), atomic_load(&dupok), atomic_load(&kind_ok[3]));
	freeaddrinfo(dst);
	return atomic_load(&failed) || atomic_load(&child_failed) ||
	       atomic_load(&ok) + atomic_load(&abandoned) != total ||
	       fds_after != fds_before ? 1 : 0;
}
