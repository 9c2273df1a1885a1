/* local.c — the local driver: environments as instances (loopback addresses with a root
 * folder), one task each through Docker, and an HAProxy site per load-balanced one. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "engine/base/sha256.h"
#include "engine/driver/local/local_internal.h"
#include "engine/base/banned.h"

static const char *sget(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

long local_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void local_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int local_random_hex(char *out, size_t nhex)
{
	unsigned char raw[64];
	size_t nb = (nhex + 1) / 2;
	if (nb > sizeof(raw))
		return SP_EINVAL;
	if (getrandom(raw, nb, 0) != (ssize_t)nb)
		return SP_EIO;
	for (size_t i = 0; i < nhex; i++)
		out[i] = "0123456789abcdef"[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[nhex] = '\0';
	return 0;
}

void local_emit(struct local *l, enum sp_driver_severity sev, const char *env, const char *inst,
		const char *task, const char *container, const char *detail, const char *fmt, ...)
{
	struct sp_buf m = SP_BUF_INIT(8192);
	va_list ap;
	if (!l->on_event)
		return;
	va_start(ap, fmt);
	(void)sp_buf_vprintf(&m, fmt, ap);
	va_end(ap);
	struct sp_driver_event ev = { sev, env, inst, task, container, sp_buf_cstr(&m), detail };
	l->on_event(l->event_user, &ev);
	sp_buf_free(&m);
}

/* ---- state documents ---- */

static char *state_path(struct local *l, const char *env)
{
	return sp_aprintf("%s/%s.json", l->envs_dir, env);
}

int local_state_load(struct local *l, const char *env, json_t **out)
{
	char *p = state_path(l, env);
	json_error_t je;
	if (!p)
		return SP_ENOMEM;
	if (access(p, F_OK) != 0) {
		free(p);
		return SP_ENOTFOUND;
	}
	json_t *j = json_load_file(p, 0, &je);
	free(p);
	if (!json_is_object(j)) {
		json_decref(j);
		return SP_EIO;
	}
	*out = j;
	return 0;
}

int local_state_save(struct local *l, const char *env, const json_t *st)
{
	char *p = state_path(l, env);
	char *tmp = p ? sp_aprintf("%s.tmp", p) : NULL;
	int rc = SP_ENOMEM;
	if (!tmp)
		goto out;
	rc = json_dump_file(st, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) ? SP_EIO : 0;
	if (!rc && rename(tmp, p) != 0)
		rc = SP_EIO;
	if (rc)
		unlink(tmp);
out:
	free(tmp);
	free(p);
	return rc;
}

int local_state_remove(struct local *l, const char *env)
{
	char *p = state_path(l, env);
	if (!p)
		return SP_ENOMEM;
	int rc = (unlink(p) == 0 || errno == ENOENT) ? 0 : SP_EIO;
	free(p);
	return rc;
}

int local_state_list(struct local *l, json_t **names)
{
	json_t *a = json_array();
	DIR *d = opendir(l->envs_dir);
	struct dirent *e;
	if (!a) {
		if (d)
			closedir(d);
		return SP_ENOMEM;
	}
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && !strcmp(e->d_name + n - 5, ".json")) {
			char *name = sp_strndup(e->d_name, n - 5);
			if (name && sp_driver_env_name_valid(name))
				json_array_append_new(a, json_string(name));
			free(name);
		}
	}
	if (d)
		closedir(d);
	*names = a;
	return 0;
}

/* ---- the address pool ---- */

