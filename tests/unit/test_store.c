/* test_store.c — the engine's SQLite store (store.h): migrations from an empty and from an
 * older database, applications, versions, bundles once per SHA-256, the refusals while
 * in use, processing results, lifecycle, events and their filters; the name rules. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/path.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

static char dir[64];
static char db[128];
static struct sp_store *st;

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sprout-store-test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/sprout.db", dir);
	st = NULL;
}

static void teardown(void)
{
	sp_store_close(st);
	sp_rm_rf(dir);
}

static void open_store(void)
{
	cr_assert_eq(sp_store_open(db, &st), 0);
}

static void raw_exec(const char *sql)
{
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	char *err = NULL;
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, &err), SQLITE_OK, "%s", err ? err : "");
	sqlite3_close(h);
}

static int64_t raw_int(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t v = -1;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static void add_version(const char *app, const char *label, const char *sha, struct sp_version *out)
{
	struct sp_version v;
	cr_assert_eq(sp_store_version_create(st, app, label, "", sha, 10, "req-1", &v), 0, "%s", label);
	if (out)
		*out = v;
	else
		sp_version_free(&v);
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, empty_database_gets_current_schema_wal_and_foreign_keys)
{
	int v = 0;
	open_store();
	cr_assert_eq(sp_store_schema_version(st, &v), 0);
	cr_expect_eq(v, SP_STORE_SCHEMA_VERSION);
	cr_expect_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name = 'environments'"), 1);
	sqlite3 *h;
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_expect_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
	/* foreign keys are enforced on the store's connection */
	struct sp_version out;
	cr_expect_eq(sp_store_version_create(st, "none", "v1", "", SHA_A, 1, NULL, &out),
		     SP_ENOTFOUND);
	struct sp_buf msg = SP_BUF_INIT(1024);
	cr_expect_eq(sp_store_check(st, &msg), 0);
	sp_buf_free(&msg);
}

Test(store, older_database_is_migrated_keeping_its_rows)
{
	cr_assert_eq(sp_store_open_at(db, 1, &st), 0);
	int v = 0;
	sp_store_schema_version(st, &v);
	cr_assert_eq(v, 1);
	sp_store_close(st);
	st = NULL;
	raw_exec("INSERT INTO applications (name, description, created_ms, updated_ms)"
		 " VALUES ('old', 'from v1', 1, 2);"
		 "INSERT INTO bundles VALUES ('" SHA_A "', 10, 1);"
		 "INSERT INTO versions (app_id, label, bundle_sha256, status, created_ms, updated_ms)"
		 " VALUES (1, 'v1', '" SHA_A "', 'PROCESSED', 1, 1);"
		 "INSERT INTO events (time_ms, severity, application, message)"
		 " VALUES (1, 2, 'old', 'hello');");
	open_store();
	sp_store_schema_version(st, &v);
	cr_expect_eq(v, SP_STORE_SCHEMA_VERSION);
	struct sp_app a;
	cr_assert_eq(sp_store_app_get(st, "old", &a), 0);
	cr_expect_str_eq(a.description, "from v1");
	cr_expect_eq(a.lifecycle.max_count, 200);
	cr_expect_eq(a.lifecycle.max_age_days, 180);
	cr_expect(!a.lifecycle.max_count_enabled);
	sp_app_free(&a);
	struct sp_version ver;
	cr_assert_eq(sp_store_version_get(st, "old", "v1", true, &ver), 0);
	cr_expect_eq(ver.status, SP_VERSION_PROCESSED);
	cr_expect_str_eq(ver.diagnostics, "[]");
	sp_version_free(&ver);
	cr_expect_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name = 'events_env'"), 1);
	/* opening again does nothing more */
	sp_store_close(st);
	st = NULL;
	open_store();
	cr_expect_eq(raw_int("SELECT count(*) FROM applications"), 1);
}

