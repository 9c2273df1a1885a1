/* doc.c — the located document tree: the builder both parsers feed (limits, parent links,
 * duplicate keys, alias copies), sp_doc_load's checks before parsing, and the helpers of
 * doc.h. The JSON parser is in doc_json.c, the YAML one in doc_yaml.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/base/doc.h"
#include "engine/base/doc_internal.h"
#include "engine/base/banned.h"

struct sp_doc {
	char *file;
	enum sp_doc_format format;
	struct sp_node *root;
};

/* ---- diagnostics ---------------------------------------------------------------- */

int doc_fail(struct doc_builder *b, int rc)
{
	if (!b->rc)
		b->rc = rc;
	return rc;
}

/* RFC 6901: "~" becomes "~0", "/" becomes "~1". */
static int path_add_component(struct sp_buf *out, const char *s, size_t len)
{
	int rc = sp_buf_putc(out, '/');
	size_t start = 0;
	for (size_t i = 0; !rc && i < len; i++) {
		if (s[i] != '~' && s[i] != '/')
			continue;
		rc = sp_buf_append(out, s + start, i - start);
		if (!rc)
			rc = sp_buf_puts(out, s[i] == '~' ? "~0" : "~1");
		start = i + 1;
	}
	if (!rc)
		rc = sp_buf_append(out, s + start, len - start);
	return rc;
}

/* The path of the place the next node of frame nframes-1 goes to. */
static int frames_path(const struct doc_builder *b, size_t nframes, struct sp_buf *out)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < nframes; i++) {
		const struct doc_frame *f = &b->frames[i];
		if (f->node->type == SP_NODE_SEQ)
			rc = sp_buf_printf(out, "/%zu", f->node->n);
		else if (f->key)
			rc = path_add_component(out, f->key->text, f->key->text_len);
		else
			break;
	}
	return rc;
}

static int doc_vdiag(struct doc_builder *b, enum sp_severity sev, const char *code, int line,
		     int column, const struct sp_node *key, const char *hint, const char *fmt,
		     va_list ap)
{
	struct sp_buf path = SP_BUF_INIT(0);
	int rc = frames_path(b, b->depth, &path);
	if (!rc && key)
		rc = path_add_component(&path, key->text, key->text_len);
	struct sp_loc loc = { b->file, line, column, sp_buf_cstr(&path) };
	if (!rc)
		rc = sp_diag_vadd(b->d, sev, code, loc, hint, fmt, ap);
	sp_buf_free(&path);
	return rc;
}

int doc_error(struct doc_builder *b, const char *code, int line, int column, const char *hint,
	      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = doc_vdiag(b, SP_SEV_ERROR, code, line, column, NULL, hint, fmt, ap);
	va_end(ap);
	return doc_fail(b, rc == SP_ENOMEM ? SP_ENOMEM : SP_ERROR);
}

int doc_warning(struct doc_builder *b, const char *code, int line, int column,
		const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	doc_vdiag(b, SP_SEV_WARNING, code, line, column, NULL, hint, fmt, ap);
	va_end(ap);
	return 0;
}

