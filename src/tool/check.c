/*
 * check.c - `socksify --check [DEST]`: test the setup step by step, one
 * line per fact, each saying what was tested, the result and, when it
 * failed, what to do.  The SOCKS 5 negotiation is done here message by
 * message (with the library's encoders and parsers) so that the method
 * the proxy chose and the authentication result can be reported apart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "socksify/client.h"
#include "socksify/conf.h"
#include "socksify/proto.h"
#include "socksify/runtime.h"
#include "tool.h"

struct check {
	const struct sx_conf *c;
	int failures;
	int fd;
	char ptext[300];        /* the first hop as reached: "127.0.0.1:1080" */
	char at[48];            /* "" or " [route 1, hop 2]" */
};

static void fact(struct check *k, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line: "ok    ...", "FAIL  ...", "info  ...", "warn  ...". */
static void fact(struct check *k, const char *tag, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(tag, "FAIL") == 0)
		k->failures++;
	printf("%-4s  ", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A failed exchange on the wire (sx_wire_*), as words. */
static const char *io_str(struct sx_wire_res r, char *buf, size_t len)
{
	if (r.err == SX_WIRE_EOF)
		return "the proxy closed the connection";
	if (r.perr) {
		snprintf(buf, len, "malformed answer (%s)", sx_perr_str(r.perr));
		return buf;
	}
	if (r.err == ETIMEDOUT)
		return "no answer within handshake_timeout";
	return strerror(r.err);
}

static void check_config(struct check *k)
{
	char files[512];

	sx_tool_files(k->c, files, sizeof files);
	fact(k, "info", "config: files read: %s", files);
	fact(k, "info", "config: variables read: %s",
	     k->c->env_vars[0] ? k->c->env_vars : "none");
	if (k->c->error[0])
		fact(k, "FAIL", "config: %s; every connection that should go "
		     "through the proxy fails (ENETUNREACH) until this is fixed",
		     k->c->error);
	else
		fact(k, "ok", "config: no errors");
}

/* Resolve and connect to the route's first hop: k->fd, or -1 after a FAIL
 * line. */
static int reach_proxy(struct check *k, const struct sx_proxy *p)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai, *pick = NULL;
	char port[8], host[INET6_ADDRSTRLEN];
	int64_t t0 = sx_now_ms();
	socklen_t elen = sizeof(int);
	int rc, err = 0;

	snprintf(port, sizeof port, "%u", p->port);
	rc = getaddrinfo(p->host, port, &hints, &res);
	if (rc != 0) {
		fact(k, "FAIL", "proxy%s: cannot resolve the proxy host '%s': %s; "
		     "check \"proxy\" (from %s)", k->at, p->host, gai_strerror(rc),
		     sx_tool_origin(k->c, "proxy"));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next)       /* IPv4 first, as programs */
		if (!pick || (ai->ai_family == AF_INET && pick->ai_family != AF_INET))
			pick = ai;
	getnameinfo(pick->ai_addr, pick->ai_addrlen, host, sizeof host, NULL, 0,
		    NI_NUMERICHOST);
	snprintf(k->ptext, sizeof k->ptext, pick->ai_family == AF_INET6 ?
		 "[%s]:%u" : "%s:%u", host, p->port);
	k->fd = socket(pick->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0)
		err = errno;
	else if (connect(k->fd, pick->ai_addr, pick->ai_addrlen) < 0 &&
		 errno != EINPROGRESS)
		err = errno;
	else if ((err = sx_wire_wait(k->fd, POLLOUT, t0 + k->c->connect_timeout_ms)) == 0 &&
		 getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	freeaddrinfo(res);
	if (err == 0) {
		fact(k, "ok", "proxy%s: reached %s over TCP in %lld ms", k->at,
		     k->ptext, (long long)(sx_now_ms() - t0));
		return 0;
	}
	if (err == ETIMEDOUT)
		fact(k, "FAIL", "proxy%s: cannot reach %s: no answer within "
		     "connect_timeout (%d ms); is the address right, or is a "
		     "firewall in the way?", k->at, k->ptext,
		     k->c->connect_timeout_ms);
	else
		fact(k, "FAIL", "proxy%s: cannot reach %s: %s; is the SOCKS server "
		     "running there, and is \"proxy\" right (from %s)?", k->at,
		     k->ptext, strerror(err), sx_tool_origin(k->c, "proxy"));
	return -1;
}

static void method_refused(struct check *k, bool creds)
{
	if (!creds)
		fact(k, "FAIL", "method%s: the proxy refused \"no authentication\": "
		     "it wants a user name and password (socksify -u USER, or "
		     "\"user\" and \"password\" in socksify.conf) or GSS-API "
		     "(\"gssapi on\")", k->at);
	else
		fact(k, "FAIL", "method%s: the proxy refused both \"no "
		     "authentication\" and username/password; does it want "
		     "GSS-API (\"gssapi on\")?", k->at);
}

/* RFC 1929 with the hop's user and password. */
static int check_userpass(struct check *k, const struct sx_proxy *p,
			  int64_t deadline)
{
	uint8_t buf[3 + 255 + 255], status = 0;
	char ebuf[128];
	/* in a chain or with fallbacks, a hop's URL credentials are its own */
	const char *from = p->url_creds && k->at[0] ? "this hop's URL" :
			   sx_tool_origin(k->c, "password");
	ssize_t n;
	struct sx_wire_res r;

	n = sx_userpass_encode(buf, sizeof buf, p->user, strlen(p->user),
			       p->pass, strlen(p->pass));
	if (n < 0) {
		fact(k, "FAIL", "auth%s: cannot send the credentials of user '%s': "
		     "%s (socksify -u USER prompts for the password)", k->at,
		     p->user, sx_perr_str((int)n));
		return -1;
	}
	r = sx_wire_send(k->fd, buf, (size_t)n, deadline);
	explicit_bzero(buf, sizeof buf);
	if (r.err == 0)
		r = sx_wire_recv(k->fd, buf, 2, sx_parse_userpass, &status, deadline);
	if (r.err) {
		fact(k, "FAIL", "auth%s: username/password exchange failed: %s",
		     k->at, io_str(r, ebuf, sizeof ebuf));
		return -1;
	}
	if (status != 0) {
		fact(k, "FAIL", "auth%s: the proxy rejected user '%s' and its "
		     "password (from %s); check the user name and password",
		     k->at, p->user, from);
		return -1;
	}
	fact(k, "ok", "auth%s: user '%s' accepted (password from %s)", k->at,
	     p->user, from);
	return 0;
}

/* Greeting, method selection and authentication.  0 or -1. */
static int check_socks5_auth(struct check *k, const struct sx_proxy *p,
			     int64_t deadline)
{
	bool creds = p->user[0] != '\0';
	uint8_t methods[2] = { SX_S5_METHOD_NONE, SX_S5_METHOD_USERPASS };
	uint8_t buf[16], method = 0;
	const char *offered = creds ? "no authentication, username/password" :
				      "no authentication";
	char ebuf[128];
	ssize_t n;
	struct sx_wire_res r = { .err = EINVAL };

	n = sx_s5_greeting_encode(buf, sizeof buf, methods, creds ? 2 : 1);
	if (n >= 0)
		r = sx_wire_send(k->fd, buf, (size_t)n, deadline);
	if (r.err == 0)
		r = sx_wire_recv(k->fd, buf, sizeof buf, sx_parse_method, &method,
				 deadline);
	if (r.err) {
		fact(k, "FAIL", "method%s: no SOCKS 5 method selection: %s; is it "
		     "a SOCKS 5 server (for SOCKS 4 use socks4://)?", k->at,
		     io_str(r, ebuf, sizeof ebuf));
		return -1;
	}
	if (method == SX_S5_METHOD_NONE) {
		fact(k, "ok", "method%s: \"no authentication\" (offered: %s)",
		     k->at, offered);
		fact(k, "ok", "auth%s: none needed%s", k->at, creds ? "; the "
		     "configured user name is not used by this proxy" : "");
		return 0;
	}
	if (method == SX_S5_METHOD_USERPASS && creds) {
		fact(k, "ok", "method%s: username/password, RFC 1929 (offered: %s)",
		     k->at, offered);
		return check_userpass(k, p, deadline);
	}
	if (method == SX_S5_METHOD_REJECT) {
		method_refused(k, creds);
		return -1;
	}
	fact(k, "FAIL", "method%s: the proxy chose method 0x%02x, which was not "
	     "offered (%s)%s", k->at, method, offered,
	     method == SX_S5_METHOD_USERPASS ? "; it wants a user name and "
	     "password: socksify -u USER" : "");
	return -1;
}

static void gss_info(struct check *k, const struct sx_proxy *p, bool target)
{
	const struct sx_gss_conf *g = &p->gss;
	const char *lv[] = { "clear", "integrity", "confidentiality" };

	fact(k, "info", "method%s: GSS-API only (gssapi on, from %s): target "
	     "%s%s%s, protection %s (lowest accepted: %s)", k->at,
	     sx_tool_origin(k->c, "gssapi"),
	     g->principal[0] ? g->principal : g->service,
	     g->principal[0] ? "" : "@", g->principal[0] ? "" : p->host,
	     lv[g->protection % 3], lv[(g->min_protection < 0 ? g->protection :
					 g->min_protection) % 3]);
	if (!target)
		fact(k, "warn", "auth%s: the GSS-API exchange is tested together "
		     "with a CONNECT: give a destination (socksify --check "
		     "HOST:PORT)", k->at);
}

/* proxy_only_domain (.onion) and isolate. */
static void check_tor(struct check *k)
{
	const struct sx_conf *c = k->c;
	char list[SX_CONF_MAX_PROXY_ONLY * 256];
	bool names = false;

	sx_tool_proxy_only_str(c, list, sizeof list);
	for (size_t r = 0; r < c->nroutes; r++)
		names = names || c->routes[r].hops[c->routes[r].nhops - 1].type !=
				 SX_PROXY_SOCKS4;
	fact(k, names ? "info" : "warn", "dns: names under %s go to the proxy "
	     "only, whatever the dns setting%s", list, names ? "" : "; no route "
	     "can carry a name (SOCKS 4), so programs cannot resolve them");
	if (c->isolate == SX_ISOLATE_PROCESS)
		fact(k, "info", "isolate: process (from %s): each process offers a "
		     "username/password pair of its own to SOCKS hops without a "
		     "configured user (this check: the pair of its own process)",
		     sx_tool_origin(c, "isolate"));
}

static void check_dns(struct check *k)
{
	const struct sx_conf *c = k->c;
	char v4[80], v6[80];
	const char *why = c->dns == SX_DNS_AUTO ? "auto, from the proxy URL's scheme" :
			  sx_tool_origin(c, "dns");

	sx_tool_net_str(&c->dns_map_v4, v4, sizeof v4);
	sx_tool_net_str(&c->dns_map_v6, v6, sizeof v6);
	if (!sx_conf_remote_dns(c))
		fact(k, "info", "dns: local (%s): programs resolve names on this "
		     "machine and the proxy gets addresses; for names only the "
		     "proxy can resolve use socks5h:// or \"dns remote\"", why);
	else if (c->proxy.type == SX_PROXY_SOCKS4)
		fact(k, "FAIL", "dns: remote (%s), but socks4:// cannot carry host "
		     "names; use socks4a:// or SOCKS 5, or \"dns local\"", why);
	else
		fact(k, "ok", "dns: remote (%s): host names go to the proxy, not "
		     "to a DNS server (stand-in addresses from %s and %s)", why,
		     v4, v6);
	check_tor(k);
}


/* "host:port" or "[v6]:port" into *a.  0, or -1 after a FAIL line. */
static int parse_dest(struct check *k, const char *dest, struct sx_addr *a,
		      char *host, size_t hlen)
{
	if (sx_tool_parse_dest(dest, a, host, hlen) == 0)
		return 0;
	fact(k, "FAIL", "connect: bad destination '%s': use HOST:PORT, "
	     "e.g. example.org:443 or [2001:db8::1]:443", dest);
	return -1;
}

/* With local DNS, a name is resolved here, as the program would. */
static int resolve_dest(struct check *k, struct sx_addr *a, const char *host)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	int rc = getaddrinfo(host, NULL, &hints, &res);

	if (rc != 0) {
		fact(k, "FAIL", "connect: cannot resolve '%s' on this machine "
		     "(dns local): %s; with socks5h:// or \"dns remote\" the proxy "
		     "would resolve it", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && ai->ai_family != AF_INET; ai = ai->ai_next)
		;
	ai = ai ? ai : res;
	if (ai->ai_family == AF_INET) {
		a->atyp = SX_ATYP_IPV4;
		memcpy(a->u.v4, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
	} else {
		a->atyp = SX_ATYP_IPV6;
		memcpy(a->u.v6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
	}
	freeaddrinfo(res);
	return 0;
}

/* Would a program connect to this directly?  Say so; test anyway. */
static void note_direct(struct check *k, const struct sx_addr *a,
			const char *dest)
{
	struct sockaddr_storage ss;
	bool direct;

	if (a->atyp == SX_ATYP_NAME) {
		direct = sx_conf_name_is_direct(k->c, a->u.name);
	} else {
		sx_tool_sockaddr(a, &ss);
		direct = sx_conf_is_direct(k->c, (struct sockaddr *)&ss);
	}
	if (direct)
		fact(k, "warn", "connect: %s is in \"direct\" (from %s): programs "
		     "connect to it directly, not through the proxy; testing "
		     "through the proxy anyway", dest, sx_tool_origin(k->c, "direct"));
}


/* Which route rule it takes (socksify --route says the same); returns
 * the route set the checks below test: the named route it takes, else
 * the proxy line. */
static int note_route(struct check *k, const struct sx_addr *a,
		      const char *dest)
{
	char line[2048];
	int t = sx_tool_route_explain(k->c, a, IPPROTO_TCP, line, sizeof line);

	fact(k, t == SX_TARGET_BLOCK ? "warn" : "ok", "route: %s tcp -> %s%s",
	     dest, line, t == SX_TARGET_BLOCK ? "; programs are refused; "
	     "testing through the proxy line anyway" : t == SX_TARGET_DIRECT ?
	     "; programs connect directly; testing through the proxy line "
	     "anyway" : "");
	return t > 0 ? t : 0;
}

static const char *atyp_words(uint8_t atyp)
{
	return atyp == SX_ATYP_NAME ? "as a name (address type 3)" :
	       atyp == SX_ATYP_IPV4 ? "as an IPv4 address" : "as an IPv6 address";
}

/* A CONNECT to *a through hop p on k->fd (for GSS-API, with its
 * authentication).  0, or -1 with f->why. */
static int connect_step(struct check *k, const struct sx_proxy *p,
			const struct sx_addr *a, int64_t deadline,
			struct sx_failure *f)
{
	struct sx_s5_reply reply;
	struct sx_addr bound;
	uint8_t buf[4 + 1 + 255 + 2];
	char ebuf[128];
	ssize_t n;
	struct sx_wire_res r = { .err = EINVAL };
	int status;

	if (p->type == SX_PROXY_HTTP)
		return sx_http_handshake(k->fd, p, a, deadline, f, &status);
	if (p->type != SX_PROXY_SOCKS5)
		return sx_socks4_handshake(k->fd, p, SX_S4_CMD_CONNECT, a, &bound,
					   deadline, f);
	if (p->gss.enabled)
		return sx_socks5_handshake(k->fd, p, SX_S5_CMD_CONNECT, a, &reply,
					   deadline, f);
	n = sx_s5_request_encode(buf, sizeof buf, SX_S5_CMD_CONNECT, a);
	if (n >= 0)
		r = sx_wire_send(k->fd, buf, (size_t)n, deadline);
	if (r.err == 0)
		r = sx_wire_recv(k->fd, buf, sizeof buf, sx_parse_s5_reply, &reply,
				 deadline);
	if (r.err) {
		snprintf(f->why, sizeof f->why, "%s", n < 0 ? sx_perr_str((int)n) :
			 io_str(r, ebuf, sizeof ebuf));
		return -1;
	}
	if (reply.rep != SX_S5_REP_SUCCEEDED) {
		snprintf(f->why, sizeof f->why, sx_s5_rep_is_tor(reply.rep) ?
			 "%s (SOCKS reply 0x%02X)" : "%s (SOCKS reply %u)",
			 sx_s5_rep_str(reply.rep), reply.rep);
		return -1;
	}
	return 0;
}

/*
 * The next hop of a chain, as the hop before it is asked to reach it:
 * resolved here, as the library does when it loads.  0, or -1 with *f.
 */
static int hop_addr(const struct sx_proxy *prev, const struct sx_proxy *n,
		    struct sx_addr *a, struct sx_failure *f)
{
	struct sx_proxy_addr pa;
	char text[300];

	memset(&pa, 0, sizeof pa);
	sx_proxy_resolve(&pa, n);
	if (pa.resolve_err) {
		f->err = pa.resolve_err;
		snprintf(f->why, sizeof f->why, "%s", pa.resolve_msg);
		return -1;
	}
	snprintf(text, sizeof text, "%s:%u", prev->host, prev->port);
	return sx_next_hop_addr(&pa, text, prev->type, a, f);
}

/* pipelining auto: what this user's cache says of the first hop p. */
static void pipe_info(struct check *k, const struct sx_proxy *p)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char file[4200], day[40] = "?";
	int64_t when;
	enum sx_pipe_state s;
	struct tm tm;
	time_t t;

	if (p->pipelining != SX_PIPE_AUTO || p->type != SX_PROXY_SOCKS5 ||
	    p->gss.enabled ||
	    getpeername(k->fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	s = sx_pipe_cached(&ss, p, &when, file, sizeof file);
	t = (time_t)when;
	if (when && gmtime_r(&t, &tm))
		strftime(day, sizeof day, "%Y-%m-%d %H:%M UTC", &tm);
	if (s == SX_PIPE_YES || s == SX_PIPE_NO)
		fact(k, "info", "pipelining%s: auto (from %s); %s %s pipelining "
		     "(learned %s; %s; delete it to forget)", k->at,
		     sx_tool_origin(k->c, "pipelining"), k->ptext,
		     s == SX_PIPE_YES ? "accepts" : "does not accept", day,
		     file);
	else
		fact(k, "info", "pipelining%s: auto (from %s); nothing known of "
		     "%s%s%s (%s): a program's next connection goes one message "
		     "per round trip while a probe asks it", k->at,
		     sx_tool_origin(k->c, "pipelining"), k->ptext,
		     when ? ", last probed " : "", when ? day : "", file);
}

/* Method and authentication with hop p.  0 or -1. */
static int negotiate(struct check *k, const struct sx_proxy *p, bool target,
		     int64_t deadline)
{
	if (p->type == SX_PROXY_HTTP) {
		fact(k, "info", "method%s: an HTTP proxy authenticates each CONNECT "
		     "request (%s); the CONNECT below tests it", k->at, p->user[0] ?
		     "Basic, with the configured user" : "no credentials configured");
		return 0;
	}
	if (p->type != SX_PROXY_SOCKS5) {
		fact(k, "info", "method%s: SOCKS 4 has no authentication; the "
		     "user id sent is %s", k->at, p->user[0] ? p->user :
		     "the login name");
		return 0;
	}
	if (p->gss.enabled) {
		gss_info(k, p, target);
		return 0;
	}
	if (p->pipelining == SX_PIPE_ON)
		fact(k, "info", "pipelining%s: on (from %s); this check still sends "
		     "one message per round trip", k->at,
		     sx_tool_origin(k->c, "pipelining"));
	return check_socks5_auth(k, p, deadline);
}

/* Every hop of route r, then a CONNECT to dst (if any) through it. */
static void check_route(struct check *k, int set, size_t r,
			const struct sx_addr *dst, const char *dest)
{
	size_t nr;
	const struct sx_route *rt = &sx_route_set(k->c, set, &nr)[r];
	bool multi = nr > 1 || rt->nhops > 1;
	struct sx_failure f = { 0 };
	struct sx_addr next;
	int64_t deadline = 0;
	char url[300];

	for (size_t h = 0; h < rt->nhops; h++) {
		struct sx_proxy iso;
		const struct sx_proxy *p = sx_isolate_hop(k->c, &rt->hops[h], &iso);
		bool last = h + 1 == rt->nhops;

		k->at[0] = '\0';
		if (multi)
			snprintf(k->at, sizeof k->at, " [route %u, hop %u]",
				 (unsigned)(r % SX_CONF_MAX_ROUTES) + 1,
				 (unsigned)(h % SX_CONF_MAX_HOPS) + 1);
		sx_tool_proxy_url(p, url, sizeof url);
		fact(k, "info", "proxy%s: %s (from %s)", k->at, url,
		     sx_tool_origin(k->c, set ? "route" : r ? "fallback" : "proxy"));
		if (h == 0 && reach_proxy(k, p) < 0)
			return;
		if (h == 0)
			pipe_info(k, p);
		deadline = sx_now_ms() + k->c->handshake_timeout_ms;
		if (negotiate(k, p, !last || dst, deadline) < 0) {
			if (dest)
				fact(k, "info", "connect%s: %s not tested (the proxy "
				     "did not accept us)", k->at, dest);
			return;
		}
		if (!last) {
			if (hop_addr(p, &rt->hops[h + 1], &next, &f) < 0 ||
			    connect_step(k, p, &next, deadline, &f) < 0) {
				fact(k, "FAIL", "chain%s: cannot reach the next hop "
				     "%s:%u: %s", k->at, rt->hops[h + 1].host,
				     rt->hops[h + 1].port, f.why);
				return;
			}
			fact(k, "ok", "chain%s: connected to the next hop %s:%u",
			     k->at, rt->hops[h + 1].host, rt->hops[h + 1].port);
		} else if (dst && connect_step(k, p, dst, deadline, &f) < 0) {
			fact(k, "FAIL", "connect%s: %s through the proxy (sent %s): %s",
			     k->at, dest, atyp_words(dst->atyp), f.why);
		} else if (dst) {
			fact(k, "ok", "connect%s: %s through the proxy: connected "
			     "(sent %s)", k->at, dest, atyp_words(dst->atyp));
		} else if (p->type != SX_PROXY_SOCKS5) {
			fact(k, "warn", "connect%s: a SOCKS 4 proxy only answers a "
			     "request: give a destination (socksify --check "
			     "HOST:PORT)", k->at);
		}
	}
}

int sx_tool_check(const struct sx_conf *c, const char *dest)
{
	struct check k = { .c = c, .fd = -1 };
	struct sx_addr a, *dst = NULL;
	char host[256];
	size_t nr;
	int set = 0;

	check_config(&k);
	if (!c->error[0]) {
		check_dns(&k);
		if (dest && parse_dest(&k, dest, &a, host, sizeof host) == 0) {
			note_direct(&k, &a, dest);
			/* .onion and proxy_only_domain: the proxy's alone */
			if (a.atyp != SX_ATYP_NAME || sx_conf_remote_dns(c) ||
			    sx_conf_name_is_proxy_only(c, host) ||
			    resolve_dest(&k, &a, host) == 0)
				dst = &a;
		}
		if (dest && !dst)
			dest = NULL;
		if (dst)
			set = note_route(&k, dst, dest);
		sx_route_set(c, set, &nr);
		for (size_t r = 0; r < nr; r++) {
			check_route(&k, set, r, dst, dest);
			if (k.fd >= 0)
				close(k.fd);
			k.fd = -1;
		}
	}
	if (k.failures)
		fact(&k, "FAIL", "result: %d problem%s found", k.failures,
		     k.failures == 1 ? "" : "s");
	else
		fact(&k, "ok", "result: all checks passed");
	return k.failures ? 1 : 0;
}
