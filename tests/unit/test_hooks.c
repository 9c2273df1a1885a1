/* test_hooks.c — platform-hooks/: the plan (EB's order, leader-only selection), the
 * checks, `files` written into an instance root (.bak, symlink, base64, mode, owner,
 * confinement), and the runner over a fake executor (no Docker: tests/integration/
 * test_hooks.sh runs the real thing). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "platform-hooks/hooks.h"
#include "platform-hooks/runner.h"
#include "engine/base/banned.h"

/* ---- helpers ---- */

static struct sp_doc *load(const char *name, const char *yaml)
{
	struct sp_diags d;
	struct sp_doc *doc = NULL;
	sp_diags_init(&d);
	cr_assert_eq(sp_doc_load(yaml, strlen(yaml), name, SP_DOC_AUTO, NULL, &d, &doc), 0, "%s", name);
	sp_diags_free(&d);
	return doc;
}

static bool has_code(const struct sp_diags *d, const char *code, enum sp_severity sev)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].code, code) == 0 && d->items[i].severity == sev)
			return true;
	return false;
}

static const struct sp_diag *find_code(const struct sp_diags *d, const char *code)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].code, code) == 0)
			return &d->items[i];
	return NULL;
}

/* "stage:name stage:name ..." of a plan */
static char *plan_string(const struct sp_hook_plan *p)
{
	struct sp_buf b = SP_BUF_INIT(0);
	char *s;
	size_t n;
	for (size_t i = 0; i < sp_hook_plan_count(p); i++) {
		const struct sp_hook_step *st = sp_hook_plan_step(p, i);
		sp_buf_printf(&b, "%s%s:%s", i ? " " : "", sp_hook_stage_name(st->stage), st->name);
	}
	sp_buf_putc(&b, '\0');
	sp_buf_detach(&b, &s, &n);
	return s;
}

static char *tmpdir(void)
{
	char *t = sp_strdup("/tmp/sprout-hooks-unit.XXXXXX");
	cr_assert_not_null(mkdtemp(t));
	return t;
}

static char *slurp(const char *root, const char *rel)
{
	struct sp_buf p = SP_BUF_INIT(0), b = SP_BUF_INIT(1 << 20);
	char *s;
	size_t n;
	sp_buf_printf(&p, "%s/%s", root, rel);
	if (sp_read_file(sp_buf_cstr(&p), 1 << 20, &b) != 0) {
		sp_buf_free(&p);
		return NULL;
	}
	sp_buf_putc(&b, '\0');
	sp_buf_detach(&b, &s, &n);
	sp_buf_free(&p);
	return s;
}

static mode_t mode_of(const char *root, const char *rel, bool link)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if ((link ? lstat(path, &st) : stat(path, &st)) != 0)
		return 0;
	return st.st_mode;
}

/* ---- plan order ---- */

static const char *const CFG_B =
	"files:\n"
	"  /etc/b.conf: {content: b}\n"
	"commands:\n"
	"  20_b: {command: echo b}\n"
	"container_commands:\n"
	"  10_b: {command: echo cb}\n"
	"  02_lead_b: {command: echo lb, leader_only: true}\n";
static const char *const CFG_A =
	"files:\n"
	"  /z/last: {content: z}\n"
	"  /etc/a.conf: {content: a}\n"
	"commands:\n"
	"  b_second: {command: echo 2}\n"
	"  a_first: {command: [echo, 1]}\n"
	"container_commands:\n"
	"  01_all: {command: echo all}\n"
	"  99_lead: {command: echo lead, leader_only: true}\n";

Test(hooks_plan, eb_order)
{
	struct sp_doc *a = load("01a.config", CFG_A), *b = load("02b.config", CFG_B);
	struct sp_hooks_config cfg[] = { { a }, { b } };
	struct sp_hooks_script sc[] = {
		{ ".platform/hooks/postdeploy/01_post.sh", "postdeploy", false, true, NULL, 0 },
		{ ".platform/hooks/predeploy/02_pre.sh", "predeploy", false, true, NULL, 0 },
		{ ".platform/hooks/predeploy/01_pre.sh", "predeploy", false, true, NULL, 0 },
		{ ".platform/hooks/prebuild/b.sh", "prebuild", false, true, NULL, 0 },
		{ ".platform/hooks/prebuild/a.sh", "prebuild", false, true, NULL, 0 },
		{ ".platform/hooks/prebuild/.gitkeep", "prebuild", false, false, NULL, 0 },
		{ ".platform/confighooks/prebuild/c.sh", "prebuild", true, true, NULL, 0 },
		{ ".platform/hooks/pre-deploy/x.sh", "pre-deploy", false, true, NULL, 0 },
	};
	struct sp_hooks_input in = { sc, 8, cfg, 2, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_hook_plan_build(&in, &d, &p), 0);
	char *s = plan_string(p);
	cr_assert_str_eq(s,
		"files:/etc/a.conf files:/z/last commands:a_first commands:b_second "
		"files:/etc/b.conf commands:20_b "
		"prebuild:a.sh prebuild:b.sh "
		"container_commands:99_lead container_commands:02_lead_b "
		"container_commands:01_all container_commands:10_b "
		"predeploy:01_pre.sh predeploy:02_pre.sh deploy:deploy postdeploy:01_post.sh");
	cr_assert_eq(sp_hook_plan_deploy_index(p), 14);
	const struct sp_hook_step *st = sp_hook_plan_step(p, 2);
	cr_assert_null(st->cmd.command);
	cr_assert_eq(st->cmd.argc, 2);
	cr_assert_str_eq(st->cmd.argv[1], "1");
	cr_assert_eq(sp_hook_plan_step(p, 0)->line, 3);
	cr_assert(sp_hook_plan_step(p, 8)->cmd.leader_only);
	cr_assert_not(sp_hook_plan_step(p, 10)->cmd.leader_only);
	/* the confighook is noted, not planned */
	cr_assert(has_code(&d, "HOOK_CONFIGHOOK", SP_SEV_NOTE));
	cr_assert_eq(sp_diags_errors(&d), 0);
	json_t *j = sp_hook_plan_to_json(p);
	cr_assert_eq(json_array_size(j), sp_hook_plan_count(p));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 8), "stage")),
			 "container_commands");
	json_decref(j);
	free(s);
	sp_hook_plan_free(p);
	sp_diags_free(&d);
	sp_doc_free(a);
	sp_doc_free(b);
}

Test(hooks_plan, empty_inputs_give_only_the_deploy_marker)
{
	struct sp_hooks_input in = { 0 };
	struct sp_hook_plan *p = NULL;
	cr_assert_eq(sp_hook_plan_build(&in, NULL, &p), 0);
	cr_assert_eq(sp_hook_plan_count(p), 1);
	cr_assert_eq(sp_hook_plan_step(p, 0)->stage, SP_HOOK_STAGE_DEPLOY);
	sp_hook_plan_free(p);
}

