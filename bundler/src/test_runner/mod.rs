//! `nyash test`: finds `*_test.nyash` files and runs their tests.
//!
//! [`plan`] decides what a file holds (a golden-file test or assertion tests) and builds the
//! program; [`exec`] compiles it once and runs it once per test in a fresh process; [`golden`]
//! compares and updates expected files; this module prints the results, one line per test
//! with its time and, for a failure, what went wrong, then `N passed, N failed`; or, with
//! `--json`, one JSON document.

mod exec;
mod golden;
mod plan;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{CliError, Result};
use crate::files;
use crate::output;

pub use exec::run_compiled;
use plan::{Case, Plan, TestLoader};

/// The options of `nyash test`.
pub struct Options {
    /// Test files, or directories to search [default: .].
    pub paths: Vec<PathBuf>,
    /// Run only tests whose name contains this.
    pub filter: Option<String>,
    /// Rewrite golden files with what the programs print.
    pub update: bool,
    /// Print one JSON document instead of text.
    pub json: bool,
    /// The time limit of one test.
    pub timeout: Duration,
}

/// What kind of test a result is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Golden,
    Assert,
    /// A file that could not be run at all (it does not compile, or holds no tests).
    File,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Golden => "golden",
            Kind::Assert => "assert",
            Kind::File => "file",
        }
    }
}

/// The result of one test.
struct TestResult {
    file: String,
    name: String,
    kind: Kind,
    line: Option<usize>,
    passed: bool,
    duration: Duration,
    /// What went wrong (or, with `--update`, what was written).
    details: String,
}

/// Runs `nyash test`; `Ok(false)` when any test failed.
pub fn test(options: &Options) -> Result<bool> {
    let started = Instant::now();
    let list = files::nyash_files(&options.paths, is_test_file)?;
    if list.is_empty() {
        return Err(CliError::new("no test files found")
            .hint("test files are named NAME_test.nyash; give their directory or file names"));
    }
    let mut scratch = exec::Scratch::new()?;
    let mut results = Vec::new();
    for path in &list {
        let before = results.len();
        run_file(path, options, &mut scratch, &mut results)?;
        if !options.json && results.len() > before {
            print_file(path, &results[before..]);
        }
    }
    let passed = results.iter().filter(|r| r.passed).count();
    let failed = results.len() - passed;
    let elapsed = started.elapsed();
    let summary = format!("{passed} passed, {failed} failed");
    if options.json {
        output::print_stdout(&format!("{}\n", json(&results, passed, failed, elapsed)));
        eprintln!("{summary}");
    } else {
        output::print_stdout(&format!(
            "\nfinished in {:.2} s\n{summary}\n",
            elapsed.as_secs_f64()
        ));
    }
    Ok(failed == 0)
}

/// `NAME_test.nyash`.
fn is_test_file(path: &Path) -> bool {
    path.file_stem()
        .is_some_and(|s| s.to_string_lossy().ends_with("_test"))
}

