/* client.c — the AWS client: endpoints, SigV4-signed libcurl exchanges with retries, the
 * JSON 1.1 and Query/XML protocols and AWS's error answers (aws.h has the contract). */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "engine/aws/aws.h"
#include "engine/aws/sigv4.h"
#include "engine/base/banned.h"

#ifndef SPROUT_VERSION
#define SPROUT_VERSION "0"
#endif

enum wire { WIRE_JSON, WIRE_QUERY, WIRE_EC2 };

static const struct service_info {
	const char *name;        /* signing name and endpoint prefix */
	const char *env_suffix;  /* AWS_ENDPOINT_URL_<suffix> */
	const char *version;     /* Query API version */
	const char *target;      /* JSON target prefix */
	enum wire wire;
} services[SP_AWS_SERVICE_COUNT] = {
	[SP_AWS_ECS] = { "ecs", "ECS", NULL, "AmazonEC2ContainerServiceV20141113", WIRE_JSON },
	[SP_AWS_EC2] = { "ec2", "EC2", "2016-11-15", NULL, WIRE_EC2 },
	[SP_AWS_ELB] = { "elasticloadbalancing", "ELASTIC_LOAD_BALANCING", "2012-06-01", NULL,
			 WIRE_QUERY },
	[SP_AWS_AUTOSCALING] = { "autoscaling", "AUTO_SCALING", "2011-01-01", NULL, WIRE_QUERY },
};

/* Error codes that mean "slow down" (botocore's retryhandler and standard retry mode). */
static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
	"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException",
};

struct endpoint {
	char *url;   /* scheme://host[:port][/path] without trailing '/' */
	char *host;  /* Host header: host[:port], the port only when not the default */
	char *path;  /* "/" or the endpoint's path + "/" */
};

struct sp_aws {
	CURL *curl;
	struct sp_aws_credentials creds;
	char region[SP_AWS_MAX_NAME];
	struct endpoint ep[SP_AWS_SERVICE_COUNT];
	int max_attempts, retry_base_ms;
	long timeout_s;
	unsigned seed;
	struct sp_aws_error err;
};

const char *sp_aws_service_name(enum sp_aws_service s)
{
	return s < SP_AWS_SERVICE_COUNT ? services[s].name : "?";
}

static int endpoint_parse(const char *url, struct endpoint *ep)
{
	const char *p = url, *scheme_end = strstr(url, "://");
	bool https;
	if (!scheme_end)
		return SP_EINVAL;
	if ((size_t)(scheme_end - url) == 5 && !strncasecmp(url, "https", 5))
		https = true;
	else if ((size_t)(scheme_end - url) == 4 && !strncasecmp(url, "http", 4))
		https = false;
	else
		return SP_EINVAL;
	p = scheme_end + 3;
	size_t hl = strcspn(p, "/?#");
	if (hl == 0 || memchr(p, '@', hl))
		return SP_EINVAL;
	const char *rest = p + hl;
	if (*rest == '?' || *rest == '#')
		return SP_EINVAL;
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)p[i] <= ' ')
			return SP_EINVAL;
	/* Host header: lower-case, default port dropped (botocore _host_from_url). */
	const char *colon = NULL;
	if (*p == '[') {
		const char *close = memchr(p, ']', hl);
		if (!close)
			return SP_EINVAL;
		colon = close + 1 < p + hl && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(p, ':', hl);
	}
	size_t host_len = hl;
	if (colon) {
		const char *port = colon + 1;
		size_t pl = (size_t)(p + hl - port);
		if ((https && pl == 3 && !memcmp(port, "443", 3)) ||
		    (!https && pl == 2 && !memcmp(port, "80", 2)))
			host_len = (size_t)(colon - p);
	}
	size_t path_len = strlen(rest);
	while (path_len && rest[path_len - 1] == '/')
		path_len--;
	ep->url = sp_strndup(url, (size_t)(rest - url) + path_len);
	ep->host = sp_strndup(p, host_len);
	ep->path = sp_aprintf("%.*s/", (int)path_len, rest);
	if (!ep->url || !ep->host || !ep->path)
		return SP_ENOMEM;
	for (char *c = ep->host; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return 0;
}

static void endpoint_free(struct endpoint *ep)
{
	free(ep->url);
	free(ep->host);
	free(ep->path);
	memset(ep, 0, sizeof(*ep));
}

