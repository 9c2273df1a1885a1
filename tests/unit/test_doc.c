/* test_doc.c — doc.h: located YAML/JSON trees, diagnostics, limits, helpers. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/base/doc.h"
#include "engine/base/banned.h"

/* ---- helpers -------------------------------------------------------------------- */

static struct sp_doc *load_ok_n(const char *s, size_t len, enum sp_doc_format f,
				struct sp_diags *d)
{
	struct sp_doc *doc = NULL;
	int rc = sp_doc_load(s, len, "t.file", f, NULL, d, &doc);
	cr_assert_eq(rc, 0, "load failed: %s", d->n ? d->items[0].message : "(no diagnostic)");
	cr_assert_not_null(doc);
	return doc;
}

static struct sp_doc *load_ok(const char *s, enum sp_doc_format f, struct sp_diags *d)
{
	return load_ok_n(s, strlen(s), f, d);
}

/* Loads input that must fail; returns the first error diagnostic. */
static const struct sp_diag *load_err_n(const char *s, size_t len, enum sp_doc_format f,
					const struct sp_doc_limits *lim, struct sp_diags *d)
{
	struct sp_doc *doc = NULL;
	int rc = sp_doc_load(s, len, "t.file", f, lim, d, &doc);
	cr_assert_eq(rc, SP_ERROR, "load of %.60s should fail", s);
	cr_assert_null(doc);
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity == SP_SEV_ERROR)
			return &d->items[i];
	cr_assert_fail("no error diagnostic");
	return NULL;
}

static const struct sp_diag *load_err(const char *s, enum sp_doc_format f,
				      const struct sp_doc_limits *lim, struct sp_diags *d)
{
	return load_err_n(s, strlen(s), f, lim, d);
}

#define ASSERT_AT(node, l, c)                                                              \
	do {                                                                               \
		const struct sp_node *n_ = (node);                                         \
		cr_assert_not_null(n_);                                                    \
		cr_assert_eq(n_->line, (l), "line %d, expected %d", n_->line, (l));        \
		cr_assert_eq(n_->column, (c), "column %d, expected %d", n_->column, (c));  \
	} while (0)

#define ASSERT_DIAG(dg, code_, l, c)                                                       \
	do {                                                                               \
		const struct sp_diag *g_ = (dg);                                           \
		cr_assert_str_eq(g_->code, (code_), "code %s: %s", g_->code, g_->message); \
		cr_assert_eq(g_->line, (l), "line %d, expected %d (%s)", g_->line, (l),    \
			     g_->message);                                                 \
		cr_assert_eq(g_->column, (c), "column %d, expected %d (%s)", g_->column,   \
			     (c), g_->message);                                            \
	} while (0)

static struct sp_doc_limits small_limits(void)
{
	return SP_DOC_LIMITS_DEFAULT;
}

static const struct sp_node *at(const struct sp_node *n, const char *key)
{
	const struct sp_node *v = sp_node_get(n, key);
	cr_assert_not_null(v, "no key %s", key);
	return v;
}

static const struct sp_node *item(const struct sp_node *n, size_t i)
{
	cr_assert_not_null(n);
	cr_assert_eq(n->type, SP_NODE_SEQ, "not a list but a %s", sp_node_type_name(n->type));
	cr_assert_lt(i, n->n);
	return n->items[i];
}

/* Resolves one plain YAML scalar ("v: <text>"). */
static struct sp_doc *yaml_scalar(const char *text, const struct sp_node **out,
				  struct sp_diags *d)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "v: %s\n", text);
	struct sp_doc *doc = load_ok(buf, SP_DOC_YAML, d);
	*out = at(sp_doc_root(doc), "v");
	return doc;
}

/* ---- JSON positions ------------------------------------------------------------- */

Test(doc, json_nested_object_keeps_key_and_value_positions)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const char *s = "{\n"
			"  \"name\": \"web\",\n"
			"  \"ports\": [80, 443],\n"
			"  \"env\": {\"A\": true}\n"
			"}\n";
	struct sp_doc *doc = load_ok(s, SP_DOC_JSON, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_eq(sp_doc_format_of(doc), SP_DOC_JSON);
	ASSERT_AT(r, 1, 1);
	cr_assert_eq(r->type, SP_NODE_MAP);
	cr_assert_eq(r->n, 3);
	ASSERT_AT(sp_node_key(r, "name"), 2, 3);
	ASSERT_AT(at(r, "name"), 2, 11);
	cr_assert_str_eq(at(r, "name")->text, "web");
	ASSERT_AT(at(r, "ports"), 3, 12);
	ASSERT_AT(item(at(r, "ports"), 1), 3, 17);
	cr_assert_eq(item(at(r, "ports"), 1)->integer, 443);
	ASSERT_AT(at(at(r, "env"), "A"), 4, 16);
	cr_assert(at(at(r, "env"), "A")->boolean);
	cr_assert_eq(d.n, 0);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_tabs_in_whitespace_count_one_column_each)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("{\n\t\"a\":\t1,\n\t\t\"b\" : [\tnull ]\n}", SP_DOC_JSON, &d);
	const struct sp_node *r = sp_doc_root(doc);
	ASSERT_AT(sp_node_key(r, "a"), 2, 2);
	ASSERT_AT(at(r, "a"), 2, 7);
	ASSERT_AT(sp_node_key(r, "b"), 3, 3);
	ASSERT_AT(item(at(r, "b"), 0), 3, 11);
	cr_assert_eq(item(at(r, "b"), 0)->type, SP_NODE_NULL);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_crlf_is_one_line_break)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("{\r\n\"a\": 1,\r\n\r\n  \"b\": 2\r\n}\r\n", SP_DOC_JSON, &d);
	ASSERT_AT(sp_node_key(sp_doc_root(doc), "a"), 2, 1);
	ASSERT_AT(sp_node_key(sp_doc_root(doc), "b"), 4, 3);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_bom_is_skipped_and_does_not_shift_columns)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("\xEF\xBB\xBF{\"a\": 1}", SP_DOC_AUTO, &d);
	cr_assert_eq(sp_doc_format_of(doc), SP_DOC_JSON);
	ASSERT_AT(sp_doc_root(doc), 1, 1);
	ASSERT_AT(sp_node_key(sp_doc_root(doc), "a"), 1, 2);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_multibyte_characters_count_one_column_each)
{
	struct sp_diags d;
	sp_diags_init(&d);
	/* "é" is 2 bytes, "€" 3, "😀" 4: each one column */
	struct sp_doc *doc = load_ok("{\"é€😀\": \"x\", \"b\": 2}", SP_DOC_JSON, &d);
	const struct sp_node *r = sp_doc_root(doc);
	ASSERT_AT(at(r, "é€😀"), 1, 9);
	ASSERT_AT(sp_node_key(r, "b"), 1, 14);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_string_escapes_are_decoded)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok(
		"[\"a\\\"b\\\\c\\/d\\n\\t\", \"\\u00e9\\u20ac\", \"\\ud83d\\ude00\", \"x\\u0000y\"]",
		SP_DOC_JSON, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_str_eq(item(r, 0)->text, "a\"b\\c/d\n\t");
	cr_assert_str_eq(item(r, 1)->text, "é€");
	cr_assert_str_eq(item(r, 2)->text, "😀");
	cr_assert_eq(item(r, 3)->text_len, 3);
	cr_assert_eq(memcmp(item(r, 3)->text, "x\0y", 3), 0);
	cr_assert(item(r, 0)->quoted);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_numbers_are_typed_integer_or_real)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("[0, -12, 9223372036854775807, -9223372036854775808, 1.5, "
				     "-2e3, 4.0, 1E-2]",
				     SP_DOC_JSON, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_eq(item(r, 0)->type, SP_NODE_INT);
	cr_assert_eq(item(r, 1)->integer, -12);
	cr_assert_eq(item(r, 2)->integer, INT64_MAX);
	cr_assert_eq(item(r, 3)->integer, INT64_MIN);
	cr_assert_eq(item(r, 4)->type, SP_NODE_REAL);
	cr_assert_float_eq(item(r, 4)->real, 1.5, 1e-12);
	cr_assert_eq(item(r, 5)->type, SP_NODE_REAL);
	cr_assert_eq(item(r, 5)->integer, -2000, "integral reals also set integer");
	cr_assert_eq(item(r, 6)->integer, 4);
	cr_assert_float_eq(item(r, 7)->real, 0.01, 1e-12);
	cr_assert_str_eq(item(r, 5)->text, "-2e3");
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_top_level_scalar_is_accepted)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("  \"just text\" ", SP_DOC_JSON, &d);
	cr_assert_eq(sp_doc_root(doc)->type, SP_NODE_STRING);
	ASSERT_AT(sp_doc_root(doc), 1, 3);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

