#!/bin/sh
# test_aws_engine.sh — the AWS driver through the engine (docs/aws.md "Through the engine"):
# a real `sprout serve` and moto's server on 127.0.0.1, both stopped by pid on exit. An
# environment made through the API with sprout:driver Driver=aws (Endpoint: moto), three
# instances, two containers and two listeners (examples/sample-app), EB's instance options
# (aws:autoscaling:launchconfiguration InstanceType, ImageId, IamInstanceProfile,
# EC2KeyName) and load balancer attributes (CrossZone, connection draining, idle timeout)
# is launched; while the launch waits for Green the test registers the Auto Scaling group's
# instances as container instances (standing in for the ECS agent) and the engine starts
# one task on each; the `aws` CLI then finds the cluster, the task definition with the
# awseb-logs-* volumes, the Classic load balancer with both listeners and the attributes,
# the ingress rules, the group with 3 instances and its launch configuration with the
# options, and one RUNNING task per container instance. A second version (PATCH) makes
# revision 2 and replaces every task; an option update (PATCH option_settings: InstanceType,
# idle timeout) points the group at a new launch configuration, deletes the old one and
# sets the attribute; terminate (DELETE) leaves no cluster, task definition, load balancer,
# security group, Auto Scaling group or launch configuration. TAP-style lines.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
. tests/lib/services.sh
svc_init
WORK=$(mktemp -d /tmp/sprout-aws-engine.XXXXXX)
trap 'svc_stop_all; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

ok() { echo "ok - $1"; }
fail() { echo "not ok - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | head -c 3000 | sed 's/^/#   /'; echo; done; }
# check NAME PYTHON-EXPRESSION-over-d JSON
check() {
	if printf '%s' "$3" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($2) else 1)" 2>/dev/null
	then ok "$1"; else fail "$1" "$3"; fi
}

for t in aws jq zip curl; do
	command -v $t >/dev/null || { echo "not ok - $t is installed (make deps)"; exit 1; }
done
python3 -c 'import moto.server' 2>/dev/null || { echo "not ok - moto is installed (make deps)"; exit 1; }
[ -x build/sprout ] || { echo "not ok - build/sprout exists (make build-tests)"; exit 1; }

# ---- moto and the engine ----
MPORT=$(svc_free_port)
svc_moto "$MPORT" || { echo "not ok - moto starts"; exit 1; }
MOTO=http://127.0.0.1:$MPORT
# moto moves a task one state on at each DescribeTasks; ECS tasks stay RUNNING until stopped.
curl -s -X POST "$MOTO/moto-api/state-manager/set-transition" \
	-d '{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}' >/dev/null

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing-secret-value
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$WORK/none AWS_SHARED_CREDENTIALS_FILE=$WORK/none
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_ECS \
	AWS_ENDPOINT_URL_EC2 AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING AWS_ENDPOINT_URL_AUTO_SCALING
E="--endpoint-url $MOTO --output json"

APORT=$(svc_free_port)
DATA=$WORK/data
mkdir -p "$DATA"
build/sprout serve --data-dir "$DATA" --listen "127.0.0.1:$APORT" --no-image-checks \
	--no-access-log >"$WORK/serve.log" 2>&1 &
