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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "socksify/real.h"
#include "socksify/registry.h"
#include "reg_int.h"

#define CHUNK_BITS 10
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define NCHUNKS 1024            /* up to 1 Mi descriptors */
#define MAXMODS 8

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

/* Zeroed memory for a chunk of the tables, from mmap: a dup() in a signal
 * handler can need a new chunk, and calloc is not async-signal-safe there
 * (ThreadSanitizer reported it from tests/progs/stress.c). */
static void *chunk_alloc(size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

/*
 * The signal mask is set with the raw system call and the kernel's own
 * mask size: glibc's pthread_sigmask costs more than the lock (this is on
 * every proxied connect).  Blocking glibc's internal signals (cancellation,
 * setxid) for the few instructions the lock is held only delays them.
 */
#define KSIGSET_WORDS (((_NSIG - 1) / 8 + sizeof(long) - 1) / sizeof(long))
struct ksigset { unsigned long w[KSIGSET_WORDS]; };

/* Recursion is counted in depth: the mutex is taken at depth 0 only. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread unsigned depth __attribute__((tls_model("initial-exec")));
static __thread struct ksigset saved_mask __attribute__((tls_model("initial-exec")));
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_bool ready;
static atomic_int owner_pid;             /* the process the tables belong to */

static const struct sx_reg_module *_Atomic mods[MAXMODS];

static pid_t raw_getpid(void)
{
	return getpid();        /* never cached by glibc (>= 2.25) */
}

static void set_mask(const struct ksigset *set, struct ksigset *old)
{
	sx_real.syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, old, sizeof(*set));
}

/* ---- the lock and the one fork handler ------------------------------ */

static void prepare(void) { sx_reg_lock(); }
static void parent(void) { sx_reg_unlock(); }

static void child(void)
{
	int i;

	/* The lock was taken in prepare; this process has one thread: start
	 * afresh. */
	pthread_mutex_init(&lock, NULL);
	depth = 0;
	atomic_store(&owner_pid, raw_getpid());
	sx_pendi_child();
	for (i = 0; i < MAXMODS; i++) {
		const struct sx_reg_module *m = atomic_load(&mods[i]);

		if (m && m->child)
			m->child();
	}
	set_mask(&saved_mask, NULL);
}

static void init(void)
{
	sx_real_init();
	atomic_store(&owner_pid, raw_getpid());
	pthread_atfork(prepare, parent, child);
	atomic_store(&ready, true);
}

void sx_reg_lock(void)
{
	static const struct ksigset all = { .w = { [0 ... KSIGSET_WORDS - 1] = ~0UL } };

	if (!atomic_load_explicit(&ready, memory_order_acquire))
		pthread_once(&once, init);
	/* Signals blocked before depth counts this thread in (a handler that
	 * runs before that takes and gives back the lock on its own), and
	 * depth counted before the mutex is taken (a handler a sanitizer
	 * defers to its pthread_mutex_lock interceptor finds it held). */
	if (depth == 0) {
		set_mask(&all, &saved_mask);
		depth = 1;
		pthread_mutex_lock(&lock);
	} else {
		depth++;
	}
}

void sx_reg_unlock(void)
{
	if (--depth == 0) {
		pthread_mutex_unlock(&lock);
		set_mask(&saved_mask, NULL);
	}
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
	/* Acquire (free on x86): a hook that sees a flag change also sees
	 * what was done to the socket before it, e.g. a worker's last use of
	 * the program's descriptor before it cleared SX_FD_PENDING. */
	return atomic_load_explicit(&c[fd & (CHUNK_SIZE - 1)],
				    memory_order_acquire);
}

/* Flags change by atomic operations: no lock, so the close path and a
 * signal handler can clear them. */
void sx_regi_flags(int fd, unsigned set, unsigned clear)
{
	unsigned ci = (unsigned)fd >> CHUNK_BITS;
	_Atomic uint8_t *c, *fresh = NULL;
	int top;

	if (fd < 0 || fd >= NCHUNKS * CHUNK_SIZE)
		return;
	c = atomic_load_explicit(&flag_chunks[ci], memory_order_acquire);
	if (!c) {
		if (!set || !(fresh = chunk_alloc(CHUNK_SIZE * sizeof(*fresh))))
			return;
		if (atomic_compare_exchange_strong(&flag_chunks[ci], &c, fresh))
			c = fresh;
		else            /* another thread's is there (in c) */
			munmap((void *)fresh, CHUNK_SIZE * sizeof(*fresh));
	}
	top = atomic_load_explicit(&highest, memory_order_relaxed);
	while (set && fd > top &&
	       !atomic_compare_exchange_weak(&highest, &top, fd)) {
	}
	if (clear)
		atomic_fetch_and_explicit(&c[fd & (CHUNK_SIZE - 1)],
					  (uint8_t)~clear, memory_order_acq_rel);
	if (set)
		atomic_fetch_or_explicit(&c[fd & (CHUNK_SIZE - 1)], (uint8_t)set,
					 memory_order_acq_rel);
}

