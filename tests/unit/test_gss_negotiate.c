/*
 * test_gss_negotiate.c - the SOCKS 5 GSS-API handshake (RFC 1961) of
 * src/client/gssapi.c, sx_gss_socks5, with the mock GSS-API table of
 * gss_mock.c.  The test plays the proxy: its whole answer is written to a
 * socketpair first (the client reads each message by its own length, so
 * it never takes a byte meant for the next step), then everything the
 * client sent is checked message by message.
 *
 * Success at each protection level after 1 to 3 context rounds, and the
 * data path that follows (data the proxy sent right after its reply
 * included); a level below gssapi_min_protection (the client aborts);
 * 01 FF at every step; wrong version, wrong or unknown message types,
 * refused tokens; gss_init_sec_context failing (its status text in the
 * message); EOF, timeout, method refusal, no mutual authentication, a
 * SOCKS error reply.  Every context, name and buffer must be given back.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gss_mock.h"
#include "socksify/runtime.h"

static const uint8_t bound_v4[4] = { 10, 200, 0, 2 };

static struct {
	int c, s;
	struct sx_proxy px;
	struct sx_addr dst;
	uint8_t cmd;
	struct mock_ctx srv;            /* the proxy's context */
	uint8_t script[80000];          /* what the proxy says */
	size_t slen;
	uint8_t out[8192];              /* what the client said */
	size_t olen, opos;
	struct sx_s5_reply reply;
	struct sx_failure f;
} N;

static void setup(int protection, int min, int rounds)
{
	int sv[2];

	mock_reset();
	mock.rounds = rounds;
	mock.final_token = true;
	log_reset();
	memset(&N, 0, sizeof(N));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	N.c = sv[0];
	N.s = sv[1];
	set_nonblock(N.c, true);        /* as during a real handshake */
	N.px.type = SX_PROXY_SOCKS5;
	strcpy(N.px.host, "localhost");
	N.px.port = 1080;
	N.px.gss.enabled = true;
	N.px.gss.protection = (uint8_t)protection;
	N.px.gss.min_protection = (int8_t)min;
	strcpy(N.px.gss.service, "rcmd");
	N.dst.atyp = SX_ATYP_IPV4;
	memcpy(N.dst.u.v4, (uint8_t[]){ 10, 200, 0, 1 }, 4);
	N.dst.port = 8080;
	N.cmd = SX_S5_CMD_CONNECT;
	mock_ctx_init(&N.srv);
}

/* ---- the proxy's script -------------------------------------------------- */

static void add(const void *p, size_t n)
{
	ck_assert_uint_le(N.slen + n, sizeof(N.script));
	memcpy(N.script + N.slen, p, n);
	N.slen += n;
}

static void add_method(uint8_t m)
{
	add((uint8_t[]){ 5, m }, 2);
}

static void add_raw_frame(uint8_t mtyp, const void *tok, size_t n)
{
	add((uint8_t[]){ 1, mtyp, (uint8_t)(n >> 8), (uint8_t)n }, 4);
	add(tok, n);
}

/* The proxy's token after each client call but the last. */
static void add_auth(int rounds)
{
	char tok[64];

	for (int k = 1; k < rounds; k++) {
		mock_server_token(k, tok, sizeof(tok));
		add_raw_frame(SX_GSS_MTYP_AUTH, tok, strlen(tok));
	}
}

static void add_wrapped(uint8_t mtyp, int conf, const void *p, size_t n)
{
	uint8_t f[600];

	add(f, mock_frame(&N.srv, mtyp, conf, p, n, f));
}

static void add_level(int level)
{
	uint8_t b = (uint8_t)level;

	add_wrapped(SX_GSS_MTYP_PROT, 0, &b, 1);
}

