/* doc_yaml.c — YAML into the located tree, through libyaml's event API.
 *
 * libyaml gives events with marks but no tree, so this file builds one: scalars are
 * resolved the way PyYAML (Elastic Beanstalk's loader) resolves YAML 1.1 plain scalars,
 * anchors are remembered and aliases expanded into counted copies, merge keys (<<) are
 * applied when their mapping ends. Only the first document is read. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "engine/base/buf.h"
#include "engine/base/doc.h"
#include "engine/base/doc_internal.h"
#include "engine/base/banned.h"

#define YAML_SYNTAX "DOC_YAML_SYNTAX"
#define YAML_CORE "tag:yaml.org,2002:"

struct anchor {
	char *name;
	struct sp_node *node; /* borrowed: in the tree, an open frame or the builder's grave */
	bool complete;        /* aliases may not point into their own anchor */
};

struct yb {
	struct doc_builder *b;
	const char *s;
	size_t n;
	struct anchor **anchors; /* every definition, in order; redefinitions shadow */
	size_t nanchors, canchors;
	struct doc_table by_name;  /* name -> struct anchor * (the latest definition) */
	struct doc_table anchored; /* node pointer bytes -> struct anchor * */
};

static int mark_line(yaml_mark_t m)
{
	return m.line < (size_t)INT32_MAX ? (int)m.line + 1 : INT32_MAX;
}

static int mark_column(yaml_mark_t m)
{
	return m.column < (size_t)INT32_MAX ? (int)m.column + 1 : INT32_MAX;
}

/* ---- scalar resolution (PyYAML's YAML 1.1 implicit resolvers) -------------------- */

static bool text_is(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && memcmp(s, *words, n) == 0)
			return true;
	return false;
}

static const char *const null_words[] = { "~", "null", "Null", "NULL", NULL };
static const char *const true_words[] = { "yes", "Yes", "YES", "true", "True",
					  "TRUE", "on",	 "On",	"ON",	NULL };
static const char *const false_words[] = { "no",    "No",    "NO",  "false", "False",
					   "FALSE", "off",   "Off", "OFF",	 NULL };

static bool in_class(char c, const char *cls)
{
	return c && strchr(cls, c) != NULL;
}

/* s[i..] matches cls+ to the end: true when at least one char and all in cls */
static bool all_in(const char *s, size_t i, size_t n, const char *cls)
{
	if (i >= n)
		return false;
	for (; i < n; i++)
		if (!in_class(s[i], cls))
			return false;
	return true;
}

#define DIGITS "0123456789"

/* (:[0-5]?[0-9])+ from i to the end */
static bool sexagesimal_tail(const char *s, size_t i, size_t n)
{
	if (i >= n)
		return false;
	while (i < n) {
		if (s[i] != ':')
			return false;
		i++;
		size_t k = i;
		while (k < n && in_class(s[k], DIGITS))
			k++;
		if (k - i == 1) {
		} else if (k - i == 2 && s[i] <= '5') {
		} else {
			return false;
		}
		i = k;
	}
	return true;
}

/* Value of digits (with '_') in base; false on overflow (then *dv holds a double). */
static bool digits_value(const char *s, size_t i, size_t n, unsigned base, uint64_t *v,
			 double *dv, size_t *ndigits)
{
	uint64_t acc = 0;
	double dacc = 0;
	bool ok = true;
	size_t count = 0;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '_')
			continue;
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
						    : (unsigned)(c - 'A' + 10);
		count++;
		dacc = dacc * base + d;
		if (acc > (UINT64_MAX - d) / base)
			ok = false;
		else
			acc = acc * base + d;
	}
	*v = acc;
	*dv = dacc;
	*ndigits = count;
	return ok;
}

/* PyYAML's int: [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) |
 * [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+ ; plus 0o[0-7_]+ (YAML 1.2). */
