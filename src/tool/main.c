/*
 * main.c - the socksify command: run a program with its connections going
 * through a SOCKS proxy.
 *
 *   socksify [options] [--] COMMAND [ARGS...]
 *   socksify [options] --check [HOST:PORT] | --show-config | --route HOST:PORT
 *   socksify [options] --check-engine [CMD]
 *   socksify [options] on | off | --shell
 *
 * Options only set environment variables (SOCKSIFY_*), which the library
 * reads in the program; LD_PRELOAD and those variables are inherited, so a
 * shell script, its children and a program that re-executes itself all stay
 * socksified.  Before it starts the program, socksify reads the
 * configuration as the program will and refuses a broken one.
 *
 * Called as socksify-tool (the older diagnostics program, a link to this
 * one) it takes that program's command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "tool.h"

#ifndef SX_VERSION
#define SX_VERSION "development"
#endif

static const char usage_text[] =
	"Usage: socksify [options] [--] COMMAND [ARGS...]\n"
	"       socksify [options] --check [HOST:PORT]\n"
	"       socksify [options] --show-config\n"
	"       socksify [options] --route HOST:PORT\n"
	"       socksify [options] on | off | --shell\n"
	"\n"
	"Run COMMAND with its TCP connections (and UDP, and name lookups with\n"
	"remote DNS) going through a SOCKS proxy.\n"
	"\n"
	"Options:\n"
	"  -s URL         the proxy: socks5://[user[:pass]@]host[:port]; also\n"
	"                 socks5h:// (the proxy resolves names), socks4://, socks4a://\n"
	"  -c FILE        read settings from FILE too (after /etc/socksify.conf and\n"
	"                 ~/.socksify.conf)\n"
	"  -u USER        authenticate as USER; the password is asked for on the\n"
	"                 terminal unless SOCKSIFY_PASSWORD is set\n"
	"  --dns MODE     who resolves host names: remote (the proxy) or local\n"
	"  --engine E     how COMMAND is run: auto (default), preload, seccomp, ptrace\n"
	"  --strict       no direct connection from any program (seccomp or ptrace)\n"
	"  -q             quiet: print no messages at all\n"
	"  -v             one line per proxied connection; -vv: handshake details\n"
	"  --check [HOST:PORT]\n"
	"                 test the setup: configuration, proxy, authentication,\n"
	"                 remote DNS and, given HOST:PORT, a connection through the\n"
	"                 proxy; exit status 0 only when all is well\n"
	"  --show-config  print the settings in effect and where each comes from\n"
	"                 (passwords masked)\n"
	"  --route HOST:PORT\n"
	"                 say which route rule HOST:PORT takes, where that sends it\n"
	"                 (a proxy, a chain, direct or blocked) and why\n"
	"  --check-engine [COMMAND]\n"
	"                 which engines this machine offers; with COMMAND, the one\n"
	"                 socksify would run it with (exit status 69: none)\n"
	"  on, off        print shell code that socksifies the current shell, or\n"
	"                 undoes it: eval \"$(socksify on)\"\n"
	"  --shell        start $SHELL (else /bin/sh) socksified\n"
	"  -h, --help     show this help\n"
	"  --version      show the version\n"
	"\n"
	"Environment: SOCKSIFY_PROXY, SOCKSIFY_CONF, SOCKSIFY_USER, SOCKSIFY_PASSWORD,\n"
	"SOCKSIFY_DIRECT, SOCKSIFY_DNS, SOCKSIFY_DEBUG, SOCKSIFY_QUIET, SOCKSIFY_LOG,\n"
	"SOCKSIFY_ENGINE, SOCKSIFY_STRICT, ALL_PROXY (a socks:// URL in it is used\n"
	"when SOCKSIFY_PROXY is unset); SOCKSIFY_LIBRARY names another build of the\n"
	"library.  Exit status: COMMAND's; 2 usage, 78 broken configuration, 69 no\n"
	"engine for COMMAND, 126/127 COMMAND cannot be run.  See socksify(1) and\n"
	"socksify.conf(5).\n";

enum mode { RUN, CHECK, SHOW_CONFIG, ROUTE, CHECK_ENGINE, SHELL, ON, OFF };
static const char *const mode_names[] = {
	[CHECK] = "--check", [SHOW_CONFIG] = "--show-config", [ROUTE] = "--route",
	[CHECK_ENGINE] = "--check-engine", [SHELL] = "--shell",
	[ON] = "on", [OFF] = "off",
};

struct opts {
	enum mode mode;
	int verbose;
	const char *user, *dns, *engine, *dest;
	bool strict, quiet, dashdash;
	/* the variables options set, and their values before (NULL: unset),
	 * for `socksify on` */
	const char *set[12];
	char *before[12];
	size_t nset;
};

