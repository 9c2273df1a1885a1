/* test_gitrepo.c — gitrepo.h: branch names, git's hook input, labels, sprout.json and
 * its mappings, enabling a repository, and a pushed commit's bundle built and named as
 * `sprout validate` names it (with a real git). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/base/path.h"
#include "engine/gitrepo/gitrepo.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

#define Z40 "0000000000000000000000000000000000000000"
#define A40 "1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5"
#define B40 "ffffffffffffffffffffffffffffffffffffffff"

static char *tmpdir(void)
{
	char *p = sp_strdup("/tmp/sprout-test-gitrepo-XXXXXX");
	cr_assert(p && mkdtemp(p));
	return p;
}

static void sh(const char *fmt, const char *arg)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_buf_printf(&b, fmt, arg, arg, arg), 0);
	cr_assert_eq(system(sp_buf_cstr(&b)), 0, "failed: %s", sp_buf_cstr(&b));
	sp_buf_free(&b);
}

Test(gitrepo, branch_names_follow_check_ref_format)
{
	const char *good[] = { "main", "feature/x", "release-1.2", "a_b", "déjà-vu" };
	const char *bad[] = { "", "-x", "/a", "a/", "a..b", "a b", "a:b", "a~1", "a^", "a?",
			      "a*", "a[", "a\\b", "x.lock", "a/x.lock/b", ".hidden", "a/.b",
			      "a//b", "a@{1}", "@", "HEAD", "end.", "tab\tx" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_null(sp_git_branch_problem(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_not_null(sp_git_branch_problem(bad[i]), "%s", bad[i]);
	char longname[MAX_GIT_BRANCH_NAME + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_expect_not_null(sp_git_branch_problem(longname));
	longname[MAX_GIT_BRANCH_NAME] = '\0';
	cr_expect_null(sp_git_branch_problem(longname));
}

Test(gitrepo, parses_hook_input)
{
	const char *in = Z40 " " A40 " refs/heads/main\n"
			 A40 " " B40 " refs/heads/feature/x\r\n"
			 A40 " " Z40 " refs/heads/old\n"
			 Z40 " " A40 " refs/tags/v1\n";
	struct sp_ref_update *u = NULL;
	size_t n = 0;
	cr_assert_eq(sp_gitrepo_parse_updates(in, strlen(in), &u, &n), 0);
	cr_assert_eq(n, 4);
	cr_expect_eq(u[0].kind, SP_REF_CREATE);
	cr_expect_str_eq(u[0].branch, "main");
	cr_expect_str_eq(u[0].new_sha, A40);
	cr_expect_eq(u[1].kind, SP_REF_UPDATE);
	cr_expect_str_eq(u[1].branch, "feature/x");
	cr_expect_eq(u[2].kind, SP_REF_DELETE);
	cr_expect_null(u[3].branch);
	cr_expect_str_eq(u[3].ref, "refs/tags/v1");
	sp_ref_updates_free(u, n);
}

Test(gitrepo, refuses_malformed_hook_input)
{
	const char *bad[] = { "x y z\n", Z40 " " A40 "\n", Z40 " " A40 " \n",
			      "0000 " A40 " refs/heads/a\n", Z40 " " A40 "refs/heads/a\n",
			      Z40 " GGGG refs/heads/a\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sp_ref_update *u = NULL;
		size_t n = 0;
		cr_expect_eq(sp_gitrepo_parse_updates(bad[i], strlen(bad[i]), &u, &n), SP_EINVAL,
			     "%s", bad[i]);
	}
}

Test(gitrepo, hook_input_limits)
{
	struct sp_buf b = SP_BUF_INIT(0);
	for (int i = 0; i <= MAX_GIT_REF_UPDATES; i++)
		cr_assert_eq(sp_buf_printf(&b, Z40 " " A40 " refs/heads/b%d\n", i), 0);
	struct sp_ref_update *u = NULL;
	size_t n = 0;
	cr_expect_eq(sp_gitrepo_parse_updates(b.data, b.len, &u, &n), SP_ETOOBIG);
	cr_expect_eq(sp_gitrepo_parse_updates(b.data, MAX_GIT_HOOK_INPUT + 1, &u, &n), SP_ETOOBIG);
	sp_buf_free(&b);
}

Test(gitrepo, version_labels)
{
	struct sp_buf l = SP_BUF_INIT(0);
	cr_assert_eq(sp_gitrepo_version_label("main", A40, 0, &l), 0);
	cr_expect_str_eq(sp_buf_cstr(&l), "main-1a2b3c4");
	cr_assert_eq(sp_gitrepo_version_label("feature/x", A40, 0, &l), 0);
	cr_expect_str_eq(sp_buf_cstr(&l), "feature-x-1a2b3c4");
	/* 2026-01-31T12:34:56Z */
	cr_assert_eq(sp_gitrepo_version_label("main", A40, 1769862896000LL, &l), 0);
	cr_expect_str_eq(sp_buf_cstr(&l), "main-1a2b3c4-260131_123456");
	char longb[300];
	memset(longb, 'b', sizeof(longb) - 1);
	longb[sizeof(longb) - 1] = '\0';
	cr_assert_eq(sp_gitrepo_version_label(longb, A40, 1769862896000LL, &l), 0);
	cr_expect_null(sp_name_problem(sp_buf_cstr(&l), SP_MAX_LABEL));
	cr_expect_eq(strlen(sp_buf_cstr(&l)), SP_MAX_LABEL);
	cr_expect_eq(sp_gitrepo_version_label("main", "abc", 0, &l), SP_EINVAL);
	sp_buf_free(&l);
}