static int parse_pool(const char *s, uint32_t *first, uint32_t *last)
{
	char a[32], b[32];
	const char *dash = strchr(s, '-');
	struct in_addr x, y;
	if (!dash || (size_t)(dash - s) >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		return SP_EINVAL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	memcpy(b, dash + 1, strlen(dash + 1) + 1);
	if (inet_pton(AF_INET, a, &x) != 1 || inet_pton(AF_INET, b, &y) != 1)
		return SP_EINVAL;
	*first = ntohl(x.s_addr);
	*last = ntohl(y.s_addr);
	if ((*first >> 24) != 127 || (*last >> 24) != 127 || *last < *first)
		return SP_EINVAL;
	return 0;
}

/* "A.B.C.D/N" -> the /28 blocks it holds; "docker" -> none (the daemon's pools). */
static int parse_subnets(const char *s, uint32_t *base, uint32_t *blocks)
{
	char a[32];
	const char *slash = strchr(s, '/');
	struct in_addr x;
	char *end = NULL;
	if (!strcmp(s, "docker")) {
		*base = *blocks = 0;
		return 0;
	}
	if (!slash || (size_t)(slash - s) >= sizeof(a) || !slash[1])
		return SP_EINVAL;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	long n = strtol(slash + 1, &end, 10);
	if (*end || n < 8 || n > 28 || inet_pton(AF_INET, a, &x) != 1)
		return SP_EINVAL;
	uint32_t mask = 0xffffffffu << (32 - n);
	*base = ntohl(x.s_addr);
	if (*base & ~mask)
		return SP_EINVAL; /* host bits set: "172.16.0.1/16" */
	*blocks = 1u << (28 - n);
	return 0;
}

static void collect_addresses(struct local *l, json_t *used)
{
	json_t *names = NULL;
	size_t i, j;
	json_t *x, *inst;
	if (local_state_list(l, &names))
		return;
	json_array_foreach(names, i, x) {
		json_t *st = NULL;
		if (local_state_load(l, json_string_value(x), &st))
			continue;
		const char *lba = sget(json_object_get(st, "loadBalancer"), "address");
		if (lba)
			json_object_set_new(used, lba, json_true());
		json_array_foreach(json_object_get(st, "instances"), j, inst)
			if (sget(inst, "address"))
				json_object_set_new(used, sget(inst, "address"), json_true());
		json_decref(st);
	}
	json_decref(names);
}

/* The first free pool address; `taken` holds addresses handed out but not saved yet. */
static int allocate_address(struct local *l, json_t *taken, char out[INET_ADDRSTRLEN])
{
	json_t *used = json_object();
	int rc = SP_ETOOBIG;
	if (!used)
		return SP_ENOMEM;
	collect_addresses(l, used);
	for (uint32_t a = l->pool_first; a <= l->pool_last && a >= l->pool_first; a++) {
		if ((a & 0xff) == 0 || (a & 0xff) == 255 || a == 0x7f000001)
			continue;
		struct in_addr ia = { htonl(a) };
		inet_ntop(AF_INET, &ia, out, INET_ADDRSTRLEN);
		if (json_object_get(used, out) || json_object_get(taken, out))
			continue;
		json_object_set_new(taken, out, json_true());
		rc = 0;
		break;
	}
	json_decref(used);
	return rc;
}

/* ---- instances ---- */

static int instance_new(struct local *l, json_t *taken, json_t **out)
{
	char hex[18], addr[INET_ADDRSTRLEN];
	int rc = local_random_hex(hex, 17);
	if (rc || (rc = allocate_address(l, taken, addr)))
		return rc;
	char *id = sp_aprintf("i-%s", hex);
	char *root = id ? sp_aprintf("%s/%s", l->instances_dir, id) : NULL;
	const char *sub[] = { "var/app/current", "var/app/staging", "var/log/containers" };
	rc = root ? 0 : SP_ENOMEM;
	for (size_t i = 0; !rc && i < 3; i++) {
		char *p = sp_aprintf("%s/%s", root, sub[i]);
		rc = !p ? SP_ENOMEM : sp_mkdir_p(p, 0755) ? SP_EIO : 0;
		free(p);
	}
	if (!rc) {
		*out = json_pack("{s:s, s:s, s:s, s:b, s:b}", "id", id, "address", addr, "root", root,
				 "leaving", 0, "inService", 0);
		rc = *out ? 0 : SP_ENOMEM;
	}
	free(id);
	free(root);
	return rc;
}

/* Copies a tree (regular files, directories, symlinks as links) from src into dst. */
static int copy_tree(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *e;
	int rc = 0;
	if (!d)
		return SP_EIO;
	if (sp_mkdir_p(dst, 0755)) {
		closedir(d);
		return SP_EIO;
	}
	while (!rc && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *s = sp_aprintf("%s/%s", src, e->d_name);
		char *t = sp_aprintf("%s/%s", dst, e->d_name);
		struct stat sb;
		if (!s || !t) {
			rc = SP_ENOMEM;
		} else if (lstat(s, &sb) != 0) {
			rc = SP_EIO;
		} else if (S_ISDIR(sb.st_mode)) {
			rc = copy_tree(s, t);
		} else if (S_ISLNK(sb.st_mode)) {
			char target[SP_PATH_MAX];
			ssize_t n = readlink(s, target, sizeof(target) - 1);
			if (n < 0) {
				rc = SP_EIO;
			} else {
				target[n] = '\0';
				rc = symlink(target, t) ? SP_EIO : 0;
			}
		} else if (S_ISREG(sb.st_mode)) {
			int in = open(s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			int outfd = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, sb.st_mode & 0777);
			char buf[65536];
			ssize_t r;
			if (in < 0 || outfd < 0)
				rc = SP_EIO;
			while (!rc && (r = read(in, buf, sizeof(buf))) != 0) {
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0 || write(outfd, buf, (size_t)r) != r)
					rc = SP_EIO;
			}
			if (in >= 0)
				close(in);
			if (outfd >= 0 && close(outfd) && !rc)
				rc = SP_EIO;
		}
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

/* The version's files into a fresh var/app/staging. */
static int stage_files(const json_t *inst, const char *source_dir)
{
	char *staging = sp_aprintf("%s/var/app/staging", sget(inst, "root"));
	int rc = SP_ENOMEM;
	if (staging) {
		(void)sp_rm_rf(staging);
		rc = copy_tree(source_dir, staging);
	}
	free(staging);
	return rc;
}

/* var/app/staging swapped into var/app/current; staging left empty. */
static int swap_files(const json_t *inst)
{
	const char *root = sget(inst, "root");
	char *staging = sp_aprintf("%s/var/app/staging", root);
	char *current = sp_aprintf("%s/var/app/current", root);
	char *old = sp_aprintf("%s/var/app/.previous", root);
	int rc = SP_ENOMEM;
	if (!staging || !current || !old)
		goto out;
	(void)sp_rm_rf(old);
	rc = 0;
	if (rename(current, old) != 0 && errno != ENOENT) {
		rc = SP_EIO;
		goto out;
	}
	if (rename(staging, current) != 0) {
		rc = SP_EIO;
		goto out;
	}
	(void)sp_mkdir_p(staging, 0755);
	(void)sp_rm_rf(old);
out:
	free(staging);
	free(current);
	free(old);
	return rc;
}

/* ---- constructor and simple ops ---- */

static int op_check(void *ctx, struct sp_buf *msg)
{
	struct local *l = ctx;
	int rc = sp_docker_check(l->docker, NULL, msg);
	if (rc)
		return rc;
	return sp_lb_check(l->lb, msg);
}

static int op_list(void *ctx, json_t **out)
{
	return local_state_list(ctx, out);
}

static int op_shutdown(void *ctx)
{
	struct local *l = ctx;
	return sp_lb_stop(l->lb);
}

static void op_free(void *ctx)
{
	struct local *l = ctx;
	if (!l)
		return;
	sp_docker_close(l->docker);
	sp_lb_close(l->lb);
	free(l->data_dir);
	free(l->envs_dir);
	free(l->instances_dir);
	free(l->lb_dir);
	free(l);
}

static int op_apply(void *ctx, const struct sp_driver_spec *spec, struct sp_diags *d);
static int op_observe(void *ctx, const char *environment, json_t **out);
static int op_destroy(void *ctx, const char *environment, struct sp_diags *d);

static const struct sp_driver_ops local_ops = {
	.name = "local",
	.check = op_check,
	.apply = op_apply,
	.observe = op_observe,
	.destroy = op_destroy,
	.list = op_list,
	.shutdown = op_shutdown,
	.free = op_free,
};

int sp_driver_local_new(const struct sp_driver_local_options *o, struct sp_driver **out)
{
	struct local *l = NULL;
	struct sp_driver *drv = NULL;
	char hex[SP_SHA256_HEX_LEN + 1];
	int rc;
	if (!o || !o->data_dir || o->data_dir[0] != '/')
		return SP_EINVAL;
	l = calloc(1, sizeof(*l));
	drv = calloc(1, sizeof(*drv));
	if (!l || !drv) {
		rc = SP_ENOMEM;
		goto fail;
	}
	if ((rc = parse_pool(o->address_pool ? o->address_pool : SP_LOCAL_POOL_DEFAULT, &l->pool_first,
			     &l->pool_last)) ||
	    (rc = parse_subnets(o->task_subnets ? o->task_subnets : SP_LOCAL_TASK_SUBNETS_DEFAULT,
				&l->subnet_base, &l->subnet_blocks)))
		goto fail;
	l->data_dir = sp_strdup(o->data_dir);
	l->envs_dir = sp_aprintf("%s/driver/envs", o->data_dir);
	l->instances_dir = sp_aprintf("%s/instances", o->data_dir);
	l->lb_dir = sp_aprintf("%s/lb", o->data_dir);
	if (!l->data_dir || !l->envs_dir || !l->instances_dir || !l->lb_dir) {
		rc = SP_ENOMEM;
		goto fail;
	}
	if (sp_mkdir_p(l->envs_dir, 0700) || sp_mkdir_p(l->instances_dir, 0755)) {
		rc = SP_EIO;
		goto fail;
	}
	if ((rc = sp_sha256_hex(o->data_dir, strlen(o->data_dir), hex)))
		goto fail;
	memcpy(l->owner, hex, 12);
	l->owner[12] = '\0';
	if ((rc = sp_docker_open(o->docker_socket, &l->docker)) ||
	    (rc = sp_lb_open(l->lb_dir, o->haproxy_bin, &l->lb)))
		goto fail;
	l->on_event = o->on_event;
	l->event_user = o->event_user;
	drv->ops = &local_ops;
	drv->ctx = l;
	*out = drv;
	return 0;
fail:
	op_free(l);
	free(drv);
	return rc;
}

/* ---- apply ---- */

static void derr(struct sp_diags *d, const char *code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void derr(struct sp_diags *d, const char *code, const char *hint, const char *fmt, ...)
{
	va_list ap;
	struct sp_loc loc = { NULL, 0, 0, "" };
	va_start(ap, fmt);
	sp_diag_vadd(d, SP_SEV_ERROR, code, loc, hint, fmt, ap);
	va_end(ap);
}

static int spec_hash(const json_t *taskdef, const struct sp_driver_plan *p, const char *version,
		     char out[SP_SHA256_HEX_LEN + 1])
{
	json_t *all = json_pack("{s:O, s:O, s:s, s:b, s:b}", "taskDefinition", taskdef, "properties",
				p->properties, "version", version ? version : "", "privileged",
				p->allow_privileged, "hostPaths", p->allow_host_paths);
	/* only when set, so that tasks made before the option existed stay current */
	if (all && p->shared_bridge)
		json_object_set_new(all, "sharedBridge", json_true());
	char *s = all ? json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = s ? sp_sha256_hex(s, strlen(s), out) : SP_ENOMEM;
	free(s);
	json_decref(all);
	return rc;
}

static json_t *lb_doc(const struct sp_driver_plan *p, const char *address)
{
	json_t *ls = json_array();
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sp_driver_listener *x = &p->listeners[i];
		json_array_append_new(ls, json_pack("{s:i, s:s, s:i, s:s}", "port", x->port, "protocol",
						    x->protocol == SP_DRIVER_TCP ? "TCP" : "HTTP",
						    "instancePort", x->instance_port, "instanceProtocol",
						    x->instance_protocol == SP_DRIVER_TCP ? "TCP" : "HTTP"));
	}
	return json_pack("{s:s, s:o, s:{s:s, s:i, s:i, s:i, s:i}}", "address", address, "listeners", ls,
			 "healthCheck", "target", p->health_target, "interval", p->health_interval,
			 "timeout", p->health_timeout, "healthyThreshold", p->healthy_threshold,
			 "unhealthyThreshold", p->unhealthy_threshold);
}

/* A TCP connection to addr:port is accepted within timeout_ms (the load balancer's TCP
 * check, run once). */
static bool port_accepts(const char *addr, int port, int timeout_ms)
{
	struct sp_lb_health h = { .protocol = SP_LB_TCP, .port = port };
	return sp_lb_probe(&h, addr, timeout_ms) == 0;
}

/* What a new task must answer on before it takes traffic: the listeners' instance ports
 * (load balanced) that some container publishes, or every fixed hostPort; with the
 * publishing container and its containerPort. */
struct ready_port {
	int host_port, container_port;
	const char *container;
};

static size_t ready_ports(const json_t *taskdef, const struct sp_driver_plan *p, struct ready_port *ports,
			  size_t max)
{
	size_t n = 0, i, j;
	json_t *c, *m;
	json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, c) {
		json_array_foreach(json_object_get(c, "portMappings"), j, m) {
			int hp = (int)json_integer_value(json_object_get(m, "hostPort"));
			const char *proto = sget(m, "protocol");
			if (hp <= 0 || (proto && strcmp(proto, "tcp")) || n == max)
				continue;
			bool wanted = !p->load_balanced;
			for (size_t k = 0; k < p->n_listeners; k++)
				if (p->listeners[k].instance_port == hp)
					wanted = true;
			if (wanted)
				ports[n++] = (struct ready_port){ hp,
					(int)json_integer_value(json_object_get(m, "containerPort")), sget(c, "name") };
		}
	}
	return n;
}

/* The port answers on the instance's address (Docker's proxy) and, when the container's
 * address on the task network is known, the app itself listens there: the proxy accepts
 * as soon as the container starts, before the app does. */
static bool task_answers(const json_t *inst, const struct ready_port *rp)
{
	const char *ip = NULL;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(inst, "task"), "containers"), i, c)
		if (sget(c, "name") && rp->container && !strcmp(sget(c, "name"), rp->container))
			ip = sget(c, "ip");
	if (ip && rp->container_port > 0 && !port_accepts(ip, rp->container_port, 100))
		return false;
	return port_accepts(sget(inst, "address"), rp->host_port, 1000);
}

