/* client_events.c — Server-Sent Events: the parser, following /events/stream with
 * reconnection, and one event as a line of text. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/client/client_internal.h"
#include "engine/base/banned.h"

#define SSE_DEFAULT_RETRY_MS 1000
#define SSE_MAX_RETRY_MS 5000
#define SSE_STALL_S 45 /* the engine sends a keepalive every 15 s */

/* --- parser ---------------------------------------------------------------------------- */

void sp_sse_init(struct sp_sse_parser *p, sp_sse_event_fn on_event, void *arg)
{
	memset(p, 0, sizeof(*p));
	sp_buf_init(&p->line, MAX_SSE_EVENT);
	sp_buf_init(&p->data, MAX_SSE_EVENT);
	sp_buf_init(&p->type, 256);
	sp_buf_init(&p->id, 256);
	p->on_event = on_event;
	p->arg = arg;
}

void sp_sse_free(struct sp_sse_parser *p)
{
	sp_buf_free(&p->line);
	sp_buf_free(&p->data);
	sp_buf_free(&p->type);
	sp_buf_free(&p->id);
}

static int sse_dispatch(struct sp_sse_parser *p)
{
	int rc = 0;
	if (p->data.len) {
		p->data.len--; /* the last LF */
		p->data.data[p->data.len] = '\0';
		struct sp_sse_event ev = { p->type.len ? sp_buf_cstr(&p->type) : "message",
					   sp_buf_cstr(&p->data), sp_buf_cstr(&p->id) };
		rc = p->on_event ? p->on_event(p->arg, &ev) : 0;
	}
	sp_buf_reset(&p->data);
	sp_buf_reset(&p->type);
	return rc;
}

static int sse_line(struct sp_sse_parser *p)
{
	const char *s = sp_buf_cstr(&p->line);
	size_t n = p->line.len;
	if (n == 0)
		return sse_dispatch(p);
	if (s[0] == ':')
		return 0;
	const char *colon = memchr(s, ':', n);
	size_t fn = colon ? (size_t)(colon - s) : n;
	const char *v = colon ? colon + 1 : s + n;
	size_t vn = (size_t)(s + n - v);
	if (vn && *v == ' ') {
		v++;
		vn--;
	}
	if (fn == 5 && memcmp(s, "event", 5) == 0) {
		sp_buf_reset(&p->type);
		return sp_buf_append(&p->type, v, vn);
	}
	if (fn == 4 && memcmp(s, "data", 4) == 0) {
		int rc = sp_buf_append(&p->data, v, vn);
		return rc ? rc : sp_buf_putc(&p->data, '\n');
	}
	if (fn == 2 && memcmp(s, "id", 2) == 0) {
		if (memchr(v, '\0', vn))
			return 0;
		sp_buf_reset(&p->id);
		return sp_buf_append(&p->id, v, vn) ? 0 : 0; /* an over-long id is kept as before */
	}
	if (fn == 5 && memcmp(s, "retry", 5) == 0) {
		long ms = 0;
		if (vn == 0 || vn > 9)
			return 0;
		for (size_t i = 0; i < vn; i++) {
			if (v[i] < '0' || v[i] > '9')
				return 0;
			ms = ms * 10 + (v[i] - '0');
		}
		p->retry_ms = ms;
	}
	return 0;
}

int sp_sse_feed(struct sp_sse_parser *p, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = data[i];
		if (p->skip_lf) {
			p->skip_lf = false;
			if (ch == '\n')
				continue;
		}
		if (ch == '\r' || ch == '\n') {
			p->skip_lf = ch == '\r';
			int rc = sse_line(p);
			sp_buf_reset(&p->line);
			if (rc)
				return rc;
			continue;
		}
		/* copy the run up to the next line break at once */
		size_t j = i;
		while (j < n && data[j] != '\r' && data[j] != '\n')
			j++;
		int rc = sp_buf_append(&p->line, data + i, j - i);
		if (rc)
			return rc;
		i = j - 1;
	}
	return 0;
}

/* --- following ------------------------------------------------------------------------ */

struct follow {
	const struct sp_event_follow *f;
	struct sp_sse_parser parser;
	int64_t last_id;
	long status;
	struct sp_buf errbody;
	bool done, interrupted, timed_out, got_data;
	int cb_error;
};

