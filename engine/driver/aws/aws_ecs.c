/* aws_ecs.c — the ECS side of the AWS driver: cluster, task definition revisions,
 * container instances and one task per instance (JSON 1.1 through engine/aws). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/sha256.h"
#include "engine/driver/aws/aws_internal.h"
#include "engine/base/banned.h"

#define STARTED_BY "sprout"

/* One ECS call; req is stolen. quiet: an AWS error is returned without a diagnostic. */
static int ecs(struct awsd_run *r, const char *op, json_t *req, json_t **resp, bool quiet)
{
	json_t *out = NULL;
	int rc = req ? sp_aws_json_call(r->d->aws, SP_AWS_ECS, op, req, &out) : SP_ENOMEM;
	json_decref(req);
	if (rc) {
		if (!(quiet && rc == SP_ERROR))
			awsd_fail(r, rc);
		return rc;
	}
	if (resp)
		*resp = out;
	else
		json_decref(out);
	return 0;
}

static const char *tag_value(const json_t *tags, const char *key)
{
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t) {
		const char *k = json_string_value(json_object_get(t, "key"));
		if (k && !strcmp(k, key))
			return json_string_value(json_object_get(t, "value"));
	}
	return NULL;
}

/* Finds the ACTIVE cluster tagged sprout:environment=ENV (observe and destroy know only
 * the environment's name); sets r->n.cluster. */
static int cluster_locate(struct awsd_run *r, json_t **found)
{
	json_t *arns = NULL, *req = json_object();
	int rc = req ? 0 : SP_ENOMEM;
	*found = NULL;
	for (int page = 0; !rc && page < SP_AWS_DRIVER_MAX_PAGES; page++) {
		json_t *resp = NULL;
		if ((rc = ecs(r, "ListClusters", json_incref(req), &resp, false)))
			break;
		json_t *list = json_object_get(resp, "clusterArns");
		for (size_t i = 0; !rc && !*found && i < json_array_size(list); i += 100) {
			json_t *chunk = json_array(), *d = NULL;
			for (size_t j = i; j < i + 100 && j < json_array_size(list); j++)
				json_array_append(chunk, json_array_get(list, j));
			rc = ecs(r, "DescribeClusters",
				 json_pack("{s:o, s:[s]}", "clusters", chunk, "include", "TAGS"), &d,
				 false);
			size_t k;
			json_t *c;
			json_array_foreach(json_object_get(d, "clusters"), k, c) {
				const char *env = tag_value(json_object_get(c, "tags"),
							    "sprout:environment");
				const char *st = json_string_value(json_object_get(c, "status"));
				const char *name = json_string_value(json_object_get(c, "clusterName"));
				if (env && !strcmp(env, r->env) && st && !strcmp(st, "ACTIVE") && name &&
				    strlen(name) < sizeof(r->n.cluster) && !*found) {
					snprintf(r->n.cluster, sizeof(r->n.cluster), "%s", name);
					*found = json_incref(c);
				}
			}
			json_decref(d);
		}
		const char *next = json_string_value(json_object_get(resp, "nextToken"));
		bool more = !*found && next && *next;
		if (more)
			json_object_set_new(req, "nextToken", json_string(next));
		json_decref(resp);
		if (!more)
			break;
	}
	json_decref(req);
	json_decref(arns);
	return rc;
}

int awsd_cluster_envs(struct awsd_run *r, json_t **out)
{
	json_t *req = json_object(), *names = json_array();
	int rc = req && names ? 0 : SP_ENOMEM;
	for (int page = 0; !rc && page < SP_AWS_DRIVER_MAX_PAGES; page++) {
		json_t *resp = NULL;
		if ((rc = ecs(r, "ListClusters", json_incref(req), &resp, false)))
			break;
		json_t *list = json_object_get(resp, "clusterArns");
		for (size_t i = 0; !rc && i < json_array_size(list); i += 100) {
			json_t *chunk = json_array(), *d = NULL;
			for (size_t j = i; j < i + 100 && j < json_array_size(list); j++)
				json_array_append(chunk, json_array_get(list, j));
			rc = ecs(r, "DescribeClusters",
				 json_pack("{s:o, s:[s]}", "clusters", chunk, "include", "TAGS"), &d,
				 false);
			size_t k;
			json_t *c;
			json_array_foreach(json_object_get(d, "clusters"), k, c) {
				const char *env = tag_value(json_object_get(c, "tags"),
							    "sprout:environment");
				const char *st = json_string_value(json_object_get(c, "status"));
				if (env && st && !strcmp(st, "ACTIVE") && sp_driver_env_name_valid(env))
					json_array_append_new(names, json_string(env));
			}
			json_decref(d);
		}
		const char *next = json_string_value(json_object_get(resp, "nextToken"));
		bool more = next && *next;
		if (more)
			json_object_set_new(req, "nextToken", json_string(next));
		json_decref(resp);
		if (!more)
			break;
	}
	json_decref(req);
	if (rc) {
		json_decref(names);
		return rc;
	}
	*out = names;
	return 0;
}

