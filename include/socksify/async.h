/*
 * async.h - connect() on a non-blocking socket returns EINPROGRESS at
 * once; the handshake goes on in a worker thread, and the socket looks
 * "connecting" to the program until it is done:
 *
 *   poll/ppoll/select/pselect  wait on an eventfd instead of the socket
 *                              (src/hook/poll.c);
 *   epoll                      registrations of the socket are masked to no
 *                              events, and restored (EPOLL_CTL_MOD, which
 *                              wakes epoll_wait) when the handshake ends
 *                              (src/core/epreg.c);
 *   getsockopt(SO_ERROR)       gives the SOCKS failure's errno;
 *   connect() again            EALREADY while running;
 *   read/write/send/recv       EAGAIN while running (src/hook/io.c).
 *
 * The worker works on a dup of the socket, so a program that closes its
 * descriptor (and reuses the number) never has bytes written elsewhere.
 */
#ifndef SOCKSIFY_ASYNC_H
#define SOCKSIFY_ASYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* Start; returns -1 with errno EINPROGRESS, or another errno on failure. */
int sx_async_connect(int fd, const struct sockaddr *dst, socklen_t dstlen);

/* A second connect() on a socket we handled asynchronously: true if we
 * answered (*ret and errno set). */
bool sx_async_reconnect(int fd, int *ret);

/* For the poll hooks: an eventfd that becomes readable when fd's
 * handshake ends, with a reference (*ref) to drop with sx_async_unref;
 * -1 if fd's handshake is not running. */
int sx_async_waitfd(int fd, void **ref);
void sx_async_unref(void *ref);

/* getsockopt(SO_ERROR): true if we answered with *err. */
bool sx_async_take_error(int fd, int *err);

/* close(fd) */
void sx_async_forget(int fd);

/* epoll registrations (src/core/epreg.c). */
int sx_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
/* Mask (true) or restore (false) every registration of fd. */
void sx_epoll_mask(int fd, bool mask);
/* fd is being closed: drop registrations of it, or on it if an epoll fd. */
void sx_epoll_forget(int fd);
/* Events for descriptors in epfd (with one of flag) whose data the library
 * holds, as ready(fd) tells; how many were written into out. */
int sx_epoll_synth(int epfd, struct epoll_event *out, int max,
		   bool (*ready)(int fd), unsigned flag);

#endif
