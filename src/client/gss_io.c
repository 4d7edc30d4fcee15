/*
 * gss_io.c - the data of a socket authenticated with GSS-API at level
 * integrity or confidentiality: every byte sent goes out in 01 03 frames
 * (gss_wrap, token <= 65535 bytes), every frame received is unwrapped
 * (src/proto/gss.c decodes the stream).
 *
 * State per socket, shared by its dups, found by descriptor number through
 * a small table; SX_FD_GSS marks the descriptors so the hooks pay one
 * lock-free load on every other descriptor.  The receive side and the
 * send side have a lock each; calls on the context itself a third.
 *
 * Semantics kept: a read returns what one or more frames decoded (partial
 * reads, MSG_PEEK, MSG_WAITALL); on a non-blocking socket EAGAIN while a
 * frame is incomplete (its bytes stay buffered here: sx_gss_pending() tells
 * poll hooks); EOF after the last whole frame; a stream cut inside a frame
 * is EPROTO.  A send that started a frame finishes it (waiting for the
 * socket if need be): a frame cut in two would break the stream, and a
 * wrapped token cannot be taken back (its sequence number is used).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socksify/gssapi.h"
#include "socksify/runtime.h"

#define SEND_WAIT_MS 30000      /* finishing a frame on a non-blocking socket */

struct gsock {
	pthread_mutex_t rlock, wlock, glock;
	int refs;                       /* descriptors + calls in progress */
	const struct sx_gss_api *api;
	sx_gss_ctx ctx;
	int level;
	size_t maxin;                   /* plaintext per frame */
	bool eof;
	atomic_bool in_recv;            /* a reader waits in recvfrom */
	bool rerr_logged;               /* one line per socket */
	int werr;                       /* sticky: the send stream is broken */
	uint8_t *plain;                 /* maxin bytes, to gather iovecs */
	bool counted;                   /* in sx_gss_live */
	struct sx_gss_dec dec;          /* last: large */
};

static struct gsock **tab;
static size_t tabcap;
static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
} real;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void real_load(void)
{
	*(void **)&real.recvfrom = dlsym(RTLD_NEXT, "recvfrom");
	*(void **)&real.sendmsg = dlsym(RTLD_NEXT, "sendmsg");
	*(void **)&real.read = dlsym(RTLD_NEXT, "read");
	*(void **)&real.pread = dlsym(RTLD_NEXT, "pread");
}

/* ---- the table ---------------------------------------------------------- */

static struct gsock *get(int fd)
{
	struct gsock *g = NULL;

	pthread_mutex_lock(&tlock);
	if (fd >= 0 && (size_t)fd < tabcap && tab[fd]) {
		g = tab[fd];
		g->refs++;
	}
	pthread_mutex_unlock(&tlock);
	return g;
}

/* GSS-API sockets alive: epoll_wait looks for buffered data only then. */
atomic_int sx_gss_live;

static void destroy(struct gsock *g)
{
	sx_om_uint32 minor;

	if (g->counted)
		atomic_fetch_sub(&sx_gss_live, 1);
	sx_guard++;
	if (g->ctx)
		g->api->delete_sec_context(&minor, &g->ctx, NULL);
	sx_guard--;
	pthread_mutex_destroy(&g->rlock);
	pthread_mutex_destroy(&g->wlock);
	pthread_mutex_destroy(&g->glock);
	free(g->plain);
	free(g);
}

static void put(struct gsock *g)
{
	bool last;

	pthread_mutex_lock(&tlock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&tlock);
	if (last)
		destroy(g);
}

/* Make tab[fd] g (a reference the caller hands over); returns the old one. */
static int install(int fd, struct gsock *g, struct gsock **old)
{
	*old = NULL;
	pthread_mutex_lock(&tlock);
	if ((size_t)fd >= tabcap) {
		size_t cap = tabcap ? tabcap : 64;
		struct gsock **t;

		while (cap <= (size_t)fd)
			cap *= 2;
		t = realloc(tab, cap * sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&tlock);
			return -1;
		}
		memset(t + tabcap, 0, (cap - tabcap) * sizeof(*t));
		tab = t;
		tabcap = cap;
	}
	*old = tab[fd];
	tab[fd] = g;
	pthread_mutex_unlock(&tlock);
	sx_fd_flags_set(fd, SX_FD_GSS, 0);
	return 0;
}

