/* routes.c — the route table and the handlers of /api/v1 (docs/api.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/api/api_internal.h"
#include "engine/base/diag.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

#ifndef SPROUT_VERSION
#define SPROUT_VERSION "0.0.0"
#endif

/* --- JSON of the resources ----------------------------------------------------------- */

static json_t *time_json(int64_t ms)
{
	char buf[32];
	sp_time_iso8601(ms, buf);
	return json_string(buf);
}

static json_t *lifecycle_json(const struct sp_lifecycle *lc)
{
	return json_pack("{s:{s:b,s:I},s:{s:b,s:I}}", "max_count_rule", "enabled",
			 lc->max_count_enabled, "max_count", (json_int_t)lc->max_count,
			 "max_age_rule", "enabled", lc->max_age_enabled, "max_age_in_days",
			 (json_int_t)lc->max_age_days);
}

static json_t *app_json(const struct sp_app *a, bool describe)
{
	json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:o}", "name", a->name, "description",
			      a->description, "created", time_json(a->created_ms), "updated",
			      time_json(a->updated_ms), "lifecycle", lifecycle_json(&a->lifecycle));
	if (j && describe)
		json_object_set_new(j, "environments", json_integer(a->environments));
	return j;
}

static enum MHD_Result version_response(struct request *rq, unsigned status,
				       const struct sp_version *v)
{
	struct sp_buf b = SP_BUF_INIT(MAX_RESPONSE);
	if (api_put_version(&b, v, v->diagnostics)) {
		sp_buf_free(&b);
		return MHD_NO;
	}
	return api_json_buf(rq, status, &b);
}

/* A page of a list endpoint written as {"<key>":[item,...],"next_token":"<id>"}. */
struct page {
	struct sp_buf b;
	size_t n;
	int64_t last;
};

static int page_version(void *arg, const struct sp_version *v)
{
	struct page *p = arg;
	int rc = p->n ? sp_buf_putc(&p->b, ',') : 0;
	p->n++;
	p->last = v->id;
	return rc ? rc : api_put_version(&p->b, v, NULL);
}

static int page_event(void *arg, const struct sp_event *e)
{
	struct page *p = arg;
	int rc = p->n ? sp_buf_putc(&p->b, ',') : 0;
	p->n++;
	p->last = e->id;
	return rc ? rc : api_put_event(&p->b, e);
}

static enum MHD_Result page_send(struct request *rq, struct page *p, size_t limit)
{
	int rc = sp_buf_putc(&p->b, ']');
	if (!rc && p->n == limit && p->last > 0)
		rc = sp_buf_printf(&p->b, ",\"next_token\":\"%lld\"", (long long)p->last);
	if (!rc)
		rc = sp_buf_putc(&p->b, '}');
	if (rc) {
		sp_buf_free(&p->b);
		return api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				 "the response is too large; ask for fewer items");
	}
	return api_json_buf(rq, MHD_HTTP_OK, &p->b);
}

static json_t *page_json(const char *key, json_t *items, size_t n, size_t limit, int64_t last)
{
	json_t *j = json_pack("{s:o}", key, items);
	if (j && n == limit && last > 0) {
		char tok[32];
		snprintf(tok, sizeof(tok), "%lld", (long long)last);
		json_object_set_new(j, "next_token", json_string(tok));
	}
	return j;
}

/* --- request bodies -------------------------------------------------------------------- */

static struct sp_loc body_loc(const char *path)
{
	return (struct sp_loc){ "request", 0, 0, path };
}

/* Parses the JSON object body; on failure responds 400 and returns NULL. */
static json_t *body_object(struct request *rq, enum MHD_Result *ret)
{
	json_error_t err;
	json_t *j = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len,
			       JSON_REJECT_DUPLICATES, &err);
	if (!j) {
		struct sp_diags d;
		sp_diags_init(&d);
		sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_JSON",
			    (struct sp_loc){ "request", err.line, err.column, "" }, NULL, "%s",
			    err.text);
		json_t *details = sp_diags_to_json(&d);
		*ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_JSON", details,
				 "the request body is not valid JSON: %s", err.text);
		json_decref(details);
		sp_diags_free(&d);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_JSON", NULL,
				 "the request body must be a JSON object");
		return NULL;
	}
	return j;
}

