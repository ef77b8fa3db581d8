//! The guest's file descriptors and the directory sandbox.
//!
//! The guest is given one directory, the working directory, preopened as
//! fd 3 under the name `.`. Every path the guest names is resolved relative
//! to a directory descriptor and must stay inside that preopened root:
//!
//! * absolute paths are refused (`NOTCAPABLE`);
//! * `..` is applied lexically and may not climb above the root;
//! * the directory that will contain the target is canonicalised (which
//!   resolves every symlink on the way) and must lie inside the root;
//! * a final symlink is followed only when the guest asks for it, and only
//!   if its canonical target lies inside the root; otherwise it is refused.
//!
//! The checks run before each operation; a host process that swaps
//! directories for symlinks concurrently could race them. That is accepted
//! for a sandbox whose job is to stop programs from escaping by accident or
//! by crafted paths, not to contain a hostile host.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use super::abi::{Errno, BADF, NOENT, NOTCAPABLE, NOTDIR};

/// One open descriptor.
pub enum Descriptor {
    Stdin,
    Stdout,
    Stderr,
    /// A directory, by its canonical host path.
    Dir {
        host: PathBuf,
        /// The name given to the guest for a preopened directory.
        preopen: Option<&'static str>,
    },
    /// An open file.
    File {
        file: File,
        append: bool,
    },
}

/// The descriptor table and the sandbox root.
pub struct Files {
    table: Vec<Option<Descriptor>>,
    root: Option<PathBuf>,
}

impl Files {
    /// Standard streams on 0–2 and the working directory on 3.
    pub fn new() -> Self {
        Files {
            table: vec![
                Some(Descriptor::Stdin),
                Some(Descriptor::Stdout),
                Some(Descriptor::Stderr),
                // The host path is filled in on first use (see `root`), so
                // that programs that never touch files pay nothing for it.
                Some(Descriptor::Dir {
                    host: PathBuf::new(),
                    preopen: Some("."),
                }),
            ],
            root: None,
        }
    }

    /// The canonical working directory: the sandbox root.
    fn root(&mut self) -> Result<PathBuf, Errno> {
        if self.root.is_none() {
            let cwd = std::env::current_dir().map_err(|_| NOENT)?;
            let canonical = cwd.canonicalize().map_err(|_| NOENT)?;
            if let Some(Some(Descriptor::Dir { host, .. })) = self.table.get_mut(3) {
                if host.as_os_str().is_empty() {
                    *host = canonical.clone();
                }
            }
            self.root = Some(canonical);
        }
        Ok(self.root.clone().expect("set above"))
    }

    pub fn get(&mut self, fd: i32) -> Result<&mut Descriptor, Errno> {
        self.table
            .get_mut(fd as u32 as usize)
            .and_then(Option::as_mut)
            .ok_or(BADF)
    }

    pub fn insert(&mut self, d: Descriptor) -> i32 {
        if let Some(free) = self.table.iter().skip(4).position(Option::is_none) {
            self.table[free + 4] = Some(d);
            (free + 4) as i32
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
        let d = self.table[from as usize].take();
        self.table[to as usize] = d;
        Ok(())
    }

    /// The host path of directory descriptor `fd`.
    pub fn dir_path(&mut self, fd: i32) -> Result<PathBuf, Errno> {
        self.root()?;
        match self.get(fd)? {
            Descriptor::Dir { host, .. } => Ok(host.clone()),
            _ => Err(NOTDIR),
        }
    }

    /// Resolves `path` relative to directory descriptor `fd`, keeping it
    /// inside the sandbox. With `follow`, a final symlink is replaced by its
    /// (checked) target; without it, the link itself is named.
    pub fn resolve(&mut self, fd: i32, path: &str, follow: bool) -> Result<PathBuf, Errno> {
        let root = self.root()?;
        let base = self.dir_path(fd)?;
        if path.contains('\0') {
            return Err(super::abi::INVAL);
        }
        let relative_base = base.strip_prefix(&root).map_err(|_| NOTCAPABLE)?;
        let mut parts: Vec<String> = relative_base
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        for component in Path::new(path).components() {
            match component {
                Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop().ok_or(NOTCAPABLE)?;
                }
                Component::RootDir | Component::Prefix(_) => return Err(NOTCAPABLE),
            }
        }
        let Some(last) = parts.pop() else {
            return Ok(root);
        };
        let mut parent = root.clone();
        parent.extend(&parts);
        let parent = parent
            .canonicalize()
            .map_err(|e| super::abi::errno_of(&e))?;
        if !parent.starts_with(&root) {
            return Err(NOTCAPABLE);
        }
        let target = parent.join(&last);
        let is_link = target
            .symlink_metadata()
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if is_link && follow {
            let resolved = target.canonicalize().map_err(|_| NOTCAPABLE)?;
            if !resolved.starts_with(&root) {
                return Err(NOTCAPABLE);
            }
            return Ok(resolved);
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_root() {
        let root = std::env::temp_dir().join(format!("nyash-sandbox-{}", std::process::id()));
        let inner = root.join("inner");
        std::fs::create_dir_all(&inner).unwrap();
        let root = root.canonicalize().unwrap();
        let mut files = Files {
            table: Files::new().table,
            root: Some(root.clone()),
        };
        files.table[3] = Some(Descriptor::Dir {
            host: root.clone(),
            preopen: Some("."),
        });

        assert_eq!(
            files.resolve(3, "inner/x", true).unwrap(),
            root.join("inner/x")
        );
        assert_eq!(
            files.resolve(3, "inner/../y", true).unwrap(),
            root.join("y")
        );
        assert_eq!(files.resolve(3, "../etc/passwd", true), Err(NOTCAPABLE));
        assert_eq!(files.resolve(3, "inner/../../x", true), Err(NOTCAPABLE));
        assert_eq!(files.resolve(3, "/etc/passwd", true), Err(NOTCAPABLE));

        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", root.join("pw")).unwrap();
            std::os::unix::fs::symlink("inner", root.join("ok")).unwrap();
            assert_eq!(files.resolve(3, "out/passwd", true), Err(NOTCAPABLE));
            assert_eq!(files.resolve(3, "pw", true), Err(NOTCAPABLE));
            // Without `follow` the link itself is named (e.g. to unlink it).
            assert_eq!(files.resolve(3, "pw", false).unwrap(), root.join("pw"));
            assert_eq!(
                files.resolve(3, "ok/z", true).unwrap(),
                root.join("inner/z")
            );
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
