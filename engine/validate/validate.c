/* validate.c — the `sprout validate` pipeline (see validate.h). Keep it a plain sequence
 * of steps: open the input, check the bundle, Dockerrun.aws.json, then the later steps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundles/bundle.h"
#include "ebextensions/ebextensions.h"
#include "engine/base/path.h"
#include "engine/hooks/hooks.h"
#include "engine/plan/plan.h"
#include "engine/plan/plan_bundle.h"
#include "engine/validate/validate.h"
#include "engine/base/banned.h"

struct input {
	const char *path;
	struct sp_bundle *bundle;   /* NULL for a lone file */
	char *dockerrun_name;       /* how diagnostics name Dockerrun.aws.json */
};

/* bundle_has callback of the Dockerrun step: is rel an entry of the bundle? */
static bool bundle_has(void *ctx, const char *rel)
{
	struct sp_buf norm = SP_BUF_INIT(4096);
	bool found = false;
	if (sp_path_rel_normalize(rel, false, &norm) == 0)
		found = sp_bundle_find(ctx, sp_buf_cstr(&norm)) != NULL;
	sp_buf_free(&norm);
	return found;
}

static bool is_archive_file(const char *path)
{
	static const unsigned char zip[4] = { 'P', 'K', 3, 4 }, zip_empty[4] = { 'P', 'K', 5, 6 };
	unsigned char head[512] = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t n = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (n >= 4 && (memcmp(head, zip, 4) == 0 || memcmp(head, zip_empty, 4) == 0))
		return true;
	if (n >= 3 && ((head[0] == 0x1f && head[1] == 0x8b) ||            /* gzip */
		       (head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') || /* bzip2 */
		       (head[0] == 0xfd && head[1] == '7')))                   /* xz */
		return true;
	return n >= 262 && memcmp(head + 257, "ustar", 5) == 0;
}

/* Step 1: what the input is; for bundles and folders, their own checks. */
static int open_input(const char *path, struct sp_diags *d, struct input *in)
{
	struct stat st;
	in->path = path;
	if (stat(path, &st) != 0) {
		sp_diag_add(d, SP_SEV_ERROR, "VALIDATE_UNREADABLE", (struct sp_loc){ path, 0, 0, "" },
			    "give a bundle (zip or tar), a folder, or a Dockerrun.aws.json",
			    "cannot open %s: %s", path, strerror(errno));
		return SP_ERROR;
	}
	if (S_ISDIR(st.st_mode) || is_archive_file(path)) {
		int rc = S_ISDIR(st.st_mode) ? sp_bundle_scan_dir(path, NULL, d, &in->bundle)
					     : sp_bundle_open(path, NULL, d, &in->bundle);
		if (rc != 0)
			return rc == SP_ENOMEM ? rc : SP_ERROR;
		in->dockerrun_name = strcmp(path, ".") == 0 ? sp_strdup(SP_DOCKERRUN_FILE)
							    : sp_aprintf("%s%s" SP_DOCKERRUN_FILE, path,
									 path[strlen(path) - 1] == '/' ? "" : "/");
	} else {
		in->dockerrun_name = sp_strdup(path);
	}
	return in->dockerrun_name ? 0 : SP_ENOMEM;
}

/* Step 2: Dockerrun.aws.json into the task model. */
static int check_dockerrun(const struct input *in, const struct sp_validate_options *o,
			   const struct sp_options *options, struct sp_diags *d,
			   struct sp_dockerrun **out)
{
	struct sp_dockerrun_options dopts = {
		.allow_privileged = o->allow_privileged,
		.allow_host_paths = o->allow_host_paths,
		.allow_docker_socket = o->allow_docker_socket,
	};
	sp_plan_dockerrun_options(options, &dopts);
	if (!in->bundle)
		return sp_dockerrun_load_file(in->path, in->dockerrun_name, &dopts, d, out);
	dopts.bundle_has = bundle_has;
	dopts.bundle_ctx = in->bundle;
	const char *data;
	size_t len;
	int rc = sp_bundle_kept_file(in->bundle, SP_DOCKERRUN_FILE, &data, &len);
	if (rc == 0)
		return sp_dockerrun_load(data, len, in->dockerrun_name, &dopts, d, out);
	if (rc == SP_ETOOBIG) {
		sp_diag_add(d, SP_SEV_ERROR, "DOC_TOO_LARGE", (struct sp_loc){ in->dockerrun_name, 0, 0, "" },
			    "keep Dockerrun.aws.json under 4 MiB", "Dockerrun.aws.json is too large");
		return SP_ERROR;
	}
	if (sp_bundle_has_compose(in->bundle)) {
		char *name = strcmp(in->path, ".") == 0 ? sp_strdup("docker-compose.yml")
							: sp_aprintf("%s/docker-compose.yml", in->path);
		sp_diag_add(d, SP_SEV_ERROR, "DOCKERRUN_COMPOSE_UNSUPPORTED",
			    (struct sp_loc){ name ? name : in->path, 0, 0, "" },
			    "describe the containers in a Dockerrun.aws.json version 2 (containerDefinitions)",
			    "docker-compose.yml bundles (Docker platform on Amazon Linux 2) are not supported yet");
		free(name);
		return SP_ERROR;
	}
	return 0; /* no Dockerrun: the bundle step has said so (BUNDLE_NO_DOCKERRUN) */
}

/* Step 3: .ebextensions, a saved configuration and the option settings (before step 2: sprout:security options
 * decide what the Dockerrun may do). */
static int check_ebextensions(const struct input *in, const struct sp_validate_options *o,
			      struct sp_diags *d, struct sp_validation *v)
{
	int rc = sp_options_new(&v->options);
	if (rc == 0)
		rc = sp_ebx_new(&v->ebx);
	if (rc == 0 && in->bundle) {
		size_t n = strlen(in->path);
		char *prefix = strcmp(in->path, ".") == 0 ? sp_strdup("")
			       : sp_aprintf("%s%s", in->path, n && in->path[n - 1] == '/' ? "" : "/");
		rc = prefix ? sp_plan_load_ebextensions(in->bundle, prefix, v->ebx, v->options, d)
			    : SP_ENOMEM;
		free(prefix);
	}
	/* saved configuration: above .ebextensions, below create/update-time settings */
	if (rc == 0 && o->saved_config) {
		int r = sp_saved_config_load_file(o->saved_config, o->saved_config_name,
						  v->options, d);
		if (r == SP_ENOMEM || r == SP_ETOOBIG)
			rc = r;
	}
	for (size_t i = 0; rc == 0 && i < o->n_saved_option_args; i++)
		if (sp_options_set_arg(v->options, SP_OPT_LEVEL_SAVED, o->saved_option_args[i],
				       "saved configuration", d) == SP_ENOMEM)
			rc = SP_ENOMEM;
	for (size_t i = 0; rc == 0 && i < o->n_option_args; i++)
		if (sp_options_set_arg(v->options, SP_OPT_LEVEL_API, o->option_args[i], "--option",
				       d) == SP_ENOMEM)
			rc = SP_ENOMEM;
	return rc == 0 ? sp_options_check(v->options, d) : rc;
}

/* Step 5 (issue 12): platform hooks, files, commands and container_commands
 * (engine/hooks: shebang, CRLF, command and files keys; a non-executable .config among hooks).
 * With keep_hook_plans, the application plan the checks build and the configuration plan
 * are kept for `sprout plan`. */
static int check_hooks(const struct input *in, const struct sp_validate_options *o,
		       struct sp_diags *d, struct sp_validation *v)
{
	static const struct sp_hooks_input nothing = { 0 };
	int rc;
	if (!in->bundle) { /* a lone Dockerrun.aws.json: only the deployment runs */
		if (!o->keep_hook_plans)
			return 0;
		rc = sp_hook_plan_build_for(&nothing, SP_HOOK_APP_DEPLOYMENT, NULL, &v->hooks_app);
		if (rc == 0)
			rc = sp_hook_plan_build_for(&nothing, SP_HOOK_CONFIG_DEPLOYMENT, NULL,
						    &v->hooks_config);
		return rc;
	}
	size_t n = strlen(in->path);
	char *prefix = strcmp(in->path, ".") == 0 ? sp_strdup("")
		       : sp_aprintf("%s%s", in->path, n && in->path[n - 1] == '/' ? "" : "/");
	if (!prefix)
		return SP_ENOMEM;
	rc = sp_hooks_validate_bundle(in->path, in->bundle, prefix, d,
				      o->keep_hook_plans ? &v->hooks_app : NULL);
	if (rc == 0 && o->keep_hook_plans) {
		/* the confighook scripts were checked with the application plan */
		struct sp_diags scratch;
		sp_diags_init(&scratch);
		if (sp_hooks_plan_for_bundle(in->path, in->bundle, prefix,
					     SP_HOOK_CONFIG_DEPLOYMENT, &scratch,
					     &v->hooks_config) == SP_ENOMEM)
			rc = SP_ENOMEM;
		sp_diags_free(&scratch);
	}
	free(prefix);
	return rc;
}

/* Step 4: the environment plan and its cross-checks. */
static int check_plan(const struct input *in, const struct sp_validate_options *o,
		      struct sp_diags *d, struct sp_validation *v)
{
	struct sp_plan_input pi = {
		.env_name = o->env_name ? o->env_name : SP_TASKDEF_PLACEHOLDER_ENV,
		.env_id = o->env_id,
		.dockerrun = v->dockerrun,
		.dockerrun_file = in->dockerrun_name,
		.opts = v->options,
		.ebx = v->ebx,
		.taskdef_revision = o->taskdef_revision,
	};
	int rc = sp_plan_build(&pi, d, &v->plan);
	return rc == SP_ENOMEM ? rc : 0;
}

int sp_validate(const char *path, const struct sp_validate_options *opts, struct sp_diags *d,
		struct sp_validation **out)
{
	static const struct sp_validate_options defaults = { 0 };
	const struct sp_validate_options *o = opts ? opts : &defaults;
	struct input in = { 0 };
	struct sp_validation *v = calloc(1, sizeof(*v));
	struct sp_diags local;
	int rc = SP_ENOMEM;
	sp_diags_init(&local);
	if (!v)
		goto out;

	/* 1. the input: bundle safety, limits and layout */
	rc = open_input(path, &local, &in);
	if (rc == SP_ENOMEM)
		goto out;
	if (rc == 0) {
		/* 2. Dockerrun.aws.json */
		/* 3. .ebextensions first: their sprout:security options feed step 2 */
		rc = check_ebextensions(&in, o, &local, v);
		if (rc == SP_ENOMEM)
			goto out;
		rc = check_dockerrun(&in, o, v->options, &local, &v->dockerrun);
		if (rc == SP_ENOMEM)
			goto out;
		/* 4. the environment plan */
		if (v->dockerrun && check_plan(&in, o, &local, v) == SP_ENOMEM) {
			rc = SP_ENOMEM;
			goto out;
		}
		/* 5. platform hooks and commands (issue 12) */
		if (check_hooks(&in, o, &local, v) == SP_ENOMEM) {
			rc = SP_ENOMEM;
			goto out;
		}
	}

	if (o->strict)
		sp_diags_promote_warnings(&local);
	sp_diags_sort(&local);
	rc = sp_diags_errors(&local) ? SP_ERROR : 0;
	if (rc == 0) {
		*out = v;
		v = NULL;
	}
out:
	sp_diags_merge(d, &local);
	sp_diags_free(&local);
	sp_validation_free(v);
	sp_bundle_free(in.bundle);
	free(in.dockerrun_name);
	return rc;
}

void sp_validation_free(struct sp_validation *v)
{
	if (!v)
		return;
	sp_dockerrun_free(v->dockerrun);
	sp_plan_free(v->plan);
	sp_hook_plan_free(v->hooks_app);
	sp_hook_plan_free(v->hooks_config);
	sp_ebx_free(v->ebx);
	sp_options_free(v->options);
	free(v);
}
