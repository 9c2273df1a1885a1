/* diag.c — collecting, sorting and rendering located diagnostics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/base/diag.h"
#include "engine/base/banned.h"

void sp_diags_init(struct sp_diags *d)
{
	memset(d, 0, sizeof(*d));
}

static void diag_clear(struct sp_diag *x)
{
	free(x->code);
	free(x->file);
	free(x->path);
	free(x->message);
	free(x->hint);
}

void sp_diags_free(struct sp_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		diag_clear(&d->items[i]);
	free(d->items);
	sp_diags_init(d);
}

static int diag_push(struct sp_diags *d, enum sp_severity sev, const char *code, const char *file,
		     int line, int column, const char *path, const char *hint, char *message)
{
	if (sev > SP_SEV_ERROR)
		sev = SP_SEV_ERROR;
	d->count[sev]++;
	if (d->n >= SP_DIAGS_MAX)
		goto dropped;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct sp_diag *p = realloc(d->items, cap * sizeof(*p));
		if (!p)
			goto dropped;
		d->items = p;
		d->cap = cap;
	}
	struct sp_diag x = {
		.severity = sev,
		.code = strdup(code ? code : "UNKNOWN"),
		.file = file ? strdup(file) : NULL,
		.line = line,
		.column = column,
		.path = strdup(path ? path : ""),
		.message = message,
		.hint = hint ? strdup(hint) : NULL,
	};
	if (!x.code || (file && !x.file) || !x.path || (hint && !x.hint)) {
		x.message = NULL;
		diag_clear(&x);
		goto dropped;
	}
	d->items[d->n++] = x;
	return 0;
dropped:
	free(message);
	d->dropped++;
	return SP_ENOMEM;
}

int sp_diag_vadd(struct sp_diags *d, enum sp_severity sev, const char *code, struct sp_loc loc,
		 const char *hint, const char *fmt, va_list ap)
{
	struct sp_buf m = SP_BUF_INIT(1 << 16);
	if (sp_buf_vprintf(&m, fmt, ap) != 0) {
		sp_buf_reset(&m);
		sp_buf_puts(&m, "(message too long)");
	}
	char *msg = NULL;
	if (sp_buf_detach(&m, &msg, NULL) != 0) {
		sp_buf_free(&m);
		return diag_push(d, sev, code, loc.file, loc.line, loc.column, loc.path, hint, NULL);
	}
	return diag_push(d, sev, code, loc.file, loc.line, loc.column, loc.path, hint, msg);
}

int sp_diag_add(struct sp_diags *d, enum sp_severity sev, const char *code, struct sp_loc loc,
		const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sp_diag_vadd(d, sev, code, loc, hint, fmt, ap);
	va_end(ap);
	return rc;
}

int sp_diags_merge(struct sp_diags *dst, const struct sp_diags *src)
{
	int rc = 0;
	for (size_t i = 0; i < src->n; i++) {
		const struct sp_diag *x = &src->items[i];
		char *msg = strdup(x->message);
		int r = diag_push(dst, x->severity, x->code, x->file, x->line, x->column, x->path,
				  x->hint, msg);
		if (r && !rc)
			rc = r;
	}
	dst->dropped += src->dropped;
	return rc;
}

size_t sp_diags_errors(const struct sp_diags *d)
{
	return d->count[SP_SEV_ERROR];
}

size_t sp_diags_warnings(const struct sp_diags *d)
{
	return d->count[SP_SEV_WARNING];
}

void sp_diags_promote_warnings(struct sp_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity == SP_SEV_WARNING)
			d->items[i].severity = SP_SEV_ERROR;
	d->count[SP_SEV_ERROR] += d->count[SP_SEV_WARNING];
	d->count[SP_SEV_WARNING] = 0;
}

static int diag_cmp(const struct sp_diag *a, const struct sp_diag *b)
{
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	return 0;
}

void sp_diags_sort(struct sp_diags *d)
{
	/* insertion sort: stable, and lists are short */
	for (size_t i = 1; i < d->n; i++) {
		struct sp_diag x = d->items[i];
		size_t j = i;
		while (j > 0 && diag_cmp(&d->items[j - 1], &x) > 0) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = x;
	}
}

