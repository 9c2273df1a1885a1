/* saved_config.c — EB saved configurations (`.elasticbeanstalk/saved_configs/NAME.cfg.yml`)
 * into the SAVED level of struct sp_options (see ebextensions.h, part 4). Option values are
 * judged by options.c exactly as .ebextensions values are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ebextensions/ebextensions.h"
#include "engine/base/banned.h"

const struct sp_code_doc sp_saved_config_codes[] = {
	{ "SAVED_CONFIG_NAME", "error", "a `--saved-config`/`--cfg` name is empty, longer than 100 bytes or holds control characters", "Give the name `eb config save --cfg NAME` used, or a path to the .cfg.yml file." },
	{ "SAVED_CONFIG_NOT_APPLIED", "note", "a saved-configuration key sprout does not use (SolutionStack, PlatformArn, EnvironmentTier, Extensions, Tags, Platform)", "Nothing: sprout runs its own Docker platform; only OptionSettings are applied." },
	{ "SAVED_CONFIG_NOT_A_MAP", "error", "the top level of a saved configuration is not a map", "Start the file with `OptionSettings:` as `eb config save` writes it." },
	{ "SAVED_CONFIG_NOT_FOUND", "error", "the saved configuration named by `--saved-config`/`--cfg` does not exist", "Save it with `eb config save --cfg NAME` (it goes to .elasticbeanstalk/saved_configs/NAME.cfg.yml) or give the file's path." },
	{ "SAVED_CONFIG_OVERRIDES", "note", "a saved-configuration option replaces the value an .ebextensions file set (saved configurations rank above .ebextensions)", "Nothing, if intended; otherwise remove one of the two settings." },
	{ "SAVED_CONFIG_SHAPE", "error", "OptionSettings is not a map of namespaces to `OPTION: VALUE` maps, or a value is a list or map; nothing of the file is applied", "Write `OptionSettings: {NAMESPACE: {OPTION: VALUE}}` with text, number or boolean values." },
	{ "SAVED_CONFIG_UNKNOWN_KEY", "warning", "a top-level key EB's saved configurations do not have (it is ignored)", "Fix the spelling (the hint suggests the nearest key) or remove it." },
};
const size_t sp_saved_config_codes_count =
	sizeof(sp_saved_config_codes) / sizeof(sp_saved_config_codes[0]);

enum key_kind {
	K_OPTIONS,  /* OptionSettings */
	K_SILENT,   /* metadata: accepted, nothing to do */
	K_IGNORED,  /* EB keys sprout does not apply: a note */
};

static const struct {
	const char *key;
	enum key_kind kind;
} top_keys[] = {
	{ "OptionSettings", K_OPTIONS },
	{ "EnvironmentConfigurationMetadata", K_SILENT },
	{ "AWSConfigurationTemplateVersion", K_SILENT },
	{ "SolutionStack", K_IGNORED },
	{ "PlatformArn", K_IGNORED },
	{ "Platform", K_IGNORED },
	{ "EnvironmentTier", K_IGNORED },
	{ "Extensions", K_IGNORED },
	{ "Tags", K_IGNORED },
};
#define N_TOP (sizeof(top_keys) / sizeof(top_keys[0]))

static const char *key_text(const struct sp_node *k)
{
	return k && k->text ? k->text : "";
}

static int top_index(const char *key)
{
	for (size_t i = 0; i < N_TOP; i++)
		if (strcmp(top_keys[i].key, key) == 0)
			return (int)i;
	return -1;
}

int sp_saved_config_resolve(const char *base_dir, const char *arg, struct sp_buf *path,
			    struct sp_diags *d)
{
	size_t n = strlen(arg);
	sp_buf_reset(path);
	bool file = strchr(arg, '/') || (n >= 4 && strcmp(arg + n - 4, ".yml") == 0) ||
		    (n >= 5 && strcmp(arg + n - 5, ".yaml") == 0) ||
		    (n >= 5 && strcmp(arg + n - 5, ".json") == 0);
	if (file)
		return sp_buf_puts(path, arg);
	bool ok = n > 0 && n <= MAX_SAVED_CONFIG_NAME;
	for (size_t i = 0; ok && i < n; i++)
		ok = (unsigned char)arg[i] >= 0x20 && arg[i] != 0x7f;
	if (!ok) {
		sp_diag_add(d, SP_SEV_ERROR, "SAVED_CONFIG_NAME", (struct sp_loc){ "--saved-config", 0, 0, "" },
			    "a name is 1 to 100 printable characters; or give the path of a .cfg.yml file",
			    "\"%.*s\" is not a saved configuration name", (int)(n > 120 ? 120 : n), arg);
		return SP_EINVAL;
	}
	if (base_dir && *base_dir && strcmp(base_dir, ".") != 0) {
		size_t bl = strlen(base_dir);
		return sp_buf_printf(path, "%s%s" SP_SAVED_CONFIG_DIR "/%s" SP_SAVED_CONFIG_SUFFIX,
				     base_dir, base_dir[bl - 1] == '/' ? "" : "/", arg);
	}
	return sp_buf_printf(path, SP_SAVED_CONFIG_DIR "/%s" SP_SAVED_CONFIG_SUFFIX, arg);
}

