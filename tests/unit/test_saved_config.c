/* test_saved_config.c — EB saved configurations (ebextensions/saved_config.c): the SAVED
 * level between .ebextensions and create/update-time settings, schema checks located in
 * the .cfg.yml, the keys sprout does not use, structure errors, limits, name resolution,
 * and that every SAVED_CONFIG_* code is documented and has a data case. The exact
 * diagnostics per case: tests/data/plan/saved-config-*. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/base/banned.h"

#define CFG_NAME ".elasticbeanstalk/saved_configs/prod.cfg.yml"

struct fx {
	struct sp_options *o;
	struct sp_ebx *x;
	struct sp_diags d;
};

static void fx_init(struct fx *f)
{
	sp_diags_init(&f->d);
	cr_assert_eq(sp_options_new(&f->o), 0);
	cr_assert_eq(sp_ebx_new(&f->x), 0);
}

static void fx_free(struct fx *f)
{
	sp_options_free(f->o);
	sp_ebx_free(f->x);
	sp_diags_free(&f->d);
}

static int saved(struct fx *f, const char *text)
{
	return sp_saved_config_add(text, strlen(text), CFG_NAME, f->o, &f->d);
}

static const struct sp_diag *find(const struct sp_diags *d, const char *code)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].code, code) == 0)
			return &d->items[i];
	return NULL;
}

static size_t count(const struct sp_diags *d, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += strcmp(d->items[i].code, code) == 0;
	return n;
}

static const char corpus_like[] =
	"EnvironmentConfigurationMetadata:\n"
	"  Description: Configuration created from the EB CLI using \"eb config save\".\n"
	"  DateCreated: '1429350923000'\n"
	"AWSConfigurationTemplateVersion: 1.1.0.0\n"
	"EnvironmentTier:\n"
	"  Name: WebServer\n"
	"  Type: Standard\n"
	"SolutionStack: 64bit Amazon Linux 2015.03 v1.3.1 running Docker 1.5.0\n"
	"OptionSettings:\n"
	"  aws:ec2:vpc:\n"
	"    VPCId: vpc-82c4d8e0\n"
	"  aws:autoscaling:asg:\n"
	"    MinSize: 2\n"
	"    MaxSize: '4'\n"
	"  aws:elb:loadbalancer:\n"
	"    CrossZone: true\n"
	"  aws:elasticbeanstalk:sns:topics:\n"
	"    Notification Endpoint: ''\n";

Test(saved_config, loads_option_settings_at_the_saved_level)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(saved(&f, corpus_like), 0);
	cr_expect_eq(sp_diags_errors(&f.d), 0);
	const struct sp_opt_setting *s = sp_options_find(f.o, "aws:autoscaling:asg", "MinSize");
	cr_assert_not_null(s);
	cr_expect_str_eq(s->value, "2");
	cr_expect_eq(s->level, SP_OPT_LEVEL_SAVED);
	cr_expect_str_eq(s->file, CFG_NAME);
	cr_expect_eq(s->line, 13);
	cr_expect_eq(s->column, 14);
	cr_expect_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MaxSize"), "4");
	cr_expect_str_eq(sp_options_get(f.o, "aws:elb:loadbalancer", "CrossZone"), "true");
	cr_expect_str_eq(sp_options_get(f.o, "aws:elasticbeanstalk:sns:topics",
					 "Notification Endpoint"), "");
	/* metadata is silent; SolutionStack and EnvironmentTier are notes */
	cr_expect_eq(count(&f.d, "SAVED_CONFIG_NOT_APPLIED"), 2);
	cr_expect_null(find(&f.d, "SAVED_CONFIG_UNKNOWN_KEY"));
	/* aws:ec2:vpc is a namespace sprout does not model: a warning, not an error */
	cr_expect_not_null(find(&f.d, "EBX_NAMESPACE_UNSUPPORTED"));
	fx_free(&f);
}

