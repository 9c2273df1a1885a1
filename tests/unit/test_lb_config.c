/* test_lb_config.c — engine/lb: haproxy.cfg rendering, health check targets, `show stat`
 * parsing; and the plan's load balancer / security group checks (engine/driver). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/driver/driver.h"
#include "engine/lb/lb.h"
#include "engine/base/banned.h"

static struct sp_lb_site site(const struct sp_lb_listener *ls, size_t nl, const struct sp_lb_server *sv, size_t ns)
{
	struct sp_lb_site s = { "myenv", "127.0.9.1", ls, nl, { 0 }, sv, ns };
	cr_assert_eq(sp_lb_parse_target("HTTP:80/health", &s.health), 0);
	s.health.interval_s = 10;
	s.health.timeout_s = 5;
	s.health.healthy_threshold = 3;
	s.health.unhealthy_threshold = 5;
	return s;
}

Test(lb_config, one_frontend_per_listener_and_backends_per_instance_port)
{
	struct sp_lb_listener ls[] = { { 80, SP_LB_HTTP, 80, SP_LB_HTTP }, { 8080, SP_LB_TCP, 8080, SP_LB_TCP },
				       { 81, SP_LB_HTTP, 80, SP_LB_HTTP } };
	struct sp_lb_server sv[] = { { "i-00000000000000001", "127.0.9.2", false },
				     { "i-00000000000000002", "127.0.9.3", true } };
	struct sp_lb_site s = site(ls, 3, sv, 2);
	struct sp_lb_config c = { "/data/lb", &s, 1 };
	struct sp_buf out = SP_BUF_INIT(0);
	cr_assert_eq(sp_lb_render(&c, &out), 0);
	const char *t = sp_buf_cstr(&out);
	cr_assert(strstr(t, "stats socket /data/lb/admin.sock mode 600 level admin expose-fd listeners\n"));
	cr_assert(strstr(t, "server-state-file /data/lb/server-state\n"));
	cr_assert(strstr(t, "load-server-state-from-file global\n"));
	cr_assert(strstr(t, "frontend fe_myenv_80\n    mode http\n    bind 127.0.9.1:80\n"));
	cr_assert(strstr(t, "frontend fe_myenv_8080\n    mode tcp\n    bind 127.0.9.1:8080\n"));
	cr_assert(strstr(t, "frontend fe_myenv_81\n"));
	cr_assert(strstr(t, "default_backend be_myenv_80_http\n"));
	cr_assert(strstr(t, "default_backend be_myenv_8080_tcp\n"));
	/* 80 and 81 share one backend */
	const char *first = strstr(t, "backend be_myenv_80_http\n    mode");
	cr_assert(first);
	cr_assert_null(strstr(first + 1, "backend be_myenv_80_http\n    mode"));
	cr_assert(strstr(t, "    option httpchk GET /health\n    http-check expect status 200\n"));
	cr_assert(strstr(t, "    timeout check 5s\n    default-server inter 10s rise 3 fall 5\n"));
	cr_assert(strstr(t, "    server i-00000000000000001 127.0.9.2:80 check\n"));
	cr_assert(strstr(t, "    server i-00000000000000002 127.0.9.3:80 check weight 0\n"), "draining");
	cr_assert(strstr(t, "    server i-00000000000000001 127.0.9.2:8080 check port 80\n"), "checks go to the target port");
	sp_buf_free(&out);
}

Test(lb_config, tcp_target_has_no_httpchk_and_no_sites_is_a_valid_config)
{
	struct sp_lb_listener ls[] = { { 80, SP_LB_HTTP, 80, SP_LB_HTTP } };
	struct sp_lb_site s = site(ls, 1, NULL, 0);
	cr_assert_eq(sp_lb_parse_target("TCP:80", &s.health), 0);
	struct sp_lb_config c = { "/data/lb", &s, 1 };
	struct sp_buf out = SP_BUF_INIT(0);
	cr_assert_eq(sp_lb_render(&c, &out), 0);
	cr_assert_null(strstr(sp_buf_cstr(&out), "httpchk"));
	c.n_sites = 0;
	cr_assert_eq(sp_lb_render(&c, &out), 0);
	cr_assert_null(strstr(sp_buf_cstr(&out), "frontend"));
	sp_buf_free(&out);
}

