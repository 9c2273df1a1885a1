/* gitrepo.h — the git repositories sprout hosts: `git push` to deploy (docs/git.md).
 *
 * One bare repository per application, <data-dir>/git/<app>.git, made by
 * sp_gitrepo_enable (the engine, for `sprout git enable` / POST .../git). Its hooks are
 * the shell scripts of platform-hooks/git/ (pre-receive, post-receive), copied in with
 * the path of the sprout binary filled in; they run `sprout git pre-receive` and
 * `sprout git post-receive` (engine/cli/cmd_git.c), which use what is here.
 *
 * The repository's own settings live in <repo>/sprout.json (mode 0600, written by the
 * engine, temp file + rename under <repo>/sprout.lock):
 *   {"application": "shop", "endpoint": "http://127.0.0.1:4780",
 *    "data_dir": "/var/lib/sprout", "branches": {"main": "shop-prod"}}
 * The hooks find the engine at `endpoint` and its token in <data_dir>/admin.token (read
 * when the hook runs, so `sprout token --rotate` needs nothing else); the pusher
 * configures nothing. The token itself is never written here.
 *
 * Which environment a pushed branch deploys to: the branch's mapping in sprout.json
 * (`sprout git map`), else `branch-defaults.<branch>.environment` of the pushed commit's
 * .elasticbeanstalk/config.yml (the EB CLI's `eb use`), else none: the push is stored and
 * nothing is deployed.
 *
 * Library rules: nothing printed, nothing global. git is run as a child process
 * (posix_spawnp "git", environment inherited: a pre-receive hook's quarantine variables
 * must reach it) with --git-dir set explicitly. Errors: 0 or a negative SP_E* code;
 * outputs written only on success.
 */
#ifndef SPROUT_GITREPO_H
#define SPROUT_GITREPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"

#define SP_GITREPO_DIR "git"                       /* <data-dir>/git/<app>.git */
#define SP_GITREPO_CONF "sprout.json"              /* in the bare repository */
#define SP_GITREPO_LOCK "sprout.lock"              /* serialises sprout.json writes */
#define SP_GITREPO_DEPLOY_LOCKS "sprout-locks"     /* <repo>/sprout-locks/<env>.lock */
#define MAX_GITREPO_CONF ((size_t)256 << 10)       /* bytes of sprout.json */
#define MAX_GIT_BRANCH_MAPS 256                    /* branch mappings per repository */
#define MAX_GIT_BRANCH_NAME 200                    /* bytes of a branch name */
#define MAX_GIT_HOOK_INPUT ((size_t)1 << 20)       /* bytes git gives a hook on stdin */
#define MAX_GIT_REF_UPDATES 1000                   /* ref updates in one push */
#define MAX_GIT_OUTPUT ((size_t)1 << 20)           /* bytes of one captured git output */
#define MAX_GIT_HOOK_TEMPLATE ((size_t)64 << 10)   /* bytes of a hook script template */
#define SP_GIT_SHORT_SHA 7                         /* hex digits in labels and messages */

/* <data_dir>/git/<app>.git into out (app must be a valid application name). */
int sp_gitrepo_path(const char *data_dir, const char *app, struct sp_buf *out);

/* NULL when branch is a branch name sprout accepts (git check-ref-format's rules for
 * refs/heads/<branch>, at most MAX_GIT_BRANCH_NAME bytes), else what is wrong. */
const char *sp_git_branch_problem(const char *branch);

/* The folder of the hook templates (one holding pre-receive and post-receive): next to
 * the binary exe_path (may be NULL) <exe dir>/../share/sprout/platform-hooks/git (after
 * make install), <exe dir>/../platform-hooks/git (build/sprout in the source tree), then
 * the compiled-in $(PREFIX)/share/sprout/platform-hooks/git. 0 or SP_ENOTFOUND. */
int sp_gitrepo_hooks_dir_resolve(const char *exe_path, struct sp_buf *out);

struct sp_gitrepo_setup {
	const char *repo;        /* absolute path of the bare repository */
	const char *application;
	const char *endpoint;    /* the engine's URL as the hooks reach it */
	const char *data_dir;    /* absolute: where admin.token is */
	const char *sprout_bin;  /* absolute path of the sprout binary the hooks run */
	const char *hooks_dir;   /* sp_gitrepo_hooks_dir_resolve */
};

/* Creates the bare repository when missing (git init --bare, receive.fsckObjects on),
 * (re)installs the hooks from the templates with sprout_bin filled in, and writes
 * sprout.json keeping the branch mappings already there. Idempotent: enabling again
 * refreshes hooks and endpoint. *created says whether the repository is new.
 * 0; SP_EIO (msg says what failed: git missing, a file not writable); SP_ENOTFOUND (a
 * template is missing); SP_ENOMEM. */
int sp_gitrepo_enable(const struct sp_gitrepo_setup *s, bool *created, struct sp_buf *msg);

struct sp_gitrepo_map {
	char *branch, *environment;
};

struct sp_gitrepo_conf {
	char *application, *endpoint, *data_dir; /* endpoint/data_dir may be NULL */
	struct sp_gitrepo_map *maps;             /* sorted by branch */
	size_t n_maps;
};
/* Reads <repo>/sprout.json. SP_ENOTFOUND when the repository is not enabled (no repo or
 * no sprout.json), SP_EINVAL when the file is not what sp_gitrepo_enable writes, SP_EIO,
 * SP_ENOMEM. */
