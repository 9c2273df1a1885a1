/* cmd_bundle.c — `sprout bundle create|inspect|extract`: source bundles from the command
 * line (docs/bundles.md). */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundles/bundle.h"
#include "engine/cli/cli.h"
#include "engine/base/banned.h"

enum {
	OPT_MAX_COMPRESSED = 256,
	OPT_MAX_SIZE,
	OPT_MAX_ENTRIES,
	OPT_MAX_PATH,
	OPT_MAX_DEPTH,
	OPT_MAX_RATIO,
	OPT_STAGED,
	OPT_JSON,
};

#define LIMIT_OPTIONS                                                                      \
	{ "max-compressed", required_argument, NULL, OPT_MAX_COMPRESSED },                 \
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },                     \
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },               \
		{ "max-path", required_argument, NULL, OPT_MAX_PATH },                     \
		{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },                   \
		{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO }

/* 1 when opt was a limit option (set in lim), 0 when not one, -1 on a bad number. */
static int limit_option(int opt, const char *arg, struct sp_bundle_limits *lim)
{
	uint64_t v;
	if (opt < OPT_MAX_COMPRESSED || opt > OPT_MAX_RATIO)
		return 0;
	if (sp_parse_u64(arg, &v) != 0 || v == 0)
		return -1;
	switch (opt) {
	case OPT_MAX_COMPRESSED: lim->max_compressed = v; break;
	case OPT_MAX_SIZE: lim->max_uncompressed = v; break;
	case OPT_MAX_ENTRIES: lim->max_entries = v; break;
	case OPT_MAX_PATH: lim->max_path = (size_t)v; break;
	case OPT_MAX_DEPTH: lim->max_depth = (size_t)v; break;
	case OPT_MAX_RATIO: lim->max_ratio = v; break;
	}
	return 1;
}

static void mode_string(const struct sp_bundle_entry *e, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	out[0] = e->type == SP_BUNDLE_DIR ? 'd' : e->type == SP_BUNDLE_SYMLINK ? 'l'
		 : e->type == SP_BUNDLE_HARDLINK ? 'h' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (e->mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

static void print_manifest(const struct sp_bundle *b, const char *name)
{
	const char *sha = sp_bundle_sha256(b);
	printf("bundle        %s\n", name);
	printf("format        %s\n", sp_bundle_format(b));
	if (sha)
		printf("sha256        %s\n", sha);
	if (strcmp(sp_bundle_format(b), "dir") == 0)
		printf("size          %llu bytes\n",
		       (unsigned long long)sp_bundle_uncompressed_size(b));
	else
		printf("size          %llu bytes, %llu unpacked\n",
		       (unsigned long long)sp_bundle_compressed_size(b),
		       (unsigned long long)sp_bundle_uncompressed_size(b));
	printf("entries       %zu\n", sp_bundle_entry_count(b));
	if (sp_bundle_has_dockerrun(b)) {
		const char *v = sp_bundle_dockerrun_version(b);
		printf("dockerrun     Dockerrun.aws.json (AWSEBDockerrunVersion %s)\n",
		       v ? v : "unknown");
	} else {
		printf("dockerrun     none\n");
	}
	printf("compose       %s\n", sp_bundle_has_compose(b) ? "docker-compose.yml" : "none");
	printf("ebextensions  %zu\n", sp_bundle_ebextension_count(b));
	for (size_t i = 0; i < sp_bundle_ebextension_count(b); i++)
		printf("  %s\n", sp_bundle_ebextension_at(b, i));
	printf("hooks         %zu\n", sp_bundle_hook_count(b));
	for (size_t i = 0; i < sp_bundle_hook_count(b); i++) {
		const struct sp_bundle_hook *h = sp_bundle_hook_at(b, i);
		printf("  %-11s %-10s %s%s\n", h->confighook ? "confighook" : "hook", h->stage,
		       h->path, h->executable ? "" : "  (not executable)");
	}
	printf("files\n");
	for (size_t i = 0; i < sp_bundle_entry_count(b); i++) {
		const struct sp_bundle_entry *e = sp_bundle_entry_at(b, i);
		char m[11];
		mode_string(e, m);
		printf("  %s %10llu  %s%s%s%s\n", m, (unsigned long long)e->size, e->path,
		       e->type == SP_BUNDLE_DIR ? "/" : "",
		       e->link_target ? (e->type == SP_BUNDLE_SYMLINK ? " -> " : " => ") : "",
		       e->link_target ? e->link_target : "");
	}
}

static int print_json(const struct sp_bundle *b, const char *name, const struct sp_diags *d)
{
	json_t *o = b ? sp_bundle_to_json(b) : json_object();
	json_t *diags = sp_diags_to_json(d);
	if (!o || !diags) {
		json_decref(o);
		json_decref(diags);
		fprintf(stderr, "sprout bundle: out of memory\n");
		return SP_EXIT_FAILED;
	}
	json_object_set_new(o, "file", json_string(name));
	json_object_set_new(o, "ok", json_boolean(b && sp_diags_errors(d) == 0));
	json_object_set_new(o, "diagnostics", diags);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
	return 0;
}

static int bundle_inspect(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, OPT_JSON },
					      LIMIT_OPTIONS,
					      { NULL, 0, NULL, 0 } };
	struct sp_bundle_limits lim = SP_BUNDLE_LIMITS_DEFAULT;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int l = limit_option(c, optarg, &lim);
		if (l < 0)
			return sp_cli_usage_error("bundle", "--%s needs a positive number",
						  opts[c - OPT_MAX_COMPRESSED + 1].name);
		if (l > 0)
			continue;
		if (c == OPT_JSON)
			json = true;
		else
			return sp_cli_usage_error("bundle", "unknown option");
	}
	if (optind + 1 != argc)
		return sp_cli_usage_error("bundle", "inspect takes one FILE (or folder)");
	const char *path = argv[optind];
	struct sp_diags d;
	struct sp_bundle *b = NULL;
	struct stat st;
	int rc;
	sp_diags_init(&d);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		rc = sp_bundle_scan_dir(path, &lim, &d, &b);
	else
		rc = sp_bundle_open(path, &lim, &d, &b);
	if (json) {
		print_json(rc == 0 ? b : NULL, path, &d);
	} else {
		if (rc == 0)
			print_manifest(b, path);
		sp_cli_print_diags(&d, stderr);
	}
	int exit_code = rc == 0 && sp_diags_errors(&d) == 0 ? SP_EXIT_OK : SP_EXIT_FAILED;
	sp_bundle_free(b);
	sp_diags_free(&d);
	return exit_code;
}

