/* registry.c — the Registry HTTP API v2 client: one state machine per image, all of them
 * driven by one curl multi handle so a version's images are checked in the time of the
 * slowest, not the sum. Tokens and definite outcomes are cached in the client. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/base/sha256.h"
#include "engine/image/ref.h"
#include "engine/registry/registry_internal.h"
#include "engine/registry/www_authenticate.h"
#include "engine/base/banned.h"

#define MANIFEST_ACCEPT                                                                    \
	"Accept: application/vnd.docker.distribution.manifest.v2+json, "                   \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                      \
	"application/vnd.oci.image.manifest.v1+json, "                                     \
	"application/vnd.oci.image.index.v1+json"

#define MAX_CACHE_ENTRIES 1024 /* MAX_CACHE_ENTRIES per cache; the oldest go first */

struct cache_entry {
	char *key;
	char *token;                   /* token cache */
	struct sp_registry_result res; /* result cache */
	int64_t expires_at;
	struct cache_entry *next;
};

struct sp_registry {
	struct sp_registry_options opt;
	char *ca_file;
	char *user_agent;
	struct cache_entry *tokens;
	struct cache_entry *results;
	char **plain_hosts; /* loopback hosts found to speak plain http */
	size_t n_plain_hosts;
	int64_t (*now)(void *);
	void *now_ctx;
};