/* Waits until every essential container of every new task runs and the ports accept.
 * A task whose essential container stops meanwhile is STOPPED (with its cause). */
static int wait_ready(struct local *l, const char *env, json_t *st, const json_t *taskdef,
		      const struct sp_driver_plan *p, json_t *fresh, struct sp_diags *d)
{
	struct ready_port ports[64];
	size_t np = ready_ports(taskdef, p, ports, 64);
	long deadline = local_now_ms() + (long)p->start_timeout_s * 1000;
	size_t i;
	json_t *inst;
	int rc = 0;
	for (;;) {
		bool pending = false;
		json_array_foreach(json_object_get(st, "instances"), i, inst) {
			json_t *task = json_object_get(inst, "task");
			if (!task || !json_object_get(fresh, sget(inst, "id")) ||
			    strcmp(sget(task, "state"), "PENDING"))
				continue;
			bool stopped = false;
			(void)local_task_observe(l, env, inst, &stopped, NULL);
			if (stopped) {
				derr(d, "DRIVER_TASK_STOPPED", "see the events for the container's last log lines",
				     "[Instance: %s] %s", sget(inst, "id"), sget(task, "stoppedReason"));
				rc = SP_ERROR;
				continue;
			}
			bool ok = true;
			for (size_t k = 0; k < np && ok; k++)
				ok = task_answers(inst, &ports[k]);
			if (ok) {
				json_object_set_new(task, "state", json_string("RUNNING"));
				json_object_set_new(inst, "inService", json_true());
				local_emit(l, SP_DRIVER_INFO, env, sget(inst, "id"), sget(task, "id"), NULL, NULL,
					   "[Instance: %s] Task %s is running (version %s).", sget(inst, "id"),
					   sget(task, "id"), sget(task, "version"));
			} else {
				pending = true;
			}
		}
		if (!pending)
			return rc;
		if (local_now_ms() >= deadline)
			break;
		local_sleep_ms(50);
	}
	json_array_foreach(json_object_get(st, "instances"), i, inst) {
		json_t *task = json_object_get(inst, "task");
		if (task && json_object_get(fresh, sget(inst, "id")) && !strcmp(sget(task, "state"), "PENDING"))
			derr(d, "DRIVER_TASK_TIMEOUT", "raise startTimeout, or check that the container listens "
			     "on the instance port",
			     "[Instance: %s] task %s did not answer on its instance ports within %d s",
			     sget(inst, "id"), sget(task, "id"), p->start_timeout_s);
	}
	return SP_ERROR;
}

