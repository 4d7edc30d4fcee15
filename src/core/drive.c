/*
 * drive.c - handshakes of non-blocking connects driven by the program's
 * own calls (async_handshake inline, the default): no thread at all.
 *
 * The handshake runs as a fiber (src/core/fiber.c) that no loop owns.
 * connect() runs its first step (the connect to the proxy) and returns
 * EINPROGRESS; from then on whichever thread of the program asks about
 * the socket runs the next steps, on its own thread, for as long as what
 * the fiber waits for is there:
 *
 *   poll/ppoll/select/pselect  poll what the fiber waits for (the socket
 *                              to the proxy: POLLIN or POLLOUT) instead of
 *                              the program's events, and the eventfd that
 *                              says the handshake ended (another thread
 *                              may end it); the program's timeout is
 *                              kept, the handshake's deadline wakes it;
 *   epoll_wait and friends     the socket's duplicate is added to each
 *                              epoll set the program put the socket in,
 *                              with what the fiber waits for,
 *                              EPOLLONESHOT, and a tag (SX_PEND_TAG | the
 *                              record's address) in place of the
 *                              program's data; a tagged event drives the
 *                              handshake and never reaches the program.
 *                              The program's own registration stays
 *                              masked until the end (src/core/epreg.c);
 *   connect, getsockopt(SO_ERROR), read, write, getpeername: one step
 *                              first if it is due (src/core/pending.c).
 *
 * One thread at a time runs a fiber (driving, under the registry lock); a
 * fiber runs with every signal blocked and only between its waits, so a
 * driver returns to the program within one step of non-blocking I/O.
 * Any driver also finishes handshakes whose program closed the socket
 * (orphans) and times out those past their deadline (sx_pend_service).
 * A handshake that may block outside its waits (GSS-API) keeps a thread
 * (pending.c), as does any when no fiber can be had.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "socksify/fiber.h"
#include "socksify/real.h"
#include "socksify/registry.h"
#include "pend_int.h"
#include "reg_int.h"

#define MAXSTEPS 16             /* steps one advance runs at most */

atomic_int sx_pend_live, sx_pend_orphans;

static uint64_t tag_of(const struct pending *p)
{
	return SX_PEND_TAG | (uint64_t)(uintptr_t)p;
}

bool sx_pend_any_orphans(void)
{
	return atomic_load_explicit(&sx_pend_orphans, memory_order_relaxed) > 0;
}

bool sx_pend_any_driven(void)
{
	return atomic_load_explicit(&sx_pend_live, memory_order_relaxed) > 0;
}

/* ---- epoll sets ------------------------------------------------------ */

/* p's registrations follow what its fiber waits for: added to the sets
 * the program's descriptors of the socket are in, re-armed (ONESHOT). */
static void arm(struct pending *p)
{
	struct epoll_event ev = {
		.events = (uint32_t)(uint16_t)p->wev | EPOLLONESHOT,
		.data.u64 = tag_of(p) };
	int sets[MAXARM], n = 0, i, j;

	for (i = 0; i < p->nfds; i++)
		n = sx_epolli_sets(p->fds[i], p->dev, p->ino, sets, n, MAXARM);
	if (p->narmed && p->armfd != p->waitfd)
		sx_drivei_disarm(p);    /* it waits on another socket now */
	p->armfd = p->waitfd;
	for (j = 0; j < n; j++) {
		for (i = 0; i < p->narmed && p->armed[i] != sets[j]; i++) {
		}
		if (i < p->narmed) {
			sx_real.epoll_ctl(sets[j], EPOLL_CTL_MOD, p->waitfd, &ev);
		} else if (sx_real.epoll_ctl(sets[j], EPOLL_CTL_ADD, p->waitfd,
					     &ev) == 0) {
			p->armed[p->narmed++] = sets[j];
		}
	}
}

