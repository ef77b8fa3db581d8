//! Dynamic operators: arithmetic (R4), concatenation and repetition (R5), comparison,
//! equality (Part 2 §6.5 with R4's numeric equality) and truthiness (R6).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::display::{display, type_name};
use crate::error::raise;
use crate::object::{self, new_str, KIND_ARRAY, KIND_ERROR, KIND_STR};
use crate::value::{Val, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_OBJ, TAG_VOID};

/// Operator codes shared with the compiler.
pub use nyash_abi::op as code;

/// R6: false, 0, 0.0, "", null and void are falsy; everything else is truthy.
pub fn truthy(v: &Val) -> bool {
    match v.tag {
        TAG_VOID | TAG_NULL => false,
        TAG_BOOL | TAG_INT => v.bits != 0,
        TAG_FLOAT => f64::from_bits(v.bits) != 0.0,
        _ => v.as_str().is_none_or(|s| !s.is_empty()),
    }
}

/// Applies a binary operator; raises and returns void on error.
pub fn binop(op: u32, a: Val, b: Val) -> Val {
    match op {
        code::ADD => add(a, b),
        code::SUB | code::MUL | code::DIV | code::REM => arith(op, a, b),
        code::EQ => Val::bool(equals(&a, &b)),
        code::NE => Val::bool(!equals(&a, &b)),
        _ if a.as_int().is_none() || b.as_int().is_none() => {
            if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
                return Val::bool(match op {
                    code::LT => x < y,
                    code::LE => x <= y,
                    code::GT => x > y,
                    _ => x >= y,
                });
            }
            ordered(op, &a, &b)
        }
        _ => ordered(op, &a, &b),
    }
}

fn ordered(op: u32, a: &Val, b: &Val) -> Val {
    match compare(a, b) {
        Some(ord) => Val::bool(match op {
            code::LT => ord.is_lt(),
            code::LE => ord.is_le(),
            code::GT => ord.is_gt(),
            _ => ord.is_ge(),
        }),
        None => Val::void(),
    }
}

fn add(a: Val, b: Val) -> Val {
    if a.as_str().is_some() || b.as_str().is_some() {
        let mut s = match a.as_str() {
            // Room for the right operand too (an Int's digits, when it is not a string), so
            // the common `"text" + n` allocates once.
            Some(t) => {
                let more = b.as_str().map_or(20, str::len);
                // A result past what one wasm32 allocation may hold (`isize::MAX` bytes) is
                // running out of memory, not a capacity-overflow panic.
                if t.len().saturating_add(more) > isize::MAX as usize {
                    crate::error::out_of_memory();
                }
                let mut s = String::with_capacity(t.len() + more);
                crate::display::push_text(&mut s, t);
                s
            }
            None => display(&a),
        };
        if let Some(t) = b.as_str() {
            if s.len().saturating_add(t.len()) > isize::MAX as usize {
                crate::error::out_of_memory();
            }
        }
        crate::display::push_display(&mut s, &b, 0);
        return new_str(s);
    }
    if a.tag == TAG_BOOL && b.tag == TAG_BOOL {
        return Val::int(a.bits as i64 + b.bits as i64);
    }
    arith(code::ADD, a, b)
}

/// `x = x + b` in place: when `p`, the string object a local `x` holds, has no other
/// reference, appends the display text of `b` to it and returns `true`; otherwise (and
/// when `b` is an object other than a string, whose display may run user code) leaves
/// everything as it was and returns `false`, and the caller computes `x + b` as usual.
///
/// The result is exactly [`add`]'s: the same text, and since nothing else refers to `p`,
/// no program can tell that the object was reused. `b` is consumed either way.
///
/// # Safety
/// `p` must point to a live object.
pub unsafe fn append_in_place(p: *mut object::Header, b: Val) -> bool {
    unsafe {
        if object::kind(p) != KIND_STR || (*p).rc != 1 {
            return false;
        }
        if b.tag == TAG_OBJ && b.as_str().is_none() {
            return false;
        }
        let s = object::payload::<String>(p);
        if let Some(t) = b.as_str() {
            if s.len().saturating_add(t.len()) > isize::MAX as usize {
                crate::error::out_of_memory();
            }
        }
        match b.as_str() {
            Some(t) => crate::display::push_text(s, t),
            None => crate::display::push_display(s, &b, 0),
        }
        // Its character positions changed.
        crate::char_index::forget(p as usize);
        true
    }
}

fn op_name(op: u32) -> &'static str {
    match op {
        code::ADD => "Addition",
        code::SUB => "Subtraction",
        code::MUL => "Multiplication",
        code::DIV => "Division",
        _ => "Modulo",
    }
}

