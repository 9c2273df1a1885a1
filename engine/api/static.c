/* static.c — the console's files (web/) served at / by the engine, and where they are.
 *
 * Every path outside /api/ is a file of the web folder: "/" is index.html, a path ending
 * in "/" its index.html. Paths are joined with sp_path_join (no "..", no absolute
 * paths), names starting with "." are never served, and the file found is resolved with
 * realpath(3) and must still lie inside the (resolved) web folder, so a symlink cannot
 * lead out of it. Only regular files are served. Every answer carries a strict
 * Content-Security-Policy (scripts, styles and connections from this origin only, no
 * inline code, no framing), X-Content-Type-Options: nosniff and X-Frame-Options: DENY.
 * Files are revalidated on every use (Cache-Control: no-cache with an ETag from inode,
 * size and modification time), so an upgrade of the engine never leaves an old page. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/api/api_internal.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

#define MAX_STATIC_FILE ((off_t)16 << 20) /* larger files in web/ are refused */

static const char CSP[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
	"form-action 'self'; frame-ancestors 'none'";

static const struct {
	const char *ext, *type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".woff2", "font/woff2" },
	{ ".webmanifest", "application/manifest+json" },
};

static const char *content_type_of(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++)
			if (strcmp(dot, content_types[i].ext) == 0)
				return content_types[i].type;
	return "application/octet-stream";
}

static void security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

static enum MHD_Result send_response(struct request *rq, unsigned status, struct MHD_Response *r)
{
	if (!r)
		return MHD_NO;
	security_headers(r);
	MHD_add_response_header(r, "X-Request-Id", rq->id);
	enum MHD_Result ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	rq->status = status;
	rq->responded = true;
	return ret;
}

static enum MHD_Result send_text(struct request *rq, unsigned status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								  MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return send_response(rq, status, r);
}

/* Whether any segment of rel starts with '.' (".git", ".htpasswd", "..", editor files). */
static bool has_hidden_segment(const char *rel)
{
	for (const char *p = rel; *p; p++)
		if (*p == '.' && (p == rel || p[-1] == '/'))
			return true;
	return false;
}

enum MHD_Result api_static_serve(struct sp_api *api, struct request *rq)
{
	static const char not_found[] = "Not found.\n";
	struct sp_buf rel = SP_BUF_INIT(SP_PATH_MAX), path = SP_BUF_INIT(SP_PATH_MAX);
	char *real = NULL;
	int fd = -1;
	struct stat sb;
	enum MHD_Result ret;
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0)
		return send_text(rq, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed.\n");
	if (!api->web_dir)
		return send_text(rq, MHD_HTTP_NOT_FOUND,
				 "The console's files were not found, so this engine serves only"
				 " its API (/api/v1). Start it with --web-dir DIR (docs/console.md).\n");
	const char *url = rq->url[0] == '/' ? rq->url + 1 : rq->url;
	if (sp_buf_puts(&rel, url) ||
	    ((rel.len == 0 || rel.data[rel.len - 1] == '/') && sp_buf_puts(&rel, "index.html")) ||
	    has_hidden_segment(sp_buf_cstr(&rel)) ||
	    sp_path_join(api->web_dir, sp_buf_cstr(&rel), &path)) {
		ret = send_text(rq, MHD_HTTP_NOT_FOUND, not_found);
		goto out;
	}
	/* The file as the kernel resolves it, symlinks and all, must be inside web_dir. */
	real = realpath(sp_buf_cstr(&path), NULL);
	size_t root_len = strlen(api->web_dir);
	if (!real || strncmp(real, api->web_dir, root_len) != 0 || real[root_len] != '/' ||
	    (fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &sb) != 0 ||
	    !S_ISREG(sb.st_mode) || sb.st_size > MAX_STATIC_FILE) {
		ret = send_text(rq, MHD_HTTP_NOT_FOUND, not_found);
		goto out;
	}
	char etag[96];
	snprintf(etag, sizeof(etag), "\"%llx-%llx-%llx.%lx\"", (unsigned long long)sb.st_ino,
		 (unsigned long long)sb.st_size, (unsigned long long)sb.st_mtim.tv_sec,
		 (unsigned long)sb.st_mtim.tv_nsec);
	const char *inm = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_IF_NONE_MATCH);
	struct MHD_Response *r;
	unsigned status = MHD_HTTP_OK;
	if (inm && strcmp(inm, etag) == 0) {
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_MODIFIED;
	} else {
		r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
		if (r)
			fd = -1; /* the response closes it */
	}
	if (!r) {
		ret = MHD_NO;
		goto out;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type_of(real));
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	ret = send_response(rq, status, r);
out:
	if (fd >= 0)
		close(fd);
	free(real);
	sp_buf_free(&rel);
	sp_buf_free(&path);
	return ret;
}

/* --- where the files are ---------------------------------------------------------------- */

static bool holds_console(const char *dir)
{
	struct sp_buf p = SP_BUF_INIT(SP_PATH_MAX);
	struct stat sb;
	bool ok = sp_buf_printf(&p, "%s/index.html", dir) == 0 && stat(sp_buf_cstr(&p), &sb) == 0 &&
		  S_ISREG(sb.st_mode);
	sp_buf_free(&p);
	return ok;
}

static int take(const char *dir, struct sp_buf *out)
{
	char *real = realpath(dir, NULL);
	if (!real)
		return SP_ENOTFOUND;
	sp_buf_reset(out);
	int rc = sp_buf_puts(out, real);
	free(real);
	return rc;
}

int sp_web_dir_resolve(const char *opt, const char *exe_path, struct sp_buf *out)
{
	struct sp_buf c = SP_BUF_INIT(SP_PATH_MAX);
	int rc = SP_ENOTFOUND;
	if (opt)
		return holds_console(opt) ? take(opt, out) : SP_ENOTFOUND;
	if (exe_path) {
		const char *slash = strrchr(exe_path, '/');
		int dir_len = slash ? (int)(slash - exe_path) : 1;
		const char *dir = slash ? exe_path : ".";
		/* installed: <prefix>/bin/sprout -> <prefix>/share/sprout/web */
		if (sp_buf_printf(&c, "%.*s/../share/sprout/web", dir_len, dir) == 0 &&
		    holds_console(sp_buf_cstr(&c))) {
			rc = take(sp_buf_cstr(&c), out);
			goto out;
		}
		/* the source tree: build/sprout -> web/ */
		sp_buf_reset(&c);
		if (sp_buf_printf(&c, "%.*s/../web", dir_len, dir) == 0 &&
		    holds_console(sp_buf_cstr(&c))) {
			rc = take(sp_buf_cstr(&c), out);
			goto out;
		}
	}
#ifdef SPROUT_PREFIX
	if (holds_console(SPROUT_PREFIX "/share/sprout/web"))
		rc = take(SPROUT_PREFIX "/share/sprout/web", out);
#endif
out:
	sp_buf_free(&c);
	return rc;
}
