/* hooks.h — the hook plan of a deployment: what runs on an instance, in Elastic
 * Beanstalk's order, and the checks `sprout validate` makes on it.
 *
 * Depends only on engine/base. Inputs are plain: the bundle's hook files (paths, exec
 * bits and, when known, their first bytes) and the accepted `.ebextensions/NAME.config`
 * documents (the `files`, `commands` and `container_commands` keys are read from their
 * nodes here, with positions). Running the plan is runner.h's job; this module never
 * starts anything.
 *
 * The application plan (docs/hooks.md; ../shared/reference/elastic-beanstalk.md §2.4
 * and §4), per instance and application deployment:
 *   1. for each config file in name order: its `files` (by path, byte order), then its
 *      `commands` (by name, byte order, as EB/cfn-init sort them);
 *   2. `.platform/hooks/prebuild/` (by file name);
 *   3. `container_commands`: the `leader_only` ones first, then the others (config file
 *      order, then name order within each group);
 *   4. `.platform/hooks/predeploy/`;
 *   5. the deployment of the task (SP_HOOK_STAGE_DEPLOY: a marker the caller acts on);
 *   6. `.platform/hooks/postdeploy/`.
 * Hook files whose name starts with "." or "README" are not run (editor and VCS noise,
 * as bundles/ treats them); `.platform/confighooks/` belong to configuration deployments
 * and are not part of this plan (HOOK_CONFIGHOOK, a note).
 *
 * The configuration plan (SP_HOOK_CONFIG_DEPLOYMENT: option settings changed, same
 * version; EB runs neither .ebextensions commands nor .platform/hooks then):
 *   1. `.platform/confighooks/prebuild/` (by file name);
 *   2. `.platform/confighooks/predeploy/`;
 *   3. the deployment of the task (SP_HOOK_STAGE_DEPLOY);
 *   4. `.platform/confighooks/postdeploy/`.
 * Its steps use the stages PREBUILD, PREDEPLOY, POSTDEPLOY (same working folders,
 * mounts and rules as the hooks); their `script` is the confighook's path.
 *
 * Diagnostics (docs/diagnostics.md "Platform hooks"); every one located at the document
 * node (file:line:column and JSON path) or, for scripts, at the script
 * ("<prefix><hook path>", line of the problem):
 *   HOOK_NO_SHEBANG (warning)        a script with no "#!" line (and not an ELF binary)
 *   HOOK_CRLF (warning)              CRLF line endings ("bad interpreter: /bin/bash^M")
 *   HOOK_CONFIGHOOK (note)           a .platform/confighooks script: runs only on
 *                                    configuration deployments (application plan only)
 *   COMMAND_KEY_UNKNOWN (warning)    a key commands/container_commands do not know
 *   COMMAND_LEADER_ONLY_IN_COMMANDS (error)  leader_only under `commands`
 *   COMMAND_LEADER_ONLY_WITH_TEST (warning)  leader_only and test: test is ignored
 *   COMMAND_FIELD_TYPE (error)       command/cwd/test/env/ignoreErrors/leader_only of the
 *                                    wrong type
 *   COMMAND_EMPTY (error)            an empty command (string or list)
 *   COMMAND_ENV_NAME (error)         an env name that is empty or holds '=' or controls
 *   FILES_PATH_RELATIVE (error)      a `files` key that is not an absolute path
 *   FILES_PATH_UNSAFE (error)        a `files` key with "..", control characters, or "/"
 *   FILES_KEY_UNKNOWN (warning)      a key a `files` entry does not know
 *   FILES_FIELD_TYPE (error)         mode/owner/group/encoding/source of the wrong type
 *   FILES_MODE_INVALID (error)       mode is not 1-6 octal digits
 *   FILES_NO_CONTENT (error)         neither content nor source
 *   FILES_CONTENT_AND_SOURCE (error) both content and source
 *   FILES_ENCODING_INVALID (error)   encoding other than plain or base64
 *   FILES_BASE64_INVALID (error)     base64 content that does not decode
 *   FILES_SOURCE_UNSUPPORTED (error) a source URL (http, https, s3) or a path outside the
 *                                    bundle: nothing is downloaded while deploying
 *   FILES_SOURCE_MISSING (error)     a source naming a bundle file that is not there
 *   FILES_CONTENT_TOO_LARGE (error)  decoded content over MAX_HOOK_FILE_CONTENT
 *   COMMAND_LIMIT (error)            env over MAX_HOOK_ENV, a list over MAX_HOOK_ARGV
 *   FILES_SYMLINK_TARGET (error)     mode 120xxx with no link target in content
 *   FILES_AUTHENTICATION (warning)   `authentication` is ignored (no S3 here)
 * A hook without the exec bit is bundles/' BUNDLE_HOOK_NOT_EXECUTABLE (an error with the
 * fix, `chmod +x` and `git update-index --chmod=+x`), reported once, there.
 *
 * Limits: MAX_HOOK_STEPS steps per plan (HOOK_TOO_MANY_STEPS, error),
 * MAX_HOOK_FILE_CONTENT bytes of one decoded `files` content, MAX_HOOK_ENV entries in
 * one command's env, MAX_HOOK_ARGV items of a list command.
 *
 * Ownership: sp_hook_plan_build (and sp_hook_plan_build_for) hands out a struct sp_hook_plan (free with
 * sp_hook_plan_free) that owns copies of every string; the inputs may be freed after.
 */
