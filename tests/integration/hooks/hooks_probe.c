/* hooks_probe.c — a small front end over platform-hooks/ and engine/hooks/ for
 * tests/integration/test_hooks.sh (compiled by that script against build/libsprout.a),
 * since deployments call the runner in a later step.
 *
 *   hooks_probe [--socket PATH] --image REF [--timeout S] [--prop NAME=VALUE]...
 *               [--leader N] [--phase before|after|all] BUNDLE_DIR ROOT...
 *
 * Builds the hook plan of BUNDLE_DIR and runs it on every ROOT (an instance root whose
 * var/app/staging holds the bundle): the steps before the deployment on each instance,
 * then the "deployment" (var/app/staging becomes var/app/current and "deploy" is
 * appended to var/app/current/order.log), then postdeploy. Instance N (0-based, default
 * 0) is the leader. Prints one line per step: "<root index> <outcome>: <message>"; on a
 * failure "FAILED <root index>: <message>" and the last output lines, each "| line",
 * and exits 1. Exit 2 on usage errors or when the plan has errors (printed). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/diag.h"
#include "engine/base/path.h"
#include "engine/hooks/hooks.h"
#include "engine/base/banned.h"

#define PROBE_MAX_PROPS 32

static int print_result(size_t idx, const struct sp_hooks_report *r)
{
	for (size_t i = 0; i < sp_hooks_report_count(r); i++) {
		const struct sp_hook_step_result *s = sp_hooks_report_at(r, i);
		printf("%zu %s: %s\n", idx, sp_hook_outcome_name(s->outcome), s->message);
	}
	const struct sp_hook_step_result *f = sp_hooks_report_failure(r);
	if (!f)
		return 0;
	struct sp_buf tail = SP_BUF_INIT(0);
	printf("FAILED %zu: %s\n", idx, f->message);
	sp_hooks_output_tail(f, MAX_HOOK_TAIL_LINES, &tail);
	const char *p = sp_buf_cstr(&tail);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("| %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
	sp_buf_free(&tail);
	return 1;
}

/* What the deployment of the task does to the folders (the local driver's swap). */
static int swap_in(const char *root)
{
	char staging[2048], current[2048], log[2048];
	snprintf(staging, sizeof(staging), "%s/var/app/staging", root);
	snprintf(current, sizeof(current), "%s/var/app/current", root);
	if (sp_rm_rf(current) != 0 || rename(staging, current) != 0 ||
	    sp_mkdir_p(staging, 0755) != 0) {
		fprintf(stderr, "hooks_probe: cannot swap %s into %s: %s\n", staging, current,
			strerror(errno));
		return 1;
	}
	snprintf(log, sizeof(log), "%s/var/app/current/order.log", root);
	FILE *f = fopen(log, "a");
	if (!f)
		return 1;
	fputs("deploy\n", f);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' }, { "image", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' }, { "prop", required_argument, NULL, 'p' },
		{ "leader", required_argument, NULL, 'l' },  { "phase", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket = NULL, *image = NULL, *phase = "all";
	const char *props[PROBE_MAX_PROPS];
	size_t n_props = 0;
	int64_t timeout = 0, leader = 0;
	int ch, rc = 2;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': socket = optarg; break;
		case 'i': image = optarg; break;
		case 't': if (sp_parse_i64(optarg, &timeout) != 0) return 2; break;
		case 'l': if (sp_parse_i64(optarg, &leader) != 0) return 2; break;
		case 'P': phase = optarg; break;
		case 'p':
			if (n_props == PROBE_MAX_PROPS)
				return 2;
			props[n_props++] = optarg;
			break;
		default: return 2;
		}
	}
	if (!image || argc - optind < 2) {
		fprintf(stderr, "usage: hooks_probe --image REF [options] BUNDLE_DIR ROOT...\n");
		return 2;
	}
	const char *bundle = argv[optind];
	char **roots = argv + optind + 1;
	size_t n_roots = (size_t)(argc - optind - 1);

	struct sp_diags d;
	struct sp_hook_plan *plan = NULL;
	struct sp_hooks_executor *ex = NULL;
	struct sp_buf text = SP_BUF_INIT(0);
	sp_diags_init(&d);
	int prc = sp_hooks_plan_for_bundle(bundle, NULL, "", SP_HOOK_APP_DEPLOYMENT, &d, &plan);
	sp_diags_sort(&d);
	for (size_t i = 0; i < d.n; i++) {
		const struct sp_diag *g = &d.items[i];
		fprintf(stderr, "%s:%d:%d: %s[%s]: %s\n", g->file ? g->file : "", g->line, g->column,
			g->severity == SP_SEV_ERROR ? "error" : g->severity == SP_SEV_WARNING ? "warning" : "note",
			g->code, g->message);
	}
	if (prc != 0 || sp_diags_errors(&d)) {
		/* BUNDLE_NO_DOCKERRUN and the like are the validator's business; only the
		 * plan's own errors stop the probe */
		bool plan_errors = prc != 0;
		for (size_t i = 0; i < d.n; i++)
			plan_errors |= d.items[i].severity == SP_SEV_ERROR &&
				       strncmp(d.items[i].code, "BUNDLE_", 7) != 0;
		if (plan_errors)
			goto out;
	}
	struct sp_hooks_docker_options dopt = { .socket = socket, .owner = "sprout-hooks-test" };
	if (sp_hooks_docker_executor_new(&dopt, &ex) != 0) {
		fprintf(stderr, "hooks_probe: cannot open the Docker client\n");
		goto out;
	}
	struct sp_hooks_run_options o = {
		.exec = ex,
		.image = image,
		.timeout_s = (long)timeout,
		.properties = props,
		.n_properties = n_props,
	};
	rc = 0;
	bool before = strcmp(phase, "before") == 0 || strcmp(phase, "all") == 0;
	bool after = strcmp(phase, "after") == 0 || strcmp(phase, "all") == 0;
	for (size_t i = 0; before && i < n_roots && rc == 0; i++) {
		char id[32];
		snprintf(id, sizeof(id), "i-%017zx", i + 1);
		struct sp_hooks_instance inst = { id, roots[i], (int64_t)i == leader };
		struct sp_hooks_report *r = NULL;
		if (sp_hooks_run(plan, SP_HOOKS_BEFORE_DEPLOY, &inst, &o, &r) != 0) {
			fprintf(stderr, "hooks_probe: the run could not start\n");
			rc = 2;
			break;
		}
		rc = print_result(i, r);
		sp_hooks_report_free(r);
	}
	for (size_t i = 0; strcmp(phase, "all") == 0 && i < n_roots && rc == 0; i++)
		rc = swap_in(roots[i]);
	for (size_t i = 0; after && i < n_roots && rc == 0; i++) {
		char id[32];
		snprintf(id, sizeof(id), "i-%017zx", i + 1);
		struct sp_hooks_instance inst = { id, roots[i], (int64_t)i == leader };
		struct sp_hooks_report *r = NULL;
		if (sp_hooks_run(plan, SP_HOOKS_AFTER_DEPLOY, &inst, &o, &r) != 0) {
			rc = 2;
			break;
		}
		rc = print_result(i, r);
		sp_hooks_report_free(r);
	}
out:
	fflush(stdout);
	sp_hooks_docker_executor_free(ex);
	sp_hook_plan_free(plan);
	sp_diags_free(&d);
	sp_buf_free(&text);
	return rc;
}
