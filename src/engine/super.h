/*
 * super.h - the supervisor's parts (src/engine), shared by the seccomp
 * user-notification loop (notify.c) and the ptrace loop (ptrace.c):
 *
 *   filter.c   the BPF program: which system calls go to the supervisor
 *   call.c     what to do with one intercepted call (connect, getpeername;
 *              target.h): let it through, answer it at once, or run a
 *              SOCKS handshake on the program's socket
 *   sendcall.c sendto, sendmsg, sendmmsg with a destination
 *   pool.c     a few worker threads that run the handshakes
 *   peers.c    the destinations of proxied sockets, by socket inode, for
 *              getpeername()
 *   dnsd.c     the DNS answerer for programs with their own resolver
 *   mem.c      the program's memory and descriptors (process_vm_*, pidfd)
 */
#ifndef SX_ENGINE_SUPER_H
#define SX_ENGINE_SUPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "socksify/client.h"
#include "socksify/engine.h"

/* ---- filter.c ---------------------------------------------------------- */
/* Install the filter in the calling process (no_new_privs set first).
 * notify: user notification (returns the listener fd), else RET_TRACE
 * (returns 0).  -1 with errno on failure. */
int sx_filter_install(bool notify);

/* ---- one intercepted call ---------------------------------------------- */
struct sx_call {
	pid_t tid;                  /* the calling thread */
	int nr;                     /* system call number */
	uint64_t args[6];
	/* filled by the engine loop, used to answer */
	uint64_t id;                /* seccomp notification id */
	int listener;               /* seccomp listener, -1 under ptrace */
	bool (*still_valid)(const struct sx_call *c);
};

enum sx_verdict {
	SX_CONTINUE,    /* let the kernel run it unchanged */
	SX_ANSWER,      /* skip it; the program sees ret (or -err) */
	SX_QUEUED,      /* a worker answers later through sx_call_done */
};

struct sx_answer {
	int64_t ret;                /* >= 0, or -errno */
};

/* Decide on c (the engine loop's thread).  SX_ANSWER fills *a. */
enum sx_verdict sx_call_handle(const struct sx_call *c, struct sx_answer *a);

/* How the engine answers a queued call, set once by the loop. */
extern void (*sx_call_done)(const struct sx_call *c, const struct sx_answer *a,
			    bool cont);

/* ---- pool.c ------------------------------------------------------------ */
typedef void (*sx_job_fn)(void *arg);
/* Set the number of workers; they start with the first job. */
int sx_pool_start(int nthreads);
/* Set in a thread that runs its jobs itself (sx_pool_submit calls fn). */
extern __thread bool sx_pool_inline;
/* Queue fn(arg); never blocks.  0 or -1 (ENOMEM). */
int sx_pool_submit(sx_job_fn fn, void *arg);
/* Wait until every queued job has run. */
void sx_pool_drain(void);

/* ---- peers.c ----------------------------------------------------------- */
void sx_peers_set(int fd, const struct sockaddr *dst, socklen_t len);
bool sx_peers_get(int fd, struct sockaddr_storage *dst, socklen_t *len);

/* ---- dnsd.c ------------------------------------------------------------ */
/* The answerer's address (UDP or TCP on 127.0.0.1, started on first use
 * in its own thread) for a socket of family (AF_INET6: v4-mapped), type. */
bool sx_dnsd_addr(int family, int type, struct sockaddr_storage *sa,
		  socklen_t *len);

/* ---- mem.c ------------------------------------------------------------- */
/* Copy len bytes at addr of thread tid's memory into buf: 0 or -1. */
int sx_mem_read(pid_t tid, uint64_t addr, void *buf, size_t len);
int sx_mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len);
/* A copy of descriptor fd of tid's process (pidfd_getfd): -1 on failure. */
int sx_mem_takefd(pid_t tid, int fd);

/* ---- the loops: notify.c, ptrace.c ------------------------------------ */
/* Serve the listener until no process uses the filter: 0 or -1. */
int sx_notify_loop(int listener);
/* Serve the tracees (prog seized) until none is left: 0 or -1. */
int sx_ptrace_loop(void);
/* PTRACE_SEIZE prog with the engine's options: 0 or -1. */
int sx_ptrace_seize(pid_t prog);

/* The engine's name for messages: "seccomp" or "ptrace". */
extern const char *sx_engine_name;

#endif
