#!/bin/sh
# tests/integration/test_api.sh — `sprout serve` on a free port with a temporary data dir,
# driven with curl: every endpoint, every error status, auth on every endpoint, version
# processing (PROCESSED and FAILED with located diagnostics), the upload limit without
# memory growth, duplicate labels, lifecycle, events and their SSE stream, token rotation,
# clean shutdown. TAP lines; no timing is asserted.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/services.sh"
svc_init
. "$top/tests/integration/api/lib.sh"
trap svc_stop_all EXIT
W=$SVC_DIR/work
mkdir -p "$W"

if [ ! -x "$SPROUT_BIN" ]; then echo "not ok - $SPROUT_BIN is not built"; exit 1; fi
api_start || { echo "not ok - sprout serve starts"; exit 1; }
ok "sprout serve starts on 127.0.0.1:$API_PORT with a fresh data dir"

# --- bundles used below --------------------------------------------------------------
mkdir -p "$W/good" "$W/bad" "$W/good2"
cat > "$W/good/Dockerrun.aws.json" <<'EOF'
{
  "AWSEBDockerrunVersion": 2,
  "containerDefinitions": [
    {
      "name": "web",
      "image": "nginx",
      "essential": true,
      "memory": 128,
      "portMappings": [{"hostPort": 80, "containerPort": 80}]
    }
  ]
}
EOF
cp "$W/good/Dockerrun.aws.json" "$W/good2/Dockerrun.aws.json"
echo "hello" > "$W/good2/index.html"
cat > "$W/bad/Dockerrun.aws.json" <<'EOF'
{
  "AWSEBDockerrunVersion": 2,
  "containerDefinitions": [
    {"name": "web", "image": "nginx", "memory": 128, "links": ["db"]}
  ]
}
EOF
make_bundle "$W/good" "$W/good.zip"
make_bundle "$W/good2" "$W/good2.zip"
make_bundle "$W/bad" "$W/bad.zip"

# --- data dir and token --------------------------------------------------------------
mode=$(stat -c %a "$API_DATA/admin.token")
[ "$mode" = 600 ] && ok "admin.token is created with mode 0600" || not_ok "admin.token mode is $mode"
[ "$("$SPROUT_BIN" token --data-dir "$API_DATA")" = "$API_TOKEN" ] &&
	ok "sprout token prints the admin token" || not_ok "sprout token prints the admin token"
[ "$(sqlite3 "$API_DATA/sprout.db" 'PRAGMA journal_mode')" = wal ] &&
	ok "the store runs in WAL mode" || not_ok "the store runs in WAL mode"

# --- health --------------------------------------------------------------------------
req_as "" GET /health
if [ "$STATUS" = 200 ] && [ "$(jq_body .status)" = ok ] && [ -n "$(header X-Request-Id)" ]; then
	ok "GET /health answers 200 without a token, with X-Request-Id"
else not_ok "GET /health"; fi
req_as "" GET /health -H 'X-Request-Id: my-req-1'
[ "$(header X-Request-Id)" = my-req-1 ] && ok "a valid client X-Request-Id is echoed" ||
	not_ok "client X-Request-Id echoed"
req_as "" GET /health -H 'X-Request-Id: bad id with spaces'
[ "$(header X-Request-Id)" != "bad id with spaces" ] && [ -n "$(header X-Request-Id)" ] &&
	ok "an invalid client X-Request-Id is replaced" || not_ok "invalid X-Request-Id replaced"

# --- auth on every endpoint ------------------------------------------------------------
# Every route of the table in engine/api/routes.c that is not ROUTE_NO_AUTH (so routes
# added later are covered too), plus a path that exists nowhere.
routes=$(sed -n 's/^[[:space:]]*{ "\([A-Z]*\)", "\(\/api\/v1[^"]*\)", [a-z_]*, \(.*\) },.*/\1 \2 \3/p' \
	"$top/engine/api/routes.c" | grep -v ROUTE_NO_AUTH | cut -d' ' -f1,2 | sed 's/{\*}/k\/x/g; s/{}/x/g')
nroutes=$(echo "$routes" | grep -c .)
[ "$nroutes" -ge 13 ] && ok "the route table lists $nroutes authenticated routes" || not_ok "route table parsed" "$routes"
printf '%s\nGET /nowhere\n' "$routes" > "$W/routes"
while read -r m p; do
	[ -n "$m" ] || continue
	req_as "" "$m" "$p" --max-time 5; s1=$STATUS c1=$(jq_body .error.code)
	req_as "0000$API_TOKEN" "$m" "$p" --max-time 5; s2=$STATUS
	req_as "${API_TOKEN%?}x" "$m" "$p" --max-time 5; s3=$STATUS
	req_as "" "$m" "$p" --max-time 5 -H "Authorization: Basic $API_TOKEN"; s4=$STATUS
	if [ "$s1$s2$s3$s4" = 401401401401 ] && [ "$c1" = API_UNAUTHORIZED ]; then
		ok "auth refused without, with a wrong or a non-Bearer token: $m $p"
	else not_ok "auth refused on $m $p" "statuses $s1 $s2 $s3 $s4 code $c1"; fi
