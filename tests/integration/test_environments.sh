#!/bin/sh
# test_environments.sh — environments through the engine's API against the real Docker
# engine, HAProxy (started by the engine's driver) and a Debian docker-registry, all on
# 127.0.0.1 and stopped by pid on exit. TAP-style lines.
#
# Launch 2 containers x 3 instances and get answers from all three through the load
# balancer and on the extra listener; kill an essential container and see the task
# replaced (events); a Rolling deploy under a bounded request loop (failed count
# reported); an Immutable deploy (failed count asserted 0); a version whose essential
# container exits 1 (exit code and log tail in events); redeploy the previous version;
# RollbackOnFailure; restart the engine and the Docker daemon mid-life; terminate and
# find nothing left; the terminated environment described as Terminated (and listed with
# include_deleted) while its name and CNAME are taken again at once.
# SPROUT_ENV_STAGES="launch kill rolling ..." runs some stages only.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
. "$top/tests/lib/services.sh"

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; shift; for l in "$@"; do echo "# $l"; done; }
stage() { case " ${SPROUT_ENV_STAGES:-all} " in *" all "*|*" $1 "*) return 0 ;; esac; return 1; }

svc_init
WORK=$(mktemp -d /tmp/sprout-env-test.XXXXXX)
export WORK
. "$top/tests/integration/environments/lib.sh"
trap 'env_cleanup; svc_stop_all; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

if [ ! -x build/sprout ]; then echo "not ok 1 - build/sprout is missing (make build-tests)"; exit 1; fi
if ! svc_docker; then nok "a Docker daemon answers"; exit 1; fi
REGPORT=$(svc_free_port)
if ! svc_registry "$REGPORT"; then nok "the registry starts"; exit 1; fi
IMAGE=127.0.0.1:$REGPORT/sprout-test/busybox:1
if svc_image_busybox sprout-test/busybox:1 && svc_push sprout-test/busybox:1 "$IMAGE" >/dev/null; then
	ok "the offline test image is built and pushed to the local registry"
else
	nok "the offline test image is built and pushed to the local registry"; exit 1
fi

env_serve_start || { nok "sprout serve starts" "$(tail -n 20 "$WORK/serve.log")"; exit 1; }
ok "sprout serve starts and says the driver is ready"
api POST /applications '{"name":"envtest"}' >/dev/null
# v1, v2: the sample app (web behind the LB, linked api on the extra listener 8080);
# bad: web exits 1.
env_bundle v1 ok && env_bundle v2 ok && env_bundle bad exit1 && env_bundle v3 ok
for v in v1 v2 bad v3; do env_upload "$v" || nok "upload $v"; done
if env_wait_processed v1 && env_wait_processed v2 && env_wait_processed bad && env_wait_processed v3; then
	ok "four versions are PROCESSED"
else
	nok "four versions are PROCESSED" "$(api GET /applications/envtest/versions)"
fi

FAST='{"namespace":"aws:elb:healthcheck","option_name":"Interval","value":"5"},
 {"namespace":"aws:elb:healthcheck","option_name":"HealthyThreshold","value":"2"},
 {"namespace":"aws:elb:healthcheck","option_name":"UnhealthyThreshold","value":"2"},
 {"namespace":"aws:elb:healthcheck","option_name":"Timeout","value":"2"},
 {"namespace":"aws:elb:policies","option_name":"ConnectionDrainingEnabled","value":"true"},
 {"namespace":"aws:elb:policies","option_name":"ConnectionDrainingTimeout","value":"5"}'

# ---- names and validation ----
out=$(api POST /environments '{"application":"envtest","name":"-bad-","version_label":"v1"}')
case $out in *API_INVALID_PARAMETER*) ok "a bad environment name is refused (EB's rules)" ;;
*) nok "a bad environment name is refused" "$out" ;; esac
out=$(api POST /environments '{"application":"envtest","name":"envbad","version_label":"v1",
 "option_settings":[{"namespace":"aws:autoscaling:asg","option_name":"MinSize","value":"many"}]}')
case $out in *EBX_OPTION_VALUE*) ok "a bad option value is refused with its diagnostic" ;;
*) nok "a bad option value is refused with its diagnostic" "$out" ;; esac

