//! Mach-O launchers: placing the payload under the code signature.
//!
//! On Apple Silicon every executable must carry a valid code signature, and
//! bytes appended after the signature get the process killed. So for a
//! signed Mach-O stub the payload goes *inside* the signed range:
//!
//! ```text
//! [ stub up to its old signature ][ pad ][ payload ][ locator ][ new ad-hoc signature ]
//!                                  \________ grown __LINKEDIT segment ______________/
//! ```
//!
//! `__LINKEDIT` is grown to cover the payload and the new signature,
//! `LC_CODE_SIGNATURE` points at the new signature, and a fresh ad-hoc
//! CodeDirectory hashes every 4 KiB page up to it (the last, partial page
//! included). The locator ends exactly where the signature starts, so the
//! launcher finds it through `LC_CODE_SIGNATURE`. Unsigned Mach-O stubs
//! (x86_64 macOS does not require a signature) get a plain append.
//!
//! The new signature also carries the entitlements native code needs under
//! the hardened runtime ([`ENTITLEMENTS`]), as an XML plist and in the DER
//! form newer systems read, plus an empty requirement set, each hashed in its
//! special slot of the CodeDirectory, as `codesign -s - --entitlements` lays
//! them out. Without them a user who re-signs the bundle with
//! `--options runtime` and no entitlements file gets a process that is
//! killed the first time compiled code runs (`docs/release.md`).
//!
//! Layouts follow Apple's `cs_blobs.h`: all signature fields are big-endian,
//! Mach-O headers little-endian (arm64 and x86_64).

use sha2::{Digest, Sha256};

const MH_MAGIC_64: u32 = 0xfeed_facf;
const LC_SEGMENT_64: u32 = 0x19;
const LC_CODE_SIGNATURE: u32 = 0x1d;
const CSMAGIC_EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
const CSMAGIC_CODEDIRECTORY: u32 = 0xfade_0c02;
const CS_HASHTYPE_SHA256: u8 = 2;
const PAGE_SHIFT: u8 = 12;
const PAGE: usize = 1 << PAGE_SHIFT;
/// The size of a version 0x20400 CodeDirectory header.
const CD_HEADER_LEN: usize = 88;
const CSMAGIC_REQUIREMENTS: u32 = 0xfade_0c01;
const CSMAGIC_EMBEDDED_ENTITLEMENTS: u32 = 0xfade_7171;
const CSMAGIC_EMBEDDED_DER_ENTITLEMENTS: u32 = 0xfade_7172;
const CSSLOT_REQUIREMENTS: u32 = 2;
const CSSLOT_ENTITLEMENTS: u32 = 5;
const CSSLOT_DER_ENTITLEMENTS: u32 = 7;
/// Special slots -1 to -7 are hashed in the CodeDirectory (absent ones as zeros).
const SPECIAL_SLOTS: usize = 7;
/// `CS_ADHOC`: the signature is ad hoc.
const CS_ADHOC: u32 = 0x2;

/// The entitlements every signed bundle carries: wasmtime maps the code it
/// loads executable at run time, which the hardened runtime allows only with
/// these. Each is `true`; the keys are sorted, as the DER form requires.
pub const ENTITLEMENTS: [&str; 2] = [
    "com.apple.security.cs.allow-jit",
    "com.apple.security.cs.allow-unsigned-executable-memory",
];

/// The entitlements as an XML property list.
fn entitlements_xml() -> Vec<u8> {
    let mut xml = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n",
        "<plist version=\"1.0\">\n<dict>\n",
    ));
    for key in ENTITLEMENTS {
        xml += &format!("\t<key>{key}</key>\n\t<true/>\n");
    }
    xml += "</dict>\n</plist>\n";
    xml.into_bytes()
}

/// One DER element: tag, definite length, contents.
fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = contents.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// The entitlements in Apple's DER form: `[APPLICATION 16] { INTEGER 1,
/// [CONTEXT 16] { SEQUENCE { UTF8String key, BOOLEAN value }… } }`, the
/// dictionary's entries sorted by key.
fn entitlements_der() -> Vec<u8> {
    let mut dict = Vec::new();
    for key in ENTITLEMENTS {
        let mut entry = der(0x0c, key.as_bytes());
        entry.extend(der(0x01, &[0xff]));
        dict.extend(der(0x30, &entry));
    }
    let mut body = der(0x02, &[1]);
    body.extend(der(0xb0, &dict));
    der(0x70, &body)
}

/// A blob of the signature SuperBlob: magic, total length, contents.
fn blob(magic: u32, contents: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    out.extend_from_slice(&((8 + contents.len()) as u32).to_be_bytes());
    out.extend_from_slice(contents);
    out
}

