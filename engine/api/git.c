/* git.c — the hosted git repository of an application (docs/git.md, docs/api.md "Git"):
 *   GET    /api/v1/applications/{app}/git                   its state
 *   POST   /api/v1/applications/{app}/git                   enable (create, install hooks)
 *   PUT    /api/v1/applications/{app}/git/branches/{branch}  map a branch to an environment
 *   DELETE /api/v1/applications/{app}/git/branches/{branch}  remove the mapping
 * The repository and its settings are files (engine/gitrepo); the hooks that use them run
 * in the pusher's `git push`, not here. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/api/api_internal.h"
#include "engine/base/path.h"
#include "engine/gitrepo/gitrepo.h"
#include "engine/store/store_env.h"
#include "engine/base/banned.h"

#ifndef SPROUT_PREFIX
#define SPROUT_PREFIX "/usr/local"
#endif

/* The data dir as an absolute path (the hooks run elsewhere). */
static int data_dir_abs(struct sp_api *api, struct sp_buf *out)
{
	char *real = realpath(api->data_dir, NULL);
	if (!real)
		return SP_EIO;
	int rc = sp_buf_puts(out, real);
	free(real);
	return rc;
}

/* The URL the hooks reach this engine at: the listen address, with a wildcard address
 * replaced by loopback, and the port actually bound. */
static int hook_endpoint(struct sp_api *api, struct sp_buf *out)
{
	struct sp_buf addr = SP_BUF_INIT(256);
	uint16_t port = 0;
	int rc = sp_listen_parse(api->cfg.listen ? api->cfg.listen : SP_API_DEFAULT_LISTEN, &addr,
				 &port);
	if (rc == 0) {
		const char *a = sp_buf_cstr(&addr);
		if (!*a || strcmp(a, "0.0.0.0") == 0)
			a = "127.0.0.1";
		else if (strcmp(a, "::") == 0)
			a = "::1";
		rc = sp_buf_printf(out, strchr(a, ':') ? "http://[%s]:%u" : "http://%s:%u", a,
				   (unsigned)api->port);
	}
	sp_buf_free(&addr);
	return rc;
}

/* 0 when the application exists; otherwise the response is queued in *ret. */
static int app_exists(struct sp_api *api, struct request *rq, enum MHD_Result *ret)
{
	struct sp_store *st = api_db_acquire(api);
	struct sp_app a;
	if (!st) {
		*ret = api_store_error(rq, NULL, SP_EIO, "store");
		return -1;
	}
	int rc = sp_store_app_get(st, rq->params[0], &a);
	if (rc == 0)
		sp_app_free(&a);
	else if (rc == SP_ENOTFOUND)
		*ret = api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
				 "no application named \"%s\"", rq->params[0]);
	else
		*ret = api_store_error(rq, st, rc, "application");
	api_db_release(api, st);
	return rc ? -1 : 0;
}

static void add_event(struct sp_api *api, struct request *rq, const char *env, const char *msg)
{
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return;
	if (sp_store_event_add(st, SP_EVENT_INFO, rq->params[0], env, NULL, rq->id, msg) == 0)
		api_events_changed(api);
	api_db_release(api, st);
}

/* {application, enabled, path, endpoint, branches: [{branch, environment}]} */
static json_t *state_json(const char *app, const char *repo, const struct sp_gitrepo_conf *c)
{
	json_t *j = json_pack("{s:s,s:b}", "application", app, "enabled", c != NULL);
	if (!j || !c)
		return j;
	json_t *br = json_array();
	for (size_t i = 0; br && i < c->n_maps; i++)
		json_array_append_new(br, json_pack("{s:s,s:s}", "branch", c->maps[i].branch,
						    "environment", c->maps[i].environment));
	json_object_set_new(j, "path", json_string(repo));
	json_object_set_new(j, "endpoint", c->endpoint ? json_string(c->endpoint) : json_null());
	json_object_set_new(j, "branches", br ? br : json_array());
	return j;
}

static enum MHD_Result state_response(struct sp_api *api, struct request *rq, unsigned status)
{
	struct sp_buf dir = SP_BUF_INIT(SP_PATH_MAX), repo = SP_BUF_INIT(SP_PATH_MAX);
	struct sp_gitrepo_conf c = { 0 };
	enum MHD_Result ret = MHD_NO;
	int rc = data_dir_abs(api, &dir);
	if (!rc)
		rc = sp_gitrepo_path(sp_buf_cstr(&dir), rq->params[0], &repo);
	if (!rc) {
		rc = sp_gitrepo_conf_load(sp_buf_cstr(&repo), &c);
		if (rc == 0)
			ret = api_json(rq, status, state_json(rq->params[0], sp_buf_cstr(&repo), &c));
		else if (rc == SP_ENOTFOUND)
			ret = api_json(rq, status, state_json(rq->params[0], NULL, NULL));
	}
	if (rc && rc != SP_ENOTFOUND)
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				"cannot read the repository's settings: %s", sp_strerror(rc));
	sp_gitrepo_conf_free(&c);
	sp_buf_free(&dir);
	sp_buf_free(&repo);
	return ret;
}

