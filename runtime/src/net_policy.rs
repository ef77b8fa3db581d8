//! The network policy: which hosts a program may connect to and listen on.
//!
//! Like the file-system policy (`crate::policy`), it is data:
//! `nyash bundle --allow-net/--deny-net` stores it in the payload index, the
//! launcher decodes it, and the WASI host (`wasi::net`) checks it before it
//! opens a socket; `nyash run` builds the same value from the same flags.
//!
//! * With no flag (the default), and with `--allow-net` without hosts, a
//!   program may connect and listen like a native program.
//! * `--allow-net=HOSTS` (Deno's flag): only to and on those hosts.
//! * `--deny-net` without hosts: not at all; `--deny-net=HOSTS`: never to or
//!   on those, whatever `--allow-net` says.
//!
//! A host is `NAME`, an IPv4 address or a bracketed IPv6 address, with an
//! optional `:PORT`; without a port every port matches. The host a program
//! names is compared as written (case and a final dot aside), so
//! `localhost` and `127.0.0.1` are different hosts, as in Deno; addresses
//! are compared as addresses, so `[::1]` and `[0:0::1]` are the same.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// Where a program may use the network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetPolicy {
    /// `--allow-net=HOSTS`: only these; `None` for any host.
    pub allow: Option<Vec<HostRule>>,
    /// `--deny-net=HOSTS`: never these.
    pub deny: Vec<HostRule>,
    /// `--deny-net` without hosts: no network at all.
    pub deny_all: bool,
}

/// One `HOST[:PORT]` of `--allow-net` or `--deny-net`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostRule {
    /// The host as the program names it: lower case, no final dot, IPv6
    /// addresses without brackets.
    pub host: String,
    /// The port, or `None` for every port.
    pub port: Option<u16>,
}

/// The most hosts one flag may list.
pub const MAX_HOST_RULES: usize = 256;

/// Why a network flag was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetSpecError {
    /// What is wrong, one sentence.
    pub message: String,
}

