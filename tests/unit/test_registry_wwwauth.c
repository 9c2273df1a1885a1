/* test_registry_wwwauth.c — WWW-Authenticate challenge parsing (www_authenticate.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/registry/www_authenticate.h"
#include "engine/base/banned.h"

static int parse(const char *s, struct sp_wwwauth *w)
{
	return sp_wwwauth_parse(s, strlen(s), w);
}

Test(wwwauth, bearer_with_quoted_commas_in_scope)
{
	struct sp_wwwauth w = { 0 };
	cr_assert_eq(parse("Bearer realm=\"http://127.0.0.1:5056/token\",service=\"my-registry\","
			   "scope=\"repository:myorg/app:pull,push\"", &w), 0);
	cr_assert_eq(w.n, 1);
	const struct sp_wwwauth_challenge *b = sp_wwwauth_find(&w, "bearer");
	cr_assert_not_null(b);
	cr_assert_str_eq(sp_wwwauth_param(b, "realm"), "http://127.0.0.1:5056/token");
	cr_assert_str_eq(sp_wwwauth_param(b, "Service"), "my-registry");
	cr_assert_str_eq(sp_wwwauth_param(b, "scope"), "repository:myorg/app:pull,push");
	sp_wwwauth_release(&w);
}

Test(wwwauth, basic_realm)
{
	struct sp_wwwauth w = { 0 };
	cr_assert_eq(parse("Basic realm=\"test-realm\"", &w), 0);
	cr_assert_eq(w.n, 1);
	cr_assert_str_eq(w.challenges[0].scheme, "Basic");
	cr_assert_str_eq(sp_wwwauth_param(&w.challenges[0], "realm"), "test-realm");
	sp_wwwauth_release(&w);
}

Test(wwwauth, several_challenges_in_one_header_rfc7235_example)
{
	struct sp_wwwauth w = { 0 };
	cr_assert_eq(parse("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
			   "Basic realm=\"simple\"", &w), 0);
	cr_assert_eq(w.n, 2);
	cr_assert_str_eq(w.challenges[0].scheme, "Newauth");
	cr_assert_eq(w.challenges[0].n_params, 3);
	cr_assert_str_eq(sp_wwwauth_param(&w.challenges[0], "type"), "1");
	cr_assert_str_eq(sp_wwwauth_param(&w.challenges[0], "title"), "Login to \"apps\"");
	cr_assert_str_eq(sp_wwwauth_param(sp_wwwauth_find(&w, "basic"), "realm"), "simple");
	sp_wwwauth_release(&w);
}

Test(wwwauth, token68_and_bare_scheme)
{
	struct sp_wwwauth w = { 0 };
	cr_assert_eq(parse("Negotiate abc+/def==, Bearer", &w), 0);
	cr_assert_eq(w.n, 2);
	cr_assert_str_eq(w.challenges[0].token68, "abc+/def==");
	cr_assert_str_eq(w.challenges[1].scheme, "Bearer");
	cr_assert_eq(w.challenges[1].n_params, 0);
	sp_wwwauth_release(&w);
}

Test(wwwauth, whitespace_around_equals_and_empty_elements)
{
	struct sp_wwwauth w = { 0 };
	cr_assert_eq(parse(" ,Bearer  realm = \"r\" ,, service=s , ", &w), 0);
	cr_assert_eq(w.n, 1);
	cr_assert_str_eq(sp_wwwauth_param(&w.challenges[0], "realm"), "r");
	cr_assert_str_eq(sp_wwwauth_param(&w.challenges[0], "service"), "s");
	sp_wwwauth_release(&w);
}

Test(wwwauth, empty_quoted_value)
{
	struct sp_wwwauth w = { 0 };
	cr_assert_eq(parse("Bearer realm=\"\"", &w), 0);
	cr_assert_str_eq(sp_wwwauth_param(&w.challenges[0], "realm"), "");
	sp_wwwauth_release(&w);
}

Test(wwwauth, malformed_inputs_are_refused)
{
	const char *bad[] = {
		"realm=\"x\"",                 /* parameter without a scheme */
		"Bearer realm=\"unterminated", /* open quote */
		"Bearer realm=\"a\", service=", /* no value */
		"Bearer realm=\"a\" junk",     /* garbage after a value */
		"Bearer realm=\"a\x01\"",      /* control character */
		"\"Bearer\"",                  /* not a token */
		"Bearer realm=a\"b",           /* quote inside a token */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sp_wwwauth w = { 0 };
		cr_expect_eq(parse(bad[i], &w), SP_EINVAL, "accepted: %s", bad[i]);
		cr_expect_eq(w.n, 0);
	}
}

Test(wwwauth, nul_byte_is_refused)
{
	struct sp_wwwauth w = { 0 };
	cr_assert_eq(sp_wwwauth_parse("Basic realm=\"a\0b\"", 17, &w), SP_EINVAL);
}

Test(wwwauth, limits_are_enforced)
{
	struct sp_wwwauth w = { 0 };
	char big[SP_WWWAUTH_MAX_LEN + 2];
	memset(big, 'a', sizeof(big));
	cr_assert_eq(sp_wwwauth_parse(big, sizeof(big), &w), SP_ETOOBIG);

	char many[2048] = "Bearer ";
	for (int i = 0; i <= SP_WWWAUTH_MAX_PARAMS; i++) {
		char p[16];
		snprintf(p, sizeof(p), "p%d=v,", i);
		memcpy(many + strlen(many), p, strlen(p) + 1);
	}
	cr_assert_eq(parse(many, &w), SP_ETOOBIG);

	char chal[2048] = "";
	for (int i = 0; i <= SP_WWWAUTH_MAX_CHALLENGES; i++)
		memcpy(chal + strlen(chal), "Basic, ", 8);
	cr_assert_eq(parse(chal, &w), SP_ETOOBIG);
	cr_assert_eq(w.n, 0);
}

Test(wwwauth, exactly_at_the_limits_is_fine)
{
	struct sp_wwwauth w = { 0 };
	char many[2048] = "Bearer ";
	for (int i = 0; i < SP_WWWAUTH_MAX_PARAMS; i++) {
		char p[16];
		snprintf(p, sizeof(p), "p%d=v,", i);
		memcpy(many + strlen(many), p, strlen(p) + 1);
	}
	cr_assert_eq(parse(many, &w), 0);
	cr_assert_eq(w.challenges[0].n_params, SP_WWWAUTH_MAX_PARAMS);
	sp_wwwauth_release(&w);
}