/* ---- the configuration plan (.platform/confighooks) ---- */

/* Hooks and confighooks of every stage, out of order, with noise. */
static const struct sp_hooks_script MIXED_SCRIPTS[] = {
	{ ".platform/confighooks/postdeploy/01_post.sh", "postdeploy", true, true, NULL, 0 },
	{ ".platform/hooks/postdeploy/01_app_post.sh", "postdeploy", false, true, NULL, 0 },
	{ ".platform/confighooks/predeploy/02_pre.sh", "predeploy", true, true, NULL, 0 },
	{ ".platform/hooks/predeploy/01_app_pre.sh", "predeploy", false, true, NULL, 0 },
	{ ".platform/confighooks/predeploy/01_pre.sh", "predeploy", true, true, NULL, 0 },
	{ ".platform/confighooks/prebuild/b.sh", "prebuild", true, true, NULL, 0 },
	{ ".platform/hooks/prebuild/app.sh", "prebuild", false, true, NULL, 0 },
	{ ".platform/confighooks/prebuild/a.sh", "prebuild", true, true, NULL, 0 },
	{ ".platform/confighooks/prebuild/.gitkeep", "prebuild", true, false, NULL, 0 },
	{ ".platform/confighooks/prebuild/README.md", "prebuild", true, false, NULL, 0 },
	{ ".platform/confighooks/reload/x.sh", "reload", true, true, NULL, 0 },
};
#define N_MIXED (sizeof(MIXED_SCRIPTS) / sizeof(MIXED_SCRIPTS[0]))

static bool plan_has_script_under(const struct sp_hook_plan *p, const char *prefix)
{
	for (size_t i = 0; i < sp_hook_plan_count(p); i++) {
		const struct sp_hook_step *st = sp_hook_plan_step(p, i);
		if (st->script && strncmp(st->script, prefix, strlen(prefix)) == 0)
			return true;
	}
	return false;
}

Test(hooks_config_plan, confighooks_in_eb_order_and_nothing_else)
{
	struct sp_doc *a = load("01a.config", CFG_A);
	struct sp_hooks_config cfg[] = { { a } };
	struct sp_hooks_input in = { MIXED_SCRIPTS, N_MIXED, cfg, 1, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_hook_plan_build_for(&in, SP_HOOK_CONFIG_DEPLOYMENT, &d, &p), 0);
	char *s = plan_string(p);
	/* no files, commands, container_commands, .platform/hooks, noise or unknown stage */
	cr_assert_str_eq(s, "prebuild:a.sh prebuild:b.sh predeploy:01_pre.sh predeploy:02_pre.sh "
			    "deploy:deploy postdeploy:01_post.sh");
	cr_assert_eq(sp_hook_plan_deploy_index(p), 4);
	cr_assert_str_eq(sp_hook_plan_step(p, 0)->script, ".platform/confighooks/prebuild/a.sh");
	cr_assert_str_eq(sp_hook_plan_step(p, 3)->script, ".platform/confighooks/predeploy/02_pre.sh");
	cr_assert_eq(sp_hook_plan_step(p, 3)->stage, SP_HOOK_STAGE_PREDEPLOY);
	cr_assert_str_eq(sp_hook_plan_step(p, 5)->origin, ".platform/confighooks/postdeploy/01_post.sh");
	cr_assert_not(plan_has_script_under(p, ".platform/hooks/"));
	/* the note belongs to the application plan */
	cr_assert_not(has_code(&d, "HOOK_CONFIGHOOK", SP_SEV_NOTE));
	cr_assert_eq(d.n, 0);
	json_t *j = sp_hook_plan_to_json(p);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 2), "script")),
			 ".platform/confighooks/predeploy/01_pre.sh");
	json_decref(j);
	free(s);
	sp_hook_plan_free(p);
	sp_diags_free(&d);
	sp_doc_free(a);
}

Test(hooks_config_plan, stages_without_scripts_are_empty)
{
	static const struct sp_hooks_script sc[] = {
		{ ".platform/hooks/prebuild/app.sh", "prebuild", false, true, NULL, 0 },
		{ ".platform/confighooks/predeploy/01.sh", "predeploy", true, true, NULL, 0 },
		{ ".platform/hooks/postdeploy/app.sh", "postdeploy", false, true, NULL, 0 },
	};
	struct sp_hooks_input in = { sc, 3, NULL, 0, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	cr_assert_eq(sp_hook_plan_build_for(&in, SP_HOOK_CONFIG_DEPLOYMENT, NULL, &p), 0);
	char *s = plan_string(p);
	cr_assert_str_eq(s, "predeploy:01.sh deploy:deploy");
	cr_assert_eq(sp_hook_plan_deploy_index(p), 1);
	free(s);
	sp_hook_plan_free(p);

	/* only .platform/hooks: the configuration plan is the deploy marker alone */
	in.scripts = sc;
	in.n_scripts = 1;
	cr_assert_eq(sp_hook_plan_build_for(&in, SP_HOOK_CONFIG_DEPLOYMENT, NULL, &p), 0);
	cr_assert_eq(sp_hook_plan_count(p), 1);
	cr_assert_eq(sp_hook_plan_step(p, 0)->stage, SP_HOOK_STAGE_DEPLOY);
	sp_hook_plan_free(p);

	struct sp_hooks_input none = { 0 };
	cr_assert_eq(sp_hook_plan_build_for(&none, SP_HOOK_CONFIG_DEPLOYMENT, NULL, &p), 0);
	cr_assert_eq(sp_hook_plan_count(p), 1);
	sp_hook_plan_free(p);
	p = NULL;
	cr_assert_eq(sp_hook_plan_build_for(&none, (enum sp_hook_deployment)7, NULL, &p), SP_EINVAL);
	cr_assert_null(p);
}

Test(hooks_config_plan, application_plan_leaves_confighooks_out)
{
	struct sp_hooks_input in = { MIXED_SCRIPTS, N_MIXED, NULL, 0, "app.zip/", NULL, NULL };
	struct sp_hook_plan *p = NULL, *q = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_hook_plan_build_for(&in, SP_HOOK_APP_DEPLOYMENT, &d, &p), 0);
	char *s = plan_string(p);
	cr_assert_str_eq(s, "prebuild:app.sh predeploy:01_app_pre.sh deploy:deploy "
			    "postdeploy:01_app_post.sh");
	cr_assert_not(plan_has_script_under(p, ".platform/confighooks/"));
	/* the same plan as sp_hook_plan_build */
	cr_assert_eq(sp_hook_plan_build(&in, NULL, &q), 0);
	char *t = plan_string(q);
	cr_assert_str_eq(s, t);
	/* one note per confighook (not the noise), saying when it runs */
	size_t notes = 0;
	for (size_t i = 0; i < d.n; i++)
		if (strcmp(d.items[i].code, "HOOK_CONFIGHOOK") == 0) {
			notes++;
			cr_assert_eq(d.items[i].severity, SP_SEV_NOTE);
			cr_assert_not_null(strstr(d.items[i].message, "only on configuration deployments"));
			cr_assert_eq(strncmp(d.items[i].file, "app.zip/.platform/confighooks/", 30), 0);
		}
	cr_assert_eq(notes, 6);
	free(s);
	free(t);
	sp_hook_plan_free(p);
	sp_hook_plan_free(q);
	sp_diags_free(&d);
}

