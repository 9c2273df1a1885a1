#!/bin/sh
# tools/deps.sh — installs every Debian package sprout uses to build, run and test.
# Idempotent and non-interactive. `--check` only reports (exit 1 when something is missing).
# Add packages to the lists below; nothing may depend on a package installed by hand.
set -eu

# build
BUILD_PKGS="build-essential pkg-config clang libclang-rt-14-dev libarchive-dev libjansson-dev
 libcurl4-openssl-dev libyaml-dev libsqlite3-dev libmicrohttpd-dev libssl-dev libxml2-dev
 libcriterion-dev"
# run and test
RUN_PKGS="git curl ca-certificates openssl zip unzip libarchive-tools docker.io haproxy
 docker-registry docker-compose busybox-static sqlite3 procps psmisc iproute2 python3 python3-pip wrk
 hyperfine nginx-light apache2-utils bc time jq bsdutils chromium"

PKGS="$BUILD_PKGS $RUN_PKGS"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

# Node.js drives the console tests (tests/e2e: npm's playwright-core). A machine's own
# node/npm (newer than Debian's npm) is used when present; Debian's otherwise.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
top=$(cd "$(dirname "$0")/.." && pwd)
e2e_missing=""
[ -f "$top/tests/e2e/node_modules/playwright-core/package.json" ] || e2e_missing=" tests/e2e/node_modules"

# Python tools used as independent checkers (moto's server, cfn-lint, the aws CLI).
pymissing=""
python3 -c 'import moto.server' 2>/dev/null || pymissing="$pymissing moto[server]"
command -v cfn-lint >/dev/null 2>&1 || pymissing="$pymissing cfn-lint"
command -v aws >/dev/null 2>&1 || pymissing="$pymissing awscli"

if [ "${1:-}" = "--check" ]; then
	[ -z "$missing$pymissing$e2e_missing" ] && exit 0
	echo "missing:$missing$pymissing$e2e_missing"
	exit 1
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: need root to install:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# An update first when the package lists are empty or older than a day.
	if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
		apt-get update -qq
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ -n "$pymissing" ]; then
	# shellcheck disable=SC2086
	python3 -m pip install -q $pymissing || {
		echo "deps: could not install$pymissing with pip" >&2
		exit 1
	}
fi
if [ -n "$e2e_missing" ]; then
	# playwright-core, exactly as tests/e2e/package-lock.json pins it (no browser download:
	# the tests use Debian's chromium)
	(cd "$top/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error) || {
		echo "deps: npm ci in tests/e2e failed" >&2
		exit 1
	}
fi
echo "deps: all installed"
