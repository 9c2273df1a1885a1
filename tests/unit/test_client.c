/* test_client.c — client.h without a network: the SSE parser, configuration and its
 * precedence, URLs, the progress bar, event and error rendering. (The client against a
 * real engine: tests/integration/test_cli.sh.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/buf.h"
#include "engine/base/path.h"
#include "engine/client/client.h"
#include "engine/base/banned.h"

/* ---- SSE --------------------------------------------------------------------------- */

struct seen {
	struct sp_buf log;
	int stop_after;
	int count;
};

static int record(void *arg, const struct sp_sse_event *ev)
{
	struct seen *s = arg;
	sp_buf_printf(&s->log, "[%s|%s|%s]", ev->type, ev->id, ev->data);
	s->count++;
	return s->stop_after && s->count >= s->stop_after ? 1 : 0;
}

static void feed_all(const char *text, size_t chunk, struct seen *s, long *retry)
{
	struct sp_sse_parser p;
	sp_sse_init(&p, record, s);
	size_t n = strlen(text);
	for (size_t i = 0; i < n; i += chunk)
		cr_assert_eq(sp_sse_feed(&p, text + i, i + chunk > n ? n - i : chunk), 0);
	if (retry)
		*retry = p.retry_ms;
	sp_sse_free(&p);
}

Test(client_sse, events_whatever_the_chunking)
{
	static const char stream[] =
		"retry: 3000\n: sprout event stream\n\n"
		"id: 7\nevent: event\ndata: {\"a\":1}\n\n"
		"data: line1\r\ndata:line2\r\n\r\n"
		": keepalive\r\r"
		"id: 9\rdata: x\r\r"
		"event: other\ndata\n\n"
		"data: no end yet";
	for (size_t chunk = 1; chunk <= sizeof(stream); chunk++) {
		struct seen s = { .log = SP_BUF_INIT(0) };
		long retry = 0;
		feed_all(stream, chunk, &s, &retry);
		cr_assert_str_eq(sp_buf_cstr(&s.log),
				 "[event|7|{\"a\":1}][message|7|line1\nline2][message|9|x][other|9|]",
				 "chunk %zu", chunk);
		cr_assert_eq(retry, 3000);
		sp_buf_free(&s.log);
	}
}

Test(client_sse, callback_stops_the_feed)
{
	struct seen s = { .log = SP_BUF_INIT(0), .stop_after = 1 };
	struct sp_sse_parser p;
	sp_sse_init(&p, record, &s);
	cr_assert_eq(sp_sse_feed(&p, "data: a\n\ndata: b\n\n", 18), 1);
	cr_assert_eq(s.count, 1);
	sp_sse_free(&p);
	sp_buf_free(&s.log);
}

/* MAX_SSE_EVENT: an event whose data passes it is refused. */
Test(client_sse, limit_on_event_size)
{
	struct seen s = { .log = SP_BUF_INIT(0) };
	struct sp_sse_parser p;
	sp_sse_init(&p, record, &s);
	char *big = malloc(MAX_SSE_EVENT + 16);
	memcpy(big, "data: ", 6);
	memset(big + 6, 'x', MAX_SSE_EVENT);
	big[MAX_SSE_EVENT + 6] = '\n';
	int rc = sp_sse_feed(&p, big, MAX_SSE_EVENT + 7);
	cr_assert_eq(rc, SP_ETOOBIG);
	free(big);
	sp_sse_free(&p);
	sp_buf_free(&s.log);
}

/* ---- configuration --------------------------------------------------------------------- */

