#!/bin/sh
# test_taskdef_moto.sh — every task definition the data suite generates
# (tests/data/dockerrun/*/ whose cmd runs `sprout taskdef`) is accepted by an independent
# client: the AWS CLI registers it with moto's ECS (parameter validation included).
# Starts `python3 -m moto.server` on 127.0.0.1 and a free port; stops it by pid on exit.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$top/build:$PATH"
export PATH NO_COLOR=1
if ! python3 -c 'import moto.server' 2>/dev/null || ! command -v aws >/dev/null 2>&1; then
	echo "not ok - moto server and aws CLI are needed (make deps)"
	exit 1
fi
scratch=$(mktemp -d)
moto_pid=""
cleanup() {
	[ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT INT TERM
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$scratch/moto.log" 2>&1 &
moto_pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$moto_pid" 2>/dev/null; then
		echo "not ok - moto server did not start"
		sed 's/^/#   /' "$scratch/moto.log" | tail -n 20
		exit 1
	fi
	sleep 0.2
done
echo "ok - moto server on 127.0.0.1:$port (pid $moto_pid)"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing \
	AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	AWS_PAGER=""
n=0
for dir in "$top"/tests/data/dockerrun/*/; do
	grep -q 'sprout taskdef' "$dir/cmd" 2>/dev/null || continue
	want_rc=0
	[ -f "$dir/expected.rc" ] && want_rc=$(cat "$dir/expected.rc")
	[ "$want_rc" = 0 ] || continue
	name=$(basename "$dir")
	n=$((n + 1))
	work="$scratch/$n"
	mkdir -p "$work"
	cp -R "$dir/." "$work/"
	if [ -f "$work/setup" ]; then (cd "$work" && sh ./setup) >/dev/null 2>&1; fi
	if ! (cd "$work" && sh -c "$(cat cmd)") >"$work/taskdef.json" 2>"$work/err"; then
		echo "not ok - taskdef $name: sprout failed"
		sed 's/^/#   /' "$work/err" | head -n 20
		continue
	fi
	if aws ecs register-task-definition --cli-input-json "file://$work/taskdef.json" \
		--endpoint-url "http://127.0.0.1:$port" --region us-east-1 \
		--query 'taskDefinition.[family,revision,status]' --output text >"$work/out" 2>&1 &&
		grep -q ACTIVE "$work/out"; then
		echo "ok - taskdef $name registered ($(tr '\t' ' ' <"$work/out"))"
	else
		echo "not ok - taskdef $name rejected"
		sed 's/^/#   /' "$work/out" | head -n 20
	fi
done
[ $n -gt 0 ] || { echo "not ok - no taskdef data cases found"; exit 1; }

# Every real-world file of ../shared/corpus that validates gives a task definition ECS takes.
corpus="$top/../shared/corpus"
for f in "$corpus"/dockerrun-v1/* "$corpus"/dockerrun-v2/* "$corpus"/dockerrun-v3/*; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	n=$((n + 1))
	sprout validate "$f" >/dev/null 2>&1
	vrc=$?
	[ $vrc = 1 ] && continue # rejected: docs/compatibility.md says why
	if [ $vrc != 0 ]; then
		echo "not ok - corpus $name: sprout validate exited $vrc"
		continue
	fi
	if ! sprout taskdef "$f" --env corpus >"$scratch/c$n.json" 2>"$scratch/c$n.err"; then
		echo "not ok - corpus $name: validates but taskdef failed"
		sed 's/^/#   /' "$scratch/c$n.err" | head -n 10
		continue
	fi
	if aws ecs register-task-definition --cli-input-json "file://$scratch/c$n.json" \
		--endpoint-url "http://127.0.0.1:$port" --region us-east-1 \
		--query 'taskDefinition.status' --output text >"$scratch/c$n.out" 2>&1 &&
		grep -q ACTIVE "$scratch/c$n.out"; then
		echo "ok - corpus $name registered"
	else
		echo "not ok - corpus $name rejected"
		sed 's/^/#   /' "$scratch/c$n.out" | head -n 20
	fi
done
