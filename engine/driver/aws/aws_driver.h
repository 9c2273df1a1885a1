/* aws_driver.h — the AWS driver: the environment applied to Amazon ECS, Classic Elastic
 * Load Balancing, EC2 security groups and Auto Scaling, through their public APIs
 * (engine/aws). Same interface as every driver (engine/driver/driver.h); docs/aws.md.
 *
 * Inputs: spec->plan is either the driver plan of driver.h or the document
 * `sprout plan --json` prints ({"environment", "plan", "requests": [...]}, engine/plan);
 * the latter is read into the former (listeners, health check, the instance group's
 * rules, MinSize, environment properties, and the RegisterTaskDefinition request when
 * spec->task_definition is NULL). Names are the plan's (EB's awseb- prefix):
 *   ECS cluster            named after the task definition's family (tags
 *                          sprout:environment, sprout:family; observe and destroy find it
 *                          by the environment tag)
 *   task definition        the spec's family; a new revision when the task definition,
 *                          the environment properties (added to every container) or the
 *                          version label differ from the latest revision's
 *                          (tag sprout:digest), else the latest one is reused
 *   security groups        awseb-ENV-loadbalancer (every listener port from 0.0.0.0/0)
 *                          and awseb-ENV-instances (the plan's rules, from the load
 *                          balancer's group; from 0.0.0.0/0 for a SingleInstance
 *                          environment); missing rules authorised, others revoked
 *   load balancer          Classic ELB awseb-<ENV, first 26 characters> with the plan's
 *                          listeners, health check and attributes (cross-zone, connection
 *                          draining, idle timeout: ModifyLoadBalancerAttributes when they
 *                          differ); listeners added, changed and removed to match
 *   launch configuration   awseb-ENV-lc-<12 hex of its content> (image, instance type,
 *                          instance group, user data setting ECS_CLUSTER, profile, key);
 *                          each of image, type, profile and key is the plan's
 *                          launchConfiguration value, else this driver's option, else the
 *                          default (the newest ECS AMI, SP_AWS_DRIVER_INSTANCE_TYPE, none)
 *   Auto Scaling group     awseb-ENV-asg, Min = Max = Desired = plan.instances, attached
 *                          to the load balancer; updated in place when that or the launch
 *                          configuration differs (running instances keep theirs until
 *                          replaced); launch configurations no group uses are deleted
 *   tasks                  one per ACTIVE container instance of the cluster (StartTask,
 *                          startedBy "sprout"); a task of another revision is stopped and
 *                          the current one started (all at once).
 * Instances join the cluster when their ECS agent registers; apply() starts tasks on the
 * ones that have joined, and observe() starts the last successful apply's task (kept in
 * memory per driver, forgotten by destroy()) on those that join later, so a deployment
 * waiting for Green sees them start; the engine's reconciler calls apply() again too.
 * Every change is an INFO event ("Created security group awseb-ENV-loadbalancer (sg-...)."); an apply that
 * finds everything as planned sends no change event at all.
 *
 * observe() returns {"environment", "driver": "aws", "region", "cluster", "taskDefinition",
 * "loadBalancer", "autoScalingGroup", "instances": [{"id", "lifecycleState", "health"
 * (the engine's Green/Yellow/Red/Grey), "asgHealth", "containerInstanceArn",
 * "loadBalancerState", "loadBalancer": {"status"}, "task": {..., "state" (PENDING,
 * RUNNING, STOPPED), "version", "stoppedReason"} | null}], "tasks": [...],
 * "health": "Green" | "Yellow" | "Red" | "Grey"}; SP_ENOTFOUND when the environment has
 * neither a cluster (tagged sprout:environment=ENV) nor an Auto Scaling group.
 *
 * destroy() removes, in dependency order: the tasks, the Auto Scaling group (forced,
 * terminating its instances) and its launch configurations, the container instances, the
 * load balancer, the security groups (retrying while AWS still reports a dependency),
 * every ACTIVE revision of the family, the cluster. What is already gone is skipped.
 *
 * Errors from AWS become AWS_* diagnostics naming the operation, AWS's code and message
 * (aws.h); problems in the inputs are DRIVER_* diagnostics (driver.h). Credentials and
 * environment property values never appear in events or diagnostics.
 */
#ifndef SPROUT_DRIVER_AWS_H
#define SPROUT_DRIVER_AWS_H

#include "engine/aws/aws.h"
#include "engine/driver/driver.h"

#define SP_AWS_DRIVER_INSTANCE_TYPE "t3.micro"
#define SP_AWS_DRIVER_MAX_ZONES 6          /* MAX_AWS_ZONES used for one environment */
#define SP_AWS_DRIVER_MAX_PAGES 50         /* MAX_AWS_PAGES followed in one listing */
#define SP_AWS_DRIVER_DELETE_WAIT_S 600    /* waiting for deletions AWS does slowly */

/* image_id, instance_type, instance_profile and key_name are the driver's defaults: a
 * plan's launchConfiguration (the environment's aws:autoscaling:launchconfiguration
 * options) wins over them. */
struct sp_driver_aws_options {
	struct sp_aws_options aws;    /* region, profile, endpoint(s), credentials */
	const char *image_id;         /* NULL: newest amzn2-ami-ecs-hvm-*-x86_64-ebs of amazon */
	const char *instance_type;    /* NULL: SP_AWS_DRIVER_INSTANCE_TYPE */
	const char *instance_profile; /* IAM instance profile for the ECS agent; NULL: none */
	const char *key_name;         /* EC2 key pair; NULL: none */
	const char *zones;            /* "us-east-1a,us-east-1b"; NULL: the region's first 3 */
	const char *vpc_id;           /* NULL: the default VPC */
	int delete_wait_s;            /* 0: SP_AWS_DRIVER_DELETE_WAIT_S */
	sp_driver_event_fn on_event;  /* may be NULL */
	void *event_user;
};

/* Makes an AWS driver (resolves credentials and region; connects to nothing yet).
 * SP_ENOTFOUND without credentials or region, SP_EINVAL for a bad endpoint; msg (may be
 * NULL) says what is missing. */
int sp_driver_aws_new(const struct sp_driver_aws_options *o, struct sp_driver **out,
		      struct sp_buf *msg);

/* The resource names for an environment (for tests and docs): load balancer, Auto
 * Scaling group, instance and load balancer security groups. Each out buffer gets one
 * name appended; NULL buffers are skipped. SP_EINVAL for an invalid env name. */
int sp_driver_aws_names(const char *environment, struct sp_buf *lb, struct sp_buf *asg,
			struct sp_buf *sg_instances, struct sp_buf *sg_lb);

/* Reads the document `sprout plan --json` prints into driver.h's plan JSON (*plan) and,
 * when it has one, the RegisterTaskDefinition request (*taskdef, else NULL); both are
 * strings the caller frees. SP_EINVAL (with a DRIVER_PLAN_TYPE diagnostic in
 * "plan.json") when it is not such a document. */
int sp_driver_aws_plan_from_requests(const char *json, char **plan, char **taskdef,
				     struct sp_diags *d);

#endif
