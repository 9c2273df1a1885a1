/* client.h — the engine's API client (libcurl), used by the `sprout` command line.
 *
 * Everything the CLI says to an engine goes through here: JSON requests under /api/v1
 * with "Authorization: Bearer <token>", the API's error shape turned into a struct the
 * front end can print, a bundle upload streamed from a file with a progress callback,
 * and a Server-Sent Events reader that follows /api/v1/events/stream with reconnection
 * and a caller-chosen stop condition. docs/api.md describes the routes; docs/cli.md the
 * configuration below.
 *
 * Where the engine URL and token come from (first found wins, per value):
 *   1. flags (--endpoint, --token);
 *   2. the environment: SPROUT_ENDPOINT, SPROUT_TOKEN;
 *   3. the user's config file, $XDG_CONFIG_HOME/sprout/config (default
 *      ~/.config/sprout/config): `endpoint` and `token`, either as `key = value` lines
 *      (# comments) or as a YAML mapping (`endpoint: http://...`);
 *   4. the project's .elasticbeanstalk/config.yml, key `sprout.endpoint` (a project
 *      file may be committed, so a token is never read from it);
 *   5. defaults: endpoint http://127.0.0.1:4780; token: the admin token of the local
 *      data directory ($SPROUT_DATA_DIR/admin.token ...) when the endpoint is on this
 *      machine (127.0.0.0/8, localhost, ::1) and the file is readable.
 * An endpoint is "http[s]://host[:port][/prefix]"; a trailing "/" or "/api/v1" is
 * dropped.
 *
 * Errors: functions return 0 or a negative SP_E* code and, when given one, fill a
 * struct sp_client_error: transport failures are SP_EIO (message from libcurl, status
 * 0); HTTP errors map 404 to SP_ENOTFOUND, 409 to SP_EEXISTS, 400/422 to SP_EINVAL,
 * every other non-2xx to SP_ERROR, with the API's {"error": {code, message, details}}
 * copied into the struct (details as diagnostics). A response larger than
 * MAX_CLIENT_RESPONSE is SP_ETOOBIG. Nothing here prints or exits; renderers return
 * strings.
 *
 * Ownership: struct sp_client is opaque (sp_client_new / sp_client_free); it owns one
 * libcurl easy handle for requests and one for the event stream (so a follow
 * callback may make requests), so one client serves one thread. JSON results handed out (*out)
 * belong to the caller (json_decref). curl_global_init is the program's business.
 */
#ifndef SPROUT_CLIENT_H
#define SPROUT_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"

#define SP_CLIENT_DEFAULT_ENDPOINT "http://127.0.0.1:4780"
#define MAX_CLIENT_RESPONSE ((size_t)16 << 20)   /* bytes of one JSON response */
#define MAX_CLIENT_CONFIG ((size_t)64 << 10)     /* bytes of ~/.config/sprout/config */
#define MAX_CLIENT_URL 8192                      /* bytes of one request URL */
#define MAX_CLIENT_TOKEN 1024                    /* bytes of a token */
#define MAX_SSE_EVENT ((size_t)1 << 20)          /* bytes of one SSE event's fields */
#define MAX_SSE_RECONNECTS 10                    /* consecutive failed reconnections */
#define MAX_LIST_PAGES 1000                      /* pages followed by sp_client_list */
#define SP_CLIENT_CONNECT_TIMEOUT_MS 10000L

/* --- configuration ------------------------------------------------------------------ */

enum sp_client_source {
	SP_SRC_DEFAULT = 0,
	SP_SRC_FLAG,
	SP_SRC_ENV,
	SP_SRC_USER_CONFIG,
	SP_SRC_PROJECT,
	SP_SRC_DATA_DIR,
};
const char *sp_client_source_name(enum sp_client_source s); /* "--endpoint", "SPROUT_ENDPOINT", ... */

/* Inputs of the resolution, each NULL when absent. The front end fills it (flags) and
 * calls sp_client_settings_from_env for the rest. Strings are borrowed. */
struct sp_client_settings {
	const char *flag_endpoint, *flag_token;
	const char *env_endpoint, *env_token;   /* SPROUT_ENDPOINT, SPROUT_TOKEN */
	const char *user_config_path;           /* the user's config file (may not exist) */
	const char *project_endpoint;           /* config.yml sprout.endpoint */
	const char *data_dir;                   /* local data dir (for the admin token) */
};

/* Fills env_*, user_config_path and data_dir from the process environment
 * (SPROUT_ENDPOINT, SPROUT_TOKEN, XDG_CONFIG_HOME, HOME, SPROUT_DATA_DIR ...). The
 * strings point into the environment or into *scratch (reset first; keep it alive). */
int sp_client_settings_from_env(struct sp_client_settings *s, struct sp_buf *scratch1,
				struct sp_buf *scratch2);