void sp_aws_close(struct sp_aws *a)
{
	if (!a)
		return;
	if (a->curl)
		curl_easy_cleanup(a->curl);
	sp_aws_credentials_clear(&a->creds);
	for (int i = 0; i < SP_AWS_SERVICE_COUNT; i++)
		endpoint_free(&a->ep[i]);
	free(a);
}

int sp_aws_open(const struct sp_aws_options *o, struct sp_aws **out, struct sp_buf *msg)
{
	static const struct sp_aws_options none = { 0 };
	struct sp_aws *a = calloc(1, sizeof(*a));
	int rc = SP_ENOMEM;
	if (!a)
		return rc;
	if (!o)
		o = &none;
	rc = sp_aws_resolve(o, &a->creds, a->region, msg);
	if (rc)
		goto out;
	if (!a->region[0]) {
		rc = SP_ENOTFOUND;
		if (msg)
			sp_buf_puts(msg, "no AWS region: give the Region option, set AWS_REGION, or "
					 "put region in the profile of ~/.aws/config");
		goto out;
	}
	for (int s = 0; s < SP_AWS_SERVICE_COUNT; s++) {
		char envname[64];
		const char *url = o->endpoints[s] && *o->endpoints[s] ? o->endpoints[s] : o->endpoint;
		snprintf(envname, sizeof(envname), "AWS_ENDPOINT_URL_%s", services[s].env_suffix);
		if (!url || !*url)
			url = getenv(envname);
		if (!url || !*url)
			url = getenv("AWS_ENDPOINT_URL");
		char *def = NULL;
		if (!url || !*url) {
			def = sp_aprintf("https://%s.%s.amazonaws.com", services[s].name, a->region);
			if (!def) {
				rc = SP_ENOMEM;
				goto out;
			}
			url = def;
		}
		rc = endpoint_parse(url, &a->ep[s]);
		if (rc && msg)
			sp_buf_printf(msg, "the %s endpoint \"%s\" is not an http:// or https:// URL",
				      services[s].name, url);
		free(def);
		if (rc)
			goto out;
	}
	a->curl = curl_easy_init();
	if (!a->curl) {
		rc = SP_ENOMEM;
		goto out;
	}
	a->max_attempts = o->max_attempts > 0 ? o->max_attempts : SP_AWS_MAX_ATTEMPTS;
	if (a->max_attempts > SP_AWS_MAX_ATTEMPTS)
		a->max_attempts = SP_AWS_MAX_ATTEMPTS;
	a->retry_base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : SP_AWS_RETRY_BASE_MS;
	a->timeout_s = o->timeout_s > 0 ? o->timeout_s : SP_AWS_TIMEOUT_S;
	a->seed = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)a;
	*out = a;
	a = NULL;
	rc = 0;
out:
	sp_aws_close(a);
	return rc;
}

const char *sp_aws_region(const struct sp_aws *a)
{
	return a->region;
}

const char *sp_aws_endpoint(const struct sp_aws *a, enum sp_aws_service s)
{
	return s < SP_AWS_SERVICE_COUNT ? a->ep[s].url : "";
}

const struct sp_aws_error *sp_aws_last_error(const struct sp_aws *a)
{
	return &a->err;
}

int sp_aws_describe(const struct sp_aws *a, struct sp_buf *out)
{
	return sp_buf_printf(out, "region %s, ecs %s, ec2 %s, elb %s, autoscaling %s, "
				  "credentials from %s (access key %.4s...)",
			     a->region, a->ep[SP_AWS_ECS].url, a->ep[SP_AWS_EC2].url,
			     a->ep[SP_AWS_ELB].url, a->ep[SP_AWS_AUTOSCALING].url, a->creds.source,
			     a->creds.access_key_id);
}

/* ---- one exchange ---- */

struct recv {
	struct sp_buf *body;
	bool too_big;
	char request_id[SP_AWS_MAX_NAME];
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
	struct recv *r = user;
	if (sp_buf_append(r->body, p, size * n)) {
		r->too_big = true;
		return 0;
	}
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
	struct recv *r = user;
	size_t len = size * n;
	static const char *const names[] = { "x-amzn-requestid:", "x-amz-request-id:" };
	for (size_t i = 0; i < 2; i++) {
		size_t nl = strlen(names[i]);
		if (len > nl && !strncasecmp(p, names[i], nl)) {
			const char *v = p + nl, *e = p + len;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
				e--;
			snprintf(r->request_id, sizeof(r->request_id), "%.*s", (int)(e - v), v);
		}
	}
	return len;
}