static bool task_current(const json_t *inst, const char *hash)
{
	const json_t *task = json_object_get(inst, "task");
	if (!task)
		return false;
	const char *state = sget(task, "state");
	const char *h = sget(task, "hash");
	return state && strcmp(state, "STOPPED") && h && !strcmp(h, hash);
}

static bool batch_lists(const char *const *v, size_t n, const char *id)
{
	for (size_t k = 0; id && k < n; k++)
		if (v[k] && !strcmp(v[k], id))
			return true;
	return false;
}

/* A batch of a deployment policy (not only activation callbacks): replaced tasks are
 * drained first. */
static bool batch_is_policy(const struct sp_driver_batch *b)
{
	return b && (b->restrict_tasks || b->n_only_instances || b->n_remove_instances);
}

/* A new task that passes the health check when the driver runs it itself (the same
 * request and verdict as HAProxy's check) is put UP at once in every backend, instead of
 * after `healthyThreshold` checks `interval` apart; HAProxy's checks go on from there, so
 * a task that stops answering still goes DOWN. One that does not pass is left to them. */
static void force_up_fresh(struct local *l, const json_t *st, const struct sp_driver_plan *p,
			   const json_t *fresh)
{
	struct sp_lb_health h;
	size_t i;
	json_t *inst;
	memset(&h, 0, sizeof(h));
	if (!json_object_size(fresh) || sp_lb_parse_target(p->health_target, &h))
		return;
	json_array_foreach(json_object_get(st, "instances"), i, inst) {
		json_t *task = json_object_get(inst, "task");
		if (!task || !json_object_get(fresh, sget(inst, "id")) ||
		    strcmp(sget(task, "state"), "RUNNING") || json_is_true(json_object_get(inst, "leaving")))
			continue;
		if (sp_lb_probe(&h, sget(inst, "address"), (p->health_timeout > 0 ? p->health_timeout : 5) * 1000))
			continue;
		(void)local_lb_force_up(l, st, sget(inst, "id"));
	}
}

/* One instance's new task, run in parallel with the others (local_parallel). The new
 * task is made (network, volumes, containers created) and the version's files staged
 * while the old task still serves; a failure there keeps the old task. Then the instance
 * leaves rotation and is drained (policy batches), the old task stops, the files are
 * swapped in and the new task starts. The stopped old task is handed back (j->old) to be
 * retired: its containers are removed after the deployment (retired_sweep), as the ECS
 * agent cleans stopped tasks up later. Touches only its instance's state object. */
struct start_job {
	json_t *inst;
	const json_t *st;
	const struct task_input *in;
	char *source_dir; /* where var/app/staging comes from (stage_source), owned */
	bool staged, drain;
	int draining_timeout_s;
	bool files_failed, started;
	json_t *old;
	int rc;
	struct sp_buf err;
};

static void start_job_run(struct local *l, void *arg)
{
	struct start_job *j = arg;
	const char *id = sget(j->inst, "id");
	json_t *task = NULL;
	j->rc = local_task_prepare(l, j->in, j->inst, &task, &j->err);
	if (!j->rc && j->source_dir && !j->staged && stage_files(j->inst, j->source_dir))
		j->files_failed = true;
	if (j->rc || j->files_failed) {
		local_task_discard(l, j->inst, task);
		/* the old task goes on; an instance without one keeps the failure's record */
		if (!json_object_get(j->inst, "task") && task && j->rc)
			json_object_set(j->inst, "task", task);
		json_decref(task);
		return;
	}
	if (j->drain) {
		(void)local_lb_set_instance(l, j->st, id, "drain");
		local_lb_wait_drained(l, j->st, id, j->draining_timeout_s);
	}
	j->old = json_incref(json_object_get(j->inst, "task"));
	if (j->old)
		local_task_stop(l, j->old, NULL);
	if (j->source_dir && swap_files(j->inst)) {
		j->files_failed = true;
		local_task_discard(l, j->inst, task);
		json_decref(task);
		return;
	}
	json_object_set_new(j->inst, "task", task);
	j->started = true;
	j->rc = local_task_run(l, j->in, j->inst, &j->err);
}

/* Where an instance's var/app/staging comes from: the version's files, or, when the batch
 * keeps what is in place (a configuration deployment, a restart) and the instance runs
 * this version already, its own var/app/current, with what earlier hooks wrote there (EB
 * does not unpack the version again for those). NULL: no memory. */
