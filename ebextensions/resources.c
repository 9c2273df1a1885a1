/* resources.c — CloudFormation intrinsic functions in .ebextensions: evaluation where the
 * plan needs a value, reference checks, conversion for the CloudFormation export and
 * backtick substitutions in option values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebextensions/ebx_internal.h"
#include "engine/base/banned.h"

static const char *const pseudo_params[] = {
	"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
	"AWS::Region",    "AWS::StackId",          "AWS::StackName", "AWS::URLSuffix",
};
#define N_PSEUDO (sizeof(pseudo_params) / sizeof(pseudo_params[0]))

void sp_ebx_value_free(struct sp_ebx_value *v)
{
	if (!v)
		return;
	free(v->text);
	free(v->attr);
	v->text = v->attr = NULL;
	v->kind = SP_EBX_UNKNOWN;
}

static bool in_list(const char *s, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

static bool id_known(const struct sp_ebx_context *ctx, const char *id)
{
	if (in_list(id, ctx->eb_ids, ctx->n_eb_ids))
		return true;
	/* An override of an EB resource this environment does not have creates nothing. */
	if (in_list(id, sp_ebx_eb_logical_ids, sp_ebx_eb_logical_ids_count) && ctx->ebx) {
		for (size_t i = 0; i < ctx->ebx->nres; i++)
			if (strcmp(ctx->ebx->res[i].logical_id, id) == 0 && ctx->ebx->res[i].type)
				return true;
		return false;
	}
	return ebx_has_user_id(ctx->ebx, id);
}

static void report_unknown(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
			   const struct sp_node *at, const char *id, struct sp_diags *d)
{
	const char *cands[256];
	size_t n = 0;
	for (size_t i = 0; i < ctx->n_eb_ids && n < 200; i++)
		cands[n++] = ctx->eb_ids[i];
	for (size_t i = 0; ctx->ebx && i < ctx->ebx->nres && n < 256; i++)
		if (strcmp(ctx->ebx->res[i].logical_id, id) != 0)
			cands[n++] = ctx->ebx->res[i].logical_id;
	const char *near = sp_suggest(id, cands, n);
	struct sp_buf hint = SP_BUF_INIT(8192);
	if (in_list(id, sp_ebx_eb_logical_ids, sp_ebx_eb_logical_ids_count)) {
		sp_buf_printf(&hint, "%s is an Elastic Beanstalk resource this environment does not "
				     "have (a single-instance environment has no load balancer; sprout "
				     "plans a classic one); it has: ", id);
		for (size_t i = 0; i < ctx->n_eb_ids; i++)
			sp_buf_printf(&hint, "%s%s", i ? ", " : "", ctx->eb_ids[i]);
	} else if (near) {
		sp_buf_printf(&hint, "did you mean \"%s\"?", near);
	} else {
		sp_buf_puts(&hint, "this environment has: ");
		for (size_t i = 0; i < ctx->n_eb_ids; i++)
			sp_buf_printf(&hint, "%s%s", i ? ", " : "", ctx->eb_ids[i]);
		for (size_t i = 0; ctx->ebx && i < ctx->ebx->nres; i++)
			sp_buf_printf(&hint, ", %s", ctx->ebx->res[i].logical_id);
	}
	sp_diag_node(d, SP_SEV_ERROR, "EBX_REF_UNKNOWN", doc, at, sp_buf_cstr(&hint),
		     "reference to unknown logical ID \"%s\"", id);
	sp_buf_free(&hint);
}

static char *scalar_text(const struct sp_node *n)
{
	if (n->type == SP_NODE_NULL)
		return sp_strdup("");
	if (n->type == SP_NODE_BOOL)
		return sp_strdup(n->boolean ? "true" : "false");
	return sp_strdup(n->text ? n->text : "");
}

static int set_literal(struct sp_ebx_value *out, const char *s)
{
	out->kind = SP_EBX_LITERAL;
	out->text = sp_strdup(s);
	out->attr = NULL;
	return out->text ? 0 : SP_ENOMEM;
}

static int eval_depth(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		      const struct sp_node *n, struct sp_diags *d, struct sp_ebx_value *out,
		      int depth);

