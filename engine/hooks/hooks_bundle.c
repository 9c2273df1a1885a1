/* hooks_bundle.c — a bundle's hook plan, the validate step and the hook settings
 * (engine/hooks/hooks.h). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundles/bundle.h"
#include "ebextensions/ebextensions.h"
#include "engine/base/path.h"
#include "engine/hooks/hooks.h"
#include "engine/base/banned.h"

#define HOOK_ARCHIVE_BLOCK 16384

struct gathered {
	struct sp_hooks_script *scripts;
	struct sp_buf *heads;         /* one per script */
	size_t n;
	struct sp_hooks_config *configs;
	struct sp_doc **docs;
	size_t n_configs;
};

static void gathered_free(struct gathered *g)
{
	for (size_t i = 0; g->heads && i < g->n; i++)
		sp_buf_free(&g->heads[i]);
	for (size_t i = 0; g->docs && i < g->n_configs; i++)
		sp_doc_free(g->docs[i]);
	free(g->scripts);
	free(g->heads);
	free(g->configs);
	free(g->docs);
	memset(g, 0, sizeof(*g));
}

/* The first bytes of a regular file (symlinks inside the folder are fine: bundles/ has
 * checked they stay in it). A file that cannot be read keeps head NULL. */
static void head_from_dir(const char *dir, const char *rel, struct sp_buf *head, bool *known)
{
	struct sp_buf path = SP_BUF_INIT(SP_PATH_MAX);
	struct stat st;
	int fd = -1;
	if (sp_path_join(dir, rel, &path) != 0)
		goto out;
	fd = open(sp_buf_cstr(&path), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	char chunk[4096];
	while (head->len < MAX_HOOK_SCRIPT_HEAD) {
		size_t want = MAX_HOOK_SCRIPT_HEAD - head->len;
		ssize_t r = read(fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (sp_buf_append(head, chunk, (size_t)r) != 0)
			break;
	}
	*known = true;
out:
	if (fd >= 0)
		close(fd);
	sp_buf_free(&path);
}

/* One pass over the archive, keeping the first bytes of every hook script. */
static void heads_from_archive(const char *file, struct gathered *g, bool *known)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct sp_buf norm = SP_BUF_INIT(SP_PATH_MAX);
	if (!a)
		return;
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	if (archive_read_open_filename(a, file, HOOK_ARCHIVE_BLOCK) != ARCHIVE_OK)
		goto out;
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname_utf8(ae);
		if (!p)
			p = archive_entry_pathname(ae);
		if (!p || archive_entry_filetype(ae) != AE_IFREG ||
		    sp_path_rel_normalize(p, false, &norm) != 0)
			continue;
		for (size_t i = 0; i < g->n; i++) {
			if (known[i] || strcmp(g->scripts[i].path, sp_buf_cstr(&norm)) != 0)
				continue;
			char chunk[4096];
			while (g->heads[i].len < MAX_HOOK_SCRIPT_HEAD) {
				size_t want = MAX_HOOK_SCRIPT_HEAD - g->heads[i].len;
				la_ssize_t r = archive_read_data(a, chunk, want < sizeof(chunk) ? want
											: sizeof(chunk));
				if (r <= 0 || sp_buf_append(&g->heads[i], chunk, (size_t)r) != 0)
					break;
			}
			known[i] = true;
			break;
		}
	}
out:
	archive_read_free(a);
	sp_buf_free(&norm);
}

static int gather_scripts(const char *path, const struct sp_bundle *b, struct gathered *g)
{
	size_t n = sp_bundle_hook_count(b);
	bool *known = calloc(n + 1, sizeof(*known));
	struct stat st;
	g->scripts = calloc(n + 1, sizeof(*g->scripts));
	g->heads = calloc(n + 1, sizeof(*g->heads));
	if (!known || !g->scripts || !g->heads) {
		free(known);
		return SP_ENOMEM;
	}
	g->n = n;
	for (size_t i = 0; i < n; i++) {
		const struct sp_bundle_hook *h = sp_bundle_hook_at(b, i);
		g->scripts[i] = (struct sp_hooks_script){ .path = h->path, .stage = h->stage,
							  .confighook = h->confighook,
							  .executable = h->executable };
		sp_buf_init(&g->heads[i], MAX_HOOK_SCRIPT_HEAD);
	}
	bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	if (dir) {
		for (size_t i = 0; i < n; i++)
			head_from_dir(path, g->scripts[i].path, &g->heads[i], &known[i]);
	} else if (n) {
		heads_from_archive(path, g, known);
	}
	for (size_t i = 0; i < n; i++)
		if (known[i]) {
			g->scripts[i].head = sp_buf_cstr(&g->heads[i]);
			g->scripts[i].head_len = g->heads[i].len;
		}
	free(known);
	return 0;
}

/* The .ebextensions files Elastic Beanstalk would use: the ones ebextensions/ accepts
 * (a file with an invalid key is skipped whole). Their diagnostics were reported by the
 * .ebextensions step, so they go to a scratch list here. */
