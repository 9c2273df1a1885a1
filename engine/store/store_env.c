/* store_env.c — environments, instances and deployments (store_env.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/store/store_env.h"
#include "engine/store/store_internal.h"
#include "engine/base/banned.h"

static const char *const env_status_names[] = { "Launching", "Updating", "Ready", "Terminating",
						"Terminated" };
static const char *const kind_names[] = { "launch", "deploy", "configure", "restart", "rollback",
					  "terminate" };

const char *sp_env_status_name(enum sp_env_status s)
{
	return (unsigned)s <= SP_ENV_TERMINATED ? env_status_names[s] : "Ready";
}

const char *sp_deploy_kind_name(enum sp_deploy_kind k)
{
	return (unsigned)k <= SP_DEPLOY_TERMINATE ? kind_names[k] : "deploy";
}

static int status_parse(const char *s)
{
	for (int i = 0; i <= SP_ENV_TERMINATED; i++)
		if (s && strcmp(s, env_status_names[i]) == 0)
			return i;
	return SP_ENV_READY;
}

static int kind_parse(const char *s)
{
	for (int i = 0; i <= SP_DEPLOY_TERMINATE; i++)
		if (s && strcmp(s, kind_names[i]) == 0)
			return i;
	return SP_DEPLOY_VERSION;
}

static const char *dns_label_problem(const char *s, size_t min, size_t max, const char *what)
{
	size_t n = s ? strlen(s) : 0;
	(void)what;
	if (n < min || n > max)
		return min == 4 && max == 40 ? "must be 4 to 40 characters long"
					     : "must be 4 to 63 characters long";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return "may hold only letters, digits and hyphens";
	}
	if (s[0] == '-' || s[n - 1] == '-')
		return "may not start or end with a hyphen";
	return NULL;
}

const char *sp_env_name_problem(const char *name)
{
	return dns_label_problem(name, SP_MIN_ENV_NAME, SP_MAX_ENV_NAME, "name");
}

const char *sp_cname_prefix_problem(const char *prefix)
{
	return dns_label_problem(prefix, 4, SP_MAX_CNAME_PREFIX, "cname");
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

static int prepare(struct sp_store *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(sp_store_sqlite(s), sql, -1, st, NULL) != SQLITE_OK)
		return sp_store_fail(s);
	return 0;
}

static int exec_sql(struct sp_store *s, const char *sql)
{
	if (sqlite3_exec(sp_store_sqlite(s), sql, NULL, NULL, NULL) != SQLITE_OK)
		return sp_store_fail(s);
	return 0;
}

static void rollback(struct sp_store *s)
{
	if (!sqlite3_get_autocommit(sp_store_sqlite(s)))
		sqlite3_exec(sp_store_sqlite(s), "ROLLBACK", NULL, NULL, NULL);
}

static int random_alnum(char *out, size_t n)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[32];
	if (n > sizeof(raw))
		return SP_EINVAL;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SP_EIO;
	ssize_t got = read(fd, raw, n);
	close(fd);
	if (got != (ssize_t)n)
		return SP_EIO;
	for (size_t i = 0; i < n; i++)
		out[i] = alpha[raw[i] % 36];
	out[n] = '\0';
	return 0;
}

/* --- environments ------------------------------------------------------------------- */

void sp_env_free(struct sp_env *e)
{
	if (!e)
		return;
	free(e->env_id);
	free(e->application);
	free(e->name);
	free(e->cname_prefix);
	free(e->description);
	free(e->health);
	free(e->causes);
	free(e->version);
	free(e->last_good_version);
	free(e->options);
	free(e->driver);
	free(e->family);
	free(e->spec_taskdef);
	free(e->spec_plan);
	free(e->plan_summary);
	free(e->observation);
	memset(e, 0, sizeof(*e));
}

void sp_env_list_free(struct sp_env *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++)
		sp_env_free(&e[i]);
	free(e);
}

#define ENV_COLUMNS                                                                         \
	"e.id, e.env_id, a.name, e.name, e.cname_prefix, e.description, e.status, e.health,"  \
	" e.causes, (SELECT label FROM versions WHERE id = e.version_id),"                     \
	" (SELECT label FROM versions WHERE id = e.last_good_version_id), e.options,"          \
	" e.driver, e.family, e.revision, e.instances, e.spec_taskdef, e.spec_plan,"            \
	" e.plan_summary, e.observation, e.abort_requested, e.created_ms, e.updated_ms"

