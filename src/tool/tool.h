/*
 * tool.h - socksify-tool, the diagnostics behind `socksify --show-config`
 * and `socksify --check`.  A plain program (not preloaded): it links the
 * library's configuration, protocol and handshake code, so it reads the
 * same files and variables, in the same order, as a socksified program.
 */
#ifndef SOCKSIFY_TOOL_H
#define SOCKSIFY_TOOL_H

#include <stddef.h>

#include "socksify/conf.h"

/* Print the effective settings, passwords masked.  Returns the exit
 * status: 0, or 1 when the configuration is broken. */
int sx_tool_show_config(const struct sx_conf *c);

/* Test the setup, one line per fact; dest "host:port" or NULL.  Returns
 * the exit status: 0 only when every check passed. */
int sx_tool_check(const struct sx_conf *c, const char *dest);

/* "socks5h://host:port", without credentials. */
void sx_tool_proxy_url(const struct sx_proxy *p, char *buf, size_t len);
/* "10.0.0.0/8", "[2001:db8::]/32:443", "192.0.2.1:80-90". */
void sx_tool_net_str(const struct sx_net *n, char *buf, size_t len);
/* "onion, i2p": the proxy_only_domain list */
void sx_tool_proxy_only_str(const struct sx_conf *c, char *buf, size_t len);
/* Where kw's value came from: "FILE:LINE", a variable, or "default". */
const char *sx_tool_origin(const struct sx_conf *c, const char *kw);
/* The config files read ("none" if none), and the variables read. */
void sx_tool_files(const struct sx_conf *c, char *buf, size_t len);

/* src/tool/route.c: "HOST:PORT" or "[V6]:PORT" into *a (a name when not
 * numeric) and host; 0 or -1. */
struct sx_addr;
int sx_tool_parse_dest(const char *dest, struct sx_addr *a, char *host,
		       size_t hlen);
/* An IPv4 or IPv6 a as a sockaddr, port included. */
struct sockaddr_storage;
void sx_tool_sockaddr(const struct sx_addr *a, struct sockaddr_storage *ss);
/* Where a goes (IPPROTO_TCP/UDP) and why, one line into buf; returns the
 * target (SX_TARGET_*). */
int sx_tool_route_explain(const struct sx_conf *c, const struct sx_addr *a,
			  int proto, char *buf, size_t len);
/* `socksify-tool route HOST:PORT [tcp|udp]`: the exit status. */
int sx_tool_route(const struct sx_conf *c, const char *dest, const char *proto);

#endif
