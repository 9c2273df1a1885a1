/* test_aws.c — engine/aws/aws.h (credentials chain, shared files, endpoints, Query
 * parameters, XML helpers) and the AWS driver's resource names. Calls against a server are
 * in tests/integration/test_sigv4_botocore.sh and test_aws_driver.sh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/aws/aws.h"
#include "engine/driver/aws/aws_driver.h"
#include "engine/base/banned.h"

static char tmpdir[64];

static void write_file(const char *name, const char *text, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void clean_env(void)
{
	static const char *const vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING",
		"AWS_ENDPOINT_URL_AUTO_SCALING",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sprout-aws-test.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	char p[128];
	snprintf(p, sizeof(p), "%s/absent", tmpdir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	setenv("AWS_CONFIG_FILE", p, 1);
	setenv("HOME", tmpdir, 1);
}

static void rm_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(aws, .init = clean_env, .fini = rm_tmp);

Test(aws, ini_sections_comments_and_spaces)
{
	const char *t = "# c\n[default]\naws_access_key_id = AK1\n\n[ profile x ]\n"
			"; c\n  region=eu-west-3  \r\nkey = a = b\n[other]\nregion = no\n";
	char *v = NULL;
	cr_assert_eq(sp_aws_ini_get(t, "default", "aws_access_key_id", &v), 0);
	cr_assert_str_eq(v, "AK1");
	free(v);
	cr_assert_eq(sp_aws_ini_get(t, "profile x", "region", &v), 0);
	cr_assert_str_eq(v, "eu-west-3");
	free(v);
	cr_assert_eq(sp_aws_ini_get(t, "profile x", "key", &v), 0);
	cr_assert_str_eq(v, "a = b");
	free(v);
	cr_assert_eq(sp_aws_ini_get(t, "default", "region", &v), SP_ENOTFOUND);
	cr_assert_eq(sp_aws_ini_get(t, "profile y", "region", &v), SP_ENOTFOUND);
}

Test(aws, environment_credentials_win_over_files)
{
	char p[128];
	write_file("creds", "[default]\naws_access_key_id=FILEKEY\naws_secret_access_key=filesecret\n",
		   p, sizeof(p));
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	struct sp_aws_credentials c = { 0 };
	char region[SP_AWS_MAX_NAME];
	cr_assert_eq(sp_aws_resolve(NULL, &c, region, NULL), 0);
	cr_assert_str_eq(c.access_key_id, "ENVKEY");
	cr_assert_str_eq(c.session_token, "envtoken");
	cr_assert_str_eq(c.source, "environment");
	cr_assert_str_eq(region, "ap-south-1");
	sp_aws_credentials_clear(&c);
	setenv("AWS_REGION", "eu-north-1", 1); /* AWS_REGION before AWS_DEFAULT_REGION */
	struct sp_aws_options o = { .access_key_id = "OPTKEY", .secret_access_key = "s",
				    .region = "us-west-2" };
	cr_assert_eq(sp_aws_resolve(&o, &c, region, NULL), 0);
	cr_assert_str_eq(c.access_key_id, "OPTKEY");
	cr_assert_null(c.session_token);
	cr_assert_str_eq(region, "us-west-2");
	sp_aws_credentials_clear(&c);
	cr_assert_eq(sp_aws_resolve(NULL, &c, region, NULL), 0);
	cr_assert_str_eq(region, "eu-north-1");
	sp_aws_credentials_clear(&c);
}

Test(aws, profile_from_credentials_and_config_files)
{
	char cp[128], fp[128];
	write_file("creds",
		   "[default]\naws_access_key_id=DEF\naws_secret_access_key=defsecret\n"
		   "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = devsecret\n"
		   "aws_session_token = devtoken\n",
		   cp, sizeof(cp));
	write_file("config",
		   "[default]\nregion = us-east-2\n[profile dev]\nregion = eu-central-1\n"
		   "[profile cfgonly]\naws_access_key_id=CFG\naws_secret_access_key=cfgsecret\n",
		   fp, sizeof(fp));
	setenv("AWS_SHARED_CREDENTIALS_FILE", cp, 1);
	setenv("AWS_CONFIG_FILE", fp, 1);
	struct sp_aws_credentials c = { 0 };
	char region[SP_AWS_MAX_NAME];
	cr_assert_eq(sp_aws_resolve(NULL, &c, region, NULL), 0);
	cr_assert_str_eq(c.access_key_id, "DEF");
	cr_assert_str_eq(region, "us-east-2");
	sp_aws_credentials_clear(&c);

	setenv("AWS_PROFILE", "dev", 1);
	cr_assert_eq(sp_aws_resolve(NULL, &c, region, NULL), 0);
	cr_assert_str_eq(c.access_key_id, "DEVKEY");
	cr_assert_str_eq(c.secret_access_key, "devsecret");
	cr_assert_str_eq(c.session_token, "devtoken");
	cr_assert_str_eq(region, "eu-central-1");
	cr_assert_null(strstr(c.source, "devsecret"));
	sp_aws_credentials_clear(&c);

	struct sp_aws_options o = { .profile = "cfgonly" };
	cr_assert_eq(sp_aws_resolve(&o, &c, region, NULL), 0);
	cr_assert_str_eq(c.access_key_id, "CFG");
	cr_assert_str_eq(region, "");
	sp_aws_credentials_clear(&c);
}

