/* engine/hooks/hooks.h — platform-hooks/ wired to the rest of the engine:
 *
 *  1. a hook executor (platform-hooks/runner.h) on the Docker Engine API (engine/docker):
 *     one container per step, killed at its timeout, output captured, always removed;
 *  2. the hook plan of a bundle (zip, tar or folder) for an application or a
 *     configuration deployment: the manifest's hook list (bundles/), the first
 *     MAX_HOOK_SCRIPT_HEAD bytes of each script (for the shebang and CRLF checks), and
 *     the accepted .ebextensions documents (application plan only);
 *  3. the `sprout validate` step (engine/validate): the plan's checks. A hook without
 *     the exec bit is bundles/' BUNDLE_HOOK_NOT_EXECUTABLE (an error, reported once,
 *     there); a `.config` file among the hooks (BUNDLE_HOOK_IS_CONFIG, a warning of
 *     bundles/) without the exec bit is made an error here, since EB fails it the same way;
 *  4. the settings: sprout:hooks Image (default: the first essential container's image)
 *     and Timeout (default SP_HOOKS_DEFAULT_TIMEOUT, 600 s, EB's command timeout).
 * docs/hooks.md describes the whole subsystem.
 */
#ifndef SPROUT_ENGINE_HOOKS_H
#define SPROUT_ENGINE_HOOKS_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/base/diag.h"
#include "platform-hooks/hooks.h"
#include "platform-hooks/runner.h"

struct sp_bundle;
struct sp_options;

/* ---- 1. the Docker executor ---- */

struct sp_hooks_docker_options {
	const char *socket;  /* NULL: $DOCKER_HOST or /var/run/docker.sock */
	const char *owner;   /* label sprout.owner on every hook container (may be NULL) */
	bool pull_missing;   /* pull the image when the daemon does not have it */
};

/* Makes an executor (free with sp_hooks_docker_executor_free). Connects to nothing yet.
 * Containers are named "sprout-hook-<instance>-<8 hex>" and labelled sprout.hook=<stage>,
 * sprout.hook.step, sprout.hook.instance (and sprout.owner; never the task labels
 * sprout.env/sprout.instance/sprout.task, so the driver never mistakes them for tasks). They run unprivileged, on the
 * default bridge network, with `init` (so a killed step leaves no orphans), with only the
 * runner's mounts (Mounts of type bind: a missing source is an error, never created). */
int sp_hooks_docker_executor_new(const struct sp_hooks_docker_options *o,
				 struct sp_hooks_executor **out);
void sp_hooks_docker_executor_free(struct sp_hooks_executor *e);

/* ---- 2. a bundle's plan ---- */

/* Builds the hook plan of `kind` (platform-hooks/hooks.h: the application plan, or the
 * configuration plan of .platform/confighooks) of the bundle at path (a zip/tar file or a
 * folder). manifest may be NULL (then the bundle is opened or scanned here, and its own
 * diagnostics go to d too). Diagnostics name files "<prefix><entry>" (prefix "" or
 * "app.zip/"). Returns as sp_hook_plan_build_for; SP_ERROR when the bundle itself cannot
 * be read (reported). */
int sp_hooks_plan_for_bundle(const char *path, const struct sp_bundle *manifest,
			     const char *prefix, enum sp_hook_deployment kind,
			     struct sp_diags *d, struct sp_hook_plan **out);

/* ---- 3. validation ---- */

/* The hooks step of `sprout validate`: makes BUNDLE_HOOK_IS_CONFIG of a file without the
 * exec bit (already in d) an error, then adds the plan's checks (hooks.h). app_plan, when
 * not NULL, receives the application plan the checks built (the caller frees it with
 * sp_hook_plan_free; left untouched when it could not be built, e.g. past MAX_HOOK_STEPS,
 * which d then holds as an error). 0 or SP_ENOMEM. */
int sp_hooks_validate_bundle(const char *path, const struct sp_bundle *manifest,
			     const char *prefix, struct sp_diags *d,
			     struct sp_hook_plan **app_plan);

/* ---- 4. settings ---- */

/* The image hooks run in: sprout:hooks Image when set, else the image of the first
 * essential container of container_definitions (ECS JSON), else NULL. Caller frees. */
char *sp_hooks_image(const struct sp_options *opts, const json_t *container_definitions);
/* sprout:hooks Timeout when set, else SP_HOOKS_DEFAULT_TIMEOUT. */
long sp_hooks_timeout(const struct sp_options *opts);

#endif
