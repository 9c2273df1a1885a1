/* ebextensions.h — `.ebextensions/NAME.config` files, the option schema and option resolution.
 *
 * Depends only on engine/base. Three parts:
 *
 *  1. The option schema (options.c): one table row per (namespace, option) with its type,
 *     range or allowed values and default, for every namespace sprout applies (aws:elb:*,
 *     aws:autoscaling:asg, aws:elasticbeanstalk:*, and sprout's own `sprout:*`). docs/options.md
 *     is generated from it (sp_opt_schema_markdown) and a unit test keeps the two equal.
 *
 *  2. Option settings with Elastic Beanstalk's precedence (struct sp_options): API/CLI
 *     settings (create/update time) > saved configurations > .ebextensions > defaults. Among
 *     .ebextensions, a later file (or a later item of one file) overrides an earlier one and
 *     a note (EBX_OPTION_OVERRIDDEN) says so. Every value is checked against the schema when
 *     it is set: a wrong type or value is an error (EBX_OPTION_VALUE, hint: the allowed
 *     values) and the value is not recorded; an unknown option or namespace is a warning
 *     with "did you mean" (EBX_OPTION_UNKNOWN, EBX_NAMESPACE_UNKNOWN) and the value is kept.
 *
 *  3. Config files (config.c, resources.c): every `.ebextensions/NAME.config` of a bundle in
 *     alphabetical (byte) order, YAML or JSON through doc.h. Top-level keys: option_settings
 *     (map and list forms), Resources, Outputs, Mappings, Parameters, files, commands,
 *     container_commands; packages, groups, users, sources, services are parsed and warned
 *     about (EBX_NOT_APPLICABLE). A repeated top-level key is a warning at both positions
 *     (EBX_DUPLICATE_KEY; the later one is used). An unknown top-level key makes the whole
 *     file invalid, as in EB: EBX_UNKNOWN_KEY (error) and the file is skipped
 *     (EBX_FILE_SKIPPED note). Resources keep their document nodes (positions) for the plan
 *     and the CloudFormation export; intrinsic functions (Ref, Fn::GetAtt, Fn::Join,
 *     Fn::GetOptionSetting, Fn::Sub strings kept) and backtick substitutions in option values
 *     are resolved by sp_ebx_eval.
 *
 * Ownership: struct sp_options and struct sp_ebx are opaque and owned by the caller (free
 * with sp_options_free / sp_ebx_free). Pointers returned by getters stay valid until the
 * owning object is freed or (for sp_options) the same option is set again.
 *
 * Limits: MAX_EBX_FILES config files per bundle, MAX_EBX_OPTIONS settings in one
 * sp_options, MAX_EBX_ENV_TOTAL bytes of `key=value` environment properties (EB's 4096),
 * MAX_EBX_ENV_NAME / MAX_EBX_ENV_VALUE, MAX_EBX_EVAL_DEPTH nested intrinsic functions. Each
 * crossing is an error diagnostic.
 */
#ifndef SPROUT_EBEXTENSIONS_H
#define SPROUT_EBEXTENSIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/buf.h"
#include "engine/base/diag.h"
#include "engine/base/doc.h"

#define MAX_EBX_FILES 256
#define MAX_EBX_OPTIONS 4096
#define MAX_EBX_ENV_TOTAL 4096
#define MAX_EBX_ENV_NAME 128
#define MAX_EBX_ENV_VALUE 256
#define MAX_EBX_EVAL_DEPTH 32
#define MAX_EBX_FILE_SIZE ((size_t)1 << 20)

#define SP_NS_ENV "aws:elasticbeanstalk:application:environment"
#define SP_NS_CUSTOM "aws:elasticbeanstalk:customoption"

/* ---- 1. the option schema ---------------------------------------------------------- */

enum sp_opt_type {
	SP_OPT_STRING = 0, /* any text */
	SP_OPT_INT,        /* decimal integer in [min, max] */
	SP_OPT_BOOL,       /* true or false (any case) */
	SP_OPT_ENUM,       /* one of `allowed` ("A|B|C"), exact case */
	SP_OPT_INT_OR,     /* an integer in [min, max] or one of `allowed` (e.g. OFF) */
	SP_OPT_HCURL,      /* Application Healthcheck URL: /path or PROTO:PORT/path */
	SP_OPT_TARGET,     /* aws:elb:healthcheck Target: PROTO:PORT[/path] */
	SP_OPT_LIST,       /* comma-separated list of words */
};

