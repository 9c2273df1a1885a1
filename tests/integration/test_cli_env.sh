#!/bin/sh
# tests/integration/test_cli_env.sh — the `sprout` environment commands against a real
# engine (`sprout serve`), the Docker engine, HAProxy (the engine's) and a Debian
# docker-registry, all on 127.0.0.1 and stopped by pid on exit. TAP lines.
#
# A git project made from examples/sample-app (its image in the local registry, one
# instance, fast health checks): init, create, list/status/health/open, deploy, an
# invalid bundle (diagnostics, exit 1, nothing uploaded), a failing version (the
# essential container exits 1: exit 3), rollback, events -f ending by itself, logs of a
# container (tail, --zip), setenv reaching the containers (docker inspect) and printenv
# masking a secret, config, scale 3 -> 1, restart, abort, --timeout (exit 4), terminate;
# then status shows it Terminated (as `eb status` does) and deploy, open, rollback refuse.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/services.sh"
svc_init
WORK=$SVC_DIR/cli-env
mkdir -p "$WORK"
export WORK
. "$top/tests/integration/environments/lib.sh"
ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 40 | sed 's/^/#   /'
	return 0
}
trap 'env_cleanup; [ -n "${SPROUT_KEEP:-}" ] && cp -R "$WORK" "$SPROUT_KEEP"; svc_stop_all' EXIT
trap 'exit 1' INT TERM
S=$SPROUT
unset SPROUT_ENDPOINT NO_COLOR
export HOME="$WORK/home" SPROUT_DATA_DIR="$WORK/no-data"
mkdir -p "$HOME"
git_commit() { git -c user.email=t@t -c user.name=t commit -qam "$1"; }

if [ ! -x "$S" ]; then echo "not ok - $S is not built"; exit 1; fi
svc_docker || { not_ok "a Docker daemon answers"; exit 1; }
REGPORT=$(svc_free_port)
svc_registry "$REGPORT" || { not_ok "the registry starts"; exit 1; }
IMAGE=127.0.0.1:$REGPORT/sprout-test/busybox:1
if ! svc_image_busybox sprout-test/busybox:1 || ! svc_push sprout-test/busybox:1 "$IMAGE" >/dev/null; then
	not_ok "the test image is pushed to the local registry"; exit 1
fi
env_serve_start || { not_ok "sprout serve starts" "$(tail -n 20 "$WORK/serve.log")"; exit 1; }
ok "sprout serve runs with the local driver ready"
export SPROUT_TOKEN="$TOKEN"
ENDPOINT=http://127.0.0.1:$API_PORT
OWNER=$(printf %s "$DATA" | sha256sum | cut -c1-12)

# dockerrun KIND: the project's Dockerrun.aws.json with $IMAGE; web prints MODE on start
# (ok) or exits 1 (fail) or links a container that does not exist (invalid).
dockerrun() {
	python3 - Dockerrun.aws.json "$IMAGE" "$1" <<'EOP'
import json, sys
p, image, kind = sys.argv[1:4]
d = json.load(open(p))
for c in d["containerDefinitions"]:
    c["image"] = image
    c["stopTimeout"] = 1  # httpd as PID 1 ignores SIGTERM: do not wait 10 s for it
    if c["name"] == "web":
        if kind == "fail":
            c["command"] = ["sh", "-c", "echo web is failing on purpose; exit 1"]
        elif kind == "slow":  # answers only after 15 s: a deployment that cannot end within 1 s
            c["command"] = ["sh", "-c", "sleep 15; exec httpd -f -p 80 -h /var/www"]
        else:
            c["command"] = ["sh", "-c", "echo web started MODE=$MODE; mkdir -p /tmp/www && cp -r /var/www/. /tmp/www/ && exec httpd -f -vv -p 80 -h /tmp/www 2>>/var/log/web/access.log"]
        if kind == "invalid":
            c["links"] = ["api", "db"]
json.dump(d, open(p, "w"), indent=2)
EOP
}

P=$WORK/proj
mkdir -p "$P"
cp -R "$top/examples/sample-app/." "$P/"
cd "$P" || exit 1
dockerrun ok
echo one > www/version.txt
git init -q -b main . && git add -A && git_commit "sample app"

