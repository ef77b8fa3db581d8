//! The functions compiled code calls (`ny_*`). See `docs/compiler.md` for the contract.
//!
//! Values are passed as `(tag, bits)` and owned by the callee. A function returning a value
//! returns its bits and stores its tag in `NY_STATE.ret_tag`. On error a function raises
//! (sets `NY_STATE.pending`) and returns void.

use alloc::string::String;
use alloc::vec::Vec;

use crate::display::display;
use crate::error;
use crate::instance::{self, Class};
use crate::object::{self, Header, IMMORTAL};
use crate::state::{state, MAX_ARGS};
use crate::value::Val;
use crate::{builtins, ops, tasks, wasi};

fn ret(v: Val) -> i64 {
    let (tag, bits) = v.into_raw();
    state().ret_tag = tag;
    bits as i64
}

fn ret_opt(v: Option<Val>) -> i64 {
    ret(v.unwrap_or(Val::void()))
}

/// A string in the program's data segment.
fn static_str(ptr: u32, len: u32) -> &'static str {
    unsafe {
        core::str::from_utf8_unchecked(core::slice::from_raw_parts(ptr as *const u8, len as usize))
    }
}

fn take_args(argc: u32) -> Vec<Val> {
    let s = state();
    s.args[..(argc as usize).min(MAX_ARGS)]
        .iter()
        .map(|a| Val::from_raw(a.tag, a.bits))
        .collect()
}

/// Writes the buffered stdout; exported as `nyash_flush` for a host to call after a trap,
/// so what the program printed before it crashed is not lost.
#[no_mangle]
pub extern "C" fn ny_flush() {
    wasi::flush();
}

/// Start-up: registers the compiled callback (a function table index).
#[no_mangle]
pub extern "C" fn ny_init(callback: u32) {
    state().callback = callback;
}

/// Registers user box `id` (ids are dense, from 0). Flags: bit 0 `toString`, bit 1 `fini`.
#[no_mangle]
pub extern "C" fn ny_class(id: u32, name: u32, name_len: u32, nfields: u32, flags: u32) {
    let classes = instance::classes();
    while classes.len() <= id as usize {
        classes.push(Class {
            name: String::new(),
            nfields: 0,
            has_to_string: false,
            has_fini: false,
            weak: Vec::new(),
            builtin: None,
        });
    }
    classes[id as usize] = Class {
        name: static_str(name, name_len).into(),
        nfields,
        has_to_string: flags & 1 != 0,
        has_fini: flags & 2 != 0,
        weak: Vec::new(),
        builtin: None,
    };
}

/// Declares that user box `id` delegates to builtin box `name`, whose content lives in
/// field `slot` (§9.5).
#[no_mangle]
pub extern "C" fn ny_class_builtin(id: u32, slot: u32, name: u32, len: u32) {
    instance::classes()[id as usize].builtin = Some((static_str(name, len).into(), slot));
}

/// Declares field `slot` of user box `id` `weak` (after `ny_class`).
#[no_mangle]
pub extern "C" fn ny_class_weak(id: u32, slot: u32) {
    instance::classes()[id as usize].weak.push(slot);
}

/// Stores `(t, b)` (consumed) into weak field `slot` of the instance `obj` (borrowed).
#[no_mangle]
pub extern "C" fn ny_weak_set(obj: u32, slot: u32, t: u32, b: i64) {
    unsafe { instance::weak_store(obj as *mut Header, slot, Val::from_raw(t, b as u64)) }
}

/// Reads weak field `slot` of the instance `obj` (borrowed): null once its target is
/// finalized.
#[no_mangle]
pub extern "C" fn ny_weak_get(obj: u32, slot: u32) -> i64 {
    ret(unsafe { instance::weak_load(obj as *mut Header, slot) })
}

/// A new instance of class `id`, every field null. Returns the pointer (an owned reference).
#[no_mangle]
pub extern "C" fn ny_new_instance(id: u32) -> u32 {
    instance::new_instance(id) as u32
}

/// Adds a reference to an object.
#[no_mangle]
pub extern "C" fn ny_retain(p: u32) {
    unsafe { object::retain(p as *mut Header) }
}

/// Drops a reference to an object.
#[no_mangle]
pub extern "C" fn ny_release(p: u32) {
    unsafe { object::release(p as *mut Header) }
}

/// An immortal string object for a literal in the data segment.
#[no_mangle]
pub extern "C" fn ny_str_static(ptr: u32, len: u32) -> u32 {
    let v = object::new_str(static_str(ptr, len).into());
    let p = v.ptr().unwrap();
    core::mem::forget(v);
    unsafe { (*p).rc = IMMORTAL * 2 };
    p as u32
}

