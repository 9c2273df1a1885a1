/* plan_json.c — the plan as the AWS API requests that would create it (`sprout plan
 * --json`): field names and shapes are those of the ECS, EC2, Elastic Load Balancing and
 * Auto Scaling APIs, so the AWS driver sends them as they are (adding what only the account
 * knows: subnets or availability zones, the launch template). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan/plan_int.h"
#include "engine/base/banned.h"

static int add_request(json_t *reqs, const char *service, const char *action, json_t *body)
{
	if (!body)
		return SP_ENOMEM;
	json_t *r = json_pack("{s:s,s:s,s:o}", "service", service, "action", action, "request",
			      body);
	if (!r || json_array_append_new(reqs, r))
		return SP_ENOMEM;
	return 0;
}

static json_t *permission(const struct sp_plan *p, const struct sp_plan_rule *r)
{
	json_t *perm = json_pack("{s:s}", "IpProtocol", r->protocol);
	if (!perm)
		return NULL;
	if (strcmp(r->protocol, "-1") != 0) {
		json_object_set_new(perm, "FromPort", json_integer(r->from_port));
		json_object_set_new(perm, "ToPort", json_integer(r->to_port));
	}
	if (r->cidr && strchr(r->cidr, ':'))
		json_object_set_new(perm, "Ipv6Ranges", json_pack("[{s:s}]", "CidrIpv6", r->cidr));
	else if (r->cidr)
		json_object_set_new(perm, "IpRanges", json_pack("[{s:s}]", "CidrIp", r->cidr));
	else if (r->source == SP_PLAN_SG_OTHER)
		json_object_set_new(perm, "UserIdGroupPairs",
				    json_pack("[{s:s}]", strncmp(r->source_name, "sg-", 3) == 0
								 ? "GroupId" : "GroupName",
					      r->source_name));
	else
		json_object_set_new(perm, "UserIdGroupPairs",
				    json_pack("[{s:s}]", "GroupName", p->sg_name[r->source]));
	return perm;
}

static json_t *plan_summary(const struct sp_plan *p)
{
	json_t *s = json_object();
	json_t *env = json_object();
	json_t *opts = json_array();
	if (!s || !env || !opts)
		goto fail;
	for (size_t i = 0; i < p->n_env; i++)
		json_object_set_new(env, p->env[i].name, json_string(p->env[i].value));
	for (size_t i = 0; i < p->n_settings; i++) {
		const struct sp_opt_setting *o = &p->settings[i];
		json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "namespace", o->ns, "option", o->name,
				      "value", o->value, "source", sp_opt_level_name(o->level));
		if (j && o->file)
			json_object_set_new(j, "file", json_string(o->file));
		if (j && o->line)
			json_object_set_new(j, "line", json_integer(o->line));
		if (j && o->column)
			json_object_set_new(j, "column", json_integer(o->column));
		if (!j || json_array_append_new(opts, j))
			goto fail;
	}
	char td[600];
	snprintf(td, sizeof(td), "%s:%d", p->family ? p->family : "", p->revision);
	json_object_set_new(s, "environmentType",
			    json_string(p->load_balanced ? "LoadBalanced" : "SingleInstance"));
	json_object_set_new(s, "cluster", json_string(p->cluster_name));
	if (p->taskdef)
		json_object_set_new(s, "taskDefinition", json_string(td));
	json_object_set_new(s, "instances",
			    json_pack("{s:i,s:i,s:i,s:i}", "minSize", p->min_size, "maxSize",
				      p->max_size, "desired", p->min_size, "tasksPerInstance", 1));
	json_object_set_new(s, "deployment",
			    json_pack("{s:s,s:s,s:i,s:i,s:b,s:b}", "policy", p->deploy.policy,
				      "batchSizeType", p->deploy.batch_size_type, "batchSize",
				      p->deploy.batch_size, "timeout", p->deploy.timeout,
				      "ignoreHealthCheck", p->deploy.ignore_health_check,
				      "rollbackOnFailure", p->deploy.rollback_on_failure));
	json_object_set_new(s, "environmentProperties", env);
	json_t *sp = json_pack("{s:b,s:b,s:b,s:b,s:i}", "allowPrivileged",
			       p->sprout.allow_privileged, "allowHostPaths",
			       p->sprout.allow_host_paths, "allowDockerSocket",
			       p->sprout.allow_docker_socket, "strictImageChecks",
			       p->sprout.strict_image_checks, "hooksTimeout", p->sprout.hooks_timeout);
	if (sp && p->sprout.hooks_image)
		json_object_set_new(sp, "hooksImage", json_string(p->sprout.hooks_image));
	if (sp && p->sprout.shared_bridge) /* only when set: the default is a network per task */
		json_object_set_new(sp, "taskNetwork", json_string("bridge"));
	json_object_set_new(s, "sprout", sp);
	json_object_set_new(s, "options", opts);
	return s;
