/*
 * pending.c - handshakes of non-blocking connects, run in the background.
 * connect() on a non-blocking socket returns EINPROGRESS at once, and the
 * socket looks "connecting" to the program until the handshake is done:
 *
 *   poll/ppoll/select/pselect  wait on an eventfd instead of the socket
 *                              (src/hook/poll.c);
 *   epoll                      registrations of the socket are masked to no
 *                              events, and restored (EPOLL_CTL_MOD, which
 *                              wakes epoll_wait) when the handshake ends
 *                              (src/core/epreg.c);
 *   getsockopt(SO_ERROR)       gives the SOCKS failure's errno;
 *   connect() again            EALREADY while running;
 *   read/write/send/recv       EAGAIN while running (src/hook/io.c).
 *
 * The handshake itself is the layer above's (struct sx_pend_ops in
 * include/socksify/registry.h); this file only runs it, on a duplicate of
 * the socket, so a program that closes its descriptor (and reuses the
 * number) never has bytes written elsewhere.
 *
 * A record belongs to the socket (its identity), not to a descriptor: it
 * lists the program's descriptors of it (dup, dup2, F_DUPFD add one, close
 * drops one), and when the last is closed while the handshake runs, the
 * handshake ends (shutdown of the worker's duplicate) and the socket's
 * epoll registrations go, as the kernel would drop them.
 *
 * The handshake code stays the deadline-bound one of the blocking path.
 * It runs as a fiber of the process's one event-loop thread
 * (src/core/fiber.c): its waits (sx_wire_wait) yield to the loop, so any
 * number of pending handshakes cost one thread.  A handshake that may
 * block outside those waits (ops->needs_thread: GSS-API, where Heimdal
 * asks the KDC with blocking calls and would stall every other handshake
 * of the loop) gets one detached thread of its own, as does any handshake
 * when no fiber can be had (no memory for a stack, no loop thread); with
 * no thread either, it runs here, within its deadline.  Threads start
 * with all signals blocked; done and attach run on the loop thread or the
 * worker.  The duplicate of the socket and the eventfd live at high
 * descriptor numbers, close-on-exec, and are closed in a fork child,
 * whose loop starts afresh.
 * Everything runs under the registry lock; nothing here is freed on the
 * close path (records go to a list freed by the next worker).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socksify/fiber.h"
#include "socksify/real.h"
#include "socksify/registry.h"
#include "pend_int.h"
#include "reg_int.h"

struct pending *sx_pend_list;                   /* lock held */
static struct pending *graveyard;       /* unlinked, freed by a worker */

static void bury_list(struct pending *p)
{
	struct pending *next;

	for (; p; p = next) {
		next = p->next;
		if (p->discarded && p->ops->release)
			p->ops->release(p->job);
		free(p);
	}
}

static void bury(void)
{
	struct pending *p;

	sx_reg_lock();
	p = graveyard;
	graveyard = NULL;
	sx_reg_unlock();
	bury_list(p);
}

/* The record of fd's socket, if fd is one of its descriptors.  Lock held. */
struct pending *sx_pendi_find(int fd)
{
	struct pending *p;
	dev_t dev;
	ino_t ino;
	int i;

	if (sx_reg_identity(fd, &dev, &ino) < 0)
		return NULL;
	for (p = sx_pend_list; p; p = p->next) {
		if (p->dev != dev || p->ino != ino)
			continue;
		for (i = 0; i < p->nfds; i++)
			if (p->fds[i] == fd)
				return p;
	}
	return NULL;
}

