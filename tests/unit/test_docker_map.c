/* test_docker_map.c — engine/docker: ECS container definition -> Docker create body,
 * host paths, start order, log demultiplexing, X-Registry-Auth, references. No daemon. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "engine/docker/docker.h"
#include "engine/base/banned.h"

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	cr_assert(j, "bad test JSON: %s", e.text);
	return j;
}

static const char *VOLS = "[{\"name\":\"app\",\"host\":{\"sourcePath\":\"/var/app/current/php\"}},"
			  "{\"name\":\"awseb-logs-web\",\"host\":{\"sourcePath\":\"/var/log/containers/web\"}},"
			  "{\"name\":\"etc\",\"host\":{\"sourcePath\":\"/etc/secret\"}},"
			  "{\"name\":\"scratch\",\"host\":{}}]";

struct fixture {
	json_t *vols, *names, *aliases, *props;
	struct sp_docker_task_ctx ctx;
};

static void fx_init(struct fixture *f)
{
	f->vols = J(VOLS);
	f->names = J("{\"web\":\"sprout-e-web-t\",\"db\":\"sprout-e-db-t\"}");
	f->aliases = J("{\"db\":[\"database\"]}");
	f->props = J("{\"APP\":\"prop\",\"K\":\"from-property\"}");
	f->ctx = (struct sp_docker_task_ctx){
		.environment = "env1", .instance_id = "i-0123456789abcdef0", .task_id = "0123456789abcdef0123456789abcdef",
		.version = "v7", .instance_root = "/data/instances/i-0123456789abcdef0", .host_ip = "127.0.2.5",
		.network = "sprout-0123456789ab", .volumes = f->vols, .docker_names = f->names,
		.aliases = f->aliases, .properties = f->props,
	};
}

static void fx_free(struct fixture *f)
{
	json_decref(f->vols);
	json_decref(f->names);
	json_decref(f->aliases);
	json_decref(f->props);
}

static json_t *map_ok(struct fixture *f, const char *def)
{
	json_t *d = J(def), *body = NULL;
	struct sp_buf err = SP_BUF_INIT(0);
	int rc = sp_docker_map_container(d, &f->ctx, &body, &err);
	cr_assert_eq(rc, 0, "map failed: %s", sp_buf_cstr(&err));
	sp_buf_free(&err);
	json_decref(d);
	return body;
}

static const char *path_str(json_t *root, const char *p)
{
	json_t *x = root;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", p);
	char *save = NULL;
	for (char *k = strtok_r(buf, "/", &save); k && x; k = strtok_r(NULL, "/", &save))
		x = json_is_array(x) ? json_array_get(x, strtoul(k, NULL, 10)) : json_object_get(x, k);
	return json_string_value(x);
}

static json_int_t path_int(json_t *root, const char *p)
{
	json_t *x = root;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", p);
	char *save = NULL;
	for (char *k = strtok_r(buf, "/", &save); k && x; k = strtok_r(NULL, "/", &save))
		x = json_is_array(x) ? json_array_get(x, strtoul(k, NULL, 10)) : json_object_get(x, k);
	cr_assert(json_is_integer(x), "%s is not an integer", p);
	return json_integer_value(x);
}

static bool array_has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (json_string_value(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

Test(docker_map, every_field_maps)
{
	struct fixture f;
	fx_init(&f);
	json_t *b = map_ok(&f,
		"{\"name\":\"web\",\"image\":\"nginx:1.25\",\"essential\":true,\"memory\":256,\"memoryReservation\":128,"
		"\"cpu\":1,\"portMappings\":[{\"containerPort\":80,\"hostPort\":8080},{\"containerPort\":9000,\"protocol\":\"udp\"}],"
		"\"environment\":[{\"name\":\"K\",\"value\":\"V\"}],\"links\":[\"db:database\"],"
		"\"mountPoints\":[{\"sourceVolume\":\"app\",\"containerPath\":\"/var/www\",\"readOnly\":true},"
		"{\"sourceVolume\":\"awseb-logs-web\",\"containerPath\":\"/var/log/nginx\"},"
		"{\"sourceVolume\":\"scratch\",\"containerPath\":\"/tmp/s\"}],"
		"\"volumesFrom\":[{\"sourceContainer\":\"db\",\"readOnly\":true}],"
		"\"entryPoint\":[\"sh\",\"-c\"],\"command\":[\"exec nginx\"],\"workingDirectory\":\"/w\",\"hostname\":\"web\","
		"\"user\":\"nobody\",\"readonlyRootFilesystem\":true,"
		"\"ulimits\":[{\"name\":\"nofile\",\"softLimit\":1024,\"hardLimit\":4096}],"
		"\"logConfiguration\":{\"logDriver\":\"json-file\",\"options\":{\"max-size\":\"10m\"}},"
		"\"extraHosts\":[{\"hostname\":\"h\",\"ipAddress\":\"10.0.0.1\"}],\"dnsServers\":[\"10.0.0.2\"],"
		"\"dockerLabels\":{\"a\":\"b\",\"sprout.env\":\"spoof\"},\"stopTimeout\":7,"
		"\"healthCheck\":{\"command\":[\"CMD-SHELL\",\"true\"],\"interval\":30,\"timeout\":5,\"retries\":3,\"startPeriod\":10}}");
	cr_assert_str_eq(path_str(b, "Image"), "nginx:1.25");
	cr_assert_eq(path_int(b, "HostConfig/Memory"), 256LL * 1048576);
	cr_assert_eq(path_int(b, "HostConfig/MemoryReservation"), 128LL * 1048576);
	cr_assert_eq(path_int(b, "HostConfig/CpuShares"), 2, "cpu 1 is raised to the kernel minimum 2");
	json_t *pb = json_object_get(json_object_get(b, "HostConfig"), "PortBindings");
	cr_assert_str_eq(path_str(json_object_get(pb, "80/tcp"), "0/HostIp"), "127.0.2.5");
	cr_assert_str_eq(path_str(json_object_get(pb, "80/tcp"), "0/HostPort"), "8080");
	cr_assert_str_eq(path_str(json_object_get(pb, "9000/udp"), "0/HostPort"), "", "hostPort 0 is ephemeral");
	json_t *exposed = json_object_get(b, "ExposedPorts");
	cr_assert(json_object_get(exposed, "80/tcp") && json_object_get(exposed, "9000/udp"));
	json_t *env = json_object_get(b, "Env");
	cr_assert(array_has(env, "K=V"), "the definition's environment wins over properties");
	cr_assert(array_has(env, "APP=prop"));
	cr_assert(!array_has(env, "K=from-property"));
	json_t *binds = json_object_get(json_object_get(b, "HostConfig"), "Binds");
	cr_assert(array_has(binds, "/data/instances/i-0123456789abcdef0/var/app/current/php:/var/www:ro"));
	cr_assert(array_has(binds, "/data/instances/i-0123456789abcdef0/var/log/containers/web:/var/log/nginx"));
	cr_assert(array_has(binds, "sprout-0123456789ab-scratch:/tmp/s"));
	cr_assert(array_has(json_object_get(json_object_get(b, "HostConfig"), "VolumesFrom"), "sprout-e-db-t:ro"));
	cr_assert_str_eq(path_str(b, "Entrypoint/1"), "-c");
	cr_assert_str_eq(path_str(b, "Cmd/0"), "exec nginx");
	cr_assert_str_eq(path_str(b, "WorkingDir"), "/w");
	cr_assert_str_eq(path_str(b, "Hostname"), "web");
	cr_assert_str_eq(path_str(b, "User"), "nobody");
	cr_assert(json_is_true(json_object_get(json_object_get(b, "HostConfig"), "ReadonlyRootfs")));
	cr_assert_eq(path_int(b, "HostConfig/Ulimits/0/Hard"), 4096);
	cr_assert_str_eq(path_str(b, "HostConfig/LogConfig/Type"), "json-file");
	cr_assert_str_eq(path_str(b, "HostConfig/LogConfig/Config/max-size"), "10m");
	cr_assert_str_eq(path_str(b, "HostConfig/ExtraHosts/0"), "h:10.0.0.1");
	cr_assert_str_eq(path_str(b, "HostConfig/Dns/0"), "10.0.0.2");
	cr_assert_str_eq(path_str(b, "Labels/a"), "b");
	cr_assert_str_eq(path_str(b, "Labels/sprout.env"), "env1", "sprout's labels can not be spoofed");
	cr_assert_str_eq(path_str(b, "Labels/sprout.instance"), "i-0123456789abcdef0");
	cr_assert_str_eq(path_str(b, "Labels/sprout.task"), "0123456789abcdef0123456789abcdef");
	cr_assert_str_eq(path_str(b, "Labels/sprout.version"), "v7");
	cr_assert_str_eq(path_str(b, "Labels/sprout.essential"), "true");
	cr_assert_eq(path_int(b, "StopTimeout"), 7);
	cr_assert_eq(path_int(b, "Healthcheck/Interval"), 30LL * 1000000000);
	cr_assert_eq(path_int(b, "Healthcheck/Timeout"), 5LL * 1000000000);
	cr_assert_eq(path_int(b, "Healthcheck/StartPeriod"), 10LL * 1000000000);
	cr_assert_eq(path_int(b, "Healthcheck/Retries"), 3);
	cr_assert_str_eq(path_str(b, "HostConfig/NetworkMode"), "sprout-0123456789ab");
	cr_assert(json_object_get(json_object_get(b, "HostConfig"), "Privileged") == NULL);
	json_decref(b);
	fx_free(&f);
}

Test(docker_map, link_targets_get_aliases_on_the_task_network)
{
	struct fixture f;
	fx_init(&f);
	json_t *b = map_ok(&f, "{\"name\":\"db\",\"image\":\"postgres\",\"essential\":false}");
	json_t *al = json_object_get(json_object_get(json_object_get(json_object_get(b, "NetworkingConfig"),
								     "EndpointsConfig"), "sprout-0123456789ab"), "Aliases");
	cr_assert(array_has(al, "db"));
	cr_assert(array_has(al, "database"));
	cr_assert_str_eq(path_str(b, "Labels/sprout.essential"), "false");
	json_decref(b);
	fx_free(&f);
}

/* sprout:security TaskNetwork bridge: Docker's default bridge, links as legacy links to
 * the task's own containers, no network aliases. */
