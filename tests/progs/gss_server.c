/* gss_server - a scriptable SOCKS 5 server with GSS-API authentication
 * (RFC 1928 + RFC 1961) on Heimdal, for socksify's tests and benchmarks.
 *
 *   gss_server --port N --keytab FILE [--bind ADDR] [--port-file F] [--log F]
 *              [--service NAME|any] [--allow CIDR]... [--source ADDR]
 *              [--level 0|1|2] [--fault NAME] [--fault-file F]
 *              [--serve discard|echo|source BYTES]
 *
 * IPv4.  Method 0x01 alone; the context (01 01) with the key of NAME/ADDR
 * in FILE (any: any key); the level (01 02): the client's, or --level; then
 * 01 03 frames unless the level is clear (0, Dante's extension: plain SOCKS).
 * CONNECT to loopback or an --allow network only, from --source; names are
 * refused, never resolved.  --serve: the server is the destination, for
 * benchmarks: discard (count), echo, source BYTES ('a'..'z' repeated, then
 * EOF), "serve MODE bytes=N ms=T" in the log at the end.
 *
 * A process per connection, with one fault: the first word of --fault-file
 * when it is accepted, else --fault (default ok).
 *   close-accept close-method close-token-first close-token-mid close-level
 *   close-level-reply close-request   close at that step
 *   reset-STEP                        the same with a reset (SO_LINGER 0)
 *   silent-token silent-level         read the token / level, never answer
 *   abort-token abort-level           01 FF instead of the answer
 *   bad-version bad-mtyp token-garbage token-corrupt len-lie   the context
 *       token in a version 2 frame, as type 3, garbage (not a Kerberos
 *       token), its last byte changed, or LEN 1000 then 10 bytes
 *   level-below level-above level-garbage level-unwrapped   the level
 *       answered: asked - 1, asked + 1, 7, or not wrapped
 *   bad-reply-frame   the CONNECT reply in clear although the level is not
 *   data-bad-frame    success, then a data frame that does not unwrap
 * Log lines: "conn PEER FAULT", "authenticated NAME", "level asked N answer
 * M", "request cmd=N atyp=N", "relay HOST PORT", "client abort (01 ff)
 * instead of the request", "client closed before the request", "end FAULT
 * after N ms bytes=N" (a fault that waits for the client, 30 s at most),
 * "done FAULT" when the connection is closed.
 *
 * Here: the options, the handshake with its faults, the listener.  The
 * connection's frame I/O, gss_wrap/gss_unwrap and the data phase (relay,
 * --serve): gss/gss_server_io.c, in a subdirectory so that the Makefile
 * does not build it as a program of its own (mk/gss-server.mk links both).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gss/gss_server_io.h"

#define WAIT_MAX_MS 30000

static struct {
	const char *bind, *portfile, *keytab, *service, *fault, *faultfile;
	const char *source, *serve, *log;
	int port, level;                /* level -1: the client's */
	long long bytes;
	uint32_t allow[16], mask[16];
	int nallow;
} opt = { .bind = "127.0.0.1", .service = "rcmd", .fault = "ok", .level = -1 };
static gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;

/* ---- faults ---------------------------------------------------------------- */

static int is(const struct conn *c, const char *f)
{
	return strcmp(c->fault, f) == 0;
}

/* Say nothing (after 01 FF if send_ff) until the client gives up. */
static int stall(struct conn *c, int send_ff)
{
	long long t0 = now_ms(), total = (long long)(c->e - c->s), left;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	uint8_t b[4096];
	ssize_t k = 1;

	if (send_ff)
		write_all(c->fd, "\x01\xff", 2);
	while (k > 0 && (left = WAIT_MAX_MS - (now_ms() - t0)) > 0 &&
	       poll(&p, 1, (int)left) > 0 && (k = recv(c->fd, b, sizeof(b), 0)) > 0)
		total += k;
	logmsg("end %s after %lld ms bytes=%lld", c->fault, now_ms() - t0, total);
	return -1;
}

/* ---- the handshake -------------------------------------------------------- */

static int greeting(struct conn *c)
{
	uint8_t *m;
	int offered = 0;

	if (is(c, "close-accept") || need(c, 2) < 0 ||
	    need(c, 2 + (size_t)c->in[c->s + 1]) < 0)
		return -1;
	m = c->in + c->s;
	for (int i = 0; i < m[1]; i++)
		offered |= m[2 + i] == 1;
	c->s += 2 + (size_t)m[1];
	if (write_all(c->fd, offered ? "\x05\x01" : "\x05\xff", 2) < 0 || !offered)
		return -1;
	return is(c, "close-method") ? -1 : 0;
}

