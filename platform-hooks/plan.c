/* plan.c — the hook plans: for an application deployment, `files`, `commands`,
 * `container_commands` read from the .ebextensions documents and the .platform/hooks
 * scripts; for a configuration deployment, the .platform/confighooks scripts; checked
 * and put in Elastic Beanstalk's order (hooks.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/path.h"
#include "platform-hooks/hooks.h"
#include "engine/base/banned.h"

struct sp_hook_plan {
	struct sp_hook_step *steps;
	size_t n, cap;
	size_t deploy;
};

struct builder {
	const struct sp_hooks_input *in;
	enum sp_hook_deployment kind;
	struct sp_diags *d;
	struct sp_hook_plan *p;
	int rc;                /* SP_ENOMEM or SP_ETOOBIG once something failed */
	bool too_many_reported;
};

/* A step waiting to be sorted into the plan. */
struct pending {
	struct sp_hook_step step;
	size_t group;          /* container_commands: 0 leader-only, 1 the others */
	size_t config;         /* index of the config file */
};

struct pending_list {
	struct pending *items;
	size_t n, cap;
};

static const char *const stage_names[] = {
	"files", "commands", "prebuild", "container_commands", "predeploy", "deploy", "postdeploy",
};

const char *sp_hook_stage_name(enum sp_hook_stage s)
{
	return (size_t)s < sizeof(stage_names) / sizeof(stage_names[0]) ? stage_names[s] : "?";
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void step_free(struct sp_hook_step *s)
{
	free(s->name);
	free(s->origin);
	free(s->script);
	free(s->file.path);
	free(s->file.rel);
	free(s->file.owner);
	free(s->file.group);
	free(s->file.content);
	free(s->file.source);
	free(s->cmd.command);
	free_strv(s->cmd.argv, s->cmd.argc);
	free(s->cmd.cwd);
	free(s->cmd.test);
	free_strv(s->cmd.env, s->cmd.n_env);
	memset(s, 0, sizeof(*s));
}

void sp_hook_plan_free(struct sp_hook_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		step_free(&p->steps[i]);
	free(p->steps);
	free(p);
}

static void fail(struct builder *b, int rc)
{
	if (!b->rc)
		b->rc = rc;
}

static void report(struct builder *b, enum sp_severity sev, const char *code,
		   const struct sp_doc *doc, const struct sp_node *n, const char *hint,
		   const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void report(struct builder *b, enum sp_severity sev, const char *code,
		   const struct sp_doc *doc, const struct sp_node *n, const char *hint,
		   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (!b->d)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sp_diag_node(b->d, sev, code, doc, n, hint, "%s", msg);
}

/* A diagnostic about a script, named "<prefix><path>". */
static void report_script(struct builder *b, enum sp_severity sev, const char *code,
			  const char *path, int line, int column, const char *hint,
			  const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static void report_script(struct builder *b, enum sp_severity sev, const char *code,
			  const char *path, int line, int column, const char *hint,
			  const char *fmt, ...)
{
	va_list ap;
	if (!b->d)
		return;
	char *file = sp_aprintf("%s%s", b->in->script_prefix ? b->in->script_prefix : "", path);
	va_start(ap, fmt);
	sp_diag_vadd(b->d, sev, code, (struct sp_loc){ file ? file : path, line, column, "" },
		     hint, fmt, ap);
	va_end(ap);
	free(file);
}

static int push_step(struct builder *b, struct sp_hook_step *s)
{
	struct sp_hook_plan *p = b->p;
	if (p->n >= MAX_HOOK_STEPS) {
		if (!b->too_many_reported && b->d)
			sp_diag_add(b->d, SP_SEV_ERROR, "HOOK_TOO_MANY_STEPS",
				    (struct sp_loc){ s->origin, s->line, s->column, "" },
				    "run fewer commands and hooks, or combine them into one script",
				    "more than %d files, commands and hooks in one deployment",
				    MAX_HOOK_STEPS);
		b->too_many_reported = true;
		step_free(s);
		fail(b, SP_ETOOBIG);
		return SP_ETOOBIG;
	}
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 16;
		struct sp_hook_step *ns = realloc(p->steps, nc * sizeof(*ns));
		if (!ns) {
			step_free(s);
			fail(b, SP_ENOMEM);
			return SP_ENOMEM;
		}
		p->steps = ns;
		p->cap = nc;
	}
	p->steps[p->n++] = *s;
	memset(s, 0, sizeof(*s));
	return 0;
}

static int pending_push(struct builder *b, struct pending_list *l, struct pending *e)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct pending *ni = realloc(l->items, nc * sizeof(*ni));
		if (!ni) {
			step_free(&e->step);
			fail(b, SP_ENOMEM);
			return SP_ENOMEM;
		}
		l->items = ni;
		l->cap = nc;
	}
	l->items[l->n++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

static void pending_free(struct pending_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		step_free(&l->items[i].step);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Byte order of names (Python's sorted(), which EB uses), within group and config. */
static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->config != y->config)
		return x->config < y->config ? -1 : 1;
	return strcmp(x->step.name, y->step.name);
}

static void pending_flush(struct builder *b, struct pending_list *l)
{
	if (l->n)
		qsort(l->items, l->n, sizeof(*l->items), cmp_pending);
	for (size_t i = 0; i < l->n; i++)
		if (!b->rc)
			push_step(b, &l->items[i].step);
	pending_free(l);
}

/* ---- node helpers ---- */

static const char *scalar_text(const struct sp_node *n)
{
	if (!n || n->type == SP_NODE_NULL || !sp_node_is_scalar(n))
		return NULL;
	return n->text ? n->text : "";
}

static const char *key_text(const struct sp_node *k)
{
	return k && k->text ? k->text : "";
}

static char *dup_text(struct builder *b, const char *s)
{
	char *r = sp_strdup(s ? s : "");
	if (!r)
		fail(b, SP_ENOMEM);
	return r;
}

/* A boolean as EB's cfn-init reads it: true/false, or the strings "true"/"false". */
static int node_bool(const struct sp_node *n, bool *out)
{
	if (n->type == SP_NODE_BOOL) {
		*out = n->boolean;
		return 0;
	}
	if (n->type == SP_NODE_STRING && n->text) {
		if (strcasecmp(n->text, "true") == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(n->text, "false") == 0) {
			*out = false;
			return 0;
		}
	}
	return SP_EINVAL;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static bool env_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s == '=' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void key_unknown(struct builder *b, const struct sp_doc *doc, const struct sp_node *key,
			const char *code, const char *what, const char *const *known, size_t nk)
{
	const char *near = sp_suggest(key_text(key), known, nk);
	char hint[512];
	struct sp_buf list = SP_BUF_INIT(400);
	for (size_t i = 0; i < nk; i++)
		sp_buf_printf(&list, "%s%s", i ? ", " : "", known[i]);
	if (near)
		snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
	else
		snprintf(hint, sizeof(hint), "%s entries know: %s", what, sp_buf_cstr(&list));
	report(b, SP_SEV_WARNING, code, doc, key, hint,
	       "unknown key \"%s\" in a %s entry; Elastic Beanstalk ignores it", key_text(key),
	       what);
	sp_buf_free(&list);
}

/* ---- commands and container_commands ---- */

static const char *const command_keys[] = {
	"command", "cwd", "env", "test", "ignoreErrors", "leader_only",
};
#define N_COMMAND_KEYS (sizeof(command_keys) / sizeof(command_keys[0]))

static int command_text(struct builder *b, const struct sp_doc *doc, const char *section,
			const char *name, const struct sp_node *c, struct sp_hook_command *out)
{
	if (c->type == SP_NODE_SEQ) {
		if (c->n == 0) {
			report(b, SP_SEV_ERROR, "COMMAND_EMPTY", doc, c, "give the program and its arguments",
			       "%s \"%s\": the command list is empty", section, name);
			return SP_EINVAL;
		}
		if (c->n > MAX_HOOK_ARGV) {
			report(b, SP_SEV_ERROR, "COMMAND_LIMIT", doc, c, NULL,
			       "%s \"%s\": more than %d arguments (MAX_HOOK_ARGV)", section, name,
			       MAX_HOOK_ARGV);
			return SP_EINVAL;
		}
		for (size_t i = 0; i < c->n; i++)
			if (!scalar_text(c->items[i])) {
				report(b, SP_SEV_ERROR, "COMMAND_FIELD_TYPE", doc, c->items[i],
				       "each item of a list command is one argument (a string)",
				       "%s \"%s\": argument %zu is a %s, not a string", section, name, i,
				       sp_node_type_name(c->items[i]->type));
				return SP_EINVAL;
			}
		out->argv = calloc(c->n, sizeof(*out->argv));
		if (!out->argv) {
			fail(b, SP_ENOMEM);
			return SP_ENOMEM;
		}
		out->argc = c->n;
		for (size_t i = 0; i < c->n; i++)
			if (!(out->argv[i] = dup_text(b, scalar_text(c->items[i]))))
				return SP_ENOMEM;
		return 0;
	}
	const char *t = scalar_text(c);
	if (!t) {
		report(b, SP_SEV_ERROR, "COMMAND_FIELD_TYPE", doc, c,
		       "write the command as a string (run by a shell) or a list (program and arguments)",
		       "%s \"%s\": command is a %s", section, name, sp_node_type_name(c->type));
		return SP_EINVAL;
	}
	if (blank(t)) {
		report(b, SP_SEV_ERROR, "COMMAND_EMPTY", doc, c, "write the shell command to run",
		       "%s \"%s\": the command is empty", section, name);
		return SP_EINVAL;
	}
	out->command = dup_text(b, t);
	return out->command ? 0 : SP_ENOMEM;
}

static int command_env(struct builder *b, const struct sp_doc *doc, const char *section,
		       const char *name, const struct sp_node *e, struct sp_hook_command *out)
{
	int bad = 0;
	out->has_env = true;
	if (e->type == SP_NODE_NULL)
		return 0;
	if (e->type != SP_NODE_MAP) {
		report(b, SP_SEV_ERROR, "COMMAND_FIELD_TYPE", doc, e, "env: {NAME: value, ...}",
		       "%s \"%s\": env is a %s, not a map of names to values", section, name,
		       sp_node_type_name(e->type));
		return SP_EINVAL;
	}
	if (e->n > MAX_HOOK_ENV) {
		report(b, SP_SEV_ERROR, "COMMAND_LIMIT", doc, e, NULL,
		       "%s \"%s\": more than %d env entries (MAX_HOOK_ENV)", section, name, MAX_HOOK_ENV);
		return SP_EINVAL;
	}
	out->env = calloc(e->n + 1, sizeof(*out->env));
	if (!out->env) {
		fail(b, SP_ENOMEM);
		return SP_ENOMEM;
	}
	for (size_t i = 0; i < e->n; i++) {
		const char *k = key_text(e->keys[i]);
		const struct sp_node *v = e->items[i];
		const char *vt = v->type == SP_NODE_NULL ? "" : scalar_text(v);
		if (!env_name_ok(k)) {
			report(b, SP_SEV_ERROR, "COMMAND_ENV_NAME", doc, e->keys[i],
			       "use a name without '=' or control characters, e.g. APP_ENV",
			       "%s \"%s\": \"%s\" is not a valid environment variable name", section,
			       name, k);
			bad = 1;
			continue;
		}
		if (!vt) {
			report(b, SP_SEV_ERROR, "COMMAND_FIELD_TYPE", doc, v, "give each variable a string value",
			       "%s \"%s\": env %s is a %s, not a value", section, name, k,
			       sp_node_type_name(v->type));
			bad = 1;
			continue;
		}
		char *kv = sp_aprintf("%s=%s", k, vt);
		if (!kv) {
			fail(b, SP_ENOMEM);
			return SP_ENOMEM;
		}
		out->env[out->n_env++] = kv;
	}
	return bad ? SP_EINVAL : 0;
}

/* One entry of `commands` (container == false) or `container_commands`. On success the
 * step is filled (0); SP_EINVAL when it has an error (reported) or is not ours to report
 * (ebextensions says EBX_ENTRY_SHAPE). */
static int parse_command(struct builder *b, const struct sp_doc *doc, bool container,
			 const struct sp_node *key, const struct sp_node *e, struct sp_hook_step *s)
{
	const char *section = container ? "container_commands" : "commands";
	const char *name = key_text(key);
	int bad = 0;
	if (e->type != SP_NODE_MAP || !sp_node_get(e, "command"))
		return SP_EINVAL; /* EBX_ENTRY_SHAPE */
	s->stage = container ? SP_HOOK_STAGE_CONTAINER_COMMANDS : SP_HOOK_STAGE_COMMANDS;
	s->name = dup_text(b, name);
	s->origin = dup_text(b, sp_doc_file(doc));
	s->line = key->line;
	s->column = key->column;
	if (!s->name || !s->origin)
		return SP_ENOMEM;
	const struct sp_node *test_key = NULL;
	for (size_t i = 0; i < e->n; i++) {
		const struct sp_node *k = e->keys[i], *v = e->items[i];
		const char *kt = key_text(k);
		int rc = 0;
		if (strcmp(kt, "command") == 0) {
			rc = command_text(b, doc, section, name, v, &s->cmd);
		} else if (strcmp(kt, "cwd") == 0 || strcmp(kt, "test") == 0) {
			const char *t = scalar_text(v);
			if (v->type == SP_NODE_NULL)
				continue;
			if (!t) {
				report(b, SP_SEV_ERROR, "COMMAND_FIELD_TYPE", doc, v,
				       strcmp(kt, "cwd") == 0 ? "cwd: /path/to/folder"
							      : "test: a shell command; the command runs when it exits 0",
				       "%s \"%s\": %s is a %s, not a string", section, name, kt,
				       sp_node_type_name(v->type));
				rc = SP_EINVAL;
			} else if (strcmp(kt, "cwd") == 0) {
				rc = (s->cmd.cwd = dup_text(b, t)) ? 0 : SP_ENOMEM;
			} else {
				test_key = k;
				rc = (s->cmd.test = dup_text(b, t)) ? 0 : SP_ENOMEM;
			}
		} else if (strcmp(kt, "env") == 0) {
			rc = command_env(b, doc, section, name, v, &s->cmd);
		} else if (strcmp(kt, "ignoreErrors") == 0 || strcmp(kt, "leader_only") == 0) {
			bool val = false;
			if (v->type != SP_NODE_NULL && node_bool(v, &val) != 0) {
				report(b, SP_SEV_ERROR, "COMMAND_FIELD_TYPE", doc, v, "write true or false",
				       "%s \"%s\": %s is \"%s\", not true or false", section, name, kt,
				       scalar_text(v) ? scalar_text(v) : sp_node_type_name(v->type));
				rc = SP_EINVAL;
			} else if (kt[0] == 'i') {
				s->cmd.ignore_errors = val;
			} else if (!container) {
				report(b, SP_SEV_ERROR, "COMMAND_LEADER_ONLY_IN_COMMANDS", doc, k,
				       "move the entry to container_commands, where leader_only chooses one "
				       "instance; commands run on every instance",
				       "commands \"%s\": leader_only is only valid in container_commands",
				       name);
				rc = SP_EINVAL;
			} else {
				s->cmd.leader_only = val;
			}
		} else {
			key_unknown(b, doc, k, "COMMAND_KEY_UNKNOWN", section, command_keys,
				    container ? N_COMMAND_KEYS : N_COMMAND_KEYS - 1);
		}
		if (rc == SP_ENOMEM)
			return rc;
		bad |= rc != 0;
	}
	if (!bad && s->cmd.leader_only && s->cmd.test) {
		report(b, SP_SEV_WARNING, "COMMAND_LEADER_ONLY_WITH_TEST", doc, test_key,
		       "remove test, or leader_only: Elastic Beanstalk gives leader_only precedence",
		       "container_commands \"%s\": leader_only and test exclude each other; test is "
		       "ignored", name);
		free(s->cmd.test);
		s->cmd.test = NULL;
	}
	return bad ? SP_EINVAL : 0;
}

/* ---- files ---- */

static const char *const file_keys[] = {
	"content", "source", "encoding", "mode", "owner", "group", "authentication",
};
#define N_FILE_KEYS (sizeof(file_keys) / sizeof(file_keys[0]))

static int parse_mode(const char *t, unsigned *mode, bool *symlink)
{
	size_t n = strlen(t);
	unsigned v = 0;
	if (n < 1 || n > 6)
		return SP_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '7')
			return SP_EINVAL;
		v = v * 8 + (unsigned)(t[i] - '0');
	}
	*symlink = (v & 0170000) == 0120000;
	*mode = v & 0777; /* setuid, setgid and sticky are dropped on purpose */
	return 0;
}

static bool is_url(const char *s)
{
	return strstr(s, "://") != NULL;
}

static int file_source(struct builder *b, const struct sp_doc *doc, const char *path,
		       const struct sp_node *v, struct sp_hook_file *f)
{
	const char *t = scalar_text(v);
	const char *rel = t;
	struct sp_buf norm = SP_BUF_INIT(SP_PATH_MAX);
	int rc = SP_EINVAL;
	if (!t) {
		report(b, SP_SEV_ERROR, "FILES_FIELD_TYPE", doc, v, NULL,
		       "files \"%s\": source is a %s, not a string", path,
		       sp_node_type_name(v->type));
		goto out;
	}
	if (strncmp(t, "/var/app/staging/", 17) == 0)
		rel = t + 17;
	else if (strncmp(t, "/var/app/current/", 17) == 0)
		rel = t + 17;
	if (is_url(t) || rel[0] == '/' || !rel[0]) {
		report(b, SP_SEV_ERROR, "FILES_SOURCE_UNSUPPORTED", doc, v,
		       "put the file in the bundle and name it: source: /var/app/staging/<path in "
		       "the bundle> (or write it inline with content)",
		       "files \"%s\": source \"%s\" would be downloaded; sprout does not fetch "
		       "files from the network while deploying",
		       path, t);
		goto out;
	}
	if (sp_path_rel_normalize(rel, false, &norm) != 0 || !norm.len) {
		report(b, SP_SEV_ERROR, "FILES_SOURCE_UNSUPPORTED", doc, v,
		       "name a file of the bundle without \"..\"",
		       "files \"%s\": source \"%s\" is not a path inside the bundle", path, t);
		goto out;
	}
	if (b->in->bundle_has && !b->in->bundle_has(b->in->bundle_ctx, sp_buf_cstr(&norm))) {
		report(b, SP_SEV_ERROR, "FILES_SOURCE_MISSING", doc, v,
		       "add the file to the bundle, or fix the path (relative to the bundle's root)",
		       "files \"%s\": source \"%s\" is not a file of the bundle", path, t);
		goto out;
	}
	rc = (f->source = dup_text(b, sp_buf_cstr(&norm))) ? 0 : SP_ENOMEM;
out:
	sp_buf_free(&norm);
	return rc;
}

static int file_content(struct builder *b, const struct sp_doc *doc, const char *path,
			const struct sp_node *v, bool base64, struct sp_hook_file *f)
{
	struct sp_buf out = SP_BUF_INIT(MAX_HOOK_FILE_CONTENT);
	char *dump = NULL;
	const char *data = "";
	size_t len = 0;
	int rc = 0;
	if (v->type == SP_NODE_MAP || v->type == SP_NODE_SEQ) {
		/* cfn-init writes a structured content as JSON */
		json_t *j = sp_node_to_json(v);
		dump = j ? json_dumps(j, JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		if (!dump) {
			fail(b, SP_ENOMEM);
			return SP_ENOMEM;
		}
		data = dump;
		len = strlen(dump);
	} else if (v->type != SP_NODE_NULL) {
		data = v->text ? v->text : "";
		len = v->text ? v->text_len : 0;
	}
	if (base64) {
		rc = sp_hooks_base64_decode(data, len, &out);
		if (rc == SP_EINVAL)
			report(b, SP_SEV_ERROR, "FILES_BASE64_INVALID", doc, v,
			       "encode the file with `base64 -w0 FILE`, or remove encoding: base64",
			       "files \"%s\": content is not valid base64", path);
	} else {
		rc = sp_buf_append(&out, data, len);
	}
	if (rc == SP_ETOOBIG) {
		report(b, SP_SEV_ERROR, "FILES_CONTENT_TOO_LARGE", doc, v,
		       "ship large files in the bundle and use source: /var/app/staging/<path>",
		       "files \"%s\": content is larger than %zu bytes (MAX_HOOK_FILE_CONTENT)", path,
		       MAX_HOOK_FILE_CONTENT);
		rc = SP_EINVAL;
	} else if (rc == SP_ENOMEM) {
		fail(b, rc);
	}
	if (rc == 0) {
		f->content_len = out.len;
		f->content = out.data ? out.data : sp_strdup("");
		out.data = NULL;
		if (!f->content) {
			fail(b, SP_ENOMEM);
			rc = SP_ENOMEM;
		}
	}
	free(dump);
	sp_buf_free(&out);
	return rc;
}

static int parse_file(struct builder *b, const struct sp_doc *doc, const struct sp_node *key,
		      const struct sp_node *e, struct sp_hook_step *s)
{
	const char *path = key_text(key);
	struct sp_hook_file *f = &s->file;
	struct sp_buf norm = SP_BUF_INIT(SP_PATH_MAX);
	const struct sp_node *content = NULL, *source = NULL, *mode = NULL;
	bool base64 = false;
	int bad = 0, rc;
	if (e->type != SP_NODE_MAP)
		return SP_EINVAL; /* EBX_ENTRY_SHAPE */
	s->stage = SP_HOOK_STAGE_FILES;
	s->name = dup_text(b, path);
	s->origin = dup_text(b, sp_doc_file(doc));
	f->path = dup_text(b, path);
	s->line = key->line;
	s->column = key->column;
	f->mode = 0644;
	if (!s->name || !s->origin || !f->path)
		return SP_ENOMEM;
	if (path[0] != '/') {
		report(b, SP_SEV_ERROR, "FILES_PATH_RELATIVE", doc, key,
		       "write the absolute path on the instance, e.g. /etc/app/settings.conf; sprout "
		       "writes it inside the instance's root folder",
		       "files \"%s\": the path is not absolute", path);
		bad = 1;
	} else if ((rc = sp_path_rel_normalize(path + 1, false, &norm)) != 0 || !norm.len) {
		report(b, SP_SEV_ERROR, "FILES_PATH_UNSAFE", doc, key,
		       "write a plain absolute path without \"..\" or control characters",
		       "files \"%s\": the path cannot be written safely", path);
		bad = 1;
	} else if (!(f->rel = dup_text(b, sp_buf_cstr(&norm)))) {
		sp_buf_free(&norm);
		return SP_ENOMEM;
	}
	sp_buf_free(&norm);
	for (size_t i = 0; i < e->n; i++) {
		const struct sp_node *k = e->keys[i], *v = e->items[i];
		const char *kt = key_text(k);
		if (strcmp(kt, "content") == 0) {
			content = v;
		} else if (strcmp(kt, "source") == 0) {
			source = v;
		} else if (strcmp(kt, "mode") == 0) {
			mode = v;
		} else if (strcmp(kt, "encoding") == 0) {
			const char *t = scalar_text(v);
			if (t && strcmp(t, "base64") == 0) {
				base64 = true;
			} else if (!t || strcmp(t, "plain") != 0) {
				report(b, SP_SEV_ERROR, "FILES_ENCODING_INVALID", doc, v,
				       "write encoding: plain (the default) or encoding: base64",
				       "files \"%s\": encoding \"%s\" is neither plain nor base64", path,
				       t ? t : sp_node_type_name(v->type));
				bad = 1;
			}
		} else if (strcmp(kt, "owner") == 0 || strcmp(kt, "group") == 0) {
			const char *t = scalar_text(v);
			char **dst = kt[0] == 'o' ? &f->owner : &f->group;
			if (!t) {
				report(b, SP_SEV_ERROR, "FILES_FIELD_TYPE", doc, v, "write a user or group name",
				       "files \"%s\": %s is a %s, not a name", path, kt,
				       sp_node_type_name(v->type));
				bad = 1;
			} else if (!(*dst = dup_text(b, t))) {
				return SP_ENOMEM;
			}
		} else if (strcmp(kt, "authentication") == 0) {
			report(b, SP_SEV_WARNING, "FILES_AUTHENTICATION", doc, k,
			       "remove authentication; files come from the bundle or from content",
			       "files \"%s\": authentication (S3 credentials) is ignored", path);
		} else {
			key_unknown(b, doc, k, "FILES_KEY_UNKNOWN", "files", file_keys, N_FILE_KEYS);
		}
	}
	if (mode) {
		const char *t = scalar_text(mode);
		if (!t || parse_mode(t, &f->mode, &f->symlink) != 0) {
			report(b, SP_SEV_ERROR, "FILES_MODE_INVALID", doc, mode,
			       "write six octal digits in quotes: mode: \"000644\" (a file) or "
			       "mode: \"120000\" (a symlink to content)",
			       "files \"%s\": mode \"%s\" is not an octal mode", path,
			       t ? t : sp_node_type_name(mode->type));
			bad = 1;
		}
	}
	if (f->symlink && (!content || !scalar_text(content) || !*scalar_text(content))) {
		report(b, SP_SEV_ERROR, "FILES_SYMLINK_TARGET", doc, content ? content : key,
		       "with mode \"120000\" content is the link's target, e.g. content: /etc/app/current.conf",
		       "files \"%s\": a symlink needs its target in content", path);
		bad = 1;
	} else if (content && source) {
		report(b, SP_SEV_ERROR, "FILES_CONTENT_AND_SOURCE", doc, source,
		       "keep one of content (inline) and source (a bundle file)",
		       "files \"%s\": both content and source are given", path);
		bad = 1;
	} else if (!content && !source) {
		report(b, SP_SEV_ERROR, "FILES_NO_CONTENT", doc, key,
		       "add content: (the text of the file) or source: /var/app/staging/<bundle file>",
		       "files \"%s\": neither content nor source", path);
		bad = 1;
	} else if (source) {
		rc = file_source(b, doc, path, source, f);
		if (rc == SP_ENOMEM)
			return rc;
		bad |= rc != 0;
	} else {
		rc = file_content(b, doc, path, content, base64 && !f->symlink, f);
		if (rc == SP_ENOMEM)
			return rc;
		bad |= rc != 0;
	}
	return bad ? SP_EINVAL : 0;
}

/* ---- sections of one config file ---- */

static void parse_section(struct builder *b, const struct sp_doc *doc, size_t config,
			  const char *key, struct pending_list *l)
{
	const struct sp_node *root = sp_doc_root(doc);
	const struct sp_node *sec = sp_node_get(root, key);
	if (!sec || sec->type != SP_NODE_MAP)
		return; /* absent, or EBX_SECTION_TYPE */
	bool files = strcmp(key, "files") == 0;
	bool container = strcmp(key, "container_commands") == 0;
	for (size_t i = 0; i < sec->n && !b->rc; i++) {
		struct pending e = { .config = config };
		int rc = files ? parse_file(b, doc, sec->keys[i], sec->items[i], &e.step)
			       : parse_command(b, doc, container, sec->keys[i], sec->items[i],
					       &e.step);
		if (rc == SP_ENOMEM)
			fail(b, rc);
		if (rc != 0) {
			step_free(&e.step);
			continue;
		}
		e.group = container && !e.step.cmd.leader_only;
		pending_push(b, l, &e);
	}
}

/* ---- scripts ---- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static bool noise(const char *name)
{
	return name[0] == '.' || strncasecmp(name, "README", 6) == 0;
}

static void check_script(struct builder *b, const struct sp_hooks_script *sc)
{
	const char *h = sc->head;
	size_t n = sc->head_len;
	if (!h)
		return;
	if (n >= 4 && memcmp(h, "\x7f" "ELF", 4) == 0)
		return; /* a binary */
	if (n < 2 || h[0] != '#' || h[1] != '!') {
		report_script(b, SP_SEV_WARNING, "HOOK_NO_SHEBANG", sc->path, 1, 1,
			      "start the script with an interpreter line, e.g. #!/bin/sh",
			      "hook \"%s\" %s; it cannot be executed without an interpreter line "
			      "(\"exec format error\")",
			      sc->path, n ? "does not start with \"#!\"" : "is empty");
	}
	const char *cr = memchr(h, '\r', n);
	if (cr && (size_t)(cr - h) + 1 < n && cr[1] == '\n') {
		int line = 1;
		for (const char *p = h; p < cr; p++)
			line += *p == '\n';
		const char *ls = cr;
		while (ls > h && ls[-1] != '\n')
			ls--;
		char *hint = sp_aprintf("convert it to LF line endings: sed -i 's/\\r$//' %s (or "
					"dos2unix); in git, add \"*.sh text eol=lf\" to .gitattributes",
					sc->path);
		report_script(b, SP_SEV_WARNING, "HOOK_CRLF", sc->path, line, (int)(cr - ls) + 1, hint,
			      "hook \"%s\" has Windows (CRLF) line endings; %s", sc->path,
			      line == 1 ? "the interpreter line ends in a carriage return and fails "
					  "with \"bad interpreter: ...^M\""
					: "the shell reads a carriage return at the end of each line "
					  "(\"$'\\r': command not found\")");
		free(hint);
	}
}

static int stage_of(const char *s, enum sp_hook_stage *out)
{
	if (strcmp(s, "prebuild") == 0)
		*out = SP_HOOK_STAGE_PREBUILD;
	else if (strcmp(s, "predeploy") == 0)
		*out = SP_HOOK_STAGE_PREDEPLOY;
	else if (strcmp(s, "postdeploy") == 0)
		*out = SP_HOOK_STAGE_POSTDEPLOY;
	else
		return SP_EINVAL;
	return 0;
}

/* The scripts of one stage, by file name: .platform/hooks/<stage>/ for the application
 * plan, .platform/confighooks/<stage>/ for the configuration plan. */
static void add_scripts(struct builder *b, enum sp_hook_stage stage)
{
	struct pending_list l = { 0 };
	bool config = b->kind == SP_HOOK_CONFIG_DEPLOYMENT;
	for (size_t i = 0; i < b->in->n_scripts && !b->rc; i++) {
		const struct sp_hooks_script *sc = &b->in->scripts[i];
		enum sp_hook_stage st;
		if (sc->confighook != config || !sc->stage || stage_of(sc->stage, &st) != 0 ||
		    st != stage || noise(base_name(sc->path)))
			continue;
		struct pending e = { 0 };
		e.step.stage = stage;
		e.step.name = dup_text(b, base_name(sc->path));
		e.step.origin = dup_text(b, sc->path);
		e.step.script = dup_text(b, sc->path);
		if (b->rc) {
			step_free(&e.step);
			break;
		}
		pending_push(b, &l, &e);
	}
	pending_flush(b, &l);
}

/* The application plan checks every script (it is what `sprout validate` reports) and
 * notes the confighooks it leaves out; the configuration plan checks its own scripts. */
static void scripts_checks(struct builder *b)
{
	bool config = b->kind == SP_HOOK_CONFIG_DEPLOYMENT;
	for (size_t i = 0; i < b->in->n_scripts; i++) {
		const struct sp_hooks_script *sc = &b->in->scripts[i];
		enum sp_hook_stage st;
		if (noise(base_name(sc->path)) || (config && !sc->confighook))
			continue;
		if (sc->confighook && !config) {
			report_script(b, SP_SEV_NOTE, "HOOK_CONFIGHOOK", sc->path, 0, 0,
				      "put what must run on every application deployment in "
				      ".platform/hooks; keep in .platform/confighooks what a "
				      "configuration change needs",
				      "\"%s\" runs only on configuration deployments (option settings "
				      "changed, same version), not on application deployments",
				      sc->path);
		}
		if (sc->stage && stage_of(sc->stage, &st) == 0)
			check_script(b, sc);
	}
}

/* The deploy marker: the steps before it run before the task is deployed. */
static void add_deploy_marker(struct builder *b)
{
	struct sp_hook_step dep = { .stage = SP_HOOK_STAGE_DEPLOY, .name = sp_strdup("deploy") };
	if (!dep.name)
		fail(b, SP_ENOMEM);
	else if (push_step(b, &dep) == 0)
		b->p->deploy = b->p->n - 1;
}

/* Elastic Beanstalk's configuration deployment: confighooks prebuild, predeploy, the
 * deployment, postdeploy; no .ebextensions step and no .platform/hooks. */
static void build_config_plan(struct builder *b)
{
	add_scripts(b, SP_HOOK_STAGE_PREBUILD);
	if (!b->rc)
		add_scripts(b, SP_HOOK_STAGE_PREDEPLOY);
	if (!b->rc)
		add_deploy_marker(b);
	if (!b->rc)
		add_scripts(b, SP_HOOK_STAGE_POSTDEPLOY);
}

static int plan_build(const struct sp_hooks_input *in, enum sp_hook_deployment kind,
		      struct sp_diags *d, struct sp_hook_plan **out)
{
	struct builder b = { .in = in, .d = d, .kind = kind };
	struct pending_list l = { 0 };
	b.p = calloc(1, sizeof(*b.p));
	if (!b.p)
		return SP_ENOMEM;

	scripts_checks(&b);
	if (kind == SP_HOOK_CONFIG_DEPLOYMENT) {
		build_config_plan(&b);
		goto done;
	}
	/* 1. per config file: files, then commands */
	for (size_t c = 0; c < in->n_configs && !b.rc; c++) {
		parse_section(&b, in->configs[c].doc, c, "files", &l);
		pending_flush(&b, &l);
		parse_section(&b, in->configs[c].doc, c, "commands", &l);
		pending_flush(&b, &l);
	}
	/* 2. prebuild */
	if (!b.rc)
		add_scripts(&b, SP_HOOK_STAGE_PREBUILD);
	/* 3. container_commands, leader-only first */
	for (size_t c = 0; c < in->n_configs && !b.rc; c++)
		parse_section(&b, in->configs[c].doc, c, "container_commands", &l);
	pending_flush(&b, &l);
	/* 4. predeploy */
	if (!b.rc)
		add_scripts(&b, SP_HOOK_STAGE_PREDEPLOY);
	/* 5. the deployment itself */
	if (!b.rc)
		add_deploy_marker(&b);
	/* 6. postdeploy */
	if (!b.rc)
		add_scripts(&b, SP_HOOK_STAGE_POSTDEPLOY);

done:
	pending_free(&l);
	if (b.rc) {
		sp_hook_plan_free(b.p);
		return b.rc;
	}
	*out = b.p;
	return 0;
}

int sp_hook_plan_build(const struct sp_hooks_input *in, struct sp_diags *d,
		       struct sp_hook_plan **out)
{
	return plan_build(in, SP_HOOK_APP_DEPLOYMENT, d, out);
}

int sp_hook_plan_build_for(const struct sp_hooks_input *in, enum sp_hook_deployment kind,
			   struct sp_diags *d, struct sp_hook_plan **out)
{
	if (kind != SP_HOOK_APP_DEPLOYMENT && kind != SP_HOOK_CONFIG_DEPLOYMENT)
		return SP_EINVAL;
	return plan_build(in, kind, d, out);
}

int sp_hooks_check(const struct sp_hooks_input *in, struct sp_diags *d)
{
	struct sp_hook_plan *p = NULL;
	int rc = sp_hook_plan_build(in, d, &p);
	sp_hook_plan_free(p);
	return rc == SP_ENOMEM ? rc : 0;
}

size_t sp_hook_plan_count(const struct sp_hook_plan *p)
{
	return p ? p->n : 0;
}

const struct sp_hook_step *sp_hook_plan_step(const struct sp_hook_plan *p, size_t i)
{
	return p && i < p->n ? &p->steps[i] : NULL;
}

size_t sp_hook_plan_deploy_index(const struct sp_hook_plan *p)
{
	return p ? p->deploy : 0;
}

bool sp_hook_step_runs(const struct sp_hook_step *s)
{
	return s->stage != SP_HOOK_STAGE_FILES && s->stage != SP_HOOK_STAGE_DEPLOY;
}

static json_t *strv_json(char **v, size_t n, bool names_only)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		const char *eq = names_only ? strchr(v[i], '=') : NULL;
		json_array_append_new(a, eq ? json_stringn(v[i], (size_t)(eq - v[i]))
					    : json_string(v[i]));
	}
	return a;
}

