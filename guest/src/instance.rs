//! User box instances and the class table.
//!
//! Layout (shared with the compiler): [`Header`] (8 bytes), field count (u32), flags (u32),
//! then the fields as 16-byte [`RawVal`]s from offset 16. Field `i` of a class is at
//! `16 + 16 * i`; the compiler decides the order.

use alloc::alloc::{alloc_zeroed, dealloc, Layout};
use alloc::string::String;
use alloc::vec::Vec;

use crate::object::{Header, KIND_INSTANCE};
use crate::state::{state, RawVal};
use crate::value::{Val, TAG_NULL, TAG_OBJ};

/// What the runtime knows about a user box.
pub struct Class {
    /// The box's name.
    pub name: String,
    /// Number of field slots.
    pub nfields: u32,
    /// The box (or an ancestor) defines `toString`.
    pub has_to_string: bool,
    /// The box (or an ancestor) defines `fini`.
    pub has_fini: bool,
    /// `weak` field slots (R15).
    pub weak: Vec<u32>,
    /// The builtin box this box delegates to (§9.5) and the slot of its content.
    pub builtin: Option<(String, u32)>,
}

static mut CLASSES: Vec<Class> = Vec::new();

/// The class table.
pub fn classes() -> &'static mut Vec<Class> {
    unsafe { &mut *core::ptr::addr_of_mut!(CLASSES) }
}

/// The instance header.
#[repr(C)]
pub struct InstHeader {
    /// Common header.
    pub h: Header,
    /// Number of fields.
    pub nfields: u32,
    /// Bit 0: finalized; bit 1: dead (fields released, header kept for weak references);
    /// bits 8..32: the number of `weak` field slots pointing here.
    pub flags: u32,
}

const FINALIZED: u32 = 1;
const DEAD: u32 = 2;
const WEAK_ONE: u32 = 1 << 8;
const WEAK_MAX: u32 = u32::MAX >> 8;
/// Callback selector: run the instance's `toString` and return its value.
pub const CALLBACK_TO_STRING: u32 = nyash_abi::callback::TO_STRING;
/// Callback selector: run the instance's `fini`.
pub const CALLBACK_FINI: u32 = nyash_abi::callback::FINI;

fn layout(nfields: u32) -> Layout {
    Layout::from_size_align(16 + 16 * nfields as usize, 8).unwrap()
}

/// The class id of an instance.
///
/// # Safety
/// `p` must be a live instance.
pub unsafe fn class_id(p: *mut Header) -> u32 {
    unsafe { (*p).kind >> 8 }
}

/// The class of an instance.
///
/// # Safety
/// `p` must be a live instance.
pub unsafe fn class_of(p: *mut Header) -> &'static Class {
    unsafe { &classes()[class_id(p) as usize] }
}

/// A new instance of class `id` with every field null (R8).
pub fn new_instance(id: u32) -> *mut Header {
    let nfields = classes()[id as usize].nfields;
    unsafe {
        let p = alloc_zeroed(layout(nfields)) as *mut InstHeader;
        if p.is_null() {
            crate::error::out_of_memory();
        }
        (*p).h = Header {
            rc: 1,
            kind: KIND_INSTANCE | (id << 8),
        };
        (*p).nfields = nfields;
        let fields = fields(p as *mut Header);
        for f in fields.iter_mut() {
            f.tag = TAG_NULL;
        }
        p as *mut Header
    }
}

/// The field slots of an instance.
///
/// # Safety
/// `p` must be a live instance.
pub unsafe fn fields<'a>(p: *mut Header) -> &'a mut [RawVal] {
    unsafe {
        let n = (*(p as *mut InstHeader)).nfields as usize;
        core::slice::from_raw_parts_mut((p as *mut u8).add(16) as *mut RawVal, n)
    }
}

/// Calls the compiled callback for `p` (borrowed) and takes the value it returned (owned).
///
/// Only for callbacks that return a value (`toString`): the result slot is read as an
/// owned value, so it must have been written by this call.
pub fn callback(p: *mut Header, which: u32) -> Val {
    run_callback(p, which);
    let s = state();
    Val::from_raw(s.ret_tag, s.ret_bits)
}

/// Calls the compiled callback for `p` (borrowed) for its effect only (`fini`). The result
/// slot is not read: it may still hold a value some runtime call returned and that compiled
/// code already consumed.
fn run_callback(p: *mut Header, which: u32) {
    let idx = state().callback;
    let f: extern "C" fn(u32, u32) = unsafe { core::mem::transmute(idx as usize) };
    f(p as u32, which);
}

