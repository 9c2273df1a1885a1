/* model.c — sp_dockerrun_load: parse, decide the version, run the typed walk and the rules,
 * and (only when nothing is wrong) build the model from the typed ECS JSON. */
#include <stdlib.h>
#include <string.h>

#include "engine/dockerrun/dockerrun_int.h"
#include "engine/base/banned.h"

void dr_root_unknown_keys(struct dr_ctx *c, const struct sp_node *root, int version);
json_t *dr_container_in_order(json_t *def);

static const char *const v1_keys[] = { "Image", "Ports", "Volumes", "Logging", "Entrypoint", "Command" };
static const char *const v2_keys[] = { "containerDefinitions", "volumes", "authentication", "executionRoleArn" };

static const char *first_key_of(const struct sp_node *root, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < root->n; i++)
		for (size_t k = 0; k < n; k++)
			if (root->keys[i]->text && strcmp(root->keys[i]->text, keys[k]) == 0)
				return keys[k];
	return NULL;
}

/* The declared version: 1, 2, 3; 0 when missing; -1 when not a version. */
static int declared_version(const struct sp_node *v)
{
	if (!v)
		return 0;
	if (v->type == SP_NODE_INT && v->integer >= 1 && v->integer <= 3)
		return (int)v->integer;
	const char *s = dr_str(v);
	if (s && (strcmp(s, "1") == 0 || strcmp(s, "2") == 0 || strcmp(s, "3") == 0))
		return s[0] - '0';
	return -1;
}

/* Decides which version's rules to apply (the one the keys follow); 3 = stop there. */
static int decide_version(struct dr_ctx *c, const struct sp_node *root)
{
	const struct sp_node *vn = sp_node_get(root, "AWSEBDockerrunVersion");
	const char *k1 = first_key_of(root, v1_keys, sizeof(v1_keys) / sizeof(v1_keys[0]));
	const char *k2 = first_key_of(root, v2_keys, sizeof(v2_keys) / sizeof(v2_keys[0]));
	int declared = declared_version(vn);
	int by_keys = k2 ? 2 : k1 ? 1 : 0;
	switch (declared) {
	case 0:
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_VERSION_MISSING", c->doc, root,
			     by_keys == 1 ? "add \"AWSEBDockerrunVersion\": \"1\" (the keys used are version 1's)"
					  : "add \"AWSEBDockerrunVersion\": 2 (the keys used are version 2's)",
			     "\"AWSEBDockerrunVersion\" is missing");
		return by_keys ? by_keys : 2;
	case -1:
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_VERSION_INVALID", c->doc, vn,
			     by_keys == 1 ? "write \"AWSEBDockerrunVersion\": \"1\" (the keys used are version 1's)"
					  : "write \"AWSEBDockerrunVersion\": 2 (the keys used are version 2's)",
			     "\"AWSEBDockerrunVersion\" must be 1 or 2 (3 is not supported yet)");
		return by_keys ? by_keys : 2;
	case 3:
		if (k2) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_VERSION_MISMATCH", c->doc, vn,
				     "write \"AWSEBDockerrunVersion\": 2 for the ECS platform; version 3 takes "
				     "its containers from docker-compose.yml, which sprout does not support yet",
				     "the file declares version 3 but \"%s\" is a version 2 key", k2);
			return 2;
		}
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_V3_UNSUPPORTED", c->doc, vn,
			     "describe the containers in a version 2 file (containerDefinitions); "
			     "docker-compose.yml bundles are not supported yet",
			     "Dockerrun.aws.json version 3 (Docker Compose platform) is not supported yet");
		return 3;
	case 1:
		if (!k1 && k2) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_VERSION_MISMATCH", c->doc, vn,
				     "write \"AWSEBDockerrunVersion\": 2",
				     "the file declares version 1 but \"%s\" is a version 2 key", k2);
			return 2;
		}
		return 1;
	default:
		if (!k2 && k1) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_VERSION_MISMATCH", c->doc, vn,
				     "write \"AWSEBDockerrunVersion\": \"1\", or describe the container in "
				     "containerDefinitions",
				     "the file declares version 2 but \"%s\" is a version 1 key", k1);
			return 1;
		}
		return 2;
	}
}

