//! ArrayBox and MapBox methods (Part 2 §14.6–14.7 with R7 sharing and R14 fixes).

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::{arg_int, arg_str, expect_args, unknown_method};
use crate::display::{display, push_display};
use crate::error::raise;
use crate::map::Map;
use crate::object::{new_array, new_obj, new_str, KIND_MAP};
use crate::ops::{compare_for_sort, equals};
use crate::value::Val;

/// The `"ok"` that mutating methods give: one immortal string, made on first use, so a
/// `push` or `set` allocates nothing for its result.
pub(crate) fn ok() -> Val {
    use core::sync::atomic::{AtomicU32, Ordering};
    static OK: AtomicU32 = AtomicU32::new(0);
    let mut p = OK.load(Ordering::Relaxed);
    if p == 0 {
        let v = new_str("ok".into());
        let obj = v.ptr().unwrap();
        core::mem::forget(v);
        // SAFETY: `obj` was just made and nothing else refers to it yet.
        unsafe { (*obj).rc = crate::object::IMMORTAL * 2 };
        p = obj as u32;
        OK.store(p, Ordering::Relaxed);
    }
    Val::obj(p as *mut crate::object::Header)
}

/// Calls ArrayBox method `name`.
pub fn call(items: &mut Vec<Val>, name: &str, args: &mut Vec<Val>) -> Option<Val> {
    let r = match name {
        "push" => {
            expect_args(name, args, 1)?;
            items.push(args.pop().unwrap());
            ok()
        }
        "pop" => {
            expect_args(name, args, 0)?;
            items.pop().unwrap_or(Val::null())
        }
        "length" | "size" => {
            expect_args(name, args, 0)?;
            Val::int(items.len() as i64)
        }
        "isEmpty" => {
            expect_args(name, args, 0)?;
            Val::bool(items.is_empty())
        }
        "get" => {
            expect_args(name, args, 1)?;
            let i = arg_int(name, &args[0])?;
            match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                Some(v) => v.clone(),
                None => Val::null(),
            }
        }
        "set" => {
            expect_args(name, args, 2)?;
            let i = arg_int(name, &args[0])?;
            let len = items.len();
            match usize::try_from(i).ok().filter(|&i| i < len) {
                Some(i) => {
                    items[i] = args.pop().unwrap();
                    ok()
                }
                None => {
                    raise(format!(
                        "Index {i} out of bounds for ArrayBox of length {len}"
                    ));
                    return None;
                }
            }
        }
        "remove" => {
            expect_args(name, args, 1)?;
            let i = arg_int(name, &args[0])?;
            match usize::try_from(i).ok().filter(|&i| i < items.len()) {
                Some(i) => items.remove(i),
                None => Val::null(),
            }
        }
        "indexOf" => {
            expect_args(name, args, 1)?;
            let pos = items.iter().position(|v| equals(v, &args[0]));
            Val::int(pos.map_or(-1, |p| p as i64))
        }
        "contains" => {
            expect_args(name, args, 1)?;
            Val::bool(items.iter().any(|v| equals(v, &args[0])))
        }
        "clear" => {
            expect_args(name, args, 0)?;
            items.clear();
            ok()
        }
        "join" => {
            expect_args(name, args, 1)?;
            let sep = arg_str(name, &args[0])?;
            let mut out = String::new();
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                push_display(&mut out, v, 0);
            }
            new_str(out)
        }
        "sort" => {
            expect_args(name, args, 0)?;
            items.sort_by(compare_for_sort);
            ok()
        }
        "reverse" => {
            expect_args(name, args, 0)?;
            items.reverse();
            ok()
        }
        "slice" => {
            expect_args(name, args, 2)?;
            let len = items.len() as i64;
            let s = arg_int(name, &args[0])?.max(0);
            let mut e = arg_int(name, &args[1])?;
            if e < 0 {
                e = len;
            }
            let e = e.min(len);
            if s >= e {
                new_array(Vec::new())
            } else {
                new_array(items[s as usize..e as usize].to_vec())
            }
        }
        "clone" => {
            expect_args(name, args, 0)?;
            new_array(items.clone())
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(display(&new_array(items.clone())))
        }
        _ => return unknown_method("ArrayBox", name),
    };
    Some(r)
}

/// A map key: the display text of `v`, borrowed when `v` is a string.
pub(crate) fn key(v: &Val) -> Cow<'_, str> {
    match v.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(display(v)),
    }
}

/// Calls MapBox method `name`.
pub fn call_map(map: &mut Map, name: &str, args: &mut Vec<Val>) -> Option<Val> {
    let r = match name {
        "set" => {
            expect_args(name, args, 2)?;
            let v = args.pop().unwrap();
            let k = key(&args[0]);
            let mut text = String::with_capacity(9 + k.len());
            text.push_str("Set key: ");
            text.push_str(&k);
            map.set(&k, v);
            new_str(text)
        }
        "get" => {
            expect_args(name, args, 1)?;
            map.get(&key(&args[0])).cloned().unwrap_or(Val::null())
        }
        "has" | "containsKey" => {
            expect_args(name, args, 1)?;
            Val::bool(map.get(&key(&args[0])).is_some())
        }
        "delete" => {
            expect_args(name, args, 1)?;
            let k = key(&args[0]);
            if map.delete(&k) {
                new_str(format!("Deleted key: {k}"))
            } else {
                new_str(format!("Key not found: {k}"))
            }
        }
        "keys" => {
            expect_args(name, args, 0)?;
            new_array(
                map.entries()
                    .iter()
                    .map(|(k, _)| new_str(k.clone()))
                    .collect(),
            )
        }
        "values" => {
            expect_args(name, args, 0)?;
            new_array(map.entries().iter().map(|(_, v)| v.clone()).collect())
        }
        "size" => {
            expect_args(name, args, 0)?;
            Val::int(map.len() as i64)
        }
        "isEmpty" => {
            expect_args(name, args, 0)?;
            Val::bool(map.len() == 0)
        }
        "clear" => {
            expect_args(name, args, 0)?;
            map.clear();
            new_str("Map cleared".into())
        }
        "clone" => {
            expect_args(name, args, 0)?;
            new_obj(KIND_MAP, map.clone())
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(format!("MapBox(size={})", map.len()))
        }
        "containsValue" => {
            // Upstream's stub always says false (§14.7); R14: the plain meaning.
            expect_args(name, args, 1)?;
            let found = map
                .entries()
                .iter()
                .any(|(_, v)| crate::ops::equals(v, &args[0]));
            Val::bool(found)
        }
        "forEach" => {
            // §14.7: no callbacks in the language; upstream only counts.
            expect_args(name, args, 1)?;
            new_str(format!("Iterated over {} items", map.len()))
        }
        "toJSON" => {
            // §14.7: Int and Bool values unquoted, every other value as a JSON string of its
            // display text; insertion order (R14).
            expect_args(name, args, 0)?;
            let mut out = String::from("{");
            for (i, (k, v)) in map.entries().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(&mut out, k);
                out.push(':');
                match v.tag {
                    crate::value::TAG_INT | crate::value::TAG_BOOL => out.push_str(&display(v)),
                    _ => json_string(&mut out, &display(v)),
                }
            }
            out.push('}');
            new_str(out)
        }
        _ => return unknown_method("MapBox", name),
    };
    Some(r)
}

/// Appends `s` as a JSON string literal.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