/// Runs `fini` once (explicit `x.fini()` or the last reference going away). Returns false
/// when it had already run.
///
/// # Safety
/// `p` must be a live instance.
pub unsafe fn finalize(p: *mut Header) -> bool {
    unsafe {
        let ih = p as *mut InstHeader;
        if (*ih).flags & FINALIZED != 0 {
            return false;
        }
        (*ih).flags |= FINALIZED;
        if class_of(p).has_fini {
            // Values are also released while an error unwinds; `fini` then runs with the
            // error set aside, and an error of its own is dropped (the first one wins).
            let unwinding = state().pending != 0;
            if unwinding {
                crate::error::suspend();
            }
            // User code: what it releases goes at once, even inside a destroy.
            crate::object::undeferred(|| run_callback(p, CALLBACK_FINI));
            if unwinding {
                if state().pending != 0 {
                    drop(crate::error::take());
                }
                crate::error::resume();
            }
        }
        true
    }
}

/// `true` once `fini` has run.
///
/// # Safety
/// `p` must be a live instance.
pub unsafe fn is_finalized(p: *mut Header) -> bool {
    unsafe { (*(p as *mut InstHeader)).flags & FINALIZED != 0 }
}

/// Destroys an instance whose last reference went away: runs `fini` (with the instance
/// kept alive during the call), then releases the fields and frees the memory.
///
/// # Safety
/// `p` must be a live instance with reference count 1 owned by the caller.
pub unsafe fn destroy(p: *mut Header) {
    unsafe {
        if !is_finalized(p) && class_of(p).has_fini {
            // Keep the instance alive while fini runs with it as `me`.
            (*p).rc = 1;
            finalize(p);
            if (*p).rc > 1 {
                // fini stored `me` somewhere: it lives on.
                (*p).rc -= 1;
                return;
            }
        }
        release_fields(p);
        let ih = p as *mut InstHeader;
        if (*ih).flags >> 8 != 0 {
            // Weak references remain: keep the header (reads through them give null) until
            // the last one goes away.
            (*ih).flags |= DEAD | FINALIZED;
        } else {
            dealloc(p as *mut u8, layout((*ih).nfields));
        }
    }
}

/// Releases every field of an instance, leaving them null.
unsafe fn release_fields(p: *mut Header) {
    unsafe {
        let class = class_of(p);
        for (i, f) in fields(p).iter_mut().enumerate() {
            let (tag, bits) = (f.tag, f.bits);
            f.tag = TAG_NULL;
            f.bits = 0;
            if class.weak.contains(&(i as u32)) {
                weak_drop(tag, bits);
            } else {
                drop(Val::from_raw(tag, bits));
            }
        }
    }
}

/// The instance a value points to, if it is one.
fn as_instance(tag: u32, bits: u64) -> Option<*mut Header> {
    let p = bits as usize as *mut Header;
    (tag == TAG_OBJ && unsafe { crate::object::kind(p) } == KIND_INSTANCE).then_some(p)
}

/// Releases what a weak slot held: a weak reference to an instance, or (for other values,
/// which weak slots hold strongly) an ordinary reference.
///
/// # Safety
/// `(tag, bits)` must be a value a weak slot owned.
unsafe fn weak_drop(tag: u32, bits: u64) {
    unsafe {
        let Some(p) = as_instance(tag, bits) else {
            drop(Val::from_raw(tag, bits));
            return;
        };
        let ih = p as *mut InstHeader;
        let count = (*ih).flags >> 8;
        if count == WEAK_MAX {
            return; // Saturated: the header is never freed.
        }
        (*ih).flags -= WEAK_ONE;
        if count == 1 && (*ih).flags & DEAD != 0 {
            dealloc(p as *mut u8, layout((*ih).nfields));
        }
    }
}

/// Stores `v` (owned) into weak field `slot` of `obj` (R15): an instance is referenced
/// without a strong count, so it does not stay alive because of this field.
///
/// # Safety
/// `obj` must be a live instance with a weak field `slot`.
pub unsafe fn weak_store(obj: *mut Header, slot: u32, v: Val) {
    unsafe {
        let f = &mut fields(obj)[slot as usize];
        let (old_tag, old_bits) = (f.tag, f.bits);
        let (tag, bits) = v.into_raw();
        f.tag = tag;
        f.bits = bits;
        if let Some(p) = as_instance(tag, bits) {
            let ih = p as *mut InstHeader;
            if (*ih).flags >> 8 != WEAK_MAX {
                (*ih).flags += WEAK_ONE;
            }
            // Give up the strong reference the value came with (this may finalize it).
            crate::object::release(p);
        }
        weak_drop(old_tag, old_bits);
    }
}

/// Reads weak field `slot` of `obj`: an owned value, null once the target is finalized.
///
/// # Safety
/// `obj` must be a live instance with a weak field `slot`.
pub unsafe fn weak_load(obj: *mut Header, slot: u32) -> Val {
    unsafe {
        let f = &fields(obj)[slot as usize];
        if let Some(p) = as_instance(f.tag, f.bits) {
            if (*(p as *mut InstHeader)).flags & (FINALIZED | DEAD) != 0 {
                return Val::null();
            }
        }
        if f.tag == TAG_OBJ {
            crate::object::retain(f.bits as usize as *mut Header);
        }
        Val::from_raw(f.tag, f.bits)
    }
}
