#!/bin/sh
# bench/bundle.sh — reading a source bundle: `sprout bundle extract` (every safety check,
# the manifest, the SHA-256 and the extraction in one streaming pass) and
# `sprout bundle inspect` + `sprout bundle extract`, against `bsdtar -xf` + `sha256sum`
# of the same file, side by side in one run, with peak memory from /usr/bin/time -v.
# The bundle is generated: a zip of about 200 MB unpacked in 20 000 files (half random
# bytes, half text, so it compresses about 2:1). Results go into docs/benchmarks.md,
# section "Bundles". No timing is asserted anywhere.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
SPROUT=${SPROUT:-$top/build/sprout}
FILES=${BENCH_BUNDLE_FILES:-20000}
MB=${BENCH_BUNDLE_MB:-200}
RUNS=${BENCH_RUNS:-3}
[ -x "$SPROUT" ] || { echo "bench/bundle: build/sprout is not built (make)" >&2; exit 1; }
command -v bsdtar >/dev/null || { echo "bench/bundle: bsdtar missing (libarchive-tools)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/sprout-bench-bundle.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

python3 - "$W/bundle.zip" "$FILES" "$MB" <<'EOP'
import os, random, sys, zipfile
path, files, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = mb * 1000 * 1000 // files
rnd = random.Random(42)
text = (b"<?php echo 'hello from a sprout benchmark'; ?>\n" * (size // 40 + 1))
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
    z.writestr("Dockerrun.aws.json", '{"AWSEBDockerrunVersion": 2, "containerDefinitions": []}')
    for i in range(files - 1):
        half = size // 2
        data = rnd.randbytes(half) + text[: size - half]
        zi = zipfile.ZipInfo("app/d%03d/f%05d.php" % (i % 200, i), (2020, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(zi, data, compresslevel=1)
EOP
zsize=$(stat -c %s "$W/bundle.zip")

now() { date +%s.%N; }
# once NAME CMD: one timed run; keeps the best wall time (after the warm-up round) and the
# peak RSS (KiB) per NAME. The commands take turns round after round, so a slow moment of
# the disk (writeback of an earlier round) falls on all of them alike.
once() {
	name=$1; shift
	rm -rf "$W/out" && mkdir "$W/out"
	sync
	t0=$(now)
	/usr/bin/time -v -o "$W/time.txt" sh -c "$*" >/dev/null 2>"$W/err.txt" || {
		echo "bench/bundle: $name failed:"; cat "$W/err.txt"; exit 1; }
	t1=$(now)
	r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/time.txt")
	t=$(echo "$t1 - $t0" | bc -l)
	eval "rss=\${R_$name:-0} best=\${T_$name:-}"
	[ "$r" -gt "$rss" ] && rss=$r
	if [ "$round" -gt 0 ]; then
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	fi
	eval "T_$name=$best; R_$name=$rss"
}

B=$W/bundle.zip
round=0
while [ $round -le "$RUNS" ]; do
	once bsdtar "bsdtar -xf '$B' -C '$W/out' && sha256sum '$B'"
	once extract "'$SPROUT' bundle extract '$B' '$W/out'"
	once both "'$SPROUT' bundle inspect '$B' && '$SPROUT' bundle extract '$B' '$W/out'"
	# memory of bsdtar alone (sha256sum is a separate process)
	once bsdtaronly "bsdtar -xf '$B' -C '$W/out'"
	round=$((round + 1))
done

mbps() { echo "scale=1; $zsize / 1000000 / $1" | bc -l; }
ratio() { printf "%.2f" "$(echo "scale=4; $T_bsdtar / $1" | bc -l)"; }
ms() { echo "$1 * 1000 / 1" | bc; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="$(nproc) CPU ($cpu), $(uname -sr), $(df -T "$W" | awk 'NR==2 {print $2}') temp folder"
echo "bundle: $FILES files, ~$MB MB unpacked, $zsize bytes zipped"
printf '  %-44s %6s ms  %5s MB/s  ratio %s  peak %s KiB\n' \
	"bsdtar -xf + sha256sum" "$(ms "$T_bsdtar")" "$(mbps "$T_bsdtar")" 1.00 "$R_bsdtaronly" \
	"sprout bundle extract" "$(ms "$T_extract")" "$(mbps "$T_extract")" "$(ratio "$T_extract")" "$R_extract" \
	"sprout bundle inspect + sprout bundle extract" "$(ms "$T_both")" "$(mbps "$T_both")" "$(ratio "$T_both")" "$R_both"

doc=$top/docs/benchmarks.md
[ -f "$doc" ] || printf '# Benchmarks\n\n`make bench` runs every bench/*.sh; each rewrites its own section here.\n' > "$doc"
section=$(cat <<EOS
## Bundles

\`sh bench/bundle.sh\` (part of \`make bench\`): a generated zip of $FILES files, about
$MB MB unpacked ($zsize bytes zipped, deflate, half random bytes and half text per file),
read and extracted into an empty folder. The commands take turns, a warm-up round then
$RUNS timed rounds (so a slow moment of the disk falls on all of them alike), and each
row is its best time; peak memory is the largest "Maximum resident set size" of /usr/bin/time -v. Ratio = bsdtar's time /
this time (above 1 is faster than bsdtar). \`sprout bundle extract\` makes every check,
the manifest and the SHA-256 in the same pass as the extraction; the last row reads the
bundle twice (inspect, then extract), as a caller that checks before extracting would.

| command | time | throughput (zip MB/s) | ratio | peak RSS |
|---|---|---|---|---|
| \`bsdtar -xf bundle.zip && sha256sum bundle.zip\` | $(ms "$T_bsdtar") ms | $(mbps "$T_bsdtar") | 1.00 | $R_bsdtaronly KiB (bsdtar) |
| \`sprout bundle extract bundle.zip DIR\` | $(ms "$T_extract") ms | $(mbps "$T_extract") | $(ratio "$T_extract") | $R_extract KiB |
| \`sprout bundle inspect\` + \`sprout bundle extract\` | $(ms "$T_both") ms | $(mbps "$T_both") | $(ratio "$T_both") | $R_both KiB |

Target: ratio at least 0.9, peak RSS under 32 MB.
Machine: $machine; $(date +%Y-%m-%d).
EOS
)
python3 - "$doc" "$section" <<'EOP'
import re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read()
pat = re.compile(r"^## Bundles\n.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(lambda m: section + "\n", text) if pat.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
EOP
