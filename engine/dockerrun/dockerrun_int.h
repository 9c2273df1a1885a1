/* dockerrun_int.h — internals shared by the files of engine/dockerrun (not installed).
 *
 *   schema.c   the field tables and the typed walk (types, quoted scalars, unknown and
 *              docker-compose keys) that also builds the ECS JSON of each object
 *   rules.c    the rules over the whole file (names, memory, links, ports, volumes, ...)
 *   v1.c       version 1: its checks and its conversion into a version 2 definition
 *   model.c    sp_dockerrun_load: version detection, the steps above, the model
 *   taskdef.c  the RegisterTaskDefinition request and the family name
 */
#ifndef SPROUT_DOCKERRUN_INT_H
#define SPROUT_DOCKERRUN_INT_H

#include "engine/base/doc.h"
#include "engine/dockerrun/dockerrun.h"

struct dr_ctx {
	const struct sp_doc *doc;
	struct sp_diags *d;
	const struct sp_dockerrun_options *opts;
	bool nomem;
};

enum dr_type {
	DR_STRING,
	DR_INT,
	DR_BOOL,
	DR_STRINGS,   /* [string] */
	DR_STRMAP,    /* {string: string} */
	DR_OBJECT,    /* {...} per sub table */
	DR_OBJECTS,   /* [{...}] per sub table */
	DR_VERSION,   /* AWSEBDockerrunVersion: checked by model.c, never output */
	DR_IGNORED,   /* known, accepted, not passed on (warning DOCKERRUN_KEY_IGNORED) */
	DR_V1_INT,    /* version 1 number: integer or numeric string, both documented */
	DR_V1_BOOL,   /* version 1 boolean: true/false or "true"/"false", both documented */
};

struct dr_field {
	const char *name;
	enum dr_type type;
	const struct dr_field *sub; /* DR_OBJECT / DR_OBJECTS */
	const char *what;           /* DR_OBJECT(S): what one such object is, for messages */
	bool required;
	const char *hint;           /* extra hint for type errors, or why it is ignored */
};

/* Tables (schema.c), each ends with a { NULL } entry. */
const struct dr_field *dr_v2_root_table(void);
const struct dr_field *dr_v1_root_table(void);

/* Typed walk of map n against table (what names it in messages: "container definition").
 * Reports type errors, quoted scalars, unknown keys (with a suggestion), docker-compose
 * keys (when compose is true) and missing required keys. Returns the ECS JSON object in
 * table order (invalid members left out), or NULL when n is not a map or on ENOMEM. */
json_t *dr_typed_object(struct dr_ctx *c, const struct sp_node *n, const struct dr_field *table,
			const char *what, bool compose);

/* Scalar readers that accept what the typed walk accepted (a quoted number or boolean
 * too); false when absent or of another type. */
bool dr_int(const struct sp_node *n, int64_t *v);
bool dr_bool(const struct sp_node *n, bool *v);
const char *dr_str(const struct sp_node *n); /* a string without embedded NUL */
bool dr_name_valid(const char *s);           /* ^[A-Za-z0-9_-]{1,255}$ */

/* Rules over a version 2 file (rules.c). root is the document's map. */
void dr_check_v2(struct dr_ctx *c, const struct sp_node *root);
/* Rules over a version 1 file (v1.c), and its conversion: fills defs (one container
 * definition) and vols (volumes) from a file that passed its checks. */
void dr_check_v1(struct dr_ctx *c, const struct sp_node *root);
int dr_v1_convert(const struct sp_node *root, json_t *defs, json_t *vols);
/* A host path rule shared by v1 and v2: sourcePath at node n (what: "volume \"x\""). */
void dr_check_host_path(struct dr_ctx *c, const struct sp_node *n, const char *path);
/* Image rule shared by v1 and v2. */
void dr_check_image(struct dr_ctx *c, const struct sp_node *n);
/* Port rules shared by v1 and v2: one mapping; seen collects host ports of the task. */
struct dr_port_seen {
	int port[2 * SP_DOCKERRUN_MAX_LIST];
	int proto[2 * SP_DOCKERRUN_MAX_LIST];
	const char *owner[2 * SP_DOCKERRUN_MAX_LIST];
	size_t n;
};
void dr_check_port(struct dr_ctx *c, const struct sp_node *at_container, const struct sp_node *at_host,
		   int64_t container_port, bool has_host, int64_t host_port, const char *protocol,
		   const struct sp_node *proto_node, const char *owner, struct dr_port_seen *seen);

#endif
