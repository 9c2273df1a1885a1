#!/bin/sh
# test_deploy_hooks.sh — platform hooks and .ebextensions commands run by deployments
# (docs/hooks.md, docs/deployments.md), through `sprout serve` against the real Docker
# engine, HAProxy (started by the driver) and a Debian docker-registry, all on 127.0.0.1
# and stopped by pid on exit. TAP-style lines.
#
# A 3-instance environment of a busybox httpd app whose bundle
# (tests/integration/deploy-hooks/app) uses every stage and command key; each step
# appends a line to order.log in the instance's var/app/staging (var/app/current after
# the swap); the test reads the order from the instance roots under the data dir. The
# bundle also has .platform/confighooks/{predeploy,postdeploy} scripts: the launch does
# not run them; a configuration deployment (a new environment property) runs only them
# (not .ebextensions, not .platform/hooks), and one whose confighook fails
# (CONFIG_HOOK_FAIL=yes) fails with the script named. Then a version whose predeploy
# hook fails (exit code and output in the events, v1 keeps serving) and one whose
# predeploy hook hangs with `sprout:hooks Timeout: 3` (stopped and reported, no hook
# container left). Nothing a hook writes reaches the engine's host.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
. "$top/tests/lib/services.sh"

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # NAME COMMAND... — ok when the command succeeds
	_name=$1; shift
	if "$@"; then ok "$_name"; else nok "$_name"; fi
}

svc_init
WORK=$(mktemp -d /tmp/sprout-hooks-deploy.XXXXXX)
export WORK
. "$top/tests/integration/environments/lib.sh"
TAG=$$-$(date +%s)
trap 'env_cleanup; svc_stop_all; rm -rf "$WORK"; rm -f /tmp/sprout-escape-$TAG' EXIT
trap 'exit 1' INT TERM

if [ ! -x build/sprout ]; then echo "not ok 1 - build/sprout is missing (make build-tests)"; exit 1; fi
if ! svc_docker; then nok "a Docker daemon answers"; exit 1; fi
REGPORT=$(svc_free_port)
if ! svc_registry "$REGPORT"; then nok "the registry starts"; exit 1; fi
IMAGE=127.0.0.1:$REGPORT/sprout-test/busybox:1
if svc_image_busybox sprout-test/busybox:1 && svc_push sprout-test/busybox:1 "$IMAGE" >/dev/null; then
	ok "the offline test image is built and pushed to the local registry"
else
	nok "the offline test image is built and pushed to the local registry"; exit 1
fi

# hooks_bundle LABEL [fail|hang]: $WORK/LABEL.zip from deploy-hooks/app.
hooks_bundle() {
	_d=$WORK/src-$1
	rm -rf "$_d"
	cp -R "$top/tests/integration/deploy-hooks/app" "$_d"
	echo "$1" > "$_d/www/version.txt"
	sed -i "s|@IMAGE@|$IMAGE|" "$_d/Dockerrun.aws.json"
	sed -i "s|@TAG@|$TAG|g" "$_d/.ebextensions/01_steps.config"
	case ${2:-} in
	fail) cp -p "$top/tests/integration/deploy-hooks/fail/02_fail.sh" "$_d/.platform/hooks/predeploy/" ;;
	hang) cp -p "$top/tests/integration/deploy-hooks/hang/02_hang.sh" "$_d/.platform/hooks/predeploy/"
	      cp "$top/tests/integration/deploy-hooks/hang/02_timeout.config" "$_d/.ebextensions/" ;;
	esac
	(cd "$_d" && rm -f "$WORK/$1.zip" && zip -qr "$WORK/$1.zip" .)
}

env_serve_start || { nok "sprout serve starts" "$(tail -n 20 "$WORK/serve.log")"; exit 1; }
ok "sprout serve starts and says the driver is ready"
APP=hookapp
api POST /applications "{\"name\":\"$APP\"}" >/dev/null
hooks_bundle v1 && hooks_bundle failpre fail && hooks_bundle hang hang
for v in v1 failpre hang; do env_upload "$v" "$APP" || nok "upload $v"; done
if env_wait_processed v1 "$APP" && env_wait_processed failpre "$APP" && env_wait_processed hang "$APP"; then
	ok "three versions with hooks are PROCESSED"
