/*
 * conf.h - the configuration: one immutable struct built from
 *   SYSCONFDIR/socksify.conf, ~/.socksify.conf, $SOCKSIFY_CONF,
 * then the environment (SOCKSIFY_PROXY, SOCKSIFY_DIRECT, SOCKSIFY_USER,
 * SOCKSIFY_PASSWORD, SOCKSIFY_DEBUG, SOCKSIFY_QUIET, SOCKSIFY_PIPELINING,
 * ...; all_proxy or ALL_PROXY holding a socks URL when SOCKSIFY_PROXY is
 * unset), later sources overriding earlier ones.
 *
 * The parsing functions are pure (no I/O): they work on strings so that
 * they can be unit-tested and fuzzed.  sx_conf_load() is the one function
 * that reads files and the environment.
 */
#ifndef SOCKSIFY_CONF_H
#define SOCKSIFY_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "socksify/engine.h"

#define SX_CONF_MAX_DIRECT 64
#define SX_CONF_MAX_DOMAINS 32
#define SX_CONF_MAX_PROXY_ONLY 16  /* proxy_only_domain suffixes, onion included */
#define SX_CONF_ERRLEN 512
#define SX_CONF_MAX_HOPS 4      /* proxies in one chain */
#define SX_CONF_MAX_ROUTES 4    /* the proxy line's route plus fallbacks */
#define SX_CONF_ORIGIN_MAX 32      /* >= the number of keywords */
#define SX_CONF_ORIGIN_LEN 128

enum sx_proxy_type {
	SX_PROXY_SOCKS5 = 0,
	SX_PROXY_SOCKS4 = 1,
	SX_PROXY_SOCKS4A = 2,
	SX_PROXY_HTTP = 3,      /* HTTP CONNECT (http://, default port 80) */
};

enum sx_log_level {
	SX_LOG_QUIET = -1,   /* nothing at all */
	SX_LOG_ERROR = 0,    /* default: failures only */
	SX_LOG_INFO = 1,     /* one line per proxied connection */
	SX_LOG_DEBUG = 2,    /* handshake details */
};

/*
 * Pipelining: send the greeting, the credentials and the request in one
 * write (1 round trip instead of 2 or 3).  Only some servers accept it:
 * danted and ssh -D do; microsocks hangs (bench/PIPELINING.txt).
 */
enum sx_pipelining {
	SX_PIPE_AUTO = 0,     /* default: on once a probe has shown the proxy
			       * accepts it (src/client/pipeauto.c) */
	SX_PIPE_OFF = 1,      /* one message per round trip */
	SX_PIPE_ON = 2,       /* pipeline; with credentials offer only user/pass */
};

/*
 * GSS-API authentication (RFC 1961, method 0x01) with a proxy.  Levels are
 * SX_GSS_PROT_* of proto.h: 0 clear, 1 integrity, 2 confidentiality.
 */
struct sx_gss_conf {
	bool enabled;           /* offer method 0x01; default off */
	bool delegate;          /* GSS_C_DELEG_FLAG; default no */
	uint8_t protection;     /* level to request; default confidentiality */
	int8_t min_protection;  /* lowest accepted; -1 (default) = protection */
	char service[64];       /* target SERVICE@PROXYHOST; default "rcmd" */
	char principal[256];    /* a full target principal instead; "" = none */
};

struct sx_proxy {
	enum sx_proxy_type type;
	bool remote_dns;        /* socks5h:// or socks4a:// */
	char host[256];         /* as written: name or numeric, no brackets */
	uint16_t port;          /* host byte order; default 1080 */
	char user[256];         /* empty = none */
	char pass[256];         /* empty = none */
	bool user_set, pass_set;
	bool url_creds;                 /* user/pass came from this URL */
	enum sx_pipelining pipelining;  /* kept when the URL changes */
	struct sx_gss_conf gss;         /* kept when the URL changes */
};

/*
 * A network that bypasses the proxy: family AF_INET or AF_INET6,
 * addr/prefix, and an inclusive port range (0-65535 = any port).
 */
struct sx_net {
	int family;
	uint8_t addr[16];
	uint8_t prefix;
	uint16_t port_lo, port_hi;
};

/* Is addr (4 or 16 bytes, n's family) inside n's prefix?  Inline: every
 * connect asks it of the mapped-address ranges. */
