/*
 * test_gss_send.c - the sending half of the protected data path of a
 * GSS-API socket (src/client/gss_io.c), with the mock GSS-API table of
 * gss_mock.c; the test plays the proxy on the other end of a socketpair
 * (gss_peer.c) and unwraps every frame with its own mock context.
 *
 * Large writes split into frames whose tokens fit what wrap_size_limit
 * allows (100 bytes; the real 65535, LEN ff ff; the fallback when it
 * fails), writev/sendmsg gathering, non-blocking sends that fill the
 * socket, gss_wrap errors, sendfile; both directions at once from threads.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gss_mock.h"
#include "socksify/runtime.h"

/* 10000 bytes with tokens of at most 100 bytes: 109 frames of 92 bytes
 * (the last shorter); the plaintext is visible in integrity frames only. */
START_TEST(send_split_small_limit)
{
	size_t n = 10000;
	uint8_t *in = malloc(n), *wire = malloc(2 * n);
	struct collect c = { .plain = malloc(n), .want = n, .wire = wire,
			     .wirecap = 2 * n };

	open_pair(_i ? 2 : 1, 100);
	fill(in, n, 0, 1);
	ck_assert_int_eq(sx_gss_send(P.c, in, n, 0), (ssize_t)n);
	collect(&c);
	collect_check(&c, in);
	ck_assert_uint_eq(c.frames, (n + 91) / 92);
	ck_assert_uint_eq(c.maxtok, 100);
	for (size_t off = 0; off + 32 <= n; off += 997)     /* inside a frame */
		if (off % 92 + 32 <= 92)
			ck_assert((memmem(wire, c.wirelen, in + off, 32) != NULL) ==
				  (P.level == 1));
	close_pair();
	free(in);
	free(wire);
	free(c.plain);
}
END_TEST

/* The real limit: tokens of exactly 65535 bytes (LEN ff ff), plaintext
 * 65527 each; and the fallback when gss_wrap_size_limit fails. */
START_TEST(send_max_size_frames)
{
	size_t n = 300000, per = _i ? SX_GSS_MAXTOKEN - 1024 : MAXPLAIN;
	uint8_t *in = malloc(n);
	struct collect c = { .plain = malloc(n), .want = n };
	pthread_t t;

	open_pair(2, SX_GSS_MAXTOKEN);
	mock.limit_fails = _i;
	sx_gss_close(P.c);      /* attach again: the limit is read there */
	ck_assert_int_eq(sx_gss_attach(P.c, &mock_api, mock_ctx_new(), 2), 0);
	fill(in, n, 0, 2);
	ck_assert_int_eq(pthread_create(&t, NULL, collect, &c), 0);
	ck_assert_int_eq(sx_gss_send(P.c, in, n, 0), (ssize_t)n);
	pthread_join(t, NULL);
	collect_check(&c, in);
	ck_assert_uint_eq(c.frames, (n + per - 1) / per);
	ck_assert_uint_eq(c.maxtok, per + MOCK_OVERHEAD);
	ck_assert_uint_eq(c.nmax, n / per);
	close_pair();
	free(in);
	free(c.plain);
}
END_TEST

/* writev and sendmsg: frames cut across iovecs and iovecs across frames. */
START_TEST(send_gather_iovecs)
{
	static const size_t lens[] = { 7, 0, 150, 1, 300, 92, 42 };
	struct iovec iov[7];
	size_t total = 0;
	uint8_t *in = malloc(1000);
	struct collect c = { .plain = malloc(1000) };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 7 };

	open_pair(2, 100);
	for (int i = 0; i < 7; i++) {
		iov[i].iov_base = in + total;
		iov[i].iov_len = lens[i];
		total += lens[i];
	}
	fill(in, total, 0, 3);
	c.want = total;
	ck_assert_int_eq(_i ? sx_gss_sendmsg(P.c, &m, 0) : sx_gss_writev(P.c, iov, 7),
			 (ssize_t)total);
	collect(&c);
	collect_check(&c, in);
	ck_assert_uint_eq(c.frames, (total + 91) / 92);
	ck_assert_int_eq(sx_gss_writev(P.c, iov, 0), 0);
	ck_assert_int_eq(sx_gss_writev(P.c, iov, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	close_pair();
	free(in);
	free(c.plain);
}
END_TEST

/* A frame is sent whole or not at all: a non-blocking socket that fills
 * up returns a count of whole frames, then EAGAIN (not sticky). */
START_TEST(send_nonblocking_full)
{
	uint8_t *in = malloc(1 << 20), *more = (uint8_t *)"after the drain";
	size_t sent = 0;
	int sb = 4096, partial = 0, i;
	ssize_t r = 0;
	struct collect c = { .plain = malloc(1 << 20) };

	open_pair(1, 100);
	ck_assert_int_eq(setsockopt(P.c, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb)), 0);
	set_nonblock(P.c, true);
	fill(in, 1 << 20, 0, 4);
	for (i = 0; i < 1000 && sent + 1000 <= (1 << 20); i++) {
		r = sx_gss_send(P.c, in + sent, 1000, 0);
		if (r < 0)
			break;
		ck_assert_int_gt(r, 0);
		if (r < 1000) {
			ck_assert_int_eq(r % 92, 0);    /* whole frames */
			partial++;
		}
		sent += (size_t)r;
	}
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_gt(sent, 0);
	c.want = sent;
	collect(&c);
	collect_check(&c, in);
	ck_assert_int_eq(sx_gss_send(P.c, more, 15, 0), 15);
	c.want = 15;
	c.frames = 0;
	collect(&c);
	collect_check(&c, more);
	close_pair();
	free(in);
	free(c.plain);
}
END_TEST