/* The server's context token, or the fault that replaces it. */
static int answer_token(struct conn *c, const gss_buffer_desc *t)
{
	static const char junk[] = "0123456789abcdef0123456789abcdef";

	if (is(c, "bad-version") || is(c, "bad-mtyp"))
		return send_frame(c, is(c, "bad-version") ? 2 : 1,
				  is(c, "bad-mtyp") ? 3 : 1, t->value, t->length);
	if (is(c, "token-garbage"))
		return send_frame(c, 1, 1, junk, sizeof(junk) - 1);
	if (is(c, "token-corrupt"))
		((uint8_t *)t->value)[t->length - 1] ^= 0x55;
	if (is(c, "len-lie")) {                 /* LEN 1000, then 10 bytes */
		uint8_t h[HLEN + 10] = { 1, 1, 0x03, 0xe8 };

		memcpy(h + HLEN, t->value, t->length < 10 ? t->length : 10);
		write_all(c->fd, h, sizeof(h));
		return -1;
	}
	if (put_frame(c, 1, 1, t->value, t->length) < 0)
		return -1;
	if (is(c, "close-token-mid"))
		return write_all(c->fd, c->out, c->n / 2), -1;
	return flush_out(c);
}

static int establish(struct conn *c)
{
	OM_uint32 major, minor, flags = 0;
	gss_name_t src = GSS_C_NO_NAME;
	gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER, name = GSS_C_EMPTY_BUFFER;
	uint8_t *tok;
	size_t len;
	int rc;

	do {
		if (get_frame(c, 1, "context", &tok, &len) < 0 ||
		    is(c, "close-token-first"))
			return -1;
		if (is(c, "silent-token") || is(c, "abort-token"))
			return stall(c, is(c, "abort-token"));
		in.length = len;
		in.value = tok;
		major = gss_accept_sec_context(&minor, &c->ctx, cred, &in,
					       GSS_C_NO_CHANNEL_BINDINGS, &src, NULL,
					       &out, &flags, NULL, NULL);
		if (GSS_ERROR(major)) {
			log_gss("gss_accept_sec_context", major, minor);
			write_all(c->fd, "\x01\xff", 2);
			return -1;
		}
		rc = out.length ? answer_token(c, &out) : 0;
		gss_release_buffer(&minor, &out);
		if (rc < 0)
			return -1;
	} while (major & GSS_S_CONTINUE_NEEDED);
	gss_display_name(&minor, src, &name, NULL);
	logmsg("authenticated %.*s", (int)name.length, (char *)name.value);
	gss_release_buffer(&minor, &name);
	gss_release_name(&minor, &src);
	if (is(c, "bad-version") || is(c, "bad-mtyp") || strncmp(c->fault, "token-", 6) == 0)
		return stall(c, 0);     /* the client must give up on its own */
	return 0;
}

static int choose(const struct conn *c, int asked)
{
	if (is(c, "level-below"))
		return asked > 0 ? asked - 1 : 0;
	if (is(c, "level-above"))
		return asked + 1;
	return is(c, "level-garbage") ? 7 : opt.level < 0 ? asked : opt.level;
}

static int protection(struct conn *c)
{
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor, max = 0;
	uint8_t *tok, lv;
	size_t len;
	int rc, asked;

	if (get_frame(c, 2, "level", &tok, &len) < 0 ||
	    gss(c, 0, 0, tok, len, &out) < 0)
		return -1;
	asked = out.length == 1 ? *(uint8_t *)out.value : -1;
	gss_release_buffer(&minor, &out);
	if (is(c, "close-level"))
		return -1;
	if (is(c, "silent-level") || is(c, "abort-level"))
		return stall(c, is(c, "abort-level"));
	lv = (uint8_t)choose(c, asked);
	logmsg("level asked %d answer %u", asked, lv);
	if (is(c, "level-unwrapped")) {
		rc = send_frame(c, 1, 2, &lv, 1);
	} else {
		if (gss(c, 1, 0, &lv, 1, &out) < 0)
			return -1;
		rc = send_frame(c, 1, 2, out.value, out.length);
		gss_release_buffer(&minor, &out);
	}
	if (rc < 0 || is(c, "close-level-reply"))
		return -1;
	c->level = lv;
	if (lv && GSS_ERROR(gss_wrap_size_limit(&minor, c->ctx, lv == 2,
						GSS_C_QOP_DEFAULT, MAXTOK, &max)))
		max = 0;
	c->maxin = max ? max : 16384;
	return 0;
}

