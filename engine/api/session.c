/* session.c — the console's sessions: the in-memory table (session.h), the cookie and
 * CSRF check the API's authentication calls, and /api/v1/session (sign in, describe,
 * sign out). docs/console.md and docs/api.md ("Console sessions") describe them. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "engine/api/api_internal.h"
#include "engine/api/session.h"
#include "engine/base/sha256.h"
#include "engine/base/banned.h"

#define CSRF_HEADER "X-CSRF-Token"

struct session {
	bool used;
	char id[SP_SESSION_SECRET_LEN + 1];
	char csrf[SP_SESSION_SECRET_LEN + 1];
	char token_tag[SP_SESSION_SECRET_LEN + 1];
	int64_t created_ms, last_ms;
};

struct sp_sessions {
	pthread_mutex_t mu;
	struct session slots[MAX_SESSIONS];
};

/* --- the table ------------------------------------------------------------------------ */

int sp_sessions_new(struct sp_sessions **out)
{
	struct sp_sessions *s = calloc(1, sizeof(*s));
	if (!s)
		return SP_ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	*out = s;
	return 0;
}

void sp_sessions_free(struct sp_sessions *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->mu);
	memset(s->slots, 0, sizeof(s->slots)); /* no secrets left in freed memory */
	free(s);
}

static bool expired(const struct session *x, int64_t now_ms)
{
	return now_ms - x->created_ms >= (int64_t)SP_SESSION_MAX_AGE_S * 1000 ||
	       now_ms - x->last_ms >= (int64_t)SP_SESSION_IDLE_S * 1000 || now_ms < x->created_ms;
}

static void info_of(const struct session *x, struct sp_session_info *out)
{
	memcpy(out->id, x->id, sizeof(out->id));
	memcpy(out->csrf, x->csrf, sizeof(out->csrf));
	out->created_ms = x->created_ms;
	out->expires_ms = x->created_ms + (int64_t)SP_SESSION_MAX_AGE_S * 1000;
	out->idle_expires_ms = x->last_ms + (int64_t)SP_SESSION_IDLE_S * 1000;
	if (out->idle_expires_ms > out->expires_ms)
		out->idle_expires_ms = out->expires_ms;
}

size_t sp_sessions_count(struct sp_sessions *s)
{
	size_t n = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < MAX_SESSIONS; i++)
		n += s->slots[i].used;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static int random_hex(char out[SP_SESSION_SECRET_LEN + 1])
{
	unsigned char raw[SP_SESSION_SECRET_LEN / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return SP_EIO;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	out[SP_SESSION_SECRET_LEN] = '\0';
	return 0;
}

int sp_session_create(struct sp_sessions *s, const char *token_tag, int64_t now_ms,
		      struct sp_session_info *out)
{
	struct session fresh = { .used = true, .created_ms = now_ms, .last_ms = now_ms };
	size_t tag_len = strlen(token_tag);
	if (tag_len > SP_SESSION_SECRET_LEN)
		return SP_EINVAL;
	memcpy(fresh.token_tag, token_tag, tag_len + 1);
	if (random_hex(fresh.id) || random_hex(fresh.csrf))
		return SP_EIO;
	pthread_mutex_lock(&s->mu);
	struct session *slot = NULL, *lru = NULL;
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		struct session *x = &s->slots[i];
		if (x->used && expired(x, now_ms))
			memset(x, 0, sizeof(*x));
		if (!x->used) {
			if (!slot)
				slot = x;
		} else if (!lru || x->last_ms < lru->last_ms) {
			lru = x;
		}
	}
	if (!slot)
		slot = lru; /* full of live sessions: the least recently used one goes */
	*slot = fresh;
	info_of(slot, out);
	pthread_mutex_unlock(&s->mu);
	memset(&fresh, 0, sizeof(fresh));
	return 0;
}

/* The slot whose id matches; every live slot is compared in full (constant time each). */
static struct session *find(struct sp_sessions *s, const char *id, size_t id_len)
{
	struct session *hit = NULL;
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		struct session *x = &s->slots[i];
		if (x->used && sp_token_equal(id, id_len, x->id) && !hit)
			hit = x;
	}
	return hit;
}

