//! `--allow-read` and `--allow-write`: the default grant's view of the host,
//! restricted to the paths the bundle's author allowed.
//!
//! The program keeps the default policy's layout (the working directory as
//! `.`, absolute paths are host paths), but every path is first made
//! absolute and its `.` and `..` applied as written, then it must lie below
//! an allowed path: for reading, one given to either flag; for writing, one
//! given to `--allow-write`. A flag without paths allows everywhere. Below an
//! allowed directory the rest of the path is resolved like a `--dir`
//! mapping, so no symlink leads out of it (on Linux beneath an [`Anchor`],
//! race-free). A refusal gives the program `ACCES` ("permission denied",
//! what a native tool sees when it is refused, and Deno's `PermissionDenied`)
//! and tells the user on stderr which flag decides it.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::abi::*;
use super::files::{walk, Anchor};
use crate::policy::FsPolicy;

/// What a path call does with its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads, lists or describes.
    Read,
    /// Creates, changes or removes.
    Write,
}

/// How many refusals are reported on stderr before the rest are counted
/// silently.
const MAX_REPORTS: usize = 10;

/// One allowed path, resolved when the program starts.
struct Root {
    /// As the author wrote it (empty for everywhere), for messages.
    spec: String,
    /// Absolute, with `.` and `..` applied; `None` for everywhere.
    abs: Option<PathBuf>,
    /// Its canonical path, when it existed at start.
    real: Option<PathBuf>,
    /// The directory itself, when it was one at start (Linux).
    anchor: Option<Anchor>,
    write: bool,
}

/// The allowed paths of a bundle.
pub struct Allowed {
    roots: Vec<Root>,
    read_text: String,
    write_text: String,
    reported: usize,
}

/// A path the allow list let through.
pub struct Granted {
    pub host: PathBuf,
    pub follow: bool,
    pub anchor: Option<Anchor>,
}

impl Allowed {
    /// The allow list of `policy`, or `None` when it has none.
    pub fn new(policy: &FsPolicy) -> Option<Allowed> {
        if policy.allow.is_empty() {
            return None;
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let roots = policy
            .allow
            .iter()
            .map(|g| {
                if g.path.is_empty() {
                    return Root {
                        spec: String::new(),
                        abs: None,
                        real: None,
                        anchor: None,
                        write: g.write,
                    };
                }
                let abs = normalize(&cwd.join(&g.path));
                let real = std::fs::canonicalize(&abs).ok();
                let anchor = real
                    .as_deref()
                    .filter(|r| r.is_dir())
                    .and_then(super::files::root_anchor);
                Root {
                    spec: g.path.clone(),
                    abs: Some(abs),
                    real,
                    anchor,
                    write: g.write,
                }
            })
            .collect();
        Some(Allowed {
            roots,
            read_text: policy.allowed_text(false),
            write_text: policy.allowed_text(true),
            reported: 0,
        })
    }

    /// Resolves `path`, relative to the absolute directory `base`, if the
    /// allow list permits `access` there.
    pub fn resolve(
        &mut self,
        base: &Path,
        path: &str,
        follow: bool,
        access: Access,
    ) -> Result<Granted, Errno> {
        let abs = normalize(&base.join(path));
        let mut best: Option<(usize, usize, PathBuf)> = None;
        for (i, root) in self.roots.iter().enumerate() {
            if access == Access::Write && !root.write {
                continue;
            }
            let found = match &root.abs {
                None => Some((0, PathBuf::new())),
                Some(a) => [Some(a), root.real.as_ref()]
                    .into_iter()
                    .flatten()
                    .find_map(|p| abs.strip_prefix(p).ok())
                    .map(|rest| (root_depth(root), rest.to_path_buf())),
            };
            if let Some((depth, rest)) = found {
                if best.as_ref().is_none_or(|(_, d, _)| depth >= *d) {
                    best = Some((i, depth, rest));
                }
            }
        }
        let Some((i, _, rest)) = best else {
            return Err(self.refuse(access, &abs, None));
        };
        let root = &self.roots[i];
        let Some(root_abs) = &root.abs else {
            // Everywhere: the host resolves the path as under the default policy.
            let mut host = base.join(path);
            if path.ends_with('/') && !host.as_os_str().to_string_lossy().ends_with('/') {
                host.as_mut_os_string().push("/");
            }
            return Ok(Granted {
                host,
                follow,
                anchor: None,
            });
        };
        let rest = relative_text(&rest).ok_or(ILSEQ)?;
        let dir = root.real.clone().unwrap_or_else(|| root_abs.clone());
        if rest.is_empty() {
            return Ok(Granted {
                host: root.anchor.as_ref().map_or(dir, Anchor::path),
                follow: true,
                anchor: None,
            });
        }
        #[cfg(target_os = "linux")]
        if let Some(anchor) = &root.anchor {
            return match super::beneath::resolve(anchor, &rest, follow) {
                Ok(b) => Ok(Granted {
                    host: b.host,
                    follow: b.follow,
                    anchor: Some(b.parent),
                }),
                Err(NOTCAPABLE) => Err(self.refuse(access, &abs, Some(i))),
                Err(e) => Err(e),
            };
        }
        match walk(dir, &rest, follow) {
            Ok(host) => Ok(Granted {
                host,
                follow,
                anchor: None,
            }),
            Err(NOTCAPABLE) => Err(self.refuse(access, &abs, Some(i))),
            Err(e) => Err(e),
        }
    }

    /// Reports a refusal on stderr (the first [`MAX_REPORTS`]) and gives
    /// the errno for it. `through` is the allowed path a symlink led out of.
    fn refuse(&mut self, access: Access, abs: &Path, through: Option<usize>) -> Errno {
        self.reported += 1;
        if self.reported > MAX_REPORTS {
            return ACCES;
        }
        let (verb, flag, allowed) = match access {
            Access::Read => ("read", "--allow-read", &self.read_text),
            Access::Write => ("write", "--allow-write", &self.write_text),
        };
        let why = match through {
            Some(i) => format!("a symlink below `{}` leads outside it", self.roots[i].spec),
            None if allowed == "nowhere" => format!("this bundle may not {verb} files"),
            None => format!("this bundle may {verb} files only {allowed}"),
        };
        let more = if self.reported == MAX_REPORTS {
            "; further refusals are not shown"
        } else {
            ""
        };
        let _ = writeln!(
            std::io::stderr(),
            "nyash: refused to {verb} `{}`: {why} (set by `nyash bundle {flag}`){more}",
            abs.display()
        );
        ACCES
    }
}

/// How many components an allowed path has: the longest match wins.
fn root_depth(root: &Root) -> usize {
    root.abs.as_ref().map_or(0, |a| a.components().count())
}

/// `path` with `.` dropped and each `..` removing the component before it,
/// as written (Deno's rule): `data/../etc` is `etc` even if `data` is a
/// symlink.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !matches!(
                    out.components().next_back(),
                    None | Some(Component::RootDir | Component::Prefix(_))
                ) {
                    out.pop();
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A relative path as `/`-separated text, for the resolvers.
fn relative_text(rest: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rest.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_applied_as_written() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(normalize(Path::new("/a/b/../../..")), PathBuf::from("/"));
    }
}