/* The SOCKS reply (BND 10.200.0.2:4242), in a 01 03 frame unless clear. */
static void add_reply(int level, uint8_t rep)
{
	uint8_t r[10] = { 5, rep, 0, 1, 10, 200, 0, 2, 0x10, 0x92 };

	if (level == SX_GSS_PROT_CLEAR)
		add(r, sizeof(r));
	else
		add_wrapped(SX_GSS_MTYP_DATA, level == 2, r, sizeof(r));
}

/* Say it all (then EOF if asked), run the client, keep what it sent. */
static int run(int64_t ms, bool eof)
{
	int rc;
	ssize_t n;

	ck_assert_int_eq(mock_writen(N.s, N.script, N.slen), 0);
	if (eof)
		shutdown(N.s, SHUT_WR);
	rc = sx_gss_socks5(N.c, &N.px, N.cmd, &N.dst, &N.reply,
			   sx_now_ms() + ms, &N.f);
	while ((n = recv(N.s, N.out + N.olen, sizeof(N.out) - N.olen,
			 MSG_DONTWAIT)) > 0)
		N.olen += (size_t)n;
	return rc;
}

/* ---- what the client said --------------------------------------------------- */

static void expect(const void *p, size_t n)
{
	ck_assert_uint_ge(N.olen - N.opos, n);
	ck_assert_mem_eq(N.out + N.opos, p, n);
	N.opos += n;
}

/* One frame of type mtyp; its token. */
static const uint8_t *expect_frame(uint8_t mtyp, size_t *len)
{
	struct sx_gss_frame fr;
	size_t need;
	ssize_t n = sx_gss_frame_parse(N.out + N.opos, N.olen - N.opos, &fr, &need);

	ck_assert_msg(n > 0, "no whole frame at byte %zu", N.opos);
	ck_assert_uint_eq(fr.mtyp, mtyp);
	N.opos += (size_t)n;
	*len = fr.len;
	return fr.token;
}

static void expect_greeting_and_auth(int calls)
{
	char tok[64];
	const uint8_t *t;
	size_t n;

	expect((uint8_t[]){ 5, 1, SX_S5_METHOD_GSSAPI }, 3);   /* GSS-API alone */
	for (int k = 1; k <= calls; k++) {
		mock_client_token(k, tok, sizeof(tok));
		t = expect_frame(SX_GSS_MTYP_AUTH, &n);
		ck_assert_uint_eq(n, strlen(tok));
		ck_assert_mem_eq(t, tok, n);
	}
}

/* The level the client asked for: wrapped without confidentiality. */
static int expect_level(void)
{
	uint8_t p[16];
	size_t n, pn;
	int conf;
	const uint8_t *t = expect_frame(SX_GSS_MTYP_PROT, &n);

	ck_assert_int_eq(mock_open(&N.srv, t, n, p, &pn, &conf), 0);
	ck_assert_int_eq(conf, 0);
	ck_assert_uint_eq(pn, 1);
	return p[0];
}

static void expect_request(int level)
{
	uint8_t req[300], p[300];
	ssize_t rn = sx_s5_request_encode(req, sizeof(req), N.cmd, &N.dst);
	const uint8_t *t;
	size_t n, pn;
	int conf;

	ck_assert_int_gt(rn, 0);
	if (level == SX_GSS_PROT_CLEAR) {
		expect(req, (size_t)rn);
		return;
	}
	t = expect_frame(SX_GSS_MTYP_DATA, &n);
	ck_assert_int_eq(mock_open(&N.srv, t, n, p, &pn, &conf), 0);
	ck_assert_int_eq(conf, level == 2);
	ck_assert_uint_eq(pn, (size_t)rn);
	ck_assert_mem_eq(p, req, pn);
}

static void expect_end(void)
{
	ck_assert_msg(N.opos == N.olen, "%zu more bytes from the client",
		      N.olen - N.opos);
}

