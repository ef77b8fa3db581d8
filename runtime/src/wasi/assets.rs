//! The embedded files (`--include`): a read-only tree served from memory
//! under the preopen `/app` (`payload::assets::ASSET_MOUNT`).
//!
//! A bundle's tree comes from the payload: each file is checked against its
//! SHA-256 and decompressed when the program opens it, never before, so a
//! program that reads one small file does not pay for a large one.
//! `nyash run --include` builds the same tree from the host files, read when
//! opened, so both behave alike. The descriptor code in `calls.rs` reaches
//! this module through a few hooks: [`super::files::Files::asset_lookup`]
//! at the start of every path call, and [`AssetNode`] arms in the `fd_*`
//! calls. Every change (create, write, truncate, remove, rename, link,
//! times) fails with `ROFS`.

use std::path::PathBuf;
use std::sync::Arc;

use super::abi::*;
use super::files::Listing;
use crate::payload::assets::{read_asset, read_asset_at, AssetEntry, ASSET_MOUNT};

/// Where the files' bytes come from.
enum Origin {
    /// A directory.
    Dir,
    /// A file in the payload's `assets` section.
    Payload(AssetEntry),
    /// A file on the host (`nyash run --include`).
    Host(PathBuf),
}

struct Entry {
    /// The path below the mount; empty for the mount itself.
    path: String,
    size: u64,
    origin: Origin,
}

/// Where a bundle's `assets` section is.
enum Section {
    /// In memory: the payload bytes, and the section's range in them.
    Memory(Arc<Vec<u8>>, std::ops::Range<usize>),
    /// In the bundle file, from this byte on: each file is read when opened.
    File(std::fs::File, u64),
}

/// The embedded tree: entries sorted by path, the mount itself first.
pub struct Assets {
    entries: Vec<Entry>,
    section: Option<Section>,
}

/// One embedded file or directory the program may name, as listed by
/// `nyash run --include`: its path below the mount and, for a file, its host
/// path and size.
pub struct HostAsset {
    /// The path below the mount, e.g. `assets/logo.txt`.
    pub path: String,
    /// `None` for a directory.
    pub file: Option<(PathBuf, u64)>,
}

/// An open embedded directory or file.
pub enum AssetNode {
    /// A directory of the tree.
    Dir {
        entry: usize,
        /// This is the preopen `/app`.
        preopen: bool,
        listing: Option<Listing>,
    },
    /// A file, its bytes read when it was opened.
    File {
        entry: usize,
        data: Arc<[u8]>,
        pos: u64,
    },
}

/// The device number embedded files report, so that they never share an
/// identity (device and inode) with a host file.
const DEVICE: u64 = 0x6e79_6173_6800_0001;

/// A path looked up in the tree: the entry it names, if it exists.
pub struct AssetPath {
    pub entry: Option<usize>,
    pub trailing_slash: bool,
}

impl Assets {
    /// The tree of a bundle: `table` from its index, `bytes` the payload and
    /// `range` where the `assets` section lies in it.
    pub fn from_payload(
        table: &[AssetEntry],
        bytes: Arc<Vec<u8>>,
        range: std::ops::Range<usize>,
    ) -> Assets {
        let entries = table.iter().map(|e| Entry {
            path: e.path.clone(),
            size: e.file.as_ref().map_or(0, |f| f.raw_len),
            origin: match e.file {
                Some(_) => Origin::Payload(e.clone()),
                None => Origin::Dir,
            },
        });
        Assets::sorted(entries.collect(), Some(Section::Memory(bytes, range)))
    }

    /// The tree of a bundle whose `assets` section starts at byte
    /// `section_at` of `file` (the launcher's: only the files the program
    /// opens are read).
    pub fn from_bundle_file(
        table: Vec<AssetEntry>,
        file: std::fs::File,
        section_at: u64,
    ) -> Assets {
        let entries = table.into_iter().map(|e| Entry {
            path: e.path.clone(),
            size: e.file.as_ref().map_or(0, |f| f.raw_len),
            origin: match e.file {
                Some(_) => Origin::Payload(e),
                None => Origin::Dir,
            },
        });
        Assets::sorted(entries.collect(), Some(Section::File(file, section_at)))
    }

