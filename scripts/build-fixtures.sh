#!/usr/bin/env bash
# Rebuilds the WebAssembly test fixtures from their sources.
# The outputs are committed, so tests never need the wasm32-wasip1 target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rustup target add wasm32-wasip1 >/dev/null
cd "$root/tests/fixtures/probe"
cargo build --release --target wasm32-wasip1 --quiet
cp target/wasm32-wasip1/release/probe.wasm "$root/tests/fixtures/probe.wasm"
echo "wrote tests/fixtures/probe.wasm ($(wc -c < "$root/tests/fixtures/probe.wasm") bytes)"
