//! The payload's section data, index and trailer: encoding and hardened
//! decoding.

use sha2::{Digest, Sha256};

use super::assets::{check_table, AssetEntry, AssetFile};
use super::{PayloadError, FORMAT_VERSION, OLDEST_READABLE_VERSION};
use crate::launch_policy::LaunchPolicy;
use crate::net_policy::{HostRule, NetPolicy, MAX_HOST_RULES};
use crate::policy::{DirGrant, FsPolicy, PathGrant, MAX_DIRS};

const TRAILER_MAGIC: &[u8; 8] = b"NYASHPLD";
/// The size of the trailer at the end of the payload.
pub(crate) const TRAILER_LEN: usize = 64;
/// Section data starts at offsets that are multiples of this.
const SECTION_ALIGN: usize = 16;
/// The largest decompressed section a reader accepts. The index is only
/// checksummed, not signed, so a crafted one could otherwise make the
/// launcher try to allocate an absurd buffer before decompressing.
pub(crate) const MAX_RAW_LEN: u64 = 4 << 30;

/// What a section holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    /// The WebAssembly module itself, as given to the bundler.
    Wasm,
    /// A wasmtime artifact of native code for one target.
    Native,
    /// A wasmtime artifact of Pulley bytecode: the portable fallback.
    Pulley,
    /// The embedded files (`--include`; format version 3 on): each file's
    /// stored bytes back to back, described by [`Index::assets`].
    Assets,
}

impl SectionKind {
    fn code(self) -> u8 {
        match self {
            SectionKind::Wasm => 0,
            SectionKind::Native => 1,
            SectionKind::Pulley => 2,
            SectionKind::Assets => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => SectionKind::Wasm,
            1 => SectionKind::Native,
            2 => SectionKind::Pulley,
            3 => SectionKind::Assets,
            _ => return None,
        })
    }

    /// The lower-case name used in `nyash inspect` and traces.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Wasm => "wasm",
            SectionKind::Native => "native",
            SectionKind::Pulley => "pulley",
            SectionKind::Assets => "assets",
        }
    }
}

/// How a section's bytes are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Stored as is.
    None,
    /// One zstd frame.
    Zstd,
}

impl Compression {
    /// The lower-case name used in `nyash inspect`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Zstd => "zstd",
        }
    }
}

/// One entry of the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// What the section holds.
    pub kind: SectionKind,
    /// How its bytes are stored.
    pub compression: Compression,
    /// The target triple (`wasm32-wasip1` for the module, `pulley64` for
    /// the fallback).
    pub target: String,
    /// The CPU-feature tier (`baseline`, or `portable` for non-native code).
    pub tier: String,
    /// Where the stored bytes start, relative to the payload start.
    pub offset: u64,
    /// The number of stored bytes.
    pub stored_len: u64,
    /// The number of bytes after decompression.
    pub raw_len: u64,
    /// SHA-256 of the stored bytes.
    pub sha256: [u8; 32],
}

impl Section {
    /// A short description such as `native x86_64-unknown-linux-gnu`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.name(), self.target)
    }
}

/// The decoded index of a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    /// The payload format version.
    pub format_version: u32,
    /// The toolchain that wrote the bundle, e.g. `nyash 0.1.0`.
    pub toolchain: String,
    /// The engine the artifacts were compiled for, e.g. `wasmtime 48.0.8`.
    pub engine: String,
    /// The version string recorded in every artifact.
    pub artifact_version: String,
    /// The target triple of the stub the payload was attached to.
    pub stub_target: String,
    /// The sections, in file order.
    pub sections: Vec<Section>,
    /// The file-system policy (`--dir`, `--deny-fs`; format version 2 on;
    /// the default for version 1).
    pub fs: FsPolicy,
    /// The launch policy (`--env`, `--arg`, `--env-allow`, `--lock`; format
    /// version 3 on; the default before).
    pub launch: LaunchPolicy,
    /// The network policy (`--allow-net`, `--deny-net`; format version 4
    /// on; the default before).
    pub net: NetPolicy,
    /// The embedded files and directories, sorted by path (format version 3
    /// on; empty before). Their bytes are in the one `assets` section.
    pub assets: Vec<AssetEntry>,
}

impl Index {
    /// The position of the `assets` section, if the bundle embeds files.
    pub fn assets_section(&self) -> Option<usize> {
        self.sections
            .iter()
            .position(|s| s.kind == SectionKind::Assets)
    }
}

