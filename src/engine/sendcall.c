/*
 * sendcall.c - sendto, sendmsg and sendmmsg with a destination, in the
 * seccomp and ptrace engines (the decisions are call.c's):
 *
 *   UDP to port 53, remote DNS on   the datagram goes to the supervisor's
 *                                   DNS answerer, from the program's socket
 *   UDP elsewhere                   the kernel's, or the `udp` setting
 *   TCP with MSG_FASTOPEN           a connect with data: the handshake,
 *                                   then the bytes
 *   sendmmsg with some message of ours: the supervisor sends them all and
 *   writes each msg_len back, as the kernel would
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "socksify/runtime.h"
#include "target.h"

#define PAYLOAD_MAX 65536
#define IOV_MAX_READ 64

/* Gather a message's bytes (at most PAYLOAD_MAX) from the program. */
static ssize_t gather(pid_t tid, uint64_t iovp, size_t niov, uint8_t *buf)
{
	struct iovec iov[IOV_MAX_READ];
	size_t n = 0;

	if (niov > IOV_MAX_READ)
		niov = IOV_MAX_READ;
	if (niov && sx_mem_read(tid, iovp, iov, niov * sizeof(iov[0])) < 0)
		return -1;
	for (size_t i = 0; i < niov && n < PAYLOAD_MAX; i++) {
		size_t l = iov[i].iov_len;

		if (l > PAYLOAD_MAX - n)
			l = PAYLOAD_MAX - n;
		if (sx_mem_read(tid, (uintptr_t)iov[i].iov_base, buf + n, l) < 0)
			return -1;
		n += l;
	}
	return (ssize_t)n;
}

/* The bytes of a send: iovp/niov (sendmsg) or buf/len (sendto), at most
 * PAYLOAD_MAX, into a new buffer (*out); their count, or -1. */
static ssize_t payload(pid_t tid, uint64_t iovp, size_t niov, uint64_t buf,
		       size_t len, uint8_t **out)
{
	ssize_t n;

	if (!(*out = malloc(PAYLOAD_MAX)))
		return -1;
	if (iovp)
		n = gather(tid, iovp, niov, *out);
	else {
		n = (ssize_t)(len < PAYLOAD_MAX ? len : PAYLOAD_MAX);
		if (sx_mem_read(tid, buf, *out, (size_t)n) < 0)
			n = -1;
	}
	if (n < 0) {
		free(*out);
		*out = NULL;
	}
	return n;
}

/*
 * A TCP send with a destination: only MSG_FASTOPEN on an unconnected
 * socket connects (else the kernel ignores the address or fails).  Through
 * the proxy: the handshake, then the bytes, as the library does.
 */
static enum sx_verdict on_fastopen(const struct sx_call *c, struct target *t,
				   uint64_t iovp, size_t niov, uint64_t buf,
				   size_t len, int flags, struct sx_answer *a)
{
	uint8_t *data;
	ssize_t n;

	if (!(flags & MSG_FASTOPEN) || sx_target_connected(t->copy) ||
	    (!sx_target_dns(t) && !sx_target_tcp_routed(t)))
		return sx_target_pass(t);
	if ((n = payload(c->tid, iovp, niov, buf, len, &data)) < 0)
		return sx_target_answer(a, t, -EFAULT);
	if (sx_target_dns(t)) {
		int64_t r = sx_target_dns_redirect(t);

		if (r == 0 && (r = sx_real.send(t->copy, data, (size_t)n, MSG_NOSIGNAL)) < 0)
			r = -errno;
		free(data);
		return sx_target_answer(a, t, r);
	}
	return sx_target_handshake(c, t, data, (size_t)n, a);
}

/* A datagram with a destination, sent by the program.  Port 53 under
 * remote DNS: we send it to the answerer from the program's socket. */
static enum sx_verdict on_datagram(const struct sx_call *c, struct target *t,
				   uint64_t iovp, size_t niov, uint64_t buf,
				   size_t len, int flags, struct sx_answer *a)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	uint8_t *data;
	ssize_t n;

	if (t->type == SOCK_STREAM)
		return on_fastopen(c, t, iovp, niov, buf, len, flags, a);
	if (!sx_target_dns(t))
		return sx_target_udp(t, a);
	if (!sx_dnsd_addr(t->family, SOCK_DGRAM, &sa, &salen))
		return sx_target_answer(a, t, -ECONNREFUSED);
	if ((n = payload(c->tid, iovp, niov, buf, len, &data)) < 0)
		return sx_target_answer(a, t, -EFAULT);
	n = sx_real.sendto(t->copy, data, (size_t)n, MSG_DONTWAIT,
		   (struct sockaddr *)&sa, salen);
	free(data);
	return sx_target_answer(a, t, n < 0 ? -errno : n);
}

