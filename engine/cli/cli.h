/* cli.h — the `sprout` front end: the command table and helpers shared by commands.
 *
 * The table (commands.c, git's commands[] is the model) drives dispatch, `sprout help`,
 * `sprout <command> --help`, "did you mean" for unknown commands and bash completion.
 * Each command lives in engine/cli/cmd_<name>.c and gets argv with argv[0] = its name.
 * Commands parse their options with getopt_long (optind is reset before each call).
 *
 * Exit codes (docs/cli.md): 0 success, 1 validation failed / operation failed,
 * 2 usage error, 3 deployment failed, 4 timed out.
 */
#ifndef SPROUT_CLI_H
#define SPROUT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/base/diag.h"

enum {
	SP_EXIT_OK = 0,
	SP_EXIT_FAILED = 1,
	SP_EXIT_USAGE = 2,
	SP_EXIT_DEPLOY_FAILED = 3,
	SP_EXIT_TIMEOUT = 4,
};

struct sp_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;   /* "validate [BUNDLE|DIR] [--json] [--strict]" */
	const char *summary; /* one line for `sprout help` */
	const char *help;    /* the rest of `sprout <command> --help`: options, example */
};

extern const struct sp_command sp_commands[];
extern const size_t sp_commands_count;

const struct sp_command *sp_command_find(const char *name);
/* Prints the command's usage and help to f. */
void sp_command_print_help(const struct sp_command *c, FILE *f);
/* Prints "sprout CMD: <message>" and a usage line to stderr; returns SP_EXIT_USAGE. */
int sp_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* true when argv holds -h or --help (anywhere before "--"). */
bool sp_cli_wants_help(int argc, char **argv);
/* Prints diagnostics to f as text (colour when f is a TTY and NO_COLOR is unset). */
void sp_cli_print_diags(const struct sp_diags *d, FILE *f);

/* `--saved-config NAME|FILE` (plan, validate): the .cfg.yml path into out. A NAME is
 * looked up in BUNDLE/.elasticbeanstalk/saved_configs when bundle_path is a folder, else
 * in ./.elasticbeanstalk/saved_configs (ebextensions.h, sp_saved_config_resolve). A bad
 * name is printed; SP_EXIT_OK or SP_EXIT_USAGE. */
struct sp_buf;
int sp_cli_saved_config_path(const char *bundle_path, const char *arg, struct sp_buf *out);

