//! Unboxed expressions: values of a known type held as a plain wasm `i64` (Int), `f64`
//! (Float) or `i32` (Bool), with no tag checks and no reference counting; conditions;
//! and the conversions between the unboxed and the boxed (`Dyn`) forms.
//!
//! Invariants:
//! - an expression is emitted unboxed only when `ir::infer` gave it that type, and every
//!   result equals what the runtime's dynamic operation would give: Int arithmetic wraps,
//!   `x / -1` is `0 - x`, float-to-Int casts saturate, `/`, `%` and `sqrt` raise where
//!   the runtime would;
//! - an unboxed value owns no reference, so nothing here releases anything.

use wasm_encoder::{BlockType, ValType};

use super::frame::FnCx;
use super::idioms::{TAG_BOOL, TAG_FLOAT, TAG_INT};
use crate::ir::infer::NumMethod;
use crate::ir::{BinOp, Const, Expr, LocalTy, SiteId};

impl FnCx<'_, '_> {
    /// The representation of `e` in this function.
    pub(super) fn ty_of(&self, e: &Expr) -> LocalTy {
        self.types.expect("a Nyash function's context").of(e)
    }

    /// Evaluates `e` to a value pair.
    pub(super) fn expr(&mut self, e: &Expr) {
        self.expr_as(e, LocalTy::Dyn);
    }

    /// Evaluates `e` in the representation `want` (its own type, `Dyn`, or Float for an Int).
    pub(super) fn expr_as(&mut self, e: &Expr, want: LocalTy) {
        let t = self.ty_of(e);
        if t == LocalTy::Dyn {
            assert_eq!(
                want,
                LocalTy::Dyn,
                "inference gave a Dyn value to an unboxed slot"
            );
            self.expr_dyn(e);
            return;
        }
        self.expr_typed(e, t);
        self.convert(t, want);
    }

    /// Converts the value on the stack from representation `from` to `to`.
    pub(super) fn convert(&mut self, from: LocalTy, to: LocalTy) {
        let x = self.s.i64_a;
        match (from, to) {
            _ if from == to => {}
            (LocalTy::Int, LocalTy::Float) => {
                self.ins().f64_convert_i64_s();
            }
            (_, LocalTy::Dyn) => {
                let tag = match from {
                    LocalTy::Int => TAG_INT,
                    LocalTy::Float => {
                        self.ins().i64_reinterpret_f64();
                        TAG_FLOAT
                    }
                    _ => {
                        self.ins().i64_extend_i32_u();
                        TAG_BOOL
                    }
                };
                self.ins().local_set(x).i32_const(tag).local_get(x);
            }
            _ => panic!("no conversion from {from:?} to {to:?}"),
        }
    }

    /// A pair known to hold a `t` on the stack: its payload, unboxed.
    pub(super) fn unbox(&mut self, t: LocalTy) {
        let x = self.s.i64_a;
        self.ins().local_set(x).drop().local_get(x);
        match t {
            LocalTy::Float => {
                self.ins().f64_reinterpret_i64();
            }
            LocalTy::Bool => {
                self.ins().i32_wrap_i64();
            }
            _ => {}
        }
    }

    /// Evaluates a condition to an i32 (R6 truthiness).
    pub(super) fn cond(&mut self, e: &Expr) {
        match self.ty_of(e) {
            LocalTy::Bool => self.expr_typed(e, LocalTy::Bool),
            LocalTy::Int => {
                self.expr_typed(e, LocalTy::Int);
                self.ins().i64_const(0).i64_ne();
            }
            LocalTy::Float => {
                self.expr_typed(e, LocalTy::Float);
                self.ins().f64_const(0.0.into()).f64_ne();
            }
            LocalTy::Dyn => {
                self.expr(e);
                let truthy = self.m.truthy_fn();
                self.ins().call(truthy);
            }
        }
    }