Test(docker_map, shared_bridge_uses_legacy_links)
{
	struct fixture f;
	fx_init(&f);
	f.ctx.network = "bridge";
	json_t *b = map_ok(&f, "{\"name\":\"web\",\"image\":\"nginx\",\"links\":[\"db:database\",\"db\"]}");
	cr_assert_str_eq(path_str(b, "HostConfig/NetworkMode"), "bridge");
	cr_assert_null(json_object_get(b, "NetworkingConfig"));
	json_t *links = json_object_get(json_object_get(b, "HostConfig"), "Links");
	cr_assert_eq(json_array_size(links), 2);
	cr_assert(array_has(links, "sprout-e-db-t:database"));
	cr_assert(array_has(links, "sprout-e-db-t:db"));
	json_decref(b);
	json_t *d = J("{\"name\":\"web\",\"image\":\"nginx\",\"links\":[\"cache:c\"]}");
	struct sp_buf err = SP_BUF_INIT(0);
	b = NULL;
	cr_assert_eq(sp_docker_map_container(d, &f.ctx, &b, &err), SP_EINVAL);
	cr_assert(strstr(sp_buf_cstr(&err), "names no container") != NULL, "%s", sp_buf_cstr(&err));
	cr_assert_null(b);
	sp_buf_free(&err);
	json_decref(d);
	fx_free(&f);
}

