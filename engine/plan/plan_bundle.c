/* plan_bundle.c — the .ebextensions of a bundle manifest (zip, tar or scanned folder): the
 * files the bundle reader kept, fed to the config loader in Elastic Beanstalk's order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundles/bundle.h"
#include "engine/plan/plan.h"
#include "engine/plan/plan_bundle.h"
#include "engine/base/banned.h"

int sp_plan_load_ebextensions(const struct sp_bundle *b, const char *prefix, struct sp_ebx *x,
			      struct sp_options *opts, struct sp_diags *d)
{
	for (size_t i = 0; i < sp_bundle_ebextension_count(b); i++) {
		const char *path = sp_bundle_ebextension_at(b, i);
		const char *data = NULL;
		size_t len = 0;
		char *name = sp_aprintf("%s%s", prefix ? prefix : "", path);
		if (!name)
			return SP_ENOMEM;
		int rc = sp_bundle_kept_file(b, path, &data, &len);
		if (rc == 0) {
			rc = sp_ebx_add_file(x, data, len, name, opts, d);
		} else {
			struct sp_loc loc = { name, 0, 0, "" };
			sp_diag_add(d, SP_SEV_ERROR, "EBX_FILE_TOO_LARGE", loc,
				    "keep configuration files small; ship large content as files of "
				    "the bundle",
				    "%s is too large to be read", name);
			rc = 0;
		}
		free(name);
		if (rc == SP_ENOMEM || rc == SP_ETOOBIG)
			return rc;
	}
	return 0;
}

int sp_plan_dockerrun_options(const struct sp_options *o, struct sp_dockerrun_options *out)
{
	out->allow_privileged = out->allow_privileged ||
		sp_options_get_bool(o, "sprout:security", "AllowPrivileged", false);
	out->allow_host_paths = out->allow_host_paths ||
		sp_options_get_bool(o, "sprout:security", "AllowHostPaths", false);
	out->allow_docker_socket = out->allow_docker_socket ||
		sp_options_get_bool(o, "sprout:security", "AllowDockerSocket", false);
	return 0;
}
