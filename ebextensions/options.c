/* options.c — the option schema table and option settings with EB's precedence.
 *
 * The table is the single source of truth: validation, defaults, "did you mean" and
 * docs/options.md all come from it (redis' static_configs[] is the model). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/base/banned.h"

#define LISTENER_PORT_NS "aws:elb:listener:<port>"

static const struct sp_opt_def schema[] = {
	/* aws:elb:listener — the default listener (port 80) */
	{ "aws:elb:listener", "ListenerProtocol", SP_OPT_ENUM, 0, 0, "HTTP|TCP", "HTTP",
	  "Protocol of the default listener (load balancer port 80)." },
	{ "aws:elb:listener", "InstancePort", SP_OPT_INT, 1, 65535, NULL, "80",
	  "Instance port the default listener forwards to." },
	{ "aws:elb:listener", "InstanceProtocol", SP_OPT_ENUM, 0, 0, "HTTP|HTTPS|TCP|SSL", NULL,
	  "Protocol towards the instances; HTTP for an HTTP listener, TCP for a TCP one." },
	{ "aws:elb:listener", "PolicyNames", SP_OPT_LIST, 0, 0, NULL, NULL,
	  "Comma-separated policy names (prefer aws:elb:policies LoadBalancerPorts)." },
	{ "aws:elb:listener", "ListenerEnabled", SP_OPT_BOOL, 0, 0, NULL, "true",
	  "false removes the default listener." },
	/* aws:elb:listener:<port> — additional listeners */
	{ LISTENER_PORT_NS, "ListenerProtocol", SP_OPT_ENUM, 0, 0, "HTTP|HTTPS|TCP|SSL", "HTTP",
	  "Protocol of the listener on load balancer port <port>." },
	{ LISTENER_PORT_NS, "InstancePort", SP_OPT_INT, 1, 65535, NULL, "<port>",
	  "Instance port the listener forwards to." },
	{ LISTENER_PORT_NS, "InstanceProtocol", SP_OPT_ENUM, 0, 0, "HTTP|HTTPS|TCP|SSL", NULL,
	  "HTTP for an HTTP/HTTPS listener, TCP for TCP/SSL; same layer as the listener." },
	{ LISTENER_PORT_NS, "PolicyNames", SP_OPT_LIST, 0, 0, NULL, NULL,
	  "Comma-separated policy names." },
	{ LISTENER_PORT_NS, "SSLCertificateId", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "Certificate ARN for an HTTPS or SSL listener." },
	{ LISTENER_PORT_NS, "ListenerEnabled", SP_OPT_BOOL, 0, 0, NULL, NULL,
	  "Default: true when any other option of the namespace is set, else false." },
	/* aws:elb:loadbalancer */
	{ "aws:elb:loadbalancer", "CrossZone", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Balance across all availability zones." },
	{ "aws:elb:loadbalancer", "SecurityGroups", SP_OPT_LIST, 0, 0, NULL, NULL,
	  "Extra security group IDs for the load balancer." },
	{ "aws:elb:loadbalancer", "ManagedSecurityGroup", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "An existing security group to use instead of the one sprout creates." },
	{ "aws:elb:loadbalancer", "LoadBalancerHTTPPort", SP_OPT_ENUM, 0, 0, "OFF|80", "80",
	  "Deprecated: OFF removes the default listener." },
	{ "aws:elb:loadbalancer", "LoadBalancerPortProtocol", SP_OPT_ENUM, 0, 0, "HTTP|TCP",
	  "HTTP", "Deprecated: protocol of the default listener." },
	{ "aws:elb:loadbalancer", "LoadBalancerHTTPSPort", SP_OPT_ENUM, 0, 0, "OFF|443|8443",
	  "OFF", "Deprecated: adds a secure listener on 443 or 8443." },
	{ "aws:elb:loadbalancer", "LoadBalancerSSLPortProtocol", SP_OPT_ENUM, 0, 0, "HTTPS|SSL",
	  "HTTPS", "Deprecated: protocol of the secure listener." },
	{ "aws:elb:loadbalancer", "SSLCertificateId", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "Deprecated: certificate of the secure listener." },
	/* aws:elb:healthcheck */
	{ "aws:elb:healthcheck", "HealthyThreshold", SP_OPT_INT, 2, 10, NULL, "3",
	  "Consecutive successes before an instance is healthy." },
	{ "aws:elb:healthcheck", "Interval", SP_OPT_INT, 5, 300, NULL, "10",
	  "Seconds between health checks." },
	{ "aws:elb:healthcheck", "Timeout", SP_OPT_INT, 2, 60, NULL, "5",
	  "Seconds to wait for a health check response." },
	{ "aws:elb:healthcheck", "UnhealthyThreshold", SP_OPT_INT, 2, 10, NULL, "5",
	  "Consecutive failures before an instance is unhealthy." },
	{ "aws:elb:healthcheck", "Target", SP_OPT_TARGET, 0, 0, NULL, "TCP:80",
	  "Deprecated: PROTOCOL:PORT[/PATH]; use Application Healthcheck URL." },
	/* aws:elb:policies */
	{ "aws:elb:policies", "ConnectionDrainingEnabled", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Let in-flight requests finish when an instance leaves." },
	{ "aws:elb:policies", "ConnectionDrainingTimeout", SP_OPT_INT, 1, 3600, NULL, "20",
	  "Seconds of connection draining." },
	{ "aws:elb:policies", "ConnectionSettingIdleTimeout", SP_OPT_INT, 1, 3600, NULL, "60",
	  "Seconds an idle connection is kept." },
	{ "aws:elb:policies", "LoadBalancerPorts", SP_OPT_LIST, 0, 0, NULL, NULL,
	  "Listener ports the default policies apply to, or :all." },
	{ "aws:elb:policies", "Stickiness Cookie Expiration", SP_OPT_INT, 0, 1000000, NULL, "0",
	  "Seconds a stickiness cookie is valid." },
	{ "aws:elb:policies", "Stickiness Policy", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Bind a user's session to one instance." },
	/* aws:elasticbeanstalk:application */
	{ "aws:elasticbeanstalk:application", "Application Healthcheck URL", SP_OPT_HCURL, 0, 0,
	  NULL, NULL,
	  "Health check: /path, or PROTOCOL:PORT/path; none means TCP on the default port." },
	/* aws:elasticbeanstalk:application:environment */
	{ SP_NS_ENV, "<name>", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "Environment properties: names of A-Z a-z 0-9 _ . : / + \\ - @ (at most 128), values "
	  "at most 256 bytes, all key=value together at most 4096 bytes." },
	/* aws:autoscaling:asg */
	{ "aws:autoscaling:asg", "MinSize", SP_OPT_INT, 1, 10000, NULL, "1",
	  "Fewest instances." },
	{ "aws:autoscaling:asg", "MaxSize", SP_OPT_INT, 1, 10000, NULL, "4",
	  "Most instances." },
	{ "aws:autoscaling:asg", "Availability Zones", SP_OPT_ENUM, 0, 0,
	  "Any|Any 1|Any 2|Any 3", "Any", "How many availability zones." },
	{ "aws:autoscaling:asg", "Custom Availability Zones", SP_OPT_LIST, 0, 0, NULL, NULL,
	  "Availability zone names." },
	{ "aws:autoscaling:asg", "Cooldown", SP_OPT_INT, 0, 10000, NULL, "360",
	  "Seconds between scaling activities." },
	{ "aws:autoscaling:asg", "EnableCapacityRebalancing", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Rebalance Spot capacity." },
	/* aws:autoscaling:launchconfiguration — the four options the aws driver applies (the
	 * namespace's other options stay EBX_NAMESPACE_UNSUPPORTED, see warn_unknown) */
	{ "aws:autoscaling:launchconfiguration", "EC2KeyName", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "aws driver: the EC2 key pair for SSH to the instances (none: no key)." },
	{ "aws:autoscaling:launchconfiguration", "IamInstanceProfile", SP_OPT_STRING, 0, 0, NULL,
	  NULL, "aws driver: instance profile name or ARN; the ECS agent needs one to register "
	  "(ecsInstanceRole, aws-elasticbeanstalk-ec2-role)." },
	{ "aws:autoscaling:launchconfiguration", "ImageId", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "aws driver: the instances' AMI, which must run the ECS agent (none: the newest "
	  "amzn2-ami-ecs-hvm-*-x86_64-ebs)." },
	{ "aws:autoscaling:launchconfiguration", "InstanceType", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "aws driver: the instances' EC2 type (none: t3.micro)." },
	/* aws:elasticbeanstalk:command */
	{ "aws:elasticbeanstalk:command", "DeploymentPolicy", SP_OPT_ENUM, 0, 0,
	  "AllAtOnce|Rolling|RollingWithAdditionalBatch|Immutable|TrafficSplitting",
	  "AllAtOnce", "How a new version reaches the instances." },
	{ "aws:elasticbeanstalk:command", "Timeout", SP_OPT_INT, 1, 3600, NULL, "600",
	  "Seconds a deployment may take (EB adds 240 internally)." },
	{ "aws:elasticbeanstalk:command", "BatchSizeType", SP_OPT_ENUM, 0, 0, "Percentage|Fixed",
	  "Percentage", "Unit of BatchSize." },
	{ "aws:elasticbeanstalk:command", "BatchSize", SP_OPT_INT, 1, 10000, NULL, "100",
	  "Instances per batch: 1-100 (Percentage) or 1-MaxSize (Fixed)." },
	{ "aws:elasticbeanstalk:command", "IgnoreHealthCheck", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Do not wait for health checks between batches." },
	/* aws:elasticbeanstalk:environment */
	{ "aws:elasticbeanstalk:environment", "EnvironmentType", SP_OPT_ENUM, 0, 0,
	  "SingleInstance|LoadBalanced", "LoadBalanced",
	  "SingleInstance: one instance and no load balancer." },
	{ "aws:elasticbeanstalk:environment", "LoadBalancerType", SP_OPT_ENUM, 0, 0,
	  "classic|application|network", "classic",
	  "sprout plans a classic load balancer; others are planned as classic with a warning." },
	{ "aws:elasticbeanstalk:environment", "ServiceRole", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "Service role name or ARN." },
	{ "aws:elasticbeanstalk:environment", "LoadBalancerIsShared", SP_OPT_BOOL, 0, 0, NULL,
	  "false", "Use a shared application load balancer." },
	/* aws:elasticbeanstalk:healthreporting:system */
	{ "aws:elasticbeanstalk:healthreporting:system", "SystemType", SP_OPT_ENUM, 0, 0,
	  "basic|enhanced", "basic", "Health reporting system." },
	{ "aws:elasticbeanstalk:healthreporting:system", "ConfigDocument", SP_OPT_STRING, 0, 0,
	  NULL, NULL, "JSON document of CloudWatch metrics." },
	{ "aws:elasticbeanstalk:healthreporting:system", "EnhancedHealthAuthEnabled",
	  SP_OPT_BOOL, 0, 0, NULL, "true", "Authorise the enhanced health API." },
	{ "aws:elasticbeanstalk:healthreporting:system", "HealthCheckSuccessThreshold",
	  SP_OPT_ENUM, 0, 0, "Ok|Warning|Degraded|Severe", "Ok",
	  "Lowest health a deployment still counts as passing." },
	/* aws:elasticbeanstalk:cloudwatch:logs */
	{ "aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Stream instance logs." },
	{ "aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate", SP_OPT_BOOL, 0, 0, NULL,
	  "false", "Delete the log groups with the environment." },
	{ "aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays", SP_OPT_ENUM, 0, 0,
	  "1|3|5|7|14|30|60|90|120|150|180|365|400|545|731|1827|3653", "7",
	  "Days logs are kept." },
	/* aws:elasticbeanstalk:customoption */
	{ SP_NS_CUSTOM, "<name>", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "Any name and value, read with Fn::GetOptionSetting." },
	/* sprout's own settings */
	{ "sprout:deploy", "RollbackOnFailure", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Redeploy the previous version when a deployment fails." },
	{ "sprout:driver", "Driver", SP_OPT_ENUM, 0, 0, "local|aws", "local",
	  "Where the environment runs: this machine's Docker and HAProxy, or AWS (docs/aws.md)." },
	{ "sprout:driver", "Region", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "aws driver: the region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)." },
	{ "sprout:driver", "Profile", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "aws driver: the shared-file profile for credentials and region." },
	{ "sprout:driver", "Endpoint", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "aws driver: one endpoint URL for every service (moto, LocalStack)." },
	{ "sprout:hooks", "Image", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "Image that runs hooks and commands (default: the first essential container's; it must have /bin/sh)." },
	{ "sprout:hooks", "Timeout", SP_OPT_INT, 1, 3600, NULL, "600",
	  "Seconds one hook or command may run." },
	{ "sprout:images", "StrictImageChecks", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Refuse a deployment whose images cannot be resolved before it starts." },
	{ "sprout:security", "SecretProperties", SP_OPT_STRING, 0, 0, NULL, NULL,
	  "Comma-separated environment property names whose values the engine never shows (names holding PASSWORD, SECRET, TOKEN, PRIVATE_KEY, ACCESS_KEY, API_KEY or CREDENTIAL are secret anyway)." },
	{ "sprout:security", "AllowPrivileged", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Allow privileged containers." },
	{ "sprout:security", "AllowHostPaths", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Allow host paths outside the instance root." },
	{ "sprout:security", "AllowDockerSocket", SP_OPT_BOOL, 0, 0, NULL, "false",
	  "Allow mounting the Docker socket." },
	{ "sprout:security", "TaskNetwork", SP_OPT_ENUM, 0, 0, "task|bridge", "task",
	  "Local driver: task, a Docker network per task (environments cannot reach each other's containers); bridge, Docker's default bridge with legacy links, as ECS's bridge mode (containers start faster, but every environment's containers on the machine can reach each other)." },
};

/* Elastic Beanstalk namespaces that sprout accepts but does not apply (a namespace that is
 * also in the schema is applied in part: only its options there). */
static const char *const unsupported_ns[] = {
	"aws:autoscaling:launchconfiguration",
	"aws:autoscaling:scheduledaction",
	"aws:autoscaling:trigger",
	"aws:autoscaling:updatepolicy:rollingupdate",
	"aws:ec2:instances",
	"aws:ec2:vpc",
	"aws:elasticbeanstalk:cloudwatch:logs:health",
	"aws:elasticbeanstalk:container",
	"aws:elasticbeanstalk:environment:process",
	"aws:elasticbeanstalk:environment:proxy",
	"aws:elasticbeanstalk:hostmanager",
	"aws:elasticbeanstalk:managedactions",
	"aws:elasticbeanstalk:monitoring",
	"aws:elasticbeanstalk:sns:topics",
	"aws:elasticbeanstalk:sqsd",
	"aws:elasticbeanstalk:trafficsplitting",
	"aws:elasticbeanstalk:xray",
	"aws:elbv2",
	"aws:rds:dbinstance",
};

#define N_SCHEMA (sizeof(schema) / sizeof(schema[0]))
#define N_UNSUPPORTED (sizeof(unsupported_ns) / sizeof(unsupported_ns[0]))

const struct sp_opt_def *sp_opt_schema(size_t *n)
{
	*n = N_SCHEMA;
	return schema;
}

int sp_opt_listener_port(const char *ns)
{
	static const char prefix[] = "aws:elb:listener:";
	if (strncmp(ns, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	int64_t port;
	if (sp_parse_i64(ns + sizeof(prefix) - 1, &port) != 0 || port < 1 || port > 65535)
		return 0;
	return (int)port;
}

/* The table's spelling of ns ("aws:elb:listener:8080" -> "aws:elb:listener:<port>"). */
static const char *schema_ns(const char *ns)
{
	if (sp_opt_listener_port(ns))
		return LISTENER_PORT_NS;
	return ns;
}

static bool free_form_ns(const char *ns)
{
	return strcmp(ns, SP_NS_ENV) == 0 || strcmp(ns, SP_NS_CUSTOM) == 0;
}

bool sp_opt_namespace_known(const char *ns)
{
	const char *s = schema_ns(ns);
	for (size_t i = 0; i < N_SCHEMA; i++)
		if (strcmp(schema[i].ns, s) == 0)
			return true;
	return false;
}

const struct sp_opt_def *sp_opt_lookup(const char *ns, const char *name)
{
	const char *s = schema_ns(ns);
	if (free_form_ns(s))
		return NULL;
	for (size_t i = 0; i < N_SCHEMA; i++)
		if (strcmp(schema[i].ns, s) == 0 && strcmp(schema[i].name, name) == 0)
			return &schema[i];
	return NULL;
}

static bool ns_unsupported(const char *ns)
{
	for (size_t i = 0; i < N_UNSUPPORTED; i++) {
		size_t l = strlen(unsupported_ns[i]);
		if (strncmp(ns, unsupported_ns[i], l) == 0 && (ns[l] == 0 || ns[l] == ':'))
			return true; /* the namespace or one below it */
	}
	/* Resource-scoped settings ("MyScaleUp.aws:autoscaling:scheduledaction"). */
	const char *dot = strchr(ns, '.');
	return dot && strncmp(dot + 1, "aws:", 4) == 0;
}

const char *sp_opt_level_name(enum sp_opt_level l)
{
	switch (l) {
	case SP_OPT_LEVEL_DEFAULT: return "default";
	case SP_OPT_LEVEL_EBEXT: return ".ebextensions";
	case SP_OPT_LEVEL_SAVED: return "saved configuration";
	case SP_OPT_LEVEL_API: return "create/update setting";
	}
	return "?";
}

/* ---- markdown ------------------------------------------------------------------------ */

static const char *type_name(enum sp_opt_type t)
{
	switch (t) {
	case SP_OPT_STRING: return "string";
	case SP_OPT_INT: return "integer";
	case SP_OPT_BOOL: return "boolean";
	case SP_OPT_ENUM: return "one of";
	case SP_OPT_INT_OR: return "integer or word";
	case SP_OPT_HCURL: return "health check URL";
	case SP_OPT_TARGET: return "health check target";
	case SP_OPT_LIST: return "comma list";
	}
	return "?";
}

static int put_allowed(struct sp_buf *b, const struct sp_opt_def *o)
{
	int rc = 0;
	switch (o->type) {
	case SP_OPT_INT:
		return sp_buf_printf(b, "%lld-%lld", (long long)o->min, (long long)o->max);
	case SP_OPT_INT_OR:
		rc = sp_buf_printf(b, "%lld-%lld, ", (long long)o->min, (long long)o->max);
		/* fall through */
	case SP_OPT_ENUM:
		for (const char *p = o->allowed; rc == 0 && *p; p++)
			rc = *p == '|' ? sp_buf_puts(b, ", ") : sp_buf_putc(b, *p);
		return rc;
	case SP_OPT_BOOL:
		return sp_buf_puts(b, "true, false");
	case SP_OPT_HCURL:
		return sp_buf_puts(b, "/path, HTTP:PORT/path, HTTPS:PORT/path, TCP:PORT, SSL:PORT");
	case SP_OPT_TARGET:
		return sp_buf_puts(b, "HTTP:PORT/path, HTTPS:PORT/path, TCP:PORT, SSL:PORT");
	default:
		return 0;
	}
}

int sp_opt_schema_markdown(struct sp_buf *out)
{
	int rc = sp_buf_puts(out,
		"# Option settings\n\n"
		"<!-- Generated from ebextensions/options.c by `sprout plan --list-options`;\n"
		"     tests/unit/test_ebext_options.c fails when this page and the table differ. -->\n\n"
		"Options come from `option_settings` in `.ebextensions/NAME.config`, from saved\n"
		"configurations and from `--option NAMESPACE:OPTION=VALUE` (create/update time).\n"
		"Precedence, highest first: create/update settings, saved configurations,\n"
		".ebextensions (a later file overrides an earlier one, with a note), defaults.\n\n"
		"A value of the wrong type or outside its range is an error (`EBX_OPTION_VALUE`)\n"
		"listing the allowed values; an unknown option or namespace is a warning with a\n"
		"suggestion (`EBX_OPTION_UNKNOWN`, `EBX_NAMESPACE_UNKNOWN`). `<port>` stands for a\n"
		"load balancer port 1-65535.\n");
	const char *ns = NULL;
	for (size_t i = 0; rc == 0 && i < N_SCHEMA; i++) {
		const struct sp_opt_def *o = &schema[i];
		if (!ns || strcmp(ns, o->ns) != 0) {
			ns = o->ns;
			rc = sp_buf_printf(out,
					   "\n## %s\n\n| Option | Type | Allowed | Default | Meaning |\n"
					   "| --- | --- | --- | --- | --- |\n", ns);
		}
		if (rc == 0)
			rc = sp_buf_printf(out, "| %s | %s | ", o->name, type_name(o->type));
		if (rc == 0)
			rc = put_allowed(out, o);
		if (rc == 0)
			rc = sp_buf_printf(out, " | %s | %s |\n", o->def ? o->def : "none", o->doc);
	}
	if (rc == 0) {
		rc = sp_buf_puts(out, "\n## Namespaces accepted but not applied\n\n"
				      "These Elastic Beanstalk namespaces are valid but have no meaning "
				      "for sprout; a setting in one is a warning "
				      "(`EBX_NAMESPACE_UNSUPPORTED`) and is ignored, and so is every namespace "
				      "below one of them (`aws:elbv2:listener:443`); `Name.aws:...` "
				      "(resource-scoped settings) are treated the same way.\n\n");
	}
	for (size_t i = 0; rc == 0 && i < N_UNSUPPORTED; i++)
		rc = sp_buf_printf(out, "- `%s`%s\n", unsupported_ns[i],
				   sp_opt_namespace_known(unsupported_ns[i])
					   ? " (except the options in its table above)" : "");
	return rc;
}

/* ---- value checks ----------------------------------------------------------------------- */

static bool enum_has(const char *allowed, const char *v, bool nocase)
{
	size_t vl = strlen(v);
	const char *p = allowed;
	while (*p) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == vl && (nocase ? strncasecmp(p, v, l) == 0 : strncmp(p, v, l) == 0))
			return true;
		p += l + (e ? 1 : 0);
	}
	return false;
}

/* The allowed spelling that equals v ignoring case, into b. */
static void enum_case_match(const char *allowed, const char *v, struct sp_buf *b)
{
	size_t vl = strlen(v);
	const char *p = allowed;
	while (*p) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == vl && strncasecmp(p, v, l) == 0) {
			sp_buf_append(b, p, l);
			return;
		}
		p += l + (e ? 1 : 0);
	}
}

static bool proto_ok(const char *p, size_t n)
{
	static const char *const protos[] = { "HTTP", "HTTPS", "TCP", "SSL" };
	for (size_t i = 0; i < 4; i++)
		if (strlen(protos[i]) == n && strncmp(protos[i], p, n) == 0)
			return true;
	return false;
}

/* PROTO:PORT[/path]; HTTP(S) need a path for a target, TCP/SSL take none. */
static bool target_ok(const char *v, bool need_path_for_http)
{
	const char *colon = strchr(v, ':');
	if (!colon || !proto_ok(v, (size_t)(colon - v)))
		return false;
	const char *p = colon + 1;
	const char *slash = strchr(p, '/');
	size_t pl = slash ? (size_t)(slash - p) : strlen(p);
	if (pl == 0 || pl > 5)
		return false;
	int port = 0;
	for (size_t i = 0; i < pl; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		port = port * 10 + (p[i] - '0');
	}
	if (port < 1 || port > 65535)
		return false;
	bool http = strncmp(v, "HTTP", 4) == 0;
	if (http && need_path_for_http && !slash)
		return false;
	if (!http && slash && slash[1])
		return false;
	return true;
}

static bool bool_ok(const char *v)
{
	return strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0;
}

static bool int_ok(const struct sp_opt_def *o, const char *v)
{
	int64_t x;
	return sp_parse_i64(v, &x) == 0 && x >= o->min && x <= o->max;
}

/* 0 when v fits o; else an error diagnostic and SP_EINVAL. */
static int check_value(const struct sp_opt_def *o, const char *ns, const char *v,
		       struct sp_loc loc, struct sp_diags *d)
{
	bool ok = true;
	switch (o->type) {
	case SP_OPT_STRING:
	case SP_OPT_LIST:
		return 0;
	case SP_OPT_INT: ok = int_ok(o, v); break;
	case SP_OPT_BOOL: ok = bool_ok(v); break;
	case SP_OPT_ENUM: ok = enum_has(o->allowed, v, false); break;
	case SP_OPT_INT_OR: ok = int_ok(o, v) || enum_has(o->allowed, v, false); break;
	case SP_OPT_HCURL: ok = v[0] == '/' || target_ok(v, false); break;
	case SP_OPT_TARGET: ok = target_ok(v, true); break;
	}
	if (ok)
		return 0;
	struct sp_buf hint = SP_BUF_INIT(4096);
	sp_buf_puts(&hint, "allowed: ");
	put_allowed(&hint, o);
	if (o->type == SP_OPT_ENUM && enum_has(o->allowed, v, true)) {
		sp_buf_puts(&hint, " (did you mean \"");
		enum_case_match(o->allowed, v, &hint);
		sp_buf_puts(&hint, "\"?)");
	}
	char what[128];
	switch (o->type) {
	case SP_OPT_INT:
		snprintf(what, sizeof(what), "an integer from %lld to %lld", (long long)o->min,
			 (long long)o->max);
		break;
	case SP_OPT_BOOL: snprintf(what, sizeof(what), "true or false"); break;
	case SP_OPT_HCURL: snprintf(what, sizeof(what), "a health check URL"); break;
	case SP_OPT_TARGET: snprintf(what, sizeof(what), "a health check target"); break;
	default: snprintf(what, sizeof(what), "one of the allowed values"); break;
	}
	sp_diag_add(d, SP_SEV_ERROR, "EBX_OPTION_VALUE", loc, sp_buf_cstr(&hint),
		    "%s %s: \"%s\" is not %s", ns, o->name, v, what);
	sp_buf_free(&hint);
	return SP_EINVAL;
}

static bool env_name_char(unsigned char c)
{
	return isalnum(c) || strchr("_.:/+\\-@", c) != NULL;
}

static int check_env(const char *name, const char *value, struct sp_loc loc,
		     struct sp_diags *d)
{
	size_t nl = strlen(name);
	bool ok = nl > 0 && nl <= MAX_EBX_ENV_NAME;
	for (size_t i = 0; ok && i < nl; i++)
		ok = env_name_char((unsigned char)name[i]);
	if (!ok) {
		sp_diag_add(d, SP_SEV_ERROR, "EBX_ENV_NAME_INVALID", loc,
			    "use 1 to 128 characters of A-Z a-z 0-9 _ . : / + \\ - @ "
			    "(portable: [A-Z_][A-Z0-9_]*)",
			    "environment property name \"%s\" is not allowed", name);
		return SP_EINVAL;
	}
	if (strlen(value) > MAX_EBX_ENV_VALUE) {
		sp_diag_add(d, SP_SEV_ERROR, "EBX_ENV_VALUE_TOO_LONG", loc,
			    "store large values elsewhere (a file in the bundle, a secret store) "
			    "and put a reference in the property",
			    "environment property %s has a value of %zu bytes; the limit is %d",
			    name, strlen(value), MAX_EBX_ENV_VALUE);
		return SP_EINVAL;
	}
	return 0;
}

/* ---- settings ------------------------------------------------------------------------- */

struct sp_options {
	struct sp_opt_setting *items;
	size_t n, cap;
};

int sp_options_new(struct sp_options **out)
{
	struct sp_options *o = calloc(1, sizeof(*o));
	if (!o)
		return SP_ENOMEM;
	*out = o;
	return 0;
}

static void setting_free(struct sp_opt_setting *s)
{
	free(s->ns);
	free(s->name);
	free(s->value);
	free(s->file);
	free(s->path);
}

void sp_options_free(struct sp_options *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		setting_free(&o->items[i]);
	free(o->items);
	free(o);
}

static struct sp_opt_setting *find_mut(const struct sp_options *o, const char *ns,
				       const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->items[i].ns, ns) == 0 && strcmp(o->items[i].name, name) == 0)
			return &o->items[i];
	return NULL;
}

const struct sp_opt_setting *sp_options_find(const struct sp_options *o, const char *ns,
					     const char *name)
{
	return o ? find_mut(o, ns, name) : NULL;
}

/* Warns about an unknown namespace or option. */
static void warn_unknown(const char *ns, const char *name, struct sp_loc loc,
			 struct sp_diags *d)
{
	const char *cands[N_SCHEMA + N_UNSUPPORTED];
	size_t n = 0;
	if (!sp_opt_namespace_known(ns)) {
		if (ns_unsupported(ns)) {
			sp_diag_add(d, SP_SEV_WARNING, "EBX_NAMESPACE_UNSUPPORTED", loc,
				    "sprout runs containers on ECS-style instances; this setting "
				    "has no effect here (see docs/options.md)",
				    "%s:%s is an Elastic Beanstalk option sprout does not apply",
				    ns, name);
			return;
		}
		for (size_t i = 0; i < N_SCHEMA; i++)
			if (n == 0 || strcmp(cands[n - 1], schema[i].ns) != 0)
				cands[n++] = schema[i].ns;
		const char *near = sp_suggest(ns, cands, n);
		char hint[512];
		if (near)
			snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
		else
			snprintf(hint, sizeof(hint), "the namespaces are listed in docs/options.md");
		sp_diag_add(d, SP_SEV_WARNING, "EBX_NAMESPACE_UNKNOWN", loc, hint,
			    "unknown option namespace \"%s\" (option %s is ignored)", ns, name);
		return;
	}
	const char *s = schema_ns(ns);
	for (size_t i = 0; i < N_SCHEMA; i++)
		if (strcmp(schema[i].ns, s) == 0)
			cands[n++] = schema[i].name;
	const char *near = sp_suggest(name, cands, n);
	if (ns_unsupported(ns)) {
		/* A namespace sprout applies in part (aws:autoscaling:launchconfiguration): its
		 * other options are EB's, not typos, unless one is close to an applied one. */
		struct sp_buf h = SP_BUF_INIT(4096);
		if (near)
			sp_buf_printf(&h, "did you mean \"%s\"? ", near);
		sp_buf_puts(&h, "sprout applies only ");
		for (size_t i = 0; i < n; i++)
			sp_buf_printf(&h, "%s%s", i ? ", " : "", cands[i]);
		sp_buf_printf(&h, " of %s; this setting has no effect here (see docs/options.md)",
			      s);
		sp_diag_add(d, SP_SEV_WARNING, "EBX_NAMESPACE_UNSUPPORTED", loc, sp_buf_cstr(&h),
			    "%s:%s is an Elastic Beanstalk option sprout does not apply", ns, name);
		sp_buf_free(&h);
		return;
	}
	const char *elsewhere = NULL;
	for (size_t i = 0; i < N_SCHEMA && !elsewhere; i++)
		if (strcmp(schema[i].name, name) == 0)
			elsewhere = schema[i].ns;
	struct sp_buf hint = SP_BUF_INIT(4096);
	if (elsewhere)
		sp_buf_printf(&hint, "%s is an option of %s", name, elsewhere);
	else if (near)
		sp_buf_printf(&hint, "did you mean \"%s\"?", near);
	else {
		sp_buf_printf(&hint, "options of %s: ", s);
		for (size_t i = 0; i < n; i++)
			sp_buf_printf(&hint, "%s%s", i ? ", " : "", cands[i]);
	}
	sp_diag_add(d, SP_SEV_WARNING, "EBX_OPTION_UNKNOWN", loc, sp_buf_cstr(&hint),
		    "unknown option %s in namespace %s (ignored)", name, ns);
	sp_buf_free(&hint);
}

/* Canonical spelling of a value (booleans lower case). */
static char *canonical(const struct sp_opt_def *def, const char *value)
{
	if (def && def->type == SP_OPT_BOOL)
		return sp_strdup(strcasecmp(value, "true") == 0 ? "true" : "false");
	return sp_strdup(value);
}

int sp_options_set(struct sp_options *o, enum sp_opt_level level, const char *ns,
		   const char *name, const char *value, struct sp_loc loc, struct sp_diags *d)
{
	const struct sp_opt_def *def = sp_opt_lookup(ns, name);
	if (strncmp(ns, "aws:elb:listener:", 17) == 0 && !sp_opt_listener_port(ns)) {
		sp_diag_add(d, SP_SEV_ERROR, "EBX_LISTENER_PORT", loc,
			    "write the load balancer port: aws:elb:listener:8080",
			    "\"%s\": a listener namespace needs a port from 1 to 65535", ns);
		return 0;
	}
	if (strcmp(ns, SP_NS_ENV) == 0) {
		if (check_env(name, value, loc, d) != 0)
			return 0;
	} else if (strcmp(ns, SP_NS_CUSTOM) == 0) {
		/* any name, any value */
	} else if (def) {
		if (check_value(def, ns, value, loc, d) != 0)
			return 0;
	} else {
		warn_unknown(ns, name, loc, d);
	}
	struct sp_opt_setting *s = find_mut(o, ns, name);
	if (s) {
		if (s->level > level)
			return 0;
		if (s->level == level && level == SP_OPT_LEVEL_EBEXT) {
			char hint[1024];
			snprintf(hint, sizeof(hint), "the earlier value \"%s\" was set at %s:%d:%d",
				 s->value, s->file ? s->file : "?", s->line, s->column);
			sp_diag_add(d, SP_SEV_NOTE, "EBX_OPTION_OVERRIDDEN", loc, hint,
				    "%s:%s = \"%s\" overrides an earlier .ebextensions value", ns,
				    name, value);
		}
		char *v = canonical(def, value);
		char *f = loc.file ? sp_strdup(loc.file) : NULL;
		char *p = sp_strdup(loc.path ? loc.path : "");
		if (!v || (loc.file && !f) || !p) {
			free(v);
			free(f);
			free(p);
			return SP_ENOMEM;
		}
		free(s->value);
		free(s->file);
		free(s->path);
		s->value = v;
		s->file = f;
		s->path = p;
		s->level = level;
		s->line = loc.line;
		s->column = loc.column;
		return 0;
	}
	if (o->n >= MAX_EBX_OPTIONS) {
		sp_diag_add(d, SP_SEV_ERROR, "EBX_TOO_MANY_OPTIONS", loc, NULL,
			    "more than %d option settings", MAX_EBX_OPTIONS);
		return SP_ETOOBIG;
	}
	if (o->n == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 32;
		struct sp_opt_setting *ni = realloc(o->items, nc * sizeof(*ni));
		if (!ni)
			return SP_ENOMEM;
		o->items = ni;
		o->cap = nc;
	}
	struct sp_opt_setting ns_ = { 0 };
	ns_.ns = sp_strdup(ns);
	ns_.name = sp_strdup(name);
	ns_.value = canonical(def, value);
	ns_.file = loc.file ? sp_strdup(loc.file) : NULL;
	ns_.path = sp_strdup(loc.path ? loc.path : "");
	ns_.level = level;
	ns_.line = loc.line;
	ns_.column = loc.column;
	if (!ns_.ns || !ns_.name || !ns_.value || (loc.file && !ns_.file) || !ns_.path) {
		setting_free(&ns_);
		return SP_ENOMEM;
	}
	o->items[o->n++] = ns_;
	return 0;
}

int sp_options_set_arg(struct sp_options *o, enum sp_opt_level level, const char *arg,
		       const char *origin, struct sp_diags *d)
{
	struct sp_loc loc = { origin, 0, 0, "" };
	const char *eq = strchr(arg, '=');
	const char *colon = NULL;
	for (const char *p = arg; eq && p < eq; p++)
		if (*p == ':')
			colon = p;
	if (!eq || !colon || colon == arg || colon + 1 == eq) {
		sp_diag_add(d, SP_SEV_ERROR, "EBX_OPTION_SYNTAX", loc,
			    "write NAMESPACE:OPTION=VALUE, e.g. aws:autoscaling:asg:MinSize=2",
			    "\"%s\" is not an option setting", arg);
		return SP_EINVAL;
	}
	char *ns = sp_strndup(arg, (size_t)(colon - arg));
	char *name = sp_strndup(colon + 1, (size_t)(eq - colon - 1));
	int rc = ns && name ? sp_options_set(o, level, ns, name, eq + 1, loc, d) : SP_ENOMEM;
	free(ns);
	free(name);
	return rc;
}

const char *sp_options_get(const struct sp_options *o, const char *ns, const char *name)
{
	const struct sp_opt_setting *s = sp_options_find(o, ns, name);
	if (s)
		return s->value;
	const struct sp_opt_def *def = sp_opt_lookup(ns, name);
	return def ? def->def : NULL;
}

int64_t sp_options_get_int(const struct sp_options *o, const char *ns, const char *name,
			   int64_t fallback)
{
	const char *v = sp_options_get(o, ns, name);
	int64_t x;
	if (!v || sp_parse_i64(v, &x) != 0)
		return fallback;
	return x;
}

bool sp_options_get_bool(const struct sp_options *o, const char *ns, const char *name,
			 bool fallback)
{
	const char *v = sp_options_get(o, ns, name);
	if (!v || !bool_ok(v))
		return fallback;
	return strcasecmp(v, "true") == 0;
}

size_t sp_options_count(const struct sp_options *o)
{
	return o ? o->n : 0;
}

const struct sp_opt_setting *sp_options_at(const struct sp_options *o, size_t i)
{
	return o && i < o->n ? &o->items[i] : NULL;
}

int sp_options_check(const struct sp_options *o, struct sp_diags *d)
{
	size_t total = 0;
	const struct sp_opt_setting *last = NULL;
	for (size_t i = 0; i < o->n; i++) {
		const struct sp_opt_setting *s = &o->items[i];
		if (strcmp(s->ns, SP_NS_ENV) != 0)
			continue;
		total += strlen(s->name) + 1 + strlen(s->value);
		last = s;
	}
	if (total > MAX_EBX_ENV_TOTAL) {
		struct sp_loc loc = { last->file, last->line, last->column, last->path };
		sp_diag_add(d, SP_SEV_ERROR, "EBX_ENV_TOO_LARGE", loc,
			    "Elastic Beanstalk limits all key=value environment properties to 4096 "
			    "bytes together; move large values into files of the bundle",
			    "environment properties take %zu bytes; the limit is %d", total,
			    MAX_EBX_ENV_TOTAL);
	}
	return 0;
}
