/*
 * engine.h - how `socksify` runs a program: the engines and the supervisor.
 *
 *   preload   libsocksify.so in LD_PRELOAD (src/hook); no helper process
 *   seccomp   a seccomp filter whose user-notification listener a supervisor
 *             process holds: connect() and friends go to the supervisor, which
 *             takes the program's socket (pidfd_getfd) and runs the handshake
 *             (src/client) on it
 *   ptrace    the same through seccomp RET_TRACE and ptrace, where user
 *             notification is missing (gVisor, some container profiles)
 *   auto      preload for dynamically linked programs; seccomp, else ptrace,
 *             for static and Go executables and for every program under strict
 *
 * The command (src/tool) chooses the engine and sets the environment; the
 * supervisor (src/engine) runs the program under seccomp or ptrace.
 */
#ifndef SOCKSIFY_ENGINE_H
#define SOCKSIFY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

enum sx_engine {
	SX_ENGINE_AUTO,
	SX_ENGINE_PRELOAD,
	SX_ENGINE_SECCOMP,
	SX_ENGINE_PTRACE,
};

struct sx_engine_opts {
	enum sx_engine engine;   /* SX_ENGINE_SECCOMP or SX_ENGINE_PTRACE */
	bool strict;             /* no direct connection from any program */
	const char *preload;     /* libsocksify.so kept in LD_PRELOAD (strict
				    with a dynamic program), or NULL */
};

/*
 * Can engine e run here (kernel support, permissions)?  true, or false with
 * a one-line reason (what is missing, what to do) in why.
 */
bool sx_engine_available(enum sx_engine e, char *why, size_t len);

/*
 * Run file (PATH searched) with argv under o->engine: the calling process
 * becomes the program and keeps its PID; a supervisor helper is forked and
 * ends when the program's whole process tree has exited.  The caller has set
 * the environment (SOCKSIFY_*).  Returns only on failure: -1 with errno set
 * and a one-line reason in why; the program has not been started then.
 */
int sx_supervise_exec(const struct sx_engine_opts *o, const char *file,
		      char *const argv[], char *why, size_t len);

#endif
