//! The Nyash front end: source text to a checked program.
//!
//! The pipeline, with the type that travels on each arrow:
//!
//! ```text
//! bytes --SourceLoader--> SourceFile --lexer--> Vec<Token> --parser--> ast::Module
//!       --resolve--> ResolvedProgram (+ Vec<Diagnostic> at every step)
//! ```
//!
//! * [`load_program`] runs the whole pipeline on an entry file and its includes and returns
//!   a [`Checked`]: the sources, the parsed [`ast::Module`]s, the diagnostics, and, when the
//!   program has no errors, the [`resolve::ResolvedProgram`] that the code generator consumes.
//! * [`diagnostics::render`] draws diagnostics into a writer the caller chooses; the compiler
//!   itself never prints, reads the environment or looks at a terminal.
//!
//! Invariants: the core (lexer, parser, resolver) does no IO; every file is read through a
//! [`source::SourceLoader`]. No input makes it panic, loop forever or overflow the stack:
//! nesting is limited by [`parser::MAX_DEPTH`], and stored diagnostics by
//! [`diagnostics::MAX_STORED`]. The front end knows nothing about WebAssembly;
//! [`ir`] and [`codegen`] compile a checked program to a WASI preview 1 module ([`compile`]).

pub mod ast;
pub mod builtins;
pub mod codegen;
pub mod diagnostics;
pub mod format;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod ir;
pub mod lexer;
mod load;
pub mod parser;
pub mod prelude;
pub mod pretty;
pub mod resolve;
pub mod source;
pub mod token;
pub mod trivia;

pub use codegen::{
    compile, compile_checked, compile_checked_with, compile_with, CompileFailure, GuestRuntime,
    Options,
};
pub use load::{load_program, Checked, MAX_FILE_SIZE};
pub use source::{FsLoader, MemoryLoader, SourceLoader};