    /// The tree of `nyash run --include`, from files already listed and
    /// checked by the same rules as `nyash bundle` (sorted by path).
    pub fn from_host(list: Vec<HostAsset>) -> Assets {
        let entries = list.into_iter().map(|a| match a.file {
            Some((host, size)) => Entry {
                path: a.path,
                size,
                origin: Origin::Host(host),
            },
            None => Entry {
                path: a.path,
                size: 0,
                origin: Origin::Dir,
            },
        });
        Assets::sorted(entries.collect(), None)
    }

    fn sorted(mut rest: Vec<Entry>, section: Option<Section>) -> Assets {
        rest.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        let mut entries = vec![Entry {
            path: String::new(),
            size: 0,
            origin: Origin::Dir,
        }];
        entries.extend(rest);
        Assets { entries, section }
    }

    fn find(&self, path: &str) -> Option<usize> {
        self.entries
            .binary_search_by(|e| e.path.as_bytes().cmp(path.as_bytes()))
            .ok()
    }

    fn is_dir(&self, entry: usize) -> bool {
        matches!(self.entries[entry].origin, Origin::Dir)
    }

    /// The guest's path for an absolute name under the mount (`/app` or
    /// `/app/...`), relative to the mount; `None` for any other path.
    pub fn under_mount(path: &str) -> Option<&str> {
        let rest = path.strip_prefix(ASSET_MOUNT)?;
        if rest.is_empty() {
            Some("")
        } else {
            rest.strip_prefix('/')
        }
    }