Test(store, newer_database_is_refused)
{
	open_store();
	sp_store_close(st);
	st = NULL;
	raw_exec("PRAGMA user_version = 99");
	cr_expect_eq(sp_store_open(db, &st), SP_EINVAL);
	cr_expect_null(st);
}

Test(store, applications_create_get_list_update_delete)
{
	struct sp_app a, *list = NULL;
	size_t n = 0;
	open_store();
	cr_assert_eq(sp_store_app_create(st, "one", "first", NULL, "r1", &a), 0);
	cr_expect_str_eq(a.name, "one");
	cr_expect_eq(a.lifecycle.max_count, 200);
	sp_app_free(&a);
	cr_expect_eq(sp_store_app_create(st, "one", NULL, NULL, NULL, NULL), SP_EEXISTS);
	cr_expect_eq(sp_store_app_create(st, "a/b", NULL, NULL, NULL, NULL), SP_EINVAL);
	struct sp_lifecycle bad = { true, 0, false, 180 };
	cr_expect_eq(sp_store_app_create(st, "two", NULL, &bad, NULL, NULL), SP_EINVAL);
	cr_assert_eq(sp_store_app_create(st, "two", NULL, NULL, NULL, NULL), 0);
	cr_assert_eq(sp_store_app_create(st, "three", NULL, NULL, NULL, NULL), 0);
	cr_assert_eq(sp_store_app_list(st, 0, 2, &list, &n), 0);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(list[0].name, "one");
	int64_t after = list[1].id;
	sp_app_list_free(list, n);
	cr_assert_eq(sp_store_app_list(st, after, 2, &list, &n), 0);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(list[0].name, "three");
	sp_app_list_free(list, n);
	struct sp_lifecycle lc = { true, 5, true, 30 };
	cr_assert_eq(sp_store_app_update(st, "two", "desc", &lc, NULL, &a), 0);
	cr_expect_str_eq(a.description, "desc");
	cr_expect_eq(a.lifecycle.max_count, 5);
	cr_expect(a.lifecycle.max_age_enabled);
	sp_app_free(&a);
	cr_expect_eq(sp_store_app_update(st, "nope", "x", NULL, NULL, NULL), SP_ENOTFOUND);
	cr_expect_eq(sp_store_app_delete(st, "two", NULL, NULL, NULL), 0);
	cr_expect_eq(sp_store_app_delete(st, "two", NULL, NULL, NULL), SP_ENOTFOUND);
	cr_expect_eq(sp_store_app_get(st, "two", &a), SP_ENOTFOUND);
}

Test(store, versions_bundles_once_and_orphans)
{
	struct sp_version v, *list = NULL;
	size_t n = 0;
	char *orphan = NULL;
	open_store();
	cr_assert_eq(sp_store_app_create(st, "app", NULL, NULL, NULL, NULL), 0);
	add_version("app", "v1", SHA_A, &v);
	cr_expect_eq(v.status, SP_VERSION_PROCESSING);
	cr_expect_str_eq(v.request_id, "req-1");
	sp_version_free(&v);
	add_version("app", "v2", SHA_A, NULL);
	add_version("app", "v3", SHA_B, NULL);
	cr_expect_eq(raw_int("SELECT count(*) FROM bundles"), 2);
	cr_expect_eq(sp_store_version_create(st, "app", "v1", "", SHA_B, 1, NULL, &v), SP_EEXISTS);
	cr_expect_eq(sp_store_version_create(st, "nope", "v9", "", "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", 1, NULL, &v), SP_ENOTFOUND);
	cr_expect_eq(raw_int("SELECT count(*) FROM bundles"), 2, "the failed create rolled back its bundle row");
	cr_assert_eq(sp_store_version_list(st, "app", 0, 2, &list, &n), 0);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(list[0].label, "v3");
	cr_expect_str_eq(list[1].label, "v2");
	int64_t before = list[1].id;
	sp_version_list_free(list, n);
	cr_assert_eq(sp_store_version_list(st, "app", before, 10, &list, &n), 0);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(list[0].label, "v1");
	sp_version_list_free(list, n);
	cr_expect_eq(sp_store_version_list(st, "nope", 0, 10, &list, &n), SP_ENOTFOUND);
	/* SHA_A is still used by v2 after v1 goes; SHA_B goes with v3 */
	cr_assert_eq(sp_store_version_delete(st, "app", "v1", NULL, &orphan), 0);
	cr_expect_null(orphan);
	cr_assert_eq(sp_store_version_delete(st, "app", "v3", NULL, &orphan), 0);
	cr_expect_str_eq(orphan, SHA_B);
	free(orphan);
	cr_expect_eq(sp_store_version_delete(st, "app", "v3", NULL, &orphan), SP_ENOTFOUND);
	bool known = true;
	cr_expect_eq(sp_store_bundle_known(st, SHA_B, &known), 0);
	cr_expect(!known);
	char **orphans = NULL;
	size_t no = 0;
	cr_assert_eq(sp_store_app_delete(st, "app", NULL, &orphans, &no), 0);
	cr_assert_eq(no, 1);
	cr_expect_str_eq(orphans[0], SHA_A);
	sp_strv_free(orphans, no);
	cr_expect_eq(raw_int("SELECT count(*) FROM versions"), 0);
}