int sp_session_lookup(struct sp_sessions *s, const char *id, size_t id_len,
		      const char *token_tag, int64_t now_ms, struct sp_session_info *out)
{
	int rc = SP_ENOTFOUND;
	if (id_len != SP_SESSION_SECRET_LEN)
		return SP_ENOTFOUND;
	pthread_mutex_lock(&s->mu);
	struct session *x = find(s, id, id_len);
	if (x && (expired(x, now_ms) ||
		  !sp_token_equal(token_tag, strlen(token_tag), x->token_tag))) {
		memset(x, 0, sizeof(*x));
		x = NULL;
	}
	if (x) {
		x->last_ms = now_ms;
		info_of(x, out);
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int sp_session_end(struct sp_sessions *s, const char *id, size_t id_len)
{
	int rc = SP_ENOTFOUND;
	if (id_len != SP_SESSION_SECRET_LEN)
		return SP_ENOTFOUND;
	pthread_mutex_lock(&s->mu);
	struct session *x = find(s, id, id_len);
	if (x) {
		memset(x, 0, sizeof(*x));
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

bool sp_session_csrf_valid(const struct sp_session_info *si, const char *presented)
{
	if (!presented)
		return false;
	return sp_token_equal(presented, strlen(presented), si->csrf);
}

int sp_cookie_find(const char *header, const char *name, const char **value, size_t *len)
{
	size_t name_len = strlen(name);
	if (!header || strlen(header) > MAX_COOKIE_HEADER)
		return SP_ENOTFOUND;
	const char *p = header;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == '=') {
			const char *v = p + name_len + 1;
			size_t vn = n - name_len - 1;
			while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
				vn--;
			if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
				v++;
				vn -= 2;
			}
			*value = v;
			*len = vn;
			return 0;
		}
		p += n;
	}
	return SP_ENOTFOUND;
}

/* --- the API's side ------------------------------------------------------------------- */

/* The fingerprint sessions keep of the admin token: its SHA-256 (never the token). */
static int token_tag(struct sp_api *api, char tag[SP_SHA256_HEX_LEN + 1])
{
	char tok[SP_TOKEN_HEX_LEN + 1];
	api_token_current(api, tok);
	int rc = sp_sha256_hex(tok, strlen(tok), tag);
	memset(tok, 0, sizeof(tok));
	return rc;
}

static const char *header(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

/* The session the request's cookie names, if it is live. */
static int session_of(struct sp_api *api, struct request *rq, struct sp_session_info *si)
{
	const char *id;
	size_t n;
	char tag[SP_SHA256_HEX_LEN + 1];
	if (sp_cookie_find(header(rq, MHD_HTTP_HEADER_COOKIE), SP_SESSION_COOKIE, &id, &n))
		return SP_ENOTFOUND;
	if (token_tag(api, tag))
		return SP_EIO;
	return sp_session_lookup(api->sessions, id, n, tag, sp_now_ms(), si);
}

static bool safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

enum api_session_auth api_session_authorize(struct sp_api *api, struct request *rq)
{
	struct sp_session_info si;
	/* A request that carries a token is judged by the token alone. */
	if (header(rq, MHD_HTTP_HEADER_AUTHORIZATION) || session_of(api, rq, &si))
		return API_SESSION_NONE;
	bool ok = safe_method(rq->method) || sp_session_csrf_valid(&si, header(rq, CSRF_HEADER));
	memset(&si, 0, sizeof(si));
	return ok ? API_SESSION_OK : API_SESSION_CSRF_REFUSED;
}

static bool over_tls(struct request *rq)
{
	const char *fwd = header(rq, "X-Forwarded-Proto");
	return MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION) != NULL ||
	       (fwd && strcasecmp(fwd, "https") == 0);
}

/* A browser's Origin, when it sent one, must be this server (http or https + Host). */
static bool same_origin(struct request *rq)
{
	const char *origin = header(rq, "Origin"), *host = header(rq, MHD_HTTP_HEADER_HOST);
	if (!origin)
		return true;
	if (!host)
		return false;
	const char *rest = NULL;
	if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	return rest && strcmp(rest, host) == 0;
}

static json_t *session_json(const struct sp_session_info *si)
{
	char created[32], expires[32], idle[32];
	sp_time_iso8601(si->created_ms, created);
	sp_time_iso8601(si->expires_ms, expires);
	sp_time_iso8601(si->idle_expires_ms, idle);
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:i}", "csrf_token", si->csrf, "created", created,
			 "expires", expires, "idle_expires", idle, "idle_timeout_seconds",
			 SP_SESSION_IDLE_S, "max_age_seconds", SP_SESSION_MAX_AGE_S);
}

