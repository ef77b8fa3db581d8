//! Type inference for unboxed locals, parameters and results.
//!
//! Every local slot gets a [`LocalTy`]: `Int`, `Float` or `Bool` when every value ever stored
//! in it is known to be one (literals, arithmetic on such values, comparisons, `not`, calls
//! of functions known to return one), `Dyn` otherwise. A local that is declared without a
//! value starts as void, so it is `Dyn`.
//!
//! Each function that is called directly (`f(x)`, not through method dispatch) also gets a
//! specialised version ([`Spec`]): its parameters take the join of the argument types over
//! every direct call site, and its result is unboxed when every `return` gives the same
//! unboxed type and the body cannot fall off its end. All direct calls use that version;
//! the generic one (every parameter and the result `Dyn`) serves method dispatch, callbacks
//! and `main`.
//!
//! The analysis is an optimistic fixpoint over a flat lattice (unknown < Int | Float | Bool
//! < Dyn): first with "unknown" for values not seen yet (so recursion like `fib` can be
//! Int), then with every remaining unknown set to `Dyn`, iterated again until nothing
//! changes; at that point every assignment agrees with its slot's type. If it does not
//! settle within a bound, every slot is `Dyn`.

use super::{BinOp, Const, Expr, FuncId, LocalTy, Program, Spec, Stmt};

/// `None`: nothing known yet.
type T = Option<LocalTy>;

fn join(a: T, b: T) -> T {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) if x == y => Some(x),
        _ => Some(LocalTy::Dyn),
    }
}

/// Whether `op` compares (always gives a Bool, or raises).
pub fn is_comparison(op: BinOp) -> bool {
    !matches!(
        op,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
    )
}

fn numeric(t: LocalTy) -> bool {
    matches!(t, LocalTy::Int | LocalTy::Float)
}

/// The type of an expression, given the types of local slots and of direct calls.
fn ty(e: &Expr, local: &dyn Fn(u32) -> T, call: &dyn Fn(FuncId) -> T) -> T {
    use LocalTy::*;
    match e {
        Expr::Const(Const::Int(_)) => Some(Int),
        Expr::Const(Const::Float(_)) => Some(Float),
        Expr::Const(Const::Bool(_)) => Some(Bool),
        Expr::Local(s) => local(*s),
        Expr::Binary(op, a, b, _) => {
            if is_comparison(*op) {
                return Some(Bool);
            }
            match (ty(a, local, call), ty(b, local, call)) {
                (Some(Int), Some(Int)) => Some(Int),
                (Some(x), Some(y)) if numeric(x) && numeric(y) => Some(Float),
                (None, None) => None,
                (None, Some(x)) | (Some(x), None) if numeric(x) => None,
                _ => Some(Dyn),
            }
        }
        Expr::Neg(a, _) => match ty(a, local, call) {
            None => None,
            Some(t) if numeric(t) => Some(t),
            _ => Some(Dyn),
        },
        Expr::Not(_) | Expr::And(..) | Expr::Or(..) | Expr::IsType(..) | Expr::Resuming(..) => {
            Some(Bool)
        }
        Expr::Call(f, _, _) => call(*f),
        _ => Some(Dyn),
    }
}

/// The type of an expression once inference is done (used by code generation).
pub fn expr_ty(prog: &Program, locals: &[LocalTy], e: &Expr) -> LocalTy {
    let local = |s: u32| Some(locals[s as usize]);
    let call = |f: FuncId| {
        Some(
            prog.functions[f as usize]
                .spec
                .as_ref()
                .map_or(LocalTy::Dyn, |s| s.ret),
        )
    };
    ty(e, &local, &call).unwrap_or(LocalTy::Dyn)
}

/// Whether control cannot reach the end of `body`.
fn terminates(body: &[Stmt]) -> bool {
    match body.last() {
        Some(Stmt::Return(_) | Stmt::Throw(..) | Stmt::ResultOf(_)) => true,
        Some(Stmt::If(_, t, e)) => terminates(t) && terminates(e),
        _ => false,
    }
}

#[derive(Clone, PartialEq)]
struct State {
    /// Result of each function's specialised version.
    ret: Vec<T>,
    /// Join of the argument types at direct call sites, per function and parameter.
    args: Vec<Vec<T>>,
    /// Whether each function has a direct call site.
    called: Vec<bool>,
    generic: Vec<Vec<T>>,
    spec: Vec<Vec<T>>,
}

struct Walk<'a> {
    locals: Vec<T>,
    ret: &'a [T],
    args: &'a mut Vec<Vec<T>>,
    called: &'a mut Vec<bool>,
    returns: T,
}

