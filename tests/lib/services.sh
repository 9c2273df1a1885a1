# tests/lib/services.sh — start and stop the real components tests use, on 127.0.0.1.
# Source it from a test script:  . "$(dirname "$0")/../lib/services.sh"
#
# Everything started is recorded in $SVC_DIR (one pid file each) and stopped by pid in
# svc_stop_all, which a test installs as its EXIT trap:  trap svc_stop_all EXIT
# Nothing that was already running is ever stopped.
#
#   svc_init                 make $SVC_DIR (a fresh temp dir unless already set)
#   svc_free_port            print a free TCP port on 127.0.0.1
#   svc_docker               make sure a Docker daemon answers on /var/run/docker.sock
#                            (starts dockerd when none does; recorded for stopping)
#   svc_image_busybox REF    build the offline test image REF from busybox-static
#                            (docker import of a tiny root filesystem; idempotent)
#   svc_registry PORT [CONFIG_YML]   start Debian's docker-registry on 127.0.0.1:PORT
#                            (default config: anonymous, filesystem storage in $SVC_DIR)
#   svc_moto PORT            start moto's AWS server on 127.0.0.1:PORT
#   svc_wait_http URL [SECONDS]      wait until URL answers (any HTTP status)
#   svc_python NAME SCRIPT [ARGS...] start a python3 helper (a test server) in the
#                            background, recorded for stopping; log in $SVC_DIR/NAME.log
#   svc_wait_port PORT [SECONDS]     wait until something listens on 127.0.0.1:PORT
#   svc_tls_cert DIR         make a throwaway CA (DIR/ca.pem) and a server certificate
#                            for 127.0.0.1 and localhost (DIR/server.pem, DIR/server.key)
#   svc_htpasswd USER PASS   print a bcrypt htpasswd line (htpasswd -Bbn, else python)
#   svc_push LOCAL REMOTE    docker tag LOCAL REMOTE and push it; prints the digest
#   svc_loopback_pool        print "127.0.X.1-127.0.X.254" for a /24 of 127.0.0.0/8 on
#                            which nothing listens yet (a local driver's address pool)
#   svc_record_pidfile NAME FILE   record the pid written in FILE (a daemon that detached,
#                            e.g. the driver's HAProxy master) so svc_stop_all stops it
#   svc_stop_all             stop everything this script started, by pid

svc_init() {
	if [ -z "${SVC_DIR:-}" ]; then
		SVC_DIR=$(mktemp -d /tmp/sprout-svc.XXXXXX)
		export SVC_DIR
	fi
	mkdir -p "$SVC_DIR/pids"
}

svc_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

svc_record() { # name pid
	echo "$2" > "$SVC_DIR/pids/$1.pid"
}

svc_wait_http() { # url [seconds]
	_url=$1; _t=${2:-30}; _i=0
	while [ "$_i" -lt $((_t * 10)) ]; do
		curl -s -o /dev/null --max-time 2 "$_url" && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	echo "svc: $_url did not answer within ${_t}s" >&2
	return 1
}

svc_docker() {
	svc_init
	if curl -s --max-time 3 --unix-socket /var/run/docker.sock http://docker/_ping 2>/dev/null | grep -q OK; then
		return 0
	fi
	command -v dockerd >/dev/null || { echo "svc: dockerd missing (make deps installs docker.io)" >&2; return 1; }
	dockerd --host unix:///var/run/docker.sock >"$SVC_DIR/dockerd.log" 2>&1 &
	svc_record dockerd $!
	_i=0
	while [ $_i -lt 300 ]; do
		curl -s --max-time 2 --unix-socket /var/run/docker.sock http://docker/_ping 2>/dev/null | grep -q OK && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	echo "svc: dockerd did not start; log:" >&2; tail -n 20 "$SVC_DIR/dockerd.log" >&2
	return 1
}

svc_image_busybox() { # ref
	svc_docker || return 1
	docker image inspect "$1" >/dev/null 2>&1 && return 0
	_root=$(mktemp -d)
	mkdir -p "$_root/bin" "$_root/tmp" "$_root/var/www" "$_root/etc"
	cp /bin/busybox "$_root/bin/busybox"
	for _a in sh ls cat echo sleep httpd wget nc env printf date hostname mkdir tee true false \
		grep sed awk head tail id kill ps rm cp mv touch wc seq yes; do
		ln -s busybox "$_root/bin/$_a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" > "$_root/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/sh" >> "$_root/etc/passwd"
	echo "root:x:0:" > "$_root/etc/group"
	tar -C "$_root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$1" >/dev/null
	_rc=$?
	rm -rf "$_root"
	return $_rc
}

