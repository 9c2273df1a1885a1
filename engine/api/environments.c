/* environments.c — /api/v1/environments: create, list, describe, update (deploy a
 * version, change option settings, scale), restart, abort, terminate, deployment
 * records (docs/api.md "Environments"). The work itself is queued for engine/deploy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/api/api_internal.h"
#include "engine/base/diag.h"
#include "engine/deploy/deploy.h"
#include "engine/store/store_env.h"
#include "engine/base/banned.h"

#define SP_CNAME_DOMAIN "sprout.local" /* <prefix>.sprout.local, as <prefix>.<region>.elasticbeanstalk.com */

void sp_api_set_deployer(struct sp_api *api, struct sp_deployer *d)
{
	api->deployer = d;
}

void sp_api_events_changed(struct sp_api *api)
{
	api_events_changed(api);
}

static json_t *time_json(int64_t ms)
{
	char buf[32];
	if (ms <= 0)
		return json_null();
	sp_time_iso8601(ms, buf);
	return json_string(buf);
}

static json_t *parse_or_null(const char *txt)
{
	json_t *j = txt ? json_loads(txt, 0, NULL) : NULL;
	return j ? j : json_null();
}

/* Instances as describe shows them: the observation's, trimmed to what users read. */
static json_t *instances_json(const json_t *obs)
{
	json_t *out = json_array();
	size_t i, k;
	json_t *inst, *c;
	json_array_foreach(json_object_get(obs, "instances"), i, inst) {
		const json_t *task = json_object_get(inst, "task");
		json_t *t = json_null();
		if (json_is_object(task)) {
			json_t *cs = json_array();
			json_array_foreach(json_object_get(task, "containers"), k, c)
				json_array_append_new(cs, json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}",
								    "name", json_object_get(c, "name"),
								    "state", json_object_get(c, "state"),
								    "exitCode", json_object_get(c, "exitCode"),
								    "essential",
								    json_object_get(c, "essential"),
								    "health", json_object_get(c, "health"),
								    "ports", json_object_get(c, "ports")));
			t = json_pack("{s:O?,s:O?,s:O?,s:o}", "id", json_object_get(task, "id"), "state",
				      json_object_get(task, "state"), "version",
				      json_object_get(task, "version"), "containers", cs);
			if (json_object_get(task, "stoppedReason"))
				json_object_set(t, "stoppedReason", json_object_get(task, "stoppedReason"));
			if (json_object_get(task, "stoppedCause"))
				json_object_set(t, "stoppedCause", json_object_get(task, "stoppedCause"));
		}
		json_t *j = json_pack("{s:O?,s:O?,s:O?,s:b,s:o}", "id", json_object_get(inst, "id"),
				      "address", json_object_get(inst, "address"), "health",
				      json_object_get(inst, "health"), "leaving",
				      json_is_true(json_object_get(inst, "leaving")), "task", t);
		if (j && json_object_get(inst, "loadBalancer"))
			json_object_set(j, "loadBalancer", json_object_get(inst, "loadBalancer"));
		if (j && json_object_get(inst, "root"))
			json_object_set(j, "root", json_object_get(inst, "root"));
		json_array_append_new(out, j);
	}
	return out;
}

