/* test_dockerrun.c — engine/dockerrun: the model, the options (security allowances and
 * bundle lookups), version 1 conversion, the task definition, limits, and that every
 * DOCKERRUN_* code is listed (codes.c) and documented (docs/diagnostics.md). The rules'
 * exact diagnostics are covered by tests/data/dockerrun/. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dockerrun/dockerrun.h"
#include "engine/base/banned.h"

static const char *SAMPLE =
	"{\"AWSEBDockerrunVersion\": 2,\n"
	" \"volumes\": [{\"name\": \"php-app\", \"host\": {\"sourcePath\": \"/var/app/current/php-app\"}},\n"
	"   {\"name\": \"nginx-proxy-conf\", \"host\": {\"sourcePath\": \"/var/app/current/proxy/conf.d\"}}],\n"
	" \"containerDefinitions\": [\n"
	"  {\"name\": \"php-app\", \"image\": \"php:fpm\", \"essential\": true, \"memory\": 128,\n"
	"   \"environment\": [{\"name\": \"A\", \"value\": \"1\"}, {\"name\": \"A\", \"value\": \"2\"}],\n"
	"   \"mountPoints\": [{\"sourceVolume\": \"php-app\", \"containerPath\": \"/var/www/html\", \"readOnly\": true}]},\n"
	"  {\"name\": \"nginx-proxy\", \"image\": \"nginx\", \"memory\": 128,\n"
	"   \"portMappings\": [{\"hostPort\": 80, \"containerPort\": 80}, {\"containerPort\": 53, \"protocol\": \"udp\"}],\n"
	"   \"links\": [\"php-app:php\"],\n"
	"   \"mountPoints\": [{\"sourceVolume\": \"php-app\", \"containerPath\": \"/var/www/html\", \"readOnly\": true},\n"
	"     {\"sourceVolume\": \"awseb-logs-nginx-proxy\", \"containerPath\": \"/var/log/nginx\"},\n"
	"     {\"sourceVolume\": \"nginx-proxy-conf\", \"containerPath\": \"/etc/nginx/conf.d\", \"readOnly\": true}]}]}\n";

static int load(const char *s, const struct sp_dockerrun_options *o, struct sp_diags *d,
		struct sp_dockerrun **out)
{
	return sp_dockerrun_load(s, strlen(s), "Dockerrun.aws.json", o, d, out);
}

static bool has_code(const struct sp_diags *d, const char *code)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].code, code) == 0)
			return true;
	return false;
}

Test(dockerrun, sample_model)
{
	struct sp_diags d;
	struct sp_dockerrun *dr = NULL;
	sp_diags_init(&d);
	cr_assert_eq(load(SAMPLE, NULL, &d, &dr), 0);
	cr_assert_eq(sp_diags_errors(&d), 0);
	cr_assert_eq(dr->version, 2);
	cr_assert_eq(dr->n_containers, 2);
	const struct sp_dr_container *php = sp_dockerrun_container(dr, "php-app");
	const struct sp_dr_container *ngx = sp_dockerrun_container(dr, "nginx-proxy");
	cr_assert_not_null(php);
	cr_assert_not_null(ngx);
	cr_assert_null(sp_dockerrun_container(dr, "nope"));
	cr_assert_str_eq(php->image, "php:fpm");
	cr_assert_eq(php->memory, 128);
	cr_assert(php->essential && ngx->essential, "essential defaults to true");
	cr_assert_eq(php->n_env, 1, "duplicates collapse");
	cr_assert_str_eq(php->env[0].value, "2", "the last value wins");
	/* EB's log mount is added to php-app (which has none) and not to nginx-proxy */
	cr_assert_eq(php->n_mounts, 2);
	cr_assert_str_eq(php->mounts[1].source_volume, "awseb-logs-php-app");
	cr_assert_str_eq(php->mounts[1].container_path, "/var/log/containers/php-app");
	cr_assert_eq(ngx->n_mounts, 3);
	cr_assert_eq(ngx->n_links, 1);
	cr_assert_str_eq(ngx->links[0].container, "php-app");
	cr_assert_str_eq(ngx->links[0].alias, "php");
	cr_assert_eq(ngx->n_ports, 2);
	cr_assert_eq(ngx->ports[0].host_port, 80);
	cr_assert_eq(ngx->ports[1].host_port, 0);
	cr_assert_eq(ngx->ports[1].protocol, SP_DR_UDP);
	/* volumes: the user's two, then one log volume per container */
	cr_assert_eq(dr->n_volumes, 4);
	cr_assert_str_eq(dr->volumes[2].name, "awseb-logs-php-app");
	cr_assert_str_eq(dr->volumes[3].source_path, "/var/log/containers/nginx-proxy");
	cr_assert(dr->volumes[3].log_volume && !dr->volumes[0].log_volume);
	sp_dockerrun_free(dr);
	sp_diags_free(&d);
}

