/* cmd_validate.c — `sprout validate [BUNDLE|DIR|FILE] [--json] [--strict]
 * [--saved-config NAME|FILE]`: every offline check (engine/validate), printed like a
 * compiler or as JSON; a saved configuration is checked with the bundle's options. Exit 0 without errors,
 * 1 with errors, 2 on usage errors. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/cli/cli.h"
#include "engine/validate/validate.h"
/* --- image checks (issue 6): includes --- */
#include "engine/base/doc.h"
#include "engine/plan/plan.h"
#include "engine/registry/registry.h"
#include "engine/store/store.h"
/* --- end image checks --- */
#include "engine/base/banned.h"

/* --- image checks (issue 6, engine/registry; docs/registry.md) ---------------------
 * `--check-images` asks each image's registry whether it exists, after the offline
 * checks passed. --registry-ca FILE, --registry-timeout SECONDS, --data-dir DIR (the
 * bucket store holding `authentication` objects). --strict makes "could not check" an
 * error, as sprout:images StrictImageChecks does. */
struct image_check_opts {
	bool enabled;
	const char *ca_file;
	long timeout_ms;
	const char *data_dir;
};

static int image_check_option(int ch, struct image_check_opts *ic)
{
	switch (ch) {
	case 'I': ic->enabled = true; return 0;
	case 'C': ic->ca_file = optarg; return 0;
	case 'D': ic->data_dir = optarg; return 0;
	case 'T': {
		int64_t secs;
		if (sp_parse_i64(optarg, &secs) != 0 || secs < 1 || secs > 600)
			return -1;
		ic->timeout_ms = (long)secs * 1000;
		return 0;
	}
	}
	return 1; /* not an image-check option */
}

static int run_image_checks(const char *path, const struct sp_validation *v,
			    const struct image_check_opts *ic, bool strict, struct sp_diags *d)
{
	struct sp_registry_options ro = { .connect_timeout_ms = ic->timeout_ms,
					  .total_timeout_ms = ic->timeout_ms,
					  .ca_file = ic->ca_file, .strict = strict };
	struct sp_registry *reg = NULL;
	struct sp_buf dir = SP_BUF_INIT(4096), file = SP_BUF_INIT(4096);
	struct sp_doc *doc = NULL;
	struct sp_diags scratch;
	struct stat st;
	int rc;

	sp_diags_init(&scratch);
	/* the name validate gives Dockerrun.aws.json, and the parsed file for positions */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (strcmp(path, ".") == 0)
			rc = sp_buf_puts(&file, SP_DOCKERRUN_FILE);
		else
			rc = sp_buf_printf(&file, "%s%s" SP_DOCKERRUN_FILE, path,
					   path[strlen(path) - 1] == '/' ? "" : "/");
	} else {
		rc = sp_buf_puts(&file, path);
	}
	if (rc == 0 && sp_doc_load_file(sp_buf_cstr(&file), NULL, SP_DOC_JSON, NULL, &scratch,
					&doc) != 0)
		doc = NULL; /* a bundle file: no positions, JSON paths only */
	if (rc == 0 && sp_data_dir_resolve(ic->data_dir, &dir) != 0)
		sp_buf_reset(&dir);
	rc = rc ? rc : sp_registry_new(&ro, &reg);
	if (rc == 0)
		rc = sp_registry_check_dockerrun(reg, v->dockerrun, sp_buf_cstr(&file), doc,
						 dir.len ? sp_buf_cstr(&dir) : NULL,
						 v->plan && v->plan->sprout.strict_image_checks, d);
	sp_registry_free(reg);
	sp_doc_free(doc);
	sp_diags_free(&scratch);
	sp_buf_free(&dir);
	sp_buf_free(&file);
	if (rc == 0) {
		if (strict)
			sp_diags_promote_warnings(d);
		sp_diags_sort(d);
	}
	return rc;
}
/* --- end image checks ------------------------------------------------------------- */

int cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 's' },
		/* image checks (issue 6) */
		{ "check-images", no_argument, NULL, 'I' },
		{ "registry-ca", required_argument, NULL, 'C' },
		{ "registry-timeout", required_argument, NULL, 'T' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "saved-config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct sp_validate_options opts = { 0 };
	bool json = false;
	const char *saved = NULL;
	struct image_check_opts ic = { 0 }; /* image checks (issue 6) */
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int icr = image_check_option(ch, &ic); /* image checks (issue 6) */
		if (icr < 0)
			return sp_cli_usage_error("validate", "--registry-timeout takes 1 to 600 seconds");
		if (icr == 0)
			continue;
		switch (ch) {
		case 'j': json = true; break;
		case 's': opts.strict = true; break;
		case 'c': saved = optarg; break;
		default: return sp_cli_usage_error("validate", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return sp_cli_usage_error("validate", "takes one BUNDLE, DIR or FILE");
	const char *path = optind < argc ? argv[optind] : ".";
	struct sp_buf saved_path = SP_BUF_INIT(0);
	if (saved && sp_cli_saved_config_path(path, saved, &saved_path) != SP_EXIT_OK) {
		sp_buf_free(&saved_path);
		return SP_EXIT_USAGE;
	}
	opts.saved_config = saved ? sp_buf_cstr(&saved_path) : NULL;

	struct sp_diags d;
	struct sp_validation *v = NULL;
	sp_diags_init(&d);
	int rc = sp_validate(path, &opts, &d, &v);
	if (rc == 0 && ic.enabled && v && v->dockerrun) /* image checks (issue 6) */
		rc = run_image_checks(path, v, &ic, opts.strict, &d);
	sp_validation_free(v);
	sp_buf_free(&saved_path);
	if (rc == SP_ENOMEM) {
		fprintf(stderr, "sprout validate: out of memory\n");
		sp_diags_free(&d);
		return SP_EXIT_FAILED;
	}
	size_t errors = sp_diags_errors(&d), warnings = sp_diags_warnings(&d);
	if (json) {
		json_t *out = json_pack("{s:s,s:b,s:I,s:I,s:o}", "path", path, "valid", errors == 0,
					"errors", (json_int_t)errors, "warnings", (json_int_t)warnings,
					"diagnostics", sp_diags_to_json(&d));
		if (out)
			json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(out);
	} else {
		sp_cli_print_diags(&d, stderr);
		if (errors)
			printf("%s: invalid: %zu error%s, %zu warning%s\n", path, errors, errors == 1 ? "" : "s",
			       warnings, warnings == 1 ? "" : "s");
		else
			printf("%s: valid (%zu warning%s)\n", path, warnings, warnings == 1 ? "" : "s");
	}
	sp_diags_free(&d);
	return errors ? SP_EXIT_FAILED : SP_EXIT_OK;
}