static json_t *env_json(const struct sp_env *e, bool describe)
{
	char cname[128];
	snprintf(cname, sizeof(cname), "%s.%s", e->cname_prefix ? e->cname_prefix : e->name,
		 SP_CNAME_DOMAIN);
	json_t *obs = parse_or_null(e->observation);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:o,s:o,s:b}",
			      "environment_name", e->name, "environment_id", e->env_id,
			      "application", e->application, "cname", cname, "status",
			      sp_env_status_name(e->status), "health", e->health, "driver", e->driver,
			      "version_label", e->version, "last_good_version", e->last_good_version,
			      "description", e->description, "created", time_json(e->created_ms),
			      "updated", time_json(e->updated_ms), "abortable",
			      e->status == SP_ENV_UPDATING);
	if (!j) {
		json_decref(obs);
		return NULL;
	}
	json_object_set(j, "version", json_object_get(j, "version_label"));
	json_object_set(j, "url", json_is_object(obs) && json_object_get(obs, "url")
					  ? json_object_get(obs, "url") : json_null());
	if (e->family) {
		char td[300];
		snprintf(td, sizeof(td), "%s:%lld", e->family, (long long)e->revision);
		json_object_set_new(j, "task_definition", json_string(td));
	} else {
		json_object_set_new(j, "task_definition", json_null());
	}
	if (describe) {
		json_t *plan = parse_or_null(e->plan_summary);
		json_object_set_new(j, "causes", parse_or_null(e->causes));
		json_t *settings = parse_or_null(e->options);
		sp_option_settings_mask_secrets(settings); /* secrets never leave the engine */
		json_object_set_new(j, "option_settings", settings);
		json_object_set(j, "options", json_object_get(j, "option_settings"));
		json_object_set(j, "cluster", json_is_object(plan) && json_object_get(plan, "cluster")
						      ? json_object_get(plan, "cluster") : json_null());
		json_t *ls = json_is_object(plan) ? json_object_get(plan, "listeners") : NULL;
		json_object_set_new(j, "listeners", ls ? json_incref(ls) : json_array());
		json_t *rules = json_is_object(plan) ? json_object_get(plan, "securityGroupRules") : NULL;
		json_object_set_new(j, "security_group_rules",
				    rules ? json_incref(rules) : json_array());
		json_object_set_new(j, "plan", plan);
		json_object_set(j, "load_balancer", json_is_object(obs) && json_object_get(obs, "loadBalancer")
							    ? json_object_get(obs, "loadBalancer")
							    : json_null());
		json_object_set_new(j, "instances", instances_json(obs));
		json_object_set_new(j, "desired_instances", json_integer(e->instances));
	}
	json_decref(obs);
	return j;
}

static json_t *deployment_json(const struct sp_deployment *d)
{
	char id[32];
	snprintf(id, sizeof(id), "d-%lld", (long long)d->id);
	return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:s?,s:s?,s:o,s:o,s:o}", "deployment_id", id,
			 "environment", d->environment, "application", d->application, "kind",
			 sp_deploy_kind_name(d->kind), "version_label", d->version, "policy",
			 d->policy, "status", d->status, "cause", d->cause, "request_id",
			 d->request_id, "created", time_json(d->created_ms), "start",
			 time_json(d->start_ms), "end", time_json(d->end_ms));
}

/* --- request bodies -------------------------------------------------------------------- */

static struct sp_loc body_loc(const char *path)
{
	return (struct sp_loc){ "request", 0, 0, path };
}

static json_t *body_object(struct request *rq, enum MHD_Result *ret)
{
	json_error_t err;
	if (rq->body.len == 0)
		return json_object();
	json_t *j = json_loadb(rq->body.data, rq->body.len, JSON_REJECT_DUPLICATES, &err);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		*ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_JSON", NULL,
				 "the request body must be a JSON object%s%s", j ? "" : ": ",
				 j ? "" : err.text);
		return NULL;
	}
	return j;
}

static void check_keys(const json_t *obj, const char *const *known, size_t n,
		       struct sp_diags *d)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		bool ok = false;
		for (size_t i = 0; i < n && !ok; i++)
			ok = strcmp(key, known[i]) == 0;
		if (!ok) {
			char path[256], hint[160];
			const char *near = sp_suggest(key, known, n);
			snprintf(path, sizeof(path), "/%s", key);
			if (near)
				snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
			sp_diag_add(d, SP_SEV_ERROR, "API_UNKNOWN_FIELD", body_loc(path),
				    near ? hint : NULL, "unknown field \"%s\"", key);
		}
	}
}

static const char *string_field(const json_t *body, const char *key, struct sp_diags *d)
{
	json_t *v = json_object_get(body, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		char path[64];
		snprintf(path, sizeof(path), "/%s", key);
		sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(path), NULL,
			    "must be a string");
		return NULL;
	}
	return json_string_value(v);
}

/* option_settings: [{namespace, option_name, value}] as EB's API takes them; each value is
 * checked against the option schema (EBX_* diagnostics located in the request). The
 * normalised list (values as strings) goes to *out. */