Test(aws, missing_credentials_and_region_are_explained)
{
	struct sp_aws_credentials c = { 0 };
	struct sp_buf msg = SP_BUF_INIT(0);
	char region[SP_AWS_MAX_NAME];
	cr_assert_eq(sp_aws_resolve(NULL, &c, region, &msg), SP_ENOTFOUND);
	cr_assert(strstr(sp_buf_cstr(&msg), "AWS_ACCESS_KEY_ID") != NULL);
	sp_buf_reset(&msg);
	setenv("AWS_ACCESS_KEY_ID", "K", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S", 1);
	struct sp_aws *a = NULL;
	cr_assert_eq(sp_aws_open(NULL, &a, &msg), SP_ENOTFOUND);
	cr_assert(strstr(sp_buf_cstr(&msg), "region") != NULL);
	sp_buf_free(&msg);
}

Test(aws, config_file_past_its_limit_is_refused)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/huge", tmpdir);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	for (size_t i = 0; i <= SP_AWS_MAX_CONFIG_FILE / 16; i++)
		fputs("# padding line.\n", f);
	fclose(f);
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	struct sp_aws_credentials c = { 0 };
	cr_assert_eq(sp_aws_resolve(NULL, &c, NULL, NULL), SP_ETOOBIG);
}

Test(aws, endpoints_per_service_all_and_default)
{
	setenv("AWS_ACCESS_KEY_ID", "K", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S", 1);
	setenv("AWS_ENDPOINT_URL_AUTO_SCALING", "http://127.0.0.1:9000/", 1);
	struct sp_aws_options o = { .region = "eu-west-3", .endpoint = "HTTP://LocalHost:80/x/" };
	o.endpoints[SP_AWS_ELB] = "https://elb.example:443";
	struct sp_aws *a = NULL;
	cr_assert_eq(sp_aws_open(&o, &a, NULL), 0);
	cr_assert_str_eq(sp_aws_region(a), "eu-west-3");
	cr_assert_str_eq(sp_aws_endpoint(a, SP_AWS_ECS), "HTTP://LocalHost:80/x");
	cr_assert_str_eq(sp_aws_endpoint(a, SP_AWS_ELB), "https://elb.example:443");
	cr_assert_str_eq(sp_aws_endpoint(a, SP_AWS_AUTOSCALING), "HTTP://LocalHost:80/x");
	struct sp_buf d = SP_BUF_INIT(0);
	cr_assert_eq(sp_aws_describe(a, &d), 0);
	cr_assert_null(strstr(sp_buf_cstr(&d), "credentials from environment (access key S"));
	sp_buf_free(&d);
	sp_aws_close(a);

	struct sp_aws_options o2 = { .region = "eu-west-3" };
	cr_assert_eq(sp_aws_open(&o2, &a, NULL), 0);
	cr_assert_str_eq(sp_aws_endpoint(a, SP_AWS_ECS), "https://ecs.eu-west-3.amazonaws.com");
	cr_assert_str_eq(sp_aws_endpoint(a, SP_AWS_ELB),
			 "https://elasticloadbalancing.eu-west-3.amazonaws.com");
	cr_assert_str_eq(sp_aws_endpoint(a, SP_AWS_AUTOSCALING), "http://127.0.0.1:9000");
	sp_aws_close(a);

	struct sp_aws_options bad = { .region = "r", .endpoint = "ftp://x" };
	cr_assert_eq(sp_aws_open(&bad, &a, NULL), SP_EINVAL);
	struct sp_aws_options bad2 = { .region = "r", .endpoint = "http://user@host/" };
	cr_assert_eq(sp_aws_open(&bad2, &a, NULL), SP_EINVAL);
}

Test(aws, query_params_are_encoded_in_order_and_capped)
{
	struct sp_aws_params p;
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, "a b&c=d/é", "Listeners.member.%d.Protocol", 1);
	sp_aws_params_addi(&p, -42, "Port");
	sp_aws_params_add(&p, NULL, "Empty");
	cr_assert_eq(p.rc, 0);
	cr_assert_str_eq(sp_buf_cstr(&p.body),
			 "Listeners.member.1.Protocol=a%20b%26c%3Dd%2F%C3%A9&Port=-42&Empty=");
	sp_aws_params_free(&p);
	sp_aws_params_init(&p);
	for (int i = 0; i <= SP_AWS_MAX_QUERY_PARAMS; i++)
		sp_aws_params_addi(&p, i, "P.%d", i);
	cr_assert_eq(p.rc, SP_ETOOBIG);
	cr_assert_eq(p.n, SP_AWS_MAX_QUERY_PARAMS);
	sp_aws_params_free(&p);
}

