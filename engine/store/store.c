/* store.c — SQLite connection, schema migrations and the queries of store.h. */
#include <errno.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/store/store.h"
#include "engine/store/store_internal.h"
#include "engine/base/banned.h"

struct sp_store {
	sqlite3 *db;
	char errmsg[256];
};

/* Migration N (1-based) brings user_version N-1 to N. Append only; never edit one that
 * shipped. */
static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE applications ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE TABLE bundles ("
	"  sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),"
	"  size INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE versions ("
	"  id INTEGER PRIMARY KEY,"
	"  app_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,"
	"  label TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  bundle_sha256 TEXT NOT NULL REFERENCES bundles(sha256),"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('UNPROCESSED','PROCESSING','BUILDING','PROCESSED','FAILED')),"
	"  diagnostics TEXT NOT NULL DEFAULT '[]',"
	"  errors INTEGER NOT NULL DEFAULT 0,"
	"  warnings INTEGER NOT NULL DEFAULT 0,"
	"  request_id TEXT,"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL,"
	"  UNIQUE (app_id, label));"
	"CREATE INDEX versions_app ON versions(app_id, id);"
	"CREATE INDEX versions_bundle ON versions(bundle_sha256);"
	"CREATE TABLE environments ("
	"  id INTEGER PRIMARY KEY,"
	"  app_id INTEGER NOT NULL REFERENCES applications(id),"
	"  name TEXT NOT NULL UNIQUE,"
	"  version_id INTEGER REFERENCES versions(id) ON DELETE SET NULL,"
	"  status TEXT NOT NULL DEFAULT 'Launching',"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE INDEX environments_app ON environments(app_id);"
	"CREATE INDEX environments_version ON environments(version_id);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  time_ms INTEGER NOT NULL,"
	"  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 5),"
	"  application TEXT,"
	"  environment TEXT,"
	"  version TEXT,"
	"  request_id TEXT,"
	"  message TEXT NOT NULL);"
	"CREATE INDEX events_app ON events(application, id);",

	/* 2: lifecycle settings per application; event lookups by environment, request
	 * id and time; the worker's queue. */
	"ALTER TABLE applications ADD COLUMN max_count_enabled INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE applications ADD COLUMN max_count INTEGER NOT NULL DEFAULT 200;"
	"ALTER TABLE applications ADD COLUMN max_age_enabled INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE applications ADD COLUMN max_age_days INTEGER NOT NULL DEFAULT 180;"
	"CREATE INDEX events_env ON events(environment, id);"
	"CREATE INDEX events_request ON events(request_id);"
	"CREATE INDEX events_time ON events(time_ms);"
	"CREATE INDEX versions_processing ON versions(id) WHERE status = 'PROCESSING';",

	/* 3: environments in full (store_env.c): identity, CNAME, health, versions, option
	 * settings, driver, task definition revision, the driver's inputs and last
	 * observation; their instances; deployments (also the deployment worker's queue). */
	"ALTER TABLE environments ADD COLUMN env_id TEXT;"
	"ALTER TABLE environments ADD COLUMN cname_prefix TEXT;"
	"ALTER TABLE environments ADD COLUMN description TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE environments ADD COLUMN health TEXT NOT NULL DEFAULT 'Grey';"
	"ALTER TABLE environments ADD COLUMN causes TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE environments ADD COLUMN last_good_version_id INTEGER"
	"  REFERENCES versions(id) ON DELETE SET NULL;"
	"ALTER TABLE environments ADD COLUMN options TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE environments ADD COLUMN driver TEXT NOT NULL DEFAULT 'local';"
	"ALTER TABLE environments ADD COLUMN family TEXT;"
	"ALTER TABLE environments ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE environments ADD COLUMN instances INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE environments ADD COLUMN spec_taskdef TEXT;"
	"ALTER TABLE environments ADD COLUMN spec_plan TEXT;"
	"ALTER TABLE environments ADD COLUMN plan_summary TEXT;"
	"ALTER TABLE environments ADD COLUMN observation TEXT;"
	"ALTER TABLE environments ADD COLUMN abort_requested INTEGER NOT NULL DEFAULT 0;"
	"CREATE UNIQUE INDEX environments_cname ON environments(cname_prefix)"
	"  WHERE cname_prefix IS NOT NULL;"
	"CREATE INDEX environments_last_good ON environments(last_good_version_id);"
	"CREATE TABLE env_instances ("
	"  env_row INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,"
	"  instance_id TEXT NOT NULL,"
	"  address TEXT,"
	"  health TEXT NOT NULL DEFAULT 'Grey',"
	"  task_state TEXT,"
	"  updated_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (env_row, instance_id));"
	"CREATE TABLE deployments ("
	"  id INTEGER PRIMARY KEY,"
	"  env_row INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  version TEXT,"
	"  policy TEXT,"
	"  status TEXT NOT NULL DEFAULT 'Pending' CHECK (status IN"
	"    ('Pending','InProgress','Succeeded','Failed','Aborted')),"
	"  cause TEXT,"
	"  request_id TEXT,"
	"  created_ms INTEGER NOT NULL,"
	"  start_ms INTEGER NOT NULL DEFAULT 0,"
	"  end_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX deployments_env ON deployments(env_row, id);"
	"CREATE INDEX deployments_queue ON deployments(id)"
	"  WHERE status IN ('Pending','InProgress');",

	/* 4: where a version came from: "upload" (the API, the CLI, the console) or "git"
	 * (a push to the hosted repository, engine/gitrepo). */
	"ALTER TABLE versions ADD COLUMN source TEXT NOT NULL DEFAULT 'upload';",

	/* 5: what is left of a terminated environment (store_env.c): a snapshot written when
	 * its terminate ends, in the transaction that removes its row, so it can be described
	 * with status Terminated for SP_STORE_TERMINATED_KEEP_MS while its name and CNAME are
	 * free at once (EB's DescribeEnvironments IncludeDeleted). Names, not keys, as events:
	 * a snapshot outlives its application and versions. */
	"CREATE TABLE terminated_environments ("
	"  id INTEGER PRIMARY KEY,"
	"  env_id TEXT NOT NULL,"
	"  application TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  cname_prefix TEXT,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  version TEXT,"
	"  driver TEXT NOT NULL DEFAULT 'local',"
	"  family TEXT,"
	"  revision INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL,"
	"  terminated_ms INTEGER NOT NULL);"
	"CREATE INDEX terminated_environments_name ON terminated_environments(name, terminated_ms);"
	"CREATE INDEX terminated_environments_time ON terminated_environments(terminated_ms);",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == SP_STORE_SCHEMA_VERSION,
	       "one migration per schema version");

