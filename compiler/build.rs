//! Builds the guest runtime (`guest/`, package `nyash-guest`) for `wasm32-unknown-unknown`
//! and exposes its path to the compiler as `NYASH_GUEST_WASM`, which `include_bytes!` embeds.
//!
//! The guest is a separate cargo build with its own target directory, as `bundler/build.rs`
//! does for the launcher stub: it has its own workspace and lock file, and flags meant for
//! the host (RUSTFLAGS, wrappers) must not leak into a wasm build.

#![allow(clippy::disallowed_methods)] // A build script reads cargo's environment by design.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let guest = workspace.join("guest");
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace.join(p)
            }
        })
        .unwrap_or_else(|| workspace.join("target"))
        .join("guest-build");
    for path in ["src", "build.rs", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", guest.join(path).display());
    }
    // The runtime is built against the written contract too.
    for path in ["src", "Cargo.toml"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join("abi").join(path).display()
        );
    }

    let target = "wasm32-unknown-unknown";
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let installed =
        sysroot.is_some_and(|s| PathBuf::from(s).join("lib/rustlib").join(target).is_dir());
    assert!(
        installed,
        "the Rust target {target} is not installed; the Nyash guest runtime needs it. \
         Run `scripts/setup.sh` (or `rustup target add {target}`)."
    );

    let runtime = build_guest(&guest, &target_dir, &[]);
    println!("cargo:rustc-env=NYASH_GUEST_WASM={}", runtime.display());
    // The same runtime with the checking allocator, for `nyash run --check-memory`.
    let checked = build_guest(
        &guest,
        &target_dir.with_file_name("guest-build-checked"),
        &["--features", "checked-alloc"],
    );
    println!(
        "cargo:rustc-env=NYASH_GUEST_WASM_CHECKED={}",
        checked.display()
    );
}

/// Builds the guest runtime into `target_dir` with `extra` cargo arguments; returns the
/// path of the module.
fn build_guest(guest: &Path, target_dir: &Path, extra: &[&str]) -> PathBuf {
    let target = "wasm32-unknown-unknown";
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(guest)
        .args(["build", "--release", "--locked", "--target", target])
        .args(extra)
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_MAKEFLAGS")
        .status()
        .expect("running cargo to build the Nyash guest runtime");
    assert!(
        status.success(),
        "building the Nyash guest runtime (guest/) failed"
    );
    target_dir
        .join(target)
        .join("release")
        .join("nyash_guest.wasm")
}