void sx_drivei_disarm(struct pending *p)
{
	/* Only the duplicate's: the probe's socket (pipelining auto) has
	 * no other descriptor, and its close takes it out; its number may
	 * be another's by now. */
	for (int i = 0; i < p->narmed && p->armfd == p->wfd; i++)
		sx_real.epoll_ctl(p->armed[i], EPOLL_CTL_DEL, p->armfd, NULL);
	p->narmed = 0;
}

void sx_drivei_added(int fd)
{
	struct pending *p = sx_pendi_find(fd);

	if (p && p->inl && p->state == P_RUNNING && p->fib && !p->driving)
		arm(p);
}

bool sx_drivei_discard(struct pending *p)
{
	if (p->driving || !p->fib || p->state != P_RUNNING)
		return false;
	/* What its fiber holds across a wait: the job (the probe socket in
	 * it, pipelining auto), the duplicate and its registrations; no lock,
	 * no memory of its own (src/client). */
	sx_drivei_disarm(p);
	if (p->ops->discard)
		p->ops->discard(p->job);
	sx_fiber_drop(p->fib);
	p->fib = NULL;
	sx_real.close(p->wfd);
	p->wfd = -1;
	p->state = P_FAILED;
	p->err = 0;             /* no descriptor left to ask SO_ERROR */
	p->discarded = true;
	p->refs--;              /* the worker's */
	atomic_fetch_sub(&sx_pend_live, 1);
	return true;
}

/* ---- driving --------------------------------------------------------- */

static bool claim(struct pending *p)
{
	if (!p->inl || !p->fib || p->driving || p->state != P_RUNNING)
		return false;
	p->driving = true;
	p->refs++;
	return true;
}

bool sx_drivei_step(struct pending *p, int result)
{
	bool ended, running;

	for (;;) {
		{
			SX_GUARD_SCOPE();
			ended = sx_fiber_drive(p->fib, result);
		}
		sx_reg_lock();
		/* The program closed it meanwhile (sx_pendi_forget, under
		 * the lock): nobody else will run it; end it now. */
		if (ended || !p->orphan)
			break;
		sx_reg_unlock();
		result = ECONNABORTED;
	}
	p->driving = false;
	if (ended) {
		sx_fiber_drop(p->fib);  /* under the lock held: no system call */
		p->fib = NULL;
	} else {
		sx_fiber_waits(p->fib, &p->waitfd, &p->wev, &p->wdl);
		arm(p);
	}
	running = p->state == P_RUNNING;
	p->refs--;
	sx_pendi_maybe_free(p);
	sx_reg_unlock();
	return running;
}

#define drive(p, result) ((void)sx_drivei_step(p, result))

void sx_drivei_adopt(struct pending *p, struct sx_fiber *f)
{
	p->fib = f;
	p->inl = true;
	atomic_fetch_add(&sx_pend_live, 1);
	if (!claim(p))          /* cannot be: a new fiber, not foreign */
		abort();
}

/* 0 if what p waits for is there, ETIMEDOUT past its deadline, ECONNABORTED
 * for an orphan, else -1.  Lock held (the poll takes no time). */
static int due(const struct pending *p)
{
	struct pollfd pfd = { .fd = p->waitfd, .events = p->wev };

	if (p->orphan)
		return ECONNABORTED;
	if (p->wdl - sx_mono_ms() <= 0)
		return ETIMEDOUT;
	return sx_real.poll(&pfd, 1, 0) > 0 ? 0 : -1;
}

/* A vfork child (the parent's memory, its own descriptor table) or a raw
 * fork's never runs a handshake: it would read the proxy's reply from the
 * parent's socket and close the parent's duplicate in its own table.  Its
 * calls that may drive ask (a getpid each); close() never drives, and
 * poll and epoll_wait are not what such a child calls. */
