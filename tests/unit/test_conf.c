/*
 * test_conf.c - unit tests for include/socksify/conf.h (src/conf/).
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

#define SECRET "TOPSECRETpw"

/* ---- helpers -------------------------------------------------------- */

static struct sx_proxy url_ok(const char *url)
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
static const char *url_bad(const char *url)
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

static struct sx_net net_ok(const char *spec)
{
	struct sx_net n;
	char err[SX_CONF_ERRLEN] = "";
	int rc;

	memset(&n, 0x5a, sizeof n);
	rc = sx_net_parse(spec, &n, err, sizeof err);
	ck_assert_msg(rc == 0, "'%s' should parse, got: %s", spec, err);
	return n;
}

static const char *net_bad(const char *spec)
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

static void ck_addr(const struct sx_net *n, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	ck_assert_int_eq(n->family, family);
	ck_assert_int_eq(inet_pton(family, text, want), 1);
	ck_assert_msg(memcmp(n->addr, want, family == AF_INET ? 4 : 16) == 0,
		      "address is not %s", text);
}

/* Parse text into a fresh default config; returns the rc. */
static int parse(struct sx_conf *c, const char *text)
{
	sx_conf_defaults(c);
	return sx_conf_parse_text(c, "t.conf", text, strlen(text));
}

static void parse_ok(struct sx_conf *c, const char *text)
{
	int rc = parse(c, text);

	ck_assert_msg(rc == 0, "should parse: %s", c->error);
	ck_assert_str_eq(c->error, "");
}

static void parse_err(struct sx_conf *c, const char *text, const char *want)
{
	int rc = parse(c, text);

	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(c->error, want);
}

static struct sockaddr_storage sa_make(const char *ip, uint16_t port)
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

static bool direct(const struct sx_conf *c, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = sa_make(ip, port);

	return sx_conf_is_direct(c, (const struct sockaddr *)&ss);
}

/* A stub environment for sx_conf_apply_env / sx_conf_load_from. */
static struct { const char *k, *v; } env_tab[16];
static size_t env_n;

static void env_reset(void)
{
	env_n = 0;
}

static void env_set(const char *k, const char *v)
{
	ck_assert(env_n < sizeof env_tab / sizeof env_tab[0]);
	env_tab[env_n].k = k;
	env_tab[env_n].v = v;
	env_n++;
}

static const char *stub_getenv(const char *name)
{
	for (size_t i = env_n; i-- > 0;) {
		if (strcmp(env_tab[i].k, name) == 0)
			return env_tab[i].v;
	}
	return NULL;
}

/* Temp directory with files; removed by tmp_cleanup. */
static char tmpdir[64];

static void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/sxconfXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_cleanup(void)
{
	char cmd[128];

	if (tmpdir[0] && strncmp(tmpdir, "/tmp/sxconf", 11) == 0) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
	tmpdir[0] = '\0';
}

/* Write tmpdir/name; returns the full path (static buffer, one at a time). */
static const char *tmp_write(const char *name, const char *text)
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

static void env_fixture(void)
{
	env_reset();
	tmpdir[0] = '\0';
}

/* ---- proxy URLs ------------------------------------------------------ */

START_TEST(url_schemes)
{
	struct sx_proxy p;

	p = url_ok("socks5://h");
	ck_assert_int_eq(p.type, SX_PROXY_SOCKS5);
	ck_assert(!p.remote_dns);
	p = url_ok("socks5h://h");
	ck_assert_int_eq(p.type, SX_PROXY_SOCKS5);
	ck_assert(p.remote_dns);
	p = url_ok("socks4://h");
	ck_assert_int_eq(p.type, SX_PROXY_SOCKS4);
	ck_assert(!p.remote_dns);
	p = url_ok("socks4a://h");
	ck_assert_int_eq(p.type, SX_PROXY_SOCKS4A);
	ck_assert(p.remote_dns);
	p = url_ok("SOCKS5H://h");
	ck_assert_int_eq(p.type, SX_PROXY_SOCKS5);
	ck_assert(p.remote_dns);
	p = url_ok("Socks4A://h");
	ck_assert_int_eq(p.type, SX_PROXY_SOCKS4A);
	p = url_ok("http://u:p%40@h");          /* HTTP CONNECT, port 80 */
	ck_assert_int_eq(p.type, SX_PROXY_HTTP);
	ck_assert_int_eq(p.port, 80);
	ck_assert_str_eq(p.pass, "p@");
	ck_assert_int_eq(url_ok("HTTP://h:3128").port, 3128);
}
END_TEST

START_TEST(url_no_scheme_and_ports)
{
	struct sx_proxy p;

	p = url_ok("proxy.example.com");
	ck_assert_int_eq(p.type, SX_PROXY_SOCKS5);
	ck_assert(!p.remote_dns);
	ck_assert_str_eq(p.host, "proxy.example.com");
	ck_assert_int_eq(p.port, 1080);
	ck_assert(!p.user_set && !p.pass_set);
	ck_assert_str_eq(p.user, "");
	ck_assert_str_eq(p.pass, "");
	p = url_ok("10.0.0.1:9050");
	ck_assert_str_eq(p.host, "10.0.0.1");
	ck_assert_int_eq(p.port, 9050);
	p = url_ok("socks5://h:1");
	ck_assert_int_eq(p.port, 1);
	p = url_ok("socks5://h:65535/");
	ck_assert_int_eq(p.port, 65535);
	p = url_ok("socks5://h/");
	ck_assert_int_eq(p.port, 1080);
	ck_assert_str_eq(p.host, "h");
}
END_TEST

START_TEST(url_userinfo)
{
	struct sx_proxy p;

	p = url_ok("socks5://alice:pw@h:1081");
	ck_assert_str_eq(p.user, "alice");
	ck_assert_str_eq(p.pass, "pw");
	ck_assert(p.user_set && p.pass_set);
	ck_assert_str_eq(p.host, "h");
	ck_assert_int_eq(p.port, 1081);

	p = url_ok("socks5h://bob@h");
	ck_assert_str_eq(p.user, "bob");
	ck_assert(p.user_set);
	ck_assert(!p.pass_set);
	ck_assert_str_eq(p.pass, "");

	p = url_ok("carol:x@10.1.1.1:99");
	ck_assert_int_eq(p.type, SX_PROXY_SOCKS5);
	ck_assert_str_eq(p.user, "carol");
	ck_assert_str_eq(p.pass, "x");
	ck_assert_str_eq(p.host, "10.1.1.1");
	ck_assert_int_eq(p.port, 99);
}
END_TEST

START_TEST(url_percent_and_last_at)
{
	struct sx_proxy p;

	p = url_ok("socks5://a%40b%2fc:p%3Aw%25d%20@h");
	ck_assert_str_eq(p.user, "a@b/c");
	ck_assert_str_eq(p.pass, "p:w%d ");
	/* the last '@' separates the userinfo; ':' after the first is kept */
	p = url_ok("socks5://u:p@ss:w/rd@host:2");
	ck_assert_str_eq(p.user, "u");
	ck_assert_str_eq(p.pass, "p@ss:w/rd");
	ck_assert_str_eq(p.host, "host");
	ck_assert_int_eq(p.port, 2);

	ck_assert_ptr_nonnull(strstr(url_bad("socks5://u:%zz@h"), "bad %-escape"));
	url_bad("socks5://u:%4@h");
	url_bad("socks5://u%4@h");
	url_bad("socks5://u:%@h");
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://u%00:p@h"), "%00"));
}
END_TEST