static void check_keys(const json_t *obj, const char *where, const char *const *known,
		       size_t n, struct sp_diags *d)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		bool ok = false;
		for (size_t i = 0; i < n && !ok; i++)
			ok = strcmp(key, known[i]) == 0;
		if (!ok) {
			char path[256];
			const char *near = sp_suggest(key, known, n);
			char hint[160];
			snprintf(path, sizeof(path), "%s/%s", where, key);
			if (near)
				snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
			sp_diag_add(d, SP_SEV_ERROR, "API_UNKNOWN_FIELD", body_loc(path),
				    near ? hint : NULL, "unknown field \"%s\"", key);
		}
	}
}

static void lifecycle_rule(const json_t *rule, const char *path, const char *num_key,
			   int64_t max, bool *enabled, int64_t *num, struct sp_diags *d)
{
	static const char *const keys_count[] = { "enabled", "max_count" };
	static const char *const keys_age[] = { "enabled", "max_age_in_days" };
	char p[128];
	if (!rule)
		return;
	if (!json_is_object(rule)) {
		sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(path), NULL,
			    "must be an object");
		return;
	}
	check_keys(rule, path, strcmp(num_key, "max_count") == 0 ? keys_count : keys_age, 2, d);
	json_t *e = json_object_get(rule, "enabled"), *n = json_object_get(rule, num_key);
	if (e) {
		if (json_is_boolean(e))
			*enabled = json_is_true(e);
		else {
			snprintf(p, sizeof(p), "%s/enabled", path);
			sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(p), NULL,
				    "must be true or false");
		}
	}
	if (n) {
		if (json_is_integer(n) && json_integer_value(n) >= 1 &&
		    json_integer_value(n) <= max)
			*num = json_integer_value(n);
		else {
			snprintf(p, sizeof(p), "%s/%s", path, num_key);
			sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(p), NULL,
				    "must be a whole number from 1 to %lld", (long long)max);
		}
	}
}

static void lifecycle_parse(const json_t *j, struct sp_lifecycle *lc, struct sp_diags *d)
{
	static const char *const keys[] = { "max_count_rule", "max_age_rule" };
	if (!json_is_object(j)) {
		sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/lifecycle"),
			    NULL, "must be an object");
		return;
	}
	check_keys(j, "/lifecycle", keys, 2, d);
	lifecycle_rule(json_object_get(j, "max_count_rule"), "/lifecycle/max_count_rule",
		       "max_count", SP_LIFECYCLE_MAX_COUNT, &lc->max_count_enabled,
		       &lc->max_count, d);
	lifecycle_rule(json_object_get(j, "max_age_rule"), "/lifecycle/max_age_rule",
		       "max_age_in_days", SP_LIFECYCLE_MAX_AGE_DAYS, &lc->max_age_enabled,
		       &lc->max_age_days, d);
}

static const char *string_field(const json_t *obj, const char *key, const char *path,
				struct sp_diags *d)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return NULL;
	if (!json_is_string(v)) {
		sp_diag_add(d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc(path), NULL,
			    "must be a string");
		return NULL;
	}
	return json_string_value(v);
}

static enum MHD_Result invalid(struct request *rq, struct sp_diags *d)
{
	json_t *details = sp_diags_to_json(d);
	const struct sp_diag *first = &d->items[0];
	enum MHD_Result ret = api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER",
					details, "%s: %s", first->path, first->message);
	json_decref(details);
	return ret;
}

/* --- bundle files ------------------------------------------------------------------ */