svc_record sprout-serve $!
API=http://127.0.0.1:$APORT/api/v1
if svc_wait_http "$API/health" 30; then ok "sprout serve starts"
else fail "sprout serve starts" "$(tail -n 20 "$WORK/serve.log")"; exit 1; fi
TOKEN=$(cat "$DATA/admin.token")
api() { # METHOD PATH [JSON]
	if [ $# -ge 3 ]; then
		curl -s --max-time 30 -X "$1" -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' --data "$3" "$API$2"
	else
		curl -s --max-time 30 -X "$1" -H "Authorization: Bearer $TOKEN" "$API$2"
	fi
}
# wait_for SECONDS COMMAND... — until COMMAND succeeds
wait_for() {
	_n=$(($1 * 5)); shift
	while [ "$_n" -gt 0 ]; do "$@" && return 0; sleep 0.2; _n=$((_n - 1)); done
	return 1
}

# ---- an application and two versions of examples/sample-app (2 containers) ----
api POST /applications '{"name":"awsapp"}' >/dev/null
for v in v1 v2; do
	rm -rf "$WORK/src-$v" && cp -R examples/sample-app "$WORK/src-$v" &&
		echo "$v" > "$WORK/src-$v/www/version.txt" &&
		(cd "$WORK/src-$v" && zip -qr "$WORK/$v.zip" .) &&
		curl -s --max-time 60 -X POST -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/zip' --data-binary "@$WORK/$v.zip" \
			"$API/applications/awsapp/versions?label=$v" >/dev/null
done
processed() { [ "$(api GET /applications/awsapp/versions/$1 | jq -r .status)" = PROCESSED ]; }
if wait_for 60 processed v1 && wait_for 60 processed v2; then ok "two versions are PROCESSED"
else fail "two versions are PROCESSED" "$(api GET /applications/awsapp/versions)"; exit 1; fi

# ---- launch on the aws driver ----
# What the instance and load balancer options name must exist on AWS: an instance profile,
# a key pair, and an ECS-optimised image (the oldest one, so it is not the driver's default
# choice, the newest).
aws $E iam create-instance-profile --instance-profile-name sprout-ecs-profile >/dev/null
aws $E ec2 create-key-pair --key-name sprout-ops >/dev/null
AMI=$(aws $E ec2 describe-images --owners amazon \
	--filters 'Name=name,Values=amzn2-ami-ecs-hvm-*-x86_64-ebs' \
	--query 'sort_by(Images,&CreationDate)[0].ImageId' --output text)
case $AMI in ami-*) ;; *) echo "not ok - moto has an ECS-optimised image ($AMI)"; exit 1 ;; esac
ENV=awsengine
out=$(api POST /environments "{\"application\":\"awsapp\",\"name\":\"$ENV\",\"version_label\":\"v1\",
 \"option_settings\":[
  {\"namespace\":\"sprout:driver\",\"option_name\":\"Driver\",\"value\":\"aws\"},
  {\"namespace\":\"sprout:driver\",\"option_name\":\"Endpoint\",\"value\":\"$MOTO\"},
  {\"namespace\":\"sprout:driver\",\"option_name\":\"Region\",\"value\":\"us-east-1\"},
  {\"namespace\":\"aws:autoscaling:asg\",\"option_name\":\"MinSize\",\"value\":\"3\"},
  {\"namespace\":\"aws:autoscaling:asg\",\"option_name\":\"MaxSize\",\"value\":\"3\"},
  {\"namespace\":\"aws:autoscaling:launchconfiguration\",\"option_name\":\"InstanceType\",\"value\":\"t3.small\"},
  {\"namespace\":\"aws:autoscaling:launchconfiguration\",\"option_name\":\"ImageId\",\"value\":\"$AMI\"},
  {\"namespace\":\"aws:autoscaling:launchconfiguration\",\"option_name\":\"IamInstanceProfile\",\"value\":\"sprout-ecs-profile\"},
  {\"namespace\":\"aws:autoscaling:launchconfiguration\",\"option_name\":\"EC2KeyName\",\"value\":\"sprout-ops\"},
  {\"namespace\":\"aws:elb:loadbalancer\",\"option_name\":\"CrossZone\",\"value\":\"true\"},
  {\"namespace\":\"aws:elb:policies\",\"option_name\":\"ConnectionDrainingEnabled\",\"value\":\"true\"},
  {\"namespace\":\"aws:elb:policies\",\"option_name\":\"ConnectionDrainingTimeout\",\"value\":\"45\"},
  {\"namespace\":\"aws:elb:policies\",\"option_name\":\"ConnectionSettingIdleTimeout\",\"value\":\"120\"},
  {\"namespace\":\"aws:elasticbeanstalk:command\",\"option_name\":\"Timeout\",\"value\":\"90\"}]}")
check "create answers 202 with driver aws and status Launching" \
	"d['driver']=='aws' and d['status']=='Launching' and d['deployment_id']" "$out"

# The ECS agent's part: register each instance of the group as a container instance of the
# environment's cluster, while the launch waits for Green.
asg_ids() {
	aws $E autoscaling describe-auto-scaling-groups --auto-scaling-group-names "awseb-$ENV-asg" \
		--query 'AutoScalingGroups[0].Instances[].InstanceId' --output text 2>/dev/null
}
three_instances() { [ "$(asg_ids | wc -w)" = 3 ]; }
cluster_named() { CLUSTER=$(api GET "/environments/$ENV" | jq -r '.cluster // empty'); [ -n "$CLUSTER" ]; }
CLUSTER=
if wait_for 60 three_instances && wait_for 10 cluster_named; then
	for i in $(asg_ids); do
		aws $E ecs register-container-instance --cluster "$CLUSTER" \
			--instance-identity-document "{\"instanceId\":\"$i\",\"region\":\"us-east-1\",\"availabilityZone\":\"us-east-1a\"}" >/dev/null
	done
	ok "the engine's launch makes the Auto Scaling group's 3 instances (registered as container instances)"
else
	fail "the engine's launch makes the Auto Scaling group's 3 instances" "$(tail -n 20 "$WORK/serve.log")" \
		"$(api GET "/events?environment=$ENV&limit=50" | jq -r '.events[] | .severity + " " + .message')"
fi

last_dep() { api GET "/environments/$ENV/deployments?limit=1" | jq -r '.deployments[0].status'; }
settled() { case $(last_dep) in Pending|InProgress|null|'') return 1 ;; esac; return 0; }
events() { api GET "/events?environment=$ENV&limit=500" | jq -r '.events | reverse | .[] | .severity + " " + .message'; }
wait_for 120 settled
D=$(api GET "/environments/$ENV")
if [ "$(last_dep)" = Succeeded ]; then ok "the launch deployment succeeds"
else fail "the launch deployment succeeds" "$(api GET "/environments/$ENV/deployments?limit=1")" "$(events | tail -n 25)"; fi
check "the environment is Ready and Green: 3 instances, each with a RUNNING task of v1" \
	"d['status']=='Ready' and d['health']=='Green' and d['driver']=='aws' and len(d['instances'])==3 and all(i['health']=='Green' and i['task']['state']=='RUNNING' and i['task']['version']=='v1' for i in d['instances'])" "$D"
if events | grep -q 'Started task' && events | grep -q "Successfully launched environment: $ENV"; then
	ok "the driver's changes are the environment's events"
else fail "the driver's changes are the environment's events" "$(events | tail -n 30)"; fi

# ---- what is on AWS, through the aws CLI ----
FAMILY=$(printf '%s' "$D" | jq -r '.task_definition | split(":")[0]')
LB=awseb-$ENV
j=$(aws $E ecs describe-clusters --clusters "$CLUSTER")
check "the ECS cluster $CLUSTER exists" "d['clusters'][0]['status']=='ACTIVE'" "$j"
j=$(aws $E ecs describe-task-definition --task-definition "$FAMILY")
check "task definition revision 1 has both containers and the awseb-logs-* volumes" \
	"(t:=d['taskDefinition'])['revision']==1 and sorted(c['name'] for c in t['containerDefinitions'])==['api','web'] and {'awseb-logs-api','awseb-logs-web'} <= {v['name'] for v in t['volumes']} and all(v['host']['sourcePath'].startswith('/var/log/containers/') for v in t['volumes'] if v['name'].startswith('awseb-logs-'))" "$j"
j=$(aws $E elb describe-load-balancers --load-balancer-names "$LB")
check "the Classic load balancer has the listeners 80 and 8080" \
	"sorted((l['Listener']['LoadBalancerPort'],l['Listener']['InstancePort']) for l in d['LoadBalancerDescriptions'][0]['ListenerDescriptions'])==[(80,80),(8080,8080)]" "$j"
lbsg=$(aws $E ec2 describe-security-groups --filters "Name=group-name,Values=awseb-$ENV-loadbalancer" --query 'SecurityGroups[0].GroupId' --output text)
j=$(aws $E ec2 describe-security-groups --filters "Name=group-name,Values=awseb-$ENV-loadbalancer")
check "the load balancer's group is open on 80 and 8080" \
	"sorted((p['FromPort'],p['IpRanges'][0]['CidrIp']) for p in d['SecurityGroups'][0]['IpPermissions'])==[(80,'0.0.0.0/0'),(8080,'0.0.0.0/0')]" "$j"
j=$(aws $E ec2 describe-security-groups --filters "Name=group-name,Values=awseb-$ENV-instances")
check "the instances' group lets the load balancer's group in on 80 and 8080" \
	"sorted((p['FromPort'],p['UserIdGroupPairs'][0]['GroupId']) for p in d['SecurityGroups'][0]['IpPermissions'])==[(80,'$lbsg'),(8080,'$lbsg')]" "$j"
j=$(aws $E autoscaling describe-auto-scaling-groups --auto-scaling-group-names "awseb-$ENV-asg")
check "the Auto Scaling group has 3 instances behind the load balancer" \
	"(g:=d['AutoScalingGroups'][0])['MinSize']==3 and g['MaxSize']==3 and len(g['Instances'])==3 and g['LoadBalancerNames']==['$LB']" "$j"
group_lc() {
	aws $E autoscaling describe-auto-scaling-groups --auto-scaling-group-names "awseb-$ENV-asg" \
		--query 'AutoScalingGroups[0].LaunchConfigurationName' --output text
}
LC1=$(group_lc)
j=$(aws $E autoscaling describe-launch-configurations --launch-configuration-names "$LC1")
check "the group's launch configuration $LC1 has the options' ImageId, InstanceType, IamInstanceProfile and KeyName" \
	"(l:=d['LaunchConfigurations'][0])['ImageId']=='$AMI' and l['InstanceType']=='t3.small' and l['IamInstanceProfile']=='sprout-ecs-profile' and l['KeyName']=='sprout-ops'" "$j"
j=$(aws $E elb describe-load-balancer-attributes --load-balancer-name "$LB")
check "the load balancer has cross-zone, connection draining 45 s and idle timeout 120 s" \
	"(a:=d['LoadBalancerAttributes'])['CrossZoneLoadBalancing']['Enabled'] is True and a['ConnectionDraining']['Enabled'] is True and a['ConnectionDraining']['Timeout']==45 and a['ConnectionSettings']['IdleTimeout']==120" "$j"
tasks_json() {
	_arns=$(aws $E ecs list-tasks --cluster "$CLUSTER" --desired-status RUNNING --query taskArns --output text)
	[ -n "$_arns" ] && aws $E ecs describe-tasks --cluster "$CLUSTER" --tasks $_arns
}
cis=$(aws $E ecs list-container-instances --cluster "$CLUSTER" --query containerInstanceArns --output json)
j=$(tasks_json)
check "one RUNNING task of revision 1 per container instance" \
	"len(ts:=d['tasks'])==3 and sorted(t['containerInstanceArn'] for t in ts)==sorted($cis) and all(t['taskDefinitionArn'].endswith('$FAMILY:1') and t['lastStatus']=='RUNNING' for t in ts)" "$j"

# ---- a second version ----
out=$(api PATCH "/environments/$ENV" '{"version_label":"v2"}')
check "PATCH version_label v2 is queued" "d['kind']=='deploy' and d['version_label']=='v2'" "$out"
sleep 0.5
wait_for 90 settled
D=$(api GET "/environments/$ENV")
if [ "$(last_dep)" = Succeeded ]; then ok "the v2 deployment succeeds"
else fail "the v2 deployment succeeds" "$(api GET "/environments/$ENV/deployments?limit=1")" "$(events | tail -n 25)"; fi
check "the environment runs v2 on 3 Green instances, task definition $FAMILY:2" \
	"d['status']=='Ready' and d['health']=='Green' and d['version_label']=='v2' and d['task_definition']=='$FAMILY:2' and len(d['instances'])==3 and all(i['task']['version']=='v2' for i in d['instances'])" "$D"
j=$(aws $E ecs describe-task-definition --task-definition "$FAMILY")
check "AWS has task definition revision 2" "d['taskDefinition']['revision']==2" "$j"
j=$(tasks_json)
check "one RUNNING task of revision 2 per container instance, none of revision 1" \
	"len(ts:=d['tasks'])==3 and len(set(t['containerInstanceArn'] for t in ts))==3 and all(t['taskDefinitionArn'].endswith('$FAMILY:2') for t in ts)" "$j"

# ---- an option update: a new instance type makes a new launch configuration ----
out=$(api PATCH "/environments/$ENV" '{"option_settings":[
 {"namespace":"aws:autoscaling:launchconfiguration","option_name":"InstanceType","value":"t3.medium"},
 {"namespace":"aws:elb:policies","option_name":"ConnectionSettingIdleTimeout","value":"300"}]}')
check "PATCH option_settings (InstanceType t3.medium, idle timeout 300) is queued" "d['deployment_id']" "$out"
sleep 0.5
wait_for 90 settled
if [ "$(last_dep)" = Succeeded ]; then ok "the configuration deployment succeeds"
else fail "the configuration deployment succeeds" "$(api GET "/environments/$ENV/deployments?limit=1")" "$(events | tail -n 25)"; fi
LC2=$(group_lc)
j=$(aws $E autoscaling describe-launch-configurations)
check "the group uses a new launch configuration with t3.medium (and the other options), the old one is deleted" \
	"'$LC2'!='$LC1' and [(l['LaunchConfigurationName'],l['InstanceType'],l['ImageId'],l['IamInstanceProfile'],l['KeyName']) for l in d['LaunchConfigurations'] if l['LaunchConfigurationName'].startswith('awseb-$ENV-lc-')]==[('$LC2','t3.medium','$AMI','sprout-ecs-profile','sprout-ops')]" "$j"
j=$(aws $E elb describe-load-balancer-attributes --load-balancer-name "$LB")
check "the load balancer's idle timeout is 300 s, the other attributes kept" \
	"(a:=d['LoadBalancerAttributes'])['ConnectionSettings']['IdleTimeout']==300 and a['CrossZoneLoadBalancing']['Enabled'] is True and a['ConnectionDraining']['Timeout']==45" "$j"
n_attr=$(events | grep -c 'Set the attributes of load balancer')
if [ "$n_attr" = 2 ] && events | grep -q "Updated Auto Scaling group awseb-$ENV-asg: 3 instances, $LC2 (new instances use it"; then
	ok "the events say so (the attributes were set twice in all: at the launch and at the update)"
else fail "the events say so" "attributes set $n_attr times" "$(events | tail -n 25)"; fi
D=$(api GET "/environments/$ENV")
check "the environment is Ready and Green on v2 after the update" \
	"d['status']=='Ready' and d['health']=='Green' and d['version_label']=='v2' and len(d['instances'])==3" "$D"

if grep -q 'testing-secret-value' "$WORK/serve.log" || events | grep -q 'testing-secret-value'; then
	fail "the secret key is in no log or event"
else ok "the secret key is in no log or event"; fi

# ---- terminate ----
out=$(api DELETE "/environments/$ENV")
gone() { [ "$(api GET "/environments/$ENV" | jq -r .status)" = Terminated ]; }
if wait_for 90 gone && events | grep -q 'terminateEnvironment completed successfully.'; then
	ok "DELETE terminates the environment (describe: Terminated, terminateEnvironment completed successfully.)"
else fail "DELETE terminates the environment" "$out" "$(events | tail -n 20)"; fi
if events | grep -q 'Some resources of the environment may remain'; then
	fail "terminate reports no leftovers" "$(events | tail -n 20)"
else ok "terminate reports no leftovers"; fi
j=$(aws $E ecs describe-clusters --clusters "$CLUSTER")
check "no cluster left" "all(c['status']=='INACTIVE' for c in d['clusters'])" "$j"
j=$(aws $E ecs list-task-definitions --family-prefix "$FAMILY" --status ACTIVE)
check "no active task definition left" "d['taskDefinitionArns']==[]" "$j"
if aws $E elb describe-load-balancers --load-balancer-names "$LB" >/dev/null 2>&1; then
	fail "no load balancer left"; else ok "no load balancer left"; fi
j=$(aws $E ec2 describe-security-groups --filters "Name=group-name,Values=awseb-$ENV-loadbalancer,awseb-$ENV-instances")
check "no security group left" "d['SecurityGroups']==[]" "$j"
j=$(aws $E autoscaling describe-auto-scaling-groups --auto-scaling-group-names "awseb-$ENV-asg")
check "no Auto Scaling group left" "d['AutoScalingGroups']==[]" "$j"
j=$(aws $E autoscaling describe-launch-configurations)
check "no launch configuration left" "[l for l in d['LaunchConfigurations'] if l['LaunchConfigurationName'].startswith('awseb-$ENV-lc-')]==[]" "$j"
j=$(aws $E ec2 describe-instances --filters "Name=tag:sprout:environment,Values=$ENV")
check "every instance terminated" "all(i['State']['Name'] in ('terminated','shutting-down') for r in d['Reservations'] for i in r['Instances'])" "$j"
