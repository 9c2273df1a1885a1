/* driver_probe.c — a small front end over the local driver for tests/integration/
 * test_local_driver.sh (compiled by that script against build/libsprout.a).
 *
 *   driver_probe --data DIR [--pool FIRST-LAST] CMD ...
 *     check                                     Docker and HAProxy there?
 *     apply ENV VERSION TASKDEF PLAN [SRC_DIR]  then prints the observation
 *     observe ENV                               prints the observation (JSON)
 *     destroy ENV
 *     list
 *     shutdown                                  stops the HAProxy the driver started
 *
 * Events go to stderr as "EVENT <SEVERITY> <instance|-> <message>", followed by the
 * detail lines indented. Exit 0 on success, 1 on failure (diagnostics on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/driver/driver.h"
#include "engine/driver/local/local.h"
#include "engine/base/banned.h"

static void on_event(void *user, const struct sp_driver_event *ev)
{
	(void)user;
	fprintf(stderr, "EVENT %s %s %s\n", sp_driver_severity_name(ev->severity),
		ev->instance_id ? ev->instance_id : "-", ev->message);
	if (ev->detail && *ev->detail) {
		const char *p = ev->detail;
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			fprintf(stderr, "    | %.*s\n", (int)n, p);
			p += n + (nl ? 1 : 0);
		}
	}
	fflush(stderr);
}

static char *slurp(const char *path)
{
	struct sp_buf b = SP_BUF_INIT(SP_DRIVER_MAX_INPUT + 1);
	char *s = NULL;
	size_t n;
	if (sp_read_file(path, SP_DRIVER_MAX_INPUT + 1, &b) == 0)
		sp_buf_detach(&b, &s, &n);
	sp_buf_free(&b);
	return s;
}

static int print_diags(const struct sp_diags *d)
{
	struct sp_buf t = SP_BUF_INIT(0);
	sp_diags_render_text(d, false, &t);
	fputs(sp_buf_cstr(&t), stderr);
	sp_buf_free(&t);
	return 0;
}

static int observe(struct sp_driver *drv, const char *env)
{
	json_t *o = NULL;
	int rc = sp_driver_observe(drv, env, &o);
	if (rc) {
		fprintf(stderr, "observe: %s\n", sp_strerror(rc));
		return 1;
	}
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	puts(s ? s : "null");
	free(s);
	json_decref(o);
	return 0;
}

int main(int argc, char **argv)
{
	struct sp_driver_local_options o = { 0 };
	struct sp_driver *drv = NULL;
	struct sp_diags d;
	int i = 1, rc = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--data"))
			o.data_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--pool"))
			o.address_pool = argv[i + 1];
		else if (!strcmp(argv[i], "--task-subnets"))
			o.task_subnets = argv[i + 1];
		else if (!strcmp(argv[i], "--socket"))
			o.docker_socket = argv[i + 1];
		else
			break;
	}
	if (i >= argc || !o.data_dir) {
		fprintf(stderr, "usage: driver_probe --data DIR [--pool A-B] [--task-subnets CIDR] CMD ...\n");
		return 2;
	}
	o.on_event = on_event;
	sp_diags_init(&d);
	int r = sp_driver_local_new(&o, &drv);
	if (r) {
		fprintf(stderr, "driver: %s\n", sp_strerror(r));
		return 1;
	}
	const char *cmd = argv[i++];
	if (!strcmp(cmd, "check")) {
		struct sp_buf msg = SP_BUF_INIT(0);
		r = sp_driver_check(drv, &msg);
		if (r)
			fprintf(stderr, "%s\n", sp_buf_cstr(&msg));
		rc = r ? 1 : 0;
		sp_buf_free(&msg);
	} else if (!strcmp(cmd, "apply") && argc - i >= 4) {
		char *td = slurp(argv[i + 2]), *plan = slurp(argv[i + 3]);
		struct sp_driver_spec spec = { argv[i], argv[i + 1], td, plan,
					       argc - i >= 5 ? argv[i + 4] : NULL, NULL, 0 };
		r = sp_driver_apply(drv, &spec, &d);
		print_diags(&d);
		if (r)
			fprintf(stderr, "apply: %s\n", sp_strerror(r));
		rc = observe(drv, argv[i]) || r ? 1 : 0;
		free(td);
		free(plan);
	} else if (!strcmp(cmd, "observe") && argc - i >= 1) {
		rc = observe(drv, argv[i]);
	} else if (!strcmp(cmd, "destroy") && argc - i >= 1) {
		r = sp_driver_destroy(drv, argv[i], &d);
		print_diags(&d);
		rc = r ? 1 : 0;
	} else if (!strcmp(cmd, "list")) {
		json_t *l = NULL;
		r = sp_driver_list(drv, &l);
		char *s = r ? NULL : json_dumps(l, JSON_COMPACT);
		puts(s ? s : "[]");
		free(s);
		json_decref(l);
		rc = r ? 1 : 0;
	} else if (!strcmp(cmd, "shutdown")) {
		rc = sp_driver_shutdown(drv) ? 1 : 0;
	} else {
		fprintf(stderr, "driver_probe: unknown command or missing arguments: %s\n", cmd);
		rc = 2;
	}
	sp_diags_free(&d);
	sp_driver_free(drv);
	return rc;
}
