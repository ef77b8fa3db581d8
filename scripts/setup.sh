#!/usr/bin/env bash
# Installs what nyash needs beyond a Rust toolchain, on Debian/Ubuntu:
#   - the wasm32-unknown-unknown target, for the Nyash guest runtime;
#   - the musl Rust target and musl-tools, for the small static launcher
#     (without them the build falls back to a larger glibc launcher);
#   - binutils (`strip`), used by the test that strips a bundle;
#   - hyperfine and GNU time, used by the benchmark scripts;
#   - neovim, the real editor that tests/lsp.rs drives `nyash lsp` with.
# With --cross it also installs what building and testing the launchers of
# other platforms needs (scripts/build-stubs.sh): the aarch64 and Windows
# Rust targets, their cross C compilers, qemu-user-static, wine64 and
# osslsigncode (to test Authenticode-signed bundles), Python's pefile (to
# read back Windows resources), and for
# macOS launchers the macOS Rust targets with cargo-zigbuild and zig (PyPI).
# Safe to run again: it only adds what is missing.
set -euo pipefail

arch=$(uname -m)
case "$arch" in
  x86_64|aarch64) rustup target add "$arch-unknown-linux-musl" wasm32-unknown-unknown ;;
  *) echo "note: no musl launcher for $arch; the glibc launcher will be used" ;;
esac

packages=(musl-tools binutils hyperfine time python3 neovim)
if [ "${1:-}" = "--cross" ]; then
  rustup target add aarch64-unknown-linux-gnu x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin
  command -v cargo-zigbuild >/dev/null || python3 -m pip install --quiet ziglang cargo-zigbuild
  # pefile reads back the Windows resources that --windows-* writes (tests/platforms.rs).
  python3 -c "import pefile" 2>/dev/null || python3 -m pip install --quiet pefile
  packages+=(gcc-aarch64-linux-gnu gcc-mingw-w64-x86-64 qemu-user-static wine64 osslsigncode)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "note: please install ${missing[*]} with your package manager"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
