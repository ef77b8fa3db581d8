//! What the nyash bundler and the nyash stub share.
//!
//! * [`engine`]: the one wasmtime configuration used to compile and to load
//!   every bundle section, and the one function that builds engines from it;
//! * [`exit`]: how a run's end becomes the process's exit status;
//! * [`payload`]: the bundle payload format, written by the bundler and read
//!   by the stub;
//! * [`policy`]: the file-system policy (`--dir` mappings) a bundle carries;
//! * [`targets`]: target triples and which artifacts run where;
//! * [`wasi`]: the host interface a program runs against (WASI preview 1).
//!
//! **API boundary:** this crate is all that the bundler and the stub have in
//! common. It never links a compiler: its wasmtime dependency has only the
//! `runtime` and `pulley` features, so the stub that depends on it stays free
//! of Cranelift.

pub mod engine;
pub mod exit;
pub mod payload;
pub mod policy;
pub mod targets;
pub mod wasi;
