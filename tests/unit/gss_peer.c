/*
 * gss_peer.c - the proxy's end of a protected socketpair for the unit
 * tests of gss_io.c: frames it sends, frames it reads back (gss_mock.h).
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gss_mock.h"
#include "socksify/runtime.h"

struct gss_pair P;

void open_pair(int level, unsigned tok_limit)
{
	int sv[2];

	mock_reset();
	mock.tok_limit = tok_limit;
	log_reset();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	P.c = sv[0];
	P.s = sv[1];
	P.level = level;
	mock_ctx_init(&P.srv);
	ck_assert_int_eq(sx_gss_attach(P.c, &mock_api, mock_ctx_new(), level), 0);
	ck_assert(sx_fd_flags(P.c) & SX_FD_GSS);
}

void close_pair(void)
{
	sx_gss_close(P.c);
	ck_assert(!(sx_fd_flags(P.c) & SX_FD_GSS));
	close(P.c);
	close(P.s);
	ck_assert_int_eq(atomic_load(&mock_live_ctx), 0);
	ck_assert_int_eq(atomic_load(&mock_live_buf), 0);
}

void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	ck_assert_int_ge(fl, 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK), 0);
}

bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

void fill(uint8_t *p, size_t n, size_t off, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = mock_pattern(off + i, seed);
}

uint8_t *srv_stream(const size_t *sizes, size_t k, size_t *len,
		    uint8_t **plain, size_t *ends)
{
	size_t total = 0, pos = 0, off = 0;
	uint8_t *w, *p;

	for (size_t i = 0; i < k; i++)
		total += sizes[i];
	w = malloc(total + k * (4 + MOCK_OVERHEAD) + 1);
	p = malloc(total + 1);
	ck_assert(w && p);
	fill(p, total, 0, 7);
	for (size_t i = 0; i < k; i++) {
		pos += mock_frame(&P.srv, SX_GSS_MTYP_DATA, P.level == 2, p + off,
				  sizes[i], w + pos);
		off += sizes[i];
		if (ends)
			ends[i] = pos;
	}
	*len = pos;
	*plain = p;
	return w;
}

/* One frame: header and token into hdr/tok; its plaintext into pl. */
static const char *collect_one(uint8_t *hdr, uint8_t *tok, uint8_t *pl,
			       size_t *tlen, size_t *plen)
{
	int conf;

	if (mock_readn(P.s, hdr, 4) < 0)
		return "the stream ended early";
	*tlen = (size_t)hdr[2] << 8 | hdr[3];
	if (hdr[0] != SX_GSS_VERSION || hdr[1] != SX_GSS_MTYP_DATA)
		return "not a 01 03 header";
	if (mock_readn(P.s, tok, *tlen) < 0)
		return "short token";
	if (mock_open(&P.srv, tok, *tlen, pl, plen, &conf) < 0)
		return "token refused by the proxy's unwrap";
	if (conf != (P.level == 2))
		return "conf_req does not match the protection level";
	return NULL;
}

void *collect(void *arg)
{
	struct collect *c = arg;
	size_t got = 0, tlen, plen;
	uint8_t hdr[4], *tok = malloc(SX_GSS_MAXTOKEN), *pl = malloc(SX_GSS_MAXTOKEN);

	if (!tok || !pl)
		c->err = "out of memory";
	while (!c->err && got < c->want) {
		c->err = collect_one(hdr, tok, pl, &tlen, &plen);
		if (!c->err && got + plen > c->want)
			c->err = "more plaintext than sent";
		if (c->err)
			break;
		if (c->wire && c->wirelen + 4 + tlen <= c->wirecap) {
			memcpy(c->wire + c->wirelen, hdr, 4);
			memcpy(c->wire + c->wirelen + 4, tok, tlen);
			c->wirelen += 4 + tlen;
		}
		memcpy(c->plain + got, pl, plen);
		got += plen;
		c->frames++;
		if (tlen > c->maxtok) {
			c->maxtok = tlen;
			c->nmax = 0;
		}
		if (tlen == c->maxtok)
			c->nmax++;
	}
	free(tok);
	free(pl);
	return NULL;
}

void collect_check(struct collect *c, const uint8_t *sent)
{
	ck_assert_msg(c->err == NULL, "proxy side: %s", c->err ? c->err : "");
	ck_assert_mem_eq(c->plain, sent, c->want);
	ck_assert_msg(!readable(P.s), "bytes after the last frame");
}

int mock_unit_main(void *suite)
{
	char log[256];
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	mock_env_setup(log, sizeof(log));
	sx_gss_api_set(&mock_api);
	sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(log);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
