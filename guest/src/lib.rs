//! The Nyash guest runtime.
//!
//! This crate is compiled to `wasm32-unknown-unknown` and merged into every module the Nyash
//! compiler emits (see `docs/compiler.md`). It owns everything in linear memory that is not a
//! plain number: the allocator, reference-counted objects (strings, arrays, maps, user
//! instances, errors, builtin boxes), display texts, dynamic operators, builtin methods, the
//! pending-error state and the WASI calls for output and exit.
//!
//! The compiled program talks to this runtime through the `ny_*` functions in [`exports`] and
//! through [`state::NY_STATE`], a small block of memory at a fixed address that the compiler
//! reads and writes directly (pending-error flag, call depth, multi-value returns, arguments).
//!
//! Values cross the boundary as a pair `(tag: u32, bits: u64)`; see [`value`]. Every function
//! that takes a value takes ownership of it (one reference), and every value returned is owned
//! by the caller.

#![no_std]

extern crate alloc;

mod array;
mod buffer;
mod builtins;
mod char_index;
#[cfg(feature = "checked-alloc")]
mod checked_alloc;
mod debug;
mod display;
mod error;
mod exports;
mod families;
mod fast;
mod file;
mod http;
mod instance;
mod json;
mod jsontext;
mod map;
#[cfg(feature = "checked-alloc")]
mod method_table;
mod native;
mod net;
mod num;
mod object;
mod ops;
mod random;
mod regex;
mod regexbox;
mod state;
mod strings;
mod tasks;
mod time;
mod value;
mod wasi;

/// The global allocator: dlmalloc, growing linear memory on demand. A failed allocation
/// reports `Error: out of memory` and exits with status 1 (R13) instead of trapping.
///
/// The `checked-alloc` build uses [`checked_alloc::CheckedAlloc`] instead, which never
/// reuses memory and stops at the first double free or use of a freed object.
struct Allocator;

#[cfg(not(feature = "checked-alloc"))]
static DLMALLOC: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;
#[cfg(feature = "checked-alloc")]
static DLMALLOC: checked_alloc::CheckedAlloc = checked_alloc::CheckedAlloc;

unsafe impl core::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        let p = unsafe { DLMALLOC.alloc(layout) };
        if p.is_null() {
            error::out_of_memory();
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: core::alloc::Layout) {
        unsafe { DLMALLOC.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: core::alloc::Layout, new: usize) -> *mut u8 {
        let p = unsafe { DLMALLOC.realloc(ptr, layout, new) };
        if p.is_null() {
            error::out_of_memory();
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Allocator = Allocator;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    wasi::write_stderr(b"Error: internal error in the Nyash runtime\n");
    wasi::exit(70)
}
