/*
 * gss_mock.c - the mock GSS-API table of gss_mock.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gss_mock.h"

#define MAGIC 0x6d6f636bu

struct mock_conf mock;
atomic_int mock_live_ctx, mock_live_buf, mock_live_name;
sx_om_uint32 mock_req_flags;
char mock_target[300];
unsigned mock_target_oid_last;
static char log_path[256];

void mock_reset(void)
{
	memset(&mock, 0, sizeof(mock));
	mock.tok_limit = SX_GSS_MAXTOKEN;
	mock.rounds = 2;
	mock_req_flags = 0;
	mock_target[0] = '\0';
	mock_target_oid_last = 0;
	atomic_store(&mock_live_ctx, 0);
	atomic_store(&mock_live_buf, 0);
	atomic_store(&mock_live_name, 0);
}

void mock_ctx_init(struct mock_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->magic = MAGIC;
}

struct mock_ctx *mock_ctx_new(void)
{
	struct mock_ctx *c = malloc(sizeof(*c));

	if (c) {
		mock_ctx_init(c);
		atomic_fetch_add(&mock_live_ctx, 1);
	}
	return c;
}

static void *buf_new(sx_gss_buffer_desc *b, size_t len)
{
	b->value = malloc(len ? len : 1);
	b->length = len;
	if (b->value)
		atomic_fetch_add(&mock_live_buf, 1);
	return b->value;
}

static uint16_t sum(const uint8_t *p, size_t n, uint32_t seq)
{
	uint32_t a = 1, b = seq & 0xffff;

	for (size_t i = 0; i < n; i++) {
		a = (a + p[i]) % 65521;
		b = (b + a) % 65521;
	}
	return (uint16_t)(a ^ (b << 5));
}

/* Token of in under c; *seq is the sender's counter. */
static int seal(struct mock_ctx *c, int conf, const uint8_t *p, size_t n,
		sx_gss_buffer_desc *out)
{
	uint8_t *t = buf_new(out, MOCK_OVERHEAD + n);
	uint32_t seq = c->sseq++;
	uint16_t s = sum(p, n, seq);

	if (!t)
		return -1;
	t[0] = 'm';
	t[1] = conf ? 1 : 0;
	t[2] = (uint8_t)(seq >> 24);
	t[3] = (uint8_t)(seq >> 16);
	t[4] = (uint8_t)(seq >> 8);
	t[5] = (uint8_t)seq;
	t[6] = (uint8_t)(s >> 8);
	t[7] = (uint8_t)s;
	for (size_t i = 0; i < n; i++)
		t[MOCK_OVERHEAD + i] = conf ? p[i] ^ (uint8_t)(0x5a + i) : p[i];
	return 0;
}

