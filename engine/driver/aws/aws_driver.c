/* aws_driver.c — the AWS driver's ops: apply, observe, destroy, list, check (the order of
 * the steps is here; each resource lives in aws_ecs.c or aws_infra.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/sha256.h"
#include "engine/driver/aws/aws_internal.h"
#include "engine/base/banned.h"

/* ---- names, events, failures ---- */

void awsd_hash12(const char *s, char out[13])
{
	char hex[SP_SHA256_HEX_LEN + 1];
	if (sp_sha256_hex(s, strlen(s), hex))
		snprintf(hex, sizeof(hex), "000000000000");
	snprintf(out, 13, "%.12s", hex);
}

int awsd_names_for(const char *env, struct awsd_names *n)
{
	if (!sp_driver_env_name_valid(env))
		return SP_EINVAL;
	/* The names `sprout plan --json` shows (engine/plan): EB's awseb- prefix. The cluster
	 * is named after the task definition's family and found again by its tag. */
	n->cluster[0] = '\0';
	snprintf(n->asg, sizeof(n->asg), "awseb-%s-asg", env);
	snprintf(n->sg_instances, sizeof(n->sg_instances), "awseb-%s-instances", env);
	snprintf(n->sg_lb, sizeof(n->sg_lb), "awseb-%s-loadbalancer", env);
	snprintf(n->lc_prefix, sizeof(n->lc_prefix), "awseb-%s-lc-", env);
	/* Classic load balancer names: at most 32 letters, digits and hyphens, no hyphen at
	 * either end. */
	snprintf(n->lb, sizeof(n->lb), "awseb-%.26s", env);
	size_t len = strlen(n->lb);
	while (len && n->lb[len - 1] == '-')
		n->lb[--len] = '\0';
	return 0;
}

int sp_driver_aws_names(const char *environment, struct sp_buf *lb, struct sp_buf *asg,
			struct sp_buf *sg_instances, struct sp_buf *sg_lb)
{
	struct awsd_names n;
	int rc = awsd_names_for(environment, &n);
	if (rc)
		return rc;
	if ((lb && (rc = sp_buf_puts(lb, n.lb))) || (asg && (rc = sp_buf_puts(asg, n.asg))) ||
	    (sg_instances && (rc = sp_buf_puts(sg_instances, n.sg_instances))) ||
	    (sg_lb && (rc = sp_buf_puts(sg_lb, n.sg_lb))))
		return rc;
	return 0;
}

static void vevent(struct awsd_run *r, enum sp_driver_severity sev, const char *instance,
		   const char *task, const char *fmt, va_list ap)
{
	char msg[1024];
	if (!r->d->on_event)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	struct sp_driver_event ev = { sev, r->env, instance, task, NULL, msg, NULL };
	r->d->on_event(r->d->event_user, &ev);
}

void awsd_event(struct awsd_run *r, enum sp_driver_severity sev, const char *instance,
		const char *task, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vevent(r, sev, instance, task, fmt, ap);
	va_end(ap);
}

void awsd_changed(struct awsd_run *r, const char *fmt, ...)
{
	va_list ap;
	r->changes++;
	va_start(ap, fmt);
	vevent(r, SP_DRIVER_INFO, NULL, NULL, fmt, ap);
	va_end(ap);
}

int awsd_fail(struct awsd_run *r, int rc)
{
	size_t before = r->diags->n;
	sp_aws_error_to_diag(r->d->aws, rc, r->diags);
	if (r->diags->n > before)
		awsd_event(r, SP_DRIVER_ERROR, NULL, NULL, "%s",
			   r->diags->items[r->diags->n - 1].message);
	return rc;
}

