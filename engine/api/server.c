/* server.c — the HTTP daemon: request lifecycle, routing, authentication, responses,
 * the store pool and the start/stop of everything the engine runs. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine/api/api_internal.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

#define CONNECTION_TIMEOUT_S 300 /* idle keep-alive connections are closed after this */

/* --- logging ------------------------------------------------------------------ */

void api_log(struct sp_api *api, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	if (!api->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	api->cfg.log(api->cfg.log_arg, line);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct sp_api *api = cls;
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	api_log(api, "http: %s", line);
}

static void worker_log(void *arg, const char *line)
{
	api_log(arg, "worker: %s", line);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- event bus ------------------------------------------------------------------- */

void api_events_changed(struct sp_api *api)
{
	pthread_mutex_lock(&api->bus.mu);
	api->bus.generation++;
	pthread_cond_broadcast(&api->bus.cv);
	pthread_mutex_unlock(&api->bus.mu);
}

static void worker_changed(void *arg)
{
	api_events_changed(arg);
}

/* --- store pool ------------------------------------------------------------------ */

struct sp_store *api_db_acquire(struct sp_api *api)
{
	struct db_pool *p = &api->pool;
	struct sp_store *st = NULL;
	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0 && p->nopen >= MAX_DB_CONNECTIONS)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->nfree > 0) {
		st = p->free_conns[--p->nfree];
		pthread_mutex_unlock(&p->mu);
		return st;
	}
	p->nopen++;
	pthread_mutex_unlock(&p->mu);
	if (sp_store_open(p->db_path, &st) != 0) {
		api_log(api, "cannot open %s", p->db_path);
		pthread_mutex_lock(&p->mu);
		p->nopen--;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	return st;
}

void api_db_release(struct sp_api *api, struct sp_store *st)
{
	struct db_pool *p = &api->pool;
	if (!st)
		return;
	pthread_mutex_lock(&p->mu);
	p->free_conns[p->nfree++] = st;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void pool_close(struct db_pool *p)
{
	for (size_t i = 0; i < p->nfree; i++)
		sp_store_close(p->free_conns[i]);
	p->nfree = p->nopen = 0;
}

/* --- responses ------------------------------------------------------------------- */

static enum MHD_Result queue(struct request *rq, unsigned status, struct MHD_Response *r)
{
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "X-Request-Id", rq->id);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	rq->status = status;
	rq->responded = true;
	return ret;
}

enum MHD_Result api_json(struct request *rq, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return MHD_NO;
	size_t n = strlen(text);
	struct MHD_Response *r =
		MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"sprout\"");
	return queue(rq, status, r);
}

enum MHD_Result api_error(struct request *rq, unsigned status, const char *code,
			  const json_t *details, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *d = details ? json_deep_copy(details) : json_array();
	json_t *body = json_pack("{s:{s:s,s:s,s:o}}", "error", "code", code, "message", msg,
				 "details", d ? d : json_array());
	return api_json(rq, status, body);
}

enum MHD_Result api_store_error(struct request *rq, struct sp_store *st, int rc,
				const char *what)
{
	switch (rc) {
	case SP_ENOTFOUND:
		return api_error(rq, MHD_HTTP_NOT_FOUND, "API_NOT_FOUND", NULL, "%s not found",
				 what);
	case SP_ENOMEM:
		return api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				 "out of memory");
	default:
		return api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				 "store error: %s", st ? sp_store_errmsg(st) : sp_strerror(rc));
	}
}

/* --- query helpers ---------------------------------------------------------------- */

const char *api_query(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool api_page_params(struct request *rq, size_t *limit, int64_t *token, enum MHD_Result *ret)
{
	const char *l = api_query(rq, "limit"), *t = api_query(rq, "next_token");
	uint64_t v;
	*limit = SP_API_DEFAULT_PAGE;
	*token = 0;
	if (l) {
		if (sp_parse_u64(l, &v) || v < 1 || v > SP_STORE_MAX_LIST) {
			*ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
					 "limit must be a number from 1 to %d", SP_STORE_MAX_LIST);
			return false;
		}
		*limit = (size_t)v;
	}
	if (t) {
		if (sp_parse_u64(t, &v) || v < 1 || v > INT64_MAX) {
			*ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
					 "next_token is not one this API gave out");
			return false;
		}
		*token = (int64_t)v;
	}
	return true;
}

