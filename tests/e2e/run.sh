#!/bin/sh
# tests/e2e/run.sh — the web console in real headless Chromium (Debian's chromium driven
# by npm's playwright-core) against a real `sprout serve` on a free port with a fresh
# data dir. Prints TAP lines (ok - / not ok -); screenshots go to build/e2e-screenshots/.
# Environment steps run when the engine has environment endpoints and Docker answers;
# they start Docker and a registry through tests/lib/services.sh.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/e2e
. "$top/tests/lib/services.sh"
svc_init
trap svc_stop_all EXIT

SPROUT_BIN=${SPROUT_BIN:-$top/build/sprout}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$SPROUT_BIN" ] || { echo "not ok - $SPROUT_BIN is not built (make build-tests)"; exit 1; }
[ -x "$CHROMIUM" ] || { echo "not ok - $CHROMIUM is missing (make deps installs Debian's chromium)"; exit 1; }
command -v node >/dev/null 2>&1 || { echo "not ok - node is missing (make deps)"; exit 1; }

# playwright-core from the committed package-lock.json (npm ci), once.
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >"$SVC_DIR/npm.log" 2>&1 || {
		echo "not ok - npm ci in tests/e2e (see below)"; cat "$SVC_DIR/npm.log"; exit 1; }
fi

# --- bundles -------------------------------------------------------------------------
W=$SVC_DIR/work
mkdir -p "$W/good" "$W/bad"
cat > "$W/good/Dockerrun.aws.json" <<'EOJ'
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
EOJ
cat > "$W/bad/Dockerrun.aws.json" <<'EOJ'
{
  "AWSEBDockerrunVersion": 2,
  "containerDefinitions": [
    {"name": "web", "image": "nginx", "memory": 128, "links": ["db"]}
  ]
}
EOJ
(cd "$W/good" && zip -q -r -X "$W/good.zip" .)
(cd "$W/bad" && zip -q -r -X "$W/bad.zip" .)

# --- the engine (the console's files found beside build/sprout: no --web-dir) ----------
PORT=$(svc_free_port)
DATA=$SVC_DIR/data
SPROUT_ADDRESS_POOL=$(svc_loopback_pool)
export SPROUT_ADDRESS_POOL
"$SPROUT_BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$SVC_DIR/sprout.log" 2>&1 &
svc_record sprout $!
svc_wait_http "http://127.0.0.1:$PORT/api/v1/health" 20 || {
	echo "not ok - sprout serve starts"; cat "$SVC_DIR/sprout.log"; exit 1; }
echo "ok - sprout serve starts on 127.0.0.1:$PORT and finds the console's files by itself"

# --- environments: Docker, a registry on loopback and an offline busybox image ---------
TOKEN=$(cat "$DATA/admin.token")
E2E_ENVIRONMENTS=0
if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	"http://127.0.0.1:$PORT/api/v1/environments")" = 200 ]; then
	REG=$(svc_free_port)
	if svc_docker && svc_registry "$REG" && svc_image_busybox sprout-e2e/busybox:1 &&
		svc_push sprout-e2e/busybox:1 "127.0.0.1:$REG/e2e/busybox:1" >/dev/null; then
		E2E_ENVIRONMENTS=1
		for v in v1 v2 bad; do
			mkdir -p "$W/env-$v"
			if [ "$v" = bad ]; then cmd='echo starting; echo the web server is broken >&2; exit 1'
			else cmd="echo $v > /tmp/index.html && exec httpd -f -p 80 -h /tmp"; fi
			cat > "$W/env-$v/Dockerrun.aws.json" <<EOJ
{
  "AWSEBDockerrunVersion": 2,
  "containerDefinitions": [
    {
      "name": "web",
      "image": "127.0.0.1:$REG/e2e/busybox:1",
      "essential": true,
      "memory": 64,
      "entryPoint": ["sh", "-c"],
      "command": ["$cmd"],
      "portMappings": [{"hostPort": 80, "containerPort": 80}]
    }
  ]
}
EOJ
			(cd "$W/env-$v" && zip -q -r -X "$W/env-$v.zip" .)
		done
	else
		echo "not ok - Docker, the registry and the busybox image are ready for the environment steps"
	fi
fi

SHOTS=$top/build/e2e-screenshots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

E2E_URL="http://127.0.0.1:$PORT" E2E_TOKEN=$TOKEN E2E_WORK=$W E2E_ENVIRONMENTS=$E2E_ENVIRONMENTS \
E2E_SHOTS=$SHOTS E2E_PROFILE=$SVC_DIR/chromium-profile E2E_CHROMIUM=$CHROMIUM \
	node "$here/console.test.mjs"
rc=$?
# an environment a failed step left behind is terminated before the engine stops
if [ "$E2E_ENVIRONMENTS" = 1 ]; then
	# (a terminated environment is still described for an hour, with status Terminated)
	U="http://127.0.0.1:$PORT/api/v1/environments/e2e-web"
	live() { case $(curl -s -H "Authorization: Bearer $TOKEN" "$U" | jq -r '.status // empty' 2>/dev/null) in
		''|Terminated) return 1 ;; esac; }
	if live; then
		curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $TOKEN" "$U"
		i=0
		while [ $i -lt 120 ] && live; do
			sleep 1; i=$((i + 1))
		done
	fi
fi
# the load balancer the engine started (a detached HAProxy master) goes with the rest
svc_record_pidfile haproxy "$DATA/lb/haproxy.pid"
if [ "$rc" -ne 0 ]; then
	echo "# engine log (last 40 lines):"
	tail -n 40 "$SVC_DIR/sprout.log" | sed 's/^/# /'
fi
exit "$rc"
