/* plan_check.c — the cross-checks Elastic Beanstalk never makes: each mismatch between the
 * listeners, the security group rules, the containers' host ports and the scaling options
 * becomes a located PLAN_* diagnostic whose hint is the exact fix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan/plan_int.h"
#include "engine/base/banned.h"

const char *plan_sg_logical_id(enum sp_plan_sg g)
{
	switch (g) {
	case SP_PLAN_SG_INSTANCE: return "AWSEBSecurityGroup";
	case SP_PLAN_SG_LB: return "AWSEBLoadBalancerSecurityGroup";
	default: return "";
	}
}

const struct sp_opt_setting *plan_setting(const struct sp_plan *p, const char *ns,
					  const char *name)
{
	for (size_t i = 0; i < p->n_settings; i++)
		if (strcmp(p->settings[i].ns, ns) == 0 && strcmp(p->settings[i].name, name) == 0)
			return &p->settings[i];
	return NULL;
}

bool plan_port_served(const struct sp_plan *p, int port)
{
	for (size_t i = 0; i < p->n_containers; i++)
		for (size_t j = 0; j < p->containers[i].n_host_ports; j++)
			if (p->containers[i].host_ports[j] == port)
				return true;
	return false;
}

bool plan_rule_opens(const struct sp_plan_rule *r, int port)
{
	if (r->group != SP_PLAN_SG_INSTANCE)
		return false;
	if (strcmp(r->protocol, "tcp") != 0 && strcmp(r->protocol, "-1") != 0)
		return false;
	bool all = strcmp(r->protocol, "-1") == 0 || (r->from_port == -1 && r->to_port == -1);
	if (!all && (port < r->from_port || port > r->to_port))
		return false;
	return r->cidr != NULL || r->source == SP_PLAN_SG_LB;
}

static struct sp_loc loc_of(const struct sp_plan_origin *o)
{
	return (struct sp_loc){ o->file, o->line, o->column, o->path ? o->path : "" };
}

static struct sp_loc loc_setting(const struct sp_opt_setting *s)
{
	if (!s)
		return (struct sp_loc){ NULL, 0, 0, "" };
	return (struct sp_loc){ s->file, s->line, s->column, s->path };
}

static void served_ports(const struct sp_plan *p, struct sp_buf *b)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_containers; i++)
		for (size_t j = 0; j < p->containers[i].n_host_ports; j++)
			sp_buf_printf(b, "%s%d (%s)", n++ ? ", " : "", p->containers[i].host_ports[j],
				      p->containers[i].name);
	if (!n)
		sp_buf_puts(b, "none: no container has a portMappings hostPort");
}

static void check_listener_containers(const struct sp_plan *p, struct sp_diags *d)
{
	if (!p->taskdef)
		return; /* no Dockerrun model: nothing to compare with */
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sp_plan_listener *l = &p->listeners[i];
		if (plan_port_served(p, l->instance_port))
			continue;
		struct sp_buf hint = SP_BUF_INIT(8192);
		sp_buf_printf(&hint,
			      "add {\"hostPort\": %d, \"containerPort\": <the port the app listens "
			      "on>} to the portMappings of the container that serves it in "
			      "Dockerrun.aws.json, or set %s InstancePort to a published host port "
			      "(published: ",
			      l->instance_port, l->origin.what ? l->origin.what : "aws:elb:listener");
		served_ports(p, &hint);
		sp_buf_puts(&hint, ")");
		sp_diag_add(d, SP_SEV_ERROR, "PLAN_LISTENER_NO_CONTAINER", loc_of(&l->origin),
			    sp_buf_cstr(&hint),
			    "listener %d (%s) forwards to instance port %d, which no container "
			    "publishes as a hostPort",
			    l->port, l->protocol, l->instance_port);
		sp_buf_free(&hint);
	}
}