Test(aws, xml_helpers_ignore_namespaces)
{
	const char *x = "<DescribeLoadBalancersResponse xmlns=\"http://elasticloadbalancing."
			"amazonaws.com/doc/2012-06-01/\"><DescribeLoadBalancersResult>"
			"<LoadBalancerDescriptions><member><DNSName>\n  a.example \n</DNSName>"
			"</member><member><DNSName>b</DNSName></member></LoadBalancerDescriptions>"
			"</DescribeLoadBalancersResult></DescribeLoadBalancersResponse>";
	xmlDoc *doc = xmlReadMemory(x, (int)strlen(x), "t.xml", NULL, XML_PARSE_NONET);
	cr_assert_not_null(doc);
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *list = sp_xml_path(root, "DescribeLoadBalancersResult/LoadBalancerDescriptions");
	cr_assert_not_null(list);
	xmlNode *m = sp_xml_next(list, NULL, "member");
	char *s = sp_xml_strdup(m, "DNSName");
	cr_assert_str_eq(s, "a.example");
	free(s);
	m = sp_xml_next(list, m, "member");
	s = sp_xml_strdup(m, "DNSName");
	cr_assert_str_eq(s, "b");
	free(s);
	cr_assert_null(sp_xml_next(list, m, "member"));
	cr_assert_null(sp_xml_strdup(root, "Nope/DNSName"));
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_xml_text(root, "Nope", &b), SP_ENOTFOUND);
	sp_buf_free(&b);
	xmlFreeDoc(doc);
}

Test(aws, driver_resource_names_are_the_plans)
{
	struct sp_buf lb = SP_BUF_INIT(0), asg = SP_BUF_INIT(0), si = SP_BUF_INIT(0),
		      sl = SP_BUF_INIT(0);
	cr_assert_eq(sp_driver_aws_names("my-env", &lb, &asg, &si, &sl), 0);
	cr_assert_str_eq(sp_buf_cstr(&lb), "awseb-my-env");
	cr_assert_str_eq(sp_buf_cstr(&asg), "awseb-my-env-asg");
	cr_assert_str_eq(sp_buf_cstr(&si), "awseb-my-env-instances");
	cr_assert_str_eq(sp_buf_cstr(&sl), "awseb-my-env-loadbalancer");
	sp_buf_reset(&lb);
	/* 40 characters: the load balancer name keeps 26 of them (32 in all) */
	cr_assert_eq(sp_driver_aws_names("a123456789012345678901234567890123456789", &lb, NULL,
					 NULL, NULL), 0);
	cr_assert_str_eq(sp_buf_cstr(&lb), "awseb-a1234567890123456789012345");
	sp_buf_reset(&lb);
	/* no hyphen left at the end after the cut */
	cr_assert_eq(sp_driver_aws_names("a123456789012345678901234-67890", &lb, NULL, NULL, NULL),
		     0);
	cr_assert_str_eq(sp_buf_cstr(&lb), "awseb-a123456789012345678901234");
	cr_assert_eq(sp_driver_aws_names("-bad", &lb, NULL, NULL, NULL), SP_EINVAL);
	cr_assert_eq(sp_driver_aws_names("x", &lb, NULL, NULL, NULL), SP_EINVAL);
	sp_buf_free(&lb);
	sp_buf_free(&asg);
	sp_buf_free(&si);
	sp_buf_free(&sl);
}

