//! Dynamic (boxed) expressions: everything that evaluates to a value pair
//! `(tag: i32, bits: i64)`, and calls of user functions.
//!
//! Invariants:
//! - evaluating an expression yields an owned reference: reading a local or global adds
//!   one, literals are immortal, calls return owned results;
//! - a `Dyn` operand left on the operand stack while later operands are evaluated is
//!   recorded as pending ([`FnCx::pending_operand`]) and settled just before the
//!   instruction that consumes it;
//! - every operation that can raise is followed by a check (`FnCx::check` or
//!   `FnCx::after_call`).

use wasm_encoder::BlockType;

use super::frame::FnCx;
use super::helpers::Helper;
use super::idioms::{
    mem32, mem64, pairs, Idioms, Pair, MAX_DEPTH, OFF_VAL_BITS, TAG_BOOL, TAG_FLOAT, TAG_INT,
    TAG_NULL, TAG_OBJ, TAG_UNSET,
};
use crate::ir::{BinOp, Const, Expr, FuncId, LocalTy, SiteId, StrId};
use nyash_abi::{fast_flags, op};

impl FnCx<'_, '_> {
    /// Reads the tag a runtime function left in `ret_tag`, putting the pair in order.
    pub(super) fn ret_pair(&mut self) {
        let (state, bits) = (self.state(), self.s.swap_bits);
        self.ins().with_ret_tag(state, bits);
    }

    /// Tags the i32 on the stack as a Bool.
    fn bool_from_i32(&mut self) {
        let bits = self.s.swap_bits;
        self.ins()
            .i64_extend_i32_u()
            .local_set(bits)
            .i32_const(TAG_BOOL)
            .local_get(bits);
    }

