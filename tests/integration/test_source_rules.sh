#!/bin/sh
# Source rules that the compiler cannot check on its own (conventions.md):
# every .c includes engine/base/banned.h as its last #include, so banned functions are
# compile errors; libraries (everything but engine/cli and tests) never print or exit.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
fail=0
for f in $(find engine bundles ebextensions platform-hooks tests/unit tests/fuzz -name '*.c' | sort); do
	last=$(grep -E '^#include' "$f" | tail -n 1)
	case $last in
	*'"engine/base/banned.h"'*) ;;
	*) echo "# $f: last include is '$last', not \"engine/base/banned.h\""; fail=1 ;;
	esac
done
[ $fail = 0 ] && echo "ok - every .c includes banned.h last" || echo "not ok - every .c includes banned.h last"
bad=$(grep -nE '\b(printf|fprintf|puts|exit)\s*\(' $(find engine bundles ebextensions platform-hooks -name '*.c' ! -path 'engine/cli/*') 2>/dev/null | grep -vE 'snprintf|vsnprintf|sp_buf_printf|//|/\*' )
if [ -z "$bad" ]; then
	echo "ok - libraries never print or exit"
else
	echo "not ok - libraries never print or exit"
	echo "$bad" | sed 's/^/#   /'
fi
# Every diagnostic code the sources can emit is documented in docs/diagnostics.md.
missing=""
for c in $(grep -rhoE '"(DOC|BUNDLE|DOCKERRUN|VALIDATE|IMAGE|EBX|PLAN|HOOK|COMMAND|FILES|AWS|API|ENV|DEPLOY|CLIENT|PROJECT|DRIVER|GIT)_[A-Z0-9_]+"' \
	--include=*.c engine bundles ebextensions platform-hooks | tr -d '"' | sort -u); do
	case $c in AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_PROFILE|AWS_REGION|AWS_DEFAULT_REGION|AWS_CONFIG_FILE|AWS_SHARED_CREDENTIALS_FILE|AWS_ENDPOINT_URL*|AWS_EC2_METADATA_DISABLED|AWS_DEFAULT_PROFILE|API_KEY|API_TOKEN|API_SECRET) continue ;; esac
	grep -q "\`$c\`" docs/diagnostics.md || missing="$missing $c"
done
if [ -z "$missing" ]; then
	echo "ok - every diagnostic code is documented in docs/diagnostics.md"
else
	echo "not ok - every diagnostic code is documented in docs/diagnostics.md"
	echo "#   undocumented:$missing"
fi
# What the tests read must survive a clone: no empty folders (git drops them) and no
# ignored files under tests/ or examples/.
empty=$(find tests/data examples -type d -empty 2>/dev/null)
ignored=$(git ls-files --others --ignored --exclude-standard tests/data examples 2>/dev/null)
if [ -z "$empty$ignored" ]; then
	echo "ok - test inputs survive a clone (no empty or ignored paths)"
else
	echo "not ok - test inputs survive a clone (no empty or ignored paths)"
	printf '%s\n' $empty $ignored | sed 's/^/#   /'
fi
# Dependency direction (docs/architecture.md): bundles/, ebextensions/ and platform-hooks/
# include nothing from engine/ but engine/base.
up=$(grep -n '#include "engine/' bundles/* ebextensions/* platform-hooks/*.[ch] 2>/dev/null | grep -v '"engine/base/')
if [ -z "$up" ]; then
	echo "ok - bundles/, ebextensions/, platform-hooks/ depend only on engine/base"
else
	echo "not ok - bundles/, ebextensions/, platform-hooks/ depend only on engine/base"
	echo "$up" | sed 's/^/#   /'
fi
