//! The table of embedded files (`nyash bundle --include`): its entries, the
//! rules for their paths, and the limits a bundle must keep.
//!
//! The table lives in the index (format version 3 on), so the index hash
//! covers it; the file contents live in one section of kind `assets`, each
//! file compressed on its own, so a program that opens one file costs the
//! launcher one file's decompression (`docs/payload-format.md`).

use super::index::sha256;
use super::{PayloadError, ReadAt};

/// The most entries (files and directories) one bundle may embed.
pub const MAX_ASSET_ENTRIES: usize = 100_000;

/// The largest single embedded file, in bytes (1 GiB).
pub const MAX_ASSET_FILE: u64 = 1 << 30;

/// The most bytes all embedded files together may hold before compression
/// (2 GiB).
pub const MAX_ASSET_TOTAL: u64 = 2 << 30;

/// The longest path of an embedded file below the mount, in bytes.
pub const MAX_ASSET_PATH: usize = 4096;

/// The guest directory under which embedded files appear, in every
/// execution path: `/app/<name>` for `--include <...>/<name>`.
pub const ASSET_MOUNT: &str = "/app";

/// One embedded file or directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetEntry {
    /// The path below [`ASSET_MOUNT`], components separated by `/`, e.g.
    /// `assets/logo.txt`.
    pub path: String,
    /// `None` for a directory.
    pub file: Option<AssetFile>,
}

/// Where an embedded file's bytes are stored in the `assets` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetFile {
    /// `true`: one zstd frame; `false`: stored as is.
    pub zstd: bool,
    /// Where the stored bytes start, relative to the start of the section.
    pub offset: u64,
    /// The number of stored bytes.
    pub stored_len: u64,
    /// The size of the file.
    pub raw_len: u64,
    /// SHA-256 of the stored bytes, checked before the file is first read.
    pub sha256: [u8; 32],
}

impl AssetEntry {
    /// The path a program opens this entry by, e.g. `/app/assets/logo.txt`.
    pub fn guest_path(&self) -> String {
        format!("{ASSET_MOUNT}/{}", self.path)
    }
}

/// Whether `path` may name an embedded entry: non-empty UTF-8 components
/// separated by single `/`, none of them `.` or `..`, no NUL or `\`, at most
/// [`MAX_ASSET_PATH`] bytes. The bundler checks file names with it before
/// writing, and the reader checks the table with it.
pub fn is_valid_asset_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= MAX_ASSET_PATH
        && !path.contains(['\0', '\\'])
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Checks a decoded table: valid paths, strictly increasing in byte order
/// (so none is given twice), every parent listed as a directory, every file
/// inside a section of `section_len` bytes, and the limits.
pub(crate) fn check_table(
    entries: &[AssetEntry],
    section_len: Option<u64>,
) -> Result<(), PayloadError> {
    let bad = |what: String| Err(PayloadError::Corrupt(format!("the asset table {what}")));
    if entries.len() > MAX_ASSET_ENTRIES {
        return bad(format!(
            "lists {} entries, more than {MAX_ASSET_ENTRIES}",
            entries.len()
        ));
    }
    let mut total = 0u64;
    for (i, e) in entries.iter().enumerate() {
        if !is_valid_asset_path(&e.path) {
            return bad("holds a malformed path".into());
        }
        if i > 0 && entries[i - 1].path.as_bytes() >= e.path.as_bytes() {
            return bad("is not sorted, or names a path twice".into());
        }
        if let Some((parent, _)) = e.path.rsplit_once('/') {
            let found = entries[..i]
                .binary_search_by(|p| p.path.as_bytes().cmp(parent.as_bytes()))
                .ok()
                .filter(|&p| entries[p].file.is_none());
            if found.is_none() {
                return bad(format!("lists `{}` without its directory", e.path));
            }
        }
        if let Some(f) = &e.file {
            total = total.saturating_add(f.raw_len);
            if f.raw_len > MAX_ASSET_FILE || (!f.zstd && f.raw_len != f.stored_len) {
                return bad(format!("gives `{}` an impossible size", e.path));
            }
            let Some(len) = section_len else {
                return bad("lists files, but the bundle has no asset section".into());
            };
            if f.offset
                .checked_add(f.stored_len)
                .is_none_or(|end| end > len)
            {
                return bad(format!("places `{}` outside the asset section", e.path));
            }
        }
    }
    if total > MAX_ASSET_TOTAL {
        return bad(format!(
            "adds up to {total} bytes, more than {MAX_ASSET_TOTAL}"
        ));
    }
    Ok(())
}

/// The original bytes of one embedded file, given the stored bytes of the
/// `assets` section: its SHA-256 checked first, then decompressed and its
/// length checked.
pub fn read_asset(section: &[u8], entry: &AssetEntry) -> Result<Vec<u8>, PayloadError> {
    let damaged = |why: String| {
        PayloadError::Corrupt(format!("the embedded file `{}` {why}", entry.guest_path()))
    };
    let Some(f) = &entry.file else {
        return Err(damaged("is a directory".into()));
    };
    let stored = usize::try_from(f.offset)
        .ok()
        .and_then(|at| {
            section
                .get(at..)?
                .get(..usize::try_from(f.stored_len).ok()?)
        })
        .ok_or_else(|| damaged("lies outside the asset section".into()))?;
    decode(stored, entry)
}

