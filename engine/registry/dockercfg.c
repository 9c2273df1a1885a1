/* dockercfg.c — credentials for a registry host from a Docker config.json or .dockercfg,
 * the objects Dockerrun `authentication` points at. The object is secret: no error string
 * here ever quotes any part of it. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/registry/registry_internal.h"
#include "engine/base/banned.h"

void sp_registry_credentials_release(struct sp_registry_credentials *c)
{
	if (!c)
		return;
	if (c->password) /* do not leave the secret in freed memory */
		explicit_bzero(c->password, strlen(c->password));
	free(c->username);
	free(c->password);
	c->username = c->password = NULL;
}

/* "https://host:port/v1/" -> "host:port"; "host" -> "host". Lowercased. */
static int key_host(const char *key, struct sp_buf *out)
{
	const char *p = key;
	const char *sep = strstr(p, "://");
	if (sep)
		p = sep + 3;
	size_t n = strcspn(p, "/");
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		int rc = sp_buf_putc(out, c);
		if (rc)
			return rc;
	}
	return 0;
}

static bool is_docker_hub(const char *h)
{
	return strcmp(h, "docker.io") == 0 || strcmp(h, "index.docker.io") == 0 ||
	       strcmp(h, "registry-1.docker.io") == 0 || strcmp(h, "registry.hub.docker.com") == 0;
}

static bool host_matches(const char *key, const char *host)
{
	struct sp_buf k = SP_BUF_INIT(1024), h = SP_BUF_INIT(1024);
	bool m = false;
	if (key_host(key, &k) || key_host(host, &h))
		goto out;
	m = strcmp(sp_buf_cstr(&k), sp_buf_cstr(&h)) == 0 ||
	    (is_docker_hub(sp_buf_cstr(&k)) && is_docker_hub(sp_buf_cstr(&h)));
out:
	sp_buf_free(&k);
	sp_buf_free(&h);
	return m;
}

static int entry_credentials(json_t *entry, struct sp_registry_credentials *out,
			     const char **why)
{
	struct sp_buf dec = SP_BUF_INIT(64 * 1024);
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	const char *user = json_string_value(json_object_get(entry, "username"));
	const char *pass = json_string_value(json_object_get(entry, "password"));
	char *u = NULL, *p = NULL;
	int rc = 0;

	if (!json_is_object(entry)) {
		*why = "a registry entry is not an object";
		return SP_EINVAL;
	}
	if (auth && *auth) {
		rc = sp_base64_decode(auth, strlen(auth), &dec);
		if (rc) {
			*why = "an \"auth\" value is not valid base64";
			rc = rc == SP_ENOMEM ? rc : SP_EINVAL;
			goto out;
		}
		const char *s = sp_buf_cstr(&dec);
		const char *colon = memchr(s, ':', dec.len);
		if (!colon || colon == s || memchr(s, '\0', dec.len)) {
			*why = "an \"auth\" value does not decode to user:password";
			rc = SP_EINVAL;
			goto out;
		}
		u = sp_strndup(s, (size_t)(colon - s));
		p = sp_strndup(colon + 1, dec.len - (size_t)(colon - s) - 1);
	} else if (user && *user && pass) {
		u = sp_strdup(user);
		p = sp_strdup(pass);
	} else if (json_object_get(entry, "identitytoken")) {
		*why = "identity tokens (identitytoken) are not supported; use \"auth\"";
		rc = SP_EINVAL;
		goto out;
	} else {
		*why = "a registry entry has no \"auth\" (base64 of user:password)";
		rc = SP_EINVAL;
		goto out;
	}
	if (!u || !p) {
		rc = SP_ENOMEM;
		goto out;
	}
	out->username = u;
	out->password = p;
	u = p = NULL;
out:
	if (dec.data)
		explicit_bzero(dec.data, dec.len);
	sp_buf_free(&dec);
	free(u);
	if (p)
		explicit_bzero(p, strlen(p));
	free(p);
	return rc;
}

int sp_dockercfg_lookup(const char *json, size_t len, const char *host,
			struct sp_registry_credentials *out, const char **why)
{
	const char *dummy;
	json_t *root = NULL;
	json_error_t err;
	int rc = SP_ENOTFOUND;

	if (!why)
		why = &dummy;
	if (len > SP_REGISTRY_MAX_CONFIG) {
		*why = "the docker config is too large";
		return SP_ETOOBIG;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (!root || !json_is_object(root)) {
		*why = "the docker config is not a JSON object";
		rc = SP_EINVAL;
		goto out;
	}
	json_t *auths = json_object_get(root, "auths");
	if (auths && !json_is_object(auths)) {
		*why = "\"auths\" is not an object";
		rc = SP_EINVAL;
		goto out;
	}
	if (!auths) { /* legacy .dockercfg: the map itself, unless it is a config.json
		       * holding only helpers */
		if (json_object_get(root, "credsStore") || json_object_get(root, "credHelpers")) {
			*why = "credential helpers (credsStore, credHelpers) cannot be used; store "
			       "an \"auths\" entry";
			rc = SP_EINVAL;
			goto out;
		}
		auths = root;
	}
	const char *key;
	json_t *entry;
	json_object_foreach(auths, key, entry) {
		if (!host_matches(key, host))
			continue;
		struct sp_registry_credentials c = { 0 };
		rc = entry_credentials(entry, &c, why);
		if (rc == 0)
			*out = c;
		goto out;
	}
	*why = "no entry for this registry";
	rc = SP_ENOTFOUND;
out:
	json_decref(root);
	return rc;
}
