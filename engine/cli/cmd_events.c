/* cmd_events.c — `sprout events [-f]`: an application's recent events, and following
 * them live over the engine's event stream (SSE) until the operation ends, Ctrl-C, or
 * --timeout. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/cli/cli.h"
#include "engine/client/client.h"
#include "engine/project/project.h"
#include "engine/base/banned.h"

#define EVENTS_DEFAULT_LIMIT 20
#define EVENTS_MAX_LIMIT 1000

void sp_cli_print_event(const json_t *event, FILE *f, bool json)
{
	if (json) {
		char *s = json_dumps(event, JSON_COMPACT);
		if (s)
			fprintf(f, "%s\n", s);
		free(s);
	} else {
		struct sp_buf b = SP_BUF_INIT(0);
		if (sp_event_render(event, sp_want_color(fileno(f)), true, &b) == 0)
			fprintf(f, "%s\n", sp_buf_cstr(&b));
		sp_buf_free(&b);
	}
	fflush(f);
}

struct follow_ctx {
	struct sp_client *c;
	const char *version_path; /* NULL: no operation to wait for */
	bool json;
	bool failed;
	struct sp_client_error err;
};

static int on_event(void *arg, const json_t *ev)
{
	struct follow_ctx *fc = arg;
	sp_cli_print_event(ev, stdout, fc->json);
	return 0;
}

/* The operation `events -f --version L` waits for: the version's processing. */
static int check_version(void *arg)
{
	struct follow_ctx *fc = arg;
	json_t *v = NULL;
	if (!fc->version_path)
		return 0;
	sp_client_error_free(&fc->err);
	sp_client_error_init(&fc->err);
	if (sp_client_request(fc->c, "GET", fc->version_path, NULL, NULL, &v, &fc->err)) {
		fc->failed = true;
		return -1;
	}
	const char *st = json_string_value(json_object_get(v, "status"));
	int done = st && strcmp(st, "PROCESSING") != 0 && strcmp(st, "UNPROCESSED") != 0 &&
		   strcmp(st, "BUILDING") != 0;
	json_decref(v);
	return done;
}

static bool interrupted(void *arg)
{
	sigset_t p;
	(void)arg;
	return sigpending(&p) == 0 && (sigismember(&p, SIGINT) || sigismember(&p, SIGTERM));
}

int cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "env", required_argument, NULL, 'e' },
		{ "version", required_argument, NULL, 'v' },
		{ "request-id", required_argument, NULL, 'r' },
		{ "severity", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "app", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = NULL, *version = NULL, *request_id = NULL, *severity = NULL,
		   *app = NULL, *endpoint = NULL, *token = NULL;
	bool follow = false, json = false;
	long timeout_s = 0;
	uint64_t limit = EVENTS_DEFAULT_LIMIT;
	struct sp_project *p = NULL;
	struct sp_client *c = NULL;
	struct sp_client_error err;
	struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL), vpath = SP_BUF_INIT(MAX_CLIENT_URL);
	json_t *events = NULL;
	int ch, ret, rc;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "fn:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': follow = true; break;
		case 'e': env = optarg; break;
		case 'v': version = optarg; break;
		case 'r': request_id = optarg; break;
		case 's': severity = optarg; break;
		case 'a': app = optarg; break;
		case 'j': json = true; break;
		case 'E': endpoint = optarg; break;
		case 'T': token = optarg; break;
		case 'n':
			if (sp_parse_u64(optarg, &limit) || limit < 1 || limit > EVENTS_MAX_LIMIT)
				return sp_cli_usage_error("events", "--limit takes 1 to %d",
							  EVENTS_MAX_LIMIT);
			break;
		case 't':
			if (sp_cli_parse_timeout(optarg, &timeout_s))
				return sp_cli_usage_error("events", "--timeout takes minutes (10) or"
							  " a duration (90s, 2m) up to 24 h");
			break;
		default:
			return sp_cli_usage_error("events", "unknown option or missing value: '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return sp_cli_usage_error("events", "takes no arguments (the environment is --env ENV)");
	sp_client_error_init(&err);
	if (!app) {
		if ((ret = sp_cli_project_open("events", true, &p)))
			goto out;
		ret = SP_EXIT_FAILED;
		if (!(app = sp_project_application(p))) {
			fprintf(stderr, "sprout events: " SP_PROJECT_CONFIG " names no application"
					" (global.application_name)\n");
			goto out;
		}
	} else if ((ret = sp_cli_project_open("events", false, &p))) {
		goto out;
	}
	if ((ret = sp_cli_client_open("events", endpoint, token, p, &c)))
		goto out;
	ret = SP_EXIT_FAILED;

	/* The newest event before listing: following starts after it (or after the newest
	 * listed one), so nothing that happens in between is missed. */
	int64_t since = 0;
	if (follow && sp_client_events_newest_id(c, &since, &err)) {
		ret = sp_cli_api_error("events", c, &err);
		goto out;
	}
	char lim[24];
	snprintf(lim, sizeof(lim), "%llu", (unsigned long long)limit);
	const char *q[] = { "application", app, "environment", env, "version", version,
			    "request_id", request_id, "severity", severity, "limit", lim, NULL };
	if ((rc = sp_buf_puts(&path, "/events")) || (rc = sp_client_path_query(&path, q)))
		goto oom;
	json_t *resp = NULL;
	if ((rc = sp_client_request(c, "GET", sp_buf_cstr(&path), NULL, NULL, &resp, &err))) {
		ret = sp_cli_api_error("events", c, &err);
		if (err.status == 400 && severity)
			fprintf(stderr, "  hint: severities are TRACE, DEBUG, INFO, WARN, ERROR, FATAL\n");
		goto out;
	}
	events = json_incref(json_object_get(resp, "events"));
	json_decref(resp);
	if (!json_is_array(events)) {
		fprintf(stderr, "sprout events: the engine's answer has no event list\n");
		goto out;
	}
	/* The API pages newest first; people read oldest first. */
	size_t n = json_array_size(events);
	json_t *ordered = json_array();
	for (size_t i = n; i-- > 0;) {
		json_t *ev = json_array_get(events, i);
		json_array_append(ordered, ev);
		json_t *id = json_object_get(ev, "id");
		if (json_is_integer(id) && json_integer_value(id) > since)
			since = json_integer_value(id);
	}
	if (json && !follow) {
		json_dumpf(ordered, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		for (size_t i = 0; i < n; i++)
			sp_cli_print_event(json_array_get(ordered, i), stdout, json);
	}
	json_decref(ordered);
	if (!follow) {
		ret = SP_EXIT_OK;
		goto out;
	}

	struct follow_ctx fc = { .c = c, .json = json };
	sp_client_error_init(&fc.err);
	if (version) {
		if ((rc = sp_buf_puts(&vpath, "/applications")) ||
		    (rc = sp_client_path_segment(&vpath, app)) ||
		    (rc = sp_buf_puts(&vpath, "/versions")) ||
		    (rc = sp_client_path_segment(&vpath, version)))
			goto oom;
		fc.version_path = sp_buf_cstr(&vpath);
	}
	struct sp_event_follow f = {
		.application = app, .environment = env, .version = version,
		.request_id = request_id, .severity = severity, .since_id = since,
		.deadline_ms = timeout_s ? sp_client_mono_ms() + timeout_s * 1000 : 0,
		.on_event = on_event, .check = version ? check_version : NULL, .check_first = true,
		.interrupted = interrupted, .arg = &fc,
	};
	enum sp_follow_end end;
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	rc = sp_client_events_follow(c, &f, &end, &err);
	struct timespec zero = { 0, 0 };
	while (interrupted(NULL) && sigtimedwait(&set, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc)
		ret = sp_cli_api_error("events", c, fc.failed ? &fc.err : &err);
	else if (end == SP_FOLLOW_TIMEOUT && version)
		ret = SP_EXIT_TIMEOUT; /* the operation did not end in time */
	else
		ret = SP_EXIT_OK;      /* it ended, or Ctrl-C / --timeout ended a plain follow */
	sp_client_error_free(&fc.err);
	goto out;
oom:
	fprintf(stderr, "sprout events: %s\n", sp_strerror(rc));
	ret = SP_EXIT_FAILED;
out:
	json_decref(events);
	sp_client_error_free(&err);
	sp_buf_free(&path);
	sp_buf_free(&vpath);
	sp_client_free(c);
	sp_project_free(p);
	return ret;
}