/* gss_wrap failing, a token longer than a message holds, a token not
 * encrypted at level 2 (conf_state 0): an error, nothing on the wire, and
 * the send side stays broken. */
START_TEST(send_errors)
{
	size_t n = 70000;
	uint8_t *in = calloc(1, n);

	open_pair(2, SX_GSS_MAXTOKEN);
	if (_i == 0) {
		mock.limit_lies = true;
		sx_gss_close(P.c);
		ck_assert_int_eq(sx_gss_attach(P.c, &mock_api, mock_ctx_new(), 2), 0);
	} else if (_i == 1) {
		mock.wrap_fails = true;
	} else {
		mock.no_conf = true;
	}
	ck_assert_int_eq(sx_gss_send(P.c, in, n, 0), -1);
	ck_assert_int_eq(errno, _i ? EPROTO : EMSGSIZE);
	ck_assert(!readable(P.s));
	mock.wrap_fails = false;
	ck_assert_int_eq(sx_gss_send(P.c, in, 10, 0), -1);
	ck_assert_int_eq(errno, _i ? EPROTO : EMSGSIZE);
	ck_assert(!readable(P.s));
	if (_i == 2)
		ck_assert(log_has("not encrypted although confidentiality was agreed"));
	else if (_i)
		ck_assert(log_has("cannot protect data: gss_wrap: mock major 0xd0000; mock minor 5"));
	else
		ck_assert(log_has("more than a message holds"));
	close_pair();
	free(in);
}
END_TEST

/* sendfile from a file into the protected socket, at an offset. */
START_TEST(send_sendfile)
{
	size_t n = 200000;
	uint8_t *in = malloc(n);
	char path[] = "/tmp/sx-unit-gss-file-XXXXXX";
	int fd = mkstemp(path);
	off_t off = 1000;
	struct collect c = { .plain = malloc(n), .want = n - 1000 };
	pthread_t t;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	fill(in, n, 0, 5);
	ck_assert_int_eq(write(fd, in, n), (ssize_t)n);
	open_pair(2, SX_GSS_MAXTOKEN);
	ck_assert_int_eq(pthread_create(&t, NULL, collect, &c), 0);
	ck_assert_int_eq(sx_gss_sendfile(P.c, fd, &off, n - 1000), (ssize_t)(n - 1000));
	pthread_join(t, NULL);
	ck_assert_int_eq(off, (off_t)n);
	collect_check(&c, in + 1000);
	close_pair();
	close(fd);
	free(in);
	free(c.plain);
}
END_TEST

/* Both directions at once: a thread sends, the proxy echoes frame by
 * frame, the main thread reads. */
struct echo {
	size_t n;
	const char *err;
};

static void *echo_server(void *arg)
{
	struct echo *e = arg;
	uint8_t *tok = malloc(SX_GSS_MAXTOKEN + 4), *pl = malloc(SX_GSS_MAXTOKEN);
	size_t done = 0, tl, pn;
	int conf;

	while (!e->err && done < e->n) {
		if (mock_readn(P.s, tok, 4) < 0) {
			e->err = "short header";
			break;
		}
		tl = (size_t)tok[2] << 8 | tok[3];
		if (mock_readn(P.s, tok, tl) < 0)
			e->err = "short token";
		else if (mock_open(&P.srv, tok, tl, pl, &pn, &conf) < 0)
			e->err = "refused token";
		else if (mock_writen(P.s, tok, mock_frame(&P.srv, SX_GSS_MTYP_DATA,
							  conf, pl, pn, tok)) < 0)
			e->err = "echo failed";
		else
			done += pn;
	}
	free(tok);
	free(pl);
	return NULL;
}

static void *send_all(void *arg)
{
	const uint8_t *in = arg;

	for (size_t off = 0; off < 400000; off += 7919)
		if (sx_gss_send(P.c, in + off, off + 7919 > 400000 ? 400000 - off :
				7919, 0) < 0)
			break;
	return NULL;
}

START_TEST(send_full_duplex)
{
	size_t n = 400000, got = 0;
	uint8_t *in = malloc(n), *buf = malloc(n);
	struct echo e = { .n = n };
	pthread_t ts, tw;
	ssize_t r;

	open_pair(2, 1000);
	fill(in, n, 0, 9);
	ck_assert_int_eq(pthread_create(&ts, NULL, echo_server, &e), 0);
	ck_assert_int_eq(pthread_create(&tw, NULL, send_all, in), 0);
	while (got < n && (r = sx_gss_recv(P.c, buf + got, got % 3 ? 5000 : 333, 0)) > 0)
		got += (size_t)r;
	pthread_join(tw, NULL);
	pthread_join(ts, NULL);
	ck_assert_msg(e.err == NULL, "echo: %s", e.err ? e.err : "");
	ck_assert_uint_eq(got, n);
	ck_assert_mem_eq(buf, in, n);
	close_pair();
	free(in);
	free(buf);
}
END_TEST

static Suite *send_suite(void)
{
	Suite *s = suite_create("gss_send");
	TCase *tc = tcase_create("send");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, send_split_small_limit, 0, 2);
	tcase_add_loop_test(tc, send_max_size_frames, 0, 2);
	tcase_add_loop_test(tc, send_gather_iovecs, 0, 2);
	tcase_add_test(tc, send_nonblocking_full);
	tcase_add_loop_test(tc, send_errors, 0, 3);
	tcase_add_test(tc, send_sendfile);
	tcase_add_test(tc, send_full_duplex);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mock_unit_main(send_suite());
}
