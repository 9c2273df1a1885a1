/* diag.h — located diagnostics: what is wrong in a user's file, where, and how to fix it.
 *
 * A diagnostic carries a severity, a stable code (UPPER_SNAKE, e.g. DOCKERRUN_LINK_UNKNOWN,
 * documented in docs/diagnostics.md), a file, a 1-based line and column (0 when unknown),
 * a JSON pointer path ("/containerDefinitions/1/links/0", "" when none), a message and an
 * optional hint. Validators collect every problem into one struct sp_diags and never stop
 * at the first.
 *
 * Rendering (text like a compiler, or JSON) is done by front ends; the renderers here only
 * build strings and never print.
 *
 * Text form:
 *   Dockerrun.aws.json:14:17: error[DOCKERRUN_LINK_UNKNOWN]: link "db" names no container
 *     hint: containers are: php-app, nginx-proxy
 */
#ifndef SPROUT_DIAG_H
#define SPROUT_DIAG_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"

enum sp_severity {
	SP_SEV_NOTE = 0,
	SP_SEV_WARNING = 1,
	SP_SEV_ERROR = 2,
};

#define SP_DIAGS_MAX 10000 /* MAX_DIAGNOSTICS: past this only a count is kept */

struct sp_diag {
	enum sp_severity severity;
	char *code;
	char *file;    /* may be NULL */
	int line;      /* 1-based, 0 = unknown */
	int column;    /* 1-based, 0 = unknown */
	char *path;    /* JSON pointer, "" when none; never NULL */
	char *message; /* never NULL */
	char *hint;    /* may be NULL */
};

struct sp_diags {
	struct sp_diag *items;
	size_t n, cap;
	size_t dropped;      /* diagnostics not kept because of SP_DIAGS_MAX */
	size_t count[3];     /* per severity, including dropped ones */
};

/* A located thing a diagnostic can point at: file/line/column/path. */
struct sp_loc {
	const char *file;
	int line, column;
	const char *path;
};

void sp_diags_init(struct sp_diags *d);
void sp_diags_free(struct sp_diags *d);

/* Adds a diagnostic; strings are copied. hint may be NULL. Returns 0 or SP_ENOMEM.
 * Allocation failure is recorded as a dropped diagnostic, so callers may ignore it. */
int sp_diag_add(struct sp_diags *d, enum sp_severity sev, const char *code,
		struct sp_loc loc, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int sp_diag_vadd(struct sp_diags *d, enum sp_severity sev, const char *code,
		 struct sp_loc loc, const char *hint, const char *fmt, va_list ap);

/* Appends every diagnostic of src to dst (copies). */
int sp_diags_merge(struct sp_diags *dst, const struct sp_diags *src);

size_t sp_diags_errors(const struct sp_diags *d);
size_t sp_diags_warnings(const struct sp_diags *d);
/* Turns every warning into an error (for --strict). */
void sp_diags_promote_warnings(struct sp_diags *d);
/* Stable sort by file, line, column, then insertion order. */
void sp_diags_sort(struct sp_diags *d);

const char *sp_severity_name(enum sp_severity sev); /* "note", "warning", "error" */

/* Compiler-style text, one diagnostic (plus its hint line) after another. With colour,
 * ANSI escapes mark severity; callers decide (sp_want_color). */
int sp_diags_render_text(const struct sp_diags *d, bool color, struct sp_buf *out);
/* JSON array of objects {severity, code, file, line, column, path, message, hint}. */
json_t *sp_diags_to_json(const struct sp_diags *d);
/* Reads back what sp_diags_to_json wrote (for the API client). */
int sp_diags_from_json(const json_t *arr, struct sp_diags *d);

/* Colour decision for a stream: only on a TTY, never when NO_COLOR is set to a non-empty
 * value (no-color.org) or TERM is "dumb". */
bool sp_want_color(int fd);

#endif
