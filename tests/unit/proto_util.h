/*
 * proto_util.h - helpers of the unit tests of the protocol layer
 * (proto_util.c).
 */
#ifndef PROTO_UTIL_H
#define PROTO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "socksify/proto.h"

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A heap copy of exactly n bytes (malloc(0) is fine: nothing may be read). */
uint8_t *dup_exact(const uint8_t *p, size_t n);

/* One signature for every parser, so one feeding loop serves them all. */
typedef ssize_t (*parse_fn)(const uint8_t *buf, size_t len, size_t *need);
ssize_t p_method(const uint8_t *buf, size_t len, size_t *need);
ssize_t p_userpass(const uint8_t *buf, size_t len, size_t *need);
ssize_t p_s5reply(const uint8_t *buf, size_t len, size_t *need);
ssize_t p_s4reply(const uint8_t *buf, size_t len, size_t *need);
/* fn on a heap copy of exactly len bytes of msg. */
ssize_t parse_exact(parse_fn fn, const uint8_t *msg, size_t len, size_t *need);
/* Byte by byte, then as a caller reading exactly what need says, in steps. */
void feed(parse_fn fn, const uint8_t *msg, size_t msg_len, size_t steps);
/* msg followed by program data: only the message's length is returned. */
void with_trailer(parse_fn fn, const uint8_t *msg, size_t msg_len);
void name_addr(struct sx_addr *a, const char *name, uint16_t port);
void v4_addr(struct sx_addr *a, uint8_t b0, uint8_t b1, uint8_t b2,
	     uint8_t b3, uint16_t port);
/* A 255-character name "aaaa...a" ending in "z" (NUL-terminated). */
void long_name(char out[256]);

#endif