/* Sends one signed POST; *status 0 when no HTTP answer came (message in a->err). */
static int exchange(struct sp_aws *a, enum sp_aws_service s, const char *content_type,
		    const char *target, const char *body, size_t body_len, long *status,
		    struct sp_buf *resp, char request_id[SP_AWS_MAX_NAME])
{
	const struct endpoint *ep = &a->ep[s];
	char date[SP_SIGV4_DATE_LEN + 1];
	struct sp_http_header h[6];
	size_t nh = 0;
	struct sp_buf auth = SP_BUF_INIT(4096), line = SP_BUF_INIT(16384);
	struct curl_slist *hl = NULL;
	struct recv r = { resp, false, "" };
	int rc = sp_sigv4_format_date(time(NULL), date);
	if (rc)
		goto out;
	h[nh++] = (struct sp_http_header){ "Host", ep->host };
	h[nh++] = (struct sp_http_header){ "Content-Type", content_type };
	h[nh++] = (struct sp_http_header){ "X-Amz-Date", date };
	if (target)
		h[nh++] = (struct sp_http_header){ "X-Amz-Target", target };
	if (a->creds.session_token)
		h[nh++] = (struct sp_http_header){ "X-Amz-Security-Token", a->creds.session_token };
	struct sp_sigv4_request req = { "POST", ep->path, NULL, h, nh, body, body_len };
	struct sp_sigv4_key key = { a->creds.access_key_id, a->creds.secret_access_key,
				    a->region, services[s].name };
	if ((rc = sp_sigv4_sign(&req, &key, date, &auth, NULL)))
		goto out;
	rc = SP_ENOMEM;
	for (size_t i = 0; i < nh; i++) {
		sp_buf_reset(&line);
		if (sp_buf_printf(&line, "%s: %s", h[i].name, h[i].value))
			goto out;
		struct curl_slist *n = curl_slist_append(hl, sp_buf_cstr(&line));
		if (!n)
			goto out;
		hl = n;
	}
	sp_buf_reset(&line);
	if (sp_buf_printf(&line, "Authorization: %s", sp_buf_cstr(&auth)))
		goto out;
	struct curl_slist *n2 = curl_slist_append(hl, sp_buf_cstr(&line));
	if (!n2)
		goto out;
	hl = n2;
	/* No "Expect: 100-continue": it is not signed and only slows small bodies down. */
	if (!(n2 = curl_slist_append(hl, "Expect:")))
		goto out;
	hl = n2;

	sp_buf_reset(&line);
	if (sp_buf_printf(&line, "%s/", ep->url))
		goto out;
	CURL *c = a->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, sp_buf_cstr(&line));
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sprout/" SPROUT_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, a->timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	CURLcode cc = curl_easy_perform(c);
	sp_buf_reset(&line);
	if (r.too_big) {
		rc = SP_ETOOBIG;
		snprintf(a->err.message, sizeof(a->err.message),
			 "the answer is larger than %zu bytes", resp->max);
		goto out;
	}
	if (cc != CURLE_OK) {
		*status = 0;
		snprintf(a->err.message, sizeof(a->err.message), "%s: %s", ep->url,
			 curl_easy_strerror(cc));
		rc = 0;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	snprintf(request_id, SP_AWS_MAX_NAME, "%s", r.request_id);
	rc = 0;
out:
	if (a->curl)
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	if (auth.data)
		OPENSSL_cleanse(auth.data, auth.len);
	if (line.data)
		OPENSSL_cleanse(line.data, line.len);
	sp_buf_free(&auth);
	sp_buf_free(&line);
	return rc;
}

static bool is_throttle_code(const char *code)
{
	for (size_t i = 0; i < sizeof(throttle_codes) / sizeof(throttle_codes[0]); i++)
		if (!strcmp(code, throttle_codes[i]))
			return true;
	return false;
}

/* ---- error answers ---- */

static void set_error_text(struct sp_aws *a, const char *code, const char *message)
{
	snprintf(a->err.code, sizeof(a->err.code), "%s", code ? code : "");
	snprintf(a->err.message, sizeof(a->err.message), "%s", message ? message : "");
}

