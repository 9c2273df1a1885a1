/* store.h — the engine's state in SQLite: applications, bundles, application versions,
 * environments (minimal, see below) and events.
 *
 * One struct sp_store is one SQLite connection. It is NOT shared between threads: a
 * threaded front end opens one per thread (or keeps a pool) on the same file. Every
 * connection runs in WAL mode with foreign keys on and a busy timeout
 * (SP_STORE_BUSY_TIMEOUT_MS), so readers never block the writer and writers queue.
 *
 * Schema migrations: the database's `PRAGMA user_version` is the number of migrations
 * applied; sp_store_open applies the missing ones, each in its own transaction, so an
 * empty file becomes the current schema and an older one is upgraded in place. A
 * database newer than this build (user_version > SP_STORE_SCHEMA_VERSION) is refused
 * with SP_EINVAL rather than written to.
 *
 * Every change that touches more than one row (a version and its bundle and its event, a
 * delete and its event, a lifecycle run) is one transaction (BEGIN IMMEDIATE): a crash
 * leaves all of it or none of it.
 *
 * Times are milliseconds since the Unix epoch (UTC). Strings returned in structs are owned
 * by the struct and released by the matching *_free / *_list_free function; outputs are
 * written only on success.
 *
 * Errors: 0, SP_ENOTFOUND (no such application/version), SP_EEXISTS (name or label taken),
 * SP_EINUSE (refused: still referenced — environments exist, version deployed),
 * SP_EINVAL (bad argument), SP_ENOMEM, SP_EIO (SQLite failed; sp_store_errmsg says why).
 */
#ifndef SPROUT_STORE_H
#define SPROUT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/buf.h"

/* Store-specific error code: the row is still referenced and the change is refused. */
#define SP_EINUSE (-20)

#define SP_STORE_SCHEMA_VERSION 5
#define SP_STORE_BUSY_TIMEOUT_MS 10000
#define SP_STORE_MAX_LIST 1000       /* MAX_LIST: rows one list call returns */
#define SP_STORE_LIFECYCLE_MAX_DELETE 100 /* versions one lifecycle run deletes (as EB) */

struct sp_store; /* opaque: one SQLite connection */

/* Opens (creating when missing) the database at path and migrates it to the current
 * schema. */
int sp_store_open(const char *path, struct sp_store **out);
/* Opens without migrating beyond `target` (tests build older databases with it). */
int sp_store_open_at(const char *path, int target_version, struct sp_store **out);
void sp_store_close(struct sp_store *s);
/* The last SQLite error message of this connection (never NULL). */
const char *sp_store_errmsg(const struct sp_store *s);
int sp_store_schema_version(struct sp_store *s, int *out);
/* PRAGMA integrity_check and foreign_key_check; 0 when both are clean, SP_ERROR with the
 * first problem in msg otherwise. */
int sp_store_check(struct sp_store *s, struct sp_buf *msg);

/* Resolves the data directory: `override` when not NULL, else $SPROUT_DATA_DIR, else
 * /var/lib/sprout for root, else $XDG_DATA_HOME/sprout, else $HOME/.local/share/sprout. */
int sp_data_dir_resolve(const char *override, struct sp_buf *out);

int64_t sp_now_ms(void);
/* "2026-11-21T23:24:51.123Z" into buf (at least 32 bytes). */
void sp_time_iso8601(int64_t ms, char buf[32]);
/* Parses ISO-8601 UTC ("2026-11-21T23:24:51Z", optional .fff, optional Z) or a plain
 * number of milliseconds. 0 or SP_EINVAL. */
int sp_time_parse(const char *s, int64_t *out_ms);

/* --- names ---------------------------------------------------------------------- */

#define SP_MAX_APP_NAME 100      /* ApplicationName 1..100 */
#define SP_MAX_LABEL 100         /* VersionLabel 1..100 */
#define SP_MAX_DESCRIPTION 200   /* Description <= 200 */

/* Application names and version labels: 1..max characters (UTF-8 code points), valid
 * UTF-8, no control characters, no '/' or '\\' (they name folders and URL segments),
 * not "." or "..", no leading or trailing space. Returns NULL when valid, else a
 * message saying what is wrong (static string). */
const char *sp_name_problem(const char *s, size_t max_chars);
/* Descriptions: valid UTF-8, at most SP_MAX_DESCRIPTION code points. */
const char *sp_description_problem(const char *s);

/* --- applications --------------------------------------------------------------- */

