//! WASI preview 1 constants and access to guest memory.
//!
//! Values and struct layouts follow the `wasi_snapshot_preview1` witx
//! definitions (wasm32: pointers and sizes are 32 bits).

// The table is complete; off Unix some numbers have no host error mapped to them.
#![cfg_attr(not(unix), allow(dead_code))]

use std::io;

/// A WASI error number.
pub type Errno = u16;

pub const SUCCESS: Errno = 0;
pub const TOOBIG: Errno = 1;
pub const ACCES: Errno = 2;
pub const AGAIN: Errno = 6;
pub const BADF: Errno = 8;
pub const BUSY: Errno = 10;
pub const EXIST: Errno = 20;
pub const FAULT: Errno = 21;
pub const FBIG: Errno = 22;
pub const ILSEQ: Errno = 25;
pub const INTR: Errno = 27;
pub const INVAL: Errno = 28;
pub const IO: Errno = 29;
pub const ISDIR: Errno = 31;
pub const LOOP: Errno = 32;
pub const MFILE: Errno = 33;
pub const MLINK: Errno = 34;
pub const NAMETOOLONG: Errno = 37;
pub const NOENT: Errno = 44;
pub const NOMEM: Errno = 48;
pub const NOSPC: Errno = 51;
pub const NOSYS: Errno = 52;
pub const NOTDIR: Errno = 54;
pub const NOTEMPTY: Errno = 55;
pub const NOTSOCK: Errno = 57;
pub const NOTSUP: Errno = 58;
pub const PERM: Errno = 63;
pub const PIPE: Errno = 64;
pub const ROFS: Errno = 69;
pub const SPIPE: Errno = 70;
pub const TXTBSY: Errno = 74;
pub const XDEV: Errno = 75;
pub const NOTCAPABLE: Errno = 76;

pub const FILETYPE_UNKNOWN: u8 = 0;
pub const FILETYPE_BLOCK_DEVICE: u8 = 1;
pub const FILETYPE_CHARACTER_DEVICE: u8 = 2;
pub const FILETYPE_DIRECTORY: u8 = 3;
pub const FILETYPE_REGULAR_FILE: u8 = 4;
pub const FILETYPE_SOCKET_STREAM: u8 = 6;
pub const FILETYPE_SYMBOLIC_LINK: u8 = 7;

pub const OFLAGS_CREAT: i32 = 1;
pub const OFLAGS_DIRECTORY: i32 = 2;
pub const OFLAGS_EXCL: i32 = 4;
pub const OFLAGS_TRUNC: i32 = 8;
pub const FDFLAGS_APPEND: u16 = 1;
/// Every defined fd flag: `APPEND`, `DSYNC`, `NONBLOCK`, `RSYNC`, `SYNC`.
pub const FDFLAGS_ALL: u16 = 0x1f;
pub const LOOKUPFLAGS_SYMLINK_FOLLOW: i32 = 1;

pub const FSTFLAGS_ATIM: i32 = 1;
pub const FSTFLAGS_ATIM_NOW: i32 = 2;
pub const FSTFLAGS_MTIM: i32 = 4;
pub const FSTFLAGS_MTIM_NOW: i32 = 8;

// Rights (`fs_rights_base` bits).
pub const RIGHT_FD_DATASYNC: u64 = 1 << 0;
pub const RIGHT_FD_READ: u64 = 1 << 1;
pub const RIGHT_FD_SEEK: u64 = 1 << 2;
pub const RIGHT_FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
pub const RIGHT_FD_SYNC: u64 = 1 << 4;
pub const RIGHT_FD_TELL: u64 = 1 << 5;
pub const RIGHT_FD_WRITE: u64 = 1 << 6;
pub const RIGHT_FD_ADVISE: u64 = 1 << 7;
pub const RIGHT_FD_ALLOCATE: u64 = 1 << 8;
pub const RIGHT_PATH_CREATE_DIRECTORY: u64 = 1 << 9;
pub const RIGHT_PATH_CREATE_FILE: u64 = 1 << 10;
pub const RIGHT_PATH_LINK_SOURCE: u64 = 1 << 11;
pub const RIGHT_PATH_LINK_TARGET: u64 = 1 << 12;
pub const RIGHT_PATH_OPEN: u64 = 1 << 13;
pub const RIGHT_FD_READDIR: u64 = 1 << 14;
pub const RIGHT_PATH_READLINK: u64 = 1 << 15;
pub const RIGHT_PATH_RENAME_SOURCE: u64 = 1 << 16;
pub const RIGHT_PATH_RENAME_TARGET: u64 = 1 << 17;
pub const RIGHT_PATH_FILESTAT_GET: u64 = 1 << 18;
pub const RIGHT_PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
pub const RIGHT_PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
pub const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
pub const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
pub const RIGHT_FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
pub const RIGHT_PATH_SYMLINK: u64 = 1 << 24;
pub const RIGHT_PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
pub const RIGHT_PATH_UNLINK_FILE: u64 = 1 << 26;
pub const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;