static bool resolve_int(struct sp_node *node)
{
	const char *s = node->text;
	size_t n = node->text_len, i = 0;
	bool neg = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i >= n)
		return false;
	unsigned base = 10;
	size_t from = i;
	bool sexa = false;
	if (n - i >= 2 && s[i] == '0' && s[i + 1] == 'b') {
		base = 2, from = i + 2;
		if (!all_in(s, from, n, "01_"))
			return false;
	} else if (n - i >= 2 && s[i] == '0' && s[i + 1] == 'x') {
		base = 16, from = i + 2;
		if (!all_in(s, from, n, DIGITS "abcdefABCDEF_"))
			return false;
	} else if (n - i >= 2 && s[i] == '0' && s[i + 1] == 'o') {
		base = 8, from = i + 2;
		if (!all_in(s, from, n, "01234567_"))
			return false;
	} else if (s[i] == '0') {
		if (n - i > 1 && !all_in(s, i + 1, n, "01234567_"))
			return false;
		base = 8;
	} else if (s[i] >= '1' && s[i] <= '9') {
		size_t k = i + 1;
		while (k < n && in_class(s[k], DIGITS "_"))
			k++;
		if (k < n) {
			if (!sexagesimal_tail(s, k, n))
				return false;
			sexa = true;
		}
	} else {
		return false;
	}
	uint64_t v = 0;
	double dv = 0;
	bool fits = true;
	if (sexa) {
		/* base 60: each ':'-separated part is a digit */
		size_t k = from;
		while (k < n) {
			size_t e = k;
			while (e < n && s[e] != ':')
				e++;
			uint64_t pv;
			double pd;
			size_t nd;
			bool ok = digits_value(s, k, e, 10, &pv, &pd, &nd);
			dv = dv * 60 + pd;
			if (!ok || v > (UINT64_MAX - pv) / 60)
				fits = false;
			else
				v = v * 60 + pv;
			k = e + 1;
		}
	} else {
		size_t nd;
		fits = digits_value(s, from, n, base, &v, &dv, &nd);
		if (!nd)
			return false; /* "0b_": PyYAML cannot construct it either */
	}
	uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (fits && v <= lim) {
		node->type = SP_NODE_INT;
		node->integer = neg ? (int64_t)(0 - v) : (int64_t)v;
		node->real = (double)node->integer;
	} else { /* beyond 64 bits: kept as a number, approximately */
		node->type = SP_NODE_REAL;
		node->real = neg ? -dv : dv;
		doc_set_integral(node);
	}
	return true;
}

/* [eE][-+][0-9]+ from i to the end, or nothing */
static bool exponent_tail(const char *s, size_t i, size_t n)
{
	if (i == n)
		return true;
	if (s[i] != 'e' && s[i] != 'E')
		return false;
	i++;
	if (i >= n || (s[i] != '-' && s[i] != '+'))
		return false;
	return all_in(s, i + 1, n, DIGITS);
}

static bool float_syntax(const char *s, size_t n, bool *sexa)
{
	size_t i = 0;
	*sexa = false;
	if (n == 4 && s[0] == '.' &&
	    (memcmp(s, ".nan", 4) == 0 || memcmp(s, ".NaN", 4) == 0 || memcmp(s, ".NAN", 4) == 0))
		return true;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (n - i == 4 && s[i] == '.' &&
	    (memcmp(s + i, ".inf", 4) == 0 || memcmp(s + i, ".Inf", 4) == 0 ||
	     memcmp(s + i, ".INF", 4) == 0))
		return true;
	if (i < n && s[i] == '.') { /* \.[0-9][0-9_]*(exp)?, without a sign */
		if (i != 0 || n < 2 || !in_class(s[1], DIGITS))
			return false;
		size_t k = 2;
		while (k < n && in_class(s[k], DIGITS "_"))
			k++;
		return exponent_tail(s, k, n);
	}
	if (i >= n || !in_class(s[i], DIGITS))
		return false;
	size_t k = i + 1;
	while (k < n && in_class(s[k], DIGITS "_"))
		k++;
	if (k < n && s[k] == ':') { /* [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* */
		size_t dot = k;
		while (dot < n && s[dot] != '.')
			dot++;
		if (dot == n || !sexagesimal_tail(s, k, dot))
			return false;
		for (size_t j = dot + 1; j < n; j++)
			if (!in_class(s[j], DIGITS "_"))
				return false;
		*sexa = true;
		return true;
	}
	if (k >= n || s[k] != '.')
		return false;
	k++;
	while (k < n && in_class(s[k], DIGITS "_"))
		k++;
	return exponent_tail(s, k, n);
}

