#!/bin/sh
# tests/integration/test_cfn_lint.sh — the CloudFormation export of every plan case
# (tests/data/plan/<case>/) passes cfn-lint with no error (warnings are allowed).
#
# For each case whose cmd runs `sprout plan`, the case is copied to a scratch folder, its
# setup (if any) runs, and the same command runs with --format cloudformation instead of
# its own format. Cases that expect errors (expected.rc != 0) have no export: they are
# reported as skipped. cfn-lint runs once over all templates (it is slow to start).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$top/build:$PATH"
export PATH NO_COLOR=1
if ! command -v cfn-lint >/dev/null 2>&1; then
	echo "not ok - cfn-lint is not installed (make deps)"
	exit 1
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/templates"
cases=""
for dir in "$top"/tests/data/plan/*/; do
	name=$(basename "$dir")
	[ -f "$dir/cmd" ] || continue
	cmd=$(cat "$dir/cmd")
	case $cmd in "sprout plan "*) ;; *) continue ;; esac
	case $cmd in *--config-only*|*--list-options*) continue ;; esac
	# A case that chains several commands checks their messages, not one plan.
	case $cmd in *";"*|*"|"*|*"&&"*)
		echo "ok - cfn-lint plan/$name # SKIP the case runs several commands, not one plan"
		continue ;;
	esac
	want_rc=0
	[ -f "$dir/expected.rc" ] && want_rc=$(cat "$dir/expected.rc")
	if [ "$want_rc" != 0 ]; then
		echo "ok - cfn-lint plan/$name # SKIP the case expects errors, so there is no plan"
		continue
	fi
	work="$scratch/$name"
	mkdir -p "$work" "$scratch/home-$name"
	cp -R "$dir/." "$work/"
	if [ -f "$work/setup" ] && ! (cd "$work" && sh ./setup) >"$scratch/$name.setup" 2>&1; then
		echo "not ok - cfn-lint plan/$name: setup failed"
		sed 's/^/#   /' "$scratch/$name.setup"
		continue
	fi
	# the case's own command, exporting CloudFormation instead of its format
	cfn_cmd=$(printf '%s\n' "$cmd" | sed -e 's/ --json//g' -e 's/ --format [a-z]*//g')
	cfn_cmd="$cfn_cmd --format cloudformation"
	if ! (cd "$work" && HOME="$scratch/home-$name" sh -c "$cfn_cmd") \
		>"$scratch/templates/$name.json" 2>"$scratch/$name.err"; then
		echo "not ok - cfn-lint plan/$name: export failed"
		sed 's/^/#   /' "$scratch/$name.err"
		rm -f "$scratch/templates/$name.json"
		continue
	fi
	cases="$cases $name"
done
[ -n "$cases" ] || { echo "not ok - no plan case to lint"; exit 1; }
(cd "$scratch/templates" && cfn-lint --format parseable -- *.json) >"$scratch/lint.out" 2>&1
lint_rc=$?
for name in $cases; do
	# parseable lines: file:line:col:endline:endcol:RULE:message; E* rules are errors
	errs=$(grep "^$name\.json:" "$scratch/lint.out" | awk -F: '$6 ~ /^E/' )
	if [ -n "$errs" ]; then
		echo "not ok - cfn-lint plan/$name"
		printf '%s\n' "$errs" | head -n 20 | sed 's/^/#   /'
	else
		echo "ok - cfn-lint plan/$name"
	fi
done
# cfn-lint's exit status has bit 2 for errors; anything it could not parse is an error too
if [ $((lint_rc & 2)) -ne 0 ] && ! grep -q ':E' "$scratch/lint.out"; then
	echo "not ok - cfn-lint failed without naming a template (exit $lint_rc)"
	sed 's/^/#   /' "$scratch/lint.out" | head -n 20
fi
exit 0
