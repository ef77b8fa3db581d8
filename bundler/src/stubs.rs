//! The launcher stubs: the ones embedded in this `nyash`, and `--stub` files.

use std::borrow::Cow;
use std::path::Path;

use include_dir::{include_dir, Dir};
use nyash_runtime::targets;

use crate::error::{CliError, Result};

/// Every stub staged by the build script, one folder per target triple.
static EMBEDDED: Dir<'static> = include_dir!("$OUT_DIR/stubs");

/// The stub for the machine this `nyash` was built on.
pub const HOST_STUB_TARGET: &str = env!("NYASH_HOST_STUB_TARGET");

/// The platforms `scripts/build-stubs.sh` can build a launcher for.
pub const BUILDABLE: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-gnu",
    "x86_64-pc-windows-gnu",
    "aarch64-apple-darwin",
    "x86_64-apple-darwin",
];

/// A launcher stub and the platform it runs on.
pub struct Stub {
    /// The target triple the stub was built for.
    pub target: String,
    /// The executable's bytes.
    pub bytes: Cow<'static, [u8]>,
}

impl Stub {
    /// True for Windows launchers, whose outputs end in `.exe`.
    pub fn is_windows(&self) -> bool {
        targets::platform(&self.target).1 == "windows"
    }
}

/// The targets with an embedded stub, sorted.
pub fn embedded_targets() -> Vec<String> {
    let mut list: Vec<String> = EMBEDDED
        .dirs()
        .map(|d| d.path().to_string_lossy().into_owned())
        .collect();
    list.sort();
    list
}

/// The embedded stub that runs on `target`'s platform: the stub built for
/// exactly that triple, else one for the same architecture and OS (a static
/// musl launcher serves `x86_64-unknown-linux-gnu`). Checked with goblin.
pub fn for_platform(target: &str) -> Result<Stub> {
    let all = embedded_targets();
    let chosen = all
        .iter()
        .find(|t| *t == target)
        .or_else(|| all.iter().find(|t| targets::runs_on(target, t)))
        .ok_or_else(|| missing(target, &all))?;
    let dir = EMBEDDED.get_dir(chosen.as_str()).expect("listed above");
    let file = dir.files().next().ok_or_else(|| missing(target, &all))?;
    check_platform(
        file.contents(),
        chosen,
        &format!("the embedded {chosen} launcher"),
    )?;
    Ok(Stub {
        target: chosen.clone(),
        bytes: Cow::Borrowed(file.contents()),
    })
}

fn missing(target: &str, embedded: &[String]) -> CliError {
    let mut err = CliError::new(format!(
        "no launcher for {target} is embedded in this nyash"
    ))
    .hint(format!("embedded launchers: {}", embedded.join(", ")));
    err = if BUILDABLE.contains(&target) {
        err.hint("build it with `scripts/setup.sh --cross && scripts/build-stubs.sh`, then rebuild nyash (`cargo build -p nyash`)")
    } else {
        err.hint(format!(
            "nyash cannot build a launcher for {target} yet; pass one with --stub PATH"
        ))
    };
    err.hint(format!(
        "to embed {target} code in an executable for another platform, add --platform {HOST_STUB_TARGET}"
    ))
}

/// A stub given with `--stub PATH`: it must be a nyash stub of this release.
pub fn from_file(path: &Path) -> Result<Stub> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::new(format!("cannot read the stub {}: {e}", path.display())))?;
    let (target, version) = identity(&bytes).ok_or_else(|| {
        CliError::new(format!("{} is not a nyash launcher stub", path.display())).hint(
            "build one with `scripts/build-stubs.sh`, or leave out --stub to use the embedded one",
        )
    })?;
    if version != env!("CARGO_PKG_VERSION") {
        return Err(CliError::new(format!(
            "the stub {} is from nyash {version}, but this is nyash {}",
            path.display(),
            env!("CARGO_PKG_VERSION")
        ))
        .hint("stubs and bundler must come from the same release"));
    }
    check_platform(&bytes, &target, &path.display().to_string())?;
    Ok(Stub {
        target,
        bytes: Cow::Owned(bytes),
    })
}

/// Reads the `NYASH-STUB:<target>:<version>` marker compiled into a stub.
fn identity(bytes: &[u8]) -> Option<(String, String)> {
    const MARKER: &[u8] = b"NYASH-STUB:";
    let at = bytes.windows(MARKER.len()).position(|w| w == MARKER)?;
    let rest = &bytes[at + MARKER.len()..];
    let end = rest.iter().take(200).position(|&b| b == 0)?;
    let text = std::str::from_utf8(&rest[..end]).ok()?;
    let (target, version) = text.rsplit_once(':')?;
    Some((target.to_string(), version.to_string()))
}

/// Checks with goblin that `bytes` is an executable for `target`'s OS and
/// architecture.
pub fn check_platform(bytes: &[u8], target: &str, what: &str) -> Result<()> {
    let actual = describe_binary(bytes);
    let (arch, os) = targets::platform(target);
    let expected_format = match os {
        "windows" => "PE",
        "darwin" => "Mach-O",
        _ => "ELF",
    };
    match &actual {
        Some((format, machine)) if format == expected_format && machine == arch => Ok(()),
        Some((format, machine)) => Err(CliError::new(format!(
            "{what} claims to be for {target}, but it is a {format} executable for {machine}"
        ))
        .hint("pass a stub built for that target, e.g. from scripts/build-stubs.sh")),
        None => Err(CliError::new(format!(
            "{what} is not an executable goblin can read"
        ))),
    }
}

/// The format and architecture of an executable, as (`ELF`|`PE`|`Mach-O`,
/// Rust arch name).
pub fn describe_binary(bytes: &[u8]) -> Option<(String, String)> {
    use goblin::Object;
    let (format, machine) = match Object::parse(bytes).ok()? {
        Object::Elf(elf) => (
            "ELF",
            match elf.header.e_machine {
                goblin::elf::header::EM_X86_64 => "x86_64",
                goblin::elf::header::EM_AARCH64 => "aarch64",
                goblin::elf::header::EM_RISCV => "riscv64",
                goblin::elf::header::EM_S390 => "s390x",
                _ => "unknown",
            },
        ),
        Object::PE(pe) => (
            "PE",
            match pe.header.coff_header.machine {
                goblin::pe::header::COFF_MACHINE_X86_64 => "x86_64",
                goblin::pe::header::COFF_MACHINE_ARM64 => "aarch64",
                _ => "unknown",
            },
        ),
        Object::Mach(goblin::mach::Mach::Binary(m)) => (
            "Mach-O",
            match m.header.cputype {
                goblin::mach::cputype::CPU_TYPE_X86_64 => "x86_64",
                goblin::mach::cputype::CPU_TYPE_ARM64 => "aarch64",
                _ => "unknown",
            },
        ),
        _ => return None,
    };
    Some((format.to_string(), machine.to_string()))
}
