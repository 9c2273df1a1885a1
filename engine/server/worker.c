/* worker.c — the background thread that turns PROCESSING versions into PROCESSED or
 * FAILED. The queue is the versions table (see server.h), so this file keeps only a
 * wake-up counter in memory. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/registry/registry.h"
#include "engine/server/server.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

struct sp_worker {
	struct sp_worker_config cfg;
	char *db_path, *bundles_dir, *scratch_dir, *data_dir;
	struct sp_registry *registry; /* image checks; kept for its caches */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned long generation; /* bumped by sp_worker_wake */
	bool stop;
};

#define WORKER_IDLE_POLL_S 30 /* rescan now and then even without a wake-up */
#define WORKER_ERROR_BACKOFF_S 1

static void wlog(struct sp_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wlog(struct sp_worker *w, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (!w->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->cfg.log(w->cfg.arg, line);
}

/* Waits until woken (generation moves past seen), stopped or timeout_s passed. */
static bool wait_for_work(struct sp_worker *w, unsigned long seen, int timeout_s)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_s;
	pthread_mutex_lock(&w->mu);
	while (!w->stop && w->generation == seen)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
			break;
	bool stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return !stop;
}

static unsigned long current_generation(struct sp_worker *w, bool *stop)
{
	pthread_mutex_lock(&w->mu);
	unsigned long g = w->generation;
	*stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return g;
}

static void process_one(struct sp_worker *w, struct sp_store *st, const struct sp_version *v)
{
	struct sp_diags d;
	struct sp_buf path = SP_BUF_INIT(8192);
	char *json_text = NULL;
	json_t *arr = NULL;
	sp_diags_init(&d);
	char display[SP_MAX_LABEL * 4 + 8];
	int rc = sp_buf_printf(&path, "%s/%s.zip", w->bundles_dir, v->bundle_sha256);
	snprintf(display, sizeof(display), "%s.zip", v->label);
	struct sp_version_checks checks = { w->data_dir, w->registry };
	if (rc == 0)
		rc = sp_version_check_bundle(sp_buf_cstr(&path), display, &checks, &d);
	if (rc != 0 && sp_diags_errors(&d) == 0)
		sp_diag_add(&d, SP_SEV_ERROR, "VERSION_PROCESSING_FAILED",
			    (struct sp_loc){ NULL, 0, 0, "" }, "upload the bundle again",
			    "the bundle could not be processed: %s", sp_strerror(rc));
	sp_diags_sort(&d);
	enum sp_version_status status =
		sp_diags_errors(&d) > 0 ? SP_VERSION_FAILED : SP_VERSION_PROCESSED;
	arr = sp_diags_to_json(&d);
	json_text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	rc = sp_store_version_finish(st, v->id, status, json_text ? json_text : "[]",
				     (int64_t)sp_diags_errors(&d), (int64_t)sp_diags_warnings(&d));
	if (rc == SP_ENOTFOUND)
		wlog(w, "version %s/%s was deleted while processing", v->application, v->label);
	else if (rc)
		wlog(w, "cannot record the result of %s/%s: %s", v->application, v->label,
		     sp_store_errmsg(st));
	else
		wlog(w, "processed %s/%s: %s (%zu errors, %zu warnings)", v->application,
		     v->label, sp_version_status_name(status), sp_diags_errors(&d),
		     sp_diags_warnings(&d));
	if (w->cfg.on_change)
		w->cfg.on_change(w->cfg.arg);
	free(json_text);
	json_decref(arr);
	sp_buf_free(&path);
	sp_diags_free(&d);
}

static void *worker_main(void *arg)
{
	struct sp_worker *w = arg;
	struct sp_store *st = NULL;
	int64_t cursor = 0;
	bool stop = false;
	while (!st) {
		if (sp_store_open(w->db_path, &st) == 0)
			break;
		wlog(w, "worker cannot open %s; retrying", w->db_path);
		if (!wait_for_work(w, current_generation(w, &stop), WORKER_ERROR_BACKOFF_S))
			return NULL;
	}
	for (;;) {
		unsigned long gen = current_generation(w, &stop);
		if (stop)
			break;
		struct sp_version v;
		int rc = sp_store_version_next_processing(st, cursor, &v);
		if (rc == 0) {
			process_one(w, st, &v);
			cursor = v.id;
			sp_version_free(&v);
			continue;
		}
		if (rc != SP_ENOTFOUND) {
			wlog(w, "worker cannot read the queue: %s", sp_store_errmsg(st));
			if (!wait_for_work(w, gen, WORKER_ERROR_BACKOFF_S))
				break;
		} else if (!wait_for_work(w, gen, WORKER_IDLE_POLL_S)) {
			break;
		}
		cursor = 0; /* rescan from the oldest: new work or a retry */
	}
	sp_store_close(st);
	return NULL;
}

int sp_worker_start(const struct sp_worker_config *cfg, struct sp_worker **out)
{
	struct sp_worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	if (!w)
		return SP_ENOMEM;
	w->cfg = *cfg;
	w->db_path = sp_strdup(cfg->db_path);
	w->bundles_dir = sp_strdup(cfg->bundles_dir);
	w->scratch_dir = sp_strdup(cfg->scratch_dir);
	w->data_dir = sp_strdup(cfg->data_dir ? cfg->data_dir : "");
	if (!w->db_path || !w->bundles_dir || !w->scratch_dir || !w->data_dir)
		goto fail;
	if (cfg->image_checks) {
		struct sp_registry_options ro = { 0 };
		if (sp_registry_new(&ro, &w->registry) != 0)
			goto fail;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	sp_registry_free(w->registry);
	free(w->db_path);
	free(w->bundles_dir);
	free(w->scratch_dir);
	free(w->data_dir);
	free(w);
	return SP_ENOMEM;
}

void sp_worker_wake(struct sp_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->generation++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void sp_worker_stop(struct sp_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	sp_registry_free(w->registry);
	free(w->db_path);
	free(w->bundles_dir);
	free(w->scratch_dir);
	free(w->data_dir);
	free(w);
}
