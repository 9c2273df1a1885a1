/* image_checks.c — the images of a Dockerrun file, with the credentials its
 * `authentication` object gives, handed to the registry client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/doc.h"
#include "engine/bucket/bucket.h"
#include "engine/dockerrun/dockerrun.h"
#include "engine/image/ref.h"
#include "engine/registry/registry_internal.h"
#include "engine/base/banned.h"

/* The node at a JSON pointer made of plain keys and indexes (no escapes needed here). */
static const struct sp_node *node_at(const struct sp_node *n, const char *ptr)
{
	char part[256];
	while (n && *ptr == '/') {
		ptr++;
		size_t len = strcspn(ptr, "/");
		if (len >= sizeof(part))
			return NULL;
		memcpy(part, ptr, len);
		part[len] = '\0';
		ptr += len;
		if (n->type == SP_NODE_MAP) {
			n = sp_node_get(n, part);
		} else if (n->type == SP_NODE_SEQ) {
			uint64_t i;
			if (sp_parse_u64(part, &i) != 0 || i >= n->n)
				return NULL;
			n = n->items[i];
		} else {
			return NULL;
		}
	}
	return n;
}

static struct sp_loc locate(const char *file, const struct sp_doc *doc, const char *ptr)
{
	struct sp_loc loc = { file, 0, 0, ptr };
	const struct sp_node *n = doc ? node_at(sp_doc_root(doc), ptr) : NULL;
	if (n) {
		loc.line = n->line;
		loc.column = n->column;
	}
	return loc;
}

int sp_registry_check_dockerrun(struct sp_registry *r, const struct sp_dockerrun *dr,
				const char *file, const struct sp_doc *doc,
				const char *data_dir, bool strict, struct sp_diags *d)
{
	size_t n = dr->n_containers;
	struct sp_registry_image *imgs = calloc(n ? n : 1, sizeof(*imgs));
	struct sp_registry_credentials *creds = calloc(n ? n : 1, sizeof(*creds));
	struct sp_registry_result *res = calloc(n ? n : 1, sizeof(*res));
	char **paths = calloc(n ? n : 1, sizeof(*paths));
	struct sp_buf cfg = SP_BUF_INIT(SP_REGISTRY_MAX_CONFIG);
	bool have_cfg = false;
	int rc = 0;

	if (!imgs || !creds || !res || !paths) {
		rc = SP_ENOMEM;
		goto out;
	}
	if (dr->auth_bucket && dr->auth_key) {
		const char *auth_ptr = dr->version == 1 ? "/Authentication" : "/authentication";
		struct sp_loc loc = locate(file, doc, auth_ptr);
		int grc = data_dir ? sp_bucket_get(data_dir, dr->auth_bucket, dr->auth_key,
						   SP_REGISTRY_MAX_CONFIG, &cfg)
				   : SP_ENOTFOUND;
		if (grc == SP_ENOMEM) {
			rc = grc;
			goto out;
		}
		if (grc == 0) {
			have_cfg = true;
		} else if (grc == SP_ENOTFOUND) {
			sp_diag_add(d, SP_SEV_ERROR, "IMAGE_AUTH_MISSING", loc,
				    "store it with `sprout bucket put BUCKET KEY config.json`",
				    "authentication object \"%s\" in bucket \"%s\" does not exist",
				    dr->auth_key, dr->auth_bucket);
		} else {
			sp_diag_add(d, SP_SEV_ERROR, "IMAGE_AUTH_INVALID", loc, NULL,
				    "authentication object \"%s\" in bucket \"%s\" can not be read (%s)",
				    dr->auth_key, dr->auth_bucket, sp_strerror(grc));
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct sp_dr_container *c = &dr->containers[i];
		paths[i] = dr->version == 1 ? sp_strdup("/Image/Name")
					    : sp_aprintf("/containerDefinitions/%zu/image", i);
		if (!paths[i]) {
			rc = SP_ENOMEM;
			goto out;
		}
		imgs[i].container = c->name;
		imgs[i].image = c->image;
		imgs[i].loc = locate(file, doc, paths[i]);
		imgs[i].strict = strict;
		if (!have_cfg)
			continue;
		struct sp_image_ref ref;
		if (sp_image_ref_parse(c->image ? c->image : "", &ref, NULL) != 0)
			continue; /* sp_registry_check reports it */
		const char *why = NULL;
		int lrc = sp_dockercfg_lookup(sp_buf_cstr(&cfg), cfg.len, ref.domain, &creds[i], &why);
		if (lrc == 0) {
			imgs[i].creds = &creds[i];
		} else if (lrc != SP_ENOTFOUND) {
			/* said once per image: which registry the entry was wanted for matters */
			sp_diag_add(d, SP_SEV_ERROR, "IMAGE_AUTH_INVALID",
				    locate(file, doc, dr->version == 1 ? "/Authentication"
								       : "/authentication"),
				    "the object must be a docker config.json ({\"auths\": {HOST: "
				    "{\"auth\": base64(user:password)}}}) or a .dockercfg",
				    "authentication object \"%s\" in bucket \"%s\": %s (registry %s)",
				    dr->auth_key, dr->auth_bucket, why ? why : "invalid", ref.domain);
		}
		sp_image_ref_free(&ref);
	}
	rc = sp_registry_check(r, imgs, n, res, d);
	if (rc == 0)
		sp_registry_results_free(res, n);
out:
	for (size_t i = 0; creds && i < n; i++)
		sp_registry_credentials_release(&creds[i]);
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	if (cfg.data)
		explicit_bzero(cfg.data, cfg.len);
	sp_buf_free(&cfg);
	free(imgs);
	free(creds);
	free(res);
	free(paths);
	return rc;
}
