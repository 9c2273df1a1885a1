/* docker.c — the Docker Engine API client: libcurl on the unix socket, JSON in and out. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/docker/docker.h"
#include "engine/base/banned.h"

struct sp_docker {
	CURL *curl;
	char *socket;
	struct sp_buf err;
};

static void set_error(struct sp_docker *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct sp_docker *d, const char *fmt, ...)
{
	va_list ap;
	sp_buf_reset(&d->err);
	va_start(ap, fmt);
	(void)sp_buf_vprintf(&d->err, fmt, ap);
	va_end(ap);
}

int sp_docker_open(const char *socket_path, struct sp_docker **out)
{
	const char *path = socket_path;
	if (!path) {
		const char *h = getenv("DOCKER_HOST");
		if (h && *h) {
			if (strncmp(h, "unix://", 7) != 0)
				return SP_EINVAL;
			path = h + 7;
		} else {
			path = SP_DOCKER_DEFAULT_SOCKET;
		}
	}
	if (!*path || strlen(path) > SP_DOCKER_MAX_SOCKET_PATH)
		return SP_EINVAL;
	struct sp_docker *d = calloc(1, sizeof(*d));
	if (!d)
		return SP_ENOMEM;
	sp_buf_init(&d->err, SP_DOCKER_MAX_ERROR);
	d->socket = sp_strdup(path);
	d->curl = curl_easy_init();
	if (!d->socket || !d->curl) {
		sp_docker_close(d);
		return SP_ENOMEM;
	}
	*out = d;
	return 0;
}

void sp_docker_close(struct sp_docker *d)
{
	if (!d)
		return;
	if (d->curl)
		curl_easy_cleanup(d->curl);
	free(d->socket);
	sp_buf_free(&d->err);
	free(d);
}

const char *sp_docker_socket(const struct sp_docker *d) { return d->socket; }
const char *sp_docker_last_error(const struct sp_docker *d) { return sp_buf_cstr(&d->err); }

struct sink {
	struct sp_buf *b;
	int rc;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	int rc = sp_buf_append(s->b, p, n);
	if (rc) {
		s->rc = rc;
		return 0;
	}
	return n;
}

int sp_docker_request(struct sp_docker *d, const char *method, const char *path,
		      const char *body, const char *const *headers, long timeout_s,
		      size_t max, long *status, struct sp_buf *resp)
{
	int rc = 0;
	struct curl_slist *hl = NULL;
	char *url = NULL;
	struct sp_buf tmp = SP_BUF_INIT(max);
	struct sink s = { &tmp, 0 };
	char curl_err[CURL_ERROR_SIZE] = "";

	url = sp_aprintf("http://localhost/v%s%s", SP_DOCKER_API_VERSION, path);
	if (!url) {
		rc = SP_ENOMEM;
		goto out;
	}
	CURL *c = d->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	if (timeout_s > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	if (body) {
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

	CURLcode cc = curl_easy_perform(c);
	if (s.rc) {
		set_error(d, "%s %s: the answer is larger than %zu bytes", method, path, max);
		rc = s.rc;
		goto out;
	}
	if (cc != CURLE_OK) {
		set_error(d, "cannot talk to the Docker daemon at %s: %s", d->socket,
			  curl_err[0] ? curl_err : curl_easy_strerror(cc));
		rc = SP_EIO;
		goto out;
	}
	long st = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	*status = st;
	if (resp) {
		sp_buf_reset(resp);
		rc = sp_buf_append(resp, tmp.data ? tmp.data : "", tmp.len);
	}
out:
	/* Credentials may sit in the header list: wipe it before freeing. */
	for (struct curl_slist *e = hl; e; e = e->next)
		if (e->data)
			memset(e->data, 0, strlen(e->data));
	curl_slist_free_all(hl);
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, NULL);
	free(url);
	sp_buf_free(&tmp);
	return rc;
}

