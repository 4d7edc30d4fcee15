/*
 * test_gss_client.c - the receiving half of the protected data path of a
 * GSS-API socket (src/client/gss_io.c: sx_gss_recv, readv, recvmsg,
 * sx_gss_pending), with the mock GSS-API table of gss_mock.c; the test
 * plays the proxy on the other end of a socketpair (gss_peer.c).
 *
 * Frames split at every byte (non-blocking: EAGAIN until the last byte of
 * a frame, then its plaintext; blocking, from a thread), several frames in
 * one write read at once, by small reads and with MSG_WAITALL, frames of
 * the maximum size (LEN 65535), MSG_PEEK, readv/recvmsg scatter, EOF at a
 * frame boundary (0) and inside a frame (EPROTO), tokens gss_unwrap
 * refuses, abort and malformed headers, a reader blocked while poll asks
 * sx_gss_pending, a dup'ed descriptor.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gss_mock.h"
#include "socksify/runtime.h"

#define BIG (1 << 20)

/* Write the stream one byte at a time to a non-blocking client: every
 * read is EAGAIN until a frame's last byte, then exactly its plaintext. */
static void bytewise(const size_t *sizes, size_t k)
{
	size_t len, ends[16], off = 0, f = 0;
	uint8_t *plain, *w = srv_stream(sizes, k, &len, &plain, ends);
	uint8_t *buf = malloc(BIG);

	set_nonblock(P.c, true);
	for (size_t j = 0; j < len; j++) {
		ssize_t r;

		ck_assert_int_eq(write(P.s, w + j, 1), 1);
		r = sx_gss_recv(P.c, buf, BIG, 0);
		if (j + 1 == ends[f] && sizes[f] > 0) {
			ck_assert_int_eq(r, (ssize_t)sizes[f]);
			ck_assert_mem_eq(buf, plain + off, sizes[f]);
		} else {
			ck_assert_msg(r == -1 && errno == EAGAIN, "byte %zu: %zd (%s)",
				      j, r, strerror(errno));
		}
		ck_assert(!sx_gss_pending(P.c));
		if (j + 1 == ends[f])
			off += sizes[f++];
	}
	ck_assert_uint_eq(f, k);
	shutdown(P.s, SHUT_WR);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, BIG, 0), 0);
	free(w);
	free(plain);
	free(buf);
}

START_TEST(recv_split_at_every_byte)
{
	static const size_t sizes[] = { 5, 1, 0, 200, 1000, 3, 92 };

	open_pair(_i ? 2 : 1, SX_GSS_MAXTOKEN);
	bytewise(sizes, 7);
	close_pair();
}
END_TEST

/* A frame of the maximum size (LEN ff ff), one byte at a time. */
START_TEST(recv_max_size_frame_bytewise)
{
	static const size_t sizes[] = { MAXPLAIN, 7 };

	open_pair(2, SX_GSS_MAXTOKEN);
	bytewise(sizes, 2);
	close_pair();
}
END_TEST

/* Maximum-size frames arriving in chunks of 1000 to 100000 bytes, read
 * as far as they go after each chunk: frames cut anywhere, the decoder's
 * buffer full, an incomplete frame moved to its front. */
START_TEST(recv_max_size_frames_chunked)
{
	static const size_t sizes[] = { MAXPLAIN, 5, MAXPLAIN, 30000, MAXPLAIN, 1 },
		chunk[] = { 1000, 40000, 65539, 100000 };
	size_t len, total = 0, got = 0;
	uint8_t *plain, *w, *buf = malloc(BIG);
	ssize_t r;

	open_pair(1, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 6, &len, &plain, NULL);
	for (size_t k = 0; k < 6; k++)
		total += sizes[k];
	set_nonblock(P.c, true);
	for (size_t off = 0; off < len; off += chunk[_i]) {
		size_t n = len - off < chunk[_i] ? len - off : chunk[_i];

		ck_assert_int_eq(mock_writen(P.s, w + off, n), 0);
		while ((r = sx_gss_recv(P.c, buf + got, BIG - got, 0)) > 0)
			got += (size_t)r;
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(errno, EAGAIN);
		ck_assert(!readable(P.c));
	}
	ck_assert_uint_eq(got, total);
	ck_assert_mem_eq(buf, plain, total);
	close_pair();
	free(w);
	free(plain);
	free(buf);
}
END_TEST

