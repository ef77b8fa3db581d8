//! Reference-counted objects in linear memory.
//!
//! Every object starts with a [`Header`]: the reference count, then a kind word whose low
//! 8 bits are the kind and whose upper 24 bits are the class id of a user instance. Compiled
//! code reads the kind word directly for method and field dispatch.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::map::Map;
use crate::value::Val;

/// A string (`String`).
pub const KIND_STR: u32 = nyash_abi::kind::STR;
/// An ArrayBox (`Vec<Val>`).
pub const KIND_ARRAY: u32 = nyash_abi::kind::ARRAY;
/// A MapBox ([`Map`]).
pub const KIND_MAP: u32 = nyash_abi::kind::MAP;
/// A user instance ([`crate::instance`]).
pub const KIND_INSTANCE: u32 = nyash_abi::kind::INSTANCE;
/// An ErrorBox (its message, a `String`).
pub const KIND_ERROR: u32 = nyash_abi::kind::ERROR;
/// A stateless builtin box (ConsoleBox, MathBox, …): the payload is its [`crate::builtins::Plain`].
pub const KIND_PLAIN: u32 = nyash_abi::kind::PLAIN;
/// A builtin box with state (TimeBox, RandomBox, FileBox, JSONBox, …): the payload is its
/// [`crate::native::Native`].
pub const KIND_NATIVE: u32 = nyash_abi::kind::NATIVE;

/// Reference counts at or above this are immortal (string literals).
pub const IMMORTAL: u32 = nyash_abi::IMMORTAL;

/// The header of every object (the contract's layout).
pub use nyash_abi::Header;

/// A header followed by a Rust payload.
#[repr(C)]
pub struct Obj<T> {
    /// The header.
    pub h: Header,
    /// The payload.
    pub v: T,
}

/// Allocates an object of `kind` holding `v`; the result owns its one reference.
pub fn new_obj<T>(kind: u32, v: T) -> Val {
    let b = Box::new(Obj {
        h: Header { rc: 1, kind },
        v,
    });
    Val::obj(Box::into_raw(b) as *mut Header)
}

/// The kind of an object.
///
/// # Safety
/// `p` must point to a live object.
pub unsafe fn kind(p: *mut Header) -> u32 {
    unsafe { (*p).kind & 0xff }
}

/// The payload of an object whose kind stores a `T`.
///
/// # Safety
/// `p` must point to a live `Obj<T>`.
pub unsafe fn payload<'a, T>(p: *mut Header) -> &'a mut T {
    unsafe { &mut (*(p as *mut Obj<T>)).v }
}

/// Adds a reference.
///
/// # Safety
/// `p` must point to a live object.
pub unsafe fn retain(p: *mut Header) {
    #[cfg(feature = "checked-alloc")]
    crate::checked_alloc::assert_live(p as *mut u8);
    unsafe { (*p).rc = (*p).rc.wrapping_add(1) }
}

/// Drops a reference, destroying the object when it was the last.
///
/// Destroying an object drops the references it holds, which can destroy those objects in
/// turn. That is done with an explicit work list, not by recursion, so freeing a structure
/// nested a million levels deep needs no more native stack than freeing one level; the
/// objects are still destroyed, and `fini` still runs (R15), in the order recursion would
/// give: depth first, each container's references in their own order.
///
/// # Safety
/// `p` must point to a live object with a reference owned by the caller.
pub unsafe fn release(p: *mut Header) {
    #[cfg(feature = "checked-alloc")]
    crate::checked_alloc::assert_live(p as *mut u8);
    unsafe {
        if *deferring() {
            // Inside a destroy: the reference is dropped later, by `destroy_all`.
            pending().push(p);
            return;
        }
        if drop_reference(p) {
            destroy_all(p)
        }
    }
}

/// References dropped while an object is being destroyed, not yet given up (see
/// [`release`]). The next to give up is at the end.
static mut PENDING: Vec<*mut Header> = Vec::new();
/// `true` while an object is being destroyed and user code is not running: [`release`] then
/// puts references on [`PENDING`] instead of dropping them.
static mut DEFERRING: bool = false;

fn pending() -> &'static mut Vec<*mut Header> {
    unsafe { &mut *core::ptr::addr_of_mut!(PENDING) }
}

