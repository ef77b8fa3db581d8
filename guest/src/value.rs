//! Owned Nyash values inside the runtime.
//!
//! Tags are the contract's (`nyash_abi::tag`): void, null, Bool, Int, Float, object.
//! An object value's bits are a pointer to an [`crate::object::Header`].

use crate::object::{self, Header};

/// Tag of void (no value).
pub const TAG_VOID: u32 = nyash_abi::tag::VOID;
/// Tag of `null`.
pub const TAG_NULL: u32 = nyash_abi::tag::NULL;
/// Tag of a Bool (bits 0 or 1).
pub const TAG_BOOL: u32 = nyash_abi::tag::BOOL;
/// Tag of an Int (bits are the i64).
pub const TAG_INT: u32 = nyash_abi::tag::INT;
/// Tag of a Float (bits are the f64 bits).
pub const TAG_FLOAT: u32 = nyash_abi::tag::FLOAT;
/// Tag of a reference-counted object.
pub const TAG_OBJ: u32 = nyash_abi::tag::OBJ;

/// An owned value: dropping it releases one reference to its object.
pub struct Val {
    /// The tag.
    pub tag: u32,
    /// The payload.
    pub bits: u64,
}

impl Val {
    /// Takes ownership of a raw pair.
    pub fn from_raw(tag: u32, bits: u64) -> Val {
        Val { tag, bits }
    }
    /// Gives up ownership, returning the raw pair.
    pub fn into_raw(self) -> (u32, u64) {
        let raw = (self.tag, self.bits);
        core::mem::forget(self);
        raw
    }
    /// Void.
    pub const fn void() -> Val {
        Val {
            tag: TAG_VOID,
            bits: 0,
        }
    }
    /// Null.
    pub const fn null() -> Val {
        Val {
            tag: TAG_NULL,
            bits: 0,
        }
    }
    /// A Bool.
    pub fn bool(b: bool) -> Val {
        Val {
            tag: TAG_BOOL,
            bits: b as u64,
        }
    }
    /// An Int.
    pub fn int(i: i64) -> Val {
        Val {
            tag: TAG_INT,
            bits: i as u64,
        }
    }
    /// A Float.
    pub fn float(f: f64) -> Val {
        Val {
            tag: TAG_FLOAT,
            bits: f.to_bits(),
        }
    }
    /// An object value owning one reference to `p`.
    pub fn obj(p: *mut Header) -> Val {
        Val {
            tag: TAG_OBJ,
            bits: p as u32 as u64,
        }
    }
    /// The object pointer, if this is an object.
    pub fn ptr(&self) -> Option<*mut Header> {
        (self.tag == TAG_OBJ).then_some(self.bits as u32 as *mut Header)
    }
    /// The object kind ([`crate::object`] `KIND_*`), if this is an object.
    pub fn kind(&self) -> Option<u32> {
        self.ptr().map(|p| unsafe { object::kind(p) })
    }
    /// The Int, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        (self.tag == TAG_INT).then_some(self.bits as i64)
    }
    /// The number as f64 for an Int or Float.
    pub fn as_number(&self) -> Option<f64> {
        match self.tag {
            TAG_INT => Some(self.bits as i64 as f64),
            TAG_FLOAT => Some(f64::from_bits(self.bits)),
            _ => None,
        }
    }
    /// The string contents, if this is a string object.
    pub fn as_str(&self) -> Option<&str> {
        if self.kind() == Some(object::KIND_STR) {
            Some(unsafe { object::payload::<alloc::string::String>(self.ptr().unwrap()) })
        } else {
            None
        }
    }
}

impl Clone for Val {
    fn clone(&self) -> Val {
        if let Some(p) = self.ptr() {
            unsafe { object::retain(p) }
        }
        Val {
            tag: self.tag,
            bits: self.bits,
        }
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        if let Some(p) = self.ptr() {
            unsafe { object::release(p) }
        }
    }
}