Test(store, deployed_versions_and_environments_block_deletes)
{
	struct sp_version v;
	open_store();
	cr_assert_eq(sp_store_app_create(st, "app", NULL, NULL, NULL, NULL), 0);
	add_version("app", "v1", SHA_A, NULL);
	cr_assert_eq(sp_store_env_create(st, "app", "app-prod", "v1"), 0);
	cr_assert_eq(sp_store_version_get(st, "app", "v1", false, &v), 0);
	cr_expect(v.deployed);
	sp_version_free(&v);
	cr_expect_eq(sp_store_version_delete(st, "app", "v1", NULL, NULL), SP_EINUSE);
	cr_expect_eq(sp_store_app_delete(st, "app", NULL, NULL, NULL), SP_EINUSE);
	struct sp_app a;
	cr_assert_eq(sp_store_app_get(st, "app", &a), 0);
	cr_expect_eq(a.environments, 1);
	sp_app_free(&a);
	/* a terminated environment no longer holds its version */
	raw_exec("UPDATE environments SET status = 'Terminated'");
	cr_expect_eq(sp_store_version_delete(st, "app", "v1", NULL, NULL), 0);
	cr_expect_eq(raw_int("SELECT count(*) FROM environments WHERE version_id IS NULL"), 1);
}

Test(store, processing_queue_and_finish)
{
	struct sp_version v;
	open_store();
	cr_assert_eq(sp_store_app_create(st, "app", NULL, NULL, NULL, NULL), 0);
	add_version("app", "v1", SHA_A, NULL);
	add_version("app", "v2", SHA_B, NULL);
	cr_assert_eq(sp_store_version_next_processing(st, 0, &v), 0);
	cr_expect_str_eq(v.label, "v1");
	int64_t id1 = v.id;
	sp_version_free(&v);
	cr_assert_eq(sp_store_version_finish(st, id1, SP_VERSION_PROCESSED, "[]", 0, 0), 0);
	cr_expect_eq(sp_store_version_finish(st, id1, SP_VERSION_FAILED, "[]", 1, 0), SP_ENOTFOUND,
		     "only a PROCESSING version can be finished");
	cr_expect_eq(sp_store_version_finish(st, id1, SP_VERSION_PROCESSING, "[]", 0, 0), SP_EINVAL);
	cr_assert_eq(sp_store_version_next_processing(st, 0, &v), 0);
	cr_expect_str_eq(v.label, "v2");
	int64_t id2 = v.id;
	sp_version_free(&v);
	cr_expect_eq(sp_store_version_next_processing(st, id2, &v), SP_ENOTFOUND);
	const char *diags = "[{\"severity\":\"error\",\"code\":\"X\"}]";
	cr_assert_eq(sp_store_version_finish(st, id2, SP_VERSION_FAILED, diags, 1, 0), 0);
	cr_expect_eq(sp_store_version_next_processing(st, 0, &v), SP_ENOTFOUND);
	cr_assert_eq(sp_store_version_get(st, "app", "v2", true, &v), 0);
	cr_expect_eq(v.status, SP_VERSION_FAILED);
	cr_expect_str_eq(v.diagnostics, diags);
	cr_expect_eq(v.errors, 1);
	sp_version_free(&v);
	struct sp_event_filter f = { .version = "v2", .min_severity = SP_EVENT_ERROR };
	struct sp_event *ev;
	size_t n;
	cr_assert_eq(sp_store_events_list(st, &f, 10, &ev, &n), 0);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(ev[0].message,
			 "Finished processing application version v2 FAILED. See its diagnostics.");
	cr_expect_str_eq(ev[0].request_id, "req-1", "the event keeps the upload's request id");
	sp_event_list_free(ev, n);
}