enum step { STEP_PING, STEP_TOKEN, STEP_MANIFEST, STEP_MANIFEST_GET, STEP_TAGS, STEP_DONE };
enum auth { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct job {
	struct sp_registry *r;
	const struct sp_registry_image *in;
	struct sp_registry_result res;
	struct sp_image_ref ref;
	bool ref_ok;
	const char *api_host;
	const char *reference; /* tag or digest */
	bool by_digest;
	bool http;
	enum auth auth;
	char *realm, *service;
	char *token_key;
	const char *token; /* borrowed from the cache */
	bool renewed;
	char *creds_id;
	char *cache_key;
	enum step step;
	CURL *easy;
	struct curl_slist *hdrs;
	struct sp_buf url;
	struct sp_buf body;
	size_t header_bytes;
	bool header_overflow, body_overflow;
	struct sp_buf www_auth;
	char *digest, *ctype;
};

/* ---- clock and caches ---- */

static int64_t mono_now(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

void sp_registry_set_clock(struct sp_registry *r, int64_t (*now)(void *), void *ctx)
{
	r->now = now ? now : mono_now;
	r->now_ctx = ctx;
}

static int64_t reg_now(struct sp_registry *r)
{
	return r->now(r->now_ctx);
}

static void entry_free(struct cache_entry *e)
{
	if (!e)
		return;
	if (e->token)
		explicit_bzero(e->token, strlen(e->token));
	free(e->token);
	free(e->key);
	sp_registry_results_free(&e->res, 1);
	free(e);
}

static void cache_free(struct cache_entry *e)
{
	while (e) {
		struct cache_entry *n = e->next;
		entry_free(e);
		e = n;
	}
}

/* Drops expired entries, the entry for key, and the oldest past MAX_CACHE_ENTRIES. */
static void cache_prune(struct sp_registry *r, struct cache_entry **head, const char *key)
{
	int64_t now = reg_now(r);
	size_t kept = 0;
	struct cache_entry **pp = head;
	while (*pp) {
		struct cache_entry *e = *pp;
		bool drop = e->expires_at <= now || (key && strcmp(e->key, key) == 0) ||
			    kept >= MAX_CACHE_ENTRIES - 1;
		if (drop) {
			*pp = e->next;
			entry_free(e);
		} else {
			kept++;
			pp = &e->next;
		}
	}
}

static struct cache_entry *cache_find(struct sp_registry *r, struct cache_entry *e,
				      const char *key)
{
	int64_t now = reg_now(r);
	for (; e; e = e->next)
		if (strcmp(e->key, key) == 0 && e->expires_at > now)
			return e;
	return NULL;
}

int sp_registry_token_put(struct sp_registry *r, const char *key, const char *token,
			  long expires_in)
{
	struct cache_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return SP_ENOMEM;
	e->key = sp_strdup(key);
	e->token = sp_strdup(token);
	if (!e->key || !e->token) {
		entry_free(e);
		return SP_ENOMEM;
	}
	if (expires_in < 1)
		expires_in = SP_REGISTRY_DEFAULT_TOKEN_TTL;
	/* a few seconds early, so a token does not expire between cache and registry */
	e->expires_at = reg_now(r) + (expires_in > 10 ? expires_in - 5 : expires_in);
	cache_prune(r, &r->tokens, key);
	e->next = r->tokens;
	r->tokens = e;
	return 0;
}

const char *sp_registry_token_get(struct sp_registry *r, const char *key)
{
	struct cache_entry *e = cache_find(r, r->tokens, key);
	return e ? e->token : NULL;
}

void sp_registry_token_drop(struct sp_registry *r, const char *key)
{
	cache_prune(r, &r->tokens, key);
}

static int result_copy(const struct sp_registry_result *src, struct sp_registry_result *dst)
{
	struct sp_registry_result t = *src;
	t.registry = src->registry ? sp_strdup(src->registry) : NULL;
	t.digest = src->digest ? sp_strdup(src->digest) : NULL;
	t.media_type = src->media_type ? sp_strdup(src->media_type) : NULL;
	t.detail = src->detail ? sp_strdup(src->detail) : NULL;
	if ((src->registry && !t.registry) || (src->digest && !t.digest) ||
	    (src->media_type && !t.media_type) || (src->detail && !t.detail)) {
		sp_registry_results_free(&t, 1);
		return SP_ENOMEM;
	}
	*dst = t;
	return 0;
}

static void result_cache_put(struct sp_registry *r, const char *key,
			     const struct sp_registry_result *res)
{
	struct cache_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->key = sp_strdup(key);
	if (!e->key || result_copy(res, &e->res) != 0) {
		entry_free(e);
		return;
	}
	e->expires_at = reg_now(r) + r->opt.cache_ttl_s;
	cache_prune(r, &r->results, key);
	e->next = r->results;
	r->results = e;
}

/* ---- client ---- */

int sp_registry_new(const struct sp_registry_options *opts, struct sp_registry **out)
{
	struct sp_registry *r = calloc(1, sizeof(*r));
	if (!r)
		return SP_ENOMEM;
	if (opts)
		r->opt = *opts;
	if (r->opt.connect_timeout_ms <= 0)
		r->opt.connect_timeout_ms = SP_REGISTRY_DEFAULT_CONNECT_MS;
	if (r->opt.total_timeout_ms <= 0)
		r->opt.total_timeout_ms = SP_REGISTRY_DEFAULT_TOTAL_MS;
	if (r->opt.cache_ttl_s == 0)
		r->opt.cache_ttl_s = SP_REGISTRY_DEFAULT_CACHE_TTL;
	if (r->opt.max_parallel == 0)
		r->opt.max_parallel = SP_REGISTRY_DEFAULT_PARALLEL;
	r->ca_file = r->opt.ca_file ? sp_strdup(r->opt.ca_file) : NULL;
	r->user_agent = sp_strdup(r->opt.user_agent ? r->opt.user_agent : "sprout/" SPROUT_VERSION);
	if ((r->opt.ca_file && !r->ca_file) || !r->user_agent) {
		sp_registry_free(r);
		return SP_ENOMEM;
	}
	r->opt.ca_file = r->ca_file;
	r->opt.user_agent = r->user_agent;
	r->now = mono_now;
	*out = r;
	return 0;
}

void sp_registry_free(struct sp_registry *r)
{
	if (!r)
		return;
	cache_free(r->tokens);
	cache_free(r->results);
	for (size_t i = 0; i < r->n_plain_hosts; i++)
		free(r->plain_hosts[i]);
	free(r->plain_hosts);
	free(r->ca_file);
	free(r->user_agent);
	free(r);
}

void sp_registry_results_free(struct sp_registry_result *results, size_t n)
{
	for (size_t i = 0; results && i < n; i++) {
		free(results[i].registry);
		free(results[i].digest);
		free(results[i].media_type);
		free(results[i].detail);
		memset(&results[i], 0, sizeof(results[i]));
	}
}

static bool host_plain(struct sp_registry *r, const char *host)
{
	for (size_t i = 0; i < r->n_plain_hosts; i++)
		if (strcmp(r->plain_hosts[i], host) == 0)
			return true;
	return false;
}

static void host_set_plain(struct sp_registry *r, const char *host)
{
	if (host_plain(r, host) || r->n_plain_hosts >= MAX_CACHE_ENTRIES)
		return;
	char **p = realloc(r->plain_hosts, (r->n_plain_hosts + 1) * sizeof(*p));
	if (!p)
		return;
	r->plain_hosts = p;
	if ((p[r->n_plain_hosts] = sp_strdup(host)) != NULL)
		r->n_plain_hosts++;
}

/* ---- token answers ---- */

int sp_registry_parse_token(const char *body, size_t n, char **token, long *expires_in)
{
	json_error_t err;
	json_t *root = json_loadb(body, n, 0, &err);
	int rc = SP_EINVAL;
	if (!json_is_object(root))
		goto out;
	const char *t = json_string_value(json_object_get(root, "token"));
	if (!t || !*t)
		t = json_string_value(json_object_get(root, "access_token"));
	if (!t || !*t)
		goto out;
	size_t tl = strlen(t);
	if (tl > SP_REGISTRY_MAX_TOKEN) {
		rc = SP_ETOOBIG;
		goto out;
	}
	for (size_t i = 0; i < tl; i++) /* it goes into a header: no CR, LF or controls */
		if ((unsigned char)t[i] < 0x21 || t[i] == 0x7f)
			goto out;
	json_t *ei = json_object_get(root, "expires_in");
	long e = SP_REGISTRY_DEFAULT_TOKEN_TTL;
	if (json_is_integer(ei) && json_integer_value(ei) > 0)
		e = json_integer_value(ei) > 86400L * 365 ? 86400L * 365 : (long)json_integer_value(ei);
	char *copy = sp_strdup(t);
	if (!copy) {
		rc = SP_ENOMEM;
		goto out;
	}
	*token = copy;
	*expires_in = e;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- one request ---- */

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct job *j = ud;
	size_t n = size * nmemb;
	j->header_bytes += n;
	if (j->header_bytes > SP_REGISTRY_MAX_HEADER) {
		j->header_overflow = true;
		return 0;
	}
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new response (after a redirect) */
		sp_buf_reset(&j->www_auth);
		free(j->digest);
		free(j->ctype);
		j->digest = j->ctype = NULL;
		j->header_bytes = n;
		return n;
	}
	const char *colon = memchr(p, ':', n);
	if (!colon)
		return n;
	size_t nl = (size_t)(colon - p);
	const char *v = colon + 1;
	size_t vn = n - nl - 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
		vn--;
	if (nl == 16 && strncasecmp(p, "www-authenticate", nl) == 0) {
		if (j->www_auth.len)
			sp_buf_puts(&j->www_auth, ", ");
		if (sp_buf_append(&j->www_auth, v, vn) != 0)
			j->header_overflow = true;
	} else if (nl == 21 && strncasecmp(p, "docker-content-digest", nl) == 0) {
		free(j->digest);
		j->digest = sp_strndup(v, vn);
	} else if (nl == 12 && strncasecmp(p, "content-type", nl) == 0) {
		free(j->ctype);
		j->ctype = sp_strndup(v, vn);
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct job *j = ud;
	size_t n = size * nmemb;
	if (j->step == STEP_TAGS || j->step == STEP_PING)
		return n; /* only the status matters */
	if (sp_buf_append(&j->body, p, n) != 0) {
		j->body_overflow = true;
		return 0;
	}
	return n;
}

static int url_escaped(struct sp_buf *b, CURL *e, const char *s)
{
	char *x = curl_easy_escape(e, s, 0);
	if (!x)
		return SP_ENOMEM;
	int rc = sp_buf_puts(b, x);
	curl_free(x);
	return rc;
}

static int build_url(struct job *j)
{
	struct sp_buf *u = &j->url;
	int rc = 0;
	sp_buf_reset(u);
	if (j->step == STEP_TOKEN) {
		rc = sp_buf_puts(u, j->realm);
		rc = rc ? rc : sp_buf_puts(u, strchr(j->realm, '?') ? "&" : "?");
		if (!rc && j->service) {
			rc = sp_buf_puts(u, "service=");
			rc = rc ? rc : url_escaped(u, j->easy, j->service);
			rc = rc ? rc : sp_buf_puts(u, "&");
		}
		rc = rc ? rc : sp_buf_puts(u, "scope=");
		if (!rc) {
			struct sp_buf scope = SP_BUF_INIT(4096);
			rc = sp_buf_printf(&scope, "repository:%s:pull", j->ref.path);
			rc = rc ? rc : url_escaped(u, j->easy, sp_buf_cstr(&scope));
			sp_buf_free(&scope);
		}
		return rc;
	}
	rc = sp_buf_printf(u, "%s://%s/v2/", j->http ? "http" : "https", j->api_host);
	if (rc || j->step == STEP_PING)
		return rc;
	if (j->step == STEP_TAGS)
		return sp_buf_printf(u, "%s/tags/list?n=1", j->ref.path);
	return sp_buf_printf(u, "%s/manifests/%s", j->ref.path, j->reference);
}

static int job_start(struct job *j, CURLM *m)
{
	struct sp_registry *r = j->r;
	int rc = SP_ENOMEM;

	j->easy = curl_easy_init();
	if (!j->easy)
		return SP_ENOMEM;
	sp_buf_reset(&j->body);
	sp_buf_reset(&j->www_auth);
	free(j->digest);
	free(j->ctype);
	j->digest = j->ctype = NULL;
	j->header_bytes = 0;
	j->header_overflow = j->body_overflow = false;
	j->body.max = j->step == STEP_MANIFEST_GET ? SP_REGISTRY_MAX_MANIFEST : SP_REGISTRY_MAX_BODY;
	rc = build_url(j);
	if (rc)
		return rc;

	CURL *e = j->easy;
	curl_easy_setopt(e, CURLOPT_URL, sp_buf_cstr(&j->url));
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)(void *)j);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->opt.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->opt.total_timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)SP_REGISTRY_MAX_REDIRECTS);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, r->user_agent);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (r->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
	if (j->step == STEP_MANIFEST)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);

	const struct sp_registry_credentials *c = j->in->creds;
	bool to_registry = j->step != STEP_TOKEN && j->step != STEP_PING;
	if (c && ((j->step == STEP_TOKEN) || (to_registry && j->auth == AUTH_BASIC))) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->password);
	}
	if (to_registry && j->step != STEP_TAGS) {
		j->hdrs = curl_slist_append(j->hdrs, MANIFEST_ACCEPT);
		if (!j->hdrs)
			return SP_ENOMEM;
	}
	if (to_registry && j->auth == AUTH_BEARER && j->token) {
		struct sp_buf h = SP_BUF_INIT(SP_REGISTRY_MAX_TOKEN + 64);
		rc = sp_buf_printf(&h, "Authorization: Bearer %s", j->token);
		struct curl_slist *nl = rc ? NULL : curl_slist_append(j->hdrs, sp_buf_cstr(&h));
		explicit_bzero(h.data ? h.data : (char *)"", h.len);
		sp_buf_free(&h);
		if (!nl)
			return rc ? rc : SP_ENOMEM;
		j->hdrs = nl;
	}
	if (j->hdrs)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->hdrs);
	if (curl_multi_add_handle(m, e) != CURLM_OK)
		return SP_ERROR;
	return 0;
}

