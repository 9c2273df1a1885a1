/* test_sigv4.c — engine/aws/sigv4.h against the AWS SigV4 test suite
 * (botocore tests/unit/auth/aws4_testsuite, constants in external-apis.md §5.2). The
 * expected signatures are the suite's published ones where it has them, otherwise
 * botocore's SigV4Auth on the same request (tests/integration/test_sigv4_botocore.sh
 * compares the two over hundreds of generated requests). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/aws/sigv4.h"
#include "engine/base/banned.h"

#define DATE "20150830T123600Z"
#define TOKEN                                                                              \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAe" \
	"MicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8ph" \
	"UZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT3" \
	"8xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQ" \
	"wj2ICCR/oLxBA=="

static const struct sp_sigv4_key suite_key = {
	"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"
};

struct vcase {
	const char *name, *method, *path, *query, *body;
	struct sp_http_header extra[4];
	size_t nextra;
	const char *signed_headers, *signature;
};

static const struct vcase cases[] = {
	{ "get-vanilla", "GET", "/", NULL, NULL, { { 0 } }, 0, "host;x-amz-date",
	  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", NULL,
	  { { 0 } }, 0, "host;x-amz-date",
	  "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ "get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=Value1", NULL,
	  { { 0 } }, 0, "host;x-amz-date",
	  "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
	{ "get-vanilla-empty-query-key", "GET", "/", "Param1=value1", NULL, { { 0 } }, 0,
	  "host;x-amz-date", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
	{ "get-vanilla-query-unreserved", "GET", "/",
	  "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
	  "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	  NULL, { { 0 } }, 0, "host;x-amz-date",
	  "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
	{ "get-header-key-duplicate", "GET", "/", NULL, NULL,
	  { { "My-Header1", "value2" }, { "My-Header1", "value2" }, { "My-Header1", "value1" } },
	  3, "host;my-header1;x-amz-date",
	  "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
	{ "get-header-value-trim", "GET", "/", NULL, NULL,
	  { { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" } }, 2,
	  "host;my-header1;my-header2;x-amz-date",
	  "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
	{ "normalize-path/get-relative-relative", "GET", "/example1/example2/../..", NULL, NULL,
	  { { 0 } }, 0, "host;x-amz-date",
	  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "normalize-path/get-slash-dot-slash", "GET", "/./", NULL, NULL, { { 0 } }, 0,
	  "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "normalize-path/get-slashes", "GET", "//example//", NULL, NULL, { { 0 } }, 0,
	  "host;x-amz-date", "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84" },
	{ "get-unreserved", "GET",
	  "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL, NULL,
	  { { 0 } }, 0, "host;x-amz-date",
	  "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
	{ "post-vanilla", "POST", "/", NULL, NULL, { { 0 } }, 0, "host;x-amz-date",
	  "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-header-key-sort", "POST", "/", NULL, NULL, { { "My-Header1", "value1" } }, 1,
	  "host;my-header1;x-amz-date",
	  "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
	{ "post-x-www-form-urlencoded", "POST", "/", NULL, "Param1=value1",
	  { { "Content-Type", "application/x-www-form-urlencoded" } }, 1,
	  "content-type;host;x-amz-date",
	  "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
	{ "get-vanilla-with-session-token", "GET", "/", NULL, NULL,
	  { { "X-Amz-Security-Token", TOKEN } }, 1, "host;x-amz-date;x-amz-security-token",
	  "c8db8b9676d526f735dac5330f17623554c6cad1e2980d321903e9a3884c051b" },
};

static void sign_case(const struct vcase *c, struct sp_buf *auth, struct sp_buf *creq,
		      struct sp_buf *sts)
{
	struct sp_http_header h[8];
	size_t n = 0;
	h[n++] = (struct sp_http_header){ "Host", "example.amazonaws.com" };
	for (size_t i = 0; i < c->nextra; i++)
		h[n++] = c->extra[i];
	h[n++] = (struct sp_http_header){ "X-Amz-Date", DATE };
	struct sp_sigv4_request r = { c->method, c->path, c->query, h, n, c->body,
				      c->body ? strlen(c->body) : 0 };
	struct sp_sigv4_debug dbg = { creq, sts };
	cr_assert_eq(sp_sigv4_sign(&r, &suite_key, DATE, auth, &dbg), 0, "%s", c->name);
}

Test(sigv4, aws_test_suite_cases)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_buf auth = SP_BUF_INIT(0), creq = SP_BUF_INIT(0), sts = SP_BUF_INIT(0);
		sign_case(&cases[i], &auth, &creq, &sts);
		char want[512];
		snprintf(want, sizeof(want),
			 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
			 "aws4_request, SignedHeaders=%s, Signature=%s",
			 cases[i].signed_headers, cases[i].signature);
		cr_expect_str_eq(sp_buf_cstr(&auth), want, "%s", cases[i].name);
		sp_buf_free(&auth);
		sp_buf_free(&creq);
		sp_buf_free(&sts);
	}
}

Test(sigv4, get_vanilla_canonical_request_and_string_to_sign)
{
	struct sp_buf auth = SP_BUF_INIT(0), creq = SP_BUF_INIT(0), sts = SP_BUF_INIT(0);
	sign_case(&cases[0], &auth, &creq, &sts);
	cr_assert_str_eq(sp_buf_cstr(&creq),
			 "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
			 "host;x-amz-date\n"
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cr_assert_str_eq(sp_buf_cstr(&sts),
			 "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
			 "aws4_request\n"
			 "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
	sp_buf_free(&auth);
	sp_buf_free(&creq);
	sp_buf_free(&sts);
}

Test(sigv4, path_is_double_encoded_and_query_sorted_as_sent)
{
	struct sp_buf auth = SP_BUF_INIT(0), creq = SP_BUF_INIT(0);
	struct sp_http_header h[] = { { "host", "h" }, { "X-Amz-Date", DATE },
				      { "User-Agent", "not signed" }, { "Expect", "100-continue" } };
	struct sp_sigv4_request r = { "get", "/a b/%41/./c/../d", "b=2&a&a=1&A=%20", h, 4, NULL, 0 };
	struct sp_sigv4_debug dbg = { &creq, NULL };
	cr_assert_eq(sp_sigv4_sign(&r, &suite_key, DATE, &auth, &dbg), 0);
	cr_assert_str_eq(sp_buf_cstr(&creq),
			 "GET\n/a%20b/%2541/d\nA=%20&a=&a=1&b=2\nhost:h\nx-amz-date:" DATE
			 "\n\nhost;x-amz-date\n"
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sp_buf_free(&auth);
	sp_buf_free(&creq);
}

Test(sigv4, content_sha256_header_replaces_the_body_hash)
{
	struct sp_buf auth = SP_BUF_INIT(0), creq = SP_BUF_INIT(0);
	struct sp_http_header h[] = { { "Host", "h" }, { "X-Amz-Date", DATE },
				      { "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD" } };
	struct sp_sigv4_request r = { "PUT", "", NULL, h, 3, "x", 1 };
	struct sp_sigv4_debug dbg = { &creq, NULL };
	cr_assert_eq(sp_sigv4_sign(&r, &suite_key, DATE, &auth, &dbg), 0);
	cr_assert(strstr(sp_buf_cstr(&creq), "PUT\n/\n\n") == sp_buf_cstr(&creq));
	cr_assert(strstr(sp_buf_cstr(&creq), "\nUNSIGNED-PAYLOAD") != NULL);
	sp_buf_free(&auth);
	sp_buf_free(&creq);
}

Test(sigv4, refuses_bad_input_and_never_echoes_the_secret)
{
	struct sp_buf auth = SP_BUF_INIT(0);
	struct sp_http_header h[] = { { "Host", "h" } };
	struct sp_sigv4_request r = { "GET", "/", NULL, h, 1, NULL, 0 };
	cr_assert_eq(sp_sigv4_sign(&r, &suite_key, "2015-08-30", &auth, NULL), SP_EINVAL);
	struct sp_http_header bad[] = { { "Bad Name", "v" } };
	struct sp_sigv4_request rb = { "GET", "/", NULL, bad, 1, NULL, 0 };
	cr_assert_eq(sp_sigv4_sign(&rb, &suite_key, DATE, &auth, NULL), SP_EINVAL);
	cr_assert_eq(auth.len, 0);
	struct sp_http_header many[SP_SIGV4_MAX_HEADERS + 1];
	for (size_t i = 0; i <= SP_SIGV4_MAX_HEADERS; i++)
		many[i] = (struct sp_http_header){ "X-A", "b" };
	struct sp_sigv4_request rm = { "GET", "/", NULL, many, SP_SIGV4_MAX_HEADERS + 1, NULL, 0 };
	cr_assert_eq(sp_sigv4_sign(&rm, &suite_key, DATE, &auth, NULL), SP_ETOOBIG);
	struct sp_buf q = SP_BUF_INIT(0);
	for (size_t i = 0; i <= SP_SIGV4_MAX_QUERY_PAIRS; i++)
		cr_assert_eq(sp_buf_puts(&q, i ? "&a=b" : "a=b"), 0);
	struct sp_sigv4_request rq = { "GET", "/", sp_buf_cstr(&q), h, 1, NULL, 0 };
	cr_assert_eq(sp_sigv4_sign(&rq, &suite_key, DATE, &auth, NULL), SP_ETOOBIG);
	sp_buf_free(&q);
	cr_assert_eq(sp_sigv4_sign(&r, &suite_key, DATE, &auth, NULL), 0);
	cr_assert_null(strstr(sp_buf_cstr(&auth), suite_key.secret_access_key));
	sp_buf_free(&auth);
}

Test(sigv4, date_and_uri_encoding_helpers)
{
	char d[SP_SIGV4_DATE_LEN + 1];
	cr_assert_eq(sp_sigv4_format_date(1440938160, d), 0);
	cr_assert_str_eq(d, DATE);
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_sigv4_uri_encode(&b, "a b/~\xe1\x88\xb4+", 9, 0), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "a%20b%2F~%E1%88%B4%2B");
	sp_buf_free(&b);
}