START_TEST(url_ipv6)
{
	struct sx_proxy p;
	const char *e;

	p = url_ok("socks5://[::1]:1080");
	ck_assert_str_eq(p.host, "::1");
	ck_assert_int_eq(p.port, 1080);
	p = url_ok("socks5h://u:p@[2001:db8::1]/");
	ck_assert_str_eq(p.host, "2001:db8::1");
	ck_assert_int_eq(p.port, 1080);
	ck_assert_str_eq(p.user, "u");
	p = url_ok("[::ffff:10.0.0.1]:5");
	ck_assert_str_eq(p.host, "::ffff:10.0.0.1");
	ck_assert_int_eq(p.port, 5);

	e = url_bad("socks5://[fe80::1%25eth0]:1080");
	ck_assert_ptr_nonnull(strstr(e, "zone"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://[zz::1]"), "invalid IPv6 address"));
	url_bad("socks5://[10.0.0.1]");
	url_bad("socks5://[]:1080");
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://[::1"), "missing ']'"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://::1"), "brackets"));
	ck_assert_ptr_nonnull(strstr(url_bad("2001:db8::1:1080"), "brackets"));
	url_bad("socks5://[::1]x");
	url_bad("socks5://[::1]1080");
}
END_TEST

START_TEST(url_bad_scheme)
{
	ck_assert_str_eq(url_bad("socks6://x"),
			 "bad proxy URL 'socks6://x': unknown scheme 'socks6'"
			 " (use socks5, socks5h, socks4, socks4a or http)");
	ck_assert_ptr_nonnull(strstr(url_bad("https://proxy:3128"), "unknown scheme 'https'"));
	ck_assert_ptr_nonnull(strstr(url_bad("://h"), "missing scheme"));
}
END_TEST

START_TEST(url_bad_port)
{
	ck_assert_str_eq(url_bad("socks5://h:0"),
			 "bad proxy URL 'socks5://h:0': invalid port '0' (must be 1-65535)");
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://h:65536"), "invalid port '65536'"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://h:abc"), "invalid port 'abc'"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://h:99999999999999999999"),
				     "invalid port"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://h:"), "missing port"));
	url_bad("socks5://h:80x");
	url_bad("socks5://h:-1");
	url_bad("socks5://h:+80");
}
END_TEST

START_TEST(url_empty_host_and_user)
{
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://"), "empty host"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://:1080"), "empty host"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://u:p@"), "empty host"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://@h"), "empty user"));
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://:pw@h"), "empty user"));
	ck_assert_ptr_nonnull(strstr(url_bad(""), "empty"));
	url_bad("socks5://ho st");
	url_bad("socks5://h\tx");
}
END_TEST

START_TEST(url_lengths)
{
	char url[1200], name[300];
	struct sx_proxy p;

	memset(name, 'a', 255);
	name[255] = '\0';
	snprintf(url, sizeof url, "socks5://%s:1", name);
	p = url_ok(url);
	ck_assert_uint_eq(strlen(p.host), 255);
	snprintf(url, sizeof url, "socks5://%sa:1", name);
	ck_assert_ptr_nonnull(strstr(url_bad(url), "host name too long (256 bytes, max 255)"));

	snprintf(url, sizeof url, "socks5://%s:pw@h", name);
	p = url_ok(url);
	ck_assert_uint_eq(strlen(p.user), 255);
	snprintf(url, sizeof url, "socks5://%sa:pw@h", name);
	ck_assert_ptr_nonnull(strstr(url_bad(url), "user name: too long"));
	snprintf(url, sizeof url, "socks5://u:%s@h", name);
	p = url_ok(url);
	ck_assert_uint_eq(strlen(p.pass), 255);
	snprintf(url, sizeof url, "socks5://u:%sa@h", name);
	ck_assert_ptr_nonnull(strstr(url_bad(url), "password: too long"));

	/* the limit is on the decoded length: 255 x "%41" is fine */
	strcpy(url, "socks5://u:");
	for (int i = 0; i < 255; i++)
		strcat(url, "%41");
	strcat(url, "@h");
	p = url_ok(url);
	ck_assert_uint_eq(strlen(p.pass), 255);
	ck_assert_int_eq(p.pass[254], 'A');
}
END_TEST

START_TEST(url_path_rejected)
{
	ck_assert_ptr_nonnull(strstr(url_bad("socks5://h:1080/path"), "unexpected 'path'"));
	url_bad("socks5://h/x");
	url_bad("socks5://h//");
	url_bad("socks5://h?x=1");
	url_bad("socks5://h:1080?x");
	url_bad("socks5://h#frag");
	url_ok("socks5://h:1080/");
}
END_TEST

START_TEST(url_password_never_in_error)
{
	static const char *const bad[] = {
		"socks6://u:" SECRET "@h",
		"socks5://u:" SECRET "@h:0",
		"socks5://u:" SECRET "@h:1080/p",
		"socks5://u:" SECRET "@h?q",
		"socks5://u:" SECRET "@",
		"socks5://u:" SECRET "@[zz::1]",
		"socks5://u:" SECRET "%zz@h",
		"socks5://:" SECRET "@h",
		"u:" SECRET "@ho st",
		"socks5://u:" SECRET "@x@ho st",
		"socks5://u:p" SECRET ":q@h:abc",
	};
	char longpw[400];
	char url[600];
	const char *e;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = url_bad(bad[i]);
		ck_assert_msg(strstr(e, SECRET) == NULL, "password in '%s'", e);
		ck_assert_msg(strstr(e, "***") != NULL, "not masked: '%s'", e);
	}
	memset(longpw, 'S', 300);
	longpw[300] = '\0';
	snprintf(url, sizeof url, "socks5://u:%s@h", longpw);
	e = url_bad(url);
	ck_assert_ptr_null(strstr(e, "SSSS"));
	ck_assert_str_eq(url_bad("socks5://u:" SECRET "@h:0"),
			 "bad proxy URL 'socks5://u:***@h:0': invalid port '0' (must be 1-65535)");
}
END_TEST

START_TEST(url_failure_leaves_output)
{
	struct sx_proxy p;
	char err[64];

	memset(&p, 0, sizeof p);
	strcpy(p.host, "keep");
	ck_assert_int_eq(sx_proxy_url_parse("socks5://u:p@h:0", &p, err, sizeof err), -1);
	ck_assert_str_eq(p.host, "keep");
	ck_assert_str_eq(p.user, "");
	/* a small error buffer is truncated, not overflowed */
	ck_assert_uint_lt(strlen(err), sizeof err);
	ck_assert_int_eq(sx_proxy_url_parse("socks6://x", &p, NULL, 0), -1);
}
END_TEST

/* ---- networks ------------------------------------------------------- */

START_TEST(net_v4)
{
	struct sx_net n;

	n = net_ok("10.1.2.3");
	ck_addr(&n, AF_INET, "10.1.2.3");
	ck_assert_int_eq(n.prefix, 32);
	ck_assert_int_eq(n.port_lo, 0);
	ck_assert_int_eq(n.port_hi, 65535);

	n = net_ok("10.1.2.3/8");
	ck_addr(&n, AF_INET, "10.0.0.0");
	ck_assert_int_eq(n.prefix, 8);
	n = net_ok("192.168.1.255/23");
	ck_addr(&n, AF_INET, "192.168.0.0");
	ck_assert_int_eq(n.prefix, 23);
	n = net_ok("255.255.255.255/0");
	ck_addr(&n, AF_INET, "0.0.0.0");
	ck_assert_int_eq(n.prefix, 0);
	n = net_ok("172.16.5.4/12");
	ck_addr(&n, AF_INET, "172.16.0.0");
	n = net_ok("1.2.3.4/32");
	ck_addr(&n, AF_INET, "1.2.3.4");
}
END_TEST

START_TEST(net_ports)
{
	struct sx_net n;

	n = net_ok("1.2.3.4:22");
	ck_assert_int_eq(n.port_lo, 22);
	ck_assert_int_eq(n.port_hi, 22);
	n = net_ok("1.2.3.0/24:8000-8999");
	ck_addr(&n, AF_INET, "1.2.3.0");
	ck_assert_int_eq(n.prefix, 24);
	ck_assert_int_eq(n.port_lo, 8000);
	ck_assert_int_eq(n.port_hi, 8999);
	n = net_ok("1.2.3.4:1-65535");
	ck_assert_int_eq(n.port_lo, 1);
	ck_assert_int_eq(n.port_hi, 65535);
	n = net_ok("1.2.3.4:7-7");
	ck_assert_int_eq(n.port_lo, 7);
	ck_assert_int_eq(n.port_hi, 7);

	ck_assert_ptr_nonnull(strstr(net_bad("1.2.3.4:0"), "invalid port"));
	net_bad("1.2.3.4:65536");
	net_bad("1.2.3.4:abc");
	net_bad("1.2.3.4:");
	net_bad("1.2.3.4:1-");
	net_bad("1.2.3.4:-5");
	net_bad("1.2.3.4:1-65536");
	net_bad("1.2.3.4:0-5");
	net_bad("1.2.3.4:22x");
	ck_assert_str_eq(net_bad("1.2.3.4:9-8"),
			 "bad network '1.2.3.4:9-8': port range 9-8 is reversed");
}
END_TEST

START_TEST(net_v6)
{
	struct sx_net n;

	n = net_ok("::1");
	ck_addr(&n, AF_INET6, "::1");
	ck_assert_int_eq(n.prefix, 128);
	ck_assert_int_eq(n.port_hi, 65535);
	n = net_ok("::1/128");
	ck_addr(&n, AF_INET6, "::1");
	n = net_ok("[::1]");
	ck_addr(&n, AF_INET6, "::1");
	ck_assert_int_eq(n.prefix, 128);
	n = net_ok("[::1]:22");
	ck_assert_int_eq(n.port_lo, 22);
	ck_assert_int_eq(n.port_hi, 22);
	n = net_ok("[2001:db8::]/32:443");
	ck_addr(&n, AF_INET6, "2001:db8::");
	ck_assert_int_eq(n.prefix, 32);
	ck_assert_int_eq(n.port_lo, 443);
	ck_assert_int_eq(n.port_hi, 443);
	n = net_ok("[2001:db8::]/32");
	ck_assert_int_eq(n.port_lo, 0);
	n = net_ok("2001:db8:ffff:1::5/28");
	ck_addr(&n, AF_INET6, "2001:db0::");
	ck_assert_int_eq(n.prefix, 28);
	n = net_ok("2001:db8:ffff:1::5/20");
	ck_addr(&n, AF_INET6, "2001::");
	n = net_ok("2001:db8::ff/120");
	ck_addr(&n, AF_INET6, "2001:db8::");
	n = net_ok("fd00::1/8");
	ck_addr(&n, AF_INET6, "fd00::");
	n = net_ok("::/0");
	ck_assert_int_eq(n.prefix, 0);
	n = net_ok("[::ffff:1.2.3.4]:80-81");
	ck_addr(&n, AF_INET6, "::ffff:1.2.3.4");
	ck_assert_int_eq(n.port_hi, 81);

	ck_assert_str_eq(net_bad("::1/129"), "bad network '::1/129': invalid prefix (must be 0-128)");
	ck_assert_ptr_nonnull(strstr(net_bad("::1/128:22"), "brackets"));
	net_bad("[::1");
	net_bad("[::1]x");
	net_bad("[::1]/");
	net_bad("[zz::1]");
	net_bad("[1.2.3.4]");
	net_bad("1::2::3");
	net_bad("[::1]:0");
}
END_TEST

START_TEST(net_localhost_and_bad)
{
	struct sx_net n;

	n = net_ok("localhost");
	ck_addr(&n, AF_INET, "127.0.0.0");
	ck_assert_int_eq(n.prefix, 8);
	n = net_ok("LocalHost:80");
	ck_assert_int_eq(n.prefix, 8);
	ck_assert_int_eq(n.port_lo, 80);
	net_bad("localhost/16");

	ck_assert_str_eq(net_bad("10.0.0.0/33"),
			 "bad network '10.0.0.0/33': invalid prefix (must be 0-32)");
	net_bad("");
	net_bad("1.2.3");
	net_bad("1.2.3.4.5");
	net_bad("256.1.1.1");
	net_bad("example.com");
	net_bad("1.2.3.4/");
	net_bad("1.2.3.4/x");
	net_bad("1.2.3.4/-1");
	net_bad("1.2.3.4/ 8");
	net_bad(" 1.2.3.4");
	net_bad("1.2.3.4/8/8");
	net_bad("1.2.3.4 ");
	ck_assert_ptr_nonnull(strstr(net_bad("example.com"), "'example.com'"));
}
END_TEST

/* ---- direct lists --------------------------------------------------- */

START_TEST(direct_list)
{
	struct sx_conf c;
	char err[SX_CONF_ERRLEN];

	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_direct_list_parse(&c, "", err, sizeof err), 0);
	ck_assert_uint_eq(c.ndirect, 0);

	ck_assert_int_eq(sx_direct_list_parse(&c, " 10.0.0.0/8 ,::1,\t[::1]:22 , localhost,", err,
					      sizeof err), 0);
	ck_assert_uint_eq(c.ndirect, 4);
	ck_addr(&c.direct[0], AF_INET, "10.0.0.0");
	ck_assert_int_eq(c.direct[0].prefix, 8);
	ck_addr(&c.direct[1], AF_INET6, "::1");
	ck_assert_int_eq(c.direct[2].port_lo, 22);
	ck_addr(&c.direct[3], AF_INET, "127.0.0.0");

	ck_assert_int_eq(sx_direct_list_parse(&c, "1.1.1.1", err, sizeof err), 0);
	ck_assert_uint_eq(c.ndirect, 1);
	ck_assert_int_eq(sx_direct_list_parse(&c, " none ", err, sizeof err), 0);
	ck_assert_uint_eq(c.ndirect, 0);
	ck_assert_int_eq(sx_direct_list_parse(&c, "  ", err, sizeof err), 0);
	ck_assert_uint_eq(c.ndirect, 0);
}
END_TEST

