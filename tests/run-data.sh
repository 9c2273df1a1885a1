#!/bin/sh
# tests/run-data.sh — the data-driven suite. Each case is a folder
# tests/data/<area>/<case>/ holding:
#   cmd           one shell line, run by sh in a scratch copy of the case folder, with
#                 build/sprout first on PATH as `sprout`, NO_COLOR=1, HOME and
#                 SPROUT_DATA_DIR in a fresh temporary folder;
#   expected.out  exact expected standard output (optional);
#   expected.err  exact expected standard error (optional);
#   expected.rc   expected exit status (default 0);
#   setup         optional shell script run first in the scratch copy (to generate
#                 inputs such as hostile bundles that must not be committed as binaries).
# A new case needs no code. Prints "ok - area/case" or "not ok - area/case" with a diff.
# SPROUT_DATA_FILTER=glob limits the cases (e.g. "dockerrun/*").
# SPROUT_DATA_UPDATE=1 rewrites expected.* from the actual output (review the diff!).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/build:$PATH"
export PATH NO_COLOR=1 SPROUT_TOP="$top"
unset SPROUT_ENDPOINT SPROUT_TOKEN
filter=${SPROUT_DATA_FILTER:-"*/*"}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
n=0
for dir in "$top"/tests/data/$filter/; do
	[ -f "$dir/cmd" ] || continue
	case_name=${dir#"$top"/tests/data/}
	case_name=${case_name%/}
	n=$((n + 1))
	work="$scratch/$n"
	mkdir -p "$work/case" "$work/home"
	cp -R "$dir/." "$work/case/"
	rm -f "$work/case/expected.out" "$work/case/expected.err" "$work/case/expected.rc"
	ok=1
	msg=""
	if [ -f "$work/case/setup" ]; then
		if ! (cd "$work/case" && HOME="$work/home" sh ./setup) >"$work/setup.log" 2>&1; then
			ok=0; msg="setup failed: $(cat "$work/setup.log")"
		fi
		rm -f "$work/case/setup"
	fi
	if [ $ok = 1 ]; then
		(cd "$work/case" && HOME="$work/home" SPROUT_DATA_DIR="$work/home/data" \
			sh -c "$(cat cmd)") >"$work/out" 2>"$work/err" </dev/null
		rc=$?
		want_rc=0
		[ -f "$dir/expected.rc" ] && want_rc=$(cat "$dir/expected.rc")
		if [ "${SPROUT_DATA_UPDATE:-}" = 1 ]; then
			cp "$work/out" "$dir/expected.out"
			[ -s "$work/err" ] && cp "$work/err" "$dir/expected.err" || rm -f "$dir/expected.err"
			echo "$rc" > "$dir/expected.rc"
			want_rc=$rc
		fi
		if [ "$rc" != "$want_rc" ]; then ok=0; msg="exit $rc, expected $want_rc"; fi
		for stream in out err; do
			if [ -f "$dir/expected.$stream" ]; then
				if ! diff -u "$dir/expected.$stream" "$work/$stream" >"$work/diff.$stream"; then
					ok=0; msg="$msg
std$stream differs:
$(head -n 60 "$work/diff.$stream")"
				fi
			fi
		done
		if [ $ok = 0 ] && [ ! -f "$dir/expected.err" ] && [ -s "$work/err" ]; then
			msg="$msg
stderr:
$(head -n 20 "$work/err")"
		fi
	fi
	if [ $ok = 1 ]; then
		echo "ok - $case_name"
	else
		echo "not ok - $case_name"
		printf '%s\n' "$msg" | sed 's/^/#   /'
	fi
	rm -rf "$work"
done
[ $n -gt 0 ] || echo "# no data cases"
