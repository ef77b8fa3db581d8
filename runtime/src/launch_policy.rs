//! The launch policy: the environment and arguments an author bakes into a
//! bundle, which host variables the program sees, and whether the launcher
//! obeys its own variables.
//!
//! Like the file-system policy (`crate::policy`), it is data:
//! `nyash bundle --env/--env-file/--arg/--env-allow/--lock` stores it in the
//! payload index, the launcher decodes it, and [`LaunchPolicy::program_env`]
//! and [`LaunchPolicy::program_args`] are the one place the program's
//! environment and arguments are built, for the launcher and `nyash run`
//! alike.
//!
//! * **Environment.** The program sees the host variables the allow list
//!   lets through (all of them without `--env-allow`), then every baked
//!   variable the host does not set among those. A baked value is the
//!   author's default: a host variable of the same name, if the program may
//!   see it, wins. To fix a value, leave its name out of `--env-allow`.
//! * **Arguments.** The baked arguments come right after the program name,
//!   before the user's.
//! * **Lock.** A locked bundle's launcher ignores `NYASH_EXEC` and
//!   `NYASH_TRACE`: it takes the automatic path and prints no trace.
//!
//! In every bundle, locked or not, the launcher's own variables are removed
//! from what the program sees (`crate::wasi::LAUNCHER_VARIABLES`).

use std::ffi::OsString;
use std::fmt;

/// How a bundle starts its program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaunchPolicy {
    /// `--env KEY=VALUE` and `--env-file`: the author's variables, in the
    /// order given, each key once (a later value replaces an earlier one).
    pub env: Vec<(String, String)>,
    /// `--arg VALUE`: put before the user's arguments.
    pub args: Vec<String>,
    /// `--env-allow`: the host variables the program sees; `None` for all.
    /// A name ending in `*` stands for every name starting with the rest.
    pub env_allow: Option<Vec<String>>,
    /// `--lock`: the launcher ignores `NYASH_EXEC` and `NYASH_TRACE`.
    pub lock: bool,
}

/// The most baked variables, arguments or allowed names one bundle may carry
/// (each list on its own).
pub const MAX_LAUNCH_ITEMS: usize = 4096;

/// The longest baked key, value, argument or allowed name, in bytes.
pub const MAX_LAUNCH_TEXT: usize = 32 * 1024;

/// Why a launch-policy flag or file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchSpecError {
    /// What is wrong, one sentence.
    pub message: String,
}

impl fmt::Display for LaunchSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LaunchSpecError {}

fn fail<T>(message: String) -> Result<T, LaunchSpecError> {
    Err(LaunchSpecError { message })
}

/// Why `key` cannot be an environment variable name, if it cannot.
fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("the variable name is empty")
    } else if key.contains('=') {
        Some("a variable name cannot contain `=`")
    } else if key.contains('\0') {
        Some("a variable name cannot contain a NUL byte")
    } else if key.len() > MAX_LAUNCH_TEXT {
        Some("the variable name is too long")
    } else {
        None
    }
}

/// Why `value` cannot be a baked value or argument, if it cannot.
fn value_problem(value: &str) -> Option<&'static str> {
    if value.contains('\0') {
        Some("it contains a NUL byte")
    } else if value.len() > MAX_LAUNCH_TEXT {
        Some("it is longer than 32 KiB")
    } else {
        None
    }
}

impl LaunchPolicy {
    /// The default: no baked variables or arguments, every host variable, not
    /// locked.
    pub fn is_default(&self) -> bool {
        *self == LaunchPolicy::default()
    }

