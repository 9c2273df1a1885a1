/* test_store_terminated.c — terminated environments in the store (store_env.h, migration
 * 5): the end of a terminate writes a snapshot and frees the name and CNAME at once; the
 * newest snapshot of a name is the one described; snapshots are kept for
 * SP_STORE_TERMINATED_KEEP_MS and pruned by a later terminate; a schema-4 database is
 * migrated. Times are passed in, so nothing waits. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/path.h"
#include "engine/store/store_env.h"
#include "engine/base/banned.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static char dir[64];
static char db[128];
static struct sp_store *st;

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sprout-terminated-test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/sprout.db", dir);
	st = NULL;
}

static void setup(void)
{
	make_dir();
	cr_assert_eq(sp_store_open(db, &st), 0);
	struct sp_app a;
	cr_assert_eq(sp_store_app_create(st, "shop", "", NULL, NULL, &a), 0);
	sp_app_free(&a);
	struct sp_version v;
	cr_assert_eq(sp_store_version_create(st, "shop", "v1", "", SHA_A, 10, NULL, &v), 0);
	sp_version_free(&v);
}

static void teardown(void)
{
	sp_store_close(st);
	sp_rm_rf(dir);
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
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s", sql);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* A live environment named name (CNAME prefix cname, may be NULL); its row and env id. */
static int64_t launch(const char *name, const char *cname, char env_id[16])
{
	struct sp_env e;
	const char *which = NULL;
	struct sp_env_new in = { "shop", name, cname, "the shop", "v1", NULL, NULL };
	cr_assert_eq(sp_store_env_insert(st, &in, "req-1", &which, &e), 0, "%s", which ? which : "");
	int64_t row = e.id;
	snprintf(env_id, 16, "%s", e.env_id);
	sp_env_free(&e);
	return row;
}

TestSuite(store_terminated, .init = setup, .fini = teardown);

Test(store_terminated, terminate_writes_a_snapshot_and_frees_name_and_cname)
{
	char id1[16], id2[16];
	int64_t row = launch("shop-prod", "shop-www", id1);
	struct sp_env_update u = SP_ENV_UPDATE_NONE;
	u.status = SP_ENV_READY;
	u.health = "Green";
	u.family = "awseb-shop-prod";
	u.revision = 3;
	u.version = "v1";
	u.last_good_version = "v1";
	u.observation = "{\"instances\":[{\"id\":\"i-1\"}]}";
	cr_assert_eq(sp_store_env_update(st, row, &u), 0);
	struct sp_env_instance inst[1] = { { "i-1", "127.0.2.2", "Green", "RUNNING" } };
	cr_assert_eq(sp_store_env_set_instances(st, row, inst, 1), 0);
	cr_assert_eq(sp_store_env_request(st, "shop-prod", SP_DEPLOY_TERMINATE, NULL, NULL, -1,
					  "req-2", NULL, NULL), 0);
	struct sp_env live;
	cr_assert_eq(sp_store_env_get(st, "shop-prod", &live), 0);
	int64_t created = live.created_ms;
	sp_env_free(&live);

	int64_t t0 = sp_now_ms();
	cr_assert_eq(sp_store_env_terminated(st, row, t0), 0);
	/* The live row is gone with its instances and deployments. */
	struct sp_env e;
	cr_expect_eq(sp_store_env_get(st, "shop-prod", &e), SP_ENOTFOUND);
	cr_expect_eq(sp_store_env_get_by_row(st, row, &e), SP_ENOTFOUND);
	cr_expect_eq(raw_int("SELECT count(*) FROM env_instances"), 0);
	cr_expect_eq(raw_int("SELECT count(*) FROM deployments"), 0);
	struct sp_env *list = NULL;
	size_t n = 9;
	cr_assert_eq(sp_store_env_list(st, NULL, &list, &n), 0);
	cr_expect_eq(n, 0, "the live list leaves terminated environments out");
	sp_env_list_free(list, n);
	/* A second end of the same terminate finds nothing and writes nothing. */
	cr_expect_eq(sp_store_env_terminated(st, row, t0), SP_ENOTFOUND);
	cr_expect_eq(raw_int("SELECT count(*) FROM terminated_environments"), 1);

	/* The snapshot describes it as Terminated. */
	cr_assert_eq(sp_store_env_get_terminated(st, "shop-prod", t0 + 1, &e), 0);
	cr_expect_eq(e.status, SP_ENV_TERMINATED);
	cr_expect_str_eq(sp_env_status_name(e.status), "Terminated");
	cr_expect_str_eq(e.health, "Grey");
	cr_expect_str_eq(e.env_id, id1);
	cr_expect_str_eq(e.application, "shop");
	cr_expect_str_eq(e.name, "shop-prod");
	cr_expect_str_eq(e.cname_prefix, "shop-www");
	cr_expect_str_eq(e.description, "the shop");
	cr_expect_str_eq(e.version, "v1");
	cr_expect_str_eq(e.driver, "local");
	cr_expect_str_eq(e.family, "awseb-shop-prod");
	cr_expect_eq(e.revision, 3);
	cr_expect_str_eq(e.causes, "[]");
	cr_expect_str_eq(e.options, "[]");
	cr_expect_null(e.last_good_version);
	cr_expect_null(e.observation);
	cr_expect_null(e.plan_summary);
	cr_expect_eq(e.instances, 0);
	cr_expect(!e.abort_requested);
	cr_expect_eq(e.created_ms, created);
	cr_expect_eq(e.updated_ms, t0, "updated is the time it was terminated");
	sp_env_free(&e);
	cr_expect_eq(sp_store_env_get_terminated(st, "shop-other", t0, &e), SP_ENOTFOUND);

	/* Name and CNAME are free at once; the live environment is the new one. */
	int64_t row2 = launch("shop-prod", "shop-www", id2);
	cr_expect_str_neq(id1, id2);
	cr_assert_eq(sp_store_env_get(st, "shop-prod", &e), 0);
	cr_expect_str_eq(e.env_id, id2);
	cr_expect_eq(e.status, SP_ENV_LAUNCHING);
	sp_env_free(&e);
	cr_assert_eq(sp_store_env_get_terminated(st, "shop-prod", 0, &e), 0);
	cr_expect_str_eq(e.env_id, id1, "the snapshot stays beside the new environment");
	sp_env_free(&e);
	/* Operations reach only the live environment. */
	struct sp_deployment d;
	cr_assert_eq(sp_store_env_request(st, "shop-prod", SP_DEPLOY_TERMINATE, NULL, NULL, -1,
					  NULL, NULL, &d), 0);
	cr_expect_eq(d.env_row, row2);
	sp_deployment_free(&d);
	cr_assert_eq(sp_store_env_terminated(st, row2, t0 + 5), 0);
	/* A snapshot keeps no application: the application can be deleted, the snapshot
	 * stays describable by its name. */
	cr_expect_eq(sp_store_app_delete(st, "shop", NULL, NULL, NULL), 0);
	cr_assert_eq(sp_store_env_list_terminated(st, "shop", t0 + 10, &list, &n), 0);
	cr_expect_eq(n, 2);
	sp_env_list_free(list, n);
}

