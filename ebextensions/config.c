/* config.c — loading `.ebextensions/NAME.config` files: top-level keys, option_settings,
 * the CloudFormation sections. A file with a structural error is skipped whole, as EB
 * does; option values are judged one by one (options.c). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ebextensions/ebx_internal.h"
#include "engine/base/banned.h"

enum top_kind {
	K_OPTIONS,
	K_RESOURCES,
	K_CFN,      /* Outputs, Mappings, Parameters */
	K_ENTRIES,  /* files, commands, container_commands: maps of maps */
	K_NA,       /* instance keys that mean nothing on a container platform */
};

static const struct {
	const char *key;
	enum top_kind kind;
} top_keys[] = {
	{ "option_settings", K_OPTIONS },
	{ "Resources", K_RESOURCES },
	{ "Outputs", K_CFN },
	{ "Mappings", K_CFN },
	{ "Parameters", K_CFN },
	{ "files", K_ENTRIES },
	{ "commands", K_ENTRIES },
	{ "container_commands", K_ENTRIES },
	{ "packages", K_NA },
	{ "groups", K_NA },
	{ "users", K_NA },
	{ "sources", K_NA },
	{ "services", K_NA },
};
#define N_TOP (sizeof(top_keys) / sizeof(top_keys[0]))

const char *const sp_ebx_eb_logical_ids[] = {
	"AWSEBAutoScalingGroup",
	"AWSEBAutoScalingLaunchConfiguration",
	"AWSEBEC2LaunchTemplate",
	"AWSEBEnvironmentName",
	"AWSEBSecurityGroup",
	"AWSEBRDSDatabase",
	"AWSEBLoadBalancer",
	"AWSEBV2LoadBalancer",
	"AWSEBLoadBalancerSecurityGroup",
	"AWSEBV2LoadBalancerListener",
	"AWSEBV2LoadBalancerListenerRule",
	"AWSEBV2LoadBalancerTargetGroup",
	"AWSEBWorkerQueue",
	"AWSEBWorkerDeadLetterQueue",
	"AWSEBWorkerCronLeaderRegistry",
	"AWSEBCloudwatchAlarmHigh",
	"AWSEBCloudwatchAlarmLow",
	"AWSEBAutoScalingScaleUpPolicy",
	"AWSEBAutoScalingScaleDownPolicy",
	"AWSEBBeanstalkMetadata",
	"AWSEBECSCluster",
	"AWSEBECSTaskDefinition",
	"AWSEBECSService",
	"AWSEBEnvironmentId",
};
const size_t sp_ebx_eb_logical_ids_count =
	sizeof(sp_ebx_eb_logical_ids) / sizeof(sp_ebx_eb_logical_ids[0]);

int sp_ebx_new(struct sp_ebx **out)
{
	struct sp_ebx *x = calloc(1, sizeof(*x));
	if (!x)
		return SP_ENOMEM;
	*out = x;
	return 0;
}

void sp_ebx_free(struct sp_ebx *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nfiles; i++) {
		free(x->files[i].name);
		sp_doc_free(x->files[i].doc);
	}
	free(x->files);
	free(x->res);
	free(x->secs);
	free(x);
}

size_t sp_ebx_file_count(const struct sp_ebx *x) { return x ? x->nfiles : 0; }
size_t sp_ebx_resource_count(const struct sp_ebx *x) { return x ? x->nres : 0; }
size_t sp_ebx_section_count(const struct sp_ebx *x) { return x ? x->nsecs : 0; }

const struct sp_ebx_resource *sp_ebx_resource_at(const struct sp_ebx *x, size_t i)
{
	return x && i < x->nres ? &x->res[i] : NULL;
}

const struct sp_ebx_section *sp_ebx_section_at(const struct sp_ebx *x, size_t i)
{
	return x && i < x->nsecs ? &x->secs[i] : NULL;
}

size_t sp_ebx_count_key(const struct sp_ebx *x, const char *key)
{
	for (size_t i = 0; x && i < x->ncounts; i++)
		if (strcmp(x->counts[i].key, key) == 0)
			return x->counts[i].n;
	return 0;
}

bool ebx_has_user_id(const struct sp_ebx *x, const char *id)
{
	if (!x)
		return false;
	for (size_t i = 0; i < x->nres; i++)
		if (strcmp(x->res[i].logical_id, id) == 0)
			return true;
	for (size_t i = 0; i < x->nsecs; i++)
		if (strcmp(x->secs[i].name, "Parameters") == 0 && sp_node_get(x->secs[i].node, id))
			return true;
	return false;
}