START_TEST(direct_list_errors)
{
	struct sx_conf c;
	char err[SX_CONF_ERRLEN], list[2048] = "";

	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_direct_list_parse(&c, "10.0.0.0/8, bo/gus", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad network 'bo/gus'"));
	ck_assert_uint_eq(c.ndirect, 2);        /* unchanged on error */
	ck_assert_int_eq(sx_direct_list_parse(&c, "none, 1.2.3.4", err, sizeof err), -1);
	ck_assert_uint_eq(c.ndirect, 2);

	for (int i = 0; i < SX_CONF_MAX_DIRECT; i++) {
		char item[32];

		snprintf(item, sizeof item, "%s10.0.%d.0/24", i ? "," : "", i);
		strcat(list, item);
	}
	ck_assert_int_eq(sx_direct_list_parse(&c, list, err, sizeof err), 0);
	ck_assert_uint_eq(c.ndirect, SX_CONF_MAX_DIRECT);
	strcat(list, ",10.9.9.9");
	ck_assert_int_eq(sx_direct_list_parse(&c, list, err, sizeof err), -1);
	ck_assert_str_eq(err, "too many direct entries (max 64)");
	ck_assert_uint_eq(c.ndirect, SX_CONF_MAX_DIRECT);
}
END_TEST

/* ---- defaults and files --------------------------------------------- */

START_TEST(defaults)
{
	struct sx_conf c;

	memset(&c, 0x5a, sizeof c);
	sx_conf_defaults(&c);
	ck_assert_int_eq(c.proxy.type, SX_PROXY_SOCKS5);
	ck_assert(!c.proxy.remote_dns);
	ck_assert_str_eq(c.proxy.host, "127.0.0.1");
	ck_assert_int_eq(c.proxy.port, 1080);
	ck_assert_str_eq(c.proxy.user, "");
	ck_assert_str_eq(c.proxy.pass, "");
	ck_assert(!c.proxy.user_set && !c.proxy.pass_set);
	ck_assert_uint_eq(c.ndirect, 2);
	ck_addr(&c.direct[0], AF_INET, "127.0.0.0");
	ck_assert_int_eq(c.direct[0].prefix, 8);
	ck_assert_int_eq(c.direct[0].port_lo, 0);
	ck_assert_int_eq(c.direct[0].port_hi, 65535);
	ck_addr(&c.direct[1], AF_INET6, "::1");
	ck_assert_int_eq(c.direct[1].prefix, 128);
	ck_assert_int_eq(c.direct[1].port_hi, 65535);
	ck_assert_int_eq(c.connect_timeout_ms, 10000);
	ck_assert_int_eq(c.handshake_timeout_ms, 10000);
	ck_assert_int_eq(c.bind_timeout_ms, 60000);
	ck_assert_int_eq(c.log_level, SX_LOG_ERROR);
	ck_assert_str_eq(c.log_file, "");
	ck_assert_str_eq(c.error, "");
	ck_assert_str_eq(c.sources, "");
}
END_TEST

START_TEST(file_every_keyword)
{
	struct sx_conf c;

	parse_ok(&c,
		 "proxy socks4a://gw.example:9050\n"
		 "user alice\n"
		 "password p a:ss@#word\n"
		 "direct 10.0.0.0/8\n"
		 "direct [2001:db8::]/32:443, 192.168.1.0/24:22\n"
		 "connect_timeout 2.5\n"
		 "handshake_timeout 1500ms\n"
		 "bind_timeout 120\n"
		 "log_level debug\n"
		 "log_file /var/log/socksify.log\n");
	ck_assert_int_eq(c.proxy.type, SX_PROXY_SOCKS4A);
	ck_assert(c.proxy.remote_dns);
	ck_assert_str_eq(c.proxy.host, "gw.example");
	ck_assert_int_eq(c.proxy.port, 9050);
	ck_assert_str_eq(c.proxy.user, "alice");
	ck_assert_str_eq(c.proxy.pass, "p a:ss@#word");
	ck_assert(c.proxy.user_set && c.proxy.pass_set);
	ck_assert_uint_eq(c.ndirect, 5);
	ck_addr(&c.direct[2], AF_INET, "10.0.0.0");
	ck_addr(&c.direct[3], AF_INET6, "2001:db8::");
	ck_assert_int_eq(c.direct[3].port_lo, 443);
	ck_assert_int_eq(c.direct[4].port_hi, 22);
	ck_assert_int_eq(c.connect_timeout_ms, 2500);
	ck_assert_int_eq(c.handshake_timeout_ms, 1500);
	ck_assert_int_eq(c.bind_timeout_ms, 120000);
	ck_assert_int_eq(c.log_level, SX_LOG_DEBUG);
	ck_assert_str_eq(c.log_file, "/var/log/socksify.log");
	ck_assert_str_eq(c.sources, "");
}
END_TEST

START_TEST(file_comments_blanks_crlf)
{
	struct sx_conf c;

	parse_ok(&c, "");
	parse_ok(&c, "\n\n   \n\t\n# only a comment\n   # indented comment\n");
	ck_assert_str_eq(c.proxy.host, "127.0.0.1");

	parse_ok(&c, "# header\r\n\r\n  proxy\t h1:2  # trailing comment\r\n"
		     "user u#1\r\npassword pw #comment\r\nlog_level info");
	ck_assert_str_eq(c.proxy.host, "h1");
	ck_assert_int_eq(c.proxy.port, 2);
	ck_assert_str_eq(c.proxy.user, "u#1");
	ck_assert_str_eq(c.proxy.pass, "pw");
	ck_assert_int_eq(c.log_level, SX_LOG_INFO);

	/* keywords are case-insensitive; a UTF-8 BOM is skipped */
	parse_ok(&c, "\xef\xbb\xbfPROXY socks5h://h3\nLog_Level QUIET\n");
	ck_assert_str_eq(c.proxy.host, "h3");
	ck_assert(c.proxy.remote_dns);
	ck_assert_int_eq(c.log_level, SX_LOG_QUIET);
}
END_TEST

START_TEST(file_errors_exact)
{
	struct sx_conf c;
	int rc;

	sx_conf_defaults(&c);
	rc = sx_conf_parse_text(&c, "/etc/socksify.conf", "# x\n\n\nproxy h\n\n\nprxy h\n", 23);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(c.error, "/etc/socksify.conf:7: unknown keyword 'prxy'");

	parse_err(&c, "proxy\n", "t.conf:1: missing value for 'proxy'");
	parse_err(&c, "\nlog_file   # nothing\n", "t.conf:2: missing value for 'log_file'");
	parse_err(&c, "user \t\r\n", "t.conf:1: missing value for 'user'");
	parse_err(&c, "proxy socks6://x\n",
		  "t.conf:1: bad proxy URL 'socks6://x': unknown scheme 'socks6'"
		  " (use socks5, socks5h, socks4, socks4a or http)");
	parse_err(&c, "\r\ndirect 10.0.0.0/33\r\n",
		  "t.conf:2: bad network '10.0.0.0/33': invalid prefix (must be 0-32)");
	parse_err(&c, "log_level verbose\n",
		  "t.conf:1: bad log level 'verbose' (use quiet, error, info or debug; or 0, 1, 2)");
	parse_err(&c, "log_file relative.log\n",
		  "t.conf:1: log file 'relative.log' is not an absolute path (or \"stderr\")");
	parse_err(&c, "connect_timeout 0\n",
		  "t.conf:1: bad timeout '0': must be > 0 and at most 3600 s");
	parse_err(&c, "handshake_timeout 5m\n",
		  "t.conf:1: bad timeout '5m': unit must be s or ms");
	parse_err(&c, "a\n", "t.conf:1: unknown keyword 'a'");
	parse_err(&c, "proxy=h\n", "t.conf:1: unknown keyword 'proxy=h'");
	/* NUL inside the text */
	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_parse_text(&c, "n", "user a\nuser b\0c\n", 16), -1);
	ck_assert_str_eq(c.error, "n:2: NUL byte in line");
}
END_TEST

