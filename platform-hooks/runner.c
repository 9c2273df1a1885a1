/* runner.c — runs a hook plan's steps on one instance through an executor (runner.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "platform-hooks/runner.h"
#include "engine/base/banned.h"

struct sp_hooks_report {
	struct sp_hook_step_result *items;
	size_t n, cap;
	size_t failed; /* index into items, SIZE_MAX when none */
};

static const char *const outcome_names[] = {
	"ok", "failed", "failed (ignored)", "timed out", "not started", "skipped (test)",
	"skipped (not leader)",
};

const char *sp_hook_outcome_name(enum sp_hook_outcome o)
{
	return (size_t)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o] : "?";
}

void sp_hooks_report_free(struct sp_hooks_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].output);
		free(r->items[i].message);
	}
	free(r->items);
	free(r);
}

size_t sp_hooks_report_count(const struct sp_hooks_report *r)
{
	return r ? r->n : 0;
}

const struct sp_hook_step_result *sp_hooks_report_at(const struct sp_hooks_report *r, size_t i)
{
	return r && i < r->n ? &r->items[i] : NULL;
}

const struct sp_hook_step_result *sp_hooks_report_failure(const struct sp_hooks_report *r)
{
	return r && r->failed != SIZE_MAX ? &r->items[r->failed] : NULL;
}

int sp_hooks_output_tail(const struct sp_hook_step_result *r, size_t lines, struct sp_buf *out)
{
	const char *s = r->output ? r->output : "";
	size_t n = r->output_len;
	while (n && s[n - 1] == '\n')
		n--;
	size_t start = n, seen = 0;
	while (start > 0) {
		if (s[start - 1] == '\n' && ++seen == lines)
			break;
		start--;
	}
	return sp_buf_append(out, s + start, n - start);
}

/* ---- one run ---- */

struct run {
	const struct sp_hook_plan *plan;
	const struct sp_hooks_instance *inst;
	const struct sp_hooks_run_options *o;
	long timeout_s;
	int logfd;
};

static const char *default_cwd(enum sp_hook_stage s)
{
	switch (s) {
	case SP_HOOK_STAGE_COMMANDS:
		return "/";
	case SP_HOOK_STAGE_POSTDEPLOY:
		return "/var/app/current";
	default:
		return "/var/app/staging";
	}
}

/* The `files` this plan wrote outside /var/app, as regular files reachable from the root
 * without a symlink: each is bind-mounted at its own path. */
static int file_mounts(struct run *run, struct sp_hooks_mount *m, char **paths, size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; i < sp_hook_plan_count(run->plan) && k < MAX_HOOK_MOUNTS; i++) {
		const struct sp_hook_step *s = sp_hook_plan_step(run->plan, i);
		int fd;
		if (s->stage != SP_HOOK_STAGE_FILES || s->file.symlink || !s->file.rel ||
		    strncmp(s->file.rel, "var/app/", 8) == 0 || strcmp(s->file.rel, "var/app") == 0)
			continue;
		if (sp_hooks_open_below(run->inst->root, s->file.rel, false, &fd) != 0)
			continue; /* not written (yet), or not a plain file */
		close(fd);
		struct sp_buf host = SP_BUF_INIT(SP_PATH_MAX);
		if (sp_path_join(run->inst->root, s->file.rel, &host) != 0) {
			sp_buf_free(&host);
			continue;
		}
		paths[k] = host.data;
		m[k] = (struct sp_hooks_mount){ paths[k], s->file.path, false };
		k++;
	}
	*n = k;
	return 0;
}

static int push_env(const char **env, size_t *n, size_t max, const char *kv)
{
	if (*n >= max)
		return SP_ETOOBIG;
	env[(*n)++] = kv;
	return 0;
}

