//! The conformance suite, three ways: every `tests/conformance/<area>/<name>.nyash`
//! (except `pending/` and `lib/`) runs through `nyash run`, as a bundle on its
//! native path, and as a bundle on the forced fallback path (`NYASH_EXEC=wasm`).
//! All three must give the expected stdout, stderr and exit status
//! (`<name>.stdout`, `<name>.stderr` (default empty), `<name>.status` (default 0)).
//!
//! Every program also runs through `nyash run --check-memory`, linked with the checking
//! allocator, which stops at the first double free or use of a freed object, whatever the
//! heap layout (`guest/src/checked_alloc.rs`).
//!
//! As `tests/conformance/README.md` says, each program runs from its own
//! directory with the arguments `one two`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use support::TempDir;

fn programs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "pending" && n != "lib") {
                programs(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "nyash") {
            out.push(p);
        }
    }
}

struct Expected {
    stdout: String,
    stderr: String,
    status: i32,
}

fn expected(program: &Path) -> Expected {
    let read = |ext: &str| std::fs::read_to_string(program.with_extension(ext)).ok();
    Expected {
        stdout: read("stdout").unwrap_or_default(),
        stderr: read("stderr").unwrap_or_default(),
        status: read("status").map_or(0, |s| s.trim().parse().expect("a status number")),
    }
}

fn run_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> support::Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NYASH_TRACE")
        .env_remove("NYASH_EXEC")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running a conformance program");
    support::Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code().unwrap_or(-1),
    }
}

/// A description of how `got` differs from `want`, if it does.
fn mismatch(what: &str, want: &Expected, got: &support::Output) -> Option<String> {
    (got.stdout != want.stdout || got.stderr != want.stderr || got.status != want.status).then(
        || {
            format!(
                "{what}:\n  status {} (want {})\n  stdout {:?}\n    want {:?}\n  stderr {:?}\n    want {:?}",
                got.status, want.status, got.stdout, want.stdout, got.stderr, want.stderr
            )
        },
    )
}

/// Runs one program three ways; returns a description of every mismatch.
fn check(program: &Path, scratch: &TempDir) -> Vec<String> {
    let dir = program.parent().unwrap();
    let name = program.file_name().unwrap().to_str().unwrap();
    let area = dir.file_name().unwrap().to_str().unwrap();
    let want = expected(program);
    let nyash = env!("CARGO_BIN_EXE_nyash");
    let mut problems = Vec::new();
    let mut compare = |how: &str, got: support::Output| {
        problems.extend(mismatch(&format!("{area}/{name} ({how})"), &want, &got));
    };

    compare(
        "nyash run",
        run_in(dir, nyash, &["run", name, "one", "two"], &[]),
    );

    let exe = scratch.path(&format!("{area}-{}", name.trim_end_matches(".nyash")));
    let built = run_in(dir, nyash, &["bundle", name, "-o", &exe], &[]);
    if built.status != 0 {
        problems.push(format!(
            "{area}/{name}: nyash bundle failed: {}",
            built.stderr
        ));
        return problems;
    }
    compare(
        "bundle, native path",
        run_in(dir, &exe, &["one", "two"], &[("NYASH_EXEC", "native")]),
    );
    compare(
        "bundle, fallback path",
        run_in(dir, &exe, &["one", "two"], &[("NYASH_EXEC", "wasm")]),
    );
    problems
}

/// Runs one program through `nyash run --check-memory` (the checking allocator: a double
/// free or a use of a freed object stops the program); returns any mismatch.
fn check_memory(program: &Path, _scratch: &TempDir) -> Vec<String> {
    let dir = program.parent().unwrap();
    let name = program.file_name().unwrap().to_str().unwrap();
    let area = dir.file_name().unwrap().to_str().unwrap();
    let want = expected(program);
    let nyash = env!("CARGO_BIN_EXE_nyash");
    let got = run_in(
        dir,
        nyash,
        &["run", "--check-memory", name, "one", "two"],
        &[],
    );
    mismatch(
        &format!("{area}/{name} (nyash run --check-memory)"),
        &want,
        &got,
    )
    .into_iter()
    .collect()
}

/// Runs `check` over every conformance program on two threads; fails with every mismatch.
fn run_suite(what: &str, check: fn(&Path, &TempDir) -> Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut list = Vec::new();
    programs(&root, &mut list);
    assert!(
        list.len() >= 40,
        "only {} conformance programs found",
        list.len()
    );

    let scratch = TempDir::new("conformance");
    let queue = Mutex::new(list.clone());
    let problems = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some(program) = queue.lock().unwrap().pop() else {
                    break;
                };
                let found = check(&program, &scratch);
                problems.lock().unwrap().extend(found);
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    assert!(
        problems.is_empty(),
        "{} of {} programs disagree ({what}):\n\n{}",
        problems.len(),
        list.len(),
        problems.join("\n\n")
    );
    eprintln!("{} conformance programs agree on {what}", list.len());
}

#[test]
fn every_program_agrees_on_all_three_paths() {
    run_suite("nyash run, native and fallback", check);
}

#[test]
fn every_program_passes_under_the_checking_allocator() {
    run_suite("nyash run --check-memory", check_memory);
}