Test(saved_config, precedence_ebextensions_saved_api)
{
	struct fx f;
	fx_init(&f);
	const char *ebx = "option_settings:\n  aws:autoscaling:asg:\n    MinSize: 1\n"
			  "    MaxSize: 3\n";
	cr_assert_eq(sp_ebx_add_file(f.x, ebx, strlen(ebx), ".ebextensions/a.config", f.o, &f.d), 0);
	cr_assert_eq(saved(&f, "OptionSettings:\n  aws:autoscaling:asg:\n    MaxSize: 5\n"
			       "    MinSize: 2\n"), 0);
	cr_expect_eq(count(&f.d, "SAVED_CONFIG_OVERRIDES"), 2);
	const struct sp_diag *n = find(&f.d, "SAVED_CONFIG_OVERRIDES");
	cr_assert_not_null(n);
	cr_expect_eq(n->severity, SP_SEV_NOTE);
	cr_expect_str_eq(n->file, CFG_NAME);
	cr_expect_eq(n->line, 3);
	cr_expect_not_null(strstr(n->hint, ".ebextensions/a.config:4:14"));
	cr_assert_eq(sp_options_set_arg(f.o, SP_OPT_LEVEL_API, "aws:autoscaling:asg:MaxSize=6",
					"--option", &f.d), 0);
	cr_expect_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MaxSize"), "6");
	cr_expect_eq(sp_options_find(f.o, "aws:autoscaling:asg", "MaxSize")->level,
		     SP_OPT_LEVEL_API);
	cr_expect_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MinSize"), "2");
	cr_expect_eq(sp_options_find(f.o, "aws:autoscaling:asg", "MinSize")->level,
		     SP_OPT_LEVEL_SAVED);
	/* a later .ebextensions value does not beat the saved one (and no note) */
	size_t notes = count(&f.d, "EBX_OPTION_OVERRIDDEN");
	const char *ebx2 = "option_settings:\n  aws:autoscaling:asg:\n    MinSize: 4\n";
	cr_assert_eq(sp_ebx_add_file(f.x, ebx2, strlen(ebx2), ".ebextensions/b.config", f.o, &f.d), 0);
	cr_expect_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MinSize"), "2");
	cr_expect_eq(count(&f.d, "EBX_OPTION_OVERRIDDEN"), notes);
	fx_free(&f);
}

Test(saved_config, wrong_value_is_located_and_not_recorded)
{
	struct fx f;
	fx_init(&f);
	const char *ebx = "option_settings:\n  aws:autoscaling:asg:\n    MinSize: 1\n";
	cr_assert_eq(sp_ebx_add_file(f.x, ebx, strlen(ebx), ".ebextensions/a.config", f.o, &f.d), 0);
	cr_assert_eq(saved(&f, "OptionSettings:\n  aws:autoscaling:asg:\n    MinSize: two\n"
			       "    Foo: 1\n"), 0);
	const struct sp_diag *e = find(&f.d, "EBX_OPTION_VALUE");
	cr_assert_not_null(e);
	cr_expect_eq(e->severity, SP_SEV_ERROR);
	cr_expect_str_eq(e->file, CFG_NAME);
	cr_expect_eq(e->line, 3);
	cr_expect_eq(e->column, 14);
	cr_expect_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MinSize"), "1");
	cr_expect_null(find(&f.d, "SAVED_CONFIG_OVERRIDES"));
	cr_expect_not_null(find(&f.d, "EBX_OPTION_UNKNOWN"));
	fx_free(&f);
}

Test(saved_config, structure_errors_apply_nothing)
{
	struct fx f;
	fx_init(&f);
	cr_expect_eq(saved(&f, "- a\n- b\n"), SP_EINVAL);
	cr_expect_not_null(find(&f.d, "SAVED_CONFIG_NOT_A_MAP"));
	cr_expect_eq(saved(&f, "OptionSettings: [a]\n"), SP_EINVAL);
	cr_expect_eq(saved(&f, "OptionSettings:\n  aws:autoscaling:asg:\n    MinSize: 2\n"
			       "  aws:elb:loadbalancer: 5\n"), SP_EINVAL);
	cr_expect_eq(saved(&f, "OptionSettings:\n  aws:autoscaling:asg:\n    MinSize: [2]\n"),
		     SP_EINVAL);
	cr_expect_eq(count(&f.d, "SAVED_CONFIG_SHAPE"), 3);
	cr_expect_eq(sp_options_count(f.o), 0);
	cr_expect_eq(saved(&f, "OptionSettings: {"), SP_EINVAL);
	cr_expect_not_null(find(&f.d, "DOC_YAML_SYNTAX"));
	/* empty and null are fine */
	cr_expect_eq(saved(&f, ""), 0);
	cr_expect_eq(saved(&f, "OptionSettings:\n"), 0);
	/* unknown top-level keys: a warning with a suggestion; the rest still applies */
	cr_expect_eq(saved(&f, "OptionSetings: {}\nOptionSettings:\n  aws:autoscaling:asg:\n"
			       "    MinSize: 2\n"), 0);
	const struct sp_diag *w = find(&f.d, "SAVED_CONFIG_UNKNOWN_KEY");
	cr_assert_not_null(w);
	cr_expect_eq(w->severity, SP_SEV_WARNING);
	cr_expect_not_null(strstr(w->hint, "OptionSettings"));
	cr_expect_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MinSize"), "2");
	/* JSON works too (doc.h) */
	cr_expect_eq(saved(&f, "{\"OptionSettings\": {\"aws:autoscaling:asg\": {\"MaxSize\": 7}}}"), 0);
	cr_expect_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MaxSize"), "7");
	fx_free(&f);
}