Test(client_config, endpoint_normalisation)
{
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_client_endpoint_normalize("http://127.0.0.1:4780", &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "http://127.0.0.1:4780");
	cr_assert_eq(sp_client_endpoint_normalize("HTTPS://h.example/sprout/api/v1/", &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "HTTPS://h.example/sprout");
	cr_assert_eq(sp_client_endpoint_normalize("http://h//", &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "http://h");
	static const char *const bad[] = { "", "127.0.0.1:4780", "ftp://h", "http://", "http:///x",
					   "http://h x", "http://u:p@h", "http://h/?q", "http://h#f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(sp_client_endpoint_normalize(bad[i], &b), SP_EINVAL, "%s", bad[i]);
	sp_buf_free(&b);
}

Test(client_config, user_file_both_formats)
{
	struct sp_diags d;
	char *e = NULL, *t = NULL;
	sp_diags_init(&d);
	static const char kv[] = "# engine\nendpoint = http://a:1\n  token = \"s3cret\"\n\n";
	cr_assert_eq(sp_client_user_config_parse(kv, strlen(kv), "cfg", &d, &e, &t), 0);
	cr_assert_str_eq(e, "http://a:1");
	cr_assert_str_eq(t, "s3cret");
	cr_assert_eq(d.n, 0);
	free(e);
	free(t);
	static const char yaml[] = "endpoint: http://b:2\ntokn: x\n";
	cr_assert_eq(sp_client_user_config_parse(yaml, strlen(yaml), "cfg", &d, &e, &t), 0);
	cr_assert_str_eq(e, "http://b:2");
	cr_assert_null(t);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.items[0].code, "CLIENT_CONFIG_UNKNOWN_KEY");
	cr_assert_eq(d.items[0].line, 2);
	free(e);
	sp_diags_free(&d);
	sp_diags_init(&d);
	static const char broken[] = "endpoint: [x\n";
	cr_assert_eq(sp_client_user_config_parse(broken, strlen(broken), "cfg", &d, &e, &t),
		     SP_ERROR);
	cr_assert_str_eq(d.items[0].code, "DOC_YAML_SYNTAX");
	sp_diags_free(&d);
	sp_diags_init(&d);
	static const char list[] = "- a\n";
	cr_assert_eq(sp_client_user_config_parse(list, strlen(list), "cfg", &d, &e, &t), SP_ERROR);
	cr_assert_str_eq(d.items[0].code, "CLIENT_CONFIG_INVALID");
	sp_diags_free(&d);
}

static char *tmp_file(const char *text, mode_t mode)
{
	char tmpl[] = "/tmp/sprout-test-client-XXXXXX";
	int fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
	return sp_strdup(tmpl);
}

Test(client_config, precedence)
{
	char *user = tmp_file("endpoint = http://user:3\ntoken = user-token\n", 0600);
	struct sp_client_settings s = { .flag_endpoint = "http://flag:1", .flag_token = "flag-token",
					.env_endpoint = "http://env:2", .env_token = "env-token",
					.user_config_path = user,
					.project_endpoint = "http://project:4" };
	struct sp_client_config c = { 0 };
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), 0);
	cr_assert_str_eq(c.endpoint, "http://flag:1");
	cr_assert_str_eq(c.token, "flag-token");
	cr_assert_eq(c.endpoint_from, SP_SRC_FLAG);
	sp_client_config_free(&c);
	s.flag_endpoint = s.flag_token = NULL;
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), 0);
	cr_assert_str_eq(c.endpoint, "http://env:2");
	cr_assert_str_eq(c.token, "env-token");
	sp_client_config_free(&c);
	s.env_endpoint = s.env_token = NULL;
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), 0);
	cr_assert_str_eq(c.endpoint, "http://user:3");
	cr_assert_str_eq(c.token, "user-token");
	cr_assert_eq(c.token_from, SP_SRC_USER_CONFIG);
	sp_client_config_free(&c);
	s.user_config_path = "/nonexistent/sprout/config";
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), 0);
	cr_assert_str_eq(c.endpoint, "http://project:4");
	cr_assert_null(c.token);
	sp_client_config_free(&c);
	s.project_endpoint = NULL;
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), 0);
	cr_assert_str_eq(c.endpoint, SP_CLIENT_DEFAULT_ENDPOINT);
	cr_assert_eq(c.endpoint_from, SP_SRC_DEFAULT);
	sp_client_config_free(&c);
	cr_assert_eq(d.n, 0);
	unlink(user);
	free(user);
	sp_diags_free(&d);
}

