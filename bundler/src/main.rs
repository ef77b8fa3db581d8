//! `nyash`: the Nyash toolchain's command-line interface.
//!
//! `nyash bundle` turns a WebAssembly program into one executable: a
//! prebuilt launcher stub with a payload appended (the module, native code
//! per target and a portable fallback). `nyash inspect` shows what a bundle
//! holds; `nyash check` reports the errors and warnings of Nyash source;
//! `nyash targets` lists what this build can produce.

mod bundle;
mod error;
mod input;
mod inspect;
mod module_check;
mod output;
mod precompile;
mod quiet_panics;
mod stubs;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use error::CliError;

#[derive(Parser)]
#[command(
    name = "nyash",
    version = concat!(env!("CARGO_PKG_VERSION"), " (wasmtime 48.0.8)"),
    about = "The Nyash toolchain: bundle programs into single executables",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bundle a program into one executable: launcher + native code + portable fallback.
    Bundle {
        /// The program: a .wasm or .wat WebAssembly command module (WASI preview 1).
        input: PathBuf,
        /// Where to write the executable [default: the input's name without extension].
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Embed native code for this target triple (repeatable; `all` for every
        /// supported one). Without it: the launcher's own platform.
        #[arg(long = "target", value_name = "TRIPLE")]
        targets: Vec<String>,
        /// Use this launcher stub instead of the embedded one.
        #[arg(long, value_name = "PATH")]
        stub: Option<PathBuf>,
    },
    /// Show what a bundle holds: format, toolchain, and every section.
    Inspect {
        /// The bundled executable.
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check a Nyash program and everything it includes; report every error and warning.
    Check {
        /// The program's main .nyash file.
        file: PathBuf,
    },
    /// List the targets this nyash can produce executables for or embed code for.
    Targets,
}

fn main() -> ExitCode {
    quiet_panics::install_hook();
    let cli = Cli::parse();
    if let Command::Check { file } = &cli.command {
        // Diagnostics are printed by the front end; 0 = valid, 1 = not.
        return ExitCode::from(nyash_compiler::check_command(file).clamp(0, 255) as u8);
    }
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Bundle {
            input,
            output,
            targets,
            stub,
        } => {
            let output = match output {
                Some(o) => o,
                None => bundle::default_output(&input)?,
            };
            let summary = bundle::bundle(&bundle::Request {
                input,
                output: output.clone(),
                targets,
                stub,
            })?;
            eprintln!(
                "bundled {} ({} bytes): launcher {}, native code for {}, portable fallback pulley64",
                output.display(),
                summary.size,
                summary.stub_target,
                summary.native.join(", ")
            );
            Ok(())
        }
        Command::Inspect { file, json } => inspect::inspect(&file, json),
        Command::Check { .. } => unreachable!("handled in main"),
        Command::Targets => {
            println!("Executables (a launcher stub is embedded):");
            for t in stubs::embedded_targets() {
                let host = if t == stubs::HOST_STUB_TARGET {
                    "  (default)"
                } else {
                    ""
                };
                println!("  {t}{host}");
            }
            println!();
            println!("Native code that can be embedded (--target):");
            for t in nyash_runtime::targets::NATIVE_TARGETS {
                println!("  {t}");
            }
            println!();
            println!("Every bundle also carries the portable fallback (pulley64) and the WebAssembly module.");
            Ok(())
        }
    }
}