struct slow_writer {
	const uint8_t *w;
	size_t len;
};

static void *write_bytewise(void *arg)
{
	struct slow_writer *sw = arg;

	for (size_t j = 0; j < sw->len; j++) {
		if (write(P.s, sw->w + j, 1) != 1)
			break;
		if (j % 64 == 0)
			sched_yield();
	}
	shutdown(P.s, SHUT_WR);
	return NULL;
}

/* A blocking client reading with buffers of 1 to 13 bytes, and large
 * ones, while the proxy writes one byte at a time. */
START_TEST(recv_blocking_bytewise_thread)
{
	static const size_t sizes[] = { 300, 1, 4096, MAXPLAIN, 17, 0, 5000 };
	size_t len, got = 0, total = 0, i = 0;
	uint8_t *plain, *w, *buf = malloc(BIG);
	struct slow_writer sw;
	pthread_t t;
	ssize_t r;

	open_pair(2, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 7, &len, &plain, NULL);
	for (size_t k = 0; k < 7; k++)
		total += sizes[k];
	sw.w = w;
	sw.len = len;
	ck_assert_int_eq(pthread_create(&t, NULL, write_bytewise, &sw), 0);
	while ((r = sx_gss_recv(P.c, buf + got, i % 4 == 3 ? BIG - got :
				i % 13 + 1, 0)) > 0) {
		got += (size_t)r;
		i++;
		ck_assert_uint_le(got, total);
	}
	pthread_join(t, NULL);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(got, total);
	ck_assert_mem_eq(buf, plain, total);
	close_pair();
	free(w);
	free(plain);
	free(buf);
}
END_TEST

/* 50 frames (some empty) in one write: read with a large buffer (the
 * socket is drained at the first read and sx_gss_pending says the rest
 * is buffered), with 3-byte reads, with one MSG_WAITALL read. */
START_TEST(recv_many_frames_one_write)
{
	size_t sizes[50], len, total = 0, got = 0, reads = 0;
	uint8_t *plain, *w, *buf = malloc(BIG);
	ssize_t r;

	open_pair(1, SX_GSS_MAXTOKEN);
	for (size_t k = 0; k < 50; k++)
		total += sizes[k] = k * 37 % 500;
	w = srv_stream(sizes, 50, &len, &plain, NULL);
	ck_assert_int_eq(mock_writen(P.s, w, len), 0);
	if (_i == 2) {
		ck_assert_int_eq(sx_gss_recv(P.c, buf, total, MSG_WAITALL), (ssize_t)total);
		got = total;
	}
	while (got < total) {
		r = sx_gss_recv(P.c, buf + got, _i ? 3 : BIG - got, MSG_DONTWAIT);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
		reads++;
		ck_assert(!readable(P.c));      /* all of it read from the socket */
		ck_assert(sx_gss_pending(P.c) == (got < total));
	}
	ck_assert_mem_eq(buf, plain, total);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, BIG, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(!sx_gss_pending(P.c));
	close_pair();
	free(w);
	free(plain);
	free(buf);
}
END_TEST

/* MSG_PEEK does not consume, also across a frame that completes later. */
START_TEST(recv_peek)
{
	static const size_t sizes[] = { 10, 20, 40 };
	size_t len, ends[3], got = 0;
	uint8_t *plain, *w, buf[100], again[100];
	ssize_t r, r2;

	open_pair(2, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 3, &len, &plain, ends);
	ck_assert_int_eq(mock_writen(P.s, w, ends[1]), 0);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, 5, MSG_PEEK), 5);
	ck_assert_mem_eq(buf, plain, 5);
	r = sx_gss_recv(P.c, buf, sizeof(buf), MSG_PEEK);
	ck_assert(r >= 10 && r <= 30);
	ck_assert_mem_eq(buf, plain, (size_t)r);
	ck_assert(sx_gss_pending(P.c));
	r2 = sx_gss_recv(P.c, again, sizeof(again), MSG_PEEK);
	ck_assert_int_eq(r2, r);
	ck_assert_mem_eq(again, plain, (size_t)r);
	while (got < 30) {
		r = sx_gss_recv(P.c, buf + got, sizeof(buf) - got, 0);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
	ck_assert_uint_eq(got, 30);
	ck_assert_mem_eq(buf, plain, 30);
	/* The third frame arrives in two parts. */
	set_nonblock(P.c, true);
	ck_assert_int_eq(mock_writen(P.s, w + ends[1], 9), 0);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), MSG_PEEK), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(mock_writen(P.s, w + ends[1] + 9, len - ends[1] - 9), 0);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), MSG_PEEK), 40);
	ck_assert_int_eq(sx_gss_recv(P.c, again, sizeof(again), 0), 40);
	ck_assert_mem_eq(buf, plain + 30, 40);
	ck_assert_mem_eq(again, plain + 30, 40);
	close_pair();
	free(w);
	free(plain);
}
END_TEST

