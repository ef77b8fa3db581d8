//! The official WASI preview 1 test suite (WebAssembly/wasi-testsuite), run
//! through real bundles on both execution paths.
//!
//! The suite lives beside the repository, in `../shared/wasi-testsuite` (72
//! prebuilt programs; see its `README.md` and `specification.md`); it is never
//! copied into the project. Each program is bundled once, with its fixture
//! directory mapped as the guest's `/` (`--dir fs-tests.dir::/`, relative to
//! the working directory at launch) or, without one, with no directory at all
//! (`--deny-fs`), and run twice, with `NYASH_EXEC=native`
//! and `NYASH_EXEC=wasm` (Pulley), each time in a fresh copy of the fixtures,
//! with exactly the specification's arguments and environment, no stdin, and
//! its expected status and output.
//!
//! A missing suite fails the test, unless `NYASH_SKIP_WASI_TESTSUITE=1`.
//! [`EXPECTED_FAILURES`] lists the tests that fail for a known reason; one of
//! them that passes fails the run too, so the list cannot go stale.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::{nyash, TempDir};

/// The execution paths every test runs on.
const PATHS: [&str; 2] = ["native", "wasm"];

/// Tests expected to fail, as `(language/name, path, reason)`; `path` is
/// `native`, `wasm` or `both`.
const EXPECTED_FAILURES: &[(&str, &str, &str)] = &[];

/// How long one run may take before it is killed and counted as failed.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// One run: the test's name, the path (`native`/`wasm`) and what differed.
type Outcome = (String, &'static str, Result<(), String>);

struct Case {
    /// `rust/fd_readdir`.
    name: String,
    wasm: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// A directory beside the test, presented to it as `/`.
    root: Option<String>,
    exit_code: i32,
    /// Compared only when the specification gives it, as the suite's own
    /// runner does (several tests print diagnostics).
    stdout: Option<String>,
    stderr: Option<String>,
}

fn suite_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/wasi-testsuite");
    if dir.join("tests").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("NYASH_SKIP_WASI_TESTSUITE").is_some_and(|v| v == "1") {
        eprintln!(
            "note: NYASH_SKIP_WASI_TESTSUITE=1 and {} is absent; skipping",
            dir.display()
        );
        return None;
    }
    panic!(
        "the WASI test suite is missing: expected it at {} (`../shared/wasi-testsuite` beside the repository); \
         set NYASH_SKIP_WASI_TESTSUITE=1 to skip this test",
        dir.display()
    );
}

