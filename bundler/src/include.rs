//! `--include PATH`: the files a program carries (`nyash bundle`) or is
//! shown as if it carried them (`nyash run`), under `/app`.
//!
//! Both commands list the files with [`collect`], by the same rules, so a
//! program sees the same tree in development and in the bundle:
//!
//! * `--include assets/` puts the directory `assets` at `/app/assets`, with
//!   everything below it; `--include data/config.json` puts that file at
//!   `/app/config.json`: an included path keeps its last name, not the
//!   directories leading to it.
//! * Inside an included directory, a symlink whose target lies inside that
//!   directory is followed (its target's contents appear under the link's
//!   name); one that points outside it, dangles, or loops is an error. A
//!   symlink named by `--include` itself is followed wherever it points.
//! * Every name must be UTF-8 without `\`; two includes may not give the same
//!   name; the limits of `payload::assets` (entries, file and total sizes,
//!   path length) apply.
//! * Entries are sorted by path in byte order, and no timestamp, owner or
//!   permission is recorded, so the same files give the same bytes anywhere.
//!
//! Every problem is reported before anything is written.

use std::path::{Path, PathBuf};

use nyash_runtime::payload::assets::{
    self, is_valid_asset_path, AssetEntry, ASSET_MOUNT, MAX_ASSET_ENTRIES, MAX_ASSET_FILE,
    MAX_ASSET_PATH, MAX_ASSET_TOTAL,
};
use nyash_runtime::payload::{Compression, SectionInput, SectionKind};
use nyash_runtime::policy::FsPolicy;
use nyash_runtime::wasi::HostAsset;

use crate::error::{CliError, Result};

/// The zstd level for embedded files: lower than the code sections' 19, so
/// that bundling a large asset takes seconds, not minutes. A file that does
/// not get smaller is stored as it is.
const ASSET_ZSTD_LEVEL: i32 = 9;

/// One entry to embed: its path below `/app` and, for a file, where it is on
/// the host and its size.
pub struct Included {
    /// The path below `/app`, e.g. `assets/logo.txt`.
    pub path: String,
    /// `None` for a directory.
    pub file: Option<(PathBuf, u64)>,
}

/// Lists every file and directory the `--include` values name, checked
/// against the rules above and against the `--dir` mappings (none may use
/// the guest name `/app`).
pub fn collect(specs: &[PathBuf], policy: &FsPolicy) -> Result<Vec<Included>> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(d) = policy.dirs.iter().find(|d| assets_under_mount(&d.guest)) {
        return Err(CliError::new(format!(
            "`--dir {d}` maps a directory to `{}`, where the files of `--include` appear",
            d.guest
        ))
        .hint(format!(
            "give the mapping another guest name than {ASSET_MOUNT}"
        )));
    }
    let mut out: Vec<Included> = Vec::new();
    let mut names: Vec<(String, &Path)> = Vec::new();
    for spec in specs {
        let meta = std::fs::metadata(spec).map_err(|e| {
            CliError::new(format!("`--include {}`: {}", spec.display(), io_reason(&e)))
                .hint("give a file or directory that exists, relative to the working directory")
        })?;
        let name = destination_name(spec)?;
        if let Some((_, other)) = names.iter().find(|(n, _)| *n == name) {
            return Err(CliError::new(format!(
                "`--include {}` and `--include {}` both put something at {ASSET_MOUNT}/{name}",
                other.display(),
                spec.display()
            ))
            .hint("an included path keeps only its last name; rename one, or include their common parent directory instead"));
        }
        names.push((name.clone(), spec));
        if meta.is_dir() {
            let root = std::fs::canonicalize(spec).map_err(|e| {
                CliError::new(format!("`--include {}`: {}", spec.display(), io_reason(&e)))
            })?;
            out.push(Included {
                path: name.clone(),
                file: None,
            });
            let mut stack = vec![root.clone()];
            walk(&root, spec, &name, &mut stack, &mut out)?;
        } else if meta.is_file() {
            check_readable(spec)?;
            out.push(Included {
                path: name,
                file: Some((spec.clone(), meta.len())),
            });
        } else {
            return Err(CliError::new(format!(
                "`--include {}` is neither a file nor a directory",
                spec.display()
            ))
            .hint("only regular files and directories can be embedded"));
        }
        check_limits(&out)?;
    }
    out.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(out)
}

