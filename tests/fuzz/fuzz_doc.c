/* fuzz_doc.c — the document loader (doc.h) on arbitrary bytes, as AUTO, JSON and YAML.
 *
 * Beyond "no crash, no leak": every tree must be well linked (parents, indexes, scalar
 * keys, text on every scalar), convertible to jansson, and the JSON parser must agree
 * with jansson: what it refuses as DOC_JSON_SYNTAX, jansson refuses too (the other way
 * round is checked by the loader itself). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/base/doc.h"
#include "engine/base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void walk(const struct sp_node *n, struct sp_buf *path, size_t depth)
{
	check(depth <= SP_DOC_MAX_DEPTH + 1);
	check(n->line >= 1 && n->column >= 1);
	if (sp_node_is_scalar(n)) {
		check(n->text != NULL && n->n == 0);
		if (n->parent && n->index == 0)
			check(sp_node_path(n, path) == 0);
		return;
	}
	check(n->text == NULL);
	for (size_t i = 0; i < n->n; i++) {
		const struct sp_node *c = n->items[i];
		check(c && c->parent == n && c->index == i);
		if (n->type == SP_NODE_MAP) {
			const struct sp_node *k = n->keys[i];
			check(k && k->parent == n && k->index == i && sp_node_is_scalar(k));
			check(sp_node_get(n, k->text) != NULL || memchr(k->text, 0, k->text_len));
		}
		walk(c, path, depth + 1);
	}
}

static bool only_json_syntax_errors(const struct sp_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity == SP_SEV_ERROR &&
		    strcmp(d->items[i].code, "DOC_JSON_SYNTAX") != 0)
			return false;
	return sp_diags_errors(d) > 0;
}

static void load(const uint8_t *data, size_t size, enum sp_doc_format fmt)
{
	struct sp_diags d;
	struct sp_doc *doc = NULL;
	sp_diags_init(&d);
	int rc = sp_doc_load((const char *)data, size, "fuzz", fmt, NULL, &d, &doc);
	if (rc == 0) {
		const struct sp_node *root = sp_doc_root(doc);
		struct sp_buf path = SP_BUF_INIT(0);
		check(root && !root->parent);
		walk(root, &path, 0);
		sp_buf_free(&path);
		json_t *j = sp_node_to_json(root);
		check(j != NULL);
		json_decref(j);
		check(sp_diags_errors(&d) == 0);
	} else {
		check(doc == NULL && (rc == SP_ENOMEM || sp_diags_errors(&d) > 0));
		/* jansson takes a NUL byte outside strings for the end of the input ("8\0"
		 * loads), so inputs with NUL bytes are not compared */
		if (fmt == SP_DOC_JSON && only_json_syntax_errors(&d) && !memchr(data, 0, size)) {
			size_t skip = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
			json_error_t err;
			json_t *j = json_loadb((const char *)data + skip, size - skip,
					       JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
			check(j == NULL); /* jansson must refuse what the parser refused */
		}
	}
	for (size_t i = 0; i < d.n; i++)
		check(d.items[i].message && d.items[i].path && d.items[i].code);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	load(data, size, SP_DOC_AUTO);
	load(data, size, SP_DOC_JSON);
	load(data, size, SP_DOC_YAML);
	return 0;
}
