/* rules.c — the rules of a version 2 Dockerrun.aws.json that span fields: names, images,
 * memory, essential containers, links / volumesFrom / dependsOn, ports, volumes and mounts,
 * environment, ulimits, log drivers, health checks, and the security rules. Types were
 * judged by schema.c; here a value of the wrong type is simply skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/path.h"
#include "engine/image/ref.h"
#include "engine/dockerrun/dockerrun_int.h"
#include "engine/base/banned.h"

#define MAX_EDGES (SP_DOCKERRUN_MAX_CONTAINERS * 3 * 64) /* MAX_EDGES kept for cycle search */

static const char *const ulimit_names[] = { "core", "cpu", "data", "fsize", "locks", "memlock",
	"msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack" };
static const char *const log_drivers[] = { "json-file", "syslog", "journald", "gelf", "fluentd",
	"awslogs", "splunk", "awsfirelens" };
static const char *const depends_conditions[] = { "START", "COMPLETE", "SUCCESS", "HEALTHY" };
static const int reserved_ports[] = { 22, 2375, 2376, 51678, 51679, 51680 };
/* Capabilities that amount to a privileged container. */
static const char *const privileged_caps[] = { "ALL", "SYS_ADMIN" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s && strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static void join_list(struct sp_buf *b, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sp_buf_printf(b, "%s%s", i ? ", " : "", list[i]);
}

struct edge {
	size_t from, to;
	const struct sp_node *at;
	const char *kind;
};

struct task {
	const struct sp_node *root, *defs, *vols;
	const char *names[SP_DOCKERRUN_MAX_LIST];
	size_t n;                      /* containers (items of containerDefinitions) */
	struct edge edges[MAX_EDGES];
	size_t n_edges;
	struct dr_port_seen ports;
	bool has_role;
};

static const struct sp_node *container_at(const struct task *t, size_t i)
{
	const struct sp_node *c = t->defs->items[i];
	return c->type == SP_NODE_MAP ? c : NULL;
}

static int find_container(const struct task *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->names[i] && name && strcmp(t->names[i], name) == 0)
			return (int)i;
	return -1;
}

static void containers_hint(const struct task *t, struct sp_buf *b, const char *name)
{
	const char *list[SP_DOCKERRUN_MAX_LIST] = { NULL };
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->names[i])
			list[n++] = t->names[i];
	const char *near = name ? sp_suggest(name, list, n) : NULL;
	if (near)
		sp_buf_printf(b, "did you mean \"%s\"? ", near);
	sp_buf_puts(b, n ? "containers are: " : "no container has a valid name");
	join_list(b, list, n);
}

/* ---- names, images, memory --------------------------------------------------------- */

static void check_names(struct dr_ctx *c, struct task *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct sp_node *cn = container_at(t, i);
		if (!cn)
			continue;
		const struct sp_node *nn = sp_node_get(cn, "name");
		const char *name = dr_str(nn);
		if (!nn) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_NAME_MISSING", c->doc, cn,
				     "add \"name\": \"web\" (letters, digits, '_' and '-')",
				     "container definition %zu has no \"name\"", i);
			continue;
		}
		if (!name)
			continue; /* a type error already */
		if (!dr_name_valid(name)) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_NAME_INVALID", c->doc, nn,
				     "use 1-255 letters, digits, '_' and '-'",
				     "container name \"%s\" is not valid", name);
			continue;
		}
		int prev = find_container(t, name);
		if (prev >= 0) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_NAME_DUPLICATE", c->doc, nn,
				     "give every container its own name",
				     "container name \"%s\" is already used by container definition %d",
				     name, prev);
			continue;
		}
		t->names[i] = name;
	}
}

void dr_check_image(struct dr_ctx *c, const struct sp_node *n)
{
	const char *image = dr_str(n);
	const char *why = NULL;
	struct sp_image_ref ref;
	if (!image)
		return;
	if (sp_image_ref_parse(image, &ref, &why) == 0) {
		sp_image_ref_free(&ref);
		return;
	}
	bool placeholder = strpbrk(image, "<>[]{}$") != NULL;
	if (!placeholder) { /* ALL_CAPS_PLACEHOLDER */
		bool caps = true;
		for (const char *p = image; *p && *p != ':'; p++)
			if ((*p >= 'a' && *p <= 'z'))
				caps = false;
		placeholder = caps;
	}
	sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_IMAGE_INVALID", c->doc, n,
		     placeholder ? "this looks like a placeholder: substitute the real image before "
				   "deploying (e.g. myorg/app:1.2)"
				 : "write [registry/]repository[:tag][@digest] in lower case, e.g. "
				   "nginx:1.25 or 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1",
		     "image \"%s\" is not a valid reference: %s", image, why);
}

