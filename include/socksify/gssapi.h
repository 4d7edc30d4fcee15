/*
 * gssapi.h - SOCKS 5 GSS-API authentication (RFC 1961) and the protected
 * data path, through Heimdal's libgssapi.so.3 loaded with dlopen on first
 * use: a process that never uses GSS-API maps no Kerberos library.
 *
 * The few GSS-API C bindings we need (RFC 2744) are declared here, so the
 * library builds without Kerberos headers; the function table lets unit
 * tests inject a mock.  Every call into the table runs with sx_guard
 * raised, so the Kerberos library's own traffic (to the KDC) goes straight
 * to libc.
 */
#ifndef SOCKSIFY_GSSAPI_H
#define SOCKSIFY_GSSAPI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "socksify/client.h"

typedef uint32_t sx_om_uint32;
typedef struct { size_t length; void *value; } sx_gss_buffer_desc;
typedef struct { sx_om_uint32 length; void *elements; } sx_gss_oid_desc;
typedef void *sx_gss_ctx;       /* gss_ctx_id_t */
typedef void *sx_gss_name;      /* gss_name_t */

enum {
	SX_GSS_C_DELEG_FLAG = 1,
	SX_GSS_C_MUTUAL_FLAG = 2,
	SX_GSS_C_REPLAY_FLAG = 4,
	SX_GSS_C_SEQUENCE_FLAG = 8,
	SX_GSS_C_CONF_FLAG = 16,
	SX_GSS_C_INTEG_FLAG = 32,
	SX_GSS_C_GSS_CODE = 1,
	SX_GSS_C_MECH_CODE = 2,
};
#define SX_GSS_S_COMPLETE 0u
#define SX_GSS_S_CONTINUE_NEEDED 1u
#define SX_GSS_ERROR(major) ((major) & 0xffff0000u)

struct sx_gss_api {
	sx_om_uint32 (*import_name)(sx_om_uint32 *minor, sx_gss_buffer_desc *name,
				    const sx_gss_oid_desc *type, sx_gss_name *out);
	sx_om_uint32 (*release_name)(sx_om_uint32 *minor, sx_gss_name *name);
	sx_om_uint32 (*init_sec_context)(sx_om_uint32 *minor, void *cred,
					 sx_gss_ctx *ctx, sx_gss_name target,
					 const sx_gss_oid_desc *mech,
					 sx_om_uint32 flags, sx_om_uint32 time_req,
					 void *chan, sx_gss_buffer_desc *in,
					 sx_gss_oid_desc **actual_mech,
					 sx_gss_buffer_desc *out,
					 sx_om_uint32 *ret_flags,
					 sx_om_uint32 *time_rec);
	sx_om_uint32 (*delete_sec_context)(sx_om_uint32 *minor, sx_gss_ctx *ctx,
					   sx_gss_buffer_desc *out);
	sx_om_uint32 (*wrap)(sx_om_uint32 *minor, sx_gss_ctx ctx, int conf_req,
			     sx_om_uint32 qop, sx_gss_buffer_desc *in,
			     int *conf_state, sx_gss_buffer_desc *out);
	sx_om_uint32 (*unwrap)(sx_om_uint32 *minor, sx_gss_ctx ctx,
			       sx_gss_buffer_desc *in, sx_gss_buffer_desc *out,
			       int *conf_state, sx_om_uint32 *qop);
	sx_om_uint32 (*wrap_size_limit)(sx_om_uint32 *minor, sx_gss_ctx ctx,
					int conf_req, sx_om_uint32 qop,
					sx_om_uint32 req_out, sx_om_uint32 *max_in);
	sx_om_uint32 (*display_status)(sx_om_uint32 *minor, sx_om_uint32 status,
				       int type, const sx_gss_oid_desc *mech,
				       sx_om_uint32 *msg_ctx,
				       sx_gss_buffer_desc *out);
	sx_om_uint32 (*release_buffer)(sx_om_uint32 *minor, sx_gss_buffer_desc *buf);
};

/* The table: Heimdal's, loaded once; or the mock set for tests.  NULL with
 * a message in err when the library cannot be loaded. */
const struct sx_gss_api *sx_gss_api(char *err, size_t errlen);
void sx_gss_api_set(const struct sx_gss_api *mock);

/* "what: major text; minor text" from gss_display_status. */
void sx_gss_status(const struct sx_gss_api *api, const char *what,
		   sx_om_uint32 major, sx_om_uint32 minor, char *buf, size_t len);

