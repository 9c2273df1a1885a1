/* drivers.c — the deployer's life (start, stop), its drivers and the calls into them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/deploy/deploy_internal.h"
#include "engine/driver/aws/aws_driver.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

void deploy_log(struct sp_deployer *d, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (!d->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->cfg.log(d->cfg.arg, line);
}

void deploy_changed(struct sp_deployer *d)
{
	if (d->cfg.on_change)
		d->cfg.on_change(d->cfg.arg);
}

bool deploy_stopping(struct sp_deployer *d)
{
	pthread_mutex_lock(&d->mu);
	bool s = d->stopping;
	pthread_mutex_unlock(&d->mu);
	return s;
}

bool deploy_sleep(struct sp_deployer *d, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->mu);
	while (!d->stopping && !d->woken)
		if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT)
			break;
	d->woken = false;
	bool s = d->stopping;
	pthread_mutex_unlock(&d->mu);
	return s;
}

void deploy_driver_event(void *user, const struct sp_driver_event *ev)
{
	struct sp_deployer *d = user;
	struct sink *s = d->sink; /* the caller holds drv_mu */
	enum sp_event_severity sev = ev->severity == SP_DRIVER_ERROR ? SP_EVENT_ERROR
				     : ev->severity == SP_DRIVER_WARN ? SP_EVENT_WARN
								      : SP_EVENT_INFO;
	char *msg = ev->detail && *ev->detail
			    ? sp_aprintf("%s\n%s", ev->message ? ev->message : "", ev->detail)
			    : sp_strdup(ev->message ? ev->message : "");
	if (!msg)
		return;
	if (s && s->st) {
		if (sp_store_event_add(s->st, sev, s->app, ev->environment, s->version,
				       s->request_id, msg) == 0)
			deploy_changed(d);
	} else {
		deploy_log(d, "%s %s: %s", sp_event_severity_name(sev),
			   ev->environment ? ev->environment : "-", ev->message ? ev->message : "");
	}
	free(msg);
}

static bool str_is(const json_t *j, const char *s)
{
	const char *v = json_string_value(j);
	return v && !strcmp(v, s);
}

/* The value of option ns:name in an environment's settings (JSON array), or NULL. */
static const char *env_option(const json_t *opts, const char *ns, const char *name)
{
	size_t i;
	json_t *o;
	json_array_foreach(opts, i, o)
		if (str_is(json_object_get(o, "namespace"), ns) &&
		    str_is(json_object_get(o, "option_name"), name))
			return json_string_value(json_object_get(o, "value"));
	return NULL;
}

struct sp_driver *deploy_driver_for(struct sp_deployer *d, const struct sp_env *e,
				    struct sp_buf *msg)
{
	if (!e->driver || strcmp(e->driver, "aws"))
		return d->local;
	struct sp_driver *drv = NULL;
	pthread_mutex_lock(&d->drv_mu);
	for (size_t i = 0; i < d->n_aws; i++)
		if (!strcmp(d->aws[i].env, e->name))
			drv = d->aws[i].drv;
	if (!drv && d->n_aws < MAX_AWS_DRIVERS) {
		json_t *opts = json_loads(e->options ? e->options : "[]", 0, NULL);
		struct sp_driver_aws_options o;
		memset(&o, 0, sizeof(o));
		o.aws.region = env_option(opts, "sprout:driver", "Region");
		o.aws.profile = env_option(opts, "sprout:driver", "Profile");
		o.aws.endpoint = env_option(opts, "sprout:driver", "Endpoint");
		o.on_event = deploy_driver_event;
		o.event_user = d;
		if (sp_driver_aws_new(&o, &drv, msg) == 0) {
			snprintf(d->aws[d->n_aws].env, sizeof(d->aws[0].env), "%s", e->name);
			d->aws[d->n_aws++].drv = drv;
		} else {
			drv = NULL;
		}
		json_decref(opts);
	} else if (!drv) {
		sp_buf_puts(msg, "too many environments on the aws driver");
	}
	pthread_mutex_unlock(&d->drv_mu);
	return drv;
}

void deploy_driver_forget(struct sp_deployer *d, const char *env)
{
	pthread_mutex_lock(&d->drv_mu);
	for (size_t i = 0; i < d->n_aws; i++)
		if (!strcmp(d->aws[i].env, env)) {
			sp_driver_free(d->aws[i].drv);
			d->aws[i] = d->aws[--d->n_aws];
			break;
		}
	pthread_mutex_unlock(&d->drv_mu);
}

int deploy_apply(struct sp_deployer *d, struct sink *s, struct sp_driver *drv,
		 const struct sp_driver_spec *spec, const struct sp_driver_batch *batch,
		 struct sp_diags *diags)
{
	pthread_mutex_lock(&d->drv_mu);
	d->sink = s;
	int rc = sp_driver_local_apply_batch(drv, spec, batch, diags);
	d->sink = NULL;
	pthread_mutex_unlock(&d->drv_mu);
	return rc;
}

