/* test_ebext_options.c — the option schema table (well-formed, defaults valid, docs/options.md
 * generated from it), option settings with EB's precedence, --option parsing and the limits.
 * Exact diagnostics per namespace and option: tests/data/ebextensions/. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/base/banned.h"

static struct sp_loc at(const char *file, int line)
{
	return (struct sp_loc){ file, line, 1, "" };
}

static bool has_code(const struct sp_diags *d, const char *code)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].code, code) == 0)
			return true;
	return false;
}

Test(ebext_options, docs_options_md_is_generated_from_the_table)
{
	struct sp_buf b = SP_BUF_INIT(0);
	struct sp_buf f = SP_BUF_INIT(0);
	cr_assert_eq(sp_opt_schema_markdown(&b), 0);
	cr_assert_eq(sp_read_file("docs/options.md", 1 << 20, &f), 0,
		     "run the unit tests from the top of the tree");
	cr_assert_str_eq(sp_buf_cstr(&f), sp_buf_cstr(&b),
			 "docs/options.md is stale: sprout plan --list-options > docs/options.md");
	sp_buf_free(&b);
	sp_buf_free(&f);
}

Test(ebext_options, every_default_passes_its_own_check)
{
	size_t n;
	const struct sp_opt_def *t = sp_opt_schema(&n);
	cr_assert_gt(n, 50);
	for (size_t i = 0; i < n; i++) {
		if (!t[i].def || strcmp(t[i].def, "<port>") == 0 || t[i].name[0] == '<')
			continue;
		struct sp_options *o;
		struct sp_diags d;
		sp_diags_init(&d);
		cr_assert_eq(sp_options_new(&o), 0);
		const char *ns = strcmp(t[i].ns, "aws:elb:listener:<port>") == 0 ? "aws:elb:listener:8080"
										   : t[i].ns;
		sp_options_set(o, SP_OPT_LEVEL_EBEXT, ns, t[i].name, t[i].def, at("x", 1), &d);
		cr_assert_eq(d.n, 0, "%s %s default %s rejected: %s", t[i].ns, t[i].name, t[i].def,
			     d.n ? d.items[0].message : "");
		sp_options_free(o);
		sp_diags_free(&d);
	}
}

Test(ebext_options, every_required_namespace_is_in_the_table)
{
	static const char *const ns[] = {
		"aws:elb:listener", "aws:elb:listener:443", "aws:elb:loadbalancer",
		"aws:elb:healthcheck", "aws:elb:policies", "aws:elasticbeanstalk:application",
		"aws:elasticbeanstalk:application:environment", "aws:autoscaling:asg",
		"aws:elasticbeanstalk:command", "aws:elasticbeanstalk:environment",
		"aws:elasticbeanstalk:healthreporting:system",
		"aws:elasticbeanstalk:cloudwatch:logs", "aws:elasticbeanstalk:customoption",
		"sprout:security", "sprout:deploy", "sprout:images", "sprout:hooks",
	};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		cr_assert(sp_opt_namespace_known(ns[i]), "%s", ns[i]);
	cr_assert_not(sp_opt_namespace_known("aws:elb:listener:0"));
	cr_assert_eq(sp_opt_listener_port("aws:elb:listener:65535"), 65535);
	cr_assert_eq(sp_opt_listener_port("aws:elb:listener:65536"), 0);
	cr_assert_eq(sp_opt_listener_port("aws:elb:listener:+80"), 0);
	cr_assert_str_eq(sp_opt_lookup("sprout:security", "AllowPrivileged")->def, "false");
	cr_assert_str_eq(sp_opt_lookup("sprout:deploy", "RollbackOnFailure")->def, "false");
	cr_assert_str_eq(sp_opt_lookup("sprout:images", "StrictImageChecks")->def, "false");
	cr_assert_not_null(sp_opt_lookup("sprout:hooks", "Image"));
	cr_assert_not_null(sp_opt_lookup("sprout:hooks", "Timeout"));
}

Test(ebext_options, precedence_api_over_saved_over_ebextensions_over_default)
{
	struct sp_options *o;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_options_new(&o), 0);
	const char *ns = "aws:autoscaling:asg";
	cr_assert_str_eq(sp_options_get(o, ns, "MinSize"), "1");
	sp_options_set(o, SP_OPT_LEVEL_API, ns, "MinSize", "5", at("--option", 0), &d);
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, ns, "MinSize", "2", at("a.config", 3), &d);
	sp_options_set(o, SP_OPT_LEVEL_SAVED, ns, "MinSize", "3", at("saved", 1), &d);
	cr_assert_str_eq(sp_options_get(o, ns, "MinSize"), "5");
	cr_assert_eq(sp_options_find(o, ns, "MinSize")->level, SP_OPT_LEVEL_API);
	cr_assert_eq(d.n, 0, "a lower level is ignored silently");
	/* same .ebextensions level: the later file wins, with a note */
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, ns, "MaxSize", "6", at("01.config", 3), &d);
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, ns, "MaxSize", "7", at("02.config", 4), &d);
	cr_assert_str_eq(sp_options_get(o, ns, "MaxSize"), "7");
	cr_assert(has_code(&d, "EBX_OPTION_OVERRIDDEN"));
	cr_assert_str_eq(sp_options_find(o, ns, "MaxSize")->file, "02.config");
	cr_assert_eq(sp_options_get_int(o, ns, "MaxSize", 0), 7);
	cr_assert_eq(sp_options_get_int(o, ns, "Cooldown", 0), 360);
	cr_assert_eq(sp_options_get_bool(o, "sprout:security", "AllowHostPaths", true), false);
	sp_options_free(o);
	sp_diags_free(&d);
}

