/* cmd_deploy.c — `sprout deploy [ENV]`, and what the engine-client commands share:
 * opening the project and the API client, printing API errors, and the upload half of
 * a deploy (bundle, validate offline, upload with progress, wait for PROCESSED).
 *
 * The environment half (sp_cli_deploy_version): UpdateEnvironment with the label, then
 * the environment's events followed until the deployment ends (exit 3 when it failed);
 * `--version LABEL` skips the upload and deploys an existing version. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bundles/bundle.h"
#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/project/project.h"
#include "engine/store/store.h"
#include "engine/validate/validate.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

#define SP_DEFAULT_PROCESS_TIMEOUT_S (5 * 60) /* the EB CLI waits 5 min for PROCESSED */

/* --- shared helpers --------------------------------------------------------------------- */

static void print_diags_prefixed(const struct sp_diags *d)
{
	if (d->n)
		sp_cli_print_diags(d, stderr);
}

int sp_cli_project_open(const char *cmd, bool must_exist, struct sp_project **out)
{
	struct sp_buf root = SP_BUF_INIT(PATH_MAX);
	struct sp_diags d;
	int rc = sp_project_find(".", &root), ret = SP_EXIT_FAILED;
	sp_diags_init(&d);
	if (rc == SP_ENOTFOUND && !must_exist) {
		char cwd[PATH_MAX];
		rc = getcwd(cwd, sizeof(cwd)) ? sp_buf_puts(&root, cwd) : SP_EIO;
	} else if (rc == SP_ENOTFOUND) {
		fprintf(stderr, "sprout %s: this folder is not a sprout project"
				" (no " SP_PROJECT_CONFIG " here or above)\n"
				"  hint: run `sprout init [APP]` in the project's top folder first\n", cmd);
		goto out;
	}
	if (rc) {
		fprintf(stderr, "sprout %s: cannot look for the project: %s\n", cmd, sp_strerror(rc));
		goto out;
	}
	if (chdir(sp_buf_cstr(&root)) != 0) {
		fprintf(stderr, "sprout %s: cannot enter %s: %s\n", cmd, sp_buf_cstr(&root),
			strerror(errno));
		goto out;
	}
	rc = sp_project_load(".", &d, out);
	print_diags_prefixed(&d);
	if (rc) {
		if (!d.n)
			fprintf(stderr, "sprout %s: cannot read " SP_PROJECT_CONFIG ": %s\n", cmd,
				sp_strerror(rc));
		goto out;
	}
	ret = SP_EXIT_OK;
out:
	sp_diags_free(&d);
	sp_buf_free(&root);
	return ret;
}

int sp_cli_client_open(const char *cmd, const char *flag_endpoint, const char *flag_token,
		       const struct sp_project *proj, struct sp_client **out)
{
	struct sp_client_settings s = { 0 };
	struct sp_client_config cfg = { 0 };
	struct sp_buf s1 = SP_BUF_INIT(PATH_MAX), s2 = SP_BUF_INIT(PATH_MAX), norm = SP_BUF_INIT(0);
	struct sp_diags d;
	int ret = SP_EXIT_FAILED, rc;
	sp_diags_init(&d);
	if (flag_endpoint && sp_client_endpoint_normalize(flag_endpoint, &norm) != 0) {
		ret = sp_cli_usage_error(cmd, "--endpoint \"%s\" is not an http:// or https:// URL"
					 " (e.g. http://127.0.0.1:4780)", flag_endpoint);
		goto out;
	}
	if ((rc = sp_client_settings_from_env(&s, &s1, &s2)))
		goto oom;
	s.flag_endpoint = flag_endpoint;
	s.flag_token = flag_token;
	s.project_endpoint = proj ? sp_project_endpoint(proj) : NULL;
	rc = sp_client_config_resolve(&s, &d, &cfg);
	print_diags_prefixed(&d);
	if (rc == SP_ENOMEM)
		goto oom;
	if (rc)
		goto out;
	struct sp_client_options o = { .endpoint = cfg.endpoint, .token = cfg.token };
	if ((rc = sp_client_new(&o, out)))
		goto oom;
	ret = SP_EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "sprout %s: cannot set up the API client: %s\n", cmd, sp_strerror(rc));