static void expect_failure(int rc, int err, const char *text)
{
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(N.f.why, text), "\"%s\" not in \"%s\"", text, N.f.why);
	ck_assert_msg(N.f.err == err, "errno %d, not %d: %s", N.f.err, err, N.f.why);
	ck_assert(!(sx_fd_flags(N.c) & SX_FD_GSS));
}

static void teardown(void)
{
	sx_gss_close(N.c);
	close(N.c);
	close(N.s);
	ck_assert_int_eq(atomic_load(&mock_live_ctx), 0);
	ck_assert_int_eq(atomic_load(&mock_live_buf), 0);
	ck_assert_int_eq(atomic_load(&mock_live_name), 0);
}

/* ---- success ------------------------------------------------------------------ */

/* Levels 0, 1, 2 after 1, 2, 3 rounds; then the data the proxy sent right
 * after its reply, and a protected send. */
START_TEST(nego_success)
{
	int level = _i % 3, rounds = _i / 3 + 1;
	uint8_t buf[64], f[64];
	size_t pn;
	int conf;

	setup(level, -1, rounds);
	mock.final_token = rounds == 1 || _i % 2;
	add_method(SX_S5_METHOD_GSSAPI);
	add_auth(rounds);
	add_level(level);
	add_reply(level, SX_S5_REP_SUCCEEDED);
	if (level)
		add_wrapped(SX_GSS_MTYP_DATA, level == 2, "early data", 10);
	else
		add("early data", 10);
	ck_assert_msg(run(2000, false) == 0, "%s", N.f.why);
	ck_assert_int_eq(N.reply.rep, 0);
	ck_assert_mem_eq(N.reply.bound.u.v4, bound_v4, 4);
	ck_assert_int_eq(N.reply.bound.port, 4242);
	expect_greeting_and_auth(mock.final_token ? rounds : rounds - 1);
	ck_assert_int_eq(expect_level(), level);
	expect_request(level);
	expect_end();
	ck_assert_uint_eq(mock_req_flags & (SX_GSS_C_MUTUAL_FLAG | SX_GSS_C_REPLAY_FLAG |
					    SX_GSS_C_SEQUENCE_FLAG | SX_GSS_C_DELEG_FLAG),
			  SX_GSS_C_MUTUAL_FLAG | SX_GSS_C_REPLAY_FLAG | SX_GSS_C_SEQUENCE_FLAG);
	ck_assert_str_eq(mock_target, "rcmd@localhost");
	ck_assert_uint_eq(mock_target_oid_last, 0x04);  /* GSS_C_NT_HOSTBASED_SERVICE */
	ck_assert(!(sx_fd_flags(N.c) & SX_FD_GSS) == (level == 0));
	ck_assert_int_eq(atomic_load(&mock_live_ctx), level ? 1 : 0);
	if (level == 0) {
		ck_assert_int_eq(recv(N.c, buf, sizeof(buf), 0), 10);
	} else {
		ck_assert_int_eq(sx_gss_recv(N.c, buf, sizeof(buf), 0), 10);
		ck_assert_int_eq(sx_gss_send(N.c, "ping", 4, 0), 4);
		ck_assert_int_eq(mock_readn(N.s, f, 4 + MOCK_OVERHEAD + 4), 0);
		ck_assert_int_eq(mock_open(&N.srv, f + 4, MOCK_OVERHEAD + 4, buf + 20,
					   &pn, &conf), 0);
		ck_assert_int_eq(conf, level == 2);
		ck_assert_mem_eq(buf + 20, "ping", 4);
	}
	ck_assert_mem_eq(buf, "early data", 10);
	teardown();
}
END_TEST

