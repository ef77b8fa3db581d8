//! The state block shared with compiled code at a fixed address.
//!
//! The compiler finds the address through the exported global `NY_STATE`; the layout is
//! [`nyash_abi::State`], the written contract both sides import (`abi/`).

pub use nyash_abi::{RawVal, State, MAX_ARGS};

/// The one state block.
#[no_mangle]
pub static mut NY_STATE: State = State::INIT;

/// The state block.
pub fn state() -> &'static mut State {
    unsafe { &mut *core::ptr::addr_of_mut!(NY_STATE) }
}