    /// Evaluates `e`, whose type is `t` (not Dyn), unboxed.
    pub(super) fn expr_typed(&mut self, e: &Expr, t: LocalTy) {
        match e {
            // An unboxed value holds no reference: there is nothing to keep alive.
            Expr::Tee(_, inner) => self.expr_typed(inner, t),
            Expr::Const(Const::Int(i)) => {
                self.ins().i64_const(*i);
            }
            Expr::Const(Const::Float(x)) => {
                self.ins().f64_const((*x).into());
            }
            Expr::Const(Const::Bool(b)) => {
                self.ins().i32_const(i32::from(*b));
            }
            Expr::Local(s) => {
                let at = self.base[*s as usize];
                self.ins().local_get(at);
            }
            Expr::Binary(op, a, b, site) => {
                let (ta, tb) = (self.ty_of(a), self.ty_of(b));
                let num = |t| matches!(t, LocalTy::Int | LocalTy::Float);
                let k = if ta == LocalTy::Float || tb == LocalTy::Float {
                    LocalTy::Float
                } else {
                    LocalTy::Int
                };
                if num(ta) && num(tb) && !(k == LocalTy::Float && *op == BinOp::Rem) {
                    self.expr_as(a, k);
                    self.expr_as(b, k);
                    self.typed_binary(*op, k, *site);
                } else if ta == LocalTy::Bool
                    && tb == LocalTy::Bool
                    && matches!(op, BinOp::Eq | BinOp::Ne)
                {
                    self.expr_typed(a, ta);
                    self.expr_typed(b, tb);
                    if *op == BinOp::Eq {
                        self.ins().i32_eq();
                    } else {
                        self.ins().i32_ne();
                    }
                } else {
                    let n = self.pending_operand(a);
                    self.expr(b);
                    self.settle(n);
                    self.binary(*op, *site);
                    self.unbox(t);
                }
            }
            Expr::Neg(a, _) if t == LocalTy::Int => {
                self.ins().i64_const(0);
                self.expr_typed(a, t);
                self.ins().i64_sub();
            }
            Expr::Neg(a, _) => {
                self.expr_typed(a, t);
                self.ins().f64_neg();
            }
            Expr::Not(a) => {
                self.cond(a);
                self.ins().i32_eqz();
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                let is_and = matches!(e, Expr::And(..));
                self.cond(a);
                if !is_and {
                    self.ins().i32_eqz();
                }
                self.if_else(
                    BlockType::Result(ValType::I32),
                    |cx| cx.cond(b),
                    |cx| {
                        cx.ins().i32_const(i32::from(!is_and));
                    },
                );
            }
            Expr::IsType(v, ty) => {
                self.expr(v);
                let prog = self.m.prog;
                self.push_str(&prog.strings[*ty as usize]);
                self.call_rt("ny_is_type");
            }
            Expr::Call(func, args, site) => self.direct_call(*func, args, *site),
            Expr::Resuming(lo, hi) => {
                let point = self
                    .resume
                    .expect("resume guards only in resumable functions")
                    .point;
                let mut ins = self.ins();
                ins.local_get(point);
                if *hi == 0 {
                    ins.i32_eqz();
                } else if lo == hi {
                    ins.i32_const(*lo as i32).i32_eq();
                } else {
                    ins.i32_const(*lo as i32)
                        .i32_sub()
                        .i32_const((hi - lo) as i32)
                        .i32_le_u();
                }
            }
            Expr::Method {
                recv, args, site, ..
            } => {
                let m = self
                    .types
                    .and_then(|t| t.inline_method(e))
                    .expect("a typed method is inline");
                self.num_method(m, recv, args, *site);
            }
            _ => panic!("no unboxed form for {e:?}"),
        }
    }

