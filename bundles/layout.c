/* layout.c — the layout mistakes people really make in source bundles, each reported
 * with the command that fixes it (see ../shared/corpus/SOURCES.tsv for real cases:
 * lowercase dockerrun.aws.json, hooks committed without the exec bit, .config files
 * put among hooks, Dockerrun.aws.json kept in a deploy/ folder). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundles/bundle_internal.h"
#include "engine/base/banned.h"

static const char *const stages[] = { "prebuild", "predeploy", "postdeploy" };

static void add(struct sp_diags *d, enum sp_severity sev, const char *code, const char *file,
		const char *path, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static void add(struct sp_diags *d, enum sp_severity sev, const char *code, const char *file,
		const char *path, const char *hint, const char *fmt, ...)
{
	va_list ap;
	struct sp_loc loc = { file, 0, 0, path };
	va_start(ap, fmt);
	sp_diag_vadd(d, sev, code, loc, hint, fmt, ap);
	va_end(ap);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Files that are not mistakes wherever they are: macOS and editor droppings, READMEs. */
static bool is_noise(const char *name)
{
	return name[0] == '.' || strncasecmp(name, "README", 6) == 0;
}

/* The single top-level folder holding everything (macOS's __MACOSX aside), or NULL. */
static const char *single_top_folder(const struct sp_bundle *b, size_t *len)
{
	const char *top = NULL;
	size_t tlen = 0;
	for (size_t i = 0; i < b->n; i++) {
		const char *p = b->entries[i].pub.path;
		const char *s = strchr(p, '/');
		size_t l = s ? (size_t)(s - p) : strlen(p);
		if ((l == 8 && strncmp(p, "__MACOSX", 8) == 0) || strcmp(p, ".DS_Store") == 0)
			continue;
		if (!s && b->entries[i].pub.type != SP_BUNDLE_DIR)
			return NULL; /* a file at the root */
		if (!top) {
			top = p;
			tlen = l;
		} else if (l != tlen || strncmp(top, p, l) != 0) {
			return NULL;
		}
	}
	/* everything in .ebextensions/ or .platform/ is another mistake */
	if (top && ((tlen == 13 && strncmp(top, ".ebextensions", 13) == 0) ||
		    (tlen == 9 && strncmp(top, ".platform", 9) == 0)))
		return NULL;
	*len = tlen;
	return top;
}

static bool nested_has(const struct sp_bundle *b, const char *top, size_t tlen,
		       const char *what)
{
	struct sp_buf p = SP_BUF_INIT(0);
	sp_buf_append(&p, top, tlen);
	sp_buf_putc(&p, '/');
	sp_buf_puts(&p, what);
	bool found = bm_lookup(b, sp_buf_cstr(&p)) >= 0;
	sp_buf_free(&p);
	return found;
}

static void check_dockerrun(const struct sp_bundle *b, const char *file, struct sp_diags *d,
			    bool *reported)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct sp_bundle_entry *e = &b->entries[i].pub;
		const char *name = base_name(e->path);
		if (e->type == SP_BUNDLE_DIR || strcasecmp(name, "Dockerrun.aws.json") != 0)
			continue;
		if (name == e->path) { /* at the root */
			if (strcmp(name, "Dockerrun.aws.json") != 0) {
				char *hint = sp_aprintf("rename it: git mv %s Dockerrun.aws.json "
							"(or mv %s Dockerrun.aws.json)",
							e->path, e->path);
				add(d, SP_SEV_ERROR, "BUNDLE_DOCKERRUN_CASE", file, e->path, hint,
				    "\"%s\" must be named exactly \"Dockerrun.aws.json\"; Elastic "
				    "Beanstalk looks for that name and the match is case-sensitive",
				    e->path);
				free(hint);
				*reported = true;
			}
			continue;
		}
		if (b->has_dockerrun)
			continue; /* a spare copy elsewhere is not our business */
		char *hint = sp_aprintf("move it to the root of the bundle: git mv %s "
					"Dockerrun.aws.json",
					e->path);
		if (strncmp(e->path, ".ebextensions/", 14) == 0)
			add(d, SP_SEV_ERROR, "BUNDLE_DOCKERRUN_MISPLACED", file, e->path, hint,
			    "\"%s\" is inside .ebextensions/, which holds only *.config files; "
			    "Dockerrun.aws.json belongs at the root of the bundle",
			    e->path);
		else
			add(d, SP_SEV_ERROR, "BUNDLE_DOCKERRUN_MISPLACED", file, e->path, hint,
			    "\"%s\" is not at the root of the bundle, where Elastic Beanstalk "
			    "looks for Dockerrun.aws.json",
			    e->path);
		free(hint);
		*reported = true;
	}
}

static void check_ebextensions(const struct sp_bundle *b, const char *file,
			       struct sp_diags *d)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct sp_bundle_entry *e = &b->entries[i].pub;
		if (e->type == SP_BUNDLE_DIR || strncmp(e->path, ".ebextensions/", 14) != 0)
			continue;
		const char *name = e->path + 14;
		if (strchr(name, '/') || ends_with(name, ".config") || is_noise(name) ||
		    strcasecmp(name, "Dockerrun.aws.json") == 0)
			continue;
		/* suggest a name: x.yml -> x.config, x.config.bak stays a question */
		struct sp_buf to = SP_BUF_INIT(0);
		const char *cfg = strstr(name, ".config");
		const char *dot = strrchr(name, '.');
		if (cfg && cfg != name)
			sp_buf_append(&to, name, (size_t)(cfg - name));
		else
			sp_buf_append(&to, name,
				      dot && dot != name ? (size_t)(dot - name) : strlen(name));
		sp_buf_puts(&to, ".config");
		char *hint = sp_aprintf("if it is meant to be a configuration file, rename it: "
					"git mv %s .ebextensions/%s",
					e->path, sp_buf_cstr(&to));
		add(d, SP_SEV_WARNING, "BUNDLE_EBEXT_NOT_CONFIG", file, e->path, hint,
		    "\"%s\" does not end in \".config\", so Elastic Beanstalk ignores it", e->path);
		free(hint);
		sp_buf_free(&to);
	}
}