static int db_fail(struct sp_store *s)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", sqlite3_errmsg(s->db));
	return SP_EIO;
}

const char *sp_store_errmsg(const struct sp_store *s)
{
	return s ? s->errmsg : "no store";
}

/* store_internal.h: lent to store_env.c. */
sqlite3 *sp_store_sqlite(struct sp_store *s)
{
	return s->db;
}

int sp_store_fail(struct sp_store *s)
{
	return db_fail(s);
}

int sp_store_fail_msg(struct sp_store *s, int rc, const char *msg)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg);
	return rc;
}

static int exec_sql(struct sp_store *s, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", err ? err : "sqlite error");
		sqlite3_free(err);
		return SP_EIO;
	}
	return 0;
}

static int begin(struct sp_store *s) { return exec_sql(s, "BEGIN IMMEDIATE"); }
static int commit(struct sp_store *s) { return exec_sql(s, "COMMIT"); }
static void rollback(struct sp_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int prepare(struct sp_store *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return db_fail(s);
	return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? sp_strdup((const char *)t) : NULL;
}

static int user_version(struct sp_store *s, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "PRAGMA user_version", &st);
	if (rc)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = db_fail(s);
		goto out;
	}
	*out = sqlite3_column_int(st, 0);
out:
	sqlite3_finalize(st);
	return rc;
}

static int migrate(struct sp_store *s, int target)
{
	int have = 0;
	int rc = user_version(s, &have);
	if (rc)
		return rc;
	if (have > SP_STORE_SCHEMA_VERSION) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "database schema %d is newer than this sprout (%d)", have,
			 SP_STORE_SCHEMA_VERSION);
		return SP_EINVAL;
	}
	for (int v = have; v < target; v++) {
		char pragma[64];
		if ((rc = begin(s)))
			return rc;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if ((rc = exec_sql(s, migrations[v])) || (rc = exec_sql(s, pragma)) ||
		    (rc = commit(s))) {
			rollback(s);
			return rc;
		}
	}
	return 0;
}

int sp_store_open_at(const char *path, int target, struct sp_store **out)
{
	if (!path || !out || target < 0 || target > SP_STORE_SCHEMA_VERSION)
		return SP_EINVAL;
	struct sp_store *s = calloc(1, sizeof(*s));
	if (!s)
		return SP_ENOMEM;
	int rc = SP_EIO;
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		if (s->db)
			db_fail(s);
		goto fail;
	}
	sqlite3_busy_timeout(s->db, SP_STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if ((rc = exec_sql(s, "PRAGMA journal_mode = WAL")) ||
	    (rc = exec_sql(s, "PRAGMA synchronous = NORMAL")) ||
	    (rc = exec_sql(s, "PRAGMA foreign_keys = ON")) ||
	    (rc = migrate(s, target)))
		goto fail;
	*out = s;
	return 0;
fail:
	/* No connection is handed out, so its error message goes with it; callers report
	 * the code (SP_EINVAL: the schema is newer than this binary). */
	sqlite3_close(s->db);
	free(s);
	return rc;
}

int sp_store_open(const char *path, struct sp_store **out)
{
	return sp_store_open_at(path, SP_STORE_SCHEMA_VERSION, out);
}

void sp_store_close(struct sp_store *s)
{
	if (!s)
		return;
	sqlite3_close_v2(s->db);
	free(s);
}

int sp_store_schema_version(struct sp_store *s, int *out)
{
	return user_version(s, out);
}

int sp_store_check(struct sp_store *s, struct sp_buf *msg)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "PRAGMA integrity_check", &st);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (t && strcmp(t, "ok") != 0) {
			sp_buf_puts(msg, t);
			sqlite3_finalize(st);
			return SP_ERROR;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(s);
	if ((rc = prepare(s, "PRAGMA foreign_key_check", &st)))
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sp_buf_printf(msg, "foreign key violation in table %s",
			      (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return SP_ERROR;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* --- helpers: paths, time, names ------------------------------------------------ */

int sp_data_dir_resolve(const char *override, struct sp_buf *out)
{
	const char *env = getenv("SPROUT_DATA_DIR");
	if (override && *override)
		return sp_buf_puts(out, override);
	if (env && *env)
		return sp_buf_puts(out, env);
	if (geteuid() == 0)
		return sp_buf_puts(out, "/var/lib/sprout");
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg == '/')
		return sp_buf_printf(out, "%s/sprout", xdg);
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return SP_EINVAL;
	return sp_buf_printf(out, "%s/.local/share/sprout", home);
}

int64_t sp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm): cheaper than
 * gmtime_r + strftime, and event lists format hundreds of times per request. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

void sp_time_iso8601(int64_t ms, char buf[32])
{
	if (ms < 0)
		ms = 0;
	int64_t secs = ms / 1000, days = secs / 86400;
	unsigned sod = (unsigned)(secs % 86400), msec = (unsigned)(ms % 1000);
	int y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	if (y > 9999)
		y = 9999;
	char *p = buf;
	p = put2(p, (unsigned)y / 100);
	p = put2(p, (unsigned)y % 100);
	*p++ = '-';
	p = put2(p, mo);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, sod / 3600);
	*p++ = ':';
	p = put2(p, sod / 60 % 60);
	*p++ = ':';
	p = put2(p, sod % 60);
	*p++ = '.';
	*p++ = (char)('0' + msec / 100);
	p = put2(p, msec % 100);
	*p++ = 'Z';
	*p = '\0';
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SP_EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int sp_time_parse(const char *s, int64_t *out_ms)
{
	if (!s || !*s)
		return SP_EINVAL;
	int64_t n;
	if (sp_parse_i64(s, &n) == 0) {
		if (n < 0)
			return SP_EINVAL;
		*out_ms = n;
		return 0;
	}
	/* YYYY-MM-DDTHH:MM:SS[.fff][Z] */
	size_t len = strlen(s);
	int y, mo, d, h, mi, se, frac = 0;
	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return SP_EINVAL;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return SP_EINVAL;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		int nd = 0;
		while (*p >= '0' && *p <= '9') {
			if (nd < 3)
				frac = frac * 10 + (*p - '0');
			nd++;
			p++;
		}
		if (nd == 0)
			return SP_EINVAL;
		for (; nd < 3; nd++)
			frac *= 10;
	}
	if (*p == 'Z')
		p++;
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return SP_EINVAL;
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return SP_EINVAL;
	*out_ms = (int64_t)t * 1000 + frac;
	return 0;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

const char *sp_name_problem(const char *s, size_t max_chars)
{
	if (!s || !*s)
		return "must not be empty";
	size_t len = strlen(s);
	if (!sp_utf8_valid(s, len))
		return "must be valid UTF-8";
	if (utf8_chars(s) > max_chars)
		return max_chars == SP_MAX_LABEL ? "must be at most 100 characters"
						 : "is too long";
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			return "must not contain control characters";
		if (c == '/' || c == '\\')
			return "must not contain '/' or '\\'";
	}
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "must not be \".\" or \"..\"";
	if (s[0] == ' ' || s[len - 1] == ' ')
		return "must not start or end with a space";
	return NULL;
}