json_t *sp_hook_plan_to_json(const struct sp_hook_plan *p)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && p && i < p->n; i++) {
		const struct sp_hook_step *s = &p->steps[i];
		json_t *o = json_pack("{s:s, s:s}", "stage", sp_hook_stage_name(s->stage), "name",
				      s->name ? s->name : "");
		if (!o)
			goto fail;
		if (s->origin) {
			json_object_set_new(o, "origin", json_string(s->origin));
			if (s->line) {
				json_object_set_new(o, "line", json_integer(s->line));
				json_object_set_new(o, "column", json_integer(s->column));
			}
		}
		if (s->stage == SP_HOOK_STAGE_FILES) {
			char mode[16];
			snprintf(mode, sizeof(mode), "%s%04o", s->file.symlink ? "12" : "00", s->file.mode);
			json_object_set_new(o, "path", json_string(s->file.path));
			json_object_set_new(o, "mode", json_string(mode));
			json_object_set_new(o, "symlink", json_boolean(s->file.symlink));
			if (s->file.owner)
				json_object_set_new(o, "owner", json_string(s->file.owner));
			if (s->file.group)
				json_object_set_new(o, "group", json_string(s->file.group));
			if (s->file.source)
				json_object_set_new(o, "source", json_string(s->file.source));
			else
				json_object_set_new(o, "bytes", json_integer((json_int_t)s->file.content_len));
		} else if (s->stage == SP_HOOK_STAGE_COMMANDS ||
			   s->stage == SP_HOOK_STAGE_CONTAINER_COMMANDS) {
			if (s->cmd.command)
				json_object_set_new(o, "command", json_string(s->cmd.command));
			else
				json_object_set_new(o, "argv", strv_json(s->cmd.argv, s->cmd.argc, false));
			if (s->cmd.cwd)
				json_object_set_new(o, "cwd", json_string(s->cmd.cwd));
			if (s->cmd.test)
				json_object_set_new(o, "test", json_string(s->cmd.test));
			if (s->cmd.has_env)
				json_object_set_new(o, "env", strv_json(s->cmd.env, s->cmd.n_env, true));
			json_object_set_new(o, "ignoreErrors", json_boolean(s->cmd.ignore_errors));
			if (s->stage == SP_HOOK_STAGE_CONTAINER_COMMANDS)
				json_object_set_new(o, "leaderOnly", json_boolean(s->cmd.leader_only));
		} else if (s->script) {
			json_object_set_new(o, "script", json_string(s->script));
		}
		if (json_array_append_new(arr, o) != 0)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* Only the flags that change what runs where: leader_only (one instance), test (may be
 * skipped), ignoreErrors (a failure does not stop the deployment). */
static int put_command_flags(struct sp_buf *out, const struct sp_hook_command *c)
{
	const char *flags[3];
	size_t n = 0;
	int rc = 0;
	if (c->leader_only)
		flags[n++] = "leader_only";
	if (c->test)
		flags[n++] = "test";
	if (c->ignore_errors)
		flags[n++] = "ignoreErrors";
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = sp_buf_printf(out, "%s%s", i ? ", " : "  ", flags[i]);
	return rc;
}

static int put_step(struct sp_buf *out, const struct sp_hook_step *s)
{
	const char *stage = sp_hook_stage_name(s->stage);
	int rc;
	if (s->stage == SP_HOOK_STAGE_DEPLOY)
		return sp_buf_printf(out, "    %s the task\n", stage);
	rc = sp_buf_printf(out, "    %s %s", stage, s->script ? s->script : s->name);
	if (rc == 0 && (s->stage == SP_HOOK_STAGE_COMMANDS ||
			s->stage == SP_HOOK_STAGE_CONTAINER_COMMANDS))
		rc = put_command_flags(out, &s->cmd);
	/* a script is its own origin; a .ebextensions entry is named by file and line */
	if (rc == 0 && s->origin && !s->script)
		rc = s->line ? sp_buf_printf(out, "  (%s:%d)", s->origin, s->line)
			     : sp_buf_printf(out, "  (%s)", s->origin);
	return rc == 0 ? sp_buf_putc(out, '\n') : rc;
}

int sp_hook_plan_render_text(const struct sp_hook_plan *p, const char *title,
			     struct sp_buf *out)
{
	size_t before = out->len;
	int rc;
	if (!p || p->n <= 1) /* nothing but the deploy marker */
		return sp_buf_printf(out, "  %s deploy only\n", title);
	rc = sp_buf_printf(out, "  %s\n", title);
	for (size_t i = 0; i < p->n && rc == 0; i++)
		rc = put_step(out, &p->steps[i]);
	if (rc != 0 && out->data) { /* no half section */
		out->len = before;
		out->data[before] = '\0';
	}
	return rc;
}