static int run_init(struct awsd_run *r, struct awsd *d, const char *env, struct sp_diags *diags)
{
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->env = env;
	r->diags = diags;
	if (awsd_names_for(env, &r->n)) {
		struct sp_loc loc = { NULL, 0, 0, "" };
		sp_diag_add(diags, SP_SEV_ERROR, "DRIVER_ENV_NAME", loc,
			    "use 4-40 letters, digits and hyphens, not starting or ending with one",
			    "\"%s\" is not a valid environment name", env ? env : "");
		return SP_ERROR;
	}
	return 0;
}

/* ---- ops ---- */

static int aws_check(void *ctx, struct sp_buf *msg)
{
	struct awsd *d = ctx;
	json_t *resp = NULL, *req = json_pack("{s:i}", "maxResults", 1);
	int rc = req ? sp_aws_json_call(d->aws, SP_AWS_ECS, "ListClusters", req, &resp) : SP_ENOMEM;
	json_decref(req);
	json_decref(resp);
	if (rc && msg) {
		struct sp_diags diags;
		sp_diags_init(&diags);
		sp_aws_error_to_diag(d->aws, rc, &diags);
		if (diags.n)
			sp_buf_printf(msg, "%s: %s", diags.items[0].code, diags.items[0].message);
		sp_diags_free(&diags);
	}
	return rc;
}

static int aws_apply(void *ctx, const struct sp_driver_spec *spec, struct sp_diags *d)
{
	struct awsd_run r;
	struct sp_driver_plan plan;
	json_t *td = NULL;
	char *conv_plan = NULL, *conv_td = NULL;
	bool have_plan = false;
	int rc = run_init(&r, ctx, spec->environment, d);
	if (rc)
		return rc;
	memset(&plan, 0, sizeof(plan));
	const char *plan_text = spec->plan ? spec->plan : "{}";
	const char *td_text = spec->task_definition;
	/* `sprout plan --json` output is read into the driver plan first. */
	json_error_t je;
	json_t *probe = json_loads(plan_text, 0, &je);
	bool requests = json_is_array(json_object_get(probe, "requests"));
	json_decref(probe);
	if (requests) {
		if ((rc = sp_driver_aws_plan_from_requests(plan_text, &conv_plan, &conv_td, d)))
			goto out;
		plan_text = conv_plan;
		if (!td_text)
			td_text = conv_td;
	}
	int prc = sp_driver_plan_parse(plan_text, &plan, d);
	have_plan = prc == 0;
	int trc = sp_driver_taskdef_parse(td_text ? td_text : "", &td, d);
	if (prc || trc) {
		rc = prc == SP_ENOMEM || trc == SP_ENOMEM ? SP_ENOMEM : SP_ERROR;
		goto out;
	}
	const char *family = json_string_value(json_object_get(td, "family"));
	if (!family || !*family || strlen(family) >= sizeof(r.family)) {
		struct sp_loc loc = { "task-definition.json", 0, 0, "/family" };
		sp_diag_add(d, SP_SEV_ERROR, "AWS_TASKDEF_FAMILY", loc,
			    "the task definition needs a family (letters, digits, _ and -)",
			    "the task definition has no family");
		rc = SP_ERROR;
		goto out;
	}
	snprintf(r.family, sizeof(r.family), "%s", family);
	snprintf(r.n.cluster, sizeof(r.n.cluster), "%s", family);

	if ((rc = awsd_zones_resolve(&r)) || (rc = awsd_cluster_ensure(&r)) ||
	    (rc = awsd_taskdef_ensure(&r, td, plan.properties, spec->version_label)) ||
	    (rc = awsd_security_groups_ensure(&r, &plan)) || (rc = awsd_lb_ensure(&r, &plan)) ||
	    (rc = awsd_asg_ensure(&r, &plan)) ||
	    (rc = awsd_tasks_reconcile(&r, spec->version_label)))
		goto out;
	struct awsd *ad = ctx;
	snprintf(ad->applied_env, sizeof(ad->applied_env), "%s", spec->environment);
	snprintf(ad->applied_family, sizeof(ad->applied_family), "%s", r.family);
	snprintf(ad->applied_taskdef, sizeof(ad->applied_taskdef), "%s", r.taskdef_arn);
	snprintf(ad->applied_version, sizeof(ad->applied_version), "%s",
		 spec->version_label ? spec->version_label : "");
out:
	if (have_plan)
		sp_driver_plan_free(&plan);
	json_decref(td);
	free(conv_plan);
	free(conv_td);
	return rc;
}