/* delegate and principal: GSS_C_DELEG_FLAG, a Kerberos principal name. */
START_TEST(nego_delegate_principal)
{
	setup(2, -1, 2);
	N.px.gss.delegate = true;
	strcpy(N.px.gss.principal, "socks/proxy.socks.test@SOCKS.TEST");
	add_method(SX_S5_METHOD_GSSAPI);
	add_auth(2);
	add_level(2);
	add_reply(2, SX_S5_REP_SUCCEEDED);
	ck_assert_msg(run(2000, false) == 0, "%s", N.f.why);
	ck_assert(mock_req_flags & SX_GSS_C_DELEG_FLAG);
	ck_assert_str_eq(mock_target, "socks/proxy.socks.test@SOCKS.TEST");
	ck_assert_uint_eq(mock_target_oid_last, 0x01);  /* GSS_KRB5_NT_PRINCIPAL_NAME */
	teardown();
}
END_TEST

/* UDP ASSOCIATE: no GSS_C_SEQUENCE_FLAG (RFC 1961 3.2: TCP clients only). */
START_TEST(nego_udp_flags)
{
	setup(2, -1, 2);
	N.cmd = SX_S5_CMD_UDP_ASSOCIATE;
	add_method(SX_S5_METHOD_GSSAPI);
	add_auth(2);
	add_level(2);
	add_reply(2, SX_S5_REP_SUCCEEDED);
	ck_assert_msg(run(2000, false) == 0, "%s", N.f.why);
	expect_greeting_and_auth(2);
	ck_assert_int_eq(expect_level(), 2);
	expect_request(2);
	expect_end();
	ck_assert(mock_req_flags & SX_GSS_C_MUTUAL_FLAG);
	ck_assert(!(mock_req_flags & SX_GSS_C_SEQUENCE_FLAG));
	teardown();
}
END_TEST

/* ---- the protection level ---------------------------------------------------- */

/* Asked for confidentiality: the proxy answers integrity (minimum
 * confidentiality, the default) or clear (minimum integrity): the client
 * aborts (01 FF, RFC 1961 4.4: it must close, the caller does) and sends
 * no request.  Integrity with minimum integrity is accepted. */
START_TEST(nego_below_minimum)
{
	static const int min[] = { -1, 1, 1 }, answer[] = { 1, 0, 1 };
	int rc;

	setup(2, min[_i], 2);
	add_method(SX_S5_METHOD_GSSAPI);
	add_auth(2);
	add_level(answer[_i]);
	add_reply(answer[_i], SX_S5_REP_SUCCEEDED);
	rc = run(2000, false);
	expect_greeting_and_auth(2);
	ck_assert_int_eq(expect_level(), 2);
	if (_i == 2) {
		ck_assert_msg(rc == 0, "%s", N.f.why);
		expect_request(1);
		ck_assert(sx_fd_flags(N.c) & SX_FD_GSS);
	} else {
		expect_failure(rc, EACCES, "below gssapi_min_protection");
		ck_assert(strstr(N.f.why, answer[_i] ? "integrity" : "clear"));
		ck_assert(strstr(N.f.why, min[_i] < 0 ? "confidentiality" : "integrity"));
		expect((uint8_t[]){ 1, 0xff }, 2);
	}
	expect_end();
	teardown();
}
END_TEST

/* ---- failures ------------------------------------------------------------------ */

/* 01 FF instead of the proxy's token, its level, its reply. */
START_TEST(nego_abort)
{
	static const char *const step[] = { "authentication", "protection level", "reply" };
	int rc;

	setup(2, -1, 2);
	add_method(SX_S5_METHOD_GSSAPI);
	if (_i > 0)
		add_auth(2);
	if (_i > 1)
		add_level(2);
	add((uint8_t[]){ 1, 0xff }, 2);
	rc = run(2000, false);
	expect_failure(rc, EACCES, "(01 FF)");
	ck_assert_msg(strstr(N.f.why, step[_i]), "%s", N.f.why);
	expect_greeting_and_auth(_i ? 2 : 1);
	if (_i > 0)
		ck_assert_int_eq(expect_level(), 2);
	if (_i > 1)
		expect_request(2);
	expect_end();
	teardown();
}
END_TEST

