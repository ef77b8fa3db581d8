//! The one engine configuration shared by the bundler and the stub, and the
//! one function that builds engines from it.
//!
//! A precompiled wasmtime artifact records many engine settings, and
//! `Module::deserialize` rejects an artifact whose settings differ from the
//! loading engine's. Several wasmtime defaults depend on cargo features and
//! even on the environment (`WASMTIME_BACKTRACE_DETAILS`). The bundler links
//! wasmtime with Cranelift and the stub without it, so their defaults differ.
//! [`configure`] therefore pins every recorded setting explicitly, and
//! [`build`] makes every engine from it: the bundler's for precompiling, the
//! stub's for loading, `nyash run`'s and the test harnesses'.
//!
//! **Invariant:** nothing else in the workspace changes a [`Config`] that is
//! used to compile or load a bundle section.

use std::fmt;

use wasmtime::{Config, Engine, ModuleVersionStrategy, WasmBacktraceDetails, WasmFeatures};

/// The target name of the portable fallback artifact (wasmtime's Pulley
/// interpreter, 64-bit little-endian).
pub const PULLEY_TARGET: &str = "pulley64";

/// The wasmtime release compiled into both binaries (from `Cargo.lock`; see
/// [`crate::wasmtime_version`] for a literal).
pub const WASMTIME_VERSION: &str = wasmtime_version!();

/// The version string written into every precompiled artifact.
///
/// It names the nyash release as well as wasmtime's, so an artifact produced
/// by another nyash release is rejected with a clean error instead of being
/// loaded by an engine that might interpret it differently.
pub const ARTIFACT_VERSION: &str = concat!(
    "nyash-",
    env!("CARGO_PKG_VERSION"),
    "+wasmtime-",
    wasmtime_version!()
);

/// What an engine compiles for, or loads artifacts of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// This machine, with its own CPU features: `nyash run`, and the stub's
    /// native path (which loads artifacts compiled for the baseline).
    Host,
    /// A named target: a native triple, compiled with baseline CPU features
    /// so the artifact loads on every CPU of that architecture, or
    /// [`PULLEY_TARGET`].
    Named(&'a str),
}

impl Target<'static> {
    /// wasmtime's Pulley interpreter: the portable fallback.
    pub const PULLEY: Target<'static> = Target::Named(PULLEY_TARGET);
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Host => f.write_str("this machine"),
            Target::Named(name) => f.write_str(name),
        }
    }
}

/// An engine with the shared settings ([`configure`]) for `target`. Every
/// engine in nyash is made here: the bundler's, the stub's, `nyash run`'s
/// and the test harnesses'.
pub fn build(target: Target<'_>) -> wasmtime::Result<Engine> {
    Engine::new(&config(target)?)
}

/// The configuration [`build`] makes an engine from: [`configure`] plus
/// `target`. Only for callers that add a setting no artifact records (the
/// bundler's compilation cache) before making the engine.
pub fn config(target: Target<'_>) -> wasmtime::Result<Config> {
    let mut config = Config::new();
    configure(&mut config);
    if let Target::Named(name) = target {
        config.target(name)?;
    }
    config.native_unwind_info(needs_native_unwind_info(target));
    Ok(config)
}

/// Whether code compiled for `target` carries native unwind tables (`.eh_frame`).
///
/// Only Windows requires them (its ABI unwinds through every frame). Elsewhere they exist
/// for outside unwinders, and nothing in nyash unwinds through WebAssembly frames: the
/// launcher aborts on a panic, wasmtime catches a host function's panic before it leaves
/// the host, and backtraces of WebAssembly walk frame pointers. Leaving them out makes the
/// native code smaller, and loading and unloading it cheaper: the tables are registered with
/// the system unwinder function by function (`docs/performance.md`). An artifact records
/// the setting, and wasmtime loads it either way, so the launcher needs no counterpart.
fn needs_native_unwind_info(target: Target<'_>) -> bool {
    match target {
        Target::Host => cfg!(windows),
        Target::Named(name) => name.contains("windows"),
    }
}

