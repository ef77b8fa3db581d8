//! End-to-end tests of `nyash check` through the real binary.

mod support;

use support::*;

#[test]
fn a_valid_program_checks_clean() {
    let dir = TempDir::new("check-ok");
    let app = write(
        &dir,
        "app.nyash",
        "static box Main {\n  main() {\n    local greeting = \"Hello\"\n    print(greeting + \", world!\")\n  }\n}\n",
    );
    let out = nyash(&["check", &app]);
    assert_eq!(out.status, 0, "{out:?}");
    assert!(!out.stderr.contains("error"), "{}", out.stderr);
}

#[test]
fn errors_name_file_line_and_column_and_exit_1() {
    let dir = TempDir::new("check-bad");
    let app = write(&dir, "app.nyash", "x = 1\nprint(x +)\n");
    let out = nyash(&["check", &app]);
    assert_eq!(out.status, 1, "{out:?}");
    assert!(out.stderr.contains("app.nyash:2:"), "{}", out.stderr);
    assert!(out.stderr.contains("error"), "{}", out.stderr);
    assert_no_backtrace(&out.stderr);
    // NO_COLOR is set by the helper: no escape sequences.
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);

    let out = nyash(&["check", &dir.path("missing.nyash")]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("cannot read"), "{}", out.stderr);
}