int awsd_cluster_find(struct awsd_run *r, bool *exists, json_t **cluster)
{
	json_t *resp = NULL, *c = NULL;
	int rc;
	if (!r->n.cluster[0]) {
		rc = cluster_locate(r, &c);
		if (rc)
			return rc;
	} else {
		rc = ecs(r, "DescribeClusters",
			 json_pack("{s:[s], s:[s]}", "clusters", r->n.cluster, "include", "TAGS"),
			 &resp, false);
		if (rc)
			return rc;
		c = json_incref(json_array_get(json_object_get(resp, "clusters"), 0));
	}
	const char *status = json_string_value(json_object_get(c, "status"));
	*exists = c && status && strcmp(status, "INACTIVE");
	if (*exists) {
		const char *fam = tag_value(json_object_get(c, "tags"), "sprout:family");
		if (fam && !r->family[0])
			snprintf(r->family, sizeof(r->family), "%s", fam);
		if (cluster)
			*cluster = json_incref(c);
	}
	json_decref(c);
	json_decref(resp);
	return 0;
}

int awsd_cluster_ensure(struct awsd_run *r)
{
	json_t *c = NULL, *resp = NULL;
	bool exists = false;
	int rc = awsd_cluster_find(r, &exists, &c);
	if (rc)
		return rc;
	json_t *tags = json_pack("[{s:s, s:s}, {s:s, s:s}]", "key", "sprout:environment", "value",
				 r->env, "key", "sprout:family", "value", r->family);
	if (!exists) {
		rc = ecs(r, "CreateCluster",
			 json_pack("{s:s, s:O}", "clusterName", r->n.cluster, "tags", tags), NULL,
			 false);
		if (!rc)
			awsd_changed(r, "Created ECS cluster %s.", r->n.cluster);
	} else {
		const char *fam = tag_value(json_object_get(c, "tags"), "sprout:family");
		const char *arn = json_string_value(json_object_get(c, "clusterArn"));
		if (arn && (!fam || strcmp(fam, r->family)))
			rc = ecs(r, "TagResource",
				 json_pack("{s:s, s:O}", "resourceArn", arn, "tags", tags), NULL,
				 false);
	}
	json_decref(tags);
	json_decref(c);
	json_decref(resp);
	return rc;
}

/* The task definition as registered: the spec's, with the environment properties set in
 * every container's environment (replacing a same-named entry), and tags. */
static json_t *taskdef_request(const json_t *taskdef, const json_t *props)
{
	json_t *td = json_deep_copy(taskdef);
	size_t i;
	json_t *c;
	if (!td)
		return NULL;
	json_array_foreach(json_object_get(td, "containerDefinitions"), i, c) {
		json_t *envs = json_object_get(c, "environment");
		if (!json_is_array(envs)) {
			envs = json_array();
			if (!envs || json_object_set_new(c, "environment", envs))
				goto fail;
		}
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)props, k, v) {
			size_t j;
			json_t *e;
			bool done = false;
			json_array_foreach(envs, j, e) {
				const char *n = json_string_value(json_object_get(e, "name"));
				if (n && !strcmp(n, k)) {
					json_object_set(e, "value", v);
					done = true;
				}
			}
			if (!done && json_array_append_new(envs, json_pack("{s:s, s:O}", "name", k,
									   "value", v)))
				goto fail;
		}
	}
	return td;
fail:
	json_decref(td);
	return NULL;
}

