//! Method and field dispatchers: one helper per `(method name, argument count)` and one
//! getter and one setter per field name.
//!
//! A dispatcher reads the receiver's kind word, compares the class id with every class
//! that has the member, and calls the implementation directly (methods) or reads or
//! writes the slot at `16 + 16 * slot` (fields; a child's slots differ from its parents',
//! so the offset is per class). Other receivers go to the runtime (`ny_call`,
//! `ny_err_field`).
//!
//! Invariants:
//! - a dispatcher consumes its owned arguments on every path, including the errors it
//!   raises (wrong arity, private field, no such field);
//! - weak slots are only touched through `ny_weak_set`/`ny_weak_get`;
//! - classes are tested in program order, and a method shared by several classes is
//!   resumed once, so the output does not depend on hash order.

use std::collections::BTreeSet;

use wasm_encoder::{BlockType, Function, ValType};

use super::frame::FnCx;
use super::idioms::{
    mem32, mem64, pairs, Idioms, Pair, KIND_INSTANCE, OFF_KIND, OFF_REWINDING, OFF_VAL_BITS,
    TAG_NULL, TAG_OBJ, VAL_SIZE,
};
use super::module::ModuleCx;
use crate::ir::{LocalTy, StrId};

/// Where an instance's fields start: after its [`nyash_abi::Header`], field count and flags
/// (the layout of `guest/src/instance.rs`, which the abi crate does not describe).
pub(super) const FIELDS_AT: u64 = size_of::<nyash_abi::Header>() as u64 + 8;

/// The receiver or first argument of a helper: locals 0 and 1.
const FIRST: Pair = Pair { tag: 0, bits: 1 };

