/*
 * pool.c - the supervisor's workers: a fixed set of threads taking jobs
 * (SOCKS handshakes) from one queue, so that no program thread waits
 * behind another's handshake while fewer than SX_POOL_THREADS run, and no
 * thread is started per connection.
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

static struct job *head, *tail;
static int running;
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

int sx_pool_start(int nthreads)
{
	pthread_attr_t at;
	pthread_t t;
	int started = 0;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&t, &at, worker, NULL) == 0)
			started++;
	pthread_attr_destroy(&at);
	return started > 0 ? 0 : -1;
}

int sx_pool_submit(sx_job_fn fn, void *arg)
{
	struct job *j = malloc(sizeof(*j));

	if (!j) {
		errno = ENOMEM;
		return -1;
	}
	j->fn = fn;
	j->arg = arg;
	j->next = NULL;
	pthread_mutex_lock(&lock);
	if (tail)
		tail->next = j;
	else
		head = j;
	tail = j;
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