out:
	sp_client_config_free(&cfg);
	sp_diags_free(&d);
	sp_buf_free(&s1);
	sp_buf_free(&s2);
	sp_buf_free(&norm);
	return ret;
}

int sp_cli_api_error(const char *cmd, const struct sp_client *c, const struct sp_client_error *e)
{
	struct sp_buf b = SP_BUF_INIT(0);
	if (sp_client_error_render(e, c ? sp_client_endpoint(c) : NULL, sp_want_color(2), &b) == 0)
		fprintf(stderr, "sprout %s: %s", cmd, sp_buf_cstr(&b));
	else
		fprintf(stderr, "sprout %s: %s\n", cmd, e->message ? e->message : "request failed");
	sp_buf_free(&b);
	return SP_EXIT_FAILED;
}

/* --- Ctrl-C while following --------------------------------------------------------------
 * SIGINT and SIGTERM are blocked while a command follows events and polled with
 * sigpending(), so no handler and no global flag are needed; the pending signal is
 * consumed before the mask is restored. */
struct sig_guard {
	sigset_t set, old;
};

static void sig_guard_on(struct sig_guard *g)
{
	sigemptyset(&g->set);
	sigaddset(&g->set, SIGINT);
	sigaddset(&g->set, SIGTERM);
	sigprocmask(SIG_BLOCK, &g->set, &g->old);
}

static bool sig_pending(void *arg)
{
	sigset_t p;
	(void)arg;
	if (sigpending(&p) != 0)
		return false;
	return sigismember(&p, SIGINT) || sigismember(&p, SIGTERM);
}

