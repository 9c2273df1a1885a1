/* test_plan.c — engine/plan through its API: listeners and their defaults, security group
 * rules, instances, the cross-checks, the API request shapes and the CloudFormation
 * template. The exact text of each case: tests/data/plan/. */
#include <criterion/criterion.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/dockerrun/dockerrun.h"
#include "engine/plan/plan.h"
#include "engine/base/banned.h"

static const char *DR =
	"{\"AWSEBDockerrunVersion\": 2, \"containerDefinitions\": [\n"
	" {\"name\": \"web\", \"image\": \"nginx\", \"memory\": 64,\n"
	"  \"portMappings\": [{\"hostPort\": 80, \"containerPort\": 80},"
	" {\"hostPort\": 8080, \"containerPort\": 8080}]}]}\n";

static const char *INGRESS_8080 =
	"Resources:\n  i:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n"
	"      GroupId: {\"Fn::GetAtt\": [AWSEBSecurityGroup, GroupId]}\n"
	"      IpProtocol: tcp\n      FromPort: 8080\n      ToPort: 8080\n"
	"      SourceSecurityGroupName: {\"Fn::GetAtt\": [AWSEBLoadBalancer, SourceSecurityGroup.GroupName]}\n";

struct fx {
	struct sp_options *o;
	struct sp_ebx *x;
	struct sp_dockerrun *dr;
	struct sp_diags d;
	struct sp_plan *p;
};

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	sp_diags_init(&f->d);
	cr_assert_eq(sp_options_new(&f->o), 0);
	cr_assert_eq(sp_ebx_new(&f->x), 0);
	cr_assert_eq(sp_dockerrun_load(DR, strlen(DR), "Dockerrun.aws.json", NULL, &f->d, &f->dr), 0);
}

static void fx_config(struct fx *f, const char *text)
{
	cr_assert_eq(sp_ebx_add_file(f->x, text, strlen(text), "a.config", f->o, &f->d), 0);
}

static void fx_opt(struct fx *f, const char *arg)
{
	cr_assert_eq(sp_options_set_arg(f->o, SP_OPT_LEVEL_API, arg, "--option", &f->d), 0);
}

static int fx_build(struct fx *f)
{
	struct sp_plan_input in = { .env_name = "unit-env", .dockerrun = f->dr, .opts = f->o,
				    .ebx = f->x, .taskdef_revision = 3 };
	return sp_plan_build(&in, &f->d, &f->p);
}

static void fx_free(struct fx *f)
{
	sp_plan_free(f->p);
	sp_dockerrun_free(f->dr);
	sp_ebx_free(f->x);
	sp_options_free(f->o);
	sp_diags_free(&f->d);
}

static bool has_code(const struct sp_diags *d, const char *code)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].code, code) == 0)
			return true;
	return false;
}

Test(plan, defaults)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(fx_build(&f), 0);
	struct sp_plan *p = f.p;
	cr_assert(p->load_balanced);
	cr_assert_eq(p->n_listeners, 1);
	cr_assert_eq(p->listeners[0].port, 80);
	cr_assert_str_eq(p->listeners[0].protocol, "HTTP");
	cr_assert_eq(p->listeners[0].instance_port, 80);
	cr_assert_str_eq(p->health.target, "TCP:80");
	cr_assert_eq(p->min_size, 1);
	cr_assert_eq(p->max_size, 4);
	cr_assert_eq(p->revision, 3);
	cr_assert_str_eq(p->deploy.policy, "AllAtOnce");
	cr_assert_eq(p->deploy.timeout, 600);
	cr_assert_eq(p->n_rules, 2, "LB open on 80, instances open from the LB on 80");
	cr_assert_eq(p->rules[1].group, SP_PLAN_SG_INSTANCE);
	cr_assert_eq(p->rules[1].source, SP_PLAN_SG_LB);
	cr_assert_not(p->sprout.allow_privileged);
	fx_free(&f);
}