else
	nok "three versions with hooks are PROCESSED" "$(api GET /applications/$APP/versions)"
fi

# ---- launch: every stage and command key on 3 instances ----
ENV=hooks-env
OPTS='{"namespace":"aws:elb:healthcheck","option_name":"Interval","value":"5"},
 {"namespace":"aws:elb:healthcheck","option_name":"HealthyThreshold","value":"2"},
 {"namespace":"aws:elb:healthcheck","option_name":"UnhealthyThreshold","value":"2"},
 {"namespace":"aws:elb:healthcheck","option_name":"Timeout","value":"2"},
 {"namespace":"aws:autoscaling:asg","option_name":"MinSize","value":"3"},
 {"namespace":"aws:autoscaling:asg","option_name":"MaxSize","value":"3"},
 {"namespace":"aws:elasticbeanstalk:application:environment","option_name":"APP_COLOR","value":"blue"}'
api POST /environments "{\"application\":\"$APP\",\"name\":\"$ENV\",\"version_label\":\"v1\",
 \"option_settings\":[$OPTS]}" >/dev/null
if env_wait_ready "$ENV" 150 && env_deployment_ok "$ENV" && env_wait_health "$ENV" Green 60; then
	ok "the environment launches with its hooks and is Green"
else
	nok "the environment launches with its hooks and is Green" \
		"$(api GET "/environments/$ENV/deployments?limit=1")" "$(env_events "$ENV" | tail -n 30)"
fi
URL=$(env_describe "$ENV" | jq -r .url)

ROOTS=$(ls -d "$DATA"/instances/i-* 2>/dev/null)
NROOTS=$(echo "$ROOTS" | grep -c .)
if [ "$NROOTS" = 3 ]; then ok "three instance roots under the data dir"; else nok "three instance roots under the data dir" "$ROOTS"; fi

expected_order() { # LEADER(true|false)
	echo files
	echo commands
	echo commands-script
	echo "commands-env hello  /tmp"
	echo "prebuild /var/app/staging"
	[ "$1" = true ] && echo "leader true"
	echo container_commands
	echo "props blue $1"
	echo predeploy
	echo "postdeploy /var/app/current"
}
leaders=0
order_ok=true
for r in $ROOTS; do
	f=$r/var/app/current/order.log
	if grep -q '^leader' "$f" 2>/dev/null; then leaders=$((leaders + 1)); l=true; else l=false; fi
	if ! expected_order $l | cmp -s - "$f"; then
		order_ok=false
		nok "EB's order on $(basename "$r")" "expected:" "$(expected_order $l)" "got:" "$(cat "$f" 2>&1)"
	fi
done
$order_ok && ok "every instance ran files, commands, prebuild, container_commands (leader first), predeploy, then postdeploy after the swap (no confighook)"
if [ "$leaders" = 1 ]; then ok "the leader_only container_command ran on exactly one of the three instances"
else nok "the leader_only container_command ran on exactly one of the three instances" "$leaders"; fi
if ! cat $(for r in $ROOTS; do echo "$r/var/app/current/order.log"; done) 2>/dev/null | grep -q should-not-run; then
	ok "a command whose test fails is skipped"
else
	nok "a command whose test fails is skipped"
fi
if env_events "$ENV" | grep -q "05_ignored_failure failed with exit code 3 (ignoreErrors"; then
	ok "an ignoreErrors failure is a WARN event and the deployment goes on"
else
	nok "an ignoreErrors failure is a WARN event and the deployment goes on" "$(env_events "$ENV" | grep -i ignored)"
fi
if env_events "$ENV" | grep -q "\[predeploy\] .platform/hooks/predeploy/01_predeploy.sh succeeded"; then
	ok "each step is an INFO event with its name"
