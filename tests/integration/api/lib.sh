# tests/integration/api/lib.sh — helpers for tests that drive `sprout serve` with curl.
# Source after tests/lib/services.sh:  . "$top/tests/integration/api/lib.sh"
#
#   api_start [DATA_DIR]   start build/sprout serve on a free port (recorded for
#                          svc_stop_all); sets API_PID, API_URL, API_DATA, API_TOKEN, API_LOG
#   api_stop               SIGTERM the engine and wait; sets API_RC (its exit status)
#   api_kill9              SIGKILL the engine (crash)
#   req METHOD PATH [curl args...]   an authenticated request; sets STATUS, BODY (a file),
#                          HDRS (a file with the response headers)
#   req_as TOKEN METHOD PATH [curl args...]   the same with another token ("" for none)
#   jq_body FILTER         jq -r FILTER over the last body
#   ok NAME / not_ok NAME [DETAIL]   TAP lines;  check NAME CMD...  runs CMD quietly
#   wait_status APP LABEL [SECONDS]  wait until the version leaves PROCESSING; prints status

SPROUT_BIN=${SPROUT_BIN:-$top/build/sprout}

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1"
	[ -n "${2:-}" ] && echo "$2" | sed 's/^/#   /'
	[ -n "${BODY:-}" ] && [ -f "$BODY" ] && head -c 600 "$BODY" | sed 's/^/#   body: /' && echo
	return 0
}
check() { # name cmd...
	_n=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$_n"; else not_ok "$_n" "status=$STATUS"; fi
}

api_start() { # [data_dir]
	API_DATA=${1:-$SVC_DIR/data}
	API_PORT=$(svc_free_port)
	API_URL="http://127.0.0.1:$API_PORT/api/v1"
	API_LOG=$SVC_DIR/sprout-$API_PORT.log
	"$SPROUT_BIN" serve --data-dir "$API_DATA" --listen "127.0.0.1:$API_PORT" >>"$API_LOG" 2>&1 &
	API_PID=$!
	svc_record "sprout-$API_PORT" "$API_PID"
	svc_wait_http "$API_URL/health" 20 || { cat "$API_LOG" >&2; return 1; }
	API_TOKEN=$(cat "$API_DATA/admin.token")
}

api_stop() {
	kill -TERM "$API_PID" 2>/dev/null
	wait "$API_PID"; API_RC=$?
	rm -f "$SVC_DIR/pids/sprout-$API_PORT.pid"
}

api_kill9() {
	kill -KILL "$API_PID" 2>/dev/null
	wait "$API_PID" 2>/dev/null
	rm -f "$SVC_DIR/pids/sprout-$API_PORT.pid"
}

BODY=${SVC_DIR:-/tmp}/body
HDRS=${SVC_DIR:-/tmp}/hdrs

req_as() { # token method path [curl args]
	_tok=$1 _m=$2 _p=$3; shift 3
	BODY=$SVC_DIR/body HDRS=$SVC_DIR/hdrs
	if [ -n "$_tok" ]; then
		STATUS=$(curl -s -o "$BODY" -D "$HDRS" -w '%{http_code}' -X "$_m" \
			-H "Authorization: Bearer $_tok" "$@" "$API_URL$_p")
	else
		STATUS=$(curl -s -o "$BODY" -D "$HDRS" -w '%{http_code}' -X "$_m" "$@" "$API_URL$_p")
	fi
}

req() { # method path [curl args]
	req_as "$API_TOKEN" "$@"
}

jq_body() { jq -r "$1" "$BODY" 2>/dev/null; }

header() { # name: the value of a response header of the last request
	tr -d '\r' < "$HDRS" | awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" -F': ' \
		'tolower($1) == n { print $2 }' | tail -n 1
}

upload() { # app label file [extra query]
	req POST "/applications/$1/versions?label=$2${4:-}" -H 'Content-Type: application/zip' \
		--data-binary @"$3"
}

wait_status() { # app label [seconds]: prints the final status
	_i=0; _max=$(( ${3:-30} * 10 ))
	while [ $_i -lt $_max ]; do
		_s=$(curl -s -H "Authorization: Bearer $API_TOKEN" "$API_URL/applications/$1/versions/$2" | jq -r .status)
		[ "$_s" != PROCESSING ] && { echo "$_s"; return 0; }
		sleep 0.1; _i=$((_i + 1))
	done
	echo PROCESSING
}

vm_hwm_kb() { # pid
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# make_bundle DIR ZIP: zips DIR's contents (the EB layout: no top folder)
make_bundle() {
	rm -f "$2"
	(cd "$1" && zip -q -r -X "$2" .)
}