START_TEST(file_error_keeps_earlier_values)
{
	struct sx_conf c;

	parse_err(&c, "proxy h1:1\nlog_level debug\nbogus\nproxy h2:2\nlog_level quiet\n",
		  "t.conf:3: unknown keyword 'bogus'");
	ck_assert_str_eq(c.proxy.host, "h1");
	ck_assert_int_eq(c.log_level, SX_LOG_DEBUG);

	/* a bad value changes nothing */
	parse_err(&c, "connect_timeout 3\nconnect_timeout 99999\n",
		  "t.conf:2: bad timeout '99999': must be > 0 and at most 3600 s");
	ck_assert_int_eq(c.connect_timeout_ms, 3000);
	parse_err(&c, "proxy h1:1\nproxy h2:0\n",
		  "t.conf:2: bad proxy URL 'h2:0': invalid port '0' (must be 1-65535)");
	ck_assert_str_eq(c.proxy.host, "h1");
	ck_assert_int_eq(c.proxy.port, 1);
}
END_TEST

START_TEST(file_line_too_long)
{
	static char text[10000];
	struct sx_conf c;
	size_t n;

	/* exactly 4095 bytes: fine (CRLF does not count) */
	strcpy(text, "log_level info\n#");
	n = strlen(text);
	memset(text + n, 'x', 4094);
	strcpy(text + n + 4094, "\r\nlog_level debug\n");
	parse_ok(&c, text);
	ck_assert_int_eq(c.log_level, SX_LOG_DEBUG);

	strcpy(text, "log_level info\n#");
	memset(text + n, 'x', 4095);
	strcpy(text + n + 4095, "\nlog_level debug\n");
	parse_err(&c, text, "t.conf:2: line too long (max 4095 bytes)");
	ck_assert_int_eq(c.log_level, SX_LOG_INFO);
}
END_TEST

START_TEST(file_direct)
{
	struct sx_conf c;
	char text[4096] = "";

	parse_ok(&c, "direct 10.0.0.0/8\ndirect 192.168.0.0/16:22\n");
	ck_assert_uint_eq(c.ndirect, 4);        /* on top of the defaults */
	ck_addr(&c.direct[0], AF_INET, "127.0.0.0");
	ck_addr(&c.direct[3], AF_INET, "192.168.0.0");

	parse_ok(&c, "direct 10.0.0.0/8\ndirect none\n");
	ck_assert_uint_eq(c.ndirect, 0);
	parse_ok(&c, "direct NONE\ndirect 10.0.0.0/8\n");
	ck_assert_uint_eq(c.ndirect, 1);
	ck_addr(&c.direct[0], AF_INET, "10.0.0.0");

	/* 2 defaults + 62 = 64 is fine, one more is an error */
	for (int i = 0; i < SX_CONF_MAX_DIRECT - 2; i++) {
		char line[64];

		snprintf(line, sizeof line, "direct 10.%d.0.0/16\n", i);
		strcat(text, line);
	}
	parse_ok(&c, text);
	ck_assert_uint_eq(c.ndirect, SX_CONF_MAX_DIRECT);
	strcat(text, "direct 10.200.0.0/16\n");
	parse_err(&c, text, "t.conf:63: too many direct entries (max 64)");
	ck_assert_uint_eq(c.ndirect, SX_CONF_MAX_DIRECT);

	parse_err(&c, "direct ,\n", "t.conf:1: missing network after 'direct'");
	parse_err(&c, "direct 10.0.0.300\n",
		  "t.conf:1: bad network '10.0.0.300': not an IPv4 address, [IPv6] address or 'localhost'");

	/* A name is a domain suffix that goes direct. */
	parse_ok(&c, "direct Example.COM.\ndirect *.corp.test, .lan\n");
	ck_assert_uint_eq(c.ndomains, 3);
	ck_assert_str_eq(c.direct_domains[0], "example.com");
	ck_assert_str_eq(c.direct_domains[1], "corp.test");
	ck_assert_str_eq(c.direct_domains[2], "lan");
	ck_assert(sx_conf_name_is_direct(&c, "example.com"));
	ck_assert(sx_conf_name_is_direct(&c, "WWW.example.com."));
	ck_assert(sx_conf_name_is_direct(&c, "a.b.corp.test"));
	ck_assert(!sx_conf_name_is_direct(&c, "notexample.com"));
	ck_assert(!sx_conf_name_is_direct(&c, "example.com.evil"));
	ck_assert(!sx_conf_name_is_direct(&c, "com"));
	parse_ok(&c, "direct example.com\ndirect none\n");
	ck_assert_uint_eq(c.ndomains, 0);
	parse_err(&c, "direct exa$mple.com\n",
		  "t.conf:1: bad network 'exa$mple.com': not an IPv4 address, [IPv6] address or 'localhost'");
}
END_TEST

static int timeout_of(const char *val)
{
	struct sx_conf c;
	char text[128];

	snprintf(text, sizeof text, "connect_timeout %s\n", val);
	if (parse(&c, text) < 0)
		return -1;
	return c.connect_timeout_ms;
}

START_TEST(file_timeouts)
{
	ck_assert_int_eq(timeout_of("2.5"), 2500);
	ck_assert_int_eq(timeout_of("1500ms"), 1500);
	ck_assert_int_eq(timeout_of("3s"), 3000);
	ck_assert_int_eq(timeout_of("3 s"), 3000);
	ck_assert_int_eq(timeout_of("10 ms"), 10);
	ck_assert_int_eq(timeout_of("0.25s"), 250);
	ck_assert_int_eq(timeout_of(".5"), 500);
	ck_assert_int_eq(timeout_of("1.5ms"), 2);        /* rounds up */
	ck_assert_int_eq(timeout_of("0.0001"), 1);
	ck_assert_int_eq(timeout_of("0.0000000000001"), 1);
	ck_assert_int_eq(timeout_of("3600"), 3600000);
	ck_assert_int_eq(timeout_of("3600000ms"), 3600000);
	ck_assert_int_eq(timeout_of("3600.000"), 3600000);
	ck_assert_int_eq(timeout_of("3600.001"), -1);
	ck_assert_int_eq(timeout_of("3600001ms"), -1);
	ck_assert_int_eq(timeout_of("0"), -1);
	ck_assert_int_eq(timeout_of("0ms"), -1);
	ck_assert_int_eq(timeout_of("0.0"), -1);
	ck_assert_int_eq(timeout_of("-1"), -1);
	ck_assert_int_eq(timeout_of("abc"), -1);
	ck_assert_int_eq(timeout_of("."), -1);
	ck_assert_int_eq(timeout_of("1.2.3"), -1);
	ck_assert_int_eq(timeout_of("5 min"), -1);
	ck_assert_int_eq(timeout_of("1e3"), -1);
	ck_assert_int_eq(timeout_of("99999999999999999999999"), -1);
	{
		struct sx_conf c;

		parse_ok(&c, "handshake_timeout 0.5\n");
		ck_assert_int_eq(c.handshake_timeout_ms, 500);
		ck_assert_int_eq(c.connect_timeout_ms, 10000);
	}
}
END_TEST

START_TEST(file_log_level_and_file)
{
	static const struct { const char *v; enum sx_log_level l; } ok[] = {
		{ "quiet", SX_LOG_QUIET }, { "error", SX_LOG_ERROR },
		{ "info", SX_LOG_INFO }, { "debug", SX_LOG_DEBUG },
		{ "0", SX_LOG_ERROR }, { "1", SX_LOG_INFO }, { "2", SX_LOG_DEBUG },
		{ "Debug", SX_LOG_DEBUG },
	};
	struct sx_conf c;
	char text[64];

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		snprintf(text, sizeof text, "log_level info\nlog_level %s\n", ok[i].v);
		parse_ok(&c, text);
		ck_assert_int_eq(c.log_level, ok[i].l);
	}
	ck_assert_int_eq(parse(&c, "log_level 3\n"), -1);
	ck_assert_int_eq(parse(&c, "log_level -1\n"), -1);
	ck_assert_int_eq(parse(&c, "log_level debug x\n"), -1);

	parse_ok(&c, "log_file /tmp/a b.log\n");
	ck_assert_str_eq(c.log_file, "/tmp/a b.log");
	parse_ok(&c, "log_file /tmp/x\nlog_file stderr\n");
	ck_assert_str_eq(c.log_file, "");
	ck_assert_int_eq(parse(&c, "log_file ./x\n"), -1);
}
END_TEST