    /// An Int or Float builtin method computed inline on an unboxed receiver.
    fn num_method(&mut self, m: NumMethod, recv: &Expr, args: &[Expr], site: SiteId) {
        use NumMethod::*;
        let rt = self.ty_of(recv);
        self.expr_typed(recv, rt);
        for a in args {
            let t = self.ty_of(a);
            self.expr_typed(a, t);
        }
        let (xa, xb, fa) = (self.s.i64_a, self.s.i64_b, self.s.f64_a);
        let mut ins = self.ins();
        match m {
            IntAbs => {
                // Wrapping: i64::MIN stays i64::MIN. select(0 - x, x, x < 0)
                ins.local_set(xa)
                    .i64_const(0)
                    .local_get(xa)
                    .i64_sub()
                    .local_get(xa)
                    .local_get(xa)
                    .i64_const(0)
                    .i64_lt_s()
                    .select();
            }
            IntToFloat => {
                ins.f64_convert_i64_s();
            }
            IntToInteger | FloatToFloat => {}
            IntMax | IntMin => {
                ins.local_set(xb)
                    .local_tee(xa)
                    .local_get(xb)
                    .local_get(xa)
                    .local_get(xb);
                if m == IntMax {
                    ins.i64_gt_s();
                } else {
                    ins.i64_lt_s();
                }
                ins.select();
            }
            FloatAbs => {
                ins.f64_abs();
            }
            FloatFloor | FloatCeil | FloatToInteger => {
                if m == FloatFloor {
                    ins.f64_floor();
                } else if m == FloatCeil {
                    ins.f64_ceil();
                }
                // Rust's `as i64`: saturating, NaN gives 0.
                ins.i64_trunc_sat_f64_s();
            }
            FloatSqrt => {
                ins.local_tee(fa).f64_const(0.0.into()).f64_lt();
                self.raise_if("Cannot take square root of negative number", site);
                self.ins().local_get(fa).f64_sqrt();
            }
            FloatIsNaN => {
                ins.local_tee(fa).local_get(fa).f64_ne();
            }
            FloatIsInfinite => {
                ins.f64_abs().f64_const(f64::INFINITY.into()).f64_eq();
            }
            FloatIsFinite => {
                ins.f64_abs().f64_const(f64::INFINITY.into()).f64_lt();
            }
        }
    }

    /// `a op b` on two unboxed operands of type `k` (Int or Float).
    fn typed_binary(&mut self, op: BinOp, k: LocalTy, site: SiteId) {
        let int = k == LocalTy::Int;
        if matches!(op, BinOp::Div | BinOp::Rem) {
            self.typed_division(op, int, site);
            return;
        }
        let mut ins = self.ins();
        match (op, int) {
            (BinOp::Add, true) => ins.i64_add(),
            (BinOp::Sub, true) => ins.i64_sub(),
            (BinOp::Mul, true) => ins.i64_mul(),
            (BinOp::Eq, true) => ins.i64_eq(),
            (BinOp::Ne, true) => ins.i64_ne(),
            (BinOp::Lt, true) => ins.i64_lt_s(),
            (BinOp::Le, true) => ins.i64_le_s(),
            (BinOp::Gt, true) => ins.i64_gt_s(),
            (BinOp::Ge, true) => ins.i64_ge_s(),
            (BinOp::Add, false) => ins.f64_add(),
            (BinOp::Sub, false) => ins.f64_sub(),
            (BinOp::Mul, false) => ins.f64_mul(),
            (BinOp::Eq, false) => ins.f64_eq(),
            (BinOp::Ne, false) => ins.f64_ne(),
            (BinOp::Lt, false) => ins.f64_lt(),
            (BinOp::Le, false) => ins.f64_le(),
            (BinOp::Gt, false) => ins.f64_gt(),
            (BinOp::Ge, false) => ins.f64_ge(),
            _ => unreachable!("division is handled by typed_division"),
        };
    }

    /// `/` or `%` on two unboxed Ints (`int`) or Floats: a zero divisor raises.
    fn typed_division(&mut self, op: BinOp, int: bool, site: SiteId) {
        let msg = if op == BinOp::Div {
            "Division by zero"
        } else {
            "Modulo by zero"
        };
        let (xa, xb, fa, fb) = (self.s.i64_a, self.s.i64_b, self.s.f64_a, self.s.f64_b);
        if !int {
            self.ins()
                .local_set(fb)
                .local_set(fa)
                .local_get(fb)
                .f64_const(0.0.into())
                .f64_eq();
            self.raise_if(msg, site);
            self.ins().local_get(fa).local_get(fb).f64_div();
            return;
        }
        self.ins()
            .local_set(xb)
            .local_set(xa)
            .local_get(xb)
            .i64_eqz();
        self.raise_if(msg, site);
        if op == BinOp::Rem {
            // i64.rem_s gives 0 for i64::MIN % -1 (no trap).
            self.ins().local_get(xa).local_get(xb).i64_rem_s();
        } else {
            // i64::MIN / -1 wraps: x / -1 is 0 - x (i64.div_s would trap).
            self.ins().local_get(xb).i64_const(-1).i64_eq();
            self.if_else(
                BlockType::Result(ValType::I64),
                |cx| {
                    cx.ins().i64_const(0).local_get(xa).i64_sub();
                },
                |cx| {
                    cx.ins().local_get(xa).local_get(xb).i64_div_s();
                },
            );
        }
    }
}
