/*
 * fd.c - the descriptor calls: getpeername() reports the real destination
 * of a socket connected through the proxy; close(), close_range(),
 * closefrom(), dup(), dup2(), dup3() and fcntl(F_DUPFD, F_DUPFD_CLOEXEC)
 * go through the registry's one close and one dup path
 * (src/core/registry.c).  Each costs one lock-free load for descriptors
 * that are not the library's.
 *
 * dup2/dup3 over a descriptor of ours: its state is dropped before the
 * real call (so its epoll registrations can still be named), then newfd
 * takes oldfd's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "socksify/runtime.h"
#include "socksify/udp.h"

SX_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	unsigned fl;
	int r, saved;

	sx_real_init();
	fl = sx_guard ? 0 : sx_fd_flags(fd);
	if (!fl)
		return sx_real.getpeername(fd, addr, len);
	if ((fl & SX_FD_PENDING) && sx_pend_running(fd)) {
		errno = ENOTCONN;       /* connected to the proxy, not yet through */
		return -1;
	}
	/* A UDP socket connect()ed through the proxy: the recorded peer. */
	if ((fl & SX_FD_UDP) && addr && len && sx_udp_get_peer(fd, &peer, &plen)) {
		memcpy(addr, &peer, plen < *len ? plen : *len);
		*len = plen;
		return 0;
	}
	r = sx_real.getpeername(fd, addr, len);
	if (r < 0 || !addr || !len)
		return r;
	saved = errno;
	if (sx_fd_get_peer(fd, &peer, &plen)) {
		/* Same truncation rule as the kernel's. */
		memcpy(addr, &peer, plen < *len ? plen : *len);
		*len = plen;
	}
	errno = saved;
	return 0;
}

/* newfd (>= 0) now names oldfd's object. */
static int after_dup(int oldfd, int newfd)
{
	if (newfd >= 0 && !sx_guard) {
		int saved = errno;

		sx_reg_dup(oldfd, newfd);
		errno = saved;
	}
	return newfd;
}

/* Before dup2/dup3 closes newfd: drop its state, if oldfd is valid (else
 * the call fails and newfd stays as it is). */
static void before_dup2(int oldfd, int newfd)
{
	int saved = errno;

	if (!sx_guard && oldfd != newfd && sx_fd_flags(newfd) &&
	    sx_real.fcntl(oldfd, F_GETFD) >= 0)
		sx_reg_close(newfd);
	errno = saved;
}

SX_EXPORT int dup(int fd)
{
	sx_real_init();
	return after_dup(fd, sx_real.dup(fd));
}

SX_EXPORT int dup2(int oldfd, int newfd)
{
	sx_real_init();
	before_dup2(oldfd, newfd);
	return after_dup(oldfd, sx_real.dup2(oldfd, newfd));
}

SX_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	sx_real_init();
	before_dup2(oldfd, newfd);
	return after_dup(oldfd, sx_real.dup3(oldfd, newfd, flags));
}

/*
 * fcntl(F_DUPFD) and fcntl(F_DUPFD_CLOEXEC) duplicate too (Python's
 * os.dup and socket.dup use them).  Every other command passes through;
 * its one argument, when there is one, fits in a long or a pointer.
 * large: fcntl64 (libc's own, where it has one).
 */
static int fcntl_hooked(bool large, int fd, int cmd, void *arg)
{
	int (*real)(int, int, ...);

	sx_real_init();
	real = large && sx_real.fcntl64 ? sx_real.fcntl64 : sx_real.fcntl;
	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return real(fd, cmd, arg);
	return after_dup(fd, real(fd, cmd, arg));
}

/* fcntl() and fcntl64(): one body, which reads the variadic argument. */
#define FCNTL_HOOK(name, large)                                 \
	SX_EXPORT int name(int fd, int cmd, ...)                \
	{                                                       \
		va_list ap;                                     \
		void *arg;                                      \
									\
		va_start(ap, cmd);                              \
		arg = va_arg(ap, void *);                       \
		va_end(ap);                                     \
		return fcntl_hooked(large, fd, cmd, arg);       \
	}
FCNTL_HOOK(fcntl, false)
FCNTL_HOOK(fcntl64, true)

SX_EXPORT int close(int fd)
{
	sx_real_init();
	if (!sx_guard && sx_fd_flags(fd)) {
		int saved = errno;

		sx_reg_close(fd);
		errno = saved;
	}
	return sx_real.close(fd);
}

SX_EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
	sx_real_init();
	if (!sx_real.close_range) {
		errno = ENOSYS;
		return -1;
	}
	if (!sx_guard && !(flags & CLOSE_RANGE_CLOEXEC)) {
		int saved = errno;

		sx_reg_close_range(lo, hi);
		errno = saved;
	}
	return sx_real.close_range(lo, hi, flags);
}

SX_EXPORT void closefrom(int lo)
{
	sx_real_init();
	if (!sx_guard && lo >= 0) {
		int saved = errno;

		sx_reg_close_range((unsigned)lo, ~0u);
		errno = saved;
	}
	if (sx_real.closefrom)
		sx_real.closefrom(lo);
}

/* SO_ERROR of a socket whose handshake ran in the background. */
SX_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int err;

	sx_real_init();
	if (level == SOL_SOCKET && name == SO_ERROR && !sx_guard && val && len &&
	    *len >= sizeof(int) &&
	    (sx_fd_flags(fd) & (SX_FD_PENDING | SX_FD_ASYNCERR)) &&
	    sx_pend_take_error(fd, &err)) {
		*(int *)val = err;
		*len = sizeof(int);
		return 0;
	}
	return sx_real.getsockopt(fd, level, name, val, len);
}