static char *stage_source(const json_t *inst, const struct sp_driver_spec *spec,
			  const struct sp_driver_batch *batch)
{
	const char *v = sget(json_object_get(inst, "task"), "version");
	if (batch && batch->keep_current && v && spec->version_label && !strcmp(v, spec->version_label)) {
		char *cur = sp_aprintf("%s/var/app/current", sget(inst, "root"));
		struct stat sb;
		if (!cur || (stat(cur, &sb) == 0 && S_ISDIR(sb.st_mode)))
			return cur;
		free(cur);
	}
	return sp_strdup(spec->source_dir);
}

/* Stopped tasks of the environment's instances waiting to be removed (st "retired"). */
static void retire_task(json_t *st, const json_t *inst, json_t *task)
{
	json_t *r = json_object_get(st, "retired");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!json_is_array(r)) {
		r = json_array();
		json_object_set_new(st, "retired", r);
	}
	json_array_append_new(r, json_pack("{s:s, s:s, s:O, s:I}", "instance", sget(inst, "id"),
					   "root", sget(inst, "root"), "task", task, "at",
					   (json_int_t)(ts.tv_sec * 1000LL + ts.tv_nsec / 1000000)));
}

static void retired_job_run(struct local *l, void *arg)
{
	json_t *r = arg; /* its "root" is where the task's output is copied */
	local_task_discard(l, r, json_object_get(r, "task"));
}

/* Removes the retired tasks older than min_age_ms, in parallel; true when any was. */
static bool retired_sweep(struct local *l, json_t *st, long min_age_ms)
{
	json_t *r = json_object_get(st, "retired");
	size_t n = json_array_size(r), k = 0, i;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	void **jobs = n ? calloc(n, sizeof(*jobs)) : NULL;
	if (!jobs)
		return false;
	json_t *x;
	json_array_foreach(r, i, x)
		if (now - json_integer_value(json_object_get(x, "at")) >= min_age_ms)
			jobs[k++] = x;
	local_parallel(l, retired_job_run, jobs, k);
	for (i = n; k && i-- > 0;) {
		x = json_array_get(r, i);
		for (size_t m = 0; m < k; m++)
			if (jobs[m] == x) {
				json_array_remove(r, i);
				break;
			}
	}
	free(jobs);
	return k > 0;
}

/* A leaving instance, or one of a destroyed environment, in parallel with the others:
 * drained (when a timeout is given), its task removed, its folder deleted. */
struct remove_job {
	json_t *inst;
	const json_t *st;
	const char *env;
	int draining_timeout_s; /* < 0: no draining */
};

static void remove_job_run(struct local *l, void *arg)
{
	struct remove_job *j = arg;
	if (j->draining_timeout_s >= 0)
		local_lb_wait_drained(l, j->st, sget(j->inst, "id"), j->draining_timeout_s);
	(void)local_task_remove(l, j->env, j->inst);
	(void)sp_rm_rf(sget(j->inst, "root"));
}

/* Removes the instances' tasks and folders in parallel (inst[k] borrowed). */
static void remove_instances(struct local *l, const json_t *st, const char *env, json_t **inst,
			     size_t n, int draining_timeout_s)
{
	struct remove_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	void **jp = calloc(n ? n : 1, sizeof(*jp));
	if (!jobs || !jp) {
		/* no memory for the jobs: one after the other on this thread */
		for (size_t k = 0; k < n; k++) {
			struct remove_job one = { inst[k], st, env, draining_timeout_s };
			remove_job_run(l, &one);
		}
	} else {
		for (size_t k = 0; k < n; k++) {
			jobs[k] = (struct remove_job){ inst[k], st, env, draining_timeout_s };
			jp[k] = &jobs[k];
		}
		local_parallel(l, remove_job_run, jp, n);
	}
	free(jobs);
	free(jp);
}

/* Does a member of `a` (instances or retired entries) hold the task tid? */
static bool holds_task(const json_t *a, const char *tid)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x) {
		const char *id = sget(json_object_get(x, "task"), "id");
		if (tid && id && !strcmp(id, tid))
			return true;
	}
	return false;
}

static bool task_known(const json_t *st, const char *tid)
{
	return holds_task(json_object_get(st, "instances"), tid) ||
	       holds_task(json_object_get(st, "retired"), tid);
}

/* Containers and networks of the environment whose task the state does not know (an
 * engine stopped between making a task and recording it) are removed. */
static void stray_sweep(struct local *l, const json_t *st)
{
	char le[96], lo[64];
	json_t *list = NULL, *x;
	size_t i;
	snprintf(le, sizeof(le), "sprout.env=%s", sget(st, "environment"));
	snprintf(lo, sizeof(lo), "sprout.owner=%s", l->owner);
	const char *labels[] = { le, lo };
	if (sp_docker_container_list(l->docker, labels, 2, &list) == 0)
		json_array_foreach(list, i, x) {
			const char *tid = sget(json_object_get(x, "Labels"), "sprout.task");
			if (tid && !task_known(st, tid))
				(void)sp_docker_container_remove(l->docker, sget(x, "Id"), true, true);
		}
	json_decref(list);
	list = NULL;
	if (sp_docker_network_list(l->docker, labels, 2, &list) == 0)
		json_array_foreach(list, i, x) {
			const char *tid = sget(json_object_get(x, "Labels"), "sprout.task");
			if (tid && !task_known(st, tid))
				(void)sp_docker_network_remove(l->docker, sget(x, "Id"));
		}
	json_decref(list);
}