Test(client_config, data_dir_token_only_for_a_local_engine)
{
	char tmpl[] = "/tmp/sprout-test-data-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	struct sp_buf tok = SP_BUF_INIT(0);
	sp_buf_printf(&tok, "%s/admin.token", tmpl);
	FILE *f = fopen(sp_buf_cstr(&tok), "w");
	fputs("abc123\n", f);
	fclose(f);
	struct sp_client_settings s = { .data_dir = tmpl };
	struct sp_client_config c = { 0 };
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), 0);
	cr_assert_str_eq(c.token, "abc123");
	cr_assert_eq(c.token_from, SP_SRC_DATA_DIR);
	sp_client_config_free(&c);
	s.flag_endpoint = "http://engine.example:4780";
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), 0);
	cr_assert_null(c.token);
	sp_client_config_free(&c);
	sp_rm_rf(tmpl);
	sp_buf_free(&tok);
	sp_diags_free(&d);
}

Test(client_config, token_file_others_can_read_is_a_warning)
{
	char *user = tmp_file("token = t\n", 0644);
	struct sp_client_settings s = { .user_config_path = user };
	struct sp_client_config c = { 0 };
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), 0);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.items[0].code, "CLIENT_CONFIG_MODE");
	sp_client_config_free(&c);
	unlink(user);
	free(user);
	sp_diags_free(&d);
}

/* MAX_CLIENT_CONFIG: a larger file is an error, not read. */
Test(client_config, limit_on_user_file)
{
	char *text = malloc(MAX_CLIENT_CONFIG + 2);
	memset(text, '#', MAX_CLIENT_CONFIG + 1);
	text[MAX_CLIENT_CONFIG + 1] = '\0';
	char *user = tmp_file(text, 0600);
	struct sp_client_settings s = { .user_config_path = user };
	struct sp_client_config c = { 0 };
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), SP_ERROR);
	cr_assert_str_eq(d.items[0].code, "CLIENT_CONFIG_INVALID");
	unlink(user);
	free(user);
	free(text);
	sp_diags_free(&d);
}

Test(client_config, bad_endpoint_names_its_source)
{
	struct sp_client_settings s = { .env_endpoint = "localhost:4780" };
	struct sp_client_config c = { 0 };
	struct sp_diags d;
	sp_diags_init(&d);
	cr_assert_eq(sp_client_config_resolve(&s, &d, &c), SP_ERROR);
	cr_assert_str_eq(d.items[0].code, "CLIENT_ENDPOINT_INVALID");
	cr_assert(strstr(d.items[0].message, "SPROUT_ENDPOINT") != NULL);
	sp_diags_free(&d);
}

/* ---- URLs ------------------------------------------------------------------------------ */

Test(client_url, segments_and_queries_are_encoded)
{
	struct sp_buf b = SP_BUF_INIT(0);
	sp_buf_puts(&b, "/applications");
	sp_client_path_segment(&b, "Home On The Route/API");
	sp_client_path_segment(&b, "v1.0~x_y-z");
	const char *q[] = { "label", "a&b=c", "skip", NULL, "description", "ü 1", NULL };
	sp_client_path_query(&b, q);
	cr_assert_str_eq(sp_buf_cstr(&b), "/applications/Home%20On%20The%20Route%2FAPI/v1.0~x_y-z"
					  "?label=a%26b%3Dc&description=%C3%BC%201");
	sp_buf_free(&b);
	char id[48];
	sp_client_new_request_id(id);
	cr_assert_eq(strlen(id), 11 + 24);
	cr_assert_eq(strncmp(id, "sprout-cli-", 11), 0);
}

/* ---- rendering ---------------------------------------------------------------------------- */

