/* test_base.c — buf.h, diag.h, path.h, sha256.h. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/base/path.h"
#include "engine/base/sha256.h"
#include "engine/base/banned.h"

Test(buf, append_and_printf_keep_nul_terminated)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_str_eq(sp_buf_cstr(&b), "");
	cr_assert_eq(sp_buf_puts(&b, "abc"), 0);
	cr_assert_eq(sp_buf_printf(&b, "-%d-%s", 42, "x"), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "abc-42-x");
	cr_assert_eq(b.len, 8);
	sp_buf_free(&b);
}

Test(buf, cap_refuses_and_leaves_buffer_unchanged)
{
	struct sp_buf b = SP_BUF_INIT(5);
	cr_assert_eq(sp_buf_puts(&b, "12345"), 0);
	cr_assert_eq(sp_buf_putc(&b, '6'), SP_ETOOBIG);
	cr_assert_eq(sp_buf_printf(&b, "%s", "x"), SP_ETOOBIG);
	cr_assert_str_eq(sp_buf_cstr(&b), "12345");
	sp_buf_free(&b);
}

Test(buf, json_escaping)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_buf_put_json_escaped(&b, "a\"b\\c\n\x01", 7), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "a\\\"b\\\\c\\n\\u0001");
	sp_buf_free(&b);
}

Test(buf, detach_hands_over_memory)
{
	struct sp_buf b = SP_BUF_INIT(0);
	char *s;
	size_t n;
	cr_assert_eq(sp_buf_detach(&b, &s, &n), 0);
	cr_assert_str_eq(s, "");
	free(s);
	sp_buf_puts(&b, "hi");
	cr_assert_eq(sp_buf_detach(&b, &s, &n), 0);
	cr_assert_str_eq(s, "hi");
	cr_assert_eq(n, 2);
	cr_assert_null(b.data);
	free(s);
}

Test(buf, strict_integer_parsing)
{
	int64_t i;
	uint64_t u;
	cr_assert_eq(sp_parse_i64("-42", &i), 0);
	cr_assert_eq(i, -42);
	cr_assert_eq(sp_parse_i64("9223372036854775807", &i), 0);
	cr_assert_eq(sp_parse_i64("9223372036854775808", &i), SP_ETOOBIG);
	cr_assert_eq(sp_parse_i64("-9223372036854775808", &i), 0);
	cr_assert_eq(i, INT64_MIN);
	cr_assert_eq(sp_parse_u64("18446744073709551616", &u), SP_ETOOBIG);
	cr_assert_eq(sp_parse_u64("12a", &u), SP_EINVAL);
	cr_assert_eq(sp_parse_u64(" 1", &u), SP_EINVAL);
	cr_assert_eq(sp_parse_u64("", &u), SP_EINVAL);
	cr_assert_eq(sp_parse_u64("-1", &u), SP_EINVAL);
}

Test(buf, slices)
{
	struct sp_slice s = sp_slice_from("hello");
	cr_assert(sp_slice_eq(s, "hello"));
	cr_assert_not(sp_slice_eq(s, "hell"));
	cr_assert(sp_slice_startswith(s, "he"));
	cr_assert_not(sp_slice_startswith(s, "hello!"));
}

Test(buf, suggest_finds_typos_only)
{
	const char *const names[] = { "containerPath", "sourceVolume", "readOnly" };
	cr_assert_str_eq(sp_suggest("comtianerPath", names, 3), "containerPath");
	cr_assert_str_eq(sp_suggest("readonly", names, 3), "readOnly");
	cr_assert_null(sp_suggest("image", names, 3));
	cr_assert_eq(sp_edit_distance("kitten", "sitting"), 3);
}

Test(buf, utf8_validation)
{
	cr_assert(sp_utf8_valid("h\xc3\xa9llo", 6));
	cr_assert_not(sp_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	cr_assert_not(sp_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	cr_assert_not(sp_utf8_valid("\xe2\x82", 2));         /* truncated */
	cr_assert_not(sp_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	cr_assert(sp_utf8_valid("\xf0\x9f\x8c\xb1", 4));     /* seedling */
}

