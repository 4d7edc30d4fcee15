/*
 * fd.c - getpeername() reports the real destination of a socket we
 * connected through the proxy; dup(), dup2() and dup3() carry that along,
 * and close() forgets it.  Each costs one lock-free load for descriptors
 * that are not ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "socksify/async.h"
#include "socksify/gssapi.h"
#include "socksify/runtime.h"
#include "socksify/udp.h"

SX_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	int r;

	sx_real_init();
	if (!sx_guard && (sx_fd_flags(fd) & SX_FD_PENDING)) {
		errno = ENOTCONN;       /* connected to the proxy, not yet through */
		return -1;
	}
	/* A UDP socket connect()ed through the proxy: the recorded peer. */
	if (!sx_guard && (sx_fd_flags(fd) & SX_FD_UDP) && addr && len &&
	    sx_udp_get_peer(fd, &peer, &plen)) {
		memcpy(addr, &peer, plen < *len ? plen : *len);
		*len = plen;
		return 0;
	}
	r = sx_real.getpeername(fd, addr, len);
	if (r < 0 || sx_guard || !addr || !len)
		return r;
	{
		int saved = errno;

		if (sx_fd_get_peer(fd, &peer, &plen)) {
			/* Same truncation rule as the kernel's. */
			memcpy(addr, &peer, plen < *len ? plen : *len);
			*len = plen;
		}
		errno = saved;
	}
	return 0;
}

static int after_dup(int oldfd, int newfd)
{
	if (newfd >= 0 && !sx_guard) {
		int saved = errno;

		sx_fd_copy(oldfd, newfd);
		if ((sx_fd_flags(oldfd) | sx_fd_flags(newfd)) & SX_FD_GSS)
			sx_gss_dup(oldfd, newfd);
		errno = saved;
	}
	return newfd;
}

/* UDP associations: newfd's own socket is gone (its association loses a
 * descriptor), and newfd now shares oldfd's. */
static int udp_after_dup(int oldfd, int newfd)
{
	if (newfd >= 0 && newfd != oldfd && !sx_guard &&
	    ((sx_fd_flags(oldfd) | sx_fd_flags(newfd)) & SX_FD_UDP)) {
		int saved = errno;

		sx_udp_forget(newfd);
		sx_udp_dup(oldfd, newfd);
		errno = saved;
	}
	return newfd;
}

SX_EXPORT int dup(int fd)
{
	sx_real_init();
	return udp_after_dup(fd, after_dup(fd, sx_real.dup(fd)));
}

SX_EXPORT int dup2(int oldfd, int newfd)
{
	sx_real_init();
	return udp_after_dup(oldfd, after_dup(oldfd, sx_real.dup2(oldfd, newfd)));
}

SX_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	sx_real_init();
	return udp_after_dup(oldfd, after_dup(oldfd, sx_real.dup3(oldfd, newfd,
								  flags)));
}

/*
 * fcntl(F_DUPFD) and fcntl(F_DUPFD_CLOEXEC) duplicate too (Python's
 * os.dup and socket.dup use them).  Every other command passes through;
 * its one argument, when there is one, fits in a long or a pointer.
 */
static int fcntl_hooked(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return real(fd, cmd, arg);
	return udp_after_dup(fd, after_dup(fd, real(fd, cmd, arg)));
}

SX_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	sx_real_init();
	return fcntl_hooked(sx_real.fcntl, fd, cmd, arg);
}

SX_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	sx_real_init();
	return fcntl_hooked(sx_real.fcntl64 ? sx_real.fcntl64 : sx_real.fcntl,
			    fd, cmd, arg);
}

SX_EXPORT int close(int fd)
{
	sx_real_init();
	unsigned flags = sx_fd_flags(fd);

	if (flags && !sx_guard) {
		int saved = errno;

		if (flags & (SX_FD_PENDING | SX_FD_ASYNCERR))
			sx_async_forget(fd);
		if (flags & (SX_FD_EPREG | SX_FD_EPOLL))
			sx_epoll_forget(fd);
		if (flags & SX_FD_BIND)
			sx_bind_forget(fd);
		if (flags & SX_FD_UDP)
			sx_udp_forget(fd);
		if (flags & SX_FD_GSS)
			sx_gss_close(fd);
		sx_fd_forget(fd);
		errno = saved;
	}
	return sx_real.close(fd);
}

/* SO_ERROR of a socket whose handshake ran in the background. */
SX_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int err;

	sx_real_init();
	if (level == SOL_SOCKET && name == SO_ERROR && !sx_guard && val && len &&
	    *len >= sizeof(int) &&
	    (sx_fd_flags(fd) & (SX_FD_PENDING | SX_FD_ASYNCERR)) &&
	    sx_async_take_error(fd, &err)) {
		*(int *)val = err;
		*len = sizeof(int);
		return 0;
	}
	return sx_real.getsockopt(fd, level, name, val, len);
}