static void check_memory(struct dr_ctx *c, const struct sp_node *cn, const char *name)
{
	const struct sp_node *mn = sp_node_get(cn, "memory"), *rn = sp_node_get(cn, "memoryReservation");
	int64_t m = 0, r = 0;
	bool hm = dr_int(mn, &m), hr = dr_int(rn, &r);
	if (!mn && !rn) {
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MEMORY_MISSING", c->doc, cn,
			     "add \"memory\": 128 (hard limit, MiB) or \"memoryReservation\": 128 (soft limit)",
			     "container \"%s\" sets neither \"memory\" nor \"memoryReservation\"", name);
		return;
	}
	const struct sp_node *nodes[2] = { mn, rn };
	const bool has[2] = { hm, hr };
	const int64_t val[2] = { m, r };
	const char *field[2] = { "memory", "memoryReservation" };
	bool ok = true;
	for (int k = 0; k < 2; k++) {
		if (!has[k])
			continue;
		if (val[k] <= 0) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MEMORY_NOT_POSITIVE", c->doc, nodes[k],
				     "give a number of MiB, at least 6", "\"%s\" is %lld; it must be positive",
				     field[k], (long long)val[k]);
			ok = false;
		} else if (val[k] < SP_DOCKERRUN_MIN_MEMORY_MIB) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MEMORY_TOO_LOW", c->doc, nodes[k],
				     "Docker refuses less than 6 MiB; the unit is MiB, not bytes or GiB",
				     "\"%s\" is %lld MiB, below Docker's minimum of %d MiB", field[k],
				     (long long)val[k], SP_DOCKERRUN_MIN_MEMORY_MIB);
			ok = false;
		}
	}
	if (ok && hm && hr && m <= r) {
		char hint[160];
		snprintf(hint, sizeof(hint), "raise \"memory\" to more than %lld, or drop one of the two",
			 (long long)r);
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MEMORY_RESERVATION_EXCEEDS", c->doc, rn, hint,
			     "\"memoryReservation\" (%lld MiB) must be less than \"memory\" (%lld MiB)",
			     (long long)r, (long long)m);
	}
}

/* ---- references between containers --------------------------------------------------- */

static void add_edge(struct task *t, size_t from, int to, const struct sp_node *at, const char *kind)
{
	if (to < 0 || t->n_edges >= MAX_EDGES)
		return;
	t->edges[t->n_edges++] = (struct edge){ from, (size_t)to, at, kind };
}

/* A reference to another container: exists and is not itself. Returns its index or -1. */
static int check_ref(struct dr_ctx *c, struct task *t, size_t self, const struct sp_node *n,
		     const char *target, const char *what, const char *code_unknown,
		     const char *code_self)
{
	int j = find_container(t, target);
	struct sp_buf hint = SP_BUF_INIT(4096);
	if (t->names[self] && strcmp(target, t->names[self]) == 0) {
		sp_diag_node(c->d, SP_SEV_ERROR, code_self, c->doc, n, "remove it",
			     "container \"%s\" refers to itself in %s", t->names[self],
			     strcmp(what, "link") == 0 ? "links" : what);
		j = -1;
	} else if (j < 0) {
		containers_hint(t, &hint, target);
		sp_diag_node(c->d, SP_SEV_ERROR, code_unknown, c->doc, n, sp_buf_cstr(&hint),
			     "%s \"%s\" names no container in containerDefinitions", what, target);
	}
	sp_buf_free(&hint);
	return j;
}

