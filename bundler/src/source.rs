//! Turning the user's input into a WebAssembly module: `.nyash` through the
//! compiler (its diagnostics go to stderr as `nyash check` prints them),
//! `.wasm`/`.wat` as they are.

use std::path::Path;

use nyash_compiler::{compile_checked_with, load_program, CompileFailure, FsLoader, Options};

use crate::error::{CliError, Result};
use crate::input;
use crate::report::{diagnostics_stream, report};

/// True for a path that names Nyash source.
pub fn is_nyash(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("nyash"))
}

/// The module for `path`: compiled from Nyash source with `options`, or read as
/// WebAssembly.
pub fn module_with(path: &Path, options: Options) -> Result<Vec<u8>> {
    if is_nyash(path) {
        compile_nyash(path, options)
    } else {
        input::load_module(path)
    }
}

/// Checks and compiles a Nyash program. Errors and warnings are printed
/// here, before compiling (warnings come from the compiler, never from the
/// built program, R3).
fn compile_nyash(path: &Path, options: Options) -> Result<Vec<u8>> {
    let checked = load_program(path, &FsLoader);
    if checked.error_count > 0 || checked.warning_count > 0 {
        report(&checked, path, &mut diagnostics_stream());
    }
    compile_checked_with(checked, options).map_err(|failure| match failure {
        // Reported above.
        CompileFailure::Diagnostics(_) => CliError::reported(),
        CompileFailure::Internal(message) => CliError::new(format!(
            "internal compiler error while compiling {}: {message}",
            path.display()
        ))
        .hint("this is a bug in nyash; please report it with the program"),
    })
}
