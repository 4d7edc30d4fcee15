/* rawconnect - connect to IP PORT the way code that bypasses libc does: an
 * inline `syscall` instruction (x86_64), which no LD_PRELOAD library sees.
 * Then send LINE and print the line that comes back.
 *
 *   rawconnect [-l] IP PORT LINE     -l: through libc's connect() instead
 *   rawconnect -u                    try io_uring_setup, print its outcome
 *
 * Prints "OK", "GOT LINE", or "ERR what (strerror)" and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static long raw_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
#if defined(__x86_64__)
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"((long)__NR_connect), "D"((long)fd), "S"(sa),
			   "d"((long)len)
			 : "rcx", "r11", "memory");
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
#else
	return syscall(__NR_connect, fd, sa, len);
#endif
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int libc = argc > 1 && strcmp(argv[1], "-l") == 0, fd;
	char buf[512];
	ssize_t n;

	if (argc == 2 && strcmp(argv[1], "-u") == 0) {
		char params[120] = { 0 };
		long r = syscall(__NR_io_uring_setup, 4, params);

		printf("io_uring_setup: %s\n", r < 0 ? strerror(errno) : "ok");
		return 0;
	}
	argv += libc;
	if (argc - libc != 4 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: rawconnect [-l] IP PORT LINE | -u\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return printf("ERR socket (%s)\n", strerror(errno)), 1;
	if ((libc ? connect(fd, (struct sockaddr *)&sa, sizeof(sa)) :
		    raw_connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0)
		return printf("ERR connect (%s)\n", strerror(errno)), 1;
	printf("OK\n");
	snprintf(buf, sizeof(buf), "%s\n", argv[3]);
	if (write(fd, buf, strlen(buf)) < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return printf("ERR echo (%s)\n", strerror(errno)), 1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("GOT %s\n", buf);
	return 0;
}
