/* manifest.c — the manifest of a bundle: entries, a path index, name checks, link
 * resolution, accessors and JSON. Fed by bundle_read.c (archives) and bundle_scan.c
 * (folders). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundles/bundle_internal.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

struct sp_bundle *bm_new(const char *format)
{
	struct sp_bundle *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->format = sp_strdup(format);
	if (!b->format) {
		free(b);
		return NULL;
	}
	return b;
}

void sp_bundle_free(struct sp_bundle *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free((char *)b->entries[i].pub.path);
		free((char *)b->entries[i].pub.link_target);
		sp_buf_free(&b->entries[i].kept);
	}
	free(b->entries);
	free(b->slots);
	free(b->format);
	free(b->dockerrun_version);
	free(b->ebext);
	for (size_t i = 0; i < b->n_hooks; i++)
		free((char *)b->hooks[i].stage);
	free(b->hooks);
	free(b);
}

/* ---- names ---- */

void bm_quote_name(const char *raw, struct sp_buf *out)
{
	const unsigned char *s = (const unsigned char *)raw;
	size_t n = strlen(raw);
	size_t i = 0;
	while (i < n) {
		/* find the length of the longest valid UTF-8 sequence starting here */
		size_t len = 1;
		if (s[i] >= 0xc0 && s[i] < 0xf8)
			len = s[i] < 0xe0 ? 2 : s[i] < 0xf0 ? 3 : 4;
		if (s[i] >= 0x20 && s[i] != 0x7f && s[i] < 0x80) {
			if (s[i] == '"' || s[i] == '\\')
				sp_buf_putc(out, '\\');
			sp_buf_putc(out, (char)s[i]);
			i++;
		} else if (s[i] >= 0x80 && i + len <= n && sp_utf8_valid(raw + i, len)) {
			sp_buf_append(out, raw + i, len);
			i += len;
		} else {
			sp_buf_printf(out, "\\x%02x", s[i]);
			i++;
		}
	}
}

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

int bm_check_name(const char *raw, const struct sp_bundle_limits *lim, const char *file,
		  struct sp_diags *d, struct sp_buf *norm)
{
	struct sp_buf q = SP_BUF_INIT(0);
	int bad = 0;
	bm_quote_name(raw, &q);
	const char *qs = sp_buf_cstr(&q);
	struct sp_loc loc = { file, 0, 0, qs };
	size_t n = strlen(raw);

	sp_buf_reset(norm);
	if (!sp_utf8_valid(raw, n)) {
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_NAME_NOT_UTF8", loc,
			    "rename the file with a UTF-8 name, or recreate the bundle with a "
			    "tool that stores UTF-8 names (sprout bundle create)",
			    "entry \"%s\": name is not valid UTF-8", qs);
		bad = 1;
	}
	if (has_control(raw)) {
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_NAME_CONTROL_CHAR", loc,
			    "rename the file without control characters (newlines, tabs, escapes)",
			    "entry \"%s\": name holds a control character", qs);
		bad = 1;
	}
	if (n > lim->max_path) {
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_PATH_TOO_LONG", loc,
			    "shorten the path; the limit is MAX_BUNDLE_PATH (--max-path)",
			    "entry \"%.60s...\": path is %zu bytes long, more than %zu", qs, n,
			    lim->max_path);
		bad = 1;
		goto out; /* don't bother normalising */
	}
	if (raw[0] == '/') {
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_PATH_ABSOLUTE", loc,
			    "recreate the bundle with paths relative to its root "
			    "(cd app && zip -r ../app.zip .)",
			    "entry \"%s\": absolute path would be written outside the bundle", qs);
		bad = 1;
	}
	size_t depth = 0;
	bool dotdot = false;
	for (const char *p = raw; *p;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			dotdot = true;
		} else if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (norm->len)
				sp_buf_putc(norm, '/');
			sp_buf_append(norm, p, len);
			depth++;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (dotdot) {
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_PATH_DOTDOT", loc,
			    "recreate the bundle without \"..\" in entry paths",
			    "entry \"%s\": \"..\" would climb out of the bundle", qs);
		bad = 1;
	}
	if (depth > lim->max_depth) {
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_PATH_TOO_DEEP", loc,
			    "flatten the folder structure; the limit is MAX_BUNDLE_DEPTH "
			    "(--max-depth)",
			    "entry \"%.60s...\": %zu folders deep, more than %zu", qs, depth,
			    lim->max_depth);
		bad = 1;
	}
	if (!bad && depth == 0)
		bad = 2;
