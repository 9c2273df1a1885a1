/* taskdef.c — the ECS RegisterTaskDefinition request EB would send for a Dockerrun model:
 * family awseb-<environment>-<id>, bridge networking, the containers as loaded (with EB's
 * log mounts), the user's volumes and one awseb-logs-<container> volume per container. */
#include <string.h>

#include "engine/dockerrun/dockerrun_int.h"
#include "engine/base/banned.h"

int sp_taskdef_family(const char *env, const char *env_id, struct sp_buf *out)
{
	struct sp_buf b = SP_BUF_INIT(SP_DOCKERRUN_MAX_NAME);
	int rc = sp_buf_printf(&b, "awseb-%s-%s", env ? env : SP_TASKDEF_PLACEHOLDER_ENV,
			       env_id ? env_id : SP_TASKDEF_PLACEHOLDER_ID);
	if (rc == SP_ETOOBIG || (rc == 0 && !dr_name_valid(sp_buf_cstr(&b))))
		rc = SP_EINVAL;
	if (rc == 0)
		rc = sp_buf_append(out, b.data, b.len);
	sp_buf_free(&b);
	return rc;
}

int sp_taskdef_to_json(const struct sp_dockerrun *dr, const char *family, json_t **out)
{
	json_t *td = NULL, *defs = NULL, *vols = NULL;
	int rc = SP_EINVAL;
	if (!dr_name_valid(family))
		goto out;
	rc = SP_ENOMEM;
	defs = json_array();
	vols = json_array();
	if (!defs || !vols)
		goto out;
	for (size_t i = 0; i < dr->n_containers; i++)
		if (json_array_append_new(defs, json_deep_copy(dr->containers[i].definition)) != 0)
			goto out;
	for (size_t i = 0; i < dr->n_volumes; i++) {
		const struct sp_dr_volume *v = &dr->volumes[i];
		json_t *jv = v->source_path
				     ? json_pack("{s:s,s:{s:s}}", "name", v->name, "host", "sourcePath", v->source_path)
				     : json_pack("{s:s}", "name", v->name);
		if (json_array_append_new(vols, jv) != 0)
			goto out;
	}
	td = json_pack("{s:s,s:s,s:O,s:O}", "family", family, "networkMode", "bridge",
		       "containerDefinitions", defs, "volumes", vols);
	if (!td)
		goto out;
	if (dr->execution_role_arn &&
	    json_object_set_new(td, "executionRoleArn", json_string(dr->execution_role_arn)) != 0)
		goto out;
	*out = td;
	td = NULL;
	rc = 0;
out:
	json_decref(td);
	json_decref(defs);
	json_decref(vols);
	return rc;
}