done < "$W/routes"
req GET /applications
[ "$STATUS" = 200 ] && [ "$(header WWW-Authenticate)" = "" ] && ok "the right token is accepted" ||
	not_ok "right token accepted"

# --- routing errors ------------------------------------------------------------------
req GET /nowhere
[ "$STATUS" = 404 ] && [ "$(jq_body .error.code)" = API_NOT_FOUND ] &&
	ok "an unknown path is 404 API_NOT_FOUND" || not_ok "unknown path 404"
req PUT /applications
if [ "$STATUS" = 405 ] && [ "$(jq_body .error.code)" = API_METHOD_NOT_ALLOWED ] &&
	header Allow | grep -q POST; then
	ok "a wrong method is 405 with Allow"
else not_ok "wrong method 405"; fi
req GET '/applications?limit=0'
[ "$STATUS" = 400 ] && ok "limit=0 is 400" || not_ok "limit=0 is 400"
req GET '/applications?limit=1001'
[ "$STATUS" = 400 ] && ok "limit=1001 is 400" || not_ok "limit=1001 is 400"
req GET '/applications?next_token=abc'
[ "$STATUS" = 400 ] && ok "a bad next_token is 400" || not_ok "bad next_token is 400"

# --- applications ----------------------------------------------------------------------
req POST /applications -d '{"name":"shop","description":"the shop"}'
[ "$STATUS" = 201 ] && [ "$(jq_body .name)" = shop ] && [ "$(jq_body .lifecycle.max_count_rule.max_count)" = 200 ] &&
	ok "POST /applications creates (201, EB's default lifecycle)" || not_ok "create application"
CREATE_REQ=$(header X-Request-Id)
req POST /applications -d '{"name":"shop"}'
[ "$STATUS" = 409 ] && [ "$(jq_body .error.code)" = APP_EXISTS ] &&
	ok "a duplicate application name is 409 APP_EXISTS" || not_ok "duplicate app 409"
long=$(printf 'a%.0s' $(seq 1 101))
req POST /applications -d "{\"name\":\"$long\"}"
[ "$STATUS" = 400 ] && [ "$(jq_body '.error.details[0].path')" = /name ] &&
	ok "a 101-character name is 400 with a located detail" || not_ok "long name 400"
req POST /applications -d "{\"name\":\"$(printf 'a%.0s' $(seq 1 100))\"}"
[ "$STATUS" = 201 ] && ok "a 100-character name is accepted" || not_ok "100-char name accepted"
for bad in '"a/b"' '""' '".."' '" lead"' '"tab\there"' '42'; do
	req POST /applications -d "{\"name\":$bad}"
	[ "$STATUS" = 400 ] && [ "$(jq_body .error.code)" = API_INVALID_PARAMETER ] &&
		ok "application name $bad is refused (400)" || not_ok "name $bad refused"
done
req POST /applications -d '{"description":"x"}'
[ "$STATUS" = 400 ] && [ "$(jq_body '.error.details[0].code')" = API_MISSING_PARAMETER ] &&
	ok "a missing name is 400 API_MISSING_PARAMETER" || not_ok "missing name 400"
req POST /applications -d '{"name":"x",'
[ "$STATUS" = 400 ] && [ "$(jq_body .error.code)" = API_INVALID_JSON ] && [ "$(jq_body '.error.details[0].column')" -gt 0 ] &&
	ok "invalid JSON is 400 API_INVALID_JSON with a column" || not_ok "invalid JSON 400"
req POST /applications -d '[1]'
[ "$STATUS" = 400 ] && ok "a non-object body is 400" || not_ok "non-object body 400"
req POST /applications -d '{"name":"x","descripton":"typo"}'
[ "$STATUS" = 400 ] && jq_body '.error.details[0].hint' | grep -q description &&
	ok "an unknown field is 400 with a did-you-mean hint" || not_ok "unknown field 400"
req POST /applications -d "{\"name\":\"x\",\"description\":\"$(printf 'd%.0s' $(seq 1 201))\"}"
[ "$STATUS" = 400 ] && ok "a 201-character description is 400" || not_ok "long description 400"
head -c 1100000 /dev/zero | tr '\0' ' ' > "$W/big.json"
req POST /applications --data-binary @"$W/big.json"
[ "$STATUS" = 413 ] && [ "$(jq_body .error.code)" = API_PAYLOAD_TOO_LARGE ] &&
	ok "a JSON body over 1 MiB is 413" || not_ok "JSON body 413"
req POST /applications -d '{"name":"lc","lifecycle":{"max_count_rule":{"enabled":true,"max_count":0}}}'
[ "$STATUS" = 400 ] && [ "$(jq_body '.error.details[0].path')" = /lifecycle/max_count_rule/max_count ] &&
	ok "a bad lifecycle value is 400 located at its path" || not_ok "bad lifecycle 400"
