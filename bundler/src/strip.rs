//! Leaving a module's DWARF out of the bundle.
//!
//! A `.wasm` built with debug information carries it in custom sections named
//! `.debug_*`, which can be half of the module (the design research measured 3.4 MB of a
//! 7 MB ripgrep). Nothing in a bundle reads them: the launcher runs the precompiled
//! artifacts, and traps are reported by function name, from the `name` section, which is
//! kept. So the module is stored, and compiled, without them.

use std::ops::Range;

use wasm_encoder::{Module, RawSection};
use wasmparser::{Parser, Payload};

/// `wasm` without its `.debug_*` custom sections, and how many bytes that left out; the
/// module itself when it has none. A module wasmparser cannot walk is returned unchanged,
/// for the validation that follows to report.
pub fn without_debug_info(wasm: &[u8]) -> (Vec<u8>, usize) {
    let mut kept: Vec<(u8, Range<usize>)> = Vec::new();
    let mut dropped = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else {
            return (wasm.to_vec(), 0);
        };
        if let Payload::CustomSection(c) = &payload {
            if c.name().starts_with(".debug_") {
                let r = c.range();
                dropped += (r.end - r.start) as usize;
                continue;
            }
        }
        if let Some((id, range)) = payload.as_section() {
            kept.push((id, range.start as usize..range.end as usize));
        }
    }
    if dropped == 0 {
        return (wasm.to_vec(), 0);
    }
    let mut module = Module::new();
    for (id, range) in kept {
        module.section(&RawSection {
            id,
            data: &wasm[range],
        });
    }
    let out = module.finish();
    let saved = wasm.len().saturating_sub(out.len());
    (out, saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A custom section `name` holding `data`.
    fn custom(name: &str, data: &[u8]) -> Vec<u8> {
        let mut module = Module::new();
        module.section(&wasm_encoder::CustomSection {
            name: name.into(),
            data: data.into(),
        });
        module.finish()[8..].to_vec()
    }

    #[test]
    fn only_debug_sections_are_left_out() {
        let plain = wat::parse_str("(module (func (export \"f\")))").unwrap();
        assert_eq!(without_debug_info(&plain), (plain.clone(), 0));
        let mut with = plain.clone();
        with.extend(custom(".debug_info", &[7; 1000]));
        with.extend(custom("name", b"kept"));
        with.extend(custom(".debug_line", &[8; 500]));
        let (out, saved) = without_debug_info(&with);
        assert!(saved > 1500, "{saved}");
        let mut expected = plain;
        expected.extend(custom("name", b"kept"));
        assert_eq!(out, expected);
        wasmparser::validate(&out).unwrap();
    }
}
