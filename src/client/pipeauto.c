/*
 * pipeauto.c - `pipelining auto`: pipeline the handshake with a proxy only
 * once a probe has shown that it keeps what follows the greeting.
 *
 * The probe is a connection of its own to the first hop (never the
 * program's), opened when the program's own TCP connect to it is done (a
 * proxy that cannot be reached is never probed) and nothing is known: greeting (one method), the credentials if any, and a
 * CONNECT to 127.0.0.1 port 0, all in one write.  Every server answers
 * that at once and reaches nothing off its machine: danted refuses it (a
 * connect to port 0 of its own loopback fails at once), ssh -D closes
 * the connection (it answers only once its channel is open, and the ssh
 * server's connect to its own port 0 fails), and microsocks, which drops
 * what follows the greeting, answers the greeting and goes silent.  A
 * reply or a close both show that the request was read; only silence
 * shows it was dropped.  (Other requests are worse: a command ssh -D does
 * not know, or a BIND, makes it close before reading the rest, and a
 * CONNECT anywhere else may make the proxy reach out.)  The program's own
 * handshake meanwhile goes one message per round trip, so the probe costs
 * it nothing but a short bound once its own handshake is done: 100 ms for
 * the first reply (and as much for the probe's own connect, if that was
 * not done within 5 ms of the program's), 30 ms for each next one (a
 * server that pipelines sends them together).  A probe runs at most once per proxy per period (the
 * results' lifetimes in pipeauto.h), from the process that finds nothing
 * known; no thread is started.
 *
 * What was learned is kept per user in $XDG_CACHE_HOME/socksify/pipelining
 * (else ~/.cache/socksify/pipelining), written whole to a temporary file
 * and renamed.  A missing, unreadable, corrupt, foreign (another owner,
 * writable by others) or oversized file only means "unknown".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "socksify/client.h"
#include "socksify/pipeauto.h"
#include "socksify/registry.h"
#include "socksify/runtime.h"

#define FIRST_REPLY_MS 100
#define NEXT_REPLY_MS 30
#define CONNECT_MS 5

/* This process's own memory: probes under way, results learned here. */
static struct sx_pipe_entry memo[16];
static int nmemo;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned memo_gen;       /* under memo_lock: +1 on every change */
/* This thread's last answer from the memory, by the hop's binary address:
 * the next connect through the same hop takes it without formatting the
 * key or searching, while the memory is unchanged (memo_gen). */
static __thread struct {
	bool ok;
	uint8_t method;
	unsigned gen;
	socklen_t plen;
	struct sockaddr_storage psa;
	struct sx_pipe_entry e;
} last __attribute__((tls_model("initial-exec")));
static atomic_bool said_bad_cache;

/* The probes' descriptors open in this process (fd + 1; 0 = free): a fork
 * child closes them (the registry's fork handler), as the program's child
 * must hold no descriptor of the library's. */
#define MAXPROBES 16
static atomic_int probe_fds[MAXPROBES];

static void probes_child(void)
{
	for (int i = 0; i < MAXPROBES; i++) {
		int v = atomic_exchange(&probe_fds[i], 0);

		if (v)
			sx_real.close(v - 1);
	}
}

static const struct sx_reg_module probe_module = { .child = probes_child };

/* A new probe socket: at a high number, close-on-exec, tracked. */
static int probe_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sx_reg_module(&probe_module);
	fd = sx_fd_high(fd);
	for (int i = 0; i < MAXPROBES; i++) {
		int free_slot = 0;

		if (atomic_compare_exchange_strong(&probe_fds[i], &free_slot,
						   fd + 1))
			break;
	}
	return fd;
}

