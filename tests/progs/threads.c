/* threads - many concurrent connections from many threads, for socksify tests.
 *
 *   threads HOST PORT [THREADS [CONNS]]      (default 8 threads x 50 connections)
 *
 * Each connection sends one line and reads its echo.  Odd threads use plain blocking
 * sockets; even threads set SO_RCVTIMEO and SO_SNDTIMEO (5 s) before connect.
 * Prints "ok N of M" and exits 0 only if every connection echoed correctly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct sockaddr_in dest;
static int conns_per_thread = 50;
static int ok_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int one_connection(int thread, int i)
{
	char line[64], buf[64];
	size_t len, got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return errno;
	if (thread % 2 == 0) {
		struct timeval tv = { .tv_sec = 5 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&dest, sizeof(dest)) < 0)
		goto err;
	len = (size_t)snprintf(line, sizeof(line), "thread %d conn %d\n", thread, i);
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		goto err;
	while (got < len) {
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			goto err;
		}
		got += (size_t)n;
	}
	close(fd);
	if (got != len || memcmp(buf, line, len) != 0)
		return EBADMSG;
	return 0;
err:
	n = errno;
	close(fd);
	return (int)n;
}

static void *worker(void *arg)
{
	int thread = (int)(long)arg, i, err;

	for (i = 0; i < conns_per_thread; i++) {
		err = one_connection(thread, i);
		pthread_mutex_lock(&lock);
		if (err == 0)
			ok_count++;
		else
			fprintf(stderr, "thread %d conn %d: %s\n", thread, i, strerror(err));
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = 8, i;
	pthread_t tid[64];

	if (argc < 3) {
		fprintf(stderr, "usage: threads HOST PORT [THREADS [CONNS]]\n");
		return 2;
	}
	if (argc > 3)
		nthreads = atoi(argv[3]);
	if (argc > 4)
		conns_per_thread = atoi(argv[4]);
	if (nthreads < 1 || nthreads > 64 || conns_per_thread < 1)
		return 2;
	dest.sin_family = AF_INET;
	dest.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &dest.sin_addr) != 1)
		return 2;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, worker, (void *)(long)i))
			return 2;
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	printf("ok %d of %d\n", ok_count, nthreads * conns_per_thread);
	return ok_count == nthreads * conns_per_thread ? 0 : 1;
}