START_TEST(file_user_password)
{
	struct sx_conf c;
	char text[700], big[300];

	memset(big, 'S', 256);
	big[256] = '\0';
	snprintf(text, sizeof text, "user %.255s\npassword %.255s\n", big, big);
	parse_ok(&c, text);
	ck_assert_uint_eq(strlen(c.proxy.user), 255);
	ck_assert_uint_eq(strlen(c.proxy.pass), 255);

	snprintf(text, sizeof text, "user %s\n", big);
	parse_err(&c, text, "t.conf:1: user name must be 1-255 bytes (got 256)");
	snprintf(text, sizeof text, "password %s\n", big);
	parse_err(&c, text, "t.conf:1: password must be 1-255 bytes");
	ck_assert_str_eq(c.proxy.pass, "");
}
END_TEST

START_TEST(file_proxy_credentials)
{
	struct sx_conf c;

	/* a URL without credentials keeps those set before */
	parse_ok(&c, "user a\npassword b\nproxy socks5h://h2:3\n");
	ck_assert_str_eq(c.proxy.host, "h2");
	ck_assert_str_eq(c.proxy.user, "a");
	ck_assert_str_eq(c.proxy.pass, "b");
	ck_assert(c.proxy.user_set && c.proxy.pass_set);
	parse_ok(&c, "proxy socks5://x:y@h1\nproxy h3\n");
	ck_assert_str_eq(c.proxy.host, "h3");
	ck_assert_str_eq(c.proxy.user, "x");
	ck_assert_str_eq(c.proxy.pass, "y");
	/* credentials in the URL replace both */
	parse_ok(&c, "user a\npassword b\nproxy socks5://c:d@h\n");
	ck_assert_str_eq(c.proxy.user, "c");
	ck_assert_str_eq(c.proxy.pass, "d");
	parse_ok(&c, "user a\npassword b\nproxy socks5://c@h\n");
	ck_assert_str_eq(c.proxy.user, "c");
	ck_assert_str_eq(c.proxy.pass, "");
	ck_assert(!c.proxy.pass_set);
	/* keywords after the URL override it */
	parse_ok(&c, "proxy socks5://c:d@h\npassword e\n");
	ck_assert_str_eq(c.proxy.user, "c");
	ck_assert_str_eq(c.proxy.pass, "e");
}
END_TEST

START_TEST(file_password_never_in_error)
{
	struct sx_conf c;

	parse_err(&c, "proxy socks5://u:" SECRET "@h:99999\n",
		  "t.conf:1: bad proxy URL 'socks5://u:***@h:99999': invalid port '99999'"
		  " (must be 1-65535)");
	parse(&c, "password " SECRET "\nproxy socks5://u:" SECRET "@h/x\n");
	ck_assert_str_ne(c.error, "");
	ck_assert_ptr_null(strstr(c.error, SECRET));
	parse(&c, "proxy u:" SECRET "%g0@h\n");
	ck_assert_str_ne(c.error, "");
	ck_assert_ptr_null(strstr(c.error, SECRET));
}
END_TEST

/* ---- routes: chains, fallbacks, failover (issue 7) ------------------- */

START_TEST(routes_chain_fallback)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert_uint_eq(c.nroutes, 1);
	ck_assert_uint_eq(c.routes[0].nhops, 1);
	ck_assert_int_eq(c.failover_downtime_ms, 60000);
	ck_assert(!c.round_robin);
	parse_ok(&c, "user du\npassword dp\n"
		 "proxy socks4://h1:1 socks5h://a:b@h2:2\n"
		 "fallback socks5://h3:3\nfallback h4 | h5\n"
		 "failover_downtime 1500ms\nround_robin yes\npipelining on\n");
	ck_assert_uint_eq(c.nroutes, 4);
	ck_assert_uint_eq(c.routes[0].nhops, 2);
	ck_assert_int_eq(c.routes[0].hops[0].type, SX_PROXY_SOCKS4);
	ck_assert_str_eq(c.routes[0].hops[0].user, "du");      /* from user */
	ck_assert_str_eq(c.routes[0].hops[1].user, "a");       /* its URL's */
	ck_assert_str_eq(c.routes[0].hops[1].pass, "b");
	ck_assert_str_eq(c.routes[3].hops[0].host, "h5");
	ck_assert_str_eq(c.routes[3].hops[0].pass, "dp");
	ck_assert_int_eq(c.routes[2].hops[0].pipelining, SX_PIPE_ON);
	/* c.proxy is the primary route's exit hop */
	ck_assert_str_eq(c.proxy.host, "h2");
	ck_assert(c.proxy.remote_dns);
	ck_assert_int_eq(c.failover_downtime_ms, 1500);
	ck_assert(c.round_robin);
	/* user after a chain: only hops without URL credentials */
	parse_ok(&c, "proxy h1 u:p@h2\nuser x\n");
	ck_assert_str_eq(c.routes[0].hops[0].user, "x");
	ck_assert_str_eq(c.routes[0].hops[1].user, "u");
	/* a proxy line clears the fallbacks */
	parse_ok(&c, "proxy h1\nfallback h2\nproxy h3\n");
	ck_assert_uint_eq(c.nroutes, 1);
	ck_assert_str_eq(c.proxy.host, "h3");
	parse_ok(&c, "failover_downtime 0\n");
	ck_assert_int_eq(c.failover_downtime_ms, 0);
}
END_TEST

START_TEST(routes_errors)
{
	struct sx_conf c;

	parse_err(&c, "proxy h1 h2 h3 h4 h5\n",
		  "t.conf:1: too many proxies in one chain (max 4)");
	parse_err(&c, "proxy h1 | h2\nfallback h3 | h4\nfallback h5\n",
		  "t.conf:3: too many routes (the proxy line and fallbacks: "
		  "max 4 in all)");
	ck_assert_uint_eq(c.nroutes, 4);        /* unchanged by the bad line */
	parse_err(&c, "proxy h1 |\n", "t.conf:1: empty route (no proxy URL "
		  "around '|')");
	parse_err(&c, "proxy h1 socks9://h2\n", "t.conf:1: bad proxy URL "
		  "'socks9://h2': unknown scheme 'socks9' (use socks5, socks5h, "
		  "socks4, socks4a or http)");
	ck_assert_str_eq(c.proxy.host, "127.0.0.1");
	parse_err(&c, "round_robin maybe\n",
		  "t.conf:1: bad round_robin 'maybe' (use yes or no)");
	parse_err(&c, "failover_downtime -1\n",
		  "t.conf:1: bad timeout '-1': not a number");
}
END_TEST

START_TEST(routes_env)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	env_set("SOCKSIFY_PROXY", "socks5://h1:1 socks4a://h2:2|socks5://h3");
	env_set("SOCKSIFY_USER", "eu");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_uint_eq(c.nroutes, 2);
	ck_assert_uint_eq(c.routes[0].nhops, 2);
	ck_assert_str_eq(c.routes[0].hops[1].host, "h2");
	ck_assert_str_eq(c.routes[1].hops[0].host, "h3");
	ck_assert_str_eq(c.routes[1].hops[0].user, "eu");
	ck_assert_int_eq(c.proxy.type, SX_PROXY_SOCKS4A);
}
END_TEST

/* ---- environment ---------------------------------------------------- */

START_TEST(env_nothing_set)
{
	struct sx_conf c, d;

	sx_conf_defaults(&c);
	sx_conf_defaults(&d);
	env_set("HOME", "/x");
	env_set("SOCKSIFY_DEBUG", "");
	env_set("SOCKSIFY_QUIET", "");
	env_set("SOCKSIFY_USER", "");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert(memcmp(&c, &d, sizeof c) == 0);
	ck_assert_str_eq(c.sources, "");
	ck_assert_int_eq(sx_conf_apply_env(&c, NULL), 0);
}
END_TEST

START_TEST(env_proxy_and_credentials)
{
	struct sx_conf c;

	parse_ok(&c, "proxy socks5://fu:fp@filehost:1\nlog_level info\n");
	strcpy(c.sources, "t.conf");
	env_set("SOCKSIFY_PROXY", "socks4a://envhost:2");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.proxy.type, SX_PROXY_SOCKS4A);
	ck_assert_str_eq(c.proxy.host, "envhost");
	ck_assert_int_eq(c.proxy.port, 2);
	ck_assert_str_eq(c.proxy.user, "fu");   /* kept: no credentials in URL */
	ck_assert_str_eq(c.proxy.pass, "fp");
	ck_assert_int_eq(c.log_level, SX_LOG_INFO);
	ck_assert_str_eq(c.sources, "t.conf, env");

	/* SOCKSIFY_USER / SOCKSIFY_PASSWORD win over the URL */
	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_PROXY", "socks5://uu:pp@h");
	env_set("SOCKSIFY_USER", "eu");
	env_set("SOCKSIFY_PASSWORD", "ep");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_str_eq(c.proxy.user, "eu");
	ck_assert_str_eq(c.proxy.pass, "ep");
	ck_assert_str_eq(c.sources, "env");

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_PASSWORD", "only");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_str_eq(c.proxy.pass, "only");
	ck_assert(c.proxy.pass_set);
	ck_assert(!c.proxy.user_set);
}
END_TEST

