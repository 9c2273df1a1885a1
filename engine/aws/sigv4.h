/* sigv4.h — AWS Signature Version 4 for request headers, exactly as botocore's SigV4Auth.
 *
 * Facts: ../shared/reference/external-apis.md §5.1. The canonical request is built from
 * what goes on the wire:
 *   - the method, upper-cased;
 *   - the path as sent (already percent-encoded), with "." and ".." segments and empty
 *     segments removed, then URI-encoded once more keeping '/' and '~' (non-S3 services
 *     sign the double-encoded path; "" becomes "/");
 *   - the query as sent (without '?'), split on '&', each pair split at its first '=',
 *     sorted by name then value (byte order) and joined again; names and values are taken
 *     as they are, so a caller must send a strictly encoded query (sp_sigv4_uri_encode);
 *   - every header except the hop-by-hop ones botocore never signs (connection, expect,
 *     keep-alive, proxy-authenticate, proxy-authorization, te, trailer,
 *     transfer-encoding, upgrade, user-agent, x-amzn-trace-id); names lower-cased and
 *     sorted, values trimmed with inner whitespace runs collapsed, repeated headers joined
 *     with ',' in the order given. The caller passes Host (and X-Amz-Date,
 *     X-Amz-Security-Token) among the headers;
 *   - the hex SHA-256 of the body, or the value of an X-Amz-Content-SHA256 header.
 *
 * Secrets: the secret key only enters the HMAC; nothing here copies it into an output.
 * No globals, no printing. Outputs are appended to the caller's buffers only on success.
 */
#ifndef SPROUT_AWS_SIGV4_H
#define SPROUT_AWS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "engine/base/buf.h"

#define SP_SIGV4_DATE_LEN 16                 /* "YYYYMMDDTHHMMSSZ" */
#define SP_SIGV4_MAX_HEADERS 64              /* MAX_SIGV4_HEADERS in one request */
#define SP_SIGV4_MAX_QUERY_PAIRS 1024        /* MAX_SIGV4_QUERY_PAIRS */
#define SP_SIGV4_MAX_CANONICAL ((size_t)1 << 20) /* MAX_SIGV4_CANONICAL bytes */

struct sp_http_header {
	const char *name;
	const char *value;
};

struct sp_sigv4_request {
	const char *method;                    /* "GET", "post", ... */
	const char *path;                      /* wire path, percent-encoded; NULL = "/" */
	const char *query;                     /* wire query without '?'; NULL or "" = none */
	const struct sp_http_header *headers;  /* including Host and X-Amz-Date */
	size_t nheaders;
	const void *body;                      /* may be NULL when body_len is 0 */
	size_t body_len;
};

struct sp_sigv4_key {
	const char *access_key_id;
	const char *secret_access_key;
	const char *region;                    /* "us-east-1" */
	const char *service;                   /* signing name: "ecs", "ec2", ... */
};

/* Optional views of the intermediate strings (for tests); any member may be NULL. */
struct sp_sigv4_debug {
	struct sp_buf *canonical_request;
	struct sp_buf *string_to_sign;
};

/* Computes the Authorization header value
 *   AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
 *   SignedHeaders=a;b, Signature=hex
 * for req signed at amz_date ("YYYYMMDDTHHMMSSZ", which must equal the X-Amz-Date header
 * the caller sends) and appends it to authorization.
 * SP_EINVAL for a missing method/key field, a malformed date or a header name with
 * characters outside RFC 7230 tokens; SP_ETOOBIG past the MAX_SIGV4_* limits. */
int sp_sigv4_sign(const struct sp_sigv4_request *req, const struct sp_sigv4_key *key,
		  const char *amz_date, struct sp_buf *authorization,
		  const struct sp_sigv4_debug *debug);

/* Formats t (UTC) as "YYYYMMDDTHHMMSSZ" into out (SP_SIGV4_DATE_LEN + 1 bytes). */
int sp_sigv4_format_date(time_t t, char out[SP_SIGV4_DATE_LEN + 1]);

/* Appends s (n bytes) percent-encoded: RFC 3986 unreserved A-Za-z0-9-_.~ kept, and '/'
 * too when keep_slash; everything else as %XX with upper-case hex (space is %20). */
int sp_sigv4_uri_encode(struct sp_buf *out, const char *s, size_t n, int keep_slash);

#endif