static void check_references(struct dr_ctx *c, struct task *t, size_t i, const struct sp_node *cn)
{
	const struct sp_node *l = sp_node_get(cn, "links");
	for (size_t k = 0; l && l->type == SP_NODE_SEQ && k < l->n; k++) {
		const char *s = dr_str(l->items[k]);
		if (!s)
			continue;
		const char *colon = strchr(s, ':');
		size_t len = colon ? (size_t)(colon - s) : strlen(s);
		if (len == 0 || (colon && (colon[1] == 0 || strchr(colon + 1, ':')))) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_LINK_INVALID", c->doc, l->items[k],
				     "write \"name\" or \"name:alias\"", "link \"%s\" is not name or name:alias", s);
			continue;
		}
		char target[SP_DOCKERRUN_MAX_NAME + 1];
		snprintf(target, sizeof(target), "%.*s", (int)(len > SP_DOCKERRUN_MAX_NAME ? SP_DOCKERRUN_MAX_NAME : len), s);
		add_edge(t, i, check_ref(c, t, i, l->items[k], target, "link", "DOCKERRUN_LINK_UNKNOWN",
					 "DOCKERRUN_LINK_SELF"), l->items[k], "links");
	}
	const struct sp_node *vf = sp_node_get(cn, "volumesFrom");
	for (size_t k = 0; vf && vf->type == SP_NODE_SEQ && k < vf->n; k++) {
		const struct sp_node *sn = sp_node_get(vf->items[k], "sourceContainer");
		const char *s = dr_str(sn);
		if (vf->items[k]->type == SP_NODE_MAP && !sn)
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_REQUIRED", c->doc, vf->items[k], NULL,
				     "a volumesFrom entry needs \"sourceContainer\"");
		if (!s)
			continue;
		add_edge(t, i, check_ref(c, t, i, sn, s, "volumesFrom", "DOCKERRUN_VOLUMES_FROM_UNKNOWN",
					 "DOCKERRUN_VOLUMES_FROM_SELF"), sn, "volumesFrom");
	}
	const struct sp_node *dep = sp_node_get(cn, "dependsOn");
	for (size_t k = 0; dep && dep->type == SP_NODE_SEQ && k < dep->n; k++) {
		const struct sp_node *it = dep->items[k];
		if (it->type != SP_NODE_MAP)
			continue;
		const struct sp_node *sn = sp_node_get(it, "containerName"), *cond = sp_node_get(it, "condition");
		if (!sn || !cond)
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_REQUIRED", c->doc, it,
				     "write {\"containerName\": \"db\", \"condition\": \"START\"}",
				     "a dependsOn entry needs \"%s\"", sn ? "condition" : "containerName");
		const char *cs = dr_str(cond);
		int j = -1;
		if (dr_str(sn))
			j = check_ref(c, t, i, sn, dr_str(sn), "dependsOn", "DOCKERRUN_DEPENDS_ON_UNKNOWN",
				      "DOCKERRUN_DEPENDS_ON_SELF");
		add_edge(t, i, j, sn, "dependsOn");
		if (cs && !in_list(cs, depends_conditions, COUNT(depends_conditions))) {
			const char *near = sp_suggest(cs, depends_conditions, COUNT(depends_conditions));
			char hint[128];
			snprintf(hint, sizeof(hint), "%s%s%suse START, COMPLETE, SUCCESS or HEALTHY",
				 near ? "did you mean \"" : "", near ? near : "", near ? "\"? " : "");
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_DEPENDS_ON_CONDITION", c->doc, cond, hint,
				     "dependsOn condition \"%s\" is not one ECS knows", cs);
		} else if (cs && j >= 0 && strcmp(cs, "HEALTHY") == 0 &&
			   !sp_node_get(container_at(t, (size_t)j), "healthCheck")) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_DEPENDS_ON_HEALTHCHECK", c->doc, cond,
				     "give that container a \"healthCheck\", or use the condition START",
				     "condition HEALTHY waits for \"%s\", which has no healthCheck", t->names[j]);
		}
	}
}

/* Depth-first search over the start-order graph; every edge that closes a cycle is one
 * diagnostic naming the whole cycle. */
static void find_cycles(struct dr_ctx *c, struct task *t)
{
	enum { WHITE, GREY, BLACK };
	int colour[SP_DOCKERRUN_MAX_LIST] = { 0 };
	size_t stack[SP_DOCKERRUN_MAX_LIST], next_edge[SP_DOCKERRUN_MAX_LIST];
	for (size_t start = 0; start < t->n; start++) {
		if (colour[start] != WHITE)
			continue;
		size_t depth = 0;
		stack[depth] = start;
		next_edge[depth] = 0;
		colour[start] = GREY;
		while (1) {
			size_t u = stack[depth];
			size_t e = next_edge[depth];
			while (e < t->n_edges && t->edges[e].from != u)
				e++;
			if (e >= t->n_edges) {
				colour[u] = BLACK;
				if (depth == 0)
					break;
				depth--;
				continue;
			}
			next_edge[depth] = e + 1;
			size_t v = t->edges[e].to;
			if (colour[v] == GREY) {
				struct sp_buf msg = SP_BUF_INIT(8192);
				size_t from = 0;
				while (stack[from] != v)
					from++;
				for (size_t k = from; k <= depth; k++)
					sp_buf_printf(&msg, "%s -> ", t->names[stack[k]]);
				sp_buf_puts(&msg, t->names[v]);
				sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_DEPENDENCY_CYCLE", c->doc, t->edges[e].at,
					     "links, volumesFrom and dependsOn each make a container start "
					     "after the one it names; ECS refuses a cycle, so remove one of them",
					     "containers depend on each other in a cycle (%s closes it): %s",
					     t->edges[e].kind, sp_buf_cstr(&msg));
				sp_buf_free(&msg);
			} else if (colour[v] == WHITE && depth + 1 < SP_DOCKERRUN_MAX_LIST) {
				depth++;
				stack[depth] = v;
				next_edge[depth] = 0;
				colour[v] = GREY;
			}
		}
	}
}

/* ---- ports ------------------------------------------------------------------------- */