/* readv and recvmsg scatter into iovecs (one empty); MSG_WAITALL
 * gathers several frames into them. */
START_TEST(recv_scatter)
{
	static const size_t sizes[] = { 10, 20, 30 };
	size_t len, got = 0;
	uint8_t *plain, *w, a[3], c[4], d[100], out[60];
	struct iovec iov[4] = { { a, 3 }, { NULL, 0 }, { c, 4 }, { d, 100 } };
	struct iovec iov2[3];
	uint8_t e[5], f[25], g[20];
	struct msghdr m = { .msg_iov = iov2, .msg_iovlen = 3, .msg_namelen = 99,
			    .msg_flags = 99 };
	ssize_t r;

	open_pair(1, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 3, &len, &plain, NULL);
	ck_assert_int_eq(mock_writen(P.s, w, len), 0);
	r = sx_gss_readv(P.c, iov, 4);
	ck_assert(r >= 8 && r <= 60);
	memcpy(out, a, 3);
	memcpy(out + 3, c, 4);
	memcpy(out + 7, d, (size_t)r - 7);
	ck_assert_mem_eq(out, plain, (size_t)r);
	got = (size_t)r;
	iov2[0] = (struct iovec){ e, 5 };
	iov2[1] = (struct iovec){ f, 25 };
	iov2[2] = (struct iovec){ g, 60 - got - 30 };
	ck_assert_int_eq(sx_gss_recvmsg(P.c, &m, MSG_WAITALL), (ssize_t)(60 - got));
	ck_assert_int_eq(m.msg_namelen, 0);
	ck_assert_int_eq(m.msg_flags, 0);
	memcpy(out, e, 5);
	memcpy(out + 5, f, 25);
	memcpy(out + 30, g, 60 - got - 30);
	ck_assert_mem_eq(out, plain + got, 60 - got);
	ck_assert_int_eq(sx_gss_readv(P.c, iov, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	close_pair();
	free(w);
	free(plain);
}
END_TEST

/* Non-blocking: EAGAIN with nothing, with a header, with half a token;
 * data once the frame completes; MSG_DONTWAIT on a blocking socket. */
START_TEST(recv_nonblocking)
{
	static const size_t sizes[] = { 100, 50 };
	size_t len, ends[2];
	uint8_t *plain, *w, buf[200];

	open_pair(2, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 2, &len, &plain, ends);
	set_nonblock(P.c, true);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(mock_writen(P.s, w, 4), 0);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(!sx_gss_pending(P.c));
	ck_assert_int_eq(mock_writen(P.s, w + 4, 50), 0);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(mock_writen(P.s, w + 54, ends[0] - 54), 0);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), 100);
	ck_assert_mem_eq(buf, plain, 100);
	set_nonblock(P.c, false);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(mock_writen(P.s, w + ends[0], len - ends[0]), 0);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), MSG_DONTWAIT), 50);
	ck_assert_mem_eq(buf, plain + 100, 50);
	close_pair();
	free(w);
	free(plain);
}
END_TEST

