/* project.c — config.yml as a mutable tree: read through doc.h, written with libyaml's
 * emitter (the one PyYAML, and so the EB CLI, writes with). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "engine/project/project.h"
#include "engine/base/doc.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

/* One node of the tree. Scalars keep their doc.h type and whether they were quoted, so
 * they are written back as they were read. */
struct ynode {
	enum ykind kind;
	enum sp_node_type type; /* scalars */
	char *text;             /* scalars: never NULL */
	bool quoted;
	char *tag;
	size_t n, cap;
	struct ynode **keys;    /* maps: scalar nodes */
	struct ynode **items;
};

struct sp_project {
	char *root;
	bool exists;
	struct ynode *tree;     /* config.yml: always a map */
	struct ynode *global;   /* config.global.yml, read-only; may be NULL */
};

static void ynode_free(struct ynode *y)
{
	if (!y)
		return;
	for (size_t i = 0; i < y->n; i++) {
		if (y->keys)
			ynode_free(y->keys[i]);
		ynode_free(y->items[i]);
	}
	free(y->keys);
	free(y->items);
	free(y->text);
	free(y->tag);
	free(y);
}

static struct ynode *ynode_new(enum ykind kind)
{
	struct ynode *y = calloc(1, sizeof(*y));
	if (y)
		y->kind = kind;
	return y;
}

static struct ynode *scalar_new(const char *text, enum sp_node_type type, bool quoted)
{
	struct ynode *y = ynode_new(Y_SCALAR);
	if (!y)
		return NULL;
	y->type = type;
	y->quoted = quoted;
	if (!(y->text = sp_strdup(text))) {
		free(y);
		return NULL;
	}
	return y;
}

static int ynode_reserve(struct ynode *y)
{
	if (y->n < y->cap)
		return 0;
	size_t cap = y->cap ? y->cap * 2 : 8;
	struct ynode **items = realloc(y->items, cap * sizeof(*items));
	if (!items)
		return SP_ENOMEM;
	y->items = items;
	if (y->kind == Y_MAP) {
		struct ynode **keys = realloc(y->keys, cap * sizeof(*keys));
		if (!keys)
			return SP_ENOMEM;
		y->keys = keys;
	}
	y->cap = cap;
	return 0;
}

static struct ynode *from_node(const struct sp_node *n)
{
	struct ynode *y;
	if (n->type == SP_NODE_SEQ || n->type == SP_NODE_MAP) {
		y = ynode_new(n->type == SP_NODE_MAP ? Y_MAP : Y_SEQ);
		if (!y)
			return NULL;
		for (size_t i = 0; i < n->n; i++) {
			if (ynode_reserve(y))
				goto fail;
			struct ynode *item = from_node(n->items[i]), *key = NULL;
			if (item && y->kind == Y_MAP && !(key = from_node(n->keys[i]))) {
				ynode_free(item);
				item = NULL;
			}
			if (!item)
				goto fail;
			if (y->kind == Y_MAP)
				y->keys[y->n] = key;
			y->items[y->n++] = item;
		}
	} else {
		y = scalar_new(n->text ? n->text : "", n->type, n->quoted);
		if (!y)
			return NULL;
	}
	if (n->tag && !(y->tag = sp_strdup(n->tag)))
		goto fail;
	return y;
fail:
	ynode_free(y);
	return NULL;
}

static struct ynode *map_get(const struct ynode *m, const char *key, size_t *index)
{
	if (!m || m->kind != Y_MAP)
		return NULL;
	for (size_t i = m->n; i-- > 0;) {
		if (strcmp(m->keys[i]->text, key) == 0) {
			if (index)
				*index = i;
			return m->items[i];
		}
	}
	return NULL;
}

/* --- loading ---------------------------------------------------------------------------- */

