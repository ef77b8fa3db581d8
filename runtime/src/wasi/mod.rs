//! The host interface: a hand-written subset of WASI preview 1.
//!
//! Programs reach the outside world only through `wasi_snapshot_preview1`
//! functions with their standard names and signatures, so a bundled module
//! also runs under other WASI runtimes. `docs/host-abi.md` lists what each
//! function does here. Every preview 1 function is defined, so any module
//! built for `wasm32-wasip1` links; the ones outside the subset (sockets,
//! signals, preallocation) return `NOTSOCK`, `NOSYS` or `NOTSUP`.
//!
//! Which directories the program sees is the file-system policy
//! (`crate::policy`), applied by [`HostState::with_dirs`]; `files.rs` holds
//! the descriptors and resolves paths.
//!
//! This is written by hand instead of using `wasmtime-wasi` because that
//! crate brings the component model, an async runtime and cap-std into the
//! stub: +675 KB on the 0.92 MB runtime-only stub (919,168 to 1,594,600
//! bytes), measured in the design research.

mod abi;
mod allowed;
mod assets;
#[cfg(target_os = "linux")]
mod beneath;
#[cfg(any(test, feature = "fuzzing"))]
pub mod call_sequence;
mod calls;
mod files;
mod net;
#[cfg(test)]
mod random_calls;

use std::ffi::OsString;
use std::fmt;
use std::time::Instant;

use wasmtime::{Engine, Linker, Memory, Module, Store, Trap};

use crate::launch_policy::LaunchPolicy;
use crate::net_policy::NetPolicy;
use crate::policy::FsPolicy;

pub use assets::{Assets, HostAsset};
pub use calls::MODULE;

/// The launcher's own environment variables, which the program never sees.
pub const LAUNCHER_VARIABLES: [&str; 2] = ["NYASH_EXEC", "NYASH_TRACE"];

/// The environment of this process as the program should see it under
/// `policy`: the host variables it allows, in order, except
/// [`LAUNCHER_VARIABLES`], then the baked ones the host does not give.
pub fn program_env(policy: &LaunchPolicy) -> Vec<(OsString, OsString)> {
    policy.program_env(std::env::vars_os(), &LAUNCHER_VARIABLES)
}

/// The arguments of this process as the program should see it under
/// `policy`: its name, the baked arguments, then the user's.
pub fn program_args(policy: &LaunchPolicy, argv: Vec<OsString>) -> Vec<OsString> {
    policy.program_args(argv)
}

/// Everything a running program can see of the host.
pub struct HostState {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    files: files::Files,
    net: net::Gate,
    memory: Option<Memory>,
    clock_base: Instant,
}

impl HostState {
    /// A host for a program with these arguments (the first is the program
    /// name) and environment.
    pub fn new(args: Vec<OsString>, env: Vec<(OsString, OsString)>) -> Self {
        let to_c = |mut bytes: Vec<u8>| {
            bytes.push(0);
            bytes
        };
        HostState {
            args: args.into_iter().map(|a| to_c(os_bytes(a))).collect(),
            env: env
                .into_iter()
                .map(|(k, v)| {
                    let mut kv = os_bytes(k);
                    kv.push(b'=');
                    kv.extend(os_bytes(v));
                    to_c(kv)
                })
                .collect(),
            files: files::Files::new(),
            net: net::Gate::default(),
            memory: None,
            clock_base: Instant::now(),
        }
    }

    /// Applies the file-system policy: with `--dir` mappings the program
    /// sees exactly these directories, preopened from fd 3 in order, each
    /// confined; with `--deny-fs`, none; otherwise the default. Fails, with a
    /// sentence for people, if a mapped host directory does not exist.
    pub fn with_policy(mut self, policy: &FsPolicy) -> Result<Self, String> {
        self.files.set_policy(policy)?;
        Ok(self)
    }

    /// Applies the network policy: `nyash_net` refuses every host it does
    /// not allow, with `ACCES` and a line on stderr (`net.rs`).
    pub fn with_net_policy(mut self, policy: &NetPolicy) -> Self {
        self.net = net::Gate::new(policy);
        self
    }

    /// Gives the program its embedded files, read-only under the preopen
    /// `/app` (after the policy's preopens) and under every absolute `/app/…`
    /// path (`assets.rs`). Call after [`HostState::with_policy`].
    pub fn with_assets(mut self, assets: Assets) -> Self {
        self.files.set_assets(assets);
        self
    }
}

fn os_bytes(s: OsString) -> Vec<u8> {
    #[cfg(unix)]
    {
        std::os::unix::ffi::OsStringExt::into_vec(s)
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().into_owned().into_bytes()
    }
}