int awsd_taskdef_ensure(struct awsd_run *r, const json_t *taskdef, const json_t *properties,
			const char *version)
{
	json_t *req = taskdef_request(taskdef, properties), *resp = NULL;
	char *canon = NULL, hex[SP_SHA256_HEX_LEN + 1];
	struct sp_buf b = SP_BUF_INIT(0);
	int rc = SP_ENOMEM;
	if (!req)
		goto out;
	canon = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	if (!canon || sp_buf_printf(&b, "%s\n%s", canon, version ? version : ""))
		goto out;
	if ((rc = sp_sha256_hex(b.data, b.len, hex)))
		goto out;
	hex[32] = '\0'; /* 128 bits name a revision well enough */

	rc = ecs(r, "DescribeTaskDefinition",
		 json_pack("{s:s, s:[s]}", "taskDefinition", r->family, "include", "TAGS"), &resp,
		 true);
	if (rc == 0) {
		json_t *td = json_object_get(resp, "taskDefinition");
		const char *status = json_string_value(json_object_get(td, "status"));
		const char *digest = tag_value(json_object_get(resp, "tags"), "sprout:digest");
		const char *arn = json_string_value(json_object_get(td, "taskDefinitionArn"));
		if (arn && status && !strcmp(status, "ACTIVE") && digest && !strcmp(digest, hex)) {
			snprintf(r->taskdef_arn, sizeof(r->taskdef_arn), "%s", arn);
			goto out;
		}
	} else if (rc != SP_ERROR) {
		goto out; /* diagnostic added */
	}
	json_decref(resp);
	resp = NULL;
	/* Not there (ClientException), inactive or different: a new revision. */
	json_t *tags = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "key",
				 "sprout:environment", "value", r->env, "key", "sprout:version",
				 "value", version ? version : "", "key", "sprout:digest", "value", hex);
	if (!tags || json_object_set_new(req, "tags", tags)) {
		rc = SP_ENOMEM;
		goto out;
	}
	rc = ecs(r, "RegisterTaskDefinition", json_incref(req), &resp, false);
	if (rc)
		goto out;
	json_t *td = json_object_get(resp, "taskDefinition");
	const char *arn = json_string_value(json_object_get(td, "taskDefinitionArn"));
	if (!arn) {
		rc = SP_EINVAL;
		awsd_fail(r, rc);
		goto out;
	}
	snprintf(r->taskdef_arn, sizeof(r->taskdef_arn), "%s", arn);
	awsd_changed(r, "Registered task definition %s:%lld for version %s.", r->family,
		     (long long)json_integer_value(json_object_get(td, "revision")),
		     version ? version : "");
out:
	free(canon);
	sp_buf_free(&b);
	json_decref(req);
	json_decref(resp);
	return rc;
}

/* Follows nextToken over a List* call, collecting key's strings into *out. */
static int list_all(struct awsd_run *r, const char *op, json_t *base, const char *key,
		    json_t **out)
{
	json_t *all = json_array();
	int rc = all && base ? 0 : SP_ENOMEM;
	for (int page = 0; !rc && page < SP_AWS_DRIVER_MAX_PAGES; page++) {
		json_t *resp = NULL;
		rc = ecs(r, op, json_deep_copy(base), &resp, false);
		if (rc)
			break;
		json_array_extend(all, json_object_get(resp, key));
		const char *next = json_string_value(json_object_get(resp, "nextToken"));
		if (next && *next)
			json_object_set_new(base, "nextToken", json_string(next));
		json_decref(resp);
		if (!next || !*next)
			break;
	}
	json_decref(base);
	if (rc) {
		json_decref(all);
		return rc;
	}
	*out = all;
	return 0;
}

/* Describe* in chunks of 100 (ECS's maximum). */
static int describe_all(struct awsd_run *r, const char *op, const char *arg, json_t *arns,
			const char *key, json_t **out)
{
	json_t *all = json_array();
	int rc = all ? 0 : SP_ENOMEM;
	for (size_t i = 0; !rc && i < json_array_size(arns); i += 100) {
		json_t *chunk = json_array(), *resp = NULL;
		for (size_t j = i; j < i + 100 && j < json_array_size(arns); j++)
			json_array_append(chunk, json_array_get(arns, j));
		rc = ecs(r, op, json_pack("{s:s, s:o}", "cluster", r->n.cluster, arg, chunk), &resp,
			 false);
		if (!rc) {
			json_array_extend(all, json_object_get(resp, key));
			json_decref(resp);
		}
	}
	if (rc) {
		json_decref(all);
		return rc;
	}
	*out = all;
	return 0;
}

