//! `nyash`: the Nyash toolchain's command-line interface.
//!
//! `nyash bundle` turns a Nyash or WebAssembly program into one executable: a
//! prebuilt launcher stub with a payload appended (the module, native code
//! per target and a portable fallback). `nyash inspect` shows what a bundle
//! holds; `nyash run` compiles and runs a program at once; `nyash build`
//! writes its WebAssembly module; `nyash check` reports the errors and warnings of Nyash source;
//! `nyash targets` lists what this build can produce.

mod bundle;
mod cache;
mod check;
mod error;
mod files;
mod fmt;
mod fs_args;
mod include;
mod input;
mod inspect;
mod launch;
mod lsp;
mod module_check;
mod net_args;
mod output;
mod precompile;
mod quiet_panics;
mod report;
mod run;
mod source;
mod strip;
mod stubs;
mod test_runner;
mod watch;
mod windows;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use error::CliError;
use nyash_compiler::{GuestRuntime, Options};
use nyash_runtime::exit::exit_with;

#[derive(Parser)]
#[command(
    name = "nyash",
    version = concat!(
        env!("CARGO_PKG_VERSION"),
        " (wasmtime ",
        nyash_runtime::wasmtime_version!(),
        ")"
    ),
    about = "The Nyash toolchain: bundle programs into single executables",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How Nyash source is compiled, for `bundle`, `run` and `build`.
#[derive(clap::Args, Clone, Copy, Debug)]
struct CompileFlags {
    /// Optimisation level: 1 (the default), or 0 to compile every builtin method call the
    /// plain way, by name, and build every result. Both behave the same; 0 is for comparing
    /// the two when hunting a compiler bug.
    #[arg(long, value_name = "LEVEL", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(0..=1))]
    opt: u8,
}

impl CompileFlags {
    /// Whether to optimise.
    fn optimize(self) -> bool {
        self.opt > 0
    }

