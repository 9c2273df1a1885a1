/* cmd_status.c — `sprout status [ENV]`, and what the environment commands share:
 * finding the environment (argument, else the branch's default in config.yml), the API
 * paths of /environments, describing one, and sending an operation then following the
 * environment's events until it ends (exit 0, 3 when the deployment failed, 4 on
 * --timeout). The engine's routes are in docs/api.md, "Environments". */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/project/project.h"
#include "engine/base/banned.h"

#define ENV_FOLLOW_SLICE_MS 5000 /* the environment is asked for its state at least this often */

/* --- finding the environment ------------------------------------------------------------ */

int sp_cli_env_open(const char *cmd, const struct sp_cli_conn *conn, const char *env_arg,
		    bool need_env, struct sp_cli_env_ctx *x)
{
	struct sp_git_info g = { 0 };
	int ret;
	memset(x, 0, sizeof(*x));
	x->cmd = cmd;
	/* A project is needed for the default environment and the application; with both
	 * given on the command line any folder will do. */
	bool must = !(conn->app && (env_arg || !need_env));
	if ((ret = sp_cli_project_open(cmd, must, &x->project)))
		return ret;
	ret = SP_EXIT_FAILED;
	if (sp_project_git(".", &g))
		goto oom;
	if (!(x->branch = sp_strdup(g.branch ? g.branch : SP_PROJECT_DEFAULT_BRANCH)))
		goto oom;
	const char *app = conn->app ? conn->app : sp_project_application(x->project);
	if (!app) {
		fprintf(stderr, "sprout %s: " SP_PROJECT_CONFIG " names no application"
				" (global.application_name)\n  hint: run `sprout init APP`\n", cmd);
		goto out;
	}
	if (!(x->app = sp_strdup(app)))
		goto oom;
	const char *def = sp_project_branch_get(x->project, x->branch, "environment");
	if (def && !(x->default_env = sp_strdup(def)))
		goto oom;
	const char *env = env_arg ? env_arg : def;
	if (need_env && !env) {
		fprintf(stderr, "sprout %s: no environment for branch \"%s\"\n"
				"  hint: name one (`sprout %s ENV`) or make it the branch's default"
				" with `sprout use ENV`\n", cmd, x->branch, cmd);
		goto out;
	}
	if (env && !(x->env = sp_strdup(env)))
		goto oom;
	if ((ret = sp_cli_client_open(cmd, conn->endpoint, conn->token, x->project, &x->client)))
		goto out;
	ret = SP_EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "sprout %s: out of memory\n", cmd);
	ret = SP_EXIT_FAILED;
out:
	sp_git_info_free(&g);
	if (ret)
		sp_cli_env_close(x);
	return ret;
}

void sp_cli_env_close(struct sp_cli_env_ctx *x)
{
	sp_client_free(x->client);
	sp_project_free(x->project);
	free(x->app);
	free(x->env);
	free(x->default_env);
	free(x->branch);
	memset(x, 0, sizeof(*x));
}

int sp_cli_env_path(const char *env, const char *suffix, struct sp_buf *out)
{
	int rc = sp_buf_puts(out, "/environments");
	if (!rc && env)
		rc = sp_client_path_segment(out, env);
	if (!rc && suffix)
		rc = sp_buf_puts(out, suffix);
	return rc;
}

/* Prints an API error, with a hint when the environment does not exist. */
static int env_api_error(struct sp_cli_env_ctx *x, const struct sp_client_error *e)
{
	int ret = sp_cli_api_error(x->cmd, x->client, e);
	if (e->status == 404 && e->code && strcmp(e->code, "ENV_NOT_FOUND") == 0)
		fprintf(stderr, "  hint: `sprout list` shows the application's environments;"
				" `sprout create %s` makes it\n", x->env ? x->env : "ENV");
	return ret;
}

int sp_cli_env_request(struct sp_cli_env_ctx *x, const char *method, const char *suffix,
		       const json_t *body, const char *request_id, json_t **out)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	int ret = SP_EXIT_FAILED;
	sp_client_error_init(&err);
	if (sp_cli_env_path(x->env, suffix, &path)) {
		fprintf(stderr, "sprout %s: the environment name is too long\n", x->cmd);
		goto out;
	}
	if (sp_client_request(x->client, method, sp_buf_cstr(&path), body, request_id, out, &err)) {
		ret = env_api_error(x, &err);
		goto out;
	}
	ret = SP_EXIT_OK;