static inline bool sx_net_prefix_has(const struct sx_net *n, const uint8_t *addr)
{
	unsigned full = n->prefix / 8u, rem = n->prefix % 8u;

	for (unsigned i = 0; i < full; i++)
		if (n->addr[i] != addr[i])
			return false;
	return !rem || ((n->addr[full] ^ addr[full]) & (0xffu << (8 - rem)) & 0xffu) == 0;
}

enum sx_dns_mode {
	SX_DNS_AUTO = 0,      /* remote for socks5h:// and socks4a://, else local */
	SX_DNS_LOCAL = 1,     /* the program's own resolver; IPs go to the proxy */
	SX_DNS_REMOTE = 2,    /* mapped addresses; the name goes to the proxy */
};

enum sx_bind_mode {
	SX_BIND_AUTO = 0,     /* listeners on an ephemeral port, not loopback,
			       * in a process with a proxied connection */
	SX_BIND_PROXY = 1,    /* every non-loopback listener */
	SX_BIND_LOCAL = 2,    /* never: all listeners stay local */
};

/*
 * A route: one proxy, or a chain of them.  The library connects to
 * hops[0] and asks each hop to CONNECT to the next; the last one (the
 * exit) connects to the destination.
 */
struct sx_route {
	struct sx_proxy hops[SX_CONF_MAX_HOPS];
	size_t nhops;                   /* >= 1 */
};

/*
 * Routes by destination ("route" lines, src/conf/rules.c).  A named route
 * is a route list like the proxy line's ("NAME = URL ... | URL ...");
 * a rule sends what it matches to a target.  Rules are tried in order,
 * the first match wins; no match means the default route (the direct
 * list, then the proxy and fallback lines), as without rules.
 */
#define SX_CONF_MAX_RULES 128
#define SX_CONF_MAX_NAMED 4     /* named routes */
#define SX_CONF_ROUTE_NAME 32

enum sx_rule_kind {
	SX_MATCH_ANY = 0,       /* "*" */
	SX_MATCH_DOMAIN = 1,    /* "corp.example": it and every name below */
	SX_MATCH_EXACT = 2,     /* "=host.example": that name only */
	SX_MATCH_NET = 3,       /* ADDR[/PREFIX][:PORT[-PORT]] */
	SX_MATCH_PORT = 4,      /* ":PORT[-PORT]" */
};

enum {
	SX_TARGET_BLOCK = -2,   /* refused: EACCES and one log line */
	SX_TARGET_DIRECT = -1,  /* not through any proxy */
	SX_TARGET_PROXY = 0,    /* the proxy line and its fallbacks */
	/* 1..SX_CONF_MAX_NAMED: named[target - 1] */
};

struct sx_rule {
	uint8_t kind;           /* enum sx_rule_kind */
	uint8_t proto;          /* 0 both, IPPROTO_TCP or IPPROTO_UDP */
	int8_t target;          /* SX_TARGET_* or a named route */
	uint16_t port_lo, port_hi;      /* inclusive; 0-65535 = any */
	struct sx_net net;      /* SX_MATCH_NET */
	char domain[254];       /* SX_MATCH_DOMAIN, SX_MATCH_EXACT; lower case */
};

struct sx_named_route {
	char name[SX_CONF_ROUTE_NAME];
	struct sx_route routes[SX_CONF_MAX_ROUTES];
	size_t nroutes;
};