out:
	sp_buf_free(&q);
	return bad;
}

/* ---- the path index ---- */

static uint64_t hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static int index_grow(struct sp_bundle *b)
{
	size_t nslots = b->nslots ? b->nslots * 2 : 64;
	size_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return SP_ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		size_t h = (size_t)hash_path(b->entries[i].pub.path) & (nslots - 1);
		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = i + 1;
	}
	free(b->slots);
	b->slots = slots;
	b->nslots = nslots;
	return 0;
}

ssize_t bm_lookup(const struct sp_bundle *b, const char *path)
{
	if (!b->nslots)
		return -1;
	size_t h = (size_t)hash_path(path) & (b->nslots - 1);
	while (b->slots[h]) {
		size_t i = b->slots[h] - 1;
		if (strcmp(b->entries[i].pub.path, path) == 0)
			return (ssize_t)i;
		h = (h + 1) & (b->nslots - 1);
	}
	return -1;
}

struct bm_entry *bm_get(struct sp_bundle *b, size_t idx)
{
	return &b->entries[idx];
}

const char *sp_bundle_entry_type_name(enum sp_bundle_entry_type t)
{
	switch (t) {
	case SP_BUNDLE_FILE: return "file";
	case SP_BUNDLE_DIR: return "dir";
	case SP_BUNDLE_SYMLINK: return "symlink";
	case SP_BUNDLE_HARDLINK: return "hardlink";
	}
	return "?";
}

int bm_add(struct sp_bundle *b, const char *path, enum sp_bundle_entry_type type,
	   unsigned mode, const char *link_target, const char *file, struct sp_diags *d,
	   size_t *idx)
{
	ssize_t old = bm_lookup(b, path);
	if (old >= 0) {
		if (type == SP_BUNDLE_DIR && b->entries[old].pub.type == SP_BUNDLE_DIR)
			return 2;
		struct sp_loc loc = { file, 0, 0, path };
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_DUPLICATE_ENTRY", loc,
			    "recreate the bundle so that each path appears once "
			    "(zip -r appends to an existing zip: delete it first)",
			    "entry \"%s\" appears more than once (a %s, then a %s)", path,
			    sp_bundle_entry_type_name(b->entries[old].pub.type),
			    sp_bundle_entry_type_name(type));
		return 1;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct bm_entry *e = realloc(b->entries, cap * sizeof(*e));
		if (!e)
			return SP_ENOMEM;
		b->entries = e;
		b->cap = cap;
	}
	if ((b->n + 1) * 2 > b->nslots && index_grow(b) != 0)
		return SP_ENOMEM;
	struct bm_entry *e = &b->entries[b->n];
	memset(e, 0, sizeof(*e));
	e->pub.path = sp_strdup(path);
	e->pub.link_target = link_target ? sp_strdup(link_target) : NULL;
	if (!e->pub.path || (link_target && !e->pub.link_target)) {
		free((char *)e->pub.path);
		free((char *)e->pub.link_target);
		return SP_ENOMEM;
	}
	e->pub.type = type;
	e->pub.mode = mode & 0777;
	sp_buf_init(&e->kept, MAX_BUNDLE_KEPT_FILE);
	size_t h = (size_t)hash_path(path) & (b->nslots - 1);
	while (b->slots[h])
		h = (h + 1) & (b->nslots - 1);
	b->slots[h] = b->n + 1;
	*idx = b->n++;
	return 0;
}

