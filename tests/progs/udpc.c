/*
 * udpc - a UDP client for the socksify UDP ASSOCIATE tests.
 *
 *   udpc [-6] MODE HOST PORT
 *
 * Each mode prints what it saw on stdout, one fact per line, and on a
 * failing call "ERR ENAME text" and exits 1.  Every receive is bounded
 * (SO_RCVTIMEO 5 s, or poll with 5 s).
 *
 *   sendto     sendto "hello", recvfrom: "GOT data FROM addr"
 *   connected  connect, getpeername, send/recv, write/read, recvfrom's address
 *   peek       MSG_PEEK, MSG_PEEK|MSG_TRUNC, then recvmsg into 10 bytes
 *   mmsg       sendmmsg 3 datagrams, recvmmsg them
 *   nonblock   O_NONBLOCK: poll + recv until the echo (counts EAGAINs)
 *   killctl    a round trip, wait 1.5 s, send again: the error
 *   close      a round trip, close the socket, "CLOSED", then sleep 3 s
 *   dup2       a round trip, dup2 /dev/null over it, "CLOSED", sleep 3 s
 *   closefrom  a round trip, close_range() every descriptor above it, send
 *   send       one sendto, and its result (for refusals)
 *   stale      a round trip, close_range() the socket itself (behind the
 *              library's back), open a file on the same number, read() it
 *   v4on6      an AF_INET6 socket sending to the IPv4 sockaddr (HOST is IPv4);
 *              then connect() to it and send/recv
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int family = AF_INET;
static struct sockaddr_storage dst;
static socklen_t dstlen;

static void die(const char *what)
{
	int e = errno;

	printf("ERR %s %s: %s\n", strerrorname_np(e) ? strerrorname_np(e) : "?",
	       what, strerror(e));
	exit(1);
}

static const char *addr_str(const struct sockaddr *sa)
{
	static char buf[128];
	char ip[64];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, sizeof(buf), "family-%d", sa->sa_family);
	}
	return buf;
}

static int mksock(void)
{
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void roundtrip(int fd, const char *msg)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[2048];
	ssize_t n;

	if (sendto(fd, msg, strlen(msg), 0, (void *)&dst, dstlen) !=
	    (ssize_t)strlen(msg))
		die("sendto");
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (void *)&from, &flen);
	if (n < 0)
		die("recvfrom");
	buf[n] = '\0';
	printf("GOT %s FROM %s\n", buf, addr_str((void *)&from));
}

static void mode_connected(int fd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[256];
	ssize_t n;

	if (connect(fd, (void *)&dst, dstlen) < 0)
		die("connect");
	if (getpeername(fd, (void *)&peer, &plen) < 0)
		die("getpeername");
	printf("PEER %s\n", addr_str((void *)&peer));
	if (send(fd, "c1", 2, 0) != 2)
		die("send");
	if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) < 0)
		die("recv");
	buf[n] = '\0';
	printf("RECV %s\n", buf);
	if (write(fd, "c2", 2) != 2)
		die("write");
	if ((n = read(fd, buf, sizeof(buf) - 1)) < 0)
		die("read");
	buf[n] = '\0';
	printf("READ %s\n", buf);
	if (send(fd, "c3", 2, 0) != 2)
		die("send 2");
	plen = sizeof(peer);
	if ((n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (void *)&peer, &plen)) < 0)
		die("recvfrom");
	buf[n] = '\0';
	printf("RECVFROM %s FROM %s\n", buf, addr_str((void *)&peer));
}

static void mode_peek(int fd)
{
	char big[100], buf[200];
	struct iovec iov = { .iov_base = buf, .iov_len = 10 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	memset(big, 'P', sizeof(big));
	if (sendto(fd, big, sizeof(big), 0, (void *)&dst, dstlen) != sizeof(big))
		die("sendto");
	if ((n = recv(fd, buf, 10, MSG_PEEK)) < 0)
		die("recv peek");
	printf("PEEK %zd %.*s\n", n, (int)n, buf);
	if ((n = recv(fd, buf, 10, MSG_PEEK | MSG_TRUNC)) < 0)
		die("recv peek trunc");
	printf("PEEKTRUNC %zd\n", n);
	if ((n = recvmsg(fd, &m, 0)) < 0)
		die("recvmsg");
	printf("MSG %zd %s %.*s\n", n, (m.msg_flags & MSG_TRUNC) ? "TRUNC" : "-",
	       (int)n, buf);
	/* the datagram is gone: the next receive times out */
	if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
		printf("LEFTOVER %zd\n", n);
	else
		printf("EMPTY %s\n", strerrorname_np(errno));
}

