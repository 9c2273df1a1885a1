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

#endif