static int bundle_extract(int argc, char **argv)
{
	static const struct option opts[] = { LIMIT_OPTIONS, { NULL, 0, NULL, 0 } };
	struct sp_bundle_limits lim = SP_BUNDLE_LIMITS_DEFAULT;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int l = limit_option(c, optarg, &lim);
		if (l <= 0)
			return sp_cli_usage_error("bundle", l < 0 ? "a limit needs a positive number"
								  : "unknown option");
	}
	if (optind + 2 != argc)
		return sp_cli_usage_error("bundle", "extract takes FILE and a parent FOLDER");
	struct sp_diags d;
	char *dir = NULL;
	sp_diags_init(&d);
	int rc = sp_bundle_extract(argv[optind], argv[optind + 1], &lim, &d, &dir);
	sp_cli_print_diags(&d, stderr);
	if (rc == 0)
		printf("%s\n", dir);
	free(dir);
	sp_diags_free(&d);
	return rc == 0 ? SP_EXIT_OK : SP_EXIT_FAILED;
}

static int bundle_create(int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { "staged", no_argument, NULL, OPT_STAGED },
					      LIMIT_OPTIONS,
					      { NULL, 0, NULL, 0 } };
	struct sp_bundle_limits lim = SP_BUNDLE_LIMITS_DEFAULT;
	struct sp_bundle_create_opts co = { false, &lim };
	const char *out = NULL;
	char *def_out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		int l = limit_option(c, optarg, &lim);
		if (l < 0)
			return sp_cli_usage_error("bundle", "a limit needs a positive number");
		if (l > 0)
			continue;
		if (c == 'o')
			out = optarg;
		else if (c == OPT_STAGED)
			co.staged = true;
		else
			return sp_cli_usage_error("bundle", "unknown option");
	}
	if (optind + 1 < argc)
		return sp_cli_usage_error("bundle", "create takes at most one DIR");
	const char *dir = optind < argc ? argv[optind] : ".";
	if (!out) {
		char *real = realpath(dir, NULL);
		char *base = real ? basename(real) : NULL;
		def_out = sp_aprintf("%s.zip", base && *base && strcmp(base, "/") != 0 ? base
											  : "bundle");
		free(real);
		if (!def_out)
			return SP_EXIT_FAILED;
		out = def_out;
	}
	struct sp_diags d, d2;
	struct sp_bundle *b = NULL;
	enum sp_bundle_source src = SP_BUNDLE_SRC_DIR;
	int exit_code = SP_EXIT_FAILED;
	sp_diags_init(&d);
	sp_diags_init(&d2);
	sp_bundle_source_for(dir, co.staged, &src);
	if (sp_bundle_create(dir, &co, out, &d) != 0) {
		sp_cli_print_diags(&d, stderr);
		goto done;
	}
	if (sp_bundle_open(out, &lim, &d2, &b) == 0) {
		printf("created %s from %s: %zu entries, %llu bytes\nsha256 %s\n", out,
		       sp_bundle_source_name(src), sp_bundle_entry_count(b),
		       (unsigned long long)sp_bundle_compressed_size(b), sp_bundle_sha256(b));
	}
	sp_diags_merge(&d, &d2);
	sp_cli_print_diags(&d, stderr);
	exit_code = b && sp_diags_errors(&d) == 0 ? SP_EXIT_OK : SP_EXIT_FAILED;
done:
	sp_bundle_free(b);
	sp_diags_free(&d);
	sp_diags_free(&d2);
	free(def_out);
	return exit_code;
}

int cmd_bundle(int argc, char **argv)
{
	if (argc < 2)
		return sp_cli_usage_error("bundle", "needs a subcommand: create, inspect, extract");
	const char *sub = argv[1];
	optind = 0;
	if (strcmp(sub, "inspect") == 0)
		return bundle_inspect(argc - 1, argv + 1);
	if (strcmp(sub, "create") == 0)
		return bundle_create(argc - 1, argv + 1);
	if (strcmp(sub, "extract") == 0)
		return bundle_extract(argc - 1, argv + 1);
	return sp_cli_usage_error("bundle", "unknown subcommand '%s' (create, inspect, extract)",
				  sub);
}
