/*
 * run.c - which engine runs the program, and running it.
 *
 *   preload  LD_PRELOAD gets the library (appended, so that a preload that
 *            must come first, such as a sanitizer runtime, stays first),
 *            then exec: socksify leaves no process behind
 *   seccomp, ptrace
 *            sx_supervise_exec() (src/engine): the program keeps this PID
 *   auto     preload for dynamically linked programs; seccomp, else ptrace,
 *            for static and Go executables and for every program under
 *            strict.  When none can be had the program is not started: it
 *            would connect directly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const char *engine_name(enum sx_engine e)
{
	switch (e) {
	case SX_ENGINE_PRELOAD: return "preload";
	case SX_ENGINE_SECCOMP: return "seccomp";
	case SX_ENGINE_PTRACE: return "ptrace";
	default: return "auto";
	}
}

bool sx_cmd_has_word(const char *list, const char *word, const char *seps)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, seps);

		if (len == n && memcmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, seps);
	}
	return false;
}

/* The seccomp engine, else ptrace; false with both reasons in why. */
static bool kernel_engine(struct sx_cmd_choice *ch, char *why, size_t len)
{
	char why_s[240], why_p[240];

	why_s[0] = why_p[0] = '\0';
	if (sx_engine_available(SX_ENGINE_SECCOMP, why_s, sizeof why_s))
		ch->engine = SX_ENGINE_SECCOMP;
	else if (sx_engine_available(SX_ENGINE_PTRACE, why_p, sizeof why_p))
		ch->engine = SX_ENGINE_PTRACE;
	else {
		snprintf(why, len, "seccomp: %s; ptrace: %s", why_s, why_p);
		return false;
	}
	return true;
}

static void refuse(struct sx_cmd_choice *ch, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct sx_cmd_choice *ch, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ch->why, sizeof ch->why, fmt, ap);
	va_end(ap);
	ch->status = status;
	ch->engine = SX_ENGINE_AUTO;
}

void sx_cmd_choose(const struct sx_conf *c, const char *file,
		   struct sx_cmd_choice *ch)
{
	bool kernel;
	char why[500] = "";

	memset(ch, 0, sizeof *ch);
	if (sx_prog_resolve(file, ch->path, sizeof ch->path) < 0) {
		refuse(ch, errno == ENOENT ? SX_EXIT_NOT_FOUND : SX_EXIT_CANNOT_RUN,
		       "%s: %s", file, errno == ENOENT ? "command not found" :
		       strerror(errno));
		return;
	}
	ch->kind = sx_prog_kind(ch->path);
	/* what the library cannot reach; an unreadable file: the kernel
	 * engine when there is one */
	kernel = c->strict || ch->kind == SX_PROG_STATIC || ch->kind == SX_PROG_GO;
	switch (c->engine) {
	case SX_ENGINE_PRELOAD:
		if (c->strict)
			refuse(ch, SX_EXIT_USAGE, "strict needs the seccomp or ptrace "
			       "engine, not preload");
		else if (kernel)
			refuse(ch, SX_EXIT_NOENGINE, "not started: %s is %s, which the "
			       "preload engine cannot socksify (it would connect "
			       "directly); use --engine auto, seccomp or ptrace",
			       ch->path, sx_prog_kind_name(ch->kind));
		else
			ch->engine = SX_ENGINE_PRELOAD;
		return;
	case SX_ENGINE_SECCOMP:
	case SX_ENGINE_PTRACE:
		if (sx_engine_available(c->engine, why, sizeof why))
			ch->engine = c->engine;
		else
			refuse(ch, SX_EXIT_NOENGINE, "not started: the %s engine is not "
			       "available here: %s", engine_name(c->engine), why);
		return;
	case SX_ENGINE_AUTO:
		break;
	}
	if (!kernel && ch->kind != SX_PROG_UNKNOWN) {
		ch->engine = SX_ENGINE_PRELOAD;
		return;
	}
	if (kernel_engine(ch, why, sizeof why))
		return;
	if (!kernel) {                  /* unreadable: most programs are dynamic */
		ch->engine = SX_ENGINE_PRELOAD;
		return;
	}
	if (c->strict)
		refuse(ch, SX_EXIT_NOENGINE, "not started: strict mode needs the "
		       "seccomp or ptrace engine, and neither is available here (%s); "
		       "drop strict, or run where seccomp user notification or ptrace "
		       "is allowed (socksify(1), ENGINE CHOICE)", why);
	else
		refuse(ch, SX_EXIT_NOENGINE, "not started: %s is %s, which only the "
		       "seccomp or ptrace engine can socksify, and neither is "
		       "available here (%s); use a dynamically linked build of it, or "
		       "run where seccomp user notification or ptrace is allowed "
		       "(socksify(1), ENGINE CHOICE)", ch->path, sx_prog_kind_name(ch->kind),
		       why);
}