fn assets_under_mount(guest: &str) -> bool {
    let g = guest.trim_end_matches('/');
    g == ASSET_MOUNT || g.starts_with(&format!("{ASSET_MOUNT}/"))
}

/// The name an included path gets below `/app`: its last component (of the
/// path made absolute, so `.` and `..` name the directory they mean).
fn destination_name(spec: &Path) -> Result<String> {
    let last = match spec.file_name() {
        Some(n) => Some(n.to_os_string()),
        None => std::fs::canonicalize(spec)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_os_string())),
    };
    let Some(last) = last else {
        return Err(CliError::new(format!(
            "`--include {}` has no name to appear under in {ASSET_MOUNT}",
            spec.display()
        ))
        .hint("include a named directory below it instead"));
    };
    let name = last.into_string().map_err(|n| {
        CliError::new(format!(
            "`--include {}`: the name {} is not UTF-8",
            spec.display(),
            n.to_string_lossy()
        ))
        .hint("rename it; embedded names must be UTF-8")
    })?;
    if !is_valid_asset_path(&name) {
        return Err(bad_name(spec, &name));
    }
    Ok(name)
}

fn bad_name(at: &Path, name: &str) -> CliError {
    CliError::new(format!(
        "{} cannot be embedded: the name `{name}` contains `\\` or a NUL byte, or is too long",
        at.display()
    ))
    .hint("rename it; embedded names are the same on every platform")
}

/// Adds everything below directory `dir` (host path `shown`, guest path
/// `guest`), sorted by name. `stack` holds the canonical directories being
/// walked, to catch a symlink loop; `stack[0]` is the included directory.
fn walk(
    dir: &Path,
    shown: &Path,
    guest: &str,
    stack: &mut Vec<PathBuf>,
    out: &mut Vec<Included>,
) -> Result<()> {
    let listing = std::fs::read_dir(dir).map_err(|e| {
        CliError::new(format!(
            "cannot list {}: {}",
            shown.display(),
            io_reason(&e)
        ))
        .hint("make it readable, or leave it out of --include")
    })?;
    let mut entries = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|e| {
            CliError::new(format!(
                "cannot list {}: {}",
                shown.display(),
                io_reason(&e)
            ))
        })?;
        entries.push(entry.file_name());
    }
    entries.sort();
    for os_name in entries {
        let host = dir.join(&os_name);
        let shown_here = shown.join(&os_name);
        let name = os_name.into_string().map_err(|n| {
            CliError::new(format!(
                "{} cannot be embedded: its name is not UTF-8",
                shown.join(&n).display()
            ))
            .hint("rename it, or leave its directory out of --include")
        })?;
        let path = format!("{guest}/{name}");
        if !is_valid_asset_path(&path) || name.contains('\\') {
            return Err(bad_name(&shown_here, &name));
        }
        let link = std::fs::symlink_metadata(&host).map_err(|e| {
            CliError::new(format!(
                "cannot read {}: {}",
                shown_here.display(),
                io_reason(&e)
            ))
        })?;
        let (target, meta) = if link.file_type().is_symlink() {
            let target = std::fs::canonicalize(&host).map_err(|e| {
                CliError::new(format!(
                    "{} is a symlink that leads nowhere: {}",
                    shown_here.display(),
                    io_reason(&e)
                ))
                .hint("remove it, or make it point to a file inside the included directory")
            })?;
            if !target.starts_with(&stack[0]) {
                return Err(CliError::new(format!(
                    "{} is a symlink to {}, outside the included directory {}",
                    shown_here.display(),
                    target.display(),
                    stack[0].display()
                ))
                .hint("only symlinks that stay inside an included directory are followed; replace it by a copy, or include its target with its own --include"));
            }
            let meta = std::fs::metadata(&target).map_err(|e| {
                CliError::new(format!(
                    "cannot read {}: {}",
                    shown_here.display(),
                    io_reason(&e)
                ))
            })?;
            (target, meta)
        } else {
            (host.clone(), link)
        };
        if meta.is_dir() {
            let canonical = std::fs::canonicalize(&target).unwrap_or_else(|_| target.clone());
            if stack.contains(&canonical) {
                return Err(CliError::new(format!(
                    "{} is a symlink to a directory that contains it, which would repeat forever",
                    shown_here.display()
                ))
                .hint("remove the symlink, or leave its directory out of --include"));
            }
            out.push(Included {
                path: path.clone(),
                file: None,
            });
            stack.push(canonical);
            walk(&target, &shown_here, &path, stack, out)?;
            stack.pop();
        } else if meta.is_file() {
            check_readable(&target).map_err(|_| {
                CliError::new(format!(
                    "cannot read {}: permission denied or unreadable",
                    shown_here.display()
                ))
                .hint("make it readable, or leave it out of --include")
            })?;
            out.push(Included {
                path,
                file: Some((target, meta.len())),
            });
        } else {
            return Err(CliError::new(format!(
                "{} is neither a file nor a directory (a socket, pipe or device)",
                shown_here.display()
            ))
            .hint("only regular files and directories can be embedded"));
        }
        if out.len() > MAX_ASSET_ENTRIES {
            check_limits(out)?;
        }
    }
    Ok(())
}