/* ---- JSON errors ---------------------------------------------------------------- */

Test(doc, json_duplicate_key_warns_at_second_key_and_later_value_wins)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("{\n  \"a\": 1,\n  \"b\": {\"x\": 0},\n  \"a\": 2\n}",
				     SP_DOC_JSON, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_eq(d.n, 1);
	cr_assert_eq(d.items[0].severity, SP_SEV_WARNING);
	ASSERT_DIAG(&d.items[0], "DOC_DUPLICATE_KEY", 4, 3);
	cr_assert_str_eq(d.items[0].path, "/a");
	cr_assert_not_null(strstr(d.items[0].message, "\"a\""));
	cr_assert_not_null(strstr(d.items[0].hint, "line 2, column 3"), "hint: %s",
			   d.items[0].hint);
	cr_assert_eq(r->n, 2, "the map holds each key once");
	cr_assert_eq(at(r, "a")->integer, 2);
	ASSERT_AT(sp_node_key(r, "a"), 4, 3);
	cr_assert_eq(at(r, "a")->index, sp_node_key(r, "a")->index);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_duplicate_key_in_nested_object_has_its_path)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("{\"o\": [{\"k/~\": 1, \"k/~\": 2, \"k/~\": 3}]}", SP_DOC_JSON, &d);
	cr_assert_eq(d.n, 2);
	cr_assert_str_eq(d.items[0].path, "/o/0/k~1~0");
	cr_assert_eq(at(item(at(sp_doc_root(doc), "o"), 0), "k/~")->integer, 3);
	cr_assert_eq(item(at(sp_doc_root(doc), "o"), 0)->n, 1);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, json_trailing_comma_in_object_is_located_at_the_comma)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("{\n  \"a\": 1,\n}", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 2, 9);
	cr_assert_str_eq(e->message, "trailing comma before '}'");
	cr_assert_str_eq(e->hint,
			 "remove the comma after the last member; JSON does not allow trailing "
			 "commas");
	cr_assert_str_eq(e->file, "t.file");
	sp_diags_free(&d);
}

Test(doc, json_trailing_comma_in_array_is_refused)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("[1, 2, ]", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 6);
	cr_assert_str_eq(e->message, "trailing comma before ']'");
	sp_diags_free(&d);
}

Test(doc, json_missing_comma_between_members)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("{\"a\": 1\n \"b\": 2}", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 2, 2);
	cr_assert_str_eq(e->message, "expected ',' or '}' after an object member, found '\"'");
	cr_assert_str_eq(e->hint, "add a ',' between the members");
	cr_assert_str_eq(e->path, "", "no key is pending: %s", e->path);
	sp_diags_free(&d);
}

Test(doc, json_stray_closing_bracket_after_document)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("{\"a\": [1]}}\n", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 11);
	cr_assert_str_eq(e->message, "unexpected '}' after the end of the document");
	cr_assert_not_null(strstr(e->hint, "stray"));
	sp_diags_free(&d);
}

Test(doc, json_mismatched_bracket_names_the_open_one)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("{\"a\": [1, 2}", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 12);
	cr_assert_str_eq(e->message, "expected ',' or ']' after an array element, found '}'");
	cr_assert_not_null(strstr(e->hint, "line 1, column 7"), "hint: %s", e->hint);
	cr_assert_str_eq(e->path, "/a/2");
	sp_diags_free(&d);
}

Test(doc, json_unterminated_string_is_located_at_its_quote)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("{\"a\": \"abc}", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 7);
	cr_assert_str_eq(e->message, "unterminated string");
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("{\"a\": \"abc\n}", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 7);
	cr_assert_not_null(strstr(e->message, "the line ends"));
	sp_diags_free(&d);
}

