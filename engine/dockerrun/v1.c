/* v1.c — version 1 (single container): its rules, and its conversion into one version 2
 * container definition named SP_DOCKERRUN_V1_CONTAINER, so everything after loading sees
 * one model. Version 1 writes numbers and booleans as strings ("80", "true") in EB's own
 * docs, so both forms are accepted here without a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dockerrun/dockerrun_int.h"
#include "engine/base/banned.h"

void dr_check_v1(struct dr_ctx *c, const struct sp_node *root)
{
	const struct sp_node *image = sp_node_get(root, "Image");
	const struct sp_node *name = image ? sp_node_get(image, "Name") : NULL;
	const struct sp_node *ports = sp_node_get(root, "Ports");
	struct dr_port_seen *seen = calloc(1, sizeof(*seen));
	if (!seen) {
		c->nomem = true;
		return;
	}
	if (!image)
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_V1_NO_IMAGE", c->doc, root,
			     "build and push the image, then name it in \"Image\": {\"Name\": \"org/app:1\"}",
			     "a version 1 file without \"Image\" builds from a Dockerfile, which sprout "
			     "does not support yet");
	else if (name)
		dr_check_image(c, name);
	if (image && (!ports || (ports->type == SP_NODE_SEQ && ports->n == 0)))
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_V1_NO_PORT", c->doc, ports ? ports : root,
			     "add \"Ports\": [{\"ContainerPort\": \"80\"}] naming the port the container listens on",
			     "a version 1 file with \"Image\" needs \"Ports\"");
	for (size_t k = 0; ports && ports->type == SP_NODE_SEQ && k < ports->n; k++) {
		const struct sp_node *it = ports->items[k];
		if (it->type != SP_NODE_MAP)
			continue;
		if (k > 0) {
			sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_V1_EXTRA_PORT", c->doc, it,
				     "version 1 publishes one port; use version 2 for more",
				     "only the first entry of \"Ports\" is used; this one is ignored");
			continue;
		}
		const struct sp_node *cp = sp_node_get(it, "ContainerPort"), *hp = sp_node_get(it, "HostPort");
		int64_t cport = 0, hport = 0;
		if (!dr_int(cp, &cport))
			continue;
		bool hh = dr_int(hp, &hport);
		dr_check_port(c, cp, hh ? hp : cp, cport, true, hh ? hport : SP_DOCKERRUN_V1_HOST_PORT,
			      NULL, NULL, SP_DOCKERRUN_V1_CONTAINER, seen);
	}
	const struct sp_node *vols = sp_node_get(root, "Volumes");
	for (size_t k = 0; vols && vols->type == SP_NODE_SEQ && k < vols->n; k++) {
		const struct sp_node *hd = sp_node_get(vols->items[k], "HostDirectory");
		const struct sp_node *cd = sp_node_get(vols->items[k], "ContainerDirectory");
		if (dr_str(hd))
			dr_check_host_path(c, hd, dr_str(hd));
		if (dr_str(cd) && dr_str(cd)[0] != '/')
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MOUNT_PATH_RELATIVE", c->doc, cd,
				     "write the absolute path inside the container",
				     "ContainerDirectory \"%s\" is not absolute", dr_str(cd));
	}
	const struct sp_node *logging = sp_node_get(root, "Logging");
	if (dr_str(logging) && dr_str(logging)[0] != '/')
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MOUNT_PATH_RELATIVE", c->doc, logging,
			     "write the absolute path of the log folder inside the container",
			     "Logging \"%s\" is not absolute", dr_str(logging));
	free(seen);
}

/* Command is a string that EB hands to `docker run` after the image: split on blanks. */
static json_t *split_words(const char *s)
{
	json_t *arr = json_array();
	while (arr && *s) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = strcspn(s, " \t");
		if (n && json_array_append_new(arr, json_stringn(s, n)) != 0) {
			json_decref(arr);
			return NULL;
		}
		s += n;
	}
	return arr;
}

static int set(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

int dr_v1_convert(const struct sp_node *root, json_t *defs, json_t *vols)
{
	json_t *def = json_object(), *mounts = json_array();
	const struct sp_node *image = sp_node_get(root, "Image");
	const struct sp_node *ports = sp_node_get(root, "Ports");
	const struct sp_node *volumes = sp_node_get(root, "Volumes");
	const char *entry = dr_str(sp_node_get(root, "Entrypoint"));
	const char *command = dr_str(sp_node_get(root, "Command"));
	const char *logging = dr_str(sp_node_get(root, "Logging"));
	int64_t cport = 0, hport = 0;
	int rc = SP_ENOMEM;
	if (!def || !mounts)
		goto out;
	if (set(def, "name", json_string(SP_DOCKERRUN_V1_CONTAINER)) ||
	    set(def, "image", json_string(dr_str(sp_node_get(image, "Name")))) ||
	    set(def, "memoryReservation", json_integer(SP_DOCKERRUN_V1_MEMORY_RESERVATION)))
		goto out;
	if (ports && ports->n && dr_int(sp_node_get(ports->items[0], "ContainerPort"), &cport)) {
		if (!dr_int(sp_node_get(ports->items[0], "HostPort"), &hport))
			hport = SP_DOCKERRUN_V1_HOST_PORT;
		json_t *pm = json_pack("[{s:I,s:I}]", "containerPort", (json_int_t)cport, "hostPort",
				       (json_int_t)hport);
		if (set(def, "portMappings", pm))
			goto out;
	}
	if (set(def, "essential", json_true()))
		goto out;
	if (entry && set(def, "entryPoint", json_pack("[s]", entry)))
		goto out;
	if (command && set(def, "command", split_words(command)))
		goto out;
	for (size_t k = 0; volumes && volumes->type == SP_NODE_SEQ && k < volumes->n; k++) {
		char name[32];
		snprintf(name, sizeof(name), "volume-%zu", k + 1);
		const char *hd = dr_str(sp_node_get(volumes->items[k], "HostDirectory"));
		const char *cd = dr_str(sp_node_get(volumes->items[k], "ContainerDirectory"));
		if (!hd || !cd)
			continue;
		if (json_array_append_new(vols, json_pack("{s:s,s:{s:s}}", "name", name, "host",
							  "sourcePath", hd)) ||
		    json_array_append_new(mounts, json_pack("{s:s,s:s}", "sourceVolume", name,
							    "containerPath", cd)))
			goto out;
	}
	if (logging && json_array_append_new(mounts, json_pack("{s:s,s:s}", "sourceVolume",
				SP_DOCKERRUN_LOG_VOLUME_PREFIX SP_DOCKERRUN_V1_CONTAINER, "containerPath", logging)))
		goto out;
	if (json_array_size(mounts) && json_object_set(def, "mountPoints", mounts))
		goto out;
	if (json_array_append(defs, def))
		goto out;
	rc = 0;
out:
	json_decref(def);
	json_decref(mounts);
	return rc;
}
