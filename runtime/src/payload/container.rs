//! Placing a payload in an executable and finding it again.
//!
//! Every bundle ends with a 24-byte locator that points at the payload. For
//! ELF64 little-endian stubs, the payload is also described by a section
//! header named `.nyash`. To add it, a new copy of `.shstrtab` and of the
//! section header table is written after the payload, and `e_shoff`,
//! `e_shnum` and the string table's header are updated. The program headers,
//! which are all the kernel reads, are untouched. `strip` keeps such a
//! section and drops the locator, so a stripped bundle is found through the
//! section table.
//!
//! The ELF code is written here by hand rather than with the `object` crate:
//! the stub must parse a few fixed fields at start-up, and a reader that is
//! 60 lines and adds nothing to the stub's size is worth more than a general
//! one.

use super::{PayloadError, ELF_SECTION_NAME};

const LOCATOR_MAGIC: &[u8; 8] = b"NYASHEND";
const LOCATOR_LEN: u64 = 24;
const ELF_HEADER_LEN: usize = 64;
const SECTION_HEADER_LEN: usize = 64;
const SHT_PROGBITS: u32 = 1;

/// Positional reads from a file, as the stub and the bundler need them.
pub trait ReadAt {
    /// Fills `buf` from `offset`, failing if the file ends first.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;
    /// The length of the file.
    fn size(&self) -> std::io::Result<u64>;
}

impl ReadAt for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
        }
        #[cfg(windows)]
        {
            let mut done = 0;
            while done < buf.len() {
                let n = std::os::windows::fs::FileExt::seek_read(
                    self,
                    &mut buf[done..],
                    offset + done as u64,
                )?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                done += n;
            }
            Ok(())
        }
    }

    fn size(&self) -> std::io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| std::io::ErrorKind::UnexpectedEof)?;
        let src = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn size(&self) -> std::io::Result<u64> {
        Ok(self.len() as u64)
    }
}

/// Where a payload lies in a file, and how it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// The offset of the first payload byte.
    pub offset: u64,
    /// The payload length.
    pub len: u64,
    /// True when found through the locator at the end of the file; false
    /// when found through the ELF section table (after `strip`).
    pub via_locator: bool,
}

fn locator(payload_off: u64, payload_len: u64) -> Vec<u8> {
    let mut l = Vec::with_capacity(LOCATOR_LEN as usize);
    l.extend_from_slice(&payload_off.to_le_bytes());
    l.extend_from_slice(&payload_len.to_le_bytes());
    l.extend_from_slice(LOCATOR_MAGIC);
    l
}

/// Returns the bundle: `stub` with `payload` attached. A signed Mach-O stub
/// gets the payload under a new ad-hoc signature (see `macho.rs`).
pub fn attach(stub: &[u8], payload: &[u8]) -> Vec<u8> {
    if let Some(signed) =
        super::macho::attach_signed(stub, payload, |off| locator(off, payload.len() as u64))
    {
        return signed;
    }
    let mut out = stub.to_vec();
    out.resize(out.len().next_multiple_of(16), 0);
    let payload_off = out.len() as u64;
    out.extend_from_slice(payload);
    if let Some(elf) = Elf64::parse(stub) {
        add_elf_section(&mut out, stub, &elf, payload_off, payload.len() as u64);
    }
    out.extend_from_slice(&locator(payload_off, payload.len() as u64));
    out
}

/// Finds the payload in `file`.
pub fn locate(file: &(impl ReadAt + ?Sized)) -> Result<Location, PayloadError> {
    let file_len = file.size().map_err(PayloadError::Io)?;
    if let Some(found) = locator_ending_at(file, file_len)? {
        return Ok(found);
    }
    if let Some(cert_off) = pe_certificate_offset(file, file_len)? {
        // Authenticode signing appends the certificate table, aligned to 8
        // bytes, after the locator.
        for pad in 0..8 {
            if let Some(found) = locator_ending_at(file, cert_off.saturating_sub(pad))? {
                return Ok(found);
            }
        }
    }
    if let Some(sig_off) = macho_signature_offset(file, file_len)? {
        if let Some(found) = locator_ending_at(file, sig_off)? {
            return Ok(found);
        }
        return Err(PayloadError::NoPayload);
    }
    locate_elf_section(file, file_len)
}

