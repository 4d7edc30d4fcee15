/*
 * pending.c - handshakes of non-blocking connects, run by worker threads.
 * See include/socksify/async.h for what the program sees meanwhile.
 *
 * One detached thread per pending handshake: the handshake code stays the
 * simple deadline-bound one of the blocking path, and 100 handshakes run
 * as concurrently as one.  Threads are created only when a program makes
 * its first non-blocking proxied connect, with all signals blocked so the
 * program's handlers never run on them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socksify/async.h"
#include "socksify/client.h"
#include "socksify/gssapi.h"
#include "socksify/runtime.h"

enum { P_RUNNING, P_OK, P_FAILED };

struct pending {
	struct pending *next;
	int fd;                 /* the program's descriptor */
	dev_t dev;
	ino_t ino;
	int wfd;                /* the worker's dup of it */
	int efd;                /* eventfd, readable when done */
	int state;
	int err;                /* for SO_ERROR, when P_FAILED */
	int refs;               /* the worker and poll hooks */
	bool closed;            /* the program closed fd */
	struct sx_conn conn;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending *list;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* In a child after fork() there is no worker: its pending handshakes fail. */
static void child_after_fork(void)
{
	struct pending *p;

	for (p = list; p; p = p->next) {
		if (p->state != P_RUNNING)
			continue;
		p->state = P_FAILED;
		p->err = ECONNABORTED;
		p->refs = 0;
		if (!p->closed)
			sx_fd_flags_set(p->fd, SX_FD_ASYNCERR, SX_FD_PENDING);
	}
	pthread_mutex_unlock(&lock);
}

static void prepare(void) { pthread_mutex_lock(&lock); }
static void parent(void) { pthread_mutex_unlock(&lock); }
static void atfork_register(void)
{
	sx_fdtable_atfork_init();       /* its child handler must run first */
	pthread_atfork(prepare, parent, child_after_fork);
}

/* The record for fd that still names the same socket.  Lock held. */
static struct pending *find(int fd)
{
	struct pending *p;
	struct stat st;
	bool have_st = false;

	for (p = list; p; p = p->next) {
		if (p->fd != fd || p->closed)
			continue;
		if (!have_st) {
			if (fstat(fd, &st) < 0)
				return NULL;
			have_st = true;
		}
		if (p->dev == st.st_dev && p->ino == st.st_ino)
			return p;
	}
	return NULL;
}