# --- init and create ----------------------------------------------------------------------
"$S" init demo --endpoint "$ENDPOINT" >"$WORK/init.out" 2>&1 &&
	git add .gitignore && git_commit ignore &&
	ok "init in a git project" || not_ok "init" "$(cat "$WORK/init.out")"
FAST="--option aws:elb:healthcheck:Interval=5 --option aws:elb:healthcheck:HealthyThreshold=2
 --option aws:elb:healthcheck:UnhealthyThreshold=2 --option aws:elb:healthcheck:Timeout=2
 --option aws:elb:policies:ConnectionDrainingTimeout=1"
# shellcheck disable=SC2086
"$S" create cli-env -l v1 --instances 1 $FAST --timeout 4m >"$WORK/create.out" 2>"$WORK/create.err"; rc=$?
if [ $rc = 0 ] && grep -q 'Environment "cli-env" is Ready, health .*running "v1"' "$WORK/create.out" &&
	grep -q 'createEnvironment is starting' "$WORK/create.out" &&
	[ "$(env_describe cli-env | jq -r .status)" = Ready ]; then
	ok "create uploads the project, launches it and follows the events until Ready (exit 0)"
else not_ok "create" "rc=$rc $(cat "$WORK/create.out" "$WORK/create.err")"; fi
grep -q '^    environment: cli-env$' .elasticbeanstalk/config.yml &&
	ok "create makes the environment the branch's default" ||
	not_ok "create sets the branch default" "$(cat .elasticbeanstalk/config.yml)"
nv=$(api GET /applications/demo/versions | jq '.versions | length')
"$S" create cli-env >"$WORK/dup.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'ENV_EXISTS' "$WORK/dup.out" &&
	[ "$(api GET /applications/demo/versions | jq '.versions | length')" = "$nv" ] &&
	ok "create of an existing name is exit 1 with ENV_EXISTS, before any upload" ||
	not_ok "create existing" "rc=$rc $(cat "$WORK/dup.out")"

# --- reading commands -----------------------------------------------------------------------
out=$("$S" list 2>&1)
[ "$out" = "* cli-env" ] && ok "list marks the branch's default with *" || not_ok "list" "$out"
"$S" list --json | jq -e '.[0].environment_name == "cli-env"' >/dev/null &&
	ok "list --json" || not_ok "list --json"
"$S" status >"$WORK/status.out" 2>&1
grep -q 'Status: *Ready' "$WORK/status.out" && grep -q 'Deployed Version: *v1' "$WORK/status.out" &&
	ok "status shows the environment (default from config.yml)" || not_ok "status" "$(cat "$WORK/status.out")"
"$S" status --json | jq -e '.status == "Ready" and .version_label == "v1"' >/dev/null &&
	ok "status --json" || not_ok "status --json"
"$S" health >"$WORK/health.out" 2>&1
grep -q '^cli-env  Ready  Green  1 of 1 instance Green$' "$WORK/health.out" &&
	grep -q '^  i-[0-9a-f]* *127\.[0-9.]* *Green *RUNNING$' "$WORK/health.out" &&
	grep -q '^ *web  *running' "$WORK/health.out" &&
	ok "health shows the colour, the instance and its containers" || not_ok "health" "$(cat "$WORK/health.out")"
"$S" health --json | jq -e '(.instances | length) == 1 and (.health | type) == "string"' >/dev/null &&
	ok "health --json" || not_ok "health --json"
url=$("$S" open 2>"$WORK/open.err")
case $url in http://*) ok "open prints the URL (no browser when not on a terminal)" ;;
*) not_ok "open" "$url $(cat "$WORK/open.err")" ;; esac
i=0; body=""
while [ $i -lt 30 ]; do body=$(curl -s --max-time 2 "${url%/}/version.txt"); [ "$body" = one ] && break; sleep 0.5; i=$((i + 1)); done
[ "$body" = one ] && ok "the URL answers with the project's files" || not_ok "URL answers" "$body"