const char *sp_description_problem(const char *s)
{
	if (!s)
		return NULL;
	if (!sp_utf8_valid(s, strlen(s)))
		return "must be valid UTF-8";
	if (utf8_chars(s) > SP_MAX_DESCRIPTION)
		return "must be at most 200 characters";
	return NULL;
}

void sp_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return SP_ENOMEM;
	*v = nv;
	if (!(nv[*n] = sp_strdup(s)))
		return SP_ENOMEM;
	(*n)++;
	return 0;
}

static char *dup_or_null(const char *p, bool *oom);

/* --- events ----------------------------------------------------------------------- */

static const char *const severity_names[] = { "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL" };

const char *sp_event_severity_name(enum sp_event_severity s)
{
	return (unsigned)s <= SP_EVENT_FATAL ? severity_names[s] : "INFO";
}

int sp_event_severity_parse(const char *s, enum sp_event_severity *out)
{
	for (int i = 0; s && i <= SP_EVENT_FATAL; i++)
		if (strcasecmp(s, severity_names[i]) == 0) {
			*out = (enum sp_event_severity)i;
			return 0;
		}
	return SP_EINVAL;
}

int sp_store_event_add(struct sp_store *s, enum sp_event_severity sev, const char *app,
		       const char *env, const char *version, const char *request_id,
		       const char *message)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "INSERT INTO events (time_ms, severity, application, environment,"
			    " version, request_id, message) VALUES (?,?,?,?,?,?,?)", &st);
	if (rc)
		return rc;
	size_t mlen = strlen(message);
	sqlite3_bind_int64(st, 1, sp_now_ms());
	sqlite3_bind_int(st, 2, (int)sev);
	bind_text(st, 3, app);
	bind_text(st, 4, env);
	bind_text(st, 5, version);
	bind_text(st, 6, request_id);
	sqlite3_bind_text(st, 7, message,
			  (int)(mlen > SP_MAX_EVENT_MESSAGE ? SP_MAX_EVENT_MESSAGE : mlen),
			  SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(s);
	sqlite3_finalize(st);
	return rc;
}

void sp_event_list_free(struct sp_event *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++) {
		free(e[i].application);
		free(e[i].environment);
		free(e[i].version);
		free(e[i].request_id);
		free(e[i].message);
	}
	free(e);
}

int sp_store_events_each(struct sp_store *s, const struct sp_event_filter *f, size_t limit,
			 sp_event_fn fn, void *arg)
{
	struct sp_buf sql = SP_BUF_INIT(4096);
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (limit == 0 || limit > SP_STORE_MAX_LIST)
		return SP_EINVAL;
	sp_buf_puts(&sql, "SELECT id, time_ms, severity, application, environment, version,"
			  " request_id, message FROM events WHERE 1");
	if (f->application)
		sp_buf_puts(&sql, " AND application = ?1");
	if (f->environment)
		sp_buf_puts(&sql, " AND environment = ?2");
	if (f->version)
		sp_buf_puts(&sql, " AND version = ?3");
	if (f->request_id)
		sp_buf_puts(&sql, " AND request_id = ?4");
	if (f->min_severity > SP_EVENT_TRACE)
		sp_buf_puts(&sql, " AND severity >= ?5");
	if (f->start_ms)
		sp_buf_puts(&sql, " AND time_ms >= ?6");
	if (f->end_ms)
		sp_buf_puts(&sql, " AND time_ms < ?7");
	if (f->before_id)
		sp_buf_puts(&sql, " AND id < ?8");
	if (f->oldest_first)
		sp_buf_puts(&sql, " AND id > ?9 ORDER BY id ASC");
	else
		sp_buf_puts(&sql, " ORDER BY id DESC");
	if ((rc = sp_buf_puts(&sql, " LIMIT ?10")))
		goto out;
	if ((rc = prepare(s, sp_buf_cstr(&sql), &st)))
		goto out;
	bind_text(st, 1, f->application);
	bind_text(st, 2, f->environment);
	bind_text(st, 3, f->version);
	bind_text(st, 4, f->request_id);
	sqlite3_bind_int(st, 5, (int)f->min_severity);
	sqlite3_bind_int64(st, 6, f->start_ms);
	sqlite3_bind_int64(st, 7, f->end_ms);
	sqlite3_bind_int64(st, 8, f->before_id);
	sqlite3_bind_int64(st, 9, f->after_id);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)limit);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct sp_event e;
		e.id = sqlite3_column_int64(st, 0);
		e.time_ms = sqlite3_column_int64(st, 1);
		e.severity = (enum sp_event_severity)sqlite3_column_int(st, 2);
		e.application = (char *)sqlite3_column_text(st, 3);
		e.environment = (char *)sqlite3_column_text(st, 4);
		e.version = (char *)sqlite3_column_text(st, 5);
		e.request_id = (char *)sqlite3_column_text(st, 6);
		e.message = (char *)sqlite3_column_text(st, 7);
		if (!e.message) {
			rc = SP_ENOMEM;
			goto out;
		}
		if ((rc = fn(arg, &e)))
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s);
out:
	sqlite3_finalize(st);
	sp_buf_free(&sql);
	return rc;
}