Test(store_terminated, the_newest_snapshot_of_a_name_wins)
{
	char id1[16], id2[16], other[16];
	int64_t t0 = sp_now_ms();
	int64_t row = launch("shop-prod", NULL, id1);
	cr_assert_eq(sp_store_env_terminated(st, row, t0), 0);
	row = launch("shop-prod", NULL, id2);
	cr_assert_eq(sp_store_env_terminated(st, row, t0 + 1000), 0);
	row = launch("shop-test", NULL, other);
	cr_assert_eq(sp_store_env_terminated(st, row, t0 + 500), 0);
	struct sp_env e;
	cr_assert_eq(sp_store_env_get_terminated(st, "shop-prod", t0 + 2000, &e), 0);
	cr_expect_str_eq(e.env_id, id2);
	cr_expect_eq(e.updated_ms, t0 + 1000);
	sp_env_free(&e);
	/* The list holds every snapshot, newest first; by application too. */
	struct sp_env *list = NULL;
	size_t n = 0;
	cr_assert_eq(sp_store_env_list_terminated(st, NULL, t0 + 2000, &list, &n), 0);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(list[0].env_id, id2);
	cr_expect_str_eq(list[1].env_id, other);
	cr_expect_str_eq(list[2].env_id, id1);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(list[i].status, SP_ENV_TERMINATED);
	sp_env_list_free(list, n);
	cr_assert_eq(sp_store_env_list_terminated(st, "shop", t0 + 2000, &list, &n), 0);
	cr_expect_eq(n, 3);
	sp_env_list_free(list, n);
	list = NULL;
	cr_assert_eq(sp_store_env_list_terminated(st, "nothing", t0 + 2000, &list, &n), 0);
	cr_expect_eq(n, 0);
	sp_env_list_free(list, n);
}

