//! The checking allocator of the `checked-alloc` build (`nyash run --check-memory`).
//!
//! Every block gets a 16-byte header before it: a magic word saying whether the block is
//! live or freed, and its size. A freed block is filled with [`POISON`] and never handed out
//! again, so a dangling pointer keeps pointing at recognisably dead memory instead of at
//! somebody else's object. Freeing a block twice, freeing a pointer this allocator never
//! gave out, or releasing a reference to a freed object ([`assert_live`], called by
//! `object::release`) stops the program with a message on stderr and a trap, whatever the
//! heap layout: the check does not depend on luck.
//!
//! Memory is taken from `memory.grow` and only grows; the build is for tests and debugging.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;

/// The header's magic word of a live block.
const LIVE: u32 = 0x4c49_5645;
/// The header's magic word of a freed block.
const FREED: u32 = 0x4652_4545;
/// The byte every freed block is filled with.
const POISON: u8 = 0xdd;
/// Bytes of header in front of every block; also the smallest alignment handed out.
const HEADER: usize = 16;
const PAGE: usize = 65536;

/// The checking allocator: a bump allocator over `memory.grow` with headers.
pub struct CheckedAlloc;

/// The next free address, and the end of the memory grown so far.
static mut NEXT: usize = 0;
static mut END: usize = 0;

#[repr(C)]
struct BlockHeader {
    magic: u32,
    size: u32,
    align: u32,
    pad: u32,
}

fn header(ptr: *mut u8) -> *mut BlockHeader {
    (ptr as usize - HEADER) as *mut BlockHeader
}

/// Stops the program: `what` goes to stderr, then the module traps.
fn fail(what: &str, ptr: *mut u8) -> ! {
    let mut msg = alloc::string::String::from("Error: memory check failed: ");
    msg.push_str(what);
    msg.push_str(" (block at ");
    msg.push_str(&alloc::format!("{:#x}", ptr as usize));
    msg.push_str(")\n");
    crate::wasi::write_stderr(msg.as_bytes());
    wasm32::unreachable()
}

/// Whether `ptr` can be a block this allocator handed out (inside the grown memory).
fn in_heap(ptr: *mut u8) -> bool {
    let p = ptr as usize;
    let (start, end) = unsafe { (START, END) };
    p >= start + HEADER && p < end
}

static mut START: usize = 0;

/// Traps unless `ptr` is a live block: used on every reference-count release.
pub fn assert_live(ptr: *mut u8) {
    if !in_heap(ptr) {
        // Objects outside the heap (statics) are not checked.
        return;
    }
    match unsafe { (*header(ptr)).magic } {
        LIVE => {}
        FREED => fail("a freed object was used (reference released)", ptr),
        _ => {}
    }
}

unsafe impl GlobalAlloc for CheckedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let align = layout.align().max(HEADER);
        let size = layout.size();
        unsafe {
            if NEXT == 0 {
                let pages = wasm32::memory_size(0);
                NEXT = pages * PAGE;
                END = NEXT;
                START = NEXT;
            }
            let ptr = (NEXT + HEADER).next_multiple_of(align);
            let Some(end) = ptr.checked_add(size.max(1)) else {
                return core::ptr::null_mut();
            };
            if end > END {
                let need = (end - END).div_ceil(PAGE);
                if wasm32::memory_grow(0, need) == usize::MAX {
                    return core::ptr::null_mut();
                }
                END += need * PAGE;
            }
            NEXT = end;
            let p = ptr as *mut u8;
            header(p).write(BlockHeader {
                magic: LIVE,
                size: size as u32,
                align: align as u32,
                pad: 0,
            });
            p
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !in_heap(ptr) {
            fail("free of a pointer the allocator never handed out", ptr);
        }
        unsafe {
            let h = header(ptr);
            match (*h).magic {
                LIVE => {}
                FREED => fail("a block was freed twice", ptr),
                _ => fail("free of a pointer the allocator never handed out", ptr),
            }
            if (*h).size as usize != layout.size() {
                fail("a block was freed with the wrong size", ptr);
            }
            (*h).magic = FREED;
            core::ptr::write_bytes(ptr, POISON, layout.size());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        unsafe {
            let Ok(new_layout) = Layout::from_size_align(new, layout.align()) else {
                return core::ptr::null_mut();
            };
            let q = self.alloc(new_layout);
            if !q.is_null() {
                core::ptr::copy_nonoverlapping(ptr, q, layout.size().min(new));
                self.dealloc(ptr, layout);
            }
            q
        }
    }
}
