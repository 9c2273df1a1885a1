/* test_session.c — the console's session table (engine/api/session.h): creation, lookup,
 * idle and absolute expiry, token rotation, sign-out, the MAX_SESSIONS limit, CSRF
 * comparison and cookie parsing; and where the console's files are found. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/api/api.h"
#include "engine/api/session.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

#define T0 ((int64_t)1800000000000)
#define SEC ((int64_t)1000)

static struct sp_sessions *s;

static void setup(void)
{
	cr_assert_eq(sp_sessions_new(&s), 0);
}

static void teardown(void)
{
	sp_sessions_free(s);
}

TestSuite(session, .init = setup, .fini = teardown);

Test(session, created_then_found_with_its_csrf)
{
	struct sp_session_info a, b;
	cr_assert_eq(sp_session_create(s, "tag", T0, &a), 0);
	cr_assert_eq(strlen(a.id), SP_SESSION_SECRET_LEN);
	cr_assert_eq(strlen(a.csrf), SP_SESSION_SECRET_LEN);
	cr_assert_str_neq(a.id, a.csrf);
	cr_assert_eq(strspn(a.id, "0123456789abcdef"), SP_SESSION_SECRET_LEN);
	cr_assert_eq(a.expires_ms, T0 + SP_SESSION_MAX_AGE_S * SEC);
	cr_assert_eq(sp_session_lookup(s, a.id, strlen(a.id), "tag", T0 + SEC, &b), 0);
	cr_assert_str_eq(b.csrf, a.csrf);
	cr_assert(sp_session_csrf_valid(&b, a.csrf));
	cr_assert_not(sp_session_csrf_valid(&b, NULL));
	cr_assert_not(sp_session_csrf_valid(&b, ""));
	cr_assert_not(sp_session_csrf_valid(&b, a.id));
	char shorter[SP_SESSION_SECRET_LEN];
	memcpy(shorter, a.csrf, sizeof(shorter) - 1);
	shorter[sizeof(shorter) - 1] = '\0';
	cr_assert_not(sp_session_csrf_valid(&b, shorter));
}

Test(session, two_sign_ins_get_different_secrets)
{
	struct sp_session_info a, b;
	cr_assert_eq(sp_session_create(s, "tag", T0, &a), 0);
	cr_assert_eq(sp_session_create(s, "tag", T0, &b), 0);
	cr_assert_str_neq(a.id, b.id);
	cr_assert_str_neq(a.csrf, b.csrf);
	cr_assert_eq(sp_sessions_count(s), 2);
}

Test(session, unknown_or_malformed_ids_are_not_found)
{
	struct sp_session_info a, b;
	cr_assert_eq(sp_session_create(s, "tag", T0, &a), 0);
	char other[SP_SESSION_SECRET_LEN + 1];
	memcpy(other, a.id, sizeof(other));
	other[0] = other[0] == 'a' ? 'b' : 'a';
	cr_assert_eq(sp_session_lookup(s, other, strlen(other), "tag", T0, &b), SP_ENOTFOUND);
	cr_assert_eq(sp_session_lookup(s, a.id, 10, "tag", T0, &b), SP_ENOTFOUND);
	cr_assert_eq(sp_session_lookup(s, "", 0, "tag", T0, &b), SP_ENOTFOUND);
}

Test(session, idle_expiry_and_use_keeps_it_alive)
{
	struct sp_session_info a, b;
	int64_t idle = SP_SESSION_IDLE_S * SEC;
	cr_assert_eq(sp_session_create(s, "tag", T0, &a), 0);
	/* used just before the idle limit: stays alive, the idle clock restarts */
	cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "tag", T0 + idle - SEC, &b), 0);
	cr_assert_eq(b.idle_expires_ms, T0 + idle - SEC + idle);
	cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "tag", T0 + 2 * idle - 2 * SEC, &b), 0);
	/* then idle for the whole limit: gone, and removed */
	cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "tag", T0 + 4 * idle, &b),
		     SP_ENOTFOUND);
	cr_assert_eq(sp_sessions_count(s), 0);
}

