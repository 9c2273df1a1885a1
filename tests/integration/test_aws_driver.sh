#!/bin/sh
# test_aws_driver.sh — the AWS driver (engine/driver/aws) end to end against moto's server
# on 127.0.0.1, checked through the `aws` CLI as an independent client. The environment is
# what `sprout plan --json` makes of tests/integration/aws/app (three instances, two
# listeners); the driver applies that document. Found: the cluster, the task definition with its
# awseb-logs-* volumes, the load balancer and its listeners, the ingress rules, the Auto
# Scaling group, one task per container instance (the test registers the group's
# instances as container instances, standing in for the ECS agent); a second version; a
# changed plan; termination leaving nothing behind.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/lib/services.sh
trap svc_stop_all EXIT
svc_init

command -v aws >/dev/null || { echo "not ok - the aws CLI is installed (make deps)"; exit 1; }
python3 -c 'import moto.server' 2>/dev/null || { echo "not ok - moto is installed (make deps)"; exit 1; }
sh tests/integration/aws/build-helpers.sh || { echo "not ok - build the AWS driver test program"; exit 1; }

port=$(svc_free_port)
svc_moto "$port" || { echo "not ok - moto starts"; exit 1; }
# moto moves a task one state on at each DescribeTasks; ECS tasks stay RUNNING until stopped.
curl -s -X POST "http://127.0.0.1:$port/moto-api/state-manager/set-transition" \
	-d '{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}' >/dev/null

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing-secret-value
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$SVC_DIR/none AWS_SHARED_CREDENTIALS_FILE=$SVC_DIR/none
export SPROUT_AWS_ENDPOINT=http://127.0.0.1:$port
unset AWS_SESSION_TOKEN AWS_PROFILE SPROUT_AWS_ZONES SPROUT_AWS_IMAGE_ID
run=$top/build/aws-tests/aws_driver_run
E="--endpoint-url http://127.0.0.1:$port --output json"
work=$SVC_DIR/work
mkdir -p "$work"
env=awsdemo
sprout=$top/build/sprout
ok() { echo "ok - $1"; }
fail() { echo "not ok - $1"; shift; for l in "$@"; do echo "$l" | sed 's/^/#   /'; done; }
# plan VERSION OUT [SED-EXPRESSION-for-the-config]: `sprout plan --json` of the test app
plan() {
	rm -rf "$work/app" && cp -R tests/integration/aws/app "$work/app" &&
	sed -i "s/@VERSION@/$1/g" "$work/app/Dockerrun.aws.json" &&
	if [ -n "${3:-}" ]; then sed -i "$3" "$work/app/.ebextensions/01-env.config"; fi &&
	(cd "$work/app" && HOME=$work/home SPROUT_DATA_DIR=$work/data NO_COLOR=1 \
		"$sprout" plan --env "$env" --json) > "$2"
}
if plan v1 "$work/plan-v1.json" && plan v2 "$work/plan-v2.json" &&
	plan v2 "$work/plan-v3.json" 's/aws:elb:listener:8080:/aws:elb:listener:9090:/; s/Interval: 10/Interval: 20/'; then
	ok "sprout plan --json gives the environment's requests"
else
	fail "sprout plan --json gives the environment's requests" "$(cat "$work"/plan-v*.json 2>&1 | head -20)"
	exit 1
fi
cluster=$(python3 -c "import json; print(json.load(open('$work/plan-v1.json'))['plan']['cluster'])")
family=$cluster
lb=awseb-$env

# check NAME PYTHON-EXPRESSION-over-d JSON: d is the parsed JSON
check() {
	_name=$1 _expr=$2 _json=$3
	if printf '%s' "$_json" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($_expr) else 1)" 2>/dev/null; then
		ok "$_name"
	else
		fail "$_name" "$(printf '%s' "$_json" | head -c 3000)"
	fi
}
apply() { # version plan
	"$run" apply "$env" "$1" - "$2" >"$work/out" 2>"$work/err"
}

# ---- 1. create ----
if apply v1 "$work/plan-v1.json"; then ok "apply creates the environment"
else fail "apply creates the environment" "$(cat "$work/out" "$work/err")"; fi

j=$(aws $E ecs describe-clusters --clusters $cluster)
check "the ECS cluster exists" "d['clusters'][0]['status']=='ACTIVE'" "$j"

j=$(aws $E ecs describe-task-definition --task-definition $family)
check "the task definition has the awseb-logs-* volumes and the environment properties" \
	"sorted(v['name'] for v in d['taskDefinition']['volumes'])==['awseb-logs-api','awseb-logs-web'] and d['taskDefinition']['volumes'][0]['host']['sourcePath'].startswith('/var/log/containers/') and {'name':'APP_MODE','value':'production'} in d['taskDefinition']['containerDefinitions'][0]['environment'] and d['taskDefinition']['revision']==1" "$j"

