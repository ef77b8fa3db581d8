//! The network policy flags of `nyash bundle` and `nyash run`: `--allow-net`
//! and `--deny-net` (Deno's names), turned into the [`NetPolicy`] a bundle
//! carries (`nyash_runtime::net_policy`).

use clap::Args;
use nyash_runtime::net_policy::NetPolicy;

use crate::error::{CliError, Result};

/// The flags, as clap reads them.
#[derive(Args, Debug, Default)]
pub struct NetArgs {
    /// Let the program connect to and listen on only these hosts (comma-separated,
    /// repeatable), each `NAME`, an IPv4 address or `[IPv6]`, with an optional
    /// `:PORT`; without `=HOSTS`, any host (the default).
    #[arg(
        long,
        value_name = "HOSTS",
        num_args = 0..=1,
        require_equals = true
    )]
    pub allow_net: Option<Vec<String>>,
    /// Never let the program use these hosts, whatever --allow-net says; without
    /// `=HOSTS`, no network at all.
    #[arg(
        long,
        value_name = "HOSTS",
        num_args = 0..=1,
        require_equals = true
    )]
    pub deny_net: Option<Vec<String>>,
}

impl NetArgs {
    /// Checks the flags: the policy, or one clear error before anything is
    /// written.
    pub fn policy(&self) -> Result<NetPolicy> {
        NetPolicy::from_flags(self.allow_net.as_deref(), self.deny_net.as_deref()).map_err(|e| {
            CliError::new(e.message).hint(
                "write hosts as `NAME`, `NAME:PORT`, an IPv4 address or `[IPv6]:PORT`, separated by commas, e.g. `--allow-net=localhost:8080,api.example.com`",
            )
        })
    }
}
