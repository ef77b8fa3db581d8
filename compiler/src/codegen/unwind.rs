//! Error checks and unwinding (R13): what compiled code does after an operation that can
//! raise, and the bookkeeping that lets an error in the middle of an expression release
//! what the expression already holds.
//!
//! Invariants:
//! - every check branches to the innermost handler (`FnCx::handlers`): a `try` handler in
//!   the same function or the function's unwind block, after recording exactly one trace
//!   frame for the site;
//! - before that branch it releases every pending operand and every hidden temporary of
//!   the current statement, so the error path leaks nothing and frees nothing twice;
//! - [`stmt_pending`] bounds the pending operands of a statement, and a function declares
//!   that many pending-operand locals.

use wasm_encoder::BlockType;

use super::frame::FnCx;
use super::idioms::{Idioms, Pair, OFF_PENDING, TAG_VOID};
use crate::ir::{visit, Expr, SiteId, Stmt};

impl FnCx<'_, '_> {
    /// After an operation that can raise: on a pending error, record the frame and branch
    /// to the innermost handler.
    pub(super) fn check(&mut self, site: SiteId) {
        let prog = self.m.prog;
        let (p, l) = self.m.string(&prog.sites[site as usize]);
        let state = self.state();
        self.ins().state_load(state, OFF_PENDING);
        self.if_(BlockType::Empty, |cx| {
            if !cx.pending.is_empty() || !cx.tees.is_empty() {
                let drop = cx.m.drop_fn();
                for i in 0..cx.pending.len() {
                    let p = cx.pending[i];
                    cx.ins().get_pair(p).call(drop);
                }
                for i in 0..cx.tees.len() {
                    let t = cx.tees[i];
                    cx.ins()
                        .get_pair(t)
                        .call(drop)
                        .i32_const(TAG_VOID)
                        .local_set(t.tag);
                }
            }
            cx.ins().i32_const(p as i32).i32_const(l as i32);
            cx.call_rt("ny_trace");
            let h = *cx.handlers.last().expect("a function body has a handler");
            cx.br(h);
        });
    }

    /// After a call that may run compiled Nyash code (a direct call, method dispatch,
    /// `new`, a static initializer, an include): the error check, unless the callee is
    /// known not to raise (`Spec::may_raise`, from `ir::effects`). Suspension is checked
    /// separately, only at resume points (`suspend_point`); a function that may wait is
    /// never isolated, so it is always assumed to raise.
    pub(super) fn after_call(&mut self, may_raise: bool, site: SiteId) {
        if may_raise {
            self.check(site);
        }
    }

    /// Raises `msg` at `site` when the i32 on the stack is non-zero.
    pub(super) fn raise_if(&mut self, msg: &str, site: SiteId) {
        let (p, l) = self.m.string(msg);
        self.if_(BlockType::Empty, |cx| {
            cx.ins().i32_const(p as i32).i32_const(l as i32);
            cx.call_rt("ny_raise");
            cx.check(site);
        });
    }

    /// Evaluates a Dyn operand that stays on the stack while later operands are evaluated,
    /// and records it as pending (released if one of them raises). Returns 1, the number of
    /// entries to [`Self::settle`] before the instruction that consumes the operands.
    pub(super) fn pending_operand(&mut self, e: &Expr) -> usize {
        self.expr(e);
        let i = self.pending.len() as u32;
        let (base, cap) = self.pending_locals;
        assert!(i < cap, "too few locals for pending operands");
        let p = Pair {
            tag: base + i,
            bits: base + cap + i,
        };
        self.ins()
            .local_set(p.bits)
            .local_tee(p.tag)
            .local_get(p.bits);
        self.pending.push(p);
        1
    }

    /// Evaluates Dyn operands that stay on the stack, each recorded as pending; returns
    /// how many to [`Self::settle`].
    pub(super) fn pending_operands(&mut self, es: &[Expr]) -> usize {
        es.iter().map(|e| self.pending_operand(e)).sum()
    }

    /// The consumer of `n` pending operands is about to take them.
    pub(super) fn settle(&mut self, n: usize) {
        let len = self.pending.len();
        self.pending.truncate(len - n);
    }
}

/// How many operands of `e` (and of the expressions inside it) can be pending at once: an
/// upper bound on `FnCx::pending` while `e` is evaluated.
fn expr_pending(e: &Expr) -> u32 {
    if let Expr::And(a, b) | Expr::Or(a, b) = e {
        // The right side runs after the left one was consumed.
        return expr_pending(a).max(expr_pending(b));
    }
    let n = visit::operands(e).count() as u32;
    visit::operands(e)
        .enumerate()
        .map(|(i, o)| i as u32 + 1 + expr_pending(o))
        .max()
        .unwrap_or(0)
        .max(n)
}

/// [`expr_pending`] over a statement and the statements inside it.
pub(super) fn stmt_pending(s: &Stmt) -> u32 {
    let own = match s {
        // The value waits on the stack while the object is evaluated, then both are.
        Stmt::SetField { obj, value, .. } => (1 + expr_pending(obj)).max(expr_pending(value)) + 1,
        _ => visit::stmt_exprs(s).map(expr_pending).max().unwrap_or(0),
    };
    let mut most = own;
    visit::for_each_block(s, |b| {
        most = most.max(b.iter().map(stmt_pending).max().unwrap_or(0));
    });
    most
}