static int eval_ref(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		    const struct sp_node *arg, struct sp_diags *d, struct sp_ebx_value *out)
{
	if (arg->type != SP_NODE_STRING) {
		sp_diag_node(d, SP_SEV_ERROR, "EBX_FN_INVALID", doc, arg, "Ref: LogicalID",
			     "Ref takes the name of a resource or parameter");
		return SP_EINVAL;
	}
	const char *id = arg->text;
	if (strcmp(id, "AWS::Region") == 0)
		return set_literal(out, ctx->region ? ctx->region : "us-east-1");
	if (strcmp(id, "AWS::StackName") == 0 || strcmp(id, "AWSEBEnvironmentName") == 0) {
		if (ctx->env_name && strcmp(id, "AWSEBEnvironmentName") == 0)
			return set_literal(out, ctx->env_name);
		if (ctx->env_name) {
			char *s = sp_aprintf("awseb-%s-stack", ctx->env_name);
			if (!s)
				return SP_ENOMEM;
			out->kind = SP_EBX_LITERAL;
			out->text = s;
			out->attr = NULL;
			return 0;
		}
	}
	if (in_list(id, pseudo_params, N_PSEUDO)) {
		out->kind = SP_EBX_UNKNOWN;
		out->text = out->attr = NULL;
		return 0;
	}
	if (!id_known(ctx, id)) {
		report_unknown(ctx, doc, arg, id, d);
		return SP_EINVAL;
	}
	/* A parameter with a default evaluates to it. */
	for (size_t i = 0; ctx->ebx && i < ctx->ebx->nsecs; i++) {
		const struct sp_ebx_section *s = &ctx->ebx->secs[i];
		const struct sp_node *p = strcmp(s->name, "Parameters") == 0 ? sp_node_get(s->node, id)
									     : NULL;
		const struct sp_node *def = p ? sp_node_get(p, "Default") : NULL;
		if (def && sp_node_is_scalar(def)) {
			out->kind = SP_EBX_LITERAL;
			out->attr = NULL;
			return (out->text = scalar_text(def)) ? 0 : SP_ENOMEM;
		}
	}
	out->kind = SP_EBX_REF;
	out->attr = NULL;
	return (out->text = sp_strdup(id)) ? 0 : SP_ENOMEM;
}

static int eval_getatt(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		       const struct sp_node *arg, struct sp_diags *d, struct sp_ebx_value *out)
{
	char *id = NULL, *attr = NULL;
	const struct sp_node *at = arg;
	if (arg->type == SP_NODE_SEQ && arg->n == 2 && arg->items[0]->type == SP_NODE_STRING &&
	    sp_node_is_scalar(arg->items[1]) && arg->items[1]->text) {
		id = sp_strdup(arg->items[0]->text);
		attr = sp_strdup(arg->items[1]->text);
		at = arg->items[0];
	} else if (arg->type == SP_NODE_STRING && strchr(arg->text, '.')) {
		const char *dot = strchr(arg->text, '.');
		id = sp_strndup(arg->text, (size_t)(dot - arg->text));
		attr = sp_strdup(dot + 1);
	} else {
		sp_diag_node(d, SP_SEV_ERROR, "EBX_FN_INVALID", doc, arg,
			     "Fn::GetAtt: [LogicalID, Attribute]",
			     "Fn::GetAtt takes a logical ID and an attribute");
		return SP_EINVAL;
	}
	if (!id || !attr) {
		free(id);
		free(attr);
		return SP_ENOMEM;
	}
	if (!id_known(ctx, id)) {
		report_unknown(ctx, doc, at, id, d);
		free(id);
		free(attr);
		return SP_EINVAL;
	}
	out->kind = SP_EBX_GETATT;
	out->text = id;
	out->attr = attr;
	return 0;
}

static int eval_join(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		     const struct sp_node *arg, struct sp_diags *d, struct sp_ebx_value *out,
		     int depth)
{
	if (arg->type != SP_NODE_SEQ || arg->n != 2 || !sp_node_is_scalar(arg->items[0]) ||
	    arg->items[1]->type != SP_NODE_SEQ) {
		sp_diag_node(d, SP_SEV_ERROR, "EBX_FN_INVALID", doc, arg,
			     "Fn::Join: [\"delimiter\", [value, ...]]",
			     "Fn::Join takes a delimiter and a list");
		return SP_EINVAL;
	}
	const char *sep = arg->items[0]->text ? arg->items[0]->text : "";
	const struct sp_node *list = arg->items[1];
	struct sp_buf b = SP_BUF_INIT(0);
	bool literal = true;
	int rc = 0;
	for (size_t i = 0; i < list->n; i++) {
		struct sp_ebx_value v = { 0 };
		int r = eval_depth(ctx, doc, list->items[i], d, &v, depth + 1);
		if (r == SP_ENOMEM) {
			rc = r;
			break;
		}
		if (r != 0)
			rc = r;
		if (v.kind != SP_EBX_LITERAL)
			literal = false;
		else if ((i && sp_buf_puts(&b, sep) != 0) || sp_buf_puts(&b, v.text) != 0)
			rc = SP_ENOMEM;
		sp_ebx_value_free(&v);
	}
	if (rc == 0 && literal) {
		out->kind = SP_EBX_LITERAL;
		out->attr = NULL;
		out->text = sp_strdup(sp_buf_cstr(&b));
		if (!out->text)
			rc = SP_ENOMEM;
	} else if (rc == 0) {
		out->kind = SP_EBX_UNKNOWN;
		out->text = out->attr = NULL;
	}
	sp_buf_free(&b);
	return rc;
}