    /// The compiler options with the standard runtime.
    fn options(self) -> Options {
        Options {
            optimize: self.optimize(),
            prune: self.optimize(),
            ..Options::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Bundle a program into one executable: launcher + native code + portable fallback.
    Bundle {
        /// The program: Nyash source (.nyash), or a WASI preview 1 command module
        /// (.wasm, .wat).
        input: PathBuf,
        /// Write one executable here [default: the input's name without extension].
        #[arg(short, long, value_name = "PATH", conflicts_with = "out_dir")]
        output: Option<PathBuf>,
        /// Write one executable per --target into this directory, plus SHA256SUMS.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Embed native code for this target triple (repeatable; `all` for every
        /// one). With -o, the first one also picks the executable's platform.
        #[arg(long = "target", value_name = "TRIPLE")]
        targets: Vec<String>,
        /// With -o: the platform the executable runs on (its launcher), when it
        /// differs from the first --target.
        #[arg(long, value_name = "TRIPLE")]
        platform: Option<String>,
        /// With -o: use this launcher stub file instead of an embedded one.
        #[arg(long, value_name = "PATH")]
        stub: Option<PathBuf>,
        #[command(flatten)]
        fs: fs_args::FsArgs,
        #[command(flatten)]
        net: net_args::NetArgs,
        #[command(flatten)]
        launch: launch::LaunchArgs,
        #[command(flatten)]
        windows: Box<windows::WindowsArgs>,
        /// Embed this file or directory (repeatable), read-only, at /app/NAME, where
        /// NAME is its last path component (`--include assets/` gives /app/assets).
        #[arg(long = "include", value_name = "PATH")]
        include: Vec<PathBuf>,
        /// Bundle again whenever the program or a file it includes changes.
        #[arg(long)]
        watch: bool,
        #[command(flatten)]
        compile: CompileFlags,
    },
    /// Compile and run a program now (.nyash, .wasm or .wat), passing it ARGS.
    Run {
        /// Run again whenever the program or a file it includes changes (give it before FILE).
        #[arg(long)]
        watch: bool,
        /// Link the program with the memory-checking runtime: freed memory is poisoned and
        /// never reused, and a double free or a use of a freed object stops the program
        /// with a message. Slower; for hunting memory bugs in nyash itself.
        #[arg(long)]
        check_memory: bool,
        #[command(flatten)]
        compile: CompileFlags,
        /// The program.
        file: PathBuf,
        #[command(flatten)]
        fs: fs_args::FsArgs,
        #[command(flatten)]
        net: net_args::NetArgs,
        #[command(flatten)]
        launch: launch::LaunchArgs,
        /// Show this file or directory to the program, read-only, at /app/NAME, as
        /// `nyash bundle --include` embeds it.
        #[arg(long = "include", value_name = "PATH")]
        include: Vec<PathBuf>,
        /// Arguments for the program.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Compile a Nyash program to a standalone WASI preview 1 module.
    Build {
        /// The program's main .nyash file.
        file: PathBuf,
        #[command(flatten)]
        compile: CompileFlags,
        /// Where to write the module [default: the input's name with .wasm].
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
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
        /// Check again whenever the program or a file it includes changes.
        #[arg(long)]
        watch: bool,
    },
    /// List the targets this nyash can produce executables for or embed code for.
    Targets,
    /// Run the tests of NAME_test.nyash files: golden-file tests and test… methods.
    Test {
        /// Test files, or directories to search for NAME_test.nyash files [default: .].
        paths: Vec<PathBuf>,
        /// Run only the tests whose name contains this text.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// Rewrite the golden files (.stdout, .stderr, .status) with what the programs do.
        #[arg(long)]
        update: bool,
        /// Print the results as one JSON document.
        #[arg(long)]
        json: bool,
        /// The time limit of one test, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
        timeout: f64,
        /// Run the tests again whenever a test file or golden file changes.
        #[arg(long)]
        watch: bool,
    },
    /// Serve the Language Server Protocol on standard input and output (started by editors).
    Lsp,
    /// Runs a program compiled by `nyash test` (internal).
    #[command(name = "__run-compiled", hide = true)]
    RunCompiled {
        /// The compiled code.
        code: PathBuf,
        /// The program name and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        argv: Vec<std::ffi::OsString>,
    },
    /// Rewrite Nyash files in the canonical layout (`-`: standard input to standard output).
    Fmt {
        /// Files, or directories to search for .nyash files [default: .].
        paths: Vec<PathBuf>,
        /// Change nothing; list the files that would change and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    quiet_panics::install_hook();
    let cli = Cli::parse();
    if let Some((watched, only_if_valid)) = watch_request(&cli.command) {
        return match watch::watch(watched, only_if_valid) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        };
    }
    if let Command::Check { file, .. } = &cli.command {
        return check::check(file);
    }
    if let Command::Run {
        file,
        fs,
        net,
        launch,
        include,
        args,
        check_memory,
        compile,
        ..
    } = cli.command
    {
        let options = Options {
            runtime: if check_memory {
                GuestRuntime::MemoryChecking
            } else {
                GuestRuntime::Standard
            },
            ..compile.options()
        };
        return match fs.policy().and_then(|fs| {
            let net = net.policy()?;
            let launch = launch.policy()?;
            run::run(&file, args, &fs, &net, &launch, &include, options)
        }) {
            Ok(status) => exit_with(status),
            Err(e) => fail(e),
        };
    }
    if let Command::RunCompiled { code, argv } = cli.command {
        return match test_runner::run_compiled(&code, argv) {
            Ok(status) => exit_with(status),
            Err(e) => fail(e),
        };
    }
    if let Command::Test {
        paths,
        filter,
        update,
        json,
        timeout,
        ..
    } = cli.command
    {
        let Some(timeout) = std::time::Duration::try_from_secs_f64(timeout)
            .ok()
            .filter(|t| !t.is_zero())
        else {
            return fail(
                CliError::new(format!("--timeout {timeout} is not a time limit"))
                    .hint("give a positive number of seconds, e.g. --timeout 10"),
            );
        };
        let options = test_runner::Options {
            paths,
            filter,
            update,
            json,
            timeout,
        };
        return match test_runner::test(&options) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => fail(e),
        };
    }
    if let Command::Lsp = cli.command {
        return match lsp::serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        };
    }
    if let Command::Fmt { paths, check } = &cli.command {
        return match fmt::fmt(paths, *check) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => fail(e),
        };
    }
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// The `--watch` form of a command, if it was asked for: what it reads, and whether a
/// version that does not compile must leave the last good run alone (`run`).
fn watch_request(command: &Command) -> Option<(watch::Watched, bool)> {
    match command {
        Command::Run {
            watch: true,
            file,
            include,
            ..
        } => Some((watch::Watched::Program(file.clone(), include.clone()), true)),
        Command::Check { watch: true, file } => {
            Some((watch::Watched::Program(file.clone(), Vec::new()), false))
        }
        Command::Bundle {
            watch: true,
            input,
            include,
            ..
        } => Some((
            watch::Watched::Program(input.clone(), include.clone()),
            false,
        )),
        Command::Test {
            watch: true, paths, ..
        } => Some((watch::Watched::Tests(paths.clone()), false)),
        _ => None,
    }
}

fn fail(e: CliError) -> ExitCode {
    if !e.is_reported() {
        eprintln!("{e}");
    }
    ExitCode::FAILURE
}

fn dispatch(command: Command) -> Result<(), CliError> {
    match command {
        Command::Build {
            file,
            output,
            compile,
        } => {
            let output = output.unwrap_or_else(|| {
                PathBuf::from(file.file_stem().unwrap_or_default()).with_extension("wasm")
            });
            if output == file {
                return Err(CliError::new(format!(
                    "the output would overwrite the input {}",
                    file.display()
                ))
                .hint("give another path with -o"));
            }
            let wasm = source::module_with(&file, compile.options())?;
            output::write_atomically(&output, &wasm, false)?;
            eprintln!("built {} ({} bytes)", output.display(), wasm.len());
            Ok(())
        }
        Command::Bundle {
            input,
            output,
            out_dir,
            targets,
            platform,
            stub,
            fs,
            net,
            compile,
            launch,
            windows,
            include,
            ..
        } => {
            let fs = fs.policy()?;
            let net = net.policy()?;
            let include = include::collect(&include, &fs)?;
            let destination = match (output, out_dir) {
                (_, Some(dir)) => bundle::Destination::Dir(dir),
                (Some(file), None) => bundle::Destination::File(file),
                (None, None) => bundle::Destination::File(bundle::default_output(&input)?),
            };
            let written = bundle::bundle(&bundle::Request {
                input,
                destination,
                targets,
                platform,
                stub,
                fs,
                net,
                compile: compile.options(),
                launch: launch.policy()?,
                windows: windows.resources()?,
                include,
            })?;
            for w in written {
                eprintln!(
                    "bundled {} ({} bytes): launcher {}, native code for {}, portable fallback pulley64",
                    w.path.display(),
                    w.size,
                    w.stub_target,
                    w.natives.join(", ")
                );
            }
            Ok(())
        }
        Command::Inspect { file, json } => inspect::inspect(&file, json),
        Command::Check { .. }
        | Command::Run { .. }
        | Command::Fmt { .. }
        | Command::Test { .. }
        | Command::Lsp
        | Command::RunCompiled { .. } => {
            unreachable!("handled in main")
        }
        Command::Targets => {
            output::print_stdout(&targets_text());
            Ok(())
        }
    }
}

/// The text of `nyash targets`.
fn targets_text() -> String {
    let embedded = stubs::embedded_targets();
    let mut out = String::from("Executables (a launcher is embedded):\n");
    for t in &embedded {
        let default = if t == stubs::HOST_STUB_TARGET {
            "  (default)"
        } else {
            ""
        };
        out += &format!("  {t}{default}\n");
    }
    let missing: Vec<&str> = stubs::BUILDABLE
        .iter()
        .copied()
        .filter(|t| !embedded.iter().any(|e| e == t))
        .collect();
    if !missing.is_empty() {
        out += &format!(
            "  not embedded in this build: {} (run `scripts/setup.sh --cross && scripts/build-stubs.sh`, then rebuild nyash)\n",
            missing.join(", ")
        );
    }
    out += "\nNative code that can be embedded (--target):\n";
    for t in nyash_runtime::targets::NATIVE_TARGETS {
        if bundle::LEFT_OUT_OF_ALL.iter().any(|(left, _)| left == t) {
            out += &format!(
                "  {t}  (not in --target all; Nyash programs do not compile for it yet)\n"
            );
        } else {
            out += &format!("  {t}\n");
        }
    }
    out += "\nEvery bundle also carries the portable fallback (pulley64) and the WebAssembly module.\n";
    out
}
