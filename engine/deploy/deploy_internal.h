/* deploy_internal.h — what deploy.c (the worker), reconcile.c and drivers.c share. */
#ifndef SPROUT_DEPLOY_INTERNAL_H
#define SPROUT_DEPLOY_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "engine/deploy/deploy.h"
#include "engine/driver/driver.h"
#include "engine/driver/local/local.h"
#include "engine/store/store_env.h"

#define MAX_AWS_DRIVERS 32   /* environments on the aws driver at once */
#define MAX_BACKOFF_ENVS 256 /* environments the reconciler tracks */

/* Where driver events go while a call is running (set under drv_mu). */
struct sink {
	struct sp_store *st;
	const char *app, *version, *request_id;
};

struct backoff {
	char env[SP_MAX_ENV_NAME + 1];
	int64_t next_ms, delay_ms;
	int attempts;
	char health[8];
};

struct aws_entry {
	char env[SP_MAX_ENV_NAME + 1];
	struct sp_driver *drv;
};

struct sp_deployer {
	struct sp_deployer_config cfg;
	char *data_dir, *db_path, *bundles_dir, *versions_dir, *pool, *subnets, *socket;
	struct sp_driver *local;
	struct aws_entry aws[MAX_AWS_DRIVERS];
	size_t n_aws;
	pthread_mutex_t drv_mu; /* every driver call, and sink */
	struct sink *sink;
	pthread_mutex_t mu;     /* stopping, wake */
	pthread_cond_t cv;
	bool stopping, woken;
	pthread_t worker, reconciler;
	bool worker_started, reconciler_started;
	struct backoff backoff[MAX_BACKOFF_ENVS]; /* reconciler thread only */
	size_t n_backoff;
	pthread_mutex_t health_mu; /* the health last announced per environment */
	struct announced {
		char env[SP_MAX_ENV_NAME + 1];
		char health[8];
	} announced[MAX_BACKOFF_ENVS];
	size_t n_announced;
};

void deploy_log(struct sp_deployer *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void deploy_changed(struct sp_deployer *d);
/* Sleeps up to ms unless stopping (true when stopping). */
bool deploy_sleep(struct sp_deployer *d, int64_t ms);
bool deploy_stopping(struct sp_deployer *d);

/* drivers.c: the driver of an environment (the local one, or its aws one, made from
 * sprout:driver Region/Profile/Endpoint); NULL with msg when it cannot be made. */
struct sp_driver *deploy_driver_for(struct sp_deployer *d, const struct sp_env *e,
				    struct sp_buf *msg);
void deploy_driver_forget(struct sp_deployer *d, const char *env);
/* Driver calls under drv_mu with events going to sink. */
int deploy_apply(struct sp_deployer *d, struct sink *s, struct sp_driver *drv,
		 const struct sp_driver_spec *spec, const struct sp_driver_batch *batch,
		 struct sp_diags *diags);
int deploy_observe(struct sp_deployer *d, struct sink *s, struct sp_driver *drv,
		   const char *env, json_t **out);
int deploy_destroy(struct sp_deployer *d, struct sink *s, struct sp_driver *drv,
		   const char *env, struct sp_diags *diags);
void deploy_driver_event(void *user, const struct sp_driver_event *ev);
/* Records an observation: instances, health, causes, observation JSON; adds a health
 * transition event. */
int deploy_record(struct sp_deployer *d, struct sp_store *st, const struct sp_env *e,
		  const json_t *obs, char **health_out);

/* The worker and the reconciler threads. */
void *deploy_worker_main(void *arg);
void *deploy_reconciler_main(void *arg);

#endif