static int eval_option(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		       const struct sp_node *arg, struct sp_diags *d, struct sp_ebx_value *out)
{
	const struct sp_node *ns = arg->type == SP_NODE_MAP ? sp_node_get(arg, "Namespace") : NULL;
	const struct sp_node *on = arg->type == SP_NODE_MAP ? sp_node_get(arg, "OptionName") : NULL;
	const struct sp_node *dv = arg->type == SP_NODE_MAP ? sp_node_get(arg, "DefaultValue") : NULL;
	if (!on || !sp_node_is_scalar(on) || !on->text || (ns && !sp_node_is_scalar(ns)) ||
	    (dv && !sp_node_is_scalar(dv))) {
		if (doc)
			sp_diag_node(d, SP_SEV_ERROR, "EBX_FN_INVALID", doc, arg,
			     "Fn::GetOptionSetting: {Namespace: NS, OptionName: NAME, "
			     "DefaultValue: V}",
			     "Fn::GetOptionSetting needs OptionName (Namespace defaults to "
			     "aws:elasticbeanstalk:customoption)");
		return SP_EINVAL;
	}
	const char *nsname = ns && ns->text ? ns->text : SP_NS_CUSTOM;
	const char *v = ctx->opts ? sp_options_get(ctx->opts, nsname, on->text) : NULL;
	if (v)
		return set_literal(out, v);
	if (dv) {
		out->kind = SP_EBX_LITERAL;
		out->attr = NULL;
		return (out->text = scalar_text(dv)) ? 0 : SP_ENOMEM;
	}
	return set_literal(out, "");
}

/* Walks a subtree that is not evaluated for reference checks only. */
static int walk_refs(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		     const struct sp_node *n, struct sp_diags *d, int depth);

static int eval_depth(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		      const struct sp_node *n, struct sp_diags *d, struct sp_ebx_value *out,
		      int depth)
{
	out->kind = SP_EBX_UNKNOWN;
	out->text = out->attr = NULL;
	if (depth > MAX_EBX_EVAL_DEPTH) {
		sp_diag_node(d, SP_SEV_ERROR, "EBX_FN_INVALID", doc, n, NULL,
			     "functions nested deeper than %d levels", MAX_EBX_EVAL_DEPTH);
		return SP_EINVAL;
	}
	if (sp_node_is_scalar(n)) {
		out->kind = SP_EBX_LITERAL;
		return (out->text = scalar_text(n)) ? 0 : SP_ENOMEM;
	}
	if (n->type == SP_NODE_MAP && n->n == 1 && n->keys[0]->text) {
		const char *fn = n->keys[0]->text;
		const struct sp_node *arg = n->items[0];
		if (strcmp(fn, "Ref") == 0)
			return eval_ref(ctx, doc, arg, d, out);
		if (strcmp(fn, "Fn::GetAtt") == 0)
			return eval_getatt(ctx, doc, arg, d, out);
		if (strcmp(fn, "Fn::Join") == 0)
			return eval_join(ctx, doc, arg, d, out, depth);
		if (strcmp(fn, "Fn::GetOptionSetting") == 0)
			return eval_option(ctx, doc, arg, d, out);
	}
	return walk_refs(ctx, doc, n, d, depth + 1);
}

int sp_ebx_eval(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		const struct sp_node *n, struct sp_diags *d, struct sp_ebx_value *out)
{
	struct sp_ebx_value v = { 0 };
	int rc = eval_depth(ctx, doc, n, d, &v, 0);
	if (rc != 0) {
		sp_ebx_value_free(&v);
		return rc;
	}
	*out = v;
	return 0;
}