/* EOF after the last whole frame: the data, then 0, and 0 again. */
START_TEST(recv_eof_at_boundary)
{
	static const size_t sizes[] = { 10, 20 };
	size_t len, got = 0;
	uint8_t *plain, *w, buf[100];
	ssize_t r;

	open_pair(1, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 2, &len, &plain, NULL);
	ck_assert_int_eq(mock_writen(P.s, w, len), 0);
	shutdown(P.s, SHUT_WR);
	while ((r = sx_gss_recv(P.c, buf + got, sizeof(buf) - got, 0)) > 0)
		got += (size_t)r;
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(got, 30);
	ck_assert_mem_eq(buf, plain, 30);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), 0);
	ck_assert(!log_has("GSS-API"));
	close_pair();
	free(w);
	free(plain);
}
END_TEST

/* EOF inside a frame (after 1, 3, 4, 9 of its bytes): the whole frames
 * before it, then EPROTO, every time, and a log line. */
START_TEST(recv_eof_mid_frame)
{
	static const size_t sizes[] = { 10, 50 }, cut[] = { 1, 3, 4, 9 };
	size_t len, ends[2];
	uint8_t *plain, *w, buf[100];

	open_pair(2, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 2, &len, &plain, ends);
	ck_assert_int_eq(mock_writen(P.s, w, ends[0] + cut[_i]), 0);
	shutdown(P.s, SHUT_WR);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), 10);
	ck_assert_mem_eq(buf, plain, 10);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), -1);
		ck_assert_int_eq(errno, EPROTO);
	}
	ck_assert_int_eq(log_count("closed the connection inside a protected "
				   "message"), 1);     /* one line per socket */
	close_pair();
	free(w);
	free(plain);
}
END_TEST

/* A token gss_unwrap refuses (damaged, replayed, out of sequence): the
 * frames before it, then EPROTO for good, pending (so poll wakes the
 * program up to see the error), the GSS-API status in the log. */
START_TEST(recv_refused_token)
{
	static const size_t sizes[] = { 10, 30, 5 };
	size_t len, ends[3];
	uint8_t *plain, *w, buf[100];

	open_pair(2, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 3, &len, &plain, ends);
	if (_i == 0) {
		w[ends[0] + 4 + MOCK_OVERHEAD + 7] ^= 0x20;     /* damaged */
		ck_assert_int_eq(mock_writen(P.s, w, len), 0);
	} else if (_i == 1) {                           /* replayed */
		ck_assert_int_eq(mock_writen(P.s, w, ends[0]), 0);
		ck_assert_int_eq(mock_writen(P.s, w, ends[0]), 0);
	} else {                                        /* the 2nd skipped */
		ck_assert_int_eq(mock_writen(P.s, w, ends[0]), 0);
		ck_assert_int_eq(mock_writen(P.s, w + ends[1], len - ends[1]), 0);
	}
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), 10);
	ck_assert_mem_eq(buf, plain, 10);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), -1);
		ck_assert_int_eq(errno, EPROTO);
		ck_assert(sx_gss_pending(P.c));
	}
	ck_assert_int_eq(log_count("GSS-API data from the proxy refused: gss_unwrap: "
				   "mock major 0x60000; mock minor 2"), 1);
	close_pair();
	free(w);
	free(plain);
}
END_TEST

/* After a good frame: 01 ff (ECONNRESET), version 5, an authentication
 * message, an unknown type (EPROTO); a level 2 frame not encrypted. */
START_TEST(recv_abort_and_bad_headers)
{
	static const uint8_t bad[4][5] = {      /* one token byte: a whole frame */
		{ 1, 0xff }, { 5, 3, 0, 1, 0 }, { 1, 1, 0, 1, 0 }, { 1, 7, 0, 1, 0 } };
	static const size_t sizes[] = { 10 };
	size_t len;
	uint8_t *plain, *w, buf[100];

	open_pair(2, SX_GSS_MAXTOKEN);
	w = srv_stream(sizes, 1, &len, &plain, NULL);
	ck_assert_int_eq(mock_writen(P.s, w, len), 0);
	if (_i < 4) {
		ck_assert_int_eq(mock_writen(P.s, bad[_i], _i ? 5 : 2), 0);
	} else {
		len = mock_frame(&P.srv, SX_GSS_MTYP_DATA, 0, "clear", 5, w);
		ck_assert_int_eq(mock_writen(P.s, w, len), 0);
	}
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), 10);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, _i == 0 ? ECONNRESET : EPROTO);
	ck_assert(log_has(_i == 0 ? "abort message" : _i == 1 ? "wrong version" :
			  _i < 4 ? "unexpected GSS-API message type" :
			  "not encrypted although confidentiality was agreed"));
	close_pair();
	free(w);
	free(plain);
}
END_TEST