/* apply(), optionally limited to a batch (sp_driver_local_apply_batch, local.h). */
static int apply_batch(struct local *l, const struct sp_driver_spec *spec,
		       const struct sp_driver_batch *batch, struct sp_diags *d)
{
	struct sp_driver_plan plan;
	bool have_plan = false;
	json_t *taskdef = NULL, *st = NULL, *taken = json_object(), *fresh = json_object();
	json_t *kept = json_object(); /* instances staged in place (stage_source) */
	struct sp_buf err = SP_BUF_INIT(8192);
	char hash[SP_SHA256_HEX_LEN + 1];
	const char *env = spec->environment;
	size_t i;
	json_t *inst;
	int rc;

	if (!sp_driver_env_name_valid(env)) {
		derr(d, "DRIVER_ENV_NAME", "use 4-40 letters, digits and hyphens",
		     "\"%s\" is not a valid environment name", env ? env : "");
		rc = SP_ERROR;
		goto out;
	}
	rc = sp_driver_plan_parse(spec->plan, &plan, d);
	have_plan = rc == 0;
	int rc2 = sp_driver_taskdef_parse(spec->task_definition, &taskdef, d);
	if (rc || rc2) {
		rc = SP_ERROR;
		goto out;
	}
	if ((rc = sp_docker_check(l->docker, NULL, &err))) {
		derr(d, "DRIVER_DOCKER_UNAVAILABLE", NULL, "%s", sp_buf_cstr(&err));
		rc = SP_ERROR;
		goto out;
	}
	if (plan.load_balanced && (rc = sp_lb_check(l->lb, &err))) {
		derr(d, "DRIVER_HAPROXY_UNAVAILABLE", NULL, "%s", sp_buf_cstr(&err));
		rc = SP_ERROR;
		goto out;
	}
	if ((rc = spec_hash(taskdef, &plan, spec->version_label, hash)))
		goto out;
	if ((rc = local_images_ensure(l, taskdef, spec->auths, spec->n_auths, &err))) {
		derr(d, "DRIVER_IMAGE_PULL_FAILED", "check the image name, the registry and its credentials",
		     "%s", sp_buf_cstr(&err));
		local_emit(l, SP_DRIVER_ERROR, env, NULL, NULL, NULL, NULL, "Failed to pull an image: %s",
			   sp_buf_cstr(&err));
		rc = SP_ERROR;
		goto out;
	}

	rc = local_state_load(l, env, &st);
	if (rc == SP_ENOTFOUND) {
		st = json_pack("{s:s, s:[]}", "environment", env, "instances");
		rc = st ? 0 : SP_ENOMEM;
	}
	if (rc)
		goto out;
	json_t *instances = json_object_get(st, "instances");
	(void)retired_sweep(l, st, 0);
	stray_sweep(l, st);
	json_object_set_new(st, "version", json_string(spec->version_label ? spec->version_label : ""));
	json_object_set_new(st, "environmentType",
			    json_string(plan.load_balanced ? "LoadBalanced" : "SingleInstance"));
	json_object_set(st, "taskDefinition", taskdef);

	/* The load balancer's address and listeners. */
	if (plan.load_balanced) {
		const char *addr = sget(json_object_get(st, "loadBalancer"), "address");
		char a[INET_ADDRSTRLEN];
		if (!addr) {
			if ((rc = allocate_address(l, taken, a))) {
				derr(d, "DRIVER_ADDRESS_POOL_EXHAUSTED", "free addresses by terminating environments",
				     "no free address is left in the pool");
				goto save;
			}
			addr = a;
		}
		json_object_set_new(st, "loadBalancer", lb_doc(&plan, addr));
	} else {
		json_object_del(st, "loadBalancer");
	}

	/* Scale out. */
	size_t active = 0;
	json_array_foreach(instances, i, inst)
		if (!json_is_true(json_object_get(inst, "leaving")))
			active++;
	while (active < (size_t)plan.instances) {
		json_t *ni = NULL;
		if ((rc = instance_new(l, taken, &ni))) {
			derr(d, "DRIVER_ADDRESS_POOL_EXHAUSTED", NULL, "cannot add an instance: %s", sp_strerror(rc));
			goto save;
		}
		json_array_append_new(instances, ni);
		active++;
		local_emit(l, SP_DRIVER_INFO, env, sget(ni, "id"), NULL, NULL, NULL,
			   "Added instance '%s' (%s) to the environment.", sget(ni, "id"), sget(ni, "address"));
	}
	/* Scale in: the instances the batch names leave first, then the newest beyond the
	 * count. */
	json_array_foreach(instances, i, inst)
		if (batch && batch_lists(batch->remove_instances, batch->n_remove_instances,
					 sget(inst, "id")))
			json_object_set_new(inst, "leaving", json_true());
	size_t seen = 0;
	json_array_foreach(instances, i, inst) {
		if (json_is_true(json_object_get(inst, "leaving")))
			continue;
		if (++seen > (size_t)plan.instances)
			json_object_set_new(inst, "leaving", json_true());
	}
	if ((rc = local_state_save(l, env, st)))
		goto out;

	/* One task per instance, replaced when stopped or out of date (AllAtOnce). The
	 * version is staged and the deployment hooks run here, on the calling thread, while
	 * the old tasks still serve (a failure keeps that task); then the instances' tasks
	 * are replaced in parallel (start_job_run), and their outcome reported in order. */
	bool failed = false;
	struct task_input in = { env, spec->version_label, hash, taskdef, &plan, spec->auths, spec->n_auths };
	size_t njobs = 0, cap = json_array_size(instances);
	struct start_job *jobs = calloc(cap ? cap : 1, sizeof(*jobs));
	void **jp = calloc(cap ? cap : 1, sizeof(*jp));
	if (!jobs || !jp) {
		free(jobs);
		free(jp);
		rc = SP_ENOMEM;
		goto save;
	}
	json_array_foreach(instances, i, inst) {
		if (json_is_true(json_object_get(inst, "leaving")) || task_current(inst, hash))
			continue;
		if (batch && batch->restrict_tasks && json_object_get(inst, "task") &&
		    !batch_lists(batch->only_instances, batch->n_only_instances, sget(inst, "id")))
			continue;
		bool staged = false;
		char *src = spec->source_dir ? stage_source(inst, spec, batch) : NULL;
		bool in_place = src && strcmp(src, spec->source_dir) != 0;
		if (in_place)
			json_object_set_new(kept, sget(inst, "id"), json_true());
		if (spec->source_dir && !src) {
			rc = SP_ENOMEM;
			failed = true;
			continue;
		}
		if (src && batch && batch->before_activate) {
			if ((rc = stage_files(inst, src))) {
				free(src);
				derr(d, "DRIVER_FILES", NULL, "[Instance: %s] cannot stage the version's files",
				     sget(inst, "id"));
				failed = true;
				continue;
			}
			sp_buf_reset(&err);
			if (batch->before_activate(batch->activate_user, sget(inst, "id"), sget(inst, "root"),
						   in_place, &err)) {
				derr(d, "DRIVER_HOOK_FAILED", "see the events and var/log/eb-hooks.log",
				     "[Instance: %s] %s", sget(inst, "id"), sp_buf_cstr(&err));
				failed = true;
				free(src);
				continue;
			}
			staged = true;
		}
		json_t *old = json_object_get(inst, "task");
		struct start_job *j = &jobs[njobs];
		j->inst = inst;
		j->st = st;
		j->in = &in;
		j->source_dir = src; /* owned by the job */
		j->staged = staged;
		/* A batch deployment takes the instance out of rotation first. */
		j->drain = batch_is_policy(batch) && plan.load_balanced && old &&
			   !strcmp(sget(old, "state"), "RUNNING");
		j->draining_timeout_s = plan.draining_timeout_s;
		sp_buf_init(&j->err, 8192);
		jp[njobs++] = j;
		if (old)
			local_emit(l, SP_DRIVER_INFO, env, sget(inst, "id"), NULL, NULL, NULL,
				   "[Instance: %s] Replacing task %s.", sget(inst, "id"), sget(old, "id"));
	}
	local_parallel(l, start_job_run, jp, njobs);
	for (size_t k = 0; k < njobs; k++) {
		struct start_job *j = &jobs[k];
		const char *id = sget(j->inst, "id");
		if (j->files_failed) {
			derr(d, "DRIVER_FILES", NULL, "[Instance: %s] cannot put the version's files in place", id);
			failed = true;
		}
		if (j->started)
			json_object_set_new(fresh, id, json_true());
		if (j->old)
			retire_task(st, j->inst, j->old);
		json_decref(j->old);
		free(j->source_dir);
		if (j->rc) {
			derr(d, "DRIVER_TASK_START_FAILED", NULL, "[Instance: %s] %s", id, sp_buf_cstr(&j->err));
			local_emit(l, SP_DRIVER_ERROR, env, id, NULL, NULL, NULL,
				   "[Instance: %s] Task failed to start: %s", id, sp_buf_cstr(&j->err));
			failed = true;
		}
		sp_buf_free(&j->err);
	}
	free(jobs);
	free(jp);
	(void)local_state_save(l, env, st);
	if (json_object_size(fresh) && wait_ready(l, env, st, taskdef, &plan, fresh, d))
		failed = true;
	(void)local_state_save(l, env, st);
	if (spec->source_dir && batch && batch->after_activate)
		json_array_foreach(instances, i, inst) {
			json_t *task = json_object_get(inst, "task");
			if (!task || !json_object_get(fresh, sget(inst, "id")) ||
			    strcmp(sget(task, "state"), "RUNNING"))
				continue;
			sp_buf_reset(&err);
			if (batch->after_activate(batch->activate_user, sget(inst, "id"), sget(inst, "root"),
						  json_is_true(json_object_get(kept, sget(inst, "id"))), &err)) {
				derr(d, "DRIVER_HOOK_FAILED", "see the events and var/log/eb-hooks.log",
				     "[Instance: %s] %s", sget(inst, "id"), sp_buf_cstr(&err));
				failed = true;
			}
		}

	/* Leaving instances: out of rotation, drained, then removed. */
	bool any_leaving = false;
	json_array_foreach(instances, i, inst)
		if (json_is_true(json_object_get(inst, "leaving"))) {
			any_leaving = true;
			(void)local_lb_set_instance(l, st, sget(inst, "id"), "drain");
		}
	if (any_leaving) {
		/* drained, then their tasks and folders removed, all of them in parallel */
		json_t **lv = calloc(json_array_size(instances) + 1, sizeof(*lv));
		size_t nlv = 0;
		json_array_foreach(instances, i, inst)
			if (lv && json_is_true(json_object_get(inst, "leaving")))
				lv[nlv++] = inst;
		remove_instances(l, st, env, lv, nlv, plan.draining_timeout_s);
		for (i = json_array_size(instances); i-- > 0;) {
			inst = json_array_get(instances, i);
			if (!json_is_true(json_object_get(inst, "leaving")))
				continue;
			if (!lv) { /* no memory for the list: one after the other here */
				local_lb_wait_drained(l, st, sget(inst, "id"), plan.draining_timeout_s);
				(void)local_task_remove(l, env, inst);
				(void)sp_rm_rf(sget(inst, "root"));
			}
			local_emit(l, SP_DRIVER_INFO, env, sget(inst, "id"), NULL, NULL, NULL,
				   "Removed instance '%s' from the environment.", sget(inst, "id"));
			json_array_remove(instances, i);
		}
		free(lv);
		(void)local_state_save(l, env, st);
	}

	/* The load balancer follows (a reload that drops no connection). */
	sp_buf_reset(&err);
	if ((rc = local_lb_sync(l, &err))) {
		derr(d, "DRIVER_LB_FAILED", NULL, "%s", sp_buf_cstr(&err));
		failed = true;
	} else if (plan.load_balanced) {
		json_array_foreach(instances, i, inst) {
			json_t *task = json_object_get(inst, "task");
			if (task && !strcmp(sget(task, "state"), "RUNNING"))
				(void)local_lb_set_instance(l, st, sget(inst, "id"), "ready");
		}
		force_up_fresh(l, st, &plan, fresh);
	}
	rc = failed ? SP_ERROR : 0;
save:
	{
		int s = local_state_save(l, env, st);
		if (!rc)
			rc = s;
	}
out:
	if (have_plan)
		sp_driver_plan_free(&plan);
	json_decref(taskdef);
	json_decref(st);
	json_decref(taken);
	json_decref(fresh);
	json_decref(kept);
	sp_buf_free(&err);
	return rc;
}

