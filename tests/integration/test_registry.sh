#!/bin/sh
# test_registry.sh — image checks (engine/registry) against the real Debian docker-registry
# on 127.0.0.1, through `sprout validate --check-images`, plus the bucket store that holds
# the credentials (`sprout bucket`).
#
# Three registries share one storage directory, so images pushed once (over plain http,
# which Docker allows on loopback) are served by all three:
#   anon   anonymous, plain http
#   basic  htpasswd (bcrypt) over TLS, with a certificate made here (CA given by option)
#   token  Bearer tokens from tests/integration/registry/token_server.py (RS256 JWTs, x5c)
# plus a port nothing listens on (down) and a socket that never answers (silent).
# Everything is started by tests/lib/services.sh and stopped by pid on exit.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/services.sh"
PATH="${SPROUT_TEST_BIN:-$top/build}:$PATH" # SPROUT_TEST_BIN: e.g. an ASan build
export PATH NO_COLOR=1
helpers=$top/tests/integration/registry
trap svc_stop_all EXIT INT TERM
svc_init
W=$SVC_DIR/work
mkdir -p "$W"
export SPROUT_DATA_DIR="$W/data"
USER_NAME=sprout-user
PASSWORD='Pa55-w0rd-not-in-output'
WRONG='Wr0ng-pa55-not-in-output'

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

command -v docker-registry >/dev/null || { echo "not ok - docker-registry missing (make deps)"; exit 1; }
svc_docker || { echo "not ok - no Docker daemon"; exit 1; }

# ---- registries ---------------------------------------------------------------------
P_ANON=$(svc_free_port)
svc_registry "$P_ANON" || { echo "not ok - anonymous registry did not start"; exit 1; }
STORAGE=$SVC_DIR/registry-$P_ANON
ok "anonymous registry on 127.0.0.1:$P_ANON"

svc_image_busybox sprout-test/busybox:1 || { echo "not ok - cannot build the test image"; exit 1; }
DIGEST=$(svc_push sprout-test/busybox:1 "127.0.0.1:$P_ANON/team/busybox:1.0")
case $DIGEST in
sha256:*) ok "pushed team/busybox:1.0 ($DIGEST)" ;;
*) echo "not ok - push to 127.0.0.1:$P_ANON failed"; exit 1 ;;
esac
svc_push sprout-test/busybox:1 "127.0.0.1:$P_ANON/private/app:2" >/dev/null
docker rmi "127.0.0.1:$P_ANON/team/busybox:1.0" "127.0.0.1:$P_ANON/private/app:2" >/dev/null 2>&1

svc_tls_cert "$W/tls" || { echo "not ok - openssl could not make certificates"; exit 1; }
svc_htpasswd "$USER_NAME" "$PASSWORD" > "$W/htpasswd"
P_BASIC=$(svc_free_port)
cat > "$W/basic.yml" <<EOC
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STORAGE}
http:
  addr: 127.0.0.1:$P_BASIC
  secret: basic-test-secret
  tls: {certificate: $W/tls/server.pem, key: $W/tls/server.key}
auth:
  htpasswd: {realm: sprout-test, path: $W/htpasswd}
EOC
svc_registry "$P_BASIC" "$W/basic.yml" 2>/dev/null
svc_wait_port "$P_BASIC" && ok "htpasswd + TLS registry on 127.0.0.1:$P_BASIC" ||
	notok "htpasswd + TLS registry did not start" "$(tail -n 5 "$SVC_DIR/registry-$P_BASIC.log")"

P_TOKEN_SRV=$(svc_free_port)
P_TOKEN=$(svc_free_port)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/token.key" -out "$W/token.pem" -days 2 \
	-subj /CN=sprout-token-signer 2>/dev/null
svc_python token-server "$helpers/token_server.py" "$P_TOKEN_SRV" "$W/token.key" "$W/token.pem" \
	sprout-test-issuer "$USER_NAME:$PASSWORD"
cat > "$W/token.yml" <<EOC
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STORAGE}
http:
  addr: 127.0.0.1:$P_TOKEN
  secret: token-test-secret
auth:
  token:
    realm: http://127.0.0.1:$P_TOKEN_SRV/token
    service: sprout-test-registry
    issuer: sprout-test-issuer
    rootcertbundle: $W/token.pem
