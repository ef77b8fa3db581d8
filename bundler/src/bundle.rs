//! `nyash bundle`: module in, executables out.
//!
//! Two shapes of output:
//!
//! * `-o FILE`: one executable. Its platform is `--platform TRIPLE`, else the
//!   first `--target`, else this machine; its launcher is `--stub PATH`
//!   (which must be for that platform) or the embedded one for it.
//!   It carries native code for every `--target` (or for its own platform)
//!   plus the portable fallback. `--target all` makes a fat bundle on this
//!   machine's launcher.
//! * `--out-dir DIR`: one executable per `--target` (`all`: every platform
//!   with an embedded launcher), named `<name>-<target>[.exe]`, each with its
//!   own launcher and native code, plus `SHA256SUMS`.
//!
//! Every native target is compiled once, whatever the number of outputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nyash_runtime::engine::{ARTIFACT_VERSION, PULLEY_TARGET, WASMTIME_VERSION};
use nyash_runtime::launch_policy::LaunchPolicy;
use nyash_runtime::net_policy::NetPolicy;
use nyash_runtime::payload::{self, Compression, SectionInput, SectionKind};
use nyash_runtime::policy::FsPolicy;
use nyash_runtime::targets::NATIVE_TARGETS;
use sha2::{Digest, Sha256};

use crate::error::{CliError, Result};
use crate::module_check::{check_module, error_chain};
use crate::output::write_atomically;
use crate::stubs::{self, Stub};
use crate::windows::WindowsResources;
use crate::{precompile, source};

/// The zstd level for every section: the highest standard level. Output is
/// deterministic for a given level.
const ZSTD_LEVEL: i32 = 19;

/// Where the executables go.
pub enum Destination {
    /// One executable at this path.
    File(PathBuf),
    /// One executable per target in this directory, plus `SHA256SUMS`.
    Dir(PathBuf),
}

/// What to bundle and how.
pub struct Request {
    /// The `.wasm`/`.wat` input.
    pub input: PathBuf,
    /// Where to write.
    pub destination: Destination,
    /// `--target` values, as given (may include `all`).
    pub targets: Vec<String>,
    /// `--platform`: the launcher of a single-file bundle.
    pub platform: Option<String>,
    /// `--stub PATH`, overriding the embedded launchers.
    pub stub: Option<PathBuf>,
    /// `--dir`, `--deny-fs`, `--allow-read` and `--allow-write`: the file-system
    /// policy stored in the payload.
    pub fs: FsPolicy,
    /// `--allow-net` and `--deny-net`: the network policy stored in the payload.
    pub net: NetPolicy,
    /// `--opt`: how Nyash source is compiled.
    pub compile: nyash_compiler::Options,
    /// `--env`, `--env-file`, `--arg`, `--env-allow` and `--lock`: the launch
    /// policy stored in the payload.
    pub launch: LaunchPolicy,
    /// `--windows-*`: resources written into Windows launchers.
    pub windows: WindowsResources,
    /// `--include`: the files to embed, listed and checked (`include.rs`).
    pub include: Vec<crate::include::Included>,
}

/// One executable to write.
struct Job {
    stub: Stub,
    natives: Vec<String>,
    path: PathBuf,
}

/// What was written, for the summary lines.
pub struct Written {
    /// The executable's path.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: usize,
    /// Its launcher's target.
    pub stub_target: String,
    /// The native targets it carries.
    pub natives: Vec<String>,
}

/// Native targets that `--target all` leaves out, each with the reason the
/// bundler prints. They can still be named on their own.
pub const LEFT_OUT_OF_ALL: &[(&str, &str)] = &[(
    "riscv64gc-unknown-linux-gnu",
    "Cranelift 48 cannot compile the runtime's short constant-length `memory.copy` for it without the V extension",
)];

/// Checks `--target` names (`all` expands to every native target but those
/// of [`LEFT_OUT_OF_ALL`]) and removes duplicates. Unknown names are an
/// error listing the valid ones.
pub fn resolve_targets(given: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in given {
        let expanded: Vec<&str> = if t == "all" {
            for (target, why) in LEFT_OUT_OF_ALL {
                eprintln!("note: --target all leaves out {target}: {why}; its portable fallback runs there");
            }
            NATIVE_TARGETS
                .iter()
                .copied()
                .filter(|t| !LEFT_OUT_OF_ALL.iter().any(|(left, _)| left == t))
                .collect()
        } else if NATIVE_TARGETS.contains(&t.as_str()) {
            vec![t.as_str()]
        } else {
            return Err(CliError::new(format!("unknown target `{t}`"))
                .hint(format!("valid targets: all, {}", NATIVE_TARGETS.join(", "))));
        };
        for e in expanded {
            if !out.iter().any(|o| o == e) {
                out.push(e.to_string());
            }
        }
    }
    Ok(out)
}