static void check_misnamed_folders(const struct sp_bundle *b, const char *file,
				   struct sp_diags *d)
{
	static const char *const want[] = { ".ebextensions", ".platform" };
	for (size_t i = 0; i < b->n; i++) {
		const struct sp_bundle_entry *e = &b->entries[i].pub;
		if (e->type != SP_BUNDLE_DIR || strchr(e->path, '/'))
			continue;
		for (size_t w = 0; w < 2; w++) {
			const char *n = e->path;
			if (strcmp(n, want[w]) == 0)
				break;
			/* "ebextensions", ".ebextension", ".EBextensions", "platform" */
			bool close = strcasecmp(n + (n[0] == '.'), want[w] + 1) == 0 ||
				     sp_suggest(n, &want[w], 1) != NULL;
			if (!close || bm_lookup(b, want[w]) >= 0)
				continue;
			char *hint = sp_aprintf("rename it: git mv %s %s", n, want[w]);
			add(d, SP_SEV_WARNING, "BUNDLE_EBEXT_MISNAMED", file, n, hint,
			    "folder \"%s\" looks like \"%s\" but is not named so; Elastic "
			    "Beanstalk ignores it",
			    n, want[w]);
			free(hint);
		}
	}
}

static void check_hooks(const struct sp_bundle *b, const char *file, struct sp_diags *d)
{
	for (size_t i = 0; i < b->n_hooks; i++) {
		const struct sp_bundle_hook *h = &b->hooks[i];
		bool known = false;
		for (size_t s = 0; s < 3; s++)
			known |= strcmp(h->stage, stages[s]) == 0;
		if (!known) {
			const char *near = sp_suggest(h->stage, stages, 3);
			char *hint = near ? sp_aprintf("did you mean .platform/%s/%s/?",
						       h->confighook ? "confighooks" : "hooks", near)
					  : sp_aprintf("hooks go in prebuild/, predeploy/ or "
						       "postdeploy/");
			add(d, SP_SEV_WARNING, "BUNDLE_HOOK_UNKNOWN_STAGE", file, h->path, hint,
			    "\"%s\" is in .platform/%s/%s/, which is not a hook stage "
			    "(prebuild, predeploy, postdeploy); it will never run",
			    h->path, h->confighook ? "confighooks" : "hooks", h->stage);
			free(hint);
			continue;
		}
		if (ends_with(h->path, ".config")) {
			add(d, SP_SEV_WARNING, "BUNDLE_HOOK_IS_CONFIG", file, h->path,
			    "hooks are executables; an .ebextensions configuration file belongs "
			    "in .ebextensions/",
			    "\"%s\" looks like an .ebextensions configuration file, not a hook",
			    h->path);
			continue;
		}
		if (!h->executable && !is_noise(base_name(h->path))) {
			char *hint = sp_aprintf("chmod +x %s (in git: git update-index "
						"--chmod=+x %s)",
						h->path, h->path);
			/* an error, not a warning: EB fails such a hook in the middle of a
			 * deployment; sprout refuses the bundle at upload instead */
			add(d, SP_SEV_ERROR, "BUNDLE_HOOK_NOT_EXECUTABLE", file, h->path, hint,
			    "hook \"%s\" is not executable; it would fail in the middle of the "
			    "deployment",
			    h->path);
			free(hint);
		}
	}
}

void sp_bundle_check_layout(const struct sp_bundle *b, const char *file, struct sp_diags *d)
{
	bool dockerrun_reported = false;
	size_t tlen = 0;
	const char *top = single_top_folder(b, &tlen);

	if (!b->has_dockerrun && !b->has_compose && top &&
	    (nested_has(b, top, tlen, "Dockerrun.aws.json") ||
	     nested_has(b, top, tlen, "docker-compose.yml") ||
	     nested_has(b, top, tlen, ".ebextensions") || nested_has(b, top, tlen, ".platform"))) {
		char *folder = sp_strndup(top, tlen);
		char *hint = sp_aprintf("zip the folder's contents, not the folder: "
					"cd %s && zip -r ../bundle.zip . (or: sprout bundle create %s)",
					folder ? folder : "", folder ? folder : "");
		add(d, SP_SEV_ERROR, "BUNDLE_NESTED_FOLDER", file, folder ? folder : "", hint,
		    "everything is inside the folder \"%s/\"; Elastic Beanstalk expects "
		    "Dockerrun.aws.json, .ebextensions/ and .platform/ at the root of the bundle",
		    folder ? folder : "");
		free(hint);
		free(folder);
		return; /* every other finding would only repeat this one */
	}
	check_dockerrun(b, file, d, &dockerrun_reported);
	check_misnamed_folders(b, file, d);
	check_ebextensions(b, file, d);
	check_hooks(b, file, d);
	if (!b->has_dockerrun && !b->has_compose && !dockerrun_reported)
		add(d, SP_SEV_ERROR, "BUNDLE_NO_DOCKERRUN", file, "",
		    "add a Dockerrun.aws.json (AWSEBDockerrunVersion 2) or a docker-compose.yml "
		    "at the root of the bundle",
		    "the bundle has no Dockerrun.aws.json (nor docker-compose.yml) at its root");
}
