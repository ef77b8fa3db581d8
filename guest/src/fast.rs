//! Entry points for the builtin methods compiled code calls most: `push`, `get`, `set`,
//! `length`, `size` and `has` (`nyash_abi::FAST_METHODS`).
//!
//! A call of one of these names that no user box answers comes here instead of going
//! through [`crate::exports::ny_call`]: the arguments arrive as parameters rather than in
//! `NY_STATE.args`, the method is known by the entry point rather than by its name, and an
//! ArrayBox or MapBox receiver (a StringBox for `get`) is served without building an
//! argument vector. Every other receiver, and every call with arguments of the wrong kind,
//! takes the general path ([`builtins::call`]) with the same name and arguments, so errors
//! and results are exactly the general path's.
//!
//! The last parameter holds `nyash_abi::fast_flags`: without `WANT` the calling statement
//! drops the result, so `push` and `set` build nothing (an ArrayBox's `"ok"`, a MapBox's
//! `"Set key: …"`) and give void; with `BORROWED` the receiver belongs to a local of the
//! caller and is not released here.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::mem::ManuallyDrop;

use nyash_abi::fast_flags::{BORROWED, WANT};

use crate::array::{key, ok};
use crate::builtins;
use crate::char_index::Chars;
use crate::map::Map;
use crate::object::{self, new_str, str_value, KIND_ARRAY, KIND_MAP, KIND_STR};
use crate::state::state;
use crate::value::Val;

/// Hands `v` to compiled code (tag in `NY_STATE.ret_tag`).
fn ret(v: Val) -> i64 {
    let (tag, bits) = v.into_raw();
    state().ret_tag = tag;
    bits as i64
}

/// The receiver of a call: owned, or borrowed from a local of the caller.
struct Recv {
    v: ManuallyDrop<Val>,
    borrowed: bool,
}

impl Recv {
    fn new(t: u32, b: i64, flags: u32) -> Recv {
        Recv {
            v: ManuallyDrop::new(Val::from_raw(t, b as u64)),
            borrowed: flags & BORROWED != 0,
        }
    }

    /// An owned reference, for the general path.
    fn owned(self) -> Val {
        let mut me = ManuallyDrop::new(self);
        if me.borrowed {
            (*me.v).clone()
        } else {
            // SAFETY: `me` is never used or dropped again.
            unsafe { ManuallyDrop::take(&mut me.v) }
        }
    }

    /// The items of an ArrayBox receiver.
    fn array<'a>(&self) -> Option<&'a mut Vec<Val>> {
        let p = self.v.ptr()?;
        // SAFETY: the receiver holds or borrows a reference, so `p` is live; the kind says
        // what the payload is.
        unsafe { (object::kind(p) == KIND_ARRAY).then(|| object::payload::<Vec<Val>>(p)) }
    }

    /// The text of a StringBox receiver, and its object's address.
    fn string<'a>(&self) -> Option<(&'a str, usize)> {
        let p = self.v.ptr()?;
        // SAFETY: as in `array`.
        unsafe {
            (object::kind(p) == KIND_STR)
                .then(|| (object::payload::<String>(p).as_str(), p as usize))
        }
    }

    /// The entries of a MapBox receiver.
    fn map<'a>(&self) -> Option<&'a mut Map> {
        let p = self.v.ptr()?;
        // SAFETY: as in `array`.
        unsafe { (object::kind(p) == KIND_MAP).then(|| object::payload::<Map>(p)) }
    }
}

impl Drop for Recv {
    fn drop(&mut self) {
        if !self.borrowed {
            // SAFETY: dropped once, here.
            unsafe { ManuallyDrop::drop(&mut self.v) }
        }
    }
}

/// The result of the general path; void with the error pending when it raised.
fn general(recv: Recv, name: &str, args: Vec<Val>, flags: u32) -> i64 {
    match builtins::call(recv.owned(), name, args) {
        Some(v) if flags & WANT != 0 => ret(v),
        _ => ret(Val::void()),
    }
}