/// A section to be written: its description and its stored bytes.
#[derive(Clone)]
pub struct SectionInput {
    /// What the section holds.
    pub kind: SectionKind,
    /// How `stored` is encoded.
    pub compression: Compression,
    /// The target triple.
    pub target: String,
    /// The CPU-feature tier.
    pub tier: String,
    /// The bytes as they are stored.
    pub stored: Vec<u8>,
    /// The length of the original bytes.
    pub raw_len: u64,
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Encodes a payload with the default file-system policy; see
/// [`encode_with_dirs`].
pub fn encode(
    toolchain: &str,
    engine: &str,
    artifact_version: &str,
    stub_target: &str,
    sections: &[SectionInput],
) -> Vec<u8> {
    let policy = FsPolicy::default();
    encode_with_policy(
        toolchain,
        engine,
        artifact_version,
        stub_target,
        sections,
        &policy,
    )
}

/// Encodes a payload with the default launch policy and no embedded files;
/// see [`encode_with`].
pub fn encode_with_policy(
    toolchain: &str,
    engine: &str,
    artifact_version: &str,
    stub_target: &str,
    sections: &[SectionInput],
    policy: &FsPolicy,
) -> Vec<u8> {
    let launch = LaunchPolicy::default();
    let extras = Extras {
        fs: policy,
        launch: &launch,
        net: &NetPolicy::default(),
        assets: &[],
    };
    encode_with(
        toolchain,
        engine,
        artifact_version,
        stub_target,
        sections,
        &extras,
    )
}

/// What an index carries after its section entries, in this order.
#[derive(Clone, Copy, Debug)]
pub struct Extras<'a> {
    /// The file-system policy (`--dir`, `--deny-fs`; format version 2 on).
    pub fs: &'a FsPolicy,
    /// The launch policy (`--env`, `--arg`, `--env-allow`, `--lock`; format
    /// version 3 on).
    pub launch: &'a LaunchPolicy,
    /// The network policy (`--allow-net`, `--deny-net`; format version 4 on).
    pub net: &'a NetPolicy,
    /// The embedded files (`--include`), sorted by path (format version 3 on).
    pub assets: &'a [AssetEntry],
}

/// Encodes a payload: section data, index (with the file-system and launch
/// policies and the table of embedded files) and trailer.
///
/// The output depends only on the arguments, so bundles are reproducible.
/// The mappings must have passed [`DirGrant::check_list`], the launch policy
/// [`LaunchPolicy::check`]; a non-empty asset table must come with exactly one
/// section of kind [`SectionKind::Assets`] holding the bytes it describes
/// (`payload::assets::layout`).
pub fn encode_with(
    toolchain: &str,
    engine: &str,
    artifact_version: &str,
    stub_target: &str,
    sections: &[SectionInput],
    extras: &Extras,
) -> Vec<u8> {
    let policy = extras.fs;
    let mut out = Vec::new();
    let mut entries = Vec::new();
    for s in sections {
        pad_to(&mut out, SECTION_ALIGN);
        let offset = out.len() as u64;
        out.extend_from_slice(&s.stored);
        entries.push(Section {
            kind: s.kind,
            compression: s.compression,
            target: s.target.clone(),
            tier: s.tier.clone(),
            offset,
            stored_len: s.stored.len() as u64,
            raw_len: s.raw_len,
            sha256: sha256(&s.stored),
        });
    }
    pad_to(&mut out, SECTION_ALIGN);

    let mut index = Vec::new();
    for text in [toolchain, engine, artifact_version, stub_target] {
        put_str(&mut index, text);
    }
    index.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in &entries {
        index.push(e.kind.code());
        index.push(match e.compression {
            Compression::None => 0,
            Compression::Zstd => 1,
        });
        put_str(&mut index, &e.target);
        put_str(&mut index, &e.tier);
        for n in [e.offset, e.stored_len, e.raw_len] {
            index.extend_from_slice(&n.to_le_bytes());
        }
        index.extend_from_slice(&e.sha256);
    }
    index.push(policy.deny_fs as u8 | (!policy.allow.is_empty() as u8) << 1);
    let count = u16::try_from(policy.dirs.len()).expect("at most MAX_DIRS mappings");
    index.extend_from_slice(&count.to_le_bytes());
    for d in &policy.dirs {
        index.push(d.read_only as u8);
        put_str(&mut index, &d.host);
        put_str(&mut index, &d.guest);
    }
    if !policy.allow.is_empty() {
        let count = u16::try_from(policy.allow.len()).expect("at most MAX_DIRS paths");
        index.extend_from_slice(&count.to_le_bytes());
        for g in &policy.allow {
            index.push(g.write as u8);
            put_str(&mut index, &g.path);
        }
    }
    put_launch_policy(&mut index, extras.launch);
    put_net_policy(&mut index, extras.net);
    put_assets(&mut index, extras.assets);

    let index_off = out.len() as u64;
    out.extend_from_slice(&index);
    out.extend_from_slice(TRAILER_MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&index_off.to_le_bytes());
    out.extend_from_slice(&(index.len() as u64).to_le_bytes());
    out.extend_from_slice(&sha256(&index));
    out
}

