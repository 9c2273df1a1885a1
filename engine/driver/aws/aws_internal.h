/* aws_internal.h — what the AWS driver's files share (not a public API).
 *
 * aws_driver.c  the driver ops, apply/observe/destroy in order, names, events
 * aws_ecs.c     cluster, task definitions, container instances and tasks (JSON 1.1)
 * aws_infra.c   security groups (EC2), the Classic load balancer (ELB), launch
 *               configurations and the Auto Scaling group (Query/XML)
 *
 * Every step returns 0 or a negative code; on an AWS failure it has already added the
 * AWS_* diagnostic (awsd_fail). Changes are counted in run->changes and announced. */
#ifndef SPROUT_DRIVER_AWS_INTERNAL_H
#define SPROUT_DRIVER_AWS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/aws/aws.h"
#include "engine/driver/aws/aws_driver.h"

#define AWSD_NAME_MAX 256

struct awsd {
	struct sp_aws *aws;
	char *image_id, *instance_type, *instance_profile, *key_name, *zones, *vpc_id;
	int delete_wait_s;
	sp_driver_event_fn on_event;
	void *event_user;
	/* The last successful apply: observe() starts its tasks on instances that join the
	 * cluster later (as EB's instance bootstrap does), so a deployment waiting for Green
	 * sees them start. Cleared by destroy(). */
	char applied_env[SP_DRIVER_MAX_ENV_NAME + 1];
	char applied_family[AWSD_NAME_MAX];
	char applied_taskdef[AWSD_NAME_MAX];
	char applied_version[AWSD_NAME_MAX];
};

struct awsd_names {
	char cluster[AWSD_NAME_MAX];   /* the family at apply; found by tag otherwise */
	char lb[AWSD_NAME_MAX];
	char asg[AWSD_NAME_MAX];
	char sg_instances[AWSD_NAME_MAX];
	char sg_lb[AWSD_NAME_MAX];
	char lc_prefix[AWSD_NAME_MAX]; /* "awseb-ENV-lc-" */
};

/* One apply/observe/destroy. */
struct awsd_run {
	struct awsd *d;
	const char *env;
	struct awsd_names n;
	struct sp_diags *diags;   /* never NULL (a scratch list for observe) */
	int changes;
	/* found or made along the way */
	char sg_instances_id[64], sg_lb_id[64];
	char taskdef_arn[AWSD_NAME_MAX];
	char family[AWSD_NAME_MAX];
	char zones[SP_AWS_DRIVER_MAX_ZONES][64];
	size_t n_zones;
};

int awsd_names_for(const char *env, struct awsd_names *n);
/* An event; fmt is the message. */
void awsd_event(struct awsd_run *r, enum sp_driver_severity sev, const char *instance,
		const char *task, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A change: counts it and sends an INFO event. */
void awsd_changed(struct awsd_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds the AWS_* diagnostic of the last call's failure and returns rc. */
int awsd_fail(struct awsd_run *r, int rc);
/* 12 hex digits of sha256(s). */
void awsd_hash12(const char *s, char out[13]);

/* aws_ecs.c */
/* Creates or reuses the cluster; records the family tag. */
int awsd_cluster_ensure(struct awsd_run *r);
/* Environment names of the ACTIVE clusters tagged sprout:environment (array). */
int awsd_cluster_envs(struct awsd_run *r, json_t **out);
/* *exists; r->n.cluster when empty is looked up by the sprout:environment tag; the
 * family tag into r->family. */
int awsd_cluster_find(struct awsd_run *r, bool *exists, json_t **cluster);
/* Registers a new revision unless the latest one has the same digest; r->taskdef_arn. */
int awsd_taskdef_ensure(struct awsd_run *r, const json_t *taskdef, const json_t *properties,
			const char *version);
/* One task of r->taskdef_arn per ACTIVE container instance; older revisions stopped. */
int awsd_tasks_reconcile(struct awsd_run *r, const char *version);
/* Container instances and tasks of the cluster (arrays; caller decrefs). */
int awsd_cluster_state(struct awsd_run *r, json_t **container_instances, json_t **tasks);
/* destroy: the tasks first, the rest (container instances, revisions, cluster) last. */
int awsd_ecs_stop_tasks(struct awsd_run *r);
int awsd_ecs_destroy(struct awsd_run *r);

/* aws_infra.c */
int awsd_zones_resolve(struct awsd_run *r);
int awsd_security_groups_ensure(struct awsd_run *r, const struct sp_driver_plan *p);
int awsd_lb_ensure(struct awsd_run *r, const struct sp_driver_plan *p);
int awsd_asg_ensure(struct awsd_run *r, const struct sp_driver_plan *p);
/* {name, dnsName, listeners, healthCheck, instanceHealth} or NULL when absent. */
int awsd_lb_observe(struct awsd_run *r, json_t **out);
/* {name, minSize, maxSize, desiredCapacity, launchConfiguration, instances: [...]} or
 * NULL when absent. */
int awsd_asg_observe(struct awsd_run *r, json_t **out);
int awsd_infra_destroy(struct awsd_run *r);

#endif
