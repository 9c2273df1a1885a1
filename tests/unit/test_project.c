/* test_project.c — project.h: config.yml read and written the EB CLI way (round trips
 * over every real-world file in ../shared/corpus/eb-config), lookups, git, labels. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/base/doc.h"
#include "engine/base/path.h"
#include "engine/project/project.h"
#include "engine/base/banned.h"

/* ---- helpers -------------------------------------------------------------------- */

static const char *corpus_dir(void)
{
	const char *d = getenv("SPROUT_EB_CONFIG_CORPUS");
	return d ? d : "../shared/corpus/eb-config";
}

static json_t *yaml_json(const char *text, size_t n)
{
	struct sp_diags d;
	struct sp_doc *doc = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_doc_load(text, n, "t.yml", SP_DOC_YAML, NULL, &d, &doc), 0);
	json_t *j = sp_node_to_json(sp_doc_root(doc));
	sp_doc_free(doc);
	sp_diags_free(&d);
	return j;
}

static struct sp_project *parse_ok(const char *text)
{
	struct sp_diags d;
	struct sp_project *p = NULL;
	sp_diags_init(&d);
	int rc = sp_project_parse(text, strlen(text), NULL, &d, &p);
	cr_assert_eq(rc, 0, "parse failed: %s", d.n ? d.items[0].message : "?");
	cr_assert_eq(sp_diags_errors(&d), 0);
	sp_diags_free(&d);
	return p;
}

static char *render(const struct sp_project *p)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_project_render(p, &b), 0);
	char *s = sp_strdup(sp_buf_cstr(&b));
	sp_buf_free(&b);
	return s;
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/sprout-test-project-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	return sp_strdup(tmpl);
}

static void write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, n, f), n);
	fclose(f);
}

/* ---- the corpus ----------------------------------------------------------------------- */

/* Every real-world file is read without an error; written back untouched it is the
 * same bytes; with `use` applied, every EB key is what it was and only the branch's
 * environment changed. */
Test(project, corpus_round_trips)
{
	DIR *dir = opendir(corpus_dir());
	cr_assert_not_null(dir, "no corpus at %s (set SPROUT_EB_CONFIG_CORPUS)", corpus_dir());
	struct dirent *e;
	size_t files = 0;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		struct sp_buf path = SP_BUF_INIT(0), text = SP_BUF_INIT(0);
		cr_assert_eq(sp_buf_printf(&path, "%s/%s", corpus_dir(), e->d_name), 0);
		cr_assert_eq(sp_read_file(sp_buf_cstr(&path), MAX_PROJECT_CONFIG, &text), 0);
		struct sp_project *p = parse_ok(sp_buf_cstr(&text));

		char *same = render(p);
		cr_expect_str_eq(same, sp_buf_cstr(&text), "%s is not written back as it was",
				 e->d_name);

		const char *env_path[] = { "branch-defaults", "default", "environment" };
		struct sp_diags d;
		sp_diags_init(&d);
		cr_assert_eq(sp_project_set(p, env_path, 3, "my-new-env", &d), 0, "%s", e->d_name);
		char *changed = render(p);
		json_t *before = yaml_json(sp_buf_cstr(&text), text.len);
		json_t *after = yaml_json(changed, strlen(changed));
		json_t *bd = json_object_get(after, "branch-defaults");
		cr_assert_str_eq(json_string_value(json_object_get(json_object_get(bd, "default"),
								    "environment")), "my-new-env");
		/* put back what was there, and the trees must be equal */
		json_t *orig_bd = json_object_get(before, "branch-defaults");
		json_t *orig_def = json_object_get(orig_bd, "default");
		if (orig_def)
			json_object_set(bd, "default", orig_def);
		else
			json_object_del(bd, "default");
		if (!orig_bd)
			json_object_del(after, "branch-defaults");
		cr_expect(json_equal(before, after), "%s: EB keys changed", e->d_name);

		json_decref(before);
		json_decref(after);
		free(same);
		free(changed);
		sp_diags_free(&d);
		sp_project_free(p);
		sp_buf_free(&path);
		sp_buf_free(&text);
		files++;
	}
	closedir(dir);
	cr_assert_geq(files, 8, "the corpus holds %zu files", files);
}