struct sp_opt_def {
	const char *ns;      /* "aws:elb:listener:<port>" matches any port 1..65535 */
	const char *name;    /* may contain spaces ("Application Healthcheck URL") */
	enum sp_opt_type type;
	int64_t min, max;    /* SP_OPT_INT, SP_OPT_INT_OR */
	const char *allowed; /* SP_OPT_ENUM, SP_OPT_INT_OR: "A|B|C" */
	const char *def;     /* default as text; NULL = none. "<port>" = the namespace's port */
	const char *doc;     /* one line for docs/options.md */
};

/* The whole table (read-only, static storage). */
const struct sp_opt_def *sp_opt_schema(size_t *n);
/* The row for ns/name, NULL when the option is unknown. ns may carry a port. */
const struct sp_opt_def *sp_opt_lookup(const char *ns, const char *name);
/* true when ns is a namespace of the table (with a port when it is a <port> family). */
bool sp_opt_namespace_known(const char *ns);
/* The port of "aws:elb:listener:<port>"; 0 when ns is not of that family or the port is
 * not 1..65535. */
int sp_opt_listener_port(const char *ns);
/* Writes docs/options.md (the whole page) from the table. */
int sp_opt_schema_markdown(struct sp_buf *out);

/* ---- 2. option settings ------------------------------------------------------------ */

enum sp_opt_level {
	SP_OPT_LEVEL_DEFAULT = 0,
	SP_OPT_LEVEL_EBEXT = 1, /* .ebextensions */
	SP_OPT_LEVEL_SAVED = 2, /* saved configurations */
	SP_OPT_LEVEL_API = 3,   /* create/update time (`--option`, API) */
};
const char *sp_opt_level_name(enum sp_opt_level l); /* "default", ".ebextensions", ... */

/* One effective setting. */
struct sp_opt_setting {
	char *ns, *name, *value;
	enum sp_opt_level level;
	char *file; /* where it was set (NULL for defaults); line/column 0 when unknown */
	int line, column;
	char *path;
};

struct sp_options; /* opaque */

int sp_options_new(struct sp_options **out);
void sp_options_free(struct sp_options *o);

/* Checks value against the schema and records it at `level`. A lower level than the one
 * already recorded is ignored (silently: that is precedence, not a problem); the same
 * .ebextensions level overrides with a note naming the earlier place. Invalid values are
 * reported in d and not recorded. Returns 0, or SP_ENOMEM / SP_ETOOBIG (MAX_EBX_OPTIONS). */
int sp_options_set(struct sp_options *o, enum sp_opt_level level, const char *ns,
		   const char *name, const char *value, struct sp_loc loc, struct sp_diags *d);
/* Parses "NAMESPACE:OPTION=VALUE" (the option is what follows the last ':' before the
 * first '=') and sets it; located as file `origin` (e.g. "--option"). A malformed argument
 * is EBX_OPTION_SYNTAX and SP_EINVAL. */
int sp_options_set_arg(struct sp_options *o, enum sp_opt_level level, const char *arg,
		       const char *origin, struct sp_diags *d);

/* The recorded setting, NULL when only the default applies. */
const struct sp_opt_setting *sp_options_find(const struct sp_options *o, const char *ns,
					     const char *name);
/* The effective value: the recorded one or the schema default (NULL when neither;
 * "<port>" defaults are not expanded). */
const char *sp_options_get(const struct sp_options *o, const char *ns, const char *name);
/* Typed getters over sp_options_get; `fallback` when unset or unparsable. */
int64_t sp_options_get_int(const struct sp_options *o, const char *ns, const char *name,
			   int64_t fallback);
bool sp_options_get_bool(const struct sp_options *o, const char *ns, const char *name,
			 bool fallback);
/* Recorded settings in first-set order. */
size_t sp_options_count(const struct sp_options *o);
const struct sp_opt_setting *sp_options_at(const struct sp_options *o, size_t i);
/* Checks what can only be judged over all settings (the 4096-byte environment total).
 * Call once after every level was set. */
int sp_options_check(const struct sp_options *o, struct sp_diags *d);

/* ---- 3. config files ----------------------------------------------------------------- */

struct sp_ebx; /* opaque: the loaded config files of one bundle */

/* A user resource of a `Resources` section, as written. */
struct sp_ebx_resource {
	const char *logical_id;
	const char *type;            /* NULL when the file gave no Type (EB IDs may omit it) */
	const struct sp_node *key;   /* the logical ID's key node */
	const struct sp_node *node;  /* the resource's map */
	const struct sp_doc *doc;
};

/* A top-level CloudFormation section other than Resources (Outputs, Mappings,
 * Parameters) of one file. */
struct sp_ebx_section {
	const char *name;
	const struct sp_node *node;
	const struct sp_doc *doc;
};