static char *dup_str(json_t *o, const char *k, bool *nomem)
{
	const char *s = json_string_value(json_object_get(o, k));
	char *r = s ? sp_strdup(s) : NULL;
	if (s && !r)
		*nomem = true;
	return r;
}

static int64_t get_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static bool get_bool(json_t *o, const char *k, bool dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static char **dup_strings(json_t *arr, size_t *n, bool *nomem)
{
	*n = 0;
	if (!json_array_size(arr))
		return NULL;
	char **r = calloc(json_array_size(arr), sizeof(*r));
	if (!r) {
		*nomem = true;
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (!(r[(*n)++] = sp_strdup(json_string_value(json_array_get(arr, i)))))
			*nomem = true;
	return r;
}

#define ALLOC_N(p, n, nomem) \
	do { if ((n) && !((p) = calloc((n), sizeof(*(p))))) { *(nomem) = true; return; } } while (0)

static void fill_container(struct sp_dr_container *ct, json_t *def, bool *nomem)
{
	json_t *a;
	size_t i;
	ct->name = dup_str(def, "name", nomem);
	ct->image = dup_str(def, "image", nomem);
	ct->cpu = get_int(def, "cpu");
	ct->memory = get_int(def, "memory");
	ct->memory_reservation = get_int(def, "memoryReservation");
	ct->essential = get_bool(def, "essential", true);
	ct->privileged = get_bool(def, "privileged", false);
	ct->readonly_root_filesystem = get_bool(def, "readonlyRootFilesystem", false);
	ct->pull = true;
	ct->working_directory = dup_str(def, "workingDirectory", nomem);
	ct->hostname = dup_str(def, "hostname", nomem);
	ct->user = dup_str(def, "user", nomem);
	ct->entry_point = dup_strings(json_object_get(def, "entryPoint"), &ct->n_entry_point, nomem);
	ct->command = dup_strings(json_object_get(def, "command"), &ct->n_command, nomem);

	a = json_object_get(def, "links");
	ALLOC_N(ct->links, json_array_size(a), nomem);
	for (i = 0; i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));
		const char *colon = strchr(s, ':');
		struct sp_dr_link *l = &ct->links[ct->n_links++];
		l->container = colon ? sp_strndup(s, (size_t)(colon - s)) : sp_strdup(s);
		l->alias = colon ? sp_strdup(colon + 1) : NULL;
		if (!l->container || (colon && !l->alias))
			*nomem = true;
	}
	a = json_object_get(def, "portMappings");
	ALLOC_N(ct->ports, json_array_size(a), nomem);
	for (i = 0; i < json_array_size(a); i++) {
		json_t *pm = json_array_get(a, i);
		struct sp_dr_port *p = &ct->ports[ct->n_ports++];
		p->container_port = (int)get_int(pm, "containerPort");
		p->host_port = (int)get_int(pm, "hostPort");
		const char *proto = json_string_value(json_object_get(pm, "protocol"));
		p->protocol = proto && strcmp(proto, "udp") == 0 ? SP_DR_UDP : SP_DR_TCP;
	}
	/* environment: duplicates removed, the last value wins, first position kept */
	a = json_object_get(def, "environment");
	ALLOC_N(ct->env, json_array_size(a), nomem);
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *value = json_string_value(json_object_get(e, "value"));
		size_t k;
		for (k = 0; k < ct->n_env; k++)
			if (strcmp(ct->env[k].name, name) == 0)
				break;
		if (k == ct->n_env) {
			ct->env[k].name = sp_strdup(name);
			ct->n_env++;
			if (!ct->env[k].name)
				*nomem = true;
		}
		free(ct->env[k].value);
		ct->env[k].value = sp_strdup(value ? value : "");
		if (!ct->env[k].value)
			*nomem = true;
	}
	a = json_object_get(def, "mountPoints");
	ALLOC_N(ct->mounts, json_array_size(a), nomem);
	for (i = 0; i < json_array_size(a); i++) {
		json_t *m = json_array_get(a, i);
		struct sp_dr_mount *mp = &ct->mounts[ct->n_mounts++];
		mp->source_volume = dup_str(m, "sourceVolume", nomem);
		mp->container_path = dup_str(m, "containerPath", nomem);
		mp->read_only = get_bool(m, "readOnly", false);
	}
	a = json_object_get(def, "volumesFrom");
	ALLOC_N(ct->volumes_from, json_array_size(a), nomem);
	for (i = 0; i < json_array_size(a); i++) {
		json_t *v = json_array_get(a, i);
		struct sp_dr_volume_from *vf = &ct->volumes_from[ct->n_volumes_from++];
		vf->source_container = dup_str(v, "sourceContainer", nomem);
		vf->read_only = get_bool(v, "readOnly", false);
	}
	a = json_object_get(def, "dependsOn");
	ALLOC_N(ct->depends_on, json_array_size(a), nomem);
	for (i = 0; i < json_array_size(a); i++) {
		json_t *v = json_array_get(a, i);
		struct sp_dr_depends *dp = &ct->depends_on[ct->n_depends_on++];
		dp->container = dup_str(v, "containerName", nomem);
		dp->condition = dup_str(v, "condition", nomem);
	}
}

