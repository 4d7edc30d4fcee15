/*
 * gss_send.c - sending on a socket protected with GSS-API (gss_io.c has
 * the table and the receive side): the plaintext is cut at the frame
 * limit, each piece gss_wrap'ed and written as one 01 03 frame.  A send
 * that started a frame finishes it (waiting for the socket if need be): a
 * frame cut in two would break the stream, and a wrapped token cannot be
 * taken back (its sequence number is used).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socksify/gssapi.h"
#include "socksify/runtime.h"
#include "gss_int.h"

static int wait_writable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int r;

	sx_real_init();
	do
		r = sx_real.poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Write header + token completely: the stream breaks otherwise. */
static int send_frame(int fd, const uint8_t *hdr, const void *tok, size_t len,
		      int flags, bool nonblock)
{
	struct iovec v[2] = { { (void *)hdr, SX_GSS_HLEN }, { (void *)tok, len } };
	struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
	int sflags = (flags & (MSG_NOSIGNAL | MSG_MORE)) | MSG_DONTWAIT;
	ssize_t n;

	while (m.msg_iovlen > 0) {
		n = sx_gss_real.sendmsg(fd, &m, sflags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return errno;
		if (n < 0) {
			if (wait_writable(fd, nonblock ? SEND_WAIT_MS : -1) == 0)
				return ETIMEDOUT;
			continue;
		}
		while (n > 0 && m.msg_iovlen > 0) {
			size_t c = (size_t)n < m.msg_iov->iov_len ? (size_t)n :
				   m.msg_iov->iov_len;

			m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + c;
			m.msg_iov->iov_len -= c;
			n -= (ssize_t)c;
			if (m.msg_iov->iov_len == 0) {
				m.msg_iov++;
				m.msg_iovlen--;
			}
		}
	}
	return 0;
}

/* The next chunk of plaintext: a pointer into iov when contiguous. */
static const uint8_t *gather(struct gsock *g, const struct iovec *iov,
			     int iovcnt, size_t off, size_t len)
{
	size_t done = 0;

	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t n = iov[i].iov_len, c;

		if (off >= n) {
			off -= n;
			continue;
		}
		c = n - off < len - done ? n - off : len - done;
		if (done == 0 && c == len)
			return (const uint8_t *)iov[i].iov_base + off;
		memcpy(g->plain + done, (const uint8_t *)iov[i].iov_base + off, c);
		done += c;
		off = 0;
	}
	return g->plain;
}

static int wrap_send(struct gsock *g, int fd, const uint8_t *p, size_t len,
		     int flags, bool nonblock)
{
	sx_gss_buffer_desc in = { len, (void *)p }, out = { 0, NULL };
	sx_om_uint32 major, minor;
	uint8_t hdr[SX_GSS_HLEN];
	int conf = 0, err;
	char msg[700], ct[400];

	pthread_mutex_lock(&g->glock);
	sx_guard++;
	major = g->api->wrap(&minor, g->ctx, g->level == SX_GSS_PROT_CONFIDENTIALITY,
			     0, &in, &conf, &out);
	sx_guard--;
	pthread_mutex_unlock(&g->glock);
	if (SX_GSS_ERROR(major)) {
		sx_gss_status(g->api, "gss_wrap", major, minor, msg, sizeof(msg));
		sx_log(SX_LOG_ERROR, "%s: GSS-API: cannot protect data: %s",
		       sx_gssi_conn_text(fd, ct, sizeof(ct)), msg);
		return EPROTO;
	}
	if (g->level == SX_GSS_PROT_CONFIDENTIALITY && !conf) {
		g->api->release_buffer(&minor, &out);   /* never send it clear */
		sx_log(SX_LOG_ERROR, "%s: GSS-API: gss_wrap left data not "
		       "encrypted although confidentiality was agreed; not sent",
		       sx_gssi_conn_text(fd, ct, sizeof(ct)));
		return EPROTO;
	}
	if (sx_gss_header_encode(hdr, sizeof(hdr), SX_GSS_MTYP_DATA, out.length) < 0) {
		g->api->release_buffer(&minor, &out);
		sx_log(SX_LOG_ERROR, "%s: GSS-API: gss_wrap made a token of %zu "
		       "bytes, more than a message holds",
		       sx_gssi_conn_text(fd, ct, sizeof(ct)), out.length);
		return EMSGSIZE;
	}
	err = send_frame(fd, hdr, out.value, out.length, flags, nonblock);
	g->api->release_buffer(&minor, &out);
	return err;
}

static ssize_t send_core(struct gsock *g, int fd, const struct iovec *iov,
			 int iovcnt, int flags, size_t total)
{
	size_t sent = 0;
	bool nonblock;
	int err = 0;

	sx_real_init();
	nonblock = (flags & MSG_DONTWAIT) || (sx_real.fcntl(fd, F_GETFL) & O_NONBLOCK);
	pthread_mutex_lock(&g->wlock);
	err = g->werr;
	while (!err && sent < total) {
		size_t len = total - sent < g->maxin ? total - sent : g->maxin;

		/* Start a frame only when the socket takes bytes now. */
		if (nonblock && wait_writable(fd, 0) == 0) {
			err = EAGAIN;
			break;
		}
		err = wrap_send(g, fd, gather(g, iov, iovcnt, sent, len), len,
				flags, nonblock);
		if (err)
			g->werr = err == ETIMEDOUT ? EPIPE : err;
		else
			sent += len;
	}
	pthread_mutex_unlock(&g->wlock);
	if (sent > 0)
		return (ssize_t)sent;
	return errno = err, -1;
}

static ssize_t send_fd(int fd, const struct iovec *iov, int iovcnt, int flags)
{
	return sx_gssi_call(fd, send_core, iov, iovcnt, flags);
}

ssize_t sx_gss_send(int fd, const void *buf, size_t len, int flags)
{
	struct iovec iov = { (void *)buf, len };

	return send_fd(fd, &iov, 1, flags);
}

ssize_t sx_gss_writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return errno = EINVAL, -1;
	return send_fd(fd, iov, iovcnt, 0);
}

ssize_t sx_gss_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (msg->msg_iovlen > IOV_MAX)
		return errno = EMSGSIZE, -1;
	return send_fd(fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
}

/* sendfile() into a protected socket: read, then send protected. */
ssize_t sx_gss_sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	size_t done = 0, chunk = 65536;
	uint8_t *buf;
	ssize_t n, s = 0;
	int err = 0;

	sx_gssi_real_init();
	if (count == 0)
		return 0;
	buf = malloc(chunk);
	if (!buf)
		return errno = ENOMEM, -1;
	while (done < count) {
		size_t want = count - done < chunk ? count - done : chunk;

		n = offset ? sx_gss_real.pread(in_fd, buf, want, *offset) :
			     sx_gss_real.read(in_fd, buf, want);
		if (n <= 0) {
			err = n < 0 ? errno : 0;
			break;
		}
		s = sx_gss_send(out_fd, buf, (size_t)n, 0);
		if (s < 0) {
			err = errno;
			s = 0;
		}
		if (offset)
			*offset += s;
		else if (s < n)
			lseek(in_fd, s - n, SEEK_CUR);   /* give back what was not sent */
		done += (size_t)s;
		if (s < n)
			break;
	}
	free(buf);
	if (done > 0)
		return (ssize_t)done;
	if (err)
		return errno = err, -1;
	return 0;
}
