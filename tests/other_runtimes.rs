//! `nyash build` modules are standard WASI preview 1: the same programs, async ones
//! included (tasks, timers through `poll_oneoff`), give the same output under Node.js's
//! WASI implementation as under nyash. Skipped with a note when `node` is not installed,
//! unless `NYASH_REQUIRE_NODE=1` (set by CI).

mod support;

use std::process::Command;

use support::TempDir;

fn node_available() -> bool {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("NYASH_REQUIRE_NODE").is_some() {
        panic!("NYASH_REQUIRE_NODE is set but `node` cannot be run");
    }
    if !found {
        eprintln!("note: node is not installed; skipping the other-runtime checks");
    }
    found
}

fn conformance(path: &str) -> String {
    format!("{}/../tests/conformance/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Builds `program` with `nyash build`, runs it under Node's WASI from the program's
/// directory, and compares with the expected stdout and status.
fn same_under_node(program: &str) {
    let dir = TempDir::new("node");
    let wasm = dir.path("app.wasm");
    let src = conformance(program);
    support::nyash_ok(&["build", &src, "-o", &wasm]);
    let script = support::fixture("node/run-wasi.mjs");
    let program_dir = std::path::Path::new(&src).parent().unwrap();
    let out = Command::new("node")
        .args(["--no-warnings", &script, &wasm, "one", "two"])
        .current_dir(program_dir)
        .output()
        .expect("running node");
    let want = std::fs::read_to_string(src.replace(".nyash", ".stdout")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        want,
        "{program} under node; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{program} under node");
}

#[test]
fn async_programs_run_under_node_wasi() {
    if !node_available() {
        return;
    }
    for p in [
        "async/basics.nyash",
        "async/control_flow.nyash",
        "async/sleep_overlap.nyash",
        "async/exit_waits.nyash",
        "basics/hello.nyash",
    ] {
        same_under_node(p);
    }
}