struct event_copy {
	struct sp_event *ev;
	size_t n;
};

static int event_copy_one(void *arg, const struct sp_event *e)
{
	struct event_copy *c = arg;
	struct sp_event *d = &c->ev[c->n++];
	bool oom = false;
	*d = *e;
	d->application = dup_or_null(e->application, &oom);
	d->environment = dup_or_null(e->environment, &oom);
	d->version = dup_or_null(e->version, &oom);
	d->request_id = dup_or_null(e->request_id, &oom);
	d->message = dup_or_null(e->message, &oom);
	return oom ? SP_ENOMEM : 0;
}

int sp_store_events_list(struct sp_store *s, const struct sp_event_filter *f, size_t limit,
			 struct sp_event **out, size_t *n)
{
	struct event_copy c = { NULL, 0 };
	if (limit == 0 || limit > SP_STORE_MAX_LIST)
		return SP_EINVAL;
	if (!(c.ev = calloc(limit, sizeof(*c.ev))))
		return SP_ENOMEM;
	int rc = sp_store_events_each(s, f, limit, event_copy_one, &c);
	if (rc) {
		sp_event_list_free(c.ev, c.n);
		return rc;
	}
	*out = c.ev;
	*n = c.n;
	return 0;
}

int sp_store_events_last_id(struct sp_store *s, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "SELECT coalesce(max(id), 0) FROM events", &st);
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = db_fail(s);
	sqlite3_finalize(st);
	return rc;
}

/* --- applications ---------------------------------------------------------------- */

void sp_app_free(struct sp_app *a)
{
	if (!a)
		return;
	free(a->name);
	free(a->description);
	memset(a, 0, sizeof(*a));
}

void sp_app_list_free(struct sp_app *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		sp_app_free(&a[i]);
	free(a);
}

#define APP_COLUMNS                                                                        \
	"id, name, description, created_ms, updated_ms, max_count_enabled, max_count,"     \
	" max_age_enabled, max_age_days"

static int app_from_row(sqlite3_stmt *st, struct sp_app *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->name = col_dup(st, 1);
	a->description = col_dup(st, 2);
	a->created_ms = sqlite3_column_int64(st, 3);
	a->updated_ms = sqlite3_column_int64(st, 4);
	a->lifecycle.max_count_enabled = sqlite3_column_int(st, 5) != 0;
	a->lifecycle.max_count = sqlite3_column_int64(st, 6);
	a->lifecycle.max_age_enabled = sqlite3_column_int(st, 7) != 0;
	a->lifecycle.max_age_days = sqlite3_column_int64(st, 8);
	if (!a->name || !a->description) {
		sp_app_free(a);
		return SP_ENOMEM;
	}
	return 0;
}

static int lifecycle_check(const struct sp_lifecycle *lc)
{
	if (lc && (lc->max_count < 1 || lc->max_count > SP_LIFECYCLE_MAX_COUNT ||
		   lc->max_age_days < 1 || lc->max_age_days > SP_LIFECYCLE_MAX_AGE_DAYS))
		return SP_EINVAL;
	return 0;
}

int sp_store_app_get(struct sp_store *s, const char *name, struct sp_app *out)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "SELECT " APP_COLUMNS ", (SELECT count(*) FROM environments e"
			    " WHERE e.app_id = a.id AND e.status <> 'Terminated')"
			    " FROM applications a WHERE name = ?", &st);
	if (rc)
		return rc;
	bind_text(st, 1, name);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		struct sp_app a;
		if (!(rc = app_from_row(st, &a))) {
			a.environments = sqlite3_column_int64(st, 9);
			*out = a;
		}
	} else {
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : db_fail(s);
	}
	sqlite3_finalize(st);
	return rc;
}

int sp_store_app_create(struct sp_store *s, const char *name, const char *description,
			const struct sp_lifecycle *lc, const char *request_id, struct sp_app *out)
{
	struct sp_lifecycle l = lc ? *lc : SP_LIFECYCLE_DEFAULT;
	sqlite3_stmt *st = NULL;
	int rc;
	char msg[256];
	if (sp_name_problem(name, SP_MAX_APP_NAME) || sp_description_problem(description) ||
	    lifecycle_check(&l))
		return SP_EINVAL;
	if ((rc = begin(s)))
		return rc;
	if ((rc = prepare(s, "INSERT INTO applications (name, description, created_ms,"
			     " updated_ms, max_count_enabled, max_count, max_age_enabled,"
			     " max_age_days) VALUES (?,?,?,?,?,?,?,?)", &st)))
		goto out;
	int64_t now = sp_now_ms();
	bind_text(st, 1, name);
	bind_text(st, 2, description ? description : "");
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int(st, 5, l.max_count_enabled);
	sqlite3_bind_int64(st, 6, l.max_count);
	sqlite3_bind_int(st, 7, l.max_age_enabled);
	sqlite3_bind_int64(st, 8, l.max_age_days);
	int step = sqlite3_step(st);
	if (step == SQLITE_CONSTRAINT_UNIQUE) {
		rc = SP_EEXISTS;
		goto out;
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(s);
		goto out;
	}
	snprintf(msg, sizeof(msg), "Created application %s.", name);
	if ((rc = sp_store_event_add(s, SP_EVENT_INFO, name, NULL, NULL, request_id, msg)))
		goto out;
	if ((rc = commit(s)))
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	return out ? sp_store_app_get(s, name, out) : 0;
out:
	sqlite3_finalize(st);
	rollback(s);
	return rc;
}

