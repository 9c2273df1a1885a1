/* local.h — the local driver: the machine's Docker Engine runs the containers, HAProxy
 * is the load balancer, instances are loopback addresses with a root folder each
 * ("The local model" in ../shared/design.md; docs/driver.md).
 *
 * Files under data_dir:
 *   instances/<id>/          an instance's root: var/app/current, var/app/staging,
 *                            var/log/containers/<name> (+ <name>-<12 hex>-stdouterr.log)
 *   lb/                      haproxy.cfg, master.sock, admin.sock, haproxy.pid, server-state
 *   driver/envs/<env>.json   what the driver made for an environment (instances, tasks,
 *                            addresses); rewritten through a temp file and rename
 *
 * Docker objects carry the labels sprout.env, sprout.instance, sprout.task,
 * sprout.version and sprout.owner (the first 12 hex of sha256(data_dir)), so two data
 * dirs sharing one Docker daemon never touch each other's containers.
 */
#ifndef SPROUT_DRIVER_LOCAL_H
#define SPROUT_DRIVER_LOCAL_H

#include "engine/driver/driver.h"

/* Default address pool: 127.0.2.1 - 127.0.254.254 (127.0.0.x holds 127.0.0.1 and
 * 127.0.1.x holds Debian's hostname entry 127.0.1.1; addresses ending in .0 or .255
 * are skipped). Each instance and each load-balanced environment takes one. */
#define SP_LOCAL_POOL_DEFAULT "127.0.2.1-127.0.254.254"

/* Default range the task networks' subnets come from: one /28 each (16 addresses: a task
 * holds at most 10 containers), 4096 of them. Docker's own default pools (172.17-31.x.x,
 * 192.168.x.x) hold about 30 networks, fewer than one per instance needs; this /16 is
 * the one of 172.16.0.0/12 they leave out. "docker" instead uses the daemon's pools. */
#define SP_LOCAL_TASK_SUBNETS_DEFAULT "172.16.0.0/16"

struct sp_driver_local_options {
	const char *data_dir;       /* absolute; created when missing */
	const char *docker_socket;  /* NULL: $DOCKER_HOST or /var/run/docker.sock */
	const char *haproxy_bin;    /* NULL: "haproxy" from PATH */
	const char *address_pool;   /* "FIRST-LAST" (both in 127.0.0.0/8); NULL: default */
	const char *task_subnets;   /* IPv4 "A.B.C.D/N" (N <= 28) or "docker"; NULL: default */
	sp_driver_event_fn on_event;/* may be NULL */
	void *event_user;
};

/* Makes a local driver. Connects to nothing yet (check() does). SP_EINVAL for a relative
 * data_dir, a bad pool or a bad task_subnets. */
int sp_driver_local_new(const struct sp_driver_local_options *o, struct sp_driver **out);

/* Deployment policies (engine/deploy, docs/deployments.md) drive apply() one batch at a
 * time. With restrict_tasks, only the instances named in only_instances get a new task
 * when theirs is out of date or stopped; the others keep theirs (instances that apply()
 * adds always get the spec's task). A running task being replaced in a batch is first
 * taken out of the load balancer and drained (drainingTimeout). remove_instances are the
 * first to leave when the count shrinks, instead of the newest. */
struct sp_driver_batch {
	bool restrict_tasks;
	const char *const *only_instances;
	size_t n_only_instances;
	const char *const *remove_instances;
	size_t n_remove_instances;
	/* Activation callbacks (engine/deploy runs the platform hooks in them; each may be
	 * NULL; a batch with only these set is a plain apply). Called only when
	 * spec->source_dir is set, for each instance that gets a new task, on the thread
	 * calling apply, with strings borrowed for the call:
	 *  - before_activate: after the version was copied into <instance_root>/var/app/staging
	 *    and before the instance's old task is drained and removed, staging is swapped
	 *    into var/app/current and the new task starts. The old task keeps serving while
	 *    it runs. Non-zero: that instance keeps its old task (and old var/app/current),
	 *    apply goes on with the other instances and returns SP_ERROR with a
	 *    DRIVER_HOOK_FAILED diagnostic "[Instance: <id>] <why>".
	 *  - after_activate: after the new task is RUNNING (answers on its instance ports),
	 *    before the load balancer is synced. Non-zero: the same diagnostic; the task
	 *    keeps running (as on EB, a failed postdeploy hook fails the deployment, not the
	 *    application).
	 * `why` (capped) gets one line (or a few) saying what failed. in_place: staging was made
 * from the instance's own var/app/current (keep_current), not from the version's files. */
	int (*before_activate)(void *user, const char *instance_id, const char *instance_root,
			       bool in_place, struct sp_buf *why);
	int (*after_activate)(void *user, const char *instance_id, const char *instance_root,
			      bool in_place, struct sp_buf *why);
	void *activate_user;
	/* The version is in place already (a configuration deployment or a restart): an
	 * instance whose task runs spec->version_label gets var/app/staging from its own
	 * var/app/current, keeping what the application hooks wrote there; the others (new
	 * instances, another version) from spec->source_dir. */
	bool keep_current;
};

/* apply() limited by batch (NULL: the same as sp_driver_apply). A driver that is not the
 * local one gets a plain apply (all at once). */
int sp_driver_local_apply_batch(struct sp_driver *drv, const struct sp_driver_spec *spec,
				const struct sp_driver_batch *batch, struct sp_diags *d);

#endif
