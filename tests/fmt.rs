//! End-to-end tests of `nyash fmt` through the real binary.

mod support;

use support::*;

const UGLY: &str = "box A{\nf(a,b){return a+b}   // sum\n}\n\n\n\nprint(new A().f(1,2))\n";
const PRETTY: &str = "box A {\n    f(a, b) { return a + b } // sum\n}\n\nprint(new A().f(1, 2))\n";

#[test]
fn rewrites_files_in_place_and_is_then_quiet() {
    let dir = TempDir::new("fmt-rewrite");
    let app = write(&dir, "app.nyash", UGLY);
    let clean = write(&dir, "clean.nyash", PRETTY);
    let out = nyash(&["fmt", &app, &clean]);
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(std::fs::read_to_string(&app).unwrap(), PRETTY);
    assert_eq!(std::fs::read_to_string(&clean).unwrap(), PRETTY);
    assert!(
        out.stderr.contains("formatted 1 of 2 files"),
        "{}",
        out.stderr
    );

    let again = nyash(&["fmt", &app]);
    assert_eq!(again.status, 0, "{again:?}");
    assert!(
        again.stderr.contains("formatted 0 of 1 file"),
        "{}",
        again.stderr
    );
}

#[test]
fn check_lists_the_files_that_would_change_and_changes_none() {
    let dir = TempDir::new("fmt-check");
    let app = write(&dir, "app.nyash", UGLY);
    std::fs::create_dir_all(dir.path("sub")).unwrap();
    let _ = write(&dir, "sub/clean.nyash", PRETTY);
    let _ = write(&dir, "notes.txt", "not Nyash");
    let out = nyash(&["fmt", "--check", dir.root().to_str().unwrap()]);
    assert_eq!(out.status, 1, "{out:?}");
    assert_eq!(out.stdout.trim(), app);
    assert!(
        out.stderr.contains("1 of 2 files would be reformatted"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&app).unwrap(), UGLY);

    let _ = nyash_ok(&["fmt", dir.root().to_str().unwrap()]);
    let out = nyash(&["fmt", "--check", dir.root().to_str().unwrap()]);
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(out.stdout, "");
}

#[test]
fn a_file_that_does_not_parse_is_left_untouched_and_reported() {
    let dir = TempDir::new("fmt-bad");
    let broken = "box A {\n  f( {\n}\n";
    let bad = write(&dir, "bad.nyash", broken);
    let good = write(&dir, "good.nyash", UGLY);
    let out = nyash(&["fmt", &bad, &good]);
    assert_eq!(out.status, 1, "{out:?}");
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), broken);
    // The other file is still formatted.
    assert_eq!(std::fs::read_to_string(&good).unwrap(), PRETTY);
    assert!(out.stderr.contains("bad.nyash:2:"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("was not formatted: it has syntax errors"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    assert_no_backtrace(&out.stderr);
}

#[test]
fn standard_input_goes_to_standard_output() {
    let out = run_with_stdin(env!("CARGO_BIN_EXE_nyash"), &["fmt", "-"], UGLY);
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(out.stdout, PRETTY);
    let out = run_with_stdin(env!("CARGO_BIN_EXE_nyash"), &["fmt", "--check", "-"], UGLY);
    assert_eq!(out.status, 1, "{out:?}");
}

#[test]
fn a_missing_path_is_one_clear_error() {
    let out = nyash(&["fmt", "/nonexistent/x.nyash"]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: cannot read /nonexistent/x.nyash"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
}
