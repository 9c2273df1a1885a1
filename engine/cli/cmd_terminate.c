/* cmd_terminate.c — `sprout terminate ENV`: remove the environment (its tasks,
 * instances and load balancer frontend; its events stay). On a terminal it asks for the
 * environment's name first, as `eb terminate` does, unless --force; then it follows
 * until the environment is Terminated. */
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
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	int ret;
	if ((ret = sp_cli_env_parse_options("terminate", argc, argv,
					    SP_CLI_OPT_FORCE | SP_CLI_OPT_TIMEOUT | SP_CLI_OPT_NOHANG,
					    &a)) ||
	    (ret = sp_cli_env_open_operand("terminate", &a, argc, argv, &x)))
		return ret;
	if (!a.force && isatty(0) && isatty(2) && !confirmed(x.env)) {
		fprintf(stderr, "sprout terminate: the name did not match; nothing was done\n");
		ret = SP_EXIT_FAILED;
		goto out;
	}
	struct sp_cli_env_op op = { .method = "DELETE", .what = "termination", .terminate = true };
	ret = sp_cli_env_operate_as_asked(&x, &a, &op,
					  sp_aprintf("Terminating environment \"%s\".", x.env));
out:
	sp_cli_env_close(&x);
	return ret;
}
