//! R15: memory stays bounded in a loop that allocates and drops a million boxes.
//!
//! The test runs itself as a child process (compile + run one program in-process) under
//! `/usr/bin/time -f %M` and compares the peak RSS of a million-allocation program with that
//! of a tiny one. Skipped (with a message) where `/usr/bin/time` is missing.

#![allow(clippy::disallowed_methods)] // A test driver reads files and its environment.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use wasmtime::Module;

const ALLOC: &str = r#"
box Cell {
  init { value, next }
  birth(v) { me.value = v }
}
local i = 0
local keep = new Cell(0)
loop(i < 1000000) {
  local c = new Cell(i)
  c.next = new ArrayBox()
  c.next.push("item " + i)
  keep = c
  i = i + 1
}
print(keep.value)
"#;

const TINY: &str = "print(999999)\n";

fn run_child(file: &Path) -> ! {
    let wasm = nyash_compiler::compile(file).expect("compiles");
    let engine = nyash_runtime::engine::build(nyash_runtime::engine::Target::Host).unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    let args: Vec<OsString> = vec![file.as_os_str().to_owned()];
    let host = nyash_runtime::wasi::HostState::new(args, vec![]);
    let status = nyash_runtime::engine::on_program_stack(|| {
        nyash_runtime::wasi::run(&engine, &module, host)
    })
    .unwrap_or(102);
    std::process::exit(status)
}

/// Peak RSS in KiB of running `source`, and its stdout.
fn peak_kib(dir: &Path, name: &str, source: &str) -> (u64, String) {
    let file = dir.join(name);
    std::fs::write(&file, source).unwrap();
    let exe = std::env::current_exe().unwrap();
    let rss = dir.join(format!("{name}.rss"));
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss)
        .arg(&exe)
        .args([
            "--exact",
            "bounded_memory",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NYASH_MEMORY_RUN", &file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name} failed: {out:?}");
    let kib = std::fs::read_to_string(&rss).unwrap();
    let kib = kib.lines().last().unwrap().trim().parse().unwrap();
    (kib, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn bounded_memory() {
    if let Some(file) = std::env::var_os("NYASH_MEMORY_RUN") {
        run_child(Path::new(&file));
    }
    if !Path::new("/usr/bin/time").exists() {
        eprintln!("skipped: /usr/bin/time is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("nyash-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (tiny, _) = peak_kib(&dir, "tiny.nyash", TINY);
    let (alloc, stdout) = peak_kib(&dir, "alloc.nyash", ALLOC);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(stdout.contains("999999"), "unexpected output: {stdout}");
    // Two million boxes and a million strings would need well over 100 MB if kept; allow
    // 32 MB over the baseline (engine and compiler) for allocator slack.
    assert!(
        alloc < tiny + 32 * 1024,
        "peak RSS {alloc} KiB vs {tiny} KiB for a tiny program: memory is not bounded"
    );
}
