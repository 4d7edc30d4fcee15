/*
 * test_handshake.c - the SOCKS 5 and SOCKS 4/4a handshakes of src/client
 * (sx_socks5_handshake, sx_socks4_handshake: methods, username/password,
 * pipelining, replies, malformed answers, closes, deadlines), each against
 * a scripted proxy on the other end of a socketpair (script_peer.h).
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "script_peer.h"
#include "socksify/client.h"

#define GREET_NONE     EXPECT(0x05, 0x01, 0x00)
#define GREET_BOTH     EXPECT(0x05, 0x02, 0x00, 0x02)
/* CONNECT 10.1.2.3:80 */
#define REQ_V4         EXPECT(0x05, 0x01, 0x00, 0x01, 10, 1, 2, 3, 0x00, 0x50)
/* succeeded, bound 192.0.2.7:8080 */
#define REPLY_OK       SEND(0x05, 0x00, 0x00, 0x01, 192, 0, 2, 7, 0x1f, 0x90)
#define AUTH_ALICE     EXPECT(0x01, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', \
			      'c', 'r', 'e', 't')

static struct sx_proxy proxy(enum sx_proxy_type type, const char *user,
			     const char *pass)
{
	struct sx_proxy p;

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.port = 1080;
	snprintf(p.host, sizeof(p.host), "127.0.0.1");
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.pass, sizeof(p.pass), "%s", pass);
	return p;
}

static struct sx_addr dst_v4(void)
{
	struct sx_addr a = { .atyp = SX_ATYP_IPV4, .port = 80 };

	memcpy(a.u.v4, (uint8_t[]){ 10, 1, 2, 3 }, 4);
	return a;
}

static struct sx_addr dst_name(const char *name)
{
	struct sx_addr a = { .atyp = SX_ATYP_NAME, .port = 443 };

	a.namelen = (uint8_t)strlen(name);
	memcpy(a.u.name, name, a.namelen + 1);
	return a;
}

struct run {
	int rc;
	struct sx_failure f;
	struct sx_s5_reply reply;
	struct sx_addr bound;
};

/* One handshake against the script; the script must have passed. */
static struct run handshake(const struct sx_proxy *p, const struct sx_addr *dst,
			    const struct step *steps, int ms)
{
	struct run r;
	struct peer peer;
	int sv[2];

	memset(&r, 0, sizeof(r));
	peer_socketpair(sv);
	peer_start(&peer, sv[1], steps);
	if (p->type == SX_PROXY_SOCKS5)
		r.rc = sx_socks5_handshake(sv[0], p, SX_S5_CMD_CONNECT, dst,
					   &r.reply, sx_now_ms() + ms, &r.f);
	else
		r.rc = sx_socks4_handshake(sv[0], p, SX_S4_CMD_CONNECT, dst,
					   &r.bound, sx_now_ms() + ms, &r.f);
	close(sv[0]);
	ck_assert_msg(peer_join(&peer) < 0, "script: %s", peer.why);
	return r;
}

static void assert_fails(const struct run *r, int err, const char *text)
{
	ck_assert_int_eq(r->rc, -1);
	ck_assert_msg(r->f.err == err, "errno %d (%s), expected %d: %s",
		      r->f.err, strerror(r->f.err), err, r->f.why);
	ck_assert_msg(strstr(r->f.why, text), "'%s' lacks '%s'", r->f.why, text);
}

/* ---- SOCKS 5 ------------------------------------------------------------ */

START_TEST(s5_no_auth)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "", "");
	struct sx_addr d = dst_v4();
	const struct step s[] = { GREET_NONE, SEND(0x05, 0x00), REQ_V4,
				  REPLY_OK, END() };
	struct run r = handshake(&p, &d, s, 2000);

	ck_assert_msg(r.rc == 0, "%s", r.f.why);
	ck_assert_int_eq(r.reply.rep, 0);
	ck_assert_int_eq(r.reply.bound.atyp, SX_ATYP_IPV4);
	ck_assert_int_eq(r.reply.bound.port, 8080);
	ck_assert_mem_eq(r.reply.bound.u.v4, ((uint8_t[]){ 192, 0, 2, 7 }), 4);
}
END_TEST

