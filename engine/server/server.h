/* server.h — background processing of application versions.
 *
 * The queue is the versions table itself: every version in status PROCESSING is work to
 * do. A worker thread takes them oldest first, runs the validation pipeline over the
 * stored bundle (bundles/<sha256>.zip) and records PROCESSED or FAILED with the full
 * diagnostics in one transaction (sp_store_version_finish). Because nothing about the
 * queue lives only in memory, a crash or a SIGKILL loses nothing: at the next start the
 * worker finds the interrupted versions still in PROCESSING and processes them again.
 *
 * The worker has its own store connection. It never prints: it reports through the log
 * callback, and calls on_change after each version it finishes (so event streams wake).
 */
#ifndef SPROUT_SERVER_H
#define SPROUT_SERVER_H

#include <stdbool.h>

#include "engine/base/diag.h"

struct sp_registry;

struct sp_worker_config {
	const char *data_dir;     /* the engine's data dir (bucket store for image credentials) */
	bool image_checks;        /* ask registries whether each image exists */
	const char *db_path;      /* sprout.db */
	const char *bundles_dir;  /* <data>/bundles */
	const char *scratch_dir;  /* <data>/tmp: where processing may extract */
	void (*log)(void *arg, const char *line);
	void (*on_change)(void *arg);
	void *arg;
};

struct sp_worker; /* opaque */

/* Starts the worker thread (which first picks up every version left in PROCESSING). */
int sp_worker_start(const struct sp_worker_config *cfg, struct sp_worker **out);
/* Tells the worker new work may be waiting. Thread-safe. */
void sp_worker_wake(struct sp_worker *w);
/* Asks the worker to stop, lets it finish the version in hand and joins it. A version
 * abandoned mid-way stays PROCESSING and is processed again at the next start. */
void sp_worker_stop(struct sp_worker *w);

/* What processing may use besides the bundle. */
struct sp_version_checks {
	const char *data_dir;          /* bucket store for Dockerrun `authentication` */
	struct sp_registry *registry;  /* image checks (engine/registry); NULL skips them */
};

/* The processing pipeline for one stored bundle: every check a version must pass —
 * engine/validate's (bundle, Dockerrun, .ebextensions, plan) and, when they found no
 * error and c->registry is set, the image checks (a registry that cannot be reached is a
 * warning, as in `sprout validate --check-images`) — all problems collected in d.
 * Returns 0 when the checks ran (the verdict is sp_diags_errors(d) == 0), a negative
 * code when they could not run at all. Diagnostics about the bundle file itself, and its
 * entries, name it display_name ("v1.zip", "v1.zip/Dockerrun.aws.json"): the stored
 * file's name, a SHA-256, means nothing to users. */
int sp_version_check_bundle(const char *bundle_path, const char *display_name,
			    const struct sp_version_checks *c, struct sp_diags *d);

#endif