Test(hooks_config_plan, confighook_scripts_are_checked)
{
	static const char NOBANG[] = "echo reload\n", CRLF[] = "#!/bin/sh\r\necho x\r\n",
			  APPBAD[] = "echo app\n";
	const struct sp_hooks_script sc[] = {
		{ ".platform/confighooks/predeploy/01_nobang.sh", "predeploy", true, true, NOBANG,
		  sizeof(NOBANG) - 1 },
		{ ".platform/confighooks/postdeploy/02_crlf.sh", "postdeploy", true, true, CRLF,
		  sizeof(CRLF) - 1 },
		{ ".platform/hooks/predeploy/03_app.sh", "predeploy", false, true, APPBAD,
		  sizeof(APPBAD) - 1 },
	};
	struct sp_hooks_input in = { sc, 3, NULL, 0, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_hook_plan_build_for(&in, SP_HOOK_CONFIG_DEPLOYMENT, &d, &p), 0);
	const struct sp_diag *g = find_code(&d, "HOOK_NO_SHEBANG");
	cr_assert_not_null(g);
	cr_assert_str_eq(g->file, ".platform/confighooks/predeploy/01_nobang.sh");
	g = find_code(&d, "HOOK_CRLF");
	cr_assert_not_null(g);
	cr_assert_str_eq(g->file, ".platform/confighooks/postdeploy/02_crlf.sh");
	cr_assert_eq(g->line, 1);
	/* the application hook is the application plan's business (checked once, there) */
	cr_assert_eq(d.n, 2);
	cr_assert_eq(sp_hook_plan_count(p), 3); /* warnings keep the scripts in the plan */
	sp_hook_plan_free(p);
	sp_diags_free(&d);
}

/* ---- checks ---- */

static void check_yaml(const char *yaml, struct sp_diags *d, struct sp_hook_plan **out)
{
	struct sp_doc *doc = load(".ebextensions/x.config", yaml);
	struct sp_hooks_config cfg[] = { { doc } };
	struct sp_hooks_input in = { NULL, 0, cfg, 1, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	cr_assert_eq(sp_hook_plan_build(&in, d, &p), 0);
	if (out)
		*out = p;
	else
		sp_hook_plan_free(p);
	sp_doc_free(doc);
}

Test(hooks_check, command_rules)
{
	struct sp_diags d;
	struct sp_hook_plan *p;
	sp_diags_init(&d);
	check_yaml("commands:\n"
		   "  01: {command: x, leader_only: true}\n"
		   "  02: {command: x, ignoreError: true}\n"
		   "  03: {command: '', cwd: /tmp}\n"
		   "  04: {command: x, env: {'A=B': 1}}\n"
		   "  05: {command: x, ignoreErrors: maybe}\n"
		   "  06: {command: x, env: {GOOD: 1, ALSO: 'yes'}, ignoreErrors: 'true'}\n"
		   "container_commands:\n"
		   "  01: {command: x, leader_only: true, test: 'true'}\n"
		   "  02: {command: {a: b}}\n",
		   &d, &p);
	const struct sp_diag *g = find_code(&d, "COMMAND_LEADER_ONLY_IN_COMMANDS");
	cr_assert_not_null(g);
	cr_assert_eq(g->severity, SP_SEV_ERROR);
	cr_assert_eq(g->line, 2);
	cr_assert_str_eq(g->path, "/commands/01/leader_only");
	g = find_code(&d, "COMMAND_KEY_UNKNOWN");
	cr_assert_not_null(g);
	cr_assert_eq(g->severity, SP_SEV_WARNING);
	cr_assert_not_null(strstr(g->hint, "ignoreErrors"));
	cr_assert(has_code(&d, "COMMAND_EMPTY", SP_SEV_ERROR));
	cr_assert(has_code(&d, "COMMAND_ENV_NAME", SP_SEV_ERROR));
	cr_assert(has_code(&d, "COMMAND_FIELD_TYPE", SP_SEV_ERROR));
	cr_assert(has_code(&d, "COMMAND_LEADER_ONLY_WITH_TEST", SP_SEV_WARNING));
	/* kept: 02 (warning only), 06; container 01 (test dropped) */
	char *s = plan_string(p);
	cr_assert_str_eq(s, "commands:02 commands:06 container_commands:01 deploy:deploy");
	const struct sp_hook_step *c6 = sp_hook_plan_step(p, 1);
	cr_assert(c6->cmd.ignore_errors);
	cr_assert(c6->cmd.has_env);
	cr_assert_eq(c6->cmd.n_env, 2);
	cr_assert_str_eq(c6->cmd.env[0], "GOOD=1");
	cr_assert_null(sp_hook_plan_step(p, 2)->cmd.test);
	free(s);
	sp_hook_plan_free(p);
	sp_diags_free(&d);
}

Test(hooks_check, files_rules)
{
	struct sp_diags d;
	struct sp_hook_plan *p;
	sp_diags_init(&d);
	check_yaml("files:\n"
		   "  relative/path: {content: x}\n"
		   "  /etc/../../escape: {content: x}\n"
		   "  /a: {content: x, mode: '0999'}\n"
		   "  /b: {}\n"
		   "  /c: {content: x, source: 'https://example.com/x'}\n"
		   "  /d: {source: 'https://example.com/x'}\n"
		   "  /e: {content: '!!!', encoding: base64}\n"
		   "  /f: {content: x, encoding: gzip}\n"
		   "  /g: {mode: '120000'}\n"
		   "  /h: {content: x, authentication: S3Auth, owner: webapp, colour: red}\n"
		   "  /i: {content: {a: 1, b: [x]}, mode: 000755}\n",
		   &d, &p);
	cr_assert(has_code(&d, "FILES_PATH_RELATIVE", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_PATH_UNSAFE", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_MODE_INVALID", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_NO_CONTENT", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_CONTENT_AND_SOURCE", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_SOURCE_UNSUPPORTED", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_BASE64_INVALID", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_ENCODING_INVALID", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_SYMLINK_TARGET", SP_SEV_ERROR));
	cr_assert(has_code(&d, "FILES_AUTHENTICATION", SP_SEV_WARNING));
	cr_assert(has_code(&d, "FILES_KEY_UNKNOWN", SP_SEV_WARNING));
	char *s = plan_string(p);
	cr_assert_str_eq(s, "files:/h files:/i deploy:deploy");
	const struct sp_hook_step *i = sp_hook_plan_step(p, 1);
	cr_assert_str_eq(i->file.content, "{\"a\": 1, \"b\": [\"x\"]}");
	cr_assert_eq(i->file.mode, 0755); /* unquoted 000755 keeps its digits */
	cr_assert_str_eq(sp_hook_plan_step(p, 0)->file.owner, "webapp");
	free(s);
	sp_hook_plan_free(p);
	sp_diags_free(&d);
}

static bool only_conf(void *ctx, const char *rel)
{
	(void)ctx;
	return strcmp(rel, "conf/app.ini") == 0;
}

Test(hooks_check, files_source_from_the_bundle)
{
	struct sp_doc *doc = load("s.config", "files:\n"
					      "  /etc/app.ini: {source: /var/app/staging/conf/app.ini}\n"
					      "  /etc/b.ini: {source: conf/missing.ini}\n");
	struct sp_hooks_config cfg[] = { { doc } };
	struct sp_hooks_input in = { NULL, 0, cfg, 1, "", only_conf, NULL };
	struct sp_hook_plan *p = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_hook_plan_build(&in, &d, &p), 0);
	cr_assert(has_code(&d, "FILES_SOURCE_MISSING", SP_SEV_ERROR));
	cr_assert_eq(sp_hook_plan_count(p), 2);
	cr_assert_str_eq(sp_hook_plan_step(p, 0)->file.source, "conf/app.ini");
	sp_hook_plan_free(p);
	sp_diags_free(&d);
	sp_doc_free(doc);
}

