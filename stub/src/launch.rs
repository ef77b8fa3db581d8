//! Finding, checking, choosing and running the bundled program.

use std::fs::File;
use std::path::PathBuf;
use std::time::Instant;

use nyash_runtime::engine::{self, Target};
use nyash_runtime::payload::{self, Bundle, PayloadError, SectionKind};
use nyash_runtime::wasi::{self, HostState};
use nyash_runtime::{exit, targets};
use wasmtime::{Engine, Module};

use crate::options::{trace, Exec, Options};
use crate::{HOST_TARGET, IDENTITY};

/// Why the launcher could not start the program, for the user.
pub struct Failure {
    /// One sentence: what is wrong.
    pub message: String,
    /// What to do about it.
    pub hints: Vec<String>,
}

impl Failure {
    fn new(message: impl Into<String>, hints: &[&str]) -> Failure {
        Failure {
            message: message.into(),
            hints: hints.iter().map(|h| h.to_string()).collect(),
        }
    }
}

/// Runs the bundled program and returns its exit status.
pub fn launch() -> Result<i32, Failure> {
    // A bad `NYASH_EXEC` is reported only once the payload says the bundle is
    // not locked: a locked bundle ignores the variable altogether.
    let from_env = Options::from_env();
    let started = Instant::now();
    let (path, file) = open_own_executable()?;
    // The index is checked now; each code section is checked when it is loaded, so only
    // the one that runs is hashed. The embedded files are not read now, only those the
    // program opens, when it opens them, and each is checked then.
    let mut bundle = payload::read_index_only(&file).map_err(|e| payload_failure(&path, e))?;
    let opts = if bundle.index.launch.lock {
        Options::locked()
    } else {
        from_env.map_err(|m| Failure::new(m, &[]))?
    };
    trace!(opts, "launcher {}", IDENTITY.trim_end_matches('\0'));
    trace!(
        opts,
        "payload: {} bytes at offset {} (found through the {}), format {}, made by {}; {} sections, index checked in {:.3} ms",
        bundle.location.len,
        bundle.location.offset,
        if bundle.location.via_locator { "end-of-file locator" } else { "ELF section table" },
        bundle.index.format_version,
        bundle.index.toolchain,
        bundle.index.sections.len(),
        ms(started)
    );

    let (engine, module) = choose(&opts, &mut bundle, (&path, &file))?;
    let policy = std::mem::take(&mut bundle.index.fs);
    let launch = std::mem::take(&mut bundle.index.launch);
    let net = std::mem::take(&mut bundle.index.net);
    let assets = embedded_files(&mut bundle, file);
    drop(bundle);
    let args = wasi::program_args(&launch, std::env::args_os().collect());
    let mut host = HostState::new(args, wasi::program_env(&launch))
        .with_policy(&policy)
        .map_err(|m| {
            Failure::new(
                m,
                &["the bundle was made with `nyash bundle --dir`; run it where that directory exists"],
            )
        })?
        .with_net_policy(&net);
    if let Some((count, assets)) = assets {
        trace!(
            opts,
            "embedded files: {count} entries under /app, each checked when opened"
        );
        host = host.with_assets(assets);
    }
    let linked = Instant::now();
    let ready = wasi::instantiate(&engine, &module, host);
    trace!(
        opts,
        "instantiated in {:.3} ms; {:.3} ms since the launcher started",
        ms(linked),
        ms(started)
    );
    let ended = ready.and_then(wasi::Ready::start);
    // The process exits next, so the compiled code is left to the system rather than
    // unregistered: dropping a module deregisters its unwind information function by
    // function, which takes milliseconds for a large program.
    std::mem::forget(module);
    std::mem::forget(engine);
    exit::status(ended, |detail| trace!(opts, "trap details: {detail}")).map_err(|message| {
        Failure::new(
            format!("the bundled program does not fit this launcher: {message}"),
            &["rebuild it with `nyash bundle` from the same nyash release"],
        )
    })
}

