/* api_internal.h — what the API's files share: the server state, the per-request state,
 * the route table and the JSON/error helpers. Not part of the public interface. */
#ifndef SPROUT_API_INTERNAL_H
#define SPROUT_API_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "engine/api/api.h"
#include "engine/api/session.h"
#include "engine/base/sha256.h"
#include "engine/server/server.h"
#include "engine/store/store.h"

/* A fixed pool of store connections shared by the connection threads. */
struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *db_path;
	struct sp_store *free_conns[MAX_DB_CONNECTIONS];
	size_t nfree, nopen;
};

/* Wakes event streams when events were added. */
struct event_bus {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t generation;
	int streams; /* open SSE clients */
};

struct sp_api {
	struct sp_api_config cfg;
	char *data_dir, *db_path, *bundles_dir, *tmp_dir, *token_path;
	struct MHD_Daemon *mhd;
	int lock_fd;               /* <data>/engine.lock, flock'ed while running */
	uint16_t port;
	struct db_pool pool;
	struct event_bus bus;
	struct sp_worker *worker;
	struct sp_deployer *deployer; /* set by sp_api_set_deployer (environments.c) */
	pthread_mutex_t bundle_mu; /* bundle files appear and go under this lock */
	pthread_mutex_t token_mu;
	char token[SP_TOKEN_HEX_LEN + 1];
	struct stat token_stat;
	volatile int stopping;
	char *web_dir;                 /* resolved console folder, or NULL (static.c) */
	struct sp_sessions *sessions;  /* console sign-ins (session.c) */
};

#define MAX_ROUTE_PARAMS 3
#define MAX_REQUEST_ID 64

enum route_flags {
	ROUTE_NO_AUTH = 1,   /* the health probe */
	ROUTE_JSON_BODY = 2, /* reads a JSON body of at most MAX_JSON_BODY */
	ROUTE_UPLOAD = 4,    /* streams the body into a spool file */
	ROUTE_RAW_BODY = 8,  /* reads a body of at most MAX_OBJECT_BODY into rq->body */
};

#define MAX_OBJECT_BODY ((size_t)16 << 20) /* = SP_BUCKET_MAX_OBJECT */

struct request;
typedef enum MHD_Result (*route_fn)(struct sp_api *api, struct request *rq);

struct route {
	const char *method;
	/* "/api/v1/applications/{}/versions": {} is one segment; a final {*} is the rest
	 * of the path (one or more segments) */
	const char *pattern;
	route_fn fn;
	int flags;
};

extern const struct route api_routes[];
extern const size_t api_routes_count;

struct request {
	struct MHD_Connection *conn;
	char id[MAX_REQUEST_ID + 1];
	char method[16];
	char *url;
	const struct route *route;
	char *params[MAX_ROUTE_PARAMS];
	int64_t start_ns;
	unsigned status;
	bool begun;     /* begin_request ran (routing, auth, early checks) */
	bool responded;
	/* JSON body */
	struct sp_buf body;
	bool body_too_big;
	/* upload */
	int spool_fd;
	char *spool_path;
	struct sp_sha256 *hash;
	uint64_t received;
	bool upload_failed;
	int upload_errno;
};

