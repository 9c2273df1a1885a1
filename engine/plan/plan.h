/* plan.h — the environment plan: everything one environment will be made of, computed
 * from a bundle's Dockerrun model, its .ebextensions and the option settings, cross-checked,
 * and written out as AWS API request shapes (JSON) or a CloudFormation template.
 *
 * Both drivers apply this struct: the local driver (Docker + HAProxy) and the AWS driver
 * (ECS, ELB, EC2, Auto Scaling). The struct is plain data and owns everything in it; it does
 * not refer to its inputs after sp_plan_build returns.
 *
 * What the plan holds (docs/plan.md):
 *  - an ECS cluster and a task definition (RegisterTaskDefinition body from engine/dockerrun,
 *    with the environment properties added to every container; revision from the input);
 *  - a classic load balancer (unless EnvironmentType is SingleInstance) with its listeners:
 *    the default port 80 listener (aws:elb:listener) unless disabled, the deprecated secure
 *    listener of aws:elb:loadbalancer, and one per aws:elb:listener:<port> namespace, with
 *    EB's defaults; a health check from `Application Healthcheck URL` or aws:elb:healthcheck;
 *  - two security groups (AWSEBSecurityGroup for instances, AWSEBLoadBalancerSecurityGroup)
 *    with EB's default rules (load balancer group open on every listener port; instances
 *    open from the load balancer group on the default listener's InstancePort; a single
 *    instance open on port 80) and the user's AWS::EC2::SecurityGroupIngress rules
 *    (separate resources or inline in an AWSEBSecurityGroup override);
 *  - instances: MinSize..MaxSize (MinSize at start), one task each; SingleInstance means one;
 *  - deployment policy, batch size and timeout; environment properties; sprout:* settings.
 *
 * Cross-checks (sp_plan_check, run by sp_plan_build), each a located PLAN_* diagnostic
 * with the fix (docs/diagnostics.md): PLAN_LISTENER_NO_CONTAINER, PLAN_LISTENER_NO_INGRESS,
 * PLAN_LISTENER_DUPLICATE, PLAN_LISTENER_PROTOCOL, PLAN_LISTENER_CERTIFICATE,
 * PLAN_HEALTHCHECK_PORT, PLAN_ASG_SIZE, PLAN_BATCH_SIZE; warnings PLAN_LB_TYPE,
 * PLAN_RESOURCE_NOT_IN_ENV, PLAN_INGRESS_UNRESOLVED, PLAN_ENV_UNRESOLVED.
 */
#ifndef SPROUT_PLAN_H
#define SPROUT_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ebextensions/ebextensions.h"
#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/dockerrun/dockerrun.h"

#define MAX_PLAN_LISTENERS 64
#define MAX_PLAN_RULES 256

struct sp_plan_input {
	const char *env_name;               /* required: [A-Za-z0-9-], 4..40 as in EB */
	const char *env_id;                 /* NULL: SP_TASKDEF_PLACEHOLDER_ID */
	const struct sp_dockerrun *dockerrun; /* NULL: no task definition (config-only) */
	const char *dockerrun_file;         /* name in diagnostics; NULL: Dockerrun.aws.json */
	const struct sp_options *opts;      /* all levels already set; required */
	const struct sp_ebx *ebx;           /* NULL: no .ebextensions */
	int taskdef_revision;               /* per environment, counted by the caller; 0 -> 1 */
	const char *region;                 /* AWS::Region; NULL -> "us-east-1" */
};

/* Where a plan element comes from (an option or resource of the user, or a default). */
struct sp_plan_origin {
	char *file; /* NULL: a default */
	int line, column;
	char *path;
	char *what; /* "aws:elb:listener:8080", "port8080SecurityGroupIngress", "default" */
};

struct sp_plan_listener {
	int port;                  /* load balancer port */
	char protocol[8];          /* HTTP, HTTPS, TCP, SSL */
	int instance_port;
	char instance_protocol[8];
	char *ssl_certificate_id;  /* NULL when none */
	char *policy_names;        /* NULL when none */
	struct sp_plan_origin origin;
};

enum sp_plan_sg {
	SP_PLAN_SG_INSTANCE = 0, /* AWSEBSecurityGroup */
	SP_PLAN_SG_LB = 1,       /* AWSEBLoadBalancerSecurityGroup */
	SP_PLAN_SG_OTHER = 2,    /* a group the plan does not create (source only) */
};