int sp_ebx_new(struct sp_ebx **out);
void sp_ebx_free(struct sp_ebx *x);

/* Loads every `<bundle_dir>/.ebextensions/NAME.config` in byte order of their names; other
 * files there are EBX_FILE_IGNORED (warning). No .ebextensions folder is not an error.
 * Option settings go into opts at SP_OPT_LEVEL_EBEXT. Problems are in d; returns 0 unless
 * memory ran out or a limit was crossed (SP_ETOOBIG, also reported). Files are named
 * ".ebextensions/<name>" in diagnostics. */
int sp_ebx_load_dir(struct sp_ebx *x, const char *bundle_dir, struct sp_options *opts,
		    struct sp_diags *d);
/* Adds one config file given as bytes (display_name is used in diagnostics). Returns 0
 * when the file was accepted, SP_EINVAL when it was invalid and skipped (reported), or
 * SP_ENOMEM / SP_ETOOBIG. */
int sp_ebx_add_file(struct sp_ebx *x, const char *data, size_t len, const char *display_name,
		    struct sp_options *opts, struct sp_diags *d);

size_t sp_ebx_file_count(const struct sp_ebx *x);   /* accepted files */
size_t sp_ebx_resource_count(const struct sp_ebx *x);
const struct sp_ebx_resource *sp_ebx_resource_at(const struct sp_ebx *x, size_t i);
size_t sp_ebx_section_count(const struct sp_ebx *x);
const struct sp_ebx_section *sp_ebx_section_at(const struct sp_ebx *x, size_t i);
/* Number of `commands` / `container_commands` / `files` entries seen (for the plan). */
size_t sp_ebx_count_key(const struct sp_ebx *x, const char *top_level_key);

/* ---- intrinsic functions ------------------------------------------------------------ */

/* What a value evaluates to where the plan needs one. */
enum sp_ebx_value_kind {
	SP_EBX_LITERAL = 0, /* text */
	SP_EBX_REF,         /* {Ref: id}: a resource (text = logical id) */
	SP_EBX_GETATT,      /* {Fn::GetAtt: [id, attr]} (text = id, attr) */
	SP_EBX_UNKNOWN,     /* something else (a map, a sequence, an unsupported function) */
};
struct sp_ebx_value {
	enum sp_ebx_value_kind kind;
	char *text;
	char *attr;
};
void sp_ebx_value_free(struct sp_ebx_value *v);

/* The environment the functions are evaluated in. */
struct sp_ebx_context {
	const struct sp_ebx *ebx;        /* user resources and Parameters (may be NULL) */
	const struct sp_options *opts;   /* for Fn::GetOptionSetting (may be NULL) */
	const char *const *eb_ids;       /* EB's logical IDs present in this environment */
	size_t n_eb_ids;
	const char *env_name;            /* Ref AWSEBEnvironmentName, AWS::StackName */
	const char *region;              /* AWS::Region */
};

/* Evaluates node n of doc. References to logical IDs that are neither EB's (ctx->eb_ids),
 * nor user resources, nor Parameters, nor pseudo parameters are EBX_REF_UNKNOWN at their
 * position; malformed functions are EBX_FN_INVALID. Returns 0 (with *out set, maybe
 * SP_EBX_UNKNOWN) or SP_EINVAL (reported) / SP_ENOMEM. */
int sp_ebx_eval(const struct sp_ebx_context *ctx, const struct sp_doc *doc,
		const struct sp_node *n, struct sp_diags *d, struct sp_ebx_value *out);
/* Walks every user resource, Output and option value and reports unknown references
 * (EBX_REF_UNKNOWN) and malformed functions, all at once. Returns 0 or SP_ENOMEM. */
int sp_ebx_check_refs(const struct sp_ebx_context *ctx, struct sp_diags *d);
/* Converts a subtree to CloudFormation JSON: Fn::GetOptionSetting becomes the option's
 * value, everything else is kept. NULL on allocation failure. */
json_t *sp_ebx_to_cfn(const struct sp_ebx_context *ctx, const struct sp_node *n);
/* Expands backtick substitutions ("`{\"Ref\": \"AWS::Region\"}`") of an option value into
 * out: functions that evaluate to text are replaced, others are kept as written and
 * *unresolved is set. */
int sp_ebx_expand_backticks(const struct sp_ebx_context *ctx, const char *value,
			    struct sp_buf *out, bool *unresolved);
/* The same as a CloudFormation value: a plain string, or {"Fn::Join": ["", [...]]} with
 * the functions embedded. NULL on allocation failure. */
json_t *sp_ebx_backticks_to_cfn(const struct sp_ebx_context *ctx, const char *value);

