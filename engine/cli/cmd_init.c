/* cmd_init.c — `sprout init [APP]`: make the current folder a project of application
 * APP: create the application on the engine when it has none by that name, and write
 * .elasticbeanstalk/config.yml the EB CLI's way (keys sprout does not know are kept). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/project/project.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

/* The lines `eb init` appends to .gitignore, so the project's local state (built
 * bundles, logs) stays out of the repository. */
static const char gitignore_block[] = "\n# Elastic Beanstalk Files\n"
				      ".elasticbeanstalk/*\n"
				      "!.elasticbeanstalk/*.cfg.yml\n"
				      "!.elasticbeanstalk/*.global.yml\n";

static int update_gitignore(void)
{
	struct sp_buf cur = SP_BUF_INIT((size_t)4 << 20);
	int rc = sp_read_file(".gitignore", (size_t)4 << 20, &cur);
	if (rc == SP_EIO && errno == ENOENT)
		rc = 0;
	if (rc == 0 && !strstr(sp_buf_cstr(&cur), ".elasticbeanstalk/*")) {
		FILE *f = fopen(".gitignore", "a");
		if (!f)
			rc = SP_EIO;
		else {
			/* no blank line at the top of a new file */
			fputs(cur.len ? gitignore_block : gitignore_block + 1, f);
			rc = fclose(f) == 0 ? 0 : SP_EIO;
		}
	}
	sp_buf_free(&cur);
	return rc;
}

/* GET the application; create it when the engine says there is none. */
static int ensure_application(struct sp_client *c, const char *app, const char *description,
			      bool *created)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	json_t *body = NULL;
	int ret = SP_EXIT_FAILED, rc;
	sp_client_error_init(&err);
	*created = false;
	if ((rc = sp_buf_puts(&path, "/applications")) || (rc = sp_client_path_segment(&path, app)))
		goto oom;
	rc = sp_client_request(c, "GET", sp_buf_cstr(&path), NULL, NULL, NULL, &err);
	if (rc == 0) {
		ret = SP_EXIT_OK;
		goto out;
	}
	if (rc != SP_ENOTFOUND || strcmp(err.code ? err.code : "", "APP_NOT_FOUND") != 0) {
		ret = sp_cli_api_error("init", c, &err);
		goto out;
	}
	sp_client_error_free(&err);
	sp_client_error_init(&err);
	if (!(body = json_pack("{s:s}", "name", app)))
		goto oom;
	if (description)
		json_object_set_new(body, "description", json_string(description));
	rc = sp_client_request(c, "POST", "/applications", body, NULL, NULL, &err);
	if (rc == SP_EEXISTS) { /* someone else made it meanwhile: just as good */
		ret = SP_EXIT_OK;
		goto out;
	}
	if (rc) {
		ret = sp_cli_api_error("init", c, &err);
		goto out;
	}
	*created = true;
	ret = SP_EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "sprout init: %s\n", sp_strerror(rc ? rc : SP_ENOMEM));
out:
	json_decref(body);
	sp_client_error_free(&err);
	sp_buf_free(&path);
	return ret;
}

int cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ "description", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *endpoint = NULL, *token = NULL, *description = NULL, *why;
	struct sp_project *p = NULL;
	struct sp_client *c = NULL;
	struct sp_git_info g = { 0 };
	struct sp_diags d;
	char *app = NULL;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'E': endpoint = optarg; break;
		case 'T': token = optarg; break;
		case 'd': description = optarg; break;
		default:
			return sp_cli_usage_error("init", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("init", "takes at most one APP name");
	if (optind < argc && (why = sp_name_problem(argv[optind], SP_MAX_APP_NAME)))
		return sp_cli_usage_error("init", "the application name %s", why);
	if (description && (why = sp_description_problem(description)))
		return sp_cli_usage_error("init", "the description %s", why);
	sp_diags_init(&d);
	if ((ret = sp_cli_project_open("init", false, &p)))
		goto out;
	ret = SP_EXIT_FAILED;
	/* The name: the argument, else the project's, else the folder's (as `eb init`). */
	if (optind < argc)
		app = sp_strdup(argv[optind]);
	else if (sp_project_application(p))
		app = sp_strdup(sp_project_application(p));
	else {
		const char *root = sp_project_root(p);
		char cwd[4096];
		if (strcmp(root, ".") == 0 && getcwd(cwd, sizeof(cwd)))
			root = cwd;
		const char *base = strrchr(root, '/');
		app = sp_strdup(base && base[1] ? base + 1 : root);
	}
	if (!app)
		goto oom;
	if ((why = sp_name_problem(app, SP_MAX_APP_NAME))) {
		fprintf(stderr, "sprout init: the application name \"%s\" %s\n"
				"  hint: name it: `sprout init APP`\n", app, why);
		goto out;
	}
	if (sp_project_git(".", &g))
		goto oom;
	if ((ret = sp_cli_client_open("init", endpoint, token, p, &c)))
		goto out;
	bool created;
	if ((ret = ensure_application(c, app, description, &created)))
		goto out;
	ret = SP_EXIT_FAILED;

	const char *name_path[] = { "global", "application_name" };
	const char *sc_path[] = { "global", "sc" };
	const char *ep_path[] = { "sprout", "endpoint" };
	if (sp_project_set(p, name_path, 2, app, &d) ||
	    sp_project_set(p, sc_path, 2, g.is_git ? "git" : NULL, &d) ||
	    (endpoint && sp_project_set(p, ep_path, 2, sp_client_endpoint(c), &d))) {
		sp_cli_print_diags(&d, stderr);
		fprintf(stderr, "sprout init: cannot update " SP_PROJECT_CONFIG "; nothing was"
				" written\n");
		goto out;
	}
	if (sp_project_save(p) != 0) {
		fprintf(stderr, "sprout init: cannot write " SP_PROJECT_CONFIG ": %s\n",
			strerror(errno));
		goto out;
	}
	if (g.is_git && update_gitignore() != 0)
		fprintf(stderr, "sprout init: warning: cannot update .gitignore: %s\n",
			strerror(errno));
	printf("Application \"%s\" %s on %s.\n", app, created ? "has been created" : "exists",
	       sp_client_endpoint(c));
	printf("Wrote " SP_PROJECT_CONFIG " (branch \"%s\").\n", g.branch);
	ret = SP_EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "sprout init: out of memory\n");
	ret = SP_EXIT_FAILED;
out:
	free(app);
	sp_git_info_free(&g);
	sp_diags_free(&d);
	sp_client_free(c);
	sp_project_free(p);
	return ret;
}