j=$(aws $E elb describe-load-balancers --load-balancer-names $lb)
check "the load balancer has both listeners and the health check" \
	"sorted((l['Listener']['LoadBalancerPort'],l['Listener']['InstancePort'],l['Listener']['Protocol']) for l in d['LoadBalancerDescriptions'][0]['ListenerDescriptions'])==[(80,80,'HTTP'),(8080,8081,'TCP')] and d['LoadBalancerDescriptions'][0]['HealthCheck']['Target']=='HTTP:80/health'" "$j"

lbsg=$(aws $E ec2 describe-security-groups --filters Name=group-name,Values=awseb-$env-loadbalancer --query 'SecurityGroups[0].GroupId' --output text)
j=$(aws $E ec2 describe-security-groups --filters Name=group-name,Values=awseb-$env-loadbalancer)
check "the load balancer's group is open on both listener ports" \
	"sorted((p['FromPort'],p['IpRanges'][0]['CidrIp']) for p in d['SecurityGroups'][0]['IpPermissions'])==[(80,'0.0.0.0/0'),(8080,'0.0.0.0/0')]" "$j"
j=$(aws $E ec2 describe-security-groups --filters Name=group-name,Values=awseb-$env-instances)
check "the instances' group lets the load balancer's group in on the instance ports" \
	"sorted((p['FromPort'],p['UserIdGroupPairs'][0]['GroupId']) for p in d['SecurityGroups'][0]['IpPermissions'])==[(80,'$lbsg'),(8081,'$lbsg')]" "$j"

j=$(aws $E autoscaling describe-auto-scaling-groups --auto-scaling-group-names awseb-$env-asg)
check "the Auto Scaling group has three instances behind the load balancer" \
	"(g:=d['AutoScalingGroups'][0])['MinSize']==3 and g['MaxSize']==3 and len(g['Instances'])==3 and g['LoadBalancerNames']==['$lb']" "$j"

# ---- 2. instances join; one task each ----
for i in $(aws $E autoscaling describe-auto-scaling-groups --auto-scaling-group-names awseb-$env-asg \
		--query 'AutoScalingGroups[0].Instances[].InstanceId' --output text); do
	aws $E ecs register-container-instance --cluster $cluster \
		--instance-identity-document "{\"instanceId\":\"$i\",\"region\":\"us-east-1\",\"availabilityZone\":\"us-east-1a\"}" >/dev/null
done
apply v1 "$work/plan-v1.json"
if [ "$(grep -c 'Started task' "$work/out")" -eq 3 ]; then ok "apply starts one task on each joined instance"
else fail "apply starts one task on each joined instance" "$(cat "$work/out" "$work/err")"; fi

tasks_json() {
	_arns=$(aws $E ecs list-tasks --cluster $cluster --desired-status RUNNING --query taskArns --output text)
	[ -n "$_arns" ] && aws $E ecs describe-tasks --cluster $cluster --tasks $_arns
}
cis=$(aws $E ecs list-container-instances --cluster $cluster --query 'containerInstanceArns' --output json)
j=$(tasks_json)
check "one RUNNING task of revision 1 per container instance" \
	"len(ts:=d['tasks'])==3 and sorted(t['containerInstanceArn'] for t in ts)==sorted($cis) and all(t['taskDefinitionArn'].endswith(':1') and t['lastStatus']=='RUNNING' for t in ts)" "$j"

apply v1 "$work/plan-v1.json"
if [ $? -eq 0 ] && ! grep -q . "$work/out"; then ok "a second apply changes nothing"
else fail "a second apply changes nothing" "$(cat "$work/out" "$work/err")"; fi

j=$("$run" observe "$env")
check "observe: three instances, a running task each, health Green" \
	"d['health']=='Green' and len(d['instances'])==3 and all(i['task'] and i['task']['lastStatus']=='RUNNING' for i in d['instances']) and d['taskDefinition']['version']=='v1'" "$j"

if cat "$work/out" "$work/err" | grep -q -e 's3cr3t-never-logged' -e 'testing-secret-value'; then
	fail "no secret in events or diagnostics"
else ok "no secret in events or diagnostics"; fi

# ---- 3. a second version ----
apply v2 "$work/plan-v2.json"
if [ $? -eq 0 ] && grep -q "Registered task definition $family:2" "$work/out" &&
	[ "$(grep -c 'Stopped task' "$work/out")" -eq 3 ] && [ "$(grep -c 'Started task' "$work/out")" -eq 3 ] &&
	! grep -q -e 'load balancer' -e 'Auto Scaling' -e 'security group' "$work/out"; then
	ok "deploying v2 registers revision 2 and replaces each task, touching nothing else"