Test(doc, json_unclosed_object_reports_end_of_input_and_opening_brace)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("{\"a\": {\"b\": 1}\n", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 2, 1);
	cr_assert_str_eq(e->message, "unexpected end of the input");
	cr_assert_str_eq(e->hint, "the '{' at line 1, column 1 is never closed");
	sp_diags_free(&d);
}

Test(doc, json_single_quotes_and_bare_keys_are_refused_with_hints)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("{'a': 1}", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 2);
	cr_assert_not_null(strstr(e->hint, "double quotes"));
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("{\"a\": 'x'}", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 7);
	cr_assert_str_eq(e->message, "expected a value, found '''");
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("{a: 1}", SP_DOC_JSON, NULL, &d);
	cr_assert_str_eq(e->hint, "put the key in double quotes: \"name\": value");
	sp_diags_free(&d);
}

Test(doc, json_bad_literals_and_numbers_are_refused)
{
	static const struct {
		const char *in;
		int column;
		const char *needle;
	} cases[] = {
		{ "[True]", 2, "lowercase" },     { "[None]", 2, "null" },
		{ "[NaN]", 2, "NaN" },		  { "[01]", 2, "leading zeros" },
		{ "[1.]", 4, "decimal point" },	  { "[1e]", 4, "exponent" },
		{ "[-]", 3, "'-'" },		  { "[+1]", 2, "'+'" },
		{ "[.5]", 2, "before the point" }, { "[1] // c", 5, "comments" },
		{ "[1 /* c */]", 4, "comments" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_diags d;
		sp_diags_init(&d);
		const struct sp_diag *e = load_err(cases[i].in, SP_DOC_JSON, NULL, &d);
		cr_assert_str_eq(e->code, "DOC_JSON_SYNTAX");
		cr_assert_eq(e->column, cases[i].column, "%s: column %d", cases[i].in, e->column);
		cr_assert(strstr(e->message, cases[i].needle) ||
				  (e->hint && strstr(e->hint, cases[i].needle)),
			  "%s: %s / %s", cases[i].in, e->message, e->hint);
		sp_diags_free(&d);
	}
}

Test(doc, json_invalid_escapes_and_control_characters_are_located)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("[\"ab\\x\"]", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 5);
	cr_assert_not_null(strstr(e->message, "'x'"));
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("[\"\\ud800x\"]", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 3);
	cr_assert_not_null(strstr(e->message, "lone high surrogate"));
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("[\"a\tb\"]", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 4);
	cr_assert_str_eq(e->message, "control character U+0009 inside a string");
	sp_diags_free(&d);
}

Test(doc, json_integer_beyond_64_bits_is_refused)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("{\"n\": 9223372036854775808}", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 1, 7);
	cr_assert_not_null(strstr(e->message, "out of range"));
	cr_assert_str_eq(e->path, "/n");
	sp_diags_free(&d);
}

Test(doc, json_empty_document_is_an_error_but_empty_auto_is_null_yaml)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err(" \n ", SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_JSON_SYNTAX", 2, 2);
	cr_assert_str_eq(e->message, "the document is empty");
	sp_diags_free(&d);
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok(" \n ", SP_DOC_AUTO, &d);
	cr_assert_eq(sp_doc_format_of(doc), SP_DOC_YAML);
	cr_assert_eq(sp_doc_root(doc)->type, SP_NODE_NULL);
	ASSERT_AT(sp_doc_root(doc), 1, 1);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, auto_format_picks_json_for_a_leading_bracket_and_yaml_otherwise)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *j = load_ok("\n  [1]", SP_DOC_AUTO, &d);
	struct sp_doc *y = load_ok("a: [1]", SP_DOC_AUTO, &d);
	cr_assert_eq(sp_doc_format_of(j), SP_DOC_JSON);
	cr_assert_eq(sp_doc_format_of(y), SP_DOC_YAML);
	sp_doc_free(j);
	sp_doc_free(y);
	sp_diags_free(&d);
}

/* ---- YAML positions ------------------------------------------------------------- */

Test(doc, yaml_block_mapping_and_sequence_positions)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const char *s = "option_settings:\n"
			"  - namespace: aws:elasticbeanstalk:application:environment\n"
			"    option_name: PORT\n"
			"    value: 8080\n"
			"packages:\n"
			"  yum:\n"
			"    git: []\n";
	struct sp_doc *doc = load_ok(s, SP_DOC_YAML, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_eq(sp_doc_format_of(doc), SP_DOC_YAML);
	ASSERT_AT(r, 1, 1);
	ASSERT_AT(sp_node_key(r, "option_settings"), 1, 1);
	const struct sp_node *os = at(r, "option_settings");
	ASSERT_AT(os, 2, 3);
	ASSERT_AT(item(os, 0), 2, 5);
	ASSERT_AT(sp_node_key(item(os, 0), "option_name"), 3, 5);
	ASSERT_AT(at(item(os, 0), "value"), 4, 12);
	cr_assert_eq(at(item(os, 0), "value")->integer, 8080);
	cr_assert_str_eq(at(item(os, 0), "namespace")->text,
			 "aws:elasticbeanstalk:application:environment");
	ASSERT_AT(at(at(at(r, "packages"), "yum"), "git"), 7, 10);
	cr_assert_eq(d.n, 0);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_flow_style_positions)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("a: {b: [1, two, {c: d}], e: f}\n", SP_DOC_YAML, &d);
	const struct sp_node *a = at(sp_doc_root(doc), "a");
	ASSERT_AT(a, 1, 4);
	ASSERT_AT(sp_node_key(a, "b"), 1, 5);
	ASSERT_AT(at(a, "b"), 1, 8);
	ASSERT_AT(item(at(a, "b"), 1), 1, 12);
	ASSERT_AT(at(item(at(a, "b"), 2), "c"), 1, 21);
	ASSERT_AT(at(a, "e"), 1, 29);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_block_scalars_keep_text_and_position)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const char *s = "lit: |\n  line1\n  line2\nfold: >\n  a\n  b\nafter: 1\n";
	struct sp_doc *doc = load_ok(s, SP_DOC_YAML, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_str_eq(at(r, "lit")->text, "line1\nline2\n");
	cr_assert_eq(at(r, "lit")->type, SP_NODE_STRING);
	cr_assert_not(at(r, "lit")->quoted);
	ASSERT_AT(at(r, "lit"), 1, 6);
	cr_assert_str_eq(at(r, "fold")->text, "a b\n");
	ASSERT_AT(sp_node_key(r, "after"), 7, 1);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_crlf_bom_and_multibyte_columns)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("\xEF\xBB\xBF"
				     "a: 1\r\n\r\nnamé: €x\r\nb:  [ü, 2]\r\n",
				     SP_DOC_AUTO, &d);
	const struct sp_node *r = sp_doc_root(doc);
	ASSERT_AT(sp_node_key(r, "a"), 1, 1);
	ASSERT_AT(at(r, "namé"), 3, 7);
	cr_assert_str_eq(at(r, "namé")->text, "€x");
	ASSERT_AT(item(at(r, "b"), 1), 4, 9);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