/* --- requests --------------------------------------------------------------------- */

static void request_id_make(struct request *rq)
{
	const char *given = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Request-Id");
	if (given) {
		size_t n = strlen(given);
		if (n >= 1 && n <= MAX_REQUEST_ID &&
		    strspn(given, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789._:-") == n) {
			memcpy(rq->id, given, n + 1);
			return;
		}
	}
	unsigned char r[16] = { 0 };
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		int64_t t = mono_ns();
		memcpy(r, &t, sizeof(t));
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(rq->id, sizeof(rq->id),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
		 r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
		 r[14], r[15]);
}

static void request_free(struct request *rq)
{
	if (!rq)
		return;
	if (rq->spool_fd >= 0)
		close(rq->spool_fd);
	if (rq->spool_path) {
		unlink(rq->spool_path); /* gone already when the upload completed */
		free(rq->spool_path);
	}
	sp_sha256_free(rq->hash);
	for (int i = 0; i < MAX_ROUTE_PARAMS; i++)
		free(rq->params[i]);
	sp_buf_free(&rq->body);
	free(rq->url);
	free(rq);
}

/* Matches url against pattern; on success params get the {} segments (copies). */
static bool route_match(const char *pattern, const char *url, char *params[MAX_ROUTE_PARAMS])
{
	const char *p = pattern, *u = url;
	int np = 0;
	char *got[MAX_ROUTE_PARAMS] = { 0 };
	while (*p && *u) {
		if (strcmp(p, "{*}") == 0) {
			if (np >= MAX_ROUTE_PARAMS || !(got[np++] = sp_strdup(u)))
				goto no;
			p += 3;
			u += strlen(u);
			break;
		}
		if (p[0] == '{' && p[1] == '}') {
			const char *end = strchr(u, '/');
			size_t n = end ? (size_t)(end - u) : strlen(u);
			if (n == 0 || np >= MAX_ROUTE_PARAMS)
				goto no;
			if (!(got[np++] = sp_strndup(u, n)))
				goto no;
			p += 2;
			u += n;
			continue;
		}
		if (*p != *u)
			goto no;
		p++;
		u++;
	}
	if (*p || *u)
		goto no;
	for (int i = 0; i < MAX_ROUTE_PARAMS; i++)
		params[i] = got[i];
	return true;
no:
	for (int i = 0; i < np; i++)
		free(got[i]);
	return false;
}

void api_token_current(struct sp_api *api, char tok[SP_TOKEN_HEX_LEN + 1])
{
	struct stat sb;
	pthread_mutex_lock(&api->token_mu);
	if (stat(api->token_path, &sb) == 0 &&
	    (sb.st_ino != api->token_stat.st_ino || sb.st_size != api->token_stat.st_size ||
	     sb.st_mtim.tv_sec != api->token_stat.st_mtim.tv_sec ||
	     sb.st_mtim.tv_nsec != api->token_stat.st_mtim.tv_nsec)) {
		char fresh[SP_TOKEN_HEX_LEN + 1];
		if (sp_admin_token_ensure(api->data_dir, fresh) == 0) {
			memcpy(api->token, fresh, sizeof(fresh));
			api->token_stat = sb;
		}
	}
	memcpy(tok, api->token, SP_TOKEN_HEX_LEN + 1);
	pthread_mutex_unlock(&api->token_mu);
}

static bool token_valid(struct sp_api *api, const char *presented, size_t n)
{
	char tok[SP_TOKEN_HEX_LEN + 1];
	api_token_current(api, tok);
	return sp_token_equal(presented, n, tok);
}

static bool authorized(struct sp_api *api, struct request *rq)
{
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	size_t n = strlen(h);
	while (n > 0 && h[n - 1] == ' ')
		n--;
	return token_valid(api, h, n);
}

static enum MHD_Result begin_request(struct sp_api *api, struct request *rq)
{
	const struct route *path_match = NULL;
	char allow[128] = "";
	if (strncmp(rq->url, "/api/", 5) != 0)
		return api_static_serve(api, rq); /* the console's files (static.c) */
	for (size_t i = 0; i < api_routes_count; i++) {
		const struct route *r = &api_routes[i];
		char *params[MAX_ROUTE_PARAMS] = { 0 };
		if (!route_match(r->pattern, rq->url, params))
			continue;
		if (!path_match)
			path_match = r;
		if (strcmp(r->method, rq->method) == 0 && !rq->route) {
			rq->route = r;
			memcpy(rq->params, params, sizeof(params));
		} else {
			for (int j = 0; j < MAX_ROUTE_PARAMS; j++)
				free(params[j]);
		}
		size_t used = strlen(allow);
		snprintf(allow + used, sizeof(allow) - used, "%s%s", used ? ", " : "", r->method);
	}
	const struct route *judged = rq->route ? rq->route : path_match;
	bool open_route = judged && (judged->flags & ROUTE_NO_AUTH);
	/* The token, else the console's session cookie (+ CSRF token on changes). */
	enum api_session_auth via_session = API_SESSION_NONE;
	if (!open_route && !authorized(api, rq) &&
	    (via_session = api_session_authorize(api, rq)) != API_SESSION_OK) {
		if (via_session == API_SESSION_CSRF_REFUSED)
			return api_error(rq, MHD_HTTP_FORBIDDEN, "API_CSRF_REFUSED", NULL,
					 "a change made with the console's session needs its CSRF"
					 " token in X-CSRF-Token");
		return api_error(rq, MHD_HTTP_UNAUTHORIZED, "API_UNAUTHORIZED", NULL,
				 "missing or wrong token: send \"Authorization: Bearer <token>\""
				 " (sprout token prints it)");
	}
	if (!path_match)
		return api_error(rq, MHD_HTTP_NOT_FOUND, "API_NOT_FOUND", NULL,
				 "no endpoint at %s (see docs/api.md)", rq->url);
	if (!rq->route) {
		char *text = NULL;
		json_t *body = json_pack("{s:{s:s,s:s,s:[]}}", "error", "code",
					 "API_METHOD_NOT_ALLOWED", "message",
					 "method not allowed here", "details");
		text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		json_decref(body);
		if (!text)
			return MHD_NO;
		struct MHD_Response *r = MHD_create_response_from_buffer(
			strlen(text), text, MHD_RESPMEM_MUST_FREE);
		if (!r) {
			free(text);
			return MHD_NO;
		}
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
		return queue(rq, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	}
	if (rq->route->flags & ROUTE_UPLOAD) {
		bool go_on = false;
		enum MHD_Result ret = api_version_upload_begin(api, rq, &go_on);
		return go_on ? MHD_YES : ret;
	}
	if (rq->route->flags & (ROUTE_JSON_BODY | ROUTE_RAW_BODY)) {
		const char *cl = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		size_t max = (rq->route->flags & ROUTE_RAW_BODY) ? MAX_OBJECT_BODY : MAX_JSON_BODY;
		uint64_t len;
		if (cl && sp_parse_u64(cl, &len) == 0 && len > max)
			return api_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "API_PAYLOAD_TOO_LARGE",
					 NULL, "the body may be at most %zu bytes", max);
		sp_buf_init(&rq->body, max);
		return MHD_YES; /* wait for the body */
	}
	return rq->route->fn(api, rq);
}

static bool has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t len = 0;
	if (cl && (sp_parse_u64(cl, &len) != 0 || len > 0))
		return true;
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

static int spool_write(struct request *rq, const char *data, size_t n)
{
	if (rq->received + n > MAX_BUNDLE_UPLOAD)
		return SP_ETOOBIG;
	if (sp_sha256_update(rq->hash, data, n))
		return SP_EIO;
	while (n > 0) {
		ssize_t w = write(rq->spool_fd, data, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rq->upload_errno = errno;
			return SP_EIO;
		}
		data += w;
		n -= (size_t)w;
		rq->received += (uint64_t)w;
	}
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct sp_api *api = cls;
	struct request *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		rq->conn = conn;
		rq->spool_fd = -1;
		rq->start_ns = mono_ns();
		snprintf(rq->method, sizeof(rq->method), "%s", method);
		rq->url = sp_strdup(url);
		*con_cls = rq;
		if (!rq->url)
			return MHD_NO;
		request_id_make(rq);
		/* A request with a body is judged from its headers at once, so a refused upload
		 * is answered before its bytes are read (MHD then closes the connection). One
		 * without is answered at the next call: an answer queued this early would make
		 * MHD close a keep-alive connection. */
		if (!has_body(conn))
			return MHD_YES;
		rq->begun = true;
		return begin_request(api, rq);
	}
	if (rq->responded) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!rq->begun) {
		rq->begun = true;
		enum MHD_Result r = begin_request(api, rq);
		if (rq->responded || r != MHD_YES)
			return r;
	}
	if (*upload_data_size > 0) {
		if (rq->route->flags & ROUTE_UPLOAD) {
			int rc = spool_write(rq, upload_data, *upload_data_size);
			if (rc) {
				/* Over the limit (or the disk failed) mid-stream: MHD cannot answer
				 * before the body ends, so the connection is closed here rather
				 * than reading (and storing) more. */
				rq->upload_failed = true;
				rq->status = rc == SP_ETOOBIG ? MHD_HTTP_CONTENT_TOO_LARGE
							      : MHD_HTTP_INTERNAL_SERVER_ERROR;
				api_log(api, "%s upload aborted after %llu bytes: %s", rq->id,
					(unsigned long long)rq->received,
					rc == SP_ETOOBIG ? "over the 512 MiB limit"
							 : strerror(rq->upload_errno));
				return MHD_NO;
			}
		} else if (!rq->body_too_big &&
			   sp_buf_append(&rq->body, upload_data, *upload_data_size)) {
			rq->body_too_big = true;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->body_too_big)
		return api_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "API_PAYLOAD_TOO_LARGE", NULL,
				 "the body may be at most %zu bytes", rq->body.max);
	return rq->route->fn(api, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct sp_api *api = cls;
	struct request *rq = *con_cls;
	if (!rq)
		return;
	if (api->cfg.access_log) {
		int64_t us = (mono_ns() - rq->start_ns) / 1000;
		api_log(api, "%s %s %s %u %lld.%03lldms%s", rq->id, rq->method, rq->url,
			rq->status, (long long)(us / 1000), (long long)(us % 1000),
			toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	}
	request_free(rq);
	*con_cls = NULL;
}

/* --- data directory ---------------------------------------------------------------- */

static bool is_bundle_name(const char *name, char sha[SP_SHA256_HEX_LEN + 1])
{
	if (strlen(name) != SP_SHA256_HEX_LEN + 4 || strcmp(name + SP_SHA256_HEX_LEN, ".zip") != 0)
		return false;
	if (strspn(name, "0123456789abcdef") != SP_SHA256_HEX_LEN)
		return false;
	memcpy(sha, name, SP_SHA256_HEX_LEN);
	sha[SP_SHA256_HEX_LEN] = '\0';
	return true;
}

/* Removes what a crash can leave: spool files and scratch folders in tmp/, and files in
 * bundles/ that no version refers to (a spool renamed in just before the crash, or a
 * bundle whose last version was deleted just before). */
static int sweep_data_dir(struct sp_api *api, struct sp_store *st)
{
	struct sp_buf p = SP_BUF_INIT(SP_PATH_MAX);
	DIR *d = opendir(api->tmp_dir);
	struct dirent *e;
	size_t removed = 0;
	if (d) {
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			sp_buf_reset(&p);
			if (sp_buf_printf(&p, "%s/%s", api->tmp_dir, e->d_name) == 0 &&
			    sp_rm_rf(sp_buf_cstr(&p)) == 0)
				removed++;
		}
		closedir(d);
	}
	if ((d = opendir(api->bundles_dir))) {
		while ((e = readdir(d))) {
			char sha[SP_SHA256_HEX_LEN + 1];
			bool known = false;
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (is_bundle_name(e->d_name, sha) &&
			    (sp_store_bundle_known(st, sha, &known) != 0 || known))
				continue;
			sp_buf_reset(&p);
			if (sp_buf_printf(&p, "%s/%s", api->bundles_dir, e->d_name) == 0 &&
			    sp_rm_rf(sp_buf_cstr(&p)) == 0)
				removed++;
		}
		closedir(d);
	}
	if (removed)
		api_log(api, "removed %zu leftover file(s) from an earlier run", removed);
	sp_buf_free(&p);
	return 0;
}