static int env_row(sqlite3_stmt *st, struct sp_env *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	e->env_id = col_dup(st, 1);
	e->application = col_dup(st, 2);
	e->name = col_dup(st, 3);
	e->cname_prefix = col_dup(st, 4);
	e->description = col_dup(st, 5);
	e->status = (enum sp_env_status)status_parse((const char *)sqlite3_column_text(st, 6));
	e->health = col_dup(st, 7);
	e->causes = col_dup(st, 8);
	e->version = col_dup(st, 9);
	e->last_good_version = col_dup(st, 10);
	e->options = col_dup(st, 11);
	e->driver = col_dup(st, 12);
	e->family = col_dup(st, 13);
	e->revision = sqlite3_column_int64(st, 14);
	e->instances = sqlite3_column_int64(st, 15);
	e->spec_taskdef = col_dup(st, 16);
	e->spec_plan = col_dup(st, 17);
	e->plan_summary = col_dup(st, 18);
	e->observation = col_dup(st, 19);
	e->abort_requested = sqlite3_column_int(st, 20) != 0;
	e->created_ms = sqlite3_column_int64(st, 21);
	e->updated_ms = sqlite3_column_int64(st, 22);
	if (!e->env_id || !e->application || !e->name || !e->health || !e->causes ||
	    !e->options || !e->driver || !e->description) {
		sp_env_free(e);
		return SP_ENOMEM;
	}
	return 0;
}

static int env_query_one(struct sp_store *s, const char *where, const char *name, int64_t row,
			 struct sp_env *out)
{
	sqlite3_stmt *st = NULL;
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT " ENV_COLUMNS " FROM environments e JOIN applications a ON a.id = e.app_id"
		 " WHERE %s", where);
	int rc = prepare(s, sql, &st);
	if (rc)
		return rc;
	if (name)
		bind_text(st, 1, name);
	else
		sqlite3_bind_int64(st, 1, row);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = env_row(st, out);
	else
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : sp_store_fail(s);
	sqlite3_finalize(st);
	return rc;
}

int sp_store_env_get(struct sp_store *s, const char *name, struct sp_env *out)
{
	return env_query_one(s, "e.name = ?1", name, 0, out);
}

int sp_store_env_get_by_row(struct sp_store *s, int64_t row, struct sp_env *out)
{
	return env_query_one(s, "e.id = ?1", NULL, row, out);
}

/* Steps st to its end, reading each row into a grown array of size-byte items with
 * from_row. On success *out (for the caller to free with free_list) and *n; on failure what
 * was read is freed with free_list. */
static int read_rows(struct sp_store *s, sqlite3_stmt *st, size_t size,
		     int (*from_row)(sqlite3_stmt *, void *), void (*free_list)(void *, size_t),
		     void **out, size_t *n)
{
	char *v = NULL;
	size_t k = 0;
	int rc = 0, step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		char *nv = realloc(v, (k + 1) * size);
		if (!nv) {
			rc = SP_ENOMEM;
			goto out;
		}
		v = nv;
		if ((rc = from_row(st, v + k * size)))
			goto out;
		k++;
	}
	if (step != SQLITE_DONE) {
		rc = sp_store_fail(s);
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
	k = 0;
out:
	free_list(v, k);
	return rc;
}

static int env_item(sqlite3_stmt *st, void *item)
{
	return env_row(st, item);
}

static void env_items_free(void *items, size_t n)
{
	sp_env_list_free(items, n);
}

int sp_store_env_list(struct sp_store *s, const char *app, struct sp_env **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "SELECT " ENV_COLUMNS " FROM environments e JOIN applications a"
			    " ON a.id = e.app_id WHERE ?1 IS NULL OR a.name = ?1 ORDER BY e.id"
			    " LIMIT 1000", &st);
	if (rc)
		return rc;
	bind_text(st, 1, app);
	void *items = NULL;
	if (!(rc = read_rows(s, st, sizeof(struct sp_env), env_item, env_items_free, &items, n)))
		*out = items;
	sqlite3_finalize(st);
	return rc;
}