/* ---- 4. saved configurations (saved_config.c) ------------------------------------------
 *
 * An EB saved configuration (`eb config save`): `.elasticbeanstalk/saved_configs/NAME.cfg.yml`,
 * YAML (or JSON) through doc.h with top-level keys OptionSettings ({NAMESPACE: {OPTION:
 * VALUE}}), EnvironmentConfigurationMetadata, AWSConfigurationTemplateVersion (accepted
 * silently), SolutionStack, PlatformArn, EnvironmentTier, Extensions, Tags, Platform (not
 * applied: SAVED_CONFIG_NOT_APPLIED note) and anything else (SAVED_CONFIG_UNKNOWN_KEY
 * warning). Every option is checked against the schema exactly as an .ebextensions option
 * (EBX_OPTION_VALUE, EBX_OPTION_UNKNOWN, EBX_NAMESPACE_UNKNOWN/UNSUPPORTED, located in the
 * .cfg.yml) and set at SP_OPT_LEVEL_SAVED; when it replaces an .ebextensions value a
 * SAVED_CONFIG_OVERRIDES note says so (load .ebextensions first, --option settings last).
 * A file whose structure is wrong (not a map, OptionSettings not a map of maps, a value
 * that is not a scalar) is an error (SAVED_CONFIG_SHAPE / SAVED_CONFIG_NOT_A_MAP) and none
 * of its settings are applied. Limits: MAX_SAVED_CONFIG_SIZE bytes (DOC_TOO_LARGE through
 * doc.h), MAX_SAVED_CONFIG_NAME bytes of a name. */
#define MAX_SAVED_CONFIG_SIZE ((size_t)1 << 20)
#define MAX_SAVED_CONFIG_NAME 100 /* EB's limit for a configuration template name */
#define SP_SAVED_CONFIG_DIR ".elasticbeanstalk/saved_configs"
#define SP_SAVED_CONFIG_SUFFIX ".cfg.yml"

/* Turns `--saved-config NAME|FILE` into a path: an argument holding '/' or ending in
 * ".yml"/".yaml"/".json" is a file (as given); anything else is a NAME, resolved to
 * <base_dir>/.elasticbeanstalk/saved_configs/NAME.cfg.yml (base_dir "." or NULL: relative).
 * The path goes to *path (reset first). SP_EINVAL (with SAVED_CONFIG_NAME in d) for an
 * empty or over-long name or one with characters a template name cannot hold. */
int sp_saved_config_resolve(const char *base_dir, const char *name_or_file,
			    struct sp_buf *path, struct sp_diags *d);
/* Loads a saved configuration given as bytes (display_name names it in diagnostics) into
 * opts at SP_OPT_LEVEL_SAVED (opts may be NULL to only check it). Returns 0 when the file
 * was read (option values may still have been refused, as errors in d), SP_EINVAL when its
 * structure is wrong (reported, nothing applied), SP_ENOMEM or SP_ETOOBIG. */
int sp_saved_config_add(const char *data, size_t len, const char *display_name,
			struct sp_options *opts, struct sp_diags *d);
/* The same from a file (at most MAX_SAVED_CONFIG_SIZE bytes). A file that cannot be read
 * is SAVED_CONFIG_NOT_FOUND (error) and SP_EIO; other read
 * failures are doc.h's (DOC_READ_FAILED, DOC_TOO_LARGE). */
int sp_saved_config_load_file(const char *path, const char *display_name,
			      struct sp_options *opts, struct sp_diags *d);

/* ---- codes -------------------------------------------------------------------------- */

/* One diagnostic code with its documentation (docs/diagnostics.md is checked against these
 * tables by tests/unit/test_ebext_codes.c, and every code has a tests/data case). */
struct sp_code_doc {
	const char *code, *severity, *meaning, *fix;
};
extern const struct sp_code_doc sp_ebx_codes[];
extern const size_t sp_ebx_codes_count;
/* The SAVED_CONFIG_* codes (saved_config.c). */
extern const struct sp_code_doc sp_saved_config_codes[];
extern const size_t sp_saved_config_codes_count;

/* Secret environment properties (secrets.c). A property is secret when the comma-separated
 * `secret_list` (sprout:security SecretProperties) names it or its name holds PASSWORD,
 * SECRET, TOKEN, PRIVATE_KEY, ACCESS_KEY, API_KEY or CREDENTIAL (any case). */
#define SP_SECRET_MASK "********"
bool sp_property_is_secret(const char *name, const char *secret_list);
/* Masks, in place, the values of secret properties in an option-settings array
 * [{namespace, option_name, value}] and marks them "secret": true. */
void sp_option_settings_mask_secrets(json_t *settings);

#endif
