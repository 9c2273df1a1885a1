/* store_env.h — environments, their instances and their deployments in the store
 * (schema migrations 3 and 5 of engine/store/store.c). docs/environments.md,
 * docs/deployments.md.
 *
 * The deployments table is also the deployment worker's queue (as the versions table is
 * the processing worker's): every request that changes an environment (launch, deploy,
 * configuration, scale, restart, terminate) is one row in status Pending, taken oldest
 * first by engine/deploy; a row left InProgress by a crash is taken again at the next
 * start (the driver's apply is idempotent). One environment has at most one Pending or
 * InProgress deployment: a second request is refused (SP_EINUSE) until it ends, as EB
 * refuses to update an environment that is not Ready.
 *
 * Names (EB's rules): environment names 4-40 letters, digits and hyphens, not starting or
 * ending with a hyphen, unique per engine; CNAME prefixes 4-63 of the same characters,
 * unique too (a missing prefix is "<name>-<10 random lower-case alphanumerics>").
 *
 * Terminating an environment ends with one transaction (sp_store_env_terminated) that
 * writes a snapshot of it to terminated_environments (migration 5) and removes its row
 * (instances and deployment records with it), so its name and CNAME are free again at
 * once; its events stay. For SP_STORE_TERMINATED_KEEP_MS the snapshot can still be read
 * (sp_store_env_get_terminated, sp_store_env_list_terminated) as an environment in status
 * Terminated, as EB's DescribeEnvironments does with IncludeDeleted; older snapshots are
 * removed by the next terminate. Nothing else can be done to a snapshot.
 *
 * Ownership as store.h: strings in the structs are owned and released by the *_free
 * functions; outputs written only on success. Errors: 0, SP_ENOTFOUND, SP_EEXISTS (name
 * or CNAME taken: *which says "name" or "cname"), SP_EINUSE (an operation is in progress),
 * SP_EINVAL, SP_ENOMEM, SP_EIO.
 */
#ifndef SPROUT_STORE_ENV_H
#define SPROUT_STORE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/store/store.h"

#define SP_MAX_ENV_NAME 40      /* EnvironmentName 4..40 */
#define SP_MIN_ENV_NAME 4
#define SP_MAX_CNAME_PREFIX 63  /* CNAMEPrefix 4..63 */
#define SP_MAX_ENV_OPTIONS 500  /* MAX_ENV_OPTIONS: option settings given at create/update */
#define SP_MAX_OPTION_VALUE 4096
#define SP_MAX_ENV_CAUSES 20
#define SP_STORE_TERMINATED_KEEP_MS (60 * 60 * 1000) /* a terminated environment is described for 1 h */

/* NULL when name is a valid environment name, else what is wrong (static string). */
const char *sp_env_name_problem(const char *name);
/* Same for a CNAME prefix (4..63 letters, digits, hyphens, no edge hyphen). */
const char *sp_cname_prefix_problem(const char *prefix);

enum sp_env_status {
	SP_ENV_LAUNCHING = 0,
	SP_ENV_UPDATING,
	SP_ENV_READY,
	SP_ENV_TERMINATING,
	SP_ENV_TERMINATED,
};
const char *sp_env_status_name(enum sp_env_status s); /* "Launching", ... */

struct sp_env {
	int64_t id;
	char *env_id;            /* "e-" + 10 lower-case alphanumerics */
	char *application;
	char *name;
	char *cname_prefix;
	char *description;
	enum sp_env_status status;
	char *health;            /* Grey, Green, Yellow, Red */
	char *causes;            /* JSON array of strings */
	char *version;           /* the version the instances run (or were last given); may be NULL */
	char *last_good_version; /* the last version that deployed well; may be NULL */
	char *options;           /* JSON array [{namespace, option_name, value}] */
	char *driver;            /* "local", "aws" */
	char *family;            /* task definition family; NULL before the first plan */
	int64_t revision;        /* task definition revision (counted per environment) */
	int64_t instances;       /* desired count set by scale; 0 = the plan's MinSize */
	char *spec_taskdef;      /* the last task definition given to the driver (JSON), or NULL */
	char *spec_plan;         /* the last driver plan (JSON), or NULL */
	char *plan_summary;      /* describe's view of the plan: listeners, rules, cluster (JSON) */
	char *observation;       /* the last observe() (JSON), or NULL */
	bool abort_requested;
	int64_t created_ms, updated_ms;
};
void sp_env_free(struct sp_env *e);
void sp_env_list_free(struct sp_env *e, size_t n);

enum sp_deploy_kind {
	SP_DEPLOY_LAUNCH = 0,  /* createEnvironment */
	SP_DEPLOY_VERSION,     /* updateEnvironment with a version label */
	SP_DEPLOY_CONFIG,      /* updateEnvironment with option settings / scale only */
	SP_DEPLOY_RESTART,     /* restartAppServer: every task replaced */
	SP_DEPLOY_ROLLBACK,    /* the last good version, after a failure (RollbackOnFailure) */
	SP_DEPLOY_TERMINATE,   /* terminateEnvironment */
};
const char *sp_deploy_kind_name(enum sp_deploy_kind k); /* "launch", "deploy", ... */

struct sp_deployment {
	int64_t id;
	int64_t env_row;         /* environments.id */
	char *environment;
	char *application;
	enum sp_deploy_kind kind;
	char *version;           /* the label deployed (NULL: the environment's current one) */
	char *policy;            /* AllAtOnce, Rolling, ... (set when it starts) */
	char *status;            /* Pending, InProgress, Succeeded, Failed, Aborted */
	char *cause;             /* why it failed or was aborted; NULL otherwise */
	char *request_id;
	int64_t created_ms, start_ms, end_ms; /* 0 when not yet */
};
void sp_deployment_free(struct sp_deployment *d);
void sp_deployment_list_free(struct sp_deployment *d, size_t n);