int awsd_cluster_state(struct awsd_run *r, json_t **container_instances, json_t **tasks)
{
	json_t *ci_arns = NULL, *task_arns = NULL, *cis = NULL, *ts = NULL;
	int rc = list_all(r, "ListContainerInstances", json_pack("{s:s}", "cluster", r->n.cluster),
			  "containerInstanceArns", &ci_arns);
	if (!rc)
		rc = describe_all(r, "DescribeContainerInstances", "containerInstances", ci_arns,
				  "containerInstances", &cis);
	if (!rc)
		rc = list_all(r, "ListTasks",
			      json_pack("{s:s, s:s}", "cluster", r->n.cluster, "desiredStatus",
					"RUNNING"),
			      "taskArns", &task_arns);
	if (!rc)
		rc = describe_all(r, "DescribeTasks", "tasks", task_arns, "tasks", &ts);
	json_decref(ci_arns);
	json_decref(task_arns);
	if (rc) {
		json_decref(cis);
		json_decref(ts);
		return rc;
	}
	*container_instances = cis;
	*tasks = ts;
	return 0;
}

static const char *short_id(const char *arn)
{
	const char *s = arn ? strrchr(arn, '/') : NULL;
	return s ? s + 1 : arn ? arn : "";
}

static bool same_family(const char *taskdef_arn, const char *family)
{
	/* arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REV */
	const char *s = taskdef_arn ? strrchr(taskdef_arn, '/') : NULL;
	size_t n = strlen(family);
	return s && !strncmp(s + 1, family, n) && s[1 + n] == ':';
}

int awsd_tasks_reconcile(struct awsd_run *r, const char *version)
{
	json_t *cis = NULL, *tasks = NULL;
	size_t i, j, joined = 0;
	json_t *ci, *t;
	int rc = awsd_cluster_state(r, &cis, &tasks);
	if (rc)
		return rc;
	json_array_foreach(cis, i, ci) {
		const char *ci_arn = json_string_value(json_object_get(ci, "containerInstanceArn"));
		const char *status = json_string_value(json_object_get(ci, "status"));
		const char *ec2 = json_string_value(json_object_get(ci, "ec2InstanceId"));
		if (!ci_arn || !status || strcmp(status, "ACTIVE"))
			continue;
		joined++;
		bool current = false;
		json_array_foreach(tasks, j, t) {
			const char *on = json_string_value(json_object_get(t, "containerInstanceArn"));
			const char *td = json_string_value(json_object_get(t, "taskDefinitionArn"));
			const char *arn = json_string_value(json_object_get(t, "taskArn"));
			const char *desired = json_string_value(json_object_get(t, "desiredStatus"));
			if (!on || strcmp(on, ci_arn) || !td || !arn ||
			    (desired && strcmp(desired, "RUNNING")))
				continue;
			if (!strcmp(td, r->taskdef_arn) && !current) {
				current = true;
				continue;
			}
			if (!same_family(td, r->family) && strcmp(td, r->taskdef_arn))
				continue; /* not ours */
			char reason[300];
			snprintf(reason, sizeof(reason), "sprout: replaced by version %.200s",
				 version ? version : "");
			rc = ecs(r, "StopTask",
				 json_pack("{s:s, s:s, s:s}", "cluster", r->n.cluster, "task", arn,
					   "reason", reason),
				 NULL, false);
			if (rc)
				goto out;
			r->changes++;
			awsd_event(r, SP_DRIVER_INFO, ec2, short_id(arn),
				   "Stopped task %s (%s) on instance %s.", short_id(arn),
				   short_id(td), ec2 ? ec2 : short_id(ci_arn));
		}
		if (current)
			continue;
		json_t *resp = NULL;
		rc = ecs(r, "StartTask",
			 json_pack("{s:s, s:s, s:[s], s:s}", "cluster", r->n.cluster,
				   "taskDefinition", r->taskdef_arn, "containerInstances", ci_arn,
				   "startedBy", STARTED_BY),
			 &resp, false);
		if (rc)
			goto out;
		json_t *failures = json_object_get(resp, "failures");
		if (json_array_size(failures)) {
			const char *why = json_string_value(
				json_object_get(json_array_get(failures, 0), "reason"));
			awsd_event(r, SP_DRIVER_ERROR, ec2, NULL,
				   "StartTask failed on instance %s: %s.", ec2 ? ec2 : short_id(ci_arn),
				   why ? why : "unknown reason");
			struct sp_loc loc = { NULL, 0, 0, "" };
			sp_diag_add(r->diags, SP_SEV_ERROR, "AWS_TASK_NOT_STARTED", loc,
				    "check the instance's resources (memory, ports) in ECS",
				    "ecs StartTask on %s: %s", ec2 ? ec2 : short_id(ci_arn),
				    why ? why : "unknown reason");
			json_decref(resp);
			rc = SP_ERROR;
			goto out;
		}
		const char *task = json_string_value(
			json_object_get(json_array_get(json_object_get(resp, "tasks"), 0), "taskArn"));
		r->changes++;
		awsd_event(r, SP_DRIVER_INFO, ec2, short_id(task),
			   "Started task %s (%s) on instance %s.", short_id(task),
			   short_id(r->taskdef_arn), ec2 ? ec2 : short_id(ci_arn));
		json_decref(resp);
	}
	if (!joined)
		awsd_event(r, SP_DRIVER_INFO, NULL, NULL,
			   "No container instance has joined cluster %s yet; tasks start as "
			   "instances register.", r->n.cluster);
out:
	json_decref(cis);
	json_decref(tasks);
	return rc;
}