Test(gitrepo, diagnostics_named_for_the_pusher)
{
	struct sp_diags d;
	sp_diags_init(&d);
	sp_diag_add(&d, SP_SEV_ERROR, "X", (struct sp_loc){ "/tmp/w/bundle.zip/Dockerrun.aws.json", 3, 4, "" },
		    NULL, "m");
	sp_diag_add(&d, SP_SEV_ERROR, "Y", (struct sp_loc){ "/tmp/w/bundle.zip", 0, 0, "" }, NULL, "m");
	sp_diag_add(&d, SP_SEV_ERROR, "Z", (struct sp_loc){ "/tmp/w/bundle.zipper", 0, 0, "" }, NULL, "m");
	cr_assert_eq(sp_gitrepo_diags_rename(&d, "/tmp/w/bundle.zip", "main@1a2b3c4"), 0);
	cr_expect_str_eq(d.items[0].file, "Dockerrun.aws.json");
	cr_expect_str_eq(d.items[1].file, "main@1a2b3c4");
	cr_expect_str_eq(d.items[2].file, "/tmp/w/bundle.zipper");
	sp_diags_free(&d);
}

Test(gitrepo, paths)
{
	struct sp_buf p = SP_BUF_INIT(0);
	cr_assert_eq(sp_gitrepo_path("/data", "shop", &p), 0);
	cr_expect_str_eq(sp_buf_cstr(&p), "/data/git/shop.git");
	cr_expect_eq(sp_gitrepo_path("/data", "../x", &p), SP_EINVAL);
	sp_buf_free(&p);
}

Test(gitrepo, hook_templates_are_found_from_the_source_tree)
{
	struct sp_buf p = SP_BUF_INIT(0);
	char cwd[4096], exe[4200];
	cr_assert(getcwd(cwd, sizeof(cwd)));
	snprintf(exe, sizeof(exe), "%s/build/sprout", cwd);
	cr_assert_eq(sp_gitrepo_hooks_dir_resolve(exe, &p), 0);
	cr_expect(strstr(sp_buf_cstr(&p), "platform-hooks/git") != NULL);
	cr_expect_eq(sp_gitrepo_hooks_dir_resolve("/nonexistent/bin/sprout", &p) == 0,
		     access(SPROUT_PREFIX "/share/sprout/platform-hooks/git/pre-receive", F_OK) == 0);
	sp_buf_free(&p);
}

