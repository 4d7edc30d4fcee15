/*
 * notify.c - the seccomp engine's loop: receive each notification, decide
 * (call.c), answer at once or let a worker answer after the handshake.
 * Answers go straight from the worker (SECCOMP_IOCTL_NOTIF_SEND may be
 * called from any thread), so nothing waits behind a handshake.
 *
 * It ends when the listener hangs up: no process using the filter is
 * left (the program's whole tree has exited).
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "super.h"

static int listener = -1;

static bool notif_valid(const struct sx_call *c)
{
	return ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &c->id) == 0;
}

static void notif_done(const struct sx_call *c, const struct sx_answer *a,
		       bool cont)
{
	struct seccomp_notif_resp r;

	memset(&r, 0, sizeof(r));
	r.id = c->id;
	if (cont)
		r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else if (a->ret < 0)
		r.error = (int32_t)a->ret;
	else
		r.val = a->ret;
	/* ENOENT: the thread was killed meanwhile; nothing to answer */
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

int sx_notify_loop(int fd)
{
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *req;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	listener = fd;
	sx_call_done = notif_done;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -1;
	if (!(req = calloc(1, sizes.seccomp_notif > sizeof(*req) ?
			   sizes.seccomp_notif : sizeof(*req))))
		return -1;
	for (;;) {
		struct sx_call c;
		struct sx_answer a;
		enum sx_verdict v;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(p.revents & POLLIN) && (p.revents & (POLLHUP | POLLERR)))
			break;
		memset(req, 0, sizes.seccomp_notif);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		memset(&c, 0, sizeof(c));
		c.tid = (pid_t)req->pid;
		c.nr = req->data.nr;
		memcpy(c.args, req->data.args, sizeof(c.args));
		c.id = req->id;
		c.listener = fd;
		c.still_valid = notif_valid;
		v = sx_call_handle(&c, &a);
		if (v == SX_CONTINUE)
			notif_done(&c, NULL, true);
		else if (v == SX_ANSWER)
			notif_done(&c, &a, false);
	}
	free(req);
	sx_pool_drain();
	return 0;
}