/// Reads a locator whose last byte is just before `end`, if there is one.
fn locator_ending_at(
    file: &(impl ReadAt + ?Sized),
    end: u64,
) -> Result<Option<Location>, PayloadError> {
    if end < LOCATOR_LEN {
        return Ok(None);
    }
    let mut tail = [0u8; LOCATOR_LEN as usize];
    file.read_exact_at(&mut tail, end - LOCATOR_LEN)
        .map_err(PayloadError::Io)?;
    if &tail[16..] != LOCATOR_MAGIC {
        return Ok(None);
    }
    let offset = u64::from_le_bytes(tail[..8].try_into().expect("8 bytes"));
    let len = u64::from_le_bytes(tail[8..16].try_into().expect("8 bytes"));
    if offset
        .checked_add(len)
        .is_none_or(|payload_end| payload_end > end - LOCATOR_LEN)
    {
        return Err(PayloadError::Truncated(
            "the payload extends past the end of the file".into(),
        ));
    }
    Ok(Some(Location {
        offset,
        len,
        via_locator: true,
    }))
}

/// For an Authenticode-signed PE file, where its certificate table starts
/// (the security entry of the optional header's data directory).
fn pe_certificate_offset(
    file: &(impl ReadAt + ?Sized),
    file_len: u64,
) -> Result<Option<u64>, PayloadError> {
    let mut dos = [0u8; 64];
    if file_len < 64 {
        return Ok(None);
    }
    file.read_exact_at(&mut dos, 0).map_err(PayloadError::Io)?;
    if &dos[..2] != b"MZ" {
        return Ok(None);
    }
    let pe = u32::from_le_bytes(dos[0x3c..0x40].try_into().expect("4 bytes")) as u64;
    let mut header = [0u8; 24 + 2];
    if pe + 26 > file_len {
        return Ok(None);
    }
    file.read_exact_at(&mut header, pe)
        .map_err(PayloadError::Io)?;
    if &header[..4] != b"PE\0\0" {
        return Ok(None);
    }
    let optional = pe + 24;
    let magic = u16::from_le_bytes([header[24], header[25]]);
    let directories = optional + if magic == 0x20b { 112 } else { 96 };
    let mut entry = [0u8; 8];
    if directories + 4 * 8 + 8 > file_len {
        return Ok(None);
    }
    file.read_exact_at(&mut entry, directories + 4 * 8)
        .map_err(PayloadError::Io)?;
    let offset = u32::from_le_bytes(entry[..4].try_into().expect("4 bytes")) as u64;
    let size = u32::from_le_bytes(entry[4..].try_into().expect("4 bytes")) as u64;
    Ok((size > 0 && offset > 0 && offset <= file_len).then_some(offset))
}

/// For a signed Mach-O file, where its code signature starts.
fn macho_signature_offset(
    file: &(impl ReadAt + ?Sized),
    file_len: u64,
) -> Result<Option<u64>, PayloadError> {
    let mut header = [0u8; 32];
    if file_len < 32 {
        return Ok(None);
    }
    file.read_exact_at(&mut header, 0)
        .map_err(PayloadError::Io)?;
    if !super::macho::is_macho(&header) {
        return Ok(None);
    }
    let commands_len = u32::from_le_bytes(header[20..24].try_into().expect("4 bytes")) as u64;
    if 32 + commands_len > file_len {
        return Err(PayloadError::Truncated(
            "the load commands extend past the end of the file".into(),
        ));
    }
    let mut commands = vec![0u8; 32 + commands_len as usize];
    file.read_exact_at(&mut commands, 0)
        .map_err(PayloadError::Io)?;
    match super::macho::signature_offset(&commands) {
        Some(off) if off > file_len => Err(PayloadError::Truncated(
            "the code signature starts past the end of the file".into(),
        )),
        other => Ok(other),
    }
}