Test(hooks_check, scripts_shebang_and_crlf)
{
	static const char crlf1[] = "#!/bin/bash\r\necho hi\r\n";
	static const char crlf3[] = "#!/bin/sh\necho a\necho b\r\n";
	static const char elf[] = "\x7f" "ELF\x02\x01";
	struct sp_hooks_script sc[] = {
		{ ".platform/hooks/prebuild/01.sh", "prebuild", false, true, crlf1, sizeof(crlf1) - 1 },
		{ ".platform/hooks/prebuild/02.sh", "prebuild", false, true, "echo hi\n", 8 },
		{ ".platform/hooks/prebuild/03.sh", "prebuild", false, true, crlf3, sizeof(crlf3) - 1 },
		{ ".platform/hooks/prebuild/04", "prebuild", false, true, elf, 6 },
		{ ".platform/hooks/prebuild/05.sh", "prebuild", false, true, "", 0 },
	};
	struct sp_hooks_input in = { sc, 5, NULL, 0, "app.zip/", NULL, NULL };
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_hooks_check(&in, &d), 0);
	cr_assert_eq(d.count[SP_SEV_WARNING], 4);
	cr_assert_eq(sp_diags_errors(&d), 0);
	size_t crlf = 0, nosh = 0;
	for (size_t i = 0; i < d.n; i++) {
		const struct sp_diag *g = &d.items[i];
		if (strcmp(g->code, "HOOK_CRLF") == 0) {
			crlf++;
			if (strstr(g->file, "01.sh")) {
				cr_assert_eq(g->line, 1);
				cr_assert_eq(g->column, 12);
				cr_assert_not_null(strstr(g->message, "bad interpreter"));
				cr_assert_str_eq(g->file, "app.zip/.platform/hooks/prebuild/01.sh");
			} else {
				cr_assert_eq(g->line, 3);
			}
		} else if (strcmp(g->code, "HOOK_NO_SHEBANG") == 0) {
			nosh++;
		}
	}
	cr_assert_eq(crlf, 2);
	cr_assert_eq(nosh, 2); /* 02.sh and the empty 05.sh; the ELF binary is fine */
	sp_diags_free(&d);
}

Test(hooks_check, too_many_steps)
{
	struct sp_buf y = SP_BUF_INIT(0);
	sp_buf_puts(&y, "commands:\n");
	for (int i = 0; i <= MAX_HOOK_STEPS; i++)
		sp_buf_printf(&y, "  c%05d: {command: x}\n", i);
	struct sp_doc *doc = load("many.config", sp_buf_cstr(&y));
	struct sp_hooks_config cfg[] = { { doc } };
	struct sp_hooks_input in = { NULL, 0, cfg, 1, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_hook_plan_build(&in, &d, &p), SP_ETOOBIG);
	cr_assert_null(p);
	cr_assert(has_code(&d, "HOOK_TOO_MANY_STEPS", SP_SEV_ERROR));
	sp_diags_free(&d);
	sp_doc_free(doc);
	sp_buf_free(&y);
}

Test(hooks_check, too_many_env_entries)
{
	struct sp_buf y = SP_BUF_INIT(0);
	sp_buf_puts(&y, "commands:\n  x:\n    command: x\n    env:\n");
	for (int i = 0; i <= MAX_HOOK_ENV; i++)
		sp_buf_printf(&y, "      V%d: v\n", i);
	struct sp_diags d;
	struct sp_hook_plan *p;
	sp_diags_init(&d);
	check_yaml(sp_buf_cstr(&y), &d, &p);
	cr_assert(has_code(&d, "COMMAND_LIMIT", SP_SEV_ERROR));
	cr_assert_eq(sp_hook_plan_count(p), 1);
	sp_hook_plan_free(p);
	sp_diags_free(&d);
	sp_buf_free(&y);
}

/* ---- base64 ---- */

