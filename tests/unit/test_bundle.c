/* test_bundle.c — the bundles/ API: reading, limits, extraction, folders, creation,
 * .ebignore matching. Hostile end-to-end cases live in tests/data/bundles/. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundles/bundle.h"
#include "bundles/ignore.h"
#include "engine/base/path.h"
#include "engine/base/sha256.h"
#include "engine/base/banned.h"

#define DR "{\"AWSEBDockerrunVersion\": 2, \"containerDefinitions\": []}"

struct tent {
	const char *path;
	const char *data; /* NULL for dirs and links */
	unsigned type;    /* AE_IFREG, AE_IFDIR, AE_IFLNK; 0 = hardlink */
	unsigned mode;
	const char *link;
	size_t zeros;     /* extra zero bytes appended to data */
};

/* Builds a tar (or tar.gz, or zip) in memory. Caller frees. */
static char *make_archive(const struct tent *e, size_t n, int format, bool gz, size_t *len)
{
	size_t cap = (size_t)64 << 20;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	struct archive *a = archive_write_new();
	archive_write_set_format(a, format);
	if (gz)
		archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	cr_assert_eq(archive_write_open_memory(a, buf, cap, len), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].path);
		size_t dl = e[i].data ? strlen(e[i].data) : 0;
		if (e[i].type == 0) {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e[i].link);
		} else {
			archive_entry_set_filetype(ae, e[i].type);
		}
		archive_entry_set_perm(ae, e[i].mode ? e[i].mode : 0644);
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].link);
		if (e[i].type == AE_IFREG)
			archive_entry_set_size(ae, (la_int64_t)(dl + e[i].zeros));
		cr_assert_eq(archive_write_header(a, ae), ARCHIVE_OK, "%s", archive_error_string(a));
		if (e[i].type == AE_IFREG) {
			archive_write_data(a, e[i].data ? e[i].data : "", dl);
			char z[4096] = { 0 };
			for (size_t left = e[i].zeros; left > 0;) {
				size_t k = left < sizeof(z) ? left : sizeof(z);
				archive_write_data(a, z, k);
				left -= k;
			}
		}
		archive_entry_free(ae);
	}
	cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return buf;
}

static bool has_code(const struct sp_diags *d, const char *code)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].code, code) == 0)
			return true;
	return false;
}

static int open_entries_gz(const struct tent *e, size_t n, const struct sp_bundle_limits *lim,
			   struct sp_diags *d, struct sp_bundle **out, bool gz)
{
	size_t len;
	char *buf = make_archive(e, n, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, gz, &len);
	int rc = sp_bundle_open_memory(buf, len, "t.tar", lim, d, out);
	free(buf);
	return rc;
}

static int open_entries(const struct tent *e, size_t n, const struct sp_bundle_limits *lim,
			struct sp_diags *d, struct sp_bundle **out)
{
	return open_entries_gz(e, n, lim, d, out, false);
}

