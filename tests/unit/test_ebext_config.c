/* test_ebext_config.c — config files (forms, skipping, order, limits), intrinsic functions,
 * backtick substitutions, and that every EBX_ and PLAN_ code is documented and has a data
 * case. The exact diagnostics per case: tests/data/ebextensions/. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebextensions/ebextensions.h"
#include "engine/plan/plan.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

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

static int add(struct fx *f, const char *name, const char *text)
{
	return sp_ebx_add_file(f->x, text, strlen(text), name, f->o, &f->d);
}

static bool has_code(const struct sp_diags *d, const char *code)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].code, code) == 0)
			return true;
	return false;
}

Test(ebext_config, map_and_list_forms_and_default_namespace)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(add(&f, "a.config", "option_settings:\n"
					 "  aws:autoscaling:asg:\n    MaxSize: 6\n"
					 "  aws:elasticbeanstalk:application:\n"
					 "    Application Healthcheck URL: /health\n"), 0);
	cr_assert_eq(add(&f, "b.config", "{\"option_settings\": [{\"option_name\": \"A\", \"value\": 1},"
					 " {\"namespace\": \"aws:autoscaling:asg\", \"option_name\": \"MinSize\","
					 " \"value\": \"2\"}]}"), 0);
	cr_assert_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MaxSize"), "6");
	cr_assert_str_eq(sp_options_get(f.o, "aws:autoscaling:asg", "MinSize"), "2");
	cr_assert_str_eq(sp_options_get(f.o, SP_NS_ENV, "A"), "1");
	cr_assert_str_eq(sp_options_get(f.o, "aws:elasticbeanstalk:application",
					"Application Healthcheck URL"), "/health");
	cr_assert_eq(sp_ebx_file_count(f.x), 2);
	cr_assert_eq(f.d.n, 0);
	fx_free(&f);
}

Test(ebext_config, unknown_key_skips_the_whole_file)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(add(&f, "bad.config", "option_settings:\n  aws:autoscaling:asg:\n    MinSize: 3\n"
					   "Resources:\n  q:\n    Type: AWS::SQS::Queue\n"
					   "containers_commands: {}\n"), SP_EINVAL);
	cr_assert(has_code(&f.d, "EBX_UNKNOWN_KEY"));
	cr_assert(has_code(&f.d, "EBX_FILE_SKIPPED"));
	cr_assert_null(sp_options_find(f.o, "aws:autoscaling:asg", "MinSize"));
	cr_assert_eq(sp_ebx_resource_count(f.x), 0);
	cr_assert_eq(sp_ebx_file_count(f.x), 0);
	fx_free(&f);
}

Test(ebext_config, counts_and_sections)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(add(&f, "a.config", "commands:\n  a: {command: x}\n  b: {command: [y]}\n"
					 "container_commands:\n  c: {command: z, leader_only: true}\n"
					 "files:\n  /etc/x: {content: hi}\n"
					 "Outputs:\n  O: {Value: 1}\nParameters:\n  P: {Type: String}\n"
					 "Resources:\n  R: {Type: AWS::SNS::Topic}\n"), 0);
	cr_assert_eq(sp_ebx_count_key(f.x, "commands"), 2);
	cr_assert_eq(sp_ebx_count_key(f.x, "container_commands"), 1);
	cr_assert_eq(sp_ebx_count_key(f.x, "files"), 1);
	cr_assert_eq(sp_ebx_section_count(f.x), 2);
	cr_assert_eq(sp_ebx_resource_count(f.x), 1);
	cr_assert_str_eq(sp_ebx_resource_at(f.x, 0)->type, "AWS::SNS::Topic");
	fx_free(&f);
}

static const char *const LB_IDS[] = { "AWSEBSecurityGroup", "AWSEBLoadBalancer",
				      "AWSEBEnvironmentName" };

Test(ebext_config, intrinsic_functions)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(add(&f, "a.config",
			 "Parameters:\n  Port: {Type: Number, Default: 8080}\n"
			 "option_settings:\n  aws:elasticbeanstalk:customoption:\n    Name: web\n"
			 "Resources:\n  r:\n    Type: AWS::SNS::Topic\n    Properties:\n"
			 "      A: {\"Fn::Join\": [\"-\", [{Ref: AWSEBEnvironmentName}, x, {Ref: Port}]]}\n"
			 "      B: {\"Fn::GetAtt\": [AWSEBLoadBalancer, SourceSecurityGroup.GroupName]}\n"
			 "      C: {\"Fn::GetOptionSetting\": {OptionName: Name}}\n"
			 "      D: {\"Fn::GetOptionSetting\": {OptionName: Nope, DefaultValue: dv}}\n"
			 "      E: {Ref: AWSEBSecurityGroup}\n"
			 "      F: {\"Fn::GetAtt\": AWSEBSecurityGroup.GroupId}\n"
			 "      G: {Ref: AWS::Region}\n"), 0);
	struct sp_ebx_context ctx = { f.x, f.o, LB_IDS, 3, "my-env", "eu-west-1" };
	const struct sp_ebx_resource *r = sp_ebx_resource_at(f.x, 0);
	const struct sp_node *props = sp_node_get(r->node, "Properties");
	struct { const char *key; enum sp_ebx_value_kind kind; const char *text, *attr; } want[] = {
		{ "A", SP_EBX_LITERAL, "my-env-x-8080", NULL },
		{ "B", SP_EBX_GETATT, "AWSEBLoadBalancer", "SourceSecurityGroup.GroupName" },
		{ "C", SP_EBX_LITERAL, "web", NULL },
		{ "D", SP_EBX_LITERAL, "dv", NULL },
		{ "E", SP_EBX_REF, "AWSEBSecurityGroup", NULL },
		{ "F", SP_EBX_GETATT, "AWSEBSecurityGroup", "GroupId" },
		{ "G", SP_EBX_LITERAL, "eu-west-1", NULL },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct sp_ebx_value v;
		cr_assert_eq(sp_ebx_eval(&ctx, r->doc, sp_node_get(props, want[i].key), &f.d, &v), 0,
			     "%s", want[i].key);
		cr_assert_eq(v.kind, want[i].kind, "%s", want[i].key);
		cr_assert_str_eq(v.text, want[i].text);
		if (want[i].attr)
			cr_assert_str_eq(v.attr, want[i].attr);
		sp_ebx_value_free(&v);
	}
	cr_assert_eq(f.d.n, 0);
	json_t *j = sp_ebx_to_cfn(&ctx, props);
	cr_assert_str_eq(json_string_value(json_object_get(j, "C")), "web");
	cr_assert(json_is_object(json_object_get(j, "A")), "other functions are kept");
	json_decref(j);
	fx_free(&f);
}

Test(ebext_config, unknown_reference_is_located)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(add(&f, "a.config", "Resources:\n  r:\n    Type: AWS::SNS::Topic\n"
					 "    Properties:\n      A: {Ref: AWSEBLoadBalancr}\n"), 0);
	struct sp_ebx_context ctx = { f.x, f.o, LB_IDS, 3, "my-env", NULL };
	cr_assert_eq(sp_ebx_check_refs(&ctx, &f.d), 0);
	cr_assert_eq(f.d.n, 1);
	cr_assert_str_eq(f.d.items[0].code, "EBX_REF_UNKNOWN");
	cr_assert_eq(f.d.items[0].line, 5);
	cr_assert_str_eq(f.d.items[0].path, "/Resources/r/Properties/A/Ref");
	cr_assert_not_null(strstr(f.d.items[0].hint, "AWSEBLoadBalancer"));
	fx_free(&f);
}

Test(ebext_config, backticks)
{
	struct fx f;
	fx_init(&f);
	struct sp_ebx_context ctx = { f.x, f.o, LB_IDS, 3, "my-env", "us-west-2" };
	struct sp_buf b = SP_BUF_INIT(0);
	bool unresolved;
	cr_assert_eq(sp_ebx_expand_backticks(&ctx, "s3.`{\"Ref\": \"AWS::Region\"}`.amazonaws.com",
					     &b, &unresolved), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "s3.us-west-2.amazonaws.com");
	cr_assert_not(unresolved);
	sp_buf_reset(&b);
	cr_assert_eq(sp_ebx_expand_backticks(&ctx, "x`{Ref: AWSEBSecurityGroup}`", &b, &unresolved), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "x`{Ref: AWSEBSecurityGroup}`");
	cr_assert(unresolved);
	sp_buf_reset(&b);
	cr_assert_eq(sp_ebx_expand_backticks(&ctx, "no `closing", &b, &unresolved), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "no `closing");
	json_t *j = sp_ebx_backticks_to_cfn(&ctx, "a-`{Ref: AWSEBSecurityGroup}`");
	json_t *parts = json_array_get(json_object_get(j, "Fn::Join"), 1);
	cr_assert_eq(json_array_size(parts), 2);
	cr_assert_str_eq(json_string_value(json_array_get(parts, 0)), "a-");
	json_decref(j);
	sp_buf_free(&b);
	fx_free(&f);
}

Test(ebext_config, directory_order_and_limit)
{
	char tmpl[] = "/tmp/sprout-ebx-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char *dir = sp_aprintf("%s/.ebextensions", tmpl);
	cr_assert_eq(mkdir(dir, 0755), 0);
	static const char *const names[] = { "b.config", "10.config", "a.config", "2.config" };
	for (size_t i = 0; i < 4; i++) {
		char *p = sp_aprintf("%s/%s", dir, names[i]);
		FILE *fp = fopen(p, "w");
		fprintf(fp, "option_settings:\n  aws:elasticbeanstalk:customoption:\n    Last: %s\n",
			names[i]);
		fclose(fp);
		free(p);
	}
	struct fx f;
	fx_init(&f);
	cr_assert_eq(sp_ebx_load_dir(f.x, tmpl, f.o, &f.d), 0);
	cr_assert_str_eq(sp_options_get(f.o, SP_NS_CUSTOM, "Last"), "b.config",
			 "byte order: 10, 2, a, b");
	cr_assert_str_eq(f.d.items[0].file, ".ebextensions/2.config");
	fx_free(&f);
	/* MAX_EBX_FILES + 1 files: the limit is reported */
	for (int i = 0; i <= MAX_EBX_FILES; i++) {
		char *p = sp_aprintf("%s/x%03d.config", dir, i);
		FILE *fp = fopen(p, "w");
		fputs("{}\n", fp);
		fclose(fp);
		free(p);
	}
	fx_init(&f);
	cr_assert_eq(sp_ebx_load_dir(f.x, tmpl, f.o, &f.d), SP_ETOOBIG);
	cr_assert(has_code(&f.d, "EBX_TOO_MANY_FILES"));
	fx_free(&f);
	sp_rm_rf(tmpl);
	free(dir);
}

