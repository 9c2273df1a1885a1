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
	struct sp_cli_env_args a;
	struct sp_cli_env_ctx x;
	json_t *e = NULL;
	int ret;
	if ((ret = sp_cli_env_parse_options("open", argc, argv, 0, &a)) ||
	    (ret = sp_cli_env_open_described("open", &a, argc, argv, &x, &e)))
		return ret;
	const char *url = json_string_value(json_object_get(e, "url"));
	if (sp_cli_env_refuse_terminated(&x, e)) {
		ret = SP_EXIT_FAILED;
		goto out;
	}
	if (a.json) {
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
