/*
 * registry.c - the registry of the sockets the library manages: the lock,
 * the fork handler, the per-descriptor flags and destinations, and the
 * one path for close and dup.  See include/socksify/registry.h.
 *
 * Per descriptor, in chunks allocated on first use: a byte of flags any
 * hook reads without a lock, and a slot with the socket's identity (dev,
 * inode), its real destination and the proxy's bound address.  The
 * pending handshakes (pending.c) and epoll registrations (epreg.c) live
 * under the same lock; the upper layers' state (GSS-API, UDP, BIND) is
 * reached through the modules they register, so the close and dup paths
 * here never call up by name.
 *
 * Signals: the lock is only ever held with every signal blocked, and the
 * close path frees nothing of its own, so close() and getpeername() from a
 * signal handler are safe for TCP sockets (UDP and GSS-API state is freed
 * by its module; see README "Descriptors").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "socksify/runtime.h"
#include "reg_int.h"

#define CHUNK_BITS 10
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define NCHUNKS 1024            /* up to 1 Mi descriptors */
#define MAXMODS 4

struct slot {
	dev_t dev;
	ino_t ino;
	socklen_t len;          /* 0 = no destination */
	socklen_t locallen;     /* 0 = the kernel's answer */
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
};

static struct slot *chunks[NCHUNKS];                   /* lock held */
static _Atomic(_Atomic uint8_t *) flag_chunks[NCHUNKS]; /* lock-free reads */
static atomic_int highest = -1;         /* highest descriptor ever flagged */

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static __thread unsigned depth;
static __thread sigset_t saved_mask;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int owner_pid;             /* the process the tables belong to */

static const struct sx_reg_module *_Atomic mods[MAXMODS];

static pid_t raw_getpid(void)
{
	return (pid_t)sx_real.syscall(SYS_getpid);
}

/* ---- the lock and the one fork handler ------------------------------ */

static void prepare(void) { sx_reg_lock(); }
static void parent(void) { sx_reg_unlock(); }

static void child(void)
{
	pthread_mutexattr_t a;
	int i;

	/* The lock is ours (taken in prepare), but its owner is a thread of
	 * the parent: start afresh; this process has one thread. */
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&lock, &a);
	pthread_mutexattr_destroy(&a);
	depth = 0;
	atomic_store(&owner_pid, raw_getpid());
	sx_pendi_child();
	for (i = 0; i < MAXMODS; i++) {
		const struct sx_reg_module *m = atomic_load(&mods[i]);

		if (m && m->child)
			m->child();
	}
	pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
}

static void init(void)
{
	sx_real_init();
	atomic_store(&owner_pid, raw_getpid());
	pthread_atfork(prepare, parent, child);
}

void sx_reg_lock(void)
{
	sigset_t all;

	pthread_once(&once, init);
	if (depth == 0) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &saved_mask);
	}
	pthread_mutex_lock(&lock);
	depth++;
}

void sx_reg_unlock(void)
{
	bool last = --depth == 0;

	pthread_mutex_unlock(&lock);
	if (last)
		pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
}

bool sx_reg_foreign(void)
{
	int pid = atomic_load_explicit(&owner_pid, memory_order_relaxed);

	return pid != 0 && pid != raw_getpid();
}

void sx_reg_module(const struct sx_reg_module *m)
{
	int i;

	for (i = 0; i < MAXMODS; i++)
		if (atomic_load(&mods[i]) == m)
			return;
	sx_reg_lock();
	for (i = 0; i < MAXMODS; i++) {
		const struct sx_reg_module *cur = atomic_load(&mods[i]);

		if (cur == m)
			break;
		if (!cur) {
			atomic_store(&mods[i], m);
			break;
		}
	}
	sx_reg_unlock();
}

/* ---- flags ----------------------------------------------------------- */