/* ---- structure ------------------------------------------------------------------------ */

static int check_option_settings(const struct sp_doc *doc, const struct sp_node *sec,
				 struct sp_diags *d)
{
	int bad = 0;
	if (sec->type == SP_NODE_NULL)
		return 0;
	if (sec->type != SP_NODE_MAP) {
		sp_diag_node(d, SP_SEV_ERROR, "SAVED_CONFIG_SHAPE", doc, sec,
			     "OptionSettings: {NAMESPACE: {OPTION: VALUE}}",
			     "OptionSettings must be a map of namespaces, not a %s",
			     sp_node_type_name(sec->type));
		return 1;
	}
	for (size_t i = 0; i < sec->n; i++) {
		const struct sp_node *nsv = sec->items[i];
		if (nsv->type == SP_NODE_NULL)
			continue;
		if (nsv->type != SP_NODE_MAP) {
			sp_diag_node(d, SP_SEV_ERROR, "SAVED_CONFIG_SHAPE", doc, nsv,
				     "OptionSettings: {NAMESPACE: {OPTION: VALUE}}",
				     "OptionSettings: \"%s\" must be a namespace holding option: value "
				     "pairs (it is a %s)", key_text(sec->keys[i]),
				     sp_node_type_name(nsv->type));
			bad = 1;
			continue;
		}
		for (size_t j = 0; j < nsv->n; j++)
			if (!sp_node_is_scalar(nsv->items[j])) {
				sp_diag_node(d, SP_SEV_ERROR, "SAVED_CONFIG_SHAPE", doc, nsv->items[j],
					     "option values are text, numbers or booleans",
					     "%s %s: option value must be a scalar, not a %s",
					     key_text(sec->keys[i]), key_text(nsv->keys[j]),
					     sp_node_type_name(nsv->items[j]->type));
				bad = 1;
			}
	}
	return bad;
}

/* ---- applying ------------------------------------------------------------------------- */

static char *scalar_value(const struct sp_node *v)
{
	if (!v || v->type == SP_NODE_NULL)
		return sp_strdup("");
	if (v->type == SP_NODE_BOOL)
		return sp_strdup(v->boolean ? "true" : "false");
	if (v->type == SP_NODE_INT && !v->quoted)
		return sp_aprintf("%lld", (long long)v->integer);
	return sp_strndup(v->text ? v->text : "", v->text ? strlen(v->text) : 0);
}

/* Sets one option at the SAVED level; a note when it replaced an .ebextensions value. */
static int set_one(struct sp_options *o, const struct sp_doc *doc, const char *ns,
		   const char *name, const struct sp_node *v, const struct sp_node *at,
		   struct sp_diags *d)
{
	struct sp_buf path = SP_BUF_INIT(0), hint = SP_BUF_INIT(0);
	char *value = scalar_value(v), *earlier = NULL;
	int rc = SP_ENOMEM;
	if (!value)
		goto out;
	const struct sp_opt_setting *s = sp_options_find(o, ns, name);
	if (s && s->level == SP_OPT_LEVEL_EBEXT) {
		if (sp_buf_printf(&hint, "the .ebextensions value \"%s\" was set at %s:%d:%d; "
				  "settings given at create/update time override saved "
				  "configurations, which override .ebextensions",
				  s->value, s->file ? s->file : "?", s->line, s->column) != 0)
			goto out;
		if (!(earlier = sp_strdup(s->value)))
			goto out;
	}
	struct sp_loc loc = sp_node_loc(doc, at, &path);
	rc = sp_options_set(o, SP_OPT_LEVEL_SAVED, ns, name, value, loc, d);
	s = sp_options_find(o, ns, name);
	if (rc == 0 && earlier && s && s->level == SP_OPT_LEVEL_SAVED)
		sp_diag_add(d, SP_SEV_NOTE, "SAVED_CONFIG_OVERRIDES", loc, sp_buf_cstr(&hint),
			    "%s:%s = \"%s\" (saved configuration) overrides the .ebextensions "
			    "value \"%s\"", ns, name, s->value, earlier);
out:
	free(value);
	free(earlier);
	sp_buf_free(&path);
	sp_buf_free(&hint);
	return rc;
}