enum sx_verdict sx_on_sendto(const struct sx_call *c, struct sx_answer *a)
{
	struct target t;
	int r;

	if ((r = sx_target_get(c, (int)c->args[0], c->args[4], c->args[5], &t)) != 1)
		return sx_target_not_ready(r, a);
	return on_datagram(c, &t, 0, 0, c->args[1], c->args[2],
			   (int)c->args[3], a);
}

enum sx_verdict sx_on_sendmsg(const struct sx_call *c, struct sx_answer *a)
{
	struct msghdr m;
	struct target t;
	int r;

	if (sx_mem_read(c->tid, c->args[1], &m, sizeof(m)) < 0)
		return SX_CONTINUE;
	if ((r = sx_target_get(c, (int)c->args[0], (uintptr_t)m.msg_name,
			    m.msg_namelen, &t)) != 1)
		return sx_target_not_ready(r, a);
	return on_datagram(c, &t, (uintptr_t)m.msg_iov, m.msg_iovlen, 0, 0,
			   (int)c->args[2], a);
}

/*
 * sendmmsg: when some message names a destination that is not simply let
 * through, the supervisor sends them all, one by one, and writes each
 * msg_len back, as the kernel would.
 */
enum sx_verdict sx_on_sendmmsg(const struct sx_call *c, struct sx_answer *a)
{
	unsigned n = (unsigned)c->args[2] > 1024 ? 1024 : (unsigned)c->args[2];
	struct mmsghdr mm;
	struct target t;
	struct sx_answer one;
	unsigned i, sent = 0;
	bool ours = false;
	int r;

	for (i = 0; i < n && !ours; i++) {
		if (sx_mem_read(c->tid, c->args[1] + i * sizeof(mm), &mm,
				sizeof(mm)) < 0)
			return SX_CONTINUE;
		if ((r = sx_target_get(c, (int)c->args[0],
				     (uintptr_t)mm.msg_hdr.msg_name,
				     mm.msg_hdr.msg_namelen, &t)) < 0)
			return sx_target_not_ready(r, a);
		if (r == 0)
			continue;
		ours = t.type == SOCK_DGRAM &&
		       (sx_target_dns(&t) || !sx_target_udp_passes(&t));
		sx_real.close(t.copy);
	}
	if (!ours)
		return SX_CONTINUE;
	for (i = 0; i < n; i++) {
		uint64_t at = c->args[1] + i * sizeof(mm);
		enum sx_verdict v;

		if (sx_mem_read(c->tid, at, &mm, sizeof(mm)) < 0)
			break;
		if (sx_target_get(c, (int)c->args[0],
			       (uintptr_t)mm.msg_hdr.msg_name,
			       mm.msg_hdr.msg_namelen, &t) != 1)
			break;
		v = on_datagram(c, &t, (uintptr_t)mm.msg_hdr.msg_iov,
				mm.msg_hdr.msg_iovlen, 0, 0, 0, &one);
		if (v == SX_CONTINUE) {
			/* a direct datagram: send it ourselves, like the rest */
			uint8_t *data = NULL;
			ssize_t l = payload(c->tid, (uintptr_t)mm.msg_hdr.msg_iov,
					    mm.msg_hdr.msg_iovlen, 0, 0, &data);
			int fd = l >= 0 ? sx_mem_takefd(c->tid, (int)c->args[0]) : -1;

			one.ret = -EFAULT;
			if (fd >= 0) {
				one.ret = sx_real.sendto(fd, data, (size_t)l, MSG_DONTWAIT,
						 (struct sockaddr *)&t.dst, t.dstlen);
				if (one.ret < 0)
					one.ret = -errno;
				sx_real.close(fd);
			}
			free(data);
		}
		if (one.ret < 0) {
			if (sent == 0)
				return sx_target_answer(a, NULL, one.ret);
			break;
		}
		mm.msg_len = (unsigned)one.ret;
		sx_mem_write(c->tid, at + offsetof(struct mmsghdr, msg_len),
			     &mm.msg_len, sizeof(mm.msg_len));
		sent++;
	}
	return sx_target_answer(a, NULL, sent);
}
