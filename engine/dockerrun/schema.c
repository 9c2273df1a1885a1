/* schema.c — what every key of Dockerrun.aws.json is, as tables (conventions: tables over
 * code). The same tables drive type checks, the "did you mean" of unknown keys and the
 * JSON passed to ECS, so adding an ECS field is one line here. */
#include <string.h>

#include "engine/dockerrun/dockerrun_int.h"
#include "engine/base/banned.h"

#define END { NULL, 0, NULL, NULL, false, NULL }
#define F(n, t) { n, t, NULL, NULL, false, NULL }
#define REQ(n, t) { n, t, NULL, NULL, true, NULL }
#define SUB(n, t, s, w) { n, t, s, w, false, NULL }
#define HINTED(n, t, h) { n, t, NULL, NULL, false, h }

static const struct dr_field name_value_from[] = { REQ("name", DR_STRING), REQ("valueFrom", DR_STRING), END };
static const struct dr_field port_mapping[] = {
	F("containerPort", DR_INT), F("hostPort", DR_INT), F("protocol", DR_STRING), END };
static const struct dr_field env_entry[] = { REQ("name", DR_STRING), HINTED("value", DR_STRING,
	"environment values are strings; quote numbers and booleans"), END };
static const struct dr_field mount_point[] = {
	F("sourceVolume", DR_STRING), F("containerPath", DR_STRING), F("readOnly", DR_BOOL), END };
static const struct dr_field volume_from[] = {
	F("sourceContainer", DR_STRING), F("readOnly", DR_BOOL), END };
static const struct dr_field extra_host[] = { REQ("hostname", DR_STRING), REQ("ipAddress", DR_STRING), END };
static const struct dr_field ulimit[] = {
	REQ("name", DR_STRING), REQ("softLimit", DR_INT), REQ("hardLimit", DR_INT), END };
static const struct dr_field log_configuration[] = {
	REQ("logDriver", DR_STRING), F("options", DR_STRMAP),
	SUB("secretOptions", DR_OBJECTS, name_value_from, "secret option"), END };
static const struct dr_field health_check[] = {
	REQ("command", DR_STRINGS), F("interval", DR_INT), F("timeout", DR_INT), F("retries", DR_INT),
	F("startPeriod", DR_INT), END };
static const struct dr_field depends_on[] = {
	F("containerName", DR_STRING), F("condition", DR_STRING), END };
static const struct dr_field capabilities[] = { F("add", DR_STRINGS), F("drop", DR_STRINGS), END };
static const struct dr_field device[] = {
	REQ("hostPath", DR_STRING), F("containerPath", DR_STRING), F("permissions", DR_STRINGS), END };
static const struct dr_field tmpfs[] = {
	REQ("containerPath", DR_STRING), REQ("size", DR_INT), F("mountOptions", DR_STRINGS), END };
static const struct dr_field linux_parameters[] = {
	SUB("capabilities", DR_OBJECT, capabilities, "capabilities object"),
	SUB("devices", DR_OBJECTS, device, "device"), F("initProcessEnabled", DR_BOOL),
	F("sharedMemorySize", DR_INT), SUB("tmpfs", DR_OBJECTS, tmpfs, "tmpfs mount"),
	F("maxSwap", DR_INT), F("swappiness", DR_INT), END };
static const struct dr_field system_control[] = { F("namespace", DR_STRING), F("value", DR_STRING), END };
static const struct dr_field repository_credentials[] = { REQ("credentialsParameter", DR_STRING), END };
static const struct dr_field type_value[] = { REQ("value", DR_STRING), REQ("type", DR_STRING), END };
static const struct dr_field firelens[] = { REQ("type", DR_STRING), F("options", DR_STRMAP), END };

/* ECS ContainerDefinition members EB passes through, in the order of the ECS API docs
 * (the order of the generated JSON). */