Test(hooks_files, base64)
{
	struct sp_buf b = SP_BUF_INIT(100);
	cr_assert_eq(sp_hooks_base64_decode("aGVs\nbG8=", 9, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "hello");
	sp_buf_reset(&b);
	cr_assert_eq(sp_hooks_base64_decode("aGVsbG8", 7, &b), 0); /* padding optional */
	cr_assert_str_eq(sp_buf_cstr(&b), "hello");
	sp_buf_reset(&b);
	cr_assert_eq(sp_hooks_base64_decode("aGV=sbG8", 8, &b), SP_EINVAL);
	cr_assert_eq(sp_hooks_base64_decode("a", 1, &b), SP_EINVAL);
	cr_assert_eq(sp_hooks_base64_decode("a$bc", 4, &b), SP_EINVAL);
	cr_assert_eq(b.len, 0);
	sp_buf_free(&b);
}

/* ---- writing files ---- */

static struct sp_hook_plan *files_plan(const char *yaml)
{
	struct sp_doc *doc = load("f.config", yaml);
	struct sp_hooks_config cfg[] = { { doc } };
	struct sp_hooks_input in = { NULL, 0, cfg, 1, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_hook_plan_build(&in, &d, &p), 0);
	cr_assert_eq(sp_diags_errors(&d), 0);
	sp_diags_free(&d);
	sp_doc_free(doc);
	return p;
}

Test(hooks_files, write_bak_symlink_base64_mode)
{
	char *root = tmpdir();
	struct sp_hook_plan *p = files_plan(
		"files:\n"
		"  /etc/app/settings.conf: {content: \"new\\n\", mode: '000600', owner: root, group: root}\n"
		"  /etc/app/current: {content: /etc/app/settings.conf, mode: '120000'}\n"
		"  /usr/local/bin/run.sh: {content: IyEvYmluL3NoCmVjaG8gb2sK, encoding: base64, mode: '000755'}\n");
	/* an existing file becomes .bak */
	struct sp_buf dir = SP_BUF_INIT(0);
	sp_buf_printf(&dir, "%s/etc/app", root);
	cr_assert_eq(sp_mkdir_p(sp_buf_cstr(&dir), 0755), 0);
	sp_buf_puts(&dir, "/settings.conf");
	FILE *f = fopen(sp_buf_cstr(&dir), "w");
	cr_assert_not_null(f);
	fputs("old\n", f);
	fclose(f);

	struct sp_buf log = SP_BUF_INIT(4096);
	for (size_t i = 0; i < sp_hook_plan_count(p); i++) {
		const struct sp_hook_step *s = sp_hook_plan_step(p, i);
		if (s->stage == SP_HOOK_STAGE_FILES)
			cr_assert_eq(sp_hook_file_write(root, &s->file, &log), 0, "%s", sp_buf_cstr(&log));
	}
	char *c = slurp(root, "etc/app/settings.conf"), *bak = slurp(root, "etc/app/settings.conf.bak");
	cr_assert_str_eq(c, "new\n");
	cr_assert_str_eq(bak, "old\n");
	cr_assert_eq(mode_of(root, "etc/app/settings.conf", false) & 07777, 0600);
	cr_assert(S_ISLNK(mode_of(root, "etc/app/current", true)));
	char target[256] = "";
	sp_buf_reset(&dir);
	sp_buf_printf(&dir, "%s/etc/app/current", root);
	ssize_t tn = readlink(sp_buf_cstr(&dir), target, sizeof(target) - 1);
	cr_assert_gt(tn, 0);
	target[tn] = '\0';
	cr_assert_str_eq(target, "/etc/app/settings.conf"); /* stored as written, never followed here */
	char *sh = slurp(root, "usr/local/bin/run.sh");
	cr_assert_str_eq(sh, "#!/bin/sh\necho ok\n");
	cr_assert_eq(mode_of(root, "usr/local/bin/run.sh", false) & 07777, 0755);
	cr_assert_not_null(strstr(sp_buf_cstr(&log), "settings.conf.bak"));

	/* writing again keeps the previous version as .bak (EB does the same) */
	cr_assert_eq(sp_hook_file_write(root, &sp_hook_plan_step(p, 1)->file, NULL), 0);
	free(bak);
	bak = slurp(root, "etc/app/settings.conf.bak");
	cr_assert_str_eq(bak, "new\n");

	free(c);
	free(bak);
	free(sh);
	sp_buf_free(&log);
	sp_buf_free(&dir);
	sp_hook_plan_free(p);
	sp_rm_rf(root);
	free(root);
}

Test(hooks_files, confined_to_the_instance_root)
{
	char *root = tmpdir(), *outside = tmpdir();
	struct sp_buf link = SP_BUF_INIT(0), leak = SP_BUF_INIT(0);
	/* a symlink planted in the root (as a hook could) that points outside */
	sp_buf_printf(&link, "%s/etc", root);
	cr_assert_eq(symlink(outside, sp_buf_cstr(&link)), 0);
	struct sp_hook_file f = { .path = "/etc/passwd", .rel = "etc/passwd", .mode = 0644,
				  .content = "pwned\n", .content_len = 6 };
	cr_assert_eq(sp_hook_file_write(root, &f, NULL), SP_EUNSAFE);
	sp_buf_printf(&leak, "%s/passwd", outside);
	cr_assert_neq(access(sp_buf_cstr(&leak), F_OK), 0);

	/* the leaf itself a symlink: renamed to .bak, never written through */
	struct sp_hook_file g = { .path = "/x", .rel = "x", .mode = 0644, .content = "y", .content_len = 1 };
	sp_buf_reset(&link);
	sp_buf_printf(&link, "%s/x", root);
	sp_buf_reset(&leak);
	sp_buf_printf(&leak, "%s/target", outside);
	cr_assert_eq(symlink(sp_buf_cstr(&leak), sp_buf_cstr(&link)), 0);
	cr_assert_eq(sp_hook_file_write(root, &g, NULL), 0);
	cr_assert_neq(access(sp_buf_cstr(&leak), F_OK), 0);
	cr_assert(S_ISLNK(mode_of(root, "x.bak", true)));

	/* unsafe relative paths never reach the disk */
	struct sp_hook_file h = { .path = "/../x", .rel = "../x", .mode = 0644, .content = "", .content_len = 0 };
	cr_assert_eq(sp_hook_file_write(root, &h, NULL), SP_EUNSAFE);
	int fd;
	cr_assert_eq(sp_hooks_open_below(root, "etc/hooks.log", true, &fd), SP_EUNSAFE);
	cr_assert_eq(sp_hooks_open_below(root, "var/log/eb-hooks.log", true, &fd), 0);
	close(fd);

	sp_buf_free(&link);
	sp_buf_free(&leak);
	sp_rm_rf(root);
	sp_rm_rf(outside);
	free(root);
	free(outside);
}

Test(hooks_files, source_copied_from_staging)
{
	char *root = tmpdir();
	struct sp_buf p = SP_BUF_INIT(0);
	sp_buf_printf(&p, "%s/var/app/staging/conf", root);
	cr_assert_eq(sp_mkdir_p(sp_buf_cstr(&p), 0755), 0);
	sp_buf_puts(&p, "/app.ini");
	FILE *f = fopen(sp_buf_cstr(&p), "w");
	fputs("[app]\n", f);
	fclose(f);
	struct sp_hook_file h = { .path = "/etc/app.ini", .rel = "etc/app.ini", .mode = 0640,
				  .source = "conf/app.ini" };
	cr_assert_eq(sp_hook_file_write(root, &h, NULL), 0);
	char *c = slurp(root, "etc/app.ini");
	cr_assert_str_eq(c, "[app]\n");
	free(c);
	sp_buf_free(&p);
	sp_rm_rf(root);
	free(root);
}

/* ---- the runner over a fake executor ---- */

struct fake {
	struct sp_buf calls;   /* one line per container: "stage step argv0 ... | cwd | env" */
	long exit_for_fail;    /* exit code of any command holding "FAIL" */
	size_t n;
	bool record_env;
};

static int fake_run(void *ctx, const struct sp_hooks_exec *req, struct sp_buf *output,
		    struct sp_hooks_exec_result *res, struct sp_buf *err)
{
	struct fake *f = ctx;
	bool fail = false, hang = false, leader = false;
	f->n++;
	sp_buf_printf(&f->calls, "%s:%s", req->stage, req->step);
	for (size_t i = 0; i < req->argc; i++) {
		fail |= strstr(req->argv[i], "FAIL") != NULL;
		hang |= strstr(req->argv[i], "HANG") != NULL;
	}
	for (size_t i = 0; i < req->n_env; i++)
		leader |= strcmp(req->env[i], "EB_IS_COMMAND_LEADER=true") == 0;
	sp_buf_printf(&f->calls, " cwd=%s leader=%d mounts=", req->workdir, leader);
	for (size_t i = 0; i < req->n_mounts; i++)
		sp_buf_printf(&f->calls, "%s%s", i ? "," : "", req->mounts[i].container_path);
	for (size_t i = 0; f->record_env && i < req->n_env; i++)
		sp_buf_printf(&f->calls, "%s%s", i ? "," : " env=", req->env[i]);
	sp_buf_putc(&f->calls, '\n');
	if (req->argc == 1 && strstr(req->argv[0], "NOSTART")) {
		sp_buf_puts(err, "exec format error");
		return SP_ERROR;
	}
	sp_buf_printf(output, "ran %s\n", req->step);
	res->exit_code = fail ? f->exit_for_fail : hang ? 137 : 0;
	res->timed_out = hang;
	return 0;
}

struct seen {
	size_t n;
	struct sp_buf msgs;
};

static void on_step(void *user, const struct sp_hooks_instance *inst,
		    const struct sp_hook_step_result *r)
{
	struct seen *s = user;
	(void)inst;
	s->n++;
	sp_buf_printf(&s->msgs, "%s\n", r->message);
}

static struct sp_hook_plan *plan_with(const char *yaml, const struct sp_hooks_script *sc, size_t n)
{
	struct sp_doc *doc = yaml ? load("r.config", yaml) : NULL;
	struct sp_hooks_config cfg[] = { { doc } };
	struct sp_hooks_input in = { sc, n, cfg, doc ? 1 : 0, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	cr_assert_eq(sp_hook_plan_build(&in, NULL, &p), 0);
	sp_doc_free(doc);
	return p;
}

static const struct sp_hooks_script RUN_SCRIPTS[] = {
	{ ".platform/hooks/prebuild/01.sh", "prebuild", false, true, NULL, 0 },
	{ ".platform/hooks/predeploy/01.sh", "predeploy", false, true, NULL, 0 },
	{ ".platform/hooks/postdeploy/01.sh", "postdeploy", false, true, NULL, 0 },
};

Test(hooks_runner, order_leader_env_mounts)
{
	char *roots[3] = { tmpdir(), tmpdir(), tmpdir() };
	struct sp_hook_plan *p = plan_with(
		"files:\n"
		"  /opt/tool.sh: {content: 'echo tool', mode: '000755'}\n"
		"  /var/app/staging/in-app.txt: {content: x}\n"
		"  /etc/link: {content: /etc/passwd, mode: '120000'}\n"
		"commands:\n"
		"  01: {command: 'sh /opt/tool.sh'}\n"
		"  02: {command: x, cwd: /tmp, env: {ONLY: me}}\n"
		"container_commands:\n"
		"  01_all: {command: all}\n"
		"  02_lead: {command: lead, leader_only: true}\n"
		"  03_rel: {command: rel, cwd: sub}\n",
		RUN_SCRIPTS, 3);
	struct fake f = { .calls = SP_BUF_INIT(0) };
	struct sp_hooks_executor ex = { fake_run, &f };
	const char *props[] = { "DB_HOST=db" };
	struct seen seen = { 0, SP_BUF_INIT(0) };
	struct sp_hooks_run_options o = { &ex, "busybox", 5, props, 1, on_step, &seen };
	size_t leader_runs = 0;
	for (int i = 0; i < 3; i++) {
		struct sp_hooks_instance inst = { "i-0000000000000000a", roots[i], i == 1 };
		struct sp_hooks_report *r = NULL;
		sp_buf_reset(&f.calls);
		cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &inst, &o, &r), 0);
		cr_assert_null(sp_hooks_report_failure(r));
		cr_assert_eq(sp_hooks_report_count(r), 10);
		for (size_t k = 0; k < sp_hooks_report_count(r); k++)
			leader_runs += sp_hooks_report_at(r, k)->outcome == SP_HOOK_OK &&
				       strcmp(sp_hooks_report_at(r, k)->step->name, "02_lead") == 0;
		const char *calls = sp_buf_cstr(&f.calls);
		if (i == 1) {
			cr_assert_str_eq(calls,
				"commands:01 cwd=/ leader=1 mounts=/var/app/staging,/opt/tool.sh\n"
				"commands:02 cwd=/tmp leader=1 mounts=/var/app/staging,/opt/tool.sh\n"
				"prebuild:01.sh cwd=/var/app/staging leader=1 mounts=/var/app/staging,/opt/tool.sh\n"
				"container_commands:02_lead cwd=/var/app/staging leader=1 mounts=/var/app/staging,/opt/tool.sh\n"
				"container_commands:01_all cwd=/var/app/staging leader=1 mounts=/var/app/staging,/opt/tool.sh\n"
				"container_commands:03_rel cwd=/var/app/staging/sub leader=1 mounts=/var/app/staging,/opt/tool.sh\n"
				"predeploy:01.sh cwd=/var/app/staging leader=1 mounts=/var/app/staging,/opt/tool.sh\n");
		} else {
			cr_assert_null(strstr(calls, "02_lead"));
			cr_assert_not_null(strstr(calls, "leader=0"));
		}
		/* the log in the instance root */
		char *log = slurp(roots[i], SP_HOOKS_LOG);
		cr_assert_not_null(log);
		cr_assert_not_null(strstr(log, "[container_commands] 01_all succeeded"));
		free(log);
		sp_hooks_report_free(r);

		sp_buf_reset(&f.calls);
		cr_assert_eq(sp_hooks_run(p, SP_HOOKS_AFTER_DEPLOY, &inst, &o, &r), 0);
		cr_assert_eq(sp_hooks_report_count(r), 1);
		cr_assert_not_null(strstr(sp_buf_cstr(&f.calls),
					  "postdeploy:01.sh cwd=/var/app/current leader="));
		cr_assert_not_null(strstr(sp_buf_cstr(&f.calls), "mounts=/var/app/current,/opt/tool.sh"));
		sp_hooks_report_free(r);
	}
	cr_assert_eq(leader_runs, 1);
	cr_assert_eq(seen.n, 3 * 11);
	for (int i = 0; i < 3; i++) {
		sp_rm_rf(roots[i]);
		free(roots[i]);
	}
	sp_buf_free(&seen.msgs);
	sp_buf_free(&f.calls);
	sp_hook_plan_free(p);
}

