//! The state block shared with compiled code at a fixed address.
//!
//! The compiler finds the address through the exported global `NY_STATE` and the field
//! offsets below, which are part of the compiler/runtime contract (`docs/compiler.md`).

/// A value as stored in memory: tag at offset 0, bits at offset 8 (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct RawVal {
    /// The kind tag ([`crate::value`]).
    pub tag: u32,
    /// Padding; always zero.
    pub pad: u32,
    /// The payload: Int, Float bits, Bool, or an object pointer.
    pub bits: u64,
}

/// Maximum number of arguments passed through [`State::args`].
pub const MAX_ARGS: usize = 32;

/// The shared state block.
#[repr(C)]
pub struct State {
    /// Offset 0: non-zero while an error is being raised (set with [`crate::error`]).
    pub pending: u32,
    /// Offset 4: the tag of the value a `ny_*` function returned (its bits are the result).
    pub ret_tag: u32,
    /// Offset 8: the current Nyash call depth, maintained by compiled code.
    pub depth: u32,
    /// Offset 12: the table index of the compiled callback (`toString`/`fini` dispatch).
    pub callback: u32,
    /// Offset 16: the bits of a value the callback returns (its tag goes to `ret_tag`).
    pub ret_bits: u64,
    /// Offset 24: arguments of builtin method calls and constructors.
    pub args: [RawVal; MAX_ARGS],
    /// Offset 536: non-zero while a task is suspending: resumable functions save their
    /// frames and return ([`crate::tasks`]).
    pub unwinding: u32,
    /// Offset 540: non-zero while a task is resuming: resumable functions restore their
    /// frames.
    pub rewinding: u32,
    /// Offset 544: non-zero while code that cannot give the stack back runs; waits then
    /// wait in place.
    pub no_unwind: u32,
}

/// The one state block.
#[no_mangle]
pub static mut NY_STATE: State = State {
    pending: 0,
    ret_tag: 0,
    depth: 0,
    callback: 0,
    ret_bits: 0,
    args: [RawVal {
        tag: 0,
        pad: 0,
        bits: 0,
    }; MAX_ARGS],
    unwinding: 0,
    rewinding: 0,
    no_unwind: 0,
};

/// The state block.
pub fn state() -> &'static mut State {
    unsafe { &mut *core::ptr::addr_of_mut!(NY_STATE) }
}