/* {"__type": "ns#Code" or "Code:uri", "message"|"Message": "..."} */
static void parse_json_error(struct sp_aws *a, const struct sp_buf *body)
{
	json_error_t e;
	json_t *j = json_loadb(body->data ? body->data : "", body->len, 0, &e);
	const char *type = json_string_value(json_object_get(j, "__type"));
	const char *msg = json_string_value(json_object_get(j, "message"));
	if (!msg)
		msg = json_string_value(json_object_get(j, "Message"));
	char code[SP_AWS_MAX_NAME] = "";
	if (type) {
		const char *hash = strrchr(type, '#');
		const char *start = hash ? hash + 1 : type;
		size_t len = strcspn(start, ":");
		snprintf(code, sizeof(code), "%.*s", (int)len, start);
	}
	set_error_text(a, code, msg);
	json_decref(j);
}

static xmlDoc *parse_xml(const struct sp_buf *body)
{
	if (!body->len || body->len > (size_t)0x7fffffff)
		return NULL;
	return xmlReadMemory(body->data, (int)body->len, "aws.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* <ErrorResponse><Error><Code/><Message/></Error><RequestId/></ErrorResponse> or EC2's
 * <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>. */
static void parse_xml_error(struct sp_aws *a, const struct sp_buf *body)
{
	xmlDoc *doc = parse_xml(body);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNode *err = root ? sp_xml_path(root, "Error") : NULL;
	if (!err && root)
		err = sp_xml_path(root, "Errors/Error");
	char *code = err ? sp_xml_strdup(err, "Code") : NULL;
	char *msg = err ? sp_xml_strdup(err, "Message") : NULL;
	set_error_text(a, code, msg);
	if (!a->err.request_id[0] && root) {
		char *rid = sp_xml_strdup(root, "RequestId");
		if (!rid)
			rid = sp_xml_strdup(root, "RequestID");
		if (rid)
			snprintf(a->err.request_id, sizeof(a->err.request_id), "%s", rid);
		free(rid);
	}
	free(code);
	free(msg);
	if (doc)
		xmlFreeDoc(doc);
}

static void backoff(struct sp_aws *a, int attempt)
{
	long cap = (long)a->retry_base_ms << (attempt < 16 ? attempt : 16);
	if (cap > SP_AWS_RETRY_CAP_MS)
		cap = SP_AWS_RETRY_CAP_MS;
	long ms = cap > 0 ? (long)(rand_r(&a->seed) % (cap + 1)) : 0; /* full jitter */
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Sends with retries. On 0, resp holds a 2xx answer; SP_ERROR: a->err describes AWS's
 * error; SP_EIO: no answer. */
static int call(struct sp_aws *a, enum sp_aws_service s, const char *op,
		const char *content_type, const char *target, const char *body, size_t len,
		struct sp_buf *resp)
{
	int rc = SP_EIO;
	memset(&a->err, 0, sizeof(a->err));
	snprintf(a->err.service, sizeof(a->err.service), "%s", services[s].name);
	snprintf(a->err.operation, sizeof(a->err.operation), "%s", op);
	for (int attempt = 0; attempt < a->max_attempts; attempt++) {
		long status = 0;
		bool retry;
		if (attempt)
			backoff(a, attempt);
		sp_buf_reset(resp);
		a->err.attempts = attempt + 1;
		a->err.code[0] = '\0';
		a->err.request_id[0] = '\0';
		a->err.throttled = false;
		rc = exchange(a, s, content_type, target, body, len, &status, resp,
			      a->err.request_id);
		a->err.http_status = status;
		if (rc)
			return rc;
		if (status >= 200 && status < 300)
			return 0;
		if (status == 0) {
			rc = SP_EIO;
			retry = true;
		} else {
			if (services[s].wire == WIRE_JSON)
				parse_json_error(a, resp);
			else
				parse_xml_error(a, resp);
			if (!a->err.code[0] && !a->err.message[0])
				snprintf(a->err.message, sizeof(a->err.message),
					 "HTTP status %ld", status);
			a->err.throttled = status == 429 || is_throttle_code(a->err.code);
			retry = a->err.throttled || status >= 500;
			rc = SP_ERROR;
		}
		if (!retry)
			break;
	}
	return rc;
}

int sp_aws_json_call(struct sp_aws *a, enum sp_aws_service s, const char *op,
		     const json_t *req, json_t **resp)
{
	struct sp_buf body = SP_BUF_INIT(SP_AWS_MAX_RESPONSE);
	char *text = NULL, target[160];
	int rc = SP_EINVAL;
	if (s >= SP_AWS_SERVICE_COUNT || services[s].wire != WIRE_JSON || !op)
		return rc;
	text = req ? json_dumps(req, JSON_COMPACT) : sp_strdup("{}");
	if (!text)
		return SP_ENOMEM;
	if (strlen(text) > SP_AWS_MAX_REQUEST) {
		rc = SP_ETOOBIG;
		goto out;
	}
	snprintf(target, sizeof(target), "%s.%s", services[s].target, op);
	rc = call(a, s, op, "application/x-amz-json-1.1", target, text, strlen(text), &body);
	if (rc)
		goto out;
	json_error_t e;
	json_t *j = json_loadb(body.len ? body.data : "{}", body.len ? body.len : 2, 0, &e);
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(a->err.message, sizeof(a->err.message), "the answer is not a JSON object");
		rc = SP_EINVAL;
		goto out;
	}
	*resp = j;
out:
	free(text);
	sp_buf_free(&body);
	return rc;
}

void sp_aws_params_init(struct sp_aws_params *p)
{
	sp_buf_init(&p->body, SP_AWS_MAX_REQUEST);
	p->n = 0;
	p->rc = 0;
}

void sp_aws_params_free(struct sp_aws_params *p)
{
	sp_buf_free(&p->body);
}

static void params_vadd(struct sp_aws_params *p, const char *value, const char *fmt,
			va_list ap)
{
	char name[512];
	if (p->rc)
		return;
	if (p->n >= SP_AWS_MAX_QUERY_PARAMS) {
		p->rc = SP_ETOOBIG;
		return;
	}
	int len = vsnprintf(name, sizeof(name), fmt, ap);
	if (len < 0 || (size_t)len >= sizeof(name)) {
		p->rc = SP_ETOOBIG;
		return;
	}
	size_t before = p->body.len;
	int rc = p->body.len ? sp_buf_putc(&p->body, '&') : 0;
	if (!rc)
		rc = sp_sigv4_uri_encode(&p->body, name, (size_t)len, 0);
	if (!rc)
		rc = sp_buf_putc(&p->body, '=');
	if (!rc)
		rc = sp_sigv4_uri_encode(&p->body, value ? value : "", value ? strlen(value) : 0, 0);
	if (rc) {
		p->body.len = before;
		if (p->body.data)
			p->body.data[before] = '\0';
		p->rc = rc;
		return;
	}
	p->n++;
}

void sp_aws_params_add(struct sp_aws_params *p, const char *value, const char *name_fmt, ...)
{
	va_list ap;
	va_start(ap, name_fmt);
	params_vadd(p, value, name_fmt, ap);
	va_end(ap);
}

void sp_aws_params_addi(struct sp_aws_params *p, long long value, const char *name_fmt, ...)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", value);
	va_list ap;
	va_start(ap, name_fmt);
	params_vadd(p, v, name_fmt, ap);
	va_end(ap);
}

int sp_aws_query_call(struct sp_aws *a, enum sp_aws_service s, const char *op,
		      const struct sp_aws_params *p, xmlDoc **resp)
{
	struct sp_buf form = SP_BUF_INIT(SP_AWS_MAX_REQUEST + 256);
	struct sp_buf body = SP_BUF_INIT(SP_AWS_MAX_RESPONSE);
	int rc = SP_EINVAL;
	if (s >= SP_AWS_SERVICE_COUNT || services[s].wire == WIRE_JSON || !op)
		return rc;
	if (p && p->rc)
		return p->rc;
	if ((rc = sp_buf_puts(&form, "Action=")) ||
	    (rc = sp_sigv4_uri_encode(&form, op, strlen(op), 0)) ||
	    (rc = sp_buf_printf(&form, "&Version=%s", services[s].version)))
		goto out;
	if (p && p->body.len && ((rc = sp_buf_putc(&form, '&')) ||
				 (rc = sp_buf_append(&form, p->body.data, p->body.len))))
		goto out;
	rc = call(a, s, op, "application/x-www-form-urlencoded; charset=utf-8", NULL,
		  sp_buf_cstr(&form), form.len, &body);
	if (rc)
		goto out;
	xmlDoc *doc = parse_xml(&body);
	if (!doc || !xmlDocGetRootElement(doc)) {
		if (doc)
			xmlFreeDoc(doc);
		snprintf(a->err.message, sizeof(a->err.message), "the answer is not XML");
		rc = SP_EINVAL;
		goto out;
	}
	*resp = doc;
out:
	sp_buf_free(&form);
	sp_buf_free(&body);
	return rc;
}

/* ---- XML helpers ---- */

xmlNode *sp_xml_next(const xmlNode *parent, const xmlNode *cur, const char *name)
{
	const xmlNode *n = cur ? cur->next : (parent ? parent->children : NULL);
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && (!name || !strcmp((const char *)n->name, name)))
			return (xmlNode *)n;
	return NULL;
}

