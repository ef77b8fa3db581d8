//! The checking build's cross-check of method dispatch against the method table
//! (`nyash_abi::builtins`), which is also what the compiler's resolver warns from.
//!
//! Around every call of a builtin box's method that compiled code could not dispatch itself
//! ([`crate::builtins::call`]), this notes whether the table lists the method and whether
//! the runtime answered it or raised "unknown method". A disagreement either way (the
//! runtime answers a method the table lacks, so the resolver warns about working code; or
//! the table lists one the runtime rejects, so the resolver is silent about failing code)
//! stops the program with a message and a trap. The conformance suite runs every program
//! under this build, and a test calls every listed method, so a disagreement fails
//! `cargo test`.

use core::arch::wasm32;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::value::Val;

/// Set by [`crate::builtins::unknown_method`] while a call is being checked.
static UNKNOWN_RAISED: AtomicBool = AtomicBool::new(false);

/// What is known before the call: the box's name and whether the table lists the method.
pub struct Pending {
    box_name: alloc::string::String,
    listed: Option<bool>,
    outer_raised: bool,
}

/// Called before dispatching `name` on `recv`.
pub fn before(recv: &Val, name: &str) -> Pending {
    let box_name = crate::display::type_name(recv);
    let listed = nyash_abi::builtins::lists(&box_name, name);
    let outer_raised = UNKNOWN_RAISED.swap(false, Ordering::Relaxed);
    Pending {
        box_name,
        listed,
        outer_raised,
    }
}

/// Called when the runtime raises "unknown method".
pub fn unknown_raised() {
    UNKNOWN_RAISED.store(true, Ordering::Relaxed);
}

/// Called after the dispatch of `name`; traps when the runtime and the table disagree.
pub fn after(p: Pending, name: &str) {
    let raised = UNKNOWN_RAISED.swap(p.outer_raised, Ordering::Relaxed);
    let problem = match (p.listed, raised) {
        (Some(false), false) => "the runtime answers it, but the method table does not list it",
        (Some(true), true) => "the method table lists it, but the runtime does not answer it",
        _ => return,
    };
    let msg = alloc::format!(
        "Error: method table check failed: {}.{name}: {problem} (nyash-abi/src/builtins.rs)\n",
        p.box_name
    );
    crate::wasi::write_stderr(msg.as_bytes());
    wasm32::unreachable()
}
