/* cmd_restart.c — `sprout restart [ENV]`: replace every task of the environment
 * (RestartAppServer), followed until it is Ready again. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

int cmd_restart(int argc, char **argv)
{
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	int ret;
	if ((ret = sp_cli_env_parse_options("restart", argc, argv,
					    SP_CLI_OPT_TIMEOUT | SP_CLI_OPT_NOHANG, &a)) ||
	    (ret = sp_cli_env_open_operand("restart", &a, argc, argv, &x)))
		return ret;
	struct sp_cli_env_op op = { .method = "POST", .suffix = "/restart", .what = "restart" };
	ret = sp_cli_env_operate_as_asked(&x, &a, &op,
					  sp_aprintf("Restarting the tasks of \"%s\".", x.env));
	sp_cli_env_close(&x);
	return ret;
}
