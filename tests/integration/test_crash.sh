#!/bin/sh
# tests/integration/test_crash.sh — SIGKILL the engine 20 times at random moments while
# bundles are uploading and versions are processing; after every kill the store must pass
# integrity_check, no half-written bundle may be visible, every accepted upload (202)
# must be there, and after the restarts no version may stay in PROCESSING.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/services.sh"
svc_init
. "$top/tests/integration/api/lib.sh"
trap svc_stop_all EXIT
W=$SVC_DIR/work
ROUNDS=${SPROUT_CRASH_ROUNDS:-20}
mkdir -p "$W/ok" "$W/bad" "$W/heavy"

if [ ! -x "$SPROUT_BIN" ]; then echo "not ok - $SPROUT_BIN is not built"; exit 1; fi

printf '{"AWSEBDockerrunVersion":2,"containerDefinitions":[{"name":"web","image":"nginx","memory":64,"portMappings":[{"hostPort":80,"containerPort":80}]}]}' \
	> "$W/ok/Dockerrun.aws.json"
printf '{"AWSEBDockerrunVersion":2,"containerDefinitions":[{"name":"web","image":"nginx","memory":64,"links":["db"]}]}' \
	> "$W/bad/Dockerrun.aws.json"
cp "$W/ok/Dockerrun.aws.json" "$W/heavy/"
# An incompressible 16 MiB file: uploads take a while (rate-limited below) and processing
# reads every byte, so kills land inside both.
head -c 16777216 /dev/urandom > "$W/heavy/blob.bin"
for kind in ok bad heavy; do make_bundle "$W/$kind" "$W/$kind.zip"; done
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }

api_start "$SVC_DIR/data" || { echo "not ok - sprout serve starts"; exit 1; }
req POST /applications -d '{"name":"crash"}'
[ "$STATUS" = 201 ] || { echo "not ok - create the application"; exit 1; }

