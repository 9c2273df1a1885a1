/* doc_json.c — a strict RFC 8259 parser that records the line and column of every value
 * and key, so that diagnostics can point into Dockerrun.aws.json and JSON .config files.
 *
 * It is iterative (the builder's frames are its stack) and reports the first problem
 * with a message meant for the person who wrote the file. jansson then parses the same
 * bytes as the oracle of validity: if it refuses something this parser accepted, its
 * message is reported (DOC_JSON_SYNTAX) and the load fails. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/buf.h"
#include "engine/base/doc.h"
#include "engine/base/doc_internal.h"
#include "engine/base/banned.h"

#define JSON_SYNTAX "DOC_JSON_SYNTAX"

struct jp {
	struct doc_builder *b;
	const char *s;
	size_t n, i;
	int line, column; /* of s[i] */
	bool cr;          /* s[i-1] was '\r' */
};

enum jp_state {
	JP_VALUE, /* a value comes next */
	JP_KEY,   /* an object key comes next */
	JP_AFTER, /* a value just ended */
	JP_DONE,
};

static void jp_adv(struct jp *p)
{
	unsigned char c = (unsigned char)p->s[p->i++];
	if (c == '\r') {
		p->line++;
		p->column = 1;
		p->cr = true;
		return;
	}
	if (c == '\n') {
		if (!p->cr)
			p->line++;
		p->column = 1;
	} else if ((c & 0xC0) != 0x80) {
		p->column++;
	}
	p->cr = false;
}

static bool jp_eof(const struct jp *p)
{
	return p->i >= p->n;
}

static char jp_peek(const struct jp *p)
{
	return p->i < p->n ? p->s[p->i] : '\0';
}