    /// Evaluates a `Dyn` expression to a value pair.
    pub(super) fn expr_dyn(&mut self, e: &Expr) {
        let prog = self.m.prog;
        match e {
            Expr::Const(c) => {
                match *c {
                    Const::Void => self.ins().void(),
                    Const::Null => self.ins().value(TAG_NULL, 0),
                    Const::Bool(b) => self.ins().value(TAG_BOOL, i64::from(b)),
                    Const::Int(i) => self.ins().value(TAG_INT, i),
                    Const::Float(x) => self.ins().value(TAG_FLOAT, x.to_bits() as i64),
                    Const::Str(s) => {
                        let g = self.m.str_globals[&s];
                        self.ins()
                            .i32_const(TAG_OBJ)
                            .global_get(g)
                            .i64_extend_i32_u()
                    }
                };
            }
            Expr::Local(slot) => {
                let at = Pair::at(self.base[*slot as usize]);
                self.ins().get_pair(at);
                self.dup_value();
            }
            Expr::Global(g, site) => {
                let t = self.m.var_globals[*g as usize];
                self.ins().global_get(t).i32_const(TAG_UNSET).i32_eq();
                self.if_(BlockType::Empty, |cx| {
                    cx.raise(&format!(
                        "Undefined variable '{}'",
                        prog.globals[*g as usize]
                    ));
                });
                self.check(*site);
                self.ins().global_get(t).global_get(t + 1);
                self.dup_value();
            }
            Expr::Static(class, site) => {
                let h = self
                    .m
                    .helper(format!("static{class}"), Helper::Static(*class));
                let ptr = self.s.lhs.tag;
                self.ins().call(h).local_set(ptr);
                self.after_call(true, *site);
                self.ins().obj_from_local(ptr);
                self.dup_value();
            }
            Expr::Binary(op, a, b, site) => {
                let n = self.pending_operand(a);
                self.expr(b);
                self.settle(n);
                self.binary(*op, *site);
            }
            Expr::Neg(a, site) => {
                self.expr(a);
                self.call_rt("ny_neg");
                self.ret_pair();
                self.check(*site);
            }
            // Always a Bool: the unboxed form, tagged.
            Expr::Not(_) | Expr::And(..) | Expr::Or(..) | Expr::Resuming(..) => {
                self.expr_typed(e, LocalTy::Bool);
                self.bool_from_i32();
            }
            Expr::Call(func, args, site) => self.direct_call(*func, args, *site),
            Expr::Method {
                recv,
                name,
                args,
                site,
            } => self.method_call(recv, *name, args, *site, true),
            Expr::Field(obj, name, site) => {
                if let (Expr::Local(0), Some(off)) = (&**obj, self.me_field_offset(*name)) {
                    // `me.name` at a slot known here: read it and add a reference.
                    let me = Pair::at(self.base[0]);
                    self.ins()
                        .local_get(me.bits)
                        .i32_wrap_i64()
                        .i32_load(mem32(off))
                        .local_get(me.bits)
                        .i32_wrap_i64()
                        .i64_load(mem64(off + OFF_VAL_BITS));
                    self.dup_value();
                    return;
                }
                self.expr(obj);
                let h = self
                    .m
                    .helper(format!("fget:{name}"), Helper::FieldGet(*name));
                self.ins().call(h);
                self.check(*site);
            }
            Expr::New(class, args, site) => {
                let k = self.pending_operands(args);
                self.settle(k);
                let h = self.m.helper(format!("new{class}"), Helper::New(*class));
                self.ins().call(h);
                self.after_call(true, *site);
            }
            Expr::NewBuiltin(name, args, site) => {
                self.push_str(&prog.strings[*name as usize]);
                let k = self.pending_operands(args);
                self.settle(k);
                let n = args.len() as u32;
                let h = self.m.helper(format!("newb{n}"), Helper::NewBuiltin(n));
                self.ins().call(h);
                self.check(*site);
            }
            Expr::IsType(v, ty) | Expr::AsType(v, ty) => {
                self.expr(v);
                self.push_str(&prog.strings[*ty as usize]);
                if matches!(e, Expr::IsType(..)) {
                    self.call_rt("ny_is_type");
                    self.bool_from_i32();
                } else {
                    self.call_rt("ny_as_type");
                    self.ret_pair();
                }
            }
            Expr::Tee(slot, inner) => {
                // Keep a reference in the hidden (Dyn) local until the statement ends.
                let at = Pair::at(self.base[*slot as usize]);
                self.expr(inner);
                self.assign(at);
                if !self.tees.contains(&at) {
                    self.tees.push(at);
                }
                self.ins().get_pair(at);
                self.dup_value();
            }
            Expr::Raise(msg, args, site) => {
                let drop = self.m.drop_fn();
                for a in args {
                    self.expr(a);
                    self.ins().call(drop);
                }
                self.raise(&prog.strings[*msg as usize]);
                self.check(*site);
                self.ins().void();
            }
            Expr::Await(a, site) => {
                self.expr(a);
                let index = self.m.rt.func("ny_await");
                self.call_maybe_waiting(index, true);
                self.ret_pair();
                self.check(*site);
            }
            Expr::Task(kind, captures, site) => {
                let (state, tmp) = (self.state(), self.s.lhs);
                for (i, c) in captures.iter().enumerate() {
                    self.expr(c);
                    self.ins().set_pair(tmp).store_arg(state, i as u32, tmp);
                }
                self.ins()
                    .i32_const(*kind as i32)
                    .i32_const(captures.len() as i32);
                self.push_str(&prog.sites[*site as usize]);
                self.call_rt("ny_spawn");
                self.ret_pair();
                self.check(*site);
            }
            Expr::Spawn(..) => unreachable!("`nowait` is lowered by ir::suspend"),
        }
    }

    /// `recv.name(args)` through its dispatcher; without `want`, for a statement that drops
    /// the result, which then leaves nothing on the stack.
    pub(super) fn method_call(
        &mut self,
        recv: &Expr,
        name: StrId,
        args: &[Expr],
        site: SiteId,
        want: bool,
    ) {
        if self.fast_method_call(recv, name, args, site, want) {
            return;
        }
        let k = self.pending_operand(recv) + self.pending_operands(args);
        self.settle(k);
        let n = args.len() as u32;
        let key = if want {
            format!("m:{name}:{n}")
        } else {
            format!("m:{name}:{n}:drop")
        };
        let h = self.m.helper(key, Helper::Method(name, n, want));
        let may = self.m.method_may_suspend(name, n);
        self.call_maybe_waiting(h, may);
        self.after_call(true, site);
    }

