/* test_deploy.c — engine/deploy's pure parts (the driver plan of a plan, batch sizes,
 * option settings, health and causes) and the environment records of the store
 * (store_env.h: names, CNAMEs, the deployment queue, refusals while not Ready). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/path.h"
#include "engine/deploy/deploy.h"
#include "engine/driver/driver.h"
#include "engine/plan/plan.h"
#include "engine/store/store_env.h"
#include "engine/validate/validate.h"
#include "engine/base/banned.h"

/* ---- the driver plan of the sample app ---- */

static struct sp_validation *plan_dir(const char *path, const char *const *args, size_t n)
{
	struct sp_diags d;
	struct sp_validation *v = NULL;
	struct sp_validate_options o;
	memset(&o, 0, sizeof(o));
	o.env_name = "unit-env";
	o.env_id = "e-abcdefghij";
	o.option_args = args;
	o.n_option_args = n;
	o.taskdef_revision = 4;
	sp_diags_init(&d);
	int rc = sp_validate(path, &o, &d, &v);
	struct sp_buf t = SP_BUF_INIT(0);
	sp_diags_render_text(&d, false, &t);
	cr_assert_eq(rc, 0, "%s", sp_buf_cstr(&t));
	sp_buf_free(&t);
	sp_diags_free(&d);
	cr_assert_not_null(v->plan);
	return v;
}

static struct sp_validation *plan_sample(const char *const *args, size_t n)
{
	return plan_dir("examples/sample-app", args, n);
}

Test(deploy, driver_plan_of_the_sample_app_is_accepted_by_the_driver)
{
	static const char *const args[] = {
		"aws:elb:healthcheck:Interval=5",
		"aws:elasticbeanstalk:application:environment:GREETING=hi",
	};
	struct sp_validation *v = plan_sample(args, 2);
	json_t *doc = NULL;
	cr_assert_eq(sp_deploy_driver_plan(v->plan, 0, &doc), 0);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "environmentType")), "LoadBalanced");
	cr_expect_eq(json_integer_value(json_object_get(doc, "instances")), 3); /* MinSize */
	cr_expect_eq(json_array_size(json_object_get(doc, "listeners")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(doc, "environmentProperties"),
							    "GREETING")), "hi");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(doc, "healthCheck"), "interval")), 5);
	char *txt = json_dumps(doc, 0);
	struct sp_driver_plan p;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_driver_plan_parse(txt, &p, &d), 0);
	cr_expect_eq(sp_diags_errors(&d), 0);
	cr_expect(sp_driver_plan_port_open(&p, 80));
	cr_expect(sp_driver_plan_port_open(&p, 8080));
	cr_expect_eq(p.instances, 3);
	sp_driver_plan_free(&p);
	sp_diags_free(&d);
	free(txt);
	json_decref(doc);
	/* A scale request overrides MinSize. */
	cr_assert_eq(sp_deploy_driver_plan(v->plan, 5, &doc), 0);
	cr_expect_eq(json_integer_value(json_object_get(doc, "instances")), 5);
	json_decref(doc);
	json_t *s = NULL;
	cr_assert_eq(sp_deploy_plan_summary(v->plan, &s), 0);
	cr_expect_str_eq(json_string_value(json_object_get(s, "taskDefinition")),
			 "awseb-unit-env-e-abcdefghij:4");
	cr_expect_not_null(json_string_value(json_object_get(s, "cluster")));
	cr_expect_geq(json_array_size(json_object_get(s, "securityGroupRules")), 2);
	json_decref(s);
	sp_validation_free(v);
}

/* sprout:security TaskNetwork bridge reaches the driver plan as sharedBridge (only when
 * set), and the driver reads it back. */
