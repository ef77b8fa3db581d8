//! Statements: assignments, control flow, `print`/`throw`, includes, and
//! `try`/`catch`/`finally`.
//!
//! Invariants:
//! - assigning releases the old value after the new one is computed; an expression
//!   statement releases its result;
//! - the hidden temporaries of a top-level statement are forgotten when it ends (their
//!   `Stmt::Release` came before);
//! - `finally` is emitted inline on every exit path of its `try` (normal end, `return`,
//!   `break`, `continue`, a caught or uncaught error), each time outside its own `try`, and
//!   on an error path with the pending error set aside.

use wasm_encoder::{BlockType, ValType};

use super::frame::{FnCx, Label, Open};
use super::helpers::Helper;
use super::idioms::{Idioms, Pair, TAG_OBJ};
use crate::ir::{BinOp, Catch, Expr, LocalTy, Stmt};

impl<'p> FnCx<'_, 'p> {
    /// Emits the statements of `body` in order.
    pub(super) fn stmts(&mut self, body: &'p [Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &'p Stmt) {
        self.stmt_depth += 1;
        self.stmt_inner(s);
        self.stmt_depth -= 1;
        if self.stmt_depth == 0 {
            self.tees.clear();
        }
    }

    /// Stores the value on the stack in `p`, releasing the value `p` held.
    pub(super) fn assign(&mut self, p: Pair) {
        self.drop_pair(p);
        self.ins().set_pair(p);
    }

    /// For `x = x + b`, where `x` is local `slot` and `b` a literal or another local (which
    /// reading cannot change or fail), `b`, when the optimiser may append in place.
    fn appended(&self, slot: u32, e: &'p Expr) -> Option<&'p Expr> {
        if !self.inline_refs() {
            return None;
        }
        match e {
            Expr::Binary(BinOp::Add, a, b, _) if matches!(**a, Expr::Local(s) if s == slot) => {
                match **b {
                    Expr::Const(_) => Some(b),
                    Expr::Local(other) if other != slot => Some(b),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `x = x + b` (`e`): when `x` holds a string nothing else refers to, `ny_append` adds
    /// `b`'s text to it in place, so building a string in a loop costs amortised O(1) per
    /// step instead of a copy; otherwise `e` is evaluated and assigned as usual.
    fn append_or_assign(&mut self, x: Pair, b: &'p Expr, e: &'p Expr) {
        self.ins().local_eq(x.tag, TAG_OBJ);
        self.if_else(
            BlockType::Result(ValType::I32),
            |cx| {
                cx.ins().local_get(x.bits).i32_wrap_i64();
                cx.expr(b);
                cx.call_rt("ny_append");
            },
            |cx| {
                cx.ins().i32_const(0);
            },
        );
        self.ins().i32_eqz();
        self.if_(BlockType::Empty, |cx| {
            cx.expr(e);
            cx.assign(x);
        });
    }

    /// Evaluates `e` as the result of this version and stores it.
    fn set_result(&mut self, e: &Expr) {
        if self.ret == LocalTy::Dyn {
            self.expr(e);
            let result = self.s.result;
            self.assign(result);
        } else {
            self.expr_as(e, self.ret);
            let r = self.s.unboxed_result;
            self.ins().local_set(r);
        }
    }

    fn stmt_inner(&mut self, s: &'p Stmt) {
        let drop = self.m.drop_fn();
        match s {
            Stmt::Expr(e) => {
                let t = self.ty_of(e);
                if let (
                    LocalTy::Dyn,
                    Expr::Method {
                        recv,
                        name,
                        args,
                        site,
                    },
                ) = (t, e)
                {
                    if self.m.optimize && !self.m.method_may_suspend(*name, args.len() as u32) {
                        self.method_call(recv, *name, args, *site, false);
                        return;
                    }
                }
                if t == LocalTy::Dyn {
                    self.expr(e);
                    self.drop_value();
                } else {
                    self.expr_typed(e, t);
                    self.ins().drop();
                }
            }
            Stmt::ResultOf(e) => self.set_result(e),
            Stmt::SetLocal(slot, e) => {
                let t = self.tys[*slot as usize];
                let at = self.base[*slot as usize];
                if t == LocalTy::Dyn {
                    match self.appended(*slot, e) {
                        Some(rhs) => self.append_or_assign(Pair::at(at), rhs, e),
                        None => {
                            self.expr(e);
                            self.assign(Pair::at(at));
                        }
                    }
                } else {
                    self.expr_as(e, t);
                    self.ins().local_set(at);
                }
            }
            Stmt::SetGlobal(g, e) => {
                self.expr(e);
                let t = self.m.var_globals[*g as usize];
                self.ins()
                    .global_get(t)
                    .global_get(t + 1)
                    .call(drop)
                    .global_set(t + 1)
                    .global_set(t);
            }
            Stmt::SetField {
                obj,
                field,
                value,
                site,
            } => {
                let n = self.pending_operand(value);
                self.expr(obj);
                self.settle(n);
                let h = self
                    .m
                    .helper(format!("fset:{field}"), Helper::FieldSet(*field));
                self.ins().call(h);
                self.check(*site);
            }
            Stmt::If(c, then, otherwise) => {
                self.cond(c);
                if otherwise.is_empty() {
                    self.if_(BlockType::Empty, |cx| cx.stmts(then));
                } else {
                    self.if_else(
                        BlockType::Empty,
                        |cx| cx.stmts(then),
                        |cx| cx.stmts(otherwise),
                    );
                }
            }
            Stmt::Loop(c, body) => {
                let empty = BlockType::Empty;
                self.block(Label::Break, Open::Block(empty), |cx| {
                    cx.block(Label::Continue, Open::Loop(empty), |cx| {
                        if let Some(c) = c {
                            cx.cond(c);
                            cx.ins().i32_eqz().br_if(1);
                        }
                        cx.stmts(body);
                        cx.ins().br(0);
                    });
                });
            }
            Stmt::Release(slot) => {
                if self.tys[*slot as usize] == LocalTy::Dyn {
                    let at = self.base[*slot as usize];
                    self.ins().void();
                    self.assign(Pair::at(at));
                }
            }
            Stmt::Break | Stmt::Continue => {
                let l = if matches!(s, Stmt::Break) {
                    Label::Break
                } else {
                    Label::Continue
                };
                if let Some(pos) = self.find(l) {
                    self.run_finally(pos);
                    self.br(pos);
                }
            }
            Stmt::Return(e) => {
                self.set_result(e);
                self.run_finally(0);
                let exit = self.find(Label::Exit).expect("a function body has an exit");
                self.br(exit);
            }
            Stmt::Print(e, site) => {
                self.expr(e);
                self.call_rt("ny_print");
                self.check(*site);
            }
            Stmt::Throw(e, site) => {
                self.expr(e);
                self.call_rt("ny_throw");
                self.check(*site);
            }
            Stmt::Include(file, site) => {
                let g = self.m.include_globals[file];
                let top = self.m.user_fn(self.m.prog.top_levels[*file as usize]);
                self.ins().global_get(g).i32_eqz();
                self.if_(BlockType::Empty, |cx| {
                    cx.ins().i32_const(1).global_set(g).call(top).call(drop);
                    cx.after_call(true, *site);
                });
            }
            Stmt::Try {
                body,
                catches,
                finally,
            } => self.try_stmt(body, catches, finally),
            Stmt::Suspend { id, slot, call } => self.suspend_point(*id, *slot, call),
        }
    }

    /// Emits the `finally` blocks between here and the label at `down_to`, innermost
    /// first, each outside its own `try`.
    fn run_finally(&mut self, down_to: usize) {
        let mut saved = Vec::new();
        while let Some(&(pos, body)) = self.finallies.last() {
            if pos < down_to {
                break;
            }
            self.finallies.pop();
            self.stmts(body);
            saved.push((pos, body));
        }
        while let Some(e) = saved.pop() {
            self.finallies.push(e);
        }
    }

    /// `body` under the handler at label position `handler`, then `finally`, then a branch
    /// to the label at `end`.
    fn guarded(&mut self, handler: usize, body: &'p [Stmt], finally: &'p [Stmt], end: usize) {
        self.handlers.push(handler);
        if !finally.is_empty() {
            self.finallies.push((handler, finally));
        }
        self.stmts(body);
        if !finally.is_empty() {
            self.finallies.pop();
        }
        self.handlers.pop();
        self.stmts(finally);
        self.br(end);
    }

    fn try_stmt(&mut self, body: &'p [Stmt], catches: &'p [Catch], finally: &'p [Stmt]) {
        let outer = *self.handlers.last().expect("a function body has a handler");
        let empty = Open::Block(BlockType::Empty);
        self.block(Label::Other, empty, |cx| {
            let end = cx.innermost();
            cx.block(Label::Other, empty, |cx| {
                let handler = cx.innermost();
                cx.guarded(handler, body, finally, end);
            });
            // An error is pending here.
            for c in catches {
                match &c.classes {
                    None => {
                        cx.ins().i32_const(1);
                    }
                    Some(classes) => {
                        let class = cx.s.lhs.tag;
                        cx.call_rt("ny_error_class");
                        cx.ins().local_set(class).i32_const(0);
                        for &cid in classes {
                            cx.ins().local_eq(class, cid as i32).i32_or();
                        }
                    }
                }
                cx.if_(BlockType::Empty, |cx| {
                    cx.call_rt("ny_catch");
                    cx.ret_pair();
                    debug_assert_eq!(cx.tys[c.var as usize], LocalTy::Dyn);
                    cx.assign(Pair::at(cx.base[c.var as usize]));
                    cx.block(Label::Other, empty, |cx| {
                        let handler = cx.innermost();
                        cx.guarded(handler, &c.body, finally, end);
                    });
                    cx.finally_then_propagate(finally, outer);
                });
            }
            cx.finally_then_propagate(finally, outer);
        });
    }

    /// On an error path: runs `finally` with the error set aside, then branches to the
    /// handler at label position `outer`.
    fn finally_then_propagate(&mut self, finally: &'p [Stmt], outer: usize) {
        if !finally.is_empty() {
            self.call_rt("ny_error_suspend");
            self.stmts(finally);
            self.call_rt("ny_error_resume");
        }
        self.br(outer);
    }
}
