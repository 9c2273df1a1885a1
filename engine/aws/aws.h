/* aws.h — a small AWS API client: credentials, regions, endpoints, SigV4-signed HTTPS over
 * libcurl with retries, and the two wire protocols sprout needs.
 *
 * Facts: ../shared/reference/external-apis.md §§4–5; docs/aws.md is the user's page.
 *
 * Services (enum sp_aws_service), their protocol and API version:
 *   ECS          JSON 1.1, X-Amz-Target AmazonEC2ContainerServiceV20141113.<Op>
 *   EC2          Query (EC2 flavour: lists "Name.N", errors <Response><Errors>), 2016-11-15
 *   ELB          Query, Classic Elastic Load Balancing 2012-06-01 (lists "Name.member.N")
 *   AUTOSCALING  Query, 2011-01-01
 *
 * Configuration (sp_aws_open), first match wins:
 *   credentials  options (access_key_id + secret_access_key [+ session_token]);
 *                AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
 *                the profile's aws_access_key_id / aws_secret_access_key /
 *                aws_session_token in the shared credentials file
 *                (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials, section [NAME]),
 *                then in the config file (AWS_CONFIG_FILE, else ~/.aws/config, section
 *                [profile NAME], or [default]). The profile is options.profile, else
 *                AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
 *   region       options.region; AWS_REGION; AWS_DEFAULT_REGION; the profile's `region`.
 *   endpoint     options.endpoints[service]; options.endpoint (one URL for every service,
 *                as moto's server is); AWS_ENDPOINT_URL_<ECS|EC2|ELASTIC_LOAD_BALANCING|
 *                AUTO_SCALING>; AWS_ENDPOINT_URL; else https://<prefix>.<region>.amazonaws.com
 *                (prefixes ecs, ec2, elasticloadbalancing, autoscaling).
 *
 * Calls: each call is signed (SigV4, sigv4.h) and sent; a transport failure, HTTP 5xx, 429
 * or a throttling error code (Throttling, ThrottlingException, RequestLimitExceeded,
 * TooManyRequestsException, RequestThrottled, ...) is retried up to
 * SP_AWS_MAX_ATTEMPTS attempts in all, with exponential backoff and full jitter from
 * SP_AWS_RETRY_BASE_MS (options.retry_base_ms overrides it) capped at SP_AWS_RETRY_CAP_MS.
 * Answers larger than SP_AWS_MAX_RESPONSE are refused (SP_ETOOBIG).
 *
 * Errors: a call returns 0, SP_ERROR when AWS answered with an error (then
 * sp_aws_last_error() holds the operation, AWS's code, message, HTTP status and request
 * id), SP_EIO when no answer came after the retries, SP_ETOOBIG past a limit,
 * SP_EINVAL for a malformed answer, SP_ENOMEM. sp_aws_error_to_diag() turns the last
 * error into a diagnostic (AWS_* codes in docs/diagnostics.md).
 *
 * Secrets: the secret key and session token are used for signing only; they never appear
 * in an error, a diagnostic, sp_aws_describe() or anything else this module returns.
 *
 * Threads: a struct sp_aws holds one libcurl handle; calls on it must be serialised.
 * No globals (curl_global_init is left to the program's main), no printing.
 */
#ifndef SPROUT_AWS_H
#define SPROUT_AWS_H

#include <jansson.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"

#define SP_AWS_MAX_RESPONSE ((size_t)8 << 20)   /* MAX_AWS_RESPONSE bytes per answer */
#define SP_AWS_MAX_REQUEST ((size_t)1 << 20)    /* MAX_AWS_REQUEST bytes per body */
#define SP_AWS_MAX_CONFIG_FILE ((size_t)1 << 20) /* MAX_AWS_CONFIG_FILE (credentials/config) */
#define SP_AWS_MAX_ATTEMPTS 5                   /* MAX_AWS_ATTEMPTS per call, first included */
#define SP_AWS_RETRY_BASE_MS 100
#define SP_AWS_RETRY_CAP_MS 5000
#define SP_AWS_TIMEOUT_S 60                     /* one HTTP exchange */
#define SP_AWS_MAX_QUERY_PARAMS 4096            /* MAX_AWS_QUERY_PARAMS in one request */
#define SP_AWS_MAX_NAME 256                     /* region, profile, error code, request id */
#define SP_AWS_MAX_MESSAGE 1024                 /* error message kept */

enum sp_aws_service {
	SP_AWS_ECS = 0,
	SP_AWS_EC2,
	SP_AWS_ELB,
	SP_AWS_AUTOSCALING,
	SP_AWS_SERVICE_COUNT
};

struct sp_aws_options {
	const char *region;
	const char *profile;
	const char *endpoint;                          /* every service */
	const char *endpoints[SP_AWS_SERVICE_COUNT];   /* per service, wins over endpoint */
	const char *access_key_id, *secret_access_key, *session_token;
	int max_attempts;    /* 0: SP_AWS_MAX_ATTEMPTS; clamped to 1..SP_AWS_MAX_ATTEMPTS */
	int retry_base_ms;   /* 0: SP_AWS_RETRY_BASE_MS */
	long timeout_s;      /* 0: SP_AWS_TIMEOUT_S */
};

/* Resolved credentials. Freed (and wiped) with sp_aws_credentials_clear. */
struct sp_aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL when none */
	char source[64];     /* "options", "environment", "profile default in <file>" (no secret) */
};

