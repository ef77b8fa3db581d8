#!/usr/bin/env bash
# Start-up benchmark: a hello-world bundle against native hello worlds.
#
# Builds hello in C (gcc -static -O2) and, when `go` is installed, in Go, and
# bundles examples/hello.wat and a one-line Nyash hello (`print("Hello, world!")`)
# with nyash. Runs them side by side with
# hyperfine in one go and prints a Markdown table: file size, median
# start-up (the bundle on its native path and on its forced fallback path),
# the ratio to static C, and peak RSS. Ratios matter more than absolute
# numbers on a noisy machine.
#
# Usage: scripts/bench-startup.sh [RUNS]   (default 300 runs per program)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-300}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is required (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet -p nyash --manifest-path "$root/Cargo.toml"
nyash="$root/target/debug/nyash"

printf '#include <stdio.h>\nint main(void){puts("Hello, world!");return 0;}\n' > "$work/hello.c"
gcc -static -O2 -o "$work/hello-c" "$work/hello.c"
"$nyash" bundle "$root/examples/hello.wat" -o "$work/hello-nyash" 2>/dev/null
printf 'print("Hello, world!")\n' > "$work/hello.nyash"
"$nyash" bundle "$work/hello.nyash" -o "$work/hello-nyash-lang" 2>/dev/null
programs=("C static (gcc -O2)|$work/hello-c|")
if command -v go >/dev/null; then
  printf 'package main\nimport "fmt"\nfunc main() { fmt.Println("Hello, world!") }\n' > "$work/hello.go"
  (cd "$work" && CGO_ENABLED=0 go build -o hello-go hello.go)
  programs+=("Go (CGO_ENABLED=0)|$work/hello-go|")
fi
programs+=("nyash bundle, native path|$work/hello-nyash|native")
programs+=("nyash bundle, fallback path (Pulley)|$work/hello-nyash|wasm")
programs+=("nyash bundle of the Nyash hello, native path|$work/hello-nyash-lang|native")
programs+=("nyash bundle of the Nyash hello, fallback path (Pulley)|$work/hello-nyash-lang|wasm")

measure() { # name exe exec -> "median_ms"
  local exe=$2 exec=$3 json=$work/h.json
  NYASH_EXEC=${exec:-auto} hyperfine -N --warmup 30 --runs "$runs" --export-json "$json" "$exe" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1e3))' "$json"
}
peak_rss() { # exe exec -> KiB, the smallest of 5 runs (GNU time's %M)
  for _ in 1 2 3 4 5; do
    NYASH_EXEC=${2:-auto} /usr/bin/time -f %M "$1" 2>&1 >/dev/null | tail -n 1
  done | sort -n | head -n 1
}

echo "| program | file size (bytes) | start-up median (ms) | ratio to C | peak RSS (KiB) |"
echo "|---|---:|---:|---:|---:|"
c_median=""
for entry in "${programs[@]}"; do
  IFS='|' read -r name exe exec <<<"$entry"
  median=$(measure "$name" "$exe" "$exec")
  [ -z "$c_median" ] && c_median=$median
  ratio=$(python3 -c "print('%.2f' % ($median / $c_median))")
  size=$(stat -c %s "$exe")
  rss=$(peak_rss "$exe" "$exec")
  echo "| $name | $size | $median | ${ratio}x | $rss |"
done
echo
echo "hyperfine -N, $runs runs after 30 warm-ups, $(nproc) cores, $(date -u +%Y-%m-%d)."
