/* driver.c — the driver dispatchers and the plan / task definition input checks. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/driver/driver.h"
#include "engine/base/banned.h"

const char *sp_driver_severity_name(enum sp_driver_severity s)
{
	return s == SP_DRIVER_ERROR ? "ERROR" : s == SP_DRIVER_WARN ? "WARN" : "INFO";
}

int sp_driver_check(struct sp_driver *drv, struct sp_buf *msg) { return drv->ops->check(drv->ctx, msg); }
int sp_driver_apply(struct sp_driver *drv, const struct sp_driver_spec *spec, struct sp_diags *d)
{
	return drv->ops->apply(drv->ctx, spec, d);
}
int sp_driver_observe(struct sp_driver *drv, const char *environment, json_t **out)
{
	return drv->ops->observe(drv->ctx, environment, out);
}
int sp_driver_destroy(struct sp_driver *drv, const char *environment, struct sp_diags *d)
{
	return drv->ops->destroy(drv->ctx, environment, d);
}
int sp_driver_list(struct sp_driver *drv, json_t **out) { return drv->ops->list(drv->ctx, out); }
int sp_driver_shutdown(struct sp_driver *drv) { return drv->ops->shutdown(drv->ctx); }
void sp_driver_free(struct sp_driver *drv)
{
	if (!drv)
		return;
	if (drv->ops && drv->ops->free)
		drv->ops->free(drv->ctx);
	free(drv);
}

bool sp_driver_env_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 4 || n > SP_DRIVER_MAX_ENV_NAME || name[0] == '-' || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return false;
	return true;
}

#define PLAN_FILE "plan.json"
#define TASKDEF_FILE "task-definition.json"

static void perr(struct sp_diags *d, const char *file, const char *code, const char *path,
		 const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void perr(struct sp_diags *d, const char *file, const char *code, const char *path,
		 const char *hint, const char *fmt, ...)
{
	va_list ap;
	struct sp_loc loc = { file, 0, 0, path };
	va_start(ap, fmt);
	sp_diag_vadd(d, SP_SEV_ERROR, code, loc, hint, fmt, ap);
	va_end(ap);
}

/* An optional integer member in [lo, hi]; reports and keeps the default otherwise. */
static void get_int(struct sp_diags *d, const json_t *o, const char *key, const char *base,
		    long lo, long hi, int *v)
{
	json_t *x = json_object_get(o, key);
	char path[128];
	if (!x)
		return;
	snprintf(path, sizeof(path), "%s/%s", base, key);
	if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi) {
		perr(d, PLAN_FILE, "DRIVER_PLAN_RANGE", path, NULL, "%s must be an integer from %ld to %ld",
		     key, lo, hi);
		return;
	}
	*v = (int)json_integer_value(x);
}

static int proto_of(const char *s, enum sp_driver_proto *p)
{
	if (!s)
		return -1;
	if (!strcmp(s, "HTTP") || !strcmp(s, "HTTPS")) {
		*p = SP_DRIVER_HTTP;
		return 0;
	}
	if (!strcmp(s, "TCP") || !strcmp(s, "SSL")) {
		*p = SP_DRIVER_TCP;
		return 0;
	}
	return -1;
}

bool sp_driver_plan_port_open(const struct sp_driver_plan *p, int port)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sp_driver_sg_rule *r = &p->rules[i];
		if (r->udp)
			continue;
		if (r->any_protocol || (port >= r->from_port && port <= r->to_port))
			return true;
	}
	return false;
}

