/* hooks_docker.c — the hook executor on the Docker Engine API: one container per step,
 * killed at its timeout, output kept (the tail), always removed (engine/hooks/hooks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/docker/docker.h"
#include "engine/hooks/hooks.h"
#include "engine/base/banned.h"

#define HOOK_KILL_WAIT_S 30   /* how long a killed container may take to be reaped */
#define HOOK_LOGS_TAIL "2000" /* lines asked for when the whole log is too big */

struct docker_exec {
	struct sp_hooks_executor exec; /* first: the executor handed out points here */
	struct sp_docker *docker;
	char *owner;
	bool pull_missing;
};

static json_t *strv(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *create_body(const struct docker_exec *x, const struct sp_hooks_exec *req)
{
	json_t *mounts = json_array();
	json_t *labels = json_pack("{s:s, s:s, s:s}", "sprout.hook", req->stage ? req->stage : "",
				   "sprout.hook.step", req->step ? req->step : "", "sprout.hook.instance",
				   req->instance_id ? req->instance_id : "");
	json_t *body = NULL;
	if (!mounts || !labels)
		goto fail;
	if (x->owner)
		json_object_set_new(labels, "sprout.owner", json_string(x->owner));
	for (size_t i = 0; i < req->n_mounts; i++) {
		json_t *m = json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source",
				      req->mounts[i].host_path, "Target", req->mounts[i].container_path,
				      "ReadOnly", req->mounts[i].read_only);
		if (!m || json_array_append_new(mounts, m) != 0)
			goto fail;
	}
	body = json_pack("{s:s, s:o, s:o, s:s, s:b, s:b, s:O, s:{s:o, s:b, s:b, s:s}}",
			 "Image", req->image, "Cmd", strv(req->argv, req->argc), "Env",
			 strv(req->env, req->n_env), "WorkingDir", req->workdir ? req->workdir : "/",
			 "Tty", 0, "OpenStdin", 0, "Labels", labels, "HostConfig", "Mounts", mounts,
			 "Init", 1, "Privileged", 0, "NetworkMode", "bridge");
	mounts = NULL; /* stolen by json_pack, even on failure */
fail:
	json_decref(mounts);
	json_decref(labels);
	return body;
}

/* Appends the last bytes of log that fit into out; sets *truncated when some did not. */
static int keep_tail(struct sp_buf *out, const struct sp_buf *log, bool *truncated)
{
	size_t max = out->max ? out->max : SP_BUF_DEFAULT_MAX;
	size_t room = max > out->len ? max - out->len : 0;
	size_t n = log->len;
	if (n > room) {
		*truncated = true;
		return sp_buf_append(out, log->data + (n - room), room);
	}
	return sp_buf_append(out, log->data ? log->data : "", n);
}

static int container_running(struct sp_docker *d, const char *id, long *exit_code)
{
	json_t *st = NULL;
	int running = -1;
	if (sp_docker_container_inspect(d, id, &st) == 0) {
		json_t *state = json_object_get(st, "State");
		running = json_is_true(json_object_get(state, "Running"));
		if (json_is_integer(json_object_get(state, "ExitCode")))
			*exit_code = (long)json_integer_value(json_object_get(state, "ExitCode"));
	}
	json_decref(st);
	return running;
}

static int docker_run(void *ctx, const struct sp_hooks_exec *req, struct sp_buf *output,
		      struct sp_hooks_exec_result *res, struct sp_buf *err)
{
	struct docker_exec *x = ctx;
	struct sp_buf log = SP_BUF_INIT(SP_DOCKER_MAX_LOGS);
	json_t *body = create_body(x, req);
	char *id = NULL, *name = NULL;
	unsigned char rnd[4] = { 0 };
	long code = -1;
	bool timed_out = false, truncated = false;
	int rc = SP_ENOMEM;

	if (!body)
		goto out;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	name = sp_aprintf("sprout-hook-%s-%02x%02x%02x%02x",
			  req->instance_id && *req->instance_id ? req->instance_id : "x", rnd[0],
			  rnd[1], rnd[2], rnd[3]);
	if (!name)
		goto out;
	rc = sp_docker_container_create(x->docker, name, body, &id);
	if (rc == SP_ENOTFOUND && x->pull_missing) {
		if (sp_docker_image_pull(x->docker, req->image, NULL) == 0)
			rc = sp_docker_container_create(x->docker, name, body, &id);
	}
	if (rc) {
		sp_buf_printf(err, "%s", sp_docker_last_error(x->docker));
		goto out;
	}
	rc = sp_docker_container_start(x->docker, id);
	if (rc) {
		sp_buf_printf(err, "%s", sp_docker_last_error(x->docker));
		goto out;
	}
	rc = sp_docker_container_wait(x->docker, id, "not-running", req->timeout_s, &code);
	if (rc != 0) {
		/* The wait ended without an answer: the timeout, or the daemon went away. */
		int running = container_running(x->docker, id, &code);
		if (running < 0) {
			sp_buf_printf(err, "waiting for the container: %s", sp_docker_last_error(x->docker));
			goto out;
		}
		if (running) {
			timed_out = true;
			(void)sp_docker_container_kill(x->docker, id, "SIGKILL");
			if (sp_docker_container_wait(x->docker, id, "not-running", HOOK_KILL_WAIT_S,
						     &code) != 0)
				code = 137;
		}
	}
	rc = sp_docker_container_logs(x->docker, id, false, NULL, NULL, false, &log);
	if (rc == SP_ETOOBIG) {
		sp_buf_reset(&log);
		truncated = true;
		rc = sp_docker_container_logs(x->docker, id, false, NULL, HOOK_LOGS_TAIL, false, &log);
	}
	if (rc) {
		sp_buf_printf(err, "reading the output: %s", sp_docker_last_error(x->docker));
		goto out;
	}
	rc = keep_tail(output, &log, &truncated);
	if (rc)
		goto out;
	res->exit_code = code;
	res->timed_out = timed_out;
	res->truncated = truncated;
out:
	/* Always removed; a daemon busy with the kill may refuse once ("removal in
	 * progress"), so try again after a moment. */
	if (id && sp_docker_container_remove(x->docker, id, true, true) != 0) {
		nanosleep(&(struct timespec){ 1, 0 }, NULL);
		(void)sp_docker_container_remove(x->docker, id, true, true);
	}
	json_decref(body);
	sp_buf_free(&log);
	free(id);
	free(name);
	return rc;
}

int sp_hooks_docker_executor_new(const struct sp_hooks_docker_options *o,
				 struct sp_hooks_executor **out)
{
	struct docker_exec *x = calloc(1, sizeof(*x));
	int rc = SP_ENOMEM;
	if (!x)
		return rc;
	rc = sp_docker_open(o ? o->socket : NULL, &x->docker);
	if (rc)
		goto fail;
	if (o && o->owner && !(x->owner = sp_strdup(o->owner))) {
		rc = SP_ENOMEM;
		goto fail;
	}
	x->pull_missing = o && o->pull_missing;
	x->exec.run = docker_run;
	x->exec.ctx = x;
	*out = &x->exec;
	return 0;
fail:
	sp_docker_close(x->docker);
	free(x);
	return rc;
}

void sp_hooks_docker_executor_free(struct sp_hooks_executor *e)
{
	struct docker_exec *x = (struct docker_exec *)e;
	if (!x)
		return;
	sp_docker_close(x->docker);
	free(x->owner);
	free(x);
}