struct sx_conf {
	/* The primary route's exit hop (routes[0].hops[last]), kept in step
	 * by every setter: what decides remote DNS, UDP, BIND, GSS-API. */
	struct sx_proxy proxy;
	/* "proxy" is routes[0]; each "fallback" adds one, tried in order
	 * when those before are down or refuse (failover). */
	struct sx_route routes[SX_CONF_MAX_ROUTES];
	size_t nroutes;                 /* >= 1 */
	int failover_downtime_ms;       /* a failed route is skipped; default 60 s */
	bool round_robin;               /* start each connection at the next route */
	/* Handshakes of non-blocking connects: driven by the program's own
	 * poll/epoll/connect calls on its threads (inline, the default), or
	 * on one event-loop thread per process (thread). */
	enum sx_async_mode { SX_ASYNC_INLINE = 0, SX_ASYNC_THREAD = 1 } async;
	/* "user"/"password": the credentials of hops whose URL has none. */
	char user[256], pass[256];
	bool user_set, pass_set;
	enum sx_bind_mode bind;
	struct sx_net direct[SX_CONF_MAX_DIRECT];
	size_t ndirect;
	/* Domain suffixes that go direct (resolved locally): "corp.example"
	 * matches corp.example and every name below it. */
	char direct_domains[SX_CONF_MAX_DOMAINS][254];
	size_t ndomains;
	struct sx_rule rules[SX_CONF_MAX_RULES];
	size_t nrules;
	struct sx_named_route named[SX_CONF_MAX_NAMED];
	size_t nnamed;
	enum sx_dns_mode dns;
	struct sx_net dns_map_v4;   /* default 127.192.0.0/10 */
	struct sx_net dns_map_v6;   /* default 100::/64 (RFC 6666 discard) */
	uint32_t dns_map_size;      /* names held at once; default 65536 */
	bool dns_hosts_local;       /* names in /etc/hosts resolve locally */
	int connect_timeout_ms;     /* TCP connect to the proxy; default 10000 */
	int handshake_timeout_ms;   /* SOCKS handshake; default 10000 */
	int bind_timeout_ms;        /* BIND: wait for the peer; default 60000 */
	/* UDP whose route cannot carry it (SOCKS 4, or a server answering
	 * 0x07 to UDP ASSOCIATE): refuse (default) or send it direct;
	 * either way with a log line. */
	enum sx_udp_policy { SX_UDP_REFUSE = 0, SX_UDP_DIRECT = 1 } udp;
	/* How the socksify command runs a program (src/tool; the library
	 * ignores both): engine (default auto) and strict (default no). */
	enum sx_engine engine;
	bool strict;
	enum sx_log_level log_level;
	char log_file[256];         /* empty = stderr */
	/* isolate process: every SOCKS hop without configured credentials
	 * gets a username/password pair of the process's own (a new one in
	 * a forked child), for Tor's stream isolation (src/client/isolate.c). */
	enum sx_isolate { SX_ISOLATE_NONE = 0, SX_ISOLATE_PROCESS = 1 } isolate;
	/* Names only the proxy may resolve, whatever the dns setting: below
	 * "onion" (always, RFC 7686) and below each proxy_only_domain. */
	char proxy_only_domains[SX_CONF_MAX_PROXY_ONLY][254];
	size_t nproxy_only;
	/*
	 * Non-empty when the configuration is broken: "FILE:LINE: problem".
	 * Then every connect that would be proxied fails; nothing goes direct.
	 */
	char error[SX_CONF_ERRLEN];
	/* Which sources were read, for diagnostics: "file1, file2, env". */
	char sources[512];
	/* The variables that were read, for diagnostics: "SOCKSIFY_PROXY,
	 * SOCKSIFY_DIRECT" (ALL_PROXY with " (ignored: not a socks URL)"). */
	char env_vars[256];
	/* Where each keyword's value came from, indexed like sx_conf_keyword():
	 * "FILE:LINE" or a variable name; "" = the built-in default. */
	char origin[SX_CONF_ORIGIN_MAX][SX_CONF_ORIGIN_LEN];
};

/* Defaults: proxy socks5://127.0.0.1:1080, direct 127.0.0.0/8 and ::1,
 * timeouts 10 s, log level error, stderr. */
void sx_conf_defaults(struct sx_conf *c);

/*
 * Parse a proxy URL: socks5://, socks5h://, socks4://, socks4a://, http://,
 * optional user[:password]@ (percent-decoded), host or [ipv6], optional
 * :port (default 1080; 80 for http://).  A URL without "scheme://" is taken as socks5://.
 * Returns 0, or -1 with a message in err (errlen bytes).
 */
int sx_proxy_url_parse(const char *url, struct sx_proxy *p,
		       char *err, size_t errlen);

/*
 * Parse routes: "URL [URL ...] [| URL [URL ...] ...]", hops separated by
 * blanks, alternative routes by '|'.  Appends to routes[*n] (at most max
 * in all).  Every hop gets user/pass/pipelining/gss from tmpl unless its
 * URL has credentials.  Returns 0, or -1 with a message in err.
 */
int sx_routes_parse(const char *val, struct sx_route *routes, size_t max,
		    size_t *n, const struct sx_proxy *tmpl, char *err,
		    size_t errlen);