static void parse_listeners(const json_t *root, struct sp_driver_plan *p, struct sp_diags *d)
{
	json_t *ls = json_object_get(root, "listeners");
	size_t i;
	json_t *l;
	if (!ls) {
		p->listeners[0] = (struct sp_driver_listener){ 80, SP_DRIVER_HTTP, 80, SP_DRIVER_HTTP };
		p->n_listeners = 1;
		return;
	}
	if (!json_is_array(ls)) {
		perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", "/listeners", NULL, "listeners must be an array");
		return;
	}
	json_array_foreach(ls, i, l) {
		char path[64];
		snprintf(path, sizeof(path), "/listeners/%zu", i);
		if (!json_is_object(l)) {
			perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", path, NULL, "a listener must be an object");
			continue;
		}
		if (json_is_false(json_object_get(l, "enabled")))
			continue;
		if (p->n_listeners == SP_DRIVER_MAX_LISTENERS) {
			perr(d, PLAN_FILE, "DRIVER_PLAN_LIMIT", path, NULL, "at most %d listeners",
			     SP_DRIVER_MAX_LISTENERS);
			break;
		}
		struct sp_driver_listener x = { 80, SP_DRIVER_HTTP, 0, SP_DRIVER_HTTP };
		get_int(d, l, "port", path, 1, 65535, &x.port);
		const char *proto = json_string_value(json_object_get(l, "protocol"));
		if (proto && proto_of(proto, &x.protocol))
			perr(d, PLAN_FILE, "DRIVER_PLAN_PROTOCOL", path, "use HTTP or TCP",
			     "listener protocol \"%s\" is not HTTP, HTTPS, TCP or SSL", proto);
		x.instance_port = x.port;
		get_int(d, l, "instancePort", path, 1, 65535, &x.instance_port);
		x.instance_protocol = x.protocol;
		const char *iproto = json_string_value(json_object_get(l, "instanceProtocol"));
		if (iproto && proto_of(iproto, &x.instance_protocol))
			perr(d, PLAN_FILE, "DRIVER_PLAN_PROTOCOL", path, "use HTTP or TCP",
			     "instance protocol \"%s\" is not HTTP, HTTPS, TCP or SSL", iproto);
		for (size_t k = 0; k < p->n_listeners; k++)
			if (p->listeners[k].port == x.port)
				perr(d, PLAN_FILE, "DRIVER_PLAN_LISTENER_DUPLICATE", path, NULL,
				     "two listeners on port %d", x.port);
		p->listeners[p->n_listeners++] = x;
	}
}

static void parse_rules(const json_t *root, struct sp_driver_plan *p, struct sp_diags *d)
{
	json_t *rs = json_object_get(root, "securityGroupRules");
	size_t i;
	json_t *r;
	if (!rs)
		return;
	if (!json_is_array(rs)) {
		perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", "/securityGroupRules", NULL,
		     "securityGroupRules must be an array");
		return;
	}
	json_array_foreach(rs, i, r) {
		char path[64];
		snprintf(path, sizeof(path), "/securityGroupRules/%zu", i);
		if (p->n_rules == SP_DRIVER_MAX_SG_RULES) {
			perr(d, PLAN_FILE, "DRIVER_PLAN_LIMIT", path, NULL, "at most %d security group rules",
			     SP_DRIVER_MAX_SG_RULES);
			break;
		}
		struct sp_driver_sg_rule x = { false, false, 0, -1 };
		const char *proto = json_string_value(json_object_get(r, "protocol"));
		if (!proto || !strcmp(proto, "tcp"))
			;
		else if (!strcmp(proto, "-1") || !strcmp(proto, "all"))
			x.any_protocol = true;
		else if (!strcmp(proto, "udp"))
			x.udp = true;
		else
			perr(d, PLAN_FILE, "DRIVER_PLAN_PROTOCOL", path, "use tcp, udp or -1",
			     "rule protocol \"%s\" is not tcp, udp or -1", proto);
		get_int(d, r, "fromPort", path, 0, 65535, &x.from_port);
		x.to_port = x.from_port;
		get_int(d, r, "toPort", path, 0, 65535, &x.to_port);
		if (!x.any_protocol && x.to_port < x.from_port)
			perr(d, PLAN_FILE, "DRIVER_PLAN_RANGE", path, NULL, "toPort %d is below fromPort %d",
			     x.to_port, x.from_port);
		p->rules[p->n_rules++] = x;
	}
}

/* An optional string of printable ASCII without spaces, at most cap-1 bytes, into out. */
static void get_word(struct sp_diags *d, const json_t *o, const char *key, const char *base,
		     char *out, size_t cap)
{
	json_t *x = json_object_get(o, key);
	char path[128];
	if (!x)
		return;
	snprintf(path, sizeof(path), "%s/%s", base, key);
	const char *v = json_string_value(x);
	if (!v) {
		perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", path, NULL, "%s must be a string", key);
		return;
	}
	if (strlen(v) >= cap) {
		perr(d, PLAN_FILE, "DRIVER_PLAN_LIMIT", path, NULL, "%s is longer than %zu bytes",
		     key, cap - 1);
		return;
	}
	for (const char *c = v; *c; c++)
		if (*c <= ' ' || *c > '~') {
			perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", path, NULL,
			     "%s must be printable ASCII without spaces", key);
			return;
		}
	snprintf(out, cap, "%s", v);
}

