/*
 * isolate.c - the username/password pair (RFC 1929) of `isolate process`.
 *
 * Tor keeps streams whose SOCKS credentials differ on different circuits
 * (IsolateSOCKSAuth, on by default), so a pair of its own for every
 * process keeps two programs from being linked by a shared exit.  The
 * pair must never be shared by two processes:
 *
 *   user      "sx-" + the random bytes in hex (from getrandom(): a PID
 *             reused later gets another user)
 *   password  the process ID in decimal (two processes alive at the same
 *             time never have the same one)
 *
 * Neither starts with "<torS0X>", the prefix Tor 0.4.9 (proposal 351)
 * reads as something other than an isolation token.
 *
 * Pure: the caller brings the random bytes and the PID.
 */
#include <stdio.h>
#include <string.h>

#include "socksify/proto.h"

ssize_t sx_isolate_creds(const uint8_t *rnd, size_t n, uint64_t pid,
			 char *user, size_t ulen, char *pass, size_t plen)
{
	static const char hex[] = "0123456789abcdef";
	int w;

	if (!rnd || !user || !pass || n < SX_ISOLATE_RANDOM_MIN ||
	    n > SX_ISOLATE_RANDOM_MAX)
		return -SX_PERR_ARG;
	if (ulen < 3 + 2 * n + 1)
		return -SX_PERR_NOSPACE;
	w = snprintf(pass, plen, "%llu", (unsigned long long)pid);
	if (w < 0 || (size_t)w >= plen)
		return -SX_PERR_NOSPACE;
	memcpy(user, "sx-", 3);
	for (size_t i = 0; i < n; i++) {
		user[3 + 2 * i] = hex[rnd[i] >> 4];
		user[3 + 2 * i + 1] = hex[rnd[i] & 15];
	}
	user[3 + 2 * n] = '\0';
	return (ssize_t)(3 + 2 * n);
}
