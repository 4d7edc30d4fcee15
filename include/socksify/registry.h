/*
 * registry.h - the registry of the sockets the library manages
 * (src/core/registry.c), with the pending handshakes and epoll
 * registrations it holds (src/core/pending.c, src/core/epreg.c).
 *
 * Per descriptor: a byte of SX_FD_* flags, read without a lock (a hook on a
 * descriptor that is not ours costs one load), and the socket's state:
 * destination and the proxy's bound address here, the pending handshake
 * and epoll registrations in core, and the state of the upper layers
 * (GSS-API, UDP, BIND) through the modules they register.  Every record
 * carries its socket's identity (device, inode), so a descriptor closed
 * behind the library's back (a raw syscall, closefrom) and reused never
 * inherits state: flags are hints, checked against the identity before
 * acting.
 *
 * One locking discipline: one lock for all of it (a thread may take it
 * again while holding it), held with every signal blocked, so a signal
 * handler that calls close() or getpeername() never finds it taken by the
 * thread it interrupted; the flags change by atomic operations without
 * it, and close() of a socket that is only connected through the proxy
 * (the common case) does not take it.  One
 * pthread_atfork handler (src/core/registry.c).  One path for close
 * (sx_reg_close) and one for dup/dup2/dup3/F_DUPFD (sx_reg_dup), both
 * no-ops in a vfork child, which shares the parent's memory but not its
 * descriptors.
 */
#ifndef SOCKSIFY_REGISTRY_H
#define SOCKSIFY_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <string.h>

enum {
	SX_FD_PROXIED = 1,      /* TCP connected through the proxy */
	SX_FD_UDP = 2,          /* UDP with an association (issue 5) */
	SX_FD_GSS = 4,          /* GSS-API protected stream */
	SX_FD_PENDING = 8,      /* non-blocking handshake in progress */
	SX_FD_ASYNCERR = 16,    /* it failed; SO_ERROR not read yet */
	SX_FD_EPREG = 32,       /* a TCP socket registered in some epoll set */
	SX_FD_EPOLL = 64,       /* an epoll instance with such registrations */
	SX_FD_BIND = 128,       /* a listener bound at the proxy (BIND) */
};

/* The flags of fd: one lock-free load. */
unsigned sx_fd_flags(int fd);
/* Change them (atomic operations: no lock). */
void sx_fd_flags_set(int fd, unsigned set, unsigned clear);

/* The registry lock: re-entrant in a thread, held with all signals
 * blocked. */
void sx_reg_lock(void);
void sx_reg_unlock(void);

/* A socket's identity (fstat): 0, or -1 if fd is not open. */
int sx_reg_identity(int fd, dev_t *dev, ino_t *ino);

/* True in a child that shares our memory without our descriptors (vfork,
 * posix_spawn, clone(CLONE_VM)): it must not change the registry. */
bool sx_reg_foreign(void);

/*
 * An upper layer's per-socket state (GSS-API, UDP, BIND): what the one
 * close and dup path calls for descriptors with its flag.  forget and dup
 * run without the lock held; child runs in a fork child with it held.
 * Register once (idempotent) before setting the flag.
 */
struct sx_reg_module {
	unsigned flag;
	void (*forget)(int fd);
	void (*dup)(int oldfd, int newfd);
	void (*child)(void);
};
void sx_reg_module(const struct sx_reg_module *m);

/* close(fd), before the real close: drop fd's state everywhere. */
void sx_reg_close(int fd);
/* close_range(lo, hi) without CLOSE_RANGE_CLOEXEC, before the real one. */
void sx_reg_close_range(unsigned lo, unsigned hi);
/* newfd now names oldfd's object (dup, F_DUPFD; dup2/dup3 after
 * sx_reg_close(newfd)). */
void sx_reg_dup(int oldfd, int newfd);

/* Move a descriptor of the library's own to a high number, close-on-exec
 * (the program's low numbers stay free); returns the new descriptor (fd
 * itself if it cannot be moved). */
int sx_fd_high(int fd);
/* A close-on-exec duplicate of fd, high as sx_fd_high places it: one
 * system call. */
int sx_fd_dup_high(int fd);

/* memcpy() of a socket address of n bytes, inline for the sizes of
 * sockaddr_in and sockaddr_in6 (the library's call costs more than the
 * copy; several per connect). */
static inline void sx_sa_copy(void *to, const void *from, socklen_t n)
{
	if (n == sizeof(struct sockaddr_in))
		memcpy(to, from, sizeof(struct sockaddr_in));
	else if (n == sizeof(struct sockaddr_in6))
		memcpy(to, from, sizeof(struct sockaddr_in6));
	else
		memcpy(to, from, n);
}

/* Sockets connected through the proxy: their real destination and, if
 * local is not NULL, their local address as seen through the proxy
 * (BND.ADDR/PORT), recorded in one step. */
int sx_fd_set_peer(int fd, const struct sockaddr *peer, socklen_t plen,
		   const struct sockaddr *local, socklen_t llen);