Test(buf, read_file_respects_limit)
{
	char path[] = "/tmp/sprout-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_read_file(path, 9, &b), SP_ETOOBIG);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(sp_read_file(path, 10, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "0123456789");
	cr_assert_eq(sp_read_file("/nonexistent/x", 10, &b), SP_EIO);
	sp_buf_free(&b);
	unlink(path);
}

Test(diag, collects_and_renders_like_a_compiler)
{
	struct sp_diags d;
	sp_diags_init(&d);
	sp_diag_add(&d, SP_SEV_ERROR, "DOCKERRUN_LINK_UNKNOWN",
		    (struct sp_loc){ "Dockerrun.aws.json", 14, 17, "/containerDefinitions/1/links/0" },
		    "containers are: php-app, nginx-proxy", "link \"%s\" names no container", "db");
	sp_diag_add(&d, SP_SEV_WARNING, "W", (struct sp_loc){ "a.config", 2, 0, "" }, NULL, "w");
	cr_assert_eq(sp_diags_errors(&d), 1);
	cr_assert_eq(sp_diags_warnings(&d), 1);
	struct sp_buf out = SP_BUF_INIT(0);
	cr_assert_eq(sp_diags_render_text(&d, false, &out), 0);
	cr_assert_str_eq(sp_buf_cstr(&out),
			 "Dockerrun.aws.json:14:17: error[DOCKERRUN_LINK_UNKNOWN]: link \"db\" names no container\n"
			 "  hint: containers are: php-app, nginx-proxy\n"
			 "a.config:2: warning[W]: w\n");
	sp_buf_reset(&out);
	cr_assert_eq(sp_diags_render_text(&d, true, &out), 0);
	cr_assert(strstr(sp_buf_cstr(&out), "\033[1;31merror") != NULL);
	sp_buf_free(&out);
	sp_diags_free(&d);
}

Test(diag, json_round_trip)
{
	struct sp_diags d, back;
	sp_diags_init(&d);
	sp_diags_init(&back);
	sp_diag_add(&d, SP_SEV_NOTE, "N", (struct sp_loc){ "f", 1, 2, "/a" }, "h", "m %d", 1);
	json_t *j = sp_diags_to_json(&d);
	cr_assert_not_null(j);
	json_t *first = json_array_get(j, 0);
	cr_assert_str_eq(json_string_value(json_object_get(first, "severity")), "note");
	cr_assert_str_eq(json_string_value(json_object_get(first, "path")), "/a");
	cr_assert_eq(json_integer_value(json_object_get(first, "column")), 2);
	cr_assert_eq(sp_diags_from_json(j, &back), 0);
	cr_assert_eq(back.n, 1);
	cr_assert_str_eq(back.items[0].message, "m 1");
	cr_assert_str_eq(back.items[0].hint, "h");
	json_decref(j);
	sp_diags_free(&d);
	sp_diags_free(&back);
}

Test(diag, sort_is_stable_by_position)
{
	struct sp_diags d;
	sp_diags_init(&d);
	sp_diag_add(&d, SP_SEV_ERROR, "B", (struct sp_loc){ "f", 5, 1, "" }, NULL, "b");
	sp_diag_add(&d, SP_SEV_ERROR, "A", (struct sp_loc){ "f", 2, 3, "" }, NULL, "a");
	sp_diag_add(&d, SP_SEV_ERROR, "C", (struct sp_loc){ "f", 5, 1, "" }, NULL, "c");
	sp_diags_sort(&d);
	cr_assert_str_eq(d.items[0].code, "A");
	cr_assert_str_eq(d.items[1].code, "B");
	cr_assert_str_eq(d.items[2].code, "C");
	sp_diags_free(&d);
}

Test(diag, promote_and_cap)
{
	struct sp_diags d;
	sp_diags_init(&d);
	for (int i = 0; i < SP_DIAGS_MAX + 5; i++)
		sp_diag_add(&d, SP_SEV_WARNING, "W", (struct sp_loc){ 0 }, NULL, "w");
	cr_assert_eq(d.n, SP_DIAGS_MAX);
	cr_assert_eq(d.dropped, 5);
	sp_diags_promote_warnings(&d);
	cr_assert_eq(sp_diags_errors(&d), SP_DIAGS_MAX + 5);
	cr_assert_eq(d.items[0].severity, SP_SEV_ERROR);
	sp_diags_free(&d);
}