static int resolve_float(struct doc_builder *b, struct sp_node *node, bool *matched)
{
	const char *s = node->text;
	size_t n = node->text_len;
	bool sexa;
	*matched = false;
	if (!float_syntax(s, n, &sexa))
		return 0;
	*matched = true;
	double v = 0;
	bool neg = n && s[0] == '-';
	size_t i = n && (s[0] == '-' || s[0] == '+');
	if (s[i] == '.' && (s[i + 1] == 'i' || s[i + 1] == 'I')) {
		v = INFINITY;
	} else if (s[i] == '.' && (s[i + 1] == 'n' || s[i + 1] == 'N')) {
		v = NAN;
	} else {
		/* copy without '_' and without the sign */
		char *t = malloc(n + 1);
		size_t m = 0;
		if (!t)
			return doc_fail(b, SP_ENOMEM);
		for (size_t k = i; k < n; k++)
			if (s[k] != '_')
				t[m++] = s[k];
		t[m] = '\0';
		int rc = 0;
		if (sexa) {
			size_t k = 0;
			while (k < m && !rc) {
				size_t e = k;
				while (e < m && t[e] != ':')
					e++;
				double part = 0;
				if (e > k)
					rc = doc_strtod(b, t + k, e - k, &part);
				v = v * 60 + part;
				k = e + 1;
			}
		} else {
			rc = doc_strtod(b, t, m, &v);
		}
		free(t);
		if (rc == SP_ETOOBIG)
			v = INFINITY; /* as Python's float() does */
		else if (rc)
			return doc_fail(b, rc == SP_ENOMEM ? SP_ENOMEM : SP_ERROR);
	}
	node->type = SP_NODE_REAL;
	node->real = neg ? -v : v;
	doc_set_integral(node);
	return 0;
}

static bool resolve_bool(struct sp_node *node)
{
	if (text_is(node->text, node->text_len, true_words))
		node->boolean = true;
	else if (!text_is(node->text, node->text_len, false_words))
		return false;
	node->type = SP_NODE_BOOL;
	return true;
}

/* A plain scalar without a tag: null, bool, int, float or string, as PyYAML decides. */
static int resolve_plain(struct doc_builder *b, struct sp_node *node)
{
	bool matched;
	if (node->text_len == 0 || text_is(node->text, node->text_len, null_words)) {
		node->type = SP_NODE_NULL;
		return 0;
	}
	if (resolve_bool(node))
		return 0;
	int rc = resolve_float(b, node, &matched);
	if (rc || matched)
		return rc;
	if (resolve_int(node))
		return 0;
	node->type = SP_NODE_STRING;
	return 0;
}

/* A scalar with a core tag (!!int ...): the tag decides the type. */
static int resolve_tagged(struct doc_builder *b, struct sp_node *node, const char *tag)
{
	const char *t = tag + strlen(YAML_CORE);
	bool ok = true, matched = false;
	int rc = 0;
	if (strcmp(t, "null") == 0) {
		node->type = SP_NODE_NULL;
	} else if (strcmp(t, "bool") == 0) {
		ok = resolve_bool(node);
	} else if (strcmp(t, "int") == 0) {
		ok = resolve_int(node);
	} else if (strcmp(t, "float") == 0) {
		rc = resolve_float(b, node, &matched);
		if (!rc && !matched && resolve_int(node)) {
			node->type = SP_NODE_REAL;
			matched = true;
		}
		ok = matched;
	} else {
		node->type = SP_NODE_STRING; /* !!str, !!binary, !!timestamp, ... */
	}
	if (rc)
		return rc;
	if (!ok) {
		struct sp_buf q = SP_BUF_INIT(0);
		doc_quote(&q, node->text, node->text_len, 60);
		rc = doc_error(b, "DOC_YAML_TAG", node->line, node->column,
			       "remove the tag or write a value of that type",
			       "%s is not a valid !!%s", sp_buf_cstr(&q), t);
		sp_buf_free(&q);
	}
	return rc;
}

/* "tag:yaml.org,2002:str" is shown as written: "!!str". */
static int set_tag(struct doc_builder *b, struct sp_node *node, const char *tag)
{
	struct sp_buf t = SP_BUF_INIT(0);
	int rc = strncmp(tag, YAML_CORE, strlen(YAML_CORE)) == 0
			 ? sp_buf_printf(&t, "!!%s", tag + strlen(YAML_CORE))
			 : sp_buf_puts(&t, tag);
	if (!rc)
		rc = sp_buf_detach(&t, &node->tag, NULL);
	sp_buf_free(&t);
	return rc ? doc_fail(b, SP_ENOMEM) : 0;
}

/* ---- anchors, aliases, merge keys ----------------------------------------------- */

