//! The file-system policy: which host directories a program sees, and under
//! which names.
//!
//! The policy is data. `nyash bundle --dir` stores it in the payload index
//! (`payload`), the launcher decodes it, and the WASI host (`wasi`) enforces
//! it; `nyash run --dir` builds the same value from the same flags.
//!
//! * With no mapping (the default), the program is given the working
//!   directory as its preopen `.`, and the whole host file system is reachable
//!   from it, as for a native tool: `..` may climb above the working
//!   directory, and an absolute path names a host path.
//! * With one or more mappings, the program sees exactly those directories,
//!   each under its guest name, and nothing outside them: no path, `..` or
//!   symlink leads out of the directory a descriptor belongs to.
//! * With `--deny-fs`, the program sees no directory at all.
//! * With `--allow-read[=PATHS]` or `--allow-write[=PATHS]` (Deno's flags),
//!   the program keeps the default's view of the host, but may read only
//!   below the paths given to either flag and write only below those given
//!   to `--allow-write`; a flag without paths allows that everywhere. No
//!   `..` or symlink leads out of an allowed path.

use std::fmt;

/// What a program may see of the host's files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsPolicy {
    /// `--deny-fs`: no directory at all (no preopen, not even `.`).
    pub deny_fs: bool,
    /// `--dir` mappings, in preopen order; empty for the default.
    pub dirs: Vec<DirGrant>,
    /// `--allow-read` and `--allow-write` paths; when any is given, every
    /// other access is refused.
    pub allow: Vec<PathGrant>,
}

impl FsPolicy {
    /// The default: the working directory as `.`, unconfined.
    pub fn is_default(&self) -> bool {
        !self.deny_fs && self.dirs.is_empty() && self.allow.is_empty()
    }

    /// Where the allow list permits reading (`write` false: the paths of
    /// both flags) or writing (those of `--allow-write`), for messages: the
    /// paths as written, in backticks, `everywhere`, or `nowhere`.
    pub fn allowed_text(&self, write: bool) -> String {
        let grants: Vec<&PathGrant> = self.allow.iter().filter(|g| g.write || !write).collect();
        if grants.iter().any(|g| g.path.is_empty()) {
            return "everywhere".into();
        }
        if grants.is_empty() {
            return "nowhere".into();
        }
        let paths: Vec<String> = grants.iter().map(|g| format!("`{}`", g.path)).collect();
        format!("below {}", paths.join(", "))
    }
}

/// One path of `--allow-read=PATHS` or `--allow-write=PATHS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathGrant {
    /// The host path as written, taken from the working directory at launch
    /// when relative; empty for the flag without paths (everywhere).
    pub path: String,
    /// `--allow-write`: writing below it is allowed too.
    pub write: bool,
}

impl PathGrant {
    /// The grants of one flag: `values` as clap gives them (`None`: flag
    /// absent; an empty list: the flag without paths). Commas separate paths,
    /// as in Deno.
    pub fn from_flag(
        values: Option<&[String]>,
        write: bool,
    ) -> Result<Vec<PathGrant>, DirSpecError> {
        let flag = if write {
            "--allow-write"
        } else {
            "--allow-read"
        };
        let Some(values) = values else {
            return Ok(Vec::new());
        };
        if values.is_empty() {
            return Ok(vec![PathGrant {
                path: String::new(),
                write,
            }]);
        }
        let mut grants = Vec::new();
        for value in values {
            for path in value.split(',') {
                if path.is_empty() {
                    return Err(DirSpecError {
                        message: format!("`{flag}={value}` contains an empty path"),
                    });
                }
                if path.contains('\0') || path.len() > MAX_DIR_TEXT {
                    return Err(DirSpecError {
                        message: format!(
                            "`{flag}` paths may not contain NUL and may be at most {MAX_DIR_TEXT} bytes long"
                        ),
                    });
                }
                grants.push(PathGrant {
                    path: path.to_string(),
                    write,
                });
            }
        }
        Ok(grants)
    }

    /// Whether [`PathGrant::from_flag`] could have made this grant. The
    /// payload reader checks grants with it.
    pub fn is_well_formed(&self) -> bool {
        self.path.len() <= MAX_DIR_TEXT && !self.path.contains('\0')
    }
}

/// One `--dir HOST[::GUEST[::ro]]` mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirGrant {
    /// The host directory as written by the author. A relative path is taken
    /// relative to the working directory of the process at launch.
    pub host: String,
    /// The name the program sees (`fd_prestat_dir_name`), e.g. `/` or `data`.
    pub guest: String,
    /// Whether the program may only read below it.
    pub read_only: bool,
}