Test(dockerrun, taskdef_json)
{
	struct sp_diags d;
	struct sp_dockerrun *dr = NULL;
	struct sp_buf fam = SP_BUF_INIT(0);
	json_t *td = NULL;
	sp_diags_init(&d);
	cr_assert_eq(load(SAMPLE, NULL, &d, &dr), 0);
	cr_assert_eq(sp_taskdef_family("my-env", "e-abc123", &fam), 0);
	cr_assert_str_eq(sp_buf_cstr(&fam), "awseb-my-env-e-abc123");
	cr_assert_eq(sp_taskdef_to_json(dr, sp_buf_cstr(&fam), &td), 0);
	cr_assert_str_eq(json_string_value(json_object_get(td, "family")), "awseb-my-env-e-abc123");
	cr_assert_str_eq(json_string_value(json_object_get(td, "networkMode")), "bridge");
	cr_assert_eq(json_array_size(json_object_get(td, "containerDefinitions")), 2);
	cr_assert_eq(json_array_size(json_object_get(td, "volumes")), 4);
	cr_assert_null(json_object_get(td, "executionRoleArn"));
	json_t *e = json_object_get(json_array_get(json_object_get(td, "containerDefinitions"), 0), "environment");
	cr_assert_eq(json_array_size(e), 2, "the definition keeps what the user wrote");
	json_decref(td);
	td = NULL;
	cr_assert_eq(sp_taskdef_to_json(dr, "bad family", &td), SP_EINVAL);
	cr_assert_null(td);
	sp_buf_reset(&fam);
	cr_assert_eq(sp_taskdef_family(NULL, NULL, &fam), 0);
	cr_assert_str_eq(sp_buf_cstr(&fam), "awseb-environment-e-0000000000");
	sp_buf_reset(&fam);
	cr_assert_eq(sp_taskdef_family("a b", NULL, &fam), SP_EINVAL);
	char longname[300];
	memset(longname, 'x', 260);
	longname[260] = 0;
	cr_assert_eq(sp_taskdef_family(longname, NULL, &fam), SP_EINVAL);
	cr_assert_eq(fam.len, 0, "nothing written on failure");
	sp_buf_free(&fam);
	sp_dockerrun_free(dr);
	sp_diags_free(&d);
}

static const char *PRIV =
	"{\"AWSEBDockerrunVersion\": 2, \"volumes\": [{\"name\": \"sock\", \"host\": {\"sourcePath\": \"/var/run/docker.sock\"}},"
	" {\"name\": \"opt\", \"host\": {\"sourcePath\": \"/opt/data\"}}],"
	" \"containerDefinitions\": [{\"name\": \"w\", \"image\": \"busybox\", \"memory\": 64, \"privileged\": true,"
	" \"mountPoints\": [{\"sourceVolume\": \"sock\", \"containerPath\": \"/var/run/docker.sock\"},"
	" {\"sourceVolume\": \"opt\", \"containerPath\": \"/opt\"}]}]}";