/// What the signer needs from a Mach-O file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    linkedit_cmd: usize,
    linkedit_fileoff: u64,
    signature_cmd: usize,
    signature_off: u64,
    signature_len: u64,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// True when `bytes` starts like a 64-bit little-endian Mach-O file.
pub(crate) fn is_macho(bytes: &[u8]) -> bool {
    u32_at(bytes, 0) == Some(MH_MAGIC_64)
}

/// Finds `__LINKEDIT` and `LC_CODE_SIGNATURE` in the header and load
/// commands (`bytes` needs to hold only those). `None` for other files and
/// for unsigned Mach-O files.
pub(crate) fn layout(bytes: &[u8]) -> Option<Layout> {
    if !is_macho(bytes) {
        return None;
    }
    let ncmds = u32_at(bytes, 16)? as usize;
    let mut at = 32;
    let (mut linkedit, mut signature) = (None, None);
    for _ in 0..ncmds {
        let cmd = u32_at(bytes, at)?;
        let size = u32_at(bytes, at + 4)? as usize;
        if size < 8 {
            return None;
        }
        if cmd == LC_SEGMENT_64 && bytes.get(at + 8..at + 19)? == b"__LINKEDIT\0" {
            linkedit = Some((at, u64_at(bytes, at + 40)?));
        } else if cmd == LC_CODE_SIGNATURE {
            signature = Some((
                at,
                u32_at(bytes, at + 8)? as u64,
                u32_at(bytes, at + 12)? as u64,
            ));
        }
        at = at.checked_add(size)?;
    }
    let (linkedit_cmd, linkedit_fileoff) = linkedit?;
    let (signature_cmd, signature_off, signature_len) = signature?;
    Some(Layout {
        linkedit_cmd,
        linkedit_fileoff,
        signature_cmd,
        signature_off,
        signature_len,
    })
}

/// The offset where the code signature of a signed Mach-O file starts,
/// read from its header (the locator ends there).
pub(crate) fn signature_offset(header_and_commands: &[u8]) -> Option<u64> {
    layout(header_and_commands).map(|l| l.signature_off)
}

