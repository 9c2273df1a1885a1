/* outcome.c — what a registry's answer means for an image, and the diagnostic that says
 * so. One table of codes; messages name the container and the image, never secrets. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "engine/registry/registry_internal.h"
#include "engine/base/banned.h"

const char *sp_image_status_code(enum sp_image_status s)
{
	switch (s) {
	case SP_IMAGE_FOUND: return "IMAGE_FOUND";
	case SP_IMAGE_TAG_NOT_FOUND: return "IMAGE_TAG_NOT_FOUND";
	case SP_IMAGE_DIGEST_NOT_FOUND: return "IMAGE_DIGEST_NOT_FOUND";
	case SP_IMAGE_REPO_NOT_FOUND: return "IMAGE_REPO_NOT_FOUND";
	case SP_IMAGE_UNAUTHORIZED: return "IMAGE_UNAUTHORIZED";
	case SP_IMAGE_UNREACHABLE: return "IMAGE_REGISTRY_UNREACHABLE";
	case SP_IMAGE_TIMEOUT: return "IMAGE_REGISTRY_TIMEOUT";
	case SP_IMAGE_TLS_ERROR: return "IMAGE_REGISTRY_TLS";
	case SP_IMAGE_REGISTRY_ERROR: return "IMAGE_REGISTRY_ERROR";
	case SP_IMAGE_INVALID_REF: return "IMAGE_REF_INVALID";
	case SP_IMAGE_UNCHECKED: break;
	}
	return "IMAGE_UNCHECKED";
}

enum sp_image_status sp_registry_status_from_curl(int code)
{
	switch ((CURLcode)code) {
	case CURLE_OK:
		return SP_IMAGE_UNCHECKED;
	case CURLE_OPERATION_TIMEDOUT:
		return SP_IMAGE_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return SP_IMAGE_UNREACHABLE;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return SP_IMAGE_TLS_ERROR;
	default:
		return SP_IMAGE_REGISTRY_ERROR;
	}
}

enum sp_image_status sp_registry_status_from_manifest_http(long status)
{
	if (status == 200)
		return SP_IMAGE_FOUND;
	if (status == 404 || status == 401)
		return SP_IMAGE_UNCHECKED; /* tags/list decides; a 401 may renew the token */
	if (status == 403)
		return SP_IMAGE_UNAUTHORIZED;
	return SP_IMAGE_REGISTRY_ERROR;
}

enum sp_image_status sp_registry_status_from_tags_http(long status, bool by_digest)
{
	if (status == 404)
		return SP_IMAGE_REPO_NOT_FOUND;
	/* 200, or a registry that will not list tags: the repository may exist, the
	 * manifest does not */
	return by_digest ? SP_IMAGE_DIGEST_NOT_FOUND : SP_IMAGE_TAG_NOT_FOUND;
}

bool sp_registry_host_is_loopback(const char *host)
{
	size_t n = strlen(host);
	const char *colon = strrchr(host, ':');
	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		return end && (size_t)(end - host) == 4 && strncmp(host, "[::1", 4) == 0;
	}
	if (colon)
		n = (size_t)(colon - host);
	if (n == 9 && strncmp(host, "localhost", 9) == 0)
		return true;
	if (n < 4 || strncmp(host, "127.", 4) != 0)
		return false;
	int dots = 0;
	for (size_t i = 0; i < n; i++) {
		if (host[i] == '.')
			dots++;
		else if (host[i] < '0' || host[i] > '9')
			return false;
	}
	return dots == 3;
}

enum sp_severity sp_registry_severity(enum sp_image_status s, bool strict)
{
	switch (s) {
	case SP_IMAGE_FOUND:
		return SP_SEV_NOTE;
	case SP_IMAGE_UNREACHABLE:
	case SP_IMAGE_TIMEOUT:
	case SP_IMAGE_TLS_ERROR:
	case SP_IMAGE_REGISTRY_ERROR:
	case SP_IMAGE_UNCHECKED:
		return strict ? SP_SEV_ERROR : SP_SEV_WARNING;
	default:
		return SP_SEV_ERROR;
	}
}