EOC
svc_registry "$P_TOKEN" "$W/token.yml"
svc_wait_port "$P_TOKEN_SRV" && ok "Bearer token registry on 127.0.0.1:$P_TOKEN, token server on $P_TOKEN_SRV" ||
	notok "token server did not start" "$(tail -n 5 "$SVC_DIR/token-server.log")"

P_DOWN=$(svc_free_port) # nothing listens there
P_SILENT=$(svc_free_port)
svc_python silent "$helpers/silent_server.py" "$P_SILENT"
svc_wait_port "$P_SILENT"

# ---- helpers --------------------------------------------------------------------------
# app NAME [AUTH_JSON] IMAGE...: a folder with a Dockerrun.aws.json v2, one container per image
app() {
	_d=$W/$1; _auth=$2; shift 2
	mkdir -p "$_d"
	{
		printf '{\n  "AWSEBDockerrunVersion": 2,\n'
		[ -n "$_auth" ] && printf '  "authentication": %s,\n' "$_auth"
		printf '  "containerDefinitions": [\n'
		_i=0
		for _img in "$@"; do
			[ $_i -gt 0 ] && printf ',\n'
			_ports=""
			[ $_i = 0 ] && _ports=', "portMappings": [{"hostPort": 80, "containerPort": 80}]'
			printf '    {"name": "c%d", "image": "%s", "essential": true, "memory": 64%s}' "$_i" "$_img" "$_ports"
			_i=$((_i + 1))
		done
		printf '\n  ]\n}\n'
	} > "$_d/Dockerrun.aws.json"
	echo "$_d"
}

# check NAME [validate options...]: runs validate --check-images, output in $OUT, rc in $RC
check() {
	_n=$1; shift
	OUT=$(cd "$W" && sprout validate --check-images --registry-timeout 3 "$@" "$_n" 2>&1)
	RC=$?
	printf '%s\n' "$OUT" >> "$W/all-output.log"
}

# expect DESC RC PATTERN...: the last check exited RC and printed every PATTERN
expect() {
	_desc=$1 _rc=$2; shift 2
	for _p in "$@"; do
		if ! printf '%s\n' "$OUT" | grep -q -- "$_p"; then
			notok "$_desc" "missing: $_p" "exit: $RC" "$(printf '%s\n' "$OUT" | head -n 8)"
			return
		fi
	done
	if [ "$RC" != "$_rc" ]; then
		notok "$_desc" "exit $RC, expected $_rc" "$(printf '%s\n' "$OUT" | head -n 8)"
		return
	fi
	ok "$_desc"
}

auth_config() { # host user password -> a docker config.json on stdout
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$1" "$(printf '%s:%s' "$2" "$3" | base64 -w0)"
}

# ---- the bucket store ---------------------------------------------------------------
auth_config "127.0.0.1:$P_BASIC" "$USER_NAME" "$PASSWORD" > "$W/good.json"
auth_config "127.0.0.1:$P_BASIC" "$USER_NAME" "$WRONG" > "$W/wrong.json"
auth_config "127.0.0.1:$P_TOKEN" "$USER_NAME" "$PASSWORD" > "$W/token-good.json"
auth_config "127.0.0.1:$P_TOKEN" "$USER_NAME" "$WRONG" > "$W/token-wrong.json"
if sprout bucket put sprout-creds basic/good.json "$W/good.json" >/dev/null &&
	sprout bucket put sprout-creds basic/wrong.json "$W/wrong.json" >/dev/null &&
	sprout bucket put sprout-creds token/good.json < "$W/token-good.json" >/dev/null &&
	sprout bucket put sprout-creds token/wrong.json "$W/token-wrong.json" >/dev/null &&
	[ "$(sprout bucket list sprout-creds | tr '\n' ' ')" = "basic/good.json basic/wrong.json token/good.json token/wrong.json " ] &&
	[ "$(sprout bucket list)" = "sprout-creds" ] &&
	sprout bucket get sprout-creds basic/good.json | cmp -s - "$W/good.json" &&
	[ "$(stat -c %a "$SPROUT_DATA_DIR/buckets/sprout-creds/basic/good.json")" = 600 ]; then
	ok "bucket put/list/get (objects mode 0600)"
else
	notok "bucket put/list/get" "$(ls -lR "$SPROUT_DATA_DIR" 2>&1 | head -n 10)"
