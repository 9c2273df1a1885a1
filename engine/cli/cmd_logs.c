/* cmd_logs.c — `sprout logs [ENV]`: the containers' logs of the environment's instances
 * (`eb logs`): the last lines of each container's stdout/stderr log by default, whole
 * files with --all (the awseb-logs folders too), saved as a zip under
 * .elasticbeanstalk/logs/<time>/ with --zip (as `eb logs --zip` keeps them). Filters:
 * --instance ID, --container NAME. The engine bounds what it sends (docs/api.md). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/project/project.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

#define MAX_LOG_LINES 10000 /* = the engine's MAX_LOG_TAIL_LINES */

static void print_logs(const json_t *logs)
{
	json_t *l;
	size_t i;
	bool color = sp_want_color(1);
	json_array_foreach(logs, i, l) {
		const char *text = sp_cli_json_str(l, "text");
		printf("%s----- %s %s/%s%s%s -----%s\n", color ? "\033[1m" : "",
		       sp_cli_json_str(l, "instance"), sp_cli_json_str(l, "container"),
		       sp_cli_json_str(l, "file"),
		       json_is_true(json_object_get(l, "truncated")) ? " (end)" : "", "",
		       color ? "\033[0m" : "");
		fputs(text, stdout);
		if (*text && text[strlen(text) - 1] != '\n')
			putchar('\n');
	}
}

/* Writes every log into a zip: <instance>/<file>. */
static int write_zip(const char *path, const json_t *logs)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ent = archive_entry_new();
	json_t *l;
	size_t i;
	int rc = SP_EIO;
	if (!a || !ent || archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, path) != ARCHIVE_OK)
		goto out;
	time_t now = time(NULL);
	json_array_foreach(logs, i, l) {
		const char *text = sp_cli_json_str(l, "text");
		size_t n = json_string_length(json_object_get(l, "text"));
		char *name = sp_aprintf("%s/%s", sp_cli_json_str(l, "instance"),
					sp_cli_json_str(l, "file"));
		if (!name) {
			rc = SP_ENOMEM;
			goto out;
		}
		archive_entry_clear(ent);
		archive_entry_set_pathname(ent, name);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0644);
		archive_entry_set_size(ent, (la_int64_t)n);
		archive_entry_set_mtime(ent, now, 0);
		free(name);
		if (archive_write_header(a, ent) != ARCHIVE_OK ||
		    (n && archive_write_data(a, text, n) != (la_ssize_t)n))
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto out;
	rc = 0;
out:
	archive_entry_free(ent);
	if (a)
		archive_write_free(a);
	return rc;
}

int cmd_logs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "zip", no_argument, NULL, 'z' },
		{ "container", required_argument, NULL, 'c' },
		{ "instance", required_argument, NULL, 'i' },
		{ "lines", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_cli_conn conn = { 0 };
	struct sp_cli_env_ctx x;
	struct sp_buf suffix = SP_BUF_INIT(MAX_CLIENT_URL), dir = SP_BUF_INIT(PATH_MAX);
	const char *container = NULL, *instance = NULL, *lines = NULL;
	bool all = false, zip = false, json = false;
	json_t *resp = NULL;
	uint64_t nl;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "azi:n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': all = true; break;
		case 'z': zip = true; break;
		case 'c': container = optarg; break;
		case 'i': instance = optarg; break;
		case 'j': json = true; break;
		case 'E': conn.endpoint = optarg; break;
		case 'T': conn.token = optarg; break;
		case 'n':
			if (sp_parse_u64(optarg, &nl) || nl < 1 || nl > MAX_LOG_LINES)
				return sp_cli_usage_error("logs", "--lines takes 1 to %d", MAX_LOG_LINES);
			lines = optarg;
			break;
		default:
			return sp_cli_usage_error("logs", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("logs", "takes at most one ENV");
	if (lines && (all || zip))
		return sp_cli_usage_error("logs", "--lines is for the tail; --all and --zip take"
					  " whole files");
	if (zip && json)
		return sp_cli_usage_error("logs", "--zip saves a file; --json prints the logs");
	if ((ret = sp_cli_env_open("logs", &conn, optind < argc ? argv[optind] : NULL, true, &x)))
		return ret;
	ret = SP_EXIT_FAILED;
	const char *q[] = { "instance", instance, "container", container, "lines", lines,
			    "all", all || zip ? "1" : NULL, NULL };
	if (sp_buf_puts(&suffix, "/logs") || sp_client_path_query(&suffix, q))
		goto out;
	if ((ret = sp_cli_env_request(&x, "GET", sp_buf_cstr(&suffix), NULL, NULL, &resp)))
		goto out;
	json_t *logs = json_object_get(resp, "logs");
	if (json) {
		sp_cli_print_json(resp);
	} else if (zip) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		snprintf(stamp, sizeof(stamp), "%02d%02d%02d_%02d%02d%02d", tm.tm_year % 100,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		ret = SP_EXIT_FAILED;
		if (sp_buf_printf(&dir, SP_PROJECT_DIR "/logs/%s", stamp) ||
		    sp_mkdir_p(sp_buf_cstr(&dir), 0755)) {
			fprintf(stderr, "sprout logs: cannot create %s: %s\n", sp_buf_cstr(&dir),
				strerror(errno));
			goto out;
		}
		if (sp_buf_printf(&dir, "/%s-logs.zip", x.env) ||
		    write_zip(sp_buf_cstr(&dir), logs) != 0) {
			fprintf(stderr, "sprout logs: cannot write %s\n", sp_buf_cstr(&dir));
			goto out;
		}
		printf("Saved the logs of %zu file%s to %s/%s\n", json_array_size(logs),
		       json_array_size(logs) == 1 ? "" : "s", sp_project_root(x.project),
		       sp_buf_cstr(&dir));
	} else {
		if (!json_array_size(logs))
			fprintf(stderr, "sprout logs: \"%s\" has no container logs%s%s yet\n", x.env,
				container ? " of " : "", container ? container : "");
		print_logs(logs);
	}
	if (json_is_true(json_object_get(resp, "truncated")))
		fprintf(stderr, "sprout logs: the engine sent only part of the logs (its limits);"
				" narrow them with --instance or --container\n");
	ret = SP_EXIT_OK;
out:
	json_decref(resp);
	sp_buf_free(&suffix);
	sp_buf_free(&dir);
	sp_cli_env_close(&x);
	return ret;
}