Test(dockerrun, security_allowances)
{
	struct sp_diags d;
	struct sp_dockerrun *dr = NULL;
	sp_diags_init(&d);
	cr_assert_eq(load(PRIV, NULL, &d, &dr), SP_ERROR);
	cr_assert_null(dr);
	cr_assert(has_code(&d, "DOCKERRUN_PRIVILEGED"));
	cr_assert(has_code(&d, "DOCKERRUN_DOCKER_SOCKET"));
	cr_assert(has_code(&d, "DOCKERRUN_HOST_PATH_NOT_ALLOWED"));
	sp_diags_free(&d);

	/* each allowance lifts exactly its own rule */
	struct sp_dockerrun_options o = { .allow_privileged = true };
	sp_diags_init(&d);
	cr_assert_eq(load(PRIV, &o, &d, &dr), SP_ERROR);
	cr_assert(!has_code(&d, "DOCKERRUN_PRIVILEGED") && has_code(&d, "DOCKERRUN_DOCKER_SOCKET"));
	sp_diags_free(&d);

	o.allow_docker_socket = true;
	o.allow_host_paths = true;
	sp_diags_init(&d);
	cr_assert_eq(load(PRIV, &o, &d, &dr), 0);
	cr_assert_eq(d.n, 0);
	cr_assert(dr->containers[0].privileged);
	sp_dockerrun_free(dr);
	sp_diags_free(&d);
}

static bool only_php_app(void *ctx, const char *rel)
{
	(*(int *)ctx)++;
	return strcmp(rel, "php-app") == 0;
}

Test(dockerrun, bundle_lookup)
{
	struct sp_diags d;
	struct sp_dockerrun *dr = NULL;
	int calls = 0;
	struct sp_dockerrun_options o = { .bundle_has = only_php_app, .bundle_ctx = &calls };
	sp_diags_init(&d);
	cr_assert_eq(load(SAMPLE, &o, &d, &dr), SP_ERROR);
	cr_assert_eq(calls, 2);
	cr_assert_eq(sp_diags_errors(&d), 1);
	cr_assert_str_eq(d.items[0].code, "DOCKERRUN_HOST_PATH_MISSING");
	cr_assert_str_eq(d.items[0].path, "/volumes/1/host/sourcePath");
	cr_assert_eq(d.items[0].line, 3);
	sp_diags_free(&d);
}

Test(dockerrun, version1_conversion)
{
	const char *v1 = "{\"AWSEBDockerrunVersion\": \"1\", \"Image\": {\"Name\": \"org/app:2\", \"Update\": \"false\"},"
			 " \"Ports\": [{\"ContainerPort\": \"8080\"}], \"Authentication\": {\"Bucket\": \"b\", \"Key\": \"k\"},"
			 " \"Volumes\": [{\"HostDirectory\": \"/var/app/current/www\", \"ContainerDirectory\": \"/www\"}],"
			 " \"Logging\": \"/var/log/app\", \"Entrypoint\": \"/bin/app\", \"Command\": \"run  --fast\"}";
	struct sp_diags d;
	struct sp_dockerrun *dr = NULL;
	sp_diags_init(&d);
	cr_assert_eq(load(v1, NULL, &d, &dr), 0);
	cr_assert_eq(d.n, 0, "v1 writes numbers and booleans as strings: no warning");
	cr_assert_eq(dr->version, 1);
	const struct sp_dr_container *c = &dr->containers[0];
	cr_assert_str_eq(c->name, SP_DOCKERRUN_V1_CONTAINER);
	cr_assert_str_eq(c->image, "org/app:2");
	cr_assert(!c->pull);
	cr_assert_eq(c->memory_reservation, SP_DOCKERRUN_V1_MEMORY_RESERVATION);
	cr_assert_eq(c->n_ports, 1);
	cr_assert_eq(c->ports[0].host_port, 80, "without HostPort, port 80 (EB's proxy) reaches it");
	cr_assert_eq(c->n_entry_point, 1);
	cr_assert_eq(c->n_command, 2);
	cr_assert_str_eq(c->command[1], "--fast");
	cr_assert_eq(c->n_mounts, 2);
	cr_assert_str_eq(c->mounts[1].source_volume, "awseb-logs-app");
	cr_assert_str_eq(c->mounts[1].container_path, "/var/log/app");
	cr_assert_str_eq(dr->auth_bucket, "b");
	cr_assert_eq(dr->n_volumes, 2);
	sp_dockerrun_free(dr);
	sp_diags_free(&d);
}