static void unlink_bundles(struct sp_api *api, char **shas, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p = sp_aprintf("%s/%s.zip", api->bundles_dir, shas[i]);
		if (p && unlink(p) != 0 && errno != ENOENT)
			api_log(api, "cannot remove %s: %s", p, strerror(errno));
		free(p);
	}
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* --- handlers ------------------------------------------------------------------------- */

static enum MHD_Result h_health(struct sp_api *api, struct request *rq)
{
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:s,s:s,s:i}", "status", "ok", "version", SPROUT_VERSION,
				  "schema", SP_STORE_SCHEMA_VERSION));
}

static enum MHD_Result h_apps_list(struct sp_api *api, struct request *rq)
{
	size_t limit, n = 0;
	int64_t token;
	enum MHD_Result ret = MHD_NO;
	struct sp_app *apps = NULL;
	if (!api_page_params(rq, &limit, &token, &ret))
		return ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	int rc = sp_store_app_list(st, token, limit, &apps, &n);
	if (rc) {
		ret = api_store_error(rq, st, rc, "applications");
		goto out;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, app_json(&apps[i], false));
	ret = api_json(rq, MHD_HTTP_OK,
		       page_json("applications", arr, n, limit, n ? apps[n - 1].id : 0));
out:
	sp_app_list_free(apps, n);
	api_db_release(api, st);
	return ret;
}

static enum MHD_Result h_app_create(struct sp_api *api, struct request *rq)
{
	static const char *const keys[] = { "name", "description", "lifecycle" };
	enum MHD_Result ret = MHD_NO;
	struct sp_diags d;
	struct sp_app a = { 0 };
	struct sp_lifecycle lc = SP_LIFECYCLE_DEFAULT;
	struct sp_store *st = NULL;
	json_t *body = body_object(rq, &ret);
	if (!body)
		return ret;
	sp_diags_init(&d);
	check_keys(body, "", keys, 3, &d);
	const char *name = string_field(body, "name", "/name", &d);
	const char *desc = string_field(body, "description", "/description", &d);
	const char *why;
	if (!json_object_get(body, "name"))
		sp_diag_add(&d, SP_SEV_ERROR, "API_MISSING_PARAMETER", body_loc("/name"), NULL,
			    "name is required");
	else if (name && (why = sp_name_problem(name, SP_MAX_APP_NAME)))
		sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/name"),
			    "application names are 1 to 100 characters, without '/'",
			    "the application name %s", why);
	if (desc && (why = sp_description_problem(desc)))
		sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/description"),
			    NULL, "the description %s", why);
	if (json_object_get(body, "lifecycle"))
		lifecycle_parse(json_object_get(body, "lifecycle"), &lc, &d);
	if (sp_diags_errors(&d)) {
		ret = invalid(rq, &d);
		goto out;
	}
	if (!(st = api_db_acquire(api))) {
		ret = api_store_error(rq, NULL, SP_EIO, "store");
		goto out;
	}
	int rc = sp_store_app_create(st, name, desc, &lc, rq->id, &a);
	if (rc == SP_EEXISTS)
		ret = api_error(rq, MHD_HTTP_CONFLICT, "APP_EXISTS", NULL,
				"an application named \"%s\" already exists", name);
	else if (rc)
		ret = api_store_error(rq, st, rc, "application");
	else {
		api_events_changed(api);
		ret = api_json(rq, MHD_HTTP_CREATED, app_json(&a, true));
	}
out:
	sp_app_free(&a);
	api_db_release(api, st);
	sp_diags_free(&d);
	json_decref(body);
	return ret;
}

static enum MHD_Result h_app_get(struct sp_api *api, struct request *rq)
{
	struct sp_app a;
	enum MHD_Result ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	int rc = sp_store_app_get(st, rq->params[0], &a);
	if (rc == SP_ENOTFOUND)
		ret = api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
				"no application named \"%s\"", rq->params[0]);
	else if (rc)
		ret = api_store_error(rq, st, rc, "application");
	else {
		ret = api_json(rq, MHD_HTTP_OK, app_json(&a, true));
		sp_app_free(&a);
	}
	api_db_release(api, st);
	return ret;
}

