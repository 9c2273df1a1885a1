/* doc_internal.h — what doc.c (tree, limits, diagnostics), doc_json.c and doc_yaml.c share.
 * Not part of the public API: only the three doc*.c files include it.
 *
 * Both parsers feed one builder: they create nodes with doc_node_new(), open containers
 * with doc_open(), hand finished nodes to doc_add() and close containers with
 * doc_close(). The builder enforces the limits, links parents, removes duplicate keys
 * (with a warning) and owns everything until the load succeeds. */
#ifndef SPROUT_DOC_INTERNAL_H
#define SPROUT_DOC_INTERNAL_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/base/doc.h"

/* Deepest nesting any load accepts, whatever limits say: the tree walkers recurse and
 * jansson (the JSON oracle) stops at 2048 too. */
#define DOC_DEPTH_CEILING 2048

/* A string-keyed table (open addressing); keys are borrowed. */
struct doc_table {
	struct doc_table_slot {
		const char *key;
		size_t len;
		void *val;
	} *slots;
	size_t n, cap;
};

struct doc_frame {
	struct sp_node *node; /* the open SEQ or MAP */
	struct sp_node *key;  /* MAP: the key waiting for its value, else NULL */
	size_t anchor;        /* YAML: 1 + index of the anchor naming node, 0 = none */
};

struct doc_builder {
	const struct sp_doc_limits *lim;
	size_t max_depth;         /* min(lim->max_depth, DOC_DEPTH_CEILING) */
	struct sp_diags *d;
	const char *file;
	size_t nodes;             /* nodes created so far */
	size_t alias_nodes;       /* of which through alias expansion */
	struct doc_frame *frames; /* the open containers, outermost first */
	size_t depth, frames_cap;
	struct sp_node *root;
	struct sp_node **grave;   /* nodes dropped from the tree, freed at the end */
	size_t ngrave, cgrave;
	int rc;                   /* first failure: SP_ERROR or SP_ENOMEM, else 0 */
	locale_t c_locale;        /* for strtod_l, created on first use */
};

/* Records a failure (the first code wins) and returns it. */
int doc_fail(struct doc_builder *b, int rc);
/* Adds an error diagnostic at line:column (path from the open containers) and fails. */
int doc_error(struct doc_builder *b, const char *code, int line, int column, const char *hint,
	      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int doc_warning(struct doc_builder *b, const char *code, int line, int column,
		const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A new node counted against max_nodes; NULL (and b->rc set, diagnostic added) on
 * failure. */
struct sp_node *doc_node_new(struct doc_builder *b, enum sp_node_type t, int line, int column);
/* Sets n->text to a copy of len bytes, checking max_scalar. */
int doc_node_set_text(struct doc_builder *b, struct sp_node *n, const char *s, size_t len);
void doc_node_free(struct sp_node *n);
/* Keeps n alive until the builder is released (it may still be aliased). */
int doc_bury(struct doc_builder *b, struct sp_node *n);

/* Opens container n (checks depth, and that a mapping key is not a container); on
 * success the builder owns n. On failure n is freed. */
int doc_open(struct doc_builder *b, struct sp_node *n);
/* Closes the innermost container (dropping duplicate keys) and adds it to its parent. */
int doc_close(struct doc_builder *b);
/* Adds a finished node to the innermost container (as key or value) or makes it the
 * root; the builder owns it afterwards (freed on failure too). */
int doc_add(struct doc_builder *b, struct sp_node *n);
/* Appends a pair to a MAP or an item (key NULL) to a SEQ, linking parent and index. */
int doc_append(struct sp_node *c, struct sp_node *key, struct sp_node *item);

/* Deep copy of src (for YAML aliases and merges): every node counts against max_nodes,
 * and against max_alias_nodes when `alias`; the copy's root gets line:column, its
 * descendants keep their own positions. depth is the nesting level src's copy lands at. */
int doc_copy(struct doc_builder *b, const struct sp_node *src, int line, int column,
	     size_t depth, bool alias, struct sp_node **out);

/* 1-based line and column (code points, CRLF one break) of byte offset off in s. */
void doc_position(const char *s, size_t n, size_t off, int *line, int *column);
/* A short printable description of the character at s ("'}'", "U+00A0", "end of input"). */
void doc_describe_char(const char *s, size_t n, char *out, size_t outsz);
/* Appends text JSON-escaped and shortened to about max characters, in double quotes. */
int doc_quote(struct sp_buf *b, const char *s, size_t len, size_t max);
/* strtod in the C locale over exactly len bytes; SP_ETOOBIG on overflow, SP_EINVAL when
 * not all bytes are a number. */
int doc_strtod(struct doc_builder *b, const char *s, size_t len, double *out);
/* Sets n->integer from n->real when it is integral and fits. */
void doc_set_integral(struct sp_node *n);

int doc_table_put(struct doc_table *t, const char *key, size_t len, void *val);
void *doc_table_get(const struct doc_table *t, const char *key, size_t len);
void doc_table_free(struct doc_table *t);

/* The parsers: build the tree of data (BOM already removed, valid UTF-8) into b->root. */
int doc_parse_json(struct doc_builder *b, const char *s, size_t n);
int doc_parse_yaml(struct doc_builder *b, const char *s, size_t n);

#endif
