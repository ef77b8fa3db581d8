//! `nyash inspect`: what a bundle holds.

use std::fmt::Write as _;
use std::path::Path;

use nyash_runtime::launch_policy::LaunchPolicy;
use nyash_runtime::payload::assets::read_asset;
use nyash_runtime::payload::{self, Bundle, PayloadError};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{CliError, Result};
use crate::output::print_stdout;
use crate::{stubs, windows};

/// Prints the contents of the bundle at `path`, as a table or as JSON.
/// Fails (after printing) when a section's checksum does not match.
pub fn inspect(path: &Path, as_json: bool) -> Result<()> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
    let bundle = payload::read_bundle(&file).map_err(|e| match e {
        PayloadError::NoPayload => CliError::new(format!(
            "{} is not a nyash bundle: it carries no payload",
            path.display()
        )),
        other => CliError::new(format!("{} is damaged: {other}", path.display())),
    })?;
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let whole = std::fs::read(path).ok();
    let launcher = whole
        .as_deref()
        .map(|b| &b[..(bundle.location.offset as usize).min(b.len())]);
    let stub_platform = launcher.and_then(stubs::describe_binary);
    let windows = launcher
        .filter(|_| bundle.index.stub_target.contains("windows"))
        .and_then(windows::describe);
    let checks: Vec<bool> = (0..bundle.index.sections.len())
        .map(|i| bundle.stored(i).is_ok())
        .collect();
    let files = file_checks(&bundle);

    let text = if as_json {
        json_text(&bundle, &checks, &files, file_len, windows.as_ref())
    } else {
        table_text(
            path,
            &bundle,
            &checks,
            &files,
            file_len,
            stub_platform,
            windows.as_ref(),
        )
    };
    print_stdout(&text);
    if let Some(i) = checks.iter().position(|ok| !ok) {
        return Err(CliError::new(format!(
            "{} is damaged: {}",
            path.display(),
            bundle.stored(i).expect_err("checked above")
        )));
    }
    if let Some(Err(e)) = files.iter().find(|f| f.is_err()) {
        return Err(CliError::new(format!("{} is damaged: {e}", path.display())));
    }
    Ok(())
}

/// For each embedded entry: the SHA-256 of the file's contents (checked
/// against the stored bytes' hash and decompressed first), `None` for a
/// directory, or why the file is damaged.
fn file_checks(bundle: &Bundle) -> Vec<std::result::Result<Option<[u8; 32]>, PayloadError>> {
    let section = bundle.asset_bytes();
    bundle
        .index
        .assets
        .iter()
        .map(|e| match &e.file {
            None => Ok(None),
            Some(_) => read_asset(section, e).map(|raw| Some(Sha256::digest(&raw).into())),
        })
        .collect()
}