    /// Optimising, `recv.name(args)` for a method with its own runtime entry point
    /// ([`nyash_abi::FAST_METHODS`]) that no user box defines: a direct call of the entry
    /// point, without a dispatcher, and with a receiver read from a local borrowed rather
    /// than referenced (nothing can assign the local during the call). Returns whether it
    /// emitted the call.
    fn fast_method_call(
        &mut self,
        recv: &Expr,
        name: StrId,
        args: &[Expr],
        site: SiteId,
        want: bool,
    ) -> bool {
        let prog = self.m.prog;
        let mname = &prog.strings[name as usize];
        let n = args.len() as u32;
        let Some(fast) = nyash_abi::fast_method(mname, n) else {
            return false;
        };
        if !self.m.optimize
            || self.m.method_may_suspend(name, n)
            || prog.classes.iter().any(|c| c.methods.contains_key(mname))
        {
            return false;
        }
        let mut flags = if want { fast_flags::WANT } else { 0 };
        let mut k = 0;
        match recv {
            Expr::Local(slot) if self.tys[*slot as usize] == LocalTy::Dyn => {
                let at = Pair::at(self.base[*slot as usize]);
                self.ins().get_pair(at);
                flags |= fast_flags::BORROWED;
            }
            _ => k += self.pending_operand(recv),
        }
        k += self.pending_operands(args);
        self.settle(k);
        self.ins().i32_const(flags as i32);
        self.call_rt(fast.export);
        if want {
            self.ret_pair();
        } else {
            self.ins().drop();
        }
        self.after_call(true, site);
        true
    }

