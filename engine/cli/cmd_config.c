/* cmd_config.c — `sprout config [ENV]`: the environment's option settings, and
 * `config set NS:OPT=VALUE ...` / `config unset NS:OPT ...` to change them (an
 * UpdateEnvironment with OptionSettings / OptionsToRemove, followed to the end).
 * Environment properties are `setenv`/`printenv`'s (as in the EB CLI, config does not
 * show them). Also the NS:OPT=VALUE parser `create --option` uses. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/store/store_env.h"
#include "engine/base/banned.h"

#define PROPERTIES_NS "aws:elasticbeanstalk:application:environment"

/* "aws:autoscaling:asg:MinSize=2": the namespace is everything before the last ':'
 * ahead of the first '='. With want_value false the '=' part must be absent. */
int sp_cli_parse_option(const char *arg, bool want_value, json_t **out)
{
	const char *eq = strchr(arg, '=');
	if (!want_value && eq)
		return SP_EINVAL;
	if (want_value && !eq)
		return SP_EINVAL;
	size_t head = eq ? (size_t)(eq - arg) : strlen(arg);
	const char *colon = NULL;
	for (size_t i = 0; i < head; i++)
		if (arg[i] == ':')
			colon = arg + i;
	if (!colon || colon == arg || (size_t)(colon - arg) + 1 >= head)
		return SP_EINVAL;
	if (eq && strlen(eq + 1) > SP_MAX_OPTION_VALUE)
		return SP_ETOOBIG;
	char *ns = sp_strndup(arg, (size_t)(colon - arg));
	char *opt = sp_strndup(colon + 1, head - (size_t)(colon - arg) - 1);
	json_t *j = ns && opt ? json_pack("{s:s,s:s}", "namespace", ns, "option_name", opt) : NULL;
	if (j && eq)
		json_object_set_new(j, "value", json_string(eq + 1));
	free(ns);
	free(opt);
	if (!j)
		return SP_ENOMEM;
	*out = j;
	return 0;
}

/* The option settings of an environment description (its "options" array). */
static json_t *options_of(const json_t *e)
{
	json_t *o = json_object_get(e, "option_settings");
	return json_is_array(o) ? o : NULL;
}

static int show(struct sp_cli_env_ctx *x, bool json)
{
	json_t *e = NULL, *s;
	size_t i;
	int ret = sp_cli_env_describe(x, &e);
	if (ret)
		return ret;
	json_t *opts = options_of(e), *shown = json_array();
	json_array_foreach(opts, i, s) {
		if (strcmp(sp_cli_json_str(s, "namespace"), PROPERTIES_NS) != 0)
			json_array_append(shown, s);
	}
	if (json) {
		sp_cli_print_json(shown);
	} else {
		const char *last = "";
		printf("Option settings of %s (create/update-time; environment properties:"
		       " sprout printenv):\n", x->env);
		if (!json_array_size(shown))
			printf("  (none: the bundle's .ebextensions and the defaults apply)\n");
		json_array_foreach(shown, i, s) {
			const char *ns = sp_cli_json_str(s, "namespace");
			if (strcmp(ns, last) != 0)
				printf("  %s:\n", ns);
			last = ns;
			printf("    %s: %s\n", sp_cli_json_str(s, "option_name"),
			       sp_cli_json_str(s, "value"));
		}
	}
	json_decref(shown);
	json_decref(e);
	return SP_EXIT_OK;
}