static void probe_close(int fd)
{
	for (int i = 0; i < MAXPROBES; i++) {
		int v = fd + 1;

		if (atomic_compare_exchange_strong(&probe_fds[i], &v, 0))
			break;
	}
	sx_real.close(fd);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* The cache file's path (dir: its directory); false when there is none
 * (no home, a setuid program: secure_getenv). */
static bool cache_path(char *dir, size_t dlen, char *file, size_t flen)
{
	const char *xdg = secure_getenv("XDG_CACHE_HOME");
	const char *home = secure_getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(dir, dlen, "%s/socksify", xdg);
	else if (home && home[0] == '/')
		n = snprintf(dir, dlen, "%s/.cache/socksify", home);
	else
		return false;
	if (n < 0 || (size_t)n >= dlen)
		return false;
	n = snprintf(file, flen, "%s/pipelining", dir);
	return n > 0 && (size_t)n < flen;
}

static void bad_cache(const char *file, const char *why)
{
	if (!atomic_exchange(&said_bad_cache, true))
		sx_log(SX_LOG_DEBUG, "pipelining auto: ignoring %s (%s)", file,
		       why);
}

/* The entries of the cache file: their number (0 when nothing is known). */
static int cache_read(struct sx_pipe_entry *e, int max)
{
	char dir[4096], file[4200], text[SX_PIPE_CACHE_MAX + 1];
	struct stat st;
	ssize_t got;
	size_t len = 0;
	int fd, n;

	if (!cache_path(dir, sizeof(dir), file, sizeof(file)))
		return 0;
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022)) {
		sx_real.close(fd);
		bad_cache(file, "not a file of this user's own");
		return 0;
	}
	while (len < sizeof(text) &&
	       (got = sx_real.read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)got;
	sx_real.close(fd);
	n = sx_pipecache_parse(text, len, e, max);
	if (n < 0) {
		bad_cache(file, "corrupt");
		return 0;
	}
	return n;
}

/* mkdir -p of the cache directory, owned by this user: false if not. */
static bool cache_dir(char *dir)
{
	struct stat st;

	for (char *s = strchr(dir + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return false;
		if (!s)
			break;
		*s = '/';
	}
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == geteuid() && !(st.st_mode & 022);
}

/* Put x into the cache file (read, update, write a temporary, rename). */
static void cache_write(const struct sx_pipe_entry *x)
{
	struct sx_pipe_entry e[SX_PIPE_MAX_ENTRIES];
	char dir[4096], file[4200], tmp[4300], text[SX_PIPE_CACHE_MAX];
	size_t len;
	int n = cache_read(e, SX_PIPE_MAX_ENTRIES), fd;
	bool ok;

	n = sx_pipecache_put(e, n, SX_PIPE_MAX_ENTRIES, x);
	len = sx_pipecache_format(text, sizeof(text), e, n);
	if (!len || !cache_path(dir, sizeof(dir), file, sizeof(file)) ||
	    !cache_dir(dir))
		return;
	snprintf(tmp, sizeof(tmp), "%s.%ld.%lx", file, (long)getpid(),
		 (unsigned long)pthread_self());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return;
	ok = sx_real.write(fd, text, len) == (ssize_t)len;
	ok = sx_real.close(fd) == 0 && ok;
	if (!ok || rename(tmp, file) < 0)
		unlink(tmp);
}

/* An IPv4 address as inet_ntop writes it, without its printf (this runs
 * on every connect): len is at least 16. */
static void v4_text(const uint8_t *b, char *out)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*out++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*out++ = (char)('0' + b[i] / 10 % 10);
		*out++ = (char)('0' + b[i] % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

/* The key of a proxy's address: its numeric address and port. */
static void sa_key(const struct sockaddr_storage *psa, char *addr, size_t len,
		   uint16_t *port)
{
	const struct sockaddr_in *v4 = (const void *)psa;
	const struct sockaddr_in6 *v6 = (const void *)psa;

	addr[0] = '\0';
	*port = 0;
	if (psa->ss_family == AF_INET && len >= 16) {  /* always: 48 */
		v4_text((const uint8_t *)&v4->sin_addr, addr);
		*port = ntohs(v4->sin_port);
	} else if (psa->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
			inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], addr,
				  (socklen_t)len);
		else
			inet_ntop(AF_INET6, &v6->sin6_addr, addr,
				  (socklen_t)len);
		*port = ntohs(v6->sin6_port);
	}
}