/* The request (plain at level 0) into r (262 bytes): 0 or -1. */
static int read_request(struct conn *c, uint8_t *r)
{
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor;
	uint8_t *p;
	size_t n;

	if (need(c, 2) < 0)
		return logmsg("client closed before the request"), -1;
	if (c->in[c->s] == 1 && c->in[c->s + 1] == 0xff) {
		c->s += 2;
		logmsg("client abort (01 ff) instead of the request%s",
		       need(c, 1) < 0 ? ", then closed" : "");
		return -1;
	}
	if (c->level == 0) {
		p = c->in + c->s;
		n = need(c, 5) < 0 ? 0 : p[3] == 1 ? 10 : p[3] == 3 ? 7u + p[4] : 0;
		if (n == 0 || need(c, n) < 0)
			return -1;
		memcpy(r, c->in + c->s, n);
		c->s += n;
	} else {
		if (get_frame(c, 3, "request", &p, &n) < 0 || gss(c, 0, 0, p, n, &out) < 0)
			return -1;
		n = out.length >= 10 && out.length <= 262 ? out.length : 0;
		memcpy(r, out.value, n);
		gss_release_buffer(&minor, &out);
		if (n == 0)
			return -1;
	}
	logmsg("request cmd=%u atyp=%u", r[1], r[3]);
	return 0;
}

/* The reply (plain: even when the level is not clear). */
static int send_reply(struct conn *c, int rep, int plain)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	uint8_t r[10] = { 5, (uint8_t)rep, 0, 1, 127, 0, 0, 1, 0, 0 };

	if (getsockname(c->fd, (struct sockaddr *)&a, &al) == 0)
		memcpy(r + 8, &a.sin_port, 2);
	if (plain || c->level == 0)
		return write_all(c->fd, r, sizeof(r));
	return put_wrapped(c, r, sizeof(r)) < 0 ? -1 : flush_out(c);
}

/* Connect to the IPv4 destination in r: the socket, or -1 with *rep. */
static int connect_out(const uint8_t *r, int *rep)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, src = a;
	uint32_t ip = 0;
	int fd, ok = 0, one = 1;
	char host[INET_ADDRSTRLEN] = "?";

	if (r[3] == 1) {
		memcpy(&a.sin_addr, r + 4, 4);
		memcpy(&a.sin_port, r + 8, 2);
		ip = ntohl(a.sin_addr.s_addr);
		inet_ntop(AF_INET, &a.sin_addr, host, sizeof(host));
		ok = ip >> 24 == 127;
	}
	for (int i = 0; i < opt.nallow; i++)
		ok |= (ip & opt.mask[i]) == opt.allow[i];
	if (!ok || r[1] != 1) {                 /* names are never resolved */
		logmsg("refused: cmd %u atyp %u %s", r[1], r[3], host);
		*rep = r[1] != 1 ? 7 : 2;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && opt.source && inet_pton(AF_INET, opt.source, &src.sin_addr) == 1)
		bind(fd, (struct sockaddr *)&src, sizeof(src));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		logmsg("relay %s %u failed: %s", host, ntohs(a.sin_port), strerror(errno));
		if (fd >= 0)
			close(fd);
		*rep = 5;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	logmsg("relay %s %u", host, ntohs(a.sin_port));
	*rep = 0;
	return fd;
}

static void session(struct conn *c)
{
	uint8_t r[4 + 1 + 255 + 2];
	int dest = -1, rep = 0;

	if (greeting(c) < 0 || establish(c) < 0 || protection(c) < 0 ||
	    read_request(c, r) < 0 || is(c, "close-request"))
		return;
	if (is(c, "bad-reply-frame") || is(c, "data-bad-frame")) {
		send_reply(c, 0, is(c, "bad-reply-frame"));
		if (is(c, "data-bad-frame"))
			send_frame(c, 1, 3, "not a gss token, not at all", 27);
		stall(c, 0);
		return;
	}
	if (!opt.serve)
		dest = connect_out(r, &rep);
	if (send_reply(c, rep, 0) < 0 || (!opt.serve && dest < 0)) {
		if (dest >= 0)
			close(dest);
		return;
	}
	alarm(0);                       /* the data may take its time */
	if (opt.serve)
		serve(c, opt.serve, opt.bytes);
	else
		relay(c, dest);
}

/* ---- setup ------------------------------------------------------------------ */

static void connection(int fd)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	char peer[INET_ADDRSTRLEN] = "?", fault[64], reset[80];
	struct conn c = { .fd = fd, .fault = opt.fault, .ctx = GSS_C_NO_CONTEXT };
	FILE *f = opt.faultfile ? fopen(opt.faultfile, "r") : NULL;
	OM_uint32 minor;
	int one = 1;

	if (f && fscanf(f, "%63s", fault) == 1)
		c.fault = fault;
	if (f)
		fclose(f);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getpeername(fd, (struct sockaddr *)&a, &al) == 0)
		inet_ntop(AF_INET, &a.sin_addr, peer, sizeof(peer));
	logmsg("conn %s %s", peer, c.fault);
	if (strncmp(c.fault, "reset-", 6) == 0) {      /* close-STEP, with a RST */
		struct linger l = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		snprintf(reset, sizeof(reset), "close-%s", c.fault + 6);
		c.fault = reset;
	}
	c.in = malloc(INCAP);
	c.out = malloc(OUTCAP);
	alarm(WAIT_MAX_MS / 1000 + 30);         /* no child outlives a dead test */
	if (c.in && c.out)
		session(&c);
	if (c.ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &c.ctx, GSS_C_NO_BUFFER);
	close(fd);
	logmsg("done %s", c.fault);
}

