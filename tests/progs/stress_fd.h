/*
 * stress_fd.h - issue 21's patterns for tests/progs/stress.c (included by it, after
 * its helpers: dst, stop, note_failure, reap, finish_pending, read_magic, and the
 * epctl/dupok counters): a vfork child closing a pending socket, a thread in
 * epoll_ctl while the spawner forks, dup/dup2/close during handshakes.
 */
#ifndef SX_STRESS_FD_H
#define SX_STRESS_FD_H

/* A vfork child closes a pending socket; the parent's connect goes on. */
static __attribute__((noinline)) pid_t vfork_close(int fd)
{
	pid_t pid = vfork();

	if (pid == 0) {
		close(fd);
		_exit(0);
	}
	return pid;
}

static void vfork_close_round(void)
{
	int fd = socket(dst->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	pid_t pid;

	if (fd < 0)
		return;
	if (connect(fd, dst->ai_addr, dst->ai_addrlen) < 0 && errno != EINPROGRESS) {
		note_failure(errno, "vfork+close connect");
		close(fd);
		return;
	}
	pid = vfork_close(fd);
	if (pid > 0)
		reap(pid, 3);
	if (finish_pending(fd) || read_magic(fd))
		note_failure(EPROTO, "connect after a vfork child closed it");
	close(fd);
}

/* fork() while this thread is in epoll_ctl. */
static void *epoller(void *arg)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct epoll_event ev = { .events = EPOLLIN };

	(void)arg;
	while (!atomic_load(&stop)) {
		epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
		ev.events = EPOLLOUT;
		epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
		epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
		ev.events = EPOLLIN;
		atomic_fetch_add(&epctl, 1);
	}
	close(s);
	close(ep);
	return NULL;
}

/* dup, dup2 over the original, close, during the handshake. */
static void *duper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		int fd = socket(dst->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0), d, x;

		if (fd < 0)
			continue;
		if (connect(fd, dst->ai_addr, dst->ai_addrlen) < 0 && errno != EINPROGRESS) {
			note_failure(errno, "duper connect");
			close(fd);
			continue;
		}
		d = dup(fd);
		x = socket(AF_INET, SOCK_STREAM, 0);
		if (x >= 0 && dup2(x, fd) == fd)
			close(x);
		if (d < 0 || finish_pending(d) || read_magic(d))
			note_failure(EPROTO, "connect finished on a dup");
		else
			atomic_fetch_add(&dupok, 1);
		close(d);
		close(fd);
	}
	return NULL;
}

#endif
