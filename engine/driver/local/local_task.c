/* local_task.c — one task on one instance: its network, volumes and containers through
 * the Docker API, the essential-container rule, and the copy of container output. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "engine/driver/local/local_internal.h"
#include "engine/base/banned.h"

static const char *sget(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static json_t *task_labels(struct local *l, const char *env, const char *inst, const char *task,
			   const char *version)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "sprout.env", env, "sprout.instance", inst,
			 "sprout.task", task, "sprout.version", version ? version : "", "sprout.owner",
			 l->owner);
}

/* Waits for a dependsOn condition on an already started container. */
static int wait_condition(struct local *l, const char *docker_id, const char *cond, int timeout_s,
			  struct sp_buf *err)
{
	if (!cond || !strcmp(cond, "START"))
		return 0;
	if (!strcmp(cond, "COMPLETE") || !strcmp(cond, "SUCCESS")) {
		long code = 0;
		int rc = sp_docker_container_wait(l->docker, docker_id, "not-running", timeout_s, &code);
		if (rc) {
			sp_buf_printf(err, "waiting for a dependency to exit: %s", sp_docker_last_error(l->docker));
			return rc;
		}
		if (!strcmp(cond, "SUCCESS") && code != 0) {
			sp_buf_printf(err, "a dependency with condition SUCCESS exited with code %ld", code);
			return SP_ERROR;
		}
		return 0;
	}
	/* HEALTHY */
	long deadline = local_now_ms() + (long)timeout_s * 1000;
	while (local_now_ms() < deadline) {
		json_t *j = NULL;
		if (sp_docker_container_inspect(l->docker, docker_id, &j) == 0) {
			json_t *state = json_object_get(j, "State");
			const char *h = sget(json_object_get(state, "Health"), "Status");
			const char *s = sget(state, "Status");
			bool healthy = h && !strcmp(h, "healthy");
			bool dead = s && (!strcmp(s, "exited") || !strcmp(s, "dead"));
			json_decref(j);
			if (healthy)
				return 0;
			if (dead) {
				sp_buf_printf(err, "a dependency with condition HEALTHY exited before it was healthy");
				return SP_ERROR;
			}
		}
		local_sleep_ms(200);
	}
	sp_buf_printf(err, "a dependency did not become healthy within %d s", timeout_s);
	return SP_ERROR;
}

/* The member of array `a` whose "name" is `name`. */
static const json_t *by_name(const json_t *a, const char *name)
{
	size_t i;
	json_t *c;
	json_array_foreach(a, i, c)
		if (name && sget(c, "name") && !strcmp(sget(c, "name"), name))
			return c;
	return NULL;
}

/* The task's network: a free /28 of the driver's range (tried from a random block on, as
 * parallel workers and other engines take blocks too), or one from Docker's pools. */
static int task_network_create(struct local *l, const char *name, const json_t *labels, char **id,
			       struct sp_buf *err)
{
	uint32_t start = 0;
	int rc;
	if (!l->subnet_blocks) {
		if ((rc = sp_docker_network_create(l->docker, name, labels, NULL, NULL, id)))
			sp_buf_printf(err, "%s", sp_docker_last_error(l->docker));
		return rc;
	}
	if (getrandom(&start, sizeof(start), 0) != (ssize_t)sizeof(start))
		start = (uint32_t)local_now_ms();
	uint32_t tries = l->subnet_blocks < LOCAL_SUBNET_TRIES ? l->subnet_blocks : LOCAL_SUBNET_TRIES;
	for (uint32_t k = 0; k < tries; k++) {
		uint32_t net = l->subnet_base + ((start + k) % l->subnet_blocks) * 16;
		struct in_addr a = { htonl(net) }, g = { htonl(net + 1) };
		char sa[INET_ADDRSTRLEN], sg[INET_ADDRSTRLEN], subnet[INET_ADDRSTRLEN + 4];
		inet_ntop(AF_INET, &a, sa, sizeof(sa));
		inet_ntop(AF_INET, &g, sg, sizeof(sg));
		snprintf(subnet, sizeof(subnet), "%s/28", sa);
		rc = sp_docker_network_create(l->docker, name, labels, subnet, sg, id);
		if (rc != SP_EEXISTS)
			break;
	}
	if (rc == SP_EEXISTS)
		sp_buf_printf(err, "no free /28 subnet for the task network after %u tries in the task "
			      "subnet range (sprout serve --task-subnets): %s", (unsigned)tries,
			      sp_docker_last_error(l->docker));
	else if (rc)
		sp_buf_printf(err, "%s", sp_docker_last_error(l->docker));
	return rc;
}