struct sp_client_config {
	char *endpoint;           /* normalised, never NULL after success */
	char *token;              /* NULL when none was found */
	enum sp_client_source endpoint_from, token_from;
};
void sp_client_config_free(struct sp_client_config *c);

/* Resolves endpoint and token (order above). A user config file that cannot be parsed
 * is CLIENT_CONFIG_INVALID (error, located), unknown keys CLIENT_CONFIG_UNKNOWN_KEY
 * (warning), a token in a file others may read CLIENT_CONFIG_MODE (warning), an
 * endpoint that is not an http(s) URL CLIENT_ENDPOINT_INVALID (error; the location
 * names where it came from). 0, or SP_ERROR with the errors in d, SP_ENOMEM. */
int sp_client_config_resolve(const struct sp_client_settings *s, struct sp_diags *d,
			     struct sp_client_config *out);

/* Normalises an endpoint URL into out ("http://h:1/api/v1/" -> "http://h:1").
 * SP_EINVAL when it is not http(s)://host... */
int sp_client_endpoint_normalize(const char *url, struct sp_buf *out);

/* Parses the user config file's text (either format) into endpoint/token (each NULL
 * when absent; the caller frees them). file names it in diagnostics. */
int sp_client_user_config_parse(const char *text, size_t len, const char *file,
				struct sp_diags *d, char **endpoint, char **token);

/* --- the client --------------------------------------------------------------------- */

struct sp_client;

struct sp_client_options {
	const char *endpoint;      /* normalised endpoint (required) */
	const char *token;         /* may be NULL: requests go without Authorization */
	const char *user_agent;    /* NULL: "sprout/<version>" */
	long timeout_ms;           /* per JSON request; 0: 60 s */
	const char *ca_file;       /* https: extra CA bundle; may be NULL */
};

int sp_client_new(const struct sp_client_options *o, struct sp_client **out);
void sp_client_free(struct sp_client *c);
const char *sp_client_endpoint(const struct sp_client *c);

struct sp_client_error {
	long status;            /* HTTP status, 0 for transport failures */
	char *code;             /* API code ("APP_NOT_FOUND"), or "CLIENT_*" for local ones */
	char *message;          /* never NULL after a failure */
	char *request_id;       /* X-Request-Id of the failed response, may be NULL */
	struct sp_diags details;
};
void sp_client_error_init(struct sp_client_error *e);
void sp_client_error_free(struct sp_client_error *e);
/* "error[APP_NOT_FOUND]: no application named "x" (HTTP 404)" plus the details as
 * compiler-style lines and, for 401 and transport failures, a hint line. */
int sp_client_error_render(const struct sp_client_error *e, const char *endpoint, bool color,
			   struct sp_buf *out);

/* Appends one URL path segment, percent-encoded (application names hold spaces). */
int sp_client_path_segment(struct sp_buf *path, const char *segment);
/* Appends "?k=v&..." pairs (NULL-terminated list of key, value; NULL values skipped),
 * percent-encoded. */
int sp_client_path_query(struct sp_buf *path, const char *const *kv);

/* One JSON request: method, path below /api/v1 ("/applications/x", already encoded),
 * body may be NULL. On 2xx *out gets the parsed response (NULL for an empty body);
 * out may be NULL. request_id, when not NULL, is sent as X-Request-Id. */
int sp_client_request(struct sp_client *c, const char *method, const char *path,
		      const json_t *body, const char *request_id, json_t **out,
		      struct sp_client_error *err);

/* GETs a paged list ({"<key>": [...], "next_token": "..."}) and follows next_token
 * (at most MAX_LIST_PAGES pages, at most max_items items; 0: no item limit). *out gets
 * one array. */
int sp_client_list(struct sp_client *c, const char *path, const char *key, size_t max_items,
		   json_t **out, struct sp_client_error *err);

/* A fresh request id ("sprout-cli-" + 24 hex digits) for X-Request-Id, so a command
 * can follow the events its request causes. */
int sp_client_new_request_id(char out[48]);

/* --- uploads -------------------------------------------------------------------------- */

/* Called by libcurl's progress machinery (several times a second while bytes move, and
 * at least once a second when idle). Return false to abort the upload. */
typedef bool (*sp_client_progress_fn)(void *arg, uint64_t sent, uint64_t total);

/* POSTs the file to path (".../versions?label=...") as application/zip with a
 * Content-Length, streaming it (never held in memory). progress may be NULL. *out as
 * in sp_client_request. An aborted upload is SP_EIO with code CLIENT_ABORTED. */
int sp_client_upload(struct sp_client *c, const char *path, const char *file,
		     const char *request_id, sp_client_progress_fn progress, void *arg,
		     json_t **out, struct sp_client_error *err);