static void job_release_easy(struct job *j, CURLM *m)
{
	if (j->easy) {
		curl_multi_remove_handle(m, j->easy);
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
	}
	curl_slist_free_all(j->hdrs);
	j->hdrs = NULL;
}

static void job_finish(struct job *j, enum sp_image_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_finish(struct job *j, enum sp_image_status s, const char *fmt, ...)
{
	j->res.status = s;
	j->step = STEP_DONE;
	if (fmt) {
		va_list ap;
		struct sp_buf b = SP_BUF_INIT(1024);
		va_start(ap, fmt);
		int rc = sp_buf_vprintf(&b, fmt, ap);
		va_end(ap);
		free(j->res.detail);
		j->res.detail = NULL;
		if (rc == 0) {
			char *d = NULL;
			size_t dn;
			if (sp_buf_detach(&b, &d, &dn) == 0)
				j->res.detail = d;
		}
		sp_buf_free(&b);
	}
}

static bool digest_shape_ok(const char *d)
{
	const char *colon = d ? strchr(d, ':') : NULL;
	if (!colon || colon == d || strlen(colon + 1) < 32)
		return false;
	for (const char *p = colon + 1; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int token_key(struct job *j)
{
	free(j->token_key);
	j->token_key = sp_aprintf("%s\n%s\n%s\nrepository:%s:pull\n%s", j->api_host, j->realm,
				  j->service ? j->service : "", j->ref.path, j->creds_id);
	return j->token_key ? 0 : SP_ENOMEM;
}

/* After a 401 with a challenge: choose Basic or Bearer. Returns the next step, or
 * STEP_DONE after finishing the job. */
static enum step from_challenge(struct job *j)
{
	struct sp_wwwauth w = { 0 };
	enum step next = STEP_DONE;
	bool creds = j->in->creds != NULL;

	if (sp_wwwauth_parse(sp_buf_cstr(&j->www_auth), j->www_auth.len, &w) != 0) {
		job_finish(j, SP_IMAGE_REGISTRY_ERROR, "malformed WWW-Authenticate challenge");
		return STEP_DONE;
	}
	const struct sp_wwwauth_challenge *b = sp_wwwauth_find(&w, "Bearer");
	const char *realm = b ? sp_wwwauth_param(b, "realm") : NULL;
	if (b && realm && (strncmp(realm, "https://", 8) == 0 || strncmp(realm, "http://", 7) == 0)) {
		free(j->realm);
		free(j->service);
		const char *svc = sp_wwwauth_param(b, "service");
		j->realm = sp_strdup(realm);
		j->service = svc ? sp_strdup(svc) : NULL;
		j->auth = AUTH_BEARER;
		if (!j->realm || (svc && !j->service) || token_key(j) != 0) {
			job_finish(j, SP_IMAGE_REGISTRY_ERROR, "out of memory");
			goto out;
		}
		j->token = sp_registry_token_get(j->r, j->token_key);
		next = j->token ? STEP_MANIFEST : STEP_TOKEN;
	} else if (b) {
		job_finish(j, SP_IMAGE_REGISTRY_ERROR, "Bearer challenge without an http(s) realm");
	} else if (sp_wwwauth_find(&w, "Basic")) {
		if (creds) {
			j->auth = AUTH_BASIC;
			next = STEP_MANIFEST;
		} else {
			job_finish(j, SP_IMAGE_UNAUTHORIZED, "Basic authentication required");
		}
	} else {
		job_finish(j, SP_IMAGE_REGISTRY_ERROR, "HTTP 401 without a Basic or Bearer challenge");
	}
out:
	sp_wwwauth_release(&w);
	return next;
}

static void job_unauthorized(struct job *j, long status)
{
	if (j->auth == AUTH_BEARER)
		job_finish(j, SP_IMAGE_UNAUTHORIZED, "HTTP %ld with a token for pull", status);
	else
		job_finish(j, SP_IMAGE_UNAUTHORIZED, "HTTP %ld", status);
}

/* One request finished with curl code cc: decide what comes next. */
static void job_advance(struct job *j, CURLcode cc, long status)
{
	if (cc != CURLE_OK) {
		if (j->step == STEP_PING && !j->http && !j->r->opt.plain_http &&
		    cc == CURLE_SSL_CONNECT_ERROR && sp_registry_host_is_loopback(j->api_host)) {
			/* a loopback registry without TLS: Docker's insecure default */
			j->http = true;
			host_set_plain(j->r, j->api_host);
			j->step = STEP_PING;
			return;
		}
		const char *what = j->step == STEP_TOKEN ? "token service: " : "";
		if (j->header_overflow)
			job_finish(j, SP_IMAGE_REGISTRY_ERROR, "%sresponse headers larger than %d bytes",
				   what, SP_REGISTRY_MAX_HEADER);
		else if (j->body_overflow)
			job_finish(j, SP_IMAGE_REGISTRY_ERROR, "%sresponse larger than %zu bytes",
				   what, j->body.max);
		else if (cc == CURLE_OPERATION_TIMEDOUT)
			job_finish(j, SP_IMAGE_TIMEOUT, "%sno answer within %ld ms", what,
				   j->r->opt.total_timeout_ms);
		else
			job_finish(j, sp_registry_status_from_curl(cc), "%s%s", what,
				   curl_easy_strerror(cc));
		return;
	}
	j->res.http_status = (int)status;
	switch (j->step) {
	case STEP_PING:
		if (status >= 200 && status < 300) {
			j->step = STEP_MANIFEST;
		} else if (status == 401) {
			j->step = from_challenge(j);
		} else {
			job_finish(j, SP_IMAGE_REGISTRY_ERROR,
				   "GET /v2/ answered HTTP %ld; is this a registry (API v2)?", status);
		}
		return;
	case STEP_TOKEN:
		if (status == 200) {
			char *tok = NULL;
			long ttl = 0;
			int rc = sp_registry_parse_token(sp_buf_cstr(&j->body), j->body.len, &tok, &ttl);
			if (rc) {
				job_finish(j, SP_IMAGE_REGISTRY_ERROR,
					   "the token service answered without a usable token");
				return;
			}
			rc = sp_registry_token_put(j->r, j->token_key, tok, ttl);
			explicit_bzero(tok, strlen(tok));
			free(tok);
			j->token = rc ? NULL : sp_registry_token_get(j->r, j->token_key);
			if (!j->token) {
				job_finish(j, SP_IMAGE_REGISTRY_ERROR, "out of memory");
				return;
			}
			j->step = STEP_MANIFEST;
		} else if (status == 401 || status == 403) {
			job_finish(j, SP_IMAGE_UNAUTHORIZED, "the token service answered HTTP %ld",
				   status);
		} else {
			job_finish(j, SP_IMAGE_REGISTRY_ERROR, "the token service answered HTTP %ld",
				   status);
		}
		return;
	case STEP_MANIFEST:
	case STEP_MANIFEST_GET: {
		enum sp_image_status s = sp_registry_status_from_manifest_http(status);
		if (s == SP_IMAGE_FOUND) {
			const char *dg = j->digest;
			char hex[SP_SHA256_HEX_LEN + 1];
			char *computed = NULL;
			if (!digest_shape_ok(dg) && j->by_digest)
				dg = j->reference;
			if (!digest_shape_ok(dg)) {
				if (j->step == STEP_MANIFEST) {
					j->step = STEP_MANIFEST_GET; /* hash the bytes ourselves */
					return;
				}
				if (sp_sha256_hex(j->body.data ? j->body.data : "", j->body.len, hex) == 0)
					dg = computed = sp_aprintf("sha256:%s", hex);
			}
			free(j->res.digest);
			j->res.digest = dg ? sp_strdup(dg) : NULL;
			free(computed);
			if (j->ctype)
				j->res.media_type = sp_strdup(j->ctype);
			job_finish(j, SP_IMAGE_FOUND, NULL);
			return;
		}
		if (status == 404) {
			j->step = STEP_TAGS;
			return;
		}
		if (status == 401) {
			if (j->auth == AUTH_BEARER && !j->renewed) {
				/* expired or refused: renew once */
				j->renewed = true;
				sp_registry_token_drop(j->r, j->token_key);
				j->token = NULL;
				j->step = STEP_TOKEN;
				return;
			}
			if (j->auth == AUTH_NONE && !j->renewed && j->www_auth.len) {
				j->renewed = true;
				j->step = from_challenge(j);
				return;
			}
			job_unauthorized(j, status);
			return;
		}
		if (s == SP_IMAGE_UNAUTHORIZED) {
			job_unauthorized(j, status);
			return;
		}
		if (status == 429)
			job_finish(j, SP_IMAGE_REGISTRY_ERROR, "rate limited (HTTP 429)");
		else
			job_finish(j, SP_IMAGE_REGISTRY_ERROR, "manifest request answered HTTP %ld",
				   status);
		return;
	}
	case STEP_TAGS:
		job_finish(j, sp_registry_status_from_tags_http(status, j->by_digest),
			   status == 404 ? "NAME_UNKNOWN" : "MANIFEST_UNKNOWN");
		return;
	case STEP_DONE:
		return;
	}
}

static int creds_id(const struct sp_registry_credentials *c, char **out)
{
	char hex[SP_SHA256_HEX_LEN + 1];
	if (!c) {
		*out = sp_strdup("anonymous");
		return *out ? 0 : SP_ENOMEM;
	}
	/* a hash, so cache keys never hold the secret */
	struct sp_buf b = SP_BUF_INIT(64 * 1024);
	int rc = sp_buf_printf(&b, "%s%c%s", c->username ? c->username : "", '\0',
			       c->password ? c->password : "");
	rc = rc ? rc : sp_sha256_hex(b.data, b.len, hex);
	if (b.data)
		explicit_bzero(b.data, b.len);
	sp_buf_free(&b);
	if (rc)
		return rc;
	*out = sp_strdup(hex);
	return *out ? 0 : SP_ENOMEM;
}

static int job_prepare(struct job *j)
{
	const char *why = NULL;
	int rc = sp_image_ref_parse(j->in->image ? j->in->image : "", &j->ref, &why);
	if (rc == SP_ENOMEM)
		return rc;
	if (rc) {
		job_finish(j, SP_IMAGE_INVALID_REF, "%s", why ? why : "invalid reference");
		return 0;
	}
	j->ref_ok = true;
	j->res.registry = sp_strdup(j->ref.domain);
	if (!j->res.registry)
		return SP_ENOMEM;
	j->api_host = strcmp(j->ref.domain, "docker.io") == 0 ? SP_REGISTRY_DOCKER_HUB_HOST
							       : j->ref.domain;
	j->by_digest = j->ref.digest != NULL;
	j->reference = j->ref.digest ? j->ref.digest
				     : (j->ref.tag ? j->ref.tag : SP_IMAGE_REF_DEFAULT_TAG);
	j->http = j->r->opt.plain_http || host_plain(j->r, j->api_host);
	rc = creds_id(j->in->creds, &j->creds_id);
	if (rc)
		return rc;
	struct sp_buf canon = SP_BUF_INIT(4096);
	rc = sp_image_ref_string(&j->ref, SP_IMAGE_REF_CANONICAL, &canon);
	if (!rc)
		j->cache_key = sp_aprintf("%s\n%s\n%d", sp_buf_cstr(&canon), j->creds_id, j->http);
	sp_buf_free(&canon);
	if (rc || !j->cache_key)
		return rc ? rc : SP_ENOMEM;
	struct cache_entry *e = cache_find(j->r, j->r->results, j->cache_key);
	if (e) {
		struct sp_registry_result copy;
		if (result_copy(&e->res, &copy) == 0) {
			sp_registry_results_free(&j->res, 1);
			j->res = copy;
			j->res.cached = true;
			j->step = STEP_DONE;
		}
	}
	return 0;
}

static void job_release(struct job *j, CURLM *m)
{
	job_release_easy(j, m);
	sp_image_ref_free(&j->ref);
	free(j->realm);
	free(j->service);
	free(j->token_key);
	free(j->creds_id);
	free(j->cache_key);
	free(j->digest);
	free(j->ctype);
	sp_buf_free(&j->url);
	sp_buf_free(&j->body);
	sp_buf_free(&j->www_auth);
	sp_registry_results_free(&j->res, 1);
}

static bool cacheable(enum sp_image_status s)
{
	return s == SP_IMAGE_FOUND || s == SP_IMAGE_TAG_NOT_FOUND ||
	       s == SP_IMAGE_DIGEST_NOT_FOUND || s == SP_IMAGE_REPO_NOT_FOUND;
}

int sp_registry_check(struct sp_registry *r, const struct sp_registry_image *images,
		      size_t n, struct sp_registry_result *results, struct sp_diags *d)
{
	struct job *jobs = NULL;
	CURLM *m = NULL;
	int rc = 0;
	size_t active = 0;

	if (n > SP_REGISTRY_MAX_IMAGES)
		return SP_ETOOBIG;
	if (n == 0)
		return 0;
	jobs = calloc(n, sizeof(*jobs));
	m = curl_multi_init();
	if (!jobs || !m) {
		rc = jobs ? SP_ERROR : SP_ENOMEM;
		goto out;
	}
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)r->opt.max_parallel);
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		j->r = r;
		j->in = &images[i];
		sp_buf_init(&j->url, 8192 + SP_REGISTRY_MAX_TOKEN);
		sp_buf_init(&j->body, SP_REGISTRY_MAX_BODY);
		sp_buf_init(&j->www_auth, SP_WWWAUTH_MAX_LEN);
		rc = job_prepare(j);
		if (rc)
			goto out;
		if (j->step != STEP_DONE) {
			rc = job_start(j, m);
			if (rc)
				goto out;
			active++;
		}
	}
	while (active > 0) {
		int running = 0, left = 0;
		CURLMsg *msg;
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = SP_ERROR;
			goto out;
		}
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			char *priv = NULL;
			long status = 0;
			CURLcode cc = msg->data.result;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			struct job *j = (struct job *)(void *)priv;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			job_release_easy(j, m);
			job_advance(j, cc, status);
			if (j->step == STEP_DONE) {
				active--;
				continue;
			}
			rc = job_start(j, m);
			if (rc)
				goto out;
		}
		if (active == 0)
			break;
		if (curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK) {
			rc = SP_ERROR;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		if (!j->res.cached && j->cache_key && cacheable(j->res.status))
			result_cache_put(r, j->cache_key, &j->res);
		sp_registry_diag(d, j->in, &j->res, r->opt.strict || j->in->strict, j->in->creds != NULL);
	}
	for (size_t i = 0; i < n; i++) {
		results[i] = jobs[i].res;
		memset(&jobs[i].res, 0, sizeof(jobs[i].res));
	}
out:
	for (size_t i = 0; jobs && i < n; i++)
		job_release(&jobs[i], m);
	free(jobs);
	if (m)
		curl_multi_cleanup(m);
	return rc;
}
