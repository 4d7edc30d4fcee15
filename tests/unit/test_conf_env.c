/*
 * test_conf_env.c - unit tests for include/socksify/conf.h (src/conf/): routes (chains, fallbacks) and the SOCKSIFY_* environment.
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

/* engine and strict: read by the socksify command; file and variables */
START_TEST(engine_and_strict)
{
	struct sx_conf c;

	sx_conf_defaults(&c);
	ck_assert_int_eq(c.engine, SX_ENGINE_AUTO);
	ck_assert(!c.strict);
	parse_ok(&c, "engine seccomp\nstrict yes\n");
	ck_assert_int_eq(c.engine, SX_ENGINE_SECCOMP);
	ck_assert(c.strict);
	parse_ok(&c, "engine PTRACE\nstrict off\n");
	ck_assert_int_eq(c.engine, SX_ENGINE_PTRACE);
	ck_assert(!c.strict);
	parse_err(&c, "engine preload\nengine warp\n", "t.conf:2: bad engine 'warp' "
		  "(use auto, preload, seccomp or ptrace)");
	ck_assert_int_eq(c.engine, SX_ENGINE_PRELOAD);  /* the earlier value stays */
	parse_err(&c, "strict maybe\n", "t.conf:1: bad strict 'maybe' (use yes or no)");

	env_reset();
	sx_conf_defaults(&c);
	env_set("SOCKSIFY_ENGINE", "auto");
	env_set("SOCKSIFY_STRICT", "1");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), 0);
	ck_assert_int_eq(c.engine, SX_ENGINE_AUTO);
	ck_assert(c.strict);
	ck_assert_str_eq(sx_conf_origin(&c, "strict"), "SOCKSIFY_STRICT");
	env_set("SOCKSIFY_ENGINE", "kernel");
	ck_assert_int_eq(sx_conf_apply_env(&c, stub_getenv), -1);
	ck_assert_str_eq(c.error, "SOCKSIFY_ENGINE: bad engine 'kernel' (use auto, "
			 "preload, seccomp or ptrace)");
	env_reset();
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

/* ---- main ----------------------------------------------------------- */

static Suite *conf_env_suite(void)
{
	Suite *s = suite_create("conf_env");
	TCase *tc;

	tc = tcase_create("routes");
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
	tcase_add_test(tc, engine_and_strict);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conf_env_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
