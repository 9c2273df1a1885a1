/* project.h — a project's .elasticbeanstalk/config.yml, read and written the EB CLI way.
 *
 * The file is the EB CLI's (reference §6.2): `global` (application_name, default_region,
 * profile, sc, ...), `branch-defaults.<branch>.environment`, `environment-defaults`,
 * `deploy.artifact`, ... sprout adds its own section, `sprout` (endpoint), to the same
 * file; the EB CLI ignores sections it does not know, and keeps them when it rewrites.
 *
 * Reading goes through doc.h (YAML 1.1 typing as PyYAML, EB's loader, does it), so any
 * file the EB CLI reads is read here unchanged: nothing is written unless a command
 * changes a value. Writing re-emits the whole tree with libyaml's emitter (the one
 * PyYAML uses, so the layout is the EB CLI's: block style, 2-space indent, lines folded
 * at 80 columns), keeping every key sprout does not know, in its order, with its type:
 * a quoted scalar stays quoted, a plain `true`/`null`/`1.10` stays what it was, explicit
 * tags stay. Comments and anchors are not kept (the EB CLI drops them too; aliases are
 * written out as copies). New keys go at their sorted place (the EB CLI writes keys
 * sorted). Strings sprout sets are quoted when YAML 1.1 would read them as something
 * else ("yes", "1.0", "2024-01-01", "null", ...).
 * An optional .elasticbeanstalk/config.global.yml is read first; config.yml wins per
 * key (it is never written).
 *
 * Lookups follow the EB CLI: a key of the current branch's `branch-defaults` section
 * first, then `global`. Outside git the branch is "default" (EB's name).
 *
 * Diagnostics (file ".elasticbeanstalk/config.yml"): doc.h's DOC_* codes for syntax and
 * limits; PROJECT_CONFIG_INVALID (error) when the root or a section sprout must write
 * into is not a mapping.
 *
 * Ownership: struct sp_project is opaque and owns every string it hands out (valid until
 * the next sp_project_set on the same key or sp_project_free).
 */
#ifndef SPROUT_PROJECT_H
#define SPROUT_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"

#define SP_PROJECT_DIR ".elasticbeanstalk"
#define SP_PROJECT_CONFIG ".elasticbeanstalk/config.yml"
#define SP_PROJECT_GLOBAL_CONFIG ".elasticbeanstalk/config.global.yml"
#define MAX_PROJECT_CONFIG ((size_t)1 << 20) /* bytes of config.yml */
#define SP_PROJECT_DEFAULT_BRANCH "default"

struct sp_project;

/* The nearest folder, from start upwards, holding .elasticbeanstalk/config.yml, into
 * root (absolute). SP_ENOTFOUND when there is none up to "/". */
int sp_project_find(const char *start, struct sp_buf *root);

/* Loads root/.elasticbeanstalk/config.yml (and config.global.yml when present). A
 * missing config.yml is an empty project (sp_project_exists false), not an error.
 * 0; SP_ERROR with diagnostics in d; SP_EIO (unreadable); SP_ENOMEM. */
int sp_project_load(const char *root, struct sp_diags *d, struct sp_project **out);
/* Parses config.yml text (no files, root NULL: sp_project_save refuses). name names it
 * in diagnostics. */
int sp_project_parse(const char *text, size_t len, const char *name, struct sp_diags *d,
		     struct sp_project **out);
void sp_project_free(struct sp_project *p);

const char *sp_project_root(const struct sp_project *p); /* NULL for a parsed one */
bool sp_project_exists(const struct sp_project *p);      /* config.yml was read */

/* The value at section.key (two names) or section.sub.key (three): its text for a
 * scalar that is not null (true, 1.5 and strings alike), NULL when absent, null, or
 * not a scalar. config.yml first, then config.global.yml. */
const char *sp_project_get(const struct sp_project *p, const char *const *path, size_t depth);
/* EB's lookup: branch-defaults.<branch>.<key>, then global.<key>. */
const char *sp_project_branch_get(const struct sp_project *p, const char *branch,
				  const char *key);

/* Sets the string at a path of 1 to 4 names, creating mappings on the way (value NULL
 * writes YAML null). SP_EINVAL when a mapping on the way is another kind of node (d gets
 * PROJECT_CONFIG_INVALID naming it). */
int sp_project_set(struct sp_project *p, const char *const *path, size_t depth,
		   const char *value, struct sp_diags *d);

/* The YAML text of config.yml as it would be written. */
int sp_project_render(const struct sp_project *p, struct sp_buf *out);
/* Writes root/.elasticbeanstalk/config.yml (the folder is created; temp file + rename;
 * an existing file's mode is kept, else 0644). 0, SP_EIO (errno kept), SP_EINVAL for a
 * parsed project. */
int sp_project_save(struct sp_project *p);

/* Shorthands. */
const char *sp_project_application(const struct sp_project *p);  /* global.application_name */
const char *sp_project_endpoint(const struct sp_project *p);     /* sprout.endpoint */
const char *sp_project_artifact(const struct sp_project *p);     /* deploy.artifact */

/* --- git ------------------------------------------------------------------------------ */

struct sp_git_info {
	bool is_git;       /* dir is inside a git work tree */
	char *branch;      /* current branch; "default" outside git or on a detached HEAD */
	char *describe;    /* `git describe --always --abbrev=4`; NULL without commits */
	char *subject;     /* last commit's subject; NULL without commits */
	bool dirty;        /* tracked files changed (EB warns about them before a deploy) */
};
/* Runs git (without a shell) in dir. No git or not a repository is not an error
 * (is_git false). 0 or SP_ENOMEM. */
int sp_project_git(const char *dir, struct sp_git_info *out);
void sp_git_info_free(struct sp_git_info *g);

/* The EB CLI's version label: "app-<describe>-<yymmdd_HHMMSSffffff>" ('.', '/', '\\'
 * and spaces in describe replaced by '_', at most 60 bytes of it),
 * "app-<describe>-stage-<...>" when staged, "app-<yymmdd_HHMMSSffffff>" outside git or
 * without commits. now_us is microseconds since the epoch, shown in local time as the
 * EB CLI does; the microseconds keep two deploys in one second apart. */
int sp_project_version_label(const struct sp_git_info *g, bool staged, int64_t now_us,
			     struct sp_buf *out);

#endif
