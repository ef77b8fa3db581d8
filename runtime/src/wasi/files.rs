//! The guest's file descriptors, the directories it is given, and path
//! resolution.
//!
//! Every directory descriptor belongs to a *grant*: a host directory the
//! program was given (a preopen). Two kinds exist (`crate::policy`):
//!
//! * the **default** grant, the working directory preopened as `.`, is not
//!   confined: a path is joined to the descriptor's host path and the host
//!   resolves it, so `..` may climb above the working directory and an
//!   absolute path names a host path, as for a native program;
//! * a **mapped** grant (`--dir HOST::GUEST`) is confined: [`Files::resolve`]
//!   refuses (`NOTCAPABLE`) any path that would leave the directory
//!   descriptor it is relative to: an absolute path, a `..` above it, or a
//!   symlink whose target does.
//!
//! On Linux the confinement is race-free: each directory descriptor of a
//! mapped grant holds an [`Anchor`] (an `O_PATH` descriptor of the directory
//! itself) and the kernel resolves beneath it (`beneath.rs`), so a host
//! process that swaps a directory for a symlink while the program uses it
//! cannot redirect a call outside. Elsewhere, or on a kernel without
//! `openat2`, [`walk`] checks each component before the call runs, which
//! such a concurrent swap could race (docs/host-abi.md).

use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;

use super::abi::*;
pub use super::allowed::Access;
use super::allowed::Allowed;
use super::assets::{AssetNode, AssetPath, Assets};
#[cfg(target_os = "linux")]
pub use super::beneath::Anchor;
use crate::policy::FsPolicy;

/// A directory the program was given.
pub struct Grant {
    /// The host directory as the policy names it (empty: the working
    /// directory).
    spec: PathBuf,
    /// Its host path, determined on first use.
    host: Option<PathBuf>,
    /// Only reading is allowed below it.
    pub read_only: bool,
    /// Paths may not leave the descriptor they are relative to.
    pub confined: bool,
}

/// Off Linux there are no anchors: confined paths are walked ([`walk`]).
#[cfg(not(target_os = "linux"))]
#[derive(Debug)]
pub enum Anchor {}

#[cfg(not(target_os = "linux"))]
impl Anchor {
    /// A path naming the directory (there is none: no anchor exists here).
    pub fn path(&self) -> PathBuf {
        match *self {}
    }
}

/// A snapshot of a directory's entries, taken when a listing starts (cookie
/// 0) and reused while it goes on, so removing entries during the listing
/// skips none and each call costs only the entries it returns.
pub struct Listing {
    /// `(name, file type, inode)`, `.` and `..` first, then sorted by name.
    pub entries: Vec<(Vec<u8>, u8, u64)>,
}

/// What a descriptor refers to.
pub enum Node {
    Stdin,
    Stdout,
    Stderr,
    /// A directory, by host path.
    Dir {
        host: PathBuf,
        /// In a confined grant on Linux, the directory itself; `host` is then
        /// its `/proc/self/fd` path.
        #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
        anchor: Option<Anchor>,
        grant: usize,
        /// The name given to the guest for a preopened directory.
        preopen: Option<String>,
        listing: Option<Listing>,
    },
    /// An open file.
    File {
        file: File,
        readable: bool,
        writable: bool,
    },
    /// An embedded directory or file (`--include`, `assets.rs`).
    Asset(AssetNode),
    /// A TCP socket (`net.rs`).
    Socket(super::net::Socket),
}

/// One open descriptor: what it is, its rights and its flags.
pub struct Descriptor {
    pub node: Node,
    /// `fs_rights_base`: what the descriptor may be used for.
    pub rights: u64,
    /// `fs_rights_inheriting`: what descriptors opened from it may get.
    pub inheriting: u64,
    /// `fdflags` (`APPEND`, `NONBLOCK`, …), as set by the program.
    pub flags: u16,
}

