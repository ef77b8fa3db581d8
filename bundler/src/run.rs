//! `nyash run`: compile and run a program in-process, for the development
//! loop. The module is compiled for this machine with the shared engine
//! settings and runs against the same WASI host as a bundle, so output,
//! errors and exit status match what the bundled executable does.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use nyash_compiler::Options;
use nyash_runtime::engine::{self, Target};
use nyash_runtime::exit;
use nyash_runtime::launch_policy::LaunchPolicy;
use nyash_runtime::net_policy::NetPolicy;
use nyash_runtime::policy::FsPolicy;
use nyash_runtime::wasi::{self, HostState};
use wasmtime::{Engine, Module};

use crate::cache;
use crate::error::{CliError, Result};
use crate::module_check::error_chain;
use crate::source;

/// Runs `path` with `args` under the file-system policy `policy` (`--dir`,
/// `--deny-fs`, `--allow-read`, `--allow-write`), the network policy `net`
/// (`--allow-net`, `--deny-net`), the launch policy `launch` (baked
/// environment and arguments, as a bundle would carry them) and the files of
/// `--include` under `/app`, compiled with `options`; returns the program's
/// exit status.
pub fn run(
    path: &Path,
    args: Vec<OsString>,
    policy: &FsPolicy,
    net: &NetPolicy,
    launch: &LaunchPolicy,
    include: &[PathBuf],
    options: Options,
) -> Result<i32> {
    let included = crate::include::collect(include, policy)?;
    let wasm = source::module_with(path, options)?;
    let engine = host_engine()?;
    let compile = || Module::new(&engine, &wasm);
    let module = match cache::global() {
        Some(cache) => {
            let module = cache.module(&engine, &wasm, compile);
            cache.finish();
            module
        }
        None => compile(),
    }
    .map_err(|e| {
        CliError::new(format!(
            "{} cannot be compiled: {}",
            path.display(),
            error_chain(&e)
        ))
    })?;
    let mut argv = vec![path.as_os_str().to_os_string()];
    argv.extend(args);
    let argv = wasi::program_args(launch, argv);
    let mut host = HostState::new(argv, wasi::program_env(launch))
        .with_policy(policy)
        .map_err(|e| CliError::new(e).hint("create it, or change the `--dir` flag"))?
        .with_net_policy(net);
    if !included.is_empty() {
        host = host.with_assets(wasi::Assets::from_host(crate::include::host_tree(included)));
    }
    run_host(&engine, &module, host, path)
}

/// The engine for running programs on this machine, with the shared settings.
pub fn host_engine() -> Result<Engine> {
    cache::engine(Target::Host)
        .map_err(|e| CliError::new(format!("cannot create the engine: {}", error_chain(&e))))
}

/// Runs a compiled program with `argv` (the program name first) against the WASI host, with
/// the environment a bundle gives and the default file-system policy; returns its exit
/// status. A trap is reported as a bundle reports it, with status 1.
pub fn execute(engine: &Engine, module: &Module, argv: Vec<OsString>, path: &Path) -> Result<i32> {
    let host = HostState::new(argv, wasi::program_env(&LaunchPolicy::default()));
    run_host(engine, module, host, path)
}

/// Runs `module` against `host` on the program thread ([`engine::on_program_stack`]).
fn run_host(engine: &Engine, module: &Module, host: HostState, path: &Path) -> Result<i32> {
    let ended = engine::on_program_stack(|| wasi::run(engine, module, host));
    exit::status(ended, |_| {}).map_err(|message| {
        CliError::new(format!("{} cannot run: {message}", path.display()))
            .hint("programs reach the host only through WASI preview 1")
    })
}
