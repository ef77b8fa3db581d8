//! The Nyash front end: lexer, parser, resolver and diagnostics.
pub mod ast;
pub mod diagnostics;
pub mod lexer;
pub mod source;
pub mod token;
pub mod parser;
pub mod pretty;