/* Loading from disk leaves the file as it was (nothing is written by reading). */
Test(project, load_does_not_write)
{
	char *root = make_tmpdir();
	struct sp_buf dir = SP_BUF_INIT(0), file = SP_BUF_INIT(0), after = SP_BUF_INIT(0);
	static const char text[] = "global:\n  application_name: x\n  zzz: 1\n  aaa: 'q'\n# c\n";
	sp_buf_printf(&dir, "%s/.elasticbeanstalk", root);
	sp_buf_printf(&file, "%s/config.yml", sp_buf_cstr(&dir));
	cr_assert_eq(sp_mkdir_p(sp_buf_cstr(&dir), 0755), 0);
	write_file(sp_buf_cstr(&file), text, sizeof(text) - 1);
	struct sp_diags d;
	struct sp_project *p = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_project_load(root, &d, &p), 0);
	cr_assert(sp_project_exists(p));
	cr_assert_str_eq(sp_project_application(p), "x");
	sp_project_free(p);
	cr_assert_eq(sp_read_file(sp_buf_cstr(&file), 4096, &after), 0);
	cr_assert_str_eq(sp_buf_cstr(&after), text);
	sp_rm_rf(root);
	free(root);
	sp_diags_free(&d);
	sp_buf_free(&dir);
	sp_buf_free(&file);
	sp_buf_free(&after);
}

/* ---- lookups and changes -------------------------------------------------------------------- */

Test(project, branch_lookup_falls_back_to_global)
{
	struct sp_project *p = parse_ok("branch-defaults:\n  main:\n    environment: prod\n"
					"  dev:\n    environment: null\n"
					"global:\n  environment: fallback\n  application_name: a\n"
					"  profile: eb-cli\n");
	cr_assert_str_eq(sp_project_branch_get(p, "main", "environment"), "prod");
	cr_assert_str_eq(sp_project_branch_get(p, "dev", "environment"), "fallback");
	cr_assert_str_eq(sp_project_branch_get(p, "other", "profile"), "eb-cli");
	cr_assert_null(sp_project_branch_get(p, "main", "nothing"));
	cr_assert_null(sp_project_endpoint(p));
	cr_assert_null(sp_project_artifact(p));
	sp_project_free(p);
}

Test(project, sprout_keys_and_artifact)
{
	struct sp_project *p = parse_ok("deploy:\n  artifact: build/app.zip\nglobal:\n"
					"  application_name: a\nsprout:\n  endpoint: http://h:1\n");
	cr_assert_str_eq(sp_project_artifact(p), "build/app.zip");
	cr_assert_str_eq(sp_project_endpoint(p), "http://h:1");
	sp_project_free(p);
}

Test(project, new_keys_sorted_and_unknown_kept)
{
	struct sp_project *p = parse_ok("global:\n  application_name: a\n  zebra: [1, 2]\n"
					"unknown-section:\n  x: !Ref thing\n  y: 0o17\n");
	struct sp_diags d;
	sp_diags_init(&d);
	const char *ep[] = { "sprout", "endpoint" }, *sc[] = { "global", "sc" };
	cr_assert_eq(sp_project_set(p, ep, 2, "http://127.0.0.1:4780", &d), 0);
	cr_assert_eq(sp_project_set(p, sc, 2, NULL, &d), 0);
	char *out = render(p);
	cr_assert_str_eq(out, "global:\n  application_name: a\n  sc: null\n  zebra:\n  - 1\n  - 2\n"
			      "sprout:\n  endpoint: http://127.0.0.1:4780\n"
			      "unknown-section:\n  x: !Ref thing\n  y: 0o17\n");
	free(out);
	sp_diags_free(&d);
	sp_project_free(p);
}

/* Strings sprout writes read back as the same strings, whatever YAML 1.1 makes of
 * them when plain. */
Test(project, tricky_strings_read_back_as_strings)
{
	static const char *const values[] = {
		"yes", "No", "on", "OFF", "true", "null", "~", "", "1", "-1", "1.0", "1e3", "0x1f",
		"0o17", "1_000", "12:30", "2024-01-01", "2024-01-01 10:00:00", ".inf", ".NaN",
		"<<", "=", "a: b", "#hash", "- dash", "'quoted'", "\"dq\"", "trailing ", " lead",
		"multi\nline", "[x]", "{y}", "@at", "`tick`", "%pct", "!bang", "&amp", "*star",
		"plain-env", "ünïcode",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct sp_project *p = parse_ok("global:\n  application_name: a\n");
		struct sp_diags d;
		sp_diags_init(&d);
		const char *path[] = { "branch-defaults", values[i], "environment" };
		cr_assert_eq(sp_project_set(p, path, 3, values[i], &d), 0);
		char *out = render(p);
		json_t *j = yaml_json(out, strlen(out));
		json_t *v = json_object_get(json_object_get(json_object_get(j, "branch-defaults"),
							    values[i]), "environment");
		cr_expect(json_is_string(v), "\"%s\" did not read back as a string:\n%s", values[i], out);
		if (json_is_string(v))
			cr_expect_str_eq(json_string_value(v), values[i]);
		json_decref(j);
		free(out);
		sp_diags_free(&d);
		sp_project_free(p);
	}
}

