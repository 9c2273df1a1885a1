/* cmd_git.c — `sprout git`: deploying with `git push` (docs/git.md).
 *
 *   sprout git enable APP              create the hosted repository (POST .../git)
 *   sprout git status APP              its path and branch mappings (GET .../git)
 *   sprout git map APP BRANCH ENV      pushes to BRANCH deploy to ENV
 *   sprout git unmap APP BRANCH        remove that mapping
 * and, not listed in the help, what the repository's hooks run (platform-hooks/git/):
 *   sprout git pre-receive             validate every pushed branch that deploys; exit 1
 *                                      (push refused) when a bundle is invalid
 *   sprout git post-receive            create the version, deploy it, print the progress
 * Both hooks read git's "<old> <new> <ref>" lines on standard input and write to standard
 * error, which `git push` shows as "remote:" lines. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/gitrepo/gitrepo.h"
#include "engine/store/store.h"
#include "engine/validate/validate.h"
#include "engine/base/banned.h"

#define GIT_PROCESS_TIMEOUT_MS (10L * 60 * 1000) /* a version's processing */
#define GIT_DEPLOY_TIMEOUT_MS (60L * 60 * 1000)  /* a deployment, as EB's longest Timeout */
#define MAX_LABEL_TRIES 5                        /* labels tried when one is taken */

/* --- the management subcommands ------------------------------------------------------------ */

static int git_path(const char *app, const char *branch, struct sp_buf *out)
{
	int rc = sp_buf_puts(out, "/applications");
	if (!rc)
		rc = sp_client_path_segment(out, app);
	if (!rc)
		rc = sp_buf_puts(out, "/git");
	if (!rc && branch) {
		rc = sp_buf_puts(out, "/branches");
		/* one segment per component: the route takes the rest of the path */
		const char *p = branch;
		while (!rc && p) {
			const char *sl = strchr(p, '/');
			char *part = sl ? sp_strndup(p, (size_t)(sl - p)) : sp_strdup(p);
			rc = part ? sp_client_path_segment(out, part) : SP_ENOMEM;
			free(part);
			p = sl ? sl + 1 : NULL;
		}
	}
	return rc;
}

static void print_state(const json_t *j)
{
	const char *app = json_string_value(json_object_get(j, "application"));
	const char *path = json_string_value(json_object_get(j, "path"));
	json_t *br = json_object_get(j, "branches"), *b;
	size_t i;
	if (!json_is_true(json_object_get(j, "enabled"))) {
		printf("Application \"%s\" has no git repository (sprout git enable %s).\n", app, app);
		return;
	}
	printf("Git repository of \"%s\": %s\n", app, path ? path : "?");
	if (json_array_size(br) == 0)
		printf("No branch is mapped: pushes deploy only the branches whose"
		       " .elasticbeanstalk/config.yml names an environment (branch-defaults).\n");
	json_array_foreach(br, i, b)
		printf("  %s -> %s\n", json_string_value(json_object_get(b, "branch")),
		       json_string_value(json_object_get(b, "environment")));
}

