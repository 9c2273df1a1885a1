/* validate.h — `sprout validate`: every offline check of a source bundle, in one pass,
 * into one list of diagnostics.
 *
 * Input: a bundle file (zip or tar, read through bundles/bundle.h without extracting),
 * a directory (scanned as the bundle it would become), or a lone file that is not an
 * archive (read as Dockerrun.aws.json, as EB accepts a Dockerrun.aws.json uploaded alone).
 *
 * Steps, in order (validate.c keeps them as one visible sequence; later steps are added
 * there): 1. the bundle (safety, limits, layout), 2. Dockerrun.aws.json (engine/dockerrun),
 * 3. .ebextensions (then a saved configuration and the create/update-time settings),
 * 4. the environment plan, 5. platform hooks and .ebextensions commands (engine/hooks).
 * Each step adds to the same sp_diags; a step whose input is missing or broken is
 * skipped, not fatal.
 *
 * Ownership: sp_validate hands the caller a struct sp_validation (free with
 * sp_validation_free) only when there is no error.
 */
#ifndef SPROUT_VALIDATE_H
#define SPROUT_VALIDATE_H

#include <stdbool.h>

#include "engine/base/diag.h"
#include "engine/dockerrun/dockerrun.h"

struct sp_validate_options {
	bool strict;             /* warnings count as errors (--strict) */
	/* Security allowances (sprout:security); the .ebextensions step may set more. */
	bool allow_privileged, allow_host_paths, allow_docker_socket;
	/* The plan step (engine/plan): environment name (NULL: SP_TASKDEF_PLACEHOLDER_ENV),
	 * environment id (NULL: placeholder), create/update-time settings
	 * "NAMESPACE:OPTION=VALUE" (they override .ebextensions), task definition revision. */
	const char *env_name, *env_id;
	const char *const *option_args;
	size_t n_option_args;
	int taskdef_revision;
	/* A saved configuration (`--saved-config`): the .cfg.yml path and how diagnostics name
	 * it (NULL: the path). Its OptionSettings are set at the SAVED level, after the
	 * .ebextensions and before option_args (ebextensions/ebextensions.h, part 4). NULL:
	 * none. */
	const char *saved_config, *saved_config_name;
	/* Saved-configuration settings "NAMESPACE:OPTION=VALUE" as an environment stores them
	 * (POST /api/v1/environments saved_option_settings), also at the SAVED level. */
	const char *const *saved_option_args;
	size_t n_saved_option_args;
	/* Keep the hook plans (platform-hooks/hooks.h) in the validation: what runs on each
	 * instance in an application and in a configuration deployment (`sprout plan`). */
	bool keep_hook_plans;
};

struct sp_options;
struct sp_ebx;
struct sp_plan;
struct sp_hook_plan;

struct sp_validation {
	struct sp_dockerrun *dockerrun; /* the task's model; NULL when the input has none */
	struct sp_options *options;     /* every option setting (.ebextensions, option_args) */
	struct sp_ebx *ebx;             /* the accepted .ebextensions files */
	struct sp_plan *plan;           /* the environment plan; NULL without a Dockerrun */
	/* With keep_hook_plans, the hook plans of an application deployment and of a
	 * configuration deployment (for a lone Dockerrun.aws.json: the deploy marker alone);
	 * otherwise NULL. */
	struct sp_hook_plan *hooks_app, *hooks_config;
};

/* Runs every step over path. opts may be NULL (defaults). Returns 0 and *out when there
 * is no error (warnings may be in d; with strict they are errors); SP_ERROR when there
 * are errors (all of them in d); SP_ENOMEM. A path that cannot be read is a diagnostic
 * (VALIDATE_UNREADABLE), not an operational failure. */
int sp_validate(const char *path, const struct sp_validate_options *opts, struct sp_diags *d,
		struct sp_validation **out);
void sp_validation_free(struct sp_validation *v);

#endif