static int follow_event(void *arg, const struct sp_sse_event *ev)
{
	struct follow *fo = arg;
	int64_t id;
	if (ev->id && *ev->id && sp_parse_i64(ev->id, &id) == 0 && id > fo->last_id)
		fo->last_id = id;
	if (strcmp(ev->type, "event") != 0 && strcmp(ev->type, "message") != 0)
		return 0;
	json_t *j = json_loads(ev->data, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return 0; /* not an event this client knows; skip it */
	}
	json_t *jid = json_object_get(j, "id");
	if (json_is_integer(jid) && json_integer_value(jid) > fo->last_id)
		fo->last_id = json_integer_value(jid);
	int rc = fo->f->on_event ? fo->f->on_event(fo->f->arg, j) : 0;
	json_decref(j);
	if (rc == 0 && fo->f->check)
		rc = fo->f->check(fo->f->arg);
	if (rc < 0) {
		fo->cb_error = rc;
		return rc;
	}
	if (rc > 0) {
		fo->done = true;
		return 1;
	}
	return 0;
}

static size_t follow_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct follow *fo = arg;
	size_t n = size * nmemb;
	if (fo->status != 200)
		return sp_buf_append(&fo->errbody, p, n) == 0 ? n : 0;
	fo->got_data = true;
	return sp_sse_feed(&fo->parser, p, n) == 0 ? n : 0;
}

static bool follow_should_stop(struct follow *fo)
{
	if (fo->f->interrupted && fo->f->interrupted(fo->f->arg)) {
		fo->interrupted = true;
		return true;
	}
	if (fo->f->deadline_ms && sp_client_mono_ms() >= fo->f->deadline_ms) {
		fo->timed_out = true;
		return true;
	}
	return false;
}

static int follow_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a;
	(void)b;
	(void)c;
	(void)d;
	return follow_should_stop(arg) ? 1 : 0;
}

/* The status line arrives before any body byte: remember it for follow_write. */
static size_t follow_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct follow *fo = arg;
	size_t n = size * nmemb;
	if (n > 9 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', n);
		if (sp && (size_t)(sp - p) + 4 <= n) {
			long st = 0;
			for (int i = 1; i <= 3; i++)
				st = st * 10 + (sp[i] - '0');
			fo->status = st;
		}
	}
	return n;
}

int sp_client_events_newest_id(struct sp_client *c, int64_t *out, struct sp_client_error *err)
{
	json_t *resp = NULL;
	int rc = sp_client_request(c, "GET", "/events?limit=1", NULL, NULL, &resp, err);
	if (rc)
		return rc;
	json_t *first = json_array_get(json_object_get(resp, "events"), 0);
	json_t *id = json_object_get(first, "id");
	*out = json_is_integer(id) ? json_integer_value(id) : 0;
	json_decref(resp);
	return 0;
}

