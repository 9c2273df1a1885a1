/* ref.c — image reference parsing per distribution/reference (see ref.h). Hand-written
 * scanners instead of regexes: each function matches one production of the grammar. */
#include <stdlib.h>
#include <string.h>

#include "engine/image/ref.h"
#include "engine/base/banned.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*; separator := . | _ | __ | -+ */
static bool path_component_valid(const char *p, size_t n, bool *has_upper)
{
	size_t i = 0;
	if (n == 0)
		return false;
	for (size_t k = 0; k < n; k++)
		if (p[k] >= 'A' && p[k] <= 'Z')
			*has_upper = true;
	while (i < n) {
		size_t start = i;
		while (i < n && is_lower_alnum(p[i]))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		/* a separator, then at least one alnum must follow */
		if (p[i] == '.') {
			i++;
		} else if (p[i] == '_') {
			i++;
			if (i < n && p[i] == '_')
				i++;
		} else if (p[i] == '-') {
			while (i < n && p[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n)
			return false;
	}
	return true;
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool domain_component_valid(const char *p, size_t n)
{
	if (n == 0 || !is_alnum(p[0]) || !is_alnum(p[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(p[i]) && p[i] != '-')
			return false;
	return true;
}

static bool port_valid(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static bool domain_valid(const char *p, size_t n)
{
	size_t host_end = n;
	if (n > 0 && p[0] == '[') { /* [ipv6]:port */
		const char *close = memchr(p, ']', n);
		if (!close || close == p + 1)
			return false;
		for (const char *q = p + 1; q < close; q++)
			if (!is_hex(*q) && *q != ':')
				return false;
		size_t rest = n - (size_t)(close + 1 - p);
		if (rest == 0)
			return true;
		return close[1] == ':' && port_valid(close + 2, rest - 1);
	}
	const char *colon = memchr(p, ':', n);
	if (colon) {
		host_end = (size_t)(colon - p);
		if (!port_valid(colon + 1, n - host_end - 1))
			return false;
	}
	size_t start = 0;
	for (size_t i = 0; i <= host_end; i++) {
		if (i == host_end || p[i] == '.') {
			if (!domain_component_valid(p + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

static bool tag_valid(const char *p, size_t n)
{
	if (n == 0 || n > SP_IMAGE_REF_MAX_TAG)
		return false;
	if (!is_alnum(p[0]) && p[0] != '_')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(p[i]) && p[i] != '_' && p[i] != '.' && p[i] != '-')
			return false;
	return true;
}

static bool digest_valid(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	if (!colon)
		return false;
	size_t alg = (size_t)(colon - p);
	/* algorithm := [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* */
	size_t i = 0;
	for (;;) {
		if (i >= alg || !((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
			return false;
		i++;
		while (i < alg && is_alnum(p[i]))
			i++;
		if (i == alg)
			break;
		if (p[i] != '-' && p[i] != '_' && p[i] != '+' && p[i] != '.')
			return false;
		i++;
	}
	size_t hex = n - alg - 1;
	if (hex < 32)
		return false;
	for (size_t k = 0; k < hex; k++)
		if (!is_hex(colon[1 + k]))
			return false;
	return true;
}

static bool all_hex64(const char *p, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(p[i] >= '0' && p[i] <= '9') && !(p[i] >= 'a' && p[i] <= 'f'))
			return false;
	return true;
}

int sp_image_ref_parse(const char *s, struct sp_image_ref *out, const char **why)
{
	const char *w = NULL;
	int rc = SP_EINVAL;
	struct sp_image_ref r = { 0 };
	size_t len = s ? strlen(s) : 0;

	if (len == 0) {
		w = "the reference is empty";
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f) {
			w = "it contains a space, a control character or a non-ASCII character";
			goto out;
		}
	}
	/* the last '@' splits off the digest */
	size_t name_end = len;
	const char *at = strrchr(s, '@');
	if (at) {
		if (!digest_valid(at + 1, len - (size_t)(at + 1 - s))) {
			w = "the digest after '@' is not algorithm:hex (at least 32 hex digits)";
			goto out;
		}
		name_end = (size_t)(at - s);
	}
	/* a ':' after the last '/' marks the tag */
	size_t tag_start = 0;
	for (size_t i = name_end; i > 0; i--) {
		if (s[i - 1] == '/')
			break;
		if (s[i - 1] == ':') {
			tag_start = i;
			break;
		}
	}
	if (tag_start) {
		if (!tag_valid(s + tag_start, name_end - tag_start)) {
			w = "the tag must be 1-128 letters, digits, '_', '.' or '-' and not start with '.' or '-'";
			goto out;
		}
		name_end = tag_start - 1;
	}
	if (name_end == 0) {
		w = "the repository name is empty";
		goto out;
	}
	if (name_end > SP_IMAGE_REF_MAX_NAME) {
		w = "the repository name is longer than 255 characters";
		rc = SP_ETOOBIG;
		goto out;
	}
	/* domain or not */
	const char *slash = memchr(s, '/', name_end);
	size_t path_start = 0;
	const char *domain = SP_IMAGE_REF_DEFAULT_DOMAIN;
	size_t domain_len = strlen(domain);
	if (slash) {
		size_t first = (size_t)(slash - s);
		bool is_domain = memchr(s, '.', first) || memchr(s, ':', first) ||
				 (first == 9 && memcmp(s, "localhost", 9) == 0) ||
				 (first > 0 && s[0] == '[');
		if (is_domain) {
			if (!domain_valid(s, first)) {
				w = "the registry host is not a valid host[:port]";
				goto out;
			}
			domain = s;
			domain_len = first;
			path_start = first + 1;
			r.domain_given = true;
		}
	}
	if (all_hex64(s + path_start, name_end - path_start) && !r.domain_given) {
		w = "a 64-digit hexadecimal string is an image id, not a repository name";
		goto out;
	}
	/* path components */
	bool upper = false;
	size_t start = path_start;
	for (size_t i = path_start; i <= name_end; i++) {
		if (i == name_end || s[i] == '/') {
			if (!path_component_valid(s + start, i - start, &upper)) {
				w = upper ? "the repository name must be lowercase"
					  : "a path component must be lowercase letters and digits "
					    "separated by '.', '_', '__' or '-'";
				goto out;
			}
			start = i + 1;
		}
	}
	if (upper) {
		w = "the repository name must be lowercase";
		goto out;
	}

	rc = SP_ENOMEM;
	if (domain_len == 15 && memcmp(domain, "index.docker.io", 15) == 0) {
		domain = SP_IMAGE_REF_DEFAULT_DOMAIN;
		domain_len = strlen(domain);
	}
	r.domain = sp_strndup(domain, domain_len);
	bool official = strcmp(r.domain ? r.domain : "", SP_IMAGE_REF_DEFAULT_DOMAIN) == 0 &&
			!memchr(s + path_start, '/', name_end - path_start);
	if (official)
		r.path = sp_aprintf("library/%.*s", (int)(name_end - path_start), s + path_start);
	else
		r.path = sp_strndup(s + path_start, name_end - path_start);
	if (tag_start)
		r.tag = sp_strndup(s + tag_start, (at ? (size_t)(at - s) : len) - tag_start);
	if (at)
		r.digest = sp_strdup(at + 1);
	if (!r.domain || !r.path || (tag_start && !r.tag) || (at && !r.digest)) {
		sp_image_ref_free(&r);
		goto out;
	}
	*out = r;
	rc = 0;
out:
	if (rc != 0 && why)
		*why = w ? w : "out of memory";
	return rc;
}

void sp_image_ref_free(struct sp_image_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

int sp_image_ref_string(const struct sp_image_ref *r, enum sp_image_ref_form form,
			struct sp_buf *out)
{
	int rc;
	if (form == SP_IMAGE_REF_FAMILIAR && strcmp(r->domain, SP_IMAGE_REF_DEFAULT_DOMAIN) == 0) {
		const char *p = r->path;
		if (strncmp(p, "library/", 8) == 0 && !strchr(p + 8, '/'))
			p += 8;
		rc = sp_buf_puts(out, p);
	} else {
		rc = sp_buf_printf(out, "%s/%s", r->domain, r->path);
	}
	if (rc == 0 && form != SP_IMAGE_REF_REPOSITORY) {
		if (r->tag)
			rc = sp_buf_printf(out, ":%s", r->tag);
		else if (!r->digest && form == SP_IMAGE_REF_CANONICAL)
			rc = sp_buf_puts(out, ":" SP_IMAGE_REF_DEFAULT_TAG);
		if (rc == 0 && r->digest)
			rc = sp_buf_printf(out, "@%s", r->digest);
	}
	return rc;
}

bool sp_image_ref_valid(const char *s)
{
	struct sp_image_ref r;
	if (sp_image_ref_parse(s, &r, NULL) != 0)
		return false;
	sp_image_ref_free(&r);
	return true;
}
