/*
 * fuzz_http_reply.c - the HTTP CONNECT reply parser (sx_http_reply_parse),
 * fed as the client reads it, and the CONNECT request encoder on a name
 * taken from the input.
 *
 * The reply is checked on every prefix and with the reading loop of a
 * client (fuzz_check_stream); a complete reply ends with an empty line,
 * stays within the limits, and its status is the three digits it shows.
 */
#include "fuzz.h"

#include "socksify/proto.h"

static ssize_t p_reply(const uint8_t *buf, size_t len, size_t *need)
{
	struct sx_http_reply r;
	ssize_t n;

	memset(&r, 0xAA, sizeof r);
	n = sx_http_reply_parse(buf, len, &r, need);
	if (n <= 0)
		return n;
	FUZZ_ASSERT(n >= 14 && n <= SX_HTTP_REPLY_MAX, "reply of %zd bytes", n);
	FUZZ_ASSERT(buf[n - 1] == '\n' && (buf[n - 2] == '\n' ||
		    (buf[n - 2] == '\r' && buf[n - 3] == '\n')), "no empty line");
	FUZZ_ASSERT(r.status == (buf[9] - '0') * 100 + (buf[10] - '0') * 10 +
		    (buf[11] - '0') && r.status >= 100, "status %d", r.status);
	FUZZ_ASSERT(r.nheaders >= 0 && r.nheaders <= SX_HTTP_HEADERS_MAX,
		    "%d headers", r.nheaders);
	FUZZ_ASSERT(memchr(r.reason, '\0', sizeof r.reason) != NULL, "reason");
	for (const char *p = r.reason; *p; p++)
		FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f, "control");
	return n;
}

/* The request never carries a CR or LF from the name: one line each. */
static void request(const uint8_t *data, size_t size)
{
	struct sx_addr a = { .atyp = SX_ATYP_NAME, .port = 443 };
	char buf[SX_HTTP_REQUEST_MAX];
	ssize_t n;
	int lines = 0;

	a.namelen = (uint8_t)(size > 255 ? 255 : size);
	memcpy(a.u.name, data, a.namelen);
	a.u.name[a.namelen] = '\0';
	n = sx_http_connect_encode(buf, sizeof buf, &a, "user", "pass");
	if (n < 0)
		return;
	FUZZ_ASSERT((size_t)n < sizeof buf && buf[n] == '\0', "length");
	for (ssize_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	FUZZ_ASSERT(lines == 4, "%d lines", lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fuzz_dup(data, size);

	FUZZ_ASSERT(sx_http_reply_parse(b, size, NULL, NULL) ==
		    p_reply(b, size, &(size_t){ 0 }), "NULL outputs");
	free(b);
	fuzz_check_stream(p_reply, data, size, 300);
	request(data, size);
	return 0;
}