Test(deploy, driver_plan_carries_task_network)
{
	static const char *const args[] = { "sprout:security:TaskNetwork=bridge" };
	for (int set = 0; set < 2; set++) {
		struct sp_validation *v = plan_sample(set ? args : NULL, set ? 1 : 0);
		json_t *doc = NULL;
		cr_assert_eq(sp_deploy_driver_plan(v->plan, 0, &doc), 0);
		cr_expect_eq(json_is_true(json_object_get(doc, "sharedBridge")), set);
		cr_expect_eq(json_object_get(doc, "sharedBridge") != NULL, set);
		char *txt = json_dumps(doc, 0);
		struct sp_driver_plan p;
		struct sp_diags d;
		sp_diags_init(&d);
		cr_assert_eq(sp_driver_plan_parse(txt, &p, &d), 0);
		cr_expect_eq(p.shared_bridge, set);
		sp_driver_plan_free(&p);
		sp_diags_free(&d);
		free(txt);
		json_decref(doc);
		sp_validation_free(v);
	}
}

/* aws:autoscaling:launchconfiguration and the load balancer's attributes reach the
 * driver plan, and the driver reads them back; unset ones are left to the driver. */
Test(deploy, driver_plan_carries_launch_configuration_and_lb_attributes)
{
	static const char *const args[] = {
		"aws:autoscaling:launchconfiguration:InstanceType=t3.small",
		"aws:autoscaling:launchconfiguration:IamInstanceProfile=ecsInstanceRole",
		"aws:autoscaling:launchconfiguration:EC2KeyName=ops-key",
		"aws:elb:loadbalancer:CrossZone=true",
		"aws:elb:policies:ConnectionDrainingEnabled=true",
		"aws:elb:policies:ConnectionDrainingTimeout=45",
		"aws:elb:policies:ConnectionSettingIdleTimeout=120",
	};
	struct sp_validation *v = plan_sample(args, sizeof(args) / sizeof(args[0]));
	json_t *doc = NULL;
	cr_assert_eq(sp_deploy_driver_plan(v->plan, 0, &doc), 0);
	json_t *lc = json_object_get(doc, "launchConfiguration");
	cr_expect_str_eq(json_string_value(json_object_get(lc, "instanceType")), "t3.small");
	cr_expect_str_eq(json_string_value(json_object_get(lc, "iamInstanceProfile")),
			 "ecsInstanceRole");
	cr_expect_str_eq(json_string_value(json_object_get(lc, "keyName")), "ops-key");
	cr_expect_null(json_object_get(lc, "imageId"));
	json_t *a = json_object_get(doc, "loadBalancerAttributes");
	cr_expect(json_is_true(json_object_get(a, "crossZone")));
	cr_expect(json_is_true(json_object_get(a, "connectionDraining")));
	cr_expect_eq(json_integer_value(json_object_get(a, "connectionDrainingTimeout")), 45);
	cr_expect_eq(json_integer_value(json_object_get(a, "idleTimeout")), 120);
	cr_expect_eq(json_integer_value(json_object_get(doc, "drainingTimeout")), 45);
	char *txt = json_dumps(doc, 0);
	struct sp_driver_plan p;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_driver_plan_parse(txt, &p, &d), 0);
	cr_expect_str_eq(p.instance_type, "t3.small");
	cr_expect_str_eq(p.instance_profile, "ecsInstanceRole");
	cr_expect_str_eq(p.key_name, "ops-key");
	cr_expect_str_eq(p.image_id, "");
	cr_expect(p.cross_zone && p.connection_draining);
	cr_expect_eq(p.connection_draining_timeout_s, 45);
	cr_expect_eq(p.idle_timeout_s, 120);
	sp_driver_plan_free(&p);
	free(txt);
	json_decref(doc);
	sp_validation_free(v);

	/* Defaults: no launch configuration values, EB's attribute defaults. */
	v = plan_sample(NULL, 0);
	cr_assert_eq(sp_deploy_driver_plan(v->plan, 0, &doc), 0);
	cr_expect_eq(json_object_size(json_object_get(doc, "launchConfiguration")), 0);
	txt = json_dumps(doc, 0);
	cr_assert_eq(sp_driver_plan_parse(txt, &p, &d), 0);
	cr_expect_str_eq(p.instance_type, "");
	cr_expect(!p.cross_zone && !p.connection_draining);
	cr_expect_eq(p.idle_timeout_s, 60);
	sp_driver_plan_free(&p);
	free(txt);
	json_decref(doc);
	sp_validation_free(v);

	/* What the driver refuses: a non-string, a space, a value over the limit, a range. */
	char big[SP_DRIVER_MAX_LC_VALUE + 40];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	char *bad = sp_aprintf("{\"environmentType\":\"SingleInstance\",\"launchConfiguration\":"
			       "{\"imageId\":1,\"instanceType\":\"t3 small\",\"keyName\":\"%s\"},"
			       "\"loadBalancerAttributes\":{\"crossZone\":\"yes\",\"idleTimeout\":0}}",
			       big);
	cr_assert_eq(sp_driver_plan_parse(bad, &p, &d), SP_ERROR);
	cr_expect_eq(sp_diags_errors(&d), 5);
	size_t limit = 0;
	for (size_t i = 0; i < d.n; i++)
		limit += !strcmp(d.items[i].code, "DRIVER_PLAN_LIMIT");
	cr_expect_eq(limit, 1);
	free(bad);
	sp_diags_free(&d);
}

