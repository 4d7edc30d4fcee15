/*
 * test_routes.c - chains and failover in src/client (chain.c, proxy.c:
 * sx_conn_begin / sx_conn_finish), against scripted proxies on loopback
 * listeners (script_peer.h); no root, no real server, nothing leaves
 * 127.0.0.1 (10.1.2.3 is only named in the requests).
 *
 * The configuration is read once per process, so main() opens the
 * listeners and writes it before any test runs:
 *   route 0: socks5://127.0.0.1:P1 -> socks5://bob:pw@127.0.0.1:P2 (a chain)
 *   route 1: socks4://tester@127.0.0.1:P3
 *   route 2: socks5://127.0.0.1:P4
 * with failover_downtime DOWN_MS; a test that marks a route down waits it
 * out at its end (the tests also run in one process: CK_FORK=no).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "script_peer.h"
#include "socksify/client.h"

#define DOWN_MS 400

static int L1, L2, L3, L4;
static uint16_t P1, P2, P3, P4;
static char conf_path[64], log_path[64];

/* hop 1 (no auth) asked to CONNECT to hop 2 at 127.0.0.1:P2 */
#define HOP1_GREET  EXPECT(0x05, 0x01, 0x00), SEND(0x05, 0x00)
#define HOP1_TO_P2  EXPECT_BUF(hop2_req, sizeof(hop2_req))
#define S5_OK       SEND(0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0)
/* hop 2 through hop 1: bob/pw, then the destination 10.1.2.3:80 */
#define HOP2_AUTH   EXPECT(0x05, 0x02, 0x00, 0x02), SEND(0x05, 0x02), \
		    EXPECT(0x01, 3, 'b', 'o', 'b', 2, 'p', 'w')
#define DEST_REQ    EXPECT(0x05, 0x01, 0x00, 0x01, 10, 1, 2, 3, 0x00, 0x50)
#define S4_REQ      EXPECT(0x04, 0x01, 0x00, 0x50, 10, 1, 2, 3, 't', 'e', \
			   's', 't', 'e', 'r', 0x00)
#define S4_OK       SEND(0x00, 0x5a, 0, 0, 0, 0, 0, 0)

static uint8_t hop2_req[10];

struct conn {
	struct sx_conn c;
	int fd, rc;
};

/* One connect to 10.1.2.3:80 through the configured routes. */
static void connect_dest(struct conn *k)
{
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(80) };

	d.sin_addr.s_addr = htonl(0x0a010203);
	k->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(k->fd, 0);
	k->rc = sx_conn_begin(&k->c, k->fd, (struct sockaddr *)&d, sizeof(d));
	if (k->rc == 0)
		k->rc = sx_conn_finish(&k->c, k->fd);
}

static void join_ok(struct peer *p)
{
	ck_assert_msg(peer_join(p) < 0, "script: %s", p->why);
}

static void assert_has(const char *s, const char *part)
{
	ck_assert_msg(strstr(s, part), "'%s' lacks '%s'", s, part);
}

/* Nobody connected to these listeners. */
static void assert_untouched(int a, int b)
{
	usleep(50 * 1000);
	ck_assert(!peer_pending(a));
	ck_assert(!peer_pending(b));
}

/* The chain: hop 1 carries hop 2's handshake, then the program's bytes. */
START_TEST(chain_ok)
{
	const struct step s[] = { HOP1_GREET, HOP1_TO_P2, S5_OK, HOP2_AUTH,
		SEND(0x01, 0x00), DEST_REQ, S5_OK, EXPECT('h', 'i'), END() };
	struct peer p;
	struct conn k;

	peer_accept(&p, L1, s);
	connect_dest(&k);
	ck_assert_msg(k.rc == 0, "%s", k.c.f.why);
	ck_assert_int_eq(k.c.route, 0);
	ck_assert_int_eq(write(k.fd, "hi", 2), 2);
	join_ok(&p);
	close(k.fd);
	assert_untouched(L3, L4);
}
END_TEST

/* Hop 2 rejects the password: route 0 is down, route 1 carries the
 * connection; the next connection starts at route 1 while route 0 is
 * down, and route 0 is never touched. */
