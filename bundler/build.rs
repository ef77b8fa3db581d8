//! Builds the launcher stub for this host and stages every available stub
//! for embedding.
//!
//! The stub is a separate cargo build (profile `stub`, its own target
//! directory) so that its wasmtime is compiled without Cranelift: in one
//! build, cargo would unify the bundler's features into the stub.
//!
//! On x86_64 and aarch64 Linux the host stub is the static musl build
//! (fast start, no glibc dependency). If the musl target or `musl-gcc` is
//! missing, the glibc stub is built instead, with a warning.
//! Stubs for other platforms, built by `scripts/build-stubs.sh` into
//! `target/stubs/<triple>/`, are staged too.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace.join(p)
            }
        })
        .unwrap_or_else(|| workspace.join("target"));
    let host = env::var("TARGET").unwrap();
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let staged = out_dir.join("stubs");
    let _ = fs::remove_dir_all(&staged);
    fs::create_dir_all(&staged).unwrap();

    for path in [
        "stub/src",
        "stub/build.rs",
        "stub/Cargo.toml",
        "runtime/src",
        "runtime/build.rs",
        "runtime/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(path).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        target_dir.join("stubs").display()
    );
    println!("cargo:rerun-if-env-changed=NYASH_HOST_STUB_TARGET");

    let stub_target =
        env::var("NYASH_HOST_STUB_TARGET").unwrap_or_else(|_| host_stub_target(&host));
    let built = build_stub(&workspace, &target_dir.join("stub-build"), &stub_target);
    stage(&staged, &stub_target, &built);

    // Cross-platform stubs from scripts/build-stubs.sh.
    let sources_changed =
        newest_mtime(&workspace.join("stub/src")).max(newest_mtime(&workspace.join("runtime/src")));
    if let Ok(entries) = fs::read_dir(target_dir.join("stubs")) {
        for entry in entries.flatten() {
            let triple = entry.file_name().to_string_lossy().into_owned();
            if triple == stub_target {
                continue;
            }
            for name in ["nyash-stub", "nyash-stub.exe"] {
                let file = entry.path().join(name);
                if file.is_file() {
                    if mtime(&file) < sources_changed {
                        println!(
                            "cargo:warning=the {triple} launcher in target/stubs is older than the launcher's sources; rebuild it with scripts/build-stubs.sh"
                        );
                    }
                    stage(&staged, &triple, &file);
                }
            }
        }
    }
    println!("cargo:rustc-env=NYASH_HOST_STUB_TARGET={stub_target}");
}

/// The stub target for a host: static musl on Linux when it can be built.
fn host_stub_target(host: &str) -> String {
    let musl = match host {
        "x86_64-unknown-linux-gnu" => "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-gnu" => "aarch64-unknown-linux-musl",
        _ => return host.to_string(),
    };
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let has_std = sysroot.is_some_and(|s| Path::new(&s).join("lib/rustlib").join(musl).is_dir());
    let has_gcc = Command::new("musl-gcc").arg("--version").output().is_ok();
    if has_std && has_gcc {
        musl.to_string()
    } else {
        println!(
            "cargo:warning=building the glibc launcher stub: for the smaller, faster static stub run `rustup target add {musl}` and install musl-tools"
        );
        host.to_string()
    }
}

fn build_stub(workspace: &Path, target_dir: &Path, target: &str) -> PathBuf {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "-p",
            "nyash-stub",
            "--profile",
            "stub",
            "--target",
            target,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("running cargo to build the stub");
    assert!(
        status.success(),
        "building the nyash stub for {target} failed"
    );
    let exe = if target.contains("windows") {
        "nyash-stub.exe"
    } else {
        "nyash-stub"
    };
    target_dir.join(target).join("stub").join(exe)
}

fn stage(staged: &Path, triple: &str, file: &Path) {
    let dir = staged.join(triple);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(file, dir.join(file.file_name().unwrap())).unwrap();
}

fn mtime(path: &Path) -> std::time::SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(std::time::SystemTime::UNIX_EPOCH)
}

/// The newest modification time of any file under `dir`.
fn newest_mtime(dir: &Path) -> std::time::SystemTime {
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let t = if path.is_dir() {
                newest_mtime(&path)
            } else {
                mtime(&path)
            };
            newest = newest.max(t);
        }
    }
    newest
}