for n in b1 b2 b3; do req POST /applications -d "{\"name\":\"$n\"}"; done
req GET '/applications?limit=2'
t=$(jq_body .next_token)
if [ "$STATUS" = 200 ] && [ "$(jq_body '.applications | length')" = 2 ] && [ "$t" != null ]; then
	req GET "/applications?limit=2&next_token=$t"
	[ "$(jq_body '[.applications[].name] | join(",")')" = b1,b2 ] &&
		ok "GET /applications paginates with limit and next_token" || not_ok "apps page 2"
else not_ok "GET /applications paginates"; fi
req GET /applications/shop
[ "$STATUS" = 200 ] && [ "$(jq_body .description)" = "the shop" ] && [ "$(jq_body .environments)" = 0 ] &&
	ok "GET /applications/{app} describes" || not_ok "describe app"
req GET /applications/nope
[ "$STATUS" = 404 ] && [ "$(jq_body .error.code)" = APP_NOT_FOUND ] &&
	ok "an unknown application is 404 APP_NOT_FOUND" || not_ok "unknown app 404"
req PATCH /applications/shop -d '{"description":"new","lifecycle":{"max_age_rule":{"enabled":true}}}'
[ "$STATUS" = 200 ] && [ "$(jq_body .description)" = new ] && [ "$(jq_body .lifecycle.max_age_rule.enabled)" = true ] &&
	[ "$(jq_body .lifecycle.max_age_rule.max_age_in_days)" = 180 ] &&
	ok "PATCH /applications/{app} updates description and lifecycle" || not_ok "patch app"
req PATCH /applications/shop -d '{"lifecycle":{"max_age_rule":{"enabled":false}}}'
req PATCH /applications/nope -d '{"description":"x"}'
[ "$STATUS" = 404 ] && ok "PATCH of an unknown application is 404" || not_ok "patch unknown 404"
req PATCH /applications/shop -d '{"lifecycle":{"max_age_rule":{"enabled":"yes"}}}'
[ "$STATUS" = 400 ] && ok "PATCH with a bad value is 400" || not_ok "patch bad 400"

# --- versions ----------------------------------------------------------------------------
upload shop v1 "$W/good.zip" '&description=first'
V1_REQ=$(header X-Request-Id)
[ "$STATUS" = 202 ] && [ "$(jq_body .status)" = PROCESSING ] && [ "$(jq_body .bundle.sha256)" = "$(sha256sum "$W/good.zip" | cut -d' ' -f1)" ] &&
	ok "POST versions accepts a bundle (202 PROCESSING, SHA-256 of the body)" || not_ok "upload v1"
s=$(wait_status shop v1)
[ "$s" = PROCESSED ] && ok "a valid bundle reaches PROCESSED" || not_ok "v1 PROCESSED" "status $s"
upload shop bad1 "$W/bad.zip"
s=$(wait_status shop bad1)
req GET /applications/shop/versions/bad1
if [ "$s" = FAILED ] && [ "$(jq_body '.diagnostics[0].code')" = DOCKERRUN_LINK_UNKNOWN ] &&
	[ "$(jq_body '.diagnostics[0].line')" = 4 ] && [ "$(jq_body '.diagnostics[0].column')" -gt 0 ] &&
	[ "$(jq_body '.diagnostics[0].path')" = /containerDefinitions/0/links/0 ] &&
	[ "$(jq_body '.diagnostics[0].file')" = bad1.zip/Dockerrun.aws.json ] && [ "$(jq_body .errors)" = 1 ]; then
	ok "an invalid bundle reaches FAILED with located diagnostics (file, line, column, path)"
else not_ok "bad1 FAILED with diagnostics" "status $s"; fi
printf 'this is not a zip' > "$W/notzip.zip"
upload shop junk "$W/notzip.zip"
s=$(wait_status shop junk)
req GET /applications/shop/versions/junk
[ "$s" = FAILED ] && [ "$(jq_body '.diagnostics | length')" -ge 1 ] &&
	ok "a body that is not an archive reaches FAILED with a diagnostic" || not_ok "junk FAILED" "status $s"
