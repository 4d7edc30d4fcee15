/*
 * isolate.c - `isolate process`: each process authenticates with a
 * username/password pair of its own (src/proto/isolate.c), so Tor
 * (IsolateSOCKSAuth) puts the streams of two processes on different
 * circuits.  One pair per process, made on its first proxied connection;
 * a forked child makes its own: the fork handler forgets the parent's
 * pair, and a PID that differs from the pair's owner (a child made with
 * a raw clone()) is noticed on the next connection.
 *
 * How it combines with configured credentials: a hop with a user of its
 * own (URL user@, user/password, SOCKSIFY_USER) keeps it, since the
 * proxy may need it to let us in; every other hop gets the process's
 * pair: SOCKS 5 hops offer "none" and "username/password" and send it if
 * the proxy picks the latter (no failure when it does not), SOCKS 4/4a
 * hops send the user as their user id (Tor isolates on that too).  Hops
 * with GSS-API keep GSS-API.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "socksify/client.h"

#define RANDOM_BYTES 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pid_t owner;                     /* whose pair user/pass is; 0: none */
static char user[3 + 2 * RANDOM_BYTES + 1], pass[24];

static void before_fork(void)
{
	pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void after_fork_child(void)
{
	owner = 0;                      /* the child makes its own pair */
	explicit_bzero(user, sizeof(user));
	pthread_mutex_unlock(&lock);
}

static void setup(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* getrandom(); should the kernel lack it, the clocks and addresses (the
 * PID in the password keeps pairs of live processes apart anyway). */
static void random_bytes(uint8_t *b, size_t n)
{
	struct timespec rt, mt;
	uint64_t x;

	if (getrandom(b, n, GRND_NONBLOCK) == (ssize_t)n)
		return;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	x = (uint64_t)rt.tv_sec * 1000000007u ^ (uint64_t)rt.tv_nsec ^
	    (uint64_t)mt.tv_nsec << 20 ^ (uint64_t)(uintptr_t)&rt;
	for (size_t i = 0; i < n; i++) {        /* splitmix64 */
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		b[i] = (uint8_t)(z ^ (z >> 31));
	}
}

const struct sx_proxy *sx_isolate_hop(const struct sx_conf *c,
				      const struct sx_proxy *p,
				      struct sx_proxy *tmp)
{
	pid_t pid;

	if (c->isolate != SX_ISOLATE_PROCESS || p->user[0] || p->gss.enabled)
		return p;
	pthread_once(&once, setup);
	pid = getpid();
	*tmp = *p;
	pthread_mutex_lock(&lock);
	if (owner != pid) {
		uint8_t rnd[RANDOM_BYTES];

		random_bytes(rnd, sizeof(rnd));
		sx_isolate_creds(rnd, sizeof(rnd), (uint64_t)pid, user,
				 sizeof(user), pass, sizeof(pass));
		owner = pid;
	}
	memcpy(tmp->user, user, sizeof(user));
	memcpy(tmp->pass, pass, sizeof(pass));
	pthread_mutex_unlock(&lock);
	tmp->user_set = tmp->pass_set = true;
	/* With a pair of our own, "none" stays on offer, so the greeting
	 * waits for the proxy's choice: never pipelined. */
	tmp->pipelining = SX_PIPE_OFF;
	return tmp;
}