/// Attaches `payload` and `locator` to a signed Mach-O stub and re-signs it
/// ad hoc. `None` when the stub is not a signed Mach-O file.
pub(crate) fn attach_signed(
    stub: &[u8],
    payload: &[u8],
    locator: impl Fn(u64) -> Vec<u8>,
) -> Option<Vec<u8>> {
    let l = layout(stub)?;
    let old_sig =
        stub.get(l.signature_off as usize..(l.signature_off + l.signature_len) as usize)?;
    let old_cd = find_code_directory(old_sig)?;

    let mut out = stub[..l.signature_off as usize].to_vec();
    // Pad so that payload + locator end on a 16-byte boundary, where the
    // new signature starts.
    out.resize(out.len().next_multiple_of(16), 0);
    let tail = payload.len() + 24;
    out.resize(out.len() + (16 - tail % 16) % 16, 0);
    let payload_off = out.len() as u64;
    out.extend_from_slice(payload);
    out.extend_from_slice(&locator(payload_off));
    let sig_off = out.len();
    debug_assert_eq!(sig_off % 16, 0);

    let ident = cd_identifier(old_cd).unwrap_or_else(|| b"nyash".to_vec());
    // The linker's "linker-signed" flag does not describe a signature written
    // here, which carries entitlements: a plain ad-hoc signature, as
    // `codesign -s -` makes.
    let flags = CS_ADHOC;
    let exec_seg = old_cd
        .get(64..88)
        .map(|s| s.to_vec())
        .unwrap_or_else(|| vec![0; 24]);
    // The other blobs, in slot order: an empty requirement set and the
    // entitlements (XML, DER).
    let extra = [
        (
            CSSLOT_REQUIREMENTS,
            blob(CSMAGIC_REQUIREMENTS, &0u32.to_be_bytes()),
        ),
        (
            CSSLOT_ENTITLEMENTS,
            blob(CSMAGIC_EMBEDDED_ENTITLEMENTS, &entitlements_xml()),
        ),
        (
            CSSLOT_DER_ENTITLEMENTS,
            blob(CSMAGIC_EMBEDDED_DER_ENTITLEMENTS, &entitlements_der()),
        ),
    ];
    let pages = sig_off.div_ceil(PAGE);
    let hash_offset = CD_HEADER_LEN + ident.len() + 1 + SPECIAL_SLOTS * 32;
    let cd_len = hash_offset + pages * 32;
    let blob_count = 1 + extra.len();
    let header_len = 12 + 8 * blob_count;
    let sig_len = header_len + cd_len + extra.iter().map(|(_, b)| b.len()).sum::<usize>();

    // Update the header first: the page hashes cover it.
    let linkedit_size = sig_off as u64 + sig_len as u64 - l.linkedit_fileoff;
    let vmsize = linkedit_size.next_multiple_of(0x4000);
    out[l.linkedit_cmd + 32..l.linkedit_cmd + 40].copy_from_slice(&vmsize.to_le_bytes());
    out[l.linkedit_cmd + 48..l.linkedit_cmd + 56].copy_from_slice(&linkedit_size.to_le_bytes());
    out[l.signature_cmd + 8..l.signature_cmd + 12].copy_from_slice(&(sig_off as u32).to_le_bytes());
    out[l.signature_cmd + 12..l.signature_cmd + 16]
        .copy_from_slice(&(sig_len as u32).to_le_bytes());

    let mut sig = Vec::with_capacity(sig_len);
    for v in [
        CSMAGIC_EMBEDDED_SIGNATURE,
        sig_len as u32,
        blob_count as u32,
    ] {
        sig.extend_from_slice(&v.to_be_bytes());
    }
    // The index: the CodeDirectory (slot 0) right after it, then the others.
    let mut at = header_len + cd_len;
    sig.extend_from_slice(&0u32.to_be_bytes());
    sig.extend_from_slice(&(header_len as u32).to_be_bytes());
    for (slot, b) in &extra {
        sig.extend_from_slice(&slot.to_be_bytes());
        sig.extend_from_slice(&(at as u32).to_be_bytes());
        at += b.len();
    }
    for v in [
        CSMAGIC_CODEDIRECTORY,
        cd_len as u32,
        0x20400,
        flags,
        hash_offset as u32,
        CD_HEADER_LEN as u32,
        SPECIAL_SLOTS as u32,
        pages as u32,
        sig_off as u32,
    ] {
        sig.extend_from_slice(&v.to_be_bytes());
    }
    sig.extend_from_slice(&[32, CS_HASHTYPE_SHA256, 0, PAGE_SHIFT]);
    sig.extend_from_slice(&[0; 4 + 4 + 4 + 4]); // spare2, scatter, team, spare3
    sig.extend_from_slice(&0u64.to_be_bytes()); // codeLimit64 (unused below 4 GiB)
    sig.extend_from_slice(&exec_seg);
    sig.extend_from_slice(&ident);
    sig.push(0);
    // Special slot -N is stored N hashes before `hash_offset`: -7 first.
    for slot in (1..=SPECIAL_SLOTS as u32).rev() {
        match extra.iter().find(|(s, _)| *s == slot) {
            Some((_, b)) => sig.extend_from_slice(&Sha256::digest(b)),
            None => sig.extend_from_slice(&[0; 32]),
        }
    }
    for page in out.chunks(PAGE) {
        sig.extend_from_slice(&Sha256::digest(page));
    }
    for (_, b) in &extra {
        sig.extend_from_slice(b);
    }
    debug_assert_eq!(sig.len(), sig_len);
    out.extend_from_slice(&sig);
    Some(out)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The CodeDirectory blob inside an embedded-signature SuperBlob.
fn find_code_directory(sig: &[u8]) -> Option<&[u8]> {
    if be32(sig, 0)? != CSMAGIC_EMBEDDED_SIGNATURE {
        return None;
    }
    let count = be32(sig, 8)? as usize;
    (0..count).find_map(|i| {
        let off = be32(sig, 12 + 8 * i + 4)? as usize;
        let len = be32(sig, off + 4)? as usize;
        let blob = sig.get(off..off + len)?;
        (be32(blob, 0)? == CSMAGIC_CODEDIRECTORY).then_some(blob)
    })
}

fn cd_identifier(cd: &[u8]) -> Option<Vec<u8>> {
    let at = be32(cd, 20)? as usize;
    let rest = cd.get(at..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(rest[..end].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DER form, spelled out byte by byte for the two keys.
    #[test]
    fn der_entitlements_have_the_documented_shape() {
        let der = entitlements_der();
        assert_eq!(&der[..2], &[0x70, der.len() as u8 - 2]);
        assert_eq!(&der[2..5], &[0x02, 0x01, 0x01]);
        assert_eq!(der[5], 0xb0);
        let first = 2 + ENTITLEMENTS[0].len() + 3;
        assert_eq!(&der[7..9], &[0x30, first as u8]);
        assert_eq!(&der[9..11], &[0x0c, ENTITLEMENTS[0].len() as u8]);
        assert!(der.ends_with(b"executable-memory\x01\x01\xff"));
        let xml = String::from_utf8(entitlements_xml()).unwrap();
        assert!(xml.contains("<key>com.apple.security.cs.allow-jit</key>\n\t<true/>"));
    }
}
