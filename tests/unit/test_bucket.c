/* test_bucket.c — the local object store (bucket.h): names, put/get/list/rm, modes,
 * atomic replace, symlinks and traversal. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "engine/bucket/bucket.h"
#include "engine/base/banned.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sprout-bucket-test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	sp_rm_rf(dir);
}

TestSuite(bucket, .init = setup, .fini = teardown);

Test(bucket, bucket_names_follow_s3)
{
	const char *good[] = { "abc", "my-creds", "a.b.c", "0123", "x1-2.y" };
	const char *bad[] = { "ab", "Abc", "a_b", "-abc", "abc-", "a..b", "192.168.1.1",
			      "xn--abc", "sthree-x", "abc-s3alias", "abc--ol-s3", "a/b", "..",
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_expect_eq(sp_bucket_check_name(good[i], NULL), 0, "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *why = NULL;
		cr_expect_eq(sp_bucket_check_name(bad[i], &why), SP_EINVAL, "%s", bad[i]);
		cr_expect_not_null(why);
	}
}

Test(bucket, keys_never_traverse)
{
	const char *good[] = { "k", "dir/config.json", "a b", "ünï", ".dockercfg", "a/.b" };
	const char *bad[] = { "", "/abs", "a/", "a//b", "..", "../x", "a/../b", "./a", "a/.",
			      "x\ny", ".sprout-tmp-1", "d/.sprout-x" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_expect_eq(sp_bucket_check_key(good[i], NULL), 0, "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(sp_bucket_check_key(bad[i], NULL), SP_EINVAL, "%s", bad[i]);
	char lng[SP_BUCKET_MAX_KEY + 2];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	for (size_t i = 100; i < sizeof(lng) - 1; i += 100)
		lng[i] = '/';
	cr_expect_eq(sp_bucket_check_key(lng, NULL), SP_EINVAL);
	lng[SP_BUCKET_MAX_KEY] = '\0';
	cr_expect_eq(sp_bucket_check_key(lng, NULL), 0);
	cr_expect_eq(sp_bucket_check_key("a\xff", NULL), SP_EINVAL);
}

Test(bucket, put_get_list_rm)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_bucket_put(dir, "creds", "team/config.json", "{\"auths\":{}}", 12), 0);
	cr_assert_eq(sp_bucket_put(dir, "creds", "a", "x", 1), 0);
	cr_assert_eq(sp_bucket_put(dir, "other", "k", "", 0), 0);
	cr_assert_eq(sp_bucket_get(dir, "creds", "team/config.json", 0, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "{\"auths\":{}}");

	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/buckets/creds/team/config.json", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/buckets/creds", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);

	struct sp_bucket_list l = { 0 };
	cr_assert_eq(sp_bucket_list_buckets(dir, &l), 0);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.names[0], "creds");
	cr_assert_str_eq(l.names[1], "other");
	sp_bucket_list_release(&l);
	cr_assert_eq(sp_bucket_list_keys(dir, "creds", &l), 0);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.names[0], "a");
	cr_assert_str_eq(l.names[1], "team/config.json");
	sp_bucket_list_release(&l);

	/* replace */
	cr_assert_eq(sp_bucket_put(dir, "creds", "a", "yy", 2), 0);
	sp_buf_reset(&b);
	cr_assert_eq(sp_bucket_get(dir, "creds", "a", 0, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "yy");

	cr_assert_eq(sp_bucket_rm(dir, "creds", "team/config.json"), 0);
	cr_assert_eq(sp_bucket_rm(dir, "creds", "team/config.json"), SP_ENOTFOUND);
	snprintf(path, sizeof(path), "%s/buckets/creds/team", dir);
	cr_assert_neq(stat(path, &st), 0); /* empty directory removed */
	cr_assert_eq(sp_bucket_rm(dir, "creds", "a"), 0);
	cr_assert_eq(sp_bucket_list_keys(dir, "creds", &l), SP_ENOTFOUND); /* bucket gone */
	sp_buf_free(&b);
}

Test(bucket, missing_things)
{
	struct sp_buf b = SP_BUF_INIT(0);
	struct sp_bucket_list l = { 0 };
	cr_assert_eq(sp_bucket_list_buckets(dir, &l), 0);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(sp_bucket_get(dir, "nope", "k", 0, &b), SP_ENOTFOUND);
	cr_assert_eq(sp_bucket_put(dir, "yes", "k", "1", 1), 0);
	cr_assert_eq(sp_bucket_get(dir, "yes", "nope", 0, &b), SP_ENOTFOUND);
	cr_assert_eq(sp_bucket_get(dir, "yes", "k/deeper", 0, &b), SP_ENOTFOUND);
	cr_assert_eq(sp_bucket_get(dir, "Bad_Name", "k", 0, &b), SP_EINVAL);
	cr_assert_eq(sp_bucket_put(dir, "yes", "../escape", "1", 1), SP_EINVAL);
	cr_assert_eq(b.len, 0);
	sp_buf_free(&b);
}

Test(bucket, key_prefix_clashes)
{
	cr_assert_eq(sp_bucket_put(dir, "clash", "a", "1", 1), 0);
	cr_assert_eq(sp_bucket_put(dir, "clash", "a/b", "1", 1), SP_EEXISTS);
	cr_assert_eq(sp_bucket_put(dir, "clash", "c/d", "1", 1), 0);
	cr_assert_eq(sp_bucket_put(dir, "clash", "c", "1", 1), SP_EEXISTS);
}

Test(bucket, symlinks_are_not_followed)
{
	char target[128], link[256], path[256];
	struct sp_buf b = SP_BUF_INIT(0);
	snprintf(target, sizeof(target), "%s/outside", dir);
	cr_assert_eq(mkdir(target, 0700), 0);
	cr_assert_eq(sp_bucket_put(dir, "bkt", "k", "1", 1), 0);
	/* a planted symlink as a key directory, and as an object */
	snprintf(link, sizeof(link), "%s/buckets/bkt/sub", dir);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_neq(sp_bucket_put(dir, "bkt", "sub/x", "1", 1), 0);
	snprintf(path, sizeof(path), "%s/x", target);
	struct stat st;
	cr_assert_neq(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/secret", target);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("outside", f);
	fclose(f);
	snprintf(link, sizeof(link), "%s/buckets/bkt/obj", dir);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_neq(sp_bucket_get(dir, "bkt", "obj", 0, &b), 0);
	cr_assert_eq(b.len, 0);
	cr_assert_neq(sp_bucket_put(dir, "bkt", "obj", "2", 1), 0);
	struct sp_bucket_list l = { 0 };
	cr_assert_eq(sp_bucket_list_keys(dir, "bkt", &l), 0);
	cr_assert_eq(l.n, 1); /* only k: links are not listed */
	sp_bucket_list_release(&l);
	sp_buf_free(&b);
}

Test(bucket, size_limits)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_bucket_put(dir, "big", "k", "x", SP_BUCKET_MAX_OBJECT + 1), SP_ETOOBIG);
	cr_assert_eq(sp_bucket_put(dir, "big", "k", "0123456789", 10), 0);
	cr_assert_eq(sp_bucket_get(dir, "big", "k", 9, &b), SP_ETOOBIG);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(sp_bucket_get(dir, "big", "k", 10, &b), 0);
	sp_buf_free(&b);
}
