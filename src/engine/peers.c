/*
 * peers.c - the destinations of sockets the supervisor connected through
 * the proxy, for getpeername().  Keyed by the socket itself (device and
 * inode of the descriptor the supervisor took with pidfd_getfd), never by
 * a descriptor number the program may close and reuse; each entry also
 * keeps the proxy end the socket was connected to, so a recycled inode
 * number (a new socket) is not mistaken for the old one.
 *
 * Bounded: 4-way buckets; a full bucket forgets its oldest entry (that
 * socket's getpeername then reports the proxy, as the kernel would).
 */
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "socksify/runtime.h"
#include "super.h"

#define NBUCKETS 2048
#define WAYS 4

struct peer {
	dev_t dev;
	ino_t ino;
	uint64_t age;
	struct sockaddr_storage dst, via;
	socklen_t dstlen, vialen;
};

static struct peer table[NBUCKETS][WAYS];
static uint64_t clock_;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bool key(int fd, struct stat *st, struct sockaddr_storage *via,
		socklen_t *vialen)
{
	*vialen = sizeof(*via);
	return fstat(fd, st) == 0 &&
	       sx_real.getpeername(fd, (struct sockaddr *)via, vialen) == 0;
}

static struct peer *find(const struct stat *st)
{
	struct peer *b = table[st->st_ino % NBUCKETS];

	for (int i = 0; i < WAYS; i++)
		if (b[i].age && b[i].ino == st->st_ino && b[i].dev == st->st_dev)
			return &b[i];
	return NULL;
}

void sx_peers_set(int fd, const struct sockaddr *dst, socklen_t len)
{
	struct sockaddr_storage via;
	socklen_t vialen;
	struct stat st;
	struct peer *p, *b;

	if (!key(fd, &st, &via, &vialen) || len > sizeof(p->dst))
		return;
	pthread_mutex_lock(&lock);
	if (!(p = find(&st))) {
		b = table[st.st_ino % NBUCKETS];
		p = &b[0];
		for (int i = 1; i < WAYS; i++)
			if (b[i].age < p->age)
				p = &b[i];
	}
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->age = ++clock_;
	memcpy(&p->dst, dst, len);
	p->dstlen = len;
	memcpy(&p->via, &via, vialen);
	p->vialen = vialen;
	pthread_mutex_unlock(&lock);
}

bool sx_peers_get(int fd, struct sockaddr_storage *dst, socklen_t *len)
{
	struct sockaddr_storage via;
	socklen_t vialen;
	struct stat st;
	struct peer *p;
	bool r = false;

	if (!key(fd, &st, &via, &vialen))
		return false;
	pthread_mutex_lock(&lock);
	p = find(&st);
	if (p && p->vialen == vialen && memcmp(&p->via, &via, vialen) == 0) {
		memcpy(dst, &p->dst, p->dstlen);
		*len = p->dstlen;
		r = true;
	}
	pthread_mutex_unlock(&lock);
	return r;
}