/* Turns a non-2xx answer into an SP_E* code and keeps the daemon's message. */
static int status_error(struct sp_docker *d, const char *what, long st, const struct sp_buf *resp)
{
	json_t *j = json_loadb(resp->data ? resp->data : "", resp->len, 0, NULL);
	const char *m = j ? json_string_value(json_object_get(j, "message")) : NULL;
	if (m) {
		set_error(d, "%s: %s", what, m);
	} else {
		size_t n = resp->len > 200 ? 200 : resp->len;
		set_error(d, "%s: HTTP %ld %.*s", what, st, (int)n, resp->data ? resp->data : "");
	}
	json_decref(j);
	/* a trailing newline from the daemon is not part of a one-line message */
	while (d->err.len && (d->err.data[d->err.len - 1] == '\n' || d->err.data[d->err.len - 1] == '\r'))
		d->err.data[--d->err.len] = '\0';
	if (st == 404)
		return SP_ENOTFOUND;
	if (st == 409)
		return SP_EEXISTS;
	if (st == 400)
		return SP_EINVAL;
	return SP_ERROR;
}

/* A call that expects JSON (or nothing) back. out may be NULL. */
static int call_json(struct sp_docker *d, const char *method, const char *path, const json_t *body,
		     const char *what, long *status_out, json_t **out)
{
	struct sp_buf resp = SP_BUF_INIT(SP_DOCKER_MAX_RESPONSE);
	char *b = NULL;
	long st = 0;
	int rc;
	if (body) {
		b = json_dumps(body, JSON_COMPACT);
		if (!b)
			return SP_ENOMEM;
	}
	rc = sp_docker_request(d, method, path, b, NULL, SP_DOCKER_TIMEOUT_S, SP_DOCKER_MAX_RESPONSE,
			       &st, &resp);
	if (rc)
		goto out;
	if (status_out)
		*status_out = st;
	if (st < 200 || st >= 400) {
		rc = status_error(d, what, st, &resp);
		goto out;
	}
	if (out) {
		json_error_t je;
		json_t *j = json_loadb(resp.data ? resp.data : "null", resp.len ? resp.len : 4,
				       JSON_DECODE_ANY, &je);
		if (!j) {
			set_error(d, "%s: the daemon's answer is not JSON: %s", what, je.text);
			rc = SP_ERROR;
			goto out;
		}
		*out = j;
	}
	sp_buf_reset(&d->err);
out:
	free(b);
	sp_buf_free(&resp);
	return rc;
}

static char *escape(struct sp_docker *d, const char *s)
{
	char *e = curl_easy_escape(d->curl, s, 0);
	char *r = e ? sp_strdup(e) : NULL;
	curl_free(e);
	return r;
}

int sp_docker_check(struct sp_docker *d, char **version, struct sp_buf *msg)
{
	struct sp_buf resp = SP_BUF_INIT(SP_DOCKER_MAX_RESPONSE);
	json_t *v = NULL;
	long st = 0;
	int rc;
	struct stat sb;

	if (stat(d->socket, &sb) != 0) {
		sp_buf_reset(msg);
		sp_buf_printf(msg,
			      "Docker is not running: there is no socket at %s. Install Docker "
			      "(Debian: `apt-get install docker.io`, or `make deps`) and start it "
			      "(`systemctl start docker`, or `dockerd &` as root).",
			      d->socket);
		return SP_EIO;
	}
	if (access(d->socket, R_OK | W_OK) != 0) {
		sp_buf_reset(msg);
		sp_buf_printf(msg,
			      "Docker's socket %s is not accessible (%s). Run sprout as root or "
			      "as a member of the `docker` group (`usermod -aG docker $USER`).",
			      d->socket, strerror(errno));
		return SP_EIO;
	}
	rc = sp_docker_request(d, "GET", "/_ping", NULL, NULL, 10, 4096, &st, &resp);
	if (rc || st != 200) {
		sp_buf_reset(msg);
		sp_buf_printf(msg,
			      "Docker does not answer on %s (%s). Start the daemon "
			      "(`systemctl start docker`, or `dockerd &` as root) and try again.",
			      d->socket, rc ? sp_docker_last_error(d) : "ping failed");
		rc = rc ? rc : SP_EIO;
		goto out;
	}
	rc = call_json(d, "GET", "/version", NULL, "version", NULL, &v);
	if (rc) {
		sp_buf_reset(msg);
		sp_buf_printf(msg, "Docker answered the ping but not /version: %s",
			      sp_docker_last_error(d));
		goto out;
	}
	const char *api = json_string_value(json_object_get(v, "ApiVersion"));
	unsigned long maj = 0, min = 0;
	char *end = NULL;
	if (api) {
		maj = strtoul(api, &end, 10);
		if (end && *end == '.')
			min = strtoul(end + 1, NULL, 10);
	}
	if (!api || maj < SP_DOCKER_MIN_API_MAJOR ||
	    (maj == SP_DOCKER_MIN_API_MAJOR && min < SP_DOCKER_MIN_API_MINOR)) {
		sp_buf_reset(msg);
		sp_buf_printf(msg,
			      "Docker's API version %s is too old: sprout needs %s (Docker 20.10 "
			      "or newer). Upgrade Docker (Debian 12: `apt-get install docker.io`).",
			      api ? api : "(unknown)", SP_DOCKER_API_VERSION);
		rc = SP_ERROR;
		goto out;
	}
	if (version) {
		const char *ver = json_string_value(json_object_get(v, "Version"));
		char *s = sp_strdup(ver ? ver : api);
		if (!s) {
			rc = SP_ENOMEM;
			goto out;
		}
		*version = s;
	}
out:
	json_decref(v);
	sp_buf_free(&resp);
	return rc;
}