static const struct dr_field container[] = {
	F("name", DR_STRING),
	F("image", DR_STRING),
	SUB("repositoryCredentials", DR_OBJECT, repository_credentials, "repositoryCredentials object"),
	F("cpu", DR_INT),
	F("memory", DR_INT),
	F("memoryReservation", DR_INT),
	F("links", DR_STRINGS),
	SUB("portMappings", DR_OBJECTS, port_mapping, "port mapping"),
	F("essential", DR_BOOL),
	F("entryPoint", DR_STRINGS),
	F("command", DR_STRINGS),
	{ "environment", DR_OBJECTS, env_entry, "environment entry", false,
	  "write a list of {\"name\": \"NAME\", \"value\": \"VALUE\"} objects" },
	SUB("environmentFiles", DR_OBJECTS, type_value, "environment file"),
	SUB("mountPoints", DR_OBJECTS, mount_point, "mount point"),
	SUB("volumesFrom", DR_OBJECTS, volume_from, "volumesFrom entry"),
	SUB("linuxParameters", DR_OBJECT, linux_parameters, "linuxParameters object"),
	SUB("secrets", DR_OBJECTS, name_value_from, "secret"),
	{ "dependsOn", DR_OBJECTS, depends_on, "dependsOn entry", false,
	  "write [{\"containerName\": \"NAME\", \"condition\": \"START\"}]" },
	F("startTimeout", DR_INT),
	F("stopTimeout", DR_INT),
	F("hostname", DR_STRING),
	F("user", DR_STRING),
	F("workingDirectory", DR_STRING),
	F("disableNetworking", DR_BOOL),
	F("privileged", DR_BOOL),
	F("readonlyRootFilesystem", DR_BOOL),
	F("dnsServers", DR_STRINGS),
	F("dnsSearchDomains", DR_STRINGS),
	SUB("extraHosts", DR_OBJECTS, extra_host, "extraHosts entry"),
	F("dockerSecurityOptions", DR_STRINGS),
	F("interactive", DR_BOOL),
	F("pseudoTerminal", DR_BOOL),
	F("dockerLabels", DR_STRMAP),
	SUB("ulimits", DR_OBJECTS, ulimit, "ulimit"),
	SUB("logConfiguration", DR_OBJECT, log_configuration, "logConfiguration object"),
	SUB("healthCheck", DR_OBJECT, health_check, "healthCheck object"),
	SUB("systemControls", DR_OBJECTS, system_control, "systemControls entry"),
	SUB("resourceRequirements", DR_OBJECTS, type_value, "resource requirement"),
	SUB("firelensConfiguration", DR_OBJECT, firelens, "firelensConfiguration object"),
	END
};

static const struct dr_field host_volume[] = { F("sourcePath", DR_STRING), END };
static const struct dr_field volume[] = {
	F("name", DR_STRING), SUB("host", DR_OBJECT, host_volume, "host object"), END };
static const struct dr_field authentication_v2[] = { REQ("bucket", DR_STRING), REQ("key", DR_STRING), END };

static const struct dr_field v2_root[] = {
	F("AWSEBDockerrunVersion", DR_VERSION),
	SUB("volumes", DR_OBJECTS, volume, "volume"),
	SUB("containerDefinitions", DR_OBJECTS, container, "container definition"),
	SUB("authentication", DR_OBJECT, authentication_v2, "authentication object"),
	F("executionRoleArn", DR_STRING),
	HINTED("family", DR_IGNORED,
	       "Elastic Beanstalk names the task definition family awseb-<environment>-<id>"),
	HINTED("localContainerDefinitions", DR_IGNORED, "only `eb local` reads it"),
	HINTED("taskRoleArn", DR_IGNORED,
	       "tasks use the instance profile; Dockerrun.aws.json takes executionRoleArn only"),
	END
};

static const struct dr_field v1_image[] = { REQ("Name", DR_STRING), F("Update", DR_V1_BOOL), END };
static const struct dr_field v1_port[] = { REQ("ContainerPort", DR_V1_INT), F("HostPort", DR_V1_INT), END };
static const struct dr_field v1_volume[] = {
	REQ("HostDirectory", DR_STRING), REQ("ContainerDirectory", DR_STRING), END };
static const struct dr_field v1_authentication[] = { REQ("Bucket", DR_STRING), REQ("Key", DR_STRING), END };

static const struct dr_field v1_root[] = {
	F("AWSEBDockerrunVersion", DR_VERSION),
	SUB("Authentication", DR_OBJECT, v1_authentication, "Authentication object"),
	SUB("Image", DR_OBJECT, v1_image, "Image object"),
	SUB("Ports", DR_OBJECTS, v1_port, "port"),
	SUB("Volumes", DR_OBJECTS, v1_volume, "volume"),
	F("Logging", DR_STRING),
	F("Entrypoint", DR_STRING),
	F("Command", DR_STRING),
	END
};