/* The key of c's first hop. */
static void hop_key(const struct sx_conn *c, char *addr, size_t len,
		    uint16_t *port)
{
	sa_key(&c->psa, addr, len, port);
}

/* trylock: the memory is a hint (the file is the truth), and a child
 * forked while another thread held the lock must never block on it. */
static void memo_put(const struct sx_pipe_entry *x)
{
	if (pthread_mutex_trylock(&memo_lock))
		return;
	nmemo = sx_pipecache_put(memo, nmemo, 16, x);
	__atomic_add_fetch(&memo_gen, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&memo_lock);
}

/* What is known of key x (memory first, then the file); *probed: no probe
 * is due. */
static enum sx_pipe_state known(const struct sx_conn *c,
			       const struct sx_pipe_entry *x, bool *probed)
{
	struct sx_pipe_entry e[SX_PIPE_MAX_ENTRIES];
	int64_t now = now_s();
	enum sx_pipe_state s;
	unsigned gen = 0;
	int i, n;

	i = -1;
	if (pthread_mutex_trylock(&memo_lock) == 0) {
		i = sx_pipecache_find(memo, nmemo, x->addr, x->port, x->method);
		if (i >= 0)
			e[0] = memo[i];
		gen = __atomic_load_n(&memo_gen, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&memo_lock);
	}
	if (i >= 0) {
		s = sx_pipe_known(&e[0], now, probed);
		if (*probed) {
			last.ok = true;
			last.method = x->method;
			last.gen = gen;
			last.plen = c->plen;
			memcpy(&last.psa, &c->psa, sizeof(last.psa));
			last.e = e[0];
			return s;
		}
	}
	n = cache_read(e, SX_PIPE_MAX_ENTRIES);
	i = sx_pipecache_find(e, n, x->addr, x->port, x->method);
	*probed = false;
	if (i < 0)
		return SX_PIPE_UNKNOWN;
	s = sx_pipe_known(&e[i], now, probed);
	if (*probed)            /* the file is read once per result */
		memo_put(&e[i]);
	return s;
}

static void learn(const char *addr, uint16_t port, uint8_t method,
		  enum sx_pipe_state s)
{
	struct sx_pipe_entry x = { .port = port, .method = method,
				   .state = s, .when = now_s() };

	snprintf(x.addr, sizeof(x.addr), "%s", addr);
	memo_put(&x);
	cache_write(&x);
}

static uint8_t hop_method(const struct sx_proxy *p)
{
	return p->user[0] ? SX_S5_METHOD_USERPASS : SX_S5_METHOD_NONE;
}

/* Send the probe's one write: 0 or an errno value. */
static int probe_send(struct sx_pipe_probe *pr, int64_t deadline)
{
	uint8_t buf[3 + (3 + 255 + 255) + 10];
	struct sx_addr dst = { .atyp = SX_ATYP_IPV4, .port = 0,
			       .u.v4 = { 127, 0, 0, 1 } };
	const struct sx_proxy *p = pr->p;
	ssize_t n = sx_s5_greeting_encode(buf, sizeof(buf), &pr->method, 1);
	size_t len = n > 0 ? (size_t)n : 0;
	int rc = EINVAL;

	if (n > 0 && pr->method == SX_S5_METHOD_USERPASS) {
		n = sx_userpass_encode(buf + len, sizeof(buf) - len, p->user,
				       strlen(p->user), p->pass,
				       strlen(p->pass));
		len += n > 0 ? (size_t)n : 0;
	}
	if (n > 0)
		n = sx_s5_request_encode(buf + len, sizeof(buf) - len,
					 SX_S5_CMD_CONNECT, &dst);
	if (n > 0)
		rc = sx_wire_send(pr->fd, buf, len + (size_t)n, deadline).err;
	explicit_bzero(buf, sizeof(buf));
	pr->sent = rc == 0;
	return rc;
}

