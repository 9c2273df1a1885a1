/* base64.c — standard base64 (RFC 4648 §4), one decoder for strict and line-wrapped
 * input. */
#include <stdbool.h>
#include <stdint.h>

#include "engine/base/base64.h"
#include "engine/base/banned.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int decode(const char *in, size_t n, bool skip_space, struct sp_buf *out)
{
	struct sp_buf tmp = SP_BUF_INIT(out->max);
	uint32_t acc = 0;
	int bits = 0, rc = 0;
	size_t pad = 0, chars = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (skip_space && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = b64_value(c);
		if (v < 0 || pad) {
			rc = SP_EINVAL; /* a foreign character, or data after padding */
			goto out;
		}
		chars++;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			rc = sp_buf_putc(&tmp, (char)((acc >> bits) & 0xff));
			if (rc)
				goto out;
		}
	}
	/* 1 leftover character cannot be; padding must complete a group of 4 */
	if (chars % 4 == 1 || pad > 2 || (pad && (chars + pad) % 4 != 0)) {
		rc = SP_EINVAL;
		goto out;
	}
	rc = sp_buf_append(out, tmp.data ? tmp.data : "", tmp.len);
out:
	sp_buf_free(&tmp);
	return rc;
}

int sp_base64_decode(const char *in, size_t n, struct sp_buf *out)
{
	return decode(in, n, false, out);
}

int sp_base64_decode_spaced(const char *in, size_t n, struct sp_buf *out)
{
	return decode(in, n, true, out);
}

int sp_base64_encode(const void *in, size_t n, struct sp_buf *out)
{
	const unsigned char *p = in;
	char q[4];
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64_alphabet[(v >> 18) & 63];
		q[1] = b64_alphabet[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64_alphabet[v & 63] : '=';
		int rc = sp_buf_append(out, q, 4);
		if (rc)
			return rc;
	}
	return 0;
}
