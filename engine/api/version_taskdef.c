/* version_taskdef.c — GET /api/v1/applications/{app}/versions/{label}/taskdef: the ECS
 * task definition a PROCESSED version deploys, recomputed from its stored bundle with
 * the same validation the processing ran (so it is exactly what a deploy would
 * register). ?environment=NAME names the family after that environment (and its id, when
 * it exists). The console diffs two of them before a deploy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/api/api_internal.h"
#include "engine/store/store_env.h"
#include "engine/validate/validate.h"
#include "engine/base/banned.h"

enum MHD_Result api_version_taskdef(struct sp_api *api, struct request *rq)
{
	struct sp_version v;
	struct sp_buf family = SP_BUF_INIT(0);
	struct sp_validate_options opts = { 0 };
	struct sp_validation *val = NULL;
	struct sp_diags d;
	json_t *td = NULL;
	char *path = NULL;
	enum MHD_Result ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	const char *env = api_query(rq, "environment");
	char *env_id = NULL; /* the environment's id makes the family exact, as a deploy has it */
	struct sp_env e;
	if (env && sp_store_env_get(st, env, &e) == 0) {
		env_id = sp_strdup(e.env_id);
		sp_env_free(&e);
	}
	int rc = sp_store_version_get(st, rq->params[0], rq->params[1], false, &v);
	if (rc) {
		free(env_id);
		if (rc == SP_ENOTFOUND)
			ret = api_error(rq, MHD_HTTP_NOT_FOUND, "VERSION_NOT_FOUND", NULL,
					"application \"%s\" has no version \"%s\"", rq->params[0],
					rq->params[1]);
		else
			ret = api_store_error(rq, st, rc, "version");
		api_db_release(api, st);
		return ret;
	}
	api_db_release(api, st);
	sp_diags_init(&d);
	if (v.status != SP_VERSION_PROCESSED) {
		ret = api_error(rq, MHD_HTTP_CONFLICT, "VERSION_NOT_PROCESSED", NULL,
				"version \"%s\" is %s; only a PROCESSED version has a task definition",
				v.label, sp_version_status_name(v.status));
		goto out;
	}
	if (sp_taskdef_family(env, env_id, &family)) {
		ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				"environment may hold letters, digits, '-' and '_'");
		goto out;
	}
	opts.env_name = env;
	opts.env_id = env_id;
	if (!(path = sp_aprintf("%s/%s.zip", api->bundles_dir, v.bundle_sha256))) {
		ret = MHD_NO;
		goto out;
	}
	rc = sp_validate(path, &opts, &d, &val);
	if (rc == 0 && val->dockerrun &&
	    sp_taskdef_to_json(val->dockerrun, sp_buf_cstr(&family), &td) == 0) {
		ret = api_json(rq, MHD_HTTP_OK,
			       json_pack("{s:s,s:s,s:o}", "application", v.application, "label",
					 v.label, "task_definition", td));
	} else if (rc == 0) {
		ret = api_error(rq, MHD_HTTP_CONFLICT, "VERSION_NO_DOCKERRUN", NULL,
				"version \"%s\" has no Dockerrun.aws.json", v.label);
	} else {
		json_t *details = sp_diags_to_json(&d);
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", details,
				"the stored bundle of version \"%s\" no longer validates", v.label);
		json_decref(details);
	}
out:
	sp_validation_free(val);
	sp_diags_free(&d);
	sp_buf_free(&family);
	free(path);
	free(env_id);
	sp_version_free(&v);
	return ret;
}
