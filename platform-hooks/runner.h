/* runner.h — running a hook plan (hooks.h) on one instance.
 *
 * Every command and hook runs in a container of its own, never on the engine's host.
 * This module only decides *what* runs where; starting containers is the job of an
 * executor (struct sp_hooks_executor) that engine code implements with the Docker
 * Engine API (engine/hooks/hooks.h), so platform-hooks/ depends on engine/base only.
 *
 * Per step (docs/hooks.md has the table):
 *   files               written by this module into the instance root (hooks.h,
 *                       sp_hook_file_write: confined, O_NOFOLLOW), not in a container;
 *   commands            /bin/sh -c COMMAND (or the list as argv), cwd "/" by default;
 *   container_commands  same, cwd /var/app/staging by default; leader_only ones only on
 *                       the leader instance (skipped elsewhere);
 *   prebuild/predeploy  the script itself (exec bit and "#!" line needed, as on EB),
 *                       cwd /var/app/staging;
 *   postdeploy          same, cwd /var/app/current.
 * Mounts: <root>/var/app/staging at /var/app/staging (every stage but postdeploy) or
 * <root>/var/app/current at /var/app/current (postdeploy), plus every regular file the
 * plan's `files` wrote outside /var/app, at its own path (so a command can run a script
 * that `files` wrote to /tmp or /etc). Nothing else of the host is visible.
 * Environment: the environment properties, HOME=/root, and EB_IS_COMMAND_LEADER=true|false
 * (as EB sets it); a command's `env` replaces the properties (EB: "env replaces the whole
 * environment"; the image's own ENV, such as PATH, stays). `test` runs first in its own
 * container with the same environment; a non-zero exit skips the command.
 * Timeout: every container step is killed after timeout_s (sprout:hooks Timeout; default
 * SP_HOOKS_DEFAULT_TIMEOUT, EB's command timeout) and counts as failed, ignoreErrors or
 * not. Output: stdout and stderr, interleaved, the last MAX_HOOK_OUTPUT bytes of each step
 * kept; every step's output is also appended to <root>/var/log/eb-hooks.log (EB's file).
 * A failing step (non-zero exit, timeout, could not start) stops the run unless its
 * ignoreErrors is true; the report says which step, with its exit code and output.
 */
#ifndef SPROUT_PLATFORM_HOOKS_RUNNER_H
#define SPROUT_PLATFORM_HOOKS_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"
#include "platform-hooks/hooks.h"

#define SP_HOOKS_DEFAULT_TIMEOUT 600            /* seconds: aws:elasticbeanstalk:command Timeout */
#define MAX_HOOK_OUTPUT ((size_t)64 << 10)     /* bytes of output kept per step (the tail) */
#define MAX_HOOK_TAIL_LINES 20                  /* lines of output in an event */
#define MAX_HOOK_MOUNTS 64                      /* `files` bind-mounted into a step */
#define SP_HOOKS_LOG "var/log/eb-hooks.log"     /* below the instance root */

/* ---- the executor interface (implemented in engine/hooks/ with engine/docker) ---- */

struct sp_hooks_mount {
	const char *host_path;      /* absolute, inside the instance root */
	const char *container_path; /* absolute */
	bool read_only;
};

/* One container run. All borrowed for the duration of the call. */
struct sp_hooks_exec {
	const char *image;
	const char *const *argv;    /* argc items */
	size_t argc;
	const char *const *env;     /* "NAME=value" */
	size_t n_env;
	const char *workdir;
	const struct sp_hooks_mount *mounts;
	size_t n_mounts;
	long timeout_s;             /* kill the container after this long */
	const char *instance_id;    /* for names and labels */
	const char *stage;          /* "prebuild", ... (labels) */
	const char *step;           /* the step's name (labels) */
};

struct sp_hooks_exec_result {
	long exit_code;             /* the process's exit status (137 after a kill) */
	bool timed_out;             /* killed because timeout_s passed */
	bool truncated;             /* output was longer than the buffer: the tail is kept */
};

struct sp_hooks_executor {
	/* Runs req in a fresh container, waits for it (at most req->timeout_s, then kills
	 * it), appends its stdout+stderr to *output (which may be capped: a full buffer is
	 * not an error, the executor keeps the tail), removes the container. Returns 0 when
	 * the container ran (whatever its exit code: see *res), or a negative SP_E* code
	 * when it could not be run, with one line in *err. */
	int (*run)(void *ctx, const struct sp_hooks_exec *req, struct sp_buf *output,
		   struct sp_hooks_exec_result *res, struct sp_buf *err);
	void *ctx;
};

/* ---- running ---- */

enum sp_hooks_phase {
	SP_HOOKS_BEFORE_DEPLOY = 0, /* steps before the deploy marker */
	SP_HOOKS_AFTER_DEPLOY,      /* postdeploy */
};

struct sp_hooks_instance {
	const char *instance_id;
	const char *root;           /* absolute: holds var/app/staging, var/app/current */
	bool leader;                /* the one instance running leader_only commands */
};

enum sp_hook_outcome {
	SP_HOOK_OK = 0,
	SP_HOOK_FAILED,             /* non-zero exit (or files: could not be written) */
	SP_HOOK_FAILED_IGNORED,     /* non-zero exit with ignoreErrors: true */
	SP_HOOK_TIMED_OUT,          /* killed after the timeout */
	SP_HOOK_NOT_STARTED,        /* the executor could not run it */
	SP_HOOK_SKIPPED_TEST,       /* test exited non-zero */
	SP_HOOK_SKIPPED_LEADER,     /* leader_only on another instance */
};
const char *sp_hook_outcome_name(enum sp_hook_outcome o); /* "ok", "failed", ... */

struct sp_hook_step_result {
	const struct sp_hook_step *step; /* in the plan */
	enum sp_hook_outcome outcome;
	long exit_code;
	char *output;               /* the tail (<= MAX_HOOK_OUTPUT), NUL-terminated */
	size_t output_len;
	bool truncated;             /* earlier output was dropped */
	char *message;              /* one line for events */
};

struct sp_hooks_report; /* opaque: owns its results */

struct sp_hooks_run_options {
	const struct sp_hooks_executor *exec;
	const char *image;          /* the image every step runs in */
	long timeout_s;             /* <= 0: SP_HOOKS_DEFAULT_TIMEOUT */
	const char *const *properties; /* environment properties "NAME=value" */
	size_t n_properties;
	/* Called after each step (events); may be NULL. The result is borrowed. */
	void (*on_step)(void *user, const struct sp_hooks_instance *inst,
			const struct sp_hook_step_result *r);
	void *user;
};

/* Runs the steps of `phase` on one instance, in order. Returns 0 when the steps were
 * run, whether they succeeded or not (see sp_hooks_report_failure), with *out set;
 * SP_EINVAL (no executor or image, relative root), SP_ENOMEM. */
int sp_hooks_run(const struct sp_hook_plan *plan, enum sp_hooks_phase phase,
		 const struct sp_hooks_instance *inst, const struct sp_hooks_run_options *o,
		 struct sp_hooks_report **out);
void sp_hooks_report_free(struct sp_hooks_report *r);

size_t sp_hooks_report_count(const struct sp_hooks_report *r);
const struct sp_hook_step_result *sp_hooks_report_at(const struct sp_hooks_report *r, size_t i);
/* The step that failed the deployment, NULL when none did. */
const struct sp_hook_step_result *sp_hooks_report_failure(const struct sp_hooks_report *r);

/* The last `lines` lines of a result's output into out (for an event's detail). */
int sp_hooks_output_tail(const struct sp_hook_step_result *r, size_t lines, struct sp_buf *out);

#endif