/* ---- YAML scalar typing --------------------------------------------------------- */

Test(doc, yaml_nulls_and_booleans_resolve_as_pyyaml)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL", "" };
	static const char *const trues[] = { "yes", "Yes", "YES", "true", "True", "TRUE",
					     "on",  "On",  "ON" };
	static const char *const falses[] = { "no",    "No",  "NO",  "false", "False",
					      "FALSE", "off", "Off", "OFF" };
	static const char *const strings[] = { "nULL", "yEs", "y", "n", "tRUE", "none" };
	const struct sp_node *v;
	struct sp_diags d;
	sp_diags_init(&d);
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		struct sp_doc *doc = yaml_scalar(nulls[i], &v, &d);
		cr_assert_eq(v->type, SP_NODE_NULL, "%s", nulls[i]);
		sp_doc_free(doc);
	}
	for (size_t i = 0; i < sizeof(trues) / sizeof(trues[0]); i++) {
		struct sp_doc *doc = yaml_scalar(trues[i], &v, &d);
		cr_assert_eq(v->type, SP_NODE_BOOL, "%s", trues[i]);
		cr_assert(v->boolean, "%s", trues[i]);
		sp_doc_free(doc);
	}
	for (size_t i = 0; i < sizeof(falses) / sizeof(falses[0]); i++) {
		struct sp_doc *doc = yaml_scalar(falses[i], &v, &d);
		cr_assert_eq(v->type, SP_NODE_BOOL, "%s", falses[i]);
		cr_assert_not(v->boolean, "%s", falses[i]);
		sp_doc_free(doc);
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		struct sp_doc *doc = yaml_scalar(strings[i], &v, &d);
		cr_assert_eq(v->type, SP_NODE_STRING, "%s", strings[i]);
		sp_doc_free(doc);
	}
	sp_diags_free(&d);
}

Test(doc, yaml_integers_resolve_as_pyyaml)
{
	static const struct {
		const char *in;
		int64_t v;
	} cases[] = {
		{ "0", 0 },	     { "42", 42 },	 { "-17", -17 },    { "+5", 5 },
		{ "1_000", 1000 },   { "0x1F", 31 },	 { "0x_ff", 255 },  { "017", 15 },
		{ "0o17", 15 },	     { "0b101", 5 },	 { "-0x10", -16 },  { "1:30", 90 },
		{ "190:20:30", 685230 }, { "9223372036854775807", INT64_MAX },
	};
	const struct sp_node *v;
	struct sp_diags d;
	sp_diags_init(&d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_doc *doc = yaml_scalar(cases[i].in, &v, &d);
		cr_assert_eq(v->type, SP_NODE_INT, "%s is a %s", cases[i].in,
			     sp_node_type_name(v->type));
		cr_assert_eq(v->integer, cases[i].v, "%s -> %lld", cases[i].in,
			     (long long)v->integer);
		cr_assert_str_eq(v->text, cases[i].in, "the text stays as written");
		sp_doc_free(doc);
	}
	static const char *const strings[] = { "09", "0x", "1_", "12abc", "1:60", "0b2", "--1" };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		struct sp_doc *doc = yaml_scalar(strings[i], &v, &d);
		if (strcmp(strings[i], "1_") == 0)
			cr_assert_eq(v->type, SP_NODE_INT, "1_ is 1 in PyYAML");
		else
			cr_assert_eq(v->type, SP_NODE_STRING, "%s is a %s", strings[i],
				     sp_node_type_name(v->type));
		sp_doc_free(doc);
	}
	sp_diags_free(&d);
}

Test(doc, yaml_floats_resolve_as_pyyaml)
{
	static const struct {
		const char *in;
		double v;
	} cases[] = {
		{ "1.5", 1.5 },	    { "-0.25", -0.25 },	    { "1.", 1.0 },
		{ ".5", 0.5 },	    { "1.0e+3", 1000.0 },   { "6.8523015e+5", 685230.15 },
		{ "1_000.5", 1000.5 }, { "190:20:30.15", 685230.15 },
	};
	const struct sp_node *v;
	struct sp_diags d;
	sp_diags_init(&d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_doc *doc = yaml_scalar(cases[i].in, &v, &d);
		cr_assert_eq(v->type, SP_NODE_REAL, "%s is a %s", cases[i].in,
			     sp_node_type_name(v->type));
		cr_assert_float_eq(v->real, cases[i].v, 1e-9, "%s -> %g", cases[i].in, v->real);
		sp_doc_free(doc);
	}
	struct sp_doc *doc = yaml_scalar(".inf", &v, &d);
	cr_assert(isinf(v->real) && v->real > 0);
	sp_doc_free(doc);
	doc = yaml_scalar("-.Inf", &v, &d);
	cr_assert(isinf(v->real) && v->real < 0);
	sp_doc_free(doc);
	doc = yaml_scalar(".NaN", &v, &d);
	cr_assert(isnan(v->real));
	sp_doc_free(doc);
	/* PyYAML's YAML 1.1 float needs a '.' and a signed exponent */
	static const char *const strings[] = { "1e5", "1.0e5", "-.5", "1.2.3", ".", "inf" };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		doc = yaml_scalar(strings[i], &v, &d);
		cr_assert_eq(v->type, SP_NODE_STRING, "%s is a %s", strings[i],
			     sp_node_type_name(v->type));
		sp_doc_free(doc);
	}
	sp_diags_free(&d);
}