static size_t frame_limit(const struct sx_gss_api *api, sx_gss_ctx ctx, int conf)
{
	sx_om_uint32 minor, max = 0, major;

	major = api->wrap_size_limit(&minor, ctx, conf, 0, SX_GSS_MAXTOKEN, &max);
	if (SX_GSS_ERROR(major) || max == 0 || max > SX_GSS_MAXTOKEN)
		max = SX_GSS_MAXTOKEN - 1024;   /* krb5 needs far less */
	return max;
}

int sx_gss_attach(int fd, const struct sx_gss_api *api, sx_gss_ctx ctx,
		  int level)
{
	struct gsock *g = calloc(1, sizeof(*g)), *old;

	pthread_once(&real_once, real_load);
	if (!g)
		return -1;
	g->api = api;
	g->level = level;
	g->refs = 1;
	sx_guard++;
	g->maxin = frame_limit(api, ctx, level == SX_GSS_PROT_CONFIDENTIALITY);
	sx_guard--;
	g->plain = malloc(g->maxin);
	if (!g->plain) {
		free(g);
		return -1;
	}
	pthread_mutex_init(&g->rlock, NULL);
	pthread_mutex_init(&g->wlock, NULL);
	pthread_mutex_init(&g->glock, NULL);
	sx_gss_dec_init(&g->dec);
	g->ctx = ctx;
	if (install(fd, g, &old) < 0) {
		g->ctx = NULL;          /* the caller still owns ctx */
		destroy(g);
		return -1;
	}
	g->counted = true;
	atomic_fetch_add(&sx_gss_live, 1);
	if (old)
		put(old);
	return 0;
}

void sx_gss_close(int fd)
{
	struct gsock *g = NULL;

	pthread_mutex_lock(&tlock);
	if (fd >= 0 && (size_t)fd < tabcap) {
		g = tab[fd];
		tab[fd] = NULL;
	}
	pthread_mutex_unlock(&tlock);
	sx_fd_flags_set(fd, 0, SX_FD_GSS);
	if (g)
		put(g);
}

void sx_gss_dup(int oldfd, int newfd)
{
	struct gsock *g, *old;

	if (oldfd == newfd)
		return;
	g = get(oldfd);
	if (!g) {
		if (sx_fd_flags(newfd) & SX_FD_GSS)
			sx_gss_close(newfd);
		return;
	}
	if (install(newfd, g, &old) < 0)
		put(g);
	if (old)
		put(old);
}

void sx_gss_move(int from, int to)
{
	sx_gss_dup(from, to);
	sx_gss_close(from);
}

/* The UDP control connection: its context goes to the datagrams. */
bool sx_gss_detach(int fd, const struct sx_gss_api **api, sx_gss_ctx *ctx,
		   int *level)
{
	struct gsock *g = NULL;

	pthread_mutex_lock(&tlock);
	if (fd >= 0 && (size_t)fd < tabcap) {
		g = tab[fd];
		tab[fd] = NULL;
	}
	pthread_mutex_unlock(&tlock);
	sx_fd_flags_set(fd, 0, SX_FD_GSS);
	if (!g)
		return false;
	pthread_mutex_lock(&g->glock);
	*api = g->api;
	*ctx = g->ctx;
	*level = g->level;
	g->ctx = NULL;          /* the caller owns it now */
	pthread_mutex_unlock(&g->glock);
	put(g);
	return true;
}

bool sx_gss_pending(int fd)
{
	struct gsock *g;
	struct sx_gss_frame fr;
	size_t need;
	bool r;

	if (!(sx_fd_flags(fd) & SX_FD_GSS) || !(g = get(fd)))
		return false;
	/* A reader blocked in recvfrom holds rlock with nothing decoded: do
	 * not wait for it (poll and epoll_wait must keep their timeouts). */
	while (pthread_mutex_trylock(&g->rlock) != 0) {
		if (atomic_load(&g->in_recv)) {
			put(g);
			return false;
		}
		sched_yield();
	}
	r = sx_gss_dec_avail(&g->dec) > 0 || g->dec.err ||
	    sx_gss_frame_parse(g->dec.raw + g->dec.rstart, sx_gss_dec_partial(&g->dec),
			       &fr, &need) != 0;
	pthread_mutex_unlock(&g->rlock);
	put(g);
	return r;
}

/* ---- receiving ------------------------------------------------------------ */

struct uw {
	struct gsock *g;
	sx_om_uint32 major, minor;
	bool not_encrypted;
};