    /// Adds one baked variable, replacing an earlier one of the same name
    /// in place (so the order is that of first mention).
    pub fn set_env(&mut self, key: &str, value: &str) {
        match self.env.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.env.push((key.to_string(), value.to_string())),
        }
    }

    /// Parses one `--env KEY=VALUE` (the value may be empty and may contain
    /// `=`; the key may not).
    pub fn parse_env(spec: &str) -> Result<(String, String), LaunchSpecError> {
        let Some((key, value)) = spec.split_once('=') else {
            return fail(format!("`--env {spec}` has no `=`; the form is KEY=VALUE"));
        };
        if let Some(why) = key_problem(key) {
            return fail(format!("`--env {spec}`: {why}"));
        }
        if let Some(why) = value_problem(value) {
            return fail(format!("`--env {key}=…`: the value cannot be baked: {why}"));
        }
        Ok((key.to_string(), value.to_string()))
    }

    /// Checks one `--arg` value.
    pub fn check_arg(arg: &str) -> Result<(), LaunchSpecError> {
        match value_problem(arg) {
            Some(why) => fail(format!("an `--arg` value cannot be baked: {why}")),
            None => Ok(()),
        }
    }

    /// Parses one `--env-allow` value: names separated by commas, spaces
    /// around them ignored, empty entries skipped (so `--env-allow ""`
    /// allows nothing). A name may end in `*`.
    pub fn parse_allow(list: &str) -> Result<Vec<String>, LaunchSpecError> {
        let mut names = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let stem = name.strip_suffix('*').unwrap_or(name);
            if stem.contains('*') {
                return fail(format!(
                    "`--env-allow {list}`: `{name}` has a `*` that is not at its end"
                ));
            }
            if let Some(why) = key_problem(name) {
                return fail(format!("`--env-allow {list}`: `{name}`: {why}"));
            }
            names.push(name.to_string());
        }
        Ok(names)
    }

    /// Checks a whole policy: list lengths, and every key, value, argument
    /// and name well formed. The bundler calls it before writing; the
    /// payload reader calls it on what it decodes.
    pub fn check(&self) -> Result<(), LaunchSpecError> {
        let allow = self.env_allow.as_deref().unwrap_or_default();
        for (what, n) in [
            ("`--env` variables", self.env.len()),
            ("`--arg` values", self.args.len()),
            ("`--env-allow` names", allow.len()),
        ] {
            if n > MAX_LAUNCH_ITEMS {
                return fail(format!(
                    "{n} {what} given; at most {MAX_LAUNCH_ITEMS} are allowed"
                ));
            }
        }
        for (i, (k, v)) in self.env.iter().enumerate() {
            if let Some(why) = key_problem(k).or_else(|| value_problem(v)) {
                return fail(format!("the baked variable `{k}` is malformed: {why}"));
            }
            if self.env[..i].iter().any(|(e, _)| e == k) {
                return fail(format!("the baked variable `{k}` is given twice"));
            }
        }
        for a in &self.args {
            Self::check_arg(a)?;
        }
        for name in allow {
            let stem = name.strip_suffix('*').unwrap_or(name);
            if stem.contains('*') || key_problem(name).is_some() {
                return fail(format!("the allowed variable name `{name}` is malformed"));
            }
        }
        Ok(())
    }

    /// Whether the program may see the host variable `name`.
    pub fn allows(&self, name: &[u8]) -> bool {
        let Some(allow) = &self.env_allow else {
            return true;
        };
        allow.iter().any(|a| match a.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix.as_bytes()),
            None => name == a.as_bytes(),
        })
    }

    /// The environment the program sees, from the host's `vars` (in their
    /// order) and the baked variables: first the host variables the allow
    /// list lets through, less `hidden` (the launcher's own), then the baked
    /// ones the host does not give.
    pub fn program_env(
        &self,
        vars: impl IntoIterator<Item = (OsString, OsString)>,
        hidden: &[&str],
    ) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = vars
            .into_iter()
            .filter(|(k, _)| !hidden.iter().any(|h| k == h) && self.allows(k.as_encoded_bytes()))
            .collect();
        for (k, v) in &self.env {
            if !env.iter().any(|(h, _)| h == k.as_str()) {
                env.push((k.into(), v.into()));
            }
        }
        env
    }

    /// The arguments the program sees: the program name (the first of
    /// `argv`), the baked arguments, then the rest of `argv`.
    pub fn program_args(&self, argv: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
        let mut argv = argv.into_iter();
        let mut out: Vec<OsString> = argv.next().into_iter().collect();
        out.extend(self.args.iter().map(OsString::from));
        out.extend(argv);
        out
    }

    /// Reads a dotenv-style file's text into the policy (`--env-file`).
    /// `source` names the file in messages.
    ///
    /// The rules (`README.md` repeats them):
    /// * one `KEY=VALUE` per line, with an optional `export ` before the key;
    ///   spaces around the key and around the value are ignored;
    /// * blank lines, and lines whose first non-space character is `#`, are
    ///   skipped; in an unquoted value, a `#` after a space starts a comment;
    /// * a value in single quotes is taken as written; one in double quotes
    ///   understands `\n`, `\t`, `\r`, `\"` and `\\`; either must close on
    ///   the same line and may be followed only by spaces or a comment;
    /// * nothing is substituted: `$NAME` stays as written, so the bundle does
    ///   not depend on the environment it was made in.
    pub fn read_env_file(&mut self, text: &str, source: &str) -> Result<(), LaunchSpecError> {
        for (n, line) in text.lines().enumerate() {
            let at = || format!("{source}:{}", n + 1);
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let body = trimmed
                .strip_prefix("export ")
                .map_or(trimmed, str::trim_start);
            let Some((key, rest)) = body.split_once('=') else {
                return fail(format!(
                    "{}: the line has no `=`; each line is KEY=VALUE",
                    at()
                ));
            };
            let key = key.trim();
            if let Some(why) = key_problem(key) {
                return fail(format!("{}: {why}", at()));
            }
            if key.contains(char::is_whitespace) {
                return fail(format!(
                    "{}: the variable name `{key}` contains a space",
                    at()
                ));
            }
            let value = env_file_value(rest.trim_start()).map_err(|why| LaunchSpecError {
                message: format!("{}: {why}", at()),
            })?;
            if let Some(why) = value_problem(&value) {
                return fail(format!("{}: the value cannot be baked: {why}", at()));
            }
            self.set_env(key, &value);
        }
        Ok(())
    }
}