Test(deploy, single_instance_has_one_instance_and_no_health_check)
{
	static const char *const args[] = {
		"aws:elasticbeanstalk:environment:EnvironmentType=SingleInstance",
	};
	/* The sample's .ebextensions name the load balancer's group: the Dockerrun alone. */
	char tmp[64] = "/tmp/sprout-deploy-single.XXXXXX", path[128];
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_not_null(mkdtemp(tmp));
	cr_assert_eq(sp_read_file("examples/sample-app/Dockerrun.aws.json", 1 << 20, &b), 0);
	snprintf(path, sizeof(path), "%s/Dockerrun.aws.json", tmp);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fwrite(b.data, 1, b.len, f);
	fclose(f);
	sp_buf_free(&b);
	/* Not empty folders (bundles/' folder scan is not happy with those under UBSan). */
	const char *const sub[] = { "www", "api" };
	for (size_t k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, sub[k]);
		cr_assert_eq(sp_mkdir_p(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/%s/index.html", tmp, sub[k]);
		FILE *g = fopen(path, "w");
		cr_assert_not_null(g);
		fputs("x\n", g);
		fclose(g);
	}
	struct sp_validation *v = plan_dir(tmp, args, 1);
	sp_rm_rf(tmp);
	json_t *doc = NULL;
	cr_assert_eq(sp_deploy_driver_plan(v->plan, 7, &doc), 0);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "environmentType")), "SingleInstance");
	cr_expect_eq(json_integer_value(json_object_get(doc, "instances")), 1);
	cr_expect_null(json_object_get(doc, "healthCheck"));
	json_decref(doc);
	sp_validation_free(v);
}

Test(deploy, batch_sizes)
{
	cr_expect_eq(sp_deploy_batch_size(3, "Fixed", 1), 1);
	cr_expect_eq(sp_deploy_batch_size(3, "Fixed", 10), 3);
	cr_expect_eq(sp_deploy_batch_size(3, "Percentage", 100), 3);
	cr_expect_eq(sp_deploy_batch_size(3, "Percentage", 30), 1);  /* 0.9 rounds up */
	cr_expect_eq(sp_deploy_batch_size(10, "Percentage", 25), 3); /* 2.5 rounds up */
	cr_expect_eq(sp_deploy_batch_size(4, NULL, 50), 2);
	cr_expect_eq(sp_deploy_batch_size(0, "Fixed", 2), 1);
}

