/* local_internal.h — shared between the local driver's files; not a public header. */
#ifndef SPROUT_DRIVER_LOCAL_INTERNAL_H
#define SPROUT_DRIVER_LOCAL_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "engine/docker/docker.h"
#include "engine/driver/driver.h"
#include "engine/driver/local/local.h"
#include "engine/lb/lb.h"

struct local {
	char *data_dir, *envs_dir, *instances_dir, *lb_dir;
	char owner[13];
	uint32_t pool_first, pool_last;
	uint32_t subnet_base, subnet_blocks; /* task networks: /28 blocks from base; 0: Docker's */
	struct sp_docker *docker;
	struct sp_lb *lb;
	sp_driver_event_fn on_event;
	void *event_user;
};

void local_emit(struct local *l, enum sp_driver_severity sev, const char *env, const char *inst,
		const char *task, const char *container, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* State documents (driver/envs/<env>.json). */
int local_state_load(struct local *l, const char *env, json_t **out);
int local_state_save(struct local *l, const char *env, const json_t *st);
int local_state_remove(struct local *l, const char *env);
int local_state_list(struct local *l, json_t **names);

/* Tasks (local_task.c). `inst` is the instance's state object; its "task" member is
 * (re)written. */
struct task_input {
	const char *env;
	const char *version;
	const char *hash;            /* of task definition + properties + version */
	const json_t *taskdef;
	const struct sp_driver_plan *plan;
	const struct sp_driver_registry_auth *auths;
	size_t n_auths;
};
/* A new task for the instance, made but not started: its network, volumes and every
 * container created (in start order). *task_out (the caller's, even on failure, so that
 * local_task_discard can clean it) is not attached to inst: the instance's current task
 * keeps running meanwhile. */
int local_task_prepare(struct local *l, const struct task_input *in, const json_t *inst,
		       json_t **task_out, struct sp_buf *err);
/* Starts the containers of inst's (prepared) task in order, waiting for dependsOn
 * conditions; a failure makes the task STOPPED with the reason. */
int local_task_run(struct local *l, const struct task_input *in, json_t *inst, struct sp_buf *err);
/* prepare, attach as inst's task, run. */
int local_task_start(struct local *l, const struct task_input *in, json_t *inst, struct sp_buf *err);
/* Stops a task's containers (each with its own stopTimeout) all at once, except that a
 * container stops only after those that dependsOn it (as on ECS); `except` is skipped. */
void local_task_stop(struct local *l, const json_t *task, const json_t *except);
/* Stops and removes everything of `task` (attached to inst or not), its containers'
 * output copied into inst's log folder first. */
void local_task_discard(struct local *l, json_t *inst, const json_t *task);
/* local_task_discard of the instance's task, then the task detached. */
int local_task_remove(struct local *l, const char *env, json_t *inst);
/* Inspects the task's containers. When an essential one stopped: the others are
 * stopped, the task becomes STOPPED with its cause and an ERROR event goes out; a
 * non-essential one stopping is a WARN event (once). Copies new container output into
 * the stdouterr.log files. *stopped_now tells whether the task stopped during this call.
 * *containers (may be NULL) gets the observed containers array. */
int local_task_observe(struct local *l, const char *env, json_t *inst, bool *stopped_now,
		       json_t **containers);
/* Container output since the last copy -> var/log/containers/<name>-<12hex>-stdouterr.log */
int local_task_copy_logs(struct local *l, json_t *inst, json_t *container);
/* Pulls what is missing (images present locally are used as they are). */
int local_images_ensure(struct local *l, const json_t *taskdef,
			const struct sp_driver_registry_auth *auths, size_t n_auths, struct sp_buf *err);

/* Load balancer (local_lb.c). */
int local_lb_sync(struct local *l, struct sp_buf *err);
int local_lb_set_instance(struct local *l, const json_t *st, const char *instance, const char *state);
/* Every backend of the environment: `state ready`, then `health up` (the driver has run
 * the health check itself); HAProxy's regular checks go on from there. */
int local_lb_force_up(struct local *l, const json_t *st, const char *instance);
/* Waits until the instance's servers hold no session or timeout_s passes. */
void local_lb_wait_drained(struct local *l, const json_t *st, const char *instance, int timeout_s);
/* instance id -> {"status": ..., "check": ...} (worst across the env's backends). */
int local_lb_health(struct local *l, const json_t *st, json_t **out);

/* Parallel work (local_par.c): fn(worker, jobs[k]) for every k, on at most
 * min(n, LOCAL_MAX_PARALLEL) threads including the caller's; returns when all are done.
 * `worker` is a copy of l with its own Docker connection and no event callback, so fn
 * must only touch its own job (its instance's state object) and read shared data; events,
 * diagnostics and state saves belong to the caller, after the return. */
#define LOCAL_MAX_PARALLEL 16
/* /28 blocks tried for a task network before giving up (each taken one is a 403 from Docker). */
#define LOCAL_SUBNET_TRIES 64
/* A replaced task is removed by the first observe or apply this long after it stopped. */
#define LOCAL_RETIRE_AFTER_MS 1000
void local_parallel(struct local *l, void (*fn)(struct local *worker, void *job), void **jobs, size_t n);

/* Small helpers. */
int local_random_hex(char *out, size_t nhex);
long local_now_ms(void);
void local_sleep_ms(long ms);

#endif