static enum MHD_Result h_app_update(struct sp_api *api, struct request *rq)
{
	static const char *const keys[] = { "description", "lifecycle" };
	enum MHD_Result ret = MHD_NO;
	struct sp_diags d;
	struct sp_app a = { 0 }, cur = { 0 };
	struct sp_store *st = NULL;
	const char *why;
	int rc;
	json_t *body = body_object(rq, &ret);
	if (!body)
		return ret;
	sp_diags_init(&d);
	if (!(st = api_db_acquire(api))) {
		ret = api_store_error(rq, NULL, SP_EIO, "store");
		goto out;
	}
	if ((rc = sp_store_app_get(st, rq->params[0], &cur))) {
		ret = rc == SP_ENOTFOUND
			      ? api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
					  "no application named \"%s\"", rq->params[0])
			      : api_store_error(rq, st, rc, "application");
		goto out;
	}
	struct sp_lifecycle lc = cur.lifecycle;
	check_keys(body, "", keys, 2, &d);
	const char *desc = string_field(body, "description", "/description", &d);
	if (desc && (why = sp_description_problem(desc)))
		sp_diag_add(&d, SP_SEV_ERROR, "API_INVALID_PARAMETER", body_loc("/description"),
			    NULL, "the description %s", why);
	json_t *lj = json_object_get(body, "lifecycle");
	if (lj)
		lifecycle_parse(lj, &lc, &d);
	if (sp_diags_errors(&d)) {
		ret = invalid(rq, &d);
		goto out;
	}
	rc = sp_store_app_update(st, rq->params[0], desc, lj ? &lc : NULL, rq->id, &a);
	if (rc) {
		ret = api_store_error(rq, st, rc, "application");
		goto out;
	}
	api_events_changed(api);
	ret = api_json(rq, MHD_HTTP_OK, app_json(&a, true));
out:
	sp_app_free(&a);
	sp_app_free(&cur);
	api_db_release(api, st);
	sp_diags_free(&d);
	json_decref(body);
	return ret;
}

static enum MHD_Result h_app_delete(struct sp_api *api, struct request *rq)
{
	char **orphans = NULL;
	size_t n = 0;
	enum MHD_Result ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	pthread_mutex_lock(&api->bundle_mu);
	int rc = sp_store_app_delete(st, rq->params[0], rq->id, &orphans, &n);
	if (rc == 0)
		unlink_bundles(api, orphans, n);
	pthread_mutex_unlock(&api->bundle_mu);
	if (rc == SP_ENOTFOUND)
		ret = api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
				"no application named \"%s\"", rq->params[0]);
	else if (rc == SP_EINUSE)
		ret = api_error(rq, MHD_HTTP_CONFLICT, "APP_HAS_ENVIRONMENTS", NULL,
				"application \"%s\" still has environments; terminate them first",
				rq->params[0]);
	else if (rc)
		ret = api_store_error(rq, st, rc, "application");
	else {
		api_events_changed(api);
		ret = api_json(rq, MHD_HTTP_OK, json_pack("{s:s,s:b}", "application",
							  rq->params[0], "deleted", 1));
	}
	sp_strv_free(orphans, n);
	api_db_release(api, st);
	return ret;
}

static enum MHD_Result h_versions_list(struct sp_api *api, struct request *rq)
{
	size_t limit;
	int64_t token;
	enum MHD_Result ret = MHD_NO;
	struct page p = { SP_BUF_INIT(MAX_RESPONSE), 0, 0 };
	if (!api_page_params(rq, &limit, &token, &ret))
		return ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	sp_buf_puts(&p.b, "{\"versions\":[");
	int rc = sp_store_version_each(st, rq->params[0], token, limit, page_version, &p);
	if (rc == SP_ENOTFOUND)
		ret = api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
				"no application named \"%s\"", rq->params[0]);
	else if (rc)
		ret = api_store_error(rq, st, rc, "versions");
	else
		ret = page_send(rq, &p, limit);
	sp_buf_free(&p.b);
	api_db_release(api, st);
	return ret;
}

