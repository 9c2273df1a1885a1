/* test_store_api.c — the API's pieces that need no socket: the admin token file (created
 * once, mode 0600, rotated atomically), constant-time comparison, listen addresses. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/api/api.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sprout-api-test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	sp_rm_rf(dir);
}

TestSuite(api_token, .init = setup, .fini = teardown);

Test(api_token, created_once_with_mode_0600_and_rotated)
{
	char a[SP_TOKEN_HEX_LEN + 1], b[SP_TOKEN_HEX_LEN + 1], c[SP_TOKEN_HEX_LEN + 1];
	char sub[128], path[160];
	snprintf(sub, sizeof(sub), "%s/data", dir);
	snprintf(path, sizeof(path), "%s/admin.token", sub);
	cr_assert_eq(sp_admin_token_ensure(sub, a), 0);
	cr_expect_eq(strlen(a), SP_TOKEN_HEX_LEN);
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(sp_admin_token_ensure(sub, b), 0);
	cr_expect_str_eq(a, b, "the token stays until rotated");
	cr_assert_eq(sp_admin_token_rotate(sub, c), 0);
	cr_expect_str_neq(a, c);
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(sp_admin_token_ensure(sub, b), 0);
	cr_expect_str_eq(b, c);
	/* no temp file is left behind */
	char tmpl[200];
	snprintf(tmpl, sizeof(tmpl), "ls -A %s | grep -c . | grep -qx 1", sub);
	cr_expect_eq(system(tmpl), 0);
}

Test(api_token, a_damaged_token_file_is_an_error)
{
	char path[160], tok[SP_TOKEN_HEX_LEN + 1];
	snprintf(path, sizeof(path), "%s/admin.token", dir);
	FILE *f = fopen(path, "w");
	fputs("not a token\n", f);
	fclose(f);
	cr_expect_eq(sp_admin_token_ensure(dir, tok), SP_EINVAL);
}

Test(api_token, constant_time_compare)
{
	const char *t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	cr_expect(sp_token_equal(t, strlen(t), t));
	cr_expect(!sp_token_equal(t, strlen(t) - 1, t));
	cr_expect(!sp_token_equal("", 0, t));
	char other[SP_TOKEN_HEX_LEN + 2];
	memcpy(other, t, SP_TOKEN_HEX_LEN + 1);
	other[SP_TOKEN_HEX_LEN - 1] = '0';
	cr_expect(!sp_token_equal(other, SP_TOKEN_HEX_LEN, t));
	memcpy(other, t, SP_TOKEN_HEX_LEN);
	other[SP_TOKEN_HEX_LEN] = 'x';
	other[SP_TOKEN_HEX_LEN + 1] = '\0';
	cr_expect(!sp_token_equal(other, SP_TOKEN_HEX_LEN + 1, t), "a longer token is wrong");
}

Test(api_token, listen_addresses)
{
	struct sp_buf host = SP_BUF_INIT(256);
	uint16_t port = 0;
	cr_assert_eq(sp_listen_parse("127.0.0.1:4780", &host, &port), 0);
	cr_expect_str_eq(sp_buf_cstr(&host), "127.0.0.1");
	cr_expect_eq(port, 4780);
	cr_assert_eq(sp_listen_parse("[::1]:8080", &host, &port), 0);
	cr_expect_str_eq(sp_buf_cstr(&host), "::1");
	cr_expect_eq(port, 8080);
	const char *bad[] = { "", "127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:65536",
			      "127.0.0.1:-1", "::1:80", "[::1]80", "h:8x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(sp_listen_parse(bad[i], &host, &port), SP_EINVAL, "%s", bad[i]);
	sp_buf_free(&host);
}
