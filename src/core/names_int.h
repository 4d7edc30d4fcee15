/*
 * names_int.h - between names.c (which table a process uses) and
 * names_shm.c (the shared table's file).
 */
#ifndef SX_NAMES_INT_H
#define SX_NAMES_INT_H

#include "socksify/conf.h"
#include "socksify/dnsmap.h"

/* The run's shared table (SOCKSIFY_NAMES), created or joined; NULL (after
 * one log line if it was asked for but is unusable) for a per-process
 * table. */
struct sx_dnsshm *sx_names_shared(const struct sx_conf *c, uint32_t size);

#endif
