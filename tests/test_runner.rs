//! End-to-end tests of `nyash test` on the fixture project `tests/fixtures/test_project`:
//! passing, failing, crashing and async assertion tests, golden-file tests, and a file that
//! does not compile.

mod support;

use std::process::{Command, Stdio};

use support::*;

/// Runs `nyash ARGS` from the workspace root, so paths in the output are stable.
fn nyash_at_root(args: &[&str]) -> Output {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO_BIN_EXE_nyash"))
        .env("XDG_CACHE_HOME", test_cache_home())
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("running nyash");
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code().unwrap_or(-1),
    }
}

const PROJECT: &str = "tests/fixtures/test_project";

#[test]
fn the_fixture_project_reports_every_test_and_fails() {
    let out = nyash_at_root(&["test", PROJECT]);
    assert_eq!(out.status, 1, "{out:?}");
    let text = &out.stdout;
    assert_eq!(text.lines().last(), Some("5 passed, 5 failed"), "{text}");
    for line in [
        "tests/fixtures/test_project/math_test.nyash",
        "  ok   MathTest.testAdd (",
        "  FAIL MathTest.testWrongSum (",
        "  FAIL MathTest.testDivisionByZero (",
        "  ok   MathTest.testAsync (",
        "  ok   TextTests.testConcat (",
        "  FAIL TextTests.testEmptyIsFalse (",
        "  ok   testFunction (",
        "  ok   hello_test (golden) (",
        "  FAIL wrong_output_test (golden) (",
        "  FAIL (file) (",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(line)),
            "no line starting {line:?} in:\n{text}"
        );
    }
    // Expected and actual value, and the test's own line, without the runner's frames.
    assert!(
        text.contains("Error: assertion failed: expected 5, got 4"),
        "{text}"
    );
    assert!(
        text.contains(
            "at tests/fixtures/test_project/math_test.nyash:12:9 in MathTest.testWrongSum"
        ),
        "{text}"
    );
    assert!(!text.contains("__nyash"), "{text}");
    assert!(text.contains("Error: Division by zero"), "{text}");
    assert!(
        text.contains("stdout:\n") && text.contains("dividing"),
        "{text}"
    );
    assert!(text.contains(r#"expected a true value, got """#), "{text}");
    // The golden diff.
    assert!(text.contains("-three") && text.contains("+two"), "{text}");
    // The file that does not compile, with its diagnostic.
    assert!(
        text.contains("broken_test.nyash does not compile"),
        "{text}"
    );
    assert!(text.contains("broken_test.nyash:4:"), "{text}");
    assert!(text.contains("finished in "), "{text}");
    assert_no_backtrace(&out.stderr);
}

#[test]
fn json_output_lists_every_test() {
    let out = nyash_at_root(&["test", "--json", PROJECT]);
    assert_eq!(out.status, 1, "{out:?}");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["passed"], 5);
    assert_eq!(doc["failed"], 5);
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 10);
    let find = |name: &str| {
        tests
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {doc}"))
    };
    assert_eq!(find("MathTest.testAsync")["outcome"], "passed");
    assert_eq!(find("MathTest.testAsync")["kind"], "assert");
    assert_eq!(find("MathTest.testAsync")["line"], 20);
    assert_eq!(find("MathTest.testWrongSum")["outcome"], "failed");
    assert_eq!(find("hello_test")["kind"], "golden");
    assert_eq!(find("broken_test")["kind"], "file");
    assert!(find("MathTest.testAdd")["duration_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(
        out.stderr.trim_end().lines().last(),
        Some("5 passed, 5 failed")
    );
}

#[test]
fn filter_runs_only_matching_tests() {
    let out = nyash_at_root(&["test", "--filter", "testA", PROJECT]);
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(
        out.stdout.lines().last(),
        Some("2 passed, 0 failed"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("MathTest.testAdd"));
    assert!(out.stdout.contains("MathTest.testAsync"));
}

#[test]
fn update_writes_golden_files_and_they_then_pass() {
    let dir = TempDir::new("test-update");
    let _ = write(
        &dir,
        "exit_test.nyash",
        "print(\"out\")\nthrow new ErrorBox(\"boom\")\n",
    );
    let root = dir.root().to_str().unwrap();
    let out = nyash(&["test", root]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(out.stdout.contains("has no tests"), "{}", out.stdout);

    let out = nyash(&["test", "--update", root]);
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path("exit_test.stdout")).unwrap(),
        "out\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path("exit_test.status")).unwrap(),
        "1\n"
    );
    let stderr = std::fs::read_to_string(dir.path("exit_test.stderr")).unwrap();
    assert!(
        stderr.starts_with("Error: boom\n  at exit_test.nyash:2:"),
        "{stderr}"
    );

    let out = nyash(&["test", root]);
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(out.stdout.lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn a_test_that_never_ends_is_stopped_at_the_time_limit() {
    let dir = TempDir::new("test-timeout");
    let _ = write(
        &dir,
        "forever_test.nyash",
        "box T {\n    testForever() {\n        loop(true) { }\n    }\n}\n",
    );
    let out = nyash(&["test", "--timeout", "1", dir.root().to_str().unwrap()]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(out.stdout.contains("timed out after 1 s"), "{}", out.stdout);
    assert_eq!(out.stdout.lines().last(), Some("0 passed, 1 failed"));
}

#[test]
fn bad_input_gives_one_clear_error() {
    let dir = TempDir::new("test-empty");
    let out = nyash(&["test", dir.root().to_str().unwrap()]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(
        out.stderr.starts_with("error: no test files found"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);

    let out = nyash(&["test", "--timeout", "0", dir.root().to_str().unwrap()]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(out.stderr.contains("is not a time limit"), "{}", out.stderr);
}

#[test]
fn the_internal_runner_refuses_code_it_did_not_write() {
    let dir = TempDir::new("test-internal");
    let fake = write(&dir, "fake.cwasm", "not code");
    let out = nyash(&["__run-compiled", &fake, "x.nyash"]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    assert_no_backtrace(&out.stderr);
}