/// The program called `proc_exit`.
#[derive(Debug, Clone, Copy)]
pub struct Exit(pub i32);

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit with status {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// Why a program could not be run to completion.
#[derive(Debug)]
pub enum RunError {
    /// The module's start function called `proc_exit` while it was being
    /// instantiated; the program is over with this status.
    Exited(i32),
    /// The module does not fit the host: a missing import or export.
    Link(String),
    /// The program trapped (crashed); the message is for people.
    Trap {
        /// What went wrong, e.g. `integer divide by zero`.
        message: String,
        /// wasmtime's description, including the WebAssembly backtrace.
        detail: String,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Exited(status) => write!(f, "the program exited with status {status}"),
            RunError::Link(m) => f.write_str(m),
            RunError::Trap { message, .. } => write!(f, "the program crashed: {message}"),
        }
    }
}

/// A linker with every WASI preview 1 function defined.
pub fn linker(engine: &Engine) -> Linker<HostState> {
    let mut linker = Linker::new(engine);
    calls::define(&mut linker).expect("WASI function names are unique");
    linker
}

/// Instantiates `module` and runs its `_start` export. Returns the exit
/// status: the one given to `proc_exit`, or 0 when `_start` returns.
pub fn run(engine: &Engine, module: &Module, host: HostState) -> Result<i32, RunError> {
    match instantiate(engine, module, host) {
        Ok(ready) => ready.start(),
        Err(RunError::Exited(status)) => Ok(status),
        Err(e) => Err(e),
    }
}

/// A program linked against the host and instantiated, not yet started.
pub struct Ready {
    store: Store<HostState>,
    start: wasmtime::TypedFunc<(), ()>,
    flush: Option<wasmtime::TypedFunc<(), ()>>,
}

/// The export a compiled Nyash program offers for writing the output it buffered; called
/// after a trap so that output is not lost (`docs/host-abi.md`).
pub const FLUSH_EXPORT: &str = "nyash_flush";

/// Links `module` against the WASI host and instantiates it (running its
/// start function, if any).
pub fn instantiate(engine: &Engine, module: &Module, host: HostState) -> Result<Ready, RunError> {
    let linker = linker(engine);
    let mut store = Store::new(engine, host);
    let instance = linker
        .instantiate(&mut store, module)
        .map_err(|e| match classify(e) {
            Ok(status) => RunError::Exited(status),
            Err(RunError::Link(m)) => RunError::Link(m),
            Err(trap) => trap,
        })?;
    let memory = instance.get_memory(&mut store, "memory");
    store.data_mut().memory = memory;
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .map_err(|_| {
            RunError::Link("the module has no `_start` function taking no arguments".into())
        })?;
    let flush = instance
        .get_typed_func::<(), ()>(&mut store, FLUSH_EXPORT)
        .ok();
    Ok(Ready {
        store,
        start,
        flush,
    })
}

impl Ready {
    /// Runs `_start` and returns the exit status.
    pub fn start(mut self) -> Result<i32, RunError> {
        let result = self.start.call(&mut self.store, ());
        if result
            .as_ref()
            .is_err_and(|e| e.downcast_ref::<Exit>().is_none())
        {
            // A trap: the program's own buffer still holds what it printed. Writing it
            // may trap again if the trap left the program's memory broken; then it is lost.
            if let Some(flush) = self.flush {
                let _ = flush.call(&mut self.store, ());
            }
        }
        calls::flush_stdout();
        match result {
            Ok(()) => Ok(0),
            Err(e) => classify(e),
        }
    }
}

/// Sorts an error out of a guest call into an exit, a trap or a link error.
fn classify(e: wasmtime::Error) -> Result<i32, RunError> {
    if let Some(exit) = e.downcast_ref::<Exit>() {
        return Ok(exit.0);
    }
    let detail = format!("{e:?}");
    if let Some(trap) = e.downcast_ref::<Trap>() {
        return Err(RunError::Trap {
            message: trap_message(*trap).to_string(),
            detail,
        });
    }
    if detail.contains("unknown import") || detail.contains("incompatible import") {
        return Err(RunError::Link(e.to_string()));
    }
    Err(RunError::Trap {
        message: e.root_cause().to_string(),
        detail,
    })
}

fn trap_message(trap: Trap) -> &'static str {
    match trap {
        Trap::StackOverflow => "stack overflow (recursion too deep)",
        Trap::MemoryOutOfBounds => "out-of-bounds memory access",
        Trap::HeapMisaligned => "misaligned memory access",
        Trap::TableOutOfBounds => "out-of-bounds table access",
        Trap::IndirectCallToNull => "call through a null function reference",
        Trap::BadSignature => "indirect call with the wrong signature",
        Trap::IntegerOverflow => "integer overflow",
        Trap::IntegerDivisionByZero => "integer divide by zero",
        Trap::BadConversionToInteger => "invalid conversion to integer",
        Trap::UnreachableCodeReached => "unreachable code reached (the program aborted)",
        Trap::Interrupt => "interrupted",
        Trap::OutOfFuel => "out of fuel",
        Trap::AllocationTooLarge => "out of memory (allocation too large)",
        _ => "trap",
    }
}
