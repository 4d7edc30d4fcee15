/*
 * tor.c - the keywords for Tor users: isolate (a username/password pair
 * per process, for Tor's stream isolation) and proxy_only_domain (names
 * only the proxy may resolve; .onion always is one).
 */
#include <string.h>
#include <strings.h>

#include "setters.h"

#define seterr sx_conf_seterr

int set_isolate(struct sx_conf *c, const char *val, char *err, size_t errlen)
{
	if (strcasecmp(val, "none") == 0 || strcasecmp(val, "off") == 0)
		c->isolate = SX_ISOLATE_NONE;
	else if (strcasecmp(val, "process") == 0)
		c->isolate = SX_ISOLATE_PROCESS;
	else {
		seterr(err, errlen, "bad isolate '%.*s' (use none or process)",
		       ECHO_MAX, val);
		return -1;
	}
	return 0;
}

/* One item of the list: appended unless it is there already. */
static int add_one(struct sx_conf *c, const char *item, char *err,
		   size_t errlen)
{
	char dom[254];

	if (sx_conf_domain_parse(item, dom, sizeof dom) < 0) {
		seterr(err, errlen, "bad proxy_only_domain '%.*s': a domain "
		       "name such as i2p or example.onion", ECHO_MAX, item);
		return -1;
	}
	for (size_t i = 0; i < c->nproxy_only; i++)
		if (strcmp(c->proxy_only_domains[i], dom) == 0)
			return 0;
	if (c->nproxy_only >= SX_CONF_MAX_PROXY_ONLY) {
		seterr(err, errlen, "too many proxy_only_domain entries (max %d, "
		       "onion included)", SX_CONF_MAX_PROXY_ONLY);
		return -1;
	}
	memcpy(c->proxy_only_domains[c->nproxy_only++], dom, sizeof dom);
	return 0;
}

/* "i2p, exit" or "i2p exit": each suffix is added to the list.  The whole
 * value is checked first, so a bad item changes nothing. */
int add_proxy_only_domain(struct sx_conf *c, const char *val, char *err,
			  size_t errlen)
{
	char tmp[SX_CONF_MAX_PROXY_ONLY][254];
	size_t n = c->nproxy_only;
	const char *s = val;
	int rc = 0;

	memcpy(tmp, c->proxy_only_domains, sizeof tmp);
	while (*s && rc == 0) {
		char item[300];
		size_t len = strcspn(s, ", \t");

		if (len == 0) {
			s++;
			continue;
		}
		if (len >= sizeof item) {
			seterr(err, errlen, "bad proxy_only_domain '%.*s...': too "
			       "long", ECHO_MAX, s);
			rc = -1;
			break;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		rc = add_one(c, item, err, errlen);
		s += len;
	}
	if (rc < 0) {
		memcpy(c->proxy_only_domains, tmp, sizeof tmp);
		c->nproxy_only = n;
	}
	return rc;
}

bool sx_conf_name_is_proxy_only(const struct sx_conf *c, const char *name)
{
	return name && sx_conf_name_under(name, c->proxy_only_domains,
					  c->nproxy_only);
}
