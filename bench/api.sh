#!/bin/sh
# bench/api.sh — API throughput and latency (part of `make bench`).
#
# A data dir with 1 application, 10 000 versions and 1 000 000 events (made with sqlite3
# directly), `sprout serve` on loopback, and wrk on three requests: describe the
# application, list 100 versions, list 100 events. In the same run, nginx (Debian
# nginx-light, own config and pid file in a temp dir) serves static JSON files of the
# same sizes with the same wrk settings, as the yardstick. Prints the numbers and
# rewrites the "API" section of docs/benchmarks.md. No timing is asserted anywhere.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/services.sh"
svc_init
trap svc_stop_all EXIT
SPROUT=${SPROUT_BIN:-$top/build/sprout}
DURATION=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-16}
VERSIONS=10000
EVENTS=1000000
W=$SVC_DIR/bench
D=$W/data
mkdir -p "$W/www" "$D"
for c in wrk nginx sqlite3 jq; do
	command -v "$c" >/dev/null 2>&1 || { echo "bench/api.sh: $c missing (make deps)"; exit 1; }
done
[ -x "$SPROUT" ] || { echo "bench/api.sh: $SPROUT is not built"; exit 1; }

# --- the data --------------------------------------------------------------------------
PORT=$(svc_free_port)
"$SPROUT" serve --data-dir "$D" --listen "127.0.0.1:$PORT" --no-access-log 2>"$W/serve0.log" &
svc_record sprout0 $!
svc_wait_http "http://127.0.0.1:$PORT/api/v1/health" 20 || exit 1
kill "$(cat "$SVC_DIR/pids/sprout0.pid")"; wait "$(cat "$SVC_DIR/pids/sprout0.pid")" 2>/dev/null
rm -f "$SVC_DIR/pids/sprout0.pid"
t0=$(date +%s)
sqlite3 "$D/sprout.db" >/dev/null <<EOS
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO applications (name, description, created_ms, updated_ms)
  VALUES ('bench', 'the benchmark application', 1700000000000, 1700000000000);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $VERSIONS)
INSERT INTO bundles (sha256, size, created_ms)
  SELECT printf('%064x', i), 4096 + i, 1700000000000 + i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $VERSIONS)
INSERT INTO versions (app_id, label, description, bundle_sha256, status, diagnostics,
  request_id, created_ms, updated_ms)
  SELECT 1, printf('v%05d', i), 'build ' || i, printf('%064x', i),
    CASE WHEN i % 10 = 0 THEN 'FAILED' ELSE 'PROCESSED' END, '[]',
    printf('%08x-0000-4000-8000-%012x', i, i), 1700000000000 + i * 1000,
    1700000000000 + i * 1000 + 500 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $EVENTS)
INSERT INTO events (time_ms, severity, application, environment, version, request_id, message)
  SELECT 1700000000000 + i * 10, 2 + (i % 7 = 0), 'bench',
    CASE WHEN i % 3 = 0 THEN 'bench-prod' END, printf('v%05d', 1 + i % $VERSIONS),
    printf('%08x-0000-4000-8000-%012x', i, i),
    'Finished processing application version ' || printf('v%05d', 1 + i % $VERSIONS) || ' PROCESSED.'
  FROM n;
COMMIT;
EOS
t1=$(date +%s)
echo "api: database with $VERSIONS versions and $EVENTS events made in $((t1 - t0)) s ($(du -h "$D/sprout.db" | cut -f1))"

# --- the engine --------------------------------------------------------------------------
PORT=$(svc_free_port)
"$SPROUT" serve --data-dir "$D" --listen "127.0.0.1:$PORT" --no-access-log 2>"$W/serve.log" &
svc_record sprout $!
svc_wait_http "http://127.0.0.1:$PORT/api/v1/health" 20 || exit 1
TOKEN=$(cat "$D/admin.token")
BASE="http://127.0.0.1:$PORT/api/v1"
P_APP="/applications/bench"
P_VER="/applications/bench/versions?limit=100"
P_EV="/events?limit=100"
curl -sf -H "Authorization: Bearer $TOKEN" "$BASE$P_APP" > "$W/www/app.json" || exit 1
curl -sf -H "Authorization: Bearer $TOKEN" "$BASE$P_VER" > "$W/www/versions.json" || exit 1
curl -sf -H "Authorization: Bearer $TOKEN" "$BASE$P_EV" > "$W/www/events.json" || exit 1
[ "$(jq '.versions | length' "$W/www/versions.json")" = 100 ] || { echo "api: versions page is short"; exit 1; }
[ "$(jq '.events | length' "$W/www/events.json")" = 100 ] || { echo "api: events page is short"; exit 1; }

