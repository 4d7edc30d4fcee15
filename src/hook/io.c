/*
 * io.c - the data calls: read, write, readv, writev, recv, send, recvfrom,
 * recvmsg, recvmmsg, sendmmsg (and glibc's fortified __read_chk,
 * __recv_chk, __recvfrom_chk), and syscall() for the same calls made by
 * number (libuv before 1.45 sends and receives with
 * syscall(__NR_sendmmsg) and syscall(__NR_recvmmsg), e.g. dig).  sendto
 * and sendmsg live in send.c and come here for layered descriptors
 * through sx_io_sendmsg().
 *
 * This is the one place where data calls are hooked.  A descriptor with
 * no SX_FD_LAYERED flag (almost all of them: plain sockets, files, pipes,
 * and TCP connected through the proxy, which needs nothing after the
 * handshake) costs one lock-free load and goes straight to libc.  A
 * layered descriptor's call is turned into the msghdr form and handed to
 * its layer:
 *
 *   SX_FD_UDP   UDP ASSOCIATE (src/hook/udp*.c): header on, header off
 *   SX_FD_GSS   GSS-API per-message protection (src/client/gss_io.c):
 *               01 03 frames, gss_wrap / gss_unwrap
 *   SX_FD_PENDING  a non-blocking connect whose handshake still runs
 *               (src/core/pending.c): EAGAIN, as for a socket still
 *               connecting, so no byte of the program's can slip into
 *               the handshake
 *
 * sendfile, splice and copy_file_range copy in the kernel, past any
 * layer: sendfile into a GSS socket reads and sends through the layer;
 * the others fail with EINVAL there (programs fall back to read/write).
 *
 * Calls made by the library itself (sx_guard) always go to libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "socksify/gssapi.h"
#include "socksify/udp.h"

#define likely(x) __builtin_expect(!!(x), 1)

/* glibc's fortified variants (called instead of the plain ones by programs
 * built with _FORTIFY_SOURCE); not declared without it. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       struct sockaddr *from, socklen_t *fromlen);

/*
 * The layer flags of fd, or 0: the fast path.  A flag can outlive its
 * socket when the descriptor was closed behind our back (closefrom() is
 * close_range(), a raw syscall) and reused, e.g. for a file that is then
 * read(): a layer checks that the descriptor is still its own.
 */
static inline unsigned layered(int fd)
{
	unsigned fl = sx_fd_flags(fd) & SX_FD_LAYERED;

	if (likely(!fl) || sx_guard)
		return 0;
	if ((fl & SX_FD_UDP) && !sx_udp_owns(fd))
		fl &= ~SX_FD_UDP;
	if ((fl & SX_FD_PENDING) && !sx_pend_running(fd))
		fl &= ~SX_FD_PENDING;   /* over, or another object (dup2) */
	return fl;
}

static ssize_t layer_recvmsg(int fd, unsigned fl, struct msghdr *m, int flags)
{
	if (fl & SX_FD_PENDING) {
		errno = EAGAIN;
		return -1;
	}
	if (fl & SX_FD_UDP)
		return sx_udp_recvmsg(fd, m, flags);
	if (fl & SX_FD_GSS)
		return sx_gss_recvmsg(fd, m, flags);
	return sx_real.recvmsg(fd, m, flags);
}

ssize_t sx_io_sendmsg(int fd, unsigned fl, const struct msghdr *m, int flags)
{
	if (fl & SX_FD_PENDING) {
		errno = EAGAIN;
		return -1;
	}
	if (fl & SX_FD_UDP)
		return sx_udp_sendmsg(fd, m, flags);
	if (fl & SX_FD_GSS)
		return sx_gss_sendmsg(fd, m, flags);
	return sx_real.sendmsg(fd, m, flags);
}