# Image checks run in processing: a registry on loopback that lacks the image.
if command -v docker-registry >/dev/null 2>&1; then
	RP=$(svc_free_port)
	if svc_registry "$RP" >/dev/null 2>&1; then
		mkdir -p "$W/img"
		printf '{"AWSEBDockerrunVersion":2,"containerDefinitions":[{"name":"web","image":"127.0.0.1:%s/nope/app:1","memory":64,"portMappings":[{"hostPort":80,"containerPort":80}]}]}' "$RP" > "$W/img/Dockerrun.aws.json"
		make_bundle "$W/img" "$W/img.zip"
		upload shop img1 "$W/img.zip"
		s=$(wait_status shop img1)
		req GET /applications/shop/versions/img1
		[ "$s" = FAILED ] && jq_body '[.diagnostics[].code] | join(",")' | grep -q IMAGE_REPO_NOT_FOUND &&
			[ "$(jq_body '.diagnostics[0].path')" = /containerDefinitions/0/image ] &&
			ok "processing checks images: one missing from its registry makes the version FAILED" ||
			not_ok "image checks in processing" "status $s"
		req DELETE /applications/shop/versions/img1
	else not_ok "image checks in processing" "docker-registry did not start"; fi
	# A registry that cannot be reached (port 1): a warning, unless the version's
	# .ebextensions set sprout:images StrictImageChecks.
	mkdir -p "$W/unreach" "$W/strict/.ebextensions"
	printf '{"AWSEBDockerrunVersion":2,"containerDefinitions":[{"name":"web","image":"127.0.0.1:1/app:1","memory":64,"portMappings":[{"hostPort":80,"containerPort":80}]}]}' > "$W/unreach/Dockerrun.aws.json"
	cp "$W/unreach/Dockerrun.aws.json" "$W/strict/"
	printf 'option_settings:\n  sprout:images:\n    StrictImageChecks: true\n' > "$W/strict/.ebextensions/images.config"
	make_bundle "$W/unreach" "$W/unreach.zip"
	make_bundle "$W/strict" "$W/strict.zip"
	upload shop unreach1 "$W/unreach.zip"
	s1=$(wait_status shop unreach1)
	req GET /applications/shop/versions/unreach1
	sev1=$(jq_body '[.diagnostics[] | select(.code == "IMAGE_REGISTRY_UNREACHABLE") | .severity] | join(",")')
	upload shop strict1 "$W/strict.zip"
	s2=$(wait_status shop strict1)
	req GET /applications/shop/versions/strict1
	sev2=$(jq_body '[.diagnostics[] | select(.code == "IMAGE_REGISTRY_UNREACHABLE") | .severity] | join(",")')
	if [ "$s1" = PROCESSED ] && [ "$sev1" = warning ] && [ "$s2" = FAILED ] && [ "$sev2" = error ]; then
		ok "an unreachable registry is a warning; with StrictImageChecks in the version's .ebextensions an error (FAILED)"
	else
		not_ok "StrictImageChecks in processing" "plain: $s1 $sev1" "strict: $s2 $sev2"
	fi
	req DELETE /applications/shop/versions/unreach1
	req DELETE /applications/shop/versions/strict1
else echo "ok - image checks in processing # SKIP docker-registry missing"; fi
upload shop v1 "$W/good2.zip"
[ "$STATUS" = 409 ] && [ "$(jq_body .error.code)" = VERSION_LABEL_EXISTS ] &&
	ok "a duplicate label is refused (409 VERSION_LABEL_EXISTS)" || not_ok "duplicate label 409"
req POST /applications -d '{"name":"other"}'
upload other v1 "$W/good.zip"
[ "$STATUS" = 202 ] && ok "the same label in another application is accepted" || not_ok "label per app"
[ "$(ls "$API_DATA/bundles" | grep -c "$(sha256sum "$W/good.zip" | cut -d' ' -f1)")" = 1 ] &&
	[ "$(sqlite3 "$API_DATA/sprout.db" 'SELECT count(*) FROM bundles')" = 3 ] &&
	ok "the same bundle is stored once (bundles/<sha256>.zip)" || not_ok "bundle stored once"
upload shop "" "$W/good.zip"
[ "$STATUS" = 400 ] && ok "an empty label is 400" || not_ok "empty label 400"
req POST /applications/shop/versions -H 'Content-Type: application/zip' --data-binary @"$W/good.zip"
[ "$STATUS" = 400 ] && [ "$(jq_body .error.code)" = API_MISSING_PARAMETER ] && ok "a missing label is 400" || not_ok "missing label 400"
upload shop "$(printf 'l%.0s' $(seq 1 101))" "$W/good.zip"
[ "$STATUS" = 400 ] && ok "a 101-character label is 400" || not_ok "long label 400"
upload shop "$(printf 'l%.0s' $(seq 1 100))" "$W/good.zip"
[ "$STATUS" = 202 ] && ok "a 100-character label is accepted" || not_ok "100-char label accepted"
upload shop d1 "$W/good.zip" "&description=$(printf 'd%.0s' $(seq 1 201))"
[ "$STATUS" = 400 ] && ok "a 201-character description is 400" || not_ok "long version description 400"
upload nope v1 "$W/good.zip"
[ "$STATUS" = 404 ] && [ "$(jq_body .error.code)" = APP_NOT_FOUND ] && ok "an upload to an unknown application is 404" || not_ok "upload unknown app 404"
req POST '/applications/shop/versions?label=empty' -H 'Content-Type: application/zip' --data-binary ''
[ "$STATUS" = 400 ] && [ "$(jq_body .error.code)" = API_EMPTY_BODY ] && ok "an empty body is 400" || not_ok "empty body 400"
req POST '/applications/shop/versions?label=form' -F "file=@$W/good.zip"
[ "$STATUS" = 415 ] && ok "a multipart form upload is 415" || not_ok "multipart 415"

