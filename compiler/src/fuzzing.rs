//! Every program the front end accepts compiles to a module that validates: the driver
//! behind the `compile_validate` fuzz target (`fuzz/`) and its regression test.

use std::path::Path;

use crate::codegen::validate;
use crate::{compile_checked, load_program, CompileFailure, MemoryLoader};

/// The `compile_validate` fuzz target: `data` as `main.nyash`. A program with errors is
/// rejected by the front end; any other compiles, and the module passes wasmparser's
/// validator (which release builds of the compiler do not run themselves).
pub fn check(data: &[u8]) {
    let loader = MemoryLoader::single("main.nyash", data.to_vec());
    let checked = load_program(Path::new("main.nyash"), &loader);
    let accepted = checked.is_ok();
    match compile_checked(checked) {
        Ok(wasm) => {
            if let Err(e) = validate(&wasm) {
                panic!("an accepted program compiled to an invalid module: {e}");
            }
        }
        Err(CompileFailure::Diagnostics(_)) => {
            assert!(!accepted, "an accepted program was refused")
        }
        Err(CompileFailure::Internal(m)) => {
            panic!("an accepted program did not compile: {m}")
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every committed seed and crash reproducer of the `compile_validate` fuzz target.
    #[test]
    #[allow(clippy::disallowed_methods)] // A test driver reads its own input files.
    fn fuzz_inputs_pass() {
        let fuzz = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz");
        let mut ran = 0;
        for dir in ["seeds/compile_validate", "regressions/compile_validate"] {
            let Ok(entries) = std::fs::read_dir(format!("{fuzz}/{dir}")) else {
                continue;
            };
            for entry in entries {
                super::check(&std::fs::read(entry.unwrap().path()).unwrap());
                ran += 1;
            }
        }
        assert!(ran > 0, "no fuzz inputs found under {fuzz}");
    }
}
