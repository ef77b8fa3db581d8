//! The one error type of the CLI: a message for people, with hints.

use std::fmt;

/// A user-facing failure: one sentence saying what is wrong, where, and
/// hints saying what to do. Printed as `error: …` / `hint: …`; exit status 1.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong, naming the file or flag involved.
    pub message: String,
    /// What the user can do about it.
    pub hints: Vec<String>,
}

impl CliError {
    /// An error with no hint.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// An error whose details were already printed (compiler diagnostics):
    /// nothing more is said, and the exit status is 1.
    pub fn reported() -> Self {
        CliError::new("")
    }

    /// True when the details were already printed.
    pub fn is_reported(&self) -> bool {
        self.message.is_empty()
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        for h in &self.hints {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

/// The result type of CLI operations.
pub type Result<T> = std::result::Result<T, CliError>;
