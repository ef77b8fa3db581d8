//! RegexBox (Part 2 §14.14 with R14): `test`, `find`, `findAll`, `replace` (with `$1`,
//! `${name}` and `$$` in the replacement) and `split`, on the engine in [`crate::regex`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::{arg_str, expect_args, unknown_method};
use crate::error::raise;
use crate::object::{new_array, new_str};
use crate::regex::Regex;
use crate::value::Val;

/// A compiled pattern and its text.
pub struct Re {
    /// The pattern as written.
    pub pattern: String,
    re: Regex,
}

/// Compiles `pattern`; raises `Invalid regex pattern: …` on failure.
pub fn compile(pattern: &str) -> Option<Re> {
    match Regex::new(pattern) {
        Ok(re) => Some(Re {
            pattern: pattern.into(),
            re,
        }),
        Err(e) => {
            raise(format!("Invalid regex pattern: {e}"));
            None
        }
    }
}

/// Every non-overlapping match, leftmost-first; after an empty match the search moves on by
/// one character.
fn all_matches(re: &Regex, s: &str) -> Vec<Vec<Option<usize>>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at <= s.len() {
        let Some(caps) = re.captures_at(s, at) else {
            break;
        };
        let (start, end) = (caps[0].unwrap_or(at), caps[1].unwrap_or(at));
        at = if end > start {
            end
        } else {
            end + s[end..].chars().next().map_or(1, char::len_utf8)
        };
        out.push(caps);
    }
    out
}

fn span(caps: &[Option<usize>], group: usize) -> Option<(usize, usize)> {
    Some((
        caps.get(2 * group).copied()??,
        caps.get(2 * group + 1).copied()??,
    ))
}

/// Appends `with`, expanding `$n`, `${n}`, `$name`, `${name}` and `$$`.
fn expand(re: &Regex, s: &str, caps: &[Option<usize>], with: &str, out: &mut String) {
    let mut rest = with;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let (name, after) = if let Some(r) = rest.strip_prefix('{') {
            match r.find('}') {
                Some(end) => (&r[..end], &r[end + 1..]),
                None => {
                    out.push('$');
                    continue;
                }
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        };
        if name.is_empty() {
            out.push('$');
            continue;
        }
        let group = match name.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => re.group_index(name),
        };
        if let Some((a, b)) = group.and_then(|g| span(caps, g)) {
            out.push_str(&s[a..b]);
        }
        rest = after;
    }
    out.push_str(rest);
}

/// RegexBox methods.
pub fn call(r: &Re, name: &str, args: &[Val]) -> Option<Val> {
    let re = &r.re;
    let out = match name {
        "test" | "isMatch" => {
            expect_args(name, args, 1)?;
            Val::bool(re.captures_at(arg_str(name, &args[0])?, 0).is_some())
        }
        "find" => {
            expect_args(name, args, 1)?;
            let s = arg_str(name, &args[0])?;
            match re.captures_at(s, 0).and_then(|c| span(&c, 0)) {
                Some((a, b)) => new_str(s[a..b].into()),
                None => Val::null(),
            }
        }
        "findAll" => {
            expect_args(name, args, 1)?;
            let s = arg_str(name, &args[0])?;
            let found = all_matches(re, s)
                .iter()
                .filter_map(|c| span(c, 0))
                .map(|(a, b)| new_str(s[a..b].into()))
                .collect();
            new_array(found)
        }
        "replace" => {
            expect_args(name, args, 2)?;
            let s = arg_str(name, &args[0])?;
            let with = arg_str(name, &args[1])?;
            let mut out = String::with_capacity(s.len());
            let mut last = 0;
            for caps in all_matches(re, s) {
                let Some((a, b)) = span(&caps, 0) else {
                    continue;
                };
                out.push_str(&s[last..a]);
                expand(re, s, &caps, with, &mut out);
                last = b;
            }
            out.push_str(&s[last..]);
            new_str(out)
        }
        "split" => {
            expect_args(name, args, 1)?;
            let s = arg_str(name, &args[0])?;
            let mut pieces = Vec::new();
            let mut last = 0;
            for caps in all_matches(re, s) {
                let Some((a, b)) = span(&caps, 0) else {
                    continue;
                };
                pieces.push(new_str(s[last..a].into()));
                last = b;
            }
            pieces.push(new_str(s[last..].into()));
            new_array(pieces)
        }
        "pattern" => {
            expect_args(name, args, 0)?;
            new_str(r.pattern.clone())
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(format!("RegexBox({})", r.pattern))
        }
        _ => return unknown_method("RegexBox", name),
    };
    Some(out)
}
