/*
 * runtime.h - what the hooks share: the real libc functions, the lazily
 * loaded configuration, the re-entrancy guard, logging and the table of
 * sockets we connected through a proxy.
 */
#ifndef SOCKSIFY_RUNTIME_H
#define SOCKSIFY_RUNTIME_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "socksify/conf.h"
#include "socksify/proto.h"

#define SX_EXPORT __attribute__((visibility("default")))
#define SX_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* The next definitions of the functions we hook (libc's own). */
struct sx_real {
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*sendto)(int, const void *, size_t, int,
			  const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	/* data calls (src/hook/io.c) */
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
			    socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int,
			struct timespec *);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	ssize_t (*read_chk)(int, void *, size_t, size_t);
	ssize_t (*recv_chk)(int, void *, size_t, size_t, int);
	ssize_t (*recvfrom_chk)(int, void *, size_t, size_t, int,
				struct sockaddr *, socklen_t *);
	long (*syscall)(long, ...);
	/* kernel copies that would bypass a layer (src/hook/io.c) */
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	ssize_t (*sendfile64)(int, int, off_t *, size_t);
	ssize_t (*splice)(int, off_t *, int, off_t *, size_t, unsigned int);
	ssize_t (*copy_file_range)(int, off_t *, int, off_t *, size_t,
				   unsigned int);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*close)(int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		     const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *,
		       const struct timespec *, const sigset_t *);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
	int (*epoll_pwait2)(int, struct epoll_event *, int,
			    const struct timespec *, const sigset_t *);
	int (*getaddrinfo)(const char *, const char *, const struct addrinfo *,
			   struct addrinfo **);
	int (*getnameinfo)(const struct sockaddr *, socklen_t, char *, socklen_t,
			   char *, socklen_t, int);
	struct hostent *(*gethostbyname)(const char *);
	struct hostent *(*gethostbyname2)(const char *, int);
	int (*gethostbyname_r)(const char *, struct hostent *, char *, size_t,
			       struct hostent **, int *);
	int (*gethostbyname2_r)(const char *, int, struct hostent *, char *,
				size_t, struct hostent **, int *);
	struct hostent *(*gethostbyaddr)(const void *, socklen_t, int);
	int (*gethostbyaddr_r)(const void *, socklen_t, int, struct hostent *,
			       char *, size_t, struct hostent **, int *);
	int (*res_query)(const char *, int, int, unsigned char *, int);
	int (*res_search)(const char *, int, int, unsigned char *, int);
	int (*res_querydomain)(const char *, const char *, int, int,
			       unsigned char *, int);
	int (*res_send)(const unsigned char *, int, unsigned char *, int);
	int (*res_nquery)(struct __res_state *, const char *, int, int, unsigned char *, int);
	int (*res_nsearch)(struct __res_state *, const char *, int, int, unsigned char *, int);
	int (*res_nquerydomain)(struct __res_state *, const char *, const char *, int, int,
				unsigned char *, int);
	int (*res_nsend)(struct __res_state *, const unsigned char *, int, unsigned char *, int);
};
extern struct sx_real sx_real;

/* Resolve sx_real once (thread-safe; one load after the first call). */
extern atomic_int sx_real_ready;
void sx_real_load(void);
static inline void sx_real_init(void)
{
	if (!atomic_load_explicit(&sx_real_ready, memory_order_acquire))
		sx_real_load();
}

/*
 * Non-zero while the library itself is working in this thread: calls made
 * from inside the library (or from libraries it calls) go straight to libc.
 */
extern __thread int sx_guard __attribute__((tls_model("initial-exec")));

/* The proxy as resolved at load time. */
struct sx_proxy_addr {
	struct sockaddr_storage v4, v6;   /* ss_family 0 when absent */
	socklen_t v4len, v6len;
	char text[300];                   /* "127.0.0.1:1080" for messages */
	int resolve_err;                  /* errno-like; 0 when resolved */
	char resolve_msg[400];
};

#define SX_ROUTE_TEXT 1100   /* "10.0.0.1:1080 -> 10.0.0.2:1080" */

/* Route sets: 0 is the proxy line with its fallbacks, n the named route
 * conf.named[n - 1] ("route NAME = URL ..."). */
#define SX_ROUTE_SETS (1 + SX_CONF_MAX_NAMED)

struct sx_runtime {
	struct sx_conf conf;
	struct sx_proxy_addr proxy;     /* = hops[0][0][last]: the primary exit */
	/* Every hop of every route of every set, resolved at load time. */
	struct sx_proxy_addr hops[SX_ROUTE_SETS][SX_CONF_MAX_ROUTES][SX_CONF_MAX_HOPS];
	char route_text[SX_ROUTE_SETS][SX_CONF_MAX_ROUTES][SX_ROUTE_TEXT];
};

/* The routes of set s (see above) and how many there are. */
const struct sx_route *sx_route_set(const struct sx_conf *c, int s, size_t *n);

/*
 * Where a connection to sa (proto IPPROTO_TCP or IPPROTO_UDP) goes: the
 * route rules first (on the name when sa is a mapped address), then the
 * direct list.  *set: the route set when proxied; *rule: the rule that
 * decided it, -1 for the default route.  Either may be NULL.
 */
enum sx_route_kind {
	SX_ROUTE_DIRECT,
	SX_ROUTE_PROXY,
	SX_ROUTE_BLOCK,
	SX_ROUTE_DIRECT_NAME,   /* direct, for a mapped address: the name is
				 * resolved here when connecting */
};
enum sx_route_kind sx_route_decide(const struct sx_runtime *rt,
				   const struct sockaddr *sa, int proto,
				   int *set, int *rule);

