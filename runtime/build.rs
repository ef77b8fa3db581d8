//! Reads the wasmtime version that cargo resolved from the workspace's `Cargo.lock` and
//! gives it to the crate as the macro `wasmtime_version!()`, so the version is written in
//! one place (the `=` pin in the workspace `Cargo.toml`) and every string that names it, in
//! this crate, the bundler and the tests, is derived from the lock file.
//!
//! A macro rather than a constant, because `concat!` (clap's version string, the artifact
//! version) accepts only literals and macros that expand to them.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let lock = manifest_dir
        .parent()
        .expect("runtime/ lies inside the workspace")
        .join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text =
        fs::read_to_string(&lock).unwrap_or_else(|e| panic!("cannot read {}: {e}", lock.display()));
    let version =
        locked_version(&text, "wasmtime").unwrap_or_else(|e| panic!("{}: {e}", lock.display()));
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("wasmtime_version.rs");
    let code = format!(
        "/// The wasmtime release this crate is built with, as a string literal (read from\n\
         /// `Cargo.lock` by `runtime/build.rs`), for `concat!`.\n\
         #[macro_export]\n\
         macro_rules! wasmtime_version {{\n    () => {{\n        {version:?}\n    }};\n}}\n"
    );
    fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

/// The version of the one package called `name` in a `Cargo.lock`.
fn locked_version(lock: &str, name: &str) -> Result<String, String> {
    let wanted = format!("name = {name:?}");
    let mut found = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
                .map(|v| v.trim_matches('"').to_string())
                .ok_or_else(|| format!("the {name} entry has no version line after its name"))?;
            found.push(version);
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no package {name}")),
        many => Err(format!(
            "{name} is locked at several versions: {}",
            many.join(", ")
        )),
    }
}
