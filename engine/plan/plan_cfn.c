/* plan_cfn.c — the plan as one complete CloudFormation template (`sprout plan --format
 * cloudformation`) using Elastic Beanstalk's logical IDs, with the user's Resources,
 * Outputs, Mappings and Parameters merged in. EB's own resources that a user re-declares
 * are merged property by property (SecurityGroupIngress lists are concatenated). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan/plan_int.h"
#include "engine/base/banned.h"

#define ECS_AMI_PARAMETER "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"

/* Maps whose keys are the user's (labels, driver options), not API field names. */
static bool free_keys(const char *key)
{
	return strcmp(key, "dockerLabels") == 0 || strcmp(key, "options") == 0 ||
	       strcmp(key, "driverOpts") == 0 || strcmp(key, "labels") == 0;
}

/* ECS API JSON (camelCase) -> CloudFormation (PascalCase). */
static json_t *pascal(const json_t *j, bool keep_keys)
{
	if (json_is_object(j)) {
		json_t *o = json_object();
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)j, k, v) {
			char key[256];
			snprintf(key, sizeof(key), "%s", k);
			if (!keep_keys)
				key[0] = (char)toupper((unsigned char)key[0]);
			json_t *c = pascal(v, !keep_keys && free_keys(k));
			if (!o || !c || json_object_set_new(o, key, c)) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	if (json_is_array(j)) {
		json_t *a = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v) {
			json_t *c = pascal(v, false);
			if (!a || !c || json_array_append_new(a, c)) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	return json_deep_copy(j);
}

static json_t *ref(const char *id)
{
	return json_pack("{s:s}", "Ref", id);
}

static json_t *getatt(const char *id, const char *attr)
{
	return json_pack("{s:[s,s]}", "Fn::GetAtt", id, attr);
}

static json_t *num_text(int n)
{
	char b[32];
	snprintf(b, sizeof(b), "%d", n);
	return json_string(b);
}

static json_t *rule_json(const struct sp_plan_rule *r)
{
	json_t *j = json_pack("{s:s}", "IpProtocol", r->protocol);
	if (!j)
		return NULL;
	if (strcmp(r->protocol, "-1") != 0) {
		json_object_set_new(j, "FromPort", json_integer(r->from_port));
		json_object_set_new(j, "ToPort", json_integer(r->to_port));
	}
	if (r->cidr)
		json_object_set_new(j, strchr(r->cidr, ':') ? "CidrIpv6" : "CidrIp",
				    json_string(r->cidr));
	else
		json_object_set_new(j, "SourceSecurityGroupId",
				    getatt(plan_sg_logical_id(r->source), "GroupId"));
	return j;
}

static json_t *security_group(const struct sp_plan *p, enum sp_plan_sg g)
{
	json_t *ingress = json_array();
	for (size_t i = 0; ingress && i < p->n_rules; i++)
		if (p->rules[i].group == g && p->rules[i].is_default)
			json_array_append_new(ingress, rule_json(&p->rules[i]));
	char desc[300];
	snprintf(desc, sizeof(desc), "%s security group of environment %s",
		 g == SP_PLAN_SG_LB ? "Load balancer" : "Instance", p->env_name);
	return json_pack("{s:s,s:{s:s,s:o}}", "Type", "AWS::EC2::SecurityGroup", "Properties",
			 "GroupDescription", desc, "SecurityGroupIngress", ingress);
}

static json_t *load_balancer(const struct sp_plan *p)
{
	json_t *ls = json_array();
	for (size_t i = 0; ls && i < p->n_listeners; i++) {
		const struct sp_plan_listener *l = &p->listeners[i];
		json_t *j = json_pack("{s:o,s:o,s:s,s:s}", "LoadBalancerPort", num_text(l->port),
				      "InstancePort", num_text(l->instance_port), "Protocol",
				      l->protocol, "InstanceProtocol", l->instance_protocol);
		if (j && l->ssl_certificate_id)
			json_object_set_new(j, "SSLCertificateId", json_string(l->ssl_certificate_id));
		if (j && l->policy_names) {
			json_t *names = json_array();
			const char *s = l->policy_names;
			while (names && *s) {
				const char *c = strchr(s, ',');
				size_t n = c ? (size_t)(c - s) : strlen(s);
				while (n && isspace((unsigned char)*s)) {
					s++;
					n--;
				}
				while (n && isspace((unsigned char)s[n - 1]))
					n--;
				if (n)
					json_array_append_new(names, json_stringn(s, n));
				s += (c ? (size_t)(c - s) + 1 : strlen(s));
			}
			json_object_set_new(j, "PolicyNames", names);
		}
		json_array_append_new(ls, j);
	}
	return json_pack(
		"{s:s,s:{s:{s:s},s:o,s:{s:s,s:o,s:o,s:o,s:o},s:[o],s:b,s:{s:b,s:i},s:{s:i}}}",
		"Type", "AWS::ElasticLoadBalancing::LoadBalancer", "Properties", "AvailabilityZones",
		"Fn::GetAZs", "", "Listeners", ls, "HealthCheck", "Target", p->health.target,
		"HealthyThreshold", num_text(p->health.healthy), "UnhealthyThreshold",
		num_text(p->health.unhealthy), "Interval", num_text(p->health.interval), "Timeout",
		num_text(p->health.timeout), "SecurityGroups",
		getatt("AWSEBLoadBalancerSecurityGroup", "GroupId"), "CrossZone", p->cross_zone,
		"ConnectionDrainingPolicy", "Enabled", p->draining, "Timeout", p->draining_timeout,
		"ConnectionSettings", "IdleTimeout", p->idle_timeout);
}

static json_t *task_definition(const struct sp_plan *p)
{
	json_t *props = pascal(p->taskdef, false);
	if (!props)
		return NULL;
	/* Environment properties built with backtick functions keep their functions. */
	size_t i;
	json_t *def;
	json_array_foreach(json_object_get(props, "ContainerDefinitions"), i, def) {
		size_t k;
		json_t *e;
		json_array_foreach(json_object_get(def, "Environment"), k, e) {
			const char *n = json_string_value(json_object_get(e, "Name"));
			json_t *cv = n ? json_object_get(p->env_cfn, n) : NULL;
			if (cv && json_is_object(cv))
				json_object_set(e, "Value", cv);
		}
	}
	json_object_set_new(props, "RequiresCompatibilities", json_pack("[s]", "EC2"));
	return json_pack("{s:s,s:o}", "Type", "AWS::ECS::TaskDefinition", "Properties", props);
}

static json_t *launch_template(const struct sp_plan *p)
{
	json_t *t = json_pack(
		"{s:s,s:{s:{s:o,s:o,s:{s:o},s:[o],s:{s:{s:[s,[s,o,s]]}}}}}", "Type",
		"AWS::EC2::LaunchTemplate", "Properties", "LaunchTemplateData", "ImageId",
		ref("AWSEBInstanceImageId"), "InstanceType", ref("AWSEBInstanceType"),
		"IamInstanceProfile", "Name", ref("AWSEBInstanceProfile"), "SecurityGroupIds",
		getatt("AWSEBSecurityGroup", "GroupId"), "UserData", "Fn::Base64", "Fn::Join", "",
		"#!/bin/bash\necho ECS_CLUSTER=", ref("AWSEBECSCluster"), " >> /etc/ecs/ecs.config\n");
	/* aws:autoscaling:launchconfiguration EC2KeyName */
	if (t && p->launch.ec2_key_name)
		json_object_set_new(json_object_get(json_object_get(t, "Properties"),
						    "LaunchTemplateData"),
				    "KeyName", json_string(p->launch.ec2_key_name));
	return t;
}

static json_t *auto_scaling_group(const struct sp_plan *p)
{
	json_t *g = json_pack("{s:s,s:{s:o,s:o,s:o,s:{s:s},s:{s:o,s:o},s:s}}", "Type",
			      "AWS::AutoScaling::AutoScalingGroup", "Properties", "MinSize",
			      num_text(p->min_size), "MaxSize", num_text(p->max_size), "Cooldown",
			      num_text(p->cooldown), "AvailabilityZones", "Fn::GetAZs", "",
			      "LaunchTemplate", "LaunchTemplateId", ref("AWSEBEC2LaunchTemplate"),
			      "Version", getatt("AWSEBEC2LaunchTemplate", "LatestVersionNumber"),
			      "HealthCheckType", "EC2");
	if (g)
		json_object_set_new(json_object_get(g, "Properties"), "Tags",
				    json_pack("[{s:s,s:o,s:b}]", "Key",
					      "elasticbeanstalk:environment-name", "Value",
					      ref("AWSEBEnvironmentName"), "PropagateAtLaunch", 1));
	if (g && p->load_balanced)
		json_object_set_new(json_object_get(g, "Properties"), "LoadBalancerNames",
				    json_pack("[o]", ref("AWSEBLoadBalancer")));
	return g;
}

/* The instance parameters default to aws:autoscaling:launchconfiguration's settings. */
static json_t *parameters(const struct sp_plan *p)
{
	const char *image = p->launch.image_id;
	return json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:s,s:s},s:{s:s,s:s,s:s},s:{s:s,s:s,s:s}}",
			 "AWSEBEnvironmentName", "Type", "String", "Default", p->env_name,
			 "Description", "Name of the environment",
			 "AWSEBInstanceImageId", "Type",
			 image ? "AWS::EC2::Image::Id"
			       : "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
			 "Default", image ? image : ECS_AMI_PARAMETER, "Description",
			 "ECS-optimized AMI of the instances",
			 "AWSEBInstanceType", "Type", "String", "Default",
			 p->launch.instance_type ? p->launch.instance_type : "t3.small",
			 "Description", "EC2 instance type",
			 "AWSEBInstanceProfile", "Type", "String", "Default",
			 p->launch.iam_instance_profile ? p->launch.iam_instance_profile
							: "aws-elasticbeanstalk-ec2-role",
			 "Description", "Instance profile allowed to join the ECS cluster");
}