/* The names of the containers `d` depends on (dependsOn), recorded for the stop order. */
static json_t *depends_on_names(const json_t *d)
{
	json_t *a = json_array();
	size_t j;
	json_t *x;
	json_array_foreach(json_object_get(d, "dependsOn"), j, x)
		if (a && sget(x, "containerName"))
			json_array_append_new(a, json_string(sget(x, "containerName")));
	return a;
}

int local_task_prepare(struct local *l, const struct task_input *in, const json_t *inst,
		       json_t **task_out, struct sp_buf *err)
{
	char tid[33];
	size_t order[SP_DOCKER_MAX_CONTAINERS];
	struct sp_buf path = SP_BUF_INIT(SP_PATH_MAX);
	json_t *labels = NULL, *names = json_object(), *aliases = json_object(), *body = NULL;
	char *netid = NULL;
	const char *iid = sget(inst, "id"), *root = sget(inst, "root"), *addr = sget(inst, "address");
	const json_t *defs = json_object_get(in->taskdef, "containerDefinitions");
	const json_t *vols = json_object_get(in->taskdef, "volumes");
	size_t n = json_array_size(defs), i, j;
	json_t *d, *x, *task = NULL;
	int rc;

	*task_out = NULL;
	if ((rc = local_random_hex(tid, 32)))
		goto out;
	char netname[64];
	snprintf(netname, sizeof(netname), "%s%.12s", in->plan->shared_bridge ? "bridge" : "sprout-",
		 in->plan->shared_bridge ? "" : tid);
	task = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:[], s:[]}", "id", tid, "state", "PENDING",
			 "version", in->version ? in->version : "", "hash", in->hash, "network",
			 netname, "sharedNetwork", in->plan->shared_bridge, "containers", "warned");
	if (!task || !names || !aliases) {
		json_decref(task);
		rc = SP_ENOMEM;
		goto out;
	}
	*task_out = task; /* handed out first, so a failure can be cleaned */
	json_t *records = json_object_get(task, "containers");
	labels = task_labels(l, in->env, iid, tid, in->version);

	if ((rc = sp_docker_start_order(defs, order, n, err)))
		goto out;
	json_array_foreach(defs, i, d) {
		const char *name = sget(d, "name");
		char *dn = sp_aprintf("sprout-%s-%s-%.12s", in->env, name, tid);
		if (!dn) {
			rc = SP_ENOMEM;
			goto out;
		}
		json_object_set_new(names, name, json_string(dn));
		free(dn);
		/* links "name:alias" make "alias" a network alias of "name" on the task network */
		json_array_foreach(json_object_get(d, "links"), j, x) {
			char target[SP_DOCKER_MAX_NAME];
			const char *alias = sp_docker_link_split(json_string_value(x), target, sizeof(target));
			if (!alias)
				continue;
			json_t *al = json_object_get(aliases, target);
			if (!al) {
				al = json_array();
				json_object_set_new(aliases, target, al);
			}
			json_array_append_new(al, json_string(alias));
		}
		/* the folder EB keeps per container, even when no volume mounts it */
		sp_buf_reset(&path);
		if (sp_buf_printf(&path, "%s/var/log/containers/%s", root, name) == 0)
			(void)sp_mkdir_p(sp_buf_cstr(&path), 0755);
	}

	if (!in->plan->shared_bridge && (rc = task_network_create(l, netname, labels, &netid, err)))
		goto out;
	json_array_foreach(vols, i, x) {
		const char *vn = sget(x, "name");
		const char *sp = sget(json_object_get(x, "host"), "sourcePath");
		if (!vn)
			continue;
		if (sp && *sp) {
			rc = sp_docker_resolve_source_path(root, sp, in->plan->allow_host_paths, &path);
			if (!rc && sp_mkdir_p(sp_buf_cstr(&path), 0755))
				rc = SP_EIO;
			if (rc) {
				sp_buf_printf(err, "volume \"%s\": cannot make %s", vn, sp);
				goto out;
			}
		} else {
			char *dv = sp_aprintf("sprout-%.12s-%s", tid, vn);
			rc = dv ? sp_docker_volume_create(l->docker, dv, labels) : SP_ENOMEM;
			free(dv);
			if (rc) {
				sp_buf_printf(err, "volume \"%s\": %s", vn, sp_docker_last_error(l->docker));
				goto out;
			}
		}
	}

	/* Every container is created now, in start order (volumesFrom needs its source to
	 * exist); they start later, in local_task_run. */
	struct sp_docker_task_ctx ctx = {
		.environment = in->env, .instance_id = iid, .task_id = tid, .version = in->version,
		.instance_root = root, .host_ip = addr, .network = netname, .volumes = vols,
		.docker_names = names, .aliases = aliases, .properties = in->plan->properties,
		.allow_privileged = in->plan->allow_privileged,
		.allow_host_paths = in->plan->allow_host_paths,
	};
	for (size_t k = 0; k < n; k++) {
		d = json_array_get(defs, order[k]);
		const char *name = sget(d, "name");
		json_decref(body);
		body = NULL;
		if ((rc = sp_docker_map_container(d, &ctx, &body, err)))
			goto out;
		json_object_set_new(json_object_get(body, "Labels"), "sprout.owner", json_string(l->owner));
		char *cid = NULL;
		const char *dn = json_string_value(json_object_get(names, name));
		rc = sp_docker_container_create(l->docker, dn, body, &cid);
		if (rc) {
			sp_buf_printf(err, "container \"%s\": %s", name, sp_docker_last_error(l->docker));
			goto out;
		}
		json_array_append_new(records, json_pack("{s:s, s:s, s:s, s:b, s:b, s:o, s:b}", "name", name,
							 "dockerName", dn, "id", cid, "essential",
							 !json_is_false(json_object_get(d, "essential")),
							 "tty", json_is_true(json_object_get(d, "pseudoTerminal")),
							 "dependsOn", depends_on_names(d), "started", 0));
		free(cid);
	}
	rc = 0;