# --- deploy ---------------------------------------------------------------------------------
echo two > www/version.txt && git_commit two
"$S" deploy >"$WORK/deploy.out" 2>"$WORK/deploy.err"; rc=$?
label=$(sed -n 's/^Version "\(app-[^"]*\)" of "demo" is PROCESSED\.$/\1/p' "$WORK/deploy.out")
if [ $rc = 0 ] && [ -n "$label" ] && grep -q "Deploying version \"$label\" to \"cli-env\"" "$WORK/deploy.out" &&
	[ "$(env_describe cli-env | jq -r .version_label)" = "$label" ]; then
	ok "deploy uploads a new version and deploys it to the branch's environment (exit 0)"
else not_ok "deploy" "rc=$rc $(cat "$WORK/deploy.out" "$WORK/deploy.err")"; fi
i=0; body=""
while [ $i -lt 30 ]; do body=$(curl -s --max-time 2 "${url%/}/version.txt"); [ "$body" = two ] && break; sleep 0.5; i=$((i + 1)); done
[ "$body" = two ] && ok "the new version answers" || not_ok "new version answers" "$body"
src=$(curl -s -H "Authorization: Bearer $TOKEN" "$ENDPOINT/api/v1/applications/demo/versions/$label" | jq -r .source)
[ "$src" = cli ] && ok "a version deployed with the CLI records its source (cli)" || not_ok "version source" "$src"

# an invalid bundle: diagnostics, exit 1, nothing uploaded
dockerrun invalid && git_commit invalid
before=$(ls "$DATA/bundles" | wc -l)
"$S" deploy -l bad-bundle >"$WORK/inv.out" 2>"$WORK/inv.err"; rc=$?
after=$(ls "$DATA/bundles" | wc -l)
if [ $rc = 1 ] && grep -q 'Dockerrun.aws.json:[0-9]*:[0-9]*: error\[DOCKERRUN_LINK_UNKNOWN\]' "$WORK/inv.err" &&
	grep -q 'nothing was uploaded' "$WORK/inv.err" && [ "$before" = "$after" ] &&
	[ "$(api GET /applications/demo/versions/bad-bundle | jq -r .error.code)" = VERSION_NOT_FOUND ]; then
	ok "deploy of an invalid bundle: diagnostics like a compiler, exit 1, nothing uploaded"
else not_ok "invalid bundle" "rc=$rc $(cat "$WORK/inv.out" "$WORK/inv.err")"; fi
git reset -q --hard HEAD~1

# a failing version: the essential container exits 1
dockerrun fail && git_commit failing
"$S" deploy -l v-fail --timeout 3m >"$WORK/fail.out" 2>"$WORK/fail.err"; rc=$?
if [ $rc = 3 ] && grep -q 'the deployment of "cli-env" failed' "$WORK/fail.err" &&
	grep -q 'ERROR' "$WORK/fail.out"; then
	ok "deploy of a version whose essential container exits 1: events, cause, exit 3"
else not_ok "failing deploy exit 3" "rc=$rc $(cat "$WORK/fail.out" "$WORK/fail.err")"; fi
git reset -q --hard HEAD~1
timeout 30 "$S" events -f --version v-fail >"$WORK/evf.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q 'Finished processing application version v-fail' "$WORK/evf.out" &&
	ok "events -f --version ends by itself" || not_ok "events -f ends" "rc=$rc $(cat "$WORK/evf.out")"
"$S" events --env cli-env -n 200 >"$WORK/ev.out" 2>&1
grep -q 'ERROR' "$WORK/ev.out" && ok "events --env shows the failure" || not_ok "events --env" "$(tail "$WORK/ev.out")"

"$S" rollback >"$WORK/rb.out" 2>"$WORK/rb.err"; rc=$?
if [ $rc = 0 ] && grep -q "to \"$label\", its last version that deployed well" "$WORK/rb.out" &&
	[ "$(env_describe cli-env | jq -r .version_label)" = "$label" ]; then
	ok "rollback redeploys the last version that deployed well (exit 0)"
else not_ok "rollback" "rc=$rc $(cat "$WORK/rb.out" "$WORK/rb.err")"; fi

"$S" deploy --version v1 --json >"$WORK/dj.out" 2>"$WORK/dj.err"; rc=$?
[ $rc = 0 ] && jq -e '.version_label == "v1" and .status == "Ready"' "$WORK/dj.out" >/dev/null &&
	grep -q 'Environment update is starting' "$WORK/dj.err" &&
	ok "deploy --version redeploys an existing version; --json: one document on stdout, events on stderr" ||
	not_ok "deploy --version --json" "rc=$rc $(cat "$WORK/dj.out" "$WORK/dj.err")"

