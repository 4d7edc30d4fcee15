/*
 * engine.c - the seccomp and ptrace engines (issue 16).  Until the
 * supervisor is built, no engine but preload is available, and socksify
 * refuses (with this reason) to run a program that needs one.
 */
#include <errno.h>
#include <stdio.h>

#include "socksify/engine.h"

bool sx_engine_available(enum sx_engine e, char *why, size_t len)
{
	if (e == SX_ENGINE_PRELOAD)
		return true;
	snprintf(why, len, "the %s engine is not part of this build",
		 e == SX_ENGINE_PTRACE ? "ptrace" : "seccomp");
	return false;
}

int sx_supervise_exec(const struct sx_engine_opts *o, const char *file,
		      char *const argv[], char *why, size_t len)
{
	(void)file;
	(void)argv;
	sx_engine_available(o->engine, why, len);
	errno = ENOSYS;
	return -1;
}