struct sp_lifecycle {
	bool max_count_enabled;
	int64_t max_count;        /* 1..1000, default 200 */
	bool max_age_enabled;
	int64_t max_age_days;     /* 1..3650, default 180 */
};
#define SP_LIFECYCLE_DEFAULT ((struct sp_lifecycle){ false, 200, false, 180 })
#define SP_LIFECYCLE_MAX_COUNT 1000
#define SP_LIFECYCLE_MAX_AGE_DAYS 3650

struct sp_app {
	int64_t id;
	char *name;
	char *description;
	int64_t created_ms, updated_ms;
	struct sp_lifecycle lifecycle;
	int64_t environments; /* live environments of the app (describe only; 0 in lists) */
};

void sp_app_free(struct sp_app *a);
void sp_app_list_free(struct sp_app *a, size_t n);

/* Creates an application and its "created" event (request_id may be NULL). lc may be
 * NULL for SP_LIFECYCLE_DEFAULT. SP_EEXISTS when the name is taken. */
int sp_store_app_create(struct sp_store *s, const char *name, const char *description,
			const struct sp_lifecycle *lc, const char *request_id, struct sp_app *out);
int sp_store_app_get(struct sp_store *s, const char *name, struct sp_app *out);
/* Applications with id > after_id, by id, at most limit (<= SP_STORE_MAX_LIST). */
int sp_store_app_list(struct sp_store *s, int64_t after_id, size_t limit,
		      struct sp_app **out, size_t *n);
/* Updates description (when not NULL) and lifecycle (when not NULL). */
int sp_store_app_update(struct sp_store *s, const char *name, const char *description,
			const struct sp_lifecycle *lc, const char *request_id,
			struct sp_app *out);
/* Deletes the application and its versions; SP_EINUSE while environments exist. The
 * bundles no longer referenced by any version are removed from the table and their
 * SHA-256 returned in *orphans (caller unlinks the files; free with sp_strv_free). */
int sp_store_app_delete(struct sp_store *s, const char *name, const char *request_id,
			char ***orphans, size_t *n_orphans);

void sp_strv_free(char **v, size_t n);

/* --- environments (the minimum the version rules need; the next issue owns them) -- */

/* Adds an environment row (status "Ready") deploying `label` of app (label may be NULL).
 * Used by tests until environments have their own module. */
int sp_store_env_create(struct sp_store *s, const char *app, const char *env_name,
			const char *label);

/* --- bundles and application versions ------------------------------------------- */

enum sp_version_status {
	SP_VERSION_UNPROCESSED = 0,
	SP_VERSION_PROCESSING,
	SP_VERSION_BUILDING,
	SP_VERSION_PROCESSED,
	SP_VERSION_FAILED,
};
const char *sp_version_status_name(enum sp_version_status st); /* "PROCESSED", ... */

struct sp_version {
	int64_t id;
	char *application;
	char *label;
	char *description;
	char *bundle_sha256;
	int64_t bundle_size;
	enum sp_version_status status;
	char *diagnostics;       /* JSON array text; NULL unless asked for */
	int64_t errors, warnings;
	char *request_id;        /* the request that created it; may be NULL */
	int64_t created_ms, updated_ms;
	bool deployed;           /* a live environment runs it */
	char *source;            /* SP_VERSION_SOURCE_*: upload, cli, console, git */
};

void sp_version_free(struct sp_version *v);
void sp_version_list_free(struct sp_version *v, size_t n);

/* One transaction: records the bundle (once per SHA-256), the version with status
 * PROCESSING and an INFO event. The bundle file must already be in place.
 * SP_ENOTFOUND (no app), SP_EEXISTS (label taken in this app). */
int sp_store_version_create(struct sp_store *s, const char *app, const char *label,
			    const char *description, const char *sha256, int64_t size,
			    const char *request_id, struct sp_version *out);
/* Where a version came from (versions.source, migration 4): an upload through the API
 * (CLI, console) or a push to the hosted git repository (docs/git.md). */
#define SP_VERSION_SOURCE_UPLOAD "upload"
#define SP_VERSION_SOURCE_GIT "git"
#define SP_VERSION_SOURCE_CLI "cli"
#define SP_VERSION_SOURCE_CONSOLE "console"
/* NULL when source is one of the two, else what is wrong (static string). */
const char *sp_version_source_problem(const char *source);
/* sp_store_version_create with the source recorded (SP_EINVAL for another source). */
int sp_store_version_create_from(struct sp_store *s, const char *app, const char *label,
				 const char *description, const char *sha256, int64_t size,
				 const char *source, const char *request_id,
				 struct sp_version *out);
int sp_store_version_get(struct sp_store *s, const char *app, const char *label,
			 bool with_diagnostics, struct sp_version *out);
