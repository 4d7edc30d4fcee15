/*
 * shellenv.c - `socksify on` and `socksify off`: shell code for
 * eval "$(socksify on)" that socksifies the current shell (itself and every
 * program it starts), and for eval "$(socksify off)" that undoes it.
 *
 * `on` exports LD_PRELOAD (the library appended) and the variables the
 * options set; it keeps what it replaced so that `off` can put it back:
 *
 *   SOCKSIFY_ON              the variables `on` set, blank-separated
 *   SOCKSIFY_OFF_<VARIABLE>  the value VARIABLE had before (only if it had
 *                            one), e.g. SOCKSIFY_OFF_LD_PRELOAD
 *
 * `off` restores each saved value, unsets the other variables `on` set, and
 * forgets SOCKSIFY_ON.  A second `on` keeps the first one's saved values,
 * so one `off` always returns to the state before the first `on`.  The
 * output is POSIX sh: `NAME='value'; export NAME`, every value single-quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define OFF_PREFIX "SOCKSIFY_OFF_"

/* 'value', with each ' written as '\'' */
static void put_quoted(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

static void put_export(const char *name, const char *val)
{
	printf("%s=", name);
	put_quoted(val);
	printf("; export %s\n", name);
}

static void saved_name(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, OFF_PREFIX "%s", name);
}

/* One variable of `on`: save its old value unless an earlier `on` did (or
 * set it: then its old value is saved already, or it had none), print it,
 * and add it to the list. */
static void on_var(const char *name, const char *val, const char *old,
		   const char *prev_on, char *list, size_t len)
{
	char saved[128];

	if (!sx_cmd_has_word(prev_on, name, " ") && old) {
		saved_name(saved, sizeof saved, name);
		put_export(saved, old);
	}
	put_export(name, val);
	if (!sx_cmd_has_word(list, name, " ") && strlen(list) + strlen(name) + 2 < len)
		snprintf(list + strlen(list), len - strlen(list), "%s%s",
			 list[0] ? " " : "", name);
}

int sx_cmd_on(const char *lib, const char *const names[],
	      const char *const before[], size_t n)
{
	const char *prev_on = getenv("SOCKSIFY_ON");
	const char *old = getenv("LD_PRELOAD");
	char list[512], *preload = NULL;

	snprintf(list, sizeof list, "%s", prev_on ? prev_on : "");
	if (!old || !old[0])
		preload = strdup(lib);
	else if (sx_cmd_has_word(old, lib, " :"))
		preload = strdup(old);
	else if (asprintf(&preload, "%s %s", old, lib) < 0)
		preload = NULL;
	if (!preload)
		sx_cmd_die(SX_EXIT_USAGE, "on: out of memory");
	on_var("LD_PRELOAD", preload, old, prev_on, list, sizeof list);
	free(preload);
	for (size_t i = 0; i < n; i++)
		on_var(names[i], getenv(names[i]), before[i], prev_on, list,
		       sizeof list);
	put_export("SOCKSIFY_ON", list);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* LD_PRELOAD without lib: for `off` in a shell `on` did not set up. */
static void off_unlisted(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *rest;
	size_t used = 0, n = strlen(lib);

	if (!old || !sx_cmd_has_word(old, lib, " :"))
		return;
	rest = calloc(1, strlen(old) + 1);
	if (!rest)
		sx_cmd_die(SX_EXIT_USAGE, "off: out of memory");
	for (const char *p = old; *p;) {
		size_t len = strcspn(p, " :");

		if (len && !(len == n && memcmp(p, lib, n) == 0)) {
			if (used)
				rest[used++] = ' ';
			memcpy(rest + used, p, len);
			used += len;
		}
		p += len;
		p += strspn(p, " :");
	}
	if (used)
		put_export("LD_PRELOAD", rest);
	else
		printf("unset LD_PRELOAD\n");
	free(rest);
}

/* A shell variable name (SOCKSIFY_ON comes from the environment: nothing
 * else is ever printed as code). */
static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len >= 100 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	}
	return true;
}

int sx_cmd_off(const char *lib)
{
	const char *on = getenv("SOCKSIFY_ON");
	char name[128], saved[160];

	if (!on) {
		off_unlisted(lib);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	for (const char *p = on + strspn(on, " "); *p;) {
		size_t len = strcspn(p, " ");
		const char *val;

		if (!valid_name(p, len)) {
			p += len;
			p += strspn(p, " ");
			continue;
		}
		snprintf(name, sizeof name, "%.*s", (int)len, p);
		saved_name(saved, sizeof saved, name);
		val = getenv(saved);
		if (val) {
			put_export(name, val);
			printf("unset %s\n", saved);
		} else {
			printf("unset %s\n", name);
		}
		p += len;
		p += strspn(p, " ");
	}
	printf("unset SOCKSIFY_ON\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