static int apply_option_settings(const struct sp_doc *doc, const struct sp_node *sec,
				 struct sp_options *o, struct sp_diags *d)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && sec->type == SP_NODE_MAP && i < sec->n; i++) {
		const struct sp_node *nsv = sec->items[i];
		const char *ns = key_text(sec->keys[i]);
		for (size_t j = 0; rc == 0 && nsv->type == SP_NODE_MAP && j < nsv->n; j++) {
			const struct sp_node *v = nsv->items[j];
			rc = set_one(o, doc, ns, key_text(nsv->keys[j]), v,
				     v->type == SP_NODE_NULL ? nsv->keys[j] : v, d);
		}
	}
	return rc == SP_ETOOBIG || rc == SP_ENOMEM ? rc : 0;
}

static void unknown_key(const struct sp_doc *doc, const struct sp_node *k, struct sp_diags *d)
{
	const char *names[N_TOP];
	for (size_t j = 0; j < N_TOP; j++)
		names[j] = top_keys[j].key;
	const char *near = sp_suggest(key_text(k), names, N_TOP);
	char hint[256];
	if (near)
		snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
	else
		snprintf(hint, sizeof(hint), "sprout applies OptionSettings; EB's other keys are "
					     "SolutionStack, PlatformArn, EnvironmentTier, ...");
	sp_diag_node(d, SP_SEV_WARNING, "SAVED_CONFIG_UNKNOWN_KEY", doc, k, hint,
		     "unknown top-level key \"%s\" in a saved configuration (ignored)",
		     key_text(k));
}

static int load_doc(const struct sp_doc *doc, struct sp_options *opts, struct sp_diags *d)
{
	const struct sp_node *root = sp_doc_root(doc);
	if (!root || root->type == SP_NODE_NULL)
		return 0; /* an empty saved configuration sets nothing */
	if (root->type != SP_NODE_MAP) {
		sp_diag_node(d, SP_SEV_ERROR, "SAVED_CONFIG_NOT_A_MAP", doc, root,
			     "a saved configuration is a map with OptionSettings, SolutionStack, ...",
			     "the top level must be a map, not a %s", sp_node_type_name(root->type));
		return SP_EINVAL;
	}
	int bad = 0;
	const struct sp_node *options = NULL;
	for (size_t i = 0; i < root->n; i++) {
		int t = top_index(key_text(root->keys[i]));
		if (t < 0) {
			unknown_key(doc, root->keys[i], d);
			continue;
		}
		switch (top_keys[t].kind) {
		case K_OPTIONS:
			options = root->items[i];
			bad |= check_option_settings(doc, options, d);
			break;
		case K_SILENT: break;
		case K_IGNORED:
			sp_diag_node(d, SP_SEV_NOTE, "SAVED_CONFIG_NOT_APPLIED", doc, root->keys[i],
				     "sprout runs its own Docker platform; only OptionSettings are "
				     "applied",
				     "%s of the saved configuration is not applied", top_keys[t].key);
			break;
		}
	}
	if (bad)
		return SP_EINVAL;
	if (!options || !opts)
		return 0;
	return apply_option_settings(doc, options, opts, d);
}

int sp_saved_config_add(const char *data, size_t len, const char *display_name,
			struct sp_options *opts, struct sp_diags *d)
{
	struct sp_doc_limits lim = SP_DOC_LIMITS_DEFAULT;
	struct sp_doc *doc = NULL;
	lim.max_input = MAX_SAVED_CONFIG_SIZE;
	int rc = sp_doc_load(data, len, display_name, SP_DOC_AUTO, &lim, d, &doc);
	if (rc != 0)
		return rc == SP_ENOMEM ? rc : SP_EINVAL;
	rc = load_doc(doc, opts, d);
	sp_doc_free(doc);
	return rc;
}

int sp_saved_config_load_file(const char *path, const char *display_name,
			      struct sp_options *opts, struct sp_diags *d)
{
	struct sp_doc_limits lim = SP_DOC_LIMITS_DEFAULT;
	struct sp_doc *doc = NULL;
	struct stat st;
	const char *name = display_name ? display_name : path;
	lim.max_input = MAX_SAVED_CONFIG_SIZE;
	if (stat(path, &st) != 0 && errno == ENOENT) {
		sp_diag_add(d, SP_SEV_ERROR, "SAVED_CONFIG_NOT_FOUND", (struct sp_loc){ name, 0, 0, "" },
			    "`eb config save --cfg NAME` writes " SP_SAVED_CONFIG_DIR "/NAME"
			    SP_SAVED_CONFIG_SUFFIX "; or give the path of the file",
			    "no saved configuration %s", name);
		return SP_EIO;
	}
	int rc = sp_doc_load_file(path, name, SP_DOC_AUTO, &lim, d, &doc);
	if (rc != 0)
		return rc == SP_ENOMEM || rc == SP_EIO ? rc : SP_EINVAL;
	rc = load_doc(doc, opts, d);
	sp_doc_free(doc);
	return rc;
}