Test(project, set_into_a_non_mapping_is_refused)
{
	struct sp_project *p = parse_ok("branch-defaults: [main]\nglobal:\n  application_name: a\n");
	struct sp_diags d;
	sp_diags_init(&d);
	const char *path[] = { "branch-defaults", "main", "environment" };
	cr_assert_eq(sp_project_set(p, path, 3, "e-1234", &d), SP_EINVAL);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.items[0].code, "PROJECT_CONFIG_INVALID");
	char *out = render(p);
	cr_assert_str_eq(out, "branch-defaults:\n- main\nglobal:\n  application_name: a\n");
	free(out);
	sp_diags_free(&d);
	sp_project_free(p);
}

Test(project, empty_section_becomes_a_mapping)
{
	struct sp_project *p = parse_ok("branch-defaults:\nglobal:\n  application_name: a\n");
	struct sp_diags d;
	sp_diags_init(&d);
	const char *path[] = { "branch-defaults", "main", "environment" };
	cr_assert_eq(sp_project_set(p, path, 3, "prod-env", &d), 0);
	char *out = render(p);
	cr_assert_str_eq(out, "branch-defaults:\n  main:\n    environment: prod-env\n"
			      "global:\n  application_name: a\n");
	free(out);
	sp_diags_free(&d);
	sp_project_free(p);
}

Test(project, root_must_be_a_mapping)
{
	struct sp_diags d;
	struct sp_project *p = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_project_parse("- a\n- b\n", 8, NULL, &d, &p), SP_ERROR);
	cr_assert_null(p);
	cr_assert_str_eq(d.items[0].code, "PROJECT_CONFIG_INVALID");
	cr_assert_eq(d.items[0].line, 1);
	sp_diags_free(&d);
	sp_diags_init(&d);
	cr_assert_eq(sp_project_parse("global: [\n", 10, NULL, &d, &p), SP_ERROR);
	cr_assert_str_eq(d.items[0].code, "DOC_YAML_SYNTAX");
	sp_diags_free(&d);
}

Test(project, empty_file_is_an_empty_project)
{
	struct sp_project *p = parse_ok("");
	char *out = render(p);
	cr_assert_str_eq(out, "{}\n");
	free(out);
	cr_assert_null(sp_project_application(p));
	sp_project_free(p);
}

/* MAX_PROJECT_CONFIG: one byte past it is refused with DOC_TOO_LARGE. */
Test(project, limit_on_file_size)
{
	char *root = make_tmpdir();
	struct sp_buf dir = SP_BUF_INIT(0), file = SP_BUF_INIT(0);
	sp_buf_printf(&dir, "%s/.elasticbeanstalk", root);
	sp_buf_printf(&file, "%s/config.yml", sp_buf_cstr(&dir));
	cr_assert_eq(sp_mkdir_p(sp_buf_cstr(&dir), 0755), 0);
	size_t n = MAX_PROJECT_CONFIG + 1;
	char *big = malloc(n);
	memset(big, '#', n);
	big[n - 1] = '\n';
	write_file(sp_buf_cstr(&file), big, n);
	struct sp_diags d;
	struct sp_project *p = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_project_load(root, &d, &p), SP_ERROR);
	cr_assert_str_eq(d.items[0].code, "DOC_TOO_LARGE");
	sp_diags_free(&d);
	/* exactly at the limit it loads (a comment-only file is an empty project) */
	write_file(sp_buf_cstr(&file), big, n - 1);
	sp_diags_init(&d);
	cr_assert_eq(sp_project_load(root, &d, &p), 0);
	sp_project_free(p);
	sp_diags_free(&d);
	free(big);
	sp_rm_rf(root);
	free(root);
	sp_buf_free(&dir);
	sp_buf_free(&file);
}

