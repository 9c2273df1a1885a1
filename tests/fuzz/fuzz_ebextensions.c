/* fuzz_ebextensions.c — libFuzzer harness for ebextensions/ (config files, option schema,
 * intrinsic functions) and engine/plan: any bytes are loaded as a .ebextensions config file
 * (twice, so a later file overrides an earlier one), the references are checked, a plan is
 * built without a Dockerrun model and rendered as text, API requests and CloudFormation.
 * Nothing may crash, leak or read out of bounds. Corpus: tests/fuzz/corpus/ebextensions/. */
#include <stdint.h>
#include <stdlib.h>

#include "ebextensions/ebextensions.h"
#include "engine/plan/plan.h"
#include "engine/base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render(const struct sp_plan *p)
{
	struct sp_buf b = SP_BUF_INIT(0);
	json_t *j = NULL;
	sp_plan_render_text(p, &b);
	sp_buf_free(&b);
	if (sp_plan_to_json(p, &j) == 0)
		json_decref(j);
	j = NULL;
	if (sp_plan_to_cloudformation(p, &j) == 0) {
		char *s = json_dumps(j, JSON_COMPACT);
		free(s);
		json_decref(j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_options *o = NULL;
	struct sp_ebx *x = NULL;
	struct sp_plan *p = NULL;
	struct sp_diags d;
	sp_diags_init(&d);
	if (sp_options_new(&o) != 0 || sp_ebx_new(&x) != 0)
		goto out;
	sp_ebx_add_file(x, (const char *)data, size, ".ebextensions/01.config", o, &d);
	sp_ebx_add_file(x, (const char *)data, size, ".ebextensions/02.config", o, &d);
	sp_options_set_arg(o, SP_OPT_LEVEL_API, "aws:autoscaling:asg:MaxSize=3", "--option", &d);
	sp_options_check(o, &d);
	for (int lb = 0; lb < 2; lb++) {
		const char *const *ids;
		struct sp_ebx_context ctx = { x, o, NULL, 0, "fuzz-env", "us-east-1" };
		ctx.n_eb_ids = sp_plan_eb_ids(lb, &ids);
		ctx.eb_ids = ids;
		sp_ebx_check_refs(&ctx, &d);
		for (size_t i = 0; i < sp_options_count(o); i++) {
			struct sp_buf b = SP_BUF_INIT(0);
			bool unresolved;
			sp_ebx_expand_backticks(&ctx, sp_options_at(o, i)->value, &b, &unresolved);
			sp_buf_free(&b);
			json_decref(sp_ebx_backticks_to_cfn(&ctx, sp_options_at(o, i)->value));
		}
	}
	struct sp_plan_input in = { .env_name = "fuzz-env", .opts = o, .ebx = x };
	if (sp_plan_build(&in, &d, &p) == 0) {
		render(p);
		sp_plan_free(p);
	}
	struct sp_buf text = SP_BUF_INIT(0);
	sp_diags_render_text(&d, false, &text);
	sp_buf_free(&text);
out:
	sp_diags_free(&d);
	sp_ebx_free(x);
	sp_options_free(o);
	return 0;
}
