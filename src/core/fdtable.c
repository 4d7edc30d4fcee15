/*
 * fdtable.c - the real destination of each socket we connected through
 * the proxy, so that getpeername() can report it.
 *
 * Beside it, a byte of flags per descriptor (SX_FD_*) that any hook can
 * read without a lock, so calls on descriptors that are not ours cost one
 * load.
 *
 * Indexed by descriptor, in chunks allocated on first use.  Each entry
 * also records the socket's inode: a descriptor closed behind our back
 * (close_range, a raw syscall) and reused for another socket no longer
 * matches, so no hook on close() is needed for correctness.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "socksify/runtime.h"

#define CHUNK_BITS 10
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define NCHUNKS 1024            /* up to 1 Mi descriptors */

struct slot {
	dev_t dev;
	ino_t ino;
	socklen_t len;          /* 0 = unused */
	socklen_t locallen;     /* 0 = the kernel's answer */
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
};

static struct slot *chunks[NCHUNKS];
/* Per-descriptor flags, readable without the lock (see sx_fd_flags). */
static _Atomic(_Atomic uint8_t *) flag_chunks[NCHUNKS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void prepare(void) { pthread_mutex_lock(&lock); }
static void release(void) { pthread_mutex_unlock(&lock); }
static void atfork_register(void) { pthread_atfork(prepare, release, release); }

static struct slot *slot_get(int fd, bool create)
{
	unsigned c, i;

	if (fd < 0 || fd >= NCHUNKS * CHUNK_SIZE)
		return NULL;
	c = (unsigned)fd >> CHUNK_BITS;
	i = (unsigned)fd & (CHUNK_SIZE - 1);
	if (!chunks[c]) {
		if (!create)
			return NULL;
		chunks[c] = calloc(CHUNK_SIZE, sizeof(struct slot));
		if (!chunks[c])
			return NULL;
	}
	return &chunks[c][i];
}

/* Register our fork handlers now: code whose own child handler uses this
 * table must register after us, so ours (which unlock) run first. */
void sx_fdtable_atfork_init(void)
{
	pthread_once(&atfork_once, atfork_register);
}

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

/* Called with the lock held. */
static void flags_update(int fd, unsigned set, unsigned clear)
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
	v = atomic_load_explicit(&c[fd & (CHUNK_SIZE - 1)], memory_order_relaxed);
	v = (uint8_t)((v & ~clear) | set);
	atomic_store_explicit(&c[fd & (CHUNK_SIZE - 1)], v, memory_order_relaxed);
}

void sx_fd_flags_set(int fd, unsigned set, unsigned clear)
{
	pthread_once(&atfork_once, atfork_register);
	pthread_mutex_lock(&lock);
	flags_update(fd, set, clear);
	pthread_mutex_unlock(&lock);
}

static int fd_identity(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

int sx_fd_set_peer(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct slot *s;
	dev_t dev;
	ino_t ino;

	if (len > sizeof(s->peer) || fd_identity(fd, &dev, &ino) < 0)
		return -1;
	pthread_once(&atfork_once, atfork_register);
	pthread_mutex_lock(&lock);
	s = slot_get(fd, true);
	if (s) {
		s->dev = dev;
		s->ino = ino;
		s->len = len;
		s->locallen = 0;
		memcpy(&s->peer, sa, len);
		flags_update(fd, SX_FD_PROXIED, 0);
	}
	pthread_mutex_unlock(&lock);
	return s ? 0 : -1;
}

bool sx_fd_get_peer(int fd, struct sockaddr_storage *out, socklen_t *len)
{
	struct slot *s, copy = { .len = 0 };
	dev_t dev;
	ino_t ino;

	if (!(sx_fd_flags(fd) & SX_FD_PROXIED))
		return false;   /* the common case: not ours, no lock */
	pthread_mutex_lock(&lock);
	s = slot_get(fd, false);
	if (s && s->len)
		copy = *s;
	pthread_mutex_unlock(&lock);
	if (!copy.len)
		return false;
	if (fd_identity(fd, &dev, &ino) == 0 && copy.dev == dev &&
	    copy.ino == ino) {
		memcpy(out, &copy.peer, copy.len);
		*len = copy.len;
		return true;
	}
	/* Stale: the descriptor now names another socket. */
	pthread_mutex_lock(&lock);
	if (s->ino == copy.ino && s->dev == copy.dev) {
		s->len = 0;
		flags_update(fd, 0, SX_FD_PROXIED);
	}
	pthread_mutex_unlock(&lock);
	return false;
}

int sx_fd_set_local(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct slot *s;
	int rc = -1;

	if (len > sizeof(s->local))
		return -1;
	pthread_mutex_lock(&lock);
	s = slot_get(fd, false);
	if (s && s->len) {
		memcpy(&s->local, sa, len);
		s->locallen = len;
		rc = 0;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

bool sx_fd_get_local(int fd, struct sockaddr_storage *out, socklen_t *len)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	struct slot *s;
	bool found = false;

	if (!sx_fd_get_peer(fd, &peer, &plen))     /* validates the socket */
		return false;
	pthread_mutex_lock(&lock);
	s = slot_get(fd, false);
	if (s && s->len && s->locallen) {
		memcpy(out, &s->local, s->locallen);
		*len = s->locallen;
		found = true;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void sx_fd_forget(int fd)
{
	struct slot *s;

	pthread_mutex_lock(&lock);
	s = slot_get(fd, false);
	if (s)
		s->len = 0;
	flags_update(fd, 0, SX_FD_PROXIED);
	pthread_mutex_unlock(&lock);
}

void sx_fd_copy(int oldfd, int newfd)
{
	struct sockaddr_storage peer;
	socklen_t len;

	if (oldfd == newfd || (!sx_fd_flags(oldfd) && !sx_fd_flags(newfd)))
		return;
	if (sx_fd_get_peer(oldfd, &peer, &len)) {
		sx_fd_set_peer(newfd, (struct sockaddr *)&peer, len);
		if (sx_fd_get_local(oldfd, &peer, &len))
			sx_fd_set_local(newfd, (struct sockaddr *)&peer, len);
	} else {
		sx_fd_forget(newfd);
	}
}