fn deferring() -> &'static mut bool {
    unsafe { &mut *core::ptr::addr_of_mut!(DEFERRING) }
}

/// Gives up one reference to `p`; `true` when it was the last, so `p` must be destroyed.
///
/// # Safety
/// `p` must point to a live object with a reference owned by the caller.
unsafe fn drop_reference(p: *mut Header) -> bool {
    unsafe {
        let rc = (*p).rc;
        if rc >= IMMORTAL {
            return false;
        }
        if rc > 1 {
            (*p).rc = rc - 1;
            return false;
        }
        true
    }
}

/// Destroys `p` and every object only it kept alive. References that a destroyed object
/// held are collected on [`PENDING`] above the point this call started from and given up
/// one at a time, first the first; a user `fini` that releases objects itself starts a
/// nested call that finishes its own part of the list before it returns.
///
/// # Safety
/// `p` must point to a live object whose last reference the caller gave up.
unsafe fn destroy_all(p: *mut Header) {
    unsafe {
        let base = pending().len();
        let mut next = p;
        loop {
            let mark = pending().len();
            *deferring() = true;
            destroy(next);
            *deferring() = false;
            // Dropped in order, so the first is deepest: turn them round to give it up first.
            pending()[mark..].reverse();
            loop {
                if pending().len() == base {
                    return;
                }
                let q = pending().pop().expect("above base");
                if drop_reference(q) {
                    next = q;
                    break;
                }
            }
        }
    }
}

/// Runs `f` (user code: a `fini` method) with references released at once, as everywhere
/// outside a destroy, even when an object is being destroyed around it.
pub fn undeferred<R>(f: impl FnOnce() -> R) -> R {
    let outer = core::mem::replace(deferring(), false);
    let result = f();
    *deferring() = outer;
    result
}

unsafe fn destroy(p: *mut Header) {
    unsafe {
        match kind(p) {
            KIND_STR | KIND_ERROR => {
                crate::char_index::forget(p as usize);
                drop(Box::from_raw(p as *mut Obj<String>))
            }
            KIND_ARRAY => drop(Box::from_raw(p as *mut Obj<Vec<Val>>)),
            KIND_MAP => drop(Box::from_raw(p as *mut Obj<Map>)),
            KIND_INSTANCE => crate::instance::destroy(p),
            KIND_PLAIN => drop(Box::from_raw(p as *mut Obj<crate::builtins::Plain>)),
            crate::tasks::KIND_FUTURE => crate::tasks::destroy(p),
            KIND_NATIVE => drop(Box::from_raw(p as *mut Obj<crate::native::Native>)),
            _ => {}
        }
    }
}

/// A string value: a one-character ASCII string is that character's one immortal object
/// ([`ascii_char`]), any other string a new object.
pub fn new_str(s: String) -> Val {
    match s.as_bytes() {
        [b] if b.is_ascii() => ascii_char(*b),
        _ => new_obj(KIND_STR, s),
    }
}

/// The string of the ASCII character `b`: one immortal object per character, made on first
/// use, so indexing a string character by character allocates nothing. Strings never change
/// and compare by their text, so sharing them is invisible to programs.
pub fn ascii_char(b: u8) -> Val {
    static mut CHARS: [u32; 128] = [0; 128];
    debug_assert!(b.is_ascii());
    // SAFETY: the runtime is single-threaded; nothing else holds a reference into `CHARS`.
    let slot = unsafe { &mut (*core::ptr::addr_of_mut!(CHARS))[usize::from(b & 0x7f)] };
    if *slot == 0 {
        let v = new_obj(KIND_STR, String::from(char::from(b)));
        let obj = v.ptr().unwrap();
        core::mem::forget(v);
        // SAFETY: `obj` was just made and nothing else refers to it yet.
        unsafe { (*obj).rc = IMMORTAL * 2 };
        *slot = obj as u32;
    }
    Val::obj(*slot as *mut Header)
}

/// The string value of `s`: [`ascii_char`] for one ASCII character, otherwise a copy.
pub fn str_value(s: &str) -> Val {
    match s.as_bytes() {
        [b] if b.is_ascii() => ascii_char(*b),
        _ => new_obj(KIND_STR, String::from(s)),
    }
}

/// A new ArrayBox value.
pub fn new_array(items: Vec<Val>) -> Val {
    new_obj(KIND_ARRAY, items)
}
