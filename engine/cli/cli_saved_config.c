/* cli_saved_config.c — `--saved-config NAME|FILE` of plan and validate (cli.h). */
#include <stdio.h>
#include <sys/stat.h>

#include "ebextensions/ebextensions.h"
#include "engine/cli/cli.h"
#include "engine/base/banned.h"

int sp_cli_saved_config_path(const char *bundle_path, const char *arg, struct sp_buf *out)
{
	struct stat st;
	struct sp_diags d;
	const char *base = bundle_path && stat(bundle_path, &st) == 0 && S_ISDIR(st.st_mode)
				   ? bundle_path : ".";
	sp_diags_init(&d);
	int rc = sp_saved_config_resolve(base, arg, out, &d);
	sp_cli_print_diags(&d, stderr);
	sp_diags_free(&d);
	return rc == 0 ? SP_EXIT_OK : SP_EXIT_USAGE;
}
