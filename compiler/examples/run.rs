//! `run FILE [ARGS…]`: compiles a Nyash program and runs it in-process, as `nyash run`
//! will. `run --pulley FILE` runs it on the Pulley interpreter (the bundle fallback path).
//! `run --emit OUT FILE` writes the module instead. Used by the conformance tests.

#![allow(clippy::disallowed_methods)] // A command-line driver reads files and its environment.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use wasmtime::{Config, Engine, Module};

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mut pulley = false;
    let mut emit = None;
    loop {
        match args.first().and_then(|a| a.to_str()) {
            Some("--pulley") => {
                pulley = true;
                args.remove(0);
            }
            Some("--emit") if args.len() > 1 => {
                args.remove(0);
                emit = Some(PathBuf::from(args.remove(0)));
            }
            _ => break,
        }
    }
    let Some(file) = args.first().cloned() else {
        eprintln!("usage: run [--pulley] [--emit OUT] FILE [ARGS...]");
        return ExitCode::from(2);
    };
    let path = PathBuf::from(&file);
    let wasm = match nyash_compiler::compile(&path) {
        Ok(w) => w,
        Err(e) => {
            e.render(&path, &mut StandardStream::stderr(ColorChoice::Never));
            return ExitCode::from(1);
        }
    };
    if let Some(out) = emit {
        return match std::fs::write(&out, &wasm) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cannot write {}: {e}", out.display());
                ExitCode::from(1)
            }
        };
    }
    let mut config = Config::new();
    nyash_runtime::engine::configure(&mut config);
    if pulley {
        config
            .target(nyash_runtime::engine::PULLEY_TARGET)
            .expect("pulley target");
    }
    let engine = Engine::new(&config).expect("engine");
    let module = match Module::new(&engine, &wasm) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("internal compiler error: the module does not load: {e:?}");
            return ExitCode::from(70);
        }
    };
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let host = nyash_runtime::wasi::HostState::new(args, env);
    match nyash_runtime::engine::on_program_stack(|| {
        nyash_runtime::wasi::run(&engine, &module, host)
    }) {
        Ok(status) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}