/// Decodes and checks the trailer and index of `payload`.
///
/// Every length and offset is bounds-checked, so any byte sequence gives
/// either an index whose sections lie inside the payload or an error.
pub fn parse(payload: &[u8]) -> Result<Index, PayloadError> {
    parse_tail(payload.len(), 0, payload)
}

/// As [`parse`], given only the end of a payload of `payload_len` bytes:
/// `tail` holds its bytes from `tail_at` on, and must include the index and
/// the trailer (an index that starts before `tail_at` is *corrupt*).
pub fn parse_tail(payload_len: usize, tail_at: usize, tail: &[u8]) -> Result<Index, PayloadError> {
    let Some(trailer_at) = payload_len.checked_sub(TRAILER_LEN) else {
        return Err(PayloadError::Corrupt("the payload is too short".into()));
    };
    if tail_at + tail.len() != payload_len || tail_at > trailer_at {
        return Err(PayloadError::Corrupt("the payload is too short".into()));
    }
    let trailer = &tail[trailer_at - tail_at..];
    if &trailer[..8] != TRAILER_MAGIC {
        return Err(PayloadError::Corrupt(
            "the payload trailer is missing".into(),
        ));
    }
    let mut r = Reader::new(&trailer[8..]);
    let version = r.u32()?;
    if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(PayloadError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if r.u32()? != 0 {
        return Err(PayloadError::Corrupt(
            "the trailer has unknown flags".into(),
        ));
    }
    let index_off = r.u64()?;
    let index_len = r.u64()?;
    let index_hash = r.bytes(32)?;
    let index_end = index_off
        .checked_add(index_len)
        .filter(|&end| end <= trailer_at as u64 && index_off >= tail_at as u64)
        .ok_or_else(|| PayloadError::Corrupt("the index lies outside the payload".into()))?;
    let index_bytes = &tail[index_off as usize - tail_at..index_end as usize - tail_at];
    if sha256(index_bytes) != index_hash {
        return Err(PayloadError::Corrupt(
            "the section index does not match its SHA-256 checksum".into(),
        ));
    }

    let mut r = Reader::new(index_bytes);
    let toolchain = r.string()?;
    let engine = r.string()?;
    let artifact_version = r.string()?;
    let stub_target = r.string()?;
    let count = r.u32()?;
    let mut sections = Vec::new();
    for _ in 0..count {
        let kind = SectionKind::from_code(r.u8()?)
            .ok_or_else(|| PayloadError::Corrupt("unknown section kind".into()))?;
        let compression = match r.u8()? {
            0 => Compression::None,
            1 => Compression::Zstd,
            _ => return Err(PayloadError::Corrupt("unknown compression".into())),
        };
        let target = r.string()?;
        let tier = r.string()?;
        let offset = r.u64()?;
        let stored_len = r.u64()?;
        let raw_len = r.u64()?;
        let sha256: [u8; 32] = r.bytes(32)?;
        if raw_len > MAX_RAW_LEN || (compression == Compression::None && raw_len != stored_len) {
            return Err(PayloadError::Corrupt(format!(
                "section {} {target} claims an impossible size ({raw_len} bytes)",
                kind.name()
            )));
        }
        if offset
            .checked_add(stored_len)
            .is_none_or(|end| end > index_off)
        {
            return Err(PayloadError::Corrupt(format!(
                "section {} {target} lies outside the payload",
                kind.name()
            )));
        }
        sections.push(Section {
            kind,
            compression,
            target,
            tier,
            offset,
            stored_len,
            raw_len,
            sha256,
        });
    }
    let mut fs = FsPolicy::default();
    if version >= 2 {
        let flags = r.u8()?;
        // Bit 1 (an allow list follows the mappings) exists from version 4.
        let known = if version >= 4 { 0b11 } else { 0b01 };
        if flags & !known != 0 {
            return Err(PayloadError::Corrupt(
                "unknown file-system policy flags".into(),
            ));
        }
        fs.deny_fs = flags & 1 != 0;
        let has_allow_list = flags & 0b10 != 0;
        let count = r.u16()? as usize;
        if count > MAX_DIRS {
            return Err(PayloadError::Corrupt(format!(
                "the index lists {count} directory mappings, more than {MAX_DIRS}"
            )));
        }
        for _ in 0..count {
            let read_only = match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(PayloadError::Corrupt("unknown directory flags".into())),
            };
            let host = r.string()?;
            let guest = r.string()?;
            // Checked field by field, not by parsing `{host}::{guest}` again: a host
            // ending in `:` would then split elsewhere.
            let grant = DirGrant {
                host,
                guest,
                read_only,
            };
            if !grant.is_well_formed() {
                return Err(PayloadError::Corrupt(
                    "a directory mapping is malformed".into(),
                ));
            }
            fs.dirs.push(grant);
        }
        if has_allow_list {
            fs.allow = read_allow_list(&mut r)?;
        }
    }
    let launch = if version >= 3 {
        read_launch_policy(&mut r)?
    } else {
        LaunchPolicy::default()
    };
    let net = if version >= 4 {
        read_net_policy(&mut r)?
    } else {
        NetPolicy::default()
    };
    let assets = if version >= 3 {
        read_assets(&mut r)?
    } else {
        Vec::new()
    };
    if !r.is_empty() {
        return Err(PayloadError::Corrupt(
            "the section index has trailing bytes".into(),
        ));
    }
    let mut asset_sections = sections.iter().filter(|s| s.kind == SectionKind::Assets);
    let section_len = asset_sections.next().map(|s| s.stored_len);
    if asset_sections.next().is_some()
        || (section_len.is_some() && assets.is_empty())
        || sections
            .iter()
            .any(|s| s.kind == SectionKind::Assets && s.compression != Compression::None)
    {
        return Err(PayloadError::Corrupt(
            "the asset section does not match the asset table".into(),
        ));
    }
    check_table(&assets, section_len)?;
    Ok(Index {
        fs,
        launch,
        net,
        assets,
        format_version: version,
        toolchain,
        engine,
        artifact_version,
        stub_target,
        sections,
    })
}

