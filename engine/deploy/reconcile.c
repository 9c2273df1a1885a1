/* reconcile.c — the reconciler: keeps one running task per instance of every Ready
 * environment, rebuilds after engine and Docker restarts, removes orphans (deploy.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/base/sha256.h"
#include "engine/deploy/deploy_internal.h"
#include "engine/docker/docker.h"
#include "engine/base/banned.h"

static struct backoff *backoff_of(struct sp_deployer *d, const char *env)
{
	for (size_t i = 0; i < d->n_backoff; i++)
		if (!strcmp(d->backoff[i].env, env))
			return &d->backoff[i];
	if (d->n_backoff == MAX_BACKOFF_ENVS)
		return NULL;
	struct backoff *b = &d->backoff[d->n_backoff++];
	memset(b, 0, sizeof(*b));
	snprintf(b->env, sizeof(b->env), "%s", env);
	b->delay_ms = SP_RECONCILE_BACKOFF_MIN_MS;
	return b;
}

/* What apply() must fix in an observation: instances without a running or starting
 * task, or a count that differs from the plan's. Writes a short reason. */
static bool needs_apply(const json_t *obs, int want, char *why, size_t whysz)
{
	size_t i, n = 0;
	json_t *inst;
	why[0] = '\0';
	json_array_foreach(json_object_get(obs, "instances"), i, inst) {
		if (json_is_true(json_object_get(inst, "leaving")))
			continue;
		n++;
		const json_t *task = json_object_get(inst, "task");
		const char *state = json_string_value(json_object_get(task, "state"));
		if (!json_is_object(task) || (state && !strcmp(state, "STOPPED"))) {
			const char *reason = json_string_value(json_object_get(task, "stoppedReason"));
			snprintf(why, whysz, "instance %s: %s",
				 json_string_value(json_object_get(inst, "id")),
				 reason ? reason : "no task is running");
			return true;
		}
	}
	if (want > 0 && n != (size_t)want) {
		snprintf(why, whysz, "%zu instance(s) where %d are wanted", n, want);
		return true;
	}
	return false;
}

static void reconcile_env(struct sp_deployer *d, struct sp_store *st, struct sp_env *e,
			  bool first_round)
{
	struct sp_buf msg = SP_BUF_INIT(2048);
	struct sink s = { st, e->application, e->version, NULL };
	json_t *obs = NULL, *plan = NULL;
	char why[600] = "";
	struct sp_driver *drv = deploy_driver_for(d, e, &msg);
	if (!drv || !e->spec_plan || !e->spec_taskdef)
		goto out;
	struct backoff *b = backoff_of(d, e->name);
	int rc = deploy_observe(d, &s, drv, e->name, &obs);
	bool need = first_round;
	if (rc == SP_ENOTFOUND) {
		need = true;
		snprintf(why, sizeof(why), "the driver holds no state for the environment");
	} else if (rc) {
		goto out; /* Docker down or busy: the next round tries again */
	} else {
		char *health = NULL;
		(void)deploy_record(d, st, e, obs, &health);
		plan = json_loads(e->spec_plan, 0, NULL);
		int want = (int)json_integer_value(json_object_get(plan, "instances"));
		if (needs_apply(obs, want, why, sizeof(why)))
			need = true;
		if (b && health && !strcmp(health, "Green") && !need) {
			b->delay_ms = SP_RECONCILE_BACKOFF_MIN_MS;
			b->attempts = 0;
		}
		free(health);
	}
	if (!need || (b && !first_round && sp_now_ms() < b->next_ms))
		goto out;
	if (b) {
		b->attempts++;
		if (!first_round && why[0]) {
			char m[900];
			snprintf(m, sizeof(m), "Replacing what stopped (%s); attempt %d, next retry"
					       " in %lld s if it fails again.", why, b->attempts,
				 (long long)(b->delay_ms / 1000));
			sp_store_event_add(st, SP_EVENT_WARN, e->application, e->name, e->version,
					   NULL, m);
			deploy_changed(d);
		}
		b->next_ms = sp_now_ms() + b->delay_ms;
		b->delay_ms = b->delay_ms * 2 > SP_RECONCILE_BACKOFF_MAX_MS
				      ? SP_RECONCILE_BACKOFF_MAX_MS : b->delay_ms * 2;
	}
	struct sp_diags dg;
	sp_diags_init(&dg);
	struct sp_driver_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.environment = e->name;
	spec.version_label = e->version;
	spec.task_definition = e->spec_taskdef;
	spec.plan = e->spec_plan;
	if (e->version) {
		char *dir = sp_aprintf("%s/%s/%s", d->versions_dir, e->application, e->version);
		spec.source_dir = dir;
		rc = deploy_apply(d, &s, drv, &spec, NULL, &dg);
		free(dir);
	} else {
		rc = deploy_apply(d, &s, drv, &spec, NULL, &dg);
	}
	if (rc && !first_round) {
		struct sp_buf t = SP_BUF_INIT(4096);
		for (size_t i = 0; i < dg.n && i < 5; i++)
			sp_buf_printf(&t, "%s%s", i ? "; " : "", dg.items[i].message);
		char m[SP_MAX_EVENT_MESSAGE];
		snprintf(m, sizeof(m), "The reconciler could not restore the environment: %s",
			 sp_buf_cstr(&t));
		sp_store_event_add(st, SP_EVENT_ERROR, e->application, e->name, e->version, NULL, m);
		deploy_changed(d);
		sp_buf_free(&t);
	} else if (rc) {
		deploy_log(d, "reconcile: %s could not be restored at start (%s)", e->name,
			   dg.n ? dg.items[0].message : sp_strerror(rc));
	}
	sp_diags_free(&dg);
	json_decref(obs);
	obs = NULL;
	if (deploy_observe(d, &s, drv, e->name, &obs) == 0)
		(void)deploy_record(d, st, e, obs, NULL);
out:
	json_decref(obs);
	json_decref(plan);
	sp_buf_free(&msg);
}