START_TEST(failover_auth)
{
	const struct step s1[] = { HOP1_GREET, HOP1_TO_P2, S5_OK, HOP2_AUTH,
				   SEND(0x01, 0x01), END() };
	const struct step s3[] = { S4_REQ, S4_OK, END() };
	struct peer p1, p3;
	struct conn k;

	peer_accept(&p1, L1, s1);
	peer_accept(&p3, L3, s3);
	connect_dest(&k);
	ck_assert_msg(k.rc == 0, "%s", k.c.f.why);
	ck_assert_int_eq(k.c.route, 1);
	assert_has(k.c.trail, "via ");
	assert_has(k.c.trail, "authentication failed");
	join_ok(&p1);
	join_ok(&p3);
	close(k.fd);

	peer_accept(&p3, L3, s3);
	connect_dest(&k);
	ck_assert_msg(k.rc == 0, "%s", k.c.f.why);
	ck_assert_int_eq(k.c.route, 1);
	join_ok(&p3);
	close(k.fd);
	assert_untouched(L1, L4);
	usleep(DOWN_MS * 1000);
}
END_TEST

/* Hop 1 refuses to reach hop 2: the message names both; failover. */
START_TEST(failover_hop_refused)
{
	const struct step s1[] = { HOP1_GREET, HOP1_TO_P2,
		SEND(0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0), END() };
	const struct step s3[] = { S4_REQ, S4_OK, END() };
	struct peer p1, p3;
	struct conn k;
	char refused[64];

	snprintf(refused, sizeof(refused), "127.0.0.1:%u refused by "
		 "127.0.0.1:%u", P2, P1);
	peer_accept(&p1, L1, s1);
	peer_accept(&p3, L3, s3);
	connect_dest(&k);
	ck_assert_msg(k.rc == 0, "%s", k.c.f.why);
	ck_assert_int_eq(k.c.route, 1);
	assert_has(k.c.trail, refused);
	join_ok(&p1);
	join_ok(&p3);
	close(k.fd);
	usleep(DOWN_MS * 1000);
}
END_TEST

/* The exit refuses the destination (SOCKS 5 reply 5): no other route
 * would reach it better, so none is tried. */
START_TEST(destination_refused)
{
	const struct step s1[] = { HOP1_GREET, HOP1_TO_P2, S5_OK, HOP2_AUTH,
		SEND(0x01, 0x00), DEST_REQ,
		SEND(0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0), END() };
	struct peer p1;
	struct conn k;

	peer_accept(&p1, L1, s1);
	connect_dest(&k);
	ck_assert_int_eq(k.rc, -1);
	ck_assert_int_eq(k.c.f.err, ECONNREFUSED);
	assert_has(k.c.f.why, "(SOCKS reply 5)");
	join_ok(&p1);
	close(k.fd);
	assert_untouched(L3, L4);
}
END_TEST

/* Every route fails, each its own way: one trail names them all, and
 * the socket is left unconnected. */
START_TEST(all_routes_fail)
{
	const struct step s1[] = { EXPECT(0x05, 0x01, 0x00), CLOSE(), END() };
	const struct step s3[] = { S4_REQ, CLOSE(), END() };
	const struct step s4[] = { EXPECT(0x05, 0x01, 0x00), SEND(0x05, 0x00),
		DEST_REQ, SEND(0x05, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0), END() };
	struct peer p1, p3, p4;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	struct conn k;

	peer_accept(&p1, L1, s1);
	peer_accept(&p3, L3, s3);
	peer_accept(&p4, L4, s4);
	connect_dest(&k);
	ck_assert_int_eq(k.rc, -1);
	assert_has(k.c.trail, "closed the connection during the method selection");
	assert_has(k.c.trail, "; next route");
	assert_has(k.c.trail, "closed the connection during the reply");
	assert_has(k.c.trail, "general SOCKS server failure");
	ck_assert_int_eq(getpeername(k.fd, (struct sockaddr *)&peer, &plen), -1);
	join_ok(&p1);
	join_ok(&p3);
	join_ok(&p4);
	close(k.fd);
	usleep(DOWN_MS * 1000);
}
END_TEST

