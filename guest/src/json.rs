//! JSONBox (Part 2 §14.13 with R14: `set` persists, misuse raises), on the JSON values of
//! [`crate::jsontext`] (object keys sorted, as upstream prints them).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use alloc::collections::BTreeMap;

use crate::jsontext::{self, Value};

use crate::builtins::{arg_str, expect_args, unknown_method};
use crate::display::display;
use crate::error::raise;
use crate::map::Map;
use crate::native::{new_native, Native};
use crate::object::{self, new_array, new_obj, new_str, KIND_ARRAY, KIND_MAP, KIND_STR};
use crate::value::{Val, TAG_BOOL, TAG_INT, TAG_NULL};

/// Parses JSON text; raises `Invalid JSON: …` on failure.
pub fn parse(text: &str) -> Option<Value> {
    match jsontext::parse(text) {
        Ok(v) => Some(v),
        Err(e) => {
            raise(format!("Invalid JSON: {e}"));
            None
        }
    }
}

/// Compact JSON text.
pub fn stringify(v: &Value) -> String {
    let mut out = String::new();
    jsontext::push_json(&mut out, v);
    out
}

/// A JSON value as a Nyash value: objects become MapBoxes (keys in sorted order), arrays
/// ArrayBoxes; integers are Ints and other numbers come back as their text (Part 2 §14.13).
fn to_val(v: &Value) -> Val {
    match v {
        Value::Null => Val::null(),
        Value::Bool(b) => Val::bool(*b),
        Value::Int(i) => Val::int(*i),
        Value::Float(f) => new_str(display(&Val::float(*f))),
        Value::String(s) => new_str(s.clone()),
        Value::Array(items) => new_array(items.iter().map(to_val).collect()),
        Value::Object(m) => {
            let mut map = Map::default();
            for (k, v) in m {
                map.set(k, to_val(v));
            }
            new_obj(KIND_MAP, map)
        }
    }
}

/// A Nyash value as JSON: null, Bool, Int, string, ArrayBox and MapBox map over; anything
/// else becomes its display text (Part 2 §14.13).
pub(crate) fn from_val(v: &Val, depth: u32) -> Option<Value> {
    if depth > 100 {
        raise("set(): the value is nested too deeply (or contains itself)".into());
        return None;
    }
    Some(match v.tag {
        TAG_NULL => Value::Null,
        TAG_BOOL => Value::Bool(v.bits != 0),
        TAG_INT => Value::Int(v.bits as i64),
        _ => match v.kind() {
            Some(KIND_STR) => Value::String(v.as_str().unwrap().into()),
            Some(KIND_ARRAY) => {
                let items = unsafe { object::payload::<Vec<Val>>(v.ptr().unwrap()) };
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(from_val(item, depth + 1)?);
                }
                Value::Array(out)
            }
            Some(KIND_MAP) => {
                let map = unsafe { object::payload::<Map>(v.ptr().unwrap()) };
                let mut out = BTreeMap::new();
                for (k, item) in map.entries() {
                    out.insert(k.clone(), from_val(item, depth + 1)?);
                }
                Value::Object(out)
            }
            _ => Value::String(display(v)),
        },
    })
}

/// The array index named by `key` (any value whose text is a non-negative integer).
fn index_of(key: &Val) -> Option<usize> {
    match key.as_int() {
        Some(i) => usize::try_from(i).ok(),
        None => display(key).trim().parse::<usize>().ok(),
    }
}

fn lookup<'a>(v: &'a Value, key: &Val) -> Option<&'a Value> {
    match v {
        Value::Object(m) => m.get(display(key).as_str()),
        Value::Array(items) => index_of(key).and_then(|i| items.get(i)),
        _ => None,
    }
}

/// JSONBox methods.
pub fn call(v: &mut Value, recv: &Val, name: &str, args: Vec<Val>) -> Option<Val> {
    let r = match name {
        "stringify" | "toString" => {
            expect_args(name, &args, 0)?;
            new_str(stringify(v))
        }
        "get" => {
            expect_args(name, &args, 1)?;
            lookup(v, &args[0]).map_or(Val::null(), to_val)
        }
        "has" => {
            expect_args(name, &args, 1)?;
            Val::bool(lookup(v, &args[0]).is_some())
        }
        "set" => {
            expect_args(name, &args, 2)?;
            let value = from_val(&args[1], 0)?;
            let Value::Object(m) = v else {
                raise(format!(
                    "set() requires a JSON object, this JSONBox holds {}",
                    kind_name(v)
                ));
                return None;
            };
            m.insert(display(&args[0]), value);
            crate::array::ok()
        }
        "keys" => {
            expect_args(name, &args, 0)?;
            match v {
                Value::Object(m) => new_array(m.keys().map(|k| new_str(k.clone())).collect()),
                _ => new_array(Vec::new()),
            }
        }
        "parse" => {
            expect_args(name, &args, 1)?;
            new_native(Native::Json(parse(arg_str(name, &args[0])?)?))
        }
        "equals" => {
            expect_args(name, &args, 1)?;
            Val::bool(crate::ops::equals(recv, &args[0]))
        }
        _ => return unknown_method("JSONBox", name),
    };
    Some(r)
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