Test(plan, extra_listener_with_ingress_and_environment)
{
	struct fx f;
	fx_init(&f);
	fx_config(&f, INGRESS_8080);
	fx_opt(&f, "aws:elb:listener:8080:ListenerProtocol=TCP");
	fx_opt(&f, "aws:elasticbeanstalk:application:environment:B=2");
	fx_opt(&f, "aws:elasticbeanstalk:application:environment:A=1");
	cr_assert_eq(fx_build(&f), 0);
	struct sp_plan *p = f.p;
	cr_assert_eq(p->n_listeners, 2);
	cr_assert_eq(p->listeners[1].port, 8080);
	cr_assert_eq(p->listeners[1].instance_port, 8080, "InstancePort defaults to the port");
	cr_assert_str_eq(p->listeners[1].instance_protocol, "TCP");
	cr_assert_eq(p->n_env, 2);
	cr_assert_str_eq(p->env[0].name, "A", "sorted");
	json_t *env = json_object_get(json_array_get(json_object_get(p->taskdef,
								      "containerDefinitions"), 0),
				      "environment");
	cr_assert_eq(json_array_size(env), 2, "properties reach every container");
	fx_free(&f);
}

Test(plan, single_instance)
{
	struct fx f;
	fx_init(&f);
	fx_opt(&f, "aws:elasticbeanstalk:environment:EnvironmentType=SingleInstance");
	fx_opt(&f, "aws:autoscaling:asg:MinSize=3");
	fx_opt(&f, "aws:autoscaling:asg:MaxSize=3");
	cr_assert_eq(fx_build(&f), 0);
	cr_assert_not(f.p->load_balanced);
	cr_assert_eq(f.p->n_listeners, 0);
	cr_assert_eq(f.p->min_size, 1);
	cr_assert_eq(f.p->max_size, 1);
	json_t *t = NULL;
	cr_assert_eq(sp_plan_to_cloudformation(f.p, &t), 0);
	json_t *res = json_object_get(t, "Resources");
	cr_assert_null(json_object_get(res, "AWSEBLoadBalancer"));
	cr_assert_not_null(json_object_get(res, "AWSEBSecurityGroup"));
	json_decref(t);
	fx_free(&f);
}

