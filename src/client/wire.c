/*
 * wire.c - deadline-bound reads and writes of the handshake's messages
 * (client.h: sx_wire_*).  The socket is non-blocking; poll() waits, and
 * EINTR never extends the deadline.  In a fiber (the handshake of a
 * non-blocking connect, src/core/fiber.c) the event loop waits instead.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "socksify/client.h"
#include "socksify/fiber.h"
#include "socksify/runtime.h"

int64_t sx_now_ms(void)
{
	return sx_mono_ms();
}

int sx_wire_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int rc = sx_fiber_wait_if(fd, events, deadline);

	if (rc >= 0)        /* in a fiber: the event loop waited */
		return rc;
	sx_real_init();     /* libc's own calls, not our hooks */
	for (;;) {
		int64_t left = deadline - sx_now_ms();
		int r;

		if (left <= 0)
			return ETIMEDOUT;
		r = sx_real.poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;   /* errors show up in the following I/O */
		if (r < 0 && errno != EINTR)
			return errno;
	}
}

static int send_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const uint8_t *p = buf;

	sx_real_init();
	while (len > 0) {
		ssize_t n = sx_real.send(fd, p, len, MSG_NOSIGNAL);
		int err;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* EINPROGRESS: TCP_FASTOPEN_CONNECT sent its SYN first. */
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINPROGRESS)
			return errno;
		err = sx_wire_wait(fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

static int recv_exact(int fd, uint8_t *p, size_t len, int64_t deadline)
{
	sx_real_init();
	while (len > 0) {
		ssize_t n = sx_real.recv(fd, p, len, 0);
		int err;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return SX_WIRE_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno;
		err = sx_wire_wait(fd, POLLIN, deadline);
		if (err)
			return err;
	}
	return 0;
}

struct sx_wire_res sx_wire_send(int fd, const void *buf, size_t len,
				int64_t deadline)
{
	return (struct sx_wire_res){ .err = send_all(fd, buf, len, deadline) };
}

static struct sx_wire_res malformed(enum sx_perr perr)
{
	return (struct sx_wire_res){ .err = EPROTO, .perr = perr };
}

struct sx_wire_res sx_wire_recv(int fd, uint8_t *buf, size_t cap,
				sx_parse_fn parse, void *out, int64_t deadline)
{
	size_t have = 0, need = 0;

	for (;;) {
		ssize_t r = parse(buf, have, out, &need);
		int err;

		if (r > 0)
			return (struct sx_wire_res){ 0 };
		if (r < 0)
			return malformed((enum sx_perr)-r);
		if (need <= have || need > cap)
			return malformed(SX_PERR_NOSPACE);
		err = recv_exact(fd, buf + have, need - have, deadline);
		if (err)
			return (struct sx_wire_res){ .err = err };
		have = need;
	}
}

ssize_t sx_parse_method(const uint8_t *b, size_t n, void *out, size_t *need)
{
	return sx_s5_method_parse(b, n, out, need);
}

ssize_t sx_parse_userpass(const uint8_t *b, size_t n, void *out, size_t *need)
{
	return sx_userpass_reply_parse(b, n, out, need);
}

ssize_t sx_parse_s5_reply(const uint8_t *b, size_t n, void *out, size_t *need)
{
	return sx_s5_reply_parse(b, n, out, need);
}