/* The aws driver's launchConfiguration and loadBalancerAttributes objects. */
static void parse_aws(const json_t *root, struct sp_driver_plan *p, struct sp_diags *d)
{
	json_t *lc = json_object_get(root, "launchConfiguration");
	if (lc && !json_is_object(lc))
		perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", "/launchConfiguration", NULL,
		     "launchConfiguration must be an object");
	if (json_is_object(lc)) {
		const char *b = "/launchConfiguration";
		get_word(d, lc, "imageId", b, p->image_id, sizeof(p->image_id));
		get_word(d, lc, "instanceType", b, p->instance_type, sizeof(p->instance_type));
		get_word(d, lc, "keyName", b, p->key_name, sizeof(p->key_name));
		get_word(d, lc, "iamInstanceProfile", b, p->instance_profile,
			 sizeof(p->instance_profile));
	}
	json_t *a = json_object_get(root, "loadBalancerAttributes");
	if (a && !json_is_object(a))
		perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", "/loadBalancerAttributes", NULL,
		     "loadBalancerAttributes must be an object");
	if (!json_is_object(a))
		return;
	static const char *const flags[] = { "crossZone", "connectionDraining" };
	bool *dest[] = { &p->cross_zone, &p->connection_draining };
	for (size_t i = 0; i < 2; i++) {
		json_t *x = json_object_get(a, flags[i]);
		char path[96];
		snprintf(path, sizeof(path), "/loadBalancerAttributes/%s", flags[i]);
		if (x && !json_is_boolean(x))
			perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", path, NULL, "%s must be true or false",
			     flags[i]);
		else if (x)
			*dest[i] = json_is_true(x);
	}
	get_int(d, a, "connectionDrainingTimeout", "/loadBalancerAttributes", 1, 3600,
		&p->connection_draining_timeout_s);
	get_int(d, a, "idleTimeout", "/loadBalancerAttributes", 1, 3600, &p->idle_timeout_s);
}

static int health_port(const char *target)
{
	const char *c = strchr(target, ':');
	return c ? (int)strtol(c + 1, NULL, 10) : 0;
}