static void jp_skip_ws(struct jp *p)
{
	while (p->i < p->n) {
		char c = p->s[p->i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		jp_adv(p);
	}
}

/* "'x'", "a tab", "U+00A0", "the end of the input": what stands at the cursor. */
static const char *jp_here(const struct jp *p, char *buf, size_t sz)
{
	doc_describe_char(p->s + p->i, p->n - p->i, buf, sz);
	return buf;
}

static int jp_error(struct jp *p, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int jp_error(struct jp *p, const char *hint, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return doc_error(p->b, JSON_SYNTAX, p->line, p->column, hint, "%s", msg);
}

/* The innermost open bracket, for hints about what is left unclosed. */
static const struct sp_node *jp_open(const struct jp *p)
{
	return p->b->depth ? p->b->frames[p->b->depth - 1].node : NULL;
}

static int jp_unexpected_end(struct jp *p)
{
	const struct sp_node *o = jp_open(p);
	char hint[128];
	if (!o)
		return jp_error(p, "a JSON document holds one value, for example {}",
				"the document is empty");
	snprintf(hint, sizeof(hint), "the '%c' at line %d, column %d is never closed",
		 o->type == SP_NODE_MAP ? '{' : '[', o->line, o->column);
	return jp_error(p, hint, "unexpected end of the input");
}

static const char *hint_for_value_start(char c)
{
	switch (c) {
	case '\'':
		return "JSON strings are written in double quotes: \"text\"";
	case '/':
	case '#':
		return "JSON does not allow comments; remove them";
	case '+':
		return "JSON numbers have no leading '+'; write 1, not +1";
	case '.':
		return "JSON numbers need a digit before the point; write 0.5, not .5";
	case '}':
	case ']':
	case ',':
	case ':':
		return "a value is missing here";
	default:
		return "a value is a string in double quotes, a number, true, false, null, an "
		       "object {...} or an array [...]";
	}
}

/* Appends the UTF-8 encoding of cp (a valid scalar value). */
static int put_utf8(struct sp_buf *out, uint32_t cp)
{
	char u[4];
	size_t w;
	if (cp < 0x80) {
		u[0] = (char)cp;
		w = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		w = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		w = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		w = 4;
	}
	return sp_buf_append(out, u, w);
}

/* Reads the 4 hex digits after "\u"; -1 when they are not there. */
static long jp_hex4(const struct jp *p, size_t at)
{
	if (p->n - at < 4 || at > p->n)
		return -1;
	long v = 0;
	for (size_t k = 0; k < 4; k++) {
		char c = p->s[at + k];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* One escape sequence at the cursor ('\\'); appends what it stands for. */
static int jp_escape(struct jp *p, struct sp_buf *out)
{
	static const char valid[] =
		"valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX; write a "
		"backslash as \\\\";
	int rc = 0;
	char e = p->i + 1 < p->n ? p->s[p->i + 1] : '\0';
	const char *plain = strchr("\"\\/bfnrt", e);
	if (e && plain) {
		static const char decoded[] = "\"\\/\b\f\n\r\t";
		rc = sp_buf_putc(out, decoded[plain - "\"\\/bfnrt"]);
		jp_adv(p);
		jp_adv(p);
		return rc ? doc_fail(p->b, SP_ENOMEM) : 0;
	}
	if (e != 'u') {
		char what[32];
		if (p->i + 1 >= p->n)
			return jp_unexpected_end(p);
		doc_describe_char(p->s + p->i + 1, p->n - p->i - 1, what, sizeof(what));
		return jp_error(p, valid, "invalid escape: a backslash followed by %s", what);
	}
	long hi = jp_hex4(p, p->i + 2);
	if (hi < 0)
		return jp_error(p, "\\u needs exactly four hexadecimal digits, as in \\u00e9",
				"invalid \\u escape");
	uint32_t cp = (uint32_t)hi;
	size_t width = 6;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return jp_error(p, "a \\uDC00-\\uDFFF escape must follow a \\uD800-\\uDBFF one",
				"invalid \\u escape: lone low surrogate \\u%04lX", hi);
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		long lo = -1;
		if (p->i + 7 < p->n && p->s[p->i + 6] == '\\' && p->s[p->i + 7] == 'u')
			lo = jp_hex4(p, p->i + 8);
		if (lo < 0xDC00 || lo > 0xDFFF)
			return jp_error(p,
					"a character above U+FFFF is written as a surrogate pair, "
					"as in \\ud83d\\ude00",
					"invalid \\u escape: lone high surrogate \\u%04lX", hi);
		cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
		width = 12;
	}
	for (size_t k = 0; k < width; k++)
		jp_adv(p);
	return put_utf8(out, cp) ? doc_fail(p->b, SP_ENOMEM) : 0;
}

/* A string at the cursor ('"') into a new STRING node. */
static int jp_string(struct jp *p, struct sp_node **out)
{
	struct sp_buf text = SP_BUF_INIT(0);
	struct sp_node *n = NULL;
	int line = p->line, column = p->column;
	size_t max = p->b->lim->max_scalar;
	int rc = 0;
	jp_adv(p);
	for (;;) {
		if (jp_eof(p)) {
			rc = doc_error(p->b, JSON_SYNTAX, line, column,
				       "add the closing '\"' of this string",
				       "unterminated string");
			goto out;
		}
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '"') {
			jp_adv(p);
			break;
		}
		if (c == '\\') {
			rc = jp_escape(p, &text);
		} else if (c < 0x20) {
			if (c == '\n' || c == '\r')
				rc = doc_error(p->b, JSON_SYNTAX, line, column,
					       "close the string before the end of the line; "
					       "write a line break inside a string as \\n",
					       "unterminated string: the line ends before the "
					       "closing '\"'");
			else
				rc = jp_error(p,
					      c == '\t' ? "write a tab inside a string as \\t"
							: "write control characters as \\u escapes",
					      "control character U+%04X inside a string",
					      (unsigned)c);
		} else {
			size_t start = p->i;
			while (p->i < p->n && p->s[p->i] != '"' && p->s[p->i] != '\\' &&
			       (unsigned char)p->s[p->i] >= 0x20)
				jp_adv(p);
			if (sp_buf_append(&text, p->s + start, p->i - start))
				rc = doc_fail(p->b, SP_ENOMEM);
		}
		if (rc)
			goto out;
		if (text.len > max) {
			rc = doc_error(p->b, "DOC_SCALAR_TOO_LONG", line, column,
				       "shorten the value or keep the data in a separate file; "
				       "the limit protects sprout from hostile input",
				       "a string longer than the limit of %zu bytes", max);
			goto out;
		}
	}
	n = doc_node_new(p->b, SP_NODE_STRING, line, column);
	if (!n) {
		rc = p->b->rc;
		goto out;
	}
	n->quoted = true;
	if (sp_buf_detach(&text, &n->text, &n->text_len)) {
		rc = doc_fail(p->b, SP_ENOMEM);
		goto out;
	}
	*out = n;
	n = NULL;
out:
	doc_node_free(n);
	sp_buf_free(&text);
	return rc;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void jp_digits(struct jp *p)
{
	while (p->i < p->n && is_digit(p->s[p->i]))
		jp_adv(p);
}

/* A number at the cursor ('-' or a digit). */
static int jp_number(struct jp *p, struct sp_node **out)
{
	static const char range_hint[] =
		"JSON integers here must fit in 64 bits; write the value as a string if "
		"it is an identifier";
	int line = p->line, column = p->column;
	size_t start = p->i;
	bool integral = true;
	if (jp_peek(p) == '-')
		jp_adv(p);
	if (jp_peek(p) == '0') {
		jp_adv(p);
		if (is_digit(jp_peek(p)))
			return doc_error(p->b, JSON_SYNTAX, line, column,
					 "write 7, not 07; write the value as a string if the "
					 "zeros matter",
					 "numbers cannot have leading zeros");
	} else if (is_digit(jp_peek(p))) {
		jp_digits(p);
	} else {
		return jp_error(p, "a '-' must be followed by digits, as in -1",
				"expected a digit after '-'");
	}
	if (jp_peek(p) == '.') {
		integral = false;
		jp_adv(p);
		if (!is_digit(jp_peek(p)))
			return jp_error(p, "write 1.0 or 1, not 1.",
					"expected a digit after the decimal point");
		jp_digits(p);
	}
	if (jp_peek(p) == 'e' || jp_peek(p) == 'E') {
		integral = false;
		jp_adv(p);
		if (jp_peek(p) == '+' || jp_peek(p) == '-')
			jp_adv(p);
		if (!is_digit(jp_peek(p)))
			return jp_error(p, "an exponent needs digits, as in 1e6",
					"expected a digit in the exponent");
		jp_digits(p);
	}
	size_t len = p->i - start;
	const char *t = p->s + start;
	struct sp_node *n = doc_node_new(p->b, integral ? SP_NODE_INT : SP_NODE_REAL, line, column);
	if (!n)
		return p->b->rc;
	int rc = doc_node_set_text(p->b, n, t, len);
	if (rc)
		goto fail;
	if (integral) {
		bool neg = t[0] == '-';
		uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		for (size_t k = neg; k < len; k++) {
			unsigned d = (unsigned)(t[k] - '0');
			if (v > (lim - d) / 10) {
				rc = doc_error(p->b, JSON_SYNTAX, line, column, range_hint,
					       "integer %.*s is out of range",
					       (int)(len > 40 ? 40 : len), t);
				goto fail;
			}
			v = v * 10 + d;
		}
		n->integer = neg ? (int64_t)(0 - v) : (int64_t)v;
		n->real = (double)n->integer;
	} else {
		rc = doc_strtod(p->b, t, len, &n->real);
		if (rc == SP_ETOOBIG) {
			rc = doc_error(p->b, JSON_SYNTAX, line, column,
				       "the value is beyond what a double can hold; write it as "
				       "a string",
				       "number %.*s is out of range", (int)(len > 40 ? 40 : len), t);
			goto fail;
		}
		if (rc) {
			rc = doc_fail(p->b, rc == SP_ENOMEM ? SP_ENOMEM : SP_ERROR);
			goto fail;
		}
		doc_set_integral(n);
	}
	*out = n;
	return 0;
fail:
	doc_node_free(n);
	return rc;
}

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

/* true, false, null, or a helpful error about the word at the cursor. */
static int jp_literal(struct jp *p, struct sp_node **out)
{
	int line = p->line, column = p->column;
	size_t start = p->i, len = 0;
	while (start + len < p->n && is_word_char(p->s[start + len]))
		len++;
	const char *w = p->s + start;
	enum sp_node_type t;
	if (len == 4 && memcmp(w, "true", 4) == 0)
		t = SP_NODE_BOOL;
	else if (len == 5 && memcmp(w, "false", 5) == 0)
		t = SP_NODE_BOOL;
	else if (len == 4 && memcmp(w, "null", 4) == 0)
		t = SP_NODE_NULL;
	else {
		const char *hint = "write text as a string in double quotes";
		if ((len == 4 && strncasecmp(w, "true", 4) == 0) ||
		    (len == 5 && strncasecmp(w, "false", 5) == 0))
			hint = "JSON booleans are lowercase: true or false";
		else if ((len == 4 && strncasecmp(w, "null", 4) == 0) ||
			 (len == 4 && memcmp(w, "None", 4) == 0) ||
			 (len == 3 && memcmp(w, "nil", 3) == 0))
			hint = "JSON's null is lowercase: null";
		else if ((len == 3 && memcmp(w, "NaN", 3) == 0) ||
			 (len == 8 && memcmp(w, "Infinity", 8) == 0))
			hint = "JSON has no NaN or Infinity; use null or a string";
		return doc_error(p->b, JSON_SYNTAX, line, column, hint,
				 "unexpected word '%.*s'; expected a value",
				 (int)(len > 32 ? 32 : len), w);
	}
	for (size_t k = 0; k < len; k++)
		jp_adv(p);
	struct sp_node *n = doc_node_new(p->b, t, line, column);
	if (!n)
		return p->b->rc;
	n->boolean = t == SP_NODE_BOOL && w[0] == 't';
	int rc = doc_node_set_text(p->b, n, w, len);
	if (rc) {
		doc_node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

static int jp_container(struct jp *p, enum sp_node_type t, enum jp_state *st)
{
	struct sp_node *n = doc_node_new(p->b, t, p->line, p->column);
	if (!n)
		return p->b->rc;
	int rc = doc_open(p->b, n);
	if (rc)
		return rc;
	jp_adv(p);
	jp_skip_ws(p);
	char close = t == SP_NODE_MAP ? '}' : ']';
	if (jp_peek(p) == close && !jp_eof(p)) {
		jp_adv(p);
		*st = JP_AFTER;
		return doc_close(p->b);
	}
	*st = t == SP_NODE_MAP ? JP_KEY : JP_VALUE;
	return 0;
}

static int jp_value(struct jp *p, enum jp_state *st)
{
	char what[32];
	struct sp_node *n = NULL;
	int rc;
	jp_skip_ws(p);
	if (jp_eof(p))
		return jp_unexpected_end(p);
	char c = jp_peek(p);
	if (c == '{')
		return jp_container(p, SP_NODE_MAP, st);
	if (c == '[')
		return jp_container(p, SP_NODE_SEQ, st);
	if (c == '"')
		rc = jp_string(p, &n);
	else if (c == '-' || is_digit(c))
		rc = jp_number(p, &n);
	else if (is_word_char(c))
		rc = jp_literal(p, &n);
	else
		return jp_error(p, hint_for_value_start(c), "expected a value, found %s",
				jp_here(p, what, sizeof(what)));
	if (rc)
		return rc;
	*st = JP_AFTER;
	return doc_add(p->b, n);
}

static int jp_key(struct jp *p, enum jp_state *st)
{
	char what[32];
	struct sp_node *k = NULL;
	jp_skip_ws(p);
	if (jp_eof(p))
		return jp_unexpected_end(p);
	char c = jp_peek(p);
	if (c != '"') {
		const char *hint = c == '\'' ? "JSON keys are written in double quotes: \"name\""
				   : is_word_char(c)
					   ? "put the key in double quotes: \"name\": value"
					   : "an object member is \"key\": value";
		return jp_error(p, hint, "expected a key in double quotes, found %s",
				jp_here(p, what, sizeof(what)));
	}
	int rc = jp_string(p, &k);
	if (rc)
		return rc;
	rc = doc_add(p->b, k);
	if (rc)
		return rc;
	jp_skip_ws(p);
	if (jp_peek(p) != ':' || jp_eof(p)) {
		if (jp_eof(p))
			return jp_unexpected_end(p);
		return jp_error(p, "write a ':' between a key and its value: \"key\": value",
				"expected ':' after the object key, found %s",
				jp_here(p, what, sizeof(what)));
	}
	jp_adv(p);
	*st = JP_VALUE;
	return 0;
}

static int jp_after(struct jp *p, enum jp_state *st)
{
	char what[32], hint[160];
	jp_skip_ws(p);
	const struct sp_node *o = jp_open(p);
	if (!o) {
		if (jp_eof(p)) {
			*st = JP_DONE;
			return 0;
		}
		char c = jp_peek(p);
		return jp_error(p,
				c == '}' || c == ']'
					? "remove it: it closes nothing (a stray bracket)"
				: c == '/' || c == '#'
					? "JSON does not allow comments; remove them"
					: "a JSON document holds exactly one value; put several "
					  "values in an array",
				"unexpected %s after the end of the document",
				jp_here(p, what, sizeof(what)));
	}
	if (jp_eof(p))
		return jp_unexpected_end(p);
	bool map = o->type == SP_NODE_MAP;
	char close = map ? '}' : ']';
	char c = jp_peek(p);
	if (c == ',') {
		int line = p->line, column = p->column;
		jp_adv(p);
		jp_skip_ws(p);
		if (jp_peek(p) == close && !jp_eof(p))
			return doc_error(p->b, JSON_SYNTAX, line, column,
					 map ? "remove the comma after the last member; JSON does "
					       "not allow trailing commas"
					     : "remove the comma after the last element; JSON does "
					       "not allow trailing commas",
					 "trailing comma before '%c'", close);
		*st = map ? JP_KEY : JP_VALUE;
		return 0;
	}
	if (c == close) {
		jp_adv(p);
		*st = JP_AFTER;
		return doc_close(p->b);
	}
	if (c == '}' || c == ']')
		snprintf(hint, sizeof(hint),
			 "this '%c' does not match the '%c' at line %d, column %d; close that "
			 "one with '%c' first",
			 c, map ? '{' : '[', o->line, o->column, close);
	else if (c == '"' || c == '{' || c == '[' || c == '-' || is_word_char(c))
		snprintf(hint, sizeof(hint), "add a ',' between the %s",
			 map ? "members" : "elements");
	else if (c == '/' || c == '#')
		snprintf(hint, sizeof(hint), "JSON does not allow comments; remove them");
	else
		snprintf(hint, sizeof(hint), "separate %s with ',' and end the %s with '%c'",
			 map ? "members" : "elements", map ? "object" : "array", close);
	return jp_error(p, hint, "expected ',' or '%c' after %s, found %s", close,
			map ? "an object member" : "an array element",
			jp_here(p, what, sizeof(what)));
}

int doc_parse_json(struct doc_builder *b, const char *s, size_t n)
{
	struct jp p = { b, s, n, 0, 1, 1, false };
	enum jp_state st = JP_VALUE;
	int rc = 0;
	while (!rc && st != JP_DONE) {
		switch (st) {
		case JP_VALUE:
			rc = jp_value(&p, &st);
			break;
		case JP_KEY:
			rc = jp_key(&p, &st);
			break;
		case JP_AFTER:
			rc = jp_after(&p, &st);
			break;
		case JP_DONE:
			break;
		}
	}
	if (rc)
		return rc;
	/* the oracle: what jansson refuses is not JSON, whatever this parser thinks */
	json_error_t err;
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!j)
		return doc_error(b, JSON_SYNTAX, err.line > 0 ? err.line : 0,
				 err.column > 0 ? err.column : 0,
				 "the strict JSON parser refuses this document; fix the JSON "
				 "syntax here",
				 "%s", err.text);
	json_decref(j);
	return 0;
}
