#!/usr/bin/env bash
# The compilation cache: `nyash run examples/hello.nyash` and
# `nyash bundle examples/hello.nyash` without the cache (NYASH_CACHE=off),
# cold (empty cache), with only the program text changed since the last run,
# and warm (nothing changed). All cases run in one hyperfine session, so
# the ratios hold on a noisy machine. The cache lives in a temporary
# directory; the user's own is never touched.
#
# Usage: scripts/bench-cache.sh [RUNS]   (default 20 runs per case)
# Environment: NYASH  the nyash binary (default: target/debug/nyash, built here).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${NYASH:-}" ]; then
    cargo build --quiet -p nyash --manifest-path "$root/Cargo.toml"
fi
nyash="${NYASH:-$root/target/debug/nyash}"
hello="$root/examples/hello.nyash"
export XDG_CACHE_HOME="$work/cache"

# The "program changed" case rewrites the greeting before every run, so the
# module differs each time while the language runtime stays the same.
changed="$work/changed.nyash"
cp "$hello" "$changed"
"$nyash" run "$changed" > /dev/null
rewrite="sed \"s/\\\"Hello[^\\\"]*\\\"/\\\"Hello \$(date +%N)\\\"/\" $hello > $changed"

hyperfine --warmup 2 --runs "$runs" --export-markdown "$work/table.md" \
  --command-name "run, no cache" --prepare true "env NYASH_CACHE=off $nyash run $hello" \
  --command-name "run, cold cache" --prepare "rm -rf $XDG_CACHE_HOME" "$nyash run $hello" \
  --command-name "run, program changed" --prepare "$rewrite" "$nyash run $changed" \
  --command-name "run, warm cache" --prepare true "$nyash run $hello" \
  --command-name "bundle, no cache" --prepare true "env NYASH_CACHE=off $nyash bundle $hello -o $work/app" \
  --command-name "bundle, cold cache" --prepare "rm -rf $XDG_CACHE_HOME" "$nyash bundle $hello -o $work/app" \
  --command-name "bundle, program changed" --prepare "$rewrite" "$nyash bundle $changed -o $work/app" \
  --command-name "bundle, warm cache" --prepare true "$nyash bundle $hello -o $work/app" \
  > /dev/null
cat "$work/table.md"
