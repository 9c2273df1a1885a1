/* sigv4_sign.c — reads one request per line (JSON) on stdin and prints the Authorization
 * header sprout's SigV4 computes for it, one per line ("ERROR <code>" when signing fails).
 * Built by tests/integration/test_sigv4_botocore.sh against build/libsprout.a.
 *
 * Line: {"method","path","query","headers":[[name,value],...],"body","date",
 *        "akid","secret","token"(optional),"region","service"}
 * The headers are sent as given, then X-Amz-Date and (with a token) X-Amz-Security-Token
 * are appended, as botocore's add_auth does. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/aws/sigv4.h"
#include "engine/base/banned.h"

#define MAX_LINE (1 << 20)

static int sign_line(const char *line, struct sp_buf *out)
{
	json_error_t e;
	json_t *j = json_loads(line, 0, &e);
	struct sp_http_header h[SP_SIGV4_MAX_HEADERS + 2];
	int rc = SP_EINVAL;
	if (!j)
		return rc;
	json_t *hs = json_object_get(j, "headers");
	size_t n = 0, i;
	json_t *pair;
	json_array_foreach(hs, i, pair) {
		if (n >= SP_SIGV4_MAX_HEADERS)
			goto out;
		h[n].name = json_string_value(json_array_get(pair, 0));
		h[n].value = json_string_value(json_array_get(pair, 1));
		n++;
	}
	const char *date = json_string_value(json_object_get(j, "date"));
	const char *token = json_string_value(json_object_get(j, "token"));
	h[n++] = (struct sp_http_header){ "X-Amz-Date", date };
	if (token)
		h[n++] = (struct sp_http_header){ "X-Amz-Security-Token", token };
	const char *body = json_string_value(json_object_get(j, "body"));
	struct sp_sigv4_request r = {
		json_string_value(json_object_get(j, "method")),
		json_string_value(json_object_get(j, "path")),
		json_string_value(json_object_get(j, "query")),
		h, n, body, body ? strlen(body) : 0,
	};
	struct sp_sigv4_key k = {
		json_string_value(json_object_get(j, "akid")),
		json_string_value(json_object_get(j, "secret")),
		json_string_value(json_object_get(j, "region")),
		json_string_value(json_object_get(j, "service")),
	};
	rc = sp_sigv4_sign(&r, &k, date, out, NULL);
out:
	json_decref(j);
	return rc;
}

int main(void)
{
	char *line = malloc(MAX_LINE);
	struct sp_buf out = SP_BUF_INIT(0);
	if (!line)
		return 2;
	while (fgets(line, MAX_LINE, stdin)) {
		sp_buf_reset(&out);
		int rc = sign_line(line, &out);
		if (rc)
			printf("ERROR %d\n", rc);
		else
			printf("%s\n", sp_buf_cstr(&out));
	}
	sp_buf_free(&out);
	free(line);
	return 0;
}