void dr_check_port(struct dr_ctx *c, const struct sp_node *at_container, const struct sp_node *at_host,
		   int64_t container_port, bool has_host, int64_t host_port, const char *protocol,
		   const struct sp_node *proto_node, const char *owner, struct dr_port_seen *seen)
{
	if (at_container && (container_port < 1 || container_port > 65535))
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_PORT_RANGE", c->doc, at_container,
			     "ports are 1-65535", "container port %lld is out of range",
			     (long long)container_port);
	int proto = 0;
	if (protocol) {
		if (strcmp(protocol, "udp") == 0) {
			proto = 1;
		} else if (strcmp(protocol, "tcp") != 0) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_PORT_PROTOCOL", c->doc, proto_node,
				     "write \"tcp\" or \"udp\" (lower case)",
				     "protocol \"%s\" is neither tcp nor udp", protocol);
			return;
		}
	}
	if (!has_host || host_port == 0)
		return; /* ephemeral host port chosen by Docker */
	if (host_port < 0 || host_port > 65535) {
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_PORT_RANGE", c->doc, at_host,
			     "host ports are 1-65535, or 0 for an ephemeral port",
			     "host port %lld is out of range", (long long)host_port);
		return;
	}
	for (size_t k = 0; k < COUNT(reserved_ports); k++) {
		if (host_port == reserved_ports[k]) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_HOST_PORT_RESERVED", c->doc, at_host,
				     "22 (SSH), 2375 and 2376 (Docker) and 51678-51680 (ECS agent) are "
				     "reserved on every instance; choose another host port",
				     "host port %lld is reserved", (long long)host_port);
			return;
		}
	}
	for (size_t k = 0; k < seen->n; k++) {
		if (seen->port[k] == host_port && seen->proto[k] == proto) {
			char hint[SP_DOCKERRUN_MAX_NAME + 64];
			snprintf(hint, sizeof(hint), "container \"%s\" binds it first; a host port binds once per instance",
				 seen->owner[k] ? seen->owner[k] : "?");
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_HOST_PORT_DUPLICATE", c->doc, at_host, hint,
				     "host port %lld/%s is mapped twice in the task", (long long)host_port,
				     proto ? "udp" : "tcp");
			return;
		}
	}
	if (seen->n < COUNT(seen->port)) {
		seen->port[seen->n] = (int)host_port;
		seen->proto[seen->n] = proto;
		seen->owner[seen->n] = owner;
		seen->n++;
	}
	if (host_port >= SP_DOCKERRUN_EPHEMERAL_MIN && host_port <= SP_DOCKERRUN_EPHEMERAL_MAX)
		sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_HOST_PORT_EPHEMERAL", c->doc, at_host,
			     "the kernel hands out 32768-60999 (ECS: 49153-65535) to outgoing "
			     "connections; a fixed host port below 32768 cannot collide with them",
			     "host port %lld is in the ephemeral port range", (long long)host_port);
}

static void check_ports(struct dr_ctx *c, struct task *t, size_t i, const struct sp_node *cn)
{
	const struct sp_node *pm = sp_node_get(cn, "portMappings");
	for (size_t k = 0; pm && pm->type == SP_NODE_SEQ && k < pm->n; k++) {
		const struct sp_node *it = pm->items[k];
		if (it->type != SP_NODE_MAP)
			continue;
		const struct sp_node *cp = sp_node_get(it, "containerPort"), *hp = sp_node_get(it, "hostPort");
		const struct sp_node *pr = sp_node_get(it, "protocol");
		int64_t cport = 0, hport = 0;
		if (!cp)
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_REQUIRED", c->doc, it,
				     "add \"containerPort\": the port the container listens on",
				     "a port mapping needs \"containerPort\"");
		bool hc = dr_int(cp, &cport), hh = dr_int(hp, &hport);
		dr_check_port(c, hc ? cp : NULL, hp, cport, hh, hport, dr_str(pr), pr, t->names[i], &t->ports);
	}
}

/* ---- volumes and mounts ------------------------------------------------------------ */

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