static void option_settings_at(const json_t *v, const char *field, enum sp_opt_level level,
			       struct sp_diags *d, json_t **out)
{
	char fpath[64];
	snprintf(fpath, sizeof(fpath), "/%s", field);
	static const char *const keys[] = { "namespace", "option_name", "value" };
	struct sp_options *o = NULL;
	size_t i;
	json_t *s;
	*out = NULL;
	if (!json_is_array(v)) {
		sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(fpath),
			    "give [{\"namespace\": ..., \"option_name\": ..., \"value\": ...}]",
			    "must be a list of option settings");
		return;
	}
	if (json_array_size(v) > SP_MAX_ENV_OPTIONS) {
		sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(fpath),
			    NULL, "at most %d option settings are accepted", SP_MAX_ENV_OPTIONS);
		return;
	}
	if (sp_options_new(&o))
		return;
	json_t *norm = json_array();
	json_array_foreach(v, i, s) {
		char path[96], vbuf[64];
		snprintf(path, sizeof(path), "%s/%zu", fpath, i);
		if (!json_is_object(s)) {
			sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(path), NULL,
				    "must be an object {namespace, option_name, value}");
			continue;
		}
		const char *key;
		json_t *x;
		json_object_foreach(s, key, x) {
			bool ok = false;
			for (size_t k = 0; k < 3 && !ok; k++)
				ok = !strcmp(key, keys[k]);
			if (!ok) {
				char p2[160];
				snprintf(p2, sizeof(p2), "%s/%s", path, key);
				const char *near = sp_suggest(key, keys, 3);
				sp_diag_add(d, SP_SEV_ERROR, "API_UNKNOWN_FIELD", body_loc(p2),
					    near ? "check the spelling" : NULL,
					    "unknown field \"%s\"%s%s", key,
					    near ? "; did you mean " : "", near ? near : "");
			}
		}
		const char *ns = json_string_value(json_object_get(s, "namespace"));
		const char *name = json_string_value(json_object_get(s, "option_name"));
		json_t *val = json_object_get(s, "value");
		const char *value = NULL;
		if (json_is_string(val))
			value = json_string_value(val);
		else if (json_is_integer(val)) {
			snprintf(vbuf, sizeof(vbuf), "%lld", (long long)json_integer_value(val));
			value = vbuf;
		} else if (json_is_boolean(val))
			value = json_is_true(val) ? "true" : "false";
		if (!ns || !name || (!value && !json_is_null(val))) {
			sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(path), NULL,
				    "needs a string namespace, option_name and value");
			continue;
		}
		if (value && strlen(value) > SP_MAX_OPTION_VALUE) {
			sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(path), NULL,
				    "the value is longer than %d bytes", SP_MAX_OPTION_VALUE);
			continue;
		}
		if (value) {
			struct sp_diags mine;
			sp_diags_init(&mine);
			(void)sp_options_set(o, level, ns, name, value, body_loc(path), &mine);
			sp_diags_merge(d, &mine);
			sp_diags_free(&mine);
		}
		json_array_append_new(norm, json_pack("{s:s,s:s,s:s?}", "namespace", ns,
						      "option_name", name, "value", value));
	}
	sp_options_free(o);
	*out = norm;
}

static void option_settings(const json_t *v, struct sp_diags *d, json_t **out)
{
	option_settings_at(v, "option_settings", SP_OPT_LEVEL_API, d, out);
}

/* --- saved configurations (issue 5) ----------------------------------------------------
 * POST /environments takes an optional saved_option_settings list (same shape as
 * option_settings; `sprout create --cfg NAME` sends a saved configuration's OptionSettings
 * there). They are checked at the SAVED level and stored in the environment's options
 * BEFORE the create-time settings, each marked "source": "saved". The deploy sets every
 * stored setting at one level in array order, so a create-time setting (later) wins over a
 * saved one and both win over .ebextensions: EB's precedence. */
static json_t *saved_then_settings(const json_t *body, struct sp_diags *d, json_t *settings)
{
	json_t *v = json_object_get(body, "saved_option_settings"), *saved = NULL, *s;
	size_t i;
	if (!v)
		return settings;
	option_settings_at(v, "saved_option_settings", SP_OPT_LEVEL_SAVED, d, &saved);
	if (!saved)
		return settings;
	json_array_foreach(saved, i, s)
		json_object_set_new(s, "source", json_string("saved"));
	if (settings)
		json_array_extend(saved, settings);
	json_decref(settings);
	return saved;
}
/* --- end saved configurations --- */

/* option_settings, or "options" as the sprout CLI sends it. */
static json_t *settings_of(const json_t *body)
{
	json_t *v = json_object_get(body, "option_settings");
	return v ? v : json_object_get(body, "options");
}

