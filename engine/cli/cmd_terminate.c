/* cmd_terminate.c — `sprout terminate ENV`: remove the environment (its tasks,
 * instances and load balancer frontend; its events stay). On a terminal it asks for the
 * environment's name first, as `eb terminate` does, unless --force; then it follows
 * until the environment is Terminated. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

#define MAX_CONFIRM_LINE 256

static bool confirmed(const char *env)
{
	char line[MAX_CONFIRM_LINE];
	fprintf(stderr, "The environment \"%s\" and all its tasks and instances will be"
			" removed.\nTo confirm, type the environment name: ", env);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, env) == 0;
}

int cmd_terminate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nohang", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_cli_conn conn = { 0 };
	struct sp_cli_env_ctx x;
	bool force = false, nohang = false, json = false;
	long timeout_s = 0;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = true; break;
		case 'n': nohang = true; break;
		case 'j': json = true; break;
		case 'E': conn.endpoint = optarg; break;
		case 'T': conn.token = optarg; break;
		case 't':
			if (sp_cli_parse_timeout(optarg, &timeout_s))
				return sp_cli_usage_error("terminate", "--timeout takes minutes (10) or"
							  " a duration (90s, 2m) up to 24 h");
			break;
		default:
			return sp_cli_usage_error("terminate", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("terminate", "takes at most one ENV");
	if ((ret = sp_cli_env_open("terminate", &conn, optind < argc ? argv[optind] : NULL, true, &x)))
		return ret;
	if (!force && isatty(0) && isatty(2) && !confirmed(x.env)) {
		fprintf(stderr, "sprout terminate: the name did not match; nothing was done\n");
		ret = SP_EXIT_FAILED;
		goto out;
	}
	char *started = sp_aprintf("Terminating environment \"%s\".", x.env);
	struct sp_cli_env_op op = {
		.method = "DELETE", .what = "termination", .started = started, .terminate = true,
		.nohang = nohang, .json = json,
		.timeout_s = timeout_s > 0 ? timeout_s : SP_CLI_ENV_DEFAULT_TIMEOUT_S,
	};
	ret = started ? sp_cli_env_operate(&x, &op, NULL) : SP_EXIT_FAILED;
	free(started);
out:
	sp_cli_env_close(&x);
	return ret;
}