void dr_check_host_path(struct dr_ctx *c, const struct sp_node *n, const char *path)
{
	static const char *const sockets[] = { "/var/run/docker.sock", "/run/docker.sock" };
	const struct sp_dockerrun_options *o = c->opts;
	if (path[0] != '/') {
		char hint[600];
		snprintf(hint, sizeof(hint), "bundle files are at " SP_DOCKERRUN_BUNDLE_DIR "/...; write "
			 SP_DOCKERRUN_BUNDLE_DIR "/%.400s", path[0] == '.' && path[1] == '/' ? path + 2 : path);
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_HOST_PATH_RELATIVE", c->doc, n, hint,
			     "host path \"%s\" is not absolute", path);
		return;
	}
	struct sp_buf norm = SP_BUF_INIT(SP_PATH_MAX);
	if (sp_path_rel_normalize(path + 1, true, &norm) != 0) {
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_HOST_PATH_UNSAFE", c->doc, n,
			     "write a plain absolute path, with no \"..\" above / and no control characters",
			     "host path \"%s\" cannot be resolved safely", path);
		goto out;
	}
	char abs[SP_PATH_MAX + 2];
	snprintf(abs, sizeof(abs), "/%s", sp_buf_cstr(&norm));
	if (under(abs, SP_DOCKERRUN_BUNDLE_DIR) && !strstr(path, "/..")) {
		const char *rel = abs + strlen(SP_DOCKERRUN_BUNDLE_DIR);
		rel += *rel == '/';
		if (o && o->bundle_has && *rel && !o->bundle_has(o->bundle_ctx, rel))
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_HOST_PATH_MISSING", c->doc, n,
				     "add it to the bundle, or fix the path (" SP_DOCKERRUN_BUNDLE_DIR
				     " is the bundle's root)",
				     "host path \"%s\" names \"%s\", which is not in the bundle", path, rel);
		goto out;
	}
	bool socket = false;
	for (size_t k = 0; k < COUNT(sockets); k++)
		if (under(sockets[k], abs))
			socket = true;
	if (socket) {
		if (!o || !o->allow_docker_socket)
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_DOCKER_SOCKET", c->doc, n,
				     "a container holding the Docker socket controls the instance; if this is "
				     "intended, set the environment option sprout:security AllowDockerSocket: true",
				     "host path \"%s\" exposes the Docker socket", path);
		goto out;
	}
	if (!o || !o->allow_host_paths)
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_HOST_PATH_NOT_ALLOWED", c->doc, n,
			     "mount a bundle folder (" SP_DOCKERRUN_BUNDLE_DIR "/...) or an awseb-logs-<container> "
			     "volume, or set the environment option sprout:security AllowHostPaths: true",
			     "host path \"%s\" is outside the application folder", path);
out:
	sp_buf_free(&norm);
}

static void check_volumes(struct dr_ctx *c, struct task *t, const char **vnames, size_t *nv,
			  const struct sp_node **vnodes)
{
	const struct sp_node *vols = t->vols;
	*nv = 0;
	for (size_t k = 0; vols && vols->type == SP_NODE_SEQ && k < vols->n; k++) {
		const struct sp_node *v = vols->items[k];
		if (v->type != SP_NODE_MAP)
			continue;
		const struct sp_node *nn = sp_node_get(v, "name");
		const char *name = dr_str(nn);
		if (!nn) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_REQUIRED", c->doc, v,
				     "add \"name\": mountPoints refer to the volume by it", "a volume needs \"name\"");
		} else if (name && !dr_name_valid(name)) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_VOLUME_NAME_INVALID", c->doc, nn,
				     "use 1-255 letters, digits, '_' and '-'", "volume name \"%s\" is not valid", name);
			name = NULL;
		} else if (name && strncmp(name, SP_DOCKERRUN_LOG_VOLUME_PREFIX, strlen(SP_DOCKERRUN_LOG_VOLUME_PREFIX)) == 0) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_VOLUME_NAME_RESERVED", c->doc, nn,
				     "Elastic Beanstalk adds awseb-logs-<container> volumes itself; mount it "
				     "without declaring it, or choose another name",
				     "volume name \"%s\" is reserved", name);
			name = NULL;
		} else if (name) {
			for (size_t j = 0; j < *nv; j++) {
				if (strcmp(vnames[j], name) == 0) {
					sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_VOLUME_DUPLICATE", c->doc, nn,
						     "give every volume its own name", "volume \"%s\" is declared twice", name);
					name = NULL;
					break;
				}
			}
		}
		if (name && *nv < SP_DOCKERRUN_MAX_LIST) {
			vnodes[*nv] = nn;
			vnames[(*nv)++] = name;
		}
		const struct sp_node *host = sp_node_get(v, "host");
		const struct sp_node *sp = host ? sp_node_get(host, "sourcePath") : NULL;
		if (dr_str(sp))
			dr_check_host_path(c, sp, dr_str(sp));
	}
}