# --- nginx, same sizes -----------------------------------------------------------------------
NPORT=$(svc_free_port)
mkdir -p "$W/nginx/tmp"
# nginx's workers drop to an unprivileged user when started as root: let them read.
chmod 755 "$SVC_DIR" "$W" "$W/www"
chmod 644 "$W"/www/*
cat > "$W/nginx/nginx.conf" <<EOC
worker_processes auto;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W/nginx/tmp/body;
  proxy_temp_path $W/nginx/tmp/proxy;
  fastcgi_temp_path $W/nginx/tmp/fastcgi;
  uwsgi_temp_path $W/nginx/tmp/uwsgi;
  scgi_temp_path $W/nginx/tmp/scgi;
  types { application/json json; }
  server {
    listen 127.0.0.1:$NPORT;
    root $W/www;
  }
}
EOC
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log" 2>"$W/nginx/start.log" &
svc_record nginx $!
svc_wait_http "http://127.0.0.1:$NPORT/app.json" 10 || { cat "$W/nginx/start.log" "$W/nginx/error.log"; exit 1; }

# --- wrk ------------------------------------------------------------------------------------
# run NAME URL [header]: sets RPS_NAME, P99_NAME (ms)
run() {
	_name=$1 _url=$2; shift 2
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@" "$_url" > "$W/wrk-$_name.txt" 2>&1
	_rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$W/wrk-$_name.txt")
	_p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		printf "%.2f", v }' "$W/wrk-$_name.txt")
	_non2xx=$(awk '/Non-2xx/ { print $NF }' "$W/wrk-$_name.txt")
	[ -n "$_non2xx" ] && echo "api: $_name had $_non2xx non-2xx answers" && exit 1
	eval "RPS_$_name=\$_rps P99_$_name=\$_p99"
	printf '  %-28s %8s req/s  p99 %7s ms\n' "$_name" "$_rps" "$_p99"
}
AUTH="Authorization: Bearer $TOKEN"
echo "api: wrk -t$THREADS -c$CONNS -d${DURATION}s --latency"
run app "$BASE$P_APP" -H "$AUTH"
run nginx_app "http://127.0.0.1:$NPORT/app.json"
run versions "$BASE$P_VER" -H "$AUTH"
run nginx_versions "http://127.0.0.1:$NPORT/versions.json"
run events "$BASE$P_EV" -H "$AUTH"
run nginx_events "http://127.0.0.1:$NPORT/events.json"
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$(cat "$SVC_DIR/pids/sprout.pid")/status")

size() { wc -c < "$W/www/$1" | tr -d ' '; }
pct() { echo "$1 $2" | awk '{ printf "%.0f%%", 100 * $1 / $2 }'; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="$(nproc) CPU ($cpu), $(uname -sr), $(nginx -v 2>&1 | sed 's/.*: //')"
doc=$top/docs/benchmarks.md
[ -f "$doc" ] || printf '# Benchmarks\n\n`make bench` runs every bench/*.sh; each rewrites its own section here.\n' > "$doc"
section=$(cat <<EOS
## API

\`sh bench/api.sh\` (part of \`make bench\`): \`sprout serve --no-access-log\` on loopback
with a database of 1 application, $VERSIONS versions and $EVENTS events (made with sqlite3
directly), driven by \`wrk -t$THREADS -c$CONNS -d${DURATION}s --latency\` with the admin
token; in the same run nginx (nginx-light, \`worker_processes auto\`, access log off)
serves the same responses as static files. "vs nginx" = sprout's requests/s as a share
of nginx's. Engine peak RSS after all runs: $hwm KiB.

| request | body | sprout req/s | sprout p99 | nginx req/s | nginx p99 | vs nginx |
|---|---|---|---|---|---|---|
| \`GET $P_APP\` (describe) | $(size app.json) B | $RPS_app | $P99_app ms | $RPS_nginx_app | $P99_nginx_app ms | $(pct "$RPS_app" "$RPS_nginx_app") |
| \`GET $P_VER\` | $(size versions.json) B | $RPS_versions | $P99_versions ms | $RPS_nginx_versions | $P99_nginx_versions ms | $(pct "$RPS_versions" "$RPS_nginx_versions") |
| \`GET $P_EV\` | $(size events.json) B | $RPS_events | $P99_events ms | $RPS_nginx_events | $P99_nginx_events ms | $(pct "$RPS_events" "$RPS_nginx_events") |

Machine: $machine; $(date +%Y-%m-%d). wrk and both servers share the machine's CPUs.
EOS
)
python3 - "$doc" "$section" <<'EOP'
import re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read()
pat = re.compile(r"^## API\n.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(lambda m: section + "\n", text) if pat.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
EOP
echo "api: results in docs/benchmarks.md (API)"