static int unwrap_cb(void *arg, const uint8_t *tok, size_t len, uint8_t *out,
		     size_t cap, size_t *outlen)
{
	struct uw *u = arg;
	sx_gss_buffer_desc in = { len, (void *)tok }, ob = { 0, NULL };
	sx_om_uint32 qop = 0, minor;
	int conf = 0;

	pthread_mutex_lock(&u->g->glock);
	u->major = u->g->api->unwrap(&u->minor, u->g->ctx, &in, &ob, &conf, &qop);
	pthread_mutex_unlock(&u->g->glock);
	if (SX_GSS_ERROR(u->major))
		return -1;
	if (u->g->level == SX_GSS_PROT_CONFIDENTIALITY && !conf)
		u->not_encrypted = true;
	if (u->not_encrypted || ob.length > cap) {
		u->g->api->release_buffer(&minor, &ob);
		return -1;
	}
	memcpy(out, ob.value, ob.length);
	*outlen = ob.length;
	u->g->api->release_buffer(&minor, &ob);
	return 0;
}

/* "DEST via PROXY" for messages about the socket fd. */
static const char *conn_text(int fd, char *buf, size_t len)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	char d[80];

	if (sx_fd_get_peer(fd, &peer, &plen))
		sx_sockaddr_str((struct sockaddr *)&peer, d, sizeof(d));
	else
		snprintf(d, sizeof(d), "(socket %d)", fd);
	snprintf(buf, len, "%s via %s", d, sx_runtime()->proxy.text);
	return buf;
}

static void log_recv_error(struct gsock *g, int fd, int r, const struct uw *u)
{
	char msg[700], ct[400];

	if (r == -SX_PERR_GSS_UNWRAP && u->not_encrypted)
		sx_log(SX_LOG_ERROR, "%s: GSS-API: a message from the proxy was "
		       "not encrypted although confidentiality was agreed",
		       conn_text(fd, ct, sizeof(ct)));
	else if (r == -SX_PERR_GSS_UNWRAP && SX_GSS_ERROR(u->major)) {
		sx_gss_status(g->api, "gss_unwrap", u->major, u->minor, msg,
			      sizeof(msg));
		sx_log(SX_LOG_ERROR, "%s: GSS-API data from the proxy refused: "
		       "%s", conn_text(fd, ct, sizeof(ct)), msg);
	} else {
		sx_log(SX_LOG_ERROR, "%s: GSS-API data from the proxy: %s",
		       conn_text(fd, ct, sizeof(ct)), sx_perr_str(r));
	}
}

/* Copy plaintext into iov at offset off; returns bytes copied. */
static size_t take_iov(struct sx_gss_dec *d, const struct iovec *iov, int iovcnt,
		       size_t off, int peek)
{
	size_t got = 0, skip = off, avail = sx_gss_dec_avail(d);
	size_t pstart = d->pstart;

	for (int i = 0; i < iovcnt && avail > got; i++) {
		size_t n = iov[i].iov_len, c;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		c = sx_gss_dec_take(d, (uint8_t *)iov[i].iov_base + skip, n - skip, 0);
		got += c;
		skip = 0;
	}
	if (peek)
		d->pstart = pstart;
	return got;
}

static ssize_t recv_core(struct gsock *g, int fd, const struct iovec *iov,
			 int iovcnt, int flags)
{
	struct uw u = { .g = g };
	size_t total = 0, got = 0, room;
	int peek = flags & MSG_PEEK, waitall = (flags & MSG_WAITALL) && !peek;
	int rflags = flags & MSG_DONTWAIT, r, err = 0;
	ssize_t n;
	uint8_t *sp;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (flags & MSG_OOB)
		return errno = EOPNOTSUPP, -1;
	if (total == 0)
		return 0;
	pthread_mutex_lock(&g->rlock);
	for (;;) {
		if (sx_gss_dec_avail(&g->dec)) {
			got += take_iov(&g->dec, iov, iovcnt, got, peek);
			if (!waitall || got == total)
				break;
			continue;
		}
		sx_guard++;
		r = sx_gss_dec_step(&g->dec, unwrap_cb, &u);
		sx_guard--;
		if (r < 0) {
			if (!g->rerr_logged)
				log_recv_error(g, fd, r, &u);
			g->rerr_logged = true;
			err = r == -SX_PERR_GSS_ABORT ? ECONNRESET : EPROTO;
			break;
		}
		if (r == 1)
			continue;
		if (g->eof) {
			if (sx_gss_dec_partial(&g->dec)) {
				char ct[400];

				if (!g->rerr_logged)
					sx_log(SX_LOG_ERROR, "%s: GSS-API: the proxy "
					       "closed the connection inside a "
					       "protected message",
					       conn_text(fd, ct, sizeof(ct)));
				g->rerr_logged = true;
				err = EPROTO;
			}
			break;
		}
		sp = sx_gss_dec_space(&g->dec, &room);
		atomic_store(&g->in_recv, true);
		n = real.recvfrom(fd, sp, room, rflags, NULL, NULL);
		atomic_store(&g->in_recv, false);
		if (n > 0) {
			sx_gss_dec_commit(&g->dec, (size_t)n);
		} else if (n == 0) {
			g->eof = true;
		} else {
			err = errno;
			break;
		}
	}
	pthread_mutex_unlock(&g->rlock);
	if (got > 0)
		return (ssize_t)got;
	if (err)
		return errno = err, -1;
	return 0;
}

