#!/bin/sh
# build-helpers.sh — compiles the AWS test programs in tests/integration/aws/*.c into
# build/aws-tests/ against build/libsprout.a, with the Makefile's flags and pkg-config.
set -eu
top=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$top"
[ -f build/libsprout.a ] || { echo "build/libsprout.a is missing: run make build-tests" >&2; exit 1; }
PKGS="libarchive jansson libcurl yaml-0.1 sqlite3 libmicrohttpd libcrypto libxml-2.0"
mkdir -p build/aws-tests
for src in tests/integration/aws/*.c; do
	out=build/aws-tests/$(basename "$src" .c)
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ] || [ build/libsprout.a -nt "$out" ]; then
		# shellcheck disable=SC2046
		${CC:-gcc} -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow \
			-Wstrict-prototypes -Wmissing-prototypes -Wvla -Wno-unused-parameter -I. \
			$(pkg-config --cflags $PKGS) -o "$out" "$src" build/libsprout.a \
			$(pkg-config --libs $PKGS) -lpthread
	fi
done
