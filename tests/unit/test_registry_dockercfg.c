/* test_registry_dockercfg.c — credentials from docker config.json / .dockercfg, base64,
 * token answers. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/registry/registry_internal.h"
#include "engine/base/banned.h"

static int lookup(const char *json, const char *host, struct sp_registry_credentials *c,
		  const char **why)
{
	return sp_dockercfg_lookup(json, strlen(json), host, c, why);
}

/* base64("alice:s3cr:et") = YWxpY2U6czNjcjpldA== */
Test(dockercfg, config_json_auths_by_host)
{
	struct sp_registry_credentials c = { 0 };
	cr_assert_eq(lookup("{\"auths\":{\"other:1\":{\"auth\":\"eDp5\"},"
			    "\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6czNjcjpldA==\"}}}",
			    "127.0.0.1:5000", &c, NULL), 0);
	cr_assert_str_eq(c.username, "alice");
	cr_assert_str_eq(c.password, "s3cr:et"); /* split on the first ':' */
	sp_registry_credentials_release(&c);
	cr_assert_null(c.username);
}

Test(dockercfg, legacy_dockercfg_and_url_keys)
{
	struct sp_registry_credentials c = { 0 };
	cr_assert_eq(lookup("{\"https://reg.example.com/v1/\":{\"auth\":\"YWxpY2U6czNjcjpldA==\","
			    "\"email\":\"a@b\"}}", "reg.example.com", &c, NULL), 0);
	cr_assert_str_eq(c.username, "alice");
	sp_registry_credentials_release(&c);
}

Test(dockercfg, docker_hub_aliases)
{
	struct sp_registry_credentials c = { 0 };
	cr_assert_eq(lookup("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"YWxpY2U6czNjcjpldA==\"}}}",
			    "docker.io", &c, NULL), 0);
	sp_registry_credentials_release(&c);
}

Test(dockercfg, username_password_fields)
{
	struct sp_registry_credentials c = { 0 };
	cr_assert_eq(lookup("{\"auths\":{\"h:1\":{\"username\":\"u\",\"password\":\"p\"}}}", "h:1",
			    &c, NULL), 0);
	cr_assert_str_eq(c.username, "u");
	cr_assert_str_eq(c.password, "p");
	sp_registry_credentials_release(&c);
}

Test(dockercfg, no_entry_is_not_found)
{
	struct sp_registry_credentials c = { 0 };
	cr_assert_eq(lookup("{\"auths\":{\"a:1\":{\"auth\":\"YWxpY2U6czNjcjpldA==\"}}}", "a:2", &c,
			    NULL), SP_ENOTFOUND);
	cr_assert_eq(lookup("{\"auths\":{}}", "a", &c, NULL), SP_ENOTFOUND);
	cr_assert_null(c.username);
}

Test(dockercfg, malformed_objects_never_quote_the_secret)
{
	const char *bad[] = {
		"not json",
		"[]",
		"{\"auths\":[]}",
		"{\"auths\":{\"h\":{\"auth\":\"!!!SECRETVALUE!!!\"}}}",
		"{\"auths\":{\"h\":{\"auth\":\"U0VDUkVUVkFMVUU=\"}}}", /* "SECRETVALUE": no ':' */
		"{\"auths\":{\"h\":{\"auth\":\"OlNFQ1JFVFZBTFVF\"}}}", /* ":SECRETVALUE": no user */
		"{\"auths\":{\"h\":{\"identitytoken\":\"SECRETVALUE\"}}}",
		"{\"auths\":{\"h\":\"SECRETVALUE\"}}",
		"{\"credsStore\":\"desktop\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sp_registry_credentials c = { 0 };
		const char *why = NULL;
		cr_expect_eq(lookup(bad[i], "h", &c, &why), SP_EINVAL, "case %zu", i);
		cr_expect_not_null(why);
		if (why)
			cr_expect_null(strstr(why, "SECRET"), "case %zu leaks: %s", i, why);
		cr_expect_null(c.username);
	}
}

Test(dockercfg, size_limit)
{
	size_t n = SP_REGISTRY_MAX_CONFIG + 1;
	char *big = malloc(n);
	cr_assert_not_null(big);
	memset(big, ' ', n);
	struct sp_registry_credentials c = { 0 };
	cr_assert_eq(sp_dockercfg_lookup(big, n, "h", &c, NULL), SP_ETOOBIG);
	free(big);
}

Test(base64, decode_and_encode_round_trip)
{
	struct sp_buf b = SP_BUF_INIT(0), e = SP_BUF_INIT(0);
	cr_assert_eq(sp_base64_decode("YWxpY2U6czNjcjpldA==", 20, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "alice:s3cr:et");
	cr_assert_eq(sp_base64_encode(b.data, b.len, &e), 0);
	cr_assert_str_eq(sp_buf_cstr(&e), "YWxpY2U6czNjcjpldA==");
	sp_buf_reset(&b);
	cr_assert_eq(sp_base64_decode("YQ", 2, &b), 0); /* unpadded */
	cr_assert_str_eq(sp_buf_cstr(&b), "a");
	cr_assert_eq(sp_base64_decode("Y", 1, &b), SP_EINVAL);
	cr_assert_eq(sp_base64_decode("Y=Q=", 4, &b), SP_EINVAL);
	cr_assert_eq(sp_base64_decode("YQ-_", 4, &b), SP_EINVAL); /* URL alphabet */
	sp_buf_free(&b);
	sp_buf_free(&e);
}

Test(token, token_or_access_token_and_expiry)
{
	char *t = NULL;
	long e = 0;
	const char *a = "{\"token\":\"abc\",\"expires_in\":300}";
	cr_assert_eq(sp_registry_parse_token(a, strlen(a), &t, &e), 0);
	cr_assert_str_eq(t, "abc");
	cr_assert_eq(e, 300);
	free(t);
	const char *b = "{\"access_token\":\"xyz\"}";
	cr_assert_eq(sp_registry_parse_token(b, strlen(b), &t, &e), 0);
	cr_assert_str_eq(t, "xyz");
	cr_assert_eq(e, SP_REGISTRY_DEFAULT_TOKEN_TTL);
	free(t);
	const char *c = "{\"token\":\"\",\"access_token\":\"q\",\"expires_in\":-4}";
	cr_assert_eq(sp_registry_parse_token(c, strlen(c), &t, &e), 0);
	cr_assert_str_eq(t, "q");
	cr_assert_eq(e, SP_REGISTRY_DEFAULT_TOKEN_TTL);
	free(t);
}

Test(token, unusable_answers)
{
	char *t = NULL;
	long e = 0;
	const char *bad[] = { "{}", "[]", "nope", "{\"token\":5}", "{\"token\":\"a\\r\\nX: y\"}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(sp_registry_parse_token(bad[i], strlen(bad[i]), &t, &e), SP_EINVAL,
			     "%s", bad[i]);
	size_t n = SP_REGISTRY_MAX_TOKEN + 32;
	char *big = malloc(n);
	cr_assert_not_null(big);
	memcpy(big, "{\"token\":\"", 10);
	memset(big + 10, 'a', n - 13);
	memcpy(big + n - 3, "\"}", 3);
	cr_assert_eq(sp_registry_parse_token(big, strlen(big), &t, &e), SP_ETOOBIG);
	free(big);
}