Test(aws, plan_json_requests_become_the_driver_plan)
{
	const char *doc =
		"{\"environment\":\"e1\",\"plan\":{\"environmentType\":\"LoadBalanced\","
		"\"environmentProperties\":{\"K\":\"V\"}},\"requests\":["
		"{\"service\":\"ecs\",\"action\":\"RegisterTaskDefinition\",\"request\":"
		"{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"web\",\"image\":\"x\"}]}},"
		"{\"service\":\"ec2\",\"action\":\"AuthorizeSecurityGroupIngress\",\"request\":"
		"{\"GroupName\":\"lbg\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\",\"FromPort\":80,"
		"\"ToPort\":80}]}},"
		"{\"service\":\"ec2\",\"action\":\"AuthorizeSecurityGroupIngress\",\"request\":"
		"{\"GroupName\":\"ig\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\",\"FromPort\":81,"
		"\"ToPort\":82}]}},"
		"{\"service\":\"elasticloadbalancing\",\"action\":\"CreateLoadBalancer\",\"request\":"
		"{\"LoadBalancerName\":\"lb\",\"SecurityGroups\":[\"lbg\"],\"Listeners\":[{\"Protocol\":"
		"\"HTTP\",\"LoadBalancerPort\":80,\"InstanceProtocol\":\"HTTP\",\"InstancePort\":81}]}},"
		"{\"service\":\"elasticloadbalancing\",\"action\":\"ConfigureHealthCheck\",\"request\":"
		"{\"HealthCheck\":{\"Target\":\"TCP:81\",\"Interval\":30,\"Timeout\":5,"
		"\"UnhealthyThreshold\":2,\"HealthyThreshold\":4}}},"
		"{\"service\":\"elasticloadbalancing\",\"action\":\"ModifyLoadBalancerAttributes\","
		"\"request\":{\"LoadBalancerAttributes\":{\"CrossZoneLoadBalancing\":{\"Enabled\":true},"
		"\"ConnectionDraining\":{\"Enabled\":true,\"Timeout\":45},"
		"\"ConnectionSettings\":{\"IdleTimeout\":120}}}},"
		"{\"service\":\"autoscaling\",\"action\":\"CreateLaunchConfiguration\",\"request\":"
		"{\"LaunchConfigurationName\":\"e1-lc\",\"InstanceType\":\"t3.small\","
		"\"KeyName\":\"ops\"}},"
		"{\"service\":\"autoscaling\",\"action\":\"CreateAutoScalingGroup\",\"request\":"
		"{\"MinSize\":3,\"MaxSize\":5}}]}";
	char *plan = NULL, *td = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_driver_aws_plan_from_requests(doc, &plan, &td, &d), 0);
	struct sp_driver_plan p;
	cr_assert_eq(sp_driver_plan_parse(plan, &p, &d), 0, "%s", plan);
	cr_assert(p.load_balanced);
	cr_assert_eq(p.instances, 3);
	cr_assert_eq(p.n_listeners, 1);
	cr_assert_eq(p.listeners[0].instance_port, 81);
	cr_assert_str_eq(p.health_target, "TCP:81");
	cr_assert_eq(p.health_interval, 30);
	cr_assert_eq(p.n_rules, 1); /* the load balancer's own group is not the instances' */
	cr_assert_eq(p.rules[0].from_port, 81);
	cr_assert_eq(p.rules[0].to_port, 82);
	cr_assert_str_eq(json_string_value(json_object_get(p.properties, "K")), "V");
	cr_assert(strstr(td, "\"family\":\"f\"") != NULL);
	/* the launch configuration (what is not in the request stays the driver's) and the
	 * load balancer's attributes */
	cr_assert_str_eq(p.instance_type, "t3.small");
	cr_assert_str_eq(p.key_name, "ops");
	cr_assert_str_eq(p.image_id, "");
	cr_assert_str_eq(p.instance_profile, "");
	cr_assert(p.cross_zone);
	cr_assert(p.connection_draining);
	cr_assert_eq(p.connection_draining_timeout_s, 45);
	cr_assert_eq(p.idle_timeout_s, 120);
	sp_driver_plan_free(&p);
	free(plan);
	free(td);
	cr_assert_eq(sp_driver_aws_plan_from_requests("{\"instances\":1}", &plan, &td, &d),
		     SP_EINVAL);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.items[0].code, "DRIVER_PLAN_TYPE");
	sp_diags_free(&d);
}
