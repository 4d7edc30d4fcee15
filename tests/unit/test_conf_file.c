/*
 * test_conf_file.c - unit tests for include/socksify/conf.h (src/conf/): the config file language, keyword by keyword.
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

/* ---- main ----------------------------------------------------------- */

static Suite *conf_file_suite(void)
{
	Suite *s = suite_create("conf_file");
	TCase *tc;

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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conf_file_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