svc_registry() { # port [config]
	svc_init
	_port=$1; _cfg=${2:-}
	if [ -z "$_cfg" ]; then
		_cfg="$SVC_DIR/registry-$_port.yml"
		mkdir -p "$SVC_DIR/registry-$_port"
		cat > "$_cfg" <<EOC
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $SVC_DIR/registry-$_port
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$_port
EOC
	fi
	docker-registry serve "$_cfg" >"$SVC_DIR/registry-$_port.log" 2>&1 &
	svc_record "registry-$_port" $!
	svc_wait_http "http://127.0.0.1:$_port/v2/" 20 || svc_wait_http "https://127.0.0.1:$_port/v2/" 5
}

svc_moto() { # port
	svc_init
	python3 -m moto.server -H 127.0.0.1 -p "$1" >"$SVC_DIR/moto-$1.log" 2>&1 &
	svc_record "moto-$1" $!
	svc_wait_http "http://127.0.0.1:$1/" 60
}

svc_python() { # name script [args...]
	svc_init
	_n=$1; shift
	python3 "$@" >"$SVC_DIR/$_n.log" 2>&1 &
	svc_record "$_n" $!
}

svc_wait_port() { # port [seconds]
	_t=${2:-20}; _i=0
	while [ "$_i" -lt $((_t * 10)) ]; do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	echo "svc: nothing listens on 127.0.0.1:$1 after ${_t}s" >&2
	return 1
}

svc_tls_cert() { # dir
	mkdir -p "$1" || return 1
	(
		cd "$1" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
			-subj /CN=sprout-test-ca 2>/dev/null &&
		openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
			-subj /CN=127.0.0.1 2>/dev/null &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out server.pem -days 2 -extfile server.ext 2>/dev/null
	)
}

svc_htpasswd() { # user password
	if command -v htpasswd >/dev/null 2>&1; then
		htpasswd -Bbn "$1" "$2" | head -n 1
	else
		python3 -W ignore -c 'import crypt,sys; print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))' "$1" "$2"
	fi
}

svc_push() { # local-ref remote-ref
	docker tag "$1" "$2" || return 1
	_out=$(docker push "$2" 2>&1) || { echo "$_out" >&2; return 1; }
	echo "$_out" | sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p' | tail -n 1
}

svc_loopback_pool() {
	python3 - <<'EOP'
import random, subprocess
try:
    out = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True).stdout
except OSError:
    out = ""
busy = set()
for line in out.splitlines():
    f = line.split()
    if len(f) >= 4 and f[3].startswith("127.0."):
        busy.add(f[3].split(".")[2])
cands = [x for x in range(100, 250) if str(x) not in busy]
x = random.choice(cands)
print("127.0.%d.1-127.0.%d.254" % (x, x))
EOP
}

svc_record_pidfile() { # name file
	svc_init
	[ -s "$2" ] && svc_record "$1" "$(cat "$2")"
}

svc_stop_all() {
	[ -n "${SVC_DIR:-}" ] && [ -d "$SVC_DIR/pids" ] || return 0
	for _f in "$SVC_DIR"/pids/*.pid; do
		[ -e "$_f" ] || continue
		_p=$(cat "$_f")
		kill "$_p" 2>/dev/null
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
		kill -9 "$_p" 2>/dev/null
		rm -f "$_f"
	done
	rm -rf "$SVC_DIR"
}

# svc_build_probe SRC OUT ASAN LOG — builds a test program against the project's library
# with the project's flags: build/libsprout.a, or build-asan/ with sanitizers when ASAN is
# 1. Prints the library folder used; compiler output goes to LOG. Run from the top.
svc_build_probe() {
	_lib=build; _san=""
	if [ "$3" = 1 ]; then
		_lib=build-asan
		_san="-fsanitize=address,undefined -fno-omit-frame-pointer"
	fi
	echo "$_lib"
	if [ ! -f "$_lib/libsprout.a" ]; then
		echo "$_lib/libsprout.a is missing (make build-tests)" >"$4"
		return 1
	fi
	_pkgs="libarchive jansson libcurl yaml-0.1 sqlite3 libmicrohttpd libcrypto libxml-2.0"
	# shellcheck disable=SC2046,SC2086
	${CC:-gcc} -std=c17 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
		$_san -I. $(pkg-config --cflags $_pkgs) -o "$2" "$1" \
		"$_lib/libsprout.a" $(pkg-config --libs $_pkgs) -lpthread 2>"$4"
}