/// The most mappings one bundle may carry.
pub const MAX_DIRS: usize = 64;

/// The longest host path or guest name a mapping may hold, in bytes.
pub const MAX_DIR_TEXT: usize = 4096;

/// Why a `--dir` value was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirSpecError {
    /// What is wrong, one sentence.
    pub message: String,
}

impl fmt::Display for DirSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DirSpecError {}

impl DirGrant {
    /// Parses `HOST`, `HOST::GUEST` or `HOST::GUEST::ro` (the wasmtime
    /// `--dir` spelling, with an optional read-only marker). Without
    /// `::GUEST`, the guest name is the host path as written.
    pub fn parse(spec: &str) -> Result<DirGrant, DirSpecError> {
        let fail = |message: String| Err(DirSpecError { message });
        let parts: Vec<&str> = spec.split("::").collect();
        let (host, guest, read_only) = match parts.as_slice() {
            [host] => (*host, *host, false),
            [host, guest] => (*host, *guest, false),
            [host, guest, "ro"] => (*host, *guest, true),
            [_, _, "rw"] => (parts[0], parts[1], false),
            [_, _, other] => {
                return fail(format!(
                    "`--dir {spec}` ends in `::{other}`, but the only access markers are `::ro` and `::rw`"
                ))
            }
            _ => {
                return fail(format!(
                    "`--dir {spec}` has {} `::` separators; the form is HOST[::GUEST[::ro]]",
                    parts.len() - 1
                ))
            }
        };
        if host.is_empty() {
            return fail(format!("`--dir {spec}` names no host directory"));
        }
        if guest.is_empty() {
            return fail(format!("`--dir {spec}` gives an empty guest name"));
        }
        if host.contains('\0') || guest.contains('\0') {
            return fail(format!("`--dir {spec}` contains a NUL byte"));
        }
        if host.len() > MAX_DIR_TEXT || guest.len() > MAX_DIR_TEXT {
            return fail(format!(
                "`--dir` paths may be at most {MAX_DIR_TEXT} bytes long"
            ));
        }
        Ok(DirGrant {
            host: host.to_string(),
            guest: guest.to_string(),
            read_only,
        })
    }

    /// Whether [`DirGrant::parse`] could have made this mapping: both names
    /// non-empty, at most [`MAX_DIR_TEXT`] bytes, without NUL bytes and
    /// without `::`. The payload reader checks mappings with it.
    pub fn is_well_formed(&self) -> bool {
        [&self.host, &self.guest].iter().all(|name| {
            !name.is_empty()
                && name.len() <= MAX_DIR_TEXT
                && !name.contains('\0')
                && !name.contains("::")
        })
    }

    /// Checks a list of mappings as a whole: at most [`MAX_DIRS`], and no
    /// guest name given twice.
    pub fn check_list(list: &[DirGrant]) -> Result<(), DirSpecError> {
        if list.len() > MAX_DIRS {
            return Err(DirSpecError {
                message: format!(
                    "{} `--dir` mappings given; at most {MAX_DIRS} are allowed",
                    list.len()
                ),
            });
        }
        for (i, d) in list.iter().enumerate() {
            if list[..i].iter().any(|e| e.guest == d.guest) {
                return Err(DirSpecError {
                    message: format!(
                        "the guest name `{}` is given by two `--dir` mappings",
                        d.guest
                    ),
                });
            }
        }
        Ok(())
    }
}

impl fmt::Display for DirGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.host, self.guest)?;
        if self.read_only {
            f.write_str("::ro")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_parse() {
        let d = DirGrant::parse("fixtures").unwrap();
        assert_eq!(
            (d.host.as_str(), d.guest.as_str(), d.read_only),
            ("fixtures", "fixtures", false)
        );
        let d = DirGrant::parse("fs-tests.dir::/").unwrap();
        assert_eq!(
            (d.host.as_str(), d.guest.as_str(), d.read_only),
            ("fs-tests.dir", "/", false)
        );
        let d = DirGrant::parse("C:\\data::/data::ro").unwrap();
        assert_eq!(
            (d.host.as_str(), d.guest.as_str(), d.read_only),
            ("C:\\data", "/data", true)
        );
        assert_eq!(d.to_string(), "C:\\data::/data::ro");
    }

    #[test]
    fn malformed_specs_are_errors() {
        for bad in ["", "::/", "a::", "a::b::x", "a::b::ro::c", "a\0b"] {
            assert!(DirGrant::parse(bad).is_err(), "{bad:?}");
        }
        let twice = [
            DirGrant::parse("a::/").unwrap(),
            DirGrant::parse("b::/").unwrap(),
        ];
        assert!(DirGrant::check_list(&twice).is_err());
    }
}