int awsd_ecs_stop_tasks(struct awsd_run *r)
{
	json_t *cis = NULL, *tasks = NULL;
	bool exists = false;
	size_t i;
	json_t *x;
	int rc = awsd_cluster_find(r, &exists, NULL);
	if (rc || !exists)
		return rc;
	if ((rc = awsd_cluster_state(r, &cis, &tasks)))
		return rc;
	json_array_foreach(tasks, i, x) {
		const char *arn = json_string_value(json_object_get(x, "taskArn"));
		if (!arn)
			continue;
		rc = ecs(r, "StopTask",
			 json_pack("{s:s, s:s, s:s}", "cluster", r->n.cluster, "task", arn, "reason",
				   "sprout: environment terminated"),
			 NULL, false);
		if (rc)
			break;
		awsd_changed(r, "Stopped task %s.", short_id(arn));
	}
	json_decref(cis);
	json_decref(tasks);
	return rc;
}

/* Deregisters the container instances, the family's revisions, then the cluster. */
int awsd_ecs_destroy(struct awsd_run *r)
{
	json_t *cis = NULL, *defs = NULL;
	bool exists = false;
	size_t i;
	json_t *x;
	int rc = awsd_cluster_find(r, &exists, NULL);
	if (rc || !exists)
		return rc;
	rc = list_all(r, "ListContainerInstances", json_pack("{s:s}", "cluster", r->n.cluster),
		      "containerInstanceArns", &cis);
	if (rc)
		return rc;
	json_array_foreach(cis, i, x) {
		const char *arn = json_string_value(x);
		if (!arn)
			continue;
		rc = ecs(r, "DeregisterContainerInstance",
			 json_pack("{s:s, s:s, s:b}", "cluster", r->n.cluster, "containerInstance", arn,
				   "force", 1),
			 NULL, false);
		if (rc)
			goto out;
		awsd_changed(r, "Deregistered container instance %s.", short_id(arn));
	}
	if (r->family[0]) {
		rc = list_all(r, "ListTaskDefinitions",
			      json_pack("{s:s, s:s}", "familyPrefix", r->family, "status", "ACTIVE"),
			      "taskDefinitionArns", &defs);
		if (rc)
			goto out;
		json_array_foreach(defs, i, x) {
			const char *arn = json_string_value(x);
			if (!arn || !same_family(arn, r->family))
				continue;
			rc = ecs(r, "DeregisterTaskDefinition",
				 json_pack("{s:s}", "taskDefinition", arn), NULL, false);
			if (rc)
				goto out;
			awsd_changed(r, "Deregistered task definition %s.", short_id(arn));
		}
	}
	rc = ecs(r, "DeleteCluster", json_pack("{s:s}", "cluster", r->n.cluster), NULL, false);
	if (!rc)
		awsd_changed(r, "Deleted ECS cluster %s.", r->n.cluster);
out:
	json_decref(cis);
	json_decref(defs);
	return rc;
}