int sp_cli_env_update_options(struct sp_cli_env_ctx *x, json_t *settings, json_t *remove,
			      const char *started, long timeout_s, bool nohang, bool json)
{
	/* The engine merges option_settings into the environment's; a null value removes
	 * the option (EB's OptionsToRemove). */
	json_t *all = json_array(), *s, *body = NULL;
	size_t i;
	json_array_foreach(settings, i, s)
		json_array_append(all, s);
	json_array_foreach(remove, i, s) {
		json_t *r = json_deep_copy(s);
		json_object_set_new(r, "value", json_null());
		json_array_append_new(all, r);
	}
	if (!all || !(body = json_pack("{s:o}", "option_settings", all)))
		return SP_EXIT_FAILED;
	struct sp_cli_env_op op = {
		.method = "PATCH", .body = body, .what = "configuration update",
		.started = started, .nohang = nohang, .json = json,
		.timeout_s = timeout_s > 0 ? timeout_s : SP_CLI_ENV_DEFAULT_TIMEOUT_S,
	};
	int ret = sp_cli_env_operate(x, &op, NULL);
	json_decref(body);
	return ret;
}

int cmd_config(int argc, char **argv)
{
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	json_t *list = NULL;
	int ret;
	if ((ret = sp_cli_env_parse_options("config", argc, argv,
					    SP_CLI_OPT_ENV | SP_CLI_OPT_TIMEOUT | SP_CLI_OPT_NOHANG, &a)))
		return ret;
	const char *env = a.env;
	const char *sub = optind < argc ? argv[optind] : NULL;
	bool set = sub && strcmp(sub, "set") == 0, unset = sub && strcmp(sub, "unset") == 0;
	if (!set && !unset) {
		/* `config [ENV]` or `config show [ENV]` */
		if (sub && strcmp(sub, "show") == 0)
			optind++;
		if (argc - optind > 1)
			return sp_cli_usage_error("config", "shows one environment; to change options:"
						  " config set NS:OPT=VALUE ... or config unset NS:OPT ...");
		if (optind < argc) {
			if (env)
				return sp_cli_usage_error("config", "name the environment once");
			env = argv[optind];
		}
		if ((ret = sp_cli_env_open("config", &a.conn, env, true, &x)))
			return ret;
		ret = show(&x, a.json);
		sp_cli_env_close(&x);
		return ret;
	}
	optind++;
	if (optind >= argc)
		return sp_cli_usage_error("config", "%s needs at least one %s", sub,
					  set ? "NAMESPACE:OPTION=VALUE" : "NAMESPACE:OPTION");
	if (argc - optind > SP_MAX_ENV_OPTIONS)
		return sp_cli_usage_error("config", "at most %d options at once", SP_MAX_ENV_OPTIONS);
	if (!(list = json_array()))
		return SP_EXIT_FAILED;
	for (int i = optind; i < argc; i++) {
		json_t *s = NULL;
		int rc = sp_cli_parse_option(argv[i], set, &s);
		if (rc) {
			json_decref(list);
			if (rc == SP_ETOOBIG)
				return sp_cli_usage_error("config", "the value of '%.*s' is longer than"
							  " %d bytes", (int)strcspn(argv[i], "="),
							  argv[i], SP_MAX_OPTION_VALUE);
			return sp_cli_usage_error("config", "'%s' is not %s", argv[i],
						  set ? "NAMESPACE:OPTION=VALUE (e.g."
							" aws:autoscaling:asg:MaxSize=4)"
						      : "NAMESPACE:OPTION (e.g. aws:autoscaling:asg:MaxSize)");
		}
		if (strcmp(sp_cli_json_str(s, "namespace"), PROPERTIES_NS) == 0) {
			json_decref(s);
			json_decref(list);
			return sp_cli_usage_error("config", "environment properties are set with"
						  " `sprout setenv K=V` (and removed with `K=`)");
		}
		json_array_append_new(list, s);
	}
	if ((ret = sp_cli_env_open("config", &a.conn, env, true, &x))) {
		json_decref(list);
		return ret;
	}
	char *started = sp_aprintf("Updating the configuration of \"%s\".", x.env);
	ret = sp_cli_env_update_options(&x, set ? list : NULL, unset ? list : NULL, started,
					a.timeout_s, a.nohang, a.json);
	free(started);
	json_decref(list);
	sp_cli_env_close(&x);
	return ret;
}
