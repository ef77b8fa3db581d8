#!/usr/bin/env bash
# Memory of a Nyash server holding many idle connections: bundles
# examples/echo-server.nyash, opens N connections to it (default 10000) that
# say nothing, checks that the server still answers, and prints its resident
# memory before, with all connections open, and after they close.
# Usage: scripts/bench-idle-connections.sh [N] [PORT]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
port=${2:-7091}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo run -q -p nyash -- bundle "$root/examples/echo-server.nyash" -o "$work/echo" >/dev/null 2>&1
ulimit -n "$(ulimit -Hn)"
"$work/echo" "$port" >/dev/null &
server=$!
sleep 1
python3 - "$server" "$n" "$port" <<'PY'
import socket, sys, time
pid, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
print(f"| connections | server RSS (MB) |\n|---|---|\n| 0 | {rss_mb():.1f} |")
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
conns[-1].sendall(b"ping\n")
assert conns[-1].recv(100) == b"echo: ping\n", "the server stopped answering"
print(f"| {n} idle | {rss_mb():.1f} |")
for c in conns:
    c.close()
time.sleep(1)
print(f"| 0 (after closing) | {rss_mb():.1f} |")
PY