Test(docker_map, privileged_only_when_allowed)
{
	struct fixture f;
	fx_init(&f);
	json_t *d = J("{\"name\":\"web\",\"image\":\"x\",\"privileged\":true}"), *b = NULL;
	struct sp_buf err = SP_BUF_INIT(0);
	cr_assert_eq(sp_docker_map_container(d, &f.ctx, &b, &err), SP_EINVAL);
	cr_assert(strstr(sp_buf_cstr(&err), "privileged"));
	cr_assert_null(b);
	f.ctx.allow_privileged = true;
	cr_assert_eq(sp_docker_map_container(d, &f.ctx, &b, &err), 0);
	cr_assert(json_is_true(json_object_get(json_object_get(b, "HostConfig"), "Privileged")));
	json_decref(b);
	json_decref(d);
	sp_buf_free(&err);
	fx_free(&f);
}

Test(docker_map, host_paths_stay_inside_the_instance_root)
{
	struct fixture f;
	fx_init(&f);
	json_t *b = map_ok(&f, "{\"name\":\"web\",\"image\":\"x\",\"mountPoints\":[{\"sourceVolume\":\"etc\",\"containerPath\":\"/s\"}]}");
	cr_assert_str_eq(path_str(b, "HostConfig/Binds/0"), "/data/instances/i-0123456789abcdef0/etc/secret:/s");
	json_decref(b);
	f.ctx.allow_host_paths = true;
	b = map_ok(&f, "{\"name\":\"web\",\"image\":\"x\",\"mountPoints\":[{\"sourceVolume\":\"etc\",\"containerPath\":\"/s\"},"
		       "{\"sourceVolume\":\"app\",\"containerPath\":\"/a\"}]}");
	cr_assert_str_eq(path_str(b, "HostConfig/Binds/0"), "/etc/secret:/s");
	cr_assert_str_eq(path_str(b, "HostConfig/Binds/1"), "/data/instances/i-0123456789abcdef0/var/app/current/php:/a");
	json_decref(b);
	fx_free(&f);

	struct sp_buf out = SP_BUF_INIT(0);
	cr_assert_eq(sp_docker_resolve_source_path("/r", "/var/app/current/../../../etc", false, &out), SP_EUNSAFE);
	cr_assert_eq(sp_docker_resolve_source_path("/r", "relative/path", false, &out), SP_EUNSAFE);
	cr_assert_eq(sp_docker_resolve_source_path("/r", "/var//app/./current/x/", false, &out), 0);
	cr_assert_str_eq(sp_buf_cstr(&out), "/r/var/app/current/x");
	sp_buf_free(&out);
}