    /// A dynamic binary operator on the two pairs on the stack: inline when both are Ints
    /// (optimising, also `/` and `%` by anything but 0 and -1) or, optimising, both Floats
    /// (except `/` and `%`), otherwise `ny_binop`.
    pub(super) fn binary(&mut self, op: BinOp, site: SiteId) {
        let (a, b) = (self.s.lhs, self.s.rhs);
        self.ins().set_pair(b).set_pair(a);
        if matches!(op, BinOp::Div | BinOp::Rem) {
            if self.m.optimize {
                self.int_division_or_call(op, site);
            } else {
                self.binop_call(op, site);
            }
            return;
        }
        self.ins()
            .local_eq(a.tag, TAG_INT)
            .local_eq(b.tag, TAG_INT)
            .i32_and();
        let bt = self.m.block_type(pairs(1));
        let arith = matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul);
        self.if_else(
            bt,
            |cx| {
                let mut ins = cx.ins();
                ins.i32_const(if arith { TAG_INT } else { TAG_BOOL })
                    .local_get(a.bits)
                    .local_get(b.bits);
                match op {
                    BinOp::Add => ins.i64_add(),
                    BinOp::Sub => ins.i64_sub(),
                    BinOp::Mul => ins.i64_mul(),
                    BinOp::Eq => ins.i64_eq(),
                    BinOp::Ne => ins.i64_ne(),
                    BinOp::Lt => ins.i64_lt_s(),
                    BinOp::Le => ins.i64_le_s(),
                    BinOp::Gt => ins.i64_gt_s(),
                    _ => ins.i64_ge_s(),
                };
                if !arith {
                    ins.i64_extend_i32_u();
                }
            },
            |cx| {
                if cx.m.optimize {
                    cx.float_binary_or_call(op, site);
                } else {
                    cx.binop_call(op, site);
                }
            },
        );
    }

    /// `/` or `%` on the operands in `lhs` and `rhs`: inline when both are Ints and the
    /// divisor is neither 0 (which raises) nor -1 (where `i64::MIN` wraps), otherwise
    /// `ny_binop`, which handles those.
    fn int_division_or_call(&mut self, op: BinOp, site: SiteId) {
        let (a, b) = (self.s.lhs, self.s.rhs);
        self.ins()
            .local_eq(a.tag, TAG_INT)
            .local_eq(b.tag, TAG_INT)
            .i32_and()
            // b + 1 > 1 (unsigned): b is neither -1 nor 0.
            .local_get(b.bits)
            .i64_const(1)
            .i64_add()
            .i64_const(1)
            .i64_gt_u()
            .i32_and();
        let bt = self.m.block_type(pairs(1));
        self.if_else(
            bt,
            |cx| {
                let mut ins = cx.ins();
                ins.i32_const(TAG_INT).local_get(a.bits).local_get(b.bits);
                if op == BinOp::Div {
                    ins.i64_div_s();
                } else {
                    ins.i64_rem_s();
                }
            },
            |cx| cx.binop_call(op, site),
        );
    }

    /// The operands in `lhs` and `rhs` are not both Ints: inline when both are Floats
    /// (`+ - *` and comparisons, exactly as `guest/src/ops.rs` computes them), otherwise
    /// `ny_binop`.
    fn float_binary_or_call(&mut self, op: BinOp, site: SiteId) {
        let (a, b) = (self.s.lhs, self.s.rhs);
        self.ins()
            .local_eq(a.tag, TAG_FLOAT)
            .local_eq(b.tag, TAG_FLOAT)
            .i32_and();
        let bt = self.m.block_type(pairs(1));
        let arith = matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul);
        self.if_else(
            bt,
            |cx| {
                let mut ins = cx.ins();
                ins.i32_const(if arith { TAG_FLOAT } else { TAG_BOOL })
                    .local_get(a.bits)
                    .f64_reinterpret_i64()
                    .local_get(b.bits)
                    .f64_reinterpret_i64();
                match op {
                    BinOp::Add => ins.f64_add(),
                    BinOp::Sub => ins.f64_sub(),
                    BinOp::Mul => ins.f64_mul(),
                    BinOp::Eq => ins.f64_eq(),
                    BinOp::Ne => ins.f64_ne(),
                    BinOp::Lt => ins.f64_lt(),
                    BinOp::Le => ins.f64_le(),
                    BinOp::Gt => ins.f64_gt(),
                    _ => ins.f64_ge(),
                };
                if arith {
                    ins.i64_reinterpret_f64();
                } else {
                    ins.i64_extend_i32_u();
                }
            },
            |cx| cx.binop_call(op, site),
        );
    }

    /// `ny_binop(op, a, b)` on the operands in the scratch pairs `lhs` and `rhs`.
    fn binop_call(&mut self, op: BinOp, site: SiteId) {
        let code = match op {
            BinOp::Add => op::ADD,
            BinOp::Sub => op::SUB,
            BinOp::Mul => op::MUL,
            BinOp::Div => op::DIV,
            BinOp::Rem => op::REM,
            BinOp::Eq => op::EQ,
            BinOp::Ne => op::NE,
            BinOp::Lt => op::LT,
            BinOp::Le => op::LE,
            BinOp::Gt => op::GT,
            BinOp::Ge => op::GE,
        } as i32;
        let (a, b) = (self.s.lhs, self.s.rhs);
        self.ins().i32_const(code).get_pair(a).get_pair(b);
        self.call_rt("ny_binop");
        self.ret_pair();
        self.check(site);
    }

    /// A direct call: the specialised version when there is one.
    pub(super) fn direct_call(&mut self, func: FuncId, args: &[Expr], site: SiteId) {
        let prog = self.m.prog;
        let callee = &prog.functions[func as usize];
        let may = callee.may_suspend;
        match &callee.spec {
            Some(spec) => {
                let mut k = 0;
                for (a, &t) in args.iter().zip(&spec.locals) {
                    if t == LocalTy::Dyn {
                        k += self.pending_operand(a);
                    } else {
                        self.expr_as(a, t);
                    }
                }
                // The callee's depth is ours plus one; past the limit, the call itself
                // raises here (so the callee never has to).
                let depth = self.depth;
                self.ins().local_get(depth).i32_const(MAX_DEPTH).i32_ge_u();
                self.if_(BlockType::Empty, |cx| {
                    cx.call_rt("ny_stack_overflow");
                    cx.check(site);
                });
                self.settle(k);
                self.ins().local_get(depth).i32_const(1).i32_add();
                let index = self.m.spec_index[&func];
                self.call_maybe_waiting(index, may);
                self.after_call(spec.may_raise, site);
            }
            None => {
                let k = self.pending_operands(args);
                self.settle(k);
                let index = self.m.user_fn(func);
                self.call_maybe_waiting(index, may);
                self.after_call(true, site);
            }
        }
    }
}
