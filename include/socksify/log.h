/*
 * log.h - the library's one-line messages (src/core/log.c).
 */
#ifndef SOCKSIFY_LOG_H
#define SOCKSIFY_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "socksify/conf.h"

#ifndef SX_PRINTF
#define SX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif

/* Logging: "socksify: " + message on stderr or the log file.  Keeps errno. */
void sx_log(enum sx_log_level level, const char *fmt, ...) SX_PRINTF(2, 3);
void sx_vlog(enum sx_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
bool sx_log_enabled(enum sx_log_level level);

#endif
