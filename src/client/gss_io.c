/*
 * gss_io.c - the data of a socket authenticated with GSS-API at level
 * integrity or confidentiality: every byte sent goes out in 01 03 frames
 * (gss_wrap, token <= 65535 bytes), every frame received is unwrapped
 * (src/proto/gss.c decodes the stream; gss_send.c sends).
 *
 * State per socket, shared by its dups, found by descriptor number through
 * a small table under the registry lock; it is a module of the registry
 * (include/socksify/registry.h), whose one close and dup path reaches it.
 * SX_FD_GSS marks the descriptors so the hooks pay one lock-free load on
 * every other descriptor.  The receive side and the
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
#include "gss_int.h"

static struct gsock **tab;
static size_t tabcap;
/* The table is under the registry lock; close and dup reach it through
 * the registry's module. */
static const struct sx_reg_module gss_module = {
	.flag = SX_FD_GSS, .forget = sx_gss_close, .dup = sx_gss_dup,
};

struct sx_gss_real sx_gss_real;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void real_load(void)
{
	*(void **)&sx_gss_real.recvfrom = dlsym(RTLD_NEXT, "recvfrom");
	*(void **)&sx_gss_real.sendmsg = dlsym(RTLD_NEXT, "sendmsg");
	*(void **)&sx_gss_real.read = dlsym(RTLD_NEXT, "read");
	*(void **)&sx_gss_real.pread = dlsym(RTLD_NEXT, "pread");
}

void sx_gssi_real_init(void)
{
	pthread_once(&real_once, real_load);
}

/* ---- the table ---------------------------------------------------------- */

struct gsock *sx_gssi_get(int fd)
{
	struct gsock *g = NULL;

	sx_reg_lock();
	if (fd >= 0 && (size_t)fd < tabcap && tab[fd]) {
		g = tab[fd];
		g->refs++;
	}
	sx_reg_unlock();
	return g;
}

/* GSS-API sockets alive: epoll_wait looks for buffered data only then. */
atomic_int sx_gss_live;

static void destroy(struct gsock *g)
{
	sx_om_uint32 minor;

	if (g->counted)
		atomic_fetch_sub(&sx_gss_live, 1);
	if (g->ctx) {
		SX_GUARD_SCOPE();

		g->api->delete_sec_context(&minor, &g->ctx, NULL);
	}
	pthread_mutex_destroy(&g->rlock);
	pthread_mutex_destroy(&g->wlock);
	pthread_mutex_destroy(&g->glock);
	free(g->plain);
	free(g);
}

void sx_gssi_put(struct gsock *g)
{
	bool last;

	sx_reg_lock();
	last = --g->refs == 0;
	sx_reg_unlock();
	if (last)
		destroy(g);
}

/* Make tab[fd] g (a reference the caller hands over); returns the old one. */
static int install(int fd, struct gsock *g, struct gsock **old)
{
	*old = NULL;
	sx_reg_module(&gss_module);
	sx_reg_lock();
	if ((size_t)fd >= tabcap) {
		size_t cap = tabcap ? tabcap : 64;
		struct gsock **t;

		while (cap <= (size_t)fd)
			cap *= 2;
		t = realloc(tab, cap * sizeof(*t));
		if (!t) {
			sx_reg_unlock();
			return -1;
		}
		memset(t + tabcap, 0, (cap - tabcap) * sizeof(*t));
		tab = t;
		tabcap = cap;
	}
	*old = tab[fd];
	tab[fd] = g;
	sx_reg_unlock();
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

	sx_gssi_real_init();
	if (!g)
		return -1;
	g->api = api;
	g->level = level;
	g->refs = 1;
	{
		SX_GUARD_SCOPE();

		g->maxin = frame_limit(api, ctx,
				       level == SX_GSS_PROT_CONFIDENTIALITY);
	}
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
		sx_gssi_put(old);
	return 0;
}

/* Take fd's state out of the table (its reference goes to the caller). */
static struct gsock *take(int fd)
{
	struct gsock *g = NULL;

	sx_reg_lock();
	if (fd >= 0 && (size_t)fd < tabcap) {
		g = tab[fd];
		tab[fd] = NULL;
	}
	sx_reg_unlock();
	sx_fd_flags_set(fd, 0, SX_FD_GSS);
	return g;
}

void sx_gss_close(int fd)
{
	struct gsock *g = take(fd);

	if (g)
		sx_gssi_put(g);
}

