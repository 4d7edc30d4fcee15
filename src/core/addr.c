/*
 * addr.c - socket address helpers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "socksify/runtime.h"

/* The address bytes (4 or 16) and the port (network order) of sa. */
static bool inet_parts(const struct sockaddr *sa, const uint8_t **addr,
		       size_t *len, uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		*addr = (const uint8_t *)&in->sin_addr;
		*len = 4;
		*port = in->sin_port;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		*addr = in6->sin6_addr.s6_addr;
		*len = 16;
		*port = in6->sin6_port;
		return true;
	}
	return false;
}

const char *sx_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "(address family %d)", sa->sa_family);
	}
	return buf;
}

void sx_addr_set_name(struct sx_addr *a, const char *name, uint16_t port)
{
	size_t n = strnlen(name, sizeof(a->u.name) - 1);

	memset(a, 0, sizeof(*a));
	a->atyp = SX_ATYP_NAME;
	a->namelen = (uint8_t)n;
	memcpy(a->u.name, name, n);
	a->port = port;
}

int sx_addr_from_sockaddr(struct sx_addr *a, const struct sockaddr *sa)
{
	a->namelen = 0;                 /* the union is filled as needed */
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		a->atyp = SX_ATYP_IPV4;
		memcpy(a->u.v4, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		a->port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			a->atyp = SX_ATYP_IPV4;
			memcpy(a->u.v4, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			a->atyp = SX_ATYP_IPV6;
			memcpy(a->u.v6, &in6->sin6_addr, 16);
		}
		return 0;
	}
	return -1;
}

/* Same address and port; an IPv4 address matches its v4-mapped form. */
static bool same_endpoint(const struct sockaddr *a, const struct sockaddr *b)
{
	const uint8_t *x, *y;
	uint16_t px, py;
	size_t nx, ny;

	if (!inet_parts(a, &x, &nx, &px) || !inet_parts(b, &y, &ny, &py) ||
	    px != py)
		return false;
	if (nx == 16 && ny == 4 && IN6_IS_ADDR_V4MAPPED((const void *)x))
		x += 12, nx = 4;
	if (ny == 16 && nx == 4 && IN6_IS_ADDR_V4MAPPED((const void *)y))
		y += 12, ny = 4;
	return nx == ny && memcmp(x, y, nx) == 0;
}

bool sx_is_proxy_addr(const struct sx_proxy_addr *p, const struct sockaddr *sa)
{
	if (p->v4.ss_family && same_endpoint((const void *)&p->v4, sa))
		return true;
	if (p->v6.ss_family && same_endpoint((const void *)&p->v6, sa))
		return true;
	return false;
}

int sx_addr_to_sockaddr(const struct sx_addr *a, int family,
			struct sockaddr_storage *out, socklen_t *len)
{
	static const uint8_t zero[16];

	/* the part a sockaddr_in6 uses (not all 128 bytes: every connect) */
	memset(out, 0, sizeof(struct sockaddr_in6));
	if (a->atyp == SX_ATYP_IPV4 && memcmp(a->u.v4, zero, 4) != 0) {
		if (family == AF_INET) {
			struct sockaddr_in *in = (void *)out;

			in->sin_family = AF_INET;
			in->sin_port = htons(a->port);
			memcpy(&in->sin_addr, a->u.v4, 4);
			*len = sizeof(*in);
		} else {
			struct sockaddr_in6 *in6 = (void *)out;

			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(a->port);
			in6->sin6_addr.s6_addr[10] = 0xff;
			in6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&in6->sin6_addr.s6_addr[12], a->u.v4, 4);
			*len = sizeof(*in6);
		}
		return 0;
	}
	if (a->atyp == SX_ATYP_IPV6 && family == AF_INET6 &&
	    memcmp(a->u.v6, zero, 16) != 0) {
		struct sockaddr_in6 *in6 = (void *)out;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(a->port);
		memcpy(&in6->sin6_addr, a->u.v6, 16);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}