/* Sleeps ms, waking every 100 ms to honour interrupted() and the deadline. */
static bool follow_sleep(struct follow *fo, long ms)
{
	for (long waited = 0; waited < ms; waited += 100) {
		if (follow_should_stop(fo))
			return false;
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return !follow_should_stop(fo);
}

int sp_client_events_follow(struct sp_client *c, const struct sp_event_follow *f,
			    enum sp_follow_end *end, struct sp_client_error *err)
{
	struct follow fo = { .f = f };
	int failures = 0, rc = 0;
	char since[32];
	sp_buf_init(&fo.errbody, 64 << 10);
	fo.last_id = f->since_id;
	if (fo.last_id < 0 && (rc = sp_client_events_newest_id(c, &fo.last_id, err)))
		goto out;
	for (bool first = true;; first = false) {
		if (follow_should_stop(&fo))
			break;
		if (f->check && (!first || f->check_first)) {
			int cr = f->check(f->arg);
			if (cr < 0) {
				rc = cr;
				goto out;
			}
			if (cr > 0) {
				fo.done = true;
				break;
			}
		}
		struct client_xfer x = { 0 };
		struct sp_buf path = SP_BUF_INIT(MAX_CLIENT_URL);
		snprintf(since, sizeof(since), "%lld", (long long)fo.last_id);
		const char *q[] = { "application", f->application, "environment", f->environment,
				    "version", f->version, "request_id", f->request_id,
				    "severity", f->severity, "since_id", since, NULL };
		char errbuf[CURL_ERROR_SIZE] = "";
		rc = sp_buf_puts(&path, "/events/stream");
		if (!rc)
			rc = sp_client_path_query(&path, q);
		if (!rc && !c->stream && !(c->stream = curl_easy_init()))
			rc = SP_ENOMEM;
		if (!rc)
			rc = client_prepare(c, c->stream, "GET", sp_buf_cstr(&path), NULL, &x);
		sp_buf_free(&path);
		if (rc) {
			curl_slist_free_all(x.headers);
			goto out;
		}
		struct curl_slist *l = curl_slist_append(x.headers, "Accept: text/event-stream");
		if (l)
			x.headers = l;
		fo.status = 0;
		fo.got_data = false;
		sp_buf_reset(&fo.errbody);
		sp_sse_init(&fo.parser, follow_event, &fo);
		CURL *h = c->stream;
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, x.headers);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, follow_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &fo);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, follow_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &fo);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, follow_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &fo);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)SSE_STALL_S);
		CURLcode cc = curl_easy_perform(h);
		long retry = fo.parser.retry_ms;
		sp_sse_free(&fo.parser);
		curl_slist_free_all(x.headers);
		if (fo.cb_error) {
			rc = fo.cb_error;
			goto out;
		}
		if (fo.done || fo.interrupted || fo.timed_out)
			break;
		if (fo.status && fo.status != 200) {
			rc = client_http_error(&fo.errbody, fo.status, NULL, err);
			/* a full engine (too many streams) may free up; the rest will not */
			if (fo.status != 503 || ++failures > MAX_SSE_RECONNECTS)
				goto out;
		} else if (cc == CURLE_OK || fo.got_data) {
			failures = fo.got_data ? 0 : failures + 1; /* the engine ended the stream */
			if (cc != CURLE_OK)
				client_transport_error(c, cc, errbuf, err);
			else
				client_error_set(err, 0, "CLIENT_STREAM_ENDED", "the engine ended the event stream");
		} else {
			rc = client_transport_error(c, cc, errbuf, err);
			failures++;
		}
		if (failures > MAX_SSE_RECONNECTS) {
			rc = SP_EIO;
			goto out;
		}
		if (retry <= 0)
			retry = SSE_DEFAULT_RETRY_MS;
		if (retry > SSE_MAX_RETRY_MS)
			retry = SSE_MAX_RETRY_MS;
		if (!follow_sleep(&fo, retry))
			break;
		rc = 0;
	}
	rc = 0;
	if (err) /* a reconnection that recovered leaves no error behind */
		sp_client_error_free(err), sp_client_error_init(err);
	*end = fo.done ? SP_FOLLOW_DONE : fo.interrupted ? SP_FOLLOW_INTERRUPTED : SP_FOLLOW_TIMEOUT;
out:
	sp_buf_free(&fo.errbody);
	return rc;
}

/* --- one event as text ----------------------------------------------------------------- */

int sp_event_render(const json_t *event, bool color, bool show_scope, struct sp_buf *out)
{
	const char *time = json_string_value(json_object_get(event, "time"));
	const char *sev = json_string_value(json_object_get(event, "severity"));
	const char *msg = json_string_value(json_object_get(event, "message"));
	const char *env = json_string_value(json_object_get(event, "environment"));
	const char *ver = json_string_value(json_object_get(event, "version"));
	char when[20] = "";
	if (time && strlen(time) >= 19) {
		memcpy(when, time, 19);
		when[10] = ' ';
	}
	sev = sev ? sev : "INFO";
	const char *on = "", *off = color ? "\033[0m" : "";
	if (color) {
		if (!strcmp(sev, "ERROR") || !strcmp(sev, "FATAL"))
			on = "\033[1;31m";
		else if (!strcmp(sev, "WARN"))
			on = "\033[1;33m";
		else if (!strcmp(sev, "INFO"))
			on = "\033[32m";
		else
			on = "\033[2m";
	}
	int rc = sp_buf_printf(out, "%s    %s%-5s%s   ", when, on, sev, color ? off : "");
	if (!rc && show_scope && (env || ver))
		rc = sp_buf_printf(out, "[%s] ", env ? env : ver);
	/* one line per event: line breaks in a message become spaces */
	for (const char *p = msg ? msg : ""; *p && !rc; p++)
		rc = sp_buf_putc(out, *p == '\n' || *p == '\r' ? ' ' : *p);
	return rc;
}
