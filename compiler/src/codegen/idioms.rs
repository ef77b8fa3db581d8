//! The vocabulary the code generator emits with: the ABI constants it needs (all taken from
//! `nyash_abi`, never written as literals here), memory arguments, the [`Pair`] of locals a
//! value lives in, and [`Idioms`], the instruction sequences that recur often enough to
//! deserve a name.
//!
//! Invariant: an idiom only pushes instructions; it never opens a block, so the label
//! stack of [`super::frame::FnCx`] cannot be affected by one.

use std::mem::offset_of;

use nyash_abi::{callback, kind, tag, Header, RawVal, State};
use wasm_encoder::{InstructionSink, MemArg, MemArgTarget, ValType};

use crate::ir::LocalTy;

/// Tag of void.
pub(super) const TAG_VOID: i32 = tag::VOID as i32;
/// Tag of null.
pub(super) const TAG_NULL: i32 = tag::NULL as i32;
/// Tag of a Bool (bits 0 or 1).
pub(super) const TAG_BOOL: i32 = tag::BOOL as i32;
/// Tag of an Int (bits: the i64).
pub(super) const TAG_INT: i32 = tag::INT as i32;
/// Tag of a Float (bits: the f64's bits).
pub(super) const TAG_FLOAT: i32 = tag::FLOAT as i32;
/// Tag of an object (bits: its address).
pub(super) const TAG_OBJ: i32 = tag::OBJ as i32;
/// Tag of a global that has never been assigned.
pub(super) const TAG_UNSET: i32 = tag::UNSET as i32;
/// Object kind (low 8 bits of the kind word) of a user instance.
pub(super) const KIND_INSTANCE: i32 = kind::INSTANCE as i32;
/// Deepest Nyash call nesting before `stack overflow` is raised.
pub const MAX_DEPTH: i32 = 20_000;

// Offsets in the state block, from the contract's `#[repr(C)]` layout.
/// Non-zero while an error is being raised.
pub(super) const OFF_PENDING: u64 = offset_of!(State, pending) as u64;
/// The tag of the value a runtime function returned.
pub(super) const OFF_RET_TAG: u64 = offset_of!(State, ret_tag) as u64;
/// The call depth of the innermost frame that is not isolated.
pub(super) const OFF_DEPTH: u64 = offset_of!(State, depth) as u64;
/// The bits of the value `$callback` returns to the runtime.
pub(super) const OFF_RET_BITS: u64 = offset_of!(State, ret_bits) as u64;
/// The argument slots of builtin calls and task captures.
pub(super) const OFF_ARGS: u64 = offset_of!(State, args) as u64;
/// Set by the runtime while a task is suspending (every resumable frame saves itself).
pub(super) const OFF_UNWINDING: u64 = offset_of!(State, unwinding) as u64;
/// Set by the runtime while a task is resuming (every resumable frame restores itself).
pub(super) const OFF_REWINDING: u64 = offset_of!(State, rewinding) as u64;
/// Non-zero while code that cannot give the stack back is running (waits then block in
/// place, running other tasks).
pub(super) const OFF_NO_UNWIND: u64 = offset_of!(State, no_unwind) as u64;
// Offsets in an object header.
/// The reference count.
pub(super) const OFF_RC: u64 = offset_of!(Header, rc) as u64;
/// The kind word: kind in the low 8 bits, an instance's class id above.
pub(super) const OFF_KIND: u64 = offset_of!(Header, kind) as u64;
/// The size of a value slot in memory (argument slots, frame slots, instance fields).
pub(super) const VAL_SIZE: u64 = size_of::<RawVal>() as u64;
/// The offset of a value slot's bits (its tag is at 0).
pub(super) const OFF_VAL_BITS: u64 = offset_of!(RawVal, bits) as u64;
/// `$callback` request: run a task's function.
pub(super) const CALLBACK_RUN_TASK: i32 = callback::RUN_TASK as i32;

/// A 4-byte-aligned access at `offset` in memory 0 (i32 loads and stores).
pub(super) fn mem32(offset: u64) -> MemArg {
    mem(offset, 2)
}

/// An 8-byte-aligned access at `offset` in memory 0 (i64 and f64 loads and stores).
pub(super) fn mem64(offset: u64) -> MemArg {
    mem(offset, 3)
}

