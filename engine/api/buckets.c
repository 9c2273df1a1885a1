/* buckets.c — /api/v1/buckets: the engine's bucket store (engine/bucket) over HTTP.
 * Objects are credentials (docker config.json files), so they are served only to the
 * admin token, never logged, never put into events with their contents. */
#include <stdlib.h>
#include <string.h>

#include "engine/api/api_internal.h"
#include "engine/bucket/bucket.h"
#include "engine/base/banned.h"

static enum MHD_Result bucket_error(struct request *rq, int rc, const char *why)
{
	switch (rc) {
	case SP_EINVAL:
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL, "%s",
				 why ? why : "invalid bucket or key");
	case SP_ENOTFOUND:
		return api_error(rq, MHD_HTTP_NOT_FOUND, "BUCKET_NOT_FOUND", NULL,
				 "no such bucket or key");
	case SP_EEXISTS:
		return api_error(rq, MHD_HTTP_CONFLICT, "BUCKET_KEY_CONFLICT", NULL,
				 "the key clashes with another one (\"a\" and \"a/b\" cannot both"
				 " exist)");
	case SP_ETOOBIG:
		return api_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "API_PAYLOAD_TOO_LARGE", NULL,
				 "an object may be at most %zu bytes", (size_t)SP_BUCKET_MAX_OBJECT);
	default:
		return api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "API_INTERNAL", NULL,
				 "the bucket store failed (%s)", sp_strerror(rc));
	}
}

static enum MHD_Result list_json(struct request *rq, const char *key, struct sp_bucket_list *l)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < l->n; i++)
		json_array_append_new(arr, json_string(l->names[i]));
	sp_bucket_list_release(l);
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", key, arr ? arr : json_array()));
}

enum MHD_Result api_buckets_list(struct sp_api *api, struct request *rq)
{
	struct sp_bucket_list l = { 0 };
	int rc = sp_bucket_list_buckets(api->data_dir, &l);
	return rc ? bucket_error(rq, rc, NULL) : list_json(rq, "buckets", &l);
}

enum MHD_Result api_bucket_keys(struct sp_api *api, struct request *rq)
{
	struct sp_bucket_list l = { 0 };
	const char *why = NULL;
	if (sp_bucket_check_name(rq->params[0], &why))
		return bucket_error(rq, SP_EINVAL, why);
	int rc = sp_bucket_list_keys(api->data_dir, rq->params[0], &l);
	return rc ? bucket_error(rq, rc, NULL) : list_json(rq, "keys", &l);
}

static int check(struct request *rq, const char **why)
{
	int rc = sp_bucket_check_name(rq->params[0], why);
	return rc ? rc : sp_bucket_check_key(rq->params[1], why);
}

enum MHD_Result api_object_put(struct sp_api *api, struct request *rq)
{
	const char *why = NULL;
	int rc = check(rq, &why);
	if (rc)
		return bucket_error(rq, rc, why);
	rc = sp_bucket_put(api->data_dir, rq->params[0], rq->params[1],
			   rq->body.data ? rq->body.data : "", rq->body.len);
	if (rc)
		return bucket_error(rq, rc, why);
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:s,s:s,s:I}", "bucket", rq->params[0],
						   "key", rq->params[1], "size",
						   (json_int_t)rq->body.len));
}

enum MHD_Result api_object_get(struct sp_api *api, struct request *rq)
{
	const char *why = NULL;
	struct sp_buf b = SP_BUF_INIT(SP_BUCKET_MAX_OBJECT);
	int rc = check(rq, &why);
	if (rc)
		return bucket_error(rq, rc, why);
	if ((rc = sp_bucket_get(api->data_dir, rq->params[0], rq->params[1], 0, &b))) {
		sp_buf_free(&b);
		return bucket_error(rq, rc, why);
	}
	char *data = NULL;
	size_t n = 0;
	if (b.len == 0) {
		data = malloc(1);
	} else if (sp_buf_detach(&b, &data, &n)) {
		data = NULL;
	}
	sp_buf_free(&b);
	if (!data)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(n, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Request-Id", rq->id);
	enum MHD_Result ret = MHD_queue_response(rq->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	rq->status = MHD_HTTP_OK;
	rq->responded = true;
	return ret;
}

enum MHD_Result api_object_delete(struct sp_api *api, struct request *rq)
{
	const char *why = NULL;
	int rc = check(rq, &why);
	if (!rc)
		rc = sp_bucket_rm(api->data_dir, rq->params[0], rq->params[1]);
	if (rc)
		return bucket_error(rq, rc, why);
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:s,s:s,s:b}", "bucket", rq->params[0],
						   "key", rq->params[1], "deleted", 1));
}