static int anchor_define(struct yb *y, const char *name, struct sp_node *node, bool complete,
			 size_t *index)
{
	struct anchor *a = calloc(1, sizeof(*a));
	int rc = SP_ENOMEM;
	if (!a || !(a->name = sp_strdup(name)))
		goto fail;
	a->node = node;
	a->complete = complete;
	if (y->nanchors == y->canchors) {
		size_t cap = y->canchors ? y->canchors * 2 : 16;
		struct anchor **v = realloc(y->anchors, cap * sizeof(*v));
		if (!v)
			goto fail;
		y->anchors = v;
		y->canchors = cap;
	}
	y->anchors[y->nanchors++] = a;
	if (doc_table_put(&y->by_name, a->name, strlen(a->name), a) ||
	    doc_table_put(&y->anchored, (const char *)&a->node, sizeof(a->node), a))
		return doc_fail(y->b, SP_ENOMEM);
	if (index)
		*index = y->nanchors;
	return 0;
fail:
	if (a)
		free(a->name);
	free(a);
	return doc_fail(y->b, rc);
}

static bool is_anchored(const struct yb *y, const struct sp_node *n)
{
	return doc_table_get(&y->anchored, (const char *)&n, sizeof(n)) != NULL;
}

static int on_alias(struct yb *y, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int line = mark_line(ev->start_mark), column = mark_column(ev->start_mark);
	struct anchor *a = doc_table_get(&y->by_name, name, strlen(name));
	if (!a)
		return doc_error(y->b, YAML_SYNTAX, line, column,
				 "define the anchor (&name) before the alias (*name) that uses it",
				 "alias *%.64s names no anchor", name);
	if (!a->complete)
		return doc_error(y->b, YAML_SYNTAX, line, column,
				 "an alias cannot repeat a node from inside that node",
				 "alias *%.64s refers to a node that contains it", name);
	struct sp_node *copy;
	int rc = doc_copy(y->b, a->node, line, column, y->b->depth + 1, true, &copy);
	return rc ? rc : doc_add(y->b, copy);
}

static bool is_merge_key(const struct sp_node *k)
{
	return k->type == SP_NODE_STRING && !k->quoted && !k->tag && k->text_len == 2 &&
	       memcmp(k->text, "<<", 2) == 0;
}

/* Adds src's pairs whose keys are not in `seen` to dst, moving them out of src or, when
 * src may still be aliased, copying them. */
static int merge_from(struct yb *y, struct sp_node *dst, struct sp_node *src, bool shared,
		      struct doc_table *seen, size_t depth)
{
	for (size_t j = 0; j < src->n; j++) {
		struct sp_node *k = src->keys[j], *v = src->items[j];
		if (!k || !v || doc_table_get(seen, k->text, k->text_len))
			continue;
		if (shared) {
			struct sp_node *ck = NULL, *cv = NULL;
			int rc = doc_copy(y->b, k, k->line, k->column, depth + 1, false, &ck);
			if (!rc)
				rc = doc_copy(y->b, v, v->line, v->column, depth + 1, false, &cv);
			if (!rc && doc_append(dst, ck, cv) != 0)
				rc = doc_fail(y->b, SP_ENOMEM);
			if (rc) {
				doc_node_free(ck);
				doc_node_free(cv);
				return rc;
			}
			k = ck;
		} else {
			if (doc_append(dst, k, v) != 0)
				return doc_fail(y->b, SP_ENOMEM);
			src->keys[j] = src->items[j] = NULL;
		}
		if (doc_table_put(seen, k->text, k->text_len, k))
			return doc_fail(y->b, SP_ENOMEM);
	}
	return 0;
}

/* Applies the merge keys (<<) of mapping m, as PyYAML does: the mapping's own keys win,
 * then the merged mappings in order (the first one listed wins). */
