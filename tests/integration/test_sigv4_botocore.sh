#!/bin/sh
# test_sigv4_botocore.sh — sprout's SigV4 (engine/aws/sigv4.c) against botocore's SigV4Auth,
# an independent implementation, over hundreds of generated requests (methods, paths that
# need URI-encoding, repeated/unsorted/encoded query keys, headers with extra spaces and
# repeated names, bodies, session tokens). Needs build/libsprout.a (make build-tests).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
sh tests/integration/aws/build-helpers.sh || { echo "not ok - build the SigV4 test signer"; exit 1; }
python3 -c 'import botocore.auth' 2>/dev/null || { echo "not ok - python3 has botocore"; exit 1; }
python3 tests/integration/aws/sigv4_botocore.py build/aws-tests/sigv4_sign "${SPROUT_SIGV4_COUNT:-60}"

# The same signatures on the wire: a stand-in endpoint checks every request it receives
# with botocore, and answers throttling, 5xx and error documents to exercise retries and
# the error diagnostics.
. tests/lib/services.sh
trap svc_stop_all EXIT
svc_init
port=$(svc_free_port)
log=$SVC_DIR/fake-aws.log
: > "$log"
export AWS_ACCESS_KEY_ID=AKIDFAKEAWS0000TEST AWS_SECRET_ACCESS_KEY=fake/secret+key/NEVER-PRINTED
export AWS_REGION=eu-west-3 SPROUT_AWS_ENDPOINT=http://127.0.0.1:$port
export AWS_CONFIG_FILE=$SVC_DIR/none AWS_SHARED_CREDENTIALS_FILE=$SVC_DIR/none
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_REGION
python3 tests/integration/aws/fake_aws.py "$port" "$log" 2>"$SVC_DIR/fake-aws.err" &
svc_record fake-aws $!
svc_wait_http "http://127.0.0.1:$port/" 20 || { echo "not ok - fake AWS endpoint starts"; exit 1; }
run=build/aws-tests/aws_driver_run

out=$($run check 2>&1)
if [ $? -eq 0 ] && [ "$(grep -c '^ListClusters signature=ok token=no' "$log")" -eq 3 ] &&
	! grep -q 'signature=bad' "$log"; then
	echo "ok - ECS JSON 1.1 call retried past ThrottlingException twice; every attempt's signature checked by botocore"
else
	echo "not ok - ECS JSON 1.1 call retried past ThrottlingException twice"; echo "# $out"; sed 's/^/# /' "$log"
fi

out=$($run list 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -q 'list: a limit was crossed'; then
	echo "ok - an answer past MAX_AWS_RESPONSE is refused"
else
	echo "not ok - an answer past MAX_AWS_RESPONSE is refused"; echo "$out" | head -c 500 | sed 's/^/# /'
fi

export AWS_SESSION_TOKEN="FwoGZXIvYXdzEXAMPLE//token+with/slashes=="
: > "$log"
out=$($run apply fakeenv v1 tests/integration/aws/taskdef.json tests/integration/aws/plan.json 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q '^DescribeAvailabilityZones signature=ok token=yes' "$log" &&
	echo "$out" | grep -q 'error\[AWS_API_ERROR\]: ec2 DescribeAvailabilityZones: InvalidParameterValue: zone filter rejected (request id req-123)'; then
	echo "ok - EC2 Query error XML becomes AWS_API_ERROR naming operation, code, message, request id (session token signed)"
else
	echo "not ok - EC2 Query error XML becomes AWS_API_ERROR"; echo "$out" | sed 's/^/# /'; sed 's/^/# /' "$log"
fi

: > "$log"
out=$(SPROUT_AWS_ZONES=eu-west-3a $run apply fakeenv v1 tests/integration/aws/taskdef.json tests/integration/aws/plan.json 2>&1)
if [ "$(grep -c '^DescribeClusters signature=ok' "$log")" -eq 2 ] &&
	echo "$out" | grep -q 'AWS_API_ERROR\]: ecs CreateCluster: ClientException: unsupported by fake_aws'; then
	echo "ok - HTTP 500 retried; JSON error __type/message become AWS_API_ERROR"
else
	echo "not ok - HTTP 500 retried; JSON error becomes AWS_API_ERROR"; echo "$out" | sed 's/^/# /'; sed 's/^/# /' "$log"
fi

if echo "$out" | grep -q -e "NEVER-PRINTED" -e "token+with"; then
	echo "not ok - no secret in events or diagnostics"
else
	echo "ok - no secret in events or diagnostics"
fi

out=$(SPROUT_AWS_ENDPOINT=http://127.0.0.1:1 $run check 2>&1)
if echo "$out" | grep -q 'AWS_UNREACHABLE: ecs ListClusters: no answer after 5 attempts'; then
	echo "ok - no answer becomes AWS_UNREACHABLE after the retries"
else
	echo "not ok - no answer becomes AWS_UNREACHABLE"; echo "$out" | sed 's/^/# /'
fi

out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN $run check 2>&1)
if echo "$out" | grep -q 'no AWS credentials'; then
	echo "ok - missing credentials are named"
else
	echo "not ok - missing credentials are named"; echo "$out" | sed 's/^/# /'
fi