/* EB's resource `id` re-declared by the user: properties merged, ingress lists joined. */
static void merge_into(json_t *res, const char *id, json_t *user)
{
	json_t *own = json_object_get(res, id);
	if (!own || !json_is_object(user)) {
		json_object_set(res, id, user);
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach(user, k, v) {
		json_t *ov = json_object_get(own, k);
		if (strcmp(k, "Properties") == 0 && json_is_object(ov) && json_is_object(v)) {
			const char *pk;
			json_t *pv;
			json_object_foreach(v, pk, pv) {
				json_t *old = json_object_get(ov, pk);
				if (strcmp(pk, "SecurityGroupIngress") == 0 && json_is_array(old) &&
				    json_is_array(pv))
					json_array_extend(old, pv);
				else
					json_object_set(ov, pk, pv);
			}
		} else if (strcmp(k, "Metadata") == 0 && json_is_object(ov) && json_is_object(v)) {
			json_object_update(ov, v);
		} else {
			json_object_set(own, k, v);
		}
	}
}

int sp_plan_to_cloudformation(const struct sp_plan *p, json_t **out)
{
	json_t *t = NULL, *res = json_object();
	char desc[300];
	snprintf(desc, sizeof(desc), "Elastic Beanstalk-style environment %s (sprout plan)",
		 p->env_name);
	if (!res)
		return SP_ENOMEM;
	json_object_set_new(res, "AWSEBECSCluster",
			    json_pack("{s:s,s:{s:s}}", "Type", "AWS::ECS::Cluster", "Properties",
				      "ClusterName", p->cluster_name));
	if (p->taskdef) {
		json_object_set_new(res, "AWSEBECSTaskDefinition", task_definition(p));
		json_object_set_new(res, "AWSEBECSService",
				    json_pack("{s:s,s:s,s:{s:o,s:o,s:s,s:s}}", "Type",
					      "AWS::ECS::Service", "DependsOn",
					      "AWSEBAutoScalingGroup", "Properties", "Cluster",
					      ref("AWSEBECSCluster"), "TaskDefinition",
					      ref("AWSEBECSTaskDefinition"), "SchedulingStrategy",
					      "DAEMON", "LaunchType", "EC2"));
	}
	json_object_set_new(res, "AWSEBSecurityGroup", security_group(p, SP_PLAN_SG_INSTANCE));
	if (p->load_balanced) {
		json_object_set_new(res, "AWSEBLoadBalancerSecurityGroup",
				    security_group(p, SP_PLAN_SG_LB));
		json_object_set_new(res, "AWSEBLoadBalancer", load_balancer(p));
	}
	json_object_set_new(res, "AWSEBEC2LaunchTemplate", launch_template(p));
	json_object_set_new(res, "AWSEBAutoScalingGroup", auto_scaling_group(p));
	const char *k;
	json_t *v;
	json_object_foreach(p->user_resources, k, v)
		merge_into(res, k, v);

	json_t *params = parameters(p);
	json_t *outputs = json_object();
	if (!params || !outputs) {
		json_decref(params);
		json_decref(outputs);
		json_decref(res);
		return SP_ENOMEM;
	}
	json_object_update(params, p->user_parameters);
	if (p->load_balanced)
		json_object_set_new(outputs, "EnvironmentURL",
				    json_pack("{s:s,s:o}", "Description",
					      "DNS name of the load balancer", "Value",
					      getatt("AWSEBLoadBalancer", "DNSName")));
	json_object_update(outputs, p->user_outputs);
	t = json_pack("{s:s,s:s,s:o,s:o}", "AWSTemplateFormatVersion", "2010-09-09",
		      "Description", desc, "Parameters", params, "Resources", res);
	if (!t) {
		json_decref(outputs);
		return SP_ENOMEM;
	}
	if (json_object_size(p->user_mappings))
		json_object_set(t, "Mappings", p->user_mappings);
	if (json_object_size(outputs))
		json_object_set(t, "Outputs", outputs);
	json_decref(outputs);
	*out = t;
	return 0;
}