int sp_store_app_list(struct sp_store *s, int64_t after_id, size_t limit,
		      struct sp_app **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct sp_app *apps = NULL;
	size_t count = 0;
	int rc, step;
	if (limit == 0 || limit > SP_STORE_MAX_LIST)
		return SP_EINVAL;
	if ((rc = prepare(s, "SELECT " APP_COLUMNS " FROM applications WHERE id > ?"
			     " ORDER BY id LIMIT ?", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	if (!(apps = calloc(limit, sizeof(*apps)))) {
		rc = SP_ENOMEM;
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = app_from_row(st, &apps[count])))
			goto out;
		count++;
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(s);
		goto out;
	}
	*out = apps;
	*n = count;
	apps = NULL;
out:
	sp_app_list_free(apps, count);
	sqlite3_finalize(st);
	return rc;
}

int sp_store_app_update(struct sp_store *s, const char *name, const char *description,
			const struct sp_lifecycle *lc, const char *request_id,
			struct sp_app *out)
{
	sqlite3_stmt *st = NULL;
	int rc;
	char msg[256];
	if (sp_description_problem(description) || lifecycle_check(lc))
		return SP_EINVAL;
	if ((rc = begin(s)))
		return rc;
	if ((rc = prepare(s, "UPDATE applications SET"
			     " description = coalesce(?2, description),"
			     " max_count_enabled = coalesce(?3, max_count_enabled),"
			     " max_count = coalesce(?4, max_count),"
			     " max_age_enabled = coalesce(?5, max_age_enabled),"
			     " max_age_days = coalesce(?6, max_age_days),"
			     " updated_ms = ?7 WHERE name = ?1", &st)))
		goto out;
	bind_text(st, 1, name);
	bind_text(st, 2, description);
	if (lc) {
		sqlite3_bind_int(st, 3, lc->max_count_enabled);
		sqlite3_bind_int64(st, 4, lc->max_count);
		sqlite3_bind_int(st, 5, lc->max_age_enabled);
		sqlite3_bind_int64(st, 6, lc->max_age_days);
	}
	sqlite3_bind_int64(st, 7, sp_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_fail(s);
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		rc = SP_ENOTFOUND;
		goto out;
	}
	snprintf(msg, sizeof(msg), "Updated application %s.", name);
	if ((rc = sp_store_event_add(s, SP_EVENT_INFO, name, NULL, NULL, request_id, msg)) ||
	    (rc = commit(s)))
		goto out;
	sqlite3_finalize(st);
	return out ? sp_store_app_get(s, name, out) : 0;
out:
	sqlite3_finalize(st);
	rollback(s);
	return rc;
}

/* Deletes bundle rows nobody references any more, returning their SHA-256s. Runs inside
 * the caller's transaction. */
static int collect_orphan_bundles(struct sp_store *s, char ***orphans, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "DELETE FROM bundles WHERE NOT EXISTS (SELECT 1 FROM versions v"
			    " WHERE v.bundle_sha256 = bundles.sha256) RETURNING sha256", &st);
	int step;
	if (rc)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (orphans && (rc = strv_push(orphans, n,
					       (const char *)sqlite3_column_text(st, 0))))
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(s);
	sqlite3_finalize(st);
	return rc;
}

int sp_store_app_delete(struct sp_store *s, const char *name, const char *request_id,
			char ***orphans, size_t *n_orphans)
{
	sqlite3_stmt *st = NULL;
	char **orph = NULL;
	size_t norph = 0;
	int rc, step;
	char msg[256];
	if ((rc = begin(s)))
		return rc;
	if ((rc = prepare(s, "SELECT a.id, (SELECT count(*) FROM environments e"
			     " WHERE e.app_id = a.id) FROM applications a WHERE a.name = ?",
			  &st)))
		goto out;
	bind_text(st, 1, name);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : db_fail(s);
		goto out;
	}
	int64_t id = sqlite3_column_int64(st, 0);
	if (sqlite3_column_int64(st, 1) > 0) {
		rc = SP_EINUSE;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prepare(s, "DELETE FROM applications WHERE id = ?", &st)))
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_fail(s);
		goto out;
	}
	snprintf(msg, sizeof(msg), "Deleted application %s.", name);
	if ((rc = collect_orphan_bundles(s, &orph, &norph)) ||
	    (rc = sp_store_event_add(s, SP_EVENT_INFO, name, NULL, NULL, request_id, msg)) ||
	    (rc = commit(s)))
		goto out;
	if (orphans) {
		*orphans = orph;
		*n_orphans = norph;
		orph = NULL;
	}
out:
	sp_strv_free(orph, norph);
	sqlite3_finalize(st);
	rollback(s);
	return rc;
}

int sp_store_env_create(struct sp_store *s, const char *app, const char *env_name,
			const char *label)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "INSERT INTO environments (app_id, name, version_id, status,"
			    " created_ms, updated_ms) SELECT a.id, ?2,"
			    " (SELECT v.id FROM versions v WHERE v.app_id = a.id AND v.label = ?3),"
			    " 'Ready', ?4, ?4 FROM applications a WHERE a.name = ?1", &st);
	if (rc)
		return rc;
	bind_text(st, 1, app);
	bind_text(st, 2, env_name);
	bind_text(st, 3, label);
	sqlite3_bind_int64(st, 4, sp_now_ms());
	int step = sqlite3_step(st);
	if (step == SQLITE_CONSTRAINT_UNIQUE)
		rc = SP_EEXISTS;
	else if (step != SQLITE_DONE)
		rc = db_fail(s);
	else if (sqlite3_changes(s->db) == 0)
		rc = SP_ENOTFOUND;
	sqlite3_finalize(st);
	return rc;
}

