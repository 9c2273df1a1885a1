/* cmd_list.c — `sprout list`: the application's environments (`--all`: every
 * application's), `*` before the current branch's default, as `eb list` marks it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "app", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_cli_conn conn = { 0 };
	struct sp_cli_env_ctx x;
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	bool all = false, json = false, verbose = false;
	json_t *resp = NULL, *v;
	size_t i;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "av", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': all = true; break;
		case 'A': conn.app = optarg; break;
		case 'v': verbose = true; break;
		case 'j': json = true; break;
		case 'E': conn.endpoint = optarg; break;
		case 'T': conn.token = optarg; break;
		default:
			return sp_cli_usage_error("list", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return sp_cli_usage_error("list", "takes no arguments");
	if ((ret = sp_cli_env_open("list", &conn, NULL, false, &x)))
		return ret;
	sp_client_error_init(&err);
	const char *q[] = { "application", all ? NULL : x.app, NULL };
	if (sp_cli_env_path(NULL, NULL, &path) || sp_client_path_query(&path, q)) {
		ret = SP_EXIT_FAILED;
		goto out;
	}
	if (sp_client_request(x.client, "GET", sp_buf_cstr(&path), NULL, NULL, &resp, &err)) {
		ret = sp_cli_api_error("list", x.client, &err);
		goto out;
	}
	json_t *list = json_object_get(resp, "environments");
	if (json) {
		sp_cli_print_json(list);
		goto out;
	}
	json_array_foreach(list, i, v) {
		const char *name = sp_cli_json_str(v, "environment_name");
		bool def = x.default_env && strcmp(x.default_env, name) == 0 &&
			   strcmp(sp_cli_json_str(v, "application"), x.app) == 0;
		if (!verbose) {
			printf("%s %s%s%s\n", def ? "*" : " ", all ? sp_cli_json_str(v, "application") : "",
			       all ? "/" : "", name);
			continue;
		}
		printf("%s %-24s %-12s ", def ? "*" : " ", name, sp_cli_json_str(v, "status"));
		sp_cli_put_health(stdout, sp_cli_json_str(v, "health"));
		const char *h = sp_cli_json_str(v, "health");
		printf("%*s %-30s %s\n", (int)(7 - strlen(h[0] ? h : "Grey")), "",
		       sp_cli_json_str(v, "version_label"), sp_cli_json_str(v, "url"));
	}
out:
	json_decref(resp);
	sp_client_error_free(&err);
	sp_buf_free(&path);
	sp_cli_env_close(&x);
	return ret;
}
