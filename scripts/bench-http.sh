#!/usr/bin/env bash
# Requests per second and p99 latency of a hello-world HTTP server under wrk
# (keep-alive, 100 connections, loopback), side by side in one run: the Nyash bundle
# on its native path and on Pulley, Node.js `http`, Bun `Bun.serve` and Go `net/http`
# (each column only when its tool is installed; Bun comes from the npm registry
# into target/bench-tools, as in bench/run.sh). Prints a Markdown table.
# Usage: scripts/bench-http.sh [SECONDS]   (needs wrk: apt-get install wrk; Go:
# apt-get install golang-go)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
have() { command -v "$1" >/dev/null 2>&1; }
have wrk || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
bun=""
if have bun; then
  bun=$(command -v bun)
elif have npm; then
  tools="$root/target/bench-tools"
  [ -x "$tools/node_modules/.bin/bun" ] ||
    npm install --prefix "$tools" --no-audit --no-fund bun >/dev/null 2>&1 || true
  [ -x "$tools/node_modules/.bin/bun" ] && bun="$tools/node_modules/.bin/bun"
fi
cargo run -q -p nyash -- bundle "$root/bench/http/hello.nyash" -o "$work/hello" 2>"$work/bundle.log" >/dev/null ||
  { cat "$work/bundle.log" >&2; exit 1; }
if have go; then
  (cd "$work" && cp "$root/bench/http/hello.go" . && GOCACHE="$work/gocache" go build -o hello-go hello.go)
fi
ulimit -n "$(ulimit -Hn)"
port=7180
# One server: start it, wait until it answers, run wrk, print a row, stop it.
row() {
  local name=$1
  shift
  port=$((port + 1))
  NYASH_EXEC=${exec:-} "$@" "$port" >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
  wrk -t2 -c100 -d"${secs}s" --latency "http://127.0.0.1:$port/" >"$work/wrk.txt"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  printf '| %s | %.0f | %s |\n' "$name" "$rps" "$p99"
}
echo "| server | requests/s | p99 latency |"
echo "|---|---:|---:|"
exec=native row "Nyash bundle, native" "$work/hello"
exec=wasm row "Nyash bundle, Pulley" "$work/hello"
exec=""
have node && row "Node.js $(node --version) http" node "$root/bench/http/hello.js"
[ -n "$bun" ] && row "Bun $("$bun" --version) Bun.serve" "$bun" "$root/bench/http/hello.js"
have go && row "Go $(go env GOVERSION) net/http" "$work/hello-go"
true
