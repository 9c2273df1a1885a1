/* registry_internal.h — pieces of the registry client shared by its .c files and exposed
 * to tests/unit/test_registry*.c. Not for other modules: use registry.h. */
#ifndef SPROUT_REGISTRY_INTERNAL_H
#define SPROUT_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/base64.h"
#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/registry/registry.h"

/* base64 for "auth" fields and Basic credentials: engine/base/base64.h (strict
 * sp_base64_decode, sp_base64_encode). */

/* A token service answer: {"token": T} and/or {"access_token": T}, optional
 * "expires_in" (seconds; SP_REGISTRY_DEFAULT_TOKEN_TTL when absent or below 1).
 * *token is malloc'd. SP_EINVAL when no usable token, SP_ETOOBIG past SP_REGISTRY_MAX_TOKEN. */
int sp_registry_parse_token(const char *body, size_t n, char **token, long *expires_in);

/* Outcome classification, shared by the state machine and its tests. */
enum sp_image_status sp_registry_status_from_curl(int curl_code);
/* For a manifest request's HTTP status; SP_IMAGE_UNCHECKED means "look further"
 * (200: found, 404: ask tags/list, 401: maybe renew the token). */
enum sp_image_status sp_registry_status_from_manifest_http(long status);
/* For tags/list after a manifest 404: repository missing (404) or the tag/digest. */
enum sp_image_status sp_registry_status_from_tags_http(long status, bool by_digest);
/* true for a loopback host ("localhost", "127.x.y.z[:port]", "[::1][:port]"). */
bool sp_registry_host_is_loopback(const char *host);

/* The severity a status gets: notes for found, errors for definite answers, warnings
 * (errors when strict) for "could not check". */
enum sp_severity sp_registry_severity(enum sp_image_status s, bool strict);

/* Adds the diagnostic for one image's result. */
int sp_registry_diag(struct sp_diags *d, const struct sp_registry_image *img,
		     const struct sp_registry_result *res, bool strict, bool had_creds);

/* Token cache, with an injectable clock for tests (monotonic seconds). */
void sp_registry_set_clock(struct sp_registry *r, int64_t (*now)(void *), void *ctx);
int sp_registry_token_put(struct sp_registry *r, const char *key, const char *token,
			  long expires_in);
/* The cached token for key when it has not expired, else NULL (borrowed). */
const char *sp_registry_token_get(struct sp_registry *r, const char *key);
void sp_registry_token_drop(struct sp_registry *r, const char *key);

#endif