/// The `--allow-read`/`--allow-write` paths (format version 4), after the
/// mappings: `count: u16` (1 to 64), then per path `flags: u8` (0: read,
/// 1: read and write) and the path (empty: everywhere).
fn read_allow_list(r: &mut Reader<'_>) -> Result<Vec<PathGrant>, PayloadError> {
    let count = r.u16()? as usize;
    if count == 0 || count > MAX_DIRS {
        return Err(PayloadError::Corrupt(format!(
            "the index lists {count} allowed paths; 1 to {MAX_DIRS} are possible"
        )));
    }
    let mut allow = Vec::with_capacity(count);
    for _ in 0..count {
        let write = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(PayloadError::Corrupt("unknown allowed-path flags".into())),
        };
        let grant = PathGrant {
            path: r.string()?,
            write,
        };
        if !grant.is_well_formed() {
            return Err(PayloadError::Corrupt("an allowed path is malformed".into()));
        }
        allow.push(grant);
    }
    Ok(allow)
}

// The launch-policy record (format version 3), after the file-system policy:
//   flags: u8 (bit 0 `--lock`, bit 1 an allow list follows)
//   env_count: u16, then env_count × (key: str, value: str)
//   arg_count: u16, then arg_count × str
//   [allow_count: u16, then allow_count × str]   (bit 1 only)

const LAUNCH_LOCK: u8 = 1;
const LAUNCH_ALLOW_LIST: u8 = 2;

fn put_launch_policy(index: &mut Vec<u8>, launch: &LaunchPolicy) {
    let mut flags = 0;
    if launch.lock {
        flags |= LAUNCH_LOCK;
    }
    if launch.env_allow.is_some() {
        flags |= LAUNCH_ALLOW_LIST;
    }
    index.push(flags);
    let count = |n: usize| {
        u16::try_from(n)
            .expect("at most MAX_LAUNCH_ITEMS")
            .to_le_bytes()
    };
    index.extend_from_slice(&count(launch.env.len()));
    for (k, v) in &launch.env {
        put_str(index, k);
        put_str(index, v);
    }
    index.extend_from_slice(&count(launch.args.len()));
    for a in &launch.args {
        put_str(index, a);
    }
    if let Some(allow) = &launch.env_allow {
        index.extend_from_slice(&count(allow.len()));
        for name in allow {
            put_str(index, name);
        }
    }
}

