//! `nyash bundle`: module in, one executable out.

use std::path::{Path, PathBuf};

use nyash_runtime::engine::{ARTIFACT_VERSION, PULLEY_TARGET, WASMTIME_VERSION};
use nyash_runtime::payload::{self, Compression, SectionInput, SectionKind};
use nyash_runtime::targets::NATIVE_TARGETS;

use crate::error::{CliError, Result};
use crate::module_check::{check_module, error_chain};
use crate::output::write_atomically;
use crate::{input, precompile, stubs};

/// The zstd level for every section: the highest standard level. Output is
/// deterministic for a given level.
const ZSTD_LEVEL: i32 = 19;

/// What to bundle and how.
pub struct Request {
    /// The `.wasm`/`.wat` input.
    pub input: PathBuf,
    /// Where to write the executable.
    pub output: PathBuf,
    /// `--target` values, as given (may include `all`).
    pub targets: Vec<String>,
    /// `--stub PATH`, overriding the embedded stub.
    pub stub: Option<PathBuf>,
}

/// What was written, for the summary line.
pub struct Summary {
    /// The size of the executable in bytes.
    pub size: usize,
    /// The stub's target.
    pub stub_target: String,
    /// The native targets embedded.
    pub native: Vec<String>,
}

/// Resolves `--target` values: `all` expands, duplicates go, unknown names
/// are an error listing the valid ones. No value means the stub's target.
pub fn resolve_targets(given: &[String], stub_target: &str) -> Result<Vec<String>> {
    if given.is_empty() {
        return Ok(vec![stub_target.to_string()]);
    }
    let mut out: Vec<String> = Vec::new();
    for t in given {
        let expanded: Vec<&str> = if t == "all" {
            NATIVE_TARGETS.to_vec()
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

/// Builds the executable described by `req`.
pub fn bundle(req: &Request) -> Result<Summary> {
    let stub = match &req.stub {
        Some(path) => stubs::from_file(path)?,
        None => stubs::embedded(stubs::HOST_STUB_TARGET).ok_or_else(|| {
            CliError::new("this nyash has no launcher stub for its own platform")
                .hint("rebuild nyash with `cargo build`, or pass --stub PATH")
        })??,
    };
    let targets = resolve_targets(&req.targets, &stub.target)?;
    let wasm = input::load_module(&req.input)?;

    let fallback_engine = precompile::engine_for(PULLEY_TARGET)?;
    let module = check_module(&req.input, &wasm, &fallback_engine)?;
    let pulley = module.serialize().map_err(|e| {
        CliError::new(format!(
            "cannot serialize the portable fallback: {}",
            error_chain(&e)
        ))
    })?;

    let mut sections = vec![section(
        SectionKind::Wasm,
        "wasm32-wasip1",
        "portable",
        &wasm,
    )?];
    for target in &targets {
        let native = precompile::precompile(&wasm, target)?;
        sections.push(section(SectionKind::Native, target, "baseline", &native)?);
    }
    sections.push(section(
        SectionKind::Pulley,
        PULLEY_TARGET,
        "portable",
        &pulley,
    )?);

    let payload = payload::encode(
        &format!("nyash {}", env!("CARGO_PKG_VERSION")),
        &format!("wasmtime {WASMTIME_VERSION}"),
        ARTIFACT_VERSION,
        &stub.target,
        &sections,
    );
    let exe = payload::attach(&stub.bytes, &payload);
    write_atomically(&req.output, &exe, true)?;
    Ok(Summary {
        size: exe.len(),
        stub_target: stub.target.clone(),
        native: targets,
    })
}

fn section(kind: SectionKind, target: &str, tier: &str, raw: &[u8]) -> Result<SectionInput> {
    let stored = zstd::bulk::compress(raw, ZSTD_LEVEL).map_err(|e| {
        CliError::new(format!(
            "compressing the {} section failed: {e}",
            kind.name()
        ))
    })?;
    Ok(SectionInput {
        kind,
        compression: Compression::Zstd,
        target: target.to_string(),
        tier: tier.to_string(),
        stored,
        raw_len: raw.len() as u64,
    })
}

/// The default output path for an input: its file stem, in the current
/// directory (`app.wasm` → `app`).
pub fn default_output(input: &Path) -> Result<PathBuf> {
    let stem = input.file_stem().ok_or_else(|| {
        CliError::new(format!(
            "cannot derive an output name from {}",
            input.display()
        ))
        .hint("give one with -o")
    })?;
    let out = PathBuf::from(stem);
    if out == input {
        return Err(CliError::new(format!(
            "the default output name would overwrite the input {}",
            input.display()
        ))
        .hint("give an output path with -o"));
    }
    Ok(out)
}
