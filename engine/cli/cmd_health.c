/* cmd_health.c — `sprout health [ENV]`: the environment's health colour and its causes,
 * then one line per instance (address, health, task state) and its containers (state,
 * exit code), as `eb health` shows them; colours on a terminal only. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

static void print_instance(const json_t *in)
{
	const json_t *task = json_object_get(in, "task"), *c;
	size_t i;
	printf("  %-21s %-15s ", sp_cli_json_str(in, "id"), sp_cli_json_str(in, "address"));
	sp_cli_put_health(stdout, sp_cli_json_str(in, "health"));
	printf("%*s %s%s\n", (int)(8 - strlen(sp_cli_json_str(in, "health")[0]
						  ? sp_cli_json_str(in, "health") : "Grey")),
	       "", json_is_object(task) ? sp_cli_json_str(task, "state") : "no task",
	       json_is_true(json_object_get(in, "leaving")) ? " (leaving)" : "");
	if (!json_is_object(task))
		return;
	const char *why = json_string_value(json_object_get(task, "stoppedReason"));
	if (why)
		printf("      stopped: %s\n", why);
	json_array_foreach(json_object_get(task, "containers"), i, c) {
		json_t *code = json_object_get(c, "exitCode");
		printf("      %-20s %s", sp_cli_json_str(c, "name"), sp_cli_json_str(c, "state"));
		if (json_is_integer(code))
			printf(" (exit %lld)", (long long)json_integer_value(code));
		if (json_is_string(json_object_get(c, "health")))
			printf(" health %s", sp_cli_json_str(c, "health"));
		putchar('\n');
	}
}

int cmd_health(int argc, char **argv)
{
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	json_t *e = NULL, *v;
	size_t i;
	int ret;
	if ((ret = sp_cli_env_parse_options("health", argc, argv, 0, &a)) ||
	    (ret = sp_cli_env_open_described("health", &a, argc, argv, &x, &e)))
		return ret;
	if (a.json) {
		json_t *h = json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?}", "environment_name",
				      json_object_get(e, "environment_name"), "status",
				      json_object_get(e, "status"), "health",
				      json_object_get(e, "health"), "causes",
				      json_object_get(e, "causes"), "instances",
				      json_object_get(e, "instances"));
		sp_cli_print_json(h);
		json_decref(h);
		goto out;
	}
	json_t *inst = json_object_get(e, "instances");
	size_t green = 0;
	json_array_foreach(inst, i, v)
		green += strcmp(sp_cli_json_str(v, "health"), "Green") == 0;
	printf("%s  %s  ", sp_cli_json_str(e, "environment_name"), sp_cli_json_str(e, "status"));
	sp_cli_put_health(stdout, sp_cli_json_str(e, "health"));
	printf("  %zu of %zu instance%s Green\n", green, json_array_size(inst),
	       json_array_size(inst) == 1 ? "" : "s");
	json_array_foreach(json_object_get(e, "causes"), i, v)
		printf("  cause: %s\n", json_string_value(v) ? json_string_value(v) : "");
	if (json_array_size(inst))
		printf("  %-21s %-15s %-8s %s\n", "INSTANCE", "ADDRESS", "HEALTH", "TASK");
	json_array_foreach(inst, i, v)
		print_instance(v);
out:
	json_decref(e);
	sp_cli_env_close(&x);
	return ret;
}