_Noreturn void sx_cmd_die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("socksify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void sx_cmd_setenv(const char *name, const char *val)
{
	if (setenv(name, val, 1) < 0)
		sx_cmd_die(SX_EXIT_USAGE, "cannot set %s: %s", name, strerror(errno));
}

/* Remember that an option sets name, and the value it had before. */
static void opt_note(struct opts *o, const char *name)
{
	const char *old = getenv(name);
	size_t i;

	for (i = 0; i < o->nset && strcmp(o->set[i], name) != 0; i++)
		;
	if (i == o->nset && i < sizeof o->set / sizeof o->set[0]) {
		o->set[i] = name;
		o->before[i] = old ? strdup(old) : NULL;
		o->nset++;
	}
}

static void opt_setenv(struct opts *o, const char *name, const char *val)
{
	opt_note(o, name);
	sx_cmd_setenv(name, val);
}

/*
 * The value of option argv[*i] (short option opt): joined ("-sURL",
 * "--dns=MODE") or the next word.  Returns NULL when argv[*i] is not opt.
 */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	const char *a = argv[*i];
	size_t n = strlen(opt);

	if (strncmp(a, opt, n) != 0)
		return NULL;
	if (a[n] == '\0') {
		if (*i + 1 >= argc)
			sx_cmd_die(SX_EXIT_USAGE, "option %s needs an argument (try --help)",
				   opt);
		return argv[++*i];
	}
	if (opt[1] != '-')
		return a + n;                   /* -sURL */
	return a[n] == '=' ? a + n + 1 : NULL;  /* --dns=MODE */
}

/* Parse the options; returns the index of the command (or argc). */
static int parse(int argc, char **argv, struct opts *o)
{
	const char *v;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((v = opt_value(argc, argv, &i, "-c")))
			opt_setenv(o, "SOCKSIFY_CONF", v);
		else if ((v = opt_value(argc, argv, &i, "-s")))
			opt_setenv(o, "SOCKSIFY_PROXY", v);
		else if ((v = opt_value(argc, argv, &i, "-u")))
			o->user = v;
		else if ((v = opt_value(argc, argv, &i, "--dns")))
			o->dns = v;
		else if ((v = opt_value(argc, argv, &i, "--route"))) {
			o->mode = ROUTE;
			o->dest = v;
		} else if ((v = opt_value(argc, argv, &i, "--engine")))
			o->engine = v;
		else if (!strcmp(a, "--strict"))
			o->strict = true;
		else if (!strcmp(a, "-q"))
			o->quiet = true;
		else if (!strcmp(a, "-v"))
			o->verbose++;
		else if (!strcmp(a, "-vv"))
			o->verbose += 2;
		else if (!strcmp(a, "--check")) {
			o->mode = CHECK;
			if (i + 1 < argc && argv[i + 1][0] && argv[i + 1][0] != '-')
				o->dest = argv[++i];
		} else if (!strncmp(a, "--check=", 8)) {
			o->mode = CHECK;
			o->dest = a + 8;
		} else if (!strcmp(a, "--show-config"))
			o->mode = SHOW_CONFIG;
		else if (!strcmp(a, "--check-engine"))
			o->mode = CHECK_ENGINE;
		else if (!strcmp(a, "--shell"))
			o->mode = SHELL;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			exit(0);
		} else if (!strcmp(a, "--version")) {
			printf("socksify %s\n", SX_VERSION);
			exit(0);
		} else if (!strcmp(a, "--")) {
			o->dashdash = true;
			return i + 1;
		}
		else if (a[0] == '-' && a[1])
			sx_cmd_die(SX_EXIT_USAGE, "unknown option '%s' (try --help)", a);
		else
			break;
	}
	return i;
}

/* The options' values, checked, into the environment. */
static void apply(struct opts *o)
{
	static const char *const levels[] = { "0", "1", "2" };

	if (o->dns) {
		if (strcmp(o->dns, "remote") && strcmp(o->dns, "local") &&
		    strcmp(o->dns, "auto"))
			sx_cmd_die(SX_EXIT_USAGE, "--dns: '%s' is not remote, local or auto",
				   o->dns);
		opt_setenv(o, "SOCKSIFY_DNS", o->dns);
	}
	if (o->engine) {
		if (strcmp(o->engine, "auto") && strcmp(o->engine, "preload") &&
		    strcmp(o->engine, "seccomp") && strcmp(o->engine, "ptrace"))
			sx_cmd_die(SX_EXIT_USAGE, "--engine: '%s' is not auto, preload, "
				   "seccomp or ptrace", o->engine);
		opt_setenv(o, "SOCKSIFY_ENGINE", o->engine);
	}
	if (o->strict)
		opt_setenv(o, "SOCKSIFY_STRICT", "yes");
	if (o->quiet)
		opt_setenv(o, "SOCKSIFY_QUIET", "1");
	if (o->verbose > 0)
		opt_setenv(o, "SOCKSIFY_DEBUG", levels[o->verbose > 2 ? 2 : o->verbose]);
	if (o->user)
		opt_setenv(o, "SOCKSIFY_USER", o->user);
}

/* Settings as the program will read them; a broken configuration ends
 * here, before anything is started. */
