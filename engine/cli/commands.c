/* commands.c — the command table. Add a command here and in cli.h; help, dispatch,
 * suggestions and completion follow from this table alone. Keep it sorted by name. */
#include <stddef.h>

#include "engine/cli/cli.h"
#include "engine/base/banned.h"

const struct sp_command sp_commands[] = {
	{ "completion", cmd_completion, "completion bash",
	  "Print a bash completion script generated from the command table",
	  "Example:\n  source <(sprout completion bash)\n" },
	{ "help", cmd_help, "help [COMMAND]", "Show the commands, or one command's help",
	  "Example:\n  sprout help validate\n" },
	{ "version", cmd_version, "version", "Print sprout's version", "Also: sprout --version\n" },
};
const size_t sp_commands_count = sizeof(sp_commands) / sizeof(sp_commands[0]);