xmlNode *sp_xml_child(const xmlNode *parent, const char *name)
{
	return sp_xml_next(parent, NULL, name);
}

xmlNode *sp_xml_path(const xmlNode *node, const char *path)
{
	char step[128];
	const xmlNode *n = node;
	while (n && path && *path) {
		size_t len = strcspn(path, "/");
		if (len >= sizeof(step))
			return NULL;
		memcpy(step, path, len);
		step[len] = '\0';
		n = sp_xml_child(n, step);
		path += len;
		if (*path == '/')
			path++;
	}
	return (xmlNode *)n;
}

int sp_xml_text(const xmlNode *node, const char *path, struct sp_buf *out)
{
	const xmlNode *n = sp_xml_path(node, path);
	if (!n)
		return SP_ENOTFOUND;
	xmlChar *t = xmlNodeGetContent(n);
	if (!t)
		return SP_ENOMEM;
	const char *s = (const char *)t, *e = s + strlen(s);
	while (s < e && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	int rc = sp_buf_append(out, s, (size_t)(e - s));
	xmlFree(t);
	return rc;
}

char *sp_xml_strdup(const xmlNode *node, const char *path)
{
	struct sp_buf b = SP_BUF_INIT(SP_AWS_MAX_RESPONSE);
	char *s = NULL;
	size_t n;
	if (sp_xml_text(node, path, &b) == 0)
		sp_buf_detach(&b, &s, &n);
	sp_buf_free(&b);
	return s;
}

/* ---- diagnostics ---- */

static bool is_auth_code(const char *c)
{
	static const char *const codes[] = {
		"AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch",
		"UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException",
		"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
		"MissingAuthenticationToken", "IncompleteSignature", "InvalidSignatureException",
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(c, codes[i]))
			return true;
	return false;
}

bool sp_aws_error_is(const struct sp_aws *a, const char *code)
{
	return a && code && !strcmp(a->err.code, code);
}

int sp_aws_error_to_diag(const struct sp_aws *a, int rc, struct sp_diags *d)
{
	const struct sp_aws_error *e = &a->err;
	struct sp_loc loc = { NULL, 0, 0, "" };
	char rid[SP_AWS_MAX_NAME + 32] = "";
	if (e->request_id[0])
		snprintf(rid, sizeof(rid), " (request id %s)", e->request_id);
	if (rc == SP_ETOOBIG)
		return sp_diag_add(d, SP_SEV_ERROR, "AWS_RESPONSE_TOO_LARGE", loc,
				   "this is a limit of sprout (MAX_AWS_RESPONSE)",
				   "%s %s: %s", e->service, e->operation, e->message);
	if (rc == SP_EIO)
		return sp_diag_add(d, SP_SEV_ERROR, "AWS_UNREACHABLE", loc,
				   "check the Endpoint and Region options and the network",
				   "%s %s: no answer after %d attempts: %s", e->service,
				   e->operation, e->attempts, e->message);
	if (rc == SP_EINVAL)
		return sp_diag_add(d, SP_SEV_ERROR, "AWS_BAD_RESPONSE", loc,
				   "the endpoint may not be an AWS API endpoint",
				   "%s %s: %s", e->service, e->operation, e->message);
	if (rc != SP_ERROR)
		return sp_diag_add(d, SP_SEV_ERROR, "AWS_API_ERROR", loc, NULL, "%s %s: %s",
				   e->service, e->operation, sp_strerror(rc));
	if (e->throttled)
		return sp_diag_add(d, SP_SEV_ERROR, "AWS_THROTTLED", loc,
				   "AWS is rate-limiting this account; apply again later",
				   "%s %s: %s: %s, still after %d attempts%s", e->service,
				   e->operation, e->code, e->message, e->attempts, rid);
	if (is_auth_code(e->code) || e->http_status == 401 || e->http_status == 403)
		return sp_diag_add(d, SP_SEV_ERROR, "AWS_AUTH_FAILED", loc,
				   "check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and their "
				   "IAM permissions",
				   "%s %s: %s: %s%s", e->service, e->operation,
				   e->code[0] ? e->code : "HTTP error", e->message, rid);
	return sp_diag_add(d, SP_SEV_ERROR, "AWS_API_ERROR", loc, NULL, "%s %s: %s: %s%s",
			   e->service, e->operation, e->code[0] ? e->code : "HTTP error",
			   e->message, rid);
}