const struct dr_field *dr_v2_root_table(void) { return v2_root; }
const struct dr_field *dr_v1_root_table(void) { return v1_root; }

/* docker-compose keys people put in container definitions, and the Dockerrun way. */
struct compose_key {
	const char *key, *equivalent, *hint;
};
static const struct compose_key compose_keys[] = {
	{ "ports", "portMappings", "write [{\"hostPort\": 80, \"containerPort\": 8080}] instead of [\"80:8080\"]" },
	{ "depends_on", "dependsOn", "write [{\"containerName\": \"db\", \"condition\": \"START\"}]" },
	{ "build", "image", "the ECS platform runs prebuilt images only: build and push the image, then name it in \"image\"" },
	{ "restart", "essential", "ECS restarts the task when an essential container stops; set \"essential\": true or false" },
	{ "container_name", "name", "the container's name is its \"name\"" },
	{ "volumes", "mountPoints", "declare the volume in the top-level \"volumes\" and mount it with \"mountPoints\": [{\"sourceVolume\": ..., \"containerPath\": ...}]" },
	{ "expose", "portMappings", "list the port as {\"containerPort\": N} in \"portMappings\"" },
	{ "env_file", "environment", "list the variables as {\"name\": ..., \"value\": ...} in \"environment\"" },
	{ "mem_limit", "memory", "give the hard limit in MiB as \"memory\": 256" },
	{ "mem_reservation", "memoryReservation", "give the soft limit in MiB as \"memoryReservation\": 128" },
	{ "working_dir", "workingDirectory", NULL },
	{ "entrypoint", "entryPoint", NULL },
	{ "extra_hosts", "extraHosts", "write [{\"hostname\": ..., \"ipAddress\": ...}]" },
	{ "dns", "dnsServers", NULL },
	{ "dns_search", "dnsSearchDomains", NULL },
	{ "labels", "dockerLabels", NULL },
	{ "cap_add", "linuxParameters", "write \"linuxParameters\": {\"capabilities\": {\"add\": [...]}}" },
	{ "cap_drop", "linuxParameters", "write \"linuxParameters\": {\"capabilities\": {\"drop\": [...]}}" },
	{ "healthcheck", "healthCheck", "write {\"command\": [\"CMD-SHELL\", \"...\"], \"interval\": 30}" },
	{ "logging", "logConfiguration", "write {\"logDriver\": \"json-file\", \"options\": {...}}" },
	{ "networks", "links", "containers of a task share the bridge network; name the containers to reach in \"links\"" },
	{ "read_only", "readonlyRootFilesystem", NULL },
	{ "stop_grace_period", "stopTimeout", "give seconds as an integer: \"stopTimeout\": 30" },
	{ "tty", "pseudoTerminal", NULL },
	{ "stdin_open", "interactive", NULL },
	{ "security_opt", "dockerSecurityOptions", NULL },
	{ "sysctls", "systemControls", NULL },
	{ NULL, NULL, NULL },
};

bool dr_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > SP_DOCKERRUN_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

const char *dr_str(const struct sp_node *n)
{
	if (!n || n->type != SP_NODE_STRING || !n->text || strlen(n->text) != n->text_len)
		return NULL;
	return n->text;
}

bool dr_int(const struct sp_node *n, int64_t *v)
{
	if (!n)
		return false;
	if (n->type == SP_NODE_INT) {
		*v = n->integer;
		return true;
	}
	if (n->type == SP_NODE_STRING && dr_str(n))
		return sp_parse_i64(n->text, v) == 0;
	return false;
}

bool dr_bool(const struct sp_node *n, bool *v)
{
	if (!n)
		return false;
	if (n->type == SP_NODE_BOOL) {
		*v = n->boolean;
		return true;
	}
	const char *s = dr_str(n);
	if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
		*v = s[0] == 't';
		return true;
	}
	return false;
}

static const char *article(const char *word)
{
	return strchr("aeio", word[0]) ? "an" : "a";
}