static void finish_all(void)
{
	struct sp_version v;
	while (sp_store_version_next_processing(st, 0, &v) == 0) {
		cr_assert_eq(sp_store_version_finish(st, v.id, SP_VERSION_PROCESSED, "[]", 0, 0), 0);
		sp_version_free(&v);
	}
}

Test(store, lifecycle_max_count_keeps_newest_and_deployed)
{
	char label[16];
	struct sp_version v;
	size_t deleted = 0, no = 0;
	char **orphans = NULL;
	struct sp_lifecycle lc = { true, 2, false, 180 };
	open_store();
	cr_assert_eq(sp_store_app_create(st, "app", NULL, &lc, NULL, NULL), 0);
	for (int i = 1; i <= 5; i++) {
		char sha[65];
		memset(sha, 'a' + i, 64);
		sha[64] = '\0';
		snprintf(label, sizeof(label), "v%d", i);
		add_version("app", label, sha, NULL);
	}
	finish_all();
	cr_assert_eq(sp_store_env_create(st, "app", "app-prod", "v1"), 0);
	add_version("app", "v6", SHA_A, &v);
	cr_assert_eq(sp_store_lifecycle_apply(st, "app", v.id, sp_now_ms(), "r", &deleted,
					      &orphans, &no), 0);
	/* v6 kept (new), v5 and v4 kept (the 2 newest), v1 kept (deployed) */
	cr_expect_eq(deleted, 2);
	cr_expect_eq(no, 2);
	sp_strv_free(orphans, no);
	sp_version_free(&v);
	struct sp_version *list;
	size_t n;
	cr_assert_eq(sp_store_version_list(st, "app", 0, 10, &list, &n), 0);
	cr_assert_eq(n, 4);
	cr_expect_str_eq(list[0].label, "v6");
	cr_expect_str_eq(list[1].label, "v5");
	cr_expect_str_eq(list[2].label, "v4");
	cr_expect_str_eq(list[3].label, "v1");
	sp_version_list_free(list, n);
}

Test(store, lifecycle_max_age_and_disabled)
{
	struct sp_version v;
	size_t deleted = 9;
	open_store();
	cr_assert_eq(sp_store_app_create(st, "app", NULL, NULL, NULL, NULL), 0);
	add_version("app", "old", SHA_A, NULL);
	add_version("app", "new", SHA_B, &v);
	finish_all();
	int64_t far = sp_now_ms() + 400LL * 86400000;
	cr_assert_eq(sp_store_lifecycle_apply(st, "app", v.id, far, NULL, &deleted, NULL, NULL), 0);
	cr_expect_eq(deleted, 0, "rules are off by default");
	struct sp_lifecycle lc = { false, 200, true, 30 };
	cr_assert_eq(sp_store_app_update(st, "app", NULL, &lc, NULL, NULL), 0);
	cr_assert_eq(sp_store_lifecycle_apply(st, "app", v.id, sp_now_ms(), NULL, &deleted, NULL, NULL), 0);
	cr_expect_eq(deleted, 0, "nothing is 30 days old yet");
	cr_assert_eq(sp_store_lifecycle_apply(st, "app", v.id, far, NULL, &deleted, NULL, NULL), 0);
	cr_expect_eq(deleted, 1);
	sp_version_free(&v);
	cr_expect_eq(sp_store_version_get(st, "app", "old", false, &v), SP_ENOTFOUND);
}