/* --- versions ---------------------------------------------------------------------- */

static const char *const status_names[] = { "UNPROCESSED", "PROCESSING", "BUILDING",
					    "PROCESSED", "FAILED" };

const char *sp_version_status_name(enum sp_version_status st)
{
	return (unsigned)st <= SP_VERSION_FAILED ? status_names[st] : "UNPROCESSED";
}

static enum sp_version_status status_parse(const char *s)
{
	for (int i = 0; s && i <= SP_VERSION_FAILED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return (enum sp_version_status)i;
	return SP_VERSION_UNPROCESSED;
}

void sp_version_free(struct sp_version *v)
{
	if (!v)
		return;
	free(v->application);
	free(v->label);
	free(v->description);
	free(v->bundle_sha256);
	free(v->diagnostics);
	free(v->request_id);
	free(v->source);
	memset(v, 0, sizeof(*v));
}

void sp_version_list_free(struct sp_version *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		sp_version_free(&v[i]);
	free(v);
}

#define VERSION_COLUMNS                                                                    \
	"v.id, a.name, v.label, v.description, v.bundle_sha256, b.size, v.status,"         \
	" v.errors, v.warnings, v.request_id, v.created_ms, v.updated_ms,"                 \
	" EXISTS (SELECT 1 FROM environments e WHERE e.version_id = v.id"                  \
	" AND e.status <> 'Terminated'), v.source"
#define VERSION_FROM                                                                       \
	" FROM versions v JOIN applications a ON a.id = v.app_id"                          \
	" JOIN bundles b ON b.sha256 = v.bundle_sha256"

static int version_from_row(sqlite3_stmt *st, bool with_diags, struct sp_version *v)
{
	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(st, 0);
	v->application = col_dup(st, 1);
	v->label = col_dup(st, 2);
	v->description = col_dup(st, 3);
	v->bundle_sha256 = col_dup(st, 4);
	v->bundle_size = sqlite3_column_int64(st, 5);
	v->status = status_parse((const char *)sqlite3_column_text(st, 6));
	v->errors = sqlite3_column_int64(st, 7);
	v->warnings = sqlite3_column_int64(st, 8);
	v->request_id = col_dup(st, 9);
	v->created_ms = sqlite3_column_int64(st, 10);
	v->updated_ms = sqlite3_column_int64(st, 11);
	v->deployed = sqlite3_column_int(st, 12) != 0;
	v->source = col_dup(st, 13);
	if (with_diags)
		v->diagnostics = col_dup(st, 14);
	if (!v->application || !v->label || !v->description || !v->bundle_sha256 || !v->source ||
	    (with_diags && !v->diagnostics)) {
		sp_version_free(v);
		return SP_ENOMEM;
	}
	return 0;
}

int sp_store_version_get(struct sp_store *s, const char *app, const char *label,
			 bool with_diagnostics, struct sp_version *out)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "SELECT " VERSION_COLUMNS ", v.diagnostics" VERSION_FROM
			    " WHERE a.name = ? AND v.label = ?", &st);
	if (rc)
		return rc;
	bind_text(st, 1, app);
	bind_text(st, 2, label);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		struct sp_version v;
		if (!(rc = version_from_row(st, with_diagnostics, &v)))
			*out = v;
	} else {
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : db_fail(s);
	}
	sqlite3_finalize(st);
	return rc;
}

int sp_store_version_create(struct sp_store *s, const char *app, const char *label,
			    const char *description, const char *sha256, int64_t size,
			    const char *request_id, struct sp_version *out)
{
	return sp_store_version_create_from(s, app, label, description, sha256, size,
					    SP_VERSION_SOURCE_UPLOAD, request_id, out);
}

const char *sp_version_source_problem(const char *source)
{
	if (source && (strcmp(source, SP_VERSION_SOURCE_UPLOAD) == 0 ||
		       strcmp(source, SP_VERSION_SOURCE_CLI) == 0 ||
		       strcmp(source, SP_VERSION_SOURCE_CONSOLE) == 0 ||
		       strcmp(source, SP_VERSION_SOURCE_GIT) == 0))
		return NULL;
	return "must be \"upload\", \"cli\", \"console\" or \"git\"";
}

int sp_store_version_create_from(struct sp_store *s, const char *app, const char *label,
				 const char *description, const char *sha256, int64_t size,
				 const char *source, const char *request_id,
				 struct sp_version *out)
{
	sqlite3_stmt *st = NULL;
	int rc, step;
	char msg[512];
	if (sp_name_problem(label, SP_MAX_LABEL) || sp_description_problem(description) ||
	    !sha256 || strlen(sha256) != 64 || size < 0 || sp_version_source_problem(source))
		return SP_EINVAL;
	if ((rc = begin(s)))
		return rc;
	if ((rc = prepare(s, "INSERT INTO bundles (sha256, size, created_ms) VALUES (?,?,?)"
			     " ON CONFLICT (sha256) DO NOTHING", &st)))
		goto out;
	int64_t now = sp_now_ms();
	bind_text(st, 1, sha256);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_fail(s);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prepare(s, "INSERT INTO versions (app_id, label, description, bundle_sha256,"
			     " status, request_id, created_ms, updated_ms, source)"
			     " SELECT id, ?2, ?3, ?4, 'PROCESSING', ?5, ?6, ?6, ?7"
			     " FROM applications WHERE name = ?1", &st)))
		goto out;
	bind_text(st, 1, app);
	bind_text(st, 2, label);
	bind_text(st, 3, description ? description : "");
	bind_text(st, 4, sha256);
	bind_text(st, 5, request_id);
	sqlite3_bind_int64(st, 6, now);
	bind_text(st, 7, source);
	step = sqlite3_step(st);
	if (step == SQLITE_CONSTRAINT_UNIQUE) {
		rc = SP_EEXISTS;
		goto out;
	}
	if (step != SQLITE_DONE) {
		rc = db_fail(s);
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		rc = SP_ENOTFOUND;
		goto out;
	}
	snprintf(msg, sizeof(msg), "Created application version %s (bundle %.12s, %lld bytes);"
		 " processing.", label, sha256, (long long)size);
	if ((rc = sp_store_event_add(s, SP_EVENT_INFO, app, NULL, label, request_id, msg)) ||
	    (rc = commit(s)))
		goto out;
	sqlite3_finalize(st);
	return out ? sp_store_version_get(s, app, label, false, out) : 0;
