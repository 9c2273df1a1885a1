#!/bin/sh
# tests/run-all.sh — runs every suite and ends with one line "N passed, N failed".
#
# Suites (each reports its own lines; this script only adds up):
#   unit         build/unit-tests (Criterion)
#   data         tests/run-data.sh over tests/data/<area>/<case>/
#   fuzz-replay  every harness over its corpus (tests/fuzz/corpus/<name>/)
#   integration  tests/integration/test_*.sh (real Docker, HAProxy, registry, moto)
#   e2e          tests/e2e/run.sh (headless Chromium), when present
#   asan         build-asan/unit-tests under ASan+UBSan
# SPROUT_SUITES="unit data" runs only some of them.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
SUITES=${SPROUT_SUITES:-"unit data fuzz-replay integration e2e asan"}
PASS=0
FAIL=0
LOG_DIR=${SPROUT_TEST_LOGS:-$top/build/test-logs}
mkdir -p "$LOG_DIR"

add() { PASS=$((PASS + $1)); FAIL=$((FAIL + $2)); }

criterion_suite() { # name binary
	name=$1 bin=$2
	if [ ! -x "$bin" ]; then echo "[$name] $bin is not built"; add 0 1; return; fi
	"$bin" --jobs 2 >"$LOG_DIR/$name.log" 2>&1
	rc=$?
	line=$(grep 'Synthesis:' "$LOG_DIR/$name.log" | tail -n 1)
	tested=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
	passing=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	if [ -z "$tested" ]; then
		echo "[$name] no synthesis line (exit $rc); see $LOG_DIR/$name.log"
		tail -n 30 "$LOG_DIR/$name.log"
		add 0 1
		return
	fi
	failed=$((tested - passing))
	[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
	[ "$failed" -ne 0 ] && grep -E '\[(FAIL|----)\]|CRASH' "$LOG_DIR/$name.log" | head -n 40
	echo "[$name] $passing passed, $failed failed"
	add "$passing" "$failed"
}

tap_suite() { # name command...: counts "ok" / "not ok" lines
	name=$1; shift
	mkdir -p "$(dirname "$LOG_DIR/$name.log")"
	"$@" >"$LOG_DIR/$name.log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$LOG_DIR/$name.log")
	f=$(grep -c '^not ok ' "$LOG_DIR/$name.log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "[$name] exited $rc without a failing test; see $LOG_DIR/$name.log"
		tail -n 20 "$LOG_DIR/$name.log"
		f=1
	fi
	grep -A 15 '^not ok ' "$LOG_DIR/$name.log" | head -n 120
	echo "[$name] $p passed, $f failed"
	add "$p" "$f"
}

for s in $SUITES; do
	case $s in
	unit) criterion_suite unit build/unit-tests ;;
	asan) ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 criterion_suite asan build-asan/unit-tests ;;
	data) tap_suite data sh tests/run-data.sh ;;
	fuzz-replay) tap_suite fuzz-replay sh tests/fuzz/replay.sh ;;
	integration)
		for t in tests/integration/test_*.sh; do
			[ -e "$t" ] || continue
			n=$(basename "$t" .sh)
			tap_suite "integration/$n" sh "$t"
		done ;;
	e2e) [ -f tests/e2e/run.sh ] && tap_suite e2e sh tests/e2e/run.sh ;;
	*) echo "unknown suite $s"; add 0 1 ;;
	esac
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