fn locate_elf_section(
    file: &(impl ReadAt + ?Sized),
    file_len: u64,
) -> Result<Location, PayloadError> {
    let mut header = [0u8; ELF_HEADER_LEN];
    if file_len < ELF_HEADER_LEN as u64 {
        return Err(PayloadError::NoPayload);
    }
    file.read_exact_at(&mut header, 0)
        .map_err(PayloadError::Io)?;
    let Some(elf) = Elf64::parse(&header) else {
        return Err(PayloadError::NoPayload);
    };
    let table_len = elf.shnum as u64 * SECTION_HEADER_LEN as u64;
    if elf
        .shoff
        .checked_add(table_len)
        .is_none_or(|end| end > file_len)
    {
        return Err(PayloadError::Truncated(
            "the section table extends past the end of the file".into(),
        ));
    }
    let mut table = vec![0u8; table_len as usize];
    file.read_exact_at(&mut table, elf.shoff)
        .map_err(PayloadError::Io)?;
    let headers: Vec<SectionHeader> = table
        .chunks_exact(SECTION_HEADER_LEN)
        .map(SectionHeader::parse)
        .collect();
    let Some(strtab) = headers.get(elf.shstrndx as usize) else {
        return Err(PayloadError::NoPayload);
    };
    if strtab
        .offset
        .checked_add(strtab.size)
        .is_none_or(|end| end > file_len)
    {
        return Err(PayloadError::Truncated(
            "the section name table extends past the end of the file".into(),
        ));
    }
    let mut names = vec![0u8; strtab.size as usize];
    file.read_exact_at(&mut names, strtab.offset)
        .map_err(PayloadError::Io)?;
    let wanted = ELF_SECTION_NAME.as_bytes();
    let found = headers.iter().find(|h| {
        names
            .get(h.name as usize..)
            .is_some_and(|rest| rest.starts_with(wanted) && rest.get(wanted.len()) == Some(&0))
    });
    let Some(section) = found else {
        return Err(PayloadError::NoPayload);
    };
    if section
        .offset
        .checked_add(section.size)
        .is_none_or(|end| end > file_len)
    {
        return Err(PayloadError::Truncated(
            "the payload extends past the end of the file".into(),
        ));
    }
    Ok(Location {
        offset: section.offset,
        len: section.size,
        via_locator: false,
    })
}

/// The fields of an ELF64 little-endian header that matter here.
struct Elf64 {
    shoff: u64,
    shnum: u16,
    shstrndx: u16,
}

impl Elf64 {
    fn parse(bytes: &[u8]) -> Option<Elf64> {
        let h = bytes.get(..ELF_HEADER_LEN)?;
        // Magic, 64-bit class, little-endian data.
        if &h[..4] != b"\x7fELF" || h[4] != 2 || h[5] != 1 {
            return None;
        }
        let shentsize = u16::from_le_bytes([h[0x3a], h[0x3b]]);
        let elf = Elf64 {
            shoff: u64::from_le_bytes(h[0x28..0x30].try_into().ok()?),
            shnum: u16::from_le_bytes([h[0x3c], h[0x3d]]),
            shstrndx: u16::from_le_bytes([h[0x3e], h[0x3f]]),
        };
        (shentsize as usize == SECTION_HEADER_LEN && elf.shnum > 0 && elf.shstrndx < elf.shnum)
            .then_some(elf)
    }
}

struct SectionHeader {
    name: u32,
    offset: u64,
    size: u64,
}

impl SectionHeader {
    fn parse(h: &[u8]) -> SectionHeader {
        SectionHeader {
            name: u32::from_le_bytes(h[0..4].try_into().expect("4 bytes")),
            offset: u64::from_le_bytes(h[0x18..0x20].try_into().expect("8 bytes")),
            size: u64::from_le_bytes(h[0x20..0x28].try_into().expect("8 bytes")),
        }
    }
}