bool bm_is_kept_path(const char *path)
{
	if (strcmp(path, "Dockerrun.aws.json") == 0 || strcmp(path, "docker-compose.yml") == 0)
		return true;
	if (strncmp(path, ".ebextensions/", 14) == 0 && !strchr(path + 14, '/')) {
		size_t n = strlen(path);
		return n > 14 + 7 && strcmp(path + n - 7, ".config") == 0;
	}
	return false;
}

void bm_keep(struct sp_bundle *b, size_t idx, const void *data, size_t n)
{
	struct bm_entry *e = &b->entries[idx];
	if (e->kept_too_big)
		return;
	if (b->kept_total + n > MAX_BUNDLE_KEPT_TOTAL || sp_buf_append(&e->kept, data, n) != 0) {
		b->kept_total -= e->kept.len;
		sp_buf_free(&e->kept);
		e->kept_too_big = true;
		return;
	}
	b->kept_total += n;
}

/* ---- links ---- */

ssize_t bm_resolve(const struct sp_bundle *b, size_t idx)
{
	struct sp_buf cur = SP_BUF_INIT(4 * SP_PATH_MAX);
	struct sp_buf rest = SP_BUF_INIT(0);
	struct sp_buf tmp = SP_BUF_INIT(0);
	ssize_t result = -2;
	int hops = 0;
	const struct sp_bundle_entry *start = &b->entries[idx].pub;
	const char *slash = strrchr(start->path, '/');

	if (slash)
		sp_buf_append(&cur, start->path, (size_t)(slash - start->path));
	if (!start->link_target || start->link_target[0] == '/') {
		result = -1;
		goto out;
	}
	sp_buf_puts(&rest, start->link_target);
	for (;;) {
		const char *r = sp_buf_cstr(&rest);
		while (*r == '/')
			r++;
		if (!*r)
			break;
		const char *e = strchr(r, '/');
		size_t len = e ? (size_t)(e - r) : strlen(r);
		char *comp = sp_strndup(r, len);
		/* drop the component from rest */
		sp_buf_reset(&tmp);
		sp_buf_puts(&tmp, e ? e : "");
		sp_buf_reset(&rest);
		sp_buf_append(&rest, tmp.data ? tmp.data : "", tmp.len);
		if (!comp) {
			result = -2;
			goto out;
		}
		if (len == 1 && comp[0] == '.') {
			free(comp);
			continue;
		}
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			free(comp);
			if (cur.len == 0) {
				result = -1;
				goto out;
			}
			char *ls = strrchr(cur.data, '/');
			size_t keep = ls ? (size_t)(ls - cur.data) : 0;
			cur.len = keep;
			cur.data[keep] = '\0';
			continue;
		}
		size_t before = cur.len;
		if (cur.len)
			sp_buf_putc(&cur, '/');
		int arc = sp_buf_puts(&cur, comp);
		free(comp);
		if (arc != 0) {
			result = -1; /* absurdly long: treat as unsafe */
			goto out;
		}
		ssize_t at = bm_lookup(b, cur.data);
		if (at < 0) {
			/* ends at nothing; whatever follows cannot climb out on disk
			 * (the kernel fails the lookup), unless it is more "..": keep
			 * resolving textually to be sure. */
			continue;
		}
		const struct sp_bundle_entry *ent = &b->entries[at].pub;
		if (ent->type == SP_BUNDLE_SYMLINK) {
			if (++hops > MAX_BUNDLE_LINK_HOPS || !ent->link_target ||
			    ent->link_target[0] == '/') {
				result = -1;
				goto out;
			}
			cur.len = before;
			if (cur.data)
				cur.data[before] = '\0';
			sp_buf_reset(&tmp);
			sp_buf_puts(&tmp, ent->link_target);
			sp_buf_putc(&tmp, '/');
			sp_buf_append(&tmp, rest.data ? rest.data : "", rest.len);
			sp_buf_reset(&rest);
			sp_buf_append(&rest, tmp.data, tmp.len);
		}
	}
	if (cur.len == 0) {
		result = -3;
	} else {
		ssize_t at = bm_lookup(b, cur.data);
		result = at >= 0 ? at : -2;
	}
