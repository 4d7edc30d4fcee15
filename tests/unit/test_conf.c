/*
 * test_conf.c - unit tests for include/socksify/conf.h (src/conf/): proxy URLs, networks, direct lists (the other test_conf_*.c: files, environment, loading).
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