Test(diag, no_color_is_honoured)
{
	setenv("NO_COLOR", "1", 1);
	cr_assert_not(sp_want_color(1));
	unsetenv("NO_COLOR");
}

static void check_norm(const char *in, bool dotdot, int want_rc, const char *want)
{
	struct sp_buf b = SP_BUF_INIT(0);
	int rc = sp_path_rel_normalize(in, dotdot, &b);
	cr_assert_eq(rc, want_rc, "normalize(%s) = %d, want %d", in, rc, want_rc);
	if (want)
		cr_assert_str_eq(sp_buf_cstr(&b), want, "normalize(%s)", in);
	sp_buf_free(&b);
}

Test(path, normalize_refuses_escapes)
{
	check_norm("a/./b//c/", false, 0, "a/b/c");
	check_norm("", false, 0, "");
	check_norm("/etc/passwd", false, SP_EUNSAFE, NULL);
	check_norm("../x", false, SP_EUNSAFE, NULL);
	check_norm("a/../b", false, SP_EUNSAFE, NULL);
	check_norm("a/../b", true, 0, "b");
	check_norm("a/b/../../c", true, 0, "c");
	check_norm("a/../../c", true, SP_EUNSAFE, NULL);
	check_norm("a\nb", false, SP_EUNSAFE, NULL);
	check_norm("..", true, SP_EUNSAFE, NULL);
}

Test(path, join_and_links)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_path_join("/srv/root", "var/app/current", &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "/srv/root/var/app/current");
	cr_assert_eq(sp_path_join("/srv/root/", "", &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "/srv/root/");
	cr_assert_eq(sp_path_join("/srv/root", "../etc", &b), SP_EUNSAFE);
	sp_buf_free(&b);
	cr_assert_eq(sp_path_link_stays_inside("a/b/link", "../c"), 0);
	cr_assert_eq(sp_path_link_stays_inside("a/link", "../../etc/passwd"), SP_EUNSAFE);
	cr_assert_eq(sp_path_link_stays_inside("link", "/etc/passwd"), SP_EUNSAFE);
	cr_assert_eq(sp_path_link_stays_inside("link", ".."), SP_EUNSAFE);
}

Test(path, mkdir_p_and_rm_rf_do_not_follow_links)
{
	char root[] = "/tmp/sprout-path-XXXXXX";
	cr_assert_not_null(mkdtemp(root));
	char outside[] = "/tmp/sprout-outside-XXXXXX";
	cr_assert_not_null(mkdtemp(outside));
	char *deep = sp_aprintf("%s/a/b/c", root);
	cr_assert_eq(sp_mkdir_p(deep, 0755), 0);
	char *keep = sp_aprintf("%s/keep", outside);
	FILE *f = fopen(keep, "w");
	cr_assert_not_null(f);
	fclose(f);
	char *link = sp_aprintf("%s/a/out", root);
	cr_assert_eq(symlink(outside, link), 0);
	cr_assert_eq(sp_rm_rf(root), 0);
	struct stat st;
	cr_assert_neq(stat(root, &st), 0);
	cr_assert_eq(stat(keep, &st), 0, "rm_rf followed a symlink out of its root");
	cr_assert_eq(sp_rm_rf(root), 0, "a missing path is not an error");
	sp_rm_rf(outside);
	free(deep);
	free(keep);
	free(link);
}

Test(sha256, known_vectors)
{
	char hex[SP_SHA256_HEX_LEN + 1];
	cr_assert_eq(sp_sha256_hex("", 0, hex), 0);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cr_assert_eq(sp_sha256_hex("abc", 3, hex), 0);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	struct sp_sha256 *h;
	cr_assert_eq(sp_sha256_new(&h), 0);
	sp_sha256_update(h, "a", 1);
	sp_sha256_update(h, "bc", 2);
	cr_assert_eq(sp_sha256_final_hex(h, hex), 0);
	sp_sha256_free(h);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, file)
{
	char path[] = "/tmp/sprout-sha-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_eq(write(fd, "abc", 3), 3);
	close(fd);
	char hex[SP_SHA256_HEX_LEN + 1];
	cr_assert_eq(sp_sha256_file_hex(path, hex), 0);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unlink(path);
	cr_assert_eq(sp_sha256_file_hex(path, hex), SP_EIO);
}