static int walk_refs(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		     const struct sp_node *n, struct sp_diags *d, int depth)
{
	int rc = 0;
	if (depth > MAX_EBX_EVAL_DEPTH + 64)
		return 0; /* the document loader bounds depth; this is a second guard */
	if (n->type == SP_NODE_MAP && n->n == 1 && n->keys[0]->text &&
	    (strcmp(n->keys[0]->text, "Ref") == 0 || strncmp(n->keys[0]->text, "Fn::", 4) == 0)) {
		const char *fn = n->keys[0]->text;
		if (strcmp(fn, "Ref") == 0 || strcmp(fn, "Fn::GetAtt") == 0 ||
		    strcmp(fn, "Fn::Join") == 0 || strcmp(fn, "Fn::GetOptionSetting") == 0) {
			struct sp_ebx_value v = { 0 };
			rc = eval_depth(ctx, doc, n, d, &v, depth);
			sp_ebx_value_free(&v);
			return rc == SP_ENOMEM ? rc : 0;
		}
	}
	for (size_t i = 0; (n->type == SP_NODE_MAP || n->type == SP_NODE_SEQ) && i < n->n; i++) {
		int r = walk_refs(ctx, doc, n->items[i], d, depth + 1);
		if (r == SP_ENOMEM)
			return r;
	}
	return 0;
}

/* Diagnostics of a backtick fragment are re-located at the option that holds it. */
static void relocate(struct sp_diags *from, const struct sp_opt_setting *s, struct sp_diags *d)
{
	for (size_t i = 0; i < from->n; i++) {
		struct sp_diag *g = &from->items[i];
		struct sp_loc loc = { s->file, s->line, s->column, s->path };
		sp_diag_add(d, g->severity, g->code, loc, g->hint, "%s:%s: %s", s->ns, s->name,
			    g->message);
	}
}

static int load_fragment(const char *p, size_t n, struct sp_diags *d, struct sp_doc **doc)
{
	struct sp_doc_limits lim = SP_DOC_LIMITS_DEFAULT;
	lim.max_input = 64 * 1024;
	return sp_doc_load(p, n, "`...`", SP_DOC_YAML, &lim, d, doc);
}

int sp_ebx_check_refs(const struct sp_ebx_context *ctx, struct sp_diags *d)
{
	const struct sp_ebx *x = ctx->ebx;
	for (size_t i = 0; x && i < x->nres; i++) {
		const struct sp_node *r = x->res[i].node;
		for (size_t j = 0; j < r->n; j++) {
			const char *k = r->keys[j]->text ? r->keys[j]->text : "";
			if (strcmp(k, "Properties") && strcmp(k, "Metadata") && strcmp(k, "DependsOn"))
				continue;
			if (strcmp(k, "DependsOn") == 0) {
				const struct sp_node *dep = r->items[j];
				for (size_t m = 0; m < (dep->type == SP_NODE_SEQ ? dep->n : 1); m++) {
					const struct sp_node *e = dep->type == SP_NODE_SEQ ? dep->items[m] : dep;
					if (e->type == SP_NODE_STRING && !id_known(ctx, e->text))
						report_unknown(ctx, x->res[i].doc, e, e->text, d);
				}
				continue;
			}
			if (walk_refs(ctx, x->res[i].doc, r->items[j], d, 0) == SP_ENOMEM)
				return SP_ENOMEM;
		}
	}
	for (size_t i = 0; x && i < x->nsecs; i++)
		if (strcmp(x->secs[i].name, "Outputs") == 0 &&
		    walk_refs(ctx, x->secs[i].doc, x->secs[i].node, d, 0) == SP_ENOMEM)
			return SP_ENOMEM;
	for (size_t i = 0; i < sp_options_count(ctx->opts); i++) {
		const struct sp_opt_setting *s = sp_options_at(ctx->opts, i);
		const char *p = s->value;
		while ((p = strchr(p, '`')) != NULL) {
			const char *e = strchr(p + 1, '`');
			if (!e)
				break;
			struct sp_diags tmp;
			struct sp_doc *doc = NULL;
			sp_diags_init(&tmp);
			if (load_fragment(p + 1, (size_t)(e - p - 1), &tmp, &doc) == 0) {
				const struct sp_node *root = sp_doc_root(doc);
				if (root && walk_refs(ctx, doc, root, &tmp, 0) == SP_ENOMEM) {
					sp_doc_free(doc);
					sp_diags_free(&tmp);
					return SP_ENOMEM;
				}
			}
			relocate(&tmp, s, d);
			sp_doc_free(doc);
			sp_diags_free(&tmp);
			p = e + 1;
		}
	}
	return 0;
}