struct sp_env_new {
	const char *application, *name, *cname_prefix, *description;
	const char *version;     /* label of a version of application; may be NULL (sample-less) */
	const char *options;     /* JSON array text; NULL = "[]" */
	const char *driver;      /* NULL = "local" */
};

/* One transaction: the environment (Launching, Grey), its launch deployment (Pending) and
 * the event "createEnvironment is starting.". SP_ENOTFOUND (no application, or no such
 * version: *which "application"/"version"), SP_EEXISTS (*which "name"/"cname"). */
int sp_store_env_insert(struct sp_store *s, const struct sp_env_new *in, const char *request_id,
			const char **which, struct sp_env *out);
int sp_store_env_get(struct sp_store *s, const char *name, struct sp_env *out);
int sp_store_env_get_by_row(struct sp_store *s, int64_t row, struct sp_env *out);
/* Environments (of app, or all when app is NULL) by id, at most SP_STORE_MAX_LIST. */
int sp_store_env_list(struct sp_store *s, const char *app, struct sp_env **out, size_t *n);

/* Queues an operation on a Ready environment: one transaction that checks the status
 * (SP_EINUSE unless Ready; a terminate is accepted in any status but Terminating), sets
 * Updating (or Terminating), stores the new option settings (options, when not NULL) and
 * scale (instances >= 0), queues the deployment and adds the event. version must name a
 * version of the environment's application (SP_ENOTFOUND, *which "version"). */
int sp_store_env_request(struct sp_store *s, const char *name, enum sp_deploy_kind kind,
			 const char *version, const char *options, int64_t instances,
			 const char *request_id, const char **which, struct sp_deployment *out);
/* Asks the running deployment of the environment to stop. SP_EINVAL when no deployment
 * is in progress (EB: not abortable). */
int sp_store_env_abort(struct sp_store *s, const char *name, const char *request_id);

/* The worker's queue: the oldest deployment in Pending or InProgress. SP_ENOTFOUND. */
int sp_store_deploy_next(struct sp_store *s, struct sp_deployment *out);
/* Marks it InProgress with its start time and policy. */
int sp_store_deploy_begin(struct sp_store *s, int64_t id, const char *policy);
/* Ends it: status "Succeeded", "Failed" or "Aborted" with cause (may be NULL). */
int sp_store_deploy_end(struct sp_store *s, int64_t id, const char *status, const char *cause);
/* Queues a rollback deployment of label on the environment (worker side, no status
 * check), keeping it Updating. */
int sp_store_deploy_queue(struct sp_store *s, int64_t env_row, enum sp_deploy_kind kind,
			  const char *version, const char *request_id, int64_t *id);
/* Deployments of an environment, newest first, at most limit (<= SP_STORE_MAX_LIST). */
int sp_store_deployments_list(struct sp_store *s, const char *env, size_t limit,
			      struct sp_deployment **out, size_t *n);

/* What the worker and the reconciler write. Each NULL/negative argument keeps the value.
 * version/last_good are labels of the environment's application. */
struct sp_env_update {
	int status;              /* enum sp_env_status, or -1 */
	const char *health;
	const char *causes;      /* JSON array text */
	const char *version;
	const char *last_good_version;
	const char *family;
	int64_t revision;        /* -1 keeps */
	const char *spec_taskdef, *spec_plan, *plan_summary;
	const char *observation;
	int clear_abort;         /* 1: abort_requested = 0 */
};
#define SP_ENV_UPDATE_NONE { -1, NULL, NULL, NULL, NULL, NULL, -1, NULL, NULL, NULL, NULL, 0 }
int sp_store_env_update(struct sp_store *s, int64_t row, const struct sp_env_update *u);

/* Replaces the environment's instances with the ones observed: ids, addresses, health. */
struct sp_env_instance {
	const char *id, *address, *health, *task_state;
};
int sp_store_env_set_instances(struct sp_store *s, int64_t row, const struct sp_env_instance *v,
			       size_t n);
/* The end of a terminate, in one transaction: a snapshot of environment `row` (id, name,
 * application, CNAME prefix, description, version, driver, task definition family and
 * revision, created time) terminated at now_ms goes to terminated_environments, its row
 * is removed (instances and deployments go with it), and snapshots terminated before
 * now_ms - SP_STORE_TERMINATED_KEEP_MS are removed. now_ms 0 means sp_now_ms() (tests
 * pass other times). SP_ENOTFOUND when there is no such row. */
int sp_store_env_terminated(struct sp_store *s, int64_t row, int64_t now_ms);
/* The newest snapshot of the environment `name` terminated at or after
 * now_ms - SP_STORE_TERMINATED_KEEP_MS (now_ms 0: sp_now_ms()), as a struct sp_env with
 * status SP_ENV_TERMINATED, health "Grey", causes and options "[]", updated_ms the time it
 * was terminated, no last good version, plan, observation or instances; id is the
 * snapshot's row (terminated_environments.id), not an environments row. SP_ENOTFOUND. */
int sp_store_env_get_terminated(struct sp_store *s, const char *name, int64_t now_ms,
				struct sp_env *out);
/* The snapshots (of app, or all when app is NULL) kept at now_ms, newest first, at most
 * SP_STORE_MAX_LIST; each as sp_store_env_get_terminated fills it. */
int sp_store_env_list_terminated(struct sp_store *s, const char *app, int64_t now_ms,
				 struct sp_env **out, size_t *n);

#endif