/* A progress bar: "  45% [=========>          ] 1.2 MiB / 2.6 MiB  830 KiB/s  ETA 0:02".
 * The caller keeps the struct between calls; width is the terminal's columns.
 * sp_progress_render returns false (and leaves out empty) when less than
 * SP_PROGRESS_MIN_INTERVAL_MS passed since the last render and the transfer is not
 * finished, so a caller can draw on every callback. Rate is averaged over the whole
 * transfer so far; ETA is "--:--" until a rate is known. */
#define SP_PROGRESS_MIN_INTERVAL_MS 100
struct sp_progress {
	int64_t start_ms, last_ms;
	bool drawn;
};
bool sp_progress_render(struct sp_progress *p, uint64_t done, uint64_t total, int64_t now_ms,
			int width, struct sp_buf *out);
/* "1.5 KiB", "12.0 MiB", "512 B" */
int sp_format_bytes(uint64_t n, struct sp_buf *out);

/* --- events --------------------------------------------------------------------------- */

/* An incremental Server-Sent Events parser (the WHATWG event-stream rules: lines end
 * in LF, CR or CRLF; "field: value" with one optional space; comments start with ':';
 * an empty line dispatches; "data" lines join with LF; "id" without NUL sets the last
 * id; "retry" digits set the reconnection time). An event whose fields pass
 * MAX_SSE_EVENT bytes is SP_ETOOBIG. */
struct sp_sse_event {
	const char *type;   /* "message" when none was given */
	const char *data;
	const char *id;     /* the last event id so far ("" when none) */
};
/* Return 0 to go on, 1 to stop (sp_sse_feed returns 1 then), negative to fail. */
typedef int (*sp_sse_event_fn)(void *arg, const struct sp_sse_event *ev);
struct sp_sse_parser {
	struct sp_buf line, data, type, id;
	bool skip_lf;         /* the last byte was CR: a following LF ends nothing */
	long retry_ms;        /* last "retry" field, 0 when none */
	sp_sse_event_fn on_event;
	void *arg;
};
void sp_sse_init(struct sp_sse_parser *p, sp_sse_event_fn on_event, void *arg);
void sp_sse_free(struct sp_sse_parser *p);
/* 0, 1 (the callback asked to stop), SP_ETOOBIG, or the callback's negative code. */
int sp_sse_feed(struct sp_sse_parser *p, const char *data, size_t n);

/* Following /api/v1/events/stream. Events are JSON objects {id, time, severity,
 * application, environment, version, request_id, message}. */
enum sp_follow_end {
	SP_FOLLOW_DONE = 0,       /* on_event or check said the operation ended */
	SP_FOLLOW_INTERRUPTED,    /* interrupted() said so (Ctrl-C) */
	SP_FOLLOW_TIMEOUT,        /* deadline passed */
};
struct sp_event_follow {
	/* filters (NULL = any); severity "INFO", "WARN", ... (this or higher) */
	const char *application, *environment, *version, *request_id, *severity;
	int64_t since_id;      /* start after this event id; negative: from now on */
	int64_t deadline_ms;   /* CLOCK_MONOTONIC ms (sp_client_mono_ms); 0: none */
	/* Each event in order; return 1 when the operation ended, 0 to go on, <0 to fail. */
	int (*on_event)(void *arg, const json_t *event);
	/* Called before each reconnection (and before the first connection when
	 * check_first) and after each event; return 1 when the operation already ended.
	 * May be NULL. A caller that knows since_id from before its operation started
	 * leaves check_first false: every event of the operation is then replayed. */
	int (*check)(void *arg);
	bool check_first;
	/* Polled about once a second; true stops following (SP_FOLLOW_INTERRUPTED). */
	bool (*interrupted)(void *arg);
	void *arg;
};
/* Follows until on_event/check say done, interrupted() or the deadline. A dropped
 * connection is reopened with Last-Event-ID (no event is lost or repeated) after the
 * server's retry time (capped at 5 s); after MAX_SSE_RECONNECTS failures in a row it
 * gives up with the last error (SP_EIO). HTTP errors (401, 400) are not retried. */
int sp_client_events_follow(struct sp_client *c, const struct sp_event_follow *f,
			    enum sp_follow_end *end, struct sp_client_error *err);

/* The id of the newest event the engine has (0 when none): a command takes it before
 * its request, then follows with since_id = it, so no event of its own is missed. */
int sp_client_events_newest_id(struct sp_client *c, int64_t *out, struct sp_client_error *err);

/* One event as a text line "2026-11-21 23:24:51    INFO    message" (no newline),
 * the severity coloured when color is true; environment or version shown in brackets
 * when show_scope is true. */
int sp_event_render(const json_t *event, bool color, bool show_scope, struct sp_buf *out);

int64_t sp_client_mono_ms(void);

#endif