json_t *sp_ebx_to_cfn(const struct sp_ebx_context *ctx, const struct sp_node *n)
{
	if (n->type == SP_NODE_MAP && n->n == 1 && n->keys[0]->text &&
	    strcmp(n->keys[0]->text, "Fn::GetOptionSetting") == 0) {
		struct sp_diags tmp;
		struct sp_ebx_value v = { 0 };
		sp_diags_init(&tmp);
		json_t *j = NULL;
		if (eval_option(ctx, NULL, n->items[0], &tmp, &v) == 0 && v.kind == SP_EBX_LITERAL)
			j = json_string(v.text);
		else
			j = json_string("");
		sp_ebx_value_free(&v);
		sp_diags_free(&tmp);
		return j;
	}
	if (n->type == SP_NODE_MAP) {
		json_t *o = json_object();
		for (size_t i = 0; o && i < n->n; i++) {
			json_t *c = sp_ebx_to_cfn(ctx, n->items[i]);
			if (!c || json_object_set_new(o, n->keys[i]->text ? n->keys[i]->text : "", c)) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	if (n->type == SP_NODE_SEQ) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < n->n; i++) {
			json_t *c = sp_ebx_to_cfn(ctx, n->items[i]);
			if (!c || json_array_append_new(a, c)) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	return sp_node_to_json(n);
}

int sp_ebx_expand_backticks(const struct sp_ebx_context *ctx, const char *value,
			    struct sp_buf *out, bool *unresolved)
{
	const char *p = value;
	int rc = 0;
	*unresolved = false;
	while (rc == 0 && *p) {
		const char *s = strchr(p, '`');
		const char *e = s ? strchr(s + 1, '`') : NULL;
		if (!s || !e)
			return sp_buf_puts(out, p);
		rc = sp_buf_append(out, p, (size_t)(s - p));
		struct sp_diags tmp;
		struct sp_doc *doc = NULL;
		struct sp_ebx_value v = { 0 };
		sp_diags_init(&tmp);
		bool done = false;
		if (rc == 0 && load_fragment(s + 1, (size_t)(e - s - 1), &tmp, &doc) == 0 &&
		    sp_doc_root(doc) &&
		    sp_ebx_eval(ctx, doc, sp_doc_root(doc), &tmp, &v) == 0 &&
		    v.kind == SP_EBX_LITERAL) {
			rc = sp_buf_puts(out, v.text);
			done = true;
		}
		if (rc == 0 && !done) {
			*unresolved = true;
			rc = sp_buf_append(out, s, (size_t)(e - s + 1));
		}
		sp_ebx_value_free(&v);
		sp_doc_free(doc);
		sp_diags_free(&tmp);
		p = e + 1;
	}
	return rc;
}

json_t *sp_ebx_backticks_to_cfn(const struct sp_ebx_context *ctx, const char *value)
{
	if (!strchr(value, '`'))
		return json_string(value);
	json_t *parts = json_array();
	const char *p = value;
	while (parts && *p) {
		const char *s = strchr(p, '`');
		const char *e = s ? strchr(s + 1, '`') : NULL;
		if (!s || !e) {
			json_array_append_new(parts, json_string(p));
			break;
		}
		if (s > p)
			json_array_append_new(parts, json_stringn(p, (size_t)(s - p)));
		struct sp_diags tmp;
		struct sp_doc *doc = NULL;
		sp_diags_init(&tmp);
		json_t *j = NULL;
		if (load_fragment(s + 1, (size_t)(e - s - 1), &tmp, &doc) == 0 && sp_doc_root(doc))
			j = sp_ebx_to_cfn(ctx, sp_doc_root(doc));
		if (!j)
			j = json_stringn(s, (size_t)(e - s + 1));
		json_array_append_new(parts, j);
		sp_doc_free(doc);
		sp_diags_free(&tmp);
		p = e + 1;
	}
	if (!parts)
		return NULL;
	if (json_array_size(parts) == 1) {
		json_t *only = json_incref(json_array_get(parts, 0));
		json_decref(parts);
		return only;
	}
	return json_pack("{s:[s,o]}", "Fn::Join", "", parts);
}