Test(lb_config, hostile_names_and_limits_are_refused)
{
	struct sp_lb_listener ls[] = { { 80, SP_LB_HTTP, 80, SP_LB_HTTP } };
	struct sp_lb_server bad[] = { { "i-1\n    bind :22", "127.0.9.2", false } };
	struct sp_lb_site s = site(ls, 1, bad, 1);
	struct sp_lb_config c = { "/data/lb", &s, 1 };
	struct sp_buf out = SP_BUF_INIT(0);
	cr_assert_eq(sp_lb_render(&c, &out), SP_EINVAL);
	s.n_servers = 0;
	s.name = "a b";
	cr_assert_eq(sp_lb_render(&c, &out), SP_EINVAL);
	s.name = "ok";
	s.address = "127.0.0.1 ssl";
	cr_assert_eq(sp_lb_render(&c, &out), SP_EINVAL);
	s.address = "127.0.9.1";
	c.dir = "relative";
	cr_assert_eq(sp_lb_render(&c, &out), SP_EINVAL);
	c.dir = "/data/lb";
	s.n_listeners = SP_LB_MAX_LISTENERS + 1;
	cr_assert_eq(sp_lb_render(&c, &out), SP_ETOOBIG, "MAX_LB_LISTENERS");
	c.n_sites = SP_LB_MAX_SITES + 1;
	cr_assert_eq(sp_lb_render(&c, &out), SP_ETOOBIG, "MAX_LB_SITES");
	sp_buf_free(&out);
}

Test(lb_config, health_targets)
{
	struct sp_lb_health h;
	cr_assert_eq(sp_lb_parse_target("HTTP:8080/a/b?c=1", &h), 0);
	cr_assert_eq(h.protocol, SP_LB_HTTP);
	cr_assert_eq(h.port, 8080);
	cr_assert_str_eq(h.path, "/a/b?c=1");
	cr_assert_eq(sp_lb_parse_target("HTTP:80", &h), 0);
	cr_assert_str_eq(h.path, "/");
	cr_assert_eq(sp_lb_parse_target("HTTPS:443/x", &h), 0);
	cr_assert_eq(h.protocol, SP_LB_TCP);
	cr_assert_eq(sp_lb_parse_target("TCP:80/x", &h), SP_EINVAL);
	cr_assert_eq(sp_lb_parse_target("HTTP:0/", &h), SP_EINVAL);
	cr_assert_eq(sp_lb_parse_target("HTTP:70000/", &h), SP_EINVAL);
	cr_assert_eq(sp_lb_parse_target("HTTP:80/a b", &h), SP_EINVAL);
	cr_assert_eq(sp_lb_parse_target("FTP:21", &h), SP_EINVAL);
	char longp[400] = "HTTP:80/";
	memset(longp + 8, 'a', 300);
	longp[308] = '\0';
	cr_assert_eq(sp_lb_parse_target(longp, &h), SP_ETOOBIG);
}

Test(lb_config, show_stat_servers_only)
{
	const char *csv =
		"# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,\n"
		"fe_e_80,FRONTEND,,,0,1,262124,3,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,1,,\n"
		"be_e_80_http,i-aaa,0,0,2,1,,7,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,3,1,,3,,2,0,,1,L7OK,\n"
		"be_e_80_http,i-bbb,0,0,0,1,,0,0,0,,0,,0,0,0,0,DOWN 1/2,1,1,0,0,0,5,0,,1,3,2,,3,,2,0,,1,L4CON,\n"
		"be_e_80_http,BACKEND,0,0,0,1,26213,3,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,5,0,,1,3,0,,3,,1,0,,1,,\n";
	struct sp_lb_server_stat *s = NULL;
	size_t n = 0;
	cr_assert_eq(sp_lb_parse_stat(csv, &s, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(s[0].backend, "be_e_80_http");
	cr_assert_str_eq(s[0].server, "i-aaa");
	cr_assert_str_eq(s[0].status, "UP");
	cr_assert_str_eq(s[0].check_status, "L7OK");
	cr_assert_eq(s[0].sessions, 2);
	cr_assert_eq(s[0].total, 7);
	cr_assert_str_eq(s[1].status, "DOWN 1/2");
	cr_assert_str_eq(s[1].check_status, "L4CON");
	free(s);
	cr_assert_eq(sp_lb_parse_stat("", &s, &n), 0);
	cr_assert_eq(n, 0);
	free(s);
}

/* ---- the plan: listeners, health check and the security group model ---- */

static int parse(const char *json, struct sp_driver_plan *p, struct sp_diags *d)
{
	sp_diags_init(d);
	return sp_driver_plan_parse(json, p, d);
}

static bool has_code(const struct sp_diags *d, const char *code, const char *path)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->items[i].code, code) && (!path || !strcmp(d->items[i].path, path)))
			return true;
	return false;
}

