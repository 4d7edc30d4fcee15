/*
 * gss_udp.c - the datagrams of a UDP association whose control connection
 * authenticated with GSS-API at level integrity or confidentiality.
 *
 * RFC 1961 section 5 protects UDP as it protects TCP, and RFC 1928 section
 * 7 encapsulates each datagram, header included: every datagram to and from
 * the relay is the whole RFC 1928 UDP request header and data, gss_wrap'ed
 * with the control connection's context, sent as one 01 03 LEN TOKEN
 * message that fills the datagram.  Dante does the same (its UDP paths call
 * the same encode and decode as its TCP ones, one message per datagram).
 *
 * The context leaves the control connection's stream state when the
 * association is set up (nothing else is ever sent on that connection) and
 * lives as long as the association: it holds one reference, each send or
 * receive in progress another.  gss_wrap and gss_unwrap run under a mutex
 * per context, as in gss_io.c: several threads may use one socket.
 *
 * Loss and reordering are normal for datagrams: they are delivered as UDP
 * would deliver them.  Dropped, with a debug line: a datagram from the
 * relay that is not exactly one 01 03 message, that gss_unwrap refuses,
 * that is not encrypted at confidentiality, or a replay (a sequence number
 * seen already, or older than the last 64: see unwrap_locked()).  A
 * datagram too large to wrap is refused with EMSGSIZE before wrapping.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/gssapi.h"
#include "socksify/runtime.h"

/* The largest UDP payload over IPv4 (65535 - 20 - 8): the token and its
 * 4-byte header must fit in one datagram. */
#define DGRAM_MAX 65507

struct sx_gss_udp {
	atomic_int refs;
	pthread_mutex_t lock;           /* calls on ctx */
	const struct sx_gss_api *api;
	sx_gss_ctx ctx;
	int level;
	size_t maxtok;                  /* the largest token a datagram holds */
	size_t maxin;                   /* the largest plaintext that wraps into it */
	atomic_bool werr_logged;        /* one line per association */
	uint8_t *peek_raw, *peek_plain; /* under lock: see peeked() */
	size_t peek_rawlen, peek_plainlen;
	struct sx_replay window;        /* under lock */
};

const char *sx_gss_udp_level(const struct sx_gss_udp *g)
{
	return g->level == SX_GSS_PROT_CONFIDENTIALITY ? "confidentiality" :
							 "integrity";
}

/* How much plaintext fits in one datagram once wrapped. */
static size_t plain_limit(struct sx_gss_udp *g)
{
	sx_om_uint32 major, minor, max = 0;

	sx_guard++;
	major = g->api->wrap_size_limit(&minor, g->ctx, g->level ==
					SX_GSS_PROT_CONFIDENTIALITY, 0,
					(sx_om_uint32)g->maxtok, &max);
	sx_guard--;
	/* Unknown: a guess well below what krb5 needs; each token's size is
	 * checked after wrapping anyway. */
	if (SX_GSS_ERROR(major) || max == 0 || max > g->maxtok)
		max = (sx_om_uint32)(g->maxtok - 1024);
	return max;
}

int sx_gss_udp_take(int ctl, struct sx_gss_udp **out, struct sx_failure *f)
{
	const struct sx_gss_api *api;
	struct sx_gss_udp *g;
	sx_gss_ctx ctx;
	sx_om_uint32 minor;
	int level;

	*out = NULL;
	if (!sx_gss_detach(ctl, &api, &ctx, &level))
		return 0;
	g = calloc(1, sizeof(*g));
	if (!g) {
		sx_guard++;
		api->delete_sec_context(&minor, &ctx, NULL);
		sx_guard--;
		return sx_fail(f, ENOMEM, "GSS-API: out of memory");
	}
	atomic_init(&g->refs, 1);
	pthread_mutex_init(&g->lock, NULL);
	g->api = api;
	g->ctx = ctx;
	g->level = level;
	g->maxtok = DGRAM_MAX - SX_GSS_HLEN;
	g->maxin = plain_limit(g);
	sx_log(SX_LOG_DEBUG, "GSS-API: UDP datagrams protected (%s), up to %zu "
	       "bytes of header and data each", sx_gss_udp_level(g), g->maxin);
	*out = g;
	return 0;
}

