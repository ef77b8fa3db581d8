//! The bundle payload: what `nyash bundle` appends to the stub, and how the
//! stub finds and checks it.
//!
//! This module is the only place that knows the byte layout. The full
//! specification, with offsets, is `docs/payload-format.md`; in short, all
//! integers little-endian:
//!
//! ```text
//! bundle   := stub-executable payload [elf-section-table] locator
//! payload  := section-data* index trailer          (the ELF section `.nyash`)
//! trailer  := "NYASHPLD" version:u32 flags:u32 index_off:u64 index_len:u64 index_sha256:[32]
//! locator  := payload_off:u64 payload_len:u64 "NYASHEND"
//! ```
//!
//! For ELF stubs the payload is also registered as a non-allocated section
//! named `.nyash`, so the bundle survives `strip`, which drops the trailing
//! locator but keeps named sections. The stub looks for the locator first
//! (one read) and falls back to the ELF section table. For signed Mach-O
//! stubs (macOS) the payload and locator go under a new ad-hoc code
//! signature, and the locator ends where the signature starts (`macho.rs`).
//!
//! **Invariant:** every section carries a SHA-256 of its stored bytes and the
//! index carries a SHA-256 of itself. Readers verify them before any byte of a
//! section is decompressed or deserialized, because wasmtime does not detect a
//! corrupted artifact (a flipped byte in machine code loads and runs).

pub mod assets;
mod container;
mod error;
mod index;
mod macho;
#[cfg(any(test, feature = "fuzzing"))]
pub mod roundtrip;

pub use container::{attach, locate, Location, ReadAt};
pub use error::PayloadError;
pub use index::{
    encode, encode_with, encode_with_policy, parse, Compression, Extras, Index, Section,
    SectionInput, SectionKind,
};

/// The payload format version this build writes. Version 2 added the
/// file-system policy (`--dir` mappings) at the end of the index; version 3
/// the launch policy (`--env`, `--arg`, `--env-allow`, `--lock`) after it, and
/// the embedded files (`--include`): a section kind `assets` and the asset
/// table after the launch policy; version 4 the `--allow-read`/`--allow-write`
/// paths after the mappings (`fs_flags` bit 1), and the network policy
/// (`--allow-net`, `--deny-net`) after the launch policy.
pub const FORMAT_VERSION: u32 = 4;

/// The oldest payload format version this build still reads (for
/// `nyash inspect`; a launcher only ever carries its own version).
pub const OLDEST_READABLE_VERSION: u32 = 1;

/// The name of the ELF section that holds the payload.
pub const ELF_SECTION_NAME: &str = ".nyash";

/// Reads and checks the payload of the executable `file`, returning its
/// location, its index and the raw payload bytes.
///
/// Section hashes are not checked here; see [`Bundle::verify_all`].
pub fn read_bundle(file: &(impl ReadAt + ?Sized)) -> Result<Bundle, PayloadError> {
    let location = locate(file)?;
    let mut bytes = vec![0u8; location.len as usize];
    file.read_exact_at(&mut bytes, location.offset)
        .map_err(PayloadError::Io)?;
    let index = parse(&bytes)?;
    Ok(Bundle {
        location,
        index,
        bytes,
    })
}

/// As [`read_bundle`], but only the index is read (and checked): [`Bundle::bytes`]
/// spans the payload up to the end of the last code section (the bundler
/// writes the `assets` section after them) but holds zeros until
/// [`Bundle::read_section`] reads a section into place. The allocation is
/// zeroed lazily by the system, so sections never read cost neither reading
/// nor memory. The program's files are read from `file` when it opens each
/// ([`assets::read_asset_at`]). The launcher reads bundles this way, so it
/// reads and hashes only the section it runs, and a bundle with 100 MB of
/// embedded files starts about as fast as one without.
pub fn read_index_only(file: &(impl ReadAt + ?Sized)) -> Result<Bundle, PayloadError> {
    let location = locate(file)?;
    let len = location.len as usize;
    let read = |buf: &mut [u8], at: usize| {
        file.read_exact_at(buf, location.offset + at as u64)
            .map_err(PayloadError::Io)
    };
    let Some(trailer_at) = len.checked_sub(index::TRAILER_LEN) else {
        return Err(PayloadError::Corrupt("the payload is too short".into()));
    };
    let mut trailer = [0u8; index::TRAILER_LEN];
    read(&mut trailer, trailer_at)?;
    // Where the trailer says the index is; `parse_tail` checks it, with its hash.
    let index_off = u64::from_le_bytes(trailer[16..24].try_into().expect("8 bytes"));
    let tail_at = usize::try_from(index_off)
        .ok()
        .filter(|&at| at <= trailer_at)
        .ok_or_else(|| PayloadError::Corrupt("the index lies outside the payload".into()))?;
    let mut tail = vec![0u8; len - tail_at];
    read(&mut tail, tail_at)?;
    let index = index::parse_tail(len, tail_at, &tail)?;
    let code_end = index
        .sections
        .iter()
        .filter(|s| s.kind != SectionKind::Assets)
        .map(|s| (s.offset + s.stored_len) as usize)
        .max()
        .unwrap_or(0);
    let bytes = vec![0u8; code_end];
    Ok(Bundle {
        location,
        index,
        bytes,
    })
}