/// As [`read_asset`], reading the file's stored bytes from `file`, where the
/// `assets` section starts at byte `section_at` (the launcher's way: only
/// the file opened is read from disk).
pub fn read_asset_at(
    file: &(impl ReadAt + ?Sized),
    section_at: u64,
    entry: &AssetEntry,
) -> Result<Vec<u8>, PayloadError> {
    let Some(f) = &entry.file else {
        return Err(PayloadError::Corrupt(format!(
            "the embedded file `{}` is a directory",
            entry.guest_path()
        )));
    };
    let mut stored = vec![0u8; f.stored_len as usize];
    file.read_exact_at(&mut stored, section_at + f.offset)
        .map_err(PayloadError::Io)?;
    decode(&stored, entry)
}

/// Checks the stored bytes of `entry` against its SHA-256, then decompresses
/// them and checks the length.
fn decode(stored: &[u8], entry: &AssetEntry) -> Result<Vec<u8>, PayloadError> {
    let damaged = |why: String| {
        PayloadError::Corrupt(format!("the embedded file `{}` {why}", entry.guest_path()))
    };
    let Some(f) = &entry.file else {
        return Err(damaged("is a directory".into()));
    };
    if sha256(stored) != f.sha256 {
        return Err(damaged("does not match its SHA-256 checksum".into()));
    }
    if !f.zstd {
        return Ok(stored.to_vec());
    }
    let raw = zstd::bulk::decompress(stored, f.raw_len as usize)
        .map_err(|e| damaged(format!("could not be decompressed: {e}")))?;
    if raw.len() as u64 != f.raw_len {
        return Err(damaged(format!(
            "decompressed to {} bytes, expected {}",
            raw.len(),
            f.raw_len
        )));
    }
    Ok(raw)
}

/// One file to lay out: its bytes as they are to be stored, whether they are
/// a zstd frame, and the file's size.
pub type StoredFile = (Vec<u8>, bool, u64);

/// Builds the `assets` section and its table from files already sorted by
/// path and checked: `(path, None)` for a directory, `(path, Some(file))` for
/// a file. The section is the stored files back to back, in table order.
pub fn layout(entries: Vec<(String, Option<StoredFile>)>) -> (Vec<u8>, Vec<AssetEntry>) {
    let mut section = Vec::new();
    let mut table = Vec::with_capacity(entries.len());
    for (path, file) in entries {
        let file = file.map(|(stored, zstd, raw_len)| {
            let offset = section.len() as u64;
            section.extend_from_slice(&stored);
            AssetFile {
                zstd,
                offset,
                stored_len: stored.len() as u64,
                raw_len,
                sha256: sha256(&stored),
            }
        });
        table.push(AssetEntry { path, file });
    }
    (section, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_paths_are_plain_relative_names() {
        for good in ["a", "assets/logo.txt", "a b/ü.json", ".hidden/x"] {
            assert!(is_valid_asset_path(good), "{good}");
        }
        for bad in ["", "/a", "a/", "a//b", "./a", "a/../b", "..", "a\\b", "a\0"] {
            assert!(!is_valid_asset_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn tables_must_be_sorted_complete_and_inside_the_section() {
        let dir = |p: &str| AssetEntry {
            path: p.into(),
            file: None,
        };
        let file = |p: &str, offset, len| AssetEntry {
            path: p.into(),
            file: Some(AssetFile {
                zstd: false,
                offset,
                stored_len: len,
                raw_len: len,
                sha256: [0; 32],
            }),
        };
        let ok = [dir("a"), file("a-b", 0, 4), file("a/x", 4, 4)];
        assert!(check_table(&ok, Some(8)).is_ok());
        assert!(check_table(&ok, Some(7)).is_err());
        assert!(check_table(&ok, None).is_err());
        assert!(check_table(&[file("a/x", 0, 1)], Some(1)).is_err());
        assert!(check_table(&[dir("b"), dir("a")], None).is_err());
        assert!(check_table(&[dir("a"), dir("a")], None).is_err());
        assert!(check_table(&[file("a", 0, 1), file("a/x", 0, 1)], Some(1)).is_err());
    }

    #[test]
    fn a_damaged_file_is_refused_before_decompression() {
        let raw = b"hello, assets".repeat(20);
        let stored = zstd::bulk::compress(&raw, 3).unwrap();
        let (mut section, table) = layout(vec![
            ("d".into(), None),
            ("d/f".into(), Some((stored, true, raw.len() as u64))),
        ]);
        assert_eq!(read_asset(&section, &table[1]).unwrap(), raw);
        assert!(read_asset(&section, &table[0]).is_err());
        section[5] ^= 1;
        let e = read_asset(&section, &table[1]).unwrap_err().to_string();
        assert!(e.contains("`/app/d/f` does not match its SHA-256"), "{e}");
    }
}
