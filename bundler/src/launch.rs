//! The launch-policy flags of `nyash bundle` and `nyash run`: `--env`,
//! `--env-file`, `--arg`, `--env-allow` and `--lock`, turned into the
//! [`LaunchPolicy`] a bundle carries (`nyash_runtime::launch_policy`).

use std::path::PathBuf;

use clap::Args;
use nyash_runtime::launch_policy::LaunchPolicy;

use crate::error::{CliError, Result};

/// The flags, as clap reads them.
#[derive(Args, Debug, Default)]
pub struct LaunchArgs {
    /// Bake the variable KEY=VALUE into the program's environment (repeatable). A host
    /// variable of the same name that the program may see (--env-allow) wins.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Bake every KEY=VALUE line of this dotenv-style file (repeatable; after --env, a
    /// later value for the same key wins).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Give the program this argument before the user's (repeatable, in order).
    #[arg(long = "arg", value_name = "VALUE", allow_hyphen_values = true)]
    pub baked_args: Vec<String>,
    /// Let the program see only these host variables (comma-separated, repeatable; `NAME*`
    /// for a prefix; "" for none) [default: all].
    #[arg(long = "env-allow", value_name = "LIST")]
    pub env_allow: Vec<String>,
    /// Make the executable ignore NYASH_EXEC and NYASH_TRACE (`nyash run` reads neither).
    #[arg(long)]
    pub lock: bool,
}

impl LaunchArgs {
    /// Checks the flags and reads the env files: the policy, or one clear
    /// error before anything is written.
    pub fn policy(&self) -> Result<LaunchPolicy> {
        let mut policy = LaunchPolicy {
            lock: self.lock,
            ..LaunchPolicy::default()
        };
        for spec in &self.env {
            let (key, value) = LaunchPolicy::parse_env(spec).map_err(|e| {
                CliError::new(e.message).hint("write `--env KEY=VALUE`, e.g. `--env MODE=release`")
            })?;
            policy.set_env(&key, &value);
        }
        for file in &self.env_files {
            let shown = file.display().to_string();
            let bytes = std::fs::read(file).map_err(|e| {
                CliError::new(format!("cannot read the env file {shown}: {e}"))
                    .hint("check the path given to --env-file")
            })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                CliError::new(format!("{shown}:{line}: the env file is not UTF-8 text"))
            })?;
            policy.read_env_file(&text, &shown).map_err(|e| {
                CliError::new(e.message).hint(
                    "each line is KEY=VALUE, a blank line or a # comment; quote a value with ' or \"",
                )
            })?;
        }
        for arg in &self.baked_args {
            LaunchPolicy::check_arg(arg).map_err(|e| CliError::new(e.message))?;
        }
        policy.args = self.baked_args.clone();
        if !self.env_allow.is_empty() {
            let mut allow = Vec::new();
            for list in &self.env_allow {
                allow.extend(LaunchPolicy::parse_allow(list).map_err(|e| {
                    CliError::new(e.message)
                        .hint("write variable names separated by commas, e.g. `--env-allow HOME,LANG,LC_*`")
                })?);
            }
            policy.env_allow = Some(allow);
        }
        if let Some((key, _)) = policy
            .env
            .iter()
            .find(|(k, _)| nyash_runtime::wasi::LAUNCHER_VARIABLES.contains(&k.as_str()))
        {
            return Err(CliError::new(format!(
                "`{key}` is the launcher's own variable, which a program never sees; it cannot be baked"
            ))
            .hint("use --lock to make the executable ignore NYASH_EXEC and NYASH_TRACE"));
        }
        policy
            .check()
            .map_err(|e| CliError::new(e.message).hint("bake fewer or shorter values"))?;
        Ok(policy)
    }
}
