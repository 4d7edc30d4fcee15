/*
 * fuzz_url.c - proxy URLs, network specs and direct lists:
 * sx_proxy_url_parse, sx_net_parse, sx_direct_list_parse.
 *
 * Besides memory safety: a failed parse always leaves a message, a good
 * one a usable result, and a password never appears in a message.  For
 * the last check the input is split in two at its first '\x01' (or in the
 * middle) and a known password is put between them:
 *     PREFIX ":" SECRET "@" SUFFIX
 * SECRET then lies between the first ':' after the scheme and the last
 * '@', i.e. it is (part of) the password whatever PREFIX and SUFFIX are,
 * both for the URL parser and for "proxy URL" in a config file.
 */
#include "fuzz.h"

#include <netinet/in.h>

#include "socksify/conf.h"

#define SECRET "Pw7qXz9Kv"

static void check_url(const char *s)
{
	struct sx_proxy p;
	char err[SX_CONF_ERRLEN];
	int rc;

	memset(&p, 0xAA, sizeof p);
	rc = sx_proxy_url_parse(s, &p, err, sizeof err);
	FUZZ_ASSERT(memchr(err, '\0', sizeof err), "err not terminated");
	if (rc < 0) {
		FUZZ_ASSERT(rc == -1 && err[0] != '\0', "rc %d, no message", rc);
		return;
	}
	FUZZ_ASSERT(rc == 0 && err[0] == '\0', "rc %d err '%s'", rc, err);
	FUZZ_ASSERT(memchr(p.host, '\0', sizeof p.host) && p.host[0], "host");
	FUZZ_ASSERT(memchr(p.user, '\0', sizeof p.user), "user");
	FUZZ_ASSERT(memchr(p.pass, '\0', sizeof p.pass), "pass");
	FUZZ_ASSERT(p.port != 0 && p.type <= SX_PROXY_HTTP, "port/type");
	FUZZ_ASSERT(p.user_set == (p.user[0] != '\0'), "user_set");
	FUZZ_ASSERT(p.pass_set == (p.pass[0] != '\0'), "pass_set");
	/* A tiny error buffer must not be overrun (nor a NULL one). */
	{
		char small[4];

		sx_proxy_url_parse(s, &p, small, sizeof small);
		FUZZ_ASSERT(memchr(small, '\0', sizeof small), "small");
		sx_proxy_url_parse(s, &p, NULL, 0);
	}
}

static void check_net(const char *s)
{
	struct sx_net n;
	char err[SX_CONF_ERRLEN];
	int rc;

	rc = sx_net_parse(s, &n, err, sizeof err);
	if (rc < 0) {
		FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof err), "message");
		return;
	}
	FUZZ_ASSERT((n.family == AF_INET && n.prefix <= 32) ||
		    (n.family == AF_INET6 && n.prefix <= 128), "family/prefix");
	FUZZ_ASSERT(n.port_lo <= n.port_hi, "ports %u-%u", n.port_lo, n.port_hi);
}

static void check_list(const char *s)
{
	static struct sx_conf c;
	char err[SX_CONF_ERRLEN];
	int rc;

	sx_conf_defaults(&c);
	rc = sx_direct_list_parse(&c, s, err, sizeof err);
	FUZZ_ASSERT(c.ndirect <= SX_CONF_MAX_DIRECT && c.ndomains <= SX_CONF_MAX_DOMAINS,
		    "counts %zu %zu", c.ndirect, c.ndomains);
	if (rc < 0) {
		FUZZ_ASSERT(err[0] != '\0', "no message");
		/* a failed parse leaves the old list */
		FUZZ_ASSERT(c.ndirect == 2 && c.ndomains == 0, "list changed");
		return;
	}
	for (size_t i = 0; i < c.ndomains; i++)
		FUZZ_ASSERT(sx_conf_name_is_direct(&c, c.direct_domains[i]), "domain");
}

/* PREFIX ":" SECRET "@" SUFFIX, as a URL and inside a config file. */
static void check_secret(const uint8_t *data, size_t size)
{
	static struct sx_conf c;
	const uint8_t *cut = memchr(data, '\x01', size);
	size_t k = cut ? (size_t)(cut - data) : size / 2;
	size_t rest = cut ? size - k - 1 : size - k;
	char *url = malloc(size + sizeof SECRET + 16), *conf;
	char err[SX_CONF_ERRLEN];
	struct sx_proxy p;
	size_t n;

	if (!url)
		abort();
	/* the input may spell the secret itself (say as the host name), or
	 * end the string before it */
	if (memmem(data, size, SECRET, sizeof SECRET - 1) || memchr(data, '\0', k)) {
		free(url);
		return;
	}
	memcpy(url, data, k);
	n = k;
	memcpy(url + n, ":" SECRET "@", sizeof SECRET + 1);
	n += sizeof SECRET + 1;
	memcpy(url + n, data + size - rest, rest);
	n += rest;
	url[n] = '\0';
	n = strlen(url);        /* a NUL in the input ends the URL */

	if (sx_proxy_url_parse(url, &p, err, sizeof err) < 0)
		FUZZ_ASSERT(!strstr(err, SECRET), "password in '%s'", err);
	else
		FUZZ_ASSERT(strstr(p.pass, SECRET), "password lost");

	/* The same URL in a config file, and a password line after it. */
	conf = malloc(n + 64);
	if (!conf)
		abort();
	memcpy(conf, "proxy ", 6);
	memcpy(conf + 6, url, n);
	memcpy(conf + 6 + n, "\npassword " SECRET "\n", sizeof SECRET + 11);
	sx_conf_defaults(&c);
	if (!memchr(url, '\n', n) && !memchr(url, '#', n) &&
	    sx_conf_parse_text(&c, "f", conf, strlen(conf)) < 0)
		FUZZ_ASSERT(!strstr(c.error, SECRET), "password in '%s'", c.error);
	free(conf);
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	check_url(s);
	check_net(s);
	check_list(s);
	check_secret(data, size);
	free(s);
	return 0;
}