static void sig_guard_off(struct sig_guard *g)
{
	struct timespec zero = { 0, 0 };
	while (sig_pending(g) && sigtimedwait(&g->set, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &g->old, NULL);
}

/* --- the upload half ------------------------------------------------------------------------ */

struct progress_ctx {
	struct sp_progress bar;
	struct sp_buf line;
	int width;
	bool final_drawn;
};

static bool on_upload_progress(void *arg, uint64_t sent, uint64_t total)
{
	struct progress_ctx *p = arg;
	if (total == 0 || p->final_drawn)
		return true;
	if (sp_progress_render(&p->bar, sent, total, sp_client_mono_ms(), p->width, &p->line)) {
		fprintf(stderr, "\r%s\033[K", sp_buf_cstr(&p->line));
		fflush(stderr);
		p->final_drawn = sent >= total;
	}
	return true;
}

static int terminal_width(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

char *sp_cli_version_description(const char *m)
{
	size_t chars = 0, cut = 0, i;
	for (i = 0; m[i]; i++) {
		if (((unsigned char)m[i] & 0xc0) != 0x80) {
			if (chars == 195)
				cut = i;
			chars++;
		}
	}
	if (chars <= SP_MAX_DESCRIPTION)
		return sp_strdup(m);
	return sp_aprintf("%.*s...", (int)cut, m);
}

static char *description_for(const struct sp_cli_upload *u, const struct sp_git_info *g)
{
	return sp_cli_version_description(u->message ? u->message
					   : g->subject ? g->subject : "sprout deploy");
}

struct wait_ctx {
	const char *cmd;
	struct sp_client *c;
	const char *version_path;
	bool json;
	char status[32];
	struct sp_client_error err;
	bool failed;
	int64_t last_id; /* the newest event printed */
};

static int wait_on_event(void *arg, const json_t *ev)
{
	struct wait_ctx *w = arg;
	json_t *id = json_object_get(ev, "id");
	if (json_is_integer(id) && json_integer_value(id) <= w->last_id)
		return 0;
	if (json_is_integer(id))
		w->last_id = json_integer_value(id);
	if (!w->json)
		sp_cli_print_event(ev, stdout, false);
	return 0;
}

/* The status is written in the same transaction as the event that announces it, so
 * once check() saw the end, the events not yet streamed are in the store: print them. */
static void print_remaining_events(struct wait_ctx *w, const char *app, const char *label)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	json_t *resp = NULL;
	const char *q[] = { "application", app, "version", label, "limit", "100", NULL };
	sp_client_error_init(&err);
	if (!w->json && sp_buf_puts(&path, "/events") == 0 && sp_client_path_query(&path, q) == 0 &&
	    sp_client_request(w->c, "GET", sp_buf_cstr(&path), NULL, NULL, &resp, &err) == 0) {
		json_t *evs = json_object_get(resp, "events");
		for (size_t i = json_array_size(evs); i-- > 0;)
			wait_on_event(w, json_array_get(evs, i));
	}
	json_decref(resp);
	sp_client_error_free(&err);
	sp_buf_free(&path);
}

/* Asks the engine for the version's status: 1 once it is no longer being processed. */
static int wait_check(void *arg)
{
	struct wait_ctx *w = arg;
	json_t *v = NULL;
	sp_client_error_free(&w->err);
	sp_client_error_init(&w->err);
	if (sp_client_request(w->c, "GET", w->version_path, NULL, NULL, &v, &w->err) != 0) {
		w->failed = true;
		return -1;
	}
	const char *st = json_string_value(json_object_get(v, "status"));
	snprintf(w->status, sizeof(w->status), "%s", st ? st : "");
	json_decref(v);
	return strcmp(w->status, "PROCESSED") == 0 || strcmp(w->status, "FAILED") == 0;
}

static int print_version_failure(const char *cmd, const json_t *v)
{
	struct sp_diags d;
	sp_diags_init(&d);
	json_t *diags = json_object_get(v, "diagnostics");
	if (json_is_array(diags) && sp_diags_from_json(diags, &d) == 0)
		sp_cli_print_diags(&d, stderr);
	fprintf(stderr, "sprout %s: the engine refused version \"%s\" (FAILED): %zu error%s\n", cmd,
		json_string_value(json_object_get(v, "label")), sp_diags_errors(&d),
		sp_diags_errors(&d) == 1 ? "" : "s");
	sp_diags_free(&d);
	return SP_EXIT_FAILED;
}

/* Builds the bundle into zip_out (or takes deploy.artifact) and validates it offline. */
static int bundle_and_validate(const char *cmd, const struct sp_project *p,
			       const struct sp_cli_upload *u, const struct sp_git_info *g,
			       const char *label, struct sp_buf *zip_out)
{
	struct sp_diags d;
	struct sp_validation *v = NULL;
	int ret = SP_EXIT_FAILED, rc;
	const char *artifact = sp_project_artifact(p);
	sp_diags_init(&d);
	sp_buf_reset(zip_out);
	if (artifact) {
		if ((rc = sp_buf_puts(zip_out, artifact)))
			goto oom;
		if (!u->json)
			printf("Using the deploy artifact %s (config.yml deploy.artifact).\n", artifact);
	} else {
		enum sp_bundle_source src = SP_BUNDLE_SRC_DIR;
		if ((rc = sp_mkdir_p(SP_PROJECT_DIR "/app_versions", 0755))) {
			fprintf(stderr, "sprout %s: cannot create " SP_PROJECT_DIR "/app_versions: %s\n",
				cmd, strerror(errno));
			goto out;
		}
		if ((rc = sp_buf_printf(zip_out, SP_PROJECT_DIR "/app_versions/%s.zip", label)))
			goto oom;
		sp_bundle_source_for(".", u->staged, &src);
		if (src == SP_BUNDLE_SRC_GIT_HEAD && g->dirty)
			fprintf(stderr, "sprout %s: warning: uncommitted changes are not in the bundle"
					" (it is `git archive` of HEAD); commit them, or use --staged\n",
				cmd);
		if (!u->json)
			printf("Creating application version archive \"%s\" (from %s).\n", label,
			       sp_bundle_source_name(src));
		struct sp_bundle_create_opts bo = { .staged = u->staged };
		rc = sp_bundle_create(".", &bo, sp_buf_cstr(zip_out), &d);
		if (rc) {
			print_diags_prefixed(&d);
			fprintf(stderr, "sprout %s: cannot build the bundle%s%s; nothing was uploaded\n",
				cmd, d.n ? "" : ": ", d.n ? "" : sp_strerror(rc));
			goto out;
		}
		sp_diags_free(&d);
		sp_diags_init(&d);
	}
	struct sp_validate_options vo = { .strict = u->strict };
	rc = sp_validate(sp_buf_cstr(zip_out), &vo, &d, &v);
	sp_validation_free(v);
	if (rc == SP_ENOMEM)
		goto oom;
	sp_diags_sort(&d);
	print_diags_prefixed(&d);
	size_t errors = sp_diags_errors(&d), warnings = sp_diags_warnings(&d);
	if (errors) {
		fprintf(stderr, "sprout %s: %s is invalid: %zu error%s, %zu warning%s;"
				" nothing was uploaded\n", cmd, sp_buf_cstr(zip_out), errors,
			errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
		goto out;
	}
	ret = SP_EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "sprout %s: %s\n", cmd, sp_strerror(rc));
out:
	sp_diags_free(&d);
	return ret;
}

static int version_path(const char *app, const char *label, struct sp_buf *out)
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

/* Waits until the version is PROCESSED or FAILED, printing its events. */
static int wait_processed(const char *cmd, struct sp_client *c, const char *app,
			  const char *label, const char *vpath, int64_t since_id,
			  const struct sp_cli_upload *u)
{
	struct wait_ctx w = { .cmd = cmd, .c = c, .version_path = vpath, .json = u->json,
			      .last_id = since_id };
	struct sig_guard sg;
	enum sp_follow_end end = SP_FOLLOW_DONE;
	long timeout = u->timeout_s > 0 ? u->timeout_s : SP_DEFAULT_PROCESS_TIMEOUT_S;
	struct sp_event_follow f = {
		.application = app, .version = label, .since_id = since_id,
		.deadline_ms = sp_client_mono_ms() + timeout * 1000,
		.on_event = wait_on_event, .check = wait_check, .interrupted = sig_pending,
		.arg = &w,
	};
	struct sp_client_error err;
	int ret = SP_EXIT_FAILED;
	sp_client_error_init(&err);
	sp_client_error_init(&w.err);
	sig_guard_on(&sg);
	int rc = sp_client_events_follow(c, &f, &end, &err);
	sig_guard_off(&sg);
	if (rc) {
		ret = sp_cli_api_error(cmd, c, w.failed ? &w.err : &err);
		goto out;
	}
	if (end == SP_FOLLOW_INTERRUPTED) {
		fprintf(stderr, "sprout %s: stopped waiting; the engine goes on processing \"%s\""
				" (sprout appversion list)\n", cmd, label);
		goto out;
	}
	if (end == SP_FOLLOW_DONE)
		print_remaining_events(&w, app, label);
	if (end == SP_FOLLOW_TIMEOUT) {
		fprintf(stderr, "sprout %s: version \"%s\" was not processed within %ld s"
				" (status %s); see `sprout events -f --version %s`\n", cmd, label,
			timeout, w.status[0] ? w.status : "unknown", label);
		ret = SP_EXIT_TIMEOUT;
		goto out;
	}
	ret = SP_EXIT_OK;
out:
	sp_client_error_free(&err);
	sp_client_error_free(&w.err);
	return ret;
}

int sp_cli_upload_version(const char *cmd, struct sp_client *c, const struct sp_project *p,
			  const struct sp_cli_upload *u, char **label_out)
{
	struct sp_git_info g = { 0 };
	struct sp_buf label = SP_BUF_INIT(1024), zip = SP_BUF_INIT(PATH_MAX),
		      vpath = SP_BUF_INIT(MAX_CLIENT_URL), upath = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	struct progress_ctx prog = { .line = SP_BUF_INIT(1024) };
	json_t *version = NULL;
	char *desc = NULL, rid[48];
	const char *app = sp_project_application(p), *why;
	int64_t since_id = 0;
	int ret = SP_EXIT_FAILED, rc;
	sp_client_error_init(&err);

	if (!app) {
		fprintf(stderr, "sprout %s: " SP_PROJECT_CONFIG " names no application"
				" (global.application_name)\n  hint: run `sprout init APP`\n", cmd);
		goto out;
	}
	if ((rc = sp_project_git(".", &g)))
		goto oom;
	if (u->label)
		rc = sp_buf_puts(&label, u->label);
	else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		rc = sp_project_version_label(&g, u->staged,
					      (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, &label);
	}
	if (rc || !(desc = description_for(u, &g)))
		goto oom;
	if ((why = sp_name_problem(sp_buf_cstr(&label), SP_MAX_LABEL))) {
		fprintf(stderr, "sprout %s: the version label %s\n", cmd, why);
		goto out;
	}
	if ((rc = version_path(app, sp_buf_cstr(&label), &vpath)))
		goto oom;

	/* An existing label: deploy redeploys it as it is (the EB CLI's -l); otherwise it
	 * is taken, and the engine would refuse the upload anyway. */
	if (u->label && u->reuse_existing) {
		rc = sp_client_request(c, "GET", sp_buf_cstr(&vpath), NULL, NULL, &version, &err);
		if (rc == 0) {
			if (!u->json)
				printf("Using the existing version \"%s\".\n", sp_buf_cstr(&label));
			goto wait;
		}
		if (rc != SP_ENOTFOUND || strcmp(err.code ? err.code : "", "VERSION_NOT_FOUND") != 0) {
			ret = sp_cli_api_error(cmd, c, &err);
			goto out;
		}
		sp_client_error_free(&err);
		sp_client_error_init(&err);
	}

	if ((ret = bundle_and_validate(cmd, p, u, &g, sp_buf_cstr(&label), &zip)) != SP_EXIT_OK)
		goto out;
	ret = SP_EXIT_FAILED;
	if (sp_client_events_newest_id(c, &since_id, &err) != 0) {
		ret = sp_cli_api_error(cmd, c, &err);
		goto out;
	}
	const char *q[] = { "label", sp_buf_cstr(&label), "source", SP_VERSION_SOURCE_CLI,
			    "description", desc, NULL };
	if ((rc = version_path(app, NULL, &upath)) || (rc = sp_client_path_query(&upath, q)))
		goto oom;
	struct stat st;
	if (!u->json && stat(sp_buf_cstr(&zip), &st) == 0) {
		struct sp_buf size = SP_BUF_INIT(64);
		sp_format_bytes((uint64_t)st.st_size, &size);
		printf("Uploading %s (%s) to %s\n", sp_buf_cstr(&zip), sp_buf_cstr(&size),
		       sp_client_endpoint(c));
		sp_buf_free(&size);
		fflush(stdout);
	}
	bool tty = isatty(2);
	prog.width = terminal_width(2);
	sp_client_new_request_id(rid);
	rc = sp_client_upload(c, sp_buf_cstr(&upath), sp_buf_cstr(&zip), rid,
			      tty ? on_upload_progress : NULL, &prog, &version, &err);
	if (tty && prog.bar.drawn)
		fputc('\n', stderr);
	if (rc) {
		ret = sp_cli_api_error(cmd, c, &err);
		if (rc == SP_ENOTFOUND)
			fprintf(stderr, "  hint: create the application with `sprout init %s`\n", app);
		else if (rc == SP_EEXISTS)
			fprintf(stderr, "  hint: choose another --label, or leave it out for a"
					" generated one\n");
		goto out;
	}
wait:
	json_decref(version);
	version = NULL;
	if ((ret = wait_processed(cmd, c, app, sp_buf_cstr(&label), sp_buf_cstr(&vpath), since_id,
				  u)) != SP_EXIT_OK)
		goto out;
	ret = SP_EXIT_FAILED;
	if (sp_client_request(c, "GET", sp_buf_cstr(&vpath), NULL, NULL, &version, &err) != 0) {
		ret = sp_cli_api_error(cmd, c, &err);
		goto out;
	}
	const char *status = json_string_value(json_object_get(version, "status"));
	if (u->json && !u->json_quiet) {
		json_dumpf(version, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	if (!status || strcmp(status, "PROCESSED") != 0) {
		ret = print_version_failure(cmd, version);
		goto out;
	}
	if (!u->json)
		printf("Version \"%s\" of \"%s\" is PROCESSED.\n", sp_buf_cstr(&label), app);
	if (!(*label_out = sp_strdup(sp_buf_cstr(&label))))
		goto oom;
	ret = SP_EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "sprout %s: %s\n", cmd, sp_strerror(rc ? rc : SP_ENOMEM));
	ret = SP_EXIT_FAILED;
out:
	json_decref(version);
	free(desc);
	sp_git_info_free(&g);
	sp_client_error_free(&err);
	sp_buf_free(&label);
	sp_buf_free(&zip);
	sp_buf_free(&vpath);
	sp_buf_free(&upath);
	sp_buf_free(&prog.line);
	return ret;
}

/* --- the environment half ------------------------------------------------------------- */

/* Deploys label to the environment (UpdateEnvironment with a version label) and follows
 * its events until the deployment ends: exit 0, 3 when it failed, 4 on the timeout. */
int sp_cli_deploy_version(struct sp_cli_env_ctx *x, const char *label, long timeout_s, bool json)
{
	json_t *body = json_pack("{s:s}", "version", label);
	char *started = sp_aprintf("Deploying version \"%s\" to \"%s\".", label, x->env);
	struct sp_cli_env_op op = {
		.method = "PATCH", .body = body, .what = "deployment", .started = started,
		.json = json, .timeout_s = timeout_s > 0 ? timeout_s : SP_CLI_ENV_DEFAULT_TIMEOUT_S,
	};
	int ret = body && started ? sp_cli_env_operate(x, &op, NULL) : SP_EXIT_FAILED;
	json_decref(body);
	free(started);
	return ret;
}

/* --timeout: minutes as in the EB CLI ("10"), or with a unit ("90s", "2m"). */
static int parse_timeout(const char *s, long *out)
{
	size_t n = strlen(s);
	long mult = 60;
	char num[32];
	if (n == 0 || n >= sizeof(num))
		return SP_EINVAL;
	memcpy(num, s, n + 1);
	if (num[n - 1] == 's' || num[n - 1] == 'm') {
		mult = num[n - 1] == 's' ? 1 : 60;
		num[n - 1] = '\0';
	}
	uint64_t v;
	if (sp_parse_u64(num, &v) || v == 0 || v > 24 * 60 * 60 / (uint64_t)mult)
		return SP_EINVAL;
	*out = (long)v * mult;
	return 0;
}

int sp_cli_parse_timeout(const char *s, long *seconds)
{
	return parse_timeout(s, seconds);
}

int cmd_deploy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "message", required_argument, NULL, 'm' },
		{ "staged", no_argument, NULL, 's' },
		{ "strict", no_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", required_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_cli_upload u = { .reuse_existing = true, .json_quiet = true };
	struct sp_cli_conn conn = { 0 };
	struct sp_cli_env_ctx x;
	const char *version = NULL;
	char *label = NULL;
	int ch, ret;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "l:m:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': u.label = optarg; break;
		case 'm': u.message = optarg; break;
		case 's': u.staged = true; break;
		case 'S': u.strict = true; break;
		case 'j': u.json = true; break;
		case 'V': version = optarg; break;
		case 'E': conn.endpoint = optarg; break;
		case 'T': conn.token = optarg; break;
		case 't':
			if (parse_timeout(optarg, &u.timeout_s))
				return sp_cli_usage_error("deploy", "--timeout takes minutes (10) or"
							  " a duration (90s, 2m) up to 24 h");
			break;
		default:
			return sp_cli_usage_error("deploy", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("deploy", "takes at most one ENV");
	if (version && (u.label || u.message || u.staged || u.strict))
		return sp_cli_usage_error("deploy", "--version deploys an existing version; it does"
					  " not go with --label, --message, --staged or --strict");
	if ((ret = sp_cli_env_open("deploy", &conn, optind < argc ? argv[optind] : NULL, true, &x)))
		return ret;
	if (!version) {
		if ((ret = sp_cli_upload_version("deploy", x.client, x.project, &u, &label)))
			goto out;
		version = label;
	}
	ret = sp_cli_deploy_version(&x, version, u.timeout_s, u.json);
out:
	free(label);
	sp_cli_env_close(&x);
	return ret;
}
