/* deploy_spec.c — the pure parts of a deployment: a plan turned into the driver's plan
 * document and describe's summary, option settings, batch sizes, environment health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/deploy/deploy.h"
#include "engine/plan/plan.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

static const char *local_proto(const char *p)
{
	/* No TLS locally: HTTPS is served as HTTP and SSL as TCP (docs/driver.md). */
	if (!strcmp(p, "TCP") || !strcmp(p, "SSL"))
		return "TCP";
	return "HTTP";
}

int sp_deploy_driver_plan(const struct sp_plan *p, int instances, json_t **out)
{
	json_t *ls = json_array(), *rules = json_array(), *props = json_object();
	json_t *doc = NULL;
	if (!ls || !rules || !props)
		goto fail;
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sp_plan_listener *l = &p->listeners[i];
		if (json_array_append_new(ls, json_pack("{s:i,s:s,s:i,s:s,s:b}", "port", l->port,
							"protocol", local_proto(l->protocol),
							"instancePort", l->instance_port,
							"instanceProtocol",
							local_proto(l->instance_protocol), "enabled",
							1)))
			goto fail;
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sp_plan_rule *r = &p->rules[i];
		if (r->group != SP_PLAN_SG_INSTANCE)
			continue;
		/* What the load balancer may reach: rules from its group, or from an address
		 * range (which includes it). */
		if (!r->cidr && r->source != SP_PLAN_SG_LB)
			continue;
		const char *proto = !strcmp(r->protocol, "-1") ? "-1" : r->protocol;
		if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "-1"))
			continue;
		json_t *j = json_pack("{s:s}", "protocol", proto);
		if (j && strcmp(proto, "-1")) {
			json_object_set_new(j, "fromPort", json_integer(r->from_port));
			json_object_set_new(j, "toPort", json_integer(r->to_port));
		}
		if (!j || json_array_append_new(rules, j))
			goto fail;
	}
	for (size_t i = 0; i < p->n_env; i++)
		if (json_object_set_new(props, p->env[i].name, json_string(p->env[i].value)))
			goto fail;
	int n = p->load_balanced ? (instances > 0 ? instances : p->min_size) : 1;
	if (n < 1)
		n = 1;
	doc = json_pack("{s:s,s:i,s:o,s:o,s:o,s:b,s:b,s:i,s:i}", "environmentType",
			p->load_balanced ? "LoadBalanced" : "SingleInstance", "instances", n,
			"listeners", ls, "securityGroupRules", rules, "environmentProperties", props,
			"allowPrivileged", p->sprout.allow_privileged, "allowHostPaths",
			p->sprout.allow_host_paths, "drainingTimeout",
			p->draining ? (p->draining_timeout > 0 ? p->draining_timeout : 20) : 1,
			"startTimeout", 120);
	ls = rules = props = NULL;
	if (!doc)
		goto fail;
	if (p->sprout.shared_bridge && json_object_set_new(doc, "sharedBridge", json_true()))
		goto fail;
	/* The aws driver's: aws:autoscaling:launchconfiguration (the options set) and the
	 * Classic load balancer's attributes. */
	json_t *lc = json_object();
	if (!lc || json_object_set_new(doc, "launchConfiguration", lc))
		goto fail;
	const struct { const char *key, *value; } lcv[] = {
		{ "imageId", p->launch.image_id },
		{ "instanceType", p->launch.instance_type },
		{ "iamInstanceProfile", p->launch.iam_instance_profile },
		{ "keyName", p->launch.ec2_key_name },
	};
	for (size_t i = 0; i < sizeof(lcv) / sizeof(lcv[0]); i++)
		if (lcv[i].value && json_object_set_new(lc, lcv[i].key, json_string(lcv[i].value)))
			goto fail;
	if (p->load_balanced &&
	    json_object_set_new(doc, "loadBalancerAttributes",
				json_pack("{s:b,s:b,s:i,s:i}", "crossZone", p->cross_zone,
					  "connectionDraining", p->draining,
					  "connectionDrainingTimeout", p->draining_timeout,
					  "idleTimeout", p->idle_timeout)))
		goto fail;
	if (p->load_balanced && p->health.target &&
	    json_object_set_new(doc, "healthCheck",
				json_pack("{s:s,s:i,s:i,s:i,s:i}", "target", p->health.target,
					  "interval", p->health.interval, "timeout",
					  p->health.timeout, "healthyThreshold", p->health.healthy,
					  "unhealthyThreshold", p->health.unhealthy)))
		goto fail;
	*out = doc;
	return 0;