Test(docker_map, unknown_volume_or_source_container_is_refused)
{
	struct fixture f;
	fx_init(&f);
	struct sp_buf err = SP_BUF_INIT(0);
	json_t *b = NULL;
	json_t *d = J("{\"name\":\"web\",\"image\":\"x\",\"mountPoints\":[{\"sourceVolume\":\"nope\",\"containerPath\":\"/s\"}]}");
	cr_assert_eq(sp_docker_map_container(d, &f.ctx, &b, &err), SP_EINVAL);
	cr_assert(strstr(sp_buf_cstr(&err), "nope"));
	json_decref(d);
	d = J("{\"name\":\"web\",\"image\":\"x\",\"volumesFrom\":[{\"sourceContainer\":\"ghost\"}]}");
	cr_assert_eq(sp_docker_map_container(d, &f.ctx, &b, &err), SP_EINVAL);
	cr_assert(strstr(sp_buf_cstr(&err), "ghost"));
	json_decref(d);
	sp_buf_free(&err);
	fx_free(&f);
}

Test(docker_map, start_order_follows_links_volumes_from_and_depends_on)
{
	json_t *defs = J("[{\"name\":\"proxy\",\"links\":[\"app\"]},"
			 "{\"name\":\"app\",\"volumesFrom\":[{\"sourceContainer\":\"data\"}],\"dependsOn\":[{\"containerName\":\"db\",\"condition\":\"HEALTHY\"}]},"
			 "{\"name\":\"data\"},{\"name\":\"db\"}]");
	size_t order[4];
	struct sp_buf err = SP_BUF_INIT(0);
	cr_assert_eq(sp_docker_start_order(defs, order, 4, &err), 0);
	/* data (2) and db (3) first, then app (1), then proxy (0) */
	cr_assert_eq(order[0], 2);
	cr_assert_eq(order[1], 3);
	cr_assert_eq(order[2], 1);
	cr_assert_eq(order[3], 0);
	json_decref(defs);

	defs = J("[{\"name\":\"a\",\"links\":[\"b:x\"]},{\"name\":\"b\",\"dependsOn\":[{\"containerName\":\"a\"}]}]");
	cr_assert_eq(sp_docker_start_order(defs, order, 2, &err), SP_EINVAL);
	cr_assert(strstr(sp_buf_cstr(&err), "cycle"));
	json_decref(defs);
	defs = J("[{\"name\":\"a\",\"links\":[\"zz\"]}]");
	cr_assert_eq(sp_docker_start_order(defs, order, 1, &err), SP_EINVAL);
	json_decref(defs);
	sp_buf_free(&err);
}