static void doc_warning_key(struct doc_builder *b, const char *code, const struct sp_node *key,
			    const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void doc_warning_key(struct doc_builder *b, const char *code, const struct sp_node *key,
			    const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	doc_vdiag(b, SP_SEV_WARNING, code, key->line, key->column, key, hint, fmt, ap);
	va_end(ap);
}

/* ---- nodes ---------------------------------------------------------------------- */

struct sp_node *doc_node_new(struct doc_builder *b, enum sp_node_type t, int line, int column)
{
	if (b->nodes >= b->lim->max_nodes) {
		doc_error(b, "DOC_TOO_MANY_NODES", line, column,
			  "simplify or split the document; the limit protects sprout from "
			  "hostile input",
			  "the document has more than %zu nodes (values, keys and items)",
			  b->lim->max_nodes);
		return NULL;
	}
	struct sp_node *n = calloc(1, sizeof(*n));
	if (!n) {
		doc_fail(b, SP_ENOMEM);
		return NULL;
	}
	b->nodes++;
	n->type = t;
	n->line = line;
	n->column = column;
	return n;
}

int doc_node_set_text(struct doc_builder *b, struct sp_node *n, const char *s, size_t len)
{
	if (len > b->lim->max_scalar)
		return doc_error(b, "DOC_SCALAR_TOO_LONG", n->line, n->column,
				 "shorten the value or keep the data in a separate file; the "
				 "limit protects sprout from hostile input",
				 "a value of %zu bytes is longer than the limit of %zu bytes", len,
				 b->lim->max_scalar);
	char *t = malloc(len + 1);
	if (!t)
		return doc_fail(b, SP_ENOMEM);
	if (len)
		memcpy(t, s, len);
	t[len] = '\0';
	free(n->text);
	n->text = t;
	n->text_len = len;
	return 0;
}

void doc_node_free(struct sp_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			doc_node_free(n->keys[i]);
		if (n->items)
			doc_node_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->text);
	free(n->tag);
	free(n);
}

int doc_bury(struct doc_builder *b, struct sp_node *n)
{
	if (!n)
		return 0;
	if (b->ngrave == b->cgrave) {
		size_t cap = b->cgrave ? b->cgrave * 2 : 16;
		struct sp_node **g = realloc(b->grave, cap * sizeof(*g));
		if (!g) {
			doc_node_free(n);
			return doc_fail(b, SP_ENOMEM);
		}
		b->grave = g;
		b->cgrave = cap;
	}
	n->parent = NULL;
	b->grave[b->ngrave++] = n;
	return 0;
}

int doc_append(struct sp_node *c, struct sp_node *key, struct sp_node *item)
{
	/* items grow by doubling from 4: the capacity follows from n */
	size_t cap = 0;
	if (c->n) {
		cap = 4;
		while (cap < c->n)
			cap *= 2;
	}
	if (c->n == cap) {
		size_t ncap = cap ? cap * 2 : 4;
		struct sp_node **it = realloc(c->items, ncap * sizeof(*it));
		if (!it)
			return SP_ENOMEM;
		c->items = it;
		if (c->type == SP_NODE_MAP) {
			struct sp_node **k = realloc(c->keys, ncap * sizeof(*k));
			if (!k)
				return SP_ENOMEM;
			c->keys = k;
		}
	}
	if (c->type == SP_NODE_MAP) {
		c->keys[c->n] = key;
		key->parent = c;
		key->index = c->n;
	}
	c->items[c->n] = item;
	item->parent = c;
	item->index = c->n;
	c->n++;
	return 0;
}

static bool node_is_container(const struct sp_node *n)
{
	return n->type == SP_NODE_SEQ || n->type == SP_NODE_MAP;
}

static int complex_key_error(struct doc_builder *b, const struct sp_node *n)
{
	return doc_error(b, "DOC_YAML_SYNTAX", n->line, n->column,
			 "use a plain text key; like Elastic Beanstalk, sprout accepts only "
			 "scalar keys",
			 "a mapping key must be a scalar, not %s",
			 n->type == SP_NODE_SEQ ? "a list" : "a mapping");
}

int doc_open(struct doc_builder *b, struct sp_node *n)
{
	int rc = 0;
	if (b->depth >= b->max_depth) {
		rc = doc_error(b, "DOC_TOO_DEEP", n->line, n->column,
			       "flatten the document; the limit protects sprout from hostile "
			       "input",
			       "nesting is deeper than the limit of %zu levels", b->max_depth);
		goto out;
	}
	if (b->depth && b->frames[b->depth - 1].node->type == SP_NODE_MAP &&
	    !b->frames[b->depth - 1].key) {
		rc = complex_key_error(b, n);
		goto out;
	}
	if (b->depth == b->frames_cap) {
		size_t cap = b->frames_cap ? b->frames_cap * 2 : 16;
		struct doc_frame *f = realloc(b->frames, cap * sizeof(*f));
		if (!f) {
			rc = doc_fail(b, SP_ENOMEM);
			goto out;
		}
		b->frames = f;
		b->frames_cap = cap;
	}
	b->frames[b->depth++] = (struct doc_frame){ n, NULL, 0 };
	n = NULL;
out:
	doc_node_free(n);
	return rc;
}

