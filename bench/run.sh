#!/usr/bin/env bash
# Builds and times the benchmarks side by side; prints a Markdown table with ratios to C.
# Usage: bench/run.sh   (run `cargo build -p nyash` first; needs gcc and hyperfine; node and
# python3 are used when installed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
nyash="${NYASH:-$root/target/debug/nyash}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
have() { command -v "$1" >/dev/null 2>&1; }
# Median wall time in seconds of a command (hyperfine; 3 runs, 1 for long ones).
t() {
  local runs=3
  [ "${SLOW:-0}" = 1 ] && runs=1
  hyperfine -N --runs "$runs" --warmup 0 --export-json "$out/h.json" "$*" >/dev/null 2>&1 || { echo "fail"; return; }
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$out/h.json"
}
ratio() { python3 -c 'import sys; a,b=sys.argv[1:]; print("—" if a=="fail" or b in ("fail","0.000") else "%.1f×" % (float(a)/float(b)))' "$1" "$2"; }
echo "| benchmark | C -O2 (s) | Nyash (s) | Nyash/C | node (s) | node/C | python3 (s) | python3/C | bundle |"
echo "|---|---|---|---|---|---|---|---|---|"
for b in fib loop strings index array map trees nbody; do
  gcc -O2 -o "$out/$b" "$here/$b.c" -lm
  "$nyash" bundle "$here/$b.nyash" -o "$out/$b.ny" >/dev/null
  c=$(t "$out/$b"); n=$(t "$out/$b.ny")
  size=$(stat -c %s "$out/$b.ny"); size=$(python3 -c "print('%.2f MB' % ($size/1048576))")
  js="—"; jr="—"; py="—"; pr="—"
  if have node; then js=$(t node "$here/$b.js"); jr=$(ratio "$js" "$c"); fi
  if have python3; then SLOW=1; py=$(t python3 "$here/$b.py"); SLOW=0; pr=$(ratio "$py" "$c"); fi
  echo "| $b | $c | $n | $(ratio "$n" "$c") | $js | $jr | $py | $pr | $size |"
done
echo; "$here/async.sh"