// The network-policy record (format version 4), after the launch policy:
//   flags: u8 (bit 0 an allow list follows, bit 1 `--deny-net` without hosts)
//   [allow_count: u16 (1 to 256), then allow_count × rule]   (bit 0 only)
//   deny_count: u16 (0 to 256), then deny_count × rule
// where a rule is  host: str  port: u16 (0: every port).

const NET_ALLOW_LIST: u8 = 1;
const NET_DENY_ALL: u8 = 2;

fn put_net_policy(index: &mut Vec<u8>, net: &NetPolicy) {
    let mut flags = 0;
    if net.allow.is_some() {
        flags |= NET_ALLOW_LIST;
    }
    if net.deny_all {
        flags |= NET_DENY_ALL;
    }
    index.push(flags);
    let put_rules = |index: &mut Vec<u8>, rules: &[HostRule]| {
        let count = u16::try_from(rules.len()).expect("at most MAX_HOST_RULES");
        index.extend_from_slice(&count.to_le_bytes());
        for rule in rules {
            put_str(index, &rule.host);
            index.extend_from_slice(&rule.port.unwrap_or(0).to_le_bytes());
        }
    };
    if let Some(allow) = &net.allow {
        put_rules(index, allow);
    }
    put_rules(index, &net.deny);
}

fn read_net_policy(r: &mut Reader<'_>) -> Result<NetPolicy, PayloadError> {
    let flags = r.u8()?;
    if flags & !(NET_ALLOW_LIST | NET_DENY_ALL) != 0 {
        return Err(PayloadError::Corrupt("unknown network policy flags".into()));
    }
    let rules = |r: &mut Reader<'_>| -> Result<Vec<HostRule>, PayloadError> {
        let count = r.u16()? as usize;
        if count > MAX_HOST_RULES {
            return Err(PayloadError::Corrupt(format!(
                "the index lists {count} network hosts, more than {MAX_HOST_RULES}"
            )));
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let host = r.string()?;
            let port = Some(r.u16()?).filter(|&p| p != 0);
            out.push(HostRule { host, port });
        }
        Ok(out)
    };
    let allow = if flags & NET_ALLOW_LIST != 0 {
        Some(rules(r)?)
    } else {
        None
    };
    let net = NetPolicy {
        allow,
        deny: rules(r)?,
        deny_all: flags & NET_DENY_ALL != 0,
    };
    if !net.is_well_formed() {
        return Err(PayloadError::Corrupt(
            "the network policy is malformed".into(),
        ));
    }
    Ok(net)
}

// The asset block, the last part of the index (format version 3 on):
//   count:u32, then per entry  kind:u8 (0 directory, 1 file)  path:str
//   and for a file  compression:u8 (0 none, 1 zstd)  offset:u64
//   stored_len:u64  raw_len:u64  sha256:[32]
fn put_assets(index: &mut Vec<u8>, assets: &[AssetEntry]) {
    index.extend_from_slice(&(assets.len() as u32).to_le_bytes());
    for e in assets {
        index.push(e.file.is_some() as u8);
        put_str(index, &e.path);
        if let Some(f) = &e.file {
            index.push(f.zstd as u8);
            for n in [f.offset, f.stored_len, f.raw_len] {
                index.extend_from_slice(&n.to_le_bytes());
            }
            index.extend_from_slice(&f.sha256);
        }
    }
}

fn read_launch_policy(r: &mut Reader) -> Result<LaunchPolicy, PayloadError> {
    let flags = r.u8()?;
    if flags & !(LAUNCH_LOCK | LAUNCH_ALLOW_LIST) != 0 {
        return Err(PayloadError::Corrupt("unknown launch policy flags".into()));
    }
    let mut launch = LaunchPolicy {
        lock: flags & LAUNCH_LOCK != 0,
        ..LaunchPolicy::default()
    };
    for _ in 0..r.u16()? {
        let key = r.string()?;
        let value = r.string()?;
        launch.env.push((key, value));
    }
    for _ in 0..r.u16()? {
        launch.args.push(r.string()?);
    }
    if flags & LAUNCH_ALLOW_LIST != 0 {
        let mut allow = Vec::new();
        for _ in 0..r.u16()? {
            allow.push(r.string()?);
        }
        launch.env_allow = Some(allow);
    }
    launch
        .check()
        .map_err(|e| PayloadError::Corrupt(format!("the launch policy is malformed: {e}")))?;
    Ok(launch)
}

