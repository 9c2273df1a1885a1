/* deploy.c — the deployment worker: one queued deployment at a time (deploy.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundles/bundle.h"
#include "engine/base/sha256.h"
#include "engine/deploy/deploy_internal.h"
#include "engine/docker/docker.h"
#include "engine/hooks/hooks.h"
#include "engine/plan/plan.h"
#include "engine/validate/validate.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

#define HEALTH_POLL_MS 1000     /* at most, between health observations */
#define HEALTH_POLL_FIRST_MS 100 /* the first wait; each next one is twice as long */
#define VERSION_POLL_MS 500

struct run {
	struct sp_deployer *d;
	struct sp_store *st;
	struct sp_deployment *dep;
	struct sp_env env;
	struct sink sink;
	struct sp_driver *drv;
	const char *label;
	struct sp_validation *val;
	char *dir;               /* the version's extracted folder */
	char *taskdef, *plan;    /* the driver's documents */
	const char *policy;
	int64_t deadline_ms;
	int n_target;            /* instances wanted */
	struct sp_buf cause;
	bool aborted;
	/* Platform hooks and .ebextensions commands (docs/hooks.md), run by the local
	 * driver's activation callbacks on each instance that gets the version. */
	struct {
		struct sp_hook_plan *plan;     /* the application plan; NULL: nothing to run */
		struct sp_hook_plan *cfg;      /* the configuration plan (.platform/confighooks),
						* configuration deployments only; NULL: nothing */
		struct sp_hooks_executor *exec;
		char *image;
		long timeout_s;
		char **props;                  /* environment properties "NAME=value" */
		size_t n_props;
		char leader[64];               /* the first instance of the deployment */
		char failed_on[64];            /* the instance whose hooks failed first */
		size_t activated;              /* instances whose pre-deploy steps passed */
	} hooks;
};