int doc_add(struct doc_builder *b, struct sp_node *n)
{
	if (!b->depth) {
		if (b->root) { /* cannot happen: parsers stop after one root */
			doc_node_free(n);
			return doc_fail(b, SP_ERROR);
		}
		b->root = n;
		return 0;
	}
	struct doc_frame *f = &b->frames[b->depth - 1];
	if (f->node->type == SP_NODE_MAP && !f->key) {
		if (node_is_container(n)) {
			int rc = complex_key_error(b, n);
			doc_node_free(n);
			return rc;
		}
		f->key = n;
		return 0;
	}
	struct sp_node *key = f->key;
	f->key = NULL;
	if (doc_append(f->node, key, n) != 0) {
		doc_node_free(key);
		doc_node_free(n);
		return doc_fail(b, SP_ENOMEM);
	}
	return 0;
}

struct key_entry {
	const struct sp_node *key;
	size_t index;
};

static int key_entry_cmp(const void *pa, const void *pb)
{
	const struct key_entry *a = pa, *b = pb;
	if (a->key->type != b->key->type)
		return a->key->type < b->key->type ? -1 : 1;
	if (a->key->text_len != b->key->text_len)
		return a->key->text_len < b->key->text_len ? -1 : 1;
	int c = memcmp(a->key->text, b->key->text, a->key->text_len);
	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

static bool keys_equal(const struct sp_node *a, const struct sp_node *b)
{
	return a->type == b->type && a->text_len == b->text_len &&
	       memcmp(a->text, b->text, a->text_len) == 0;
}

static int bury_pair(struct doc_builder *b, struct sp_node *k, struct sp_node *v)
{
	int rk = doc_bury(b, k), rv = doc_bury(b, v);
	return rk ? rk : rv;
}

/* Duplicate keys: each repeat is a warning naming the first; the last value wins and
 * takes the place of the first, so the map holds each key once. */
static int map_drop_duplicates(struct doc_builder *b, struct sp_node *m)
{
	if (m->n < 2)
		return 0;
	int rc = 0;
	struct key_entry *e = malloc(m->n * sizeof(*e));
	unsigned char *drop = calloc(m->n, 1); /* 1: bury the pair, 2: it moved */
	if (!e || !drop) {
		rc = doc_fail(b, SP_ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < m->n; i++)
		e[i] = (struct key_entry){ m->keys[i], i };
	qsort(e, m->n, sizeof(*e), key_entry_cmp);
	bool any = false;
	for (size_t g = 0, h; g < m->n; g = h) {
		for (h = g + 1; h < m->n && keys_equal(e[g].key, e[h].key); h++)
			;
		if (h - g < 2)
			continue;
		any = true;
		const struct sp_node *first = e[g].key;
		for (size_t j = g + 1; j < h; j++) {
			struct sp_buf q = SP_BUF_INIT(0);
			char hint[160];
			snprintf(hint, sizeof(hint),
				 "the same key is first at line %d, column %d; the later value "
				 "wins, so remove one of them",
				 first->line, first->column);
			doc_quote(&q, e[j].key->text, e[j].key->text_len, 60);
			doc_warning_key(b, "DOC_DUPLICATE_KEY", e[j].key, hint,
					"duplicate key %s", sp_buf_cstr(&q));
			sp_buf_free(&q);
		}
		size_t fi = e[g].index, li = e[h - 1].index;
		for (size_t j = g + 1; j < h - 1; j++)
			drop[e[j].index] = 1;
		drop[li] = 2;
		if (bury_pair(b, m->keys[fi], m->items[fi]))
			rc = SP_ENOMEM;
		m->keys[fi] = m->keys[li];
		m->items[fi] = m->items[li];
	}
	if (!any)
		goto out;
	size_t w = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (drop[i] == 1 && bury_pair(b, m->keys[i], m->items[i]))
			rc = SP_ENOMEM;
		if (drop[i])
			continue;
		m->keys[w] = m->keys[i];
		m->items[w] = m->items[i];
		m->keys[w]->index = m->items[w]->index = w;
		m->keys[w]->parent = m->items[w]->parent = m;
		w++;
	}
	m->n = w;
out:
	free(e);
	free(drop);
	return rc ? doc_fail(b, rc) : 0;
}

int doc_close(struct doc_builder *b)
{
	struct doc_frame *f = &b->frames[b->depth - 1];
	int rc = 0;
	if (f->node->type == SP_NODE_MAP)
		rc = map_drop_duplicates(b, f->node);
	if (f->key) { /* a key without a value: parsers never leave one */
		doc_node_free(f->key);
		f->key = NULL;
	}
	struct sp_node *n = f->node;
	b->depth--;
	if (rc) {
		doc_node_free(n);
		return rc;
	}
	return doc_add(b, n);
}

static char *dup_bytes(const char *s, size_t len)
{
	char *t = malloc(len + 1);
	if (t) {
		if (len)
			memcpy(t, s, len);
		t[len] = '\0';
	}
	return t;
}

/* at_line:at_column is where a limit crossing is reported (the alias) */
static int copy_rec(struct doc_builder *b, const struct sp_node *src, int line, int column,
		    size_t depth, bool alias, int at_line, int at_column, struct sp_node **out)
{
	int rc = 0;
	struct sp_node *n = NULL;
	if (alias && b->alias_nodes >= b->lim->max_alias_nodes) {
		rc = doc_error(b, "DOC_ALIAS_BOMB", at_line, at_column,
			       "the document repeats anchored content too often (a \"billion "
			       "laughs\" pattern?); use fewer aliases or smaller anchors",
			       "aliases expand to more than the limit of %zu nodes",
			       b->lim->max_alias_nodes);
		goto out;
	}
	if (node_is_container(src) && depth > b->max_depth) {
		rc = doc_error(b, "DOC_TOO_DEEP", at_line, at_column,
			       "flatten the document or the anchored content; the limit "
			       "protects sprout from hostile input",
			       "with aliases expanded, nesting is deeper than the limit of %zu "
			       "levels",
			       b->max_depth);
		goto out;
	}
	if (b->nodes >= b->lim->max_nodes) {
		doc_node_new(b, src->type, at_line, at_column); /* reports the limit */
		rc = b->rc;
		goto out;
	}
	n = doc_node_new(b, src->type, line, column);
	if (!n) {
		rc = b->rc;
		goto out;
	}
	if (alias)
		b->alias_nodes++;
	n->quoted = src->quoted;
	n->boolean = src->boolean;
	n->integer = src->integer;
	n->real = src->real;
	if (src->text) {
		if (!(n->text = dup_bytes(src->text, src->text_len))) {
			rc = doc_fail(b, SP_ENOMEM);
			goto out;
		}
		n->text_len = src->text_len;
	}
	if (src->tag && !(n->tag = dup_bytes(src->tag, strlen(src->tag)))) {
		rc = doc_fail(b, SP_ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < src->n; i++) {
		struct sp_node *k = NULL, *v = NULL;
		if (!src->items[i])
			continue;
		if (src->type == SP_NODE_MAP) {
			const struct sp_node *sk = src->keys[i];
			rc = copy_rec(b, sk, sk->line, sk->column, depth + 1, alias, at_line,
				      at_column, &k);
			if (rc)
				goto out;
		}
		const struct sp_node *si = src->items[i];
		rc = copy_rec(b, si, si->line, si->column, depth + 1, alias, at_line, at_column,
			      &v);
		if (!rc && doc_append(n, k, v) != 0)
			rc = doc_fail(b, SP_ENOMEM);
		if (rc) {
			doc_node_free(k);
			doc_node_free(v);
			goto out;
		}
	}
	*out = n;
	n = NULL;
out:
	doc_node_free(n);
	return rc;
}

int doc_copy(struct doc_builder *b, const struct sp_node *src, int line, int column,
	     size_t depth, bool alias, struct sp_node **out)
{
	return copy_rec(b, src, line, column, depth, alias, line, column, out);
}

/* ---- text helpers --------------------------------------------------------------- */

void doc_position(const char *s, size_t n, size_t off, int *line, int *column)
{
	int l = 1, c = 1;
	bool cr = false;
	if (off > n)
		off = n;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\r') {
			l++;
			c = 1;
			cr = true;
			continue;
		}
		if (ch == '\n') {
			if (!cr)
				l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
		cr = false;
	}
	*line = l;
	*column = c;
}

static uint32_t utf8_decode(const unsigned char *s, size_t n, size_t *width)
{
	uint32_t cp = s[0];
	size_t w = 1;
	if (cp >= 0xF0 && n >= 4) {
		cp = ((cp & 0x07) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
		     (s[3] & 0x3Fu);
		w = 4;
	} else if (cp >= 0xE0 && n >= 3) {
		cp = ((cp & 0x0F) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
		w = 3;
	} else if (cp >= 0xC0 && n >= 2) {
		cp = ((cp & 0x1F) << 6) | (s[1] & 0x3Fu);
		w = 2;
	}
	if (width)
		*width = w;
	return cp;
}

void doc_describe_char(const char *s, size_t n, char *out, size_t outsz)
{
	if (!n) {
		snprintf(out, outsz, "the end of the input");
		return;
	}
	unsigned char c = (unsigned char)s[0];
	if (c == ' ')
		snprintf(out, outsz, "a space");
	else if (c == '\t')
		snprintf(out, outsz, "a tab");
	else if (c == '\n' || c == '\r')
		snprintf(out, outsz, "a line break");
	else if (c > 0x20 && c < 0x7F)
		snprintf(out, outsz, "'%c'", c);
	else
		snprintf(out, outsz, "U+%04X", (unsigned)utf8_decode((const unsigned char *)s, n, NULL));
}

int doc_quote(struct sp_buf *b, const char *s, size_t len, size_t max)
{
	bool cut = len > max;
	if (cut) {
		len = max;
		while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--; /* do not split a character */
	}
	int rc = sp_buf_putc(b, '"');
	if (!rc)
		rc = sp_buf_put_json_escaped(b, s, len);
	if (!rc && cut)
		rc = sp_buf_puts(b, "...");
	if (!rc)
		rc = sp_buf_putc(b, '"');
	return rc;
}

int doc_strtod(struct doc_builder *b, const char *s, size_t len, double *out)
{
	char small[64];
	char *t = len < sizeof(small) ? small : malloc(len + 1);
	int rc = 0;
	if (!t)
		return SP_ENOMEM;
	memcpy(t, s, len);
	t[len] = '\0';
	if (!b->c_locale) {
		b->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		if (!b->c_locale) {
			rc = SP_ENOMEM;
			goto out;
		}
	}
	char *end;
	errno = 0;
	double v = strtod_l(t, &end, b->c_locale);
	if (end != t + len || len == 0) {
		rc = SP_EINVAL;
		goto out;
	}
	if (errno == ERANGE && isinf(v)) {
		rc = SP_ETOOBIG;
		goto out;
	}
	*out = v;
out:
	if (t != small)
		free(t);
	return rc;
}

void doc_set_integral(struct sp_node *n)
{
	double r = n->real;
	if (isfinite(r) && r == trunc(r) && r >= -9223372036854775808.0 &&
	    r < 9223372036854775808.0)
		n->integer = (int64_t)r;
}

/* ---- string table --------------------------------------------------------------- */

static size_t table_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static struct doc_table_slot *table_find(const struct doc_table *t, const char *key, size_t len)
{
	size_t mask = t->cap - 1;
	for (size_t i = table_hash(key, len) & mask;; i = (i + 1) & mask) {
		struct doc_table_slot *s = &t->slots[i];
		if (!s->key || (s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

int doc_table_put(struct doc_table *t, const char *key, size_t len, void *val)
{
	if ((t->n + 1) * 2 > t->cap) {
		struct doc_table bigger = { NULL, 0, t->cap ? t->cap * 2 : 16 };
		bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
		if (!bigger.slots)
			return SP_ENOMEM;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].key)
				*table_find(&bigger, t->slots[i].key, t->slots[i].len) = t->slots[i];
		bigger.n = t->n;
		free(t->slots);
		*t = bigger;
	}
	struct doc_table_slot *s = table_find(t, key, len);
	if (!s->key)
		t->n++;
	*s = (struct doc_table_slot){ key, len, val };
	return 0;
}

void *doc_table_get(const struct doc_table *t, const char *key, size_t len)
{
	if (!t->cap)
		return NULL;
	struct doc_table_slot *s = table_find(t, key, len);
	return s->key ? s->val : NULL;
}

void doc_table_free(struct doc_table *t)
{
	free(t->slots);
	*t = (struct doc_table){ NULL, 0, 0 };
}

/* ---- loading -------------------------------------------------------------------- */

/* Offset of the first byte that is not valid UTF-8 (no overlongs, no surrogates, at most
 * U+10FFFF), or n. */
static size_t utf8_invalid_at(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t w;
		unsigned char lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			w = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			w = 3;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			w = 4;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return i;
		}
		if (n - i < w)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k < w; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		i += w;
	}
	return n;
}

static void builder_release(struct doc_builder *b)
{
	doc_node_free(b->root);
	for (size_t i = 0; i < b->depth; i++) {
		doc_node_free(b->frames[i].key);
		doc_node_free(b->frames[i].node);
	}
	free(b->frames);
	for (size_t i = 0; i < b->ngrave; i++)
		doc_node_free(b->grave[i]);
	free(b->grave);
	if (b->c_locale)
		freelocale(b->c_locale);
}

int sp_doc_load(const char *data, size_t len, const char *file, enum sp_doc_format fmt,
		const struct sp_doc_limits *limits, struct sp_diags *d, struct sp_doc **out)
{
	struct sp_doc_limits lim = limits ? *limits : SP_DOC_LIMITS_DEFAULT;
	struct doc_builder b = { 0 };
	struct sp_doc *doc = NULL;
	int rc = 0;
	b.lim = &lim;
	b.max_depth = lim.max_depth < DOC_DEPTH_CEILING ? lim.max_depth : DOC_DEPTH_CEILING;
	b.d = d;
	b.file = file;
	if (!data)
		data = "";
	if (len > lim.max_input) {
		rc = doc_error(&b, "DOC_TOO_LARGE", 0, 0,
			       "split the content into smaller files; the limit protects sprout "
			       "from hostile input",
			       "the file is %zu bytes, more than the limit of %zu bytes", len,
			       lim.max_input);
		goto out;
	}
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3;
		len -= 3;
	}
	size_t bad = utf8_invalid_at((const unsigned char *)data, len);
	if (bad < len) {
		int line, column;
		doc_position(data, len, bad, &line, &column);
		rc = doc_error(&b, "DOC_NOT_UTF8", line, column,
			       "save the file as UTF-8 (without a UTF-16 byte order mark)",
			       "byte 0x%02X is not valid UTF-8", (unsigned char)data[bad]);
		goto out;
	}
	if (fmt == SP_DOC_AUTO) {
		size_t i = 0;
		while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
				   data[i] == '\n'))
			i++;
		fmt = i < len && (data[i] == '{' || data[i] == '[') ? SP_DOC_JSON : SP_DOC_YAML;
	}
	rc = fmt == SP_DOC_JSON ? doc_parse_json(&b, data, len) : doc_parse_yaml(&b, data, len);
	if (!rc && b.rc)
		rc = b.rc;
	if (rc)
		goto out;
	if (!b.root) {
		b.root = doc_node_new(&b, SP_NODE_NULL, 1, 1);
		if (!b.root || doc_node_set_text(&b, b.root, "", 0)) {
			rc = b.rc ? b.rc : SP_ENOMEM;
			goto out;
		}
	}
	doc = calloc(1, sizeof(*doc));
	if (!doc || !(doc->file = dup_bytes(file ? file : "", file ? strlen(file) : 0))) {
		rc = SP_ENOMEM;
		goto out;
	}
	doc->format = fmt;
	doc->root = b.root;
	b.root = NULL;
	*out = doc;
	doc = NULL;
out:
	builder_release(&b);
	sp_doc_free(doc);
	return rc == SP_ENOMEM ? SP_ENOMEM : rc ? SP_ERROR : 0;
}

