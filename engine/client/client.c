/* client.c — JSON requests to the engine's API over libcurl, and its error shape. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "engine/client/client_internal.h"
#include "engine/base/banned.h"

#ifndef SPROUT_VERSION
#define SPROUT_VERSION "0.0.0"
#endif

int64_t sp_client_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sp_client_new(const struct sp_client_options *o, struct sp_client **out)
{
	if (!o || !o->endpoint || !*o->endpoint)
		return SP_EINVAL;
	if (o->token && strlen(o->token) > MAX_CLIENT_TOKEN)
		return SP_ETOOBIG;
	struct sp_client *c = calloc(1, sizeof(*c));
	if (!c)
		return SP_ENOMEM;
	c->endpoint = sp_strdup(o->endpoint);
	c->token = o->token ? sp_strdup(o->token) : NULL;
	c->user_agent = o->user_agent ? sp_strdup(o->user_agent) : sp_strdup("sprout/" SPROUT_VERSION);
	c->ca_file = o->ca_file ? sp_strdup(o->ca_file) : NULL;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
	c->curl = curl_easy_init();
	if (!c->endpoint || (o->token && !c->token) || !c->user_agent ||
	    (o->ca_file && !c->ca_file) || !c->curl) {
		sp_client_free(c);
		return SP_ENOMEM;
	}
	*out = c;
	return 0;
}

void sp_client_free(struct sp_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->stream)
		curl_easy_cleanup(c->stream);
	free(c->endpoint);
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->user_agent);
	free(c->ca_file);
	free(c);
}

const char *sp_client_endpoint(const struct sp_client *c)
{
	return c->endpoint;
}

/* --- errors ------------------------------------------------------------------------- */

void sp_client_error_init(struct sp_client_error *e)
{
	memset(e, 0, sizeof(*e));
	sp_diags_init(&e->details);
}

void sp_client_error_free(struct sp_client_error *e)
{
	if (!e)
		return;
	free(e->code);
	free(e->message);
	free(e->request_id);
	sp_diags_free(&e->details);
	memset(e, 0, sizeof(*e));
}

void client_error_set(struct sp_client_error *e, long status, const char *code,
		      const char *fmt, ...)
{
	if (!e)
		return;
	free(e->code);
	free(e->message);
	e->status = status;
	e->code = sp_strdup(code);
	va_list ap;
	struct sp_buf b = SP_BUF_INIT(4096);
	va_start(ap, fmt);
	sp_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *msg = NULL;
	size_t n;
	if (b.len == 0 || sp_buf_detach(&b, &msg, &n) != 0)
		msg = sp_strdup("unknown error");
	sp_buf_free(&b);
	e->message = msg;
}

static int status_to_code(long status)
{
	switch (status) {
	case 400: case 422: return SP_EINVAL;
	case 404: return SP_ENOTFOUND;
	case 409: return SP_EEXISTS;
	case 413: return SP_ETOOBIG;
	default: return SP_ERROR;
	}
}

/* Reads {"error": {code, message, details}} from a non-2xx body; anything else becomes
 * a generic message naming the status. Returns the SP_E* code for the status. */
int client_http_error(const struct sp_buf *body, long status, const char *request_id,
		      struct sp_client_error *e)
{
	int rc = status_to_code(status);
	if (!e)
		return rc;
	json_t *j = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	json_t *err = j ? json_object_get(j, "error") : NULL;
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	if (code && msg) {
		client_error_set(e, status, code, "%s", msg);
		json_t *det = json_object_get(err, "details");
		if (json_is_array(det))
			sp_diags_from_json(det, &e->details);
	} else {
		client_error_set(e, status, "CLIENT_HTTP_ERROR",
				 "the engine answered HTTP %ld without an API error body", status);
	}
	free(e->request_id);
	e->request_id = request_id && *request_id ? sp_strdup(request_id) : NULL;
	json_decref(j);
	return rc;
}