Test(session, absolute_expiry_even_when_used)
{
	struct sp_session_info a, b;
	int64_t step = (SP_SESSION_IDLE_S / 2) * SEC;
	cr_assert_eq(sp_session_create(s, "tag", T0, &a), 0);
	int64_t t = T0;
	while (t + step < T0 + SP_SESSION_MAX_AGE_S * SEC) {
		t += step;
		cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "tag", t, &b), 0);
	}
	cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "tag",
				       T0 + SP_SESSION_MAX_AGE_S * SEC, &b), SP_ENOTFOUND);
}

Test(session, a_clock_going_backwards_ends_it)
{
	struct sp_session_info a, b;
	cr_assert_eq(sp_session_create(s, "tag", T0, &a), 0);
	cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "tag", T0 - SEC, &b),
		     SP_ENOTFOUND);
}

Test(session, rotating_the_token_ends_it)
{
	struct sp_session_info a, b;
	cr_assert_eq(sp_session_create(s, "old-token-sha", T0, &a), 0);
	cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "new-token-sha", T0, &b),
		     SP_ENOTFOUND);
	/* and it stays gone when asked again with the old fingerprint */
	cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "old-token-sha", T0, &b),
		     SP_ENOTFOUND);
}

Test(session, sign_out_ends_only_that_one)
{
	struct sp_session_info a, b, c;
	cr_assert_eq(sp_session_create(s, "tag", T0, &a), 0);
	cr_assert_eq(sp_session_create(s, "tag", T0, &b), 0);
	cr_assert_eq(sp_session_end(s, a.id, SP_SESSION_SECRET_LEN), 0);
	cr_assert_eq(sp_session_end(s, a.id, SP_SESSION_SECRET_LEN), SP_ENOTFOUND);
	cr_assert_eq(sp_session_lookup(s, a.id, SP_SESSION_SECRET_LEN, "tag", T0, &c), SP_ENOTFOUND);
	cr_assert_eq(sp_session_lookup(s, b.id, SP_SESSION_SECRET_LEN, "tag", T0, &c), 0);
}