/* EB's log volume mount: a container that does not mount its own awseb-logs-<name>
 * volume gets it at /var/log/containers/<name> (docs/dockerrun.md). */
static int add_log_mount(json_t *def)
{
	const char *name = json_string_value(json_object_get(def, "name"));
	json_t *mounts = json_object_get(def, "mountPoints");
	char *vol = sp_aprintf(SP_DOCKERRUN_LOG_VOLUME_PREFIX "%s", name);
	int rc = SP_ENOMEM;
	if (!vol)
		return rc;
	for (size_t i = 0; i < json_array_size(mounts); i++) {
		const char *sv = json_string_value(json_object_get(json_array_get(mounts, i), "sourceVolume"));
		if (sv && strcmp(sv, vol) == 0) {
			rc = 0;
			goto out;
		}
	}
	if (!mounts) {
		if (json_object_set_new(def, "mountPoints", json_array()) != 0)
			goto out;
		mounts = json_object_get(def, "mountPoints");
	}
	if (json_array_append_new(mounts, json_pack("{s:s,s:s+}", "sourceVolume", vol, "containerPath",
						     SP_DOCKERRUN_LOG_HOST_DIR, name)) != 0)
		goto out;
	rc = 0;
out:
	free(vol);
	return rc;
}

static int build_model(json_t *defs, json_t *vols, json_t *typed_root, struct sp_dockerrun **out)
{
	bool nomem = false;
	struct sp_dockerrun *dr = calloc(1, sizeof(*dr));
	size_t nd = json_array_size(defs), nv = json_array_size(vols);
	if (!dr)
		return SP_ENOMEM;
	dr->containers = calloc(nd ? nd : 1, sizeof(*dr->containers));
	dr->volumes = calloc(nv + nd + 1, sizeof(*dr->volumes));
	if (!dr->containers || !dr->volumes)
		goto nomem;
	for (size_t i = 0; i < nv; i++) {
		json_t *v = json_array_get(vols, i);
		struct sp_dr_volume *vol = &dr->volumes[dr->n_volumes++];
		vol->name = dup_str(v, "name", &nomem);
		vol->source_path = dup_str(json_object_get(v, "host"), "sourcePath", &nomem);
	}
	for (size_t i = 0; i < nd; i++) {
		json_t *def = json_array_get(defs, i);
		struct sp_dr_container *ct = &dr->containers[dr->n_containers++];
		if (add_log_mount(def) != 0 || !(ct->definition = dr_container_in_order(def)))
			goto nomem;
		fill_container(ct, ct->definition, &nomem);
		struct sp_dr_volume *vol = &dr->volumes[dr->n_volumes++];
		vol->name = sp_aprintf(SP_DOCKERRUN_LOG_VOLUME_PREFIX "%s", ct->name);
		vol->source_path = sp_aprintf(SP_DOCKERRUN_LOG_HOST_DIR "%s", ct->name);
		vol->log_volume = true;
		if (!vol->name || !vol->source_path)
			nomem = true;
	}
	if (typed_root) {
		json_t *auth = json_object_get(typed_root, "authentication");
		dr->auth_bucket = dup_str(auth, "bucket", &nomem);
		dr->auth_key = dup_str(auth, "key", &nomem);
		dr->execution_role_arn = dup_str(typed_root, "executionRoleArn", &nomem);
	}
	if (nomem)
		goto nomem;
	*out = dr;
	return 0;
nomem:
	sp_dockerrun_free(dr);
	return SP_ENOMEM;
}