/*
 * The SOCKS 5 handshake when gssapi is on: offer method 0x01 alone,
 * establish the context (target
 * SERVICE@PROXYHOST or the configured principal), negotiate the protection
 * level, send the request (cmd, dst) and read the reply, protected if the
 * level says so.  On success with integrity or confidentiality, fd carries
 * the context from now on (SX_FD_GSS).  Returns 0 or -1 with *f.
 */
/* Can c's handshake use GSS-API (and so block on the KDC)? */
bool sx_gss_may_run(const struct sx_conn *c);

int sx_gss_socks5(int fd, const struct sx_proxy *p, uint8_t cmd,
		  const struct sx_addr *dst, struct sx_s5_reply *reply,
		  int64_t deadline, struct sx_failure *f);

/* ---- the protected data path (src/client/gss_io.c) -------------------- */

/* fd carries ctx at this level (1 or 2) from now on.  0 or -1 (ENOMEM). */
int sx_gss_attach(int fd, const struct sx_gss_api *api, sx_gss_ctx ctx,
		  int level);
/* close(fd): drop fd's reference (the context goes with the last one). */
void sx_gss_close(int fd);
/* dup(oldfd) == newfd: share the context. */
void sx_gss_dup(int oldfd, int newfd);
/* fd (the library's own UDP control connection) no longer carries a
 * context: the caller takes *ctx (and must delete it).  false if fd had none
 * (level clear, or not GSS-API). */
bool sx_gss_detach(int fd, const struct sx_gss_api **api, sx_gss_ctx *ctx,
		   int *level);
/* Decoded bytes are buffered in the library: readable without the socket. */
bool sx_gss_pending(int fd);
/* How many GSS-API sockets are alive (0: epoll needs no second look). */
extern atomic_int sx_gss_live;

/*
 * The data calls on an fd with SX_FD_GSS, with the semantics of the calls
 * they stand for (errno set, -1 on error).  Received bytes are always
 * unwrapped; sent bytes go out as 01 03 frames.
 */
ssize_t sx_gss_recv(int fd, void *buf, size_t len, int flags);
ssize_t sx_gss_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t sx_gss_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t sx_gss_send(int fd, const void *buf, size_t len, int flags);
ssize_t sx_gss_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t sx_gss_writev(int fd, const struct iovec *iov, int iovcnt);
/* sendfile(out_fd = a GSS socket): read in_fd and send it protected. */
ssize_t sx_gss_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);

/* ---- UDP datagrams (src/client/gss_udp.c) ----------------------------- */

/* A UDP association's context: refcounted, used by any thread. */
struct sx_gss_udp;

/*
 * After UDP ASSOCIATE succeeded on ctl: take its context for the
 * association's datagrams.  *out = NULL when there is none (level clear:
 * datagrams go unprotected).  0, or -1 with *f (ENOMEM).
 */
int sx_gss_udp_take(int ctl, struct sx_gss_udp **out, struct sx_failure *f);
struct sx_gss_udp *sx_gss_udp_ref(struct sx_gss_udp *g);
/* The last reference deletes the context. */
void sx_gss_udp_unref(struct sx_gss_udp *g);
const char *sx_gss_udp_level(const struct sx_gss_udp *g);

/* One wrapped datagram: hdr (01 03 LEN) then the token. */
struct sx_gss_udp_dgram {
	uint8_t hdr[4];
	sx_gss_buffer_desc token;
};
/*
 * Wrap plain[0..len) (the RFC 1928 UDP header and the data).  0 (release
 * out with sx_gss_udp_done), or an errno value: EMSGSIZE when the datagram
 * would be too large once wrapped, EPROTO when gss_wrap fails (logged once).
 */
int sx_gss_udp_wrap(struct sx_gss_udp *g, const void *plain, size_t len,
		    struct sx_gss_udp_dgram *out);
void sx_gss_udp_done(struct sx_gss_udp *g, struct sx_gss_udp_dgram *d);
/*
 * A datagram from the relay, buf[0..len): its plaintext replaces it in buf
 * (cap bytes).  The plaintext's length, or -1: not one well-formed 01 03
 * message, refused by gss_unwrap, a replay, or not encrypted at
 * confidentiality (the caller drops it; a debug line for fd says why).
 * peek: the datagram stays queued (MSG_PEEK), and reading it again gives
 * the same plaintext.
 */
ssize_t sx_gss_udp_unwrap(struct sx_gss_udp *g, int fd, uint8_t *buf,
			  size_t len, size_t cap, bool peek);

#endif