/* sx_conn_begin on a socket whose own state refuses a connect: errno as
 * the kernel gives the program's own connect(), no line, no proxy asked,
 * no route marked down, and the socket left as it was. */
static void assert_state_refusal(int fd, int err)
{
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct sx_conn c;

	d.sin_addr.s_addr = htonl(0x0a010203);
	ck_assert_int_eq(sx_conn_begin(&c, fd, (struct sockaddr *)&d,
				       sizeof(d)), -1);
	ck_assert(c.sock_state);
	ck_assert_int_eq(c.f.err, err);
	ck_assert(!c.tried);
	errno = 0;
	ck_assert_int_eq(sx_conn_report(&c, -1), -1);
	ck_assert_int_eq(errno, err);
	assert_untouched(L1, L3);
}

/* Connected already (directly, to a listener): EISCONN, still connected. */
START_TEST(connected_socket)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(P2) };
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_state_refusal(fd, EISCONN);
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_int_eq(((struct sockaddr_in *)&peer)->sin_port, htons(P2));
	close(fd);
	close(accept(L2, NULL, NULL));
}
END_TEST

/* Connecting by itself (non-blocking, to a listener whose queue is full,
 * so its SYN goes unanswered): EALREADY, and its own connect goes on. */
START_TEST(connecting_socket)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), f1, f2;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 0), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	f1 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(f1, (struct sockaddr *)&a, sizeof(a)), 0);
	f2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(connect(f2, (struct sockaddr *)&a, sizeof(a)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	assert_state_refusal(f2, EALREADY);
	ck_assert_int_eq(connect(f2, (struct sockaddr *)&a, sizeof(a)), -1);
	ck_assert_int_eq(errno, EALREADY);
	close(f2);
	close(f1);
	close(l);
}
END_TEST

static Suite *routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("routes");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, chain_ok);
	tcase_add_test(tc, failover_auth);
	tcase_add_test(tc, failover_hop_refused);
	tcase_add_test(tc, destination_refused);
	tcase_add_test(tc, all_routes_fail);
	tcase_add_test(tc, connected_socket);
	tcase_add_test(tc, connecting_socket);
	suite_add_tcase(s, tc);
	return s;
}

static void setup_config(void)
{
	FILE *f;
	int fd;

	L1 = peer_listener(&P1);
	L2 = peer_listener(&P2);    /* only its port is used: hop 2's address */
	L3 = peer_listener(&P3);
	L4 = peer_listener(&P4);
	if (L1 < 0 || L2 < 0 || L3 < 0 || L4 < 0)
		abort();
	memcpy(hop2_req, (uint8_t[]){ 0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1,
				      (uint8_t)(P2 >> 8), (uint8_t)P2 }, 10);
	snprintf(conf_path, sizeof(conf_path), "/tmp/sx-unit-routes-XXXXXX");
	snprintf(log_path, sizeof(log_path), "/tmp/sx-unit-routes-log-XXXXXX");
	fd = mkstemp(conf_path);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		abort();
	fprintf(f, "proxy socks5://127.0.0.1:%u socks5://bob:pw@127.0.0.1:%u\n"
		"fallback socks4://tester@127.0.0.1:%u\n"
		"fallback socks5://127.0.0.1:%u\n"
		"failover_downtime %dms\nconnect_timeout 2s\nhandshake_timeout 2s\n"
		/* the scripts are the program's handshakes alone: no
		 * pipelining probe beside them (pipelining auto) */
		"pipelining off\n",
		P1, P2, P3, P4, DOWN_MS);
	fclose(f);
	fd = mkstemp(log_path);
	if (fd < 0)
		abort();
	close(fd);
	setenv("SOCKSIFY_CONF", conf_path, 1);
	setenv("SOCKSIFY_LOG", log_path, 1);
	setenv("SOCKSIFY_DEBUG", "error", 1);
	setenv("HOME", "/nonexistent", 1);
	unsetenv("SOCKSIFY_PROXY");
	unsetenv("SOCKSIFY_QUIET");
}

int main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	setup_config();
	sr = srunner_create(routes_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(conf_path);
	unlink(log_path);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