static void load_conf(struct sx_conf *c)
{
	sx_conf_load(c);
	if (c->error[0])
		sx_cmd_die(SX_EXIT_CONFIG, "configuration error: %s (nothing started; "
			   "socksify --show-config shows the settings)", c->error);
}

/* --check, --show-config and --route make their own connections: they must not run
 * with libsocksify (or anything else) preloaded, e.g. in a shell after
 * `socksify on`.  Start again without LD_PRELOAD. */
static void without_preload(char **argv)
{
	if (!getenv("LD_PRELOAD"))
		return;
	unsetenv("LD_PRELOAD");
	execv("/proc/self/exe", argv);
	sx_cmd_die(SX_EXIT_CANNOT_RUN, "cannot run myself again without LD_PRELOAD: %s",
		   strerror(errno));
}

static int diagnose(struct opts *o, char **argv)
{
	struct sx_conf c;
	int rc;

	without_preload(argv);
	if (o->mode == CHECK && o->user)
		sx_cmd_ask_password(o->user);
	sx_conf_load(&c);
	rc = o->mode == CHECK ? sx_tool_check(&c, o->dest) :
	     o->mode == ROUTE ? sx_tool_route(&c, o->dest, NULL) :
	     sx_tool_show_config(&c);
	explicit_bzero(&c, sizeof c);
	if (fflush(stdout) != 0)
		return 1;
	return rc;
}

/* The library, which must exist. */
static void find_library(char *lib, size_t len)
{
	sx_cmd_library(lib, len);
	if (access(lib, R_OK) != 0)
		sx_cmd_die(SX_EXIT_USAGE, "cannot find %s (run make, or set "
			   "SOCKSIFY_LIBRARY)", lib);
}

/* `socksify on`: the shell can carry only the library, not a supervisor. */
static int shell_env(struct opts *o)
{
	struct sx_conf c;
	char lib[4096];

	find_library(lib, sizeof lib);
	if (o->mode == OFF)
		return sx_cmd_off(lib);
	load_conf(&c);
	if (c.strict || c.engine == SX_ENGINE_SECCOMP || c.engine == SX_ENGINE_PTRACE)
		sx_cmd_die(SX_EXIT_USAGE, "on: a shell can be socksified only with the "
			   "preload engine (engine %s%s here); use socksify --shell",
			   c.engine == SX_ENGINE_PTRACE ? "ptrace" :
			   c.engine == SX_ENGINE_SECCOMP ? "seccomp" : "auto",
			   c.strict ? ", strict" : "");
	if (o->user) {
		opt_note(o, "SOCKSIFY_PASSWORD");
		sx_cmd_ask_password(o->user);
	}
	explicit_bzero(&c, sizeof c);
	return sx_cmd_on(lib, o->set, (const char *const *)o->before, o->nset);
}

static int run(struct opts *o, char **cmd)
{
	struct sx_conf c;
	struct sx_cmd_choice ch;
	char lib[4096];
	int rc;

	load_conf(&c);
	sx_cmd_choose(&c, cmd[0], &ch);
	if (ch.status)
		sx_cmd_die(ch.status, "%s", ch.why);
	/* the kernel engines need the library only beside strict */
	if (ch.engine == SX_ENGINE_PRELOAD || c.strict)
		find_library(lib, sizeof lib);
	else
		sx_cmd_library(lib, sizeof lib);
	if (o->user)
		sx_cmd_ask_password(o->user);
	rc = sx_cmd_exec(&c, &ch, lib, cmd);
	explicit_bzero(&c, sizeof c);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .mode = RUN };
	const char *base = strrchr(argv[0], '/');
	char *shell[2];
	int i;

	if (strcmp(base ? base + 1 : argv[0], "socksify-tool") == 0)
		return sx_tool_main(argc, argv);
	i = parse(argc, argv, &o);
	/* "on" or "off" as the last word (not after "--", which makes it a
	 * program's name) */
	if (o.mode == RUN && !o.dashdash && i == argc - 1 &&
	    (!strcmp(argv[i], "on") || !strcmp(argv[i], "off")))
		o.mode = strcmp(argv[i++], "on") ? OFF : ON;
	apply(&o);
	if (o.mode != RUN && o.mode != CHECK_ENGINE && i < argc)
		sx_cmd_die(SX_EXIT_USAGE, "%s takes no command ('%s'); run the command "
			   "without it", mode_names[o.mode], argv[i]);
	switch (o.mode) {
	case CHECK:
	case SHOW_CONFIG:
	case ROUTE:
		return diagnose(&o, argv);
	case ON:
	case OFF:
		return shell_env(&o);
	case CHECK_ENGINE: {
		struct sx_conf c;

		load_conf(&c);
		return sx_cmd_check_engine(&c, argv + i);
	}
	case SHELL:
		shell[0] = getenv("SHELL");
		if (!shell[0] || !shell[0][0])
			shell[0] = (char *)"/bin/sh";
		shell[1] = NULL;
		return run(&o, shell);
	case RUN:
		break;
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return SX_EXIT_USAGE;
	}
	return run(&o, argv + i);
}