int sp_docker_container_create(struct sp_docker *d, const char *name, const json_t *body, char **id)
{
	char *en = escape(d, name);
	char *path = en ? sp_aprintf("/containers/create?name=%s", en) : NULL;
	json_t *r = NULL;
	int rc = SP_ENOMEM;
	if (!path)
		goto out;
	rc = call_json(d, "POST", path, body, "create container", NULL, &r);
	if (rc)
		goto out;
	const char *cid = json_string_value(json_object_get(r, "Id"));
	if (!cid) {
		set_error(d, "create container: no Id in the answer");
		rc = SP_ERROR;
		goto out;
	}
	char *s = sp_strdup(cid);
	if (!s) {
		rc = SP_ENOMEM;
		goto out;
	}
	*id = s;
out:
	json_decref(r);
	free(path);
	free(en);
	return rc;
}

static int simple_post(struct sp_docker *d, const char *fmt_path, const char *id, const char *query,
		       const char *what)
{
	char *eid = escape(d, id);
	char *path = eid ? sp_aprintf(fmt_path, eid, query ? query : "") : NULL;
	int rc = SP_ENOMEM;
	long st = 0;
	if (path)
		rc = call_json(d, "POST", path, NULL, what, &st, NULL);
	free(path);
	free(eid);
	return rc;
}

int sp_docker_container_start(struct sp_docker *d, const char *id)
{
	return simple_post(d, "/containers/%s/start%s", id, NULL, "start container");
}

int sp_docker_container_stop(struct sp_docker *d, const char *id, int timeout_s)
{
	char q[32] = "";
	if (timeout_s >= 0)
		snprintf(q, sizeof(q), "?t=%d", timeout_s);
	return simple_post(d, "/containers/%s/stop%s", id, q, "stop container");
}

int sp_docker_container_kill(struct sp_docker *d, const char *id, const char *signal)
{
	char q[64] = "";
	if (signal)
		snprintf(q, sizeof(q), "?signal=%s", signal);
	return simple_post(d, "/containers/%s/kill%s", id, q, "kill container");
}

/* DELETE /<kind>/<name><query>; an object already gone is not an error. */
static int delete_object(struct sp_docker *d, const char *kind, const char *name,
			 const char *query, const char *what)
{
	char *e = escape(d, name);
	char *path = e ? sp_aprintf("/%s/%s%s", kind, e, query) : NULL;
	int rc = SP_ENOMEM;
	if (path)
		rc = call_json(d, "DELETE", path, NULL, what, NULL, NULL);
	if (rc == SP_ENOTFOUND)
		rc = 0;
	free(path);
	free(e);
	return rc;
}

int sp_docker_container_remove(struct sp_docker *d, const char *id, bool force, bool volumes)
{
	char q[32];
	snprintf(q, sizeof(q), "?force=%d&v=%d", force, volumes);
	return delete_object(d, "containers", id, q, "remove container");
}