unsigned sx_fd_flags(int fd)
{
	_Atomic uint8_t *c;

	if (fd < 0 || fd >= NCHUNKS * CHUNK_SIZE)
		return 0;
	c = atomic_load_explicit(&flag_chunks[(unsigned)fd >> CHUNK_BITS],
				 memory_order_acquire);
	if (!c)
		return 0;
	return atomic_load_explicit(&c[fd & (CHUNK_SIZE - 1)],
				    memory_order_relaxed);
}

void sx_regi_flags(int fd, unsigned set, unsigned clear)
{
	unsigned ci = (unsigned)fd >> CHUNK_BITS;
	_Atomic uint8_t *c;
	uint8_t v;

	if (fd < 0 || fd >= NCHUNKS * CHUNK_SIZE)
		return;
	c = atomic_load_explicit(&flag_chunks[ci], memory_order_relaxed);
	if (!c) {
		if (!set)
			return;
		c = calloc(CHUNK_SIZE, sizeof(*c));
		if (!c)
			return;
		atomic_store_explicit(&flag_chunks[ci], c, memory_order_release);
	}
	if (set && fd > atomic_load_explicit(&highest, memory_order_relaxed))
		atomic_store(&highest, fd);
	v = atomic_load_explicit(&c[fd & (CHUNK_SIZE - 1)], memory_order_relaxed);
	v = (uint8_t)((v & ~clear) | set);
	atomic_store_explicit(&c[fd & (CHUNK_SIZE - 1)], v, memory_order_relaxed);
}

void sx_fd_flags_set(int fd, unsigned set, unsigned clear)
{
	sx_reg_lock();
	sx_regi_flags(fd, set, clear);
	sx_reg_unlock();
}

/* ---- destinations ---------------------------------------------------- */

