/* docker.h — a Docker Engine API client (v1.41) over libcurl on the unix socket, and the
 * mapping of an ECS container definition onto a Docker create request.
 *
 * Facts: ../shared/reference/external-apis.md §1 (transport, create body, lifecycle, logs,
 * images, networks). Every path is prefixed with /v1.41. Calls are synchronous; a
 * struct sp_docker is one libcurl handle and must not be used from two threads at once.
 *
 * Errors: every call returns 0 or a negative SP_E* code:
 *   SP_EIO        the socket could not be reached (daemon missing or not running);
 *   SP_ENOTFOUND  the daemon answered 404 (no such container/image/network/volume);
 *   SP_EEXISTS    the daemon answered 409 (name in use, container running, not running);
 *   SP_ETOOBIG    an answer was larger than its MAX_* limit;
 *   SP_ERROR      any other failure status.
 * After a failure sp_docker_last_error() holds one line: the daemon's own "message", or
 * the transport error. Registry credentials are never part of it, nor of anything else
 * this module returns.
 *
 * Outputs (ids, json_t trees, buffers) are written only on success and belong to the
 * caller (free() for strings, json_decref() for trees).
 *
 * The process must have called curl_global_init() once before clients are opened from
 * several threads (libcurl's own rule; `sprout serve` does it in main).
 */
#ifndef SPROUT_DOCKER_H
#define SPROUT_DOCKER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/buf.h"

#define SP_DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
#define SP_DOCKER_API_VERSION "1.41"
#define SP_DOCKER_MIN_API_MAJOR 1
#define SP_DOCKER_MIN_API_MINOR 41

#define SP_DOCKER_MAX_SOCKET_PATH 107                  /* sun_path on Linux, minus NUL */
#define SP_DOCKER_MAX_RESPONSE ((size_t)16 << 20)     /* MAX_DOCKER_RESPONSE: one answer */
#define SP_DOCKER_MAX_LOGS ((size_t)32 << 20)         /* MAX_DOCKER_LOGS: one logs call */
#define SP_DOCKER_MAX_PULL_STREAM ((size_t)16 << 20)  /* MAX_DOCKER_PULL_STREAM */
#define SP_DOCKER_MAX_ERROR 1024                       /* MAX_DOCKER_ERROR: last_error */
#define SP_DOCKER_TIMEOUT_S 120                        /* ordinary calls */
#define SP_DOCKER_PULL_TIMEOUT_S 1800                  /* image pulls */

struct sp_docker; /* opaque */

/* Opens a client for socket_path (NULL: $DOCKER_HOST when it is unix://..., else
 * SP_DOCKER_DEFAULT_SOCKET). Does not connect. SP_EINVAL for a path longer than
 * SP_DOCKER_MAX_SOCKET_PATH or a DOCKER_HOST that is not unix://. */
int sp_docker_open(const char *socket_path, struct sp_docker **out);
void sp_docker_close(struct sp_docker *d);
const char *sp_docker_socket(const struct sp_docker *d);
/* The last failure's message ("" when none). Valid until the next call. */
const char *sp_docker_last_error(const struct sp_docker *d);

/* GET /_ping then GET /version. On success *version (may be NULL) gets the daemon's
 * "Version" (caller frees). On failure `msg` gets a plain explanation of what is missing
 * and how to install or start it (socket absent, permission denied, daemon not answering,
 * API older than 1.41) and the code is SP_EIO or SP_ERROR. */
int sp_docker_check(struct sp_docker *d, char **version, struct sp_buf *msg);

/* One raw request: method, path (without the /v1.41 prefix, starting with '/'), optional
 * JSON body, optional extra header lines ("Name: value", NULL-terminated list), answer
 * capped at max bytes. *status gets the HTTP status. Returns 0 whenever an HTTP answer
 * came (whatever its status), SP_EIO on transport errors, SP_ETOOBIG past max. */