static bool is_eb_id(const char *id)
{
	for (size_t i = 0; i < sp_ebx_eb_logical_ids_count; i++)
		if (strcmp(sp_ebx_eb_logical_ids[i], id) == 0)
			return true;
	return false;
}

static int top_index(const char *key)
{
	for (size_t i = 0; i < N_TOP; i++)
		if (strcmp(top_keys[i].key, key) == 0)
			return (int)i;
	return -1;
}

static const char *key_text(const struct sp_node *k)
{
	return k && k->text ? k->text : "";
}

/* ---- structure checks (a failure skips the file) ----------------------------------- */

static int err(struct sp_diags *d, const char *code, const struct sp_doc *doc,
	       const struct sp_node *n, const char *hint, const char *what)
{
	sp_diag_node(d, SP_SEV_ERROR, code, doc, n, hint, "%s", what);
	return 1;
}

/* An option value must be a scalar. */
static bool value_scalar(const struct sp_node *v)
{
	return !v || sp_node_is_scalar(v);
}

static int check_options(const struct sp_doc *doc, const struct sp_node *sec,
			 struct sp_diags *d)
{
	int bad = 0;
	if (sec->type == SP_NODE_NULL)
		return 0;
	if (sec->type == SP_NODE_MAP) {
		for (size_t i = 0; i < sec->n; i++) {
			const struct sp_node *nsv = sec->items[i];
			if (nsv->type == SP_NODE_NULL)
				continue;
			if (nsv->type != SP_NODE_MAP) {
				char msg[512];
				snprintf(msg, sizeof(msg),
					 "option_settings: \"%s\" must be a namespace holding "
					 "option: value pairs (it is %s %s)",
					 key_text(sec->keys[i]),
					 nsv->type == SP_NODE_INT ? "an" : "a",
					 sp_node_type_name(nsv->type));
				bad |= err(d, "EBX_OPTION_SHAPE", doc, nsv,
					   "map form: option_settings: {NAMESPACE: {OPTION: VALUE}}; "
					   "an environment property goes under "
					   "aws:elasticbeanstalk:application:environment", msg);
				continue;
			}
			for (size_t j = 0; j < nsv->n; j++)
				if (!value_scalar(nsv->items[j]))
					bad |= err(d, "EBX_OPTION_SHAPE", doc, nsv->items[j],
						   "option values are text, numbers or booleans; "
						   "functions only inside `backticks`",
						   "option value must be a scalar");
		}
		return bad;
	}
	if (sec->type != SP_NODE_SEQ)
		return err(d, "EBX_SECTION_TYPE", doc, sec,
			   "write a list of {namespace, option_name, value} or a map of "
			   "namespaces",
			   "option_settings must be a list or a map");
	for (size_t i = 0; i < sec->n; i++) {
		const struct sp_node *it = sec->items[i];
		if (it->type != SP_NODE_MAP) {
			bad |= err(d, "EBX_OPTION_SHAPE", doc, it,
				   "each item is {namespace: NS, option_name: NAME, value: V}",
				   "option_settings item must be a map");
			continue;
		}
		const struct sp_node *on = sp_node_get(it, "option_name");
		if (!on || !sp_node_is_scalar(on) || on->type == SP_NODE_NULL)
			bad |= err(d, "EBX_OPTION_SHAPE", doc, it,
				   "each item is {namespace: NS, option_name: NAME, value: V}",
				   "option_settings item has no option_name");
		const struct sp_node *nsn = sp_node_get(it, "namespace");
		if (nsn && (!sp_node_is_scalar(nsn) || nsn->type == SP_NODE_NULL))
			bad |= err(d, "EBX_OPTION_SHAPE", doc, nsn, NULL,
				   "namespace must be text");
		if (!value_scalar(sp_node_get(it, "value")))
			bad |= err(d, "EBX_OPTION_SHAPE", doc, sp_node_get(it, "value"),
				   "option values are text, numbers or booleans; functions only "
				   "inside `backticks`",
				   "option value must be a scalar");
		for (size_t j = 0; j < it->n; j++) {
			const char *k = key_text(it->keys[j]);
			if (strcmp(k, "namespace") && strcmp(k, "option_name") &&
			    strcmp(k, "value") && strcmp(k, "resource_name")) {
				static const char *const ok[] = { "namespace", "option_name",
								  "value", "resource_name" };
				const char *near = sp_suggest(k, ok, 4);
				char hint[256], msg[512];
				snprintf(hint, sizeof(hint), "%s%s%s", near ? "did you mean \"" : "",
					 near ? near : "the keys are namespace, option_name, value, "
						       "resource_name",
					 near ? "\"?" : "");
				snprintf(msg, sizeof(msg), "unknown key \"%s\" in an option_settings item", k);
				bad |= err(d, "EBX_OPTION_SHAPE", doc, it->keys[j], hint, msg);
			}
		}
	}
	return bad;
}

