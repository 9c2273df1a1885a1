/* test_base64.c — base64.h: RFC 4648 §10 vectors, strict and line-wrapped decoding,
 * invalid input, the buffer cap. */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/base/base64.h"
#include "engine/base/buf.h"
#include "engine/base/banned.h"

static const struct {
	const char *plain, *encoded;
} rfc4648_vectors[] = {
	{ "", "" },           { "f", "Zg==" },         { "fo", "Zm8=" },
	{ "foo", "Zm9v" },    { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

Test(base64, rfc4648_vectors_encode_and_decode)
{
	for (size_t i = 0; i < sizeof(rfc4648_vectors) / sizeof(rfc4648_vectors[0]); i++) {
		const char *p = rfc4648_vectors[i].plain, *e = rfc4648_vectors[i].encoded;
		struct sp_buf enc = SP_BUF_INIT(0), dec = SP_BUF_INIT(0), sp = SP_BUF_INIT(0);
		cr_assert_eq(sp_base64_encode(p, strlen(p), &enc), 0);
		cr_assert_str_eq(sp_buf_cstr(&enc), e);
		cr_assert_eq(sp_base64_decode(e, strlen(e), &dec), 0);
		cr_assert_str_eq(sp_buf_cstr(&dec), p);
		cr_assert_eq(sp_base64_decode_spaced(e, strlen(e), &sp), 0);
		cr_assert_str_eq(sp_buf_cstr(&sp), p);
		sp_buf_free(&enc);
		sp_buf_free(&dec);
		sp_buf_free(&sp);
	}
}

Test(base64, whitespace_only_when_spaced)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_base64_decode("Zm9v\nYmFy", 9, &b), SP_EINVAL);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(sp_base64_decode_spaced(" Zm9v\r\n\tYmFy\n", 13, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "foobar");
	sp_buf_free(&b);
}

Test(base64, invalid_input_is_refused_and_leaves_out_unchanged)
{
	static const char *const bad[] = {
		"Z",        /* one leftover character */
		"Zm9vY",    /* five */
		"Zg=",      /* padding that does not complete a group */
		"Zg===",    /* three '=' */
		"Z=g=",     /* data after padding */
		"Zm9v!",    /* not in the alphabet */
		"Zm-_",     /* the URL-safe alphabet */
	};
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_buf_puts(&b, "kept"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(sp_base64_decode(bad[i], strlen(bad[i]), &b), SP_EINVAL, "%s", bad[i]);
		cr_assert_eq(sp_base64_decode_spaced(bad[i], strlen(bad[i]), &b), SP_EINVAL, "%s",
			     bad[i]);
	}
	cr_assert_str_eq(sp_buf_cstr(&b), "kept");
	sp_buf_free(&b);
}

Test(base64, decode_respects_the_buffer_cap)
{
	struct sp_buf b = SP_BUF_INIT(5);
	cr_assert_eq(sp_base64_decode("Zm9vYmFy", 8, &b), SP_ETOOBIG);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(sp_base64_decode("Zm9vYmE=", 8, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "fooba");
	sp_buf_free(&b);
}