int sp_docker_request(struct sp_docker *d, const char *method, const char *path,
		      const char *body, const char *const *headers, long timeout_s,
		      size_t max, long *status, struct sp_buf *resp);

/* Containers. `body` is a create request (see sp_docker_map_container). */
int sp_docker_container_create(struct sp_docker *d, const char *name, const json_t *body,
			       char **id);
int sp_docker_container_start(struct sp_docker *d, const char *id); /* 304 counts as done */
/* timeout_s < 0: the container's own StopTimeout. 304 (already stopped) counts as done. */
int sp_docker_container_stop(struct sp_docker *d, const char *id, int timeout_s);
int sp_docker_container_kill(struct sp_docker *d, const char *id, const char *signal);
/* force: also a running one; volumes: its anonymous volumes too. Missing is not an error. */
int sp_docker_container_remove(struct sp_docker *d, const char *id, bool force, bool volumes);
int sp_docker_container_inspect(struct sp_docker *d, const char *id, json_t **out);
/* Every container (running or not) carrying all of `labels` ("key" or "key=value"). */
int sp_docker_container_list(struct sp_docker *d, const char *const *labels, size_t n,
			     json_t **out);
/* Blocks until condition ("not-running", "next-exit", "removed") holds, at most
 * timeout_s; *exit_code gets StatusCode. */
int sp_docker_container_wait(struct sp_docker *d, const char *id, const char *condition,
			     long timeout_s, long *exit_code);
/* stdout+stderr, demultiplexed unless tty. since: NULL or a UNIX timestamp
 * ("1700000000.123456789"); tail: NULL for all or a line count; timestamps: prefix
 * every line with its RFC 3339 time and a space. Appends to out. */
int sp_docker_container_logs(struct sp_docker *d, const char *id, bool tty, const char *since,
			     const char *tail, bool timestamps, struct sp_buf *out);

/* Networks and volumes, labelled (labels: a JSON object of strings, may be NULL). A
 * network gets subnet ("172.16.0.16/28") and gateway when given, else an address range
 * from the daemon's default pools. SP_EEXISTS: the name is taken, or the subnet overlaps
 * another network's. */
int sp_docker_network_create(struct sp_docker *d, const char *name, const json_t *labels,
			     const char *subnet, const char *gateway, char **id);
int sp_docker_network_remove(struct sp_docker *d, const char *id_or_name); /* missing: ok */
int sp_docker_network_list(struct sp_docker *d, const char *const *labels, size_t n,
			   json_t **out);
int sp_docker_volume_create(struct sp_docker *d, const char *name, const json_t *labels);
int sp_docker_volume_remove(struct sp_docker *d, const char *name); /* missing: ok */
int sp_docker_volume_list(struct sp_docker *d, const char *const *labels, size_t n,
			  json_t **out); /* the "Volumes" array */

/* Registry credentials for a pull; passed in by the caller, never logged. */
struct sp_docker_auth {
	const char *serveraddress; /* "127.0.0.1:5000", "https://index.docker.io/v1/" */
	const char *username;
	const char *password;
	const char *identitytoken; /* instead of username/password; may be NULL */
};

int sp_docker_image_inspect(struct sp_docker *d, const char *ref, json_t **out);
/* POST /images/create for ref (tag "latest" when it has neither tag nor digest), with
 * X-Registry-Auth when auth is not NULL. Errors inside the 200 progress stream count. */
int sp_docker_image_pull(struct sp_docker *d, const char *ref,
			 const struct sp_docker_auth *auth);

/* ---- pure helpers (no daemon; unit-tested) ---- */

/* Demultiplexes a logs/attach body (8-byte frame headers) into out; a truncated last
 * frame is kept as far as it goes. */
int sp_docker_demux(const char *p, size_t n, struct sp_buf *out);
/* The X-Registry-Auth value: padded base64url of {"username","password","email",
 * "serveraddress"} or {"identitytoken","serveraddress"}. */