Test(doc, yaml_quoted_and_block_scalars_are_always_strings)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("a: 'yes'\nb: \"123\"\nc: |\n  null\nd: ''\n", SP_DOC_YAML, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_eq(at(r, "a")->type, SP_NODE_STRING);
	cr_assert(at(r, "a")->quoted);
	cr_assert_eq(at(r, "b")->type, SP_NODE_STRING);
	cr_assert_str_eq(at(r, "b")->text, "123");
	cr_assert_eq(at(r, "c")->type, SP_NODE_STRING);
	cr_assert_eq(at(r, "d")->type, SP_NODE_STRING);
	cr_assert_eq(at(r, "d")->text_len, 0);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_tags_are_kept_and_core_tags_decide_the_type)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const char *s = "ref: !Ref MyBucket\n"
			"getatt: !GetAtt [Res, Arn]\n"
			"s: !!str 123\n"
			"i: !!int \"7\"\n"
			"f: !!float 2\n"
			"b: !!bool 'on'\n"
			"n: !!null ''\n";
	struct sp_doc *doc = load_ok(s, SP_DOC_YAML, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_str_eq(at(r, "ref")->tag, "!Ref");
	cr_assert_eq(at(r, "ref")->type, SP_NODE_STRING);
	cr_assert_str_eq(at(r, "ref")->text, "MyBucket");
	cr_assert_str_eq(at(r, "getatt")->tag, "!GetAtt");
	cr_assert_eq(at(r, "getatt")->type, SP_NODE_SEQ);
	cr_assert_str_eq(at(r, "s")->tag, "!!str");
	cr_assert_eq(at(r, "s")->type, SP_NODE_STRING);
	cr_assert_eq(at(r, "i")->type, SP_NODE_INT);
	cr_assert_eq(at(r, "i")->integer, 7);
	cr_assert_eq(at(r, "f")->type, SP_NODE_REAL);
	cr_assert_float_eq(at(r, "f")->real, 2.0, 1e-12);
	cr_assert_eq(at(r, "b")->type, SP_NODE_BOOL);
	cr_assert_eq(at(r, "n")->type, SP_NODE_NULL);
	cr_assert_null(sp_node_key(r, "ref")->tag);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_core_tag_with_a_wrong_value_is_an_error)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("a:\n  n: !!int twelve\n", SP_DOC_YAML, NULL, &d);
	ASSERT_DIAG(e, "DOC_YAML_TAG", 2, 6);
	cr_assert_str_eq(e->message, "\"twelve\" is not a valid !!int");
	cr_assert_str_eq(e->path, "/a/n");
	sp_diags_free(&d);
}

/* ---- YAML anchors, aliases, merge keys ------------------------------------------ */

Test(doc, yaml_aliases_are_deep_copies_located_at_the_alias)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const char *s = "base: &b\n  x: 1\n  y: [a, b]\ncopy: *b\nscalar: &s hello\nagain: *s\n";
	struct sp_doc *doc = load_ok(s, SP_DOC_YAML, &d);
	const struct sp_node *r = sp_doc_root(doc);
	const struct sp_node *base = at(r, "base"), *copy = at(r, "copy");
	cr_assert_neq(base, copy);
	cr_assert_eq(copy->type, SP_NODE_MAP);
	ASSERT_AT(copy, 4, 7);
	cr_assert_eq(at(copy, "x")->integer, 1);
	ASSERT_AT(at(copy, "x"), 2, 6);
	cr_assert_neq(at(copy, "y"), at(base, "y"));
	cr_assert_str_eq(item(at(copy, "y"), 1)->text, "b");
	cr_assert_eq(at(copy, "y")->parent, copy);
	cr_assert_str_eq(at(r, "again")->text, "hello");
	ASSERT_AT(at(r, "again"), 6, 8);
	struct sp_buf p = SP_BUF_INIT(0);
	cr_assert_eq(sp_node_path(item(at(copy, "y"), 0), &p), 0);
	cr_assert_str_eq(sp_buf_cstr(&p), "/copy/y/0");
	sp_buf_free(&p);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_merge_key_with_one_mapping_lets_own_keys_win)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const char *s = "defaults: &d\n  a: 1\n  b: 2\nthing:\n  <<: *d\n  b: 3\n  c: 4\n";
	struct sp_doc *doc = load_ok(s, SP_DOC_YAML, &d);
	const struct sp_node *t = at(sp_doc_root(doc), "thing");
	cr_assert_eq(t->n, 3);
	cr_assert_eq(at(t, "a")->integer, 1);
	cr_assert_eq(at(t, "b")->integer, 3);
	cr_assert_eq(at(t, "c")->integer, 4);
	cr_assert_null(sp_node_get(t, "<<"));
	cr_assert_eq(d.n, 0, "own keys overriding merged ones are no duplicates");
	for (size_t i = 0; i < t->n; i++) {
		cr_assert_eq(t->items[i]->parent, t);
		cr_assert_eq(t->items[i]->index, i);
		cr_assert_eq(t->keys[i]->index, i);
	}
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_merge_key_with_a_list_lets_the_first_mapping_win)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const char *s = "one: &one {a: 1, b: 1}\n"
			"two: &two {b: 2, c: 2}\n"
			"m:\n  <<: [*one, *two]\n  d: 4\n"
			"inline:\n  <<: &three {z: 26}\n"
			"later: *three\n";
	struct sp_doc *doc = load_ok(s, SP_DOC_YAML, &d);
	const struct sp_node *r = sp_doc_root(doc);
	const struct sp_node *m = at(r, "m");
	cr_assert_eq(m->n, 4);
	cr_assert_eq(at(m, "a")->integer, 1);
	cr_assert_eq(at(m, "b")->integer, 1);
	cr_assert_eq(at(m, "c")->integer, 2);
	cr_assert_eq(at(m, "d")->integer, 4);
	cr_assert_eq(at(at(r, "inline"), "z")->integer, 26);
	cr_assert_eq(at(at(r, "later"), "z")->integer, 26, "an anchored merge source survives");
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_merge_key_with_a_scalar_is_an_error)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("m:\n  <<: 5\n", SP_DOC_YAML, NULL, &d);
	ASSERT_DIAG(e, "DOC_YAML_MERGE", 2, 7);
	cr_assert_not_null(strstr(e->message, "integer"));
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("b: &b [x]\nm:\n  <<: [{z: 3}, *b]\n", SP_DOC_YAML, NULL, &d);
	ASSERT_DIAG(e, "DOC_YAML_MERGE", 3, 16);
	cr_assert_not_null(strstr(e->message, "not a list"), "%s", e->message);
	sp_diags_free(&d);
}