static char *write_temp(const char *data, size_t len, const char *suffix)
{
	char *path = sp_aprintf("/tmp/sprout-test-bundle-XXXXXX%s", suffix);
	int fd = mkstemps(path, (int)strlen(suffix));
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static int count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_file(const char *dir, const char *rel, const char *data, unsigned mode)
{
	char *p = sp_aprintf("%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	sp_mkdir_p(p, 0755);
	*slash = '/';
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(data, f);
	fclose(f);
	chmod(p, mode);
	free(p);
}

Test(bundle, default_limits_are_the_documented_ones)
{
	struct sp_bundle_limits l = SP_BUNDLE_LIMITS_DEFAULT;
	cr_assert_eq(l.max_compressed, (uint64_t)512 * 1024 * 1024);
	cr_assert_eq(l.max_uncompressed, (uint64_t)2 * 1024 * 1024 * 1024);
	cr_assert_eq(l.max_entries, 100000);
	cr_assert_eq(l.max_path, 1024);
	cr_assert_eq(l.max_depth, 64);
	cr_assert_eq(l.max_ratio, 100);
}

Test(bundle, manifest_of_a_good_tar)
{
	const struct tent e[] = {
		{ "./Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 },
		{ ".ebextensions/02.config", "b: 1\n", AE_IFREG, 0644, NULL, 0 },
		{ ".ebextensions/01.config", "a: 1\n", AE_IFREG, 0644, NULL, 0 },
		{ ".platform/hooks/predeploy/01.sh", "#!/bin/sh\n", AE_IFREG, 0755, NULL, 0 },
		{ ".platform/confighooks/prebuild/02.sh", "#!/bin/sh\n", AE_IFREG, 0644, NULL, 0 },
		{ ".platform/hooks/postdeploy/03.sh", NULL, AE_IFLNK, 0777, "../predeploy/01.sh", 0 },
		{ "docker-compose.yml", "services: {}\n", AE_IFREG, 0644, NULL, 0 },
	};
	struct sp_diags d;
	struct sp_bundle *b = NULL;
	sp_diags_init(&d);
	cr_assert_eq(open_entries(e, 7, NULL, &d, &b), 0);
	/* the one finding: 02.sh lacks its exec bit (an error, refused at upload) */
	cr_assert_eq(sp_diags_errors(&d), 1);
	cr_assert_str_eq(d.items[0].code, "BUNDLE_HOOK_NOT_EXECUTABLE");
	cr_assert_str_eq(sp_bundle_format(b), "tar");
	cr_assert(sp_bundle_has_dockerrun(b));
	cr_assert(sp_bundle_has_compose(b));
	cr_assert_str_eq(sp_bundle_dockerrun_version(b), "2");
	cr_assert_eq(sp_bundle_ebextension_count(b), 2);
	cr_assert_str_eq(sp_bundle_ebextension_at(b, 0), ".ebextensions/01.config");
	cr_assert_eq(sp_bundle_hook_count(b), 3);
	const struct sp_bundle_hook *h = sp_bundle_hook_at(b, 0);
	cr_assert_str_eq(h->path, ".platform/confighooks/prebuild/02.sh");
	cr_assert(h->confighook);
	cr_assert_not(h->executable);
	cr_assert_str_eq(h->stage, "prebuild");
	h = sp_bundle_hook_at(b, 1);
	cr_assert_str_eq(h->stage, "postdeploy");
	cr_assert(h->executable, "a symlink hook takes its target's exec bit");
	cr_assert(sp_bundle_hook_at(b, 2)->executable);
	const char *data;
	size_t len;
	cr_assert_eq(sp_bundle_kept_file(b, "Dockerrun.aws.json", &data, &len), 0);
	cr_assert_str_eq(data, DR);
	cr_assert_eq(sp_bundle_kept_file(b, "nope", &data, &len), SP_ENOTFOUND);
	const struct sp_bundle_entry *en = sp_bundle_find(b, "Dockerrun.aws.json");
	cr_assert_not_null(en);
	cr_assert_eq(en->size, strlen(DR));
	cr_assert_not_null(sp_bundle_find(b, ".platform/hooks"), "implicit folders are listed");
	cr_assert_eq(strlen(sp_bundle_sha256(b)), 64);
	json_t *j = sp_bundle_to_json(b);
	cr_assert_not_null(j);
	json_decref(j);
	sp_bundle_free(b);
	sp_diags_free(&d);
}

Test(bundle, sha256_is_the_file_hash)
{
	const struct tent e[] = { { "Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 } };
	for (int f = 0; f < 2; f++) {
		size_t len;
		char *buf = make_archive(e, 1, f ? ARCHIVE_FORMAT_ZIP : ARCHIVE_FORMAT_TAR_USTAR,
					 !f, &len);
		char *path = write_temp(buf, len, f ? ".zip" : ".tgz");
		char want[65];
		struct sp_diags d;
		struct sp_bundle *b = NULL;
		sp_diags_init(&d);
		cr_assert_eq(sp_sha256_file_hex(path, want), 0);
		cr_assert_eq(sp_bundle_open(path, NULL, &d, &b), 0);
		cr_assert_str_eq(sp_bundle_sha256(b), want);
		cr_assert_str_eq(sp_bundle_format(b), f ? "zip" : "tar.gz");
		sp_bundle_free(b);
		sp_diags_free(&d);
		unlink(path);
		free(path);
		free(buf);
	}
}

Test(bundle, hostile_names_are_refused_all_at_once)
{
	const struct tent e[] = {
		{ "Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 },
		{ "/etc/x", "x", AE_IFREG, 0644, NULL, 0 },
		{ "a/../../x", "x", AE_IFREG, 0644, NULL, 0 },
		{ "ok\x01", "x", AE_IFREG, 0644, NULL, 0 },
		{ "Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 },
		{ "l", NULL, AE_IFLNK, 0777, "/etc/passwd", 0 },
		{ "h", NULL, 0, 0644, "../x", 0 },
	};
	struct sp_diags d;
	struct sp_bundle *b = NULL;
	sp_diags_init(&d);
	cr_assert_eq(open_entries(e, 7, NULL, &d, &b), SP_ERROR);
	cr_assert_null(b);
	cr_assert(has_code(&d, "BUNDLE_PATH_ABSOLUTE"));
	cr_assert(has_code(&d, "BUNDLE_PATH_DOTDOT"));
	cr_assert(has_code(&d, "BUNDLE_NAME_CONTROL_CHAR"));
	cr_assert(has_code(&d, "BUNDLE_DUPLICATE_ENTRY"));
	cr_assert(has_code(&d, "BUNDLE_LINK_OUTSIDE"));
	cr_assert_eq(sp_diags_errors(&d), 6);
	sp_diags_free(&d);
}

Test(bundle, symlink_chains_are_resolved)
{
	const struct tent e[] = {
		{ "Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 },
		{ "here", NULL, AE_IFLNK, 0777, ".", 0 },
		{ "in/deep", NULL, AE_IFLNK, 0777, "../here/Dockerrun.aws.json", 0 },
		{ "loop1", NULL, AE_IFLNK, 0777, "loop2", 0 },
		{ "loop2", NULL, AE_IFLNK, 0777, "loop1", 0 },
	};
	struct sp_diags d;
	struct sp_bundle *b = NULL;
	sp_diags_init(&d);
	cr_assert_eq(open_entries(e, 5, NULL, &d, &b), SP_ERROR, "a loop is refused");
	cr_assert(has_code(&d, "BUNDLE_LINK_OUTSIDE"));
	cr_assert_eq(sp_diags_errors(&d), 2, "only the two loop links");
	sp_diags_free(&d);

	const struct tent e2[] = {
		{ "Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 },
		{ "here", NULL, AE_IFLNK, 0777, ".", 0 },
		{ "x", NULL, AE_IFLNK, 0777, "here/..", 0 },
	};
	sp_diags_init(&d);
	cr_assert_eq(open_entries(e2, 3, NULL, &d, &b), SP_ERROR, "here/.. is the parent");
	sp_diags_free(&d);
}

Test(bundle, each_limit_is_enforced)
{
	const struct tent e[] = {
		{ "Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 },
		{ "a/b/c/d", "x", AE_IFREG, 0644, NULL, 0 },
		{ "big", "", AE_IFREG, 0644, NULL, 20 << 20 },
	};
	struct sp_bundle_limits lim;
	struct sp_diags d;
	struct sp_bundle *b = NULL;

	lim = SP_BUNDLE_LIMITS_DEFAULT;
	lim.max_ratio = 1000000;
	sp_diags_init(&d);
	cr_assert_eq(open_entries(e, 3, &lim, &d, &b), 0);
	sp_bundle_free(b);
	sp_diags_free(&d);

	const char *codes[] = { "BUNDLE_TOO_MANY_ENTRIES", "BUNDLE_PATH_TOO_DEEP",
				"BUNDLE_PATH_TOO_LONG", "BUNDLE_TOO_LARGE", "BUNDLE_RATIO",
				"BUNDLE_COMPRESSED_TOO_LARGE" };
	for (int i = 0; i < 6; i++) {
		lim = SP_BUNDLE_LIMITS_DEFAULT;
		lim.max_ratio = 1000000;
		switch (i) {
		case 0: lim.max_entries = 2; break;
		case 1: lim.max_depth = 3; break;
		case 2: lim.max_path = 6; break;
		case 3: lim.max_uncompressed = 1 << 20; break;
		case 4: lim.max_ratio = 100; break;
		case 5: lim.max_compressed = 1000; break;
		}
		sp_diags_init(&d);
		b = NULL;
		cr_assert_eq(open_entries_gz(e, 3, &lim, &d, &b, i == 4), SP_ERROR, "%s", codes[i]);
		cr_assert(has_code(&d, codes[i]), "%s", codes[i]);
		cr_assert_null(b);
		sp_diags_free(&d);
	}
}

Test(bundle, extraction_is_all_or_nothing)
{
	char parent[] = "/tmp/sprout-test-extract-XXXXXX";
	cr_assert_not_null(mkdtemp(parent));
	const struct tent bad[] = {
		{ "Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 },
		{ "app/index.html", "hi", AE_IFREG, 0644, NULL, 0 },
		{ "up", NULL, AE_IFLNK, 0777, "..", 0 },
		{ "zz/../../../escaped", "x", AE_IFREG, 0644, NULL, 0 },
	};
	size_t len;
	char *buf = make_archive(bad, 4, ARCHIVE_FORMAT_ZIP, false, &len);
	char *path = write_temp(buf, len, ".zip");
	struct sp_diags d;
	char *dir = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_bundle_extract(path, parent, NULL, &d, &dir), SP_ERROR);
	cr_assert_null(dir);
	cr_assert_eq(count_dir(parent), 0, "no staging folder is left");
	sp_diags_free(&d);
	unlink(path);
	free(path);
	free(buf);

	const struct tent good[] = {
		{ "Dockerrun.aws.json", DR, AE_IFREG, 0600, NULL, 0 },
		{ "bin/run.sh", "#!/bin/sh\n", AE_IFREG, 0700, NULL, 0 },
		{ "bin/link", NULL, AE_IFLNK, 0777, "run.sh", 0 },
		{ "bin/hard", NULL, 0, 0644, "bin/run.sh", 0 },
	};
	buf = make_archive(good, 4, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false, &len);
	path = write_temp(buf, len, ".tar");
	struct sp_bundle *m = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_bundle_extract_manifest(path, parent, NULL, &d, &dir, &m), 0);
	cr_assert_not_null(m);
	cr_assert_eq(count_dir(parent), 1);
	struct stat st;
	char *p = sp_aprintf("%s/bin/run.sh", dir);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0755);
	cr_assert_eq(st.st_nlink, 2);
	free(p);
	p = sp_aprintf("%s/Dockerrun.aws.json", dir);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);
	free(p);
	p = sp_aprintf("%s/bin/link", dir);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	free(p);
	sp_bundle_free(m);
	sp_diags_free(&d);
	sp_rm_rf(parent);
	unlink(path);
	free(path);
	free(buf);
	free(dir);
}

Test(bundle, scan_dir_and_create_agree)
{
	char dir[] = "/tmp/sprout-test-create-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char *app = sp_aprintf("%s/app", dir);
	write_file(app, "Dockerrun.aws.json", DR, 0644);
	write_file(app, ".ebextensions/01.config", "a: 1\n", 0644);
	write_file(app, ".platform/hooks/prebuild/01.sh", "#!/bin/sh\n", 0644);
	write_file(app, "web/index.html", "hi\n", 0600);
	write_file(app, "web/index.html~", "backup\n", 0644);
	write_file(app, "logs/x.log", "log\n", 0644);

	struct sp_diags d;
	struct sp_bundle *b = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_bundle_scan_dir(app, NULL, &d, &b), 0);
	cr_assert(has_code(&d, "BUNDLE_HOOK_NOT_EXECUTABLE"));
	cr_assert_null(sp_bundle_sha256(b));
	cr_assert_eq(sp_bundle_hook_count(b), 1);
	sp_bundle_free(b);
	sp_diags_free(&d);

	char *z1 = sp_aprintf("%s/one.zip", dir), *z2 = sp_aprintf("%s/two.zip", dir);
	sp_diags_init(&d);
	cr_assert_eq(sp_bundle_create(app, NULL, z1, &d), 0);
	write_file(app, ".ebignore", "*.log\n", 0644);
	cr_assert_eq(sp_bundle_create(app, NULL, z2, &d), 0);
	cr_assert_eq(sp_diags_errors(&d), 0);
	sp_diags_free(&d);

	sp_diags_init(&d);
	cr_assert_eq(sp_bundle_open(z1, NULL, &d, &b), 0);
	cr_assert_not_null(sp_bundle_find(b, "logs/x.log"));
	cr_assert_null(sp_bundle_find(b, "web/index.html~"), "editor backups are left out");
	cr_assert_eq(sp_bundle_find(b, "web/index.html")->mode, 0644);
	sp_bundle_free(b);
	cr_assert_eq(sp_bundle_open(z2, NULL, &d, &b), 0);
	cr_assert_null(sp_bundle_find(b, "logs/x.log"));
	cr_assert_null(sp_bundle_find(b, "logs"), "no empty folders");
	cr_assert_null(sp_bundle_find(b, ".ebignore"));
	sp_bundle_free(b);
	sp_diags_free(&d);

	/* same files, other mtimes: same bytes */
	char h1[65], h2[65];
	cr_assert_eq(sp_sha256_file_hex(z2, h1), 0);
	char *idx = sp_aprintf("%s/web/index.html", app);
	struct timespec ts[2] = { { 1000000, 0 }, { 1000000, 0 } };
	utimensat(AT_FDCWD, idx, ts, 0);
	sp_diags_init(&d);
	cr_assert_eq(sp_bundle_create(app, NULL, z2, &d), 0);
	cr_assert_eq(sp_sha256_file_hex(z2, h2), 0);
	cr_assert_str_eq(h1, h2);
	sp_diags_free(&d);

	sp_rm_rf(dir);
	free(idx);
	free(app);
	free(z1);
	free(z2);
}

Test(bundle, layout_mistakes)
{
	struct {
		const char *path;
		const char *code;
	} cases[] = {
		{ "app/Dockerrun.aws.json", "BUNDLE_NESTED_FOLDER" },
		{ "dockerrun.aws.json", "BUNDLE_DOCKERRUN_CASE" },
		{ ".ebextensions/Dockerrun.aws.json", "BUNDLE_DOCKERRUN_MISPLACED" },
		{ "index.php", "BUNDLE_NO_DOCKERRUN" },
	};
	for (size_t i = 0; i < 4; i++) {
		const struct tent e[] = { { cases[i].path, DR, AE_IFREG, 0644, NULL, 0 } };
		struct sp_diags d;
		struct sp_bundle *b = NULL;
		sp_diags_init(&d);
		cr_assert_eq(open_entries(e, 1, NULL, &d, &b), 0, "layout does not stop reading");
		cr_assert(has_code(&d, cases[i].code), "%s", cases[i].code);
		cr_assert_eq(sp_diags_errors(&d), 1, "%s: one finding, not a cascade",
			     cases[i].code);
		sp_bundle_free(b);
		sp_diags_free(&d);
	}
	const struct tent e[] = {
		{ "Dockerrun.aws.json", DR, AE_IFREG, 0644, NULL, 0 },
		{ ".ebextensions/env.yml", "a: 1", AE_IFREG, 0644, NULL, 0 },
		{ ".platform/hooks/predeploy/01.sh", "#!/bin/sh", AE_IFREG, 0644, NULL, 0 },
	};
	struct sp_diags d;
	struct sp_bundle *b = NULL;
	sp_diags_init(&d);
	cr_assert_eq(open_entries(e, 3, NULL, &d, &b), 0);
	cr_assert(has_code(&d, "BUNDLE_EBEXT_NOT_CONFIG"));
	cr_assert(has_code(&d, "BUNDLE_HOOK_NOT_EXECUTABLE"));
	cr_assert_eq(sp_diags_errors(&d), 1, "a hook without the exec bit is an error");
	cr_assert_eq(sp_diags_warnings(&d), 1);
	bool hint_ok = false;
	for (size_t i = 0; i < d.n; i++)
		if (d.items[i].hint && strstr(d.items[i].hint, "chmod +x .platform/hooks/predeploy/01.sh") &&
		    strstr(d.items[i].hint, "git update-index --chmod=+x"))
			hint_ok = true;
	cr_assert(hint_ok);
	sp_bundle_free(b);
	sp_diags_free(&d);
}

Test(bundle, ebignore_matching)
{
	cr_assert(sp_wildmatch("*.log", "a.log"));
	cr_assert_not(sp_wildmatch("*.log", "d/a.log"));
	cr_assert(sp_wildmatch("**/x", "x"));
	cr_assert(sp_wildmatch("**/x", "a/b/x"));
	cr_assert(sp_wildmatch("a/**", "a/b/c"));
	cr_assert_not(sp_wildmatch("a/**", "a"));
	cr_assert(sp_wildmatch("a/**/b", "a/b"));
	cr_assert(sp_wildmatch("a/**/b", "a/x/y/b"));
	cr_assert(sp_wildmatch("[a-c]?", "bz"));
	cr_assert_not(sp_wildmatch("[!a-c]?", "bz"));
	cr_assert(sp_wildmatch("\\*", "*"));

	const char *text = "# comment\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/*.md\n\\#hash\n";
	struct sp_ignore *ig = NULL;
	cr_assert_eq(sp_ignore_parse(text, strlen(text), &ig), 0);
	cr_assert(sp_ignore_match(ig, "x.log", false));
	cr_assert(sp_ignore_match(ig, "deep/x.log", false));
	cr_assert_not(sp_ignore_match(ig, "keep.log", false));
	cr_assert(sp_ignore_match(ig, "build", true));
	cr_assert(sp_ignore_match(ig, "src/build", true));
	cr_assert_not(sp_ignore_match(ig, "build", false), "build/ matches folders only");
	cr_assert(sp_ignore_match(ig, "top.txt", false));
	cr_assert_not(sp_ignore_match(ig, "sub/top.txt", false), "a leading / anchors");
	cr_assert(sp_ignore_match(ig, "docs/a.md", false));
	cr_assert_not(sp_ignore_match(ig, "x/docs/a.md", false));
	cr_assert(sp_ignore_match(ig, "#hash", false));
	cr_assert_not(sp_ignore_match(ig, "comment", false));
	sp_ignore_free(ig);
}

Test(bundle, not_an_archive_and_missing_file)
{
	struct sp_diags d;
	struct sp_bundle *b = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_bundle_open_memory("hello", 5, "x.zip", NULL, &d, &b), SP_ERROR);
	cr_assert(has_code(&d, "BUNDLE_NOT_ARCHIVE"));
	cr_assert_eq(sp_bundle_open("/nonexistent/x.zip", NULL, &d, &b), SP_EIO);
	cr_assert(has_code(&d, "BUNDLE_IO"));
	cr_assert_null(b);
	sp_diags_free(&d);
}
