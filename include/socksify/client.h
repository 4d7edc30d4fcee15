/*
 * client.h - driving a SOCKS handshake over a connected socket, with a
 * deadline.  The socket is non-blocking while this runs.
 */
#ifndef SOCKSIFY_CLIENT_H
#define SOCKSIFY_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "socksify/conf.h"
#include "socksify/pipeauto.h"
#include "socksify/proto.h"

/* Milliseconds on the monotonic clock. */
int64_t sx_now_ms(void);

/*
 * The handshake's messages on the wire (src/client/wire.c), on a
 * non-blocking socket, each call bound by a deadline (EINTR never extends
 * it).  libc is reached through the real-symbol table.
 *
 * Wait until fd is ready for events or the deadline passes.
 * Returns 0, or an errno value (ETIMEDOUT at the deadline).
 */
int sx_wire_wait(int fd, short events, int64_t deadline);

/* End of stream from the peer during a handshake (sx_wire_res.err). */
#define SX_WIRE_EOF (-1)

/*
 * What a send or a read on the wire came to: err is 0 (done), SX_WIRE_EOF,
 * or an errno value (ETIMEDOUT at the deadline); when the bytes read can
 * never form the message, err is EPROTO and perr says what the parser
 * found wrong (else perr is SX_PERR_OK).
 */
struct sx_wire_res {
	int err;
	enum sx_perr perr;
};

/* Send all of buf. */
struct sx_wire_res sx_wire_send(int fd, const void *buf, size_t len,
				int64_t deadline);

/*
 * Read one message, never a byte past its end: parse() is called on what
 * has been read so far and tells how many bytes are needed (see proto.h).
 */
typedef ssize_t (*sx_parse_fn)(const uint8_t *buf, size_t len, void *out,
			       size_t *need);
struct sx_wire_res sx_wire_recv(int fd, uint8_t *buf, size_t cap,
				sx_parse_fn parse, void *out, int64_t deadline);

/* proto.h's SOCKS 5 parsers as sx_parse_fn (out: uint8_t method,
 * uint8_t status, struct sx_s5_reply) */
ssize_t sx_parse_method(const uint8_t *b, size_t n, void *out, size_t *need);
ssize_t sx_parse_userpass(const uint8_t *b, size_t n, void *out, size_t *need);
ssize_t sx_parse_s5_reply(const uint8_t *b, size_t n, void *out, size_t *need);

/* What went wrong, for the one log line. */
struct sx_failure {
	int err;                /* errno for the program */
	char why[768];          /* "connection refused by destination (SOCKS reply 5)" */
	bool stalled;           /* pipelined: the method reply, then silence */
};

/* The address a chain hop (type prev_type, "prev" in messages) is asked
 * to connect to for the next hop, as the library resolved it at load
 * time: its IPv4 address, else (SOCKS 5 only) its IPv6 one.  0, or -1
 * with *f filled. */
struct sx_proxy_addr;
int sx_next_hop_addr(const struct sx_proxy_addr *next, const char *prev,
		     enum sx_proxy_type prev_type, struct sx_addr *out,
		     struct sx_failure *f);