static int tree_from_doc(struct sp_doc *doc, struct sp_diags *d, struct ynode **out)
{
	const struct sp_node *root = sp_doc_root(doc);
	if (root->type == SP_NODE_NULL) {
		*out = ynode_new(Y_MAP);
		return *out ? 0 : SP_ENOMEM;
	}
	if (root->type != SP_NODE_MAP) {
		sp_diag_node(d, SP_SEV_ERROR, "PROJECT_CONFIG_INVALID", doc, root,
			     "config.yml holds sections such as `global:` and `branch-defaults:`",
			     "the file must be a mapping of sections, not a %s",
			     sp_node_type_name(root->type));
		return SP_ERROR;
	}
	*out = from_node(root);
	return *out ? 0 : SP_ENOMEM;
}

static int parse_text(const char *text, size_t len, const char *name, struct sp_diags *d,
		      struct ynode **out)
{
	struct sp_doc *doc = NULL;
	struct sp_doc_limits lim = SP_DOC_LIMITS_DEFAULT;
	lim.max_input = MAX_PROJECT_CONFIG;
	int rc = sp_doc_load(text, len, name, SP_DOC_YAML, &lim, d, &doc);
	if (rc)
		return rc == SP_ENOMEM ? rc : SP_ERROR;
	rc = tree_from_doc(doc, d, out);
	sp_doc_free(doc);
	return rc;
}

int sp_project_parse(const char *text, size_t len, const char *name, struct sp_diags *d,
		     struct sp_project **out)
{
	struct sp_project *p = calloc(1, sizeof(*p));
	if (!p)
		return SP_ENOMEM;
	int rc = parse_text(text, len, name ? name : SP_PROJECT_CONFIG, d, &p->tree);
	if (rc) {
		sp_project_free(p);
		return rc;
	}
	p->exists = true;
	*out = p;
	return 0;
}

/* Reads root/rel into *tree; *found false (and *tree an empty map or NULL) when absent. */
static int load_one(const char *root, const char *rel, struct sp_diags *d, bool *found,
		    struct ynode **tree)
{
	struct sp_buf path = SP_BUF_INIT(PATH_MAX), text = SP_BUF_INIT(MAX_PROJECT_CONFIG);
	int rc = sp_buf_printf(&path, "%s/%s", root, rel);
	*found = false;
	if (rc)
		goto out;
	rc = sp_read_file(sp_buf_cstr(&path), MAX_PROJECT_CONFIG, &text);
	if (rc == SP_EIO && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc == SP_ETOOBIG) {
		sp_diag_add(d, SP_SEV_ERROR, "DOC_TOO_LARGE", (struct sp_loc){ rel, 0, 0, "" }, NULL,
			    "the file is larger than %zu bytes", MAX_PROJECT_CONFIG);
		rc = SP_ERROR;
		goto out;
	}
	if (rc) {
		sp_diag_add(d, SP_SEV_ERROR, "DOC_READ_FAILED", (struct sp_loc){ rel, 0, 0, "" }, NULL,
			    "cannot read the file: %s", strerror(errno));
		goto out;
	}
	*found = true;
	rc = parse_text(sp_buf_cstr(&text), text.len, rel, d, tree);
out:
	sp_buf_free(&path);
	sp_buf_free(&text);
	return rc;
}

int sp_project_load(const char *root, struct sp_diags *d, struct sp_project **out)
{
	struct sp_project *p = calloc(1, sizeof(*p));
	bool found;
	int rc = SP_ENOMEM;
	if (!p || !(p->root = sp_strdup(root)))
		goto fail;
	if ((rc = load_one(root, SP_PROJECT_CONFIG, d, &p->exists, &p->tree)))
		goto fail;
	rc = SP_ENOMEM;
	if (!p->tree && !(p->tree = ynode_new(Y_MAP)))
		goto fail;
	if ((rc = load_one(root, SP_PROJECT_GLOBAL_CONFIG, d, &found, &p->global)))
		goto fail;
	*out = p;
	return 0;
fail:
	sp_project_free(p);
	return rc;
}

void sp_project_free(struct sp_project *p)
{
	if (!p)
		return;
	ynode_free(p->tree);
	ynode_free(p->global);
	free(p->root);
	free(p);
}

const char *sp_project_root(const struct sp_project *p)
{
	return p->root;
}

bool sp_project_exists(const struct sp_project *p)
{
	return p->exists;
}