/// The value part of an env-file line, after the `=` and leading spaces.
fn env_file_value(rest: &str) -> Result<String, String> {
    let quote = match rest.chars().next() {
        Some(q @ ('\'' | '"')) => q,
        _ => {
            let end = rest
                .char_indices()
                .find(|&(i, c)| c == '#' && rest[..i].ends_with([' ', '\t']))
                .map_or(rest.len(), |(i, _)| i);
            return Ok(rest[..end].trim_end().to_string());
        }
    };
    let mut value = String::new();
    let mut chars = rest[1..].char_indices();
    let close = loop {
        let Some((i, c)) = chars.next() else {
            return Err(format!(
                "the value's opening {quote} is not closed on this line"
            ));
        };
        match c {
            c if c == quote => break i + 2,
            '\\' if quote == '"' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, e @ ('"' | '\\'))) => value.push(e),
                Some((_, e)) => {
                    return Err(format!(
                        "`\\{e}` is not an escape; inside double quotes write \\n, \\t, \\r, \\\" or \\\\"
                    ))
                }
                None => return Err("the line ends in a `\\`".into()),
            },
            c => value.push(c),
        }
    };
    let after = rest[close..].trim_start();
    if !after.is_empty() && !after.starts_with('#') {
        return Err(format!(
            "text after the closing {quote}: `{after}`; only a # comment may follow"
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    #[test]
    fn env_specs_parse_and_bad_ones_are_refused() {
        assert_eq!(
            LaunchPolicy::parse_env("A=b=c").unwrap(),
            ("A".into(), "b=c".into())
        );
        assert_eq!(
            LaunchPolicy::parse_env("A=").unwrap(),
            ("A".into(), String::new())
        );
        for bad in ["A", "=x", "", "A\0B=1", "A=\0"] {
            assert!(LaunchPolicy::parse_env(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn baked_values_are_defaults_the_allowed_host_overrides() {
        let policy = LaunchPolicy {
            env: vec![
                ("MODE".into(), "baked".into()),
                ("FIXED".into(), "f".into()),
            ],
            env_allow: Some(vec!["MODE".into(), "LC_*".into()]),
            ..LaunchPolicy::default()
        };
        let host = os(&[
            ("FIXED", "host"),
            ("LC_ALL", "C"),
            ("MODE", "host"),
            ("NYASH_EXEC", "wasm"),
            ("OTHER", "x"),
        ]);
        assert_eq!(
            policy.program_env(host, &["NYASH_EXEC"]),
            os(&[("LC_ALL", "C"), ("MODE", "host"), ("FIXED", "f")])
        );
        let all = LaunchPolicy::default();
        assert_eq!(
            all.program_env(os(&[("A", "1"), ("NYASH_EXEC", "x")]), &["NYASH_EXEC"]),
            os(&[("A", "1")])
        );
    }

    #[test]
    fn baked_arguments_go_after_the_program_name() {
        let policy = LaunchPolicy {
            args: vec!["--baked".into()],
            ..LaunchPolicy::default()
        };
        let argv = ["app", "user"].map(OsString::from);
        assert_eq!(
            policy.program_args(argv),
            ["app", "--baked", "user"].map(OsString::from)
        );
    }

    #[test]
    fn env_files_follow_the_documented_rules() {
        let text = "# comment\n\n  export  A = one two  # note\nB='single # kept \\n'\nC=\"x\\ty\\\"z\"  # c\nD=\nE=a#b\nA=again\n";
        let mut policy = LaunchPolicy::default();
        policy.read_env_file(text, "f.env").unwrap();
        let want: Vec<(String, String)> = [
            ("A", "again"),
            ("B", "single # kept \\n"),
            ("C", "x\ty\"z"),
            ("D", ""),
            ("E", "a#b"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(policy.env, want);
        for (bad, message) in [
            ("A=1\nnoequals\n", "f.env:2: the line has no `=`"),
            ("=1\n", "f.env:1: the variable name is empty"),
            (
                "A B=1\n",
                "f.env:1: the variable name `A B` contains a space",
            ),
            (
                "A=\"open\n",
                "f.env:1: the value's opening \" is not closed",
            ),
            ("A='x' y\n", "f.env:1: text after the closing '"),
            ("A=\"\\q\"\n", "f.env:1: `\\q` is not an escape"),
        ] {
            let err = LaunchPolicy::default()
                .read_env_file(bad, "f.env")
                .unwrap_err();
            assert!(err.message.starts_with(message), "{bad:?}: {}", err.message);
        }
    }

    #[test]
    fn allow_lists_parse() {
        assert_eq!(
            LaunchPolicy::parse_allow("HOME, LC_*,,PATH").unwrap(),
            ["HOME", "LC_*", "PATH"]
        );
        assert!(LaunchPolicy::parse_allow("").unwrap().is_empty());
        assert!(LaunchPolicy::parse_allow("A*B").is_err());
        assert!(LaunchPolicy::parse_allow("A=B").is_err());
        assert_eq!(LaunchPolicy::parse_allow("*").unwrap(), ["*"]);
    }
}