fail:
	json_decref(ls);
	json_decref(rules);
	json_decref(props);
	json_decref(doc);
	return SP_ENOMEM;
}

static const char *group_name(const struct sp_plan *p, enum sp_plan_sg g)
{
	return g == SP_PLAN_SG_OTHER ? "other" : p->sg_name[g] ? p->sg_name[g] : "";
}

int sp_deploy_plan_summary(const struct sp_plan *p, json_t **out)
{
	char td[600];
	json_t *ls = json_array(), *rules = json_array(), *s = NULL;
	if (!ls || !rules)
		goto fail;
	for (size_t i = 0; i < p->n_listeners; i++) {
		const struct sp_plan_listener *l = &p->listeners[i];
		json_array_append_new(ls, json_pack("{s:i,s:s,s:i,s:s}", "port", l->port, "protocol",
						    l->protocol, "instancePort", l->instance_port,
						    "instanceProtocol", l->instance_protocol));
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sp_plan_rule *r = &p->rules[i];
		json_t *j = json_pack("{s:s,s:s,s:i,s:i,s:s,s:b}", "group", group_name(p, r->group),
				      "protocol", r->protocol, "fromPort", r->from_port, "toPort",
				      r->to_port, "source",
				      r->cidr ? r->cidr
					      : r->source == SP_PLAN_SG_OTHER && r->source_name
							? r->source_name
							: group_name(p, r->source),
				      "default", r->is_default);
		json_array_append_new(rules, j);
	}
	snprintf(td, sizeof(td), "%s:%d", p->family ? p->family : "", p->revision);
	s = json_pack("{s:s?,s:s,s:s,s:o,s:o,s:{s:i,s:i}}", "cluster", p->cluster_name,
		      "taskDefinition", td, "environmentType",
		      p->load_balanced ? "LoadBalanced" : "SingleInstance", "listeners", ls,
		      "securityGroupRules", rules, "instances", "minSize", p->min_size, "maxSize",
		      p->max_size);
	ls = rules = NULL;
	if (!s)
		goto fail;
	if (p->load_balanced && p->health.target)
		json_object_set_new(s, "healthCheck",
				    json_pack("{s:s,s:i,s:i,s:i,s:i}", "target", p->health.target,
					      "interval", p->health.interval, "timeout",
					      p->health.timeout, "healthyThreshold",
					      p->health.healthy, "unhealthyThreshold",
					      p->health.unhealthy));
	json_object_set_new(s, "deployment",
			    json_pack("{s:s?,s:s?,s:i,s:i,s:b,s:b}", "policy", p->deploy.policy,
				      "batchSizeType", p->deploy.batch_size_type, "batchSize",
				      p->deploy.batch_size, "timeout", p->deploy.timeout,
				      "ignoreHealthCheck", p->deploy.ignore_health_check,
				      "rollbackOnFailure", p->deploy.rollback_on_failure));
	*out = s;
	return 0;
fail:
	json_decref(ls);
	json_decref(rules);
	return SP_ENOMEM;
}

