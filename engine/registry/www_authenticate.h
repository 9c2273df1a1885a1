/* www_authenticate.h — parsing HTTP authentication challenges (RFC 7235 §4.1, §2.1).
 *
 * A registry answers 401 with one or more WWW-Authenticate headers such as
 *   Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"
 * Values may be quoted strings holding commas, spaces and backslash escapes, so the header
 * is tokenised per RFC 7235, never split on ','. Several challenges may share one header
 * ("Basic realm=x, Bearer realm=y"); several headers are joined with ", " by the caller.
 * token68 credentials ("Negotiate abc==") are kept as the challenge's token68.
 *
 * Limits (untrusted input): at most SP_WWWAUTH_MAX_LEN bytes of header, SP_WWWAUTH_MAX_CHALLENGES
 * challenges and SP_WWWAUTH_MAX_PARAMS parameters per challenge; crossing one is SP_ETOOBIG.
 * Malformed input is SP_EINVAL. Scheme and parameter names compare case-insensitively.
 *
 * Ownership: sp_wwwauth_parse fills *out (release with sp_wwwauth_release, safe on a zeroed
 * struct); nothing is written on failure. No printing, no globals.
 */
#ifndef SPROUT_REGISTRY_WWW_AUTHENTICATE_H
#define SPROUT_REGISTRY_WWW_AUTHENTICATE_H

#include <stddef.h>

#include "engine/base/buf.h" /* SP_E* codes */

#define SP_WWWAUTH_MAX_LEN 8192        /* MAX_WWW_AUTHENTICATE bytes in all headers */
#define SP_WWWAUTH_MAX_CHALLENGES 8    /* MAX_CHALLENGES */
#define SP_WWWAUTH_MAX_PARAMS 16       /* MAX_CHALLENGE_PARAMS per challenge */

struct sp_wwwauth_param {
	char *name;  /* lowercased */
	char *value; /* unquoted, escapes removed */
};

struct sp_wwwauth_challenge {
	char *scheme;  /* as written ("Bearer") */
	char *token68; /* NULL unless the challenge carries a token68 */
	struct sp_wwwauth_param params[SP_WWWAUTH_MAX_PARAMS];
	size_t n_params;
};

struct sp_wwwauth {
	struct sp_wwwauth_challenge challenges[SP_WWWAUTH_MAX_CHALLENGES];
	size_t n;
};

/* Parses header (len bytes, need not be NUL-terminated). 0, SP_EINVAL, SP_ETOOBIG or
 * SP_ENOMEM. An empty header gives zero challenges and 0. */
int sp_wwwauth_parse(const char *header, size_t len, struct sp_wwwauth *out);
void sp_wwwauth_release(struct sp_wwwauth *w);

/* The first challenge whose scheme equals `scheme` (case-insensitive), or NULL. */
const struct sp_wwwauth_challenge *sp_wwwauth_find(const struct sp_wwwauth *w,
						   const char *scheme);
/* The value of parameter `name` (case-insensitive), or NULL. */
const char *sp_wwwauth_param(const struct sp_wwwauth_challenge *c, const char *name);

#endif
