/* logs.c — GET /api/v1/environments/{env}/logs: the container logs of an environment's
 * instances (RequestEnvironmentInfo/RetrieveEnvironmentInfo, `eb logs`), read from each
 * instance's root under the data dir, <data>/instances/<id>/var/log/containers/:
 * the `<container>-<12 hex>-stdouterr.log` files the local driver writes and, with
 * all=1, the files of the containers' awseb-logs folders (`<container>/...`).
 *
 * Bounded: a tail is the last `lines` lines (default 100, at most MAX_LOG_TAIL_LINES) of
 * at most MAX_LOG_TAIL_BYTES of each file; all=1 gives whole files up to
 * MAX_LOG_FILE_BYTES each (longer ones keep their end, "truncated": true); the answer
 * stops growing at MAX_LOGS_RESPONSE bytes of text. Files are opened without following
 * links and must be regular files. Instance ids come from the store (the driver's
 * observation), never from a path in the request. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/api/api_internal.h"
#include "engine/store/store_env.h"
#include "engine/base/banned.h"

#define MAX_LOG_TAIL_LINES 10000
#define DEFAULT_LOG_TAIL_LINES 100
#define MAX_LOG_TAIL_BYTES ((size_t)256 << 10)
#define MAX_LOG_FILE_BYTES ((size_t)4 << 20)
#define MAX_LOGS_RESPONSE ((size_t)12 << 20) /* under the CLI's MAX_CLIENT_RESPONSE */
#define MAX_LOG_FILES 512                    /* files looked at per request */
#define MAX_LOG_NAME 255

struct logs_req {
	const char *container; /* NULL: every container */
	const char *instance;  /* NULL: every instance */
	bool all;
	size_t lines;
	size_t total, files;
	json_t *out;
};

/* "i-" and 17 lower-case hex digits (the local driver's ids; the aws driver's are
 * EC2's "i-" + 8 or 17 hex). */
