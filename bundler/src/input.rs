//! Reading the program to bundle: a `.wasm` or `.wat` module.

use std::path::Path;

use crate::error::{CliError, Result};

/// Reads `path` and returns the WebAssembly module it holds. (Nyash source
/// goes through `crate::source` instead.)
///
/// `.wat` files (or any text that is not a binary module) are parsed as the
/// WebAssembly text format; `.wasm` files are taken as they are.
pub fn load_module(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::new(format!(
            "cannot read the input file {}: {e}",
            path.display()
        ))
        .hint("check the path; `nyash bundle` takes a .wasm or .wat file")
    })?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("wasm") => Ok(bytes),
        _ if bytes.starts_with(b"\0asm") => Ok(bytes),
        _ => parse_text(path, &bytes),
    }
}

fn parse_text(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(CliError::new(format!(
            "{} is neither a WebAssembly module nor WebAssembly text",
            path.display()
        ))
        .hint("`nyash bundle` takes a .wasm (binary) or .wat (text) module"));
    }
    wat::parse_bytes(bytes)
        .map(|c| c.into_owned())
        .map_err(|mut e| {
            e.set_path(path);
            CliError::new(format!(
                "{} is not valid WebAssembly text:\n{e}",
                path.display()
            ))
        })
}