/* Responses (each queues exactly one response on rq->conn and records the status). */
enum MHD_Result api_json(struct request *rq, unsigned status, json_t *body); /* steals body */
enum MHD_Result api_error(struct request *rq, unsigned status, const char *code,
			  const json_t *details, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
enum MHD_Result api_store_error(struct request *rq, struct sp_store *st, int rc,
				const char *what);

/* Versions and events written straight into b (json.c); diagnostics is the stored JSON
 * array text or NULL. The buffer is then sent with api_json_buf (which takes its data). */
int api_put_version(struct sp_buf *b, const struct sp_version *v, const char *diagnostics);
int api_put_event(struct sp_buf *b, const struct sp_event *e);
enum MHD_Result api_json_buf(struct request *rq, unsigned status, struct sp_buf *b);
#define MAX_RESPONSE ((size_t)64 << 20)

/* The store pool. */
struct sp_store *api_db_acquire(struct sp_api *api);
void api_db_release(struct sp_api *api, struct sp_store *st);

void api_log(struct sp_api *api, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void api_events_changed(struct sp_api *api);

/* Query string helpers. */
const char *api_query(struct request *rq, const char *name);
/* ?limit= (1..SP_STORE_MAX_LIST, default SP_API_DEFAULT_PAGE) and ?next_token= (a
 * positive id, 0 when absent). Responds 400 itself and returns false on bad values. */
bool api_page_params(struct request *rq, size_t *limit, int64_t *token, enum MHD_Result *ret);

/* Upload completion (routes.c) and the event stream (sse.c). */
enum MHD_Result api_version_upload_begin(struct sp_api *api, struct request *rq, bool *go_on);
enum MHD_Result api_events_stream(struct sp_api *api, struct request *rq);
enum MHD_Result api_buckets_list(struct sp_api *api, struct request *rq);
enum MHD_Result api_bucket_keys(struct sp_api *api, struct request *rq);
enum MHD_Result api_object_put(struct sp_api *api, struct request *rq);
enum MHD_Result api_object_get(struct sp_api *api, struct request *rq);
enum MHD_Result api_object_delete(struct sp_api *api, struct request *rq);
/* Environments (environments.c). */
enum MHD_Result api_env_create(struct sp_api *api, struct request *rq);
enum MHD_Result api_env_list(struct sp_api *api, struct request *rq);
enum MHD_Result api_env_get(struct sp_api *api, struct request *rq);
enum MHD_Result api_env_update(struct sp_api *api, struct request *rq);
enum MHD_Result api_env_restart(struct sp_api *api, struct request *rq);
enum MHD_Result api_env_abort(struct sp_api *api, struct request *rq);
enum MHD_Result api_env_terminate(struct sp_api *api, struct request *rq);
enum MHD_Result api_env_deployments(struct sp_api *api, struct request *rq);
/* GET .../environments/{env}/logs (logs.c). */
enum MHD_Result api_env_logs(struct sp_api *api, struct request *rq);
int api_event_filter_from_query(struct request *rq, struct sp_event_filter *f,
				const char **bad_param);

/* The admin token as of now (re-read when the file changed); server.c. */
void api_token_current(struct sp_api *api, char out[SP_TOKEN_HEX_LEN + 1]);

/* The console (session.c, static.c, version_taskdef.c; docs/console.md). A request
 * without an Authorization header may authenticate with the session cookie; one that
 * changes anything (not GET/HEAD/OPTIONS) must then also carry the session's CSRF token
 * in X-CSRF-Token. */
enum api_session_auth {
	API_SESSION_NONE,          /* no live session cookie (or a token was sent): 401 */
	API_SESSION_OK,
	API_SESSION_CSRF_REFUSED,  /* a change without the right X-CSRF-Token: 403 */
};
enum api_session_auth api_session_authorize(struct sp_api *api, struct request *rq);
enum MHD_Result api_session_sign_in(struct sp_api *api, struct request *rq);
enum MHD_Result api_session_describe(struct sp_api *api, struct request *rq);
enum MHD_Result api_session_sign_out(struct sp_api *api, struct request *rq);
/* Any path outside /api/: a file of api->web_dir (GET and HEAD). */
enum MHD_Result api_static_serve(struct sp_api *api, struct request *rq);
enum MHD_Result api_version_taskdef(struct sp_api *api, struct request *rq);
/* The hosted git repository of an application (git.c; docs/git.md). */
enum MHD_Result api_git_get(struct sp_api *api, struct request *rq);
enum MHD_Result api_git_enable(struct sp_api *api, struct request *rq);
enum MHD_Result api_git_branch_put(struct sp_api *api, struct request *rq);
enum MHD_Result api_git_branch_delete(struct sp_api *api, struct request *rq);

#endif
