/* driver.h — where an environment runs: apply / observe / destroy behind one interface.
 *
 * A driver realises one environment from two stable JSON documents, so it depends on no
 * other module's C structs (docs/driver.md describes both in full):
 *
 *  1. the task definition: exactly an ECS RegisterTaskDefinition request
 *     ({"family", "containerDefinitions": [...], "volumes": [...]}) as engine/dockerrun
 *     generates it, the injected `awseb-logs-<container>` volumes (host.sourcePath
 *     /var/log/containers/<container>) included;
 *  2. the plan: the environment's shape
 *       {"environmentType": "LoadBalanced" | "SingleInstance",
 *        "instances": 3,
 *        "listeners": [{"port": 80, "protocol": "HTTP", "instancePort": 80,
 *                       "instanceProtocol": "HTTP", "enabled": true}],
 *        "healthCheck": {"target": "HTTP:80/", "interval": 10, "timeout": 5,
 *                        "healthyThreshold": 3, "unhealthyThreshold": 5},
 *        "securityGroupRules": [{"protocol": "tcp", "fromPort": 80, "toPort": 80}],
 *        "environmentProperties": {"NAME": "value"},
 *        "allowPrivileged": false, "allowHostPaths": false,
 *        "drainingTimeout": 20, "startTimeout": 120,
 *        "launchConfiguration": {"imageId": "ami-0abc", "instanceType": "t3.small",
 *                                "iamInstanceProfile": "ecsInstanceRole",
 *                                "keyName": "ops"},
 *        "loadBalancerAttributes": {"crossZone": false, "connectionDraining": true,
 *                                   "connectionDrainingTimeout": 20, "idleTimeout": 60}}
 *     launchConfiguration and loadBalancerAttributes are the aws driver's (from
 *     aws:autoscaling:launchconfiguration, aws:elb:loadbalancer and aws:elb:policies);
 *     the local driver ignores them (it drains for drainingTimeout).
 *
 * apply() makes the environment match (instances created or removed, one task per
 * instance running the given version and task definition, stopped tasks replaced, the
 * load balancer configured); it is idempotent and is what a reconciler calls again.
 * observe() reports what runs and enforces ECS's essential-container rule (an essential
 * container that stopped stops its task). destroy() removes everything the environment
 * had. Progress and incidents go to the event callback; problems with the inputs go to
 * a struct sp_diags (file "plan.json" / "task-definition.json", JSON path).
 *
 * Calls on one struct sp_driver must be serialised by the caller (the engine holds one
 * lock per driver). Everything returns 0 or a negative SP_E* code; SP_ERROR means the
 * reasons are in the diagnostics.
 */
#ifndef SPROUT_DRIVER_H
#define SPROUT_DRIVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"

#define SP_DRIVER_MAX_INSTANCES 64       /* MAX_ENV_INSTANCES per environment */
#define SP_DRIVER_MAX_LISTENERS 16       /* MAX_ENV_LISTENERS */
#define SP_DRIVER_MAX_SG_RULES 64        /* MAX_SG_RULES */
#define SP_DRIVER_MAX_PROPERTIES 200     /* MAX_ENV_PROPERTIES */
#define SP_DRIVER_MAX_INPUT ((size_t)1 << 20) /* MAX_DRIVER_INPUT: each JSON document */
#define SP_DRIVER_MAX_ENV_NAME 40        /* EB: 4-40 letters, digits, hyphens */
#define SP_DRIVER_LOG_TAIL_LINES 20      /* lines of log in a stopped task's cause */
#define SP_DRIVER_MAX_LC_VALUE 255       /* MAX_LC_VALUE: image id, instance type, key name */
#define SP_DRIVER_MAX_INSTANCE_PROFILE 1600 /* IAM's limit for a profile name or ARN */

enum sp_driver_severity { SP_DRIVER_INFO = 0, SP_DRIVER_WARN = 1, SP_DRIVER_ERROR = 2 };

const char *sp_driver_severity_name(enum sp_driver_severity s); /* "INFO", "WARN", "ERROR" */

/* One thing that happened. All strings are borrowed for the duration of the callback. */
struct sp_driver_event {
	enum sp_driver_severity severity;
	const char *environment;
	const char *instance_id;  /* NULL when not about one instance */
	const char *task_id;      /* NULL when not about one task */
	const char *container;    /* NULL when not about one container */
	const char *message;      /* one line, EB-style wording */
	const char *detail;       /* NULL, or e.g. the last log lines of a stopped container */
};
typedef void (*sp_driver_event_fn)(void *user, const struct sp_driver_event *ev);

/* Registry credentials (from the image issue's bucket store). Never logged, never in
 * events or diagnostics. */
struct sp_driver_registry_auth {
	const char *server;       /* "127.0.0.1:5000"; matched against the image's registry */
	const char *username;
	const char *password;
};

struct sp_driver_spec {
	const char *environment;      /* EB environment name: 4-40 [A-Za-z0-9-] */
	const char *version_label;    /* label sprout.version */
	const char *task_definition;  /* JSON text, RegisterTaskDefinition request */
	const char *plan;             /* JSON text, see above */
	const char *source_dir;       /* the version's extracted files for var/app/current;
				       * NULL keeps what the instances have */
	const struct sp_driver_registry_auth *auths;
	size_t n_auths;
};