struct sx_gss_udp *sx_gss_udp_ref(struct sx_gss_udp *g)
{
	if (g)
		atomic_fetch_add(&g->refs, 1);
	return g;
}

/*
 * MSG_PEEK leaves the datagram queued, and its token's sequence number is
 * used once unwrapped: read again, it would be a replay.  So the last
 * datagram peeked is remembered, raw and plain (under lock), and served
 * again when the same bytes come back (peeked() below).
 */
static void forget_peek(struct sx_gss_udp *g)
{
	free(g->peek_raw);
	free(g->peek_plain);
	g->peek_raw = g->peek_plain = NULL;
	g->peek_rawlen = g->peek_plainlen = 0;
}

void sx_gss_udp_unref(struct sx_gss_udp *g)
{
	sx_om_uint32 minor;
	int saved = errno;

	if (!g || atomic_fetch_sub(&g->refs, 1) != 1)
		return;
	sx_guard++;
	if (g->ctx)
		g->api->delete_sec_context(&minor, &g->ctx, NULL);
	sx_guard--;
	forget_peek(g);
	pthread_mutex_destroy(&g->lock);
	free(g);
	errno = saved;
}

/* ---- sending -------------------------------------------------------------- */

int sx_gss_udp_wrap(struct sx_gss_udp *g, const void *plain, size_t len,
		    struct sx_gss_udp_dgram *out)
{
	sx_gss_buffer_desc in = { len, (void *)plain };
	sx_om_uint32 major, minor;
	int conf = 0;
	char msg[700];

	/* Before wrapping: a token made and not sent still uses a sequence
	 * number. */
	if (len > g->maxin)
		return EMSGSIZE;
	out->token.length = 0;
	out->token.value = NULL;
	pthread_mutex_lock(&g->lock);
	sx_guard++;
	major = g->api->wrap(&minor, g->ctx, g->level == SX_GSS_PROT_CONFIDENTIALITY,
			     0, &in, &conf, &out->token);
	sx_guard--;
	pthread_mutex_unlock(&g->lock);
	if (SX_GSS_ERROR(major)) {
		if (!atomic_exchange(&g->werr_logged, true)) {
			sx_gss_status(g->api, "gss_wrap", major, minor, msg,
				      sizeof(msg));
			sx_log(SX_LOG_ERROR, "UDP via %s: GSS-API: cannot protect "
			       "a datagram: %s", sx_runtime()->proxy.text, msg);
		}
		return EPROTO;
	}
	if (g->level == SX_GSS_PROT_CONFIDENTIALITY && !conf) {
		sx_gss_udp_done(g, out);
		if (!atomic_exchange(&g->werr_logged, true))
			sx_log(SX_LOG_ERROR, "UDP via %s: GSS-API: gss_wrap did not "
			       "encrypt a datagram although confidentiality was "
			       "agreed; not sent", sx_runtime()->proxy.text);
		return EPROTO;
	}
	if (out->token.length > g->maxtok ||
	    sx_gss_header_encode(out->hdr, sizeof(out->hdr), SX_GSS_MTYP_DATA,
				 out->token.length) < 0) {
		sx_gss_udp_done(g, out);
		return EMSGSIZE;
	}
	return 0;
}

void sx_gss_udp_done(struct sx_gss_udp *g, struct sx_gss_udp_dgram *d)
{
	sx_om_uint32 minor;

	if (d->token.value)
		g->api->release_buffer(&minor, &d->token);
	d->token.value = NULL;
	d->token.length = 0;
}

/* ---- receiving ------------------------------------------------------------ */

/* Keep raw (malloc'ed, now g's) and a copy of plain as the datagram peeked. */
static void remember_peek(struct sx_gss_udp *g, uint8_t *raw, size_t rawlen,
			  const void *plain, size_t plainlen)
{
	forget_peek(g);
	g->peek_plain = malloc(plainlen + 1);
	if (!g->peek_plain) {   /* its next read is then dropped as a replay */
		free(raw);
		return;
	}
	memcpy(g->peek_plain, plain, plainlen);
	g->peek_raw = raw;
	g->peek_rawlen = rawlen;
	g->peek_plainlen = plainlen;
}