/* One container for argv with the step's environment, cwd and mounts. */
static int exec_step(struct run *run, const struct sp_hook_step *s, const char *const *argv,
		     size_t argc, struct sp_buf *output, struct sp_hooks_exec_result *res,
		     struct sp_buf *err)
{
	const struct sp_hooks_run_options *o = run->o;
	size_t max_env = o->n_properties + s->cmd.n_env + 4;
	const char **env = calloc(max_env, sizeof(*env));
	struct sp_hooks_mount mounts[MAX_HOOK_MOUNTS + 1];
	char *paths[MAX_HOOK_MOUNTS] = { 0 };
	size_t nm = 0, ne = 0;
	char *app = NULL, *cwd = NULL;
	int rc = SP_ENOMEM;
	bool post = s->stage == SP_HOOK_STAGE_POSTDEPLOY;

	if (!env)
		goto out;
	if (!s->cmd.has_env) {
		for (size_t i = 0; i < o->n_properties; i++)
			push_env(env, &ne, max_env, o->properties[i]);
		push_env(env, &ne, max_env, "HOME=/root");
	}
	for (size_t i = 0; i < s->cmd.n_env; i++)
		push_env(env, &ne, max_env, s->cmd.env[i]);
	push_env(env, &ne, max_env,
		 run->inst->leader ? "EB_IS_COMMAND_LEADER=true" : "EB_IS_COMMAND_LEADER=false");

	/* the application folder, then the files */
	app = sp_aprintf("%s/%s", run->inst->root, post ? "var/app/current" : "var/app/staging");
	if (!app)
		goto out;
	file_mounts(run, mounts + 1, paths, &nm);
	mounts[0] = (struct sp_hooks_mount){ app, post ? "/var/app/current" : "/var/app/staging",
					     false };
	nm++;

	const char *dflt = default_cwd(s->stage);
	if (s->cmd.cwd && s->cmd.cwd[0] == '/')
		cwd = sp_strdup(s->cmd.cwd);
	else if (s->cmd.cwd && *s->cmd.cwd)
		cwd = sp_aprintf("%s%s%s", dflt, strcmp(dflt, "/") == 0 ? "" : "/", s->cmd.cwd);
	else
		cwd = sp_strdup(dflt);
	if (!cwd)
		goto out;

	struct sp_hooks_exec req = {
		.image = o->image,
		.argv = argv,
		.argc = argc,
		.env = env,
		.n_env = ne,
		.workdir = cwd,
		.mounts = mounts,
		.n_mounts = nm,
		.timeout_s = run->timeout_s,
		.instance_id = run->inst->instance_id,
		.stage = sp_hook_stage_name(s->stage),
		.step = s->name,
	};
	rc = o->exec->run(o->exec->ctx, &req, output, res, err);
out:
	for (size_t i = 0; i < MAX_HOOK_MOUNTS; i++)
		free(paths[i]);
	free(env);
	free(app);
	free(cwd);
	return rc;
}