struct sp_driver_ops {
	const char *name; /* "local", "aws" */
	/* Are the driver's dependencies there (Docker, HAProxy ...)? msg says what is
	 * missing and how to install or start it. */
	int (*check)(void *ctx, struct sp_buf *msg);
	int (*apply)(void *ctx, const struct sp_driver_spec *spec, struct sp_diags *d);
	/* *out: the observation document (docs/driver.md "Observation"); caller decrefs.
	 * SP_ENOTFOUND for an environment the driver does not know. */
	int (*observe)(void *ctx, const char *environment, json_t **out);
	int (*destroy)(void *ctx, const char *environment, struct sp_diags *d);
	/* Names of the environments the driver holds state for (array of strings). */
	int (*list)(void *ctx, json_t **out);
	/* Stops the long-running helpers the driver started (HAProxy); environments stay. */
	int (*shutdown)(void *ctx);
	void (*free)(void *ctx);
};

struct sp_driver {
	const struct sp_driver_ops *ops;
	void *ctx;
};

/* Thin dispatchers (so callers never touch ops directly). */
int sp_driver_check(struct sp_driver *drv, struct sp_buf *msg);
int sp_driver_apply(struct sp_driver *drv, const struct sp_driver_spec *spec, struct sp_diags *d);
int sp_driver_observe(struct sp_driver *drv, const char *environment, json_t **out);
int sp_driver_destroy(struct sp_driver *drv, const char *environment, struct sp_diags *d);
int sp_driver_list(struct sp_driver *drv, json_t **out);
int sp_driver_shutdown(struct sp_driver *drv);
void sp_driver_free(struct sp_driver *drv); /* NULL is fine */

/* ---- the plan, parsed (shared by every driver) ---- */

enum sp_driver_proto { SP_DRIVER_HTTP = 0, SP_DRIVER_TCP = 1 };

struct sp_driver_listener {
	int port;
	enum sp_driver_proto protocol;
	int instance_port;
	enum sp_driver_proto instance_protocol;
};

struct sp_driver_sg_rule {
	bool any_protocol;  /* "-1" / "all" */
	bool udp;
	int from_port, to_port;
};

struct sp_driver_plan {
	bool load_balanced;
	int instances;
	struct sp_driver_listener listeners[SP_DRIVER_MAX_LISTENERS]; /* enabled ones only */
	size_t n_listeners;
	char health_target[300];
	int health_interval, health_timeout, healthy_threshold, unhealthy_threshold;
	struct sp_driver_sg_rule rules[SP_DRIVER_MAX_SG_RULES];
	size_t n_rules;
	json_t *properties;   /* owned object of strings, never NULL after parse */
	bool allow_privileged, allow_host_paths;
	bool shared_bridge;   /* local driver: tasks on Docker's default bridge, legacy links */
	int draining_timeout_s, start_timeout_s;
	/* aws driver only. The launch configuration: "" leaves the driver's own choice
	 * (struct sp_driver_aws_options, then its defaults). */
	char image_id[SP_DRIVER_MAX_LC_VALUE + 1];
	char instance_type[SP_DRIVER_MAX_LC_VALUE + 1];
	char key_name[SP_DRIVER_MAX_LC_VALUE + 1];
	char instance_profile[SP_DRIVER_MAX_INSTANCE_PROFILE + 1];
	/* The Classic load balancer's attributes. */
	bool cross_zone, connection_draining;
	int connection_draining_timeout_s, idle_timeout_s;
};

/* Parses and checks a plan: types, ranges (EB's: instances 1-64 here, interval 5-300,
 * timeout 2-60, thresholds 2-10), listener protocols, and the security group model —
 * a listener or health check whose instance port no rule opens to the load balancer is
 * DRIVER_LISTENER_BLOCKED (error). Every problem is reported, located in "plan.json".
 * Defaults: LoadBalanced, 1 instance, listener 80 HTTP -> 80 HTTP, target TCP:80 (EB's),
 * interval 10, timeout 5, healthy 3, unhealthy 5, no rules, draining 20 s, start 120 s;
 * no launch configuration values; load balancer attributes as EB's option defaults (no
 * cross-zone, no connection draining, draining timeout 20 s, idle timeout 60 s). The
 * launch configuration's strings are at most SP_DRIVER_MAX_LC_VALUE bytes
 * (iamInstanceProfile SP_DRIVER_MAX_INSTANCE_PROFILE) of printable ASCII without spaces
 * (DRIVER_PLAN_LIMIT, DRIVER_PLAN_TYPE); the timeouts are 1-3600 s (DRIVER_PLAN_RANGE). */
int sp_driver_plan_parse(const char *json, struct sp_driver_plan *out, struct sp_diags *d);
void sp_driver_plan_free(struct sp_driver_plan *p);
/* true when some rule lets the load balancer reach tcp `port` on the instances. */
bool sp_driver_plan_port_open(const struct sp_driver_plan *p, int port);

/* Checks a task definition document enough to run it: containerDefinitions 1-10 with
 * unique valid names and an image each, volumes with unique names. DRIVER_* codes in
 * "task-definition.json". On success *out holds the parsed JSON (caller decrefs). */
int sp_driver_taskdef_parse(const char *json, json_t **out, struct sp_diags *d);

/* true for an EB environment name (4-40 letters, digits, hyphens, no edge hyphen). */
bool sp_driver_env_name_valid(const char *name);

#endif
