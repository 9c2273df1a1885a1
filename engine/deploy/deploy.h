/* deploy.h — deployments and the reconciler: what makes environments run
 * (docs/deployments.md, docs/environments.md).
 *
 * One struct sp_deployer per engine owns the drivers (the local one, made at start; an
 * aws one per environment whose sprout:driver Driver is aws, made on first use), one lock
 * over all driver calls (driver.h wants them serialised), and two threads:
 *
 *  - the deployment worker takes queued deployments (engine/store/store_env.h: the
 *    deployments table is the queue) oldest first and runs them: launch, deploy a
 *    version, configuration/scale, restart, rollback, terminate. A deployment checks the
 *    version is PROCESSED (waiting while it is PROCESSING), extracts it once into
 *    <data>/versions/<app>/<label>/, plans it (engine/validate with the environment's
 *    create/update-time option settings, which win over .ebextensions, and the next task
 *    definition revision of the environment), turns the plan into the driver's two
 *    documents (sp_deploy_driver_plan) and applies them with the policy of
 *    aws:elasticbeanstalk:command DeploymentPolicy — AllAtOnce, Rolling,
 *    RollingWithAdditionalBatch (BatchSizeType, BatchSize) or Immutable — each step bounded
 *    by Timeout, with an event at every step carrying the request id. A failure is an
 *    ERROR event with its cause and leaves the environment Ready (health Red); with
 *    sprout:deploy RollbackOnFailure=true the last good version is queued again by itself.
 *  - the reconciler observes every Ready environment every interval, records instances,
 *    health and the observation, replaces stopped tasks (apply again, with a backoff of
 *    5 s doubling to 5 min per environment, each attempt an event), rebuilds what the
 *    driver lost, and at start (and every SP_RECONCILE_SWEEP_EVERY rounds) removes Docker
 *    objects and driver state that carry this engine's labels but belong to no
 *    environment in the store.
 *
 * Library rules: nothing printed (log lines go to cfg->log), nothing global, threads
 * joined by sp_deployer_stop.
 */
#ifndef SPROUT_DEPLOY_H
#define SPROUT_DEPLOY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"

#define SP_RECONCILE_INTERVAL_MS 2000     /* between reconciler rounds */
#define SP_RECONCILE_SWEEP_EVERY 5        /* rounds between orphan sweeps */
#define SP_RECONCILE_BACKOFF_MIN_MS 5000  /* first retry of a failing environment */
#define SP_RECONCILE_BACKOFF_MAX_MS 300000
#define SP_DEPLOY_MAX_CAUSE 2048          /* MAX_DEPLOY_CAUSE bytes kept of a failure */
#define SP_DEPLOY_MAX_INSTANCES 64        /* = SP_DRIVER_MAX_INSTANCES */

struct sp_deployer_config {
	const char *data_dir;      /* absolute: sprout.db, bundles/, versions/, driver state */
	const char *address_pool;  /* local driver's pool; NULL: $SPROUT_ADDRESS_POOL or default */
	const char *task_subnets;  /* local driver's task network range; NULL: $SPROUT_TASK_SUBNETS
				    * or SP_LOCAL_TASK_SUBNETS_DEFAULT */
	const char *docker_socket; /* NULL: $DOCKER_HOST or /var/run/docker.sock */
	int reconcile_interval_ms; /* 0: SP_RECONCILE_INTERVAL_MS */
	void (*log)(void *arg, const char *line);
	void (*on_change)(void *arg); /* events were added (event streams wake) */
	void *arg;
};

struct sp_deployer; /* opaque */

/* Makes the local driver, checks its dependencies (a log line says plainly what is
 * missing and how to install or start it; environments then stay Grey and deployments
 * fail with that cause, nothing crashes) and starts both threads. 0, SP_EINVAL, SP_ENOMEM,
 * SP_EIO. */
int sp_deployer_start(const struct sp_deployer_config *cfg, struct sp_deployer **out);
/* New work may be queued. Thread-safe. */
void sp_deployer_wake(struct sp_deployer *d);
/* Stops both threads (a deployment in hand finishes its current step and is taken again
 * at the next start), stops the load balancer and frees everything. NULL is fine. */
void sp_deployer_stop(struct sp_deployer *d);
/* The local driver's check (Docker API, HAProxy); msg says what is missing. */
int sp_deployer_check(struct sp_deployer *d, struct sp_buf *msg);

/* ---- pure helpers (unit-tested) ---- */

struct sp_plan;

/* The driver's plan document (driver.h) of a plan: environment type, instances
 * (`instances` > 0 overrides MinSize; SingleInstance is 1), enabled listeners,
 * health check, the instance group's ingress rules from the load balancer, the
 * environment properties, the sprout:security allowances, draining and start timeouts.
 * Caller decrefs *out. */
int sp_deploy_driver_plan(const struct sp_plan *p, int instances, json_t **out);
/* describe's view of a plan: {"cluster", "taskDefinition": "family:revision",
 * "environmentType", "listeners", "securityGroupRules", "healthCheck", "deployment",
 * "instances": {minSize, maxSize}}. */
int sp_deploy_plan_summary(const struct sp_plan *p, json_t **out);
/* Option settings [{namespace, option_name, value}] as "NAMESPACE:OPTION=VALUE" strings
 * for engine/validate (caller frees with sp_strv_free). SP_EINVAL when it is not such a
 * list. */
int sp_deploy_option_args(const char *options_json, char ***out, size_t *n);
/* Instances per batch: Percentage of n (rounded up, at least 1) or Fixed (at most n). */
int sp_deploy_batch_size(int n, const char *type, int size);
/* The environment's health from an observation: Grey (no instances, or all pending),
 * Green (every instance Green), Red (none Green and some Red), else Yellow; causes
 * (a JSON array of strings) say which instance is not Green and why. Caller frees/decrefs. */
int sp_deploy_health(const json_t *observation, char **health, json_t **causes);
/* Merges settings (a JSON array) into base (a JSON array): a setting with the same
 * namespace and option_name replaces the earlier one; value null removes it. */
int sp_deploy_options_merge(const char *base, const json_t *settings, char **out);

#endif
