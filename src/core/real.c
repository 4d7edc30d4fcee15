/*
 * real.c - the next definitions of the functions we hook, from dlsym.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "socksify/real.h"

struct sx_real sx_real;
__thread int sx_guard __attribute__((tls_model("initial-exec")));

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

#define LOAD(name) (*(void **)&sx_real.name = dlsym(RTLD_NEXT, #name))

static void real_load(void)
{
	LOAD(connect);
	LOAD(sendto);
	LOAD(sendmsg);
	LOAD(read);
	LOAD(write);
	LOAD(readv);
	LOAD(writev);
	LOAD(recv);
	LOAD(send);
	LOAD(recvfrom);
	LOAD(recvmsg);
	LOAD(recvmmsg);
	LOAD(sendmmsg);
	*(void **)&sx_real.read_chk = dlsym(RTLD_NEXT, "__read_chk");
	*(void **)&sx_real.recv_chk = dlsym(RTLD_NEXT, "__recv_chk");
	*(void **)&sx_real.recvfrom_chk = dlsym(RTLD_NEXT, "__recvfrom_chk");
	LOAD(syscall);
	LOAD(sendfile);
	LOAD(sendfile64);
	LOAD(splice);
	LOAD(copy_file_range);
	LOAD(getpeername);
	LOAD(dup);
	LOAD(dup2);
	LOAD(dup3);
	LOAD(close);
	LOAD(close_range);
	LOAD(closefrom);
	LOAD(fcntl);
	LOAD(fcntl64);
	LOAD(bind);
	LOAD(listen);
	LOAD(accept4);
	LOAD(getsockname);
	LOAD(getsockopt);
	LOAD(poll);
	LOAD(ppoll);
	LOAD(select);
	LOAD(pselect);
	LOAD(epoll_ctl);
	LOAD(epoll_wait);
	LOAD(epoll_pwait);
	LOAD(epoll_pwait2);
	LOAD(getaddrinfo);
	LOAD(getnameinfo);
	LOAD(gethostbyname);
	LOAD(gethostbyname2);
	LOAD(gethostbyname_r);
	LOAD(gethostbyname2_r);
	LOAD(gethostbyaddr);
	LOAD(gethostbyaddr_r);
	LOAD(res_query);
	LOAD(res_search);
	LOAD(res_querydomain);
	LOAD(res_send);
	LOAD(res_nquery);
	LOAD(res_nsearch);
	LOAD(res_nquerydomain);
	LOAD(res_nsend);
}

atomic_int sx_real_ready;

void sx_real_load(void)
{
	pthread_once(&real_once, real_load);
	atomic_store_explicit(&sx_real_ready, 1, memory_order_release);
}