Test(deploy, option_args_and_merge)
{
	char **v = NULL;
	size_t n = 0;
	cr_assert_eq(sp_deploy_option_args("[{\"namespace\":\"aws:elb:listener:8080\","
					   "\"option_name\":\"InstancePort\",\"value\":\"8080\"}]",
					   &v, &n), 0);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(v[0], "aws:elb:listener:8080:InstancePort=8080");
	sp_strv_free(v, n);
	cr_expect_eq(sp_deploy_option_args("{}", &v, &n), SP_EINVAL);
	cr_expect_eq(sp_deploy_option_args("[{\"namespace\":\"a\"}]", &v, &n), SP_EINVAL);

	json_t *set = json_loads("[{\"namespace\":\"n\",\"option_name\":\"A\",\"value\":\"2\"},"
				 "{\"namespace\":\"n\",\"option_name\":\"B\",\"value\":null},"
				 "{\"namespace\":\"n\",\"option_name\":\"C\",\"value\":\"3\"}]", 0, NULL);
	char *out = NULL;
	cr_assert_eq(sp_deploy_options_merge("[{\"namespace\":\"n\",\"option_name\":\"A\",\"value\":\"1\"},"
					     "{\"namespace\":\"n\",\"option_name\":\"B\",\"value\":\"x\"}]",
					     set, &out), 0);
	json_t *m = json_loads(out, 0, NULL);
	cr_expect_eq(json_array_size(m), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "value")), "2");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(m, 1), "option_name")), "C");
	json_decref(m);
	json_decref(set);
	free(out);
}

static void health_of(const char *obs_txt, const char *want, size_t ncauses)
{
	json_t *obs = json_loads(obs_txt, 0, NULL), *causes = NULL;
	char *h = NULL;
	cr_assert_not_null(obs);
	cr_assert_eq(sp_deploy_health(obs, &h, &causes), 0);
	cr_expect_str_eq(h, want, "%s", obs_txt);
	cr_expect_eq(json_array_size(causes), ncauses, "%s", obs_txt);
	free(h);
	json_decref(causes);
	json_decref(obs);
}

Test(deploy, health_and_causes)
{
	health_of("{\"instances\":[]}", "Grey", 1);
	health_of("{\"instances\":[{\"id\":\"i-1\",\"health\":\"Green\",\"task\":{\"state\":\"RUNNING\"}},"
		  "{\"id\":\"i-2\",\"health\":\"Green\",\"task\":{\"state\":\"RUNNING\"}}]}", "Green", 0);
	health_of("{\"instances\":[{\"id\":\"i-1\",\"health\":\"Green\",\"task\":{\"state\":\"RUNNING\"}},"
		  "{\"id\":\"i-2\",\"health\":\"Red\",\"task\":{\"state\":\"STOPPED\",\"stoppedReason\":"
		  "\"Essential container \\\"web\\\" in task exited with code 1\"}}]}", "Yellow", 1);
	health_of("{\"instances\":[{\"id\":\"i-1\",\"health\":\"Red\",\"task\":null}]}", "Red", 1);
	health_of("{\"instances\":[{\"id\":\"i-1\",\"health\":\"Grey\",\"task\":{\"state\":\"PENDING\"}}]}",
		  "Grey", 1);
	/* Leaving instances do not count. */
	health_of("{\"instances\":[{\"id\":\"i-1\",\"health\":\"Green\",\"task\":{\"state\":\"RUNNING\"}},"
		  "{\"id\":\"i-2\",\"health\":\"Red\",\"leaving\":true}]}", "Green", 0);
	json_t *obs = json_loads("{\"instances\":[{\"id\":\"i-9\",\"health\":\"Red\",\"task\":{\"state\":"
				 "\"STOPPED\",\"stoppedReason\":\"exited with code 137\"}}]}", 0, NULL), *c;
	char *h;
	cr_assert_eq(sp_deploy_health(obs, &h, &c), 0);
	cr_expect(strstr(json_string_value(json_array_get(c, 0)), "i-9") != NULL);
	cr_expect(strstr(json_string_value(json_array_get(c, 0)), "code 137") != NULL);
	free(h);
	json_decref(c);
	json_decref(obs);
}