int sp_doc_load_file(const char *path, const char *display_name, enum sp_doc_format fmt,
		     const struct sp_doc_limits *limits, struct sp_diags *d,
		     struct sp_doc **out)
{
	size_t max = limits ? limits->max_input : SP_DOC_MAX_INPUT;
	const char *name = display_name ? display_name : path;
	struct sp_buf buf = SP_BUF_INIT(0);
	/* one byte more than allowed, so that an oversized file reaches sp_doc_load's check */
	int rc = sp_read_file(path, max < SIZE_MAX ? max + 1 : max, &buf);
	if (rc == SP_ETOOBIG) {
		struct sp_loc loc = { name, 0, 0, "" };
		sp_diag_add(d, SP_SEV_ERROR, "DOC_TOO_LARGE", loc,
			    "split the content into smaller files; the limit protects sprout "
			    "from hostile input",
			    "the file is larger than the limit of %zu bytes", max);
		rc = SP_ERROR;
		goto out;
	}
	if (rc) {
		int err = errno;
		struct sp_loc loc = { name, 0, 0, "" };
		sp_diag_add(d, SP_SEV_ERROR, "DOC_READ_FAILED", loc,
			    "check that the file exists, is a regular file and is readable",
			    "cannot read the file: %s", strerror(err));
		errno = err;
		goto out;
	}
	rc = sp_doc_load(buf.data, buf.len, name, fmt, limits, d, out);
out:
	sp_buf_free(&buf);
	return rc;
}