START_TEST(env_direct)
{
	struct sx_conf c;

	parse_ok(&c, "direct 10.0.0.0/8\n");
	env_set("SOCKSIFY_DIRECT", "");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_uint_eq(c.ndirect, 0);
	ck_assert_str_eq(c.sources, "env");

	env_reset();
	parse_ok(&c, "direct 10.0.0.0/8\n");
	env_set("SOCKSIFY_DIRECT", "192.168.0.0/16, [::1]:22");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_uint_eq(c.ndirect, 2);
	ck_addr(&c.direct[0], AF_INET, "192.168.0.0");
	ck_addr(&c.direct[1], AF_INET6, "::1");
}
END_TEST

START_TEST(env_log_level)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	env_set("SOCKSIFY_DEBUG", "2");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.log_level, SX_LOG_DEBUG);

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_DEBUG", "info");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.log_level, SX_LOG_INFO);

	/* quiet wins over debug */
	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_DEBUG", "2");
	env_set("SOCKSIFY_QUIET", "1");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.log_level, SX_LOG_QUIET);

	/* SOCKSIFY_QUIET=0 or "" does nothing */
	env_reset();
	parse_ok(&c, "log_level info\n");
	env_set("SOCKSIFY_QUIET", "0");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.log_level, SX_LOG_INFO);
	env_reset();
	env_set("SOCKSIFY_QUIET", "");
	env_set("SOCKSIFY_DEBUG", "");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.log_level, SX_LOG_INFO);
	env_reset();
	env_set("SOCKSIFY_QUIET", "yes");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.log_level, SX_LOG_QUIET);

	/* the environment wins over a file's quiet */
	env_reset();
	parse_ok(&c, "log_level quiet\n");
	env_set("SOCKSIFY_DEBUG", "1");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.log_level, SX_LOG_INFO);

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_LOG", "/tmp/sx.log");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_str_eq(c.log_file, "/tmp/sx.log");
	ck_assert_str_eq(c.sources, "env");
}
END_TEST

START_TEST(gssapi_keywords)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert(!c.proxy.gss.enabled);
	ck_assert(!c.proxy.gss.delegate);
	ck_assert_int_eq(c.proxy.gss.protection, 2);
	ck_assert_int_eq(c.proxy.gss.min_protection, -1);
	ck_assert_str_eq(c.proxy.gss.service, "rcmd");
	ck_assert_str_eq(c.proxy.gss.principal, "");

	parse_ok(&c, "gssapi on\ngssapi_service host\ngssapi_delegate yes\n"
		 "gssapi_protection integrity\ngssapi_min_protection clear\n"
		 "gssapi_principal rcmd/proxy.example@EXAMPLE.ORG\n");
	ck_assert(c.proxy.gss.enabled);
	ck_assert(c.proxy.gss.delegate);
	ck_assert_str_eq(c.proxy.gss.service, "host");
	ck_assert_int_eq(c.proxy.gss.protection, 1);
	ck_assert_int_eq(c.proxy.gss.min_protection, 0);
	ck_assert_str_eq(c.proxy.gss.principal, "rcmd/proxy.example@EXAMPLE.ORG");

	/* settings of their own: a later proxy URL keeps them */
	parse_ok(&c, "gssapi on\ngssapi_protection clear\nproxy socks5://10.0.0.1\n");
	ck_assert(c.proxy.gss.enabled);
	ck_assert_int_eq(c.proxy.gss.protection, 0);
	ck_assert_str_eq(c.proxy.host, "10.0.0.1");
	parse_ok(&c, "gssapi off\ngssapi_principal none\n");
	ck_assert(!c.proxy.gss.enabled);
	ck_assert_str_eq(c.proxy.gss.principal, "");

	parse_err(&c, "gssapi maybe\n", "t.conf:1: bad gssapi 'maybe' (use on or off)");
	parse_err(&c, "gssapi_protection secret\n", "t.conf:1: bad gssapi_protection "
		  "'secret' (use clear, integrity or confidentiality)");
	parse_err(&c, "gssapi_min_protection confidentiality\ngssapi_protection integrity\n",
		  "t.conf:2: gssapi_protection integrity is below gssapi_min_protection "
		  "confidentiality");
	parse_err(&c, "gssapi_protection clear\ngssapi_min_protection integrity\n",
		  "t.conf:2: gssapi_min_protection integrity is above gssapi_protection "
		  "clear");
	parse_err(&c, "gssapi_service rcmd/host\n", "t.conf:1: bad gssapi_service "
		  "'rcmd/host': a service name such as rcmd (for a full principal use "
		  "gssapi_principal)");
	parse_err(&c, "gssapi_delegate\n", "t.conf:1: missing value for 'gssapi_delegate'");
	/* a bad value leaves the earlier one */
	parse_err(&c, "gssapi_protection integrity\ngssapi_protection x\n",
		  "t.conf:2: bad gssapi_protection 'x' (use clear, integrity or "
		  "confidentiality)");
	ck_assert_int_eq(c.proxy.gss.protection, 1);
}
END_TEST

START_TEST(pipelining_file_and_env)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_AUTO);
	parse_ok(&c, "pipelining on\n");
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_ON);
	parse_ok(&c, "pipelining OFF\n");
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_OFF);
	parse_ok(&c, "pipelining auto\n");
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_AUTO);
	parse_ok(&c, "pipelining yes\n");
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_ON);
	parse_ok(&c, "pipelining no\n");
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_OFF);

	/* a per-proxy setting that survives a later proxy URL, in any order */
	parse_ok(&c, "pipelining on\nproxy socks5://10.0.0.1:1081\n");
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_ON);
	ck_assert_str_eq(c.proxy.host, "10.0.0.1");

	/* a bad value leaves the earlier one */
	parse_err(&c, "pipelining on\npipelining maybe\n", "t.conf:2: bad "
		  "pipelining 'maybe' (use on, off or auto)");
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_ON);
	parse_err(&c, "pipelining\n", "t.conf:1: missing value for 'pipelining'");

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_PIPELINING", "on");
	env_set("SOCKSIFY_PROXY", "socks5://10.0.0.2");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_ON);
	ck_assert_str_eq(c.sources, "env");

	env_reset();
	env_set("SOCKSIFY_PIPELINING", "off");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_OFF);

	env_reset();
	env_set("SOCKSIFY_PIPELINING", "");      /* empty: not set */
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_OFF);

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_PIPELINING", "1");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), -1);
	ck_assert_str_eq(c.error, "SOCKSIFY_PIPELINING: bad pipelining '1' "
			 "(use on, off or auto)");
	ck_assert_int_eq(c.proxy.pipelining, SX_PIPE_AUTO);
}
END_TEST

START_TEST(udp_policy)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert_int_eq(c.udp, SX_UDP_REFUSE);     /* fails closed */
	parse_ok(&c, "udp direct\n");
	ck_assert_int_eq(c.udp, SX_UDP_DIRECT);
	parse_ok(&c, "udp REFUSE\n");
	ck_assert_int_eq(c.udp, SX_UDP_REFUSE);
	parse_err(&c, "udp direct\nudp maybe\n", "t.conf:2: bad udp policy "
		  "'maybe' (use refuse or direct)");
	ck_assert_int_eq(c.udp, SX_UDP_DIRECT);     /* the earlier value stays */
	parse_err(&c, "udp\n", "t.conf:1: missing value for 'udp'");
}
END_TEST

START_TEST(env_errors)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	env_set("SOCKSIFY_PROXY", "socks6://x");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), -1);
	ck_assert_str_eq(c.error, "SOCKSIFY_PROXY: bad proxy URL 'socks6://x': unknown scheme"
			 " 'socks6' (use socks5, socks5h, socks4, socks4a or http)");
	ck_assert_str_eq(c.proxy.host, "127.0.0.1");

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_DEBUG", "7");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), -1);
	ck_assert_str_eq(c.error, "SOCKSIFY_DEBUG: bad log level '7' (use quiet, error, info"
			 " or debug; or 0, 1, 2)");

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_DIRECT", "10.0.0.0/8,n:ope");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), -1);
	ck_assert_str_eq(c.error, "SOCKSIFY_DIRECT: bad network 'n:ope': not an IPv4 address,"
			 " [IPv6] address or 'localhost'");
	ck_assert_uint_eq(c.ndirect, 2);

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_LOG", "rel");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), -1);
	ck_assert_ptr_nonnull(strstr(c.error, "SOCKSIFY_LOG: "));

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_PROXY", "socks5://u:" SECRET "@h:0");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), -1);
	ck_assert_ptr_null(strstr(c.error, SECRET));
	ck_assert_str_eq(c.error, "SOCKSIFY_PROXY: bad proxy URL 'socks5://u:***@h:0':"
			 " invalid port '0' (must be 1-65535)");
}
END_TEST

/* ---- loading files -------------------------------------------------- */