static enum MHD_Result invalid(struct request *rq, const struct sp_diags *d)
{
	json_t *details = sp_diags_to_json(d);
	const struct sp_diag *first = NULL;
	for (size_t i = 0; i < d->n && !first; i++)
		if (d->items[i].severity == SP_SEV_ERROR)
			first = &d->items[i];
	enum MHD_Result ret = api_error(rq, MHD_HTTP_BAD_REQUEST,
					first && !strcmp(first->code, "API_UNKNOWN_FIELD")
						? "API_UNKNOWN_FIELD" : "API_INVALID_PARAMETER",
					details, "%s%s%s", first && first->path ? first->path : "",
					first && first->path && *first->path ? ": " : "",
					first ? first->message : "invalid request");
	json_decref(details);
	return ret;
}

static const char *driver_of(const json_t *settings)
{
	size_t i;
	json_t *s;
	const char *drv = NULL;
	json_array_foreach(settings, i, s) {
		const char *ns = json_string_value(json_object_get(s, "namespace"));
		const char *n = json_string_value(json_object_get(s, "option_name"));
		if (ns && n && !strcmp(ns, "sprout:driver") && !strcmp(n, "Driver"))
			drv = json_string_value(json_object_get(s, "value"));
	}
	return drv;
}

static enum MHD_Result not_ready(struct request *rq)
{
	return api_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "ENV_ENGINE_STARTING", NULL,
			 "the deployment engine is not running yet; try again in a moment");
}

static enum MHD_Result env_not_found(struct request *rq, const char *name)
{
	return api_error(rq, MHD_HTTP_NOT_FOUND, "ENV_NOT_FOUND", NULL,
			 "no environment named \"%s\"", name);
}

/* A version that cannot be deployed is refused at request time (PROCESSING is accepted:
 * the deployment waits for it). */
static enum MHD_Result check_version(struct request *rq, struct sp_store *st, const char *app,
				     const char *label, bool *ok)
{
	struct sp_version v;
	*ok = false;
	int rc = sp_store_version_get(st, app, label, false, &v);
	if (rc == SP_ENOTFOUND)
		return api_error(rq, MHD_HTTP_NOT_FOUND, "VERSION_NOT_FOUND", NULL,
				 "application \"%s\" has no version \"%s\"", app, label);
	if (rc)
		return api_store_error(rq, st, rc, "version");
	enum sp_version_status s = v.status;
	sp_version_free(&v);
	if (s == SP_VERSION_FAILED || s == SP_VERSION_UNPROCESSED)
		return api_error(rq, MHD_HTTP_CONFLICT, "ENV_VERSION_NOT_DEPLOYABLE", NULL,
				 "version \"%s\" is %s; only a PROCESSED version can be deployed",
				 label, sp_version_status_name(s));
	*ok = true;
	return MHD_YES;
}

/* --- handlers -------------------------------------------------------------------------- */

