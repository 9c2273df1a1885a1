/* json.c — the API's hot JSON written straight into a buffer (versions and events: the
 * list endpoints send hundreds of them; building jansson trees for each cost more than
 * the queries). The single small objects (applications, errors) use jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/api/api_internal.h"
#include "engine/base/banned.h"

/* A string with JSON escaping, or null. Runs of plain bytes are appended at once. */
static int put_str(struct sp_buf *b, const char *s)
{
	int rc = 0;
	if (!s)
		return sp_buf_puts(b, "null");
	rc |= sp_buf_putc(b, '"');
	const char *run = s, *p = s;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc |= sp_buf_append(b, run, (size_t)(p - run));
		switch (c) {
		case '"': rc |= sp_buf_puts(b, "\\\""); break;
		case '\\': rc |= sp_buf_puts(b, "\\\\"); break;
		case '\n': rc |= sp_buf_puts(b, "\\n"); break;
		case '\r': rc |= sp_buf_puts(b, "\\r"); break;
		case '\t': rc |= sp_buf_puts(b, "\\t"); break;
		default: rc |= sp_buf_printf(b, "\\u%04x", c); break;
		}
		run = p + 1;
	}
	rc |= sp_buf_append(b, run, (size_t)(p - run));
	rc |= sp_buf_putc(b, '"');
	return rc ? SP_ETOOBIG : 0;
}

static int put_key_str(struct sp_buf *b, const char *key, const char *v)
{
	int rc = sp_buf_puts(b, key);
	return rc ? rc : put_str(b, v);
}

static int put_time(struct sp_buf *b, const char *key, int64_t ms)
{
	char t[34];
	t[0] = '"';
	sp_time_iso8601(ms, t + 1);
	size_t n = strlen(t);
	t[n] = '"';
	int rc = sp_buf_puts(b, key);
	return rc ? rc : sp_buf_append(b, t, n + 1);
}

/* key then a decimal integer (no printf: lists write thousands of these) */
static int put_int(struct sp_buf *b, const char *key, int64_t v)
{
	char d[24];
	size_t i = sizeof(d);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[--i] = '-';
	int rc = sp_buf_puts(b, key);
	return rc ? rc : sp_buf_append(b, d + i, sizeof(d) - i);
}

int api_put_version(struct sp_buf *b, const struct sp_version *v, const char *diagnostics)
{
	int rc = 0;
	rc |= put_key_str(b, "{\"application\":", v->application);
	rc |= put_key_str(b, ",\"label\":", v->label);
	rc |= put_key_str(b, ",\"description\":", v->description);
	rc |= put_key_str(b, ",\"status\":", sp_version_status_name(v->status));
	rc |= put_key_str(b, ",\"source\":", v->source ? v->source : SP_VERSION_SOURCE_UPLOAD);
	rc |= put_key_str(b, ",\"bundle\":{\"sha256\":", v->bundle_sha256);
	rc |= put_int(b, ",\"size\":", v->bundle_size);
	rc |= put_int(b, "},\"errors\":", v->errors);
	rc |= put_int(b, ",\"warnings\":", v->warnings);
	rc |= sp_buf_puts(b, v->deployed ? ",\"deployed\":true" : ",\"deployed\":false");
	rc |= put_key_str(b, ",\"request_id\":", v->request_id);
	rc |= put_time(b, ",\"created\":", v->created_ms);
	rc |= put_time(b, ",\"updated\":", v->updated_ms);
	if (diagnostics) { /* stored as JSON text written by sp_diags_to_json */
		rc |= sp_buf_puts(b, ",\"diagnostics\":");
		rc |= sp_buf_puts(b, diagnostics);
	}
	rc |= sp_buf_putc(b, '}');
	return rc ? SP_ETOOBIG : 0;
}

int api_put_event(struct sp_buf *b, const struct sp_event *e)
{
	int rc = 0;
	rc |= put_int(b, "{\"id\":", e->id);
	rc |= put_time(b, ",\"time\":", e->time_ms);
	rc |= put_key_str(b, ",\"severity\":", sp_event_severity_name(e->severity));
	rc |= put_key_str(b, ",\"application\":", e->application);
	rc |= put_key_str(b, ",\"environment\":", e->environment);
	rc |= put_key_str(b, ",\"version\":", e->version);
	rc |= put_key_str(b, ",\"request_id\":", e->request_id);
	rc |= put_key_str(b, ",\"message\":", e->message);
	rc |= sp_buf_putc(b, '}');
	return rc ? SP_ETOOBIG : 0;
}

enum MHD_Result api_json_buf(struct request *rq, unsigned status, struct sp_buf *b)
{
	char *text = NULL;
	size_t n = 0;
	if (sp_buf_detach(b, &text, &n) != 0)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, "X-Request-Id", rq->id);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	rq->status = status;
	rq->responded = true;
	return ret;
}
