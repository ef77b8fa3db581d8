//! Async frames (R16): how a resumable function saves itself when its task suspends and
//! restores itself when the task resumes, and how calls that may suspend are made.
//!
//! A resumable function has two more locals ([`super::frame::Resume`]): the resume point
//! and a frame pointer. Its prologue, when `NY_STATE.rewinding` is set, takes its frame
//! back (`ny_frame_pop`). At a resume point it makes the call or, when resuming there, the
//! call's second half; then, if `NY_STATE.unwinding` is set, it moves every local into a
//! new frame (`ny_frame_save`, 16 bytes per slot) and returns a placeholder.
//!
//! Invariants:
//! - a frame slot is `(tag: i32 at +0, bits at +8)`, whatever the local's representation,
//!   and the restore reads back exactly what the save wrote;
//! - while a task is suspended its frame holds the only reference to each local;
//! - a callee that may suspend, called anywhere but at a resume point, runs with
//!   `NY_STATE.no_unwind` raised, so it waits in place instead of giving the stack back.

use wasm_encoder::BlockType;

use super::frame::FnCx;
use super::helpers::Helper;
use super::idioms::{
    mem32, mem64, valtypes, Idioms, Pair, OFF_NO_UNWIND, OFF_RET_TAG, OFF_REWINDING, OFF_UNWINDING,
    OFF_VAL_BITS, TAG_BOOL, TAG_FLOAT, TAG_INT, VAL_SIZE,
};
use crate::ir::{Expr, LocalTy};

impl FnCx<'_, '_> {
    /// Resumable prologue: when the task is resuming, take this function's frame back.
    pub(super) fn restore_frame(&mut self) {
        let state = self.state();
        let r = self
            .resume
            .expect("only resumable functions restore a frame");
        self.ins().state_load(state, OFF_REWINDING);
        self.if_(BlockType::Empty, |cx| {
            cx.ins().i32_const(r.frame_id as i32);
            cx.call_rt("ny_frame_pop");
            cx.ins()
                .local_set(r.frame)
                .state_load(state, OFF_RET_TAG)
                .local_set(r.point);
            for (i, &t) in cx.tys.clone().iter().enumerate() {
                let off = VAL_SIZE * i as u64;
                let bits = off + OFF_VAL_BITS;
                let at = cx.base[i];
                let mut ins = cx.ins();
                ins.local_get(r.frame);
                match t {
                    LocalTy::Dyn => ins
                        .i32_load(mem32(off))
                        .local_set(at)
                        .local_get(r.frame)
                        .i64_load(mem64(bits)),
                    LocalTy::Int => ins.i64_load(mem64(bits)),
                    LocalTy::Float => ins.f64_load(mem64(bits)),
                    LocalTy::Bool => ins.i32_load(mem32(bits)),
                };
                ins.local_set(if t == LocalTy::Dyn { at + 1 } else { at });
            }
        });
    }

    /// At a resume point, when the call returned because the task is suspending: move the
    /// locals into a frame for resume point `id` and return (the result is a placeholder).
    fn save_frame_if_unwinding(&mut self, id: u32) {
        let state = self.state();
        let r = self.resume.expect("only resumable functions save a frame");
        self.ins().state_load(state, OFF_UNWINDING);
        self.if_(BlockType::Empty, |cx| {
            let slots = cx.tys.len() as i32;
            cx.ins()
                .i32_const(r.frame_id as i32)
                .i32_const(id as i32)
                .i32_const(slots);
            cx.call_rt("ny_frame_save");
            cx.ins().local_set(r.frame);
            for (i, &t) in cx.tys.clone().iter().enumerate() {
                let off = VAL_SIZE * i as u64;
                let bits = off + OFF_VAL_BITS;
                let at = cx.base[i];
                let mut ins = cx.ins();
                ins.local_get(r.frame);
                match t {
                    LocalTy::Dyn => ins.local_get(at),
                    LocalTy::Int => ins.i32_const(TAG_INT),
                    LocalTy::Float => ins.i32_const(TAG_FLOAT),
                    LocalTy::Bool => ins.i32_const(TAG_BOOL),
                };
                ins.i32_store(mem32(off)).local_get(r.frame);
                match t {
                    LocalTy::Dyn => ins.local_get(at + 1).i64_store(mem64(bits)),
                    LocalTy::Int => ins.local_get(at).i64_store(mem64(bits)),
                    LocalTy::Float => ins.local_get(at).f64_store(mem64(bits)),
                    LocalTy::Bool => ins.local_get(at).i64_extend_i32_u().i64_store(mem64(bits)),
                };
            }
            // As the epilogue does: the caller's depth again (a resumable function is
            // never isolated from the depth counter).
            cx.restore_caller_depth();
            cx.placeholder(cx.ret);
            cx.ins().return_();
        });
    }