static int check_entries(const struct sp_doc *doc, const char *key, const struct sp_node *sec,
			 struct sp_diags *d)
{
	int bad = 0;
	if (sec->type == SP_NODE_NULL)
		return 0;
	if (sec->type != SP_NODE_MAP) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s must be a map of names to entries", key);
		return err(d, "EBX_SECTION_TYPE", doc, sec, NULL, msg);
	}
	bool cmd = strcmp(key, "files") != 0;
	for (size_t i = 0; i < sec->n; i++) {
		const struct sp_node *e = sec->items[i];
		if (e->type != SP_NODE_MAP) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s entry \"%s\" must be a map", key,
				 key_text(sec->keys[i]));
			bad |= err(d, "EBX_ENTRY_SHAPE", doc, e,
				   cmd ? "NAME: {command: ..., cwd: ..., ignoreErrors: ...}"
				       : "PATH: {mode: \"000644\", owner: root, group: root, content: ...}",
				   msg);
			continue;
		}
		if (cmd && !sp_node_get(e, "command")) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s entry \"%s\" has no command", key,
				 key_text(sec->keys[i]));
			bad |= err(d, "EBX_ENTRY_SHAPE", doc, e, "add command: <shell line>", msg);
		}
	}
	return bad;
}

static int check_resources(const struct sp_doc *doc, const struct sp_node *sec,
			   struct sp_diags *d)
{
	int bad = 0;
	if (sec->type == SP_NODE_NULL)
		return 0;
	if (sec->type != SP_NODE_MAP)
		return err(d, "EBX_SECTION_TYPE", doc, sec, NULL,
			   "Resources must be a map of logical IDs to resources");
	for (size_t i = 0; i < sec->n; i++) {
		const struct sp_node *r = sec->items[i];
		const char *id = key_text(sec->keys[i]);
		if (r->type != SP_NODE_MAP) {
			char msg[512];
			snprintf(msg, sizeof(msg), "resource %s must be a map", id);
			bad |= err(d, "EBX_RESOURCE_SHAPE", doc, r,
				   "ID: {Type: AWS::..., Properties: {...}}", msg);
			continue;
		}
		const struct sp_node *t = sp_node_get(r, "Type");
		if (t && (t->type != SP_NODE_STRING)) {
			bad |= err(d, "EBX_RESOURCE_SHAPE", doc, t, "Type: AWS::EC2::SecurityGroup",
				   "resource Type must be text");
		} else if (!t && !is_eb_id(id)) {
			char msg[512];
			snprintf(msg, sizeof(msg), "resource %s has no Type", id);
			bad |= err(d, "EBX_RESOURCE_SHAPE", doc, r,
				   "only Elastic Beanstalk's own logical IDs (AWSEB...) may omit Type",
				   msg);
		}
	}
	return bad;
}

/* ---- applying a valid file ----------------------------------------------------------- */

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

static int set_from_node(struct sp_options *o, const struct sp_doc *doc, const char *ns,
			 const char *name, const struct sp_node *v, const struct sp_node *at,
			 struct sp_diags *d)
{
	struct sp_buf path = SP_BUF_INIT(0);
	char *value = scalar_value(v);
	int rc = SP_ENOMEM;
	if (!value)
		goto out;
	struct sp_loc loc = sp_node_loc(doc, at, &path);
	rc = sp_options_set(o, SP_OPT_LEVEL_EBEXT, ns, name, value, loc, d);
out:
	free(value);
	sp_buf_free(&path);
	return rc;
}