# ---- launch: 2 containers x 3 instances ----
ENV=envtest-main
out=$(api POST /environments "{\"application\":\"envtest\",\"name\":\"$ENV\",\"cname_prefix\":\"envtest-main-$$\",
 \"version_label\":\"v1\",\"option_settings\":[$FAST]}")
case $out in *'"status":"Launching"'*) ok "create answers 202 with status Launching" ;;
*) nok "create answers 202 with status Launching" "$out" ;; esac
out=$(api POST /environments "{\"application\":\"envtest\",\"name\":\"$ENV\",\"version_label\":\"v1\"}")
case $out in *ENV_EXISTS*) ok "a second environment of the same name is refused" ;;
*) nok "a second environment of the same name is refused" "$out" ;; esac
if env_wait_ready "$ENV" 180 && env_wait_health "$ENV" Green 120; then
	ok "the environment is Ready and Green"
else
	nok "the environment is Ready and Green" "$(env_describe "$ENV" | jq -c '{status,health,causes}')" \
		"$(env_events "$ENV" | tail -n 15)"
fi
D=$(env_describe "$ENV")
URL=$(printf '%s\n' "$D" | jq -r .url)
LB=$(printf '%s\n' "$D" | jq -r .load_balancer.address)
if [ "$(printf '%s\n' "$D" | jq '.instances | length')" = 3 ] &&
	[ "$(printf '%s\n' "$D" | jq '[.instances[].task.containers | length] | add')" = 6 ] &&
	[ "$(printf '%s\n' "$D" | jq -r .task_definition)" = "$(printf '%s\n' "$D" | jq -r .plan.taskDefinition)" ] &&
	printf '%s\n' "$D" | jq -e '.cluster and (.listeners | length == 2) and (.security_group_rules | length >= 2)' >/dev/null &&
	printf '%s\n' "$D" | jq -e '[.instances[] | .address and .health == "Green"] | all' >/dev/null; then
	ok "describe: 3 instances, 6 containers, listeners, rules, cluster, task definition $(printf '%s\n' "$D" | jq -r .task_definition)"
else
	nok "describe shows instances, tasks, containers, listeners, rules" "$(printf '%s\n' "$D" | jq -c .)"
fi
ids=""
for i in $(seq 1 30); do ids="$ids $(curl -s --max-time 2 "${URL}id.txt")"; done
distinct=$(echo "$ids" | tr ' ' '\n' | grep -v '^$' | sort -u | wc -l)
if [ "$distinct" = 3 ]; then ok "all three instances answer through the load balancer"
else nok "all three instances answer through the load balancer" "distinct: $distinct ($ids)"; fi
if curl -s --max-time 2 "http://$LB:8080/status.json" | grep -q '"api"'; then
	ok "the extra listener on 8080 reaches the linked api container"
else
	nok "the extra listener on 8080 reaches the linked api container"
fi
inst=$(printf '%s\n' "$D" | jq -r '.instances[0].root')
if ls "$inst"/var/log/containers/web/access.log >/dev/null 2>&1 &&
	ls "$inst"/var/app/current/www/index.html >/dev/null 2>&1; then
	ok "instance folder holds var/app/current and the awseb-logs-web mount"
else
	nok "instance folder holds var/app/current and the awseb-logs-web mount" "$(ls -R "$inst" | head -n 20)"
fi

# ---- kill an essential container: the task is replaced ----
if stage kill; then
	victim=$(printf '%s\n' "$D" | jq -r '.instances[1].task.containers[] | select(.name=="web") | .name' >/dev/null;
		docker ps -q --filter "label=sprout.env=$ENV" --filter "label=sprout.container=web" | head -n 1)
	old_task=$(docker inspect -f '{{index .Config.Labels "sprout.task"}}' "$victim")
	docker kill "$victim" >/dev/null
	if env_wait_event "$ENV" "Essential container" 60 && env_wait_event "$ENV" "Replacing what stopped" 60 &&
		env_wait_health "$ENV" Green 120 &&
		[ "$(docker ps -q --filter "label=sprout.task=$old_task" | wc -l)" = 0 ] &&
		[ "$(env_describe "$ENV" | jq '[.instances[].task.state == "RUNNING"] | all')" = true ]; then
		ok "a killed essential container: task STOPPED, replaced, events, Green again"
	else
		nok "a killed essential container: task STOPPED, replaced, events, Green again" \
			"$(env_events "$ENV" | tail -n 10)"
	fi