static bool instance_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 10 || n > 19 || s[0] != 'i' || s[1] != '-')
		return false;
	for (size_t i = 2; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* "web-0123456789ab-stdouterr.log" -> "web" (NULL when the name is not of that form). */
static char *stdouterr_container(const char *name)
{
	static const char suffix[] = "-stdouterr.log";
	size_t n = strlen(name), sl = sizeof(suffix) - 1;
	if (n <= sl + 13 || strcmp(name + n - sl, suffix) != 0)
		return NULL;
	size_t hex_at = n - sl - 12;
	if (name[hex_at - 1] != '-')
		return NULL;
	for (size_t i = hex_at; i < hex_at + 12; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return NULL;
	return sp_strndup(name, hex_at - 1);
}

/* Reads the end of a file: at most max bytes; with lines > 0 only the last lines. */
static int read_tail(int dirfd, const char *name, size_t max, size_t lines, struct sp_buf *out,
		     bool *truncated, uint64_t *size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	int rc = SP_EIO;
	if (fd < 0)
		return SP_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	*size = (uint64_t)st.st_size;
	off_t from = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
	*truncated = from > 0;
	if (lseek(fd, from, SEEK_SET) < 0)
		goto out;
	char chunk[16384];
	ssize_t r;
	while (out->len < max && (r = read(fd, chunk, sizeof(chunk))) > 0) {
		size_t take = (size_t)r;
		if (out->len + take > max)
			take = max - out->len;
		if ((rc = sp_buf_append(out, chunk, take)))
			goto out;
		rc = SP_EIO;
	}
	/* a cut in the middle of a line starts at the next one */
	size_t start = 0;
	if (*truncated) {
		const char *nl = memchr(out->data, '\n', out->len);
		start = nl ? (size_t)(nl - out->data) + 1 : 0;
	}
	if (lines) {
		size_t seen = 0, i = out->len;
		if (i > start && out->data[i - 1] == '\n')
			i--;
		while (i > start) {
			if (out->data[i - 1] == '\n' && ++seen == lines)
				break;
			i--;
		}
		if (i > start) {
			start = i;
			*truncated = true;
		}
	}
	if (start) {
		memmove(out->data, out->data + start, out->len - start);
		out->len -= start;
		out->data[out->len] = '\0';
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int add_file(struct logs_req *lr, const char *instance, const char *container,
		    int dirfd, const char *name, const char *shown)
{
	struct sp_buf text = SP_BUF_INIT(MAX_LOG_FILE_BYTES + 1);
	bool truncated = false;
	uint64_t size = 0;
	if (lr->files >= MAX_LOG_FILES || lr->total >= MAX_LOGS_RESPONSE) {
		sp_buf_free(&text);
		return 0;
	}
	lr->files++;
	size_t max = lr->all ? MAX_LOG_FILE_BYTES : MAX_LOG_TAIL_BYTES;
	if (max > MAX_LOGS_RESPONSE - lr->total)
		max = MAX_LOGS_RESPONSE - lr->total;
	int rc = read_tail(dirfd, name, max, lr->all ? 0 : lr->lines, &text, &truncated, &size);
	if (rc == 0) {
		/* logs are bytes; JSON wants UTF-8: when they are not, keep the ASCII */
		if (!sp_utf8_valid(text.data ? text.data : "", text.len))
			for (size_t i = 0; i < text.len; i++)
				if ((unsigned char)text.data[i] >= 0x80)
					text.data[i] = '?';
		json_t *s = json_stringn(text.data ? text.data : "", text.len);
		lr->total += text.len;
		json_array_append_new(lr->out, json_pack("{s:s,s:s,s:s,s:I,s:b,s:o}", "instance",
							 instance, "container", container, "file",
							 shown, "size", (json_int_t)size,
							 "truncated", truncated, "text", s));
	}
	sp_buf_free(&text);
	return rc == SP_ENOMEM ? rc : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of a folder's entries (no dot files), at most MAX_LOG_FILES. */
static int list_dir(int dirfd, char ***out, size_t *n)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **v = NULL;
	size_t k = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return SP_EIO;
	}
	rewinddir(d);
	while ((de = readdir(d)) && k < MAX_LOG_FILES) {
		if (de->d_name[0] == '.' || strlen(de->d_name) > MAX_LOG_NAME)
			continue;
		char **nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv || !(nv[k] = sp_strdup(de->d_name))) {
			free(nv ? nv : v);
			closedir(d);
			return SP_ENOMEM;
		}
		v = nv;
		k++;
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof(*v), cmp_str);
	*out = v;
	*n = k;
	return 0;
}

static int instance_logs(struct sp_api *api, struct logs_req *lr, const char *id)
{
	char *path = sp_aprintf("%s/instances/%s/var/log/containers", api->data_dir, id);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	if (!path)
		return SP_ENOMEM;
	int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (dirfd < 0)
		return 0; /* an instance without logs yet */
	if ((rc = list_dir(dirfd, &names, &n)))
		goto out;
	for (size_t i = 0; i < n && !rc; i++) {
		char *c = stdouterr_container(names[i]);
		if (c && (!lr->container || strcmp(c, lr->container) == 0)) {
			char *shown = sp_aprintf("var/log/containers/%s", names[i]);
			rc = shown ? add_file(lr, id, c, dirfd, names[i], shown) : SP_ENOMEM;
			free(shown);
		} else if (!c && lr->all && (!lr->container || strcmp(names[i], lr->container) == 0)) {
			/* a container's awseb-logs folder: its files, one level */
			int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			char **files = NULL;
			size_t nf = 0;
			if (sub >= 0 && list_dir(sub, &files, &nf) == 0) {
				for (size_t k = 0; k < nf && !rc; k++) {
					char *shown = sp_aprintf("var/log/containers/%s/%s", names[i],
								 files[k]);
					rc = shown ? add_file(lr, id, names[i], sub, files[k], shown)
						   : SP_ENOMEM;
					free(shown);
				}
				sp_strv_free(files, nf);
			}
			if (sub >= 0)
				close(sub);
		}
		free(c);
	}
out:
	sp_strv_free(names, n);
	close(dirfd);
	return rc;
}

enum MHD_Result api_env_logs(struct sp_api *api, struct request *rq)
{
	struct logs_req lr = { .lines = DEFAULT_LOG_TAIL_LINES };
	const char *lines = api_query(rq, "lines"), *all = api_query(rq, "all");
	lr.container = api_query(rq, "container");
	lr.instance = api_query(rq, "instance");
	lr.all = all && (strcmp(all, "1") == 0 || strcmp(all, "true") == 0);
	if (lines) {
		uint64_t v;
		if (sp_parse_u64(lines, &v) || v < 1 || v > MAX_LOG_TAIL_LINES)
			return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
					 "lines must be 1 to %d", MAX_LOG_TAIL_LINES);
		lr.lines = (size_t)v;
	}
	if (lr.instance && !instance_id_ok(lr.instance))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				 "instance must be an instance id (i-0123456789abcdef0)");
	if (lr.container && (!*lr.container || strchr(lr.container, '/') ||
			     strlen(lr.container) > MAX_LOG_NAME || lr.container[0] == '.'))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "API_INVALID_PARAMETER", NULL,
				 "container must be a container name");
	struct sp_store *st = api_db_acquire(api);
	if (!st)
		return api_store_error(rq, NULL, SP_EIO, "store");
	struct sp_env e;
	enum MHD_Result ret;
	int rc = sp_store_env_get(st, rq->params[0], &e);
	api_db_release(api, st);
	if (rc == SP_ENOTFOUND)
		return api_error(rq, MHD_HTTP_NOT_FOUND, "ENV_NOT_FOUND", NULL,
				 "no environment named \"%s\"", rq->params[0]);
	if (rc)
		return api_store_error(rq, NULL, rc, "environment");
	json_t *obs = e.observation ? json_loads(e.observation, 0, NULL) : NULL;
	json_t *inst, *ids = json_array();
	size_t i;
	bool found = !lr.instance;
	lr.out = json_array();
	json_array_foreach(json_object_get(obs, "instances"), i, inst) {
		const char *id = json_string_value(json_object_get(inst, "id"));
		if (!id || !instance_id_ok(id))
			continue;
		json_array_append_new(ids, json_string(id));
		if (lr.instance && strcmp(id, lr.instance) != 0)
			continue;
		found = true;
		if ((rc = instance_logs(api, &lr, id)))
			break;
	}
	if (rc)
		ret = api_store_error(rq, NULL, rc, "logs");
	else if (!found)
		ret = api_error(rq, MHD_HTTP_NOT_FOUND, "ENV_INSTANCE_NOT_FOUND", NULL,
				"environment \"%s\" has no instance \"%s\"", e.name, lr.instance);
	else
		ret = api_json(rq, MHD_HTTP_OK,
			       json_pack("{s:s,s:O,s:b,s:O}", "environment_name", e.name,
					 "instances", ids, "truncated",
					 lr.total >= MAX_LOGS_RESPONSE || lr.files >= MAX_LOG_FILES,
					 "logs", lr.out));
	json_decref(lr.out);
	json_decref(ids);
	json_decref(obs);
	sp_env_free(&e);
	return ret;
}
