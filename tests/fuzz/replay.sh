#!/bin/sh
# tests/fuzz/replay.sh — replays every harness's corpus (tests/fuzz/corpus/<name>/) through
# the harness built with the standalone driver (build/fuzz-replay/<name>), as libgit2's
# fuzzers/standalone_driver.c does. One "ok" line per harness.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c); name=${name#fuzz_}
	bin=build/fuzz-replay/$name
	corpus=tests/fuzz/corpus/$name
	if [ ! -x "$bin" ]; then echo "not ok - fuzz $name: $bin not built"; continue; fi
	if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then echo "not ok - fuzz $name: empty corpus $corpus"; continue; fi
	if out=$("$bin" "$corpus" 2>&1); then
		echo "ok - fuzz $name: $(echo "$out" | tail -n 1)"
	else
		echo "not ok - fuzz $name"
		echo "$out" | tail -n 20 | sed 's/^/#   /'
	fi
done
