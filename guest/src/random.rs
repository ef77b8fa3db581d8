//! RandomBox (Part 2 §14.11 with R14): the generator state lives in the box, so it advances
//! on every call and `seed(n)` makes a run reproducible. The generator is SplitMix64.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::{arg_int, arg_num, expect_args, unknown_method};
use crate::display::type_name;
use crate::error::raise;
use crate::object::{self, new_array, new_str, KIND_ARRAY};
use crate::value::Val;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn random_get(buf: *mut u8, len: u32) -> u32;
}

/// A seed for an unseeded RandomBox: WASI `random_get`, or the clock if that fails.
pub fn fresh_seed() -> u64 {
    let mut b = [0u8; 8];
    if unsafe { random_get(b.as_mut_ptr(), 8) } == 0 {
        u64::from_le_bytes(b)
    } else {
        crate::time::now_ns() ^ crate::time::monotonic_ns().rotate_left(32)
    }
}

fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform Float in [0, 1).
fn unit(state: &mut u64) -> f64 {
    (next(state) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform index in `0..n` (`n > 0`), without modulo bias.
fn below(state: &mut u64, n: u64) -> u64 {
    // Values below `threshold` would make the low residues more likely.
    let threshold = n.wrapping_neg() % n;
    loop {
        let x = next(state);
        if x >= threshold {
            return x % n;
        }
    }
}

fn array_arg<'a>(name: &str, v: &'a Val) -> Option<&'a Vec<Val>> {
    if v.kind() == Some(KIND_ARRAY) {
        return Some(unsafe { object::payload::<Vec<Val>>(v.ptr().unwrap()) });
    }
    raise(format!(
        "{name}() requires an ArrayBox argument, got {}",
        type_name(v)
    ));
    None
}

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// RandomBox methods.
pub fn call(state: &mut u64, name: &str, args: &[Val]) -> Option<Val> {
    let r = match name {
        "seed" => {
            expect_args(name, args, 1)?;
            *state = arg_int(name, &args[0])? as u64;
            Val::void()
        }
        "random" => {
            expect_args(name, args, 0)?;
            Val::float(unit(state))
        }
        "randInt" => {
            expect_args(name, args, 2)?;
            let (lo, hi) = (arg_int(name, &args[0])?, arg_int(name, &args[1])?);
            if lo > hi {
                raise(format!("randInt() requires min <= max, got {lo} and {hi}"));
                return None;
            }
            let span = (hi as u64).wrapping_sub(lo as u64).wrapping_add(1);
            let offset = if span == 0 {
                next(state)
            } else {
                below(state, span)
            };
            Val::int((lo as u64).wrapping_add(offset) as i64)
        }
        "randBool" => {
            expect_args(name, args, 0)?;
            Val::bool(next(state) >> 63 == 1)
        }
        "choice" => {
            expect_args(name, args, 1)?;
            let items = array_arg(name, &args[0])?;
            if items.is_empty() {
                raise("choice() requires a non-empty ArrayBox".into());
                return None;
            }
            items[below(state, items.len() as u64) as usize].clone()
        }
        "shuffle" => {
            expect_args(name, args, 1)?;
            let mut items = array_arg(name, &args[0])?.clone();
            for i in (1..items.len()).rev() {
                let j = below(state, i as u64 + 1) as usize;
                items.swap(i, j);
            }
            new_array(items)
        }
        "randString" => {
            expect_args(name, args, 1)?;
            let n = arg_int(name, &args[0])?;
            if !(0..=1 << 24).contains(&n) {
                raise(format!(
                    "randString() requires a length from 0 to 16777216, got {n}"
                ));
                return None;
            }
            let s: String = (0..n)
                .map(|_| ALPHANUMERIC[below(state, ALPHANUMERIC.len() as u64) as usize] as char)
                .collect();
            new_str(s)
        }
        "probability" => {
            expect_args(name, args, 1)?;
            let p = arg_num(name, &args[0])?;
            if !(0.0..=1.0).contains(&p) {
                raise(format!(
                    "probability() requires a number from 0 to 1, got {}",
                    crate::display::display(&args[0])
                ));
                return None;
            }
            Val::bool(unit(state) < p)
        }
        "toString" => {
            expect_args(name, args, 0)?;
            new_str("RandomBox()".into())
        }
        _ => return unknown_method("RandomBox", name),
    };
    Some(r)
}