static ssize_t recv_fd(int fd, const struct iovec *iov, int iovcnt, int flags)
{
	struct gsock *g = get(fd);
	ssize_t r;
	int saved;

	if (!g)
		return errno = EBADF, -1;
	r = recv_core(g, fd, iov, iovcnt, flags);
	saved = errno;
	put(g);
	errno = saved;
	return r;
}

ssize_t sx_gss_recv(int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = { buf, len };

	return recv_fd(fd, &iov, 1, flags);
}

ssize_t sx_gss_readv(int fd, const struct iovec *iov, int iovcnt)
{
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return errno = EINVAL, -1;
	return recv_fd(fd, iov, iovcnt, 0);
}

ssize_t sx_gss_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r;

	if (msg->msg_iovlen > IOV_MAX)
		return errno = EMSGSIZE, -1;
	r = recv_fd(fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
	if (r >= 0) {
		msg->msg_namelen = 0;   /* a stream socket: no address */
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
	}
	return r;
}

/* ---- sending -------------------------------------------------------------- */

static int wait_writable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int r;

	do
		r = poll(&p, 1, ms);
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
		n = real.sendmsg(fd, &m, sflags);
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
		       conn_text(fd, ct, sizeof(ct)), msg);
		return EPROTO;
	}
	if (g->level == SX_GSS_PROT_CONFIDENTIALITY && !conf) {
		g->api->release_buffer(&minor, &out);   /* never send it clear */
		sx_log(SX_LOG_ERROR, "%s: GSS-API: gss_wrap left data not "
		       "encrypted although confidentiality was agreed; not sent",
		       conn_text(fd, ct, sizeof(ct)));
		return EPROTO;
	}
	if (sx_gss_header_encode(hdr, sizeof(hdr), SX_GSS_MTYP_DATA, out.length) < 0) {
		g->api->release_buffer(&minor, &out);
		sx_log(SX_LOG_ERROR, "%s: GSS-API: gss_wrap made a token of %zu "
		       "bytes, more than a message holds",
		       conn_text(fd, ct, sizeof(ct)), out.length);
		return EMSGSIZE;
	}
	err = send_frame(fd, hdr, out.value, out.length, flags, nonblock);
	g->api->release_buffer(&minor, &out);
	return err;
}

static ssize_t send_core(struct gsock *g, int fd, const struct iovec *iov,
			 int iovcnt, int flags)
{
	size_t total = 0, sent = 0;
	bool nonblock;
	int err = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (flags & MSG_OOB)
		return errno = EOPNOTSUPP, -1;
	if (total == 0)
		return 0;
	nonblock = (flags & MSG_DONTWAIT) || (fcntl(fd, F_GETFL) & O_NONBLOCK);
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
	struct gsock *g = get(fd);
	ssize_t r;
	int saved;

	if (!g)
		return errno = EBADF, -1;
	r = send_core(g, fd, iov, iovcnt, flags);
	saved = errno;
	put(g);
	errno = saved;
	return r;
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

	pthread_once(&real_once, real_load);
	if (count == 0)
		return 0;
	buf = malloc(chunk);
	if (!buf)
		return errno = ENOMEM, -1;
	while (done < count) {
		size_t want = count - done < chunk ? count - done : chunk;

		n = offset ? real.pread(in_fd, buf, want, *offset) :
			     real.read(in_fd, buf, want);
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
