//! Showing the compiler's diagnostics. The compiler returns them as data (a [`Checked`]) and
//! renders them into any writer it is given; choosing the writer, its colour and the summary
//! line about the file is the command line's job, and happens here.

use std::io::IsTerminal;
use std::path::Path;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream, WriteColor};
use nyash_compiler::diagnostics::{render, summary};
use nyash_compiler::Checked;

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

/// Writes the diagnostics of `checked` and a summary line to `out`, as `nyash check`
/// prints them (the summary names `path` when there are errors).
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