/// A binary operator (codes in `ops::code`).
#[no_mangle]
pub extern "C" fn ny_binop(op: u32, at: u32, ab: i64, bt: u32, bb: i64) -> i64 {
    ret(ops::binop(
        op,
        Val::from_raw(at, ab as u64),
        Val::from_raw(bt, bb as u64),
    ))
}

/// `x = x + b` in place when the string `p` that local `x` holds is not shared: 1 when done,
/// 0 when the caller must compute `x + b` (`ops::append_in_place`). `b` is consumed.
#[no_mangle]
pub extern "C" fn ny_append(p: u32, bt: u32, bb: i64) -> u32 {
    // SAFETY: compiled code passes the object of a live local.
    u32::from(unsafe { ops::append_in_place(p as *mut Header, Val::from_raw(bt, bb as u64)) })
}

/// Unary minus.
#[no_mangle]
pub extern "C" fn ny_neg(t: u32, b: i64) -> i64 {
    ret(ops::neg(Val::from_raw(t, b as u64)))
}

/// Truthiness (R6) as 0 or 1.
#[no_mangle]
pub extern "C" fn ny_truthy(t: u32, b: i64) -> u32 {
    ops::truthy(&Val::from_raw(t, b as u64)) as u32
}

/// `print(v)`.
#[no_mangle]
pub extern "C" fn ny_print(t: u32, b: i64) {
    let v = Val::from_raw(t, b as u64);
    let mut s = display(&v);
    if state().pending != 0 {
        return;
    }
    s.push('\n');
    wasi::write_stdout(s.as_bytes());
}

/// Calls a method that compiled code did not dispatch: builtin receivers, and the few
/// methods every instance has (`toString`, `fini`). Arguments are in `NY_STATE.args`.
#[no_mangle]
pub extern "C" fn ny_call(t: u32, b: i64, name: u32, name_len: u32, argc: u32) -> i64 {
    let args = take_args(argc);
    ret_opt(builtins::call(
        Val::from_raw(t, b as u64),
        static_str(name, name_len),
        args,
    ))
}

/// `new Name(args)` for a builtin box. Arguments are in `NY_STATE.args`.
#[no_mangle]
pub extern "C" fn ny_new_builtin(name: u32, name_len: u32, argc: u32) -> i64 {
    let args = take_args(argc);
    ret_opt(builtins::construct(static_str(name, name_len), args))
}

/// `throw v`.
#[no_mangle]
pub extern "C" fn ny_throw(t: u32, b: i64) {
    error::throw(Val::from_raw(t, b as u64));
}

/// Raises an error with a message from the data segment.
#[no_mangle]
pub extern "C" fn ny_raise(msg: u32, len: u32) {
    error::raise(static_str(msg, len).into());
}

/// `x.m` where `m` is a method of `x`'s box and not a field: a MethodBox bound to `x`
/// (consumed).
#[no_mangle]
pub extern "C" fn ny_method_ref(t: u32, b: i64, name: u32, len: u32) -> i64 {
    let recv = Val::from_raw(t, b as u64);
    let name = alloc::string::String::from(static_str(name, len));
    ret(crate::native::new_native(crate::native::Native::Method {
        recv,
        name,
    }))
}

/// Raises "Field 'f' not found in C" for the value `(t, b)` (consumed).
#[no_mangle]
pub extern "C" fn ny_err_field(t: u32, b: i64, name: u32, len: u32) {
    let v = Val::from_raw(t, b as u64);
    let field = static_str(name, len);
    let msg = if v.kind() == Some(object::KIND_INSTANCE) {
        alloc::format!(
            "Field '{field}' not found in {}",
            crate::display::type_name(&v)
        )
    } else {
        alloc::format!(
            "Cannot access field '{field}' on non-instance type. Type: {}",
            crate::display::type_name(&v)
        )
    };
    error::raise(msg);
}

/// Adds a frame (`file:line:col in name`, from the data segment) to the pending error.
#[no_mangle]
pub extern "C" fn ny_trace(frame: u32, len: u32) {
    error::push_frame(static_str(frame, len));
}

/// `catch`: takes the pending error value and clears the pending state.
#[no_mangle]
pub extern "C" fn ny_catch() -> i64 {
    ret(error::take())
}

/// The class id of the pending error if it is a user instance, else -1.
#[no_mangle]
pub extern "C" fn ny_error_class() -> i32 {
    match error::peek() {
        Some(v) if v.kind() == Some(object::KIND_INSTANCE) => unsafe {
            instance::class_id(v.ptr().unwrap()) as i32
        },
        _ => -1,
    }
}