else
	nok "each step is an INFO event with its name" "$(env_events "$ENV" | tail -n 20)"
fi
if [ "$(curl -s --max-time 3 "${URL}version.txt")" = v1 ]; then ok "v1 answers through the load balancer"
else nok "v1 answers through the load balancer" "$URL"; fi

# ---- nothing reaches the engine's host ----
escaped=""
for p in /etc/sprout-escape-$TAG /etc/sprout-escape-$TAG.conf /tmp/sprout-escape-$TAG /sprout-escape-$TAG; do
	[ -e "$p" ] && escaped="$escaped $p"
done
inside=0
for r in $ROOTS; do [ -f "$r/etc/sprout-escape-$TAG.conf" ] && inside=$((inside + 1)); done
if [ -z "$escaped" ] && [ "$inside" = 3 ]; then
	ok "hooks writing to /etc and ../../ do not touch the host; files land in the instance root"
else
	nok "hooks writing to /etc and ../../ do not touch the host; files land in the instance root" \
		"on the host:$escaped" "in instance roots: $inside"
fi

# ---- a configuration deployment: .platform/confighooks only ----
app_hook_runs() { env_events "$ENV" | grep -c "hooks/predeploy/01_predeploy.sh succeeded"; }
APP_RUNS=$(app_hook_runs)
env_update "$ENV" '{"option_settings":[{"namespace":"aws:elasticbeanstalk:application:environment","option_name":"CONFIG_NOTE","value":"note1"}]}' >/dev/null
sleep 1
DEP=$(api GET "/environments/$ENV/deployments?limit=1")
if env_wait_ready "$ENV" 90 && env_deployment_ok "$ENV" &&
	[ "$(api GET "/environments/$ENV/deployments?limit=1" | jq -r '.deployments[0].kind')" = configure ]; then
	ok "a configuration deployment with confighooks succeeds"
else
	nok "a configuration deployment with confighooks succeeds" "$DEP" \
		"$(api GET "/environments/$ENV/deployments?limit=1")" "$(env_events "$ENV" | tail -n 20)"
fi
config_order() {
	echo "confighook predeploy note1 /var/app/staging"
	echo "confighook postdeploy /var/app/current"
}
# EB does not unpack the version again for a configuration deployment: var/app/current
# keeps what the application deployment's hooks wrote (order.log's first lines).
order_ok=true
for r in $ROOTS; do
	if grep -q '^leader' "$r/var/app/current/order.log" 2>/dev/null; then l=true; else l=false; fi
	if ! { expected_order $l; config_order; } | cmp -s - "$r/var/app/current/order.log"; then
		order_ok=false
		nok "confighooks on $(basename "$r")" "expected:" "$(expected_order $l; config_order)" "got:" "$(cat "$r/var/app/current/order.log" 2>&1)"
	fi
done
$order_ok && ok "every instance ran confighooks predeploy (with the new property), then postdeploy after the swap, and nothing of .ebextensions or .platform/hooks; var/app/current kept what the application hooks wrote"
if env_events "$ENV" | grep -q "\[predeploy\] .platform/confighooks/predeploy/01_confighook.sh succeeded" &&
	env_events "$ENV" | grep -q "\[postdeploy\] .platform/confighooks/postdeploy/01_confighook.sh succeeded" &&
	env_events "$ENV" | grep -q "Running the configuration pre-deployment (confighooks prebuild, predeploy) steps"; then
	ok "each confighook is an INFO event with its path"
else
	nok "each confighook is an INFO event with its path" "$(env_events "$ENV" | tail -n 20)"
fi
if [ "$(app_hook_runs)" = "$APP_RUNS" ]; then ok "the configuration deployment did not run .platform/hooks again"
else nok "the configuration deployment did not run .platform/hooks again" "$APP_RUNS -> $(app_hook_runs)"; fi
if env_all_answer "$URL" v1; then ok "v1 serves after the configuration deployment"
else nok "v1 serves after the configuration deployment"; fi