/* Sends body (stolen) with a Set-Cookie header. */
static enum MHD_Result send_with_cookie(struct request *rq, unsigned status, json_t *body,
					const char *cookie)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return MHD_NO;
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Request-Id", rq->id);
	enum MHD_Result ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	rq->status = status;
	rq->responded = true;
	return ret;
}

enum MHD_Result api_session_sign_in(struct sp_api *api, struct request *rq)
{
	json_error_t err;
	char tag[SP_SHA256_HEX_LEN + 1], cookie[256], tok[SP_TOKEN_HEX_LEN + 1];
	struct sp_session_info si;
	if (!same_origin(rq))
		return api_error(rq, MHD_HTTP_FORBIDDEN, "API_ORIGIN_REFUSED", NULL,
				 "sign-in is accepted only from the console this engine serves");
	json_t *body = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, 0, &err);
	json_t *t = json_is_object(body) ? json_object_get(body, "token") : NULL;
	if (!json_is_string(t)) {
		json_decref(body);
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_MISSING_PARAMETER", NULL,
				 "send {\"token\": \"<admin token>\"} (sprout token prints it)");
	}
	api_token_current(api, tok);
	bool good = sp_token_equal(json_string_value(t), json_string_length(t), tok);
	memset(tok, 0, sizeof(tok));
	json_decref(body);
	if (!good) {
		api_log(api, "%s console sign-in refused: wrong token", rq->id);
		return api_error(rq, MHD_HTTP_UNAUTHORIZED, "API_UNAUTHORIZED", NULL,
				 "that is not the admin token (sprout token prints it)");
	}
	if (token_tag(api, tag) || sp_session_create(api->sessions, tag, sp_now_ms(), &si))
		return api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				 "cannot start a session");
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
		 SP_SESSION_COOKIE, si.id, SP_SESSION_MAX_AGE_S, over_tls(rq) ? "; Secure" : "");
	api_log(api, "%s console session started", rq->id);
	enum MHD_Result ret = send_with_cookie(rq, MHD_HTTP_CREATED, session_json(&si), cookie);
	memset(&si, 0, sizeof(si));
	memset(cookie, 0, sizeof(cookie));
	return ret;
}

enum MHD_Result api_session_describe(struct sp_api *api, struct request *rq)
{
	struct sp_session_info si;
	if (session_of(api, rq, &si))
		return api_error(rq, MHD_HTTP_NOT_FOUND, "API_NO_SESSION", NULL,
				 "this request has no console session (it used a token)");
	enum MHD_Result ret = api_json(rq, MHD_HTTP_OK, session_json(&si));
	memset(&si, 0, sizeof(si));
	return ret;
}

enum MHD_Result api_session_sign_out(struct sp_api *api, struct request *rq)
{
	const char *id;
	size_t n;
	char cookie[160];
	bool ended = sp_cookie_find(header(rq, MHD_HTTP_HEADER_COOKIE), SP_SESSION_COOKIE, &id,
				    &n) == 0 &&
		     sp_session_end(api->sessions, id, n) == 0;
	snprintf(cookie, sizeof(cookie), "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
		 SP_SESSION_COOKIE, over_tls(rq) ? "; Secure" : "");
	if (ended)
		api_log(api, "%s console session ended", rq->id);
	return send_with_cookie(rq, MHD_HTTP_OK, json_pack("{s:b}", "signed_out", ended), cookie);
}
