/*
 * pend_util.h - what the unit tests of pending handshakes share
 * (test_registry.c, test_drive.c): a connected loopback TCP pair and the
 * job callbacks that do nothing.  A header: each test is one program.
 */
#ifndef SX_TEST_PEND_UTIL_H
#define SX_TEST_PEND_UTIL_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connected loopback TCP socket, non-blocking; its peer in *peer. */
static inline int loopback_pair(int *peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), fd;

	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	getsockname(l, (struct sockaddr *)&a, &len);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	*peer = accept(l, NULL, NULL);
	ck_assert_int_ge(*peer, 0);
	close(l);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* abort(): the errno as the result, as connect.c's does. */
static inline int stub_abort(void *job, int fd, int err)
{
	(void)job;
	(void)fd;
	errno = err;
	return -1;
}

#endif