/* Resolves credentials and region per the chain above (without opening a client).
 * region_out (may be NULL) receives the region or "" when none was found.
 * SP_ENOTFOUND when no credentials were found; SP_ETOOBIG for a file past
 * SP_AWS_MAX_CONFIG_FILE; msg explains (never quoting a secret). */
int sp_aws_resolve(const struct sp_aws_options *o, struct sp_aws_credentials *creds,
		   char region_out[SP_AWS_MAX_NAME], struct sp_buf *msg);
void sp_aws_credentials_clear(struct sp_aws_credentials *c);

/* Looks key up in section of an INI file's text (AWS's shared file format: [section],
 * "key = value", '#'/';' comments, surrounding spaces trimmed). 0 and *out (caller frees),
 * SP_ENOTFOUND when absent. */
int sp_aws_ini_get(const char *text, const char *section, const char *key, char **out);

struct sp_aws_error {
	char service[32];                /* "ecs" */
	char operation[64];              /* "RegisterTaskDefinition" */
	long http_status;                /* 0 when no answer */
	char code[SP_AWS_MAX_NAME];      /* AWS's code ("ClientException"), or "" */
	char message[SP_AWS_MAX_MESSAGE];/* AWS's message, or the transport error */
	char request_id[SP_AWS_MAX_NAME];
	int attempts;                    /* attempts made */
	bool throttled;                  /* the last attempt was throttled */
};

struct sp_aws; /* opaque */

/* Opens a client (resolves credentials, region, endpoints; does not connect).
 * SP_ENOTFOUND when there are no credentials or no region (msg says which and how to
 * give them); SP_EINVAL for a bad endpoint URL. */
int sp_aws_open(const struct sp_aws_options *o, struct sp_aws **out, struct sp_buf *msg);
void sp_aws_close(struct sp_aws *a);
const char *sp_aws_region(const struct sp_aws *a);
/* The endpoint URL used for a service (no trailing slash). */
const char *sp_aws_endpoint(const struct sp_aws *a, enum sp_aws_service s);
/* One line for logs: region, endpoints, where the credentials came from, the access key
 * id's first 4 characters. Never a secret. */
int sp_aws_describe(const struct sp_aws *a, struct sp_buf *out);
const struct sp_aws_error *sp_aws_last_error(const struct sp_aws *a);
const char *sp_aws_service_name(enum sp_aws_service s); /* "ecs", "ec2", ... */

/* JSON 1.1 (ECS). req may be NULL ({}); it is borrowed. On success *resp gets the
 * answer's object (caller decrefs). */
int sp_aws_json_call(struct sp_aws *a, enum sp_aws_service s, const char *op,
		     const json_t *req, json_t **resp);

/* Query protocol parameters: ordered (name, value) pairs, encoded into the form body. */
struct sp_aws_params {
	struct sp_buf body;
	size_t n;
	int rc; /* first failure of an add, reported by the call */
};
void sp_aws_params_init(struct sp_aws_params *p);
void sp_aws_params_free(struct sp_aws_params *p);
/* Adds name=value; name is printf-formatted ("Listeners.member.%zu.Protocol"). A failure
 * is remembered and returned by sp_aws_query_call. */
void sp_aws_params_add(struct sp_aws_params *p, const char *value, const char *name_fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sp_aws_params_addi(struct sp_aws_params *p, long long value, const char *name_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Query protocol call (EC2, ELB, Auto Scaling): Action=op&Version=<service version>&params.
 * On success *resp gets the parsed XML answer (xmlFreeDoc); p may be NULL. */
int sp_aws_query_call(struct sp_aws *a, enum sp_aws_service s, const char *op,
		      const struct sp_aws_params *p, xmlDoc **resp);

/* XML helpers over answers (namespaces ignored; names are local names). */
/* The first child element named name, or NULL. */
xmlNode *sp_xml_child(const xmlNode *parent, const char *name);
/* Follows "A/B/C" from node (each step the first child of that name); NULL when absent. */
xmlNode *sp_xml_path(const xmlNode *node, const char *path);
/* Text of the element at path (or of node itself when path is ""), trimmed, appended to
 * out; SP_ENOTFOUND when absent. */
int sp_xml_text(const xmlNode *node, const char *path, struct sp_buf *out);
/* Same, as a new string (caller frees) or NULL when absent / out of memory. */
char *sp_xml_strdup(const xmlNode *node, const char *path);
/* The next element sibling named name after cur (cur NULL: the first child of parent). */
xmlNode *sp_xml_next(const xmlNode *parent, const xmlNode *cur, const char *name);

/* The last error as a diagnostic: code AWS_API_ERROR (AWS answered an error),
 * AWS_AUTH_FAILED (credentials refused), AWS_THROTTLED (still throttled after the retries),
 * AWS_UNREACHABLE (no answer), AWS_BAD_RESPONSE, AWS_RESPONSE_TOO_LARGE; the message names
 * the service, operation, AWS's code and message and the request id. rc is what the call
 * returned. */
int sp_aws_error_to_diag(const struct sp_aws *a, int rc, struct sp_diags *d);
/* true when the last error's AWS code is code (e.g. "LoadBalancerNotFound"). */
bool sp_aws_error_is(const struct sp_aws *a, const char *code);

#endif