else fail "deploying v2 registers revision 2 and replaces each task" "$(cat "$work/out" "$work/err")"; fi
j=$(tasks_json)
check "one RUNNING task of revision 2 per container instance" \
	"len(ts:=d['tasks'])==3 and len(set(t['containerInstanceArn'] for t in ts))==3 and all(t['taskDefinitionArn'].endswith(':2') for t in ts)" "$j"

# ---- 4. a changed plan changes only what differs ----
apply v2 "$work/plan-v3.json"
if [ $? -eq 0 ] && grep -q 'Removed 1 listener' "$work/out" && grep -q 'Added 1 listener' "$work/out" &&
	grep -q 'Revoked tcp ingress 8080-8080' "$work/out" && grep -q 'Configured the health check' "$work/out" &&
	! grep -q -e 'task' -e 'Auto Scaling' -e 'Created' "$work/out"; then
	ok "a changed plan changes the listener, its ingress and the health check only"
else fail "a changed plan changes only what differs" "$(cat "$work/out" "$work/err")"; fi
j=$(aws $E elb describe-load-balancers --load-balancer-names $lb)
check "the load balancer now listens on 80 and 9090" \
	"sorted(l['Listener']['LoadBalancerPort'] for l in d['LoadBalancerDescriptions'][0]['ListenerDescriptions'])==[80,9090] and d['LoadBalancerDescriptions'][0]['HealthCheck']['Interval']==20" "$j"

# ---- 5. terminate ----
if "$run" destroy "$env" >"$work/out" 2>"$work/err"; then ok "destroy succeeds"
else fail "destroy succeeds" "$(cat "$work/out" "$work/err")"; fi
j=$(aws $E ecs describe-clusters --clusters $cluster)
check "no cluster left" "all(c['status']=='INACTIVE' for c in d['clusters'])" "$j"
j=$(aws $E ecs list-task-definitions --family-prefix $family --status ACTIVE)
check "no active task definition left" "d['taskDefinitionArns']==[]" "$j"
if aws $E elb describe-load-balancers --load-balancer-names $lb >/dev/null 2>&1; then
	fail "no load balancer left"; else ok "no load balancer left"; fi
j=$(aws $E ec2 describe-security-groups --filters "Name=group-name,Values=awseb-$env-loadbalancer,awseb-$env-instances")
check "no security group left" "d['SecurityGroups']==[]" "$j"
j=$(aws $E autoscaling describe-auto-scaling-groups --auto-scaling-group-names awseb-$env-asg)
check "no Auto Scaling group left" "d['AutoScalingGroups']==[]" "$j"
j=$(aws $E autoscaling describe-launch-configurations)
check "no launch configuration left" "[l for l in d['LaunchConfigurations'] if l['LaunchConfigurationName'].startswith('awseb-$env-lc-')]==[]" "$j"
j=$(aws $E ec2 describe-instances --filters Name=tag:sprout:environment,Values=$env)
check "every instance terminated" "all(i['State']['Name'] in ('terminated','shutting-down') for r in d['Reservations'] for i in r['Instances'])" "$j"
"$run" observe "$env" >/dev/null 2>&1
if [ $? -ne 0 ]; then ok "observe finds nothing"; else fail "observe finds nothing"; fi
if "$run" destroy "$env" >"$work/out" 2>"$work/err" && ! grep -q . "$work/out"; then
	ok "destroying again changes nothing"
else fail "destroying again changes nothing" "$(cat "$work/out" "$work/err")"; fi

# ---- 6. the driver.h plan shape with a separate task definition ----
sed 's/@VERSION@/v1/g' tests/integration/aws/taskdef.json > "$work/td.json"
if "$run" apply fixture-env v1 "$work/td.json" tests/integration/aws/plan.json >"$work/out" 2>"$work/err" &&
	aws $E ecs describe-clusters --clusters awsdemo-web --query 'clusters[0].status' --output text | grep -q ACTIVE &&
	aws $E elb describe-load-balancers --load-balancer-names awseb-fixture-env >/dev/null &&
	"$run" list | grep -q '"fixture-env"'; then
	ok "a driver.h plan and task definition apply too (cluster named after the family)"
else fail "a driver.h plan and task definition apply too" "$(cat "$work/out" "$work/err")"; fi
if "$run" destroy fixture-env >"$work/out" 2>"$work/err" && ! "$run" list | grep -q fixture-env; then
	ok "and are destroyed"
else fail "and are destroyed" "$(cat "$work/out" "$work/err")"; fi