enum MHD_Result api_git_get(struct sp_api *api, struct request *rq)
{
	enum MHD_Result ret;
	if (app_exists(api, rq, &ret))
		return ret;
	return state_response(api, rq, MHD_HTTP_OK);
}

enum MHD_Result api_git_enable(struct sp_api *api, struct request *rq)
{
	struct sp_buf dir = SP_BUF_INIT(SP_PATH_MAX), repo = SP_BUF_INIT(SP_PATH_MAX),
		      hooks = SP_BUF_INIT(SP_PATH_MAX), ep = SP_BUF_INIT(512),
		      msg = SP_BUF_INIT(2048);
	enum MHD_Result ret;
	char exe[PATH_MAX];
	bool created = false;
	if (app_exists(api, rq, &ret))
		return ret;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	int rc = data_dir_abs(api, &dir);
	if (!rc)
		rc = sp_gitrepo_path(sp_buf_cstr(&dir), rq->params[0], &repo);
	if (!rc)
		rc = hook_endpoint(api, &ep);
	if (rc) {
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				"cannot name the repository: %s", sp_strerror(rc));
		goto out;
	}
	if (n <= 0 || sp_gitrepo_hooks_dir_resolve(exe, &hooks) != 0) {
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "GIT_HOOKS_MISSING", NULL,
				"the git hook templates (platform-hooks/git) are not installed next"
				" to %s nor in " SPROUT_PREFIX "/share/sprout/platform-hooks/git;"
				" run `make install` again", n > 0 ? exe : "the sprout binary");
		goto out;
	}
	struct sp_gitrepo_setup s = {
		.repo = sp_buf_cstr(&repo), .application = rq->params[0],
		.endpoint = sp_buf_cstr(&ep), .data_dir = sp_buf_cstr(&dir), .sprout_bin = exe,
		.hooks_dir = sp_buf_cstr(&hooks),
	};
	rc = sp_gitrepo_enable(&s, &created, &msg);
	if (rc) {
		api_log(api, "%s git enable %s: %s", rq->id, rq->params[0],
			msg.len ? sp_buf_cstr(&msg) : sp_strerror(rc));
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "GIT_ENABLE_FAILED", NULL,
				"cannot set up the repository: %s",
				msg.len ? sp_buf_cstr(&msg) : sp_strerror(rc));
		goto out;
	}
	if (created) {
		char *m = sp_aprintf("Git repository %s created; pushes to it are validated and"
				     " deployed.", sp_buf_cstr(&repo));
		if (m)
			add_event(api, rq, NULL, m);
		free(m);
	}
	ret = state_response(api, rq, created ? MHD_HTTP_CREATED : MHD_HTTP_OK);
out:
	sp_buf_free(&dir);
	sp_buf_free(&repo);
	sp_buf_free(&hooks);
	sp_buf_free(&ep);
	sp_buf_free(&msg);
	return ret;
}

/* The repository's path, or a queued 404 GIT_NOT_ENABLED / 500. */
static int enabled_repo(struct sp_api *api, struct request *rq, struct sp_buf *repo,
			enum MHD_Result *ret)
{
	struct sp_buf dir = SP_BUF_INIT(SP_PATH_MAX);
	struct sp_gitrepo_conf c = { 0 };
	int rc = data_dir_abs(api, &dir);
	if (!rc)
		rc = sp_gitrepo_path(sp_buf_cstr(&dir), rq->params[0], repo);
	if (!rc)
		rc = sp_gitrepo_conf_load(sp_buf_cstr(repo), &c);
	if (rc == SP_ENOTFOUND)
		*ret = api_error(rq, MHD_HTTP_NOT_FOUND, "GIT_NOT_ENABLED", NULL,
				 "application \"%s\" has no git repository; enable it first"
				 " (sprout git enable %s)", rq->params[0], rq->params[0]);
	else if (rc)
		*ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				 "cannot read the repository's settings: %s", sp_strerror(rc));
	sp_gitrepo_conf_free(&c);
	sp_buf_free(&dir);
	return rc ? -1 : 0;
}

