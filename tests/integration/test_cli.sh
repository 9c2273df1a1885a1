#!/bin/sh
# tests/integration/test_cli.sh — the `sprout` client commands against a real engine
# (`sprout serve` on a free port with a temporary data dir): init in a git project,
# appversion create/list/delete, the upload half of deploy reaching PROCESSED, an
# invalid bundle refused before anything is uploaded, events (list, --json, -f ending by
# itself, -f across an engine restart), the progress bar and colours under a
# pseudo-terminal (script(1)) and neither when piped. TAP lines; no timing is asserted.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/services.sh"
svc_init
. "$top/tests/integration/api/lib.sh"
trap svc_stop_all EXIT
W=$SVC_DIR/cli
mkdir -p "$W"
S=$SPROUT_BIN
unset SPROUT_ENDPOINT SPROUT_TOKEN NO_COLOR
export HOME="$W/home" SPROUT_DATA_DIR="$W/no-data"
mkdir -p "$HOME"

if [ ! -x "$S" ]; then echo "not ok - $S is not built"; exit 1; fi
if ! "$S" help | grep -q '^  serve '; then
	echo "ok - # SKIP sprout has no serve command yet"
	exit 0
fi
api_start || { echo "not ok - sprout serve starts"; exit 1; }
ok "sprout serve runs on 127.0.0.1:$API_PORT"
ENDPOINT="http://127.0.0.1:$API_PORT"
export SPROUT_TOKEN="$API_TOKEN"

git_project() { # dir: a git repository holding the sample app, one commit
	mkdir -p "$1"
	cp -R "$top/examples/sample-app/." "$1/"
	(cd "$1" && git init -q -b main . && git add -A &&
		git -c user.email=t@t -c user.name=t commit -qm "sample app")
}
ver_status() { # app label
	curl -s -H "Authorization: Bearer $API_TOKEN" "$API_URL/applications/$1/versions/$2" | jq -r '.status // .error.code'
}

# --- init ----------------------------------------------------------------------------
P=$W/proj
git_project "$P"
cd "$P" || exit 1
if "$S" init demo --endpoint "$ENDPOINT" >"$W/init.out" 2>&1 &&
	grep -q 'has been created' "$W/init.out" &&
	[ "$(ver_status demo x)" = VERSION_NOT_FOUND ]; then
	ok "init creates the application on the engine"
else not_ok "init creates the application" "$(cat "$W/init.out")"; fi
cfg=.elasticbeanstalk/config.yml
if grep -q '^  application_name: demo$' $cfg && grep -q '^  sc: git$' $cfg &&
	grep -q "^  endpoint: $ENDPOINT\$" $cfg && ! grep -q "$API_TOKEN" $cfg; then
	ok "init writes config.yml (application_name, sc, sprout.endpoint) and no token"
else not_ok "init writes config.yml" "$(cat $cfg)"; fi
grep -q '^\.elasticbeanstalk/\*$' .gitignore && ok "init adds the EB CLI's lines to .gitignore" ||
	not_ok "init adds the EB CLI's lines to .gitignore"
"$S" init >"$W/init2.out" 2>&1 && grep -q 'Application "demo" exists' "$W/init2.out" &&
	ok "init again finds the application (name from config.yml)" ||
	not_ok "init again" "$(cat "$W/init2.out")"
git add .gitignore && git -c user.email=t@t -c user.name=t commit -qm ignore