/* One buffer, optional address: the msghdr the layers take. */
static ssize_t recv_one(int fd, unsigned fl, void *buf, size_t n, int flags,
			struct sockaddr *from, socklen_t *fromlen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	if (from && fromlen) {
		m.msg_name = from;
		m.msg_namelen = *fromlen;
	}
	r = layer_recvmsg(fd, fl, &m, flags);
	if (r >= 0 && from && fromlen)
		*fromlen = m.msg_namelen;
	return r;
}

static ssize_t send_one(int fd, unsigned fl, const void *buf, size_t n,
			int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	return sx_io_sendmsg(fd, fl, &m, flags);
}

/* ---- receiving -------------------------------------------------------- */

SX_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))))
		return sx_real.read(fd, buf, n);
	return recv_one(fd, fl, buf, n, 0, NULL, NULL);
}

SX_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))) || n > buflen)
		return sx_real.read_chk(fd, buf, n, buflen);
	return recv_one(fd, fl, buf, n, 0, NULL, NULL);
}

SX_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov };
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))) || cnt < 0)
		return sx_real.readv(fd, iov, cnt);
	m.msg_iovlen = (size_t)cnt;
	return layer_recvmsg(fd, fl, &m, 0);
}

SX_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))))
		return sx_real.recv(fd, buf, n, flags);
	return recv_one(fd, fl, buf, n, flags, NULL, NULL);
}

SX_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen,
			     int flags)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))) || n > buflen)
		return sx_real.recv_chk(fd, buf, n, buflen, flags);
	return recv_one(fd, fl, buf, n, flags, NULL, NULL);
}

SX_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
			   struct sockaddr *from, socklen_t *fromlen)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))))
		return sx_real.recvfrom(fd, buf, n, flags, from, fromlen);
	return recv_one(fd, fl, buf, n, flags, from, fromlen);
}

SX_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen,
				 int flags, struct sockaddr *from,
				 socklen_t *fromlen)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))) || n > buflen)
		return sx_real.recvfrom_chk(fd, buf, n, buflen, flags, from,
					    fromlen);
	return recv_one(fd, fl, buf, n, flags, from, fromlen);
}

SX_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))))
		return sx_real.recvmsg(fd, msg, flags);
	return layer_recvmsg(fd, fl, msg, flags);
}

/*
 * recvmmsg: one datagram at a time through the layer.  After the first,
 * the rest are taken only if already there (MSG_WAITFORONE behaviour);
 * the timeout, as the kernel's, is only looked at between datagrams.
 */
SX_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
		       int flags, struct timespec *timeout)
{
	unsigned fl, i;

	sx_real_init();
	if (likely(!(fl = layered(fd))))
		return sx_real.recvmmsg(fd, vec, vlen, flags, timeout);
	flags &= ~MSG_WAITFORONE;
	for (i = 0; i < vlen; i++) {
		ssize_t r = layer_recvmsg(fd, fl, &vec[i].msg_hdr, flags);

		if (r < 0) {
			if (i == 0)
				return -1;
			break;          /* the error shows on the next call */
		}
		vec[i].msg_len = (unsigned)r;
		flags |= MSG_DONTWAIT;
	}
	return (int)i;
}

/* ---- sending ---------------------------------------------------------- */

SX_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))))
		return sx_real.write(fd, buf, n);
	return send_one(fd, fl, buf, n, 0);
}

SX_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov };
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))) || cnt < 0)
		return sx_real.writev(fd, iov, cnt);
	m.msg_iovlen = (size_t)cnt;
	return sx_io_sendmsg(fd, fl, &m, 0);
}

SX_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	unsigned fl;

	sx_real_init();
	if (likely(!(fl = layered(fd))))
		return sx_real.send(fd, buf, n, flags);
	return send_one(fd, fl, buf, n, flags);
}

/* Does any datagram of vec start an association on this (unflagged) fd? */
static bool any_wants_udp(int fd, struct mmsghdr *vec, unsigned int vlen)
{
	for (unsigned i = 0; i < vlen; i++)
		if (vec[i].msg_hdr.msg_name &&
		    sx_udp_wants_send(fd, vec[i].msg_hdr.msg_name,
				      vec[i].msg_hdr.msg_namelen))
			return true;
	return false;
}