out:
	sp_client_error_free(&err);
	sp_buf_free(&path);
	return ret;
}

int sp_cli_env_describe(struct sp_cli_env_ctx *x, json_t **out)
{
	int ret = sp_cli_env_request(x, "GET", NULL, NULL, NULL, out);
	if (ret == SP_EXIT_OK)
		sp_cli_mask_secrets(*out);
	return ret;
}

const char *sp_cli_json_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

void sp_cli_print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	fflush(stdout);
}

/* "Green" in its colour on a terminal. */
void sp_cli_put_health(FILE *f, const char *health)
{
	const char *col = NULL;
	if (!health || !*health)
		health = "Grey";
	if (sp_want_color(fileno(f))) {
		if (strcmp(health, "Green") == 0)
			col = "\033[32m";
		else if (strcmp(health, "Yellow") == 0)
			col = "\033[33m";
		else if (strcmp(health, "Red") == 0)
			col = "\033[31m";
		else
			col = "\033[90m";
	}
	fprintf(f, "%s%s%s", col ? col : "", health, col ? "\033[0m" : "");
}

/* --- following an operation -------------------------------------------------------------- */

struct env_follow {
	struct sp_cli_env_ctx *x;
	const struct sp_cli_env_op *op;
	const char *deployment_id;  /* the deployment to judge; NULL: the newest */
	int64_t last_id;
	char status[32];            /* the environment's */
	char dstatus[32];           /* the deployment's: Pending, InProgress, Succeeded, ... */
	char *cause;
	bool gone, failed;
	struct sp_client_error err;
};

static int follow_on_event(void *arg, const json_t *ev)
{
	struct env_follow *w = arg;
	json_t *id = json_object_get(ev, "id");
	if (json_is_integer(id) && json_integer_value(id) <= w->last_id)
		return 0;
	if (json_is_integer(id))
		w->last_id = json_integer_value(id);
	sp_cli_print_event(ev, w->op->json ? stderr : stdout, false);
	return 0;
}

static bool status_settled(const char *st, bool terminate)
{
	if (terminate)
		return strcmp(st, "Terminated") == 0;
	return strcmp(st, "Ready") == 0 || strcmp(st, "Terminated") == 0;
}

static bool deployment_ended(const char *st)
{
	return strcmp(st, "Succeeded") == 0 || strcmp(st, "Failed") == 0 ||
	       strcmp(st, "Aborted") == 0;
}

/* The engine's record of the deployment the request queued (by id, else the newest). */
static int fetch_deployment(struct env_follow *w)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	json_t *resp = NULL, *mine = NULL, *d;
	size_t i;
	int rc = sp_cli_env_path(w->x->env, "/deployments?limit=20", &path);
	if (!rc)
		rc = sp_client_request(w->x->client, "GET", sp_buf_cstr(&path), NULL, NULL, &resp,
				       &w->err);
	sp_buf_free(&path);
	if (rc)
		return rc;
	json_t *list = json_object_get(resp, "deployments");
	json_array_foreach(list, i, d) {
		if (w->deployment_id &&
		    strcmp(sp_cli_json_str(d, "deployment_id"), w->deployment_id) == 0) {
			mine = d;
			break;
		}
	}
	if (!mine && !w->deployment_id)
		mine = json_array_get(list, 0);
	snprintf(w->dstatus, sizeof(w->dstatus), "%s", mine ? sp_cli_json_str(mine, "status") : "");
	const char *c = mine ? json_string_value(json_object_get(mine, "cause")) : NULL;
	free(w->cause);
	w->cause = c ? sp_strdup(c) : NULL;
	json_decref(resp);
	return 0;
}

/* 1 once the operation's deployment ended and the environment settled (a rollback the
 * engine queued by itself after a failure is waited for too). */