# The 512 MiB limit: a declared 600 MiB body is answered 413 before it is read; a
# chunked one (no length) is cut off at the limit. Neither grows the engine's memory.
hwm0=$(vm_hwm_kb "$API_PID")
truncate -s 600M "$W/big.bin"
STATUS=$(curl -s -o "$SVC_DIR/body" -w '%{http_code}' -X POST -T "$W/big.bin" \
	-H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/zip' \
	"$API_URL/applications/shop/versions?label=big")
[ "$STATUS" = 413 ] && [ "$(jq_body .error.code)" = BUNDLE_COMPRESSED_TOO_LARGE ] &&
	ok "a 600 MiB upload with Content-Length is 413 BUNDLE_COMPRESSED_TOO_LARGE" || not_ok "600 MiB 413"
up=$(head -c 629145600 /dev/zero | curl -s -o /dev/null -w '%{size_upload}' -X POST -T - \
	-H "Authorization: Bearer $API_TOKEN" -H 'Transfer-Encoding: chunked' \
	-H 'Content-Type: application/zip' "$API_URL/applications/shop/versions?label=big2")
[ "${up%.*}" -lt 629145600 ] && ok "a chunked 600 MiB upload is cut off at the limit" ||
	not_ok "chunked upload cut" "uploaded $up"
hwm1=$(vm_hwm_kb "$API_PID")
[ $((hwm1 - hwm0)) -lt 16384 ] && ok "memory high-water mark grew by $((hwm1 - hwm0)) KiB (< 16 MiB) over both" ||
	not_ok "VmHWM grew" "$hwm0 -> $hwm1 KiB"
rm -f "$W/big.bin"
[ -z "$(ls -A "$API_DATA/tmp")" ] && ok "no spool file is left after refused uploads" || not_ok "spool cleaned"
req GET /applications/shop/versions/big2
[ "$STATUS" = 404 ] && [ "$(jq_body .error.code)" = VERSION_NOT_FOUND ] &&
	ok "an unknown version is 404 VERSION_NOT_FOUND" || not_ok "version 404"

req GET /applications/shop/versions
labels=$(jq_body '[.versions[].label] | join(",")')
[ "$STATUS" = 200 ] && [ "$labels" = "$(printf 'l%.0s' $(seq 1 100)),junk,bad1,v1" ] &&
	[ "$(jq_body '.versions[3].status')" = PROCESSED ] &&
	ok "GET versions lists newest first with status" || not_ok "list versions" "$labels"
req GET '/applications/shop/versions?limit=2'
t=$(jq_body .next_token); req GET "/applications/shop/versions?limit=2&next_token=$t"
[ "$(jq_body '[.versions[].label] | join(",")')" = "bad1,v1" ] && ok "versions paginate" || not_ok "versions paginate"
req GET /applications/nope/versions
[ "$STATUS" = 404 ] && ok "versions of an unknown application is 404" || not_ok "versions unknown app"
req GET /applications/shop/versions/v1/bundle
[ "$STATUS" = 200 ] && cmp -s "$BODY" "$W/good.zip" && ok "GET .../bundle returns the stored bundle" || not_ok "download bundle"
req GET /applications/shop/versions/nope/bundle
[ "$STATUS" = 404 ] && ok "bundle of an unknown version is 404" || not_ok "bundle 404"

# Deployed versions and environments: environments get their endpoints in the next
# issue; a row in their table is enough to make the refusals real.
sqlite3 "$API_DATA/sprout.db" "INSERT INTO environments (app_id, name, version_id, status, created_ms, updated_ms)
  SELECT a.id, 'shop-prod', v.id, 'Ready', 0, 0 FROM applications a JOIN versions v ON v.app_id = a.id
  WHERE a.name = 'shop' AND v.label = 'v1'"
req GET /applications/shop/versions/v1
[ "$(jq_body .deployed)" = true ] && ok "a version used by an environment shows deployed" || not_ok "deployed flag"
req DELETE /applications/shop/versions/v1
[ "$STATUS" = 409 ] && [ "$(jq_body .error.code)" = VERSION_DEPLOYED ] &&
	ok "deleting a deployed version is 409 VERSION_DEPLOYED" || not_ok "delete deployed 409"
req DELETE /applications/shop
[ "$STATUS" = 409 ] && [ "$(jq_body .error.code)" = APP_HAS_ENVIRONMENTS ] &&
	ok "deleting an application with environments is 409 APP_HAS_ENVIRONMENTS" || not_ok "delete app with env 409"
sqlite3 "$API_DATA/sprout.db" "DELETE FROM environments"

# Terminated environments (store migration 5): a snapshot is described as Terminated for
# an hour, listed only with include_deleted, and takes no operation. Rows written here as
# a terminate writes them; the terminate itself is in test_environments.sh.
now_ms=$(($(date +%s) * 1000))
sqlite3 "$API_DATA/sprout.db" "INSERT INTO terminated_environments (env_id, application, name,
  cname_prefix, description, version, driver, family, revision, created_ms, terminated_ms) VALUES
  ('e-firstfirst', 'shop', 'shop-gone', 'shop-www', 'first', 'v1', 'local', 'awseb-shop-gone-e-firstfirst', 2, $((now_ms - 600000)), $((now_ms - 300000))),
  ('e-secondsec', 'shop', 'shop-gone', 'shop-www', 'second', 'v1', 'local', 'awseb-shop-gone-e-secondsec', 4, $((now_ms - 200000)), $((now_ms - 100000))),
  ('e-oldoldold', 'shop', 'shop-old', NULL, '', 'v1', 'local', NULL, 0, 1, $((now_ms - 7200000)))"