static int add_event(struct sp_store *s, enum sp_event_severity sev, const char *app,
		     const char *env, const char *version, const char *request_id,
		     const char *msg)
{
	return sp_store_event_add(s, sev, app, env, version, request_id, msg);
}

static int insert_deployment(struct sp_store *s, int64_t env_row, enum sp_deploy_kind kind,
			     const char *version, const char *request_id, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "INSERT INTO deployments (env_row, kind, version, request_id,"
			    " created_ms) VALUES (?1, ?2, ?3, ?4, ?5)", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, env_row);
	bind_text(st, 2, sp_deploy_kind_name(kind));
	bind_text(st, 3, version);
	bind_text(st, 4, request_id);
	sqlite3_bind_int64(st, 5, sp_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sp_store_fail(s);
	else if (id)
		*id = sqlite3_last_insert_rowid(sp_store_sqlite(s));
	sqlite3_finalize(st);
	return rc;
}

int sp_store_env_insert(struct sp_store *s, const struct sp_env_new *in, const char *request_id,
			const char **which, struct sp_env *out)
{
	sqlite3_stmt *st = NULL;
	char eid[16] = "e-", rnd[11], cname[SP_MAX_CNAME_PREFIX + 1];
	const char *w = NULL;
	int64_t app_id = 0, ver_id = 0, row = 0;
	int rc, step;
	if (!in || !in->application || !in->name || sp_env_name_problem(in->name) ||
	    (in->cname_prefix && sp_cname_prefix_problem(in->cname_prefix)))
		return SP_EINVAL;
	if ((rc = random_alnum(rnd, 10)))
		return rc;
	memcpy(eid + 2, rnd, 11);
	if (in->cname_prefix)
		snprintf(cname, sizeof(cname), "%s", in->cname_prefix);
	else {
		if ((rc = random_alnum(rnd, 10)))
			return rc;
		snprintf(cname, sizeof(cname), "%.40s-%s", in->name, rnd);
	}
	if ((rc = exec_sql(s, "BEGIN IMMEDIATE")))
		return rc;
	if ((rc = prepare(s, "SELECT id FROM applications WHERE name = ?1", &st)))
		goto out;
	bind_text(st, 1, in->application);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : sp_store_fail(s);
		w = "application";
		goto out;
	}
	app_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (in->version) {
		if ((rc = prepare(s, "SELECT id FROM versions WHERE app_id = ?1 AND label = ?2", &st)))
			goto out;
		sqlite3_bind_int64(st, 1, app_id);
		bind_text(st, 2, in->version);
		step = sqlite3_step(st);
		if (step != SQLITE_ROW) {
			rc = step == SQLITE_DONE ? SP_ENOTFOUND : sp_store_fail(s);
			w = "version";
			goto out;
		}
		ver_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((rc = prepare(s, "SELECT (SELECT count(*) FROM environments WHERE name = ?1),"
			     " (SELECT count(*) FROM environments WHERE cname_prefix = ?2)", &st)))
		goto out;
	bind_text(st, 1, in->name);
	bind_text(st, 2, cname);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = sp_store_fail(s);
		goto out;
	}
	if (sqlite3_column_int64(st, 0) || sqlite3_column_int64(st, 1)) {
		w = sqlite3_column_int64(st, 0) ? "name" : "cname";
		rc = SP_EEXISTS;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prepare(s, "INSERT INTO environments (app_id, name, version_id, status,"
			     " created_ms, updated_ms, env_id, cname_prefix, description, options,"
			     " driver) VALUES (?1, ?2, NULL, 'Launching', ?3, ?3, ?4, ?5, ?6, ?7, ?8)",
			  &st)))
		goto out;
	sqlite3_bind_int64(st, 1, app_id);
	bind_text(st, 2, in->name);
	sqlite3_bind_int64(st, 3, sp_now_ms());
	bind_text(st, 4, eid);
	bind_text(st, 5, cname);
	bind_text(st, 6, in->description ? in->description : "");
	bind_text(st, 7, in->options ? in->options : "[]");
	bind_text(st, 8, in->driver ? in->driver : "local");
	step = sqlite3_step(st);
	if (step != SQLITE_DONE) {
		rc = (step & 0xff) == SQLITE_CONSTRAINT ? SP_EEXISTS : sp_store_fail(s);
		w = "name";
		goto out;
	}
	row = sqlite3_last_insert_rowid(sp_store_sqlite(s));
	(void)ver_id;
	if ((rc = insert_deployment(s, row, SP_DEPLOY_LAUNCH, in->version, request_id, NULL)) ||
	    (rc = add_event(s, SP_EVENT_INFO, in->application, in->name, in->version, request_id,
			    "createEnvironment is starting.")) ||
	    (rc = exec_sql(s, "COMMIT")))
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	rc = sp_store_env_get_by_row(s, row, out);
out:
	if (rc && which)
		*which = w;
	sqlite3_finalize(st);
	rollback(s);
	return rc;
}