static enum MHD_Result bad_branch(struct request *rq, const char *why)
{
	return api_error(rq, MHD_HTTP_BAD_REQUEST, "GIT_BRANCH_INVALID", NULL,
			 "the branch name \"%s\" %s", rq->params[1], why);
}

enum MHD_Result api_git_branch_put(struct sp_api *api, struct request *rq)
{
	struct sp_buf repo = SP_BUF_INIT(SP_PATH_MAX);
	enum MHD_Result ret;
	json_t *body = NULL;
	const char *why, *env;
	bool env_exists = false;
	if ((why = sp_git_branch_problem(rq->params[1])))
		return bad_branch(rq, why);
	if (app_exists(api, rq, &ret))
		return ret;
	body = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, JSON_REJECT_DUPLICATES,
			  NULL);
	env = json_string_value(json_object_get(body, "environment"));
	if (!json_is_object(body)) {
		ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_JSON", NULL,
				"the request body must be a JSON object {\"environment\": NAME}");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "environment") != 0) {
			ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_UNKNOWN_FIELD", NULL,
					"unknown field \"%s\" (the body is {\"environment\": NAME})",
					key);
			goto out;
		}
	}
	if (!env) {
		ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_MISSING_PARAMETER", NULL,
				"the field environment (a string) is required");
		goto out;
	}
	if ((why = sp_env_name_problem(env))) {
		ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				"/environment: the environment name %s", why);
		goto out;
	}
	struct sp_store *st = api_db_acquire(api);
	if (!st) {
		ret = api_store_error(rq, NULL, SP_EIO, "store");
		goto out;
	}
	struct sp_env e;
	int rc = sp_store_env_get(st, env, &e);
	if (rc == 0) {
		bool other = strcmp(e.application, rq->params[0]) != 0;
		if (other)
			ret = api_error(rq, MHD_HTTP_CONFLICT, "GIT_ENV_OTHER_APP", NULL,
					"environment \"%s\" belongs to application \"%s\", not \"%s\"",
					env, e.application, rq->params[0]);
		sp_env_free(&e);
		env_exists = true;
		if (other) {
			api_db_release(api, st);
			goto out;
		}
	} else if (rc != SP_ENOTFOUND) {
		ret = api_store_error(rq, st, rc, "environment");
		api_db_release(api, st);
		goto out;
	}
	api_db_release(api, st);
	if (enabled_repo(api, rq, &repo, &ret))
		goto out;
	rc = sp_gitrepo_set_branch(sp_buf_cstr(&repo), rq->params[1], env);
	if (rc == SP_ETOOBIG) {
		ret = api_error(rq, MHD_HTTP_CONFLICT, "GIT_TOO_MANY_BRANCHES", NULL,
				"at most %d branches can be mapped", MAX_GIT_BRANCH_MAPS);
		goto out;
	}
	if (rc) {
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				"cannot write the repository's settings: %s", sp_strerror(rc));
		goto out;
	}
	char *m = sp_aprintf("Git branch %s now deploys to environment %s.", rq->params[1], env);
	if (m)
		add_event(api, rq, env_exists ? env : NULL, m);
	free(m);
	ret = api_json(rq, MHD_HTTP_OK,
		       json_pack("{s:s,s:s,s:s,s:b}", "application", rq->params[0], "branch",
				 rq->params[1], "environment", env, "environment_exists",
				 env_exists));
out:
	json_decref(body);
	sp_buf_free(&repo);
	return ret;
}

enum MHD_Result api_git_branch_delete(struct sp_api *api, struct request *rq)
{
	struct sp_buf repo = SP_BUF_INIT(SP_PATH_MAX);
	enum MHD_Result ret;
	const char *why;
	if ((why = sp_git_branch_problem(rq->params[1])))
		return bad_branch(rq, why);
	if (app_exists(api, rq, &ret))
		return ret;
	if (enabled_repo(api, rq, &repo, &ret))
		goto out;
	int rc = sp_gitrepo_set_branch(sp_buf_cstr(&repo), rq->params[1], NULL);
	if (rc == SP_ENOTFOUND)
		ret = api_error(rq, MHD_HTTP_NOT_FOUND, "GIT_BRANCH_NOT_MAPPED", NULL,
				"branch \"%s\" is not mapped to an environment", rq->params[1]);
	else if (rc)
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				"cannot write the repository's settings: %s", sp_strerror(rc));
	else
		ret = api_json(rq, MHD_HTTP_OK,
			       json_pack("{s:s,s:s,s:b}", "application", rq->params[0], "branch",
					 rq->params[1], "deleted", 1));
out:
	sp_buf_free(&repo);
	return ret;
}
