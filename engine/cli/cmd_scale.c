/* cmd_scale.c — `sprout scale N [ENV]`: run N instances (`eb scale`: MinSize = MaxSize
 * = N), followed until the environment is Ready again. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/deploy/deploy.h"
#include "engine/base/banned.h"

int cmd_scale(int argc, char **argv)
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
	uint64_t n;
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
				return sp_cli_usage_error("scale", "--timeout takes minutes (10) or"
							  " a duration (90s, 2m) up to 24 h");
			break;
		default:
			return sp_cli_usage_error("scale", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return sp_cli_usage_error("scale", "takes the number of instances and at most one ENV");
	if (sp_parse_u64(argv[optind], &n) || n < 1 || n > SP_DEPLOY_MAX_INSTANCES)
		return sp_cli_usage_error("scale", "the number of instances is 1 to %d, not '%s'",
					  SP_DEPLOY_MAX_INSTANCES, argv[optind]);
	if ((ret = sp_cli_env_open("scale", &conn, optind + 1 < argc ? argv[optind + 1] : NULL,
				   true, &x)))
		return ret;
	json_t *body = json_pack("{s:I}", "instances", (json_int_t)n);
	char *started = sp_aprintf("Scaling \"%s\" to %llu instance%s.", x.env,
				   (unsigned long long)n, n == 1 ? "" : "s");
	struct sp_cli_env_op op = {
		.method = "PATCH", .body = body, .what = "scaling", .started = started,
		.nohang = nohang, .json = json,
		.timeout_s = timeout_s > 0 ? timeout_s : SP_CLI_ENV_DEFAULT_TIMEOUT_S,
	};
	ret = body && started ? sp_cli_env_operate(&x, &op, NULL) : SP_EXIT_FAILED;
	free(started);
	json_decref(body);
	sp_cli_env_close(&x);
	return ret;
}