/* Every code is in docs/diagnostics.md and in the expected output of some data case. */
static bool grep_file(const char *path, const char *needle)
{
	struct sp_buf b = SP_BUF_INIT(1 << 22);
	bool found = sp_read_file(path, b.max, &b) == 0 && strstr(sp_buf_cstr(&b), needle);
	sp_buf_free(&b);
	return found;
}

static bool in_some_case(const char *area, const char *needle)
{
	char *top = sp_aprintf("tests/data/%s", area);
	DIR *dh = opendir(top);
	bool found = false;
	struct dirent *e;
	while (dh && !found && (e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p1 = sp_aprintf("%s/%s/expected.err", top, e->d_name);
		char *p2 = sp_aprintf("%s/%s/expected.out", top, e->d_name);
		found = grep_file(p1, needle) || grep_file(p2, needle);
		free(p1);
		free(p2);
	}
	if (dh)
		closedir(dh);
	free(top);
	return found;
}

Test(ebext_codes, every_code_is_documented_and_has_a_case)
{
	const struct { const struct sp_code_doc *t; size_t n; const char *area; } tables[] = {
		{ sp_ebx_codes, sp_ebx_codes_count, "ebextensions" },
		{ sp_plan_codes, sp_plan_codes_count, "plan" },
	};
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < tables[k].n; i++) {
			const char *code = tables[k].t[i].code;
			char needle[128];
			snprintf(needle, sizeof(needle), "| `%s` |", code);
			cr_expect(grep_file("docs/diagnostics.md", needle), "%s not in docs/diagnostics.md", code);
			snprintf(needle, sizeof(needle), "[%s]", code);
			cr_expect(in_some_case(tables[k].area, needle), "%s has no data case", code);
		}
	}
}
