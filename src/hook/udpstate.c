/*
 * udpstate.c - the per-socket state of UDP through the proxy: the table of
 * associations by descriptor (refcounted across dup(), the control
 * connection closed with the last descriptor) under the registry lock, a
 * module of the registry's close and dup path, and the per-thread
 * datagram buffer.  See the design notes at the top of udp.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "socksify/gssapi.h"
#include "socksify/udp.h"
#include "udp_int.h"

static struct assoc **tab;
static int tabn;
/* The table is under the registry lock (sx_reg_lock).  Serialises association set-ups (slow: network), never held with lock. */
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t scratch_key;

/* The registry's fork handler calls this in the child. */
static void child(void)
{
	/* another thread may have been setting up: it does not exist here */
	pthread_mutex_init(&setup_lock, NULL);
}

static const struct sx_reg_module udp_module = {
	.flag = SX_FD_UDP, .forget = sx_udp_forget, .dup = sx_udp_dup,
	.child = child,
};

void sx_udpi_setup_lock(void) { pthread_mutex_lock(&setup_lock); }
void sx_udpi_setup_unlock(void) { pthread_mutex_unlock(&setup_lock); }

static void init(void)
{
	pthread_key_create(&scratch_key, free);
	sx_reg_module(&udp_module);
}

/* A per-thread buffer for one datagram with its header. */
uint8_t *sx_udpi_scratch(void)
{
	uint8_t *b;

	pthread_once(&once, init);
	b = pthread_getspecific(scratch_key);
	if (!b && (b = malloc(SX_UDP_SCRATCH)))
		pthread_setspecific(scratch_key, b);
	return b;
}

int sx_udpi_identity(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* ---- the table ------------------------------------------------------ */

/* With lock held: fd's association if it still names the same socket. */
static struct assoc *get_locked(int fd, dev_t dev, ino_t ino)
{
	struct assoc *a;

	if (fd < 0 || fd >= tabn || !(a = tab[fd]))
		return NULL;
	return a->dev == dev && a->ino == ino ? a : NULL;
}

/* A copy of fd's association; false if it has none (flag cleared). */
bool sx_udpi_snapshot(int fd, struct assoc *out)
{
	struct assoc *a = NULL;
	dev_t dev;
	ino_t ino;

	if (sx_udpi_identity(fd, &dev, &ino) == 0) {
		sx_reg_lock();
		if ((a = get_locked(fd, dev, ino)))
			*out = *a;
		sx_reg_unlock();
	}
	if (!a)
		sx_udp_forget(fd);      /* stale: closed behind our back */
	return a != NULL;
}

bool sx_udp_owns(int fd)
{
	struct assoc *a = NULL;
	dev_t dev;
	ino_t ino;
	int saved = errno;

	if (sx_udpi_identity(fd, &dev, &ino) == 0) {
		sx_reg_lock();
		a = get_locked(fd, dev, ino);
		sx_reg_unlock();
	}
	if (!a)
		sx_udp_forget(fd);
	errno = saved;
	return a != NULL;
}

static int grow(int fd)
{
	struct assoc **n;
	int cap = tabn ? tabn : 64;

	while (cap <= fd)
		cap *= 2;
	if (cap == tabn)
		return 0;
	n = realloc(tab, (size_t)cap * sizeof(*n));
	if (!n)
		return -1;
	memset(n + tabn, 0, (size_t)(cap - tabn) * sizeof(*n));
	tab = n;
	tabn = cap;
	return 0;
}

/* fd's association, created (AS_NONE) if it has none.  Lock held. */
static struct assoc *get_or_create_locked(int fd, int family, dev_t dev,
					  ino_t ino)
{
	struct assoc *a = get_locked(fd, dev, ino), *old;

	if (a)
		return a;
	if (grow(fd) < 0 || !(a = calloc(1, sizeof(*a))))
		return NULL;
	old = tab[fd];
	if (old && --old->refs == 0) {
		/* its socket was closed behind our back (close_range...) */
		if (old->ctl >= 0)
			sx_real.close(old->ctl);
		sx_gss_udp_unref(old->gss);
		free(old);
	}
	a->refs = 1;
	a->dev = dev;
	a->ino = ino;
	a->family = family;
	a->ctl = -1;
	tab[fd] = a;
	sx_fd_flags_set(fd, SX_FD_UDP, 0);
	return a;
}

struct assoc *sx_udpi_create(int fd, int family)
{
	struct assoc *a;
	dev_t dev;
	ino_t ino;

	if (sx_udpi_identity(fd, &dev, &ino) < 0)
		return NULL;
	pthread_once(&once, init);
	sx_reg_lock();
	a = get_or_create_locked(fd, family, dev, ino);
	sx_reg_unlock();
	return a;
}

void sx_udp_forget(int fd)
{
	struct assoc *a = NULL;
	struct sx_gss_udp *gss = NULL;
	int ctl = -1;
	dev_t cdev = 0, dev;
	ino_t cino = 0, ino;

	sx_reg_lock();
	if (fd >= 0 && fd < tabn && (a = tab[fd])) {
		tab[fd] = NULL;
		if (--a->refs == 0) {
			ctl = a->ctl;
			cdev = a->cdev;
			cino = a->cino;
			gss = a->gss;
			free(a);
		}
	}
	sx_fd_flags_set(fd, 0, SX_FD_UDP);
	sx_reg_unlock();
	sx_gss_udp_unref(gss);          /* sends in progress keep their own */
	/* Close the control connection if its descriptor is still ours. */
	if (ctl >= 0 && sx_udpi_identity(ctl, &dev, &ino) == 0 &&
	    dev == cdev && ino == cino) {
		sx_log(SX_LOG_DEBUG, "UDP socket %d closed: association ended", fd);
		sx_real.close(ctl);
	}
}

void sx_udp_dup(int oldfd, int newfd)
{
	dev_t dev;
	ino_t ino;
	struct assoc *a;

	if (oldfd == newfd || sx_udpi_identity(newfd, &dev, &ino) < 0)
		return;
	pthread_once(&once, init);
	sx_reg_lock();
	a = get_locked(oldfd, dev, ino);
	if (a && grow(newfd) == 0) {
		a->refs++;
		tab[newfd] = a;
		sx_fd_flags_set(newfd, SX_FD_UDP, 0);
	}
	sx_reg_unlock();
}

/* Update fd's association with fn(a, arg) under the lock. */
void sx_udpi_update(int fd, void (*fn)(struct assoc *, const void *),
		   const void *arg)
{
	struct assoc *a;
	dev_t dev;
	ino_t ino;

	if (sx_udpi_identity(fd, &dev, &ino) < 0)
		return;
	sx_reg_lock();
	if ((a = get_locked(fd, dev, ino)))
		fn(a, arg);
	sx_reg_unlock();
}