#ifndef SPROUT_PLATFORM_HOOKS_H
#define SPROUT_PLATFORM_HOOKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/base/doc.h"

#define MAX_HOOK_STEPS 1024
#define MAX_HOOK_FILE_CONTENT ((size_t)1 << 20)   /* one decoded `files` content */
#define MAX_HOOK_ENV 128                          /* env entries of one command */
#define MAX_HOOK_ARGV 256                         /* items of a list-form command */
#define MAX_HOOK_SCRIPT_HEAD ((size_t)64 << 10)   /* bytes of a script the checks read */

enum sp_hook_stage {
	SP_HOOK_STAGE_FILES = 0,
	SP_HOOK_STAGE_COMMANDS,
	SP_HOOK_STAGE_PREBUILD,
	SP_HOOK_STAGE_CONTAINER_COMMANDS,
	SP_HOOK_STAGE_PREDEPLOY,
	SP_HOOK_STAGE_DEPLOY,
	SP_HOOK_STAGE_POSTDEPLOY,
};
/* "files", "commands", "prebuild", "container_commands", "predeploy", "deploy",
 * "postdeploy". */
const char *sp_hook_stage_name(enum sp_hook_stage s);

/* One file of .platform/{hooks,confighooks}/<stage>/ (bundles/' struct sp_bundle_hook,
 * plus what the checks read of it). Borrowed. */
struct sp_hooks_script {
	const char *path;       /* ".platform/hooks/predeploy/01_migrate.sh" */
	const char *stage;      /* "prebuild", "predeploy", "postdeploy" or another name */
	bool confighook;
	bool executable;
	const char *head;       /* the first bytes (<= MAX_HOOK_SCRIPT_HEAD), NULL: unknown */
	size_t head_len;
};

/* One accepted .ebextensions config file. Borrowed. */
struct sp_hooks_config {
	const struct sp_doc *doc; /* named as sp_doc_file(doc) in diagnostics */
};

struct sp_hooks_input {
	const struct sp_hooks_script *scripts;
	size_t n_scripts;
	const struct sp_hooks_config *configs; /* in EB's order (file name order) */
	size_t n_configs;
	/* Scripts are named "<script_prefix><path>" in diagnostics ("app.zip/", "" ...). */
	const char *script_prefix;
	/* Is rel (normalised, bundle-relative) a regular file of the bundle? For `files`
	 * `source` naming a bundle file. NULL: not checked. */
	bool (*bundle_has)(void *ctx, const char *rel);
	void *bundle_ctx;
};

/* A `files` entry, decoded. */
struct sp_hook_file {
	char *path;          /* as written: "/etc/nginx/conf.d/x.conf" */
	char *rel;           /* inside the instance root: "etc/nginx/conf.d/x.conf" */
	unsigned mode;       /* permission bits (& 0777; setuid/setgid/sticky dropped) */
	bool symlink;        /* mode 120xxx: a link to `content` */
	char *owner, *group; /* NULL: root */
	char *content;       /* decoded bytes (NUL-terminated), NULL when `source` */
	size_t content_len;
	char *source;        /* a bundle file (relative to var/app/staging), or NULL */
};

/* A `commands` / `container_commands` entry. */
struct sp_hook_command {
	char *command;       /* the shell form (run by /bin/sh -c), or NULL */
	char **argv;         /* the list form (run as is), argc items */
	size_t argc;
	char *cwd;           /* NULL: the stage's default */
	char *test;          /* NULL: none (always NULL with leader_only) */
	char **env;          /* "NAME=value"; has_env: replaces the environment properties */
	size_t n_env;
	bool has_env;
	bool ignore_errors;
	bool leader_only;    /* container_commands only */
};

struct sp_hook_step {
	enum sp_hook_stage stage;
	char *name;          /* command name, file path, hook file name, "deploy" */
	char *origin;        /* config file or script path; NULL for the deploy marker */
	int line, column;    /* of the entry's key in origin; 0 for scripts */
	struct sp_hook_file file;     /* SP_HOOK_STAGE_FILES */
	struct sp_hook_command cmd;   /* COMMANDS, CONTAINER_COMMANDS */
	char *script;        /* prebuild/predeploy/postdeploy: the bundle-relative path */
};

