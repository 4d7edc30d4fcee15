/*
 * sxsupervise - run a program under the seccomp or ptrace engine, for the
 * tests, until the socksify command offers --engine:
 *
 *   sxsupervise --engine seccomp|ptrace [--strict] [--preload LIB] -- CMD ARGS
 *   sxsupervise --probe seccomp|ptrace      exit 0, or 1 and the reason
 *
 * The configuration comes from the environment (SOCKSIFY_PROXY...), as for
 * the library.  Exit 127 with one line when the program cannot be started.
 */
#include <stdio.h>
#include <string.h>

#include "socksify/engine.h"

static enum sx_engine engine_of(const char *s)
{
	if (strcmp(s, "seccomp") == 0)
		return SX_ENGINE_SECCOMP;
	if (strcmp(s, "ptrace") == 0)
		return SX_ENGINE_PTRACE;
	return SX_ENGINE_AUTO;
}

int main(int argc, char **argv)
{
	struct sx_engine_opts o = { .engine = SX_ENGINE_AUTO };
	char why[512];
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--engine") == 0 && i + 1 < argc)
			o.engine = engine_of(argv[++i]);
		else if (strcmp(argv[i], "--probe") == 0 && i + 1 < argc) {
			if (sx_engine_available(engine_of(argv[++i]), why,
						sizeof(why)))
				return 0;
			printf("%s\n", why);
			return 1;
		} else if (strcmp(argv[i], "--strict") == 0)
			o.strict = true;
		else if (strcmp(argv[i], "--preload") == 0 && i + 1 < argc)
			o.preload = argv[++i];
		else
			break;
	}
	if (i >= argc || o.engine == SX_ENGINE_AUTO) {
		fprintf(stderr, "usage: sxsupervise --engine seccomp|ptrace "
			"[--strict] [--preload LIB] -- CMD [ARGS]\n");
		return 2;
	}
	if (!sx_engine_available(o.engine, why, sizeof(why))) {
		fprintf(stderr, "socksify: %s\n", why);
		return 127;
	}
	sx_supervise_exec(&o, argv[i], argv + i, why, sizeof(why));
	fprintf(stderr, "socksify: %s\n", why);
	return 127;
}