Test(dockerrun, unreadable_and_limits)
{
	struct sp_diags d;
	struct sp_dockerrun *dr = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_dockerrun_load_file("/nonexistent/Dockerrun.aws.json", "x.json", NULL, &d, &dr), SP_ERROR);
	cr_assert(has_code(&d, "DOCKERRUN_UNREADABLE"));
	cr_assert_str_eq(d.items[0].file, "x.json");
	sp_diags_free(&d);

	/* eleven containers: over MAX_CONTAINERS; ten: fine */
	struct sp_buf b = SP_BUF_INIT(0);
	for (int n = 10; n <= 11; n++) {
		sp_buf_reset(&b);
		sp_buf_puts(&b, "{\"AWSEBDockerrunVersion\": 2, \"containerDefinitions\": [");
		for (int i = 0; i < n; i++)
			sp_buf_printf(&b, "%s{\"name\": \"c%d\", \"image\": \"busybox\", \"memory\": 8}", i ? "," : "", i);
		sp_buf_puts(&b, "]}");
		sp_diags_init(&d);
		int rc = load(sp_buf_cstr(&b), NULL, &d, &dr);
		cr_assert_eq(rc, n == 10 ? 0 : SP_ERROR, "%d containers", n);
		cr_assert_eq(has_code(&d, "DOCKERRUN_TOO_MANY_CONTAINERS"), n == 11);
		if (rc == 0)
			sp_dockerrun_free(dr);
		dr = NULL;
		sp_diags_free(&d);
	}
	sp_buf_free(&b);
}

Test(dockerrun, invalid_json_and_v3)
{
	struct sp_diags d;
	struct sp_dockerrun *dr = NULL;
	sp_diags_init(&d);
	cr_assert_eq(load("{\"AWSEBDockerrunVersion\": 2,}", NULL, &d, &dr), SP_ERROR);
	cr_assert(has_code(&d, "DOC_JSON_SYNTAX"));
	sp_diags_free(&d);
	sp_diags_init(&d);
	cr_assert_eq(load("{\"AWSEBDockerrunVersion\": 3}", NULL, &d, &dr), SP_ERROR);
	cr_assert(has_code(&d, "DOCKERRUN_V3_UNSUPPORTED"));
	sp_diags_free(&d);
	sp_diags_init(&d);
	cr_assert_eq(load("", NULL, &d, &dr), SP_ERROR);
	cr_assert_null(dr);
	sp_diags_free(&d);
}

/* Every "DOCKERRUN_*" string in engine/ is in sp_dockerrun_codes and docs/diagnostics.md. */
static bool listed(const char *code)
{
	for (size_t i = 0; sp_dockerrun_codes[i]; i += 2)
		if (strcmp(sp_dockerrun_codes[i], code) == 0)
			return true;
	return false;
}

static void scan_file(const char *path, const char *docs)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_read_file(path, (size_t)4 << 20, &b), 0, "%s", path);
	const char *p = sp_buf_cstr(&b);
	while ((p = strstr(p, "\"DOCKERRUN_")) != NULL) {
		p++;
		size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		char code[128];
		snprintf(code, sizeof(code), "%.*s", (int)n, p);
		if (p[n] == '"') {
			cr_assert(listed(code), "%s uses %s, which codes.c does not list", path, code);
			cr_assert_not_null(strstr(docs, code), "docs/diagnostics.md does not document %s", code);
		}
		p += n;
	}
	sp_buf_free(&b);
}

Test(dockerrun, every_code_listed_and_documented)
{
	struct sp_buf docs = SP_BUF_INIT(0);
	cr_assert_eq(sp_read_file("docs/diagnostics.md", (size_t)4 << 20, &docs), 0, "run from the top");
	const char *dirs[] = { "engine/dockerrun", "engine/validate" };
	for (size_t k = 0; k < 2; k++) {
		DIR *dir = opendir(dirs[k]);
		cr_assert_not_null(dir, "%s", dirs[k]);
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			size_t n = strlen(e->d_name);
			if (n > 2 && strcmp(e->d_name + n - 2, ".c") == 0) {
				char path[512];
				snprintf(path, sizeof(path), "%s/%s", dirs[k], e->d_name);
				scan_file(path, sp_buf_cstr(&docs));
			}
		}
		closedir(dir);
	}
	for (size_t i = 0; sp_dockerrun_codes[i]; i += 2)
		cr_assert_not_null(strstr(sp_buf_cstr(&docs), sp_dockerrun_codes[i]), "%s undocumented",
				   sp_dockerrun_codes[i]);
	sp_buf_free(&docs);
}