int sp_docker_container_inspect(struct sp_docker *d, const char *id, json_t **out)
{
	char *eid = escape(d, id);
	char *path = eid ? sp_aprintf("/containers/%s/json", eid) : NULL;
	int rc = SP_ENOMEM;
	if (path)
		rc = call_json(d, "GET", path, NULL, "inspect container", NULL, out);
	free(path);
	free(eid);
	return rc;
}

/* "?filters=<escaped {"label":[...]}>" */
static char *label_filter(struct sp_docker *d, const char *const *labels, size_t n)
{
	json_t *f = json_object();
	json_t *arr = json_array();
	char *dump = NULL, *esc = NULL;
	if (!f || !arr)
		goto out;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(labels[i]));
	json_object_set(f, "label", arr);
	dump = json_dumps(f, JSON_COMPACT);
	esc = dump ? escape(d, dump) : NULL;
out:
	json_decref(arr);
	json_decref(f);
	free(dump);
	return esc;
}

static int list_with_labels(struct sp_docker *d, const char *base, const char *const *labels,
			    size_t n, const char *what, json_t **out)
{
	char *f = label_filter(d, labels, n);
	char *path = f ? sp_aprintf("%s%sfilters=%s", base, strchr(base, '?') ? "&" : "?", f) : NULL;
	int rc = SP_ENOMEM;
	if (path)
		rc = call_json(d, "GET", path, NULL, what, NULL, out);
	free(path);
	free(f);
	return rc;
}

int sp_docker_container_list(struct sp_docker *d, const char *const *labels, size_t n, json_t **out)
{
	return list_with_labels(d, "/containers/json?all=1", labels, n, "list containers", out);
}

int sp_docker_container_wait(struct sp_docker *d, const char *id, const char *condition,
			     long timeout_s, long *exit_code)
{
	char *eid = escape(d, id);
	char *path = eid ? sp_aprintf("/containers/%s/wait?condition=%s", eid,
				      condition ? condition : "not-running") : NULL;
	struct sp_buf resp = SP_BUF_INIT(SP_DOCKER_MAX_RESPONSE);
	json_t *j = NULL;
	long st = 0;
	int rc = SP_ENOMEM;
	if (!path)
		goto out;
	rc = sp_docker_request(d, "POST", path, NULL, NULL, timeout_s, SP_DOCKER_MAX_RESPONSE, &st, &resp);
	if (rc)
		goto out;
	if (st != 200) {
		rc = status_error(d, "wait for container", st, &resp);
		goto out;
	}
	j = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
	json_t *code = json_object_get(j, "StatusCode");
	if (!json_is_integer(code)) {
		set_error(d, "wait for container: no StatusCode in the answer");
		rc = SP_ERROR;
		goto out;
	}
	*exit_code = (long)json_integer_value(code);
out:
	json_decref(j);
	sp_buf_free(&resp);
	free(path);
	free(eid);
	return rc;
}

int sp_docker_demux(const char *p, size_t n, struct sp_buf *out)
{
	size_t i = 0;
	while (i + 8 <= n) {
		const unsigned char *h = (const unsigned char *)p + i;
		size_t len = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
		i += 8;
		if (len > n - i)
			len = n - i;
		int rc = sp_buf_append(out, p + i, len);
		if (rc)
			return rc;
		i += len;
	}
	return 0;
}

int sp_docker_container_logs(struct sp_docker *d, const char *id, bool tty, const char *since,
			     const char *tail, bool timestamps, struct sp_buf *out)
{
	char *eid = escape(d, id);
	char *path = eid ? sp_aprintf("/containers/%s/logs?stdout=1&stderr=1&follow=0&tail=%s"
				      "&timestamps=%d%s%s", eid, tail ? tail : "all", timestamps,
				      since ? "&since=" : "", since ? since : "") : NULL;
	struct sp_buf resp = SP_BUF_INIT(SP_DOCKER_MAX_LOGS);
	long st = 0;
	int rc = SP_ENOMEM;
	if (!path)
		goto out;
	rc = sp_docker_request(d, "GET", path, NULL, NULL, SP_DOCKER_TIMEOUT_S, SP_DOCKER_MAX_LOGS,
			       &st, &resp);
	if (rc)
		goto out;
	if (st != 200) {
		rc = status_error(d, "container logs", st, &resp);
		goto out;
	}
	if (tty)
		rc = sp_buf_append(out, resp.data ? resp.data : "", resp.len);
	else
		rc = sp_docker_demux(resp.data, resp.len, out);
out:
	sp_buf_free(&resp);
	free(path);
	free(eid);
	return rc;
}