out:
	sp_buf_free(&cur);
	sp_buf_free(&rest);
	sp_buf_free(&tmp);
	return result;
}

size_t bm_check_links(struct sp_bundle *b, const char *file, struct sp_diags *d)
{
	size_t errors = 0;
	size_t n = b->n; /* implicit folders appended below are checked too */
	struct sp_buf parent = SP_BUF_INIT(0);
	/* Parents: implicit folders (zips often omit them) become entries; a parent that
	 * is a file or a link is a conflict (extraction would write through it). */
	for (size_t i = 0; i < n; i++) {
		const char *p = b->entries[i].pub.path;
		for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			sp_buf_reset(&parent);
			sp_buf_append(&parent, p, (size_t)(s - p));
			ssize_t at = bm_lookup(b, parent.data);
			if (at < 0) {
				size_t idx;
				if (bm_add(b, parent.data, SP_BUNDLE_DIR, 0755, NULL, file, d,
					   &idx) == SP_ENOMEM) {
					errors++;
					goto out;
				}
				continue;
			}
			if (b->entries[at].pub.type != SP_BUNDLE_DIR) {
				struct sp_loc loc = { file, 0, 0, p };
				sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_PATH_CONFLICT", loc,
					    "recreate the bundle: a path cannot be both a file "
					    "(or link) and a folder",
					    "entry \"%s\" lies below \"%s\", which is a %s, not a "
					    "folder",
					    p, parent.data,
					    sp_bundle_entry_type_name(b->entries[at].pub.type));
				errors++;
				break;
			}
		}
	}
	for (size_t i = 0; i < b->n; i++) {
		struct sp_bundle_entry *e = &b->entries[i].pub;
		if (e->type != SP_BUNDLE_SYMLINK)
			continue;
		if (bm_resolve(b, i) == -1) {
			struct sp_buf q = SP_BUF_INIT(0);
			bm_quote_name(e->link_target ? e->link_target : "", &q);
			struct sp_loc loc = { file, 0, 0, e->path };
			sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_LINK_OUTSIDE", loc,
				    "replace the link with a copy of the file, or point it at a "
				    "path inside the bundle",
				    "symlink \"%s\" -> \"%s\" points outside the bundle", e->path,
				    sp_buf_cstr(&q));
			sp_buf_free(&q);
			errors++;
		}
	}
out:
	sp_buf_free(&parent);
	return errors;
}

/* ---- derived lists ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_hook(const void *a, const void *b)
{
	return strcmp(((const struct sp_bundle_hook *)a)->path,
		      ((const struct sp_bundle_hook *)b)->path);
}

static char *dockerrun_version_of(const struct sp_buf *kept)
{
	if (!kept->len)
		return NULL;
	json_error_t err;
	json_t *root = json_loadb(kept->data, kept->len, JSON_DECODE_ANY, &err);
	char *v = NULL;
	if (!root)
		return NULL;
	json_t *ver = json_object_get(root, "AWSEBDockerrunVersion");
	if (json_is_string(ver))
		v = sp_strdup(json_string_value(ver));
	else if (json_is_integer(ver))
		v = sp_aprintf("%lld", (long long)json_integer_value(ver));
	else if (json_is_real(ver))
		v = sp_aprintf("%g", json_real_value(ver));
	json_decref(root);
	return v;
}

/* ".platform/hooks/<stage>/<name>" or ".platform/confighooks/<stage>/<name>" */
static bool hook_parts(const char *path, bool *config, const char **stage, size_t *stage_len)
{
	const char *rest;
	if (strncmp(path, ".platform/hooks/", 16) == 0) {
		*config = false;
		rest = path + 16;
	} else if (strncmp(path, ".platform/confighooks/", 22) == 0) {
		*config = true;
		rest = path + 22;
	} else {
		return false;
	}
	const char *s = strchr(rest, '/');
	if (!s || s == rest || !s[1] || strchr(s + 1, '/'))
		return false;
	*stage = rest;
	*stage_len = (size_t)(s - rest);
	return true;
}

