# tests/integration/environments/lib.sh — helpers of test_environments.sh, bench/deploy.sh
# and tools/demo.sh: the engine started by pid, API calls with the admin token, bundles
# made from examples/sample-app, waiting for states and events, a bounded request loop.
# Needs $WORK (scratch folder) and tests/lib/services.sh sourced.

SPROUT=${SPROUT:-$top/build/sprout}
DATA=${DATA:-$WORK/data}

env_serve_start() {
	mkdir -p "$DATA"
	[ -n "${POOL:-}" ] || POOL=$(svc_loopback_pool)
	[ -n "${API_PORT:-}" ] || API_PORT=$(svc_free_port)
	"$SPROUT" serve --data-dir "$DATA" --listen "127.0.0.1:$API_PORT" --address-pool "$POOL" \
		--no-access-log >>"$WORK/serve.log" 2>&1 &
	SERVE_PID=$!
	svc_record sprout-serve "$SERVE_PID"
	API=http://127.0.0.1:$API_PORT/api/v1
	svc_wait_http "$API/health" 30 || return 1
	TOKEN=$(cat "$DATA/admin.token")
	_i=0
	while [ $_i -lt 100 ]; do
		grep -q "local driver ready\|environments cannot run" "$WORK/serve.log" && break
		sleep 0.1; _i=$((_i + 1))
	done
	grep -q "local driver ready" "$WORK/serve.log"
}

env_serve_stop() {
	[ -n "${SERVE_PID:-}" ] || return 0
	kill "$SERVE_PID" 2>/dev/null
	_i=0
	while kill -0 "$SERVE_PID" 2>/dev/null && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -9 "$SERVE_PID" 2>/dev/null
	rm -f "$SVC_DIR/pids/sprout-serve.pid"
	SERVE_PID=""
}

# Leaves nothing behind even when the test stopped half-way: every environment
# terminated through the engine, then the engine stopped (which stops HAProxy).
env_cleanup() {
	if [ -n "${SERVE_PID:-}" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
		for _e in $(api GET /environments | jq -r '.environments[]?.environment_name' 2>/dev/null); do
			api DELETE "/environments/$_e" >/dev/null 2>&1
		done
		_i=0
		while [ $_i -lt 600 ] && [ "$(api GET /environments | jq '.environments | length' 2>/dev/null)" != 0 ]; do
			sleep 0.2; _i=$((_i + 1))
		done
	fi
	env_serve_stop
	if [ -s "$DATA/lb/haproxy.pid" ] && kill -0 "$(cat "$DATA/lb/haproxy.pid")" 2>/dev/null; then
		kill "$(cat "$DATA/lb/haproxy.pid")" 2>/dev/null
	fi
	_owner=$(printf %s "$DATA" | sha256sum | cut -c1-12)
	_c=$(docker ps -aq --filter "label=sprout.owner=$_owner" 2>/dev/null)
	[ -n "$_c" ] && docker rm -f $_c >/dev/null 2>&1
	_n=$(docker network ls -q --filter "label=sprout.owner=$_owner" 2>/dev/null)
	[ -n "$_n" ] && docker network rm $_n >/dev/null 2>&1
	return 0
}

api() { # METHOD PATH [JSON]
	if [ $# -ge 3 ]; then
		curl -s --max-time 30 -X "$1" -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' --data "$3" "$API$2"
	else
		curl -s --max-time 30 -X "$1" -H "Authorization: Bearer $TOKEN" "$API$2"
	fi
}

# env_bundle LABEL ok|exit1 — $WORK/LABEL.zip from examples/sample-app with $IMAGE.
env_bundle() {
	_d=$WORK/src-$1
	rm -rf "$_d"
	cp -R "$top/examples/sample-app" "$_d"
	echo "$1" > "$_d/www/version.txt"
	python3 - "$_d/Dockerrun.aws.json" "$IMAGE" "$2" <<'EOP'
import json, sys
p, image, kind = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(p))
for c in d["containerDefinitions"]:
    c["image"] = image
    c["stopTimeout"] = 2  # httpd as PID 1 ignores SIGTERM: do not wait 30 s for it
    if c["name"] == "web":
        if kind == "ok":
            c["command"] = ["sh", "-c", "mkdir -p /tmp/www && cp -r /var/www/. /tmp/www/ && hostname > /tmp/www/id.txt && exec httpd -f -vv -p 80 -h /tmp/www 2>>/var/log/web/access.log"]
        else:
            c["command"] = ["sh", "-c", "echo web is failing on purpose; echo second line of output; exit 1"]
json.dump(d, open(p, "w"), indent=2)
EOP
	(cd "$_d" && rm -f "$WORK/$1.zip" && zip -qr "$WORK/$1.zip" .)
}

env_upload() { # LABEL [APP]
	curl -s --max-time 60 -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/zip' \
		--data-binary "@$WORK/$1.zip" "$API/applications/${2:-envtest}/versions?label=$1" >/dev/null
}

env_wait_processed() { # LABEL [APP]
	_i=0
	while [ $_i -lt 300 ]; do
		_s=$(api GET "/applications/${2:-envtest}/versions/$1" | jq -r .status)
		[ "$_s" = PROCESSED ] && return 0
		[ "$_s" = FAILED ] && return 1
		sleep 0.2; _i=$((_i + 1))
	done
	return 1
}

env_describe() { api GET "/environments/$1"; }

env_wait_ready() { # ENV SECONDS
	_i=0
	while [ $_i -lt $(($2 * 5)) ]; do
		[ "$(env_describe "$1" | jq -r .status)" = Ready ] &&
			case $(api GET "/environments/$1/deployments?limit=1" | jq -r '.deployments[0].status') in
			Pending|InProgress) false ;; *) true ;; esac &&
			return 0
		sleep 0.2; _i=$((_i + 1))
	done
	return 1
}