START_TEST(load_order_and_sources)
{
	struct sx_conf c;
	char sys[256], home[256], named[256], want[1024];

	tmp_setup();
	snprintf(sys, sizeof sys, "%s", tmp_write("sys.conf",
		 "proxy sys:1\nlog_level info\nconnect_timeout 1\ndirect 10.0.0.0/8\n"));
	snprintf(home, sizeof home, "%s", tmp_write(".socksify.conf",
		 "proxy home:2\nconnect_timeout 2\nhandshake_timeout 2\ndirect 10.1.0.0/16\n"));
	snprintf(named, sizeof named, "%s", tmp_write("named.conf",
		 "proxy named:3\nhandshake_timeout 3\n"));
	env_set("HOME", tmpdir);
	env_set("SOCKSIFY_CONF", named);
	sx_conf_load_from(&c, sys, stub_getenv);
	ck_assert_str_eq(c.error, "");
	ck_assert_str_eq(c.proxy.host, "named");
	ck_assert_int_eq(c.log_level, SX_LOG_INFO);
	ck_assert_int_eq(c.connect_timeout_ms, 2000);
	ck_assert_int_eq(c.handshake_timeout_ms, 3000);
	ck_assert_uint_eq(c.ndirect, 4);
	snprintf(want, sizeof want, "%s, %s, %s", sys, home, named);
	ck_assert_str_eq(c.sources, want);

	/* the environment comes last */
	env_set("SOCKSIFY_PROXY", "envhost:4");
	sx_conf_load_from(&c, sys, stub_getenv);
	ck_assert_str_eq(c.error, "");
	ck_assert_str_eq(c.proxy.host, "envhost");
	snprintf(want, sizeof want, "%s, %s, %s, env", sys, home, named);
	ck_assert_str_eq(c.sources, want);

	/* HOME with a trailing slash gives the same path */
	env_reset();
	snprintf(want, sizeof want, "%s/", tmpdir);
	env_set("HOME", want);
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.sources, home);
	tmp_cleanup();
}
END_TEST

START_TEST(load_missing_files)
{
	struct sx_conf c;
	char want[512];

	tmp_setup();
	/* missing system and home files are skipped silently */
	env_set("HOME", tmpdir);
	sx_conf_load_from(&c, "/nonexistent/socksify.conf", stub_getenv);
	ck_assert_str_eq(c.error, "");
	ck_assert_str_eq(c.sources, "");
	ck_assert_str_eq(c.proxy.host, "127.0.0.1");

	/* HOME unset or empty: no home file, no error */
	env_reset();
	env_set("HOME", "");
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.error, "");
	env_reset();
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.error, "");
	sx_conf_load_from(&c, NULL, NULL);
	ck_assert_str_eq(c.error, "");

	/* SOCKSIFY_CONF naming a missing file is an error */
	env_reset();
	snprintf(want, sizeof want, "%s/nope.conf", tmpdir);
	env_set("SOCKSIFY_CONF", want);
	env_set("SOCKSIFY_PROXY", "envhost");
	sx_conf_load_from(&c, NULL, stub_getenv);
	snprintf(want, sizeof want, "%s/nope.conf: No such file or directory", tmpdir);
	ck_assert_str_eq(c.error, want);
	ck_assert_str_eq(c.proxy.host, "envhost");      /* later sources still read */
	ck_assert_str_eq(c.sources, "env");

	/* SOCKSIFY_CONF empty: ignored */
	env_reset();
	env_set("SOCKSIFY_CONF", "");
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.error, "");

	/* a directory is unreadable */
	env_reset();
	env_set("SOCKSIFY_CONF", tmpdir);
	sx_conf_load_from(&c, NULL, stub_getenv);
	snprintf(want, sizeof want, "%s: Is a directory", tmpdir);
	ck_assert_str_eq(c.error, want);

	/* a path through a regular file: not a directory */
	env_reset();
	snprintf(want, sizeof want, "%s/x", tmp_write("plain", "log_level info\n"));
	env_set("SOCKSIFY_CONF", want);
	sx_conf_load_from(&c, NULL, stub_getenv);
	snprintf(want, sizeof want, "%s/plain/x: Not a directory", tmpdir);
	ck_assert_str_eq(c.error, want);

	/* /dev/null is an empty file */
	env_reset();
	env_set("SOCKSIFY_CONF", "/dev/null");
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.error, "");
	ck_assert_str_eq(c.sources, "/dev/null");
	tmp_cleanup();
}
END_TEST

START_TEST(load_error_kept)
{
	struct sx_conf c;
	char sys[256], want[512];

	tmp_setup();
	snprintf(sys, sizeof sys, "%s", tmp_write("sys.conf",
		 "log_level debug\nproxy h:0\nlog_level quiet\n"));
	tmp_write(".socksify.conf", "proxy home\n");
	env_set("HOME", tmpdir);
	env_set("SOCKSIFY_PROXY", "envhost");
	sx_conf_load_from(&c, sys, stub_getenv);
	snprintf(want, sizeof want,
		 "%s:2: bad proxy URL 'h:0': invalid port '0' (must be 1-65535)", sys);
	ck_assert_str_eq(c.error, want);                /* the first error kept */
	snprintf(want, sizeof want, "%s, %s/.socksify.conf, env", sys, tmpdir);
	ck_assert_str_eq(c.sources, want);              /* later sources read */
	ck_assert_str_eq(c.proxy.host, "envhost");
	ck_assert_int_eq(c.proxy.port, 1080);
	ck_assert_int_eq(c.log_level, SX_LOG_DEBUG);

	/* an error in the environment after good files */
	env_reset();
	env_set("HOME", tmpdir);
	env_set("SOCKSIFY_QUIET", "1");
	env_set("SOCKSIFY_USER", "");
	env_set("SOCKSIFY_DEBUG", "loud");
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.proxy.host, "home");
	ck_assert_ptr_nonnull(strstr(c.error, "SOCKSIFY_DEBUG: bad log level 'loud'"));
	tmp_cleanup();
}
END_TEST

START_TEST(load_size_limit)
{
	struct sx_conf c;
	char path[256], want[512];
	static char big[1024 * 1024 + 2];
	FILE *f;

	tmp_setup();
	/* exactly 1 MiB of comments: fine */
	for (size_t i = 0; i < 1024 * 1024; i += 64) {
		memset(big + i, 'x', 64);
		big[i] = '#';
		big[i + 63] = '\n';
	}
	snprintf(path, sizeof path, "%s/big.conf", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(big, 1, 1024 * 1024, f), 1024 * 1024);
	ck_assert_int_eq(fclose(f), 0);
	env_set("SOCKSIFY_CONF", path);
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.error, "");
	ck_assert_str_eq(c.sources, path);

	/* one byte more: refused */
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputc('\n', f), '\n');
	ck_assert_int_eq(fclose(f), 0);
	sx_conf_load_from(&c, NULL, stub_getenv);
	snprintf(want, sizeof want, "%s: file too large (max 1 MiB)", path);
	ck_assert_str_eq(c.error, want);

	/* not a regular file and endless: refused after 1 MiB */
	env_reset();
	env_set("SOCKSIFY_CONF", "/dev/zero");
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.error, "/dev/zero: file too large (max 1 MiB)");
	tmp_cleanup();
}
END_TEST

START_TEST(load_unreadable)
{
	struct sx_conf c;
	char sys[256], want[512];

	if (geteuid() == 0)
		return;         /* root reads everything */
	tmp_setup();
	snprintf(sys, sizeof sys, "%s", tmp_write("sys.conf", "log_level info\n"));
	ck_assert_int_eq(chmod(sys, 0), 0);
	sx_conf_load_from(&c, sys, stub_getenv);
	snprintf(want, sizeof want, "%s: Permission denied", sys);
	ck_assert_str_eq(c.error, want);
	tmp_cleanup();
}
END_TEST

/* A password in a file group or others can read: refused, as ssh does. */
static void load_mode(const char *text, mode_t mode, const char *want_pass)
{
	struct sx_conf c;
	char path[256], want[1024];

	snprintf(path, sizeof path, "%s", tmp_write("pw.conf", text));
	ck_assert_int_eq(chmod(path, mode), 0);
	env_reset();
	env_set("SOCKSIFY_CONF", path);
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_ptr_null(strstr(c.error, "pw-secret"));
	if (want_pass) {
		ck_assert_str_eq(c.error, "");
		ck_assert_str_eq(c.proxy.pass, want_pass);
		return;
	}
	snprintf(want, sizeof want, "%s: holds a password but is readable by "
		 "group or others (mode %04o); refused: make it private (chmod 600 %s)",
		 path, (unsigned)mode, path);
	ck_assert_str_eq(c.error, want);
}

START_TEST(load_password_file_mode)
{
	struct sx_conf c;
	char want[1024];

	tmp_setup();
	load_mode("proxy socks5://h:1\npassword pw-secret\n", 0600, "pw-secret");
	load_mode("proxy socks5://h:1\npassword pw-secret\n", 0400, "pw-secret");
	load_mode("proxy socks5://h:1\npassword pw-secret\n", 0644, NULL);
	load_mode("proxy socks5://h:1\npassword pw-secret\n", 0640, NULL);
	load_mode("proxy socks5://h:1\npassword pw-secret\n", 0604, NULL);
	load_mode("proxy socks5://u:pw-secret@h:1\n", 0644, NULL);
	load_mode("proxy socks5://u:pw-secret@h:1\n", 0600, "pw-secret");
	/* no password: any mode */
	load_mode("proxy socks5://u@h:1\nuser u\nhandshake_timeout 2\n", 0644, "");
	load_mode("proxy socks5://h:1\n", 0666, "");
	/* group/other write or execute alone do not expose it */
	load_mode("password pw-secret\n", 0622, "pw-secret");

	/* the home file too: the error stays, whatever comes later */
	env_reset();
	snprintf(want, sizeof want, "%s", tmp_write(".socksify.conf",
		 "user u\npassword pw-secret\n"));
	ck_assert_int_eq(chmod(want, 0644), 0);
	env_set("HOME", tmpdir);
	env_set("SOCKSIFY_PROXY", "envhost");
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_ptr_nonnull(strstr(c.error, "/.socksify.conf: holds a password "
				     "but is readable by group or others (mode 0644)"));
	ck_assert_int_eq(chmod(want, 0600), 0);
	sx_conf_load_from(&c, NULL, stub_getenv);
	ck_assert_str_eq(c.error, "");
	ck_assert_str_eq(c.proxy.host, "envhost");
	ck_assert_str_eq(c.proxy.pass, "pw-secret");
	tmp_cleanup();
}
END_TEST