Test(store, events_filters_pages_and_streams)
{
	struct sp_event *ev;
	size_t n;
	open_store();
	cr_assert_eq(sp_store_event_add(st, SP_EVENT_INFO, "a", NULL, NULL, "r1", "one"), 0);
	cr_assert_eq(sp_store_event_add(st, SP_EVENT_WARN, "a", "a-env", "v1", "r2", "two"), 0);
	cr_assert_eq(sp_store_event_add(st, SP_EVENT_ERROR, "b", NULL, NULL, "r2", "three"), 0);
	cr_assert_eq(sp_store_event_add(st, SP_EVENT_TRACE, "b", NULL, NULL, NULL, "four"), 0);
	struct sp_event_filter all = { 0 };
	cr_assert_eq(sp_store_events_list(st, &all, 10, &ev, &n), 0);
	cr_assert_eq(n, 4);
	cr_expect_str_eq(ev[0].message, "four", "newest first");
	int64_t last = ev[0].id, second = ev[1].id;
	sp_event_list_free(ev, n);
	struct sp_event_filter f = { .min_severity = SP_EVENT_WARN };
	cr_assert_eq(sp_store_events_list(st, &f, 10, &ev, &n), 0);
	cr_expect_eq(n, 2);
	sp_event_list_free(ev, n);
	f = (struct sp_event_filter){ .application = "a", .environment = "a-env" };
	cr_assert_eq(sp_store_events_list(st, &f, 10, &ev, &n), 0);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(ev[0].version, "v1");
	sp_event_list_free(ev, n);
	f = (struct sp_event_filter){ .request_id = "r2" };
	cr_assert_eq(sp_store_events_list(st, &f, 10, &ev, &n), 0);
	cr_expect_eq(n, 2);
	sp_event_list_free(ev, n);
	f = (struct sp_event_filter){ .before_id = second };
	cr_assert_eq(sp_store_events_list(st, &f, 10, &ev, &n), 0);
	cr_expect_eq(n, 2);
	sp_event_list_free(ev, n);
	f = (struct sp_event_filter){ .oldest_first = true, .after_id = 0 };
	cr_assert_eq(sp_store_events_list(st, &f, 2, &ev, &n), 0);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(ev[0].message, "one", "streams go oldest first");
	sp_event_list_free(ev, n);
	f = (struct sp_event_filter){ .start_ms = sp_now_ms() + 60000 };
	cr_assert_eq(sp_store_events_list(st, &f, 10, &ev, &n), 0);
	cr_expect_eq(n, 0);
	sp_event_list_free(ev, n);
	f = (struct sp_event_filter){ .end_ms = 1 };
	cr_assert_eq(sp_store_events_list(st, &f, 10, &ev, &n), 0);
	cr_expect_eq(n, 0);
	sp_event_list_free(ev, n);
	int64_t id = 0;
	cr_assert_eq(sp_store_events_last_id(st, &id), 0);
	cr_expect_eq(id, last);
	cr_expect_eq(sp_store_events_list(st, &all, 0, &ev, &n), SP_EINVAL);
	cr_expect_eq(sp_store_events_list(st, &all, SP_STORE_MAX_LIST + 1, &ev, &n), SP_EINVAL);
	/* a long message is cut at SP_MAX_EVENT_MESSAGE */
	char *big = malloc(SP_MAX_EVENT_MESSAGE * 2 + 1);
	memset(big, 'm', SP_MAX_EVENT_MESSAGE * 2);
	big[SP_MAX_EVENT_MESSAGE * 2] = '\0';
	cr_assert_eq(sp_store_event_add(st, SP_EVENT_INFO, NULL, NULL, NULL, NULL, big), 0);
	free(big);
	cr_assert_eq(sp_store_events_list(st, &all, 1, &ev, &n), 0);
	cr_expect_eq(strlen(ev[0].message), SP_MAX_EVENT_MESSAGE);
	sp_event_list_free(ev, n);
}

