/* cmd_plan.c — `sprout plan [BUNDLE|DIR|FILE] [--env NAME] [--option NS:OPTION=VALUE ...]`:
 * what the environment will be made of, as a readable tree, as the AWS API requests
 * (--json) or as a CloudFormation template (--format cloudformation). Diagnostics go to
 * standard error; with an error nothing is printed on standard output and the exit is 1.
 *
 * The text and --json also show the hook plans (platform-hooks/hooks.h): the steps each
 * instance runs in an application deployment and, when the bundle has confighooks, in a
 * configuration deployment. They are not CloudFormation resources: the template leaves
 * them out.
 *
 * --saved-config NAME|FILE applies an EB saved configuration (DIR/.elasticbeanstalk/
 * saved_configs/NAME.cfg.yml) at its precedence: over .ebextensions, under --option.
 *
 * --config-only DIR reads only DIR/.ebextensions, the saved configuration and the --option
 * settings and prints the
 * resulting option settings (no Dockerrun needed); --list-options prints docs/options.md
 * from the option table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/cli/cli.h"
#include "engine/plan/plan.h"
#include "engine/validate/validate.h"
#include "platform-hooks/hooks.h"
#include "engine/base/banned.h"

#define MAX_PLAN_OPTION_ARGS 1024

enum plan_format { FMT_TEXT, FMT_JSON, FMT_CFN };

static int print_json(json_t *j)
{
	if (!j)
		return SP_EXIT_FAILED;
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(j);
	return SP_EXIT_OK;
}

/* {environment, plan, hooks: {application, configuration}, requests}: the hook plans
 * go before the (long) request list. */
static json_t *plan_json(const struct sp_validation *v)
{
	json_t *j = NULL, *out = json_object();
	json_t *hooks = json_pack("{s:o?, s:o?}", "application", sp_hook_plan_to_json(v->hooks_app),
				  "configuration", sp_hook_plan_to_json(v->hooks_config));
	const char *key;
	json_t *val;
	if (!out || !hooks || sp_plan_to_json(v->plan, &j) != 0)
		goto fail;
	json_object_foreach(j, key, val) {
		if (strcmp(key, "requests") == 0 && json_object_set(out, "hooks", hooks) != 0)
			goto fail;
		if (json_object_set(out, key, val) != 0)
			goto fail;
	}
	if (!json_object_get(out, "hooks") && json_object_set(out, "hooks", hooks) != 0)
		goto fail;
	json_decref(hooks);
	json_decref(j);
	return out;
fail:
	json_decref(hooks);
	json_decref(j);
	json_decref(out);
	return NULL;
}

/* The text tree, then what runs on each instance; the configuration deployment's steps
 * only when the bundle has confighooks. */
static int plan_text(const struct sp_validation *v, struct sp_buf *out)
{
	int rc = sp_plan_render_text(v->plan, out);
	if (rc == 0)
		rc = sp_hook_plan_render_text(v->hooks_app, "instance steps (application deployment)",
					      out);
	if (rc == 0 && sp_hook_plan_count(v->hooks_config) > 1)
		rc = sp_hook_plan_render_text(v->hooks_config,
					      "instance steps (configuration deployment)", out);
	return rc;
}

static int list_options(void)
{
	struct sp_buf b = SP_BUF_INIT(0);
	int rc = sp_opt_schema_markdown(&b);
	if (rc == 0)
		fputs(sp_buf_cstr(&b), stdout);
	sp_buf_free(&b);
	return rc == 0 ? SP_EXIT_OK : SP_EXIT_FAILED;
}

/* .ebextensions and --option only: the option settings and their problems. */
static int config_only(const char *dir, const char *saved, const char *const *args,
		       size_t n_args, bool strict, enum plan_format fmt)
{
	struct sp_options *o = NULL;
	struct sp_ebx *x = NULL;
	struct sp_diags d;
	struct sp_buf out = SP_BUF_INIT(0);
	int exit_code = SP_EXIT_FAILED;
	sp_diags_init(&d);
	if (sp_options_new(&o) != 0 || sp_ebx_new(&x) != 0)
		goto out;
	if (sp_ebx_load_dir(x, dir, o, &d) == SP_ENOMEM)
		goto out;
	if (saved && sp_saved_config_load_file(saved, NULL, o, &d) == SP_ENOMEM)
		goto out;
	for (size_t i = 0; i < n_args; i++)
		sp_options_set_arg(o, SP_OPT_LEVEL_API, args[i], "--option", &d);
	sp_options_check(o, &d);
	const char *const *ids;
	bool lb = strcmp(sp_options_get(o, "aws:elasticbeanstalk:environment", "EnvironmentType"),
			 "SingleInstance") != 0;
	struct sp_ebx_context ctx = { x, o, NULL, 0, SP_TASKDEF_PLACEHOLDER_ENV, "us-east-1" };
	ctx.n_eb_ids = sp_plan_eb_ids(lb, &ids);
	ctx.eb_ids = ids;
	sp_ebx_check_refs(&ctx, &d);
	if (strict)
		sp_diags_promote_warnings(&d);
	sp_diags_sort(&d);
	sp_cli_print_diags(&d, stderr);
	if (sp_diags_errors(&d))
		goto out;
	if (fmt == FMT_JSON) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < sp_options_count(o); i++) {
			const struct sp_opt_setting *s = sp_options_at(o, i);
			json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "namespace", s->ns,
							   "option", s->name, "value", s->value,
							   "source", sp_opt_level_name(s->level)));
		}
		exit_code = print_json(a);
		goto out;
	}
	if (sp_plan_render_options(o, &out) == 0) {
		fputs(sp_buf_cstr(&out), stdout);
		exit_code = SP_EXIT_OK;
	}