Test(lb_plan, defaults_are_ebs)
{
	struct sp_driver_plan p;
	struct sp_diags d;
	cr_assert_eq(parse("{\"securityGroupRules\":[{\"protocol\":\"tcp\",\"fromPort\":80,\"toPort\":80}]}", &p, &d), 0);
	cr_assert(p.load_balanced);
	cr_assert_eq(p.instances, 1);
	cr_assert_eq(p.n_listeners, 1);
	cr_assert_eq(p.listeners[0].port, 80);
	cr_assert_eq(p.listeners[0].instance_port, 80);
	cr_assert_str_eq(p.health_target, "TCP:80");
	cr_assert_eq(p.health_interval, 10);
	cr_assert_eq(p.unhealthy_threshold, 5);
	sp_driver_plan_free(&p);
	sp_diags_free(&d);
}

Test(lb_plan, a_listener_no_rule_opens_is_refused)
{
	struct sp_driver_plan p;
	struct sp_diags d;
	const char *plan = "{\"listeners\":[{\"port\":80,\"protocol\":\"HTTP\",\"instancePort\":80},"
			   "{\"port\":8080,\"protocol\":\"TCP\",\"instancePort\":8080}],"
			   "\"healthCheck\":{\"target\":\"HTTP:80/\"},"
			   "\"securityGroupRules\":[{\"protocol\":\"tcp\",\"fromPort\":80,\"toPort\":80}]}";
	cr_assert_eq(parse(plan, &p, &d), SP_ERROR);
	cr_assert(has_code(&d, "DRIVER_LISTENER_BLOCKED", "/listeners/1/instancePort"));
	cr_assert_eq(sp_diags_errors(&d), 1);
	cr_assert_str_eq(d.items[0].file, "plan.json");
	sp_diags_free(&d);
	/* a range rule opens it; SingleInstance has no load balancer to check */
	cr_assert_eq(parse("{\"listeners\":[{\"port\":8080,\"instancePort\":8080}],\"healthCheck\":{\"target\":\"TCP:8080\"},"
			   "\"securityGroupRules\":[{\"fromPort\":8000,\"toPort\":8100}]}", &p, &d), 0);
	sp_driver_plan_free(&p);
	sp_diags_free(&d);
	cr_assert_eq(parse("{\"environmentType\":\"SingleInstance\"}", &p, &d), 0);
	cr_assert(!p.load_balanced);
	sp_driver_plan_free(&p);
	sp_diags_free(&d);
}