fail:
	json_decref(s);
	json_decref(env);
	json_decref(opts);
	return NULL;
}

int sp_plan_to_json(const struct sp_plan *p, json_t **out)
{
	json_t *reqs = json_array();
	json_t *root = NULL;
	int rc = SP_ENOMEM;
	if (!reqs)
		goto out;
	char td[600];
	snprintf(td, sizeof(td), "%s:%d", p->family ? p->family : "", p->revision);
	if ((rc = add_request(reqs, "ecs", "CreateCluster",
			      json_pack("{s:s}", "clusterName", p->cluster_name))))
		goto out;
	if (p->taskdef && (rc = add_request(reqs, "ecs", "RegisterTaskDefinition",
					    json_deep_copy(p->taskdef))))
		goto out;
	for (int g = p->load_balanced ? SP_PLAN_SG_LB : SP_PLAN_SG_INSTANCE; g >= 0; g--) {
		const char *desc = g == SP_PLAN_SG_LB ? "Load balancer security group"
						      : "Instance security group";
		if ((rc = add_request(reqs, "ec2", "CreateSecurityGroup",
				      json_pack("{s:s,s:s}", "GroupName", p->sg_name[g],
						"Description", desc))))
			goto out;
	}
	for (int g = p->load_balanced ? SP_PLAN_SG_LB : SP_PLAN_SG_INSTANCE; g >= 0; g--) {
		json_t *perms = json_array();
		if (!perms) {
			rc = SP_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < p->n_rules; i++)
			if ((int)p->rules[i].group == g)
				json_array_append_new(perms, permission(p, &p->rules[i]));
		if (json_array_size(perms) == 0) {
			json_decref(perms);
			continue;
		}
		if ((rc = add_request(reqs, "ec2", "AuthorizeSecurityGroupIngress",
				      json_pack("{s:s,s:o}", "GroupName", p->sg_name[g],
						"IpPermissions", perms))))
			goto out;
	}
	if (p->load_balanced) {
		json_t *ls = json_array();
		for (size_t i = 0; ls && i < p->n_listeners; i++) {
			const struct sp_plan_listener *l = &p->listeners[i];
			json_t *j = json_pack("{s:s,s:i,s:s,s:i}", "Protocol", l->protocol,
					      "LoadBalancerPort", l->port, "InstanceProtocol",
					      l->instance_protocol, "InstancePort", l->instance_port);
			if (j && l->ssl_certificate_id)
				json_object_set_new(j, "SSLCertificateId",
						    json_string(l->ssl_certificate_id));
			json_array_append_new(ls, j);
		}
		if ((rc = add_request(reqs, "elasticloadbalancing", "CreateLoadBalancer",
				      json_pack("{s:s,s:o,s:[s]}", "LoadBalancerName", p->lb_name,
						"Listeners", ls, "SecurityGroups",
						p->sg_name[SP_PLAN_SG_LB]))))
			goto out;
		if ((rc = add_request(reqs, "elasticloadbalancing", "ConfigureHealthCheck",
				      json_pack("{s:s,s:{s:s,s:i,s:i,s:i,s:i}}", "LoadBalancerName",
						p->lb_name, "HealthCheck", "Target", p->health.target,
						"Interval", p->health.interval, "Timeout",
						p->health.timeout, "UnhealthyThreshold",
						p->health.unhealthy, "HealthyThreshold",
						p->health.healthy))))
			goto out;
		if ((rc = add_request(reqs, "elasticloadbalancing", "ModifyLoadBalancerAttributes",
				      json_pack("{s:s,s:{s:{s:b},s:{s:b,s:i},s:{s:i}}}",
						"LoadBalancerName", p->lb_name, "LoadBalancerAttributes",
						"CrossZoneLoadBalancing", "Enabled", p->cross_zone,
						"ConnectionDraining", "Enabled", p->draining, "Timeout",
						p->draining_timeout, "ConnectionSettings", "IdleTimeout",
						p->idle_timeout))))
			goto out;
	}
	/* aws:autoscaling:launchconfiguration, the options that are set: the AWS driver picks
	 * the others (the newest ECS-optimised AMI, t3.micro) and suffixes the name with a
	 * hash of the content (docs/aws.md). */
	char asg[300], lc[300];
	snprintf(asg, sizeof(asg), "awseb-%s-asg", p->env_name);
	snprintf(lc, sizeof(lc), "awseb-%s-lc", p->env_name);
	json_t *lc_req = json_pack("{s:s,s:[s]}", "LaunchConfigurationName", lc, "SecurityGroups",
				   p->sg_name[SP_PLAN_SG_INSTANCE]);
	if (lc_req && p->launch.image_id)
		json_object_set_new(lc_req, "ImageId", json_string(p->launch.image_id));
	if (lc_req && p->launch.instance_type)
		json_object_set_new(lc_req, "InstanceType", json_string(p->launch.instance_type));
	if (lc_req && p->launch.iam_instance_profile)
		json_object_set_new(lc_req, "IamInstanceProfile",
				    json_string(p->launch.iam_instance_profile));
	if (lc_req && p->launch.ec2_key_name)
		json_object_set_new(lc_req, "KeyName", json_string(p->launch.ec2_key_name));
	if ((rc = add_request(reqs, "autoscaling", "CreateLaunchConfiguration", lc_req)))
		goto out;
	json_t *asg_req = json_pack("{s:s,s:s,s:i,s:i,s:i,s:i}", "AutoScalingGroupName", asg,
				    "LaunchConfigurationName", lc, "MinSize", p->min_size,
				    "MaxSize", p->max_size, "DesiredCapacity", p->min_size,
				    "DefaultCooldown", p->cooldown);
	if (asg_req && p->load_balanced)
		json_object_set_new(asg_req, "LoadBalancerNames", json_pack("[s]", p->lb_name));
	if ((rc = add_request(reqs, "autoscaling", "CreateAutoScalingGroup", asg_req)))
		goto out;
	for (int i = 0; p->taskdef && i < p->min_size; i++) {
		char inst[64];
		snprintf(inst, sizeof(inst), "instance-%d", i + 1);
		if ((rc = add_request(reqs, "ecs", "StartTask",
				      json_pack("{s:s,s:s,s:[s],s:s}", "cluster", p->cluster_name,
						"taskDefinition", td, "containerInstances", inst,
						"startedBy", "sprout"))))
			goto out;
	}
	json_t *summary = plan_summary(p);
	if (!summary) {
		rc = SP_ENOMEM;
		goto out;
	}
	root = json_pack("{s:s,s:o,s:o}", "environment", p->env_name, "plan", summary,
			 "requests", reqs);
	reqs = NULL;
	if (!root) {
		rc = SP_ENOMEM;
		goto out;
	}
	*out = root;
	rc = 0;
out:
	json_decref(reqs);
	return rc;
}