fi

# ---- Rolling deploy of v2 under a bounded request loop ----
if stage rolling; then
	env_update "$ENV" '{"version_label":"v2","option_settings":[
	 {"namespace":"aws:elasticbeanstalk:command","option_name":"DeploymentPolicy","value":"Rolling"},
	 {"namespace":"aws:elasticbeanstalk:command","option_name":"BatchSizeType","value":"Fixed"},
	 {"namespace":"aws:elasticbeanstalk:command","option_name":"BatchSize","value":"1"}]}' >/dev/null
	env_load "$URL" 300 "$WORK/rolling.load" &
	loadpid=$!
	env_wait_ready "$ENV" 240
	wait $loadpid
	failed=$(grep -vc '^200$' "$WORK/rolling.load")
	if env_deployment_ok "$ENV" && [ "$(env_describe "$ENV" | jq -r .version_label)" = v2 ] &&
		env_events "$ENV" | grep -q "Starting batch 3"; then
		ok "Rolling deploy of v2 in 3 batches: $failed of $(wc -l < "$WORK/rolling.load") requests failed (target 0)"
	else
		nok "Rolling deploy of v2" "$(env_events "$ENV" | tail -n 15)"
	fi
	if env_all_answer "$URL" v2; then ok "every instance serves v2 after the Rolling deploy"
	else nok "every instance serves v2 after the Rolling deploy"; fi
fi

# ---- Immutable deploy of v3: zero failed requests ----
if stage immutable; then
	before=$(env_describe "$ENV" | jq -r '[.instances[].id] | sort | join(" ")')
	env_update "$ENV" '{"version_label":"v3","option_settings":[
	 {"namespace":"aws:elasticbeanstalk:command","option_name":"DeploymentPolicy","value":"Immutable"}]}' >/dev/null
	env_load "$URL" 300 "$WORK/immutable.load" &
	loadpid=$!
	env_wait_ready "$ENV" 240
	wait $loadpid
	failed=$(grep -vc '^200$' "$WORK/immutable.load")
	after=$(env_describe "$ENV" | jq -r '[.instances[].id] | sort | join(" ")')
	if env_deployment_ok "$ENV" && [ "$failed" = 0 ] && [ "$before" != "$after" ] &&
		[ "$(env_describe "$ENV" | jq '.instances | length')" = 3 ] && env_all_answer "$URL" v3; then
		ok "Immutable deploy of v3 on new instances: 0 of $(wc -l < "$WORK/immutable.load") requests failed"
	else
		nok "Immutable deploy of v3 on new instances (0 failed requests)" "failed=$failed before=$before after=$after" \
			"$(env_events "$ENV" | tail -n 15)"
	fi
fi

# ---- a version whose essential container exits 1; redeploy; RollbackOnFailure ----
if stage failure; then
	env_update "$ENV" '{"version_label":"bad","option_settings":[
	 {"namespace":"aws:elasticbeanstalk:command","option_name":"DeploymentPolicy","value":"AllAtOnce"}]}' >/dev/null
	env_wait_ready "$ENV" 240
	dep=$(api GET "/environments/$ENV/deployments?limit=1")
	if [ "$(printf '%s\n' "$dep" | jq -r '.deployments[0].status')" = Failed ] &&
		printf '%s\n' "$dep" | jq -r '.deployments[0].cause' | grep -q "exit" &&
		env_events "$ENV" ERROR | grep -q "Failed to deploy application" &&
		env_events "$ENV" ERROR | grep -q "web is failing on purpose"; then
		ok "a version whose essential container exits 1 fails: exit code and log tail in events"
	else
		nok "a failing version is reported with exit code and log tail" "$(printf '%s\n' "$dep" | head -c 400)" \
			"$(env_events "$ENV" | tail -n 10)"
	fi
	env_update "$ENV" '{"version_label":"v1"}' >/dev/null
	if env_wait_ready "$ENV" 240 && env_deployment_ok "$ENV" && env_wait_health "$ENV" Green 120 &&
		env_all_answer "$URL" v1; then
		ok "redeploying the previous version v1 brings the environment back to Green"
	else
		nok "redeploying the previous version v1 brings the environment back to Green" \
			"$(env_events "$ENV" | tail -n 10)"
	fi
	env_update "$ENV" '{"version_label":"bad","option_settings":[
	 {"namespace":"sprout:deploy","option_name":"RollbackOnFailure","value":"true"}]}' >/dev/null
	sleep 2
	env_wait_ready "$ENV" 300
	dep=$(api GET "/environments/$ENV/deployments?limit=2")
	printf '%s\n' "$dep" > "$WORK/rollback-deps.json"
	if [ "$(printf '%s\n' "$dep" | jq -r '.deployments[1].status')" = Failed ] &&
		[ "$(printf '%s\n' "$dep" | jq -r '.deployments[0].kind + " " + .deployments[0].status')" = "rollback Succeeded" ] &&
		env_events "$ENV" | grep -q "RollbackOnFailure is set: redeploying the last good version v1" &&
		env_wait_health "$ENV" Green 120 && [ "$(env_describe "$ENV" | jq -r .version_label)" = v1 ]; then
		ok "RollbackOnFailure redeploys the last good version by itself"
	else
		nok "RollbackOnFailure redeploys the last good version by itself" "$(jq -c '.deployments[] | {kind,status,version_label}' "$WORK/rollback-deps.json")" \
			"$(env_events "$ENV" | tail -n 10)"
	fi
