/*
 * filter.c - the seccomp filter of the seccomp and ptrace engines.
 *
 * The calls that can open a connection or name a destination go to the
 * supervisor: connect, sendmsg, sendmmsg, sendto with an address (sendto
 * without one, the common data path, stays in the kernel), and getpeername
 * (which reports the destination of a proxied socket).  io_uring_setup
 * fails with ENOSYS, so programs fall back to plain calls the filter sees.
 * Calls of another ABI (i386 int 0x80, x32) fail with ENOSYS: they would
 * bypass the numbers below.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "socksify/runtime.h"
#include "super.h"

#if defined(__x86_64__)
# define SX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
# define SX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
# error "the seccomp engine knows x86_64 and aarch64"
#endif

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define RET(v)    BPF_STMT(BPF_RET | BPF_K, (v))
#define LD(off)   BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define ENOSYS_RET (SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))

int sx_filter_install(bool notify)
{
	unsigned trap = notify ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_TRACE;
	struct sock_filter f[] = {
		LD(offsetof(struct seccomp_data, arch)),
		JEQ(SX_AUDIT_ARCH, 1, 0),
		RET(ENOSYS_RET),
		LD(offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1),
		RET(ENOSYS_RET),
#endif
		JEQ(__NR_io_uring_setup, 0, 1),
		RET(ENOSYS_RET),
		JEQ(__NR_connect, 9, 0),
		JEQ(__NR_getpeername, 8, 0),
		JEQ(__NR_sendmsg, 7, 0),
		JEQ(__NR_sendmmsg, 6, 0),
		JEQ(__NR_sendto, 0, 4),
		LD(ARG_LO(4)),
		JEQ(0, 0, 3),
		LD(ARG_HI(4)),
		JEQ(0, 0, 1),
		RET(SECCOMP_RET_ALLOW),
		RET(trap),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]), .filter = f,
	};
	unsigned long flags = notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER |
				       SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
	long r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	r = sx_real.syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	/* Before 5.19 a signal interrupts the wait: go without. */
	if (r < 0 && errno == EINVAL && notify)
		r = sx_real.syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	return r < 0 ? -1 : (int)r;
}