int sp_driver_plan_parse(const char *json, struct sp_driver_plan *out, struct sp_diags *d)
{
	struct sp_driver_plan p;
	json_error_t je;
	size_t before = sp_diags_errors(d);
	json_t *root = NULL;
	memset(&p, 0, sizeof(p));
	p.load_balanced = true;
	p.instances = 1;
	snprintf(p.health_target, sizeof(p.health_target), "TCP:80");
	p.health_interval = 10;
	p.health_timeout = 5;
	p.healthy_threshold = 3;
	p.unhealthy_threshold = 5;
	p.draining_timeout_s = 20;
	p.start_timeout_s = 120;
	p.connection_draining_timeout_s = 20;
	p.idle_timeout_s = 60;

	if (!json || strlen(json) > SP_DRIVER_MAX_INPUT) {
		perr(d, PLAN_FILE, "DRIVER_PLAN_TOO_LARGE", "", NULL, "the plan is missing or larger than %zu bytes",
		     SP_DRIVER_MAX_INPUT);
		return SP_ERROR;
	}
	root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(root)) {
		struct sp_loc loc = { PLAN_FILE, root ? 1 : je.line, root ? 1 : je.column, "" };
		sp_diag_add(d, SP_SEV_ERROR, "DRIVER_PLAN_SYNTAX", loc, NULL, "%s",
			    root ? "the plan must be a JSON object" : je.text);
		json_decref(root);
		return SP_ERROR;
	}
	const char *type = json_string_value(json_object_get(root, "environmentType"));
	if (type && !strcmp(type, "SingleInstance"))
		p.load_balanced = false;
	else if (type && strcmp(type, "LoadBalanced"))
		perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", "/environmentType", "use LoadBalanced or SingleInstance",
		     "environmentType \"%s\" is not LoadBalanced or SingleInstance", type);
	get_int(d, root, "instances", "", 1, SP_DRIVER_MAX_INSTANCES, &p.instances);
	if (!p.load_balanced && p.instances != 1) {
		struct sp_loc loc = { PLAN_FILE, 0, 0, "/instances" };
		sp_diag_add(d, SP_SEV_WARNING, "DRIVER_SINGLE_INSTANCE", loc, NULL,
			    "a SingleInstance environment runs one instance, not %d", p.instances);
		p.instances = 1;
	}
	parse_listeners(root, &p, d);
	json_t *hc = json_object_get(root, "healthCheck");
	if (json_is_object(hc)) {
		const char *t = json_string_value(json_object_get(hc, "target"));
		if (t) {
			if (strlen(t) >= sizeof(p.health_target) ||
			    (strncmp(t, "HTTP:", 5) && strncmp(t, "TCP:", 4) && strncmp(t, "HTTPS:", 6) &&
			     strncmp(t, "SSL:", 4)) || health_port(t) < 1 || health_port(t) > 65535)
				perr(d, PLAN_FILE, "DRIVER_PLAN_HEALTH_TARGET", "/healthCheck/target",
				     "write PROTOCOL:PORT/PATH, e.g. HTTP:80/health or TCP:80",
				     "health check target \"%s\" is not PROTOCOL:PORT[/PATH]", t);
			else
				snprintf(p.health_target, sizeof(p.health_target), "%s", t);
		}
		get_int(d, hc, "interval", "/healthCheck", 5, 300, &p.health_interval);
		get_int(d, hc, "timeout", "/healthCheck", 2, 60, &p.health_timeout);
		get_int(d, hc, "healthyThreshold", "/healthCheck", 2, 10, &p.healthy_threshold);
		get_int(d, hc, "unhealthyThreshold", "/healthCheck", 2, 10, &p.unhealthy_threshold);
	}
	parse_rules(root, &p, d);
	p.properties = json_object();
	json_t *props = json_object_get(root, "environmentProperties");
	if (props && !json_is_object(props))
		perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", "/environmentProperties", NULL,
		     "environmentProperties must be an object of strings");
	const char *k;
	json_t *v;
	json_object_foreach(props, k, v) {
		if (json_object_size(p.properties) == SP_DRIVER_MAX_PROPERTIES) {
			perr(d, PLAN_FILE, "DRIVER_PLAN_LIMIT", "/environmentProperties", NULL,
			     "at most %d environment properties", SP_DRIVER_MAX_PROPERTIES);
			break;
		}
		if (!json_is_string(v)) {
			char path[300];
			snprintf(path, sizeof(path), "/environmentProperties/%.250s", k);
			perr(d, PLAN_FILE, "DRIVER_PLAN_TYPE", path, NULL, "property \"%.250s\" must be a string", k);
			continue;
		}
		json_object_set(p.properties, k, v);
	}
	p.allow_privileged = json_is_true(json_object_get(root, "allowPrivileged"));
	p.allow_host_paths = json_is_true(json_object_get(root, "allowHostPaths"));
	p.shared_bridge = json_is_true(json_object_get(root, "sharedBridge"));
	get_int(d, root, "drainingTimeout", "", 0, 3600, &p.draining_timeout_s);
	get_int(d, root, "startTimeout", "", 1, 3600, &p.start_timeout_s);
	parse_aws(root, &p, d);

	/* The security group model: what the load balancer may reach. */
	if (p.load_balanced) {
		for (size_t i = 0; i < p.n_listeners; i++) {
			if (sp_driver_plan_port_open(&p, p.listeners[i].instance_port))
				continue;
			char path[64];
			snprintf(path, sizeof(path), "/listeners/%zu/instancePort", i);
			perr(d, PLAN_FILE, "DRIVER_LISTENER_BLOCKED", path,
			     "add an ingress rule for this port from the load balancer "
			     "(AWS::EC2::SecurityGroupIngress in .ebextensions)",
			     "listener %d forwards to instance port %d, which no security group rule opens "
			     "to the load balancer", p.listeners[i].port, p.listeners[i].instance_port);
		}
		int hp = health_port(p.health_target);
		if (p.n_listeners && !sp_driver_plan_port_open(&p, hp))
			perr(d, PLAN_FILE, "DRIVER_LISTENER_BLOCKED", "/healthCheck/target",
			     "add an ingress rule for the health check port",
			     "the health check goes to instance port %d, which no security group rule opens "
			     "to the load balancer", hp);
	}
	json_decref(root);
	if (sp_diags_errors(d) > before) {
		json_decref(p.properties);
		return SP_ERROR;
	}
	*out = p;
	return 0;
}

