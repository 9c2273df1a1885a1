/* cmd_create.c — `sprout create ENV`: make an environment of the project's application
 * (`eb create`): the project is bundled, validated and uploaded as a new version (or
 * --version names an existing one), the environment is created with its CNAME prefix,
 * instance count and option settings, and its events are followed until it is Ready
 * (exit 0) or the launch failed (exit 3). The new environment becomes the branch's
 * default, as `eb create` makes it. --cfg NAME (eb create's flag) applies the saved
 * configuration .elasticbeanstalk/saved_configs/NAME.cfg.yml of the project: its
 * OptionSettings are checked here and sent as saved_option_settings, which the engine
 * ranks below the create-time settings and above .ebextensions. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/deploy/deploy.h"
#include "engine/project/project.h"
#include "engine/store/store_env.h"
#include "engine/base/banned.h"

static int add_setting(json_t *opts, const char *ns, const char *name, const char *value)
{
	return json_array_append_new(opts, json_pack("{s:s,s:s,s:s}", "namespace", ns,
						     "option_name", name, "value", value));
}

/* --cfg: the saved configuration's option settings as [{namespace, option_name, value}]
 * into *out (diagnostics printed). An exit code. */
static int saved_settings(const struct sp_cli_env_ctx *x, const char *arg, json_t **out)
{
	struct sp_buf path = SP_BUF_INIT(0), shown = SP_BUF_INIT(0);
	struct sp_options *o = NULL;
	struct sp_diags d;
	int ret = SP_EXIT_USAGE;
	sp_diags_init(&d);
	*out = NULL;
	if (sp_saved_config_resolve(sp_project_root(x->project), arg, &path, &d) ||
	    sp_saved_config_resolve(NULL, arg, &shown, &d))
		goto out;
	ret = SP_EXIT_FAILED;
	if (sp_options_new(&o))
		goto out;
	int rc = sp_saved_config_load_file(sp_buf_cstr(&path), sp_buf_cstr(&shown), o, &d);
	if (rc == SP_ENOMEM || sp_diags_errors(&d))
		goto out;
	json_t *a = json_array();
	for (size_t i = 0; a && i < sp_options_count(o); i++) {
		const struct sp_opt_setting *s = sp_options_at(o, i);
		if (json_array_size(a) >= SP_MAX_ENV_OPTIONS || add_setting(a, s->ns, s->name, s->value)) {
			fprintf(stderr, "sprout create: the saved configuration %s has more than %d"
					" option settings\n", sp_buf_cstr(&shown), SP_MAX_ENV_OPTIONS);
			json_decref(a);
			a = NULL;
			break;
		}
	}
	if (a) {
		*out = a;
		ret = SP_EXIT_OK;
	}
out:
	sp_diags_sort(&d);
	sp_cli_print_diags(&d, stderr);
	sp_diags_free(&d);
	sp_options_free(o);
	sp_buf_free(&path);
	sp_buf_free(&shown);
	return ret;
}

/* After a launch the engine accepted: make ENV the branch's default (eb create does). */
static void make_default(struct sp_cli_env_ctx *x)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const char *path[] = { "branch-defaults", x->branch, "environment" };
	if (!x->default_env || strcmp(x->default_env, x->env) != 0) {
		if (sp_project_set(x->project, path, 3, x->env, &d) != 0 ||
		    sp_project_save(x->project) != 0)
			fprintf(stderr, "sprout create: warning: cannot make \"%s\" the default of"
					" branch \"%s\" in " SP_PROJECT_CONFIG "\n", x->env, x->branch);
	}
	sp_diags_free(&d);
}

/* true when ENV exists already (said so, *ret = 1); *ret = 1 on an API error too. */
static bool env_exists(struct sp_cli_env_ctx *x, int *ret)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	bool exists = false;
	sp_client_error_init(&err);
	*ret = SP_EXIT_FAILED;
	if (sp_cli_env_path(x->env, NULL, &path) == 0) {
		int rc = sp_client_request(x->client, "GET", sp_buf_cstr(&path), NULL, NULL, NULL,
					   &err);
		if (rc == 0) {
			exists = true;
			fprintf(stderr, "sprout create: error[ENV_EXISTS]: Environment %s already"
					" exists.\n  hint: deploy to it (`sprout deploy %s`), or choose"
					" another name\n", x->env, x->env);
		} else if (rc == SP_ENOTFOUND) {
			*ret = SP_EXIT_OK;
		} else {
			sp_cli_api_error("create", x->client, &err);
		}
	}
	sp_client_error_free(&err);
	sp_buf_free(&path);
	return exists;
}

int cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "version", required_argument, NULL, 'V' },
		{ "label", required_argument, NULL, 'l' },
		{ "message", required_argument, NULL, 'm' },
		{ "staged", no_argument, NULL, 's' },
		{ "strict", no_argument, NULL, 'S' },
		{ "cname", required_argument, NULL, 'c' },
		{ "instances", required_argument, NULL, 'i' },
		{ "single", no_argument, NULL, '1' },
		{ "option", required_argument, NULL, 'o' },
		{ "description", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nohang", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ "cfg", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_cli_upload u = { .reuse_existing = true, .json_quiet = true };
	struct sp_cli_conn conn = { 0 };
	struct sp_cli_env_ctx x;
	const char *version = NULL, *cname = NULL, *description = NULL, *why, *cfg = NULL;
	bool single = false, nohang = false;
	uint64_t instances = 0;
	json_t *opts = json_array(), *body = NULL, *saved = NULL;
	char *label = NULL, *started = NULL;
	int ch, ret = SP_EXIT_USAGE, rc;
	if (!opts)
		return SP_EXIT_FAILED;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:l:m:d:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'V': version = optarg; break;
		case 'l': u.label = optarg; break;
		case 'm': u.message = optarg; break;
		case 's': u.staged = true; break;
		case 'S': u.strict = true; break;
		case 'c': cname = optarg; break;
		case '1': single = true; break;
		case 'd': description = optarg; break;
		case 'n': nohang = true; break;
		case 'j': u.json = true; break;
		case 'E': conn.endpoint = optarg; break;
		case 'T': conn.token = optarg; break;
		case 'C': cfg = optarg; break;
		case 'i':
			if (sp_parse_u64(optarg, &instances) || instances < 1 ||
			    instances > SP_DEPLOY_MAX_INSTANCES) {
				ret = sp_cli_usage_error("create", "--instances takes 1 to %d",
							 SP_DEPLOY_MAX_INSTANCES);
				goto out_early;
			}
			break;
		case 'o': {
			json_t *s = NULL;
			if (json_array_size(opts) >= SP_MAX_ENV_OPTIONS) {
				ret = sp_cli_usage_error("create", "at most %d --option settings",
							 SP_MAX_ENV_OPTIONS);
				goto out_early;
			}
			if ((rc = sp_cli_parse_option(optarg, true, &s)) == SP_ETOOBIG) {
				ret = sp_cli_usage_error("create", "the value of --option '%.*s' is"
							 " longer than %d bytes",
							 (int)strcspn(optarg, "="), optarg,
							 SP_MAX_OPTION_VALUE);
				goto out_early;
			}
			if (rc) {
				ret = sp_cli_usage_error("create", "--option '%s' is not"
							 " NAMESPACE:OPTION=VALUE (e.g."
							 " aws:autoscaling:asg:MaxSize=4)", optarg);
				goto out_early;
			}
			json_array_append_new(opts, s);
			break;
		}
		case 't':
			if (sp_cli_parse_timeout(optarg, &u.timeout_s)) {
				ret = sp_cli_usage_error("create", "--timeout takes minutes (10) or a"
							 " duration (90s, 2m) up to 24 h");
				goto out_early;
			}
			break;
		default:
			ret = sp_cli_usage_error("create", "unknown option or missing value: '%s'",
						 argv[optind - 1]);
			goto out_early;
		}
	}
	if (argc - optind != 1) {
		ret = sp_cli_usage_error("create", "takes one ENV (the new environment's name)");
		goto out_early;
	}
	const char *env = argv[optind];
	if ((why = sp_env_name_problem(env))) {
		ret = sp_cli_usage_error("create", "the environment name \"%s\" %s", env, why);
		goto out_early;
	}
	if (cname && (why = sp_cname_prefix_problem(cname))) {
		ret = sp_cli_usage_error("create", "the CNAME prefix \"%s\" %s", cname, why);
		goto out_early;
	}
	if (single && instances) {
		ret = sp_cli_usage_error("create", "--single and --instances do not go together");
		goto out_early;
	}
	if (version && (u.label || u.message || u.staged || u.strict)) {
		ret = sp_cli_usage_error("create", "--version uses an existing version; it does not"
					 " go with --label, --message, --staged or --strict");
		goto out_early;
	}
	if (single)
		add_setting(opts, "aws:elasticbeanstalk:environment", "EnvironmentType",
			    "SingleInstance");
	if (instances) {
		char n[24];
		snprintf(n, sizeof(n), "%llu", (unsigned long long)instances);
		add_setting(opts, "aws:autoscaling:asg", "MinSize", n);
		add_setting(opts, "aws:autoscaling:asg", "MaxSize", n);
	}

	if ((ret = sp_cli_env_open("create", &conn, env, true, &x)))
		goto out_early;
	/* The saved configuration is checked before anything is uploaded. */
	if (cfg && (ret = saved_settings(&x, cfg, &saved)))
		goto out;
	/* A name that is taken fails before anything is uploaded. */
	if (env_exists(&x, &ret) || ret)
		goto out;
	if (!version) {
		if ((ret = sp_cli_upload_version("create", x.client, x.project, &u, &label)))
			goto out;
		version = label;
	}
	body = json_pack("{s:s,s:s,s:s,s:O}", "application", x.app, "name", x.env,
			 "version_label", version, "option_settings", opts);
	if (body && saved)
		json_object_set(body, "saved_option_settings", saved);
	if (body && cname)
		json_object_set_new(body, "cname_prefix", json_string(cname));
	if (body && description)
		json_object_set_new(body, "description", json_string(description));
	started = sp_aprintf("Creating environment \"%s\" of \"%s\" with version \"%s\".", x.env,
			     x.app, version);
	if (!body || !started) {
		fprintf(stderr, "sprout create: out of memory\n");
		ret = SP_EXIT_FAILED;
		goto out;
	}
	struct sp_cli_env_op op = {
		.method = "POST", .create = true, .body = body, .what = "launch",
		.started = started, .nohang = nohang, .json = u.json,
		.timeout_s = u.timeout_s > 0 ? u.timeout_s : SP_CLI_ENV_DEFAULT_TIMEOUT_S,
	};
	ret = sp_cli_env_operate(&x, &op, NULL);
	/* Anything but a refused request means the environment exists now. */
	if (ret != SP_EXIT_FAILED && ret != SP_EXIT_USAGE)
		make_default(&x);
out:
	sp_cli_env_close(&x);
out_early:
	free(started);
	free(label);
	json_decref(body);
	json_decref(opts);
	json_decref(saved);
	return ret;
}