static const char *type_phrase(enum dr_type t)
{
	switch (t) {
	case DR_STRING: return "a string";
	case DR_INT: case DR_V1_INT: return "an integer";
	case DR_BOOL: case DR_V1_BOOL: return "a boolean (true or false)";
	case DR_STRINGS: return "a list of strings";
	case DR_STRMAP: return "an object of string values";
	case DR_OBJECT: return "an object";
	case DR_OBJECTS: return "a list of objects";
	default: return "something else";
	}
}

static const char *node_phrase(const struct sp_node *n)
{
	switch (n->type) {
	case SP_NODE_NULL: return "null";
	case SP_NODE_BOOL: return "a boolean";
	case SP_NODE_INT: return "an integer";
	case SP_NODE_REAL: return "a number with a fraction";
	case SP_NODE_STRING: return "a string";
	case SP_NODE_SEQ: return "a list";
	case SP_NODE_MAP: return "an object";
	}
	return "?";
}

static void type_error(struct dr_ctx *c, const struct sp_node *n, const char *name,
		       enum dr_type want, const char *extra_hint)
{
	struct sp_buf hint = SP_BUF_INIT(4096);
	const char *s = n->type == SP_NODE_STRING ? dr_str(n) : NULL;
	if (extra_hint)
		sp_buf_puts(&hint, extra_hint);
	else if (want == DR_STRING && sp_node_is_scalar(n) && n->type != SP_NODE_NULL && n->text)
		sp_buf_printf(&hint, "write \"%s\" in quotes", n->text);
	else if (want == DR_STRINGS && s)
		sp_buf_printf(&hint, "write [\"%s\"]", s);
	else if (want == DR_INT && s)
		sp_buf_puts(&hint, "write a whole number such as 128, without quotes");
	else if (want == DR_V1_INT && s)
		sp_buf_puts(&hint, "write the port number, e.g. \"80\"");
	else if (want == DR_BOOL && s)
		sp_buf_puts(&hint, "write true or false, without quotes");
	sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_TYPE", c->doc, n, hint.len ? sp_buf_cstr(&hint) : NULL,
		     "\"%s\" must be %s, not %s", name, type_phrase(want), node_phrase(n));
	sp_buf_free(&hint);
}

static void quoted_warning(struct dr_ctx *c, const struct sp_node *n, const char *name)
{
	struct sp_buf hint = SP_BUF_INIT(4096);
	sp_buf_printf(&hint, "write \"%s\": %s", name, n->text);
	sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_QUOTED_SCALAR", c->doc, n, sp_buf_cstr(&hint),
		     "\"%s\" is the string \"%s\"; it is read as %s %s", name, n->text,
		     (n->text[0] == 't' || n->text[0] == 'f') ? "the boolean" : "the number", n->text);
	sp_buf_free(&hint);
}

static json_t *typed_value(struct dr_ctx *c, const struct sp_node *n, const struct dr_field *f);

static json_t *typed_list(struct dr_ctx *c, const struct sp_node *n, const struct dr_field *f)
{
	if (n->n > SP_DOCKERRUN_MAX_LIST) {
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_TOO_MANY_ITEMS", c->doc, n, NULL,
			     "\"%s\" has %zu items; sprout takes at most %d", f->name, n->n,
			     SP_DOCKERRUN_MAX_LIST);
		return NULL;
	}
	json_t *arr = json_array();
	if (!arr)
		goto nomem;
	for (size_t i = 0; i < n->n; i++) {
		const struct sp_node *it = n->items[i];
		json_t *v = NULL;
		if (f->type == DR_STRINGS) {
			if (it->type == SP_NODE_STRING) {
				v = json_stringn(it->text, it->text_len);
				if (!v)
					goto nomem;
			} else {
				sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_TYPE", c->doc, it,
					     it->text && sp_node_is_scalar(it) && it->type != SP_NODE_NULL ? "quote it" : NULL,
					     "each item of \"%s\" must be a string, not %s", f->name,
					     node_phrase(it));
			}
		} else if (it->type == SP_NODE_MAP) {
			v = dr_typed_object(c, it, f->sub, f->what, f->sub == container);
			if (!v && c->nomem)
				goto nomem;
		} else {
			struct sp_buf hint = SP_BUF_INIT(4096);
			const char *s = dr_str(it);
			const char *eq = s ? strchr(s, '=') : NULL;
			if (f->sub == env_entry && eq)
				sp_buf_printf(&hint, "write {\"name\": \"%.*s\", \"value\": \"%s\"}",
					      (int)(eq - s), s, eq + 1);
			else if (f->sub == env_entry && s)
				sp_buf_printf(&hint, "write {\"name\": \"%s\", \"value\": \"...\"}", s);
			else if (f->hint)
				sp_buf_puts(&hint, f->hint);
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_TYPE", c->doc, it,
				     hint.len ? sp_buf_cstr(&hint) : NULL,
				     "each item of \"%s\" must be %s %s, not %s", f->name,
				     article(f->what), f->what, node_phrase(it));
			sp_buf_free(&hint);
		}
		if (v && json_array_append_new(arr, v) != 0)
			goto nomem;
	}
	return arr;