req GET /environments/shop-gone
if [ "$STATUS" = 200 ] && jq -e '.status == "Terminated" and .health == "Grey" and .instances == [] and
	.url == null and .environment_id == "e-secondsec" and .environment_name == "shop-gone" and
	.application == "shop" and .cname == "shop-www.sprout.local" and .version_label == "v1" and
	.description == "second" and .task_definition == "awseb-shop-gone-e-secondsec:4" and
	.causes == [] and .listeners == [] and .load_balancer == null and .plan == null and
	.last_good_version == null and .abortable == false and .created != null and .updated != null' "$BODY" >/dev/null; then
	ok "GET a terminated environment: 200, the newest snapshot, Terminated, Grey, no instances, url null"
else not_ok "GET a terminated environment"; fi
req GET /environments/shop-old
[ "$STATUS" = 404 ] && [ "$(jq_body .error.code)" = ENV_NOT_FOUND ] &&
	ok "one terminated over an hour ago is 404 ENV_NOT_FOUND" || not_ok "old snapshot 404"
req GET /environments
[ "$STATUS" = 200 ] && [ "$(jq_body '.environments | length')" = 0 ] &&
	ok "GET /environments leaves terminated environments out" || not_ok "list without deleted"
req GET '/environments?include_deleted=true'
[ "$STATUS" = 200 ] && [ "$(jq_body '[.environments[] | .environment_id + ":" + .status] | join(" ")')" = \
	"e-secondsec:Terminated e-firstfirst:Terminated" ] &&
	ok "?include_deleted=true adds those of the last hour, newest first" || not_ok "list with deleted"
req GET '/environments?include_deleted=true&application=other'
[ "$STATUS" = 200 ] && [ "$(jq_body '.environments | length')" = 0 ] &&
	ok "?include_deleted=true keeps the application filter" || not_ok "list with deleted, other app"
codes=""
for r in "PATCH /environments/shop-gone -d {\"instances\":2}" "POST /environments/shop-gone/restart" \
	"POST /environments/shop-gone/abort" "DELETE /environments/shop-gone" \
	"GET /environments/shop-gone/deployments" "GET /environments/shop-gone/logs"; do
	set -- $r
	req "$@"
	codes="$codes $STATUS:$(jq_body .error.code)"
done
n404=$(printf '%s\n' $codes | grep -c '^404:ENV_NOT_FOUND$')
[ "$n404" = 6 ] && ok "update, restart, abort, terminate, deployments, logs of a terminated environment: 404 ENV_NOT_FOUND" ||
	not_ok "operations on a terminated environment" "$codes"
sqlite3 "$API_DATA/sprout.db" "DELETE FROM terminated_environments"
req DELETE /applications/shop/versions/bad1
[ "$STATUS" = 200 ] && ok "DELETE a version (200)" || not_ok "delete version"
[ ! -e "$API_DATA/bundles/$(sha256sum "$W/bad.zip" | cut -d' ' -f1).zip" ] &&
	ok "its bundle, used by no other version, is removed" || not_ok "orphan bundle removed"
req DELETE /applications/shop/versions/bad1
[ "$STATUS" = 404 ] && ok "deleting it again is 404" || not_ok "delete version twice 404"

# Lifecycle: MaxCount 2 keeps the two newest besides the new one.
req POST /applications -d '{"name":"life","lifecycle":{"max_count_rule":{"enabled":true,"max_count":2}}}'
for i in 1 2 3 4; do
	printf '{"AWSEBDockerrunVersion":2,"containerDefinitions":[{"name":"w%s","image":"nginx","memory":64,"portMappings":[{"hostPort":80,"containerPort":80}]}]}' "$i" > "$W/good/Dockerrun.aws.json"
	make_bundle "$W/good" "$W/l$i.zip"
	upload life "l$i" "$W/l$i.zip"
	wait_status life "l$i" >/dev/null
done
req GET /applications/life/versions
[ "$(jq_body '[.versions[].label] | join(",")')" = "l4,l3,l2" ] &&
	ok "lifecycle MaxCount=2 deletes the oldest undeployed version" || not_ok "lifecycle max count" "$(jq_body '[.versions[].label] | join(",")')"