static void mode_mmsg(int fd)
{
	struct mmsghdr v[3];
	struct iovec iov[3];
	char bufs[3][64], *msgs[3] = { "m1", "m2", "m3" };
	int n, got = 0;

	memset(v, 0, sizeof(v));
	for (int i = 0; i < 3; i++) {
		iov[i].iov_base = msgs[i];
		iov[i].iov_len = 2;
		v[i].msg_hdr.msg_name = &dst;
		v[i].msg_hdr.msg_namelen = dstlen;
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
	}
	if ((n = sendmmsg(fd, v, 3, 0)) != 3)
		die("sendmmsg");
	printf("SENT %d\n", n);
	while (got < 3) {
		struct sockaddr_storage from[3];

		memset(v, 0, sizeof(v));
		for (int i = 0; i < 3; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]) - 1;
			v[i].msg_hdr.msg_iov = &iov[i];
			v[i].msg_hdr.msg_iovlen = 1;
			v[i].msg_hdr.msg_name = &from[i];
			v[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		if ((n = recvmmsg(fd, v, 3 - got, MSG_WAITFORONE, NULL)) <= 0)
			die("recvmmsg");
		for (int i = 0; i < n; i++) {
			bufs[i][v[i].msg_len] = '\0';
			printf("MGOT %s FROM %s\n", bufs[i],
			       addr_str((void *)&from[i]));
		}
		got += n;
	}
}

static void mode_nonblock(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];
	int eagain = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (sendto(fd, "nb", 2, 0, (void *)&dst, dstlen) != 2)
		die("sendto");
	for (;;) {
		if (poll(&p, 1, 5000) != 1)
			die("poll (timeout)");
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n >= 0)
			break;
		if (errno != EAGAIN)
			die("recv");
		eagain++;
	}
	buf[n] = '\0';
	printf("GOT %s\nEAGAIN %d\n", buf, eagain);
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	const char *mode;
	int fd, i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "-6")) {
		family = AF_INET6;
		i++;
	}
	if (argc - i != 3) {
		fprintf(stderr, "usage: udpc [-6] MODE HOST PORT\n");
		return 2;
	}
	mode = argv[i];
	hints.ai_family = family;
	if (getaddrinfo(argv[i + 1], argv[i + 2], &hints, &ai) != 0) {
		printf("ERR ENOENT getaddrinfo %s\n", argv[i + 1]);
		return 1;
	}
	memcpy(&dst, ai->ai_addr, ai->ai_addrlen);
	dstlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	fd = mksock();

	if (!strcmp(mode, "sendto")) {
		roundtrip(fd, "hello");
		roundtrip(fd, "again");
	} else if (!strcmp(mode, "connected")) {
		mode_connected(fd);
	} else if (!strcmp(mode, "peek")) {
		mode_peek(fd);
	} else if (!strcmp(mode, "mmsg")) {
		mode_mmsg(fd);
	} else if (!strcmp(mode, "nonblock")) {
		mode_nonblock(fd);
	} else if (!strcmp(mode, "killctl")) {
		roundtrip(fd, "first");
		sleep(1);
		usleep(500000);
		if (sendto(fd, "second", 6, 0, (void *)&dst, dstlen) < 0)
			die("second sendto");
		printf("SENT second\n");
	} else if (!strcmp(mode, "close") || !strcmp(mode, "dup2")) {
		struct sockaddr_storage me;
		socklen_t mlen = sizeof(me);

		roundtrip(fd, "bye");
		if (getsockname(fd, (void *)&me, &mlen) < 0)
			die("getsockname");
		printf("LOCAL %u\n", ntohs(((struct sockaddr_in *)&me)->sin_port));
		if (!strcmp(mode, "close")) {
			if (close(fd) < 0)
				die("close");
		} else {
			int null = open("/dev/null", O_RDONLY);

			if (null < 0 || dup2(null, fd) < 0)
				die("dup2");
		}
		printf("CLOSED\n");
		sleep(3);
		printf("EXIT\n");
	} else if (!strcmp(mode, "closefrom")) {
		roundtrip(fd, "before");
		if (syscall(SYS_close_range, fd + 1, ~0U, 0) < 0)
			die("close_range");
		printf("CLOSEDFROM %d\n", fd + 1);
		if (sendto(fd, "after", 5, 0, (void *)&dst, dstlen) < 0)
			die("sendto after close_range");
		printf("SENT after\n");
	} else if (!strcmp(mode, "v4on6")) {
		struct timeval tv = { .tv_sec = 5 };
		char buf[64];
		ssize_t n;

		close(fd);
		if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		roundtrip(fd, "v4on6");
		if (connect(fd, (void *)&dst, dstlen) < 0)
			die("connect");
		if (send(fd, "c4", 2, 0) != 2)
			die("send");
		if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) < 0)
			die("recv");
		buf[n] = '\0';
		printf("RECV %s\n", buf);
	} else if (!strcmp(mode, "stale")) {
		char buf[64];
		ssize_t n;
		int f;

		roundtrip(fd, "stale");
		if (syscall(SYS_close_range, fd, fd, 0) < 0)
			die("close_range");
		if ((f = open("/proc/self/stat", O_RDONLY)) != fd)
			die("open did not reuse the descriptor");
		if ((n = read(f, buf, sizeof(buf))) <= 0)
			die("read of the file");
		printf("READ %s\n", n > 0 ? "ok" : "-");
	} else if (!strcmp(mode, "send")) {
		if (sendto(fd, "x", 1, 0, (void *)&dst, dstlen) < 0)
			die("sendto");
		printf("SENT\n");
	} else {
		fprintf(stderr, "udpc: unknown mode %s\n", mode);
		return 2;
	}
	return 0;
}