int bm_finish(struct sp_bundle *b)
{
	size_t n_ebext = 0, n_hooks = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct sp_bundle_entry *e = &b->entries[i].pub;
		bool config;
		const char *stage;
		size_t sl;
		if (e->type == SP_BUNDLE_DIR)
			continue;
		if (bm_is_kept_path(e->path) && strncmp(e->path, ".ebextensions/", 14) == 0)
			n_ebext++;
		else if (hook_parts(e->path, &config, &stage, &sl))
			n_hooks++;
	}
	b->ebext = calloc(n_ebext + 1, sizeof(*b->ebext));
	b->hooks = calloc(n_hooks + 1, sizeof(*b->hooks));
	if (!b->ebext || !b->hooks)
		return SP_ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		struct bm_entry *be = &b->entries[i];
		const struct sp_bundle_entry *e = &be->pub;
		bool config;
		const char *stage;
		size_t sl;
		if (e->type == SP_BUNDLE_DIR)
			continue;
		if (strcmp(e->path, "Dockerrun.aws.json") == 0) {
			b->has_dockerrun = true;
			b->dockerrun_version = dockerrun_version_of(&be->kept);
		} else if (strcmp(e->path, "docker-compose.yml") == 0) {
			b->has_compose = true;
		} else if (bm_is_kept_path(e->path)) {
			b->ebext[b->n_ebext++] = e->path;
		} else if (hook_parts(e->path, &config, &stage, &sl)) {
			struct sp_bundle_hook *h = &b->hooks[b->n_hooks++];
			h->path = e->path;
			h->confighook = config;
			h->stage = sp_strndup(stage, sl);
			if (!h->stage)
				return SP_ENOMEM;
			bool exec = (e->mode & 0111) != 0;
			if (e->type == SP_BUNDLE_SYMLINK) {
				ssize_t t = bm_resolve(b, i);
				exec = t >= 0 && (b->entries[t].pub.mode & 0111);
			} else if (e->type == SP_BUNDLE_HARDLINK && e->link_target) {
				ssize_t t = bm_lookup(b, e->link_target);
				exec = t >= 0 && (b->entries[t].pub.mode & 0111);
			}
			h->executable = exec;
		}
	}
	qsort(b->ebext, b->n_ebext, sizeof(*b->ebext), cmp_str);
	qsort(b->hooks, b->n_hooks, sizeof(*b->hooks), cmp_hook);
	return 0;
}

/* ---- accessors ---- */

const char *sp_bundle_format(const struct sp_bundle *b) { return b->format; }
const char *sp_bundle_sha256(const struct sp_bundle *b) { return b->has_sha ? b->sha256 : NULL; }
uint64_t sp_bundle_compressed_size(const struct sp_bundle *b) { return b->compressed_size; }
uint64_t sp_bundle_uncompressed_size(const struct sp_bundle *b) { return b->uncompressed_size; }
size_t sp_bundle_entry_count(const struct sp_bundle *b) { return b->n; }
bool sp_bundle_has_dockerrun(const struct sp_bundle *b) { return b->has_dockerrun; }
const char *sp_bundle_dockerrun_version(const struct sp_bundle *b) { return b->dockerrun_version; }
bool sp_bundle_has_compose(const struct sp_bundle *b) { return b->has_compose; }
size_t sp_bundle_ebextension_count(const struct sp_bundle *b) { return b->n_ebext; }
size_t sp_bundle_hook_count(const struct sp_bundle *b) { return b->n_hooks; }

