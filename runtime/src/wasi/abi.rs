//! WASI preview 1 constants and access to guest memory.
//!
//! Values and struct layouts follow the `wasi_snapshot_preview1` witx
//! definitions (wasm32: pointers and sizes are 32 bits).

use std::io;

/// A WASI error number.
pub type Errno = u16;

pub const SUCCESS: Errno = 0;
pub const ACCES: Errno = 2;
pub const BADF: Errno = 8;
pub const EXIST: Errno = 20;
pub const FAULT: Errno = 21;
pub const FBIG: Errno = 22;
pub const ILSEQ: Errno = 25;
pub const INVAL: Errno = 28;
pub const IO: Errno = 29;
pub const ISDIR: Errno = 31;
pub const LOOP: Errno = 32;
pub const NAMETOOLONG: Errno = 37;
pub const NOENT: Errno = 44;
pub const NOSPC: Errno = 51;
pub const NOSYS: Errno = 52;
pub const NOTDIR: Errno = 54;
pub const NOTEMPTY: Errno = 55;
pub const NOTSUP: Errno = 58;
pub const PERM: Errno = 63;
pub const PIPE: Errno = 64;
pub const ROFS: Errno = 69;
pub const SPIPE: Errno = 70;
pub const XDEV: Errno = 75;
pub const NOTCAPABLE: Errno = 76;

pub const FILETYPE_UNKNOWN: u8 = 0;
pub const FILETYPE_CHARACTER_DEVICE: u8 = 2;
pub const FILETYPE_DIRECTORY: u8 = 3;
pub const FILETYPE_REGULAR_FILE: u8 = 4;
pub const FILETYPE_SYMBOLIC_LINK: u8 = 7;

pub const OFLAGS_CREAT: i32 = 1;
pub const OFLAGS_DIRECTORY: i32 = 2;
pub const OFLAGS_EXCL: i32 = 4;
pub const OFLAGS_TRUNC: i32 = 8;
pub const FDFLAGS_APPEND: i32 = 1;
pub const LOOKUPFLAGS_SYMLINK_FOLLOW: i32 = 1;
pub const RIGHTS_FD_READ: i64 = 1 << 1;
pub const RIGHTS_FD_WRITE: i64 = 1 << 6;

pub const CLOCK_REALTIME: i32 = 0;
pub const CLOCK_MONOTONIC: i32 = 1;
pub const CLOCK_PROCESS_CPUTIME: i32 = 2;
pub const CLOCK_THREAD_CPUTIME: i32 = 3;

/// Maps a host I/O error to the closest WASI error number.
pub fn errno_of(e: &io::Error) -> Errno {
    use io::ErrorKind::*;
    match e.kind() {
        NotFound => NOENT,
        PermissionDenied => ACCES,
        AlreadyExists => EXIST,
        InvalidInput => INVAL,
        IsADirectory => ISDIR,
        NotADirectory => NOTDIR,
        DirectoryNotEmpty => NOTEMPTY,
        ReadOnlyFilesystem => ROFS,
        StorageFull => NOSPC,
        CrossesDevices => XDEV,
        InvalidFilename => NAMETOOLONG,
        FileTooLarge => FBIG,
        NotSeekable => SPIPE,
        BrokenPipe => PIPE,
        Unsupported => NOTSUP,
        _ => IO,
    }
}

/// The guest's linear memory, with bounds-checked accessors. Every failed
/// check is the WASI error `FAULT`, never a host panic.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: i32, len: usize) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as u32 as usize;
        let end = start.checked_add(len).ok_or(FAULT)?;
        if end > self.bytes.len() {
            return Err(FAULT);
        }
        Ok(start..end)
    }

    pub fn slice(&self, ptr: i32, len: usize) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r])
    }

    pub fn slice_mut(&mut self, ptr: i32, len: usize) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r])
    }

    pub fn put(&mut self, ptr: i32, bytes: &[u8]) -> Result<(), Errno> {
        self.slice_mut(ptr, bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    pub fn put_u32(&mut self, ptr: i32, value: u32) -> Result<(), Errno> {
        self.put(ptr, &value.to_le_bytes())
    }

    pub fn put_u64(&mut self, ptr: i32, value: u64) -> Result<(), Errno> {
        self.put(ptr, &value.to_le_bytes())
    }

    /// Reads an array of `(buf, len)` iovec pairs.
    pub fn iovecs(&self, ptr: i32, count: i32) -> Result<Vec<(i32, usize)>, Errno> {
        let count = count as u32 as usize;
        let raw = self.slice(ptr, count.checked_mul(8).ok_or(FAULT)?)?;
        let list: Vec<(i32, usize)> = raw
            .chunks_exact(8)
            .map(|c| {
                let buf = u32::from_le_bytes(c[..4].try_into().expect("4 bytes"));
                let len = u32::from_le_bytes(c[4..].try_into().expect("4 bytes"));
                (buf as i32, len as usize)
            })
            .collect();
        for &(buf, len) in &list {
            self.range(buf, len)?;
        }
        Ok(list)
    }

    /// Reads a guest path as UTF-8.
    pub fn path(&self, ptr: i32, len: i32) -> Result<String, Errno> {
        let bytes = self.slice(ptr, len as u32 as usize)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| ILSEQ)
    }
}

#[cfg(test)]
mod tests {
    /// Spot checks against the preview 1 `errno` enumeration, where
    /// `protonosupport` (66) and `prototype` (67) come before `range` (68).
    #[test]
    fn errno_values_follow_preview_1() {
        use super::*;
        assert_eq!((NOSYS, NOTDIR, NOTEMPTY, NOTSUP), (52, 54, 55, 58));
        assert_eq!(
            (PERM, PIPE, ROFS, SPIPE, XDEV, NOTCAPABLE),
            (63, 64, 69, 70, 75, 76)
        );
    }
}