int sp_docker_auth_header_value(const struct sp_docker_auth *auth, struct sp_buf *out);
/* Splits an image reference into name and tag/digest for /images/create:
 * "127.0.0.1:5000/a/b:1" -> "127.0.0.1:5000/a/b", "1"; "busybox" -> "busybox",
 * "latest"; "a@sha256:..." -> "a", "sha256:..." (digest). Also gives the registry host
 * ("docker.io" when none). Caller frees the three strings. */
int sp_docker_split_ref(const char *ref, char **name, char **tag, char **registry);

/* ---- ECS container definition -> Docker create request ---- */

#define SP_DOCKER_MAX_CONTAINERS 10   /* MAX_TASK_CONTAINERS: ECS's per-task limit */
#define SP_DOCKER_MAX_ALIASES 32      /* MAX_CONTAINER_ALIASES */

/* Where the task runs. All strings are borrowed. */
struct sp_docker_task_ctx {
	const char *environment;    /* label sprout.env */
	const char *instance_id;    /* label sprout.instance */
	const char *task_id;        /* label sprout.task */
	const char *version;        /* label sprout.version */
	const char *instance_root;  /* absolute; host paths resolve inside it */
	const char *host_ip;        /* the instance's address: portMappings bind here */
	const char *network;        /* the task's network (NetworkMode + aliases); "bridge":
				     * Docker's default bridge, links as legacy links */
	const json_t *volumes;      /* the task definition's "volumes" (may be NULL) */
	/* ECS container name -> Docker container name, for volumesFrom (object of strings). */
	const json_t *docker_names;
	/* ECS container name -> array of extra network aliases (from other containers'
	 * links "name:alias"); may be NULL. The container's own name is always an alias. */
	const json_t *aliases;
	const json_t *properties;   /* environment properties {NAME: value}, may be NULL */
	bool allow_privileged;      /* privileged: true is refused unless set */
	bool allow_host_paths;      /* sourcePaths outside /var/app and /var/log stay host paths */
};

/* A link "name[:alias]" of a container definition: name into target (at most n - 1
 * bytes), the alias as the return value (NULL when there is none or it is empty). */
#define SP_DOCKER_MAX_NAME 256 /* a container name (ECS: at most 255) and its NUL */
const char *sp_docker_link_split(const char *link, char *target, size_t n);

/* Builds the POST /containers/create body for one ECS container definition `def`
 * (RegisterTaskDefinition shape). Environment properties come first and the
 * definition's own `environment` overrides them. Every field the ECS docs map to Docker
 * is mapped (docs/driver.md has the table). Labels: dockerLabels plus sprout.env,
 * sprout.instance, sprout.task, sprout.version, sprout.container, sprout.essential.
 * SP_EINVAL with a one-line reason in err for what the local driver cannot or must not
 * run (privileged not allowed, unknown sourceVolume, unknown volumesFrom container,
 * networkMode other than bridge). */
int sp_docker_map_container(const json_t *def, const struct sp_docker_task_ctx *ctx,
			    json_t **body, struct sp_buf *err);

/* Where a volume's host.sourcePath lands: "/var/app/current/x" ->
 * "<root>/var/app/current/x"; any absolute path resolves inside the instance root unless
 * allow_host_paths (then only /var/app/... and /var/log/... do). SP_EUNSAFE for a path
 * that is relative, holds "..", or climbs out. */
int sp_docker_resolve_source_path(const char *instance_root, const char *source_path,
				  bool allow_host_paths, struct sp_buf *out);

/* Start order of containerDefinitions from links, volumesFrom and dependsOn:
 * order[0..n-1] gets indexes into the array, dependencies first, otherwise in file
 * order. SP_EINVAL (reason in err) on a cycle or a reference to no container.
 * n must be <= SP_DOCKER_MAX_CONTAINERS. */
int sp_docker_start_order(const json_t *container_definitions, size_t *order, size_t n,
			  struct sp_buf *err);

#endif