out:
	sp_buf_free(&out);
	sp_diags_free(&d);
	sp_ebx_free(x);
	sp_options_free(o);
	return exit_code;
}

int cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "env-id", required_argument, NULL, 'i' },
		{ "option", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "revision", required_argument, NULL, 'r' },
		{ "strict", no_argument, NULL, 's' },
		{ "config-only", no_argument, NULL, 'c' },
		{ "list-options", no_argument, NULL, 'l' },
		{ "saved-config", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *args[MAX_PLAN_OPTION_ARGS];
	size_t n_args = 0;
	struct sp_validate_options vo = { 0 };
	enum plan_format fmt = FMT_TEXT;
	bool only_config = false;
	const char *saved = NULL;
	int64_t rev = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': vo.env_name = optarg; break;
		case 'i': vo.env_id = optarg; break;
		case 'o':
			if (n_args == MAX_PLAN_OPTION_ARGS)
				return sp_cli_usage_error("plan", "more than %d --option",
							  MAX_PLAN_OPTION_ARGS);
			args[n_args++] = optarg;
			break;
		case 'j': fmt = FMT_JSON; break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = FMT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				fmt = FMT_JSON;
			else if (strcmp(optarg, "cloudformation") == 0)
				fmt = FMT_CFN;
			else
				return sp_cli_usage_error("plan", "--format is text, json or "
								  "cloudformation, not '%s'", optarg);
			break;
		case 'r':
			if (sp_parse_i64(optarg, &rev) != 0 || rev < 1 || rev > 1000000)
				return sp_cli_usage_error("plan", "--revision takes 1..1000000");
			break;
		case 's': vo.strict = true; break;
		case 'c': only_config = true; break;
		case 'l': return list_options();
		case 'S': saved = optarg; break;
		default: return sp_cli_usage_error("plan", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("plan", "takes one BUNDLE, DIR or FILE");
	const char *path = optind < argc ? argv[optind] : ".";
	struct sp_buf saved_path = SP_BUF_INIT(0);
	if (saved && sp_cli_saved_config_path(path, saved, &saved_path) != SP_EXIT_OK) {
		sp_buf_free(&saved_path);
		return SP_EXIT_USAGE;
	}
	vo.saved_config = saved ? sp_buf_cstr(&saved_path) : NULL;
	if (only_config) {
		int r = fmt == FMT_CFN ? sp_cli_usage_error("plan", "--config-only prints option "
								    "settings (text or json)")
				       : config_only(path, vo.saved_config, args, n_args, vo.strict,
						     fmt);
		sp_buf_free(&saved_path);
		return r;
	}
	vo.option_args = args;
	vo.n_option_args = n_args;
	vo.taskdef_revision = (int)rev;
	vo.keep_hook_plans = fmt != FMT_CFN;

	struct sp_diags d;
	struct sp_validation *v = NULL;
	int exit_code = SP_EXIT_FAILED;
	sp_diags_init(&d);
	int rc = sp_validate(path, &vo, &d, &v);
	sp_cli_print_diags(&d, stderr);
	if (rc == SP_ENOMEM) {
		fprintf(stderr, "sprout plan: out of memory\n");
	} else if (rc == 0 && !v->plan) {
		fprintf(stderr, "sprout plan: %s has no Dockerrun.aws.json to plan\n", path);
	} else if (rc == 0) {
		json_t *j = NULL;
		if (fmt == FMT_JSON) {
			exit_code = print_json(plan_json(v));
		} else if (fmt == FMT_CFN) {
			if (sp_plan_to_cloudformation(v->plan, &j) == 0)
				exit_code = print_json(j);
		} else {
			struct sp_buf out = SP_BUF_INIT(0);
			if (plan_text(v, &out) == 0) {
				fputs(sp_buf_cstr(&out), stdout);
				exit_code = SP_EXIT_OK;
			}
			sp_buf_free(&out);
		}
	}
	sp_validation_free(v);
	sp_diags_free(&d);
	sp_buf_free(&saved_path);
	return exit_code;
}