/* Versions of app newest first with id < before_id (0: from the newest). */
int sp_store_version_list(struct sp_store *s, const char *app, int64_t before_id,
			  size_t limit, struct sp_version **out, size_t *n);
/* The same rows lent to fn one at a time (no copies: the struct and its strings are valid
 * only during the call; diagnostics is NULL). fn returns 0 to go on; anything else stops
 * the walk and is returned. */
typedef int (*sp_version_fn)(void *arg, const struct sp_version *v);
int sp_store_version_each(struct sp_store *s, const char *app, int64_t before_id,
			  size_t limit, sp_version_fn fn, void *arg);
/* Deletes a version and its event; SP_EINUSE while deployed. *orphan_sha gets the
 * bundle's SHA-256 when no other version uses it (its row is gone; caller unlinks the
 * file), else NULL. */
int sp_store_version_delete(struct sp_store *s, const char *app, const char *label,
			    const char *request_id, char **orphan_sha);
/* The oldest version in PROCESSING with id > after_id (the worker's queue, which is the
 * table itself: a crash loses nothing). SP_ENOTFOUND when none. */
int sp_store_version_next_processing(struct sp_store *s, int64_t after_id,
				     struct sp_version *out);
/* One transaction: status PROCESSED or FAILED, the diagnostics (JSON array text), counts
 * and an event with the EB message "Finished processing application version <label>
 * <STATUS>." — only when the version is still PROCESSING (SP_ENOTFOUND otherwise). */
int sp_store_version_finish(struct sp_store *s, int64_t id, enum sp_version_status st,
			    const char *diagnostics_json, int64_t errors, int64_t warnings);
/* The lifecycle rules of app: deletes (at most SP_STORE_LIFECYCLE_MAX_DELETE) undeployed,
 * not-PROCESSING versions beyond max_count (newest kept; keep_id never counts nor goes)
 * and older than max_age_days; one transaction with an event per deletion. Orphaned
 * bundle SHA-256s are returned as in sp_store_app_delete; *deleted counts versions. */
int sp_store_lifecycle_apply(struct sp_store *s, const char *app, int64_t keep_id,
			     int64_t now_ms, const char *request_id, size_t *deleted,
			     char ***orphans, size_t *n_orphans);
/* Whether the bundles table knows sha256 (for sweeping stray files). */
int sp_store_bundle_known(struct sp_store *s, const char *sha256, bool *known);

/* --- events ------------------------------------------------------------------------ */

enum sp_event_severity {
	SP_EVENT_TRACE = 0,
	SP_EVENT_DEBUG,
	SP_EVENT_INFO,
	SP_EVENT_WARN,
	SP_EVENT_ERROR,
	SP_EVENT_FATAL,
};
const char *sp_event_severity_name(enum sp_event_severity s); /* "INFO", ... */
/* "warn" / "WARN" -> SP_EVENT_WARN; 0 or SP_EINVAL. */
int sp_event_severity_parse(const char *s, enum sp_event_severity *out);

#define SP_MAX_EVENT_MESSAGE 4096

struct sp_event {
	int64_t id;
	int64_t time_ms;
	enum sp_event_severity severity;
	char *application, *environment, *version, *request_id; /* each may be NULL */
	char *message;
};
void sp_event_list_free(struct sp_event *e, size_t n);

/* Adds an event now (inside the caller's transaction, if one is open). Message longer
 * than SP_MAX_EVENT_MESSAGE is cut. */
int sp_store_event_add(struct sp_store *s, enum sp_event_severity sev, const char *app,
		       const char *env, const char *version, const char *request_id,
		       const char *message);

struct sp_event_filter {
	const char *application, *environment, *version, *request_id; /* NULL = any */
	enum sp_event_severity min_severity;  /* this or higher */
	int64_t start_ms;  /* inclusive; 0 = none */
	int64_t end_ms;    /* exclusive; 0 = none */
	int64_t before_id; /* newest-first pages: id < before_id; 0 = none */
	bool oldest_first; /* streams: id > after_id, oldest first */
	int64_t after_id;  /* with oldest_first */
};
/* Newest first (or oldest first with filter->oldest_first, for streaming). */
int sp_store_events_list(struct sp_store *s, const struct sp_event_filter *f, size_t limit,
			 struct sp_event **out, size_t *n);
/* The same rows lent to fn one at a time (valid only during the call), as
 * sp_store_version_each. */
typedef int (*sp_event_fn)(void *arg, const struct sp_event *e);
int sp_store_events_each(struct sp_store *s, const struct sp_event_filter *f, size_t limit,
			 sp_event_fn fn, void *arg);
/* The id of the newest event (0 when none). */
int sp_store_events_last_id(struct sp_store *s, int64_t *out);

#endif