int sp_project_find(const char *start, struct sp_buf *root)
{
	char *dir = realpath(start, NULL);
	struct sp_buf probe = SP_BUF_INIT(PATH_MAX);
	int rc = SP_ENOTFOUND;
	if (!dir)
		return errno == ENOMEM ? SP_ENOMEM : SP_EIO;
	for (;;) {
		struct stat st;
		sp_buf_reset(&probe);
		if (sp_buf_printf(&probe, "%s/%s", strcmp(dir, "/") ? dir : "", SP_PROJECT_CONFIG)) {
			rc = SP_ETOOBIG;
			break;
		}
		if (stat(sp_buf_cstr(&probe), &st) == 0 && S_ISREG(st.st_mode)) {
			sp_buf_reset(root);
			rc = sp_buf_puts(root, dir);
			break;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || strcmp(dir, "/") == 0)
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	sp_buf_free(&probe);
	free(dir);
	return rc;
}

/* --- lookups ------------------------------------------------------------------------------ */

static const struct ynode *tree_lookup(const struct ynode *t, const char *const *path,
				       size_t depth)
{
	const struct ynode *y = t;
	for (size_t i = 0; y && i < depth; i++)
		y = map_get(y, path[i], NULL);
	return y;
}

static const char *scalar_value(const struct ynode *y)
{
	if (!y || y->kind != Y_SCALAR || (y->type == SP_NODE_NULL && !y->quoted))
		return NULL;
	return y->text;
}

const char *sp_project_get(const struct sp_project *p, const char *const *path, size_t depth)
{
	const struct ynode *y = tree_lookup(p->tree, path, depth);
	if (y)
		return scalar_value(y);
	return scalar_value(tree_lookup(p->global, path, depth));
}

const char *sp_project_branch_get(const struct sp_project *p, const char *branch,
				  const char *key)
{
	const char *bp[] = { "branch-defaults", branch, key }, *gp[] = { "global", key };
	const char *v = branch ? sp_project_get(p, bp, 3) : NULL;
	return v ? v : sp_project_get(p, gp, 2);
}

const char *sp_project_application(const struct sp_project *p)
{
	const char *path[] = { "global", "application_name" };
	return sp_project_get(p, path, 2);
}

const char *sp_project_endpoint(const struct sp_project *p)
{
	const char *path[] = { "sprout", "endpoint" };
	return sp_project_get(p, path, 2);
}

const char *sp_project_artifact(const struct sp_project *p)
{
	const char *path[] = { "deploy", "artifact" };
	return sp_project_get(p, path, 2);
}

/* --- changes ---------------------------------------------------------------------------- */

static bool plain_is_not_string(const char *s);

/* A string sprout writes: quoted when YAML 1.1 would read it plain as something else. */
static struct ynode *new_string(const char *s)
{
	return scalar_new(s, SP_NODE_STRING, plain_is_not_string(s));
}

/* Inserts key -> item into m at its sorted place (the EB CLI writes keys sorted; in a
 * map that is not sorted this still puts it somewhere sensible). */
static int map_insert(struct ynode *m, struct ynode *key, struct ynode *item)
{
	if (ynode_reserve(m))
		return SP_ENOMEM;
	size_t at = m->n;
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->keys[i]->text, key->text) > 0) {
			at = i;
			break;
		}
	}
	memmove(m->keys + at + 1, m->keys + at, (m->n - at) * sizeof(*m->keys));
	memmove(m->items + at + 1, m->items + at, (m->n - at) * sizeof(*m->items));
	m->keys[at] = key;
	m->items[at] = item;
	m->n++;
	return 0;
}