fi
OUT=$(sprout bucket put sprout-creds ../../escape "$W/good.json" 2>&1); RC=$?
[ $RC = 2 ] && [ ! -e "$SPROUT_DATA_DIR/escape" ] && ok "bucket refuses a key that climbs out" ||
	notok "bucket refuses a key that climbs out" "$OUT"
OUT=$(sprout bucket put Bad_Bucket k "$W/good.json" 2>&1); RC=$?
[ $RC = 2 ] && ok "bucket refuses an invalid bucket name" || notok "bucket refuses an invalid bucket name" "$OUT"
sprout bucket put sprout-creds tmp/x "$W/good.json" >/dev/null
OUT=$(sprout bucket rm sprout-creds tmp/x 2>&1 && sprout bucket get sprout-creds tmp/x 2>&1); RC=$?
[ $RC = 1 ] && [ ! -e "$SPROUT_DATA_DIR/buckets/sprout-creds/tmp" ] && ok "bucket rm" || notok "bucket rm" "$OUT"

# ---- anonymous registry ---------------------------------------------------------------
R=127.0.0.1:$P_ANON
app anon-found "" "$R/team/busybox:1.0" >/dev/null
check anon-found
expect "anonymous: tag found, with the pushed digest" 0 "IMAGE_FOUND" "$DIGEST" 'container "c0"' \
	"Dockerrun.aws.json:[0-9]*:[0-9]*: note"

app anon-digest "" "$R/team/busybox@$DIGEST" >/dev/null
check anon-digest
expect "anonymous: digest found" 0 "IMAGE_FOUND" "$DIGEST"

app anon-tag "" "$R/team/busybox:no-such-tag" >/dev/null
check anon-tag
expect "anonymous: tag missing" 1 "error\[IMAGE_TAG_NOT_FOUND\]" 'container "c0"' "team/busybox:no-such-tag"

app anon-baddigest "" "$R/team/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000" >/dev/null
check anon-baddigest
expect "anonymous: digest missing" 1 "error\[IMAGE_DIGEST_NOT_FOUND\]"

app anon-repo "" "$R/no/such-repo:1" >/dev/null
check anon-repo
expect "anonymous: repository missing" 1 "error\[IMAGE_REPO_NOT_FOUND\]" "no/such-repo"

app anon-mixed "" "$R/team/busybox:1.0" "$R/team/busybox:gone" "$R/nothing/here:1" "127.0.0.1:$P_DOWN/x/y:1" >/dev/null
check anon-mixed
expect "four images of one version: every outcome reported at once" 1 \
	'c0.*IMAGE_FOUND\|IMAGE_FOUND.*c0' "IMAGE_TAG_NOT_FOUND" "IMAGE_REPO_NOT_FOUND" "IMAGE_REGISTRY_UNREACHABLE"

# ---- htpasswd + TLS -------------------------------------------------------------------
R=127.0.0.1:$P_BASIC
app basic-good '{"bucket": "sprout-creds", "key": "basic/good.json"}' "$R/private/app:2" >/dev/null
check basic-good --registry-ca "$W/tls/ca.pem"
expect "htpasswd over TLS (CA by option): found with the right password" 0 "IMAGE_FOUND" "$DIGEST"

app basic-wrong '{"bucket": "sprout-creds", "key": "basic/wrong.json"}' "$R/private/app:2" >/dev/null
check basic-wrong --registry-ca "$W/tls/ca.pem"
expect "htpasswd: wrong password is IMAGE_UNAUTHORIZED" 1 "error\[IMAGE_UNAUTHORIZED\]" "refused the credentials"

app basic-none "" "$R/private/app:2" >/dev/null
check basic-none --registry-ca "$W/tls/ca.pem"
expect "htpasswd: no credentials is IMAGE_UNAUTHORIZED" 1 "error\[IMAGE_UNAUTHORIZED\]" "none were given" "sprout bucket put"

check basic-good
expect "TLS without the CA: IMAGE_REGISTRY_TLS (a warning)" 0 "warning\[IMAGE_REGISTRY_TLS\]"

app basic-missing-object '{"bucket": "sprout-creds", "key": "basic/none.json"}' "$R/private/app:2" >/dev/null
check basic-missing-object --registry-ca "$W/tls/ca.pem"
expect "authentication naming a missing object: IMAGE_AUTH_MISSING" 1 "error\[IMAGE_AUTH_MISSING\]"