/* Commands. */
int cmd_bucket(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_taskdef(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_git(int argc, char **argv); /* cmd_git.c: git push deployments (docs/git.md) */

/* Engine client commands (issue 9): the project, the API client, the upload half of
 * deploy and event printing, shared by cmd_init/use/appversion/events/deploy.c.
 * Each helper prints its own messages ("sprout CMD: ...") and returns an exit code. */
int cmd_appversion(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_use(int argc, char **argv);

/* Environment commands (issue 9, the environment half): cmd_<name>.c each. */
int cmd_abort(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_printenv(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_scale(int argc, char **argv);
int cmd_setenv(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_terminate(int argc, char **argv);

struct sp_project;
struct sp_client;
struct sp_client_error;

/* (cmd_deploy.c) The project of the current folder (nearest .elasticbeanstalk/config.yml
 * upwards; with must_exist false and none found, an empty project rooted at the current
 * folder). Prints diagnostics; SP_EXIT_OK or SP_EXIT_FAILED. */
int sp_cli_project_open(const char *cmd, bool must_exist, struct sp_project **out);
/* (cmd_deploy.c) An API client from --endpoint/--token (may be NULL), SPROUT_ENDPOINT/
 * SPROUT_TOKEN, ~/.config/sprout/config, config.yml sprout.endpoint (proj may be NULL).
 * SP_EXIT_OK, SP_EXIT_USAGE (a bad --endpoint) or SP_EXIT_FAILED. */
int sp_cli_client_open(const char *cmd, const char *flag_endpoint, const char *flag_token,
		       const struct sp_project *proj, struct sp_client **out);
/* (cmd_deploy.c) Prints an API or transport error to stderr; returns SP_EXIT_FAILED. */
int sp_cli_api_error(const char *cmd, const struct sp_client *c, const struct sp_client_error *e);

/* (cmd_deploy.c) The upload half of `deploy` (and `appversion create`): bundle the
 * project (deploy.artifact, .ebignore, git archive, --staged), validate it offline
 * (diagnostics like a compiler, nothing uploaded when invalid), upload it with a
 * progress bar on a TTY, and wait until the engine has processed it. */
struct sp_cli_upload {
	const char *label;      /* NULL: the EB CLI's generated label */
	const char *message;    /* NULL: the last commit's subject, else "sprout deploy" */
	bool staged, strict;
	bool json;              /* no human output on stdout */
	bool reuse_existing;    /* a --label that exists is used as is (deploy) */
	bool json_quiet;        /* with json: print no version JSON either (the caller
				 * prints its own document: deploy, create) */
	long timeout_s;         /* wait for PROCESSED/FAILED at most this long */
};
/* SP_EXIT_OK with *label_out (the version's label; caller frees) once PROCESSED;
 * SP_EXIT_FAILED (invalid bundle, version FAILED, API error), SP_EXIT_TIMEOUT. */
int sp_cli_upload_version(const char *cmd, struct sp_client *c, const struct sp_project *p,
			  const struct sp_cli_upload *u, char **label_out);

/* (cmd_deploy.c) A version's description from a commit message: EB's rule, a message
 * longer than 200 characters is cut to 195 and "...". Caller frees; NULL when out of
 * memory. */
char *sp_cli_version_description(const char *message);

/* (cmd_deploy.c) --timeout: minutes as in the EB CLI ("10"), or "90s" / "2m"; at most
 * 24 h. 0 or SP_EINVAL. */
int sp_cli_parse_timeout(const char *s, long *seconds);

/* (cmd_events.c) Prints one event (a JSON object from the API) to f: a text line
 * (severity coloured when f is a TTY) or, with json, one compact JSON line. */
void sp_cli_print_event(const json_t *event, FILE *f, bool json);

/* --- (cmd_status.c) what the environment commands share -------------------------------- */

/* Where the engine is and which application (each NULL: the usual lookup). */
struct sp_cli_conn {
	const char *endpoint, *token, *app;
};
/* An environment command's context; every string owned. */
struct sp_cli_env_ctx {
	const char *cmd;
	struct sp_project *project;
	struct sp_client *client;
	char *app;          /* the application (--app, else config.yml) */
	char *env;          /* the environment (the argument, else the branch's); may be NULL */
	char *default_env;  /* the branch's default environment, or NULL */
	char *branch;       /* the current git branch ("default" outside git) */
};
/* Opens the project, picks the environment (env_arg, else the branch's default; with
 * need_env a missing one is an error with a hint) and the API client. An exit code. */
int sp_cli_env_open(const char *cmd, const struct sp_cli_conn *conn, const char *env_arg,
		    bool need_env, struct sp_cli_env_ctx *out);
void sp_cli_env_close(struct sp_cli_env_ctx *x);
/* "/environments[/<env>][suffix]" (env percent-encoded; suffix as is). */
int sp_cli_env_path(const char *env, const char *suffix, struct sp_buf *out);
/* One request on x->env (suffix as above); API errors printed. An exit code. */
int sp_cli_env_request(struct sp_cli_env_ctx *x, const char *method, const char *suffix,
		       const json_t *body, const char *request_id, json_t **out);
/* GET the environment. An exit code. */
int sp_cli_env_describe(struct sp_cli_env_ctx *x, json_t **out);

/* An operation that changes the environment, then its events followed to the end. */
struct sp_cli_env_op {
	const char *method;   /* "POST", "PATCH", "DELETE" */
	const char *suffix;   /* after /environments/<env>, or NULL */
	const json_t *body;   /* may be NULL */
	const char *what;     /* "deployment", "launch", ... for messages */
	const char *started;  /* printed once the engine took the request, or NULL */
	bool create;          /* POST /environments (no name in the path) */
	bool terminate;       /* done when the environment is gone or Terminated */
	bool abort;           /* an Aborted deployment is the expected end */
	bool nohang;          /* do not follow */
	bool json;            /* events to stderr, the environment as JSON on stdout */
	long timeout_s;
};
/* Sends the request (with a fresh X-Request-Id), follows the environment's events until
 * it is Ready (Terminated or gone with terminate), and judges the deployment the request
 * queued: SP_EXIT_OK, SP_EXIT_DEPLOY_FAILED (Failed or Aborted), SP_EXIT_TIMEOUT,
 * SP_EXIT_FAILED (API error, Ctrl-C). *final (may be NULL) gets the environment. */
int sp_cli_env_operate(struct sp_cli_env_ctx *x, const struct sp_cli_env_op *op, json_t **final);
#define SP_CLI_ENV_DEFAULT_TIMEOUT_S (10 * 60) /* the EB CLI waits 10 minutes */

/* --- (cli_env.c) the options and the ENV operand of the environment commands ------------ */

/* What an environment command's options gave (strings point into argv). */
struct sp_cli_env_args {
	struct sp_cli_conn conn; /* --endpoint, --token */
	const char *env;         /* -e/--env/--environment, or NULL */
	long timeout_s;          /* --timeout; 0 when not given */
	bool nohang, json, force;
};
/* The options besides --json, --endpoint and --token, which every one takes. */
enum {
	SP_CLI_OPT_ENV = 1 << 0,     /* -e/--env/--environment ENV */
	SP_CLI_OPT_FORCE = 1 << 1,   /* --force */
	SP_CLI_OPT_TIMEOUT = 1 << 2, /* --timeout T (sp_cli_parse_timeout) */
	SP_CLI_OPT_NOHANG = 1 << 3,  /* --nohang */
	SP_CLI_OPT_ENVIRONMENT = 1 << 4, /* --environment ENV, with SP_CLI_OPT_ENV */
};
/* Parses the options in accept (getopt_long; optind at the first operand after).
 * SP_EXIT_OK, or SP_EXIT_USAGE with the usage error printed. */
int sp_cli_env_parse_options(const char *cmd, int argc, char **argv, unsigned accept,
			     struct sp_cli_env_args *out);
/* At most one ENV operand at argv[optind] (else a usage error), then sp_cli_env_open
 * with need_env. An exit code; *x to close only on SP_EXIT_OK. */
int sp_cli_env_open_operand(const char *cmd, const struct sp_cli_env_args *a, int argc,
			    char **argv, struct sp_cli_env_ctx *x);
/* sp_cli_env_open_operand, then sp_cli_env_describe into *env. An exit code; *x to
 * close and *env to free only on SP_EXIT_OK. */
int sp_cli_env_open_described(const char *cmd, const struct sp_cli_env_args *a, int argc,
			      char **argv, struct sp_cli_env_ctx *x, json_t **env);
/* True, after saying so on stderr with a hint, when the described environment e is one
 * terminated within the hour (the engine still describes it, status "Terminated", as EB
 * does): the commands that act on an environment stop there (exit 1). */
bool sp_cli_env_refuse_terminated(const struct sp_cli_env_ctx *x, const json_t *e);
/* --timeout, else SP_CLI_ENV_DEFAULT_TIMEOUT_S. */
long sp_cli_env_timeout(const struct sp_cli_env_args *a);
/* Fills op's started (takes started, may be NULL: SP_EXIT_FAILED), nohang, json and
 * timeout_s from a, then sp_cli_env_operate without *final. An exit code. */
int sp_cli_env_operate_as_asked(struct sp_cli_env_ctx *x, const struct sp_cli_env_args *a,
				struct sp_cli_env_op *op, char *started);

/* Small output helpers: a member's string or "", pretty JSON on stdout, a health colour
 * (coloured on a terminal). */
const char *sp_cli_json_str(const json_t *obj, const char *key);
void sp_cli_print_json(const json_t *j);
void sp_cli_put_health(FILE *f, const char *health);
/* (cmd_setenv.c) true when the environment property NAME holds a secret (its value is
 * never printed). */
bool sp_cli_property_is_secret(const json_t *setting);
/* (cmd_setenv.c) Replaces the values of secret properties in an environment's
 * option_settings (and its "options" alias) with "********". sp_cli_env_describe does it
 * to everything it returns, so no command prints a secret. */
void sp_cli_mask_secrets(json_t *env);
/* (cmd_config.c) "NS:OPT=VALUE" (or "NS:OPT" when want_value is false) into
 * {namespace, option_name[, value]}. 0, SP_EINVAL, SP_ETOOBIG (value), SP_ENOMEM. */
int sp_cli_parse_option(const char *arg, bool want_value, json_t **out);
/* (cmd_config.c) An update with option settings to set and/or remove (JSON arrays, may
 * be NULL), followed to the end; an exit code as sp_cli_env_operate. */
int sp_cli_env_update_options(struct sp_cli_env_ctx *x, json_t *settings, json_t *remove,
			      const char *started, long timeout_s, bool nohang, bool json);
/* (cmd_deploy.c) The environment half of deploy, for create and rollback too. */
int sp_cli_deploy_version(struct sp_cli_env_ctx *x, const char *label, long timeout_s, bool json);

#endif
