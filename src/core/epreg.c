/*
 * epreg.c - the program's epoll registrations of TCP sockets, so that a
 * socket whose handshake is running can be masked to no events and
 * restored when it ends.  Restoring is an EPOLL_CTL_MOD, which re-checks
 * readiness and wakes epoll_wait, for level- and edge-triggered
 * registrations alike.  An EPOLLEXCLUSIVE registration cannot be
 * modified: it is masked by taking it out of the set (EPOLL_CTL_DEL) and
 * restored by adding it again; meanwhile the program's own epoll_ctl on it
 * is answered as the kernel would answer for the registration it made.
 *
 * Only TCP sockets (the only ones with handshakes or GSS-API layers) are
 * recorded: an epoll_ctl ADD of anything else costs one fstat, and its
 * close() stays one lock-free load.  Registrations are kept per
 * descriptor with the socket's identity; close() of the socket or of the
 * epoll instance drops them, and close() of a pending socket's last
 * descriptor also takes them out of the kernel's sets (the worker's
 * duplicate would keep them alive).  Nothing is freed on the close path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "socksify/real.h"
#include "socksify/registry.h"
#include "reg_int.h"

struct reg {
	int epfd;
	uint32_t events;
	epoll_data_t data;
	dev_t dev;
	ino_t ino;
	bool out;               /* EPOLLEXCLUSIVE, taken out while masked */
	bool fired;             /* ET/ONESHOT: a synthetic event was given
				 * since the program's last ADD/MOD */
};

struct reglist {
	int fd;
	int n, cap;
	struct reglist *next;   /* hash chain */
	struct reg r[];
};

#define NBUCKETS 1024
static struct reglist *buckets[NBUCKETS];   /* lock held */

/* Events that make a registration report readiness; the rest are modes. */
#define READY_EVENTS (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | \
		      EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | \
		      EPOLLMSG)

static struct reglist *find_list(int fd)
{
	struct reglist *l = buckets[(unsigned)fd % NBUCKETS];

	while (l && l->fd != fd)
		l = l->next;
	return l;
}

/* Room for one more registration of fd (lists are kept, never freed). */
static struct reglist *grow_list(int fd)
{
	struct reglist **pp = &buckets[(unsigned)fd % NBUCKETS], *l, *nl;
	int cap;

	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	l = *pp;
	if (l && l->n < l->cap)
		return l;
	cap = l ? l->cap * 2 : 2;
	nl = realloc(l, sizeof(*l) + (size_t)cap * sizeof(l->r[0]));
	if (!nl)
		return NULL;
	if (!l) {
		nl->fd = fd;
		nl->n = 0;
		nl->next = NULL;
	}
	nl->cap = cap;
	*pp = nl;
	return nl;
}

static bool is_tcp(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;
	int type = 0, domain = 0;
	socklen_t len = sizeof(int);

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    sx_real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return false;
	len = sizeof(int);
	if (sx_real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    (domain != AF_INET && domain != AF_INET6))
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return true;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* epoll_ctl for a recorded (or to be recorded) TCP socket.  Lock held. */
static int ctl_locked(int epfd, int op, int fd, struct epoll_event *ev,
		      dev_t dev, ino_t ino)
{
	struct reglist *l = find_list(fd);
	struct epoll_event masked;
	bool pending = sx_fd_flags(fd) & SX_FD_PENDING;
	int i, rc, saved;

	for (i = 0; l && i < l->n; i++)
		if (l->r[i].epfd == epfd)
			break;
	if (l && i < l->n && l->r[i].out) {
		/* An exclusive registration we took out meanwhile. */
		if (op == EPOLL_CTL_DEL) {
			l->r[i] = l->r[--l->n];
			return 0;
		}
		return fail(op == EPOLL_CTL_ADD ? EEXIST : EINVAL);
	}
	if (op == EPOLL_CTL_ADD && ev && pending && (ev->events & EPOLLEXCLUSIVE)) {
		rc = 0;         /* added when the handshake ends */
	} else if (ev && op != EPOLL_CTL_DEL && pending) {
		masked = *ev;
		masked.events &= ~(uint32_t)READY_EVENTS;
		rc = sx_real.epoll_ctl(epfd, op, fd, &masked);
	} else {
		rc = sx_real.epoll_ctl(epfd, op, fd, ev);
	}
	if (rc < 0)
		return rc;
	saved = errno;
	if (op == EPOLL_CTL_DEL) {
		if (l && i < l->n)
			l->r[i] = l->r[--l->n];
	} else if (ev && (op == EPOLL_CTL_MOD || op == EPOLL_CTL_ADD)) {
		if (!l || i == l->n) {
			if (!(l = grow_list(fd)))
				return 0;       /* unrecorded: never masked */
			i = l->n++;
		}
		l->r[i] = (struct reg){ .epfd = epfd, .events = ev->events,
					.data = ev->data, .dev = dev, .ino = ino,
					.out = pending &&
					       (ev->events & EPOLLEXCLUSIVE) };
		sx_regi_flags(fd, SX_FD_EPREG, 0);
		sx_regi_flags(epfd, SX_FD_EPOLL, 0);
		if (pending && op == EPOLL_CTL_ADD)
			sx_drivei_added(fd);
	}
	errno = saved;
	return rc;
}

int sx_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	dev_t dev = 0;
	ino_t ino = 0;
	int rc;

	sx_real_init();
	/* Not a TCP socket, or not recorded: libc, no lock. */
	if (op == EPOLL_CTL_ADD ? !is_tcp(fd, &dev, &ino) :
	    !(sx_fd_flags(fd) & SX_FD_EPREG))
		return sx_real.epoll_ctl(epfd, op, fd, ev);
	if (op == EPOLL_CTL_MOD && sx_reg_identity(fd, &dev, &ino) < 0)
		return sx_real.epoll_ctl(epfd, op, fd, ev);
	sx_reg_lock();
	rc = ctl_locked(epfd, op, fd, ev, dev, ino);
	sx_reg_unlock();
	return rc;
}