/* Fill *f (errno and message); returns -1. */
int sx_fail(struct sx_failure *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Run a SOCKS 5 handshake (methods, authentication, request) for cmd and
 * dst.  On success returns 0 and fills *reply; otherwise -1 and *f.
 */
int sx_socks5_handshake(int fd, const struct sx_proxy *p, uint8_t cmd,
			const struct sx_addr *dst, struct sx_s5_reply *reply,
			int64_t deadline, struct sx_failure *f);
/* The same pipelined, whatever p->pipelining says (pipelining auto, once
 * src/client/pipeauto.c has found the proxy accepts it). */
int sx_socks5_handshake_piped(int fd, const struct sx_proxy *p, uint8_t cmd,
			      const struct sx_addr *dst,
			      struct sx_s5_reply *reply, int64_t deadline,
			      struct sx_failure *f);

/* The same for SOCKS 4 and 4a (CONNECT or BIND). */
int sx_socks4_handshake(int fd, const struct sx_proxy *p, uint8_t cmd,
			const struct sx_addr *dst, struct sx_addr *bound,
			int64_t deadline, struct sx_failure *f);

/*
 * HTTP CONNECT to dst (src/client/http.c): 0, or -1 with *f; *status is
 * the proxy's status code once it replied (0 before).
 */
int sx_http_handshake(int fd, const struct sx_proxy *p,
		      const struct sx_addr *dst, int64_t deadline,
		      struct sx_failure *f, int *status);

struct sx_proxy_addr;

/*
 * pipelining auto (src/client/pipeauto.c): a probe of the first hop on a
 * connection of its own, run beside the program's handshake.
 */
struct sx_proxy;
struct sx_pipe_probe {
	bool active, sent;
	int fd;
	uint8_t method;
	uint16_t port;
	const struct sx_proxy *p;
	char addr[48];
};

/*
 * One connection through the proxy, in steps, so that it can run inside
 * connect() or, for a non-blocking socket, in a worker thread:
 *   sx_conn_begin   checks, prepares the socket (non-blocking)
 *                   and starts the TCP connect to the proxy;
 *   sx_conn_finish  waits for it, runs the handshake on workfd (the
 *                   program's socket or a dup of it) and restores the
 *                   socket's flags; on failure the socket is disconnected;
 *   sx_conn_report  writes the one log line and sets errno.
 */
struct sx_conn {
	int fd;
	socklen_t dstlen, plen;
	bool bind;                      /* BIND instead of CONNECT */
	int flags;                      /* the program's, to restore */
	bool prepared, in_progress;
	int64_t connect_deadline;
	int hto;                        /* handshake timeout, ms */
	/* Routes (src/client/chain.c): the order they are tried in, the one
	 * in use, and what failed so far ("via A: why; next route B: why"). */
	int cto;                        /* connect timeout, ms */
	int order[SX_CONF_MAX_ROUTES];
	int norder, pos, route;
	int set, rule;                  /* route set and rule (sx_route_decide) */
	bool blocked;                   /* refused by a rule, no proxy asked */
	bool direct;                    /* a mapped name a rule sends direct */
	bool tried;                     /* a route was tried: trail is set */
	/* The socket's own state refused the connect to the proxy (EISCONN,
	 * EALREADY: connected, listening, connecting): the program gets that
	 * errno as from its own connect(), quietly, the socket untouched. */
	bool sock_state;
	const char *via;                /* the route in use, for messages */
	const struct sx_proxy_addr *exit; /* its last hop, once connected */
	enum sx_proxy_type exit_type;
	/* The program closed the socket during a background handshake: it
	 * fails at once, quietly, and marks no route down. */
	atomic_bool abandoned;
	struct sx_pipe_probe probe;     /* pipelining auto (pipeauto.c) */
	bool pipe_on;                   /* auto: pipeline with the first hop */
	/* The large members last: sx_conn_begin clears only what is above. */
	struct sockaddr_storage dst, psa;
	struct sx_addr wire;
	struct sx_addr bound;           /* the proxy's BND.ADDR/PORT */
	struct sx_failure f;
	char trail[1536];
};

int sx_conn_begin(struct sx_conn *c, int fd, const struct sockaddr *dst,
		  socklen_t dstlen);
struct sx_route_choice;
/* The same when the caller (the connect hook) has the route choice for
 * dst already (sx_route_choose) and the socket's flags (F_GETFL). */
int sx_conn_begin_chosen(struct sx_conn *c, int fd, const struct sockaddr *dst,
			 socklen_t dstlen, const struct sx_route_choice *ch,
			 int flags);
/* The same for a BIND whose expected peer is dst. */
int sx_conn_begin_bind(struct sx_conn *c, int fd, const struct sockaddr *dst,
		       socklen_t dstlen);
int sx_conn_finish(struct sx_conn *c, int workfd);
void sx_conn_end(struct sx_conn *c, int rc, int workfd);
/* After a successful CONNECT on fd: its peer, its local address as the
 * destination sees it (the proxy's BND), and the last destination. */
void sx_conn_record(const struct sx_conn *c, int fd);
/* The last destination connected through the proxy (this thread's, else
 * the process's); false if none. */
bool sx_last_destination(struct sockaddr_storage *out);
int sx_conn_report(const struct sx_conn *c, int rc);
/* The destination as "host:port" (its name when mapped), into buf. */
const char *sx_conn_dtext(const struct sx_conn *c, char *buf, size_t len);

/*
 * Routes (src/client/chain.c), for proxy.c: sx_route_start picks the
 * first usable route and starts the TCP connect to its first hop on fd
 * (c->cto, c->hto, c->dst and c->wire set); sx_route_finish walks the
 * chain and, when a route is down or refuses, marks it down and goes on
 * with the next one on the same socket.  Both return 0 or -1 (c->f).
 */
int sx_route_start(struct sx_conn *c, int fd);
int sx_route_finish(struct sx_conn *c, int workfd);
/* connect(AF_UNSPEC): the socket can be connected again. */
void sx_sock_disconnect(int fd);

/*
 * isolate process (src/client/isolate.c): the hop p as its handshake
 * should see it: p itself, or a copy in *tmp with this process's own
 * username/password pair (p has no user of its own, no GSS-API).
 */
const struct sx_proxy *sx_isolate_hop(const struct sx_conf *c,
				      const struct sx_proxy *p,
				      struct sx_proxy *tmp);
/* The same, asked inline (p itself, at once, without isolate process). */
static inline const struct sx_proxy *sx_isolate(const struct sx_conf *c,
						const struct sx_proxy *p,
						struct sx_proxy *tmp)
{
	return c->isolate != SX_ISOLATE_PROCESS ? p : sx_isolate_hop(c, p, tmp);
}

/*
 * pipelining auto for the first hop p of c's route, once the program's
 * TCP connect to it is done: c->pipe_on when p is known to accept pipelining; else,
 * when nothing is known, a probe is started beside it (c->probe).
 */
void sx_pipe_begin(struct sx_conn *c, const struct sx_proxy *p);
/* The program's connect to the first hop is done: send the probe's one
 * write if its own connect is done too (waits a few ms at most). */
void sx_pipe_probe_send(struct sx_conn *c);
/* What this user's cache says of the proxy at psa (p: its settings) for
 * socksify --check: the state while it holds (expired: unknown); *when
 * the time it was learned (0: nothing known); file the cache's path. */
enum sx_pipe_state sx_pipe_cached(const struct sockaddr_storage *psa,
				  const struct sx_proxy *p, int64_t *when,
				  char *file, size_t flen);
/* Close the probe without a verdict (a connection given up early). */
void sx_pipe_probe_drop(struct sx_conn *c);
/* After the program's own handshake: collect the probe's replies (a short
 * bound), judge, remember, close it.  No-op without a probe. */
void sx_pipe_probe_finish(struct sx_conn *c);
/* A handshake pipelined by auto stalled after the method reply (*f, a
 * timeout): p does not accept pipelining; remember it, and say so in f. */
void sx_pipe_stalled(const struct sx_conn *c, const struct sx_proxy *p,
		     struct sx_failure *f);

#endif