impl fmt::Display for NetSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a program asked to do with a host, for [`NetPolicy::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetUse {
    /// `tcp_connect`.
    Connect,
    /// `tcp_listen`.
    Listen,
}

impl NetPolicy {
    /// The default: any host.
    pub fn is_default(&self) -> bool {
        self.allow.is_none() && self.deny.is_empty() && !self.deny_all
    }

    /// The policy of the flags: `allow` and `deny` as clap gives them
    /// (`None`: flag absent; an empty list: the flag without hosts). Commas
    /// separate hosts, as in Deno.
    pub fn from_flags(
        allow: Option<&[String]>,
        deny: Option<&[String]>,
    ) -> Result<NetPolicy, NetSpecError> {
        let allow = match allow {
            None => None,
            Some(values) => Some(HostRule::list("--allow-net", values)?).filter(|l| !l.is_empty()),
        };
        let (deny, deny_all) = match deny {
            None => (Vec::new(), false),
            Some(values) => {
                let list = HostRule::list("--deny-net", values)?;
                let all = list.is_empty();
                (list, all)
            }
        };
        Ok(NetPolicy {
            allow,
            deny,
            deny_all,
        })
    }

    /// Whether a program may connect to or listen on `host:port`, host as
    /// it named it; `Err` holds why not, for the message on stderr.
    pub fn check(&self, host: &str, port: u16) -> Result<(), String> {
        if self.deny_all {
            return Err(
                "this bundle may not use the network (set by `nyash bundle --deny-net`)".into(),
            );
        }
        let host = normal_host(host);
        if let Some(rule) = self.deny.iter().find(|r| r.matches(&host, port)) {
            return Err(format!(
                "`{rule}` is denied (set by `nyash bundle --deny-net`)"
            ));
        }
        match &self.allow {
            Some(list) if !list.iter().any(|r| r.matches(&host, port)) => Err(format!(
                "this bundle may use the network only for {} (set by `nyash bundle --allow-net`)",
                quoted(list)
            )),
            _ => Ok(()),
        }
    }

    /// The policy in words, for `nyash inspect`.
    pub fn describe(&self) -> String {
        if self.deny_all {
            return "none (--deny-net)".into();
        }
        let mut text = match &self.allow {
            None if self.deny.is_empty() => return "any host (the default)".into(),
            None => "any host".to_string(),
            Some(list) => format!("only {}", quoted(list)),
        };
        if !self.deny.is_empty() {
            text += &format!(" except {}", quoted(&self.deny));
        }
        let flags: Vec<&str> = [
            self.allow.is_some().then_some("--allow-net"),
            (!self.deny.is_empty()).then_some("--deny-net"),
        ]
        .into_iter()
        .flatten()
        .collect();
        format!("{text} ({})", flags.join(", "))
    }

    /// Whether a decoded policy could have come from [`NetPolicy::from_flags`].
    pub fn is_well_formed(&self) -> bool {
        let lists_ok =
            |l: &[HostRule]| l.len() <= MAX_HOST_RULES && l.iter().all(HostRule::is_well_formed);
        self.allow
            .as_ref()
            .is_none_or(|l| !l.is_empty() && lists_ok(l))
            && lists_ok(&self.deny)
            && (!self.deny_all || self.deny.is_empty())
    }
}

/// The rules as a message lists them: `` `a`, `b:80` ``.
fn quoted(list: &[HostRule]) -> String {
    let items: Vec<String> = list.iter().map(|r| format!("`{r}`")).collect();
    items.join(", ")
}

/// A host as rules hold it: no brackets, lower case, no final dot; an
/// address in its canonical text.
fn normal_host(host: &str) -> String {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => bare.trim_end_matches('.').to_ascii_lowercase(),
    }
}

impl HostRule {
    /// Parses one `HOST[:PORT]`.
    pub fn parse(spec: &str) -> Result<HostRule, String> {
        let (host, port) = if let Some(rest) = spec.strip_prefix('[') {
            let (addr, after) = rest
                .split_once(']')
                .ok_or("an IPv6 address needs its closing `]`")?;
            addr.parse::<Ipv6Addr>()
                .map_err(|_| format!("`{addr}` is not an IPv6 address"))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or("write `[ADDRESS]:PORT`")?),
            };
            (addr, port)
        } else if spec.parse::<Ipv6Addr>().is_ok() {
            return Err("write an IPv6 address in brackets, e.g. `[::1]:8080`".into());
        } else {
            match spec.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (spec, None),
            }
        };
        if host.is_empty() {
            return Err("the host is empty".into());
        }
        let name_ok = |h: &str| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        };
        if !spec.starts_with('[') && (!name_ok(host) || host.len() > 253) {
            return Err(format!("`{host}` is not a host name or address"));
        }
        let port = match port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("`{p}` is not a port (1 to 65535)"))?,
            ),
        };
        Ok(HostRule {
            host: normal_host(host),
            port,
        })
    }

    /// The rules of one flag's values, commas splitting them.
    fn list(flag: &str, values: &[String]) -> Result<Vec<HostRule>, NetSpecError> {
        let mut out = Vec::new();
        for value in values {
            for spec in value.split(',') {
                let rule = HostRule::parse(spec).map_err(|why| NetSpecError {
                    message: format!("`{flag}={value}`: {why}"),
                })?;
                if !out.contains(&rule) {
                    out.push(rule);
                }
            }
        }
        if out.len() > MAX_HOST_RULES {
            return Err(NetSpecError {
                message: format!("`{flag}` lists more than {MAX_HOST_RULES} hosts"),
            });
        }
        Ok(out)
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        self.host == host && self.port.is_none_or(|p| p == port)
    }

    /// Whether a decoded rule could have come from [`HostRule::parse`].
    pub fn is_well_formed(&self) -> bool {
        let text = match self.host.parse::<Ipv6Addr>() {
            Ok(_) => format!("[{}]", self.host),
            Err(_) => self.host.clone(),
        };
        HostRule::parse(&text).is_ok_and(|r| r.host == self.host) && self.port != Some(0)
    }
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.parse::<Ipv6Addr>().is_ok() {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        match self.port {
            Some(p) => write!(f, ":{p}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(allow: Option<&[&str]>, deny: Option<&[&str]>) -> NetPolicy {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (a, d) = (allow.map(own), deny.map(own));
        NetPolicy::from_flags(a.as_deref(), d.as_deref()).unwrap()
    }

    #[test]
    fn hosts_match_as_written_and_addresses_as_addresses() {
        let p = flags(Some(&["LocalHost.,[::1]:8080,10.0.0.1:80"]), None);
        assert!(p.check("localhost", 1).is_ok());
        assert!(p.check("LOCALHOST", 443).is_ok());
        assert!(p.check("127.0.0.1", 1).is_err());
        assert!(p.check("[0:0::1]", 8080).is_ok());
        assert!(p.check("::1", 8081).is_err());
        assert!(p.check("10.0.0.1", 80).is_ok());
        assert!(p.check("10.0.0.1", 81).is_err());
        assert_eq!(
            p.check("example.com", 80).unwrap_err(),
            "this bundle may use the network only for `localhost`, `[::1]:8080`, `10.0.0.1:80` (set by `nyash bundle --allow-net`)"
        );
    }

    #[test]
    fn deny_wins_and_the_bare_flags_mean_all() {
        assert!(flags(Some(&[]), None).is_default());
        assert!(flags(None, None).check("anything", 1).is_ok());
        let none = flags(None, Some(&[]));
        assert!(none.check("localhost", 80).is_err());
        assert_eq!(none.describe(), "none (--deny-net)");
        let p = flags(Some(&["a.test"]), Some(&["a.test:25"]));
        assert!(p.check("a.test", 80).is_ok());
        assert_eq!(
            p.check("a.test", 25).unwrap_err(),
            "`a.test:25` is denied (set by `nyash bundle --deny-net`)"
        );
        assert_eq!(
            p.describe(),
            "only `a.test` except `a.test:25` (--allow-net, --deny-net)"
        );
        assert!(p.is_well_formed());
    }

    #[test]
    fn bad_hosts_say_what_is_wrong() {
        for (spec, why) in [
            ("", "the host is empty"),
            ("a,,b", "the host is empty"),
            (":80", "the host is empty"),
            ("a b", "is not a host name or address"),
            ("host:0", "is not a port"),
            ("host:70000", "is not a port"),
            ("host:", "is not a port"),
            ("[::1", "closing `]`"),
            ("[nope]", "is not an IPv6 address"),
            ("::1", "in brackets"),
        ] {
            let err = NetPolicy::from_flags(Some(&[spec.to_string()]), None).unwrap_err();
            assert!(err.message.contains(why), "{spec}: {err}");
            assert!(
                err.message.starts_with(&format!("`--allow-net={spec}`")),
                "{err}"
            );
        }
    }
}