/// Reports the pending error and exits with status 1 (R13).
#[no_mangle]
pub extern "C" fn ny_uncaught() {
    error::report_uncaught()
}

/// Raises the stack-overflow error (compiled code checks the depth).
#[no_mangle]
pub extern "C" fn ny_stack_overflow() {
    error::raise("stack overflow (recursion too deep)".into());
}

/// End of `_start`: waits for the tasks still running, reports the errors of tasks nobody
/// awaited, and flushes standard output.
#[no_mangle]
pub extern "C" fn ny_finish() {
    tasks::finish();
    wasi::flush();
}

/// `nowait`: a new FutureBox running task `kind` with `argc` captured values (in
/// `NY_STATE.args`); `site` names where it was started.
#[no_mangle]
pub extern "C" fn ny_spawn(kind: u32, argc: u32, site: u32, site_len: u32) -> i64 {
    let args = take_args(argc);
    ret(tasks::spawn(kind, args, static_str(site, site_len)))
}

/// The task kind of FutureBox `p` (for the compiled callback).
#[no_mangle]
pub extern "C" fn ny_task_kind(p: u32) -> u32 {
    tasks::kind(p as *mut Header)
}

/// Captured value `i` of task `p`, moved out.
#[no_mangle]
pub extern "C" fn ny_task_arg(p: u32, i: u32) -> i64 {
    ret(tasks::take_arg(p as *mut Header, i))
}

/// `await v`: may start suspending the task (then the result is a placeholder).
#[no_mangle]
pub extern "C" fn ny_await(t: u32, b: i64) -> i64 {
    ret_opt(tasks::await_value(Val::from_raw(t, b as u64)))
}

/// The value of the wait a resumed task was suspended in.
#[no_mangle]
pub extern "C" fn ny_resume_leaf() -> i64 {
    ret(tasks::resume_leaf())
}

/// Saves a suspending function's frame: returns the address of its `n` slots.
#[no_mangle]
pub extern "C" fn ny_frame_save(id: u32, point: u32, n: u32) -> u32 {
    tasks::frame_save(id, point, n) as u32
}

/// Takes back frame `id` of the resuming task: returns its slots' address; its resume
/// point goes to `ret_tag`.
#[no_mangle]
pub extern "C" fn ny_frame_pop(id: u32) -> u32 {
    tasks::frame_pop(id) as u32
}

/// The id of the next frame to restore, or -1.
#[no_mangle]
pub extern "C" fn ny_frame_top() -> i32 {
    tasks::frame_top()
}

/// The command-line arguments as an ArrayBox of strings (R10).
#[no_mangle]
pub extern "C" fn ny_main_args() -> u32 {
    let items = wasi::args()
        .into_iter()
        .map(|a| object::new_str(String::from_utf8_lossy(&a).into_owned()))
        .collect();
    let v = object::new_array(items);
    let p = v.ptr().unwrap();
    core::mem::forget(v);
    p as u32
}

/// `isType(v, "T")`.
#[no_mangle]
pub extern "C" fn ny_is_type(t: u32, b: i64, name: u32, len: u32) -> u32 {
    builtins::is_type(&Val::from_raw(t, b as u64), static_str(name, len)) as u32
}

/// `asType(v, "T")`.
#[no_mangle]
pub extern "C" fn ny_as_type(t: u32, b: i64, name: u32, len: u32) -> i64 {
    ret(builtins::as_type(
        Val::from_raw(t, b as u64),
        static_str(name, len),
    ))
}

/// Explicit `x.fini()` on a user instance (consumed): runs `fini` at most once (R15).
#[no_mangle]
pub extern "C" fn ny_fini(t: u32, b: i64) {
    let v = Val::from_raw(t, b as u64);
    if let Some(p) = v.ptr() {
        if v.kind() == Some(object::KIND_INSTANCE) {
            unsafe { instance::finalize(p) };
        }
    }
}

/// The display text of a value as a new string (for `toString` results and callbacks).
#[no_mangle]
pub extern "C" fn ny_to_display(t: u32, b: i64) -> u32 {
    let v = Val::from_raw(t, b as u64);
    let s = object::new_str(display(&v));
    let p = s.ptr().unwrap();
    core::mem::forget(s);
    p as u32
}

/// Sets the pending error aside while a `finally` block runs.
#[no_mangle]
pub extern "C" fn ny_error_suspend() {
    error::suspend();
}

/// Restores the error set aside by `ny_error_suspend`.
#[no_mangle]
pub extern "C" fn ny_error_resume() {
    error::resume();
}