out:
	sqlite3_finalize(st);
	rollback(s);
	return rc;
}

/* Fills v with pointers into the statement's current row (valid until the next step). */
static void version_lend_row(sqlite3_stmt *st, struct sp_version *v)
{
	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(st, 0);
	v->application = (char *)sqlite3_column_text(st, 1);
	v->label = (char *)sqlite3_column_text(st, 2);
	v->description = (char *)sqlite3_column_text(st, 3);
	v->bundle_sha256 = (char *)sqlite3_column_text(st, 4);
	v->bundle_size = sqlite3_column_int64(st, 5);
	v->status = status_parse((const char *)sqlite3_column_text(st, 6));
	v->errors = sqlite3_column_int64(st, 7);
	v->warnings = sqlite3_column_int64(st, 8);
	v->request_id = (char *)sqlite3_column_text(st, 9);
	v->created_ms = sqlite3_column_int64(st, 10);
	v->updated_ms = sqlite3_column_int64(st, 11);
	v->deployed = sqlite3_column_int(st, 12) != 0;
	v->source = (char *)sqlite3_column_text(st, 13);
}

int sp_store_version_each(struct sp_store *s, const char *app, int64_t before_id,
			  size_t limit, sp_version_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc, step;
	int64_t app_id;
	if (limit == 0 || limit > SP_STORE_MAX_LIST)
		return SP_EINVAL;
	if ((rc = prepare(s, "SELECT id FROM applications WHERE name = ?", &st)))
		return rc;
	bind_text(st, 1, app);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : db_fail(s);
		goto out;
	}
	app_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prepare(s, "SELECT " VERSION_COLUMNS VERSION_FROM
			     " WHERE v.app_id = ?1 AND v.id < ?2 ORDER BY v.id DESC LIMIT ?3",
			  &st)))
		goto out;
	sqlite3_bind_int64(st, 1, app_id);
	sqlite3_bind_int64(st, 2, before_id > 0 ? before_id : INT64_MAX);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct sp_version v;
		version_lend_row(st, &v);
		if ((rc = fn(arg, &v)))
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(s);
out:
	sqlite3_finalize(st);
	return rc;
}

struct version_copy {
	struct sp_version *vs;
	size_t n;
};

static char *dup_or_null(const char *p, bool *oom)
{
	if (!p)
		return NULL;
	char *d = sp_strdup(p);
	if (!d)
		*oom = true;
	return d;
}

static int version_copy_one(void *arg, const struct sp_version *v)
{
	struct version_copy *c = arg;
	struct sp_version *d = &c->vs[c->n++];
	bool oom = false;
	*d = *v;
	d->application = dup_or_null(v->application, &oom);
	d->label = dup_or_null(v->label, &oom);
	d->description = dup_or_null(v->description, &oom);
	d->bundle_sha256 = dup_or_null(v->bundle_sha256, &oom);
	d->request_id = dup_or_null(v->request_id, &oom);
	d->source = dup_or_null(v->source, &oom);
	d->diagnostics = NULL;
	return oom ? SP_ENOMEM : 0;
}

int sp_store_version_list(struct sp_store *s, const char *app, int64_t before_id,
			  size_t limit, struct sp_version **out, size_t *n)
{
	struct version_copy c = { NULL, 0 };
	if (limit == 0 || limit > SP_STORE_MAX_LIST)
		return SP_EINVAL;
	if (!(c.vs = calloc(limit, sizeof(*c.vs))))
		return SP_ENOMEM;
	int rc = sp_store_version_each(s, app, before_id, limit, version_copy_one, &c);
	if (rc) {
		sp_version_list_free(c.vs, c.n);
		return rc;
	}
	*out = c.vs;
	*n = c.n;
	return 0;
}

/* Deletes version `id` (named app/label for the event) inside the caller's transaction. */
static int version_delete_row(struct sp_store *s, int64_t id, const char *app,
			      const char *label, const char *request_id, const char *why)
{
	sqlite3_stmt *st = NULL;
	char msg[512];
	int rc = prepare(s, "DELETE FROM versions WHERE id = ?", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(s);
	sqlite3_finalize(st);
	if (rc)
		return rc;
	snprintf(msg, sizeof(msg), "Deleted application version %s%s.", label, why);
	return sp_store_event_add(s, SP_EVENT_INFO, app, NULL, label, request_id, msg);
}

int sp_store_version_delete(struct sp_store *s, const char *app, const char *label,
			    const char *request_id, char **orphan_sha)
{
	struct sp_version v = { 0 };
	char **orph = NULL;
	size_t norph = 0;
	int rc;
	if ((rc = begin(s)))
		return rc;
	if ((rc = sp_store_version_get(s, app, label, false, &v)))
		goto out;
	if (v.deployed) {
		rc = SP_EINUSE;
		goto out;
	}
	if ((rc = version_delete_row(s, v.id, app, label, request_id, "")) ||
	    (rc = collect_orphan_bundles(s, &orph, &norph)) || (rc = commit(s)))
		goto out;
	if (orphan_sha) {
		*orphan_sha = NULL;
		if (norph > 0) {
			*orphan_sha = orph[0];
			orph[0] = NULL;
		}
	}
out:
	sp_strv_free(orph, norph);
	sp_version_free(&v);
	rollback(s);
	return rc;
}

int sp_store_version_next_processing(struct sp_store *s, int64_t after_id,
				     struct sp_version *out)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "SELECT " VERSION_COLUMNS VERSION_FROM
			    " WHERE v.status = 'PROCESSING' AND v.id > ? ORDER BY v.id LIMIT 1",
			 &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, after_id);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		struct sp_version v;
		if (!(rc = version_from_row(st, false, &v)))
			*out = v;
	} else {
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : db_fail(s);
	}
	sqlite3_finalize(st);
	return rc;
}