Test(saved_config, size_limit_through_doc)
{
	struct fx f;
	fx_init(&f);
	size_t n = MAX_SAVED_CONFIG_SIZE + 16;
	char *big = malloc(n);
	cr_assert_not_null(big);
	memset(big, '#', n);
	cr_expect_eq(sp_saved_config_add(big, n, CFG_NAME, f.o, &f.d), SP_EINVAL);
	cr_expect_not_null(find(&f.d, "DOC_TOO_LARGE"));
	free(big);
	fx_free(&f);
}

Test(saved_config, resolve_names_and_files)
{
	struct sp_buf b = SP_BUF_INIT(0);
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_saved_config_resolve(".", "prod", &b, &d), 0);
	cr_expect_str_eq(sp_buf_cstr(&b), ".elasticbeanstalk/saved_configs/prod.cfg.yml");
	cr_assert_eq(sp_saved_config_resolve("app/", "prod", &b, &d), 0);
	cr_expect_str_eq(sp_buf_cstr(&b), "app/.elasticbeanstalk/saved_configs/prod.cfg.yml");
	cr_assert_eq(sp_saved_config_resolve("/p", "prod", &b, &d), 0);
	cr_expect_str_eq(sp_buf_cstr(&b), "/p/.elasticbeanstalk/saved_configs/prod.cfg.yml");
	cr_assert_eq(sp_saved_config_resolve("/p", "x/y.cfg.yml", &b, &d), 0);
	cr_expect_str_eq(sp_buf_cstr(&b), "x/y.cfg.yml");
	cr_assert_eq(sp_saved_config_resolve(NULL, "prod.cfg.yml", &b, &d), 0);
	cr_expect_str_eq(sp_buf_cstr(&b), "prod.cfg.yml");
	cr_expect_eq(d.n, 0);
	cr_expect_eq(sp_saved_config_resolve(".", "", &b, &d), SP_EINVAL);
	cr_expect_eq(sp_saved_config_resolve(".", "a\nb", &b, &d), SP_EINVAL);
	char longname[MAX_SAVED_CONFIG_NAME + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_expect_eq(sp_saved_config_resolve(".", longname, &b, &d), SP_EINVAL);
	cr_expect_eq(d.n, 3);
	cr_expect_str_eq(d.items[0].code, "SAVED_CONFIG_NAME");
	sp_diags_free(&d);
	sp_buf_free(&b);
}

Test(saved_config, missing_file)
{
	struct fx f;
	fx_init(&f);
	cr_expect_eq(sp_saved_config_load_file("/nonexistent/x.cfg.yml", NULL, f.o, &f.d), SP_EIO);
	cr_expect_not_null(find(&f.d, "SAVED_CONFIG_NOT_FOUND"));
	fx_free(&f);
}

static bool grep_file(const char *path, const char *needle)
{
	struct sp_buf b = SP_BUF_INIT(1 << 22);
	bool found = sp_read_file(path, b.max, &b) == 0 && strstr(sp_buf_cstr(&b), needle);
	sp_buf_free(&b);
	return found;
}

static bool in_some_plan_case(const char *needle)
{
	DIR *dh = opendir("tests/data/plan");
	bool found = false;
	struct dirent *e;
	while (dh && !found && (e = readdir(dh)) != NULL) {
		if (strncmp(e->d_name, "saved-config-", 13) != 0)
			continue;
		char *p1 = sp_aprintf("tests/data/plan/%s/expected.err", e->d_name);
		char *p2 = sp_aprintf("tests/data/plan/%s/expected.out", e->d_name);
		found = grep_file(p1, needle) || grep_file(p2, needle);
		free(p1);
		free(p2);
	}
	if (dh)
		closedir(dh);
	return found;
}

Test(saved_config, every_code_is_documented_and_has_a_case)
{
	cr_assert_gt(sp_saved_config_codes_count, 0);
	for (size_t i = 0; i < sp_saved_config_codes_count; i++) {
		const char *code = sp_saved_config_codes[i].code;
		char needle[128];
		snprintf(needle, sizeof(needle), "| `%s` |", code);
		cr_expect(grep_file("docs/diagnostics.md", needle), "%s not in docs/diagnostics.md", code);
		snprintf(needle, sizeof(needle), "[%s]", code);
		cr_expect(in_some_plan_case(needle), "%s has no data case", code);
	}
}