int sp_project_set(struct sp_project *p, const char *const *path, size_t depth,
		   const char *value, struct sp_diags *d)
{
	struct ynode *m = p->tree;
	if (depth < 1 || depth > 4)
		return SP_EINVAL;
	for (size_t i = 0; i + 1 < depth; i++) {
		struct ynode *next = map_get(m, path[i], NULL);
		if (next && next->kind == Y_SCALAR && next->type == SP_NODE_NULL && !next->quoted) {
			/* `section:` with nothing under it is an empty section */
			size_t at;
			map_get(m, path[i], &at);
			struct ynode *fresh = ynode_new(Y_MAP);
			if (!fresh)
				return SP_ENOMEM;
			ynode_free(m->items[at]);
			m->items[at] = fresh;
			next = fresh;
		}
		if (next && next->kind != Y_MAP) {
			struct sp_buf where = SP_BUF_INIT(1024);
			for (size_t j = 0; j <= i; j++)
				sp_buf_printf(&where, "%s%s", j ? "." : "", path[j]);
			sp_diag_add(d, SP_SEV_ERROR, "PROJECT_CONFIG_INVALID",
				    (struct sp_loc){ SP_PROJECT_CONFIG, 0, 0, "" },
				    "make it a mapping (or remove it) and run the command again",
				    "%s must be a mapping to hold %s", sp_buf_cstr(&where),
				    path[i + 1]);
			sp_buf_free(&where);
			return SP_EINVAL;
		}
		if (!next) {
			struct ynode *key = new_string(path[i]);
			next = ynode_new(Y_MAP);
			if (!key || !next || map_insert(m, key, next)) {
				ynode_free(key);
				ynode_free(next);
				return SP_ENOMEM;
			}
		}
		m = next;
	}
	struct ynode *v = value ? new_string(value) : scalar_new("null", SP_NODE_NULL, false);
	if (!v)
		return SP_ENOMEM;
	size_t at;
	if (map_get(m, path[depth - 1], &at)) {
		ynode_free(m->items[at]);
		m->items[at] = v;
		return 0;
	}
	struct ynode *key = new_string(path[depth - 1]);
	if (!key || map_insert(m, key, v)) {
		ynode_free(key);
		ynode_free(v);
		return SP_ENOMEM;
	}
	return 0;
}

/* --- writing ------------------------------------------------------------------------------- */

static bool all_of(const char *s, const char *set)
{
	return *s && strspn(s, set) == strlen(s);
}

/* true when YAML 1.1 (PyYAML's resolver) would read the plain scalar s as something
 * other than a string: null, bools, ints, floats, timestamps, merge and value keys.
 * Errs on the side of quoting: quoting a string never changes what it reads as. */
static bool plain_is_not_string(const char *s)
{
	static const char *const words[] = {
		"", "~", "null", "Null", "NULL", "yes", "Yes", "YES", "no", "No", "NO", "true",
		"True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N", "<<", "=", ".inf", ".Inf", ".INF", "-.inf", "+.inf", "-.Inf",
		"+.Inf", "-.INF", "+.INF", ".nan", ".NaN", ".NAN",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))
		if (all_of(p, "0123456789abcdefABCDEFxXoO_:.+-eE"))
			return true;
	/* timestamps: 2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5 */
	if (strlen(s) >= 8 && s[0] >= '0' && s[0] <= '9' && s[4] == '-' &&
	    all_of(s, "0123456789-:.+tTzZ "))
		return true;
	return false;
}

struct emit_ctx {
	yaml_emitter_t em;
	struct sp_buf *out;
	int rc;
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct emit_ctx *c = data;
	if (sp_buf_append(c->out, buffer, size)) {
		c->rc = SP_ETOOBIG;
		return 0;
	}
	return 1;
}

static int emit(struct emit_ctx *c, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(&c->em, ev))
		return c->rc ? c->rc : SP_EINVAL;
	return 0;
}