Test(hooks_runner, env_replaces_properties)
{
	char *root = tmpdir();
	struct sp_hook_plan *p = plan_with("commands:\n"
					   "  01: {command: x, env: {ONLY: me}}\n"
					   "  02: {command: y}\n", NULL, 0);
	struct fake f = { .calls = SP_BUF_INIT(0), .record_env = true };
	struct sp_hooks_executor fx = { fake_run, &f };
	const char *props[] = { "DB_HOST=db" };
	struct sp_hooks_run_options o = { &fx, "img", 0, props, 1, NULL, NULL };
	struct sp_hooks_instance inst = { "i-1", root, false };
	struct sp_hooks_report *r = NULL;
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &inst, &o, &r), 0);
	cr_assert_str_eq(sp_buf_cstr(&f.calls),
		"commands:01 cwd=/ leader=0 mounts=/var/app/staging env=ONLY=me,EB_IS_COMMAND_LEADER=false\n"
		"commands:02 cwd=/ leader=0 mounts=/var/app/staging env=DB_HOST=db,HOME=/root,EB_IS_COMMAND_LEADER=false\n");
	sp_hooks_report_free(r);
	sp_buf_free(&f.calls);
	sp_hook_plan_free(p);
	sp_rm_rf(root);
	free(root);
}