    /// A value of representation `t` that is never looked at.
    pub(super) fn placeholder(&mut self, t: LocalTy) {
        let mut ins = self.ins();
        match t {
            LocalTy::Dyn => ins.void(),
            LocalTy::Int => ins.i64_const(0),
            LocalTy::Float => ins.f64_const(0.0.into()),
            LocalTy::Bool => ins.i32_const(0),
        };
    }

    /// `NY_STATE.no_unwind += delta`.
    fn no_unwind(&mut self, delta: i32) {
        let state = self.state();
        self.ins()
            .i32_const(state)
            .state_load(state, OFF_NO_UNWIND)
            .i32_const(delta)
            .i32_add()
            .i32_store(mem32(OFF_NO_UNWIND));
    }

    /// Calls `index`; a callee that may suspend, called from anywhere but a resume point,
    /// must wait in place instead (see `ir::suspend`).
    pub(super) fn call_maybe_waiting(&mut self, index: u32, may_suspend: bool) {
        let wrap = may_suspend && !self.at_point;
        if wrap {
            self.no_unwind(1);
        }
        self.ins().call(index);
        if wrap {
            self.no_unwind(-1);
        }
    }

    /// A resume point: the call, or on resumption its second half; then save and return if
    /// the task is suspending; then the result goes to `slot`.
    pub(super) fn suspend_point(&mut self, id: u32, slot: Option<u32>, call: &Expr) {
        let t = self.ty_of(call);
        let point = self
            .resume
            .expect("resume points only in resumable functions")
            .point;
        let bt = self.m.block_type(valtypes(t));
        self.ins().local_get(point).i32_const(id as i32).i32_eq();
        self.if_else(
            bt,
            |cx| {
                cx.ins().i32_const(0).local_set(point);
                cx.resume_call(call);
            },
            |cx| {
                cx.at_point = true;
                if t == LocalTy::Dyn {
                    cx.expr_dyn(call);
                } else {
                    cx.expr_typed(call, t);
                }
                cx.at_point = false;
            },
        );
        // Keep the result aside while checking for suspension.
        let keep: Vec<u32> = match t {
            LocalTy::Dyn => vec![self.s.lhs.tag, self.s.lhs.bits],
            LocalTy::Int => vec![self.s.i64_a],
            LocalTy::Float => vec![self.s.f64_a],
            LocalTy::Bool => vec![self.s.lhs.tag],
        };
        for &l in keep.iter().rev() {
            self.ins().local_set(l);
        }
        self.save_frame_if_unwinding(id);
        for &l in &keep {
            self.ins().local_get(l);
        }
        match slot {
            Some(slot) => {
                let want = self.tys[slot as usize];
                let at = self.base[slot as usize];
                self.convert(t, want);
                if want == LocalTy::Dyn {
                    self.assign(Pair::at(at));
                } else {
                    self.ins().local_set(at);
                }
            }
            None if t == LocalTy::Dyn => self.drop_value(),
            None => {
                self.ins().drop();
            }
        }
    }

    /// The second half of a call that suspended: call the same callee again with
    /// placeholder arguments (it restores its own frame), or for a wait of the runtime's
    /// own, take the value it was waiting for.
    fn resume_call(&mut self, call: &Expr) {
        let prog = self.m.prog;
        match call {
            Expr::Call(func, _, site) => {
                let fun = &prog.functions[*func as usize];
                let nparams = fun.arity as usize + usize::from(fun.has_me);
                match &fun.spec {
                    Some(spec) => {
                        for &t in &spec.locals[..nparams] {
                            self.placeholder(t);
                        }
                        let (depth, index) = (self.depth, self.m.spec_index[func]);
                        self.ins()
                            .local_get(depth)
                            .i32_const(1)
                            .i32_add()
                            .call(index);
                    }
                    None => {
                        for _ in 0..nparams {
                            self.placeholder(LocalTy::Dyn);
                        }
                        let index = self.m.user_fn(*func);
                        self.ins().call(index);
                    }
                }
                self.check(*site);
            }
            Expr::Method {
                name, args, site, ..
            } => {
                let n = args.len() as u32;
                for _ in 0..=n {
                    self.placeholder(LocalTy::Dyn);
                }
                let h = self
                    .m
                    .helper(format!("m:{name}:{n}"), Helper::Method(*name, n, true));
                self.ins().call(h);
                self.check(*site);
            }
            Expr::Await(_, site) => {
                self.call_rt("ny_resume_leaf");
                self.ret_pair();
                self.check(*site);
            }
            other => unreachable!("not a suspension point: {other:?}"),
        }
    }
}