out:
	if (rc && task) {
		json_object_set_new(task, "state", json_string("STOPPED"));
		json_object_set_new(task, "stoppedReason", json_string(sp_buf_cstr(err)));
	}
	free(netid);
	json_decref(body);
	json_decref(labels);
	json_decref(names);
	json_decref(aliases);
	sp_buf_free(&path);
	return rc;
}

int local_task_run(struct local *l, const struct task_input *in, json_t *inst, struct sp_buf *err)
{
	json_t *task = json_object_get(inst, "task");
	json_t *records = json_object_get(task, "containers");
	const json_t *defs = json_object_get(in->taskdef, "containerDefinitions");
	size_t k, j;
	json_t *c, *x;
	int rc = 0;
	json_array_foreach(records, k, c) {
		const char *name = sget(c, "name");
		const json_t *d = by_name(defs, name);
		/* dependsOn conditions beyond START wait for the dependency */
		json_array_foreach(d ? json_object_get(d, "dependsOn") : NULL, j, x) {
			const json_t *dep = by_name(records, sget(x, "containerName"));
			if (dep && (rc = wait_condition(l, sget(dep, "id"), sget(x, "condition"),
							in->plan->start_timeout_s, err)))
				goto out;
		}
		rc = sp_docker_container_start(l->docker, sget(c, "dockerName"));
		if (rc) {
			sp_buf_printf(err, "container \"%s\" did not start: %s", name,
				      sp_docker_last_error(l->docker));
			goto out;
		}
		json_object_set_new(c, "started", json_true());
	}
out:
	if (rc) {
		json_object_set_new(task, "state", json_string("STOPPED"));
		json_object_set_new(task, "stoppedReason", json_string(sp_buf_cstr(err)));
	}
	return rc;
}