const struct sp_bundle_entry *sp_bundle_entry_at(const struct sp_bundle *b, size_t i)
{
	return i < b->n ? &b->entries[i].pub : NULL;
}

const struct sp_bundle_entry *sp_bundle_find(const struct sp_bundle *b, const char *path)
{
	ssize_t i = bm_lookup(b, path);
	return i >= 0 ? &b->entries[i].pub : NULL;
}

const char *sp_bundle_ebextension_at(const struct sp_bundle *b, size_t i)
{
	return i < b->n_ebext ? b->ebext[i] : NULL;
}

const struct sp_bundle_hook *sp_bundle_hook_at(const struct sp_bundle *b, size_t i)
{
	return i < b->n_hooks ? &b->hooks[i] : NULL;
}

int sp_bundle_kept_file(const struct sp_bundle *b, const char *path, const char **data,
			size_t *len)
{
	ssize_t i = bm_lookup(b, path);
	if (i < 0 || b->entries[i].pub.type != SP_BUNDLE_FILE || !bm_is_kept_path(path))
		return SP_ENOTFOUND;
	if (b->entries[i].kept_too_big)
		return SP_ETOOBIG;
	*data = sp_buf_cstr(&b->entries[i].kept);
	*len = b->entries[i].kept.len;
	return 0;
}

/* ---- JSON ---- */

static int set_new(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

json_t *sp_bundle_to_json(const struct sp_bundle *b)
{
	json_t *o = json_object();
	json_t *entries = json_array(), *ebext = json_array(), *hooks = json_array();
	int bad = !o || !entries || !ebext || !hooks;
	if (bad)
		goto fail;
	bad |= set_new(o, "format", json_string(b->format));
	bad |= set_new(o, "sha256", b->has_sha ? json_string(b->sha256) : json_null());
	bad |= set_new(o, "compressed_size", json_integer((json_int_t)b->compressed_size));
	bad |= set_new(o, "uncompressed_size", json_integer((json_int_t)b->uncompressed_size));
	bad |= set_new(o, "entry_count", json_integer((json_int_t)b->n));
	if (b->has_dockerrun)
		bad |= set_new(o, "dockerrun",
			       json_pack("{s:s, s:o}", "path", "Dockerrun.aws.json", "version",
					 b->dockerrun_version ? json_string(b->dockerrun_version)
							      : json_null()));
	else
		bad |= set_new(o, "dockerrun", json_null());
	bad |= set_new(o, "docker_compose", json_boolean(b->has_compose));
	for (size_t i = 0; i < b->n_ebext; i++)
		bad |= json_array_append_new(ebext, json_string(b->ebext[i]));
	for (size_t i = 0; i < b->n_hooks; i++) {
		const struct sp_bundle_hook *h = &b->hooks[i];
		bad |= json_array_append_new(
			hooks, json_pack("{s:s, s:s, s:s, s:b}", "path", h->path, "kind",
					 h->confighook ? "confighooks" : "hooks", "stage", h->stage,
					 "executable", h->executable));
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct sp_bundle_entry *e = &b->entries[i].pub;
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", e->mode);
		json_t *je = json_pack("{s:s, s:s, s:I, s:s}", "path", e->path, "type",
				       sp_bundle_entry_type_name(e->type), "size",
				       (json_int_t)e->size, "mode", mode);
		if (je && e->link_target)
			bad |= json_object_set_new(je, "target", json_string(e->link_target));
		bad |= json_array_append_new(entries, je);
	}
	bad |= json_object_set(o, "ebextensions", ebext);
	bad |= json_object_set(o, "hooks", hooks);
	bad |= json_object_set(o, "entries", entries);
	if (bad)
		goto fail;
	json_decref(entries);
	json_decref(ebext);
	json_decref(hooks);
	return o;
fail:
	json_decref(o);
	json_decref(entries);
	json_decref(ebext);
	json_decref(hooks);
	return NULL;
}
