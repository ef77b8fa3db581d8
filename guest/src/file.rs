//! FileBox (R14): `new FileBox(path)` with `read()`, `write(s)`, `append(s)`, `exists()`,
//! `delete()` and `copy(dest)`, through WASI calls on the preopened directory (fd 3), which
//! is the current directory. Relative paths are relative to it; the host refuses paths that
//! leave it. Every I/O failure raises an error naming the path.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::{arg_str, expect_args, unknown_method};
use crate::error::raise;
use crate::object::new_str;
use crate::value::Val;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    #[allow(clippy::too_many_arguments)]
    fn path_open(
        dirfd: u32,
        dirflags: u32,
        path: *const u8,
        path_len: u32,
        oflags: u32,
        rights_base: u64,
        rights_inheriting: u64,
        fdflags: u32,
        fd: *mut u32,
    ) -> u32;
    fn fd_read(fd: u32, iovs: *const [u32; 2], iovs_len: u32, nread: *mut u32) -> u32;
    fn fd_write(fd: u32, iovs: *const [u32; 2], iovs_len: u32, nwritten: *mut u32) -> u32;
    fn fd_close(fd: u32) -> u32;
    fn path_unlink_file(dirfd: u32, path: *const u8, path_len: u32) -> u32;
    fn path_filestat_get(dirfd: u32, flags: u32, path: *const u8, len: u32, out: *mut u64) -> u32;
}

const ROOT: u32 = 3;
const LOOKUP_FOLLOW: u32 = 1;
const OFLAGS_CREAT: u32 = 1;
const OFLAGS_TRUNC: u32 = 8;
const FDFLAGS_APPEND: u32 = 1;
const RIGHTS_READ: u64 = 1 << 1;
const RIGHTS_WRITE: u64 = 1 << 6;
const FILETYPE_DIRECTORY: u8 = 3;

const NOENT: u32 = 44;
const NOTDIR: u32 = 54;
const ISDIR: u32 = 31;

/// The reason for a WASI error number, in words.
fn reason(errno: u32) -> String {
    String::from(match errno {
        2 => "permission denied",
        20 => "file exists",
        25 => "invalid file name",
        29 => "input/output error",
        ISDIR => "is a directory",
        32 => "too many levels of symbolic links",
        37 => "file name too long",
        NOENT => "no such file or directory",
        51 => "no space left on device",
        NOTDIR => "not a directory",
        63 => "operation not permitted",
        69 => "read-only file system",
        76 => "not allowed by the bundle's file-system policy (`nyash bundle --dir`, `--allow-read`, `--allow-write`)",
        other => return format!("error {other}"),
    })
}

fn fail(what: &str, path: &str, errno: u32) -> Option<()> {
    raise(format!("Cannot {what} '{path}': {}", reason(errno)));
    None
}

/// The file type of `path` (following symlinks), or the errno.
fn filetype(path: &str) -> Result<u8, u32> {
    let mut stat = [0u64; 8];
    let e = unsafe {
        path_filestat_get(
            ROOT,
            LOOKUP_FOLLOW,
            path.as_ptr(),
            path.len() as u32,
            stat.as_mut_ptr(),
        )
    };
    if e != 0 {
        return Err(e);
    }
    Ok(stat[2] as u8)
}

fn open(path: &str, oflags: u32, rights: u64, fdflags: u32) -> Result<u32, u32> {
    let mut fd = 0u32;
    let e = unsafe {
        path_open(
            ROOT,
            LOOKUP_FOLLOW,
            path.as_ptr(),
            path.len() as u32,
            oflags,
            rights,
            0,
            fdflags,
            &mut fd,
        )
    };
    if e != 0 {
        return Err(e);
    }
    Ok(fd)
}