req GET '/events?application=life&version=l1'
jq_body '.events[0].message' | grep -q 'lifecycle' && ok "the lifecycle deletion is an event" || not_ok "lifecycle event"

# --- events ----------------------------------------------------------------------------
req GET '/events?application=shop'
[ "$STATUS" = 200 ] && [ "$(jq_body '.events | length')" -ge 5 ] && [ "$(jq_body '[.events[].application] | unique | join(",")')" = shop ] &&
	ok "GET /events filters by application" || not_ok "events by app"
req GET "/events?request_id=$CREATE_REQ"
[ "$(jq_body '.events[0].message')" = "Created application shop." ] &&
	ok "events keep the request id that caused them" || not_ok "events by request id"
req GET "/events?request_id=$V1_REQ"
jq_body '[.events[].message] | join("|")' | grep -q 'Finished processing application version v1 PROCESSED.' &&
	ok "the processing event of a version carries its upload's request id" || not_ok "processing event request id"
req GET '/events?severity=ERROR'
[ "$(jq_body '[.events[].severity] | unique | join(",")')" = ERROR ] &&
	jq_body '.events[].message' | grep -q 'bad1 FAILED' && ok "severity=ERROR gives ERROR and up (the FAILED version)" || not_ok "severity filter"
req GET '/events?environment=none'
[ "$(jq_body '.events | length')" = 0 ] && ok "environment filter" || not_ok "environment filter"
req GET '/events?start_time=2999-01-01T00:00:00Z'
[ "$(jq_body '.events | length')" = 0 ] && ok "start_time in the future gives nothing" || not_ok "start_time filter"
req GET '/events?end_time=2000-01-01T00:00:00Z'
[ "$(jq_body '.events | length')" = 0 ] && ok "end_time in the past gives nothing" || not_ok "end_time filter"
req GET '/events?start_time=2000-01-01T00:00:00.000Z&limit=3'
t=$(jq_body .next_token); first=$(jq_body '.events[2].id')
req GET "/events?limit=3&next_token=$t"
[ "$(jq_body '.events[0].id')" -lt "$first" ] && ok "events paginate newest first" || not_ok "events paginate"
req GET '/events?severity=LOUD'
[ "$STATUS" = 400 ] && ok "a bad severity is 400" || not_ok "bad severity 400"
req GET '/events?start_time=yesterday'
[ "$STATUS" = 400 ] && ok "a bad start_time is 400" || not_ok "bad time 400"

# --- SSE -------------------------------------------------------------------------------
curl -sN -H "Authorization: Bearer $API_TOKEN" "$API_URL/events/stream?application=sse-app" > "$W/sse.out" 2>/dev/null &
SSE_PID=$!
i=0; while [ $i -lt 50 ] && ! grep -q 'sprout event stream' "$W/sse.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
req POST /applications -d '{"name":"sse-app"}'
req POST /applications -d '{"name":"not-this-one"}'
i=0; while [ $i -lt 100 ] && ! grep -q 'Created application sse-app' "$W/sse.out"; do sleep 0.1; i=$((i + 1)); done
if grep -q '^data: .*Created application sse-app' "$W/sse.out" && grep -q '^id: ' "$W/sse.out" &&
	! grep -q not-this-one "$W/sse.out"; then
	ok "an SSE client receives new events (filtered by application)"
else not_ok "SSE receives events" "$(cat "$W/sse.out")"; fi
upload sse-app s1 "$W/good2.zip"
i=0; while [ $i -lt 100 ] && ! grep -q 'Finished processing application version s1' "$W/sse.out"; do sleep 0.1; i=$((i + 1)); done
grep -q 'Finished processing application version s1 PROCESSED' "$W/sse.out" &&
	ok "the SSE client receives the worker's processing event" || not_ok "SSE processing event"
last=$(grep '^id: ' "$W/sse.out" | head -n 1 | cut -d' ' -f2)
curl -sN --max-time 2 -H "Authorization: Bearer $API_TOKEN" -H "Last-Event-ID: $((last - 1))" \
	"$API_URL/events/stream?application=sse-app" > "$W/sse2.out" 2>/dev/null
grep -q "^id: $last\$" "$W/sse2.out" && ok "Last-Event-ID replays events after it" || not_ok "Last-Event-ID"
req GET '/events/stream?severity=nope'
[ "$STATUS" = 400 ] && ok "a bad stream filter is 400" || not_ok "stream filter 400"