START_TEST(s5_name_destination)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "", "");
	struct sx_addr d = dst_name("www.example.test");
	const struct step s[] = {
		GREET_NONE, SEND(0x05, 0x00),
		EXPECT(0x05, 0x01, 0x00, 0x03, 16, 'w', 'w', 'w', '.', 'e', 'x',
		       'a', 'm', 'p', 'l', 'e', '.', 't', 'e', 's', 't', 0x01, 0xbb),
		/* a reply with a name as BND.ADDR */
		SEND(0x05, 0x00, 0x00, 0x03, 3, 'b', 'n', 'd', 0x00, 0x07), END() };
	struct run r = handshake(&p, &d, s, 2000);

	ck_assert_msg(r.rc == 0, "%s", r.f.why);
	ck_assert_int_eq(r.reply.bound.atyp, SX_ATYP_NAME);
	ck_assert_str_eq(r.reply.bound.u.name, "bnd");
	ck_assert_int_eq(r.reply.bound.port, 7);
}
END_TEST

START_TEST(s5_userpass)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "alice", "secret");
	struct sx_addr d = dst_v4();
	const struct step s[] = { GREET_BOTH, SEND(0x05, 0x02), AUTH_ALICE,
				  SEND(0x01, 0x00), REQ_V4, REPLY_OK, END() };
	struct run r = handshake(&p, &d, s, 2000);

	ck_assert_msg(r.rc == 0, "%s", r.f.why);
}
END_TEST

/* Credentials configured, the proxy wants none: none it is. */
START_TEST(s5_userpass_not_needed)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "alice", "secret");
	struct sx_addr d = dst_v4();
	const struct step s[] = { GREET_BOTH, SEND(0x05, 0x00), REQ_V4,
				  REPLY_OK, END() };
	struct run r = handshake(&p, &d, s, 2000);

	ck_assert_msg(r.rc == 0, "%s", r.f.why);
}
END_TEST

START_TEST(s5_userpass_rejected)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "alice", "secret");
	struct sx_addr d = dst_v4();
	const struct step s[] = { GREET_BOTH, SEND(0x05, 0x02), AUTH_ALICE,
				  SEND(0x01, 0x01), END() };
	struct run r = handshake(&p, &d, s, 2000);

	assert_fails(&r, EACCES, "authentication failed");
	ck_assert(strstr(r.f.why, "'alice'"));
	ck_assert(!strstr(r.f.why, "secret"));
}
END_TEST

/* Loop: 0 the proxy wants credentials we do not have, 1 it accepts none
 * of ours, 2 it picks a method we did not offer (GSS-API). */
START_TEST(s5_method_refused)
{
	static const char *text[] = { "requires authentication",
		"accepted none of our", "which we did not offer" };
	static const int err[] = { EACCES, EACCES, EPROTO };
	const uint8_t choice[] = { 0xff, 0xff, 0x01 };
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, _i == 1 ? "alice" : "",
				  _i == 1 ? "secret" : "");
	struct sx_addr d = dst_v4();
	const struct step s[] = {
		_i == 1 ? (struct step)GREET_BOTH : (struct step)GREET_NONE,
		SEND_BUF(((const uint8_t[]){ 0x05, choice[_i] }), 2), END() };
	struct run r = handshake(&p, &d, s, 2000);

	assert_fails(&r, err[_i], text[_i]);
}
END_TEST

/* Every reply code 1-8: its errno and its name in the message. */
START_TEST(s5_reply_codes)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "", "");
	struct sx_addr d = dst_v4();
	const uint8_t rep = (uint8_t)_i;
	const struct step s[] = { GREET_NONE, SEND(0x05, 0x00), REQ_V4,
		SEND_BUF(((const uint8_t[]){ 0x05, rep, 0x00, 0x01, 0, 0, 0, 0,
					     0, 0 }), 10), END() };
	struct run r = handshake(&p, &d, s, 2000);
	char text[32];

	snprintf(text, sizeof(text), "(SOCKS reply %d)", _i);
	assert_fails(&r, sx_s5_rep_errno(rep), text);
	ck_assert_int_eq(r.reply.rep, rep);
}
END_TEST

