//! The nyash launcher stub.
//!
//! `nyash bundle` copies this executable and appends a payload to it. At
//! launch the stub finds the payload in its own file, checks every section's
//! SHA-256, loads the native artifact for this host (or, failing that, the
//! portable Pulley artifact) and runs the program with its arguments,
//! environment, standard streams and exit status passed through untouched.
//!
//! The stub takes no command-line flags of its own. Two environment
//! variables steer it: `NYASH_TRACE=1` reports on stderr which path ran and
//! why, and `NYASH_EXEC=native|wasm|auto` forces a path.
//!
//! **Invariant:** the stub links no compiler. It can only load precompiled
//! artifacts, and it never writes the program to disk.

mod launch;
mod options;

use std::process::ExitCode;

/// musl's allocator is slow at start-up (it maps single pages); see
/// `docs/performance.md` for the measured difference.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// The identity the bundler reads from a stub file: a marker, the target
/// triple and the nyash version, NUL-terminated.
pub static IDENTITY: &str = concat!(
    "NYASH-STUB:",
    env!("NYASH_STUB_TARGET"),
    ":",
    env!("CARGO_PKG_VERSION"),
    "\0"
);

/// The target triple this stub was built for.
pub const HOST_TARGET: &str = env!("NYASH_STUB_TARGET");

/// The exit status when the stub itself cannot start the program (a damaged
/// bundle, no usable code). Programs' own statuses pass through unchanged.
const LAUNCH_FAILURE: u8 = 125;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error in the nyash launcher: {info}");
        eprintln!("hint: please report this, with the output of `NYASH_TRACE=1`");
    }));
    match nyash_runtime::engine::on_program_stack(launch::launch) {
        Ok(status) => nyash_runtime::exit::exit_with(status),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            for hint in &failure.hints {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(LAUNCH_FAILURE)
        }
    }
}
