/* client_upload.c — a bundle streamed from a file as the request body, with progress;
 * and the progress bar's text. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/client/client_internal.h"
#include "engine/base/banned.h"

struct upload {
	int fd;
	sp_client_progress_fn progress;
	void *arg;
	bool aborted;
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	for (;;) {
		ssize_t n = read(u->fd, buf, size * nitems);
		if (n >= 0)
			return (size_t)n;
		if (errno != EINTR)
			return CURL_READFUNC_ABORT;
	}
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct upload *u = arg;
	(void)dltotal;
	(void)dlnow;
	if (u->progress && !u->progress(u->arg, (uint64_t)ulnow, (uint64_t)ultotal)) {
		u->aborted = true;
		return 1;
	}
	return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sp_buf *b = arg;
	size_t n = size * nmemb;
	return sp_buf_append(b, p, n) == 0 ? n : 0;
}

int sp_client_upload(struct sp_client *c, const char *path, const char *file,
		     const char *request_id, sp_client_progress_fn progress, void *arg,
		     json_t **out, struct sp_client_error *err)
{
	struct client_xfer x = { 0 };
	struct sp_buf resp = SP_BUF_INIT(MAX_CLIENT_RESPONSE);
	struct upload u = { .fd = -1, .progress = progress, .arg = arg };
	char errbuf[CURL_ERROR_SIZE] = "";
	json_t *parsed = NULL;
	struct stat st;
	long status = 0;
	int rc;

	u.fd = open(file, O_RDONLY | O_CLOEXEC);
	if (u.fd < 0 || fstat(u.fd, &st) != 0) {
		client_error_set(err, 0, "CLIENT_BUNDLE_UNREADABLE", "cannot read %s: %s", file,
				 strerror(errno));
		rc = SP_EIO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		client_error_set(err, 0, "CLIENT_BUNDLE_UNREADABLE", "%s is not a regular file", file);
		rc = SP_EINVAL;
		goto out;
	}
	if ((rc = client_prepare(c, c->curl, "POST", path, request_id, &x)))
		goto out;
	rc = SP_ENOMEM;
	struct curl_slist *l = curl_slist_append(x.headers, "Content-Type: application/zip");
	if (!l)
		goto out;
	x.headers = l;
	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x.headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &u);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	/* No overall timeout (a big bundle on a slow link takes what it takes); a stalled
	 * transfer (under 1 byte/s for a minute) fails instead. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	CURLcode cc = curl_easy_perform(h);
	if (u.aborted) {
		client_error_set(err, 0, "CLIENT_ABORTED", "the upload was interrupted");
		rc = SP_EIO;
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = client_transport_error(c, cc, errbuf, err);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		rc = client_http_error(&resp, status, x.request_id, err);
		goto out;
	}
	json_error_t je;
	if (!(parsed = json_loadb(sp_buf_cstr(&resp), resp.len, 0, &je))) {
		client_error_set(err, status, "CLIENT_BAD_RESPONSE",
				 "the engine's answer is not JSON: %s", je.text);
		rc = SP_EIO;
		goto out;
	}
	if (out) {
		*out = parsed;
		parsed = NULL;
	}
	rc = 0;
out:
	if (rc && err && !err->message)
		client_error_set(err, 0, "CLIENT_ERROR", "cannot upload: %s", sp_strerror(rc));
	json_decref(parsed);
	curl_slist_free_all(x.headers);
	if (u.fd >= 0)
		close(u.fd);
	sp_buf_free(&resp);
	return rc;
}

/* --- the progress bar ---------------------------------------------------------------- */

int sp_format_bytes(uint64_t n, struct sp_buf *out)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	if (n < 1024)
		return sp_buf_printf(out, "%llu B", (unsigned long long)n);
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	return sp_buf_printf(out, "%.1f %s", v, unit[u]);
}

static int put_duration(struct sp_buf *out, uint64_t secs)
{
	if (secs >= 3600)
		return sp_buf_printf(out, "%llu:%02llu:%02llu", (unsigned long long)(secs / 3600),
				     (unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60));
	return sp_buf_printf(out, "%llu:%02llu", (unsigned long long)(secs / 60),
			     (unsigned long long)(secs % 60));
}

bool sp_progress_render(struct sp_progress *p, uint64_t done, uint64_t total, int64_t now_ms,
			int width, struct sp_buf *out)
{
	bool finished = total > 0 && done >= total;
	if (!p->start_ms)
		p->start_ms = now_ms ? now_ms : 1;
	if (p->drawn && !finished && now_ms - p->last_ms < SP_PROGRESS_MIN_INTERVAL_MS)
		return false;
	p->last_ms = now_ms;
	p->drawn = true;
	sp_buf_reset(out);
	struct sp_buf tail = SP_BUF_INIT(256);
	int64_t elapsed = now_ms - p->start_ms;
	uint64_t rate = elapsed > 0 ? (uint64_t)((double)done * 1000.0 / (double)elapsed) : 0;
	int rc = sp_format_bytes(done, &tail);
	if (!rc && total) {
		rc = sp_buf_puts(&tail, " / ");
		if (!rc)
			rc = sp_format_bytes(total, &tail);
	}
	if (!rc)
		rc = sp_buf_puts(&tail, "  ");
	if (!rc && rate) {
		rc = sp_format_bytes(rate, &tail);
		if (!rc)
			rc = sp_buf_puts(&tail, "/s");
	} else if (!rc) {
		rc = sp_buf_puts(&tail, "-- B/s");
	}
	if (!rc)
		rc = sp_buf_puts(&tail, finished ? "  done" : "  ETA ");
	if (!rc && !finished) {
		if (rate && total >= done)
			rc = put_duration(&tail, (total - done + rate - 1) / rate);
		else
			rc = sp_buf_puts(&tail, "--:--");
	}
	unsigned pct = total ? (unsigned)(done >= total ? 100 : done * 100 / total) : 0;
	/* a fixed width for the numbers (the longest: "1023.9 MiB / 1023.9 MiB  1023.9
	 * MiB/s  ETA 99:59:59"), so the bar does not jump as they change */
	int bar = width - 60;
	if (bar > 40)
		bar = 40;
	if (!rc)
		rc = sp_buf_printf(out, "%3u%% ", pct);
	if (!rc && bar >= 10) {
		int fill = total ? (int)((uint64_t)bar * (done > total ? total : done) / total) : 0;
		rc = sp_buf_putc(out, '[');
		for (int i = 0; i < bar && !rc; i++)
			rc = sp_buf_putc(out, i < fill ? '=' : (i == fill ? '>' : ' '));
		if (!rc)
			rc = sp_buf_puts(out, "] ");
	}
	if (!rc)
		rc = sp_buf_puts(out, sp_buf_cstr(&tail));
	sp_buf_free(&tail);
	if (rc) {
		sp_buf_reset(out);
		return false;
	}
	return true;
}
