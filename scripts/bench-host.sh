#!/usr/bin/env bash
# Host speed benchmark: real WASI programs, bundled, against the same programs
# built natively, over a real tree.
#
# Builds ripgrep 14.1.1 from crates.io twice (for this machine and for
# wasm32-wasip1) and a small directory-listing program (`ls -lR` in Rust: one
# read of every directory, one lstat per entry), installs what that needs
# (`rustup target add wasm32-wasip1`; the tools go to target/bench-host/), and
# bundles both wasm builds with nyash. It copies a tree (default: the cargo
# registry sources, ~/.cargo/registry/src) and runs, with hyperfine:
#
#   rg -c -j1 fn TREE     a tree walk that opens and reads every file
#   lsr TREE              a directory listing of every directory in the tree
#   rg -c -j1 fn FILE     one file (the start-up and single-file cost)
#
# each natively, as a bundle on its native path and as a bundle on Pulley,
# and prints a Markdown table with the ratios to native. ripgrep runs with one
# thread (-j1) everywhere, as the wasm32-wasip1 build has no threads.
#
# Usage: [NYASH=path/to/nyash] scripts/bench-host.sh [RUNS] [TREE]
#        (default 5 runs, the registry)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
source_tree=${2:-$HOME/.cargo/registry/src}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)" >&2; exit 1; }
[ -d "$source_tree" ] || { echo "no tree to walk at $source_tree: give one as the second argument" >&2; exit 1; }

tools=$root/target/bench-host
mkdir -p "$tools"
rustup target add wasm32-wasip1 >/dev/null 2>&1 || rustup target add wasm32-wasip1
for target in native wasm32-wasip1; do
  if [ ! -e "$tools/rg-$target/bin/rg" ] && [ ! -e "$tools/rg-$target/bin/rg.wasm" ]; then
    echo "building ripgrep for $target (a few minutes)" >&2
    flags=()
    [ "$target" = native ] || flags=(--target "$target")
    cargo install --quiet --locked ripgrep@14.1.1 --root "$tools/rg-$target" \
      --target-dir "$tools/build" "${flags[@]}"
  fi
done

# The listing program, built from source here.
lsr=$tools/lsr
mkdir -p "$lsr/src"
cat > "$lsr/Cargo.toml" <<'EOF'
[package]
name = "lsr"
version = "0.1.0"
edition = "2021"
[workspace]
[profile.release]
opt-level = 3
EOF
cat > "$lsr/src/main.rs" <<'EOF'
//! `ls -lR`: every directory's entries, sorted, with the size of each (one lstat per entry).
use std::io::Write;
use std::path::Path;

fn walk(dir: &Path, out: &mut impl Write) -> std::io::Result<u64> {
    let mut entries = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    writeln!(out, "{}:", dir.display())?;
    let mut count = entries.len() as u64;
    for e in &entries {
        let meta = std::fs::symlink_metadata(e.path())?;
        writeln!(out, "{:>10} {}", meta.len(), e.file_name().to_string_lossy())?;
    }
    for e in &entries {
        if e.file_type()?.is_dir() {
            count += walk(&e.path(), out)?;
        }
    }
    Ok(count)
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match walk(Path::new(&dir), &mut out) {
        Ok(n) => writeln!(out, "{n} entries").unwrap(),
        Err(e) => {
            eprintln!("lsr: {dir}: {e}");
            std::process::exit(1);
        }
    }
}
EOF
cargo build --quiet --release --manifest-path "$lsr/Cargo.toml" --target-dir "$tools/build-lsr"
cargo build --quiet --release --manifest-path "$lsr/Cargo.toml" --target-dir "$tools/build-lsr" \
  --target wasm32-wasip1

# The dev build: its dependencies (Cranelift) are optimised, and the bundles
# run the prebuilt release launcher whichever nyash wrote them. NYASH=path
# measures another nyash (e.g. an older checkout's, for a before/after).
if [ -z "${NYASH:-}" ]; then
  cargo build --quiet -p nyash --manifest-path "$root/Cargo.toml"
fi
nyash=${NYASH:-$root/target/debug/nyash}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$nyash" bundle "$tools/rg-wasm32-wasip1/bin/rg.wasm" -o "$work/rg-bundle" >/dev/null
"$nyash" bundle "$tools/build-lsr/wasm32-wasip1/release/lsr.wasm" -o "$work/lsr-bundle" >/dev/null
rg_native=$tools/rg-native/bin/rg
lsr_native=$tools/build-lsr/release/lsr

# A private copy of the tree, walked by a relative path from its parent (the
# bundle's default grant is the working directory).
cp -a "$source_tree/." "$work/tree/"
files=$(find "$work/tree" -type f | wc -l)
dirs=$(find "$work/tree" -type d | wc -l)
one_file=$(find "$work/tree" -type f -name '*.rs' -size +20k -print -quit)
one_file=${one_file#"$work/"}
cd "$work"

# The three ways must agree before they are timed.
for cmd in "rg -c -j1 fn tree" "lsr tree"; do
  set -- $cmd
  native=$tools/rg-native/bin/rg bundle=$work/rg-bundle
  [ "$1" = lsr ] && native=$lsr_native bundle=$work/lsr-bundle
  shift
  "$native" "$@" | sort > want.txt || true
  for exec in native wasm; do
    NYASH_EXEC=$exec "$bundle" "$@" | sort > got.txt || true
    cmp -s want.txt got.txt || { echo "the bundle ($exec) of \`$cmd\` prints other output than the native build" >&2; exit 1; }
  done
done

timing() { # command... -> "wall-median-ms cpu-ms" (cpu: mean user + system)
  hyperfine -N --warmup 1 --runs "$runs" --export-json h.json "$*" >/dev/null 2>&1
  python3 -c 'import json; r=json.load(open("h.json"))["results"][0]; print("%.1f %.1f" % (r["median"]*1e3, (r["user"]+r["system"])*1e3))'
}
echo "| work | native: wall (CPU) ms | bundle, native path: wall (CPU) ms | ratio wall (CPU) | bundle, Pulley: wall (CPU) ms | ratio wall (CPU) |"
echo "|---|---:|---:|---:|---:|---:|"
row() { # label native-exe bundle args...
  local label=$1 nat=$2 bun=$3
  shift 3
  local n b p
  n=$(timing "$nat" "$@")
  b=$(NYASH_EXEC=native timing "$bun" "$@")
  p=$(NYASH_EXEC=wasm timing "$bun" "$@")
  python3 -c "
import sys
n, nc, b, bc, p, pc = map(float, sys.argv[2:])
print('| %s | %.1f (%.1f) | %.1f (%.1f) | %.2fx (%.2fx) | %.1f (%.1f) | %.2fx (%.2fx) |'
      % (sys.argv[1], n, nc, b, bc, b / n, bc / nc, p, pc, p / n, pc / nc))" "$label" $n $b $p
}
row "\`rg -c -j1 fn\` over the tree" "$rg_native" "$work/rg-bundle" -c -j1 fn tree
row "\`lsr\` (ls -lR) of the tree" "$lsr_native" "$work/lsr-bundle" tree
row "\`rg -c -j1 fn\` of one file" "$rg_native" "$work/rg-bundle" -c -j1 fn "$one_file"
echo
echo "Tree: $files files in $dirs directories (a copy of $source_tree)."
echo "hyperfine -N, $runs runs after 1 warm-up; wall: median, CPU: mean user + system time; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end, $(date -u +%Y-%m-%d)."
