/* api.h — the engine's HTTP API (libmicrohttpd) under /api/v1, and the admin token.
 *
 * sp_api_start prepares the data directory (sprout.db migrated, bundles/, tmp/,
 * admin.token), sweeps what a crash may have left (spool files, bundle files no version
 * knows), starts the processing worker (engine/server) and the HTTP daemon, and returns.
 * The caller (the `sprout serve` front end) waits for a signal and calls sp_api_stop,
 * which stops accepting, ends event streams, lets requests in flight finish, lets the
 * worker finish the version in hand and closes the store. A request interrupted by the
 * stop leaves nothing behind: uploads are spooled under tmp/ and only renamed into
 * bundles/ when complete; a version whose processing was cut short stays PROCESSING and
 * is processed at the next start.
 *
 * Every endpoint and its JSON is described in docs/api.md. Errors are
 * {"error": {"code", "message", "details": [diagnostics]}} with the HTTP status that
 * fits; codes are listed in docs/diagnostics.md ("API" section). Every response carries
 * X-Request-Id; events caused by a request keep it.
 *
 * The server state is the struct sp_api; nothing here is global. The library never
 * prints: log lines go to cfg->log.
 */
#ifndef SPROUT_API_H
#define SPROUT_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/buf.h"

#define SP_API_DEFAULT_LISTEN "127.0.0.1:4780"
#define MAX_BUNDLE_UPLOAD ((uint64_t)512 << 20)  /* 512 MiB, EB's source bundle limit */
#define MAX_JSON_BODY ((size_t)1 << 20)          /* JSON request bodies */
#define MAX_API_CONNECTIONS 256                  /* concurrent HTTP connections */
#define MAX_EVENT_STREAMS 64                     /* concurrent SSE clients */
#define MAX_DB_CONNECTIONS 32                    /* pooled SQLite connections */
#define SP_API_DEFAULT_PAGE 100                  /* list page size unless ?limit= */

#define SP_TOKEN_HEX_LEN 64                      /* admin token: 32 random bytes, hex */

struct sp_api_config {
	const char *data_dir; /* must be set (see sp_data_dir_resolve in store.h) */
	const char *listen;   /* "ADDR:PORT" or "[V6ADDR]:PORT"; NULL: SP_API_DEFAULT_LISTEN */
	bool access_log;      /* one log line per request */
	bool image_checks;    /* version processing asks registries about each image */
	void (*log)(void *arg, const char *line); /* may be NULL */
	void *log_arg;
	/* The web console's folder (index.html, js/, css/), served at / (static.c);
	 * NULL: no console, only the API. See sp_web_dir_resolve. */
	const char *web_dir;
};

struct sp_api; /* opaque server state */

/* 0, SP_EINVAL (bad listen address), SP_EIO (data dir, store or socket failed; a log
 * line says why), SP_ENOMEM. */
int sp_api_start(const struct sp_api_config *cfg, struct sp_api **out);
/* The port actually bound (useful with port 0). */
uint16_t sp_api_port(const struct sp_api *api);
void sp_api_stop(struct sp_api *api);

/* The admin token of data_dir (admin.token, mode 0600), created (with the folder) when
 * missing. out gets SP_TOKEN_HEX_LEN hex digits and a NUL. 0, SP_EIO, SP_EINVAL (the
 * file exists but does not hold a token). */
int sp_admin_token_ensure(const char *data_dir, char out[SP_TOKEN_HEX_LEN + 1]);
/* Replaces the token with a new random one (temp file + rename, so a running engine
 * sees either the old or the new one, never half of it); a running engine picks it up
 * at its next request. */
int sp_admin_token_rotate(const char *data_dir, char out[SP_TOKEN_HEX_LEN + 1]);
/* Constant-time comparison of a presented token with the expected one (length too). */
bool sp_token_equal(const char *presented, size_t presented_len, const char *expected);

/* The deployment engine (engine/deploy) that environment requests queue work for; until
 * it is set, environment changes answer 503 ENV_ENGINE_STARTING. `sprout serve` starts it
 * after sp_api_start and stops it after sp_api_stop. */
struct sp_deployer;
void sp_api_set_deployer(struct sp_api *api, struct sp_deployer *d);
/* Wakes event streams (events were added by another thread). Thread-safe. */
void sp_api_events_changed(struct sp_api *api);

/* Splits "ADDR:PORT" / "[ADDR]:PORT"; addr gets the address without brackets. */
int sp_listen_parse(const char *s, struct sp_buf *addr, uint16_t *port);

/* Finds the console's folder (one holding index.html) and puts its resolved path in out:
 * `opt` when given (--web-dir; SP_ENOTFOUND when it holds no index.html), else next to
 * the binary exe_path (may be NULL): <exe dir>/../share/sprout/web (after make install),
 * then <exe dir>/../web (build/sprout in the source tree), then the compiled-in
 * $(PREFIX)/share/sprout/web. 0 or SP_ENOTFOUND. (static.c) */
int sp_web_dir_resolve(const char *opt, const char *exe_path, struct sp_buf *out);

#endif