static void check_listener_ingress(const struct sp_plan *p, struct sp_diags *d)
{
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sp_plan_listener *l = &p->listeners[i];
		bool seen = false, open = false;
		for (size_t j = 0; j < i; j++)
			seen |= p->listeners[j].instance_port == l->instance_port;
		for (size_t j = 0; j < p->n_rules; j++)
			open |= plan_rule_opens(&p->rules[j], l->instance_port);
		if (seen || open)
			continue;
		char hint[2048];
		snprintf(hint, sizeof(hint),
			 "add this to a file in .ebextensions (e.g. .ebextensions/listeners.config):\n"
			 "Resources:\n"
			 "  port%dSecurityGroupIngress:\n"
			 "    Type: AWS::EC2::SecurityGroupIngress\n"
			 "    Properties:\n"
			 "      GroupId: {\"Fn::GetAtt\": [\"AWSEBSecurityGroup\", \"GroupId\"]}\n"
			 "      IpProtocol: tcp\n"
			 "      FromPort: %d\n"
			 "      ToPort: %d\n"
			 "      SourceSecurityGroupName: {\"Fn::GetAtt\": [\"AWSEBLoadBalancer\", "
			 "\"SourceSecurityGroup.GroupName\"]}",
			 l->instance_port, l->instance_port, l->instance_port);
		sp_diag_add(d, SP_SEV_ERROR, "PLAN_LISTENER_NO_INGRESS", loc_of(&l->origin), hint,
			    "listener %d forwards to instance port %d, but no ingress rule of "
			    "AWSEBSecurityGroup lets the load balancer reach it",
			    l->port, l->instance_port);
	}
}

static void check_listener_ports(const struct sp_plan *p, struct sp_diags *d)
{
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sp_plan_listener *l = &p->listeners[i];
		for (size_t j = 0; j < i; j++) {
			const struct sp_plan_listener *o = &p->listeners[j];
			if (o->port != l->port)
				continue;
			char hint[512];
			snprintf(hint, sizeof(hint), "keep one of them: remove the %s settings or the %s "
				 "ones", o->origin.what ? o->origin.what : "?",
				 l->origin.what ? l->origin.what : "?");
			sp_diag_add(d, SP_SEV_ERROR, "PLAN_LISTENER_DUPLICATE", loc_of(&l->origin), hint,
				    "two listeners on load balancer port %d (%s and %s)", l->port,
				    o->origin.what ? o->origin.what : "?",
				    l->origin.what ? l->origin.what : "?");
			break;
		}
	}
}

static bool http_layer(const char *proto)
{
	return strcmp(proto, "HTTP") == 0 || strcmp(proto, "HTTPS") == 0;
}

static void check_listener_protocols(const struct sp_plan *p, struct sp_diags *d)
{
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sp_plan_listener *l = &p->listeners[i];
		if (http_layer(l->protocol) != http_layer(l->instance_protocol)) {
			char hint[512];
			snprintf(hint, sizeof(hint), "set %s InstanceProtocol to %s, or change "
				 "ListenerProtocol", l->origin.what ? l->origin.what : "?",
				 http_layer(l->protocol) ? "HTTP or HTTPS" : "TCP or SSL");
			sp_diag_add(d, SP_SEV_ERROR, "PLAN_LISTENER_PROTOCOL", loc_of(&l->origin), hint,
				    "listener %d speaks %s but forwards %s to the instances; both "
				    "must be HTTP/HTTPS or both TCP/SSL",
				    l->port, l->protocol, l->instance_protocol);
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const struct sp_plan_listener *o = &p->listeners[j];
			if (o->instance_port != l->instance_port ||
			    strcmp(o->instance_protocol, l->instance_protocol) == 0)
				continue;
			char hint[512];
			snprintf(hint, sizeof(hint), "use one InstanceProtocol for instance port %d "
				 "(listener %d uses %s)", l->instance_port, o->port,
				 o->instance_protocol);
			sp_diag_add(d, SP_SEV_ERROR, "PLAN_LISTENER_PROTOCOL", loc_of(&l->origin), hint,
				    "listener %d forwards %s to instance port %d, which listener %d "
				    "reaches with %s",
				    l->port, l->instance_protocol, l->instance_port, o->port,
				    o->instance_protocol);
			break;
		}
	}
}

