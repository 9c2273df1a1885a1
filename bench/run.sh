#!/bin/sh
# bench/run.sh — `make bench`: runs every bench/*.sh (except this one); each prints its
# numbers and updates its own section of docs/benchmarks.md.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
fail=0
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	echo "== $b"
	sh "$b" || { echo "bench: $b failed"; fail=1; }
done
exit $fail