/* poll() asks sx_gss_pending while another thread is blocked reading the
 * same socket: the answer must not wait for that read to end. */
static void *blocked_reader(void *arg)
{
	static uint8_t buf[64];

	(void)arg;
	return (void *)(intptr_t)sx_gss_recv(P.c, buf, sizeof(buf), 0);
}

static void *ask_pending(void *arg)
{
	*(int *)arg = sx_gss_pending(P.c);
	return NULL;
}

START_TEST(recv_pending_while_reading)
{
	pthread_t rd, q;
	struct timespec ts;
	int answer = -1, rc;
	uint8_t f[64];
	size_t n;
	void *r;

	open_pair(1, SX_GSS_MAXTOKEN);
	ck_assert_int_eq(pthread_create(&rd, NULL, blocked_reader, NULL), 0);
	usleep(100 * 1000);                     /* the reader is in recvfrom */
	ck_assert_int_eq(pthread_create(&q, NULL, ask_pending, &answer), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	rc = pthread_timedjoin_np(q, NULL, &ts);
	n = mock_frame(&P.srv, SX_GSS_MTYP_DATA, 0, "wake up", 7, f);
	ck_assert_int_eq(mock_writen(P.s, f, n), 0);   /* ends the read */
	pthread_join(rd, &r);
	if (rc)
		pthread_join(q, NULL);
	ck_assert_msg(rc == 0, "sx_gss_pending waited for the blocked read");
	ck_assert_int_eq(answer, 0);
	ck_assert_int_eq((intptr_t)r, 7);
	close_pair();
}
END_TEST

/* A dup shares the context; the last close deletes it. */
START_TEST(recv_dup)
{
	int c2;
	uint8_t f[64], buf[16];
	size_t n;

	open_pair(1, SX_GSS_MAXTOKEN);
	c2 = dup(P.c);
	ck_assert_int_ge(c2, 0);
	sx_gss_dup(P.c, c2);
	sx_gss_close(P.c);
	ck_assert_int_eq(atomic_load(&mock_live_ctx), 1);
	ck_assert_int_eq(sx_gss_recv(P.c, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EBADF);
	n = mock_frame(&P.srv, SX_GSS_MTYP_DATA, 0, "hello", 5, f);
	ck_assert_int_eq(mock_writen(P.s, f, n), 0);
	ck_assert_int_eq(sx_gss_recv(c2, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_int_eq(sx_gss_send(c2, "world", 5, 0), 5);
	ck_assert_int_eq(mock_readn(P.s, f, 4 + MOCK_OVERHEAD + 5), 0);
	ck_assert_int_eq(mock_open(&P.srv, f + 4, MOCK_OVERHEAD + 5, buf, &n, &(int){ 0 }), 0);
	ck_assert_mem_eq(buf, "world", 5);
	sx_gss_close(c2);
	close(c2);
	close_pair();
}
END_TEST

static Suite *recv_suite(void)
{
	Suite *s = suite_create("gss_client");
	TCase *tc = tcase_create("recv");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, recv_split_at_every_byte, 0, 2);
	tcase_add_test(tc, recv_max_size_frame_bytewise);
	tcase_add_loop_test(tc, recv_max_size_frames_chunked, 0, 4);
	tcase_add_test(tc, recv_blocking_bytewise_thread);
	tcase_add_loop_test(tc, recv_many_frames_one_write, 0, 3);
	tcase_add_test(tc, recv_peek);
	tcase_add_test(tc, recv_scatter);
	tcase_add_test(tc, recv_nonblocking);
	tcase_add_test(tc, recv_eof_at_boundary);
	tcase_add_loop_test(tc, recv_eof_mid_frame, 0, 4);
	tcase_add_loop_test(tc, recv_refused_token, 0, 3);
	tcase_add_loop_test(tc, recv_abort_and_bad_headers, 0, 5);
	tcase_add_test(tc, recv_pending_while_reading);
	tcase_add_test(tc, recv_dup);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mock_unit_main(recv_suite());
}