static void enable_in(const char *dir, struct sp_buf *repo)
{
	struct sp_buf hooks = SP_BUF_INIT(0), msg = SP_BUF_INIT(0);
	char cwd[4096];
	bool created = false;
	cr_assert(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(sp_buf_printf(&hooks, "%s/platform-hooks/git", cwd), 0);
	cr_assert_eq(sp_gitrepo_path(dir, "shop", repo), 0);
	struct sp_gitrepo_setup s = { .repo = sp_buf_cstr(repo), .application = "shop",
				      .endpoint = "http://127.0.0.1:1", .data_dir = dir,
				      .sprout_bin = "/opt/it's/sprout", .hooks_dir = sp_buf_cstr(&hooks) };
	cr_assert_eq(sp_gitrepo_enable(&s, &created, &msg), 0, "%s", sp_buf_cstr(&msg));
	cr_expect(created);
	cr_assert_eq(sp_gitrepo_enable(&s, &created, &msg), 0, "%s", sp_buf_cstr(&msg));
	cr_expect(!created);
	sp_buf_free(&hooks);
	sp_buf_free(&msg);
}

Test(gitrepo, enable_maps_and_reads_back)
{
	char *dir = tmpdir();
	struct sp_buf repo = SP_BUF_INIT(0), f = SP_BUF_INIT(0), p = SP_BUF_INIT(0);
	struct sp_gitrepo_conf c = { 0 };
	struct stat sb;
	enable_in(dir, &repo);
	/* hooks: executable, the binary filled in and quoted for sh */
	cr_assert_eq(sp_buf_printf(&p, "%s/hooks/pre-receive", sp_buf_cstr(&repo)), 0);
	cr_assert_eq(stat(sp_buf_cstr(&p), &sb), 0);
	cr_expect(sb.st_mode & 0100);
	cr_assert_eq(sp_read_file(sp_buf_cstr(&p), 1 << 20, &f), 0);
	cr_expect(strstr(sp_buf_cstr(&f), "SPROUT='/opt/it'\\''s/sprout'") != NULL);
	cr_expect(strstr(sp_buf_cstr(&f), "git pre-receive") != NULL);
	/* sprout.json is 0600 */
	sp_buf_reset(&p);
	cr_assert_eq(sp_buf_printf(&p, "%s/" SP_GITREPO_CONF, sp_buf_cstr(&repo)), 0);
	cr_assert_eq(stat(sp_buf_cstr(&p), &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0600);
	/* mappings */
	cr_assert_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "main", "shop-prod"), 0);
	cr_assert_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "feature/x", "shop-dev"), 0);
	cr_assert_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "main", "shop-live"), 0);
	cr_expect_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "gone", NULL), SP_ENOTFOUND);
	cr_expect_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "a..b", "x"), SP_EINVAL);
	cr_assert_eq(sp_gitrepo_conf_load(sp_buf_cstr(&repo), &c), 0);
	cr_expect_str_eq(c.application, "shop");
	cr_expect_str_eq(c.endpoint, "http://127.0.0.1:1");
	cr_expect_eq(c.n_maps, 2);
	cr_expect_str_eq(c.maps[0].branch, "feature/x");
	cr_expect_str_eq(sp_gitrepo_conf_branch(&c, "main"), "shop-live");
	cr_expect_null(sp_gitrepo_conf_branch(&c, "other"));
	sp_gitrepo_conf_free(&c);
	/* enabling again keeps the mappings */
	{
		struct sp_buf hooks = SP_BUF_INIT(0), msg = SP_BUF_INIT(0);
		char cwd[4096];
		bool created = true;
		cr_assert(getcwd(cwd, sizeof(cwd)));
		cr_assert_eq(sp_buf_printf(&hooks, "%s/platform-hooks/git", cwd), 0);
		struct sp_gitrepo_setup s = { .repo = sp_buf_cstr(&repo), .application = "shop",
					      .endpoint = "http://127.0.0.1:2", .data_dir = dir,
					      .sprout_bin = "/x", .hooks_dir = sp_buf_cstr(&hooks) };
		cr_assert_eq(sp_gitrepo_enable(&s, &created, &msg), 0);
		cr_expect(!created);
		cr_assert_eq(sp_gitrepo_conf_load(sp_buf_cstr(&repo), &c), 0);
		cr_expect_eq(c.n_maps, 2);
		cr_expect_str_eq(c.endpoint, "http://127.0.0.1:2");
		sp_gitrepo_conf_free(&c);
		sp_buf_free(&hooks);
		sp_buf_free(&msg);
	}
	cr_assert_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "feature/x", NULL), 0);
	cr_assert_eq(sp_gitrepo_conf_load(sp_buf_cstr(&repo), &c), 0);
	cr_expect_eq(c.n_maps, 1);
	sp_gitrepo_conf_free(&c);
	/* not enabled */
	cr_expect_eq(sp_gitrepo_conf_load("/nonexistent/x.git", &c), SP_ENOTFOUND);
	cr_expect_eq(sp_gitrepo_set_branch("/nonexistent/x.git", "main", "e"), SP_ENOTFOUND);
	sp_rm_rf(dir);
	free(dir);
	sp_buf_free(&repo);
	sp_buf_free(&f);
	sp_buf_free(&p);
}