fi

# ---- restart the engine, then the Docker daemon ----
if stage restart; then
	env_serve_stop
	env_serve_start
	if env_wait_health "$ENV" Green 120 && env_all_answer "$URL" v1; then
		ok "after an engine restart the environment is Green and answers"
	else
		nok "after an engine restart the environment is Green and answers" "$(env_events "$ENV" | tail -n 10)"
	fi
	if env_restart_dockerd; then
		if env_wait_event "$ENV" "Replacing what stopped" 120 && env_wait_health "$ENV" Green 180 &&
			env_wait_all_answer "$URL" v1 60; then
			ok "after a Docker daemon restart every task is replaced and the environment answers"
		else
			nok "after a Docker daemon restart every task is replaced" "$(env_events "$ENV" | tail -n 10)"
		fi
	else
		# The daemon is shared (not started here), so it is not restarted; what a restart
		# leaves behind — every container of the environment exited — is made instead.
		docker stop -t 1 $(docker ps -q --filter "label=sprout.env=$ENV") >/dev/null
		if env_wait_event "$ENV" "Replacing what stopped" 120 && env_wait_health "$ENV" Green 180 &&
			env_wait_all_answer "$URL" v1 60; then
			ok "every container stopped at once (as a Docker daemon restart leaves them; the shared daemon is not restarted): all tasks replaced, the environment answers"
		else
			nok "every container stopped at once: all tasks replaced" "$(env_events "$ENV" | tail -n 10)"
		fi
	fi
fi

# ---- orphans and terminate ----
OWNER=$(printf %s "$DATA" | sha256sum | cut -c1-12)
docker network create --label sprout.owner="$OWNER" --label sprout.env=ghost-env ghost-net-$$ >/dev/null
if env_wait_gone "docker network ls -q --filter label=sprout.env=ghost-env" 120; then
	ok "the reconciler removes a network with sprout's labels that belongs to no environment"
else
	nok "the reconciler removes orphans"
fi
ENV_ID=$(env_describe "$ENV" | jq -r .environment_id)
ENV_VERSION=$(env_describe "$ENV" | jq -r .version_label)
api DELETE "/environments/$ENV" >/dev/null
if env_wait_event "$ENV" "terminateEnvironment completed successfully." 120 &&
	env_wait_gone "docker ps -aq --filter label=sprout.owner=$OWNER" 30 &&
	[ -z "$(docker network ls -q --filter "label=sprout.owner=$OWNER")" ] &&
	[ -z "$(ls "$DATA/instances" 2>/dev/null)" ] &&
	! grep -q "$ENV" "$DATA/lb/haproxy.cfg" 2>/dev/null &&
	env_wait_status "$ENV" Terminated 30; then
	ok "terminate leaves no container, network, frontend or instance folder"