/// The rights of an open file opened for reading and writing.
pub const FILE_RIGHTS: u64 = RIGHT_FD_DATASYNC
    | RIGHT_FD_READ
    | RIGHT_FD_SEEK
    | RIGHT_FD_FDSTAT_SET_FLAGS
    | RIGHT_FD_SYNC
    | RIGHT_FD_TELL
    | RIGHT_FD_WRITE
    | RIGHT_FD_ADVISE
    | RIGHT_FD_ALLOCATE
    | RIGHT_FD_FILESTAT_GET
    | RIGHT_FD_FILESTAT_SET_SIZE
    | RIGHT_FD_FILESTAT_SET_TIMES
    | RIGHT_POLL_FD_READWRITE;
/// The rights that need a file opened for writing.
pub const FILE_WRITE_RIGHTS: u64 =
    RIGHT_FD_DATASYNC | RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE;
/// The rights of a file in a read-only grant.
pub const FILE_RIGHTS_RO: u64 = FILE_RIGHTS & !FILE_WRITE_RIGHTS & !RIGHT_FD_FILESTAT_SET_TIMES;
/// The rights of a directory descriptor.
pub const DIR_RIGHTS: u64 = RIGHT_FD_FDSTAT_SET_FLAGS
    | RIGHT_FD_SYNC
    | RIGHT_FD_ADVISE
    | RIGHT_PATH_CREATE_DIRECTORY
    | RIGHT_PATH_CREATE_FILE
    | RIGHT_PATH_LINK_SOURCE
    | RIGHT_PATH_LINK_TARGET
    | RIGHT_PATH_OPEN
    | RIGHT_FD_READDIR
    | RIGHT_PATH_READLINK
    | RIGHT_PATH_RENAME_SOURCE
    | RIGHT_PATH_RENAME_TARGET
    | RIGHT_PATH_FILESTAT_GET
    | RIGHT_PATH_FILESTAT_SET_SIZE
    | RIGHT_PATH_FILESTAT_SET_TIMES
    | RIGHT_FD_FILESTAT_GET
    | RIGHT_FD_FILESTAT_SET_TIMES
    | RIGHT_PATH_SYMLINK
    | RIGHT_PATH_REMOVE_DIRECTORY
    | RIGHT_PATH_UNLINK_FILE;
/// The rights of a directory descriptor in a read-only grant.
pub const DIR_RIGHTS_RO: u64 = RIGHT_FD_FDSTAT_SET_FLAGS
    | RIGHT_FD_SYNC
    | RIGHT_FD_ADVISE
    | RIGHT_PATH_OPEN
    | RIGHT_FD_READDIR
    | RIGHT_PATH_READLINK
    | RIGHT_PATH_FILESTAT_GET
    | RIGHT_FD_FILESTAT_GET;
/// stdin's rights. No `FD_SEEK`/`FD_TELL`: wasi-libc's `isatty` needs a
/// character device without them.
pub const STDIN_RIGHTS: u64 =
    RIGHT_FD_READ | RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_FILESTAT_GET | RIGHT_POLL_FD_READWRITE;
/// stdout's and stderr's rights.
pub const STDOUT_RIGHTS: u64 =
    RIGHT_FD_WRITE | RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_FILESTAT_GET | RIGHT_POLL_FD_READWRITE;

pub const CLOCK_REALTIME: i32 = 0;
pub const CLOCK_MONOTONIC: i32 = 1;
pub const CLOCK_PROCESS_CPUTIME: i32 = 2;
pub const CLOCK_THREAD_CPUTIME: i32 = 3;

/// Maps a host I/O error to the closest WASI error number: by the
/// operating system's own error number on Unix, else by kind.
pub fn errno_of(e: &io::Error) -> Errno {
    #[cfg(unix)]
    if let Some(code) = e.raw_os_error() {
        if let Some(errno) = errno_of_os(code) {
            return errno;
        }
    }
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

#[cfg(unix)]
fn errno_of_os(code: i32) -> Option<Errno> {
    Some(match code {
        libc::E2BIG => TOOBIG,
        libc::EACCES => ACCES,
        libc::EAGAIN => AGAIN,
        libc::EBADF => BADF,
        libc::EBUSY => BUSY,
        libc::EEXIST => EXIST,
        libc::EFAULT => FAULT,
        libc::EFBIG => FBIG,
        libc::EILSEQ => ILSEQ,
        libc::EINTR => INTR,
        libc::EINVAL => INVAL,
        libc::EIO => IO,
        libc::EISDIR => ISDIR,
        libc::ELOOP => LOOP,
        libc::EMFILE => MFILE,
        libc::EMLINK => MLINK,
        libc::ENAMETOOLONG => NAMETOOLONG,
        libc::ENOENT => NOENT,
        libc::ENOMEM => NOMEM,
        libc::ENOSPC => NOSPC,
        libc::ENOSYS => NOSYS,
        libc::ENOTDIR => NOTDIR,
        libc::ENOTEMPTY => NOTEMPTY,
        libc::ENOTSOCK => NOTSOCK,
        libc::ENOTSUP => NOTSUP,
        libc::EPERM => PERM,
        libc::EPIPE => PIPE,
        libc::EROFS => ROFS,
        libc::ESPIPE => SPIPE,
        libc::ETXTBSY => TXTBSY,
        libc::EXDEV => XDEV,
        _ => return None,
    })
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