static int env_set_version_by_label(struct sp_store *s, int64_t row, const char *column,
				    const char *label)
{
	sqlite3_stmt *st = NULL;
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "UPDATE environments SET %s = (SELECT v.id FROM versions v WHERE v.app_id ="
		 " environments.app_id AND v.label = ?2) WHERE id = ?1", column);
	int rc = prepare(s, sql, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, row);
	bind_text(st, 2, label);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sp_store_fail(s);
	sqlite3_finalize(st);
	return rc;
}

int sp_store_env_update(struct sp_store *s, int64_t row, const struct sp_env_update *u)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if ((rc = prepare(s, "UPDATE environments SET"
			     " status = coalesce(?2, status), health = coalesce(?3, health),"
			     " causes = coalesce(?4, causes), family = coalesce(?5, family),"
			     " revision = CASE WHEN ?6 < 0 THEN revision ELSE ?6 END,"
			     " spec_taskdef = coalesce(?7, spec_taskdef),"
			     " spec_plan = coalesce(?8, spec_plan),"
			     " plan_summary = coalesce(?9, plan_summary),"
			     " observation = coalesce(?10, observation),"
			     " abort_requested = CASE WHEN ?11 THEN 0 ELSE abort_requested END,"
			     " updated_ms = ?12 WHERE id = ?1", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, row);
	bind_text(st, 2, u->status >= 0 ? sp_env_status_name((enum sp_env_status)u->status) : NULL);
	bind_text(st, 3, u->health);
	bind_text(st, 4, u->causes);
	bind_text(st, 5, u->family);
	sqlite3_bind_int64(st, 6, u->revision);
	bind_text(st, 7, u->spec_taskdef);
	bind_text(st, 8, u->spec_plan);
	bind_text(st, 9, u->plan_summary);
	bind_text(st, 10, u->observation);
	sqlite3_bind_int(st, 11, u->clear_abort);
	sqlite3_bind_int64(st, 12, sp_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sp_store_fail(s);
	sqlite3_finalize(st);
	if (!rc && u->version)
		rc = env_set_version_by_label(s, row, "version_id", u->version);
	if (!rc && u->last_good_version)
		rc = env_set_version_by_label(s, row, "last_good_version_id", u->last_good_version);
	return rc;
}

int sp_store_env_request(struct sp_store *s, const char *name, enum sp_deploy_kind kind,
			 const char *version, const char *options, int64_t instances,
			 const char *request_id, const char **which, struct sp_deployment *out)
{
	struct sp_env e = { 0 };
	sqlite3_stmt *st = NULL;
	const char *w = NULL;
	int64_t dep = 0;
	int rc;
	if ((rc = exec_sql(s, "BEGIN IMMEDIATE")))
		return rc;
	if ((rc = sp_store_env_get(s, name, &e))) {
		w = "environment";
		goto out;
	}
	if (kind == SP_DEPLOY_TERMINATE ? e.status == SP_ENV_TERMINATING : e.status != SP_ENV_READY) {
		rc = SP_EINUSE;
		goto out;
	}
	if (version) {
		if ((rc = prepare(s, "SELECT 1 FROM versions v JOIN applications a ON a.id = v.app_id"
				     " WHERE a.name = ?1 AND v.label = ?2", &st)))
			goto out;
		bind_text(st, 1, e.application);
		bind_text(st, 2, version);
		int step = sqlite3_step(st);
		if (step != SQLITE_ROW) {
			rc = step == SQLITE_DONE ? SP_ENOTFOUND : sp_store_fail(s);
			w = "version";
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((rc = prepare(s, "UPDATE environments SET status = ?2, options = coalesce(?3, options),"
			     " instances = CASE WHEN ?4 < 0 THEN instances ELSE ?4 END,"
			     " abort_requested = 0, updated_ms = ?5 WHERE id = ?1", &st)))
		goto out;
	sqlite3_bind_int64(st, 1, e.id);
	bind_text(st, 2, kind == SP_DEPLOY_TERMINATE ? "Terminating" : "Updating");
	bind_text(st, 3, options);
	sqlite3_bind_int64(st, 4, instances);
	sqlite3_bind_int64(st, 5, sp_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = sp_store_fail(s);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* A terminate cancels what was still waiting. */
	if (kind == SP_DEPLOY_TERMINATE) {
		if ((rc = prepare(s, "UPDATE deployments SET status = 'Aborted', end_ms = ?2,"
				     " cause = 'the environment is being terminated'"
				     " WHERE env_row = ?1 AND status = 'Pending'", &st)))
			goto out;
		sqlite3_bind_int64(st, 1, e.id);
		sqlite3_bind_int64(st, 2, sp_now_ms());
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = sp_store_fail(s);
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	const char *msg = kind == SP_DEPLOY_TERMINATE ? "terminateEnvironment is starting."
			  : kind == SP_DEPLOY_RESTART ? "restartAppServer is starting."
						      : "Environment update is starting.";
	if ((rc = insert_deployment(s, e.id, kind, version, request_id, &dep)) ||
	    (rc = add_event(s, SP_EVENT_INFO, e.application, e.name, version, request_id, msg)) ||
	    (rc = exec_sql(s, "COMMIT")))
		goto out;
	if (out) {
		struct sp_deployment *list = NULL;
		size_t n = 0;
		if ((rc = sp_store_deployments_list(s, name, 1, &list, &n)))
			goto out;
		if (n == 1) {
			*out = list[0];
			free(list);
		} else {
			sp_deployment_list_free(list, n);
			rc = SP_ENOTFOUND;
		}
	}
out:
	if (rc && which)
		*which = w;
	sqlite3_finalize(st);
	rollback(s);
	sp_env_free(&e);
	return rc;
}

int sp_store_env_abort(struct sp_store *s, const char *name, const char *request_id)
{
	struct sp_env e = { 0 };
	sqlite3_stmt *st = NULL;
	int rc = sp_store_env_get(s, name, &e);
	if (rc)
		return rc;
	if (e.status != SP_ENV_UPDATING) {
		rc = SP_EINVAL;
		goto out;
	}
	if ((rc = prepare(s, "UPDATE environments SET abort_requested = 1 WHERE id = ?1", &st)))
		goto out;
	sqlite3_bind_int64(st, 1, e.id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sp_store_fail(s);
	else
		rc = add_event(s, SP_EVENT_INFO, e.application, e.name, NULL, request_id,
			       "abortEnvironmentUpdate is starting.");
out:
	sqlite3_finalize(st);
	sp_env_free(&e);
	return rc;
}

/* --- deployments ---------------------------------------------------------------------- */

void sp_deployment_free(struct sp_deployment *d)
{
	if (!d)
		return;
	free(d->environment);
	free(d->application);
	free(d->version);
	free(d->policy);
	free(d->status);
	free(d->cause);
	free(d->request_id);
	memset(d, 0, sizeof(*d));
}

void sp_deployment_list_free(struct sp_deployment *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		sp_deployment_free(&d[i]);
	free(d);
}

#define DEP_COLUMNS                                                                         \
	"d.id, d.env_row, e.name, a.name, d.kind, d.version, d.policy, d.status, d.cause,"   \
	" d.request_id, d.created_ms, d.start_ms, d.end_ms"
#define DEP_FROM                                                                            \
	" FROM deployments d JOIN environments e ON e.id = d.env_row"                         \
	" JOIN applications a ON a.id = e.app_id"

static int dep_row(sqlite3_stmt *st, struct sp_deployment *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(st, 0);
	d->env_row = sqlite3_column_int64(st, 1);
	d->environment = col_dup(st, 2);
	d->application = col_dup(st, 3);
	d->kind = (enum sp_deploy_kind)kind_parse((const char *)sqlite3_column_text(st, 4));
	d->version = col_dup(st, 5);
	d->policy = col_dup(st, 6);
	d->status = col_dup(st, 7);
	d->cause = col_dup(st, 8);
	d->request_id = col_dup(st, 9);
	d->created_ms = sqlite3_column_int64(st, 10);
	d->start_ms = sqlite3_column_int64(st, 11);
	d->end_ms = sqlite3_column_int64(st, 12);
	if (!d->environment || !d->application || !d->status) {
		sp_deployment_free(d);
		return SP_ENOMEM;
	}
	return 0;
}

static int dep_item(sqlite3_stmt *st, void *item)
{
	return dep_row(st, item);
}

static void dep_items_free(void *items, size_t n)
{
	sp_deployment_list_free(items, n);
}

int sp_store_deploy_next(struct sp_store *s, struct sp_deployment *out)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "SELECT " DEP_COLUMNS DEP_FROM
			    " WHERE d.status IN ('Pending','InProgress') ORDER BY d.id LIMIT 1", &st);
	if (rc)
		return rc;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = dep_row(st, out);
	else
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : sp_store_fail(s);
	sqlite3_finalize(st);
	return rc;
}

static int dep_exec(struct sp_store *s, const char *sql, int64_t id, const char *a, const char *b)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, sql, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, a);
	bind_text(st, 3, b);
	sqlite3_bind_int64(st, 4, sp_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sp_store_fail(s);
	else if (sqlite3_changes(sp_store_sqlite(s)) == 0)
		rc = SP_ENOTFOUND;
	sqlite3_finalize(st);
	return rc;
}

int sp_store_deploy_begin(struct sp_store *s, int64_t id, const char *policy)
{
	return dep_exec(s, "UPDATE deployments SET status = 'InProgress', policy = ?2,"
			   " start_ms = CASE WHEN start_ms = 0 THEN ?4 ELSE start_ms END"
			   " WHERE id = ?1 AND ?3 IS NULL", id, policy, NULL);
}

int sp_store_deploy_end(struct sp_store *s, int64_t id, const char *status, const char *cause)
{
	if (!status || (strcmp(status, "Succeeded") && strcmp(status, "Failed") &&
			strcmp(status, "Aborted")))
		return SP_EINVAL;
	return dep_exec(s, "UPDATE deployments SET status = ?2, cause = ?3, end_ms = ?4"
			   " WHERE id = ?1", id, status, cause);
}

int sp_store_deploy_queue(struct sp_store *s, int64_t env_row, enum sp_deploy_kind kind,
			  const char *version, const char *request_id, int64_t *id)
{
	return insert_deployment(s, env_row, kind, version, request_id, id);
}

int sp_store_deployments_list(struct sp_store *s, const char *env, size_t limit,
			      struct sp_deployment **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	if (limit == 0 || limit > SP_STORE_MAX_LIST)
		limit = SP_STORE_MAX_LIST;
	int rc = prepare(s, "SELECT " DEP_COLUMNS DEP_FROM " WHERE e.name = ?1"
			    " ORDER BY d.id DESC LIMIT ?2", &st);
	if (rc)
		return rc;
	bind_text(st, 1, env);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	void *items = NULL;
	if (!(rc = read_rows(s, st, sizeof(struct sp_deployment), dep_item, dep_items_free, &items,
			     n)))
		*out = items;
	sqlite3_finalize(st);
	return rc;
}

/* --- instances ------------------------------------------------------------------------ */

int sp_store_env_set_instances(struct sp_store *s, int64_t row, const struct sp_env_instance *v,
			       size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if ((rc = exec_sql(s, "BEGIN IMMEDIATE")))
		return rc;
	if ((rc = prepare(s, "DELETE FROM env_instances WHERE env_row = ?1", &st)))
		goto out;
	sqlite3_bind_int64(st, 1, row);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = sp_store_fail(s);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prepare(s, "INSERT OR REPLACE INTO env_instances (env_row, instance_id, address,"
			     " health, task_state, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, row);
		bind_text(st, 2, v[i].id);
		bind_text(st, 3, v[i].address);
		bind_text(st, 4, v[i].health ? v[i].health : "Grey");
		bind_text(st, 5, v[i].task_state);
		sqlite3_bind_int64(st, 6, sp_now_ms());
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = sp_store_fail(s);
			goto out;
		}
	}
	rc = exec_sql(s, "COMMIT");
out:
	sqlite3_finalize(st);
	rollback(s);
	return rc;
}

/* --- terminated environments ---------------------------------------------------------- */

/* Runs sql with ?1 = a and, when it has a second parameter, ?2 = b. */
static int exec_bound(struct sp_store *s, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, sql, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sp_store_fail(s);
	sqlite3_finalize(st);
	return rc;
}

int sp_store_env_terminated(struct sp_store *s, int64_t row, int64_t now_ms)
{
	int rc;
	if (now_ms <= 0)
		now_ms = sp_now_ms();
	if ((rc = exec_sql(s, "BEGIN IMMEDIATE")))
		return rc;
	if ((rc = exec_bound(s, "INSERT INTO terminated_environments (env_id, application, name,"
				" cname_prefix, description, version, driver, family, revision,"
				" created_ms, terminated_ms)"
				" SELECT coalesce(e.env_id, ''), a.name, e.name, e.cname_prefix,"
				" e.description, (SELECT label FROM versions WHERE id = e.version_id),"
				" e.driver, e.family, e.revision, e.created_ms, ?2"
				" FROM environments e JOIN applications a ON a.id = e.app_id"
				" WHERE e.id = ?1", row, now_ms)))
		goto out;
	if (sqlite3_changes(sp_store_sqlite(s)) == 0) {
		rc = SP_ENOTFOUND;
		goto out;
	}
	if (!(rc = exec_bound(s, "DELETE FROM environments WHERE id = ?1", row, 0)) &&
	    !(rc = exec_bound(s, "DELETE FROM terminated_environments WHERE terminated_ms < ?1",
			      now_ms - SP_STORE_TERMINATED_KEEP_MS, 0)))
		rc = exec_sql(s, "COMMIT");
out:
	rollback(s); /* nothing to undo after the COMMIT */
	return rc;
}

/* A snapshot read in the columns of ENV_COLUMNS, so env_row reads it. */
#define TERMINATED_COLUMNS                                                                  \
	"t.id, t.env_id, t.application, t.name, t.cname_prefix, t.description, 'Terminated',"  \
	" 'Grey', '[]', t.version, NULL, '[]', t.driver, t.family, t.revision, 0, NULL, NULL,"  \
	" NULL, NULL, 0, t.created_ms, t.terminated_ms"

int sp_store_env_get_terminated(struct sp_store *s, const char *name, int64_t now_ms,
				struct sp_env *out)
{
	sqlite3_stmt *st = NULL;
	if (!name || !out)
		return SP_EINVAL;
	if (now_ms <= 0)
		now_ms = sp_now_ms();
	int rc = prepare(s, "SELECT " TERMINATED_COLUMNS " FROM terminated_environments t"
			    " WHERE t.name = ?1 AND t.terminated_ms >= ?2"
			    " ORDER BY t.terminated_ms DESC, t.id DESC LIMIT 1", &st);
	if (rc)
		return rc;
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, now_ms - SP_STORE_TERMINATED_KEEP_MS);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = env_row(st, out);
	else
		rc = step == SQLITE_DONE ? SP_ENOTFOUND : sp_store_fail(s);
	sqlite3_finalize(st);
	return rc;
}

int sp_store_env_list_terminated(struct sp_store *s, const char *app, int64_t now_ms,
				 struct sp_env **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	if (!out || !n)
		return SP_EINVAL;
	if (now_ms <= 0)
		now_ms = sp_now_ms();
	int rc = prepare(s, "SELECT " TERMINATED_COLUMNS " FROM terminated_environments t"
			    " WHERE (?1 IS NULL OR t.application = ?1) AND t.terminated_ms >= ?2"
			    " ORDER BY t.terminated_ms DESC, t.id DESC LIMIT 1000", &st);
	if (rc)
		return rc;
	bind_text(st, 1, app);
	sqlite3_bind_int64(st, 2, now_ms - SP_STORE_TERMINATED_KEEP_MS);
	void *items = NULL;
	if (!(rc = read_rows(s, st, sizeof(struct sp_env), env_item, env_items_free, &items, n)))
		*out = items;
	sqlite3_finalize(st);
	return rc;
}