static int apply_merge_keys(struct yb *y, struct sp_node *m)
{
	size_t merges = 0;
	for (size_t i = 0; i < m->n; i++)
		merges += is_merge_key(m->keys[i]);
	if (!merges)
		return 0;
	struct doc_table seen = { 0 };
	struct sp_node tmp = { .type = SP_NODE_MAP };
	size_t depth = y->b->depth; /* m is the innermost open frame */
	size_t merged = 0;
	int rc = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct sp_node *k = m->keys[i], *v = m->items[i];
		if (is_merge_key(k)) {
			const struct sp_node *bad = v->type == SP_NODE_MAP ? NULL : v;
			if (v->type == SP_NODE_SEQ) {
				bad = NULL;
				for (size_t j = 0; !bad && j < v->n; j++)
					if (v->items[j]->type != SP_NODE_MAP)
						bad = v->items[j];
			}
			if (bad) {
				v = bad;
				rc = doc_error(y->b, "DOC_YAML_MERGE", v->line, v->column,
					       "write '<<: *name' or '<<: [*a, *b]' where the "
					       "anchors name mappings",
					       "the value of a merge key '<<' must be a mapping or "
					       "a list of mappings, not %s %s",
					       v->type == SP_NODE_INT ? "an" : "a",
					       sp_node_type_name(v->type));
				goto out;
			}
		} else if (doc_table_put(&seen, k->text, k->text_len, (void *)k)) {
			rc = doc_fail(y->b, SP_ENOMEM);
			goto out;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		struct sp_node *v = m->items[i];
		if (!is_merge_key(m->keys[i]))
			continue;
		bool shared = is_anchored(y, v);
		if (v->type == SP_NODE_MAP) {
			rc = merge_from(y, &tmp, v, shared, &seen, depth);
		} else {
			for (size_t j = 0; !rc && j < v->n; j++)
				rc = merge_from(y, &tmp, v->items[j],
						shared || is_anchored(y, v->items[j]), &seen, depth);
		}
		if (rc)
			goto out;
	}
	merged = tmp.n;
	for (size_t i = 0; i < m->n; i++) {
		if (!is_merge_key(m->keys[i]) && doc_append(&tmp, m->keys[i], m->items[i])) {
			tmp.n = merged; /* m still owns its own pairs */
			rc = SP_ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < m->n; i++)
		if (is_merge_key(m->keys[i]) &&
		    (doc_bury(y->b, m->keys[i]) || doc_bury(y->b, m->items[i])))
			rc = SP_ENOMEM; /* the node was freed instead */
	free(m->keys);
	free(m->items);
	m->keys = tmp.keys;
	m->items = tmp.items;
	m->n = tmp.n;
	tmp = (struct sp_node){ .type = SP_NODE_MAP };
	for (size_t i = 0; i < m->n; i++)
		m->keys[i]->parent = m->items[i]->parent = m;
out:
	for (size_t i = 0; i < tmp.n; i++) { /* on failure: pairs only tmp owns */
		doc_node_free(tmp.keys[i]);
		doc_node_free(tmp.items[i]);
	}
	free(tmp.keys);
	free(tmp.items);
	doc_table_free(&seen);
	return rc ? doc_fail(y->b, rc) : 0;
}

/* ---- events --------------------------------------------------------------------- */

static int on_scalar(struct yb *y, const yaml_event_t *ev)
{
	struct doc_builder *b = y->b;
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	yaml_scalar_style_t style = ev->data.scalar.style;
	struct sp_node *n = doc_node_new(b, SP_NODE_STRING, mark_line(ev->start_mark),
					 mark_column(ev->start_mark));
	if (!n)
		return b->rc;
	int rc = doc_node_set_text(b, n, (const char *)ev->data.scalar.value,
				   ev->data.scalar.length);
	if (rc)
		goto fail;
	n->quoted = style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		    style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (tag) {
		rc = set_tag(b, n, tag);
		if (!rc && strncmp(tag, YAML_CORE, strlen(YAML_CORE)) == 0)
			rc = resolve_tagged(b, n, tag);
		/* other tags ("!Ref", "!") leave a string */
	} else if (style == YAML_PLAIN_SCALAR_STYLE) {
		rc = resolve_plain(b, n);
	}
	if (rc)
		goto fail;
	if (anchor && (rc = anchor_define(y, anchor, n, true, NULL)) != 0)
		goto fail;
	return doc_add(b, n);
fail:
	doc_node_free(n);
	return rc;
}

static int on_start(struct yb *y, const yaml_event_t *ev, enum sp_node_type t)
{
	struct doc_builder *b = y->b;
	const char *tag, *anchor;
	if (t == SP_NODE_MAP) {
		tag = (const char *)ev->data.mapping_start.tag;
		anchor = (const char *)ev->data.mapping_start.anchor;
	} else {
		tag = (const char *)ev->data.sequence_start.tag;
		anchor = (const char *)ev->data.sequence_start.anchor;
	}
	struct sp_node *n =
		doc_node_new(b, t, mark_line(ev->start_mark), mark_column(ev->start_mark));
	if (!n)
		return b->rc;
	int rc = tag && strcmp(tag, "!") != 0 ? set_tag(b, n, tag) : 0;
	if (rc) {
		doc_node_free(n);
		return rc;
	}
	rc = doc_open(b, n);
	if (!rc && anchor)
		rc = anchor_define(y, anchor, n, false, &b->frames[b->depth - 1].anchor);
	return rc;
}

static int on_end(struct yb *y)
{
	struct doc_frame *f = &y->b->frames[y->b->depth - 1];
	int rc = 0;
	if (f->node->type == SP_NODE_MAP)
		rc = apply_merge_keys(y, f->node);
	if (!rc && f->anchor)
		y->anchors[f->anchor - 1]->complete = true;
	return rc ? rc : doc_close(y->b);
}

static const char *hint_for_problem(const char *problem)
{
	static const struct {
		const char *problem, *hint;
	} hints[] = {
		{ "found character that cannot start any token",
		  "YAML indents with spaces, never tabs; a value starting with '@', '`' or '%' "
		  "must be quoted" },
		{ "mapping values are not allowed in this context",
		  "a ': ' inside a plain value starts a mapping; quote the value, or fix the "
		  "indentation of this line" },
		{ "could not find expected ':'",
		  "a key needs a ':' after it; check this line and the indentation of the one "
		  "before" },
		{ "did not find expected key",
		  "keys of one mapping must start in the same column; check the indentation" },
		{ "did not find expected '-' indicator",
		  "items of one list must start in the same column; check the indentation" },
		{ "found unexpected end of stream",
		  "a quoted string or a [list] or {mapping} is not closed" },
		{ "found undefined tag handle",
		  "declare the handle with %TAG, or write the tag with one '!' (as in !Ref)" },
		{ "block sequence entries are not allowed in this context",
		  "a '- ' item cannot follow a value on the same line; put it on its own line" },
	};
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strcmp(problem, hints[i].problem) == 0)
			return hints[i].hint;
	return "check the YAML syntax (indentation, quotes, ':' and '- ') at this position";
}