/*
 * Parse one network spec: ADDR[/PREFIX][:PORT[-PORT]], IPv6 addresses in
 * brackets when a port follows ([2001:db8::]/32:443), "localhost" meaning
 * 127.0.0.0/8.  Returns 0 or -1 with a message in err.
 */
int sx_net_parse(const char *spec, struct sx_net *n, char *err, size_t errlen);

/*
 * Parse a comma-separated list of networks and domain names into c->direct
 * and c->direct_domains, replacing what was there.  An empty string means
 * "nothing goes direct".  A domain is an item with a letter in it and no
 * '/', ':' or '[' (e.g. "corp.example", ".corp.example", "*.corp.example").
 */
int sx_direct_list_parse(struct sx_conf *c, const char *list,
			 char *err, size_t errlen);

/*
 * Parse the text of one config file.  name is used in error messages
 * ("NAME:LINE: problem").  On the first error returns -1 and writes the
 * message into c->error; otherwise 0.
 */
int sx_conf_parse_text(struct sx_conf *c, const char *name,
		       const char *text, size_t len);

/*
 * Apply the environment: getenv_fn is getenv (or a stub in tests).
 * Returns 0 or -1 with c->error set.
 */
int sx_conf_apply_env(struct sx_conf *c, const char *(*getenv_fn)(const char *));

/*
 * Load everything: defaults, the files in order (missing files are
 * skipped silently, unreadable ones are an error), then the environment.
 * Always leaves a usable struct; check c->error.
 */
void sx_conf_load(struct sx_conf *c);

/*
 * What sx_conf_load() does, with the system file and the environment
 * lookup given: sx_conf_load(c) is
 *   sx_conf_load_from(c, SX_SYSCONFDIR "/socksify.conf", <secure_getenv>).
 * HOME and SOCKSIFY_CONF are looked up through getenv_fn too.
 * sysconf_path NULL or "" skips the system file.  For tests.
 */
void sx_conf_load_from(struct sx_conf *c, const char *sysconf_path,
		       const char *(*getenv_fn)(const char *));

/* The name of config-file keyword i (0, 1, ...); NULL past the last. */
const char *sx_conf_keyword(size_t i);

/* Where keyword kw got its value: "FILE:LINE", a variable name, or "" for
 * the built-in default.  NULL for an unknown keyword. */
const char *sx_conf_origin(const struct sx_conf *c, const char *kw);

/* Does this configuration resolve names at the proxy? */
bool sx_conf_remote_dns(const struct sx_conf *c);

/* true if name (case-insensitive, trailing dot ignored) is, or is below,
 * one of c->direct_domains */
bool sx_conf_name_is_direct(const struct sx_conf *c, const char *name);

/*
 * The first rule that matches a destination: name (NULL when the program
 * connects to an address it did not get from a name we know), sa (NULL
 * when there is only a name, or the address is a mapped one), port, and
 * proto (IPPROTO_TCP or IPPROTO_UDP).  Returns its index, or -1 (the
 * default route).  O(number of rules); no allocation.
 */
int sx_conf_route_match(const struct sx_conf *c, const char *name,
			const struct sockaddr *sa, uint16_t port, int proto);

/* A rule as it reads: "=host.example:443 tcp -> corp (line 12)". */
void sx_conf_rule_text(const struct sx_conf *c, size_t i, char *buf,
		       size_t len);

/* The target's name: "direct", "block", "proxy" or the named route's. */
const char *sx_conf_target_name(const struct sx_conf *c, int target);

/* A network as it is written: "10.0.0.0/8", "[2001:db8::1]:443". */
void sx_conf_net_str(const struct sx_net *n, char *buf, size_t len);

/* true if name is, or is below, one of the ndomains suffixes (lower case,
 * as sx_direct_list_parse stores them); case-insensitive, trailing dot
 * ignored */
bool sx_conf_name_under(const char *name, const char (*domains)[254],
			size_t ndomains);

/* true if name must be resolved by the proxy alone: below .onion or a
 * proxy_only_domain (src/conf/tor.c) */
bool sx_conf_name_is_proxy_only(const struct sx_conf *c, const char *name);

/* true if (family, addr, port) falls in one of c->direct */
bool sx_conf_is_direct(const struct sx_conf *c, const struct sockaddr *sa);

#endif
