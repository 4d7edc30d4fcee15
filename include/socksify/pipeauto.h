/*
 * pipeauto.h - what `pipelining auto` has learned about each proxy.
 *
 * A proxy is pipelined only after a probe (a separate connection, never
 * the program's) has seen it answer greeting, credentials and a request
 * sent in one write.  What was learned is kept per user in a small text
 * file (src/client/pipeauto.c reads and writes it; the parsing, the
 * formatting and the decisions here are pure and unit-tested):
 *
 *   socksify-pipelining 1
 *   ADDR PORT METHOD STATE WHEN
 *
 * ADDR the proxy's numeric address, PORT its port, METHOD the SOCKS 5
 * method offered (0 none, 2 username/password), STATE yes, no or unknown
 * (probed, no answer in time), WHEN the Unix time it was learned.
 */
#ifndef SOCKSIFY_PIPEAUTO_H
#define SOCKSIFY_PIPEAUTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socksify/conf.h"

enum sx_pipe_state {
	SX_PIPE_UNKNOWN = 0,    /* never probed, expired, or no answer */
	SX_PIPE_YES = 1,        /* the probe saw every reply */
	SX_PIPE_NO = 2,         /* silent after the method reply, or refused */
};

/* How long a result holds before the proxy is probed again (seconds). */
#define SX_PIPE_TTL_YES     (7 * 86400)
#define SX_PIPE_TTL_NO      86400
#define SX_PIPE_TTL_UNKNOWN 600
#define SX_PIPE_MAX_ENTRIES 64
#define SX_PIPE_CACHE_MAX   8192        /* bytes: a bigger file is corrupt */

struct sx_pipe_entry {
	char addr[48];          /* numeric, no brackets */
	uint16_t port;
	uint8_t method;         /* 0 or 2 */
	enum sx_pipe_state state;
	int64_t when;           /* Unix seconds */
};

/* Parse a cache file's text: the number of entries (at most max), or -1
 * when it is not a well-formed cache (then nothing is known). */
int sx_pipecache_parse(const char *text, size_t len, struct sx_pipe_entry *out,
		       int max);
/* Format n entries as a cache file into buf: its length, or 0 when it
 * does not fit. */
size_t sx_pipecache_format(char *buf, size_t cap,
			   const struct sx_pipe_entry *e, int n);
/* The index of the entry for addr/port/method, or -1. */
int sx_pipecache_find(const struct sx_pipe_entry *e, int n, const char *addr,
		      uint16_t port, uint8_t method);
/* Put x in (replacing its key's entry, else appending, else replacing the
 * oldest): the new number of entries. */
int sx_pipecache_put(struct sx_pipe_entry *e, int n, int max,
		     const struct sx_pipe_entry *x);
/* What an entry says at time now: its state while it holds, else (expired,
 * or learned in the future) SX_PIPE_UNKNOWN.  *probed: an entry that
 * holds, whatever it says (no new probe is due). */
enum sx_pipe_state sx_pipe_known(const struct sx_pipe_entry *e, int64_t now,
				 bool *probed);

enum sx_pipe_use {
	SX_PIPE_USE_OFF,        /* one message per round trip */
	SX_PIPE_USE_ON,         /* pipelined */
	SX_PIPE_USE_PROBE,      /* one message per round trip, and probe */
};

/* The decision for one handshake: the setting, whether auto can apply to
 * this hop at all (SOCKS 5, first hop, no GSS-API), what is known, and
 * whether a probe is already done or under way for this period. */
enum sx_pipe_use sx_pipe_decide(enum sx_pipelining setting, bool eligible,
				enum sx_pipe_state known, bool probed);

/* The probe's verdict: it needed `need` replies and got `got` of them
 * before its bound; refused: a reply said no (another method, a rejected
 * password).  Every reply -> yes; the method reply and then silence, or a
 * refusal -> no; nothing at all -> unknown. */
enum sx_pipe_state sx_pipe_judge(int need, int got, bool refused);

#endif