n=0 round=0 bad_integrity=0 bad_bundle=0 lost=0 kills=0 cut_uploads=0 cut_processing=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	: > "$W/accepted"
	pids=""
	# Odd rounds: three uploads (valid, invalid, heavy) rate-limited, killed at a random
	# moment within ~0.8 s, mostly while bodies are streaming. Even rounds: five heavy
	# uploads at full speed, killed just after the first is accepted, while the worker
	# works through them.
	if [ $((round % 2)) = 1 ]; then kinds="ok bad heavy" rate=32M; else kinds="heavy heavy heavy heavy heavy" rate=1G; fi
	for kind in $kinds; do
		n=$((n + 1))
		# Each bundle unique (one more entry), so every round stores new files.
		cp "$W/$kind.zip" "$W/b$n.zip"
		(cd "$W" && echo "$n" > round.txt && zip -q "$W/b$n.zip" round.txt)
		(
			s=$(curl -s -o /dev/null -w '%{http_code}' --limit-rate "$rate" -X POST \
				-T "$W/b$n.zip" -H "Authorization: Bearer $API_TOKEN" \
				-H 'Content-Type: application/zip' \
				"$API_URL/applications/crash/versions?label=$kind-$n" 2>/dev/null)
			[ "$s" = 202 ] && echo "$kind-$n" >> "$W/accepted"
			rm -f "$W/b$n.zip"
		) &
		pids="$pids $!"
	done
	if [ $((round % 2)) = 1 ]; then
		ms=$(( $(rnd) % 800 ))
	else
		i=0; while [ ! -s "$W/accepted" ] && [ $i -lt 300 ]; do sleep 0.01; i=$((i + 1)); done
		ms=$(( $(rnd) % 150 ))
	fi
	sleep "$(printf '0.%03d' "$ms")"
	api_kill9
	kills=$((kills + 1))
	for p in $pids; do wait "$p" 2>/dev/null; done

	ic=$(sqlite3 "$API_DATA/sprout.db" 'PRAGMA integrity_check; PRAGMA foreign_key_check;' 2>&1)
	[ "$ic" = ok ] || { bad_integrity=$((bad_integrity + 1)); echo "# round $round: $ic"; }
	# Every file named like a bundle holds exactly the bytes its name promises; every
	# version's bundle is there.
	# (a file checked in an earlier round is never rewritten: its name is its content)
	for f in "$API_DATA"/bundles/*; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .zip)
		grep -qx "$name" "$W/verified" 2>/dev/null && continue
		echo "$name" >> "$W/verified"
		sum=$(sha256sum "$f" | cut -d' ' -f1)
		[ "$sum" = "$name" ] || { bad_bundle=$((bad_bundle + 1)); echo "# round $round: $f is not what its name says"; }
	done
	for sha in $(sqlite3 "$API_DATA/sprout.db" 'SELECT DISTINCT bundle_sha256 FROM versions'); do
		[ -f "$API_DATA/bundles/$sha.zip" ] || { bad_bundle=$((bad_bundle + 1)); echo "# round $round: bundle $sha missing"; }
	done
	while read -r label; do
		c=$(sqlite3 "$API_DATA/sprout.db" "SELECT count(*) FROM versions WHERE label = '$label'")
		[ "$c" = 1 ] || { lost=$((lost + 1)); echo "# round $round: accepted $label is gone"; }
	done < "$W/accepted"
	cut_uploads=$((cut_uploads + $(ls -A "$API_DATA/tmp" | wc -l)))
	cut_processing=$((cut_processing + $(sqlite3 "$API_DATA/sprout.db" "SELECT count(*) FROM versions WHERE status = 'PROCESSING'")))
	api_start "$API_DATA" || { echo "not ok - restart after kill $round"; exit 1; }
done

[ $((cut_uploads + cut_processing)) -gt 0 ] &&
	ok "the kills interrupted $cut_uploads uploads and $cut_processing versions in PROCESSING" ||
	not_ok "the kills interrupted work" "no upload or processing was cut"
[ "$bad_integrity" = 0 ] && ok "integrity_check and foreign_key_check clean after each of $kills SIGKILLs" ||
	not_ok "integrity after kills" "$bad_integrity bad rounds"
[ "$bad_bundle" = 0 ] && ok "no half-written or missing bundle visible after any kill" || not_ok "bundles after kills" "$bad_bundle problems"
[ "$lost" = 0 ] && ok "every upload answered 202 survived the kill" || not_ok "accepted uploads survive" "$lost lost"
[ -z "$(ls -A "$API_DATA/tmp")" ] && ok "the restart removed every interrupted spool file" || not_ok "spool swept"

# After the last restart nothing may stay in PROCESSING.
i=0
while [ $i -lt 600 ]; do
	p=$(sqlite3 "$API_DATA/sprout.db" "SELECT count(*) FROM versions WHERE status = 'PROCESSING'")
	[ "$p" = 0 ] && break
	sleep 0.1; i=$((i + 1))
done
total=$(sqlite3 "$API_DATA/sprout.db" 'SELECT count(*) FROM versions')
[ "$p" = 0 ] && [ "$total" -gt 0 ] && ok "no version stuck in PROCESSING ($total versions after the restarts)" ||
	not_ok "versions stuck in PROCESSING" "$p of $total"
wrong=$(sqlite3 "$API_DATA/sprout.db" "SELECT label || ' ' || status FROM versions WHERE
	(label LIKE 'bad-%' AND status <> 'FAILED') OR (label NOT LIKE 'bad-%' AND status <> 'PROCESSED')")
[ -z "$wrong" ] && ok "every interrupted version ended PROCESSED (valid) or FAILED (invalid)" ||
	not_ok "interrupted versions end right" "$wrong"
api_stop
[ "$API_RC" = 0 ] && ok "the engine still stops cleanly after the crashes" || not_ok "clean stop" "rc $API_RC"
exit 0