static int op_apply(void *ctx, const struct sp_driver_spec *spec, struct sp_diags *d)
{
	return apply_batch(ctx, spec, NULL, d);
}

int sp_driver_local_apply_batch(struct sp_driver *drv, const struct sp_driver_spec *spec,
				const struct sp_driver_batch *batch, struct sp_diags *d)
{
	if (!drv || drv->ops != &local_ops)
		return drv ? sp_driver_apply(drv, spec, d) : SP_EINVAL;
	return apply_batch(drv->ctx, spec, batch, d);
}

/* ---- observe ---- */

static const char *instance_health(const json_t *task, const json_t *lbh, bool load_balanced)
{
	const char *state = task ? sget(task, "state") : NULL;
	if (!state || !strcmp(state, "PENDING"))
		return "Grey";
	if (!strcmp(state, "STOPPED"))
		return "Red";
	if (!load_balanced)
		return "Green";
	const char *s = sget(lbh, "status");
	if (!s)
		return "Grey";
	if (!strncmp(s, "UP", 2) && !strchr(s, '/'))
		return "Green";
	if (strchr(s, '/') || !strncmp(s, "DRAIN", 5))
		return "Yellow";
	return "Red";
}

static int op_observe(void *ctx, const char *env, json_t **out)
{
	struct local *l = ctx;
	json_t *st = NULL, *lbh = NULL, *obs = NULL, *insts = json_array();
	size_t i;
	json_t *inst;
	int rc;
	if (!sp_driver_env_name_valid(env)) {
		json_decref(insts);
		return SP_EINVAL;
	}
	if ((rc = local_state_load(l, env, &st))) {
		json_decref(insts);
		return rc;
	}
	bool lb = json_is_object(json_object_get(st, "loadBalancer"));
	json_array_foreach(json_object_get(st, "instances"), i, inst) {
		bool stopped = false;
		json_t *containers = NULL;
		(void)local_task_observe(l, env, inst, &stopped, &containers);
		if (stopped && lb)
			(void)local_lb_set_instance(l, st, sget(inst, "id"), "maint");
		json_t *task = json_object_get(inst, "task");
		json_t *t = json_null();
		if (task) {
			t = json_pack("{s:s, s:s, s:s, s:o}", "id", sget(task, "id"), "state", sget(task, "state"),
				      "version", sget(task, "version") ? sget(task, "version") : "",
				      "containers", containers ? json_incref(containers) : json_array());
			if (sget(task, "stoppedReason"))
				json_object_set(t, "stoppedReason", json_object_get(task, "stoppedReason"));
			if (json_object_get(task, "stoppedCause"))
				json_object_set(t, "stoppedCause", json_object_get(task, "stoppedCause"));
		}
		json_decref(containers);
		json_array_append_new(insts, json_pack("{s:s, s:s, s:s, s:b, s:o}", "id", sget(inst, "id"),
						       "address", sget(inst, "address"), "root", sget(inst, "root"),
						       "leaving", json_is_true(json_object_get(inst, "leaving")),
						       "task", t));
	}
	(void)retired_sweep(l, st, LOCAL_RETIRE_AFTER_MS);
	(void)local_state_save(l, env, st);
	if (lb)
		(void)local_lb_health(l, st, &lbh);
	json_array_foreach(insts, i, inst) {
		json_t *h = lbh ? json_object_get(lbh, sget(inst, "id")) : NULL;
		json_t *task = json_object_get(inst, "task");
		json_object_set_new(inst, "health", json_string(instance_health(json_is_object(task) ? task : NULL,
										h, lb)));
		if (h)
			json_object_set(inst, "loadBalancer", h);
	}
	obs = json_pack("{s:s, s:s, s:s, s:o}", "environment", env, "version",
			sget(st, "version") ? sget(st, "version") : "", "environmentType",
			lb ? "LoadBalanced" : "SingleInstance", "instances", insts);
	insts = NULL;
	if (lb) {
		json_t *l2 = json_deep_copy(json_object_get(st, "loadBalancer"));
		const char *addr = sget(l2, "address");
		json_t *x;
		size_t k;
		json_array_foreach(json_object_get(l2, "listeners"), k, x) {
			char *url = sp_aprintf("%s://%s:%lld/",
					       !strcmp(sget(x, "protocol"), "TCP") ? "tcp" : "http", addr,
					       (long long)json_integer_value(json_object_get(x, "port")));
			json_object_set_new(x, "url", json_string(url ? url : ""));
			free(url);
		}
		json_t *first = json_array_get(json_object_get(l2, "listeners"), 0);
		json_object_set(obs, "url", first ? json_object_get(first, "url") : json_null());
		json_object_set_new(obs, "loadBalancer", l2);
	} else {
		json_t *first = json_array_get(json_object_get(obs, "instances"), 0);
		char *url = first ? sp_aprintf("http://%s/", sget(first, "address")) : NULL;
		json_object_set_new(obs, "url", url ? json_string(url) : json_null());
		json_object_set_new(obs, "loadBalancer", json_null());
		free(url);
	}
	json_decref(lbh);
	json_decref(st);
	if (!obs)
		return SP_ENOMEM;
	*out = obs;
	return 0;
}