/* Malformed answers: EPROTO, "malformed", and the parser's reason. */
START_TEST(s5_malformed)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "", "");
	struct sx_addr d = dst_v4();
	const struct step bad_method[] = { GREET_NONE, SEND(0x04, 0x00), END() };
	const struct step bad_reply[] = { GREET_NONE, SEND(0x05, 0x00), REQ_V4,
		SEND(0x05, 0x00, 0x00, 0x09, 1, 2, 3, 4, 0, 80), END() };
	const struct step *s = _i == 0 ? bad_method : bad_reply;
	struct run r = handshake(&p, &d, s, 2000);

	assert_fails(&r, EPROTO, _i == 0 ? "malformed method selection from "
		     "proxy" : "malformed reply from proxy");
	ck_assert_msg(strstr(r.f.why, sx_perr_str(_i == 0 ? SX_PERR_VERSION :
						   SX_PERR_ATYP)), "%s", r.f.why);
}
END_TEST

/* The proxy closes: after the greeting, after the request. */
START_TEST(s5_closed)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "", "");
	struct sx_addr d = dst_v4();
	const struct step early[] = { GREET_NONE, CLOSE(), END() };
	const struct step late[] = { GREET_NONE, SEND(0x05, 0x00), REQ_V4,
				     SEND(0x05, 0x00), CLOSE(), END() };
	struct run r = handshake(&p, &d, _i == 0 ? early : late, 2000);

	assert_fails(&r, ECONNABORTED, _i == 0 ? "closed the connection during "
		     "the method selection" : "closed the connection during "
		     "the reply");
}
END_TEST

/* A silent proxy: the deadline ends the handshake, not the peer. */
START_TEST(s5_deadline)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "", "");
	struct sx_addr d = dst_v4();
	const struct step s[] = { GREET_NONE, STALL(), END() };
	int64_t t0 = sx_now_ms();
	struct run r = handshake(&p, &d, s, 300);
	int64_t took = sx_now_ms() - t0;

	assert_fails(&r, ETIMEDOUT, "handshake timed out (method selection)");
	ck_assert_msg(took >= 280 && took < 3000, "took %lld ms", (long long)took);
}
END_TEST

/* Pipelining: greeting, credentials and request in one write. */
START_TEST(s5_pipelined)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "alice", "secret");
	struct sx_addr d = dst_v4();
	const struct step s[] = {
		EXPECT(0x05, 0x01, 0x02), AUTH_ALICE, REQ_V4,
		SEND(0x05, 0x02, 0x01, 0x00), REPLY_OK, END() };
	struct run r;

	p.pipelining = SX_PIPE_ON;
	r = handshake(&p, &d, s, 2000);
	ck_assert_msg(r.rc == 0, "%s", r.f.why);
}
END_TEST

/* Pipelining, and the proxy closes without a method (ssh -D's way). */
START_TEST(s5_pipelined_closed)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS5, "alice", "secret");
	struct sx_addr d = dst_v4();
	const struct step s[] = { EXPECT(0x05, 0x01, 0x02), AUTH_ALICE, REQ_V4,
				  CLOSE(), END() };
	struct run r;

	p.pipelining = SX_PIPE_ON;
	r = handshake(&p, &d, s, 2000);
	assert_fails(&r, ECONNABORTED, "set pipelining off");
}
END_TEST

/* ---- SOCKS 4 and 4a ----------------------------------------------------- */

#define S4_GRANTED SEND(0x00, 0x5a, 0x1f, 0x90, 192, 0, 2, 7)

START_TEST(s4_connect)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS4, "tester", "");
	struct sx_addr d = dst_v4();
	const struct step s[] = {
		EXPECT(0x04, 0x01, 0x00, 0x50, 10, 1, 2, 3, 't', 'e', 's', 't',
		       'e', 'r', 0x00), S4_GRANTED, END() };
	struct run r = handshake(&p, &d, s, 2000);

	ck_assert_msg(r.rc == 0, "%s", r.f.why);
	ck_assert_int_eq(r.bound.port, 8080);
	ck_assert_mem_eq(r.bound.u.v4, ((uint8_t[]){ 192, 0, 2, 7 }), 4);
}
END_TEST

