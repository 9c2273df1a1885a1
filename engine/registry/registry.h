/* registry.h — does an image exist, and can it be pulled? A Registry HTTP API v2 client.
 *
 * Given the images of an application version (each with the container that uses it, where
 * it is written, and optional credentials), sp_registry_check asks every registry at once
 * (libcurl multi, one state machine per image) and reports one outcome and one diagnostic
 * per image. Per image:
 *   1. GET /v2/ (ping). 200: anonymous. 401: the WWW-Authenticate challenge says Basic or
 *      Bearer (www_authenticate.h parses it; quoted commas included).
 *   2. Bearer: GET <realm>?service=<service>&scope=repository:<path>:pull, with Basic
 *      credentials when there are some; the JSON answer's `token` or `access_token` is
 *      used for `expires_in` seconds (60 when absent) and cached per registry, service,
 *      scope and credentials. A token the registry refuses (401) is renewed once.
 *   3. HEAD /v2/<path>/manifests/<tag|digest> with all four manifest media types in Accept
 *      (Docker schema 2, Docker manifest list, OCI manifest, OCI index). The digest comes
 *      from Docker-Content-Digest; when a registry omits it the manifest is fetched with
 *      GET (at most SP_REGISTRY_MAX_MANIFEST bytes) and hashed.
 *   4. On 404, GET /v2/<path>/tags/list tells a missing tag (200) from a missing
 *      repository (404), because registry 2.8 answers both with MANIFEST_UNKNOWN.
 * Transport: https with the system CAs or options.ca_file; a registry on a loopback address
 * (localhost, 127.0.0.0/8, ::1) that does not speak TLS is retried over plain http, as
 * Docker treats those as insecure registries; options.plain_http forces http. Connect
 * and total timeouts per request, at most SP_REGISTRY_MAX_REDIRECTS redirects (http and
 * https only; credentials are never sent to another host).
 *
 * Outcomes and codes (docs/diagnostics.md, docs/registry.md):
 *   IMAGE_FOUND (note, with the digest), IMAGE_TAG_NOT_FOUND, IMAGE_DIGEST_NOT_FOUND,
 *   IMAGE_REPO_NOT_FOUND, IMAGE_UNAUTHORIZED (errors);
 *   IMAGE_REGISTRY_UNREACHABLE, IMAGE_REGISTRY_TIMEOUT, IMAGE_REGISTRY_TLS,
 *   IMAGE_REGISTRY_ERROR: warnings, errors when options.strict (sprout:images
 *   StrictImageChecks) is set — the registry could not say, which is not proof of absence.
 * Every diagnostic names the container and the image as written. Credentials never
 * appear in a diagnostic, a result or an error string (nor do tokens).
 *
 * Caching: a client (struct sp_registry) keeps tokens until they expire and definite
 * outcomes (found / not found) for options.cache_ttl_s seconds per reference and
 * credentials, so a long-lived engine does not ask twice in a row.
 *
 * Limits (untrusted responses): SP_REGISTRY_MAX_HEADER bytes of response headers,
 * SP_REGISTRY_MAX_BODY bytes of a token or error body, SP_REGISTRY_MAX_TOKEN bytes of a
 * token, SP_REGISTRY_MAX_IMAGES images per call.
 *
 * Ownership and threads: a struct sp_registry is used by one thread at a time; it owns
 * its caches. Results are owned by the caller (sp_registry_results_free). Nothing prints.
 * curl_global_init is the front end's business (libcurl >= 7.84 does it lazily).
 */
#ifndef SPROUT_REGISTRY_H
#define SPROUT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/diag.h"

#define SP_REGISTRY_MAX_IMAGES 100            /* MAX_IMAGES checked in one call */
#define SP_REGISTRY_MAX_HEADER (32 * 1024)     /* MAX_RESPONSE_HEADER bytes per response */
#define SP_REGISTRY_MAX_BODY (256 * 1024)      /* MAX_RESPONSE_BODY: token and error bodies */
#define SP_REGISTRY_MAX_MANIFEST (4 << 20)     /* MAX_MANIFEST bytes fetched to hash */
#define SP_REGISTRY_MAX_TOKEN (16 * 1024)      /* MAX_TOKEN bytes */
#define SP_REGISTRY_MAX_REDIRECTS 5            /* MAX_REDIRECTS per request */
#define SP_REGISTRY_MAX_CONFIG (1 << 20)       /* MAX_DOCKER_CONFIG bytes */
#define SP_REGISTRY_DEFAULT_CONNECT_MS 5000
#define SP_REGISTRY_DEFAULT_TOTAL_MS 20000
#define SP_REGISTRY_DEFAULT_CACHE_TTL 30       /* seconds */
#define SP_REGISTRY_DEFAULT_PARALLEL 16        /* concurrent requests */
#define SP_REGISTRY_DEFAULT_TOKEN_TTL 60       /* expires_in when the token server omits it */
#define SP_REGISTRY_DOCKER_HUB_HOST "registry-1.docker.io" /* API host of docker.io */

enum sp_image_status {
	SP_IMAGE_UNCHECKED = 0,
	SP_IMAGE_FOUND,
	SP_IMAGE_TAG_NOT_FOUND,
	SP_IMAGE_DIGEST_NOT_FOUND,
	SP_IMAGE_REPO_NOT_FOUND,
	SP_IMAGE_UNAUTHORIZED,
	SP_IMAGE_UNREACHABLE,
	SP_IMAGE_TIMEOUT,
	SP_IMAGE_TLS_ERROR,
	SP_IMAGE_REGISTRY_ERROR,
	SP_IMAGE_INVALID_REF,
};