/// A payload read from a bundle, with its decoded index.
#[derive(Debug)]
pub struct Bundle {
    /// Where the payload was found in the file.
    pub location: Location,
    /// The decoded index.
    pub index: Index,
    /// The payload bytes (sections, index and trailer); from
    /// [`read_index_only`], only up to the end of the last code section, and
    /// only the sections [`Bundle::read_section`] has read.
    pub bytes: Vec<u8>,
}

impl Bundle {
    /// Reads the stored bytes of code section `i` from `file` into [`Bundle::bytes`],
    /// for a bundle from [`read_index_only`]. They are checked when they are used.
    pub fn read_section(
        &mut self,
        file: &(impl ReadAt + ?Sized),
        i: usize,
    ) -> Result<(), PayloadError> {
        let s = &self.index.sections[i];
        let at = s.offset as usize;
        let Some(dest) = self.bytes.get_mut(at..at + s.stored_len as usize) else {
            return Err(PayloadError::Corrupt(format!(
                "section {i} ({}) lies outside the payload",
                s.describe()
            )));
        };
        file.read_exact_at(dest, self.location.offset + at as u64)
            .map_err(PayloadError::Io)
    }

    /// The stored (possibly compressed) bytes of section `i`, after checking
    /// its SHA-256.
    pub fn stored(&self, i: usize) -> Result<&[u8], PayloadError> {
        let section = &self.index.sections[i];
        let bytes = &self.bytes[section.offset as usize..][..section.stored_len as usize];
        if index::sha256(bytes) != section.sha256 {
            return Err(PayloadError::Corrupt(format!(
                "section {i} ({}) does not match its SHA-256 checksum",
                section.describe()
            )));
        }
        Ok(bytes)
    }

    /// Checks the SHA-256 of every section.
    pub fn verify_all(&self) -> Result<(), PayloadError> {
        (0..self.index.sections.len()).try_for_each(|i| self.stored(i).map(drop))
    }

    /// The stored bytes of the `assets` section, unchecked as a whole (each
    /// file is checked by [`assets::read_asset`]); empty without one.
    pub fn asset_bytes(&self) -> &[u8] {
        match self.index.assets_section() {
            Some(i) => {
                let s = &self.index.sections[i];
                self.bytes
                    .get(s.offset as usize..(s.offset + s.stored_len) as usize)
                    .unwrap_or(&[])
            }
            None => &[],
        }
    }

    /// The original bytes of section `i`: checked, then decompressed.
    pub fn contents(&self, i: usize) -> Result<Vec<u8>, PayloadError> {
        let stored = self.stored(i)?;
        let section = &self.index.sections[i];
        match section.compression {
            Compression::None => Ok(stored.to_vec()),
            Compression::Zstd => {
                let raw =
                    zstd::bulk::decompress(stored, section.raw_len as usize).map_err(|e| {
                        PayloadError::Corrupt(format!(
                            "section {i} ({}) could not be decompressed: {e}",
                            section.describe()
                        ))
                    })?;
                if raw.len() as u64 != section.raw_len {
                    return Err(PayloadError::Corrupt(format!(
                        "section {i} ({}) decompressed to {} bytes, expected {}",
                        section.describe(),
                        raw.len(),
                        section.raw_len
                    )));
                }
                Ok(raw)
            }
        }
    }
}