int deploy_observe(struct sp_deployer *d, struct sink *s, struct sp_driver *drv,
		   const char *env, json_t **out)
{
	pthread_mutex_lock(&d->drv_mu);
	d->sink = s;
	int rc = sp_driver_observe(drv, env, out);
	d->sink = NULL;
	pthread_mutex_unlock(&d->drv_mu);
	return rc;
}

int deploy_destroy(struct sp_deployer *d, struct sink *s, struct sp_driver *drv,
		   const char *env, struct sp_diags *diags)
{
	pthread_mutex_lock(&d->drv_mu);
	d->sink = s;
	int rc = sp_driver_destroy(drv, env, diags);
	d->sink = NULL;
	pthread_mutex_unlock(&d->drv_mu);
	return rc;
}

static int health_rank(const char *h)
{
	return !h ? 0 : !strcmp(h, "Green") ? 3 : !strcmp(h, "Yellow") ? 2 : !strcmp(h, "Red") ? 1 : 0;
}

int deploy_record(struct sp_deployer *d, struct sp_store *st, const struct sp_env *e,
		  const json_t *obs, char **health_out)
{
	char *health = NULL, *causes_txt = NULL, *obs_txt = NULL;
	json_t *causes = NULL;
	struct sp_env_instance v[SP_DEPLOY_MAX_INSTANCES * 2];
	size_t n = 0, i;
	json_t *inst;
	int rc = sp_deploy_health(obs, &health, &causes);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(obs, "instances"), i, inst) {
		if (n == sizeof(v) / sizeof(v[0]))
			break;
		const json_t *task = json_object_get(inst, "task");
		v[n].id = json_string_value(json_object_get(inst, "id"));
		v[n].address = json_string_value(json_object_get(inst, "address"));
		v[n].health = json_string_value(json_object_get(inst, "health"));
		v[n].task_state = json_string_value(json_object_get(task, "state"));
		if (v[n].id)
			n++;
	}
	/* The health before this observation: the store's (e may be a stale copy). */
	char *before = NULL;
	struct sp_env cur;
	if (sp_store_env_get_by_row(st, e->id, &cur) == 0) {
		before = cur.health;
		cur.health = NULL;
		sp_env_free(&cur);
	}
	causes_txt = json_dumps(causes, JSON_COMPACT);
	obs_txt = json_dumps(obs, JSON_COMPACT);
	struct sp_env_update u = SP_ENV_UPDATE_NONE;
	u.health = health;
	u.causes = causes_txt;
	u.observation = obs_txt;
	if (!causes_txt || !obs_txt)
		rc = SP_ENOMEM;
	else if (!(rc = sp_store_env_update(st, e->id, &u)))
		rc = sp_store_env_set_instances(st, e->id, v, n);
	/* Announce each change once, whichever thread sees it first. */
	bool announce = false;
	pthread_mutex_lock(&d->health_mu);
	struct announced *a = NULL;
	for (size_t k = 0; k < d->n_announced && !a; k++)
		if (!strcmp(d->announced[k].env, e->name))
			a = &d->announced[k];
	if (!a && d->n_announced < MAX_BACKOFF_ENVS) {
		a = &d->announced[d->n_announced++];
		snprintf(a->env, sizeof(a->env), "%s", e->name);
		snprintf(a->health, sizeof(a->health), "%s", before ? before : "Grey");
	}
	if (a && strcmp(a->health, health)) {
		announce = true;
		free(before);
		before = sp_strdup(a->health);
		snprintf(a->health, sizeof(a->health), "%s", health);
	}
	pthread_mutex_unlock(&d->health_mu);
	if (!rc && announce && before) {
		char msg[200];
		snprintf(msg, sizeof(msg), "Environment health has transitioned from %s to %s.",
			 before, health);
		sp_store_event_add(st, health_rank(health) < health_rank(before) ? SP_EVENT_WARN
										  : SP_EVENT_INFO,
				   e->application, e->name, e->version, NULL, msg);
		deploy_changed(d);
	}
	free(before);
	if (!rc && health_out) {
		*health_out = health;
		health = NULL;
	}
	free(health);
	free(causes_txt);
	free(obs_txt);
	json_decref(causes);
	return rc;
}

/* ---- life ---- */

int sp_deployer_check(struct sp_deployer *d, struct sp_buf *msg)
{
	pthread_mutex_lock(&d->drv_mu);
	int rc = sp_driver_check(d->local, msg);
	pthread_mutex_unlock(&d->drv_mu);
	return rc;
}

