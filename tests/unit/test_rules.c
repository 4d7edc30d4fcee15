/*
 * test_rules.c - unit tests for routes by destination (src/conf/rules.c):
 * the "route" keyword's two forms, its errors, and first-match-wins
 * matching by name (suffix and exact), network (IPv4, IPv6), port range
 * and protocol.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "socksify/conf.h"

static struct sx_conf c;

static void load(const char *text)
{
	sx_conf_defaults(&c);
	ck_assert_msg(sx_conf_parse_text(&c, "t.conf", text, strlen(text)) == 0,
		      "%s", c.error);
}

static int by_addr(const char *ip, uint16_t port, int proto)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (void *)&ss;
	struct sockaddr_in6 *s6 = (void *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
	return sx_conf_route_match(&c, NULL, (struct sockaddr *)&ss, port, proto);
}

static const char four[] =
	"proxy socks5h://127.0.0.1:1080\n"
	"route danted = socks5://127.0.0.1:1081\n"
	"route micro = socks5://127.0.0.1:1082 | http://u:p@127.0.0.1:3128\n"
	"route chain = http://127.0.0.1:3128 socks5://127.0.0.1:1081\n"
	"route example.com,=exact.test danted\n"
	"route 10.0.0.0/8,[2001:db8::]/32 micro\n"
	"route :22,:8000-8100 direct\n"
	"route udp * direct\n"
	"route * tcp block\n";

START_TEST(parse_named_and_rules)
{
	load(four);
	ck_assert_uint_eq(c.nnamed, 3);
	ck_assert_str_eq(c.named[0].name, "danted");
	ck_assert_uint_eq(c.named[1].nroutes, 2);
	ck_assert_int_eq(c.named[1].routes[1].hops[0].type, SX_PROXY_HTTP);
	ck_assert_str_eq(c.named[1].routes[1].hops[0].user, "u");
	ck_assert_uint_eq(c.named[2].routes[0].nhops, 2);
	ck_assert_uint_eq(c.nrules, 8);
	ck_assert_int_eq(c.rules[0].kind, SX_MATCH_DOMAIN);
	ck_assert_int_eq(c.rules[1].kind, SX_MATCH_EXACT);
	ck_assert_int_eq(c.rules[2].kind, SX_MATCH_NET);
	ck_assert_int_eq(c.rules[4].kind, SX_MATCH_PORT);
	ck_assert_int_eq(c.rules[5].port_lo, 8000);
	ck_assert_int_eq(c.rules[6].proto, IPPROTO_UDP);   /* "udp *": before */
	ck_assert_int_eq(c.rules[7].proto, IPPROTO_TCP);   /* "* tcp": after */
	ck_assert_int_eq(c.rules[6].kind, SX_MATCH_ANY);
	ck_assert_int_eq(c.rules[7].target, SX_TARGET_BLOCK);
	/* the default route is untouched */
	ck_assert_uint_eq(c.nroutes, 1);
	ck_assert_int_eq(c.proxy.port, 1080);
}
END_TEST

START_TEST(match_first_wins)
{
	load(four);
	ck_assert_int_eq(sx_conf_route_match(&c, "www.Example.COM.", NULL, 80,
					     IPPROTO_TCP), 0);
	ck_assert_int_eq(sx_conf_route_match(&c, "example.com", NULL, 80,
					     IPPROTO_TCP), 0);
	ck_assert_int_eq(sx_conf_route_match(&c, "notexample.com", NULL, 80,
					     IPPROTO_TCP), 7);
	ck_assert_int_eq(sx_conf_route_match(&c, "exact.test", NULL, 1,
					     IPPROTO_TCP), 1);
	ck_assert_int_eq(sx_conf_route_match(&c, "a.exact.test", NULL, 1,
					     IPPROTO_TCP), 7);
	ck_assert_int_eq(by_addr("10.9.8.7", 443, IPPROTO_TCP), 2);
	ck_assert_int_eq(by_addr("2001:db8::1", 443, IPPROTO_TCP), 3);
	ck_assert_int_eq(by_addr("2001:db9::1", 443, IPPROTO_TCP), 7);
	ck_assert_int_eq(by_addr("::ffff:10.0.0.1", 443, IPPROTO_TCP), 2);
	ck_assert_int_eq(by_addr("192.0.2.1", 22, IPPROTO_TCP), 4);
	ck_assert_int_eq(by_addr("192.0.2.1", 8050, IPPROTO_TCP), 5);
	ck_assert_int_eq(by_addr("192.0.2.1", 8101, IPPROTO_TCP), 7);
	ck_assert_int_eq(by_addr("192.0.2.1", 53, IPPROTO_UDP), 6);
	/* a name does not match a network, an address not a domain */
	ck_assert_int_eq(sx_conf_route_match(&c, "ten.example", NULL, 80,
					     IPPROTO_UDP), 6);
}
END_TEST

