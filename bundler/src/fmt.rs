//! `nyash fmt`: rewrites Nyash files in the canonical layout of
//! [`nyash_compiler::format`], or with `--check` lists the files that would change.
//!
//! A file that does not parse is left as it is; its errors are printed as `nyash check` prints
//! them and the command fails. `-` formats standard input to standard output.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use nyash_compiler::diagnostics::render;
use nyash_compiler::format::{format_source, FormatError};
use nyash_compiler::source::{SourceFile, SourceMap};

use crate::error::{CliError, Result};
use crate::{files, output, report};

/// How standard input is named in messages.
const STDIN_NAME: &str = "<stdin>";

/// What happened to one file.
enum Outcome {
    Unchanged,
    Changed,
    Failed,
}

/// Runs `nyash fmt`; `Ok(false)` means some file failed or, with `check`, would change.
pub fn fmt(paths: &[PathBuf], check: bool) -> Result<bool> {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            return Err(
                CliError::new("`-` (standard input) cannot be mixed with paths")
                    .hint("run `nyash fmt -` on its own"),
            );
        }
        return stdin(check);
    }
    let list = files::nyash_files(paths, |_| true)?;
    let (mut changed, mut failed) = (0usize, 0usize);
    for path in &list {
        match one(path, check) {
            Outcome::Unchanged => {}
            Outcome::Changed => changed += 1,
            Outcome::Failed => failed += 1,
        }
    }
    let files = |n: usize| if n == 1 { "file" } else { "files" };
    let total = list.len();
    if check {
        eprintln!(
            "{changed} of {total} {} would be reformatted{}",
            files(total),
            if failed > 0 {
                format!(", {failed} could not be formatted")
            } else {
                String::new()
            }
        );
    } else {
        eprintln!(
            "formatted {changed} of {total} {}{}",
            files(total),
            if failed > 0 {
                format!(", {failed} could not be formatted")
            } else {
                String::new()
            }
        );
    }
    Ok(failed == 0 && !(check && changed > 0))
}

/// Formats one file in place (or only compares, with `check`).
fn one(path: &Path, check: bool) -> Outcome {
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                eprintln!(
                    "{}",
                    CliError::new(format!("{} is not valid UTF-8", path.display()))
                        .hint("save the file as UTF-8; it was left as it is")
                );
                return Outcome::Failed;
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return Outcome::Failed;
        }
    };
    let formatted = match formatted(path, &text) {
        Some(f) => f,
        None => return Outcome::Failed,
    };
    if formatted == text {
        return Outcome::Unchanged;
    }
    if check {
        output::print_stdout(&format!("{}\n", path.display()));
        return Outcome::Changed;
    }
    match output::write_atomically(path, formatted.as_bytes(), false) {
        Ok(()) => Outcome::Changed,
        Err(e) => {
            eprintln!("{e}");
            Outcome::Failed
        }
    }
}

/// The formatted text, or `None` after printing why there is none.
fn formatted(path: &Path, text: &str) -> Option<String> {
    match format_source(text) {
        Ok(out) => Some(out),
        Err(FormatError::Syntax(diagnostics)) => {
            let mut sources = SourceMap::new();
            let _ = sources.add(SourceFile::new(
                path.to_path_buf(),
                path.display().to_string(),
                text.to_string(),
            ));
            let mut stderr = report::diagnostics_stream();
            let errors: Vec<_> = diagnostics.into_iter().filter(|d| d.is_error()).collect();
            let _ = render(&errors, 0, &sources, &mut stderr);
            let how = if path == Path::new(STDIN_NAME) {
                "fix them and format again".to_string()
            } else {
                format!(
                    "fix them (`nyash check {}` lists them) and run `nyash fmt` again",
                    path.display()
                )
            };
            let _ = writeln!(
                stderr,
                "error: {} was not formatted: it has syntax errors\nhint: {how}",
                path.display()
            );
            None
        }
        Err(FormatError::WouldChangeProgram) => {
            eprintln!(
                "{}",
                CliError::new(format!(
                    "internal formatter error: formatting {} would change the program, so it was left as it is",
                    path.display()
                ))
                .hint("this is a bug in nyash; please report it with the file")
            );
            None
        }
    }
}

/// `nyash fmt -`: standard input to standard output.
fn stdin(check: bool) -> Result<bool> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| CliError::new(format!("cannot read standard input: {e}")))?;
    let Some(out) = formatted(Path::new(STDIN_NAME), &text) else {
        return Ok(false);
    };
    if check {
        return Ok(out == text);
    }
    output::print_stdout(&out);
    Ok(true)
}
