/*
 * epreg.c - the program's epoll registrations, so that a socket whose
 * handshake is running can be masked to no events and restored when it
 * ends.  Restoring is an EPOLL_CTL_MOD, which re-checks readiness and
 * wakes epoll_wait, for level- and edge-triggered registrations alike.
 *
 * Registrations are kept per descriptor (a socket may be registered
 * before connect()).  close() of either the socket or the epoll instance
 * drops them (SX_FD_EPREG / SX_FD_EPOLL make that check lock-free).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/async.h"
#include "socksify/runtime.h"

struct reg {
	int epfd;
	uint32_t events;
	epoll_data_t data;
};

struct reglist {
	int fd;
	int n, cap;
	struct reglist *next;   /* hash chain */
	struct reg r[];
};

#define NBUCKETS 1024
static struct reglist *buckets[NBUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void prepare(void) { pthread_mutex_lock(&lock); }
static void release(void) { pthread_mutex_unlock(&lock); }
static void atfork_register(void) { pthread_atfork(prepare, release, release); }

/* Events that make a registration report readiness; the rest are modes. */
#define READY_EVENTS (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | \
		      EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | \
		      EPOLLMSG)

static struct reglist **slot(int fd)
{
	struct reglist **pp = &buckets[(unsigned)fd % NBUCKETS];

	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	return pp;
}

static void remove_reg(struct reglist **pp, int i)
{
	struct reglist *l = *pp;

	l->r[i] = l->r[--l->n];
	if (l->n == 0) {
		*pp = l->next;
		free(l);
	}
}

static void record(int epfd, int op, int fd, const struct epoll_event *ev)
{
	struct reglist **pp = slot(fd), *l = *pp;
	int i;

	for (i = 0; l && i < l->n; i++)
		if (l->r[i].epfd == epfd)
			break;
	if (op == EPOLL_CTL_DEL) {
		if (l && i < l->n)
			remove_reg(pp, i);
		return;
	}
	if (!ev)
		return;
	if (!l || i == l->n) {
		if (!l || l->n == l->cap) {
			int cap = l ? l->cap * 2 : 2;
			struct reglist *nl = realloc(l, sizeof(*l) +
						     (size_t)cap * sizeof(l->r[0]));

			if (!nl)
				return;
			if (!l) {
				nl->fd = fd;
				nl->n = 0;
				nl->next = NULL;
				*pp = nl;
			} else {
				*pp = nl;
			}
			nl->cap = cap;
			l = nl;
		}
		i = l->n++;
		sx_fd_flags_set(fd, SX_FD_EPREG, 0);
		sx_fd_flags_set(epfd, SX_FD_EPOLL, 0);
	}
	l->r[i].epfd = epfd;
	l->r[i].events = ev->events;
	l->r[i].data = ev->data;
}

int sx_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct epoll_event masked;
	int rc;

	pthread_once(&atfork_once, atfork_register);
	pthread_mutex_lock(&lock);
	if (ev && (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) &&
	    (sx_fd_flags(fd) & SX_FD_PENDING) && !(ev->events & EPOLLEXCLUSIVE)) {
		masked = *ev;
		masked.events &= ~(uint32_t)READY_EVENTS;
		rc = sx_real.epoll_ctl(epfd, op, fd, &masked);
	} else {
		rc = sx_real.epoll_ctl(epfd, op, fd, ev);
	}
	if (rc == 0) {
		int saved = errno;

		record(epfd, op, fd, ev);
		errno = saved;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void sx_epoll_mask(int fd, bool mask)
{
	struct reglist *l;
	int i, saved = errno;

	pthread_mutex_lock(&lock);
	l = *slot(fd);
	for (i = 0; l && i < l->n; i++) {
		struct epoll_event ev = { .events = l->r[i].events,
					  .data = l->r[i].data };

		if (ev.events & EPOLLEXCLUSIVE)
			continue;       /* cannot be modified; never masked */
		if (mask)
			ev.events &= ~(uint32_t)READY_EVENTS;
		sx_real.epoll_ctl(l->r[i].epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	pthread_mutex_unlock(&lock);
	errno = saved;
}

void sx_epoll_forget(int fd)
{
	unsigned flags = sx_fd_flags(fd);
	struct reglist **pp;
	unsigned b;
	int i;

	pthread_mutex_lock(&lock);
	if (flags & SX_FD_EPREG) {
		pp = slot(fd);
		if (*pp) {
			struct reglist *l = *pp;

			*pp = l->next;
			free(l);
		}
	}
	/* An epoll instance closing: its registrations go with it. */
	for (b = 0; (flags & SX_FD_EPOLL) && b < NBUCKETS; b++) {
		for (pp = &buckets[b]; *pp;) {
			struct reglist *l = *pp;

			for (i = 0; i < l->n;)
				if (l->r[i].epfd == fd)
					l->r[i] = l->r[--l->n];
				else
					i++;
			if (l->n == 0) {
				*pp = l->next;
				free(l);
			} else {
				pp = &l->next;
			}
		}
	}
	sx_fd_flags_set(fd, 0, SX_FD_EPREG | SX_FD_EPOLL);
	pthread_mutex_unlock(&lock);
}

/*
 * Events for the registrations in epfd whose descriptor has data the
 * library holds (ready(fd)), e.g. plaintext a GSS-API layer decoded: the
 * kernel cannot report it.  Returns how many were written into out.
 */
int sx_epoll_synth(int epfd, struct epoll_event *out, int max,
		   bool (*ready)(int fd), unsigned flag)
{
	struct reglist *l;
	unsigned b;
	int i, n = 0;

	pthread_mutex_lock(&lock);
	for (b = 0; b < NBUCKETS && n < max; b++) {
		for (l = buckets[b]; l && n < max; l = l->next) {
			if (!(sx_fd_flags(l->fd) & flag))
				continue;
			for (i = 0; i < l->n && n < max; i++) {
				if (l->r[i].epfd != epfd ||
				    !(l->r[i].events & EPOLLIN) || !ready(l->fd))
					continue;
				out[n].events = EPOLLIN;
				out[n].data = l->r[i].data;
				n++;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return n;
}