int sp_dockerrun_load(const char *data, size_t len, const char *file,
		      const struct sp_dockerrun_options *opts, struct sp_diags *d,
		      struct sp_dockerrun **out)
{
	struct sp_diags local;
	struct sp_doc *doc = NULL;
	json_t *typed = NULL, *defs = NULL, *vols = NULL;
	struct sp_dockerrun *dr = NULL;
	int rc = SP_ERROR;
	sp_diags_init(&local);
	struct dr_ctx c = { NULL, &local, opts, false };

	if (sp_doc_load(data, len, file, SP_DOC_JSON, NULL, &local, &doc) != 0)
		goto out;
	c.doc = doc;
	const struct sp_node *root = sp_doc_root(doc);
	if (!root || root->type != SP_NODE_MAP) {
		sp_diag_node(&local, SP_SEV_ERROR, "DOCKERRUN_NOT_OBJECT", doc, root,
			     "the file is one JSON object: {\"AWSEBDockerrunVersion\": 2, \"containerDefinitions\": [...]}",
			     "Dockerrun.aws.json must be a JSON object (found: %s)",
			     root ? sp_node_type_name(root->type) : "nothing");
		goto out;
	}
	int version = decide_version(&c, root);
	if (version == 3)
		goto out;
	dr_root_unknown_keys(&c, root, version);
	typed = dr_typed_object(&c, root, version == 1 ? dr_v1_root_table() : dr_v2_root_table(),
				"Dockerrun.aws.json", false);
	if (!typed) {
		rc = SP_ENOMEM;
		goto out;
	}
	if (version == 1)
		dr_check_v1(&c, root);
	else
		dr_check_v2(&c, root);
	if (c.nomem) {
		rc = SP_ENOMEM;
		goto out;
	}
	if (sp_diags_errors(&local) > 0)
		goto out;
	if (version == 1) {
		defs = json_array();
		vols = json_array();
		if (!defs || !vols || dr_v1_convert(root, defs, vols) != 0) {
			rc = SP_ENOMEM;
			goto out;
		}
	} else {
		defs = json_incref(json_object_get(typed, "containerDefinitions"));
		vols = json_incref(json_object_get(typed, "volumes"));
	}
	rc = build_model(defs, vols, version == 1 ? NULL : typed, &dr);
	if (rc != 0)
		goto out;
	dr->version = version;
	if (version == 1) {
		const struct sp_node *img = sp_node_get(root, "Image");
		const struct sp_node *auth = sp_node_get(root, "Authentication");
		bool pull = true;
		if (dr_bool(sp_node_get(img, "Update"), &pull))
			dr->containers[0].pull = pull;
		if (auth) {
			dr->auth_bucket = dr_str(sp_node_get(auth, "Bucket")) ? sp_strdup(dr_str(sp_node_get(auth, "Bucket"))) : NULL;
			dr->auth_key = dr_str(sp_node_get(auth, "Key")) ? sp_strdup(dr_str(sp_node_get(auth, "Key"))) : NULL;
		}
	}
	*out = dr;
	rc = 0;
out:
	sp_diags_merge(d, &local);
	sp_diags_free(&local);
	json_decref(typed);
	json_decref(defs);
	json_decref(vols);
	sp_doc_free(doc);
	return rc;
}

