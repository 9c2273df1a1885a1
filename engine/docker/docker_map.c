/* docker_map.c — one ECS container definition to one Docker create request, the host
 * paths of task volumes, and the start order of a task's containers. Pure functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/path.h"
#include "engine/docker/docker.h"
#include "engine/base/banned.h"

#define MIB ((json_int_t)1048576)
#define NS_PER_S ((json_int_t)1000000000)

int sp_docker_resolve_source_path(const char *instance_root, const char *source_path,
				  bool allow_host_paths, struct sp_buf *out)
{
	struct sp_buf norm = SP_BUF_INIT(SP_PATH_MAX);
	int rc;
	if (!source_path || source_path[0] != '/')
		return SP_EUNSAFE;
	/* Normalise without "..", then decide where it lands. */
	rc = sp_path_rel_normalize(source_path + 1, false, &norm);
	if (rc)
		goto out;
	const char *rel = sp_buf_cstr(&norm);
	bool instance_path = strncmp(rel, "var/app", 7) == 0 || strncmp(rel, "var/log", 7) == 0;
	sp_buf_reset(out);
	if (allow_host_paths && !instance_path)
		rc = sp_buf_printf(out, "/%s", rel);
	else if (*rel)
		rc = sp_buf_printf(out, "%s/%s", instance_root, rel);
	else
		rc = sp_buf_puts(out, instance_root);
out:
	sp_buf_free(&norm);
	return rc;
}