    /// Resolves `path` relative to directory `base`: `.` and empty
    /// components are skipped, `..` may not climb above `base`
    /// (`NOTCAPABLE`, as in a `--dir` mapping), an absolute path gives
    /// `NOTCAPABLE`, an intermediate component must be a directory.
    pub fn lookup(&self, base: usize, path: &str) -> Result<AssetPath, Errno> {
        if path.contains('\0') {
            return Err(INVAL);
        }
        if path.starts_with('/') {
            return Err(NOTCAPABLE);
        }
        let trailing_slash = path.ends_with('/');
        let mut parts: Vec<&str> = Vec::new();
        for c in path.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop().ok_or(NOTCAPABLE)?;
                }
                name => {
                    // The walk so far must name a directory before it is entered.
                    match self.find(&self.join(base, &parts)) {
                        Some(e) if self.is_dir(e) => {}
                        Some(_) => return Err(NOTDIR),
                        None => return Err(NOENT),
                    }
                    parts.push(name);
                }
            }
        }
        let full = self.join(base, &parts);
        let entry = self.find(&full);
        if trailing_slash && entry.is_some_and(|e| !self.is_dir(e)) {
            return Err(NOTDIR);
        }
        Ok(AssetPath {
            entry,
            trailing_slash,
        })
    }

    fn join(&self, base: usize, parts: &[&str]) -> String {
        let mut out = self.entries[base].path.clone();
        for p in parts {
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(p);
        }
        out
    }

    /// The `filestat` of an entry: a fixed device, the entry's number + 1 as
    /// inode, one link, its size, and all times 0 (bundles record none).
    pub fn filestat(&self, entry: usize) -> [u8; 64] {
        let mut stat = [0u8; 64];
        stat[0..8].copy_from_slice(&DEVICE.to_le_bytes());
        stat[8..16].copy_from_slice(&(entry as u64 + 1).to_le_bytes());
        stat[16] = self.filetype(entry);
        stat[24..32].copy_from_slice(&1u64.to_le_bytes());
        stat[32..40].copy_from_slice(&self.entries[entry].size.to_le_bytes());
        stat
    }

    /// `FILETYPE_DIRECTORY` or `FILETYPE_REGULAR_FILE`.
    pub fn filetype(&self, entry: usize) -> u8 {
        if self.is_dir(entry) {
            FILETYPE_DIRECTORY
        } else {
            FILETYPE_REGULAR_FILE
        }
    }

    /// The entries of directory `entry`, as `fd_readdir` lists them: `.` and
    /// `..` first, then by name.
    pub fn listing(&self, entry: usize) -> Listing {
        let dir = &self.entries[entry].path;
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries = vec![
            (b".".to_vec(), FILETYPE_DIRECTORY, entry as u64 + 1),
            (b"..".to_vec(), FILETYPE_DIRECTORY, 0),
        ];
        let start = self
            .entries
            .partition_point(|e| e.path.as_bytes() <= prefix.as_bytes());
        for (i, e) in self.entries.iter().enumerate().skip(start.max(1)) {
            let Some(name) = e.path.strip_prefix(&prefix) else {
                break;
            };
            if !name.contains('/') {
                entries.push((name.as_bytes().to_vec(), self.filetype(i), i as u64 + 1));
            }
        }
        entries[2..].sort();
        Listing { entries }
    }

    /// The bytes of file `entry`: from the payload, checked against its
    /// SHA-256 and decompressed; or read from the host. A damaged file is
    /// reported on stderr, once per open, and gives `IO` to the program.
    pub fn read(&self, entry: usize) -> Result<Arc<[u8]>, Errno> {
        let e = &self.entries[entry];
        let bytes = match &e.origin {
            Origin::Dir => return Err(ISDIR),
            Origin::Host(path) => std::fs::read(path).map_err(|err| errno_of(&err))?,
            Origin::Payload(asset) => {
                let read = match self.section.as_ref().ok_or(IO)? {
                    Section::Memory(bytes, range) => read_asset(&bytes[range.clone()], asset),
                    Section::File(file, at) => read_asset_at(file, *at, asset),
                };
                match read {
                    Ok(raw) => raw,
                    Err(err) => {
                        eprintln!(
                            "error: the bundle is damaged: {err}\nhint: rebuild it with `nyash bundle`, or copy it again"
                        );
                        return Err(IO);
                    }
                }
            }
        };
        Ok(bytes.into())
    }

    /// The guest path of entry `entry`, for messages.
    pub fn guest_path(&self, entry: usize) -> String {
        let path = &self.entries[entry].path;
        if path.is_empty() {
            ASSET_MOUNT.to_string()
        } else {
            format!("{ASSET_MOUNT}/{path}")
        }
    }
}

impl AssetNode {
    /// Reads from an open file at its position, moving the position.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        let AssetNode::File { data, pos, .. } = self else {
            return Err(BADF);
        };
        let n = read_at(data, buf, *pos);
        *pos += n as u64;
        Ok(n)
    }

    /// The open file's bytes; `BADF` for a directory.
    pub fn data(&self) -> Result<&[u8], Errno> {
        match self {
            AssetNode::File { data, .. } => Ok(data),
            AssetNode::Dir { .. } => Err(BADF),
        }
    }

    /// `fd_seek`: `whence` 0, 1, 2 as in WASI; a position before the start
    /// is `INVAL`, one past the end is allowed (reads there give 0 bytes).
    pub fn seek(&mut self, offset: i64, whence: i32) -> Result<u64, Errno> {
        let AssetNode::File { data, pos, .. } = self else {
            return Err(BADF);
        };
        let base = match whence {
            0 => 0,
            1 => *pos as i128,
            2 => data.len() as i128,
            _ => return Err(INVAL),
        };
        let to = base + offset as i128;
        if to < 0 || to > i64::MAX as i128 {
            return Err(INVAL);
        }
        *pos = to as u64;
        Ok(*pos)
    }
}

/// Copies from `data` at `offset` into `buf`; the number of bytes copied.
pub fn read_at(data: &[u8], buf: &mut [u8], offset: u64) -> usize {
    let Some(rest) = usize::try_from(offset).ok().and_then(|o| data.get(o..)) else {
        return 0;
    };
    let n = rest.len().min(buf.len());
    buf[..n].copy_from_slice(&rest[..n]);
    n
}