Test(docker_map, more_containers_than_ecs_allows_is_refused)
{
	json_t *defs = json_array();
	for (int i = 0; i < SP_DOCKER_MAX_CONTAINERS + 1; i++)
		json_array_append_new(defs, json_pack("{s:s}", "name", "c"));
	size_t order[SP_DOCKER_MAX_CONTAINERS + 1];
	cr_assert_eq(sp_docker_start_order(defs, order, SP_DOCKER_MAX_CONTAINERS + 1, NULL), SP_EINVAL);
	json_decref(defs);
}

Test(docker_client, demux_frames_including_a_truncated_one)
{
	const char in[] = "\x01\0\0\0\0\0\0\x05out1\n\x02\0\0\0\0\0\0\x05" "err1\n\x01\0\0\0\0\0\0\x09par";
	struct sp_buf out = SP_BUF_INIT(0);
	cr_assert_eq(sp_docker_demux(in, sizeof(in) - 1, &out), 0);
	cr_assert_str_eq(sp_buf_cstr(&out), "out1\nerr1\npar");
	sp_buf_free(&out);
}

Test(docker_client, registry_auth_is_padded_base64url)
{
	struct sp_docker_auth a = { "127.0.0.1:5000", "u?", "p>>", NULL };
	struct sp_buf out = SP_BUF_INIT(0);
	cr_assert_eq(sp_docker_auth_header_value(&a, &out), 0);
	const char *s = sp_buf_cstr(&out);
	cr_assert_eq(strlen(s) % 4, 0, "padded");
	cr_assert(!strpbrk(s, "+/"), "URL-safe alphabet: %s", s);
	/* decode and compare */
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct sp_buf dec = SP_BUF_INIT(0);
	for (size_t i = 0; s[i]; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			v <<= 6;
			if (s[i + k] == '=')
				pad++;
			else
				v |= (unsigned)(strchr(tbl, s[i + k]) - tbl);
		}
		char c3[3] = { (char)(v >> 16), (char)(v >> 8), (char)v };
		sp_buf_append(&dec, c3, (size_t)(3 - pad));
	}
	json_t *j = json_loads(sp_buf_cstr(&dec), 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(j, "username")), "u?");
	cr_assert_str_eq(json_string_value(json_object_get(j, "password")), "p>>");
	cr_assert_str_eq(json_string_value(json_object_get(j, "serveraddress")), "127.0.0.1:5000");
	json_decref(j);
	sp_buf_free(&dec);
	sp_buf_free(&out);
}

Test(docker_client, split_references)
{
	char *n, *t, *r;
	cr_assert_eq(sp_docker_split_ref("127.0.0.1:5000/team/app:1.2", &n, &t, &r), 0);
	cr_assert_str_eq(n, "127.0.0.1:5000/team/app");
	cr_assert_str_eq(t, "1.2");
	cr_assert_str_eq(r, "127.0.0.1:5000");
	free(n), free(t), free(r);
	cr_assert_eq(sp_docker_split_ref("busybox", &n, &t, &r), 0);
	cr_assert_str_eq(n, "busybox");
	cr_assert_str_eq(t, "latest");
	cr_assert_str_eq(r, "docker.io");
	free(n), free(t), free(r);
	cr_assert_eq(sp_docker_split_ref("localhost/a@sha256:abc", &n, &t, &r), 0);
	cr_assert_str_eq(n, "localhost/a");
	cr_assert_str_eq(t, "sha256:abc");
	cr_assert_str_eq(r, "localhost");
	free(n), free(t), free(r);
	cr_assert_eq(sp_docker_split_ref("", &n, &t, &r), SP_EINVAL);
}

Test(docker_client, socket_path_limits)
{
	struct sp_docker *d = NULL;
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	cr_assert_eq(sp_docker_open(longp, &d), SP_EINVAL, "past SP_DOCKER_MAX_SOCKET_PATH");
	cr_assert_eq(sp_docker_open("/nonexistent/docker.sock", &d), 0);
	struct sp_buf msg = SP_BUF_INIT(0);
	cr_assert_eq(sp_docker_check(d, NULL, &msg), SP_EIO);
	cr_assert(strstr(sp_buf_cstr(&msg), "apt-get install docker.io"), "%s", sp_buf_cstr(&msg));
	sp_buf_free(&msg);
	sp_docker_close(d);
}
