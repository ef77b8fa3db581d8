#!/usr/bin/env bash
# Builds and times the benchmarks side by side in one run; prints a Markdown table with
# ratios. Usage: bench/run.sh [NAME…]   (run `cargo build -p nyash` first; needs gcc and
# hyperfine; node and python3 are used when installed; Bun is installed from the npm
# registry into target/bench-tools when it is not on PATH and npm is).
#
# Columns: C (gcc -O2), the Nyash bundle on its native path, the same program bundled with
# `--opt 0` (the code generation without the optimiser), node, Bun, the bundle's Pulley
# fallback (NYASH_EXEC=wasm), CPython (one run), and the bundle's size.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
nyash="${NYASH:-$root/target/debug/nyash}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
have() { command -v "$1" >/dev/null 2>&1; }
bun=""
if have bun; then
  bun="$(command -v bun)"
elif have npm; then
  tools="$root/target/bench-tools"
  if [ ! -x "$tools/node_modules/.bin/bun" ]; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund bun >/dev/null 2>&1 || true
  fi
  [ -x "$tools/node_modules/.bin/bun" ] && bun="$tools/node_modules/.bin/bun"
fi
# Median wall time in seconds of a command (hyperfine; 3 runs, 1 when SLOW=1).
t() {
  local runs=3
  [ "${SLOW:-0}" = 1 ] && runs=1
  hyperfine -N --runs "$runs" --warmup 0 --export-json "$out/h.json" "$*" >/dev/null 2>&1 || { echo "fail"; return; }
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$out/h.json"
}
# a/b, as "N.N×" (or "—" when either is missing).
ratio() { python3 -c 'import sys; a,b=sys.argv[1:]; print("—" if "—" in (a,b) or a=="fail" or b in ("fail","0.000") else "%.2g×" % (float(a)/float(b)) if float(a)/float(b) < 10 else "%.0f×" % (float(a)/float(b)))' "$1" "$2"; }
benchmarks=("$@")
[ ${#benchmarks[@]} -eq 0 ] && benchmarks=(fib loop strings index array map trees nbody sieve methods spectral words)
echo "| benchmark | C -O2 (s) | Nyash (s) | Nyash/C | --opt 0 (s) | node (s) | Nyash/node | Bun (s) | Nyash/Bun | Pulley (s) | Pulley/Nyash | python3 (s) | bundle |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for b in "${benchmarks[@]}"; do
  c="—"
  if [ -f "$here/$b.c" ]; then
    gcc -O2 -o "$out/$b" "$here/$b.c" -lm
    c=$(t "$out/$b")
  fi
  "$nyash" bundle "$here/$b.nyash" -o "$out/$b.ny" >/dev/null 2>&1
  "$nyash" bundle --opt 0 "$here/$b.nyash" -o "$out/$b.ny0" >/dev/null 2>&1
  n=$(t "$out/$b.ny"); n0=$(t "$out/$b.ny0")
  pulley=$(t env NYASH_EXEC=wasm "$out/$b.ny")
  size=$(stat -c %s "$out/$b.ny"); size=$(python3 -c "print('%.2f MB' % ($size/1048576))")
  js="—"; bn="—"; py="—"
  if have node; then js=$(t node "$here/$b.js"); fi
  if [ -n "$bun" ]; then bn=$(t "$bun" "$here/$b.js"); fi
  if have python3 && [ -f "$here/$b.py" ]; then SLOW=1; py=$(t python3 "$here/$b.py"); SLOW=0; fi
  echo "| $b | $c | $n | $(ratio "$n" "$c") | $n0 | $js | $(ratio "$n" "$js") | $bn | $(ratio "$n" "$bn") | $pulley | $(ratio "$pulley" "$n") | $py | $size |"
done
if [ $# -eq 0 ]; then echo; "$here/async.sh"; fi
