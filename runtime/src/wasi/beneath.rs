//! Race-free path resolution inside a confined grant, on Linux.
//!
//! Every directory descriptor of a confined grant holds an [`Anchor`]: an
//! `O_PATH` descriptor of the host directory itself, not its name. A guest
//! path is resolved with `openat2(anchor, parent, RESOLVE_BENEATH)`, so the
//! kernel, not a check made before, refuses any step that would leave the
//! anchor (`..` above it, an absolute path, a symlink that leads out). What
//! the operation then touches is named `/proc/self/fd/P/NAME`: `P` is the
//! parent directory just opened, so a directory renamed or swapped for a
//! symlink in the meantime cannot redirect it, and `NAME` is one plain
//! component that the host never follows (a final symlink is followed here,
//! by reading it and resolving its target beneath the anchor again).
//!
//! The calls keep their path-based form (`std::fs` on the returned path) and
//! stay the same on every platform; only what a path names changes. Where
//! `openat2` or `/proc` is missing (Linux before 5.6, a seccomp filter, no
//! procfs) [`available`] is false and `files.rs` walks the path itself.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::abi::*;

/// How many symlinks one lookup may follow before it gives `LOOP`.
const MAX_SYMLINKS: usize = 40;

/// An `O_PATH` descriptor of a host directory; the host path
/// `/proc/self/fd/N` names that directory for as long as the anchor lives.
#[derive(Debug)]
pub struct Anchor(OwnedFd);

impl Anchor {
    /// Opens the directory at `host` (a trusted path: a grant's root, or a
    /// path this module returned).
    pub fn open(host: &Path, follow: bool) -> Result<Anchor, Errno> {
        let c = CString::new(host.as_os_str().as_bytes()).map_err(|_| INVAL)?;
        let mut flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
        if !follow {
            flags |= libc::O_NOFOLLOW;
        }
        // SAFETY: `c` is a NUL-terminated path that outlives the call.
        let fd = unsafe { libc::openat(libc::AT_FDCWD, c.as_ptr(), flags) };
        owned(fd).map(Anchor)
    }

    /// The host path that names this directory.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.0.as_raw_fd()))
    }

    fn raw(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Whether this kernel resolves beneath a descriptor and `/proc/self/fd`
/// names descriptors (asked once).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let Ok(root) = Anchor::open(Path::new("/"), true) else {
            return false;
        };
        beneath(&root, ".").is_ok() && root.path().join(".").is_dir()
    })
}

/// A path resolved beneath an anchor: `parent` keeps the host path valid.
pub struct Beneath {
    /// `/proc/self/fd/P/NAME`, or `/proc/self/fd/P` when the path names the
    /// parent itself (it ends in `.` or `..`).
    pub host: PathBuf,
    /// Whether the host may follow `host`'s last component: only when it is
    /// the anchor's own `/proc` link (following that reaches the directory,
    /// never a name).
    pub follow: bool,
    /// The parent directory's descriptor.
    pub parent: Anchor,
}

/// Resolves the guest path `path` (relative, trailing slashes removed)
/// beneath `base`. With `follow`, a final symlink is replaced by its target,
/// which must lie beneath `base` too.
pub fn resolve(base: &Anchor, path: &str, follow: bool) -> Result<Beneath, Errno> {
    if path.starts_with('/') {
        return Err(NOTCAPABLE);
    }
    let mut path = path.to_string();
    let mut links = 0;
    loop {
        let (parent, name) = match path.rsplit_once('/') {
            Some((parent, name)) => (parent, name),
            None => ("", path.as_str()),
        };
        let parent = if parent.is_empty() { "." } else { parent };
        if name.is_empty() || name == "." || name == ".." {
            // The path names a directory by `.` or `..`: anchor that directory.
            let dir = beneath(base, &path)?;
            return Ok(Beneath {
                host: dir.path(),
                follow: true,
                parent: dir,
            });
        }
        let dir = beneath(base, parent)?;
        if follow {
            match read_link_at(&dir, name) {
                Ok(target) => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(LOOP);
                    }
                    if target.is_empty() || target.starts_with('/') {
                        return Err(NOTCAPABLE);
                    }
                    path = format!("{parent}/{target}");
                    continue;
                }
                // Not a symlink, or nothing there yet: the name itself.
                Err(INVAL | NOENT) => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(Beneath {
            host: dir.path().join(name),
            follow: false,
            parent: dir,
        });
    }
}

/// `openat2(base, path, O_PATH | O_DIRECTORY, RESOLVE_BENEATH |
/// RESOLVE_NO_MAGICLINKS)`: the directory `path` names, never outside `base`.
fn beneath(base: &Anchor, path: &str) -> Result<Anchor, Errno> {
    let c = CString::new(path).map_err(|_| INVAL)?;
    // SAFETY: `open_how` is plain data; all-zero is its documented default.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
    // The kernel gives `EAGAIN` when a rename elsewhere raced a `..` step;
    // trying again is what it asks for.
    for _ in 0..16 {
        // SAFETY: `c` and `how` outlive the call, and the size is `how`'s.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                base.raw(),
                c.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        match owned(fd as RawFd) {
            Err(AGAIN) => continue,
            r => return r.map(Anchor),
        }
    }
    Err(AGAIN)
}

/// `readlinkat(dir, name)`: the symlink's target, `INVAL` if it is none.
fn read_link_at(dir: &Anchor, name: &str) -> Result<String, Errno> {
    let c = CString::new(name).map_err(|_| INVAL)?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` is writable for its length and `c` is NUL-terminated.
    let n = unsafe { libc::readlinkat(dir.raw(), c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(last_errno());
    }
    buf.truncate(n as usize);
    String::from_utf8(buf).map_err(|_| ILSEQ)
}

/// The descriptor a call returned, or its error: `EXDEV` (the kernel's
/// "outside the anchor") becomes `NOTCAPABLE`.
fn owned(fd: RawFd) -> Result<OwnedFd, Errno> {
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: the call just returned this descriptor, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn last_errno() -> Errno {
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EXDEV) => NOTCAPABLE,
        _ => errno_of(&e),
    }
}
