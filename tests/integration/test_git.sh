#!/bin/sh
# test_git.sh — deploying with `git push` (issue 11, docs/git.md): a real git client
# pushes to the repository a real `sprout serve` hosts, with Docker, HAProxy (started by
# the engine's driver) and a Debian docker-registry on 127.0.0.1, stopped by pid on exit.
#
#   enable/map/status through the CLI and the API (errors located, token never written);
#   a branch no environment takes is stored and nothing is deployed; an invalid push is
#   refused with file:line:column diagnostics and the branch is not updated; a valid push
#   (environment from the pushed .elasticbeanstalk/config.yml) creates version
#   <branch>-<sha> (source git), deploys it and `git push` prints the progress; a push
#   (branch mapped with `sprout git map`) whose deployment fails says so, with the cause
#   and `sprout rollback`; deleting a branch changes nothing.
# One instance, fast health checks. TAP lines.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
. "$top/tests/lib/services.sh"

N=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() { N=$((N + 1)); echo "not ok $N - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }

svc_init
WORK=$(mktemp -d /tmp/sprout-git-test.XXXXXX)
export WORK
. "$top/tests/integration/environments/lib.sh"
trap 'env_cleanup; svc_stop_all; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

if [ ! -x build/sprout ]; then echo "not ok 1 - build/sprout is missing (make build-tests)"; exit 1; fi
if ! build/sprout help | grep -q '^  git '; then echo "not ok 1 - sprout has no git command"; exit 1; fi
if ! svc_docker; then nok "a Docker daemon answers"; exit 1; fi
REGPORT=$(svc_free_port)
if ! svc_registry "$REGPORT"; then nok "the registry starts"; exit 1; fi
IMAGE=127.0.0.1:$REGPORT/sprout-test/busybox:1
if svc_image_busybox sprout-test/busybox:1 && svc_push sprout-test/busybox:1 "$IMAGE" >/dev/null; then
	ok "the offline test image is built and pushed to the local registry"
else
	nok "the offline test image is built and pushed to the local registry"; exit 1
fi
env_serve_start || { nok "sprout serve starts" "$(tail -n 20 "$WORK/serve.log")"; exit 1; }
ok "sprout serve starts"
export SPROUT_ENDPOINT="http://127.0.0.1:$API_PORT" SPROUT_TOKEN="$TOKEN"
unset GIT_DIR GIT_WORK_TREE
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
APP=gitapp
ENV=gitapp-prod
api POST /applications "{\"name\":\"$APP\"}" >/dev/null

# --- enable, map, status ---------------------------------------------------------------
out=$("$SPROUT" git enable nosuchapp 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q 'APP_NOT_FOUND'; then ok "enable of an unknown application: APP_NOT_FOUND"
else nok "enable of an unknown application: APP_NOT_FOUND" "rc=$rc $out"; fi
out=$("$SPROUT" git enable $APP 2>&1); rc=$?
REPO=$DATA/git/$APP.git
REPO=$(cd "$REPO" 2>/dev/null && pwd)
if [ $rc = 0 ] && [ -n "$REPO" ] && [ -f "$REPO/HEAD" ] && [ -x "$REPO/hooks/pre-receive" ] &&
	[ -x "$REPO/hooks/post-receive" ] && echo "$out" | grep -q "git remote add sprout $REPO"; then
	ok "git enable creates <data-dir>/git/$APP.git with executable hooks and says how to push"
else nok "git enable creates the repository" "rc=$rc $out" "$(ls -la "$DATA/git/$APP.git/hooks" 2>&1)"; fi
if [ "$(stat -c %a "$REPO/sprout.json")" = 600 ] && ! grep -rq "$TOKEN" "$REPO/sprout.json" "$REPO/hooks" &&
	grep -q "\"endpoint\": \"$SPROUT_ENDPOINT\"" "$REPO/sprout.json" &&
	grep -q "^exec \"\$SPROUT\" git pre-receive" "$REPO/hooks/pre-receive"; then
	ok "sprout.json (0600) holds the endpoint and no token; the hook runs sprout git pre-receive"
else nok "sprout.json and hooks" "$(cat "$REPO/sprout.json")"; fi
req_status() { curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' ${3:+--data "$3"} "$API$2"; }
s1=$(req_status POST /applications/$APP/git); b1=$(jq -r .enabled "$WORK/body")
s2=$(req_status PUT "/applications/$APP/git/branches/bad..name" '{"environment":"gitapp-prod"}'); c2=$(jq -r .error.code "$WORK/body")
s3=$(req_status PUT "/applications/$APP/git/branches/hotfix" '{"environment":"x"}'); c3=$(jq -r .error.code "$WORK/body")
s4=$(req_status DELETE "/applications/$APP/git/branches/never"); c4=$(jq -r .error.code "$WORK/body")
s5=$(req_status GET "/applications/nope/git"); c5=$(jq -r .error.code "$WORK/body")
if [ "$s1 $b1 $s2 $c2 $s3 $c3 $s4 $c4 $s5 $c5" = "200 true 400 GIT_BRANCH_INVALID 400 API_INVALID_PARAMETER 404 GIT_BRANCH_NOT_MAPPED 404 APP_NOT_FOUND" ]; then
	ok "API: enabling again is 200; bad branch, bad environment name, unmapped branch, unknown app refused"
else nok "API errors" "$s1 $b1 $s2 $c2 $s3 $c3 $s4 $c4 $s5 $c5"; fi
out=$("$SPROUT" git map $APP feature/deep $ENV 2>&1) && out2=$("$SPROUT" git status $APP --json) &&
	"$SPROUT" git unmap $APP feature/deep >/dev/null 2>&1
if echo "$out" | grep -q 'there is no environment "gitapp-prod" yet' &&
	[ "$(echo "$out2" | jq -r '.branches[] | select(.branch=="feature/deep") | .environment')" = $ENV ] &&
	[ "$("$SPROUT" git status $APP --json | jq '.branches | length')" = 0 ]; then
	ok "git map (a branch with '/'), status --json and unmap; mapping to a missing environment warns"
else nok "git map / status / unmap" "$out" "$out2"; fi

# --- the work tree ------------------------------------------------------------------------
W=$WORK/app
cp -R "$top/examples/sample-app" "$W"
python3 - "$W/Dockerrun.aws.json" "$IMAGE" <<'EOP'
import json, sys
p, image = sys.argv[1], sys.argv[2]
d = json.load(open(p))
for c in d["containerDefinitions"]:
    c["image"] = image
json.dump(d, open(p, "w"), indent=2)
EOP
sed -i 's/MinSize: 3/MinSize: 1/; s/MaxSize: 4/MaxSize: 1/' "$W/.ebextensions/"*.config
echo v0 > "$W/www/version.txt"
cd "$W" || exit 1
git init -q -b main . && git add -A && git commit -qm "the sample app" &&
	git remote add sprout "$REPO" || { nok "a work tree"; exit 1; }
versions() { api GET /applications/$APP/versions | jq '.versions | length'; }

# --- an unmapped branch is stored, nothing deployed ---------------------------------------------
git push sprout main:setup >"$WORK/p0.out" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'remote: sprout: setup@[0-9a-f]\{7\} is stored; branch "setup" deploys to no environment' "$WORK/p0.out" &&
	[ "$(git --git-dir="$REPO" rev-parse setup)" = "$(git rev-parse HEAD)" ] && [ "$(versions)" = 0 ]; then
	ok "a push to a branch no environment takes is stored, and no version is created"
else nok "unmapped branch" "rc=$rc" "$(cat "$WORK/p0.out")"; fi

# --- the environment (1 instance) -----------------------------------------------------------
(cd "$W" && zip -qr "$WORK/v0.zip" . -x '.git/*')
curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/zip' \
	--data-binary "@$WORK/v0.zip" "$API/applications/$APP/versions?label=v0" >/dev/null
FAST='{"namespace":"aws:elb:healthcheck","option_name":"Interval","value":"5"},
 {"namespace":"aws:elb:healthcheck","option_name":"HealthyThreshold","value":"2"},
 {"namespace":"aws:elb:healthcheck","option_name":"UnhealthyThreshold","value":"2"},
 {"namespace":"aws:elb:healthcheck","option_name":"Timeout","value":"2"},
 {"namespace":"aws:elasticbeanstalk:command","option_name":"Timeout","value":"60"}'
if env_wait_processed v0 $APP; then
	out=$(api POST /environments "{\"application\":\"$APP\",\"name\":\"$ENV\",\"cname_prefix\":\"gitapp-$$\",\"version_label\":\"v0\",\"option_settings\":[$FAST]}")
fi
if env_wait_ready $ENV 120 && env_deployment_ok $ENV; then
	ok "environment $ENV (1 instance) is Ready with v0"
else nok "environment $ENV is Ready" "${out:-}" "$(env_events $ENV | tail -n 10)"; exit 1; fi
URL=$(env_describe $ENV | jq -r .url)

# --- an invalid push is refused ----------------------------------------------------------------
mkdir -p .elasticbeanstalk
printf 'branch-defaults:\n  main:\n    environment: %s\nglobal:\n  application_name: %s\n' $ENV $APP > .elasticbeanstalk/config.yml
sed -i 's/"links": \[/"links": ["db", /' Dockerrun.aws.json
git add -A && git commit -qm "link a db that does not exist"
before=$(git --git-dir="$REPO" rev-parse -q --verify main)
git push sprout main >"$WORK/p1.out" 2>&1; rc=$?
line=$(grep -n '"db"' Dockerrun.aws.json | head -n 1 | cut -d: -f1)
if [ $rc != 0 ] && grep -q "remote: Dockerrun.aws.json:$line:[0-9]*: error\[DOCKERRUN_LINK_UNKNOWN\]" "$WORK/p1.out" &&
	grep -q 'remote:   hint: containers are: web, api' "$WORK/p1.out" &&
	grep -q 'pre-receive hook declined' "$WORK/p1.out" &&
	[ "$(git --git-dir="$REPO" rev-parse -q --verify main)" = "$before" ] && [ "$(versions)" = 1 ]; then
	ok "an invalid push is refused with Dockerrun.aws.json:$line:COL diagnostics; main is not updated, no version"
else nok "an invalid push is refused" "rc=$rc" "$(cat "$WORK/p1.out")"; fi

# --- a valid push deploys, and git push shows the progress ---------------------------------------
sed -i 's/"links": \["db", /"links": [/' Dockerrun.aws.json
echo v1 > www/version.txt
git add -A && git commit -qm "version one"
SHA=$(git rev-parse --short=7 HEAD)
git push sprout main >"$WORK/p2.out" 2>&1; rc=$?
V=$(api GET "/applications/$APP/versions/main-$SHA")
if [ $rc = 0 ] && grep -q "remote: sprout: checking main@$SHA, which deploys to environment \"$ENV\" (branch-defaults" "$WORK/p2.out" &&
	grep -q "remote: .*Finished processing application version main-$SHA PROCESSED" "$WORK/p2.out" &&
	grep -q "remote: sprout: deploying \"main-$SHA\" to environment \"$ENV\"" "$WORK/p2.out" &&
	grep -q "remote: sprout: deployed \"main-$SHA\" to environment \"$ENV\"." "$WORK/p2.out" &&
	[ "$(grep -c "remote: 20[0-9-]* [0-9:]* *INFO *\[$ENV\]" "$WORK/p2.out")" -ge 2 ]; then
	ok "a valid push deploys main-$SHA and git push prints the deployment's events as remote: lines"
else nok "a valid push deploys" "rc=$rc" "$(cat "$WORK/p2.out")" "$(env_events $ENV | tail -n 10)"; fi
if [ "$(echo "$V" | jq -r '.source + " " + .description + " " + .status')" = "git version one PROCESSED" ] &&
	[ "$(env_describe $ENV | jq -r .version_label)" = "main-$SHA" ] &&
	[ "$(curl -s --max-time 3 "${URL}version.txt")" = v1 ]; then
	ok "version main-$SHA: source git, the commit subject as description; the environment serves it"
else nok "the version and the environment" "$V" "$(env_describe $ENV | jq -c '{status,health,version_label}')"; fi

# --- a push whose deployment fails says so ------------------------------------------------------
"$SPROUT" git map $APP hotfix $ENV >/dev/null 2>&1
git checkout -qb hotfix
python3 - Dockerrun.aws.json <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["containerDefinitions"]:
    if c["name"] == "web":
        c["command"] = ["sh", "-c", "echo web is failing on purpose; exit 1"]
json.dump(d, open(sys.argv[1], "w"), indent=2)
EOP
git commit -qam "a web that exits"
HSHA=$(git rev-parse --short=7 HEAD)
git push sprout hotfix >"$WORK/p3.out" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "remote: sprout: checking hotfix@$HSHA, which deploys to environment \"$ENV\" (sprout git map)" "$WORK/p3.out" &&
	grep -q "remote: sprout: DEPLOYMENT FAILED: \"hotfix-$HSHA\" to environment \"$ENV\" ended Failed." "$WORK/p3.out" &&
	grep -q "remote: sprout:   cause: ." "$WORK/p3.out" &&
	grep -q "remote: sprout:   roll back to the last good version with \`sprout rollback $ENV\`" "$WORK/p3.out" &&
	grep -q "remote: .*ERROR" "$WORK/p3.out" &&
	[ "$(git --git-dir="$REPO" rev-parse --short=7 hotfix)" = "$HSHA" ]; then
	ok "a push whose deployment fails says so plainly, with the cause and how to roll back"
else nok "a failing deployment is reported" "rc=$rc" "$(cat "$WORK/p3.out")"; fi

# --- deleting a branch changes nothing -----------------------------------------------------------
env_wait_ready $ENV 60 >/dev/null
nv=$(versions); ev=$(env_describe $ENV | jq -r .version_label)
git push sprout :hotfix >"$WORK/p4.out" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'remote: sprout: branch "hotfix" deleted; no environment is changed.' "$WORK/p4.out" &&
	! git --git-dir="$REPO" rev-parse -q --verify hotfix >/dev/null && [ "$(versions)" = "$nv" ] &&
	[ "$(env_describe $ENV | jq -r .version_label)" = "$ev" ] &&
	[ "$(api GET "/environments/$ENV/deployments?limit=1" | jq -r '.deployments[0].version_label')" = "hotfix-$HSHA" ]; then
	ok "deleting a branch deletes it and changes no version, environment or deployment"
else nok "deleting a branch changes nothing" "rc=$rc" "$(cat "$WORK/p4.out")"; fi

# --- two pushes to one environment at once are serialised ------------------------------------------
"$SPROUT" git map $APP blue $ENV >/dev/null 2>&1 && "$SPROUT" git map $APP green $ENV >/dev/null 2>&1
git checkout -q main
for b in blue green; do
	git checkout -qb $b main && echo $b > www/version.txt && git commit -qam "colour $b"
done
git push sprout blue >"$WORK/p5.out" 2>&1 &
pb=$!
git push sprout green >"$WORK/p6.out" 2>&1
wait $pb
if grep -q "remote: sprout: deployed \"blue-[0-9a-f]*\" to environment \"$ENV\"." "$WORK/p5.out" &&
	grep -q "remote: sprout: deployed \"green-[0-9a-f]*\" to environment \"$ENV\"." "$WORK/p6.out" &&
	cat "$WORK/p5.out" "$WORK/p6.out" | grep -q "waiting for it to end" &&
	[ "$(api GET "/environments/$ENV/deployments?limit=2" | jq -r '[.deployments[].status] | join(" ")')" = "Succeeded Succeeded" ]; then
	ok "two pushes to one environment at once: the second waits, both deploy"
else nok "concurrent pushes are serialised" "$(cat "$WORK/p5.out")" "$(cat "$WORK/p6.out")"; fi

cd "$top" || exit 1
# SPROUT_TEST_KEEP=DIR keeps what git push printed, to read
[ -n "${SPROUT_TEST_KEEP:-}" ] && cp "$WORK"/p*.out "$SPROUT_TEST_KEEP"/
exit 0
