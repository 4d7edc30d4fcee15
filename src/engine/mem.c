/*
 * mem.c - the program's memory and descriptors, seen from the supervisor:
 * process_vm_readv/writev (or /proc/PID/mem) and pidfd_open + pidfd_getfd.
 * Both need ptrace-attach rights over the program, which the supervisor
 * has as its PR_SET_PTRACER (Yama) or with CAP_SYS_PTRACE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
# define PIDFD_THREAD O_EXCL
#endif

#include "socksify/runtime.h"
#include "super.h"

static int proc_mem(pid_t tid, uint64_t addr, void *buf, size_t len,
		    bool write)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write ? pwrite(fd, buf, len, (off_t)addr) :
		    pread(fd, buf, len, (off_t)addr);
	sx_real.close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

int sx_mem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };

	if (len == 0)
		return 0;
	if (process_vm_readv(tid, &l, 1, &r, 1, 0) == (ssize_t)len)
		return 0;
	return errno == ENOSYS ? proc_mem(tid, addr, buf, len, false) : -1;
}

int sx_mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec l = { (void *)buf, len }, r = { (void *)(uintptr_t)addr, len };

	if (len == 0)
		return 0;
	if (process_vm_writev(tid, &l, 1, &r, 1, 0) == (ssize_t)len)
		return 0;
	return errno == ENOSYS ? proc_mem(tid, addr, (void *)buf, len, true) : -1;
}

/* The process (thread group) of thread tid, from /proc/TID/status. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Tgid:", 5) == 0) {
			tgid = (pid_t)atoi(line + 5);
			break;
		}
	fclose(f);
	return tgid;
}

int sx_mem_takefd(pid_t tid, int fd)
{
	int pidfd = (int)sx_real.syscall(SYS_pidfd_open, tid, 0), copy, e;

	/* A thread other than the leader (EINVAL; ENOENT since Linux 6.9):
	 * a pidfd of the thread itself where the kernel has them (6.9), else
	 * of its process, found in /proc. */
	if (pidfd < 0 && errno == ENOENT)
		pidfd = (int)sx_real.syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (pidfd < 0 && (errno == EINVAL || errno == ENOENT)) {
		pid_t tgid = tgid_of(tid);

		if (tgid > 0)
			pidfd = (int)sx_real.syscall(SYS_pidfd_open, tgid, 0);
	}
	if (pidfd < 0)
		return -1;
	copy = (int)sx_real.syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	e = errno;
	sx_real.close(pidfd);
	errno = e;
	return copy;
}