void sp_deployer_wake(struct sp_deployer *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->woken = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void deployer_free(struct sp_deployer *d)
{
	for (size_t i = 0; i < d->n_aws; i++)
		sp_driver_free(d->aws[i].drv);
	sp_driver_free(d->local);
	pthread_mutex_destroy(&d->drv_mu);
	pthread_mutex_destroy(&d->mu);
	pthread_mutex_destroy(&d->health_mu);
	pthread_cond_destroy(&d->cv);
	free(d->data_dir);
	free(d->db_path);
	free(d->bundles_dir);
	free(d->versions_dir);
	free(d->pool);
	free(d->subnets);
	free(d->socket);
	free(d);
}

int sp_deployer_start(const struct sp_deployer_config *cfg, struct sp_deployer **out)
{
	if (!cfg || !cfg->data_dir || cfg->data_dir[0] != '/' || !out)
		return SP_EINVAL;
	struct sp_deployer *d = calloc(1, sizeof(*d));
	if (!d)
		return SP_ENOMEM;
	d->cfg = *cfg;
	pthread_mutex_init(&d->drv_mu, NULL);
	pthread_mutex_init(&d->mu, NULL);
	pthread_mutex_init(&d->health_mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	const char *pool = cfg->address_pool ? cfg->address_pool : getenv("SPROUT_ADDRESS_POOL");
	const char *subnets = cfg->task_subnets ? cfg->task_subnets : getenv("SPROUT_TASK_SUBNETS");
	d->data_dir = sp_strdup(cfg->data_dir);
	d->db_path = sp_aprintf("%s/sprout.db", cfg->data_dir);
	d->bundles_dir = sp_aprintf("%s/bundles", cfg->data_dir);
	d->versions_dir = sp_aprintf("%s/versions", cfg->data_dir);
	d->pool = pool && *pool ? sp_strdup(pool) : NULL;
	d->subnets = subnets && *subnets ? sp_strdup(subnets) : NULL;
	d->socket = cfg->docker_socket ? sp_strdup(cfg->docker_socket) : NULL;
	d->cfg.data_dir = d->data_dir;
	d->cfg.address_pool = d->pool;
	d->cfg.task_subnets = d->subnets;
	d->cfg.docker_socket = d->socket;
	int rc = SP_ENOMEM;
	if (!d->data_dir || !d->db_path || !d->bundles_dir || !d->versions_dir)
		goto fail;
	if (sp_mkdir_p(d->versions_dir, 0755)) {
		rc = SP_EIO;
		goto fail;
	}
	struct sp_driver_local_options lo = {
		.data_dir = d->data_dir, .docker_socket = d->socket, .haproxy_bin = NULL,
		.address_pool = d->pool, .task_subnets = d->subnets, .on_event = deploy_driver_event,
		.event_user = d,
	};
	if ((rc = sp_driver_local_new(&lo, &d->local))) {
		deploy_log(d, "deploy: cannot make the local driver (%s)%s", sp_strerror(rc),
			   rc == SP_EINVAL ? "; check --address-pool / SPROUT_ADDRESS_POOL (FIRST-LAST in"
					     " 127.0.0.0/8) and --task-subnets / SPROUT_TASK_SUBNETS"
					     " (A.B.C.D/N, N at most 28, or \"docker\")" : "");
		goto fail;
	}
	struct sp_buf msg = SP_BUF_INIT(4096);
	if (sp_driver_check(d->local, &msg))
		deploy_log(d, "environments cannot run on this machine yet: %s (environments stay "
			      "Grey until this is fixed; the engine checks again on every deployment)",
			   sp_buf_cstr(&msg));
	else
		deploy_log(d, "local driver ready%s%s", msg.len ? ": " : "", sp_buf_cstr(&msg));
	sp_buf_free(&msg);
	if (pthread_create(&d->worker, NULL, deploy_worker_main, d)) {
		rc = SP_EIO;
		goto fail;
	}
	d->worker_started = true;
	if (pthread_create(&d->reconciler, NULL, deploy_reconciler_main, d)) {
		rc = SP_EIO;
		goto fail;
	}
	d->reconciler_started = true;
	*out = d;
	return 0;
fail:
	if (d->worker_started) {
		pthread_mutex_lock(&d->mu);
		d->stopping = true;
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->mu);
		pthread_join(d->worker, NULL);
	}
	deployer_free(d);
	return rc;
}

void sp_deployer_stop(struct sp_deployer *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->worker_started)
		pthread_join(d->worker, NULL);
	if (d->reconciler_started)
		pthread_join(d->reconciler, NULL);
	pthread_mutex_lock(&d->drv_mu);
	(void)sp_driver_shutdown(d->local);
	pthread_mutex_unlock(&d->drv_mu);
	/* Nothing checks health while the engine is stopped (the load balancer stops with
	 * it): Grey until the reconciler observes again at the next start. */
	struct sp_store *st = NULL;
	struct sp_env *v = NULL;
	size_t n = 0;
	if (sp_store_open(d->db_path, &st) == 0 && sp_store_env_list(st, NULL, &v, &n) == 0) {
		struct sp_env_update u = SP_ENV_UPDATE_NONE;
		u.health = "Grey";
		u.causes = "[\"The engine is stopped: no health checks and no load balancer until it"
			   " starts again.\"]";
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i].driver, "aws") != 0)
				(void)sp_store_env_update(st, v[i].id, &u);
	}
	sp_env_list_free(v, n);
	sp_store_close(st);
	deployer_free(d);
}