Test(hooks_runner, failures_ignore_errors_test_and_timeout)
{
	char *root = tmpdir();
	struct fake f = { .calls = SP_BUF_INIT(0), .exit_for_fail = 3 };
	struct sp_hooks_executor ex = { fake_run, &f };
	struct sp_hooks_run_options o = { &ex, "img", 7, NULL, 0, NULL, NULL };
	struct sp_hooks_instance inst = { "i-1", root, true };
	struct sp_hooks_report *r = NULL;

	/* ignoreErrors continues; a failing test skips; a real failure stops */
	struct sp_hook_plan *p = plan_with("commands:\n"
					   "  01: {command: FAIL, ignoreErrors: true}\n"
					   "  02: {command: x, test: FAIL}\n"
					   "  03: {command: FAIL}\n"
					   "  04: {command: never}\n",
					   NULL, 0);
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &inst, &o, &r), 0);
	cr_assert_eq(sp_hooks_report_count(r), 3);
	cr_assert_eq(sp_hooks_report_at(r, 0)->outcome, SP_HOOK_FAILED_IGNORED);
	cr_assert_eq(sp_hooks_report_at(r, 1)->outcome, SP_HOOK_SKIPPED_TEST);
	const struct sp_hook_step_result *fail = sp_hooks_report_failure(r);
	cr_assert_not_null(fail);
	cr_assert_eq(fail->outcome, SP_HOOK_FAILED);
	cr_assert_eq(fail->exit_code, 3);
	cr_assert_str_eq(fail->message, "[commands] 03 failed with exit code 3");
	cr_assert_str_eq(fail->output, "ran 03\n");
	struct sp_buf tail = SP_BUF_INIT(0);
	cr_assert_eq(sp_hooks_output_tail(fail, 1, &tail), 0);
	cr_assert_str_eq(sp_buf_cstr(&tail), "ran 03");
	sp_buf_free(&tail);
	sp_hooks_report_free(r);
	sp_hook_plan_free(p);

	/* a timeout fails even with ignoreErrors */
	p = plan_with("commands:\n  01: {command: HANG, ignoreErrors: true}\n", NULL, 0);
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &inst, &o, &r), 0);
	fail = sp_hooks_report_failure(r);
	cr_assert_not_null(fail);
	cr_assert_eq(fail->outcome, SP_HOOK_TIMED_OUT);
	cr_assert_str_eq(fail->message, "[commands] 01 did not finish within 7 s and was stopped");
	sp_hooks_report_free(r);
	sp_hook_plan_free(p);

	/* a hook the executor cannot start */
	struct sp_hooks_script sc[] = { { ".platform/hooks/prebuild/NOSTART", "prebuild", false, true, NULL, 0 } };
	p = plan_with(NULL, sc, 1);
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &inst, &o, &r), 0);
	fail = sp_hooks_report_failure(r);
	cr_assert_not_null(fail);
	cr_assert_eq(fail->outcome, SP_HOOK_NOT_STARTED);
	cr_assert_not_null(strstr(fail->message, "exec format error"));
	sp_hooks_report_free(r);

	/* bad options */
	struct sp_hooks_run_options bad = { NULL, "img", 0, NULL, 0, NULL, NULL };
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &inst, &bad, &r), SP_EINVAL);
	struct sp_hooks_instance rel = { "i-1", "relative/root", false };
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &rel, &o, &r), SP_EINVAL);
	sp_hook_plan_free(p);
	sp_buf_free(&f.calls);
	sp_rm_rf(root);
	free(root);
}

Test(hooks_runner, files_failure_stops_the_run)
{
	char *root = tmpdir(), *outside = tmpdir();
	struct sp_buf link = SP_BUF_INIT(0);
	sp_buf_printf(&link, "%s/etc", root);
	cr_assert_eq(symlink(outside, sp_buf_cstr(&link)), 0);
	struct fake f = { .calls = SP_BUF_INIT(0) };
	struct sp_hooks_executor ex = { fake_run, &f };
	struct sp_hooks_run_options o = { &ex, "img", 0, NULL, 0, NULL, NULL };
	struct sp_hooks_instance inst = { "i-1", root, true };
	struct sp_hooks_report *r = NULL;
	struct sp_hook_plan *p = plan_with("files:\n  /etc/x: {content: y}\ncommands:\n  01: {command: c}\n",
					   NULL, 0);
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &inst, &o, &r), 0);
	const struct sp_hook_step_result *fail = sp_hooks_report_failure(r);
	cr_assert_not_null(fail);
	cr_assert_eq(fail->step->stage, SP_HOOK_STAGE_FILES);
	cr_assert_not_null(strstr(fail->output, "refusing to follow the symlink"));
	cr_assert_eq(f.n, 0);
	sp_hooks_report_free(r);
	sp_hook_plan_free(p);
	sp_buf_free(&f.calls);
	sp_buf_free(&link);
	sp_rm_rf(root);
	sp_rm_rf(outside);
	free(root);
	free(outside);
}