int sp_client_error_render(const struct sp_client_error *e, const char *endpoint, bool color,
			   struct sp_buf *out)
{
	const char *red = color ? "\033[1;31m" : "", *bold = color ? "\033[1m" : "",
		   *cyan = color ? "\033[1;36m" : "", *off = color ? "\033[0m" : "";
	int rc = sp_buf_printf(out, "%serror[%s]%s: %s%s%s", red, e->code ? e->code : "CLIENT_ERROR",
			       off, bold, e->message ? e->message : "unknown error", off);
	if (!rc && e->status)
		rc = sp_buf_printf(out, " (HTTP %ld%s%s)", e->status,
				   e->request_id ? ", request " : "", e->request_id ? e->request_id : "");
	if (!rc)
		rc = sp_buf_putc(out, '\n');
	if (!rc && e->details.n) {
		struct sp_buf d = SP_BUF_INIT(0);
		rc = sp_diags_render_text(&e->details, color, &d);
		if (!rc)
			rc = sp_buf_puts(out, sp_buf_cstr(&d));
		sp_buf_free(&d);
	}
	if (rc)
		return rc;
	if (e->status == 401)
		rc = sp_buf_printf(out, "  %shint%s: the engine refused the token; give the right one with"
				   " --token or SPROUT_TOKEN (`sprout token` on the engine's machine"
				   " prints it)\n", cyan, off);
	else if (e->status == 0 && e->code && strcmp(e->code, "CLIENT_CONNECT") == 0)
		rc = sp_buf_printf(out, "  %shint%s: is `sprout serve` running at %s? Set the"
				   " engine with --endpoint, SPROUT_ENDPOINT or `sprout init"
				   " --endpoint URL`\n", cyan, off, endpoint ? endpoint : "the endpoint");
	return rc;
}

/* --- URLs ---------------------------------------------------------------------------- */

static int put_escaped(struct sp_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			rc = sp_buf_putc(b, (char)*p);
		} else {
			char t[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			rc = sp_buf_append(b, t, 3);
		}
	}
	return rc;
}

int sp_client_path_segment(struct sp_buf *path, const char *segment)
{
	int rc = sp_buf_putc(path, '/');
	return rc ? rc : put_escaped(path, segment);
}

int sp_client_path_query(struct sp_buf *path, const char *const *kv)
{
	bool first = strchr(sp_buf_cstr(path), '?') == NULL;
	int rc = 0;
	for (size_t i = 0; kv[i] && !rc; i += 2) {
		if (!kv[i + 1])
			continue;
		rc = sp_buf_putc(path, first ? '?' : '&');
		first = false;
		if (!rc)
			rc = put_escaped(path, kv[i]);
		if (!rc)
			rc = sp_buf_putc(path, '=');
		if (!rc)
			rc = put_escaped(path, kv[i + 1]);
	}
	return rc;
}

int sp_client_new_request_id(char out[48])
{
	unsigned char r[12];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		int64_t t = sp_client_mono_ms();
		memset(r, 0, sizeof(r));
		memcpy(r, &t, sizeof(t));
	}
	int n = snprintf(out, 48, "sprout-cli-");
	for (size_t i = 0; i < sizeof(r); i++)
		n += snprintf(out + n, (size_t)(48 - n), "%02x", r[i]);
	return 0;
}

/* --- requests ------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sp_buf *b = arg;
	size_t n = size * nmemb;
	return sp_buf_append(b, p, n) == 0 ? n : 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_xfer *x = arg;
	size_t n = size * nmemb;
	static const char name[] = "x-request-id:";
	if (n > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
		const char *v = p + sizeof(name) - 1;
		size_t vn = n - (sizeof(name) - 1);
		while (vn && (*v == ' ' || *v == '\t')) {
			v++;
			vn--;
		}
		while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
			vn--;
		if (vn < sizeof(x->request_id)) {
			memcpy(x->request_id, v, vn);
			x->request_id[vn] = '\0';
		}
	}
	return n;
}

int client_prepare(struct sp_client *c, CURL *h, const char *method, const char *path,
		   const char *request_id, struct client_xfer *x)
{
	struct sp_buf url = SP_BUF_INIT(MAX_CLIENT_URL);
	int rc;
	curl_easy_reset(h);
	memset(x->request_id, 0, sizeof(x->request_id));
	x->headers = NULL;
	if ((rc = sp_buf_printf(&url, "%s/api/v1%s", c->endpoint, path)))
		goto out;
	rc = SP_ENOMEM;
	if (c->token) {
		char *auth = sp_aprintf("Authorization: Bearer %s", c->token);
		if (!auth)
			goto out;
		struct curl_slist *l = curl_slist_append(x->headers, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
		if (!l)
			goto out;
		x->headers = l;
	}
	if (request_id) {
		char hdr[96];
		snprintf(hdr, sizeof(hdr), "X-Request-Id: %s", request_id);
		struct curl_slist *l = curl_slist_append(x->headers, hdr);
		if (!l)
			goto out;
		x->headers = l;
	}
	curl_easy_setopt(h, CURLOPT_URL, sp_buf_cstr(&url));
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, SP_CLIENT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	rc = 0;
out:
	sp_buf_free(&url);
	return rc;
}

int client_transport_error(const struct sp_client *c, CURLcode cc, const char *errbuf,
			   struct sp_client_error *err)
{
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(cc);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		/* libcurl's own text is without timings, so the message is the same each time */
		client_error_set(err, 0, "CLIENT_CONNECT", "cannot reach the engine at %s: %s",
				 c->endpoint, curl_easy_strerror(cc));
		break;
	case CURLE_OPERATION_TIMEDOUT:
		client_error_set(err, 0, "CLIENT_TIMEOUT", "the engine did not answer in time: %s", why);
		break;
	case CURLE_URL_MALFORMAT:
		client_error_set(err, 0, "CLIENT_URL", "bad request URL: %s", why);
		return SP_EINVAL;
	default:
		client_error_set(err, 0, "CLIENT_TRANSPORT", "request to the engine failed: %s", why);
	}
	return SP_EIO;
}

