#!/bin/sh
# test_local_driver.sh — the local driver against the real Docker engine and HAProxy:
# 2 containers x 3 instances behind the load balancer, an extra TCP listener, the
# essential-container rule and task replacement, scale in with draining, a SingleInstance
# environment, and a terminate that leaves nothing behind. Prints TAP-style lines.
#
# Uses tests/integration/driver/driver_probe.c (compiled here against build/libsprout.a)
# as the front end, since the engine is wired to the driver in a later step.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
. "$top/tests/lib/services.sh"

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # name command...
	_name=$1; shift
	if "$@"; then ok "$_name"; else nok "$_name"; fi
}

svc_init
WORK=$(mktemp -d /tmp/sprout-driver-test.XXXXXX)
DATA=$WORK/data
PROBE=$WORK/driver_probe
IMAGE=sprout-test/busybox:1
ENV=drvtest-$$
ENV1=drvsingle-$$
ENV2=drvbridge-$$

cleanup() {
	if [ -x "$PROBE" ]; then
		"$PROBE" --data "$DATA" destroy "$ENV" >/dev/null 2>&1
		"$PROBE" --data "$DATA" destroy "$ENV1" >/dev/null 2>&1
		"$PROBE" --data "$DATA" destroy "$ENV2" >/dev/null 2>&1
		"$PROBE" --data "$DATA" shutdown >/dev/null 2>&1
	fi
	svc_stop_all
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- build the probe with the project's flags (SPROUT_DRIVER_ASAN=1: against build-asan/) ----
if LIBDIR=$(svc_build_probe tests/integration/driver/driver_probe.c "$PROBE" "${SPROUT_DRIVER_ASAN:-0}" "$WORK/cc.log"); then
	ok "driver_probe builds against $LIBDIR/libsprout.a"
else
	nok "driver_probe builds against $LIBDIR/libsprout.a" "$(head -n 20 "$WORK/cc.log")"
	exit 1
fi

if ! svc_docker; then nok "a Docker daemon answers"; exit 1; fi
if ! svc_image_busybox "$IMAGE"; then nok "the offline busybox test image builds"; exit 1; fi
POOL=$(svc_loopback_pool)
P() { "$PROBE" --data "$DATA" --pool "$POOL" "$@"; }
OWNER=$(printf %s "$DATA" | sha256sum | cut -c1-12)

check "check: Docker and HAProxy are there" P check
# A socket that does not exist gives the plain how-to message.
"$PROBE" --data "$DATA" --socket "$WORK/none.sock" check 2>"$WORK/nodocker.err"
if grep -q "apt-get install docker.io" "$WORK/nodocker.err"; then
	ok "check without Docker says how to install and start it"
else
	nok "check without Docker says how to install and start it" "$(cat "$WORK/nodocker.err")"
fi

# ---- inputs ----
mkdir -p "$WORK/src/www"
echo "bundle file" > "$WORK/src/www/bundle.txt"
cat > "$WORK/td.json" <<EOF
{"family":"drvtest","containerDefinitions":[
 {"name":"web","image":"$IMAGE","essential":true,"memory":64,"cpu":128,
  "entryPoint":["sh","-c"],
  "command":["mkdir -p /var/www/alt && hostname > /var/www/index.html && echo alt-\$(hostname) > /var/www/alt/index.html && echo \"web starting as \$GREETING\" && httpd -p 8080 -h /var/www/alt && exec httpd -f -vv -p 80 -h /var/www"],
  "environment":[{"name":"GREETING","value":"hello"}],
  "portMappings":[{"containerPort":80,"hostPort":80},{"containerPort":8080,"hostPort":8080}],
  "mountPoints":[{"sourceVolume":"bundle","containerPath":"/var/www/static","readOnly":true},
                 {"sourceVolume":"awseb-logs-web","containerPath":"/logs"}],
  "stopTimeout":2,"ulimits":[{"name":"nofile","softLimit":1024,"hardLimit":2048}],
  "dockerLabels":{"team":"probe"}},
 {"name":"worker","image":"$IMAGE","essential":false,"memoryReservation":32,
  "links":["web:frontend"],"dependsOn":[{"containerName":"web","condition":"START"}],
  "entryPoint":["sh","-c"],"stopTimeout":1,
  "command":["while true; do wget -q -O /logs/probe.txt http://frontend/; echo tick; sleep 1; done"],
  "mountPoints":[{"sourceVolume":"awseb-logs-worker","containerPath":"/logs"},
                 {"sourceVolume":"scratch","containerPath":"/scratch"}]}],
 "volumes":[{"name":"bundle","host":{"sourcePath":"/var/app/current/www"}},
  {"name":"scratch","host":{}},
  {"name":"awseb-logs-web","host":{"sourcePath":"/var/log/containers/web"}},
  {"name":"awseb-logs-worker","host":{"sourcePath":"/var/log/containers/worker"}}]}
EOF
RULES_BOTH='[{"protocol":"tcp","fromPort":80,"toPort":80},{"protocol":"tcp","fromPort":8080,"toPort":8080}]'
plan() { # instances [type] [rules]
	_rules=${3:-$RULES_BOTH}
	cat <<EOF
{"environmentType":"${2:-LoadBalanced}","instances":$1,
 "listeners":[{"port":80,"protocol":"HTTP","instancePort":80,"instanceProtocol":"HTTP"},
              {"port":8080,"protocol":"TCP","instancePort":8080,"instanceProtocol":"TCP"}],
 "healthCheck":{"target":"HTTP:80/index.html","interval":5,"timeout":2,"healthyThreshold":2,"unhealthyThreshold":2},
 "securityGroupRules":$_rules,
 "environmentProperties":{"APP_MODE":"test"},"drainingTimeout":3,"startTimeout":60}
EOF
}
plan 3 > "$WORK/plan3.json"
plan 2 > "$WORK/plan2.json"
plan 1 SingleInstance > "$WORK/plan1.json"
jq '. + {sharedBridge: true}' "$WORK/plan1.json" > "$WORK/plan1-bridge.json"
plan 3 LoadBalanced '[{"protocol":"tcp","fromPort":80,"toPort":80}]' > "$WORK/blocked.json"

# ---- the security group model refuses a listener it does not open ----
P apply "$ENV" v1 "$WORK/td.json" "$WORK/blocked.json" "$WORK/src" >/dev/null 2>"$WORK/blocked.err"
if grep -q "DRIVER_LISTENER_BLOCKED" "$WORK/blocked.err" &&
	[ -z "$(docker ps -aq --filter "label=sprout.owner=$OWNER")" ]; then
	ok "a listener whose instance port no rule opens is refused, nothing is created"
else
	nok "a listener whose instance port no rule opens is refused" "$(cat "$WORK/blocked.err")"
fi

# ---- 2 containers x 3 instances ----
if P apply "$ENV" v1 "$WORK/td.json" "$WORK/plan3.json" "$WORK/src" >"$WORK/obs1.json" 2>"$WORK/apply1.err"; then
	ok "apply: 2 containers x 3 instances"
else
	nok "apply: 2 containers x 3 instances" "$(tail -n 20 "$WORK/apply1.err")"
fi
svc_record_pidfile haproxy "$DATA/lb/haproxy.pid"
LBA=$(jq -r .loadBalancer.address "$WORK/obs1.json")
NRUN=$(docker ps -q --filter "label=sprout.owner=$OWNER" --filter "label=sprout.env=$ENV" | wc -l)
NINST=$(jq '[.instances[] | select(.task.state == "RUNNING")] | length' "$WORK/obs1.json")
if [ "$NRUN" -eq 6 ] && [ "$NINST" -eq 3 ]; then
	ok "6 containers run, 3 tasks RUNNING"
else
	nok "6 containers run, 3 tasks RUNNING" "containers=$NRUN tasks=$NINST"
fi

# Each task network is a /28 of the driver's range (172.16.0.0/16), not one of Docker's
# ~30 default pools; three tasks, three distinct subnets.
subnets=$(for n in $(docker network ls -q --filter "label=sprout.owner=$OWNER" --filter "label=sprout.env=$ENV"); do
	docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$n"; done | sort -u)
if [ "$(echo "$subnets" | grep -cE '^172\.16\.[0-9]+\.[0-9]+/28$')" -eq 3 ]; then
	ok "task networks: three distinct /28 subnets of 172.16.0.0/16"
else
	nok "task networks' subnets" "$subnets"
fi
"$PROBE" --data "$WORK/bad-subnets" --task-subnets 172.16.0.1/16 check >/dev/null 2>"$WORK/badsub.err"
bsrc=$?
"$PROBE" --data "$WORK/bad-subnets" --task-subnets 10.9.0.0/29 check >/dev/null 2>>"$WORK/badsub.err"
bsrc2=$?
if [ $bsrc -ne 0 ] && [ $bsrc2 -ne 0 ] && [ "$(grep -c 'driver: invalid input' "$WORK/badsub.err")" -eq 2 ]; then
	ok "a task subnet range with host bits set, or smaller than a /28, is refused"
else
	nok "bad task subnet ranges are refused" "rc=$bsrc/$bsrc2 $(cat "$WORK/badsub.err")"
fi

ids_ok=1
for id in $(jq -r '.instances[].id' "$WORK/obs1.json"); do
	echo "$id" | grep -Eq '^i-[0-9a-f]{17}$' || ids_ok=0
	for d in var/app/current/www/bundle.txt var/app/staging var/log/containers/web var/log/containers/worker; do
		[ -e "$DATA/instances/$id/$d" ] || ids_ok=0
	done
done
addrs=$(jq -r '.instances[].address' "$WORK/obs1.json" | sort -u | wc -l)
if [ $ids_ok -eq 1 ] && [ "$addrs" -eq 3 ] && ! jq -r '.instances[].address' "$WORK/obs1.json" | grep -qx 127.0.0.1; then
	ok "instances: i-+17 hex ids, distinct loopback addresses, root folders with the version's files"
else
	nok "instances: ids, addresses, root folders" "$(jq -c '[.instances[]|{id,address}]' "$WORK/obs1.json")"
fi

# Every instance answers through the load balancer (each web container serves its hostname).
want=$(jq -r '.instances[].task.containers[] | select(.name=="web") | .id[0:12]' "$WORK/obs1.json" | sort)
lb_answers() { # port path -> distinct answers over 30 requests
	_i=0
	while [ $_i -lt 30 ]; do curl -s --max-time 3 "http://$LBA:$1$2"; echo; _i=$((_i + 1)); done | sed '/^$/d' | sort -u
}
got=$(lb_answers 80 /)
if [ "$got" = "$want" ]; then
	ok "all three instances answer through the load balancer (HTTP listener 80)"
else
	nok "all three instances answer through the load balancer" "want: $(echo $want)" "got: $(echo $got)"
fi
got8080=$(lb_answers 8080 / | sed 's/^alt-//')
if [ "$got8080" = "$want" ]; then
	ok "the extra listener on port 8080 (TCP) reaches all three instances"
else
	nok "the extra listener on port 8080" "got: $(echo $got8080)"
fi
check "a bundle path (/var/app/current/www) is mounted read-only from the instance root" \
	sh -c "curl -s --max-time 3 http://$LBA/static/bundle.txt | grep -qx 'bundle file'"

# Container-level mapping, through docker inspect.
I0=$(jq -r '.instances[0].id' "$WORK/obs1.json")
A0=$(jq -r '.instances[0].address' "$WORK/obs1.json")
W0=$(jq -r '.instances[0].task.containers[] | select(.name=="web") | .id' "$WORK/obs1.json")
K0=$(jq -r '.instances[0].task.containers[] | select(.name=="worker") | .id' "$WORK/obs1.json")
docker inspect "$W0" > "$WORK/web0.json"
docker inspect "$K0" > "$WORK/worker0.json"
m=$(jq -r '.[0] | [.HostConfig.Memory, .HostConfig.CpuShares, .HostConfig.PortBindings["80/tcp"][0].HostIp,
	.HostConfig.PortBindings["80/tcp"][0].HostPort, (.Config.ExposedPorts|has("8080/tcp")),
	.Config.Labels["sprout.env"], .Config.Labels["sprout.instance"], .Config.Labels["sprout.version"],
	(.Config.Labels["sprout.task"]|length), .Config.Labels.team, .HostConfig.Ulimits[0].Hard, .Config.StopTimeout,
	(.Config.Env|index("APP_MODE=test") != null), (.Config.Env|index("GREETING=hello") != null)] | map(tostring) | join(" ")' "$WORK/web0.json")
expect="67108864 128 $A0 80 true $ENV $I0 v1 32 probe 2048 2 true true"
if [ "$m" = "$expect" ]; then
	ok "task definition fields map to Docker (memory, cpu, ports on the instance address, labels, env, ulimits, stopTimeout)"
else
	nok "task definition fields map to Docker" "want: $expect" "got:  $m"
fi
m=$(jq -r '.[0] | [.HostConfig.MemoryReservation, (.HostConfig.Binds|map(select(test("/var/log/containers/worker:/logs$")))|length),
	(.HostConfig.Binds|map(select(test("^sprout-[0-9a-f]{12}-scratch:/scratch$")))|length)] | map(tostring) | join(" ")' "$WORK/worker0.json")
if [ "$m" = "33554432 1 1" ]; then
	ok "memoryReservation in bytes, awseb-logs volume in the instance root, a Docker volume when no sourcePath"
else
	nok "worker mapping" "got: $m" "$(jq -c '.[0].HostConfig.Binds' "$WORK/worker0.json")"
fi
# links -> network alias: the worker fetched "http://frontend/" into its awseb-logs folder.
_i=0
while [ $_i -lt 50 ] && [ ! -s "$DATA/instances/$I0/var/log/containers/worker/probe.txt" ]; do sleep 0.1; _i=$((_i + 1)); done
if [ "$(cat "$DATA/instances/$I0/var/log/containers/worker/probe.txt" 2>/dev/null)" = "$(echo "$W0" | cut -c1-12)" ]; then
	ok "links: the worker reaches its own task's web container as \"frontend\""
else
	nok "links: worker reaches frontend" "$(cat "$DATA/instances/$I0/var/log/containers/worker/probe.txt" 2>&1)"
fi

# Container output copied into var/log/containers/<name>-<12 hex>-stdouterr.log on observe.
P observe "$ENV" >"$WORK/obs2.json" 2>"$WORK/observe2.err"
LOG0="$DATA/instances/$I0/var/log/containers/web-$(echo "$W0" | cut -c1-12)-stdouterr.log"
if grep -q "web starting as hello" "$LOG0" 2>/dev/null; then
	ok "container output lands in var/log/containers/web-<12 hex>-stdouterr.log"
else
	nok "container output in stdouterr.log" "$(ls "$DATA/instances/$I0/var/log/containers/")"
fi

# Health from the runtime socket turns Green.
green=0
_i=0
while [ $_i -lt 40 ]; do
	P observe "$ENV" >"$WORK/obsh.json" 2>/dev/null
	[ "$(jq '[.instances[] | select(.health == "Green")] | length' "$WORK/obsh.json")" -eq 3 ] && { green=1; break; }
	sleep 0.5; _i=$((_i + 1))
done
if [ $green -eq 1 ]; then ok "instance health from HAProxy's runtime socket: all Green"; else nok "all Green" "$(jq -c '[.instances[]|[.health,.loadBalancer]]' "$WORK/obsh.json")"; fi

# ---- a non-essential container stopping is a warning ----
docker kill "$K0" >/dev/null
P observe "$ENV" >"$WORK/obs3.json" 2>"$WORK/observe3.err"
if grep -q "^EVENT WARN $I0 .*Non-essential container \"worker\"" "$WORK/observe3.err" &&
	[ "$(jq -r '.instances[0].task.state' "$WORK/obs3.json")" = RUNNING ]; then
	ok "a non-essential container stopping is a WARN event; the task keeps running"
else
	nok "non-essential stop is a warning" "$(cat "$WORK/observe3.err")"
fi

# ---- an essential container stopping stops the task, with its cause ----
T0=$(jq -r '.instances[0].task.id' "$WORK/obs1.json")
docker kill "$W0" >/dev/null
P observe "$ENV" >"$WORK/obs4.json" 2>"$WORK/observe4.err"
st=$(jq -r '.instances[0] | [.task.state, .task.stoppedCause.exitCode, .health, ([.task.containers[]|select(.state=="running")]|length)] | map(tostring) | join(" ")' "$WORK/obs4.json")
if [ "$st" = "STOPPED 137 Red 0" ] && grep -q "^EVENT ERROR $I0 .*Essential container \"web\" in task exited with code 137" "$WORK/observe4.err" &&
	grep -q '^    | .*url:' "$WORK/observe4.err"; then
	ok "killing an essential container: task STOPPED with exit code, other containers stopped, ERROR event with the log tail"
else
	nok "essential container stop" "state: $st" "$(head -n 5 "$WORK/observe4.err")"
fi
# The load balancer keeps answering from the two others meanwhile.
got=$(lb_answers 80 / | wc -l)
if [ "$got" -eq 2 ]; then ok "the stopped instance is out of rotation (2 instances answer)"; else nok "stopped instance out of rotation" "answers: $got"; fi

# ---- apply again replaces the stopped task ----
if P apply "$ENV" v1 "$WORK/td.json" "$WORK/plan3.json" "$WORK/src" >"$WORK/obs5.json" 2>"$WORK/apply5.err"; then :; fi
T1=$(jq -r '.instances[0].task.id' "$WORK/obs5.json")
want=$(jq -r '.instances[].task.containers[] | select(.name=="web") | .id[0:12]' "$WORK/obs5.json" | sort)
got=""
_i=0
while [ $_i -lt 30 ]; do
	got=$(lb_answers 80 /)
	[ "$got" = "$want" ] && break
	sleep 0.5; _i=$((_i + 1))
done
if [ "$T1" != "$T0" ] && [ "$(jq -r '.instances[0].task.state' "$WORK/obs5.json")" = RUNNING ] &&
	grep -q "Replacing task $T0" "$WORK/apply5.err" && [ "$got" = "$want" ]; then
	ok "apply replaces the stopped task; all three instances answer again"
else
	nok "stopped task replaced" "old=$T0 new=$T1" "$(tail -n 5 "$WORK/apply5.err")" "got: $(echo $got)"
fi
# The other two tasks were left alone.
same=$(jq -r '.instances[1:][] .task.id' "$WORK/obs1.json"; jq -r '.instances[1:][] .task.id' "$WORK/obs5.json")
if [ "$(echo "$same" | sort -u | wc -l)" -eq 2 ]; then ok "tasks that run are not touched by apply"; else nok "running tasks untouched" "$same"; fi

# ---- scale in: the third instance drains and goes ----
I2=$(jq -r '.instances[2].id' "$WORK/obs5.json")
# A bounded request loop runs through the drain and the HAProxy reload.
(
	_i=0; _f=0
	while [ $_i -lt 150 ]; do
		_c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$LBA/")
		[ "$_c" = 200 ] || _f=$((_f + 1))
		_i=$((_i + 1))
	done
	echo "$_f" > "$WORK/loop.failed"
) &
LOOP=$!
sleep 0.3
P apply "$ENV" v1 "$WORK/td.json" "$WORK/plan2.json" >"$WORK/obs6.json" 2>"$WORK/apply6.err"
wait $LOOP
if [ "$(cat "$WORK/loop.failed")" = 0 ]; then
	ok "no request failed while an instance drained and HAProxy reloaded (150 requests)"
else
	nok "requests failed during scale in" "failed: $(cat "$WORK/loop.failed") of 150"
fi
if [ "$(jq '.instances|length' "$WORK/obs6.json")" -eq 2 ] && [ ! -e "$DATA/instances/$I2" ] &&
	! grep -q "$I2" "$DATA/lb/haproxy.cfg" &&
	[ "$(docker ps -aq --filter "label=sprout.instance=$I2" | wc -l)" -eq 0 ]; then
	ok "scale to 2: the leaving instance is drained and removed (containers, folder, server line)"
else
	nok "scale in" "$(tail -n 5 "$WORK/apply6.err")"
fi

# ---- SingleInstance: no load balancer ----
if P apply "$ENV1" v1 "$WORK/td.json" "$WORK/plan1.json" "$WORK/src" >"$WORK/single.json" 2>"$WORK/single.err"; then
	SA=$(jq -r '.instances[0].address' "$WORK/single.json")
	if [ "$(jq -r '.loadBalancer' "$WORK/single.json")" = null ] && ! grep -q "fe_$ENV1" "$DATA/lb/haproxy.cfg" &&
		curl -s --max-time 3 "http://$SA/" | grep -q .; then
		ok "a SingleInstance environment has no load balancer and answers on its instance address"
	else
		nok "SingleInstance" "$(jq -c . "$WORK/single.json" | head -c 400)"
	fi
else
	nok "SingleInstance apply" "$(tail -n 10 "$WORK/single.err")"
fi

# ---- a version whose essential container exits 1 fails with its cause; the previous one comes back ----
jq '.containerDefinitions[0].command = ["echo boom: config missing; exit 1"]' "$WORK/td.json" > "$WORK/td-bad.json"
P apply "$ENV1" v2 "$WORK/td-bad.json" "$WORK/plan1.json" "$WORK/src" >"$WORK/bad.json" 2>"$WORK/bad.err"
brc=$?
if [ $brc -ne 0 ] && grep -q 'DRIVER_TASK_STOPPED.*Essential container "web" in task exited with code 1' "$WORK/bad.err" &&
	grep -q '^EVENT ERROR .*exited with code 1' "$WORK/bad.err" && grep -q '^    | boom: config missing' "$WORK/bad.err"; then
	ok "a version whose essential container exits 1 fails with the exit code and the log tail"
else
	nok "failing version" "rc=$brc" "$(head -n 8 "$WORK/bad.err")"
fi
if P apply "$ENV1" v1 "$WORK/td.json" "$WORK/plan1.json" "$WORK/src" >"$WORK/again.json" 2>"$WORK/again.err" &&
	[ "$(jq -r '.instances[0].task.state + " " + .version' "$WORK/again.json")" = "RUNNING v1" ] &&
	curl -s --max-time 3 "http://$(jq -r '.instances[0].address' "$WORK/again.json")/" | grep -q .; then
	ok "redeploying the previous version brings the environment back"
else
	nok "redeploy previous version" "$(tail -n 5 "$WORK/again.err")"
fi

# ---- a replaced task stops what depends on something first ----
# web runs an init process (stops at once on SIGTERM); worker dependsOn web and ignores
# SIGTERM (sh as PID 1, stopTimeout 1). Stopped together, web would die first; in ECS's
# order worker dies first. Docker's own event stream gives the order.
jq '.containerDefinitions[0].linuxParameters = {"initProcessEnabled": true}' "$WORK/td.json" > "$WORK/td-init.json"
jq '.containerDefinitions[0].environment += [{"name":"REV","value":"2"}]' "$WORK/td-init.json" > "$WORK/td-init2.json"
P apply "$ENV1" v3 "$WORK/td-init.json" "$WORK/plan1.json" "$WORK/src" >"$WORK/v3.json" 2>"$WORK/v3.err"
TA=$(jq -r '.instances[0].task.id' "$WORK/v3.json")
since=$(date +%s)
P apply "$ENV1" v4 "$WORK/td-init2.json" "$WORK/plan1.json" "$WORK/src" >"$WORK/v4.json" 2>"$WORK/v4.err"
order=$(docker events --since "$since" --until "$(date +%s.%N)" --filter event=die --filter "label=sprout.task=$TA" \
	--format '{{index .Actor.Attributes "sprout.container"}}' | tr '\n' ' ')
if [ "$(jq -r '.instances[0].task.state' "$WORK/v4.json")" = RUNNING ] && [ "$order" = "worker web " ]; then
	ok "a replaced task stops its containers dependents first (worker, then the web it dependsOn)"
else
	nok "stop order of a replaced task" "order: $order" "$(tail -n 5 "$WORK/v4.err")"
fi

# ---- a task Docker refuses to create leaves the running one serving ----
TB=$(jq -r '.instances[0].task.id' "$WORK/v4.json")
jq '.containerDefinitions[1].memoryReservation = null | .containerDefinitions[1].memory = 4' "$WORK/td-init2.json" > "$WORK/td-small.json"
P apply "$ENV1" v5 "$WORK/td-small.json" "$WORK/plan1.json" "$WORK/src" >"$WORK/v5.json" 2>"$WORK/v5.err"
src=$?
SA=$(jq -r '.instances[0].address' "$WORK/v4.json")
P observe "$ENV1" >"$WORK/v5obs.json" 2>/dev/null
if [ $src -ne 0 ] && grep -q 'DRIVER_TASK_START_FAILED.*container "worker"' "$WORK/v5.err" &&
	[ "$(jq -r '.instances[0].task.id + " " + .instances[0].task.state' "$WORK/v5obs.json")" = "$TB RUNNING" ] &&
	curl -s --max-time 3 "http://$SA/" | grep -q . &&
	[ "$(docker ps -aq --filter "label=sprout.env=$ENV1" --filter "label=sprout.task=$TB" | wc -l)" = 2 ] &&
	[ "$(docker ps -aq --filter "label=sprout.env=$ENV1" --filter status=created | wc -l)" = 0 ]; then
	ok "a task Docker refuses to create: the apply fails with Docker's reason, the old task keeps serving, nothing half-made is left"
else
	nok "refused task keeps the old one" "rc=$src" "$(grep DRIVER "$WORK/v5.err" | head -n 3)" \
		"$(jq -c '.instances[0].task | {id, state}' "$WORK/v5obs.json")"
fi

# ---- sprout:security TaskNetwork bridge: Docker's default bridge, legacy links ----
if P apply "$ENV2" v1 "$WORK/td.json" "$WORK/plan1-bridge.json" "$WORK/src" >"$WORK/bridge.json" 2>"$WORK/bridge.err"; then
	BI=$(jq -r '.instances[0].id' "$WORK/bridge.json")
	BW=$(jq -r '.instances[0].task.containers[] | select(.name=="web") | .id' "$WORK/bridge.json")
	BK=$(jq -r '.instances[0].task.containers[] | select(.name=="worker") | .id' "$WORK/bridge.json")
	_i=0
	while [ $_i -lt 50 ] && [ ! -s "$DATA/instances/$BI/var/log/containers/worker/probe.txt" ]; do sleep 0.1; _i=$((_i + 1)); done
	if [ "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$BW")" = bridge ] &&
		docker inspect -f '{{json .HostConfig.Links}}' "$BK" | grep -q ':/sprout-[^"]*/frontend"' &&
		[ -z "$(docker network ls -q --filter "label=sprout.env=$ENV2")" ] &&
		[ "$(cat "$DATA/instances/$BI/var/log/containers/worker/probe.txt" 2>/dev/null)" = "$(echo "$BW" | cut -c1-12)" ] &&
		curl -s --max-time 3 "http://$(jq -r '.instances[0].address' "$WORK/bridge.json")/" | grep -q .; then
		ok "TaskNetwork bridge: the task on Docker's default bridge, its link a legacy link the worker reaches, no network made"
	else
		nok "TaskNetwork bridge" "$(docker inspect -f '{{.HostConfig.NetworkMode}} {{json .HostConfig.Links}}' "$BW" "$BK" 2>&1)" \
			"$(cat "$DATA/instances/$BI/var/log/containers/worker/probe.txt" 2>&1)"
	fi
else
	nok "TaskNetwork bridge apply" "$(tail -n 10 "$WORK/bridge.err")"
fi

# ---- terminate: nothing left ----
P destroy "$ENV" 2>"$WORK/destroy.err" && P destroy "$ENV1" 2>>"$WORK/destroy.err" &&
	P destroy "$ENV2" 2>>"$WORK/destroy.err"
left_c=$(docker ps -aq --filter "label=sprout.owner=$OWNER" | wc -l)
left_n=$(docker network ls -q --filter "label=sprout.owner=$OWNER" | wc -l)
left_v=$(docker volume ls -q --filter "label=sprout.owner=$OWNER" | wc -l)
left_i=$(find "$DATA/instances" -mindepth 1 -maxdepth 1 | wc -l)
left_f=$(grep -c '^frontend' "$DATA/lb/haproxy.cfg")
left_s=$(P list)
if [ "$left_c$left_n$left_v$left_i$left_f" = "00000" ] && [ "$left_s" = "[]" ]; then
	ok "terminate leaves no container, network, volume, frontend or instance folder"
else
	nok "terminate leaves nothing" "containers=$left_c networks=$left_n volumes=$left_v instances=$left_i frontends=$left_f state=$left_s"
fi
HP=$(cat "$DATA/lb/haproxy.pid" 2>/dev/null)
P shutdown
alive() { _s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]; }
if [ -n "$HP" ] && ! alive "$HP"; then ok "shutdown stops the HAProxy master the driver started"; else nok "HAProxy stopped" "pid=$HP"; fi

echo "# $N tests, $FAILED failed"
[ $FAILED -eq 0 ]
