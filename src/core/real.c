/*
 * real.c - the next definitions of the functions we hook, from dlsym.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "socksify/runtime.h"

struct sx_real sx_real;
__thread int sx_guard __attribute__((tls_model("initial-exec")));

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

#define LOAD(name) (*(void **)&sx_real.name = dlsym(RTLD_NEXT, #name))

static void real_load(void)
{
	LOAD(connect);
	LOAD(sendto);
	LOAD(sendmsg);
	LOAD(getpeername);
	LOAD(dup);
	LOAD(dup2);
	LOAD(dup3);
}

void sx_real_init(void)
{
	pthread_once(&real_once, real_load);
}
