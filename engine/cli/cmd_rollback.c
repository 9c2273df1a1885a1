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
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_cli_conn conn = { 0 };
	struct sp_cli_env_ctx x;
	bool json = false;
	long timeout_s = 0;
	json_t *e = NULL;
	char *label = NULL;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'E': conn.endpoint = optarg; break;
		case 'T': conn.token = optarg; break;
		case 't':
			if (sp_cli_parse_timeout(optarg, &timeout_s))
				return sp_cli_usage_error("rollback", "--timeout takes minutes (10) or"
							  " a duration (90s, 2m) up to 24 h");
			break;
		default:
			return sp_cli_usage_error("rollback", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("rollback", "takes at most one ENV");
	if ((ret = sp_cli_env_open("rollback", &conn, optind < argc ? argv[optind] : NULL, true, &x)))
		return ret;
	if ((ret = sp_cli_env_describe(&x, &e)))
		goto out;
	const char *good = json_string_value(json_object_get(e, "last_good_version"));
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
	if (!json)
		printf("Rolling \"%s\" back from \"%s\" to \"%s\", its last version that deployed"
		       " well.\n", x.env, cur ? cur : "none", label);
	ret = sp_cli_deploy_version(&x, label, timeout_s, json);
out:
	free(label);
	json_decref(e);
	sp_cli_env_close(&x);
	return ret;
}
