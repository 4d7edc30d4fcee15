/*
 * script_peer.c - the scripted proxy of script_peer.h.
 */
#include "script_peer.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STEP_MS 5000    /* longer than any handshake deadline in the tests */

static int wait_in(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, STEP_MS) == 1 ? 0 : -1;
}

static int step_fail(struct peer *p, int i, const char *what)
{
	p->failed = i;
	snprintf(p->why, sizeof(p->why), "step %d: %s", i, what);
	return -1;
}

static int expect(struct peer *p, int i, const struct step *s)
{
	uint8_t got[1024];
	size_t have = 0;

	if (s->len > sizeof(got))
		return step_fail(p, i, "expected message too long for the test peer");
	while (have < s->len) {
		ssize_t n;

		if (wait_in(p->fd) < 0)
			return step_fail(p, i, "nothing came within 5 s");
		n = recv(p->fd, got + have, s->len - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(p->why, sizeof(p->why), "step %d: connection "
				 "closed after %zu of %zu bytes", i, have, s->len);
			p->failed = i;
			return -1;
		}
		have += (size_t)n;
	}
	if (memcmp(got, s->data, s->len) != 0) {
		size_t k = 0;

		while (got[k] == s->data[k])
			k++;
		snprintf(p->why, sizeof(p->why), "step %d: byte %zu is 0x%02x, "
			 "expected 0x%02x", i, k, got[k], s->data[k]);
		p->failed = i;
		return -1;
	}
	return 0;
}

static int send_all(struct peer *p, int i, const struct step *s)
{
	size_t off = 0;

	while (off < s->len) {
		ssize_t n = send(p->fd, s->data + off, s->len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return step_fail(p, i, "send failed");
		off += (size_t)n;
	}
	return 0;
}

static void *run(void *arg)
{
	struct peer *p = arg;
	uint8_t sink[256];

	if (p->lfd >= 0) {
		if (wait_in(p->lfd) < 0) {
			step_fail(p, 0, "no connection came within 5 s");
			return NULL;
		}
		p->fd = accept(p->lfd, NULL, NULL);
		if (p->fd < 0) {
			step_fail(p, 0, "accept failed");
			return NULL;
		}
	}
	for (int i = 0; p->steps[i].kind != STEP_END; i++) {
		const struct step *s = &p->steps[i];
		int rc = 0;

		if (s->kind == STEP_EXPECT)
			rc = expect(p, i, s);
		else if (s->kind == STEP_SEND)
			rc = send_all(p, i, s);
		else if (s->kind == STEP_CLOSE)
			shutdown(p->fd, SHUT_RDWR);
		else    /* STEP_STALL: until the client closes */
			while (wait_in(p->fd) == 0 && recv(p->fd, sink, sizeof(sink), 0) > 0)
				;
		if (rc < 0)
			break;
	}
	return NULL;
}

static void start(struct peer *p, int fd, int lfd, const struct step *steps)
{
	p->fd = fd;
	p->lfd = lfd;
	p->steps = steps;
	p->failed = -1;
	p->why[0] = '\0';
	ck_assert_int_eq(pthread_create(&p->th, NULL, run, p), 0);
}

void peer_start(struct peer *p, int fd, const struct step *steps)
{
	start(p, fd, -1, steps);
}

void peer_accept(struct peer *p, int lfd, const struct step *steps)
{
	start(p, -1, lfd, steps);
}

int peer_join(struct peer *p)
{
	pthread_join(p->th, NULL);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	return p->failed;
}

void peer_socketpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK), 0);
}

int peer_listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 8) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

int peer_pending(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}
