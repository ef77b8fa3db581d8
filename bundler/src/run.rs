//! `nyash run`: compile and run a program in-process, for the development
//! loop. The module is compiled for this machine with the shared engine
//! settings and runs against the same WASI host as a bundle, so output,
//! errors and exit status match what the bundled executable does.

use std::ffi::OsString;
use std::path::Path;

use nyash_compiler::GuestRuntime;
use nyash_runtime::engine;
use nyash_runtime::wasi::{self, HostState, RunError};
use wasmtime::{Config, Engine, Module};

use crate::error::{CliError, Result};
use crate::module_check::error_chain;
use crate::source;

/// Runs `path` with `args` under the file-system policy of `--dir` and
/// `--deny-fs`, linked with the `guest` runtime; returns the program's exit status.
pub fn run(
    path: &Path,
    args: Vec<OsString>,
    dirs: &[String],
    deny_fs: bool,
    guest: GuestRuntime,
) -> Result<i32> {
    let policy = crate::bundle::fs_policy(dirs, deny_fs)?;
    let wasm = source::module_with(path, guest)?;
    let mut config = Config::new();
    engine::configure(&mut config);
    let engine = Engine::new(&config)
        .map_err(|e| CliError::new(format!("cannot create the engine: {}", error_chain(&e))))?;
    let module = Module::new(&engine, &wasm).map_err(|e| {
        CliError::new(format!(
            "{} cannot be compiled: {}",
            path.display(),
            error_chain(&e)
        ))
    })?;
    let mut argv = vec![path.as_os_str().to_os_string()];
    argv.extend(args);
    let host = HostState::new(argv, wasi::program_env())
        .with_policy(&policy)
        .map_err(|e| CliError::new(e).hint("create it, or change the `--dir` flag"))?;
    match engine::on_program_stack(|| wasi::run(&engine, &module, host)) {
        Ok(status) | Err(RunError::Exited(status)) => Ok(status),
        Err(RunError::Trap { message, .. }) => {
            eprintln!("error: the program crashed: {message}");
            Ok(1)
        }
        Err(RunError::Link(message)) => Err(CliError::new(format!(
            "{} cannot run: {message}",
            path.display()
        ))
        .hint("programs reach the host only through WASI preview 1")),
    }
}