struct sp_plan_rule {
	enum sp_plan_sg group;     /* the group the rule is added to */
	char protocol[8];          /* "tcp", "udp", "icmp", "-1" */
	int from_port, to_port;    /* -1 for all */
	char *cidr;                /* source CIDR, or NULL */
	enum sp_plan_sg source;    /* when cidr is NULL */
	char *source_name;         /* SP_PLAN_SG_OTHER: as written */
	bool is_default;           /* one of EB's own rules */
	struct sp_plan_origin origin;
};

struct sp_plan_env {
	char *name, *value;
	bool unresolved;           /* a backtick substitution could not be evaluated */
};

struct sp_plan_container {
	char *name, *image;
	int *host_ports; size_t n_host_ports; /* TCP host ports */
};

struct sp_plan {
	char *env_name;
	char *cluster_name;
	char *family;
	int revision;
	json_t *taskdef;           /* RegisterTaskDefinition body (env added); NULL config-only */
	struct sp_plan_container *containers; size_t n_containers;

	bool load_balanced;
	char *lb_name;
	struct sp_plan_listener *listeners; size_t n_listeners; /* enabled ones, by port */
	struct {
		char *target;          /* "HTTP:80/health", "TCP:80" */
		int port;
		int healthy, unhealthy, interval, timeout;
		struct sp_plan_origin origin;
	} health;
	bool cross_zone;
	bool draining; int draining_timeout; int idle_timeout;

	char *sg_name[2];          /* names of the instance and load balancer groups */
	struct sp_plan_rule *rules; size_t n_rules;

	int min_size, max_size, cooldown;
	/* aws:autoscaling:launchconfiguration, as set (NULL: unset, the aws driver's default);
	 * the local driver does not use them. */
	struct {
		char *image_id, *instance_type, *iam_instance_profile, *ec2_key_name;
	} launch;

	struct {
		char *policy;          /* AllAtOnce, Rolling, ... */
		char *batch_size_type; /* Percentage, Fixed */
		int batch_size;
		int timeout;
		bool ignore_health_check;
		bool rollback_on_failure; /* sprout:deploy RollbackOnFailure */
	} deploy;

	struct sp_plan_env *env; size_t n_env; /* sorted by name */

	struct {
		bool allow_privileged, allow_host_paths, allow_docker_socket;
		bool shared_bridge;    /* sprout:security TaskNetwork bridge */
		bool strict_image_checks;
		char *hooks_image;     /* NULL: default */
		int hooks_timeout;
	} sprout;

	/* For the CloudFormation export: the user's resources (merged by logical ID, EB IDs
	 * of this environment merged into EB's own), Outputs, Mappings, Parameters. */
	json_t *user_resources, *user_outputs, *user_mappings, *user_parameters;
	json_t *env_cfn;           /* {name: CloudFormation value} of the properties */
	/* The option settings as recorded (for the readable tree). */
	struct sp_opt_setting *settings; size_t n_settings;
};

/* Builds and checks the plan. Every problem goes to d (all at once). Returns 0 and sets
 * *out when there are no errors (warnings allowed); SP_ERROR when there are errors (no
 * plan); SP_EINVAL for a missing env_name/opts; SP_ENOMEM. */
int sp_plan_build(const struct sp_plan_input *in, struct sp_diags *d, struct sp_plan **out);
void sp_plan_free(struct sp_plan *p);

/* The cross-checks alone (sp_plan_build runs them). Returns 0 or SP_ENOMEM; the verdict is
 * in d. */
int sp_plan_check(const struct sp_plan *p, struct sp_diags *d);

/* EB's logical IDs present in a plan's environment (static strings). */
size_t sp_plan_eb_ids(bool load_balanced, const char *const **out);

/* {"environment", "plan": {...}, "requests": [{service, action, request}, ...]}: the AWS
 * API requests that create the environment, in order (CreateCluster,
 * RegisterTaskDefinition, CreateSecurityGroup, AuthorizeSecurityGroupIngress,
 * CreateLoadBalancer, ConfigureHealthCheck, CreateAutoScalingGroup, one StartTask per
 * instance). The caller owns *out. */
int sp_plan_to_json(const struct sp_plan *p, json_t **out);
/* A complete CloudFormation template with EB's logical IDs and the user's Resources,
 * Outputs, Mappings and Parameters merged. The caller owns *out. */
int sp_plan_to_cloudformation(const struct sp_plan *p, json_t **out);
/* The readable tree `sprout plan` prints. */
int sp_plan_render_text(const struct sp_plan *p, struct sp_buf *out);
/* The option settings alone (for `sprout plan --config-only`). */
int sp_plan_render_options(const struct sp_options *o, struct sp_buf *out);

/* Every PLAN_* code with its documentation (see struct sp_code_doc). */
extern const struct sp_code_doc sp_plan_codes[];
extern const size_t sp_plan_codes_count;

#endif
