#!/bin/sh
# tools/demo.sh — `make demo` / `make demo-stop`.
#
#   sh tools/demo.sh start   installs what is missing (make deps), builds, starts the Docker
#                            engine if none answers, builds the demo image offline from
#                            busybox-static and pushes it to a local registry on
#                            127.0.0.1:5000, starts `sprout serve`, creates the application
#                            "sample" and the environment "sample-demo" (three instances)
#                            from examples/sample-app, waits until it is Green and prints
#                            its URLs. The data dir (build/demo/data) is made afresh each
#                            time.
#   sh tools/demo.sh stop    terminates the environment and stops exactly what `start`
#                            started, by pid (recorded under build/demo/).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
STATE=$top/build/demo
SVC_DIR=$STATE/svc
export SVC_DIR
WORK=$STATE
DATA=$STATE/data
APP=sample
ENV=sample-demo
REG=127.0.0.1:5000
IMAGE=$REG/sprout-demo/busybox:1
. "$top/tests/lib/services.sh"
. "$top/tests/integration/environments/lib.sh"

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

load_state() {
	[ -f "$STATE/demo.env" ] || return 1
	. "$STATE/demo.env"
	API=http://127.0.0.1:$API_PORT/api/v1
	TOKEN=$(cat "$DATA/admin.token" 2>/dev/null)
}

start() {
	if load_state && [ -n "${SERVE_PID:-}" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
		die "already running (engine pid $SERVE_PID); \`make demo-stop\` first"
	fi
	mkdir -p "$STATE"
	if ! sh tools/deps.sh --check >/dev/null 2>&1; then
		say "installing the Debian packages sprout needs (make deps)"
		sh tools/deps.sh || die "make deps failed; run it as root"
	fi
	say "building"
	make -s all >/dev/null || die "the build failed (make)"
	svc_init
	say "Docker engine"
	svc_docker || die "no Docker engine answers and dockerd could not be started (see $SVC_DIR/dockerd.log)"
	[ -s "$SVC_DIR/pids/dockerd.pid" ] && say "started dockerd (pid $(cat "$SVC_DIR/pids/dockerd.pid"))"
	if curl -s --max-time 2 "http://$REG/v2/" >/dev/null; then
		say "a registry already answers on $REG; using it"
	else
		say "starting the local registry on $REG (docker-registry)"
		svc_registry 5000 || die "the registry did not start (see $SVC_DIR/registry-5000.log)"
	fi
	say "building the demo image offline (busybox-static) and pushing $IMAGE"
	svc_image_busybox sprout-demo/busybox:1 || die "docker import of the busybox image failed"
	svc_push sprout-demo/busybox:1 "$IMAGE" >/dev/null || die "docker push to $REG failed"
	API_PORT=4780
	curl -s --max-time 1 "http://127.0.0.1:$API_PORT/" >/dev/null 2>&1 && API_PORT=$(svc_free_port)
	POOL=${SPROUT_DEMO_POOL:-127.0.2.1-127.0.2.254}
	# A fresh data dir each time: a v1 left by an earlier demo would be deployed instead of
	# the sample app as it is now (its label is taken). Containers an interrupted demo left
	# carry the same owner label and are swept by the new engine.
	rm -rf "$DATA"
	say "starting sprout serve on 127.0.0.1:$API_PORT (data in $DATA)"
	env_serve_start || { tail -n 20 "$WORK/serve.log" >&2; die "sprout serve did not get ready; see $WORK/serve.log"; }
	printf 'API_PORT=%s\nSERVE_PID=%s\nPOOL=%s\n' "$API_PORT" "$SERVE_PID" "$POOL" > "$STATE/demo.env"
	say "uploading examples/sample-app as version v1 of application $APP"
	rm -f "$STATE/v1.zip"
	(cd examples/sample-app && zip -qr "$STATE/v1.zip" .) || die "zip failed"
	api POST /applications "{\"name\":\"$APP\",\"description\":\"the sprout demo\"}" >/dev/null
	env_upload v1 "$APP"
	env_wait_processed v1 "$APP" || die "version v1 was not PROCESSED: $(api GET "/applications/$APP/versions/v1" | jq -c .diagnostics)"
	say "creating environment $ENV (2 containers x 3 instances behind the load balancer)"
	out=$(api POST /environments "{\"application\":\"$APP\",\"name\":\"$ENV\",\"version_label\":\"v1\"}")
	printf '%s\n' "$out" | jq -e .environment_name >/dev/null || die "create failed: $out"
	last=0
	i=0
	while [ $i -lt 900 ]; do
		d=$(env_describe "$ENV")
		# Show the environment's events as they come.
		evs=$(api GET "/events?environment=$ENV&limit=100")
		printf '%s\n' "$evs" | jq -r --argjson last "$last" '.events | reverse | .[] | select(.id > $last) | "  \(.time) \(.severity) \(.message | split("\n")[0])"'
		last=$(printf '%s\n' "$evs" | jq --argjson last "$last" '[.events[0].id // 0, $last] | max')
		[ "$(printf '%s\n' "$d" | jq -r '.status + " " + .health')" = "Ready Green" ] && break
		if [ "$(printf '%s\n' "$d" | jq -r .status)" = Ready ] &&
			[ "$(api GET "/environments/$ENV/deployments?limit=1" | jq -r '.deployments[0].status')" = Failed ]; then
			die "the environment did not launch; see the events above"
		fi
		sleep 1; i=$((i + 1))
	done
	[ $i -lt 900 ] || die "the environment did not get Green in 15 minutes"
	url=$(printf '%s\n' "$d" | jq -r .url)
	lb=$(printf '%s\n' "$d" | jq -r .load_balancer.address)
	echo
	say "environment $ENV is Green: $(printf '%s\n' "$d" | jq -r '.instances | length') instances, task definition $(printf '%s\n' "$d" | jq -r .task_definition)"
	echo "  web (port 80):      $url"
	echo "  api (port 8080):    http://$lb:8080/status.json"
	echo "  engine API:         $API (token: $DATA/admin.token)"
	echo "  describe:           curl -H \"Authorization: Bearer \$(cat $DATA/admin.token)\" $API/environments/$ENV"
	echo "  instances:          $DATA/instances/"
	echo
	echo "Stop everything the demo started with:  make demo-stop"
}

stop() {
	load_state || { say "nothing to stop (no $STATE/demo.env)"; return 0; }
	if [ -n "${SERVE_PID:-}" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
		say "terminating environment $ENV"
		api DELETE "/environments/$ENV" >/dev/null
		i=0
		# done when describe says Terminated (kept for an hour) or nothing (404)
		while [ $i -lt 300 ] && case $(api GET "/environments/$ENV" | jq -r '.status // empty') in
			''|Terminated) false ;; *) true ;; esac; do
			sleep 0.5; i=$((i + 1))
		done
		say "stopping sprout serve (pid $SERVE_PID; it stops its HAProxy)"
		env_serve_stop
	fi
	if [ -d "$SVC_DIR/pids" ]; then
		for f in "$SVC_DIR"/pids/*.pid; do
			[ -e "$f" ] && say "stopping $(basename "$f" .pid) (pid $(cat "$f"))"
		done
		svc_stop_all
	fi
	rm -f "$STATE/demo.env" "$STATE/v1.zip"
	say "stopped"
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) die "usage: tools/demo.sh start|stop" ;;
esac