Test(store_terminated, kept_for_the_keep_time_then_pruned)
{
	char id1[16], id2[16];
	int64_t t0 = sp_now_ms();
	int64_t row = launch("shop-prod", NULL, id1);
	cr_assert_eq(sp_store_env_terminated(st, row, t0), 0);
	struct sp_env e;
	struct sp_env *list = NULL;
	size_t n = 0;
	cr_assert_eq(sp_store_env_get_terminated(st, "shop-prod", t0 + SP_STORE_TERMINATED_KEEP_MS,
						 &e), 0, "still described at the end of the hour");
	sp_env_free(&e);
	int64_t later = t0 + SP_STORE_TERMINATED_KEEP_MS + 1;
	cr_expect_eq(sp_store_env_get_terminated(st, "shop-prod", later, &e), SP_ENOTFOUND);
	cr_assert_eq(sp_store_env_list_terminated(st, NULL, later, &list, &n), 0);
	cr_expect_eq(n, 0);
	sp_env_list_free(list, n);
	/* Reads only hide it; the next terminate removes it. */
	cr_expect_eq(raw_int("SELECT count(*) FROM terminated_environments"), 1);
	row = launch("shop-test", NULL, id2);
	cr_assert_eq(sp_store_env_terminated(st, row, later), 0);
	cr_expect_eq(raw_int("SELECT count(*) FROM terminated_environments"), 1);
	cr_expect_eq(raw_int("SELECT count(*) FROM terminated_environments WHERE name = 'shop-test'"),
		     1);
	/* A row written long ago (as by an engine stopped for a day) goes the same way. */
	raw_exec("INSERT INTO terminated_environments (env_id, application, name, created_ms,"
		 " terminated_ms) VALUES ('e-oldoldold0', 'shop', 'shop-old', 1, 2)");
	cr_expect_eq(sp_store_env_get_terminated(st, "shop-old", 0, &e), SP_ENOTFOUND);
	row = launch("shop-prod", NULL, id1);
	cr_assert_eq(sp_store_env_terminated(st, row, 0), 0);
	cr_expect_eq(raw_int("SELECT count(*) FROM terminated_environments WHERE name = 'shop-old'"),
		     0);
}

Test(store_terminated_migration, a_schema_4_database_is_migrated, .init = make_dir,
     .fini = teardown)
{
	cr_assert_eq(sp_store_open_at(db, 4, &st), 0);
	int v = 0;
	cr_assert_eq(sp_store_schema_version(st, &v), 0);
	cr_assert_eq(v, 4);
	sp_store_close(st);
	st = NULL;
	cr_expect_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name ="
			     " 'terminated_environments'"), 0);
	raw_exec("INSERT INTO applications (name, created_ms, updated_ms) VALUES ('shop', 1, 1);"
		 "INSERT INTO bundles VALUES ('" SHA_A "', 10, 1);"
		 "INSERT INTO versions (app_id, label, bundle_sha256, status, created_ms, updated_ms)"
		 " VALUES (1, 'v1', '" SHA_A "', 'PROCESSED', 1, 1);"
		 "INSERT INTO environments (app_id, name, version_id, status, created_ms, updated_ms,"
		 " env_id, cname_prefix, health) VALUES (1, 'shop-prod', 1, 'Terminating', 5, 6,"
		 " 'e-abcdefghij', 'shop-www', 'Green');"
		 "INSERT INTO deployments (env_row, kind, status, created_ms)"
		 " VALUES (1, 'terminate', 'InProgress', 7);");
	cr_assert_eq(sp_store_open(db, &st), 0);
	cr_assert_eq(sp_store_schema_version(st, &v), 0);
	cr_expect_eq(v, SP_STORE_SCHEMA_VERSION);
	cr_expect_eq(v, 5);
	cr_expect_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name IN"
			     " ('terminated_environments', 'terminated_environments_name',"
			     " 'terminated_environments_time')"), 3);
	/* The environment the old engine was terminating ends as the new one does it. */
	struct sp_env e;
	cr_assert_eq(sp_store_env_get(st, "shop-prod", &e), 0);
	int64_t row = e.id;
	cr_expect_eq(e.status, SP_ENV_TERMINATING);
	sp_env_free(&e);
	cr_assert_eq(sp_store_env_terminated(st, row, 0), 0);
	cr_assert_eq(sp_store_env_get_terminated(st, "shop-prod", 0, &e), 0);
	cr_expect_str_eq(e.env_id, "e-abcdefghij");
	cr_expect_str_eq(e.version, "v1");
	cr_expect_eq(e.created_ms, 5);
	sp_env_free(&e);
	struct sp_buf msg = SP_BUF_INIT(1024);
	cr_expect_eq(sp_store_check(st, &msg), 0, "%s", sp_buf_cstr(&msg));
	sp_buf_free(&msg);
}
