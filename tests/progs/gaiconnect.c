/* gaiconnect - resolve HOST with getaddrinfo (the system's resolver, no
 * numeric-only flags), connect to the first address, say what getpeername()
 * reports, send LINE and print the line that comes back.  Built with
 * `gcc -static` by the engine tests: static glibc sends its own DNS queries.
 *
 *   gaiconnect [-n] HOST PORT LINE
 *
 * Prints "OK peer=ADDR:PORT" and "GOT LINE", or "ERR what (strerror)" and exits 1.
 * With -n the connect is non-blocking (poll for POLLOUT, then SO_ERROR).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("ERR %s (%s)\n", what, strerror(errno));
	return 1;
}

static int connect_nb(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t el = sizeof(int);
	int err = 0;

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (poll(&p, 1, 10000) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	errno = err;
	return err ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct addrinfo hints, *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[64], port[16], buf[512];
	int nb = argc > 1 && strcmp(argv[1], "-n") == 0, fd, rc;
	ssize_t n;

	if (argc - nb != 4) {
		fprintf(stderr, "usage: gaiconnect [-n] HOST PORT LINE\n");
		return 2;
	}
	argv += nb;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(argv[1], argv[2], &hints, &ai))) {
		printf("ERR getaddrinfo: %s\n", gai_strerror(rc));
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | (nb ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return fail("socket");
	if ((nb ? connect_nb(fd, ai->ai_addr, ai->ai_addrlen) :
		  connect(fd, ai->ai_addr, ai->ai_addrlen)) < 0)
		return fail("connect");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV))
		return fail("getpeername");
	printf("OK peer=%s:%s\n", host, port);
	snprintf(buf, sizeof(buf), "%s\n", argv[3]);
	if (nb) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (write(fd, buf, strlen(buf)) < 0 || poll(&p, 1, 10000) != 1)
			return fail("echo");
	} else if (write(fd, buf, strlen(buf)) < 0)
		return fail("write");
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return fail("read");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("GOT %s\n", buf);
	freeaddrinfo(ai);
	close(fd);
	return 0;
}