/* ---- the store's environments ---- */

static char dir[64], db[128];
static struct sp_store *st;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sprout-deploy-test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/sprout.db", dir);
	cr_assert_eq(sp_store_open(db, &st), 0);
	struct sp_app a;
	cr_assert_eq(sp_store_app_create(st, "shop", "", NULL, NULL, &a), 0);
	sp_app_free(&a);
	struct sp_version v;
	cr_assert_eq(sp_store_version_create(st, "shop", "v1", "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 10, NULL, &v), 0);
	sp_version_free(&v);
}

static void teardown(void)
{
	sp_store_close(st);
	sp_rm_rf(dir);
}

Test(deploy_store, names_follow_eb)
{
	cr_expect_null(sp_env_name_problem("shop-prod"));
	cr_expect_null(sp_env_name_problem("abcd"));
	cr_expect_not_null(sp_env_name_problem("abc"));
	cr_expect_not_null(sp_env_name_problem("-shop"));
	cr_expect_not_null(sp_env_name_problem("shop-"));
	cr_expect_not_null(sp_env_name_problem("shop_prod"));
	cr_expect_not_null(sp_env_name_problem("a23456789012345678901234567890123456789012"));
	cr_expect_null(sp_env_name_problem("a234567890123456789012345678901234567890"));
	cr_expect_null(sp_cname_prefix_problem("a23456789012345678901234567890123456789012"));
	cr_expect_not_null(sp_cname_prefix_problem("x.y"));
}

Test(deploy_store, create_queue_refuse_terminate, .init = setup, .fini = teardown)
{
	struct sp_env e;
	const char *which = NULL;
	struct sp_env_new in = { "shop", "shop-prod", "shop-www", NULL, "v1", NULL, NULL };
	cr_assert_eq(sp_store_env_insert(st, &in, "req-1", &which, &e), 0);
	cr_expect_eq(e.status, SP_ENV_LAUNCHING);
	cr_expect_str_eq(e.health, "Grey");
	cr_expect_str_eq(e.driver, "local");
	cr_expect_eq(strlen(e.env_id), 12);
	cr_expect_eq(strncmp(e.env_id, "e-", 2), 0);
	sp_env_free(&e);
	/* Name and CNAME are unique. */
	cr_expect_eq(sp_store_env_insert(st, &in, NULL, &which, &e), SP_EEXISTS);
	cr_expect_str_eq(which, "name");
	struct sp_env_new in2 = { "shop", "shop-two", "shop-www", NULL, "v1", NULL, NULL };
	cr_expect_eq(sp_store_env_insert(st, &in2, NULL, &which, &e), SP_EEXISTS);
	cr_expect_str_eq(which, "cname");
	struct sp_env_new in3 = { "shop", "shop-three", NULL, NULL, "v9", NULL, NULL };
	cr_expect_eq(sp_store_env_insert(st, &in3, NULL, &which, &e), SP_ENOTFOUND);
	cr_expect_str_eq(which, "version");
	/* The launch is queued; a second request waits until Ready. */
	struct sp_deployment d;
	cr_assert_eq(sp_store_deploy_next(st, &d), 0);
	cr_expect_eq(d.kind, SP_DEPLOY_LAUNCH);
	cr_expect_str_eq(d.request_id, "req-1");
	cr_expect_str_eq(d.status, "Pending");
	int64_t id = d.id, row = d.env_row;
	sp_deployment_free(&d);
	cr_expect_eq(sp_store_env_request(st, "shop-prod", SP_DEPLOY_VERSION, "v1", NULL, -1, NULL,
					  &which, NULL), SP_EINUSE);
	cr_assert_eq(sp_store_deploy_begin(st, id, "AllAtOnce"), 0);
	cr_assert_eq(sp_store_deploy_end(st, id, "Succeeded", NULL), 0);
	struct sp_env_update u = SP_ENV_UPDATE_NONE;
	u.status = SP_ENV_READY;
	u.version = "v1";
	u.last_good_version = "v1";
	cr_assert_eq(sp_store_env_update(st, row, &u), 0);
	cr_expect_eq(sp_store_deploy_next(st, &d), SP_ENOTFOUND);
	/* The version is now deployed: it cannot be deleted. */
	char *orphan = NULL;
	cr_expect_eq(sp_store_version_delete(st, "shop", "v1", NULL, &orphan), SP_EINUSE);
	/* A deploy of a version that does not exist; then a scale. */
	cr_expect_eq(sp_store_env_request(st, "shop-prod", SP_DEPLOY_VERSION, "v7", NULL, -1, NULL,
					  &which, NULL), SP_ENOTFOUND);
	cr_assert_eq(sp_store_env_request(st, "shop-prod", SP_DEPLOY_CONFIG, NULL, NULL, 4, "req-2",
					  &which, &d), 0);
	cr_expect_eq(d.kind, SP_DEPLOY_CONFIG);
	sp_deployment_free(&d);
	cr_assert_eq(sp_store_env_get(st, "shop-prod", &e), 0);
	cr_expect_eq(e.status, SP_ENV_UPDATING);
	cr_expect_eq(e.instances, 4);
	cr_expect_str_eq(e.last_good_version, "v1");
	sp_env_free(&e);
	/* Abort is accepted while Updating. */
	cr_expect_eq(sp_store_env_abort(st, "shop-prod", NULL), 0);
	cr_assert_eq(sp_store_env_get(st, "shop-prod", &e), 0);
	cr_expect(e.abort_requested);
	sp_env_free(&e);
	/* Terminate is accepted in any state but Terminating, and drops what waited. */
	cr_assert_eq(sp_store_env_request(st, "shop-prod", SP_DEPLOY_TERMINATE, NULL, NULL, -1, NULL,
					  &which, NULL), 0);
	cr_expect_eq(sp_store_env_request(st, "shop-prod", SP_DEPLOY_TERMINATE, NULL, NULL, -1, NULL,
					  &which, NULL), SP_EINUSE);
	struct sp_deployment *list = NULL;
	size_t n = 0;
	cr_assert_eq(sp_store_deployments_list(st, "shop-prod", 10, &list, &n), 0);
	cr_expect_eq(n, 3);
	cr_expect_str_eq(list[1].status, "Aborted");
	sp_deployment_list_free(list, n);
	cr_assert_eq(sp_store_env_terminated(st, row, 0), 0);
	cr_expect_eq(sp_store_env_get(st, "shop-prod", &e), SP_ENOTFOUND);
	/* The name is free again and the application can go. */
	cr_expect_eq(sp_store_app_delete(st, "shop", NULL, NULL, NULL), 0);
}

Test(deploy_store, instances_are_replaced_per_observation, .init = setup, .fini = teardown)
{
	struct sp_env e;
	const char *which;
	struct sp_env_new in = { "shop", "shop-prod", NULL, NULL, "v1", "[]", "local" };
	cr_assert_eq(sp_store_env_insert(st, &in, NULL, &which, &e), 0);
	cr_expect_eq(strncmp(e.cname_prefix, "shop-prod-", 10), 0);
	cr_expect_eq(strlen(e.cname_prefix), 20);
	struct sp_env_instance v[2] = { { "i-1", "127.0.2.2", "Green", "RUNNING" },
					{ "i-2", "127.0.2.3", "Red", "STOPPED" } };
	cr_assert_eq(sp_store_env_set_instances(st, e.id, v, 2), 0);
	cr_assert_eq(sp_store_env_set_instances(st, e.id, v, 1), 0);
	sp_env_free(&e);
}