/* ---- limits and codes ---- */

Test(hooks_check, too_many_arguments)
{
	struct sp_buf y = SP_BUF_INIT(0);
	sp_buf_puts(&y, "container_commands:\n  x:\n    command:\n");
	for (int i = 0; i <= MAX_HOOK_ARGV; i++)
		sp_buf_printf(&y, "      - a%d\n", i);
	struct sp_diags d;
	struct sp_hook_plan *p;
	sp_diags_init(&d);
	check_yaml(sp_buf_cstr(&y), &d, &p);
	cr_assert(has_code(&d, "COMMAND_LIMIT", SP_SEV_ERROR));
	cr_assert_eq(sp_hook_plan_count(p), 1);
	sp_hook_plan_free(p);
	sp_diags_free(&d);
	sp_buf_free(&y);
}

Test(hooks_check, content_too_large)
{
	/* two scalars under the document's scalar limit whose JSON is over the content limit */
	size_t half = MAX_HOOK_FILE_CONTENT / 2 + 16;
	struct sp_buf y = SP_BUF_INIT(0);
	sp_buf_puts(&y, "files:\n  /big.json:\n    content:\n      - ");
	for (size_t i = 0; i < half; i++)
		sp_buf_putc(&y, 'a');
	sp_buf_puts(&y, "\n      - ");
	for (size_t i = 0; i < half; i++)
		sp_buf_putc(&y, 'b');
	sp_buf_puts(&y, "\n");
	struct sp_diags d;
	struct sp_hook_plan *p;
	sp_diags_init(&d);
	check_yaml(sp_buf_cstr(&y), &d, &p);
	cr_assert(has_code(&d, "FILES_CONTENT_TOO_LARGE", SP_SEV_ERROR));
	cr_assert_eq(sp_hook_plan_count(p), 1);
	sp_hook_plan_free(p);
	sp_diags_free(&d);
	sp_buf_free(&y);
}

/* Every code platform-hooks/ reports is in its header and in docs/diagnostics.md. */
Test(hooks_check, every_code_documented)
{
	struct sp_buf docs = SP_BUF_INIT(0), hdr = SP_BUF_INIT(0), src = SP_BUF_INIT(0);
	cr_assert_eq(sp_read_file("docs/diagnostics.md", (size_t)4 << 20, &docs), 0, "run from the top");
	cr_assert_eq(sp_read_file("platform-hooks/hooks.h", (size_t)1 << 20, &hdr), 0);
	cr_assert_eq(sp_read_file("platform-hooks/plan.c", (size_t)1 << 20, &src), 0);
	static const char *const prefixes[] = { "\"HOOK_", "\"COMMAND_", "\"FILES_" };
	size_t found = 0;
	for (size_t k = 0; k < 3; k++) {
		const char *p = sp_buf_cstr(&src);
		while ((p = strstr(p, prefixes[k])) != NULL) {
			p++;
			size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			char code[128];
			snprintf(code, sizeof(code), "%.*s", (int)n, p);
			if (p[n] == '"') {
				char quoted[140];
				snprintf(quoted, sizeof(quoted), "`%s`", code);
				cr_assert_not_null(strstr(sp_buf_cstr(&docs), quoted),
						   "docs/diagnostics.md does not document %s", code);
				cr_assert_not_null(strstr(sp_buf_cstr(&hdr), code),
						   "platform-hooks/hooks.h does not list %s", code);
				found++;
			}
			p += n;
		}
	}
	cr_assert_gt(found, 20);
	sp_buf_free(&docs);
	sp_buf_free(&hdr);
	sp_buf_free(&src);
}

Test(hooks_runner, config_plan_runs_confighooks_where_hooks_run)
{
	static const struct sp_hooks_script sc[] = {
		{ ".platform/confighooks/prebuild/01.sh", "prebuild", true, true, NULL, 0 },
		{ ".platform/confighooks/predeploy/01.sh", "predeploy", true, true, NULL, 0 },
		{ ".platform/confighooks/predeploy/02_FAIL.sh", "predeploy", true, true, NULL, 0 },
		{ ".platform/hooks/predeploy/01.sh", "predeploy", false, true, NULL, 0 },
		{ ".platform/confighooks/postdeploy/01.sh", "postdeploy", true, true, NULL, 0 },
	};
	char *root = tmpdir();
	struct sp_hooks_input in = { sc, 5, NULL, 0, "", NULL, NULL };
	struct sp_hook_plan *p = NULL;
	cr_assert_eq(sp_hook_plan_build_for(&in, SP_HOOK_CONFIG_DEPLOYMENT, NULL, &p), 0);
	struct fake f = { .calls = SP_BUF_INIT(0), .exit_for_fail = 5 };
	struct sp_hooks_executor ex = { fake_run, &f };
	struct sp_hooks_run_options o = { &ex, "img", 7, NULL, 0, NULL, NULL };
	struct sp_hooks_instance inst = { "i-1", root, true };
	struct sp_hooks_report *r = NULL;
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_BEFORE_DEPLOY, &inst, &o, &r), 0);
	cr_assert_str_eq(sp_buf_cstr(&f.calls),
		"prebuild:01.sh cwd=/var/app/staging leader=1 mounts=/var/app/staging\n"
		"predeploy:01.sh cwd=/var/app/staging leader=1 mounts=/var/app/staging\n"
		"predeploy:02_FAIL.sh cwd=/var/app/staging leader=1 mounts=/var/app/staging\n");
	const struct sp_hook_step_result *fr = sp_hooks_report_failure(r);
	cr_assert_not_null(fr);
	cr_assert_str_eq(fr->message,
			 "[predeploy] .platform/confighooks/predeploy/02_FAIL.sh failed with exit code 5");
	sp_hooks_report_free(r);
	sp_buf_reset(&f.calls);
	cr_assert_eq(sp_hooks_run(p, SP_HOOKS_AFTER_DEPLOY, &inst, &o, &r), 0);
	cr_assert_str_eq(sp_buf_cstr(&f.calls),
			 "postdeploy:01.sh cwd=/var/app/current leader=1 mounts=/var/app/current\n");
	cr_assert_str_eq(sp_hooks_report_at(r, 0)->message,
			 "[postdeploy] .platform/confighooks/postdeploy/01.sh succeeded");
	sp_hooks_report_free(r);
	sp_buf_free(&f.calls);
	sp_hook_plan_free(p);
	sp_rm_rf(root);
	free(root);
}