static void log_step(struct run *run, const struct sp_hook_step_result *r)
{
	char when[32] = "";
	time_t now = time(NULL);
	struct tm tm;
	struct sp_buf b = SP_BUF_INIT(MAX_HOOK_OUTPUT + 4096);
	if (run->logfd < 0)
		return;
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y/%m/%d %H:%M:%S", &tm);
	sp_buf_printf(&b, "%s [INFO] %s\n", when, r->message ? r->message : "");
	if (r->truncated)
		sp_buf_puts(&b, "[... earlier output dropped ...]\n");
	if (r->output_len) {
		sp_buf_append(&b, r->output, r->output_len);
		if (r->output[r->output_len - 1] != '\n')
			sp_buf_putc(&b, '\n');
	}
	const char *p = b.data;
	size_t n = b.len;
	while (n) {
		ssize_t w = write(run->logfd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	sp_buf_free(&b);
}

static int set_message(struct sp_hook_step_result *r, const char *detail)
{
	const struct sp_hook_step *s = r->step;
	const char *stage = sp_hook_stage_name(s->stage);
	const char *what = s->script ? s->script : s->name;
	switch (r->outcome) {
	case SP_HOOK_OK:
		r->message = s->stage == SP_HOOK_STAGE_FILES
				     ? sp_aprintf("[files] wrote %s", what)
				     : sp_aprintf("[%s] %s succeeded", stage, what);
		break;
	case SP_HOOK_FAILED:
		r->message = s->stage == SP_HOOK_STAGE_FILES
				     ? sp_aprintf("[files] could not write %s", what)
				     : sp_aprintf("[%s] %s failed with exit code %ld", stage, what,
						  r->exit_code);
		break;
	case SP_HOOK_FAILED_IGNORED:
		r->message = sp_aprintf("[%s] %s failed with exit code %ld (ignoreErrors: true, "
					"continuing)", stage, what, r->exit_code);
		break;
	case SP_HOOK_TIMED_OUT:
		r->message = sp_aprintf("[%s] %s did not finish within %s s and was stopped", stage,
					what, detail);
		break;
	case SP_HOOK_NOT_STARTED:
		r->message = sp_aprintf("[%s] %s could not be started: %s", stage, what, detail);
		break;
	case SP_HOOK_SKIPPED_TEST:
		r->message = sp_aprintf("[%s] %s skipped: its test exited with %ld", stage, what,
					r->exit_code);
		break;
	case SP_HOOK_SKIPPED_LEADER:
		r->message = sp_aprintf("[%s] %s skipped: leader_only, and this is not the leader "
					"instance", stage, what);
		break;
	}
	return r->message ? 0 : SP_ENOMEM;
}

/* Runs one step into r (r->step is set). 0 or SP_ENOMEM. */
static int run_step(struct run *run, struct sp_hook_step_result *r)
{
	const struct sp_hook_step *s = r->step;
	struct sp_buf out = SP_BUF_INIT(MAX_HOOK_OUTPUT), err = SP_BUF_INIT(1024);
	struct sp_hooks_exec_result res = { 0 };
	char *script = NULL, detail[64] = "";
	const char *argv3[3];
	const char *const *argv = argv3;
	size_t argc = 0;
	int rc = 0;

	if (s->stage == SP_HOOK_STAGE_FILES) {
		rc = sp_hook_file_write(run->inst->root, &s->file, &out);
		r->outcome = rc == 0 ? SP_HOOK_OK : SP_HOOK_FAILED;
		rc = rc == SP_ENOMEM ? rc : 0;
		goto done;
	}
	if (s->cmd.leader_only && !run->inst->leader) {
		r->outcome = SP_HOOK_SKIPPED_LEADER;
		goto done;
	}
	if (s->cmd.test) {
		const char *targv[3] = { "/bin/sh", "-c", s->cmd.test };
		rc = exec_step(run, s, targv, 3, &out, &res, &err);
		if (rc == SP_ENOMEM)
			goto done;
		if (rc != 0 || res.timed_out || res.exit_code != 0) {
			r->outcome = rc != 0 ? SP_HOOK_NOT_STARTED
					     : res.timed_out ? SP_HOOK_TIMED_OUT : SP_HOOK_SKIPPED_TEST;
			r->exit_code = res.exit_code;
			rc = 0;
			goto done;
		}
	}
	if (s->script) {
		script = sp_aprintf("%s/%s", s->stage == SP_HOOK_STAGE_POSTDEPLOY ? "/var/app/current"
										 : "/var/app/staging",
				    s->script);
		if (!script) {
			rc = SP_ENOMEM;
			goto done;
		}
		argv3[0] = script;
		argc = 1;
	} else if (s->cmd.command) {
		argv3[0] = "/bin/sh";
		argv3[1] = "-c";
		argv3[2] = s->cmd.command;
		argc = 3;
	} else {
		argv = (const char *const *)s->cmd.argv;
		argc = s->cmd.argc;
	}
	res = (struct sp_hooks_exec_result){ 0 };
	rc = exec_step(run, s, argv, argc, &out, &res, &err);
	if (rc == SP_ENOMEM)
		goto done;
	r->exit_code = res.exit_code;
	if (rc != 0)
		r->outcome = SP_HOOK_NOT_STARTED;
	else if (res.timed_out)
		r->outcome = SP_HOOK_TIMED_OUT;
	else if (res.exit_code == 0)
		r->outcome = SP_HOOK_OK;
	else
		r->outcome = s->cmd.ignore_errors ? SP_HOOK_FAILED_IGNORED : SP_HOOK_FAILED;
	rc = 0;
done:
	if (rc == 0) {
		if (r->outcome == SP_HOOK_TIMED_OUT)
			snprintf(detail, sizeof(detail), "%ld", run->timeout_s);
		r->truncated = res.truncated;
		rc = set_message(r, r->outcome == SP_HOOK_NOT_STARTED ? sp_buf_cstr(&err) : detail);
	}
	if (rc == 0) {
		r->output_len = out.len;
		r->output = out.data ? out.data : sp_strdup("");
		out.data = NULL;
		if (!r->output)
			rc = SP_ENOMEM;
	}
	free(script);
	sp_buf_free(&out);
	sp_buf_free(&err);
	return rc;
}

static bool fails_run(enum sp_hook_outcome o)
{
	return o == SP_HOOK_FAILED || o == SP_HOOK_TIMED_OUT || o == SP_HOOK_NOT_STARTED;
}

int sp_hooks_run(const struct sp_hook_plan *plan, enum sp_hooks_phase phase,
		 const struct sp_hooks_instance *inst, const struct sp_hooks_run_options *o,
		 struct sp_hooks_report **out)
{
	struct run run = { .plan = plan, .inst = inst, .o = o, .logfd = -1 };
	struct sp_hooks_report *rep = NULL;
	int rc = SP_EINVAL;
	if (!plan || !inst || !inst->root || inst->root[0] != '/' || !o || !o->exec ||
	    !o->exec->run || !o->image || !*o->image)
		return SP_EINVAL;
	run.timeout_s = o->timeout_s > 0 ? o->timeout_s : SP_HOOKS_DEFAULT_TIMEOUT;
	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return SP_ENOMEM;
	rep->failed = SIZE_MAX;
	size_t deploy = sp_hook_plan_deploy_index(plan), n = sp_hook_plan_count(plan);
	size_t from = phase == SP_HOOKS_BEFORE_DEPLOY ? 0 : deploy + 1;
	size_t to = phase == SP_HOOKS_BEFORE_DEPLOY ? deploy : n;
	if (sp_hooks_open_below(inst->root, SP_HOOKS_LOG, true, &run.logfd) != 0)
		run.logfd = -1; /* the log is a convenience; the report has everything */

	rep->items = calloc(to > from ? to - from : 1, sizeof(*rep->items));
	if (!rep->items) {
		rc = SP_ENOMEM;
		goto out;
	}
	rep->cap = to > from ? to - from : 1;
	for (size_t i = from; i < to; i++) {
		struct sp_hook_step_result *r = &rep->items[rep->n];
		r->step = sp_hook_plan_step(plan, i);
		if (r->step->stage == SP_HOOK_STAGE_DEPLOY)
			continue;
		rc = run_step(&run, r);
		if (rc) {
			free(r->output);
			free(r->message);
			goto out;
		}
		rep->n++;
		log_step(&run, r);
		if (o->on_step)
			o->on_step(o->user, inst, r);
		if (fails_run(r->outcome)) {
			rep->failed = rep->n - 1;
			break;
		}
	}
	rc = 0;
	*out = rep;
	rep = NULL;
out:
	if (run.logfd >= 0)
		close(run.logfd);
	sp_hooks_report_free(rep);
	return rc;
}
