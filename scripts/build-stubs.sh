#!/usr/bin/env bash
# Builds nyash launcher stubs for other platforms into target/stubs/<triple>/
# ($CARGO_TARGET_DIR/stubs when that is set).
# The next `cargo build -p nyash` embeds every stub found there (see
# bundler/build.rs), so one Linux x86_64 machine can bundle for all of them,
# offline. The stub for the build machine itself is always built by cargo.
#
# Usage: scripts/build-stubs.sh [TRIPLE...]
#   default: x86_64-unknown-linux-musl aarch64-unknown-linux-gnu x86_64-pc-windows-gnu
#            aarch64-apple-darwin x86_64-apple-darwin
# Needs (Debian): musl-tools, gcc-aarch64-linux-gnu, gcc-mingw-w64-x86-64, and
# for macOS cargo-zigbuild with zig (PyPI: cargo-zigbuild, ziglang), which
# links Mach-O without Apple's SDK; scripts/setup.sh --cross installs them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The same place bundler/build.rs looks: $CARGO_TARGET_DIR, else target/.
tdir=${CARGO_TARGET_DIR:-$root/target}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-gnu x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin)

need() { command -v "$1" >/dev/null || { echo "error: $1 is missing; run scripts/setup.sh --cross" >&2; exit 1; }; }

for t in "${targets[@]}"; do
  exe=nyash-stub
  build=(cargo build)
  case "$t" in
    x86_64-unknown-linux-musl)
      # Its link flags (packed relocations) are in .cargo/config.toml, which
      # bundler/build.rs's build of the same stub reads too.
      need musl-gcc ;;
    aarch64-unknown-linux-gnu)
      need aarch64-linux-gnu-gcc
      export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
      export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
      # Static glibc: runs on any arm64 Linux, and under qemu-aarch64 without a sysroot.
      export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static" ;;
    x86_64-pc-windows-gnu)
      need x86_64-w64-mingw32-gcc
      export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
      export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
      export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS="-C target-feature=+crt-static"
      exe=nyash-stub.exe ;;
    aarch64-apple-darwin|x86_64-apple-darwin)
      # zig's linker produces Mach-O and signs arm64 output ad hoc; nyash
      # re-signs after adding the payload (runtime/src/payload/macho.rs).
      need cargo-zigbuild
      build=(cargo zigbuild) ;;
    *)
      echo "error: no recipe for a $t stub (known: x86_64-unknown-linux-musl, aarch64-unknown-linux-gnu, x86_64-pc-windows-gnu, aarch64-apple-darwin, x86_64-apple-darwin)" >&2
      exit 1 ;;
  esac
  rustup target add "$t" >/dev/null 2>&1
  echo "building the $t stub" >&2
  "${build[@]}" --quiet -p nyash-stub --profile stub --target "$t" --target-dir "$tdir/stub-build"
  mkdir -p "$tdir/stubs/$t"
  cp "$tdir/stub-build/$t/stub/$exe" "$tdir/stubs/$t/$exe"
  echo "  $tdir/stubs/$t/$exe ($(stat -c %s "$tdir/stubs/$t/$exe") bytes)" >&2
done
echo "rebuild nyash (cargo build -p nyash) to embed them" >&2
