/*
 * route.c - routes of proxies: "URL [URL ...]" is one route (a chain when
 * it has several hops), '|' separates alternative routes.
 *
 * Pure string parsing, like url.c.  Everything is parsed into a heap
 * temporary first and copied out only when the whole value is good, so a
 * bad value leaves the configuration as it was.
 */
#include "socksify/conf.h"
#include "setters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_MAX 4096

/* The hop's settings that do not come from its URL. */
static void hop_apply_template(struct sx_proxy *h, const struct sx_proxy *tmpl)
{
	h->url_creds = h->user_set;
	if (!h->url_creds) {
		memcpy(h->user, tmpl->user, sizeof h->user);
		memcpy(h->pass, tmpl->pass, sizeof h->pass);
		h->user_set = tmpl->user_set;
		h->pass_set = tmpl->pass_set;
	}
	h->pipelining = tmpl->pipelining;
	h->gss = tmpl->gss;
}

/* One URL (a NUL-terminated word) as the next hop of r. */
static int add_hop(struct sx_route *r, const char *word,
		   const struct sx_proxy *tmpl, char *err, size_t errlen)
{
	if (r->nhops >= SX_CONF_MAX_HOPS) {
		snprintf(err, errlen, "too many proxies in one chain (max %d)",
			 SX_CONF_MAX_HOPS);
		return -1;
	}
	if (sx_proxy_url_parse(word, &r->hops[r->nhops], err, errlen) < 0)
		return -1;
	hop_apply_template(&r->hops[r->nhops], tmpl);
	r->nhops++;
	return 0;
}

/* Split buf (writable) into routes and hops, into tmp[0..*n). */
static int split(char *buf, struct sx_route *tmp, size_t room, size_t *n,
		 const struct sx_proxy *tmpl, char *err, size_t errlen)
{
	char *s = buf;
	bool bars = strchr(buf, '|') != NULL;

	*n = 0;
	for (;;) {
		char *bar = strchr(s, '|');
		struct sx_route *r;

		if (bar)
			*bar = '\0';
		if (*n >= room) {
			snprintf(err, errlen, "too many routes (the proxy line and "
				 "fallbacks: max %d in all)", SX_CONF_MAX_ROUTES);
			return -1;
		}
		r = &tmp[(*n)++];
		while (*s) {
			char *w;

			while (is_blank(*s))
				s++;
			if (!*s)
				break;
			w = s;
			while (*s && !is_blank(*s))
				s++;
			if (*s)
				*s++ = '\0';
			if (add_hop(r, w, tmpl, err, errlen) < 0)
				return -1;
		}
		if (r->nhops == 0) {
			snprintf(err, errlen, "empty route (no proxy URL%s)",
				 bars ? " around '|'" : "");
			return -1;
		}
		if (!bar)
			return 0;
		s = bar + 1;
	}
}

int sx_routes_parse(const char *val, struct sx_route *routes, size_t max,
		    size_t *n, const struct sx_proxy *tmpl, char *err,
		    size_t errlen)
{
	size_t len = strlen(val), got = 0, room = max > *n ? max - *n : 0;
	struct sx_route *tmp;
	char *buf;
	int rc = -1;

	if (len >= VALUE_MAX) {
		snprintf(err, errlen, "proxy list too long (max %d bytes)",
			 VALUE_MAX - 1);
		return -1;
	}
	if (room == 0) {
		snprintf(err, errlen, "too many routes (the proxy line and "
			 "fallbacks: max %d in all)", SX_CONF_MAX_ROUTES);
		return -1;
	}
	tmp = calloc(room, sizeof *tmp);
	buf = malloc(len + 1);
	if (!tmp || !buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(buf, val, len + 1);
	rc = split(buf, tmp, room, &got, tmpl, err, errlen);
	if (rc == 0) {
		memcpy(&routes[*n], tmp, got * sizeof *tmp);
		*n += got;
	}
	explicit_bzero(buf, len + 1);
out:
	if (tmp)
		explicit_bzero(tmp, room * sizeof *tmp);
	free(tmp);
	free(buf);
	return rc;
}