/* memcmp(a, b, n) == 0, inline for a sockaddr_in's 16 bytes (memcmp()
 * costs more than the comparison, on every connect) */
static bool same_bytes(const void *a, const void *b, size_t n)
{
	uint64_t x[2], y[2];

	if (n != 16)
		return !memcmp(a, b, n);
	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return x[0] == y[0] && x[1] == y[1];
}

/* The memory's answer for c's hop, from this thread's last one: false
 * when there is none that still holds (then known() looks). */
static bool fresh(const struct sx_conn *c, uint8_t method,
		  enum sx_pipe_state *s, bool *probed)
{
	unsigned gen;

	if (!last.ok || last.method != method || last.plen != c->plen ||
	    c->plen > sizeof(c->psa) || !same_bytes(&last.psa, &c->psa, c->plen))
		return false;
	/* relaxed: a stale read only sends it to the slow path or to an
	 * answer that held a moment ago (the memory is a hint) */
	gen = __atomic_load_n(&memo_gen, __ATOMIC_RELAXED);
	if (gen != last.gen)
		return false;
	*s = sx_pipe_known(&last.e, now_s(), probed);
	return *probed;
}

void sx_pipe_begin(struct sx_conn *c, const struct sx_proxy *p)
{
	struct sx_pipe_probe *pr = &c->probe;
	struct sx_pipe_entry x;
	bool eligible = p->type == SX_PROXY_SOCKS5 && !p->gss.enabled;
	bool probed = false;
	enum sx_pipe_state s;

	c->pipe_on = false;
	if (p->pipelining != SX_PIPE_AUTO || pr->active)
		return;
	if (eligible && fresh(c, hop_method(p), &s, &probed))
		goto decide;
	memset(&x, 0, sizeof(x));
	x.method = hop_method(p);
	hop_key(c, x.addr, sizeof(x.addr), &x.port);
	eligible = eligible && x.addr[0];
	s = eligible ? known(c, &x, &probed) : SX_PIPE_UNKNOWN;
decide:
	switch (sx_pipe_decide(p->pipelining, eligible, s, probed)) {
	case SX_PIPE_USE_ON:
		c->pipe_on = true;
		return;
	case SX_PIPE_USE_OFF:
		return;
	case SX_PIPE_USE_PROBE:
		break;
	}
	/* under way: no other thread of this process probes it meanwhile */
	x.state = SX_PIPE_UNKNOWN;
	x.when = now_s();
	memo_put(&x);
	pr->fd = probe_socket(c->psa.ss_family);
	if (pr->fd < 0)
		return;
	pr->active = true;
	pr->sent = false;
	pr->p = p;
	pr->method = x.method;
	pr->port = x.port;
	memcpy(pr->addr, x.addr, sizeof(pr->addr));
	if (sx_real.connect(pr->fd, (struct sockaddr *)&c->psa, c->plen) < 0 &&
	    errno != EINPROGRESS)
		sx_pipe_probe_finish(c);
}

void sx_pipe_probe_send(struct sx_conn *c)
{
	struct sx_pipe_probe *pr = &c->probe;

	/* started once the program's own connect is done, it is connected
	 * too within a few ms near the proxy; else it is sent at the end */
	if (pr->active && !pr->sent &&
	    sx_wire_wait(pr->fd, POLLOUT, sx_now_ms() + CONNECT_MS) == 0)
		probe_send(pr, sx_now_ms() + CONNECT_MS);
}

void sx_pipe_probe_drop(struct sx_conn *c)
{
	if (c->probe.active)
		probe_close(c->probe.fd);
	c->probe.active = false;
}