# --- buckets -----------------------------------------------------------------------------
printf '{"auths":{}}' > "$W/cfg.json"
req PUT /buckets/my-creds/team/dockercfg --data-binary @"$W/cfg.json"
[ "$STATUS" = 200 ] && ok "PUT /buckets/{b}/{key} stores an object" || not_ok "bucket put"
req GET /buckets/my-creds/team/dockercfg
[ "$STATUS" = 200 ] && cmp -s "$BODY" "$W/cfg.json" && ok "GET /buckets/{b}/{key} returns it" || not_ok "bucket get"
req GET /buckets
[ "$(jq_body '.buckets | join(",")')" = my-creds ] && ok "GET /buckets lists buckets" || not_ok "bucket list"
req GET /buckets/my-creds
[ "$(jq_body '.keys | join(",")')" = team/dockercfg ] && ok "GET /buckets/{b} lists keys" || not_ok "bucket keys"
req PUT /buckets/Bad_Name/k --data-binary x
[ "$STATUS" = 400 ] && ok "an invalid bucket name is 400" || not_ok "bucket name 400"
req GET /buckets/my-creds/missing
[ "$STATUS" = 404 ] && ok "a missing object is 404" || not_ok "bucket 404"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero > "$W/obj.bin"
req PUT /buckets/my-creds/big --data-binary @"$W/obj.bin"
[ "$STATUS" = 413 ] && ok "an object over 16 MiB is 413" || not_ok "bucket 413"
req DELETE /buckets/my-creds/team/dockercfg
[ "$STATUS" = 200 ] && ok "DELETE /buckets/{b}/{key} removes it" || not_ok "bucket delete"
req DELETE /buckets/my-creds/team/dockercfg
[ "$STATUS" = 404 ] && ok "deleting it again is 404" || not_ok "bucket delete twice"

# --- delete an application ----------------------------------------------------------------
req DELETE /applications/other
[ "$STATUS" = 200 ] && ok "DELETE /applications/{app} (200)" || not_ok "delete app"
req DELETE /applications/other
[ "$STATUS" = 404 ] && ok "deleting it again is 404" || not_ok "delete app twice"

# --- token rotation, restart, shutdown -------------------------------------------------------
old=$API_TOKEN
new=$("$SPROUT_BIN" token --rotate --data-dir "$API_DATA")
req_as "$old" GET /applications; s_old=$STATUS
req_as "$new" GET /applications; s_new=$STATUS
[ "$s_old$s_new" = 401200 ] && [ "$new" != "$old" ] &&
	ok "sprout token --rotate: the running engine accepts only the new token" || not_ok "rotate" "$s_old $s_new"
API_TOKEN=$new
if "$SPROUT_BIN" serve --data-dir "$API_DATA" --listen "127.0.0.1:$(svc_free_port)" 2>"$W/second.err"; then
	not_ok "a second engine on the same data dir is refused"
else grep -q 'another sprout serve' "$W/second.err" && ok "a second engine on the same data dir is refused" ||
	not_ok "second engine refused" "$(cat "$W/second.err")"; fi
if "$SPROUT_BIN" serve --data-dir "$W/other-data" --listen "127.0.0.1:$API_PORT" 2>"$W/port.err"; then
	not_ok "a port in use is refused"
else ok "a port in use is refused (exit $?)"; fi
"$SPROUT_BIN" serve --listen 127.0.0.1 2>/dev/null; [ $? = 2 ] && ok "a bad --listen is a usage error (exit 2)" || not_ok "bad --listen"
before=$(sqlite3 "$API_DATA/sprout.db" 'SELECT count(*) FROM versions')
api_stop
kill "$SSE_PID" 2>/dev/null; wait "$SSE_PID" 2>/dev/null
[ "$API_RC" = 0 ] && grep -q 'stopping' "$API_LOG" && ok "SIGTERM stops the engine cleanly (exit 0) with an SSE client attached" ||
	not_ok "clean shutdown" "rc $API_RC"
[ "$(sqlite3 "$API_DATA/sprout.db" 'PRAGMA integrity_check')" = ok ] && ok "the store passes integrity_check after shutdown" || not_ok "integrity after stop"
# What a crash could leave: a spool file, a stray temp file and an unknown bundle.
kept=$(ls "$API_DATA/bundles" | head -n 1)
echo partial > "$API_DATA/tmp/upload-AbCdEf"
echo stray > "$API_DATA/bundles/.tmp-123"
echo orphan > "$API_DATA/bundles/$(printf 'f%.0s' $(seq 1 64)).zip"
api_start "$API_DATA"
[ -z "$(ls -A "$API_DATA/tmp")" ] && [ "$(ls -A "$API_DATA/bundles" | grep -c -e '^\.tmp' -e '^ffff')" = 0 ] &&
	[ -e "$API_DATA/bundles/$kept" ] &&
	ok "a start sweeps spool files and bundle files no version knows, keeping the rest" || not_ok "start sweep"
req GET /applications/shop/versions
[ "$(sqlite3 "$API_DATA/sprout.db" 'SELECT count(*) FROM versions')" = "$before" ] && [ "$STATUS" = 200 ] &&
	ok "a restart keeps applications and versions" || not_ok "restart keeps state"
cat "$SVC_DIR"/sprout-*.log | grep -q ' [0-9a-f-]* POST /api/v1/applications 201 ' && ok "requests are logged to stderr with their id and status" || not_ok "access log"
api_stop
exit 0