/// The bundle's embedded files, each read from the bundle file when the
/// program opens it.
fn embedded_files(bundle: &mut Bundle, file: File) -> Option<(usize, wasi::Assets)> {
    let i = bundle.index.assets_section()?;
    let section_at = bundle.location.offset + bundle.index.sections[i].offset;
    let table = std::mem::take(&mut bundle.index.assets);
    Some((
        table.len(),
        wasi::Assets::from_bundle_file(table, file, section_at),
    ))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

fn open_own_executable() -> Result<(PathBuf, File), Failure> {
    // On Linux, /proc/self/exe is the file that is running even if it was
    // renamed or is reached through a symlink.
    #[cfg(target_os = "linux")]
    if let Ok(file) = File::open("/proc/self/exe") {
        let shown = std::env::args_os()
            .next()
            .map_or_else(|| PathBuf::from("/proc/self/exe"), PathBuf::from);
        return Ok((shown, file));
    }
    let path = std::env::current_exe().map_err(|e| {
        Failure::new(
            format!("cannot find the launcher's own executable: {e}"),
            &[],
        )
    })?;
    let file = File::open(&path).map_err(|e| {
        Failure::new(
            format!(
                "cannot read the launcher's own executable {}: {e}",
                path.display()
            ),
            &[],
        )
    })?;
    Ok((path, file))
}

fn payload_failure(path: &std::path::Path, e: PayloadError) -> Failure {
    let file = path.display();
    let damaged = [
        "the file is damaged or incomplete: copy or download it again, or rebuild it with `nyash bundle`",
    ];
    match e {
        PayloadError::NoPayload => Failure::new(
            format!("no program is bundled in this executable ({file})"),
            &["this is the bare nyash launcher; make a program with `nyash bundle app.wasm -o app`"],
        ),
        PayloadError::Truncated(_) | PayloadError::Corrupt(_) => {
            Failure::new(format!("{file} cannot run: {e}"), &damaged)
        }
        PayloadError::UnsupportedVersion { .. } => Failure::new(
            format!("{file} cannot run: {e}"),
            &["rebuild it with `nyash bundle` from the same nyash release as this launcher"],
        ),
        PayloadError::Io(_) => Failure::new(format!("{file} cannot run: {e}"), &[]),
    }
}

/// Picks the artifact to run: the host's native code, else the portable
/// fallback, as `NYASH_EXEC` allows. Every rejection is recorded for the
/// trace and for the error when nothing loads.
fn choose(
    opts: &Options,
    bundle: &mut Bundle,
    from: Source<'_>,
) -> Result<(Engine, Module), Failure> {
    // The candidates, in order; `load` then reads each one it tries.
    let sections = &bundle.index.sections;
    let native: Vec<usize> = (0..sections.len())
        .filter(|&i| {
            sections[i].kind == SectionKind::Native
                && targets::runs_on(&sections[i].target, HOST_TARGET)
        })
        .collect();
    let fallback: Vec<usize> = (0..sections.len())
        .filter(|&i| sections[i].kind == SectionKind::Pulley)
        .collect();
    let mut rejected: Vec<String> = Vec::new();

    if opts.exec != Exec::Wasm {
        if native.is_empty() {
            let why = format!("the bundle has no native code for this host ({HOST_TARGET})");
            trace!(opts, "native: skipped: {why}");
            rejected.push(why);
        } else {
            let t = Instant::now();
            match engine::build(Target::Host) {
                Ok(engine) => {
                    trace!(opts, "native engine created in {:.3} ms", ms(t));
                    for i in native {
                        match load(opts, bundle, from, &engine, i)? {
                            Ok(module) => return Ok((engine, module)),
                            Err(why) => rejected.push(why),
                        }
                    }
                }
                Err(e) => rejected.push(format!("the native engine is unavailable: {e}")),
            }
        }
        if opts.exec == Exec::Native {
            let mut failure = Failure::new(
                format!("NYASH_EXEC=native, but no native code in this bundle runs on this host ({HOST_TARGET})"),
                &[],
            );
            failure.hints.extend(rejected);
            failure
                .hints
                .push("unset NYASH_EXEC to run the portable fallback instead".into());
            return Err(failure);
        }
    }

    if fallback.is_empty() {
        rejected.push("the bundle has no portable fallback".into());
    } else {
        match engine::build(Target::PULLEY) {
            Ok(engine) => {
                for i in fallback {
                    match load(opts, bundle, from, &engine, i)? {
                        Ok(module) => {
                            if opts.exec == Exec::Auto {
                                trace!(
                                    opts,
                                    "using the portable fallback because: {}",
                                    rejected.join("; ")
                                );
                            }
                            return Ok((engine, module));
                        }
                        Err(why) => rejected.push(why),
                    }
                }
            }
            Err(e) => rejected.push(format!("the Pulley engine is unavailable: {e}")),
        }
    }
    let mut failure = Failure::new(
        format!("no code in this bundle can run on this host ({HOST_TARGET})"),
        &[],
    );
    failure.hints.extend(rejected);
    failure.hints.push(format!(
        "rebuild it with `nyash bundle --target {HOST_TARGET}`"
    ));
    Err(failure)
}

/// The bundle file the launcher runs from, and its path for messages.
type Source<'a> = (&'a std::path::Path, &'a File);

/// Reads, checks, decompresses and deserializes section `i`. The outer error
/// is a damaged bundle; the inner one is "this artifact does not fit, try the
/// next".
fn load(
    opts: &Options,
    bundle: &mut Bundle,
    (path, file): Source<'_>,
    engine: &Engine,
    i: usize,
) -> Result<Result<Module, String>, Failure> {
    let started = Instant::now();
    bundle
        .read_section(file, i)
        .map_err(|e| payload_failure(path, e))?;
    let bytes = bundle.contents(i).map_err(|e| payload_failure(path, e))?;
    let section = &bundle.index.sections[i];
    let what = format!("{} ({})", section.describe(), section.tier);
    // SAFETY: `bytes` passed the SHA-256 recorded by the bundler, which
    // produced it with `Engine::precompile_module` under the same
    // `engine::configure` settings; wasmtime checks version, target and
    // settings before any code is published.
    match unsafe { Module::deserialize(engine, &bytes) } {
        Ok(module) => {
            trace!(
                opts,
                "running {what}: checked and loaded {} bytes ({} stored) in {:.3} ms",
                section.raw_len,
                section.stored_len,
                ms(started)
            );
            Ok(Ok(module))
        }
        Err(e) => {
            let why = format!("{what} was rejected: {e}");
            trace!(opts, "{why}");
            Ok(Err(why))
        }
    }
}