static int errf(struct sp_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int errf(struct sp_buf *err, const char *fmt, ...)
{
	va_list ap;
	if (err) {
		sp_buf_reset(err);
		va_start(ap, fmt);
		(void)sp_buf_vprintf(err, fmt, ap);
		va_end(ap);
	}
	return SP_EINVAL;
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool has_int(const json_t *o, const char *k, json_int_t *v)
{
	json_t *x = json_object_get(o, k);
	if (!json_is_integer(x))
		return false;
	*v = json_integer_value(x);
	return true;
}

/* Copies an array of strings (or nothing when absent/empty). */
static int copy_strings(json_t *dst, const char *dk, const json_t *src, const char *sk)
{
	json_t *a = json_object_get(src, sk);
	if (!json_is_array(a) || json_array_size(a) == 0)
		return 0;
	json_t *c = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			json_array_append(c, v);
	return json_object_set_new(dst, dk, c) ? SP_ENOMEM : 0;
}

static const json_t *find_volume(const json_t *volumes, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(volumes, i, v) {
		const char *n = str(v, "name");
		if (n && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

/* The Docker volume name for a task volume without host.sourcePath. */
static int docker_volume_name(const struct sp_docker_task_ctx *ctx, const char *vol, struct sp_buf *out)
{
	sp_buf_reset(out);
	return sp_buf_printf(out, "sprout-%.12s-%s", ctx->task_id, vol);
}

static int map_env(json_t *cfg, const json_t *def, const struct sp_docker_task_ctx *ctx)
{
	json_t *merged = json_object();
	json_t *envs = json_array();
	const char *k;
	json_t *v;
	size_t i;
	int rc = SP_ENOMEM;
	if (!merged || !envs)
		goto out;
	if (json_is_object(ctx->properties))
		json_object_foreach((json_t *)ctx->properties, k, v)
			if (json_is_string(v))
				json_object_set(merged, k, v);
	json_array_foreach(json_object_get(def, "environment"), i, v) {
		const char *n = str(v, "name");
		json_t *val = json_object_get(v, "value");
		if (n && json_is_string(val))
			json_object_set(merged, n, val);
	}
	json_object_foreach(merged, k, v) {
		char *e = sp_aprintf("%s=%s", k, json_string_value(v));
		if (!e || json_array_append_new(envs, json_string(e))) {
			free(e);
			goto out;
		}
		free(e);
	}
	rc = 0;
	if (json_array_size(envs))
		rc = json_object_set(cfg, "Env", envs) ? SP_ENOMEM : 0;
out:
	json_decref(envs);
	json_decref(merged);
	return rc;
}

static int map_labels(json_t *cfg, const json_t *def, const char *name,
		      const struct sp_docker_task_ctx *ctx)
{
	json_t *l = json_object();
	const char *k;
	json_t *v;
	if (!l)
		return SP_ENOMEM;
	json_object_foreach(json_object_get(def, "dockerLabels"), k, v)
		if (json_is_string(v) && strncmp(k, "sprout.", 7) != 0)
			json_object_set(l, k, v);
	json_t *ess = json_object_get(def, "essential");
	json_object_set_new(l, "sprout.env", json_string(ctx->environment));
	json_object_set_new(l, "sprout.instance", json_string(ctx->instance_id));
	json_object_set_new(l, "sprout.task", json_string(ctx->task_id));
	json_object_set_new(l, "sprout.version", json_string(ctx->version ? ctx->version : ""));
	json_object_set_new(l, "sprout.container", json_string(name));
	json_object_set_new(l, "sprout.essential",
			    json_string(json_is_false(ess) ? "false" : "true"));
	return json_object_set_new(cfg, "Labels", l) ? SP_ENOMEM : 0;
}

static int map_ports(json_t *cfg, json_t *host, const json_t *def,
		     const struct sp_docker_task_ctx *ctx, struct sp_buf *err)
{
	json_t *pm = json_object_get(def, "portMappings");
	size_t i;
	json_t *m;
	if (!json_is_array(pm) || !json_array_size(pm))
		return 0;
	json_t *exposed = json_object();
	json_t *bindings = json_object();
	json_object_set_new(cfg, "ExposedPorts", exposed);
	json_object_set_new(host, "PortBindings", bindings);
	json_array_foreach(pm, i, m) {
		json_int_t cport = 0, hport = 0;
		if (!has_int(m, "containerPort", &cport) || cport < 1 || cport > 65535)
			return errf(err, "portMappings[%zu]: containerPort must be 1-65535", i);
		if (has_int(m, "hostPort", &hport) && (hport < 0 || hport > 65535))
			return errf(err, "portMappings[%zu]: hostPort must be 0-65535", i);
		const char *proto = str(m, "protocol");
		if (!proto)
			proto = "tcp";
		if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
			return errf(err, "portMappings[%zu]: protocol must be tcp or udp", i);
		char key[32];
		snprintf(key, sizeof(key), "%lld/%s", (long long)cport, proto);
		char hp[24] = "";
		if (hport > 0)
			snprintf(hp, sizeof(hp), "%lld", (long long)hport);
		json_object_set_new(exposed, key, json_object());
		json_t *list = json_object_get(bindings, key);
		if (!list) {
			list = json_array();
			json_object_set_new(bindings, key, list);
		}
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ctx->host_ip, "HostPort", hp));
	}
	return 0;
}

static int map_mounts(json_t *host, const json_t *def, const struct sp_docker_task_ctx *ctx,
		      struct sp_buf *err)
{
	json_t *mps = json_object_get(def, "mountPoints");
	struct sp_buf src = SP_BUF_INIT(SP_PATH_MAX);
	size_t i;
	json_t *m;
	int rc = 0;
	if (!json_is_array(mps) || !json_array_size(mps))
		return 0;
	json_t *binds = json_array();
	json_object_set_new(host, "Binds", binds);
	json_array_foreach(mps, i, m) {
		const char *sv = str(m, "sourceVolume");
		const char *cp = str(m, "containerPath");
		if (!sv || !cp || cp[0] != '/') {
			rc = errf(err, "mountPoints[%zu]: sourceVolume and an absolute containerPath are needed", i);
			goto out;
		}
		const json_t *vol = find_volume(ctx->volumes, sv);
		if (!vol) {
			rc = errf(err, "mountPoints[%zu]: sourceVolume \"%s\" names no volume of the task", i, sv);
			goto out;
		}
		const char *sp = str(json_object_get(vol, "host"), "sourcePath");
		if (sp && *sp) {
			rc = sp_docker_resolve_source_path(ctx->instance_root, sp, ctx->allow_host_paths, &src);
			if (rc) {
				rc = errf(err, "volume \"%s\": sourcePath \"%s\" is not a safe absolute path", sv, sp);
				goto out;
			}
		} else if ((rc = docker_volume_name(ctx, sv, &src))) {
			goto out;
		}
		char *b = sp_aprintf("%s:%s%s", sp_buf_cstr(&src), cp,
				     json_is_true(json_object_get(m, "readOnly")) ? ":ro" : "");
		if (!b) {
			rc = SP_ENOMEM;
			goto out;
		}
		json_array_append_new(binds, json_string(b));
		free(b);
	}
out:
	sp_buf_free(&src);
	return rc;
}

static int map_volumes_from(json_t *host, const json_t *def, const struct sp_docker_task_ctx *ctx,
			    struct sp_buf *err)
{
	json_t *vf = json_object_get(def, "volumesFrom");
	size_t i;
	json_t *m;
	if (!json_is_array(vf) || !json_array_size(vf))
		return 0;
	json_t *arr = json_array();
	json_object_set_new(host, "VolumesFrom", arr);
	json_array_foreach(vf, i, m) {
		const char *sc = str(m, "sourceContainer");
		const char *dn = sc ? json_string_value(json_object_get(ctx->docker_names, sc)) : NULL;
		if (!dn)
			return errf(err, "volumesFrom[%zu]: sourceContainer \"%s\" names no container of the task",
				    i, sc ? sc : "");
		char *v = sp_aprintf("%s:%s", dn, json_is_true(json_object_get(m, "readOnly")) ? "ro" : "rw");
		if (!v)
			return SP_ENOMEM;
		json_array_append_new(arr, json_string(v));
		free(v);
	}
	return 0;
}

static int map_misc_host(json_t *host, const json_t *def)
{
	size_t i;
	json_t *m;
	json_t *eh = json_object_get(def, "extraHosts");
	if (json_is_array(eh) && json_array_size(eh)) {
		json_t *arr = json_array();
		json_object_set_new(host, "ExtraHosts", arr);
		json_array_foreach(eh, i, m) {
			const char *h = str(m, "hostname"), *ip = str(m, "ipAddress");
			if (!h || !ip)
				continue;
			char *v = sp_aprintf("%s:%s", h, ip);
			if (!v)
				return SP_ENOMEM;
			json_array_append_new(arr, json_string(v));
			free(v);
		}
	}
	copy_strings(host, "Dns", def, "dnsServers");
	copy_strings(host, "DnsSearch", def, "dnsSearchDomains");
	copy_strings(host, "SecurityOpt", def, "dockerSecurityOptions");
	json_t *ul = json_object_get(def, "ulimits");
	if (json_is_array(ul) && json_array_size(ul)) {
		json_t *arr = json_array();
		json_object_set_new(host, "Ulimits", arr);
		json_array_foreach(ul, i, m) {
			json_int_t s = 0, h = 0;
			const char *n = str(m, "name");
			if (!n || !has_int(m, "softLimit", &s) || !has_int(m, "hardLimit", &h))
				continue;
			json_array_append_new(arr, json_pack("{s:s, s:I, s:I}", "Name", n, "Soft", s, "Hard", h));
		}
	}
	json_t *lc = json_object_get(def, "logConfiguration");
	if (json_is_object(lc) && str(lc, "logDriver")) {
		json_t *opts = json_object_get(lc, "options");
		json_t *conf = json_object();
		const char *k;
		json_t *v;
		json_object_foreach(opts, k, v)
			if (json_is_string(v))
				json_object_set(conf, k, v);
		json_object_set_new(host, "LogConfig",
				    json_pack("{s:s, s:o}", "Type", str(lc, "logDriver"), "Config", conf));
	}
	json_t *lp = json_object_get(def, "linuxParameters");
	if (json_is_object(lp)) {
		json_t *caps = json_object_get(lp, "capabilities");
		copy_strings(host, "CapAdd", caps, "add");
		copy_strings(host, "CapDrop", caps, "drop");
		if (json_is_boolean(json_object_get(lp, "initProcessEnabled")))
			json_object_set(host, "Init", json_object_get(lp, "initProcessEnabled"));
		json_int_t shm;
		if (has_int(lp, "sharedMemorySize", &shm) && shm > 0)
			json_object_set_new(host, "ShmSize", json_integer(shm * MIB));
		json_t *tmpfs = json_object_get(lp, "tmpfs");
		if (json_is_array(tmpfs) && json_array_size(tmpfs)) {
			json_t *t = json_object();
			json_object_set_new(host, "Tmpfs", t);
			json_array_foreach(tmpfs, i, m) {
				const char *cp = str(m, "containerPath");
				json_int_t size = 0;
				if (!cp)
					continue;
				struct sp_buf o = SP_BUF_INIT(4096);
				size_t j;
				json_t *opt;
				json_array_foreach(json_object_get(m, "mountOptions"), j, opt)
					if (json_is_string(opt))
						sp_buf_printf(&o, "%s%s", o.len ? "," : "", json_string_value(opt));
				if (has_int(m, "size", &size) && size > 0)
					sp_buf_printf(&o, "%ssize=%lldm", o.len ? "," : "", (long long)size);
				json_object_set_new(t, cp, json_string(sp_buf_cstr(&o)));
				sp_buf_free(&o);
			}
		}
		json_int_t swap;
		if (has_int(lp, "maxSwap", &swap) && swap >= 0)
			json_object_set_new(host, "MemorySwap", json_integer(swap * MIB));
		json_int_t swpns;
		if (has_int(lp, "swappiness", &swpns))
			json_object_set_new(host, "MemorySwappiness", json_integer(swpns));
	}
	return 0;
}

static int map_health(json_t *cfg, const json_t *def)
{
	json_t *hc = json_object_get(def, "healthCheck");
	json_int_t v;
	if (!json_is_object(hc) || !json_is_array(json_object_get(hc, "command")))
		return 0;
	json_t *h = json_object();
	json_object_set(h, "Test", json_object_get(hc, "command"));
	/* ECS gives seconds (with defaults 30/5/3/0); Docker wants nanoseconds. */
	json_object_set_new(h, "Interval", json_integer((has_int(hc, "interval", &v) ? v : 30) * NS_PER_S));
	json_object_set_new(h, "Timeout", json_integer((has_int(hc, "timeout", &v) ? v : 5) * NS_PER_S));
	json_object_set_new(h, "Retries", json_integer(has_int(hc, "retries", &v) ? v : 3));
	if (has_int(hc, "startPeriod", &v) && v > 0)
		json_object_set_new(h, "StartPeriod", json_integer(v * NS_PER_S));
	return json_object_set_new(cfg, "Healthcheck", h) ? SP_ENOMEM : 0;
}

int sp_docker_map_container(const json_t *def, const struct sp_docker_task_ctx *ctx,
			    json_t **body, struct sp_buf *err)
{
	const char *name = str(def, "name");
	const char *image = str(def, "image");
	json_t *cfg = NULL;
	json_int_t v;
	int rc;

	if (!name || !image)
		return errf(err, "a container definition needs a name and an image");
	cfg = json_object();
	json_t *host = json_object();
	if (!cfg || !host) {
		json_decref(host);
		rc = SP_ENOMEM;
		goto out;
	}
	json_object_set_new(cfg, "HostConfig", host);
	json_object_set_new(cfg, "Image", json_string(image));
	copy_strings(cfg, "Entrypoint", def, "entryPoint");
	copy_strings(cfg, "Cmd", def, "command");
	if (str(def, "workingDirectory"))
		json_object_set(cfg, "WorkingDir", json_object_get(def, "workingDirectory"));
	if (str(def, "hostname"))
		json_object_set(cfg, "Hostname", json_object_get(def, "hostname"));
	if (str(def, "user"))
		json_object_set(cfg, "User", json_object_get(def, "user"));
	if (json_is_true(json_object_get(def, "disableNetworking")))
		json_object_set_new(cfg, "NetworkDisabled", json_true());
	if (json_is_true(json_object_get(def, "interactive")))
		json_object_set_new(cfg, "OpenStdin", json_true());
	if (json_is_true(json_object_get(def, "pseudoTerminal")))
		json_object_set_new(cfg, "Tty", json_true());
	if (has_int(def, "stopTimeout", &v) && v >= 0)
		json_object_set_new(cfg, "StopTimeout", json_integer(v));
	if ((rc = map_env(cfg, def, ctx)) || (rc = map_labels(cfg, def, name, ctx)) ||
	    (rc = map_health(cfg, def)) || (rc = map_ports(cfg, host, def, ctx, err)) ||
	    (rc = map_mounts(host, def, ctx, err)) || (rc = map_volumes_from(host, def, ctx, err)) ||
	    (rc = map_misc_host(host, def)))
		goto out;

	/* Resources: cpu units are CPU shares (kernel minimum 2), memory is MiB. */
	if (has_int(def, "cpu", &v) && v > 0)
		json_object_set_new(host, "CpuShares", json_integer(v < 2 ? 2 : v));
	if (has_int(def, "memory", &v) && v > 0)
		json_object_set_new(host, "Memory", json_integer(v * MIB));
	if (has_int(def, "memoryReservation", &v) && v > 0)
		json_object_set_new(host, "MemoryReservation", json_integer(v * MIB));
	if (json_is_true(json_object_get(def, "privileged"))) {
		if (!ctx->allow_privileged) {
			rc = errf(err, "container \"%s\" asks to be privileged, which this environment does "
				  "not allow", name);
			goto out;
		}
		json_object_set_new(host, "Privileged", json_true());
	}
	if (json_is_true(json_object_get(def, "readonlyRootFilesystem")))
		json_object_set_new(host, "ReadonlyRootfs", json_true());
	json_object_set_new(host, "NetworkMode", json_string(ctx->network));
	/* The task's containers must not restart by themselves: the driver decides. */
	json_object_set_new(host, "RestartPolicy", json_pack("{s:s}", "Name", "no"));

	size_t i;
	json_t *a;
	if (!strcmp(ctx->network, "bridge")) {
		/* ECS's bridge mode: Docker's default bridge, a link "name[:alias]" a legacy
		 * link to the task's container (its /etc/hosts entry and environment variables) */
		json_t *links = json_array();
		json_object_set_new(host, "Links", links);
		json_array_foreach(json_object_get(def, "links"), i, a) {
			const char *lk = json_string_value(a);
			char target[SP_DOCKER_MAX_NAME];
			const char *alias = sp_docker_link_split(lk, target, sizeof(target));
			const char *dn = json_string_value(json_object_get(ctx->docker_names, target));
			if (!dn) {
				rc = errf(err, "container \"%s\": link \"%s\" names no container of the task",
					  name, lk ? lk : "");
				goto out;
			}
			char *l = sp_aprintf("%s:%s", dn, alias ? alias : target);
			if (!l) {
				rc = SP_ENOMEM;
				goto out;
			}
			json_array_append_new(links, json_string(l));
			free(l);
		}
	} else {
		json_t *aliases = json_array();
		json_array_append_new(aliases, json_string(name));
		json_array_foreach(json_object_get(ctx->aliases, name), i, a)
			if (json_is_string(a) && json_array_size(aliases) < SP_DOCKER_MAX_ALIASES)
				json_array_append(aliases, a);
		json_t *ep = json_object();
		json_object_set_new(ep, ctx->network, json_pack("{s:o}", "Aliases", aliases));
		json_object_set_new(cfg, "NetworkingConfig", json_pack("{s:o}", "EndpointsConfig", ep));
	}
	*body = cfg;
	cfg = NULL;
	rc = 0;
out:
	json_decref(cfg);
	return rc;
}

static long index_of(const json_t *defs, const char *name)
{
	size_t i;
	json_t *d;
	json_array_foreach(defs, i, d) {
		const char *n = str(d, "name");
		if (n && strcmp(n, name) == 0)
			return (long)i;
	}
	return -1;
}

const char *sp_docker_link_split(const char *link, char *target, size_t n)
{
	const char *colon = link ? strchr(link, ':') : NULL;
	size_t len = colon ? (size_t)(colon - link) : (link ? strlen(link) : 0);
	if (n == 0)
		return NULL;
	if (len >= n)
		len = n - 1;
	memcpy(target, link ? link : "", len);
	target[len] = '\0';
	return colon && colon[1] ? colon + 1 : NULL;
}

int sp_docker_start_order(const json_t *defs, size_t *order, size_t n, struct sp_buf *err)
{
	bool dep[SP_DOCKER_MAX_CONTAINERS][SP_DOCKER_MAX_CONTAINERS] = { { false } };
	bool done[SP_DOCKER_MAX_CONTAINERS] = { false };
	size_t i, j;
	json_t *d, *x;
	if (n != json_array_size(defs) || n > SP_DOCKER_MAX_CONTAINERS)
		return errf(err, "a task holds at most %d containers", SP_DOCKER_MAX_CONTAINERS);
	json_array_foreach(defs, i, d) {
		json_array_foreach(json_object_get(d, "links"), j, x) {
			const char *l = json_string_value(x);
			if (!l)
				continue;
			char target[SP_DOCKER_MAX_NAME];
			(void)sp_docker_link_split(l, target, sizeof(target));
			long t = index_of(defs, target);
			if (t < 0)
				return errf(err, "container \"%s\": link \"%s\" names no container",
					    str(d, "name"), l);
			dep[i][t] = true;
		}
		json_array_foreach(json_object_get(d, "volumesFrom"), j, x) {
			const char *sc = str(x, "sourceContainer");
			long t = sc ? index_of(defs, sc) : -1;
			if (t < 0)
				return errf(err, "container \"%s\": volumesFrom \"%s\" names no container",
					    str(d, "name"), sc ? sc : "");
			dep[i][t] = true;
		}
		json_array_foreach(json_object_get(d, "dependsOn"), j, x) {
			const char *cn = str(x, "containerName");
			long t = cn ? index_of(defs, cn) : -1;
			if (t < 0)
				return errf(err, "container \"%s\": dependsOn \"%s\" names no container",
					    str(d, "name"), cn ? cn : "");
			dep[i][t] = true;
		}
	}
	/* Kahn's algorithm, always taking the first ready container in file order. */
	for (size_t k = 0; k < n; k++) {
		size_t pick = n;
		for (i = 0; i < n && pick == n; i++) {
			if (done[i])
				continue;
			bool ready = true;
			for (j = 0; j < n; j++)
				if (dep[i][j] && !done[j] && j != i)
					ready = false;
			if (dep[i][i])
				ready = false;
			if (ready)
				pick = i;
		}
		if (pick == n) {
			for (i = 0; i < n && done[i]; i++)
				;
			return errf(err, "containers depend on each other in a cycle (through \"%s\")",
				    str(json_array_get(defs, i), "name"));
		}
		done[pick] = true;
		order[k] = pick;
	}
	return 0;
}