static json_t *request_of(const json_t *reqs, const char *action, size_t *from)
{
	for (size_t i = from ? *from : 0; i < json_array_size(reqs); i++) {
		json_t *r = json_array_get(reqs, i);
		const char *a = json_string_value(json_object_get(r, "action"));
		if (a && !strcmp(a, action)) {
			if (from)
				*from = i + 1;
			return json_object_get(r, "request");
		}
	}
	return NULL;
}

int sp_driver_aws_plan_from_requests(const char *json, char **plan, char **taskdef,
				     struct sp_diags *d)
{
	json_error_t je;
	json_t *root = json ? json_loads(json, 0, &je) : NULL;
	json_t *reqs = json_object_get(root, "requests"), *summary = json_object_get(root, "plan");
	json_t *out = json_object(), *ls = json_array(), *rules = json_array();
	char *po = NULL, *to = NULL;
	int rc = SP_ENOMEM;
	size_t i;
	json_t *x;
	if (!out || !ls || !rules)
		goto done;
	if (!json_is_array(reqs)) {
		struct sp_loc loc = { "plan.json", 0, 0, "/requests" };
		sp_diag_add(d, SP_SEV_ERROR, "DRIVER_PLAN_TYPE", loc,
			    "give the output of `sprout plan --json`",
			    "the plan has no \"requests\" array");
		rc = SP_EINVAL;
		goto done;
	}
	const json_t *lb = request_of(reqs, "CreateLoadBalancer", NULL);
	const char *type = json_string_value(json_object_get(summary, "environmentType"));
	json_object_set_new(out, "environmentType",
			    json_string(type ? type : lb ? "LoadBalanced" : "SingleInstance"));
	const json_t *asg = request_of(reqs, "CreateAutoScalingGroup", NULL);
	json_t *min = json_object_get(asg, "MinSize");
	if (json_is_integer(min))
		json_object_set(out, "instances", min);
	json_array_foreach(json_object_get(lb, "Listeners"), i, x)
		json_array_append_new(ls, json_pack("{s:O?, s:O?, s:O?, s:O?, s:b}", "port",
						    json_object_get(x, "LoadBalancerPort"), "protocol",
						    json_object_get(x, "Protocol"), "instancePort",
						    json_object_get(x, "InstancePort"), "instanceProtocol",
						    json_object_get(x, "InstanceProtocol"), "enabled", 1));
	json_object_set(out, "listeners", ls);
	const json_t *hc = json_object_get(request_of(reqs, "ConfigureHealthCheck", NULL),
					   "HealthCheck");
	if (hc)
		json_object_set_new(out, "healthCheck",
				    json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "target",
					      json_object_get(hc, "Target"), "interval",
					      json_object_get(hc, "Interval"), "timeout",
					      json_object_get(hc, "Timeout"), "healthyThreshold",
					      json_object_get(hc, "HealthyThreshold"),
					      "unhealthyThreshold", json_object_get(hc, "UnhealthyThreshold")));
	/* The instances' group is the one the load balancer does not use. */
	const char *lb_group = json_string_value(json_array_get(json_object_get(lb, "SecurityGroups"), 0));
	size_t from = 0;
	const json_t *auth;
	while ((auth = request_of(reqs, "AuthorizeSecurityGroupIngress", &from))) {
		const char *g = json_string_value(json_object_get(auth, "GroupName"));
		if (g && lb_group && !strcmp(g, lb_group))
			continue;
		json_array_foreach(json_object_get(auth, "IpPermissions"), i, x)
			json_array_append_new(rules, json_pack("{s:O?, s:O?, s:O?}", "protocol",
							       json_object_get(x, "IpProtocol"),
							       "fromPort", json_object_get(x, "FromPort"),
							       "toPort", json_object_get(x, "ToPort")));
	}
	json_object_set(out, "securityGroupRules", rules);
	json_t *props = json_object_get(summary, "environmentProperties");
	if (json_is_object(props))
		json_object_set(out, "environmentProperties", props);
	json_t *drain = json_object_get(
		json_object_get(json_object_get(request_of(reqs, "ModifyLoadBalancerAttributes", NULL),
						"LoadBalancerAttributes"),
				"ConnectionDraining"),
		"Timeout");
	if (json_is_integer(drain))
		json_object_set(out, "drainingTimeout", drain);
	const json_t *attrs = json_object_get(request_of(reqs, "ModifyLoadBalancerAttributes", NULL),
					      "LoadBalancerAttributes");
	if (json_is_object(attrs)) {
		const json_t *cd = json_object_get(attrs, "ConnectionDraining");
		/* O*: a member the request does not have is left out (the driver's default). */
		json_t *a = json_pack("{s:O*, s:O*, s:O*, s:O*}", "crossZone",
				      json_object_get(json_object_get(attrs, "CrossZoneLoadBalancing"),
						      "Enabled"),
				      "connectionDraining", json_object_get(cd, "Enabled"),
				      "connectionDrainingTimeout", json_object_get(cd, "Timeout"),
				      "idleTimeout",
				      json_object_get(json_object_get(attrs, "ConnectionSettings"),
						      "IdleTimeout"));
		if (!a || json_object_set_new(out, "loadBalancerAttributes", a))
			goto done;
	}
	const json_t *lcr = request_of(reqs, "CreateLaunchConfiguration", NULL);
	if (json_is_object(lcr)) {
		json_t *lc = json_pack("{s:O*, s:O*, s:O*, s:O*}", "imageId",
				       json_object_get(lcr, "ImageId"), "instanceType",
				       json_object_get(lcr, "InstanceType"), "iamInstanceProfile",
				       json_object_get(lcr, "IamInstanceProfile"), "keyName",
				       json_object_get(lcr, "KeyName"));
		if (!lc || json_object_set_new(out, "launchConfiguration", lc))
			goto done;
	}
	const json_t *td = request_of(reqs, "RegisterTaskDefinition", NULL);
	po = json_dumps(out, JSON_COMPACT);
	to = td ? json_dumps(td, JSON_COMPACT) : NULL;
	if (!po || (td && !to))
		goto done;
	*plan = po;
	*taskdef = to;
	po = to = NULL;
	rc = 0;