const char *sp_severity_name(enum sp_severity sev)
{
	switch (sev) {
	case SP_SEV_NOTE: return "note";
	case SP_SEV_WARNING: return "warning";
	default: return "error";
	}
}

static enum sp_severity severity_from_name(const char *s)
{
	if (s && strcmp(s, "note") == 0)
		return SP_SEV_NOTE;
	if (s && strcmp(s, "warning") == 0)
		return SP_SEV_WARNING;
	return SP_SEV_ERROR;
}

int sp_diags_render_text(const struct sp_diags *d, bool color, struct sp_buf *out)
{
	static const char *const sev_color[] = { "\033[1;36m", "\033[1;35m", "\033[1;31m" };
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	int rc = 0;
	for (size_t i = 0; i < d->n && rc == 0; i++) {
		const struct sp_diag *x = &d->items[i];
		if (x->file) {
			rc = sp_buf_printf(out, "%s%s", bold, x->file);
			if (!rc && x->line > 0)
				rc = sp_buf_printf(out, ":%d", x->line);
			if (!rc && x->line > 0 && x->column > 0)
				rc = sp_buf_printf(out, ":%d", x->column);
			if (!rc)
				rc = sp_buf_printf(out, ":%s ", reset);
		}
		if (!rc)
			rc = sp_buf_printf(out, "%s%s[%s]%s: %s\n", color ? sev_color[x->severity] : "",
					   sp_severity_name(x->severity), x->code, reset, x->message);
		if (!rc && x->hint && *x->hint) {
			/* indent every line of a multi-line hint */
			rc = sp_buf_puts(out, "  hint: ");
			for (const char *p = x->hint; *p && !rc; p++) {
				rc = sp_buf_putc(out, *p);
				if (!rc && *p == '\n' && p[1])
					rc = sp_buf_puts(out, "        ");
			}
			if (!rc && x->hint[strlen(x->hint) - 1] != '\n')
				rc = sp_buf_putc(out, '\n');
		}
	}
	if (!rc && d->dropped)
		rc = sp_buf_printf(out, "(%zu more diagnostics not shown)\n", d->dropped);
	return rc;
}

json_t *sp_diags_to_json(const struct sp_diags *d)
{
	json_t *arr = json_array();
	if (!arr)
		return NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct sp_diag *x = &d->items[i];
		json_t *o = json_pack("{s:s, s:s, s:s?, s:i, s:i, s:s, s:s, s:s?}",
				      "severity", sp_severity_name(x->severity), "code", x->code,
				      "file", x->file, "line", x->line, "column", x->column,
				      "path", x->path, "message", x->message, "hint", x->hint);
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int sp_diags_from_json(const json_t *arr, struct sp_diags *d)
{
	if (!json_is_array(arr))
		return SP_EINVAL;
	size_t i;
	const json_t *o;
	json_array_foreach(arr, i, o) {
		const char *code = json_string_value(json_object_get(o, "code"));
		const char *msg = json_string_value(json_object_get(o, "message"));
		if (!code || !msg)
			return SP_EINVAL;
		char *m = strdup(msg);
		diag_push(d, severity_from_name(json_string_value(json_object_get(o, "severity"))),
			  code, json_string_value(json_object_get(o, "file")),
			  (int)json_integer_value(json_object_get(o, "line")),
			  (int)json_integer_value(json_object_get(o, "column")),
			  json_string_value(json_object_get(o, "path")),
			  json_string_value(json_object_get(o, "hint")), m);
	}
	return 0;
}

bool sp_want_color(int fd)
{
	/* no-color.org: present and not empty disables colour */
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	const char *term = getenv("TERM");
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd) == 1;
}