/* The acceptor's credentials: NAME@BINDADDR from the keytab, or any key. */
static int acquire(void)
{
	OM_uint32 major = 0, minor = 0;
	gss_name_t name = GSS_C_NO_NAME;
	char svc[300];
	gss_buffer_desc b = { 0, svc };

	if (opt.keytab && gsskrb5_register_acceptor_identity(opt.keytab) != 0)
		return -1;
	if (strcmp(opt.service, "any") == 0)
		return 0;
	b.length = (size_t)snprintf(svc, sizeof(svc), "%s@%s", opt.service, opt.bind);
	major = gss_import_name(&minor, &b, GSS_C_NT_HOSTBASED_SERVICE, &name);
	if (!GSS_ERROR(major))
		major = gss_acquire_cred(&minor, name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
					 GSS_C_ACCEPT, &cred, NULL, NULL);
	gss_release_name(&minor, &name);
	if (GSS_ERROR(major))
		log_gss(svc, major, minor);
	return GSS_ERROR(major) ? -1 : 0;
}

static int listen_on(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	FILE *f;
	char tmp[4096];

	if (fd < 0 || inet_pton(AF_INET, opt.bind, &a.sin_addr) != 1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, al) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	if (!opt.portfile)
		return fd;
	/* Publish the port bound, atomically: write, then rename. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt.portfile);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0 ||
	    rename(tmp, opt.portfile) < 0)
		return -1;
	return fd;
}

static int parse_cidr(const char *s)
{
	char a[32];
	int bits = 32, n = opt.nallow;
	struct in_addr in;

	if (n >= 16 || sscanf(s, "%31[0-9.]/%d", a, &bits) < 1 || bits < 0 ||
	    bits > 32 || inet_pton(AF_INET, a, &in) != 1)
		return -1;
	opt.mask[n] = bits ? ~0u << (32 - bits) : 0;
	opt.allow[n] = ntohl(in.s_addr) & opt.mask[n];
	opt.nallow++;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	static const struct { const char *name; const char **to; } strs[] = {
		{ "--bind", &opt.bind }, { "--port-file", &opt.portfile },
		{ "--keytab", &opt.keytab }, { "--service", &opt.service },
		{ "--source", &opt.source }, { "--fault", &opt.fault },
		{ "--fault-file", &opt.faultfile }, { "--log", &opt.log },
		{ "--serve", &opt.serve },
	};

	for (int i = 1; i < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		size_t j = 0;

		if (!v)
			return -1;
		while (j < sizeof(strs) / sizeof(strs[0]) && strcmp(o, strs[j].name))
			j++;
		if (j < sizeof(strs) / sizeof(strs[0]))
			*strs[j].to = v;
		else if (!strcmp(o, "--port"))
			opt.port = atoi(v);
		else if (!strcmp(o, "--level"))
			opt.level = atoi(v);
		else if (strcmp(o, "--allow") || parse_cidr(v) < 0)
			return -1;
		if (!strcmp(o, "--serve") && !strcmp(v, "source")) {
			if (++i + 1 >= argc)
				return -1;
			opt.bytes = atoll(argv[i + 1]);
		}
	}
	return opt.level < -1 || opt.level > 2 ? -1 : 0;
}

int main(int argc, char **argv)
{
	int lfd;

	if (parse_args(argc, argv) < 0 || (opt.serve && strcmp(opt.serve, "discard") &&
	    strcmp(opt.serve, "echo") && strcmp(opt.serve, "source")))
		return fprintf(stderr, "usage: see tests/progs/gss_server.c\n"), 2;
	if (opt.log && (logfd = open(opt.log, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		return perror(opt.log), 1;
	if (acquire() < 0)
		return fprintf(stderr, "gss_server: no acceptor credentials\n"), 1;
	if ((lfd = listen_on()) < 0)
		return perror("gss_server: listen"), 1;
	signal(SIGCHLD, SIG_IGN);       /* children reap themselves */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0 && errno != EINTR && errno != ECONNABORTED && errno != EMFILE)
			return 1;
		if (fd >= 0 && fork() == 0) {
			close(lfd);
			connection(fd);
			_exit(0);
		}
		if (fd >= 0)
			close(fd);
	}
}