done:
	free(po);
	free(to);
	json_decref(root);
	json_decref(out);
	json_decref(ls);
	json_decref(rules);
	return rc;
}

static json_t *find_by(const json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		const char *v = json_string_value(json_object_get(x, key));
		if (v && value && !strcmp(v, value))
			return x;
	}
	return NULL;
}

static const char *tail(const char *arn)
{
	const char *s = arn ? strrchr(arn, '/') : NULL;
	return s ? s + 1 : arn;
}

/* Has an ACTIVE container instance joined without a task of the last apply's task
 * definition (only for the environment and family that apply was about)? */
static bool joined_without_task(const struct awsd *d, const char *env, const char *family,
				const json_t *cis, const json_t *tasks)
{
	size_t i, j;
	json_t *ci, *t;
	if (!d->applied_taskdef[0] || strcmp(d->applied_env, env) ||
	    strcmp(d->applied_family, family))
		return false;
	json_array_foreach(cis, i, ci) {
		const char *arn = json_string_value(json_object_get(ci, "containerInstanceArn"));
		const char *status = json_string_value(json_object_get(ci, "status"));
		bool has = false;
		if (!arn || !status || strcmp(status, "ACTIVE"))
			continue;
		json_array_foreach(tasks, j, t) {
			const char *on = json_string_value(json_object_get(t, "containerInstanceArn"));
			const char *td = json_string_value(json_object_get(t, "taskDefinitionArn"));
			const char *desired = json_string_value(json_object_get(t, "desiredStatus"));
			if (on && td && !strcmp(on, arn) && !strcmp(td, d->applied_taskdef) &&
			    (!desired || !strcmp(desired, "RUNNING")))
				has = true;
		}
		if (!has)
			return true;
	}
	return false;
}

