//! Golden-file tests: `NAME_test.nyash` runs with the arguments of `NAME_test.args` (one per
//! line) and the input `NAME_test.stdin`, and must print `NAME_test.stdout` and
//! `NAME_test.stderr` (default: nothing) and exit with `NAME_test.status` (default 0), as in
//! this project's own conformance suite.

use std::path::Path;
use std::time::Duration;

use similar::TextDiff;

use super::exec::Output;
use crate::error::{CliError, Result};
use crate::output;

/// What a golden-file test expects, and what it gets.
pub struct Expected {
    stdout: String,
    stderr: String,
    status: i32,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Standard input.
    pub stdin: Vec<u8>,
}

impl Expected {
    /// Reads the files beside the test program `path`.
    pub fn read(path: &Path) -> Expected {
        let text = |ext: &str| std::fs::read_to_string(path.with_extension(ext)).ok();
        Expected {
            stdout: text("stdout").unwrap_or_default(),
            stderr: text("stderr").unwrap_or_default(),
            status: text("status")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0),
            args: text("args")
                .map(|a| a.lines().map(str::to_string).collect())
                .unwrap_or_default(),
            stdin: std::fs::read(path.with_extension("stdin")).unwrap_or_default(),
        }
    }

    /// Whether `out` is what was expected, and if not, the differences.
    pub fn compare(&self, out: &Output, limit: Duration) -> (bool, String) {
        let Some(status) = out.status else {
            return (
                false,
                format!("timed out after {} s\n", limit.as_secs_f64()),
            );
        };
        let mut details = String::new();
        if status != self.status {
            details += &format!("exit status {status}, expected {}\n", self.status);
        }
        details += &diff("stdout", &self.stdout, &out.stdout);
        details += &diff("stderr", &self.stderr, &out.stderr);
        (details.is_empty(), details)
    }
}

/// A unified diff of one stream, or nothing when it is as expected.
fn diff(stream: &str, expected: &str, actual: &str) -> String {
    if expected == actual {
        return String::new();
    }
    let mut text = format!("{stream} differs (- expected, + actual):\n");
    let diff = TextDiff::from_lines(expected, actual);
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        text += &hunk.to_string();
        if !text.ends_with('\n') {
            text += "\n\\ no newline at end\n";
        }
    }
    text
}

/// `--update`: writes what the program did as the expected files.
pub fn update(path: &Path, out: &Output) -> Result<()> {
    let Some(status) = out.status else {
        return Err(CliError::new(format!(
            "{} timed out, so its golden files were not updated",
            path.display()
        ))
        .hint("raise the limit with --timeout"));
    };
    output::write_atomically(&path.with_extension("stdout"), out.stdout.as_bytes(), false)?;
    optional(path, "stderr", &out.stderr, "")?;
    optional(path, "status", &format!("{status}\n"), "0\n")
}

/// Writes `text` to the file with extension `ext`, or removes that file when `text` is the
/// default.
fn optional(path: &Path, ext: &str, text: &str, default: &str) -> Result<()> {
    let file = path.with_extension(ext);
    if text == default {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::new(format!(
                "cannot remove {}: {e}",
                file.display()
            ))),
            _ => Ok(()),
        }
    } else {
        output::write_atomically(&file, text.as_bytes(), false)
    }
}
