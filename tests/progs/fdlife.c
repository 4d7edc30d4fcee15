/* fdlife - what getpeername() says as a proxied socket's descriptor is duplicated,
 * closed and reused, for socksify tests.
 *
 *   fdlife PROXIED_IP PROXIED_PORT DIRECT_IP DIRECT_PORT
 *
 * PROXIED_* is a destination socksify sends through the proxy, DIRECT_* one it
 * connects directly (SOCKSIFY_DIRECT).  Prints one line per step, "STEP ADDR:PORT":
 *   proxied     getpeername() of the proxied socket
 *   dup, dup2, fcntl_dupfd, fcntl_dupfd_cloexec     of its duplicates
 *   after_close, after_fclose, after_close_range    a new socket given the same descriptor
 *               number after close(), fclose(fdopen()) and close_range(), connected to
 *               DIRECT_*: must report DIRECT_*
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in proxied, direct;

static void peer(const char *step, int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char ip[INET_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0) {
		printf("%s ERR %s\n", step, strerror(errno));
		return;
	}
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	printf("%s %s:%u\n", step, ip, ntohs(sa.sin_port));
}

static int connect_to(const struct sockaddr_in *sa, int want_fd)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || (want_fd >= 0 && fd != want_fd)) {
		printf("socket: got fd %d, wanted %d\n", fd, want_fd);
		exit(2);
	}
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		printf("connect ERR %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static void set(struct sockaddr_in *sa, const char *ip, const char *port)
{
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)atoi(port));
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		exit(2);
}

int main(int argc, char **argv)
{
	int fd, d;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: fdlife PROXIED_IP PORT DIRECT_IP PORT\n");
		return 2;
	}
	set(&proxied, argv[1], argv[2]);
	set(&direct, argv[3], argv[4]);

	fd = connect_to(&proxied, -1);
	peer("proxied", fd);
	d = dup(fd);
	peer("dup", d);
	close(d);
	d = dup2(fd, 100);
	peer("dup2", d);
	close(d);
	d = fcntl(fd, F_DUPFD, 101);
	peer("fcntl_dupfd", d);
	close(d);
	d = fcntl(fd, F_DUPFD_CLOEXEC, 102);
	peer("fcntl_dupfd_cloexec", d);
	close(d);

	close(fd);
	fd = connect_to(&direct, fd);
	peer("after_close", fd);
	close(fd);

	fd = connect_to(&proxied, fd);
	f = fdopen(fd, "r+");
	fclose(f);                      /* glibc closes the fd internally, not via close() */
	fd = connect_to(&direct, fd);
	peer("after_fclose", fd);
	close(fd);

	fd = connect_to(&proxied, fd);
	close_range((unsigned)fd, (unsigned)fd, 0);
	fd = connect_to(&direct, fd);
	peer("after_close_range", fd);
	close(fd);
	return 0;
}