static int apply_options(const struct sp_doc *doc, const struct sp_node *sec,
			 struct sp_options *o, struct sp_diags *d)
{
	int rc = 0;
	if (sec->type == SP_NODE_MAP) {
		for (size_t i = 0; rc == 0 && i < sec->n; i++) {
			const struct sp_node *nsv = sec->items[i];
			const char *ns = key_text(sec->keys[i]);
			for (size_t j = 0; rc == 0 && nsv->type == SP_NODE_MAP && j < nsv->n; j++) {
				const struct sp_node *v = nsv->items[j];
				rc = set_from_node(o, doc, ns, key_text(nsv->keys[j]), v,
						   v->type == SP_NODE_NULL ? nsv->keys[j] : v, d);
			}
		}
		return rc;
	}
	for (size_t i = 0; rc == 0 && sec->type == SP_NODE_SEQ && i < sec->n; i++) {
		const struct sp_node *it = sec->items[i];
		const struct sp_node *nsn = sp_node_get(it, "namespace");
		const struct sp_node *on = sp_node_get(it, "option_name");
		const struct sp_node *v = sp_node_get(it, "value");
		const struct sp_node *rn = sp_node_get(it, "resource_name");
		const char *ns = nsn && nsn->text ? nsn->text : SP_NS_ENV;
		char *scoped = NULL;
		if (rn && rn->text && *rn->text) {
			scoped = sp_aprintf("%s.%s", rn->text, ns);
			if (!scoped)
				return SP_ENOMEM;
			ns = scoped;
		}
		rc = set_from_node(o, doc, ns, on->text ? on->text : "", v,
				   v && v->type != SP_NODE_NULL ? v : on, d);
		free(scoped);
	}
	return rc;
}

static int push_resource(struct sp_ebx *x, const struct sp_doc *doc, const struct sp_node *key,
			 const struct sp_node *r)
{
	if (x->nres == x->capres) {
		size_t nc = x->capres ? x->capres * 2 : 16;
		struct sp_ebx_resource *n = realloc(x->res, nc * sizeof(*n));
		if (!n)
			return SP_ENOMEM;
		x->res = n;
		x->capres = nc;
	}
	const struct sp_node *t = sp_node_get(r, "Type");
	x->res[x->nres++] = (struct sp_ebx_resource){ key_text(key), t ? t->text : NULL, key, r,
						      doc };
	return 0;
}

static int push_section(struct sp_ebx *x, const struct sp_doc *doc, const char *name,
			const struct sp_node *n)
{
	if (x->nsecs == x->capsecs) {
		size_t nc = x->capsecs ? x->capsecs * 2 : 8;
		struct sp_ebx_section *s = realloc(x->secs, nc * sizeof(*s));
		if (!s)
			return SP_ENOMEM;
		x->secs = s;
		x->capsecs = nc;
	}
	x->secs[x->nsecs++] = (struct sp_ebx_section){ name, n, doc };
	return 0;
}

static void count_key(struct sp_ebx *x, const char *key, size_t n)
{
	for (size_t i = 0; i < x->ncounts; i++)
		if (strcmp(x->counts[i].key, key) == 0) {
			x->counts[i].n += n;
			return;
		}
	if (x->ncounts < sizeof(x->counts) / sizeof(x->counts[0]))
		x->counts[x->ncounts++] = (struct ebx_count){ key, n };
}

/* true when a later key of m has the same text as key i (EB keeps only one of them). */
static bool shadowed(const struct sp_node *m, size_t i)
{
	for (size_t j = i + 1; j < m->n; j++)
		if (strcmp(key_text(m->keys[i]), key_text(m->keys[j])) == 0)
			return true;
	return false;
}

/* The document loader keeps the later of two equal keys and warns there
 * (DOC_DUPLICATE_KEY); for a top-level key, where EB silently drops a whole section, the
 * first position gets a warning too, so both places are shown. */
static void warn_duplicate_top_keys(struct sp_diags *d, size_t from)
{
	size_t n = d->n;
	for (size_t i = from; i < n; i++) {
		const struct sp_diag g = d->items[i];
		int line = 0, column = 0;
		if (strcmp(g.code, "DOC_DUPLICATE_KEY") != 0 || !g.path || g.path[0] != '/' ||
		    strchr(g.path + 1, '/') || !g.hint ||
		    sscanf(g.hint, "the same key is first at line %d, column %d", &line, &column) != 2)
			continue;
		struct sp_loc loc = { g.file, line, column, g.path };
		sp_diag_add(d, SP_SEV_WARNING, "EBX_DUPLICATE_KEY", loc,
			    "merge the two sections into one",
			    "top-level key \"%s\" appears again at line %d; Elastic Beanstalk silently "
			    "drops one of the two sections (sprout uses the later one)",
			    g.path + 1, g.line);
	}
}

