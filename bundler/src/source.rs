//! Turning the user's input into a WebAssembly module: `.nyash` through the
//! compiler (its diagnostics go to stderr as `nyash check` prints them),
//! `.wasm`/`.wat` as they are.

use std::io::IsTerminal;
use std::path::Path;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use nyash_compiler::{
    compile_checked_with, load_program, report, CompileFailure, FsLoader, GuestRuntime,
};

use crate::error::{CliError, Result};
use crate::input;

/// True for a path that names Nyash source.
pub fn is_nyash(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("nyash"))
}

/// The module for `path`: compiled from Nyash source, or read as WebAssembly.
pub fn module_for(path: &Path) -> Result<Vec<u8>> {
    module_with(path, GuestRuntime::Standard)
}

/// [`module_for`], linking Nyash source with the `guest` build of the language runtime.
pub fn module_with(path: &Path, guest: GuestRuntime) -> Result<Vec<u8>> {
    if is_nyash(path) {
        compile_nyash(path, guest)
    } else {
        input::load_module(path)
    }
}

/// Standard error for diagnostics: colour only on a terminal, and never with `NO_COLOR`.
pub fn diagnostics_stream() -> StandardStream {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let choice = if std::io::stderr().is_terminal() && !no_color {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    StandardStream::stderr(choice)
}

/// Checks and compiles a Nyash program. Errors and warnings are printed
/// here (warnings come from the compiler, never from the built program, R3).
fn compile_nyash(path: &Path, guest: GuestRuntime) -> Result<Vec<u8>> {
    let checked = load_program(path, &FsLoader);
    if checked.error_count > 0 || checked.warning_count > 0 {
        report(&checked, path, &mut diagnostics_stream());
    }
    if !checked.is_ok() {
        return Err(CliError::reported());
    }
    compile_checked_with(checked, guest).map_err(|failure| match failure {
        CompileFailure::Diagnostics(_) => {
            failure.render(path, &mut diagnostics_stream());
            CliError::reported()
        }
        CompileFailure::Internal(message) => CliError::new(format!(
            "internal compiler error while compiling {}: {message}",
            path.display()
        ))
        .hint("this is a bug in nyash; please report it with the program"),
    })
}
