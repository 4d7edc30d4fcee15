/*
 * gssapi.c - the client side of SOCKS 5 GSS-API authentication (RFC 1961)
 * with Heimdal's libgssapi.so.3, loaded with dlopen on first use.
 *
 *   context     01 01 LEN TOKEN, both ways, until gss_init_sec_context is
 *               complete (mutual authentication: the server's token too)
 *   protection  01 02 LEN gss_wrap(level byte), answered the same way;
 *               Dante closes the connection when it refuses the level
 *   request     sent and answered inside one 01 03 frame each, unless the
 *               level is clear (0, a Dante extension: plain SOCKS follows)
 *
 * Everything here runs inside the handshake, with sx_guard raised: the
 * Kerberos library's own sockets (KDC) go straight to libc.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/gssapi.h"
#include "socksify/runtime.h"

/* ---- loading ------------------------------------------------------------ */

static const struct sx_gss_api *mock;
static struct sx_gss_api heimdal;
static bool heimdal_ok;
static char load_err[512];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

#define GSS_LIB "libgssapi.so.3"

static void load(void)
{
	static const char *const names[] = {
		"gss_import_name", "gss_release_name", "gss_init_sec_context",
		"gss_delete_sec_context", "gss_wrap", "gss_unwrap",
		"gss_wrap_size_limit", "gss_display_status", "gss_release_buffer",
	};
	void **slots[] = {
		(void **)&heimdal.import_name, (void **)&heimdal.release_name,
		(void **)&heimdal.init_sec_context,
		(void **)&heimdal.delete_sec_context, (void **)&heimdal.wrap,
		(void **)&heimdal.unwrap, (void **)&heimdal.wrap_size_limit,
		(void **)&heimdal.display_status, (void **)&heimdal.release_buffer,
	};
	void *h = dlopen(GSS_LIB, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(load_err, sizeof(load_err), "cannot load Heimdal's GSS-API "
			 "library (" GSS_LIB ", Debian package libgssapi3-heimdal): %s",
			 dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*slots[i] = dlsym(h, names[i]);
		if (!*slots[i]) {
			snprintf(load_err, sizeof(load_err), GSS_LIB " has no %s",
				 names[i]);
			return;     /* keep it loaded: dlclose is not worth the risk */
		}
	}
	heimdal_ok = true;
}

void sx_gss_api_set(const struct sx_gss_api *m)
{
	mock = m;
}

const struct sx_gss_api *sx_gss_api(char *err, size_t errlen)
{
	if (mock)
		return mock;
	pthread_once(&load_once, load);
	if (heimdal_ok)
		return &heimdal;
	snprintf(err, errlen, "%s", load_err);
	return NULL;
}

/* ---- messages ------------------------------------------------------------ */

static void status_text(const struct sx_gss_api *api, sx_om_uint32 code,
			int type, char *buf, size_t len)
{
	sx_om_uint32 minor, ctx = 0, major;
	sx_gss_buffer_desc msg = { 0, NULL };
	size_t used = strlen(buf);

	do {
		major = api->display_status(&minor, code, type, NULL, &ctx, &msg);
		if (SX_GSS_ERROR(major))
			break;
		const char *t = msg.value;
		size_t tl = msg.length;

		while (tl > 0 && (*t == ' ' || *t == '\t')) {  /* Heimdal pads some */
			t++;
			tl--;
		}
		if (used < len && tl > 0)
			used += (size_t)snprintf(buf + used, len - used, "%s%.*s",
						 used && buf[used - 1] != ' ' ? "; " : "",
						 (int)tl, t);
		api->release_buffer(&minor, &msg);
	} while (ctx != 0);
}

void sx_gss_status(const struct sx_gss_api *api, const char *what,
		   sx_om_uint32 major, sx_om_uint32 minor, char *buf, size_t len)
{
	snprintf(buf, len, "%s: ", what);
	sx_guard++;
	if (SX_GSS_ERROR(major))
		status_text(api, major, SX_GSS_C_GSS_CODE, buf, len);
	if (minor)
		status_text(api, minor, SX_GSS_C_MECH_CODE, buf, len);
	sx_guard--;
}

#define fail sx_fail

static int gss_fail(struct sx_failure *f, const struct sx_gss_api *api,
		    const char *what, sx_om_uint32 major, sx_om_uint32 minor)
{
	char msg[600];

	sx_gss_status(api, what, major, minor, msg, sizeof(msg));
	return fail(f, EACCES, "GSS-API %s", msg);
}

static const char *level_name(int level)
{
	switch (level) {
	case SX_GSS_PROT_CLEAR:           return "clear";
	case SX_GSS_PROT_INTEGRITY:       return "integrity";
	case SX_GSS_PROT_CONFIDENTIALITY: return "confidentiality";
	default:                          return "unknown";
	}
}

/* ---- one exchange ----------------------------------------------------- */

struct xchg {
	int fd;
	int64_t deadline;
	const struct sx_gss_api *api;
	sx_gss_ctx ctx;
	uint8_t *buf;                   /* SX_GSS_HLEN + SX_GSS_MAXTOKEN */
	struct sx_gss_frame frame;      /* the last one read, token in buf */
};

static ssize_t parse_frame(const uint8_t *b, size_t n, void *out, size_t *need)
{
	return sx_gss_frame_parse(b, n, out, need);
}

/* A reset is a close too: ECONNABORTED, as in handshake.c (README "Errors"). */
#define IS_RESET(rc) ((rc) == ECONNRESET || (rc) == EPIPE)

static int reset_fail(struct sx_failure *f, const char *what, const char *step)
{
	return fail(f, ECONNABORTED, "proxy reset the connection during %s %s",
		    what, step);
}

/* A failed read of the step's message (detail: after the step's name in
 * the close and reset messages). */
static int recv_fail(struct sx_failure *f, struct sx_wire_res r,
		     const char *step, const char *detail)
{
	if (IS_RESET(r.err))
		return fail(f, ECONNABORTED, "proxy reset the connection during "
			    "the %s%s", step, detail);
	if (r.err == SX_WIRE_EOF)
		return fail(f, ECONNABORTED, "proxy closed the connection "
			    "during the %s%s", step, detail);
	if (r.perr)
		return fail(f, EPROTO, "malformed %s from proxy: %s", step,
			    sx_perr_str(r.perr));
	if (r.err == ETIMEDOUT)
		return fail(f, ETIMEDOUT, "handshake timed out (%s)", step);
	return fail(f, r.err, "%s failed: %s", step, strerror(r.err));
}

static int send_frame(struct xchg *x, uint8_t mtyp, const void *tok, size_t len,
		      struct sx_failure *f, const char *step)
{
	ssize_t n = sx_gss_frame_encode(x->buf, SX_GSS_HLEN + SX_GSS_MAXTOKEN,
					mtyp, tok, len);
	int rc;

	if (n < 0)
		return fail(f, EPROTO, "GSS-API %s: token of %zu bytes does not "
			    "fit in a message", step, len);
	rc = sx_wire_send(x->fd, x->buf, (size_t)n, x->deadline).err;
	if (IS_RESET(rc))
		return reset_fail(f, "GSS-API", step);
	if (rc)
		return fail(f, rc, "GSS-API %s: send failed: %s", step,
			    strerror(rc));
	return 0;
}

/*
 * Read one frame of type mtyp.  refused ("when asked for LEVEL ...", the
 * level step): a close or 01 FF means the proxy refused the level.
 */
static int recv_frame(struct xchg *x, uint8_t mtyp, struct sx_failure *f,
		      const char *step, const char *refused)
{
	struct sx_wire_res r = sx_wire_recv(x->fd, x->buf,
					    SX_GSS_HLEN + SX_GSS_MAXTOKEN,
					    parse_frame, &x->frame, x->deadline);
	int rc = r.err;

	if (rc == SX_WIRE_EOF && refused)
		return fail(f, EACCES, "protection level refused: the proxy "
			    "closed the connection %s", refused);
	if (rc == SX_WIRE_EOF)
		return fail(f, ECONNABORTED, "proxy closed the connection "
			    "during GSS-API %s", step);
	if (r.perr)
		return fail(f, EPROTO, "malformed GSS-API %s message from "
			    "proxy: %s", step, sx_perr_str(r.perr));
	if (rc == ETIMEDOUT)
		return fail(f, ETIMEDOUT, "handshake timed out (GSS-API %s)", step);
	if (IS_RESET(rc))
		return reset_fail(f, "GSS-API", step);
	if (rc)
		return fail(f, rc, "GSS-API %s: %s", step, strerror(rc));
	if (x->frame.mtyp == SX_GSS_MTYP_ABORT)
		return fail(f, EACCES, "proxy aborted GSS-API %s (01 FF)%s%s",
			    step, refused ? " " : "", refused ? refused : "");
	if (x->frame.mtyp != mtyp)
		return fail(f, EPROTO, "GSS-API %s: proxy sent message type %u, "
			    "expected %u", step, x->frame.mtyp, mtyp);
	return 0;
}

/* ---- context establishment ------------------------------------------- */

static const sx_gss_oid_desc nt_hostbased = { 10, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04" };
static const sx_gss_oid_desc nt_krb5_principal = { 10, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01" };
static const sx_gss_oid_desc mech_krb5 = { 9, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02" };

/*
 * The proxy's token is a framed Kerberos one (RFC 2743 3.1: 60 LEN 06 09
 * OID; RFC 1964 TOK_ID 02 00 AP-REP or 03 00 KRB-ERROR).  Heimdal checks
 * this too, but when it fails goes on to decode a buffer it never set
 * (repl_mutual in lib/gssapi/krb5/init_sec_context.c): anyone between us
 * and a proxy not yet authenticated could make it read wild memory.
 */
static bool krb5_token(const uint8_t *t, size_t n)
{
	size_t len = n > 1 ? t[1] : 0, i = 2, k = len & 0x7f;

	if (n < 2 || t[0] != 0x60)
		return false;
	if (len & 0x80) {               /* DER long form: <= 65535 here */
		if (k == 0 || k > 2 || n < 2 + k)
			return false;
		len = k == 1 ? t[2] : (size_t)t[2] << 8 | t[3];
		i += k;
	}
	return len == n - i && len >= 2 + mech_krb5.length + 2 &&
	       t[i] == 0x06 && t[i + 1] == mech_krb5.length &&
	       memcmp(t + i + 2, mech_krb5.elements, mech_krb5.length) == 0 &&
	       (t[i + 2 + mech_krb5.length] == 2 ||
		t[i + 2 + mech_krb5.length] == 3) && t[i + 3 + mech_krb5.length] == 0;
}

static int import_target(struct xchg *x, const struct sx_proxy *p,
			 sx_gss_name *name, char *text, size_t tlen,
			 struct sx_failure *f)
{
	const struct sx_gss_conf *g = &p->gss;
	sx_gss_buffer_desc b;
	sx_om_uint32 major, minor;

	if (g->principal[0])
		snprintf(text, tlen, "%s", g->principal);
	else
		snprintf(text, tlen, "%s@%s", g->service, p->host);
	b.value = text;
	b.length = strlen(text);
	major = x->api->import_name(&minor, &b, g->principal[0] ?
				    &nt_krb5_principal : &nt_hostbased, name);
	if (SX_GSS_ERROR(major)) {
		char what[440];

		snprintf(what, sizeof(what), "gss_import_name(%s)", text);
		return gss_fail(f, x->api, what, major, minor);
	}
	return 0;
}

static int establish(struct xchg *x, const struct sx_proxy *p, uint8_t cmd,
		     struct sx_failure *f)
{
	sx_om_uint32 major, minor, ret_flags = 0, flags;
	sx_gss_buffer_desc in = { 0, NULL }, out = { 0, NULL };
	sx_gss_name name = NULL;
	char target[400], what[480];
	int rc = 0;

	if (import_target(x, p, &name, target, sizeof(target), f) < 0)
		return -1;
	flags = SX_GSS_C_MUTUAL_FLAG;
	/* Datagrams get lost and reordered, and Heimdal's checks would let
	 * forged ones block real ones: src/client/gss_udp.c checks replays. */
	if (cmd != SX_S5_CMD_UDP_ASSOCIATE)
		flags |= SX_GSS_C_REPLAY_FLAG | SX_GSS_C_SEQUENCE_FLAG;
	if (p->gss.delegate)
		flags |= SX_GSS_C_DELEG_FLAG;
	snprintf(what, sizeof(what), "authentication to %s failed: "
		 "gss_init_sec_context", target);
	for (;;) {
		major = x->api->init_sec_context(&minor, NULL, &x->ctx, name,
						 &mech_krb5, flags, 0, NULL,
						 in.length ? &in : NULL, NULL,
						 &out, &ret_flags, NULL);
		if (SX_GSS_ERROR(major)) {
			rc = gss_fail(f, x->api, what, major, minor);
			break;
		}
		if (out.length) {
			rc = send_frame(x, SX_GSS_MTYP_AUTH, out.value,
					out.length, f, "authentication");
			x->api->release_buffer(&minor, &out);
			if (rc < 0)
				break;
		}
		if (major == SX_GSS_S_COMPLETE)
			break;
		rc = recv_frame(x, SX_GSS_MTYP_AUTH, f, "authentication", NULL);
		if (rc < 0)
			break;
		in.value = (void *)x->frame.token;
		in.length = x->frame.len;
		if (x->api == &heimdal && !krb5_token(in.value, in.length)) {
			rc = fail(f, EPROTO, "GSS-API authentication to %s: the "
				  "proxy's token (%zu bytes) is not a Kerberos "
				  "token", target, in.length);
			break;
		}
	}
	x->api->release_name(&minor, &name);
	if (rc == 0 && !(ret_flags & SX_GSS_C_MUTUAL_FLAG))
		rc = fail(f, EACCES, "GSS-API authentication to %s: the proxy "
			  "did not authenticate itself (no mutual authentication)",
			  target);
	if (rc == 0)
		sx_log(SX_LOG_DEBUG, "GSS-API: authenticated to %s", target);
	return rc;
}

/* ---- protection level ---------------------------------------------------- */

static int negotiate(struct xchg *x, const struct sx_gss_conf *g, int *level,
		     struct sx_failure *f)
{
	sx_om_uint32 major, minor, qop = 0;
	sx_gss_buffer_desc in, out = { 0, NULL };
	uint8_t want = g->protection, got;
	int min = g->min_protection < 0 ? g->protection : g->min_protection;
	int conf = 0, rc;
	char refused[300];

	in.value = &want;
	in.length = 1;
	major = x->api->wrap(&minor, x->ctx, 0, 0, &in, &conf, &out);
	if (SX_GSS_ERROR(major))
		return gss_fail(f, x->api, "protection level: gss_wrap", major, minor);
	rc = send_frame(x, SX_GSS_MTYP_PROT, out.value, out.length, f,
			"protection level");
	x->api->release_buffer(&minor, &out);
	if (rc < 0)
		return -1;
	snprintf(refused, sizeof(refused), "when asked for %s (it may require "
		 "another level: see gssapi_protection)", level_name(want));
	if (recv_frame(x, SX_GSS_MTYP_PROT, f, "protection level", refused) < 0)
		return -1;
	in.value = (void *)x->frame.token;
	in.length = x->frame.len;
	major = x->api->unwrap(&minor, x->ctx, &in, &out, &conf, &qop);
	if (SX_GSS_ERROR(major))
		return gss_fail(f, x->api, "protection level: gss_unwrap", major,
				minor);
	if (out.length != 1) {
		size_t len = out.length;        /* release_buffer zeroes it */

		x->api->release_buffer(&minor, &out);
		return fail(f, EPROTO, "GSS-API protection level: the proxy's "
			    "answer is %zu bytes, not 1", len);
	}
	got = *(uint8_t *)out.value;
	x->api->release_buffer(&minor, &out);
	if (got > SX_GSS_PROT_CONFIDENTIALITY)
		return fail(f, EPROTO, "GSS-API protection level: the proxy chose "
			    "level %u, which does not exist", got);
	if (got < min) {
		static const uint8_t abort_msg[2] = { SX_GSS_VERSION, SX_GSS_MTYP_ABORT };

		sx_wire_send(x->fd, abort_msg, 2, x->deadline);
		return fail(f, EACCES, "GSS-API protection level: the proxy chose "
			    "%s, below gssapi_min_protection %s; aborted",
			    level_name(got), level_name(min));
	}
	*level = got;
	sx_log(SX_LOG_DEBUG, "GSS-API: protection %s", level_name(got));
	return 0;
}

/* ---- the request, protected ------------------------------------------ */

static int wrapped_request(struct xchg *x, int level, const uint8_t *req,
			   size_t len, struct sx_s5_reply *reply,
			   struct sx_failure *f)
{
	sx_om_uint32 major, minor, qop = 0;
	sx_gss_buffer_desc in = { len, (void *)req }, out = { 0, NULL };
	int conf = 0, rc;
	size_t need;
	ssize_t n;

	major = x->api->wrap(&minor, x->ctx, level == SX_GSS_PROT_CONFIDENTIALITY,
			     0, &in, &conf, &out);
	if (SX_GSS_ERROR(major))
		return gss_fail(f, x->api, "request: gss_wrap", major, minor);
	if (level == SX_GSS_PROT_CONFIDENTIALITY && !conf) {
		x->api->release_buffer(&minor, &out);   /* never send it clear */
		return fail(f, EPROTO, "GSS-API request: gss_wrap left it not "
			    "encrypted although confidentiality was agreed");
	}
	rc = send_frame(x, SX_GSS_MTYP_DATA, out.value, out.length, f, "request");
	x->api->release_buffer(&minor, &out);
	if (rc < 0 || recv_frame(x, SX_GSS_MTYP_DATA, f, "reply", NULL) < 0)
		return -1;
	in.value = (void *)x->frame.token;
	in.length = x->frame.len;
	major = x->api->unwrap(&minor, x->ctx, &in, &out, &conf, &qop);
	if (SX_GSS_ERROR(major))
		return gss_fail(f, x->api, "reply: gss_unwrap", major, minor);
	if (level == SX_GSS_PROT_CONFIDENTIALITY && !conf) {
		x->api->release_buffer(&minor, &out);
		return fail(f, EPROTO, "GSS-API reply: not encrypted although "
			    "confidentiality was agreed");
	}
	len = out.length;
	n = sx_s5_reply_parse(out.value, len, reply, &need);
	x->api->release_buffer(&minor, &out);
	if (n <= 0 || (size_t)n != len)
		return fail(f, EPROTO, "malformed reply from proxy inside its "
			    "GSS-API message: %s", n < 0 ? sx_perr_str((int)n) :
			    n == 0 ? "truncated" : "followed by other bytes");
	return 0;
}

static ssize_t parse_reply(const uint8_t *b, size_t n, void *out, size_t *need)
{
	return sx_s5_reply_parse(b, n, out, need);
}

static int plain_request(struct xchg *x, const uint8_t *req, size_t len,
			 struct sx_s5_reply *reply, struct sx_failure *f)
{
	struct sx_wire_res r = sx_wire_send(x->fd, req, len, x->deadline);

	if (IS_RESET(r.err))
		return reset_fail(f, "the", "request");
	if (r.err)
		return fail(f, r.err, "request failed: %s", strerror(r.err));
	r = sx_wire_recv(x->fd, x->buf, 4 + 1 + 255 + 2, parse_reply, reply,
			 x->deadline);
	return r.err ? recv_fail(f, r, "reply", "") : 0;
}

static ssize_t parse_method(const uint8_t *b, size_t n, void *out, size_t *need)
{
	return sx_s5_method_parse(b, n, out, need);
}

/* Greeting with method 0x01 alone: a user who asks for GSS-API does not
 * want to end up unauthenticated and unprotected. */
static int select_method(struct xchg *x, struct sx_failure *f)
{
	const uint8_t gss = SX_S5_METHOD_GSSAPI;
	uint8_t buf[3], method = 0;
	ssize_t n = sx_s5_greeting_encode(buf, sizeof(buf), &gss, 1);
	struct sx_wire_res r;
	int rc;

	rc = n < 0 ? EINVAL : sx_wire_send(x->fd, buf, (size_t)n, x->deadline).err;
	if (IS_RESET(rc))
		return reset_fail(f, "the", "greeting (GSS-API offered)");
	if (rc)
		return fail(f, rc, "greeting failed: %s", strerror(rc));
	r = sx_wire_recv(x->fd, buf, sizeof(buf), parse_method, &method,
			 x->deadline);
	if (r.err)
		return recv_fail(f, r, "method selection", " (GSS-API offered)");
	if (method == SX_S5_METHOD_REJECT)
		return fail(f, EACCES, "proxy does not accept GSS-API "
			    "authentication (the only method offered, as gssapi "
			    "is on)");
	if (method != SX_S5_METHOD_GSSAPI)
		return fail(f, EPROTO, "proxy chose authentication method 0x%02x, "
			    "which we did not offer", method);
	return 0;
}

static int run(struct xchg *x, const struct sx_proxy *p, uint8_t cmd,
	       const struct sx_addr *dst, struct sx_s5_reply *reply,
	       int *level, struct sx_failure *f)
{
	uint8_t req[4 + 1 + 255 + 2];
	ssize_t n;

	if (select_method(x, f) < 0 || establish(x, p, cmd, f) < 0 ||
	    negotiate(x, &p->gss, level, f) < 0)
		return -1;
	n = sx_s5_request_encode(req, sizeof(req), cmd, dst);
	if (n < 0)
		return fail(f, EINVAL, "request: %s", sx_perr_str((int)n));
	if (*level == SX_GSS_PROT_CLEAR)
		return plain_request(x, req, (size_t)n, reply, f);
	return wrapped_request(x, *level, req, (size_t)n, reply, f);
}

int sx_gss_socks5(int fd, const struct sx_proxy *p, uint8_t cmd,
		  const struct sx_addr *dst, struct sx_s5_reply *reply,
		  int64_t deadline, struct sx_failure *f)
{
	struct xchg x = { .fd = fd, .deadline = deadline };
	sx_om_uint32 minor;
	int level = 0, rc;
	char err[512];

	x.api = sx_gss_api(err, sizeof(err));
	if (!x.api)
		return fail(f, EACCES, "GSS-API: %s", err);
	x.buf = malloc(SX_GSS_HLEN + SX_GSS_MAXTOKEN);
	if (!x.buf)
		return fail(f, ENOMEM, "GSS-API: out of memory");
	sx_guard++;
	rc = run(&x, p, cmd, dst, reply, &level, f);
	if (rc == 0 && reply->rep != SX_S5_REP_SUCCEEDED)
		rc = fail(f, sx_s5_rep_errno(reply->rep), "%s (SOCKS reply %u)",
			  sx_s5_rep_str(reply->rep), reply->rep);
	if (rc == 0 && level != SX_GSS_PROT_CLEAR &&
	    sx_gss_attach(fd, x.api, x.ctx, level) < 0)
		rc = fail(f, ENOMEM, "GSS-API: out of memory");
	else if (rc == 0 && level != SX_GSS_PROT_CLEAR)
		x.ctx = NULL;   /* the socket owns it now */
	if (x.ctx)
		x.api->delete_sec_context(&minor, &x.ctx, NULL);
	sx_guard--;
	free(x.buf);
	return rc;
}

/* Can c's handshake come here (a GSS-API hop on a route of its set)?  It
 * may then block outside sx_wire_wait, while Heimdal asks the KDC. */
bool sx_gss_may_run(const struct sx_conn *c)
{
	const struct sx_runtime *rt = sx_runtime();
	const struct sx_route *r;
	size_t n;

	if (c->direct || c->blocked)
		return false;
	r = sx_route_set(&rt->conf, c->set, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t h = 0; h < r[i].nhops; h++)
			if (r[i].hops[h].gss.enabled)
				return true;
	return false;
}