type FileChecks = [std::result::Result<Option<[u8; 32]>, PayloadError>];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn json_text(
    bundle: &Bundle,
    checks: &[bool],
    files: &FileChecks,
    file_len: u64,
    windows: Option<&windows::Described>,
) -> String {
    let idx = &bundle.index;
    let sections: Vec<_> = idx
        .sections
        .iter()
        .zip(checks)
        .map(|(s, ok)| {
            json!({
                "kind": s.kind.name(),
                "target": s.target,
                "tier": s.tier,
                "compression": s.compression.name(),
                "stored_size": s.stored_len,
                "raw_size": s.raw_len,
                "sha256": hex(&s.sha256),
                "checksum_ok": ok,
            })
        })
        .collect();
    let doc = json!({
        "format_version": idx.format_version,
        "toolchain": idx.toolchain,
        "engine": idx.engine,
        "artifact_version": idx.artifact_version,
        "stub_target": idx.stub_target,
        "file_size": file_len,
        "payload_offset": bundle.location.offset,
        "payload_size": bundle.location.len,
        "sections": sections,
        "deny_fs": idx.fs.deny_fs,
        "dirs": idx.fs.dirs.iter().map(|d| json!({
            "host": d.host,
            "guest": d.guest,
            "read_only": d.read_only,
        })).collect::<Vec<_>>(),
        "allow": idx.fs.allow.iter().map(|g| json!({
            "path": g.path,
            "write": g.write,
        })).collect::<Vec<_>>(),
        "network": {
            "allow": idx.net.allow.as_ref().map(|l| l.iter().map(|r| r.to_string()).collect::<Vec<_>>()),
            "deny": idx.net.deny.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "deny_all": idx.net.deny_all,
        },
        "env": idx.launch.env.iter().map(|(name, value)| json!({
            "name": name,
            "value": value,
        })).collect::<Vec<_>>(),
        "args": idx.launch.args,
        "env_allow": idx.launch.env_allow,
        "lock": idx.launch.lock,
        "windows": windows.map(|w| json!({
            "subsystem": w.subsystem,
            "version": w.version,
            "strings": w.strings.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "icon_sha256": w.icon_sha256.map(|h| hex(&h)),
        })),
        "assets": idx.assets.iter().zip(files).map(|(e, check)| match &e.file {
            None => json!({ "guest_path": e.guest_path(), "kind": "directory" }),
            Some(f) => json!({
                "guest_path": e.guest_path(),
                "kind": "file",
                "size": f.raw_len,
                "stored_size": f.stored_len,
                "compression": if f.zstd { "zstd" } else { "none" },
                "sha256": check.as_ref().ok().and_then(|h| h.as_ref()).map(|h| hex(h)),
                "checksum_ok": check.is_ok(),
            }),
        }).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&doc).expect("JSON values serialize") + "\n"
}

/// The file-system policy in one line.
fn dirs_text(policy: &nyash_runtime::policy::FsPolicy) -> String {
    let dirs = &policy.dirs;
    if policy.deny_fs {
        return "none (--deny-fs)".into();
    }
    if !policy.allow.is_empty() {
        return format!(
            "the working directory as `.`, and the host file system from it; reading {}, writing {} (--allow-read, --allow-write)",
            policy.allowed_text(false),
            policy.allowed_text(true)
        );
    }
    if dirs.is_empty() {
        return "default: the working directory as `.`, and the host file system from it".into();
    }
    let list: Vec<String> = dirs
        .iter()
        .map(|d| {
            let access = if d.read_only {
                "read-only"
            } else {
                "read-write"
            };
            format!("{} as `{}` ({access})", d.host, d.guest)
        })
        .collect();
    format!("only {}", list.join(", "))
}

/// A baked value as `inspect` shows it: as written when that is
/// unambiguous, else quoted with escapes.
fn shown(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| {
            !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '\\' | '\'' | ',')
        });
    if plain {
        text.to_string()
    } else {
        format!("{text:?}")
    }
}

/// The launch policy's lines of the table.
fn launch_lines(launch: &LaunchPolicy) -> [String; 4] {
    let env = if launch.env.is_empty() {
        "nothing baked".to_string()
    } else {
        let list: Vec<String> = launch
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", shown(v)))
            .collect();
        format!(
            "{} (defaults: a host value the program may see wins)",
            list.join(", ")
        )
    };
    let host = match &launch.env_allow {
        None => "every variable, less NYASH_EXEC and NYASH_TRACE".to_string(),
        Some(list) if list.is_empty() => "none (--env-allow \"\")".to_string(),
        Some(list) => format!("only {}", list.join(", ")),
    };
    let args = if launch.args.is_empty() {
        "nothing baked".to_string()
    } else {
        let list: Vec<String> = launch.args.iter().map(|a| shown(a)).collect();
        format!("{} (before the user's)", list.join(" "))
    };
    let lock = if launch.lock {
        "yes: NYASH_EXEC and NYASH_TRACE are ignored"
    } else {
        "no: NYASH_EXEC and NYASH_TRACE are obeyed"
    };
    [
        format!("  env        {env}"),
        format!("  host env   {host}"),
        format!("  args       {args}"),
        format!("  locked     {lock}"),
    ]
}

