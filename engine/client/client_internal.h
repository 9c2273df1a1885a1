/* client_internal.h — what the client's files share; not part of the public header. */
#ifndef SPROUT_CLIENT_INTERNAL_H
#define SPROUT_CLIENT_INTERNAL_H

#include <curl/curl.h>

#include "engine/client/client.h"

struct sp_client {
	CURL *curl;
	CURL *stream; /* the event stream's own handle: its callbacks may make requests */
	char *endpoint, *token, *user_agent, *ca_file;
	long timeout_ms;
};

/* One transfer's headers and the X-Request-Id the engine answered with. */
struct client_xfer {
	struct curl_slist *headers;
	char request_id[128];
};

/* Resets the handle and sets URL, method, auth, user agent, timeouts, header capture.
 * The caller sets CURLOPT_HTTPHEADER (x->headers, after adding its own) and frees
 * x->headers with curl_slist_free_all. */
int client_prepare(struct sp_client *c, CURL *h, const char *method, const char *path,
		   const char *request_id, struct client_xfer *x);
int client_transport_error(const struct sp_client *c, CURLcode cc, const char *errbuf,
			   struct sp_client_error *err);
int client_http_error(const struct sp_buf *body, long status, const char *request_id,
		      struct sp_client_error *e);
void client_error_set(struct sp_client_error *e, long status, const char *code,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