void sp_doc_free(struct sp_doc *doc)
{
	if (!doc)
		return;
	doc_node_free(doc->root);
	free(doc->file);
	free(doc);
}

const struct sp_node *sp_doc_root(const struct sp_doc *doc)
{
	return doc ? doc->root : NULL;
}

const char *sp_doc_file(const struct sp_doc *doc)
{
	return doc ? doc->file : NULL;
}

enum sp_doc_format sp_doc_format_of(const struct sp_doc *doc)
{
	return doc ? doc->format : SP_DOC_AUTO;
}

/* ---- tree helpers --------------------------------------------------------------- */

const struct sp_node *sp_node_key(const struct sp_node *m, const char *key)
{
	if (!m || m->type != SP_NODE_MAP || !key)
		return NULL;
	size_t len = strlen(key);
	for (size_t i = m->n; i-- > 0;) {
		const struct sp_node *k = m->keys[i];
		if (k->text_len == len && memcmp(k->text, key, len) == 0)
			return k;
	}
	return NULL;
}

const struct sp_node *sp_node_get(const struct sp_node *m, const char *key)
{
	const struct sp_node *k = sp_node_key(m, key);
	return k ? m->items[k->index] : NULL;
}

const char *sp_node_type_name(enum sp_node_type t)
{
	switch (t) {
	case SP_NODE_NULL:
		return "null";
	case SP_NODE_BOOL:
		return "boolean";
	case SP_NODE_INT:
		return "integer";
	case SP_NODE_REAL:
		return "number";
	case SP_NODE_STRING:
		return "string";
	case SP_NODE_SEQ:
		return "list";
	case SP_NODE_MAP:
		return "mapping";
	}
	return "unknown";
}