fn read_assets(r: &mut Reader<'_>) -> Result<Vec<AssetEntry>, PayloadError> {
    let count = r.u32()? as usize;
    if count > super::assets::MAX_ASSET_ENTRIES {
        return Err(PayloadError::Corrupt(format!(
            "the index lists {count} embedded files, more than {}",
            super::assets::MAX_ASSET_ENTRIES
        )));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let is_file = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(PayloadError::Corrupt("unknown embedded file kind".into())),
        };
        let path = r.string()?;
        let file = if is_file {
            let zstd = match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(PayloadError::Corrupt("unknown compression".into())),
            };
            Some(AssetFile {
                zstd,
                offset: r.u64()?,
                stored_len: r.u64()?,
                raw_len: r.u64()?,
                sha256: r.bytes(32)?,
            })
        } else {
            None
        };
        out.push(AssetEntry { path, file });
    }
    Ok(out)
}

fn pad_to(out: &mut Vec<u8>, align: usize) {
    out.resize(out.len().next_multiple_of(align), 0);
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    let len = u16::try_from(text.len()).expect("index strings are short");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// A bounds-checked cursor over index bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PayloadError> {
        if n > self.rest.len() {
            return Err(PayloadError::Corrupt("the section index ends early".into()));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn bytes<const N: usize>(&mut self, n: usize) -> Result<[u8; N], PayloadError> {
        debug_assert_eq!(n, N);
        Ok(self.take(N)?.try_into().expect("length checked"))
    }

    fn u8(&mut self) -> Result<u8, PayloadError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, PayloadError> {
        Ok(u16::from_le_bytes(self.bytes::<2>(2)?))
    }

    fn u32(&mut self) -> Result<u32, PayloadError> {
        Ok(u32::from_le_bytes(self.bytes::<4>(4)?))
    }

    fn u64(&mut self) -> Result<u64, PayloadError> {
        Ok(u64::from_le_bytes(self.bytes::<8>(8)?))
    }

    fn string(&mut self) -> Result<String, PayloadError> {
        let len = self.u16()? as usize;
        String::from_utf8(self.take(len)?.to_vec())
            .map_err(|_| PayloadError::Corrupt("an index string is not UTF-8".into()))
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        encode(
            "nyash 0.1.0",
            &format!("wasmtime {}", crate::engine::WASMTIME_VERSION),
            "v",
            "x86_64-unknown-linux-musl",
            &[
                SectionInput {
                    kind: SectionKind::Wasm,
                    compression: Compression::None,
                    target: "wasm32-wasip1".into(),
                    tier: "portable".into(),
                    stored: b"\0asm\x01\0\0\0".to_vec(),
                    raw_len: 8,
                },
                SectionInput {
                    kind: SectionKind::Native,
                    compression: Compression::Zstd,
                    target: "x86_64-unknown-linux-gnu".into(),
                    tier: "baseline".into(),
                    stored: vec![7; 33],
                    raw_len: 100,
                },
            ],
        )
    }

    #[test]
    fn round_trip() {
        let payload = sample();
        let index = parse(&payload).unwrap();
        assert_eq!(index.stub_target, "x86_64-unknown-linux-musl");
        assert_eq!(index.sections.len(), 2);
        let s = &index.sections[1];
        assert_eq!(s.offset % SECTION_ALIGN as u64, 0);
        assert_eq!(&payload[s.offset as usize..][..33], &[7; 33][..]);
        assert_eq!(s.raw_len, 100);
    }

    #[test]
    fn every_truncation_and_every_index_flip_is_an_error() {
        let payload = sample();
        for len in 0..payload.len() {
            assert!(parse(&payload[..len]).is_err(), "prefix of {len} bytes");
        }
        // Padding between the sections and the index carries nothing; every
        // byte from the index on is covered by a hash or checked.
        let trailer = payload.len() - TRAILER_LEN;
        let index_start = u64::from_le_bytes(payload[trailer + 16..][..8].try_into().unwrap());
        for at in index_start as usize..payload.len() {
            let mut damaged = payload.clone();
            damaged[at] ^= 0x01;
            assert!(parse(&damaged).is_err(), "flip at {at}");
        }
    }

    #[test]
    fn impossible_sizes_are_refused() {
        let make = |compression, stored: Vec<u8>, raw_len| {
            encode(
                "t",
                "e",
                "v",
                "s",
                &[SectionInput {
                    kind: SectionKind::Native,
                    compression,
                    target: "x".into(),
                    tier: "baseline".into(),
                    stored,
                    raw_len,
                }],
            )
        };
        assert!(parse(&make(Compression::Zstd, vec![1; 8], 1 << 40)).is_err());
        assert!(parse(&make(Compression::None, vec![1; 8], 9)).is_err());
        assert!(parse(&make(Compression::Zstd, vec![1; 8], 1 << 20)).is_ok());
    }

    #[test]
    fn directory_mappings_round_trip() {
        let dirs = [
            DirGrant::parse("fs-tests.dir::/").unwrap(),
            DirGrant::parse("C:\\data::data::ro").unwrap(),
        ];
        let policy = FsPolicy {
            dirs: dirs.to_vec(),
            ..FsPolicy::default()
        };
        let payload = encode_with_policy("t", "e", "v", "s", &[], &policy);
        assert_eq!(parse(&payload).unwrap().fs, policy);
        assert!(parse(&sample()).unwrap().fs.is_default());
        // A host directory whose name ends in `:` (`--dir data:`), found by the
        // `payload_roundtrip` fuzz target: written as `data:::data:`, it no longer parses
        // as a `--dir` spec, so the reader must not check it that way.
        let colon = FsPolicy {
            dirs: vec![DirGrant::parse("data:").unwrap()],
            ..FsPolicy::default()
        };
        let payload = encode_with_policy("t", "e", "v", "s", &[], &colon);
        assert_eq!(parse(&payload).unwrap().fs, colon);
        let deny = FsPolicy {
            deny_fs: true,
            ..FsPolicy::default()
        };
        let payload = encode_with_policy("t", "e", "v", "s", &[], &deny);
        assert_eq!(parse(&payload).unwrap().fs, deny);
    }

    #[test]
    fn allowed_paths_round_trip() {
        let read = PathGrant::from_flag(Some(&["data,/etc/hosts".into()]), false).unwrap();
        let write = PathGrant::from_flag(Some(&[]), true).unwrap();
        let policy = FsPolicy {
            allow: [read, write].concat(),
            ..FsPolicy::default()
        };
        assert_eq!(policy.allow.len(), 3);
        assert_eq!(policy.allow[2].path, "");
        let payload = encode_with_policy("t", "e", "v", "s", &[], &policy);
        assert_eq!(parse(&payload).unwrap().fs, policy);
        assert!(!policy.is_default());
    }

    /// `sample()` rewritten as an older format version: its index less the
    /// last `cut` bytes, under a trailer with `version`.
    fn older(version: u32, cut: usize) -> Vec<u8> {
        let new = sample();
        let trailer = new.len() - TRAILER_LEN;
        let index_off = u64::from_le_bytes(new[trailer + 16..][..8].try_into().unwrap()) as usize;
        let index = &new[index_off..trailer - cut];
        let mut old = new[..index_off].to_vec();
        old.extend_from_slice(index);
        old.extend_from_slice(TRAILER_MAGIC);
        old.extend_from_slice(&version.to_le_bytes());
        old.extend_from_slice(&0u32.to_le_bytes());
        old.extend_from_slice(&(index_off as u64).to_le_bytes());
        old.extend_from_slice(&(index.len() as u64).to_le_bytes());
        old.extend_from_slice(&sha256(index));
        old
    }

    /// Version 1 to 3 payloads (without the policies at the end of the
    /// index that later versions added) still read, with the defaults.
    #[test]
    fn older_payloads_still_read() {
        // The default fs policy is 3 bytes, the launch record 5, the network
        // record 3 and the empty asset table 4, all zero: version 3 lacks the
        // network record, version 2 the launch record and the asset table too.
        for (version, cut) in [(1, 15), (2, 12), (3, 3)] {
            let parsed = parse(&older(version, cut)).unwrap();
            assert_eq!(parsed.format_version, version);
            assert_eq!(parsed.sections.len(), 2);
            assert!(parsed.fs.is_default());
            assert!(parsed.launch.is_default());
            assert!(parsed.net.is_default());
            assert!(parsed.assets.is_empty());
        }
        // A version 3 reader's view of a version 4 index: three bytes too many.
        assert!(matches!(
            parse(&older(3, 0)),
            Err(PayloadError::Corrupt(m)) if m.contains("trailing bytes")
        ));
    }

    #[test]
    fn launch_policies_round_trip() {
        let launch = LaunchPolicy {
            env: vec![
                ("MODE".into(), "baked".into()),
                ("EMPTY".into(), String::new()),
            ],
            args: vec!["--first".into(), "two words".into()],
            env_allow: Some(vec!["HOME".into(), "LC_*".into()]),
            lock: true,
        };
        let fs = FsPolicy::default();
        let with = |launch: &LaunchPolicy| {
            let extras = Extras {
                fs: &fs,
                launch,
                net: &NetPolicy::default(),
                assets: &[],
            };
            encode_with("t", "e", "v", "s", &[], &extras)
        };
        let payload = with(&launch);
        assert_eq!(parse(&payload).unwrap().launch, launch);
        let none_allowed = LaunchPolicy {
            env_allow: Some(Vec::new()),
            ..LaunchPolicy::default()
        };
        let payload = with(&none_allowed);
        assert_eq!(parse(&payload).unwrap().launch, none_allowed);
        assert!(parse(&sample()).unwrap().launch.is_default());
    }

    #[test]
    fn network_policies_round_trip() {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let fs = FsPolicy::default();
        let launch = LaunchPolicy::default();
        let allow = own(&["localhost", "[::1]:8080"]);
        let deny = own(&["localhost:25"]);
        for net in [
            NetPolicy::from_flags(Some(&allow), Some(&deny)).unwrap(),
            NetPolicy::from_flags(None, Some(&[])).unwrap(),
            NetPolicy::from_flags(None, Some(&deny)).unwrap(),
            NetPolicy::default(),
        ] {
            let extras = Extras {
                fs: &fs,
                launch: &launch,
                net: &net,
                assets: &[],
            };
            let payload = encode_with("t", "e", "v", "s", &[], &extras);
            assert_eq!(parse(&payload).unwrap().net, net);
        }
    }

    #[test]
    fn embedded_files_round_trip_and_must_match_their_section() {
        let raw = b"{\"level\": 3}\n".to_vec();
        let (section, table) = super::super::assets::layout(vec![
            ("data".into(), None),
            (
                "data/config.json".into(),
                Some((raw.clone(), false, raw.len() as u64)),
            ),
        ]);
        let input = SectionInput {
            kind: SectionKind::Assets,
            compression: Compression::None,
            target: "files".into(),
            tier: "portable".into(),
            raw_len: section.len() as u64,
            stored: section,
        };
        let policy = FsPolicy::default();
        let launch = LaunchPolicy::default();
        let encode_assets = |sections: &[SectionInput], assets: &[AssetEntry]| {
            let extras = Extras {
                fs: &policy,
                launch: &launch,
                net: &NetPolicy::default(),
                assets,
            };
            encode_with("t", "e", "v", "s", sections, &extras)
        };
        let payload = encode_assets(std::slice::from_ref(&input), &table);
        let index = parse(&payload).unwrap();
        assert_eq!(index.assets, table);
        let at = index.assets_section().unwrap();
        let stored = &payload[index.sections[at].offset as usize..][..raw.len()];
        assert_eq!(
            super::super::assets::read_asset(stored, &index.assets[1]).unwrap(),
            raw
        );
        // The launcher parses only the end of the payload, from the index on.
        let tail_at = index.sections[at].offset as usize + raw.len();
        assert_eq!(
            parse_tail(payload.len(), tail_at, &payload[tail_at..]).unwrap(),
            index
        );
        let trailer = payload.len() - TRAILER_LEN;
        assert!(parse_tail(payload.len(), trailer, &payload[trailer..]).is_err());
        // A table without its section, and a section without a table, are corrupt.
        assert!(parse(&encode_assets(&[], &table)).is_err());
        assert!(parse(&encode_assets(&[input], &[])).is_err());
    }

    #[test]
    fn other_version_is_reported_as_such() {
        let mut payload = sample();
        let at = payload.len() - TRAILER_LEN + 8;
        payload[at] = 9;
        match parse(&payload) {
            Err(PayloadError::UnsupportedVersion {
                found: 9,
                supported,
            }) => {
                assert_eq!(supported, FORMAT_VERSION)
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