enum MHD_Result api_env_create(struct sp_api *api, struct request *rq)
{
	static const char *const keys[] = { "application", "name", "cname_prefix",
					    "version_label", "version", "description",
					    "option_settings", "options",
					    "saved_option_settings" /* saved configurations */ };
	enum MHD_Result ret = MHD_NO;
	struct sp_diags d;
	struct sp_env e = { 0 };
	json_t *settings = NULL;
	char *settings_txt = NULL;
	struct sp_store *st = NULL;
	const char *why;
	if (!api->deployer)
		return not_ready(rq);
	json_t *body = body_object(rq, &ret);
	if (!body)
		return ret;
	sp_diags_init(&d);
	check_keys(body, keys, sizeof(keys) / sizeof(keys[0]), &d);
	const char *app = string_field(body, "application", &d);
	const char *name = string_field(body, "name", &d);
	const char *cname = string_field(body, "cname_prefix", &d);
	const char *label = string_field(body, "version_label", &d);
	if (!label)
		label = string_field(body, "version", &d);
	const char *desc = string_field(body, "description", &d);
	if (!app)
		sp_diag_add(&d, SP_SEV_ERROR, "API_MISSING_PARAMETER", body_loc("/application"),
			    NULL, "the application is required");
	if (!name)
		sp_diag_add(&d, SP_SEV_ERROR, "API_MISSING_PARAMETER", body_loc("/name"),
			    "4-40 letters, digits and hyphens", "the environment name is required");
	else if ((why = sp_env_name_problem(name)))
		sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/name"),
			    "4-40 letters, digits and hyphens, not starting or ending with a hyphen",
			    "the environment name %s", why);
	if (cname && (why = sp_cname_prefix_problem(cname)))
		sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/cname_prefix"),
			    "4-63 letters, digits and hyphens, not starting or ending with a hyphen",
			    "the CNAME prefix %s", why);
	if (!label)
		sp_diag_add(&d, SP_SEV_ERROR, "API_MISSING_PARAMETER", body_loc("/version_label"),
			    "upload a version first (POST /api/v1/applications/APP/versions)",
			    "the version label is required");
	if (desc && (why = sp_description_problem(desc)))
		sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/description"),
			    NULL, "the description %s", why);
	if (settings_of(body))
		option_settings(settings_of(body), &d, &settings);
	settings = saved_then_settings(body, &d, settings); /* saved configurations */
	if (sp_diags_errors(&d)) {
		ret = invalid(rq, &d);
		goto out;
	}
	if (!(st = api_db_acquire(api))) {
		ret = api_store_error(rq, NULL, SP_EIO, "store");
		goto out;
	}
	struct sp_app a;
	int rc = sp_store_app_get(st, app, &a);
	if (rc) {
		ret = rc == SP_ENOTFOUND ? api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
						     "no application named \"%s\"", app)
					 : api_store_error(rq, st, rc, "application");
		goto out;
	}
	sp_app_free(&a);
	bool ok;
	ret = check_version(rq, st, app, label, &ok);
	if (!ok)
		goto out;
	settings_txt = settings ? json_dumps(settings, JSON_COMPACT) : NULL;
	struct sp_env_new in = { app, name, cname, desc, label, settings_txt,
				 driver_of(settings) };
	const char *which = NULL;
	rc = sp_store_env_insert(st, &in, rq->id, &which, &e);
	if (rc == SP_EEXISTS)
		ret = which && !strcmp(which, "cname")
			      ? api_error(rq, MHD_HTTP_CONFLICT, "ENV_CNAME_TAKEN", NULL,
					  "DNS name (%s.%s) is not available.", cname ? cname : name,
					  SP_CNAME_DOMAIN)
			      : api_error(rq, MHD_HTTP_CONFLICT, "ENV_EXISTS", NULL,
					  "Environment %s already exists.", name);
	else if (rc == SP_ENOTFOUND)
		ret = api_error(rq, MHD_HTTP_NOT_FOUND,
				which && !strcmp(which, "version") ? "VERSION_NOT_FOUND"
								   : "APP_NOT_FOUND",
				NULL, "no %s \"%s\"", which ? which : "application",
				which && !strcmp(which, "version") ? label : app);
	else if (rc)
		ret = api_store_error(rq, st, rc, "environment");
	else {
		sp_deployer_wake(api->deployer);
		api_events_changed(api);
		json_t *j = env_json(&e, true);
		struct sp_deployment *dl = NULL;
		size_t ndl = 0;
		if (j && sp_store_deployments_list(st, name, 1, &dl, &ndl) == 0 && ndl == 1) {
			char id[32];
			snprintf(id, sizeof(id), "d-%lld", (long long)dl[0].id);
			json_object_set_new(j, "deployment_id", json_string(id));
		}
		sp_deployment_list_free(dl, ndl);
		ret = api_json(rq, MHD_HTTP_ACCEPTED, j);
	}
out:
	sp_env_free(&e);
	free(settings_txt);
	json_decref(settings);
	api_db_release(api, st);
	sp_diags_free(&d);
	json_decref(body);
	return ret;
}

/* ?include_deleted=true (EB's IncludeDeleted) adds the environments terminated within
 * SP_STORE_TERMINATED_KEEP_MS, newest first, after the live ones. */
enum MHD_Result api_env_list(struct sp_api *api, struct request *rq)
{
	struct sp_env *v = NULL, *gone = NULL;
	size_t n = 0, ngone = 0;
	const char *app = api_query(rq, "application"), *del = api_query(rq, "include_deleted");
	bool deleted = del && (strcmp(del, "true") == 0 || strcmp(del, "1") == 0);
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	int rc = sp_store_env_list(st, app, &v, &n);
	if (!rc && deleted)
		rc = sp_store_env_list_terminated(st, app, 0, &gone, &ngone);
	enum MHD_Result ret;
	if (rc)
		ret = api_store_error(rq, st, rc, "environments");
	else {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, env_json(&v[i], false));
		for (size_t i = 0; i < ngone; i++)
			json_array_append_new(arr, env_json(&gone[i], false));
		ret = api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "environments", arr));
	}
	sp_env_list_free(v, n);
	sp_env_list_free(gone, ngone);
	api_db_release(api, st);
	return ret;
}

