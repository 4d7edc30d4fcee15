/*
 * poll.c - poll, ppoll, select, pselect and epoll_ctl, for sockets whose
 * handshake runs in the background (src/core/pending.c), and
 * epoll_wait/epoll_pwait/epoll_pwait2 for data a GSS-API layer holds.
 *
 * While a socket's handshake runs, a poll on it waits on an eventfd that
 * becomes readable when the handshake ends; then the socket's own state
 * answers.  Sets without such sockets go straight to libc after one
 * lock-free flag load per descriptor.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socksify/client.h"
#include "socksify/gssapi.h"
#include "socksify/runtime.h"

/* A GSS-API socket with decoded bytes buffered in the library is readable
 * whatever the socket itself says (src/client/gss_io.c). */
static bool gss_ready(int fd, short events)
{
	return fd >= 0 && (events & POLLIN) && (sx_fd_flags(fd) & SX_FD_GSS) &&
	       sx_gss_pending(fd);
}

static bool any_pending(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd >= 0 && ((sx_fd_flags(fds[i].fd) & SX_FD_PENDING) ||
				       gss_ready(fds[i].fd, fds[i].events)))
			return true;
	return false;
}

/* Add POLLIN for GSS-API sockets with bytes buffered; the new count. */
static int gss_mark(struct pollfd *fds, nfds_t n, int count)
{
	for (nfds_t i = 0; i < n; i++) {
		if (!gss_ready(fds[i].fd, fds[i].events))
			continue;
		if (!fds[i].revents)
			count++;
		fds[i].revents |= POLLIN;
	}
	return count;
}

/* Milliseconds left until deadline (-1 = forever), for poll(). */
static int left_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - sx_now_ms();
	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/*
 * Entry i of a poll with pending sockets: the program's, or for a running
 * handshake what to wait for instead (sx_pend_pollfds: what a driven one
 * waits for, and an eventfd readable when it ends), appended at the end of
 * local[] from extra on; *wake is lowered to the handshake's deadline.
 * The handshake over, the socket itself answers.
 */
static void entry_set(struct pollfd *local, nfds_t *extra, const struct pollfd *fds,
		      void **refs, nfds_t i, int64_t *wake)
{
	struct pollfd pf[2];
	int k = refs[i] ? sx_pend_pollfds(refs[i], pf, wake) : 0;

	local[i] = fds[i];
	if (k > 0) {
		local[i] = pf[0];
		if (k > 1)
			local[(*extra)++] = pf[1];
		return;
	}
	if (refs[i]) {
		sx_pend_unref(refs[i]);
		refs[i] = NULL;
	}
}

/*
 * poll() with pending sockets swapped for what their handshakes wait for
 * (entry_set); after each wake-up the driven ones run as far as they can
 * (sx_pend_polled).  timeout_ms is -1 (forever), 0, or more; sigmask is
 * for ppoll.
 */
static int poll_pending(struct pollfd *fds, nfds_t n, int64_t timeout_ms,
			const sigset_t *sigmask)
{
	struct pollfd small[32], *local = small;
	void *refs_small[16], **refs = refs_small;
	int64_t deadline = timeout_ms < 0 ? -1 : sx_now_ms() + timeout_ms;
	bool gss = false;
	int rc, count = 0;
	nfds_t i, extra;

	for (i = 0; i < n && !gss; i++)
		gss = gss_ready(fds[i].fd, fds[i].events);
	if (gss)
		deadline = sx_now_ms();         /* readable now: do not wait */

	if (n > 16) {
		local = malloc(2 * n * sizeof(*local));
		refs = calloc(n, sizeof(*refs));
		if (!local || !refs) {
			free(local);
			free(refs);
			errno = ENOMEM;
			return -1;
		}
	}
	for (bool first = true;; first = false) {
		struct timespec ts, *tsp = NULL;
		int64_t wake = -1;
		int ms;

		if (sx_pend_any_orphans())
			sx_pend_service();
		/* One registry lock for every entry (those inside are
		 * recursive, free); each costs two system calls. */
		sx_reg_lock();
		for (i = 0, extra = n; i < n; i++) {
			if (first)
				refs[i] = fds[i].fd >= 0 &&
					  (sx_fd_flags(fds[i].fd) & SX_FD_PENDING) ?
					  sx_pend_ref(fds[i].fd) : NULL;
			entry_set(local, &extra, fds, refs, i, &wake);
		}
		sx_reg_unlock();
		ms = left_ms(deadline);
		if (wake >= 0 && (ms < 0 || left_ms(wake) < ms))
			ms = left_ms(wake);
		if (ms >= 0) {
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (long)(ms % 1000) * 1000000;
			tsp = &ts;
		}
		rc = sx_real.ppoll(local, extra, tsp, sigmask);
		if (rc < 0)
			break;
		count = 0;
		for (i = 0; i < n; i++) {
			if (refs[i] && !sx_pend_polled(refs[i], local[i].revents)) {
				/* Handshake over: the socket itself answers. */
				sx_pend_unref(refs[i]);
				refs[i] = NULL;
				local[i] = fds[i];
				sx_real.poll(&local[i], 1, 0);
			} else if (refs[i]) {
				local[i].revents = 0;
			}
			fds[i].revents = local[i].revents;
			if (fds[i].revents)
				count++;
		}
		if (gss)
			count = gss_mark(fds, n, count);
		if (count > 0 || left_ms(deadline) == 0)
			break;
	}
	for (i = 0; i < n; i++)
		if (refs[i])
			sx_pend_unref(refs[i]);
	if (local != small) {
		free(local);
		free(refs);
	}
	return rc < 0 ? -1 : count;
}