/* ECS's lastStatus in the engine's words (driver.md): PENDING, RUNNING or STOPPED. */
static const char *task_state(const char *last, const char *desired)
{
	if (!last)
		return "PENDING";
	if (!strcmp(last, "RUNNING"))
		return desired && strcmp(desired, "RUNNING") ? "STOPPED" : "RUNNING";
	if (!strcmp(last, "STOPPED") || !strcmp(last, "DEACTIVATING") ||
	    !strcmp(last, "STOPPING") || !strcmp(last, "DEPROVISIONING"))
		return "STOPPED";
	return "PENDING";
}

static int aws_observe(void *ctx, const char *environment, json_t **out)
{
	struct awsd_run r;
	struct sp_diags scratch;
	json_t *cluster = NULL, *asg = NULL, *lb = NULL, *cis = NULL, *tasks = NULL, *doc = NULL;
	json_t *tdresp = NULL;
	bool exists = false;
	sp_diags_init(&scratch);
	int rc = run_init(&r, ctx, environment, &scratch);
	if (rc) {
		rc = SP_ENOTFOUND;
		goto out;
	}
	if ((rc = awsd_cluster_find(&r, &exists, &cluster)) || (rc = awsd_asg_observe(&r, &asg)))
		goto out;
	if (!exists && !asg) {
		rc = SP_ENOTFOUND;
		goto out;
	}
	if ((rc = awsd_lb_observe(&r, &lb)))
		goto out;
	if (exists && (rc = awsd_cluster_state(&r, &cis, &tasks)))
		goto out;
	if (exists && joined_without_task(r.d, environment, r.family, cis, tasks)) {
		snprintf(r.taskdef_arn, sizeof(r.taskdef_arn), "%s", r.d->applied_taskdef);
		json_decref(cis);
		json_decref(tasks);
		cis = tasks = NULL;
		if ((rc = awsd_tasks_reconcile(&r, r.d->applied_version)) ||
		    (rc = awsd_cluster_state(&r, &cis, &tasks)))
			goto out;
	}
	if (!cis)
		cis = json_array();
	if (!tasks)
		tasks = json_array();
	doc = json_pack("{s:s, s:s, s:s}", "environment", environment, "driver", "aws", "region",
			sp_aws_region(r.d->aws));
	if (!doc) {
		rc = SP_ENOMEM;
		goto out;
	}
	json_object_set_new(doc, "cluster",
			    exists ? json_pack("{s:s, s:O?, s:O?}", "name", r.n.cluster, "arn",
					       json_object_get(cluster, "clusterArn"), "status",
					       json_object_get(cluster, "status"))
				   : json_null());
	json_t *tdreq = r.family[0] ? json_pack("{s:s, s:[s]}", "taskDefinition", r.family,
						 "include", "TAGS")
				    : NULL;
	int tdrc = tdreq ? sp_aws_json_call(r.d->aws, SP_AWS_ECS, "DescribeTaskDefinition", tdreq,
					    &tdresp)
			 : SP_ENOTFOUND;
	json_decref(tdreq);
	const char *ver = NULL, *cur_arn = NULL;
	if (tdrc == 0) {
		json_t *t = json_object_get(tdresp, "taskDefinition");
		size_t i;
		cur_arn = json_string_value(json_object_get(t, "taskDefinitionArn"));
		json_t *tag;
		json_array_foreach(json_object_get(tdresp, "tags"), i, tag) {
			const char *k = json_string_value(json_object_get(tag, "key"));
			if (k && !strcmp(k, "sprout:version"))
				ver = json_string_value(json_object_get(tag, "value"));
		}
		json_object_set_new(doc, "taskDefinition",
				    json_pack("{s:s, s:O?, s:O?, s:s?}", "family", r.family, "arn",
					      json_object_get(t, "taskDefinitionArn"), "revision",
					      json_object_get(t, "revision"), "version", ver));
	} else {
		json_object_set_new(doc, "taskDefinition", json_null());
	}
	json_object_set(doc, "loadBalancer", lb ? lb : json_null());
	json_object_set(doc, "autoScalingGroup", asg ? asg : json_null());

	json_t *instances = json_array(), *tlist = json_array();
	size_t i, healthy = 0, n = 0, running = 0;
	json_t *x;
	json_array_foreach(tasks, i, x) {
		const char *ci = json_string_value(json_object_get(x, "containerInstanceArn"));
		json_t *cio = find_by(cis, "containerInstanceArn", ci);
		const char *tdarn = json_string_value(json_object_get(x, "taskDefinitionArn"));
		/* state, version and stoppedReason are the engine's words (driver.md) */
		json_array_append_new(
			tlist, json_pack("{s:s?, s:O?, s:s?, s:O?, s:O?, s:O?, s:s, s:s?, s:O?}", "id",
					 tail(json_string_value(json_object_get(x, "taskArn"))), "arn",
					 json_object_get(x, "taskArn"), "taskDefinitionArn", tdarn,
					 "lastStatus", json_object_get(x, "lastStatus"), "desiredStatus",
					 json_object_get(x, "desiredStatus"), "instanceId",
					 json_object_get(cio, "ec2InstanceId"), "state",
					 task_state(json_string_value(json_object_get(x, "lastStatus")),
						    json_string_value(json_object_get(x, "desiredStatus"))),
					 "version",
					 tdarn && cur_arn && !strcmp(tdarn, cur_arn) ? ver : NULL,
					 "stoppedReason", json_object_get(x, "stoppedReason")));
	}
	json_array_foreach(json_object_get(asg, "instances"), i, x) {
		const char *id = json_string_value(json_object_get(x, "id"));
		json_t *ci = find_by(cis, "ec2InstanceId", id);
		const char *ci_arn = json_string_value(json_object_get(ci, "containerInstanceArn"));
		json_t *task = ci_arn ? find_by(tlist, "instanceId", id) : NULL;
		json_t *lbs = find_by(json_object_get(lb, "instanceHealth"), "instanceId", id);
		const char *lbstate = json_string_value(json_object_get(lbs, "state"));
		const char *tstate = json_string_value(json_object_get(task, "state"));
		bool run = tstate && !strcmp(tstate, "RUNNING");
		bool in_service = !lb || (lbstate && !strcmp(lbstate, "InService"));
		/* health in the engine's colours (driver.md): Grey without a task or while it
		 * starts, Red when it stopped, Green running and InService, else Yellow; the
		 * Auto Scaling group's own verdict is asgHealth. */
		const char *colour = !task || !tstate || !strcmp(tstate, "PENDING") ? "Grey"
				     : !run					  ? "Red"
				     : in_service				  ? "Green"
										  : "Yellow";
		json_t *o = json_pack("{s:s?, s:O?, s:s, s:O?, s:s?, s:s?, s:{s:s?}, s:O}", "id", id,
				      "lifecycleState", json_object_get(x, "lifecycleState"), "health",
				      colour, "asgHealth", json_object_get(x, "health"),
				      "containerInstanceArn", ci_arn, "loadBalancerState", lbstate,
				      "loadBalancer", "status", lbstate, "task",
				      task ? task : json_null());
		json_array_append_new(instances, o);
		n++;
		running += run;
		if (run && in_service)
			healthy++;
	}
	json_object_set_new(doc, "instances", instances);
	json_object_set_new(doc, "tasks", tlist);
	json_object_set_new(doc, "health",
			    json_string(n == 0 ? "Grey"
					: healthy == n ? "Green"
					: running == 0 ? "Red"
						       : "Yellow"));
	*out = doc;
	doc = NULL;
out:
	json_decref(cluster);
	json_decref(asg);
	json_decref(lb);
	json_decref(cis);
	json_decref(tasks);
	json_decref(doc);
	json_decref(tdresp);
	sp_diags_free(&scratch);
	return rc;
}