static int emit_node(struct emit_ctx *c, const struct ynode *y)
{
	yaml_event_t ev;
	yaml_char_t *tag = (yaml_char_t *)y->tag;
	int implicit = y->tag == NULL;
	int rc;
	if (y->kind == Y_SCALAR) {
		const char *text = y->text;
		yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
		if (y->quoted)
			style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
		else if (y->type == SP_NODE_NULL)
			text = *text ? text : "null";
		/* Plain is right for a plain scalar read from the file (it reads back as it
		 * was) and for a string sprout set that resolves as a string (new_string);
		 * libyaml falls back to quotes when plain cannot hold the text. */
		if (!yaml_scalar_event_initialize(&ev, NULL, tag, (yaml_char_t *)text,
						  (int)strlen(text), implicit,
						  implicit, style))
			return SP_ENOMEM;
		return emit(c, &ev);
	}
	if (y->kind == Y_SEQ) {
		if (!yaml_sequence_start_event_initialize(&ev, NULL, tag, implicit,
							  YAML_BLOCK_SEQUENCE_STYLE))
			return SP_ENOMEM;
		if ((rc = emit(c, &ev)))
			return rc;
		for (size_t i = 0; i < y->n; i++)
			if ((rc = emit_node(c, y->items[i])))
				return rc;
		yaml_sequence_end_event_initialize(&ev);
		return emit(c, &ev);
	}
	/* An empty mapping or sequence can only be written in flow style: {} / []. */
	if (!yaml_mapping_start_event_initialize(&ev, NULL, tag, implicit,
						 y->n ? YAML_BLOCK_MAPPING_STYLE
						      : YAML_FLOW_MAPPING_STYLE))
		return SP_ENOMEM;
	if ((rc = emit(c, &ev)))
		return rc;
	for (size_t i = 0; i < y->n; i++) {
		if ((rc = emit_node(c, y->keys[i])) || (rc = emit_node(c, y->items[i])))
			return rc;
	}
	yaml_mapping_end_event_initialize(&ev);
	return emit(c, &ev);
}

int sp_project_render(const struct sp_project *p, struct sp_buf *out)
{
	struct emit_ctx c = { .out = out };
	yaml_event_t ev;
	int rc;
	sp_buf_reset(out);
	if (!yaml_emitter_initialize(&c.em))
		return SP_ENOMEM;
	yaml_emitter_set_output(&c.em, write_handler, &c);
	yaml_emitter_set_unicode(&c.em, 1);
	yaml_emitter_set_indent(&c.em, 2);
	yaml_emitter_set_width(&c.em, 80);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if ((rc = emit(&c, &ev)))
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if ((rc = emit(&c, &ev)) || (rc = emit_node(&c, p->tree)))
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if ((rc = emit(&c, &ev)))
		goto out;
	yaml_stream_end_event_initialize(&ev);
	if ((rc = emit(&c, &ev)))
		goto out;
	if (!yaml_emitter_flush(&c.em))
		rc = c.rc ? c.rc : SP_EIO;
out:
	yaml_emitter_delete(&c.em);
	if (rc)
		sp_buf_reset(out);
	return rc;
}

int sp_project_save(struct sp_project *p)
{
	struct sp_buf text = SP_BUF_INIT(MAX_PROJECT_CONFIG), dir = SP_BUF_INIT(PATH_MAX),
		      final = SP_BUF_INIT(PATH_MAX), tmp = SP_BUF_INIT(PATH_MAX);
	int fd = -1, rc;
	bool created = false;
	mode_t mode = 0644;
	struct stat st;
	if (!p->root)
		return SP_EINVAL;
	if ((rc = sp_project_render(p, &text)) ||
	    (rc = sp_buf_printf(&dir, "%s/%s", p->root, SP_PROJECT_DIR)) ||
	    (rc = sp_buf_printf(&final, "%s/%s", p->root, SP_PROJECT_CONFIG)) ||
	    (rc = sp_buf_printf(&tmp, "%s.XXXXXX", sp_buf_cstr(&final))))
		goto out;
	if ((rc = sp_mkdir_p(sp_buf_cstr(&dir), 0755)))
		goto out;
	if (stat(sp_buf_cstr(&final), &st) == 0)
		mode = st.st_mode & 07777;
	rc = SP_EIO;
	if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0)
		goto out;
	created = true;
	const char *s = sp_buf_cstr(&text);
	for (size_t off = 0; off < text.len;) {
		ssize_t n = write(fd, s + off, text.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto out;
	int saved = close(fd);
	fd = -1;
	if (saved != 0 || rename(sp_buf_cstr(&tmp), sp_buf_cstr(&final)) != 0)
		goto out;
	created = false;
	p->exists = true;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (created) {
		int e = errno;
		unlink(sp_buf_cstr(&tmp));
		errno = e;
	}
	sp_buf_free(&text);
	sp_buf_free(&dir);
	sp_buf_free(&final);
	sp_buf_free(&tmp);
	return rc;
}
