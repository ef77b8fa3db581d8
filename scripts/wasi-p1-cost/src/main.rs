//! Runs the native code of a nyash bundle the way the launcher does (same
//! payload reader, same engine settings), but with wasmtime-wasi's preview 1
//! host instead of nyash's own: `wasi-p1-cost BUNDLE [ARGS…]`. Built only to
//! measure what that host would cost the launcher in size and start-up.

use std::process::ExitCode;

use nyash_runtime::engine::{self, Target};
use nyash_runtime::payload::{self, SectionKind};
use wasmtime::{Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> ExitCode {
    match run() {
        Ok(status) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("wasi-p1-cost: {e}");
            ExitCode::from(125)
        }
    }
}

fn fail(e: impl std::fmt::Display) -> wasmtime::Error {
    wasmtime::Error::msg(e.to_string())
}

fn run() -> wasmtime::Result<i32> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or_else(|| fail(format!("usage: wasi-p1-cost BUNDLE [ARGS…]")))?;
    let file = std::fs::File::open(path)?;
    let bundle = payload::read_bundle(&file).map_err(fail)?;
    bundle.verify_all().map_err(fail)?;
    let native = (0..bundle.index.sections.len())
        .find(|&i| bundle.index.sections[i].kind == SectionKind::Native)
        .ok_or_else(|| fail(format!("no native code in {path}")))?;
    let engine = engine::build(Target::Host)?;
    let bytes = bundle.contents(native).map_err(fail)?;
    // SAFETY: the bytes passed the bundle's checksum; they were made by
    // `nyash bundle` under the same engine settings.
    let module = unsafe { Module::deserialize(&engine, &bytes)? };
    drop(bundle);

    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |cx| cx)?;
    let ctx = WasiCtxBuilder::new()
        .inherit_stdio()
        .args(&args)
        .inherit_env()
        .preopened_dir(".", ".", FsPerms::ReadWrite)?
        .build_p1();
    let mut store = Store::new(&engine, ctx);
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e),
        },
    }
}
