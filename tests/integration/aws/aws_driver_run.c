/* aws_driver_run.c — drives engine/driver/aws for tests/integration/test_aws_driver.sh.
 *
 *   aws_driver_run apply ENV VERSION TASKDEF.json|- PLAN.json
 *     (PLAN.json: driver.h's plan or `sprout plan --json` output; "-" for TASKDEF takes
 *     the plan's RegisterTaskDefinition request)
 *   aws_driver_run observe ENV | destroy ENV | list | check
 *
 * The endpoint is $SPROUT_AWS_ENDPOINT (one URL for every service, as moto's server is);
 * credentials and region come from the usual AWS variables. Events go to stdout as
 * "event: SEVERITY message", observe/list print JSON, diagnostics go to stderr. Exit 0 on
 * success, 1 on failure. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/buf.h"
#include "engine/driver/aws/aws_driver.h"
#include "engine/base/banned.h"

static void on_event(void *user, const struct sp_driver_event *ev)
{
	(void)user;
	printf("event: %s %s%s%s\n", sp_driver_severity_name(ev->severity), ev->message,
	       ev->instance_id ? " instance=" : "", ev->instance_id ? ev->instance_id : "");
	fflush(stdout);
}

static int read_text(const char *path, char **out)
{
	struct sp_buf b = SP_BUF_INIT(SP_DRIVER_MAX_INPUT);
	size_t n;
	int rc = sp_read_file(path, SP_DRIVER_MAX_INPUT, &b);
	if (!rc)
		rc = sp_buf_detach(&b, out, &n);
	sp_buf_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	struct sp_driver_aws_options o = { 0 };
	struct sp_driver *drv = NULL;
	struct sp_buf msg = SP_BUF_INIT(4096);
	struct sp_diags d;
	char *td = NULL, *plan = NULL;
	json_t *out = NULL;
	int rc = 1;
	if (argc < 2)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sp_diags_init(&d);
	o.aws.endpoint = getenv("SPROUT_AWS_ENDPOINT");
	o.aws.retry_base_ms = 20;
	o.zones = getenv("SPROUT_AWS_ZONES");
	o.image_id = getenv("SPROUT_AWS_IMAGE_ID");
	o.delete_wait_s = 30;
	o.on_event = on_event;
	if (sp_driver_aws_new(&o, &drv, &msg)) {
		fprintf(stderr, "aws_driver_run: %s\n", sp_buf_cstr(&msg));
		goto out;
	}
	const char *cmd = argv[1];
	int r;
	if (!strcmp(cmd, "apply") && argc == 6) {
		if ((strcmp(argv[4], "-") && read_text(argv[4], &td)) || read_text(argv[5], &plan)) {
			fprintf(stderr, "aws_driver_run: cannot read %s or %s\n", argv[4], argv[5]);
			goto out;
		}
		struct sp_driver_spec spec = { argv[2], argv[3], td, plan, NULL, NULL, 0 };
		r = sp_driver_apply(drv, &spec, &d);
	} else if (!strcmp(cmd, "observe") && argc == 3) {
		r = sp_driver_observe(drv, argv[2], &out);
	} else if (!strcmp(cmd, "destroy") && argc == 3) {
		r = sp_driver_destroy(drv, argv[2], &d);
	} else if (!strcmp(cmd, "list") && argc == 2) {
		r = sp_driver_list(drv, &out);
	} else if (!strcmp(cmd, "check") && argc == 2) {
		r = sp_driver_check(drv, &msg);
		if (r)
			fprintf(stderr, "%s\n", sp_buf_cstr(&msg));
	} else {
		fprintf(stderr, "aws_driver_run: bad arguments\n");
		goto out;
	}
	if (out) {
		char *s = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (s)
			printf("%s\n", s);
		free(s);
	}
	if (d.n) {
		struct sp_buf text = SP_BUF_INIT(0);
		sp_diags_render_text(&d, false, &text);
		fprintf(stderr, "%s", sp_buf_cstr(&text));
		sp_buf_free(&text);
	}
	if (r)
		fprintf(stderr, "aws_driver_run: %s: %s\n", cmd, sp_strerror(r));
	rc = r ? 1 : 0;
out:
	json_decref(out);
	free(td);
	free(plan);
	sp_diags_free(&d);
	sp_buf_free(&msg);
	sp_driver_free(drv);
	curl_global_cleanup();
	return rc;
}