impl Walk<'_> {
    fn ty(&self, e: &Expr) -> T {
        let local = |s: u32| self.locals[s as usize];
        let call = |f: FuncId| self.ret[f as usize];
        ty(e, &local, &call)
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Const(_)
            | Expr::Local(_)
            | Expr::Global(..)
            | Expr::Static(..)
            | Expr::Resuming(..)
            | Expr::Spawn(..) => {}
            Expr::Binary(_, a, b, _) | Expr::And(a, b) | Expr::Or(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            Expr::Neg(a, _)
            | Expr::Not(a)
            | Expr::Field(a, _, _)
            | Expr::IsType(a, _)
            | Expr::AsType(a, _)
            | Expr::Await(a, _) => self.expr(a),
            Expr::Call(f, args, _) => {
                for a in args {
                    self.expr(a);
                }
                let f = *f as usize;
                self.called[f] = true;
                for (i, a) in args.iter().enumerate() {
                    let t = self.ty(a);
                    self.args[f][i] = join(self.args[f][i], t);
                }
            }
            Expr::Tee(slot, a) => {
                self.expr(a);
                let s = *slot as usize;
                self.locals[s] = join(self.locals[s], Some(LocalTy::Dyn));
            }
            Expr::Method { recv, args, .. } => {
                self.expr(recv);
                for a in args {
                    self.expr(a);
                }
            }
            Expr::New(_, args, _)
            | Expr::NewBuiltin(_, args, _)
            | Expr::Raise(_, args, _)
            | Expr::Task(_, args, _) => {
                for a in args {
                    self.expr(a);
                }
            }
        }
    }

    fn stmts(&mut self, body: &[Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Expr(e) | Stmt::Print(e, _) | Stmt::Throw(e, _) | Stmt::SetGlobal(_, e) => {
                self.expr(e)
            }
            Stmt::ResultOf(e) | Stmt::Return(e) => {
                self.expr(e);
                self.returns = join(self.returns, self.ty(e));
            }
            Stmt::SetLocal(slot, e)
            | Stmt::Suspend {
                slot: Some(slot),
                call: e,
                ..
            } => {
                self.expr(e);
                let t = self.ty(e);
                let s = *slot as usize;
                self.locals[s] = join(self.locals[s], t);
            }
            Stmt::Suspend {
                slot: None, call, ..
            } => self.expr(call),
            Stmt::SetField { obj, value, .. } => {
                self.expr(obj);
                self.expr(value);
            }
            Stmt::If(c, t, e) => {
                self.expr(c);
                self.stmts(t);
                self.stmts(e);
            }
            Stmt::Loop(c, body) => {
                if let Some(c) = c {
                    self.expr(c);
                }
                self.stmts(body);
            }
            Stmt::Break | Stmt::Continue | Stmt::Include(..) => {}
            Stmt::Try {
                body,
                catches,
                finally,
            } => {
                self.stmts(body);
                for c in catches {
                    self.locals[c.var as usize] = Some(LocalTy::Dyn);
                    self.stmts(&c.body);
                }
                self.stmts(finally);
            }
        }
    }
}

fn round(prog: &Program, st: &State) -> State {
    let mut next = st.clone();
    for (i, f) in prog.functions.iter().enumerate() {
        let nparams = f.arity as usize + usize::from(f.has_me);
        // The generic version: parameters are Dyn.
        let mut locals = st.generic[i].clone();
        for l in locals.iter_mut().take(nparams) {
            *l = Some(LocalTy::Dyn);
        }
        let mut w = Walk {
            locals,
            ret: &st.ret,
            args: &mut next.args,
            called: &mut next.called,
            returns: None,
        };
        w.stmts(&f.body);
        next.generic[i] = w.locals;
        if st.called[i] {
            let mut locals = st.spec[i].clone();
            for (p, l) in locals.iter_mut().take(nparams).enumerate() {
                *l = join(*l, st.args[i][p]);
            }
            let mut w = Walk {
                locals,
                ret: &st.ret,
                args: &mut next.args,
                called: &mut next.called,
                returns: None,
            };
            w.stmts(&f.body);
            let mut r = w.returns;
            if !terminates(&f.body) {
                r = Some(LocalTy::Dyn);
            }
            next.spec[i] = w.locals;
            next.ret[i] = join(st.ret[i], r);
        }
    }
    next
}

fn settle(prog: &Program, mut st: State) -> Option<State> {
    for _ in 0..200 {
        let next = round(prog, &st);
        if next == st {
            return Some(st);
        }
        st = next;
    }
    None
}

fn top(v: &mut [T]) {
    for t in v {
        if t.is_none() {
            *t = Some(LocalTy::Dyn);
        }
    }
}

/// Fills in `locals` and `spec` of every function.
pub fn infer(prog: &mut Program) {
    let n = prog.functions.len();
    let st = State {
        ret: vec![None; n],
        args: prog
            .functions
            .iter()
            .map(|f| vec![None; f.arity as usize + usize::from(f.has_me)])
            .collect(),
        called: vec![false; n],
        generic: prog
            .functions
            .iter()
            .map(|f| vec![None; f.locals.len()])
            .collect(),
        spec: prog
            .functions
            .iter()
            .map(|f| vec![None; f.locals.len()])
            .collect(),
    };
    let Some(mut st) = settle(prog, st) else {
        return;
    };
    top(&mut st.ret);
    for v in st
        .args
        .iter_mut()
        .chain(&mut st.generic)
        .chain(&mut st.spec)
    {
        top(v);
    }
    let Some(st) = settle(prog, st) else {
        return;
    };
    let flat = |v: &[T]| -> Vec<LocalTy> { v.iter().map(|t| t.unwrap_or(LocalTy::Dyn)).collect() };
    for (i, f) in prog.functions.iter_mut().enumerate() {
        f.locals = flat(&st.generic[i]);
        if !st.called[i] {
            continue;
        }
        let nparams = f.arity as usize + usize::from(f.has_me);
        let locals = flat(&st.spec[i]);
        let ret = st.ret[i].unwrap_or(LocalTy::Dyn);
        let useful = ret != LocalTy::Dyn || locals[..nparams].iter().any(|&t| t != LocalTy::Dyn);
        if useful {
            f.spec = Some(Spec { locals, ret });
        }
    }
}