int sp_client_request(struct sp_client *c, const char *method, const char *path,
		      const json_t *body, const char *request_id, json_t **out,
		      struct sp_client_error *err)
{
	struct client_xfer x;
	struct sp_buf resp = SP_BUF_INIT(MAX_CLIENT_RESPONSE);
	char errbuf[CURL_ERROR_SIZE] = "";
	char *text = NULL;
	json_t *parsed = NULL;
	long status = 0;
	int rc = client_prepare(c, c->curl, method, path, request_id, &x);
	if (rc)
		goto out;
	CURL *h = c->curl;
	if (body) {
		rc = SP_ENOMEM;
		if (!(text = json_dumps(body, JSON_COMPACT)))
			goto out;
		struct curl_slist *l = curl_slist_append(x.headers, "Content-Type: application/json");
		if (!l)
			goto out;
		x.headers = l;
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x.headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(h);
	if (cc == CURLE_WRITE_ERROR && resp.len + CURL_MAX_WRITE_SIZE > MAX_CLIENT_RESPONSE) {
		client_error_set(err, 0, "CLIENT_RESPONSE_TOO_LARGE",
				 "the engine's answer is larger than %zu bytes", MAX_CLIENT_RESPONSE);
		rc = SP_ETOOBIG;
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = client_transport_error(c, cc, errbuf, err);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		rc = client_http_error(&resp, status, x.request_id, err);
		goto out;
	}
	if (resp.len) {
		json_error_t je;
		if (!(parsed = json_loadb(resp.data, resp.len, 0, &je))) {
			client_error_set(err, status, "CLIENT_BAD_RESPONSE",
					 "the engine's answer is not JSON: %s", je.text);
			rc = SP_EIO;
			goto out;
		}
	}
	if (out) {
		*out = parsed;
		parsed = NULL;
	}
	rc = 0;
out:
	if (rc && err && !err->message)
		client_error_set(err, 0, rc == SP_ENOMEM ? "CLIENT_NOMEM" : "CLIENT_ERROR",
				 "cannot make the request: %s", sp_strerror(rc));
	json_decref(parsed);
	curl_slist_free_all(x.headers);
	x.headers = NULL;
	free(text);
	sp_buf_free(&resp);
	return rc;
}

int sp_client_list(struct sp_client *c, const char *path, const char *key, size_t max_items,
		   json_t **out, struct sp_client_error *err)
{
	json_t *all = json_array();
	char *token = NULL;
	int rc = all ? 0 : SP_ENOMEM;
	for (size_t page = 0; !rc && page < MAX_LIST_PAGES; page++) {
		struct sp_buf p = SP_BUF_INIT(MAX_CLIENT_URL);
		json_t *resp = NULL;
		const char *q[] = { "next_token", token, NULL };
		rc = sp_buf_puts(&p, path);
		if (!rc)
			rc = sp_client_path_query(&p, q);
		if (!rc)
			rc = sp_client_request(c, "GET", sp_buf_cstr(&p), NULL, NULL, &resp, err);
		sp_buf_free(&p);
		if (rc)
			break;
		json_t *items = json_object_get(resp, key);
		if (!json_is_array(items)) {
			client_error_set(err, 200, "CLIENT_BAD_RESPONSE",
					 "the engine's answer has no \"%s\" list", key);
			json_decref(resp);
			rc = SP_EIO;
			break;
		}
		size_t i;
		json_t *v;
		json_array_foreach(items, i, v) {
			if (max_items && json_array_size(all) >= max_items)
				break;
			json_array_append(all, v);
		}
		free(token);
		token = NULL;
		const char *next = json_string_value(json_object_get(resp, "next_token"));
		if (next && (!max_items || json_array_size(all) < max_items))
			token = sp_strdup(next);
		json_decref(resp);
		if (!token)
			break;
	}
	free(token);
	if (rc) {
		json_decref(all);
		return rc;
	}
	*out = all;
	return 0;
}