Test(ebext_options, invalid_values_are_errors_and_not_recorded)
{
	struct sp_options *o;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_options_new(&o), 0);
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, "aws:elb:healthcheck", "Interval", "301", at("f", 1), &d);
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, "aws:elasticbeanstalk:command", "DeploymentPolicy",
		       "allatonce", at("f", 2), &d);
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, "sprout:security", "AllowPrivileged", "TRUE", at("f", 3), &d);
	cr_assert_eq(sp_diags_errors(&d), 2);
	cr_assert_null(sp_options_find(o, "aws:elb:healthcheck", "Interval"));
	cr_assert_str_eq(sp_options_get(o, "aws:elb:healthcheck", "Interval"), "10");
	cr_assert_not_null(strstr(d.items[1].hint, "did you mean \"AllAtOnce\""));
	cr_assert_str_eq(sp_options_get(o, "sprout:security", "AllowPrivileged"), "true",
			 "booleans are stored in lower case");
	sp_options_free(o);
	sp_diags_free(&d);
}

Test(ebext_options, option_arguments)
{
	struct sp_options *o;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_options_new(&o), 0);
	cr_assert_eq(sp_options_set_arg(o, SP_OPT_LEVEL_API, "aws:elb:listener:8080:InstancePort=8081",
					"--option", &d), 0);
	cr_assert_str_eq(sp_options_get(o, "aws:elb:listener:8080", "InstancePort"), "8081");
	cr_assert_eq(sp_options_set_arg(o, SP_OPT_LEVEL_API,
					"aws:elasticbeanstalk:application:Application Healthcheck URL=/a=b",
					"--option", &d), 0);
	cr_assert_str_eq(sp_options_get(o, "aws:elasticbeanstalk:application",
					"Application Healthcheck URL"), "/a=b");
	cr_assert_eq(sp_options_set_arg(o, SP_OPT_LEVEL_API, "MinSize=2", "--option", &d), SP_EINVAL);
	cr_assert_eq(sp_options_set_arg(o, SP_OPT_LEVEL_API, "ns:=2", "--option", &d), SP_EINVAL);
	cr_assert(has_code(&d, "EBX_OPTION_SYNTAX"));
	sp_options_free(o);
	sp_diags_free(&d);
}

Test(ebext_options, limit_max_ebx_options_is_crossed)
{
	struct sp_options *o;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_options_new(&o), 0);
	char name[32];
	for (int i = 0; i < MAX_EBX_OPTIONS; i++) {
		snprintf(name, sizeof(name), "K%d", i);
		cr_assert_eq(sp_options_set(o, SP_OPT_LEVEL_EBEXT, SP_NS_CUSTOM, name, "v", at("f", 1), &d), 0);
	}
	cr_assert_eq(sp_options_set(o, SP_OPT_LEVEL_EBEXT, SP_NS_CUSTOM, "one-more", "v", at("f", 1), &d),
		     SP_ETOOBIG);
	cr_assert(has_code(&d, "EBX_TOO_MANY_OPTIONS"));
	cr_assert_eq(sp_options_count(o), MAX_EBX_OPTIONS);
	sp_options_free(o);
	sp_diags_free(&d);
}

Test(ebext_options, environment_limits)
{
	struct sp_options *o;
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_options_new(&o), 0);
	char value[MAX_EBX_ENV_VALUE + 2];
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = 0;
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, SP_NS_ENV, "LONG", value, at("f", 1), &d);
	cr_assert(has_code(&d, "EBX_ENV_VALUE_TOO_LONG"));
	value[MAX_EBX_ENV_VALUE] = 0; /* exactly at the limit: fine */
	cr_assert_eq(sp_options_set(o, SP_OPT_LEVEL_EBEXT, SP_NS_ENV, "AT_LIMIT", value, at("f", 2), &d), 0);
	cr_assert_not_null(sp_options_find(o, SP_NS_ENV, "AT_LIMIT"));
	sp_diags_free(&d);
	sp_diags_init(&d);
	/* 4096 bytes of key=value exactly is allowed; one more byte is not */
	size_t total = strlen("AT_LIMIT=") + MAX_EBX_ENV_VALUE;
	char name[16];
	for (int i = 0; total + 4 + 1 + 240 <= MAX_EBX_ENV_TOTAL; i++) {
		snprintf(name, sizeof(name), "E%03d", i);
		value[240] = 0;
		sp_options_set(o, SP_OPT_LEVEL_EBEXT, SP_NS_ENV, name, value, at("f", 3), &d);
		total += 4 + 1 + 240;
	}
	size_t rest = MAX_EBX_ENV_TOTAL - total - 5;
	value[rest] = 0;
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, SP_NS_ENV, "LAST", value, at("f", 4), &d);
	sp_options_check(o, &d);
	cr_assert_eq(d.n, 0, "exactly %d bytes", MAX_EBX_ENV_TOTAL);
	sp_options_set(o, SP_OPT_LEVEL_EBEXT, SP_NS_ENV, "X", "", at("f", 5), &d);
	sp_options_check(o, &d);
	cr_assert(has_code(&d, "EBX_ENV_TOO_LARGE"));
	sp_options_free(o);
	sp_diags_free(&d);
}