Test(plan, cross_checks)
{
	static const struct {
		const char *args[4];
		const char *config;
		const char *code;
	} cases[] = {
		{ { "aws:elb:listener:9000:InstancePort=9000" }, NULL, "PLAN_LISTENER_NO_CONTAINER" },
		{ { "aws:elb:listener:8080:InstancePort=8080" }, NULL, "PLAN_LISTENER_NO_INGRESS" },
		{ { "aws:elb:loadbalancer:LoadBalancerHTTPSPort=443",
		    "aws:elb:loadbalancer:SSLCertificateId=arn:x",
		    "aws:elb:listener:443:SSLCertificateId=arn:y" }, NULL, "PLAN_LISTENER_DUPLICATE" },
		{ { "aws:elb:listener:InstanceProtocol=TCP" }, NULL, "PLAN_LISTENER_PROTOCOL" },
		{ { "aws:elb:listener:443:ListenerProtocol=SSL", "aws:elb:listener:443:InstancePort=80" },
		  NULL, "PLAN_LISTENER_CERTIFICATE" },
		{ { "aws:elb:healthcheck:Target=HTTP:81/" }, NULL, "PLAN_HEALTHCHECK_PORT" },
		{ { "aws:autoscaling:asg:MinSize=5", "aws:autoscaling:asg:MaxSize=4" }, NULL,
		  "PLAN_ASG_SIZE" },
		{ { "aws:elasticbeanstalk:command:BatchSizeType=Fixed",
		    "aws:elasticbeanstalk:command:BatchSize=5" }, NULL, "PLAN_BATCH_SIZE" },
		{ { NULL }, "Resources:\n  x:\n    Type: AWS::SNS::Topic\n    Properties:\n"
			    "      Name: {Ref: nothere}\n", "EBX_REF_UNKNOWN" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		fx_init(&f);
		for (size_t j = 0; j < 4 && cases[i].args[j]; j++)
			fx_opt(&f, cases[i].args[j]);
		if (cases[i].config)
			fx_config(&f, cases[i].config);
		cr_assert_eq(fx_build(&f), SP_ERROR, "%s", cases[i].code);
		cr_assert_null(f.p);
		cr_assert(has_code(&f.d, cases[i].code), "%s: got %s", cases[i].code,
			  f.d.n ? f.d.items[0].code : "nothing");
		fx_free(&f);
	}
}

Test(plan, listener_no_ingress_hint_is_a_working_snippet)
{
	struct fx f;
	fx_init(&f);
	fx_opt(&f, "aws:elb:listener:8080:InstancePort=8080");
	cr_assert_eq(fx_build(&f), SP_ERROR);
	const char *hint = NULL;
	for (size_t i = 0; i < f.d.n; i++)
		if (strcmp(f.d.items[i].code, "PLAN_LISTENER_NO_INGRESS") == 0)
			hint = f.d.items[i].hint;
	cr_assert_not_null(hint);
	const char *snippet = strstr(hint, "Resources:");
	cr_assert_not_null(snippet);
	struct sp_buf b = SP_BUF_INIT(0);
	sp_buf_puts(&b, snippet); /* copied: the diagnostics go away with the fixture */
	fx_free(&f);
	/* the snippet, added as a config file, makes the plan pass */
	fx_init(&f);
	fx_opt(&f, "aws:elb:listener:8080:InstancePort=8080");
	fx_config(&f, sp_buf_cstr(&b));
	cr_assert_eq(fx_build(&f), 0);
	sp_buf_free(&b);
	fx_free(&f);
}

Test(plan, api_requests_in_order)
{
	struct fx f;
	fx_init(&f);
	fx_opt(&f, "aws:autoscaling:asg:MinSize=2");
	cr_assert_eq(fx_build(&f), 0);
	json_t *j = NULL;
	cr_assert_eq(sp_plan_to_json(f.p, &j), 0);
	static const char *const want[] = {
		"CreateCluster", "RegisterTaskDefinition", "CreateSecurityGroup", "CreateSecurityGroup",
		"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupIngress", "CreateLoadBalancer",
		"ConfigureHealthCheck", "ModifyLoadBalancerAttributes", "CreateLaunchConfiguration",
		"CreateAutoScalingGroup", "StartTask", "StartTask",
	};
	json_t *reqs = json_object_get(j, "requests");
	cr_assert_eq(json_array_size(reqs), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < json_array_size(reqs); i++)
		cr_assert_str_eq(json_string_value(json_object_get(json_array_get(reqs, i), "action")),
				 want[i]);
	json_t *td = json_object_get(json_array_get(reqs, 12), "request");
	cr_assert_str_eq(json_string_value(json_object_get(td, "taskDefinition")),
			 "awseb-unit-env-e-0000000000:3");
	json_decref(j);
	fx_free(&f);
}

Test(plan, cloudformation_merges_user_resources)
{
	struct fx f;
	fx_init(&f);
	fx_config(&f, "Resources:\n  AWSEBSecurityGroup:\n    Properties:\n"
		      "      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22,"
		      " CidrIp: 10.0.0.0/8}\n"
		      "  AWSEBAutoScalingGroup:\n    Metadata: {Note: hi}\n"
		      "  q:\n    Type: AWS::SQS::Queue\n"
		      "Outputs:\n  Q: {Value: {Ref: q}}\n");
	cr_assert_eq(fx_build(&f), 0);
	json_t *t = NULL;
	cr_assert_eq(sp_plan_to_cloudformation(f.p, &t), 0);
	json_t *res = json_object_get(t, "Resources");
	json_t *ingress = json_object_get(json_object_get(json_object_get(res, "AWSEBSecurityGroup"),
							  "Properties"), "SecurityGroupIngress");
	cr_assert_eq(json_array_size(ingress), 2, "EB's rule and the user's");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
				 json_object_get(res, "AWSEBAutoScalingGroup"), "Metadata"), "Note")), "hi");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(res, "AWSEBAutoScalingGroup"),
							   "Type")), "AWS::AutoScaling::AutoScalingGroup");
	cr_assert_not_null(json_object_get(res, "q"));
	cr_assert_not_null(json_object_get(json_object_get(t, "Outputs"), "Q"));
	cr_assert_not_null(json_object_get(json_object_get(t, "Parameters"), "AWSEBEnvironmentName"));
	json_t *td = json_object_get(json_object_get(res, "AWSEBECSTaskDefinition"), "Properties");
	cr_assert_not_null(json_object_get(json_array_get(json_object_get(td, "ContainerDefinitions"), 0),
					   "PortMappings"), "PascalCase for CloudFormation");
	json_decref(t);
	fx_free(&f);
}

Test(plan, invalid_environment_name)
{
	struct fx f;
	fx_init(&f);
	struct sp_plan_input in = { .env_name = "a_b", .dockerrun = f.dr, .opts = f.o };
	cr_assert_eq(sp_plan_build(&in, &f.d, &f.p), SP_ERROR);
	cr_assert(has_code(&f.d, "PLAN_ENV_NAME"));
	struct sp_plan_input none = { 0 };
	cr_assert_eq(sp_plan_build(&none, &f.d, &f.p), SP_EINVAL);
	fx_free(&f);
}