/* Login for one registry (Basic to the registry, or to its token service). */
struct sp_registry_credentials {
	char *username;
	char *password;
};

struct sp_registry_options {
	long connect_timeout_ms;   /* 0: SP_REGISTRY_DEFAULT_CONNECT_MS */
	long total_timeout_ms;     /* per request; 0: SP_REGISTRY_DEFAULT_TOTAL_MS */
	const char *ca_file;       /* PEM bundle to trust instead of the system CAs; NULL */
	bool plain_http;           /* speak http to every registry (tests, demo) */
	bool strict;               /* StrictImageChecks: "could not check" is an error */
	unsigned cache_ttl_s;      /* 0: SP_REGISTRY_DEFAULT_CACHE_TTL; results cache */
	unsigned max_parallel;     /* 0: SP_REGISTRY_DEFAULT_PARALLEL */
	const char *user_agent;    /* NULL: "sprout/<version>" */
};

/* One image to check. All pointers are borrowed for the duration of the call. */
struct sp_registry_image {
	const char *container;     /* container name, for diagnostics */
	const char *image;         /* as written in the Dockerrun file */
	struct sp_loc loc;         /* where it is written (file, line, column, JSON path) */
	const struct sp_registry_credentials *creds; /* NULL: anonymous */
	bool strict;               /* StrictImageChecks for this image, besides options.strict */
};

struct sp_registry_result {
	enum sp_image_status status;
	char *registry;   /* host[:port] asked, NULL when the reference was invalid */
	char *digest;     /* "sha256:..." when found */
	char *media_type; /* Content-Type of the manifest when found */
	char *detail;     /* short English reason when not found / failed; never secrets */
	int http_status;  /* last HTTP status seen, 0 when none */
	bool cached;      /* answered from the client's cache */
};

struct sp_registry; /* opaque client: options, token cache, result cache */

/* Creates a client; opts may be NULL for the defaults (copied, ca_file and user_agent
 * too). 0 or SP_ENOMEM. */
int sp_registry_new(const struct sp_registry_options *opts, struct sp_registry **out);
void sp_registry_free(struct sp_registry *r);

/* Checks n images (n <= SP_REGISTRY_MAX_IMAGES, else SP_ETOOBIG) concurrently. On return
 * 0, results[0..n) are filled (free with sp_registry_results_free) and one diagnostic per
 * image was added to d (IMAGE_* codes above; an invalid reference is IMAGE_REF_INVALID).
 * Returns 0 even when images are missing: the diagnostics say so. SP_ENOMEM or SP_ERROR
 * (libcurl could not be set up) otherwise, with results untouched. */
int sp_registry_check(struct sp_registry *r, const struct sp_registry_image *images,
		      size_t n, struct sp_registry_result *results, struct sp_diags *d);
void sp_registry_results_free(struct sp_registry_result *results, size_t n);

/* The diagnostic code of a status ("IMAGE_FOUND", ...). Never NULL. */
const char *sp_image_status_code(enum sp_image_status s);

/* Looks up the credentials for registry `host` ("127.0.0.1:5000", "docker.io", as in
 * struct sp_image_ref's domain) in a Docker config object: config.json
 * ({"auths": {KEY: {"auth": base64(user:pass)}}}) or a legacy .dockercfg (the same map
 * without "auths"). KEY may be a bare host, or a URL ("https://host/v1/"); docker.io also
 * matches index.docker.io, registry-1.docker.io and "https://index.docker.io/v1/".
 * "username"/"password" fields are accepted too. Returns 0 and fills *out (release with
 * sp_registry_credentials_release), SP_ENOTFOUND when no entry matches, SP_EINVAL when
 * the object is malformed (then *why, when given, points at a static phrase that never
 * quotes the object), SP_ETOOBIG past SP_REGISTRY_MAX_CONFIG, SP_ENOMEM. */
int sp_dockercfg_lookup(const char *json, size_t len, const char *host,
			struct sp_registry_credentials *out, const char **why);
void sp_registry_credentials_release(struct sp_registry_credentials *c);

struct sp_dockerrun;
struct sp_doc;

/* Checks every container image of a loaded Dockerrun.aws.json (engine/dockerrun). When it
 * names `authentication` {bucket, key} (v1: Authentication {Bucket, Key}), that object is
 * read from the bucket store under data_dir (engine/bucket) and each image's registry
 * credentials are looked up in it; a missing object is IMAGE_AUTH_MISSING and an unusable
 * one IMAGE_AUTH_INVALID (errors at the authentication key, never quoting the object).
 * `file` names the Dockerrun file in diagnostics; doc, when not NULL, is the parsed file
 * and gives each diagnostic its line and column (JSON paths are always given).
 * strict (the version's sprout:images StrictImageChecks) makes "could not check" an error
 * as options.strict does for every check.
 * Returns what sp_registry_check returns; diagnostics go to d. */
int sp_registry_check_dockerrun(struct sp_registry *r, const struct sp_dockerrun *dr,
				const char *file, const struct sp_doc *doc,
				const char *data_dir, bool strict, struct sp_diags *d);

#endif