Test(store, names_descriptions_severities_times)
{
	cr_expect_null(sp_name_problem("my-app 1", SP_MAX_APP_NAME));
	cr_expect_null(sp_name_problem("v1.2.3+build_7", SP_MAX_LABEL));
	cr_expect_null(sp_name_problem("日本語", SP_MAX_LABEL));
	const char *bad[] = { "", "a/b", "a\\b", ".", "..", " a", "a ", "a\tb", "\x7f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_not_null(sp_name_problem(bad[i], SP_MAX_LABEL), "'%s'", bad[i]);
	cr_expect_not_null(sp_name_problem("\xff\xfe", SP_MAX_LABEL));
	char s[128];
	memset(s, 'x', 100);
	s[100] = '\0';
	cr_expect_null(sp_name_problem(s, SP_MAX_LABEL));
	s[100] = 'x';
	s[101] = '\0';
	cr_expect_not_null(sp_name_problem(s, SP_MAX_LABEL));
	cr_expect_null(sp_description_problem(NULL));
	char d[256];
	memset(d, 'd', 201);
	d[201] = '\0';
	cr_expect_not_null(sp_description_problem(d));
	d[200] = '\0';
	cr_expect_null(sp_description_problem(d));

	enum sp_event_severity sev;
	cr_expect_eq(sp_event_severity_parse("warn", &sev), 0);
	cr_expect_eq(sev, SP_EVENT_WARN);
	cr_expect_eq(sp_event_severity_parse("LOUD", &sev), SP_EINVAL);
	cr_expect_str_eq(sp_event_severity_name(SP_EVENT_FATAL), "FATAL");
	cr_expect_str_eq(sp_version_status_name(SP_VERSION_PROCESSED), "PROCESSED");

	int64_t ms;
	cr_assert_eq(sp_time_parse("2019-09-03T13:08:29.049Z", &ms), 0);
	cr_expect_eq(ms, 1567516109049LL);
	char buf[32];
	sp_time_iso8601(ms, buf);
	cr_expect_str_eq(buf, "2019-09-03T13:08:29.049Z");
	cr_expect_eq(sp_time_parse("2019-09-03T13:08:29Z", &ms), 0);
	cr_expect_eq(ms, 1567516109000LL);
	cr_expect_eq(sp_time_parse("1567516109000", &ms), 0);
	cr_expect_eq(sp_time_parse("2019-13-03T13:08:29Z", &ms), SP_EINVAL);
	cr_expect_eq(sp_time_parse("yesterday", &ms), SP_EINVAL);
	cr_expect_eq(sp_time_parse("2019-09-03T13:08:29.Z", &ms), SP_EINVAL);
}

Test(store, data_dir_resolution)
{
	struct sp_buf b = SP_BUF_INIT(4096);
	cr_assert_eq(sp_data_dir_resolve("/x/y", &b), 0);
	cr_expect_str_eq(sp_buf_cstr(&b), "/x/y");
	sp_buf_reset(&b);
	setenv("SPROUT_DATA_DIR", "/from/env", 1);
	cr_assert_eq(sp_data_dir_resolve(NULL, &b), 0);
	cr_expect_str_eq(sp_buf_cstr(&b), "/from/env");
	unsetenv("SPROUT_DATA_DIR");
	sp_buf_free(&b);
}
