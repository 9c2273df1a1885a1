/* cmd_appversion.c — `sprout appversion [list | delete LABEL | create]`: the
 * application's versions, newest first (as `eb appversion`), deleting one, and creating
 * one from the project without deploying it (the upload half of deploy). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/project/project.h"
#include "engine/base/banned.h"

#define MAX_VERSIONS_LISTED 10000

static int app_versions_path(const char *app, const char *label, struct sp_buf *out)
{
	int rc = sp_buf_puts(out, "/applications");
	if (!rc)
		rc = sp_client_path_segment(out, app);
	if (!rc)
		rc = sp_buf_puts(out, "/versions");
	if (!rc && label)
		rc = sp_client_path_segment(out, label);
	return rc;
}

static void print_table(const char *app, const json_t *versions)
{
	size_t n = json_array_size(versions), w = 5, i;
	json_t *v;
	if (n == 0) {
		printf("Application \"%s\" has no versions yet (sprout appversion create, or"
		       " sprout deploy).\n", app);
		return;
	}
	json_array_foreach(versions, i, v) {
		const char *l = json_string_value(json_object_get(v, "label"));
		if (l && strlen(l) > w)
			w = strlen(l);
	}
	printf("  %-*s  %-10s  %-19s  %s\n", (int)w, "LABEL", "STATUS", "CREATED", "DESCRIPTION");
	json_array_foreach(versions, i, v) {
		const char *l = json_string_value(json_object_get(v, "label"));
		const char *st = json_string_value(json_object_get(v, "status"));
		const char *cr = json_string_value(json_object_get(v, "created"));
		const char *de = json_string_value(json_object_get(v, "description"));
		char when[20] = "";
		if (cr && strlen(cr) >= 19) {
			memcpy(when, cr, 19);
			when[10] = ' ';
		}
		printf("%c %-*s  %-10s  %-19s  %s\n",
		       json_is_true(json_object_get(v, "deployed")) ? '*' : ' ', (int)w,
		       l ? l : "?", st ? st : "?", when, de ? de : "");
	}
}

static int appversion_list(struct sp_client *c, const char *app, bool json)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	json_t *versions = NULL;
	int ret = SP_EXIT_FAILED;
	sp_client_error_init(&err);
	if (app_versions_path(app, NULL, &path)) {
		fprintf(stderr, "sprout appversion: out of memory\n");
		goto out;
	}
	if (sp_client_list(c, sp_buf_cstr(&path), "versions", MAX_VERSIONS_LISTED, &versions,
			   &err)) {
		ret = sp_cli_api_error("appversion", c, &err);
		goto out;
	}
	if (json) {
		json_dumpf(versions, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		print_table(app, versions);
	}
	ret = SP_EXIT_OK;
out:
	json_decref(versions);
	sp_client_error_free(&err);
	sp_buf_free(&path);
	return ret;
}

static int appversion_delete(struct sp_client *c, const char *app, const char *label, bool json)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	json_t *resp = NULL;
	int ret = SP_EXIT_FAILED;
	sp_client_error_init(&err);
	if (app_versions_path(app, label, &path)) {
		fprintf(stderr, "sprout appversion: out of memory\n");
		goto out;
	}
	if (sp_client_request(c, "DELETE", sp_buf_cstr(&path), NULL, NULL, &resp, &err)) {
		ret = sp_cli_api_error("appversion", c, &err);
		goto out;
	}
	if (json) {
		json_dumpf(resp, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		printf("Deleted version \"%s\" of \"%s\".\n", label, app);
	}
	ret = SP_EXIT_OK;
out:
	json_decref(resp);
	sp_client_error_free(&err);
	sp_buf_free(&path);
	return ret;
}

int cmd_appversion(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "delete", required_argument, NULL, 'd' },
		{ "create", no_argument, NULL, 'c' },
		{ "label", required_argument, NULL, 'l' },
		{ "message", required_argument, NULL, 'm' },
		{ "staged", no_argument, NULL, 's' },
		{ "strict", no_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "app", required_argument, NULL, 'a' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	enum { LIST, DELETE, CREATE } action = LIST;
	bool explicit_action = false, json = false;
	const char *label_to_delete = NULL, *app = NULL, *endpoint = NULL, *token = NULL;
	struct sp_cli_upload u = { 0 };
	struct sp_project *p = NULL;
	struct sp_client *c = NULL;
	char *made = NULL;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "d:cl:m:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'd': action = DELETE; label_to_delete = optarg; explicit_action = true; break;
		case 'c': action = CREATE; explicit_action = true; break;
		case 'l': u.label = optarg; break;
		case 'm': u.message = optarg; break;
		case 's': u.staged = true; break;
		case 'S': u.strict = true; break;
		case 'a': app = optarg; break;
		case 'E': endpoint = optarg; break;
		case 'T': token = optarg; break;
		case 't':
			if (sp_cli_parse_timeout(optarg, &u.timeout_s))
				return sp_cli_usage_error("appversion", "--timeout takes minutes (10) or"
							  " a duration (90s, 2m) up to 24 h");
			break;
		default:
			return sp_cli_usage_error("appversion", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc) {
		const char *sub = argv[optind++];
		if (explicit_action)
			return sp_cli_usage_error("appversion", "give either a subcommand or"
						  " --create/--delete, not both");
		if (strcmp(sub, "list") == 0)
			action = LIST;
		else if (strcmp(sub, "create") == 0)
			action = CREATE;
		else if (strcmp(sub, "delete") == 0) {
			action = DELETE;
			if (optind >= argc)
				return sp_cli_usage_error("appversion", "delete needs a LABEL");
			label_to_delete = argv[optind++];
		} else {
			static const char *const subs[] = { "list", "create", "delete" };
			const char *near = sp_suggest(sub, subs, 3);
			return sp_cli_usage_error("appversion", "no subcommand '%s'%s%s%s", sub,
						  near ? " (did you mean '" : "", near ? near : "",
						  near ? "'?)" : "");
		}
	}
	if (optind < argc)
		return sp_cli_usage_error("appversion", "unexpected argument '%s'", argv[optind]);
	if (action != CREATE && (u.label || u.message || u.staged || u.strict || u.timeout_s))
		return sp_cli_usage_error("appversion", "--label, --message, --staged, --strict and"
					  " --timeout go with create");
	if (action == CREATE && app)
		return sp_cli_usage_error("appversion", "create uses the project's application;"
					  " --app goes with list and delete");
	u.json = json;
	if ((ret = sp_cli_project_open("appversion", !app, &p)))
		goto out;
	if (!app && !(app = sp_project_application(p))) {
		fprintf(stderr, "sprout appversion: " SP_PROJECT_CONFIG " names no application"
				" (global.application_name)\n");
		ret = SP_EXIT_FAILED;
		goto out;
	}
	if ((ret = sp_cli_client_open("appversion", endpoint, token, p, &c)))
		goto out;
	switch (action) {
	case LIST: ret = appversion_list(c, app, json); break;
	case DELETE: ret = appversion_delete(c, app, label_to_delete, json); break;
	case CREATE: ret = sp_cli_upload_version("appversion", c, p, &u, &made); break;
	}
out:
	free(made);
	sp_client_free(c);
	sp_project_free(p);
	return ret;
}