/* With g->lock held: the plaintext of the datagram peeked last, if buf is it. */
static ssize_t peeked(struct sx_gss_udp *g, uint8_t *buf, size_t len,
		      size_t cap, bool peek)
{
	ssize_t n = g->peek_raw && len == g->peek_rawlen &&
		    g->peek_plainlen <= cap &&
		    memcmp(buf, g->peek_raw, len) == 0 ?
		    (ssize_t)g->peek_plainlen : -1;

	if (n >= 0)
		memcpy(buf, g->peek_plain, (size_t)n);
	if (!peek)
		forget_peek(g);         /* consumed, or stale */
	return n;
}

static ssize_t drop(int fd, const char *why)
{
	sx_log(SX_LOG_DEBUG, "UDP socket %d: dropped a datagram from the relay: "
	       "%s", fd, why);
	return -1;
}

/*
 * With g->lock held: unwrap tok and check its sequence number against the
 * replay window.  The context does no replay or sequence checking of its
 * own (src/client/gssapi.c asks for none on UDP ASSOCIATE): Heimdal records
 * a token's number before checking its MIC, so a few forged datagrams with
 * high numbers would make it refuse every real one after them.  Here only
 * numbers gss_unwrap authenticated count (read before the call: Heimdal
 * rotates the token in place).  Tokens of other formats are not checked.
 */
static sx_om_uint32 unwrap_locked(struct sx_gss_udp *g, const uint8_t *tok,
				  size_t toklen, sx_gss_buffer_desc *out,
				  int *conf, sx_om_uint32 *minor, bool *replay)
{
	sx_gss_buffer_desc in = { toklen, (void *)tok };
	sx_om_uint32 major, qop = 0;
	bool numbered;
	uint64_t seq = 0;

	numbered = sx_gss_krb5_wrap_seq(tok, toklen, &seq) == 0;
	sx_guard++;
	major = g->api->unwrap(minor, g->ctx, &in, out, conf, &qop);
	sx_guard--;
	*replay = !SX_GSS_ERROR(major) && numbered &&
		  !sx_replay_check(&g->window, seq);
	return major;
}

ssize_t sx_gss_udp_unwrap(struct sx_gss_udp *g, int fd, uint8_t *buf,
			  size_t len, size_t cap, bool peek)
{
	sx_gss_buffer_desc out = { 0, NULL };
	sx_om_uint32 major, minor;
	const uint8_t *tok;
	ssize_t toklen = sx_gss_dgram_parse(buf, len, &tok), n;
	uint8_t *raw = NULL;
	const char *why = NULL;
	bool replay = false;
	int conf = 0;
	char msg[700];

	if (toklen < 0) {
		snprintf(msg, sizeof(msg), "not one RFC 1961 data message (%s)",
			 sx_perr_str((int)toklen));
		return drop(fd, msg);
	}
	if (peek && (raw = malloc(len)))
		memcpy(raw, buf, len);
	pthread_mutex_lock(&g->lock);
	if ((n = peeked(g, buf, len, cap, peek)) >= 0) {
		pthread_mutex_unlock(&g->lock);
		free(raw);
		return n;
	}
	major = unwrap_locked(g, tok, (size_t)toklen, &out, &conf, &minor, &replay);
	if (raw && !SX_GSS_ERROR(major) && !replay && out.value)
		remember_peek(g, raw, len, out.value, out.length);
	else
		free(raw);
	pthread_mutex_unlock(&g->lock);
	if (SX_GSS_ERROR(major)) {
		if (sx_log_enabled(SX_LOG_DEBUG)) {
			sx_gss_status(g->api, "gss_unwrap", major, minor, msg,
				      sizeof(msg));
			drop(fd, msg);
		}
		return -1;
	}
	n = (ssize_t)out.length;
	if (!out.value)
		why = "gss_unwrap gave no data";
	else if (replay)
		why = "a replay (its sequence number was seen already, or is "
		      "older than the last 64)";
	else if (out.length > cap)
		why = "too large once unwrapped";
	else if (g->level == SX_GSS_PROT_CONFIDENTIALITY && !conf)
		why = "not encrypted although confidentiality was agreed";
	if (why) {
		g->api->release_buffer(&minor, &out);
		return drop(fd, why);
	}
	memmove(buf, out.value, out.length);
	g->api->release_buffer(&minor, &out);
	return n;
}
