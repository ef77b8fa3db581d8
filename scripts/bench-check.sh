#!/usr/bin/env bash
# Benchmarks `nyash check` on a generated 100,000-line program and prints lines per second.
#
# Usage: scripts/bench-check.sh [LINES]
# Environment: NYASH  the nyash binary (default: target/debug/nyash, built here; the
#                     front end is optimised in that profile). Any command that
#                     accepts `check FILE` works.
set -euo pipefail

cd "$(dirname "$0")/.."
lines="${1:-100000}"
if [ -z "${NYASH:-}" ]; then
    cargo build --quiet -p nyash
fi
nyash="${NYASH:-target/debug/nyash}"
program="$(mktemp -d)/big.nyash"

python3 scripts/gen-big-program.py "$program" "$lines"
actual_lines=$(wc -l < "$program")
size=$(wc -c < "$program")
echo "program: $program ($actual_lines lines, $size bytes)"

# The program must be valid, or the benchmark measures the wrong thing.
"$nyash" check "$program"

if command -v hyperfine > /dev/null; then
    json="$(mktemp)"
    hyperfine --warmup 3 --runs 20 --export-json "$json" "$nyash check $program"
    mean=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$json")
else
    start=$(date +%s.%N)
    runs=10
    for _ in $(seq "$runs"); do "$nyash" check "$program"; done
    end=$(date +%s.%N)
    mean=$(python3 -c "print(($end - $start) / $runs)")
fi
python3 -c "print(f'mean {float($mean)*1000:.1f} ms, {int($actual_lines / float($mean)):,} lines/second')"