# --- credentials -------------------------------------------------------------------------
out=$(SPROUT_TOKEN=wrong "$S" appversion 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q 'error\[API_UNAUTHORIZED\]' && echo "$out" | grep -q 'hint: the engine refused the token'; then
	ok "a wrong token is an error with a hint (exit 1)"
else not_ok "wrong token" "rc=$rc $out"; fi
mkdir -p "$HOME/.config/sprout"
printf 'token = %s\n' "$API_TOKEN" > "$HOME/.config/sprout/config"
chmod 600 "$HOME/.config/sprout/config"
out=$(env -u SPROUT_TOKEN "$S" appversion --json 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "[]" ] && ok "the token comes from ~/.config/sprout/config; appversion --json lists none" ||
	not_ok "token from the user config" "rc=$rc $out"
printf 'token = wrong\n' > "$HOME/.config/sprout/config"
"$S" appversion --json >/dev/null 2>&1 && ok "SPROUT_TOKEN wins over the user config" ||
	not_ok "SPROUT_TOKEN wins over the user config"
rm -f "$HOME/.config/sprout/config"

# --- versions ------------------------------------------------------------------------------
"$S" appversion create -l v1 -m "first version" >"$W/c1.out" 2>"$W/c1.err"; rc=$?
if [ $rc = 0 ] && grep -q 'Version "v1" of "demo" is PROCESSED' "$W/c1.out" &&
	grep -q 'Finished processing application version v1 PROCESSED' "$W/c1.out" &&
	[ "$(ver_status demo v1)" = PROCESSED ]; then
	ok "appversion create uploads the sample app and follows it to PROCESSED"
else not_ok "appversion create" "rc=$rc $(cat "$W/c1.out" "$W/c1.err")"; fi
[ -f .elasticbeanstalk/app_versions/v1.zip ] && ok "the bundle is kept in .elasticbeanstalk/app_versions" ||
	not_ok "bundle kept in app_versions"
"$S" appversion create -l v1 >"$W/dup.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'VERSION_LABEL_EXISTS' "$W/dup.out" && ok "a label that exists is refused (exit 1)" ||
	not_ok "duplicate label" "rc=$rc $(cat "$W/dup.out")"

"$S" deploy my-env >"$W/d.out" 2>"$W/d.err"; rc=$?
label=$(sed -n 's/^Version "\(app-[^"]*\)" of "demo" is PROCESSED\.$/\1/p' "$W/d.out")
if [ $rc = 1 ] && [ -n "$label" ] && [ "$(ver_status demo "$label")" = PROCESSED ] &&
	grep -q 'error\[ENV_NOT_FOUND\]' "$W/d.err"; then
	ok "deploy uploads a new version (PROCESSED), then says it cannot deploy to an environment yet (exit 1)"
else not_ok "deploy upload half" "rc=$rc $(cat "$W/d.out" "$W/d.err")"; fi
sha=$(git rev-parse --short=4 HEAD)
echo "$label" | grep -Eq "^app-$sha[0-9a-f]*-[0-9]{6}_[0-9]{12}\$" &&
	ok "the generated label is the EB CLI's (app-<git describe>-<yymmdd_HHMMSSffffff>): $label" ||
	not_ok "generated label" "$label"
desc=$(curl -s -H "Authorization: Bearer $API_TOKEN" "$API_URL/applications/demo/versions/$label" | jq -r .description)
[ "$desc" = ignore ] && ok "the description defaults to the last commit's subject" ||
	not_ok "description default" "$desc"

"$S" use my-env >/dev/null && "$S" deploy -l v1 >"$W/d2.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'Using the existing version "v1"' "$W/d2.out" &&
	ok "deploy with the branch's environment (sprout use) and an existing label reuses it" ||
	not_ok "deploy existing label" "rc=$rc $(cat "$W/d2.out")"

out=$("$S" appversion --json)
n=$(echo "$out" | jq 'length'); first=$(echo "$out" | jq -r '.[0].label')
[ "$n" = 2 ] && [ "$first" = "$label" ] && ok "appversion --json lists the versions newest first" ||
	not_ok "appversion --json" "$out"
"$S" appversion | grep -q '^  v1 .*PROCESSED' && ok "appversion prints a table" ||
	not_ok "appversion table" "$("$S" appversion 2>&1)"

# --- an invalid bundle is refused before upload ----------------------------------------------
B=$W/bad
git_project "$B"
cd "$B" || exit 1
cat > Dockerrun.aws.json <<'EOF'
{
  "AWSEBDockerrunVersion": 2,
  "containerDefinitions": [
    {"name": "web", "image": "nginx", "memory": 128, "links": ["db"]}
  ]
}
EOF
git -c user.email=t@t -c user.name=t commit -qam broken
"$S" init demo --endpoint "$ENDPOINT" >/dev/null 2>&1
before=$(ls "$API_DATA/bundles" | wc -l)
"$S" deploy my-env -l bad1 >"$W/bad.out" 2>"$W/bad.err"; rc=$?
after=$(ls "$API_DATA/bundles" | wc -l)
if [ $rc = 1 ] && grep -q 'Dockerrun.aws.json:[0-9]*:[0-9]*: error\[DOCKERRUN_LINK_UNKNOWN\]' "$W/bad.err" &&
	grep -q 'nothing was uploaded' "$W/bad.err" && [ "$(ver_status demo bad1)" = VERSION_NOT_FOUND ] &&
	[ "$before" = "$after" ]; then
	ok "an invalid bundle: diagnostics like a compiler, exit 1, nothing uploaded"
else not_ok "invalid bundle refused" "rc=$rc $(cat "$W/bad.out" "$W/bad.err")"; fi
cd "$P" || exit 1

# --- events ---------------------------------------------------------------------------------
"$S" events >"$W/ev.out" 2>&1
grep -q 'INFO .*Created application demo' "$W/ev.out" && grep -q 'Finished processing application version v1 PROCESSED' "$W/ev.out" &&
	ok "events lists the application's events, oldest first" || not_ok "events" "$(cat "$W/ev.out")"
"$S" events --json -n 100 | jq -e 'type == "array" and length >= 5 and (.[0].id < .[-1].id)' >/dev/null &&
	ok "events --json is a JSON array" || not_ok "events --json"
timeout 30 "$S" events -f --version v1 >"$W/evf.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q 'Finished processing application version v1' "$W/evf.out" &&
	ok "events -f --version ends by itself once the version is processed" ||
	not_ok "events -f ends by itself" "rc=$rc $(cat "$W/evf.out")"
timeout 30 "$S" events -f --severity ERROR --timeout 2s >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && ok "events -f without an operation stops at --timeout (exit 0)" || not_ok "events -f --timeout" "rc=$rc"

# follow in the background, restart the engine under it, then upload: the follower
# reconnects with the last event id and sees the new version's events.
"$S" events -f --json >"$W/follow.out" 2>"$W/follow.err" &
fpid=$!
sleep 1
kill -TERM "$API_PID"; wait "$API_PID" 2>/dev/null
rm -f "$SVC_DIR/pids/sprout-$API_PORT.pid"
"$S" serve --data-dir "$API_DATA" --listen "127.0.0.1:$API_PORT" >>"$API_LOG" 2>&1 &
API_PID=$!
svc_record "sprout-$API_PORT" "$API_PID"
svc_wait_http "$API_URL/health" 20
"$S" appversion create -l after-restart >/dev/null 2>&1
i=0
while [ $i -lt 100 ] && ! grep -q 'Finished processing application version after-restart' "$W/follow.out"; do
	sleep 0.1; i=$((i + 1))
done
kill -INT "$fpid"; wait "$fpid"; frc=$?
if grep -q 'Finished processing application version after-restart' "$W/follow.out" && [ $frc = 0 ] &&
	jq -e -s 'length >= 2' "$W/follow.out" >/dev/null; then
	ok "events -f reconnects after an engine restart and stops on Ctrl-C (exit 0)"
else not_ok "events -f reconnects" "rc=$frc $(cat "$W/follow.out" "$W/follow.err")"; fi

"$S" appversion delete after-restart >"$W/del.out" 2>&1 && [ "$(ver_status demo after-restart)" = VERSION_NOT_FOUND ] &&
	ok "appversion delete removes a version" || not_ok "appversion delete" "$(cat "$W/del.out")"
"$S" appversion delete nope >"$W/del2.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'VERSION_NOT_FOUND' "$W/del2.out" && ok "deleting a missing version is exit 1 with the API's code" ||
	not_ok "delete missing" "rc=$rc"

# --- a terminal shows a progress bar and colours; a pipe shows neither --------------------------
head -c 3000000 /dev/urandom > big.bin
git add big.bin && git -c user.email=t@t -c user.name=t commit -qm big
script -qec "$S appversion create -l tty1" /dev/null >"$W/tty.out" 2>&1
if grep -q "$(printf '\r')" "$W/tty.out" && grep -q '100% \[=*\] .* done' "$W/tty.out" &&
	grep -q "$(printf '\033')\[32mINFO" "$W/tty.out"; then
	ok "under a pseudo-terminal: a progress bar (bytes, rate, done) and coloured severities"
else not_ok "pty progress and colour" "$(cat -v "$W/tty.out" | head -20)"; fi
NO_COLOR=1 script -qec "$S appversion create -l tty2" /dev/null >"$W/tty2.out" 2>&1
if grep -q '100% \[' "$W/tty2.out" && ! grep -q "$(printf '\033')\[3" "$W/tty2.out"; then
	ok "NO_COLOR keeps the progress bar and drops the colours"
else not_ok "NO_COLOR under a pty" "$(cat -v "$W/tty2.out" | head -20)"; fi
"$S" appversion create -l pipe1 2>&1 | cat >"$W/pipe.out"
if grep -q 'is PROCESSED' "$W/pipe.out" && ! grep -q "$(printf '\033')" "$W/pipe.out" &&
	! grep -q "$(printf '\r')" "$W/pipe.out" && ! grep -q 'ETA\|% \[' "$W/pipe.out"; then
	ok "piped: no progress bar and no colour"
else not_ok "piped output" "$(cat -v "$W/pipe.out" | head -20)"; fi

"$S" appversion create -l json1 --json >"$W/json.out" 2>"$W/json.err"
jq -e '.status == "PROCESSED" and .label == "json1"' "$W/json.out" >/dev/null &&
	ok "appversion create --json prints only the version as JSON" ||
	not_ok "create --json" "$(cat "$W/json.out" "$W/json.err")"