int sp_dockerrun_load_file(const char *path, const char *display_name,
			   const struct sp_dockerrun_options *opts, struct sp_diags *d,
			   struct sp_dockerrun **out)
{
	struct sp_buf b = SP_BUF_INIT(SP_DOC_MAX_INPUT);
	const char *name = display_name ? display_name : path;
	int rc = sp_read_file(path, SP_DOC_MAX_INPUT, &b);
	if (rc == SP_ETOOBIG) {
		sp_diag_add(d, SP_SEV_ERROR, "DOC_TOO_LARGE", (struct sp_loc){ name, 0, 0, "" },
			    "keep Dockerrun.aws.json under 4 MiB", "the file is larger than %zu bytes",
			    (size_t)SP_DOC_MAX_INPUT);
		rc = SP_ERROR;
	} else if (rc != 0) {
		sp_diag_add(d, SP_SEV_ERROR, "DOCKERRUN_UNREADABLE", (struct sp_loc){ name, 0, 0, "" }, NULL,
			    "cannot read the file: %s", sp_strerror(rc));
		rc = SP_ERROR;
	} else {
		rc = sp_dockerrun_load(sp_buf_cstr(&b), b.len, name, opts, d, out);
	}
	sp_buf_free(&b);
	return rc;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void sp_dockerrun_free(struct sp_dockerrun *dr)
{
	if (!dr)
		return;
	for (size_t i = 0; i < dr->n_containers; i++) {
		struct sp_dr_container *c = &dr->containers[i];
		free(c->name);
		free(c->image);
		free(c->working_directory);
		free(c->hostname);
		free(c->user);
		free_strings(c->entry_point, c->n_entry_point);
		free_strings(c->command, c->n_command);
		for (size_t k = 0; k < c->n_links; k++) {
			free(c->links[k].container);
			free(c->links[k].alias);
		}
		free(c->links);
		free(c->ports);
		for (size_t k = 0; k < c->n_env; k++) {
			free(c->env[k].name);
			free(c->env[k].value);
		}
		free(c->env);
		for (size_t k = 0; k < c->n_mounts; k++) {
			free(c->mounts[k].source_volume);
			free(c->mounts[k].container_path);
		}
		free(c->mounts);
		for (size_t k = 0; k < c->n_volumes_from; k++)
			free(c->volumes_from[k].source_container);
		free(c->volumes_from);
		for (size_t k = 0; k < c->n_depends_on; k++) {
			free(c->depends_on[k].container);
			free(c->depends_on[k].condition);
		}
		free(c->depends_on);
		json_decref(c->definition);
	}
	free(dr->containers);
	for (size_t i = 0; i < dr->n_volumes; i++) {
		free(dr->volumes[i].name);
		free(dr->volumes[i].source_path);
	}
	free(dr->volumes);
	free(dr->auth_bucket);
	free(dr->auth_key);
	free(dr->execution_role_arn);
	free(dr);
}

const struct sp_dr_container *sp_dockerrun_container(const struct sp_dockerrun *dr, const char *name)
{
	for (size_t i = 0; dr && name && i < dr->n_containers; i++)
		if (strcmp(dr->containers[i].name, name) == 0)
			return &dr->containers[i];
	return NULL;
}
