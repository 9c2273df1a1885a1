/* www_authenticate.c — RFC 7235 challenge parsing. A hand-written scanner rather than a
 * split on ',' because Bearer scopes such as "repository:a:pull,push" hold commas. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/base/buf.h"
#include "engine/registry/www_authenticate.h"
#include "engine/base/banned.h"

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token68_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-._~+/", c) != NULL;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static size_t skip_ws(const char *s, size_t len, size_t p)
{
	while (p < len && is_ws(s[p]))
		p++;
	return p;
}

static size_t scan_token(const char *s, size_t len, size_t p)
{
	while (p < len && is_tchar((unsigned char)s[p]))
		p++;
	return p;
}

/* Reads a quoted-string starting at s[p] == '"'; the unescaped value goes to out. */
static int scan_quoted(const char *s, size_t len, size_t *pp, struct sp_buf *out)
{
	size_t p = *pp + 1;
	while (p < len) {
		unsigned char c = (unsigned char)s[p];
		if (c == '"') {
			*pp = p + 1;
			return 0;
		}
		if (c == '\\') {
			if (++p >= len)
				return SP_EINVAL;
			c = (unsigned char)s[p];
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return SP_EINVAL;
		int rc = sp_buf_putc(out, (char)c);
		if (rc)
			return rc;
		p++;
	}
	return SP_EINVAL; /* unterminated */
}

static char *dup_lower(const char *s, size_t n)
{
	char *r = sp_strndup(s, n);
	for (size_t i = 0; r && i < n; i++)
		if (r[i] >= 'A' && r[i] <= 'Z')
			r[i] = (char)(r[i] - 'A' + 'a');
	return r;
}

/* After a parameter or token68 only whitespace then ',' or the end may follow. */
static int expect_separator(const char *s, size_t len, size_t *pp)
{
	size_t p = skip_ws(s, len, *pp);
	if (p < len && s[p] != ',')
		return SP_EINVAL;
	*pp = p;
	return 0;
}

static int parse_param(const char *s, size_t len, size_t *pp, size_t name_start,
		       size_t name_end, struct sp_wwwauth_challenge *c)
{
	struct sp_buf val = SP_BUF_INIT(SP_WWWAUTH_MAX_LEN);
	char *name = NULL;
	int rc;
	size_t p = skip_ws(s, len, *pp + 1); /* past '=' */

	if (c->n_params >= SP_WWWAUTH_MAX_PARAMS) {
		rc = SP_ETOOBIG;
		goto out;
	}
	if (p < len && s[p] == '"') {
		rc = scan_quoted(s, len, &p, &val);
		if (rc)
			goto out;
	} else {
		/* token, leniently: anything up to whitespace or ',' (some servers leave URLs
		 * unquoted), but never a quote or a control character */
		size_t st = p;
		while (p < len && !is_ws(s[p]) && s[p] != ',') {
			unsigned char ch = (unsigned char)s[p];
			if (ch < 0x21 || ch == 0x7f || ch == '"') {
				rc = SP_EINVAL;
				goto out;
			}
			p++;
		}
		if (p == st) {
			rc = SP_EINVAL;
			goto out;
		}
		rc = sp_buf_append(&val, s + st, p - st);
		if (rc)
			goto out;
	}
	rc = expect_separator(s, len, &p);
	if (rc)
		goto out;
	name = dup_lower(s + name_start, name_end - name_start);
	if (!name) {
		rc = SP_ENOMEM;
		goto out;
	}
	char *v = NULL;
	size_t vn = 0;
	if (val.len == 0) {
		v = sp_strdup("");
		rc = v ? 0 : SP_ENOMEM;
	} else {
		rc = sp_buf_detach(&val, &v, &vn);
	}
	if (rc)
		goto out;
	c->params[c->n_params].name = name;
	c->params[c->n_params].value = v;
	c->n_params++;
	name = NULL;
	*pp = p;
out:
	free(name);
	sp_buf_free(&val);
	return rc;
}

static void challenge_release(struct sp_wwwauth_challenge *c)
{
	free(c->scheme);
	free(c->token68);
	for (size_t i = 0; i < c->n_params; i++) {
		free(c->params[i].name);
		free(c->params[i].value);
	}
	memset(c, 0, sizeof(*c));
}

void sp_wwwauth_release(struct sp_wwwauth *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		challenge_release(&w->challenges[i]);
	w->n = 0;
}

int sp_wwwauth_parse(const char *s, size_t len, struct sp_wwwauth *out)
{
	struct sp_wwwauth *w = calloc(1, sizeof(*w));
	struct sp_wwwauth_challenge *cur = NULL;
	size_t p = 0;
	int rc = 0;

	if (!w)
		return SP_ENOMEM;
	if (len > SP_WWWAUTH_MAX_LEN) {
		rc = SP_ETOOBIG;
		goto out;
	}
	if (memchr(s, '\0', len)) {
		rc = SP_EINVAL;
		goto out;
	}
	for (;;) {
		while (p < len && (is_ws(s[p]) || s[p] == ','))
			p++;
		if (p >= len)
			break;
		size_t st = p;
		p = scan_token(s, len, p);
		if (p == st) {
			rc = SP_EINVAL;
			goto out;
		}
		size_t en = p;
		size_t q = skip_ws(s, len, p);
		if (q < len && s[q] == '=') {
			if (!cur) { /* a parameter before any scheme */
				rc = SP_EINVAL;
				goto out;
			}
			p = q;
			rc = parse_param(s, len, &p, st, en, cur);
			if (rc)
				goto out;
			continue;
		}
		/* a new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
		if (w->n >= SP_WWWAUTH_MAX_CHALLENGES) {
			rc = SP_ETOOBIG;
			goto out;
		}
		cur = &w->challenges[w->n++];
		cur->scheme = sp_strndup(s + st, en - st);
		if (!cur->scheme) {
			rc = SP_ENOMEM;
			goto out;
		}
		if (q == p || q >= len || s[q] == ',') {
			p = q;
			continue;
		}
		/* token68: its characters, then '='s, then the end or ',' */
		size_t t = q;
		while (t < len && is_token68_char((unsigned char)s[t]))
			t++;
		size_t e = t;
		while (e < len && s[e] == '=')
			e++;
		size_t after = skip_ws(s, len, e);
		if (t > q && (after >= len || s[after] == ',')) {
			cur->token68 = sp_strndup(s + q, e - q);
			if (!cur->token68) {
				rc = SP_ENOMEM;
				goto out;
			}
			p = after;
			continue;
		}
		p = q; /* parameters follow; the loop reads them */
	}
	*out = *w;
	free(w);
	return 0;
out:
	sp_wwwauth_release(w);
	free(w);
	return rc;
}

const struct sp_wwwauth_challenge *sp_wwwauth_find(const struct sp_wwwauth *w,
						   const char *scheme)
{
	for (size_t i = 0; w && i < w->n; i++)
		if (strcasecmp(w->challenges[i].scheme, scheme) == 0)
			return &w->challenges[i];
	return NULL;
}

const char *sp_wwwauth_param(const struct sp_wwwauth_challenge *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_params; i++)
		if (strcasecmp(c->params[i].name, name) == 0)
			return c->params[i].value;
	return NULL;
}
