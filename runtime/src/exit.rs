//! How the end of a run becomes the process's exit status, the same for a
//! bundled executable and `nyash run`: the program's own status passes
//! through, and a trap is reported on stderr and gives [`TRAP_STATUS`].

use std::process::ExitCode;

use crate::wasi::RunError;

/// The exit status of a program that trapped (crashed).
pub const TRAP_STATUS: i32 = 1;

/// The exit status for the end of a run. A trap is reported on stderr as
/// `error: the program crashed: …` and gives [`TRAP_STATUS`]; `detail` then
/// receives wasmtime's description of it (the stub traces it). `Err` is a
/// module that does not fit the host interface, with the reason, for the
/// caller to explain in its own terms.
pub fn status(result: Result<i32, RunError>, detail: impl FnOnce(&str)) -> Result<i32, String> {
    match result {
        Ok(status) | Err(RunError::Exited(status)) => Ok(status),
        Err(RunError::Trap {
            message,
            detail: description,
        }) => {
            eprintln!("error: the program crashed: {message}");
            detail(&description);
            Ok(TRAP_STATUS)
        }
        Err(RunError::Link(message)) => Err(message),
    }
}

/// Exits with a program's status: 0–255 as is; others go to the OS, which
/// keeps what it can (the low 8 bits on Unix).
pub fn exit_with(status: i32) -> ExitCode {
    match u8::try_from(status) {
        Ok(code) => ExitCode::from(code),
        Err(_) => std::process::exit(status),
    }
}
