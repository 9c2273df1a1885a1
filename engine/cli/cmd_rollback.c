/* cmd_rollback.c — `sprout rollback [ENV]`: redeploy the environment's last version that
 * deployed well (the engine remembers it: last_good_version), followed to the end like
 * deploy (exit 3 when it fails too). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

int cmd_rollback(int argc, char **argv)
{
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	json_t *e = NULL;
	char *label = NULL;
	int ret;
	if ((ret = sp_cli_env_parse_options("rollback", argc, argv, SP_CLI_OPT_TIMEOUT, &a)) ||
	    (ret = sp_cli_env_open_described("rollback", &a, argc, argv, &x, &e)))
		return ret;
	const char *good = json_string_value(json_object_get(e, "last_good_version"));
	if (sp_cli_env_refuse_terminated(&x, e)) {
		ret = SP_EXIT_FAILED;
		goto out;
	}
	if (!good || !*good) {
		fprintf(stderr, "sprout rollback: \"%s\" has no version that deployed well to go"
				" back to\n  hint: deploy one by name: `sprout deploy %s --version LABEL`"
				" (sprout appversion lists them)\n", x.env, x.env);
		ret = SP_EXIT_FAILED;
		goto out;
	}
	if (!(label = sp_strdup(good))) {
		ret = SP_EXIT_FAILED;
		goto out;
	}
	const char *cur = json_string_value(json_object_get(e, "version_label"));
	if (!a.json)
		printf("Rolling \"%s\" back from \"%s\" to \"%s\", its last version that deployed"
		       " well.\n", x.env, cur ? cur : "none", label);
	ret = sp_cli_deploy_version(&x, label, a.timeout_s, a.json);
out:
	free(label);
	json_decref(e);
	sp_cli_env_close(&x);
	return ret;
}