/* The same through a proxy: peer also becomes the process's last
 * destination connected through a proxy (sx_reg_last_peer), in the same
 * step. */
int sx_fd_set_proxied(int fd, const struct sockaddr *peer, socklen_t plen,
		      const struct sockaddr *local, socklen_t llen);
bool sx_reg_last_peer(struct sockaddr_storage *out);
bool sx_fd_get_peer(int fd, struct sockaddr_storage *out, socklen_t *len);
bool sx_fd_get_local(int fd, struct sockaddr_storage *out, socklen_t *len);

/* ---- pending handshakes (src/core/pending.c) ------------------------ */

/*
 * The handshake a non-blocking connect runs in the background, as the
 * layer above gives it (the registry does not know SOCKS):
 *   run     the blocking, deadline-bound handshake on wfd (a duplicate of
 *           the program's socket): 0 or an errno value;
 *   attach  on success, with the lock held, for each of the program's
 *           descriptors of the socket (nth = 0, 1...): put the connection's
 *           state on it (destination, GSS-API layer from wfd);
 *   done    the outcome (0 or errno): log line, release wfd's own state,
 *           free job;
 *   abort   it could not start (err): clean up, one log line, free job;
 *           returns -1 with errno set;
 *   cancel  with the lock held, from any thread: the program closed its
 *           last descriptor; run() is about to fail (its socket is shut
 *           down), and must not count that against the proxy;
 *   needs_thread  (may be NULL) true if run() may block outside
 *           sx_wire_wait (GSS-API asks a KDC): it gets a thread of its
 *           own instead of a fiber of the event loop (src/core/fiber.c).
 */
struct sx_pend_ops {
	int (*run)(void *job, int wfd);
	void (*cancel)(void *job);
	void (*attach)(void *job, int wfd, int fd, int nth);
	void (*done)(void *job, int wfd, int err);
	int (*abort)(void *job, int fd, int err);
	bool (*needs_thread)(void *job);
	/* A driven handshake dropped without running to its end (the
	 * program closed the socket): discard undoes at once what must not
	 * wait (async-signal-safe: close a descriptor of its own), release
	 * frees the job later, in an ordinary context; done is not called. */
	void (*discard)(void *job);
	void (*release)(void *job);
};

/* Start fd's handshake; -1 with errno EINPROGRESS, or as abort() set.
 * timeout_ms bounds how long SO_ERROR may wait for a failing one.
 * driven: run it on the threads of the program's own calls (connect,
 * poll, select, epoll_wait, getsockopt, read, write: src/core/drive.c),
 * else on the event-loop thread (src/core/fiber.c). */
int sx_pend_start(int fd, const struct sx_pend_ops *ops, void *job,
		  int timeout_ms, bool driven);
/* Is fd's handshake still running?  (Clears a stale SX_FD_PENDING.) */
bool sx_pend_running(int fd);
/* A second connect(): true if answered (*ret and errno set). */
bool sx_pend_reconnect(int fd, int *ret);
/* For the poll hooks: fd's running handshake, with a reference to drop
 * with sx_pend_unref; NULL if it is not running. */
void *sx_pend_ref(int fd);
void sx_pend_unref(void *ref);
/* What to poll for ref's handshake (into pf: for a driven one what its
 * fiber waits for; for one run by a thread an eventfd readable when it
 * ends): how many entries, 0
 * when it is over; *deadline (sx_mono_ms, -1 none) lowered to when a
 * driven one must be woken. */
struct pollfd;
int sx_pend_pollfds(void *ref, struct pollfd pf[2], int64_t *deadline);
/* After a poll that gave revents for its first entry: one step of a driven
 * handshake if it is due; true while it still runs. */
bool sx_pend_polled(void *ref, short revents);
/* Driven handshakes: any not over?  Any the program closed, not yet
 * finished?  (One relaxed load.) */
bool sx_pend_any_driven(void);
bool sx_pend_any_orphans(void);
/* Finish those whose program closed them, time out those past their
 * deadline; milliseconds to the next deadline (-1: none). */
int64_t sx_pend_service(void);
/* epoll_wait's events: run the driven handshakes some belong to and drop
 * those; the number left. */
int sx_pend_epoll_filter(struct epoll_event *ev, int n);
/* The data of the library's own epoll registrations (src/core/drive.c):
 * 0x5358 ("SX") in the top 16 bits, a record's address below; never a
 * pointer, descriptor or counter of the program's. */
#define SX_PEND_TAG (UINT64_C(0x5358) << 48)
static inline bool sx_pend_tagged_data(uint64_t data)
{
	return (data >> 48) == (SX_PEND_TAG >> 48);
}
/* getsockopt(SO_ERROR): true if answered with *err. */
bool sx_pend_take_error(int fd, int *err);

/* ---- epoll registrations (src/core/epreg.c) ------------------------- */

int sx_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
/* Events for registrations in epfd of descriptors with flag whose data
 * the library holds (ready(fd)); how many were written into out. */
int sx_epoll_synth(int epfd, struct epoll_event *out, int max,
		   bool (*ready)(int fd), unsigned flag);

#endif