int sp_store_version_finish(struct sp_store *s, int64_t id, enum sp_version_status status,
			    const char *diagnostics_json, int64_t errors, int64_t warnings)
{
	sqlite3_stmt *st = NULL;
	int rc, step;
	char msg[512];
	if (status != SP_VERSION_PROCESSED && status != SP_VERSION_FAILED)
		return SP_EINVAL;
	if ((rc = begin(s)))
		return rc;
	if ((rc = prepare(s, "UPDATE versions SET status = ?2, diagnostics = ?3, errors = ?4,"
			     " warnings = ?5, updated_ms = ?6"
			     " WHERE id = ?1 AND status = 'PROCESSING'"
			     " RETURNING label, request_id,"
			     " (SELECT name FROM applications a WHERE a.id = app_id)", &st)))
		goto out;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, sp_version_status_name(status));
	bind_text(st, 3, diagnostics_json ? diagnostics_json : "[]");
	sqlite3_bind_int64(st, 4, errors);
	sqlite3_bind_int64(st, 5, warnings);
	sqlite3_bind_int64(st, 6, sp_now_ms());
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : db_fail(s);
		goto out;
	}
	char *label = col_dup(st, 0), *req = col_dup(st, 1), *app = col_dup(st, 2);
	step = sqlite3_step(st); /* finish the RETURNING statement */
	if (!label || !app) {
		rc = SP_ENOMEM;
	} else {
		snprintf(msg, sizeof(msg),
			 "Finished processing application version %s %s.%s", label,
			 sp_version_status_name(status),
			 status == SP_VERSION_FAILED ? " See its diagnostics." : "");
		rc = sp_store_event_add(s,
					status == SP_VERSION_FAILED ? SP_EVENT_ERROR : SP_EVENT_INFO,
					app, NULL, label, req, msg);
	}
	free(label);
	free(req);
	free(app);
	if (rc)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = commit(s)))
		goto out;
out:
	sqlite3_finalize(st);
	rollback(s);
	return rc;
}

int sp_store_lifecycle_apply(struct sp_store *s, const char *app, int64_t keep_id,
			     int64_t now_ms, const char *request_id, size_t *deleted,
			     char ***orphans, size_t *n_orphans)
{
	struct sp_app a = { 0 };
	sqlite3_stmt *st = NULL;
	char **orph = NULL;
	size_t norph = 0, ndel = 0;
	int64_t ids[SP_STORE_LIFECYCLE_MAX_DELETE];
	char *labels[SP_STORE_LIFECYCLE_MAX_DELETE] = { 0 };
	int rc, step;
	if ((rc = begin(s)))
		return rc;
	if ((rc = sp_store_app_get(s, app, &a)))
		goto out;
	if (!a.lifecycle.max_count_enabled && !a.lifecycle.max_age_enabled)
		goto done;
	/* Candidates, oldest first: past the newest max_count (the kept version not
	 * counted) or older than max_age days; never deployed, never in PROCESSING. */
	if ((rc = prepare(s, "SELECT id, label FROM ("
			     "  SELECT v.id, v.label, v.created_ms, v.status,"
			     "   row_number() OVER (ORDER BY v.id DESC) AS rn"
			     "  FROM versions v WHERE v.app_id = ?1 AND v.id <> ?2) c"
			     " WHERE c.status <> 'PROCESSING'"
			     " AND NOT EXISTS (SELECT 1 FROM environments e WHERE"
			     "  e.version_id = c.id AND e.status <> 'Terminated')"
			     " AND ((?3 AND c.rn > ?4) OR (?5 AND c.created_ms < ?6))"
			     " ORDER BY c.id LIMIT ?7", &st)))
		goto out;
	sqlite3_bind_int64(st, 1, a.id);
	sqlite3_bind_int64(st, 2, keep_id);
	sqlite3_bind_int(st, 3, a.lifecycle.max_count_enabled);
	sqlite3_bind_int64(st, 4, a.lifecycle.max_count);
	sqlite3_bind_int(st, 5, a.lifecycle.max_age_enabled);
	sqlite3_bind_int64(st, 6, now_ms - a.lifecycle.max_age_days * 86400000LL);
	sqlite3_bind_int(st, 7, SP_STORE_LIFECYCLE_MAX_DELETE);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && ndel < SP_STORE_LIFECYCLE_MAX_DELETE) {
		ids[ndel] = sqlite3_column_int64(st, 0);
		if (!(labels[ndel] = col_dup(st, 1))) {
			rc = SP_ENOMEM;
			goto out;
		}
		ndel++;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW) {
		rc = db_fail(s);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < ndel; i++)
		if ((rc = version_delete_row(s, ids[i], app, labels[i], request_id,
					     " (application version lifecycle)")))
			goto out;
	if (ndel > 0 && (rc = collect_orphan_bundles(s, &orph, &norph)))
		goto out;
done:
	if ((rc = commit(s)))
		goto out;
	if (deleted)
		*deleted = ndel;
	if (orphans) {
		*orphans = orph;
		*n_orphans = norph;
		orph = NULL;
	}
out:
	for (size_t i = 0; i < ndel; i++)
		free(labels[i]);
	sp_strv_free(orph, norph);
	sqlite3_finalize(st);
	sp_app_free(&a);
	rollback(s);
	return rc;
}

int sp_store_bundle_known(struct sp_store *s, const char *sha256, bool *known)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "SELECT 1 FROM bundles WHERE sha256 = ?", &st);
	if (rc)
		return rc;
	bind_text(st, 1, sha256);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		*known = step == SQLITE_ROW;
	else
		rc = db_fail(s);
	sqlite3_finalize(st);
	return rc;
}
