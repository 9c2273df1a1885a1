/* cmd_abort.c — `sprout abort [ENV]`: stop the environment's update in progress
 * (AbortEnvironmentUpdate), then follow it until the environment is Ready again. An
 * Aborted deployment is what was asked for: exit 0. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

int cmd_abort(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "nohang", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_cli_conn conn = { 0 };
	struct sp_cli_env_ctx x;
	bool nohang = false, json = false;
	long timeout_s = 0;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n': nohang = true; break;
		case 'j': json = true; break;
		case 'E': conn.endpoint = optarg; break;
		case 'T': conn.token = optarg; break;
		case 't':
			if (sp_cli_parse_timeout(optarg, &timeout_s))
				return sp_cli_usage_error("abort", "--timeout takes minutes (10) or"
							  " a duration (90s, 2m) up to 24 h");
			break;
		default:
			return sp_cli_usage_error("abort", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("abort", "takes at most one ENV");
	if ((ret = sp_cli_env_open("abort", &conn, optind < argc ? argv[optind] : NULL, true, &x)))
		return ret;
	char *started = sp_aprintf("Aborting the update of \"%s\".", x.env);
	struct sp_cli_env_op op = {
		.method = "POST", .suffix = "/abort", .what = "update", .started = started,
		.abort = true, .nohang = nohang, .json = json,
		.timeout_s = timeout_s > 0 ? timeout_s : SP_CLI_ENV_DEFAULT_TIMEOUT_S,
	};
	ret = started ? sp_cli_env_operate(&x, &op, NULL) : SP_EXIT_FAILED;
	free(started);
	sp_cli_env_close(&x);
	return ret;
}