static void check_mounts(struct dr_ctx *c, struct task *t, size_t i, const struct sp_node *cn,
			 const char **vnames, size_t nv, bool *used)
{
	const struct sp_node *mp = sp_node_get(cn, "mountPoints");
	const char *paths[SP_DOCKERRUN_MAX_LIST];
	size_t np = 0;
	for (size_t k = 0; mp && mp->type == SP_NODE_SEQ && k < mp->n; k++) {
		const struct sp_node *it = mp->items[k];
		if (it->type != SP_NODE_MAP)
			continue;
		const struct sp_node *sv = sp_node_get(it, "sourceVolume"), *cp = sp_node_get(it, "containerPath");
		if (!sv || !cp)
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_REQUIRED", c->doc, it, NULL,
				     "a mount point needs \"%s\"", sv ? "containerPath" : "sourceVolume");
		const char *vol = dr_str(sv), *path = dr_str(cp);
		if (vol) {
			bool found = false;
			for (size_t j = 0; j < nv; j++)
				if (strcmp(vnames[j], vol) == 0)
					found = used[j] = true;
			size_t pl = strlen(SP_DOCKERRUN_LOG_VOLUME_PREFIX);
			if (!found && strncmp(vol, SP_DOCKERRUN_LOG_VOLUME_PREFIX, pl) == 0) {
				if (find_container(t, vol + pl) < 0) {
					struct sp_buf hint = SP_BUF_INIT(4096);
					sp_buf_puts(&hint, "log volumes are awseb-logs-<container>; ");
					containers_hint(t, &hint, vol + pl);
					sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MOUNT_LOG_VOLUME_UNKNOWN", c->doc, sv,
						     sp_buf_cstr(&hint),
						     "log volume \"%s\" belongs to no container", vol);
					sp_buf_free(&hint);
				}
			} else if (!found) {
				struct sp_buf hint = SP_BUF_INIT(4096);
				const char *near = sp_suggest(vol, vnames, nv);
				if (near)
					sp_buf_printf(&hint, "did you mean \"%s\"? ", near);
				if (nv) {
					sp_buf_puts(&hint, "volumes are: ");
					join_list(&hint, vnames, nv);
				} else {
					sp_buf_printf(&hint, "declare it in the top-level \"volumes\" or mount "
						      SP_DOCKERRUN_LOG_VOLUME_PREFIX "%s", t->names[i] ? t->names[i] : "<container>");
				}
				sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MOUNT_VOLUME_UNKNOWN", c->doc, sv,
					     sp_buf_cstr(&hint), "sourceVolume \"%s\" is not declared in \"volumes\"", vol);
				sp_buf_free(&hint);
			}
		}
		if (path && path[0] != '/') {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MOUNT_PATH_RELATIVE", c->doc, cp,
				     "write the absolute path inside the container, e.g. /var/www/html",
				     "containerPath \"%s\" is not absolute", path);
		} else if (path) {
			bool dup = false;
			for (size_t j = 0; j < np; j++)
				if (strcmp(paths[j], path) == 0)
					dup = true;
			if (dup)
				sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_MOUNT_PATH_DUPLICATE", c->doc, cp,
					     "Docker refuses two mounts at one path; remove one",
					     "containerPath \"%s\" is mounted twice in container \"%s\"", path,
					     t->names[i] ? t->names[i] : "?");
			else if (np < SP_DOCKERRUN_MAX_LIST)
				paths[np++] = path;
		}
	}
}

/* ---- environment, ulimits, logging, health check, security ---------------------- */

static void check_environment(struct dr_ctx *c, const struct sp_node *cn)
{
	const struct sp_node *env = sp_node_get(cn, "environment");
	for (size_t k = 0; env && env->type == SP_NODE_SEQ && k < env->n; k++) {
		const struct sp_node *nn = sp_node_get(env->items[k], "name");
		const char *name = dr_str(nn);
		if (!name)
			continue;
		bool bad = !*name, portable = true;
		for (const char *p = name; *p; p++) {
			unsigned char ch = (unsigned char)*p;
			if (ch == '=' || ch <= ' ' || ch == 0x7f)
				bad = true;
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
			      (p != name && ch >= '0' && ch <= '9')))
				portable = false;
		}
		if (bad) {
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_ENV_NAME_INVALID", c->doc, nn,
				     "a name is not empty and has no '=', space or control character",
				     "environment name \"%s\" is not valid", name);
			continue;
		}
		if (!portable)
			sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_ENV_NAME_PORTABLE", c->doc, nn,
				     "shells and most programs read only names of letters, digits and '_' "
				     "that do not start with a digit",
				     "environment name \"%s\" cannot be read from a shell", name);
		for (size_t j = 0; j < k; j++) {
			const char *other = dr_str(sp_node_get(env->items[j], "name"));
			if (other && strcmp(other, name) == 0) {
				sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_ENV_DUPLICATE", c->doc, nn,
					     "remove one; the last value is the one the container sees",
					     "environment variable \"%s\" is set twice", name);
				break;
			}
		}
	}
}

