/*
 * gss_mock.h - a mock GSS-API function table (struct sx_gss_api) for the
 * unit tests of the client code (test_gss_client.c, test_gss_negotiate.c),
 * and what the tests share: the test side plays the proxy over a socket.
 *
 * A token is
 *   'm' CONF SEQ(4, big-endian) SUM(2) PAYLOAD
 * where PAYLOAD is the plaintext, XORed with (0x5A + i) when CONF is 1 so
 * that the plaintext never shows on the wire; SUM covers the plaintext and
 * SEQ.  gss_unwrap refuses (GSS_S_BAD_SIG) a token that is damaged or out
 * of sequence: each context counts the tokens it wrapped and unwrapped, so
 * a frame decoded twice or skipped is caught too.
 */
#ifndef SX_GSS_MOCK_H
#define SX_GSS_MOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socksify/gssapi.h"

#define MOCK_OVERHEAD 8
#define MOCK_S_BAD_SIG (6u << 16)
#define MOCK_S_DEFECTIVE_TOKEN (9u << 16)
#define MOCK_S_FAILURE (13u << 16)
#define MOCK_MINOR_CREDS 7u     /* init_sec_context's scripted failure */

struct mock_conf {
	unsigned tok_limit;     /* wrap_size_limit: tokens up to this size */
	bool limit_fails;       /* wrap_size_limit returns an error */
	bool limit_lies;        /* ... claims 8 bytes more than fit */
	bool wrap_fails;
	bool no_conf;           /* like a mechanism without confidentiality:
				 * gss_wrap ignores conf_req, conf_state 0 */
	int rounds;             /* init_sec_context calls until COMPLETE */
	int fail_call;          /* this call (1-based) fails; 0: none */
	bool final_token;       /* the completing call outputs a token too */
	bool no_mutual;         /* ret_flags without GSS_C_MUTUAL_FLAG */
};

struct mock_ctx {
	uint32_t magic;
	uint32_t sseq, rseq;    /* tokens wrapped, unwrapped */
	int calls;              /* init_sec_context calls */
};

extern struct mock_conf mock;
extern const struct sx_gss_api mock_api;
/* Objects handed out and not yet given back. */
extern atomic_int mock_live_ctx, mock_live_buf, mock_live_name;
/* What the client asked for. */
extern sx_om_uint32 mock_req_flags;
extern char mock_target[300];
extern unsigned mock_target_oid_last;  /* last byte of the name type OID */

void mock_reset(void);
/* A context as gss_init_sec_context would make (freed by the library's
 * gss_delete_sec_context), for sx_gss_attach. */
struct mock_ctx *mock_ctx_new(void);
/* The proxy's side: a context on the stack. */
void mock_ctx_init(struct mock_ctx *c);

/* The tokens init_sec_context sends (call k) and expects (after call k). */
void mock_client_token(int k, char *buf, size_t len);
void mock_server_token(int k, char *buf, size_t len);

/* One 01 MTYP frame carrying the token of plain under c; into out (cap
 * 4 + MOCK_OVERHEAD + n), returns its length. */
size_t mock_frame(struct mock_ctx *c, uint8_t mtyp, int conf, const void *plain,
		  size_t n, uint8_t *out);
/* Unwrap a token under c: 0 and the plaintext (out, cap >= len), or -1. */
int mock_open(struct mock_ctx *c, const uint8_t *tok, size_t len, uint8_t *out,
	      size_t *outlen, int *conf);

/* The log file the library writes to (SOCKSIFY_LOG), set up by main. */
void mock_env_setup(char *logpath, size_t len);
/* main() of a test binary: environment, mock table, run suite s (Check's
 * Suite *, void * here to keep check.h out); exit status. */
int mock_unit_main(void *suite);
void log_reset(void);
bool log_has(const char *s);
int log_count(const char *s);

/* Test data: byte i of a stream (seeded). */
uint8_t mock_pattern(size_t i, unsigned seed);
/* Write/read all, bounded (5 s): 0 or -1. */
int mock_writen(int fd, const void *buf, size_t n);
int mock_readn(int fd, void *buf, size_t n);

/* ---- the proxy's end of a socketpair (gss_peer.c; uses Check) ---------- */

#define MAXPLAIN (SX_GSS_MAXTOKEN - MOCK_OVERHEAD)     /* 65527 */

struct gss_pair {
	int c, s;               /* the client's socket, the proxy's */
	int level;
	struct mock_ctx srv;    /* the proxy's context */
};
extern struct gss_pair P;

/* A socketpair; P.c attached at level with a new mock context whose
 * tokens are at most tok_limit bytes. */
void open_pair(int level, unsigned tok_limit);
/* Detach and close; every context and buffer must be back. */
void close_pair(void);
void set_nonblock(int fd, bool on);
bool readable(int fd);
void fill(uint8_t *p, size_t n, size_t off, unsigned seed);
/* The proxy's frames carrying plaintext of the given sizes (pattern seed
 * 7 from 0); *plain gets the plaintext (malloc), ends[i] (optional) the
 * end of frame i in the stream. */
uint8_t *srv_stream(const size_t *sizes, size_t k, size_t *len,
		    uint8_t **plain, size_t *ends);

/* The proxy reading what the client sent: frames until want plaintext
 * bytes, checked (no ck_assert: runs in threads too). */
struct collect {
	uint8_t *plain;         /* want bytes */
	size_t want;
	size_t frames, maxtok, nmax;    /* nmax: tokens of exactly maxtok */
	uint8_t *wire;          /* optional copy of the stream */
	size_t wirelen, wirecap;
	const char *err;
};
void *collect(void *arg);
/* No error, the plaintext is sent, nothing follows. */
void collect_check(struct collect *c, const uint8_t *sent);

#endif