/// Int and Float arithmetic; `Str * Int` repeats.
pub fn arith(op: u32, a: Val, b: Val) -> Val {
    if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
        return match op {
            code::ADD => Val::int(x.wrapping_add(y)),
            code::SUB => Val::int(x.wrapping_sub(y)),
            code::MUL => Val::int(x.wrapping_mul(y)),
            code::DIV if y == 0 => {
                raise("Division by zero".into());
                Val::void()
            }
            code::DIV => Val::int(x.wrapping_div(y)),
            _ if y == 0 => {
                raise("Modulo by zero".into());
                Val::void()
            }
            _ => Val::int(x.wrapping_rem(y)),
        };
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return match op {
            code::ADD => Val::float(x + y),
            code::SUB => Val::float(x - y),
            code::MUL => Val::float(x * y),
            code::DIV if y == 0.0 => {
                raise("Division by zero".into());
                Val::void()
            }
            code::DIV => Val::float(x / y),
            _ if y == 0.0 => {
                raise("Modulo by zero".into());
                Val::void()
            }
            _ => Val::float(x % y),
        };
    }
    if op == code::MUL {
        if let (Some(s), Some(n)) = (a.as_str(), b.as_int()) {
            return repeat(s, n);
        }
    }
    raise(format!(
        "{} not supported between {} and {}",
        op_name(op),
        type_name(&a),
        type_name(&b)
    ));
    Val::void()
}

fn repeat(s: &str, n: i64) -> Val {
    if n < 0 {
        raise(format!(
            "Cannot repeat a string a negative number of times ({n})"
        ));
        return Val::void();
    }
    let total = (s.len() as u64).saturating_mul(n as u64);
    if total > (1 << 30) {
        raise("String too long".into());
        return Val::void();
    }
    new_str(s.repeat(n as usize))
}

/// `-x` for Int (wrapping) and Float.
pub fn neg(v: Val) -> Val {
    match v.tag {
        TAG_INT => Val::int((v.bits as i64).wrapping_neg()),
        TAG_FLOAT => Val::float(-f64::from_bits(v.bits)),
        _ => {
            raise("Unary minus can only be applied to Integer or Float".into());
            Val::void()
        }
    }
}

/// Ordering for `<`, `<=`, `>`, `>=`: numbers numerically, strings by code points;
/// anything else raises `Cannot compare A and B`.
pub fn compare(a: &Val, b: &Val) -> Option<core::cmp::Ordering> {
    if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return Some(x.total_cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
        return Some(x.cmp(y));
    }
    raise(format!(
        "Cannot compare {} and {}",
        type_name(a),
        type_name(b)
    ));
    None
}

/// `==` (R4: numbers by value across Int and Float; §6.5 otherwise).
pub fn equals(a: &Val, b: &Val) -> bool {
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        if let (Some(i), Some(j)) = (a.as_int(), b.as_int()) {
            return i == j;
        }
        return x == y;
    }
    if a.tag != b.tag {
        return false;
    }
    match a.tag {
        TAG_VOID | TAG_NULL => true,
        TAG_BOOL => a.bits == b.bits,
        TAG_OBJ => {
            let (pa, pb) = (a.ptr().unwrap(), b.ptr().unwrap());
            if pa == pb {
                return true;
            }
            let (ka, kb) = (a.kind().unwrap(), b.kind().unwrap());
            if ka != kb {
                return false;
            }
            match ka {
                KIND_STR | KIND_ERROR => unsafe {
                    object::payload::<String>(pa) == object::payload::<String>(pb)
                },
                KIND_ARRAY => unsafe {
                    arrays_equal(
                        object::payload::<Vec<Val>>(pa),
                        object::payload::<Vec<Val>>(pb),
                    )
                },
                object::KIND_NATIVE => unsafe {
                    crate::native::equals(
                        object::payload::<crate::native::Native>(pa),
                        object::payload::<crate::native::Native>(pb),
                    )
                },
                _ => false,
            }
        }
        _ => false,
    }
}

/// The items of `v` when it is an ArrayBox.
fn array_items<'a>(v: &Val) -> Option<&'a [Val]> {
    let p = v.ptr()?;
    // SAFETY: `v` holds a reference, so `p` is live; the kind says what the payload is.
    unsafe { (object::kind(p) == KIND_ARRAY).then(|| object::payload::<Vec<Val>>(p).as_slice()) }
}

/// Element-wise equality of two arrays. Nested arrays go on a work list instead of the
/// stack, so arrays nested a million deep compare without overflowing it. Comparing has no
/// effects, so the order of the comparisons does not matter.
fn arrays_equal(x: &[Val], y: &[Val]) -> bool {
    let mut work: Vec<(&[Val], &[Val])> = alloc::vec![(x, y)];
    while let Some((x, y)) = work.pop() {
        if x.len() != y.len() {
            return false;
        }
        for (p, q) in x.iter().zip(y) {
            match (array_items(p), array_items(q)) {
                (Some(a), Some(b)) if p.bits != q.bits => work.push((a, b)),
                _ if !equals(p, q) => return false,
                _ => {}
            }
        }
    }
    true
}

/// The ArrayBox `sort()` order: numbers numerically, otherwise by display text.
pub fn compare_for_sort(a: &Val, b: &Val) -> core::cmp::Ordering {
    if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return x.total_cmp(&y);
    }
    display(a).cmp(&display(b))
}
