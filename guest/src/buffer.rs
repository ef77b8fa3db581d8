//! BufferBox (Part 2 §14.16 with R7 and R14): a byte buffer. Every handle to one BufferBox
//! shares its storage (R7); `clone()` makes an independent copy. Misuse raises.

use alloc::format;
use alloc::vec::Vec;

use crate::builtins::{arg_int, expect_args, unknown_method};
use crate::display::{display, type_name};
use crate::error::raise;
use crate::native::{native_of, new_native, Native};
use crate::object::{self, new_array, new_str, KIND_ARRAY};
use crate::value::Val;

fn bytes_of_array(name: &str, v: &Val) -> Option<Vec<u8>> {
    if v.kind() != Some(KIND_ARRAY) {
        raise(format!(
            "{name}() requires an ArrayBox of bytes, got {}",
            type_name(v)
        ));
        return None;
    }
    let items = unsafe { object::payload::<Vec<Val>>(v.ptr().unwrap()) };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_int().and_then(|b| u8::try_from(b).ok()) {
            Some(b) => out.push(b),
            None => {
                raise(format!(
                    "{name}() requires bytes (Int 0 to 255), got {} at index {i}",
                    display(item)
                ));
                return None;
            }
        }
    }
    Some(out)
}

fn other_buffer<'a>(name: &str, v: &'a Val) -> Option<&'a Vec<u8>> {
    if let Some(Native::Buffer(b)) = native_of(v) {
        return Some(b);
    }
    raise(format!(
        "{name}() requires a BufferBox argument, got {}",
        type_name(v)
    ));
    None
}

fn as_array(bytes: &[u8]) -> Val {
    new_array(bytes.iter().map(|&b| Val::int(b as i64)).collect())
}

/// BufferBox methods; `recv` is the buffer itself (for identity and `share_reference`).
pub fn call(bytes: &mut Vec<u8>, recv: &Val, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "write" => {
            expect_args(name, args, 1)?;
            let more = bytes_of_array(name, &args[0])?;
            bytes.extend_from_slice(&more);
            Val::int(bytes.len() as i64)
        }
        "readAll" => {
            expect_args(name, args, 0)?;
            as_array(bytes)
        }
        "read" => {
            expect_args(name, args, 1)?;
            let n = arg_int(name, &args[0])?;
            if n < 0 {
                raise(format!("read() requires a non-negative count, got {n}"));
                return None;
            }
            let n = (n as u64).min(bytes.len() as u64) as usize;
            let taken: Vec<u8> = bytes.drain(..n).collect();
            as_array(&taken)
        }
        "clear" => {
            expect_args(name, args, 0)?;
            bytes.clear();
            crate::array::ok()
        }
        "length" | "size" => {
            expect_args(name, args, 0)?;
            Val::int(bytes.len() as i64)
        }
        "append" => {
            expect_args(name, args, 1)?;
            // Copied first: `buf.append(buf)` appends the buffer to itself.
            let more = other_buffer(name, &args[0])?.clone();
            bytes.extend_from_slice(&more);
            Val::int(bytes.len() as i64)
        }
        "slice" => {
            expect_args(name, args, 2)?;
            let (s, e) = (arg_int(name, &args[0])?, arg_int(name, &args[1])?);
            // As ArrayBox `slice`: a negative start is 0, a negative or too large end is
            // the length; a start after the end is an error.
            let len = bytes.len() as i64;
            let e = if e < 0 || e > len { len } else { e };
            let s = s.max(0);
            if s > e {
                raise(format!(
                    "slice() start {s} is after end {e} (BufferBox of {len} bytes)"
                ));
                return None;
            }
            new_native(Native::Buffer(bytes[s as usize..e as usize].to_vec()))
        }
        "is_shared_with" | "isSharedWith" => {
            expect_args(name, args, 1)?;
            Val::bool(args[0].ptr().is_some() && args[0].ptr() == recv.ptr())
        }
        "share_reference" | "shareReference" => {
            if args.len() > 1 {
                expect_args(name, args, 1)?;
            }
            recv.clone()
        }
        "memory_footprint" | "memoryFootprint" => {
            expect_args(name, args, 0)?;
            Val::int(bytes.len() as i64)
        }
        "clone" => {
            expect_args(name, args, 0)?;
            new_native(Native::Buffer(bytes.clone()))
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str(format!("BufferBox({} bytes)", bytes.len()))
        }
        "equals" => {
            expect_args(name, args, 1)?;
            Val::bool(crate::ops::equals(recv, &args[0]))
        }
        _ => return unknown_method("BufferBox", name),
    };
    Some(r)
}
