/* cmd_setenv.c — `sprout setenv K=V ...` and `sprout printenv`: the environment's
 * properties, option settings of aws:elasticbeanstalk:application:environment, as the
 * EB CLI's setenv/printenv handle them (`K=` removes K; all of them together at most
 * 4096 bytes). A property the engine marks secret, or whose name says it is one
 * (PASSWORD, SECRET, TOKEN, PRIVATE_KEY ...), is never printed: printenv masks it. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "ebextensions/ebextensions.h"
#include "engine/base/banned.h"

#define PROPERTIES_NS "aws:elasticbeanstalk:application:environment"
#define MAX_PROPERTIES_BYTES 4096   /* EB: all key=value pairs together */
#define MAX_PROPERTY_NAME 128
#define SECRET_MASK SP_SECRET_MASK

bool sp_cli_property_is_secret(const json_t *s)
{
	/* the engine marks what it masked; the name rule covers older engines */
	if (json_is_true(json_object_get(s, "secret")) || json_is_true(json_object_get(s, "masked")))
		return true;
	return sp_property_is_secret(sp_cli_json_str(s, "option_name"), NULL);
}

void sp_cli_mask_secrets(json_t *env)
{
	static const char *const keys[] = { "option_settings", "options" };
	json_t *s;
	size_t i;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		json_array_foreach(json_object_get(env, keys[k]), i, s) {
			if (strcmp(sp_cli_json_str(s, "namespace"), PROPERTIES_NS) == 0 &&
			    json_is_string(json_object_get(s, "value")) && sp_cli_property_is_secret(s))
				json_object_set_new(s, "value", json_string(SECRET_MASK));
		}
	}
}

/* EB's property names: letters, digits and _ . : / + \ - @, at most 128. */
static const char *name_problem(const char *s, size_t n)
{
	if (n == 0)
		return "is empty";
	if (n > MAX_PROPERTY_NAME)
		return "is longer than 128 characters";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.:/+\\-@", s[i]))
			return "may hold only letters, digits and _ . : / + \\ - @";
	return NULL;
}

int cmd_setenv(int argc, char **argv)
{
	struct sp_cli_env_args opts;
	struct sp_cli_env_ctx x;
	size_t total = 0;
	int ret;
	if ((ret = sp_cli_env_parse_options("setenv", argc, argv,
					    SP_CLI_OPT_ENV | SP_CLI_OPT_ENVIRONMENT | SP_CLI_OPT_TIMEOUT |
					    SP_CLI_OPT_NOHANG, &opts)))
		return ret;
	if (optind >= argc)
		return sp_cli_usage_error("setenv", "needs at least one KEY=VALUE (KEY= removes KEY)");
	json_t *set = json_array(), *rm = json_array();
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '='), *why;
		if (!eq) {
			json_decref(set);
			json_decref(rm);
			return sp_cli_usage_error("setenv", "'%s' is not KEY=VALUE (KEY= removes KEY)", a);
		}
		if ((why = name_problem(a, (size_t)(eq - a)))) {
			json_decref(set);
			json_decref(rm);
			return sp_cli_usage_error("setenv", "the property name \"%.*s\" %s",
						  (int)(eq - a), a, why);
		}
		total += strlen(a);
		char *name = sp_strndup(a, (size_t)(eq - a));
		if (eq[1])
			json_array_append_new(set, json_pack("{s:s,s:s,s:s}", "namespace", PROPERTIES_NS,
							     "option_name", name, "value", eq + 1));
		else
			json_array_append_new(rm, json_pack("{s:s,s:s}", "namespace", PROPERTIES_NS,
							    "option_name", name));
		free(name);
	}
	if (total > MAX_PROPERTIES_BYTES) {
		json_decref(set);
		json_decref(rm);
		return sp_cli_usage_error("setenv", "the properties together are %zu bytes; at most"
					  " %d", total, MAX_PROPERTIES_BYTES);
	}
	if ((ret = sp_cli_env_open("setenv", &opts.conn, opts.env, true, &x)) == SP_EXIT_OK) {
		char *started = sp_aprintf("Updating the environment properties of \"%s\".", x.env);
		ret = sp_cli_env_update_options(&x, set, rm, started, opts.timeout_s, opts.nohang, opts.json);
		free(started);
		sp_cli_env_close(&x);
	}
	json_decref(set);
	json_decref(rm);
	return ret;
}

int cmd_printenv(int argc, char **argv)
{
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	json_t *e = NULL, *out = NULL, *s;
	size_t i;
	int ret;
	if ((ret = sp_cli_env_parse_options("printenv", argc, argv, 0, &a)) ||
	    (ret = sp_cli_env_open_described("printenv", &a, argc, argv, &x, &e)))
		return ret;
	json_t *opts = json_object_get(e, "option_settings");
	out = json_object();
	json_array_foreach(opts, i, s) {
		if (strcmp(sp_cli_json_str(s, "namespace"), PROPERTIES_NS) != 0)
			continue;
		const char *v = sp_cli_property_is_secret(s) ? SECRET_MASK : sp_cli_json_str(s, "value");
		json_object_set_new(out, sp_cli_json_str(s, "option_name"), json_string(v));
	}
	if (a.json) {
		sp_cli_print_json(out);
	} else {
		const char *k;
		json_t *v;
		printf(" Environment Variables:\n");
		json_object_foreach(out, k, v)
			printf("     %s = %s\n", k, json_string_value(v));
	}
	json_decref(out);
	json_decref(e);
	sp_cli_env_close(&x);
	return ret;
}