START_TEST(no_rules_default)
{
	load("proxy socks5://127.0.0.1:1080\ndirect 10.0.0.0/8\n");
	ck_assert_uint_eq(c.nrules, 0);
	ck_assert_int_eq(by_addr("10.0.0.1", 80, IPPROTO_TCP), -1);
	ck_assert_int_eq(sx_conf_route_match(&c, "a.b", NULL, 80, IPPROTO_TCP), -1);
}
END_TEST

START_TEST(rule_text)
{
	char buf[400];

	load(four);
	sx_conf_rule_text(&c, 1, buf, sizeof buf);
	ck_assert_str_eq(buf, "route =exact.test danted");
	sx_conf_rule_text(&c, 5, buf, sizeof buf);
	ck_assert_str_eq(buf, "route :8000-8100 direct");
	sx_conf_rule_text(&c, 7, buf, sizeof buf);
	ck_assert_str_eq(buf, "route * tcp block");
	ck_assert_str_eq(sx_conf_target_name(&c, 2), "micro");
}
END_TEST

static void bad(const char *text, const char *want)
{
	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_parse_text(&c, "t.conf", text, strlen(text)), -1);
	ck_assert_msg(strstr(c.error, want) != NULL, "'%s' lacks '%s'", c.error,
		      want);
	ck_assert_uint_eq(c.nrules, 0);
}

START_TEST(parse_errors)
{
	bad("route * nowhere\n", "unknown route target 'nowhere'");
	bad("route x.test\n", "route: expected");
	bad("route :99999 direct\n", "bad port range ':99999'");
	bad("route a.test:9-1 direct\n", "bad port range '9-1'");
	bad("route direct = socks5://h\n", "bad route name 'direct'");
	bad("route a = socks9://h\n", "unknown scheme 'socks9'");
	bad("route a = socks5://h\nroute a = socks5://h\n", "bad route name 'a'");
	bad("route 10.0.0.0/33 direct\n", "10.0.0.0/33");
	bad("route =*.x.test direct\n", "bad route match");
	bad("route x.test,10.0.0.0/99 direct\n", "10.0.0.0/99");
	bad("route * tcp udp direct\n", "route: expected");
	bad("route a=socks5://h\nroute b=socks5://h\nroute c=socks5://h\n"
	    "route d=socks5://h\nroute e=socks5://h\n", "too many named routes");
}
END_TEST

START_TEST(too_many_rules)
{
	char *text = malloc(64 * (SX_CONF_MAX_RULES + 2));
	size_t n = 0;

	ck_assert_ptr_nonnull(text);
	for (int i = 0; i <= SX_CONF_MAX_RULES; i++)
		n += (size_t)sprintf(text + n, "route :%d direct\n", i + 1);
	sx_conf_defaults(&c);
	ck_assert_int_eq(sx_conf_parse_text(&c, "t.conf", text, n), -1);
	ck_assert_ptr_nonnull(strstr(c.error, "too many route rules"));
	ck_assert_uint_eq(c.nrules, SX_CONF_MAX_RULES);
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parse_named_and_rules);
	tcase_add_test(tc, match_first_wins);
	tcase_add_test(tc, no_rules_default);
	tcase_add_test(tc, rule_text);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, too_many_rules);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