SX_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	sx_real_init();
	if (sx_guard || !fds || !any_pending(fds, n))
		return sx_real.poll(fds, n, timeout);
	return poll_pending(fds, n, timeout < 0 ? -1 : timeout, NULL);
}

SX_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		    const sigset_t *sigmask)
{
	sx_real_init();
	if (sx_guard || !fds || !any_pending(fds, n))
		return sx_real.ppoll(fds, n, ts, sigmask);
	return poll_pending(fds, n, ts ? (int64_t)ts->tv_sec * 1000 +
			    (ts->tv_nsec + 999999) / 1000000 : -1, sigmask);
}

/* select() and pselect() through poll_pending, when a set holds a
 * pending socket. */
static bool sets_pending(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		     (e && FD_ISSET(fd, e))) &&
		    ((sx_fd_flags(fd) & SX_FD_PENDING) ||
		     (r && FD_ISSET(fd, r) && gss_ready(fd, POLLIN))))
			return true;
	return false;
}

static int select_pending(int nfds, fd_set *r, fd_set *w, fd_set *e,
			  int64_t timeout_ms, const sigset_t *sigmask)
{
	struct pollfd *pfd = calloc((size_t)nfds, sizeof(*pfd));
	int n = 0, i, rc, count = 0;

	if (!pfd) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < nfds; i++) {
		short ev = 0;

		if (r && FD_ISSET(i, r))
			ev |= POLLIN;
		if (w && FD_ISSET(i, w))
			ev |= POLLOUT;
		if (e && FD_ISSET(i, e))
			ev |= POLLPRI;
		if (ev) {
			pfd[n].fd = i;
			pfd[n++].events = ev;
		}
	}
	rc = poll_pending(pfd, (nfds_t)n, timeout_ms, sigmask);
	if (rc >= 0) {
		for (i = 0; i < n; i++) {
			if (pfd[i].revents & POLLNVAL) {
				free(pfd);
				errno = EBADF;
				return -1;
			}
		}
		if (r)
			FD_ZERO(r);
		if (w)
			FD_ZERO(w);
		if (e)
			FD_ZERO(e);
		for (i = 0; i < n; i++) {
			short re = pfd[i].revents;

			if (r && (pfd[i].events & POLLIN) &&
			    (re & (POLLIN | POLLHUP | POLLERR))) {
				FD_SET(pfd[i].fd, r);
				count++;
			}
			if (w && (pfd[i].events & POLLOUT) &&
			    (re & (POLLOUT | POLLERR))) {
				FD_SET(pfd[i].fd, w);
				count++;
			}
			if (e && (pfd[i].events & POLLPRI) && (re & POLLPRI)) {
				FD_SET(pfd[i].fd, e);
				count++;
			}
		}
	}
	free(pfd);
	return rc < 0 ? -1 : count;
}

SX_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
		     struct timeval *tv)
{
	sx_real_init();
	if (sx_guard || nfds <= 0 || !sets_pending(nfds, r, w, e))
		return sx_real.select(nfds, r, w, e, tv);
	return select_pending(nfds > FD_SETSIZE ? FD_SETSIZE : nfds, r, w, e,
			      tv ? (int64_t)tv->tv_sec * 1000 +
			      (tv->tv_usec + 999) / 1000 : -1, NULL);
}

SX_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
		      const struct timespec *ts, const sigset_t *sigmask)
{
	sx_real_init();
	if (sx_guard || nfds <= 0 || !sets_pending(nfds, r, w, e))
		return sx_real.pselect(nfds, r, w, e, ts, sigmask);
	return select_pending(nfds > FD_SETSIZE ? FD_SETSIZE : nfds, r, w, e,
			      ts ? (int64_t)ts->tv_sec * 1000 +
			      (ts->tv_nsec + 999999) / 1000000 : -1, sigmask);
}

SX_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	sx_real_init();
	if (sx_guard)
		return sx_real.epoll_ctl(epfd, op, fd, ev);
	return sx_epoll_ctl(epfd, op, fd, ev);
}

/*
 * epoll_wait and friends: a GSS-API socket whose plaintext the library
 * holds (read partly) is readable, though the kernel sees no data.  Only
 * looked for while GSS-API sockets exist; then those events come first,
 * and the kernel's are added without waiting.
 */
static int merge(struct epoll_event *ev, int n, int m)
{
	int i, j, k = n;

	for (j = n; j < n + m; j++) {
		for (i = 0; i < n; i++)
			if (ev[i].data.u64 == ev[j].data.u64)
				break;
		if (i < n)
			ev[i].events |= ev[j].events;
		else
			ev[k++] = ev[j];
	}
	return k;
}