/* One engine per data dir: its sweep of tmp/ and bundles/ would pull files from under
 * another engine's feet. The lock goes with the process (crash included). */
static int lock_data_dir(struct sp_api *api)
{
	char *path = sp_aprintf("%s/engine.lock", api->data_dir);
	if (!path)
		return SP_ENOMEM;
	api->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (api->lock_fd < 0) {
		api_log(api, "cannot open %s/engine.lock: %s", api->data_dir, strerror(errno));
		return SP_EIO;
	}
	if (flock(api->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		api_log(api, "another sprout serve is using %s", api->data_dir);
		return SP_EEXISTS;
	}
	return 0;
}

static int prepare_data_dir(struct sp_api *api)
{
	char tok[SP_TOKEN_HEX_LEN + 1];
	struct sp_store *st = NULL;
	int rc;
	if (sp_mkdir_p(api->data_dir, 0700) || sp_mkdir_p(api->bundles_dir, 0700) ||
	    sp_mkdir_p(api->tmp_dir, 0700)) {
		api_log(api, "cannot create %s: %s", api->data_dir, strerror(errno));
		return SP_EIO;
	}
	if ((rc = lock_data_dir(api)))
		return rc;
	if ((rc = sp_admin_token_ensure(api->data_dir, tok))) {
		api_log(api, "cannot create or read %s: %s", api->token_path,
			rc == SP_EINVAL ? "it does not hold a token" : strerror(errno));
		return rc;
	}
	memcpy(api->token, tok, sizeof(tok));
	stat(api->token_path, &api->token_stat);
	if ((rc = sp_store_open(api->db_path, &st))) {
		api_log(api, "cannot open the store %s (%s)", api->db_path, sp_strerror(rc));
		return SP_EIO;
	}
	sweep_data_dir(api, st);
	api_db_release(api, st); /* becomes the pool's first connection */
	api->pool.nopen = 1;
	return 0;
}

/* --- start and stop ------------------------------------------------------------------ */

static void api_free(struct sp_api *api)
{
	pool_close(&api->pool);
	if (api->lock_fd >= 0)
		close(api->lock_fd);
	pthread_mutex_destroy(&api->pool.mu);
	pthread_cond_destroy(&api->pool.cv);
	pthread_mutex_destroy(&api->bus.mu);
	pthread_cond_destroy(&api->bus.cv);
	pthread_mutex_destroy(&api->bundle_mu);
	pthread_mutex_destroy(&api->token_mu);
	sp_sessions_free(api->sessions);
	free(api->web_dir);
	free(api->pool.db_path);
	free(api->data_dir);
	free(api->db_path);
	free(api->bundles_dir);
	free(api->tmp_dir);
	free(api->token_path);
	free(api);
}

int sp_api_start(const struct sp_api_config *cfg, struct sp_api **out)
{
	struct sp_api *api = calloc(1, sizeof(*api));
	struct sp_buf host = SP_BUF_INIT(256);
	uint16_t port;
	int rc;
	pthread_condattr_t ca;
	if (!api)
		return SP_ENOMEM;
	api->cfg = *cfg;
	api->lock_fd = -1;
	pthread_mutex_init(&api->pool.mu, NULL);
	pthread_cond_init(&api->pool.cv, NULL);
	pthread_mutex_init(&api->bus.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&api->bus.cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&api->bundle_mu, NULL);
	pthread_mutex_init(&api->token_mu, NULL);
	api->data_dir = sp_strdup(cfg->data_dir ? cfg->data_dir : "");
	api->db_path = sp_aprintf("%s/sprout.db", cfg->data_dir);
	api->bundles_dir = sp_aprintf("%s/bundles", cfg->data_dir);
	api->tmp_dir = sp_aprintf("%s/tmp", cfg->data_dir);
	api->token_path = sp_aprintf("%s/admin.token", cfg->data_dir);
	api->pool.db_path = sp_strdup(api->db_path ? api->db_path : "");
	api->cfg.data_dir = api->data_dir;
	api->web_dir = cfg->web_dir ? realpath(cfg->web_dir, NULL) : NULL;
	api->cfg.web_dir = api->web_dir;
	if (!api->data_dir || !api->db_path || !api->bundles_dir || !api->tmp_dir ||
	    !api->token_path || !api->pool.db_path || sp_sessions_new(&api->sessions)) {
		rc = SP_ENOMEM;
		goto fail;
	}
	if (!cfg->data_dir || !*cfg->data_dir) {
		rc = SP_EINVAL;
		goto fail;
	}
	if ((rc = sp_listen_parse(cfg->listen ? cfg->listen : SP_API_DEFAULT_LISTEN, &host,
				  &port))) {
		api_log(api, "bad listen address '%s' (want ADDR:PORT)", cfg->listen);
		rc = SP_EINVAL;
		goto fail;
	}
	struct sockaddr_in sin = { 0 };
	struct sockaddr_in6 sin6 = { 0 };
	struct sockaddr *sa;
	bool v6 = false;
	if (inet_pton(AF_INET, sp_buf_cstr(&host), &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, sp_buf_cstr(&host), &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		sa = (struct sockaddr *)&sin6;
		v6 = true;
	} else {
		api_log(api, "bad listen address '%s': not a numeric IP address", cfg->listen);
		rc = SP_EINVAL;
		goto fail;
	}
	if ((rc = prepare_data_dir(api)))
		goto fail;
	struct sp_worker_config wc = {
		.data_dir = api->data_dir, .image_checks = cfg->image_checks,
		.db_path = api->db_path, .bundles_dir = api->bundles_dir,
		.scratch_dir = api->tmp_dir, .log = worker_log, .on_change = worker_changed,
		.arg = api,
	};
	if ((rc = sp_worker_start(&wc, &api->worker)))
		goto fail;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	api->mhd = MHD_start_daemon(
		flags, port, NULL, NULL, on_request, api,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, api, MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_API_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, api, MHD_OPTION_END);
	if (!api->mhd) {
		api_log(api, "cannot listen on %s", cfg->listen ? cfg->listen : SP_API_DEFAULT_LISTEN);
		sp_worker_stop(api->worker);
		rc = SP_EIO;
		goto fail;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_BIND_PORT);
	api->port = info ? info->port : port;
	sp_buf_free(&host);
	*out = api;
	return 0;
fail:
	sp_buf_free(&host);
	api_free(api);
	return rc;
}

uint16_t sp_api_port(const struct sp_api *api)
{
	return api->port;
}

void sp_api_stop(struct sp_api *api)
{
	if (!api)
		return;
	pthread_mutex_lock(&api->bus.mu);
	api->stopping = 1;
	pthread_cond_broadcast(&api->bus.cv);
	pthread_mutex_unlock(&api->bus.mu);
	MHD_stop_daemon(api->mhd); /* joins every connection thread */
	sp_worker_stop(api->worker);
	api_free(api);
}