impl Descriptor {
    fn stream(node: Node, rights: u64) -> Descriptor {
        Descriptor {
            node,
            rights,
            inheriting: 0,
            flags: 0,
        }
    }

    /// Fails with `NOTCAPABLE` unless every right in `needed` is held.
    pub fn require(&self, needed: u64) -> Result<(), Errno> {
        if self.rights & needed == needed {
            Ok(())
        } else {
            Err(NOTCAPABLE)
        }
    }
}

/// A path resolved to the host.
pub struct Resolved {
    /// The host path. Unless the lookup followed it, a final symlink is
    /// named itself.
    pub host: PathBuf,
    /// Whether the call may let the host follow a symlink at `host`'s last
    /// component. False when the resolution already decided what it names
    /// (beneath an anchor): a symlink found there later is not followed.
    pub follow: bool,
    /// Under an allow list: the absolute path as the program named it, which
    /// a directory opened there keeps as its host path.
    pub lexical: Option<PathBuf>,
    /// Keeps an anchored `host` (`/proc/self/fd/…`) valid.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub anchor: Option<Anchor>,
    /// The grant it lies in.
    pub grant: usize,
    /// The guest path ended in `/`: the target must be a directory.
    pub trailing_slash: bool,
}

/// How many symlinks one lookup may follow before it gives `LOOP`.
const MAX_SYMLINKS: usize = 40;

/// The descriptor table and the grants.
pub struct Files {
    table: Vec<Option<Descriptor>>,
    pub grants: Vec<Grant>,
    /// The embedded files, if the program has any (preopened as `/app`).
    pub assets: Option<Assets>,
    /// `--allow-read`/`--allow-write`: where the default grant may be used.
    allowed: Option<Allowed>,
}

impl Files {
    /// Standard streams on 0–2 and the working directory as `.` on 3 (the
    /// default policy).
    pub fn new() -> Self {
        let mut files = Files {
            table: vec![
                Some(Descriptor::stream(Node::Stdin, STDIN_RIGHTS)),
                Some(Descriptor::stream(Node::Stdout, STDOUT_RIGHTS)),
                Some(Descriptor::stream(Node::Stderr, STDOUT_RIGHTS)),
            ],
            grants: Vec::new(),
            assets: None,
            allowed: None,
        };
        files.add_grant(PathBuf::new(), ".".into(), false, false, None, None);
        files
    }

    /// Replaces the default preopen by the policy's: the `--dir` mappings, in
    /// order, from fd 3 (each host directory must exist now), or none.
    pub fn set_policy(&mut self, policy: &FsPolicy) -> Result<(), String> {
        if policy.is_default() {
            return Ok(());
        }
        if !policy.allow.is_empty() {
            // The default preopen stays; the allow list restricts it.
            self.allowed = Allowed::new(policy);
            return Ok(());
        }
        self.table.truncate(3);
        self.grants.clear();
        for d in &policy.dirs {
            let host = std::fs::canonicalize(&d.host)
                .ok()
                .filter(|p| p.is_dir())
                .ok_or_else(|| {
                    format!(
                        "the directory `{}`, given to the program as `{}` by `--dir`, does not exist here",
                        d.host, d.guest
                    )
                })?;
            let anchor = root_anchor(&host);
            let host = anchor.as_ref().map_or(host, Anchor::path);
            self.add_grant(
                PathBuf::from(&d.host),
                d.guest.clone(),
                d.read_only,
                true,
                Some(host),
                anchor,
            );
        }
        Ok(())
    }

    /// Gives the program its embedded files: a read-only preopen named
    /// `/app` after the policy's (call after [`Files::set_policy`]), and
    /// every absolute `/app/…` path given to any directory descriptor.
    pub fn set_assets(&mut self, assets: Assets) {
        self.assets = Some(assets);
        self.table.push(Some(Descriptor {
            node: Node::Asset(AssetNode::Dir {
                entry: 0,
                preopen: true,
                listing: None,
            }),
            // The full rights, not the read-only ones: wasi-libc asks only for rights the
            // directory can pass on, so with read-only ones a write would open as a read and
            // fail later with `BADF`; this way it fails at the open, with `ROFS`.
            rights: DIR_RIGHTS,
            inheriting: DIR_RIGHTS | FILE_RIGHTS,
            flags: 0,
        }));
    }