void sx_epolli_mask(int fd, dev_t dev, ino_t ino, bool mask)
{
	struct reglist *l = find_list(fd);
	dev_t cdev;
	ino_t cino;
	int i, saved = errno;

	if (!l || !l->n || sx_reg_identity(fd, &cdev, &cino) < 0 ||
	    cdev != dev || cino != ino)
		return;         /* the number names something else now */
	for (i = 0; i < l->n; i++) {
		struct reg *r = &l->r[i];
		struct epoll_event ev = { .events = r->events, .data = r->data };

		if (r->dev != dev || r->ino != ino)
			continue;
		if (r->events & EPOLLEXCLUSIVE) {
			if (mask && !r->out)
				r->out = sx_real.epoll_ctl(r->epfd, EPOLL_CTL_DEL,
							   fd, NULL) == 0;
			else if (!mask && r->out) {
				sx_real.epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev);
				r->out = false;
			}
			continue;
		}
		if (mask)
			ev.events &= ~(uint32_t)READY_EVENTS;
		sx_real.epoll_ctl(r->epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	errno = saved;
}

int sx_epolli_sets(int fd, dev_t dev, ino_t ino, int *sets, int n, int max)
{
	struct reglist *l = find_list(fd);

	for (int i = 0; l && i < l->n && n < max; i++) {
		int j;

		if (l->r[i].dev != dev || l->r[i].ino != ino)
			continue;
		for (j = 0; j < n && sets[j] != l->r[i].epfd; j++) {
		}
		if (j == n)
			sets[n++] = l->r[i].epfd;
	}
	return n;
}

void sx_epolli_forget(int fd, bool del)
{
	unsigned flags = sx_fd_flags(fd);
	struct reglist *l;
	unsigned b;
	int i;

	if ((flags & SX_FD_EPREG) && (l = find_list(fd))) {
		for (i = 0; del && i < l->n; i++)
			if (!l->r[i].out)
				sx_real.epoll_ctl(l->r[i].epfd, EPOLL_CTL_DEL, fd, NULL);
		l->n = 0;
	}
	/* An epoll instance closing: its registrations go with it. */
	for (b = 0; (flags & SX_FD_EPOLL) && b < NBUCKETS; b++)
		for (l = buckets[b]; l; l = l->next)
			for (i = 0; i < l->n;)
				if (l->r[i].epfd == fd)
					l->r[i] = l->r[--l->n];
				else
					i++;
	sx_regi_flags(fd, 0, SX_FD_EPREG | SX_FD_EPOLL);
}

/* The registration of fd in epfd.  Lock held. */
static struct reg *find_reg(int fd, int epfd)
{
	struct reglist *l = find_list(fd);

	for (int i = 0; l && i < l->n; i++)
		if (l->r[i].epfd == epfd)
			return &l->r[i];
	return NULL;
}

/*
 * Events for the registrations in epfd whose descriptor has data the
 * library holds (ready(fd)), e.g. plaintext a GSS-API layer decoded: the
 * kernel cannot report it.  A level-triggered registration gets it at
 * every call, as the kernel reports data it holds.  An EPOLLET or
 * EPOLLONESHOT one gets at most one per EPOLL_CTL_ADD or _MOD (the kernel
 * too re-checks readiness only then; an edge-triggered program reads until
 * EAGAIN, which drains what the library holds), and a EPOLLONESHOT one is
 * disarmed in the kernel too when it fires; so with either only one of the
 * threads in epoll_wait sees it.  ready() runs without the lock (it may wait for a reader).  Returns
 * how many events were written into out.
 */
#define MAXSYNTH 64

int sx_epoll_synth(int epfd, struct epoll_event *out, int max,
		   bool (*ready)(int fd), unsigned flag)
{
	struct { int fd; } cand[MAXSYNTH];
	struct reglist *l;
	struct reg *r;
	unsigned b;
	int i, nc = 0, n = 0;

	if (max > MAXSYNTH)
		max = MAXSYNTH;
	sx_reg_lock();
	for (b = 0; b < NBUCKETS && nc < max; b++) {
		for (l = buckets[b]; l && nc < max; l = l->next) {
			if (!(sx_fd_flags(l->fd) & flag))
				continue;
			for (i = 0; i < l->n && nc < max; i++)
				if (l->r[i].epfd == epfd && (l->r[i].events & EPOLLIN))
					cand[nc++].fd = l->fd;
		}
	}
	sx_reg_unlock();
	for (i = 0; i < nc; i++) {
		bool has = ready(cand[i].fd);

		sx_reg_lock();
		if ((r = find_reg(cand[i].fd, epfd)) && (r->events & EPOLLIN)) {
			bool once = r->events & (EPOLLET | EPOLLONESHOT);

			if (has && (!once || !r->fired)) {
				r->fired = once;
				out[n].events = EPOLLIN;
				out[n++].data = r->data;
				if (r->events & EPOLLONESHOT) {
					struct epoll_event off = {
						.events = r->events & ~(uint32_t)READY_EVENTS,
						.data = r->data };

					sx_real.epoll_ctl(epfd, EPOLL_CTL_MOD,
							  cand[i].fd, &off);
				}
			}
		}
		sx_reg_unlock();
	}
	return n;
}
