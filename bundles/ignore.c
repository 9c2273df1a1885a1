/* ignore.c — gitignore-style matching for .ebignore (see ignore.h). */
#include <stdlib.h>
#include <string.h>

#include "bundles/ignore.h"
#include "engine/base/buf.h"
#include "engine/base/banned.h"

struct pattern {
	char *glob;    /* without "!", leading "/" and trailing "/" */
	bool negate, dir_only, anchored;
};

struct sp_ignore {
	struct pattern *p;
	size_t n;
};

void sp_ignore_free(struct sp_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		free(ig->p[i].glob);
	free(ig->p);
	free(ig);
}

/* One bracket class at p (just after '['); returns the position after ']' or NULL when
 * the class is unterminated, and sets *hit when c is in it. */
static const char *match_class(const char *p, unsigned char c, bool *hit)
{
	bool neg = false, any = false;
	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	const char *start = p;
	while (*p && (*p != ']' || p == start)) {
		unsigned char lo = (unsigned char)*p, hi;
		if (lo == '\\' && p[1])
			lo = (unsigned char)*++p;
		p++;
		hi = lo;
		if (*p == '-' && p[1] && p[1] != ']') {
			hi = (unsigned char)p[1];
			if (hi == '\\' && p[2]) {
				hi = (unsigned char)p[2];
				p++;
			}
			p += 2;
		}
		if (c >= lo && c <= hi)
			any = true;
	}
	if (*p != ']')
		return NULL;
	*hit = any != neg;
	return p + 1;
}

bool sp_wildmatch(const char *p, const char *t)
{
	for (; *p; p++, t++) {
		switch (*p) {
		case '*':
			if (p[1] == '*') {
				/* "**" + "/": zero or more folders; a trailing "**": all */
				const char *q = p + 2;
				if (*q == '/') {
					/* zero or more folders */
					if (sp_wildmatch(q + 1, t))
						return true;
					for (const char *s = t; *s; s++)
						if (*s == '/' && sp_wildmatch(q + 1, s + 1))
							return true;
					return false;
				}
				if (!*q)
					return true; /* everything below */
				/* "**x": like "*" */
				p++;
			}
			while (p[1] == '*')
				p++;
			for (const char *s = t;; s++) {
				if (sp_wildmatch(p + 1, s))
					return true;
				if (!*s || *s == '/')
					return false;
			}
		case '?':
			if (!*t || *t == '/')
				return false;
			break;
		case '[': {
			bool hit = false;
			if (!*t || *t == '/')
				return false;
			const char *after = match_class(p + 1, (unsigned char)*t, &hit);
			if (!after) {
				if (*t != '[')
					return false;
				break;
			}
			if (!hit)
				return false;
			p = after - 1;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*t != *p)
				return false;
		}
	}
	return *t == '\0';
}

int sp_ignore_parse(const char *text, size_t n, struct sp_ignore **out)
{
	struct sp_ignore *ig = calloc(1, sizeof(*ig));
	size_t cap = 0;
	if (!ig)
		return SP_ENOMEM;
	const char *end = text + n;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		const char *next = nl ? nl + 1 : end;
		if (len && line[len - 1] == '\r')
			len--;
		/* trailing spaces, unless escaped */
		while (len && line[len - 1] == ' ' && !(len >= 2 && line[len - 2] == '\\'))
			len--;
		struct pattern pt = { 0 };
		const char *s = line;
		if (len == 0 || s[0] == '#') {
			line = next;
			continue;
		}
		if (s[0] == '!') {
			pt.negate = true;
			s++;
			len--;
		} else if (s[0] == '\\' && len > 1 && (s[1] == '#' || s[1] == '!')) {
			s++;
			len--;
		}
		if (len && s[len - 1] == '/') {
			pt.dir_only = true;
			len--;
		}
		if (len && s[0] == '/') {
			pt.anchored = true;
			s++;
			len--;
		}
		if (len == 0) {
			line = next;
			continue;
		}
		if (memchr(s, '/', len))
			pt.anchored = true;
		if (ig->n >= MAX_EBIGNORE_PATTERNS) {
			sp_ignore_free(ig);
			return SP_ETOOBIG;
		}
		if (ig->n == cap) {
			cap = cap ? cap * 2 : 16;
			struct pattern *np = realloc(ig->p, cap * sizeof(*np));
			if (!np)
				goto nomem;
			ig->p = np;
		}
		pt.glob = sp_strndup(s, len);
		if (!pt.glob)
			goto nomem;
		ig->p[ig->n++] = pt;
		line = next;
	}
	*out = ig;
	return 0;
nomem:
	sp_ignore_free(ig);
	return SP_ENOMEM;
}

bool sp_ignore_match(const struct sp_ignore *ig, const char *path, bool is_dir)
{
	bool ignored = false;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < ig->n; i++) {
		const struct pattern *pt = &ig->p[i];
		if (pt->dir_only && !is_dir)
			continue;
		/* the last matching pattern wins */
		bool hit = pt->anchored ? sp_wildmatch(pt->glob, path)
					: sp_wildmatch(pt->glob, base);
		if (hit)
			ignored = !pt->negate;
	}
	return ignored;
}