fn cases(suite: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for language in ["assemblyscript", "c", "rust"] {
        let dir = suite
            .join("tests")
            .join(language)
            .join("testsuite/wasm32-wasip1");
        let mut wasms: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        wasms.sort();
        for wasm in wasms {
            let stem = wasm.file_stem().unwrap().to_string_lossy().into_owned();
            let spec: serde_json::Value = match std::fs::read_to_string(wasm.with_extension("json"))
            {
                Ok(text) => serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: bad JSON: {e}", wasm.display())),
                Err(_) => serde_json::json!({}),
            };
            assert!(
                spec.get("operations").is_none(),
                "{stem}: operation-based specifications are not supported by this runner"
            );
            let text = |key: &str| spec.get(key).and_then(|v| v.as_str()).map(String::from);
            cases.push(Case {
                name: format!("{language}/{stem}"),
                args: spec
                    .get("args")
                    .and_then(|a| a.as_array())
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                env: spec
                    .get("env")
                    .and_then(|e| e.as_object())
                    .map(|e| {
                        e.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                            .collect()
                    })
                    .unwrap_or_default(),
                root: spec.get("root").and_then(|r| r.as_str()).map(String::from),
                exit_code: spec.get("exit_code").and_then(|c| c.as_i64()).unwrap_or(0) as i32,
                stdout: text("stdout"),
                stderr: text("stderr"),
                wasm,
            });
        }
    }
    cases
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &dest).unwrap();
        } else if !entry.file_name().to_string_lossy().ends_with(".cleanup") {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Runs one bundle; `Err` says what differed from the specification.
fn run_case(case: &Case, exe: &Path, path: &str, work: &TempDir) -> Result<(), String> {
    let run_dir = work.root().join(format!("run-{path}"));
    std::fs::create_dir_all(&run_dir).unwrap();
    if let Some(root) = &case.root {
        copy_tree(&case.wasm.parent().unwrap().join(root), &run_dir.join(root));
    }
    let mut cmd = Command::new(exe);
    cmd.args(&case.args)
        .env_clear()
        .envs(case.env.iter().map(|(k, v)| (k, v)))
        .env("NYASH_EXEC", path)
        .current_dir(&run_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let started = Instant::now();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(RUN_TIMEOUT) {
        Ok(out) => out.map_err(|e| e.to_string())?,
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            return Err(format!(
                "still running after {:?}; killed",
                started.elapsed()
            ));
        }
    };
    let status = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut wrong = Vec::new();
    if status != case.exit_code {
        wrong.push(format!("exit status {status}, expected {}", case.exit_code));
    }
    if case.stdout.as_ref().is_some_and(|s| *s != stdout) {
        wrong.push(format!("stdout {stdout:?}, expected {:?}", case.stdout));
    }
    if case.stderr.as_ref().is_some_and(|s| *s != stderr) {
        wrong.push(format!("stderr {stderr:?}, expected {:?}", case.stderr));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

fn expected_to_fail(name: &str, path: &str) -> bool {
    EXPECTED_FAILURES
        .iter()
        .any(|(n, p, _)| *n == name && (*p == path || *p == "both"))
}

#[test]
fn the_official_wasi_testsuite_passes_on_both_paths() {
    let Some(suite) = suite_dir() else { return };
    let cases = cases(&suite);
    assert_eq!(cases.len(), 72, "the suite should hold 72 tests");
    for (name, path, _) in EXPECTED_FAILURES {
        assert!(
            cases.iter().any(|c| c.name == *name),
            "EXPECTED_FAILURES names an unknown test {name}"
        );
        assert!(
            ["native", "wasm", "both"].contains(path),
            "{name}: bad path {path}"
        );
    }
    let only = std::env::var("NYASH_WASI_TESTSUITE_ONLY").ok();

    let results: Mutex<Vec<Outcome>> = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    let bundle_time = Mutex::new(Duration::ZERO);
    let run_time = Mutex::new(Duration::ZERO);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(case) = cases.get(i) else { break };
                if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
                    continue;
                }
                let work = TempDir::new(&format!("wasi-{}", case.name.replace('/', "-")));
                let exe = work.root().join("test");
                let wasm = case.wasm.to_string_lossy().into_owned();
                let exe_text = exe.to_string_lossy().into_owned();
                let mut args = vec!["bundle", wasm.as_str(), "-o", exe_text.as_str()];
                // Only `root`, as `/`; without one, no directory at all.
                let dir_flag = case.root.as_ref().map(|r| format!("{r}::/"));
                match &dir_flag {
                    Some(flag) => args.extend(["--dir", flag.as_str()]),
                    None => args.push("--deny-fs"),
                }
                let t = Instant::now();
                let bundled = nyash(&args);
                *bundle_time.lock().unwrap() += t.elapsed();
                for path in PATHS {
                    let result = if bundled.status != 0 {
                        Err(format!("bundling failed: {}", bundled.stderr.trim()))
                    } else {
                        let t = Instant::now();
                        let r = run_case(case, &exe, path, &work);
                        *run_time.lock().unwrap() += t.elapsed();
                        r
                    };
                    results
                        .lock()
                        .unwrap()
                        .push((case.name.clone(), path, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));

    let mut problems = Vec::new();
    let mut summary = String::new();
    for language in ["assemblyscript", "c", "rust", ""] {
        let mine = |r: &&Outcome| r.0.starts_with(language);
        let total = results.iter().filter(mine).count() / PATHS.len();
        let passed = |path: &str| {
            results
                .iter()
                .filter(mine)
                .filter(|r| r.1 == path && r.2.is_ok())
                .count()
        };
        summary += &format!(
            "  {:<15} {total:>3} tests: native {:>3}, Pulley {:>3}\n",
            if language.is_empty() { "all" } else { language },
            passed("native"),
            passed("wasm")
        );
    }
    for (name, path, result) in &results {
        match (result, expected_to_fail(name, path)) {
            (Ok(()), false) | (Err(_), true) => {}
            (Ok(()), true) => problems.push(format!(
                "{name} ({path}) passes but is listed in EXPECTED_FAILURES: remove it from the list"
            )),
            (Err(why), false) => problems.push(format!("{name} ({path}): {why}")),
        }
    }
    eprintln!(
        "wasi-testsuite: {:.1} s in all; bundling {:.1} s, running {:.1} s (summed over 2 threads)\n{summary}",
        started.elapsed().as_secs_f64(),
        bundle_time.into_inner().unwrap().as_secs_f64(),
        run_time.into_inner().unwrap().as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}\n{summary}",
        problems.len(),
        problems.join("\n")
    );
}
