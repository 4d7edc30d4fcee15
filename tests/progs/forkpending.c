/*
 * forkpending ADDR PORT - fork() while a non-blocking connect's handshake
 * is still running (the proxy answers late).  The child must get a clean
 * failure on that socket (SO_ERROR ECONNABORTED, and no hang); the parent
 * must finish normally and exchange a line with the destination.
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

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct pollfd p;
	char buf[64];
	int fd, st, err;
	pid_t pid;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		return 2;
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0 ||
	    errno != EINPROGRESS) {
		perror("connect");
		return 1;
	}
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
		_exit(err == ECONNABORTED ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, 10000) != 1 || (err = so_error(fd)) != 0) {
		fprintf(stderr, "parent: handshake failed\n");
		return 1;
	}
	if (write(fd, "after-fork\n", 11) != 11)
		return 1;
	p.events = POLLIN;
	if (poll(&p, 1, 10000) != 1 || read(fd, buf, 11) != 11 ||
	    memcmp(buf, "after-fork\n", 11)) {
		fprintf(stderr, "parent: no echo\n");
		return 1;
	}
	printf("parent ok\n");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