/// Applies the settings that must be identical wherever a bundle section is
/// compiled or loaded.
///
/// [`build`] adds at most a target; use it rather than calling this directly.
fn configure(config: &mut Config) {
    // Exact version pin: wasmtime itself only checks the major version.
    config
        .module_version(ModuleVersionStrategy::Custom(ARTIFACT_VERSION.to_string()))
        .expect("the artifact version string is shorter than 256 bytes");

    // WebAssembly features: a fixed set, independent of wasmtime's cargo
    // features. Everything the stub cannot run is off.
    for (feature, enabled) in [
        (WasmFeatures::THREADS, false),
        (WasmFeatures::SHARED_EVERYTHING_THREADS, false),
        (WasmFeatures::STACK_SWITCHING, false),
        (WasmFeatures::COMPONENT_MODEL, false),
        (WasmFeatures::CM_ASYNC, false),
        (WasmFeatures::CM_ASYNC_STACKFUL, false),
        (WasmFeatures::CM_MORE_ASYNC_BUILTINS, false),
        (WasmFeatures::CM_THREADING, false),
        (WasmFeatures::CM_ERROR_CONTEXT, false),
        (WasmFeatures::GC_TYPES, false),
        (WasmFeatures::GC, false),
        (WasmFeatures::EXCEPTIONS, false),
        (WasmFeatures::LEGACY_EXCEPTIONS, false),
        (WasmFeatures::FUNCTION_REFERENCES, false),
        (WasmFeatures::MEMORY64, false),
        (WasmFeatures::CUSTOM_PAGE_SIZES, false),
        (WasmFeatures::WIDE_ARITHMETIC, false),
        (WasmFeatures::SIMD, true),
        (WasmFeatures::RELAXED_SIMD, true),
        (WasmFeatures::BULK_MEMORY, true),
        (WasmFeatures::MULTI_VALUE, true),
        (WasmFeatures::MULTI_MEMORY, true),
        (WasmFeatures::REFERENCE_TYPES, true),
        (WasmFeatures::TAIL_CALL, true),
        (WasmFeatures::EXTENDED_CONST, true),
    ] {
        config.wasm_features(feature, enabled);
    }

    // Tunables recorded in artifacts.
    config.concurrency_support(false);
    config.wasm_backtrace_details(WasmBacktraceDetails::Disable);
    config.epoch_interruption(false);
    config.consume_fuel(false);
    config.debug_info(false);
    config.relaxed_simd_deterministic(true);
    config.table_lazy_init(true);
    config.memory_init_cow(true);

    // Not recorded in artifacts, but the same everywhere so that recursion goes as deep on
    // native code as on Pulley (R18).
    // wasmtime checks the limit against the size of async stacks, which nyash never uses
    // (no async support in the engine).
    config.async_stack_size(MAX_WASM_STACK + HOST_STACK);
    config.max_wasm_stack(MAX_WASM_STACK);
}

/// The most stack a program's WebAssembly code may use. Native code runs on the calling
/// thread's stack, so a program runs on a thread of its own ([`on_program_stack`]); Pulley
/// keeps a stack of this size of its own. Both are reserved address space: only the pages
/// a program actually reaches become memory (`docs/performance.md`, "Deep recursion").
pub const MAX_WASM_STACK: usize = 64 << 20;

/// Stack for the host functions called from WebAssembly, beyond [`MAX_WASM_STACK`].
const HOST_STACK: usize = 2 << 20;

/// Runs `f` on a thread whose stack holds [`MAX_WASM_STACK`] of WebAssembly plus the host
/// functions it calls. Every program is run through this: a main thread's stack (8 MiB on
/// Linux, 1 MiB on Windows) is smaller than the limit, and a wasm stack that outgrows its
/// thread's stack kills the process instead of trapping. If the system refuses the thread,
/// `f` runs on the calling thread.
pub fn on_program_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let mut job = Some(f);
    let joined = std::thread::scope(|scope| {
        let job = &mut job;
        std::thread::Builder::new()
            .name("nyash-program".into())
            .stack_size(MAX_WASM_STACK + HOST_STACK)
            .spawn_scoped(scope, move || job.take().map(|f| f()))
            .ok()
            .map(|thread| thread.join())
    });
    match joined {
        Some(Ok(Some(value))) => value,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        _ => (job.take().expect("the program did not run"))(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_pins_exactly_the_wasmtime_it_was_built_with() {
        // Artifacts are only compatible within one wasmtime release, so the dependency must
        // be an exact `=` pin, and the pin is what Cargo.lock (and so WASMTIME_VERSION) holds.
        let manifest = include_str!("../../Cargo.toml");
        let pin = format!("wasmtime = {{ version = \"={WASMTIME_VERSION}\"");
        assert!(
            manifest.contains(&pin),
            "the workspace Cargo.toml lacks `{pin}`"
        );
        assert!(ARTIFACT_VERSION.ends_with(&format!("+wasmtime-{WASMTIME_VERSION}")));
    }

    #[test]
    fn every_target_kind_builds_an_engine() {
        for target in [Target::Host, Target::PULLEY] {
            assert!(build(target).is_ok(), "{target}");
        }
        assert!(build(Target::Named("no-such-target")).is_err());
    }
}