Test(client_render, progress_bar)
{
	struct sp_progress p = { 0 };
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert(sp_progress_render(&p, 0, 4 << 20, 1000, 80, &b));
	cr_assert_str_eq(sp_buf_cstr(&b), "  0% [>                   ] 0 B / 4.0 MiB  -- B/s  ETA --:--");
	/* within the interval nothing is drawn */
	cr_assert_not(sp_progress_render(&p, 1 << 20, 4 << 20, 1050, 80, &b));
	cr_assert(sp_progress_render(&p, 1 << 20, 4 << 20, 2000, 80, &b));
	cr_assert_str_eq(sp_buf_cstr(&b), " 25% [=====>              ] 1.0 MiB / 4.0 MiB  1.0 MiB/s  ETA 0:03");
	/* the end is always drawn */
	cr_assert(sp_progress_render(&p, 4 << 20, 4 << 20, 2001, 80, &b));
	cr_assert(strstr(sp_buf_cstr(&b), "100% [====") == sp_buf_cstr(&b));
	cr_assert(strstr(sp_buf_cstr(&b), " done") != NULL);
	/* a narrow terminal drops the bar, not the numbers */
	struct sp_progress q = { 0 };
	cr_assert(sp_progress_render(&q, 512, 1024, 5, 30, &b));
	cr_assert_str_eq(sp_buf_cstr(&b), " 50% 512 B / 1.0 KiB  -- B/s  ETA --:--");
	sp_buf_free(&b);
}

Test(client_render, bytes)
{
	struct sp_buf b = SP_BUF_INIT(0);
	sp_format_bytes(0, &b);
	sp_buf_putc(&b, '|');
	sp_format_bytes(1023, &b);
	sp_buf_putc(&b, '|');
	sp_format_bytes(1536, &b);
	sp_buf_putc(&b, '|');
	sp_format_bytes((uint64_t)5 << 30, &b);
	cr_assert_str_eq(sp_buf_cstr(&b), "0 B|1023 B|1.5 KiB|5.0 GiB");
	sp_buf_free(&b);
}

Test(client_render, event_line)
{
	json_t *ev = json_pack("{s:i,s:s,s:s,s:s,s:n,s:s,s:s}", "id", 3, "time",
			       "2026-11-21T23:24:51.123Z", "severity", "ERROR", "application", "a",
			       "environment", "version", "v1", "message", "broke\nbadly");
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_event_render(ev, false, true, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "2026-11-21 23:24:51    ERROR   [v1] broke badly");
	sp_buf_reset(&b);
	cr_assert_eq(sp_event_render(ev, true, false, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "2026-11-21 23:24:51    \033[1;31mERROR\033[0m   broke badly");
	sp_buf_free(&b);
	json_decref(ev);
}

Test(client_render, api_error_with_details)
{
	struct sp_client_error e;
	sp_client_error_init(&e);
	e.status = 400;
	e.code = sp_strdup("API_INVALID_PARAMETER");
	e.message = sp_strdup("/name: must not be empty");
	e.request_id = sp_strdup("r-1");
	sp_diag_add(&e.details, SP_SEV_ERROR, "API_INVALID_PARAMETER",
		    (struct sp_loc){ "request", 0, 0, "/name" }, NULL, "must not be empty");
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_client_error_render(&e, "http://h:1", false, &b), 0);
	cr_assert(strstr(sp_buf_cstr(&b),
			 "error[API_INVALID_PARAMETER]: /name: must not be empty (HTTP 400, request r-1)\n") ==
		  sp_buf_cstr(&b), "%s", sp_buf_cstr(&b));
	cr_assert(strstr(sp_buf_cstr(&b), "request: error[API_INVALID_PARAMETER]: must not be empty") != NULL,
		  "%s", sp_buf_cstr(&b));
	sp_client_error_free(&e);
	sp_client_error_init(&e);
	e.status = 401;
	e.code = sp_strdup("API_UNAUTHORIZED");
	e.message = sp_strdup("no token");
	sp_buf_reset(&b);
	cr_assert_eq(sp_client_error_render(&e, NULL, false, &b), 0);
	cr_assert(strstr(sp_buf_cstr(&b), "hint: the engine refused the token") != NULL);
	sp_client_error_free(&e);
	sp_buf_free(&b);
}