int local_task_start(struct local *l, const struct task_input *in, json_t *inst, struct sp_buf *err)
{
	json_t *task = NULL;
	int rc = local_task_prepare(l, in, inst, &task, err);
	if (task)
		json_object_set_new(inst, "task", task);
	return rc ? rc : local_task_run(l, in, inst, err);
}

/* "2026-11-21T23:25:28.123456789Z" -> seconds and nanoseconds. */
static bool parse_ts(const char *s, size_t n, long long *sec, long *nsec)
{
	struct tm tm;
	char tmp[40];
	if (n >= sizeof(tmp) || n < 20)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(&tm, 0, sizeof(tm));
	char *e = strptime(tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!e)
		return false;
	long ns = 0;
	if (*e == '.') {
		int digits = 0;
		for (e++; *e >= '0' && *e <= '9'; e++, digits++)
			if (digits < 9)
				ns = ns * 10 + (*e - '0');
		for (; digits < 9; digits++)
			ns *= 10;
	}
	*sec = (long long)timegm(&tm);
	*nsec = ns;
	return true;
}

static int log_path(const json_t *inst, const json_t *c, struct sp_buf *out)
{
	sp_buf_reset(out);
	return sp_buf_printf(out, "%s/var/log/containers/%s-%.12s-stdouterr.log", sget(inst, "root"),
			     sget(c, "name"), sget(c, "id"));
}

int local_task_copy_logs(struct local *l, json_t *inst, json_t *c)
{
	struct sp_buf logs = SP_BUF_INIT(SP_DOCKER_MAX_LOGS);
	struct sp_buf path = SP_BUF_INIT(SP_PATH_MAX);
	struct sp_buf outb = SP_BUF_INIT(SP_DOCKER_MAX_LOGS);
	const char *since = sget(c, "logSince");
	long long last_s = -1, cur_s = 0;
	long last_ns = 0, cur_ns = 0;
	int fd = -1, rc;
	if (!sget(c, "id"))
		return 0;
	if (since) {
		char *dot = NULL;
		last_s = strtoll(since, &dot, 10);
		last_ns = dot && *dot == '.' ? strtol(dot + 1, NULL, 10) : 0;
	}
	rc = sp_docker_container_logs(l->docker, sget(c, "id"), json_is_true(json_object_get(c, "tty")),
				      since, NULL, true, &logs);
	if (rc)
		goto out;
	const char *p = sp_buf_cstr(&logs);
	const char *end = p + logs.len;
	bool advanced = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;
		const char *sp = memchr(p, ' ', (size_t)(le - p));
		if (sp && parse_ts(p, (size_t)(sp - p), &cur_s, &cur_ns)) {
			/* `since` is inclusive: skip what an earlier copy already took */
			if (cur_s > last_s || (cur_s == last_s && cur_ns > last_ns)) {
				if ((rc = sp_buf_append(&outb, sp + 1, (size_t)(le - sp - 1))))
					goto out;
				last_s = cur_s;
				last_ns = cur_ns;
				advanced = true;
			}
		}
		p = le;
	}
	if (!advanced)
		goto out;
	if ((rc = log_path(inst, c, &path)))
		goto out;
	fd = open(sp_buf_cstr(&path), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, outb.data, outb.len) != (ssize_t)outb.len) {
		rc = SP_EIO;
		goto out;
	}
	char ts[48];
	snprintf(ts, sizeof(ts), "%lld.%09ld", last_s, last_ns);
	json_object_set_new(c, "logSince", json_string(ts));
out:
	if (fd >= 0)
		close(fd);
	sp_buf_free(&outb);
	sp_buf_free(&path);
	sp_buf_free(&logs);
	return rc;
}