int sp_docker_network_create(struct sp_docker *d, const char *name, const json_t *labels,
			     const char *subnet, const char *gateway, char **id)
{
	json_t *body = json_pack("{s:s, s:b, s:s, s:b}", "Name", name, "CheckDuplicate", 1,
				 "Driver", "bridge", "Attachable", 0);
	json_t *r = NULL;
	int rc = SP_ENOMEM;
	if (!body)
		goto out;
	if (labels)
		json_object_set(body, "Labels", (json_t *)labels);
	if (subnet) {
		json_t *c = json_pack("{s:s}", "Subnet", subnet);
		if (c && gateway)
			json_object_set_new(c, "Gateway", json_string(gateway));
		if (!c || json_object_set_new(body, "IPAM", json_pack("{s:s, s:[o]}", "Driver", "default",
								      "Config", c)))
			goto out;
	}
	rc = call_json(d, "POST", "/networks/create", body, "create network", NULL, &r);
	/* "Pool overlaps with other one on this address space" (403) */
	if (rc && subnet && strstr(sp_docker_last_error(d), "overlaps"))
		rc = SP_EEXISTS;
	if (rc)
		goto out;
	const char *nid = json_string_value(json_object_get(r, "Id"));
	char *s = sp_strdup(nid ? nid : name);
	if (!s) {
		rc = SP_ENOMEM;
		goto out;
	}
	*id = s;
out:
	json_decref(r);
	json_decref(body);
	return rc;
}

int sp_docker_network_remove(struct sp_docker *d, const char *id_or_name)
{
	return delete_object(d, "networks", id_or_name, "", "remove network");
}

int sp_docker_network_list(struct sp_docker *d, const char *const *labels, size_t n, json_t **out)
{
	return list_with_labels(d, "/networks", labels, n, "list networks", out);
}

int sp_docker_volume_create(struct sp_docker *d, const char *name, const json_t *labels)
{
	json_t *body = json_pack("{s:s, s:s}", "Name", name, "Driver", "local");
	int rc = SP_ENOMEM;
	if (body) {
		if (labels)
			json_object_set(body, "Labels", (json_t *)labels);
		rc = call_json(d, "POST", "/volumes/create", body, "create volume", NULL, NULL);
	}
	json_decref(body);
	return rc;
}

int sp_docker_volume_remove(struct sp_docker *d, const char *name)
{
	return delete_object(d, "volumes", name, "", "remove volume");
}

int sp_docker_volume_list(struct sp_docker *d, const char *const *labels, size_t n, json_t **out)
{
	json_t *r = NULL;
	int rc = list_with_labels(d, "/volumes", labels, n, "list volumes", &r);
	if (rc)
		return rc;
	json_t *v = json_object_get(r, "Volumes");
	*out = json_is_array(v) ? json_incref(v) : json_array();
	json_decref(r);
	return *out ? 0 : SP_ENOMEM;
}

int sp_docker_image_inspect(struct sp_docker *d, const char *ref, json_t **out)
{
	char *e = escape(d, ref);
	char *path = e ? sp_aprintf("/images/%s/json", e) : NULL;
	int rc = SP_ENOMEM;
	if (path)
		rc = call_json(d, "GET", path, NULL, "inspect image", NULL, out);
	free(path);
	free(e);
	return rc;
}