fn table_text(
    path: &Path,
    bundle: &Bundle,
    checks: &[bool],
    files: &FileChecks,
    file_len: u64,
    stub: Option<(String, String)>,
    windows: Option<&windows::Described>,
) -> String {
    let idx = &bundle.index;
    let mut out = String::new();
    let stub = stub.map_or_else(String::new, |(f, m)| format!(" ({f}, {m})"));
    let lines = [
        format!(
            "{}: nyash bundle, payload format {}",
            path.display(),
            idx.format_version
        ),
        format!("  toolchain  {}", idx.toolchain),
        format!(
            "  engine     {} (artifact version {})",
            idx.engine, idx.artifact_version
        ),
        format!("  launcher   {}{stub}", idx.stub_target),
        format!(
            "  file       {file_len} bytes; payload {} bytes at offset {}",
            bundle.location.len, bundle.location.offset
        ),
        format!("  files      {}", dirs_text(&idx.fs)),
        format!("  network    {}", idx.net.describe()),
    ];
    let tail = [
        String::new(),
        "  KIND    TARGET                       TIER      COMP      STORED        RAW  SHA-256          CHECK".to_string(),
    ];
    let windows_line = windows.map(|w| {
        let mut parts = vec![format!("subsystem {}", w.subsystem)];
        if let Some(v) = &w.version {
            parts.push(format!("version {v}"));
        }
        parts.extend(
            w.strings
                .iter()
                .filter(|(k, _)| !k.ends_with("Version"))
                .map(|(k, v)| format!("{k} {}", shown(v))),
        );
        if let Some(h) = &w.icon_sha256 {
            parts.push(format!("icon {}", &hex(h)[..16]));
        }
        format!("  windows    {}", parts.join(", "))
    });
    for line in lines
        .into_iter()
        .chain(launch_lines(&idx.launch))
        .chain(windows_line)
        .chain(tail)
    {
        out.push_str(&line);
        out.push('\n');
    }
    for (s, ok) in idx.sections.iter().zip(checks) {
        let _ = writeln!(
            out,
            "  {:<7} {:<28} {:<9} {:<5} {:>10} {:>10}  {:<16} {}",
            s.kind.name(),
            s.target,
            s.tier,
            s.compression.name(),
            s.stored_len,
            s.raw_len,
            &hex(&s.sha256)[..16],
            if *ok { "ok" } else { "CORRUPT" }
        );
    }
    if !idx.assets.is_empty() {
        let count = idx.assets.iter().filter(|e| e.file.is_some()).count();
        let bytes: u64 = idx
            .assets
            .iter()
            .filter_map(|e| e.file.as_ref())
            .map(|f| f.raw_len)
            .sum();
        let _ = writeln!(
            out,
            "\n  embedded files: {count} files in {} directories, {bytes} bytes, read-only under /app\n",
            idx.assets.len() - count
        );
        let _ = writeln!(
            out,
            "  {:>10} {:>10}  {:<16} {:<7} PATH",
            "SIZE", "STORED", "SHA-256", "CHECK"
        );
        for (e, check) in idx.assets.iter().zip(files) {
            let Some(f) = &e.file else {
                let _ = writeln!(
                    out,
                    "  {:>10} {:>10}  {:<16} {:<7} {}/",
                    "-",
                    "-",
                    "-",
                    "-",
                    e.guest_path()
                );
                continue;
            };
            let (hash, state) = match check {
                Ok(h) => (
                    h.map_or_else(String::new, |h| hex(&h)[..16].to_string()),
                    "ok",
                ),
                Err(_) => ("-".to_string(), "CORRUPT"),
            };
            let _ = writeln!(
                out,
                "  {:>10} {:>10}  {:<16} {:<7} {}",
                f.raw_len,
                f.stored_len,
                hash,
                state,
                e.guest_path()
            );
        }
    }
    out
}