env_wait_status() { # ENV STATUS SECONDS — e.g. Terminated: a terminated environment is described for an hour
	_i=0
	while [ $_i -lt $(($3 * 5)) ]; do
		[ "$(env_describe "$1" | jq -r .status)" = "$2" ] && return 0
		sleep 0.2; _i=$((_i + 1))
	done
	return 1
}

env_wait_health() { # ENV COLOUR SECONDS
	_i=0
	while [ $_i -lt $(($3 * 5)) ]; do
		[ "$(env_describe "$1" | jq -r .health)" = "$2" ] && return 0
		sleep 0.2; _i=$((_i + 1))
	done
	return 1
}

env_events() { # ENV [SEVERITY] — oldest first, one line each
	api GET "/events?environment=$1&limit=1000${2:+&severity=$2}" |
		jq -r '.events | reverse | .[] | .severity + " " + .message'
}

env_wait_event() { # ENV TEXT SECONDS
	_i=0
	while [ $_i -lt $(($3 * 2)) ]; do
		env_events "$1" | grep -qF "$2" && return 0
		sleep 0.5; _i=$((_i + 1))
	done
	return 1
}

env_update() { api PATCH "/environments/$1" "$2"; }

env_deployment_ok() {
	[ "$(api GET "/environments/$1/deployments?limit=1" | jq -r '.deployments[0].status')" = Succeeded ]
}

env_load() { # URL COUNT OUTFILE — a bounded request loop; one HTTP status per line
	: > "$3"
	_i=0
	while [ $_i -lt "$2" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 3 "$1" >> "$3"
		sleep 0.15; _i=$((_i + 1))
	done
}

env_all_answer() { # URL VERSION
	_i=0
	while [ $_i -lt 15 ]; do
		[ "$(curl -s --max-time 2 "${1}version.txt")" = "$2" ] || return 1
		_i=$((_i + 1))
	done
	return 0
}

env_wait_all_answer() { # URL VERSION SECONDS — until 15 requests in a row answer VERSION
	_j=0
	while [ $_j -lt $3 ]; do
		env_all_answer "$1" "$2" && return 0
		sleep 1; _j=$((_j + 1))
	done
	return 1
}

env_wait_gone() { # "COMMAND" SECONDS — until COMMAND prints nothing
	_i=0
	while [ $_i -lt $(($2 * 2)) ]; do
		[ -z "$(sh -c "$1" 2>/dev/null)" ] && return 0
		sleep 0.5; _i=$((_i + 1))
	done
	return 1
}

# Restarts dockerd when this test started it (never one that was already running).
env_restart_dockerd() {
	[ -s "$SVC_DIR/pids/dockerd.pid" ] || return 1
	_p=$(cat "$SVC_DIR/pids/dockerd.pid")
	kill "$_p" 2>/dev/null
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
	rm -f "$SVC_DIR/pids/dockerd.pid"
	svc_docker
}