impl ModuleCx<'_> {
    /// Whether a method call with this name and argument count may suspend.
    pub(super) fn method_may_suspend(&self, name: StrId, argc: u32) -> bool {
        let n = &self.prog.strings[name as usize];
        self.prog.suspending_methods.contains(&(n.clone(), argc))
    }

    /// `$m(recv, args…) -> value`: calls method `name` with `argc` arguments; without
    /// `want`, `$m(recv, args…)`, for a statement that drops the result.
    ///
    /// A receiver that no user box with the method answers goes to the runtime: to the
    /// method's own entry point when it has one ([`nyash_abi::FAST_METHODS`]), otherwise to
    /// `ny_call` with the name and the arguments in the state block.
    pub(super) fn method_helper(&mut self, name: StrId, argc: u32, want: bool) -> (u32, Function) {
        let prog = self.prog;
        let results = if want { pairs(1) } else { vec![] };
        let ty = self.ty(pairs(argc as usize + 1), results);
        let class = 2 + 2 * argc;
        let tmp = class + 1;
        let mname = &prog.strings[name as usize];
        let may_suspend = self.method_may_suspend(name, argc);
        let mut cx = FnCx::plain(self, [(1, ValType::I32), (1, ValType::I64)]);
        if may_suspend {
            cx.method_resume(mname, argc, class, tmp);
        }
        cx.class_of(FIRST, None, class);
        let drop = cx.m.drop_fn();
        if mname == "fini" && argc == 0 {
            cx.ins().local_get(class).i32_const(0).i32_ge_s();
            cx.if_(BlockType::Empty, |cx| {
                cx.ins().get_pair(FIRST);
                cx.call_rt("ny_fini");
                if want {
                    cx.ins().void();
                }
                cx.ins().return_();
            });
        }
        for (cid, c) in prog.classes.iter().enumerate() {
            let Some(&method) = c.methods.get(mname) else {
                continue;
            };
            let arity = prog.functions[method as usize].arity;
            let optional = prog.functions[method as usize].optional;
            cx.ins().local_eq(class, cid as i32);
            cx.if_(BlockType::Empty, |cx| {
                if arity == argc || (argc < arity && argc + optional >= arity) {
                    for i in 0..2 * (argc + 1) {
                        cx.ins().local_get(i);
                    }
                    for _ in argc..arity {
                        cx.ins().value(TAG_NULL, 0);
                    }
                    let index = cx.m.user_fn(method);
                    cx.ins().call(index);
                    if !want {
                        cx.ins().call(drop);
                    }
                } else {
                    for i in 0..=argc {
                        cx.ins().get_pair(Pair::at(2 * i)).call(drop);
                    }
                    cx.raise(&format!(
                        "Method {mname} expects {arity} arguments, got {argc}"
                    ));
                    if want {
                        cx.ins().void();
                    }
                }
                cx.ins().return_();
            });
        }
        let fast = nyash_abi::fast_method(mname, argc).filter(|_| cx.m.optimize);
        if let Some(fast) = fast {
            for i in 0..2 * (argc + 1) {
                cx.ins().local_get(i);
            }
            let flags = if want { nyash_abi::fast_flags::WANT } else { 0 };
            cx.ins().i32_const(flags as i32);
            cx.call_rt(fast.export);
            if !want {
                // Without `want`, the entry point gives void.
                cx.ins().drop();
                return (ty, cx.finish());
            }
        } else {
            cx.store_args(2, argc);
            cx.ins().get_pair(FIRST);
            cx.push_str(mname);
            cx.ins().i32_const(argc as i32);
            cx.call_rt("ny_call");
        }
        let state = cx.state();
        cx.ins().with_ret_tag(state, tmp);
        if !want {
            cx.ins().call(drop);
        }
        (ty, cx.finish())
    }

    /// `$fget(obj) -> value` or `$fset(value, obj)`.
    pub(super) fn field_helper(&mut self, name: StrId, set: bool) -> (u32, Function) {
        let prog = self.prog;
        // Access from outside `me` to a field some box declares private (R8).
        let (name, outside) = match prog.outside_fields.get(&name) {
            Some(&real) => (real, true),
            None => (name, false),
        };
        let fname = &prog.strings[name as usize];
        // Params: get (obj); set (value, obj).
        let (ty, obj) = if set {
            (self.ty(pairs(2), vec![]), Pair::at(2))
        } else {
            (self.ty(pairs(1), pairs(1)), Pair::at(0))
        };
        let class = if set { 4 } else { 2 };
        let locals = [(1, ValType::I32), (1, ValType::I32), (1, ValType::I64)];
        let mut cx = FnCx::plain(self, locals);
        let (ptr, tmp64) = (class + 1, class + 2);
        let drop = cx.m.drop_fn();
        let dup = cx.m.dup_fn();
        cx.class_of(obj, Some(ptr), class);
        for (cid, c) in prog.classes.iter().enumerate() {
            let Some(slot) = c.fields.iter().position(|x| x == fname) else {
                continue;
            };
            let off = FIELDS_AT + VAL_SIZE * slot as u64;
            cx.ins().local_eq(class, cid as i32);
            cx.if_(BlockType::Empty, |cx| {
                if outside && c.private[slot] {
                    // Release the value (setters) and the object, then raise.
                    if set {
                        cx.ins().get_pair(FIRST).call(drop);
                    }
                    cx.ins().get_pair(obj).call(drop);
                    cx.raise(&format!("Field '{fname}' is private in {}", c.name));
                    if !set {
                        cx.ins().void();
                    }
                } else if c.weak[slot] {
                    // R15: the runtime keeps weak slots (no strong count; null once
                    // finalized).
                    cx.ins().local_get(ptr).i32_const(slot as i32);
                    if set {
                        cx.ins().get_pair(FIRST);
                        cx.call_rt("ny_weak_set");
                        cx.ins().get_pair(obj).call(drop);
                    } else {
                        cx.call_rt("ny_weak_get");
                        let state = cx.state();
                        cx.ins()
                            .with_ret_tag(state, tmp64)
                            .get_pair(FIRST)
                            .call(drop);
                    }
                } else if set {
                    // The old value, then the new one stored, then both references
                    // settled: the old one released, the object's too.
                    cx.ins()
                        .local_get(ptr)
                        .i32_load(mem32(off))
                        .local_get(ptr)
                        .i64_load(mem64(off + OFF_VAL_BITS))
                        .local_get(ptr)
                        .local_get(FIRST.tag)
                        .i32_store(mem32(off))
                        .local_get(ptr)
                        .local_get(FIRST.bits)
                        .i64_store(mem64(off + OFF_VAL_BITS))
                        .call(drop)
                        .get_pair(obj)
                        .call(drop);
                } else {
                    cx.ins()
                        .local_get(ptr)
                        .i32_load(mem32(off))
                        .local_get(ptr)
                        .i64_load(mem64(off + OFF_VAL_BITS))
                        .call(dup)
                        .get_pair(FIRST)
                        .call(drop);
                }
                cx.ins().return_();
            });
        }
        if !set {
            // R19: reading a method that is not a field gives a MethodBox.
            for (cid, c) in prog.classes.iter().enumerate() {
                if c.fields.iter().any(|x| x == fname) || !c.methods.contains_key(fname) {
                    continue;
                }
                cx.ins().local_eq(class, cid as i32);
                cx.if_(BlockType::Empty, |cx| {
                    let (p, l) = cx.m.string(fname);
                    cx.ins()
                        .get_pair(obj)
                        .i32_const(p as i32)
                        .i32_const(l as i32);
                    cx.call_rt("ny_method_ref");
                    let state = cx.state();
                    cx.ins().with_ret_tag(state, tmp64).return_();
                });
            }
        }
        if set {
            cx.ins().get_pair(FIRST).call(drop);
        }
        let (p, l) = cx.m.string(fname);
        cx.ins()
            .get_pair(obj)
            .i32_const(p as i32)
            .i32_const(l as i32);
        cx.call_rt("ny_err_field");
        if !set {
            cx.ins().void();
        }
        (ty, cx.finish())
    }
}