bool sp_node_is_scalar(const struct sp_node *n)
{
	return n && !node_is_container(n);
}

static int node_path_rec(const struct sp_node *n, struct sp_buf *out)
{
	const struct sp_node *p = n->parent;
	if (!p)
		return 0;
	int rc = node_path_rec(p, out);
	if (rc)
		return rc;
	if (p->type == SP_NODE_SEQ)
		return sp_buf_printf(out, "/%zu", n->index);
	const struct sp_node *k = p->keys[n->index];
	return path_add_component(out, k->text, k->text_len);
}

int sp_node_path(const struct sp_node *n, struct sp_buf *out)
{
	sp_buf_reset(out);
	int rc = n ? node_path_rec(n, out) : 0;
	if (!rc && !out->data)
		rc = sp_buf_append(out, "", 0);
	return rc;
}

struct sp_loc sp_node_loc(const struct sp_doc *doc, const struct sp_node *n,
			  struct sp_buf *pathbuf)
{
	struct sp_loc loc = { doc ? doc->file : NULL, 0, 0, "" };
	if (n) {
		loc.line = n->line;
		loc.column = n->column;
		if (sp_node_path(n, pathbuf) == 0)
			loc.path = sp_buf_cstr(pathbuf);
	}
	return loc;
}

int sp_diag_node(struct sp_diags *d, enum sp_severity sev, const char *code,
		 const struct sp_doc *doc, const struct sp_node *n, const char *hint,
		 const char *fmt, ...)
{
	struct sp_buf path = SP_BUF_INIT(0);
	struct sp_loc loc = sp_node_loc(doc, n, &path);
	va_list ap;
	va_start(ap, fmt);
	int rc = sp_diag_vadd(d, sev, code, loc, hint, fmt, ap);
	va_end(ap);
	sp_buf_free(&path);
	return rc;
}