/* Resolve the proxy host once, keeping one IPv4 and one IPv6 address
 * (resolve_err and resolve_msg set when it cannot). */
void sx_proxy_resolve(struct sx_proxy_addr *pa, const struct sx_proxy *p);

/* The configuration and proxy address, loaded on first use. */
const struct sx_runtime *sx_runtime(void);

/* Logging: "socksify: " + message on stderr or the log file.  Keeps errno. */
void sx_log(enum sx_log_level level, const char *fmt, ...) SX_PRINTF(2, 3);
void sx_vlog(enum sx_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
bool sx_log_enabled(enum sx_log_level level);

/* "1.2.3.4:80", "[2001:db8::1]:443"; "?" for other families. */
const char *sx_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len);
/* Fill a wire address from a sockaddr (a v4-mapped IPv6 becomes IPv4). */
int sx_addr_from_sockaddr(struct sx_addr *a, const struct sockaddr *sa);
/* And back, in family (an IPv4 address in an AF_INET6 socket becomes
 * v4-mapped).  -1 for a name or an unspecified (all-zero) address. */
int sx_addr_to_sockaddr(const struct sx_addr *a, int family,
			struct sockaddr_storage *out, socklen_t *len);
/* Is this the proxy's own address? */
bool sx_is_proxy_addr(const struct sx_proxy_addr *p, const struct sockaddr *sa);

/*
 * Per-descriptor flags, read without a lock: a hook on a hot path (close,
 * read, recv...) checks sx_fd_flags(fd) first and does nothing more when
 * it is 0.  Flags may be stale after a descriptor was closed behind our
 * back (a raw syscall): users must validate before acting.
 */
enum {
	SX_FD_PROXIED = 1,      /* TCP connected through the proxy */
	SX_FD_UDP = 2,          /* UDP with an association (issue 5) */
	SX_FD_GSS = 4,          /* GSS-API protected stream */
	SX_FD_PENDING = 8,      /* non-blocking handshake in progress */
	SX_FD_ASYNCERR = 16,    /* it failed; SO_ERROR not read yet */
	SX_FD_EPREG = 32,       /* registered in some epoll instance */
	SX_FD_EPOLL = 64,       /* an epoll instance with registrations */
	SX_FD_BIND = 128,       /* a listener bound at the proxy (BIND) */
};
unsigned sx_fd_flags(int fd);
void sx_fdtable_atfork_init(void);
void sx_fd_flags_set(int fd, unsigned set, unsigned clear);

/* Sockets connected through the proxy: their real destination. */
int sx_fd_set_peer(int fd, const struct sockaddr *sa, socklen_t len);
bool sx_fd_get_peer(int fd, struct sockaddr_storage *out, socklen_t *len);
/* Its local address as seen through the proxy (BND.ADDR/PORT); needs a
 * peer set first. */
int sx_fd_set_local(int fd, const struct sockaddr *sa, socklen_t len);
bool sx_fd_get_local(int fd, struct sockaddr_storage *out, socklen_t *len);
void sx_fd_copy(int oldfd, int newfd);
void sx_fd_forget(int fd);

/*
 * Connect the program's socket fd to dst through the configured proxy.
 * Returns 0, or -1 with errno set and one log line written.
 */
int sx_proxy_connect(int fd, const struct sockaddr *dst, socklen_t dstlen);

/* UDP to sa that a route rule blocks: one log line, errno EACCES, true.
 * (Other UDP goes direct or through the proxy line's exit.) */
bool sx_udp_blocked(const struct sx_runtime *rt, const struct sockaddr *sa);

/* Why the primary exit cannot carry UDP: "a SOCKS 4 proxy cannot carry
 * UDP" or "an HTTP proxy cannot carry UDP". */
const char *sx_udp_unsupported(const struct sx_conf *c);

/* Should UDP to this address go through the proxy? (sx_route_decide for
 * UDP: not direct) */
bool sx_route_proxied(const struct sx_runtime *rt, const struct sockaddr *sa);

/*
 * Remote DNS (src/core/names.c).
 *
 * sx_names_should_map: does a lookup of this name get a mapped address?
 * (Remote DNS is on, and the name is not numeric, not localhost, not in
 * /etc/hosts when that is local, and not below a direct domain.)
 */
bool sx_names_should_map(const char *name);
/* The mapped address of name in family (AF_INET or AF_INET6): 0, or an
 * EAI_* error. */
int sx_names_map(const char *name, int family, void *addr);
/* Is addr (family AF_INET/AF_INET6) a mapped address?  If it is, copy its
 * name into buf (empty string if its name is unknown) and return true. */
bool sx_names_lookup(int family, const void *addr, char *buf, size_t len);

/*
 * UDP (src/hook/udp.c): connect() on a UDP socket whose peer routes
 * through the proxy is handled there.
 */
bool sx_udp_wants_connect(int fd, const struct sockaddr *sa, socklen_t len);
int sx_udp_connect(int fd, const struct sockaddr *sa, socklen_t len);

/* close(fd) of a listener bound at the proxy (src/hook/bind.c). */
void sx_bind_forget(int fd);

/* Is fd a TCP socket of family AF_INET or AF_INET6? */
bool sx_is_tcp_inet(int fd);

/*
 * Does a connect to sa on fd go through the proxy?  (An unconnected TCP
 * socket, a destination in its family, not direct by the config.)
 */
bool sx_should_proxy(int fd, const struct sockaddr *sa, socklen_t len);

#endif