# ---- a failing confighook fails the configuration deployment ----
env_update "$ENV" '{"option_settings":[{"namespace":"aws:elasticbeanstalk:application:environment","option_name":"CONFIG_HOOK_FAIL","value":"yes"}]}' >/dev/null
sleep 1
env_wait_ready "$ENV" 90
DEP=$(api GET "/environments/$ENV/deployments?limit=1")
CAUSE=$(printf '%s\n' "$DEP" | jq -r '.deployments[0].cause // ""')
if [ "$(printf '%s\n' "$DEP" | jq -r '.deployments[0].status')" = Failed ] &&
	printf '%s\n' "$CAUSE" | grep -q "\[predeploy\] .platform/confighooks/predeploy/01_confighook.sh failed with exit code 5" &&
	printf '%s\n' "$CAUSE" | grep -q confighook-fail-output-line; then
	ok "a failing confighook fails the configuration deployment; the cause names the script, its exit code and output"
else
	nok "a failing confighook fails the configuration deployment; the cause names the script, its exit code and output" "$DEP"
fi
if env_events "$ENV" ERROR | grep -q "Failed to deploy configuration.*confighooks/predeploy/01_confighook.sh failed"; then
	ok "the ERROR event says the configuration failed and names the confighook"
else
	nok "the ERROR event says the configuration failed and names the confighook" "$(env_events "$ENV" ERROR | tail -n 10)"
fi
if env_all_answer "$URL" v1 && [ "$(env_describe "$ENV" | jq -r .version_label)" = v1 ]; then
	ok "after the failed confighook v1 keeps serving"
else
	nok "after the failed confighook v1 keeps serving" "$(env_describe "$ENV" | jq -c .)"
fi

# ---- a restart: new instances (sprout restarts immutably), each runs the application plan ----
APP_RUNS=$(app_hook_runs)
api POST "/environments/$ENV/restart" >/dev/null
sleep 1
NEWROOTS=$(ls -d "$DATA"/instances/i-* 2>/dev/null)
if env_wait_ready "$ENV" 120 && env_deployment_ok "$ENV"; then
	NEWROOTS=$(ls -d "$DATA"/instances/i-* 2>/dev/null)
	order_ok=true
	leaders=0
	for r in $NEWROOTS; do
		echo "$ROOTS" | grep -qx "$r" && order_ok=false
		if grep -q '^leader' "$r/var/app/current/order.log" 2>/dev/null; then leaders=$((leaders + 1)); l=true; else l=false; fi
		expected_order $l | cmp -s - "$r/var/app/current/order.log" || order_ok=false
	done
	if $order_ok && [ "$leaders" = 1 ] && [ "$(echo "$NEWROOTS" | grep -c .)" = 3 ] &&
		[ "$(app_hook_runs)" = $((APP_RUNS + 3)) ] && env_all_answer "$URL" v1; then
		ok "a restart brings three new instances, each running the application plan (leader once), no confighook"
	else
		nok "restart: new instances run the application plan" "$(for r in $NEWROOTS; do cat "$r/var/app/current/order.log"; done)"
	fi
else
	nok "a restart succeeds" "$(api GET "/environments/$ENV/deployments?limit=1")"
fi
ROOTS=$NEWROOTS

OWNER=$(printf %s "$DATA" | sha256sum | cut -c1-12)
hook_containers() { docker ps -aq --filter "label=sprout.owner=$OWNER" --filter label=sprout.hook; }

# ---- a failing predeploy hook ----
# A hook container left by a crash (this engine's owner label) goes when a deployment ends.
LEFT=$(docker create --label "sprout.owner=$OWNER" --label sprout.hook=predeploy "$IMAGE" true 2>/dev/null)
env_update "$ENV" '{"version_label":"failpre"}' >/dev/null
sleep 1
if env_wait_ready "$ENV" 120 &&
	[ "$(api GET "/environments/$ENV/deployments?limit=1" | jq -r '.deployments[0].status')" = Failed ]; then
	ok "a failing predeploy hook fails the deployment"