static int git_manage(const char *sub, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *endpoint = NULL, *token = NULL;
	bool json = false;
	int ch, ret;
	struct sp_client *c = NULL;
	struct sp_client_error err;
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	json_t *resp = NULL, *body = NULL;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'E': endpoint = optarg; break;
		case 'T': token = optarg; break;
		default:
			return sp_cli_usage_error("git", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	int nargs = argc - optind;
	bool is_map = strcmp(sub, "map") == 0, is_unmap = strcmp(sub, "unmap") == 0;
	int want = is_map ? 3 : is_unmap ? 2 : 1;
	if (nargs != want)
		return sp_cli_usage_error("git", "%s takes %s", sub,
					  is_map ? "APP BRANCH ENV" : is_unmap ? "APP BRANCH" : "APP");
	const char *app = argv[optind], *branch = want > 1 ? argv[optind + 1] : NULL;
	const char *env = is_map ? argv[optind + 2] : NULL, *why;
	if ((why = sp_name_problem(app, SP_MAX_APP_NAME)))
		return sp_cli_usage_error("git", "the application name %s", why);
	if (branch && (why = sp_git_branch_problem(branch)))
		return sp_cli_usage_error("git", "the branch name \"%s\" %s", branch, why);
	sp_client_error_init(&err);
	if ((ret = sp_cli_client_open("git", endpoint, token, NULL, &c)))
		goto out;
	ret = SP_EXIT_FAILED;
	if (git_path(app, branch, &path)) {
		fprintf(stderr, "sprout git: the names are too long for a URL\n");
		goto out;
	}
	const char *method = strcmp(sub, "enable") == 0 ? "POST"
			     : strcmp(sub, "status") == 0 ? "GET"
			     : is_map			  ? "PUT"
							  : "DELETE";
	if (is_map && !(body = json_pack("{s:s}", "environment", env))) {
		fprintf(stderr, "sprout git: out of memory\n");
		goto out;
	}
	if (sp_client_request(c, method, sp_buf_cstr(&path), body, NULL, &resp, &err)) {
		ret = sp_cli_api_error("git", c, &err);
		goto out;
	}
	ret = SP_EXIT_OK;
	if (json) {
		json_dumpf(resp, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else if (strcmp(sub, "enable") == 0) {
		const char *p = json_string_value(json_object_get(resp, "path"));
		print_state(resp);
		printf("Push to it:\n  git remote add sprout %s\n  git push sprout main\n"
		       "(from another machine: git remote add sprout ssh://USER@HOST%s; docs/git.md)\n",
		       p ? p : "PATH", p ? p : "PATH");
	} else if (strcmp(sub, "status") == 0) {
		print_state(resp);
	} else if (is_map) {
		printf("Pushes to branch \"%s\" of \"%s\" now deploy to environment \"%s\".\n",
		       branch, app, env);
		if (!json_is_true(json_object_get(resp, "environment_exists")))
			printf("Note: there is no environment \"%s\" yet; pushes to \"%s\" are stored"
			       " but their deployment fails until it exists (sprout create %s).\n",
			       env, branch, env);
	} else {
		printf("Branch \"%s\" of \"%s\" is no longer mapped.\n", branch, app);
	}
out:
	json_decref(resp);
	json_decref(body);
	sp_client_error_free(&err);
	sp_client_free(c);
	sp_buf_free(&path);
	return ret;
}

/* --- the hooks: shared ----------------------------------------------------------------------- */

struct hook {
	const char *name;             /* "pre-receive", "post-receive" */
	char *repo;                   /* absolute */
	struct sp_gitrepo_conf conf;
	struct sp_ref_update *u;
	size_t n;
};

static void hook_free(struct hook *h)
{
	free(h->repo);
	sp_gitrepo_conf_free(&h->conf);
	sp_ref_updates_free(h->u, h->n);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	fputs("sprout: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* Reads the repository (the current folder, where git runs hooks), its sprout.json and git's
 * lines on stdin. 1 when the hook has nothing to do (not a sprout repository), 0, or -1
 * after saying why. */
static int hook_open(struct hook *h)
{
	struct sp_buf in = SP_BUF_INIT(MAX_GIT_HOOK_INPUT + 1);
	char buf[8192];
	size_t r;
	int rc;
	/* git runs the hooks of a bare repository in the repository itself (githooks(5)) */
	if (!(h->repo = realpath(".", NULL))) {
		say("cannot find the repository: %s", strerror(errno));
		return -1;
	}
	/* Every git below runs with --git-dir=<repo>, which wins over git's own variables.
	 * The bundle step asks git about a fresh folder under $TMPDIR: git's relative
	 * variable "." then names that folder (no repository there), an absolute one names
	 * this bare repository (core.bare: not a work tree), so it never mistakes the
	 * extracted commit for a checkout. */
	while ((r = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (sp_buf_append(&in, buf, r) != 0) {
			say("more than %zu bytes of ref updates; refusing", MAX_GIT_HOOK_INPUT);
			sp_buf_free(&in);
			return -1;
		}
	rc = sp_gitrepo_parse_updates(in.data ? in.data : "", in.len, &h->u, &h->n);
	sp_buf_free(&in);
	if (rc) {
		say("cannot read git's ref updates: %s", rc == SP_ETOOBIG ? "too many refs in one push"
						       : "malformed input");
		return -1;
	}
	rc = sp_gitrepo_conf_load(h->repo, &h->conf);
	if (rc == SP_ENOTFOUND)
		return 1; /* hooks copied by hand into another repository: stay out of the way */
	if (rc) {
		say("cannot read %s/" SP_GITREPO_CONF ": %s; run `sprout git enable APP` again",
		    h->repo, sp_strerror(rc));
		return -1;
	}
	return 0;
}

static const char *env_source_name(enum sp_gitrepo_env_source s)
{
	return s == SP_GIT_ENV_MAPPED ? "sprout git map"
				      : "branch-defaults in .elasticbeanstalk/config.yml";
}

/* A fresh work folder for one bundle (caller removes it). */
static char *make_workdir(void)
{
	const char *t = getenv("TMPDIR");
	char *p = sp_aprintf("%s/sprout-git-XXXXXX", t && *t ? t : "/tmp");
	if (p && !mkdtemp(p)) {
		free(p);
		p = NULL;
	}
	return p;
}

/* Builds and validates the bundle of u (as `sprout validate` on the bundle `sprout deploy`
 * would upload), printing every diagnostic. 0 valid, 1 invalid, -1 failed to check. When
 * zip_out is given, the workdir and zip are kept for the caller. */
static int check_bundle(struct hook *h, const struct sp_ref_update *u, const char *display,
			bool announce, char **workdir_out, struct sp_buf *zip_out)
{
	struct sp_diags d;
	struct sp_buf zip = SP_BUF_INIT(SP_PATH_MAX);
	struct sp_validation *v = NULL;
	char *wd = make_workdir();
	int ret = -1, rc;
	sp_diags_init(&d);
	if (!wd) {
		say("cannot create a work folder: %s", strerror(errno));
		goto out;
	}
	rc = sp_gitrepo_build_bundle(h->repo, u->new_sha, wd, display, &d, &zip);
	if (rc == 0) {
		rc = sp_validate(sp_buf_cstr(&zip), NULL, &d, &v);
		sp_validation_free(v);
		if (sp_gitrepo_diags_rename(&d, sp_buf_cstr(&zip), display))
			rc = SP_ENOMEM;
	}
	if (rc == SP_ENOMEM || rc == SP_EIO) {
		say("cannot check %s: %s", display, sp_strerror(rc));
		goto out;
	}
	sp_diags_sort(&d);
	sp_cli_print_diags(&d, stderr);
	size_t e = sp_diags_errors(&d), w = sp_diags_warnings(&d);
	if (e) {
		say("%s is invalid: %zu error%s, %zu warning%s", display, e, e == 1 ? "" : "s", w,
		    w == 1 ? "" : "s");
		ret = 1;
	} else {
		if (announce)
			say("%s is valid (%zu warning%s)", display, w, w == 1 ? "" : "s");
		ret = 0;
	}
	if (ret == 0 && zip_out && workdir_out) {
		sp_buf_reset(zip_out);
		if (sp_buf_puts(zip_out, sp_buf_cstr(&zip)) == 0) {
			*workdir_out = wd;
			wd = NULL;
		} else {
			ret = -1;
		}
	}
out:
	if (wd)
		sp_rm_rf(wd);
	free(wd);
	sp_diags_free(&d);
	sp_buf_free(&zip);
	return ret;
}

static int resolve_env(struct hook *h, const struct sp_ref_update *u, char **env,
		       enum sp_gitrepo_env_source *src)
{
	struct sp_diags d;
	sp_diags_init(&d);
	int rc = sp_gitrepo_env_for(h->repo, &h->conf, u->branch, u->new_sha, &d, env, src);
	sp_cli_print_diags(&d, stderr);
	sp_diags_free(&d);
	if (rc)
		say("cannot tell which environment %s deploys to: %s", u->branch, sp_strerror(rc));
	return rc;
}

/* --- pre-receive ----------------------------------------------------------------------------- */

static int git_pre_receive(void)
{
	struct hook h = { .name = "pre-receive" };
	int ret = SP_EXIT_FAILED, o = hook_open(&h);
	size_t invalid = 0, failed = 0;
	if (o != 0) {
		ret = o > 0 ? SP_EXIT_OK : SP_EXIT_FAILED;
		goto out;
	}
	for (size_t i = 0; i < h.n; i++) {
		const struct sp_ref_update *u = &h.u[i];
		char *env = NULL, display[MAX_GIT_BRANCH_NAME + 16];
		enum sp_gitrepo_env_source src;
		if (!u->branch || u->kind == SP_REF_DELETE)
			continue; /* tags and deletions deploy nothing */
		if (resolve_env(&h, u, &env, &src)) {
			failed++;
			continue;
		}
		if (!env)
			continue; /* stored, not deployed: post-receive says so */
		snprintf(display, sizeof(display), "%s@%.*s", u->branch, SP_GIT_SHORT_SHA,
			 u->new_sha);
		say("checking %s, which deploys to environment \"%s\" (%s)", display, env,
		    env_source_name(src));
		int c = check_bundle(&h, u, display, true, NULL, NULL);
		if (c > 0)
			invalid++;
		else if (c < 0)
			failed++;
		free(env);
	}
	if (invalid || failed) {
		say("push refused: %s; nothing was stored.",
		    invalid ? "fix the errors above, commit and push again"
			    : "the bundle could not be checked");
		goto out;
	}
	ret = SP_EXIT_OK;
out:
	hook_free(&h);
	return ret;
}

/* --- post-receive: talking to the engine ----------------------------------------------------- */

/* The engine of the repository: SPROUT_ENDPOINT / SPROUT_TOKEN in the hook's environment
 * win; else sprout.json's endpoint and <data_dir>/admin.token. */
static int hook_client(struct hook *h, struct sp_client **out)
{
	struct sp_buf ep = SP_BUF_INIT(MAX_CLIENT_URL), tok = SP_BUF_INIT(MAX_CLIENT_TOKEN + 2);
	const char *e = getenv("SPROUT_ENDPOINT"), *t = getenv("SPROUT_TOKEN");
	int ret = -1;
	if (!e || !*e)
		e = h->conf.endpoint ? h->conf.endpoint : SP_CLIENT_DEFAULT_ENDPOINT;
	if (sp_client_endpoint_normalize(e, &ep)) {
		say("the engine URL \"%s\" is not an http(s) URL; run `sprout git enable %s` again",
		    e, h->conf.application);
		goto out;
	}
	if (!t || !*t) {
		char *p = h->conf.data_dir ? sp_aprintf("%s/admin.token", h->conf.data_dir) : NULL;
		if (!p || sp_read_file(p, MAX_CLIENT_TOKEN + 1, &tok) != 0) {
			say("cannot read the engine's token %s: %s", p ? p : "(no data_dir in "
			    SP_GITREPO_CONF ")", strerror(errno));
			say("  hint: the user pushing must be able to read it (docs/git.md)");
			free(p);
			goto out;
		}
		free(p);
		while (tok.len && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == '\r' ||
				   tok.data[tok.len - 1] == ' '))
			tok.data[--tok.len] = '\0';
		t = sp_buf_cstr(&tok);
	}
	struct sp_client_options o = { .endpoint = sp_buf_cstr(&ep), .token = t };
	if (sp_client_new(&o, out)) {
		say("cannot set up the API client");
		goto out;
	}
	ret = 0;
out:
	sp_buf_free(&ep);
	sp_buf_free(&tok);
	return ret;
}

static void api_failed(const struct sp_client *c, const struct sp_client_error *e,
		       const char *what)
{
	struct sp_buf b = SP_BUF_INIT(0);
	if (sp_client_error_render(e, sp_client_endpoint(c), false, &b) == 0)
		fprintf(stderr, "sprout: %s: %s", what, sp_buf_cstr(&b));
	else
		say("%s: %s", what, e->message ? e->message : "request failed");
	fflush(stderr);
	sp_buf_free(&b);
}

/* Serialises pushes to one environment: an exclusive lock held while this push deploys. */
static int lock_env(struct hook *h, const char *env)
{
	char *dir = sp_aprintf("%s/" SP_GITREPO_DEPLOY_LOCKS, h->repo);
	char *p = dir ? sp_aprintf("%s/%s.lock", dir, env) : NULL;
	int fd = -1;
	if (p && sp_mkdir_p(dir, 0700) == 0)
		fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		say("another push is deploying to environment \"%s\"; waiting for it to end", env);
		while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
			;
	}
	free(p);
	free(dir);
	return fd;
}

static int versions_path(const char *app, const char *label, struct sp_buf *out)
{
	sp_buf_reset(out);
	int rc = sp_buf_puts(out, "/applications");
	if (!rc)
		rc = sp_client_path_segment(out, app);
	if (!rc)
		rc = sp_buf_puts(out, "/versions");
	if (!rc && label)
		rc = sp_client_path_segment(out, label);
	return rc;
}

/* A label no version of the application has yet: <branch>-<sha>, then with the time. */
static int free_label(struct sp_client *c, const char *app, const struct sp_ref_update *u,
		      struct sp_buf *label)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	int64_t now = sp_now_ms();
	int ret = -1;
	for (int i = 0; i < MAX_LABEL_TRIES; i++) {
		struct sp_client_error err;
		sp_client_error_init(&err);
		int64_t suffix = i == 0 ? 0 : now + (int64_t)(i - 1) * 1000;
		if (sp_gitrepo_version_label(u->branch, u->new_sha, suffix, label) ||
		    versions_path(app, sp_buf_cstr(label), &path)) {
			say("cannot make a version label for %s", u->branch);
			break;
		}
		int rc = sp_client_request(c, "GET", sp_buf_cstr(&path), NULL, NULL, NULL, &err);
		if (rc == SP_ENOTFOUND && err.code && strcmp(err.code, "VERSION_NOT_FOUND") == 0) {
			sp_client_error_free(&err);
			ret = 0;
			break;
		}
		if (rc != 0) {
			api_failed(c, &err, "cannot reach the engine");
			sp_client_error_free(&err);
			break;
		}
		sp_client_error_free(&err);
	}
	sp_buf_free(&path);
	return ret;
}

/* Following events until an operation ends: the version's processing, then the
 * deployment. */
struct follow {
	struct sp_client *c;
	const char *check_path;  /* GET this ... */
	const char *done_field;  /* ... until this field ... */
	const char *const *ends; /* ... holds one of these (NULL-terminated) */
	const char *find_id;     /* the answer is {"deployments": [...]}: check this one */
	char final[64];
	json_t *last;            /* the last object checked */
	int64_t last_id;
	bool check_failed;
	struct sp_client_error err;
};

static int follow_event(void *arg, const json_t *ev)
{
	struct follow *f = arg;
	json_t *id = json_object_get(ev, "id");
	if (json_is_integer(id) && json_integer_value(id) <= f->last_id)
		return 0;
	if (json_is_integer(id))
		f->last_id = json_integer_value(id);
	sp_cli_print_event(ev, stderr, false);
	return 0;
}

static int follow_check(void *arg)
{
	struct follow *f = arg;
	json_t *v = NULL;
	sp_client_error_free(&f->err);
	sp_client_error_init(&f->err);
	if (sp_client_request(f->c, "GET", f->check_path, NULL, NULL, &v, &f->err) != 0) {
		f->check_failed = true;
		return -1;
	}
	if (f->find_id) {
		json_t *arr = json_object_get(v, "deployments"), *d, *found = NULL;
		size_t i;
		json_array_foreach(arr, i, d) {
			const char *id = json_string_value(json_object_get(d, "deployment_id"));
			if (id && strcmp(id, f->find_id) == 0)
				found = json_incref(d);
		}
		json_decref(v);
		v = found;
	}
	json_decref(f->last);
	f->last = v;
	const char *st = json_string_value(json_object_get(v, f->done_field));
	snprintf(f->final, sizeof(f->final), "%s", st ? st : "");
	for (size_t i = 0; f->ends[i]; i++)
		if (strcmp(f->final, f->ends[i]) == 0)
			return 1;
	return 0;
}

/* Prints the events (filtered by application and version or environment) from since_id
 * until check says the operation ended. 0 ended, -1 failed (said), 4 timed out. */
static int follow_until(struct follow *f, const char *app, const char *version,
			const char *env, int64_t since_id, long timeout_ms)
{
	struct sp_event_follow ef = {
		.application = app, .version = version, .environment = env, .since_id = since_id,
		.deadline_ms = sp_client_mono_ms() + timeout_ms, .on_event = follow_event,
		.check = follow_check, .arg = f,
	};
	enum sp_follow_end end = SP_FOLLOW_DONE;
	struct sp_client_error err;
	sp_client_error_init(&err);
	f->last_id = since_id;
	int rc = sp_client_events_follow(f->c, &ef, &end, &err);
	if (rc) {
		api_failed(f->c, f->check_failed ? &f->err : &err, "lost the engine");
		sp_client_error_free(&err);
		return -1;
	}
	sp_client_error_free(&err);
	if (end == SP_FOLLOW_TIMEOUT)
		return 4;
	/* the status is written with the event announcing it: print what is left */
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
	json_t *resp = NULL;
	const char *q[] = { "application", app, "version", version, "environment", env,
			    "limit", "100", NULL };
	sp_client_error_init(&err);
	if (sp_buf_puts(&path, "/events") == 0 && sp_client_path_query(&path, q) == 0 &&
	    sp_client_request(f->c, "GET", sp_buf_cstr(&path), NULL, NULL, &resp, &err) == 0) {
		json_t *evs = json_object_get(resp, "events");
		for (size_t i = json_array_size(evs); i-- > 0;)
			follow_event(f, json_array_get(evs, i));
	}
	json_decref(resp);
	sp_client_error_free(&err);
	sp_buf_free(&path);
	return 0;
}

/* Uploads the bundle as a version and waits until the engine has processed it.
 * 0 PROCESSED, -1 otherwise (said). */
static int create_version(struct hook *h, struct sp_client *c, const struct sp_ref_update *u,
			  const char *zip, const char *label)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL), vpath = SP_BUF_INIT(MAX_CLIENT_URL),
		      subject = SP_BUF_INIT(64 << 10);
	struct sp_client_error err;
	const char *app = h->conf.application;
	json_t *v = NULL;
	char *desc = NULL, rid[48];
	int64_t since = 0;
	int ret = -1;
	static const char *const ends[] = { "PROCESSED", "FAILED", NULL };
	sp_client_error_init(&err);
	if (sp_gitrepo_commit_subject(h->repo, u->new_sha, &subject) != 0)
		sp_buf_reset(&subject);
	if (!(desc = sp_cli_version_description(subject.len ? sp_buf_cstr(&subject) : "git push")))
		goto out;
	const char *q[] = { "label", label, "description", desc, "source", "git", NULL };
	if (versions_path(app, NULL, &path) || sp_client_path_query(&path, q) ||
	    versions_path(app, label, &vpath)) {
		say("the version's URL is too long");
		goto out;
	}
	if (sp_client_events_newest_id(c, &since, &err)) {
		api_failed(c, &err, "cannot reach the engine");
		goto out;
	}
	say("creating version \"%s\" of \"%s\"", label, app);
	sp_client_new_request_id(rid);
	if (sp_client_upload(c, sp_buf_cstr(&path), zip, rid, NULL, NULL, &v, &err)) {
		api_failed(c, &err, "the engine refused the version");
		goto out;
	}
	json_decref(v);
	v = NULL;
	struct follow f = { .c = c, .check_path = sp_buf_cstr(&vpath), .done_field = "status",
			    .ends = ends };
	sp_client_error_init(&f.err);
	int fr = follow_until(&f, app, label, NULL, since, GIT_PROCESS_TIMEOUT_MS);
	if (fr == 0 && strcmp(f.final, "PROCESSED") == 0) {
		ret = 0;
	} else if (fr == 0) {
		struct sp_diags d;
		sp_diags_init(&d);
		json_t *diags = json_object_get(f.last, "diagnostics");
		if (json_is_array(diags) && sp_diags_from_json(diags, &d) == 0)
			sp_cli_print_diags(&d, stderr);
		sp_diags_free(&d);
		say("the engine refused version \"%s\" (%s); nothing is deployed", label, f.final);
	} else if (fr == 4) {
		say("version \"%s\" was not processed within %ld minutes; nothing is deployed"
		    " (sprout events -f --version %s)", label, GIT_PROCESS_TIMEOUT_MS / 60000, label);
	}
	json_decref(f.last);
	sp_client_error_free(&f.err);
out:
	free(desc);
	json_decref(v);
	sp_client_error_free(&err);
	sp_buf_free(&path);
	sp_buf_free(&vpath);
	sp_buf_free(&subject);
	return ret;
}

/* The cause of a failure, one "  cause: " / "         " line per line of it. */
static void print_cause(const char *cause)
{
	size_t n = strlen(cause);
	while (n && (cause[n - 1] == '\n' || cause[n - 1] == ' ' || cause[n - 1] == '\r'))
		n--;
	for (size_t i = 0, first = 1; i < n; first = 0) {
		const char *nl = memchr(cause + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - cause - i) : n - i;
		fprintf(stderr, "sprout:   %s%.*s\n", first ? "cause: " : "       ", (int)len,
			cause + i);
		i += len + (nl ? 1 : 0);
	}
	fflush(stderr);
}

/* Deploys label to env and follows the deployment until it ends. 0 succeeded, -1 not. */
static int deploy_version(struct hook *h, struct sp_client *c, const char *env,
			  const char *label)
{
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL), dpath = SP_BUF_INIT(MAX_CLIENT_URL);
	struct sp_client_error err;
	json_t *body = json_pack("{s:s}", "version_label", label), *resp = NULL;
	int64_t since = 0;
	int ret = -1;
	static const char *const ends[] = { "Succeeded", "Failed", "Aborted", NULL };
	sp_client_error_init(&err);
	if (!body || sp_buf_puts(&path, "/environments") || sp_client_path_segment(&path, env)) {
		say("out of memory");
		goto out;
	}
	if (sp_client_events_newest_id(c, &since, &err)) {
		api_failed(c, &err, "cannot reach the engine");
		goto out;
	}
	say("deploying \"%s\" to environment \"%s\"", label, env);
	/* Another operation on the environment (a deploy from the CLI or the console) makes
	 * the engine answer 409 ENV_NOT_READY: wait for it, as pushes wait for each other. */
	int64_t give_up = sp_client_mono_ms() + GIT_DEPLOY_TIMEOUT_MS;
	bool said = false;
	int rc;
	while ((rc = sp_client_request(c, "PATCH", sp_buf_cstr(&path), body, NULL, &resp,
				       &err)) == SP_EEXISTS &&
	       err.code && strcmp(err.code, "ENV_NOT_READY") == 0 &&
	       sp_client_mono_ms() < give_up) {
		if (!said)
			say("environment \"%s\" is busy with another operation; waiting for it to"
			    " end", env);
		said = true;
		sp_client_error_free(&err);
		sp_client_error_init(&err);
		sleep(2);
	}
	if (rc) {
		api_failed(c, &err, "the engine refused the deployment");
		if (err.status == 404 && err.code && strcmp(err.code, "VERSION_NOT_FOUND") != 0)
			say("  hint: create the environment (sprout create %s), or map the branch"
			    " to another one (sprout git map %s BRANCH ENV)", env,
			    h->conf.application);
		say("version \"%s\" is stored; deploy it later with `sprout deploy %s -l %s`", label,
		    env, label);
		goto out;
	}
	const char *id = json_string_value(json_object_get(resp, "deployment_id"));
	if (!id || sp_buf_puts(&dpath, sp_buf_cstr(&path)) ||
	    sp_buf_puts(&dpath, "/deployments?limit=50")) {
		say("the engine's answer names no deployment");
		goto out;
	}
	struct follow f = { .c = c, .check_path = sp_buf_cstr(&dpath), .done_field = "status",
			    .ends = ends, .find_id = id };
	sp_client_error_init(&f.err);
	int fr = follow_until(&f, h->conf.application, NULL, env, since, GIT_DEPLOY_TIMEOUT_MS);
	if (fr == 0 && strcmp(f.final, "Succeeded") == 0) {
		say("deployed \"%s\" to environment \"%s\".", label, env);
		ret = 0;
	} else if (fr == 0) {
		const char *cause = json_string_value(json_object_get(f.last, "cause"));
		say("DEPLOYMENT FAILED: \"%s\" to environment \"%s\" ended %s.", label, env,
		    f.final);
		print_cause(cause ? cause : "see the events above");
		say("  roll back to the last good version with `sprout rollback %s` (or the"
		    " console's Roll back button); the push itself is stored", env);
	} else if (fr == 4) {
		say("the deployment did not end within %ld minutes; follow it with"
		    " `sprout events -f --env %s`", GIT_DEPLOY_TIMEOUT_MS / 60000, env);
	}
	json_decref(f.last);
	sp_client_error_free(&f.err);
out:
	json_decref(body);
	json_decref(resp);
	sp_client_error_free(&err);
	sp_buf_free(&path);
	sp_buf_free(&dpath);
	return ret;
}

/* --- post-receive ------------------------------------------------------------------------------ */

static int deploy_push(struct hook *h, struct sp_client *c, const struct sp_ref_update *u,
		       const char *env, const char *display)
{
	struct sp_buf zip = SP_BUF_INIT(SP_PATH_MAX), label = SP_BUF_INIT(1024);
	char *wd = NULL;
	int ret = -1, lock = lock_env(h, env);
	say("%s: building its bundle for environment \"%s\"", display, env);
	if (check_bundle(h, u, display, false, &wd, &zip) != 0)
		goto out;
	if (free_label(c, h->conf.application, u, &label))
		goto out;
	if (create_version(h, c, u, sp_buf_cstr(&zip), sp_buf_cstr(&label)))
		goto out;
	ret = deploy_version(h, c, env, sp_buf_cstr(&label));
out:
	if (wd)
		sp_rm_rf(wd);
	free(wd);
	if (lock >= 0)
		close(lock);
	sp_buf_free(&zip);
	sp_buf_free(&label);
	return ret;
}

/* A repository whose HEAD names no branch (the first push was not "main") gets HEAD on
 * the first branch pushed, so `git clone` of it checks something out. */
static void point_head(struct hook *h)
{
	const char *verify[] = { "rev-parse", "-q", "--verify", "HEAD", NULL };
	if (sp_gitrepo_git(h->repo, verify, NULL, NULL) == 0)
		return;
	for (size_t i = 0; i < h->n; i++) {
		if (h->u[i].branch && h->u[i].kind != SP_REF_DELETE) {
			const char *sym[] = { "symbolic-ref", "HEAD", h->u[i].ref, NULL };
			sp_gitrepo_git(h->repo, sym, NULL, NULL);
			return;
		}
	}
}

static int git_post_receive(void)
{
	struct hook h = { .name = "post-receive" };
	struct sp_client *c = NULL;
	int ret = SP_EXIT_FAILED, o = hook_open(&h);
	size_t failed = 0;
	if (o != 0) {
		ret = o > 0 ? SP_EXIT_OK : SP_EXIT_FAILED;
		goto out;
	}
	for (size_t i = 0; i < h.n; i++) {
		const struct sp_ref_update *u = &h.u[i];
		char *env = NULL, display[MAX_GIT_BRANCH_NAME + 16];
		enum sp_gitrepo_env_source src;
		if (!u->branch)
			continue;
		if (u->kind == SP_REF_DELETE) {
			say("branch \"%s\" deleted; no environment is changed.", u->ref + 11);
			continue;
		}
		snprintf(display, sizeof(display), "%s@%.*s", u->branch, SP_GIT_SHORT_SHA,
			 u->new_sha);
		if (resolve_env(&h, u, &env, &src)) {
			failed++;
			continue;
		}
		if (!env) {
			say("%s is stored; branch \"%s\" deploys to no environment, so nothing is"
			    " deployed.", display, u->branch);
			say("  hint: sprout git map %s %s ENV, or set branch-defaults.%s.environment"
			    " in .elasticbeanstalk/config.yml", h.conf.application, u->branch,
			    u->branch);
			continue;
		}
		if (!c && hook_client(&h, &c) != 0) {
			free(env);
			failed++;
			break;
		}
		if (deploy_push(&h, c, u, env, display) != 0)
			failed++;
		free(env);
	}
	point_head(&h);
	ret = failed ? SP_EXIT_DEPLOY_FAILED : SP_EXIT_OK;
out:
	sp_client_free(c);
	hook_free(&h);
	return ret;
}

int cmd_git(int argc, char **argv)
{
	if (argc < 2)
		return sp_cli_usage_error("git", "name a subcommand: enable, status, map or unmap");
	const char *sub = argv[1];
	if (strcmp(sub, "pre-receive") == 0 || strcmp(sub, "post-receive") == 0) {
		if (argc > 2)
			return sp_cli_usage_error("git", "%s takes no arguments (git gives it the"
						  " ref updates on standard input)", sub);
		return sub[1] == 'r' ? git_pre_receive() : git_post_receive();
	}
	if (strcmp(sub, "enable") && strcmp(sub, "status") && strcmp(sub, "map") &&
	    strcmp(sub, "unmap"))
		return sp_cli_usage_error("git", "no subcommand '%s' (enable, status, map, unmap)",
					  sub);
	return git_manage(sub, argc - 1, argv + 1);
}
