//! `nyash check`: loads a program and everything it includes, reports every diagnostic, and
//! exits 0 when the program is valid (warnings allowed), 1 otherwise.

use std::path::Path;
use std::process::ExitCode;

use nyash_compiler::{load_program, FsLoader};

use crate::report::{diagnostics_stream, report};

/// Runs `nyash check` on `path`; the diagnostics go to stderr.
pub fn check(path: &Path) -> ExitCode {
    let outcome = std::panic::catch_unwind(|| load_program(path, &FsLoader));
    let Ok(checked) = outcome else {
        eprintln!(
            "internal compiler error: the Nyash front end crashed while checking `{}`; \
             please report this with the input file",
            path.display()
        );
        return ExitCode::FAILURE;
    };
    report(&checked, path, &mut diagnostics_stream());
    let status = if checked.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    // The process exits right after this; freeing a large program's tables one by one
    // would only cost time (about 10% of a big check).
    std::mem::forget(checked);
    status
}
