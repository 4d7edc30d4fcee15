/*
 * cmd.h - the socksify command (build/socksify): option parsing (main.c),
 * the password prompt (password.c), what kind of executable a program is
 * (progkind.c), the engine choice and the exec (run.c), `socksify on` /
 * `off` (shellenv.c), and where the library is (libdir.c).  The diagnostics
 * behind --check and --show-config are tool.h's.
 */
#ifndef SOCKSIFY_CMD_H
#define SOCKSIFY_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "socksify/conf.h"
#include "socksify/engine.h"

/* Exit statuses of socksify itself (socksify(1), EXIT STATUS). */
#define SX_EXIT_USAGE 2         /* bad option, missing argument, no password */
#define SX_EXIT_NOENGINE 69     /* no engine can run the program (EX_UNAVAILABLE) */
#define SX_EXIT_CONFIG 78       /* the configuration is broken (EX_CONFIG) */
#define SX_EXIT_CANNOT_RUN 126
#define SX_EXIT_NOT_FOUND 127

/* "socksify: MESSAGE" on stderr, then exit(status). */
_Noreturn void sx_cmd_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* setenv() that dies on failure (no memory). */
void sx_cmd_setenv(const char *name, const char *val);

/* -u USER: unless SOCKSIFY_PASSWORD is set, ask for the password on the
 * terminal with echo off and put it in SOCKSIFY_PASSWORD; dies (status 2)
 * without a terminal or with an empty password. */
void sx_cmd_ask_password(const char *user);

/* The library to preload: $SOCKSIFY_LIBRARY, else the installed one (or,
 * in the source tree, build/libsocksify.so next to build/socksify). */
void sx_cmd_library(char *buf, size_t len);

/* ---- progkind.c ------------------------------------------------------ */
enum sx_prog_kind {
	SX_PROG_DYNAMIC,        /* ELF with PT_INTERP: the dynamic loader runs */
	SX_PROG_STATIC,         /* ELF without PT_INTERP */
	SX_PROG_GO,             /* a Go executable (its build-info section) */
	SX_PROG_UNKNOWN,        /* not readable, not ELF: left to the kernel */
};

/* file resolved through PATH as execvp(3) does: 0 with the path in buf,
 * or -1 with errno (ENOENT, EACCES). */
int sx_prog_resolve(const char *file, char *buf, size_t len);

/* What path is: for a "#!" script (or a file execvp would hand to /bin/sh),
 * the kind of its interpreter. */
enum sx_prog_kind sx_prog_kind(const char *path);

/* "a static executable" ... */
const char *sx_prog_kind_name(enum sx_prog_kind k);

/* ---- run.c ----------------------------------------------------------- */
struct sx_cmd_choice {
	enum sx_engine engine;          /* PRELOAD, SECCOMP or PTRACE */
	enum sx_prog_kind kind;
	char path[4096];                /* the program, resolved */
	char why[512];                  /* the refusal, when engine == AUTO */
	int status;                     /* exit status of the refusal, or 0 */
};

/* Choose the engine for argv[0] under configuration c (engine, strict). */
void sx_cmd_choose(const struct sx_conf *c, const char *file,
		   struct sx_cmd_choice *ch);

/* Run argv with the chosen engine (LD_PRELOAD += lib for preload, or the
 * supervisor); returns only on failure with the exit status to use. */
int sx_cmd_exec(const struct sx_conf *c, const struct sx_cmd_choice *ch,
		const char *lib, char *const argv[]);

/* `socksify --check-engine [COMMAND]`: the exit status. */
int sx_cmd_check_engine(const struct sx_conf *c, char *const argv[]);

/* Is word one of the words of list, separated by characters of seps
 * (" :" for LD_PRELOAD)? */
bool sx_cmd_has_word(const char *list, const char *word, const char *seps);

/* ---- shellenv.c ------------------------------------------------------ */
/* `socksify on`: print shell code that socksifies the shell: LD_PRELOAD
 * (lib appended) and the variables in names[0..n-1] (set by options; their
 * values before were before[i], NULL when unset). */
int sx_cmd_on(const char *lib, const char *const names[],
	      const char *const before[], size_t n);
/* `socksify off`: print shell code that undoes `on`. */
int sx_cmd_off(const char *lib);

/* ---- socksify-tool.c ------------------------------------------------- */
/* The socksify-tool command line (show-config, check [DEST]). */
int sx_tool_main(int argc, char **argv);

#endif