fn run_file(
    path: &Path,
    options: &Options,
    scratch: &mut exec::Scratch,
    results: &mut Vec<TestResult>,
) -> Result<()> {
    let shown = path.display().to_string();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file_name.trim_end_matches(".nyash").to_string();
    let file_failure = |details: String| TestResult {
        file: shown.clone(),
        name: stem.clone(),
        kind: Kind::File,
        line: None,
        passed: false,
        duration: Duration::ZERO,
        details,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            results.push(file_failure(format!("cannot read {shown}: {e}")));
            return Ok(());
        }
    };
    let has_golden = path.with_extension("stdout").is_file();
    let plan = match plan::plan(&text, has_golden) {
        Plan::Empty if options.update => Plan::Golden,
        other => other,
    };
    let wanted = |name: &str| options.filter.as_ref().is_none_or(|f| name.contains(f));
    let mut loader = TestLoader::new(&dir);
    let (entry, cases, is_golden): (&str, Vec<Case>, bool) = match plan {
        Plan::Golden => {
            if !wanted(&stem) {
                return Ok(());
            }
            (&file_name, Vec::new(), true)
        }
        Plan::Cases(cases) => {
            let cases: Vec<Case> = cases.into_iter().filter(|c| wanted(&c.name)).collect();
            if cases.is_empty() && options.filter.is_some() {
                return Ok(());
            }
            let with_assert = !plan::has_own_assert(&text);
            loader.add(
                plan::ENTRY_NAME,
                plan::entry_source(&file_name, &cases, with_assert),
            );
            if with_assert {
                loader.add(plan::ASSERT_NAME, plan::ASSERT_SOURCE.to_string());
            }
            (plan::ENTRY_NAME, cases, false)
        }
        Plan::Empty => {
            if options.filter.is_none() {
                results.push(file_failure(format!(
                    "{shown} has no tests\nhint: add {stem}.stdout with the expected output (`nyash test --update` writes it), or methods named test… in a box"
                )));
            }
            return Ok(());
        }
        Plan::Invalid(reason) => {
            if options.filter.is_none() {
                results.push(file_failure(format!("{shown} {reason}")));
            }
            return Ok(());
        }
    };
    let wasm = match plan::compile(entry, &file_name, &loader) {
        Ok(wasm) => wasm,
        Err(diagnostics) => {
            results.push(file_failure(format!(
                "{shown} does not compile:\n{diagnostics}"
            )));
            return Ok(());
        }
    };
    let code = match scratch.precompile(&wasm) {
        Ok(code) => code,
        Err(message) => {
            results.push(file_failure(format!(
                "{shown} cannot be compiled to native code: {message}"
            )));
            return Ok(());
        }
    };
    if is_golden {
        let expected = golden::Expected::read(path);
        let argv: Vec<OsString> = std::iter::once(OsString::from(&file_name))
            .chain(expected.args.iter().map(OsString::from))
            .collect();
        let out = exec::run(&code, &dir, &argv, &expected.stdin, options.timeout)?;
        let (passed, details) = if options.update {
            golden::update(path, &out)?;
            (true, String::new())
        } else {
            expected.compare(&out, options.timeout)
        };
        results.push(TestResult {
            file: shown.clone(),
            name: stem.clone(),
            kind: Kind::Golden,
            line: None,
            passed,
            duration: out.duration,
            details,
        });
        return Ok(());
    }
    for case in &cases {
        let argv = [OsString::from(&file_name), OsString::from(&case.name)];
        let out = exec::run(&code, &dir, &argv, &[], options.timeout)?;
        let passed = out.status == Some(0);
        let details = if passed {
            String::new()
        } else {
            assertion_details(&out, &dir, options.timeout)
        };
        results.push(TestResult {
            file: shown.clone(),
            name: case.name.clone(),
            kind: Kind::Assert,
            line: Some(case.line),
            passed,
            duration: out.duration,
            details,
        });
    }
    Ok(())
}

/// What a failed assertion test printed, its trace cleaned of the runner's own frames and
/// its paths relative to where `nyash test` runs.
fn assertion_details(out: &exec::Output, dir: &Path, limit: Duration) -> String {
    let mut details = String::new();
    match out.status {
        None => details += &format!("timed out after {} s\n", limit.as_secs_f64()),
        Some(0) => {}
        Some(status) if out.stderr.is_empty() => {
            details += &format!("exited with status {status}\n")
        }
        Some(_) => {}
    }
    let prefix = if dir == Path::new(".") {
        String::new()
    } else {
        format!("{}/", dir.display())
    };
    for line in out.stderr.lines() {
        let at = line.trim_start().strip_prefix("at ");
        if at.is_some_and(|l| l.starts_with(plan::ENTRY_NAME) || l.starts_with(plan::ASSERT_NAME)) {
            continue;
        }
        match at {
            Some(rest) if !rest.starts_with('/') => {
                let indent = &line[..line.len() - line.trim_start().len()];
                details += &format!("{indent}at {prefix}{rest}\n");
            }
            _ => details += &format!("{line}\n"),
        }
    }
    if !out.stdout.is_empty() {
        details += "stdout:\n";
        for line in out.stdout.lines() {
            details += &format!("  {line}\n");
        }
    }
    details
}

fn print_file(path: &Path, results: &[TestResult]) {
    let mut text = format!("{}\n", path.display());
    for r in results {
        let mark = if r.passed { "ok  " } else { "FAIL" };
        let what = match r.kind {
            Kind::Golden => format!("{} (golden)", r.name),
            Kind::Assert => r.name.clone(),
            Kind::File => "(file)".to_string(),
        };
        text += &format!("  {mark} {what} ({})\n", millis(r.duration));
        for line in r.details.lines() {
            text += &format!("       {line}\n");
        }
    }
    output::print_stdout(&text);
}

fn millis(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn json(results: &[TestResult], passed: usize, failed: usize, elapsed: Duration) -> String {
    let tests: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "file": r.file,
                "name": r.name,
                "kind": r.kind.as_str(),
                "line": r.line,
                "outcome": if r.passed { "passed" } else { "failed" },
                "duration_ms": r.duration.as_secs_f64() * 1000.0,
                "details": r.details,
            })
        })
        .collect();
    serde_json::json!({
        "tests": tests,
        "passed": passed,
        "failed": failed,
        "duration_ms": elapsed.as_secs_f64() * 1000.0,
    })
    .to_string()
}