static enum MHD_Result version_not_found(struct request *rq, struct sp_store *st, int rc)
{
	if (rc != SP_ENOTFOUND)
		return api_store_error(rq, st, rc, "version");
	struct sp_app a;
	if (sp_store_app_get(st, rq->params[0], &a) == SP_ENOTFOUND)
		return api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
				 "no application named \"%s\"", rq->params[0]);
	sp_app_free(&a);
	return api_error(rq, MHD_HTTP_NOT_FOUND, "VERSION_NOT_FOUND", NULL,
			 "application \"%s\" has no version \"%s\"", rq->params[0],
			 rq->params[1]);
}

static enum MHD_Result h_version_get(struct sp_api *api, struct request *rq)
{
	struct sp_version v;
	enum MHD_Result ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	int rc = sp_store_version_get(st, rq->params[0], rq->params[1], true, &v);
	if (rc)
		ret = version_not_found(rq, st, rc);
	else {
		ret = version_response(rq, MHD_HTTP_OK, &v);
		sp_version_free(&v);
	}
	api_db_release(api, st);
	return ret;
}

static enum MHD_Result h_version_bundle(struct sp_api *api, struct request *rq)
{
	struct sp_version v;
	enum MHD_Result ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	int rc = sp_store_version_get(st, rq->params[0], rq->params[1], false, &v);
	if (rc) {
		ret = version_not_found(rq, st, rc);
		api_db_release(api, st);
		return ret;
	}
	api_db_release(api, st);
	char *path = sp_aprintf("%s/%s.zip", api->bundles_dir, v.bundle_sha256);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				"the bundle of this version cannot be read");
		if (fd >= 0)
			close(fd);
	} else {
		struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
		if (!r) {
			close(fd);
			ret = MHD_NO;
		} else {
			char etag[80];
			snprintf(etag, sizeof(etag), "\"%s\"", v.bundle_sha256);
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/zip");
			MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
			MHD_add_response_header(r, "X-Request-Id", rq->id);
			ret = MHD_queue_response(rq->conn, MHD_HTTP_OK, r);
			MHD_destroy_response(r);
			rq->status = MHD_HTTP_OK;
			rq->responded = true;
		}
	}
	free(path);
	sp_version_free(&v);
	return ret;
}

static enum MHD_Result h_version_delete(struct sp_api *api, struct request *rq)
{
	char *orphan = NULL;
	enum MHD_Result ret;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	pthread_mutex_lock(&api->bundle_mu);
	int rc = sp_store_version_delete(st, rq->params[0], rq->params[1], rq->id, &orphan);
	if (rc == 0 && orphan)
		unlink_bundles(api, &orphan, 1);
	pthread_mutex_unlock(&api->bundle_mu);
	if (rc == SP_EINUSE)
		ret = api_error(rq, MHD_HTTP_CONFLICT, "VERSION_DEPLOYED", NULL,
				"version \"%s\" is deployed to an environment; deploy another"
				" version there first", rq->params[1]);
	else if (rc)
		ret = version_not_found(rq, st, rc);
	else {
		api_events_changed(api);
		ret = api_json(rq, MHD_HTTP_OK,
			       json_pack("{s:s,s:s,s:b}", "application", rq->params[0], "label",
					 rq->params[1], "deleted", 1));
	}
	free(orphan);
	api_db_release(api, st);
	return ret;
}

/* First call of an upload (headers only): every check that needs no body, so a refused
 * upload is answered before its bytes are read; then the spool file is opened. */