/* Unlink p if nobody needs it any more.  Lock held. */
void sx_pendi_maybe_free(struct pending *p)
{
	struct pending **pp;

	if (p->refs > 0 || p->state == P_RUNNING ||
	    (p->state == P_FAILED && p->nfds > 0 && p->err))
		return;
	if (p->efd >= 0) {
		sx_real.close(p->efd);
		p->efd = -1;
	}
	for (pp = &sx_pend_list; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	p->next = graveyard;
	graveyard = p;
}

static void set_flags(struct pending *p, unsigned set, unsigned clear)
{
	for (int i = 0; i < p->nfds; i++)
		sx_regi_flags(p->fds[i], set, clear);
}

/* The caller raises sx_guard: a thread (worker_thread), the loop thread,
 * or a driver (drive.c). */
void *sx_pendi_worker(void *arg)
{
	struct pending *p = arg;
	uint64_t one = 1;
	int err, i, nfds, fds[MAXFDS];

	err = p->ops->run(p->job, p->wfd);
	sx_reg_lock();
	if (p->state == P_RUNNING) {            /* not failed by a fork */
		p->state = err ? P_FAILED : P_OK;
		p->err = err;
		for (i = 0; !err && i < p->nfds; i++)
			p->ops->attach(p->job, p->wfd, p->fds[i], i);
		set_flags(p, err ? SX_FD_ASYNCERR : 0, SX_FD_PENDING);
	}
	nfds = p->nfds;
	memcpy(fds, p->fds, sizeof(fds));
	if (p->inl)
		sx_drivei_disarm(p);
	/* Restore the program's epoll registrations (wakes epoll_wait). */
	for (i = 0; i < nfds; i++)
		sx_epolli_mask(fds[i], p->dev, p->ino, false);
	sx_reg_unlock();

	p->ops->done(p->job, p->wfd, err);
	p->job = NULL;
	if (p->efd >= 0 && sx_real.write(p->efd, &one, sizeof(one)) < 0) {
		/* cannot happen with a fresh eventfd; pollers re-check state */
	}
	sx_real.close(p->wfd);

	sx_reg_lock();
	p->wfd = -1;
	p->refs--;
	if (p->inl)
		atomic_fetch_sub(&sx_pend_live, 1);
	if (p->orphan)
		atomic_fetch_sub(&sx_pend_orphans, 1);
	p->orphan = false;
	sx_pendi_maybe_free(p);
	sx_reg_unlock();
	bury();
	return NULL;
}

static void *worker_thread(void *arg)
{
	SX_GUARD_SCOPE();
	return sx_pendi_worker(arg);
}

static int start_thread(struct pending *p)
{
	return sx_thread_start(worker_thread, p);
}

/* A fiber of the event loop (src/core/fiber.c); a thread for a handshake
 * that may block outside its waits (GSS-API), or when no fiber can be
 * had. */
static int start_worker(struct pending *p)
{
	if (!(p->ops->needs_thread && p->ops->needs_thread(p->job)) &&
	    sx_fiber_spawn(sx_pendi_worker, p) == 0)
		return 0;
	return start_thread(p);
}

int sx_pend_start(int fd, const struct sx_pend_ops *ops, void *job,
		  int timeout_ms, bool driven)
{
	struct pending *p = calloc(1, sizeof(*p)), *dead;
	struct sx_fiber *f = NULL;
	int rc, err = 0;

	sx_real_init();
	if (sx_pend_any_driven())
		sx_pend_service();      /* driven ones past their deadline */
	if (!p)
		return ops->abort(job, fd, ENOBUFS);
	/* the duplicate and the eventfd: not in the program's low numbers */
	p->wfd = sx_fd_dup_high(fd);
	p->efd = -1;
	if (p->wfd < 0 || sx_reg_identity(fd, &p->dev, &p->ino) < 0)
		err = errno;
	/* One lock for it all (each costs two system calls; the fiber's
	 * stack is taken under it, recursively, for free). */
	sx_reg_lock();
	dead = graveyard;       /* records closed since: freed below */
	graveyard = NULL;
	if (!err && driven && !(ops->needs_thread && ops->needs_thread(job)))
		f = sx_fiber_new(sx_pendi_worker, p);
	if (!err && !f) {
		if ((p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0)
			p->efd = sx_fd_high(p->efd);
		else
			err = errno;
	}
	if (err) {
		sx_reg_unlock();
		bury_list(dead);
		if (p->wfd >= 0)
			sx_real.close(p->wfd);
		free(p);
		return ops->abort(job, fd, err);
	}
	p->fds[0] = fd;
	p->nfds = 1;
	p->state = P_RUNNING;
	p->refs = 1;
	p->ops = ops;
	p->job = job;
	p->timeout_ms = timeout_ms;
	p->next = sx_pend_list;
	sx_pend_list = p;
	sx_regi_flags(fd, SX_FD_PENDING, SX_FD_ASYNCERR);
	sx_epolli_mask(fd, p->dev, p->ino, true);
	if (f)
		sx_drivei_adopt(p, f);
	sx_reg_unlock();
	bury_list(dead);

	if (f) {
		/* Its first step runs here; the program's calls drive the rest
		 * (src/core/drive.c). */
		if (!sx_drivei_step(p, 0))      /* over already */
			return sx_pend_reconnect(fd, &rc) ? rc : 0;
	} else if (start_worker(p) != 0) {
		/* No fiber, no thread: finish here, within the deadline. */
		worker_thread(p);
		return sx_pend_reconnect(fd, &rc) ? rc : 0;
	}
	errno = EINPROGRESS;
	return -1;
}

/* fd's record, lock held on return; a driven handshake is first taken as
 * far as it can go now (what it waits for is there, or its deadline has
 * passed). */
static struct pending *find_moved(int fd)
{
	struct pending *p;

	sx_reg_lock();
	p = sx_pendi_find(fd);
	if (!p || !p->inl || p->state != P_RUNNING || p->driving)
		return p;
	p->refs++;
	sx_reg_unlock();
	sx_drivei_advance(p);
	sx_reg_lock();
	p->refs--;
	sx_pendi_maybe_free(p);
	return sx_pendi_find(fd);
}

bool sx_pend_running(int fd)
{
	struct pending *p;
	bool running;

	p = find_moved(fd);
	running = p && p->state == P_RUNNING;
	if (!running)
		sx_regi_flags(fd, 0, SX_FD_PENDING);    /* stale */
	sx_reg_unlock();
	return running;
}

/* The failure, once (as the kernel reports it once).  Lock held. */
static int take_err(struct pending *p)
{
	int err = p->err;

	p->err = 0;
	set_flags(p, 0, SX_FD_ASYNCERR);
	sx_pendi_maybe_free(p);
	return err;
}

bool sx_pend_reconnect(int fd, int *ret)
{
	struct pending *p;
	bool answered = false;

	p = find_moved(fd);
	if (p && p->state == P_RUNNING) {
		*ret = -1;
		errno = EALREADY;
		answered = true;
	} else if (p && p->state == P_FAILED && p->err) {
		/* As the kernel does: the next connect() reports the failure. */
		*ret = -1;
		errno = take_err(p);
		answered = true;
	}
	sx_reg_unlock();
	return answered;
}

void *sx_pend_ref(int fd)
{
	struct pending *p;

	sx_reg_lock();
	p = sx_pendi_find(fd);
	if (p && p->state == P_RUNNING && (p->efd >= 0 || p->inl)) {
		p->refs++;
		p->pollers++;
	}
	else
		p = NULL;
	sx_reg_unlock();
	return p;
}

void sx_pend_unref(void *ref)
{
	struct pending *p = ref;

	sx_reg_lock();
	p->refs--;
	p->pollers--;
	sx_pendi_maybe_free(p);
	sx_reg_unlock();
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
	int64_t deadline = sx_mono_ms() + p->timeout_ms + 1000;

	if (sx_real.poll(&s, 1, 0) <= 0 || !(s.revents & (POLLERR | POLLHUP)))
		return;
	while (sx_real.poll(&e, 1, 100) == 0 && sx_mono_ms() < deadline) {
	}
}

bool sx_pend_take_error(int fd, int *err)
{
	struct pending *p;
	bool answered = false;

	p = find_moved(fd);
	if (p && p->state == P_RUNNING && p->efd >= 0) {
		p->refs++;
		sx_reg_unlock();
		wait_if_failing(p, fd);
		sx_reg_lock();
		p->refs--;
	}
	if (p && p->state == P_RUNNING) {
		*err = 0;       /* still in progress, as the kernel says */
		answered = true;
	} else if (p && p->state == P_FAILED && p->err) {
		*err = take_err(p);
		answered = true;
	} else if (p) {
		sx_pendi_maybe_free(p);
	}
	sx_reg_unlock();
	return answered;
}

bool sx_pendi_forget(int fd)
{
	struct pending *p;
	bool running = false;
	int i;

	for (p = sx_pend_list; p; p = p->next) {
		for (i = 0; i < p->nfds && p->fds[i] != fd; i++) {
		}
		if (i == p->nfds)
			continue;
		p->fds[i] = p->fds[--p->nfds];
		/* Its registrations are masked and, once the number is gone,
		 * could not be restored: they go (the caller). */
		running = p->state == P_RUNNING && p->wfd >= 0;
		if (p->nfds == 0 && running) {
			/* The program's last descriptor: end the handshake (the
			 * proxy sees the connection close), as close() would.
			 * A driven one is finished by the next driver (drive.c). */
			p->ops->cancel(p->job);
			shutdown(p->wfd, SHUT_RDWR);
			/* A driven one: dropped here if no thread runs it (no
			 * step of it on a close(), which a signal handler may
			 * make); else its driver ends it (drive.c). */
			if (p->inl && !sx_drivei_discard(p) &&
			    (p->orphan = true))
				atomic_fetch_add(&sx_pend_orphans, 1);
		}
		if (p->nfds == 0)
			sx_pendi_maybe_free(p);
		break;
	}
	sx_regi_flags(fd, 0, SX_FD_PENDING | SX_FD_ASYNCERR);
	return running;
}

void sx_pendi_dup(int oldfd, int newfd)
{
	struct pending *p = sx_pendi_find(oldfd);

	if (!p || p->nfds == MAXFDS)
		return;
	p->fds[p->nfds++] = newfd;
	sx_regi_flags(newfd, sx_fd_flags(oldfd) & (SX_FD_PENDING | SX_FD_ASYNCERR),
		      0);
}

/* In a child after fork() there is no worker: its pending handshakes fail,
 * and the worker's duplicate and the eventfd are closed (the proxy must
 * see the connection close when the parent closes it). */
void sx_pendi_child(void)
{
	struct pending *p;

	sx_fiber_child();
	atomic_store(&sx_pend_live, 0);
	atomic_store(&sx_pend_orphans, 0);
	for (p = sx_pend_list; p; p = p->next) {
		if (p->wfd >= 0)
			sx_real.close(p->wfd);
		p->wfd = -1;
		if (p->efd >= 0)
			sx_real.close(p->efd);
		p->efd = -1;
		p->refs = 0;
		p->job = NULL;          /* the parent's worker owns it */
		p->fib = NULL;          /* unmapped by sx_fiber_child */
		p->driving = false;
		p->narmed = 0;          /* the sets are the parent's too */
		if (p->state != P_RUNNING)
			continue;
		p->state = P_FAILED;
		p->err = ECONNABORTED;
		set_flags(p, SX_FD_ASYNCERR, SX_FD_PENDING);
	}
}