fn check_readable(path: &Path) -> Result<()> {
    std::fs::File::open(path).map(drop).map_err(|e| {
        CliError::new(format!("cannot read {}: {}", path.display(), io_reason(&e)))
            .hint("make it readable, or leave it out of --include")
    })
}

fn check_limits(list: &[Included]) -> Result<()> {
    if list.len() > MAX_ASSET_ENTRIES {
        return Err(CliError::new(format!(
            "--include names more than {MAX_ASSET_ENTRIES} files and directories"
        ))
        .hint("embed fewer files, e.g. pack them into an archive the program reads"));
    }
    let mut total = 0u64;
    for e in list {
        if e.path.len() > MAX_ASSET_PATH {
            return Err(CliError::new(format!(
                "the embedded path {ASSET_MOUNT}/{}… is longer than {MAX_ASSET_PATH} bytes",
                e.path.chars().take(60).collect::<String>()
            )));
        }
        if let Some((host, size)) = &e.file {
            if *size > MAX_ASSET_FILE {
                return Err(CliError::new(format!(
                    "{} is {size} bytes; an embedded file may hold at most {MAX_ASSET_FILE} (1 GiB)",
                    host.display()
                ))
                .hint("ship it beside the executable and let the program read it with --dir"));
            }
            total += size;
        }
    }
    if total > MAX_ASSET_TOTAL {
        return Err(CliError::new(format!(
            "the included files hold {total} bytes; a bundle may embed at most {MAX_ASSET_TOTAL} (2 GiB)"
        ))
        .hint("ship large data beside the executable and let the program read it with --dir"));
    }
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// The tree for `nyash run --include`: the same entries, read from the
/// host when the program opens them.
pub fn host_tree(list: Vec<Included>) -> Vec<HostAsset> {
    list.into_iter()
        .map(|i| HostAsset {
            path: i.path,
            file: i.file,
        })
        .collect()
}

/// The `assets` section and its table for `nyash bundle --include`: every
/// file read now (a file that changed size since it was listed is an error)
/// and compressed on its own.
pub fn embed(list: &[Included]) -> Result<Option<(SectionInput, Vec<AssetEntry>)>> {
    if list.is_empty() {
        return Ok(None);
    }
    let mut entries = Vec::with_capacity(list.len());
    for e in list {
        let file = match &e.file {
            None => None,
            Some((host, size)) => {
                let raw = std::fs::read(host).map_err(|err| {
                    CliError::new(format!(
                        "cannot read {}: {}",
                        host.display(),
                        io_reason(&err)
                    ))
                    .hint("make it readable, or leave it out of --include")
                })?;
                if raw.len() as u64 != *size {
                    return Err(CliError::new(format!(
                        "{} changed while it was being bundled",
                        host.display()
                    ))
                    .hint("bundle again once it is no longer being written"));
                }
                let packed = zstd::bulk::compress(&raw, ASSET_ZSTD_LEVEL).map_err(|err| {
                    CliError::new(format!("compressing {} failed: {err}", host.display()))
                })?;
                Some(if packed.len() < raw.len() {
                    (packed, true, *size)
                } else {
                    (raw, false, *size)
                })
            }
        };
        entries.push((e.path.clone(), file));
    }
    let (stored, table) = assets::layout(entries);
    Ok(Some((
        SectionInput {
            kind: SectionKind::Assets,
            compression: Compression::None,
            target: ASSET_MOUNT.to_string(),
            tier: "files".to_string(),
            raw_len: stored.len() as u64,
            stored,
        },
        table,
    )))
}