Test(gitrepo, mappings_are_capped)
{
	char *dir = tmpdir();
	struct sp_buf repo = SP_BUF_INIT(0);
	char b[32];
	enable_in(dir, &repo);
	for (int i = 0; i < MAX_GIT_BRANCH_MAPS; i++) {
		snprintf(b, sizeof(b), "b%d", i);
		cr_assert_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), b, "env1"), 0);
	}
	cr_expect_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "one-more", "env1"), SP_ETOOBIG);
	cr_expect_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "b0", "env2"), 0);
	sp_rm_rf(dir);
	free(dir);
	sp_buf_free(&repo);
}

/* A work tree with the sample app and a config.yml, pushed into the bare repository. */
static void push_sample(const char *dir, const char *repo, struct sp_buf *sha)
{
	struct sp_buf cmd = SP_BUF_INIT(0);
	char cwd[4096];
	cr_assert(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(sp_buf_printf(&cmd,
		"set -e; w=%s/work; mkdir -p $w; cp -R %s/examples/sample-app/. $w/; cd $w;"
		" mkdir -p .elasticbeanstalk; printf 'branch-defaults:\\n  main:\\n"
		"    environment: shop-prod\\n' > .elasticbeanstalk/config.yml;"
		" git init -q -b main .; git add -A;"
		" git -c user.email=t@t -c user.name=t commit -qm 'the sample app';"
		" git push -q %s main 2>/dev/null", dir, cwd, repo), 0);
	cr_assert_eq(system(sp_buf_cstr(&cmd)), 0);
	const char *args[] = { "rev-parse", "main", NULL };
	cr_assert_eq(sp_gitrepo_git(repo, args, sha, NULL), 0);
	sp_buf_free(&cmd);
}

Test(gitrepo, builds_the_pushed_bundle_and_finds_its_environment)
{
	char *dir = tmpdir();
	struct sp_buf repo = SP_BUF_INIT(0), sha = SP_BUF_INIT(0), zip = SP_BUF_INIT(0),
		      subj = SP_BUF_INIT(0), w = SP_BUF_INIT(0);
	struct sp_gitrepo_conf c = { 0 };
	struct sp_diags d;
	char *env = NULL;
	enum sp_gitrepo_env_source src;
	sp_diags_init(&d);
	enable_in(dir, &repo);
	/* the hooks would call a binary that does not exist: take them out for this push */
	sh("rm -f %s/git/shop.git/hooks/pre-receive %s/git/shop.git/hooks/post-receive", dir);
	push_sample(dir, sp_buf_cstr(&repo), &sha);
	cr_assert_eq(sp_gitrepo_commit_subject(sp_buf_cstr(&repo), sp_buf_cstr(&sha), &subj), 0);
	cr_expect_str_eq(sp_buf_cstr(&subj), "the sample app");
	cr_assert_eq(sp_gitrepo_conf_load(sp_buf_cstr(&repo), &c), 0);
	cr_assert_eq(sp_gitrepo_env_for(sp_buf_cstr(&repo), &c, "main", sp_buf_cstr(&sha), &d,
					&env, &src), 0);
	cr_expect_str_eq(env, "shop-prod");
	cr_expect_eq(src, SP_GIT_ENV_CONFIG_YML);
	free(env);
	cr_assert_eq(sp_gitrepo_env_for(sp_buf_cstr(&repo), &c, "other", sp_buf_cstr(&sha), &d,
					&env, &src), 0);
	cr_expect_null(env);
	cr_expect_eq(src, SP_GIT_ENV_NONE);
	sp_gitrepo_conf_free(&c);
	cr_assert_eq(sp_gitrepo_set_branch(sp_buf_cstr(&repo), "main", "shop-dev"), 0);
	cr_assert_eq(sp_gitrepo_conf_load(sp_buf_cstr(&repo), &c), 0);
	cr_assert_eq(sp_gitrepo_env_for(sp_buf_cstr(&repo), &c, "main", sp_buf_cstr(&sha), &d,
					&env, &src), 0);
	cr_expect_str_eq(env, "shop-dev");
	cr_expect_eq(src, SP_GIT_ENV_MAPPED);
	free(env);
	cr_expect_eq(d.n, 0);
	/* the bundle */
	cr_assert_eq(sp_buf_printf(&w, "%s/wd", dir), 0);
	cr_assert_eq(sp_mkdir_p(sp_buf_cstr(&w), 0700), 0);
	cr_assert_eq(sp_gitrepo_build_bundle(sp_buf_cstr(&repo), sp_buf_cstr(&sha), sp_buf_cstr(&w),
					     "main@x", &d, &zip), 0);
	struct stat sb;
	cr_expect_eq(stat(sp_buf_cstr(&zip), &sb), 0);
	/* the same files as `sprout bundle create` of the checkout: no config.yml inside */
	sp_buf_reset(&subj);
	cr_assert_eq(sp_buf_printf(&subj, "unzip -l %s | grep -q Dockerrun.aws.json && ! unzip -l %s"
				   " | grep -q elasticbeanstalk", sp_buf_cstr(&zip), sp_buf_cstr(&zip)), 0);
	cr_expect_eq(system(sp_buf_cstr(&subj)), 0);
	/* a commit that does not exist */
	cr_expect_eq(sp_gitrepo_build_bundle(sp_buf_cstr(&repo), B40, sp_buf_cstr(&w), "x", &d, &zip),
		     SP_ERROR);
	cr_expect_eq(sp_diags_errors(&d), 1);
	cr_expect_str_eq(d.items[0].code, "GIT_ARCHIVE_FAILED");
	sp_gitrepo_conf_free(&c);
	sp_diags_free(&d);
	sp_rm_rf(dir);
	free(dir);
	sp_buf_free(&repo);
	sp_buf_free(&sha);
	sp_buf_free(&zip);
	sp_buf_free(&subj);
	sp_buf_free(&w);
}

Test(gitrepo, a_broken_config_yml_maps_nothing_and_warns)
{
	char *dir = tmpdir();
	struct sp_buf repo = SP_BUF_INIT(0), sha = SP_BUF_INIT(0), cmd = SP_BUF_INIT(0);
	struct sp_gitrepo_conf c = { 0 };
	struct sp_diags d;
	char *env = NULL;
	enum sp_gitrepo_env_source src;
	sp_diags_init(&d);
	enable_in(dir, &repo);
	sh("rm -f %s/git/shop.git/hooks/pre-receive %s/git/shop.git/hooks/post-receive", dir);
	push_sample(dir, sp_buf_cstr(&repo), &sha);
	cr_assert_eq(sp_buf_printf(&cmd, "set -e; cd %s/work; printf 'branch-defaults: [\\n' >"
				   " .elasticbeanstalk/config.yml; git add -A; git -c user.email=t@t"
				   " -c user.name=t commit -qm broken; git push -q %s main 2>/dev/null",
				   dir, sp_buf_cstr(&repo)), 0);
	cr_assert_eq(system(sp_buf_cstr(&cmd)), 0);
	const char *args[] = { "rev-parse", "main", NULL };
	cr_assert_eq(sp_gitrepo_git(sp_buf_cstr(&repo), args, &sha, NULL), 0);
	cr_assert_eq(sp_gitrepo_conf_load(sp_buf_cstr(&repo), &c), 0);
	cr_assert_eq(sp_gitrepo_env_for(sp_buf_cstr(&repo), &c, "main", sp_buf_cstr(&sha), &d,
					&env, &src), 0);
	cr_expect_null(env);
	cr_expect_eq(src, SP_GIT_ENV_NONE);
	cr_expect_eq(sp_diags_errors(&d), 0);
	cr_expect_geq(sp_diags_warnings(&d), 1);
	cr_expect_str_eq(d.items[d.n - 1].code, "GIT_CONFIG_UNREADABLE");
	cr_expect(strstr(d.items[d.n - 1].file, "main@") == d.items[d.n - 1].file);
	sp_gitrepo_conf_free(&c);
	sp_diags_free(&d);
	sp_rm_rf(dir);
	free(dir);
	sp_buf_free(&repo);
	sp_buf_free(&sha);
	sp_buf_free(&cmd);
}