struct sp_hook_plan; /* opaque */

/* Which plan: an application deployment (launch, new version, rollback) or a
 * configuration deployment (option settings changed, the same version). */
enum sp_hook_deployment {
	SP_HOOK_APP_DEPLOYMENT = 0,
	SP_HOOK_CONFIG_DEPLOYMENT,
};

/* Builds the plan from in, reporting every problem above into d (d may be NULL). Entries
 * with errors are left out of the plan. Returns 0 and *out (even when d got errors: the
 * caller decides; `sprout validate` refuses), SP_ETOOBIG past MAX_HOOK_STEPS (reported),
 * SP_ENOMEM. */
int sp_hook_plan_build(const struct sp_hooks_input *in, struct sp_diags *d,
		       struct sp_hook_plan **out);
/* The plan of `kind`: sp_hook_plan_build for SP_HOOK_APP_DEPLOYMENT; for
 * SP_HOOK_CONFIG_DEPLOYMENT the configuration plan (confighooks only; the .ebextensions
 * documents are not read, only the confighook scripts are checked: HOOK_NO_SHEBANG,
 * HOOK_CRLF). Returns as sp_hook_plan_build, or SP_EINVAL for an unknown kind. */
int sp_hook_plan_build_for(const struct sp_hooks_input *in, enum sp_hook_deployment kind,
			   struct sp_diags *d, struct sp_hook_plan **out);
void sp_hook_plan_free(struct sp_hook_plan *p);

/* The checks alone (sp_hook_plan_build without keeping the plan). 0 or SP_ENOMEM. */
int sp_hooks_check(const struct sp_hooks_input *in, struct sp_diags *d);

size_t sp_hook_plan_count(const struct sp_hook_plan *p);
const struct sp_hook_step *sp_hook_plan_step(const struct sp_hook_plan *p, size_t i);
/* Index of the deploy marker (steps before it run before the task is deployed). */
size_t sp_hook_plan_deploy_index(const struct sp_hook_plan *p);
/* true when a step runs something in a container (commands, scripts). */
bool sp_hook_step_runs(const struct sp_hook_step *s);

/* The plan as JSON for `sprout plan` and the API: [{stage, name, origin, line, column,
 * ...}] (commands with command/argv, cwd, test, ignoreErrors, leaderOnly, env names
 * only — never values; files with path, mode, symlink, owner, group, source, bytes).
 * NULL on allocation failure. */
json_t *sp_hook_plan_to_json(const struct sp_hook_plan *p);

/* The plan as text for `sprout plan`: the line "  <title>" then one line per step,
 * "    <stage> <name>" (a script by its bundle-relative path, the deploy marker as
 * "deploy the task"), the flags leader_only, test and ignoreErrors of a command when
 * set, and "  (<origin>:<line>)" for a .ebextensions entry. A plan that is only the
 * deploy marker is the single line "  <title> deploy only". Appends to out; 0, or
 * SP_ENOMEM/SP_ETOOBIG when out could not take it. */
int sp_hook_plan_render_text(const struct sp_hook_plan *p, const char *title,
			     struct sp_buf *out);

/* ---- writing `files` (host side, confined) ----------------------------------------- */

/* Writes f below instance_root (absolute), never outside it: every component of
 * f->rel is opened with O_NOFOLLOW below the root (a symlink on the way is refused,
 * SP_EUNSAFE), missing folders are made (0755). An existing file is first renamed to
 * "<name>.bak" (an existing .bak is replaced). A symlink entry becomes a symlink to
 * f->content (the target is not followed here). `source` copies
 * "<instance_root>/var/app/staging/<source>" (also opened without following links).
 * Owner and group apply when the process is root and they are "root" or numeric;
 * other names keep root and a line in *log says so. Mode as given.
 * Returns 0, SP_EUNSAFE, SP_EIO (errno kept; *log says what failed) or SP_ENOMEM.
 * log may be NULL. */
int sp_hook_file_write(const char *instance_root, const struct sp_hook_file *f,
		       struct sp_buf *log);

/* Opens (creating when asked, mode 0644) rel below root for appending without following
 * any symlink on the way (missing folders are made); *fd is the caller's to close.
 * 0, SP_EUNSAFE, SP_EIO. For eb-hooks.log. */
int sp_hooks_open_below(const char *root, const char *rel, bool create, int *fd);

/* Decodes base64 (whitespace ignored, padding optional) into out. SP_EINVAL when it is
 * not base64. */
int sp_hooks_base64_decode(const char *s, size_t n, struct sp_buf *out);

#endif
