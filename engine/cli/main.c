/* main.c — `sprout`: dispatch through the command table. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cli/cli.h"
#include "engine/base/banned.h"

const struct sp_command *sp_command_find(const char *name)
{
	for (size_t i = 0; i < sp_commands_count; i++)
		if (strcmp(sp_commands[i].name, name) == 0)
			return &sp_commands[i];
	return NULL;
}

void sp_command_print_help(const struct sp_command *c, FILE *f)
{
	fprintf(f, "usage: sprout %s\n\n%s\n", c->usage, c->summary);
	if (c->help && *c->help)
		fprintf(f, "\n%s", c->help);
}

int sp_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "sprout %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	const struct sp_command *c = sp_command_find(cmd);
	if (c)
		fprintf(stderr, "usage: sprout %s\n(see `sprout %s --help`)\n", c->usage, cmd);
	return SP_EXIT_USAGE;
}

bool sp_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

void sp_cli_print_diags(const struct sp_diags *d, FILE *f)
{
	struct sp_buf out = SP_BUF_INIT(0);
	if (sp_diags_render_text(d, sp_want_color(fileno(f)), &out) == 0)
		fputs(sp_buf_cstr(&out), f);
	sp_buf_free(&out);
}

static void print_overview(FILE *f)
{
	fprintf(f, "usage: sprout <command> [options]\n\n"
		   "sprout deploys Elastic Beanstalk-style source bundles (Dockerrun.aws.json,\n"
		   ".ebextensions, .platform/hooks) to Docker on this machine or to Amazon ECS.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sp_commands_count; i++)
		fprintf(f, "  %-12s %s\n", sp_commands[i].name, sp_commands[i].summary);
	fprintf(f, "\nRun `sprout <command> --help` for one command. Docs: docs/cli.md\n");
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		print_overview(stdout);
		return SP_EXIT_OK;
	}
	const struct sp_command *c = sp_command_find(argv[1]);
	if (!c)
		return sp_cli_usage_error("help", "no command named '%s'", argv[1]);
	sp_command_print_help(c, stdout);
	return SP_EXIT_OK;
}

int cmd_version(int argc, char **argv)
{
	if (argc > 1)
		return sp_cli_usage_error("version", "takes no arguments");
	printf("sprout %s\n", SPROUT_VERSION);
	return SP_EXIT_OK;
}

int cmd_completion(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "bash") != 0)
		return sp_cli_usage_error("completion", "only `bash` is supported");
	printf("# bash completion for sprout, generated from its command table\n"
	       "_sprout() {\n"
	       "  local cur=${COMP_WORDS[COMP_CWORD]}\n"
	       "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	       "    COMPREPLY=( $(compgen -W \"");
	for (size_t i = 0; i < sp_commands_count; i++)
		printf("%s%s", i ? " " : "", sp_commands[i].name);
	printf("\" -- \"$cur\") )\n"
	       "  else\n"
	       "    COMPREPLY=( $(compgen -f -- \"$cur\") )\n"
	       "  fi\n"
	       "}\n"
	       "complete -F _sprout sprout\n");
	return SP_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_overview(stderr);
		return SP_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
		name = "version";
	else if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	const struct sp_command *c = sp_command_find(name);
	if (!c) {
		const char *names[256];
		size_t n = 0;
		for (size_t i = 0; i < sp_commands_count && n < 256; i++)
			names[n++] = sp_commands[i].name;
		const char *near = sp_suggest(name, names, n);
		fprintf(stderr, "sprout: '%s' is not a sprout command. See 'sprout help'.\n", name);
		if (near)
			fprintf(stderr, "\nThe most similar command is\n\t%s\n", near);
		return SP_EXIT_USAGE;
	}
	if (strcmp(c->name, "help") != 0 && sp_cli_wants_help(argc - 1, argv + 1)) {
		sp_command_print_help(c, stdout);
		return SP_EXIT_OK;
	}
	optind = 0; /* full getopt reset for the command */
	argv[1] = (char *)c->name;
	return c->run(argc - 1, argv + 1);
}