    /// The hook into every path call: `Some` when `path`, relative to `fd`,
    /// names something in the embedded tree: `fd` is an embedded directory,
    /// or `path` is absolute under `/app` and `fd` is any directory (so a
    /// program that hands absolute paths to its first preopen, as the Nyash
    /// runtime does, finds them too). Checks that `fd` holds `right`.
    pub fn asset_lookup(
        &mut self,
        fd: i32,
        path: &str,
        right: u64,
    ) -> Result<Option<AssetPath>, Errno> {
        let has_assets = self.assets.is_some();
        let (base, relative) = match &self.get(fd)?.node {
            Node::Asset(AssetNode::Dir { entry, .. }) => match Assets::under_mount(path) {
                // An absolute `/app/…` path names the same entry from any directory.
                Some(rest) => (0, rest),
                None => (*entry, path),
            },
            Node::Asset(AssetNode::File { .. }) => return Err(NOTDIR),
            Node::Dir { .. } => match Assets::under_mount(path) {
                Some(rest) if has_assets => (0, rest),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        self.get(fd)?.require(right)?;
        let assets = self.assets.as_ref().ok_or(BADF)?;
        if relative.is_empty() {
            return Ok(Some(AssetPath {
                entry: Some(base),
                trailing_slash: path.ends_with('/'),
            }));
        }
        assets.lookup(base, relative).map(Some)
    }

    /// `path_open` of an embedded entry: a directory or a file, read-only
    /// (a write, `CREAT` of a missing name or `TRUNC` gives `ROFS`). The file's
    /// bytes are read (and, from a bundle, checked and decompressed) now.
    pub fn open_asset(
        &mut self,
        at: AssetPath,
        oflags: i32,
        rights: u64,
        inheriting: u64,
        fdflags: u16,
    ) -> Result<i32, Errno> {
        let assets = self.assets.as_ref().ok_or(BADF)?;
        let write = rights & FILE_WRITE_RIGHTS != 0 || fdflags & FDFLAGS_APPEND != 0;
        let creat = oflags & OFLAGS_CREAT != 0;
        let excl = oflags & OFLAGS_EXCL != 0;
        let trunc = oflags & OFLAGS_TRUNC != 0;
        let wants_dir = oflags & OFLAGS_DIRECTORY != 0;
        let Some(entry) = at.entry else {
            return Err(if creat { ROFS } else { NOENT });
        };
        if creat && excl {
            return Err(EXIST);
        }
        let is_dir = assets.filetype(entry) == FILETYPE_DIRECTORY;
        let node = if is_dir {
            if write || trunc {
                return Err(ISDIR);
            }
            AssetNode::Dir {
                entry,
                preopen: false,
                listing: None,
            }
        } else {
            if wants_dir || at.trailing_slash {
                return Err(NOTDIR);
            }
            if write || trunc {
                return Err(ROFS);
            }
            AssetNode::File {
                entry,
                data: assets.read(entry)?,
                pos: 0,
            }
        };
        let allowed = if is_dir { DIR_RIGHTS } else { FILE_RIGHTS_RO };
        Ok(self.insert(Descriptor {
            node: Node::Asset(node),
            rights: rights & allowed,
            inheriting: inheriting & (DIR_RIGHTS | FILE_RIGHTS),
            flags: fdflags,
        }))
    }

    /// The `filestat` of an embedded entry named by a path.
    pub fn asset_filestat(&self, at: &AssetPath) -> Result<[u8; 64], Errno> {
        let assets = self.assets.as_ref().ok_or(BADF)?;
        Ok(assets.filestat(at.entry.ok_or(NOENT)?))
    }

    /// The `filestat` of open descriptor `fd`, if it is an embedded entry.
    pub fn asset_fd_filestat(&mut self, fd: i32) -> Result<Option<[u8; 64]>, Errno> {
        let entry = match &self.get(fd)?.node {
            Node::Asset(AssetNode::Dir { entry, .. } | AssetNode::File { entry, .. }) => *entry,
            _ => return Ok(None),
        };
        let assets = self.assets.as_ref().ok_or(BADF)?;
        Ok(Some(assets.filestat(entry)))
    }

    /// The listing of embedded directory `entry`.
    pub fn asset_listing(&self, entry: usize) -> Result<Listing, Errno> {
        Ok(self.assets.as_ref().ok_or(BADF)?.listing(entry))
    }

    fn add_grant(
        &mut self,
        spec: PathBuf,
        name: String,
        read_only: bool,
        confined: bool,
        host: Option<PathBuf>,
        anchor: Option<Anchor>,
    ) {
        let grant = self.grants.len();
        self.grants.push(Grant {
            spec,
            host: host.clone(),
            read_only,
            confined,
        });
        let rights = if read_only { DIR_RIGHTS_RO } else { DIR_RIGHTS };
        self.table.push(Some(Descriptor {
            node: Node::Dir {
                // Filled in on first use (see `grant_host`), so that programs
                // that never touch files pay nothing for it.
                host: host.unwrap_or_default(),
                anchor,
                grant,
                preopen: Some(name),
                listing: None,
            },
            rights,
            inheriting: if read_only {
                DIR_RIGHTS_RO | FILE_RIGHTS_RO
            } else {
                DIR_RIGHTS | FILE_RIGHTS
            },
            flags: 0,
        }));
    }

    /// The host path of grant `g`.
    fn grant_host(&mut self, g: usize) -> Result<PathBuf, Errno> {
        let grant = self.grants.get_mut(g).ok_or(BADF)?;
        if grant.host.is_none() {
            let cwd = if grant.spec.as_os_str().is_empty() {
                std::env::current_dir().map_err(|_| NOENT)?
            } else {
                grant.spec.clone()
            };
            grant.host = Some(cwd);
        }
        Ok(grant.host.clone().expect("set above"))
    }

    pub fn get(&mut self, fd: i32) -> Result<&mut Descriptor, Errno> {
        self.table
            .get_mut(fd as u32 as usize)
            .and_then(Option::as_mut)
            .ok_or(BADF)
    }

    pub fn insert(&mut self, d: Descriptor) -> i32 {
        if let Some(free) = self.table.iter().skip(3).position(Option::is_none) {
            self.table[free + 3] = Some(d);
            (free + 3) as i32
        } else {
            self.table.push(Some(d));
            (self.table.len() - 1) as i32
        }
    }

    pub fn close(&mut self, fd: i32) -> Result<(), Errno> {
        let slot = self.table.get_mut(fd as u32 as usize).ok_or(BADF)?;
        if slot.take().is_none() {
            return Err(BADF);
        }
        Ok(())
    }

    pub fn renumber(&mut self, from: i32, to: i32) -> Result<(), Errno> {
        self.get(from)?;
        self.get(to)?;
        let d = self.table[from as u32 as usize].take();
        self.table[to as u32 as usize] = d;
        Ok(())
    }

    /// The host path and grant of directory descriptor `fd`.
    pub fn dir(&mut self, fd: i32) -> Result<(PathBuf, usize), Errno> {
        let grant = match &self.get(fd)?.node {
            Node::Dir { grant, .. } => *grant,
            _ => return Err(NOTDIR),
        };
        let root = self.grant_host(grant)?;
        match &mut self.get(fd)?.node {
            Node::Dir { host, .. } => {
                if host.as_os_str().is_empty() {
                    *host = root;
                }
                Ok((host.clone(), grant))
            }
            _ => Err(NOTDIR),
        }
    }

    /// The descriptor node for a directory `path_open` found at `r`: in a
    /// confined grant on Linux it anchors the directory itself, so later
    /// paths relative to it resolve beneath it.
    pub fn dir_node(&self, r: Resolved) -> Result<Node, Errno> {
        if let Some(lexical) = r.lexical {
            return Ok(Node::Dir {
                host: lexical,
                anchor: None,
                grant: r.grant,
                preopen: None,
                listing: None,
            });
        }
        #[cfg(target_os = "linux")]
        if r.anchor.is_some() {
            let anchor = Anchor::open(&r.host, r.follow)?;
            return Ok(Node::Dir {
                host: anchor.path(),
                anchor: Some(anchor),
                grant: r.grant,
                preopen: None,
                listing: None,
            });
        }
        Ok(Node::Dir {
            host: r.host,
            anchor: None,
            grant: r.grant,
            preopen: None,
            listing: None,
        })
    }

    /// Whether grant `g` is read-only.
    pub fn read_only(&self, g: usize) -> bool {
        self.grants.get(g).is_some_and(|g| g.read_only)
    }

    /// Resolves `path` relative to directory descriptor `fd`, for `access`.
    /// With `follow`, a final symlink is replaced by its target; without it,
    /// the link itself is named. In a confined grant the result never lies
    /// outside `fd`'s directory; under an allow list, never outside an
    /// allowed path (`allowed.rs`).
    pub fn resolve(
        &mut self,
        fd: i32,
        path: &str,
        follow: bool,
        access: Access,
    ) -> Result<Resolved, Errno> {
        let (base, grant) = self.dir(fd)?;
        if path.contains('\0') {
            return Err(INVAL);
        }
        if path.is_empty() {
            return Err(NOENT);
        }
        let trailing_slash = path.ends_with('/');
        #[cfg(target_os = "linux")]
        if let Node::Dir {
            anchor: Some(anchor),
            ..
        } = &self.get(fd)?.node
        {
            let relative = path.trim_end_matches('/');
            let b = super::beneath::resolve(
                anchor,
                if relative.is_empty() { "/" } else { relative },
                follow || trailing_slash,
            )?;
            return Ok(Resolved {
                host: b.host,
                follow: b.follow,
                lexical: None,
                anchor: Some(b.parent),
                grant,
                trailing_slash,
            });
        }
        if let (Some(allowed), false) = (&mut self.allowed, self.grants[grant].confined) {
            let lexical = super::allowed::normalize(&base.join(path));
            let g = allowed.resolve(&base, path, follow || trailing_slash, access)?;
            return Ok(Resolved {
                host: g.host,
                follow: g.follow,
                lexical: Some(lexical),
                anchor: g.anchor,
                grant,
                trailing_slash,
            });
        }
        let host = if self.grants[grant].confined {
            walk(base, path, follow || trailing_slash)?
        } else {
            // The host resolves everything; an absolute path replaces the base.
            let mut host = base.join(path);
            if trailing_slash && !host.as_os_str().to_string_lossy().ends_with('/') {
                host.as_mut_os_string().push("/");
            }
            host
        };
        Ok(Resolved {
            host,
            follow: follow || trailing_slash,
            lexical: None,
            anchor: None,
            grant,
            trailing_slash,
        })
    }
}

/// The anchor of a confined grant's root, where resolution beneath it works.
#[cfg(target_os = "linux")]
pub(super) fn root_anchor(host: &std::path::Path) -> Option<Anchor> {
    if !super::beneath::available() {
        return None;
    }
    Anchor::open(host, true).ok()
}

#[cfg(not(target_os = "linux"))]
pub(super) fn root_anchor(_: &std::path::Path) -> Option<Anchor> {
    None
}

/// Resolves `path` beneath `base` one component at a time, following
/// symlinks here so that none leads out (`NOTCAPABLE`): the resolution where
/// the kernel cannot do it beneath a descriptor ([`Anchor`]).
pub(super) fn walk(base: PathBuf, path: &str, follow_last: bool) -> Result<PathBuf, Errno> {
    if path.starts_with('/') {
        return Err(NOTCAPABLE);
    }
    let mut queue: VecDeque<String> = components(path);
    let mut current = base;
    let mut depth = 0usize;
    let mut links = 0usize;
    while let Some(name) = queue.pop_front() {
        if name == ".." {
            if depth == 0 {
                return Err(NOTCAPABLE);
            }
            current.pop();
            depth -= 1;
            continue;
        }
        let last = queue.is_empty();
        let next = current.join(&name);
        if last && !follow_last {
            return Ok(next);
        }
        match std::fs::symlink_metadata(&next) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && last => return Ok(next),
            Err(e) => return Err(errno_of(&e)),
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(LOOP);
                }
                let target = std::fs::read_link(&next).map_err(|e| errno_of(&e))?;
                let target = target.to_str().ok_or(ILSEQ)?;
                if target.starts_with('/') || target.is_empty() {
                    return Err(NOTCAPABLE);
                }
                for c in components(target).into_iter().rev() {
                    queue.push_front(c);
                }
            }
            Ok(meta) if meta.is_dir() => {
                current = next;
                depth += 1;
            }
            Ok(_) if last => return Ok(next),
            Ok(_) => return Err(NOTDIR),
        }
    }
    Ok(current)
}