/* Malformed answers at each step. */
START_TEST(nego_malformed)
{
	static const struct { int step; int err; const char *why; } t[] = {
		{ 0, EPROTO, "wrong version" },                 /* 02 01 ... */
		{ 0, EPROTO, "message type 2, expected 1" },
		{ 0, EPROTO, "unexpected GSS-API message type" },       /* 01 07 */
		{ 1, EPROTO, "message type 3, expected 2" },
		{ 1, EACCES, "protection level: gss_unwrap: mock major 0x60000; mock minor 2" },
		{ 1, EPROTO, "answer is 2 bytes" },
		{ 1, EPROTO, "level 3, which does not exist" },
		{ 2, EPROTO, "not encrypted" },
		{ 2, EPROTO, "followed by other bytes" },
		{ 0, EACCES, "gss_init_sec_context: mock major 0x90000; mock minor 3" },
		{ -1, EPROTO, "malformed method selection" },
	};
	uint8_t big[SX_GSS_MAXTOKEN], r[12] = { 5, 0, 0, 1, 10, 200, 0, 2, 0, 1, 0xee };
	int rc;

	setup(2, -1, 2);
	if (t[_i].step >= 0)
		add_method(SX_S5_METHOD_GSSAPI);
	if (t[_i].step >= 1)
		add_auth(2);
	if (t[_i].step >= 2)
		add_level(2);
	switch (_i) {
	case 0: add((uint8_t[]){ 2, 1, 0, 1, 0 }, 5); break;
	case 1: add_raw_frame(SX_GSS_MTYP_PROT, "x", 1); break;
	case 2: add((uint8_t[]){ 1, 7, 0, 1, 0 }, 5); break;
	case 3: add_raw_frame(SX_GSS_MTYP_DATA, "x", 1); break;
	case 4: add_level(2); N.script[N.slen - 1] ^= 1; break;   /* damaged */
	case 5: add_wrapped(SX_GSS_MTYP_PROT, 0, "\x02\x02", 2); break;
	case 6: add_level(3); break;
	case 7: add_wrapped(SX_GSS_MTYP_DATA, 0, r, 10); break;
	case 8: add_wrapped(SX_GSS_MTYP_DATA, 1, r, 11); break;
	case 9: /* a token of the maximum size that is not the one expected */
		memset(big, 'A', sizeof(big));
		add_raw_frame(SX_GSS_MTYP_AUTH, big, sizeof(big));
		break;
	case 10: add((uint8_t[]){ 4, 1 }, 2); break;
	}
	rc = run(2000, false);
	expect_failure(rc, t[_i].err, t[_i].why);
	teardown();
}
END_TEST

/* gss_init_sec_context fails on the first call (no context made) or the
 * second (the context of the first deleted): its status in the message,
 * nothing more sent. */
START_TEST(nego_init_fails)
{
	int rc;

	setup(2, -1, 2);
	mock.fail_call = _i + 1;
	add_method(SX_S5_METHOD_GSSAPI);
	add_auth(2);
	rc = run(2000, false);
	expect_failure(rc, EACCES, "authentication to rcmd@localhost failed: "
		       "gss_init_sec_context: mock major 0xd0000; mock minor 7");
	expect_greeting_and_auth(_i);
	expect_end();
	teardown();
}
END_TEST

/* gss_wrap fails on the level message; the proxy does not authenticate
 * itself (no GSS_C_MUTUAL_FLAG). */
START_TEST(nego_wrap_fails_no_mutual)
{
	int rc;

	setup(2, -1, 2);
	if (_i)
		mock.no_mutual = true;
	else
		mock.wrap_fails = true;
	add_method(SX_S5_METHOD_GSSAPI);
	add_auth(2);
	rc = run(2000, false);
	if (_i)
		expect_failure(rc, EACCES, "did not authenticate itself");
	else
		expect_failure(rc, EACCES, "protection level: gss_wrap: mock major "
			       "0xd0000; mock minor 5");
	expect_greeting_and_auth(2);
	expect_end();
	teardown();
}
END_TEST