json_t *sp_node_to_json(const struct sp_node *n)
{
	if (!n)
		return NULL;
	json_t *j = NULL;
	switch (n->type) {
	case SP_NODE_NULL:
		return json_null();
	case SP_NODE_BOOL:
		return json_boolean(n->boolean);
	case SP_NODE_INT:
		return json_integer(n->integer);
	case SP_NODE_REAL:
		/* JSON has no NaN or infinity */
		return isfinite(n->real) ? json_real(n->real) : json_null();
	case SP_NODE_STRING:
		return json_stringn(n->text ? n->text : "", n->text_len);
	case SP_NODE_SEQ:
		if (!(j = json_array()))
			return NULL;
		for (size_t i = 0; i < n->n; i++) {
			json_t *v = sp_node_to_json(n->items[i]);
			if (!v || json_array_append_new(j, v) != 0)
				goto fail;
		}
		return j;
	case SP_NODE_MAP:
		if (!(j = json_object()))
			return NULL;
		for (size_t i = 0; i < n->n; i++) {
			json_t *v = sp_node_to_json(n->items[i]);
			const struct sp_node *k = n->keys[i];
			if (!v || json_object_setn_new(j, k->text ? k->text : "", k->text_len,
						       v) != 0)
				goto fail;
		}
		return j;
	}
	return NULL;
fail:
	json_decref(j);
	return NULL;
}