void sx_gss_dup(int oldfd, int newfd)
{
	struct gsock *g, *old;

	if (oldfd == newfd)
		return;
	g = sx_gssi_get(oldfd);
	if (!g) {
		if (sx_fd_flags(newfd) & SX_FD_GSS)
			sx_gss_close(newfd);
		return;
	}
	if (install(newfd, g, &old) < 0)
		sx_gssi_put(g);
	if (old)
		sx_gssi_put(old);
}

/* The UDP control connection: its context goes to the datagrams. */
bool sx_gss_detach(int fd, const struct sx_gss_api **api, sx_gss_ctx *ctx,
		   int *level)
{
	struct gsock *g = take(fd);

	if (!g)
		return false;
	pthread_mutex_lock(&g->glock);
	*api = g->api;
	*ctx = g->ctx;
	*level = g->level;
	g->ctx = NULL;          /* the caller owns it now */
	pthread_mutex_unlock(&g->glock);
	sx_gssi_put(g);
	return true;
}

bool sx_gss_pending(int fd)
{
	struct gsock *g;
	struct sx_gss_frame fr;
	size_t need;
	bool r;

	if (!(sx_fd_flags(fd) & SX_FD_GSS) || !(g = sx_gssi_get(fd)))
		return false;
	/* A reader blocked in recvfrom holds rlock with nothing decoded: do
	 * not wait for it (poll and epoll_wait must keep their timeouts). */
	while (pthread_mutex_trylock(&g->rlock) != 0) {
		if (atomic_load(&g->in_recv)) {
			sx_gssi_put(g);
			return false;
		}
		sched_yield();
	}
	r = sx_gss_dec_avail(&g->dec) > 0 || g->dec.err ||
	    sx_gss_frame_parse(g->dec.raw + g->dec.rstart, sx_gss_dec_partial(&g->dec),
			       &fr, &need) != 0;
	pthread_mutex_unlock(&g->rlock);
	sx_gssi_put(g);
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
const char *sx_gssi_conn_text(int fd, char *buf, size_t len)
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
		       sx_gssi_conn_text(fd, ct, sizeof(ct)));
	else if (r == -SX_PERR_GSS_UNWRAP && SX_GSS_ERROR(u->major)) {
		sx_gss_status(g->api, "gss_unwrap", u->major, u->minor, msg,
			      sizeof(msg));
		sx_log(SX_LOG_ERROR, "%s: GSS-API data from the proxy refused: "
		       "%s", sx_gssi_conn_text(fd, ct, sizeof(ct)), msg);
	} else {
		sx_log(SX_LOG_ERROR, "%s: GSS-API data from the proxy: %s",
		       sx_gssi_conn_text(fd, ct, sizeof(ct)), sx_perr_str(r));
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
			 int iovcnt, int flags, size_t total)
{
	struct uw u = { .g = g };
	size_t got = 0, room;
	int peek = flags & MSG_PEEK, waitall = (flags & MSG_WAITALL) && !peek;
	int rflags = flags & MSG_DONTWAIT, r, err = 0;
	ssize_t n;
	uint8_t *sp;

	pthread_mutex_lock(&g->rlock);
	for (;;) {
		if (sx_gss_dec_avail(&g->dec)) {
			got += take_iov(&g->dec, iov, iovcnt, got, peek);
			if (!waitall || got == total)
				break;
			continue;
		}
		{
			SX_GUARD_SCOPE();

			r = sx_gss_dec_step(&g->dec, unwrap_cb, &u);
		}
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
					       sx_gssi_conn_text(fd, ct, sizeof(ct)));
				g->rerr_logged = true;
				err = EPROTO;
			}
			break;
		}
		sp = sx_gss_dec_space(&g->dec, &room);
		atomic_store(&g->in_recv, true);
		n = sx_gss_real.recvfrom(fd, sp, room, rflags, NULL, NULL);
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

ssize_t sx_gssi_call(int fd, sx_gssi_core_fn core, const struct iovec *iov,
		     int iovcnt, int flags)
{
	struct gsock *g = sx_gssi_get(fd);
	size_t total = 0;
	ssize_t r;
	int saved;

	if (!g)
		return errno = EBADF, -1;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (flags & MSG_OOB)
		r = -1, errno = EOPNOTSUPP;
	else
		r = total ? core(g, fd, iov, iovcnt, flags, total) : 0;
	saved = errno;
	sx_gssi_put(g);
	errno = saved;
	return r;
}

static ssize_t recv_fd(int fd, const struct iovec *iov, int iovcnt, int flags)
{
	return sx_gssi_call(fd, recv_core, iov, iovcnt, flags);
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
