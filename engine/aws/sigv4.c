/* sigv4.c — AWS Signature Version 4, mirroring botocore/auth.py SigV4Auth step by step
 * (the integration test compares the two over hundreds of generated requests). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/aws/sigv4.h"
#include "engine/base/sha256.h"
#include "engine/base/banned.h"

/* botocore's SIGNED_HEADERS_BLACKLIST: proxies and clients change these in flight. */
static const char *const unsigned_headers[] = {
	"connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
	"te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
};

int sp_sigv4_uri_encode(struct sp_buf *out, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int rc;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
			rc = sp_buf_putc(out, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = sp_buf_append(out, e, 3);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int sp_sigv4_format_date(time_t t, char out[SP_SIGV4_DATE_LEN + 1])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return SP_EINVAL;
	if (strftime(out, SP_SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != SP_SIGV4_DATE_LEN)
		return SP_EINVAL;
	return 0;
}

static bool date_ok(const char *d)
{
	if (!d || strlen(d) != SP_SIGV4_DATE_LEN || d[8] != 'T' || d[15] != 'Z')
		return false;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (d[i] < '0' || d[i] > '9'))
			return false;
	return true;
}

/* RFC 3986 §5.2.4 plus removal of empty segments (botocore remove_dot_segments). */
static int normalize_path(const char *path, struct sp_buf *out)
{
	size_t n = strlen(path);
	const char **seg = NULL;
	size_t *segn = NULL, nseg = 0;
	int rc = 0;
	if (n == 0)
		return sp_buf_putc(out, '/');
	seg = calloc(n + 1, sizeof(*seg));
	segn = calloc(n + 1, sizeof(*segn));
	if (!seg || !segn) {
		rc = SP_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		while (j < n && path[j] != '/')
			j++;
		size_t len = j - i;
		if (len == 0 || (len == 1 && path[i] == '.')) {
			/* dropped */
		} else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (nseg)
				nseg--;
		} else {
			seg[nseg] = path + i;
			segn[nseg++] = len;
		}
		i = j + 1;
	}
	struct sp_buf tmp = SP_BUF_INIT(SP_SIGV4_MAX_CANONICAL);
	if (path[0] == '/')
		rc = sp_buf_putc(&tmp, '/');
	for (size_t k = 0; !rc && k < nseg; k++) {
		if (k)
			rc = sp_buf_putc(&tmp, '/');
		if (!rc)
			rc = sp_buf_append(&tmp, seg[k], segn[k]);
	}
	if (!rc && path[n - 1] == '/' && nseg)
		rc = sp_buf_putc(&tmp, '/');
	if (!rc)
		rc = sp_sigv4_uri_encode(out, tmp.data ? tmp.data : "", tmp.len, 1);
	sp_buf_free(&tmp);
out:
	free(seg);
	free(segn);
	return rc;
}

struct qpair {
	const char *k, *v;
	size_t kn, vn;
};

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c;
	return an < bn ? -1 : an > bn ? 1 : 0;
}

static int qpair_cmp(const void *pa, const void *pb)
{
	const struct qpair *a = pa, *b = pb;
	int c = bytes_cmp(a->k, a->kn, b->k, b->kn);
	return c ? c : bytes_cmp(a->v, a->vn, b->v, b->vn);
}

static int canonical_query(const char *q, struct sp_buf *out)
{
	if (!q || !*q)
		return 0;
	size_t n = strlen(q), count = 1;
	for (size_t i = 0; i < n; i++)
		if (q[i] == '&')
			count++;
	if (count > SP_SIGV4_MAX_QUERY_PAIRS)
		return SP_ETOOBIG;
	struct qpair *p = calloc(count, sizeof(*p));
	if (!p)
		return SP_ENOMEM;
	size_t np = 0;
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		while (j < n && q[j] != '&')
			j++;
		const char *eq = memchr(q + i, '=', j - i);
		p[np].k = q + i;
		p[np].kn = eq ? (size_t)(eq - (q + i)) : j - i;
		p[np].v = eq ? eq + 1 : q + j;
		p[np].vn = eq ? (size_t)(q + j - (eq + 1)) : 0;
		np++;
		i = j + 1;
	}
	qsort(p, np, sizeof(*p), qpair_cmp);
	int rc = 0;
	for (size_t i = 0; !rc && i < np; i++) {
		if (i)
			rc = sp_buf_putc(out, '&');
		if (!rc)
			rc = sp_buf_append(out, p[i].k, p[i].kn);
		if (!rc)
			rc = sp_buf_putc(out, '=');
		if (!rc)
			rc = sp_buf_append(out, p[i].v, p[i].vn);
	}
	free(p);
	return rc;
}