static const char *strict_hint(bool strict)
{
	return strict ? NULL
		      : "the image was not checked; with sprout:images StrictImageChecks "
			"this is an error";
}

int sp_registry_diag(struct sp_diags *d, const struct sp_registry_image *img,
		     const struct sp_registry_result *res, bool strict, bool had_creds)
{
	enum sp_severity sev = sp_registry_severity(res->status, strict);
	const char *code = sp_image_status_code(res->status);
	const char *c = img->container ? img->container : "?";
	const char *im = img->image ? img->image : "";
	const char *reg = res->registry ? res->registry : "?";
	const char *detail = res->detail ? res->detail : "";
	char hint[512];

	switch (res->status) {
	case SP_IMAGE_FOUND:
		return sp_diag_add(d, sev, code, img->loc, NULL,
				   "container \"%s\": image \"%s\" found on %s (%s)", c, im, reg,
				   res->digest ? res->digest : "no digest");
	case SP_IMAGE_TAG_NOT_FOUND:
		snprintf(hint, sizeof(hint),
			 "push the tag to %s first, or correct it (the repository exists)", reg);
		return sp_diag_add(d, sev, code, img->loc, hint,
				   "container \"%s\": image \"%s\": tag not found on %s", c, im, reg);
	case SP_IMAGE_DIGEST_NOT_FOUND:
		return sp_diag_add(d, sev, code, img->loc,
				   "a digest names one exact manifest; copy it from "
				   "`docker inspect --format '{{.RepoDigests}}'` or use a tag",
				   "container \"%s\": image \"%s\": no manifest with this digest on %s",
				   c, im, reg);
	case SP_IMAGE_REPO_NOT_FOUND:
		return sp_diag_add(d, sev, code, img->loc,
				   "check the repository name and the registry host; a private "
				   "repository also needs `authentication` credentials",
				   "container \"%s\": image \"%s\": repository not found on %s", c, im,
				   reg);
	case SP_IMAGE_UNAUTHORIZED:
		if (had_creds) {
			snprintf(hint, sizeof(hint),
				 "update the %s entry of the docker config named by "
				 "`authentication` (sprout bucket put BUCKET KEY FILE)", reg);
			return sp_diag_add(d, sev, code, img->loc, hint,
					   "container \"%s\": image \"%s\": %s refused the credentials "
					   "(%s)", c, im, reg, detail);
		}
		snprintf(hint, sizeof(hint),
			 "store a docker config.json with an \"auths\" entry for %s with "
			 "`sprout bucket put BUCKET KEY FILE` and name it in Dockerrun.aws.json "
			 "`authentication` {bucket, key}", reg);
		return sp_diag_add(d, sev, code, img->loc, hint,
				   "container \"%s\": image \"%s\": %s requires credentials and "
				   "none were given (%s)", c, im, reg, detail);
	case SP_IMAGE_UNREACHABLE:
		return sp_diag_add(d, sev, code, img->loc, strict_hint(strict),
				   "container \"%s\": image \"%s\": registry %s is unreachable (%s)",
				   c, im, reg, detail);
	case SP_IMAGE_TIMEOUT:
		return sp_diag_add(d, sev, code, img->loc, strict_hint(strict),
				   "container \"%s\": image \"%s\": registry %s did not answer in "
				   "time (%s)", c, im, reg, detail);
	case SP_IMAGE_TLS_ERROR:
		return sp_diag_add(d, sev, code, img->loc,
				   "give the registry's CA certificate with --registry-ca FILE, or "
				   "trust it system-wide",
				   "container \"%s\": image \"%s\": TLS with registry %s failed (%s)",
				   c, im, reg, detail);
	case SP_IMAGE_INVALID_REF:
		return sp_diag_add(d, SP_SEV_ERROR, code, img->loc, NULL,
				   "container \"%s\": invalid image reference \"%s\": %s", c, im,
				   detail);
	case SP_IMAGE_REGISTRY_ERROR:
	case SP_IMAGE_UNCHECKED:
		break;
	}
	return sp_diag_add(d, sev, code, img->loc, strict_hint(strict),
			   "container \"%s\": image \"%s\": registry %s answered unexpectedly (%s)",
			   c, im, reg, detail);
}
