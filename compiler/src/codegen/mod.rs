//! Code generation: a checked Nyash program to a standalone WASI preview 1 module.
//!
//! ```text
//! Checked --ir::build--> ir::Program (typed, resumable) --emit--> functions, globals, data
//!         --merge (with the guest runtime)--> module bytes --prune (unreachable functions out)
//!         --> module bytes --wasmparser validation
//! ```
//!
//! The design (value representation, calling convention, errors, reference counting, the
//! merge step, and async) is described in `docs/compiler.md`.
//!
//! `emit` is `module::ModuleCx`, the module-level context, which emits each function
//! through a `frame::FnCx`; the other files are one concern each: `stmt`, `dynamic`
//! (boxed expressions and calls), `unboxed`, `unwind` (error checks), `resume`
//! (async frames), `helpers` and `dispatch` (synthesized functions), `idioms`
//! (ABI constants and named instruction sequences).

mod dispatch;
mod dynamic;
mod frame;
mod helpers;
mod idioms;
pub mod merge;
mod module;
pub mod prune;
mod resume;
pub mod runtime;
mod stmt;
mod unboxed;
mod unwind;

use std::path::Path;

pub use self::runtime::GuestRuntime;
use crate::load::{load_program, Checked};
use crate::source::{FsLoader, SourceLoader};

/// Why a program could not be compiled. This is data: the caller decides how to show it
/// ([`crate::diagnostics::render`] draws the diagnostics into a writer of its choice).
#[derive(Debug)]
pub enum CompileFailure {
    /// The front end reported errors; they are in the [`Checked`] program.
    Diagnostics(Box<Checked>),
    /// The code generator failed (a compiler bug); the message says what.
    Internal(String),
}

impl std::fmt::Display for CompileFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileFailure::Diagnostics(c) => {
                write!(f, "the program has {} error(s)", c.error_count)
            }
            CompileFailure::Internal(m) => write!(f, "internal compiler error: {m}"),
        }
    }
}

impl std::error::Error for CompileFailure {}

/// Compiles the program whose entry file is `entry` (and everything it includes) to a WASI
/// preview 1 module. Warnings do not fail the compilation.
pub fn compile(entry: &Path) -> Result<Vec<u8>, CompileFailure> {
    compile_with(entry, &FsLoader)
}

/// [`compile`] reading sources through `loader`.
pub fn compile_with(entry: &Path, loader: &dyn SourceLoader) -> Result<Vec<u8>, CompileFailure> {
    let checked = load_program(entry, loader);
    compile_checked(checked)
}

/// How a program is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The build of the language runtime the program is linked with.
    pub runtime: GuestRuntime,
    /// Whether to optimise (`nyash run --opt 1`, the default): builtin methods with their
    /// own entry points (`nyash_abi::FAST_METHODS`), borrowed receivers, results not built
    /// when dropped, inline Float arithmetic and Int division on boxed values, inline
    /// reference-count decrements, and fields of `me` read at a known slot. Without it,
    /// every builtin method call goes through `ny_call` by name, every result is built and
    /// every field goes through its dispatcher. Both must behave identically; the
    /// differential tests compare them.
    pub optimize: bool,
    /// Whether to leave out the runtime functions the program cannot reach ([`prune`]).
    /// On by default; `--opt 0` turns it off with the rest, and the IR snapshots, which
    /// name runtime functions by their index in the runtime, turn it off alone.
    pub prune: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            runtime: GuestRuntime::Standard,
            optimize: true,
            prune: true,
        }
    }
}

/// Compiles a program the front end has already loaded.
pub fn compile_checked(checked: Checked) -> Result<Vec<u8>, CompileFailure> {
    compile_checked_with(checked, Options::default())
}

/// [`compile_checked`] with `options`.
pub fn compile_checked_with(checked: Checked, options: Options) -> Result<Vec<u8>, CompileFailure> {
    if !checked.is_ok() || checked.program.is_none() {
        return Err(CompileFailure::Diagnostics(Box::new(checked)));
    }
    let guest = options.runtime;
    let ir = crate::ir::build(&checked);
    // A program that makes no network box imports only WASI preview 1 (R19).
    let dropped = if crate::ir::makes_any_box(&ir, NETWORK_BOXES) {
        merge::Dropped::default()
    } else {
        merge::Dropped::imports_of(guest.wasm(), merge::NETWORK_IMPORTS)
            .map_err(CompileFailure::Internal)?
    };
    let info = runtime::RuntimeInfo::load(guest).without(&dropped);
    let mut addition = module::ModuleCx::new(&ir, info, options).emit();
    if options.prune {
        addition.unreachable = unneeded_families(&ir);
    }
    let mut wasm =
        merge::merge(guest.wasm(), addition, &dropped).map_err(CompileFailure::Internal)?;
    if options.prune {
        wasm = prune::prune(&wasm).map_err(CompileFailure::Internal)?.0;
    }
    if cfg!(debug_assertions) {
        validate(&wasm).map_err(CompileFailure::Internal)?;
    }
    Ok(wasm)
}

/// The entries of the runtime's families (`nyash_abi::FAMILIES`) that `prog` cannot
/// reach: it names none of their boxes, with `new` or `from` (including the prelude's
/// code it uses), so it can never make one.
fn unneeded_families(prog: &crate::ir::Program) -> Vec<&'static str> {
    nyash_abi::FAMILIES
        .iter()
        .filter(|f| {
            !crate::ir::makes_any_box(prog, f.boxes)
                && !prog
                    .classes
                    .iter()
                    .any(|c| c.builtin.as_deref().is_some_and(|b| f.boxes.contains(&b)))
        })
        .map(|f| f.export)
        .collect()
}

/// The boxes that need the host's network calls.
const NETWORK_BOXES: &[&str] = &[
    "SocketBox",
    "HTTPServerBox",
    "HTTPClientBox",
    "HttpClientBox",
];

/// Validates a module with wasmparser (the feature set the Nyash engine enables).
pub fn validate(wasm: &[u8]) -> Result<(), String> {
    let mut v = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::default());
    v.validate_all(wasm)
        .map(|_| ())
        .map_err(|e| format!("the emitted module is invalid: {e}"))
}