Test(session, token_tag_longer_than_a_secret_is_refused)
{
	struct sp_session_info a;
	char tag[SP_SESSION_SECRET_LEN + 2];
	memset(tag, 'x', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	cr_assert_eq(sp_session_create(s, tag, T0, &a), SP_EINVAL);
}

/* MAX_SESSIONS crossed: the least recently used session makes room. */
Test(session, full_table_drops_the_least_recently_used)
{
	static struct sp_session_info all[MAX_SESSIONS];
	struct sp_session_info extra, b;
	for (int i = 0; i < MAX_SESSIONS; i++)
		cr_assert_eq(sp_session_create(s, "tag", T0 + i, &all[i]), 0);
	cr_assert_eq(sp_sessions_count(s), MAX_SESSIONS);
	/* session 0 is used again, so session 1 is now the least recently used */
	cr_assert_eq(sp_session_lookup(s, all[0].id, SP_SESSION_SECRET_LEN, "tag", T0 + 1000, &b), 0);
	cr_assert_eq(sp_session_create(s, "tag", T0 + 1001, &extra), 0);
	cr_assert_eq(sp_sessions_count(s), MAX_SESSIONS);
	cr_assert_eq(sp_session_lookup(s, all[1].id, SP_SESSION_SECRET_LEN, "tag", T0 + 1002, &b),
		     SP_ENOTFOUND);
	cr_assert_eq(sp_session_lookup(s, all[0].id, SP_SESSION_SECRET_LEN, "tag", T0 + 1002, &b), 0);
	cr_assert_eq(sp_session_lookup(s, extra.id, SP_SESSION_SECRET_LEN, "tag", T0 + 1002, &b), 0);
}

Test(session, expired_sessions_are_swept_before_anyone_is_evicted)
{
	struct sp_session_info a, b, c;
	cr_assert_eq(sp_session_create(s, "tag", T0, &a), 0);
	cr_assert_eq(sp_session_create(s, "tag", T0 + SP_SESSION_IDLE_S * SEC + SEC, &b), 0);
	cr_assert_eq(sp_sessions_count(s), 1);
	cr_assert_eq(sp_session_lookup(s, b.id, SP_SESSION_SECRET_LEN, "tag",
				       T0 + SP_SESSION_IDLE_S * SEC + 2 * SEC, &c), 0);
}

Test(session, cookie_header_parsing)
{
	const char *v;
	size_t n;
	cr_assert_eq(sp_cookie_find("sprout_session=abc", "sprout_session", &v, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(strncmp(v, "abc", n), 0);
	cr_assert_eq(sp_cookie_find("a=1; sprout_session=xyz; b=2", "sprout_session", &v, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(strncmp(v, "xyz", n), 0);
	cr_assert_eq(sp_cookie_find("a=1;sprout_session=\"q\" ", "sprout_session", &v, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0], 'q');
	/* a longer name that starts the same is another cookie */
	cr_assert_eq(sp_cookie_find("sprout_session2=x", "sprout_session", &v, &n), SP_ENOTFOUND);
	cr_assert_eq(sp_cookie_find("xsprout_session=x", "sprout_session", &v, &n), SP_ENOTFOUND);
	cr_assert_eq(sp_cookie_find("", "sprout_session", &v, &n), SP_ENOTFOUND);
	cr_assert_eq(sp_cookie_find(NULL, "sprout_session", &v, &n), SP_ENOTFOUND);
	cr_assert_eq(sp_cookie_find("sprout_session=", "sprout_session", &v, &n), 0);
	cr_assert_eq(n, 0);
}

/* MAX_COOKIE_HEADER crossed: the header is ignored. */
Test(session, overlong_cookie_header_is_ignored)
{
	static char h[MAX_COOKIE_HEADER + 64];
	const char *v;
	size_t n;
	memset(h, 'a', sizeof(h) - 1);
	h[sizeof(h) - 1] = '\0';
	memcpy(h, "sprout_session=x; b=", 20);
	cr_assert_eq(sp_cookie_find(h, "sprout_session", &v, &n), SP_ENOTFOUND);
	h[MAX_COOKIE_HEADER] = '\0';
	cr_assert_eq(sp_cookie_find(h, "sprout_session", &v, &n), 0);
}

/* --- where the console's files are ----------------------------------------------------- */

static char root[64];

static void mk(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	cr_assert_eq(sp_mkdir_p(p, 0755), 0);
}

static void touch(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs("<!doctype html>", f);
	fclose(f);
}

static void web_setup(void)
{
	snprintf(root, sizeof(root), "/tmp/sprout-web-test.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static void web_teardown(void)
{
	sp_rm_rf(root);
}

TestSuite(web_dir, .init = web_setup, .fini = web_teardown);

Test(web_dir, option_wins_and_must_hold_index_html)
{
	struct sp_buf out = SP_BUF_INIT(4096);
	char p[256];
	mk("mine");
	snprintf(p, sizeof(p), "%s/mine", root);
	cr_assert_eq(sp_web_dir_resolve(p, NULL, &out), SP_ENOTFOUND);
	touch("mine/index.html");
	cr_assert_eq(sp_web_dir_resolve(p, NULL, &out), 0);
	cr_assert_str_eq(sp_buf_cstr(&out), p);
	sp_buf_free(&out);
}

Test(web_dir, installed_layout_then_source_tree)
{
	struct sp_buf out = SP_BUF_INIT(4096);
	char exe[256], want[256];
	mk("prefix/bin");
	mk("prefix/web");
	touch("prefix/web/index.html");
	snprintf(exe, sizeof(exe), "%s/prefix/bin/sprout", root);
	/* only the source-tree layout: <exe dir>/../web */
	cr_assert_eq(sp_web_dir_resolve(NULL, exe, &out), 0);
	snprintf(want, sizeof(want), "%s/prefix/web", root);
	cr_assert_str_eq(sp_buf_cstr(&out), want);
	/* the installed layout is preferred */
	mk("prefix/share/sprout/web");
	touch("prefix/share/sprout/web/index.html");
	cr_assert_eq(sp_web_dir_resolve(NULL, exe, &out), 0);
	snprintf(want, sizeof(want), "%s/prefix/share/sprout/web", root);
	cr_assert_str_eq(sp_buf_cstr(&out), want);
	sp_buf_free(&out);
}