/* sendmmsg: one datagram at a time; the count sent, or -1 if none. */
SX_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
		       int flags)
{
	unsigned fl, i;

	sx_real_init();
	fl = layered(fd);
	if (likely(!fl) && (sx_guard || !any_wants_udp(fd, vec, vlen)))
		return sx_real.sendmmsg(fd, vec, vlen, flags);
	for (i = 0; i < vlen; i++) {
		ssize_t r = fl ? sx_io_sendmsg(fd, fl, &vec[i].msg_hdr, flags) :
				 sx_udp_sendmsg(fd, &vec[i].msg_hdr, flags);

		if (r < 0) {
			if (i == 0)
				return -1;
			break;          /* the error shows on the next call */
		}
		vec[i].msg_len = (unsigned)r;
		fl = layered(fd);
	}
	return (int)i;
}

/* ---- kernel copies ------------------------------------------------------ */

static ssize_t layered_sendfile(ssize_t (*real)(int, int, off_t *, size_t),
				int out, int in, off_t *off, size_t count)
{
	unsigned fl;

	sx_real_init();
	fl = layered(out) | layered(in);
	if (likely(!fl))
		return real(out, in, off, count);
	if (layered(out) == SX_FD_GSS && !layered(in))
		return sx_gss_sendfile(out, in, off, count);
	errno = EINVAL;
	return -1;
}

SX_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	sx_real_init();
	return layered_sendfile(sx_real.sendfile, out, in, off, count);
}

SX_EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	sx_real_init();
	return layered_sendfile(sx_real.sendfile64, out, in, off, count);
}

SX_EXPORT ssize_t splice(int in, off_t *inoff, int out, off_t *outoff,
			 size_t len, unsigned int flags)
{
	sx_real_init();
	if (likely(!(layered(in) | layered(out))))
		return sx_real.splice(in, inoff, out, outoff, len, flags);
	errno = EINVAL;
	return -1;
}

SX_EXPORT ssize_t copy_file_range(int in, off_t *inoff, int out, off_t *outoff,
				  size_t len, unsigned int flags)
{
	sx_real_init();
	if (likely(!(layered(in) | layered(out))))
		return sx_real.copy_file_range(in, inoff, out, outoff, len, flags);
	errno = EINVAL;
	return -1;
}

/* ---- the same calls by number ---------------------------------------- */

/*
 * syscall(): the socket data calls made by number go through the hooks
 * above when they concern a layered descriptor, or (sends) may start a
 * UDP association; everything else goes to libc untouched.  glibc's
 * syscall() takes six arguments whatever the number.
 */
SX_EXPORT long syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	int fd;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	sx_real_init();
	fd = (int)a[0];
	switch (nr) {
	case SYS_sendmmsg:
		return sendmmsg(fd, (void *)a[1], (unsigned)a[2], (int)a[3]);
	case SYS_sendto:
		return sendto(fd, (void *)a[1], (size_t)a[2], (int)a[3],
			      (void *)a[4], (socklen_t)a[5]);
	case SYS_sendmsg:
		return sendmsg(fd, (void *)a[1], (int)a[2]);
	case SYS_recvmmsg:
		if (layered(fd))
			return recvmmsg(fd, (void *)a[1], (unsigned)a[2],
					(int)a[3], (void *)a[4]);
		break;
	case SYS_recvfrom:
		if (layered(fd))
			return recvfrom(fd, (void *)a[1], (size_t)a[2], (int)a[3],
					(void *)a[4], (void *)a[5]);
		break;
	case SYS_recvmsg:
		if (layered(fd))
			return recvmsg(fd, (void *)a[1], (int)a[2]);
		break;
	case SYS_read:
		if (layered(fd))
			return read(fd, (void *)a[1], (size_t)a[2]);
		break;
	case SYS_write:
		if (layered(fd))
			return write(fd, (void *)a[1], (size_t)a[2]);
		break;
	}
	return sx_real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
