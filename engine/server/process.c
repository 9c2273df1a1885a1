/* process.c — the checks one application version goes through (server.h): the same
 * pipeline as `sprout validate` (engine/validate: bundle, Dockerrun, .ebextensions, plan,
 * images), run over the stored bundle file. */
#include <stdlib.h>
#include <string.h>

#include "engine/plan/plan.h"
#include "engine/registry/registry.h"
#include "engine/server/server.h"
#include "engine/validate/validate.h"
#include "engine/base/banned.h"

int sp_version_check_bundle(const char *bundle_path, const char *display_name,
			    const struct sp_version_checks *c, struct sp_diags *d)
{
	struct sp_validation *v = NULL;
	struct sp_diags mine;
	sp_diags_init(&mine);
	int rc = sp_validate(bundle_path, NULL, &mine, &v);
	if (rc == 0 && v && v->dockerrun && c && c->registry) {
		char *file = sp_aprintf("%s/Dockerrun.aws.json", bundle_path);
		if (!file)
			rc = SP_ENOMEM;
		/* sprout:images StrictImageChecks in the version's .ebextensions: what could not be
		 * checked (a registry down, a timeout) refuses the version, as validate --strict. */
		else if (sp_registry_check_dockerrun(c->registry, v->dockerrun, file, NULL, c->data_dir,
						     v->plan && v->plan->sprout.strict_image_checks,
						     &mine) == SP_ENOMEM)
			rc = SP_ENOMEM;
		free(file);
	}
	sp_validation_free(v);
	/* The stored file is bundles/<sha256>.zip; users know the bundle by the name they
	 * gave it, so "<stored path>[/entry]" becomes "<display name>[/entry]". */
	size_t plen = strlen(bundle_path);
	for (size_t i = 0; display_name && i < mine.n; i++) {
		struct sp_diag *g = &mine.items[i];
		if (!g->file || strncmp(g->file, bundle_path, plen) != 0 ||
		    (g->file[plen] != '\0' && g->file[plen] != '/'))
			continue;
		char *name = sp_aprintf("%s%s", display_name, g->file + plen);
		if (name) {
			free(g->file);
			g->file = name;
		}
	}
	int mrc = sp_diags_merge(d, &mine);
	sp_diags_free(&mine);
	if (rc == SP_ENOMEM || mrc)
		return SP_ENOMEM;
	return 0; /* SP_ERROR only means "errors found": the verdict is in d */
}
