/* cmd_taskdef.c — `sprout taskdef [BUNDLE|DIR|FILE] [--env NAME] [--env-id ID]`: the ECS
 * RegisterTaskDefinition request Elastic Beanstalk would send for the bundle, as JSON on
 * standard output (usable with `aws ecs register-task-definition --cli-input-json`).
 * Diagnostics go to standard error; with errors nothing is printed and the exit is 1. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/validate/validate.h"
#include "engine/base/banned.h"

int cmd_taskdef(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "env-id", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = NULL, *env_id = NULL;
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': env = optarg; break;
		case 'i': env_id = optarg; break;
		default: return sp_cli_usage_error("taskdef", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("taskdef", "takes one BUNDLE, DIR or FILE");
	const char *path = optind < argc ? argv[optind] : ".";
	struct sp_buf family = SP_BUF_INIT(0);
	if (sp_taskdef_family(env, env_id, &family) != 0) {
		sp_buf_free(&family);
		return sp_cli_usage_error("taskdef", "--env and --env-id may hold letters, digits, '-' "
						     "and '_' (255 characters in all)");
	}

	struct sp_diags d;
	struct sp_validation *v = NULL;
	json_t *td = NULL;
	int exit_code = SP_EXIT_FAILED;
	sp_diags_init(&d);
	int rc = sp_validate(path, NULL, &d, &v);
	sp_cli_print_diags(&d, stderr);
	if (rc == 0 && !v->dockerrun)
		fprintf(stderr, "sprout taskdef: %s has no Dockerrun.aws.json\n", path);
	else if (rc == 0 && sp_taskdef_to_json(v->dockerrun, sp_buf_cstr(&family), &td) == 0) {
		json_dumpf(td, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		exit_code = SP_EXIT_OK;
	} else if (rc == SP_ENOMEM) {
		fprintf(stderr, "sprout taskdef: out of memory\n");
	}
	json_decref(td);
	sp_validation_free(v);
	sp_diags_free(&d);
	sp_buf_free(&family);
	return exit_code;
}