/// `"ok"` when the caller wants it, void otherwise.
fn ok_if(flags: u32) -> i64 {
    ret(if flags & WANT != 0 { ok() } else { Val::void() })
}

/// `recv.push(v)`.
#[no_mangle]
pub extern "C" fn ny_m_push(t: u32, b: i64, vt: u32, vb: i64, flags: u32) -> i64 {
    let recv = Recv::new(t, b, flags);
    let v = Val::from_raw(vt, vb as u64);
    match recv.array() {
        Some(items) => {
            items.push(v);
            ok_if(flags)
        }
        None => general(recv, "push", vec![v], flags),
    }
}

/// `recv.get(k)`.
#[no_mangle]
pub extern "C" fn ny_m_get(t: u32, b: i64, kt: u32, kb: i64, flags: u32) -> i64 {
    let recv = Recv::new(t, b, flags);
    let k = Val::from_raw(kt, kb as u64);
    if let (Some(items), Some(i)) = (recv.array(), k.as_int()) {
        let v = usize::try_from(i).ok().and_then(|i| items.get(i));
        return ret(v.cloned().unwrap_or(Val::null()));
    }
    if let Some(map) = recv.map() {
        return ret(map.get(&key(&k)).cloned().unwrap_or(Val::null()));
    }
    if let (Some((s, at)), Some(i)) = (recv.string(), k.as_int()) {
        // As `strings::call`'s `get`: the character, or void out of range (§14.1).
        let c = usize::try_from(i)
            .ok()
            .and_then(|i| Chars::of(s, at).get(i));
        return ret(c.map_or(Val::void(), str_value));
    }
    general(recv, "get", vec![k], flags)
}

/// `recv.set(k, v)`.
#[no_mangle]
pub extern "C" fn ny_m_set(t: u32, b: i64, kt: u32, kb: i64, vt: u32, vb: i64, flags: u32) -> i64 {
    let recv = Recv::new(t, b, flags);
    let k = Val::from_raw(kt, kb as u64);
    let v = Val::from_raw(vt, vb as u64);
    if let (Some(items), Some(i)) = (recv.array(), k.as_int()) {
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| items.get_mut(i)) {
            // The old value is released after the new one is in place.
            let old = core::mem::replace(slot, v);
            drop(old);
            return ok_if(flags);
        }
        // Out of bounds: the general path raises the error.
        return general(recv, "set", vec![k, v], flags);
    }
    if let Some(map) = recv.map() {
        let k = key(&k);
        let result = if flags & WANT != 0 {
            let mut text = String::with_capacity(9 + k.len());
            text.push_str("Set key: ");
            text.push_str(&k);
            new_str(text)
        } else {
            Val::void()
        };
        map.set(&k, v);
        return ret(result);
    }
    general(recv, "set", vec![k, v], flags)
}

/// `recv.length()`.
#[no_mangle]
pub extern "C" fn ny_m_length(t: u32, b: i64, flags: u32) -> i64 {
    let recv = Recv::new(t, b, flags);
    match recv.array() {
        Some(items) => ret(Val::int(items.len() as i64)),
        None => general(recv, "length", Vec::new(), flags),
    }
}

/// `recv.size()`.
#[no_mangle]
pub extern "C" fn ny_m_size(t: u32, b: i64, flags: u32) -> i64 {
    let recv = Recv::new(t, b, flags);
    if let Some(items) = recv.array() {
        return ret(Val::int(items.len() as i64));
    }
    match recv.map() {
        Some(map) => ret(Val::int(map.len() as i64)),
        None => general(recv, "size", Vec::new(), flags),
    }
}

/// `recv.has(k)`.
#[no_mangle]
pub extern "C" fn ny_m_has(t: u32, b: i64, kt: u32, kb: i64, flags: u32) -> i64 {
    let recv = Recv::new(t, b, flags);
    let k = Val::from_raw(kt, kb as u64);
    match recv.map() {
        Some(map) => ret(Val::bool(map.get(&key(&k)).is_some())),
        None => general(recv, "has", vec![k], flags),
    }
}