int sp_gitrepo_conf_load(const char *repo, struct sp_gitrepo_conf *out);
void sp_gitrepo_conf_free(struct sp_gitrepo_conf *c);
/* The environment branch maps to in c, or NULL. */
const char *sp_gitrepo_conf_branch(const struct sp_gitrepo_conf *c, const char *branch);

/* Maps branch to environment (environment NULL removes the mapping). SP_ENOTFOUND when
 * the repository is not enabled, or when removing a branch that has no mapping;
 * SP_ETOOBIG past MAX_GIT_BRANCH_MAPS; SP_EINVAL for a bad branch name. */
int sp_gitrepo_set_branch(const char *repo, const char *branch, const char *environment);

/* --- what a hook gets on standard input ---------------------------------------------- */

enum sp_ref_kind {
	SP_REF_CREATE = 0, /* old is all zeros */
	SP_REF_UPDATE,
	SP_REF_DELETE,     /* new is all zeros */
};

struct sp_ref_update {
	char old_sha[65], new_sha[65]; /* 40 (SHA-1) or 64 (SHA-256) hex digits */
	char *ref;                     /* "refs/heads/main" */
	const char *branch;            /* into ref after "refs/heads/"; NULL for other refs */
	enum sp_ref_kind kind;
};

/* Parses "<old> <new> <ref>\n" lines (pre-receive, post-receive). At most
 * MAX_GIT_REF_UPDATES lines and MAX_GIT_HOOK_INPUT bytes (SP_ETOOBIG); SP_EINVAL for
 * a malformed line. *out (caller frees with sp_ref_updates_free) and *n. */
int sp_gitrepo_parse_updates(const char *text, size_t len, struct sp_ref_update **out,
			     size_t *n);
void sp_ref_updates_free(struct sp_ref_update *u, size_t n);

/* --- reading pushed commits ------------------------------------------------------------ */

/* Runs `git --git-dir=<repo> ARGS...` (args NULL-terminated, at most 12) and captures
 * stdout (trailing newlines trimmed; at most MAX_GIT_OUTPUT) into out and the first line
 * of stderr into err (either may be NULL). 0 when git exited 0; SP_ERROR when it failed
 * (err says why); SP_EIO when it could not run. */
int sp_gitrepo_git(const char *repo, const char *const *args, struct sp_buf *out,
		   struct sp_buf *err);

/* The commit's subject line (`%s`). */
int sp_gitrepo_commit_subject(const char *repo, const char *sha, struct sp_buf *out);
/* The blob at path in commit sha, at most max bytes (SP_ETOOBIG). SP_ENOTFOUND when the
 * commit has no such file. */
int sp_gitrepo_read_file(const char *repo, const char *sha, const char *path, size_t max,
			 struct sp_buf *out);

enum sp_gitrepo_env_source {
	SP_GIT_ENV_NONE = 0,   /* the branch maps to no environment */
	SP_GIT_ENV_MAPPED,     /* sprout git map */
	SP_GIT_ENV_CONFIG_YML, /* branch-defaults of the pushed .elasticbeanstalk/config.yml */
};
/* The environment a push of sha to branch deploys to. A config.yml that cannot be read
 * adds its diagnostics to d as warnings (file "<branch>@<short sha>:.elasticbeanstalk/
 * config.yml") and counts as no mapping. *env (caller frees; NULL with NONE). */
int sp_gitrepo_env_for(const char *repo, const struct sp_gitrepo_conf *c, const char *branch,
		       const char *sha, struct sp_diags *d, char **env,
		       enum sp_gitrepo_env_source *src);

/* Builds the source bundle of commit sha the way `sprout deploy` builds one from a clean
 * checkout of it: `git archive` of the commit, extracted all or nothing
 * (bundles/sp_bundle_extract) into workdir, then zipped reproducibly by sp_bundle_create
 * (.ebignore when the commit has one; .git and .elasticbeanstalk left out), so the same
 * tree gives the same SHA-256 either way. workdir must exist and be empty of sprout's
 * names; the zip is <workdir>/bundle.zip (out gets its path) and nothing else is left.
 * Diagnostics name files relative to the bundle, the bundle itself as display
 * ("main@1a2b3c4").
 * 0; SP_ERROR with diagnostics in d (BUNDLE_* / GIT_ARCHIVE_FAILED); SP_EIO; SP_ENOMEM. */
int sp_gitrepo_build_bundle(const char *repo, const char *sha, const char *workdir,
			    const char *display, struct sp_diags *d, struct sp_buf *out);

/* Renames diagnostic files for the pusher: "<prefix>/<rest>" becomes "<rest>" and a file
 * equal to prefix becomes whole (so "…/bundle.zip/Dockerrun.aws.json" reads
 * "Dockerrun.aws.json" as `sprout validate` says it in a checkout). */
int sp_gitrepo_diags_rename(struct sp_diags *d, const char *prefix, const char *whole);

/* The version label of a push: "<branch>-<short sha>" with '/' and '\\' of the branch
 * made '-', and with suffix_ms > 0, "-<yymmdd_HHMMSS>" of that UTC time; the branch is
 * cut (on a UTF-8 boundary) so the label stays within SP_MAX_LABEL characters. */
int sp_gitrepo_version_label(const char *branch, const char *sha, int64_t suffix_ms,
			     struct sp_buf *out);

#endif