mkdir -p "$W/v1-good"
cat > "$W/v1-good/Dockerrun.aws.json" <<EOJ
{
  "AWSEBDockerrunVersion": "1",
  "Authentication": {"Bucket": "sprout-creds", "Key": "basic/good.json"},
  "Image": {"Name": "$R/private/app:2"},
  "Ports": [{"ContainerPort": 80, "HostPort": 80}]
}
EOJ
check v1-good --registry-ca "$W/tls/ca.pem"
expect "Dockerrun v1 Authentication {Bucket, Key}: found" 0 "IMAGE_FOUND"

# ---- Bearer tokens ----------------------------------------------------------------------
R=127.0.0.1:$P_TOKEN
issued() { curl -s "http://127.0.0.1:$P_TOKEN_SRV/stats" | sed -n 's/.*"issued": *\([0-9]*\).*/\1/p'; }
app token-good '{"bucket": "sprout-creds", "key": "token/good.json"}' "$R/private/app:2" "$R/team/busybox@$DIGEST" >/dev/null
before=$(issued)
check token-good
after=$(issued)
expect "Bearer: found (tag and digest) with a token from the token server" 0 "IMAGE_FOUND.*$R/private/app:2\|$R/private/app:2.*found" "$DIGEST"
[ "$((after - before))" -ge 1 ] && ok "Bearer: the token server issued $((after - before)) token(s)" ||
	notok "Bearer: no token was issued" "$before -> $after"

app token-wrong '{"bucket": "sprout-creds", "key": "token/wrong.json"}' "$R/private/app:2" >/dev/null
check token-wrong
expect "Bearer: wrong password is IMAGE_UNAUTHORIZED" 1 "error\[IMAGE_UNAUTHORIZED\]" "token service answered HTTP 401"

app token-none "" "$R/private/app:2" >/dev/null
check token-none
expect "Bearer: no credentials is IMAGE_UNAUTHORIZED" 1 "error\[IMAGE_UNAUTHORIZED\]" "none were given"

app token-tagmissing '{"bucket": "sprout-creds", "key": "token/good.json"}' "$R/private/app:nope" "$R/private/none:1" >/dev/null
check token-tagmissing
expect "Bearer: tag and repository missing behind tokens" 1 "IMAGE_TAG_NOT_FOUND" "IMAGE_REPO_NOT_FOUND"

app token-renew '{"bucket": "sprout-creds", "key": "token/good.json"}' "$R/private/app:2" >/dev/null
curl -s "http://127.0.0.1:$P_TOKEN_SRV/control/expire-next" >/dev/null
before=$(issued)
check token-renew
after=$(issued)
expect "Bearer: an expired token is renewed and the image found" 0 "IMAGE_FOUND"
[ "$((after - before))" = 2 ] && ok "Bearer: renewal fetched exactly one more token" ||
	notok "Bearer: renewal count" "tokens issued: $((after - before)), expected 2"

# ---- registry down, registry silent -------------------------------------------------------
app down "" "127.0.0.1:$P_DOWN/team/busybox:1.0" >/dev/null
check down
expect "registry down: IMAGE_REGISTRY_UNREACHABLE is a warning by default" 0 "warning\[IMAGE_REGISTRY_UNREACHABLE\]"
check down --strict
expect "registry down with --strict (StrictImageChecks): an error" 1 "error\[IMAGE_REGISTRY_UNREACHABLE\]"

app silent "" "127.0.0.1:$P_SILENT/team/busybox:1.0" >/dev/null
check silent --registry-timeout 2
expect "registry that never answers: IMAGE_REGISTRY_TIMEOUT" 0 "warning\[IMAGE_REGISTRY_TIMEOUT\]"

# ---- secrets ------------------------------------------------------------------------------
if grep -q -e "$PASSWORD" -e "$WRONG" "$W/all-output.log" ||
	grep -q -e "$(printf '%s:%s' "$USER_NAME" "$PASSWORD" | base64 -w0)" "$W/all-output.log"; then
	notok "credentials never appear in output" "$(grep -n -e "$PASSWORD" -e "$WRONG" "$W/all-output.log" | head -n 3)"
else
	ok "credentials never appear in any output ($(wc -l < "$W/all-output.log") lines checked)"
fi
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$W/all-output.log"; then
	notok "no sanitizer reports" "$(grep -m 3 -e Sanitizer -e 'runtime error:' "$W/all-output.log")"
else
	ok "no sanitizer reports (meaningful with SPROUT_TEST_BIN pointing at an ASan build)"
fi
exit 0
