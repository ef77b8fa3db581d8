//! The conformance suite: every `tests/conformance/<area>/<name>.nyash` (except `pending/`)
//! is compiled, validated and run, and its stdout, stderr and exit status are compared with
//! `<name>.stdout`, `<name>.stderr` (default: empty) and `<name>.status` (default: 0).
//!
//! Each program runs in a child process (this test binary re-executed with
//! `NYASH_CONFORMANCE_RUN` set), because the WASI host writes to the real stdout and stderr.
//! `NYASH_CONFORMANCE_PULLEY=1` runs the programs on the Pulley interpreter instead.

#![allow(clippy::disallowed_methods)] // A test driver reads files and its environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use wasmtime::{Config, Engine, Module};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

fn programs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "pending" && n != "lib") {
                programs(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "nyash") {
            out.push(p);
        }
    }
}

/// Child side: compile and run one program, exiting with its status.
fn run_child(file: &Path) -> ! {
    let wasm = match nyash_compiler::compile(file) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("compile error: {e}");
            std::process::exit(101)
        }
    };
    nyash_compiler::codegen::validate(&wasm).expect("valid module");
    let mut config = Config::new();
    nyash_runtime::engine::configure(&mut config);
    if std::env::var_os("NYASH_CONFORMANCE_PULLEY").is_some() {
        config.target(nyash_runtime::engine::PULLEY_TARGET).unwrap();
    }
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    let args: Vec<OsString> = vec![file.as_os_str().to_owned(), "one".into(), "two".into()];
    let host = nyash_runtime::wasi::HostState::new(args, vec![]);
    let status = match nyash_runtime::engine::on_program_stack(|| {
        nyash_runtime::wasi::run(&engine, &module, host)
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("host error: {e}");
            102
        }
    };
    std::process::exit(status)
}

fn read_or(path: &Path, default: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|_| default.to_string())
}

#[test]
fn conformance() {
    if let Some(file) = std::env::var_os("NYASH_CONFORMANCE_RUN") {
        run_child(Path::new(&file));
    }
    let mut files = Vec::new();
    programs(&suite_dir(), &mut files);
    assert!(!files.is_empty(), "no conformance programs found");
    let exe = std::env::current_exe().unwrap();
    let mut failures = Vec::new();
    for file in &files {
        let out = Command::new(&exe)
            .args(["--exact", "conformance", "--nocapture", "--test-threads=1"])
            .env("NYASH_CONFORMANCE_RUN", file)
            .current_dir(file.parent().unwrap())
            .output()
            .unwrap();
        let want_stdout = read_or(&file.with_extension("stdout"), "");
        let want_stderr = read_or(&file.with_extension("stderr"), "");
        let want_status: i32 = read_or(&file.with_extension("status"), "0")
            .trim()
            .parse()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // libtest prints its own header lines on stdout; the program's output follows them.
        let stdout = strip_harness(&stdout);
        let stderr = String::from_utf8_lossy(&out.stderr)
            .replace(&format!("{}/", file.parent().unwrap().display()), "");
        let status = out.status.code().unwrap_or(-1);
        if stdout != want_stdout || stderr != want_stderr || status != want_status {
            failures.push(format!(
                "{}\n--- stdout\n{stdout}--- want\n{want_stdout}--- stderr\n{stderr}--- want\n{want_stderr}--- status {status}, want {want_status}",
                file.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance programs failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

fn strip_harness(s: &str) -> String {
    let marker = "test conformance ... ";
    match s.find(marker) {
        Some(i) => s[i + marker.len()..].to_string(),
        None => s.to_string(),
    }
}