static bool is_stopped_status(const char *s)
{
	return !s || !strcmp(s, "exited") || !strcmp(s, "dead") || !strcmp(s, "missing");
}

static bool in_array(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (json_string_value(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static void stop_job_run(struct local *l, void *job)
{
	(void)sp_docker_container_stop(l->docker, sget(job, "id"), -1);
}

/* True when a container still to stop depends on `c` (dependsOn): on ECS dependents stop
 * before what they depend on; nothing else orders a task's stop. */
static bool awaited_by(const json_t *cs, const bool *done, const json_t *c)
{
	size_t i;
	json_t *o;
	json_array_foreach(cs, i, o)
		if (o != c && !done[i] && in_array(json_object_get(o, "dependsOn"), sget(c, "name")))
			return true;
	return false;
}

void local_task_stop(struct local *l, const json_t *task, const json_t *except)
{
	const json_t *cs = json_object_get(task, "containers");
	size_t n = json_array_size(cs), left = 0, i;
	bool done[SP_DOCKER_MAX_CONTAINERS] = { false };
	void *jobs[SP_DOCKER_MAX_CONTAINERS];
	json_t *c;
	if (n > SP_DOCKER_MAX_CONTAINERS)
		n = SP_DOCKER_MAX_CONTAINERS;
	for (i = 0; i < n; i++) {
		c = json_array_get(cs, i);
		done[i] = c == except || !sget(c, "id");
		left += !done[i];
	}
	/* In rounds: every container no running one depends on, all at once (each with its
	 * own stopTimeout); a dependency cycle stops what is left together. */
	while (left) {
		size_t nj = 0;
		for (i = 0; i < n; i++)
			if (!done[i] && !awaited_by(cs, done, json_array_get(cs, i)))
				jobs[nj++] = json_array_get(cs, i);
		if (!nj) /* a cycle */
			for (i = 0; i < n; i++)
				if (!done[i])
					jobs[nj++] = json_array_get(cs, i);
		local_parallel(l, stop_job_run, jobs, nj);
		for (size_t k = 0; k < nj; k++)
			for (i = 0; i < n; i++)
				if (json_array_get(cs, i) == jobs[k] && !done[i]) {
					done[i] = true;
					left--;
				}
	}
}

void local_task_discard(struct local *l, json_t *inst, const json_t *task)
{
	json_t *list = NULL;
	if (!task)
		return;
	const char *tid = sget(task, "id");
	json_t *cs = json_object_get(task, "containers");
	local_task_stop(l, task, NULL);
	for (size_t k = json_array_size(cs); k-- > 0;) {
		json_t *c = json_array_get(cs, k);
		(void)local_task_copy_logs(l, inst, c);
		(void)sp_docker_container_remove(l->docker, sget(c, "id"), true, true);
	}
	/* Whatever else carries the task's labels (a container created before a crash). */
	char lt[96], lo[64];
	snprintf(lt, sizeof(lt), "sprout.task=%s", tid ? tid : "");
	snprintf(lo, sizeof(lo), "sprout.owner=%s", l->owner);
	const char *labels[] = { lt, lo };
	size_t i;
	json_t *x;
	if (sp_docker_container_list(l->docker, labels, 2, &list) == 0)
		json_array_foreach(list, i, x)
			(void)sp_docker_container_remove(l->docker, sget(x, "Id"), true, true);
	json_decref(list);
	list = NULL;
	if (sp_docker_network_list(l->docker, labels, 2, &list) == 0)
		json_array_foreach(list, i, x)
			(void)sp_docker_network_remove(l->docker, sget(x, "Id"));
	json_decref(list);
	list = NULL;
	if (sget(task, "network") && !json_is_true(json_object_get(task, "sharedNetwork")))
		(void)sp_docker_network_remove(l->docker, sget(task, "network"));
	if (sp_docker_volume_list(l->docker, labels, 2, &list) == 0)
		json_array_foreach(list, i, x)
			(void)sp_docker_volume_remove(l->docker, sget(x, "Name"));
	json_decref(list);
}

int local_task_remove(struct local *l, const char *env, json_t *inst)
{
	(void)env;
	local_task_discard(l, inst, json_object_get(inst, "task"));
	json_object_del(inst, "task");
	return 0;
}

/* The last lines of a container's output, for a cause. */
static char *log_tail(struct local *l, const json_t *c)
{
	struct sp_buf b = SP_BUF_INIT(SP_DOCKER_MAX_LOGS);
	char tail[16];
	char *s = NULL;
	snprintf(tail, sizeof(tail), "%d", SP_DRIVER_LOG_TAIL_LINES);
	if (sp_docker_container_logs(l->docker, sget(c, "id"), json_is_true(json_object_get(c, "tty")),
				     NULL, tail, false, &b) == 0)
		s = sp_strdup(sp_buf_cstr(&b));
	sp_buf_free(&b);
	return s ? s : sp_strdup("");
}

int local_task_observe(struct local *l, const char *env, json_t *inst, bool *stopped_now,
		       json_t **containers)
{
	json_t *task = json_object_get(inst, "task");
	json_t *obs = json_array();
	json_t *essential_down = NULL, *essential_info = NULL;
	size_t i;
	json_t *c;
	*stopped_now = false;
	if (!obs)
		return SP_ENOMEM;
	const char *iid = sget(inst, "id");
	const char *tid = task ? sget(task, "id") : NULL;
	const char *tstate = task ? sget(task, "state") : NULL;
	json_array_foreach(task ? json_object_get(task, "containers") : NULL, i, c) {
		json_t *j = NULL;
		char status[32] = "missing";
		json_int_t code = 0;
		bool oom = false;
		char health[32] = "";
		json_t *ports = json_array();
		if (sp_docker_container_inspect(l->docker, sget(c, "id"), &j) == 0) {
			json_t *st = json_object_get(j, "State");
			snprintf(status, sizeof(status), "%s", sget(st, "Status") ? sget(st, "Status") : "unknown");
			code = json_integer_value(json_object_get(st, "ExitCode"));
			oom = json_is_true(json_object_get(st, "OOMKilled"));
			const char *hs = sget(json_object_get(st, "Health"), "Status");
			snprintf(health, sizeof(health), "%s", hs ? hs : "");
			/* the address on the task network: where the driver sees the app listen */
			const char *ip = sget(json_object_get(json_object_get(json_object_get(j, "NetworkSettings"),
									      "Networks"), sget(task, "network")),
					      "IPAddress");
			if (ip && *ip)
				json_object_set_new(c, "ip", json_string(ip));
			const char *key;
			json_t *binds;
			json_object_foreach(json_object_get(json_object_get(j, "NetworkSettings"), "Ports"), key, binds) {
				size_t k;
				json_t *b;
				json_array_foreach(binds, k, b)
					json_array_append_new(ports, json_pack("{s:s, s:s, s:s}", "containerPort", key,
									       "hostIp", sget(b, "HostIp") ? sget(b, "HostIp") : "",
									       "hostPort", sget(b, "HostPort") ? sget(b, "HostPort") : ""));
			}
			(void)local_task_copy_logs(l, inst, c);
			json_decref(j);
		}
		bool essential = json_is_true(json_object_get(c, "essential"));
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:o}", "name", sget(c, "name"),
				      "dockerName", sget(c, "dockerName"), "id", sget(c, "id"), "state", status,
				      "exitCode", code, "oomKilled", oom, "essential", essential, "ports", ports);
		json_object_set_new(o, "health", health[0] ? json_string(health) : json_null());
		json_array_append_new(obs, o);
		if (tstate && !strcmp(tstate, "STOPPED"))
			continue;
		if (!is_stopped_status(status))
			continue;
		if (essential) {
			if (!essential_down) {
				essential_down = c;
				essential_info = o;
			}
		} else if (!in_array(json_object_get(task, "warned"), sget(c, "name"))) {
			local_emit(l, SP_DRIVER_WARN, env, iid, tid, sget(c, "name"), NULL,
				   "[Instance: %s] Non-essential container \"%s\" of task %s stopped "
				   "(exit code %lld%s); the task keeps running.", iid, sget(c, "name"),
				   tid, (long long)code, oom ? ", OOM killed" : "");
			json_array_append_new(json_object_get(task, "warned"), json_string(sget(c, "name")));
		}
	}
	if (essential_down) {
		const char *name = sget(essential_down, "name");
		json_int_t code = json_integer_value(json_object_get(essential_info, "exitCode"));
		bool oom = json_is_true(json_object_get(essential_info, "oomKilled"));
		bool missing = !strcmp(sget(essential_info, "state"), "missing");
		char *tail = missing ? sp_strdup("") : log_tail(l, essential_down);
		/* ECS: the task's other containers stop with it. */
		local_task_stop(l, task, essential_down);
		json_array_foreach(json_object_get(task, "containers"), i, c) {
			if (c == essential_down)
				continue;
			json_t *j = NULL, *o = json_array_get(obs, i);
			if (o && sp_docker_container_inspect(l->docker, sget(c, "id"), &j) == 0) {
				json_t *cst = json_object_get(j, "State");
				if (sget(cst, "Status"))
					json_object_set(o, "state", json_object_get(cst, "Status"));
				json_object_set(o, "exitCode", json_object_get(cst, "ExitCode"));
			}
			json_decref(j);
		}
		char *reason = missing
			? sp_aprintf("Essential container \"%s\" in task disappeared", name)
			: sp_aprintf("Essential container \"%s\" in task exited with code %lld%s", name,
				     (long long)code, oom ? " (OOM killed)" : "");
		json_object_set_new(task, "state", json_string("STOPPED"));
		json_object_set_new(task, "stoppedReason", json_string(reason ? reason : ""));
		json_object_set_new(task, "stoppedCause",
				    json_pack("{s:s, s:I, s:b, s:s}", "container", name, "exitCode", code,
					      "oomKilled", oom, "logTail", tail ? tail : ""));
		local_emit(l, SP_DRIVER_ERROR, env, iid, tid, name, tail,
			   "[Instance: %s] Task %s stopped: %s; its other containers were stopped.", iid,
			   tid, reason ? reason : "");
		*stopped_now = true;
		free(reason);
		free(tail);
	}
	if (containers)
		*containers = obs;
	else
		json_decref(obs);
	return 0;
}

int local_images_ensure(struct local *l, const json_t *taskdef,
			const struct sp_driver_registry_auth *auths, size_t n_auths, struct sp_buf *err)
{
	size_t i;
	json_t *d;
	json_t *seen = json_object();
	int rc = 0;
	json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, d) {
		const char *image = sget(d, "image");
		json_t *info = NULL;
		if (!image || json_object_get(seen, image))
			continue;
		json_object_set_new(seen, image, json_true());
		rc = sp_docker_image_inspect(l->docker, image, &info);
		json_decref(info);
		if (rc == 0)
			continue;
		if (rc != SP_ENOTFOUND) {
			sp_buf_printf(err, "image %s: %s", image, sp_docker_last_error(l->docker));
			break;
		}
		char *name = NULL, *tag = NULL, *reg = NULL;
		rc = sp_docker_split_ref(image, &name, &tag, &reg);
		if (rc) {
			sp_buf_printf(err, "image \"%s\" is not a valid reference", image);
			break;
		}
		struct sp_docker_auth a = { 0 };
		const struct sp_docker_auth *ap = NULL;
		for (size_t k = 0; k < n_auths; k++)
			if (auths[k].server && !strcmp(auths[k].server, reg)) {
				a.serveraddress = auths[k].server;
				a.username = auths[k].username;
				a.password = auths[k].password;
				ap = &a;
				break;
			}
		free(name);
		free(tag);
		free(reg);
		rc = sp_docker_image_pull(l->docker, image, ap);
		if (rc) {
			sp_buf_printf(err, "%s", sp_docker_last_error(l->docker));
			break;
		}
	}
	json_decref(seen);
	return rc;
}
