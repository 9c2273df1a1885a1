#!/bin/sh
# `make install` puts the binary and everything it needs at run time (console files,
# git hook scripts) where the installed binary finds them without the source tree.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/services.sh"
svc_init
trap svc_stop_all EXIT
dest="$SVC_DIR/dest"
if make -C "$top" -s install DESTDIR="$dest" PREFIX=/opt/sprout >"$SVC_DIR/install.log" 2>&1; then
	echo "ok - make install DESTDIR PREFIX"
else
	echo "not ok - make install DESTDIR PREFIX"; sed 's/^/#   /' "$SVC_DIR/install.log"; exit 0
fi
bin="$dest/opt/sprout/bin/sprout"
[ -x "$bin" ] && [ -f "$dest/opt/sprout/share/sprout/web/index.html" ] &&
	[ -z "$(find "$dest" -name '*.[ch]')" ] &&
	echo "ok - installed tree has the binary and the console, no sources" ||
	echo "not ok - installed tree has the binary and the console, no sources"
# Run the installed binary from a folder with no source tree in sight.
port=$(svc_free_port)
mkdir -p "$SVC_DIR/data" "$SVC_DIR/cwd"
(cd "$SVC_DIR/cwd" && exec "$bin" serve --data-dir "$SVC_DIR/data" --listen "127.0.0.1:$port") \
	>"$SVC_DIR/serve.log" 2>&1 &
svc_record serve $!
if svc_wait_http "http://127.0.0.1:$port/api/v1/health" 20 &&
	curl -sf "http://127.0.0.1:$port/" | grep -q '<html'; then
	echo "ok - the installed engine serves the console without the source tree"
else
	echo "not ok - the installed engine serves the console without the source tree"
	sed 's/^/#   /' "$SVC_DIR/serve.log" | tail -n 20
fi