# --- setenv / printenv ---------------------------------------------------------------------------
"$S" setenv MODE=blue API_TOKEN=s3cr3t-value >"$WORK/setenv.out" 2>"$WORK/setenv.err"; rc=$?
[ $rc = 0 ] && ok "setenv updates the environment and follows it (exit 0)" ||
	not_ok "setenv" "rc=$rc $(cat "$WORK/setenv.out" "$WORK/setenv.err")"
c=$(docker ps -q --filter "label=sprout.owner=$OWNER" --filter "label=sprout.env=cli-env" | head -n 20)
found=0
for id in $c; do docker inspect "$id" | jq -r '.[0].Config.Env[]' | grep -qx 'MODE=blue' && found=1; done
[ $found = 1 ] && ok "the property reaches the containers (docker inspect)" || not_ok "setenv reaches containers" "$c"
"$S" status --json >"$WORK/status2.json" 2>&1
"$S" printenv >"$WORK/penv.out" 2>&1
if grep -q '^     MODE = blue$' "$WORK/penv.out" && grep -q 'API_TOKEN = \*\*\*\*\*\*\*\*' "$WORK/penv.out" &&
	! grep -q s3cr3t "$WORK/penv.out" && ! "$S" printenv --json | grep -q s3cr3t &&
	! grep -q s3cr3t "$WORK/status2.json" && grep -q '"API_TOKEN"' "$WORK/status2.json"; then
	ok "printenv shows the properties and masks the secret; status --json masks it too"
else not_ok "printenv" "$(cat "$WORK/penv.out")"; fi
# The engine itself never hands the secret out: not in the API's description nor its events.
curl -s -H "Authorization: Bearer $TOKEN" "$ENDPOINT/api/v1/environments/cli-env" >"$WORK/raw-env.json"
curl -s -H "Authorization: Bearer $TOKEN" "$ENDPOINT/api/v1/events?limit=1000" >"$WORK/raw-events.json"
if grep -q '"API_TOKEN"' "$WORK/raw-env.json" && ! grep -q s3cr3t "$WORK/raw-env.json" "$WORK/raw-events.json" &&
	jq -e '[.option_settings[] | select(.option_name == "API_TOKEN")][0].secret == true' "$WORK/raw-env.json" >/dev/null; then
	ok "the API masks secret properties in describe and never puts them in events"
else not_ok "API masks secrets" "$(head -c 600 "$WORK/raw-env.json")"; fi

# --- logs -------------------------------------------------------------------------------------
i=0
while [ $i -lt 40 ]; do
	"$S" logs --container web >"$WORK/logs.out" 2>&1
	grep -q 'web started MODE=blue' "$WORK/logs.out" && break
	sleep 0.5; i=$((i + 1))
done
grep -q 'web started MODE=blue' "$WORK/logs.out" && grep -q -- '----- i-[0-9a-f]* web/var/log/containers/web-' "$WORK/logs.out" &&
	ok "logs --container shows the container's output" || not_ok "logs" "$(cat "$WORK/logs.out")"
"$S" logs --zip >"$WORK/zip.out" 2>&1
zip=$(sed -n 's/^Saved the logs of .* to \(.*\)$/\1/p' "$WORK/zip.out")
[ -f "$zip" ] && unzip -l "$zip" | grep -q 'web-[0-9a-f]*-stdouterr.log' &&
	ok "logs --zip saves them in .elasticbeanstalk/logs" || not_ok "logs --zip" "$(cat "$WORK/zip.out")"