fn plan(req: &Request) -> Result<Vec<Job>> {
    match &req.destination {
        Destination::File(path) => {
            let targets = resolve_targets(&req.targets)?;
            let all = req.targets.iter().any(|t| t == "all");
            let stub = if let Some(file) = &req.stub {
                let stub = stubs::from_file(file)?;
                // The platform asked for: --platform, else the first --target.
                let wanted = req
                    .platform
                    .clone()
                    .or_else(|| targets.first().filter(|_| !all).cloned());
                if let Some(platform) = wanted {
                    if !nyash_runtime::targets::runs_on(&platform, &stub.target) {
                        let actual = stubs::describe_binary(&stub.bytes)
                            .map_or_else(String::new, |(f, m)| format!(" ({f} {m})"));
                        return Err(CliError::new(format!(
                            "the stub {} is for {}{actual}, not for {platform}",
                            file.display(),
                            stub.target
                        ))
                        .hint(format!(
                            "pass a stub built for {platform}, or add --platform {} to put {platform} code into an executable for the stub's platform",
                            stub.target
                        )));
                    }
                }
                stub
            } else if let Some(platform) = &req.platform {
                stubs::for_platform(platform)?
            } else if let (Some(first), false) = (targets.first(), all) {
                stubs::for_platform(first)?
            } else {
                stubs::for_platform(stubs::HOST_STUB_TARGET)?
            };
            let natives = if targets.is_empty() {
                vec![stub.target.clone()]
            } else {
                targets
            };
            Ok(vec![Job {
                stub,
                natives,
                path: path.clone(),
            }])
        }
        Destination::Dir(dir) => {
            if req.platform.is_some() || req.stub.is_some() {
                return Err(CliError::new(
                    "--platform and --stub choose the launcher of one executable; they go with -o, not --out-dir",
                )
                .hint("with --out-dir, each --target gets its own launcher"));
            }
            let name = stem(&req.input)?;
            let targets = if req.targets.iter().any(|t| t == "all") {
                stubs::embedded_targets()
            } else if req.targets.is_empty() {
                vec![stubs::HOST_STUB_TARGET.to_string()]
            } else {
                resolve_targets(&req.targets)?
            };
            targets
                .into_iter()
                .map(|target| {
                    let stub = stubs::for_platform(&target)?;
                    let exe = if stub.is_windows() { ".exe" } else { "" };
                    Ok(Job {
                        stub,
                        path: dir.join(format!("{name}-{target}{exe}")),
                        natives: vec![target],
                    })
                })
                .collect()
        }
    }
}