static int synth(int epfd, struct epoll_event *ev, int max)
{
	if (sx_guard || max <= 0 || !atomic_load_explicit(&sx_gss_live,
							 memory_order_relaxed))
		return 0;
	return sx_epoll_synth(epfd, ev, max, sx_gss_pending, SX_FD_GSS);
}

/*
 * While driven handshakes run (src/core/drive.c): epoll_pwait until an
 * event of the program's, its timeout, or the next handshake deadline
 * (then those past it end, and the wait goes on); tagged events run their
 * handshakes and are dropped.
 */
static int epoll_driven(int epfd, struct epoll_event *ev, int max,
			int64_t timeout_ms, const sigset_t *sigmask)
{
	int64_t deadline = timeout_ms < 0 ? -1 : sx_now_ms() + timeout_ms;

	for (;;) {
		int64_t wake = sx_pend_service();
		int ms = left_ms(deadline), n;

		if (wake >= 0 && (ms < 0 || wake < ms))
			ms = (int)wake;
		n = sx_real.epoll_pwait(epfd, ev, max, ms, sigmask);
		if (n > 0)
			n = sx_pend_epoll_filter(ev, n);
		if (n != 0 || left_ms(deadline) == 0)
			return n;
	}
}

static int epoll_any(int epfd, struct epoll_event *ev, int max,
		     int64_t timeout_ms, const sigset_t *sigmask)
{
	int n, m;

	sx_real_init();
	if (!(n = synth(epfd, ev, max))) {
		if (!sx_guard && max > 0 && sx_pend_any_driven())
			return epoll_driven(epfd, ev, max, timeout_ms, sigmask);
		return sx_real.epoll_pwait(epfd, ev, max, (int)timeout_ms, sigmask);
	}
	m = n < max ? sx_real.epoll_pwait(epfd, ev + n, max - n, 0, sigmask) : 0;
	if (m > 0 && sx_pend_any_driven())
		m = sx_pend_epoll_filter(ev + n, m);
	return merge(ev, n, m > 0 ? m : 0);
}

/* Events of the library's own registrations, which may reach a wait that
 * began before any handshake was driven (the fast path): one load each. */
static bool tags_in(const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		if (sx_pend_tagged_data(ev[i].data.u64))
			return true;
	return false;
}

/* After the fast path: tagged events run their handshakes and go; if none
 * is left the wait goes on (its timeout counted afresh). */
static int untag(int epfd, struct epoll_event *ev, int max, int n,
		 int64_t timeout_ms, const sigset_t *sigmask)
{
	if (n <= 0 || !tags_in(ev, n))
		return n;
	n = sx_pend_epoll_filter(ev, n);
	return n || timeout_ms == 0 ? n :
	       epoll_any(epfd, ev, max, timeout_ms, sigmask);
}

SX_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	int64_t t = timeout < 0 ? -1 : timeout;

	sx_real_init();
	if (!sx_pend_any_driven() && !atomic_load_explicit(&sx_gss_live,
							   memory_order_relaxed))
		return untag(epfd, ev, max, sx_real.epoll_wait(epfd, ev, max, timeout),
			     t, NULL);
	return epoll_any(epfd, ev, max, t, NULL);
}

SX_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max,
			  int timeout, const sigset_t *sigmask)
{
	int64_t t = timeout < 0 ? -1 : timeout;

	sx_real_init();
	if (!sx_pend_any_driven() && !atomic_load_explicit(&sx_gss_live,
							   memory_order_relaxed))
		return untag(epfd, ev, max, sx_real.epoll_pwait(epfd, ev, max,
				timeout, sigmask), t, sigmask);
	return epoll_any(epfd, ev, max, t, sigmask);
}

SX_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			   const struct timespec *ts, const sigset_t *sigmask)
{
	/* milliseconds, rounded up, while the library has work in it */
	int64_t t = ts ? (int64_t)ts->tv_sec * 1000 +
		    (ts->tv_nsec + 999999) / 1000000 : -1;

	sx_real_init();
	if (!sx_real.epoll_pwait2) {
		errno = ENOSYS;
		return -1;
	}
	if (!sx_pend_any_driven() && !atomic_load_explicit(&sx_gss_live,
							   memory_order_relaxed))
		return untag(epfd, ev, max, sx_real.epoll_pwait2(epfd, ev, max, ts,
				sigmask), t, sigmask);
	return epoll_any(epfd, ev, max, t, sigmask);
}

/* _FORTIFY_SOURCE's checked poll and ppoll: glibc's call its own
 * __poll, past the hook. */
extern void __chk_fail(void) __attribute__((noreturn));
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		const sigset_t *sigmask, size_t fdslen);

SX_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout,
			 size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();          /* a buffer overflow */
	return poll(fds, n, timeout);
}

SX_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n,
			  const struct timespec *ts, const sigset_t *sigmask,
			  size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ppoll(fds, n, ts, sigmask);
}