enum MHD_Result api_version_upload_begin(struct sp_api *api, struct request *rq, bool *go_on)
{
	const char *label = api_query(rq, "label"), *desc = api_query(rq, "description");
	const char *ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *cl = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *why;
	uint64_t len = 0;
	enum MHD_Result ret;
	*go_on = false;
	if (cl && sp_parse_u64(cl, &len) == 0 && len > MAX_BUNDLE_UPLOAD)
		return api_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "BUNDLE_COMPRESSED_TOO_LARGE", NULL,
				 "the bundle is %llu bytes; at most %llu (512 MiB) are accepted",
				 (unsigned long long)len, (unsigned long long)MAX_BUNDLE_UPLOAD);
	if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0)
		return api_error(rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "API_UNSUPPORTED_MEDIA_TYPE",
				 NULL, "send the bundle itself as the body (Content-Type:"
				 " application/zip), not a form");
	if (!label)
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_MISSING_PARAMETER", NULL,
				 "the query parameter label is required");
	if ((why = sp_name_problem(label, SP_MAX_LABEL)))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				 "the version label %s", why);
	if (desc && (why = sp_description_problem(desc)))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				 "the description %s", why);
	const char *source = api_query(rq, "source"); /* "git" from the push hook (git.c) */
	if (source && (why = sp_version_source_problem(source)))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				 "the source %s", why);
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	struct sp_version v;
	int rc = sp_store_version_get(st, rq->params[0], label, false, &v);
	if (rc == 0) {
		sp_version_free(&v);
		ret = api_error(rq, MHD_HTTP_CONFLICT, "VERSION_LABEL_EXISTS", NULL,
				"application \"%s\" already has a version \"%s\"", rq->params[0],
				label);
		api_db_release(api, st);
		return ret;
	}
	struct sp_app a;
	rc = sp_store_app_get(st, rq->params[0], &a);
	if (rc) {
		ret = rc == SP_ENOTFOUND ? api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
						     "no application named \"%s\"", rq->params[0])
					 : api_store_error(rq, st, rc, "application");
		api_db_release(api, st);
		return ret;
	}
	sp_app_free(&a);
	api_db_release(api, st);
	rq->spool_path = sp_aprintf("%s/upload-XXXXXX", api->tmp_dir);
	if (!rq->spool_path || sp_sha256_new(&rq->hash))
		return MHD_NO;
	rq->spool_fd = mkostemp(rq->spool_path, O_CLOEXEC);
	if (rq->spool_fd < 0) {
		free(rq->spool_path);
		rq->spool_path = NULL;
		return api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				 "cannot create a spool file: %s", strerror(errno));
	}
	*go_on = true;
	return MHD_YES;
}