/// The bytes of the file at `path`.
fn read_bytes(path: &str) -> Result<Vec<u8>, u32> {
    if filetype(path)? == FILETYPE_DIRECTORY {
        return Err(ISDIR);
    }
    let fd = open(path, 0, RIGHTS_READ, 0)?;
    let mut out = Vec::new();
    let mut chunk = alloc::vec![0u8; 1 << 16];
    let result = loop {
        let iov = [chunk.as_mut_ptr() as u32, chunk.len() as u32];
        let mut n = 0u32;
        let e = unsafe { fd_read(fd, &iov, 1, &mut n) };
        if e != 0 {
            break Err(e);
        }
        if n == 0 {
            break Ok(());
        }
        out.extend_from_slice(&chunk[..n as usize]);
    };
    unsafe { fd_close(fd) };
    result.map(|()| out)
}

/// Replaces (or, with `append`, extends) the file at `path`, creating it when missing.
fn write_bytes(path: &str, mut bytes: &[u8], append: bool) -> Result<(), u32> {
    if filetype(path) == Ok(FILETYPE_DIRECTORY) {
        return Err(ISDIR);
    }
    let (oflags, fdflags) = if append {
        (OFLAGS_CREAT, FDFLAGS_APPEND)
    } else {
        (OFLAGS_CREAT | OFLAGS_TRUNC, 0)
    };
    let fd = open(path, oflags, RIGHTS_WRITE, fdflags)?;
    let mut result = Ok(());
    while !bytes.is_empty() {
        let iov = [bytes.as_ptr() as u32, bytes.len() as u32];
        let mut n = 0u32;
        let e = unsafe { fd_write(fd, &iov, 1, &mut n) };
        if e != 0 || n == 0 {
            result = Err(if e != 0 { e } else { 29 });
            break;
        }
        bytes = &bytes[n as usize..];
    }
    let closed = unsafe { fd_close(fd) };
    result?;
    if closed != 0 {
        return Err(closed);
    }
    Ok(())
}

/// Writes `text` to `path` (DebugBox `saveToFile`); raises on failure.
pub fn save(path: &str, text: &str) -> Option<()> {
    match write_bytes(path, text.as_bytes(), false) {
        Ok(()) => Some(()),
        Err(e) => fail("write", path, e),
    }
}

fn ok() -> Val {
    crate::array::ok()
}

/// FileBox methods.
pub fn call(path: &str, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "read" => {
            expect_args(name, args, 0)?;
            match read_bytes(path) {
                Ok(bytes) => new_str(String::from_utf8_lossy(&bytes).into_owned()),
                Err(e) => {
                    fail("read", path, e)?;
                    return None;
                }
            }
        }
        "write" | "append" => {
            expect_args(name, args, 1)?;
            let text = arg_str(name, &args[0])?;
            let append = name == "append";
            match write_bytes(path, text.as_bytes(), append) {
                Ok(()) => ok(),
                Err(e) => {
                    fail(if append { "append to" } else { "write" }, path, e)?;
                    return None;
                }
            }
        }
        "exists" => {
            expect_args(name, args, 0)?;
            match filetype(path) {
                Ok(_) => Val::bool(true),
                Err(NOENT | NOTDIR) => Val::bool(false),
                Err(e) => {
                    fail("check", path, e)?;
                    return None;
                }
            }
        }
        "delete" => {
            expect_args(name, args, 0)?;
            let e = unsafe { path_unlink_file(ROOT, path.as_ptr(), path.len() as u32) };
            if e != 0 {
                fail("delete", path, e)?;
            }
            ok()
        }
        "copy" => {
            expect_args(name, args, 1)?;
            let dest = arg_str(name, &args[0])?;
            let copied = read_bytes(path)
                .map_err(|e| (path, e))
                .and_then(|bytes| write_bytes(dest, &bytes, false).map_err(|e| (dest, e)));
            if let Err((which, e)) = copied {
                raise(format!(
                    "Cannot copy '{path}' to '{dest}': '{which}': {}",
                    reason(e)
                ));
                return None;
            }
            ok()
        }
        "path" | "getPath" => {
            expect_args(name, args, 0)?;
            new_str(path.into())
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(format!("FileBox({path})"))
        }
        _ => return unknown_method("FileBox", name),
    };
    Some(r)
}
