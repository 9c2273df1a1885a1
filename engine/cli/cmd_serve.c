/* cmd_serve.c — `sprout serve`: runs the engine in the foreground until SIGTERM/SIGINT.
 *
 * Signals are blocked before any thread starts (every thread inherits the mask) and
 * taken here with sigwait, so no handler runs inside library code. */
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/api/api.h"
#include "engine/cli/cli.h"
#include "engine/deploy/deploy.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

static void log_stderr(void *arg, const char *line)
{
	char ts[32];
	(void)arg;
	sp_time_iso8601(sp_now_ms(), ts);
	fprintf(stderr, "%s %s\n", ts, line);
}

/* The deployer reports new events through this, which forgets the API before it stops. */
struct notify {
	pthread_mutex_t mu;
	struct sp_api *api;
};

static void deploy_changed(void *arg)
{
	struct notify *n = arg;
	pthread_mutex_lock(&n->mu);
	if (n->api)
		sp_api_events_changed(n->api);
	pthread_mutex_unlock(&n->mu);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "no-access-log", no_argument, NULL, 'q' },
		{ "no-image-checks", no_argument, NULL, 'n' },
		{ "web-dir", required_argument, NULL, 'w' },
		{ "address-pool", required_argument, NULL, 'p' },
		{ "task-subnets", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_opt = NULL, *listen = SP_API_DEFAULT_LISTEN, *web_opt = NULL, *pool = NULL;
	const char *subnets = NULL;
	bool access_log = true, image_checks = true;
	int c;
	while ((c = getopt_long(argc, argv, "d:l:qn", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data_opt = optarg; break;
		case 'l': listen = optarg; break;
		case 'q': access_log = false; break;
		case 'n': image_checks = false; break;
		case 'w': web_opt = optarg; break;
		case 'p': pool = optarg; break;
		case 's': subnets = optarg; break;
		default: return sp_cli_usage_error("serve", "unknown option");
		}
	}
	if (optind < argc)
		return sp_cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	struct sp_buf host = SP_BUF_INIT(256);
	uint16_t port;
	int bad = sp_listen_parse(listen, &host, &port);
	sp_buf_free(&host);
	if (bad)
		return sp_cli_usage_error("serve", "--listen wants ADDR:PORT, e.g. 127.0.0.1:4780");
	struct sp_buf dir = SP_BUF_INIT(4096);
	if (sp_data_dir_resolve(data_opt, &dir)) {
		sp_buf_free(&dir);
		return sp_cli_usage_error("serve", "cannot tell the data directory; use --data-dir");
	}

	/* The console's files: --web-dir, else beside the binary (docs/console.md). */
	struct sp_buf web = SP_BUF_INIT(4096);
	char exe[4096];
	ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[exe_len > 0 ? exe_len : 0] = '\0';
	bool have_web = sp_web_dir_resolve(web_opt, exe_len > 0 ? exe : NULL, &web) == 0;
	if (web_opt && !have_web) {
		sp_buf_free(&web);
		sp_buf_free(&dir);
		return sp_cli_usage_error("serve", "--web-dir %s holds no index.html", web_opt);
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: image checks use libcurl */

	struct sp_api_config cfg = {
		.data_dir = sp_buf_cstr(&dir), .listen = listen, .access_log = access_log,
		.image_checks = image_checks,
		.log = log_stderr, .log_arg = NULL, .web_dir = have_web ? sp_buf_cstr(&web) : NULL,
	};
	struct sp_api *api = NULL;
	int rc = sp_api_start(&cfg, &api);
	if (rc) {
		fprintf(stderr, "sprout serve: cannot start (%s; the line above says why)\n",
			sp_strerror(rc));
		sp_buf_free(&web);
		sp_buf_free(&dir);
		return SP_EXIT_FAILED;
	}
	char line[512];
	snprintf(line, sizeof(line), "sprout %s listening on %s (port %u), data in %s",
		 SPROUT_VERSION, listen, (unsigned)sp_api_port(api), sp_buf_cstr(&dir));
	log_stderr(NULL, line);
	if (have_web)
		snprintf(line, sizeof(line), "console served at / (files in %s)", sp_buf_cstr(&web));
	else
		snprintf(line, sizeof(line), "no console files found; serving the API only"
			 " (--web-dir DIR names them)");
	log_stderr(NULL, line);
	/* Environments: the deployment worker, the reconciler and the drivers. A machine
	 * without Docker or HAProxy still serves the API; the log says what is missing. */
	struct sp_deployer *deployer = NULL;
	struct notify nt = { PTHREAD_MUTEX_INITIALIZER, api };
	char *abs_dir = realpath(sp_buf_cstr(&dir), NULL);
	struct sp_deployer_config dc = {
		.data_dir = abs_dir, .address_pool = pool, .task_subnets = subnets, .log = log_stderr,
		.on_change = deploy_changed, .arg = &nt,
	};
	int drc = abs_dir ? sp_deployer_start(&dc, &deployer) : SP_EIO;
	if (drc) {
		snprintf(line, sizeof(line), "environments are unavailable: the deployment engine"
			 " did not start (%s)", sp_strerror(drc));
		log_stderr(NULL, line);
	} else {
		sp_api_set_deployer(api, deployer);
	}
	free(abs_dir);
	int sig = 0;
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_stderr(NULL, "SIGHUP ignored (the admin token is re-read by itself)");
			continue;
		}
		break;
	}
	snprintf(line, sizeof(line), "%s received; stopping", strsignal(sig));
	log_stderr(NULL, line);
	pthread_mutex_lock(&nt.mu);
	nt.api = NULL;
	pthread_mutex_unlock(&nt.mu);
	sp_api_stop(api);
	sp_deployer_stop(deployer);
	log_stderr(NULL, "stopped");
	sp_buf_free(&web);
	sp_buf_free(&dir);
	return SP_EXIT_OK;
}
