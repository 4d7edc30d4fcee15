/*
 * fdtable.c - the real destination of each socket we connected through
 * the proxy, so that getpeername() can report it.
 *
 * Indexed by descriptor, in chunks allocated on first use.  Each entry
 * also records the socket's inode: a descriptor closed behind our back
 * (close_range, a raw syscall) and reused for another socket no longer
 * matches, so no hook on close() is needed for correctness.
 */
#include <pthread.h>
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
	struct sockaddr_storage peer;
};

static struct slot *chunks[NCHUNKS];
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
		memcpy(&s->peer, sa, len);
	}
	pthread_mutex_unlock(&lock);
	return s ? 0 : -1;
}

bool sx_fd_get_peer(int fd, struct sockaddr_storage *out, socklen_t *len)
{
	struct slot *s, copy = { .len = 0 };
	dev_t dev;
	ino_t ino;

	pthread_mutex_lock(&lock);
	s = slot_get(fd, false);
	if (s && s->len)
		copy = *s;
	pthread_mutex_unlock(&lock);
	if (!copy.len)
		return false;   /* the common case: not ours, no system call */
	if (fd_identity(fd, &dev, &ino) == 0 && copy.dev == dev &&
	    copy.ino == ino) {
		memcpy(out, &copy.peer, copy.len);
		*len = copy.len;
		return true;
	}
	/* Stale: the descriptor now names another socket. */
	pthread_mutex_lock(&lock);
	if (s->ino == copy.ino && s->dev == copy.dev)
		s->len = 0;
	pthread_mutex_unlock(&lock);
	return false;
}

void sx_fd_forget(int fd)
{
	struct slot *s;

	pthread_mutex_lock(&lock);
	s = slot_get(fd, false);
	if (s)
		s->len = 0;
	pthread_mutex_unlock(&lock);
}

void sx_fd_copy(int oldfd, int newfd)
{
	struct sockaddr_storage peer;
	socklen_t len;

	if (oldfd == newfd)
		return;
	if (sx_fd_get_peer(oldfd, &peer, &len))
		sx_fd_set_peer(newfd, (struct sockaddr *)&peer, len);
	else
		sx_fd_forget(newfd);
}
