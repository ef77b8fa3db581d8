#!/usr/bin/env bash
# What the launcher is made of: builds the x86_64 musl launcher as scripts/build-stubs.sh
# does, but keeping its symbols (in a separate target directory), and prints a Markdown
# table of the bytes of code and read-only data by crate (Rust symbols, legacy and v0
# mangling) or library (zstd's C code, libunwind, musl), plus the sections that have no
# symbols. Sizes are of symbols, so they do not add up to the file's size exactly.
#
# Usage: scripts/stub-breakdown.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=x86_64-unknown-linux-musl
tdir=${CARGO_TARGET_DIR:-$root/target}/stub-symbols
(cd "$root" && CARGO_PROFILE_STUB_STRIP=false cargo build --quiet -p nyash-stub \
  --profile stub --target "$target" --target-dir "$tdir")
exe=$tdir/$target/stub/nyash-stub
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
strip -o "$stripped" "$exe"
nm -S --size-sort "$exe" | python3 -c '
import collections, re, subprocess, sys
rows = [l.split() for l in sys.stdin if len(l.split()) == 4]
names = [r[3] for r in rows]
plain = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout.split("\n")
def owner(raw, demangled):
    if raw.startswith("_R"):
        m = re.search(r"C[s][0-9A-Za-z]*_(\d+)", raw)
        if m:
            return raw[m.end():m.end() + int(m.group(1))]
    m = re.match(r"[<&]*(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)::", demangled)
    if m:
        return m.group(1)
    if re.match(r"(ZSTD|HUF|FSE|HIST|ZDICT|XXH|POOL|COVER|ERR_)", raw):
        return "zstd (C)"
    if raw.startswith("_ZN9libunwind") or raw.startswith("__unw") or raw.startswith("_Unwind"):
        return "libunwind"
    return "musl and other C"
group = {
    "wasmtime": "wasmtime runtime", "wasmtime_environ": "wasmtime runtime",
    "wasmtime_internal_core": "wasmtime runtime", "wasmtime_internal_unwinder": "wasmtime runtime",
    "cranelift_bforest": "wasmtime runtime", "cranelift_entity": "wasmtime runtime",
    "target_lexicon": "wasmtime runtime", "serde_core": "wasmtime runtime", "postcard": "wasmtime runtime",
    "object": "wasmtime runtime", "hashbrown": "wasmtime runtime", "indexmap": "wasmtime runtime",
    "once_cell": "wasmtime runtime", "memfd": "wasmtime runtime", "rustix": "wasmtime runtime",
    "bumpalo": "wasmtime runtime",
    "pulley_interpreter": "Pulley interpreter",
    "core": "Rust core, alloc and std", "alloc": "Rust core, alloc and std", "std": "Rust core, alloc and std",
    "std_detect": "Rust core, alloc and std", "memchr": "Rust core, alloc and std",
    "gimli": "std backtraces (gimli, addr2line, rustc_demangle, miniz_oxide)",
    "addr2line": "std backtraces (gimli, addr2line, rustc_demangle, miniz_oxide)",
    "rustc_demangle": "std backtraces (gimli, addr2line, rustc_demangle, miniz_oxide)",
    "miniz_oxide": "std backtraces (gimli, addr2line, rustc_demangle, miniz_oxide)",
    "nyash_runtime": "nyash-runtime (payload, WASI host, engine settings)",
    "nyash_stub": "nyash-stub (the launcher itself)",
    "socket2": "nyash-runtime (payload, WASI host, engine settings)",
    "getrandom": "nyash-runtime (payload, WASI host, engine settings)",
}
total = collections.Counter()
for r, d in zip(rows, plain):
    size = int(r[1], 16)
    o = owner(r[3], d)
    total[group.get(o, o)] += size
print("| part | bytes |")
print("|---|---:|")
for k, v in total.most_common():
    if v >= 1000:
        print(f"| {k} | {v:,} |")
small = sum(v for v in total.values() if v < 1000)
print(f"| (smaller parts) | {small:,} |")
print(f"| **all symbols** | **{sum(total.values()):,}** |")
'
for s in .eh_frame .eh_frame_hdr .data.rel.ro; do
  size=$(size -A "$exe" | awk -v s="$s" '$1 == s { print $2 }')
  printf '| section %s (no symbols) | %s |\n' "$s" "$(python3 -c "print(f'{$size:,}')")"
done
echo
echo "Launcher file, stripped: $(stat -c %s "$stripped") bytes ($target, $(date -u +%Y-%m-%d))."