else
	nok "terminate leaves no container, network, frontend or instance folder" \
		"$(docker ps -a --filter "label=sprout.owner=$OWNER")" "$(ls "$DATA/instances")" \
		"$(env_describe "$ENV" | jq -c '{status,error}')"
fi

# ---- a terminated environment: described for an hour as Terminated, nothing else ----
D=$(env_describe "$ENV")
if printf '%s\n' "$D" | jq -e --arg id "$ENV_ID" --arg env "$ENV" --arg v "$ENV_VERSION" '.status == "Terminated" and
	.health == "Grey" and .instances == [] and .url == null and .environment_id == $id and
	.environment_name == $env and .application == "envtest" and .version_label == $v and
	(.cname | startswith("envtest-main-")) and .causes == [] and .load_balancer == null and
	.abortable == false and .updated != null and .created != null' >/dev/null; then
	ok "describe of the terminated environment: Terminated, Grey, no instances, no URL, its id and version"
else
	nok "describe of the terminated environment says Terminated" "$(printf '%s\n' "$D" | jq -c .)"
fi
if [ "$(api GET /environments | jq --arg env "$ENV" '[.environments[] | select(.environment_name == $env)] | length')" = 0 ] &&
	[ "$(api GET '/environments?include_deleted=true' | jq -r --arg env "$ENV" \
		'[.environments[] | select(.environment_name == $env) | .status] | join(" ")')" = Terminated ]; then
	ok "the list leaves it out; ?include_deleted=true adds it as Terminated"
else
	nok "the list leaves it out; ?include_deleted=true adds it" "$(api GET '/environments?include_deleted=true')"
fi
codes=""
for req in "PATCH /environments/$ENV {\"instances\":2}" "POST /environments/$ENV/restart" \
	"POST /environments/$ENV/abort" "DELETE /environments/$ENV" "GET /environments/$ENV/deployments" \
	"GET /environments/$ENV/logs"; do
	set -- $req
	codes="$codes $(api "$@" | jq -r .error.code)"
done
if [ "$codes" = " ENV_NOT_FOUND ENV_NOT_FOUND ENV_NOT_FOUND ENV_NOT_FOUND ENV_NOT_FOUND ENV_NOT_FOUND" ]; then
	ok "update, restart, abort, terminate, deployments and logs of it are 404 ENV_NOT_FOUND"
else
	nok "every other operation on a terminated environment is 404 ENV_NOT_FOUND" "$codes"
fi
# Its name and CNAME are free at once; describe shows the live one, then the newest snapshot.
out=$(api POST /environments "{\"application\":\"envtest\",\"name\":\"$ENV\",\"cname_prefix\":\"envtest-main-$$\",
 \"version_label\":\"v3\",\"option_settings\":[$FAST,
 {\"namespace\":\"aws:autoscaling:asg\",\"option_name\":\"MinSize\",\"value\":\"1\"},
 {\"namespace\":\"aws:autoscaling:asg\",\"option_name\":\"MaxSize\",\"value\":\"1\"}]}")
ENV_ID2=$(printf '%s\n' "$out" | jq -r .environment_id)
if [ "$(printf '%s\n' "$out" | jq -r .status)" = Launching ] && [ "$ENV_ID2" != "$ENV_ID" ] &&
	[ "$(env_describe "$ENV" | jq -r .environment_id)" = "$ENV_ID2" ] && env_wait_ready "$ENV" 120; then
	ok "the name and CNAME of a terminated environment are free at once; describe shows the new one"
else
	nok "the name and CNAME of a terminated environment are free at once" "$out" "$(env_events "$ENV" | tail -n 5)"
fi
api DELETE "/environments/$ENV" >/dev/null
if env_wait_status "$ENV" Terminated 120 && [ "$(env_describe "$ENV" | jq -r .environment_id)" = "$ENV_ID2" ] &&
	[ "$(api GET '/environments?include_deleted=true&application=envtest' | jq -r --arg env "$ENV" \
		'[.environments[] | select(.environment_name == $env) | .environment_id] | join(" ")')" = "$ENV_ID2 $ENV_ID" ]; then
	ok "terminated again: describe shows the newest snapshot; the list has both, newest first"
else
	nok "terminated again: the newest snapshot wins" "$(api GET '/environments?include_deleted=true')"
fi

[ "$FAILED" = 0 ]