Test(project, global_file_is_read_first_and_saved_file_wins)
{
	char *root = make_tmpdir();
	struct sp_buf dir = SP_BUF_INIT(0), f1 = SP_BUF_INIT(0), f2 = SP_BUF_INIT(0),
		      after = SP_BUF_INIT(0);
	sp_buf_printf(&dir, "%s/.elasticbeanstalk", root);
	sp_buf_printf(&f1, "%s/config.yml", sp_buf_cstr(&dir));
	sp_buf_printf(&f2, "%s/config.global.yml", sp_buf_cstr(&dir));
	cr_assert_eq(sp_mkdir_p(sp_buf_cstr(&dir), 0755), 0);
	write_file(sp_buf_cstr(&f2), "global:\n  application_name: g\n  profile: p\n",
		   strlen("global:\n  application_name: g\n  profile: p\n"));
	write_file(sp_buf_cstr(&f1), "global:\n  application_name: local\n",
		   strlen("global:\n  application_name: local\n"));
	struct sp_diags d;
	struct sp_project *p = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_project_load(root, &d, &p), 0);
	const char *prof[] = { "global", "profile" };
	cr_assert_str_eq(sp_project_application(p), "local");
	cr_assert_str_eq(sp_project_get(p, prof, 2), "p");
	const char *ep[] = { "sprout", "endpoint" };
	cr_assert_eq(sp_project_set(p, ep, 2, "http://x:1", &d), 0);
	cr_assert_eq(sp_project_save(p), 0);
	cr_assert_eq(sp_read_file(sp_buf_cstr(&f1), 4096, &after), 0);
	cr_assert_str_eq(sp_buf_cstr(&after),
			 "global:\n  application_name: local\nsprout:\n  endpoint: http://x:1\n");
	struct stat st;
	cr_assert_eq(stat(sp_buf_cstr(&f1), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);
	sp_project_free(p);
	sp_diags_free(&d);
	sp_rm_rf(root);
	free(root);
	sp_buf_free(&dir);
	sp_buf_free(&f1);
	sp_buf_free(&f2);
	sp_buf_free(&after);
}

Test(project, find_walks_up)
{
	char *root = make_tmpdir();
	struct sp_buf sub = SP_BUF_INIT(0), cfg = SP_BUF_INIT(0), found = SP_BUF_INIT(0);
	sp_buf_printf(&sub, "%s/a/b", root);
	sp_buf_printf(&cfg, "%s/.elasticbeanstalk", root);
	cr_assert_eq(sp_mkdir_p(sp_buf_cstr(&sub), 0755), 0);
	cr_assert_eq(sp_project_find(sp_buf_cstr(&sub), &found), SP_ENOTFOUND);
	cr_assert_eq(sp_mkdir_p(sp_buf_cstr(&cfg), 0755), 0);
	sp_buf_puts(&cfg, "/config.yml");
	write_file(sp_buf_cstr(&cfg), "{}\n", 3);
	cr_assert_eq(sp_project_find(sp_buf_cstr(&sub), &found), 0);
	cr_assert_str_eq(sp_buf_cstr(&found), root);
	sp_rm_rf(root);
	free(root);
	sp_buf_free(&sub);
	sp_buf_free(&cfg);
	sp_buf_free(&found);
}

/* ---- git and labels -------------------------------------------------------------------- */

Test(project, labels_like_the_eb_cli)
{
	struct sp_buf b = SP_BUF_INIT(0);
	struct sp_git_info g = { .is_git = true, .describe = (char *)"v1.2-3-gab12" };
	setenv("TZ", "UTC", 1);
	int64_t t = (int64_t)1767225600 * 1000000 + 42; /* 2026-01-01 00:00:00.000042 UTC */
	cr_assert_eq(sp_project_version_label(&g, false, t, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "app-v1_2-3-gab12-260101_000000000042");
	cr_assert_eq(sp_project_version_label(&g, true, t, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "app-v1_2-3-gab12-stage-260101_000000000042");
	cr_assert_eq(sp_project_version_label(NULL, false, t, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "app-260101_000000000042");
	struct sp_git_info nocommit = { .is_git = true };
	cr_assert_eq(sp_project_version_label(&nocommit, false, t, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "app-260101_000000000042");
	sp_buf_free(&b);
}

Test(project, git_outside_a_repository)
{
	char *root = make_tmpdir();
	struct sp_git_info g;
	cr_assert_eq(sp_project_git(root, &g), 0);
	cr_assert_not(g.is_git);
	cr_assert_str_eq(g.branch, "default");
	cr_assert_null(g.describe);
	sp_git_info_free(&g);
	sp_rm_rf(root);
	free(root);
}

Test(project, git_branch_and_describe)
{
	char *root = make_tmpdir();
	struct sp_buf cmd = SP_BUF_INIT(0);
	sp_buf_printf(&cmd, "cd '%s' && git init -q -b feature/x . && echo a > f && git add f &&"
		      " git -c user.email=t@t -c user.name=t commit -qm 'the subject' && echo b > f",
		      root);
	cr_assert_eq(system(sp_buf_cstr(&cmd)), 0);
	struct sp_git_info g;
	cr_assert_eq(sp_project_git(root, &g), 0);
	cr_assert(g.is_git);
	cr_assert_str_eq(g.branch, "feature/x");
	cr_assert_not_null(g.describe);
	cr_assert_geq(strlen(g.describe), 4);
	cr_assert_str_eq(g.subject, "the subject");
	cr_assert(g.dirty);
	sp_git_info_free(&g);
	sp_rm_rf(root);
	free(root);
	sp_buf_free(&cmd);
}