impl FnCx<'_, '_> {
    /// Optimising, in a function with `me`: the offset of field `name` of `me` when every
    /// box `me` can be an instance of here keeps that field in the same slot and strong,
    /// so `me.name` is read there without a dispatcher. `me` is an instance of a box that
    /// has this function as a method, constructor or initializer, or of one of their
    /// descendants (which reach it with `from`); the function never assigns `me`.
    pub(super) fn me_field_offset(&self, name: StrId) -> Option<u64> {
        let prog = self.m.prog;
        let id = self.func?;
        let func = &prog.functions[id as usize];
        if !self.m.optimize
            || !func.has_me
            || self.tys.first() != Some(&LocalTy::Dyn)
            || prog.outside_fields.contains_key(&name)
            || assigns_me(&func.body)
        {
            return None;
        }
        let owners: Vec<usize> = (0..prog.classes.len())
            .filter(|&c| {
                let c = &prog.classes[c];
                c.methods.values().any(|&m| m == id)
                    || c.constructor == Some(id)
                    || c.static_init == Some(id)
            })
            .collect();
        if owners.is_empty() {
            return None;
        }
        let fname = &prog.strings[name as usize];
        let mut slot = None;
        for c in &prog.classes {
            if !c.ancestors.iter().any(|&a| owners.contains(&(a as usize))) {
                continue;
            }
            let s = c.fields.iter().position(|f| f == fname)?;
            if c.weak[s] || slot.is_some_and(|t| t != s) {
                return None;
            }
            slot = Some(s);
        }
        slot.map(|s| FIELDS_AT + VAL_SIZE * s as u64)
    }

    /// Loads the class id of the instance in `obj` into local `class`, or -1 when the
    /// value is not an instance; with `ptr`, also keeps the object's address there.
    fn class_of(&mut self, obj: Pair, ptr: Option<u32>, class: u32) {
        self.ins()
            .i32_const(-1)
            .local_set(class)
            .local_eq(obj.tag, TAG_OBJ);
        self.if_(BlockType::Empty, |cx| {
            let mut ins = cx.ins();
            ins.local_get(obj.bits).i32_wrap_i64();
            if let Some(ptr) = ptr {
                ins.local_tee(ptr);
            }
            ins.i32_load(mem32(OFF_KIND))
                .local_set(class)
                .local_get(class)
                .i32_const(0xff)
                .i32_and()
                .i32_const(KIND_INSTANCE)
                .i32_eq();
            cx.if_else(
                BlockType::Empty,
                |cx| {
                    cx.ins()
                        .local_get(class)
                        .i32_const(8)
                        .i32_shr_u()
                        .local_set(class);
                },
                |cx| {
                    cx.ins().i32_const(-1).local_set(class);
                },
            );
        });
    }

    /// Dispatcher prologue for a method that may suspend: when the task is resuming, the
    /// receiver is a placeholder, so go by the frame the callee saved (or, when there is
    /// none, the wait was the runtime's own: a FutureBox `get()` or a `sleep`).
    fn method_resume(&mut self, mname: &str, argc: u32, fid: u32, tmp: u32) {
        let prog = self.m.prog;
        let state = self.state();
        self.ins().state_load(state, OFF_REWINDING);
        self.if_(BlockType::Empty, |cx| {
            cx.call_rt("ny_frame_top");
            cx.ins().local_tee(fid).i32_const(-1).i32_eq();
            cx.if_(BlockType::Empty, |cx| {
                cx.call_rt("ny_resume_leaf");
                cx.ins().with_ret_tag(state, tmp).return_();
            });
            let mut seen = BTreeSet::new();
            for class in &prog.classes {
                let Some(&m) = class.methods.get(mname) else {
                    continue;
                };
                let f = &prog.functions[m as usize];
                let accepts = f.arity == argc || (argc < f.arity && argc + f.optional >= f.arity);
                if !accepts || !seen.insert(m) {
                    continue;
                }
                let arity = f.arity;
                cx.ins().local_eq(fid, 2 * m as i32);
                cx.if_(BlockType::Empty, |cx| {
                    for _ in 0..=arity {
                        cx.placeholder(LocalTy::Dyn);
                    }
                    let index = cx.m.user_fn(m);
                    cx.ins().call(index).return_();
                });
            }
            cx.ins().unreachable();
        });
    }
}

/// Whether `body` assigns local slot 0 (`me`) anywhere.
fn assigns_me(body: &[crate::ir::Stmt]) -> bool {
    use crate::ir::{visit, Stmt};
    body.iter().any(|s| {
        let here = matches!(
            s,
            Stmt::SetLocal(0, _) | Stmt::Suspend { slot: Some(0), .. }
        ) || matches!(s, Stmt::Try { catches, .. } if catches.iter().any(|c| c.var == 0));
        let mut inner = false;
        visit::for_each_block(s, |b| inner |= assigns_me(b));
        here || inner
    })
}
