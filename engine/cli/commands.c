/* commands.c — the command table. Add a command here and in cli.h; help, dispatch,
 * suggestions and completion follow from this table alone. Keep it sorted by name. */
#include <stddef.h>

#include "engine/cli/cli.h"
#include "engine/base/banned.h"

const struct sp_command sp_commands[] = {
	{ "abort", cmd_abort, "abort [ENV] [--timeout T] [--nohang] [--json]",
	  "Stop the environment's update in progress and wait until it is Ready again",
	  "ENV defaults to the branch's environment (sprout use). The running deployment stops\n"
	  "at its next step; the engine leaves the environment in a clear state.\n"
	  "Options:\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m; default 10)\n"
	  "  --nohang            return once the engine took the request\n"
	  "  --json              the environment as JSON (events go to standard error)\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 aborted (or nothing left to abort), 1 no update in progress or\n"
	  "API error, 2 usage, 4 timed out.\n"
	  "Example:\n  sprout abort my-env\n" },
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
	{ "config", cmd_config,
	  "config [ENV] [--json] | config set NS:OPT=VALUE ... | config unset NS:OPT ... [-e ENV]",
	  "Show the environment's option settings, or set and remove some",
	  "Without a subcommand: the create/update-time option settings by namespace (the\n"
	  "bundle's .ebextensions and the defaults apply below them; environment properties\n"
	  "are printenv's). `set` and `unset` update the environment and follow the update\n"
	  "to its end, like deploy.\n"
	  "Options:\n"
	  "  -e, --env ENV       the environment (default the branch's)\n"
	  "  --json              the settings as JSON [{namespace, option_name, value}]\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m; default 10)\n"
	  "  --nohang            return once the engine took the request\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 done, 1 failed (API error, Ctrl-C), 2 usage, 3 the deployment\n"
	  "failed, 4 timed out.\n"
	  "Example:\n  sprout config set aws:elasticbeanstalk:command:DeploymentPolicy=Rolling\n" },
	{ "create", cmd_create,
	  "create ENV [--version LABEL | -l LABEL -m MSG --staged] [--cname PREFIX] [--instances N | --single] [--cfg NAME] [--option NS:OPT=VALUE ...]",
	  "Create an environment running the project (or an existing version) and wait until it is Ready",
	  "Without --version the project is bundled, validated offline and uploaded as a new\n"
	  "version first, as deploy does. The environment is then launched and its events\n"
	  "followed until it is Ready (or the launch failed). It becomes the branch's default\n"
	  "environment, as `eb create` makes it.\n"
	  "Options:\n"
	  "  --version LABEL     launch an existing version (no upload)\n"
	  "  -l, --label LABEL   the new version's label; -m, --message MSG its description\n"
	  "  --staged, --strict  as for deploy\n"
	  "  -c, --cname PREFIX  the CNAME prefix (default ENV plus a random suffix)\n"
	  "  --instances N       run N instances (aws:autoscaling:asg MinSize = MaxSize = N)\n"
	  "  --single            a single instance without a load balancer\n"
	  "                      (aws:elasticbeanstalk:environment EnvironmentType=SingleInstance)\n"
	  "  --option NS:OPT=VALUE  an option setting; repeatable, wins over .ebextensions\n"
	  "  --cfg NAME          apply the saved configuration .elasticbeanstalk/saved_configs/\n"
	  "                      NAME.cfg.yml (or a .cfg.yml path): below --option, above\n"
	  "                      .ebextensions\n"
	  "  -d, --description TEXT  the environment's description\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m; default 10)\n"
	  "  --nohang            return once the engine took the request\n"
	  "  --json              the environment as JSON (events go to standard error)\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 Ready, 1 invalid bundle or API error, 2 usage, 3 the launch failed,\n"
	  "4 timed out.\n"
	  "Example:\n  sprout create my-env --instances 2 --option aws:elasticbeanstalk:application:environment:MODE=prod\n" },
	{ "deploy", cmd_deploy,
	  "deploy [ENV] [-l LABEL] [-m MSG] [--staged] [--timeout T] [--strict] [--json]",
	  "Bundle, validate and upload the project as a new version, then deploy it to ENV",
	  "ENV defaults to the branch's environment (sprout use). The bundle is made as the\n"
	  "EB CLI makes it (deploy.artifact, .ebignore, git archive of HEAD, --staged: the\n"
	  "index) into .elasticbeanstalk/app_versions/LABEL.zip and validated offline first:\n"
	  "with errors they are printed like a compiler and nothing is uploaded. The upload\n"
	  "shows a progress bar on a terminal; then the version's events are followed until\n"
	  "the engine has PROCESSED (or FAILED) it. Then ENV is updated to the version and its\n"
	  "events followed until the deployment ends.\n"
	  "Options:\n"
	  "  -l, --label LABEL   the version label (default app-<git describe>-<time>); an\n"
	  "                      existing label is deployed as it is\n"
	  "  -m, --message MSG   the description (default the last commit subject)\n"
	  "  --staged            bundle the git index instead of HEAD\n"
	  "  --version LABEL     deploy an existing version (no upload; not with -l, -m,\n"
	  "                      --staged, --strict)\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m) for processing, and as\n"
	  "                      long for the deployment (default 10)\n"
	  "  --strict            warnings count as errors\n"
	  "  --json              the environment as JSON at the end; events go to\n"
	  "                      standard error\n"
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
	{ "git", cmd_git, "git enable APP | status APP | map APP BRANCH ENV | unmap APP BRANCH [--json]",
	  "Deploy with `git push`: host APP's repository, map branches to environments",
	  "Subcommands:\n"
	  "  enable APP              create <data-dir>/git/APP.git on the engine with sprout's\n"
	  "                          hooks (again: reinstall them); prints the remote to add\n"
	  "  status APP              the repository's path and branch mappings\n"
	  "  map APP BRANCH ENV      pushes to BRANCH deploy to environment ENV\n"
	  "  unmap APP BRANCH        pushes to BRANCH deploy nothing (unless config.yml says)\n"
	  "A pushed branch deploys to its mapped environment, else to branch-defaults.BRANCH.\n"
	  "environment of the pushed .elasticbeanstalk/config.yml, else nowhere (stored only).\n"
	  "Before the push is accepted its bundle is validated as `sprout validate` does; an\n"
	  "invalid one is refused with the diagnostics. After it, the version (label\n"
	  "BRANCH-SHORTSHA) is created and deployed, and `git push` shows the progress.\n"
	  "Options:\n"
	  "  --json                  the engine's answer as JSON\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "See docs/git.md (pushing over SSH).\n"
	  "Example:\n  sprout git enable shop && sprout git map shop main shop-prod\n"
	  "  git remote add sprout /var/lib/sprout/git/shop.git && git push sprout main\n" },
	{ "health", cmd_health, "health [ENV] [--json]",
	  "Show the environment's health, its causes, and each instance and container",
	  "The health colour (Green, Yellow, Red, Grey) with the causes the engine found, then\n"
	  "one line per instance: id, address, health, task state, and its containers' states\n"
	  "and exit codes. Colours only on a terminal.\n"
	  "Options:\n"
	  "  --json              {environment_name, status, health, causes, instances}\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Example:\n  sprout health my-env\n" },
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
	{ "list", cmd_list, "list [--all] [-v] [--json]",
	  "List the application's environments; * marks the branch's default",
	  "Options:\n"
	  "  -a, --all           every application's environments (APP/ENV)\n"
	  "  -v, --verbose       status, health, version and URL too\n"
	  "  --app APP           another application than the project's\n"
	  "  --json              the environments as JSON\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Example:\n  sprout list -v\n" },
	{ "logs", cmd_logs, "logs [ENV] [--all | --zip] [--container NAME] [--instance ID] [--lines N] [--json]",
	  "Show the containers' logs of the environment's instances",
	  "By default the last lines of every container's stdout/stderr log on every instance.\n"
	  "Options:\n"
	  "  -a, --all           whole log files, the containers' awseb-logs folders too\n"
	  "  -z, --zip           save them all in .elasticbeanstalk/logs/<time>/ENV-logs.zip\n"
	  "  --container NAME    only this container's logs\n"
	  "  -i, --instance ID   only this instance's logs\n"
	  "  -n, --lines N       lines of each log in the tail (default 100, at most 10000)\n"
	  "  --json              the engine's answer as JSON\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Example:\n  sprout logs --container web -n 20\n" },
	{ "open", cmd_open, "open [ENV] [--json]",
	  "Print the environment's URL, and open it in a browser on a desktop",
	  "The URL is printed; xdg-open runs only when standard output is a terminal and\n"
	  "DISPLAY is set.\n"
	  "Options:\n"
	  "  --json              {environment_name, url, cname}\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Example:\n  curl -s $(sprout open)\n" },
	{ "plan", cmd_plan,
	  "plan [BUNDLE|DIR|FILE] [--env NAME] [--saved-config NAME|FILE] [--option NAMESPACE:OPTION=VALUE ...] [--json | --format cloudformation]",
	  "Show what an environment will be made of: cluster, task definition, listeners, security groups, instances, hooks",
	  "Options:\n"
	  "  --env NAME          environment name (default: a placeholder)\n"
	  "  --env-id ID         environment id (default e-0000000000)\n"
	  "  --option NS:OPTION=VALUE  a create/update-time setting; overrides .ebextensions\n"
	  "                      (repeatable), e.g. --option aws:autoscaling:asg:MinSize=2\n"
	  "  --saved-config NAME|FILE  apply a saved configuration (DIR/.elasticbeanstalk/\n"
	  "                      saved_configs/NAME.cfg.yml): over .ebextensions, under --option\n"
	  "  --json              the AWS API requests that create it and the hook plans\n"
	  "                      (--format json)\n"
	  "  --format cloudformation  a complete CloudFormation template (no hooks: they are\n"
	  "                      not resources)\n"
	  "  --revision N        task definition revision (default 1)\n"
	  "  --strict            treat warnings as errors\n"
	  "  --config-only       read only DIR/.ebextensions, --saved-config and --option;\n"
	  "                      print the settings\n"
	  "  --list-options      print every option namespace sprout knows (docs/options.md)\n"
	  "Exit status: 0 without errors, 1 with errors, 2 on usage errors. docs/plan.md.\n"
	  "Example:\n  sprout plan . --env my-env --option aws:autoscaling:asg:MaxSize=2\n" },
	{ "printenv", cmd_printenv, "printenv [ENV] [--json]",
	  "Print the environment's properties; secret values are masked",
	  "The option settings of aws:elasticbeanstalk:application:environment, as\n"
	  "`eb printenv` prints them. A property the engine marks secret, or whose name holds\n"
	  "PASSWORD, PASSWD, SECRET, TOKEN, PRIVATE_KEY, ACCESS_KEY, API_KEY or CREDENTIAL, is\n"
	  "shown as ******** and never printed.\n"
	  "Options:\n"
	  "  --json              {\"NAME\": \"value\", ...} (secrets masked too)\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Example:\n  sprout printenv my-env\n" },
	{ "restart", cmd_restart, "restart [ENV] [--timeout T] [--nohang] [--json]",
	  "Replace every task of the environment and wait until it is Ready again",
	  "Options:\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m; default 10)\n"
	  "  --nohang            return once the engine took the request\n"
	  "  --json              the environment as JSON (events go to standard error)\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 done, 1 failed (API error, Ctrl-C), 2 usage, 3 the deployment\n"
	  "failed, 4 timed out.\n"
	  "Example:\n  sprout restart my-env\n" },
	{ "rollback", cmd_rollback, "rollback [ENV] [--timeout T] [--json]",
	  "Redeploy the environment's last version that deployed well",
	  "The engine remembers, per environment, the last version whose deployment\n"
	  "succeeded; rollback deploys it again and follows the deployment like deploy.\n"
	  "Options:\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m; default 10)\n"
	  "  --json              the environment as JSON (events go to standard error)\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 deployed, 1 no good version or API error, 2 usage, 3 the\n"
	  "deployment failed, 4 timed out.\n"
	  "Example:\n  sprout rollback my-env\n" },
	{ "scale", cmd_scale, "scale N [ENV] [--timeout T] [--nohang] [--json]",
	  "Run N instances in the environment and wait until it is Ready again",
	  "As `eb scale N`: the instance count becomes N (1 to 64).\n"
	  "Options:\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m; default 10)\n"
	  "  --nohang            return once the engine took the request\n"
	  "  --json              the environment as JSON (events go to standard error)\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 done, 1 failed (API error, Ctrl-C), 2 usage, 3 the deployment\n"
	  "failed, 4 timed out.\n"
	  "Example:\n  sprout scale 3 my-env\n" },
	{ "serve", cmd_serve, "serve [--data-dir DIR] [--listen ADDR:PORT] [--web-dir DIR] [--address-pool FIRST-LAST] [--task-subnets CIDR] [--no-access-log]",
	  "Run the engine: the HTTP API, version processing and events, in the foreground",
	  "Options:\n"
	  "  --data-dir DIR       state folder (default $SPROUT_DATA_DIR, /var/lib/sprout as\n"
	  "                       root, else $XDG_DATA_HOME/sprout): sprout.db, bundles/,\n"
	  "                       admin.token\n"
	  "  --listen ADDR:PORT   where the API listens (default 127.0.0.1:4780)\n"
	  "  --no-access-log      no log line per request\n"
	  "  --no-image-checks    do not ask registries about images while processing\n"
	  "  --web-dir DIR        the web console's files, served at / (default: beside the\n"
	  "                       binary, ../share/sprout/web, else the source tree's web/)\n"
	  "  --address-pool FIRST-LAST  loopback addresses of the instances and load balancers\n"
	  "                       (default $SPROUT_ADDRESS_POOL, else 127.0.2.1-127.0.254.254)\n"
	  "  --task-subnets CIDR  where the task networks' /28 subnets come from (default\n"
	  "                       $SPROUT_TASK_SUBNETS, else 172.16.0.0/16); \"docker\": the\n"
	  "                       Docker daemon's own address pools\n"
	  "Logs go to standard error; SIGTERM or SIGINT stops it cleanly. The API needs\n"
	  "\"Authorization: Bearer <token>\" (see `sprout token`). docs/api.md, docs/engine.md.\n"
	  "Example:\n  sprout serve --data-dir /tmp/sprout --listen 127.0.0.1:4780\n" },
	{ "setenv", cmd_setenv, "setenv KEY=VALUE ... [-e ENV] [--timeout T] [--nohang]",
	  "Set (or with KEY= remove) environment properties and wait until they are deployed",
	  "Properties are option settings of aws:elasticbeanstalk:application:environment;\n"
	  "the containers get them as environment variables. Names: letters, digits and\n"
	  "_ . : / + \\ - @, at most 128; all KEY=VALUE pairs together at most 4096 bytes.\n"
	  "Options:\n"
	  "  -e, --env ENV       the environment (default the branch's)\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m; default 10)\n"
	  "  --nohang            return once the engine took the request\n"
	  "  --json              the environment as JSON (events go to standard error)\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 done, 1 failed (API error, Ctrl-C), 2 usage, 3 the deployment\n"
	  "failed, 4 timed out.\n"
	  "Example:\n  sprout setenv DB_HOST=db.internal LOG_LEVEL= -e my-env\n" },
	{ "status", cmd_status, "status [ENV] [--json]",
	  "Show the environment: version, status, health, CNAME, URL, instances",
	  "Options:\n"
	  "  --json              the engine's full description of the environment\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Example:\n  sprout status my-env\n" },
	{ "taskdef", cmd_taskdef, "taskdef [BUNDLE|DIR|FILE] [--env NAME] [--env-id ID]",
	  "Print the ECS task definition Elastic Beanstalk would register for a bundle",
	  "Options:\n"
	  "  --env NAME      environment name for the family awseb-NAME-ID (default: a placeholder)\n"
	  "  --env-id ID     environment id (default e-0000000000)\n"
	  "The bundle is validated first; with errors nothing is printed and the exit is 1.\n"
	  "The output is a RegisterTaskDefinition request (aws ecs register-task-definition\n"
	  "--cli-input-json file://...). See docs/dockerrun.md.\n"
	  "Example:\n  sprout taskdef . --env my-env\n" },
	{ "terminate", cmd_terminate, "terminate [ENV] [--force] [--timeout T] [--nohang]",
	  "Remove the environment (its tasks, instances and load balancer) and wait until it is gone",
	  "On a terminal it asks you to type the environment's name first, unless --force.\n"
	  "Its events stay; its name and CNAME are free again afterwards.\n"
	  "Options:\n"
	  "  --force             do not ask\n"
	  "  --timeout T         wait at most T minutes (or 90s, 2m; default 10)\n"
	  "  --nohang            return once the engine took the request\n"
	  "  --json              the engine's answer as JSON\n"
	  "  --endpoint URL, --token TOKEN   the engine (see docs/cli.md, Configuration)\n"
	  "Exit status: 0 terminated, 1 refused or API error, 2 usage, 4 timed out.\n"
	  "Example:\n  sprout terminate my-env --force\n" },
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
	{ "validate", cmd_validate, "validate [BUNDLE|DIR|FILE] [--json] [--strict] [--saved-config NAME|FILE]",
	  "Check a bundle, folder or Dockerrun.aws.json offline and report every problem",
	  "Options:\n"
	  "  --json          print {path, valid, errors, warnings, diagnostics} as JSON\n"
	  "  --strict        treat warnings as errors\n"
	  "  --saved-config NAME|FILE  check a saved configuration with the bundle (as plan)\n"
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