static void ev(struct run *r, enum sp_event_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void ev(struct run *r, enum sp_event_severity sev, const char *fmt, ...)
{
	char msg[SP_MAX_EVENT_MESSAGE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sp_store_event_add(r->st, sev, r->env.application, r->env.name, r->label,
			   r->dep->request_id, msg);
	deploy_changed(r->d);
}

/* The first `cause` of a failure wins; later ones are appended once there is room. */
static void cause(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cause(struct run *r, const char *fmt, ...)
{
	char msg[SP_DEPLOY_MAX_CAUSE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->cause.len)
		sp_buf_puts(&r->cause, "\n");
	sp_buf_puts(&r->cause, msg);
}

static void cause_diags(struct run *r, const struct sp_diags *d)
{
	size_t shown = 0;
	for (size_t i = 0; i < d->n && shown < 8; i++) {
		const struct sp_diag *g = &d->items[i];
		if (g->severity != SP_SEV_ERROR)
			continue;
		shown++;
		if (g->file && g->line)
			cause(r, "%s:%d:%d: %s[%s]: %s", g->file, g->line, g->column,
			      sp_severity_name(g->severity), g->code, g->message);
		else if (g->file)
			cause(r, "%s: %s[%s]: %s", g->file, sp_severity_name(g->severity), g->code,
			      g->message);
		else
			cause(r, "%s[%s]: %s", sp_severity_name(g->severity), g->code, g->message);
	}
}

static bool abort_requested(struct run *r)
{
	struct sp_env e;
	if (sp_store_env_get_by_row(r->st, r->env.id, &e))
		return false;
	bool a = e.abort_requested;
	sp_env_free(&e);
	if (a)
		r->aborted = true;
	return a;
}

/* ---- preparing: version, extraction, plan ---- */

static int wait_processed(struct run *r)
{
	for (;;) {
		struct sp_version v;
		int rc = sp_store_version_get(r->st, r->env.application, r->label, false, &v);
		if (rc) {
			cause(r, "Application version %s of %s does not exist.", r->label,
			      r->env.application);
			return SP_ERROR;
		}
		enum sp_version_status s = v.status;
		sp_version_free(&v);
		if (s == SP_VERSION_PROCESSED)
			return 0;
		if (s == SP_VERSION_FAILED || s == SP_VERSION_UNPROCESSED) {
			cause(r, "Application version %s is %s; only a PROCESSED version can be"
				 " deployed (see its diagnostics: sprout appversion).",
			      r->label, sp_version_status_name(s));
			return SP_ERROR;
		}
		if (sp_now_ms() > r->deadline_ms) {
			cause(r, "Application version %s was still %s when the deployment timed out.",
			      r->label, sp_version_status_name(s));
			return SP_ERROR;
		}
		if (deploy_sleep(r->d, VERSION_POLL_MS))
			return SP_EINVAL;
	}
}

static int extract_version(struct run *r)
{
	struct sp_version v;
	struct sp_diags dg;
	char *appdir = NULL, *bundle = NULL, *tmp = NULL;
	struct stat sb;
	int rc = sp_store_version_get(r->st, r->env.application, r->label, false, &v);
	if (rc)
		return rc;
	sp_diags_init(&dg);
	appdir = sp_aprintf("%s/%s", r->d->versions_dir, r->env.application);
	r->dir = sp_aprintf("%s/%s/%s", r->d->versions_dir, r->env.application, r->label);
	bundle = sp_aprintf("%s/%s.zip", r->d->bundles_dir, v.bundle_sha256);
	if (!appdir || !r->dir || !bundle) {
		rc = SP_ENOMEM;
		goto out;
	}
	if (stat(r->dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		goto out; /* extracted by an earlier deployment: versions never change */
	if (sp_mkdir_p(appdir, 0755)) {
		cause(r, "cannot create %s: %s", appdir, strerror(errno));
		rc = SP_EIO;
		goto out;
	}
	if ((rc = sp_bundle_extract(bundle, appdir, NULL, &dg, &tmp))) {
		cause(r, "The bundle of version %s cannot be extracted:", r->label);
		cause_diags(r, &dg);
		goto out;
	}
	if (rename(tmp, r->dir) != 0) {
		if (stat(r->dir, &sb) == 0)
			(void)sp_rm_rf(tmp);
		else {
			cause(r, "cannot move the extracted bundle into place: %s", strerror(errno));
			(void)sp_rm_rf(tmp);
			rc = SP_EIO;
		}
	}
out:
	free(tmp);
	free(appdir);
	free(bundle);
	sp_diags_free(&dg);
	sp_version_free(&v);
	return rc;
}

static int plan_version(struct run *r, int revision)
{
	char **args = NULL;
	size_t nargs = 0;
	struct sp_diags dg;
	json_t *doc = NULL, *summary = NULL;
	char *summary_txt = NULL;
	int rc = sp_deploy_option_args(r->env.options, &args, &nargs);
	if (rc)
		return rc;
	sp_diags_init(&dg);
	struct sp_validate_options vo;
	memset(&vo, 0, sizeof(vo));
	vo.env_name = r->env.name;
	vo.env_id = r->env.env_id;
	vo.option_args = (const char *const *)args;
	vo.n_option_args = nargs;
	vo.taskdef_revision = revision;
	rc = sp_validate(r->dir, &vo, &dg, &r->val);
	if (rc) {
		cause(r, "Version %s does not plan with this environment's settings:", r->label);
		cause_diags(r, &dg);
		rc = SP_ERROR;
		goto out;
	}
	const struct sp_plan *p = r->val->plan;
	if (!p || !p->taskdef) {
		cause(r, "Version %s has no Dockerrun.aws.json to run.", r->label);
		rc = SP_ERROR;
		goto out;
	}
	if ((rc = sp_deploy_driver_plan(p, (int)r->env.instances, &doc)) ||
	    (rc = sp_deploy_plan_summary(p, &summary)))
		goto out;
	r->n_target = (int)json_integer_value(json_object_get(doc, "instances"));
	r->taskdef = json_dumps(p->taskdef, JSON_COMPACT | JSON_SORT_KEYS);
	r->plan = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	summary_txt = json_dumps(summary, JSON_COMPACT);
	if (!r->taskdef || !r->plan || !summary_txt) {
		rc = SP_ENOMEM;
		goto out;
	}
	struct sp_env_update u = SP_ENV_UPDATE_NONE;
	u.family = p->family;
	u.revision = p->revision;
	u.plan_summary = summary_txt;
	rc = sp_store_env_update(r->st, r->env.id, &u);
out:
	free(summary_txt);
	json_decref(doc);
	json_decref(summary);
	sp_strv_free(args, nargs);
	sp_diags_free(&dg);
	return rc;
}

/* The driver's plan with another instance count. */
static char *plan_with_instances(const char *plan, int n)
{
	json_t *j = json_loads(plan, 0, NULL);
	if (!j)
		return NULL;
	json_object_set_new(j, "instances", json_integer(n));
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* ---- observing ---- */

static int observe(struct run *r, json_t **out)
{
	json_t *obs = NULL;
	int rc = deploy_observe(r->d, &r->sink, r->drv, r->env.name, &obs);
	if (rc)
		return rc;
	(void)deploy_record(r->d, r->st, &r->env, obs, NULL);
	*out = obs;
	return 0;
}

/* Ids of the instances that are not leaving (borrowed from obs). */
static size_t instance_ids(const json_t *obs, const char **ids, size_t max)
{
	size_t n = 0, i;
	json_t *inst;
	json_array_foreach(json_object_get(obs, "instances"), i, inst) {
		if (json_is_true(json_object_get(inst, "leaving")) || n == max)
			continue;
		ids[n++] = json_string_value(json_object_get(inst, "id"));
	}
	return n;
}

static bool listed(const char *const *v, size_t n, const char *id)
{
	for (size_t i = 0; id && i < n; i++)
		if (v[i] && !strcmp(v[i], id))
			return true;
	return false;
}

static const char *or_str(const char *a, const char *b)
{
	return a ? a : b;
}

/* Adds the cause of the first stopped task in obs (exit code and log tail). */
static void cause_stopped_task(struct run *r, const json_t *obs)
{
	size_t i;
	json_t *inst;
	json_array_foreach(json_object_get(obs, "instances"), i, inst) {
		const json_t *task = json_object_get(inst, "task");
		const char *state = json_string_value(json_object_get(task, "state"));
		if (!state || strcmp(state, "STOPPED"))
			continue;
		const json_t *c = json_object_get(task, "stoppedCause");
		const char *tail = json_string_value(json_object_get(c, "logTail"));
		cause(r, "[Instance: %s] %s", json_string_value(json_object_get(inst, "id")),
		      or_str(json_string_value(json_object_get(task, "stoppedReason")), "task stopped"));
		if (json_is_integer(json_object_get(c, "exitCode")))
			cause(r, "Exit code: %lld.",
			      (long long)json_integer_value(json_object_get(c, "exitCode")));
		if (tail && *tail)
			cause(r, "Last log lines of container %s:\n%s",
			      or_str(json_string_value(json_object_get(c, "container")), "?"), tail);
		return;
	}
}

/* Waits until the instances (ids, or all when n == 0) are Green. */
static int wait_green(struct run *r, const char *const *ids, size_t n, const char *what)
{
	if (r->val->plan->deploy.ignore_health_check)
		return 0;
	int64_t wait_ms = HEALTH_POLL_FIRST_MS;
	for (;;) {
		json_t *obs = NULL;
		int rc = observe(r, &obs);
		if (rc && rc != SP_ENOTFOUND) {
			cause(r, "cannot observe the environment: %s", sp_strerror(rc));
			return SP_ERROR;
		}
		size_t i, total = 0, green = 0;
		json_t *inst;
		bool stopped = false;
		json_array_foreach(json_object_get(obs, "instances"), i, inst) {
			const char *id = json_string_value(json_object_get(inst, "id"));
			if (json_is_true(json_object_get(inst, "leaving")) ||
			    (n && !listed(ids, n, id)))
				continue;
			total++;
			const char *h = json_string_value(json_object_get(inst, "health"));
			const char *state = json_string_value(
				json_object_get(json_object_get(inst, "task"), "state"));
			if (h && !strcmp(h, "Green"))
				green++;
			if (state && !strcmp(state, "STOPPED"))
				stopped = true;
		}
		if (stopped) {
			cause(r, "A task stopped while %s became healthy.", what);
			cause_stopped_task(r, obs);
			json_decref(obs);
			return SP_ERROR;
		}
		json_decref(obs);
		if (total && green == total)
			return 0;
		if (sp_now_ms() > r->deadline_ms) {
			cause(r, "%s did not become healthy within the command timeout (%d s):"
				 " %zu of %zu Green.", what, r->val->plan->deploy.timeout, green, total);
			return SP_ERROR;
		}
		if (abort_requested(r)) {
			cause(r, "The update was aborted.");
			return SP_ERROR;
		}
		if (deploy_sleep(r->d, wait_ms)) {
			cause(r, "The engine stopped during the deployment.");
			return SP_EINVAL;
		}
		wait_ms = wait_ms * 2 < HEALTH_POLL_MS ? wait_ms * 2 : HEALTH_POLL_MS;
	}
}

/* ---- platform hooks and .ebextensions commands ---- */

static void hooks_release(struct run *r)
{
	sp_hook_plan_free(r->hooks.plan);
	sp_hook_plan_free(r->hooks.cfg);
	sp_hooks_docker_executor_free(r->hooks.exec);
	free(r->hooks.image);
	sp_strv_free(r->hooks.props, r->hooks.n_props);
	memset(&r->hooks, 0, sizeof(r->hooks));
}

static bool hooks_plan_runs_something(const struct sp_hook_plan *p)
{
	size_t marker = sp_hook_plan_deploy_index(p);
	for (size_t i = 0; i < sp_hook_plan_count(p); i++)
		if (i != marker)
			return true;
	return false;
}

/* Builds one of the version's plans; *out NULL when it runs nothing. */
static int hooks_plan(struct run *r, enum sp_hook_deployment kind, struct sp_hook_plan **out)
{
	struct sp_diags dg;
	sp_diags_init(&dg);
	int rc = sp_hooks_plan_for_bundle(r->dir, NULL, "", kind, &dg, out);
	if (rc) {
		cause(r, "The %s of version %s cannot be planned:",
		      kind == SP_HOOK_CONFIG_DEPLOYMENT ? "configuration hooks (.platform/confighooks)"
							: "platform hooks and commands", r->label);
		cause_diags(r, &dg);
		rc = SP_ERROR;
	} else if (!hooks_plan_runs_something(*out)) {
		sp_hook_plan_free(*out);
		*out = NULL;
	}
	sp_diags_free(&dg);
	return rc;
}

/* The version's hook plans, the image and timeout the steps run with, the environment
 * properties, and a Docker executor whose containers carry this engine's owner label
 * (so the orphan sweep and terminate find one left by a crash). As on Elastic
 * Beanstalk, an instance that gets the version for the first time (a launch, a deploy,
 * a rollback, a new instance of any deployment) runs the application plan; one that
 * keeps its version in place runs the configuration plan (.platform/confighooks) in a
 * configuration deployment and nothing in a restart (restart-app-server). See
 * hooks_plan_for. */
static int hooks_prepare(struct run *r)
{
	const struct sp_plan *p = r->val->plan;
	char hex[SP_SHA256_HEX_LEN + 1], owner[13];
	int rc;
	if ((rc = hooks_plan(r, SP_HOOK_APP_DEPLOYMENT, &r->hooks.plan)) ||
	    (r->dep->kind == SP_DEPLOY_CONFIG &&
	     (rc = hooks_plan(r, SP_HOOK_CONFIG_DEPLOYMENT, &r->hooks.cfg))))
		goto out;
	if (!r->hooks.plan && !r->hooks.cfg)
		goto out;
	if (r->drv != r->d->local) {
		ev(r, SP_EVENT_WARN, "This version has %s; the %s driver does not run them"
				     " (docs/hooks.md).",
		   r->hooks.plan ? "platform hooks or .ebextensions commands"
				 : "configuration hooks (.platform/confighooks)", r->drv->ops->name);
		hooks_release(r);
		goto out;
	}
	r->hooks.image = sp_hooks_image(r->val->options,
					json_object_get(p->taskdef, "containerDefinitions"));
	r->hooks.timeout_s = sp_hooks_timeout(r->val->options);
	if (!r->hooks.image) {
		cause(r, "Version %s has platform hooks or commands but no image to run them in:"
			 " set sprout:hooks Image.", r->label);
		rc = SP_ERROR;
		goto out;
	}
	if (p->n_env && !(r->hooks.props = calloc(p->n_env, sizeof(char *)))) {
		rc = SP_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n_env; i++) {
		if (!(r->hooks.props[r->hooks.n_props] =
			      sp_aprintf("%s=%s", p->env[i].name, p->env[i].value ? p->env[i].value : ""))) {
			rc = SP_ENOMEM;
			goto out;
		}
		r->hooks.n_props++;
	}
	if ((rc = sp_sha256_hex(r->d->data_dir, strlen(r->d->data_dir), hex)))
		goto out;
	memcpy(owner, hex, 12);
	owner[12] = '\0';
	struct sp_hooks_docker_options o = { r->d->socket, owner, true };
	if ((rc = sp_hooks_docker_executor_new(&o, &r->hooks.exec)))
		goto out;
	if (r->hooks.cfg)
		ev(r, SP_EVENT_INFO, "Configuration deployment hooks (.platform/confighooks): %zu"
				     " step(s) per instance, run in containers of image %s (timeout %ld s"
				     " per step).", sp_hook_plan_count(r->hooks.cfg) - 1, r->hooks.image,
		   r->hooks.timeout_s);
	if (r->hooks.plan)
		ev(r, SP_EVENT_INFO, "Platform hooks and .ebextensions commands: %zu step(s) per"
				     " instance%s, run in containers of image %s (timeout %ld s per step).",
		   sp_hook_plan_count(r->hooks.plan) - 1,
		   r->dep->kind == SP_DEPLOY_CONFIG || r->dep->kind == SP_DEPLOY_RESTART
			   ? " that gets the version for the first time" : "",
		   r->hooks.image, r->hooks.timeout_s);
out:
	if (rc)
		hooks_release(r);
	return rc;
}

/* The plan an instance runs: the application plan when it gets the version's files
 * afresh; in place (the version kept), the configuration plan of a configuration
 * deployment, none for a restart. */
static const struct sp_hook_plan *hooks_plan_for(const struct run *r, bool in_place)
{
	if (!in_place)
		return r->hooks.plan;
	if (r->dep->kind == SP_DEPLOY_CONFIG)
		return r->hooks.cfg;
	if (r->dep->kind == SP_DEPLOY_RESTART)
		return NULL;
	return r->hooks.plan;
}

/* Every step's result is an event: INFO when it ran or was skipped, WARN when its
 * failure is ignored, ERROR (with the output's tail) when it fails the deployment. */
static void hooks_on_step(void *user, const struct sp_hooks_instance *inst,
			  const struct sp_hook_step_result *res)
{
	struct run *r = user;
	struct sp_buf tail = SP_BUF_INIT(SP_MAX_EVENT_MESSAGE / 2);
	enum sp_event_severity sev = SP_EVENT_INFO;
	if (res->outcome == SP_HOOK_FAILED_IGNORED)
		sev = SP_EVENT_WARN;
	else if (res->outcome == SP_HOOK_FAILED || res->outcome == SP_HOOK_TIMED_OUT ||
		 res->outcome == SP_HOOK_NOT_STARTED)
		sev = SP_EVENT_ERROR;
	if (sev != SP_EVENT_INFO)
		(void)sp_hooks_output_tail(res, MAX_HOOK_TAIL_LINES, &tail);
	if (tail.len)
		ev(r, sev, "[Instance: %s] %s. Output:\n%s", inst->instance_id,
		   res->message ? res->message : "?", sp_buf_cstr(&tail));
	else
		ev(r, sev, "[Instance: %s] %s.", inst->instance_id, res->message ? res->message : "?");
	sp_buf_free(&tail);
}

static int hooks_run_phase(struct run *r, enum sp_hooks_phase phase, const char *id,
			   const char *root, bool in_place, struct sp_buf *why)
{
	struct sp_hooks_report *rep = NULL;
	const struct sp_hook_plan *plan = hooks_plan_for(r, in_place);
	if (r->hooks.failed_on[0]) {
		sp_buf_printf(why, "not deployed: the deployment's hooks failed on instance %s",
			      r->hooks.failed_on);
		return SP_ERROR;
	}
	if (!plan) {
		if (phase == SP_HOOKS_BEFORE_DEPLOY)
			r->hooks.activated++;
		return 0;
	}
	if (phase == SP_HOOKS_BEFORE_DEPLOY && !r->hooks.leader[0])
		snprintf(r->hooks.leader, sizeof(r->hooks.leader), "%s", id);
	struct sp_hooks_instance inst = { id, root, !strcmp(r->hooks.leader, id) };
	struct sp_hooks_run_options o;
	memset(&o, 0, sizeof(o));
	o.exec = r->hooks.exec;
	o.image = r->hooks.image;
	o.timeout_s = r->hooks.timeout_s;
	o.properties = (const char *const *)r->hooks.props;
	o.n_properties = r->hooks.n_props;
	o.on_step = hooks_on_step;
	o.user = r;
	static const char *const steps[2][2] = { /* [config][phase] */
		{ "pre-deployment (files, commands, prebuild, container_commands, predeploy)",
		  "post-deployment (postdeploy)" },
		{ "configuration pre-deployment (confighooks prebuild, predeploy)",
		  "configuration post-deployment (confighooks postdeploy)" },
	};
	ev(r, SP_EVENT_INFO, "[Instance: %s] Running the %s steps%s.", id,
	   steps[plan == r->hooks.cfg][phase == SP_HOOKS_BEFORE_DEPLOY ? 0 : 1],
	   phase == SP_HOOKS_BEFORE_DEPLOY && inst.leader ? " as the command leader" : "");
	int rc = sp_hooks_run(plan, phase, &inst, &o, &rep);
	if (rc) {
		sp_buf_printf(why, "the hooks could not be run: %s", sp_strerror(rc));
	} else {
		const struct sp_hook_step_result *f = sp_hooks_report_failure(rep);
		if (f) {
			struct sp_buf tail = SP_BUF_INIT(SP_DEPLOY_MAX_CAUSE);
			(void)sp_hooks_output_tail(f, MAX_HOOK_TAIL_LINES, &tail);
			sp_buf_puts(why, f->message ? f->message : "a hook failed");
			if (tail.len)
				sp_buf_printf(why, ". Output:\n%s", sp_buf_cstr(&tail));
			sp_buf_free(&tail);
			rc = SP_ERROR;
		} else if (phase == SP_HOOKS_BEFORE_DEPLOY) {
			r->hooks.activated++;
		}
	}
	if (rc)
		snprintf(r->hooks.failed_on, sizeof(r->hooks.failed_on), "%s", id);
	sp_hooks_report_free(rep);
	return rc;
}

static int hooks_before_activate(void *user, const char *id, const char *root, bool in_place,
				 struct sp_buf *why)
{
	return hooks_run_phase(user, SP_HOOKS_BEFORE_DEPLOY, id, root, in_place, why);
}

static int hooks_after_activate(void *user, const char *id, const char *root, bool in_place,
				struct sp_buf *why)
{
	return hooks_run_phase(user, SP_HOOKS_AFTER_DEPLOY, id, root, in_place, why);
}

static int apply(struct run *r, const char *plan, const struct sp_driver_batch *batch)
{
	struct sp_diags dg;
	sp_diags_init(&dg);
	struct sp_driver_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.environment = r->env.name;
	spec.version_label = r->label;
	spec.task_definition = r->taskdef;
	spec.plan = plan ? plan : r->plan;
	spec.source_dir = r->dir;
	struct sp_driver_batch b;
	if (batch)
		b = *batch;
	else
		memset(&b, 0, sizeof(b));
	if (r->hooks.plan || r->hooks.cfg) {
		b.before_activate = hooks_before_activate;
		b.after_activate = hooks_after_activate;
		b.activate_user = r;
	}
	/* EB does not unpack the version again for a configuration deployment or a restart */
	b.keep_current = r->dep->kind == SP_DEPLOY_CONFIG || r->dep->kind == SP_DEPLOY_RESTART;
	int rc = deploy_apply(r->d, &r->sink, r->drv, &spec,
			      batch || b.before_activate || b.keep_current ? &b : NULL, &dg);
	if (rc) {
		cause_diags(r, &dg);
		json_t *obs = NULL;
		if (observe(r, &obs) == 0)
			cause_stopped_task(r, obs);
		json_decref(obs);
		if (!r->cause.len)
			cause(r, "The driver failed: %s", sp_strerror(rc));
		rc = SP_ERROR;
	}
	sp_diags_free(&dg);
	return rc;
}

/* ---- policies ---- */

static int all_at_once(struct run *r)
{
	int rc = apply(r, NULL, NULL);
	return rc ? rc : wait_green(r, NULL, 0, "The instances");
}

static int current_ids(struct run *r, const char **ids, size_t max, size_t *n)
{
	json_t *obs = NULL;
	int rc = observe(r, &obs);
	*n = 0;
	if (rc == SP_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	/* ids point into obs: copy them. */
	size_t k = instance_ids(obs, ids, max);
	for (size_t i = 0; i < k; i++)
		ids[i] = sp_strdup(ids[i] ? ids[i] : "");
	*n = k;
	json_decref(obs);
	return 0;
}

static void free_ids(const char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)ids[i]);
}

static int rolling(struct run *r, bool additional)
{
	const char *old[SP_DEPLOY_MAX_INSTANCES], *fresh[SP_DEPLOY_MAX_INSTANCES];
	size_t n = 0, nf = 0, all = 0;
	const char *every[SP_DEPLOY_MAX_INSTANCES * 2];
	char *bigger = NULL;
	int rc = current_ids(r, old, SP_DEPLOY_MAX_INSTANCES, &n);
	if (rc || n == 0)
		return rc ? rc : all_at_once(r);
	const struct sp_plan *p = r->val->plan;
	int b = sp_deploy_batch_size((int)n, p->deploy.batch_size_type, p->deploy.batch_size);
	struct sp_driver_batch batch;
	memset(&batch, 0, sizeof(batch));
	batch.restrict_tasks = true;
	ev(r, SP_EVENT_INFO, "Deploying to %zu instance(s) in batches of %d (%s).", n, b, r->policy);
	if (additional) {
		ev(r, SP_EVENT_INFO, "Launching an additional batch of %d instance(s).", b);
		if (!(bigger = plan_with_instances(r->plan, (int)n + b))) {
			rc = SP_ENOMEM;
			goto out;
		}
		if ((rc = apply(r, bigger, &batch)))
			goto out;
		rc = current_ids(r, every, SP_DEPLOY_MAX_INSTANCES * 2, &all);
		for (size_t i = 0; !rc && i < all; i++)
			if (!listed(old, n, every[i]) && nf < SP_DEPLOY_MAX_INSTANCES)
				fresh[nf++] = sp_strdup(every[i]);
		free_ids(every, all);
		if (rc || (rc = wait_green(r, fresh, nf, "The additional batch")))
			goto out;
	}
	for (size_t at = 0, k = 1; at < n; at += (size_t)b, k++) {
		size_t m = n - at < (size_t)b ? n - at : (size_t)b;
		batch.only_instances = old + at;
		batch.n_only_instances = m;
		char list[512] = "";
		for (size_t i = 0; i < m; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", old[at + i]);
		ev(r, SP_EVENT_INFO, "Starting batch %zu: deploying to instance(s) %s.", k, list);
		if ((rc = apply(r, additional ? bigger : NULL, &batch)) ||
		    (rc = wait_green(r, old + at, m, "The batch")))
			goto out;
		ev(r, SP_EVENT_INFO, "Finished batch %zu: instance(s) %s healthy.", k, list);
		if (at + m < n && abort_requested(r)) {
			cause(r, "The update was aborted after batch %zu.", k);
			rc = SP_ERROR;
			goto out;
		}
		if (sp_now_ms() > r->deadline_ms) {
			cause(r, "The deployment did not finish within the command timeout.");
			rc = SP_ERROR;
			goto out;
		}
	}
	if (additional) {
		ev(r, SP_EVENT_INFO, "Terminating the additional batch.");
		batch.only_instances = NULL;
		batch.n_only_instances = 0;
		batch.remove_instances = fresh;
		batch.n_remove_instances = nf;
	} else {
		batch.restrict_tasks = false;
	}
	rc = apply(r, NULL, additional ? &batch : NULL);
out:
	free(bigger);
	free_ids(old, n);
	free_ids(fresh, nf);
	return rc;
}

/* New instances with the new version; swapped in when healthy, the old ones removed.
 * Failure: the new instances go, the old ones were never touched. */
static int immutable(struct run *r, const char *what)
{
	const char *old[SP_DEPLOY_MAX_INSTANCES], *fresh[SP_DEPLOY_MAX_INSTANCES];
	const char *every[SP_DEPLOY_MAX_INSTANCES * 2];
	size_t n = 0, nf = 0, all = 0;
	char *bigger = NULL;
	int rc = current_ids(r, old, SP_DEPLOY_MAX_INSTANCES, &n);
	if (rc || n == 0)
		return rc ? rc : all_at_once(r);
	int target = r->n_target > 0 ? r->n_target : (int)n;
	struct sp_driver_batch batch;
	memset(&batch, 0, sizeof(batch));
	batch.restrict_tasks = true;
	ev(r, SP_EVENT_INFO, "%s: launching %d new instance(s) next to the %zu running.", what,
	   target, n);
	if (!(bigger = plan_with_instances(r->plan, (int)n + target))) {
		rc = SP_ENOMEM;
		goto out;
	}
	rc = apply(r, bigger, &batch);
	if (current_ids(r, every, SP_DEPLOY_MAX_INSTANCES * 2, &all) == 0) {
		for (size_t i = 0; i < all; i++)
			if (!listed(old, n, every[i]) && nf < SP_DEPLOY_MAX_INSTANCES)
				fresh[nf++] = sp_strdup(every[i]);
		free_ids(every, all);
	}
	if (!rc)
		rc = wait_green(r, fresh, nf, "The new instances");
	if (rc) {
		/* Discard the new instances; the old tasks were never touched. */
		ev(r, SP_EVENT_WARN, "Terminating the %zu new instance(s); the original instances"
				     " keep running the previous version.", nf);
		struct sp_diags dg;
		sp_diags_init(&dg);
		struct sp_driver_spec spec;
		memset(&spec, 0, sizeof(spec));
		spec.environment = r->env.name;
		spec.version_label = r->env.version ? r->env.version : r->label;
		spec.task_definition = r->env.spec_taskdef ? r->env.spec_taskdef : r->taskdef;
		spec.plan = r->env.spec_plan ? r->env.spec_plan : r->plan;
		batch.remove_instances = fresh;
		batch.n_remove_instances = nf;
		char *back = plan_with_instances(spec.plan, (int)n);
		if (back)
			spec.plan = back;
		(void)deploy_apply(r->d, &r->sink, r->drv, &spec, &batch, &dg);
		free(back);
		sp_diags_free(&dg);
		goto out;
	}
	ev(r, SP_EVENT_INFO, "The new instances are healthy; removing the %zu original instance(s).",
	   n);
	batch.remove_instances = old;
	batch.n_remove_instances = n;
	rc = apply(r, NULL, &batch);
out:
	free(bigger);
	free_ids(old, n);
	free_ids(fresh, nf);
	return rc;
}

/* ---- one deployment ---- */

static void save_spec(struct run *r)
{
	struct sp_env_update u = SP_ENV_UPDATE_NONE;
	u.spec_taskdef = r->taskdef;
	u.spec_plan = r->plan;
	(void)sp_store_env_update(r->st, r->env.id, &u);
}

static bool is_immutable(const char *policy)
{
	return !strcmp(policy, "Immutable") || !strcmp(policy, "TrafficSplitting");
}

static int run_policy(struct run *r, enum sp_deploy_kind kind)
{
	if (kind == SP_DEPLOY_RESTART)
		return immutable(r, "Restarting");
	if (!strcmp(r->policy, "Rolling"))
		return rolling(r, false);
	if (!strcmp(r->policy, "RollingWithAdditionalBatch"))
		return rolling(r, true);
	if (is_immutable(r->policy))
		return immutable(r, "Immutable deployment");
	return all_at_once(r);
}

static void finish_terminate(struct run *r)
{
	struct sp_diags dg;
	struct sp_buf msg = SP_BUF_INIT(4096);
	sp_diags_init(&dg);
	r->label = r->env.version;
	sp_store_deploy_begin(r->st, r->dep->id, NULL);
	r->drv = deploy_driver_for(r->d, &r->env, &msg);
	ev(r, SP_EVENT_INFO, "Waiting for EC2 instances to terminate. This may take a few minutes.");
	int rc = r->drv ? deploy_destroy(r->d, &r->sink, r->drv, r->env.name, &dg) : SP_ERROR;
	if (rc && rc != SP_ENOTFOUND) {
		cause_diags(r, &dg);
		if (!r->drv)
			cause(r, "%s", sp_buf_cstr(&msg));
		ev(r, SP_EVENT_WARN, "Some resources of the environment may remain (the engine removes"
				     " them when it can): %s", sp_buf_cstr(&r->cause));
	}
	if (!r->drv || strcmp(r->drv->ops->name, "local"))
		ev(r, SP_EVENT_INFO, "terminateEnvironment completed successfully.");
	deploy_driver_forget(r->d, r->env.name);
	sp_store_deploy_end(r->st, r->dep->id, "Succeeded", NULL);
	sp_store_env_terminated(r->st, r->env.id, 0);
	deploy_changed(r->d);
	sp_diags_free(&dg);
	sp_buf_free(&msg);
}

static void run_deployment(struct sp_deployer *d, struct sp_store *st, struct sp_deployment *dep)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	r.d = d;
	r.st = st;
	r.dep = dep;
	sp_buf_init(&r.cause, SP_DEPLOY_MAX_CAUSE * 4);
	if (sp_store_env_get_by_row(st, dep->env_row, &r.env)) {
		sp_store_deploy_end(st, dep->id, "Failed", "the environment no longer exists");
		goto out;
	}
	r.sink.st = st;
	r.sink.app = r.env.application;
	r.sink.request_id = dep->request_id;
	if (dep->kind == SP_DEPLOY_TERMINATE) {
		finish_terminate(&r);
		goto out;
	}
	r.label = dep->version ? dep->version : r.env.version;
	r.sink.version = r.label;
	r.policy = "AllAtOnce";
	r.deadline_ms = sp_now_ms() + 600 * 1000;
	sp_store_deploy_begin(st, dep->id, NULL);
	struct sp_buf msg = SP_BUF_INIT(4096);
	int rc = 0;
	if (!r.label) {
		cause(&r, "The environment has no application version to deploy.");
		rc = SP_ERROR;
	}
	if (!rc && !(r.drv = deploy_driver_for(d, &r.env, &msg))) {
		cause(&r, "The %s driver cannot be used: %s", r.env.driver, sp_buf_cstr(&msg));
		rc = SP_ERROR;
	}
	sp_buf_free(&msg);
	if (!rc && r.drv == d->local) {
		struct sp_buf why = SP_BUF_INIT(4096);
		if (sp_deployer_check(d, &why)) {
			cause(&r, "%s", sp_buf_cstr(&why));
			rc = SP_ERROR;
		}
		sp_buf_free(&why);
	}
	int revision = (int)r.env.revision + (dep->kind == SP_DEPLOY_RESTART ? 0 : 1);
	if (revision < 1)
		revision = 1;
	if (!rc && !(rc = wait_processed(&r)) && !(rc = extract_version(&r)))
		rc = plan_version(&r, revision);
	if (!rc) {
		const struct sp_plan *p = r.val->plan;
		if (dep->kind == SP_DEPLOY_VERSION && p->deploy.policy)
			r.policy = p->deploy.policy;
		if (dep->kind == SP_DEPLOY_RESTART)
			r.policy = "Immutable";
		r.deadline_ms = sp_now_ms() + (int64_t)(p->deploy.timeout > 0 ? p->deploy.timeout
									  : 600) * 1000;
		sp_store_deploy_begin(st, dep->id, r.policy);
		if (dep->kind != SP_DEPLOY_LAUNCH && dep->kind != SP_DEPLOY_RESTART)
			ev(&r, SP_EVENT_INFO, "Deploying new version to instance(s).");
		if (dep->kind == SP_DEPLOY_LAUNCH)
			ev(&r, SP_EVENT_INFO, "Waiting for EC2 instances to launch. This may take a few"
					      " minutes.");
		ev(&r, SP_EVENT_INFO, "Deployment policy %s; task definition %s:%d; %d instance(s);"
				      " driver %s.", r.policy, p->family, p->revision, r.n_target,
		   r.drv->ops->name);
		if (!is_immutable(r.policy))
			save_spec(&r);
		if ((rc = hooks_prepare(&r)) == 0)
			rc = run_policy(&r, dep->kind);
	}
	if (rc == SP_EINVAL && deploy_stopping(d))
		goto out; /* taken again at the next start */

	json_t *obs = NULL;
	char *health = NULL;
	if (r.drv && deploy_observe(d, &r.sink, r.drv, r.env.name, &obs) == 0)
		(void)deploy_record(d, st, &r.env, obs, &health);
	json_decref(obs);
	struct sp_env_update u = SP_ENV_UPDATE_NONE;
	u.status = SP_ENV_READY;
	u.clear_abort = 1;
	if (!rc) {
		if (is_immutable(r.policy))
			save_spec(&r);
		u.version = r.label;
		u.last_good_version = r.label;
		sp_store_deploy_end(st, dep->id, "Succeeded", NULL);
		sp_store_env_update(st, r.env.id, &u);
		switch (dep->kind) {
		case SP_DEPLOY_LAUNCH:
			ev(&r, SP_EVENT_INFO, "Successfully launched environment: %s", r.env.name);
			break;
		case SP_DEPLOY_CONFIG:
			ev(&r, SP_EVENT_INFO, "Successfully deployed new configuration to environment.");
			break;
		case SP_DEPLOY_RESTART:
			ev(&r, SP_EVENT_INFO, "restartAppServer completed successfully.");
			break;
		default:
			ev(&r, SP_EVENT_INFO, "New application version was deployed to running EC2"
					      " instances.");
			ev(&r, SP_EVENT_INFO, "Environment update completed successfully.");
		}
		goto out_free;
	}
	/* Failed (or aborted): say why, leave a clear state. */
	bool rolled_back = dep->kind == SP_DEPLOY_ROLLBACK;
	/* Hooks that failed before any instance took the version leave the previous one
	 * running: the environment keeps its version and driver inputs. */
	bool untouched = r.hooks.failed_on[0] && !r.hooks.activated && r.env.version;
	if (r.val && !is_immutable(r.policy) && r.taskdef && !untouched)
		u.version = r.label; /* the instances were given it */
	if (untouched && r.env.spec_taskdef && r.env.spec_plan) {
		u.spec_taskdef = r.env.spec_taskdef;
		u.spec_plan = r.env.spec_plan;
	}
	const char *good = r.env.last_good_version;
	bool rollback = !rolled_back && good && r.label && strcmp(good, r.label) &&
			r.val && !is_immutable(r.policy) &&
			(r.aborted || r.val->plan->deploy.rollback_on_failure);
	if (rollback)
		u.status = SP_ENV_UPDATING;
	/* The record ends first: whoever sees Ready finds the deployment's verdict. */
	if (rollback)
		(void)sp_store_deploy_queue(st, r.env.id, SP_DEPLOY_ROLLBACK, good, dep->request_id,
					    NULL);
	sp_store_deploy_end(st, dep->id, r.aborted ? "Aborted" : "Failed", sp_buf_cstr(&r.cause));
	sp_store_env_update(st, r.env.id, &u);
	if (r.aborted)
		ev(&r, SP_EVENT_WARN, "The update was aborted: %s", sp_buf_cstr(&r.cause));
	else
		ev(&r, SP_EVENT_ERROR, "%s %s",
		   dep->kind == SP_DEPLOY_CONFIG ? "Failed to deploy configuration."
						 : "Failed to deploy application.",
		   sp_buf_cstr(&r.cause));
	ev(&r, SP_EVENT_ERROR, "%s",
	   dep->kind == SP_DEPLOY_LAUNCH ? "Create environment operation is complete, but with errors."
					 : "Update environment operation is complete, but with errors.");
	if (rollback) {
		ev(&r, SP_EVENT_WARN, "%s: redeploying the last good version %s.",
		   r.aborted ? "Aborted" : "RollbackOnFailure is set", good);
	}
out_free:
	free(health);
out:
	hooks_release(&r);
	sp_validation_free(r.val);
	free(r.dir);
	free(r.taskdef);
	free(r.plan);
	sp_buf_free(&r.cause);
	sp_env_free(&r.env);
}

/* Hook containers of this engine (sprout.owner, sprout.hook) that are still there. Only
 * this thread runs hooks, one deployment at a time, so between deployments none of them
 * belongs to a running step: they are what a crash or a failed removal left. */
static void remove_hook_containers(struct sp_deployer *d)
{
	char hex[SP_SHA256_HEX_LEN + 1], owner[64];
	struct sp_docker *dk = NULL;
	json_t *list = NULL, *c;
	size_t i;
	if (sp_sha256_hex(d->data_dir, strlen(d->data_dir), hex) ||
	    sp_docker_open(d->socket, &dk))
		return;
	snprintf(owner, sizeof(owner), "sprout.owner=%.12s", hex);
	const char *labels[] = { owner, "sprout.hook" };
	if (sp_docker_container_list(dk, labels, 2, &list) == 0)
		json_array_foreach(list, i, c) {
			const char *id = json_string_value(json_object_get(c, "Id"));
			if (id && sp_docker_container_remove(dk, id, true, true) == 0)
				deploy_log(d, "deploy: removed a leftover hook container %.12s", id);
		}
	json_decref(list);
	sp_docker_close(dk);
}

void *deploy_worker_main(void *arg)
{
	struct sp_deployer *d = arg;
	struct sp_store *st = NULL;
	remove_hook_containers(d);
	while (!deploy_stopping(d)) {
		if (!st && sp_store_open(d->db_path, &st)) {
			st = NULL;
			deploy_sleep(d, 1000);
			continue;
		}
		struct sp_deployment dep;
		int rc = sp_store_deploy_next(st, &dep);
		if (rc) {
			if (rc != SP_ENOTFOUND)
				deploy_log(d, "deploy: cannot read the queue: %s", sp_store_errmsg(st));
			deploy_sleep(d, 1000);
			continue;
		}
		deploy_log(d, "deploy: %s of %s (deployment %lld)", sp_deploy_kind_name(dep.kind),
			   dep.environment, (long long)dep.id);
		run_deployment(d, st, &dep);
		sp_deployment_free(&dep);
		remove_hook_containers(d);
	}
	sp_store_close(st);
	return NULL;
}