static void check_ulimits_logs_health(struct dr_ctx *c, const struct sp_node *cn)
{
	const struct sp_node *ul = sp_node_get(cn, "ulimits");
	for (size_t k = 0; ul && ul->type == SP_NODE_SEQ && k < ul->n; k++) {
		const struct sp_node *it = ul->items[k];
		const struct sp_node *nn = sp_node_get(it, "name");
		const char *name = dr_str(nn);
		if (name && !in_list(name, ulimit_names, COUNT(ulimit_names))) {
			struct sp_buf hint = SP_BUF_INIT(4096);
			const char *near = sp_suggest(name, ulimit_names, COUNT(ulimit_names));
			if (near)
				sp_buf_printf(&hint, "did you mean \"%s\"? ", near);
			sp_buf_puts(&hint, "ECS knows ");
			join_list(&hint, ulimit_names, COUNT(ulimit_names));
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_ULIMIT_NAME", c->doc, nn, sp_buf_cstr(&hint),
				     "ulimit \"%s\" is not one ECS knows", name);
			sp_buf_free(&hint);
		}
		int64_t soft, hard;
		if (dr_int(sp_node_get(it, "softLimit"), &soft) && dr_int(sp_node_get(it, "hardLimit"), &hard) &&
		    (soft > hard || soft < 0))
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_ULIMIT_RANGE", c->doc, sp_node_get(it, "softLimit"),
				     "softLimit must be between 0 and hardLimit",
				     "ulimit softLimit %lld is above hardLimit %lld or negative", (long long)soft,
				     (long long)hard);
	}
	const struct sp_node *lc = sp_node_get(cn, "logConfiguration");
	const struct sp_node *ld = lc ? sp_node_get(lc, "logDriver") : NULL;
	const char *driver = dr_str(ld);
	if (driver && !in_list(driver, log_drivers, COUNT(log_drivers))) {
		struct sp_buf hint = SP_BUF_INIT(4096);
		const char *near = sp_suggest(driver, log_drivers, COUNT(log_drivers));
		if (near)
			sp_buf_printf(&hint, "did you mean \"%s\"? ", near);
		sp_buf_puts(&hint, "ECS knows ");
		join_list(&hint, log_drivers, COUNT(log_drivers));
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_LOG_DRIVER", c->doc, ld, sp_buf_cstr(&hint),
			     "log driver \"%s\" is not one ECS knows", driver);
		sp_buf_free(&hint);
	}
	const struct sp_node *hc = sp_node_get(cn, "healthCheck");
	if (!hc || hc->type != SP_NODE_MAP)
		return;
	const struct sp_node *cmd = sp_node_get(hc, "command");
	if (cmd && cmd->type == SP_NODE_SEQ) {
		const char *first = cmd->n ? dr_str(cmd->items[0]) : NULL;
		if (!first || (strcmp(first, "CMD") != 0 && strcmp(first, "CMD-SHELL") != 0) ||
		    cmd->n < 2)
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_HEALTHCHECK_COMMAND", c->doc,
				     cmd->n ? cmd->items[0] : cmd,
				     "write [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"] or "
				     "[\"CMD\", \"program\", \"arg\"]",
				     "healthCheck command must start with \"CMD\" or \"CMD-SHELL\" and a command");
	}
	static const struct { const char *name; int64_t lo, hi; } ranges[] = {
		{ "interval", 5, 300 }, { "timeout", 2, 60 }, { "retries", 1, 10 }, { "startPeriod", 0, 300 } };
	for (size_t k = 0; k < COUNT(ranges); k++) {
		int64_t v;
		const struct sp_node *n = sp_node_get(hc, ranges[k].name);
		if (dr_int(n, &v) && (v < ranges[k].lo || v > ranges[k].hi))
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_HEALTHCHECK_RANGE", c->doc, n,
				     "ECS takes seconds (retries: a count), not milliseconds",
				     "healthCheck %s %lld is outside %lld-%lld", ranges[k].name, (long long)v,
				     (long long)ranges[k].lo, (long long)ranges[k].hi);
	}
}

static void check_security(struct dr_ctx *c, struct task *t, const struct sp_node *cn, const char *name)
{
	bool priv = false;
	const struct sp_node *pn = sp_node_get(cn, "privileged");
	const char *allow = "if this is intended, set the environment option sprout:security AllowPrivileged: true";
	if (dr_bool(pn, &priv) && priv && !(c->opts && c->opts->allow_privileged))
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_PRIVILEGED", c->doc, pn, allow,
			     "container \"%s\" asks to run privileged, with full access to the instance", name);
	const struct sp_node *lp = sp_node_get(cn, "linuxParameters");
	const struct sp_node *caps = lp ? sp_node_get(lp, "capabilities") : NULL;
	const struct sp_node *add = caps ? sp_node_get(caps, "add") : NULL;
	for (size_t k = 0; add && add->type == SP_NODE_SEQ && k < add->n; k++) {
		const char *cap = dr_str(add->items[k]);
		if (cap && in_list(cap, privileged_caps, COUNT(privileged_caps)) &&
		    !(c->opts && c->opts->allow_privileged))
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_PRIVILEGED", c->doc, add->items[k], allow,
				     "container \"%s\" adds capability %s, which amounts to running privileged",
				     name, cap);
	}
	const struct sp_node *dev = lp ? sp_node_get(lp, "devices") : NULL;
	for (size_t k = 0; dev && dev->type == SP_NODE_SEQ && k < dev->n; k++) {
		const struct sp_node *hp = sp_node_get(dev->items[k], "hostPath");
		if (dr_str(hp))
			dr_check_host_path(c, hp, dr_str(hp));
	}
	if ((sp_node_get(cn, "secrets") || (sp_node_get(cn, "logConfiguration") &&
					    sp_node_get(sp_node_get(cn, "logConfiguration"), "secretOptions"))) &&
	    !t->has_role)
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_SECRETS_NO_ROLE", c->doc,
			     sp_node_key(cn, "secrets") ? sp_node_key(cn, "secrets") : sp_node_key(cn, "logConfiguration"),
			     "add the top-level \"executionRoleArn\" of a role that may read the secrets",
			     "container \"%s\" reads secrets, which needs an executionRoleArn", name);
}

