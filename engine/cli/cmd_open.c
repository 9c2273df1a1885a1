/* cmd_open.c — `sprout open [ENV]`: print the environment's URL, and open it in a
 * browser (xdg-open) only when standard output is a terminal and DISPLAY is set. */
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

extern char **environ;

static void browse(const char *url)
{
	const char *display = getenv("DISPLAY");
	if (!isatty(1) || !display || !*display)
		return;
	char *args[] = { (char *)"xdg-open", (char *)url, NULL };
	pid_t pid;
	if (posix_spawnp(&pid, "xdg-open", NULL, NULL, args, environ) == 0) {
		int st;
		waitpid(pid, &st, 0);
	}
}

int cmd_open(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_cli_conn conn = { 0 };
	struct sp_cli_env_ctx x;
	bool json = false;
	json_t *e = NULL;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'E': conn.endpoint = optarg; break;
		case 'T': conn.token = optarg; break;
		default:
			return sp_cli_usage_error("open", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("open", "takes at most one ENV");
	if ((ret = sp_cli_env_open("open", &conn, optind < argc ? argv[optind] : NULL, true, &x)))
		return ret;
	if ((ret = sp_cli_env_describe(&x, &e)))
		goto out;
	const char *url = json_string_value(json_object_get(e, "url"));
	if (json) {
		json_t *j = json_pack("{s:O?,s:s?,s:O?}", "environment_name",
				      json_object_get(e, "environment_name"), "url", url, "cname",
				      json_object_get(e, "cname"));
		sp_cli_print_json(j);
		json_decref(j);
		goto out;
	}
	if (!url || !*url) {
		fprintf(stderr, "sprout open: \"%s\" has no URL yet (status %s)\n"
				"  hint: it gets one when its instances run; see `sprout status %s`\n",
			x.env, sp_cli_json_str(e, "status"), x.env);
		ret = SP_EXIT_FAILED;
		goto out;
	}
	printf("%s\n", url);
	fflush(stdout);
	browse(url);
out:
	json_decref(e);
	sp_cli_env_close(&x);
	return ret;
}