/// Appends a new `.shstrtab` and section table that describe the payload as
/// the section `.nyash`, and points the ELF header at them. If the stub's
/// section table is unreadable, the bundle simply has no `.nyash` section.
fn add_elf_section(out: &mut Vec<u8>, stub: &[u8], elf: &Elf64, payload_off: u64, len: u64) {
    let table_start = elf.shoff as usize;
    let Some(old_table) = table_start
        .checked_add(elf.shnum as usize * SECTION_HEADER_LEN)
        .and_then(|end| stub.get(table_start..end))
    else {
        return;
    };
    let mut table = old_table.to_vec();
    let strtab_at = elf.shstrndx as usize * SECTION_HEADER_LEN;
    let old_strtab = SectionHeader::parse(&table[strtab_at..][..SECTION_HEADER_LEN]);
    let Some(old_names) = stub
        .get(old_strtab.offset as usize..)
        .and_then(|rest| rest.get(..old_strtab.size as usize))
    else {
        return;
    };

    let mut names = old_names.to_vec();
    let name_off = names.len() as u32;
    names.extend_from_slice(ELF_SECTION_NAME.as_bytes());
    names.push(0);
    let names_off = out.len() as u64;
    out.extend_from_slice(&names);
    table[strtab_at + 0x18..][..8].copy_from_slice(&names_off.to_le_bytes());
    table[strtab_at + 0x20..][..8].copy_from_slice(&(names.len() as u64).to_le_bytes());

    let mut header = [0u8; SECTION_HEADER_LEN];
    header[0..4].copy_from_slice(&name_off.to_le_bytes());
    header[4..8].copy_from_slice(&SHT_PROGBITS.to_le_bytes());
    header[0x18..0x20].copy_from_slice(&payload_off.to_le_bytes());
    header[0x20..0x28].copy_from_slice(&len.to_le_bytes());
    header[0x30..0x38].copy_from_slice(&16u64.to_le_bytes());
    table.extend_from_slice(&header);

    out.resize(out.len().next_multiple_of(8), 0);
    let new_shoff = out.len() as u64;
    out.extend_from_slice(&table);
    out[0x28..0x30].copy_from_slice(&new_shoff.to_le_bytes());
    out[0x3c..0x3e].copy_from_slice(&(elf.shnum + 1).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 file: header, a `.shstrtab`, and a two-entry table.
    fn tiny_elf() -> Vec<u8> {
        let mut f = vec![0u8; 64];
        f[..6].copy_from_slice(b"\x7fELF\x02\x01");
        let names = b"\0.shstrtab\0";
        let names_off = f.len() as u64;
        f.extend_from_slice(names);
        f.resize(f.len().next_multiple_of(8), 0);
        let shoff = f.len() as u64;
        f.extend_from_slice(&[0u8; 64]);
        let mut strtab = [0u8; 64];
        strtab[0..4].copy_from_slice(&1u32.to_le_bytes());
        strtab[4..8].copy_from_slice(&3u32.to_le_bytes());
        strtab[0x18..0x20].copy_from_slice(&names_off.to_le_bytes());
        strtab[0x20..0x28].copy_from_slice(&(names.len() as u64).to_le_bytes());
        f.extend_from_slice(&strtab);
        f[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        f[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        f[0x3c..0x3e].copy_from_slice(&2u16.to_le_bytes());
        f[0x3e..0x40].copy_from_slice(&1u16.to_le_bytes());
        f
    }

    #[test]
    fn found_by_locator_and_by_section_table() {
        let stub = tiny_elf();
        let bundle = attach(&stub, b"PAYLOAD!");
        let loc = locate(&bundle[..]).unwrap();
        assert!(loc.via_locator);
        assert_eq!(
            &bundle[loc.offset as usize..][..loc.len as usize],
            b"PAYLOAD!"
        );

        // Without the locator (as after `strip`), the section table finds it.
        let stripped = &bundle[..bundle.len() - LOCATOR_LEN as usize];
        let loc2 = locate(stripped).unwrap();
        assert!(!loc2.via_locator);
        assert_eq!((loc2.offset, loc2.len), (loc.offset, loc.len));
    }

    #[test]
    fn bare_stub_and_truncation() {
        let stub = tiny_elf();
        assert!(matches!(locate(&stub[..]), Err(PayloadError::NoPayload)));
        assert!(matches!(
            locate(&b"not an elf"[..]),
            Err(PayloadError::NoPayload)
        ));
        let bundle = attach(&stub, &[1u8; 100]);
        let cut = &bundle[..bundle.len() - 40];
        assert!(matches!(locate(cut), Err(PayloadError::Truncated(_))));
    }

    #[test]
    fn non_elf_stub_gets_plain_append() {
        let bundle = attach(b"MZ-not-elf", b"data");
        let loc = locate(&bundle[..]).unwrap();
        assert_eq!(&bundle[loc.offset as usize..][..4], b"data");
    }
}