static int follow_check(void *arg)
{
	struct env_follow *w = arg;
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	json_t *e = NULL;
	int rc;
	sp_client_error_free(&w->err);
	sp_client_error_init(&w->err);
	if (sp_cli_env_path(w->x->env, NULL, &path)) {
		sp_buf_free(&path);
		return -1;
	}
	rc = sp_client_request(w->x->client, "GET", sp_buf_cstr(&path), NULL, NULL, &e, &w->err);
	sp_buf_free(&path);
	if (rc == SP_ENOTFOUND && w->op->terminate) {
		w->gone = true;
		return 1;
	}
	if (rc) {
		w->failed = true;
		return -1;
	}
	snprintf(w->status, sizeof(w->status), "%s", sp_cli_json_str(e, "status"));
	json_decref(e);
	if (!status_settled(w->status, w->op->terminate))
		return 0;
	if (w->op->terminate)
		return 1;
	if (fetch_deployment(w)) {
		w->failed = true;
		return -1;
	}
	return deployment_ended(w->dstatus) || !w->dstatus[0];
}

static bool follow_interrupted(void *arg)
{
	sigset_t p;
	(void)arg;
	return sigpending(&p) == 0 && (sigismember(&p, SIGINT) || sigismember(&p, SIGTERM));
}

int sp_cli_env_operate(struct sp_cli_env_ctx *x, const struct sp_cli_env_op *op, json_t **final)
{
	struct env_follow w = { .x = x, .op = op };
	struct sp_client_error err;
	json_t *resp = NULL, *e = NULL;
	char rid[48];
	int64_t since = 0;
	int ret = SP_EXIT_FAILED;
	sp_client_error_init(&err);
	sp_client_error_init(&w.err);
	if (final)
		*final = NULL;
	if (sp_client_events_newest_id(x->client, &since, &err)) {
		ret = sp_cli_api_error(x->cmd, x->client, &err);
		goto out;
	}
	sp_client_new_request_id(rid);
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	int rc = op->create ? sp_cli_env_path(NULL, NULL, &path)
			    : sp_cli_env_path(x->env, op->suffix, &path);
	if (!rc)
		rc = sp_client_request(x->client, op->method, sp_buf_cstr(&path), op->body, rid,
				       &resp, &err);
	sp_buf_free(&path);
	if (rc) {
		ret = env_api_error(x, &err);
		if (err.status == 409 && err.code && strcmp(err.code, "ENV_NOT_READY") == 0)
			fprintf(stderr, "  hint: wait for the operation in progress (sprout events -f"
					" --env %s), or stop it with `sprout abort %s`\n", x->env, x->env);
		goto out;
	}
	/* An update answers with the deployment it queued; a launch with the environment
	 * (its launch is the newest deployment); abort with neither (the newest again). */
	w.deployment_id = json_string_value(json_object_get(resp, "deployment_id"));
	if (op->started)
		fprintf(op->json ? stderr : stdout, "%s\n", op->started);
	fflush(stdout);
	if (op->nohang) {
		sp_cli_mask_secrets(resp);
		if (op->json)
			sp_cli_print_json(resp);
		ret = SP_EXIT_OK;
		goto out;
	}

	/* Follow the environment's events in slices, asking for its state between them,
	 * so an end that no event announces is still seen. */
	w.last_id = since;
	int64_t deadline = sp_client_mono_ms() + op->timeout_s * 1000;
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	enum sp_follow_end end = SP_FOLLOW_TIMEOUT;
	rc = 0;
	for (bool first = true; rc == 0; first = false) {
		int64_t now = sp_client_mono_ms();
		if (now >= deadline)
			break;
		int64_t slice = now + ENV_FOLLOW_SLICE_MS;
		struct sp_event_follow f = {
			.environment = x->env, .since_id = w.last_id,
			.deadline_ms = slice < deadline ? slice : deadline,
			.on_event = follow_on_event, .check = follow_check, .check_first = !first,
			.interrupted = follow_interrupted, .arg = &w,
		};
		rc = sp_client_events_follow(x->client, &f, &end, &err);
		if (rc || end != SP_FOLLOW_TIMEOUT)
			break;
		if (follow_check(&w) != 0) { /* the slice's end: ask once more */
			rc = w.failed ? -1 : 0;
			end = SP_FOLLOW_DONE;
			break;
		}
	}
	struct timespec zero = { 0, 0 };
	while (follow_interrupted(NULL) && sigtimedwait(&set, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		ret = env_api_error(x, w.failed ? &w.err : &err);
		goto out;
	}
	if (end == SP_FOLLOW_INTERRUPTED) {
		fprintf(stderr, "sprout %s: stopped waiting; the engine goes on with \"%s\""
				" (sprout events -f --env %s)\n", x->cmd, x->env, x->env);
		goto out;
	}
	if (end == SP_FOLLOW_TIMEOUT) {
		fprintf(stderr, "sprout %s: the %s of \"%s\" did not end within %ld s (status %s);"
				" the engine goes on (sprout events -f --env %s)\n", x->cmd,
			op->what ? op->what : "operation", x->env, op->timeout_s,
			w.status[0] ? w.status : "unknown", x->env);
		ret = SP_EXIT_TIMEOUT;
		goto out;
	}
	if (w.gone || (op->terminate && strcmp(w.status, "Terminated") == 0)) {
		sp_cli_mask_secrets(resp);
		if (op->json)
			sp_cli_print_json(resp);
		else
			printf("Environment \"%s\" is terminated.\n", x->env);
		ret = SP_EXIT_OK;
		goto out;
	}
	if ((ret = sp_cli_env_describe(x, &e)))
		goto out;
	if (op->json)
		sp_cli_print_json(e);
	if (strcmp(w.dstatus, "Failed") == 0 || (strcmp(w.dstatus, "Aborted") == 0 && !op->abort)) {
		fprintf(stderr, "sprout %s: the %s of \"%s\" %s%s%s\n", x->cmd,
			op->what ? op->what : "operation", x->env,
			w.dstatus[0] == 'F' ? "failed" : "was aborted", w.cause ? ": " : "",
			w.cause ? w.cause : "");
		ret = SP_EXIT_DEPLOY_FAILED;
	} else {
		if (!op->json) {
			if (op->abort)
				printf("The update of \"%s\" was %s.\n", x->env,
				       strcmp(w.dstatus, "Aborted") == 0 ? "aborted"
									: "already over");
			printf("Environment \"%s\" is %s, health ", x->env, sp_cli_json_str(e, "status"));
			sp_cli_put_health(stdout, sp_cli_json_str(e, "health"));
			const char *v = json_string_value(json_object_get(e, "version_label"));
			printf(", running %s%s%s.\n", v ? "\"" : "", v ? v : "no version", v ? "\"" : "");
		}
		ret = SP_EXIT_OK;
	}
	if (final) {
		*final = e;
		e = NULL;
	}
out:
	json_decref(e);
	free(w.cause);
	json_decref(resp);
	sp_client_error_free(&err);
	sp_client_error_free(&w.err);
	return ret;
}

/* --- sprout status ----------------------------------------------------------------------- */

static void row(const char *k, const char *v)
{
	printf("  %-18s %s\n", k, v && *v ? v : "-");
}

int cmd_status(int argc, char **argv)
{
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	json_t *e = NULL;
	int ret;
	if ((ret = sp_cli_env_parse_options("status", argc, argv, 0, &a)) ||
	    (ret = sp_cli_env_open_described("status", &a, argc, argv, &x, &e)))
		return ret;
	if (a.json) {
		sp_cli_print_json(e);
		goto out;
	}
	char buf[64];
	printf("Environment details for: %s\n", sp_cli_json_str(e, "environment_name"));
	row("Application name:", sp_cli_json_str(e, "application"));
	row("Deployed Version:", sp_cli_json_str(e, "version_label"));
	row("Last good version:", sp_cli_json_str(e, "last_good_version"));
	row("Environment ID:", sp_cli_json_str(e, "environment_id"));
	row("Task definition:", sp_cli_json_str(e, "task_definition"));
	row("Driver:", sp_cli_json_str(e, "driver"));
	row("Tier:", "WebServer-Standard-1.0");
	row("CNAME:", sp_cli_json_str(e, "cname"));
	row("URL:", sp_cli_json_str(e, "url"));
	row("Updated:", sp_cli_json_str(e, "updated"));
	row("Status:", sp_cli_json_str(e, "status"));
	printf("  %-18s ", "Health:");
	sp_cli_put_health(stdout, sp_cli_json_str(e, "health"));
	putchar('\n');
	json_t *inst = json_object_get(e, "instances");
	snprintf(buf, sizeof(buf), "%zu", json_array_size(inst));
	row("Instances:", buf);
out:
	json_decref(e);
	sp_cli_env_close(&x);
	return ret;
}