static bool known(const struct sp_env *v, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

/* Driver state, containers and networks with this engine's labels whose environment
 * the store does not know: destroy() removes everything carrying the env's labels. */
static void sweep_orphans(struct sp_deployer *d, const struct sp_env *v, size_t n)
{
	json_t *names = NULL, *list = NULL, *seen = json_object();
	struct sp_docker *dk = NULL;
	char hex[SP_SHA256_HEX_LEN + 1], label[64];
	size_t i;
	json_t *x;
	if (!seen)
		return;
	pthread_mutex_lock(&d->drv_mu);
	if (sp_driver_list(d->local, &names) == 0)
		json_array_foreach(names, i, x)
			json_object_set(seen, json_string_value(x), json_true());
	pthread_mutex_unlock(&d->drv_mu);
	if (sp_sha256_hex(d->data_dir, strlen(d->data_dir), hex) == 0 &&
	    sp_docker_open(d->socket, &dk) == 0) {
		snprintf(label, sizeof(label), "sprout.owner=%.12s", hex);
		const char *labels[] = { label };
		if (sp_docker_container_list(dk, labels, 1, &list) == 0)
			json_array_foreach(list, i, x) {
				const char *env = json_string_value(
					json_object_get(json_object_get(x, "Labels"), "sprout.env"));
				if (env)
					json_object_set(seen, env, json_true());
			}
		json_decref(list);
		list = NULL;
		if (sp_docker_network_list(dk, labels, 1, &list) == 0)
			json_array_foreach(list, i, x) {
				const char *env = json_string_value(
					json_object_get(json_object_get(x, "Labels"), "sprout.env"));
				if (env)
					json_object_set(seen, env, json_true());
			}
		json_decref(list);
		sp_docker_close(dk);
	}
	const char *env;
	json_t *val;
	json_object_foreach(seen, env, val) {
		if (known(v, n, env) || !sp_driver_env_name_valid(env))
			continue;
		struct sp_diags dg;
		sp_diags_init(&dg);
		deploy_log(d, "reconcile: removing resources of unknown environment %s", env);
		(void)deploy_destroy(d, NULL, d->local, env, &dg);
		sp_diags_free(&dg);
	}
	json_decref(names);
	json_decref(seen);
}

void *deploy_reconciler_main(void *arg)
{
	struct sp_deployer *d = arg;
	struct sp_store *st = NULL;
	bool first = true;
	unsigned round = 0;
	int interval = d->cfg.reconcile_interval_ms > 0 ? d->cfg.reconcile_interval_ms
							: SP_RECONCILE_INTERVAL_MS;
	while (!deploy_stopping(d)) {
		if (!st && sp_store_open(d->db_path, &st)) {
			st = NULL;
			deploy_sleep(d, 1000);
			continue;
		}
		struct sp_env *v = NULL;
		size_t n = 0;
		if (sp_store_env_list(st, NULL, &v, &n) == 0) {
			if (first || round % SP_RECONCILE_SWEEP_EVERY == 0)
				sweep_orphans(d, v, n);
			for (size_t i = 0; i < n && !deploy_stopping(d); i++)
				if (v[i].status == SP_ENV_READY)
					reconcile_env(d, st, &v[i], first);
			sp_env_list_free(v, n);
			first = false;
		}
		round++;
		/* Not deploy_sleep: its wake-ups are the worker's. */
		for (int slept = 0; slept < interval && !deploy_stopping(d); slept += 100) {
			struct timespec ts = { 0, 100 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	sp_store_close(st);
	return NULL;
}
