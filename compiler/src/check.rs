//! `nyash check`: the command-line shell around [`crate::load_program`]. This is the only
//! module that touches the real file system, the environment and the terminal.

use std::io::IsTerminal;
use std::path::Path;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream, WriteColor};

use crate::diagnostics::{render, summary};
use crate::load::{load_program, Checked};
use crate::source::FsLoader;

/// Runs `nyash check` on `path`: loads it and its includes, reports every diagnostic to
/// stderr (colour only when stderr is a terminal and NO_COLOR is unset), and returns the
/// process exit status: 0 when the program is valid (warnings allowed), 1 otherwise.
pub fn check_command(path: &std::path::Path) -> i32 {
    let outcome = std::panic::catch_unwind(|| load_program(path, &FsLoader));
    let checked = match outcome {
        Ok(checked) => checked,
        Err(_) => {
            eprintln!(
                "internal compiler error: the Nyash front end crashed while checking `{}`; \
                 please report this with the input file",
                path.display()
            );
            return 1;
        }
    };
    #[allow(clippy::disallowed_methods)]
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let choice = if std::io::stderr().is_terminal() && !no_color {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let mut stderr = StandardStream::stderr(choice);
    report(&checked, path, &mut stderr);
    let status = i32::from(!checked.is_ok());
    // The process exits right after this; freeing a large program's tables one by one
    // would only cost time (about 10% of a big check).
    std::mem::forget(checked);
    status
}

/// Writes the diagnostics of `checked` and a summary line to `out`.
pub fn report(checked: &Checked, path: &Path, out: &mut dyn WriteColor) {
    let _ = render(&checked.diagnostics, checked.dropped, &checked.sources, out);
    let text = summary(checked.error_count, checked.warning_count);
    let _ = if checked.error_count > 0 {
        writeln!(out, "error: `{}` has errors: {text}", path.display())
    } else if checked.warning_count > 0 {
        writeln!(out, "warning: {text}")
    } else {
        Ok(())
    };
    let _ = out.flush();
}
