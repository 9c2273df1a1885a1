/* dockerrun.h — Dockerrun.aws.json (versions 1 and 2) into one model of an ECS task
 * definition, every problem reported as a located diagnostic, and the ECS
 * RegisterTaskDefinition request generated from the model.
 *
 * What is accepted, what each DOCKERRUN_* code means and how to fix it: docs/dockerrun.md
 * and docs/diagnostics.md. In short:
 *  - version 2 (AWSEBDockerrunVersion 2 or "2"): volumes, containerDefinitions (every ECS
 *    ContainerDefinition field EB passes through, typed by one field table in
 *    dockerrun.c), authentication {bucket, key}, executionRoleArn;
 *  - version 1 (single container: Image, Ports, Volumes, Logging, Entrypoint, Command,
 *    Authentication) is converted into the same model: one container named
 *    SP_DOCKERRUN_V1_CONTAINER;
 *  - version 3 and a declared version that does not match the keys used are errors.
 *
 * The loader checks everything at once and never stops at the first problem. Security
 * rules (privileged, host paths outside the bundle, the Docker socket) are errors unless
 * the matching field of struct sp_dockerrun_options allows them; those fields come from
 * the environment options sprout:security AllowPrivileged / AllowHostPaths /
 * AllowDockerSocket. Bundle-relative host paths (/var/app/current/...) are checked
 * with options.bundle_has when it is set.
 *
 * Ownership: sp_dockerrun_load* hand the caller a struct sp_dockerrun (free with
 * sp_dockerrun_free) that owns every string and array below. The model is plain data
 * and does not refer to the document it came from.
 */
#ifndef SPROUT_DOCKERRUN_H
#define SPROUT_DOCKERRUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/diag.h"

#define SP_DOCKERRUN_FILE "Dockerrun.aws.json"
#define SP_DOCKERRUN_MAX_CONTAINERS 10   /* MAX_CONTAINERS: ECS, not adjustable */
#define SP_DOCKERRUN_MAX_LIST 1000       /* MAX_LIST_ITEMS in any one array of the file */
#define SP_DOCKERRUN_MAX_NAME 255        /* MAX_NAME: container, volume and family names */
#define SP_DOCKERRUN_MIN_MEMORY_MIB 6    /* Docker's minimum memory (and reservation) */
#define SP_DOCKERRUN_V1_CONTAINER "app"  /* the container a version 1 file becomes */
#define SP_DOCKERRUN_V1_MEMORY_RESERVATION 128 /* MiB soft limit given to a v1 container */
/* Host port of a v1 container without HostPort: EB's nginx proxy listens on 80 and
 * forwards to the first ContainerPort; sprout publishes that port on 80 directly. */
#define SP_DOCKERRUN_V1_HOST_PORT 80
#define SP_DOCKERRUN_LOG_VOLUME_PREFIX "awseb-logs-"
#define SP_DOCKERRUN_LOG_HOST_DIR "/var/log/containers/"
#define SP_DOCKERRUN_BUNDLE_DIR "/var/app/current" /* where EB deploys the bundle */
#define SP_DOCKERRUN_EPHEMERAL_MIN 32768 /* Linux ip_local_port_range start */
#define SP_DOCKERRUN_EPHEMERAL_MAX 65535 /* ECS fallback range end */

struct sp_dockerrun_options {
	bool allow_privileged;    /* sprout:security AllowPrivileged */
	bool allow_host_paths;    /* sprout:security AllowHostPaths */
	bool allow_docker_socket; /* sprout:security AllowDockerSocket */
	/* Answers whether the bundle (what becomes /var/app/current) holds rel, a normalised
	 * relative path ("php-app", "proxy/conf.d/default.conf"). NULL when the file is
	 * validated alone: then bundle-relative host paths are not checked. */
	bool (*bundle_has)(void *bundle_ctx, const char *rel);
	void *bundle_ctx;
};

enum sp_dr_protocol { SP_DR_TCP = 0, SP_DR_UDP = 1 };

struct sp_dr_port {
	int container_port;        /* 1..65535 */
	int host_port;             /* 0: not set, an ephemeral port is chosen */
	enum sp_dr_protocol protocol;
};

struct sp_dr_mount {
	char *source_volume;       /* a volume of the task (user or awseb-logs-<name>) */
	char *container_path;      /* absolute */
	bool read_only;
};

struct sp_dr_volume_from {
	char *source_container;
	bool read_only;
};

struct sp_dr_link {
	char *container;           /* an existing container */
	char *alias;               /* "name:alias" → alias; NULL when none */
};

struct sp_dr_env {
	char *name;
	char *value;
};