nomem:
	c->nomem = true;
	json_decref(arr);
	return NULL;
}

static json_t *typed_value(struct dr_ctx *c, const struct sp_node *n, const struct dr_field *f)
{
	int64_t iv;
	bool bv;
	json_t *v = NULL;
	switch (f->type) {
	case DR_VERSION:
	case DR_IGNORED:
		return NULL;
	case DR_STRING:
		if (n->type == SP_NODE_STRING)
			c->nomem = !(v = json_stringn(n->text, n->text_len));
		else
			type_error(c, n, f->name, f->type, f->hint);
		break;
	case DR_INT:
	case DR_V1_INT:
		if (n->type == SP_NODE_INT) {
			v = json_integer(n->integer);
		} else if (n->type == SP_NODE_STRING && dr_int(n, &iv)) {
			if (f->type == DR_INT)
				quoted_warning(c, n, f->name);
			v = json_integer(iv);
		} else {
			type_error(c, n, f->name, f->type, f->hint);
		}
		break;
	case DR_BOOL:
	case DR_V1_BOOL:
		if (n->type == SP_NODE_BOOL) {
			v = json_boolean(n->boolean);
		} else if (n->type == SP_NODE_STRING && dr_bool(n, &bv)) {
			if (f->type == DR_BOOL)
				quoted_warning(c, n, f->name);
			v = json_boolean(bv);
		} else {
			type_error(c, n, f->name, f->type, f->hint);
		}
		break;
	case DR_STRINGS:
	case DR_OBJECTS:
		if (n->type != SP_NODE_SEQ) {
			type_error(c, n, f->name, f->type, f->hint);
			return NULL;
		}
		return typed_list(c, n, f);
	case DR_STRMAP:
		if (n->type != SP_NODE_MAP) {
			type_error(c, n, f->name, f->type, f->hint);
			return NULL;
		}
		v = json_object();
		if (!v)
			break;
		for (size_t i = 0; i < n->n; i++) {
			const struct sp_node *k = n->keys[i], *it = n->items[i];
			if (it->type != SP_NODE_STRING) {
				struct sp_buf hint = SP_BUF_INIT(4096);
				if (sp_node_is_scalar(it) && it->text && it->type != SP_NODE_NULL)
					sp_buf_printf(&hint, "write \"%s\": \"%s\"", k->text, it->text);
				sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_TYPE", c->doc, it,
					     hint.len ? sp_buf_cstr(&hint) : NULL,
					     "the values of \"%s\" must be strings; \"%s\" is %s", f->name,
					     k->text, node_phrase(it));
				sp_buf_free(&hint);
				continue;
			}
			if (json_object_set_new(v, k->text, json_stringn(it->text, it->text_len)) != 0) {
				json_decref(v);
				c->nomem = true;
				return NULL;
			}
		}
		return v;
	case DR_OBJECT:
		if (n->type != SP_NODE_MAP) {
			type_error(c, n, f->name, f->type, f->hint);
			return NULL;
		}
		return dr_typed_object(c, n, f->sub, f->what, false);
	}
	return v;
}

static const struct dr_field *find_field(const struct dr_field *table, const char *key)
{
	for (const struct dr_field *f = table; f->name; f++)
		if (strcmp(f->name, key) == 0)
			return f;
	return NULL;
}