/* LD_PRELOAD with lib appended (once). */
static void preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;

	if (old && old[0] && sx_cmd_has_word(old, lib, " :"))
		return;
	if (!old || !old[0]) {
		sx_cmd_setenv("LD_PRELOAD", lib);
		return;
	}
	if (asprintf(&v, "%s %s", old, lib) < 0)
		sx_cmd_die(SX_EXIT_CANNOT_RUN, "out of memory");
	sx_cmd_setenv("LD_PRELOAD", v);
	free(v);
}

/* execv, and what execvp does with a file the kernel does not take. */
static void exec_file(const char *path, char *const argv[])
{
	size_t n = 0;
	char **sh;

	execv(path, argv);
	if (errno != ENOEXEC)
		return;
	while (argv[n])
		n++;
	sh = calloc(n + 2, sizeof *sh);
	if (!sh)
		return;
	sh[0] = (char *)"/bin/sh";
	sh[1] = (char *)path;
	for (size_t i = 1; i < n; i++)
		sh[i + 1] = argv[i];
	execv("/bin/sh", sh);
	free(sh);
}

int sx_cmd_exec(const struct sx_conf *c, const struct sx_cmd_choice *ch,
		const char *lib, char *const argv[])
{
	struct sx_engine_opts o = { .engine = ch->engine, .strict = c->strict };
	char why[512] = "";
	int err;

	if (ch->engine == SX_ENGINE_PRELOAD) {
		preload(lib);
		exec_file(ch->path, argv);
		err = errno;
		fprintf(stderr, "socksify: cannot run %s: %s\n", ch->path, strerror(err));
		return err == ENOENT ? SX_EXIT_NOT_FOUND : SX_EXIT_CANNOT_RUN;
	}
	/* the engine puts it in LD_PRELOAD */
	if (c->strict && ch->kind == SX_PROG_DYNAMIC)
		o.preload = lib;
	sx_supervise_exec(&o, ch->path, argv, why, sizeof why);
	err = errno;
	fprintf(stderr, "socksify: not started: %s under the %s engine: %s\n",
		ch->path, engine_name(ch->engine), why[0] ? why : strerror(err));
	return err == ENOENT ? SX_EXIT_NOT_FOUND :
	       err == EACCES || err == ENOEXEC ? SX_EXIT_CANNOT_RUN : SX_EXIT_NOENGINE;
}

int sx_cmd_check_engine(const struct sx_conf *c, char *const argv[])
{
	static const enum sx_engine all[] = {
		SX_ENGINE_PRELOAD, SX_ENGINE_SECCOMP, SX_ENGINE_PTRACE,
	};
	struct sx_cmd_choice ch;
	int rc = 0;

	if (!argv[0]) {
		for (size_t i = 0; i < 3; i++) {
			char why[240] = "";
			bool ok = sx_engine_available(all[i], why, sizeof why);

			printf("%-8s %s%s\n", engine_name(all[i]),
			       ok ? "available" : "not available: ", ok ? "" : why);
			if (!ok && c->engine == all[i])
				rc = SX_EXIT_NOENGINE;
		}
		return rc;
	}
	sx_cmd_choose(c, argv[0], &ch);
	if (ch.status) {
		fprintf(stderr, "socksify: %s\n", ch.why);
		return ch.status;
	}
	printf("%s: %s: engine %s%s\n", ch.path, sx_prog_kind_name(ch.kind),
	       engine_name(ch.engine), c->strict ? " (strict)" : "");
	return 0;
}
