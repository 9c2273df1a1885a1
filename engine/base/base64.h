/* base64.h — standard base64 (RFC 4648 §4: the alphabet A-Z a-z 0-9 + /, '=' padding),
 * for docker config "auth" fields, Basic credentials and `encoding: base64` hook files.
 *
 * Decoding is strict about the alphabet (no URL-safe "-_"): '=' may only end the input
 * (at most two, completing a group of four); unpadded input is accepted; a single
 * leftover character is not. Output is appended to out, and out is unchanged on error. */
#ifndef SPROUT_BASE64_H
#define SPROUT_BASE64_H

#include <stddef.h>

#include "engine/base/buf.h"

/* Decodes in[0..n) into out. 0, SP_EINVAL (not base64), SP_ETOOBIG (past out->max),
 * SP_ENOMEM. */
int sp_base64_decode(const char *in, size_t n, struct sp_buf *out);
/* sp_base64_decode, but spaces, tabs and line breaks anywhere are ignored (as in text
 * written by `base64` with line wrapping). */
int sp_base64_decode_spaced(const char *in, size_t n, struct sp_buf *out);
/* Appends the padded encoding of in[0..n) to out. 0, SP_ETOOBIG, SP_ENOMEM. */
int sp_base64_encode(const void *in, size_t n, struct sp_buf *out);

#endif
