//! The file-system policy flags of `nyash bundle` and `nyash run`: `--dir`,
//! `--deny-fs`, `--allow-read` and `--allow-write`, turned into the
//! [`FsPolicy`] a bundle carries (`nyash_runtime::policy`).

use clap::Args;
use nyash_runtime::policy::{DirGrant, FsPolicy, PathGrant, MAX_DIRS};

use crate::error::{CliError, Result};

/// The flags, as clap reads them.
#[derive(Args, Debug, Default)]
pub struct FsArgs {
    /// Give the program only these directories (repeatable), each under a guest
    /// name; `::ro` makes one read-only. A relative HOST is taken from the working
    /// directory at launch. Without it: the working directory as `.`, and above.
    #[arg(long = "dir", value_name = "HOST[::GUEST[::ro]]")]
    pub dirs: Vec<String>,
    /// Give the program no directory at all.
    #[arg(long, conflicts_with_all = ["dirs", "allow_read", "allow_write"])]
    pub deny_fs: bool,
    /// Let the program read only below these paths (comma-separated, repeatable) and
    /// those of --allow-write; without `=PATHS`, everywhere. Relative paths are taken
    /// from the working directory at launch; anything else is refused.
    #[arg(
        long,
        value_name = "PATHS",
        num_args = 0..=1,
        require_equals = true,
        conflicts_with = "dirs"
    )]
    pub allow_read: Option<Vec<String>>,
    /// Let the program write (and read) only below these paths; without `=PATHS`,
    /// everywhere. With only this flag, reading is limited to the same paths.
    #[arg(
        long,
        value_name = "PATHS",
        num_args = 0..=1,
        require_equals = true,
        conflicts_with = "dirs"
    )]
    pub allow_write: Option<Vec<String>>,
}

impl FsArgs {
    /// Checks the flags: the policy, or one clear error before anything is
    /// written.
    pub fn policy(&self) -> Result<FsPolicy> {
        let hint = "write `--dir HOST::GUEST`, e.g. `--dir data::/data`, or `--dir data::/data::ro` for read-only";
        let dirs = self
            .dirs
            .iter()
            .map(|s| DirGrant::parse(s).map_err(|e| CliError::new(e.message).hint(hint)))
            .collect::<Result<Vec<_>>>()?;
        DirGrant::check_list(&dirs)
            .map_err(|e| CliError::new(e.message).hint("give each guest name once"))?;
        let allow_hint = "separate paths with commas: `--allow-read=data,/etc/hosts`";
        let mut allow = PathGrant::from_flag(self.allow_read.as_deref(), false)
            .map_err(|e| CliError::new(e.message).hint(allow_hint))?;
        allow.extend(
            PathGrant::from_flag(self.allow_write.as_deref(), true)
                .map_err(|e| CliError::new(e.message).hint(allow_hint))?,
        );
        if allow.len() > MAX_DIRS {
            return Err(CliError::new(format!(
                "{} paths given to `--allow-read` and `--allow-write`; at most {MAX_DIRS} are allowed",
                allow.len()
            ))
            .hint("allow a common parent directory instead"));
        }
        Ok(FsPolicy {
            deny_fs: self.deny_fs,
            dirs,
            allow,
        })
    }
}
