/* test_registry_outcome.c — outcome mapping, severities, diagnostics, the token cache's
 * expiry, and the client's behaviour without a network (invalid references, no server). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "engine/registry/registry_internal.h"
#include "engine/base/banned.h"

Test(outcome, curl_codes)
{
	cr_assert_eq(sp_registry_status_from_curl(CURLE_OPERATION_TIMEDOUT), SP_IMAGE_TIMEOUT);
	cr_assert_eq(sp_registry_status_from_curl(CURLE_COULDNT_CONNECT), SP_IMAGE_UNREACHABLE);
	cr_assert_eq(sp_registry_status_from_curl(CURLE_COULDNT_RESOLVE_HOST), SP_IMAGE_UNREACHABLE);
	cr_assert_eq(sp_registry_status_from_curl(CURLE_PEER_FAILED_VERIFICATION), SP_IMAGE_TLS_ERROR);
	cr_assert_eq(sp_registry_status_from_curl(CURLE_TOO_MANY_REDIRECTS), SP_IMAGE_REGISTRY_ERROR);
}

Test(outcome, http_statuses)
{
	cr_assert_eq(sp_registry_status_from_manifest_http(200), SP_IMAGE_FOUND);
	cr_assert_eq(sp_registry_status_from_manifest_http(404), SP_IMAGE_UNCHECKED);
	cr_assert_eq(sp_registry_status_from_manifest_http(401), SP_IMAGE_UNCHECKED);
	cr_assert_eq(sp_registry_status_from_manifest_http(403), SP_IMAGE_UNAUTHORIZED);
	cr_assert_eq(sp_registry_status_from_manifest_http(500), SP_IMAGE_REGISTRY_ERROR);
	cr_assert_eq(sp_registry_status_from_tags_http(404, false), SP_IMAGE_REPO_NOT_FOUND);
	cr_assert_eq(sp_registry_status_from_tags_http(200, false), SP_IMAGE_TAG_NOT_FOUND);
	cr_assert_eq(sp_registry_status_from_tags_http(200, true), SP_IMAGE_DIGEST_NOT_FOUND);
}

Test(outcome, severities_and_strict)
{
	cr_assert_eq(sp_registry_severity(SP_IMAGE_FOUND, true), SP_SEV_NOTE);
	cr_assert_eq(sp_registry_severity(SP_IMAGE_TAG_NOT_FOUND, false), SP_SEV_ERROR);
	cr_assert_eq(sp_registry_severity(SP_IMAGE_UNAUTHORIZED, false), SP_SEV_ERROR);
	cr_assert_eq(sp_registry_severity(SP_IMAGE_UNREACHABLE, false), SP_SEV_WARNING);
	cr_assert_eq(sp_registry_severity(SP_IMAGE_UNREACHABLE, true), SP_SEV_ERROR);
	cr_assert_eq(sp_registry_severity(SP_IMAGE_TIMEOUT, false), SP_SEV_WARNING);
	cr_assert_eq(sp_registry_severity(SP_IMAGE_TIMEOUT, true), SP_SEV_ERROR);
	cr_assert_str_eq(sp_image_status_code(SP_IMAGE_TIMEOUT), "IMAGE_REGISTRY_TIMEOUT");
	cr_assert_str_eq(sp_image_status_code(SP_IMAGE_REPO_NOT_FOUND), "IMAGE_REPO_NOT_FOUND");
}

Test(outcome, loopback_hosts)
{
	cr_assert(sp_registry_host_is_loopback("127.0.0.1:5000"));
	cr_assert(sp_registry_host_is_loopback("127.1.2.3"));
	cr_assert(sp_registry_host_is_loopback("localhost:5000"));
	cr_assert(sp_registry_host_is_loopback("[::1]:5000"));
	cr_assert_not(sp_registry_host_is_loopback("128.0.0.1"));
	cr_assert_not(sp_registry_host_is_loopback("127.example.com"));
	cr_assert_not(sp_registry_host_is_loopback("localhost.evil.com"));
	cr_assert_not(sp_registry_host_is_loopback("docker.io"));
}

Test(outcome, diagnostic_names_container_and_image_and_no_secret)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_registry_credentials c = { "alice", "TOPSECRET" };
	struct sp_registry_image img = { "web", "127.0.0.1:5000/app:1",
					 { "Dockerrun.aws.json", 3, 17, "/containerDefinitions/0/image" },
					 &c, false };
	struct sp_registry_result res = { .status = SP_IMAGE_UNAUTHORIZED,
					  .registry = "127.0.0.1:5000", .detail = "HTTP 401" };
	cr_assert_eq(sp_registry_diag(&d, &img, &res, false, true), 0);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.items[0].code, "IMAGE_UNAUTHORIZED");
	cr_assert_eq(d.items[0].severity, SP_SEV_ERROR);
	cr_assert_eq(d.items[0].line, 3);
	cr_assert_not_null(strstr(d.items[0].message, "\"web\""));
	cr_assert_not_null(strstr(d.items[0].message, "127.0.0.1:5000/app:1"));
	cr_assert_null(strstr(d.items[0].message, "TOPSECRET"));
	cr_assert_null(strstr(d.items[0].message, "alice"));
	sp_diags_free(&d);
}

struct fake_clock {
	int64_t t;
};

static int64_t fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->t;
}

Test(token_cache, expires_in_is_honoured)
{
	struct sp_registry *r = NULL;
	struct fake_clock clk = { 1000 };
	cr_assert_eq(sp_registry_new(NULL, &r), 0);
	sp_registry_set_clock(r, fake_now, &clk);
	cr_assert_eq(sp_registry_token_put(r, "k", "tok", 300), 0);
	cr_assert_str_eq(sp_registry_token_get(r, "k"), "tok");
	clk.t += 290;
	cr_assert_str_eq(sp_registry_token_get(r, "k"), "tok");
	clk.t += 10; /* renewed a little before expiry */
	cr_assert_null(sp_registry_token_get(r, "k"));
	cr_assert_eq(sp_registry_token_put(r, "k", "tok2", 0), 0); /* default 60 s */
	clk.t += 54;
	cr_assert_str_eq(sp_registry_token_get(r, "k"), "tok2");
	clk.t += 2;
	cr_assert_null(sp_registry_token_get(r, "k"));
	cr_assert_eq(sp_registry_token_put(r, "k", "tok3", 100), 0);
	sp_registry_token_drop(r, "k");
	cr_assert_null(sp_registry_token_get(r, "k"));
	sp_registry_free(r);
}