# the engine's bounds: a tail is 100 lines, --all keeps the end of a file past 4 MiB,
# links are not followed, lines past 10000 are refused
iid=$(env_describe cli-env | jq -r '.instances[0].id')
LD=$DATA/instances/$iid/var/log/containers
seq 1 700000 > "$LD/big-000000000000-stdouterr.log"
ln -s /etc/passwd "$LD/evil-000000000000-stdouterr.log"
"$S" logs --container big --json >"$WORK/big.json" 2>&1
"$S" logs --container big --all --json >"$WORK/bigall.json" 2>&1
if jq -e '.logs[0].truncated and (.logs[0].text | split("\n") | length) == 101 and
	(.logs[0].text | endswith("\n700000\n"))' "$WORK/big.json" >/dev/null &&
	jq -e '.logs[0].truncated and (.logs[0].text | length) <= 4194304 and
	(.logs[0].text | length) > 4000000 and (.logs[0].text | endswith("\n700000\n"))' "$WORK/bigall.json" >/dev/null; then
	ok "logs are bounded: a 100-line tail, --all keeps the last 4 MiB of a larger file"
else not_ok "log bounds" "$(head -c 300 "$WORK/big.json")"; fi
"$S" logs --all >"$WORK/evil.out" 2>&1
! grep -q 'root:' "$WORK/evil.out" && ! grep -q 'evil' "$WORK/evil.out" &&
	ok "a log file that is a symbolic link is not followed" || not_ok "log symlink" "$(grep -A3 evil "$WORK/evil.out")"
[ "$(api GET "/environments/cli-env/logs?lines=10001" | jq -r .error.code)" = API_INVALID_PARAMETER ] &&
	[ "$(api GET "/environments/cli-env/logs?instance=i-0000000000000000a" | jq -r .error.code)" = ENV_INSTANCE_NOT_FOUND ] &&
	ok "the logs endpoint refuses lines past 10000 and an instance the environment lacks" ||
	not_ok "logs endpoint refusals"
rm -f "$LD/big-000000000000-stdouterr.log" "$LD/evil-000000000000-stdouterr.log"

# colours on a terminal only
script -qec "$S health" /dev/null >"$WORK/tty.out" 2>&1
"$S" health 2>&1 | cat >"$WORK/pipe.out"
grep -q "$(printf '\033')\[32mGreen" "$WORK/tty.out" && ! grep -q "$(printf '\033')" "$WORK/pipe.out" &&
	ok "health colours Green on a terminal, not when piped" ||
	not_ok "health colours" "$(cat -v "$WORK/tty.out" | head -5)"

"$S" setenv MODE= >/dev/null 2>&1 && ! "$S" printenv | grep -q MODE &&
	ok "setenv K= removes the property" || not_ok "setenv K= removes"

# --- config, scale, restart, abort, timeout ------------------------------------------------------
"$S" config >"$WORK/config.out" 2>&1
grep -q 'aws:autoscaling:asg:' "$WORK/config.out" && grep -q 'MinSize: 1' "$WORK/config.out" &&
	! grep -q API_TOKEN "$WORK/config.out" && ok "config shows the option settings (not the properties)" ||
	not_ok "config" "$(cat "$WORK/config.out")"
"$S" config set aws:elasticbeanstalk:command:Timeout=300 >"$WORK/cset.out" 2>&1 &&
	"$S" config --json | jq -e 'map(select(.namespace == "aws:elasticbeanstalk:command" and
		.option_name == "Timeout"))[0].value == "300"' >/dev/null &&
	ok "config set changes an option" || not_ok "config set" "$(cat "$WORK/cset.out")"
"$S" scale 3 >"$WORK/scale.out" 2>&1; rc=$?
n=$(env_describe cli-env | jq '.instances | length')
[ $rc = 0 ] && [ "$n" = 3 ] && ok "scale 3 runs three instances" || not_ok "scale 3" "rc=$rc n=$n $(cat "$WORK/scale.out")"
"$S" scale 1 >"$WORK/scale1.out" 2>&1; rc=$?
i=0
while [ $i -lt 40 ] && [ "$(env_describe cli-env | jq '.instances | length')" != 1 ]; do sleep 0.25; i=$((i + 1)); done
n=$(env_describe cli-env | jq '.instances | length')
[ $rc = 0 ] && [ "$n" = 1 ] && ok "scale 1 goes back to one instance" || not_ok "scale 1" "rc=$rc n=$n $(cat "$WORK/scale1.out")"
"$S" restart >"$WORK/restart.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q 'is Ready' "$WORK/restart.out" && ok "restart follows until Ready (exit 0)" ||
	not_ok "restart" "rc=$rc $(cat "$WORK/restart.out")"
