/*
 * notify.c - the seccomp engine's loop.  A few receiving threads each wait
 * in SECCOMP_IOCTL_NOTIF_RECV (the kernel hands each notification to one
 * of them), decide (call.c) and answer, running a handshake themselves:
 * no hand-over between threads on the way.  When the last idle receiver
 * takes a notification it starts another (up to RECEIVERS_MAX), so no
 * program thread waits behind another's handshake and no thread is
 * started per connection.
 *
 * The main thread only watches the listener: it hangs up when no process
 * uses the filter any more (the program's whole tree has exited), and the
 * supervisor ends.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "socksify/runtime.h"
#include "super.h"

#define RECEIVERS_START 2
#define RECEIVERS_MAX 64

static int listener = -1;
static size_t notif_size;
static atomic_int idle, receivers;

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

static void *receiver(void *unused);

static void receiver_add(void)
{
	pthread_attr_t at;
	pthread_t t;

	if (atomic_fetch_add(&receivers, 1) >= RECEIVERS_MAX) {
		atomic_fetch_sub(&receivers, 1);
		return;
	}
	atomic_fetch_add(&idle, 1);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	if (pthread_create(&t, &at, receiver, NULL) != 0) {
		atomic_fetch_sub(&receivers, 1);
		atomic_fetch_sub(&idle, 1);
	}
	pthread_attr_destroy(&at);
}

static void *receiver(void *unused)
{
	struct seccomp_notif *req = calloc(1, notif_size);

	(void)unused;
	sx_pool_inline = true;
	while (req) {
		struct sx_call c;
		struct sx_answer a;
		enum sx_verdict v;

		memset(req, 0, notif_size);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		if (atomic_fetch_sub(&idle, 1) == 1)
			receiver_add();         /* we were the last idle one */
		memset(&c, 0, sizeof(c));
		c.tid = (pid_t)req->pid;
		c.nr = req->data.nr;
		memcpy(c.args, req->data.args, sizeof(c.args));
		c.id = req->id;
		c.listener = listener;
		c.still_valid = notif_valid;
		v = sx_call_handle(&c, &a);
		if (v == SX_CONTINUE)
			notif_done(&c, NULL, true);
		else if (v == SX_ANSWER)
			notif_done(&c, &a, false);
		atomic_fetch_add(&idle, 1);
	}
	free(req);
	atomic_fetch_sub(&idle, 1);
	atomic_fetch_sub(&receivers, 1);
	return NULL;
}

int sx_notify_loop(int fd)
{
	struct seccomp_notif_sizes sizes;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	listener = fd;
	sx_call_done = notif_done;
	if (sx_real.syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -1;
	notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ?
		     sizes.seccomp_notif : sizeof(struct seccomp_notif);
	for (int i = 0; i < RECEIVERS_START; i++)
		receiver_add();
	if (atomic_load(&receivers) == 0)
		return -1;
	/* POLLIN comes and goes as receivers take notifications; wait for
	 * the hang-up alone (POLLIN would make this a busy loop). */
	p.events = 0;
	while (sx_real.poll(&p, 1, -1) >= 0 || errno == EINTR)
		if (p.revents & (POLLHUP | POLLERR))
			break;
	return 0;
}
