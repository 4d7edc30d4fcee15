/* gss_server_io.h - the connection of tests/progs/gss_server.c: the log,
 * RFC 1961 frames read from and queued to the client, gss_wrap/gss_unwrap,
 * and the data phase after the reply (relay, --serve).  The handshake and
 * its fault script stay in gss_server.c. */
#ifndef GSS_SERVER_IO_H
#define GSS_SERVER_IO_H

#include <gssapi/gssapi.h>
#include <stddef.h>
#include <stdint.h>

#define HLEN 4                          /* VER MTYP LEN(2) */
#define MAXTOK 65535
#define INCAP (4 * (HLEN + MAXTOK))
#define OUTCAP (256 * 1024)

struct conn {
	int fd;
	const char *fault;
	gss_ctx_id_t ctx;
	int level;
	size_t maxin;                   /* plaintext per frame */
	uint8_t *in;                    /* INCAP: from the client, unread s..e */
	size_t s, e;
	uint8_t *out;                   /* OUTCAP: frames to send, n bytes */
	size_t n;
};

extern int logfd;                       /* the log: stderr, or --log */

__attribute__((format(printf, 1, 2))) void logmsg(const char *fmt, ...);
long long now_ms(void);
void log_gss(const char *what, OM_uint32 major, OM_uint32 minor);

int write_all(int fd, const void *p, size_t len);
/* At least n unread bytes from the client at c->in + c->s: 0, or -1 (EOF). */
int need(struct conn *c, size_t n);
/* The next frame, of type mtyp (token valid until the next read): 0, or
 * -1 with "error WHAT: ..." logged. */
int get_frame(struct conn *c, int mtyp, const char *what, uint8_t **tok,
	      size_t *len);
/* Queue one frame VER MTYP LEN TOKEN; flush_out sends the queue. */
int put_frame(struct conn *c, int ver, int mtyp, const void *tok, size_t len);
int flush_out(struct conn *c);
int send_frame(struct conn *c, int ver, int mtyp, const void *tok, size_t len);
/* gss_wrap (conf: encrypted) or gss_unwrap one token; -1 logged. */
int gss(struct conn *c, int wrap, int conf, const void *p, size_t len,
	gss_buffer_desc *out);
/* Queue data in 01 03 frames of at most maxin bytes each (level 1 or 2). */
int put_wrapped(struct conn *c, const uint8_t *p, size_t len);

/* The data phase: relay between the client and dest until both are done
 * (dest closed), or be the destination (--serve MODE, BYTES for source). */
void relay(struct conn *c, int dest);
void serve(struct conn *c, const char *mode, long long bytes);

#endif