START_TEST(s4a_name)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS4A, "tester", "");
	struct sx_addr d = dst_name("db.test");
	const struct step s[] = {
		EXPECT(0x04, 0x01, 0x01, 0xbb, 0, 0, 0, 1, 't', 'e', 's', 't',
		       'e', 'r', 0x00, 'd', 'b', '.', 't', 'e', 's', 't', 0x00),
		S4_GRANTED, END() };
	struct run r = handshake(&p, &d, s, 2000);

	ck_assert_msg(r.rc == 0, "%s", r.f.why);
}
END_TEST

/* Loop: 0x5b rejected, 0x5c no identd, 0x5d identd mismatch. */
START_TEST(s4_refused)
{
	const uint8_t code = (uint8_t)(0x5b + _i);
	struct sx_proxy p = proxy(SX_PROXY_SOCKS4, "tester", "");
	struct sx_addr d = dst_v4();
	const struct step s[] = {
		EXPECT(0x04, 0x01, 0x00, 0x50, 10, 1, 2, 3, 't', 'e', 's', 't',
		       'e', 'r', 0x00),
		SEND_BUF(((const uint8_t[]){ 0, code, 0, 0, 0, 0, 0, 0 }), 8),
		END() };
	struct run r = handshake(&p, &d, s, 2000);
	char text[32];

	snprintf(text, sizeof(text), "(SOCKS 4 reply 0x%02x)", code);
	assert_fails(&r, sx_s4_rep_errno(code), text);
}
END_TEST

START_TEST(s4_malformed)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS4, "tester", "");
	struct sx_addr d = dst_v4();
	const struct step s[] = {
		EXPECT(0x04, 0x01, 0x00, 0x50, 10, 1, 2, 3, 't', 'e', 's', 't',
		       'e', 'r', 0x00),
		SEND(0x05, 0x00, 0, 0, 0, 0, 0, 0), END() };   /* not SOCKS 4 */
	struct run r = handshake(&p, &d, s, 2000);

	assert_fails(&r, EPROTO, "malformed reply from proxy");
}
END_TEST

/* What SOCKS 4 cannot carry fails before a byte is sent. */
START_TEST(s4_cannot_carry)
{
	struct sx_proxy p = proxy(SX_PROXY_SOCKS4, "tester", "");
	struct sx_addr v6 = { .atyp = SX_ATYP_IPV6, .port = 80 };
	struct sx_addr name = dst_name("db.test");
	const struct step none[] = { END() };
	struct run r = handshake(&p, _i == 0 ? &v6 : &name, none, 2000);

	assert_fails(&r, EAFNOSUPPORT, _i == 0 ? "IPv4 destinations only" :
		     "cannot carry a host name");
}
END_TEST

static Suite *handshake_suite(void)
{
	Suite *s = suite_create("handshake");
	TCase *t5 = tcase_create("socks5"), *t4 = tcase_create("socks4");

	tcase_set_timeout(t5, 20);
	tcase_set_timeout(t4, 20);
	tcase_add_test(t5, s5_no_auth);
	tcase_add_test(t5, s5_name_destination);
	tcase_add_test(t5, s5_userpass);
	tcase_add_test(t5, s5_userpass_not_needed);
	tcase_add_test(t5, s5_userpass_rejected);
	tcase_add_loop_test(t5, s5_method_refused, 0, 3);
	tcase_add_loop_test(t5, s5_reply_codes, 1, 9);
	tcase_add_loop_test(t5, s5_malformed, 0, 2);
	tcase_add_loop_test(t5, s5_closed, 0, 2);
	tcase_add_test(t5, s5_deadline);
	tcase_add_test(t5, s5_pipelined);
	tcase_add_test(t5, s5_pipelined_closed);
	tcase_add_test(t4, s4_connect);
	tcase_add_test(t4, s4a_name);
	tcase_add_loop_test(t4, s4_refused, 0, 3);
	tcase_add_test(t4, s4_malformed);
	tcase_add_loop_test(t4, s4_cannot_carry, 0, 2);
	suite_add_tcase(s, t5);
	suite_add_tcase(s, t4);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(handshake_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