/* sx_conf_load itself, with the real (secure_)getenv. */
START_TEST(load_real_environment)
{
	static const char *const vars[] = {
		"SOCKSIFY_PROXY", "SOCKSIFY_DIRECT", "SOCKSIFY_USER",
		"SOCKSIFY_PASSWORD", "SOCKSIFY_DEBUG", "SOCKSIFY_QUIET",
		"SOCKSIFY_LOG", "SOCKSIFY_CONF",
	};
	struct sx_conf c;
	char home[256], named[256], want[1024];
	const char *sys = SX_SYSCONFDIR "/socksify.conf";
	bool has_sys = access(sys, F_OK) == 0;

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		ck_assert_int_eq(unsetenv(vars[i]), 0);
	tmp_setup();
	snprintf(home, sizeof home, "%s", tmp_write(".socksify.conf", "proxy homehost:7\n"));
	snprintf(named, sizeof named, "%s", tmp_write("named.conf", "connect_timeout 7\n"));
	ck_assert_int_eq(setenv("HOME", tmpdir, 1), 0);
	ck_assert_int_eq(setenv("SOCKSIFY_CONF", named, 1), 0);
	ck_assert_int_eq(setenv("SOCKSIFY_DIRECT", "", 1), 0);
	ck_assert_int_eq(setenv("SOCKSIFY_DEBUG", "debug", 1), 0);
	sx_conf_load(&c);
	ck_assert_str_eq(c.error, "");
	ck_assert_str_eq(c.proxy.host, "homehost");
	ck_assert_int_eq(c.connect_timeout_ms, 7000);
	ck_assert_uint_eq(c.ndirect, 0);
	ck_assert_int_eq(c.log_level, SX_LOG_DEBUG);
	snprintf(want, sizeof want, "%s%s%s, %s, env", has_sys ? sys : "",
		 has_sys ? ", " : "", home, named);
	ck_assert_str_eq(c.sources, want);

	/* a missing named file is an error */
	snprintf(named, sizeof named, "%s/missing.conf", tmpdir);
	ck_assert_int_eq(setenv("SOCKSIFY_CONF", named, 1), 0);
	sx_conf_load(&c);
	snprintf(want, sizeof want, "%s: No such file or directory", named);
	ck_assert_str_eq(c.error, want);
	ck_assert_int_eq(c.log_level, SX_LOG_DEBUG);    /* the environment applies */

	/* HOME unset: the home file is skipped */
	ck_assert_int_eq(unsetenv("HOME"), 0);
	ck_assert_int_eq(unsetenv("SOCKSIFY_CONF"), 0);
	sx_conf_load(&c);
	ck_assert_str_eq(c.error, "");
	ck_assert(strstr(c.sources, ".socksify.conf") == NULL);
	tmp_cleanup();
}
END_TEST

/* ---- sx_conf_is_direct ---------------------------------------------- */

START_TEST(is_direct_defaults)
{
	struct sx_conf c;
	struct sockaddr_un sun;

	sx_conf_defaults(&c);
	ck_assert(direct(&c, "127.0.0.1", 80));
	ck_assert(direct(&c, "127.255.255.254", 1));
	ck_assert(!direct(&c, "128.0.0.1", 80));
	ck_assert(!direct(&c, "10.0.0.1", 80));
	ck_assert(direct(&c, "::1", 22));
	ck_assert(!direct(&c, "::2", 22));
	ck_assert(!direct(&c, "2001:db8::1", 22));
	ck_assert(direct(&c, "::ffff:127.0.0.1", 8080));      /* v4-mapped */
	ck_assert(!direct(&c, "::ffff:128.0.0.1", 8080));
	ck_assert(!direct(&c, "::127.0.0.1", 8080));          /* not mapped */

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert(!sx_conf_is_direct(&c, (const struct sockaddr *)&sun));
	ck_assert(!sx_conf_is_direct(&c, NULL));

	parse_ok(&c, "direct none\n");
	ck_assert(!direct(&c, "127.0.0.1", 80));
	ck_assert(!direct(&c, "::1", 80));
}
END_TEST

START_TEST(is_direct_ports_and_prefixes)
{
	struct sx_conf c;

	parse_ok(&c, "direct none\n"
		     "direct 10.0.0.0/8:8000-8999\n"
		     "direct 192.168.0.0/23\n"
		     "direct [2001:db8::]/32:443\n"
		     "direct 203.0.113.7:22\n");
	ck_assert(direct(&c, "10.1.2.3", 8000));
	ck_assert(direct(&c, "10.1.2.3", 8999));
	ck_assert(direct(&c, "10.255.255.255", 8500));
	ck_assert(!direct(&c, "10.1.2.3", 7999));
	ck_assert(!direct(&c, "10.1.2.3", 9000));
	ck_assert(!direct(&c, "11.1.2.3", 8000));
	ck_assert(direct(&c, "192.168.1.200", 1));
	ck_assert(direct(&c, "192.168.0.0", 65535));
	ck_assert(!direct(&c, "192.168.2.1", 1));
	ck_assert(direct(&c, "2001:db8:ffff::1", 443));
	ck_assert(!direct(&c, "2001:db8::1", 444));
	ck_assert(!direct(&c, "2001:db9::1", 443));
	ck_assert(direct(&c, "203.0.113.7", 22));
	ck_assert(!direct(&c, "203.0.113.7", 23));
	ck_assert(!direct(&c, "203.0.113.8", 22));
	/* v4-mapped addresses match the IPv4 entries, ports included */
	ck_assert(direct(&c, "::ffff:10.9.9.9", 8080));
	ck_assert(!direct(&c, "::ffff:10.9.9.9", 80));
	ck_assert(direct(&c, "::ffff:203.0.113.7", 22));
	ck_assert(!direct(&c, "::ffff:203.0.113.7", 21));

	/* /0 matches every IPv4 address but no IPv6 one */
	parse_ok(&c, "direct none\ndirect 0.0.0.0/0\n");
	ck_assert(direct(&c, "8.8.8.8", 53));
	ck_assert(direct(&c, "::ffff:8.8.8.8", 53));
	ck_assert(!direct(&c, "2001:db8::1", 53));
	parse_ok(&c, "direct none\ndirect [::]/0:53\n");
	ck_assert(direct(&c, "2001:db8::1", 53));
	ck_assert(!direct(&c, "2001:db8::1", 54));
	ck_assert(!direct(&c, "8.8.8.8", 53));
}
END_TEST

/* ---- main ----------------------------------------------------------- */

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("url");
	tcase_add_test(tc, url_schemes);
	tcase_add_test(tc, url_no_scheme_and_ports);
	tcase_add_test(tc, url_userinfo);
	tcase_add_test(tc, url_percent_and_last_at);
	tcase_add_test(tc, url_ipv6);
	tcase_add_test(tc, url_bad_scheme);
	tcase_add_test(tc, url_bad_port);
	tcase_add_test(tc, url_empty_host_and_user);
	tcase_add_test(tc, url_lengths);
	tcase_add_test(tc, url_path_rejected);
	tcase_add_test(tc, url_password_never_in_error);
	tcase_add_test(tc, url_failure_leaves_output);
	suite_add_tcase(s, tc);

	tc = tcase_create("net");
	tcase_add_test(tc, net_v4);
	tcase_add_test(tc, net_ports);
	tcase_add_test(tc, net_v6);
	tcase_add_test(tc, net_localhost_and_bad);
	tcase_add_test(tc, direct_list);
	tcase_add_test(tc, direct_list_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, file_every_keyword);
	tcase_add_test(tc, file_comments_blanks_crlf);
	tcase_add_test(tc, file_errors_exact);
	tcase_add_test(tc, file_error_keeps_earlier_values);
	tcase_add_test(tc, file_line_too_long);
	tcase_add_test(tc, file_direct);
	tcase_add_test(tc, file_timeouts);
	tcase_add_test(tc, file_log_level_and_file);
	tcase_add_test(tc, file_user_password);
	tcase_add_test(tc, file_proxy_credentials);
	tcase_add_test(tc, file_password_never_in_error);
	tcase_add_test(tc, routes_chain_fallback);
	tcase_add_test(tc, routes_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_checked_fixture(tc, env_fixture, NULL);
	tcase_add_test(tc, env_nothing_set);
	tcase_add_test(tc, env_proxy_and_credentials);
	tcase_add_test(tc, routes_env);
	tcase_add_test(tc, env_direct);
	tcase_add_test(tc, env_log_level);
	tcase_add_test(tc, env_errors);
	tcase_add_test(tc, pipelining_file_and_env);
	tcase_add_test(tc, gssapi_keywords);
	tcase_add_test(tc, udp_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, env_fixture, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, load_order_and_sources);
	tcase_add_test(tc, load_missing_files);
	tcase_add_test(tc, load_error_kept);
	tcase_add_test(tc, load_size_limit);
	tcase_add_test(tc, load_unreadable);
	tcase_add_test(tc, load_real_environment);
	tcase_add_test(tc, load_password_file_mode);
	suite_add_tcase(s, tc);

	tc = tcase_create("is_direct");
	tcase_add_test(tc, is_direct_defaults);
	tcase_add_test(tc, is_direct_ports_and_prefixes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