static int parser_error(struct yb *y, const yaml_parser_t *p)
{
	struct doc_builder *b = y->b;
	const char *problem = p->problem ? p->problem : "invalid YAML";
	if (p->error == YAML_MEMORY_ERROR)
		return doc_fail(b, SP_ENOMEM);
	if (p->error == YAML_READER_ERROR) {
		int line, column;
		doc_position(y->s, y->n, p->problem_offset, &line, &column);
		if (p->problem_value >= 0 && strcmp(problem, "control characters are not allowed") == 0)
			return doc_error(b, YAML_SYNTAX, line, column,
					 "remove it, or write it as an escape (\\x01) inside a "
					 "double-quoted string",
					 "control character U+%04X is not allowed in YAML",
					 (unsigned)p->problem_value);
		return doc_error(b, YAML_SYNTAX, line, column, "save the file as UTF-8 text",
				 "%s", problem);
	}
	int line = mark_line(p->problem_mark), column = mark_column(p->problem_mark);
	if (p->context)
		return doc_error(b, YAML_SYNTAX, line, column, hint_for_problem(problem),
				 "%s %s that starts at line %d, column %d", problem, p->context,
				 mark_line(p->context_mark), mark_column(p->context_mark));
	return doc_error(b, YAML_SYNTAX, line, column, hint_for_problem(problem), "%s", problem);
}

int doc_parse_yaml(struct doc_builder *b, const char *s, size_t n)
{
	struct yb y = { .b = b, .s = s, .n = n };
	yaml_parser_t p;
	yaml_event_t ev;
	size_t documents = 0;
	bool done = false;
	int rc = 0;
	if (!yaml_parser_initialize(&p))
		return doc_fail(b, SP_ENOMEM);
	yaml_parser_set_input_string(&p, (const unsigned char *)s, n);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!rc && !done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parser_error(&y, &p);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (documents++) {
				doc_warning(b, "DOC_MULTIPLE_DOCUMENTS", mark_line(ev.start_mark),
					    mark_column(ev.start_mark),
					    "put each document in its own file",
					    "only the first YAML document is used; this one and "
					    "the ones after it are ignored");
				done = true;
			}
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(&y, &ev);
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(&y, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_start(&y, &ev, SP_NODE_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_start(&y, &ev, SP_NODE_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_end(&y);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	for (size_t i = 0; i < y.nanchors; i++) {
		free(y.anchors[i]->name);
		free(y.anchors[i]);
	}
	free(y.anchors);
	doc_table_free(&y.by_name);
	doc_table_free(&y.anchored);
	return rc;
}