void sx_drivei_advance(struct pending *p)
{
	if (sx_reg_foreign())
		return;
	for (int i = 0; i < MAXSTEPS; i++) {
		int r = -1;

		sx_reg_lock();
		if (p->inl && p->fib && !p->driving && p->state == P_RUNNING &&
		    (r = due(p)) >= 0 && !claim(p))
			r = -1;
		sx_reg_unlock();
		if (r < 0)
			return;
		drive(p, r);
	}
}

int64_t sx_pend_service(void)
{
	struct pending *p;
	int64_t now, next;
	int r;

	if (sx_reg_foreign())
		return -1;      /* a vfork child: not its to run */
again:
	next = -1;
	now = sx_mono_ms();
	sx_reg_lock();
	for (p = sx_pend_list; p; p = p->next) {
		if (!p->inl || !p->fib || p->driving || p->state != P_RUNNING)
			continue;
		r = p->orphan ? ECONNABORTED : p->wdl - now <= 0 ? ETIMEDOUT : 0;
		if (r && claim(p)) {
			sx_reg_unlock();
			drive(p, r);
			goto again;
		}
		if (next < 0 || p->wdl - now < next)
			next = p->wdl - now;
	}
	sx_reg_unlock();
	return next;
}

/* ---- the poll and epoll hooks ------------------------------------------ */

int sx_pend_pollfds(void *ref, struct pollfd pf[2], int64_t *deadline)
{
	struct pending *p = ref;
	int64_t wake;
	int n = 0;

	sx_reg_lock();
	if (p->state == P_RUNNING && p->inl && p->fib && !p->orphan) {
		pf[n].fd = p->waitfd;
		pf[n++].events = p->wev;
		wake = p->wdl;
		/* Another thread may run it meanwhile (a second poller, an
		 * epoll_wait, a driver now): then what it waits for may change
		 * unseen here; look again soon. */
		if (p->pollers > 1 || p->narmed > 0 || p->driving)
			wake = sx_mono_ms() + 20;
		if (*deadline < 0 || wake < *deadline)
			*deadline = wake;
	}
	if (p->state == P_RUNNING && p->efd >= 0) {
		pf[n].fd = p->efd;
		pf[n++].events = POLLIN;
	}
	sx_reg_unlock();
	return n;
}

bool sx_pend_polled(void *ref, short revents)
{
	struct pending *p = ref;
	bool running;
	int r = -1;

	sx_reg_lock();
	if (p->state == P_RUNNING && p->inl && p->fib && !p->driving) {
		r = p->orphan ? ECONNABORTED : revents ? 0 :
		    p->wdl - sx_mono_ms() <= 0 ? ETIMEDOUT : -1;
		if (r >= 0 && !claim(p))
			r = -1;
	}
	running = p->state == P_RUNNING;
	sx_reg_unlock();
	return r >= 0 ? sx_drivei_step(p, r) : running;
}

/* A tagged event's record, claimed (true) or being driven elsewhere
 * (true, *pp NULL); false if the event is the program's. */
static bool tagged(uint64_t data, struct pending **pp)
{
	struct pending *p;

	*pp = NULL;
	if (!sx_pend_tagged_data(data))
		return false;
	sx_reg_lock();
	for (p = sx_pend_list; p && tag_of(p) != data; p = p->next) {
	}
	if (p && claim(p)) {
		p->refs++;      /* for the advance after the step */
		*pp = p;
	}
	sx_reg_unlock();
	/* Ours even with no record: a handshake that ended (its registration
	 * deleted) after the kernel had given this event to a waiter. */
	return true;
}

int sx_pend_epoll_filter(struct epoll_event *ev, int n)
{
	struct pending *p;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (!tagged(ev[i].data.u64, &p)) {
			ev[k++] = ev[i];
			continue;
		}
		if (!p)
			continue;
		drive(p, 0);
		sx_drivei_advance(p);
		sx_reg_lock();
		p->refs--;
		sx_pendi_maybe_free(p);
		sx_reg_unlock();
	}
	return k;
}
