//! Raising, catching and reporting errors (R13).
//!
//! Raising stores the error value and sets `NY_STATE.pending`; compiled code checks the flag
//! after every call that can raise and unwinds, adding one trace frame per function. The
//! trace frames are static strings in the program's data (`file:line:col in name`).

use alloc::string::String;
use alloc::vec::Vec;

use crate::display::display;
use crate::object::{self, KIND_ERROR, KIND_INSTANCE};
use crate::state::state;
use crate::value::Val;
use crate::wasi;

static mut ERROR: Option<Val> = None;
static mut TRACE: Vec<&'static str> = Vec::new();
/// The trace of the error most recently taken by [`take`].
static mut CAUGHT: Vec<&'static str> = Vec::new();
static mut DROPPED: usize = 0;
const MAX_FRAMES: usize = 16;

fn slot() -> &'static mut Option<Val> {
    unsafe { &mut *core::ptr::addr_of_mut!(ERROR) }
}

fn trace() -> &'static mut Vec<&'static str> {
    unsafe { &mut *core::ptr::addr_of_mut!(TRACE) }
}

/// A new ErrorBox with this message.
pub fn error_box(msg: String) -> Val {
    object::new_obj(KIND_ERROR, msg)
}

/// Raises a runtime error with this message (an ErrorBox).
pub fn raise(msg: String) {
    throw(error_box(msg));
}

/// `throw v`: ErrorBoxes and user instances are thrown as they are; any other value becomes
/// an ErrorBox of its display text.
pub fn throw(v: Val) {
    let v = match v.kind() {
        Some(KIND_ERROR) | Some(KIND_INSTANCE) => v,
        _ => error_box(display(&v)),
    };
    if state().pending != 0 {
        // An error raised while another is pending (e.g. in a `toString` during a report):
        // the first one wins.
        return;
    }
    *slot() = Some(v);
    trace().clear();
    unsafe { *core::ptr::addr_of_mut!(DROPPED) = 0 };
    state().pending = 1;
}

/// Adds a frame to the pending error's trace.
pub fn push_frame(frame: &'static str) {
    // Keep the innermost frames and always the outermost one; count the rest.
    let t = trace();
    if t.len() < MAX_FRAMES {
        t.push(frame);
    } else {
        t[MAX_FRAMES - 1] = frame;
        unsafe { *core::ptr::addr_of_mut!(DROPPED) += 1 };
    }
}

/// Takes the pending error (for a `catch`), clearing the pending state; its trace is kept
/// for [`last_caught_trace`].
pub fn take() -> Val {
    state().pending = 0;
    let t = trace();
    let caught = unsafe { &mut *core::ptr::addr_of_mut!(CAUGHT) };
    caught.clear();
    caught.append(t);
    slot().take().unwrap_or(Val::null())
}

/// The trace of the error most recently caught (HTTPServerBox reports a raising handler's
/// error with it).
pub fn last_caught_trace() -> Vec<&'static str> {
    unsafe { (*core::ptr::addr_of!(CAUGHT)).clone() }
}

/// The pending error value, borrowed.
pub fn peek() -> Option<&'static Val> {
    slot().as_ref()
}

/// The message of an error value: an ErrorBox's message, otherwise its display text.
pub fn message(v: &Val) -> String {
    if v.kind() == Some(KIND_ERROR) {
        return unsafe { object::payload::<String>(v.ptr().unwrap()).clone() };
    }
    display(v)
}

/// Prints the pending error and its trace to stderr and exits with status 1.
pub fn report_uncaught() -> ! {
    let frames = trace().clone();
    let dropped = unsafe { core::ptr::replace(core::ptr::addr_of_mut!(DROPPED), 0) };
    let v = take();
    let mut text = String::from("Error: ");
    text.push_str(&message(&v));
    text.push('\n');
    push_trace_text(&mut text, &frames, dropped);
    wasi::write_stderr(text.as_bytes());
    wasi::exit(1)
}

/// Appends `  at frame` lines: up to 12 innermost frames, then the number elided and the
/// outermost frame.
pub fn push_trace_text(text: &mut String, frames: &[&'static str], dropped: usize) {
    const SHOWN: usize = 12;
    for (i, f) in frames.iter().enumerate() {
        if i == SHOWN && frames.len() > SHOWN + 1 {
            text.push_str("  ... ");
            crate::num::push_int(text, (frames.len() - SHOWN - 1 + dropped) as i64);
            text.push_str(" more frames\n");
            let last = frames[frames.len() - 1];
            text.push_str("  at ");
            text.push_str(last);
            text.push('\n');
            break;
        }
        text.push_str("  at ");
        text.push_str(f);
        text.push('\n');
    }
}

/// Takes the pending error with its trace (a task that failed keeps them for `await`).
pub fn take_with_trace() -> (Val, Vec<&'static str>) {
    let frames = core::mem::take(trace());
    unsafe { *core::ptr::addr_of_mut!(DROPPED) = 0 };
    (take(), frames)
}

/// Raises `v` again with a trace recorded earlier (`await` of a failed task).
pub fn rethrow(v: Val, frames: Vec<&'static str>) {
    if state().pending != 0 {
        return;
    }
    *slot() = Some(v);
    *trace() = frames;
    state().pending = 1;
}

/// A broken invariant of the runtime: reported like a panic.
pub fn internal(what: &str) -> ! {
    let mut text = String::from("Error: internal error in the Nyash runtime: ");
    text.push_str(what);
    text.push('\n');
    wasi::write_stderr(text.as_bytes());
    wasi::exit(70)
}

/// Reports running out of memory and exits (R13).
pub fn out_of_memory() -> ! {
    wasi::write_stderr(b"Error: out of memory\n");
    wasi::exit(1)
}

static mut SUSPENDED: Vec<(Option<Val>, Vec<&'static str>)> = Vec::new();

/// Sets the pending error aside (while a `finally` block runs) and clears the pending state.
pub fn suspend() {
    let stack = unsafe { &mut *core::ptr::addr_of_mut!(SUSPENDED) };
    stack.push((slot().take(), core::mem::take(trace())));
    state().pending = 0;
}

/// Restores the error set aside by the matching [`suspend`].
pub fn resume() {
    let stack = unsafe { &mut *core::ptr::addr_of_mut!(SUSPENDED) };
    if let Some((v, t)) = stack.pop() {
        if state().pending != 0 {
            // The finally block raised: its error replaces the suspended one.
            return;
        }
        *slot() = v;
        *trace() = t;
        state().pending = 1;
    }
}