fn components(path: &str) -> VecDeque<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::DirGrant;

    /// A descriptor table whose only grant is `root`, confined, as `/`.
    fn confined_to(root: &std::path::Path) -> Files {
        let mut files = Files::new();
        let dirs = vec![DirGrant::parse(&format!("{}::/", root.display())).unwrap()];
        files
            .set_policy(&FsPolicy {
                dirs,
                ..FsPolicy::default()
            })
            .unwrap();
        files
    }

    /// The host path a resolution names, with anchors (`/proc/self/fd/N`)
    /// read back as the directories they stand for.
    fn real(host: &std::path::Path) -> PathBuf {
        match (host.parent(), host.file_name()) {
            (Some(dir), Some(name)) if !host.exists() || host.is_symlink() => {
                dir.canonicalize().unwrap().join(name)
            }
            _ => host.canonicalize().unwrap(),
        }
    }

    #[test]
    fn confined_paths_cannot_leave_their_descriptor() {
        let root = std::env::temp_dir().join(format!("nyash-sandbox-{}", std::process::id()));
        let inner = root.join("inner");
        std::fs::create_dir_all(&inner).unwrap();
        let root = root.canonicalize().unwrap();
        let mut files = confined_to(&root);
        let at = |files: &mut Files, p: &str, follow: bool| {
            files
                .resolve(3, p, follow, Access::Read)
                .map(|r| real(&r.host))
        };

        assert_eq!(
            at(&mut files, "inner/x", true).unwrap(),
            root.join("inner/x")
        );
        assert_eq!(at(&mut files, "inner/../y", true).unwrap(), root.join("y"));
        assert_eq!(at(&mut files, "../etc/passwd", true), Err(NOTCAPABLE));
        assert_eq!(at(&mut files, "inner/../../x", true), Err(NOTCAPABLE));
        assert_eq!(at(&mut files, "/etc/passwd", true), Err(NOTCAPABLE));
        assert_eq!(at(&mut files, "missing/x", true), Err(NOENT));

        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", root.join("pw")).unwrap();
            std::os::unix::fs::symlink("inner", root.join("ok")).unwrap();
            std::os::unix::fs::symlink("../inner", inner.join("up")).unwrap();
            std::os::unix::fs::symlink("../..", inner.join("above")).unwrap();
            std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
            assert_eq!(at(&mut files, "out/passwd", true), Err(NOTCAPABLE));
            assert_eq!(at(&mut files, "pw", true), Err(NOTCAPABLE));
            // Without `follow` the link itself is named (e.g. to unlink it).
            assert_eq!(at(&mut files, "pw", false).unwrap(), root.join("pw"));
            assert_eq!(at(&mut files, "ok/z", true).unwrap(), root.join("inner/z"));
            assert_eq!(
                at(&mut files, "inner/up/z", true).unwrap(),
                root.join("inner/z")
            );
            assert_eq!(at(&mut files, "inner/above/x", true), Err(NOTCAPABLE));
            assert_eq!(at(&mut files, "loop", true), Err(LOOP));
            // A descriptor for `inner` cannot reach its parent either.
            let sub = files.insert(Descriptor {
                node: Node::Dir {
                    host: root.join("inner"),
                    anchor: None,
                    grant: 0,
                    preopen: None,
                    listing: None,
                },
                rights: DIR_RIGHTS,
                inheriting: DIR_RIGHTS,
                flags: 0,
            });
            assert_eq!(
                files
                    .resolve(sub, "../y", true, Access::Read)
                    .map(|r| real(&r.host)),
                Err(NOTCAPABLE)
            );
            assert_eq!(
                real(&files.resolve(sub, "up", false, Access::Read).unwrap().host),
                root.join("inner/up")
            );
            assert_eq!(
                files
                    .resolve(sub, "up/z", true, Access::Read)
                    .map(|r| r.host),
                Err(NOTCAPABLE)
            );
        }
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// A host process swaps a directory inside the grant for a symlink that
    /// leads out, over and over, while the program opens a file below it:
    /// no open may reach the outside file.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_directory_swapped_for_a_symlink_cannot_redirect_a_confined_path() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let base = std::env::temp_dir().join(format!("nyash-swap-{}", std::process::id()));
        let (root, outside) = (base.join("root"), base.join("outside"));
        std::fs::create_dir_all(root.join("inner")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("inner/f"), "inside").unwrap();
        std::fs::write(outside.join("f"), "outside").unwrap();
        let mut files = confined_to(&root);

        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, root, outside) = (stop.clone(), root.clone(), outside.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::fs::rename(root.join("inner"), root.join("held")).unwrap();
                    std::os::unix::fs::symlink(&outside, root.join("inner")).unwrap();
                    std::thread::yield_now();
                    std::fs::remove_file(root.join("inner")).unwrap();
                    std::fs::rename(root.join("held"), root.join("inner")).unwrap();
                    // Leave the directory in place for a moment too, so that opens
                    // succeed even when this thread has a core to itself.
                    std::thread::yield_now();
                }
            })
        };
        let (mut inside, mut escaped) = (0, 0);
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(2) {
            let Ok(r) = files.resolve(3, "inner/f", true, Access::Read) else {
                continue;
            };
            match std::fs::read_to_string(&r.host).as_deref() {
                Ok("inside") => inside += 1,
                Ok(_) => escaped += 1,
                Err(_) => {}
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        std::fs::remove_dir_all(&base).unwrap();
        assert_eq!(
            escaped, 0,
            "{escaped} opens left the grant ({inside} stayed inside)"
        );
        assert!(
            inside > 0,
            "no open succeeded while the directory was in place"
        );
    }

    #[test]
    fn the_default_grant_is_the_working_directory_and_above() {
        let mut files = Files::new();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            files.resolve(3, "a/b", true, Access::Read).unwrap().host,
            cwd.join("a/b")
        );
        assert_eq!(
            files.resolve(3, "../x", true, Access::Read).unwrap().host,
            cwd.join("../x")
        );
        #[cfg(unix)]
        assert_eq!(
            files
                .resolve(3, "/etc/hosts", true, Access::Read)
                .unwrap()
                .host,
            PathBuf::from("/etc/hosts")
        );
    }
}