void sp_driver_plan_free(struct sp_driver_plan *p)
{
	if (!p)
		return;
	json_decref(p->properties);
	p->properties = NULL;
}

static bool ecs_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

int sp_driver_taskdef_parse(const char *json, json_t **out, struct sp_diags *d)
{
	json_error_t je;
	size_t before = sp_diags_errors(d);
	size_t i;
	json_t *c;
	if (!json || strlen(json) > SP_DRIVER_MAX_INPUT) {
		perr(d, TASKDEF_FILE, "DRIVER_TASKDEF_TOO_LARGE", "", NULL,
		     "the task definition is missing or larger than %zu bytes", SP_DRIVER_MAX_INPUT);
		return SP_ERROR;
	}
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(root)) {
		struct sp_loc loc = { TASKDEF_FILE, root ? 1 : je.line, root ? 1 : je.column, "" };
		sp_diag_add(d, SP_SEV_ERROR, "DRIVER_TASKDEF_SYNTAX", loc, NULL, "%s",
			    root ? "the task definition must be a JSON object" : je.text);
		json_decref(root);
		return SP_ERROR;
	}
	json_t *defs = json_object_get(root, "containerDefinitions");
	if (!json_is_array(defs) || json_array_size(defs) < 1 || json_array_size(defs) > 10)
		perr(d, TASKDEF_FILE, "DRIVER_TASKDEF_CONTAINERS", "/containerDefinitions", NULL,
		     "containerDefinitions must hold 1 to 10 containers");
	const char *mode = json_string_value(json_object_get(root, "networkMode"));
	if (mode && strcmp(mode, "bridge"))
		perr(d, TASKDEF_FILE, "DRIVER_TASKDEF_NETWORK_MODE", "/networkMode",
		     "the local driver gives each task its own bridge network",
		     "networkMode \"%s\" is not supported here; use bridge", mode);
	bool essential = false;
	json_array_foreach(defs, i, c) {
		char path[64];
		snprintf(path, sizeof(path), "/containerDefinitions/%zu", i);
		const char *n = json_string_value(json_object_get(c, "name"));
		if (!ecs_name_valid(n))
			perr(d, TASKDEF_FILE, "DRIVER_TASKDEF_NAME", path, NULL,
			     "a container needs a name of 1-255 letters, digits, '_' or '-'");
		if (!json_string_value(json_object_get(c, "image")))
			perr(d, TASKDEF_FILE, "DRIVER_TASKDEF_IMAGE", path, NULL, "container \"%s\" has no image",
			     n ? n : "");
		for (size_t j = 0; n && j < i; j++) {
			const char *m = json_string_value(json_object_get(json_array_get(defs, j), "name"));
			if (m && !strcmp(m, n))
				perr(d, TASKDEF_FILE, "DRIVER_TASKDEF_NAME", path, NULL,
				     "two containers are named \"%s\"", n);
		}
		if (!json_is_false(json_object_get(c, "essential")))
			essential = true;
	}
	if (json_array_size(defs) && !essential)
		perr(d, TASKDEF_FILE, "DRIVER_TASKDEF_ESSENTIAL", "/containerDefinitions", NULL,
		     "a task needs at least one essential container");
	json_t *vols = json_object_get(root, "volumes");
	json_array_foreach(vols, i, c) {
		char path[64];
		snprintf(path, sizeof(path), "/volumes/%zu", i);
		const char *n = json_string_value(json_object_get(c, "name"));
		if (!ecs_name_valid(n))
			perr(d, TASKDEF_FILE, "DRIVER_TASKDEF_VOLUME", path, NULL,
			     "a volume needs a name of 1-255 letters, digits, '_' or '-'");
	}
	if (sp_diags_errors(d) > before) {
		json_decref(root);
		return SP_ERROR;
	}
	*out = root;
	return 0;
}
