#!/usr/bin/env bash
# Async benchmarks (R16): per-task cost of nowait+await, ten thousand 10 ms sleepers, and
# fib(32) with and without a task around it. Prints a Markdown table. Usage: bench/async.sh
# (run `cargo build -p nyash` first; needs hyperfine). Called by bench/run.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
nyash="${NYASH:-$root/target/debug/nyash}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
median() {
  hyperfine -N --runs 3 --warmup 0 --export-json "$out/h.json" "$*" >/dev/null 2>&1 || { echo "fail"; return; }
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$out/h.json"
}
field() { grep "^$1 " | awk '{print $2}'; }
for b in async_spawn async_sleep fib fib_task; do
  "$nyash" bundle "$here/$b.nyash" -o "$out/$b" >/dev/null
done
spawn="$("$out/async_spawn")"
sleep_native="$("$out/async_sleep")"
sleep_pulley="$(NYASH_EXEC=wasm "$out/async_sleep")"
fib=$(median "$out/fib"); fib_task=$(median "$out/fib_task")
echo "| async benchmark | measured |"
echo "|---|---|"
echo "| nowait + await of a trivial function, per task | $(echo "$spawn" | field task_ns) ns (a direct call: $(echo "$spawn" | field direct_ns) ns) |"
echo "| 10,000 tasks sleeping 10 ms, wall time (native) | $(echo "$sleep_native" | field wall_ms) ms (ideal 10 ms) |"
echo "| 10,000 tasks sleeping 10 ms, wall time (Pulley) | $(echo "$sleep_pulley" | field wall_ms) ms (ideal 10 ms) |"
echo "| fib(32) / fib(32) inside a task | $fib s / $fib_task s |"
