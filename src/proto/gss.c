/*
 * gss.c - RFC 1961 framing (VER MTYP LEN TOKEN) and the decoder of a
 * stream of protected data messages.  No I/O, no allocation: the caller
 * owns the decoder's storage and supplies the unwrap function, so the
 * whole state machine runs on plain bytes in the unit tests.
 */
#include <string.h>

#include "socksify/proto.h"

ssize_t sx_gss_header_encode(uint8_t *buf, size_t cap, uint8_t mtyp,
			     size_t toklen)
{
	if (!buf || toklen > SX_GSS_MAXTOKEN || mtyp == SX_GSS_MTYP_ABORT)
		return -SX_PERR_ARG;
	if (cap < SX_GSS_HLEN)
		return -SX_PERR_NOSPACE;
	buf[0] = SX_GSS_VERSION;
	buf[1] = mtyp;
	buf[2] = (uint8_t)(toklen >> 8);
	buf[3] = (uint8_t)toklen;
	return SX_GSS_HLEN;
}

ssize_t sx_gss_frame_encode(uint8_t *buf, size_t cap, uint8_t mtyp,
			    const uint8_t *token, size_t toklen)
{
	ssize_t n = sx_gss_header_encode(buf, cap, mtyp, toklen);

	if (n < 0)
		return n;
	if (toklen && !token)
		return -SX_PERR_ARG;
	if (cap - SX_GSS_HLEN < toklen)
		return -SX_PERR_NOSPACE;
	if (toklen)
		memcpy(buf + SX_GSS_HLEN, token, toklen);
	return (ssize_t)(SX_GSS_HLEN + toklen);
}

ssize_t sx_gss_frame_parse(const uint8_t *buf, size_t len,
			   struct sx_gss_frame *out, size_t *need)
{
	size_t toklen;

	if (!out || !need || (len && !buf))
		return -SX_PERR_ARG;
	if (len >= 1 && buf[0] != SX_GSS_VERSION)
		return -SX_PERR_VERSION;
	if (len < 2) {
		*need = 2;
		return 0;
	}
	if (buf[1] == SX_GSS_MTYP_ABORT) {
		out->mtyp = SX_GSS_MTYP_ABORT;
		out->len = 0;
		out->token = NULL;
		return 2;
	}
	if (buf[1] < SX_GSS_MTYP_AUTH || buf[1] > SX_GSS_MTYP_DATA)
		return -SX_PERR_GSS_MTYP;
	if (len < SX_GSS_HLEN) {
		*need = SX_GSS_HLEN;
		return 0;
	}
	toklen = (size_t)buf[2] << 8 | buf[3];
	if (len < SX_GSS_HLEN + toklen) {
		*need = SX_GSS_HLEN + toklen;
		return 0;
	}
	out->mtyp = buf[1];
	out->len = toklen;
	out->token = buf + SX_GSS_HLEN;
	return (ssize_t)(SX_GSS_HLEN + toklen);
}

ssize_t sx_gss_dgram_parse(const uint8_t *buf, size_t len,
			   const uint8_t **token)
{
	struct sx_gss_frame f;
	size_t need = 0;
	ssize_t n;

	if (!token)
		return -SX_PERR_ARG;
	n = sx_gss_frame_parse(buf, len, &f, &need);
	if (n < 0)
		return n;
	if (n > 0 && f.mtyp != SX_GSS_MTYP_DATA)
		return -SX_PERR_GSS_MTYP;
	/* A datagram cannot continue in the next one: incomplete is final,
	 * and bytes after the message would be unprotected. */
	if (n == 0 || (size_t)n != len)
		return -SX_PERR_GSS_DGRAM;
	*token = f.token;
	return (ssize_t)f.len;
}

int sx_gss_krb5_wrap_seq(const uint8_t *token, size_t len, uint64_t *seq)
{
	uint64_t v = 0;

	if (!token || !seq || len < 16 || token[0] != 0x05 || token[1] != 0x04)
		return -1;
	for (int i = 8; i < 16; i++)
		v = v << 8 | token[i];
	*seq = v;
	return 0;
}

int sx_replay_check(struct sx_replay *w, uint64_t seq)
{
	uint64_t back;

	if (!w->started || seq > w->top) {
		back = w->started ? seq - w->top : 64;
		w->seen = back >= 64 ? 1 : (w->seen << back) | 1;
		w->top = seq;
		w->started = 1;
		return 1;
	}
	back = w->top - seq;
	if (back >= 64 || (w->seen >> back & 1))
		return 0;
	w->seen |= (uint64_t)1 << back;
	return 1;
}

/* ---- the data stream decoder ------------------------------------------ */

void sx_gss_dec_init(struct sx_gss_dec *d)
{
	d->rstart = d->rend = 0;
	d->pstart = d->pend = 0;
	d->err = 0;
}

uint8_t *sx_gss_dec_space(struct sx_gss_dec *d, size_t *len)
{
	/* Keep the incomplete frame at the front: a whole one always fits. */
	if (d->rstart > 0 && SX_GSS_RAWCAP - d->rend < SX_GSS_HLEN + SX_GSS_MAXTOKEN) {
		memmove(d->raw, d->raw + d->rstart, d->rend - d->rstart);
		d->rend -= d->rstart;
		d->rstart = 0;
	}
	*len = SX_GSS_RAWCAP - d->rend;
	return d->raw + d->rend;
}

void sx_gss_dec_commit(struct sx_gss_dec *d, size_t n)
{
	if (n > SX_GSS_RAWCAP - d->rend)
		n = SX_GSS_RAWCAP - d->rend;
	d->rend += n;
}

int sx_gss_dec_step(struct sx_gss_dec *d, sx_gss_unwrap_fn unwrap, void *arg)
{
	struct sx_gss_frame f;
	size_t need = 0, outlen = 0;
	ssize_t n;

	if (d->err)
		return d->err;
	if (d->pstart < d->pend)
		return 0;
	d->pstart = d->pend = 0;
	n = sx_gss_frame_parse(d->raw + d->rstart, d->rend - d->rstart, &f, &need);
	if (n == 0)
		return 0;
	if (n < 0)
		return d->err = (int)n;
	if (f.mtyp == SX_GSS_MTYP_ABORT)
		return d->err = -SX_PERR_GSS_ABORT;
	if (f.mtyp != SX_GSS_MTYP_DATA)
		return d->err = -SX_PERR_GSS_MTYP;
	if (unwrap(arg, f.token, f.len, d->plain, sizeof(d->plain), &outlen) < 0 ||
	    outlen > sizeof(d->plain))
		return d->err = -SX_PERR_GSS_UNWRAP;
	d->rstart += (size_t)n;
	if (d->rstart == d->rend)
		d->rstart = d->rend = 0;
	d->pend = outlen;
	return 1;
}

size_t sx_gss_dec_avail(const struct sx_gss_dec *d)
{
	return d->pend - d->pstart;
}

size_t sx_gss_dec_take(struct sx_gss_dec *d, uint8_t *out, size_t len, int peek)
{
	size_t n = d->pend - d->pstart;

	if (n > len)
		n = len;
	if (n)
		memcpy(out, d->plain + d->pstart, n);
	if (!peek)
		d->pstart += n;
	return n;
}

size_t sx_gss_dec_partial(const struct sx_gss_dec *d)
{
	return d->rend - d->rstart;
}