static int aws_destroy(void *ctx, const char *environment, struct sp_diags *d)
{
	struct awsd_run r;
	bool exists = false;
	int rc = run_init(&r, ctx, environment, d);
	if (rc)
		return rc;
	/* The family is a tag of the cluster: read it before anything goes. */
	if ((rc = awsd_cluster_find(&r, &exists, NULL)))
		return rc;
	struct awsd *ad = ctx;
	if (!strcmp(ad->applied_env, environment))
		ad->applied_env[0] = ad->applied_taskdef[0] = '\0';
	if ((rc = awsd_ecs_stop_tasks(&r)) || (rc = awsd_infra_destroy(&r)) ||
	    (rc = awsd_ecs_destroy(&r)))
		return rc;
	return 0;
}

static int aws_list(void *ctx, json_t **out)
{
	struct awsd_run r;
	struct sp_diags scratch;
	sp_diags_init(&scratch);
	memset(&r, 0, sizeof(r));
	r.d = ctx;
	r.env = "";
	r.diags = &scratch;
	int rc = awsd_cluster_envs(&r, out);
	sp_diags_free(&scratch);
	return rc;
}

static int aws_shutdown(void *ctx)
{
	(void)ctx;
	return 0; /* nothing runs on this machine */
}

static void aws_free(void *ctx)
{
	struct awsd *d = ctx;
	if (!d)
		return;
	sp_aws_close(d->aws);
	free(d->image_id);
	free(d->instance_type);
	free(d->instance_profile);
	free(d->key_name);
	free(d->zones);
	free(d->vpc_id);
	free(d);
}