Test(doc, yaml_undefined_and_recursive_aliases_are_errors)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("a: 1\nb: *nope\n", SP_DOC_YAML, NULL, &d);
	ASSERT_DIAG(e, "DOC_YAML_SYNTAX", 2, 4);
	cr_assert_str_eq(e->message, "alias *nope names no anchor");
	cr_assert_str_eq(e->path, "/b");
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("a: &x [1, *x]\n", SP_DOC_YAML, NULL, &d);
	ASSERT_DIAG(e, "DOC_YAML_SYNTAX", 1, 11);
	cr_assert_not_null(strstr(e->message, "contains it"));
	sp_diags_free(&d);
}

Test(doc, yaml_complex_keys_are_refused)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("? [a, b]\n: c\n", SP_DOC_YAML, NULL, &d);
	ASSERT_DIAG(e, "DOC_YAML_SYNTAX", 1, 3);
	cr_assert_not_null(strstr(e->message, "must be a scalar"));
	sp_diags_free(&d);
}

/* ---- YAML errors and warnings --------------------------------------------------- */

Test(doc, yaml_syntax_error_has_libyaml_problem_and_position)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("a:\n  b: 1\n c: 2\n", SP_DOC_YAML, NULL, &d);
	cr_assert_str_eq(e->code, "DOC_YAML_SYNTAX");
	cr_assert_eq(e->line, 3);
	cr_assert_eq(e->column, 2);
	cr_assert_not_null(strstr(e->message, "did not find expected key"), "%s", e->message);
	cr_assert_not_null(e->hint);
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("a: 'open\nb: 2\n", SP_DOC_YAML, NULL, &d);
	cr_assert_str_eq(e->code, "DOC_YAML_SYNTAX");
	cr_assert_not_null(strstr(e->message, "while scanning a quoted scalar"), "%s",
			   e->message);
	cr_assert_not_null(strstr(e->message, "line 1, column 4"), "%s", e->message);
	sp_diags_free(&d);
}

Test(doc, yaml_tab_indentation_is_a_located_syntax_error)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("a:\n\tb: 1\n", SP_DOC_YAML, NULL, &d);
	cr_assert_str_eq(e->code, "DOC_YAML_SYNTAX");
	cr_assert_eq(e->line, 2);
	cr_assert_eq(e->column, 1);
	cr_assert_not_null(strstr(e->hint, "tabs"), "%s", e->hint);
	sp_diags_free(&d);
}

Test(doc, yaml_control_character_is_located)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err_n("a: 1\nb: x\x01y\n", 12, SP_DOC_YAML, NULL, &d);
	ASSERT_DIAG(e, "DOC_YAML_SYNTAX", 2, 5);
	cr_assert_str_eq(e->message, "control character U+0001 is not allowed in YAML");
	sp_diags_free(&d);
}

Test(doc, yaml_duplicate_key_warns_and_later_wins)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("a: 1\nb: 2\na: 3\n", SP_DOC_YAML, &d);
	cr_assert_eq(d.n, 1);
	ASSERT_DIAG(&d.items[0], "DOC_DUPLICATE_KEY", 3, 1);
	cr_assert_not_null(strstr(d.items[0].hint, "line 1, column 1"));
	cr_assert_eq(at(sp_doc_root(doc), "a")->integer, 3);
	cr_assert_eq(sp_doc_root(doc)->n, 2);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, yaml_second_document_is_ignored_with_a_warning)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("---\na: 1\n---\nb: 2\n", SP_DOC_YAML, &d);
	cr_assert_eq(d.n, 1);
	ASSERT_DIAG(&d.items[0], "DOC_MULTIPLE_DOCUMENTS", 3, 1);
	cr_assert_eq(d.items[0].severity, SP_SEV_WARNING);
	cr_assert_not_null(sp_node_get(sp_doc_root(doc), "a"));
	cr_assert_null(sp_node_get(sp_doc_root(doc), "b"));
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, invalid_utf8_is_located_at_the_bad_byte)
{
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err("a: é\nb: x\xC3(\n", SP_DOC_YAML, NULL, &d);
	ASSERT_DIAG(e, "DOC_NOT_UTF8", 2, 5);
	cr_assert_str_eq(e->message, "byte 0xC3 is not valid UTF-8");
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("{\"a\": \"\xED\xA0\x80\"}", SP_DOC_JSON, NULL, &d); /* a surrogate */
	ASSERT_DIAG(e, "DOC_NOT_UTF8", 1, 8);
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("\xFF\xFE{}", SP_DOC_AUTO, NULL, &d); /* UTF-16 */
	ASSERT_DIAG(e, "DOC_NOT_UTF8", 1, 1);
	sp_diags_free(&d);
}

/* ---- limits --------------------------------------------------------------------- */

Test(doc, limit_input_size_is_refused)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc_limits lim = small_limits();
	lim.max_input = 8;
	const struct sp_diag *e = load_err("{\"a\": 12345}", SP_DOC_JSON, &lim, &d);
	ASSERT_DIAG(e, "DOC_TOO_LARGE", 0, 0);
	cr_assert_str_eq(e->message, "the file is 12 bytes, more than the limit of 8 bytes");
	cr_assert_not_null(e->hint);
	sp_diags_free(&d);
}

Test(doc, limit_depth_is_refused_in_json_and_yaml)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc_limits lim = small_limits();
	lim.max_depth = 3;
	struct sp_doc *doc = NULL;
	cr_assert_eq(sp_doc_load("[[[1]]]", 7, "t", SP_DOC_JSON, &lim, &d, &doc), 0);
	sp_doc_free(doc);
	const struct sp_diag *e = load_err("[[[[1]]]]", SP_DOC_JSON, &lim, &d);
	ASSERT_DIAG(e, "DOC_TOO_DEEP", 1, 4);
	cr_assert_str_eq(e->message, "nesting is deeper than the limit of 3 levels");
	cr_assert_str_eq(e->path, "/0/0/0");
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("a:\n  b:\n    c:\n      d: 1\n", SP_DOC_YAML, &lim, &d);
	ASSERT_DIAG(e, "DOC_TOO_DEEP", 4, 7);
	cr_assert_str_eq(e->path, "/a/b/c");
	sp_diags_free(&d);
}

