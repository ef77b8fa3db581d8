#!/usr/bin/env bash
# Start-up benchmark for embedded files (`nyash bundle --include`).
#
# Bundles the WASI probe (tests/fixtures/probe.wasm) four ways: without
# embedded files; with 10,000 small files (100 directories of 100 files of
# 100 bytes); with one 100 MB text file and one small file. Then measures,
# with hyperfine, the probe reading one small file (`cat`) from each, and
# reading the whole 100 MB file (`read`). Prints a Markdown table: bundle
# size, how long `nyash bundle` took, and the median run time on the
# native path. A run includes the launcher's start, the read and the exit.
#
# Usage: scripts/bench-assets.sh [RUNS]   (default 30 runs per case)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet -p nyash --manifest-path "$root/Cargo.toml"
nyash="$root/target/debug/nyash"
probe="$root/tests/fixtures/probe.wasm"

# 10,000 small files.
python3 - "$work/small" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/d{d:02}")
    for f in range(100):
        with open(f"{root}/d{d:02}/f{f:02}.txt", "w") as out:
            out.write(f"file {d:02}/{f:02} ".ljust(99, "x") + "\n")
PY
# One 100 MB text file (base64 of random bytes: compresses to about 3/4) and one small file.
mkdir "$work/big"
head -c 78643200 /dev/urandom | base64 -w 0 | head -c 104857600 > "$work/big/large.txt"
echo "a small file" > "$work/big/small.txt"

bundle() { # name flags... -> prints seconds taken
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$nyash" bundle "$probe" -o "$work/app-$name" "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "print('%.1f' % ($end - $start))"
}
t_none=$(bundle none)
t_small=$(bundle small --include "$work/small")
t_big=$(bundle big --include "$work/big")

measure() { # exe args... -> median ms
  local json=$work/h.json exe=$1; shift
  NYASH_EXEC=native hyperfine -N --warmup 3 --runs "$runs" --export-json "$json" "$exe $*" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1e3))' "$json"
}
size() { stat -c %s "$work/app-$1"; }

echo "| bundle | embedded | bundle size (bytes) | \`nyash bundle\` (s) | program | run median (ms) |"
echo "|---|---|---:|---:|---|---:|"
echo "| no files | – | $(size none) | $t_none | \`hello\` | $(measure "$work/app-none" hello) |"
echo "| 10,000 small files | 1,000,000 bytes | $(size small) | $t_small | \`hello\` (opens none) | $(measure "$work/app-small" hello) |"
echo "| 10,000 small files | 1,000,000 bytes | $(size small) | $t_small | \`cat\` one file | $(measure "$work/app-small" cat /app/small/d42/f42.txt) |"
echo "| one 100 MB file + one small | 104,857,613 bytes | $(size big) | $t_big | \`hello\` (opens none) | $(measure "$work/app-big" hello) |"
echo "| one 100 MB file + one small | 104,857,613 bytes | $(size big) | $t_big | \`cat\` the small file | $(measure "$work/app-big" cat /app/big/small.txt) |"
echo "| one 100 MB file + one small | 104,857,613 bytes | $(size big) | $t_big | \`read\` the 100 MB file | $(measure "$work/app-big" read /app/big/large.txt) |"
echo
echo "hyperfine -N, $runs runs after 3 warm-ups, native path, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%d)."