static const struct sp_driver_ops aws_ops = {
	"aws", aws_check, aws_apply, aws_observe, aws_destroy, aws_list, aws_shutdown, aws_free,
};

static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (!s || !*s)
		return 0;
	*out = sp_strdup(s);
	return *out ? 0 : SP_ENOMEM;
}

int sp_driver_aws_new(const struct sp_driver_aws_options *o, struct sp_driver **out,
		      struct sp_buf *msg)
{
	struct awsd *d = calloc(1, sizeof(*d));
	struct sp_driver *drv = calloc(1, sizeof(*drv));
	int rc = SP_ENOMEM;
	if (!d || !drv || !o)
		goto fail;
	if ((rc = dup_opt(o->image_id, &d->image_id)) ||
	    (rc = dup_opt(o->instance_type, &d->instance_type)) ||
	    (rc = dup_opt(o->instance_profile, &d->instance_profile)) ||
	    (rc = dup_opt(o->key_name, &d->key_name)) || (rc = dup_opt(o->zones, &d->zones)) ||
	    (rc = dup_opt(o->vpc_id, &d->vpc_id)))
		goto fail;
	d->delete_wait_s = o->delete_wait_s > 0 ? o->delete_wait_s : SP_AWS_DRIVER_DELETE_WAIT_S;
	d->on_event = o->on_event;
	d->event_user = o->event_user;
	if ((rc = sp_aws_open(&o->aws, &d->aws, msg)))
		goto fail;
	drv->ops = &aws_ops;
	drv->ctx = d;
	*out = drv;
	return 0;
fail:
	aws_free(d);
	free(drv);
	return rc;
}