/* ---- destroy ---- */

static int op_destroy(void *ctx, const char *env, struct sp_diags *d)
{
	struct local *l = ctx;
	json_t *st = NULL, *list = NULL;
	struct sp_buf err = SP_BUF_INIT(8192);
	size_t i;
	json_t *inst;
	int rc;
	if (!sp_driver_env_name_valid(env))
		return SP_EINVAL;
	rc = local_state_load(l, env, &st);
	if (rc && rc != SP_ENOTFOUND)
		return rc;
	if (st) {
		/* Out of the load balancer first: remove the site (a graceful reload). */
		json_object_del(st, "loadBalancer");
		json_array_foreach(json_object_get(st, "instances"), i, inst)
			json_object_set_new(inst, "leaving", json_true());
		(void)local_state_save(l, env, st);
		if (local_lb_sync(l, &err))
			derr(d, "DRIVER_LB_FAILED", NULL, "%s", sp_buf_cstr(&err));
		/* the tasks and folders of all instances in parallel */
		json_t *insts = json_object_get(st, "instances");
		json_t **all = calloc(json_array_size(insts) + 1, sizeof(*all));
		size_t nall = 0;
		json_array_foreach(insts, i, inst)
			if (all)
				all[nall++] = inst;
		remove_instances(l, st, env, all, nall, -1);
		free(all);
		json_array_foreach(insts, i, inst) {
			(void)local_task_remove(l, env, inst); /* nothing left unless all was NULL */
			(void)sp_rm_rf(sget(inst, "root"));
			local_emit(l, SP_DRIVER_INFO, env, sget(inst, "id"), NULL, NULL, NULL,
				   "Terminated instance '%s'.", sget(inst, "id"));
		}
	}
	/* Anything else of the environment that carries its labels. */
	char le[96], lo[64];
	snprintf(le, sizeof(le), "sprout.env=%s", env);
	snprintf(lo, sizeof(lo), "sprout.owner=%s", l->owner);
	const char *labels[] = { le, lo };
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
	if (sp_docker_volume_list(l->docker, labels, 2, &list) == 0)
		json_array_foreach(list, i, x)
			(void)sp_docker_volume_remove(l->docker, sget(x, "Name"));
	json_decref(list);
	rc = local_state_remove(l, env);
	if (st)
		local_emit(l, SP_DRIVER_INFO, env, NULL, NULL, NULL, NULL,
			   "terminateEnvironment completed successfully.");
	json_decref(st);
	sp_buf_free(&err);
	return rc;
}