Test(lb_plan, every_problem_is_reported)
{
	struct sp_driver_plan p;
	struct sp_diags d;
	const char *plan = "{\"environmentType\":\"Huge\",\"instances\":0,"
			   "\"listeners\":[{\"port\":70000,\"protocol\":\"FTP\"},{\"port\":80,\"enabled\":false}],"
			   "\"healthCheck\":{\"target\":\"PING\",\"interval\":1,\"timeout\":99,\"healthyThreshold\":1},"
			   "\"securityGroupRules\":[{\"protocol\":\"icmp\",\"fromPort\":90,\"toPort\":80}],"
			   "\"environmentProperties\":{\"A\":1}}";
	cr_assert_eq(parse(plan, &p, &d), SP_ERROR);
	cr_assert(has_code(&d, "DRIVER_PLAN_TYPE", "/environmentType"));
	cr_assert(has_code(&d, "DRIVER_PLAN_RANGE", "/instances"));
	cr_assert(has_code(&d, "DRIVER_PLAN_RANGE", "/listeners/0/port"));
	cr_assert(has_code(&d, "DRIVER_PLAN_PROTOCOL", "/listeners/0"));
	cr_assert(has_code(&d, "DRIVER_PLAN_HEALTH_TARGET", "/healthCheck/target"));
	cr_assert(has_code(&d, "DRIVER_PLAN_RANGE", "/healthCheck/interval"));
	cr_assert(has_code(&d, "DRIVER_PLAN_RANGE", "/healthCheck/timeout"));
	cr_assert(has_code(&d, "DRIVER_PLAN_RANGE", "/healthCheck/healthyThreshold"));
	cr_assert(has_code(&d, "DRIVER_PLAN_PROTOCOL", "/securityGroupRules/0"));
	cr_assert(has_code(&d, "DRIVER_PLAN_RANGE", "/securityGroupRules/0"));
	cr_assert(has_code(&d, "DRIVER_PLAN_TYPE", "/environmentProperties/A"));
	sp_diags_free(&d);
}

Test(lb_plan, limits)
{
	struct sp_driver_plan p;
	struct sp_diags d;
	struct sp_buf b = SP_BUF_INIT(0);
	sp_buf_puts(&b, "{\"listeners\":[");
	for (int i = 0; i <= SP_DRIVER_MAX_LISTENERS; i++)
		sp_buf_printf(&b, "%s{\"port\":%d}", i ? "," : "", 1000 + i);
	sp_buf_puts(&b, "],\"securityGroupRules\":[{\"protocol\":\"-1\"}]}");
	cr_assert_eq(parse(sp_buf_cstr(&b), &p, &d), SP_ERROR);
	cr_assert(has_code(&d, "DRIVER_PLAN_LIMIT", NULL), "MAX_ENV_LISTENERS");
	sp_diags_free(&d);
	cr_assert_eq(parse("{\"instances\":65}", &p, &d), SP_ERROR);
	cr_assert(has_code(&d, "DRIVER_PLAN_RANGE", "/instances"), "MAX_ENV_INSTANCES");
	sp_diags_free(&d);
	sp_buf_reset(&b);
	sp_buf_puts(&b, "{\"x\":\"");
	for (size_t i = 0; i < SP_DRIVER_MAX_INPUT; i++)
		sp_buf_putc(&b, 'a');
	sp_buf_puts(&b, "\"}");
	cr_assert_eq(parse(sp_buf_cstr(&b), &p, &d), SP_ERROR);
	cr_assert(has_code(&d, "DRIVER_PLAN_TOO_LARGE", NULL), "MAX_DRIVER_INPUT");
	sp_diags_free(&d);
	sp_buf_free(&b);
}

Test(lb_plan, task_definition_checks)
{
	struct sp_diags d;
	json_t *td = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_driver_taskdef_parse("{\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\"}]}", &td, &d), 0);
	json_decref(td);
	cr_assert_eq(sp_driver_taskdef_parse("{\"networkMode\":\"host\",\"containerDefinitions\":[{\"name\":\"a b\",\"essential\":false},"
					     "{\"name\":\"c\",\"image\":\"x\",\"essential\":false},{\"name\":\"c\",\"image\":\"y\",\"essential\":false}]}",
					     &td, &d), SP_ERROR);
	cr_assert(has_code(&d, "DRIVER_TASKDEF_NETWORK_MODE", "/networkMode"));
	cr_assert(has_code(&d, "DRIVER_TASKDEF_NAME", "/containerDefinitions/0"));
	cr_assert(has_code(&d, "DRIVER_TASKDEF_IMAGE", "/containerDefinitions/0"));
	cr_assert(has_code(&d, "DRIVER_TASKDEF_NAME", "/containerDefinitions/2"));
	cr_assert(has_code(&d, "DRIVER_TASKDEF_ESSENTIAL", "/containerDefinitions"));
	sp_diags_free(&d);
	cr_assert(sp_driver_env_name_valid("my-env-1"));
	cr_assert(!sp_driver_env_name_valid("abc"));
	cr_assert(!sp_driver_env_name_valid("-abcd"));
	cr_assert(!sp_driver_env_name_valid("ab_cd"));
}
