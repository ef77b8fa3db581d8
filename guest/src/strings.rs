//! StringBox methods (Part 2 §14.1 with R5 and R14: lengths and indices count characters).

use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::{arg_int, arg_str, expect_args, unknown_method};
use crate::char_index::Chars;
use crate::num;
use crate::object::{new_array, new_str, str_value};
use crate::value::Val;

/// Calls StringBox method `name` on `s`, the text of the live string object at `key`.
pub fn call(s: &str, key: usize, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "length" => {
            expect_args(name, args, 0)?;
            Val::int(Chars::of(s, key).count() as i64)
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(s.into())
        }
        "get" => {
            expect_args(name, args, 1)?;
            let i = arg_int(name, &args[0])?;
            match usize::try_from(i)
                .ok()
                .and_then(|i| Chars::of(s, key).get(i))
            {
                Some(c) => str_value(c),
                // §14.1: out of range gives void (Part 1 is silent).
                None => Val::void(),
            }
        }
        "substring" => {
            expect_args(name, args, 2)?;
            let (a, b) = (arg_int(name, &args[0])?, arg_int(name, &args[1])?);
            let chars = Chars::of(s, key);
            let n = chars.count() as i64;
            // Negative indices count as 0 (docs/differences-from-upstream.md, "substring").
            let end = b.clamp(0, n);
            let start = a.clamp(0, end);
            str_value(chars.slice(start as usize, end as usize))
        }
        "find" | "indexOf" => {
            expect_args(name, args, 1)?;
            let sub = arg_str(name, &args[0])?;
            match s.find(sub) {
                Some(b) => Val::int(s[..b].chars().count() as i64),
                None => Val::int(-1),
            }
        }
        "contains" => {
            expect_args(name, args, 1)?;
            Val::bool(s.contains(arg_str(name, &args[0])?))
        }
        "startsWith" => {
            expect_args(name, args, 1)?;
            Val::bool(s.starts_with(arg_str(name, &args[0])?))
        }
        "endsWith" => {
            expect_args(name, args, 1)?;
            Val::bool(s.ends_with(arg_str(name, &args[0])?))
        }
        "concat" => {
            expect_args(name, args, 1)?;
            let mut out = String::from(s);
            crate::display::push_display(&mut out, &args[0], 0);
            new_str(out)
        }
        "split" => {
            expect_args(name, args, 1)?;
            let sep = arg_str(name, &args[0])?;
            let parts: Vec<Val> = s.split(sep).map(|p| new_str(p.into())).collect();
            new_array(parts)
        }
        "replace" => {
            expect_args(name, args, 2)?;
            new_str(s.replace(arg_str(name, &args[0])?, arg_str(name, &args[1])?))
        }
        "trim" => {
            expect_args(name, args, 0)?;
            new_str(s.trim().into())
        }
        "toUpper" | "toUpperCase" => {
            expect_args(name, args, 0)?;
            new_str(s.to_uppercase())
        }
        "toLower" | "toLowerCase" => {
            expect_args(name, args, 0)?;
            new_str(s.to_lowercase())
        }
        "toInteger" => {
            expect_args(name, args, 0)?;
            Val::int(num::parse_int(s).unwrap_or(0))
        }
        "equals" => {
            expect_args(name, args, 1)?;
            Val::bool(args[0].as_str() == Some(s))
        }
        _ => return unknown_method("StringBox", name),
    };
    Some(r)
}