fn mem(offset: u64, align: u32) -> MemArg {
    MemArg {
        offset,
        align,
        target: MemArgTarget::Memory(0),
        ordering: None,
    }
}

/// The wasm value types of a local of representation `t`.
pub(super) fn valtypes(t: LocalTy) -> Vec<ValType> {
    match t {
        LocalTy::Dyn => vec![ValType::I32, ValType::I64],
        LocalTy::Int => vec![ValType::I64],
        LocalTy::Float => vec![ValType::F64],
        LocalTy::Bool => vec![ValType::I32],
    }
}

/// The wasm value types of `n` values: `(i32, i64)` each.
pub(super) fn pairs(n: usize) -> Vec<ValType> {
    let mut v = Vec::with_capacity(2 * n);
    for _ in 0..n {
        v.push(ValType::I32);
        v.push(ValType::I64);
    }
    v
}

/// The two wasm locals holding one value: its tag (i32) and its bits (i64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pair {
    /// The i32 local holding the tag.
    pub tag: u32,
    /// The i64 local holding the bits.
    pub bits: u32,
}

impl Pair {
    /// The pair whose tag is local `tag` and whose bits are the next local.
    pub fn at(tag: u32) -> Pair {
        Pair { tag, bits: tag + 1 }
    }
}

/// Named instruction sequences, for any [`InstructionSink`].
pub(super) trait Idioms {
    /// Pushes the value held in `p`.
    fn get_pair(&mut self, p: Pair) -> &mut Self;
    /// Pops a value into `p` (bits first: they are on top).
    fn set_pair(&mut self, p: Pair) -> &mut Self;
    /// Pushes `(tag, bits)`.
    fn value(&mut self, tag: i32, bits: i64) -> &mut Self;
    /// Pushes void.
    fn void(&mut self) -> &mut Self;
    /// Pushes the object whose pointer is the i32 in local `ptr`.
    fn obj_from_local(&mut self, ptr: u32) -> &mut Self;
    /// Pushes the i32 field at `offset` of the state block at `state`.
    fn state_load(&mut self, state: i32, offset: u64) -> &mut Self;
    /// `local == k` as an i32.
    fn local_eq(&mut self, local: u32, k: i32) -> &mut Self;
    /// The bits a runtime function returned are on the stack: puts the tag it left in
    /// `NY_STATE.ret_tag` under them, through local `bits`.
    fn with_ret_tag(&mut self, state: i32, bits: u32) -> &mut Self;
    /// Stores the value in `p` as argument `i` in `NY_STATE.args`.
    fn store_arg(&mut self, state: i32, i: u32, p: Pair) -> &mut Self;
}

impl Idioms for InstructionSink<'_> {
    fn get_pair(&mut self, p: Pair) -> &mut Self {
        self.local_get(p.tag).local_get(p.bits)
    }
    fn set_pair(&mut self, p: Pair) -> &mut Self {
        self.local_set(p.bits).local_set(p.tag)
    }
    fn value(&mut self, tag: i32, bits: i64) -> &mut Self {
        self.i32_const(tag).i64_const(bits)
    }
    fn void(&mut self) -> &mut Self {
        self.value(TAG_VOID, 0)
    }
    fn obj_from_local(&mut self, ptr: u32) -> &mut Self {
        self.i32_const(TAG_OBJ).local_get(ptr).i64_extend_i32_u()
    }
    fn state_load(&mut self, state: i32, offset: u64) -> &mut Self {
        self.i32_const(state).i32_load(mem32(offset))
    }
    fn local_eq(&mut self, local: u32, k: i32) -> &mut Self {
        self.local_get(local).i32_const(k).i32_eq()
    }
    fn with_ret_tag(&mut self, state: i32, bits: u32) -> &mut Self {
        self.local_set(bits)
            .state_load(state, OFF_RET_TAG)
            .local_get(bits)
    }
    fn store_arg(&mut self, state: i32, i: u32, p: Pair) -> &mut Self {
        let off = OFF_ARGS + VAL_SIZE * u64::from(i);
        self.i32_const(state)
            .local_get(p.tag)
            .i32_store(mem32(off))
            .i32_const(state)
            .local_get(p.bits)
            .i64_store(mem64(off + OFF_VAL_BITS))
    }
}