static void unknown_key(struct dr_ctx *c, const struct sp_node *k, const struct dr_field *table,
			const char *what, bool compose)
{
	if (compose) {
		for (const struct compose_key *ck = compose_keys; ck->key; ck++) {
			if (strcmp(ck->key, k->text) != 0)
				continue;
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_COMPOSE_KEY", c->doc, k, ck->hint,
				     "\"%s\" is a docker-compose key; a Dockerrun.aws.json container "
				     "definition uses \"%s\"", ck->key, ck->equivalent);
			return;
		}
	}
	const char *names[64] = { NULL };
	size_t n = 0;
	for (const struct dr_field *f = table; f->name && n < 64; f++)
		names[n++] = f->name;
	const char *near = sp_suggest(k->text, names, n);
	struct sp_buf hint = SP_BUF_INIT(4096);
	if (near) {
		sp_buf_printf(&hint, "did you mean \"%s\"?", near);
	} else if (n <= 8) {
		sp_buf_puts(&hint, "known keys: ");
		for (size_t i = 0; i < n; i++)
			sp_buf_printf(&hint, "%s%s", i ? ", " : "", names[i]);
	} else {
		sp_buf_puts(&hint, "docs/dockerrun.md lists the keys sprout knows");
	}
	sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_UNKNOWN_KEY", c->doc, k, sp_buf_cstr(&hint),
		     "unknown key \"%s\" in %s %s; it is ignored", k->text,
		     article(what), what);
	sp_buf_free(&hint);
}

json_t *dr_typed_object(struct dr_ctx *c, const struct sp_node *n, const struct dr_field *table,
			const char *what, bool compose)
{
	if (!n || n->type != SP_NODE_MAP)
		return NULL;
	/* unknown keys, in document order; the root's are judged by model.c */
	if (table != v2_root && table != v1_root) {
		for (size_t i = 0; i < n->n; i++)
			if (!n->keys[i]->text || !find_field(table, n->keys[i]->text))
				unknown_key(c, n->keys[i], table, what, compose);
	}
	json_t *obj = json_object();
	if (!obj) {
		c->nomem = true;
		return NULL;
	}
	for (const struct dr_field *f = table; f->name; f++) {
		const struct sp_node *v = sp_node_get(n, f->name);
		if (!v) {
			if (f->required)
				sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_REQUIRED", c->doc, n, NULL,
					     "%s %s needs \"%s\"", article(what),
					     what, f->name);
			continue;
		}
		if (f->type == DR_IGNORED) {
			sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_KEY_IGNORED", c->doc,
				     sp_node_key(n, f->name), f->hint, "\"%s\" is ignored", f->name);
			continue;
		}
		json_t *jv = typed_value(c, v, f);
		if (!jv)
			continue;
		if (json_object_set_new(obj, f->name, jv) != 0) {
			json_decref(obj);
			c->nomem = true;
			return NULL;
		}
	}
	return obj;
}

/* For model.c: unknown keys of a root map, with the other version's keys told apart. */
void dr_root_unknown_keys(struct dr_ctx *c, const struct sp_node *root, int version);
void dr_root_unknown_keys(struct dr_ctx *c, const struct sp_node *root, int version)
{
	const struct dr_field *table = version == 1 ? v1_root : v2_root;
	const struct dr_field *other = version == 1 ? v2_root : v1_root;
	for (size_t i = 0; i < root->n; i++) {
		const struct sp_node *k = root->keys[i];
		if (!k->text || find_field(table, k->text))
			continue;
		const struct dr_field *of = find_field(other, k->text);
		if (of && of->type != DR_IGNORED) {
			sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_KEY_OTHER_VERSION", c->doc, k,
				     version == 1 ? "a version 1 file describes its one container with "
						    "Image, Ports, Volumes and Logging"
						  : "a version 2 file describes containers in "
						    "containerDefinitions (and spells authentication "
						    "in lower case)",
				     "\"%s\" is a version %d key; this version %d file ignores it",
				     k->text, version == 1 ? 2 : 1, version);
			continue;
		}
		unknown_key(c, k, table, "Dockerrun.aws.json", false);
	}
}

/* For model.c: def with its keys in the container table's order (after EB's additions). */
json_t *dr_container_in_order(json_t *def);
json_t *dr_container_in_order(json_t *def)
{
	json_t *o = json_object();
	for (const struct dr_field *f = container; o && f->name; f++) {
		json_t *v = json_object_get(def, f->name);
		if (v && json_object_set(o, f->name, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}
