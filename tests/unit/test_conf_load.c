/*
 * test_conf_load.c - unit tests for include/socksify/conf.h (src/conf/): loading the files and the environment in order, sx_conf_is_direct.
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

static Suite *conf_load_suite(void)
{
	Suite *s = suite_create("conf_load");
	TCase *tc;

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
	SRunner *sr = srunner_create(conf_load_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
