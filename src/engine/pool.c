/*
 * pool.c - the supervisor's workers: threads taking jobs (SOCKS
 * handshakes) from one queue; one more starts when a job finds them all
 * busy (up to POOL_MAX), so no program thread waits behind another's
 * handshake, and no thread is started per connection.  (The ptrace engine's; the seccomp
 * engine's receiving threads run their jobs themselves: sx_pool_inline.)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "super.h"

struct job {
	sx_job_fn fn;
	void *arg;
	struct job *next;
};

__thread bool sx_pool_inline;
static struct job *head, *tail;
static int running, queued;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;

static void *worker(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&lock);
	for (;;) {
		struct job *j;

		while (!head)
			pthread_cond_wait(&more, &lock);
		j = head;
		queued--;
		head = j->next;
		if (!head)
			tail = NULL;
		running++;
		pthread_mutex_unlock(&lock);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&lock);
		running--;
		if (!head && !running)
			pthread_cond_broadcast(&idle);
	}
	return NULL;
}

#define POOL_MAX 64

static int pool_size;
static int started;             /* workers alive (under lock) */

static bool spawn_locked(void)
{
	pthread_attr_t at;
	pthread_t t;
	bool ok;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	ok = pthread_create(&t, &at, worker, NULL) == 0;
	pthread_attr_destroy(&at);
	if (ok)
		started++;
	return ok;
}

/* The threads start with the first job (a program that never connects
 * through the proxy costs none), nthreads of them, and one more whenever
 * a job finds every worker busy, up to POOL_MAX. */
int sx_pool_start(int nthreads)
{
	pool_size = nthreads;
	return 0;
}

int sx_pool_submit(sx_job_fn fn, void *arg)
{
	struct job *j;

	if (sx_pool_inline) {
		fn(arg);
		return 0;
	}
	if (!(j = malloc(sizeof(*j)))) {
		errno = ENOMEM;
		return -1;
	}
	j->fn = fn;
	j->arg = arg;
	j->next = NULL;
	pthread_mutex_lock(&lock);
	while (started < pool_size && spawn_locked())
		;
	if (running + queued >= started && started < POOL_MAX)
		spawn_locked();         /* every worker is busy */
	if (!started) {
		pthread_mutex_unlock(&lock);
		free(j);
		errno = ENOMEM;
		return -1;
	}
	if (tail)
		tail->next = j;
	else
		head = j;
	tail = j;
	queued++;
	pthread_cond_signal(&more);
	pthread_mutex_unlock(&lock);
	return 0;
}

void sx_pool_drain(void)
{
	pthread_mutex_lock(&lock);
	while (head || running)
		pthread_cond_wait(&idle, &lock);
	pthread_mutex_unlock(&lock);
}