/* ---- the whole file ------------------------------------------------------------------ */

void dr_check_v2(struct dr_ctx *c, const struct sp_node *root)
{
	struct task *t = calloc(1, sizeof(*t));
	if (!t) {
		c->nomem = true;
		return;
	}
	t->root = root;
	t->defs = sp_node_get(root, "containerDefinitions");
	t->vols = sp_node_get(root, "volumes");
	const struct sp_node *role = sp_node_get(root, "executionRoleArn");
	t->has_role = dr_str(role) != NULL;
	if (dr_str(role) && strncmp(dr_str(role), "arn:", 4) != 0)
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_ARN_INVALID", c->doc, role,
			     "write arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
			     "executionRoleArn \"%s\" is not an ARN", dr_str(role));

	const char *vnames[SP_DOCKERRUN_MAX_LIST];
	const struct sp_node *vnodes[SP_DOCKERRUN_MAX_LIST];
	bool used[SP_DOCKERRUN_MAX_LIST] = { false };
	size_t nv = 0;
	check_volumes(c, t, vnames, &nv, vnodes);

	if (!t->defs) {
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_NO_CONTAINERS", c->doc, root,
			     "add \"containerDefinitions\": [{\"name\": ..., \"image\": ..., \"memory\": 128}]",
			     "a version 2 file needs \"containerDefinitions\"");
		goto out;
	}
	if (t->defs->type != SP_NODE_SEQ || t->defs->n > SP_DOCKERRUN_MAX_LIST)
		goto out; /* reported by the typed walk */
	t->n = t->defs->n;
	if (t->n == 0)
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_NO_CONTAINERS", c->doc, t->defs,
			     "add at least one container definition", "containerDefinitions is empty");
	if (t->n > SP_DOCKERRUN_MAX_CONTAINERS)
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_TOO_MANY_CONTAINERS", c->doc, t->defs,
			     "ECS takes at most 10 containers per task definition (not adjustable); "
			     "split the application or merge containers",
			     "%zu containers; a task definition holds at most %d", t->n,
			     SP_DOCKERRUN_MAX_CONTAINERS);
	check_names(c, t);
	size_t essential = 0, typed = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct sp_node *cn = container_at(t, i);
		if (!cn)
			continue;
		typed++;
		const char *name = t->names[i] ? t->names[i] : dr_str(sp_node_get(cn, "name"));
		name = name ? name : "?";
		const struct sp_node *img = sp_node_get(cn, "image");
		if (!img)
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_IMAGE_MISSING", c->doc, cn,
				     "add \"image\": a prebuilt image such as nginx:1.25 (the ECS platform "
				     "does not build Dockerfiles)",
				     "container \"%s\" has no \"image\"", name);
		else
			dr_check_image(c, img);
		check_memory(c, cn, name);
		int64_t cpu;
		const struct sp_node *cpun = sp_node_get(cn, "cpu");
		if (dr_int(cpun, &cpu) && (cpu < 0 || cpu > 10240))
			sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_CPU_RANGE", c->doc, cpun,
				     "CPU units are 0-10240 (1024 per vCPU)", "cpu %lld is out of range",
				     (long long)cpu);
		bool ess = true;
		const struct sp_node *en = sp_node_get(cn, "essential");
		if (en && !dr_bool(en, &ess))
			ess = true; /* a type error; do not add a second complaint */
		essential += ess;
		check_references(c, t, i, cn);
		check_ports(c, t, i, cn);
		check_mounts(c, t, i, cn, vnames, nv, used);
		check_environment(c, cn);
		check_ulimits_logs_health(c, cn);
		check_security(c, t, cn, name);
	}
	if (typed && essential == 0)
		sp_diag_node(c->d, SP_SEV_ERROR, "DOCKERRUN_NO_ESSENTIAL", c->doc, t->defs,
			     "set \"essential\": true on the container the task cannot run without "
			     "(omitting it means true)",
			     "no container is essential; ECS needs at least one");
	find_cycles(c, t);
	for (size_t j = 0; j < nv; j++)
		if (!used[j])
			sp_diag_node(c->d, SP_SEV_WARNING, "DOCKERRUN_VOLUME_UNUSED", c->doc, vnodes[j],
				     "mount it with mountPoints, or remove it",
				     "volume \"%s\" is declared but no container mounts it", vnames[j]);
out:
	free(t);
}