else
	nok "a failing predeploy hook fails the deployment" "$(api GET "/environments/$ENV/deployments?limit=1")"
fi
EVENTS=$(api GET "/events?environment=$ENV&severity=ERROR&limit=100" | jq -r '.events[].message')
if echo "$EVENTS" | grep -q "02_fail.sh failed with exit code 7" &&
	echo "$EVENTS" | grep -q "predeploy-fail-output-line"; then
	ok "the ERROR events name the hook, its exit code and its output (GET /events)"
else
	nok "the ERROR events name the hook, its exit code and its output (GET /events)" "$EVENTS"
fi
if env_all_answer "$URL" v1 && [ "$(env_describe "$ENV" | jq -r .version_label)" = v1 ]; then
	ok "the previous version keeps serving and stays the environment's version"
else
	nok "the previous version keeps serving and stays the environment's version" \
		"$(curl -s --max-time 2 "${URL}version.txt")" "$(env_describe "$ENV" | jq -c .)"
fi

if [ -n "$LEFT" ] && [ -z "$(docker ps -aq --filter "id=$LEFT")" ]; then
	ok "a leftover hook container of this engine is removed after a deployment"
else
	nok "a leftover hook container of this engine is removed after a deployment" "$LEFT"
fi

# ---- a hanging hook stopped by sprout:hooks Timeout: 3 ----
env_update "$ENV" '{"version_label":"hang"}' >/dev/null
labelled=false
_i=0
while [ $_i -lt 100 ]; do
	[ -n "$(hook_containers)" ] && { labelled=true; break; }
	sleep 0.1; _i=$((_i + 1))
done
if $labelled; then ok "hook containers carry sprout.hook and this engine's sprout.owner label"
else nok "hook containers carry sprout.hook and this engine's sprout.owner label"; fi
t0=$(date +%s)
sleep 1
if env_wait_ready "$ENV" 60 &&
	[ "$(api GET "/environments/$ENV/deployments?limit=1" | jq -r '.deployments[0].status')" = Failed ]; then
	ok "a hanging hook fails the deployment after $(( $(date +%s) - t0 )) s"
else
	nok "a hanging hook fails the deployment" "$(api GET "/environments/$ENV/deployments?limit=1")"
fi
if env_events "$ENV" ERROR | grep -q "02_hang.sh did not finish within 3 s and was stopped"; then
	ok "the timeout is reported with the hook's name"
else
	nok "the timeout is reported with the hook's name" "$(env_events "$ENV" ERROR | tail -n 10)"
fi
if env_wait_gone "docker ps -aq --filter label=sprout.owner=$OWNER --filter label=sprout.hook" 10; then
	ok "no hook container is left"
else
	nok "no hook container is left" "$(docker ps -a --filter label=sprout.hook)"
fi
if env_all_answer "$URL" v1; then ok "v1 still serves after the timeout"
else nok "v1 still serves after the timeout"; fi
if grep -q "hanging on purpose" $(echo "$ROOTS" | head -n 1)/var/log/eb-hooks.log 2>/dev/null ||
	cat $(for r in $ROOTS; do echo "$r/var/log/eb-hooks.log"; done) 2>/dev/null | grep -q "hanging on purpose"; then
	ok "the hook's output is in var/log/eb-hooks.log of the instance"
else
	nok "the hook's output is in var/log/eb-hooks.log of the instance"
fi

# ---- terminate ----
api DELETE "/environments/$ENV" >/dev/null
if env_wait_gone "docker ps -aq --filter label=sprout.owner=$OWNER" 60; then
	ok "terminate leaves no container of this engine"
else
	nok "terminate leaves no container of this engine" "$(docker ps -a --filter label=sprout.owner=$OWNER)"
fi

echo "# $N checks, $FAILED failed"
[ "$FAILED" = 0 ]
