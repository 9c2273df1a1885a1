/* codes.c — every PLAN_* diagnostic with its meaning and fix (docs/diagnostics.md). */
#include <stddef.h>

#include "engine/plan/plan.h"
#include "engine/base/banned.h"

const struct sp_code_doc sp_plan_codes[] = {
	{ "PLAN_ASG_SIZE", "error", "aws:autoscaling:asg MinSize is greater than MaxSize", "Lower MinSize or raise MaxSize." },
	{ "PLAN_BATCH_SIZE", "error", "a Fixed BatchSize above MaxSize, or a Percentage BatchSize above 100", "Set BatchSize within 1..MaxSize (Fixed) or 1..100 (Percentage)." },
	{ "PLAN_ENV_NAME", "error", "the environment name is not 4-40 letters, digits and hyphens", "Choose a name such as `my-app-prod`." },
	{ "PLAN_ENV_UNRESOLVED", "warning", "an environment property uses a backtick function only CloudFormation can evaluate (a Ref to a user resource)", "Nothing for the CloudFormation export; locally the text is passed as written." },
	{ "PLAN_HEALTHCHECK_PORT", "error", "the health check probes an instance port no container publishes", "Point `Application Healthcheck URL` (or aws:elb:healthcheck Target) at a published hostPort." },
	{ "PLAN_INGRESS_UNRESOLVED", "warning", "an ingress rule on an EB security group whose ports cannot be evaluated", "Write FromPort and ToPort as numbers (or give the parameter a Default)." },
	{ "PLAN_LB_TYPE", "warning", "LoadBalancerType application or network: sprout plans a classic load balancer", "Use aws:elb:listener options; aws:elbv2:* settings are not applied." },
	{ "PLAN_LISTENER_CERTIFICATE", "error", "an HTTPS or SSL listener without SSLCertificateId", "Set SSLCertificateId of the listener's namespace." },
	{ "PLAN_LISTENER_DUPLICATE", "error", "two listeners on one load balancer port (e.g. LoadBalancerHTTPSPort 443 and aws:elb:listener:443)", "Keep one of the two definitions." },
	{ "PLAN_LISTENER_NO_CONTAINER", "error", "an enabled listener forwards to an instance port that no container publishes as hostPort", "Add the hostPort to a container's portMappings, or change InstancePort (the hint lists the published ports)." },
	{ "PLAN_LISTENER_NO_INGRESS", "error", "a listener's InstancePort is opened by no ingress rule of AWSEBSecurityGroup", "Add the AWS::EC2::SecurityGroupIngress resource printed in the hint to a .ebextensions file." },
	{ "PLAN_LISTENER_PROTOCOL", "error", "a listener's protocol and instance protocol are of different layers, or one instance port is reached with two instance protocols", "Use HTTP/HTTPS with HTTP/HTTPS and TCP/SSL with TCP/SSL; one InstanceProtocol per InstancePort." },
	{ "PLAN_RESOURCE_NOT_IN_ENV", "warning", "a Resources entry overrides an EB resource this environment does not have (e.g. AWSEBLoadBalancer in a single instance, AWSEBV2* on a classic load balancer)", "Remove it; it is left out of the CloudFormation export." },
};
const size_t sp_plan_codes_count = sizeof(sp_plan_codes) / sizeof(sp_plan_codes[0]);
