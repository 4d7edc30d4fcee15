/*
 * forkpending ADDR PORT - fork() while a non-blocking connect's handshake
 * is still running (the proxy answers late).  The child must get a clean
 * failure on that socket (SO_ERROR ECONNABORTED, and no hang); the parent
 * must finish normally and exchange a line with the destination.  With
 * FORKPENDING_CHILD_CONNECT set, the child then makes a non-blocking
 * connect of its own, which must work (the parent's event loop does not
 * run in it: it starts its own).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err;
}

/* Wait for fd's connect, then exchange a line: 0 when it worked. */
static int finish(int fd, const char *who)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	char buf[64];

	if (poll(&p, 1, 10000) != 1 || so_error(fd) != 0) {
		fprintf(stderr, "%s: handshake failed\n", who);
		return -1;
	}
	if (write(fd, "after-fork\n", 11) != 11)
		return -1;
	p.events = POLLIN;
	if (poll(&p, 1, 10000) != 1 || read(fd, buf, 11) != 11 ||
	    memcmp(buf, "after-fork\n", 11)) {
		fprintf(stderr, "%s: no echo\n", who);
		return -1;
	}
	printf("%s ok\n", who);
	fflush(stdout);
	return 0;
}

static int nb_connect(const struct sockaddr_in *dst)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == 0 ||
	    errno != EINPROGRESS) {
		perror("connect");
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct pollfd p;
	int fd, st, err;
	pid_t pid;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		return 2;
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	if ((fd = nb_connect(&dst)) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, 5000) != 1) {
			fprintf(stderr, "child: poll did not return\n");
			_exit(1);
		}
		err = so_error(fd);
		printf("child SO_ERROR=%d (%s)\n", err, strerror(err));
		fflush(stdout);
		if (err != ECONNABORTED)
			_exit(1);
		if (!getenv("FORKPENDING_CHILD_CONNECT"))
			_exit(0);
		fd = nb_connect(&dst);
		_exit(fd >= 0 && finish(fd, "child new connect") == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	if (finish(fd, "parent") < 0)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