/* The live environment, else the newest snapshot of one of that name terminated within
 * SP_STORE_TERMINATED_KEEP_MS (status Terminated, health Grey, no instances). */
enum MHD_Result api_env_get(struct sp_api *api, struct request *rq)
{
	struct sp_env e;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	int rc = sp_store_env_get(st, rq->params[0], &e);
	if (rc == SP_ENOTFOUND)
		rc = sp_store_env_get_terminated(st, rq->params[0], 0, &e);
	enum MHD_Result ret;
	if (rc == SP_ENOTFOUND)
		ret = env_not_found(rq, rq->params[0]);
	else if (rc)
		ret = api_store_error(rq, st, rc, "environment");
	else {
		ret = api_json(rq, MHD_HTTP_OK, env_json(&e, true));
		sp_env_free(&e);
	}
	api_db_release(api, st);
	return ret;
}

static enum MHD_Result request_op(struct sp_api *api, struct request *rq, struct sp_store *st,
				  enum sp_deploy_kind kind, const char *label,
				  const char *options, int64_t instances)
{
	struct sp_deployment dep;
	const char *which = NULL;
	int rc = sp_store_env_request(st, rq->params[0], kind, label, options, instances, rq->id,
				      &which, &dep);
	if (rc == SP_ENOTFOUND)
		return which && !strcmp(which, "version")
			       ? api_error(rq, MHD_HTTP_NOT_FOUND, "VERSION_NOT_FOUND", NULL,
					   "the environment's application has no version \"%s\"",
					   label)
			       : env_not_found(rq, rq->params[0]);
	if (rc == SP_EINUSE)
		return api_error(rq, MHD_HTTP_CONFLICT, "ENV_NOT_READY", NULL,
				 "Environment named %s is in an invalid state for this operation."
				 " Must be Ready.", rq->params[0]);
	if (rc)
		return api_store_error(rq, st, rc, "environment");
	sp_deployer_wake(api->deployer);
	api_events_changed(api);
	json_t *j = deployment_json(&dep);
	sp_deployment_free(&dep);
	struct sp_env e;
	if (j && sp_store_env_get(st, rq->params[0], &e) == 0) {
		json_object_set_new(j, "environment_status", json_string(sp_env_status_name(e.status)));
		sp_env_free(&e);
	}
	return api_json(rq, MHD_HTTP_ACCEPTED, j);
}

enum MHD_Result api_env_update(struct sp_api *api, struct request *rq)
{
	static const char *const keys[] = { "version_label", "version", "option_settings",
					    "options", "options_to_remove", "instances" };
	enum MHD_Result ret = MHD_NO;
	struct sp_diags d;
	struct sp_env e = { 0 };
	json_t *settings = NULL;
	char *merged = NULL;
	struct sp_store *st = NULL;
	int64_t instances = -1;
	if (!api->deployer)
		return not_ready(rq);
	json_t *body = body_object(rq, &ret);
	if (!body)
		return ret;
	sp_diags_init(&d);
	check_keys(body, keys, sizeof(keys) / sizeof(keys[0]), &d);
	const char *label = string_field(body, "version_label", &d);
	if (!label)
		label = string_field(body, "version", &d);
	json_t *inst = json_object_get(body, "instances");
	if (inst) {
		if (json_is_integer(inst) && json_integer_value(inst) >= 1 &&
		    json_integer_value(inst) <= SP_DEPLOY_MAX_INSTANCES)
			instances = json_integer_value(inst);
		else
			sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/instances"),
				    NULL, "must be a whole number from 1 to %d",
				    SP_DEPLOY_MAX_INSTANCES);
	}
	if (settings_of(body))
		option_settings(settings_of(body), &d, &settings);
	json_t *rm = json_object_get(body, "options_to_remove");
	if (rm && !json_is_array(rm))
		sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/options_to_remove"),
			    NULL, "must be a list of {namespace, option_name}");
	else if (rm) {
		size_t i;
		json_t *x;
		if (!settings)
			settings = json_array();
		json_array_foreach(rm, i, x) {
			const char *ns = json_string_value(json_object_get(x, "namespace"));
			const char *on = json_string_value(json_object_get(x, "option_name"));
			if (ns && on)
				json_array_append_new(settings, json_pack("{s:s,s:s,s:n}", "namespace",
									  ns, "option_name", on, "value"));
			else
				sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER",
					    body_loc("/options_to_remove"), NULL,
					    "each item needs a string namespace and option_name");
		}
	}
	if (!label && !settings && instances < 0 && !sp_diags_errors(&d))
		sp_diag_add(&d, SP_SEV_ERROR, "API_MISSING_PARAMETER", body_loc(""),
			    "give version_label, option_settings or instances",
			    "nothing to update");
	if (sp_diags_errors(&d)) {
		ret = invalid(rq, &d);
		goto out;
	}
	if (!(st = api_db_acquire(api))) {
		ret = api_store_error(rq, NULL, SP_EIO, "store");
		goto out;
	}
	int rc = sp_store_env_get(st, rq->params[0], &e);
	if (rc) {
		ret = rc == SP_ENOTFOUND ? env_not_found(rq, rq->params[0])
					 : api_store_error(rq, st, rc, "environment");
		goto out;
	}
	if (label) {
		bool ok;
		ret = check_version(rq, st, e.application, label, &ok);
		if (!ok)
			goto out;
	}
	if (settings && sp_deploy_options_merge(e.options, settings, &merged)) {
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				"cannot merge the option settings");
		goto out;
	}
	ret = request_op(api, rq, st, label ? SP_DEPLOY_VERSION : SP_DEPLOY_CONFIG, label, merged,
			 instances);