static enum MHD_Result h_version_upload(struct sp_api *api, struct request *rq)
{
	char sha[SP_SHA256_HEX_LEN + 1];
	char *final = NULL, **orphans = NULL;
	size_t norph = 0, ndel = 0;
	bool created_file = false;
	struct sp_version v = { 0 };
	struct sp_store *st = NULL;
	enum MHD_Result ret;
	const char *label = api_query(rq, "label"), *desc = api_query(rq, "description");
	int rc;
	if (rq->received == 0)
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_EMPTY_BODY", NULL,
				 "the request body must be the bundle (a zip)");
	if (fsync(rq->spool_fd) != 0 || sp_sha256_final_hex(rq->hash, sha) != 0) {
		return api_error(rq, errno == ENOSPC ? MHD_HTTP_INSUFFICIENT_STORAGE
						     : MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "API_INTERNAL", NULL, "cannot store the bundle: %s", strerror(errno));
	}
	sp_sha256_free(rq->hash);
	rq->hash = NULL;
	close(rq->spool_fd);
	rq->spool_fd = -1;
	if (!(final = sp_aprintf("%s/%s.zip", api->bundles_dir, sha)))
		return MHD_NO;
	pthread_mutex_lock(&api->bundle_mu);
	/* Each bundle once: a file already there is the same bytes (same SHA-256). */
	if (access(final, F_OK) == 0) {
		unlink(rq->spool_path);
	} else {
		if (rename(rq->spool_path, final) != 0) {
			pthread_mutex_unlock(&api->bundle_mu);
			ret = api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
					"cannot store the bundle: %s", strerror(errno));
			goto out;
		}
		fsync_dir(api->bundles_dir);
		created_file = true;
	}
	free(rq->spool_path);
	rq->spool_path = NULL;
	if (!(st = api_db_acquire(api))) {
		rc = SP_EIO;
	} else {
		const char *source = api_query(rq, "source");
		rc = sp_store_version_create_from(st, rq->params[0], label, desc, sha,
						  (int64_t)rq->received,
						  source ? source : SP_VERSION_SOURCE_UPLOAD, rq->id,
						  &v);
	}
	if (rc && created_file)
		unlink(final);
	pthread_mutex_unlock(&api->bundle_mu);
	if (rc == SP_EEXISTS) {
		ret = api_error(rq, MHD_HTTP_CONFLICT, "VERSION_LABEL_EXISTS", NULL,
				"application \"%s\" already has a version \"%s\"", rq->params[0],
				label);
		goto out;
	}
	if (rc == SP_ENOTFOUND) {
		ret = api_error(rq, MHD_HTTP_NOT_FOUND, "APP_NOT_FOUND", NULL,
				"no application named \"%s\"", rq->params[0]);
		goto out;
	}
	if (rc) {
		ret = api_store_error(rq, st, rc, "version");
		goto out;
	}
	sp_worker_wake(api->worker);
	/* EB applies the lifecycle on every new version; the new one never counts. */
	pthread_mutex_lock(&api->bundle_mu);
	rc = sp_store_lifecycle_apply(st, rq->params[0], v.id, sp_now_ms(), rq->id, &ndel,
				      &orphans, &norph);
	if (rc == 0)
		unlink_bundles(api, orphans, norph);
	pthread_mutex_unlock(&api->bundle_mu);
	if (rc)
		api_log(api, "%s lifecycle of %s failed: %s", rq->id, rq->params[0],
			sp_store_errmsg(st));
	api_events_changed(api);
	ret = version_response(rq, MHD_HTTP_ACCEPTED, &v);
out:
	sp_strv_free(orphans, norph);
	sp_version_free(&v);
	api_db_release(api, st);
	free(final);
	return ret;
}

int api_event_filter_from_query(struct request *rq, struct sp_event_filter *f,
				const char **bad_param)
{
	const char *sev = api_query(rq, "severity"), *start = api_query(rq, "start_time"),
		   *end = api_query(rq, "end_time");
	memset(f, 0, sizeof(*f));
	f->application = api_query(rq, "application");
	f->environment = api_query(rq, "environment");
	f->version = api_query(rq, "version");
	f->request_id = api_query(rq, "request_id");
	if (sev && sp_event_severity_parse(sev, &f->min_severity)) {
		*bad_param = "severity (TRACE, DEBUG, INFO, WARN, ERROR or FATAL)";
		return SP_EINVAL;
	}
	if (start && sp_time_parse(start, &f->start_ms)) {
		*bad_param = "start_time (ISO-8601 UTC, e.g. 2026-01-31T12:00:00Z)";
		return SP_EINVAL;
	}
	if (end && sp_time_parse(end, &f->end_ms)) {
		*bad_param = "end_time (ISO-8601 UTC, e.g. 2026-01-31T12:00:00Z)";
		return SP_EINVAL;
	}
	return 0;
}

