/*
 * dnsprobe.c - drives the resolver calls socksify answers with mapped
 * addresses (remote DNS), for tests/integration/5N0_dns_*.sh.
 *
 *   dnsprobe gai NAME 0|4|6 [canon]     getaddrinfo: "addr ADDR" lines, "canon NAME"
 *   dnsprobe fetch NAME PORT PATH 0|4|6 getaddrinfo + connect + HTTP GET: the body
 *   dnsprobe hostent NAME               gethostbyname{,2}{,_r}, then each address back
 *                                       through gethostbyaddr{,_r} and getnameinfo
 *   dnsprobe res NAME                   every res_* call must fail
 *   dnsprobe connect ADDR PORT          plain connect: "ok" or "errno NAME"
 *   dnsprobe fork NAME PORT PATH        resolve, fork, the resolver exits, its child
 *                                       connects later: the body
 *
 * Exit status 0 when the calls behaved, 1 otherwise (with a message on stderr).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dnsprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int family_arg(const char *s)
{
	return !strcmp(s, "4") ? AF_INET : !strcmp(s, "6") ? AF_INET6 : AF_UNSPEC;
}

static const char *ntop(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = sa->sa_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

	return inet_ntop(sa->sa_family, a, buf, (socklen_t)len);
}

static int cmd_gai(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char buf[INET6_ADDRSTRLEN];
	int rc;

	hints.ai_family = family_arg(argv[3]);
	if (argc > 4 && !strcmp(argv[4], "canon"))
		hints.ai_flags |= AI_CANONNAME;
	rc = getaddrinfo(argv[2], "80", &hints, &res);
	if (rc)
		return fail("getaddrinfo(%s): %s", argv[2], gai_strerror(rc));
	if (res->ai_canonname)
		printf("canon %s\n", res->ai_canonname);
	for (ai = res; ai; ai = ai->ai_next)
		printf("addr %s\n", ntop(ai->ai_addr, buf, sizeof(buf)));
	freeaddrinfo(res);
	return 0;
}

/* HTTP/1.0 GET on a connected socket; the body to stdout. */
static int http_get(int fd, const char *host, const char *path, FILE *out)
{
	char req[512], resp[8192], *body;
	size_t got = 0;
	ssize_t n;

	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return fail("write: %s%s", strerror(errno), "");
	while (got < sizeof(resp) - 1 &&
	       (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	body = strstr(resp, "\r\n\r\n");
	if (strncmp(resp, "HTTP/1.0 200", 12) && strncmp(resp, "HTTP/1.1 200", 12))
		return fail("bad response: %.40s%s", resp, "");
	fputs(body ? body + 4 : "", out);
	fflush(out);
	return 0;
}

static int connect_to(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, sa, len) < 0) {
		fail("connect: %s%s", strerror(errno), "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int cmd_fetch(char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int rc, fd;

	hints.ai_family = family_arg(argv[5]);
	rc = getaddrinfo(argv[2], argv[3], &hints, &res);
	if (rc)
		return fail("getaddrinfo(%s): %s", argv[2], gai_strerror(rc));
	fd = connect_to(res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (fd < 0)
		return 1;
	rc = http_get(fd, argv[2], argv[4], stdout);
	close(fd);
	return rc;
}

/* One address back to its name, three ways. */
static int reverse(const void *addr, int af, const char *name)
{
	struct sockaddr_storage ss = { 0 };
	struct hostent he, *r, *h;
	char buf[1024], host[NI_MAXHOST], text[INET6_ADDRSTRLEN];
	socklen_t alen = af == AF_INET ? 4 : 16, slen;
	int herr = 0, rc;

	inet_ntop(af, addr, text, sizeof(text));
	h = gethostbyaddr(addr, alen, af);
	if (!h || strcmp(h->h_name, name))
		return fail("gethostbyaddr(%s) is not %s", text, name);
	rc = gethostbyaddr_r(addr, alen, af, &he, buf, sizeof(buf), &r, &herr);
	if (rc || !r || strcmp(r->h_name, name))
		return fail("gethostbyaddr_r(%s) is not %s", text, name);
	if (af == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		slen = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, addr, 16);
		slen = sizeof(*s);
	}
	rc = getnameinfo((struct sockaddr *)&ss, slen, host, sizeof(host), NULL, 0,
			 NI_NAMEREQD);
	if (rc || strcmp(host, name))
		return fail("getnameinfo(%s) is not %s", text, name);
	printf("reverse %s %s\n", text, name);
	return 0;
}

static int check_hostent(const char *call, const struct hostent *h,
			 const char *name, int af)
{
	char text[INET6_ADDRSTRLEN];

	if (!h || h->h_addrtype != af || !h->h_addr_list[0] ||
	    strcmp(h->h_name, name))
		return fail("%s(%s) failed or has the wrong name/family", call, name);
	printf("%s %s\n", call, inet_ntop(af, h->h_addr_list[0], text, sizeof(text)));
	return reverse(h->h_addr_list[0], af, name);
}

static int cmd_hostent(char **argv)
{
	const char *name = argv[2];
	struct hostent he, *r = NULL;
	char buf[1024];
	int herr = 0, bad = 0;

	bad |= check_hostent("gethostbyname", gethostbyname(name), name, AF_INET);
	bad |= check_hostent("gethostbyname2/4", gethostbyname2(name, AF_INET), name, AF_INET);
	bad |= check_hostent("gethostbyname2/6", gethostbyname2(name, AF_INET6), name, AF_INET6);
	gethostbyname_r(name, &he, buf, sizeof(buf), &r, &herr);
	bad |= check_hostent("gethostbyname_r", r, name, AF_INET);
	r = NULL;
	gethostbyname2_r(name, AF_INET6, &he, buf, sizeof(buf), &r, &herr);
	bad |= check_hostent("gethostbyname2_r/6", r, name, AF_INET6);
	/* Too small a buffer: ERANGE, as glibc does, so callers grow it. */
	r = NULL;
	if (gethostbyname_r(name, &he, buf, 8, &r, &herr) != ERANGE || r)
		bad |= fail("gethostbyname_r(%s, 8-byte buffer) is not ERANGE%s", name, "");
	return bad;
}

static int cmd_res(char **argv)
{
	unsigned char ans[512], q[512];
	int n, bad = 0;

	res_init();
#define MUST_REFUSE(call) do { \
		errno = 0; \
		if ((call) != -1) \
			bad |= fail("%s answered for %s", #call, argv[2]); \
		else \
			printf("refused %s (errno %s)\n", #call, strerror(errno)); \
	} while (0)
	MUST_REFUSE(res_query(argv[2], ns_c_in, ns_t_a, ans, sizeof(ans)));
	MUST_REFUSE(res_search(argv[2], ns_c_in, ns_t_aaaa, ans, sizeof(ans)));
	MUST_REFUSE(res_querydomain("secret", "sx.test", ns_c_in, ns_t_a, ans, sizeof(ans)));
	MUST_REFUSE(res_nquery(&_res, argv[2], ns_c_in, ns_t_a, ans, sizeof(ans)));
	MUST_REFUSE(res_nsearch(&_res, argv[2], ns_c_in, ns_t_mx, ans, sizeof(ans)));
	n = res_mkquery(ns_o_query, argv[2], ns_c_in, ns_t_a, NULL, 0, NULL, q, sizeof(q));
	if (n < 0)
		return fail("res_mkquery(%s) failed%s", argv[2], "");
	MUST_REFUSE(res_send(q, n, ans, sizeof(ans)));
	MUST_REFUSE(res_nsend(&_res, q, n, ans, sizeof(ans)));
	return bad;
}

static int cmd_connect(char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, port = atoi(argv[3]);

	if (inet_pton(AF_INET, argv[2], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[2], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	} else {
		return fail("bad address %s%s", argv[2], "");
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket: %s%s", strerror(errno), "");
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		printf("ok\n");
	else
		printf("errno %s\n", errno == EHOSTUNREACH ? "EHOSTUNREACH" :
		       strerror(errno));
	close(fd);
	return 0;
}

/*
 * The process that resolved the name exits before its child connects: the
 * child's copy of the table must still know the name.
 */
static int cmd_fork(char **argv)
{
	int pfd[2], st;
	pid_t mid;
	char buf[4096];
	ssize_t n;

	if (pipe(pfd) < 0)
		return fail("pipe: %s%s", strerror(errno), "");
	mid = fork();
	if (mid < 0)
		return fail("fork: %s%s", strerror(errno), "");
	if (mid == 0) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
		pid_t kid, parent;
		int rc;

		close(pfd[0]);
		rc = getaddrinfo(argv[2], argv[3], &hints, &res);
		if (rc)
			_exit(fail("getaddrinfo(%s): %s", argv[2], gai_strerror(rc)));
		parent = getpid();      /* before fork: it may be gone at once */
		kid = fork();
		if (kid == 0) {
			FILE *out = fdopen(pfd[1], "w");
			int fd, i;

			for (i = 0; i < 500 && getppid() == parent; i++)
				usleep(10000);
			if (getppid() == parent)
				_exit(fail("the parent did not exit%s%s", "", ""));
			fd = connect_to(res->ai_addr, res->ai_addrlen);
			if (fd < 0 || !out)
				_exit(1);
			rc = http_get(fd, argv[2], argv[4], out);
			_exit(rc);
		}
		_exit(kid > 0 ? 0 : 1);
	}
	close(pfd[1]);
	if (waitpid(mid, &st, 0) != mid || !WIFEXITED(st) || WEXITSTATUS(st))
		return fail("the resolving process failed%s%s", "", "");
	printf("resolver exited\n");
	fflush(stdout);
	/* The grandchild holds the write end: EOF when it is done. */
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(pfd[0]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "gai") && argc >= 4)
		return cmd_gai(argc, argv);
	if (!strcmp(cmd, "fetch") && argc == 6)
		return cmd_fetch(argv);
	if (!strcmp(cmd, "hostent") && argc == 3)
		return cmd_hostent(argv);
	if (!strcmp(cmd, "res") && argc == 3)
		return cmd_res(argv);
	if (!strcmp(cmd, "connect") && argc == 4)
		return cmd_connect(argv);
	if (!strcmp(cmd, "fork") && argc == 5)
		return cmd_fork(argv);
	fprintf(stderr, "usage: see tests/progs/dnsprobe.c\n");
	return 2;
}