static int gather_configs(const struct sp_bundle *b, const char *prefix, struct gathered *g)
{
	size_t n = sp_bundle_ebextension_count(b);
	struct sp_ebx *x = NULL;
	struct sp_diags scratch;
	int rc = SP_ENOMEM;
	sp_diags_init(&scratch);
	g->configs = calloc(n + 1, sizeof(*g->configs));
	g->docs = calloc(n + 1, sizeof(*g->docs));
	if (!g->configs || !g->docs || sp_ebx_new(&x) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *entry = sp_bundle_ebextension_at(b, i), *data;
		size_t len;
		struct sp_doc *doc = NULL;
		if (sp_bundle_kept_file(b, entry, &data, &len) != 0)
			continue;
		char *name = sp_aprintf("%s%s", prefix ? prefix : "", entry);
		if (!name)
			goto out;
		int arc = sp_ebx_add_file(x, data, len, name, NULL, &scratch);
		if (arc == 0 && sp_doc_load(data, len, name, SP_DOC_AUTO, NULL, &scratch, &doc) == 0) {
			g->docs[g->n_configs] = doc;
			g->configs[g->n_configs++].doc = doc;
		}
		free(name);
		if (arc == SP_ENOMEM)
			goto out;
	}
	rc = 0;
out:
	sp_ebx_free(x);
	sp_diags_free(&scratch);
	return rc;
}

static bool manifest_has(void *ctx, const char *rel)
{
	const struct sp_bundle_entry *e = sp_bundle_find(ctx, rel);
	return e && e->type != SP_BUNDLE_DIR;
}

int sp_hooks_plan_for_bundle(const char *path, const struct sp_bundle *manifest,
			     const char *prefix, enum sp_hook_deployment kind,
			     struct sp_diags *d, struct sp_hook_plan **out)
{
	struct sp_bundle *own = NULL;
	struct gathered g = { 0 };
	struct stat st;
	int rc;
	if (!manifest) {
		bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
		rc = dir ? sp_bundle_scan_dir(path, NULL, d, &own) : sp_bundle_open(path, NULL, d, &own);
		if (rc)
			return rc == SP_ENOMEM ? rc : SP_ERROR;
		manifest = own;
	}
	rc = gather_scripts(path, manifest, &g);
	if (rc == 0 && kind == SP_HOOK_APP_DEPLOYMENT) /* no .ebextensions step in a config plan */
		rc = gather_configs(manifest, prefix, &g);
	if (rc == 0) {
		struct sp_hooks_input in = {
			.scripts = g.scripts,
			.n_scripts = g.n,
			.configs = g.configs,
			.n_configs = g.n_configs,
			.script_prefix = prefix,
			.bundle_has = manifest_has,
			.bundle_ctx = (void *)manifest,
		};
		rc = sp_hook_plan_build_for(&in, kind, d, out);
	}
	gathered_free(&g);
	sp_bundle_free(own);
	return rc;
}

/* A warning of bundles/ that validation makes an error (a deployment would fail on it). */
static void promote(struct sp_diags *d, struct sp_diag *g)
{
	if (g->severity != SP_SEV_WARNING)
		return;
	g->severity = SP_SEV_ERROR;
	d->count[SP_SEV_WARNING]--;
	d->count[SP_SEV_ERROR]++;
}

int sp_hooks_validate_bundle(const char *path, const struct sp_bundle *manifest,
			     const char *prefix, struct sp_diags *d,
			     struct sp_hook_plan **app_plan)
{
	struct sp_hook_plan *plan = NULL;
	for (size_t i = 0; i < d->n; i++) {
		struct sp_diag *g = &d->items[i];
		/* BUNDLE_HOOK_NOT_EXECUTABLE is already an error of bundles/ (reported once,
		 * there). A .config file among the hooks without the exec bit fails the same
		 * way on EB ("permission denied"), so validation refuses it too. */
		if (strcmp(g->code, "BUNDLE_HOOK_IS_CONFIG") == 0 && manifest) {
			for (size_t h = 0; h < sp_bundle_hook_count(manifest); h++) {
				const struct sp_bundle_hook *hk = sp_bundle_hook_at(manifest, h);
				if (!hk->executable && strcmp(hk->path, g->path) == 0)
					promote(d, g);
			}
		}
	}
	int rc = sp_hooks_plan_for_bundle(path, manifest, prefix, SP_HOOK_APP_DEPLOYMENT, d,
					  &plan);
	if (rc == 0 && app_plan)
		*app_plan = plan;
	else
		sp_hook_plan_free(plan);
	return rc == SP_ENOMEM ? rc : 0;
}

char *sp_hooks_image(const struct sp_options *opts, const json_t *defs)
{
	const struct sp_opt_setting *s = sp_options_find(opts, "sprout:hooks", "Image");
	size_t i;
	json_t *c;
	if (s && s->value && *s->value)
		return sp_strdup(s->value);
	json_array_foreach(defs, i, c) {
		json_t *ess = json_object_get(c, "essential");
		const char *img = json_string_value(json_object_get(c, "image"));
		if (img && (!ess || json_is_true(ess)))
			return sp_strdup(img);
	}
	return NULL;
}

long sp_hooks_timeout(const struct sp_options *opts)
{
	const struct sp_opt_setting *s = sp_options_find(opts, "sprout:hooks", "Timeout");
	int64_t v;
	if (s && s->value && sp_parse_i64(s->value, &v) == 0 && v >= 1 && v <= 3600)
		return (long)v;
	return SP_HOOKS_DEFAULT_TIMEOUT;
}
