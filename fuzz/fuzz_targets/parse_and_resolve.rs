//! Any bytes: loading, parsing and resolving never panics, and a valid program round-trips
//! through the pretty-printer.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nyash_compiler::diagnostics::DiagnosticSink;
use nyash_compiler::parser::parse;
use nyash_compiler::pretty::print_module;
use nyash_compiler::source::FileId;
use nyash_compiler::{load_program, MemoryLoader};

fuzz_target!(|data: &[u8]| {
    let loader = MemoryLoader::single("main.nyash", data.to_vec());
    let checked = load_program(Path::new("main.nyash"), &loader);
    assert_eq!(checked.is_ok(), checked.program.is_some());

    // Property: printing a tree without errors and parsing it again gives the same text.
    if let Ok(text) = std::str::from_utf8(data) {
        let mut sink = DiagnosticSink::new();
        let module = parse(text, FileId(0), &mut sink);
        if sink.error_count() == 0 {
            let printed = print_module(&module);
            let mut sink2 = DiagnosticSink::new();
            let reparsed = parse(&printed, FileId(0), &mut sink2);
            assert_eq!(
                sink2.error_count(),
                0,
                "printed program does not parse:\n{printed}"
            );
            assert_eq!(print_module(&reparsed), printed);
        }
    }
});
