/* cmd_token.c — `sprout token [--rotate]`: prints (or replaces) the engine's admin token. */
#include <getopt.h>
#include <stdio.h>

#include "engine/api/api.h"
#include "engine/cli/cli.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

int cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "rotate", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_opt = NULL;
	bool rotate = false;
	int c;
	while ((c = getopt_long(argc, argv, "d:r", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data_opt = optarg; break;
		case 'r': rotate = true; break;
		default: return sp_cli_usage_error("token", "unknown option");
		}
	}
	if (optind < argc)
		return sp_cli_usage_error("token", "unexpected argument '%s'", argv[optind]);
	struct sp_buf dir = SP_BUF_INIT(4096);
	if (sp_data_dir_resolve(data_opt, &dir)) {
		sp_buf_free(&dir);
		return sp_cli_usage_error("token", "cannot tell the data directory; use --data-dir");
	}
	char tok[SP_TOKEN_HEX_LEN + 1];
	int rc = rotate ? sp_admin_token_rotate(sp_buf_cstr(&dir), tok)
			: sp_admin_token_ensure(sp_buf_cstr(&dir), tok);
	if (rc) {
		fprintf(stderr, "sprout token: cannot %s the token in %s (%s)\n",
			rotate ? "rotate" : "read", sp_buf_cstr(&dir), sp_strerror(rc));
		sp_buf_free(&dir);
		return SP_EXIT_FAILED;
	}
	printf("%s\n", tok);
	sp_buf_free(&dir);
	return SP_EXIT_OK;
}