/* Read the probe's replies: how many of need arrived; *refused. */
static int probe_replies(struct sx_pipe_probe *pr, int need, bool *refused)
{
	uint8_t buf[4 + 1 + 255 + 2], method = 0xff, status = 1;
	struct sx_s5_reply reply;
	int rc;

	*refused = false;
	rc = sx_wire_recv(pr->fd, buf, sizeof(buf), sx_parse_method, &method,
			    sx_now_ms() + FIRST_REPLY_MS).err;
	/* closed on the greeting (ssh -D offered username/password alone) */
	*refused = rc == SX_WIRE_EOF || rc == ECONNRESET;
	if (rc)
		return 0;
	if (method != pr->method) {
		*refused = true;
		return 1;
	}
	if (need == 3) {
		if (sx_wire_recv(pr->fd, buf, sizeof(buf), sx_parse_userpass,
				   &status, sx_now_ms() + NEXT_REPLY_MS).err)
			return 1;
		if (status != 0) {
			*refused = true;
			return 2;
		}
	}
	/* a reply, or a close at once (ssh -D), answers the request: the
	 * server read it; only silence means it was dropped */
	rc = sx_wire_recv(pr->fd, buf, sizeof(buf), sx_parse_s5_reply, &reply,
			    sx_now_ms() + NEXT_REPLY_MS).err;
	return rc == 0 || rc == SX_WIRE_EOF || rc == ECONNRESET ? need : need - 1;
}

void sx_pipe_probe_finish(struct sx_conn *c)
{
	struct sx_pipe_probe *pr = &c->probe;
	int need = pr->method == SX_S5_METHOD_USERPASS ? 3 : 2, got = 0;
	bool refused = false;
	enum sx_pipe_state s;

	if (!pr->active)
		return;
	if (pr->sent || probe_send(pr, sx_now_ms() + FIRST_REPLY_MS) == 0)
		got = probe_replies(pr, need, &refused);
	sx_pipe_probe_drop(c);
	s = sx_pipe_judge(need, got, refused);
	learn(pr->addr, pr->port, pr->method, s);
	sx_log(SX_LOG_DEBUG, "pipelining auto: probe of %s port %u: %s", pr->addr,
	       pr->port, s == SX_PIPE_YES ? "accepts pipelining" :
	       s == SX_PIPE_NO ? "does not accept pipelining" :
	       "no answer in time (unknown)");
}

void sx_pipe_stalled(const struct sx_conn *c, const struct sx_proxy *p,
		     struct sx_failure *f)
{
	size_t used = strnlen(f->why, sizeof(f->why));
	char addr[48];
	uint16_t port;

	hop_key(c, addr, sizeof(addr), &port);
	if (!addr[0])
		return;
	learn(addr, port, hop_method(p), SX_PIPE_NO);
	/* the connection's own error line says it: one line in all */
	snprintf(f->why + used, sizeof(f->why) - used, " after the method reply "
		 "of a pipelined handshake: the proxy does not accept "
		 "pipelining; pipelining auto now leaves it off for %s port %u",
		 addr, port);
}

enum sx_pipe_state sx_pipe_cached(const struct sockaddr_storage *psa,
				  const struct sx_proxy *p, int64_t *when,
				  char *file, size_t flen)
{
	struct sx_pipe_entry e[SX_PIPE_MAX_ENTRIES];
	char dir[4096], addr[48];
	uint16_t port;
	bool probed;
	int i, n;

	*when = 0;
	if (!cache_path(dir, sizeof(dir), file, flen))
		snprintf(file, flen, "(none: neither XDG_CACHE_HOME nor HOME)");
	sa_key(psa, addr, sizeof(addr), &port);
	if (!addr[0])
		return SX_PIPE_UNKNOWN;
	n = cache_read(e, SX_PIPE_MAX_ENTRIES);
	i = sx_pipecache_find(e, n, addr, port, hop_method(p));
	if (i < 0)
		return SX_PIPE_UNKNOWN;
	*when = e[i].when;
	return sx_pipe_known(&e[i], now_s(), &probed);
}
