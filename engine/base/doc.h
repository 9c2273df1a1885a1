/* doc.h — YAML and JSON documents as one tree whose every node keeps its line and column.
 *
 * jansson has no positions and libyaml has no tree, so sprout builds its own:
 *  - JSON (chosen by SP_DOC_JSON, or by SP_DOC_AUTO when the first non-blank byte is
 *    '{' or '['): parsed strictly per RFC 8259 by doc.c's own positioned parser, with
 *    jansson's strict parser as the oracle of what is valid JSON. Duplicate keys are
 *    reported (DOC_DUPLICATE_KEY, warning, at the second key, with a note naming the
 *    first), never silently dropped; the later value wins, as jansson and EB do.
 *  - YAML (SP_DOC_YAML, or SP_DOC_AUTO otherwise): libyaml's event stream; YAML 1.1
 *    scalar resolution as PyYAML does it (EB's own loader): null/~, true/false/yes/no/
 *    on/off, ints, floats; quoted scalars are always strings. Anchors and aliases are
 *    expanded (copies whose root is located at the alias), bounded by max_alias_nodes;
 *    merge keys (<<) are applied. Duplicate keys are DOC_DUPLICATE_KEY as in JSON. Only
 *    the first document of a stream is used; a second one is DOC_MULTIPLE_DOCUMENTS
 *    (warning). After loading, every mapping holds each key once.
 * docs/documents.md has the details, every code and every limit.
 *
 * Limits (struct sp_doc_limits, SP_DOC_LIMITS_DEFAULT): input size, nesting depth, node
 * count, nodes produced through aliases, scalar length. Crossing one is an error
 * diagnostic (DOC_TOO_LARGE, DOC_TOO_DEEP, DOC_TOO_MANY_NODES, DOC_ALIAS_BOMB,
 * DOC_SCALAR_TOO_LONG) and the load fails.
 *
 * Syntax errors: DOC_JSON_SYNTAX / DOC_YAML_SYNTAX at the offending line:column. Input
 * that is not valid UTF-8: DOC_NOT_UTF8. A UTF-8 BOM is skipped. CRLF counts as one line
 * break. Columns count characters (code points), 1-based.
 *
 * Ownership: sp_doc_load gives the caller a struct sp_doc (free with sp_doc_free) that
 * owns every node. Nodes are read-only for users of the tree.
 */
#ifndef SPROUT_DOC_H
#define SPROUT_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/diag.h"

enum sp_doc_format {
	SP_DOC_AUTO = 0,
	SP_DOC_JSON,
	SP_DOC_YAML,
};

enum sp_node_type {
	SP_NODE_NULL = 0,
	SP_NODE_BOOL,
	SP_NODE_INT,
	SP_NODE_REAL,
	SP_NODE_STRING,
	SP_NODE_SEQ,
	SP_NODE_MAP,
};

struct sp_node {
	enum sp_node_type type;
	int line, column;        /* 1-based position of the node's first character */
	/* Scalars: the text as written after unquoting/unescaping (NUL-terminated; may hold
	 * embedded NULs for JSON "\u0000", hence text_len). NULL for SEQ and MAP. */
	char *text;
	size_t text_len;
	bool quoted;             /* a quoted scalar (JSON string, YAML '...' or "...") */
	bool boolean;            /* SP_NODE_BOOL */
	int64_t integer;         /* SP_NODE_INT (also set for REAL values that are integral) */
	double real;             /* SP_NODE_REAL and SP_NODE_INT */
	char *tag;               /* explicit YAML tag as written ("!Ref"), else NULL */
	/* SEQ: n items. MAP: n pairs, keys[i] -> items[i], in document order; keys are
	 * scalar nodes with their own positions. */
	size_t n;
	struct sp_node **items;
	struct sp_node **keys;
	struct sp_node *parent;  /* NULL for the root */
	size_t index;            /* position in the parent's items */
};

