#!/bin/sh
# test_hooks.sh — platform hooks and .ebextensions commands against the real Docker engine:
# every hook stage and every command key in EB's order (each step appends a line to
# order.log in the instance root, which the test reads), leader_only once across three
# instance roots, a failing hook failing with its output, a hanging hook stopped by its
# timeout, nothing of the host outside the instance root touched, and a hook without the
# exec bit refused by `sprout validate`. Prints TAP-style lines.
#
# Uses tests/integration/hooks/hooks_probe.c (compiled here against build/libsprout.a)
# as the front end, since deployments call the runner in a later step.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
. "$top/tests/lib/services.sh"

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name command...
	_name=$1; shift
	if "$@"; then ok "$_name"; else nok "$_name"; fi
}

svc_init
WORK=$(mktemp -d /tmp/sprout-hooks-test.XXXXXX)
PROBE=$WORK/hooks_probe
IMAGE=sprout-test/busybox:1
TAG=$$-$(date +%s)

cleanup() {
	# hook containers are removed by the executor; anything left would be a bug, but
	# never leave it behind
	ids=$(docker ps -aq --filter label=sprout.owner=sprout-hooks-test 2>/dev/null)
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	svc_stop_all
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- build the probe with the project's flags (SPROUT_HOOKS_ASAN=1: against build-asan/) ----
if LIBDIR=$(svc_build_probe tests/integration/hooks/hooks_probe.c "$PROBE" "${SPROUT_HOOKS_ASAN:-0}" "$WORK/cc.log"); then
	ok "hooks_probe builds against $LIBDIR/libsprout.a"
else
	nok "hooks_probe builds against $LIBDIR/libsprout.a" "$(head -n 20 "$WORK/cc.log")"
	exit 1
fi

if ! svc_docker; then nok "a Docker daemon answers"; exit 1; fi
if ! svc_image_busybox "$IMAGE"; then nok "the offline busybox test image builds"; exit 1; fi

DR='{"AWSEBDockerrunVersion": 2, "containerDefinitions": [{"name": "web", "image": "'$IMAGE'", "memory": 64, "essential": true, "portMappings": [{"hostPort": 80, "containerPort": 80}]}]}'

leftovers() { # wait up to 5 s for the daemon to finish removals, print what is left
	_i=0
	while [ $_i -lt 50 ]; do
		_n=$(docker ps -aq --filter label=sprout.owner=sprout-hooks-test | wc -l)
		[ "$_n" = 0 ] && break
		sleep 0.1; _i=$((_i + 1))
	done
	echo "$_n"
}
# hook BUNDLE STAGE NAME BODY: an executable #!/bin/sh hook
hook() {
	mkdir -p "$1/.platform/hooks/$2"
	printf '#!/bin/sh\n%s\n' "$4" > "$1/.platform/hooks/$2/$3"
	chmod 755 "$1/.platform/hooks/$2/$3"
}
# root N: a fresh instance root whose var/app/staging holds bundle $2
root() {
	rm -rf "$WORK/roots/$1"
	mkdir -p "$WORK/roots/$1/var/app/current" "$WORK/roots/$1/var/log"
	cp -a "$2" "$WORK/roots/$1/var/app/staging"
	echo "$WORK/roots/$1"
}

# ---- 1. every stage and every command key, in order, on three instances ----
B=$WORK/order
mkdir -p "$B/.ebextensions"
echo "$DR" > "$B/Dockerrun.aws.json"
L=/var/app/staging/order.log
cat > "$B/.ebextensions/01-order.config" <<EOF
files:
  /etc/sprout-order/files.txt:
    content: "files\n"
  /opt/sprout/tool.sh:
    mode: "000755"
    content: |
      #!/bin/sh
      echo "commands tool \$1" >> $L
  /opt/sprout/b64.txt:
    encoding: base64
    content: aGVsbG8gYmFzZTY0Cg==
  /opt/sprout/link:
    mode: "120000"
    content: /opt/sprout/b64.txt
commands:
  01_files:
    command: cat /etc/sprout-order/files.txt >> $L
  02_env_cwd:
    command: echo "commands env=\$STEP pwd=\$(pwd) leader=\$EB_IS_COMMAND_LEADER prop=\${APP_PROP:-unset}" >> $L
    cwd: /tmp
    env:
      STEP: two
  03_test_false:
    command: echo "commands never" >> $L
    test: "false"
  04_test_true:
    command: echo "commands test-ok" >> $L
    test: test -f /var/app/staging/Dockerrun.aws.json
  05_ignore:
    command: echo "commands ignored" >> $L; exit 3
    ignoreErrors: true
  06_list:
    command: ["/bin/sh", "-c", "echo 'commands list' >> $L"]
  07_tool:
    command: /opt/sprout/tool.sh 7
container_commands:
  01_all:
    command: echo "cc 01_all leader=\$EB_IS_COMMAND_LEADER" >> $L
  02_leader:
    command: echo "cc 02_leader" >> $L
    leader_only: true
  03_cwd:
    command: echo "cc pwd=\$(pwd) prop=\$APP_PROP" >> $L
EOF
hook "$B" prebuild 01_a.sh "echo \"prebuild 01_a prop=\$APP_PROP pwd=\$(pwd)\" >> $L"
hook "$B" prebuild 02_b.sh "echo prebuild 02_b >> $L"
hook "$B" predeploy 01_pre.sh "echo predeploy >> $L"
hook "$B" postdeploy 01_post.sh "echo \"postdeploy pwd=\$(pwd)\" >> /var/app/current/order.log"

if sprout_out=$(build/sprout validate "$B" 2>&1); then
	ok "sprout validate accepts the ordered bundle"
else
	nok "sprout validate accepts the ordered bundle" "$sprout_out"
fi

R0=$(root 0 "$B"); R1=$(root 1 "$B"); R2=$(root 2 "$B")
t0=$(date +%s)
if "$PROBE" --image "$IMAGE" --timeout 60 --prop APP_PROP=hello --leader 1 "$B" "$R0" "$R1" "$R2" \
	>"$WORK/order.out" 2>"$WORK/order.err"; then
	ok "the plan runs on three instances ($(($(date +%s) - t0)) s)"
else
	nok "the plan runs on three instances" "$(cat "$WORK/order.out" "$WORK/order.err")"
fi

expect_leader="files
commands env=two pwd=/tmp leader=true prop=unset
commands test-ok
commands ignored
commands list
commands tool 7
prebuild 01_a prop=hello pwd=/var/app/staging
prebuild 02_b
cc 02_leader
cc 01_all leader=true
cc pwd=/var/app/staging prop=hello
predeploy
deploy
postdeploy pwd=/var/app/current"
expect_other=$(printf '%s\n' "$expect_leader" | grep -v '02_leader' | sed 's/leader=true/leader=false/')
got1=$(cat "$R1/var/app/current/order.log" 2>/dev/null)
if [ "$got1" = "$expect_leader" ]; then
	ok "EB's order on the leader: files, commands, prebuild, leader-only container_commands first, predeploy, deploy, postdeploy"
else
	nok "EB's order on the leader" "got:" "$got1"
fi
got0=$(cat "$R0/var/app/current/order.log" 2>/dev/null)
got2=$(cat "$R2/var/app/current/order.log" 2>/dev/null)
if [ "$got0" = "$expect_other" ] && [ "$got2" = "$expect_other" ]; then
	ok "the same order on the other instances, without the leader-only command"
else
	nok "the same order on the other instances" "got 0:" "$got0" "got 2:" "$got2"
fi
n_leader=$(cat "$R0/var/app/current/order.log" "$R1/var/app/current/order.log" \
	"$R2/var/app/current/order.log" 2>/dev/null | grep -c '^cc 02_leader$')
check "leader_only ran once across three instances ($n_leader)" [ "$n_leader" = 1 ]
if grep -q '^0 skipped (not leader): \[container_commands\] 02_leader' "$WORK/order.out" &&
	grep -q '^1 skipped (test): \[commands\] 03_test_false' "$WORK/order.out" &&
	grep -q '^1 failed (ignored): \[commands\] 05_ignore failed with exit code 3' "$WORK/order.out"; then
	ok "skips (leader, test) and ignoreErrors are reported per step"
else
	nok "skips (leader, test) and ignoreErrors are reported per step" "$(cat "$WORK/order.out")"
fi
# files landed in the instance root, with their modes; nothing on the host
if [ "$(cat "$R1/etc/sprout-order/files.txt")" = files ] &&
	[ "$(cat "$R1/opt/sprout/b64.txt")" = "hello base64" ] &&
	[ "$(readlink "$R1/opt/sprout/link")" = /opt/sprout/b64.txt ] &&
	[ "$(stat -c %a "$R1/opt/sprout/tool.sh")" = 755 ] &&
	[ ! -e /etc/sprout-order ] && [ ! -e /opt/sprout/tool.sh ]; then
	ok "files are written into the instance root (plain, base64, symlink, mode), not the host"
else
	nok "files are written into the instance root" "$(find "$R1/etc" "$R1/opt" -ls 2>&1)"
fi
if grep -q 'succeeded' "$R1/var/log/eb-hooks.log" 2>/dev/null &&
	grep -q '^prebuild 02_b$' "$R1/var/app/current/order.log"; then
	ok "every step's output goes to var/log/eb-hooks.log in the instance root"
else
	nok "every step's output goes to var/log/eb-hooks.log in the instance root"
fi
left=$(leftovers)
check "no hook container is left behind ($left)" [ "$left" = 0 ]

# ---- 2. a failing hook fails with its output ----
F=$WORK/fail
mkdir -p "$F"
echo "$DR" > "$F/Dockerrun.aws.json"
hook "$F" prebuild 01_ok.sh "seq 1 30000; echo prebuild ok >> $L"
hook "$F" prebuild 02_fail.sh 'echo "migrations: 3 pending"; echo "ERROR: database unreachable" >&2; exit 7'
hook "$F" predeploy 01_never.sh "echo predeploy >> $L"
RF=$(root f "$F")
"$PROBE" --image "$IMAGE" --timeout 60 "$F" "$RF" >"$WORK/fail.out" 2>&1
rc=$?
if [ $rc = 1 ] &&
	grep -q '^FAILED 0: \[prebuild\] .platform/hooks/prebuild/02_fail.sh failed with exit code 7$' "$WORK/fail.out" &&
	grep -q '^| migrations: 3 pending$' "$WORK/fail.out" &&
	grep -q '^| ERROR: database unreachable$' "$WORK/fail.out"; then
	ok "a failing hook fails the run with its name, exit code and output"
else
	nok "a failing hook fails the run with its name, exit code and output" "rc=$rc" "$(cat "$WORK/fail.out")"
fi
if [ "$(cat "$RF/var/app/staging/order.log")" = "prebuild ok" ]; then
	ok "nothing runs after the failing hook (no predeploy, no deployment)"
else
	nok "nothing runs after the failing hook" "$(cat "$RF/var/app/staging/order.log")"
fi

# 170 KB of output: the last MAX_HOOK_OUTPUT (64 KiB) are kept, the drop is marked
if grep -q '^\[... earlier output dropped ...\]$' "$RF/var/log/eb-hooks.log" &&
	grep -q '^30000$' "$RF/var/log/eb-hooks.log" && ! grep -q '^100$' "$RF/var/log/eb-hooks.log" &&
	[ "$(stat -c %s "$RF/var/log/eb-hooks.log")" -lt 80000 ]; then
	ok "a step's output is bounded: its last 64 KiB are kept"
else
	nok "a step's output is bounded: its last 64 KiB are kept" "$(head -n 5 "$RF/var/log/eb-hooks.log")"
fi

# ---- 3. a hanging hook is stopped by its timeout ----
H=$WORK/hang
mkdir -p "$H"
echo "$DR" > "$H/Dockerrun.aws.json"
hook "$H" predeploy 01_hang.sh 'echo "waiting forever"; sleep 600'
RH=$(root h "$H")
t0=$(date +%s)
"$PROBE" --image "$IMAGE" --timeout 2 "$H" "$RH" >"$WORK/hang.out" 2>&1
rc=$?
dt=$(($(date +%s) - t0))
if [ $rc = 1 ] && [ $dt -lt 30 ] &&
	grep -q '^FAILED 0: \[predeploy\] .platform/hooks/predeploy/01_hang.sh did not finish within 2 s and was stopped$' "$WORK/hang.out" &&
	grep -q '^| waiting forever$' "$WORK/hang.out"; then
	ok "a hanging hook is killed at its timeout (${dt} s) with its output"
else
	nok "a hanging hook is killed at its timeout" "rc=$rc dt=$dt" "$(cat "$WORK/hang.out")"
fi
left=$(leftovers)
check "the killed container is removed ($left left)" [ "$left" = 0 ]

# ---- 4. no hook can touch the host outside the instance root ----
E=$WORK/escape
mkdir -p "$E/.ebextensions"
echo "$DR" > "$E/Dockerrun.aws.json"
cat > "$E/.ebextensions/01.config" <<EOF
files:
  /etc/sprout-escape-files-$TAG:
    content: in the instance root
commands:
  01_etc:
    command: echo pwned > /etc/sprout-escape-cmd-$TAG
container_commands:
  01_dotdot:
    command: echo pwned > ../../../../../sprout-escape-dotdot-$TAG; mkdir -p /tmp; echo pwned > /var/app/staging/../../../../tmp/sprout-escape-tmp-$TAG
EOF
hook "$E" prebuild 01_etc.sh "echo pwned > /etc/sprout-escape-hook-$TAG; mkdir -p /root/.ssh; echo key >> /root/.ssh/authorized_keys.sprout-$TAG"
hook "$E" predeploy 01_link.sh "ln -s /etc /var/app/staging/evil; ln -s / /var/app/staging/rootfs"
RE=$(root e "$E")
listing() { ls -a "$WORK" "$WORK/roots" | grep -v -e '\.ls$' -e '^escape'; }
listing > "$WORK/before.ls"
"$PROBE" --image "$IMAGE" --timeout 60 --phase before "$E" "$RE" >"$WORK/escape.out" 2>&1
rc=$?
listing > "$WORK/after.ls"
bad=""
for p in /etc/sprout-escape-files-$TAG /etc/sprout-escape-cmd-$TAG /etc/sprout-escape-hook-$TAG \
	/sprout-escape-dotdot-$TAG /tmp/sprout-escape-tmp-$TAG /root/.ssh/authorized_keys.sprout-$TAG; do
	[ -e "$p" ] && bad="$bad $p"
done
if [ $rc = 0 ] && [ -z "$bad" ] && [ -f "$RE/etc/sprout-escape-files-$TAG" ] &&
	diff "$WORK/before.ls" "$WORK/after.ls" >/dev/null; then
	ok "hooks and commands writing to /etc, /root, ../../ stay inside their containers"
else
	nok "hooks and commands writing to /etc, /root, ../../ stay inside their containers" "rc=$rc found:$bad" "$(diff "$WORK/before.ls" "$WORK/after.ls")" "$(cat "$WORK/escape.out")"
	rm -f $bad
fi
# a second deployment whose files go through the symlinks a hook planted
E2=$WORK/escape2
mkdir -p "$E2/.ebextensions"
echo "$DR" > "$E2/Dockerrun.aws.json"
cat > "$E2/.ebextensions/01.config" <<EOF
files:
  /var/app/staging/evil/sprout-escape-link-$TAG:
    content: pwned
EOF
"$PROBE" --image "$IMAGE" --timeout 60 --phase before "$E2" "$RE" >"$WORK/escape2.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ ! -e /etc/sprout-escape-link-$TAG ] &&
	grep -q 'refusing to follow the symlink "evil"' "$WORK/escape2.out"; then
	ok "files never follow a symlink a hook planted in the instance root"
else
	nok "files never follow a symlink a hook planted in the instance root" "rc=$rc" "$(cat "$WORK/escape2.out")"
	rm -f /etc/sprout-escape-link-$TAG
fi

# ---- 5. a hook without the exec bit is refused before any deployment ----
X=$WORK/noexec
mkdir -p "$X/.platform/hooks/predeploy"
echo "$DR" > "$X/Dockerrun.aws.json"
printf '#!/bin/sh\necho migrate\n' > "$X/.platform/hooks/predeploy/01_migrate.sh"
chmod 644 "$X/.platform/hooks/predeploy/01_migrate.sh"
(cd "$X" && zip -qr "$WORK/noexec.zip" .)
build/sprout validate "$WORK/noexec.zip" >"$WORK/noexec.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'error\[BUNDLE_HOOK_NOT_EXECUTABLE\]' "$WORK/noexec.out" &&
	grep -q 'chmod +x .platform/hooks/predeploy/01_migrate.sh' "$WORK/noexec.out" &&
	grep -q 'git update-index --chmod=+x .platform/hooks/predeploy/01_migrate.sh' "$WORK/noexec.out"; then
	ok "sprout validate refuses a hook without the exec bit and shows the fix"
else
	nok "sprout validate refuses a hook without the exec bit and shows the fix" "rc=$rc" "$(cat "$WORK/noexec.out")"
fi

[ "$FAILED" = 0 ]
