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

/* Engine client commands (issue 9): the project, the API client, the upload half of
 * deploy and event printing, shared by cmd_init/use/appversion/events/deploy.c.
 * Each helper prints its own messages ("sprout CMD: ...") and returns an exit code. */
int cmd_appversion(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_use(int argc, char **argv);

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
	long timeout_s;         /* wait for PROCESSED/FAILED at most this long */
};
/* SP_EXIT_OK with *label_out (the version's label; caller frees) once PROCESSED;
 * SP_EXIT_FAILED (invalid bundle, version FAILED, API error), SP_EXIT_TIMEOUT. */
int sp_cli_upload_version(const char *cmd, struct sp_client *c, const struct sp_project *p,
			  const struct sp_cli_upload *u, char **label_out);

/* (cmd_deploy.c) --timeout: minutes as in the EB CLI ("10"), or "90s" / "2m"; at most
 * 24 h. 0 or SP_EINVAL. */
int sp_cli_parse_timeout(const char *s, long *seconds);

/* (cmd_events.c) Prints one event (a JSON object from the API) to f: a text line
 * (severity coloured when f is a TTY) or, with json, one compact JSON line. */
void sp_cli_print_event(const json_t *event, FILE *f, bool json);

#endif