static void check_listener_certificates(const struct sp_plan *p, struct sp_diags *d)
{
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sp_plan_listener *l = &p->listeners[i];
		if ((strcmp(l->protocol, "HTTPS") && strcmp(l->protocol, "SSL")) ||
		    l->ssl_certificate_id)
			continue;
		char hint[512];
		snprintf(hint, sizeof(hint), "set %s SSLCertificateId to the certificate's ARN",
			 l->origin.what ? l->origin.what : "?");
		sp_diag_add(d, SP_SEV_ERROR, "PLAN_LISTENER_CERTIFICATE", loc_of(&l->origin), hint,
			    "listener %d is %s but has no certificate", l->port, l->protocol);
	}
}

static void check_health(const struct sp_plan *p, struct sp_diags *d)
{
	if (!p->load_balanced || !p->taskdef || !p->health.target)
		return;
	if (plan_port_served(p, p->health.port))
		return;
	struct sp_buf hint = SP_BUF_INIT(4096);
	if (p->n_listeners)
		sp_buf_printf(&hint, "point the check at a published port, e.g. "
				     "aws:elasticbeanstalk:application Application Healthcheck URL: "
				     "HTTP:%d/ (published: ",
			      p->listeners[0].instance_port);
	else
		sp_buf_puts(&hint, "point the check at a published port (published: ");
	served_ports(p, &hint);
	sp_buf_puts(&hint, ")");
	sp_diag_add(d, SP_SEV_ERROR, "PLAN_HEALTHCHECK_PORT", loc_of(&p->health.origin),
		    sp_buf_cstr(&hint),
		    "the health check %s probes instance port %d, which no container publishes",
		    p->health.target, p->health.port);
	sp_buf_free(&hint);
}

static void check_sizes(const struct sp_plan *p, struct sp_diags *d)
{
	if (!p->load_balanced)
		return;
	if (p->min_size > p->max_size) {
		const struct sp_opt_setting *s = plan_setting(p, "aws:autoscaling:asg", "MinSize");
		if (!s)
			s = plan_setting(p, "aws:autoscaling:asg", "MaxSize");
		char hint[256];
		snprintf(hint, sizeof(hint), "set aws:autoscaling:asg MinSize to at most %d or "
			 "MaxSize to at least %d", p->max_size, p->min_size);
		sp_diag_add(d, SP_SEV_ERROR, "PLAN_ASG_SIZE", loc_setting(s), hint,
			    "MinSize %d is greater than MaxSize %d", p->min_size, p->max_size);
	}
	const struct sp_opt_setting *bs = plan_setting(p, "aws:elasticbeanstalk:command", "BatchSize");
	if (!bs)
		bs = plan_setting(p, "aws:elasticbeanstalk:command", "BatchSizeType");
	bool fixed = p->deploy.batch_size_type && strcmp(p->deploy.batch_size_type, "Fixed") == 0;
	if (fixed && p->deploy.batch_size > p->max_size) {
		char hint[256];
		snprintf(hint, sizeof(hint), "set aws:elasticbeanstalk:command BatchSize to 1..%d, "
			 "or use BatchSizeType Percentage", p->max_size);
		sp_diag_add(d, SP_SEV_ERROR, "PLAN_BATCH_SIZE", loc_setting(bs), hint,
			    "a Fixed batch of %d instances is more than MaxSize %d",
			    p->deploy.batch_size, p->max_size);
	} else if (!fixed && p->deploy.batch_size > 100) {
		sp_diag_add(d, SP_SEV_ERROR, "PLAN_BATCH_SIZE", loc_setting(bs),
			    "a Percentage batch size is 1..100; for a number of instances set "
			    "BatchSizeType Fixed",
			    "BatchSize %d is more than 100 percent", p->deploy.batch_size);
	}
}

int sp_plan_check(const struct sp_plan *p, struct sp_diags *d)
{
	check_listener_ports(p, d);
	check_listener_protocols(p, d);
	check_listener_certificates(p, d);
	check_listener_containers(p, d);
	check_listener_ingress(p, d);
	check_health(p, d);
	check_sizes(p, d);
	return 0;
}