out:
	free(merged);
	sp_env_free(&e);
	json_decref(settings);
	api_db_release(api, st);
	sp_diags_free(&d);
	json_decref(body);
	return ret;
}

static enum MHD_Result simple_op(struct sp_api *api, struct request *rq, enum sp_deploy_kind k)
{
	if (!api->deployer)
		return not_ready(rq);
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	enum MHD_Result ret = request_op(api, rq, st, k, NULL, NULL, -1);
	api_db_release(api, st);
	return ret;
}

enum MHD_Result api_env_restart(struct sp_api *api, struct request *rq)
{
	return simple_op(api, rq, SP_DEPLOY_RESTART);
}

enum MHD_Result api_env_terminate(struct sp_api *api, struct request *rq)
{
	return simple_op(api, rq, SP_DEPLOY_TERMINATE);
}

enum MHD_Result api_env_abort(struct sp_api *api, struct request *rq)
{
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	int rc = sp_store_env_abort(st, rq->params[0], rq->id);
	enum MHD_Result ret;
	if (rc == SP_ENOTFOUND)
		ret = env_not_found(rq, rq->params[0]);
	else if (rc == SP_EINVAL)
		ret = api_error(rq, MHD_HTTP_CONFLICT, "ENV_NOT_UPDATING", NULL,
				"environment \"%s\" has no update in progress to abort",
				rq->params[0]);
	else if (rc)
		ret = api_store_error(rq, st, rc, "environment");
	else {
		sp_deployer_wake(api->deployer);
		api_events_changed(api);
		ret = api_json(rq, MHD_HTTP_ACCEPTED, json_pack("{s:s,s:b}", "environment_name",
								rq->params[0], "abort_requested", 1));
	}
	api_db_release(api, st);
	return ret;
}

enum MHD_Result api_env_deployments(struct sp_api *api, struct request *rq)
{
	size_t limit, n = 0;
	int64_t token;
	enum MHD_Result ret = MHD_NO;
	struct sp_deployment *v = NULL;
	if (!api_page_params(rq, &limit, &token, &ret))
		return ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	struct sp_env e;
	int rc = sp_store_env_get(st, rq->params[0], &e);
	if (rc == SP_ENOTFOUND)
		ret = env_not_found(rq, rq->params[0]);
	else if (rc)
		ret = api_store_error(rq, st, rc, "environment");
	else {
		sp_env_free(&e);
		rc = sp_store_deployments_list(st, rq->params[0], limit, &v, &n);
		if (rc)
			ret = api_store_error(rq, st, rc, "deployments");
		else {
			json_t *arr = json_array();
			for (size_t i = 0; i < n; i++)
				json_array_append_new(arr, deployment_json(&v[i]));
			ret = api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "deployments", arr));
		}
	}
	sp_deployment_list_free(v, n);
	api_db_release(api, st);
	return ret;
}
