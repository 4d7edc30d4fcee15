/*
 * gss_int.h - shared by gss_io.c (the per-socket table, receiving) and
 * gss_send.c (sending) only.
 */
#ifndef SOCKSIFY_GSS_INT_H
#define SOCKSIFY_GSS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "socksify/gssapi.h"

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

/* libc's own, for the data path (the hooks would come back here) */
struct sx_gss_real {
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
};
extern struct sx_gss_real sx_gss_real;
void sx_gssi_real_init(void);

/* The socket's state with a reference held (NULL if none); put it back. */
struct gsock *sx_gssi_get(int fd);
void sx_gssi_put(struct gsock *g);
/* core(g, fd, ..., total) with fd's state held, errno kept; EBADF without
 * one, EOPNOTSUPP for MSG_OOB, and 0 without calling it when the iovecs
 * hold no byte (total: the bytes they hold). */
typedef ssize_t (*sx_gssi_core_fn)(struct gsock *g, int fd,
				   const struct iovec *iov, int iovcnt, int flags,
				   size_t total);
ssize_t sx_gssi_call(int fd, sx_gssi_core_fn core, const struct iovec *iov,
		     int iovcnt, int flags);
/* "DEST via PROXY" for messages about the socket fd. */
const char *sx_gssi_conn_text(int fd, char *buf, size_t len);

#endif