Test(doc, limit_depth_default_refuses_65_levels_and_accepts_64)
{
	char buf[512];
	struct sp_diags d;
	sp_diags_init(&d);
	size_t n = 0;
	for (int i = 0; i < SP_DOC_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 0; i < SP_DOC_MAX_DEPTH; i++)
		buf[n++] = ']';
	struct sp_doc *doc = load_ok_n(buf, n, SP_DOC_JSON, &d);
	sp_doc_free(doc);
	n = 0;
	for (int i = 0; i <= SP_DOC_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 0; i <= SP_DOC_MAX_DEPTH; i++)
		buf[n++] = ']';
	const struct sp_diag *e = load_err_n(buf, n, SP_DOC_JSON, NULL, &d);
	ASSERT_DIAG(e, "DOC_TOO_DEEP", 1, SP_DOC_MAX_DEPTH + 1);
	sp_diags_free(&d);
	/* the same in YAML flow style */
	sp_diags_init(&d);
	n = 0;
	buf[n++] = 'a';
	buf[n++] = ':';
	buf[n++] = ' ';
	for (int i = 0; i < SP_DOC_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 0; i < SP_DOC_MAX_DEPTH; i++)
		buf[n++] = ']';
	e = load_err_n(buf, n, SP_DOC_YAML, NULL, &d);
	cr_assert_str_eq(e->code, "DOC_TOO_DEEP");
	sp_diags_free(&d);
}

Test(doc, limit_node_count_is_refused)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc_limits lim = small_limits();
	lim.max_nodes = 5;
	struct sp_doc *doc = NULL;
	cr_assert_eq(sp_doc_load("[1, 2, 3, 4]", 12, "t", SP_DOC_JSON, &lim, &d, &doc), 0);
	sp_doc_free(doc);
	const struct sp_diag *e = load_err("[1, 2, 3, 4, 5]", SP_DOC_JSON, &lim, &d);
	ASSERT_DIAG(e, "DOC_TOO_MANY_NODES", 1, 14);
	cr_assert_str_eq(e->message,
			 "the document has more than 5 nodes (values, keys and items)");
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("a: 1\nb: 2\nc: 3\n", SP_DOC_YAML, &lim, &d);
	ASSERT_DIAG(e, "DOC_TOO_MANY_NODES", 3, 1);
	sp_diags_free(&d);
}

Test(doc, limit_alias_nodes_stops_a_billion_laughs_with_the_defaults)
{
	const char *s = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
			"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	struct sp_diags d;
	sp_diags_init(&d);
	const struct sp_diag *e = load_err(s, SP_DOC_YAML, NULL, &d);
	cr_assert_str_eq(e->code, "DOC_ALIAS_BOMB");
	cr_assert_eq(e->line, 4, "line %d", e->line);
	cr_assert_not_null(strstr(e->message, "10000"));
	sp_diags_free(&d);
}

Test(doc, limit_alias_nodes_custom)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc_limits lim = small_limits();
	lim.max_alias_nodes = 4;
	struct sp_doc *doc = NULL;
	const char *ok = "a: &a [1, 2, 3]\nb: *a\n";
	cr_assert_eq(sp_doc_load(ok, strlen(ok), "t", SP_DOC_YAML, &lim, &d, &doc), 0);
	sp_doc_free(doc);
	const struct sp_diag *e = load_err("a: &a [1, 2, 3]\nb: *a\nc: *a\n", SP_DOC_YAML, &lim, &d);
	ASSERT_DIAG(e, "DOC_ALIAS_BOMB", 3, 4);
	cr_assert_str_eq(e->message, "aliases expand to more than the limit of 4 nodes");
	sp_diags_free(&d);
}

Test(doc, limit_scalar_length_is_refused)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc_limits lim = small_limits();
	lim.max_scalar = 4;
	struct sp_doc *doc = NULL;
	cr_assert_eq(sp_doc_load("[\"abcd\"]", 8, "t", SP_DOC_JSON, &lim, &d, &doc), 0);
	sp_doc_free(doc);
	const struct sp_diag *e = load_err("[\"ab\", \"abcde\"]", SP_DOC_JSON, &lim, &d);
	ASSERT_DIAG(e, "DOC_SCALAR_TOO_LONG", 1, 8);
	cr_assert_str_eq(e->path, "/1");
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("k: |\n  abcdef\n", SP_DOC_YAML, &lim, &d);
	ASSERT_DIAG(e, "DOC_SCALAR_TOO_LONG", 1, 4);
	sp_diags_free(&d);
	sp_diags_init(&d);
	e = load_err("[123456]", SP_DOC_JSON, &lim, &d);
	ASSERT_DIAG(e, "DOC_SCALAR_TOO_LONG", 1, 2);
	sp_diags_free(&d);
}

/* ---- helpers of doc.h ----------------------------------------------------------- */

Test(doc, node_path_escapes_tilde_and_slash)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc =
		load_ok("{\"a/b\": {\"m~n\": [0, {\"\": {\"~/\": 1}}]}}", SP_DOC_JSON, &d);
	const struct sp_node *v =
		at(at(item(at(at(sp_doc_root(doc), "a/b"), "m~n"), 1), ""), "~/");
	struct sp_buf p = SP_BUF_INIT(0);
	cr_assert_eq(sp_node_path(v, &p), 0);
	cr_assert_str_eq(sp_buf_cstr(&p), "/a~1b/m~0n/1//~0~1");
	cr_assert_eq(sp_node_path(sp_doc_root(doc), &p), 0);
	cr_assert_str_eq(sp_buf_cstr(&p), "");
	cr_assert_eq(sp_node_path(sp_node_key(at(sp_doc_root(doc), "a/b"), "m~n"), &p), 0);
	cr_assert_str_eq(sp_buf_cstr(&p), "/a~1b/m~0n", "a key's path is its value's");
	sp_buf_free(&p);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, node_get_and_key_find_by_exact_key)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("a: 1\nA: 2\n1: one\n", SP_DOC_YAML, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_eq(sp_node_get(r, "a")->integer, 1);
	cr_assert_eq(sp_node_get(r, "A")->integer, 2);
	cr_assert_str_eq(sp_node_get(r, "1")->text, "one");
	cr_assert_eq(sp_node_key(r, "1")->type, SP_NODE_INT);
	cr_assert_null(sp_node_get(r, "b"));
	cr_assert_null(sp_node_get(sp_node_get(r, "a"), "x"), "not a map");
	cr_assert_null(sp_node_get(NULL, "a"));
	cr_assert(sp_node_is_scalar(sp_node_get(r, "a")));
	cr_assert_not(sp_node_is_scalar(r));
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, node_type_names)
{
	cr_assert_str_eq(sp_node_type_name(SP_NODE_NULL), "null");
	cr_assert_str_eq(sp_node_type_name(SP_NODE_BOOL), "boolean");
	cr_assert_str_eq(sp_node_type_name(SP_NODE_INT), "integer");
	cr_assert_str_eq(sp_node_type_name(SP_NODE_REAL), "number");
	cr_assert_str_eq(sp_node_type_name(SP_NODE_STRING), "string");
	cr_assert_str_eq(sp_node_type_name(SP_NODE_SEQ), "list");
	cr_assert_str_eq(sp_node_type_name(SP_NODE_MAP), "mapping");
}