void sx_fd_flags_set(int fd, unsigned set, unsigned clear)
{
	sx_regi_flags(fd, set, clear);
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
		chunks[c] = chunk_alloc(CHUNK_SIZE * sizeof(struct slot));
		if (!chunks[c])
			return NULL;
	}
	return &chunks[c][fd & (CHUNK_SIZE - 1)];
}

/* The process's last destination connected through a proxy (lock held). */
static struct sockaddr_storage last_peer;
static socklen_t last_len;

static int set_peer(int fd, const struct sockaddr *peer, socklen_t plen,
		    const struct sockaddr *local, socklen_t llen, bool last)
{
	struct slot *s;
	dev_t dev;
	ino_t ino;

	if (plen > sizeof(s->peer) || llen > sizeof(s->local) ||
	    sx_reg_identity(fd, &dev, &ino) < 0)
		return -1;
	sx_reg_lock();
	s = slot_get(fd, true);
	if (s) {
		s->dev = dev;
		s->ino = ino;
		s->len = plen;
		sx_sa_copy(&s->peer, peer, plen);
		s->locallen = local ? llen : 0;
		if (local)
			sx_sa_copy(&s->local, local, llen);
		sx_regi_flags(fd, SX_FD_PROXIED, 0);
	}
	if (last) {
		sx_sa_copy(&last_peer, peer, plen);
		last_len = plen;
	}
	sx_reg_unlock();
	return s ? 0 : -1;
}

int sx_fd_set_peer(int fd, const struct sockaddr *peer, socklen_t plen,
		   const struct sockaddr *local, socklen_t llen)
{
	return set_peer(fd, peer, plen, local, llen, false);
}

int sx_fd_set_proxied(int fd, const struct sockaddr *peer, socklen_t plen,
		      const struct sockaddr *local, socklen_t llen)
{
	return set_peer(fd, peer, plen, local, llen, true);
}

bool sx_reg_last_peer(struct sockaddr_storage *out)
{
	socklen_t len;

	sx_reg_lock();
	len = last_len;
	memcpy(out, &last_peer, sizeof(*out));
	sx_reg_unlock();
	return len != 0;
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
	bool del = false;
	int i;

	if (!fl || sx_reg_foreign())
		return;         /* not ours, or a vfork child's own table */
	if (fl == SX_FD_PROXIED) {
		/* The common case, lock-free: the slot is never read without
		 * the flag, and the next sx_fd_set_peer overwrites it. */
		sx_regi_flags(fd, 0, SX_FD_PROXIED);
		return;
	}
	mf = module_flags();
	sx_reg_lock();
	/* Again under the lock: a handshake's worker may have attached state
	 * (GSS-API) to fd since; it cannot any more once fd leaves the record. */
	fl = sx_fd_flags(fd);
	if (fl & (SX_FD_PENDING | SX_FD_ASYNCERR))
		del = sx_pendi_forget(fd);
	if (fl & (SX_FD_EPREG | SX_FD_EPOLL))
		sx_epolli_forget(fd, del);
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
	fl = sx_fd_flags(oldfd);        /* as in sx_reg_close */
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

static int high_base(void)
{
	static atomic_int base;
	int b = atomic_load_explicit(&base, memory_order_relaxed);

	if (!b) {
		struct rlimit rl;

		b = 64;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
			b = rl.rlim_cur >= 8192 ? 4096 : (int)(rl.rlim_cur / 2);
		if (b < 3)
			b = 3;
		atomic_store_explicit(&base, b, memory_order_relaxed);
	}
	return b;
}

int sx_fd_high(int fd)
{
	int h = sx_real.fcntl(fd, F_DUPFD_CLOEXEC, high_base());

	if (h < 0)
		return fd;
	sx_real.close(fd);
	return h;
}

int sx_fd_dup_high(int fd)
{
	int h = sx_real.fcntl(fd, F_DUPFD_CLOEXEC, high_base());

	return h >= 0 ? h : sx_real.fcntl(fd, F_DUPFD_CLOEXEC, 0);
}