/* Free p if nobody needs it any more.  Lock held. */
static void maybe_free(struct pending *p)
{
	struct pending **pp;

	if (p->refs > 0)
		return;
	if (p->efd >= 0) {
		sx_real.close(p->efd);
		p->efd = -1;
	}
	if (p->state == P_RUNNING || (p->state == P_FAILED && !p->closed && p->err))
		return;
	for (pp = &list; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	free(p);
}

static void *worker(void *arg)
{
	struct pending *p = arg;
	uint64_t one = 1;
	int rc;
	bool closed;

	sx_guard++;
	rc = sx_conn_finish(&p->conn, p->wfd);
	pthread_mutex_lock(&lock);
	p->state = rc == 0 ? P_OK : P_FAILED;
	p->err = rc == 0 ? 0 : (p->conn.f.err ? p->conn.f.err : ECONNREFUSED);
	closed = p->closed;
	if (!closed) {
		if (rc == 0)
			sx_conn_record(&p->conn, p->fd);
		if (rc == 0 && (sx_fd_flags(p->wfd) & SX_FD_GSS))
			sx_gss_move(p->wfd, p->fd);     /* before it is readable */
		sx_fd_flags_set(p->fd, rc == 0 ? 0 : SX_FD_ASYNCERR,
				SX_FD_PENDING);
	}
	pthread_mutex_unlock(&lock);

	sx_conn_report(&p->conn, rc);
	if (!closed)
		sx_epoll_mask(p->fd, false);     /* wakes epoll_wait */
	if (write(p->efd, &one, sizeof(one)) < 0) {
		/* cannot happen with a fresh eventfd; pollers re-check state */
	}
	if (sx_fd_flags(p->wfd) & SX_FD_GSS)
		sx_gss_close(p->wfd);           /* closed meanwhile, or failed */
	sx_real.close(p->wfd);

	pthread_mutex_lock(&lock);
	p->refs--;
	maybe_free(p);
	pthread_mutex_unlock(&lock);
	sx_guard--;
	return NULL;
}

static int start_worker(struct pending *p)
{
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, &attr, worker, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

int sx_async_connect(int fd, const struct sockaddr *dst, socklen_t dstlen)
{
	struct pending *p;
	struct stat st;
	int rc;

	pthread_once(&atfork_once, atfork_register);
	sx_guard++;
	p = calloc(1, sizeof(*p));
	if (!p) {
		sx_guard--;
		errno = ENOBUFS;
		return -1;
	}
	rc = sx_conn_begin(&p->conn, fd, dst, dstlen);
	if (rc == 0) {
		p->fd = fd;
		p->wfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (p->wfd < 0 || p->efd < 0 || fstat(fd, &st) < 0) {
			rc = -1;
			p->conn.f.err = errno;
			snprintf(p->conn.f.why, sizeof(p->conn.f.why),
				 "cannot start the handshake: %s", strerror(errno));
			sx_conn_end(&p->conn, -1, fd);
		}
	}
	if (rc < 0) {
		if (p->wfd > 0)
			sx_real.close(p->wfd);
		if (p->efd > 0)
			sx_real.close(p->efd);
		rc = sx_conn_report(&p->conn, -1);
		free(p);
		sx_guard--;
		return rc;
	}
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->state = P_RUNNING;
	p->refs = 1;

	pthread_mutex_lock(&lock);
	p->next = list;
	list = p;
	sx_fd_flags_set(fd, SX_FD_PENDING, SX_FD_ASYNCERR);
	pthread_mutex_unlock(&lock);
	sx_epoll_mask(fd, true);

	if (start_worker(p) != 0) {
		/* No thread: finish here, within the deadline. */
		worker(p);
		sx_guard--;
		return sx_async_reconnect(fd, &rc) ? rc : 0;
	}
	sx_guard--;
	errno = EINPROGRESS;
	return -1;
}

bool sx_async_reconnect(int fd, int *ret)
{
	struct pending *p;
	bool answered = false;

	pthread_mutex_lock(&lock);
	p = find(fd);
	if (p && p->state == P_RUNNING) {
		*ret = -1;
		errno = EALREADY;
		answered = true;
	} else if (p && p->state == P_FAILED && p->err) {
		/* As the kernel does: the next connect() reports the failure. */
		*ret = -1;
		errno = p->err;
		p->err = 0;
		sx_fd_flags_set(fd, 0, SX_FD_ASYNCERR);
		maybe_free(p);
		answered = true;
	}
	pthread_mutex_unlock(&lock);
	return answered;
}

int sx_async_waitfd(int fd, void **ref)
{
	struct pending *p;
	int efd = -1;

	pthread_mutex_lock(&lock);
	p = find(fd);
	if (p && p->state == P_RUNNING && p->efd >= 0) {
		p->refs++;
		*ref = p;
		efd = p->efd;
	}
	pthread_mutex_unlock(&lock);
	return efd;
}

void sx_async_unref(void *ref)
{
	struct pending *p = ref;

	pthread_mutex_lock(&lock);
	p->refs--;
	maybe_free(p);
	pthread_mutex_unlock(&lock);
}

/*
 * While the handshake runs, SO_ERROR is 0, as for a connect in progress,
 * unless the socket already shows an error or hang-up (the handshake is
 * failing): then wait for the worker, which ends at once, and report its
 * errno rather than let the program consume the kernel's.
 */
static void wait_if_failing(struct pending *p, int fd)
{
	struct pollfd s = { .fd = fd, .events = 0 };
	struct pollfd e = { .fd = p->efd, .events = POLLIN };
	int64_t deadline = sx_now_ms() + p->conn.hto + 1000;

	if (sx_real.poll(&s, 1, 0) <= 0 || !(s.revents & (POLLERR | POLLHUP)))
		return;
	while (sx_real.poll(&e, 1, 100) == 0 && sx_now_ms() < deadline) {
	}
}

bool sx_async_take_error(int fd, int *err)
{
	struct pending *p;
	bool answered = false;

	pthread_mutex_lock(&lock);
	p = find(fd);
	if (p && p->state == P_RUNNING && p->efd >= 0) {
		p->refs++;
		pthread_mutex_unlock(&lock);
		wait_if_failing(p, fd);
		pthread_mutex_lock(&lock);
		p->refs--;
	}
	if (p && p->state == P_RUNNING) {
		*err = 0;       /* still in progress, as the kernel says */
		answered = true;
	} else if (p && p->state == P_FAILED && p->err) {
		*err = p->err;
		p->err = 0;
		sx_fd_flags_set(fd, 0, SX_FD_ASYNCERR);
		answered = true;
	}
	if (p)
		maybe_free(p);
	pthread_mutex_unlock(&lock);
	return answered;
}

void sx_async_forget(int fd)
{
	struct pending *p, *next;

	pthread_mutex_lock(&lock);
	for (p = list; p; p = next) {
		next = p->next;
		if (p->fd == fd && !p->closed) {
			p->closed = true;
			maybe_free(p);
		}
	}
	sx_fd_flags_set(fd, 0, SX_FD_PENDING | SX_FD_ASYNCERR);
	pthread_mutex_unlock(&lock);
}