Test(client, invalid_reference_and_unreachable_registry)
{
	struct sp_registry *r = NULL;
	struct sp_registry_options o = { .connect_timeout_ms = 2000, .total_timeout_ms = 3000,
					 .plain_http = true };
	cr_assert_eq(sp_registry_new(&o, &r), 0);
	/* port 1 on loopback: nothing listens (connection refused) */
	struct sp_registry_image imgs[2] = {
		{ "web", "Not/Valid:ref", { "Dockerrun.aws.json", 0, 0, "/containerDefinitions/0/image" }, NULL, false },
		{ "db", "127.0.0.1:1/app:1", { "Dockerrun.aws.json", 0, 0, "/containerDefinitions/1/image" }, NULL, false },
	};
	struct sp_registry_result res[2];
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_registry_check(r, imgs, 2, res, &d), 0);
	cr_assert_eq(res[0].status, SP_IMAGE_INVALID_REF);
	cr_assert_eq(res[1].status, SP_IMAGE_UNREACHABLE);
	cr_assert_eq(d.n, 2);
	cr_assert_str_eq(d.items[1].code, "IMAGE_REGISTRY_UNREACHABLE");
	cr_assert_eq(d.items[1].severity, SP_SEV_WARNING);
	sp_registry_results_free(res, 2);
	sp_diags_free(&d);
	sp_registry_free(r);
}

/* StrictImageChecks given per image (a version's .ebextensions), the client not strict:
 * a registry that cannot be reached is an error for that image only. */
Test(client, strict_per_image)
{
	struct sp_registry *r = NULL;
	struct sp_registry_options o = { .connect_timeout_ms = 2000, .total_timeout_ms = 3000,
					 .plain_http = true };
	cr_assert_eq(sp_registry_new(&o, &r), 0);
	struct sp_registry_image imgs[2] = {
		{ "web", "127.0.0.1:1/app:1", { "Dockerrun.aws.json", 0, 0, "/containerDefinitions/0/image" }, NULL, true },
		{ "db", "127.0.0.1:1/db:1", { "Dockerrun.aws.json", 0, 0, "/containerDefinitions/1/image" }, NULL, false },
	};
	struct sp_registry_result res[2];
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_registry_check(r, imgs, 2, res, &d), 0);
	cr_assert_eq(d.n, 2);
	for (size_t i = 0; i < d.n; i++) {
		cr_assert_str_eq(d.items[i].code, "IMAGE_REGISTRY_UNREACHABLE");
		bool web = strstr(d.items[i].message, "\"web\"") != NULL;
		cr_assert_eq(d.items[i].severity, web ? SP_SEV_ERROR : SP_SEV_WARNING, "%s", d.items[i].message);
		if (web)
			cr_assert_null(d.items[i].hint, "no \"with StrictImageChecks\" hint on the strict one");
	}
	sp_registry_results_free(res, 2);
	sp_diags_free(&d);
	sp_registry_free(r);
}

Test(client, too_many_images)
{
	struct sp_registry *r = NULL;
	cr_assert_eq(sp_registry_new(NULL, &r), 0);
	struct sp_registry_image *imgs = calloc(SP_REGISTRY_MAX_IMAGES + 1, sizeof(*imgs));
	struct sp_registry_result *res = calloc(SP_REGISTRY_MAX_IMAGES + 1, sizeof(*res));
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_registry_check(r, imgs, SP_REGISTRY_MAX_IMAGES + 1, res, &d), SP_ETOOBIG);
	cr_assert_eq(d.n, 0);
	free(imgs);
	free(res);
	sp_diags_free(&d);
	sp_registry_free(r);
}
