/* cmd_use.c — `sprout use ENV`: make ENV the default environment of the current git
 * branch (branch-defaults.<branch>.environment in .elasticbeanstalk/config.yml), as
 * `eb use` does. Everything else in the file is kept.
 *
 * `eb use` also asks the service whether ENV exists; the engine has no environment
 * endpoint yet, so that check joins here with the environments step. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/project/project.h"
#include "engine/base/banned.h"

/* Elastic Beanstalk's environment names: 4 to 40 letters, digits and hyphens, not
 * starting or ending with a hyphen. NULL when fine, else what is wrong. */
static const char *env_name_problem(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || n > 40)
		return "must be 4 to 40 characters long";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return "may hold only letters, digits and hyphens";
	if (s[0] == '-' || s[n - 1] == '-')
		return "must not start or end with a hyphen";
	return NULL;
}

int cmd_use(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "branch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *branch = NULL, *why;
	struct sp_project *p = NULL;
	struct sp_git_info g = { 0 };
	struct sp_diags d;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b': branch = optarg; break;
		default:
			return sp_cli_usage_error("use", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return sp_cli_usage_error("use", "takes one ENV");
	const char *env = argv[optind];
	if ((why = env_name_problem(env)))
		return sp_cli_usage_error("use", "the environment name \"%s\" %s", env, why);
	if (branch && !*branch)
		return sp_cli_usage_error("use", "--branch needs a name");
	sp_diags_init(&d);
	if ((ret = sp_cli_project_open("use", true, &p)))
		goto out;
	ret = SP_EXIT_FAILED;
	if (!branch) {
		if (sp_project_git(".", &g)) {
			fprintf(stderr, "sprout use: out of memory\n");
			goto out;
		}
		branch = g.branch;
	}
	const char *path[] = { "branch-defaults", branch, "environment" };
	if (sp_project_set(p, path, 3, env, &d) != 0) {
		sp_cli_print_diags(&d, stderr);
		fprintf(stderr, "sprout use: cannot update " SP_PROJECT_CONFIG "; nothing was written\n");
		goto out;
	}
	if (sp_project_save(p) != 0) {
		fprintf(stderr, "sprout use: cannot write " SP_PROJECT_CONFIG ": %s\n", strerror(errno));
		goto out;
	}
	printf("Branch \"%s\" now uses environment \"%s\".\n", branch, env);
	ret = SP_EXIT_OK;
out:
	sp_git_info_free(&g);
	sp_diags_free(&d);
	sp_project_free(p);
	return ret;
}