Test(doc, node_to_json_matches_jansson_for_json_input)
{
	const char *s = "{\"a\": [1, -2.5, true, false, null, \"x\\u0000y\"], \"b\": {\"c\": {}},"
			" \"d\": [], \"e\": 1e2}";
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok(s, SP_DOC_JSON, &d);
	json_t *mine = sp_node_to_json(sp_doc_root(doc));
	json_error_t err;
	json_t *ref = json_loads(s, JSON_ALLOW_NUL, &err);
	cr_assert_not_null(mine);
	cr_assert_not_null(ref);
	cr_assert(json_equal(mine, ref));
	json_decref(mine);
	json_decref(ref);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, node_to_json_converts_yaml_types)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc =
		load_ok("a: yes\nb: 0x10\nc: 1.5\nd: ~\ne: [x, 'y']\nf: .inf\n", SP_DOC_YAML, &d);
	json_t *j = sp_node_to_json(sp_doc_root(doc));
	cr_assert_not_null(j);
	char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	cr_assert_str_eq(text, "{\"a\":true,\"b\":16,\"c\":1.5,\"d\":null,\"e\":[\"x\",\"y\"],"
			       "\"f\":null}");
	free(text);
	json_decref(j);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, diag_node_locates_file_line_column_and_path)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("{\n  \"containerDefinitions\": [\n    {\"name\": 5}\n  ]\n}",
				     SP_DOC_JSON, &d);
	const struct sp_node *v =
		at(item(at(sp_doc_root(doc), "containerDefinitions"), 0), "name");
	cr_assert_eq(sp_diag_node(&d, SP_SEV_ERROR, "TEST_CODE", doc, v, "use a string",
				  "name must be a string, not %s", sp_node_type_name(v->type)),
		     0);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.items[0].file, "t.file");
	cr_assert_eq(d.items[0].line, 3);
	cr_assert_eq(d.items[0].column, 14);
	cr_assert_str_eq(d.items[0].path, "/containerDefinitions/0/name");
	cr_assert_str_eq(d.items[0].message, "name must be a string, not integer");
	cr_assert_str_eq(d.items[0].hint, "use a string");
	cr_assert_eq(sp_diag_node(&d, SP_SEV_NOTE, "TEST_FILE", doc, NULL, NULL, "whole file"), 0);
	cr_assert_eq(d.items[1].line, 0);
	cr_assert_str_eq(d.items[1].path, "");
	struct sp_buf pb = SP_BUF_INIT(0);
	struct sp_loc loc = sp_node_loc(doc, v, &pb);
	cr_assert_str_eq(loc.file, "t.file");
	cr_assert_str_eq(loc.path, "/containerDefinitions/0/name");
	cr_assert_eq(loc.line, 3);
	sp_buf_free(&pb);
	sp_doc_free(doc);
	sp_diags_free(&d);
}

Test(doc, load_file_reads_names_and_refuses_missing_or_large_files)
{
	char path[] = "/tmp/sprout-test-doc-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *s = "a: [1, 2]\n";
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = NULL;
	cr_assert_eq(sp_doc_load_file(path, "shown.yml", SP_DOC_AUTO, NULL, &d, &doc), 0);
	cr_assert_str_eq(sp_doc_file(doc), "shown.yml");
	cr_assert_eq(item(at(sp_doc_root(doc), "a"), 1)->integer, 2);
	sp_doc_free(doc);
	doc = NULL;
	struct sp_doc_limits lim = small_limits();
	lim.max_input = 4;
	cr_assert_eq(sp_doc_load_file(path, NULL, SP_DOC_AUTO, &lim, &d, &doc), SP_ERROR);
	cr_assert_null(doc);
	ASSERT_DIAG(&d.items[0], "DOC_TOO_LARGE", 0, 0);
	cr_assert_str_eq(d.items[0].file, path);
	unlink(path);
	cr_assert_eq(sp_doc_load_file(path, "gone.json", SP_DOC_AUTO, NULL, &d, &doc), SP_EIO);
	cr_assert_null(doc);
	cr_assert_str_eq(d.items[1].code, "DOC_READ_FAILED");
	cr_assert_str_eq(d.items[1].file, "gone.json");
	sp_diags_free(&d);
}

Test(doc, parents_and_indexes_link_every_node)
{
	struct sp_diags d;
	sp_diags_init(&d);
	struct sp_doc *doc = load_ok("a:\n  - x\n  - {b: 1, c: [2]}\n", SP_DOC_YAML, &d);
	const struct sp_node *r = sp_doc_root(doc);
	cr_assert_null(r->parent);
	const struct sp_node *seq = at(r, "a");
	cr_assert_eq(seq->parent, r);
	cr_assert_eq(item(seq, 1)->parent, seq);
	cr_assert_eq(item(seq, 1)->index, 1);
	cr_assert_eq(sp_node_key(item(seq, 1), "c")->parent, item(seq, 1));
	cr_assert_eq(at(item(seq, 1), "c")->index, 1);
	sp_doc_free(doc);
	sp_diags_free(&d);
}
