/* cmd_abort.c — `sprout abort [ENV]`: stop the environment's update in progress
 * (AbortEnvironmentUpdate), then follow it until the environment is Ready again. An
 * Aborted deployment is what was asked for: exit 0. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

int cmd_abort(int argc, char **argv)
{
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	int ret;
	if ((ret = sp_cli_env_parse_options("abort", argc, argv,
					    SP_CLI_OPT_TIMEOUT | SP_CLI_OPT_NOHANG, &a)) ||
	    (ret = sp_cli_env_open_operand("abort", &a, argc, argv, &x)))
		return ret;
	struct sp_cli_env_op op = {
		.method = "POST", .suffix = "/abort", .what = "update", .abort = true,
	};
	ret = sp_cli_env_operate_as_asked(&x, &a, &op,
					  sp_aprintf("Aborting the update of \"%s\".", x.env));
	sp_cli_env_close(&x);
	return ret;
}