/* A mechanism that cannot encrypt (gss_wrap's conf_state 0) at level 2:
 * the request must not go out unencrypted. */
START_TEST(nego_request_not_encrypted)
{
	int rc;

	setup(2, -1, 2);
	mock.no_conf = true;
	add_method(SX_S5_METHOD_GSSAPI);
	add_auth(2);
	add_level(2);
	add_reply(2, SX_S5_REP_SUCCEEDED);
	rc = run(2000, false);
	expect_failure(rc, EPROTO, "not encrypted");
	expect_greeting_and_auth(2);
	ck_assert_int_eq(expect_level(), 2);
	expect_end();
	teardown();
}
END_TEST

/* The proxy closes before the method selection, during authentication,
 * at the level (it refuses it, as Dante does), before the reply. */
START_TEST(nego_eof)
{
	static const struct { int err; const char *why; } t[] = {
		{ ECONNABORTED, "method selection" },
		{ ECONNABORTED, "closed the connection during GSS-API authentication" },
		{ EACCES, "when asked for confidentiality" },
		{ ECONNABORTED, "closed the connection" },
	};
	int rc;

	setup(2, -1, 2);
	if (_i >= 1)
		add_method(SX_S5_METHOD_GSSAPI);
	if (_i >= 2)
		add_auth(2);
	if (_i >= 3)
		add_level(2);
	rc = run(2000, true);
	expect_failure(rc, t[_i].err, t[_i].why);
	teardown();
}
END_TEST

/* The proxy says nothing more: the deadline holds. */
START_TEST(nego_timeout)
{
	int64_t t0 = sx_now_ms();
	int rc;

	setup(2, -1, 2);
	add_method(SX_S5_METHOD_GSSAPI);
	rc = run(300, false);
	expect_failure(rc, ETIMEDOUT, "timed out");
	ck_assert_int_lt(sx_now_ms() - t0, 2000);
	teardown();
}
END_TEST

/* The proxy refuses GSS-API, picks a method not offered, or answers the
 * request with an error. */
START_TEST(nego_refused)
{
	int rc;

	setup(2, -1, 2);
	add_method(_i == 0 ? SX_S5_METHOD_REJECT : _i == 1 ? SX_S5_METHOD_NONE :
		   SX_S5_METHOD_GSSAPI);
	if (_i == 2) {
		add_auth(2);
		add_level(2);
		add_reply(2, SX_S5_REP_CONN_REFUSED);
	}
	rc = run(2000, false);
	if (_i == 0)
		expect_failure(rc, EACCES, "does not accept GSS-API");
	else if (_i == 1)
		expect_failure(rc, EPROTO, "method 0x00");
	else
		expect_failure(rc, ECONNREFUSED, "(SOCKS reply 5)");
	teardown();
}
END_TEST

static Suite *nego_suite(void)
{
	Suite *s = suite_create("gss_negotiate");
	TCase *tc = tcase_create("negotiate");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, nego_success, 0, 9);
	tcase_add_test(tc, nego_delegate_principal);
	tcase_add_test(tc, nego_udp_flags);
	tcase_add_loop_test(tc, nego_below_minimum, 0, 3);
	tcase_add_loop_test(tc, nego_abort, 0, 3);
	tcase_add_loop_test(tc, nego_malformed, 0, 11);
	tcase_add_loop_test(tc, nego_init_fails, 0, 2);
	tcase_add_loop_test(tc, nego_wrap_fails_no_mutual, 0, 2);
	tcase_add_test(tc, nego_request_not_encrypted);
	tcase_add_loop_test(tc, nego_eof, 0, 4);
	tcase_add_test(tc, nego_timeout);
	tcase_add_loop_test(tc, nego_refused, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mock_unit_main(nego_suite());
}
