#!/bin/sh
# bench/registry.sh — image checks of a version run concurrently (curl multi): a version
# with 10 images on one registry is checked in about the time of the slowest single check,
# not the sum. The registry is the real docker-registry behind a proxy that adds 300 ms to
# every request (tests/integration/registry/slow_proxy.py), so each image costs two
# round trips (ping, manifest HEAD) of 300 ms. Results go into docs/benchmarks.md,
# section "Image checks". No timing is asserted anywhere.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/services.sh"
PATH="$top/build:$PATH"
export PATH NO_COLOR=1
trap svc_stop_all EXIT INT TERM
svc_init
W=$SVC_DIR/bench
mkdir -p "$W"
export SPROUT_DATA_DIR="$W/data"
N=10
DELAY_MS=${DELAY_MS:-300}

svc_docker >/dev/null || { echo "bench/registry: no Docker daemon" >&2; exit 1; }
P=$(svc_free_port)
svc_registry "$P" || exit 1
svc_image_busybox sprout-test/busybox:1 || exit 1
i=0
while [ $i -lt $N ]; do
	svc_push sprout-test/busybox:1 "127.0.0.1:$P/bench/img-$i:1" >/dev/null || exit 1
	docker rmi "127.0.0.1:$P/bench/img-$i:1" >/dev/null 2>&1
	i=$((i + 1))
done
PX=$(svc_free_port)
svc_python slow-proxy "$top/tests/integration/registry/slow_proxy.py" "$PX" "127.0.0.1:$P" "$DELAY_MS"
svc_wait_port "$PX" || exit 1

version() { # dir first-index count
	mkdir -p "$1"
	{
		printf '{"AWSEBDockerrunVersion": 2, "containerDefinitions": [\n'
		j=0
		while [ $j -lt "$3" ]; do
			[ $j -gt 0 ] && printf ',\n'
			ports=""
			[ $j = 0 ] && ports=', "portMappings": [{"hostPort": 80, "containerPort": 80}]'
			printf '{"name": "c%d", "image": "127.0.0.1:%s/bench/img-%d:1", "memory": 64%s}' \
				"$j" "$PX" $(($2 + j)) "$ports"
			j=$((j + 1))
		done
		printf ']}\n'
	} > "$1/Dockerrun.aws.json"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
timed() { # dir -> prints milliseconds; fails when the images were not all found
	t0=$(now_ms)
	out=$(sprout validate --check-images "$1" 2>&1) || { echo "$out" >&2; return 1; }
	t1=$(now_ms)
	found=$(printf '%s\n' "$out" | grep -c 'IMAGE_FOUND')
	[ "$found" -ge 1 ] || { echo "$out" >&2; return 1; }
	echo $((t1 - t0))
}

# warm-up (page cache, docker-registry's first requests)
version "$W/warm" 0 1
timed "$W/warm" >/dev/null || exit 1

sum=0 max=0
i=0
while [ $i -lt $N ]; do
	version "$W/single-$i" "$i" 1
	t=$(timed "$W/single-$i") || exit 1
	sum=$((sum + t))
	[ "$t" -gt "$max" ] && max=$t
	i=$((i + 1))
done
version "$W/all" 0 $N
best=""
for run in 1 2 3; do
	t=$(timed "$W/all") || exit 1
	{ [ -z "$best" ] || [ "$t" -lt "$best" ]; } && best=$t
done
# no concurrency for comparison is the sum of the single checks
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="$(nproc) CPU ($cpu), $(uname -sr)"
echo "image checks: $N images, +${DELAY_MS} ms per request:"
echo "  slowest single image      ${max} ms"
echo "  sum of the $N single checks ${sum} ms"
echo "  one version with $N images ${best} ms (best of 3)"

doc=$top/docs/benchmarks.md
[ -f "$doc" ] || printf '# Benchmarks\n\n`make bench` runs every bench/*.sh; each rewrites its own section here.\n' > "$doc"
section=$(cat <<EOS
## Image checks

\`sh bench/registry.sh\` (part of \`make bench\`): one version with $N images on one
registry (Debian docker-registry on 127.0.0.1 behind tests/integration/registry/slow_proxy.py,
which adds ${DELAY_MS} ms to every request; each image needs a ping and a manifest HEAD),
checked by \`sprout validate --check-images\`. Each time includes starting sprout and the
offline validation.

| what | time |
|---|---|
| slowest single-image check | ${max} ms |
| sum of the $N single-image checks (what a sequential client would take) | ${sum} ms |
| the $N images of one version, concurrently (best of 3) | ${best} ms |

Machine: $machine; $(date -u +%Y-%m-%d).
EOS
)
python3 - "$doc" "$section" <<'EOP'
import re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read()
pat = re.compile(r"^## Image checks\n.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(lambda m: section + "\n", text) if pat.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
EOP