"$S" abort >"$WORK/abort.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'ENV_NOT_UPDATING' "$WORK/abort.out" && ok "abort without an update in progress is exit 1" ||
	not_ok "abort idle" "rc=$rc $(cat "$WORK/abort.out")"
dockerrun slow && git_commit slow
"$S" appversion create -l v-slow >"$WORK/slow.out" 2>&1 || not_ok "appversion create v-slow" "$(cat "$WORK/slow.out")"
git reset -q --hard HEAD~1
"$S" deploy --version v-slow --timeout 1s >"$WORK/to.out" 2>"$WORK/to.err"; rc=$?
[ $rc = 4 ] && grep -q 'did not end within 1 s' "$WORK/to.err" && ok "deploy --timeout passes: exit 4" ||
	not_ok "deploy timeout" "rc=$rc $(cat "$WORK/to.out" "$WORK/to.err")"
"$S" abort >"$WORK/abort2.out" 2>&1; rc=$?
[ $rc = 0 ] && ok "abort stops the update in progress and waits until Ready (exit 0)" ||
	not_ok "abort" "rc=$rc $(cat "$WORK/abort2.out")"
env_wait_ready cli-env 60

# --- terminate ----------------------------------------------------------------------------------
printf 'not-it\n' | script -qec "$S terminate cli-env" /dev/null >"$WORK/tconf.out" 2>&1
grep -q 'type the environment name' "$WORK/tconf.out" && grep -q 'nothing was done' "$WORK/tconf.out" &&
	[ "$(env_describe cli-env | jq -r .status)" = Ready ] &&
	ok "terminate on a terminal asks for the name and does nothing when it does not match" ||
	not_ok "terminate confirmation" "$(cat -v "$WORK/tconf.out")"
"$S" terminate cli-env --force >"$WORK/term.out" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'Environment "cli-env" is terminated' "$WORK/term.out" &&
	[ "$(env_describe cli-env | jq -r .status)" = Terminated ] &&
	[ -z "$(docker ps -aq --filter "label=sprout.owner=$OWNER" --filter label=sprout.env=cli-env)" ]; then
	ok "terminate follows until the environment is Terminated, no container left"
else not_ok "terminate" "rc=$rc $(cat "$WORK/term.out") $(env_describe cli-env)"; fi
# As `eb status` does for an hour after a terminate: the environment, Status Terminated.
"$S" status >"$WORK/st2.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q '^Environment details for: cli-env$' "$WORK/st2.out" &&
	grep -q 'Status: *Terminated$' "$WORK/st2.out" && grep -q 'Health: *Grey$' "$WORK/st2.out" &&
	grep -q 'Instances: *0$' "$WORK/st2.out" &&
	ok "status of a terminated environment: Status Terminated, Grey, no instances (exit 0)" ||
	not_ok "status after terminate" "rc=$rc $(cat "$WORK/st2.out")"
"$S" list >"$WORK/list2.out" 2>&1; rc=$?
[ $rc = 0 ] && ! grep -q 'cli-env' "$WORK/list2.out" &&
	ok "list leaves the terminated environment out" || not_ok "list after terminate" "rc=$rc $(cat "$WORK/list2.out")"
"$S" deploy --version "$label" >"$WORK/d2.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'ENV_NOT_FOUND' "$WORK/d2.out" && grep -q 'hint: `sprout list`' "$WORK/d2.out" &&
	ok "deploy to a terminated environment: exit 1, ENV_NOT_FOUND with a hint" ||
	not_ok "deploy after terminate" "rc=$rc $(cat "$WORK/d2.out")"
"$S" open >"$WORK/o2.out" 2>&1; rc1=$?
"$S" rollback >"$WORK/r2.out" 2>&1; rc2=$?
[ $rc1 = 1 ] && [ $rc2 = 1 ] && grep -q 'environment "cli-env" is terminated' "$WORK/o2.out" &&
	grep -q 'environment "cli-env" is terminated' "$WORK/r2.out" && grep -q 'hint: `sprout create cli-env`' "$WORK/r2.out" &&
	ok "open and rollback of a terminated environment: exit 1, it is terminated" ||
	not_ok "open/rollback after terminate" "rc=$rc1/$rc2 $(cat "$WORK/o2.out" "$WORK/r2.out")"