/// Builds the executables described by `req`.
pub fn bundle(req: &Request) -> Result<Vec<Written>> {
    let mut jobs = plan(req)?;
    if !req.windows.is_empty() {
        if !jobs.iter().any(|j| j.stub.is_windows()) {
            return Err(CliError::new(format!(
                "the --windows-* flags describe a Windows executable, but this bundle is for {}",
                jobs.iter()
                    .map(|j| j.stub.target.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .hint("add --target x86_64-pc-windows-gnu, or leave the --windows-* flags out"));
        }
        for job in jobs.iter_mut().filter(|j| j.stub.is_windows()) {
            job.stub.bytes = req.windows.apply(&job.stub.bytes)?.into();
        }
    }
    // Read and compress the embedded files first, so a file that cannot be read
    // stops the command before any compilation, and nothing is written.
    let assets = crate::include::embed(&req.include)?;
    let (wasm, _) =
        crate::strip::without_debug_info(&source::module_with(&req.input, req.compile)?);

    let mut distinct: Vec<&str> = Vec::new();
    for job in &jobs {
        for t in &job.natives {
            if !distinct.contains(&t.as_str()) {
                distinct.push(t);
            }
        }
    }
    let progress = progress_bar((distinct.len() + 1 + jobs.len()) as u64);

    progress.set_message("checking the module and compiling the portable fallback");
    let fallback_engine = precompile::engine_for(PULLEY_TARGET)?;
    let module = check_module(&req.input, &wasm, &fallback_engine)?;
    let pulley = module.serialize().map_err(|e| {
        CliError::new(format!(
            "cannot serialize the portable fallback: {}",
            error_chain(&e)
        ))
    })?;
    progress.inc(1);

    let mut native_code: Vec<(&str, Vec<u8>)> = Vec::new();
    for target in distinct {
        progress.set_message(format!("compiling native code for {target}"));
        native_code.push((target, precompile::precompile(&wasm, target)?));
        progress.inc(1);
    }
    // Every section is compressed at once, one thread each: zstd at level 19 runs on one
    // core, and it is the slowest step when the code comes from the cache.
    progress.set_message("compressing");
    let (wasm_section, pulley_section, natives) = std::thread::scope(|s| {
        let wasm = s.spawn(|| section(SectionKind::Wasm, "wasm32-wasip1", "portable", &wasm));
        let pulley = s.spawn(|| section(SectionKind::Pulley, PULLEY_TARGET, "portable", &pulley));
        let natives: Vec<_> = native_code
            .iter()
            .map(|(target, code)| {
                (
                    *target,
                    s.spawn(move || section(SectionKind::Native, target, "baseline", code)),
                )
            })
            .collect();
        let joined = |h: std::thread::ScopedJoinHandle<'_, Result<SectionInput>>| {
            h.join().expect("compressing a section does not panic")
        };
        let mut compressed: BTreeMap<&str, SectionInput> = BTreeMap::new();
        for (target, h) in natives {
            compressed.insert(target, joined(h)?);
        }
        Ok::<_, CliError>((joined(wasm)?, joined(pulley)?, compressed))
    })?;

    if let Destination::Dir(dir) = &req.destination {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::new(format!(
                "cannot create the directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut written = Vec::new();
    for job in &jobs {
        progress.set_message(format!("writing {}", job.path.display()));
        let mut sections = vec![wasm_section.clone()];
        sections.extend(job.natives.iter().map(|t| natives[t.as_str()].clone()));
        sections.push(pulley_section.clone());
        let table = match &assets {
            Some((section, table)) => {
                sections.push(section.clone());
                table.as_slice()
            }
            None => &[],
        };
        let extras = payload::Extras {
            fs: &req.fs,
            launch: &req.launch,
            net: &req.net,
            assets: table,
        };
        let payload = payload::encode_with(
            &format!("nyash {}", env!("CARGO_PKG_VERSION")),
            &format!("wasmtime {WASMTIME_VERSION}"),
            ARTIFACT_VERSION,
            &job.stub.target,
            &sections,
            &extras,
        );
        let exe = payload::attach(&job.stub.bytes, &payload);
        write_atomically(&job.path, &exe, true)?;
        written.push(Written {
            path: job.path.clone(),
            size: exe.len(),
            stub_target: job.stub.target.clone(),
            natives: job.natives.clone(),
        });
        progress.inc(1);
    }
    progress.finish_and_clear();
    if let Some(cache) = crate::cache::global() {
        cache.finish();
    }

    if let Destination::Dir(dir) = &req.destination {
        write_checksums(dir, &written)?;
    }
    Ok(written)
}

/// A progress bar on stderr, drawn only when both stdout and stderr are
/// terminals (indicatif hides it otherwise).
fn progress_bar(steps: u64) -> ProgressBar {
    use std::io::IsTerminal;
    let target = if std::io::stdout().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(steps), target);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} {wide_msg}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Writes `SHA256SUMS` in the format `sha256sum -c` reads, sorted by name.
fn write_checksums(dir: &Path, written: &[Written]) -> Result<()> {
    let mut lines: Vec<String> = Vec::new();
    for w in written {
        let bytes = std::fs::read(&w.path)
            .map_err(|e| CliError::new(format!("cannot read back {}: {e}", w.path.display())))?;
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let name = w
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        lines.push(format!("{hash}  {name}\n"));
    }
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    write_atomically(&dir.join("SHA256SUMS"), lines.concat().as_bytes(), false)
}

fn section(kind: SectionKind, target: &str, tier: &str, raw: &[u8]) -> Result<SectionInput> {
    let compress = || {
        zstd::bulk::compress(raw, ZSTD_LEVEL).map_err(|e| {
            CliError::new(format!(
                "compressing the {} section failed: {e}",
                kind.name()
            ))
        })
    };
    let stored = match crate::cache::global() {
        Some(cache) => cache.compressed(raw, ZSTD_LEVEL, compress)?,
        None => compress()?,
    };
    Ok(SectionInput {
        kind,
        compression: Compression::Zstd,
        target: target.to_string(),
        tier: tier.to_string(),
        stored,
        raw_len: raw.len() as u64,
    })
}

fn stem(input: &Path) -> Result<String> {
    input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| {
            CliError::new(format!(
                "cannot derive an output name from {}",
                input.display()
            ))
            .hint("give one with -o")
        })
}

/// The default output path for an input: its file stem, in the current
/// directory (`app.wasm` → `app`).
pub fn default_output(input: &Path) -> Result<PathBuf> {
    let out = PathBuf::from(stem(input)?);
    if out == input {
        return Err(CliError::new(format!(
            "the default output name would overwrite the input {}",
            input.display()
        ))
        .hint("give an output path with -o"));
    }
    Ok(out)
}
