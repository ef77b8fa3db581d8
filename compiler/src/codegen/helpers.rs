//! Synthesized helper functions: small functions the code generator writes once per module
//! (or once per method name, field name, class or argument count) and calls from compiled
//! code instead of repeating their bodies inline.
//!
//! `$drop`, `$dup` and `$truthy` are the reference-count and truthiness fast paths; `$static`
//! creates a static box on first use; `$new` and `$newb` construct user and builtin boxes;
//! `$callback` is how the runtime calls back into compiled code. Method and field
//! dispatchers are in [`super::dispatch`].
//!
//! Invariants:
//! - a helper is reserved when it is first asked for ([`ModuleCx::helper`]) and emitted
//!   from the queue after every user function, so asking never recurses;
//! - helpers take and return values like Nyash functions do (owned pairs), except
//!   `$callback`, which leaves its result in `NY_STATE.ret_tag`/`ret_bits`.

use wasm_encoder::{BlockType, Function, ValType};

use super::frame::FnCx;
use super::idioms::{
    mem32, mem64, pairs, Idioms, Pair, CALLBACK_RUN_TASK, OFF_KIND, OFF_RET_BITS, OFF_RET_TAG,
    TAG_BOOL, TAG_INT, TAG_OBJ, TAG_VOID,
};
use super::module::ModuleCx;
use crate::ir::{ClassId, StrId};
use nyash_abi::callback;

/// A helper function, by what it does.
#[derive(Clone, Debug)]
pub(super) enum Helper {
    /// `$drop(value)`.
    Drop,
    /// `$dup(value) -> value`.
    Dup,
    /// `$truthy(value) -> i32`.
    Truthy,
    /// The dispatcher of method `name` with this many arguments; `false`: for a statement
    /// that drops the result (the dispatcher returns nothing).
    Method(StrId, u32, bool),
    /// The getter of field `name`.
    FieldGet(StrId),
    /// The setter of field `name`.
    FieldSet(StrId),
    /// The singleton of a static box, created on first use.
    Static(ClassId),
    /// `new` of a user box: the instance, then its constructor.
    New(ClassId),
    /// `new` of a builtin box with this many arguments.
    NewBuiltin(u32),
    /// `$callback(obj, which)`.
    Callback,
}

impl Helper {
    /// Emits the helper; returns its type and body.
    pub(super) fn emit(self, m: &mut ModuleCx) -> (u32, Function) {
        match self {
            Helper::Drop => {
                let ty = m.ty(pairs(1), vec![]);
                let inline = m.inline_release;
                let mut cx = FnCx::plain(m, [(1, ValType::I32)]);
                let rc = 2;
                if inline {
                    cx.release_in_place(Pair::at(0), rc);
                } else {
                    cx.ins().local_eq(0, TAG_OBJ);
                    cx.if_(BlockType::Empty, |cx| {
                        cx.ins().local_get(1).i32_wrap_i64();
                        cx.call_rt("ny_release");
                    });
                }
                (ty, cx.finish())
            }
            Helper::Dup => {
                let ty = m.ty(pairs(1), pairs(1));
                let mut cx = FnCx::plain(m, []);
                cx.retain_in_place(Pair::at(0));
                cx.ins().get_pair(Pair::at(0));
                (ty, cx.finish())
            }
            Helper::Truthy => {
                let ty = m.ty(pairs(1), vec![ValType::I32]);
                let mut cx = FnCx::plain(m, []);
                cx.ins().local_eq(0, TAG_BOOL).local_eq(0, TAG_INT).i32_or();
                cx.if_(BlockType::Empty, |cx| {
                    cx.ins().local_get(1).i64_const(0).i64_ne().return_();
                });
                cx.ins().get_pair(Pair::at(0));
                cx.call_rt("ny_truthy");
                (ty, cx.finish())
            }
            Helper::Method(name, argc, want) => m.method_helper(name, argc, want),
            Helper::FieldGet(name) => m.field_helper(name, false),
            Helper::FieldSet(name) => m.field_helper(name, true),
            Helper::Static(class) => static_helper(m, class),
            Helper::New(class) => new_helper(m, class),
            Helper::NewBuiltin(argc) => {
                let mut params = vec![ValType::I32, ValType::I32];
                params.extend(pairs(argc as usize));
                let ty = m.ty(params, pairs(1));
                let mut cx = FnCx::plain(m, [(1, ValType::I64)]);
                cx.store_args(2, argc);
                cx.ins().local_get(0).local_get(1).i32_const(argc as i32);
                cx.call_rt("ny_new_builtin");
                let state = cx.state();
                cx.ins().with_ret_tag(state, 2 + 2 * argc);
                (ty, cx.finish())
            }
            Helper::Callback => callback_helper(m),
        }
    }
}

/// `$static(class) -> ptr`: the singleton, created and initialized (`static { }`) once.
fn static_helper(m: &mut ModuleCx, class: ClassId) -> (u32, Function) {
    let prog = m.prog;
    let ty = m.ty(vec![], vec![ValType::I32]);
    let g = m.static_globals[&class];
    let mut cx = FnCx::plain(m, []);
    cx.ins().global_get(g).i32_eqz();
    cx.if_(BlockType::Empty, |cx| {
        cx.ins().i32_const(class as i32);
        cx.call_rt("ny_new_instance");
        cx.ins().global_set(g);
        if let Some(init) = prog.classes[class as usize].static_init {
            cx.ins().i32_const(TAG_OBJ).global_get(g).i64_extend_i32_u();
            cx.dup_value();
            let may = prog.functions[init as usize].may_suspend;
            let index = cx.m.user_fn(init);
            cx.call_maybe_waiting(index, may);
            cx.drop_value();
        }
    });
    cx.ins().global_get(g);
    (ty, cx.finish())
}

