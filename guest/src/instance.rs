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
use crate::value::{Val, TAG_NULL};

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
    /// Bit 0: finalized.
    pub flags: u32,
}

const FINALIZED: u32 = 1;
/// Callback selector: run the instance's `toString` and return its value.
pub const CALLBACK_TO_STRING: u32 = 0;
/// Callback selector: run the instance's `fini`.
pub const CALLBACK_FINI: u32 = 1;

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

/// Calls the compiled callback for `p` (borrowed). Returns its result value.
pub fn callback(p: *mut Header, which: u32) -> Val {
    let idx = state().callback;
    let f: extern "C" fn(u32, u32) = unsafe { core::mem::transmute(idx as usize) };
    f(p as u32, which);
    let s = state();
    Val::from_raw(s.ret_tag, s.ret_bits)
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
            drop(callback(p, CALLBACK_FINI));
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
        let nfields = (*(p as *mut InstHeader)).nfields;
        for f in fields(p).iter() {
            drop(Val::from_raw(f.tag, f.bits));
        }
        dealloc(p as *mut u8, layout(nfields));
    }
}
