/*
 * conf_util.c - helpers of the unit tests of src/conf (test_conf*.c):
 * URLs and networks that must parse or fail, config text, a stub
 * environment, a temporary directory of files.
 */
#include "socksify/conf.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>


#include "conf_util.h"


struct sx_proxy url_ok(const char *url)
{
	struct sx_proxy p;
	char err[SX_CONF_ERRLEN] = "";
	int rc;

	memset(&p, 0x5a, sizeof p);
	rc = sx_proxy_url_parse(url, &p, err, sizeof err);
	ck_assert_msg(rc == 0, "'%s' should parse, got: %s", url, err);
	return p;
}

/* Parse a URL that must fail; returns the message (static buffer). */
const char *url_bad(const char *url)
{
	static char err[SX_CONF_ERRLEN];
	struct sx_proxy p;
	int rc;

	memset(&p, 0, sizeof p);
	strcpy(err, "");
	rc = sx_proxy_url_parse(url, &p, err, sizeof err);
	ck_assert_msg(rc == -1, "'%s' should be rejected", url);
	ck_assert_msg(err[0] != '\0', "'%s': no message", url);
	return err;
}

struct sx_net net_ok(const char *spec)
{
	struct sx_net n;
	char err[SX_CONF_ERRLEN] = "";
	int rc;

	memset(&n, 0x5a, sizeof n);
	rc = sx_net_parse(spec, &n, err, sizeof err);
	ck_assert_msg(rc == 0, "'%s' should parse, got: %s", spec, err);
	return n;
}

const char *net_bad(const char *spec)
{
	static char err[SX_CONF_ERRLEN];
	struct sx_net n;
	int rc;

	strcpy(err, "");
	rc = sx_net_parse(spec, &n, err, sizeof err);
	ck_assert_msg(rc == -1, "'%s' should be rejected", spec);
	ck_assert_msg(err[0] != '\0', "'%s': no message", spec);
	return err;
}

void ck_addr(const struct sx_net *n, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	ck_assert_int_eq(n->family, family);
	ck_assert_int_eq(inet_pton(family, text, want), 1);
	ck_assert_msg(memcmp(n->addr, want, family == AF_INET ? 4 : 16) == 0,
		      "address is not %s", text);
}

/* Parse text into a fresh default config; returns the rc. */
int parse(struct sx_conf *c, const char *text)
{
	sx_conf_defaults(c);
	return sx_conf_parse_text(c, "t.conf", text, strlen(text));
}

void parse_ok(struct sx_conf *c, const char *text)
{
	int rc = parse(c, text);

	ck_assert_msg(rc == 0, "should parse: %s", c->error);
	ck_assert_str_eq(c->error, "");
}

void parse_err(struct sx_conf *c, const char *text, const char *want)
{
	int rc = parse(c, text);

	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(c->error, want);
}

struct sockaddr_storage sa_make(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof ss);
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

bool direct(const struct sx_conf *c, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = sa_make(ip, port);

	return sx_conf_is_direct(c, (const struct sockaddr *)&ss);
}

/* A stub environment for sx_conf_apply_env / sx_conf_load_from. */
struct env_kv env_tab[16];
size_t env_n;

void env_reset(void)
{
	env_n = 0;
}

void env_set(const char *k, const char *v)
{
	ck_assert(env_n < sizeof env_tab / sizeof env_tab[0]);
	env_tab[env_n].k = k;
	env_tab[env_n].v = v;
	env_n++;
}

const char *stub_getenv(const char *name)
{
	for (size_t i = env_n; i-- > 0;) {
		if (strcmp(env_tab[i].k, name) == 0)
			return env_tab[i].v;
	}
	return NULL;
}

/* Temp directory with files; removed by tmp_cleanup. */
char tmpdir[64];

void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/sxconfXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

void tmp_cleanup(void)
{
	char cmd[128];

	if (tmpdir[0] && strncmp(tmpdir, "/tmp/sxconf", 11) == 0) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
	tmpdir[0] = '\0';
}

/* Write tmpdir/name; returns the full path (static buffer, one at a time). */
const char *tmp_write(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

void env_fixture(void)
{
	env_reset();
	tmpdir[0] = '\0';
}