int sx_reg_identity(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* Lock held. */
static struct slot *slot_get(int fd, bool create)
{
	unsigned c;

	if (fd < 0 || fd >= NCHUNKS * CHUNK_SIZE)
		return NULL;
	c = (unsigned)fd >> CHUNK_BITS;
	if (!chunks[c]) {
		if (!create)
			return NULL;
		chunks[c] = calloc(CHUNK_SIZE, sizeof(struct slot));
		if (!chunks[c])
			return NULL;
	}
	return &chunks[c][fd & (CHUNK_SIZE - 1)];
}

int sx_fd_set_peer(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct slot *s;
	dev_t dev;
	ino_t ino;

	if (len > sizeof(s->peer) || sx_reg_identity(fd, &dev, &ino) < 0)
		return -1;
	sx_reg_lock();
	s = slot_get(fd, true);
	if (s) {
		s->dev = dev;
		s->ino = ino;
		s->len = len;
		s->locallen = 0;
		memcpy(&s->peer, sa, len);
		sx_regi_flags(fd, SX_FD_PROXIED, 0);
	}
	sx_reg_unlock();
	return s ? 0 : -1;
}

/* fd's slot if it still names its socket (a stale one is cleared); a
 * copy in *out.  Lock held. */
static bool slot_valid(int fd, struct slot *out)
{
	struct slot *s = slot_get(fd, false);
	dev_t dev;
	ino_t ino;

	if (!s || !s->len)
		return false;
	if (sx_reg_identity(fd, &dev, &ino) == 0 && s->dev == dev &&
	    s->ino == ino) {
		*out = *s;
		return true;
	}
	s->len = 0;             /* the descriptor now names another socket */
	sx_regi_flags(fd, 0, SX_FD_PROXIED);
	return false;
}

bool sx_fd_get_peer(int fd, struct sockaddr_storage *out, socklen_t *len)
{
	struct slot s;
	bool found;

	if (!(sx_fd_flags(fd) & SX_FD_PROXIED))
		return false;   /* the common case: not ours, no lock */
	sx_reg_lock();
	found = slot_valid(fd, &s);
	sx_reg_unlock();
	if (found) {
		memcpy(out, &s.peer, s.len);
		*len = s.len;
	}
	return found;
}

int sx_fd_set_local(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct slot *s;
	int rc = -1;

	if (len > sizeof(s->local))
		return -1;
	sx_reg_lock();
	s = slot_get(fd, false);
	if (s && s->len) {
		memcpy(&s->local, sa, len);
		s->locallen = len;
		rc = 0;
	}
	sx_reg_unlock();
	return rc;
}

bool sx_fd_get_local(int fd, struct sockaddr_storage *out, socklen_t *len)
{
	struct slot s;
	bool found;

	if (!(sx_fd_flags(fd) & SX_FD_PROXIED))
		return false;
	sx_reg_lock();
	found = slot_valid(fd, &s) && s.locallen;
	sx_reg_unlock();
	if (found) {
		memcpy(out, &s.local, s.locallen);
		*len = s.locallen;
	}
	return found;
}

/* ---- the one close and dup path ------------------------------------- */

static unsigned module_flags(void)
{
	unsigned f = 0;

	for (int i = 0; i < MAXMODS; i++) {
		const struct sx_reg_module *m = atomic_load(&mods[i]);

		if (m)
			f |= m->flag;
	}
	return f;
}

void sx_reg_close(int fd)
{
	unsigned fl = sx_fd_flags(fd), mf;
	struct slot *s;
	bool last = false;
	int i;

	if (!fl || sx_reg_foreign())
		return;         /* not ours, or a vfork child's own table */
	mf = module_flags();
	sx_reg_lock();
	if (fl & (SX_FD_PENDING | SX_FD_ASYNCERR))
		last = sx_pendi_forget(fd);
	if (fl & (SX_FD_EPREG | SX_FD_EPOLL))
		sx_epolli_forget(fd, last);
	if ((s = slot_get(fd, false)))
		s->len = 0;
	sx_regi_flags(fd, 0, ~mf);
	sx_reg_unlock();
	for (i = 0; i < MAXMODS; i++) {
		const struct sx_reg_module *m = atomic_load(&mods[i]);

		if (m && (fl & m->flag))
			m->forget(fd);
	}
}

void sx_reg_close_range(unsigned lo, unsigned hi)
{
	int top = atomic_load(&highest);

	for (unsigned fd = lo; fd <= hi && (int)fd <= top && fd >= lo; fd++)
		if (sx_fd_flags((int)fd))
			sx_reg_close((int)fd);
}

void sx_reg_dup(int oldfd, int newfd)
{
	unsigned fl;
	struct slot s, *ns;
	int i;

	if (oldfd == newfd || newfd < 0 || !(fl = sx_fd_flags(oldfd)) ||
	    sx_reg_foreign())
		return;
	sx_reg_lock();
	if ((fl & SX_FD_PROXIED) && slot_valid(oldfd, &s) &&
	    (ns = slot_get(newfd, true))) {
		*ns = s;        /* same open file: same identity */
		sx_regi_flags(newfd, SX_FD_PROXIED, 0);
	}
	if (fl & (SX_FD_PENDING | SX_FD_ASYNCERR))
		sx_pendi_dup(oldfd, newfd);
	sx_reg_unlock();
	for (i = 0; i < MAXMODS; i++) {
		const struct sx_reg_module *m = atomic_load(&mods[i]);

		if (m && (fl & m->flag) && m->dup)
			m->dup(oldfd, newfd);
	}
}

int sx_fd_high(int fd)
{
	static atomic_int base;
	int b = atomic_load_explicit(&base, memory_order_relaxed), h;

	if (!b) {
		struct rlimit rl;

		b = 64;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
			b = rl.rlim_cur >= 8192 ? 4096 : (int)(rl.rlim_cur / 2);
		if (b < 3)
			b = 3;
		atomic_store_explicit(&base, b, memory_order_relaxed);
	}
	h = sx_real.fcntl(fd, F_DUPFD_CLOEXEC, b);
	if (h < 0)
		return fd;
	sx_real.close(fd);
	return h;
}