static enum MHD_Result h_events_list(struct sp_api *api, struct request *rq)
{
	struct sp_event_filter f;
	size_t limit;
	int64_t token;
	const char *bad = NULL;
	enum MHD_Result ret = MHD_NO;
	struct page p = { SP_BUF_INIT(MAX_RESPONSE), 0, 0 };
	if (!api_page_params(rq, &limit, &token, &ret))
		return ret;
	if (api_event_filter_from_query(rq, &f, &bad))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				 "bad %s", bad);
	f.before_id = token;
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	sp_buf_puts(&p.b, "{\"events\":[");
	int rc = sp_store_events_each(st, &f, limit, page_event, &p);
	if (rc)
		ret = api_store_error(rq, st, rc, "events");
	else
		ret = page_send(rq, &p, limit);
	sp_buf_free(&p.b);
	api_db_release(api, st);
	return ret;
}

const struct route api_routes[] = {
	{ "GET", "/api/v1/health", h_health, ROUTE_NO_AUTH },
	/* the web console's sign-in (session.c); POST needs no token: it presents one */
	{ "POST", "/api/v1/session", api_session_sign_in, ROUTE_NO_AUTH | ROUTE_JSON_BODY },
	{ "GET", "/api/v1/session", api_session_describe, 0 },
	{ "DELETE", "/api/v1/session", api_session_sign_out, 0 },
	{ "GET", "/api/v1/applications", h_apps_list, 0 },
	{ "POST", "/api/v1/applications", h_app_create, ROUTE_JSON_BODY },
	{ "GET", "/api/v1/applications/{}", h_app_get, 0 },
	{ "PATCH", "/api/v1/applications/{}", h_app_update, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/applications/{}", h_app_delete, 0 },
	{ "GET", "/api/v1/applications/{}/versions", h_versions_list, 0 },
	{ "POST", "/api/v1/applications/{}/versions", h_version_upload, ROUTE_UPLOAD },
	{ "GET", "/api/v1/applications/{}/versions/{}", h_version_get, 0 },
	{ "DELETE", "/api/v1/applications/{}/versions/{}", h_version_delete, 0 },
	{ "GET", "/api/v1/applications/{}/versions/{}/bundle", h_version_bundle, 0 },
	{ "GET", "/api/v1/applications/{}/versions/{}/taskdef", api_version_taskdef, 0 },
	/* the hosted git repository (git.c, docs/git.md) */
	{ "GET", "/api/v1/applications/{}/git", api_git_get, 0 },
	{ "POST", "/api/v1/applications/{}/git", api_git_enable, 0 },
	{ "PUT", "/api/v1/applications/{}/git/branches/{*}", api_git_branch_put, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/applications/{}/git/branches/{*}", api_git_branch_delete, 0 },
	{ "GET", "/api/v1/buckets", api_buckets_list, 0 },
	{ "GET", "/api/v1/buckets/{}", api_bucket_keys, 0 },
	{ "PUT", "/api/v1/buckets/{}/{*}", api_object_put, ROUTE_RAW_BODY },
	{ "GET", "/api/v1/buckets/{}/{*}", api_object_get, 0 },
	{ "DELETE", "/api/v1/buckets/{}/{*}", api_object_delete, 0 },
	{ "GET", "/api/v1/environments", api_env_list, 0 },
	{ "POST", "/api/v1/environments", api_env_create, ROUTE_JSON_BODY },
	{ "GET", "/api/v1/environments/{}", api_env_get, 0 },
	{ "PATCH", "/api/v1/environments/{}", api_env_update, ROUTE_JSON_BODY },
	{ "DELETE", "/api/v1/environments/{}", api_env_terminate, 0 },
	{ "POST", "/api/v1/environments/{}/restart", api_env_restart, 0 },
	{ "POST", "/api/v1/environments/{}/abort", api_env_abort, 0 },
	{ "GET", "/api/v1/environments/{}/deployments", api_env_deployments, 0 },
	{ "GET", "/api/v1/environments/{}/logs", api_env_logs, 0 },
	{ "GET", "/api/v1/events", h_events_list, 0 },
	{ "GET", "/api/v1/events/stream", api_events_stream, 0 },
};
const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