int sp_deploy_option_args(const char *options_json, char ***out, size_t *n)
{
	json_t *arr = json_loads(options_json ? options_json : "[]", 0, NULL);
	char **v = NULL;
	size_t k = 0, i;
	json_t *o;
	int rc = 0;
	if (!json_is_array(arr)) {
		json_decref(arr);
		return SP_EINVAL;
	}
	v = calloc(json_array_size(arr) + 1, sizeof(*v));
	if (!v) {
		json_decref(arr);
		return SP_ENOMEM;
	}
	json_array_foreach(arr, i, o) {
		const char *ns = json_string_value(json_object_get(o, "namespace"));
		const char *name = json_string_value(json_object_get(o, "option_name"));
		const char *val = json_string_value(json_object_get(o, "value"));
		if (!ns || !name || !val) {
			rc = SP_EINVAL;
			break;
		}
		if (!(v[k] = sp_aprintf("%s:%s=%s", ns, name, val))) {
			rc = SP_ENOMEM;
			break;
		}
		k++;
	}
	json_decref(arr);
	if (rc) {
		sp_strv_free(v, k);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}

int sp_deploy_batch_size(int n, const char *type, int size)
{
	int b;
	if (n < 1)
		return 1;
	if (type && !strcmp(type, "Fixed"))
		b = size;
	else
		b = (int)(((long long)n * (size > 0 ? size : 100) + 99) / 100);
	if (b < 1)
		b = 1;
	if (b > n)
		b = n;
	return b;
}

int sp_deploy_health(const json_t *obs, char **health, json_t **causes)
{
	const json_t *insts = json_object_get(obs, "instances");
	json_t *c = json_array();
	size_t i, n = 0, green = 0, red = 0, grey = 0;
	const json_t *inst;
	if (!c)
		return SP_ENOMEM;
	json_array_foreach(insts, i, inst) {
		if (json_is_true(json_object_get(inst, "leaving")))
			continue;
		n++;
		const char *h = json_string_value(json_object_get(inst, "health"));
		const char *id = json_string_value(json_object_get(inst, "id"));
		const json_t *task = json_object_get(inst, "task");
		if (!h)
			h = "Grey";
		if (!strcmp(h, "Green")) {
			green++;
			continue;
		}
		if (!strcmp(h, "Red"))
			red++;
		if (!strcmp(h, "Grey"))
			grey++;
		const char *why = json_string_value(json_object_get(task, "stoppedReason"));
		const char *state = json_string_value(json_object_get(task, "state"));
		const char *lbs = json_string_value(
			json_object_get(json_object_get(inst, "loadBalancer"), "status"));
		char *line;
		if (why && state && !strcmp(state, "STOPPED"))
			line = sp_aprintf("Instance %s is %s: %s", id ? id : "?", h, why);
		else if (!json_is_object(task))
			line = sp_aprintf("Instance %s is %s: no task is running", id ? id : "?", h);
		else if (lbs)
			line = sp_aprintf("Instance %s is %s: task %s, load balancer reports %s",
					  id ? id : "?", h, state ? state : "?", lbs);
		else
			line = sp_aprintf("Instance %s is %s: task %s", id ? id : "?", h,
					  state ? state : "?");
		if (line && json_array_size(c) < 20)
			json_array_append_new(c, json_string(line));
		free(line);
	}
	const char *verdict;
	if (n == 0) {
		verdict = "Grey";
		json_array_append_new(c, json_string("The environment has no instances."));
	} else if (green == n)
		verdict = "Green";
	else if (grey == n)
		verdict = "Grey";
	else if (green == 0 && red > 0)
		verdict = "Red";
	else
		verdict = "Yellow";
	char *h = sp_strdup(verdict);
	if (!h) {
		json_decref(c);
		return SP_ENOMEM;
	}
	*health = h;
	*causes = c;
	return 0;
}

int sp_deploy_options_merge(const char *base, const json_t *settings, char **out)
{
	json_t *arr = json_loads(base ? base : "[]", 0, NULL);
	size_t i, k;
	json_t *s, *o;
	if (!json_is_array(arr) || !json_is_array(settings)) {
		json_decref(arr);
		return SP_EINVAL;
	}
	json_array_foreach(settings, i, s) {
		const char *ns = json_string_value(json_object_get(s, "namespace"));
		const char *name = json_string_value(json_object_get(s, "option_name"));
		if (!ns || !name)
			continue;
		for (k = json_array_size(arr); k-- > 0;) {
			o = json_array_get(arr, k);
			if (!strcmp(ns, json_string_value(json_object_get(o, "namespace"))) &&
			    !strcmp(name, json_string_value(json_object_get(o, "option_name"))))
				json_array_remove(arr, k);
		}
		if (json_is_string(json_object_get(s, "value")))
			json_array_append_new(arr, json_pack("{s:s,s:s,s:O}", "namespace", ns,
							     "option_name", name, "value",
							     json_object_get(s, "value")));
	}
	char *txt = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!txt)
		return SP_ENOMEM;
	*out = txt;
	return 0;
}