struct sp_doc_limits {
	size_t max_input;        /* MAX_DOC_INPUT bytes */
	size_t max_depth;        /* MAX_DOC_DEPTH nesting levels */
	size_t max_nodes;        /* MAX_DOC_NODES nodes in total */
	size_t max_alias_nodes;  /* MAX_DOC_ALIAS_NODES nodes created by alias expansion */
	size_t max_scalar;       /* MAX_DOC_SCALAR bytes in one scalar */
};

#define SP_DOC_MAX_INPUT ((size_t)4 << 20)
#define SP_DOC_MAX_DEPTH 64
#define SP_DOC_MAX_NODES 200000
#define SP_DOC_MAX_ALIAS_NODES 10000
#define SP_DOC_MAX_SCALAR ((size_t)1 << 20)
#define SP_DOC_LIMITS_DEFAULT                                                              \
	((struct sp_doc_limits){ SP_DOC_MAX_INPUT, SP_DOC_MAX_DEPTH, SP_DOC_MAX_NODES,     \
				 SP_DOC_MAX_ALIAS_NODES, SP_DOC_MAX_SCALAR })

struct sp_doc; /* opaque: owns the tree */

/* Loads data (len bytes, need not be NUL-terminated) named `file` in diagnostics.
 * limits may be NULL for the defaults. On success *out is set (the root may be a NULL
 * node for an empty YAML file) and 0 returned; warnings may still have been added.
 * On failure, errors are in d and SP_ERROR (or SP_ENOMEM) is returned. */
int sp_doc_load(const char *data, size_t len, const char *file, enum sp_doc_format fmt,
		const struct sp_doc_limits *limits, struct sp_diags *d, struct sp_doc **out);
/* Reads the file (at most limits->max_input bytes) and loads it; display_name (or path
 * when NULL) names it in diagnostics. A file that cannot be read is DOC_READ_FAILED and
 * SP_EIO (errno kept); one larger than max_input is DOC_TOO_LARGE and SP_ERROR. */
int sp_doc_load_file(const char *path, const char *display_name, enum sp_doc_format fmt,
		     const struct sp_doc_limits *limits, struct sp_diags *d,
		     struct sp_doc **out);
void sp_doc_free(struct sp_doc *doc);

const struct sp_node *sp_doc_root(const struct sp_doc *doc);
const char *sp_doc_file(const struct sp_doc *doc);
enum sp_doc_format sp_doc_format_of(const struct sp_doc *doc); /* JSON or YAML */

/* Map lookup by exact key; NULL when absent or when m is not a map. With duplicate keys
 * the last one wins. */
const struct sp_node *sp_node_get(const struct sp_node *m, const char *key);
/* Same, returning the key node (for positions). */
const struct sp_node *sp_node_key(const struct sp_node *m, const char *key);
/* For messages: "null", "boolean", "integer", "number", "string", "list", "mapping". */
const char *sp_node_type_name(enum sp_node_type t);
bool sp_node_is_scalar(const struct sp_node *n);

/* The JSON pointer of a node ("" for the root; "~" and "/" escaped per RFC 6901) into
 * out, which is reset first. A key node has the path of its value. */
int sp_node_path(const struct sp_node *n, struct sp_buf *out);
/* A location for diagnostics: file of the doc, node's line/column, path (the returned
 * loc's path points into `pathbuf`, which must outlive it). */
struct sp_loc sp_node_loc(const struct sp_doc *doc, const struct sp_node *n,
			  struct sp_buf *pathbuf);

/* Adds a diagnostic located at node n of doc (file, line, column, JSON path). n may be
 * NULL (then only the file is named). */
int sp_diag_node(struct sp_diags *d, enum sp_severity sev, const char *code,
		 const struct sp_doc *doc, const struct sp_node *n, const char *hint,
		 const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Converts a subtree to jansson (integers as json_integer, reals as json_real; NaN and
 * infinities, which JSON cannot hold, as null). NULL on allocation failure. */
json_t *sp_node_to_json(const struct sp_node *n);

#endif
