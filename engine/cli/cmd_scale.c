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
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	uint64_t n;
	int ret;
	if ((ret = sp_cli_env_parse_options("scale", argc, argv,
					    SP_CLI_OPT_TIMEOUT | SP_CLI_OPT_NOHANG, &a)))
		return ret;
	if (argc - optind < 1 || argc - optind > 2)
		return sp_cli_usage_error("scale", "takes the number of instances and at most one ENV");
	if (sp_parse_u64(argv[optind], &n) || n < 1 || n > SP_DEPLOY_MAX_INSTANCES)
		return sp_cli_usage_error("scale", "the number of instances is 1 to %d, not '%s'",
					  SP_DEPLOY_MAX_INSTANCES, argv[optind]);
	if ((ret = sp_cli_env_open("scale", &a.conn, optind + 1 < argc ? argv[optind + 1] : NULL,
				   true, &x)))
		return ret;
	json_t *body = json_pack("{s:I}", "instances", (json_int_t)n);
	char *started = sp_aprintf("Scaling \"%s\" to %llu instance%s.", x.env,
				   (unsigned long long)n, n == 1 ? "" : "s");
	struct sp_cli_env_op op = { .method = "PATCH", .body = body, .what = "scaling" };
	if (body) {
		ret = sp_cli_env_operate_as_asked(&x, &a, &op, started);
	} else {
		free(started);
		ret = SP_EXIT_FAILED;
	}
	json_decref(body);
	sp_cli_env_close(&x);
	return ret;
}
