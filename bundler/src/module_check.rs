//! Checking a module against the engine and the host interface before any
//! artifact is produced, so that a bundle that builds also links at launch.

use std::path::Path;

use nyash_runtime::wasi::{self, HostState};
use wasmtime::{Engine, ExternType, Module, Store};

use crate::error::{CliError, Result};
use crate::quiet_panics::guarded;

/// Validates `wasm` and checks its imports and exports. Returns the module
/// compiled for the portable fallback engine, which the bundler serializes.
pub fn check_module(path: &Path, wasm: &[u8], fallback: &Engine) -> Result<Module> {
    let shown = path.display();
    Module::validate(fallback, wasm).map_err(|e| {
        CliError::new(format!(
            "{shown} is not a valid WebAssembly module: {}",
            error_chain(&e)
        ))
    })?;
    let module = guarded(|| Module::new(fallback, wasm))
        .map_err(|p| CliError::new(format!("compiling {shown} crashed the compiler: {p}")))?
        .map_err(|e| CliError::new(format!("cannot compile {shown}: {}", error_chain(&e))))?;

    let linker = wasi::linker(fallback);
    let mut store = Store::new(fallback, HostState::new(Vec::new(), Vec::new()));
    for import in module.imports() {
        let (from, name) = (import.module(), import.name());
        let Ok(provided) = linker.get(&mut store, from, name) else {
            let mut err = CliError::new(format!(
                "{shown} imports `{from}.{name}`, which the nyash runtime does not provide"
            ));
            err = err.hint(if from == wasi::MODULE {
                "it is not a WASI preview 1 function".to_string()
            } else {
                format!(
                    "programs reach the host only through WASI preview 1 (`{}`); build for wasm32-wasip1",
                    wasi::MODULE
                )
            });
            return Err(err);
        };
        let wanted = import.ty();
        let matches = match (&wanted, provided.ty(&store)) {
            (ExternType::Func(w), ExternType::Func(p)) => {
                w.params()
                    .map(|t| t.to_string())
                    .eq(p.params().map(|t| t.to_string()))
                    && w.results()
                        .map(|t| t.to_string())
                        .eq(p.results().map(|t| t.to_string()))
            }
            _ => false,
        };
        if !matches {
            return Err(CliError::new(format!(
                "{shown} imports `{from}.{name}` with the wrong type: it expects {wanted:?}"
            ))
            .hint("the WASI preview 1 signature is the one in the witx definitions"));
        }
    }
    match module.get_export("_start") {
        Some(ExternType::Func(f)) if f.params().len() == 0 && f.results().len() == 0 => {}
        _ => {
            return Err(CliError::new(format!(
                "{shown} has no `_start` function: it is not a WASI command module"
            ))
            .hint("build the program as an executable (e.g. `cargo build --target wasm32-wasip1` for a bin crate), not as a library"))
        }
    }
    Ok(module)
}

/// The full cause chain of an error, on one line.
pub fn error_chain(e: &wasmtime::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
