/* commands.c — the command table. Add a command here and in cli.h; help, dispatch,
 * suggestions and completion follow from this table alone. Keep it sorted by name. */
#include <stddef.h>

#include "engine/cli/cli.h"
#include "engine/base/banned.h"

const struct sp_command sp_commands[] = {
	{ "appversion", cmd_appversion,
	  "appversion [list | delete LABEL | create [-l LABEL] [-m MSG] [--staged]] [--json]",
	  "List the application's versions (newest first), delete one, or create one from the project",
	  "Subcommands (default list; -d LABEL and -c as in the EB CLI):\n"
	  "  list                    label, status, creation time, description; * = deployed\n"
	  "  delete LABEL            delete a version that no environment runs\n"
	  "  create                  bundle the project, validate it offline, upload it and\n"
	  "                          wait until the engine has PROCESSED it (no deployment)\n"
	  "Options:\n"
	  "  --json                  the versions (or the result) as JSON\n"
	  "  -l, --label LABEL       create: the label (default app-<git describe>-<time>)\n"
	  "  -m, --message MSG       create: the description (default the last commit subject)\n"
	  "  --staged                create: bundle the git index instead of HEAD\n"
	  "  --strict                create: warnings count as errors\n"
	  "  --timeout T             create: wait at most T minutes (or 90s, 2m; default 5)\n"
	  "  --app APP               list/delete another application than the project's\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0, 1 failed (invalid bundle, version FAILED, API error), 2 usage,\n"
	  "4 timed out.\n"
	  "Example:\n  sprout appversion create -m 'first try' && sprout appversion --json\n" },
	{ "bucket", cmd_bucket, "bucket put|get|list|rm BUCKET KEY [FILE] [--data-dir DIR]",
	  "Keep objects (private registry credentials) in sprout's local bucket store",
	  "Subcommands:\n"
	  "  put BUCKET KEY [FILE]   store FILE (or standard input) as BUCKET/KEY (mode 0600)\n"
	  "  get BUCKET KEY [FILE]   write the object to FILE (mode 0600) or standard output\n"
	  "  list [BUCKET]           list buckets, or the keys of BUCKET\n"
	  "  rm BUCKET KEY           remove the object\n"
	  "Options:\n"
	  "  --data-dir DIR          the store is DIR/buckets (default $SPROUT_DATA_DIR,\n"
	  "                          /var/lib/sprout as root, else $XDG_DATA_HOME/sprout)\n"
	  "Names follow S3's rules. Dockerrun.aws.json `authentication` {bucket, key} names a\n"
	  "docker config.json kept here. See docs/buckets.md.\n"
	  "Example:\n  sprout bucket put my-creds dockercfg.json ~/.docker/config.json\n" },
	{ "bundle", cmd_bundle, "bundle create [DIR] [-o FILE] [--staged] | inspect FILE|DIR [--json] | extract FILE PARENT",
	  "Build a source bundle the way the EB CLI does, or inspect and check one",
	  "Subcommands:\n"
	  "  create [DIR] [-o FILE] [--staged]  zip DIR (default .) reproducibly: .ebignore if\n"
	  "                          present, else git archive of HEAD (--staged: the index),\n"
	  "                          else the whole folder; default FILE is <DIR's name>.zip\n"
	  "  inspect FILE|DIR [--json]  read a zip/tar bundle (or a folder) without extracting:\n"
	  "                          sha256, entries, Dockerrun version, .ebextensions, hooks,\n"
	  "                          and every safety or layout problem\n"
	  "  extract FILE PARENT     extract all or nothing into a fresh PARENT/sprout-staging-*\n"
	  "                          folder and print its path (for tests and debugging)\n"
	  "Limits (inspect, extract, create): --max-compressed BYTES (512 MiB), --max-size BYTES\n"
	  "  (2 GiB unpacked), --max-entries N (100000), --max-path BYTES (1024), --max-depth N\n"
	  "  (64), --max-ratio N (100, unpacked/packed past 16 MiB)\n"
	  "Exit status: 0 fine, 1 errors found, 2 usage. See docs/bundles.md.\n"
	  "Example:\n  sprout bundle create . -o app.zip && sprout bundle inspect app.zip\n" },
	{ "completion", cmd_completion, "completion bash",
	  "Print a bash completion script generated from the command table",
	  "Example:\n  source <(sprout completion bash)\n" },
	{ "deploy", cmd_deploy,
	  "deploy [ENV] [-l LABEL] [-m MSG] [--staged] [--timeout T] [--strict] [--json]",
	  "Bundle, validate and upload the project as a new version, then deploy it to ENV",
	  "ENV defaults to the branch's environment (sprout use). The bundle is made as the\n"
	  "EB CLI makes it (deploy.artifact, .ebignore, git archive of HEAD, --staged: the\n"
	  "index) into .elasticbeanstalk/app_versions/LABEL.zip and validated offline first:\n"
	  "with errors they are printed like a compiler and nothing is uploaded. The upload\n"
	  "shows a progress bar on a terminal; then the version's events are followed until\n"
	  "the engine has PROCESSED (or FAILED) it.\n"
	  "The environment half is not there yet: the engine has no environments, so after\n"
	  "the upload deploy says it cannot deploy to ENV and exits 1.\n"
	  "Options:\n"
	  "  -l, --label LABEL   the version label (default app-<git describe>-<time>); an\n"
	  "                      existing label is deployed as it is\n"
	  "  -m, --message MSG   the description (default the last commit subject)\n"
	  "  --staged            bundle the git index instead of HEAD\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m)\n"
	  "  --strict            warnings count as errors\n"
	  "  --json              print the version as JSON instead of progress lines\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 deployed, 1 validation failed / operation failed, 2 usage,\n"
	  "3 deployment failed, 4 timed out.\n"
	  "Example:\n  sprout deploy my-env -m 'fix the proxy'\n" },
	{ "events", cmd_events,
	  "events [-f] [--env ENV] [--version LABEL] [--severity LEVEL] [-n N] [--json]",
	  "Show the application's recent events, or follow them live with -f",
	  "Options:\n"
	  "  -f, --follow        keep printing events as they happen (Ctrl-C stops); with\n"
	  "                      --version it ends by itself once that version is processed\n"
	  "  --env ENV           only this environment's events\n"
	  "  --version LABEL     only this version's events\n"
	  "  --request-id ID     only the events one API request caused\n"
	  "  --severity LEVEL    TRACE, DEBUG, INFO, WARN, ERROR or FATAL and above\n"
	  "  -n, --limit N       how many recent events to show first (default 20)\n"
	  "  --timeout T         stop following after T minutes (or 90s, 2m); exit 4 when\n"
	  "                      the version it waits for was not processed by then\n"
	  "  --app APP           another application than the project's\n"
	  "  --json              one JSON array (with -f: one JSON object per line)\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Example:\n  sprout events -f --version app-1a2b-260101_120000000000\n" },
	{ "help", cmd_help, "help [COMMAND]", "Show the commands, or one command's help",
	  "Example:\n  sprout help validate\n" },
	{ "init", cmd_init, "init [APP] [--endpoint URL] [--token TOKEN] [--description TEXT]",
	  "Make this folder a project of application APP (created on the engine if missing)",
	  "Writes .elasticbeanstalk/config.yml in the EB CLI's layout (global.application_name,\n"
	  "global.sc; keys already there are kept), and sprout.endpoint when --endpoint is\n"
	  "given, so later commands in this project find the engine. APP defaults to the\n"
	  "name already in config.yml, else the folder's name. In a git repository the EB\n"
	  "CLI's lines are added to .gitignore. Nothing is written when the engine cannot be\n"
	  "reached or refuses.\n"
	  "Options:\n"
	  "  --endpoint URL      the engine (default from SPROUT_ENDPOINT, ~/.config/sprout/config,\n"
	  "                      else http://127.0.0.1:4780); saved in config.yml\n"
	  "  --token TOKEN       the API token (never saved in the project)\n"
	  "  --description TEXT  the application's description when it is created\n"
	  "Example:\n  sprout init my-app --endpoint http://127.0.0.1:4780\n" },
	{ "plan", cmd_plan,
	  "plan [BUNDLE|DIR|FILE] [--env NAME] [--option NAMESPACE:OPTION=VALUE ...] [--json | --format cloudformation]",
	  "Show what an environment will be made of: cluster, task definition, listeners, security groups, instances",
	  "Options:\n"
	  "  --env NAME          environment name (default: a placeholder)\n"
	  "  --env-id ID         environment id (default e-0000000000)\n"
	  "  --option NS:OPTION=VALUE  a create/update-time setting; overrides .ebextensions\n"
	  "                      (repeatable), e.g. --option aws:autoscaling:asg:MinSize=2\n"
	  "  --json              the AWS API requests that create it (--format json)\n"
	  "  --format cloudformation  a complete CloudFormation template\n"
	  "  --revision N        task definition revision (default 1)\n"
	  "  --strict            treat warnings as errors\n"
	  "  --config-only       read only DIR/.ebextensions and --option; print the settings\n"
	  "  --list-options      print every option namespace sprout knows (docs/options.md)\n"
	  "Exit status: 0 without errors, 1 with errors, 2 on usage errors. docs/plan.md.\n"
	  "Example:\n  sprout plan . --env my-env --option aws:autoscaling:asg:MaxSize=2\n" },
	{ "serve", cmd_serve, "serve [--data-dir DIR] [--listen ADDR:PORT] [--web-dir DIR] [--address-pool FIRST-LAST] [--no-access-log]",
	  "Run the engine: the HTTP API, version processing and events, in the foreground",
	  "Options:\n"
	  "  --data-dir DIR       state folder (default $SPROUT_DATA_DIR, /var/lib/sprout as\n"
	  "                       root, else $XDG_DATA_HOME/sprout): sprout.db, bundles/,\n"
	  "                       admin.token\n"
	  "  --listen ADDR:PORT   where the API listens (default 127.0.0.1:4780)\n"
	  "  --no-access-log      no log line per request\n"
	  "  --web-dir DIR        the web console's files, served at / (default: beside the\n"
	  "                       binary, ../share/sprout/web, else the source tree's web/)\n"
	  "Logs go to standard error; SIGTERM or SIGINT stops it cleanly. The API needs\n"
	  "\"Authorization: Bearer <token>\" (see `sprout token`). docs/api.md, docs/engine.md.\n"
	  "Example:\n  sprout serve --data-dir /tmp/sprout --listen 127.0.0.1:4780\n" },
	{ "taskdef", cmd_taskdef, "taskdef [BUNDLE|DIR|FILE] [--env NAME] [--env-id ID]",
	  "Print the ECS task definition Elastic Beanstalk would register for a bundle",
	  "Options:\n"
	  "  --env NAME      environment name for the family awseb-NAME-ID (default: a placeholder)\n"
	  "  --env-id ID     environment id (default e-0000000000)\n"
	  "The bundle is validated first; with errors nothing is printed and the exit is 1.\n"
	  "The output is a RegisterTaskDefinition request (aws ecs register-task-definition\n"
	  "--cli-input-json file://...). See docs/dockerrun.md.\n"
	  "Example:\n  sprout taskdef . --env my-env\n" },
	{ "token", cmd_token, "token [--rotate] [--data-dir DIR]",
	  "Print the engine's admin token, or replace it with --rotate",
	  "The token is DIR/admin.token (mode 0600), created at the engine's first start or\n"
	  "here when missing. After --rotate a running engine accepts only the new token.\n"
	  "Example:\n  curl -H \"Authorization: Bearer $(sprout token)\" http://127.0.0.1:4780/api/v1/applications\n" },
	{ "use", cmd_use, "use ENV [--branch BRANCH]",
	  "Make ENV the default environment of the current git branch",
	  "Sets branch-defaults.<branch>.environment in .elasticbeanstalk/config.yml, as `eb use`\n"
	  "does (outside git the branch is \"default\"); everything else in the file is kept.\n"
	  "Options:\n"
	  "  --branch BRANCH     another branch than the current one\n"
	  "Example:\n  sprout use my-env-prod\n" },
	{ "validate", cmd_validate, "validate [BUNDLE|DIR|FILE] [--json] [--strict]",
	  "Check a bundle, folder or Dockerrun.aws.json offline and report every problem",
	  "Options:\n"
	  "  --json          print {path, valid, errors, warnings, diagnostics} as JSON\n"
	  "  --strict        treat warnings as errors\n"
	  "  --check-images  ask each image's registry whether it exists (docs/registry.md)\n"
	  "  --registry-ca FILE        trust this CA bundle for registries (with --check-images)\n"
	  "  --registry-timeout SECS   connect and total timeout per request (default 5/20)\n"
	  "  --data-dir DIR  bucket store of `authentication` objects (sprout bucket)\n"
	  "Exit status: 0 without errors, 1 with errors, 2 on usage errors.\n"
	  "Codes and fixes: docs/diagnostics.md. Default input: the current folder.\n"
	  "Example:\n  sprout validate app.zip --strict\n" },
	{ "version", cmd_version, "version", "Print sprout's version", "Also: sprout --version\n" },
};
const size_t sp_commands_count = sizeof(sp_commands) / sizeof(sp_commands[0]);
