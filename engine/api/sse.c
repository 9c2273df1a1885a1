/* sse.c — GET /api/v1/events/stream: events as Server-Sent Events.
 *
 * The connection's own thread (MHD runs one per connection) blocks in the reader until
 * new events are in the store: it waits on the server's event bus, which every change
 * rings, and also rescans every SSE_POLL_S so events written by another process show up.
 * A comment line keeps idle streams alive (and finds clients that went away). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/api/api_internal.h"
#include "engine/base/banned.h"

#define SSE_POLL_S 2
#define SSE_KEEPALIVE_S 15
#define SSE_BATCH 100
#define SSE_RETRY_MS 3000

struct sse {
	struct sp_api *api;
	char *application, *environment, *version, *request_id;
	struct sp_event_filter f;
	int64_t last_id;
	struct sp_buf pending;
	size_t off;
	size_t fetched;
	time_t last_sent;
};

static void sse_free(void *cls)
{
	struct sse *s = cls;
	pthread_mutex_lock(&s->api->bus.mu);
	s->api->bus.streams--;
	pthread_mutex_unlock(&s->api->bus.mu);
	free(s->application);
	free(s->environment);
	free(s->version);
	free(s->request_id);
	sp_buf_free(&s->pending);
	free(s);
}

static time_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int sse_put(void *arg, const struct sp_event *e)
{
	struct sse *s = arg;
	int rc = sp_buf_printf(&s->pending, "id: %lld\nevent: event\ndata: ", (long long)e->id);
	if (!rc)
		rc = api_put_event(&s->pending, e);
	if (!rc)
		rc = sp_buf_puts(&s->pending, "\n\n");
	s->last_id = e->id;
	s->fetched++;
	return rc;
}

/* Appends the events after last_id to pending; 0 when none (or on a store error). */
static size_t fetch(struct sse *s)
{
	struct sp_store *st = api_db_acquire(s->api);
	if (!st)
		return 0;
	s->f.oldest_first = true;
	s->f.after_id = s->last_id;
	s->fetched = 0;
	sp_store_events_each(st, &s->f, SSE_BATCH, sse_put, s);
	api_db_release(s->api, st);
	return s->fetched;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	struct sp_api *api = s->api;
	(void)pos;
	for (;;) {
		if (s->off < s->pending.len) {
			size_t n = s->pending.len - s->off;
			if (n > max)
				n = max;
			memcpy(buf, s->pending.data + s->off, n);
			s->off += n;
			s->last_sent = mono_s();
			return (ssize_t)n;
		}
		sp_buf_reset(&s->pending);
		s->off = 0;
		pthread_mutex_lock(&api->bus.mu);
		uint64_t gen = api->bus.generation;
		int stopping = api->stopping;
		pthread_mutex_unlock(&api->bus.mu);
		if (stopping)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (fetch(s) > 0)
			continue;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += SSE_POLL_S;
		pthread_mutex_lock(&api->bus.mu);
		while (!api->stopping && api->bus.generation == gen)
			if (pthread_cond_timedwait(&api->bus.cv, &api->bus.mu, &until) != 0)
				break;
		pthread_mutex_unlock(&api->bus.mu);
		if (mono_s() - s->last_sent >= SSE_KEEPALIVE_S)
			sp_buf_puts(&s->pending, ": keepalive\n\n");
	}
}

static char *dup_or_null(const char *v, bool *oom)
{
	if (!v)
		return NULL;
	char *d = sp_strdup(v);
	if (!d)
		*oom = true;
	return d;
}

enum MHD_Result api_events_stream(struct sp_api *api, struct request *rq)
{
	struct sp_event_filter f;
	const char *bad = NULL;
	bool oom = false;
	if (api_event_filter_from_query(rq, &f, &bad))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				 "bad %s", bad);
	/* Where to start: Last-Event-ID (a reconnecting client), ?since_id=, else now. */
	const char *from = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Last-Event-ID");
	if (!from)
		from = api_query(rq, "since_id");
	int64_t start = -1;
	if (from && (sp_parse_i64(from, &start) || start < 0))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				 "Last-Event-ID / since_id must be an event id");
	if (start < 0) {
		struct sp_store *st = api_db_acquire(api);
		if (!st)
			return api_store_error(rq, NULL, SP_EIO, "store");
		int rc = sp_store_events_last_id(st, &start);
		api_db_release(api, st);
		if (rc)
			return api_store_error(rq, NULL, rc, "events");
	}
	pthread_mutex_lock(&api->bus.mu);
	bool full = api->bus.streams >= MAX_EVENT_STREAMS;
	if (!full)
		api->bus.streams++;
	pthread_mutex_unlock(&api->bus.mu);
	if (full)
		return api_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "API_TOO_MANY_STREAMS", NULL,
				 "at most %d event streams at a time", MAX_EVENT_STREAMS);
	struct sse *s = calloc(1, sizeof(*s));
	if (!s) {
		pthread_mutex_lock(&api->bus.mu);
		api->bus.streams--;
		pthread_mutex_unlock(&api->bus.mu);
		return MHD_NO;
	}
	s->api = api;
	s->application = dup_or_null(f.application, &oom);
	s->environment = dup_or_null(f.environment, &oom);
	s->version = dup_or_null(f.version, &oom);
	s->request_id = dup_or_null(f.request_id, &oom);
	s->f = f;
	s->f.application = s->application;
	s->f.environment = s->environment;
	s->f.version = s->version;
	s->f.request_id = s->request_id;
	s->last_id = start;
	s->last_sent = mono_s();
	sp_buf_init(&s->pending, 1 << 20);
	sp_buf_printf(&s->pending, "retry: %d\n: sprout event stream\n\n", SSE_RETRY_MS);
	if (oom) {
		sse_free(s);
		return MHD_NO;
	}
	struct MHD_Response *r =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, s, sse_free);
	if (!r) {
		sse_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Request-Id", rq->id);
	enum MHD_Result ret = MHD_queue_response(rq->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	rq->status = MHD_HTTP_OK;
	rq->responded = true;
	return ret;
}