struct sp_dr_depends {
	char *container;
	char *condition;           /* START, COMPLETE, SUCCESS or HEALTHY */
};

struct sp_dr_container {
	char *name;
	char *image;               /* as written (valid per engine/image/ref.h) */
	int64_t cpu;               /* CPU units, 0 = not set */
	int64_t memory;            /* MiB hard limit, 0 = not set */
	int64_t memory_reservation;/* MiB soft limit, 0 = not set */
	bool essential;            /* default true */
	bool privileged;
	bool readonly_root_filesystem;
	bool pull;                 /* v1 Image.Update; always true for v2 */
	char *working_directory, *hostname, *user; /* NULL when not set */
	char **entry_point; size_t n_entry_point;
	char **command; size_t n_command;
	struct sp_dr_link *links; size_t n_links;
	struct sp_dr_port *ports; size_t n_ports;
	struct sp_dr_env *env; size_t n_env;       /* duplicates removed, the last wins */
	struct sp_dr_mount *mounts; size_t n_mounts;/* includes the injected log mount */
	struct sp_dr_volume_from *volumes_from; size_t n_volumes_from;
	struct sp_dr_depends *depends_on; size_t n_depends_on;
	/* The whole ECS ContainerDefinition as it goes into RegisterTaskDefinition (typed,
	 * quoted scalars converted, EB's log mount added); every other field (ulimits,
	 * logConfiguration, healthCheck, linuxParameters, ...) is read from here. Owned. */
	json_t *definition;
};

struct sp_dr_volume {
	char *name;
	char *source_path;         /* host path; NULL = Docker-managed (empty "host") */
	bool log_volume;           /* an injected awseb-logs-<container> volume */
};

struct sp_dockerrun {
	int version;               /* the version the keys follow: 1 or 2 */
	struct sp_dr_container *containers; size_t n_containers; /* 1..10, file order */
	/* The user's volumes in file order, then one awseb-logs-<container> volume
	 * (host path /var/log/containers/<container>) per container. */
	struct sp_dr_volume *volumes; size_t n_volumes;
	char *auth_bucket, *auth_key; /* private registry .dockercfg in S3; NULL when none */
	char *execution_role_arn;     /* NULL when none */
};

/* Loads and checks a Dockerrun.aws.json held in data (len bytes), named `file` in
 * diagnostics. opts may be NULL (nothing allowed, no bundle). Every problem goes to d.
 * Returns 0 and sets *out when there is no error (warnings may have been added);
 * SP_ERROR when there are errors (nothing is returned); SP_ENOMEM. */
int sp_dockerrun_load(const char *data, size_t len, const char *file,
		      const struct sp_dockerrun_options *opts, struct sp_diags *d,
		      struct sp_dockerrun **out);
/* Same, reading the file at path (at most SP_DOC_MAX_INPUT bytes); display_name names it
 * in diagnostics (path when NULL). */
int sp_dockerrun_load_file(const char *path, const char *display_name,
			   const struct sp_dockerrun_options *opts, struct sp_diags *d,
			   struct sp_dockerrun **out);
void sp_dockerrun_free(struct sp_dockerrun *dr);

/* Finds a container by name; NULL when absent. */
const struct sp_dr_container *sp_dockerrun_container(const struct sp_dockerrun *dr,
						     const char *name);

/* The task definition family EB uses: "awseb-<environment>-<environment id>". env NULL
 * gives the placeholder "awseb-" SP_TASKDEF_PLACEHOLDER_ENV "-" SP_TASKDEF_PLACEHOLDER_ID;
 * env_id NULL gives SP_TASKDEF_PLACEHOLDER_ID. SP_EINVAL when the result is not a valid
 * family (^[A-Za-z0-9_-]{1,255}$). */
#define SP_TASKDEF_PLACEHOLDER_ENV "environment"
#define SP_TASKDEF_PLACEHOLDER_ID "e-0000000000"
int sp_taskdef_family(const char *env, const char *env_id, struct sp_buf *out);

/* The ECS RegisterTaskDefinition request body: {family, networkMode: "bridge",
 * containerDefinitions, volumes[, executionRoleArn]}. The caller owns *out
 * (json_decref). SP_EINVAL for an invalid family, SP_ENOMEM. */
int sp_taskdef_to_json(const struct sp_dockerrun *dr, const char *family, json_t **out);

/* Every DOCKERRUN_* code with a one-line meaning (for docs and tests), NULL-terminated
 * pairs: codes[2*i] = code, codes[2*i+1] = meaning. */
extern const char *const sp_dockerrun_codes[];

#endif
