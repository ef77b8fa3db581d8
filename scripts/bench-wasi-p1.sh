#!/usr/bin/env bash
# What wasmtime's own WASI preview 1 host (the wasmtime-wasi crate, the same
# version as our wasmtime) would cost the launcher.
#
# Builds scripts/wasi-p1-cost/ (the launcher's payload reader and engine with
# wasmtime-wasi's preview 1 instead of nyash's hand-written host, built with
# the launcher's own size profile for the same musl target) and compares its
# stripped size and its start-up running a hello bundle with the real
# launcher's. Prints a Markdown table.
#
# Usage: scripts/bench-wasi-p1.sh [RUNS]   (default 300 runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-300}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)" >&2; exit 1; }
target=x86_64-unknown-linux-musl

cargo build --quiet -p nyash --manifest-path "$root/Cargo.toml"
nyash=$root/target/debug/nyash
stub=$root/target/stub-build/$target/stub/nyash-stub
[ -f "$stub" ] || { echo "no musl launcher at $stub (see bundler/build.rs)" >&2; exit 1; }
cargo build --quiet --release --target "$target" \
  --manifest-path "$root/scripts/wasi-p1-cost/Cargo.toml" \
  --target-dir "$root/target/wasi-p1-cost"
probe=$root/target/wasi-p1-cost/$target/release/wasi-p1-cost

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$nyash" bundle "$root/examples/hello.wat" -o "$work/hello" >/dev/null 2>&1
[ "$("$work/hello")" = "Hello, world!" ] || { echo "the hello bundle does not run" >&2; exit 1; }
[ "$("$probe" "$work/hello")" = "Hello, world!" ] || { echo "wasi-p1-cost does not run the hello bundle" >&2; exit 1; }

hyperfine -N --warmup 30 --runs "$runs" --export-json "$work/h.json" \
  "$work/hello" "$probe $work/hello" >/dev/null 2>&1
python3 - "$work/h.json" "$stub" "$probe" <<'EOF'
import json, os, sys
results = json.load(open(sys.argv[1]))["results"]
sizes = [os.path.getsize(sys.argv[2]), os.path.getsize(sys.argv[3])]
names = ["launcher with nyash's host", "launcher with wasmtime-wasi preview 1"]
print("| launcher | stripped size (bytes) | hello start-up median (ms) | mean ± σ (ms) |")
print("|---|---:|---:|---:|")
for name, size, r in zip(names, sizes, results):
    print("| %s | {:,} | %.3f | %.3f ± %.3f |".format(size) % (name, r["median"] * 1e3, r["mean"] * 1e3, r["stddev"] * 1e3))
print()
print("wasmtime-wasi adds %+d bytes (%.0f%%); start-up %.2fx." % (
    sizes[1] - sizes[0], 100.0 * (sizes[1] - sizes[0]) / sizes[0], results[1]["median"] / results[0]["median"]))
EOF
echo
echo "hyperfine -N, $runs runs after 30 warm-ups, $(nproc) cores, $(date -u +%Y-%m-%d)."
