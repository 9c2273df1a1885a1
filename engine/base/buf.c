/* buf.c — capped buffers, slices, strict number parsing and small string helpers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/buf.h"
#include "engine/base/banned.h"

const char *sp_strerror(int code)
{
	switch (code) {
	case SP_OK: return "success";
	case SP_ERROR: return "failed";
	case SP_ENOMEM: return "out of memory";
	case SP_ETOOBIG: return "a limit was crossed";
	case SP_EINVAL: return "invalid input";
	case SP_EIO: return "input/output error";
	case SP_ENOTFOUND: return "not found";
	case SP_EEXISTS: return "already exists";
	case SP_EUNSAFE: return "unsafe path";
	default: return "unknown error";
	}
}

void sp_buf_init(struct sp_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void sp_buf_free(struct sp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void sp_buf_reset(struct sp_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static size_t buf_max(const struct sp_buf *b)
{
	return b->max ? b->max : SP_BUF_DEFAULT_MAX;
}

/* Makes room for n more bytes plus the NUL. */
static int buf_grow(struct sp_buf *b, size_t n)
{
	if (n > buf_max(b) || b->len > buf_max(b) - n)
		return SP_ETOOBIG;
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return SP_ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int sp_buf_append(struct sp_buf *b, const void *p, size_t n)
{
	int rc = buf_grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int sp_buf_puts(struct sp_buf *b, const char *s)
{
	return sp_buf_append(b, s, strlen(s));
}

int sp_buf_putc(struct sp_buf *b, char c)
{
	return sp_buf_append(b, &c, 1);
}

int sp_buf_vprintf(struct sp_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return SP_EINVAL;
	int rc = buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sp_buf_printf(struct sp_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sp_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int sp_buf_put_json_escaped(struct sp_buf *b, const char *s, size_t n)
{
	size_t start_len = b->len;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': rc = sp_buf_puts(b, "\\\""); break;
		case '\\': rc = sp_buf_puts(b, "\\\\"); break;
		case '\n': rc = sp_buf_puts(b, "\\n"); break;
		case '\r': rc = sp_buf_puts(b, "\\r"); break;
		case '\t': rc = sp_buf_puts(b, "\\t"); break;
		default:
			if (c < 0x20)
				rc = sp_buf_printf(b, "\\u%04x", c);
			else
				rc = sp_buf_putc(b, (char)c);
		}
	}
	if (rc) {
		b->len = start_len;
		if (b->data)
			b->data[b->len] = '\0';
	}
	return rc;
}

const char *sp_buf_cstr(const struct sp_buf *b)
{
	return b->data ? b->data : "";
}

int sp_buf_detach(struct sp_buf *b, char **out, size_t *out_len)
{
	if (!b->data) {
		char *p = calloc(1, 1);
		if (!p)
			return SP_ENOMEM;
		*out = p;
	} else {
		*out = b->data;
	}
	if (out_len)
		*out_len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return 0;
}

struct sp_slice sp_slice_from(const char *s)
{
	return (struct sp_slice){ s, s ? strlen(s) : 0 };
}

bool sp_slice_eq(struct sp_slice a, const char *s)
{
	size_t n = strlen(s);
	return a.n == n && memcmp(a.p, s, n) == 0;
}

bool sp_slice_startswith(struct sp_slice a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.n >= n && memcmp(a.p, prefix, n) == 0;
}

int sp_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return SP_EINVAL;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return SP_EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return SP_ETOOBIG;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int sp_parse_i64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return SP_EINVAL;
	bool neg = *s == '-';
	uint64_t u;
	int rc = sp_parse_u64(neg ? s + 1 : s, &u);
	if (rc)
		return rc;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return SP_ETOOBIG;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (u > (uint64_t)INT64_MAX)
			return SP_ETOOBIG;
		*out = (int64_t)u;
	}
	return 0;
}

int sp_read_file(const char *path, size_t max, struct sp_buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SP_EIO;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0) {
		rc = SP_EIO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		rc = SP_EIO;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = SP_ETOOBIG;
		goto out;
	}
	size_t start = b->len;
	size_t saved_max = b->max;
	if (!b->max || b->max < start + max)
		b->max = start + max;
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = SP_EIO;
			break;
		}
		if (n == 0)
			break;
		rc = sp_buf_append(b, chunk, (size_t)n);
		if (rc)
			break;
	}
	b->max = saved_max;
	if (rc) {
		b->len = start;
		if (b->data)
			b->data[start] = '\0';
	}
out:
	close(fd);
	return rc;
}

char *sp_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *sp_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *sp_aprintf(const char *fmt, ...)
{
	struct sp_buf b = SP_BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	int rc = sp_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *out = NULL;
	if (rc == 0 && sp_buf_detach(&b, &out, NULL) == 0)
		return out;
	sp_buf_free(&b);
	return NULL;
}

size_t sp_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 256 || lb > 256)
		return SIZE_MAX;
	size_t row[257];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t v = prev + cost;
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			prev = cur;
		}
	}
	return row[lb];
}

const char *sp_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t best = SIZE_MAX;
	const char *pick = NULL;
	size_t limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = sp_edit_distance(word, candidates[i]);
		if (d < best) {
			best = d;
			pick = candidates[i];
		}
	}
	return best <= limit ? pick : NULL;
}

bool sp_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if ((c & 0xE0) == 0xC0) {
			len = 2;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}
