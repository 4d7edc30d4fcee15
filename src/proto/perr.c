/*
 * perr.c - texts for enum sx_perr.
 */
#include <limits.h>

#include "socksify/proto.h"

/* Accepts the enum value or its negation (as returned by the parsers). */
const char *sx_perr_str(int err)
{
	if (err < 0 && err != INT_MIN)
		err = -err;
	switch (err) {
	case SX_PERR_OK:        return "success";
	case SX_PERR_NOSPACE:   return "output buffer too small";
	case SX_PERR_VERSION:   return "wrong version in reply";
	case SX_PERR_ATYP:      return "unknown address type";
	case SX_PERR_NAMELEN:   return "bad domain name length";
	case SX_PERR_USERLEN:   return "bad user name length";
	case SX_PERR_PASSLEN:   return "bad password length";
	case SX_PERR_NOMETHODS: return "bad number of authentication methods";
	case SX_PERR_ARG:       return "invalid argument";
	case SX_PERR_USERID:    return "bad SOCKS 4 user id";
	case SX_PERR_GSS_MTYP:  return "unexpected GSS-API message type";
	case SX_PERR_GSS_ABORT: return "GSS-API abort message from the peer";
	case SX_PERR_GSS_UNWRAP: return "GSS-API token refused by gss_unwrap";
	case SX_PERR_GSS_DGRAM: return "GSS-API datagram is not exactly one message";
	case SX_PERR_HTTP_STATUS: return "not an HTTP/1.x status line";
	case SX_PERR_HTTP_HEADER: return "malformed HTTP header line";
	case SX_PERR_HTTP_LINE: return "HTTP line too long";
	case SX_PERR_HTTP_COUNT: return "too many HTTP header lines";
	case SX_PERR_HTTP_SIZE: return "HTTP reply too long";
	default:                return "unknown error";
	}
}