struct hdr {
	char *lname;       /* lower-cased */
	const char *value;
	size_t order;      /* input position, keeps repeated headers in order */
};

static int hdr_cmp(const void *pa, const void *pb)
{
	const struct hdr *a = pa, *b = pb;
	int c = strcmp(a->lname, b->lname);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static bool is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Python's str.split() whitespace within ASCII. */
static bool is_py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* ' '.join(value.split()) */
static int put_trimmed(struct sp_buf *out, const char *v)
{
	bool first = true;
	const unsigned char *s = (const unsigned char *)v;
	while (*s) {
		while (*s && is_py_space(*s))
			s++;
		if (!*s)
			break;
		const unsigned char *e = s;
		while (*e && !is_py_space(*e))
			e++;
		int rc = first ? 0 : sp_buf_putc(out, ' ');
		if (!rc)
			rc = sp_buf_append(out, s, (size_t)(e - s));
		if (rc)
			return rc;
		first = false;
		s = e;
	}
	return 0;
}

static bool is_unsigned_header(const char *lname)
{
	for (size_t i = 0; i < sizeof(unsigned_headers) / sizeof(unsigned_headers[0]); i++)
		if (!strcmp(lname, unsigned_headers[i]))
			return true;
	return false;
}

static int hmac256(const void *key, size_t keylen, const char *msg, size_t n,
		   unsigned char out[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	/* md, not out: callers chain keys in place (out may be key). */
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, n, md, &len) ||
	    len != 32)
		return SP_ERROR;
	memcpy(out, md, 32);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int sp_sigv4_sign(const struct sp_sigv4_request *req, const struct sp_sigv4_key *key,
		  const char *amz_date, struct sp_buf *authorization,
		  const struct sp_sigv4_debug *debug)
{
	struct sp_buf creq = SP_BUF_INIT(SP_SIGV4_MAX_CANONICAL);
	struct sp_buf sts = SP_BUF_INIT(SP_SIGV4_MAX_CANONICAL);
	struct sp_buf signed_list = SP_BUF_INIT(SP_SIGV4_MAX_CANONICAL);
	struct sp_buf kbuf = SP_BUF_INIT(4096);
	struct hdr *h = NULL;
	size_t nh = 0;
	const char *payload_hash = NULL;
	char hex[SP_SHA256_HEX_LEN + 1];
	unsigned char k[32];
	int rc = SP_EINVAL;

	if (!req || !req->method || !*req->method || !key || !key->access_key_id ||
	    !key->secret_access_key || !key->region || !key->service || !date_ok(amz_date) ||
	    (req->body_len && !req->body))
		goto out;
	if (req->nheaders > SP_SIGV4_MAX_HEADERS) {
		rc = SP_ETOOBIG;
		goto out;
	}
	rc = SP_ENOMEM;
	h = calloc(req->nheaders ? req->nheaders : 1, sizeof(*h));
	if (!h)
		goto out;
	for (size_t i = 0; i < req->nheaders; i++) {
		const char *name = req->headers[i].name;
		rc = SP_EINVAL;
		if (!name || !*name || !req->headers[i].value)
			goto out;
		for (const char *c = name; *c; c++)
			if (!is_tchar((unsigned char)*c))
				goto out;
		if (!strcasecmp(name, "x-amz-content-sha256"))
			payload_hash = req->headers[i].value;
		char *l = sp_strdup(name);
		rc = SP_ENOMEM;
		if (!l)
			goto out;
		for (char *c = l; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if (is_unsigned_header(l)) {
			free(l);
			continue;
		}
		h[nh].lname = l;
		h[nh].value = req->headers[i].value;
		h[nh].order = i;
		nh++;
	}
	qsort(h, nh, sizeof(*h), hdr_cmp);

	/* 1. canonical request */
	for (const char *m = req->method; *m; m++)
		if ((rc = sp_buf_putc(&creq, (*m >= 'a' && *m <= 'z') ? (char)(*m - 32) : *m)))
			goto out;
	if ((rc = sp_buf_putc(&creq, '\n')) ||
	    (rc = normalize_path(req->path ? req->path : "", &creq)) ||
	    (rc = sp_buf_putc(&creq, '\n')) || (rc = canonical_query(req->query, &creq)) ||
	    (rc = sp_buf_putc(&creq, '\n')))
		goto out;
	for (size_t i = 0; i < nh; i++) {
		bool same = i && !strcmp(h[i].lname, h[i - 1].lname);
		if (same) {
			rc = sp_buf_putc(&creq, ',');
		} else {
			if (i && (rc = sp_buf_putc(&creq, '\n')))
				goto out;
			if (signed_list.len && (rc = sp_buf_putc(&signed_list, ';')))
				goto out;
			if ((rc = sp_buf_puts(&signed_list, h[i].lname)))
				goto out;
			if ((rc = sp_buf_puts(&creq, h[i].lname)))
				goto out;
			rc = sp_buf_putc(&creq, ':');
		}
		if (rc || (rc = put_trimmed(&creq, h[i].value)))
			goto out;
	}
	if ((rc = sp_buf_puts(&creq, "\n\n")) ||
	    (rc = sp_buf_puts(&creq, sp_buf_cstr(&signed_list))) ||
	    (rc = sp_buf_putc(&creq, '\n')))
		goto out;
	if (payload_hash) {
		rc = sp_buf_puts(&creq, payload_hash);
	} else {
		if ((rc = sp_sha256_hex(req->body_len ? req->body : "", req->body_len, hex)))
			goto out;
		rc = sp_buf_puts(&creq, hex);
	}
	if (rc)
		goto out;

	/* 2. string to sign */
	if ((rc = sp_sha256_hex(creq.data, creq.len, hex)) ||
	    (rc = sp_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s",
				amz_date, amz_date, key->region, key->service, hex)))
		goto out;

	/* 3. signing key and signature */
	if ((rc = sp_buf_puts(&kbuf, "AWS4")) ||
	    (rc = sp_buf_puts(&kbuf, key->secret_access_key)) ||
	    (rc = hmac256(kbuf.data, kbuf.len, amz_date, 8, k)) ||
	    (rc = hmac256(k, 32, key->region, strlen(key->region), k)) ||
	    (rc = hmac256(k, 32, key->service, strlen(key->service), k)) ||
	    (rc = hmac256(k, 32, "aws4_request", 12, k)) ||
	    (rc = hmac256(k, 32, sts.data, sts.len, k)))
		goto out;
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[k[i] >> 4];
		hex[2 * i + 1] = digits[k[i] & 15];
	}
	hex[64] = '\0';

	/* 4. the header; every output is written only now */
	size_t before = authorization->len;
	rc = sp_buf_printf(authorization,
			   "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
			   "SignedHeaders=%s, Signature=%s",
			   key->access_key_id, amz_date, key->region, key->service,
			   sp_buf_cstr(&signed_list), hex);
	if (rc)
		goto out;
	if (debug && debug->canonical_request &&
	    (rc = sp_buf_append(debug->canonical_request, sp_buf_cstr(&creq), creq.len)))
		goto undo;
	if (debug && debug->string_to_sign &&
	    (rc = sp_buf_append(debug->string_to_sign, sp_buf_cstr(&sts), sts.len)))
		goto undo;
	goto out;
undo:
	authorization->len = before;
	if (authorization->data)
		authorization->data[before] = '\0';
out:
	OPENSSL_cleanse(k, sizeof(k));
	if (kbuf.data)
		OPENSSL_cleanse(kbuf.data, kbuf.len);
	for (size_t i = 0; i < nh; i++)
		free(h[i].lname);
	free(h);
	sp_buf_free(&creq);
	sp_buf_free(&sts);
	sp_buf_free(&signed_list);
	sp_buf_free(&kbuf);
	return rc;
}