int sp_docker_split_ref(const char *ref, char **name, char **tag, char **registry)
{
	const char *at = strchr(ref, '@');
	const char *slash = strchr(ref, '/');
	const char *last_slash = strrchr(ref, '/');
	const char *colon = strrchr(last_slash ? last_slash : ref, ':');
	char *n = NULL, *t = NULL, *r = NULL;
	if (!*ref)
		return SP_EINVAL;
	if (at) {
		n = sp_strndup(ref, (size_t)(at - ref));
		t = sp_strdup(at + 1);
	} else if (colon) {
		n = sp_strndup(ref, (size_t)(colon - ref));
		t = sp_strdup(colon + 1);
	} else {
		n = sp_strdup(ref);
		t = sp_strdup("latest");
	}
	/* The first component names a registry when it has a '.' or ':' or is localhost. */
	if (slash) {
		size_t fl = (size_t)(slash - ref);
		if (memchr(ref, '.', fl) || memchr(ref, ':', fl) ||
		    (fl == 9 && memcmp(ref, "localhost", 9) == 0))
			r = sp_strndup(ref, fl);
	}
	if (!r)
		r = sp_strdup("docker.io");
	if (!n || !t || !r || !*n || !*t) {
		int rc = (!n || !t || !r) ? SP_ENOMEM : SP_EINVAL;
		free(n);
		free(t);
		free(r);
		return rc;
	}
	*name = n;
	*tag = t;
	*registry = r;
	return 0;
}

int sp_docker_auth_header_value(const struct sp_docker_auth *auth, struct sp_buf *out)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	json_t *j;
	if (auth->identitytoken)
		j = json_pack("{s:s, s:s}", "identitytoken", auth->identitytoken, "serveraddress",
			      auth->serveraddress ? auth->serveraddress : "");
	else
		j = json_pack("{s:s, s:s, s:s, s:s}", "username", auth->username ? auth->username : "",
			      "password", auth->password ? auth->password : "", "email", "",
			      "serveraddress", auth->serveraddress ? auth->serveraddress : "");
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc = s ? 0 : SP_ENOMEM;
	size_t n = s ? strlen(s) : 0;
	for (size_t i = 0; !rc && i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		char q[4] = { tbl[(v >> 18) & 63], tbl[(v >> 12) & 63],
			      i + 1 < n ? tbl[(v >> 6) & 63] : '=', i + 2 < n ? tbl[v & 63] : '=' };
		rc = sp_buf_append(out, q, 4);
	}
	if (s) {
		memset(s, 0, n);
		free(s);
	}
	json_decref(j);
	return rc;
}

int sp_docker_image_pull(struct sp_docker *d, const char *ref, const struct sp_docker_auth *auth)
{
	char *name = NULL, *tag = NULL, *reg = NULL, *en = NULL, *et = NULL, *path = NULL;
	struct sp_buf hdr = SP_BUF_INIT(64 * 1024);
	struct sp_buf resp = SP_BUF_INIT(SP_DOCKER_MAX_PULL_STREAM);
	const char *headers[2] = { NULL, NULL };
	long st = 0;
	int rc = sp_docker_split_ref(ref, &name, &tag, &reg);
	if (rc)
		goto out;
	en = escape(d, name);
	et = escape(d, tag);
	path = (en && et) ? sp_aprintf("/images/create?fromImage=%s&tag=%s", en, et) : NULL;
	if (!path) {
		rc = SP_ENOMEM;
		goto out;
	}
	if (auth) {
		rc = sp_buf_puts(&hdr, "X-Registry-Auth: ");
		if (!rc)
			rc = sp_docker_auth_header_value(auth, &hdr);
		if (rc)
			goto out;
		headers[0] = hdr.data;
	}
	rc = sp_docker_request(d, "POST", path, NULL, headers, SP_DOCKER_PULL_TIMEOUT_S,
			       SP_DOCKER_MAX_PULL_STREAM, &st, &resp);
	if (rc)
		goto out;
	if (st != 200) {
		rc = status_error(d, "pull image", st, &resp);
		goto out;
	}
	/* Errors after the first flush arrive inside the stream, one JSON object a line. */
	const char *p = resp.data ? resp.data : "";
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		json_t *j = json_loadb(p, len, 0, NULL);
		const char *m = j ? json_string_value(json_object_get(j, "error")) : NULL;
		if (m) {
			set_error(d, "pull image %s: %s", ref, m);
			json_decref(j);
			rc = SP_ERROR;
			goto out;
		}
		json_decref(j);
		p += len + (e ? 1 : 0);
	}
	sp_buf_reset(&d->err);
out:
	if (hdr.data)
		memset(hdr.data, 0, hdr.len);
	sp_buf_free(&hdr);
	sp_buf_free(&resp);
	free(path);
	free(en);
	free(et);
	free(name);
	free(tag);
	free(reg);
	return rc;
}