static void note_skipped(struct sp_diags *d, const char *name)
{
	struct sp_loc loc = { name, 0, 0, "" };
	sp_diag_add(d, SP_SEV_NOTE, "EBX_FILE_SKIPPED", loc,
		    "Elastic Beanstalk ignores a configuration file with a validation error "
		    "entirely; fix the errors above",
		    "%s is skipped: none of its keys are applied", name);
}

int sp_ebx_add_file(struct sp_ebx *x, const char *data, size_t len, const char *name,
		    struct sp_options *opts, struct sp_diags *d)
{
	struct sp_doc *doc = NULL;
	int rc;
	if (x->nfiles >= MAX_EBX_FILES) {
		struct sp_loc loc = { name, 0, 0, "" };
		sp_diag_add(d, SP_SEV_ERROR, "EBX_TOO_MANY_FILES", loc,
			    "merge configuration files",
			    "more than %d configuration files in .ebextensions", MAX_EBX_FILES);
		return SP_ETOOBIG;
	}
	size_t first_diag = d->n;
	rc = sp_doc_load(data, len, name, SP_DOC_AUTO, NULL, d, &doc);
	if (rc == SP_ENOMEM)
		return rc;
	if (rc == 0)
		warn_duplicate_top_keys(d, first_diag);
	if (rc != 0) {
		note_skipped(d, name);
		return SP_EINVAL;
	}
	const struct sp_node *root = sp_doc_root(doc);
	if (!root || root->type == SP_NODE_NULL) {
		struct sp_loc loc = { name, 0, 0, "" };
		sp_diag_add(d, SP_SEV_WARNING, "EBX_FILE_EMPTY", loc,
			    "delete the file or add option_settings, Resources, ...",
			    "%s holds no configuration", name);
		goto keep;
	}
	if (root->type != SP_NODE_MAP) {
		sp_diag_node(d, SP_SEV_ERROR, "EBX_NOT_A_MAP", doc, root,
			     "a configuration file is a map of keys such as option_settings, "
			     "Resources, files, commands",
			     "the top level must be a map, not a %s",
			     sp_node_type_name(root->type));
		goto skip;
	}
	int bad = 0;
	for (size_t i = 0; i < root->n; i++) {
		const char *k = key_text(root->keys[i]);
		int t = top_index(k);
		if (t < 0) {
			const char *names[N_TOP];
			for (size_t j = 0; j < N_TOP; j++)
				names[j] = top_keys[j].key;
			const char *near = sp_suggest(k, names, N_TOP);
			char hint[512];
			if (near)
				snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
			else
				snprintf(hint, sizeof(hint),
					 "the keys are option_settings, Resources, Outputs, Mappings, "
					 "Parameters, files, commands, container_commands, packages, "
					 "groups, users, sources, services");
			sp_diag_node(d, SP_SEV_ERROR, "EBX_UNKNOWN_KEY", doc, root->keys[i], hint,
				     "unknown top-level key \"%s\"", k);
			bad = 1;
			continue;
		}
		if (shadowed(root, i))
			continue;
		const struct sp_node *sec = root->items[i];
		switch (top_keys[t].kind) {
		case K_OPTIONS: bad |= check_options(doc, sec, d); break;
		case K_RESOURCES: bad |= check_resources(doc, sec, d); break;
		case K_ENTRIES: bad |= check_entries(doc, k, sec, d); break;
		case K_CFN:
			if (sec->type != SP_NODE_MAP && sec->type != SP_NODE_NULL) {
				char msg[128];
				snprintf(msg, sizeof(msg), "%s must be a map", k);
				bad |= err(d, "EBX_SECTION_TYPE", doc, sec, NULL, msg);
			}
			break;
		case K_NA:
			sp_diag_node(d, SP_SEV_WARNING, "EBX_NOT_APPLICABLE", doc, root->keys[i],
				     "put what it sets up into the container image (Dockerfile) or "
				     "into .platform/hooks",
				     "\"%s\" configures the EC2 host; sprout runs containers and "
				     "does not apply it", k);
			break;
		}
	}
	if (bad)
		goto skip;
	/* Valid: apply option settings, register resources and sections. */
	for (size_t i = 0; i < root->n; i++) {
		if (shadowed(root, i))
			continue;
		const char *k = key_text(root->keys[i]);
		const struct sp_node *sec = root->items[i];
		int t = top_index(k);
		rc = 0;
		switch (top_keys[t].kind) {
		case K_OPTIONS:
			if (opts)
				rc = apply_options(doc, sec, opts, d);
			break;
		case K_RESOURCES:
			for (size_t j = 0; rc == 0 && sec->type == SP_NODE_MAP && j < sec->n; j++)
				rc = push_resource(x, doc, sec->keys[j], sec->items[j]);
			break;
		case K_CFN:
			if (sec->type == SP_NODE_MAP)
				rc = push_section(x, doc, top_keys[t].key, sec);
			break;
		case K_ENTRIES:
		case K_NA:
			count_key(x, top_keys[t].key, sec->type == SP_NODE_MAP ? sec->n : 0);
			break;
		}
		if (rc != 0) {
			sp_doc_free(doc);
			return rc;
		}
	}
keep:
	if (x->nfiles == x->capfiles) {
		size_t nc = x->capfiles ? x->capfiles * 2 : 8;
		struct ebx_file *nf = realloc(x->files, nc * sizeof(*nf));
		if (!nf) {
			sp_doc_free(doc);
			return SP_ENOMEM;
		}
		x->files = nf;
		x->capfiles = nc;
	}
	x->files[x->nfiles].name = sp_strdup(name);
	x->files[x->nfiles].doc = doc;
	x->nfiles++;
	return 0;
skip:
	note_skipped(d, name);
	sp_doc_free(doc);
	return SP_EINVAL;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int sp_ebx_load_dir(struct sp_ebx *x, const char *bundle_dir, struct sp_options *opts,
		    struct sp_diags *d)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	char *dir = sp_aprintf("%s/.ebextensions", bundle_dir);
	if (!dir)
		return SP_ENOMEM;
	DIR *dh = opendir(dir);
	if (!dh) {
		free(dir);
		return 0; /* no .ebextensions: nothing to load */
	}
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nn = realloc(names, nc * sizeof(*nn));
			if (!nn) {
				rc = SP_ENOMEM;
				goto out;
			}
			names = nn;
			cap = nc;
		}
		if (!(names[n] = sp_strdup(e->d_name))) {
			rc = SP_ENOMEM;
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *display = sp_aprintf(".ebextensions/%s", names[i]);
		char *full = sp_aprintf("%s/%s", dir, names[i]);
		struct stat st;
		if (!display || !full) {
			rc = SP_ENOMEM;
		} else if (lstat(full, &st) != 0 || S_ISDIR(st.st_mode)) {
			/* sub-folders (scripts shipped next to configs) are not configs */
		} else if (!ends_with(names[i], ".config")) {
			struct sp_loc loc = { display, 0, 0, "" };
			sp_diag_add(d, SP_SEV_WARNING, "EBX_FILE_IGNORED", loc,
				    "Elastic Beanstalk only reads files ending in .config; rename it "
				    "if it is meant as one",
				    "%s is not a .config file and is ignored", display);
		} else if (!S_ISREG(st.st_mode)) {
			struct sp_loc loc = { display, 0, 0, "" };
			sp_diag_add(d, SP_SEV_ERROR, "EBX_FILE_UNREADABLE", loc, NULL,
				    "%s is not a regular file", display);
		} else {
			struct sp_buf b = SP_BUF_INIT(MAX_EBX_FILE_SIZE);
			int r = sp_read_file(full, MAX_EBX_FILE_SIZE, &b);
			if (r == 0) {
				r = sp_ebx_add_file(x, b.data ? b.data : "", b.len, display, opts, d);
				if (r == SP_ENOMEM || r == SP_ETOOBIG)
					rc = r;
			} else {
				struct sp_loc loc = { display, 0, 0, "" };
				sp_diag_add(d, SP_SEV_ERROR,
					    r == SP_ETOOBIG ? "EBX_FILE_TOO_LARGE" : "EBX_FILE_UNREADABLE",
					    loc, NULL, "%s cannot be read: %s", display,
					    r == SP_ETOOBIG ? "larger than 1 MiB" : strerror(errno));
			}
			sp_buf_free(&b);
		}
		free(display);
		free(full);
	}
out:
	closedir(dh);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return rc;
}