/// `$new(args…) -> instance`: a fresh instance, with its constructor run on it.
fn new_helper(m: &mut ModuleCx, class: ClassId) -> (u32, Function) {
    let prog = m.prog;
    let c = &prog.classes[class as usize];
    let argc = c
        .constructor
        .map_or(0, |ctor| prog.functions[ctor as usize].arity);
    let ty = m.ty(pairs(argc as usize), pairs(1));
    let mut cx = FnCx::plain(m, [(1, ValType::I32)]);
    let p = 2 * argc;
    cx.ins().i32_const(class as i32);
    cx.call_rt("ny_new_instance");
    cx.ins().local_set(p);
    if let Some(ctor) = c.constructor {
        cx.ins().obj_from_local(p);
        cx.dup_value();
        for i in 0..2 * argc {
            cx.ins().local_get(i);
        }
        let may = prog.functions[ctor as usize].may_suspend;
        let index = cx.m.user_fn(ctor);
        cx.call_maybe_waiting(index, may);
        cx.drop_value();
    }
    cx.ins().obj_from_local(p);
    (ty, cx.finish())
}

/// `$callback(obj, which)`: runs `toString` (0) or `fini` (1) of an instance for the
/// runtime, or runs (resumes) a task (`RUN_TASK`), leaving the result in
/// `NY_STATE.ret_tag`/`ret_bits`.
fn callback_helper(m: &mut ModuleCx) -> (u32, Function) {
    let prog = m.prog;
    let ty = m.ty(vec![ValType::I32, ValType::I32], vec![]);
    let mut cx = FnCx::plain(m, [(1, ValType::I32), (1, ValType::I64)]);
    let state = cx.state();
    let (class, bits) = (2, 3);
    let dup = cx.m.dup_fn();
    let drop = cx.m.drop_fn();
    cx.ins()
        .local_get(0)
        .i32_load(mem32(OFF_KIND))
        .i32_const(8)
        .i32_shr_u()
        .local_set(class)
        .i32_const(state)
        .i32_const(TAG_VOID)
        .i32_store(mem32(OFF_RET_TAG));
    for (which, mname) in [
        (callback::TO_STRING as i32, "toString"),
        (callback::FINI as i32, "fini"),
    ] {
        for (cid, c) in prog.classes.iter().enumerate() {
            let Some(&method) = c.methods.get(mname) else {
                continue;
            };
            if prog.functions[method as usize].arity != 0 {
                continue;
            }
            cx.ins()
                .local_eq(1, which)
                .local_eq(class, cid as i32)
                .i32_and();
            cx.if_(BlockType::Empty, |cx| {
                cx.ins().obj_from_local(0).call(dup);
                let may = prog.functions[method as usize].may_suspend;
                let index = cx.m.user_fn(method);
                cx.call_maybe_waiting(index, may);
                if which == callback::TO_STRING as i32 {
                    cx.store_result(class, bits);
                } else {
                    // `fini`'s value is dropped here; the result slot says Void, never a
                    // value some call inside `fini` returned and that was released already.
                    cx.ins()
                        .call(drop)
                        .i32_const(state)
                        .i32_const(TAG_VOID)
                        .i32_store(mem32(OFF_RET_TAG));
                }
                cx.ins().return_();
            });
        }
    }
    // Run (or resume) a task: its function takes the captured values.
    for (kind, &fid) in prog.tasks.iter().enumerate() {
        let arity = prog.functions[fid as usize].arity;
        cx.ins().local_eq(1, CALLBACK_RUN_TASK).local_get(0);
        cx.call_rt("ny_task_kind");
        cx.ins().i32_const(kind as i32).i32_eq().i32_and();
        cx.if_(BlockType::Empty, |cx| {
            for i in 0..arity {
                cx.ins().local_get(0).i32_const(i as i32);
                cx.call_rt("ny_task_arg");
                cx.ins().with_ret_tag(state, bits);
            }
            let index = cx.m.user_fn(fid);
            cx.ins().call(index);
            cx.store_result(class, bits);
            cx.ins().return_();
        });
    }
    (ty, cx.finish())
}

impl FnCx<'_, '_> {
    /// Stores `argc` value params (starting at local `first`) into `NY_STATE.args`.
    pub(super) fn store_args(&mut self, first: u32, argc: u32) {
        let state = self.state();
        for i in 0..argc {
            self.ins().store_arg(state, i, Pair::at(first + 2 * i));
        }
    }

    /// Moves the pair on the stack into `ret_tag`/`ret_bits`, through the locals `tag`
    /// (i32) and `bits` (i64).
    fn store_result(&mut self, tag: u32, bits: u32) {
        let state = self.state();
        self.ins()
            .set_pair(Pair { tag, bits })
            .i32_const(state)
            .local_get(tag)
            .i32_store(mem32(OFF_RET_TAG))
            .i32_const(state)
            .local_get(bits)
            .i64_store(mem64(OFF_RET_BITS));
    }
}