int mock_open(struct mock_ctx *c, const uint8_t *t, size_t len, uint8_t *out,
	      size_t *outlen, int *conf)
{
	uint32_t seq;
	size_t n;

	if (c->magic != MAGIC || len < MOCK_OVERHEAD || t[0] != 'm' || t[1] > 1)
		return -1;
	seq = (uint32_t)t[2] << 24 | (uint32_t)t[3] << 16 | (uint32_t)t[4] << 8 | t[5];
	if (seq != c->rseq)
		return -1;
	n = len - MOCK_OVERHEAD;
	for (size_t i = 0; i < n; i++)
		out[i] = t[1] ? t[MOCK_OVERHEAD + i] ^ (uint8_t)(0x5a + i) :
				t[MOCK_OVERHEAD + i];
	if (sum(out, n, seq) != ((uint16_t)(t[6] << 8 | t[7])))
		return -1;
	c->rseq++;
	*outlen = n;
	*conf = t[1];
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

static sx_om_uint32 m_import_name(sx_om_uint32 *minor, sx_gss_buffer_desc *name,
				  const sx_gss_oid_desc *type, sx_gss_name *out)
{
	*minor = 0;
	snprintf(mock_target, sizeof(mock_target), "%.*s", (int)name->length,
		 (const char *)name->value);
	mock_target_oid_last = type && type->length ?
		((const uint8_t *)type->elements)[type->length - 1] : 0;
	*out = strdup(mock_target);
	if (!*out)
		return MOCK_S_FAILURE;
	atomic_fetch_add(&mock_live_name, 1);
	return SX_GSS_S_COMPLETE;
}

static sx_om_uint32 m_release_name(sx_om_uint32 *minor, sx_gss_name *name)
{
	*minor = 0;
	if (*name) {
		free(*name);
		atomic_fetch_sub(&mock_live_name, 1);
	}
	*name = NULL;
	return SX_GSS_S_COMPLETE;
}

void mock_client_token(int k, char *buf, size_t len)
{
	snprintf(buf, len, "client token %d of the mock mechanism", k);
}

void mock_server_token(int k, char *buf, size_t len)
{
	snprintf(buf, len, "server token %d", k);
}

static sx_om_uint32 m_init_sec_context(sx_om_uint32 *minor, void *cred,
		sx_gss_ctx *ctx, sx_gss_name target, const sx_gss_oid_desc *mech,
		sx_om_uint32 flags, sx_om_uint32 time_req, void *chan,
		sx_gss_buffer_desc *in, sx_gss_oid_desc **actual_mech,
		sx_gss_buffer_desc *out, sx_om_uint32 *ret_flags,
		sx_om_uint32 *time_rec)
{
	struct mock_ctx *c = *ctx;
	char want[64];
	int k;

	(void)cred; (void)target; (void)mech; (void)time_req; (void)chan;
	*minor = 0;
	out->length = 0;
	out->value = NULL;
	if (actual_mech)
		*actual_mech = NULL;
	if (time_rec)
		*time_rec = 0;
	mock_req_flags = flags;
	k = c ? c->calls + 1 : 1;
	if (k == mock.fail_call) {
		*minor = MOCK_MINOR_CREDS;
		return MOCK_S_FAILURE;     /* a first call makes no context */
	}
	if (k == 1 && c == NULL)
		c = *ctx = mock_ctx_new();
	if (!c || c->magic != MAGIC)
		return MOCK_S_FAILURE;
	c->calls = k;
	/* Call k > 1 must get the token the proxy sent after call k - 1. */
	mock_server_token(k - 1, want, sizeof(want));
	if ((k == 1) != (in == NULL) || (in && (in->length != strlen(want) ||
					       memcmp(in->value, want, in->length)))) {
		*minor = 3;
		return MOCK_S_DEFECTIVE_TOKEN;
	}
	if (k < mock.rounds || mock.final_token) {
		char tok[64];

		mock_client_token(k, tok, sizeof(tok));
		if (!buf_new(out, strlen(tok)))
			return MOCK_S_FAILURE;
		memcpy(out->value, tok, out->length);
	}
	if (ret_flags)
		*ret_flags = (mock.no_mutual ? 0 : SX_GSS_C_MUTUAL_FLAG) |
			     SX_GSS_C_REPLAY_FLAG | SX_GSS_C_SEQUENCE_FLAG |
			     SX_GSS_C_INTEG_FLAG | SX_GSS_C_CONF_FLAG;
	return k < mock.rounds ? SX_GSS_S_CONTINUE_NEEDED : SX_GSS_S_COMPLETE;
}

static sx_om_uint32 m_delete_sec_context(sx_om_uint32 *minor, sx_gss_ctx *ctx,
					 sx_gss_buffer_desc *out)
{
	struct mock_ctx *c = *ctx;

	*minor = 0;
	if (out) {
		out->length = 0;
		out->value = NULL;
	}
	if (c) {
		if (c->magic != MAGIC)
			abort();                /* deleted twice */
		c->magic = 0;
		free(c);
		atomic_fetch_sub(&mock_live_ctx, 1);
	}
	*ctx = NULL;
	return SX_GSS_S_COMPLETE;
}

static sx_om_uint32 m_wrap(sx_om_uint32 *minor, sx_gss_ctx ctx, int conf_req,
			   sx_om_uint32 qop, sx_gss_buffer_desc *in,
			   int *conf_state, sx_gss_buffer_desc *out)
{
	struct mock_ctx *c = ctx;

	(void)qop;
	*minor = 0;
	out->length = 0;
	out->value = NULL;
	if (mock.wrap_fails || !c || c->magic != MAGIC) {
		*minor = 5;
		return MOCK_S_FAILURE;
	}
	if (mock.no_conf)
		conf_req = 0;
	if (seal(c, conf_req, in->value, in->length, out) < 0)
		return MOCK_S_FAILURE;
	if (conf_state)
		*conf_state = conf_req ? 1 : 0;
	return SX_GSS_S_COMPLETE;
}

static sx_om_uint32 m_unwrap(sx_om_uint32 *minor, sx_gss_ctx ctx,
			     sx_gss_buffer_desc *in, sx_gss_buffer_desc *out,
			     int *conf_state, sx_om_uint32 *qop)
{
	struct mock_ctx *c = ctx;
	size_t n = in->length;
	int conf = 0;

	*minor = 0;
	out->length = 0;
	out->value = NULL;
	if (qop)
		*qop = 0;
	if (!c || c->magic != MAGIC || !buf_new(out, n)) {
		*minor = 1;
		return MOCK_S_FAILURE;
	}
	if (mock_open(c, in->value, in->length, out->value, &n, &conf) < 0) {
		free(out->value);
		atomic_fetch_sub(&mock_live_buf, 1);
		out->value = NULL;
		out->length = 0;
		*minor = 2;
		return MOCK_S_BAD_SIG;
	}
	out->length = n;
	if (conf_state)
		*conf_state = conf;
	return SX_GSS_S_COMPLETE;
}

static sx_om_uint32 m_wrap_size_limit(sx_om_uint32 *minor, sx_gss_ctx ctx,
				      int conf_req, sx_om_uint32 qop,
				      sx_om_uint32 req_out, sx_om_uint32 *max_in)
{
	sx_om_uint32 lim = req_out < mock.tok_limit ? req_out : mock.tok_limit;

	(void)ctx; (void)conf_req; (void)qop;
	*minor = 0;
	if (mock.limit_fails) {
		*minor = 6;
		return MOCK_S_FAILURE;
	}
	*max_in = lim - MOCK_OVERHEAD + (mock.limit_lies ? MOCK_OVERHEAD : 0);
	return SX_GSS_S_COMPLETE;
}

static sx_om_uint32 m_display_status(sx_om_uint32 *minor, sx_om_uint32 status,
				     int type, const sx_gss_oid_desc *mech,
				     sx_om_uint32 *msg_ctx, sx_gss_buffer_desc *out)
{
	char text[80];

	(void)mech;
	*minor = 0;
	/* Heimdal pads some texts with blanks; the caller strips them. */
	if (type == SX_GSS_C_GSS_CODE)
		snprintf(text, sizeof(text), "  mock major 0x%x", (unsigned)status);
	else
		snprintf(text, sizeof(text), "mock minor %u", (unsigned)status);
	if (!buf_new(out, strlen(text)))
		return MOCK_S_FAILURE;
	memcpy(out->value, text, out->length);
	*msg_ctx = 0;
	return SX_GSS_S_COMPLETE;
}

static sx_om_uint32 m_release_buffer(sx_om_uint32 *minor, sx_gss_buffer_desc *b)
{
	*minor = 0;
	if (b->value) {
		free(b->value);
		atomic_fetch_sub(&mock_live_buf, 1);
	}
	b->value = NULL;
	b->length = 0;
	return SX_GSS_S_COMPLETE;
}

const struct sx_gss_api mock_api = {
	.import_name = m_import_name,
	.release_name = m_release_name,
	.init_sec_context = m_init_sec_context,
	.delete_sec_context = m_delete_sec_context,
	.wrap = m_wrap,
	.unwrap = m_unwrap,
	.wrap_size_limit = m_wrap_size_limit,
	.display_status = m_display_status,
	.release_buffer = m_release_buffer,
};

size_t mock_frame(struct mock_ctx *c, uint8_t mtyp, int conf, const void *plain,
		  size_t n, uint8_t *out)
{
	sx_gss_buffer_desc b;

	if (seal(c, conf, plain, n, &b) < 0)
		abort();
	out[0] = SX_GSS_VERSION;
	out[1] = mtyp;
	out[2] = (uint8_t)(b.length >> 8);
	out[3] = (uint8_t)b.length;
	memcpy(out + 4, b.value, b.length);
	free(b.value);
	atomic_fetch_sub(&mock_live_buf, 1);
	return 4 + b.length;
}

/* ---- environment, log, I/O ------------------------------------------------ */

/* The library reads its configuration once, from the environment: a
 * numeric proxy (nothing is resolved), errors logged to our file. */
void mock_env_setup(char *path, size_t len)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "/tmp/sx-unit-gss-XXXXXX");
	fd = mkstemp(log_path);
	if (fd < 0)
		abort();
	close(fd);
	snprintf(path, len, "%s", log_path);
	setenv("SOCKSIFY_PROXY", "socks5://127.0.0.1:1080", 1);
	setenv("SOCKSIFY_LOG", log_path, 1);
	setenv("SOCKSIFY_DEBUG", "error", 1);
	setenv("HOME", "/nonexistent", 1);
	unsetenv("SOCKSIFY_QUIET");
	unsetenv("SOCKSIFY_CONF");
}

void log_reset(void)
{
	if (log_path[0] && truncate(log_path, 0) < 0)
		abort();
}

int log_count(const char *s)
{
	char buf[16384], *p = buf;
	ssize_t n;
	int fd = open(log_path, O_RDONLY), count = 0;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	while ((p = strstr(p, s)) != NULL) {
		count++;
		p += strlen(s);
	}
	return count;
}

bool log_has(const char *s)
{
	return log_count(s) > 0;
}

uint8_t mock_pattern(size_t i, unsigned seed)
{
	return (uint8_t)((i * 131 + (i >> 8) * 7 + seed * 29 + 3) ^ (i >> 16));
}

static int wait_fd(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, 5000) == 1 ? 0 : -1;
}

int mock_writen(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT) < 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int mock_readn(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r;

		if (wait_fd(fd, POLLIN) < 0)
			return -1;
		r = read(fd, p, n);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}
