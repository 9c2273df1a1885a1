/* cli_env.c — the options and the ENV operand the environment commands share
 * (abort, config, health, open, printenv, restart, rollback, scale, setenv, status,
 * terminate), so each command states only which options it takes and what it does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/base/banned.h"

/* Every option an environment command may take, with the flag that enables it. */
static const struct {
	unsigned flag;
	struct option opt;
} env_options[] = {
	{ SP_CLI_OPT_ENV, { "env", required_argument, NULL, 'e' } },
	{ SP_CLI_OPT_ENVIRONMENT, { "environment", required_argument, NULL, 'e' } },
	{ SP_CLI_OPT_FORCE, { "force", no_argument, NULL, 'f' } },
	{ SP_CLI_OPT_TIMEOUT, { "timeout", required_argument, NULL, 't' } },
	{ SP_CLI_OPT_NOHANG, { "nohang", no_argument, NULL, 'n' } },
	{ 0, { "json", no_argument, NULL, 'j' } },
	{ 0, { "endpoint", required_argument, NULL, 'E' } },
	{ 0, { "token", required_argument, NULL, 'T' } },
};
#define ENV_OPTIONS_COUNT (sizeof(env_options) / sizeof(env_options[0]))

int sp_cli_env_parse_options(const char *cmd, int argc, char **argv, unsigned accept,
			     struct sp_cli_env_args *out)
{
	struct option longopts[ENV_OPTIONS_COUNT + 1] = { 0 };
	size_t n = 0;
	int ch;
	for (size_t i = 0; i < ENV_OPTIONS_COUNT; i++)
		if (!env_options[i].flag || (accept & env_options[i].flag))
			longopts[n++] = env_options[i].opt;
	*out = (struct sp_cli_env_args){ 0 };
	opterr = 0;
	while ((ch = getopt_long(argc, argv, (accept & SP_CLI_OPT_ENV) ? "e:" : "", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'e': out->env = optarg; break;
		case 'f': out->force = true; break;
		case 'n': out->nohang = true; break;
		case 'j': out->json = true; break;
		case 'E': out->conn.endpoint = optarg; break;
		case 'T': out->conn.token = optarg; break;
		case 't':
			if (sp_cli_parse_timeout(optarg, &out->timeout_s))
				return sp_cli_usage_error(cmd, "--timeout takes minutes (10) or"
							  " a duration (90s, 2m) up to 24 h");
			break;
		default:
			return sp_cli_usage_error(cmd, "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	return SP_EXIT_OK;
}

int sp_cli_env_open_operand(const char *cmd, const struct sp_cli_env_args *a, int argc,
			    char **argv, struct sp_cli_env_ctx *x)
{
	if (argc - optind > 1)
		return sp_cli_usage_error(cmd, "takes at most one ENV");
	return sp_cli_env_open(cmd, &a->conn, optind < argc ? argv[optind] : NULL, true, x);
}

int sp_cli_env_open_described(const char *cmd, const struct sp_cli_env_args *a, int argc,
			      char **argv, struct sp_cli_env_ctx *x, json_t **env)
{
	int ret = sp_cli_env_open_operand(cmd, a, argc, argv, x);
	if (ret)
		return ret;
	if ((ret = sp_cli_env_describe(x, env)))
		sp_cli_env_close(x);
	return ret;
}

bool sp_cli_env_refuse_terminated(const struct sp_cli_env_ctx *x, const json_t *e)
{
	if (strcmp(sp_cli_json_str(e, "status"), "Terminated") != 0)
		return false;
	fprintf(stderr, "sprout %s: environment \"%s\" is terminated\n"
			"  hint: `sprout create %s` makes a new one of that name\n", x->cmd, x->env,
		x->env);
	return true;
}

long sp_cli_env_timeout(const struct sp_cli_env_args *a)
{
	return a->timeout_s > 0 ? a->timeout_s : SP_CLI_ENV_DEFAULT_TIMEOUT_S;
}

int sp_cli_env_operate_as_asked(struct sp_cli_env_ctx *x, const struct sp_cli_env_args *a,
				struct sp_cli_env_op *op, char *started)
{
	int ret = SP_EXIT_FAILED;
	op->started = started;
	op->nohang = a->nohang;
	op->json = a->json;
	op->timeout_s = sp_cli_env_timeout(a);
	if (started)
		ret = sp_cli_env_operate(x, op, NULL);
	free(started);
	return ret;
}
